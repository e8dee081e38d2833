//! The policy's answer: [`Decision`] (mode, candidates, fallback) and its [`Reason`],
//! kept as facts and put into words only when read; the decision's JSON shape and its
//! text for a terminal ([`Decision::render_text`]).

use std::fmt::{self, Write as _};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::calendar::ProductionCalendar;
use super::candidates::{earliest_opening, organisation_statuses};
use super::explain;
use super::index::TopicRoster;
use super::model::{
    DialTarget, HuntStrategy, Line, LineNumber, Organisation, ResponsibleStaff, Specialist,
    StaffId, Topic, TopicCode, TopicRouting,
};

/// Which rule decided the call. Only `automatic` dials staff directly; in every other
/// mode a specialist answers (and in `manual` transfers to a candidate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionMode {
    /// Working hours; the service dials the candidates itself.
    Automatic,
    /// Working hours; a specialist answers and transfers to a candidate by hand.
    Manual,
    /// No organisation covering the topic is open; specialists take the call.
    AfterHours,
    /// The digit is not on the line's menu.
    InvalidDigit,
    /// The caller chose nothing.
    NoInput,
    /// The line is not in the directory.
    UnknownLine,
    /// The topic is not in the directory.
    UnknownTopic,
    /// The menu item asks for a specialist directly.
    SpecialistRequested,
    /// The topic has no responsible agency: specialists handle it themselves.
    SpecialistTopic,
    /// An organisation is open, but none of its staff on the topic is reachable
    /// (absent, inactive), or nobody covers the topic at all.
    NobodyReachable,
}

impl DecisionMode {
    /// The snake_case name used in JSON, logs and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automatic => "automatic",
            Self::Manual => "manual",
            Self::AfterHours => "after_hours",
            Self::InvalidDigit => "invalid_digit",
            Self::NoInput => "no_input",
            Self::UnknownLine => "unknown_line",
            Self::UnknownTopic => "unknown_topic",
            Self::SpecialistRequested => "specialist_requested",
            Self::SpecialistTopic => "specialist_topic",
            Self::NobodyReachable => "nobody_reachable",
        }
    }
}

impl fmt::Display for DecisionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the policy decided as it did: the rule that fired and what it fired on, put
/// into words in Russian (for specialists and roster editors) and English (for logs
/// and support) when asked for ([`Reason::texts`]).
///
/// The words are written later, not by [`decide`]: a call's decision sits between the
/// caller's key press and the first staff phone ringing, while its wording is read by
/// the journal and the screens afterwards. Keeping the facts costs a few shared
/// pointers; the text (and, after hours, the search for the next opening) costs more
/// than the decision itself. The text is the same whenever it is written: it
/// depends only on the snapshot the decision was made on and the instant.
///
/// [`decide`]: super::decide
#[derive(Clone)]
pub struct Reason {
    pub(super) why: Why,
    /// No specialist is active: every reason then ends with a warning.
    pub(super) no_specialist: bool,
}

/// A [`Reason`] in words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonText {
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

/// `Russian / English`: the reason as the journal keeps it.
impl fmt::Display for ReasonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.ru, self.en)
    }
}

/// The facts behind a [`Reason`], shared with the snapshot.
#[derive(Clone)]
pub(super) enum Why {
    UnknownLine(LineNumber),
    NoInput(Arc<Line>),
    InvalidDigit(Arc<Line>, char),
    SpecialistRequested(Arc<Line>, char),
    UnknownTopic(TopicCode),
    SpecialistTopic(Arc<Topic>),
    NobodyCovers(Arc<Topic>),
    /// Rules 4-6: the organisations' hours at the instant, looked up again when the
    /// reason is written.
    Hours {
        roster: Arc<TopicRoster>,
        calendar: Arc<ProductionCalendar>,
        at: DateTime<Utc>,
        outcome: HoursOutcome,
    },
}

/// What the hours of a topic's organisations led to.
#[derive(Clone, Copy)]
pub(super) enum HoursOutcome {
    /// Candidates were found, the first in this organisation of the roster.
    ToStaff {
        first_organisation: usize,
        routing: TopicRouting,
        listed: Listed,
    },
    /// Nobody covering the topic is open.
    AfterHours,
    /// This organisation of the roster is open, but nobody in any open one is
    /// reachable.
    NobodyReachable { open: usize },
}

impl Reason {
    /// The reason in both languages.
    pub fn texts(&self) -> ReasonText {
        let mut text = match &self.why {
            Why::UnknownLine(line) => explain::unknown_line(line),
            Why::NoInput(line) => explain::no_input(line),
            Why::InvalidDigit(line, digit) => explain::invalid_digit(line, *digit),
            Why::SpecialistRequested(line, digit) => match line.menu.get(digit) {
                Some(item) => explain::specialist_requested(line, item),
                None => explain::invalid_digit(line, *digit),
            },
            Why::UnknownTopic(code) => explain::unknown_topic(code),
            Why::SpecialistTopic(topic) => explain::specialist_topic(topic),
            Why::NobodyCovers(topic) => explain::nobody_covers(topic),
            Why::Hours {
                roster,
                calendar,
                at,
                outcome,
            } => {
                let statuses = organisation_statuses(calendar, roster, *at);
                match *outcome {
                    HoursOutcome::ToStaff {
                        first_organisation,
                        routing,
                        listed,
                    } => {
                        let status = &statuses[first_organisation];
                        let hours = explain::Hours { roster, calendar };
                        explain::to_staff(hours, first_organisation, status, routing, listed)
                    }
                    HoursOutcome::AfterHours => {
                        let opening = earliest_opening(calendar, roster, *at);
                        explain::after_hours(
                            explain::Hours { roster, calendar },
                            &statuses,
                            opening,
                        )
                    }
                    HoursOutcome::NobodyReachable { open } => explain::nobody_reachable(
                        explain::Hours { roster, calendar },
                        &statuses,
                        open,
                    ),
                }
            }
        };
        if self.no_specialist {
            text.ru
                .push_str(" ВНИМАНИЕ: нет ни одного активного специалиста.");
            text.en.push_str(" WARNING: there is no active specialist.");
        }
        text
    }

    /// The reason in Russian.
    pub fn ru(&self) -> String {
        self.texts().ru
    }

    /// The reason in English.
    pub fn en(&self) -> String {
        self.texts().en
    }
}

/// Reasons are equal when they say the same.
impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        self.texts() == other.texts()
    }
}

/// Shown as its words: the facts behind them would print a whole roster.
impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.texts().fmt(f)
    }
}

/// `{"ru": ..., "en": ...}`.
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.texts().serialize(serializer)
    }
}

/// How many candidates a decision lists, and whether more were reachable.
#[derive(Clone, Copy)]
pub(super) struct Listed {
    pub(super) count: usize,
    pub(super) more: bool,
}

/// The policy's answer: whom to ring, how, and why.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Which rule fired.
    pub mode: DecisionMode,
    /// The line of the request.
    pub line: LineNumber,
    /// The topic, once one was chosen and found.
    pub topic: Option<Arc<Topic>>,
    /// Staff to ring (or for a specialist to transfer to), in order; empty unless
    /// the mode is `automatic` or `manual`.
    pub candidates: Candidates,
    /// How to ring the candidates; `None` when there are none.
    pub strategy: Option<HuntStrategy>,
    /// How long each attempt rings, in seconds; `None` when there are no candidates.
    pub attempt_timeout_seconds: Option<u32>,
    /// The active specialists by id: who takes the call if no candidate answers, or
    /// at once in the modes without candidates. Shared with the snapshot.
    pub fallback: Arc<[Specialist]>,
    /// Which rule fired, in words.
    pub reason: Reason,
    /// The instant decided for.
    pub at: DateTime<Utc>,
}

/// The ordered candidates of a decision: positions in the topic's pre-sorted roster,
/// which the decision shares with the snapshot, so that listing a few hundred staff
/// copies a few hundred integers and bumps no reference counts.
#[derive(Clone, Default)]
pub struct Candidates {
    /// The topic's roster; `None` when there are no candidates.
    pub(super) roster: Option<Arc<TopicRoster>>,
    /// Positions in `roster.staff`, in ringing order.
    pub(super) picks: Vec<u32>,
    /// More staff were reachable than the decision lists (see [`MAX_CANDIDATES`]).
    ///
    /// [`MAX_CANDIDATES`]: super::MAX_CANDIDATES
    pub(super) more: bool,
}

/// One candidate, borrowed from the decision.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// The person (clone the `Arc` to keep it beyond the decision).
    pub staff: &'a Arc<ResponsibleStaff>,
    /// Their organisation, the one whose hours made them a candidate.
    pub organisation: &'a Arc<Organisation>,
}

impl<'a> Candidate<'a> {
    /// Where to ring them.
    pub fn endpoint(&self) -> &'a DialTarget {
        &self.staff.endpoint
    }
}

impl Candidates {
    /// How many.
    pub fn len(&self) -> usize {
        self.picks.len()
    }

    /// True when nobody is to be rung.
    pub fn is_empty(&self) -> bool {
        self.picks.is_empty()
    }

    /// True when more staff were reachable than listed: the list stopped at the
    /// decision's limit.
    pub fn more_reachable(&self) -> bool {
        self.more
    }

    /// The candidate at a position of the ringing order.
    pub fn get(&self, position: usize) -> Option<Candidate<'_>> {
        let roster = self.roster.as_ref()?;
        let entry = &roster.staff[*self.picks.get(position)? as usize];
        Some(Candidate {
            staff: &entry.staff,
            organisation: &roster.organisations[entry.organisation].organisation,
        })
    }

    /// In ringing order.
    pub fn iter(&self) -> impl Iterator<Item = Candidate<'_>> + '_ {
        (0..self.picks.len()).filter_map(|position| self.get(position))
    }
}

impl fmt::Debug for Candidates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|c| (c.staff.id, &c.staff.full_name)))
            .finish()
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Decision", 12)?;
        out.serialize_field("mode", &self.mode)?;
        out.serialize_field("line", &self.line)?;
        out.serialize_field("topic", &self.topic.as_deref().map(TopicJson::from))?;
        out.serialize_field("candidates", &self.candidates)?;
        out.serialize_field("more_candidates", &self.candidates.more_reachable())?;
        out.serialize_field("strategy", &self.strategy)?;
        out.serialize_field("attempt_timeout_seconds", &self.attempt_timeout_seconds)?;
        let endpoints: Vec<&str> = self.fallback.iter().map(|s| s.endpoint.as_str()).collect();
        out.serialize_field("fallback", &endpoints)?;
        let specialists: Vec<SpecialistJson<'_>> =
            self.fallback.iter().map(SpecialistJson::from).collect();
        out.serialize_field("fallback_specialists", &specialists)?;
        out.serialize_field("reason", &self.reason)?;
        out.serialize_field("at", &self.at)?;
        out.end()
    }
}

/// `[{id, name, position, organisation, organisation_name, endpoint}, ...]`.
impl Serialize for Candidates {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(CandidateJson::from))
    }
}

#[derive(Serialize)]
struct TopicJson<'a> {
    code: &'a TopicCode,
    name_ru: &'a str,
    name_en: &'a str,
}

impl<'a> From<&'a Topic> for TopicJson<'a> {
    fn from(topic: &'a Topic) -> Self {
        Self {
            code: &topic.code,
            name_ru: &topic.name_ru,
            name_en: &topic.name_en,
        }
    }
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    id: StaffId,
    name: &'a str,
    position: &'a str,
    organisation: &'a str,
    organisation_name: &'a str,
    endpoint: &'a str,
}

impl<'a> From<Candidate<'a>> for CandidateJson<'a> {
    fn from(candidate: Candidate<'a>) -> Self {
        Self {
            id: candidate.staff.id,
            name: &candidate.staff.full_name,
            position: &candidate.staff.position,
            organisation: &candidate.organisation.code.0,
            organisation_name: &candidate.organisation.name,
            endpoint: candidate.staff.endpoint.as_str(),
        }
    }
}

#[derive(Serialize)]
struct SpecialistJson<'a> {
    id: i64,
    name: &'a str,
    endpoint: &'a str,
}

impl<'a> From<&'a Specialist> for SpecialistJson<'a> {
    fn from(specialist: &'a Specialist) -> Self {
        Self {
            id: specialist.id.0,
            name: &specialist.full_name,
            endpoint: specialist.endpoint.as_str(),
        }
    }
}

impl Decision {
    /// The decision for people at a terminal (`hotline route` without `--json`): the
    /// mode, the reason in both languages, one candidate per line, the fallback.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) -> fmt::Result {
        write!(out, "{} — line {}", self.mode, self.line)?;
        match &self.topic {
            Some(topic) => writeln!(
                out,
                ", topic {} («{}» / {})",
                topic.code, topic.name_ru, topic.name_en
            )?,
            None => writeln!(out)?,
        }
        writeln!(out, "at {}", self.at.to_rfc3339())?;
        if let (Some(strategy), Some(timeout)) = (self.strategy, self.attempt_timeout_seconds) {
            let strategy = explain::strategy_en(strategy);
            writeln!(out, "strategy: {strategy}, {timeout} s per attempt")?;
        }
        let reason = self.reason.texts();
        writeln!(out, "ru: {}", reason.ru)?;
        writeln!(out, "en: {}", reason.en)?;
        if self.candidates.is_empty() {
            writeln!(out, "candidates: none")?;
        } else {
            let more = if self.candidates.more_reachable() {
                ", more are reachable"
            } else {
                ""
            };
            writeln!(out, "candidates ({}{more}):", self.candidates.len())?;
        }
        for (number, candidate) in self.candidates.iter().enumerate() {
            let staff = candidate.staff;
            write!(out, "  {}. {}", number + 1, staff.full_name)?;
            if !staff.position.is_empty() {
                write!(out, ", {}", staff.position)?;
            }
            let org = candidate.organisation;
            writeln!(out, " — {} ({}) — {}", org.name, org.code, staff.endpoint)?;
        }
        if self.fallback.is_empty() {
            writeln!(out, "fallback: none (no active specialist)")?;
        } else {
            let endpoints: Vec<&str> = self.fallback.iter().map(|s| s.endpoint.as_str()).collect();
            writeln!(out, "fallback: {}", endpoints.join(", "))?;
        }
        Ok(())
    }
}
