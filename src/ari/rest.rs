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

use super::answer::Answer;
use super::models::{Application, Bridge, Channel};
use super::request::AriRequest;
use super::resend::ResendQueue;
use super::socket_rest::{
    AnswerCallback, SOCKET_CLOSED, SocketLink, SocketRequest, SocketRole, Waiter,
};
use super::ws::EventSocketState;

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

    /// Asterisk answered 404: the channel, bridge or playback is not (or no
    /// longer) there.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
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
    /// Request-only WebSockets beside the event socket, each call's requests kept
    /// to one of them ([`SocketRole::Requests`]); 0 for none.
    pub request_sockets: usize,
}

/// The typed ARI REST client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AriClient {
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
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
    /// Requests sent again after their socket closed under them (`resend`).
    pub(super) resends: ResendQueue,
    /// Whether the event socket is up, for `/ready`.
    event_socket: EventSocketState,
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
                socket: SocketLink::new(if settings.rest_over_websocket {
                    settings.request_sockets
                } else {
                    0
                }),
                latency_micros: AtomicU64::new(0),
                resends: ResendQueue::default(),
                event_socket: EventSocketState::default(),
            }),
        })
    }

    /// The Stasis application name.
    pub fn app(&self) -> &str {
        &self.inner.app
    }

    /// The WebSocket URL for this app's events (`ws[s]://.../ari/events?app=...`).
    pub fn events_url(&self) -> Url {
        self.socket_url(&self.inner.app)
    }

    /// The WebSocket URL of the socket of `app`.
    pub fn socket_url(&self, app: &str) -> Url {
        let mut url = self.inner.base.join("events").expect("static path");
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .expect("ws and wss are valid schemes");
        url.query_pairs_mut()
            .append_pair("app", app)
            .append_pair("subscribeAll", "false");
        url
    }

    /// The app name a socket registers: the app's own for the event socket; for a
    /// request-only socket its own (`hotline-requests-0`, ...), which no channel
    /// ever enters, so that it gets no events.
    pub fn socket_app(&self, role: SocketRole) -> String {
        match role {
            SocketRole::Events => self.inner.app.clone(),
            SocketRole::Requests(index) => format!("{}-requests-{index}", self.inner.app),
        }
    }

    /// How many request-only sockets the settings ask for (none without
    /// `rest_over_websocket`).
    pub fn request_sockets(&self) -> usize {
        self.inner.socket.request_sockets()
    }

    /// Called by a socket once it is up and has answered a first request: requests
    /// go to the receiver from now on.
    pub(crate) fn attach_socket(&self, role: SocketRole) -> mpsc::UnboundedReceiver<SocketRequest> {
        self.inner.socket.attach(role)
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

    /// Called by a socket when it closes: its requests go elsewhere (HTTP at last).
    pub(crate) fn detach_socket(&self, role: SocketRole) {
        self.inner.socket.detach(role);
    }

    /// The requests ordered by `order_key` (a call's id) are over: the call ended.
    /// A call whose request socket went down keeps to the event socket until then
    /// (see [`SocketLink::sender`]); this forgets it.
    pub fn release_order_key(&self, order_key: &str) {
        self.inner.socket.release(order_key);
    }

    /// The credentials, for the WebSocket handshake.
    pub fn credentials(&self) -> &AriCredentials {
        &self.inner.credentials
    }

    // ----- channels -----------------------------------------------------------------

    /// Answers a channel.
    pub async fn answer(&self, channel: &str) -> Result<(), AriError> {
        self.run(AriRequest::answer(channel)).await.map(drop)
    }

    /// Hangs a channel up with a reason (`normal`, `busy`, `congestion`, ...).
    pub async fn hangup(&self, channel: &str, reason: &str) -> Result<Gone, AriError> {
        self.remove(AriRequest::hangup(channel, reason)).await
    }

    /// Plays media (`sound:name`, ...) on a channel under a playback id we chose.
    pub async fn play(
        &self,
        channel: &str,
        playback: &str,
        media: &[String],
        lang: &str,
    ) -> Result<(), AriError> {
        let request = AriRequest::play(channel, playback, media, lang);
        self.run(request).await.map(drop)
    }

    /// Stops a playback.
    pub async fn stop_playback(&self, playback: &str) -> Result<Gone, AriError> {
        self.remove(AriRequest::stop_playback(playback)).await
    }

    /// Starts the ringing indication on a channel.
    pub async fn ring(&self, channel: &str) -> Result<(), AriError> {
        self.run(AriRequest::ring(channel)).await.map(drop)
    }

    /// Stops the ringing indication.
    pub async fn ring_stop(&self, channel: &str) -> Result<Gone, AriError> {
        self.remove(AriRequest::ring_stop(channel)).await
    }

    /// Creates a channel to `endpoint` in this app with an id we chose, without
    /// dialling it yet (see [`AriRequest::create_channel`]).
    pub async fn create_channel(
        &self,
        channel_id: &str,
        endpoint: &str,
        originator: Option<&str>,
        variables: &[(&str, &str)],
    ) -> Result<Channel, AriError> {
        let request =
            AriRequest::create_channel(self.app(), channel_id, endpoint, originator, variables);
        let value = self.run(request).await?;
        decode("channels/create", value)
    }

    /// Dials a created channel; `caller` links it to the caller's channel.
    pub async fn dial(
        &self,
        channel: &str,
        caller: Option<&str>,
        timeout_seconds: u32,
    ) -> Result<(), AriError> {
        let request = AriRequest::dial(channel, caller, timeout_seconds);
        self.run(request).await.map(drop)
    }

    /// Sends a channel back to the dialplan (graceful shutdown hands calls over).
    pub async fn continue_in_dialplan(&self, channel: &str) -> Result<Gone, AriError> {
        self.remove(AriRequest::continue_in_dialplan(channel)).await
    }

    /// Sets a channel variable.
    pub async fn set_variable(
        &self,
        channel: &str,
        name: &str,
        value: &str,
    ) -> Result<(), AriError> {
        let request = AriRequest::set_variable(channel, name, value);
        self.run(request).await.map(drop)
    }

    /// Whether Asterisk has this channel now (a 404 says it has not), asked after
    /// the requests of `order_key` sent before it (see [`submit`](Self::submit)): a
    /// leg the call has just asked for is there by then, not taken for vanished.
    pub async fn channel_exists(&self, order_key: &str, channel: &str) -> Result<bool, AriError> {
        let request = AriRequest::get(format!("channels/{channel}"));
        match self.run_in_order(Some(order_key), request).await {
            Ok(_) => Ok(true),
            Err(error) if error.is_not_found() => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Every channel Asterisk has.
    pub async fn list_channels(&self) -> Result<Vec<Channel>, AriError> {
        let value = self.get("channels").await?;
        decode("channels", value)
    }

    // ----- bridges ------------------------------------------------------------------

    /// Creates a mixing bridge with an id we chose.
    pub async fn create_bridge(&self, bridge: &str, dtmf_events: bool) -> Result<Bridge, AriError> {
        let value = self
            .run(AriRequest::create_bridge(bridge, dtmf_events))
            .await?;
        decode("bridges", value)
    }

    /// Puts channels into a bridge.
    pub async fn add_to_bridge(&self, bridge: &str, channels: &[&str]) -> Result<(), AriError> {
        let request = AriRequest::add_to_bridge(bridge, channels);
        self.run(request).await.map(drop)
    }

    /// Destroys a bridge.
    pub async fn destroy_bridge(&self, bridge: &str) -> Result<Gone, AriError> {
        self.remove(AriRequest::destroy_bridge(bridge)).await
    }

    /// Every bridge Asterisk has.
    pub async fn list_bridges(&self) -> Result<Vec<Bridge>, AriError> {
        let value = self.get("bridges").await?;
        decode("bridges", value)
    }

    // ----- recordings ---------------------------------------------------------------

    /// Deletes a stored recording (the retention cleanup); gone already is fine.
    pub async fn delete_stored_recording(&self, name: &str) -> Result<Gone, AriError> {
        self.remove(AriRequest::delete_stored_recording(name)).await
    }

    /// A stored recording's file (WAV), for an admin's playback or download, as it
    /// arrives (an hour of speech is about 57 MB: it is passed on, not held). Always
    /// over HTTP: the event socket's frames carry text, not audio.
    pub async fn stored_recording_file(&self, name: &str) -> Result<RecordingFile, AriError> {
        let path = format!(
            "recordings/stored/{}/file",
            super::request::recording_path_segment(name)
        );
        let transport = |source| AriError::Transport {
            method: Method::GET,
            path: path.clone(),
            source,
        };
        let response = self
            .http_request(Method::GET, &path)?
            // The request timeout of the client covers the whole transfer: a long
            // recording on a slow link needs longer than a REST answer.
            .timeout(RECORDING_DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.bytes().await.map_err(transport)?;
            return Answer::Http(status, bytes.to_vec())
                .body(&Method::GET, &path)
                .map(|_| unreachable!("not a success"));
        }
        Ok(RecordingFile { response })
    }

    // ----- application --------------------------------------------------------------

    /// This app's subscriptions: the channels and bridges it owns.
    pub async fn application(&self) -> Result<Application, AriError> {
        let path = format!("applications/{}", self.inner.app);
        let value = self.get(&path).await?;
        decode(&path, value)
    }

    /// Restricts the events Asterisk sends `app` (this app, or the app of a
    /// request-only socket) to `allowed` types.
    pub async fn set_event_filter(&self, app: &str, allowed: &[&str]) -> Result<(), AriError> {
        let path = format!("applications/{app}/eventFilter");
        let allowed: Vec<Value> = allowed.iter().map(|t| json!({ "type": t })).collect();
        let mut request = AriRequest::get(path);
        request.method = Method::PUT;
        request.body = Some(json!({ "allowed": allowed, "disallowed": [] }));
        self.run(request).await.map(drop)
    }

    /// Asterisk's version, to check the connection.
    pub async fn asterisk_version(&self) -> Result<String, AriError> {
        let value = self.get("asterisk/info").await?;
        Ok(value
            .pointer("/system/version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned())
    }

    // ----- sending ------------------------------------------------------------------

    /// Sends `request` and waits for the answer: on the event socket while it carries
    /// requests, over HTTP otherwise.
    pub async fn run(&self, request: AriRequest) -> Result<Value, AriError> {
        self.run_in_order(None, request).await
    }

    /// Like [`run`](Self::run), on the socket of `order_key`'s requests (see
    /// [`submit`](Self::submit)) if it is given.
    async fn run_in_order(
        &self,
        order_key: Option<&str>,
        request: AriRequest,
    ) -> Result<Value, AriError> {
        let (method, path) = (request.method.clone(), request.path.clone());
        let answer = match self.inner.socket.sender(order_key) {
            Some(socket) => match self.send_over_socket(&socket, request.clone()).await {
                // Its socket closed under it: sent again over HTTP if that is harmless.
                Ok(Answer::Lost(SOCKET_CLOSED)) if request.repeatable => {
                    let key = order_key.unwrap_or(request.path.as_str()).to_owned();
                    self.resend_awaited(&key, request).await?
                }
                Ok(answer) => answer,
                // The socket went away before it took the request: it never reached
                // Asterisk, so HTTP may carry it.
                Err(request) => self.send_over_http_measured(request).await?,
            },
            None => self.send_over_http_measured(request).await?,
        };
        let bytes = answer.body(&method, &path)?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|source| AriError::Decode { path, source })
    }

    /// Sends `request` after the requests of `order_key` sent before it (see
    /// [`submit`](Self::submit)) and waits for the answer, whose body is not needed:
    /// a 404 on a removal counts as done ("already gone").
    pub async fn perform(&self, order_key: &str, request: AriRequest) -> Result<(), AriError> {
        let gone_is_fine = request.gone_is_fine;
        match self.run_in_order(Some(order_key), request).await {
            Err(e) if gone_is_fine && e.is_not_found() => Ok(()),
            answer => answer.map(drop),
        }
    }

    /// Sends `request` on a socket without waiting for its answer, after the
    /// requests with the same `order_key` (a call's id) sent before it: they take
    /// the same socket, and Asterisk carries out one socket's requests in order.
    /// `on_error` runs, on the socket's task, if Asterisk refuses it (a 404 on a
    /// removal is "already gone", not an error) or no answer comes in time.
    ///
    /// Without a socket the request comes back, to be [run](Self::run) over HTTP.
    pub fn submit(
        &self,
        order_key: &str,
        request: AriRequest,
        on_error: impl FnOnce(AriError) + Send + 'static,
    ) -> Result<(), AriRequest> {
        let Some(socket) = self.inner.socket.sender(Some(order_key)) else {
            return Err(request);
        };
        let (method, path, gone_is_fine) = (
            request.method.clone(),
            request.path.clone(),
            request.gone_is_fine,
        );
        // An error reaches the call unless it is "already gone" on a removal.
        let report = move |answer: Result<Answer, AriError>| {
            if let Err(error) = answer.and_then(|answer| answer.body(&method, &path))
                && !(gone_is_fine && error.is_not_found())
            {
                on_error(error);
            }
        };
        // Its socket closed under it: sent again over HTTP if that is harmless.
        let again =
            (request.repeatable).then(|| (self.clone(), request.clone(), order_key.to_owned()));
        let callback = AnswerCallback::new(move |answer| match (answer, again) {
            (Ok(reply), _) => report(Ok(Answer::Socket(reply))),
            (Err(SOCKET_CLOSED), Some((client, request, order_key))) => {
                client.resend(&order_key, request, Box::new(report));
            }
            (Err(reason), _) => report(Ok(Answer::Lost(reason))),
        });
        let sent = socket.send(SocketRequest {
            request,
            waiter: Waiter::Callback(callback),
        });
        match sent {
            Ok(()) => Ok(()),
            Err(mpsc::error::SendError(unsent)) => {
                if let Waiter::Callback(callback) = unsent.waiter {
                    callback.disarm();
                }
                Err(unsent.request)
            }
        }
    }

    /// Notes how long a request took to be answered (the socket reports its own).
    /// Whether the event socket is connected (a handle that follows it).
    pub fn event_socket(&self) -> EventSocketState {
        self.inner.event_socket.clone()
    }

    pub(crate) fn note_latency(&self, took: Duration) {
        crate::metrics::Metrics::global()
            .ari_request_seconds
            .observe(took.as_secs_f64());
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let _ =
            self.inner
                .latency_micros
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                    Some(moving_average(old, sample))
                });
    }

    async fn get(&self, path: &str) -> Result<Value, AriError> {
        self.run(AriRequest::get(path.to_owned())).await
    }

    async fn remove(&self, request: AriRequest) -> Result<Gone, AriError> {
        match self.run(request).await {
            Ok(_) => Ok(Gone::Removed),
            Err(e) if e.is_not_found() => Ok(Gone::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// HTTP, with a slot below Asterisk's session limit; the wait for the slot counts
    /// in the latency.
    pub(super) async fn send_over_http_measured(
        &self,
        request: AriRequest,
    ) -> Result<Answer, AriError> {
        let started = Instant::now();
        let answer = {
            let _permit = self
                .inner
                .in_flight
                .acquire()
                .await
                .expect("the semaphore is never closed");
            self.send_over_http(request).await
        };
        self.note_latency(started.elapsed());
        answer
    }

    /// An HTTP request to `path` below `/ari/`, signed in.
    fn http_request(
        &self,
        method: Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, AriError> {
        let url = self.inner.base.join(path)?;
        Ok(self.inner.http.request(method, url).basic_auth(
            &self.inner.credentials.user,
            Some(&self.inner.credentials.password),
        ))
    }

    async fn send_over_http(&self, request: AriRequest) -> Result<Answer, AriError> {
        let AriRequest {
            method,
            path,
            query,
            body,
            ..
        } = request;
        let mut http = self.http_request(method.clone(), &path)?.query(&query);
        if let Some(body) = body {
            http = http.json(&body);
        }
        let transport = |source| AriError::Transport {
            method: method.clone(),
            path: path.clone(),
            source,
        };
        let response = http.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        Ok(Answer::Http(status, bytes.to_vec()))
    }

    /// Sends the request as a `RESTRequest` frame on the event socket and waits for
    /// the answer; gives the request back if the socket was gone before it took it.
    async fn send_over_socket(
        &self,
        socket: &mpsc::UnboundedSender<SocketRequest>,
        request: AriRequest,
    ) -> Result<Answer, AriRequest> {
        let (reply, answer) = oneshot::channel();
        socket
            .send(SocketRequest {
                request,
                waiter: Waiter::Reply(reply),
            })
            .map_err(|unsent| unsent.0.request)?;
        Ok(
            match tokio::time::timeout(self.inner.request_timeout, answer).await {
                Ok(Ok(reply)) => Answer::Socket(reply),
                Ok(Err(_)) => Answer::Lost(SOCKET_CLOSED),
                Err(_) => Answer::Lost("no answer in time"),
            },
        )
    }

    /// How long a request on the socket may go unanswered.
    pub(crate) fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }
}

/// Longest a recording's download from Asterisk may take.
const RECORDING_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// A stored recording's file on its way from Asterisk (see
/// [`AriClient::stored_recording_file`]).
#[derive(Debug)]
pub struct RecordingFile {
    response: reqwest::Response,
}

impl RecordingFile {
    /// Its size in bytes, if Asterisk said.
    pub fn size(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The HTTP answer, whose body is the file, to read as it arrives.
    pub fn into_response(self) -> reqwest::Response {
        self.response
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
