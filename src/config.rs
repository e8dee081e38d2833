//! Settings of `hotline serve`: defaults, then an optional TOML file, then
//! environment variables prefixed `HOTLINE_` (`HOTLINE_ARI_URL`, ...), then
//! `DATABASE_URL`. Secrets are wrapped in [`Secret`] and never printed.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A value that must not appear in logs or `Debug` output (passwords, URLs with
/// passwords).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Everything `hotline serve` can be told. Field names are the keys of the TOML file
/// and, upper-cased with the `HOTLINE_` prefix, of the environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Postgres URL of the directory and the journal (also read from `DATABASE_URL`).
    pub database_url: Secret,
    /// Base URL of Asterisk's HTTP server (`http://` or `https://`); `/ari` is added.
    pub ari_url: String,
    /// ARI user (`ari.conf`).
    pub ari_user: String,
    /// ARI password.
    pub ari_password: Secret,
    /// Stasis application name; the dialplan's `Stasis(hotline,...)` must match.
    pub ari_app: String,
    /// The name of the Asterisk node at `ari_url`, as the journal records it
    /// (`call_record.asterisk_node`).
    pub ari_node_name: String,
    /// More Asterisk servers driven beside the one at `ari_url`, each with its own
    /// event socket and Stasis app (same app name); a call is handled on the node it
    /// arrived on. Give each Asterisk its own `systemname` (asterisk.conf), so channel
    /// ids never collide between nodes.
    pub extra_asterisk_nodes: Vec<AsteriskNodeSettings>,
    /// Timeout of one ARI REST request, in milliseconds.
    pub ari_request_timeout_ms: u64,
    /// Most ARI requests in flight; keep below `http.conf` `sessionlimit`.
    pub ari_max_in_flight: usize,
    /// Send ARI REST requests on the event WebSocket (Asterisk 22.4+) instead of
    /// HTTP; falls back to HTTP by itself when Asterisk does not answer there. It
    /// cost Asterisk and hotline less CPU per call than HTTP (docs/benchmarks.md).
    pub ari_rest_over_websocket: bool,
    /// Request-only WebSockets beside the event socket (with
    /// `ari_rest_over_websocket`): Asterisk carries out one socket's requests one
    /// after another, so under load one socket is a queue every call waits in.
    /// Each call's requests keep to one socket, in order.
    pub ari_request_sockets: usize,
    /// Overload protection: while ARI requests take longer than this many
    /// milliseconds on average, new calls go straight to the dialplan fallback
    /// (the specialists) instead of the menu; 0 turns it off.
    pub shed_latency_ms: u64,
    /// Pretend the routing clock reads this instant at start (tests, demos):
    /// decisions are taken as if it were then. Empty in production.
    pub clock_start: Option<DateTime<FixedOffset>>,
    /// File where journal records go if Postgres is away at shutdown.
    pub journal_spool: PathBuf,
    /// The file where the dialplan's fallback notes each call it served while the
    /// app was away (`HOTLINE_FALLBACK_JOURNAL` in the dialplan, as this process
    /// sees it); imported into the journal every few seconds. Empty: no import.
    pub dialplan_fallback_log: PathBuf,
    /// Seconds calls in progress may take to finish at shutdown before they are
    /// handed back to the dialplan fallback.
    pub shutdown_drain_seconds: u64,
    /// How long each round of ringing the specialists lasts, in seconds.
    pub specialist_ring_seconds: u32,
    /// How many rounds of ringing the specialists before a call fails.
    pub specialist_rounds: u32,
    /// Whether callers hear "connecting you with ..." before callees are dialled.
    pub announce_transfers: bool,
    /// Whether calls for specialists wait in the specialists' queue while anyone is
    /// signed in to it from the console (off: every specialist's phone rings).
    pub specialist_queue: bool,
    /// Ring every ready specialist for a waiting call, not only the longest-ready.
    pub queue_ring_all: bool,
    /// Seconds of wrap-up after a specialist's call before the next is offered.
    pub queue_wrap_up_seconds: u32,
    /// Seconds between position announcements to a waiting caller.
    pub queue_announce_seconds: u32,
    /// Seconds of waiting after which a caller is offered to leave a callback request.
    pub queue_callback_after_seconds: u32,
    /// The folder, inside Asterisk's recording directory
    /// (`/var/spool/asterisk/recording`), for recordings of the lines that record
    /// (`line.record_calls`); each file is named after its call.
    pub recording_folder: String,
    /// Minutes between runs of the cleanup that deletes recordings past their
    /// line's retention (`line.recording_retention_days`).
    pub recording_cleanup_minutes: u64,
    /// Where the FastAGI server listens (`agi://HOST:PORT/route` in the dialplan).
    /// Loopback by default: AGI has no authentication, so only an Asterisk on the
    /// same host (or a trusted network, if you change it) may reach it.
    pub agi_listen: SocketAddr,
    /// Most FastAGI sessions served at once; more wait to be accepted.
    pub agi_max_sessions: usize,
    /// Where the operator console (HTTP API, pages, `/health`) listens. Loopback by
    /// default: put a TLS proxy in front to open it to the contact center's network.
    pub http_listen: SocketAddr,
    /// How other instances reach this one's console (`http://10.0.0.5:8080`) to pass
    /// on what only the active instance knows (queue, calls in progress); empty:
    /// the bound `http_listen` address, which suits instances on one host.
    pub http_advertise_url: String,
    /// Mark the console's session cookie `Secure` (HTTPS only): on behind a TLS proxy.
    pub http_secure_cookie: bool,
    /// Minutes without a request after which a console session ends (its open event
    /// streams close too).
    pub http_session_idle_minutes: u32,
    /// Take the client's address for sign-in throttling from the last
    /// `X-Forwarded-For` entry: on only behind a proxy that sets it, or anyone could
    /// pick the address they are counted under.
    pub http_trust_forwarded_for: bool,
    /// Origins (`https://console.example`) besides the service's own `Host` that may
    /// send state-changing requests: set it when a proxy rewrites `Host`.
    pub http_allowed_origins: Vec<String>,
}

/// One more Asterisk server (see [`Settings::extra_asterisk_nodes`]); user and
/// password default to `ari_user` and `ari_password`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsteriskNodeSettings {
    /// Its name in the journal and the logs (unique).
    pub name: String,
    /// Base URL of its HTTP server (`/ari` is added).
    pub ari_url: String,
    /// ARI user, if not `ari_user`.
    #[serde(default)]
    pub ari_user: Option<String>,
    /// ARI password, if not `ari_password`.
    #[serde(default)]
    pub ari_password: Option<Secret>,
    /// Its dialplan fallback's file of calls served while the app was away (see
    /// [`Settings::dialplan_fallback_log`]), as this process sees it; none: no import.
    #[serde(default)]
    pub dialplan_fallback_log: Option<PathBuf>,
}

impl Settings {
    /// Every Asterisk node as settings of its own: the one at `ari_url` first, then
    /// [`Settings::extra_asterisk_nodes`]. Names must be unique and not blank.
    pub fn asterisk_nodes(&self) -> Result<Vec<(String, Settings)>, String> {
        let mut nodes = vec![(self.ari_node_name.clone(), self.clone())];
        for extra in &self.extra_asterisk_nodes {
            let mut node = self.clone();
            node.ari_url.clone_from(&extra.ari_url);
            if let Some(user) = &extra.ari_user {
                node.ari_user.clone_from(user);
            }
            if let Some(password) = &extra.ari_password {
                node.ari_password = password.clone();
            }
            node.dialplan_fallback_log = extra.dialplan_fallback_log.clone().unwrap_or_default();
            nodes.push((extra.name.clone(), node));
        }
        for (index, (name, _)) in nodes.iter().enumerate() {
            if name.trim().is_empty() {
                return Err("an Asterisk node needs a name".to_owned());
            }
            if nodes[..index].iter().any(|(other, _)| other == name) {
                return Err(format!("two Asterisk nodes are named {name:?}"));
            }
        }
        Ok(nodes)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: Secret("postgres://postgres@127.0.0.1:5432/hotline".to_owned()),
            ari_url: "http://127.0.0.1:8088".to_owned(),
            ari_user: "hotline".to_owned(),
            ari_password: Secret("hotline".to_owned()),
            ari_app: "hotline".to_owned(),
            ari_node_name: "main".to_owned(),
            extra_asterisk_nodes: Vec::new(),
            ari_request_timeout_ms: 5_000,
            ari_max_in_flight: 200,
            ari_rest_over_websocket: true,
            ari_request_sockets: 4,
            shed_latency_ms: 250,
            clock_start: None,
            journal_spool: PathBuf::from("hotline-journal.spool"),
            dialplan_fallback_log: PathBuf::from("/var/log/asterisk/hotline-fallback.csv"),
            shutdown_drain_seconds: 30,
            specialist_ring_seconds: 30,
            specialist_rounds: 3,
            announce_transfers: true,
            specialist_queue: true,
            queue_ring_all: false,
            queue_wrap_up_seconds: 15,
            queue_announce_seconds: 30,
            queue_callback_after_seconds: 120,
            recording_folder: crate::call::DEFAULT_RECORDING_FOLDER.to_owned(),
            recording_cleanup_minutes: 60,
            agi_listen: SocketAddr::from(([127, 0, 0, 1], 4573)),
            agi_max_sessions: 256,
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            http_advertise_url: String::new(),
            http_secure_cookie: false,
            http_session_idle_minutes: 60,
            http_trust_forwarded_for: false,
            http_allowed_origins: Vec::new(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` if given, then `HOTLINE_*` variables, then `DATABASE_URL`.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("HOTLINE_"))
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API, not ours
    fn environment_overrides_file_and_secrets_stay_hidden() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "hotline.toml",
                "ari_url = \"http://pbx:8088\"\nari_password = \"from-file\"\nspecialist_rounds = 5\n",
            )?;
            jail.set_env("HOTLINE_ARI_PASSWORD", "s3cret");
            jail.set_env("DATABASE_URL", "postgres://u:pw@db/x");
            jail.set_env("HOTLINE_CLOCK_START", "2026-05-12T10:00:00+08:00");
            jail.set_env("HOTLINE_HTTP_LISTEN", "0.0.0.0:9090");
            let settings = Settings::load(Some(Path::new("hotline.toml"))).expect("loads");
            assert_eq!(settings.ari_url, "http://pbx:8088");
            assert_eq!(settings.ari_password.0, "s3cret");
            assert_eq!(settings.specialist_rounds, 5);
            assert_eq!(settings.database_url.0, "postgres://u:pw@db/x");
            assert_eq!(
                settings.clock_start.map(|c| c.to_rfc3339()),
                Some("2026-05-12T10:00:00+08:00".to_owned())
            );
            assert_eq!(settings.http_listen.to_string(), "0.0.0.0:9090");
            jail.set_env(
                "HOTLINE_EXTRA_ASTERISK_NODES",
                r#"[{name="pbx2", ari_url="http://pbx2:8088", ari_password="node2-secret"}]"#,
            );
            let settings = Settings::load(Some(Path::new("hotline.toml"))).expect("loads");
            let nodes = settings.asterisk_nodes().expect("valid nodes");
            let described: Vec<_> = nodes
                .iter()
                .map(|(name, node)| {
                    (
                        name.as_str(),
                        node.ari_url.as_str(),
                        node.ari_password.0.as_str(),
                    )
                })
                .collect();
            assert_eq!(
                described,
                [
                    ("main", "http://pbx:8088", "s3cret"),
                    ("pbx2", "http://pbx2:8088", "node2-secret")
                ]
            );
            assert!(!format!("{settings:?}").contains("node2-secret"));
            let printed = format!("{settings:?}");
            assert!(
                !printed.contains("s3cret") && !printed.contains("pw@db"),
                "{printed}"
            );
            Ok(())
        });
    }

    #[test]
    fn asterisk_nodes_need_distinct_names() {
        let node = |name: &str| AsteriskNodeSettings {
            name: name.to_owned(),
            ari_url: "http://pbx2:8088".to_owned(),
            ari_user: None,
            ari_password: None,
            dialplan_fallback_log: None,
        };
        let mut settings = Settings {
            extra_asterisk_nodes: vec![node("pbx2")],
            ..Settings::default()
        };
        assert_eq!(settings.asterisk_nodes().map(|n| n.len()), Ok(2));
        settings.extra_asterisk_nodes = vec![node("pbx2"), node("pbx2")];
        assert!(settings.asterisk_nodes().is_err());
        settings.extra_asterisk_nodes = vec![node("main")];
        assert!(settings.asterisk_nodes().is_err());
        settings.extra_asterisk_nodes = vec![node(" ")];
        assert!(settings.asterisk_nodes().is_err());
    }
}
