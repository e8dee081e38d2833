//! Where the call is in its life, and what a hunt and a transfer carry. Private: the
//! driver sees only inputs and commands.

use chrono::{DateTime, Utc};

use super::{BridgeId, CallOutcome, Callee, ChannelId, PlaybackId, TransferOrigin};
use crate::routing::DialTarget;

/// Where the call is in its life; see the module doc for the picture.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum State {
    /// A recorded line's greeting and recording notice playing: they cannot be cut
    /// short, so every recorded caller hears the notice; a key pressed meanwhile is
    /// kept as the menu choice.
    Notice {
        /// The greeting and notice playback.
        playback: PlaybackId,
        /// The first key pressed during it, if any.
        early_digit: Option<char>,
    },
    /// Answered, menu playing or waiting for a digit.
    Menu {
        /// The menu playback, while it plays.
        playback: Option<PlaybackId>,
        /// When we stop waiting for a digit; set once the menu finished playing.
        digit_deadline: Option<DateTime<Utc>>,
    },
    /// Waiting for the routing decision.
    Deciding,
    /// Announcing the decision before dialling.
    Announcing {
        /// The announcement playback.
        playback: PlaybackId,
        /// Who will be dialled once it finishes.
        hunt: Hunt,
    },
    /// Dialling callees.
    Hunting(Hunt),
    /// A consultation: the specialist talks to the staff member in a second bridge,
    /// the caller waits on music in theirs; see [`Call::complete_consultation`].
    ///
    /// [`Call::complete_consultation`]: super::Call::complete_consultation
    Consulting {
        /// The staff member's leg.
        staff: Leg,
        /// The specialist's and the staff member's bridge.
        consult_bridge: BridgeId,
    },
    /// Caller and callee are bridged.
    Connected {
        /// The leg that answered.
        leg: ChannelId,
        /// The bridge.
        bridge: BridgeId,
    },
    /// A last word to the caller (sorry, or callback registered), then hanging up.
    Leaving {
        /// The goodbye playback.
        playback: PlaybackId,
        /// How the call ends.
        outcome: CallOutcome,
        /// Hang up even if the playback never reports its end.
        deadline: DateTime<Utc>,
    },
    /// Over; the driver can drop the call once the command queue is drained.
    Finished,
}

/// One callee a hunt may dial.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Target {
    pub(super) callee: Callee,
    pub(super) endpoint: DialTarget,
}

/// An ongoing attempt at one callee.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Leg {
    pub(super) id: ChannelId,
    pub(super) callee: Callee,
    /// Where it rings.
    pub(super) endpoint: DialTarget,
    /// When we give up on it ourselves if Asterisk has not.
    pub(super) deadline: DateTime<Utc>,
    /// Asterisk's ring timeout for it.
    pub(super) timeout_seconds: u32,
    /// Whether `DialLeg` was sent (the leg entered the app).
    pub(super) dialled: bool,
    /// Whether this leg already replaces one that vanished before it was dialled
    /// (created just before the event socket went down): it is not replaced again.
    pub(super) second_try: bool,
}

/// Dialling a list of callees by a strategy.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Hunt {
    /// Staff (may fall back to specialists) or specialists (may retry rounds).
    pub(super) kind: HuntKind,
    /// Everyone to dial, in order.
    pub(super) targets: Vec<Target>,
    /// Index of the next target to dial (sequential strategies).
    pub(super) next: usize,
    /// Ring everyone at once instead of one after another.
    pub(super) ring_all: bool,
    /// Per-attempt timeout.
    pub(super) attempt_timeout_seconds: u32,
    /// Legs currently ringing.
    pub(super) legs: Vec<Leg>,
    /// For specialists: which round of ringing this is (1-based).
    pub(super) round: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HuntKind {
    Staff,
    Specialists,
    /// Waiting in the specialists' queue: only the specialists it offers are dialled,
    /// and a failed offer means waiting for the next one.
    Queue,
    /// A specialist's transfer to staff: the caller waits in the bridge with music,
    /// the specialist aside; see [`Transfer`].
    Transfer,
}

/// A transfer in progress (with a [`HuntKind::Transfer`] hunt).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Transfer {
    /// Its number within the call, for the journal.
    pub(super) number: u32,
    /// The caller's bridge, where the caller waits.
    pub(super) bridge: BridgeId,
    /// The specialist's leg, aside; `None` once they hung up.
    pub(super) specialist: Option<ChannelId>,
    /// Who the specialist is and their phone, for when they get the caller back.
    pub(super) specialist_target: Target,
    /// Console, code or REFER (a REFER is told how it went).
    pub(super) origin: TransferOrigin,
    /// Consult before handing the caller over.
    pub(super) consult: bool,
}
