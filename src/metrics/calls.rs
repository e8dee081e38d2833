//! Counting calls from the journal's facts: a call's line comes with its first fact,
//! its topic with the routing decision and its outcome with the last, so the tally
//! keeps each call in progress until it ends and counts it then, with all three.

use std::collections::HashMap;

use super::{AttemptLabels, DecisionLabels, Metrics};
use crate::journal::{CalleeKind, JournalRecord, RecordKind};

/// More calls in progress than any center has: past this the oldest knowledge is
/// dropped (calls a crash left without an end would otherwise pile up).
const MAX_OPEN_CALLS: usize = 100_000;

/// Calls in progress, by call key, and the callee kind of each ringing leg.
#[derive(Debug, Default)]
pub struct CallTally {
    open: HashMap<String, OpenCall>,
    legs: HashMap<String, CalleeKind>,
}

#[derive(Debug)]
struct OpenCall {
    via: &'static str,
    line: String,
    topic: String,
}

impl CallTally {
    /// Counts what `record` tells into `metrics`.
    pub fn observe(&mut self, record: &JournalRecord, metrics: &Metrics) {
        match &record.kind {
            RecordKind::Started { via, line, .. } => {
                if self.open.len() >= MAX_OPEN_CALLS {
                    tracing::warn!(
                        calls = self.open.len(),
                        "metrics forget the calls in progress: too many never ended"
                    );
                    self.open.clear();
                    self.legs.clear();
                }
                self.open.insert(
                    record.call_key.clone(),
                    OpenCall {
                        via: via.as_str(),
                        line: line.clone(),
                        topic: String::new(),
                    },
                );
            }
            RecordKind::Routed { topic, mode, .. } => {
                let call = self.open.get_mut(&record.call_key);
                let line = call.as_ref().map_or("unknown", |c| c.line.as_str());
                metrics
                    .decisions
                    .get_or_create(&DecisionLabels {
                        line: line.to_owned(),
                        mode: mode.clone(),
                    })
                    .inc();
                if let (Some(call), Some(topic)) = (call, topic) {
                    call.topic.clone_from(topic);
                }
            }
            RecordKind::AttemptStarted {
                leg, callee_kind, ..
            } => {
                self.legs.insert(leg.clone(), *callee_kind);
            }
            RecordKind::AttemptEnded { leg, result, .. } => {
                let callee = self.legs.remove(leg).map_or("unknown", CalleeKind::as_str);
                metrics
                    .dial_attempts
                    .get_or_create(&AttemptLabels {
                        callee: callee.to_owned(),
                        result: result.clone(),
                    })
                    .inc();
            }
            RecordKind::Ended { outcome, .. } => self.ended(record, outcome, metrics),
            RecordKind::ConversationEnded { .. } => {
                self.ended(record, "conversation_ended", metrics);
            }
            _ => {}
        }
        metrics
            .calls_in_progress
            .set(i64::try_from(self.open.len()).unwrap_or(i64::MAX));
    }

    fn ended(&mut self, record: &JournalRecord, outcome: &str, metrics: &Metrics) {
        // Adopted from a crashed instance: its start was counted there.
        let call = self.open.remove(&record.call_key);
        let (via, line, topic) = call.as_ref().map_or(("ari", "unknown", ""), |c| {
            (c.via, c.line.as_str(), c.topic.as_str())
        });
        metrics.count_call(line, topic, outcome, via);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::journal::Via;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_764_356_400, 0).unwrap()
    }

    fn record(call: &str, kind: RecordKind) -> JournalRecord {
        JournalRecord {
            call_key: call.to_owned(),
            kind,
        }
    }

    fn has(text: &str, line: &str) -> bool {
        text.lines().any(|l| l == line)
    }

    #[test]
    fn a_call_counts_once_with_its_line_topic_and_outcome() {
        let metrics = Metrics::new();
        let mut tally = CallTally::default();
        let facts = [
            RecordKind::Started {
                via: Via::Ari,
                node: None,
                line: "122".into(),
                caller_number: "79990000001".into(),
                at: at(),
            },
            RecordKind::Routed {
                topic: Some("health".into()),
                mode: "automatic".into(),
                reason: String::new(),
                at: at(),
            },
            RecordKind::AttemptStarted {
                leg: "c1-leg3".into(),
                target: "PJSIP/staff01".into(),
                callee_kind: CalleeKind::Staff,
                staff_id: Some(1),
                callee_name: String::new(),
                at: at(),
            },
            RecordKind::AttemptEnded {
                leg: "c1-leg3".into(),
                result: "busy".into(),
                at: at(),
            },
        ];
        for fact in facts {
            tally.observe(&record("c1", fact), &metrics);
        }
        assert!(has(&metrics.render(), "hotline_calls_in_progress 1"));
        tally.observe(
            &record(
                "c1",
                RecordKind::Ended {
                    outcome: "answered_by_specialist".into(),
                    at: at(),
                },
            ),
            &metrics,
        );
        // A call adopted after a crash ends without a start here.
        tally.observe(
            &record("c0", RecordKind::ConversationEnded { at: at() }),
            &metrics,
        );
        let text = metrics.render();
        for line in [
            r#"hotline_calls_total{line="122",topic="health",outcome="answered_by_specialist",via="ari"} 1"#,
            r#"hotline_calls_total{line="unknown",topic="",outcome="conversation_ended",via="ari"} 1"#,
            r#"hotline_decisions_total{line="122",mode="automatic"} 1"#,
            r#"hotline_dial_attempts_total{callee="staff",result="busy"} 1"#,
            "hotline_calls_in_progress 0",
        ] {
            assert!(has(&text, line), "{line} not in\n{text}");
        }
    }
}
