//! ARI REST requests carried by the event WebSocket (`RESTRequest` / `RESTResponse`
//! frames, Asterisk 20.14, 21.9, 22.4 and later).
//!
//! Why: over HTTP each request is a session of Asterisk's HTTP server and a wake-up
//! of its own on both sides; on the socket that already carries the events, a request
//! is one frame out and its answer one frame in, read by the same task that reads the
//! events. [`AriClient`](super::AriClient) uses the socket while it is connected and
//! HTTP otherwise, so a request never waits for a reconnection.
//!
//! The frames, as Asterisk 22.10 answers them (`uri` without the leading slash, the
//! query string inside it, the body a JSON text):
//!
//! ```text
//! → {"type":"RESTRequest","request_id":"7","method":"POST","uri":"channels/c1/answer"}
//! ← {"type":"RESTResponse","request_id":"7","status_code":204,"reason_phrase":"No Content",...}
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::request::AriRequest;

/// One request for the socket task to send.
#[derive(Debug)]
pub struct SocketRequest {
    /// What to send.
    pub request: AriRequest,
    /// Who gets the answer.
    pub waiter: Waiter,
}

/// Who gets the answer to a [`SocketRequest`].
#[derive(Debug)]
pub enum Waiter {
    /// A requester awaiting it.
    Reply(oneshot::Sender<SocketReply>),
    /// Nobody awaits it (a pipelined request): the callback runs on the socket's
    /// task with the answer, or with why none came.
    Callback(AnswerCallback),
}

/// Asterisk's answer to a [`SocketRequest`].
#[derive(Debug)]
pub struct SocketReply {
    /// HTTP status code.
    pub status: u16,
    /// The body (JSON text), empty when there is none.
    pub body: String,
}

/// Why a request sent on the socket got no answer.
pub type NoAnswer = &'static str;

/// The [`NoAnswer`] of a request whose socket closed before its answer came: it may
/// or may not have reached Asterisk.
pub const SOCKET_CLOSED: NoAnswer = "the event socket closed before the answer";

/// What a pipelined request's callback is given.
type AnswerFn = Box<dyn FnOnce(Result<SocketReply, NoAnswer>) + Send>;

/// The callback of a pipelined request. It runs exactly once: with the answer, or
/// with the reason none came (timeout, or the socket closed, even with the request
/// still queued: dropping it runs it). [`AnswerCallback::disarm`] takes a request
/// that never reached the socket back without running it.
pub struct AnswerCallback(Option<AnswerFn>);

impl AnswerCallback {
    /// Wraps `callback`.
    pub fn new(callback: impl FnOnce(Result<SocketReply, NoAnswer>) + Send + 'static) -> Self {
        Self(Some(Box::new(callback)))
    }

    /// Runs the callback.
    pub fn call(mut self, answer: Result<SocketReply, NoAnswer>) {
        if let Some(callback) = self.0.take() {
            callback(answer);
        }
    }

    /// Drops the callback without running it (the request was never sent).
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AnswerCallback {
    fn drop(&mut self) {
        if let Some(callback) = self.0.take() {
            callback(Err(SOCKET_CLOSED));
        }
    }
}

impl std::fmt::Debug for AnswerCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerCallback")
    }
}

impl Waiter {
    fn answer(self, answer: Result<SocketReply, NoAnswer>) {
        match (self, answer) {
            // The requester may have timed out meanwhile: nothing to do then.
            (Self::Reply(reply), Ok(answer)) => {
                let _ = reply.send(answer);
            }
            // Dropping the sender tells the requester.
            (Self::Reply(_), Err(_)) => {}
            (Self::Callback(callback), answer) => callback.call(answer),
        }
    }

    fn is_abandoned(&self) -> bool {
        matches!(self, Self::Reply(reply) if reply.is_closed())
    }
}

/// Which of the client's sockets: the app's event socket, or the n-th request-only
/// socket.
///
/// Why request-only sockets: Asterisk carries out one socket's requests one after
/// another on that socket's thread, and each channel operation waits there for the
/// channel's own thread; under load one socket is a queue every call waits in.
/// Each request-only socket is a thread of its own in Asterisk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketRole {
    /// The app's event socket (which can carry requests too).
    Events,
    /// The n-th request-only socket (from 0).
    Requests(usize),
}

/// A connected socket's request queue.
type RequestSender = mpsc::UnboundedSender<SocketRequest>;

/// The client's side of the link: where requests go while sockets are connected.
#[derive(Debug, Default)]
pub struct SocketLink {
    events: Mutex<Option<RequestSender>>,
    /// The request-only sockets, and the calls that left theirs.
    requests: Mutex<RequestSockets>,
}

/// The request-only sockets' side of the link.
#[derive(Debug, Default)]
struct RequestSockets {
    /// One slot per request-only socket, `None` while it is down.
    slots: Vec<Option<RequestSender>>,
    /// Calls whose socket was down when they sent: they keep to the event socket
    /// until they end ([`SocketLink::release`]). Were a call to go back to its
    /// socket once it is up again, its next request could overtake those still
    /// queued on the event socket.
    moved_to_events: HashSet<String>,
}

impl SocketLink {
    /// A link with room for `request_sockets` request-only sockets.
    pub fn new(request_sockets: usize) -> Self {
        Self {
            events: Mutex::default(),
            requests: Mutex::new(RequestSockets {
                slots: vec![None; request_sockets],
                moved_to_events: HashSet::new(),
            }),
        }
    }

    /// How many request-only sockets it has room for.
    pub fn request_sockets(&self) -> usize {
        self.lock_requests().slots.len()
    }

    /// The queue of the socket for requests keyed `key` (a call's id): a call's
    /// requests take one request-only socket, chosen by the key, so their order
    /// holds. Unkeyed requests take the event socket; so does a call whose socket
    /// was down when it sent, for the rest of the call. `None` when no socket is
    /// connected (the requests then go over HTTP, each awaited).
    pub fn sender(&self, key: Option<&str>) -> Option<RequestSender> {
        let Some(key) = key else {
            return self.events_sender();
        };
        let mut requests = self.lock_requests();
        if requests.slots.is_empty() || requests.moved_to_events.contains(key) {
            return self.events_sender();
        }
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut hasher);
        let slot = std::hash::Hasher::finish(&hasher) as usize % requests.slots.len();
        if let Some(sender) = &requests.slots[slot] {
            return Some(sender.clone());
        }
        // Over HTTP (no socket at all) each request is awaited: no order to keep.
        let events = self.events_sender()?;
        requests.moved_to_events.insert(key.to_owned());
        Some(events)
    }

    fn events_sender(&self) -> Option<RequestSender> {
        self.events
            .lock()
            .expect("the link lock is never poisoned")
            .clone()
    }

    /// The call keyed `key` ended: forget that it left its request socket.
    pub fn release(&self, key: &str) {
        self.lock_requests().moved_to_events.remove(key);
    }

    fn lock_requests(&self) -> std::sync::MutexGuard<'_, RequestSockets> {
        self.requests
            .lock()
            .expect("the link lock is never poisoned")
    }

    /// A socket came up: requests go to it from now on.
    pub fn attach(&self, role: SocketRole) -> mpsc::UnboundedReceiver<SocketRequest> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.set(role, Some(tx));
        rx
    }

    /// The socket is gone: its requests go elsewhere (HTTP at last).
    pub fn detach(&self, role: SocketRole) {
        self.set(role, None);
    }

    fn set(&self, role: SocketRole, sender: Option<RequestSender>) {
        match role {
            SocketRole::Events => {
                *self.events.lock().expect("the link lock is never poisoned") = sender;
            }
            SocketRole::Requests(index) => {
                if let Some(slot) = self.lock_requests().slots.get_mut(index) {
                    *slot = sender;
                }
            }
        }
    }
}

/// The requests one connected socket has sent and not yet seen answered.
///
/// Dropping it (the socket closed) fails the waiting requests at once: awaiting
/// requesters get an error instead of waiting for their timeout, and pipelined
/// requests' callbacks run.
#[derive(Debug, Default)]
pub struct AwaitingAnswers {
    next_id: u64,
    waiting: HashMap<u64, (Waiter, Instant)>,
}

/// A `RESTRequest` frame, written straight from its fields (no JSON tree built).
#[derive(Serialize)]
struct RestRequest<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    /// Asterisk echoes it in the answer.
    request_id: String,
    method: &'a str,
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<&'static str>,
    /// The JSON body as a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    message_body: Option<String>,
}

/// The fields of a `RESTResponse` frame we read.
#[derive(Deserialize)]
struct RestResponse<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    request_id: &'a str,
    status_code: u16,
    #[serde(default)]
    message_body: Option<String>,
}

/// The socket closed: its waiting requests fail in the order they were sent, so
/// those sent again (`resend`) reach Asterisk in their first order too.
impl Drop for AwaitingAnswers {
    fn drop(&mut self) {
        let mut waiting: Vec<_> = self.waiting.drain().collect();
        waiting.sort_unstable_by_key(|(id, _)| *id);
        for (_, (waiter, _)) in waiting {
            waiter.answer(Err(SOCKET_CLOSED));
        }
    }
}

impl AwaitingAnswers {
    /// Registers `request` and gives the frame to send for it.
    pub fn frame(&mut self, request: SocketRequest) -> String {
        self.next_id += 1;
        let id = self.next_id;
        let SocketRequest { request, waiter } = request;
        self.waiting.insert(id, (waiter, Instant::now()));
        let frame = RestRequest {
            kind: "RESTRequest",
            request_id: id.to_string(),
            method: request.method.as_str(),
            uri: request.uri(),
            content_type: request.body.as_ref().map(|_| "application/json"),
            message_body: request.body.as_ref().map(Value::to_string),
        };
        serde_json::to_string(&frame).expect("a string-keyed struct always serializes")
    }

    /// If `text` answers one of our requests, hands the answer over and gives how
    /// long it took (`Some(None)` for an answer to no request of ours); `None` for
    /// anything else (an event), left to the caller.
    pub fn take_answer(&mut self, text: &str) -> Option<Option<Duration>> {
        // A cheap test first: events are far more frequent than answers. Asterisk
        // writes the type first; only a message laid out otherwise is searched.
        let maybe_answer = match text.strip_prefix(r#"{"type":""#) {
            Some(rest) => rest.starts_with("RESTResponse\""),
            None => text.contains("\"RESTResponse\""),
        };
        if !maybe_answer {
            return None;
        }
        let response = serde_json::from_str::<RestResponse<'_>>(text).ok()?;
        if response.kind != "RESTResponse" {
            return None;
        }
        let waiting = response
            .request_id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.waiting.remove(&id));
        let Some((waiter, sent)) = waiting else {
            tracing::debug!(
                request_id = response.request_id,
                "ARI answered a request nobody waits for"
            );
            return Some(None);
        };
        waiter.answer(Ok(SocketReply {
            status: response.status_code,
            body: response.message_body.unwrap_or_default(),
        }));
        Some(Some(sent.elapsed()))
    }

    /// Forgets requests whose requester gave up, and fails pipelined requests
    /// unanswered for longer than `timeout`. Run every second or so.
    pub fn expire(&mut self, timeout: Duration) {
        let expired: Vec<u64> = self
            .waiting
            .iter()
            .filter(|(_, (waiter, sent))| waiter.is_abandoned() || sent.elapsed() > timeout)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some((waiter, _)) = self.waiting.remove(&id) {
                waiter.answer(Err("no answer in time"));
            }
        }
    }

    /// Requests sent and not answered yet.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// True when every request sent has been answered.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use std::sync::Arc;

    use super::*;

    fn awaited(request: AriRequest) -> (SocketRequest, oneshot::Receiver<SocketReply>) {
        let (reply, rx) = oneshot::channel();
        let request = SocketRequest {
            request,
            waiter: Waiter::Reply(reply),
        };
        (request, rx)
    }

    /// What a pipelined request's callback got: statuses, or why none came.
    type Noted = Arc<Mutex<Vec<Result<u16, NoAnswer>>>>;

    /// A pipelined request whose callback notes what it got.
    fn pipelined(request: AriRequest) -> (SocketRequest, Noted) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let noted = got.clone();
        let callback = AnswerCallback::new(move |answer| {
            noted.lock().unwrap().push(answer.map(|reply| reply.status));
        });
        let request = SocketRequest {
            request,
            waiter: Waiter::Callback(callback),
        };
        (request, got)
    }

    #[test]
    fn a_request_becomes_a_frame_and_its_answer_reaches_the_requester() {
        let mut answers = AwaitingAnswers::default();
        let (post, mut post_rx) = awaited(AriRequest::create_bridge("b1", false));
        let (delete, mut delete_rx) = awaited(AriRequest::hangup("c1", "normal"));
        let post_frame: serde_json::Value = serde_json::from_str(&answers.frame(post)).unwrap();
        let delete_frame: serde_json::Value = serde_json::from_str(&answers.frame(delete)).unwrap();
        assert_eq!(
            post_frame,
            json!({"type": "RESTRequest", "request_id": "1", "method": "POST",
                   "uri": "bridges/b1?type=mixing"})
        );
        assert_eq!(
            delete_frame,
            json!({"type": "RESTRequest", "request_id": "2", "method": "DELETE",
                   "uri": "channels/c1?reason=normal"})
        );
        assert_eq!(answers.len(), 2);

        // Answers in another order than the requests, as Asterisk may send them.
        assert!(answers.take_answer(
            r#"{"type":"RESTResponse","transaction_id":"","request_id":"2","status_code":404,
                "reason_phrase":"Not Found","uri":"channels/c1","content_type":"application/json",
                "message_body":"{\"message\":\"Channel not found\"}","application":"hotline"}"#
        ).is_some_and(|took| took.is_some()));
        let reply = delete_rx.try_recv().unwrap();
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, r#"{"message":"Channel not found"}"#);
        assert!(post_rx.try_recv().is_err(), "not answered yet");

        assert!(answers.take_answer(
            r#"{"type":"RESTResponse","request_id":"1","status_code":204,"reason_phrase":"No Content"}"#
        ).is_some());
        let reply = post_rx.try_recv().unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (204, ""));
        assert!(answers.is_empty());
    }

    #[test]
    fn a_body_travels_as_json_text() {
        let mut answers = AwaitingAnswers::default();
        let (create, _rx) = awaited(AriRequest::create_channel(
            "hotline",
            "c1-leg1",
            "PJSIP/staff01",
            None,
            &[("CONNECTEDLINE(num)", "79990000001")],
        ));
        let frame: serde_json::Value = serde_json::from_str(&answers.frame(create)).unwrap();
        assert_eq!(frame["content_type"], "application/json");
        let body: serde_json::Value =
            serde_json::from_str(frame["message_body"].as_str().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"variables": {"CONNECTEDLINE(num)": "79990000001"}})
        );
    }

    #[test]
    fn events_and_strangers_are_not_taken_for_answers() {
        let mut answers = AwaitingAnswers::default();
        let (get, mut rx) = awaited(AriRequest::answer("c1"));
        answers.frame(get);
        // An event that merely mentions the word.
        assert!(
            answers
                .take_answer(
                    r#"{"type":"StasisStart","args":["RESTResponse"],"channel":{"id":"c1"}}"#
                )
                .is_none()
        );
        // An answer to a request of another client (or of an earlier socket).
        assert_eq!(
            answers.take_answer(r#"{"type":"RESTResponse","request_id":"99","status_code":200}"#),
            Some(None)
        );
        assert!(rx.try_recv().is_err());
        assert_eq!(answers.len(), 1);
    }

    #[test]
    fn a_pipelined_request_calls_back_once_with_its_answer() {
        let mut answers = AwaitingAnswers::default();
        let (answer, got) = pipelined(AriRequest::answer("c1"));
        answers.frame(answer);
        assert!(got.lock().unwrap().is_empty());
        answers.take_answer(r#"{"type":"RESTResponse","request_id":"1","status_code":404}"#);
        assert_eq!(*got.lock().unwrap(), [Ok(404)]);
        drop(answers);
        assert_eq!(
            got.lock().unwrap().len(),
            1,
            "not again when the socket closes"
        );
    }

    #[test]
    fn a_pipelined_request_unanswered_in_time_calls_back_with_the_reason() {
        let mut answers = AwaitingAnswers::default();
        let (slow, got) = pipelined(AriRequest::ring("c1"));
        answers.frame(slow);
        answers.expire(Duration::from_secs(5));
        assert!(got.lock().unwrap().is_empty(), "not yet");
        std::thread::sleep(Duration::from_millis(5));
        answers.expire(Duration::from_millis(1));
        assert_eq!(*got.lock().unwrap(), [Err("no answer in time")]);
        assert!(answers.is_empty());
    }

    #[test]
    fn a_closed_socket_fails_the_waiting_requests_at_once() {
        let mut answers = AwaitingAnswers::default();
        let (get, mut rx) = awaited(AriRequest::answer("c1"));
        let (ring, got) = pipelined(AriRequest::ring("c1"));
        answers.frame(get);
        answers.frame(ring);
        drop(answers);
        assert!(matches!(
            rx.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
        assert_eq!(
            *got.lock().unwrap(),
            [Err("the event socket closed before the answer")]
        );
        // Still queued when the socket closed: the same.
        let (queued, got) = pipelined(AriRequest::ring("c1"));
        drop(queued);
        assert_eq!(got.lock().unwrap().len(), 1);
        // Never sent: taken back without a word.
        let (unsent, got) = pipelined(AriRequest::ring("c1"));
        if let Waiter::Callback(callback) = unsent.waiter {
            callback.disarm();
        }
        assert!(got.lock().unwrap().is_empty());
    }

    #[test]
    fn the_link_hands_requests_to_the_attached_socket_only() {
        let link = SocketLink::new(0);
        assert!(link.sender(None).is_none());
        let mut rx = link.attach(SocketRole::Events);
        let (get, _reply) = awaited(AriRequest::answer("c1"));
        link.sender(Some("c1")).unwrap().send(get).unwrap();
        assert_eq!(rx.try_recv().unwrap().request.uri(), "channels/c1/answer");
        link.detach(SocketRole::Events);
        assert!(link.sender(None).is_none());
    }

    #[test]
    fn a_calls_requests_keep_to_one_request_socket_and_fall_back_to_the_event_socket() {
        let link = SocketLink::new(3);
        let mut events = link.attach(SocketRole::Events);
        let mut sockets: Vec<_> = (0..3)
            .map(|i| link.attach(SocketRole::Requests(i)))
            .collect();
        let send = |key: Option<&str>| {
            let (request, _reply) = awaited(AriRequest::answer(key.unwrap_or("none")));
            link.sender(key).unwrap().send(request).unwrap();
        };
        // Which socket took what: each key always the same one, unkeyed the events.
        let took = |sockets: &mut Vec<mpsc::UnboundedReceiver<SocketRequest>>| {
            sockets
                .iter_mut()
                .map(|rx| std::iter::from_fn(|| rx.try_recv().ok()).count())
                .collect::<Vec<_>>()
        };
        for key in ["c1", "c2", "c3", "c4", "c5", "c6"] {
            for _ in 0..4 {
                send(Some(key));
            }
            let counts = took(&mut sockets);
            assert_eq!(counts.iter().sum::<usize>(), 4, "{counts:?}");
            assert!(counts.contains(&4), "all on one socket: {counts:?}");
        }
        send(None);
        assert!(events.try_recv().is_ok());
        // Spread over the sockets: 60 calls do not all land on one.
        for i in 0..60 {
            send(Some(&format!("call-{i}")));
        }
        let counts = took(&mut sockets);
        assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
        // A request socket down: its calls take the event socket meanwhile.
        for i in 0..3 {
            link.detach(SocketRole::Requests(i));
        }
        send(Some("c1"));
        assert!(events.try_recv().is_ok());
    }

    #[test]
    fn a_call_that_left_its_request_socket_keeps_to_the_event_socket_until_it_ends() {
        let link = SocketLink::new(1);
        let mut events = link.attach(SocketRole::Events);
        let mut socket = link.attach(SocketRole::Requests(0));
        let send = |key: &str| {
            let (request, _reply) = awaited(AriRequest::answer(key));
            link.sender(Some(key)).unwrap().send(request).unwrap();
        };
        send("c1");
        assert!(socket.try_recv().is_ok());
        // Down while c1 sends: c1 moves to the event socket.
        link.detach(SocketRole::Requests(0));
        send("c1");
        assert!(events.try_recv().is_ok());
        // Up again: c1 stays where its earlier requests may still be queued; a
        // call that never left takes the socket.
        let mut socket = link.attach(SocketRole::Requests(0));
        send("c1");
        assert!(events.try_recv().is_ok(), "c1 stays on the event socket");
        assert!(socket.try_recv().is_err());
        send("c2");
        assert!(socket.try_recv().is_ok(), "c2 takes the request socket");
        // c1 ended: the key is forgotten, a new call with it takes the socket.
        link.release("c1");
        send("c1");
        assert!(socket.try_recv().is_ok());
        assert!(events.try_recv().is_err());
        // With no socket at all a call's requests go over HTTP, each awaited: the
        // call is not held to the event socket afterwards.
        link.detach(SocketRole::Events);
        link.detach(SocketRole::Requests(0));
        assert!(link.sender(Some("c3")).is_none());
        let mut events = link.attach(SocketRole::Events);
        let mut socket = link.attach(SocketRole::Requests(0));
        send("c3");
        assert!(socket.try_recv().is_ok());
        assert!(events.try_recv().is_err());
    }
}
