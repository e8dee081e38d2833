//! Typed ARI events (models from Asterisk's `events.json`).
//!
//! [`AriEvent::parse`] never fails: an event type we don't model, or a known type whose
//! fields don't match, becomes [`AriEvent::Unknown`] with the raw JSON kept, so an
//! unexpected message is logged and skipped but never breaks the stream.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::models::{Bridge, Channel, Playback};

/// One message from the ARI WebSocket.
///
/// Asterisk tags an event inside it (`{"type":"Dial",...}`); serde reads such an
/// enum only by buffering every message first, which cost about a tenth of the
/// service's CPU under load. So the enum is read in serde's external form
/// (`{"Dial":{...}}`), and [`AriEvent::parse`] rewrites each message to it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
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
        let event = match retagged(text) {
            Some(retagged) => serde_json::from_str::<AriEvent>(&retagged).ok(),
            // Not in Asterisk's compact form with the type first: slower, same result.
            None => parse_slowly(text),
        };
        event.unwrap_or_else(|| {
            let raw: Value = serde_json::from_str(text).unwrap_or(Value::String(text.into()));
            let kind = raw
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            AriEvent::Unknown { kind, raw }
        })
    }

    /// [`AriEvent::parse`] without its fast path (retagging Asterisk's compact form):
    /// the reference the fast path must agree with, for tests and the fuzz target.
    pub fn parse_by_value(text: &str) -> Option<AriEvent> {
        parse_slowly(text)
    }

    /// The fast path alone: `None` when the text is not in Asterisk's compact form or
    /// is not a modelled event.
    pub fn parse_compact(text: &str) -> Option<AriEvent> {
        serde_json::from_str::<AriEvent>(&retagged(text)?).ok()
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

/// `{"type":"X",FIELDS` → `{"X":{FIELDS}`: the external tagging serde reads without
/// buffering. `None` unless the message is compact with its type first, as
/// Asterisk writes it (`pretty = no` in `ari.conf`).
fn retagged(text: &str) -> Option<String> {
    let rest = text.strip_prefix(r#"{"type":""#)?;
    let end = rest.find(['"', '\\'])?;
    let (kind, after) = rest.split_at(end);
    let fields = match after.strip_prefix('"')? {
        fields if fields.starts_with('}') => fields,
        fields => fields.strip_prefix(',')?,
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("{\"");
    out.push_str(kind);
    out.push_str("\":{");
    out.push_str(fields);
    out.push('}');
    Some(out)
}

/// Any other well-formed message: the type taken out of the object, which then
/// becomes the variant's fields.
fn parse_slowly(text: &str) -> Option<AriEvent> {
    let mut raw: Value = serde_json::from_str(text).ok()?;
    let kind = raw.as_object_mut()?.remove("type")?;
    let mut tagged = Map::new();
    tagged.insert(kind.as_str()?.to_owned(), raw);
    serde_json::from_value(Value::Object(tagged)).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every modelled event as Asterisk 22 writes it (compact, type first).
    const EVENTS: &[&str] = &[
        r#"{"type":"StasisStart","timestamp":"2026-11-28T19:00:00.000+0000","args":["line=122"],"channel":{"id":"c1","name":"PJSIP/citizen-1","state":"Ring","caller":{"name":"","number":"79990000001"},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"hotline-inbound","exten":"122","priority":2,"app_name":"Stasis","app_data":"hotline,line=122"},"creationtime":"2026-11-28T19:00:00.000+0000","language":"ru"},"asterisk_id":"02:fc","application":"hotline"}"#,
        r#"{"type":"StasisEnd","channel":{"id":"c1"},"application":"hotline"}"#,
        r#"{"type":"ChannelStateChange","channel":{"id":"c1","state":"Up"}}"#,
        r#"{"type":"ChannelDtmfReceived","digit":"1","duration_ms":120,"channel":{"id":"c1"}}"#,
        r#"{"type":"ChannelHangupRequest","cause":16,"soft":true,"channel":{"id":"c1"}}"#,
        r#"{"type":"ChannelDestroyed","cause":17,"cause_txt":"User busy","channel":{"id":"c1-leg1"}}"#,
        r#"{"type":"Dial","dialstatus":"ANSWER","peer":{"id":"c1-leg1"},"caller":{"id":"c1"}}"#,
        r#"{"type":"PlaybackStarted","playback":{"id":"p1","media_uri":"sound:hotline/menu-122","target_uri":"channel:c1","language":"ru","state":"playing"}}"#,
        r#"{"type":"PlaybackFinished","playback":{"id":"p1","media_uri":"sound:hotline/menu-122","target_uri":"channel:c1","language":"ru","state":"done"}}"#,
        r#"{"type":"ChannelEnteredBridge","bridge":{"id":"c1-bridge","technology":"simple_bridge","bridge_type":"mixing","bridge_class":"stasis","channels":["c1"]},"channel":{"id":"c1"}}"#,
        r#"{"type":"ChannelLeftBridge","bridge":{"id":"c1-bridge","technology":"simple_bridge","bridge_type":"mixing","bridge_class":"stasis","channels":[]},"channel":{"id":"c1"}}"#,
        r#"{"type":"BridgeDestroyed","bridge":{"id":"c1-bridge","technology":"simple_bridge","bridge_type":"mixing","bridge_class":"stasis","channels":[]}}"#,
        r#"{"type":"ChannelTransfer","refer_to":{"requested_destination":{"destination":"staff01"}},"referred_by":{"source_channel":{"id":"c1-leg1"}}}"#,
        r#"{"type":"ApplicationReplaced","application":"hotline"}"#,
        r#"{"type":"ApplicationReplaced"}"#,
    ];

    #[test]
    fn every_modelled_event_is_read_whatever_the_layout() {
        for text in EVENTS {
            assert!(retagged(text).is_some(), "the quick way: {text}");
            let event = AriEvent::parse(text);
            assert!(
                !matches!(event, AriEvent::Unknown { .. }),
                "{text} read as {event:?}"
            );
            // The same message pretty-printed, and with its type last, reads the same.
            let value: Value = serde_json::from_str(text).unwrap();
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            assert!(retagged(&pretty).is_none(), "the slow way: {pretty}");
            assert_eq!(AriEvent::parse(&pretty), event, "{pretty}");
            let mut fields = value.as_object().unwrap().clone();
            let kind = fields.remove("type").unwrap();
            fields.insert("type".to_owned(), kind);
            let type_last = Value::Object(fields).to_string();
            assert!(!type_last.starts_with(r#"{"type""#) || fields_len(text) == 1);
            assert_eq!(AriEvent::parse(&type_last), event, "{type_last}");
        }
        assert!(matches!(
            AriEvent::parse(EVENTS[3]),
            AriEvent::ChannelDtmfReceived { digit, duration_ms: 120, channel } if digit == "1" && channel.id == "c1"
        ));
        match AriEvent::parse(EVENTS[0]) {
            AriEvent::StasisStart {
                args,
                channel,
                extra,
            } => {
                assert_eq!(args, ["line=122"]);
                assert_eq!(channel.caller.number, "79990000001");
                assert!(extra.contains_key("timestamp") && !extra.contains_key("type"));
            }
            other => panic!("{other:?}"),
        }
    }

    fn fields_len(text: &str) -> usize {
        serde_json::from_str::<Map<String, Value>>(text)
            .unwrap()
            .len()
    }

    #[test]
    fn unknown_malformed_and_foreign_messages_are_kept_raw() {
        let cases = [
            // Not modelled.
            (
                r#"{"type":"ChannelTalkingStarted","channel":{"id":"c1"}}"#,
                "ChannelTalkingStarted",
            ),
            // Modelled, but a required field is missing or of the wrong type.
            (
                r#"{"type":"ChannelDtmfReceived","digit":"1"}"#,
                "ChannelDtmfReceived",
            ),
            (
                r#"{"type":"ChannelDestroyed","cause":"x","channel":{"id":"c1"}}"#,
                "ChannelDestroyed",
            ),
            // A type with an escape in it, a type that is not a string, no type.
            (r#"{"type":"Dial\u0041","peer":{"id":"c1"}}"#, "DialA"),
            (r#"{"type":7,"peer":{"id":"c1"}}"#, ""),
            (r#"{"peer":{"id":"c1"}}"#, ""),
            // Not an object, not JSON, cut short.
            ("[1,2]", ""),
            ("not json at all", ""),
            (r#"{"type":"Dial","peer":{"id":"#, ""),
            (r#"{"type":"Dial""#, ""),
        ];
        for (text, expected) in cases {
            match AriEvent::parse(text) {
                AriEvent::Unknown { kind, .. } => assert_eq!(kind, expected, "{text}"),
                other => panic!("{text} read as {other:?}"),
            }
        }
    }
}
