//! ARI REST requests as values: built here, sent by [`AriClient`](super::AriClient).
//!
//! Why values: the call path sends most requests on the event socket without
//! waiting for their answers ([`AriClient::submit`](super::AriClient::submit)), and
//! awaits them over HTTP when there is no socket; one description serves both.

use reqwest::Method;
use serde_json::{Value, json};

/// One ARI REST request, not yet sent.
#[derive(Clone, Debug)]
pub struct AriRequest {
    /// HTTP method.
    pub(super) method: Method,
    /// Path below `/ari/`, without a query string.
    pub(super) path: String,
    /// Query parameters.
    pub(super) query: Vec<(&'static str, String)>,
    /// JSON body, if any.
    pub(super) body: Option<Value>,
    /// A 404 means "already gone" (hang-up, removals): not an error.
    pub(super) gone_is_fine: bool,
    /// Sending it twice does what sending it once does, so when the socket it went
    /// on closes before the answer (Asterisk may or may not have carried it out), it
    /// is sent again over HTTP instead of failing the call.
    pub(super) repeatable: bool,
    /// A creation under an id we chose: sent again, a 409 ("already exists") means
    /// the first try did it.
    pub(super) exists_is_fine: bool,
}

impl AriRequest {
    fn new(method: Method, path: String) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            gone_is_fine: false,
            repeatable: false,
            exists_is_fine: false,
        }
    }

    /// A removal: "already gone" (404) is done, so it may be repeated.
    fn removal(path: String) -> Self {
        Self {
            gone_is_fine: true,
            repeatable: true,
            ..Self::new(Method::DELETE, path)
        }
    }

    fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }

    /// A creation under our own id: repeatable, "already exists" being done.
    fn creation(mut self) -> Self {
        self.exists_is_fine = true;
        self.repeatable()
    }

    fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// The path below `/ari/` with its query string, as a `RESTRequest` frame's
    /// `uri` carries it.
    pub(super) fn uri(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.query)
            .finish();
        format!("{}?{query}", self.path)
    }

    /// `GET path` (listings, application state, version).
    pub(super) fn get(path: String) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST channels/{id}/answer`.
    pub fn answer(channel: &str) -> Self {
        Self::new(Method::POST, format!("channels/{channel}/answer"))
    }

    /// `DELETE channels/{id}`: hangs a channel up with a reason (`normal`, `busy`,
    /// `congestion`, ...).
    pub fn hangup(channel: &str, reason: &str) -> Self {
        Self::removal(format!("channels/{channel}")).with("reason", reason)
    }

    /// Plays media (`sound:name`, ...) on a channel under a playback id we chose.
    pub fn play(channel: &str, playback: &str, media: &[String], lang: &str) -> Self {
        let mut request = Self::new(Method::POST, format!("channels/{channel}/play/{playback}"));
        for item in media {
            request = request.with("media", item.as_str());
        }
        request.with("lang", lang)
    }

    /// Stops a playback.
    pub fn stop_playback(playback: &str) -> Self {
        Self::removal(format!("playbacks/{playback}"))
    }

    /// Starts the ringing indication on a channel.
    pub fn ring(channel: &str) -> Self {
        Self::new(Method::POST, format!("channels/{channel}/ring"))
    }

    /// Stops the ringing indication.
    pub fn ring_stop(channel: &str) -> Self {
        Self::removal(format!("channels/{channel}/ring"))
    }

    /// Tells a channel whose phone asked to transfer (REFER) how it goes:
    /// `channel_progress`, `channel_answered`, `channel_declined`,
    /// `channel_unavailable`.
    pub fn transfer_progress(channel: &str, state: &str) -> Self {
        Self::new(
            Method::POST,
            format!("channels/{channel}/transfer_progress"),
        )
        .with("states", state)
    }

    /// Takes a channel out of a bridge (it stays in the app).
    pub fn remove_from_bridge(bridge: &str, channel: &str) -> Self {
        Self::new(Method::POST, format!("bridges/{bridge}/removeChannel")).with("channel", channel)
    }

    /// Plays music on hold of `class` to everyone in a bridge.
    pub fn start_bridge_moh(bridge: &str, class: &str) -> Self {
        Self::new(Method::POST, format!("bridges/{bridge}/moh")).with("mohClass", class)
    }

    /// Stops a bridge's music on hold.
    pub fn stop_bridge_moh(bridge: &str) -> Self {
        Self::removal(format!("bridges/{bridge}/moh"))
    }

    /// Plays music on hold of `class` to a channel (a caller waiting in the queue).
    pub fn start_moh(channel: &str, class: &str) -> Self {
        Self::new(Method::POST, format!("channels/{channel}/moh")).with("mohClass", class)
    }

    /// Stops the music on hold.
    pub fn stop_moh(channel: &str) -> Self {
        Self::removal(format!("channels/{channel}/moh"))
    }

    /// Creates a channel to `endpoint` in `app` with an id we chose, without dialling
    /// it yet (so no event can arrive for an id we don't know). `variables` may set
    /// `CONNECTEDLINE(num)` and the like for the callee's display.
    pub fn create_channel(
        app: &str,
        channel_id: &str,
        endpoint: &str,
        originator: Option<&str>,
        variables: &[(&str, &str)],
    ) -> Self {
        let mut request = Self::new(Method::POST, "channels/create".to_owned())
            .with("endpoint", endpoint)
            .with("app", app)
            .with("appArgs", "leg")
            .with("channelId", channel_id)
            .creation();
        if let Some(originator) = originator {
            request = request.with("originator", originator);
        }
        let vars: serde_json::Map<String, Value> = variables
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        request.body = Some(json!({ "variables": vars }));
        request
    }

    /// Dials a created channel; `caller` links it to the caller's channel.
    pub fn dial(channel: &str, caller: Option<&str>, timeout_seconds: u32) -> Self {
        let mut request = Self::new(Method::POST, format!("channels/{channel}/dial"))
            .with("timeout", timeout_seconds.to_string());
        if let Some(caller) = caller {
            request = request.with("caller", caller);
        }
        request
    }

    /// Sends a channel back to the dialplan after `Stasis()`.
    pub fn continue_in_dialplan(channel: &str) -> Self {
        Self {
            gone_is_fine: true,
            ..Self::new(Method::POST, format!("channels/{channel}/continue"))
        }
    }

    /// Sets a channel variable (repeatable: the same value again).
    pub fn set_variable(channel: &str, name: &str, value: &str) -> Self {
        Self::new(Method::POST, format!("channels/{channel}/variable"))
            .with("variable", name)
            .with("value", value)
            .repeatable()
    }

    /// Creates a mixing bridge with an id we chose (again: 409, "already exists").
    pub fn create_bridge(bridge: &str, dtmf_events: bool) -> Self {
        let kind = if dtmf_events {
            "mixing,dtmf_events"
        } else {
            "mixing"
        };
        Self::new(Method::POST, format!("bridges/{bridge}"))
            .with("type", kind)
            .creation()
    }

    /// Puts channels into a bridge. Repeatable: Asterisk 22 answers 204 again to
    /// adding a channel that is in the bridge already (measured on the sandbox, and
    /// checked by `tests/ari_repeat_e2e.rs`).
    pub fn add_to_bridge(bridge: &str, channels: &[&str]) -> Self {
        Self::new(Method::POST, format!("bridges/{bridge}/addChannel"))
            .with("channel", channels.join(","))
            .repeatable()
    }

    /// Destroys a bridge.
    pub fn destroy_bridge(bridge: &str) -> Self {
        Self::removal(format!("bridges/{bridge}"))
    }

    /// Records a bridge's mix into the stored recording `name` (a WAV file in
    /// Asterisk's recording folder; `/` in the name makes sub-folders). Appends to a
    /// recording of the same name, so a call bridged a second time (after a failed
    /// transfer) keeps one file. No beep: the caller heard the notice before the menu.
    pub fn record_bridge(bridge: &str, name: &str) -> Self {
        Self::new(Method::POST, format!("bridges/{bridge}/record"))
            .with("name", name)
            .with("format", "wav")
            .with("ifExists", "append")
            .with("beep", "false")
            .with("terminateOn", "none")
    }

    /// Deletes a stored recording (404: already gone).
    pub fn delete_stored_recording(name: &str) -> Self {
        Self::removal(format!(
            "recordings/stored/{}",
            recording_path_segment(name)
        ))
    }
}

/// A stored recording's name as one path segment: its `/` (sub-folders) encoded,
/// which Asterisk decodes back (measured on the sandbox).
pub(super) fn recording_path_segment(name: &str) -> String {
    name.replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carries_its_query_in_the_uri_encoded() {
        let play = AriRequest::play("c1", "p1", &["sound:hotline/menu-122".to_owned()], "ru");
        assert_eq!(play.method, Method::POST);
        assert_eq!(
            play.uri(),
            "channels/c1/play/p1?media=sound%3Ahotline%2Fmenu-122&lang=ru"
        );
        let create = AriRequest::create_channel(
            "hotline",
            "c1-leg1",
            "PJSIP/staff01",
            Some("c1"),
            &[("CONNECTEDLINE(name)", "Здравоохранение")],
        );
        assert_eq!(
            create.uri(),
            "channels/create?endpoint=PJSIP%2Fstaff01&app=hotline&appArgs=leg&channelId=c1-leg1&originator=c1"
        );
        assert_eq!(
            create.body,
            Some(json!({"variables": {"CONNECTEDLINE(name)": "Здравоохранение"}}))
        );
        assert_eq!(AriRequest::answer("c1").uri(), "channels/c1/answer");
    }

    #[test]
    fn removals_take_a_404_for_already_gone_and_other_requests_do_not() {
        assert!(AriRequest::hangup("c1", "normal").gone_is_fine);
        assert!(AriRequest::destroy_bridge("b1").gone_is_fine);
        assert!(AriRequest::stop_playback("p1").gone_is_fine);
        assert!(AriRequest::continue_in_dialplan("c1").gone_is_fine);
        assert!(!AriRequest::answer("c1").gone_is_fine);
        assert!(!AriRequest::add_to_bridge("b1", &["c1", "c2"]).gone_is_fine);
    }
}
