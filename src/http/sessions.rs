//! The end of console sessions reaching open event streams.
//!
//! A session ends by being deleted from `console_session`: sign-out, a password
//! change or deactivation (the schema's `console_user_sign_out` trigger), or the
//! sweep here once it is expired or idle. The schema announces every deletion on
//! [`SESSION_CLOSED_CHANNEL`]; the console listener ([`super::events`]) turns those
//! notifications into [`SessionSignal`]s, and each open stream whose session ended
//! closes. So a stream ends within moments of the sign-out, on every instance,
//! whoever signed the user out.
//!
//! While the listener is reconnecting, notifications are lost: it then sends
//! [`SessionSignal::Recheck`], and each stream asks the database whether its session
//! is still there.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The channel the schema's `console_session_closed_notify` trigger notifies on,
/// with the session's id as the payload.
pub const SESSION_CLOSED_CHANNEL: &str = "console_session_closed";

/// How often expired and idle sessions (and old sign-in failures) are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(20);

/// What open event streams are told about sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionSignal {
    /// This session was deleted: its streams close.
    Closed(String),
    /// Closures may have been missed: every stream checks its session.
    Recheck,
}

/// The broadcast of [`SessionSignal`]s to open event streams. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SessionSignals {
    sender: broadcast::Sender<SessionSignal>,
}

impl Default for SessionSignals {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionSignals {
    /// A channel with room for a burst of sign-outs; a stream that falls behind
    /// rechecks its session instead.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(256);
        Self { sender }
    }

    /// Tells every open stream. Never blocks.
    pub fn publish(&self, signal: SessionSignal) {
        let _ = self.sender.send(signal);
    }

    /// A receiver of every signal from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SessionSignal> {
        self.sender.subscribe()
    }
}

/// Deletes expired sessions, sessions idle longer than `idle`, and sign-in
/// failures older than a day, every [`SWEEP_EVERY`] until `shutdown`. Deleting is
/// what closes the sessions' open streams (through the trigger's notification).
/// Every instance sweeps; the deletes are idempotent.
pub async fn sweep(pool: PgPool, idle: chrono::Duration, shutdown: CancellationToken) {
    loop {
        if let Err(error) = sweep_once(&pool, idle).await {
            tracing::warn!(%error, "cannot delete ended console sessions; will retry");
        }
        let slept = shutdown
            .run_until_cancelled(tokio::time::sleep(SWEEP_EVERY))
            .await;
        if slept.is_none() {
            return;
        }
    }
}

/// One sweep; returns how many sessions ended.
pub async fn sweep_once(pool: &PgPool, idle: chrono::Duration) -> Result<u64, sqlx::Error> {
    let ended = sqlx::query(
        "DELETE FROM console_session \
         WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)",
    )
    .bind(idle.num_seconds() as f64)
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM console_login_failure WHERE at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    if ended > 0 {
        tracing::debug!(ended, "console sessions ended (expired or idle)");
    }
    Ok(ended)
}
