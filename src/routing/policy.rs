//! The routing policy: who takes a call on a line, about a topic, at an instant — and
//! why, in words a specialist and a roster editor can check.
//!
//! [`decide`] walks these rules in order; the first that fires sets the
//! [`DecisionMode`]:
//!
//! 1. the line is not in the directory → `unknown_line`;
//! 2. the caller pressed nothing → `no_input`; a digit not on the line's menu →
//!    `invalid_digit`; a menu item without a topic → `specialist_requested`;
//! 3. the topic is not in the directory → `unknown_topic`; it has no responsible agency
//!    (e.g. contract military service) → `specialist_topic`;
//! 4. the **candidates** are the staff on the topic who are active, not absent on the
//!    local date of the instant (in their organisation's time zone), and whose *own*
//!    organisation is open at the instant (see [`super::schedule`]). They are ordered by
//!    the topic's organisation order (`Topic::organisations` by priority, then the
//!    other organisations by code), then staff priority, then id;
//! 5. no organisation covering the topic (having staff on it) is open → `after_hours`,
//!    and the reason says when the first of them opens again; some is open but nobody
//!    in it is reachable → `nobody_reachable` (also when nobody covers the topic);
//! 6. otherwise `automatic` or `manual`, as the *first organisation with a candidate*
//!    sets for the topic; its strategy and attempt timeout apply to the whole list. With
//!    the `least_recent` strategy the candidates are re-ordered by their last call
//!    (never called first, then the longest ago; ties keep the order above).
//! 7. a call's decision ([`decide`]) lists at most [`MAX_CANDIDATES`] of them, the
//!    first in that order, and says so when more were reachable; [`decide_listing_all`]
//!    lists everyone, for a specialist choosing whom to transfer to.
//!
//! Every decision carries the active specialists as `fallback`, whatever the mode, so
//! the caller is never left without someone to ring.
//!
//! Performance: the snapshot's [`super::model::RoutingIndex`] holds each topic's
//! organisations and staff pre-sorted, and organisations with identical schedules
//! share one status computation, so a decision costs a few status look-ups and a walk
//! over the topic's staff that stops once [`MAX_CANDIDATES`] are found (with
//! `least_recent`, once that many never-called ones are found). Candidates are
//! positions in that shared roster, not copies, and the [`Reason`] keeps the facts
//! and is put into words only when read. Pure: no I/O, no clock.
//!
//! The parts live next door and are re-exported here: the decision and its reason in
//! `decision.rs`, their wording in `explain.rs`, the candidate walks in
//! `candidates.rs`, call recency in `recency.rs`.

use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::decision::{Candidate, Candidates, Decision, DecisionMode, Reason, ReasonText};
pub use super::recency::{CallRecency, LastCalls, NoRecency};

use super::candidates::{
    Statuses, first_in_least_recent_order, first_in_order, for_each_reachable, least_recent_first,
    open_days, worth_the_order,
};
use super::decision::{HoursOutcome, Listed, Why};
use super::index::{RoutingIndex, TopicRoster};
use super::model::{
    DirectorySnapshot, HuntStrategy, LineNumber, MenuItem, TopicCode, TopicRouting, TransferMode,
};

/// What the caller chose in the menu, as the telephony adapter reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MenuChoice {
    /// A DTMF key pressed after the menu prompt.
    Digit(char),
    /// A topic chosen directly (a dialplan that routes by itself, an operator screen).
    Topic(TopicCode),
    /// The menu timed out after all its attempts.
    NoInput,
}

/// One question to the policy: who takes this call now?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRequest {
    /// The short number dialled (each line has its own menu).
    pub line: LineNumber,
    /// What the caller chose.
    pub choice: MenuChoice,
    /// The instant of the decision; the policy never reads the clock itself.
    pub at: DateTime<Utc>,
}

/// The most candidates a call's decision lists. Nobody rings more people for one
/// call: a sequential hunt through 32 staff at 15–20 s an attempt already outlasts any
/// caller's patience, and a ring-all to more phones floods the PBX for one answer
/// (the AGI dialplan is given as many). Stopping there also keeps a decision on a
/// topic with hundreds of staff as cheap as on a small one.
pub const MAX_CANDIDATES: usize = 32;

/// Decides who takes a call, listing at most [`MAX_CANDIDATES`] candidates. See the
/// module documentation for the rules. Expects a snapshot from
/// [`DirectorySnapshot::validated`]; an unvalidated one is routed correctly but
/// rebuilds its index on every call.
pub fn decide(
    snapshot: &DirectorySnapshot,
    request: &RouteRequest,
    recency: &(impl CallRecency + ?Sized),
) -> Decision {
    decide_up_to(snapshot, request, recency, MAX_CANDIDATES)
}

/// The same decision as [`decide`], listing every reachable candidate: for a
/// specialist choosing whom to transfer a caller to, who may want anyone on duty.
pub fn decide_listing_all(
    snapshot: &DirectorySnapshot,
    request: &RouteRequest,
    recency: &(impl CallRecency + ?Sized),
) -> Decision {
    decide_up_to(snapshot, request, recency, usize::MAX)
}

/// [`decide`] with a limit on the candidates listed (at least one).
fn decide_up_to(
    snapshot: &DirectorySnapshot,
    request: &RouteRequest,
    recency: &(impl CallRecency + ?Sized),
    limit: usize,
) -> Decision {
    let index = snapshot.routing_index();
    let routed = route(&index, request, recency, limit.max(1));
    let reason = Reason {
        why: routed.why,
        no_specialist: index.fallback.is_empty(),
    };
    let has_candidates = !routed.picks.is_empty();
    let routing = routed.routing.filter(|_| has_candidates);
    Decision {
        mode: routed.mode,
        line: request.line.clone(),
        topic: routed
            .roster
            .as_ref()
            .map(|roster| Arc::clone(&roster.topic)),
        candidates: Candidates {
            roster: routed.roster.filter(|_| has_candidates),
            picks: routed.picks,
            more: routed.more,
        },
        strategy: routing.map(|routing| routing.strategy),
        attempt_timeout_seconds: routing.map(|routing| routing.attempt_timeout_seconds),
        fallback: Arc::clone(&index.fallback),
        reason,
        at: request.at,
    }
}

/// What the rules produce, before it is dressed as a [`Decision`].
struct Routed {
    mode: DecisionMode,
    /// The chosen topic's roster, once a topic is known.
    roster: Option<Arc<TopicRoster>>,
    picks: Vec<u32>,
    /// More staff were reachable than `picks` lists.
    more: bool,
    /// The settings of the first organisation with a candidate.
    routing: Option<TopicRouting>,
    why: Why,
}

impl Routed {
    /// A decision that leaves the call to the specialists.
    fn for_specialists(mode: DecisionMode, roster: Option<Arc<TopicRoster>>, why: Why) -> Self {
        Self {
            mode,
            roster,
            picks: Vec::new(),
            more: false,
            routing: None,
            why,
        }
    }
}

/// Rules 1-3: line, menu and topic.
fn route(
    index: &RoutingIndex,
    request: &RouteRequest,
    recency: &(impl CallRecency + ?Sized),
    limit: usize,
) -> Routed {
    use DecisionMode::*;
    let Some(line) = index.lines.get(&request.line) else {
        let why = Why::UnknownLine(request.line.clone());
        return Routed::for_specialists(UnknownLine, None, why);
    };
    let code = match &request.choice {
        MenuChoice::NoInput => {
            let why = Why::NoInput(Arc::clone(line));
            return Routed::for_specialists(NoInput, None, why);
        }
        MenuChoice::Topic(code) => code,
        MenuChoice::Digit(digit) => match line.menu.get(digit) {
            None => {
                let why = Why::InvalidDigit(Arc::clone(line), *digit);
                return Routed::for_specialists(InvalidDigit, None, why);
            }
            Some(MenuItem { topic: None, .. }) => {
                let why = Why::SpecialistRequested(Arc::clone(line), *digit);
                return Routed::for_specialists(SpecialistRequested, None, why);
            }
            Some(MenuItem {
                topic: Some(code), ..
            }) => code,
        },
    };
    let Some(roster) = index.rosters.get(code) else {
        let why = Why::UnknownTopic(code.clone());
        return Routed::for_specialists(UnknownTopic, None, why);
    };
    let roster = Arc::clone(roster);
    if roster.topic.agency.is_none() {
        let why = Why::SpecialistTopic(Arc::clone(&roster.topic));
        return Routed::for_specialists(SpecialistTopic, Some(roster), why);
    }
    route_topic(index, roster, request.at, recency, limit)
}

/// Rules 4-7: the topic's staff at the instant, at most `limit` of them.
fn route_topic(
    index: &RoutingIndex,
    roster: Arc<TopicRoster>,
    at: DateTime<Utc>,
    recency: &(impl CallRecency + ?Sized),
    limit: usize,
) -> Routed {
    if roster.organisations.is_empty() {
        let why = Why::NobodyCovers(Arc::clone(&roster.topic));
        return Routed::for_specialists(DecisionMode::NobodyReachable, Some(roster), why);
    }
    let calendar = &index.calendar;
    let hours = |outcome| Why::Hours {
        roster: Arc::clone(&roster),
        calendar: Arc::clone(calendar),
        at,
        outcome,
    };
    let mut statuses = Statuses::new(calendar, &roster, at);
    let mut first_pick = None;
    for_each_reachable(&roster, &mut statuses, 0, |position| {
        first_pick = Some(position);
        ControlFlow::Break(())
    });
    let Some(first_pick) = first_pick else {
        let open = (0..roster.organisations.len()).find(|&org| statuses.get(org).is_open());
        let (mode, why) = match open {
            Some(open) => (
                DecisionMode::NobodyReachable,
                hours(HoursOutcome::NobodyReachable { open }),
            ),
            None => (DecisionMode::AfterHours, hours(HoursOutcome::AfterHours)),
        };
        return Routed::for_specialists(mode, Some(roster), why);
    };

    let first_organisation = roster.staff[first_pick as usize].organisation;
    let routing = roster.organisations[first_organisation].routing;
    let (picks, more) = match routing.strategy {
        HuntStrategy::LeastRecent => {
            let order = (recency.least_recent_order(index, roster.ordinal))
                .filter(|order| order.len() == roster.staff.len());
            let open_days = order.map(|_| open_days(&roster, &mut statuses));
            match (order, open_days) {
                (Some(order), Some(days)) if worth_the_order(&roster, &days) => {
                    first_in_least_recent_order(&roster, &days, order, limit)
                }
                _ => least_recent_first(&roster, &mut statuses, first_pick, recency, limit),
            }
        }
        HuntStrategy::Sequential | HuntStrategy::RingAll => {
            first_in_order(&roster, &mut statuses, first_pick, limit)
        }
    };
    let mode = match routing.transfer_mode {
        TransferMode::Automatic => DecisionMode::Automatic,
        TransferMode::Manual => DecisionMode::Manual,
    };
    let listed = Listed {
        count: picks.len(),
        more,
    };
    let why = hours(HoursOutcome::ToStaff {
        first_organisation,
        routing,
        listed,
    });
    Routed {
        mode,
        roster: Some(roster),
        picks,
        more,
        routing: Some(routing),
        why,
    }
}
