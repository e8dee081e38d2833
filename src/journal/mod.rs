//! The journal: what happened to every call, written to Postgres off the call path.
//!
//! Calls hand facts to a [`Journal`] handle, which never blocks and never fails: facts
//! go into an unbounded queue drained by one [`JournalWriter`] task. The writer
//! applies them in order, in batches of one statement each: the SQL function
//! `journal_apply` (migration 20261129000001) takes a batch as JSON, in the same form
//! as the spool file, and applies its facts in order. When Postgres is away (an
//! error, or no answer within 5 s) facts go to a spool file (JSON lines, fsynced a
//! batch at a time, bounded) and are replayed in order once it answers; a spool left
//! by a crash or a stop is replayed at the next start. `/health` says `spooling, N
//! records` meanwhile. A fact Postgres refuses for good (a constraint) is set aside
//! in a `.rejected` file next to the spool, logged, and does not block the facts
//! behind it. So no record is lost; a `kill -9` loses at most the facts of the
//! last 100 ms that were not yet on disk.
//!
//! The ARI app and the FastAGI endpoint write the same rows: `call_record` (one per
//! call) and `dial_attempt` (one per callee dialled). Calls the dialplan's fallback
//! served while the app was away are imported from a file Asterisk writes
//! ([`FallbackImporter`]).

mod fallback;
mod record;
mod writer;

pub use fallback::{
    FallbackCall, FallbackImportError, FallbackImporter, FallbackLineError, ImportSummary,
    parse_line as parse_fallback_line,
};
pub use record::{CalleeKind, JournalRecord, RecordKind, Via};
pub use writer::{DEFAULT_SPOOL_LIMIT, Journal, JournalError, JournalStatus, JournalWriter};
