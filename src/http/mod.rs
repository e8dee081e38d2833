//! The HTTP adapter: the operator console's API and pages, live updates, health.
//!
//! Layout (the sqlx `axum-social-with-tests` shape): [`app`] builds the whole
//! `Router` from an [`HttpState`], so tests call it with `tower::ServiceExt::oneshot`
//! and no socket; [`HttpServer`] binds it to `http_listen` for `hotline serve`.
//!
//! - [`auth`]: the session cookie, the [`auth::CurrentUser`] extractor and the
//!   `require_*` checks; the roles matrix is in its documentation.
//! - [`accounts`]: users, argon2 password hashes and sessions in Postgres (also used
//!   by `hotline user …`).
//! - [`appeals`]: appeals for the responsible organisations.
//! - [`directory_view`]: the directory with who is on duty, and the routing
//!   policy's decision for any line, digit or topic and instant.
//! - [`events`]: [`events::ConsoleEvent`]s on one broadcast channel, streamed to
//!   browsers as Server-Sent Events, filtered per user.
//! - [`error`]: [`error::HttpError`], the only error type handlers return.
//! - [`audit_view`]: the audit of roster changes (admins).
//! - [`recordings_view`]: call recordings for admins: list, audited playback and
//!   download, the access log.
//! - [`reports_view`]: call reports (JSON, CSV, SVG chart) and abandoned calls.
//! - [`health`]: `GET /health`, `/ready`, `/metrics`; `assets`: the compiled-in pages (`static/`).
//! - [`guards`]: what every request passes (same-origin check for state changes,
//!   body limit) and the security headers on every answer.
//! - [`standby`]: on a standby instance, the queue, calls, live events and
//!   wallboard are asked of the active instance.
//! - [`sessions`]: ended sessions (sign-out, password change, idle) closing open
//!   event streams; [`throttle`]: failed sign-ins counted per login and address.
//!
//! Every `/api/` handler except `POST /api/login` takes a [`auth::CurrentUser`] (no
//! session: 401 before the handler runs) and calls a `require_*` check first. The
//! handlers hold no routing or scheduling logic; they translate HTTP to the
//! repository and policy calls and back.

pub mod accounts;
pub mod appeals;
mod assets;
pub mod audit_view;
pub mod auth;
pub mod directory_view;
pub mod error;
pub mod events;
pub mod guards;
pub mod health;
pub mod queue_view;
pub mod recordings_view;
pub mod reports_view;
pub mod sessions;
pub mod standby;
pub mod throttle;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Uri};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use axum::routing::{get, post};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::{CallControl, QueueHandle, RoutingClock};
use crate::directory::DirectoryCache;
use error::HttpError;
use events::ConsoleEvents;

/// Everything a handler may need. Cheap to clone (handles only). The call flow's
/// console parts (queue, transfers) add their handles here.
#[derive(Clone)]
pub struct HttpState {
    /// Accounts, sessions and appeals.
    pub pool: PgPool,
    /// The directory snapshot: topics, organisations (and their hierarchy, which
    /// decides who sees whose appeals), staff.
    pub directory: DirectoryCache,
    /// Live updates to open consoles.
    pub events: ConsoleEvents,
    /// The specialists' queue: waiting calls and specialists' states.
    pub queue: QueueHandle,
    /// Calls in progress, for transfers.
    pub calls: CallControl,
    /// "Now" for routing questions and duty states: the same clock calls are routed
    /// by, so a shifted demo clock shows the same answers.
    pub clock: RoutingClock,
    /// Session lifetime and cookie flags.
    pub options: HttpOptions,
    /// Cancelled at shutdown: ends the event streams, so the server can stop.
    pub shutdown: CancellationToken,
    /// Whether the journal writes or spools, for `/health`.
    pub journal: crate::journal::JournalStatus,
    /// Ended sessions, told to open event streams.
    pub sessions: sessions::SessionSignals,
    /// The Asterisk nodes: whether their event sockets are connected (`/ready`,
    /// `/metrics`), and where call recordings are kept and read from.
    pub asterisk: crate::ari::AsteriskNodes,
    /// Whether this instance routes the calls; on a standby, where the queue and the
    /// calls' routes are passed on to (see [`standby`]).
    pub active_console: standby::ActiveConsole,
}

/// Tunables of the console's sessions and request checks.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// How long a sign-in lasts at most: a shift, plus some.
    pub session_ttl: chrono::Duration,
    /// How long a session may go without a request before it ends.
    pub session_idle: chrono::Duration,
    /// Mark the cookie `Secure` (only sent over HTTPS): set it when a TLS proxy fronts
    /// the service; leave it off for plain-HTTP access on a trusted network.
    pub secure_cookie: bool,
    /// Failed sign-ins allowed per login and per address.
    pub login_throttle: throttle::LoginThrottle,
    /// Take the client's address from `X-Forwarded-For` (behind a proxy only).
    pub trust_forwarded_for: bool,
    /// Origins besides the service's own that may send state-changing requests.
    pub allowed_origins: Vec<String>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::hours(12),
            session_idle: chrono::Duration::minutes(60),
            secure_cookie: false,
            login_throttle: throttle::LoginThrottle::default(),
            trust_forwarded_for: false,
            allowed_origins: Vec::new(),
        }
    }
}

/// The whole HTTP surface: API, live events, health and the console's pages.
pub fn app(state: HttpState) -> Router {
    let api = Router::new()
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/password", post(auth::change_password))
        .route("/route", get(directory_view::route))
        .route("/directory", get(directory_view::directory))
        .route("/appeals", get(appeals::list).post(appeals::create))
        .route("/appeals/{id}/done", post(appeals::complete))
        .route("/desk", post(queue_view::set_desk))
        .route("/audit", get(audit_view::list))
        .route("/recordings", get(recordings_view::list))
        .route("/recordings/access", get(recordings_view::access_log))
        .route("/calls/{call}/recording", get(recordings_view::file))
        .route("/reports/calls", get(reports_view::calls))
        .route("/reports/calls.csv", get(reports_view::calls_csv))
        .route("/reports/chart.svg", get(reports_view::chart))
        .route("/reports/abandoned", get(reports_view::abandoned))
        .merge(active_only(state.clone()))
        .fallback(api_not_found)
        .layer(from_fn_with_state(state.clone(), guards::same_origin_only))
        .layer(DefaultBodyLimit::max(guards::BODY_LIMIT))
        .layer(map_response(no_store));
    Router::new()
        .nest("/api", api)
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .merge(assets::routes())
        .layer(map_response(guards::security_headers))
        .with_state(state)
}

/// What only the instance routing the calls knows: its queue, its calls, the live
/// events and the wallboard; a standby passes these on ([`standby`]).
fn active_only(state: HttpState) -> Router<HttpState> {
    Router::new()
        .route("/queue", get(queue_view::queue))
        .route("/calls/{call}/transfer", post(queue_view::transfer))
        .route(
            "/calls/{call}/transfer/complete",
            post(queue_view::complete_consultation),
        )
        .route(
            "/calls/{call}/transfer/cancel",
            post(queue_view::cancel_consultation),
        )
        .route("/wallboard", get(reports_view::wallboard))
        .route("/events", get(events::stream))
        .route_layer(from_fn_with_state(state, standby::forward_to_active))
}

/// The body of an answer fetched from elsewhere (Asterisk's recording, the active
/// instance's console), passed on chunk by chunk as it arrives, never held whole:
/// a recording runs to megabytes and an event stream never ends.
fn relayed_body(answer: reqwest::Response) -> axum::body::Body {
    axum::body::Body::from_stream(futures_util::stream::try_unfold(
        answer,
        |mut answer| async move {
            Ok::<_, reqwest::Error>(answer.chunk().await?.map(|chunk| (chunk, answer)))
        },
    ))
}

/// Unknown `/api/…` paths answer in the API's JSON error format.
async fn api_not_found(uri: Uri) -> HttpError {
    tracing::debug!(%uri, "no such API endpoint");
    HttpError::NotFound {
        what: "no such API endpoint / такого адреса API нет",
    }
}

/// API answers are personal: never cached by the browser or a proxy.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Why the HTTP server could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpStartError {
    /// The `http_listen` address could not be bound.
    #[error("cannot listen for HTTP on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why (in use, not permitted).
        source: std::io::Error,
    },
    /// The appeal listener could not connect to Postgres.
    #[error("cannot listen for appeal changes: {0}")]
    Listener(#[from] sqlx::Error),
}

/// The console's HTTP server, bound and ready to run.
pub struct HttpServer {
    /// The bound socket (port 0 resolved, for tests).
    listener: TcpListener,
    /// The state, with the shutdown token that stops it.
    state: HttpState,
}

impl HttpServer {
    /// Binds `address` and connects the live-update sources (appeal notifications,
    /// directory changes), so events flow as soon as this returns.
    pub async fn bind(address: SocketAddr, state: HttpState) -> Result<Self, HttpStartError> {
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| HttpStartError::Bind { address, source })?;
        Ok(Self { listener, state })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts the event sources and serves until `state.shutdown` is cancelled; then
    /// open event streams end, requests in flight finish, and the task returns.
    pub async fn start(self) -> Result<JoinHandle<()>, HttpStartError> {
        let state = self.state;
        let sources = events::start_event_sources(&state).await?;
        let shutdown = state.shutdown.clone();
        let address = self.listener.local_addr().ok();
        tracing::info!(?address, "console HTTP serving");
        // The peer's address reaches handlers (sign-in throttling per address).
        let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move { shutdown.cancelled().await });
        Ok(tokio::spawn(async move {
            if let Err(error) = server.await {
                tracing::error!(%error, "console HTTP server failed");
            }
            let _ = sources.await;
            tracing::debug!("console HTTP stopped");
        }))
    }
}
