//! The `hotline` Stasis application: the driver that connects Asterisk's events to
//! one [`Call`](crate::call::Call) state machine per citizen, and their commands back
//! to Asterisk.
//!
//! Files of `src/app/`:
//!
//! - `mod.rs`: this map, the [`RoutingClock`], the [`CallRecencyBook`] and the
//!   [`AppContext`] every call task shares; re-exports the public items below.
//! - [`admission`]: whether a new call is taken or shed to the dialplan fallback,
//!   by ARI round-trip latency.
//! - `call_task.rs`: one task per call, running its state machine against ARI.
//! - `control.rs`: [`CallControl`], the console's way to act on calls in progress
//!   (transfers, consultations), and the [`CallControlInbox`] the dispatcher reads.
//! - `dispatcher.rs`: [`StasisApp`], the dispatcher ([`StasisApp::run`]): starts
//!   calls, handles events for no running call, resyncs after a reconnection, drains
//!   calls at shutdown; and the hand-back of a caller to the dialplan fallback.
//! - [`desk`]: specialists' desk states kept in Postgres, so that they survive a
//!   takeover and either instance's console can change them.
//! - [`leadership`]: which of several instances routes calls (a Postgres advisory
//!   lock); the others stand by and take over when it dies.
//! - `orphan.rs`: the journal records closing a leg a previous instance left behind.
//! - `queue_task.rs`: the specialists' queue task and the console's [`QueueHandle`].
//! - `router.rs`: the [`EventRouter`], on the event socket's own task, hands each
//!   event for a running call straight to that call; the rest goes to the dispatcher.
//! - [`translate`]: pure mapping of ARI events to the call they concern.

pub mod admission;
mod call_task;
mod control;
pub mod desk;
mod dispatcher;
pub mod leadership;
mod orphan;
mod queue_task;
mod router;
pub mod translate;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::ari::AriClient;
use crate::call::CallSettings;
use crate::directory::DirectoryCache;
use crate::journal::Journal;
use crate::routing::{CallHistory, DirectorySnapshot, LastCalls, StaffId};

pub use control::{CallControl, CallControlError, CallControlInbox};
pub use dispatcher::StasisApp;
pub use queue_task::{
    CallDetails, DeskError, DeskRequest, QueueHandle, QueueView, SpecialistView, WaitingCallView,
};
pub use router::EventRouter;

/// The clock routing decisions are taken by. Real time, optionally shifted so tests
/// and demos can play "Tuesday 10:00" or "Saturday night" without waiting for it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoutingClock {
    /// Added to the real time.
    pub offset: chrono::Duration,
}

impl RoutingClock {
    /// A clock that reads `pretend` right now and runs on from there.
    pub fn starting_at(pretend: DateTime<Utc>) -> Self {
        Self {
            offset: pretend - Utc::now(),
        }
    }

    /// The instant decisions are taken at.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// When each staff member was last dialled, for least-recently-called hunting.
/// Seeded from the journal at start, updated as calls dial; one book for the Stasis
/// app and the AGI endpoint.
#[derive(Debug, Default)]
pub struct CallRecencyBook {
    history: Mutex<CallHistory>,
}

impl CallRecencyBook {
    /// A book seeded with known last-call instants.
    pub fn new(seed: LastCalls) -> Self {
        Self {
            history: Mutex::new(CallHistory::new(seed)),
        }
    }

    /// Notes that `staff` was dialled at `at`.
    pub fn called(&self, staff: StaffId, at: DateTime<Utc>) {
        self.lock().called(staff, at);
    }

    /// Runs `decide` with the book, following `snapshot` (the history keeps each
    /// topic's least-recent order for the snapshot decisions are made on). A decision
    /// takes microseconds, so it reads the book under its lock instead of copying it.
    pub fn with<R>(
        &self,
        snapshot: &DirectorySnapshot,
        decide: impl FnOnce(&CallHistory) -> R,
    ) -> R {
        let mut history = self.lock();
        history.follow(snapshot);
        decide(&history)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CallHistory> {
        self.history.lock().expect("recency lock")
    }
}

/// Everything a call task needs, shared; one per Asterisk node (its client and name).
pub struct AppContext {
    /// ARI REST of the node.
    pub ari: AriClient,
    /// The node's name, journaled with each call it handles.
    pub node: String,
    /// Whether calls the journal names no node for (journaled before nodes were
    /// named) are this node's when a resync closes vanished calls: the first node's.
    pub owns_unnamed_calls: bool,
    /// The directory snapshot, kept fresh.
    pub directory: DirectoryCache,
    /// Where calls are recorded.
    pub journal: Journal,
    /// The routing clock.
    pub clock: RoutingClock,
    /// Last-call instants, the same book the AGI endpoint keeps (a person rung by
    /// either path was rung).
    pub recency: Arc<CallRecencyBook>,
    /// Call flow tunables.
    pub call_settings: CallSettings,
    /// The specialists' queue (shared with the console).
    pub queue: QueueHandle,
    /// New calls go to the dialplan fallback while ARI round trips take longer
    /// than this (see [`admission`]); `None` takes every call.
    pub shed_above: Option<std::time::Duration>,
    /// The journal's database, read at resync: calls it still shows open that
    /// Asterisk no longer has (their end was lost with a killed instance) are
    /// closed there.
    pub pool: sqlx::PgPool,
}

impl AppContext {
    /// The same context for another Asterisk node: everything shared but the client.
    pub fn for_node(&self, node: &str, ari: AriClient) -> Self {
        Self {
            ari,
            node: node.to_owned(),
            owns_unnamed_calls: false,
            directory: self.directory.clone(),
            journal: self.journal.clone(),
            clock: self.clock,
            recency: Arc::clone(&self.recency),
            call_settings: self.call_settings.clone(),
            queue: self.queue.clone(),
            shed_above: self.shed_above,
            pool: self.pool.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::tests::{at, directory};
    use crate::routing::{LineNumber, MenuChoice, RouteRequest, decide};

    #[test]
    fn the_recency_book_hunts_least_recent_by_the_calls_it_notes() {
        // «Displaced» is least-recent on line 122, digit 2.
        let snapshot = Arc::new(directory());
        let request = RouteRequest {
            line: LineNumber("122".into()),
            choice: MenuChoice::Digit('2'),
            at: at("2026-05-12T10:00:00+08:00"),
        };
        let book = CallRecencyBook::default();
        let ids = |snapshot: &Arc<DirectorySnapshot>| -> Vec<i64> {
            let decision = book.with(snapshot, |history| decide(snapshot, &request, history));
            decision.candidates.iter().map(|c| c.staff.id.0).collect()
        };
        let before = ids(&snapshot);
        assert!(before.len() >= 2, "{before:?}");

        // The first is rung: the next decision puts them last.
        book.called(StaffId(before[0]), at("2026-05-12T09:00:00+08:00"));
        let mut expected = before[1..].to_vec();
        expected.push(before[0]);
        assert_eq!(ids(&snapshot), expected);

        // A reloaded snapshot (a roster edit) keeps what the book knows.
        let reloaded = Arc::new(directory());
        assert_eq!(ids(&reloaded), expected);
        // So does a call noted against the new snapshot's order.
        book.called(StaffId(expected[0]), at("2026-05-12T09:30:00+08:00"));
        let mut again = expected[1..].to_vec();
        again.push(expected[0]);
        assert_eq!(ids(&reloaded), again);
    }
}
