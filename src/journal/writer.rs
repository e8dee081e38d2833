//! The journal's queue and the task that writes it to Postgres.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::record::{JournalRecord, RecordKind};

/// Most facts applied in one transaction.
const BATCH: usize = 256;
/// How long the writer lets facts gather before a transaction, so a busy minute
/// costs a few commits a second instead of one per fact (each commit is an fsync).
const GATHER: Duration = Duration::from_millis(20);
/// Longest pause between retries while Postgres is away.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Errors of the journal's spool file (Postgres errors are retried, not returned).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The spool file could not be read or written.
    #[error("journal spool {path}: {source}")]
    Spool {
        /// The spool file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of the spool file is not a journal record.
    #[error("journal spool {path} line {line}: {source}")]
    SpoolLine {
        /// The spool file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Why it did not parse.
        source: serde_json::Error,
    },
}

/// A cheap, cloneable handle calls use to record facts. Never blocks, never fails:
/// if the writer is gone (shutdown), the fact is logged at error level instead.
#[derive(Clone, Debug)]
pub struct Journal {
    tx: mpsc::UnboundedSender<JournalRecord>,
}

impl Journal {
    /// Queues a fact for the writer.
    pub fn record(&self, record: JournalRecord) {
        if let Err(lost) = self.tx.send(record) {
            tracing::error!(record = ?lost.0, "journal writer is gone; record not stored");
        }
    }
}

/// The single task that owns the queue's receiving end and writes to Postgres.
#[derive(Debug)]
pub struct JournalWriter {
    rx: mpsc::UnboundedReceiver<JournalRecord>,
    pool: PgPool,
    /// Where unwritten facts go at shutdown, and are replayed from at start.
    spool: PathBuf,
}

impl JournalWriter {
    /// A writer and the handle that feeds it.
    pub fn new(pool: PgPool, spool: PathBuf) -> (Journal, JournalWriter) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Journal { tx }, JournalWriter { rx, pool, spool })
    }

    /// Writes facts until every [`Journal`] handle is dropped and the queue is empty.
    /// Replays the spool first. If Postgres stays away after the last handle is
    /// dropped, the rest goes to the spool file after `give_up_after`.
    pub async fn run(mut self, give_up_after: Duration) -> Result<(), JournalError> {
        let spooled = read_spool(&self.spool).await?;
        if !spooled.is_empty() {
            tracing::info!(count = spooled.len(), "replaying journal spool");
            self.write_with_retry(spooled, None).await;
            remove_spool(&self.spool).await?;
        }
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            if self.rx.recv_many(&mut batch, BATCH).await == 0 {
                return Ok(());
            }
            if batch.len() < BATCH && !self.rx.is_closed() {
                tokio::time::sleep(GATHER).await;
                while batch.len() < BATCH {
                    match self.rx.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
            }
            let closing = self.rx.is_closed();
            let deadline = closing.then(|| tokio::time::Instant::now() + give_up_after);
            let unwritten = self
                .write_with_retry(std::mem::take(&mut batch), deadline)
                .await;
            if !unwritten.is_empty() {
                let mut rest = unwritten;
                while let Ok(record) = self.rx.try_recv() {
                    rest.push(record);
                }
                tracing::error!(count = rest.len(), path = %self.spool.display(),
                    "Postgres unreachable at shutdown; journal spooled to file");
                append_spool(&self.spool, &rest).await?;
                return Ok(());
            }
        }
    }

    /// Applies a batch, retrying while Postgres is unreachable; returns what could
    /// not be written before `deadline` (only set while shutting down).
    async fn write_with_retry(
        &mut self,
        batch: Vec<JournalRecord>,
        mut deadline: Option<tokio::time::Instant>,
    ) -> Vec<JournalRecord> {
        let mut backoff = Duration::from_millis(100);
        loop {
            match apply_batch(&self.pool, &batch).await {
                Ok(()) => return Vec::new(),
                Err(error) if is_permanent(&error) => {
                    // One fact is refused for good: write them one by one so the
                    // others are kept and only the culprit is set aside.
                    self.write_one_by_one(batch).await;
                    return Vec::new();
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?backoff, "journal write failed; retrying");
                }
            }
            if deadline.is_none() && self.rx.is_closed() {
                deadline = Some(tokio::time::Instant::now() + Duration::from_secs(10));
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() + backoff > d) {
                return batch;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn write_one_by_one(&mut self, batch: Vec<JournalRecord>) {
        for record in batch {
            let one = std::slice::from_ref(&record);
            if let Err(error) = apply_batch(&self.pool, one).await {
                let rejected = self.spool.with_extension("rejected");
                tracing::error!(%error, ?record, path = %rejected.display(),
                    "journal record refused by Postgres; set aside");
                if let Err(io) = append_spool(&rejected, one).await {
                    tracing::error!(%io, ?record, "could not set aside refused journal record");
                }
            }
        }
    }
}

/// A constraint or data error will fail again however often we retry.
fn is_permanent(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("23") || c.starts_with("22")))
}

async fn apply_batch(pool: &PgPool, batch: &[JournalRecord]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for record in batch {
        apply(&mut tx, record).await?;
    }
    tx.commit().await
}

async fn apply(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    record: &JournalRecord,
) -> Result<(), sqlx::Error> {
    let key = record.call_key.as_str();
    let query = match &record.kind {
        RecordKind::Started {
            via,
            line,
            caller_number,
            at,
        } => sqlx::query(
            "INSERT INTO call_record (call_key, via, line, caller_number, entered_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_key) DO NOTHING",
        )
        .bind(key)
        .bind(via.as_str())
        .bind(line)
        .bind(caller_number)
        .bind(at),
        RecordKind::Routed {
            topic,
            mode,
            reason,
            at,
        } => sqlx::query(
            "UPDATE call_record SET topic = $2, decision_mode = $3, decision_reason = $4,
                    routed_at = $5 WHERE call_key = $1",
        )
        .bind(key)
        .bind(topic)
        .bind(mode)
        .bind(reason)
        .bind(at),
        RecordKind::AttemptStarted {
            leg,
            target,
            callee_kind,
            staff_id,
            callee_name,
            at,
        } => sqlx::query(
            "INSERT INTO dial_attempt (call_key, leg, target, callee_kind, staff_id, callee_name, started_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (leg) DO NOTHING",
        )
        .bind(key)
        .bind(leg)
        .bind(target)
        .bind(callee_kind.as_str())
        .bind(staff_id)
        .bind(callee_name)
        .bind(at),
        RecordKind::AttemptEnded { leg, result, at } => sqlx::query(
            "UPDATE dial_attempt SET ended_at = $3, result = $2::attempt_result
             WHERE leg = $1 AND ended_at IS NULL",
        )
        .bind(leg)
        .bind(result)
        .bind(at),
        RecordKind::Answered { leg, at } => sqlx::query(
            "UPDATE call_record c SET answered_at = $3, answered_target = a.target,
                    answered_staff = a.staff_id, answered_name = a.callee_name
             FROM dial_attempt a WHERE c.call_key = $1 AND a.leg = $2",
        )
        .bind(key)
        .bind(leg)
        .bind(at),
        RecordKind::Queued { at } => {
            sqlx::query("UPDATE call_record SET queued_at = $2 WHERE call_key = $1 AND queued_at IS NULL")
                .bind(key)
                .bind(at)
        }
        // The appeal's number is unique per call: a record replayed from the spool
        // does not register the request twice.
        RecordKind::CallbackRequested {
            line,
            caller_number,
            topic,
            organisation,
            at,
        } => sqlx::query(
            "INSERT INTO appeal (call_key, line, topic, organisation, caller_number, note,
                                 callback_requested, created_at)
             SELECT $1, $2, $3, $4, NULLIF(regexp_replace($5, '[^0-9+]', '', 'g'), ''),
                    'Просьба перезвонить, оставленная в очереди', true, $6
             WHERE NOT EXISTS (SELECT 1 FROM appeal WHERE call_key = $1 AND callback_requested)",
        )
        .bind(key)
        .bind(line)
        .bind(topic)
        .bind(organisation)
        .bind(caller_number)
        .bind(at),
        RecordKind::TransferStarted {
            number,
            origin,
            topic,
            from_target,
            console_user,
            at,
        } => sqlx::query(
            "INSERT INTO call_transfer (call_key, number, origin, topic, from_target, console_user, started_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_key, number) DO NOTHING",
        )
        .bind(key)
        .bind(i32::try_from(*number).unwrap_or(i32::MAX))
        .bind(origin)
        .bind(topic)
        .bind(from_target)
        .bind(console_user)
        .bind(at),
        RecordKind::TransferEnded {
            number,
            result,
            answered_target,
            at,
        } => sqlx::query(
            "UPDATE call_transfer SET result = $3, answered_target = $4, ended_at = $5
             WHERE call_key = $1 AND number = $2 AND ended_at IS NULL",
        )
        .bind(key)
        .bind(i32::try_from(*number).unwrap_or(i32::MAX))
        .bind(result)
        .bind(answered_target)
        .bind(at),
        RecordKind::OpenAttemptsCancelled { at } => sqlx::query(
            "UPDATE dial_attempt SET ended_at = $2, result = 'cancelled'
             WHERE call_key = $1 AND ended_at IS NULL",
        )
        .bind(key)
        .bind(at),
        RecordKind::Ended { outcome, at } => sqlx::query(
            "UPDATE call_record SET ended_at = $3, outcome = $2::call_outcome
             WHERE call_key = $1 AND ended_at IS NULL",
        )
        .bind(key)
        .bind(outcome)
        .bind(at),
    };
    query.execute(&mut **tx).await.map(drop)
}

async fn read_spool(path: &Path) -> Result<Vec<JournalRecord>, JournalError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(JournalError::Spool {
                path: path.to_owned(),
                source,
            });
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|source| JournalError::SpoolLine {
                path: path.to_owned(),
                line: index + 1,
                source,
            })
        })
        .collect()
}

async fn append_spool(path: &Path, records: &[JournalRecord]) -> Result<(), JournalError> {
    let spool_error = |source| JournalError::Spool {
        path: path.to_owned(),
        source,
    };
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record).expect("journal records serialise"));
        text.push('\n');
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await
        .map_err(spool_error)?;
    file.write_all(text.as_bytes()).await.map_err(spool_error)?;
    file.sync_all().await.map_err(spool_error)
}

async fn remove_spool(path: &Path) -> Result<(), JournalError> {
    tokio::fs::remove_file(path)
        .await
        .map_err(|source| JournalError::Spool {
            path: path.to_owned(),
            source,
        })
}
