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

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

/// One request for the socket task to send.
#[derive(Debug)]
pub struct SocketRequest {
    /// HTTP method.
    pub method: Method,
    /// Path below `/ari/`, with its query string.
    pub uri: String,
    /// JSON body, if any.
    pub body: Option<String>,
    /// Where the answer goes.
    pub reply: oneshot::Sender<SocketReply>,
}

/// Asterisk's answer to a [`SocketRequest`].
#[derive(Debug)]
pub struct SocketReply {
    /// HTTP status code.
    pub status: u16,
    /// The body (JSON text), empty when there is none.
    pub body: String,
}

/// The client's side of the link: where requests go while a socket is connected.
#[derive(Debug, Default)]
pub struct SocketLink {
    sender: Mutex<Option<mpsc::UnboundedSender<SocketRequest>>>,
}

impl SocketLink {
    /// The connected socket's request queue, if a socket is connected.
    pub fn sender(&self) -> Option<mpsc::UnboundedSender<SocketRequest>> {
        self.sender
            .lock()
            .expect("the link lock is never poisoned")
            .clone()
    }

    /// A socket came up: requests go to it from now on.
    pub fn attach(&self) -> mpsc::UnboundedReceiver<SocketRequest> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.sender.lock().expect("the link lock is never poisoned") = Some(tx);
        rx
    }

    /// The socket is gone: requests go over HTTP again.
    pub fn detach(&self) {
        *self.sender.lock().expect("the link lock is never poisoned") = None;
    }
}

/// The requests one connected socket has sent and not yet seen answered.
///
/// Dropping it (the socket closed) drops the waiting replies: their requesters get
/// an error at once instead of waiting for their timeout.
#[derive(Debug, Default)]
pub struct AwaitingAnswers {
    next_id: u64,
    waiting: HashMap<u64, oneshot::Sender<SocketReply>>,
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

impl AwaitingAnswers {
    /// Registers `request` and gives the frame to send for it.
    pub fn frame(&mut self, request: SocketRequest) -> String {
        self.next_id += 1;
        let id = self.next_id;
        self.waiting.retain(|_, reply| !reply.is_closed());
        self.waiting.insert(id, request.reply);
        let mut frame = json!({
            "type": "RESTRequest",
            "request_id": id.to_string(),
            "method": request.method.as_str(),
            "uri": request.uri,
        });
        if let Some(body) = request.body {
            frame["content_type"] = "application/json".into();
            frame["message_body"] = body.into();
        }
        frame.to_string()
    }

    /// If `text` answers one of our requests, hands the answer over and says true;
    /// anything else (an event) is left to the caller.
    pub fn take_answer(&mut self, text: &str) -> bool {
        // A cheap test first: events are far more frequent than answers.
        if !text.contains("\"RESTResponse\"") {
            return false;
        }
        let Ok(response) = serde_json::from_str::<RestResponse<'_>>(text) else {
            return false;
        };
        if response.kind != "RESTResponse" {
            return false;
        }
        let reply = response
            .request_id
            .parse::<u64>()
            .ok()
            .and_then(|id| self.waiting.remove(&id));
        match reply {
            Some(reply) => {
                // The requester may have timed out meanwhile: nothing to do then.
                let _ = reply.send(SocketReply {
                    status: response.status_code,
                    body: response.message_body.unwrap_or_default(),
                });
            }
            None => tracing::debug!(
                request_id = response.request_id,
                "ARI answered a request nobody waits for"
            ),
        }
        true
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
    use super::*;

    fn request(
        method: Method,
        uri: &str,
        body: Option<&str>,
    ) -> (SocketRequest, oneshot::Receiver<SocketReply>) {
        let (reply, rx) = oneshot::channel();
        let request = SocketRequest {
            method,
            uri: uri.to_owned(),
            body: body.map(str::to_owned),
            reply,
        };
        (request, rx)
    }

    #[test]
    fn a_request_becomes_a_frame_and_its_answer_reaches_the_requester() {
        let mut answers = AwaitingAnswers::default();
        let (post, mut post_rx) = request(Method::POST, "bridges/b1", Some(r#"{"type":"mixing"}"#));
        let (delete, mut delete_rx) = request(Method::DELETE, "channels/c1?reason=normal", None);
        let post_frame: serde_json::Value = serde_json::from_str(&answers.frame(post)).unwrap();
        let delete_frame: serde_json::Value = serde_json::from_str(&answers.frame(delete)).unwrap();
        assert_eq!(
            post_frame,
            json!({"type": "RESTRequest", "request_id": "1", "method": "POST",
                   "uri": "bridges/b1", "content_type": "application/json",
                   "message_body": r#"{"type":"mixing"}"#})
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
        ));
        let reply = delete_rx.try_recv().unwrap();
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, r#"{"message":"Channel not found"}"#);
        assert!(post_rx.try_recv().is_err(), "not answered yet");

        assert!(answers.take_answer(
            r#"{"type":"RESTResponse","request_id":"1","status_code":204,"reason_phrase":"No Content"}"#
        ));
        let reply = post_rx.try_recv().unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (204, ""));
        assert!(answers.is_empty());
    }

    #[test]
    fn events_and_strangers_are_not_taken_for_answers() {
        let mut answers = AwaitingAnswers::default();
        let (get, mut rx) = request(Method::GET, "asterisk/info", None);
        answers.frame(get);
        // An event that merely mentions the word.
        assert!(!answers.take_answer(
            r#"{"type":"StasisStart","args":["RESTResponse"],"channel":{"id":"c1"}}"#
        ));
        // An answer to a request of another client (or of an earlier socket).
        assert!(
            answers.take_answer(r#"{"type":"RESTResponse","request_id":"99","status_code":200}"#)
        );
        assert!(rx.try_recv().is_err());
        assert_eq!(answers.len(), 1);
    }

    #[test]
    fn a_closed_socket_fails_the_waiting_requests_at_once() {
        let mut answers = AwaitingAnswers::default();
        let (get, mut rx) = request(Method::GET, "asterisk/info", None);
        answers.frame(get);
        drop(answers);
        assert!(matches!(
            rx.try_recv(),
            Err(oneshot::error::TryRecvError::Closed)
        ));
    }

    #[test]
    fn the_link_hands_requests_to_the_attached_socket_only() {
        let link = SocketLink::default();
        assert!(link.sender().is_none());
        let mut rx = link.attach();
        let (get, _reply) = request(Method::GET, "asterisk/info", None);
        link.sender().unwrap().send(get).unwrap();
        assert_eq!(rx.try_recv().unwrap().uri, "asterisk/info");
        link.detach();
        assert!(link.sender().is_none());
    }
}
