//! The console on either instance: what only the active instance knows (the
//! specialists' queue, the calls in progress and their transfers, the live events
//! and the wallboard built on them) is asked of the active instance when this one
//! stands by.
//!
//! The active instance publishes its console's address in Postgres when it takes
//! the role (`active_console`, one row per ARI app); a standby's [`forward_to_active`]
//! passes such requests on to that address with the user's session cookie (sessions
//! are in Postgres, so the active instance knows them) and streams the answer back,
//! Server-Sent Events included. The standby has already checked the request's
//! origin; the active one checks the session and the role as for any request.
//! Everything else (directory, appeals, reports, audit, recordings, desk states) is
//! served from Postgres by whichever instance is asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderName, LAST_MODIFIED, ORIGIN, SET_COOKIE,
};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use super::HttpState;
use super::error::HttpError;

/// Request headers passed on to the active instance.
const REQUEST_HEADERS: &[HeaderName] = &[COOKIE, CONTENT_TYPE, ACCEPT];
/// Answer headers passed back.
const ANSWER_HEADERS: &[HeaderName] = &[CONTENT_TYPE, CACHE_CONTROL, LAST_MODIFIED, SET_COOKIE];

/// Whether this instance routes calls, and how to reach the one that does.
#[derive(Clone, Debug)]
pub struct ActiveConsole {
    /// Set once this instance holds the active role (it never goes back: an
    /// instance that loses the role exits).
    active: Arc<AtomicBool>,
    /// The ARI app the role is for (the row's key).
    app: String,
    /// For the requests passed on; no overall timeout, as event streams stay open.
    client: reqwest::Client,
}

impl ActiveConsole {
    /// A standby's view, until [`ActiveConsole::set_active`].
    pub fn standby(app: &str) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("a plain HTTP client builds");
        Self {
            active: Arc::new(AtomicBool::new(false)),
            app: app.to_owned(),
            client,
        }
    }

    /// An instance that is the active one from the start (tests, one instance).
    pub fn active(app: &str) -> Self {
        let console = Self::standby(app);
        console.active.store(true, Ordering::Relaxed);
        console
    }

    /// Whether this instance routes the calls.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// This instance took the active role: its console serves everything itself,
    /// and the standbys learn its address.
    pub async fn set_active(&self, pool: &PgPool, console_url: &str) -> Result<(), sqlx::Error> {
        self.active.store(true, Ordering::Relaxed);
        sqlx::query(
            "INSERT INTO active_console (ari_app, console_url) VALUES ($1, $2)
             ON CONFLICT (ari_app) DO UPDATE
                SET console_url = EXCLUDED.console_url, became_active_at = now()",
        )
        .bind(&self.app)
        .bind(console_url)
        .execute(pool)
        .await
        .map(drop)
    }

    async fn active_url(&self, pool: &PgPool) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT console_url FROM active_console WHERE ari_app = $1")
            .bind(&self.app)
            .fetch_optional(pool)
            .await
    }
}

/// Serves the request here on the active instance; on a standby passes it on to the
/// active one (503 if none has published its address, 502 if it does not answer).
pub async fn forward_to_active(
    State(state): State<HttpState>,
    request: Request,
    next: Next,
) -> Response {
    let console = &state.active_console;
    if console.is_active() {
        return next.run(request).await;
    }
    let target = match console.active_url(&state.pool).await {
        Ok(Some(target)) => target,
        Ok(None) => return HttpError::NoActiveInstance.into_response(),
        Err(error) => return HttpError::Database(error).into_response(),
    };
    let (parts, body) = request.into_parts();
    // Within the body limit the API takes anyway.
    let Ok(body) = axum::body::to_bytes(body, super::guards::BODY_LIMIT).await else {
        return HttpError::TooLarge.into_response();
    };
    forward(console, &target, parts, body)
        .await
        .unwrap_or_else(|error| HttpError::ActiveUnreachable(error).into_response())
}

async fn forward(
    console: &ActiveConsole,
    target: &str,
    parts: axum::http::request::Parts,
    body: axum::body::Bytes,
) -> Result<Response, reqwest::Error> {
    // The whole path: inside `/api` the router sees it without that prefix.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let mut outgoing = console
        .client
        .request(parts.method.clone(), format!("{target}{path}"))
        .body(body);
    for name in REQUEST_HEADERS {
        if let Some(value) = parts.headers.get(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    if !parts.method.is_safe() {
        // Checked here already; to the active instance it comes from itself.
        outgoing = outgoing.header(ORIGIN, target);
    }
    let answer = outgoing.send().await?;
    let mut headers = HeaderMap::new();
    for name in ANSWER_HEADERS {
        for value in answer.headers().get_all(name) {
            headers.append(name, value.clone());
        }
    }
    let status = answer.status();
    let mut response = super::relayed_body(answer).into_response();
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}
