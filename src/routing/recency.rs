//! When each staff member was last called, the input to the `least_recent` strategy:
//! [`CallRecency`], through which the policy reads it, [`NoRecency`], and
//! [`LastCalls`], the history to the second a dialer keeps.

use std::collections::HashMap;
use std::hash::BuildHasher;

use chrono::{DateTime, Utc};

use super::index::RoutingIndex;
use super::model::StaffId;

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
