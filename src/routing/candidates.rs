//! Candidate selection on a topic's roster at an instant: each organisation's status
//! computed once ([`Statuses`]), the walks that list the reachable staff in roster
//! order or least recently called first, the least-recent sort key ([`called_key`],
//! which [`super::CallHistory`] keeps too), and the roster's earliest opening, for an
//! after-hours reason.

use std::collections::BinaryHeap;
use std::ops::ControlFlow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::calendar::ProductionCalendar;
use super::index::TopicRoster;
use super::model::Organisation;
use super::recency::CallRecency;
use super::schedule::{NEXT_OPENING_LIMIT_DAYS, Opening, ScheduleStatus, local_time};

/// The statuses of a roster's organisations at one instant, each computed when first
/// asked for: a decision that finds its candidates in the first two organisations
/// looks at two schedules, not fifty. Organisations sharing a schedule (or a time
/// zone) with an earlier one reuse its status (or local time).
pub(super) struct Statuses<'a> {
    calendar: &'a ProductionCalendar,
    roster: &'a TopicRoster,
    at: DateTime<Utc>,
    /// By organisation position: its local time and status, once known.
    known: Vec<(Option<NaiveDateTime>, Option<ScheduleStatus<'a>>)>,
}

impl<'a> Statuses<'a> {
    pub(super) fn new(
        calendar: &'a ProductionCalendar,
        roster: &'a TopicRoster,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            calendar,
            roster,
            at,
            known: vec![(None, None); roster.organisations.len()],
        }
    }

    /// The status of the organisation at this position of the roster.
    pub(super) fn get(&mut self, org: usize) -> ScheduleStatus<'a> {
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
pub(super) fn organisation_statuses<'a>(
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
pub(super) fn for_each_reachable(
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
pub(super) fn first_in_order(
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
pub(super) fn open_days(
    roster: &TopicRoster,
    statuses: &mut Statuses<'_>,
) -> Vec<Option<NaiveDate>> {
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
pub(super) fn worth_the_order(roster: &TopicRoster, open_days: &[Option<NaiveDate>]) -> bool {
    let open_staff: usize = (roster.organisations.iter().zip(open_days))
        .filter(|(_, day)| day.is_some())
        .map(|(org, _)| org.staff.len())
        .sum();
    open_staff * 8 >= roster.staff.len()
}

/// The first `limit` reachable staff along a least-recent `order` of the roster (see
/// [`CallRecency::least_recent_order`]), and whether more were reachable.
pub(super) fn first_in_least_recent_order(
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
pub(super) fn least_recent_first(
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
pub(super) fn earliest_opening<'a>(
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
