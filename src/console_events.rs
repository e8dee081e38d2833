//! Live updates the operator console shows: typed [`ConsoleEvent`]s on one broadcast
//! channel ([`ConsoleEvents`]).
//!
//! Shared by the driver and the HTTP adapter: the queue task (`crate::app`) publishes
//! what changed, the console (`crate::http::events`) streams each event as
//! Server-Sent Events to the users allowed to see it ([`ConsoleEvent::audience`]).
//! Here, so that neither imports the other. Events are hints, never the data itself:
//! a browser that receives one reloads what it shows through the authorised
//! endpoints.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::routing::OrganisationCode;

/// Events kept for slow subscribers before they are told to resync.
pub const CAPACITY: usize = 1024;

/// Something a console may want to show at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsoleEvent {
    /// A new appeal for `organisation`.
    AppealCreated {
        /// Its number.
        id: i64,
        /// The responsible organisation: decides who is told.
        organisation: OrganisationCode,
    },
    /// An appeal was marked done.
    AppealDone {
        /// Its number.
        id: i64,
        /// The responsible organisation.
        organisation: OrganisationCode,
    },
    /// An appeal changed otherwise (edited in SQL, reassigned).
    AppealChanged {
        /// Its number.
        id: i64,
        /// The responsible organisation after the change.
        organisation: OrganisationCode,
    },
    /// An appeal of the contact center itself (a callback request left in the queue
    /// without a topic) was created or changed: for specialists.
    ContactCenterAppealChanged {
        /// Its number.
        id: i64,
    },
    /// The specialists' queue changed (a call started or stopped waiting, a
    /// specialist's state changed): consoles fetch `GET /api/queue` again.
    QueueChanged,
    /// The directory was reloaded (rosters, hours, topics): who is on duty may differ.
    DirectoryChanged,
    /// Events may have been lost (listener reconnected, browser too slow): reload all.
    Resync,
}

/// Who may receive an event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// Every signed-in user.
    Everyone,
    /// Specialists and admins: call handling (queues, transfers, specialists' states).
    ContactCenter,
    /// Whoever may see this organisation's appeals.
    AppealsOf(OrganisationCode),
}

impl ConsoleEvent {
    /// The SSE event name (`event:` line), what the browser's listener subscribes to.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AppealCreated { .. } => "appeal_created",
            Self::AppealDone { .. } => "appeal_done",
            Self::AppealChanged { .. } => "appeal_changed",
            Self::ContactCenterAppealChanged { .. } => "appeal_changed",
            Self::QueueChanged => "queue_changed",
            Self::DirectoryChanged => "directory_changed",
            Self::Resync => "resync",
        }
    }

    /// Who may receive it. New variants must pick one; call events are
    /// [`Audience::ContactCenter`].
    pub fn audience(&self) -> Audience {
        match self {
            Self::AppealCreated { organisation, .. }
            | Self::AppealDone { organisation, .. }
            | Self::AppealChanged { organisation, .. } => Audience::AppealsOf(organisation.clone()),
            Self::ContactCenterAppealChanged { .. } | Self::QueueChanged => Audience::ContactCenter,
            Self::DirectoryChanged | Self::Resync => Audience::Everyone,
        }
    }
}

/// The console's event channel. Cheap to clone; every clone publishes to the same
/// subscribers.
#[derive(Clone, Debug)]
pub struct ConsoleEvents {
    /// Broadcast: each subscriber gets every event (and filters by audience).
    sender: broadcast::Sender<ConsoleEvent>,
}

impl Default for ConsoleEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleEvents {
    /// A channel keeping [`CAPACITY`] events for slow subscribers.
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }

    /// Sends an event to every open console that may see it. Never blocks; with no
    /// console open the event is simply dropped.
    pub fn publish(&self, event: ConsoleEvent) {
        let _ = self.sender.send(event);
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ConsoleEvent> {
        self.sender.subscribe()
    }
}
