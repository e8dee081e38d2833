//! ARI object models, taken from Asterisk 22's own Swagger docs
//! (`/ari/api-docs/channels.json`, `bridges.json`, `playbacks.json`,
//! `applications.json`; copies in `docs/ari-api-docs/`). Only the fields the service
//! reads are typed; the rest is kept in `extra` so nothing Asterisk says is lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Caller or connected-line identity (`CallerID`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerId {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Number.
    #[serde(default)]
    pub number: String,
}

/// Where a channel is in the dialplan (`DialplanCEP`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialplanCep {
    /// Context.
    #[serde(default)]
    pub context: String,
    /// Extension: the dialled short number for a caller in Stasis.
    #[serde(default)]
    pub exten: String,
    /// Priority.
    #[serde(default)]
    pub priority: i64,
    /// Current application (`Stasis`).
    #[serde(default)]
    pub app_name: String,
    /// Its arguments.
    #[serde(default)]
    pub app_data: String,
}

/// A channel (`Channel`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Unique id; for legs we create, the id we chose.
    pub id: String,
    /// Technology name, e.g. `PJSIP/citizen-00000001`.
    #[serde(default)]
    pub name: String,
    /// `Down`, `Ring`, `Ringing`, `Up`, `Busy`, ...
    #[serde(default)]
    pub state: String,
    /// Who is calling.
    #[serde(default)]
    pub caller: CallerId,
    /// Who it is connected to.
    #[serde(default)]
    pub connected: CallerId,
    /// Dialplan location.
    #[serde(default)]
    pub dialplan: DialplanCep,
    /// Everything else Asterisk sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A bridge (`Bridge`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bridge {
    /// Unique id; for bridges we create, the id we chose.
    pub id: String,
    /// Channel ids in the bridge.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Everything else Asterisk sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A playback (`Playback`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playback {
    /// Unique id; the id we chose.
    pub id: String,
    /// `queued`, `playing`, `done`, `failed`, ...
    #[serde(default)]
    pub state: String,
    /// `channel:<id>` or `bridge:<id>`.
    #[serde(default)]
    pub target_uri: String,
    /// Everything else Asterisk sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Stasis application's subscriptions (`Application`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// App name.
    pub name: String,
    /// Channels the app is subscribed to (in Stasis or created by it).
    #[serde(default)]
    pub channel_ids: Vec<String>,
    /// Bridges the app is subscribed to.
    #[serde(default)]
    pub bridge_ids: Vec<String>,
    /// Everything else Asterisk sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_keeps_the_fields_it_does_not_type_and_needs_its_id() {
        let text = r#"{"id":"c1","name":"PJSIP/citizen-1","caller":{"name":"","number":"79990000001"},"creationtime":"2026-11-28T19:00:00.000+0000","channelvars":{"A":"1"},"la\u006eguage":"ru"}"#;
        let channel: Channel = serde_json::from_str(text).unwrap();
        assert_eq!(channel.id, "c1");
        assert_eq!(channel.name, "PJSIP/citizen-1");
        assert_eq!(channel.caller.number, "79990000001");
        assert_eq!(channel.state, "", "a field not sent takes its default");
        assert_eq!(
            channel.extra["creationtime"],
            "2026-11-28T19:00:00.000+0000"
        );
        assert_eq!(channel.extra["channelvars"]["A"], "1");
        assert_eq!(channel.extra["language"], "ru", "a key with an escape");
        // Written and read again (keys no longer borrowed), it is the same.
        let again: Channel =
            serde_json::from_value(serde_json::to_value(&channel).unwrap()).unwrap();
        assert_eq!(again, channel);

        let playback: Playback =
            serde_json::from_str(r#"{"id":"p1","state":"done","media_uri":"sound:x"}"#).unwrap();
        assert_eq!(
            (playback.state.as_str(), &playback.extra["media_uri"]),
            ("done", &Value::from("sound:x"))
        );
        let bridge: Bridge = serde_json::from_str(r#"{"channels":["c1"],"id":"b1"}"#).unwrap();
        assert_eq!(
            (bridge.id.as_str(), bridge.channels),
            ("b1", vec!["c1".to_owned()])
        );

        for bad in [
            r#"{"name":"PJSIP/x-1"}"#,
            r#"{"id":7}"#,
            r#"{"id":"c1","caller":3}"#,
            "[1]",
            r#"{"id":"c1""#,
        ] {
            assert!(serde_json::from_str::<Channel>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Bridge>(r#"{"channels":[]}"#).is_err());
        assert!(serde_json::from_str::<Playback>(r#"{"state":"done"}"#).is_err());
    }
}
