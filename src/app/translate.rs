//! From ARI events to the call they belong to and what they mean for it.
//!
//! Pure: every object a call creates has an id `<caller channel id>-<suffix>`
//! (`-leg3`, `-play2`, `-bridge`), so an event is routed by its id alone — even one
//! that arrives before the REST response that created its object.

use crate::ari::AriEvent;
use crate::call::{AttemptResult, CallInput, ChannelId, PlaybackId};
use crate::pii::Pii;

/// The `Stasis()` argument our own dial legs carry, to tell them from citizens.
pub const LEG_APP_ARG: &str = "leg";

/// Where an event goes.
#[derive(Debug, PartialEq)]
pub enum Routed {
    /// A citizen's call entered the app.
    NewCall {
        /// The caller's channel id.
        caller: String,
        /// The line: from `Stasis(hotline,line=122)`, else the dialled extension.
        line: String,
        /// The citizen's number.
        caller_number: Pii<String>,
    },
    /// An input for an existing call (keyed by the caller's channel id).
    ToCall {
        /// The caller's channel id.
        call_key: String,
        /// What it means.
        input: CallInput,
    },
    /// A channel left one of our bridges; if no call owns it any more, the
    /// dispatcher cleans it up.
    LeftBridge {
        /// The bridge id.
        bridge: String,
        /// Channels still in it.
        remaining: Vec<String>,
    },
    /// Nothing for any call (bridge entries, unmodelled events, ...).
    Ignore,
}

/// The caller channel id a chosen id belongs to (`X-leg3` → `X`); a caller's own
/// channel id is its own key.
pub fn call_key_of(id: &str) -> &str {
    ["-leg", "-play", "-bridge"]
        .iter()
        .filter_map(|suffix| id.rfind(suffix).map(|at| &id[..at]))
        .next()
        .unwrap_or(id)
}

/// Whether a channel id is one of our dial legs.
pub fn is_leg(id: &str) -> bool {
    id.rfind("-leg")
        .is_some_and(|at| id[at + 4..].bytes().all(|b| b.is_ascii_digit()) && at + 4 < id.len())
}

/// Decides where an event goes and what it means there.
pub fn route_event(event: AriEvent) -> Routed {
    match event {
        AriEvent::StasisStart { args, channel, .. } => {
            if args.first().map(String::as_str) == Some(LEG_APP_ARG) || is_leg(&channel.id) {
                // Our own leg, created in state Down: ready to dial, not an answer.
                return to_call(
                    &channel.id,
                    CallInput::LegReady(ChannelId(channel.id.clone())),
                );
            }
            let line = args
                .iter()
                .find_map(|a| a.strip_prefix("line="))
                .map(str::to_owned)
                .unwrap_or_else(|| channel.dialplan.exten.clone());
            Routed::NewCall {
                caller: channel.id,
                line,
                caller_number: Pii(channel.caller.number),
            }
        }
        AriEvent::ChannelTransfer {
            refer_to,
            referred_by,
            ..
        } if is_leg(&referred_by.source_channel.id) => {
            let leg = referred_by.source_channel.id;
            let input = CallInput::LegRefer {
                leg: ChannelId(leg.clone()),
                destination: refer_to.requested_destination.destination,
            };
            to_call(&leg, input)
        }
        AriEvent::ChannelDtmfReceived { digit, channel, .. } => match digit.chars().next() {
            Some(d) if digit.len() == 1 && is_leg(&channel.id) => to_call(
                &channel.id,
                CallInput::LegDtmf(ChannelId(channel.id.clone()), d),
            ),
            Some(d) if digit.len() == 1 => to_call(&channel.id, CallInput::Dtmf(d)),
            _ => Routed::Ignore,
        },
        AriEvent::StasisEnd { channel } | AriEvent::ChannelDestroyed { channel, .. }
            if !is_leg(&channel.id) =>
        {
            to_call(&channel.id, CallInput::CallerHungUp)
        }
        AriEvent::ChannelDestroyed { cause, channel, .. } => {
            let input = CallInput::LegHungUp(ChannelId(channel.id.clone()), result_of_cause(cause));
            to_call(&channel.id, input)
        }
        AriEvent::Dial {
            peer, dialstatus, ..
        } if is_leg(&peer.id) => {
            let leg = ChannelId(peer.id.clone());
            let input = match dialstatus.as_str() {
                "RINGING" | "PROGRESS" => CallInput::LegRinging(leg),
                "ANSWER" => CallInput::LegAnswered(leg),
                "BUSY" => CallInput::LegFailed(leg, AttemptResult::Busy),
                "NOANSWER" => CallInput::LegFailed(leg, AttemptResult::NoAnswer),
                "CHANUNAVAIL" | "CONGESTION" => {
                    CallInput::LegFailed(leg, AttemptResult::Unavailable)
                }
                // The start of the dial (empty) and our own cancel are not news.
                "" | "CANCEL" => return Routed::Ignore,
                _ => CallInput::LegFailed(leg, AttemptResult::Failed),
            };
            to_call(&peer.id, input)
        }
        AriEvent::ChannelLeftBridge { bridge, .. } if bridge.id.ends_with("-bridge") => {
            Routed::LeftBridge {
                bridge: bridge.id,
                remaining: bridge.channels,
            }
        }
        AriEvent::PlaybackFinished { playback } => to_call(
            &playback.id,
            CallInput::PlaybackFinished(PlaybackId(playback.id.clone())),
        ),
        _ => Routed::Ignore,
    }
}

/// An input for the call that owns `id` (the caller's channel, or one of the ids
/// the call chose: its legs, playbacks, bridge).
fn to_call(id: &str, input: CallInput) -> Routed {
    Routed::ToCall {
        call_key: call_key_of(id).to_owned(),
        input,
    }
}

/// Reads a Q.850 hang-up cause as the result of a dial attempt.
pub fn result_of_cause(cause: i32) -> AttemptResult {
    match cause {
        17 => AttemptResult::Busy,
        18 | 19 => AttemptResult::NoAnswer,
        1 | 3 | 20 | 27 | 34 | 38 | 41 | 42 => AttemptResult::Unavailable,
        16 => AttemptResult::Cancelled,
        _ => AttemptResult::Failed,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Shapes as Asterisk 22.10 sends them (trimmed of fields we don't read).
    /// A channel's JSON, as events carry it.
    pub(in crate::app) fn channel(id: &str, state: &str) -> String {
        format!(
            r#"{{"id":"{id}","name":"PJSIP/citizen-00000001","state":"{state}",
               "protocol_id":"abc@127.0.0.1","caller":{{"name":"","number":"79021234567"}},
               "connected":{{"name":"","number":""}},"accountcode":"",
               "dialplan":{{"context":"hotline-inbound","exten":"122","priority":2,
                            "app_name":"Stasis","app_data":"hotline,line=122"}},
               "creationtime":"2026-11-28T19:00:00.000+0000","language":"ru"}}"#
        )
    }

    /// An event of `kind` with `body`'s fields.
    pub(in crate::app) fn event(kind: &str, body: &str) -> AriEvent {
        let text = format!(
            r#"{{"type":"{kind}","timestamp":"2026-11-28T19:00:00.100+0000",
                "application":"hotline","asterisk_id":"02:fc:00:00:00:01",{body}}}"#
        );
        AriEvent::parse(&text)
    }

    #[test]
    fn a_citizen_entering_stasis_starts_a_call_on_its_line() {
        let routed = route_event(event(
            "StasisStart",
            &format!(
                r#""args":["line=117"],"channel":{}"#,
                channel("1764356400.1", "Ring")
            ),
        ));
        assert_eq!(
            routed,
            Routed::NewCall {
                caller: "1764356400.1".into(),
                line: "117".into(),
                caller_number: "79021234567".into(),
            }
        );
    }

    #[test]
    fn without_a_line_argument_the_dialled_extension_is_the_line() {
        let routed = route_event(event(
            "StasisStart",
            &format!(r#""args":[],"channel":{}"#, channel("1764356400.1", "Up")),
        ));
        assert!(matches!(routed, Routed::NewCall { line, .. } if line == "122"));
    }

    #[test]
    fn our_own_leg_entering_stasis_is_ready_to_dial_not_answered() {
        let routed = route_event(event(
            "StasisStart",
            &format!(
                r#""args":["leg"],"channel":{}"#,
                channel("1764356400.1-leg2", "Down")
            ),
        ));
        assert_eq!(
            routed,
            Routed::ToCall {
                call_key: "1764356400.1".into(),
                input: CallInput::LegReady(ChannelId("1764356400.1-leg2".into())),
            }
        );
    }

    #[test]
    fn leg_events_reach_the_caller_call() {
        let up = route_event(event(
            "Dial",
            &format!(
                r#""peer":{},"dialstring":"staff01","dialstatus":"ANSWER""#,
                channel("1764356400.1-leg2", "Up")
            ),
        ));
        assert_eq!(
            up,
            Routed::ToCall {
                call_key: "1764356400.1".into(),
                input: CallInput::LegAnswered(ChannelId("1764356400.1-leg2".into())),
            }
        );
        let busy = route_event(event(
            "Dial",
            &format!(
                r#""peer":{},"dialstring":"staff01","dialstatus":"BUSY""#,
                channel("1764356400.1-leg3", "Down")
            ),
        ));
        assert_eq!(
            busy,
            Routed::ToCall {
                call_key: "1764356400.1".into(),
                input: CallInput::LegFailed(
                    ChannelId("1764356400.1-leg3".into()),
                    AttemptResult::Busy
                ),
            }
        );
        let gone = route_event(event(
            "ChannelDestroyed",
            &format!(
                r#""cause":19,"cause_txt":"No user responding","channel":{}"#,
                channel("1764356400.1-leg4", "Ringing")
            ),
        ));
        assert!(matches!(
            gone,
            Routed::ToCall {
                input: CallInput::LegHungUp(_, AttemptResult::NoAnswer),
                ..
            }
        ));
    }

    #[test]
    fn caller_digits_and_hangups_reach_the_call() {
        let dtmf = route_event(event(
            "ChannelDtmfReceived",
            &format!(
                r#""digit":"1","duration_ms":120,"channel":{}"#,
                channel("c1", "Up")
            ),
        ));
        assert_eq!(
            dtmf,
            Routed::ToCall {
                call_key: "c1".into(),
                input: CallInput::Dtmf('1')
            }
        );
        let end = route_event(event(
            "StasisEnd",
            &format!(r#""channel":{}"#, channel("c1", "Up")),
        ));
        assert_eq!(
            end,
            Routed::ToCall {
                call_key: "c1".into(),
                input: CallInput::CallerHungUp
            }
        );
    }

    #[test]
    fn playback_events_are_routed_by_their_id() {
        let routed = route_event(event(
            "PlaybackFinished",
            r#""playback":{"id":"c1-play3","media_uri":"sound:hotline/menu-122",
                "target_uri":"channel:c1","language":"ru","state":"done"}"#,
        ));
        assert_eq!(
            routed,
            Routed::ToCall {
                call_key: "c1".into(),
                input: CallInput::PlaybackFinished(PlaybackId("c1-play3".into()))
            }
        );
    }

    #[test]
    fn unknown_or_malformed_events_are_kept_not_fatal() {
        let unknown = event("ChannelTalkingStarted", r#""channel":{"id":"x"}"#);
        assert!(
            matches!(&unknown, AriEvent::Unknown { kind, .. } if kind == "ChannelTalkingStarted")
        );
        assert_eq!(route_event(unknown), Routed::Ignore);
        // A known type missing a required field is not dropped silently either.
        let broken = event("ChannelDtmfReceived", r#""digit":"1""#);
        assert!(
            matches!(&broken, AriEvent::Unknown { kind, raw } if kind == "ChannelDtmfReceived" && raw["digit"] == "1")
        );
        assert!(matches!(
            AriEvent::parse("not json"),
            AriEvent::Unknown { .. }
        ));
    }

    #[test]
    fn ids_map_back_to_their_call() {
        assert_eq!(call_key_of("1764356400.1-leg12"), "1764356400.1");
        assert_eq!(call_key_of("1764356400.1-play3"), "1764356400.1");
        assert_eq!(call_key_of("1764356400.1-bridge"), "1764356400.1");
        assert_eq!(call_key_of("1764356400.1"), "1764356400.1");
        assert!(is_leg("c-leg1") && !is_leg("c-leg") && !is_leg("c") && !is_leg("c-legx"));
    }
}
