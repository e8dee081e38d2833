//! Rows for the calls the dialplan's fallback served while the ARI app was away.
//!
//! While `hotline serve` is not connected (restarting, socket cut, crashed),
//! `Stasis()` fails and the dialplan rings the specialists itself; the service never
//! sees those calls. So that every call that reached Asterisk still has its journal
//! row, the fallback's hangup handler (`asterisk-dialplan/extensions.conf`,
//! `[hotline-fallback-journal]`) appends one line per call to a file, and
//! [`FallbackImporter`] reads what is new in it into `call_record` with
//! `via = 'dialplan'`. The rows and the file position are written in one
//! transaction (`dialplan_fallback_import`), so each line is imported once even with
//! two instances or a crash half-way; a call the service had itself handed back
//! already has its row and is left as it is.
//!
//! A malformed line is skipped with a warning naming its byte offset (never its
//! content: it holds a caller's number). A line not yet ended by a newline (Asterisk
//! is writing it) waits for the next pass.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::pii::Pii;

/// How much of the file one pass reads at most; a pass loops until the end.
const CHUNK_BYTES: u64 = 1 << 20;

/// One call the fallback served, as its line tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FallbackCall {
    /// The caller channel's unique id: the journal's `call_key`.
    pub call_key: String,
    /// 122 or 117.
    pub line: String,
    /// The caller's number (digits and `+` only).
    pub caller_number: Pii<String>,
    /// When the call entered the fallback.
    pub entered_at: DateTime<Utc>,
    /// When a specialist answered, if one did.
    pub answered_at: Option<DateTime<Utc>>,
    /// When the caller's channel hung up.
    pub ended_at: DateTime<Utc>,
    /// The endpoint that answered (`PJSIP/spec01`), if one did.
    pub answered_target: Option<String>,
    /// The journal's `call_outcome`: `answered_by_specialist`, `abandoned` (the
    /// caller hung up first) or `failed` (the fallback gave up).
    pub outcome: &'static str,
}

/// Why a line of the fallback file could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FallbackLineError {
    /// Not written by the `v1` hangup handler.
    #[error("unknown line format (expected it to start with v1)")]
    Version,
    /// Fields missing or extra.
    #[error("{0} fields, expected 10")]
    Fields(usize),
    /// A field that must have a value is empty or not a number.
    #[error("field {0} is empty or invalid")]
    Field(&'static str),
}

/// Reads one line (without its newline):
/// `v1,<uniqueid>,<line>,<caller>,<entered epoch>,<ended epoch>,<DIALSTATUS>,<ANSWEREDTIME>,<answering channel>,<gave up>`.
pub fn parse_line(line: &str) -> Result<FallbackCall, FallbackLineError> {
    let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
    if fields.first() != Some(&"v1") {
        return Err(FallbackLineError::Version);
    }
    let [
        _,
        call_key,
        line,
        caller,
        entered,
        ended,
        status,
        talked,
        peer,
        gave_up,
    ] = fields[..]
    else {
        return Err(FallbackLineError::Fields(fields.len()));
    };
    if call_key.is_empty() {
        return Err(FallbackLineError::Field("uniqueid"));
    }
    if line.is_empty() {
        return Err(FallbackLineError::Field("line"));
    }
    let epoch = |text: &str, name| {
        text.parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(FallbackLineError::Field(name))
    };
    let ended_at = epoch(ended, "ended")?;
    // Entered is set at the fallback's first step; a line without it still counts.
    let entered_at = epoch(entered, "entered").unwrap_or(ended_at);
    let answered = status == "ANSWER";
    let answered_at = if answered {
        let talked: i64 = talked
            .parse()
            .map_err(|_| FallbackLineError::Field("answeredtime"))?;
        Some((ended_at - chrono::Duration::seconds(talked)).max(entered_at))
    } else {
        None
    };
    // `PJSIP/spec01-0000002a` → `PJSIP/spec01`.
    let answered_target = (answered && !peer.is_empty())
        .then(|| peer.rsplit_once('-').map_or(peer, |(endpoint, _)| endpoint))
        .map(str::to_owned);
    let outcome = if answered {
        "answered_by_specialist"
    } else if gave_up == "1" {
        "failed"
    } else {
        "abandoned"
    };
    Ok(FallbackCall {
        call_key: call_key.to_owned(),
        line: line.to_owned(),
        caller_number: Pii(caller.to_owned()),
        entered_at,
        answered_at,
        ended_at,
        answered_target,
        outcome,
    })
}

/// What one import pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// New rows written.
    pub imported: u64,
    /// Lines whose call already had a row (handed back by the service, or imported
    /// from a copy of the file).
    pub known: u64,
    /// Lines skipped as unreadable.
    pub malformed: u64,
}

/// Why an import pass failed; the next pass starts again from the same position.
#[derive(Debug, thiserror::Error)]
pub enum FallbackImportError {
    /// The file exists but cannot be read.
    #[error("reading {path}: {source}")]
    File {
        /// The fallback file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// Postgres refused or is away.
    #[error("writing the fallback's calls to the journal: {0}")]
    Database(#[from] sqlx::Error),
}

/// Imports the fallback file into the journal; see the module documentation.
#[derive(Clone, Debug)]
pub struct FallbackImporter {
    pool: PgPool,
    path: PathBuf,
    /// The Asterisk node whose dialplan writes the file, for the rows' node.
    node: Option<String>,
}

impl FallbackImporter {
    /// An importer of `path` (the file the dialplan's `HOTLINE_FALLBACK_JOURNAL` names,
    /// as this process sees it) into the journal in `pool`.
    pub fn new(pool: PgPool, path: PathBuf) -> Self {
        Self {
            pool,
            path,
            node: None,
        }
    }

    /// The same, naming the Asterisk node whose fallback writes the file (each node
    /// has its own file).
    pub fn for_node(mut self, node: &str) -> Self {
        self.node = Some(node.to_owned());
        self
    }

    /// Imports every complete line not imported yet. A missing file is an empty one.
    pub async fn import_new(&self) -> Result<ImportSummary, FallbackImportError> {
        let mut summary = ImportSummary::default();
        while self.import_chunk(&mut summary).await? {}
        Ok(summary)
    }

    /// Imports up to [`CHUNK_BYTES`] of complete lines; true when there may be more.
    async fn import_chunk(&self, summary: &mut ImportSummary) -> Result<bool, FallbackImportError> {
        let file_error = |source| FallbackImportError::File {
            path: self.path.clone(),
            source,
        };
        let mut file = match tokio::fs::File::open(&self.path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(file_error(e)),
        };
        let length = file.metadata().await.map_err(file_error)?.len();
        let first_line = read_first_line(&mut file).await.map_err(file_error)?;
        let key = self.path.to_string_lossy().into_owned();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO dialplan_fallback_import (path, position) VALUES ($1, 0) \
             ON CONFLICT (path) DO NOTHING",
        )
        .bind(&key)
        .execute(&mut *tx)
        .await?;
        let (stored, stored_first): (i64, String) = sqlx::query_as(
            "SELECT position, first_line FROM dialplan_fallback_import WHERE path = $1 FOR UPDATE",
        )
        .bind(&key)
        .fetch_one(&mut *tx)
        .await?;
        let mut position = u64::try_from(stored).unwrap_or(0);
        // A shorter file, or one that starts differently, is a new (rotated) file.
        if position > length || (!stored_first.is_empty() && stored_first != first_line) {
            tracing::warn!(path = %self.path.display(), "the dialplan fallback's file was replaced: importing it from its start");
            position = 0;
        }
        if position == length {
            return Ok(false);
        }
        file.seek(SeekFrom::Start(position))
            .await
            .map_err(file_error)?;
        let mut chunk = Vec::new();
        (&mut file)
            .take(CHUNK_BYTES)
            .read_to_end(&mut chunk)
            .await
            .map_err(file_error)?;
        let Some(end) = chunk.iter().rposition(|&b| b == b'\n') else {
            // Only a line Asterisk is still writing (or one longer than a chunk,
            // which no fallback line is: skip it whole).
            if chunk.len() as u64 == CHUNK_BYTES {
                tracing::warn!(
                    offset = position,
                    "skipping an over-long line in the dialplan fallback's file"
                );
                summary.malformed += 1;
                self.store(&mut tx, &key, position + CHUNK_BYTES, &first_line)
                    .await?;
                tx.commit().await?;
                return Ok(true);
            }
            return Ok(false);
        };
        let mut offset = position;
        let mut imported = Vec::new();
        for raw in chunk[..end].split(|&b| b == b'\n') {
            let line_offset = offset;
            offset += raw.len() as u64 + 1;
            if raw.is_empty() {
                continue;
            }
            let parsed = std::str::from_utf8(raw)
                .map_err(|_| FallbackLineError::Version)
                .and_then(parse_line);
            match parsed {
                Ok(call) => {
                    if insert(&mut tx, &call, self.node.as_deref()).await? {
                        imported.push(call);
                        summary.imported += 1;
                    } else {
                        summary.known += 1;
                    }
                }
                Err(error) => {
                    tracing::warn!(path = %self.path.display(), offset = line_offset, %error, "skipping a malformed line of the dialplan fallback's file");
                    summary.malformed += 1;
                }
            }
        }
        self.store(&mut tx, &key, offset, &first_line).await?;
        tx.commit().await?;
        let metrics = crate::metrics::Metrics::global();
        for call in imported {
            metrics.count_call(&call.line, "", call.outcome, "dialplan");
        }
        Ok(offset < length)
    }

    async fn store(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        key: &str,
        position: u64,
        first_line: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE dialplan_fallback_import SET position = $2, first_line = $3, imported_at = now() \
             WHERE path = $1",
        )
        .bind(key)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(first_line)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Imports now and then every `every`, for as long as the service runs: a pass
    /// that fails is logged once per kind of failure and tried again.
    pub fn spawn(self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut last_error: Option<String> = None;
            let mut last_length: Option<u64> = None;
            loop {
                // Nothing to do while the file has not grown (the usual case).
                let length = tokio::fs::metadata(&self.path).await.ok().map(|m| m.len());
                if length.is_some() && length != last_length {
                    match self.import_new().await {
                        Ok(summary) => {
                            last_length = length;
                            last_error = None;
                            if summary.imported > 0 || summary.malformed > 0 {
                                tracing::info!(
                                    imported = summary.imported,
                                    malformed = summary.malformed,
                                    already_journaled = summary.known,
                                    "journaled the calls the dialplan fallback served"
                                );
                            }
                        }
                        Err(error) => {
                            let text = error.to_string();
                            if last_error.as_deref() != Some(&text) {
                                tracing::warn!(%error, "importing the dialplan fallback's calls failed; trying again");
                            }
                            last_error = Some(text);
                        }
                    }
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

/// The file's first line (up to 256 bytes): tells a rotated file from the old one.
async fn read_first_line(file: &mut tokio::fs::File) -> std::io::Result<String> {
    let mut head = vec![0; 256];
    let mut filled = 0;
    while filled < head.len() {
        let n = file.read(&mut head[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(0);
    Ok(String::from_utf8_lossy(&head[..end]).into_owned())
}

/// Writes a call's row; false when the call already had one.
async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    call: &FallbackCall,
    node: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let written = sqlx::query(
        "INSERT INTO call_record (call_key, via, line, caller_number, decision_reason, \
             entered_at, answered_at, ended_at, answered_target, outcome, asterisk_node) \
         VALUES ($1, 'dialplan', $2, $3, \
             'ARI app not connected: the dialplan fallback rang the specialists', \
             $4, $5, $6, $7, $8::call_outcome, $9) \
         ON CONFLICT (call_key) DO NOTHING",
    )
    .bind(&call.call_key)
    .bind(&call.line)
    .bind(&call.caller_number.0)
    .bind(call.entered_at)
    .bind(call.answered_at)
    .bind(call.ended_at)
    .bind(&call.answered_target)
    .bind(call.outcome)
    .bind(node)
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answered_call_has_its_specialist_and_answer_time() {
        let call = parse_line(
            "v1,1764356400.12,122,79990000001,1764356400,1764356460,ANSWER,50,PJSIP/spec01-0000002a,",
        )
        .unwrap();
        assert_eq!(call.call_key, "1764356400.12");
        assert_eq!(call.line, "122");
        assert_eq!(call.caller_number, *"79990000001");
        assert_eq!(call.outcome, "answered_by_specialist");
        assert_eq!(call.answered_target.as_deref(), Some("PJSIP/spec01"));
        assert_eq!(call.answered_at, DateTime::from_timestamp(1_764_356_410, 0));
        assert_eq!(call.ended_at.timestamp(), 1_764_356_460);
    }

    #[test]
    fn unanswered_calls_are_abandoned_or_failed() {
        let abandoned = parse_line("v1,1.2,117,+7999,1764356400,1764356430,CANCEL,,,").unwrap();
        assert_eq!(abandoned.outcome, "abandoned");
        assert_eq!(abandoned.answered_target, None);
        assert_eq!(abandoned.answered_at, None);
        let failed = parse_line("v1,1.3,117,,1764356400,1764356900,NOANSWER,,,1").unwrap();
        assert_eq!(failed.outcome, "failed");
        // No entry time (the handler ran before it was set): the end stands in.
        let early = parse_line("v1,1.4,122,7,,1764356400,,,,").unwrap();
        assert_eq!(early.entered_at, early.ended_at);
    }

    #[test]
    fn malformed_lines_are_refused_with_the_reason() {
        assert_eq!(parse_line("hello"), Err(FallbackLineError::Version));
        assert_eq!(parse_line("v1,1.2,122"), Err(FallbackLineError::Fields(3)));
        assert_eq!(
            parse_line("v1,1.2,122,7,1,2,ANSWER,50,PJSIP/x-1,,extra"),
            Err(FallbackLineError::Fields(11))
        );
        assert_eq!(
            parse_line("v1,,122,7,1,2,,,,"),
            Err(FallbackLineError::Field("uniqueid"))
        );
        assert_eq!(
            parse_line("v1,1.2,122,7,1,soon,,,,"),
            Err(FallbackLineError::Field("ended"))
        );
        assert_eq!(
            parse_line("v1,1.2,122,7,1,2,ANSWER,x,PJSIP/a-1,"),
            Err(FallbackLineError::Field("answeredtime"))
        );
    }
}
