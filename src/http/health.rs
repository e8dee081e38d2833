//! `GET /health`: for a load balancer or monitoring, without signing in, so it says
//! only yes or no and when, never a row or an error text (which could name staff).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
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
    let database_reachable = matches!(
        tokio::time::timeout(
            DATABASE_TIMEOUT,
            sqlx::query("SELECT 1").execute(&state.pool)
        )
        .await,
        Ok(Ok(_))
    );
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
