//! What Prometheus scrapes at `GET /metrics`: how the hotline serves, in numbers.
//!
//! One [`Metrics`] per process ([`Metrics::global`]), built on `prometheus-client`
//! and served in the OpenMetrics text format (which Prometheus reads natively).
//! Three kinds of figures, by where they come from:
//!
//! - **Counted as things happen**: calls by line, topic, outcome and path, routing
//!   decisions by mode, dial attempts by result ([`CallTally`], fed the journal's
//!   facts by the journal writer, so ARI and FastAGI calls count alike; calls the
//!   dialplan fallback served are counted when their rows are imported), ARI request
//!   latency, event-socket reconnections.
//! - **Read at scrape time** ([`Metrics::set_scrape_values`]): the specialists' queue
//!   (waiting calls, longest wait, specialists by state), the journal's spool, the
//!   production-calendar years not confirmed by a decree, whether the ARI event
//!   socket is connected.
//!
//! Names, labels and an example scrape configuration are in README.md ("Metrics").

mod calls;

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

pub use calls::CallTally;

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The specialists' states, as the console names them; every one is reported (0
/// when nobody is in it), so a dashboard's series never vanish.
pub const SPECIALIST_STATES: [&str; 6] = [
    "signed_out",
    "ready",
    "paused",
    "offered",
    "on_call",
    "wrap_up",
];

/// Labels of a finished call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// `122`, `117`, or `unknown` (a call adopted from a crashed instance).
    pub line: String,
    /// The topic's code; empty when none was chosen.
    pub topic: String,
    /// `answered_by_staff`, `answered_by_specialist`, `abandoned`, `failed`,
    /// `handed_to_dialplan`, or `conversation_ended` (closed after a takeover).
    pub outcome: String,
    /// `ari`, `agi` or `dialplan` (the fallback, while hotline was away).
    pub via: String,
}

/// Labels of a routing decision.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// The line.
    pub line: String,
    /// `automatic`, `manual`, `after_hours`, `specialist_topic`, ...
    pub mode: String,
}

/// Labels of a dial attempt.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    /// `staff` or `specialist`.
    pub callee: String,
    /// `answered`, `busy`, `no_answer`, `unavailable`, `cancelled`, `failed`.
    pub result: String,
}

/// One label, for families keyed by a single word.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The state (specialists) or the socket (`events`, `requests`).
    pub state: String,
}

/// Every metric the service exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Finished calls.
    pub calls: Family<CallLabels, Counter>,
    /// Calls started and not finished (by this process).
    pub calls_in_progress: Gauge,
    /// Routing decisions.
    pub decisions: Family<DecisionLabels, Counter>,
    /// Finished dial attempts.
    pub dial_attempts: Family<AttemptLabels, Counter>,
    /// Round trip of ARI REST requests (HTTP or WebSocket), waiting for a slot included.
    pub ari_request_seconds: Histogram,
    /// Reconnections of the ARI WebSockets, by socket (`events`, `requests`).
    pub ari_reconnects: Family<StateLabel, Counter>,
    /// 1 while the ARI event socket is connected.
    pub ari_event_socket_connected: Gauge,
    /// Calls waiting in the specialists' queue.
    pub queue_waiting: Gauge,
    /// How long the longest-waiting call has waited, in seconds.
    pub queue_longest_wait_seconds: Gauge<f64, AtomicU64>,
    /// Specialists by state.
    pub specialists: Family<StateLabel, Gauge>,
    /// Journal records written to Postgres since the start.
    pub journal_written: Counter,
    /// Journal records waiting for Postgres (spool file and memory).
    pub journal_waiting: Gauge,
    /// 1 while the journal spools to disk (Postgres away).
    pub journal_spooling: Gauge,
    /// Production-calendar years due now without their decree loaded.
    pub calendar_unconfirmed_years: Gauge,
}

impl Metrics {
    /// A fresh set, registered under the `hotline_` names (tests make their own).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let calls = Family::<CallLabels, Counter>::default();
        registry.register("hotline_calls", "Finished calls", calls.clone());
        let calls_in_progress = Gauge::default();
        registry.register(
            "hotline_calls_in_progress",
            "Calls started and not finished",
            calls_in_progress.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register("hotline_decisions", "Routing decisions", decisions.clone());
        let dial_attempts = Family::<AttemptLabels, Counter>::default();
        registry.register(
            "hotline_dial_attempts",
            "Finished dial attempts",
            dial_attempts.clone(),
        );
        // 0.5 ms .. 4 s.
        let ari_request_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register_with_unit(
            "hotline_ari_request_duration",
            "Round trip of ARI REST requests",
            Unit::Seconds,
            ari_request_seconds.clone(),
        );
        let ari_reconnects = Family::<StateLabel, Counter>::default();
        registry.register(
            "hotline_ari_reconnects",
            "Reconnections of the ARI WebSockets (label state = socket)",
            ari_reconnects.clone(),
        );
        let ari_event_socket_connected = Gauge::default();
        registry.register(
            "hotline_ari_event_socket_connected",
            "1 while the ARI event socket is connected",
            ari_event_socket_connected.clone(),
        );
        let queue_waiting = Gauge::default();
        registry.register(
            "hotline_queue_waiting_calls",
            "Calls waiting in the specialists' queue",
            queue_waiting.clone(),
        );
        let queue_longest_wait_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "hotline_queue_longest_wait",
            "How long the longest-waiting call has waited",
            Unit::Seconds,
            queue_longest_wait_seconds.clone(),
        );
        let specialists = Family::<StateLabel, Gauge>::default();
        registry.register(
            "hotline_specialists",
            "Specialists by state",
            specialists.clone(),
        );
        let journal_written = Counter::default();
        registry.register(
            "hotline_journal_records_written",
            "Journal records written to Postgres",
            journal_written.clone(),
        );
        let journal_waiting = Gauge::default();
        registry.register(
            "hotline_journal_waiting_records",
            "Journal records waiting for Postgres (spool file and memory)",
            journal_waiting.clone(),
        );
        let journal_spooling = Gauge::default();
        registry.register(
            "hotline_journal_spooling",
            "1 while the journal spools to disk because Postgres is away",
            journal_spooling.clone(),
        );
        let calendar_unconfirmed_years = Gauge::default();
        registry.register(
            "hotline_calendar_unconfirmed_years",
            "Production-calendar years due now without their decree loaded",
            calendar_unconfirmed_years.clone(),
        );
        Self {
            registry,
            calls,
            calls_in_progress,
            decisions,
            dial_attempts,
            ari_request_seconds,
            ari_reconnects,
            ari_event_socket_connected,
            queue_waiting,
            queue_longest_wait_seconds,
            specialists,
            journal_written,
            journal_waiting,
            journal_spooling,
            calendar_unconfirmed_years,
        }
    }

    /// The process's metrics: what `/metrics` serves.
    pub fn global() -> &'static Self {
        static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);
        &GLOBAL
    }

    /// Counts a finished call.
    pub fn count_call(&self, line: &str, topic: &str, outcome: &str, via: &str) {
        self.calls
            .get_or_create(&CallLabels {
                line: line.to_owned(),
                topic: topic.to_owned(),
                outcome: outcome.to_owned(),
                via: via.to_owned(),
            })
            .inc();
    }

    /// Sets the values read at scrape time.
    pub fn set_scrape_values(&self, values: &ScrapeValues) {
        self.ari_event_socket_connected
            .set(i64::from(values.ari_event_socket_connected));
        self.queue_waiting
            .set(i64::try_from(values.queue_waiting).unwrap_or(i64::MAX));
        self.queue_longest_wait_seconds
            .set(values.queue_longest_wait_seconds);
        for (state, count) in &values.specialists {
            self.specialists
                .get_or_create(&StateLabel {
                    state: (*state).to_owned(),
                })
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        let counted = self.journal_written.get();
        self.journal_written
            .inc_by(values.journal_written.saturating_sub(counted));
        self.journal_waiting
            .set(i64::try_from(values.journal_waiting).unwrap_or(i64::MAX));
        self.journal_spooling
            .set(i64::from(values.journal_spooling));
        self.calendar_unconfirmed_years
            .set(i64::try_from(values.calendar_unconfirmed_years).unwrap_or(i64::MAX));
    }

    /// The text Prometheus scrapes.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// What `/metrics` reads from the running service just before it renders.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScrapeValues {
    /// Whether the ARI event socket is connected.
    pub ari_event_socket_connected: bool,
    /// Calls waiting in the specialists' queue.
    pub queue_waiting: usize,
    /// The longest wait among them, in seconds.
    pub queue_longest_wait_seconds: f64,
    /// Specialists by state word, every one of [`SPECIALIST_STATES`] listed.
    pub specialists: std::collections::BTreeMap<&'static str, usize>,
    /// Journal records written since the start.
    pub journal_written: u64,
    /// Journal records waiting for Postgres.
    pub journal_waiting: u64,
    /// Whether the journal spools.
    pub journal_spooling: bool,
    /// Calendar years due without their decree.
    pub calendar_unconfirmed_years: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_values_are_rendered_with_every_specialist_state() {
        let metrics = Metrics::new();
        metrics.set_scrape_values(&ScrapeValues {
            ari_event_socket_connected: true,
            queue_waiting: 2,
            queue_longest_wait_seconds: 12.5,
            specialists: SPECIALIST_STATES
                .iter()
                .map(|state| {
                    let count = match *state {
                        "ready" => 2,
                        "on_call" => 1,
                        _ => 0,
                    };
                    (*state, count)
                })
                .collect(),
            journal_written: 40,
            journal_waiting: 0,
            journal_spooling: false,
            calendar_unconfirmed_years: 1,
        });
        let text = metrics.render();
        for line in [
            "hotline_ari_event_socket_connected 1",
            "hotline_queue_waiting_calls 2",
            "hotline_queue_longest_wait_seconds 12.5",
            "hotline_specialists{state=\"ready\"} 2",
            "hotline_specialists{state=\"on_call\"} 1",
            "hotline_specialists{state=\"wrap_up\"} 0",
            "hotline_journal_records_written_total 40",
            "hotline_calendar_unconfirmed_years 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        // The written count only grows, by the difference.
        metrics.set_scrape_values(&ScrapeValues {
            journal_written: 45,
            ..ScrapeValues::default()
        });
        assert!(
            metrics
                .render()
                .lines()
                .any(|l| l == "hotline_journal_records_written_total 45")
        );
    }

    #[test]
    fn ari_latency_is_a_histogram_in_seconds() {
        let metrics = Metrics::new();
        metrics.ari_request_seconds.observe(0.003);
        let text = metrics.render();
        assert!(
            text.contains("# TYPE hotline_ari_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("hotline_ari_request_duration_seconds_bucket{le=\"0.004\"} 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
