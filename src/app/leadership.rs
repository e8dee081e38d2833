//! Which `hotline serve` routes calls when several run against one Asterisk and one
//! database: the one holding a Postgres advisory lock. The others wait as standbys,
//! with everything but the Stasis app running (directory, journal, FastAGI, console),
//! and ask for the lock twice a second. When the active instance dies (a crash,
//! `kill -9`, a lost host), Postgres ends its session and frees the lock; a standby
//! takes it, connects the event socket, and adopts the calls in progress through the
//! reconnection resync that already adopts a crashed instance's callers.
//!
//! Asterisk gives a Stasis application to one WebSocket at a time, so two instances
//! must never both connect it: the lock says which one may. No consensus of our own:
//! Postgres decides, and a session that dies releases what it held.
//!
//! The active instance keeps the lock's session alive and checks it every few
//! seconds. If the session is lost (Postgres restarted, network cut) it takes the lock
//! again on a new session as soon as Postgres answers, and goes on routing meanwhile
//! (calls do not wait for Postgres; the journal spools). If by then another instance
//! holds the lock, this one has lost the role: [`ActiveLock::lost`] fires and the
//! service stops its Stasis app, and the other adopts its calls.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

/// How often a standby asks for the lock.
const STANDBY_POLL: Duration = Duration::from_millis(500);
/// How often the active instance checks its lock's session.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The lock's key for an ARI application name: one active instance per app and
/// database (FNV-1a of the name in a namespace of our own, stable across builds).
pub fn lock_key(app: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "hotline-active:".bytes().chain(app.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Held by the active instance; dropping it releases the lock (the session closes).
#[derive(Debug)]
pub struct ActiveLock {
    lost: CancellationToken,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl ActiveLock {
    /// Fires if another instance took the role while this one's session was gone.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }

    /// Releases the lock (at shutdown, once the calls are drained).
    pub async fn release(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Waits until this instance holds the lock for `app` (at once when no other runs);
/// `None` if `shutdown` comes first. Errors reaching Postgres are retried.
pub async fn become_active(
    database_url: &str,
    app: &str,
    shutdown: &CancellationToken,
) -> Option<ActiveLock> {
    let key = lock_key(app);
    let mut said_standby = false;
    let mut last_error: Option<String> = None;
    loop {
        match try_lock(database_url, key).await {
            Ok(Some(session)) => {
                if said_standby {
                    tracing::warn!(app, "the active instance is gone: this one takes over");
                } else {
                    tracing::info!(app, "active: this instance routes the calls");
                }
                return Some(keep(session, database_url.to_owned(), key, app.to_owned()));
            }
            Ok(None) => {
                if !said_standby {
                    tracing::info!(
                        app,
                        "standby: another instance is active; waiting to take over"
                    );
                    said_standby = true;
                }
            }
            Err(error) => {
                let text = error.to_string();
                if last_error.as_deref() != Some(&text) {
                    tracing::warn!(%error, "cannot ask Postgres who is active; trying again");
                }
                last_error = Some(text);
            }
        }
        tokio::select! {
            () = tokio::time::sleep(STANDBY_POLL) => {}
            () = shutdown.cancelled() => return None,
        }
    }
}

/// A new session holding the lock, or `None` when another session holds it.
async fn try_lock(database_url: &str, key: i64) -> Result<Option<PgConnection>, sqlx::Error> {
    let mut session =
        tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(database_url))
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(&mut session)
        .await?;
    Ok(locked.then_some(session))
}

/// Keeps the lock's session alive; takes the lock again on a new session if it is
/// lost, or reports the role lost if another instance holds it by then.
fn keep(session: PgConnection, database_url: String, key: i64, app: String) -> ActiveLock {
    let (lost, stop) = (CancellationToken::new(), CancellationToken::new());
    let (lost_tx, stop_rx) = (lost.clone(), stop.clone());
    let task = tokio::spawn(async move {
        let mut session = Some(session);
        loop {
            tokio::select! {
                () = tokio::time::sleep(CHECK_EVERY) => {}
                () = stop_rx.cancelled() => break,
            }
            if let Some(current) = session.as_mut() {
                let alive = tokio::time::timeout(
                    Duration::from_secs(2),
                    sqlx::query("SELECT 1").execute(&mut *current),
                )
                .await;
                if matches!(alive, Ok(Ok(_))) {
                    continue;
                }
                tracing::warn!(
                    app,
                    "the session holding the active role is lost; taking the role again when Postgres answers"
                );
                session = None;
            }
            match try_lock(&database_url, key).await {
                Ok(Some(again)) => {
                    tracing::info!(app, "active role held again on a new session");
                    session = Some(again);
                }
                Ok(None) => {
                    tracing::error!(
                        app,
                        "another instance took the active role while Postgres was away: stepping down"
                    );
                    lost_tx.cancel();
                    break;
                }
                // Postgres still away: keep routing, ask again later.
                Err(_) => {}
            }
        }
        if let Some(session) = session {
            let _ = session.close().await;
        }
    });
    ActiveLock { lost, stop, task }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_stable_and_differs_by_app() {
        assert_eq!(lock_key("hotline"), lock_key("hotline"));
        assert_ne!(lock_key("hotline"), lock_key("hotline-test"));
    }
}
