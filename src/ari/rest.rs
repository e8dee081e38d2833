//! Typed ARI REST calls over one pooled `reqwest` client.
//!
//! - A keep-alive pool, and a semaphore bounding requests in flight below Asterisk's
//!   `http.conf` `sessionlimit`: past it Asterisk refuses sessions and leaves channels
//!   stuck, so we queue instead.
//! - Every request has a timeout.
//! - A 404 on hang-up, bridge destroy or playback stop means "already gone": those
//!   calls return `Ok(Gone::AlreadyGone)`, not an error.
//! - The password is never logged: [`AriCredentials`] has a redacting `Debug`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::models::{Application, Bridge, Channel};

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
        let url = self.inner.base.join(path)?;
        let _permit = self
            .inner
            .in_flight
            .acquire()
            .await
            .expect("the semaphore is never closed");
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
}

fn decode<T: DeserializeOwned>(path: &str, value: Value) -> Result<T, AriError> {
    serde_json::from_value(value).map_err(|source| AriError::Decode {
        path: path.to_owned(),
        source,
    })
}
