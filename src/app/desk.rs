//! The specialists' desk states in Postgres (`specialist_desk`, migration
//! 20261206000004): the console writes each change there as well as to its own
//! queue; the instance that routes calls applies the changes other instances'
//! consoles announce, and restores every state when it takes over. So a specialist's
//! "ready" survives a takeover, and either instance's console works.

use serde::Deserialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{DeskRequest, QueueHandle};
use crate::directory::listener::{Backoff, ListenEvent, NotificationListener, listener_pool};
use crate::routing::SpecialistId;

/// This process's name in `specialist_desk.changed_by`: its own changes, already
/// applied to its queue, are not applied twice.
pub fn instance_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| format!("{}-{:08x}", std::process::id(), fastrand::u32(..)))
}

fn word(state: DeskRequest) -> &'static str {
    match state {
        DeskRequest::Ready => "ready",
        DeskRequest::Paused => "paused",
        DeskRequest::SignedOut => "signed_out",
    }
}

fn parse(word: &str) -> Option<DeskRequest> {
    match word {
        "ready" => Some(DeskRequest::Ready),
        "paused" => Some(DeskRequest::Paused),
        "signed_out" => Some(DeskRequest::SignedOut),
        _ => None,
    }
}

/// Records a specialist's desk change made on this instance's console.
pub async fn record(
    pool: &PgPool,
    specialist: SpecialistId,
    state: DeskRequest,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO specialist_desk (specialist_id, state, changed_at, changed_by)
         VALUES ($1, $2, now(), $3)
         ON CONFLICT (specialist_id) DO UPDATE
            SET state = EXCLUDED.state, changed_at = now(), changed_by = EXCLUDED.changed_by",
    )
    .bind(specialist.0)
    .bind(word(state))
    .bind(instance_name())
    .execute(pool)
    .await?;
    Ok(())
}

/// Applies every recorded state to `queue` (at takeover); returns how many.
pub async fn restore(pool: &PgPool, queue: &QueueHandle) -> Result<usize, sqlx::Error> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT specialist_id, state FROM specialist_desk WHERE state <> 'signed_out'
          ORDER BY changed_at",
    )
    .fetch_all(pool)
    .await?;
    let mut restored = 0;
    for (id, state) in rows {
        let Some(state) = parse(&state) else { continue };
        match queue.set_desk(SpecialistId(id), state).await {
            Ok(()) => restored += 1,
            Err(error) => {
                tracing::warn!(specialist = id, %error, "cannot restore a specialist's desk state")
            }
        }
    }
    Ok(restored)
}

#[derive(Deserialize)]
struct Changed {
    specialist_id: i64,
    state: String,
    changed_by: String,
}

/// Applies the desk changes other instances' consoles announce, until `stop`.
/// The listener reconnects with backoff (1 s doubling to 30 s) while Postgres is
/// away; on each connection it restores every state, for a change recorded while
/// nobody listened.
pub async fn follow(pool: PgPool, queue: QueueHandle, stop: CancellationToken) {
    let backoff = Backoff {
        min: std::time::Duration::from_secs(1),
        max: std::time::Duration::from_secs(30),
    };
    // A connection of its own, as the other listeners have: never one of the pool's.
    let mut listener = NotificationListener::new(
        listener_pool(&pool, "hotline-desk-listener"),
        &["specialist_desk_changed"],
        backoff,
        "desk change listener",
    );
    while let Some(event) = stop.run_until_cancelled(listener.next()).await {
        let notification = match event {
            ListenEvent::Notification(notification) => notification,
            // Also at the first connection: a change made between the restore at
            // start and this LISTEN would be missed otherwise.
            ListenEvent::Connected { .. } => {
                if let Err(error) = restore(&pool, &queue).await {
                    tracing::warn!(%error, "cannot restore the specialists' desk states");
                }
                continue;
            }
            ListenEvent::Lost(_) => continue,
        };
        let Ok(changed) = serde_json::from_str::<Changed>(notification.payload()) else {
            continue;
        };
        if changed.changed_by == instance_name() {
            continue;
        }
        let Some(state) = parse(&changed.state) else {
            continue;
        };
        if let Err(error) = queue
            .set_desk(SpecialistId(changed.specialist_id), state)
            .await
        {
            tracing::warn!(specialist = changed.specialist_id, %error, "cannot apply a desk change made on another instance");
        }
    }
}
