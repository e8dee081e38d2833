//! Typed ARI REST calls over one pooled `reqwest` client.
//!
//! - A keep-alive pool, and a semaphore bounding requests in flight below Asterisk's
//!   `http.conf` `sessionlimit`: past it Asterisk refuses sessions and leaves channels
//!   stuck, so we queue instead.
//! - Every request has a timeout.
//! - While the event WebSocket is connected, requests can travel on it instead
//!   ([`super::socket_rest`]); HTTP carries them otherwise.
//! - A 404 on hang-up, bridge destroy or playback stop means "already gone": those
//!   calls return `Ok(Gone::AlreadyGone)`, not an error.
//! - The password is never logged: [`AriCredentials`] has a redacting `Debug`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::models::{Application, Bridge, Channel};
use super::socket_rest::{SocketLink, SocketReply, SocketRequest};

/// ARI user and password (`ari.conf`).
#[derive(Clone)]
pub struct AriCredentials {
    /// ARI user name.
    pub user: String,
    /// ARI password; never printed.
    pub password: String,
}

impl fmt::Debug for AriCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AriCredentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What can go wrong talking to ARI.
#[derive(Debug, thiserror::Error)]
pub enum AriError {
    /// The base URL or a path did not make a valid URL.
    #[error("invalid ARI URL: {0}")]
    Url(#[from] url::ParseError),
    /// Network failure or timeout.
    #[error("ARI request {method} {path} failed: {source}")]
    Transport {
        /// HTTP method.
        method: Method,
        /// Path below `/ari`.
        path: String,
        /// The client error.
        source: reqwest::Error,
    },
    /// A request sent on the event socket got no answer: the socket closed, or the
    /// answer did not come in time. Asterisk may still have carried it out.
    #[error("ARI {method} {path} over the event socket: {reason}")]
    Socket {
        /// HTTP method.
        method: Method,
        /// Path below `/ari`.
        path: String,
        /// What happened.
        reason: &'static str,
    },
    /// Asterisk answered with an error status.
    #[error("ARI {method} {path} answered {status}: {message}")]
    Status {
        /// HTTP method.
        method: Method,
        /// Path below `/ari`.
        path: String,
        /// The status.
        status: StatusCode,
        /// Asterisk's error message, if it sent one.
        message: String,
    },
    /// The answer did not have the expected shape.
    #[error("ARI {path}: unexpected answer: {source}")]
    Decode {
        /// Path below `/ari`.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl AriError {
    /// The HTTP status Asterisk answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Result of a removal: gone now, or was already gone (404).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// We removed it.
    Removed,
    /// Asterisk did not know it any more.
    AlreadyGone,
}

/// Settings of the REST client.
#[derive(Clone, Debug)]
pub struct AriClientSettings {
    /// e.g. `http://127.0.0.1:8088` (or `https://...`); `/ari` is appended.
    pub base_url: Url,
    /// User and password.
    pub credentials: AriCredentials,
    /// Stasis application name.
    pub app: String,
    /// Timeout of each request.
    pub request_timeout: Duration,
    /// Most requests in flight at once; keep below `http.conf` `sessionlimit`.
    pub max_in_flight: usize,
    /// Send requests on the event WebSocket while it is connected (HTTP otherwise).
    pub rest_over_websocket: bool,
}

/// The typed ARI REST client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AriClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: Url,
    credentials: AriCredentials,
    app: String,
    in_flight: Semaphore,
    request_timeout: Duration,
    rest_over_websocket: bool,
    socket: SocketLink,
    /// Recent round trip of a request (waiting for a permit included), µs, as an
    /// exponentially weighted moving average.
    latency_micros: AtomicU64,
}

impl AriClient {
    /// A client with a keep-alive pool sized to `max_in_flight`.
    pub fn new(settings: AriClientSettings) -> Result<Self, AriError> {
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(settings.max_in_flight)
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .build()
            .map_err(|source| AriError::Transport {
                method: Method::GET,
                path: String::new(),
                source,
            })?;
        let mut base = settings.base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let base = base.join("ari/")?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                credentials: settings.credentials,
                app: settings.app,
                in_flight: Semaphore::new(settings.max_in_flight.max(1)),
                request_timeout: settings.request_timeout,
                rest_over_websocket: settings.rest_over_websocket,
                socket: SocketLink::default(),
                latency_micros: AtomicU64::new(0),
            }),
        })
    }

    /// The Stasis application name.
    pub fn app(&self) -> &str {
        &self.inner.app
    }

    /// The WebSocket URL for this app's events (`ws[s]://.../ari/events?app=...`).
    pub fn events_url(&self) -> Url {
        let mut url = self.inner.base.join("events").expect("static path");
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .expect("ws and wss are valid schemes");
        url.query_pairs_mut()
            .append_pair("app", &self.inner.app)
            .append_pair("subscribeAll", "false");
        url
    }

    /// Called by the event socket once it is up and has answered a first request:
    /// requests go to the receiver from now on.
    pub(crate) fn attach_socket(&self) -> mpsc::UnboundedReceiver<SocketRequest> {
        self.inner.socket.attach()
    }

    /// The recent round trip of a request, from asking to answer (waiting for a
    /// free slot included): the app's measure of how loaded Asterisk is.
    pub fn recent_latency(&self) -> Duration {
        Duration::from_micros(self.inner.latency_micros.load(Ordering::Relaxed))
    }

    /// Whether requests are to travel on the event socket when it is up.
    pub(crate) fn rest_over_websocket(&self) -> bool {
        self.inner.rest_over_websocket
    }

    /// Called by the event socket when it closes: requests go over HTTP again.
    pub(crate) fn detach_socket(&self) {
        self.inner.socket.detach();
    }

    /// The credentials, for the WebSocket handshake.
    pub fn credentials(&self) -> &AriCredentials {
        &self.inner.credentials
    }

    // ----- channels -----------------------------------------------------------------

    /// Answers a channel.
    pub async fn answer(&self, channel: &str) -> Result<(), AriError> {
        let path = format!("channels/{channel}/answer");
        self.send(Method::POST, &path, &[], None).await.map(drop)
    }

    /// Hangs a channel up with a reason (`normal`, `busy`, `congestion`, ...).
    pub async fn hangup(&self, channel: &str, reason: &str) -> Result<Gone, AriError> {
        let path = format!("channels/{channel}");
        self.remove(&path, &[("reason", reason)]).await
    }

    /// Plays media (`sound:name`, ...) on a channel under a playback id we chose.
    pub async fn play(
        &self,
        channel: &str,
        playback: &str,
        media: &[String],
        lang: &str,
    ) -> Result<(), AriError> {
        let path = format!("channels/{channel}/play/{playback}");
        let mut query: Vec<(&str, &str)> = media.iter().map(|m| ("media", m.as_str())).collect();
        query.push(("lang", lang));
        self.send(Method::POST, &path, &query, None).await.map(drop)
    }

    /// Stops a playback.
    pub async fn stop_playback(&self, playback: &str) -> Result<Gone, AriError> {
        self.remove(&format!("playbacks/{playback}"), &[]).await
    }

    /// Starts the ringing indication on a channel.
    pub async fn ring(&self, channel: &str) -> Result<(), AriError> {
        let path = format!("channels/{channel}/ring");
        self.send(Method::POST, &path, &[], None).await.map(drop)
    }

    /// Stops the ringing indication.
    pub async fn ring_stop(&self, channel: &str) -> Result<Gone, AriError> {
        self.remove(&format!("channels/{channel}/ring"), &[]).await
    }

    /// Tells a channel whose phone asked to transfer (REFER) how it goes:
    /// `channel_progress`, `channel_answered`, `channel_declined`, `channel_unavailable`.
    pub async fn transfer_progress(&self, channel: &str, state: &str) -> Result<(), AriError> {
        let path = format!("channels/{channel}/transfer_progress");
        self.send(Method::POST, &path, &[("states", state)], None)
            .await
            .map(drop)
    }

    /// Takes a channel out of a bridge (it stays in the app).
    pub async fn remove_from_bridge(&self, bridge: &str, channel: &str) -> Result<(), AriError> {
        let path = format!("bridges/{bridge}/removeChannel");
        self.send(Method::POST, &path, &[("channel", channel)], None)
            .await
            .map(drop)
    }

    /// Plays music on hold of `class` to everyone in a bridge.
    pub async fn start_bridge_moh(&self, bridge: &str, class: &str) -> Result<(), AriError> {
        let path = format!("bridges/{bridge}/moh");
        self.send(Method::POST, &path, &[("mohClass", class)], None)
            .await
            .map(drop)
    }

    /// Stops a bridge's music on hold.
    pub async fn stop_bridge_moh(&self, bridge: &str) -> Result<Gone, AriError> {
        self.remove(&format!("bridges/{bridge}/moh"), &[]).await
    }

    /// Plays music on hold of `class` to a channel (a caller waiting in the queue).
    pub async fn start_moh(&self, channel: &str, class: &str) -> Result<(), AriError> {
        let path = format!("channels/{channel}/moh");
        self.send(Method::POST, &path, &[("mohClass", class)], None)
            .await
            .map(drop)
    }

    /// Stops the music on hold.
    pub async fn stop_moh(&self, channel: &str) -> Result<Gone, AriError> {
        self.remove(&format!("channels/{channel}/moh"), &[]).await
    }

    /// Creates a channel to `endpoint` in this app with an id we chose, without
    /// dialling it yet (so no event can arrive for an id we don't know). `variables`
    /// may set `CALLERID(num)` / `CALLERID(name)` for the callee's display.
    pub async fn create_channel(
        &self,
        channel_id: &str,
        endpoint: &str,
        originator: Option<&str>,
        variables: &[(&str, &str)],
    ) -> Result<Channel, AriError> {
        let mut query = vec![
            ("endpoint", endpoint),
            ("app", self.inner.app.as_str()),
            ("appArgs", "leg"),
            ("channelId", channel_id),
        ];
        if let Some(originator) = originator {
            query.push(("originator", originator));
        }
        let vars: serde_json::Map<String, Value> = variables
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        let body = json!({ "variables": vars });
        let value = self
            .send(Method::POST, "channels/create", &query, Some(body))
            .await?;
        decode("channels/create", value)
    }

    /// Dials a created channel; `caller` links it to the caller's channel.
    pub async fn dial(
        &self,
        channel: &str,
        caller: Option<&str>,
        timeout_seconds: u32,
    ) -> Result<(), AriError> {
        let path = format!("channels/{channel}/dial");
        let timeout = timeout_seconds.to_string();
        let mut query = vec![("timeout", timeout.as_str())];
        if let Some(caller) = caller {
            query.push(("caller", caller));
        }
        self.send(Method::POST, &path, &query, None).await.map(drop)
    }

    /// Sends a channel back to the dialplan (graceful shutdown hands calls over).
    pub async fn continue_in_dialplan(&self, channel: &str) -> Result<Gone, AriError> {
        let path = format!("channels/{channel}/continue");
        match self.send(Method::POST, &path, &[], None).await {
            Ok(_) => Ok(Gone::Removed),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(Gone::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Sets a channel variable.
    pub async fn set_variable(
        &self,
        channel: &str,
        name: &str,
        value: &str,
    ) -> Result<(), AriError> {
        let path = format!("channels/{channel}/variable");
        let query = [("variable", name), ("value", value)];
        self.send(Method::POST, &path, &query, None).await.map(drop)
    }

    /// Every channel Asterisk has.
    pub async fn list_channels(&self) -> Result<Vec<Channel>, AriError> {
        let value = self.send(Method::GET, "channels", &[], None).await?;
        decode("channels", value)
    }

    // ----- bridges ------------------------------------------------------------------

    /// Creates a mixing bridge with an id we chose.
    pub async fn create_bridge(&self, bridge: &str, dtmf_events: bool) -> Result<Bridge, AriError> {
        let path = format!("bridges/{bridge}");
        let kind = if dtmf_events {
            "mixing,dtmf_events"
        } else {
            "mixing"
        };
        let value = self
            .send(Method::POST, &path, &[("type", kind)], None)
            .await?;
        decode(&path, value)
    }

    /// Puts channels into a bridge.
    pub async fn add_to_bridge(&self, bridge: &str, channels: &[&str]) -> Result<(), AriError> {
        let path = format!("bridges/{bridge}/addChannel");
        let list = channels.join(",");
        self.send(Method::POST, &path, &[("channel", list.as_str())], None)
            .await
            .map(drop)
    }

    /// Destroys a bridge.
    pub async fn destroy_bridge(&self, bridge: &str) -> Result<Gone, AriError> {
        self.remove(&format!("bridges/{bridge}"), &[]).await
    }

    /// Every bridge Asterisk has.
    pub async fn list_bridges(&self) -> Result<Vec<Bridge>, AriError> {
        let value = self.send(Method::GET, "bridges", &[], None).await?;
        decode("bridges", value)
    }

    // ----- application --------------------------------------------------------------

    /// This app's subscriptions: the channels and bridges it owns.
    pub async fn application(&self) -> Result<Application, AriError> {
        let path = format!("applications/{}", self.inner.app);
        let value = self.send(Method::GET, &path, &[], None).await?;
        decode(&path, value)
    }

    /// Restricts the events Asterisk sends this app to `allowed` types.
    pub async fn set_event_filter(&self, allowed: &[&str]) -> Result<(), AriError> {
        let path = format!("applications/{}/eventFilter", self.inner.app);
        let allowed: Vec<Value> = allowed.iter().map(|t| json!({ "type": t })).collect();
        let body = json!({ "allowed": allowed, "disallowed": [] });
        self.send(Method::PUT, &path, &[], Some(body))
            .await
            .map(drop)
    }

    /// Asterisk's version, to check the connection.
    pub async fn asterisk_version(&self) -> Result<String, AriError> {
        let value = self.send(Method::GET, "asterisk/info", &[], None).await?;
        Ok(value
            .pointer("/system/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    // ----- plumbing -----------------------------------------------------------------

    async fn remove(&self, path: &str, query: &[(&str, &str)]) -> Result<Gone, AriError> {
        match self.send(Method::DELETE, path, query, None).await {
            Ok(_) => Ok(Gone::Removed),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(Gone::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, AriError> {
        let started = Instant::now();
        let answer = self.send_and_wait(method, path, query, body).await;
        let sample = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let _ =
            self.inner
                .latency_micros
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                    Some(moving_average(old, sample))
                });
        answer
    }

    async fn send_and_wait(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, AriError> {
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let on_socket = match self.inner.socket.sender() {
            // `None` also when the socket went away before it took the request: it
            // never reached Asterisk, so HTTP may carry it.
            Some(socket) => self
                .send_over_socket(&socket, &method, path, query, body.as_ref())
                .await
                .ok(),
            None => None,
        };
        let answer = match on_socket {
            Some(answer) => answer,
            None => self.send_over_http(&method, path, query, body).await?,
        };
        let (status, bytes) = answer.into_parts(&method, path)?;
        if !status.is_success() {
            let message = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
            return Err(AriError::Status {
                method,
                path: path.to_owned(),
                status,
                message,
            });
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|source| AriError::Decode {
            path: path.to_owned(),
            source,
        })
    }

    async fn send_over_http(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Answer, AriError> {
        let url = self.inner.base.join(path)?;
        let mut request = self
            .inner
            .http
            .request(method.clone(), url)
            .basic_auth(
                &self.inner.credentials.user,
                Some(&self.inner.credentials.password),
            )
            .query(query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let transport = |source| AriError::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source,
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        Ok(Answer::Http(status, bytes.to_vec()))
    }

    /// Sends the request as a `RESTRequest` frame on the event socket; `Err` only if
    /// the socket was gone before it took the request.
    async fn send_over_socket(
        &self,
        socket: &mpsc::UnboundedSender<SocketRequest>,
        method: &Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, SocketUnavailable> {
        let mut uri = path.to_owned();
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish(),
            );
        }
        let (reply, answer) = oneshot::channel();
        let request = SocketRequest {
            method: method.clone(),
            uri,
            body: body.map(Value::to_string),
            reply,
        };
        socket.send(request).map_err(|_| SocketUnavailable)?;
        Ok(
            match tokio::time::timeout(self.inner.request_timeout, answer).await {
                Ok(Ok(reply)) => Answer::Socket(reply),
                Ok(Err(_)) => Answer::Lost("the event socket closed before the answer"),
                Err(_) => Answer::Lost("no answer in time"),
            },
        )
    }
}

/// The socket had closed before it could take a request.
struct SocketUnavailable;

/// What came back for a request, by the way it went.
enum Answer {
    Http(StatusCode, Vec<u8>),
    Socket(SocketReply),
    Lost(&'static str),
}

impl Answer {
    /// Status and body, whichever way they came.
    fn into_parts(self, method: &Method, path: &str) -> Result<(StatusCode, Vec<u8>), AriError> {
        match self {
            Self::Http(status, bytes) => Ok((status, bytes)),
            Self::Socket(reply) => {
                let status = StatusCode::from_u16(reply.status).map_err(|_| AriError::Socket {
                    method: method.clone(),
                    path: path.to_owned(),
                    reason: "an invalid status code",
                })?;
                Ok((status, reply.body.into_bytes()))
            }
            Self::Lost(reason) => Err(AriError::Socket {
                method: method.clone(),
                path: path.to_owned(),
                reason,
            }),
        }
    }
}

/// Moves the average an eighth of the way to the new sample: it follows a change
/// within a few dozen requests (a few milliseconds under load) and ignores one slow
/// answer.
fn moving_average(old: u64, sample: u64) -> u64 {
    if sample >= old {
        old + (sample - old) / 8
    } else {
        old - (old - sample) / 8
    }
}

fn decode<T: DeserializeOwned>(path: &str, value: Value) -> Result<T, AriError> {
    serde_json::from_value(value).map_err(|source| AriError::Decode {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::moving_average;

    #[test]
    fn the_latency_average_follows_a_lasting_change_and_shrugs_off_one_outlier() {
        let mut average = 0;
        for _ in 0..40 {
            average = moving_average(average, 2_000);
        }
        assert!((1_900..=2_000).contains(&average), "{average}");
        let after_outlier = moving_average(average, 5_000_000);
        assert!(after_outlier < 700_000, "{after_outlier}");
        average = after_outlier;
        for _ in 0..40 {
            average = moving_average(average, 300_000);
        }
        assert!((290_000..=310_000).contains(&average), "{average}");
        for _ in 0..40 {
            average = moving_average(average, 1_000);
        }
        assert!(average < 5_000, "{average}");
    }
}
