//! The journal's queue and the task that writes it to Postgres.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::record::JournalRecord;

/// Most facts applied in one statement (one transaction).
const BATCH: usize = 256;
/// How long the writer lets facts gather before a transaction, so a busy minute
/// costs a few commits a second instead of one per fact (each commit is an fsync).
/// At 50 calls/s, 100 ms instead of 20 halved Postgres's CPU per call (one batch
/// for several calls, not about one per call); a row is still in the journal
/// well within a second.
const GATHER: Duration = Duration::from_millis(100);
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
    ///
    /// A spool it cannot replay never stops the journal: a line that is not a
    /// record (say, torn by a crash while it was written) is set aside in the
    /// `.rejected` file beside the spool, and a spool it cannot read or remove is
    /// left for an admin, with an error in the log. The calls of this run are
    /// journaled either way.
    pub async fn run(mut self, give_up_after: Duration) -> Result<(), JournalError> {
        self.replay_spool().await;
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
                if let Err(error) = append_spool(&self.spool, &rest).await {
                    // The last place left for them is the log.
                    for record in &rest {
                        tracing::error!(?record, "journal record neither written nor spooled");
                    }
                    return Err(error);
                }
                return Ok(());
            }
        }
    }

    /// Writes what the previous run spooled, then removes the spool.
    async fn replay_spool(&mut self) {
        let (spooled, unreadable) = match read_spool(&self.spool).await {
            Ok(read) => read,
            Err(error) => {
                tracing::error!(%error, "journal spool unreadable; left in place, not replayed");
                return;
            }
        };
        if spooled.is_empty() && unreadable.is_empty() {
            return;
        }
        if !unreadable.is_empty() {
            let rejected = self.rejected_path();
            for (line, _, error) in &unreadable {
                tracing::error!(path = %self.spool.display(), line, %error, rejected = %rejected.display(),
                    "journal spool line is not a record; set aside");
            }
            let texts: Vec<&str> = unreadable
                .iter()
                .map(|(_, text, _)| text.as_str())
                .collect();
            if let Err(io) = append_lines(&rejected, &texts).await {
                tracing::error!(%io, ?texts, "could not set aside the unreadable spool lines");
            }
        }
        if !spooled.is_empty() {
            tracing::info!(count = spooled.len(), "replaying journal spool");
            self.write_with_retry(spooled, None).await;
        }
        if let Err(error) = remove_spool(&self.spool).await {
            // Left in place, it is replayed again at the next start: applying a fact
            // a second time changes nothing (see journal_apply).
            tracing::error!(%error, "replayed journal spool could not be removed");
        }
    }

    /// Where facts Postgres refuses for good, and spool lines that are not facts,
    /// are set aside.
    fn rejected_path(&self) -> PathBuf {
        self.spool.with_extension("rejected")
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
                let rejected = self.rejected_path();
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

/// Applies a batch in one round trip: `journal_apply` (migration
/// 20261129000001) takes the records as a JSON array in their spool form and applies
/// each fact in order, all or nothing.
async fn apply_batch(pool: &PgPool, batch: &[JournalRecord]) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT journal_apply($1)")
        .bind(sqlx::types::Json(batch))
        .execute(pool)
        .await
        .map(drop)
}

/// A spool line that is not a record: its 1-based number, its text, why.
type UnreadableLine = (usize, String, serde_json::Error);

/// The spool's records, and its lines that are not records.
async fn read_spool(
    path: &Path,
) -> Result<(Vec<JournalRecord>, Vec<UnreadableLine>), JournalError> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(source) => {
            return Err(JournalError::Spool {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => records.push(record),
            Err(error) => unreadable.push((index + 1, line.to_owned(), error)),
        }
    }
    Ok((records, unreadable))
}

async fn append_spool(path: &Path, records: &[JournalRecord]) -> Result<(), JournalError> {
    let lines = records
        .iter()
        .map(|record| serde_json::to_string(record).expect("journal records serialise"));
    append_lines(path, lines).await
}

/// Appends lines to a file and syncs it.
async fn append_lines(
    path: &Path,
    lines: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(), JournalError> {
    let spool_error = |source| JournalError::Spool {
        path: path.to_owned(),
        source,
    };
    let mut text = String::new();
    for line in lines {
        text.push_str(line.as_ref());
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
