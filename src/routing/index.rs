//! The routing index: what a decision needs, sorted once per snapshot. For each
//! topic, the organisations covering it in routing order and their staff in candidate
//! order, with what a decision checks per person kept inline.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use chrono::NaiveDate;

use super::calendar::ProductionCalendar;
use super::model::{
    Absence, DirectorySnapshot, Line, LineNumber, Organisation, OrganisationCode, ResponsibleStaff,
    Specialist, StaffId, Topic, TopicCode, TopicRouting,
};

/// Lookup tables derived from a snapshot so that a decision does no sorting, no
/// searching through all staff and (almost) no allocation: for each topic, the
/// organisations covering it in routing order and their staff in candidate order.
/// Built by [`DirectorySnapshot::validated`]; `Default` is the empty, unbuilt index.
#[derive(Clone, Default)]
pub struct RoutingIndex {
    /// False for the default value: the snapshot was not validated.
    built: bool,
    /// One roster per topic (also topics nobody covers, so they are not "unknown").
    pub(crate) rosters: HashMap<TopicCode, Arc<TopicRoster>>,
    /// The active specialists by id: every decision's fallback, shared, not copied.
    pub(crate) fallback: Arc<[Specialist]>,
    /// The lines again, each shared, so that a decision's reason can keep its line
    /// and be written later without copying the menu.
    pub(crate) lines: BTreeMap<LineNumber, Arc<Line>>,
    /// The production calendar again, shared for the same reason: a reason about
    /// hours is written from the calendar when asked for.
    pub(crate) calendar: Arc<ProductionCalendar>,
}

/// Derived data: two indexes of equal snapshots are equal, so it never decides `==`.
impl PartialEq for RoutingIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Summarised: the full tables would drown a snapshot's debug output.
impl fmt::Debug for RoutingIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutingIndex")
            .field("built", &self.built)
            .field("topics", &self.rosters.len())
            .field("fallback", &self.fallback.len())
            .finish()
    }
}

/// Everything about one topic a decision needs, in routing order.
#[derive(Debug)]
pub(crate) struct TopicRoster {
    /// The topic itself, shared with every decision about it.
    pub(crate) topic: Arc<Topic>,
    /// This roster's number in its index (0, 1, …): where a [`super::CallHistory`]
    /// keeps its least-recent order.
    pub(crate) ordinal: usize,
    /// The organisations with staff on the topic: first those in the topic's order (by
    /// priority, then code), then the rest by code.
    pub(crate) organisations: Vec<RosterOrganisation>,
    /// Staff on the topic, grouped by organisation in the order above, then by
    /// priority and id: the candidate order.
    pub(crate) staff: Vec<RosterEntry>,
    /// `staff[i].maybe_away` again, alone in one array: the filter every decision runs
    /// over all of a topic's staff then reads 8 bytes per person, not a whole entry.
    pub(crate) maybe_away: Vec<(NaiveDate, NaiveDate)>,
    /// `staff[i].id` again, alone in one array, for the same reason: a
    /// `least_recent` decision looks up every reachable person's last call.
    pub(crate) ids: Vec<StaffId>,
    /// `staff[i].organisation` again, alone in one array: a walk down a least-recent
    /// order (see [`super::CallHistory`]) meets staff in no particular order and asks
    /// each one's organisation whether it is open.
    pub(crate) organisation_of: Vec<u32>,
}

impl TopicRoster {
    /// Whether the staff member at `position` can take a call on that local date
    /// (their organisation's hours are checked separately).
    #[inline]
    pub(crate) fn reachable_on(&self, position: usize, date: NaiveDate) -> bool {
        let (first, last) = self.maybe_away[position];
        // Outside the span: certainly reachable, settled without touching the entry.
        (date < first || date > last) || self.staff[position].reachable_on(date)
    }
}

/// An organisation covering a topic.
#[derive(Debug)]
pub(crate) struct RosterOrganisation {
    /// The organisation, shared with the snapshot.
    pub(crate) organisation: Arc<Organisation>,
    /// Its settings for this topic (the topic's defaults if it has no row).
    pub(crate) routing: TopicRouting,
    /// Its staff: a range of [`TopicRoster::staff`].
    pub(crate) staff: Range<usize>,
    /// An earlier organisation of this roster with exactly the same schedule (zone,
    /// calendar flag, hours, overrides), whose status can be reused: most bodies keep
    /// the same hours, so a decision computes a handful of statuses, not fifty.
    pub(crate) same_schedule_as: Option<usize>,
    /// An earlier organisation in the same time zone, whose local time can be reused.
    pub(crate) same_zone_as: Option<usize>,
}

/// A staff member on a topic, with what a decision checks kept inline: filtering a
/// few hundred entries then reads one contiguous array instead of following a
/// pointer to each person (a cache miss apiece).
#[derive(Debug)]
pub(crate) struct RosterEntry {
    /// The person, shared with the snapshot.
    pub(crate) staff: Arc<ResponsibleStaff>,
    /// A copy of `staff.active`.
    pub(crate) active: bool,
    /// Their organisation's position in [`TopicRoster::organisations`].
    pub(crate) organisation: usize,
    /// Days on which they *may* be unreachable, inclusive: all days for an inactive
    /// person, from their first absence's first day to the last one's last day
    /// otherwise, none (an empty span) if they have no absences. A date outside it is
    /// settled by two comparisons, without looking at the absences.
    pub(crate) maybe_away: (NaiveDate, NaiveDate),
}

impl RosterEntry {
    fn new(staff: &Arc<ResponsibleStaff>, organisation: usize) -> Self {
        let maybe_away = if !staff.active {
            (NaiveDate::MIN, NaiveDate::MAX)
        } else {
            let first = staff.absences.iter().map(|a| a.first_day).min();
            let last = staff.absences.iter().map(|a| a.last_day).max();
            // No absences: an empty span (first after last) that no date falls in.
            (
                first.unwrap_or(NaiveDate::MAX),
                last.unwrap_or(NaiveDate::MIN),
            )
        };
        Self {
            staff: Arc::clone(staff),
            active: staff.active,
            organisation,
            maybe_away,
        }
    }

    /// The absence covering a local date (whole days, inclusive), if any.
    pub(crate) fn absence_on(&self, date: NaiveDate) -> Option<&Absence> {
        let (first, last) = self.maybe_away;
        if date < first || date > last {
            return None;
        }
        self.staff
            .absences
            .iter()
            .find(|absence| absence.first_day <= date && date <= absence.last_day)
    }

    /// Whether a call can be offered to them on that local date (their organisation's
    /// hours are checked separately).
    pub(crate) fn reachable_on(&self, date: NaiveDate) -> bool {
        let (first, last) = self.maybe_away;
        if date < first || date > last {
            return true;
        }
        self.active && self.absence_on(date).is_none()
    }
}

impl RoutingIndex {
    /// False for an index that was never built (a snapshot that skipped validation).
    pub fn is_built(&self) -> bool {
        self.built
    }

    /// Builds the index. Tolerates dangling references (skips them), so it can also
    /// serve a snapshot that was never validated.
    pub(super) fn build(snapshot: &DirectorySnapshot) -> Self {
        let mut fallback: Vec<Specialist> = snapshot
            .specialists
            .iter()
            .filter(|specialist| specialist.active)
            .cloned()
            .collect();
        fallback.sort_by_key(|specialist| specialist.id);
        let rosters = (snapshot.topics.values().enumerate())
            .map(|(ordinal, topic)| {
                let roster = TopicRoster::build(topic, snapshot, ordinal);
                (topic.code.clone(), Arc::new(roster))
            })
            .collect();
        let lines = (snapshot.lines.iter())
            .map(|(number, line)| (number.clone(), Arc::new(line.clone())))
            .collect();
        Self {
            built: true,
            rosters,
            fallback: fallback.into(),
            lines,
            calendar: Arc::new(snapshot.calendar.clone()),
        }
    }
}

impl DirectorySnapshot {
    /// The index to route with: the one `validated()` built, or (for a snapshot that
    /// skipped validation) a fresh one, correct but rebuilt on every call.
    pub(crate) fn routing_index(&self) -> Cow<'_, RoutingIndex> {
        if self.index.built {
            Cow::Borrowed(&self.index)
        } else {
            Cow::Owned(RoutingIndex::build(self))
        }
    }
}

impl TopicRoster {
    fn build(topic: &Topic, snapshot: &DirectorySnapshot, ordinal: usize) -> Self {
        let covering: Vec<&Arc<ResponsibleStaff>> = snapshot
            .staff
            .iter()
            .filter(|staff| staff.topics.contains(&topic.code))
            .filter(|staff| snapshot.organisations.contains_key(&staff.organisation))
            .collect();
        let order = organisation_order(topic, covering.iter().map(|staff| &staff.organisation));

        let mut organisations: Vec<RosterOrganisation> = Vec::with_capacity(order.len());
        let mut entries: Vec<RosterEntry> = Vec::with_capacity(covering.len());
        for (position, code) in order.into_iter().enumerate() {
            let organisation = Arc::clone(&snapshot.organisations[code]);
            let mut own: Vec<&Arc<ResponsibleStaff>> = covering
                .iter()
                .copied()
                .filter(|staff| staff.organisation == *code)
                .collect();
            own.sort_by_key(|staff| (staff.priority, staff.id));
            let start = entries.len();
            entries.extend(
                own.into_iter()
                    .map(|staff| RosterEntry::new(staff, position)),
            );
            let same_schedule_as = organisations
                .iter()
                .position(|earlier| same_schedule(&earlier.organisation, &organisation));
            let same_zone_as = organisations
                .iter()
                .position(|earlier| earlier.organisation.time_zone == organisation.time_zone);
            let routing = topic
                .organisations
                .iter()
                .find(|entry| entry.organisation == *code)
                .map_or(topic.defaults, |entry| entry.routing);
            organisations.push(RosterOrganisation {
                organisation,
                routing,
                staff: start..entries.len(),
                same_schedule_as,
                same_zone_as,
            });
        }
        Self {
            topic: Arc::new(topic.clone()),
            ordinal,
            organisations,
            maybe_away: entries.iter().map(|entry| entry.maybe_away).collect(),
            ids: entries.iter().map(|entry| entry.staff.id).collect(),
            organisation_of: (entries.iter())
                .map(|entry| entry.organisation as u32)
                .collect(),
            staff: entries,
        }
    }
}

/// The distinct organisations among `codes`, in the topic's order: those with a row
/// in `Topic::organisations` by (priority, code), then the others by code.
fn organisation_order<'a>(
    topic: &Topic,
    codes: impl Iterator<Item = &'a OrganisationCode>,
) -> Vec<&'a OrganisationCode> {
    let mut distinct: Vec<&OrganisationCode> = codes.collect::<HashSet<_>>().into_iter().collect();
    distinct.sort_by_key(|code| {
        let listed = topic
            .organisations
            .iter()
            .find(|entry| entry.organisation == **code);
        match listed {
            Some(entry) => (0, entry.priority, *code),
            None => (1, 0, *code),
        }
    });
    distinct
}

/// Whether two organisations are open and closed at exactly the same instants.
fn same_schedule(a: &Organisation, b: &Organisation) -> bool {
    a.time_zone == b.time_zone
        && a.follows_production_calendar == b.follows_production_calendar
        && a.weekly_hours == b.weekly_hours
        && a.overrides == b.overrides
}
