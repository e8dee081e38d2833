//! Journal facts in a storable form: plain strings and timestamps, serialisable so
//! they can be spooled to a file while Postgres is away.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::call::{Callee, JournalEntry};
use crate::pii::Pii;

/// Which front door the call came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The `hotline` Stasis app.
    Ari,
    /// A dialplan routing by FastAGI.
    Agi,
}

impl Via {
    /// The word stored in `call_record.via`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ari => "ari",
            Self::Agi => "agi",
        }
    }
}

/// Whether a dialled callee was a responsible staff member or a specialist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalleeKind {
    /// A responsible staff member of an organisation.
    Staff,
    /// A contact-center specialist.
    Specialist,
}

impl CalleeKind {
    /// The word stored in `dial_attempt.callee_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Specialist => "specialist",
        }
    }
}

/// One fact about one call, keyed by the caller's channel id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// The caller's Asterisk channel id.
    pub call_key: String,
    /// The fact.
    pub kind: RecordKind,
}

/// The facts the journal stores; each maps to one insert or update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum RecordKind {
    /// The call entered the service.
    Started {
        /// ARI or AGI.
        via: Via,
        /// The line called.
        line: String,
        /// The citizen's number.
        caller_number: Pii<String>,
        /// When.
        at: DateTime<Utc>,
        /// The Asterisk node the call arrived on (ARI; FastAGI does not know it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
    },
    /// The routing decision.
    Routed {
        /// Topic code, if any.
        topic: Option<String>,
        /// Mode word.
        mode: String,
        /// Reason, Russian / English.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A callee is being dialled.
    AttemptStarted {
        /// Leg channel id.
        leg: String,
        /// Dial target.
        target: String,
        /// Staff or specialist.
        callee_kind: CalleeKind,
        /// Staff id, for least-recently-called hunting.
        staff_id: Option<i64>,
        /// Name, copied so the record survives roster edits.
        callee_name: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A dial attempt ended.
    AttemptEnded {
        /// Leg channel id.
        leg: String,
        /// `answered`, `busy`, `no_answer`, `unavailable`, `cancelled`, `failed`.
        result: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A specialist started a transfer.
    TransferStarted {
        /// 1, 2, ... within the call.
        number: u32,
        /// `console` or `feature_code`.
        origin: String,
        /// Topic code.
        topic: String,
        /// The specialist's phone.
        from_target: Option<String>,
        /// The console user who asked.
        console_user: Option<i64>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A transfer ended.
    TransferEnded {
        /// Its number within the call.
        number: u32,
        /// `answered`, `failed`, `abandoned`.
        result: String,
        /// The staff member's phone that answered.
        answered_target: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The caller started waiting in the specialists' queue.
    Queued {
        /// When.
        at: DateTime<Utc>,
    },
    /// The caller left a callback request in the queue: an appeal is registered.
    CallbackRequested {
        /// The line called.
        line: String,
        /// The citizen's number.
        caller_number: Pii<String>,
        /// Topic code, if any.
        topic: Option<String>,
        /// Responsible organisation (the topic's agency); none = the contact center.
        organisation: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The leg that answered was bridged with the caller.
    Answered {
        /// Leg channel id (its attempt row names the callee).
        leg: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A new instance adopted the call: attempts the previous one left open are
    /// over (their legs are gone or being hung up).
    OpenAttemptsCancelled {
        /// When.
        at: DateTime<Utc>,
    },
    /// A conversation an earlier instance left bridged is over (that instance died
    /// before it could see the end): the call ends with the outcome its journaled
    /// answer gives (`journal_apply`, migration 20261204000001).
    ConversationEnded {
        /// When the new instance saw a party leave.
        at: DateTime<Utc>,
    },
    /// Recording of the conversation started under this stored recording name.
    RecordingStarted {
        /// The stored recording's name in Asterisk (`folder/call_key`).
        name: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The call is over.
    Ended {
        /// `answered_by_staff`, `answered_by_specialist`, `abandoned`, `failed`.
        outcome: String,
        /// When.
        at: DateTime<Utc>,
    },
}

impl JournalRecord {
    /// Turns a fact of the ARI call state machine into a storable record.
    pub fn from_call(call_key: &str, entry: JournalEntry) -> Self {
        let kind = match entry {
            JournalEntry::Started {
                line,
                caller_number,
                at,
            } => RecordKind::Started {
                via: Via::Ari,
                node: None,
                line: line.0,
                caller_number,
                at,
            },
            JournalEntry::Routed {
                topic,
                mode,
                reason,
                at,
            } => RecordKind::Routed {
                topic: topic.map(|t| t.0),
                mode: mode.as_str().to_owned(),
                reason,
                at,
            },
            JournalEntry::AttemptStarted {
                leg,
                callee,
                target,
                at,
            } => {
                let (callee_kind, staff_id, callee_name) = match callee {
                    Callee::Staff { id, name } => (CalleeKind::Staff, Some(id.0), name),
                    Callee::Specialist { name, .. } => (CalleeKind::Specialist, None, name),
                };
                RecordKind::AttemptStarted {
                    leg: leg.0,
                    target: target.as_str().to_owned(),
                    callee_kind,
                    staff_id,
                    callee_name,
                    at,
                }
            }
            JournalEntry::AttemptEnded { leg, result, at } => RecordKind::AttemptEnded {
                leg: leg.0,
                result: result.as_str().to_owned(),
                at,
            },
            JournalEntry::Answered { leg, at } => RecordKind::Answered { leg: leg.0, at },
            JournalEntry::Queued { at } => RecordKind::Queued { at },
            JournalEntry::TransferStarted {
                number,
                origin,
                topic,
                from_target,
                console_user,
                at,
            } => RecordKind::TransferStarted {
                number,
                origin: origin.as_str().to_owned(),
                topic: topic.0,
                from_target: from_target.map(String::from),
                console_user,
                at,
            },
            JournalEntry::TransferEnded {
                number,
                result,
                answered_target,
                at,
            } => RecordKind::TransferEnded {
                number,
                result: result.to_owned(),
                answered_target: answered_target.map(String::from),
                at,
            },
            JournalEntry::CallbackRequested {
                line,
                caller_number,
                topic,
                organisation,
                at,
            } => RecordKind::CallbackRequested {
                line: line.0,
                caller_number,
                topic: topic.map(|t| t.0),
                organisation: organisation.map(|o| o.0),
                at,
            },
            JournalEntry::RecordingStarted { name, at } => {
                RecordKind::RecordingStarted { name, at }
            }
            JournalEntry::Ended { outcome, at } => RecordKind::Ended {
                outcome: outcome.as_str().to_owned(),
                at,
            },
        };
        Self {
            call_key: call_key.to_owned(),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record is logged whole when it can be neither written nor spooled: the
    /// caller's number shows redacted there, and whole in the spool and database.
    #[test]
    fn a_logged_record_hides_the_number_the_spool_keeps() {
        let record = JournalRecord {
            call_key: "1700000000.1".to_owned(),
            kind: RecordKind::Started {
                via: Via::Ari,
                node: None,
                line: "122".to_owned(),
                caller_number: "79021234567".into(),
                at: "2026-12-05T10:00:00Z".parse().unwrap(),
            },
        };
        let logged = format!("{record:?}");
        assert!(!logged.contains("790212345"), "{logged}");
        assert!(logged.contains("***67"), "{logged}");
        let spooled = serde_json::to_string(&record).unwrap();
        assert!(
            spooled.contains(r#""caller_number":"79021234567""#),
            "{spooled}"
        );
        assert_eq!(
            serde_json::from_str::<JournalRecord>(&spooled).unwrap(),
            record
        );
    }
}
