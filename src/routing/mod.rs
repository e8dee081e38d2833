//! The routing policy and the model it works on. Pure: imports no tokio, sqlx or
//! reqwest, never reads the clock; the instant of a decision is a parameter.
//!
//! One concept a file; the private ones (no link) have their public items re-exported
//! by [`model`] or [`policy`], and here:
//! - [`model`]: the directory snapshot (organisations, hours, staff, menus).
//! - `validation.rs`: `DirectorySnapshot::validated`, every problem named by its row.
//! - `index.rs`: the routing index built from a snapshot: each topic's roster, sorted.
//! - [`calendar`]: the production calendar for any year: statutory rule, decrees as
//!   data, regional days off, and which years are still unconfirmed.
//! - [`schedule`]: is an organisation open at an instant, and why (not).
//! - [`policy`]: `decide(snapshot, request, recency) -> Decision`: the rules in order.
//! - `candidates.rs`: candidate selection: statuses, roster and least-recent walks.
//! - `recency.rs`: when staff were last called (`CallRecency`, `LastCalls`).
//! - `decision.rs`: `Decision`, its candidates and `Reason`; its JSON and text.
//! - `explain.rs`: a decision's reason in words, Russian and English.
//! - [`history`]: the call history for `least_recent`, kept in order per topic.
//! - [`lint`]: gaps in the directory (`hotline directory check`).
//! - `tests/`: the unit tests of all of the above, on a hand-built directory.

pub mod calendar;
mod candidates;
mod decision;
mod explain;
pub mod history;
mod index;
pub mod lint;
pub mod model;
pub mod policy;
mod recency;
pub mod schedule;
mod validation;

#[cfg(test)]
pub(crate) mod tests;

pub use history::CallHistory;
pub use model::*;
pub use policy::{
    CallRecency, Decision, DecisionMode, LastCalls, MAX_CANDIDATES, MenuChoice, NoRecency, Reason,
    ReasonText, RouteRequest, decide, decide_listing_all,
};
