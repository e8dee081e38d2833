//! The call history a dialer keeps for `least_recent` hunting, with each topic's staff
//! kept in least-recently-called order as calls are made.
//!
//! [`LastCalls`] alone answers "when was this person last rung?", so a `least_recent`
//! decision must ask it for every reachable person of the topic and keep the oldest:
//! a few hundred look-ups on a big topic. [`CallHistory`] also keeps, for the
//! snapshot it follows, every topic's roster sorted by last call. A decision then
//! reads the head of that order and skips whoever is closed or away: about as many
//! look-ups as it lists. Noting a call moves the person within each of their topics'
//! orders (a binary search and a shift of a few hundred integers), once per dial
//! attempt rather than once per decision.
//!
//! Pure like the policy: the dialer owns the history and passes it to `decide`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::candidates::called_key;
use super::index::{RoutingIndex, TopicRoster};
use super::model::{DirectorySnapshot, StaffId};
use super::recency::{CallRecency, LastCalls};

/// [`LastCalls`] plus, for one snapshot, each topic's staff in least-recently-called
/// order (see the module documentation). Decisions made with it are the same as with
/// the [`LastCalls`] it holds; only cheaper.
#[derive(Clone, Debug, Default)]
pub struct CallHistory {
    last: LastCalls,
    orders: Option<Orders>,
}

/// The orders for one routing index.
#[derive(Clone)]
struct Orders {
    /// The index they are for (compared by address), kept alive with them.
    index: Arc<RoutingIndex>,
    /// The rosters by [`TopicRoster::ordinal`].
    rosters: Vec<Arc<TopicRoster>>,
    /// Per roster (same positions): roster positions sorted by [`order_key`].
    by_roster: Vec<Vec<u32>>,
    /// Each person's places: (roster ordinal, position in it), one per topic.
    places: HashMap<StaffId, Vec<(u32, u32)>>,
}

/// Summarised: the orders are long.
impl fmt::Debug for Orders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orders")
            .field("rosters", &self.rosters.len())
            .field("people", &self.places.len())
            .finish()
    }
}

/// Where a person stands in the least-recent order of a roster: never called first
/// (`None`, in roster order), then by the policy's [`called_key`].
fn order_key(last: &LastCalls, roster: &TopicRoster, position: u32) -> (Option<u64>, u32) {
    let second = last.last_called_second(roster.ids[position as usize]);
    key_of_second(second, position)
}

fn key_of_second(second: Option<i64>, position: u32) -> (Option<u64>, u32) {
    (second.map(|second| called_key(second, position)), position)
}

impl CallHistory {
    /// A history seeded with known last calls (from the journal), following no
    /// snapshot yet.
    pub fn new(last: LastCalls) -> Self {
        Self { last, orders: None }
    }

    /// Keeps the orders for this snapshot's topics: built on the first call after
    /// the snapshot changes (sorting every roster once), nothing while it stays the
    /// same. A snapshot that skipped validation gets no orders (decisions on it read
    /// the last calls one by one, as they would without this history).
    pub fn follow(&mut self, snapshot: &DirectorySnapshot) {
        let index = &snapshot.index;
        if !index.is_built() {
            self.orders = None;
            return;
        }
        if (self.orders.as_ref()).is_some_and(|orders| Arc::ptr_eq(&orders.index, index)) {
            return;
        }
        self.orders = Some(Orders::build(index, &self.last));
    }

    /// Notes a call to `staff` at `at`; an earlier instant than the one known changes
    /// nothing (attempts are reported out of order).
    pub fn called(&mut self, staff: StaffId, at: DateTime<Utc>) {
        let before = self.last.last_called_second(staff);
        if before.is_some_and(|before| before >= at.timestamp()) {
            return;
        }
        if let Some(orders) = &mut self.orders {
            orders.move_to(&self.last, staff, before, at.timestamp());
        }
        self.last.called(staff, at);
    }
}

impl Orders {
    fn build(index: &Arc<RoutingIndex>, last: &LastCalls) -> Self {
        let mut rosters: Vec<Arc<TopicRoster>> = index.rosters.values().cloned().collect();
        rosters.sort_by_key(|roster| roster.ordinal);
        let mut places: HashMap<StaffId, Vec<(u32, u32)>> = HashMap::new();
        let by_roster = (rosters.iter())
            .map(|roster| {
                let positions = 0..roster.ids.len() as u32;
                for position in positions.clone() {
                    let id = roster.ids[position as usize];
                    places
                        .entry(id)
                        .or_default()
                        .push((roster.ordinal as u32, position));
                }
                let mut order: Vec<u32> = positions.collect();
                order.sort_by_cached_key(|&position| order_key(last, roster, position));
                order
            })
            .collect();
        Self {
            index: Arc::clone(index),
            rosters,
            by_roster,
            places,
        }
    }

    /// Moves `staff` in each of their rosters from where a call at `before` put them
    /// to where a call at `second` puts them. `last` still holds `before`.
    fn move_to(&mut self, last: &LastCalls, staff: StaffId, before: Option<i64>, second: i64) {
        let Some(places) = self.places.get(&staff) else {
            return;
        };
        for &(ordinal, position) in places {
            let roster = &self.rosters[ordinal as usize];
            let order = &mut self.by_roster[ordinal as usize];
            let old_key = key_of_second(before, position);
            let Ok(from) =
                order.binary_search_by_key(&old_key, |&other| order_key(last, roster, other))
            else {
                continue; // cannot happen: the order holds every position once
            };
            order.remove(from);
            // `last` still has the old call, but this person is no longer in the order.
            let new_key = key_of_second(Some(second), position);
            let to = order.partition_point(|&other| order_key(last, roster, other) < new_key);
            order.insert(to, position);
        }
    }
}

impl CallRecency for CallHistory {
    fn last_called(&self, staff: StaffId) -> Option<DateTime<Utc>> {
        self.last.last_called(staff)
    }

    #[inline]
    fn last_called_second(&self, staff: StaffId) -> Option<i64> {
        self.last.last_called_second(staff)
    }

    fn least_recent_order(&self, index: &RoutingIndex, roster: usize) -> Option<&[u32]> {
        let orders = self.orders.as_ref()?;
        if !std::ptr::eq(&*orders.index, index) {
            return None;
        }
        orders.by_roster.get(roster).map(Vec::as_slice)
    }
}
