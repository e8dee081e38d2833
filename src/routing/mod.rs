//! The routing policy and the model it works on. Pure: imports no tokio, sqlx or
//! reqwest, never reads the clock; the instant of a decision is a parameter.
//!
//! - [`model`]: the directory snapshot (organisations, hours, staff, menus).
//! - [`calendar`]: the production calendar for any year: statutory rule, decrees as
//!   data, regional days off, and which years are still unconfirmed.
//! - [`schedule`]: is an organisation open at an instant, and why (not).
//! - [`policy`]: `decide(snapshot, request, recency) -> Decision` with a reason.
//! - [`history`]: the call history for `least_recent`, kept in order per topic.
//! - [`lint`]: gaps in the directory (`hotline directory check`).

pub mod calendar;
pub mod history;
mod index;
pub mod lint;
pub mod model;
pub mod policy;
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
