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

use std::collections::{BinaryHeap, HashMap};
use std::fmt::{self, Write as _};
use std::hash::BuildHasher;
use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc, Weekday};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::index::{RoutingIndex, TopicRoster};
use super::model::{
    DialTarget, DirectorySnapshot, HuntStrategy, Line, LineNumber, MenuItem, Organisation,
    ProductionCalendar, ResponsibleStaff, Specialist, StaffId, Topic, TopicCode, TopicRouting,
    TransferMode,
};
use super::schedule::{
    ClockTime, ClosedWhy, DayRule, NEXT_OPENING_LIMIT_DAYS, OpenState, Opening, ScheduleStatus,
    local_time,
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

/// Which rule decided the call. Only `automatic` dials staff directly; in every other
/// mode a specialist answers (and in `manual` transfers to a candidate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionMode {
    /// Working hours; the service dials the candidates itself.
    Automatic,
    /// Working hours; a specialist answers and transfers to a candidate by hand.
    Manual,
    /// No organisation covering the topic is open; specialists take the call.
    AfterHours,
    /// The digit is not on the line's menu.
    InvalidDigit,
    /// The caller chose nothing.
    NoInput,
    /// The line is not in the directory.
    UnknownLine,
    /// The topic is not in the directory.
    UnknownTopic,
    /// The menu item asks for a specialist directly.
    SpecialistRequested,
    /// The topic has no responsible agency: specialists handle it themselves.
    SpecialistTopic,
    /// An organisation is open, but none of its staff on the topic is reachable
    /// (absent, inactive), or nobody covers the topic at all.
    NobodyReachable,
}

impl DecisionMode {
    /// The snake_case name used in JSON, logs and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::Manual => "manual",
            Self::AfterHours => "after_hours",
            Self::InvalidDigit => "invalid_digit",
            Self::NoInput => "no_input",
            Self::UnknownLine => "unknown_line",
            Self::UnknownTopic => "unknown_topic",
            Self::SpecialistRequested => "specialist_requested",
            Self::SpecialistTopic => "specialist_topic",
            Self::NobodyReachable => "nobody_reachable",
        }
    }
}

impl fmt::Display for DecisionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the policy decided as it did: the rule that fired and what it fired on, put
/// into words in Russian (for specialists and roster editors) and English (for logs
/// and support) when asked for ([`Reason::texts`]).
///
/// The words are written later, not by [`decide`]: a call's decision sits between the
/// caller's key press and the first staff phone ringing, while its wording is read by
/// the journal and the screens afterwards. Keeping the facts costs a few shared
/// pointers; the text (and, after hours, the search for the next opening) costs more
/// than the decision itself. The text is the same whenever it is written: it
/// depends only on the snapshot the decision was made on and the instant.
#[derive(Clone)]
pub struct Reason {
    why: Why,
    /// No specialist is active: every reason then ends with a warning.
    no_specialist: bool,
}

/// A [`Reason`] in words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonText {
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

/// `Russian / English`: the reason as the journal keeps it.
impl fmt::Display for ReasonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.ru, self.en)
    }
}

/// The facts behind a [`Reason`], shared with the snapshot.
#[derive(Clone)]
enum Why {
    UnknownLine(LineNumber),
    NoInput(Arc<Line>),
    InvalidDigit(Arc<Line>, char),
    SpecialistRequested(Arc<Line>, char),
    UnknownTopic(TopicCode),
    SpecialistTopic(Arc<Topic>),
    NobodyCovers(Arc<Topic>),
    /// Rules 4-6: the organisations' hours at the instant, looked up again when the
    /// reason is written.
    Hours {
        roster: Arc<TopicRoster>,
        calendar: Arc<ProductionCalendar>,
        at: DateTime<Utc>,
        outcome: HoursOutcome,
    },
}

/// What the hours of a topic's organisations led to.
#[derive(Clone, Copy)]
enum HoursOutcome {
    /// Candidates were found, the first in this organisation of the roster.
    ToStaff {
        first_organisation: usize,
        routing: TopicRouting,
        listed: Listed,
    },
    /// Nobody covering the topic is open.
    AfterHours,
    /// This organisation of the roster is open, but nobody in any open one is
    /// reachable.
    NobodyReachable { open: usize },
}

impl Reason {
    /// The reason in both languages.
    pub fn texts(&self) -> ReasonText {
        let mut text = match &self.why {
            Why::UnknownLine(line) => explain::unknown_line(line),
            Why::NoInput(line) => explain::no_input(line),
            Why::InvalidDigit(line, digit) => explain::invalid_digit(line, *digit),
            Why::SpecialistRequested(line, digit) => match line.menu.get(digit) {
                Some(item) => explain::specialist_requested(line, item),
                None => explain::invalid_digit(line, *digit),
            },
            Why::UnknownTopic(code) => explain::unknown_topic(code),
            Why::SpecialistTopic(topic) => explain::specialist_topic(topic),
            Why::NobodyCovers(topic) => explain::nobody_covers(topic),
            Why::Hours {
                roster,
                calendar,
                at,
                outcome,
            } => {
                let statuses = organisation_statuses(calendar, roster, *at);
                match *outcome {
                    HoursOutcome::ToStaff {
                        first_organisation,
                        routing,
                        listed,
                    } => {
                        let status = &statuses[first_organisation];
                        let hours = explain::Hours { roster, calendar };
                        explain::to_staff(hours, first_organisation, status, routing, listed)
                    }
                    HoursOutcome::AfterHours => {
                        let opening = earliest_opening(calendar, roster, *at);
                        explain::after_hours(
                            explain::Hours { roster, calendar },
                            &statuses,
                            opening,
                        )
                    }
                    HoursOutcome::NobodyReachable { open } => explain::nobody_reachable(
                        explain::Hours { roster, calendar },
                        &statuses,
                        open,
                    ),
                }
            }
        };
        if self.no_specialist {
            text.ru
                .push_str(" ВНИМАНИЕ: нет ни одного активного специалиста.");
            text.en.push_str(" WARNING: there is no active specialist.");
        }
        text
    }

    /// The reason in Russian.
    pub fn ru(&self) -> String {
        self.texts().ru
    }

    /// The reason in English.
    pub fn en(&self) -> String {
        self.texts().en
    }
}

/// Reasons are equal when they say the same.
impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        self.texts() == other.texts()
    }
}

/// Shown as its words: the facts behind them would print a whole roster.
impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.texts().fmt(f)
    }
}

/// `{"ru": ..., "en": ...}`.
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.texts().serialize(serializer)
    }
}

/// When each staff member was last called: input to the `least_recent` strategy. Kept
/// outside the snapshot because it changes with every call, not with the roster.
pub trait CallRecency {
    /// The last time this person was rung, or `None` if never (they go first).
    fn last_called(&self, staff: StaffId) -> Option<DateTime<Utc>>;

    /// The same in whole seconds since the Unix epoch: what the policy compares (calls
    /// within one second count as simultaneous). A history that keeps seconds answers
    /// without building a date.
    fn last_called_second(&self, staff: StaffId) -> Option<i64> {
        self.last_called(staff).map(|last| last.timestamp())
    }

    /// The positions of roster number `roster` of `index`, least recently called
    /// first (never called first, in roster order; then by last call's second; ties in
    /// roster order), if this history keeps such an order for that index, as
    /// [`super::CallHistory`] does. With `None`, the default, the policy reads every
    /// reachable person's last call instead; the decision is the same.
    fn least_recent_order(&self, index: &RoutingIndex, roster: usize) -> Option<&[u32]> {
        let _ = (index, roster);
        None
    }
}

/// No call history: `least_recent` then falls back to the ordinary order.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRecency;

impl CallRecency for NoRecency {
    fn last_called(&self, _: StaffId) -> Option<DateTime<Utc>> {
        None
    }
}

/// The simplest history: a map kept by whoever dials.
impl<S: BuildHasher> CallRecency for HashMap<StaffId, DateTime<Utc>, S> {
    fn last_called(&self, staff: StaffId) -> Option<DateTime<Utc>> {
        self.get(&staff).copied()
    }
}

/// The call history a dialer keeps for [`CallRecency`], to the second.
///
/// A `least_recent` decision may look up every one of a topic's few hundred staff, so
/// a look-up must cost about a memory read: staff ids are the directory's own serial
/// keys, small and dense, and index a plain array of seconds (8 bytes a person, grown
/// to the highest id seen). Ids beyond [`LastCalls::DENSE_IDS`] (or below 1) go to a
/// map, correct if slower, so no id can make the array huge.
#[derive(Clone, Debug, Default)]
pub struct LastCalls {
    /// The last call's second by id; [`NEVER`] where there was none.
    by_id: Vec<i64>,
    /// Ids outside `1..DENSE_IDS`.
    others: HashMap<StaffId, i64>,
}

/// "Never called" in [`LastCalls::by_id`].
const NEVER: i64 = i64::MIN;

impl LastCalls {
    /// Ids below this are kept in the array (at most 8 MiB).
    pub const DENSE_IDS: i64 = 1 << 20;

    /// Notes a call to `staff` at `at`; an earlier instant than the one known changes
    /// nothing (attempts are reported out of order).
    pub fn called(&mut self, staff: StaffId, at: DateTime<Utc>) {
        let second = at.timestamp();
        let slot = match Self::dense_index(staff) {
            Some(index) => {
                if self.by_id.len() <= index {
                    self.by_id.resize(index + 1, NEVER);
                }
                &mut self.by_id[index]
            }
            None => self.others.entry(staff).or_insert(NEVER),
        };
        *slot = (*slot).max(second);
    }

    /// Forgets a staff member's calls.
    pub fn forget(&mut self, staff: StaffId) {
        match Self::dense_index(staff) {
            Some(index) => {
                if let Some(slot) = self.by_id.get_mut(index) {
                    *slot = NEVER;
                }
            }
            None => drop(self.others.remove(&staff)),
        }
    }

    /// The id's place in the array, if it is kept there.
    #[inline]
    fn dense_index(staff: StaffId) -> Option<usize> {
        (1..Self::DENSE_IDS)
            .contains(&staff.0)
            .then_some(staff.0 as usize)
    }
}

impl CallRecency for LastCalls {
    fn last_called(&self, staff: StaffId) -> Option<DateTime<Utc>> {
        self.last_called_second(staff)
            .and_then(|second| DateTime::from_timestamp(second, 0))
    }

    // Inlined into the policy's walk (it is generic over the history, so it is
    // compiled in the caller's crate): one call per person would cost more than
    // the look-up.
    #[inline]
    fn last_called_second(&self, staff: StaffId) -> Option<i64> {
        let second = match Self::dense_index(staff) {
            Some(index) => *self.by_id.get(index)?,
            None => *self.others.get(&staff)?,
        };
        (second != NEVER).then_some(second)
    }
}

impl FromIterator<(StaffId, DateTime<Utc>)> for LastCalls {
    fn from_iter<I: IntoIterator<Item = (StaffId, DateTime<Utc>)>>(calls: I) -> Self {
        let mut last = Self::default();
        for (staff, at) in calls {
            last.called(staff, at);
        }
        last
    }
}

/// The policy's answer: whom to ring, how, and why.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Which rule fired.
    pub mode: DecisionMode,
    /// The line of the request.
    pub line: LineNumber,
    /// The topic, once one was chosen and found.
    pub topic: Option<Arc<Topic>>,
    /// Staff to ring (or for a specialist to transfer to), in order; empty unless
    /// the mode is `automatic` or `manual`.
    pub candidates: Candidates,
    /// How to ring the candidates; `None` when there are none.
    pub strategy: Option<HuntStrategy>,
    /// How long each attempt rings, in seconds; `None` when there are no candidates.
    pub attempt_timeout_seconds: Option<u32>,
    /// The active specialists by id: who takes the call if no candidate answers, or
    /// at once in the modes without candidates. Shared with the snapshot.
    pub fallback: Arc<[Specialist]>,
    /// Which rule fired, in words.
    pub reason: Reason,
    /// The instant decided for.
    pub at: DateTime<Utc>,
}

/// The ordered candidates of a decision: positions in the topic's pre-sorted roster,
/// which the decision shares with the snapshot, so that listing a few hundred staff
/// copies a few hundred integers and bumps no reference counts.
#[derive(Clone, Default)]
pub struct Candidates {
    /// The topic's roster; `None` when there are no candidates.
    roster: Option<Arc<TopicRoster>>,
    /// Positions in `roster.staff`, in ringing order.
    picks: Vec<u32>,
    /// More staff were reachable than the decision lists (see [`MAX_CANDIDATES`]).
    more: bool,
}

/// One candidate, borrowed from the decision.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// The person (clone the `Arc` to keep it beyond the decision).
    pub staff: &'a Arc<ResponsibleStaff>,
    /// Their organisation, the one whose hours made them a candidate.
    pub organisation: &'a Arc<Organisation>,
}

impl<'a> Candidate<'a> {
    /// Where to ring them.
    pub fn endpoint(&self) -> &'a DialTarget {
        &self.staff.endpoint
    }
}

impl Candidates {
    /// How many.
    pub fn len(&self) -> usize {
        self.picks.len()
    }

    /// True when nobody is to be rung.
    pub fn is_empty(&self) -> bool {
        self.picks.is_empty()
    }

    /// True when more staff were reachable than listed: the list stopped at the
    /// decision's limit.
    pub fn more_reachable(&self) -> bool {
        self.more
    }

    /// The candidate at a position of the ringing order.
    pub fn get(&self, position: usize) -> Option<Candidate<'_>> {
        let roster = self.roster.as_ref()?;
        let entry = &roster.staff[*self.picks.get(position)? as usize];
        Some(Candidate {
            staff: &entry.staff,
            organisation: &roster.organisations[entry.organisation].organisation,
        })
    }

    /// In ringing order.
    pub fn iter(&self) -> impl Iterator<Item = Candidate<'_>> + '_ {
        (0..self.picks.len()).filter_map(|position| self.get(position))
    }
}

impl fmt::Debug for Candidates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|c| (c.staff.id, &c.staff.full_name)))
            .finish()
    }
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

/// How many candidates a decision lists, and whether more were reachable.
#[derive(Clone, Copy)]
struct Listed {
    count: usize,
    more: bool,
}

/// The statuses of a roster's organisations at one instant, each computed when first
/// asked for: a decision that finds its candidates in the first two organisations
/// looks at two schedules, not fifty. Organisations sharing a schedule (or a time
/// zone) with an earlier one reuse its status (or local time).
struct Statuses<'a> {
    calendar: &'a ProductionCalendar,
    roster: &'a TopicRoster,
    at: DateTime<Utc>,
    /// By organisation position: its local time and status, once known.
    known: Vec<(Option<NaiveDateTime>, Option<ScheduleStatus<'a>>)>,
}

impl<'a> Statuses<'a> {
    fn new(calendar: &'a ProductionCalendar, roster: &'a TopicRoster, at: DateTime<Utc>) -> Self {
        Self {
            calendar,
            roster,
            at,
            known: vec![(None, None); roster.organisations.len()],
        }
    }

    /// The status of the organisation at this position of the roster.
    fn get(&mut self, org: usize) -> ScheduleStatus<'a> {
        if let Some(status) = self.known[org].1 {
            return status;
        }
        let roster = self.roster;
        let entry = &roster.organisations[org];
        let status = match entry.same_schedule_as {
            Some(earlier) => self.get(earlier),
            None => {
                let local = self.local(org);
                entry.organisation.status_at_local(self.calendar, local)
            }
        };
        self.known[org] = (Some(status.local), Some(status));
        status
    }

    /// The organisation's wall-clock time.
    fn local(&mut self, org: usize) -> NaiveDateTime {
        if let Some(local) = self.known[org].0 {
            return local;
        }
        let roster = self.roster;
        let entry = &roster.organisations[org];
        let local = match entry.same_zone_as {
            Some(earlier) => self.local(earlier),
            None => local_time(entry.organisation.time_zone, self.at),
        };
        self.known[org].0 = Some(local);
        local
    }
}

/// The status of each organisation of the roster (same positions), computing each
/// distinct schedule and time zone once.
fn organisation_statuses<'a>(
    calendar: &'a ProductionCalendar,
    roster: &'a TopicRoster,
    at: DateTime<Utc>,
) -> Vec<ScheduleStatus<'a>> {
    let mut statuses = Statuses::new(calendar, roster, at);
    (0..roster.organisations.len())
        .map(|org| statuses.get(org))
        .collect()
}

/// Shows `visit` the roster position of each reachable staff member of an open
/// organisation, in roster order from position `from`, until it says to stop.
///
/// Plain nested loops rather than an iterator chain: a `least_recent` decision runs
/// this over every one of a topic's few hundred staff, and the loops compile to a
/// scan of one array.
fn for_each_reachable(
    roster: &TopicRoster,
    statuses: &mut Statuses<'_>,
    from: u32,
    mut visit: impl FnMut(u32) -> ControlFlow<()>,
) {
    let from = from as usize;
    for (index, org) in roster.organisations.iter().enumerate() {
        if org.staff.end <= from {
            continue;
        }
        let status = statuses.get(index);
        if !status.is_open() {
            continue;
        }
        let today = status.local.date();
        for position in org.staff.start.max(from)..org.staff.end {
            if roster.reachable_on(position, today) && visit(position as u32).is_break() {
                return;
            }
        }
    }
}

/// The first `limit` reachable staff from `first` on, in roster order, and whether
/// more were reachable.
fn first_in_order(
    roster: &TopicRoster,
    statuses: &mut Statuses<'_>,
    first: u32,
    limit: usize,
) -> (Vec<u32>, bool) {
    let mut picks = Vec::with_capacity(limit.min(roster.staff.len()));
    let mut more = false;
    for_each_reachable(roster, statuses, first, |position| {
        if picks.len() == limit {
            more = true;
            return ControlFlow::Break(());
        }
        picks.push(position);
        ControlFlow::Continue(())
    });
    (picks, more)
}

/// For each organisation of the roster (same positions): its local date if it is
/// open, `None` if closed.
fn open_days(roster: &TopicRoster, statuses: &mut Statuses<'_>) -> Vec<Option<NaiveDate>> {
    (0..roster.organisations.len())
        .map(|org| {
            let status = statuses.get(org);
            status.is_open().then(|| status.local.date())
        })
        .collect()
}

/// Whether to take a roster's least-recent order rather than look up everyone's last
/// call: the open organisations must hold at least an eighth of its staff, so that
/// the walk down the order meets a reachable person every few steps. When only a
/// small organisation is open, its own few staff are quicker to look up one by one.
fn worth_the_order(roster: &TopicRoster, open_days: &[Option<NaiveDate>]) -> bool {
    let open_staff: usize = (roster.organisations.iter().zip(open_days))
        .filter(|(_, day)| day.is_some())
        .map(|(org, _)| org.staff.len())
        .sum();
    open_staff * 8 >= roster.staff.len()
}

/// The first `limit` reachable staff along a least-recent `order` of the roster (see
/// [`CallRecency::least_recent_order`]), and whether more were reachable.
fn first_in_least_recent_order(
    roster: &TopicRoster,
    open_days: &[Option<NaiveDate>],
    order: &[u32],
    limit: usize,
) -> (Vec<u32>, bool) {
    let mut picks = Vec::with_capacity(limit.min(order.len()));
    for &position in order {
        let Some(today) = open_days[roster.organisation_of[position as usize] as usize] else {
            continue;
        };
        if !roster.reachable_on(position as usize, today) {
            continue;
        }
        if picks.len() == limit {
            return (picks, true);
        }
        picks.push(position);
    }
    (picks, false)
}

/// The first `limit` of the reachable staff (from `first` on) by least-recent order:
/// never called first (in roster order), then the longest ago; ties keep the roster
/// order. Also whether more were reachable.
///
/// The walk stops once `limit` never-called staff are found, since nobody can come
/// before them; otherwise it looks up everyone's last call, keeping the `limit` oldest
/// in a max-heap: once it is full, most people cost one comparison with its top, and
/// only those kept are sorted. Calls are compared by [`called_key`] (calls within the
/// same second count as simultaneous and keep the roster order).
fn least_recent_first(
    roster: &TopicRoster,
    statuses: &mut Statuses<'_>,
    first: u32,
    recency: &(impl CallRecency + ?Sized),
    limit: usize,
) -> (Vec<u32>, bool) {
    let capacity = limit.min(roster.staff.len());
    let mut never_called: Vec<u32> = Vec::with_capacity(capacity);
    // The oldest calls seen so far, at most `limit - never_called.len()` of them.
    let mut oldest: BinaryHeap<u64> = BinaryHeap::with_capacity(capacity);
    let mut more = false;
    for_each_reachable(roster, statuses, first, |position| {
        if never_called.len() == limit {
            more = true;
            return ControlFlow::Break(());
        }
        match recency.last_called_second(roster.ids[position as usize]) {
            None => {
                never_called.push(position);
                if never_called.len() + oldest.len() > limit {
                    oldest.pop();
                    more = true;
                }
            }
            Some(second) => {
                let key = called_key(second, position);
                if never_called.len() + oldest.len() < limit {
                    oldest.push(key);
                } else {
                    more = true;
                    // Looked at through `peek`: a `PeekMut` costs a call even when
                    // nothing changes, and most people change nothing.
                    if oldest.peek().is_some_and(|&newest_kept| key < newest_kept)
                        && let Some(mut newest_kept) = oldest.peek_mut()
                    {
                        *newest_kept = key;
                    }
                }
            }
        }
        ControlFlow::Continue(())
    });
    let mut called = oldest.into_vec();
    called.sort_unstable();
    let mut picks = never_called;
    picks.extend(called.iter().map(|key| (key & POSITION_MASK) as u32));
    (picks, more)
}

/// Bits for a roster position in a `least_recent` sort key: 16 million staff per topic
/// leaves 40 bits of seconds, enough for the next 30,000 years.
const POSITION_BITS: u32 = 24;
const POSITION_MASK: u64 = (1 << POSITION_BITS) - 1;

/// Where a person called at `second` stands among the called in the least-recent
/// order: one integer, the second in the high bits (negative seconds count as 0) and
/// the roster position in the low [`POSITION_BITS`], so that calls within the same
/// second keep the roster order. The never-called come before every such key. Also
/// the order [`super::CallHistory`] keeps.
pub(super) fn called_key(second: i64, position: u32) -> u64 {
    u64::try_from(second).unwrap_or(0) << POSITION_BITS | u64::from(position)
}

/// The earliest instant any organisation of the roster opens again, with the first
/// (in topic order) organisation that opens then. Organisations sharing a schedule
/// are searched once.
fn earliest_opening<'a>(
    calendar: &'a ProductionCalendar,
    roster: &'a TopicRoster,
    at: DateTime<Utc>,
) -> Option<(&'a Organisation, Opening<'a>)> {
    let mut earliest: Option<(&Organisation, Opening<'_>)> = None;
    for org in roster
        .organisations
        .iter()
        .filter(|org| org.same_schedule_as.is_none())
    {
        let organisation: &Organisation = &org.organisation;
        let Some(opening) = organisation.next_opening(calendar, at, NEXT_OPENING_LIMIT_DAYS) else {
            continue;
        };
        if earliest.is_none_or(|(_, best)| opening.at < best.at) {
            earliest = Some((organisation, opening));
        }
    }
    earliest
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Decision", 12)?;
        out.serialize_field("mode", &self.mode)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("topic", &self.topic.as_deref().map(TopicJson::from))?;
        out.serialize_field("candidates", &self.candidates)?;
        out.serialize_field("more_candidates", &self.candidates.more_reachable())?;
        out.serialize_field("strategy", &self.strategy)?;
        out.serialize_field("attempt_timeout_seconds", &self.attempt_timeout_seconds)?;
        let endpoints: Vec<&str> = self.fallback.iter().map(|s| s.endpoint.as_str()).collect();
        out.serialize_field("fallback", &endpoints)?;
        let specialists: Vec<SpecialistJson<'_>> =
            self.fallback.iter().map(SpecialistJson::from).collect();
        out.serialize_field("fallback_specialists", &specialists)?;
        out.serialize_field("reason", &self.reason)?;
        out.serialize_field("at", &self.at)?;
        out.end()
    }
}

/// `[{id, name, position, organisation, organisation_name, endpoint}, ...]`.
impl Serialize for Candidates {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(CandidateJson::from))
    }
}

#[derive(Serialize)]
struct TopicJson<'a> {
    code: &'a TopicCode,
    name_ru: &'a str,
    name_en: &'a str,
}

impl<'a> From<&'a Topic> for TopicJson<'a> {
    fn from(topic: &'a Topic) -> Self {
        Self {
            code: &topic.code,
            name_ru: &topic.name_ru,
            name_en: &topic.name_en,
        }
    }
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    id: StaffId,
    name: &'a str,
    position: &'a str,
    organisation: &'a str,
    organisation_name: &'a str,
    endpoint: &'a str,
}

impl<'a> From<Candidate<'a>> for CandidateJson<'a> {
    fn from(candidate: Candidate<'a>) -> Self {
        Self {
            id: candidate.staff.id,
            name: &candidate.staff.full_name,
            position: &candidate.staff.position,
            organisation: &candidate.organisation.code.0,
            organisation_name: &candidate.organisation.name,
            endpoint: candidate.staff.endpoint.as_str(),
        }
    }
}

#[derive(Serialize)]
struct SpecialistJson<'a> {
    id: i64,
    name: &'a str,
    endpoint: &'a str,
}

impl<'a> From<&'a Specialist> for SpecialistJson<'a> {
    fn from(specialist: &'a Specialist) -> Self {
        Self {
            id: specialist.id.0,
            name: &specialist.full_name,
            endpoint: specialist.endpoint.as_str(),
        }
    }
}

impl Decision {
    /// The decision for people at a terminal (`hotline route` without `--json`): the
    /// mode, the reason in both languages, one candidate per line, the fallback.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) -> fmt::Result {
        write!(out, "{} — line {}", self.mode, self.line)?;
        match &self.topic {
            Some(topic) => writeln!(
                out,
                ", topic {} («{}» / {})",
                topic.code, topic.name_ru, topic.name_en
            )?,
            None => writeln!(out)?,
        }
        writeln!(out, "at {}", self.at.to_rfc3339())?;
        if let (Some(strategy), Some(timeout)) = (self.strategy, self.attempt_timeout_seconds) {
            let strategy = explain::strategy_en(strategy);
            writeln!(out, "strategy: {strategy}, {timeout} s per attempt")?;
        }
        let reason = self.reason.texts();
        writeln!(out, "ru: {}", reason.ru)?;
        writeln!(out, "en: {}", reason.en)?;
        if self.candidates.is_empty() {
            writeln!(out, "candidates: none")?;
        } else {
            let more = if self.candidates.more_reachable() {
                ", more are reachable"
            } else {
                ""
            };
            writeln!(out, "candidates ({}{more}):", self.candidates.len())?;
        }
        for (number, candidate) in self.candidates.iter().enumerate() {
            let staff = candidate.staff;
            write!(out, "  {}. {}", number + 1, staff.full_name)?;
            if !staff.position.is_empty() {
                write!(out, ", {}", staff.position)?;
            }
            let org = candidate.organisation;
            writeln!(out, " — {} ({}) — {}", org.name, org.code, staff.endpoint)?;
        }
        if self.fallback.is_empty() {
            writeln!(out, "fallback: none (no active specialist)")?;
        } else {
            let endpoints: Vec<&str> = self.fallback.iter().map(|s| s.endpoint.as_str()).collect();
            writeln!(out, "fallback: {}", endpoints.join(", "))?;
        }
        Ok(())
    }
}

/// The reasons, in Russian and English. Each function writes one decision's reason
/// (see [`Reason::texts`]); nothing here runs per candidate.
mod explain {
    use super::*;

    /// How many organisations or people a reason names before "and N more".
    const MAX_LISTED: usize = 3;

    /// Default zone of the region: times in other zones say which zone they are in.
    const HOME_ZONE: chrono_tz::Tz = chrono_tz::Asia::Irkutsk;

    const RU_WEEKDAYS: [&str; 7] = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"];
    const EN_WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    fn ru_weekday(weekday: Weekday) -> &'static str {
        RU_WEEKDAYS[weekday.num_days_from_monday() as usize]
    }

    fn en_weekday(weekday: Weekday) -> &'static str {
        EN_WEEKDAYS[weekday.num_days_from_monday() as usize]
    }

    /// A reason with room for a typical sentence in each language, so that writing it
    /// does not reallocate.
    fn reason() -> ReasonText {
        ReasonText {
            ru: String::with_capacity(256),
            en: String::with_capacity(192),
        }
    }

    /// Russian noun form after a number: 1 сотрудник, 2 сотрудника, 5 сотрудников.
    fn ru_plural(count: usize, [one, few, many]: [&str; 3]) -> &str {
        match (count % 10, count % 100) {
            (_, 11..=14) => many,
            (1, _) => one,
            (2..=4, _) => few,
            _ => many,
        }
    }

    /// `dd.mm`, the way Russian offices write a date within the year.
    struct DayMonth(NaiveDate);

    impl fmt::Display for DayMonth {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:02}.{:02}", self.0.day(), self.0.month())
        }
    }

    fn topic_prefix(out: &mut ReasonText, topic: &Topic) {
        let _ = write!(out.ru, "Тема «{}»: ", topic.name_ru);
        let _ = write!(out.en, "Topic “{}”: ", topic.name_en);
    }

    pub(super) fn strategy_en(strategy: HuntStrategy) -> &'static str {
        match strategy {
            HuntStrategy::Sequential => "one after another",
            HuntStrategy::RingAll => "all at once",
            HuntStrategy::LeastRecent => "one after another, least recently called first",
        }
    }

    fn strategy_ru(strategy: HuntStrategy) -> &'static str {
        match strategy {
            HuntStrategy::Sequential => "по очереди",
            HuntStrategy::RingAll => "одновременно",
            HuntStrategy::LeastRecent => "по очереди, первым — кому дольше всех не звонили",
        }
    }

    /// The topic's roster and the calendar its hours were read with: what a reason
    /// about hours is written from.
    #[derive(Clone, Copy)]
    pub(super) struct Hours<'a> {
        pub(super) roster: &'a TopicRoster,
        pub(super) calendar: &'a ProductionCalendar,
    }

    /// "Министерство здравоохранения работает (пн 09:00–13:00)" or "… не работает:
    /// перерыв до 14:00", with the day's rule when it is not the ordinary week, and
    /// the calendar's basis when the year's decree is not loaded.
    fn organisation_status(
        out: &mut ReasonText,
        calendar: &ProductionCalendar,
        org: &Organisation,
        status: &ScheduleStatus<'_>,
    ) {
        let weekday = status.local.date().weekday();
        let (ru, en) = (&mut out.ru, &mut out.en);
        match status.state {
            OpenState::Open { interval } => {
                let _ = write!(
                    ru,
                    "{} работает ({} {interval}",
                    org.name,
                    ru_weekday(weekday)
                );
                let _ = write!(
                    en,
                    "{} is open ({} {interval}",
                    org.name,
                    en_weekday(weekday)
                );
                day_rule(out, status.rule);
                if let Some(year) = unconfirmed_basis(calendar, org, status) {
                    out.ru.push_str("; ");
                    out.en.push_str("; ");
                    by_rule(out, year);
                }
                out.ru.push(')');
                out.en.push(')');
            }
            OpenState::Closed { why } => {
                let _ = write!(ru, "{} не работает: ", org.name);
                let _ = write!(en, "{} is closed: ", org.name);
                closed_why(out, why, status.rule, weekday);
                if let Some(year) = unconfirmed_basis(calendar, org, status) {
                    out.ru.push(' ');
                    out.en.push(' ');
                    by_rule(out, year);
                }
            }
        }
    }

    /// The year whose decree is missing, when the status of the day comes from the
    /// statutory rule alone: the organisation follows the calendar, no override or
    /// regional act decides the day, and the local date's year has no decree loaded.
    fn unconfirmed_basis(
        calendar: &ProductionCalendar,
        org: &Organisation,
        status: &ScheduleStatus<'_>,
    ) -> Option<i32> {
        let decided_locally = matches!(
            status.rule,
            DayRule::OverrideClosed { .. }
                | DayRule::OverrideHours { .. }
                | DayRule::RegionalDayOff { .. }
        );
        let year = status.local.date().year();
        (org.follows_production_calendar && !decided_locally && !calendar.is_confirmed(year))
            .then_some(year)
    }

    /// "по производственному календарю (правило ТК РФ, постановление на 2027 год не
    /// загружено)".
    fn by_rule(out: &mut ReasonText, year: i32) {
        let _ = write!(
            out.ru,
            "по производственному календарю (правило ТК РФ, постановление на {year} год не загружено)"
        );
        let _ = write!(
            out.en,
            "by the production calendar (Labour Code rule, the {year} decree is not loaded)"
        );
    }

    fn closed_why(out: &mut ReasonText, why: ClosedWhy, rule: DayRule<'_>, weekday: Weekday) {
        let (ru, en) = (&mut out.ru, &mut out.en);
        match (why, rule) {
            (ClosedWhy::DayOff, DayRule::WeeklyHours) => {
                let _ = write!(ru, "выходной ({})", ru_weekday(weekday));
                let _ = write!(en, "day off ({})", en_weekday(weekday));
                return;
            }
            (ClosedWhy::DayOff, DayRule::Holiday { note }) => {
                let _ = write!(ru, "нерабочий праздничный день «{note}»");
                let _ = write!(en, "public holiday «{note}»");
                return;
            }
            (ClosedWhy::DayOff, DayRule::DayOff { note }) => {
                let _ = write!(ru, "нерабочий день («{note}»)");
                let _ = write!(en, "day off («{note}»)");
                return;
            }
            (ClosedWhy::DayOff, DayRule::RegionalDayOff { note, act }) => {
                let _ = write!(ru, "региональный нерабочий день «{note}» ({act})");
                let _ = write!(en, "regional day off «{note}» ({act})");
                return;
            }
            (ClosedWhy::DayOff, DayRule::OverrideClosed { note }) => {
                let _ = write!(ru, "закрыто по особому графику «{note}»");
                let _ = write!(en, "closed by a schedule override «{note}»");
                return;
            }
            (ClosedWhy::DayOff, _) => {
                ru.push_str("в этот день нет рабочих часов");
                en.push_str("no working hours this day");
            }
            (ClosedWhy::BeforeOpening { opens }, _) => {
                let _ = write!(ru, "откроется в {}", ClockTime(opens));
                let _ = write!(en, "opens at {}", ClockTime(opens));
            }
            (ClosedWhy::Break { reopens }, _) => {
                let _ = write!(ru, "перерыв до {}", ClockTime(reopens));
                let _ = write!(en, "break until {}", ClockTime(reopens));
            }
            (ClosedWhy::AfterClosing { closed }, _) => {
                let _ = write!(ru, "рабочий день окончен в {}", ClockTime(closed));
                let _ = write!(en, "closed since {}", ClockTime(closed));
            }
        }
        day_rule(out, rule);
    }

    /// "; предпраздничный день, на час короче" and the like; nothing on an ordinary day.
    fn day_rule(out: &mut ReasonText, rule: DayRule<'_>) {
        let (ru, en) = (&mut out.ru, &mut out.en);
        match rule {
            DayRule::WeeklyHours
            | DayRule::Holiday { .. }
            | DayRule::DayOff { .. }
            | DayRule::RegionalDayOff { .. }
            | DayRule::OverrideClosed { .. } => {}
            DayRule::TransferredWorkingDay {
                hours_of,
                shortened,
                ..
            } => {
                let _ = write!(
                    ru,
                    "; перенесённый рабочий день, часы как в {}",
                    ru_weekday(hours_of)
                );
                let _ = write!(
                    en,
                    "; transferred working day with {} hours",
                    en_weekday(hours_of)
                );
                if shortened {
                    ru.push_str(", предпраздничный, на час короче");
                    en.push_str(", pre-holiday, one hour shorter");
                }
            }
            DayRule::ShortenedDay { .. } => {
                ru.push_str("; предпраздничный день, на час короче");
                en.push_str("; shortened pre-holiday day, one hour shorter");
            }
            DayRule::OverrideHours { note } => {
                let _ = write!(ru, "; особый график «{note}»");
                let _ = write!(en, "; special hours «{note}»");
            }
        }
    }

    fn specialists_take_it(out: &mut ReasonText) {
        out.ru.push_str(" Звонок принимают специалисты.");
        out.en.push_str(" Specialists take the call.");
    }

    /// Automatic or manual transfer to `count` candidates.
    pub(super) fn to_staff(
        Hours { roster, calendar }: Hours<'_>,
        first_organisation: usize,
        status: &ScheduleStatus<'_>,
        routing: TopicRouting,
        listed: Listed,
    ) -> ReasonText {
        let mut out = reason();
        topic_prefix(&mut out, &roster.topic);
        let org = &roster.organisations[first_organisation].organisation;
        organisation_status(&mut out, calendar, org, status);
        let count = listed.count;
        let staff_ru = ru_plural(count, ["сотрудник", "сотрудника", "сотрудников"]);
        let timeout = routing.attempt_timeout_seconds;
        match routing.transfer_mode {
            TransferMode::Automatic => {
                let _ = write!(
                    out.ru,
                    "; автоматический перевод, {count} {staff_ru} {}, по {timeout} с на попытку",
                    strategy_ru(routing.strategy)
                );
                let _ = write!(
                    out.en,
                    "; automatic transfer, {count} staff {}, {timeout} s per attempt",
                    strategy_en(routing.strategy)
                );
            }
            TransferMode::Manual => {
                let _ = write!(
                    out.ru,
                    "; ручной перевод: специалист соединит с ответственным ({count} {staff_ru} на месте)"
                );
                let _ = write!(
                    out.en,
                    "; manual transfer: a specialist connects the caller ({count} staff available)"
                );
            }
        }
        if listed.more {
            let _ = write!(
                out.ru,
                "; доступны и другие, в списке первые {count} по порядку"
            );
            let _ = write!(
                out.en,
                "; more are reachable, the list holds the first {count} in order"
            );
        }
        out
    }

    /// Nobody covering the topic is open; when the first of them opens again.
    pub(super) fn after_hours(
        Hours { roster, calendar }: Hours<'_>,
        statuses: &[ScheduleStatus<'_>],
        opening: Option<(&Organisation, Opening<'_>)>,
    ) -> ReasonText {
        let mut out = reason();
        topic_prefix(&mut out, &roster.topic);
        out.ru.push_str("нерабочее время. ");
        out.en.push_str("after hours. ");
        for (listed, (org, status)) in roster.organisations.iter().zip(statuses).enumerate() {
            if listed == MAX_LISTED {
                let more = roster.organisations.len() - MAX_LISTED;
                let ru = ["организация", "организации", "организаций"];
                and_more(&mut out, more, ru);
                break;
            }
            if listed > 0 {
                out.ru.push_str("; ");
                out.en.push_str("; ");
            }
            organisation_status(&mut out, calendar, &org.organisation, status);
        }
        out.ru.push('.');
        out.en.push('.');
        match opening {
            Some((org, opening)) => {
                let date = opening.local.date();
                let time = ClockTime(opening.local.time());
                let (weekday, day) = (date.weekday(), DayMonth(date));
                let _ = write!(
                    out.ru,
                    " Ближайшее открытие: {}, {} {day} в {time}",
                    org.name,
                    ru_weekday(weekday)
                );
                let _ = write!(
                    out.en,
                    " Next opening: {}, {} {day} at {time}",
                    org.name,
                    en_weekday(weekday)
                );
                if org.time_zone != HOME_ZONE {
                    let _ = write!(out.ru, " ({})", org.time_zone.name());
                    let _ = write!(out.en, " ({})", org.time_zone.name());
                }
                if org.follows_production_calendar && !calendar.is_confirmed(date.year()) {
                    out.ru.push_str(", ");
                    out.en.push_str(", ");
                    by_rule(&mut out, date.year());
                }
                out.ru.push('.');
                out.en.push('.');
            }
            None => {
                let days = NEXT_OPENING_LIMIT_DAYS;
                let _ = write!(out.ru, " В ближайшие {days} дней ни одна не откроется.");
                let _ = write!(out.en, " None opens within {days} days.");
            }
        }
        specialists_take_it(&mut out);
        out
    }

    /// "; и ещё 2 организации" / "; and 2 more".
    fn and_more(out: &mut ReasonText, count: usize, ru_forms: [&str; 3]) {
        let _ = write!(out.ru, "; и ещё {count} {}", ru_plural(count, ru_forms));
        let _ = write!(out.en, "; and {count} more");
    }

    /// An organisation is open, but its staff on the topic are all absent or inactive.
    pub(super) fn nobody_reachable(
        Hours { roster, calendar }: Hours<'_>,
        statuses: &[ScheduleStatus<'_>],
        open: usize,
    ) -> ReasonText {
        let mut out = reason();
        topic_prefix(&mut out, &roster.topic);
        organisation_status(
            &mut out,
            calendar,
            &roster.organisations[open].organisation,
            &statuses[open],
        );
        out.ru.push_str(", но никто из ответственных не доступен: ");
        out.en
            .push_str(", but no responsible staff member is reachable: ");
        let unreachable = roster
            .staff
            .iter()
            .filter(|entry| statuses[entry.organisation].is_open());
        let total = unreachable.clone().count();
        for (listed, entry) in unreachable.take(MAX_LISTED).enumerate() {
            if listed > 0 {
                out.ru.push_str("; ");
                out.en.push_str("; ");
            }
            let today = statuses[entry.organisation].local.date();
            let staff = &entry.staff;
            let _ = write!(out.ru, "{} — ", staff.full_name);
            let _ = write!(out.en, "{} — ", staff.full_name);
            if !staff.active {
                out.ru.push_str("запись неактивна");
                out.en.push_str("inactive");
            } else if let Some(absence) = entry.absence_on(today) {
                let last = DayMonth(absence.last_day);
                let what = if absence.reason.is_empty() {
                    "отсутствует"
                } else {
                    &absence.reason
                };
                let _ = write!(out.ru, "{what} по {last}");
                let _ = write!(out.en, "absent ({what}) through {last}");
            } else {
                // Cannot happen (they would be a candidate); say so rather than panic.
                out.ru.push_str("доступен");
                out.en.push_str("reachable");
            }
        }
        if total > MAX_LISTED {
            let ru = ["сотрудник", "сотрудника", "сотрудников"];
            and_more(&mut out, total - MAX_LISTED, ru);
        }
        out.ru.push('.');
        out.en.push('.');
        specialists_take_it(&mut out);
        out
    }

    /// A topic with an agency but nobody named for it anywhere.
    pub(super) fn nobody_covers(topic: &Topic) -> ReasonText {
        let mut out = reason();
        topic_prefix(&mut out, topic);
        out.ru
            .push_str("в справочнике нет ответственных сотрудников по теме.");
        out.en
            .push_str("the directory names no responsible staff for the topic.");
        specialists_take_it(&mut out);
        out
    }

    pub(super) fn unknown_line(line: &LineNumber) -> ReasonText {
        let mut out = reason();
        let _ = write!(out.ru, "Линии {line} нет в справочнике.");
        let _ = write!(out.en, "Line {line} is not in the directory.");
        specialists_take_it(&mut out);
        out
    }

    pub(super) fn no_input(line: &Line) -> ReasonText {
        let mut out = reason();
        let _ = write!(
            out.ru,
            "Линия {}: абонент не выбрал пункт меню.",
            line.number
        );
        let _ = write!(
            out.en,
            "Line {}: the caller chose nothing from the menu.",
            line.number
        );
        specialists_take_it(&mut out);
        out
    }

    pub(super) fn invalid_digit(line: &Line, digit: char) -> ReasonText {
        let mut out = reason();
        let _ = write!(out.ru, "Линия {}: цифры «{digit}» нет в меню.", line.number);
        let _ = write!(
            out.en,
            "Line {}: digit '{digit}' is not on the menu.",
            line.number
        );
        specialists_take_it(&mut out);
        out
    }

    pub(super) fn specialist_requested(line: &Line, item: &MenuItem) -> ReasonText {
        let mut out = reason();
        let (number, digit, label) = (&line.number, item.digit, &item.label_ru);
        let _ = write!(
            out.ru,
            "Линия {number}: цифра «{digit}» («{label}») — соединение со специалистом."
        );
        let _ = write!(
            out.en,
            "Line {number}: digit '{digit}' («{label}») asks for a specialist."
        );
        specialists_take_it(&mut out);
        out
    }

    pub(super) fn unknown_topic(code: &TopicCode) -> ReasonText {
        let mut out = reason();
        let _ = write!(out.ru, "Темы `{code}` нет в справочнике.");
        let _ = write!(out.en, "Topic `{code}` is not in the directory.");
        specialists_take_it(&mut out);
        out
    }

    pub(super) fn specialist_topic(topic: &Topic) -> ReasonText {
        let mut out = reason();
        topic_prefix(&mut out, topic);
        out.ru.push_str(
            "у темы нет ответственного ведомства, консультируют специалисты контакт-центра.",
        );
        out.en.push_str(
            "the topic has no responsible agency; the contact-center specialists advise.",
        );
        out
    }
}
