//! Typed ARI events (models from Asterisk's `events.json`).
//!
//! [`AriEvent::parse`] never fails: an event type we don't model, or a known type whose
//! fields don't match, becomes [`AriEvent::Unknown`] with the raw JSON kept, so an
//! unexpected message is logged and skipped but never breaks the stream.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::models::{Bridge, Channel, Playback};

/// One message from the ARI WebSocket.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
// Events are moved once from the socket to their call; boxing buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum AriEvent {
    /// A channel entered the app: a citizen's call (args from the dialplan), or a
    /// leg we created with `channels/create` (in state Down: not an answer!).
    StasisStart {
        /// `Stasis(hotline,ARGS)` arguments.
        #[serde(default)]
        args: Vec<String>,
        /// The channel.
        channel: Channel,
        /// Everything else.
        #[serde(flatten)]
        extra: Map<String, Value>,
    },
    /// A channel left the app: for a dialplan caller, its last event.
    StasisEnd {
        /// The channel.
        channel: Channel,
    },
    /// A channel changed state (`Ringing`, `Up`, ...).
    ChannelStateChange {
        /// The channel, with its new state.
        channel: Channel,
    },
    /// A DTMF digit was received.
    ChannelDtmfReceived {
        /// `0`-`9`, `*`, `#`, `A`-`D`.
        digit: String,
        /// How long it was pressed.
        #[serde(default)]
        duration_ms: i64,
        /// The channel.
        channel: Channel,
    },
    /// Someone asked the channel to hang up (the far end, or us).
    ChannelHangupRequest {
        /// Q.850 cause.
        #[serde(default)]
        cause: Option<i32>,
        /// Soft hang-up request.
        #[serde(default)]
        soft: Option<bool>,
        /// The channel.
        channel: Channel,
    },
    /// The channel is gone.
    ChannelDestroyed {
        /// Q.850 cause (16 normal, 17 busy, 19 no answer, 21 rejected, ...).
        cause: i32,
        /// Its text.
        #[serde(default)]
        cause_txt: String,
        /// The channel.
        channel: Channel,
    },
    /// Progress of a dial: `dialstatus` is empty at start, then `RINGING`, `ANSWER`,
    /// `BUSY`, `NOANSWER`, `CHANUNAVAIL`, `CONGESTION`, `CANCEL`, ...
    Dial {
        /// The channel dialled.
        peer: Channel,
        /// The caller channel given to `dial`, if any.
        #[serde(default)]
        caller: Option<Channel>,
        /// The status.
        #[serde(default)]
        dialstatus: String,
    },
    /// A playback started.
    PlaybackStarted {
        /// The playback.
        playback: Playback,
    },
    /// A playback finished (or was stopped, or failed).
    PlaybackFinished {
        /// The playback.
        playback: Playback,
    },
    /// A channel entered a bridge.
    ChannelEnteredBridge {
        /// The bridge.
        bridge: Bridge,
        /// The channel.
        #[serde(default)]
        channel: Option<Channel>,
    },
    /// A channel left a bridge.
    ChannelLeftBridge {
        /// The bridge.
        bridge: Bridge,
        /// The channel.
        channel: Channel,
    },
    /// A bridge was destroyed.
    BridgeDestroyed {
        /// The bridge.
        bridge: Bridge,
    },
    /// A phone asked to transfer (SIP REFER) on a channel whose
    /// `PJSIP_TRANSFER_HANDLING` is `ari-only`: the app decides and reports progress.
    ChannelTransfer {
        /// Transfer state, when given.
        #[serde(default)]
        state: Option<String>,
        /// Where to (for a blind transfer, the Refer-To user part).
        refer_to: ReferTo,
        /// Who asked: `source_channel` is the channel the REFER came in on.
        referred_by: ReferredBy,
    },
    /// Another WebSocket took this app over; this connection gets no more events.
    ApplicationReplaced {},
    /// Any other event type, or a known one we could not read: kept raw.
    #[serde(skip)]
    Unknown {
        /// Its `type`, or empty if it had none.
        kind: String,
        /// The whole message.
        raw: Value,
    },
}

/// `ReferTo` of a [`AriEvent::ChannelTransfer`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferTo {
    /// What the phone asked for.
    pub requested_destination: RequestedDestination,
}

/// `RequiredDestination`: the Refer-To user part of a blind transfer, or the SIP
/// Call-ID to replace for an attended one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestedDestination {
    /// Blind transfer: the destination's user part.
    #[serde(default)]
    pub destination: Option<String>,
    /// Attended transfer: the SIP Call-ID of the call to replace.
    #[serde(default)]
    pub protocol_id: Option<String>,
}

/// `ReferredBy` of a [`AriEvent::ChannelTransfer`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferredBy {
    /// The channel the REFER came in on.
    pub source_channel: Channel,
}

impl AriEvent {
    /// Reads one WebSocket text message. Never fails; see the module doc.
    pub fn parse(text: &str) -> AriEvent {
        match serde_json::from_str::<AriEvent>(text) {
            Ok(event) => event,
            Err(_) => {
                let raw: Value = serde_json::from_str(text).unwrap_or(Value::String(text.into()));
                let kind = raw
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                AriEvent::Unknown { kind, raw }
            }
        }
    }

    /// The id of the channel this event is about, if any (for `Dial`, the peer).
    pub fn channel_id(&self) -> Option<&str> {
        match self {
            Self::StasisStart { channel, .. }
            | Self::StasisEnd { channel }
            | Self::ChannelStateChange { channel }
            | Self::ChannelDtmfReceived { channel, .. }
            | Self::ChannelHangupRequest { channel, .. }
            | Self::ChannelDestroyed { channel, .. }
            | Self::ChannelLeftBridge { channel, .. } => Some(&channel.id),
            Self::ChannelEnteredBridge { channel, .. } => channel.as_ref().map(|c| c.id.as_str()),
            Self::Dial { peer, .. } => Some(&peer.id),
            Self::PlaybackStarted { playback } | Self::PlaybackFinished { playback } => playback
                .target_uri
                .strip_prefix("channel:")
                .or(Some(&playback.id)),
            Self::BridgeDestroyed { bridge } => Some(&bridge.id),
            Self::ChannelTransfer { referred_by, .. } => Some(&referred_by.source_channel.id),
            Self::ApplicationReplaced {} | Self::Unknown { .. } => None,
        }
    }

    /// The event's type name, for logs.
    pub fn kind(&self) -> &str {
        match self {
            Self::StasisStart { .. } => "StasisStart",
            Self::StasisEnd { .. } => "StasisEnd",
            Self::ChannelStateChange { .. } => "ChannelStateChange",
            Self::ChannelDtmfReceived { .. } => "ChannelDtmfReceived",
            Self::ChannelHangupRequest { .. } => "ChannelHangupRequest",
            Self::ChannelDestroyed { .. } => "ChannelDestroyed",
            Self::Dial { .. } => "Dial",
            Self::PlaybackStarted { .. } => "PlaybackStarted",
            Self::PlaybackFinished { .. } => "PlaybackFinished",
            Self::ChannelEnteredBridge { .. } => "ChannelEnteredBridge",
            Self::ChannelLeftBridge { .. } => "ChannelLeftBridge",
            Self::BridgeDestroyed { .. } => "BridgeDestroyed",
            Self::ChannelTransfer { .. } => "ChannelTransfer",
            Self::ApplicationReplaced {} => "ApplicationReplaced",
            Self::Unknown { kind, .. } => kind,
        }
    }
}

/// The event types the app needs; given to `PUT /applications/{app}/eventFilter` so
/// Asterisk does not even send the rest (about 20 `ChannelVarset` per call).
///
/// Left out on purpose, each event costs both sides a wake-up: `ChannelStateChange`
/// (a leg's answer is its `Dial` ANSWER; the caller's state is ours to set) and
/// `ChannelHangupRequest` (`StasisEnd` and `ChannelDestroyed` follow within a
/// millisecond and say the same).
pub const EVENT_FILTER: &[&str] = &[
    "StasisStart",
    "StasisEnd",
    "ChannelDtmfReceived",
    "ChannelDestroyed",
    "Dial",
    "PlaybackFinished",
    "ChannelLeftBridge",
    "ChannelTransfer",
    "ApplicationReplaced",
    // Asterisk's answers to REST requests sent on the event socket are filtered
    // like events: without this they never arrive (see `socket_rest`).
    "RESTResponse",
];
