//! The journal's queue and the task that writes it to Postgres, or to the spool
//! file while Postgres is away.
//!
//! Facts reach Postgres in the order they were recorded, through three places, oldest
//! first: the **spool file** (JSON lines on disk, fsynced a batch at a time), the
//! **held** batch (taken from the queue but neither written nor spooled, because the
//! spool is full or its disk fails), and the **queue**. While the spool or the held
//! batch has anything, new facts go behind it, never straight to Postgres; the
//! writer retries the spool with backoff and, once Postgres answers, replays it in
//! order, then goes back to writing directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::record::JournalRecord;

/// Most facts applied in one statement (one transaction).
const BATCH: usize = 256;
/// How long the writer lets facts gather before a transaction, so a busy minute
/// costs a few commits a second instead of one per fact (each commit is an fsync).
/// At 50 calls/s, 100 ms instead of 20 halved Postgres's CPU per call (one batch
/// for several calls, not about one per call); a row is still in the journal
/// well within a second.
const GATHER: Duration = Duration::from_millis(100);
/// First pause before retrying Postgres after it went away.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest pause between retries while Postgres is away.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one statement may take before Postgres counts as away: a server that
/// hangs (a network cut, a stopped VM) must not keep facts off the disk for the
/// pool's whole acquire timeout.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default bound on the spool file: about a million facts, hours of a busy center.
pub const DEFAULT_SPOOL_LIMIT: u64 = 256 * 1024 * 1024;

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

/// What the writer is doing, for `/health` and monitoring: shared by the writer
/// (which updates it) and every [`Journal`] handle.
#[derive(Clone, Debug, Default)]
pub struct JournalStatus(Arc<StatusCells>);

#[derive(Debug, Default)]
struct StatusCells {
    written: AtomicU64,
    spooled: AtomicU64,
    held: AtomicU64,
    spool_full: AtomicBool,
}

impl JournalStatus {
    /// Facts Postgres has acknowledged since the start (replays included, so a fact
    /// written, then spooled because its acknowledgement was lost, counts twice).
    pub fn written(&self) -> u64 {
        self.0.written.load(Ordering::Relaxed)
    }

    /// Facts in the spool file, waiting for Postgres.
    pub fn spooled(&self) -> u64 {
        self.0.spooled.load(Ordering::Relaxed)
    }

    /// Facts held in memory because the spool is full or cannot be written
    /// (the queue behind them is not counted).
    pub fn held(&self) -> u64 {
        self.0.held.load(Ordering::Relaxed)
    }

    /// True while the spool has reached its bound.
    pub fn spool_full(&self) -> bool {
        self.0.spool_full.load(Ordering::Relaxed)
    }

    /// True while facts wait for Postgres instead of being written.
    pub fn spooling(&self) -> bool {
        self.spooled() > 0 || self.held() > 0
    }

    /// One line for people: `writing`, or `spooling, N records` (and why, when the
    /// spool is full).
    pub fn describe(&self) -> String {
        match (self.spooling(), self.spool_full()) {
            (false, _) => "writing".to_owned(),
            (true, false) => format!("spooling, {} records", self.spooled() + self.held()),
            (true, true) => format!(
                "spooling, {} records (spool full: {} held in memory)",
                self.spooled() + self.held(),
                self.held()
            ),
        }
    }
}

/// A cheap, cloneable handle calls use to record facts. Never blocks, never fails:
/// if the writer is gone (shutdown), the fact is logged at error level instead.
#[derive(Clone, Debug)]
pub struct Journal {
    tx: mpsc::UnboundedSender<JournalRecord>,
    status: JournalStatus,
}

impl Journal {
    /// Queues a fact for the writer.
    pub fn record(&self, record: JournalRecord) {
        if let Err(lost) = self.tx.send(record) {
            tracing::error!(record = ?lost.0, "journal writer is gone; record not stored");
        }
    }

    /// What the writer is doing.
    pub fn status(&self) -> JournalStatus {
        self.status.clone()
    }
}

/// The single task that owns the queue's receiving end and writes to Postgres.
#[derive(Debug)]
pub struct JournalWriter {
    rx: mpsc::UnboundedReceiver<JournalRecord>,
    pool: PgPool,
    /// Where facts wait while Postgres is away, and what a crashed or stopped run
    /// left for this one to replay first.
    spool: PathBuf,
    /// Bytes the spool may grow to; past it, facts wait in memory (the disk is not
    /// filled by an outage that lasts days).
    spool_limit: u64,
    /// Facts in the spool file (lines, unreadable ones included).
    spooled: u64,
    /// The spool file's size.
    spool_bytes: u64,
    /// Facts taken from the queue that are neither written nor spooled.
    held: Vec<JournalRecord>,
    /// When to try Postgres again while facts wait.
    next_try: Instant,
    /// The pause after the next failed try.
    backoff: Duration,
    status: JournalStatus,
    /// Counts calls for `/metrics` from the facts as they arrive.
    tally: crate::metrics::CallTally,
}

/// What became of facts sent to Postgres.
#[derive(Debug, PartialEq, Eq)]
enum Applied {
    /// Every fact is written (or, refused for good, set aside).
    All,
    /// Postgres went away: the facts from this index on are not written.
    StoppedAt(usize),
}

impl JournalWriter {
    /// A writer and the handle that feeds it.
    pub fn new(pool: PgPool, spool: PathBuf) -> (Journal, JournalWriter) {
        let (tx, rx) = mpsc::unbounded_channel();
        let status = JournalStatus::default();
        let journal = Journal {
            tx,
            status: status.clone(),
        };
        let writer = JournalWriter {
            rx,
            pool,
            spool,
            spool_limit: DEFAULT_SPOOL_LIMIT,
            spooled: 0,
            spool_bytes: 0,
            held: Vec::new(),
            next_try: Instant::now(),
            backoff: FIRST_BACKOFF,
            status,
            tally: crate::metrics::CallTally::default(),
        };
        (journal, writer)
    }

    /// Bounds the spool file to `bytes` (at shutdown the bound gives way: the
    /// facts still in memory are spooled whatever its size).
    pub fn with_spool_limit(mut self, bytes: u64) -> Self {
        self.spool_limit = bytes;
        self
    }

    /// Writes facts until every [`Journal`] handle is dropped and the queue is empty.
    /// Replays the spool an earlier run left first. While Postgres is away, facts
    /// go to the spool and are replayed, in order, once it answers. If it is still
    /// away `give_up_after` the last handle was dropped, what waits stays in the
    /// spool for the next start.
    ///
    /// A spool it cannot replay never stops the journal: a line that is not a
    /// record (say, torn by a crash while it was written) is set aside in the
    /// `.rejected` file beside the spool, and a spool it cannot read is left for an
    /// admin, with an error in the log. The calls of this run are journaled either
    /// way.
    pub async fn run(mut self, give_up_after: Duration) -> Result<(), JournalError> {
        self.count_spool().await;
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let waiting = self.spooled > 0 || !self.held.is_empty();
            // With facts held, the queue waits behind them (their order is kept).
            let take = self.held.is_empty() || self.rx.is_closed();
            tokio::select! {
                biased;
                () = tokio::time::sleep_until(self.next_try), if waiting => self.retry().await,
                taken = self.rx.recv_many(&mut batch, BATCH), if take => {
                    if taken == 0 {
                        return self.finish(give_up_after).await;
                    }
                    self.gather(&mut batch).await;
                    let metrics = crate::metrics::Metrics::global();
                    for record in &batch {
                        self.tally.observe(record, metrics);
                    }
                    self.held.append(&mut batch);
                    self.flush_held().await;
                }
            }
        }
    }

    /// Lets facts gather for [`GATHER`] so one statement carries several calls.
    async fn gather(&mut self, batch: &mut Vec<JournalRecord>) {
        if batch.len() < BATCH && !self.rx.is_closed() {
            tokio::time::sleep(GATHER).await;
            while batch.len() < BATCH {
                match self.rx.try_recv() {
                    Ok(record) => batch.push(record),
                    Err(_) => break,
                }
            }
        }
    }

    /// Sends the held facts on: to Postgres when nothing older waits in the spool,
    /// else (or when Postgres fails) to the end of the spool.
    async fn flush_held(&mut self) {
        if self.spooled == 0 && !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            match self.apply(&held).await {
                Applied::All => {}
                Applied::StoppedAt(at) => {
                    self.held = held;
                    self.held.drain(..at);
                    tracing::warn!(path = %self.spool.display(),
                        "Postgres unreachable: the journal spools to file until it is back");
                    self.schedule_retry();
                }
            }
        }
        if !self.held.is_empty() {
            self.spool_held(false).await;
        }
        self.publish();
    }

    /// One retry while facts wait: replay the spool, then the held facts.
    async fn retry(&mut self) {
        if self.spooled > 0 && self.replay_spool().await {
            self.backoff = FIRST_BACKOFF;
        }
        self.flush_held().await;
        if self.spooled > 0 || !self.held.is_empty() {
            self.schedule_retry();
        }
    }

    fn schedule_retry(&mut self) {
        self.next_try = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    /// All queue handles are gone: keep trying until `give_up_after`, then leave
    /// what still waits in the spool.
    async fn finish(&mut self, give_up_after: Duration) -> Result<(), JournalError> {
        let deadline = Instant::now() + give_up_after;
        while self.spooled > 0 || !self.held.is_empty() {
            if self.next_try >= deadline {
                break;
            }
            tokio::time::sleep_until(self.next_try).await;
            self.retry().await;
        }
        if !self.held.is_empty() && !self.spool_held(true).await {
            // The last place left for them is the log.
            for record in &self.held {
                tracing::error!(?record, "journal record neither written nor spooled");
            }
            return Err(JournalError::Spool {
                path: self.spool.clone(),
                source: std::io::Error::other("the spool could not be written at shutdown"),
            });
        }
        if self.spooled > 0 {
            tracing::error!(count = self.spooled, path = %self.spool.display(),
                "Postgres unreachable at shutdown; journal left in the spool for the next start");
        }
        Ok(())
    }

    /// Appends the held facts to the spool (fsynced); on success they are no longer
    /// held. Refuses past the bound unless `shutting_down`.
    async fn spool_held(&mut self, shutting_down: bool) -> bool {
        let lines: Vec<String> = self
            .held
            .iter()
            .map(|record| serde_json::to_string(record).expect("journal records serialise"))
            .collect();
        let bytes: u64 = lines.iter().map(|line| line.len() as u64 + 1).sum();
        if !shutting_down && self.spool_bytes + bytes > self.spool_limit {
            if !self.status.spool_full() {
                tracing::error!(limit = self.spool_limit, path = %self.spool.display(),
                    "journal spool full: records wait in memory until Postgres is back");
            }
            self.status.0.spool_full.store(true, Ordering::Relaxed);
            self.publish();
            return false;
        }
        match append_lines(&self.spool, &lines).await {
            Ok(()) => {
                self.spooled += self.held.len() as u64;
                self.spool_bytes += bytes;
                self.held.clear();
                self.publish();
                true
            }
            Err(error) => {
                tracing::error!(%error, held = self.held.len(),
                    "journal spool cannot be written: records wait in memory");
                self.publish();
                false
            }
        }
    }

    /// Counts what an earlier run left in the spool; it is replayed first.
    async fn count_spool(&mut self) {
        match tokio::fs::read(&self.spool).await {
            Ok(bytes) => {
                let torn = bytes.last().is_some_and(|&b| b != b'\n');
                if torn {
                    // A crash tore the last line: end it, so the facts appended next
                    // start on a line of their own (the torn one is set aside).
                    if let Err(error) = append_lines(&self.spool, [""]).await {
                        tracing::error!(%error, "could not end the torn last line of the journal spool");
                    }
                }
                self.spool_bytes = bytes.len() as u64 + u64::from(torn);
                self.spooled = bytes
                    .split(|&b| b == b'\n')
                    .filter(|line| !line.trim_ascii().is_empty())
                    .count() as u64;
                if self.spooled > 0 {
                    tracing::info!(
                        count = self.spooled,
                        "replaying the journal spool of an earlier run"
                    );
                } else {
                    self.remove_drained_spool().await;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::error!(%error, path = %self.spool.display(),
                    "journal spool unreadable; left in place, not replayed");
            }
        }
        self.next_try = Instant::now();
        self.publish();
    }

    /// Replays the spool in order, a batch at a time. Returns true when it is all
    /// written and removed; otherwise keeps the part not yet written.
    async fn replay_spool(&mut self) -> bool {
        match self.replay_spool_file().await {
            Ok(done) => done,
            Err(error) => {
                tracing::error!(%error, "journal spool could not be replayed; retrying later");
                false
            }
        }
    }

    async fn replay_spool_file(&mut self) -> Result<bool, JournalError> {
        let spool_error = |source| JournalError::Spool {
            path: self.spool.clone(),
            source,
        };
        let file = match tokio::fs::File::open(&self.spool).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.spooled = 0;
                self.spool_bytes = 0;
                return Ok(true);
            }
            Err(source) => return Err(spool_error(source)),
        };
        let mut lines = tokio::io::BufReader::new(file).lines();
        // Bytes and lines of the spool written so far; the chunk being read.
        let (mut written_bytes, mut written_lines) = (0u64, 0u64);
        let (mut chunk, mut chunk_bytes, mut chunk_lines) = (Vec::new(), 0u64, 0u64);
        let mut unreadable: Vec<(u64, String, serde_json::Error)> = Vec::new();
        let mut replayed = 0usize;
        loop {
            let line = lines.next_line().await.map_err(spool_error)?;
            let end = line.is_none();
            if let Some(line) = line {
                chunk_bytes += line.len() as u64 + 1;
                chunk_lines += 1;
                if !line.trim().is_empty() {
                    match serde_json::from_str(&line) {
                        Ok(record) => chunk.push(record),
                        Err(error) => {
                            unreadable.push((written_lines + chunk_lines, line, error));
                        }
                    }
                }
            }
            if chunk.len() == BATCH || (end && (chunk_lines > 0)) {
                if let Applied::StoppedAt(_) = self.apply(&chunk).await {
                    self.keep_spool_from(written_bytes, written_lines).await?;
                    return Ok(false);
                }
                self.set_aside_unreadable(std::mem::take(&mut unreadable))
                    .await;
                replayed += chunk.len();
                written_bytes += chunk_bytes;
                written_lines += chunk_lines;
                (chunk_bytes, chunk_lines) = (0, 0);
                chunk.clear();
            }
            if end {
                break;
            }
        }
        tracing::info!(
            count = replayed,
            "Postgres answers: the journal spool is replayed"
        );
        self.remove_drained_spool().await;
        self.spooled = 0;
        self.spool_bytes = 0;
        self.status.0.spool_full.store(false, Ordering::Relaxed);
        self.publish();
        Ok(true)
    }

    /// Rewrites the spool without its first `bytes` (already written), through a
    /// temporary file renamed over it, so a crash leaves the old or the new spool.
    async fn keep_spool_from(&mut self, bytes: u64, lines: u64) -> Result<(), JournalError> {
        if bytes == 0 {
            return Ok(());
        }
        let spool_error = |source| JournalError::Spool {
            path: self.spool.clone(),
            source,
        };
        let mut file = tokio::fs::File::open(&self.spool)
            .await
            .map_err(spool_error)?;
        file.seek(std::io::SeekFrom::Start(bytes))
            .await
            .map_err(spool_error)?;
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.map_err(spool_error)?;
        let temporary = self.spool.with_extension("rewrite");
        let mut out = tokio::fs::File::create(&temporary)
            .await
            .map_err(spool_error)?;
        out.write_all(&rest).await.map_err(spool_error)?;
        out.sync_all().await.map_err(spool_error)?;
        tokio::fs::rename(&temporary, &self.spool)
            .await
            .map_err(spool_error)?;
        self.spooled = self.spooled.saturating_sub(lines);
        self.spool_bytes = rest.len() as u64;
        self.publish();
        Ok(())
    }

    async fn remove_drained_spool(&self) {
        if let Err(error) = tokio::fs::remove_file(&self.spool).await
            && error.kind() != std::io::ErrorKind::NotFound
        {
            // Left in place, it is replayed again: applying a fact a second time
            // changes nothing (see journal_apply).
            tracing::error!(%error, "replayed journal spool could not be removed");
        }
    }

    /// Sets spool lines that are not facts aside in the `.rejected` file.
    async fn set_aside_unreadable(&self, unreadable: Vec<(u64, String, serde_json::Error)>) {
        if unreadable.is_empty() {
            return;
        }
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

    /// Where facts Postgres refuses for good, and spool lines that are not facts,
    /// are set aside.
    fn rejected_path(&self) -> PathBuf {
        self.spool.with_extension("rejected")
    }

    /// Applies facts in one statement; if Postgres refuses one for good, one by one
    /// so that only the culprit is set aside.
    async fn apply(&self, batch: &[JournalRecord]) -> Applied {
        if batch.is_empty() {
            return Applied::All;
        }
        match tokio::time::timeout(WRITE_TIMEOUT, apply_batch(&self.pool, batch)).await {
            Ok(Ok(())) => {
                (self.status.0.written).fetch_add(batch.len() as u64, Ordering::Relaxed);
                Applied::All
            }
            Ok(Err(error)) if is_permanent(&error) => self.apply_one_by_one(batch).await,
            Ok(Err(error)) => {
                tracing::warn!(%error, "journal write failed");
                Applied::StoppedAt(0)
            }
            Err(_) => {
                tracing::warn!(timeout = ?WRITE_TIMEOUT, "journal write timed out");
                Applied::StoppedAt(0)
            }
        }
    }

    async fn apply_one_by_one(&self, batch: &[JournalRecord]) -> Applied {
        for (index, record) in batch.iter().enumerate() {
            let one = std::slice::from_ref(record);
            match tokio::time::timeout(WRITE_TIMEOUT, apply_batch(&self.pool, one)).await {
                Ok(Ok(())) => {
                    (self.status.0.written).fetch_add(1, Ordering::Relaxed);
                }
                Ok(Err(error)) if is_permanent(&error) => {
                    let rejected = self.rejected_path();
                    tracing::error!(%error, ?record, path = %rejected.display(),
                        "journal record refused by Postgres; set aside");
                    if let Err(io) = append_spool(&rejected, one).await {
                        tracing::error!(%io, ?record, "could not set aside refused journal record");
                    }
                }
                _ => return Applied::StoppedAt(index),
            }
        }
        Applied::All
    }

    fn publish(&self) {
        self.status.0.spooled.store(self.spooled, Ordering::Relaxed);
        (self.status.0.held).store(self.held.len() as u64, Ordering::Relaxed);
        if self.spooled == 0 && self.held.is_empty() {
            self.status.0.spool_full.store(false, Ordering::Relaxed);
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
