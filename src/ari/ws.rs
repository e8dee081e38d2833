//! The ARI event WebSocket, kept connected for as long as the app runs.
//!
//! [`run_events`] connects, installs the event filter, and forwards every message as
//! an [`AriMessage`] into an unbounded channel, so reading the socket never waits for
//! a slow consumer (Asterisk would otherwise see a stalled socket). When the socket
//! drops it reconnects with capped exponential backoff and jitter, and announces
//! [`AriMessage::Connected`] with `reconnected: true`: events of the gap are lost and
//! Asterisk does not replay `StasisStart`, so the app must resync from REST.

use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Message, protocol::WebSocketConfig};
use tokio_util::sync::CancellationToken;

use super::events::{AriEvent, EVENT_FILTER};
use super::rest::AriClient;

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

/// Keeps the event socket connected until `shutdown` is cancelled or the receiver of
/// `tx` is dropped.
pub async fn run_events(
    client: AriClient,
    tx: mpsc::UnboundedSender<AriMessage>,
    shutdown: CancellationToken,
) {
    let mut backoff = BACKOFF_START;
    let mut connected_before = false;
    loop {
        if shutdown.is_cancelled() || tx.is_closed() {
            return;
        }
        let reason = match connect_and_read(&client, &tx, connected_before, &shutdown).await {
            Ok(Session::Stopped) => return,
            Ok(Session::Dropped(reason)) => {
                // It was up: start the backoff afresh.
                connected_before = true;
                backoff = BACKOFF_START;
                reason
            }
            Err(reason) => reason,
        };
        tracing::warn!(%reason, retry_in = ?backoff, "ARI event socket down");
        if tx.send(AriMessage::Disconnected { reason }).is_err() {
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
    tx: &mpsc::UnboundedSender<AriMessage>,
    reconnected: bool,
    shutdown: &CancellationToken,
) -> Result<Session, String> {
    let mut request = client
        .events_url()
        .as_str()
        .into_client_request()
        .map_err(|e| format!("bad events URL: {e}"))?;
    let credentials = client.credentials();
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", credentials.user, credentials.password));
    let header = HeaderValue::from_str(&format!("Basic {token}"))
        .map_err(|e| format!("bad credentials: {e}"))?;
    request.headers_mut().insert("Authorization", header);

    let config = WebSocketConfig::default();
    let (socket, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_with_config(request, Some(config), true),
    )
    .await
    .map_err(|_| "connect timed out".to_owned())?
    .map_err(|e| format!("connect failed: {e}"))?;

    // Only now, with the app registered by the socket, can the filter be set.
    if let Err(error) = client.set_event_filter(EVENT_FILTER).await {
        tracing::warn!(%error, "could not install the ARI event filter; receiving all events");
    }
    tracing::info!(reconnected, "ARI event socket connected");
    if tx.send(AriMessage::Connected { reconnected }).is_err() {
        return Ok(Session::Stopped);
    }

    let (mut sink, mut stream) = socket.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            message = stream.next() => {
                last_heard = tokio::time::Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => {
                        let event = AriEvent::parse(text.as_str());
                        if let AriEvent::Unknown { kind, .. } = &event {
                            tracing::debug!(%kind, "ARI event not modelled; skipped");
                        }
                        if tx.send(AriMessage::Event(event)).is_err() {
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
            _ = ping.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    return Ok(Session::Dropped("no answer to pings".to_owned()));
                }
                if let Err(e) = sink.send(Message::Ping(Vec::new().into())).await {
                    return Ok(Session::Dropped(format!("ping failed: {e}")));
                }
            }
            () = shutdown.cancelled() => {
                let _ = sink.send(Message::Close(None)).await;
                return Ok(Session::Stopped);
            }
        }
    }
}
