//! The directory adapter's errors.

use std::fmt;

use crate::directory::calendar::CalendarParseError;
use crate::routing::SnapshotError;

/// One row the loader refused: which table, which row, which rule. Roster editors fix
/// rows by key, so every problem names both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The table the row lives in (`staff`, `organisation`, ...).
    pub table: &'static str,
    /// The row's key as an editor would type it in a `WHERE` (`id 7`, `minzdrav`, ...).
    pub key: String,
    /// The rule the row breaks, in words.
    pub rule: String,
}

impl RowProblem {
    /// A problem with row `key` of `table`.
    pub fn new(table: &'static str, key: impl fmt::Display, rule: impl Into<String>) -> Self {
        Self {
            table,
            key: key.to_string(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.table, self.key, self.rule)
    }
}

/// All rows a load refused, so an editor sees every problem at once rather than one
/// per attempt. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRows(pub Vec<RowProblem>);

impl fmt::Display for BadRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bad row(s) in the directory:", self.0.len())?;
        for problem in &self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Why the directory could not be loaded, migrated, seeded or imported into.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The database could not be reached, or a statement failed; `doing` says which step.
    #[error("directory database error while {doing}: {source}")]
    Database {
        /// The step that failed ("loading staff", "importing the calendar").
        doing: &'static str,
        /// What the driver or the server said.
        #[source]
        source: sqlx::Error,
    },
    /// Rows the database holds but the snapshot model cannot take (unknown time zone,
    /// unsafe dial target that slipped past a dropped constraint, ...).
    #[error("{0}")]
    BadRows(BadRows),
    /// Every row is well-formed but they do not fit together (cross references).
    #[error("the directory is inconsistent: {0}")]
    Inconsistent(#[from] SnapshotError),
    /// Applying the embedded migrations failed.
    #[error("migrating the directory database failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A production calendar file did not parse; nothing was imported.
    #[error("{0}")]
    CalendarFile(#[from] CalendarParseError),
    /// A decree shipped inside the binary did not parse: a build that should never
    /// have passed its tests.
    #[error("the bundled {file} does not parse: {error}")]
    BundledCalendar {
        /// Its path in the source tree.
        file: &'static str,
        /// Its bad lines.
        error: CalendarParseError,
    },
}

impl DirectoryError {
    /// Wraps a driver error with the step it interrupted.
    pub(crate) fn database(doing: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { doing, source }
    }
}
