//! What the journal is told about a call: its facts, who was called, how attempts and
//! the call ended, and the words the journal stores for them.

use chrono::{DateTime, Utc};

use super::ChannelId;
use crate::pii::Pii;
use crate::routing::{
    DecisionMode, DialTarget, LineNumber, OrganisationCode, SpecialistId, StaffId, TopicCode,
};

/// A fact about the call for the journal; the journal adapter turns them into rows.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum JournalEntry {
    /// The call entered the service.
    Started {
        /// The line called.
        line: LineNumber,
        /// The citizen's number.
        caller_number: Pii<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The routing decision taken.
    Routed {
        /// Topic code, if a topic was chosen.
        topic: Option<TopicCode>,
        /// Mode word (`automatic`, `after_hours`, ...).
        mode: DecisionMode,
        /// The reason in Russian and English, joined for the journal.
        reason: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// A dial attempt started.
    AttemptStarted {
        /// The leg's channel id (also the attempt's key).
        leg: ChannelId,
        /// Who is called.
        callee: Callee,
        /// Where.
        target: DialTarget,
        /// When.
        at: DateTime<Utc>,
    },
    /// A dial attempt ended.
    AttemptEnded {
        /// The leg's channel id.
        leg: ChannelId,
        /// How it ended.
        result: AttemptResult,
        /// When.
        at: DateTime<Utc>,
    },
    /// A specialist started a transfer.
    TransferStarted {
        /// 1, 2, ... within the call.
        number: u32,
        /// Console or phone.
        origin: TransferOrigin,
        /// The topic transferred to.
        topic: TopicCode,
        /// The specialist's phone.
        from_target: Option<DialTarget>,
        /// The console user who asked, if any.
        console_user: Option<i64>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A transfer ended: answered (the caller talks to staff), failed (the caller is
    /// back with the specialist or waits again) or abandoned (the caller left).
    TransferEnded {
        /// Its number within the call.
        number: u32,
        /// `answered`, `failed`, `abandoned`.
        result: &'static str,
        /// The staff member's phone that answered.
        answered_target: Option<DialTarget>,
        /// When.
        at: DateTime<Utc>,
    },
    /// The caller started waiting in the specialists' queue.
    Queued {
        /// When.
        at: DateTime<Utc>,
    },
    /// The caller asked to be called back: an appeal is registered for the topic's
    /// organisation (or for the contact center when there is no topic).
    CallbackRequested {
        /// The line called.
        line: LineNumber,
        /// The citizen's number.
        caller_number: Pii<String>,
        /// The topic chosen, if any.
        topic: Option<TopicCode>,
        /// The topic's responsible agency, if any.
        organisation: Option<OrganisationCode>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A callee answered and was bridged with the caller.
    Answered {
        /// The leg that answered.
        leg: ChannelId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Recording of the conversation started, under this stored recording name.
    RecordingStarted {
        /// The stored recording's name, `folder/call_key`.
        name: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The call is over.
    Ended {
        /// How it ended.
        outcome: CallOutcome,
        /// When.
        at: DateTime<Utc>,
    },
}

/// Who a dial leg is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A responsible staff member of an organisation.
    Staff {
        /// Their id in the directory.
        id: StaffId,
        /// Their name, for the journal.
        name: String,
    },
    /// A contact-center specialist.
    Specialist {
        /// Their id in the directory (the queue reports about them).
        id: SpecialistId,
        /// Their name, for the journal.
        name: String,
    },
}

/// Why a dial leg did not connect, as the journal records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// The callee answered.
    Answered,
    /// The callee's phone was busy (486, cause 17).
    Busy,
    /// It rang until the attempt timeout.
    NoAnswer,
    /// The endpoint is not registered, does not exist or the network failed.
    Unavailable,
    /// We hung it up: another callee answered, or the caller left.
    Cancelled,
    /// The callee declined (603) or another failure.
    Failed,
}

impl AttemptResult {
    /// The word stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::Unavailable => "unavailable",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }
}

/// How a call ended, as the journal records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Bridged with a responsible staff member.
    AnsweredByStaff,
    /// Bridged with a contact-center specialist.
    AnsweredBySpecialist,
    /// The caller hung up before anyone answered.
    Abandoned,
    /// Nobody could take the call (or the service could not place it).
    Failed,
    /// Given back to the dialplan (the service was shutting down), whose fallback
    /// rings the specialists.
    HandedToDialplan,
    /// The caller left a callback request while waiting for a specialist.
    CallbackRequested,
}

impl CallOutcome {
    /// The word stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnsweredByStaff => "answered_by_staff",
            Self::AnsweredBySpecialist => "answered_by_specialist",
            Self::Abandoned => "abandoned",
            Self::Failed => "failed",
            Self::HandedToDialplan => "handed_to_dialplan",
            Self::CallbackRequested => "callback_requested",
        }
    }
}

/// Where a transfer request came from, as the journal records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferOrigin {
    /// The specialist's console (`POST /api/calls/{call}/transfer`).
    Console,
    /// The specialist's phone keypad: the `*1` feature code.
    FeatureCode,
    /// The specialist's phone's own transfer button (SIP REFER, handed to the app by
    /// `PJSIP_TRANSFER_HANDLING(ari-only)`).
    Refer,
}

impl TransferOrigin {
    /// The word stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::FeatureCode => "feature_code",
            Self::Refer => "refer",
        }
    }
}
