//! The Postgres directory: the adapter between the tables roster editors change in SQL
//! and the pure [`DirectorySnapshot`](crate::routing::DirectorySnapshot) the routing
//! policy reads.
//!
//! - [`repository`]: loads the whole directory in one consistent read and validates it.
//! - [`rows`]: the tables as fetched, one plain struct per table.
//! - [`assemble`]: the pure conversion of rows into the model; every bad row is
//!   reported with its table, key and rule.
//! - [`cache`]: keeps the current snapshot in memory and reloads it when the database
//!   announces a change (LISTEN/NOTIFY); an invalid edit never replaces a good snapshot.
//! - [`listener`]: a `LISTEN` that reconnects with backoff and says when it did
//!   (used by the cache, the console's live events and the specialists' desks).
//! - [`constraints`]: what each named constraint of the schema means, in English and
//!   Russian, and the message for an edit the database refused.
//! - [`calendar`]: the text format of the annual decrees on transferring days off, its
//!   import, and the decrees the binary ships (loaded by `hotline migrate`).
//! - [`demo`]: the demo directory behind `hotline seed-demo` (its rows in `demo.sql`).
//!
//! Holds no routing logic: it translates rows into the model and back, nothing more.

pub mod assemble;
pub mod cache;
pub mod calendar;
pub mod constraints;
pub mod demo;
mod error;
pub mod listener;
pub mod repository;
pub mod rows;

pub use cache::{CacheOptions, DirectoryCache, DirectoryHealth};
pub use constraints::{EditRefusal, constraint_message};
pub use error::{BadRows, DirectoryError, RowProblem};
pub use repository::load_snapshot;

/// The migrations embedded in the binary, so `hotline migrate` needs no source tree.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
