//! Call recordings: what the journal knows of them, the retention cleanup, and the
//! admins' access to them (every access written down).
//!
//! Asterisk makes and keeps the files: a call of a recorded line asks it to record
//! the caller's bridge (`POST /bridges/{id}/record`, see [`crate::call`]) under the
//! name `folder/call_key`, and it writes `folder/call_key.wav` in its recording
//! directory (`/var/spool/asterisk/recording` unless `asterisk.conf` moves it). The
//! service never touches that folder itself: it deletes through ARI
//! (`DELETE /recordings/stored/{name}`) and reads through ARI
//! (`GET /recordings/stored/{name}/file`), so it may run on another host.
//!
//! Retention: a recording is kept for its line's `recording_retention_days`,
//! counted from the call's start, in real time (not the routing clock a test may
//! shift). [`purge_expired`] deletes what is older and marks the journal row
//! (`recording_removed_at`); a file found already gone is marked too.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::ari::AsteriskNodes;

/// Recordings deleted per database round trip of the cleanup.
const PURGE_BATCH: i64 = 200;

/// Errors of the recordings' bookkeeping.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The journal could not be read or marked.
    #[error("journal: {0}")]
    Database(#[from] sqlx::Error),
    /// The configured folder is not a safe relative path.
    #[error(
        "recording folder {0:?}: use letters, digits, '_', '-' and '/' only, relative, without '..'"
    )]
    BadFolder(String),
}

/// Checks the `recording_folder` setting: a relative path inside Asterisk's
/// recording directory, in characters that need no quoting anywhere.
pub fn check_folder(folder: &str) -> Result<(), RecordingError> {
    let safe_chars = folder
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/'));
    let segments_ok = folder.split('/').all(|s| !s.is_empty() && s != "..");
    if safe_chars && segments_ok && !folder.is_empty() {
        Ok(())
    } else {
        Err(RecordingError::BadFolder(folder.to_owned()))
    }
}

/// What one cleanup pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeSummary {
    /// Files deleted.
    pub removed: usize,
    /// Files Asterisk no longer had (deleted by hand, or never written); marked too.
    pub already_gone: usize,
    /// Deletions Asterisk refused or did not answer; tried again next pass.
    pub failed: usize,
}

/// One recording past its retention.
#[derive(Debug, sqlx::FromRow)]
struct Expired {
    call_key: String,
    recording_name: String,
    asterisk_node: Option<String>,
}

/// Deletes every recording whose retention ended before `now` and marks the journal.
/// Idempotent, and safe to run from two instances at once.
pub async fn purge_expired(
    pool: &PgPool,
    asterisk: &AsteriskNodes,
    now: DateTime<Utc>,
) -> Result<PurgeSummary, RecordingError> {
    let mut summary = PurgeSummary::default();
    // Keys that failed this pass, so one stubborn file does not loop it.
    let mut failed: Vec<String> = Vec::new();
    loop {
        let batch: Vec<Expired> = sqlx::query_as(
            "SELECT c.call_key, c.recording_name, c.asterisk_node FROM call_record c
               JOIN line l ON l.number = c.line
              WHERE c.recording_name IS NOT NULL AND c.recording_removed_at IS NULL
                AND c.entered_at + make_interval(days => l.recording_retention_days) <= $1
                AND c.call_key <> ALL($2)
              ORDER BY c.entered_at
              LIMIT $3",
        )
        .bind(now)
        .bind(&failed)
        .bind(PURGE_BATCH)
        .fetch_all(pool)
        .await?;
        if batch.is_empty() {
            break;
        }
        for expired in batch {
            let node = asterisk.get(expired.asterisk_node.as_deref());
            match node.delete_stored_recording(&expired.recording_name).await {
                Ok(gone) => {
                    mark_removed(pool, &expired.call_key, now).await?;
                    match gone {
                        crate::ari::Gone::Removed => summary.removed += 1,
                        crate::ari::Gone::AlreadyGone => summary.already_gone += 1,
                    }
                }
                Err(error) => {
                    tracing::warn!(call_id = %expired.call_key, %error,
                        "cannot delete an expired recording; trying again next pass");
                    summary.failed += 1;
                    failed.push(expired.call_key);
                }
            }
        }
    }
    Ok(summary)
}

async fn mark_removed(
    pool: &PgPool,
    call_key: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE call_record SET recording_removed_at = $2
          WHERE call_key = $1 AND recording_removed_at IS NULL",
    )
    .bind(call_key)
    .bind(now)
    .execute(pool)
    .await
    .map(drop)
}

/// Runs [`purge_expired`] now and then every `every` until `stop`, logging what it
/// did; a pass that fails is logged and the next one tries again.
pub async fn run_cleanup(
    pool: PgPool,
    asterisk: AsteriskNodes,
    every: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        match purge_expired(&pool, &asterisk, Utc::now()).await {
            Ok(summary) if summary == PurgeSummary::default() => {}
            Ok(summary) if summary.failed > 0 => tracing::error!(
                removed = summary.removed,
                already_gone = summary.already_gone,
                failed = summary.failed,
                "recordings past retention could not all be deleted: they are kept longer than the regulation allows"
            ),
            Ok(summary) => tracing::info!(
                removed = summary.removed,
                already_gone = summary.already_gone,
                "recordings past retention deleted"
            ),
            Err(error) => tracing::error!(%error, "recording cleanup failed"),
        }
    }
}

/// A call's recording as the journal knows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct CallRecording {
    /// The call.
    pub call_key: String,
    /// The line called.
    pub line: String,
    /// When the call came in.
    pub entered_at: DateTime<Utc>,
    /// Who answered (staff member or specialist), if anyone did.
    pub answered_name: Option<String>,
    /// The stored recording's name in Asterisk.
    pub recording_name: String,
    /// When recording started.
    pub recording_started_at: Option<DateTime<Utc>>,
    /// When the call ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// When the retention cleanup removed the file (none: still kept).
    pub recording_removed_at: Option<DateTime<Utc>>,
    /// The Asterisk node that keeps the file (none: the first one).
    pub asterisk_node: Option<String>,
}

/// A call's recording, if the call was recorded.
pub async fn find(pool: &PgPool, call_key: &str) -> Result<Option<CallRecording>, sqlx::Error> {
    Ok(select(pool, Some(call_key), None, 1).await?.pop())
}

/// Recorded calls, newest first, entered before `before` if given.
pub async fn list(
    pool: &PgPool,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<CallRecording>, sqlx::Error> {
    select(pool, None, before, limit).await
}

async fn select(
    pool: &PgPool,
    call_key: Option<&str>,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<CallRecording>, sqlx::Error> {
    sqlx::query_as(
        "SELECT call_key, line, entered_at, answered_name, recording_name,
                recording_started_at, ended_at, recording_removed_at, asterisk_node
           FROM call_record
          WHERE recording_name IS NOT NULL
            AND ($1::text IS NULL OR call_key = $1)
            AND ($2::timestamptz IS NULL OR entered_at < $2)
          ORDER BY entered_at DESC LIMIT $3",
    )
    .bind(call_key)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One listening or download of a recording.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct RecordingAccess {
    /// The call whose recording it was.
    pub call_key: String,
    /// The console user.
    pub console_user: String,
    /// When.
    pub accessed_at: DateTime<Utc>,
    /// From which address.
    pub address: Option<String>,
}

/// Writes down that `console_user` opened the recording of `call_key`; done before
/// the file is served, so nobody hears a recording the audit does not show.
pub async fn note_access(
    pool: &PgPool,
    call_key: &str,
    console_user: &str,
    address: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO recording_access (call_key, console_user, address) VALUES ($1, $2, $3)",
    )
    .bind(call_key)
    .bind(console_user)
    .bind(address)
    .execute(pool)
    .await
    .map(drop)
}

/// The accesses to recordings, newest first (of one call if given).
pub async fn accesses(
    pool: &PgPool,
    call_key: Option<&str>,
    limit: i64,
) -> Result<Vec<RecordingAccess>, sqlx::Error> {
    sqlx::query_as(
        "SELECT call_key, console_user, accessed_at, address FROM recording_access
          WHERE $1::text IS NULL OR call_key = $1
          ORDER BY id DESC LIMIT $2",
    )
    .bind(call_key)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_folder_is_a_plain_relative_path() {
        for good in ["hotline", "hotline/122", "a_b-c/d"] {
            assert!(check_folder(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/abs",
            "a/../b",
            "..",
            "a//b",
            "a/",
            "with space",
            "a%2Fb",
            "зап",
        ] {
            assert!(check_folder(bad).is_err(), "{bad}");
        }
    }
}
