//! The ARI event WebSocket, kept connected for as long as the app runs.
//!
//! [`run_events`] connects, installs the event filter, and forwards every message as
//! an [`AriMessage`] into an unbounded channel, so reading the socket never waits for
//! a slow consumer (Asterisk would otherwise see a stalled socket). When the socket
//! drops it reconnects with capped exponential backoff and jitter, and announces
//! [`AriMessage::Connected`] with `reconnected: true`: events of the gap are lost and
//! Asterisk does not replay `StasisStart`, so the app must resync from REST.
//!
//! While connected, the socket also carries the client's REST requests and their
//! answers ([`super::socket_rest`]), if the client's settings ask for it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, protocol::WebSocketConfig};
use tokio_util::sync::CancellationToken;

use super::events::{AriEvent, EVENT_FILTER};
use super::request::AriRequest;
use super::rest::AriClient;
use super::socket_rest::{AwaitingAnswers, SocketRequest, SocketRole, Waiter};

/// First pause before reconnecting.
const BACKOFF_START: Duration = Duration::from_millis(100);
/// Longest pause between reconnection attempts.
const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// How often we ping an idle socket, to notice a dead peer.
const PING_EVERY: Duration = Duration::from_secs(15);
/// Silence (no message, no pong) after which the socket is considered dead.
const DEAD_AFTER: Duration = Duration::from_secs(45);

/// What the event stream tells the app.
#[derive(Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // nearly every message is an event
pub enum AriMessage {
    /// The socket is (re)connected and the event filter installed. After a
    /// reconnection, resync: events during the gap were lost.
    Connected {
        /// False for the first connection, true for every later one.
        reconnected: bool,
    },
    /// An event, in the order Asterisk sent it.
    Event(AriEvent),
    /// The socket dropped; reconnection is under way.
    Disconnected {
        /// Why, for logs.
        reason: String,
    },
}

/// Keeps the event socket connected until `shutdown` is cancelled or `tx` stops
/// listening.
pub async fn run_events(client: AriClient, tx: impl EventSink, shutdown: CancellationToken) {
    keep_connected(client, SocketRole::Events, tx, shutdown).await;
}

/// Keeps the n-th request-only socket connected until `shutdown` is cancelled (see
/// [`SocketRole::Requests`]). It registers an app of its own that no channel
/// enters, filtered to `RESTResponse`, so it carries nothing but requests and
/// their answers.
pub async fn run_request_socket(client: AriClient, index: usize, shutdown: CancellationToken) {
    keep_connected(client, SocketRole::Requests(index), NoEvents, shutdown).await;
}

/// What a request-only socket does with events: nothing (it gets none).
struct NoEvents;

impl EventSink for NoEvents {
    fn deliver(&mut self, _message: AriMessage) -> bool {
        true
    }

    fn is_closed(&self) -> bool {
        false
    }
}

/// Whether the ARI event socket is connected: the service only routes calls while it
/// is (`/ready`). Shared by the client and whoever asks; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct EventSocketState(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl EventSocketState {
    /// Whether the event socket is connected now.
    pub fn is_connected(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Set by the socket's task as it comes up and goes down.
    pub fn set_connected(&self, connected: bool) {
        self.0
            .store(connected, std::sync::atomic::Ordering::Relaxed);
    }
}

async fn keep_connected(
    client: AriClient,
    role: SocketRole,
    mut tx: impl EventSink,
    shutdown: CancellationToken,
) {
    let mut backoff = BACKOFF_START;
    let mut connected_before = false;
    loop {
        if shutdown.is_cancelled() || tx.is_closed() {
            return;
        }
        let session = connect_and_read(&client, role, &mut tx, connected_before, &shutdown);
        let reason = match session.await {
            Ok(Session::Stopped) => return,
            Ok(Session::Dropped(reason)) => {
                // It was up: start the backoff afresh.
                connected_before = true;
                backoff = BACKOFF_START;
                reason
            }
            Err(reason) => reason,
        };
        tracing::warn!(%reason, retry_in = ?backoff, ?role, "ARI socket down");
        if role == SocketRole::Events {
            client.event_socket().set_connected(false);
        }
        if !tx.deliver(AriMessage::Disconnected { reason }) {
            return;
        }
        let jitter = backoff.mul_f64(fastrand::f64() * 0.5);
        tokio::select! {
            _ = tokio::time::sleep(backoff + jitter) => {}
            () = shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_CAP);
    }
}

/// How a connected session ended.
enum Session {
    /// Shutdown asked, or nobody listens any more.
    Stopped,
    /// The socket dropped after having been up.
    Dropped(String),
}

/// One connection: `Err` if it never came up.
async fn connect_and_read(
    client: &AriClient,
    role: SocketRole,
    tx: &mut impl EventSink,
    reconnected: bool,
    shutdown: &CancellationToken,
) -> Result<Session, String> {
    let app = client.socket_app(role);
    let mut request = client
        .socket_url(&app)
        .as_str()
        .into_client_request()
        .map_err(|e| format!("bad events URL: {e}"))?;
    let credentials = client.credentials();
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", credentials.user, credentials.password));
    let header = HeaderValue::from_str(&format!("Basic {token}"))
        .map_err(|e| format!("bad credentials: {e}"))?;
    request.headers_mut().insert("Authorization", header);

    // Events are under a kilobyte and answers a few: reading in 4 KiB chunks (not
    // the default 128 KiB) keeps small the memset tungstenite does before every
    // read. At 16 KiB that memset was still a fifth of the service's instructions
    // (callgrind, docs/benchmarks.md). Longer messages still arrive whole, over
    // several reads.
    let config = WebSocketConfig::default().read_buffer_size(READ_CHUNK);
    let (socket, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(request, Some(config), true),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|e| format!("connect failed: {e}"))?;

    // Only now, with the app registered by the socket, can the filter be set.
    let filter = match role {
        SocketRole::Events => EVENT_FILTER,
        SocketRole::Requests(_) => &["RESTResponse"],
    };
    if let Err(error) = client.set_event_filter(&app, filter).await {
        tracing::warn!(%error, %app, "could not install the ARI event filter; receiving all events");
    }
    let metrics = crate::metrics::Metrics::global();
    let socket_label = crate::metrics::StateLabel {
        state: match role {
            SocketRole::Events => "events",
            SocketRole::Requests(_) => "requests",
        }
        .to_owned(),
    };
    if reconnected {
        metrics.ari_reconnects.get_or_create(&socket_label).inc();
    }
    match role {
        SocketRole::Events => {
            tracing::info!(reconnected, "ARI event socket connected");
            client.event_socket().set_connected(true);
        }
        SocketRole::Requests(index) => {
            tracing::info!(reconnected, index, "ARI request socket connected");
        }
    }
    if !tx.deliver(AriMessage::Connected { reconnected }) {
        return Ok(Session::Stopped);
    }

    let (mut sink, mut stream) = socket.split();
    // REST requests travel on this socket while it is up, if the settings say so
    // and Asterisk answers a first request on it (older than 22.4 it would not);
    // the guard sends them back to HTTP however this function returns.
    let mut answers = AwaitingAnswers::default();
    let mut requests = None;
    let _detach = DetachOnDrop(client, role);
    let mut probe = if client.rest_over_websocket() {
        let (frame, answered) = socket_probe(&mut answers);
        if let Err(e) = sink.send(Message::text(frame)).await {
            return Ok(Session::Dropped(format!("write failed: {e}")));
        }
        Some(answered)
    } else {
        None
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            message = stream.next() => {
                last_heard = tokio::time::Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(took) = answers.take_answer(text.as_str()) {
                            if let Some(took) = took {
                                client.note_latency(took);
                            }
                            continue;
                        }
                        if role != SocketRole::Events {
                            continue;
                        }
                        let event = AriEvent::parse(text.as_str());
                        if let AriEvent::Unknown { kind, .. } = &event {
                            tracing::debug!(%kind, "ARI event not modelled; skipped");
                        }
                        if !tx.deliver(AriMessage::Event(event)) {
                            finish(client, role, &mut sink, &mut stream, answers, requests).await;
                            return Ok(Session::Stopped);
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return Ok(Session::Dropped(format!("closed by Asterisk: {frame:?}")));
                    }
                    Some(Ok(_)) => {} // ping/pong/binary: nothing to do
                    Some(Err(e)) => return Ok(Session::Dropped(format!("read failed: {e}"))),
                    None => return Ok(Session::Dropped("socket ended".to_owned())),
                }
            }
            works = async { probe.as_mut().expect("guarded by the condition").await }, if probe.is_some() => {
                probe = None;
                if works {
                    requests = Some(client.attach_socket(role));
                    match role {
                        SocketRole::Events => tracing::info!("ARI REST requests go over the event socket"),
                        SocketRole::Requests(index) => tracing::info!(index, "ARI REST requests of calls go over a request socket"),
                    }
                } else {
                    tracing::warn!(?role, "Asterisk did not answer a REST request on this socket (older than 22.4?): its requests go elsewhere (HTTP at last)");
                }
            }
            Some(request) = next_request(&mut requests) => {
                // Requests that queued up meanwhile go out in the same write: one
                // system call for a burst instead of one per request.
                let mut next = Some(request);
                let mut batched = 0;
                while let Some(request) = next.take() {
                    let frame = answers.frame(request);
                    if let Err(e) = sink.feed(Message::text(frame)).await {
                        return Ok(Session::Dropped(format!("write failed: {e}")));
                    }
                    batched += 1;
                    if batched < MAX_BATCHED_REQUESTS {
                        next = requests.as_mut().and_then(|rx| rx.try_recv().ok());
                    }
                }
                if let Err(e) = sink.flush().await {
                    return Ok(Session::Dropped(format!("write failed: {e}")));
                }
            }
            _ = sweep.tick() => answers.expire(client.request_timeout()),
            _ = ping.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    return Ok(Session::Dropped("no answer to pings".to_owned()));
                }
                if let Err(e) = sink.send(Message::Ping(Vec::new().into())).await {
                    return Ok(Session::Dropped(format!("ping failed: {e}")));
                }
            }
            () = shutdown.cancelled() => {
                finish(client, role, &mut sink, &mut stream, answers, requests).await;
                return Ok(Session::Stopped);
            }
        }
    }
}

/// Ends a session asked to stop. Calls handed back at shutdown sent their last
/// requests without waiting: those go out, and their answers are awaited (briefly),
/// before the socket closes. Anything later goes over HTTP.
async fn finish<S, R>(
    client: &AriClient,
    role: SocketRole,
    sink: &mut S,
    stream: &mut R,
    mut answers: AwaitingAnswers,
    requests: Option<mpsc::UnboundedReceiver<SocketRequest>>,
) where
    S: futures_util::Sink<Message> + Unpin,
    R: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    client.detach_socket(role);
    if let Some(mut rx) = requests {
        rx.close();
        while let Ok(request) = rx.try_recv() {
            let _ = sink.feed(Message::text(answers.frame(request))).await;
        }
        let _ = sink.flush().await;
    }
    let deadline = tokio::time::Instant::now() + FINISH_WITHIN;
    while !answers.is_empty() {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                answers.take_answer(text.as_str());
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}

/// Where the event socket hands what it reads. It runs on the socket's task, so
/// whatever it does costs no hand-off: the app routes events to its calls here.
pub trait EventSink: Send + 'static {
    /// Takes one message; false when nobody listens any more (the socket stops).
    fn deliver(&mut self, message: AriMessage) -> bool;

    /// True when nobody listens any more.
    fn is_closed(&self) -> bool;
}

/// Messages into a channel, for a consumer on another task.
impl EventSink for mpsc::UnboundedSender<AriMessage> {
    fn deliver(&mut self, message: AriMessage) -> bool {
        self.send(message).is_ok()
    }

    fn is_closed(&self) -> bool {
        mpsc::UnboundedSender::is_closed(self)
    }
}

/// How long, at shutdown, the socket waits for the answers to requests sent.
const FINISH_WITHIN: Duration = Duration::from_secs(3);

/// How often requests unanswered for too long are failed.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// How much the event socket reads at a time.
const READ_CHUNK: usize = 4 * 1024;

/// Most queued REST requests written to the socket in one go, so a burst of
/// requests never keeps events waiting.
const MAX_BATCHED_REQUESTS: usize = 64;

/// How long Asterisk may take to answer the first request on a new socket.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A first request for a new socket (`GET asterisk/ping`), and a future that says
/// whether Asterisk answered it with success in time.
fn socket_probe(
    answers: &mut AwaitingAnswers,
) -> (String, Pin<Box<dyn Future<Output = bool> + Send>>) {
    let (reply, answer) = oneshot::channel();
    let frame = answers.frame(SocketRequest {
        request: AriRequest::get("asterisk/ping".to_owned()),
        waiter: Waiter::Reply(reply),
    });
    let answered = Box::pin(async move {
        matches!(
            tokio::time::timeout(PROBE_TIMEOUT, answer).await,
            Ok(Ok(reply)) if (200..300).contains(&reply.status)
        )
    });
    (frame, answered)
}

/// The next request to send on the socket; never ready when requests go over HTTP.
async fn next_request(
    requests: &mut Option<mpsc::UnboundedReceiver<SocketRequest>>,
) -> Option<SocketRequest> {
    match requests {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends the socket's REST requests elsewhere (HTTP at last) when its session ends.
struct DetachOnDrop<'a>(&'a AriClient, SocketRole);

impl Drop for DetachOnDrop<'_> {
    fn drop(&mut self) {
        self.0.detach_socket(self.1);
    }
}
