//! The specialists' desk states in Postgres (`specialist_desk`, migration
//! 20261206000004): the console writes each change there as well as to its own
//! queue; the instance that routes calls applies the changes other instances'
//! consoles announce, and restores every state when it takes over. So a specialist's
//! "ready" survives a takeover, and either instance's console works.

use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::{DeskRequest, QueueHandle};
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
/// The listener reconnects by itself on its next `recv`; while Postgres is away it
/// waits between attempts (1 s doubling to 30 s) instead of spinning. At the first
/// notification after such a gap it restores every state, for a change recorded
/// while it was reconnecting (none can be recorded while Postgres is away).
pub async fn follow(pool: PgPool, queue: QueueHandle, stop: CancellationToken) {
    const RETRY_MIN: std::time::Duration = std::time::Duration::from_secs(1);
    const RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(30);
    let mut listener = match PgListener::connect_with(&pool).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "cannot listen for desk changes made on other instances");
            return;
        }
    };
    if let Err(error) = listener.listen("specialist_desk_changed").await {
        tracing::warn!(%error, "cannot listen for desk changes made on other instances");
        return;
    }
    let mut retry: Option<std::time::Duration> = None;
    loop {
        let Some(received) = stop.run_until_cancelled(listener.recv()).await else {
            return;
        };
        let notification = match received {
            Ok(notification) => notification,
            Err(error) => {
                let wait = retry.map_or(RETRY_MIN, |last| (last * 2).min(RETRY_MAX));
                if retry.is_none() {
                    tracing::warn!(%error, "desk change listener lost Postgres; reconnecting");
                }
                retry = Some(wait);
                if stop
                    .run_until_cancelled(tokio::time::sleep(wait))
                    .await
                    .is_none()
                {
                    return;
                }
                continue;
            }
        };
        if retry.take().is_some() {
            tracing::info!("desk change listener reconnected");
            if let Err(error) = restore(&pool, &queue).await {
                tracing::warn!(%error, "cannot restore the specialists' desk states");
            }
        }
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
