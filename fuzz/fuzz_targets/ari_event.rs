//! Fuzz target: reading ARI WebSocket messages.
//!
//! Any text is a message Asterisk (or something impersonating it, or a proxy
//! mangling it) might send. `AriEvent::parse` must never panic and never fail (an
//! unreadable message becomes `Unknown`); its fast path (retagging the compact form
//! Asterisk writes) must read the same event as the reference path through a JSON
//! value; and what the app does next with an event (routing it to a call, taking
//! its channel id and kind) must not panic either.

#![no_main]

use hotline::app::translate::route_event;
use hotline::ari::AriEvent;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let event = AriEvent::parse(text);
    if let Some(fast) = AriEvent::parse_compact(text) {
        // Duplicate keys are the one place the two may differ (a JSON value keeps
        // the last, the streaming reader refuses or keeps the first); Asterisk never
        // writes them.
        if let Some(reference) = AriEvent::parse_by_value(text) {
            if text.matches("\"type\"").count() == 1 && !has_duplicate_keys(text) {
                assert_eq!(fast, reference, "fast and reference paths disagree");
            }
        }
        assert_eq!(event, fast, "parse must use the fast path's result");
    }
    let _ = event.channel_id();
    let _ = event.kind();
    let _ = route_event(event);
});

/// Whether the JSON text has an object with a repeated key, at any depth.
fn has_duplicate_keys(text: &str) -> bool {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    use std::collections::HashSet;
    use std::fmt;

    struct Check;
    impl<'de> Visitor<'de> for Check {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = HashSet::new();
            let mut duplicate = false;
            while let Some(key) = map.next_key::<String>()? {
                duplicate |= !seen.insert(key);
                duplicate |= map.next_value::<Any>()?.0;
            }
            Ok(duplicate)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut duplicate = false;
            while let Some(Any(inner)) = seq.next_element::<Any>()? {
                duplicate |= inner;
            }
            Ok(duplicate)
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    struct Any(bool);
    impl<'de> serde::Deserialize<'de> for Any {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(Check).map(Any)
        }
    }
    let mut reader = serde_json::Deserializer::from_str(text);
    serde::Deserialize::deserialize(&mut reader).is_ok_and(|Any(duplicate)| duplicate)
}
