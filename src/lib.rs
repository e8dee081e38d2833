//! `hotline`: the call router of the regional government's unified contact center.
//!
//! Citizens call the short numbers 122 and 117. The service answers through Asterisk
//! (an ARI Stasis app, or FastAGI for dialplans that route by themselves), asks for a
//! topic, and transfers the call to the staff member responsible for it while their
//! organisation works, or to the contact-center specialists otherwise.
//!
//! # Layout
//!
//! Pure core (no I/O, no clock: time is always a parameter):
//! - [`routing`]: the directory snapshot model, the production calendar for any year
//!   (Labour Code rule, decrees, regional days off), working-hours arithmetic and the
//!   routing policy `(line, choice, instant, snapshot) -> Decision` with its reason.
//!
//! - [`call`]: the per-call state machine: ARI facts in, commands out, time passed in.
//! - [`queue`]: the specialists' queue: waiting calls, specialists' states, offers.
//!
//! Adapters around it:
//! - [`ari`]: typed ARI REST, typed events and the event WebSocket with reconnection.
//! - [`app`]: the Stasis app driver: one task per call running [`call::Call`] on ARI.
//! - [`agi`]: the FastAGI server and its `route`/`result` scripts, for dialplans
//!   that route by themselves.
//! - [`journal`]: call records written off the call path, never lost (spool file),
//!   and the import of calls the dialplan fallback served.
//! - [`reports`]: call reports from the journal (periods, groups, service level),
//!   CSV and an SVG chart.
//! - [`metrics`]: what Prometheus scrapes at `/metrics`.
//! - [`recordings`]: recorded calls in the journal, the retention cleanup and the
//!   admins' audited access (Asterisk keeps the files).
//! - [`directory`]: the Postgres directory: repository, snapshot cache refreshed by
//!   LISTEN/NOTIFY, calendar decree files (import, the decrees the binary ships) and
//!   the demo directory.
//! - [`http`]: the operator console: API (axum), sign-in and roles, appeals, live
//!   events (SSE), health, and the Russian web pages compiled into the binary.
//! - [`config`]: settings from a file and `HOTLINE_*` variables; secrets hidden.
//! - [`console_events`]: the console's live updates and their broadcast channel,
//!   published by the driver and streamed by the HTTP adapter.
//! - [`serve`]: `hotline serve`: wires the adapters, runs until SIGTERM.
//! - [`cli`]: the `hotline` command line (clap), thin glue over the above.
//! - [`pii`]: `Pii<T>`, personal data that logs only show redacted.

pub mod agi;
pub mod app;
pub mod ari;
pub mod call;
pub mod cli;
pub mod config;
pub mod console_events;
pub mod directory;
pub mod http;
pub mod journal;
pub mod metrics;
pub mod pii;
pub mod queue;
pub mod recordings;
pub mod reports;
pub mod routing;
pub mod serve;
