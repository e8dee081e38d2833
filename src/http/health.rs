//! `GET /health`, `GET /ready` and `GET /metrics`: for a load balancer or monitoring,
//! without signing in, so they say only yes or no, when and how many, never a row or
//! an error text (which could name staff) or a caller's number.
//!
//! `/health` says whether the service works at all (directory loaded, database
//! reachable); `/ready` whether it routes calls now (also: the ARI event socket is
//! connected), for a load balancer or an orchestrator's readiness probe; `/metrics`
//! is what Prometheus scrapes ([`crate::metrics`]).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::HttpState;

/// How long the database gets to answer `SELECT 1` before it counts as unreachable.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// The health report.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` when the directory is loaded and the database answers, else `unavailable`.
    pub status: &'static str,
    /// Whether a directory snapshot is being served.
    pub directory_loaded: bool,
    /// When it was last loaded.
    pub directory_loaded_at: Option<DateTime<Utc>>,
    /// True while the latest reload was refused (the service runs on an older one).
    pub directory_reload_failed: bool,
    /// Whether edits reach the service at once (LISTEN connected).
    pub directory_listening: bool,
    /// Whether Postgres answered within two seconds.
    pub database_reachable: bool,
    /// Production calendar years due now (this one, and from 1 October the next)
    /// whose decree is not loaded: days off the decree will move are routed wrong
    /// until it is imported. Not a failure of the service, so `status` stays `ok`.
    pub calendar_unconfirmed_years: Vec<i32>,
    /// What the journal does: `writing`, or `spooling, N records` while Postgres is
    /// away (calls are still routed and recorded; the records wait on disk).
    pub journal: String,
    /// Records waiting for Postgres (in the spool file, or in memory when it is full).
    pub journal_waiting: u64,
}

/// `GET /health`: 200 when healthy, 503 otherwise, with the report either way.
pub async fn health(State(state): State<HttpState>) -> (StatusCode, Json<Health>) {
    let directory = state.directory.health();
    let database_reachable = database_reachable(&state).await;
    let directory_loaded = directory.last_loaded_at.is_some();
    let calendar_unconfirmed_years =
        (state.directory.current().calendar).unconfirmed_years_due_at(state.clock.now());
    let healthy = directory_loaded && database_reachable;
    let report = Health {
        status: if healthy { "ok" } else { "unavailable" },
        directory_loaded,
        directory_loaded_at: directory.last_loaded_at,
        directory_reload_failed: directory.last_error.is_some(),
        directory_listening: directory.listening,
        database_reachable,
        calendar_unconfirmed_years,
        journal: state.journal.describe(),
        journal_waiting: state.journal.spooled() + state.journal.held(),
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(report))
}

async fn database_reachable(state: &HttpState) -> bool {
    matches!(
        tokio::time::timeout(
            DATABASE_TIMEOUT,
            sqlx::query("SELECT 1").execute(&state.pool)
        )
        .await,
        Ok(Ok(_))
    )
}

/// The readiness report.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// True when calls are routed now: every field below holds.
    pub ready: bool,
    /// Whether Postgres answered within two seconds.
    pub database_reachable: bool,
    /// Whether every Asterisk node's ARI event socket is connected (without it that
    /// node's Stasis() fails and its dialplan fallback takes the calls).
    pub ari_event_socket_connected: bool,
    /// Whether a directory snapshot is being served.
    pub directory_loaded: bool,
}

/// `GET /ready`: 200 when the service routes calls now, 503 otherwise.
pub async fn ready(State(state): State<HttpState>) -> (StatusCode, Json<Readiness>) {
    let report = Readiness {
        database_reachable: database_reachable(&state).await,
        ari_event_socket_connected: state.asterisk.all_connected(),
        directory_loaded: state.directory.health().last_loaded_at.is_some(),
        ready: false,
    };
    let ready =
        report.database_reachable && report.ari_event_socket_connected && report.directory_loaded;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Readiness { ready, ..report }))
}

/// `GET /metrics`: the Prometheus scrape, with the values read at scrape time
/// (queue, journal, calendar, ARI socket) refreshed first.
pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let metrics = crate::metrics::Metrics::global();
    // Waits are real time; the calendar is asked at the routing clock's instant.
    let now = chrono::Utc::now();
    // The queue task gone (shutting down): its figures read as empty.
    let queue = state.queue.view().await.unwrap_or_default();
    let longest_wait = queue
        .oldest_waiting_since()
        .map_or(0, |since| (now - since).num_milliseconds().max(0));
    metrics.set_scrape_values(&crate::metrics::ScrapeValues {
        ari_event_socket_connected: state.asterisk.all_connected(),
        queue_waiting: queue.waiting.len(),
        #[expect(
            clippy::cast_precision_loss,
            reason = "a wait in ms fits an f64 exactly"
        )]
        queue_longest_wait_seconds: longest_wait as f64 / 1000.0,
        specialists: queue.specialists_by_state(),
        journal_written: state.journal.written(),
        journal_waiting: state.journal.spooled() + state.journal.held(),
        journal_spooling: state.journal.spooling(),
        calendar_unconfirmed_years: (state.directory.current().calendar)
            .unconfirmed_years_due_at(state.clock.now())
            .len(),
    });
    (
        [(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        metrics.render(),
    )
}
