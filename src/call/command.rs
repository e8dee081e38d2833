//! What comes out of a call: the commands the driver carries out in order, among them
//! what the specialists' queue is told.

use super::{BridgeId, ChannelId, JournalEntry, PlaybackId};
use crate::pii::Pii;
use crate::routing::{DialTarget, LineNumber, MenuChoice, SpecialistId, TopicCode};

/// What the driver must do for the call, in order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CallCommand {
    /// Answer the caller's channel.
    Answer,
    /// Play sounds to the caller, one after another, under one playback id.
    Play {
        /// Chosen by the call, so its `PlaybackFinished` can be recognised.
        playback: PlaybackId,
        /// Sound names (without `sound:`).
        sounds: Vec<String>,
    },
    /// Stop a playback (the caller pressed a key during the menu).
    StopPlayback(PlaybackId),
    /// Let the caller hear ringing while callees are dialled.
    StartRinging,
    /// Stop the ringing indication.
    StopRinging,
    /// Play music on hold to a caller waiting in the specialists' queue.
    StartMusicOnHold,
    /// Stop the music on hold.
    StopMusicOnHold,
    /// Tell the specialists' queue something about this call.
    Queue(QueueRequest),
    /// Ask the routing policy who takes `topic` now; answer with
    /// [`Call::handle_transfer_decision`].
    ///
    /// [`Call::handle_transfer_decision`]: super::Call::handle_transfer_decision
    DecideTransfer(TopicCode),
    /// Take a channel out of the call's bridge (the specialist steps aside).
    RemoveFromBridge {
        /// The bridge.
        bridge: BridgeId,
        /// The channel.
        channel: ChannelId,
    },
    /// Put a channel into the call's existing bridge.
    AddToBridge {
        /// The bridge.
        bridge: BridgeId,
        /// The channel.
        channel: ChannelId,
    },
    /// Tell a phone that asked to transfer (REFER) how it goes: `channel_progress`,
    /// `channel_answered`, `channel_declined`, `channel_unavailable`.
    TransferProgress {
        /// The leg the REFER came in on.
        leg: ChannelId,
        /// The state word ARI takes.
        state: &'static str,
    },
    /// Create a mixing bridge with the given id holding these legs (a specialist
    /// consulting a staff member).
    BridgeLegs {
        /// Id chosen by the call.
        bridge: BridgeId,
        /// The legs.
        legs: Vec<ChannelId>,
    },
    /// Music on hold to whoever is in the bridge (the caller, during a transfer).
    StartBridgeMusic(BridgeId),
    /// Stop the bridge's music.
    StopBridgeMusic(BridgeId),
    /// Ask the routing policy; answer with [`Call::handle_decision`].
    ///
    /// [`Call::handle_decision`]: super::Call::handle_decision
    Decide(MenuChoice),
    /// Create a channel to a callee with the given id, in this app, not dialled yet
    /// (so no event can concern an id we don't know). Its `StasisStart` comes back
    /// as [`CallInput::LegReady`], and only then is it dialled.
    ///
    /// [`CallInput::LegReady`]: super::CallInput::LegReady
    CreateLeg {
        /// Id chosen by the call, so every event of the leg is recognised.
        leg: ChannelId,
        /// Where to call.
        target: DialTarget,
        /// Caller id number shown on the callee's phone (the citizen's number).
        caller_number: Pii<String>,
        /// Caller id name shown on the callee's phone (the topic).
        caller_name: String,
    },
    /// Dial a created leg; Asterisk gives up after `timeout_seconds` (NOANSWER).
    DialLeg {
        /// The leg.
        leg: ChannelId,
        /// Asterisk's own ring timeout for the attempt, in seconds.
        timeout_seconds: u32,
    },
    /// Hang up a dial leg (cancel it, or end it after the caller left).
    HangupLeg(ChannelId),
    /// Hang up the caller (the call failed, or the callee hung up).
    HangupCaller,
    /// Send the caller back to the dialplan, marked for its specialists' fallback.
    ContinueInDialplan,
    /// Create a mixing bridge with the given id and put the caller and the leg in it.
    Bridge {
        /// Id chosen by the call.
        bridge: BridgeId,
        /// The leg that answered.
        leg: ChannelId,
        /// Whether keys pressed in the bridge must be reported (a specialist's
        /// feature codes); costs Asterisk the native RTP bridging.
        dtmf_events: bool,
    },
    /// Record what is said in the bridge into a stored recording of this name (in
    /// Asterisk's recording folder; the recording ends with the bridge).
    RecordBridge {
        /// The caller's bridge.
        bridge: BridgeId,
        /// The stored recording's name, `folder/call_key`.
        name: String,
    },
    /// Destroy the bridge (404 = already gone).
    DestroyBridge(BridgeId),
    /// Write to the journal (never on the call path's critical latency).
    Journal(JournalEntry),
}

/// What a call tells the specialists' queue (see [`crate::queue`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueRequest {
    /// The caller starts waiting for a specialist; what the console shows of it.
    Enqueue {
        /// The line called.
        line: LineNumber,
        /// The citizen's number.
        caller_number: Pii<String>,
        /// The topic's Russian name, if one was chosen.
        topic: Option<String>,
        /// The topic's code, if one was chosen (what a transfer goes to by default).
        topic_code: Option<TopicCode>,
    },
    /// The caller left the queue (hung up, asked for a callback, handed back).
    Leave,
    /// The specialist offered the call answered it.
    OfferAnswered(SpecialistId),
    /// The specialist offered the call did not answer (busy, no answer, offline).
    OfferFailed(SpecialistId),
    /// The specialist who took the call from the queue is free again.
    SpecialistFree(SpecialistId),
}
