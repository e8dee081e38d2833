//! The directory as the routing policy sees it: an immutable, validated snapshot.
//!
//! The Postgres adapter (`crate::directory`) builds a [`DirectorySnapshot`] from the
//! tables and swaps it in whole; everything here is plain data, so the policy can be
//! unit-tested with hand-built snapshots and needs no database.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use super::calendar::{CalendarDay, ProductionCalendar, RegionalDayOff};

/// A short number citizens call ("122", "117"). Kept as text: it is a dialled string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineNumber(pub String);

impl fmt::Display for LineNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A readable organisation code ("minzdrav"), the key roster editors type in SQL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrganisationCode(pub String);

impl fmt::Display for OrganisationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A readable topic code ("health", "displaced_support").
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicCode(pub String);

impl fmt::Display for TopicCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Database id of a responsible staff member; stable across snapshot reloads, so the
/// journal and the least-recently-called order can refer to a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StaffId(pub i64);

/// Database id of a contact-center specialist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpecialistId(pub i64);

/// Just the number, as in the database and in roster messages ("staff #12").
impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Just the number, as in the database and in roster messages ("specialist #3").
impl fmt::Display for SpecialistId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A validated Asterisk dial target such as `PJSIP/staff01`: one channel, nothing that
/// could add a second destination or a dialplan function. Only [`DialTarget::parse`]
/// makes one, so holding a `DialTarget` proves it is safe to put in a `Dial()` string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DialTarget(String);

/// Why a dial target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "dial target {target:?} is not a single safe channel (expected e.g. PJSIP/name, PJSIP/name@host or Local/ext@context)"
)]
pub struct InvalidDialTarget {
    /// The refused text, for the error message.
    pub target: String,
}

impl DialTarget {
    /// Accepts `TECH/resource[@host]` with TECH one of PJSIP, IAX2, Local and the
    /// resource and host made of `[A-Za-z0-9_.+-]` (1..=64 each): the same rule as the
    /// `is_safe_dial_target` SQL function, so a row that slipped past the database is
    /// still refused on load.
    pub fn parse(text: &str) -> Result<Self, InvalidDialTarget> {
        let refuse = || InvalidDialTarget {
            target: text.to_owned(),
        };
        let (tech, rest) = text.split_once('/').ok_or_else(refuse)?;
        if !matches!(tech, "PJSIP" | "IAX2" | "Local") {
            return Err(refuse());
        }
        let (resource, host) = match rest.split_once('@') {
            Some((resource, host)) => (resource, Some(host)),
            None => (rest, None),
        };
        let part_ok = |part: &str| {
            (1..=64).contains(&part.len())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'))
        };
        if part_ok(resource) && host.is_none_or(part_ok) {
            Ok(Self(text.to_owned()))
        } else {
            Err(refuse())
        }
    }

    /// The target as Asterisk expects it in `Dial()` or `POST /channels`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DialTarget {
    type Error = InvalidDialTarget;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DialTarget> for String {
    fn from(value: DialTarget) -> Self {
        value.0
    }
}

impl fmt::Display for DialTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a topic's call reaches the responsible staff during working hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferMode {
    /// The service dials the responsible staff itself.
    Automatic,
    /// A contact-center specialist answers and transfers the call by hand.
    Manual,
}

/// In which order the candidates of one decision are rung.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HuntStrategy {
    /// One after another by priority, each for the attempt timeout.
    Sequential,
    /// Everyone at once; the first to answer wins.
    RingAll,
    /// One after another, the one called longest ago (or never) first.
    LeastRecent,
}

/// What sort of body an organisation is; institutions hang under an agency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// A regional executive body (ministry, service, inspectorate).
    RegionalAgency,
    /// A municipal government body cooperating under the same rules.
    MunicipalBody,
    /// An organisation subordinate to an agency (hospital, social centre).
    Institution,
}

/// One working interval of a day, `opens` inclusive, `closes` exclusive.
/// `closes == None` means "until midnight" (24:00, which `NaiveTime` cannot hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// First instant of the interval (local time).
    pub opens: NaiveTime,
    /// First instant after the interval (local time); `None` = end of the day.
    pub closes: Option<NaiveTime>,
}

/// Regular weekly hours: for each ISO weekday (index 0 = Monday) its intervals, sorted
/// and non-overlapping (the database refuses overlaps; the loader sorts).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    /// `days[0]` is Monday, `days[6]` Sunday.
    pub days: [Vec<Interval>; 7],
}

/// A dated exception for one organisation: replaces that day's hours entirely.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScheduleOverride {
    /// Closed the whole day.
    Closed {
        /// Why, for the decision's reason ("санитарный день").
        note: String,
    },
    /// Open only in these intervals (special duty hours), sorted.
    Hours {
        /// The intervals of that day.
        intervals: Vec<Interval>,
        /// Why, for the decision's reason.
        note: String,
    },
}

/// An agency, municipal body or institution, with its own hours and time zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    /// Readable key.
    pub code: OrganisationCode,
    /// Official name (Russian), shown to specialists and in reasons.
    pub name: String,
    /// Agency, municipal body or institution.
    pub kind: OrganisationKind,
    /// The agency an institution is subordinate to.
    pub parent: Option<OrganisationCode>,
    /// Where its hours and holidays are read; Asia/Irkutsk unless set.
    #[serde(with = "time_zone_name")]
    pub time_zone: Tz,
    /// False for round-the-clock services that ignore the production calendar.
    pub follows_production_calendar: bool,
    /// Regular weekly hours.
    pub weekly_hours: WeeklyHours,
    /// Dated exceptions by local date.
    pub overrides: BTreeMap<NaiveDate, ScheduleOverride>,
}

/// A time zone as its IANA name ("Asia/Irkutsk"), the form the database and roster
/// editors use. (chrono-tz's own serde support is an optional feature we do without.)
mod time_zone_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(zone: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(zone.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(D::Error::custom)
    }
}

/// Settings of a topic for one organisation (or the topic's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRouting {
    /// Automatic or manual transfer.
    pub transfer_mode: TransferMode,
    /// Order of ringing.
    pub strategy: HuntStrategy,
    /// How long each dial attempt rings before the next, in seconds.
    pub attempt_timeout_seconds: u32,
}

/// What a caller asks about, and who answers for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    /// Readable key.
    pub code: TopicCode,
    /// Name in Russian, for screens and reasons.
    pub name_ru: String,
    /// Name in English, for logs and reasons.
    pub name_en: String,
    /// Agency answerable for the topic; `None` = specialists handle it themselves.
    pub agency: Option<OrganisationCode>,
    /// Defaults for every organisation.
    pub defaults: TopicRouting,
    /// Per-organisation settings: order (lower first) and overrides of the defaults.
    /// Organisations not listed come after, in code order, with the defaults.
    pub organisations: Vec<TopicOrganisation>,
}

/// A topic's settings for one organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicOrganisation {
    /// Which organisation.
    pub organisation: OrganisationCode,
    /// Order among organisations for this topic, lower first.
    pub priority: i32,
    /// The effective settings (defaults with this row's overrides applied).
    pub routing: TopicRouting,
}

/// One entry of a line's menu.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuItem {
    /// The DTMF digit: '0'..='9', '*' or '#'.
    pub digit: char,
    /// The topic it selects; `None` asks for a specialist directly.
    pub topic: Option<TopicCode>,
    /// What the menu says for it (Russian), for operator screens.
    pub label_ru: String,
}

/// A line with its own menu.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The short number.
    pub number: LineNumber,
    /// Display name.
    pub name: String,
    /// Sound name of the greeting + menu prompt (e.g. `hotline/menu-122`).
    pub menu_prompt: String,
    /// Sound name of the greeting played once before the first menu, if any.
    pub greeting_prompt: Option<String>,
    /// Seconds to wait for a digit after the menu.
    pub digit_timeout_seconds: u32,
    /// How many times the menu is offered before specialists take the call.
    pub menu_attempts: u32,
    /// Menu entries by digit.
    pub menu: BTreeMap<char, MenuItem>,
}

/// An absence period, whole local days inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    /// First day away.
    pub first_day: NaiveDate,
    /// Last day away (inclusive).
    pub last_day: NaiveDate,
    /// Leave, sick, trip... for reasons.
    pub reason: String,
}

/// A person named as responsible for prompt assistance on some topics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponsibleStaff {
    /// Stable id.
    pub id: StaffId,
    /// Full name (Russian), shown to specialists and in the journal.
    pub full_name: String,
    /// Job title.
    pub position: String,
    /// Where they work; their organisation's hours decide when they take calls.
    pub organisation: OrganisationCode,
    /// Their phone.
    pub endpoint: DialTarget,
    /// Lower is called first within the organisation.
    pub priority: i32,
    /// False = temporarily removed from rosters without deleting them.
    pub active: bool,
    /// Topics they cover.
    pub topics: Vec<TopicCode>,
    /// Leave and sick days, sorted by first day.
    pub absences: Vec<Absence>,
}

/// A contact-center specialist (operator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Specialist {
    /// Stable id.
    pub id: SpecialistId,
    /// Full name.
    pub full_name: String,
    /// Their phone.
    pub endpoint: DialTarget,
    /// False = not rung.
    pub active: bool,
}

/// Everything the routing policy needs, loaded and validated as one consistent whole.
/// Shared behind an `Arc` and replaced whole on every directory change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectorySnapshot {
    /// Lines by number.
    pub lines: BTreeMap<LineNumber, Line>,
    /// Topics by code.
    pub topics: HashMap<TopicCode, Topic>,
    /// Organisations by code.
    pub organisations: HashMap<OrganisationCode, Arc<Organisation>>,
    /// The shared production calendar.
    pub calendar: ProductionCalendar,
    /// All responsible staff (active or not), by id order.
    pub staff: Vec<Arc<ResponsibleStaff>>,
    /// All specialists (active or not), by id order.
    pub specialists: Vec<Specialist>,
    /// Lookup tables derived from the fields above by [`DirectorySnapshot::validated`],
    /// so that a decision neither sorts nor searches. Leave it `Default::default()`
    /// when building a snapshot; it is stale if the fields above change afterwards
    /// (call `validated()` again). Not serialised; ignored by `==`.
    #[serde(skip)]
    pub index: Arc<RoutingIndex>,
}

// ---------------------------------------------------------------------------------
// Validation: every cross-reference checked, every problem named by its row.
// ---------------------------------------------------------------------------------

/// Which day's hours an interval problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoursDay {
    /// The regular weekly hours of a weekday.
    Weekly(Weekday),
    /// A dated override.
    Override(NaiveDate),
}

impl fmt::Display for HoursDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Weekly(weekday) => write!(f, "weekly hours of {weekday}"),
            Self::Override(date) => write!(f, "override of {date}"),
        }
    }
}

/// One thing wrong with a snapshot, naming the row so a roster editor can find it.
/// Most cannot happen with rows from the database (its constraints refuse them); they
/// are checked again because a snapshot may also be built by hand, and a wrong one
/// must never replace a good one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotProblem {
    /// A map holds a row under another key than the row's own, so lookups would miss it.
    #[error("{table} `{row}` is stored under the key `{key}`")]
    KeyMismatch {
        /// Which map ("line", "topic", "organisation", "menu of line 122").
        table: String,
        /// The row's own key.
        row: String,
        /// The key it is stored under.
        key: String,
    },
    /// A menu entry cannot be dialled.
    #[error("line {line}: menu digit {digit:?} is not a DTMF key (0-9, *, #)")]
    MenuDigitNotDtmf {
        /// The line.
        line: LineNumber,
        /// The entry's digit.
        digit: char,
    },
    /// A menu entry leads to a topic the directory does not have.
    #[error("line {line}: digit {digit} leads to unknown topic `{topic}`")]
    MenuUnknownTopic {
        /// The line.
        line: LineNumber,
        /// The entry's digit.
        digit: char,
        /// The missing topic.
        topic: TopicCode,
    },
    /// A line's digit timeout or menu attempts is zero: the menu could never be answered.
    #[error("line {line}: {setting} must be at least 1")]
    LineSettingZero {
        /// The line.
        line: LineNumber,
        /// Which setting.
        setting: &'static str,
    },
    /// A topic names a responsible agency that does not exist.
    #[error("topic `{topic}`: responsible agency `{agency}` does not exist")]
    TopicUnknownAgency {
        /// The topic.
        topic: TopicCode,
        /// The missing agency.
        agency: OrganisationCode,
    },
    /// A topic names an institution as its responsible agency.
    #[error(
        "topic `{topic}`: responsible agency `{agency}` is an institution; name its agency instead"
    )]
    TopicAgencyIsInstitution {
        /// The topic.
        topic: TopicCode,
        /// The institution named.
        agency: OrganisationCode,
    },
    /// A topic's organisation order names an organisation that does not exist.
    #[error("topic `{topic}`: organisation `{organisation}` in its order does not exist")]
    TopicUnknownOrganisation {
        /// The topic.
        topic: TopicCode,
        /// The missing organisation.
        organisation: OrganisationCode,
    },
    /// A topic's organisation order lists an organisation twice.
    #[error("topic `{topic}`: organisation `{organisation}` is listed twice in its order")]
    TopicOrganisationTwice {
        /// The topic.
        topic: TopicCode,
        /// The organisation listed twice.
        organisation: OrganisationCode,
    },
    /// A dial attempt of zero seconds would never ring anyone.
    #[error("topic `{topic}`{}: attempt timeout must be at least 1 second", for_organisation(.organisation.as_ref()))]
    ZeroAttemptTimeout {
        /// The topic.
        topic: TopicCode,
        /// The organisation whose setting it is; `None` for the topic's defaults.
        organisation: Option<OrganisationCode>,
    },
    /// An institution without the agency it is subordinate to.
    #[error("organisation `{organisation}`: an institution needs a parent agency")]
    InstitutionWithoutParent {
        /// The institution.
        organisation: OrganisationCode,
    },
    /// An agency or municipal body with a parent.
    #[error(
        "organisation `{organisation}`: only institutions have a parent, but it names `{parent}`"
    )]
    ParentOfNonInstitution {
        /// The organisation.
        organisation: OrganisationCode,
        /// The parent it names.
        parent: OrganisationCode,
    },
    /// An institution whose parent does not exist.
    #[error("organisation `{organisation}`: parent `{parent}` does not exist")]
    UnknownParent {
        /// The institution.
        organisation: OrganisationCode,
        /// The missing parent.
        parent: OrganisationCode,
    },
    /// An institution subordinate to another institution.
    #[error(
        "organisation `{organisation}`: parent `{parent}` is an institution; institutions hang under an agency or a municipal body"
    )]
    ParentIsInstitution {
        /// The institution.
        organisation: OrganisationCode,
        /// Its parent, itself an institution.
        parent: OrganisationCode,
    },
    /// A working interval that closes before (or when) it opens.
    #[error("organisation `{organisation}`, {day}: interval {interval} closes before it opens")]
    IntervalInverted {
        /// The organisation.
        organisation: OrganisationCode,
        /// Which day's hours.
        day: HoursDay,
        /// The interval.
        interval: Interval,
    },
    /// Intervals of a day out of order or overlapping.
    #[error(
        "organisation `{organisation}`, {day}: interval {interval} overlaps or comes before {previous}; intervals must be sorted and must not overlap"
    )]
    IntervalsOverlap {
        /// The organisation.
        organisation: OrganisationCode,
        /// Which day's hours.
        day: HoursDay,
        /// The interval listed before.
        previous: Interval,
        /// The offending interval.
        interval: Interval,
    },
    /// A transferred working day that names no real weekday.
    #[error(
        "production calendar {date}: working day takes the hours of weekday {weekday}; expected 1 (Monday) to 7 (Sunday)"
    )]
    CalendarWeekdayOutOfRange {
        /// The calendar day.
        date: NaiveDate,
        /// The number given.
        weekday: u8,
    },
    /// A staff member of an organisation that does not exist.
    #[error("staff #{id} ({name}): unknown organisation `{organisation}`")]
    StaffUnknownOrganisation {
        /// The staff member.
        id: StaffId,
        /// Their name, so the editor recognises the row.
        name: String,
        /// The missing organisation.
        organisation: OrganisationCode,
    },
    /// A staff member covering a topic that does not exist.
    #[error("staff #{id} ({name}): unknown topic `{topic}`")]
    StaffUnknownTopic {
        /// The staff member.
        id: StaffId,
        /// Their name.
        name: String,
        /// The missing topic.
        topic: TopicCode,
    },
    /// An absence that ends before it starts.
    #[error("staff #{id} ({name}): absence {first_day} to {last_day} ends before it starts")]
    AbsenceInverted {
        /// The staff member.
        id: StaffId,
        /// Their name.
        name: String,
        /// First day given.
        first_day: NaiveDate,
        /// Last day given.
        last_day: NaiveDate,
    },
    /// Two staff rows with one id: the journal and recency could not tell them apart.
    #[error("staff #{id} ({name}): id used by more than one staff row")]
    DuplicateStaff {
        /// The repeated id.
        id: StaffId,
        /// The name of the second row with it.
        name: String,
    },
    /// Two specialist rows with one id.
    #[error("specialist #{id} ({name}): id used by more than one specialist row")]
    DuplicateSpecialist {
        /// The repeated id.
        id: SpecialistId,
        /// The name of the second row with it.
        name: String,
    },
}

fn for_organisation(organisation: Option<&OrganisationCode>) -> String {
    organisation.map_or_else(String::new, |code| format!(" for organisation `{code}`"))
}

/// A snapshot refused by [`DirectorySnapshot::validated`], with every problem found
/// (not just the first), so one reload tells the roster editor everything to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the directory has {} problem(s):{}", .problems.len(), ProblemList(.problems))]
pub struct SnapshotError {
    /// Every problem, in table order (lines, topics, organisations, calendar, staff,
    /// specialists).
    pub problems: Vec<SnapshotProblem>,
}

/// Lists problems one per line under the error's headline.
struct ProblemList<'a>(&'a [SnapshotProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl DirectorySnapshot {
    /// Checks every cross-reference and rule the policy relies on, collecting *all*
    /// problems, and builds [`DirectorySnapshot::index`]. The only way a snapshot should
    /// reach the policy: the Postgres loader and the tests both go through here.
    /// Also sorts staff and specialists by id, as the fields promise.
    pub fn validated(mut self) -> Result<Self, SnapshotError> {
        self.staff.sort_by_key(|staff| staff.id);
        self.specialists.sort_by_key(|specialist| specialist.id);
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(SnapshotError { problems });
        }
        self.index = Arc::new(RoutingIndex::build(&self));
        Ok(self)
    }

    /// The index to route with: the one `validated()` built, or (for a snapshot that
    /// skipped validation) a fresh one, correct but rebuilt on every call.
    pub(crate) fn routing_index(&self) -> Cow<'_, RoutingIndex> {
        if self.index.built {
            Cow::Borrowed(&self.index)
        } else {
            Cow::Owned(RoutingIndex::build(self))
        }
    }

    fn problems(&self) -> Vec<SnapshotProblem> {
        let mut problems = Vec::new();
        self.check_lines(&mut problems);
        self.check_topics(&mut problems);
        self.check_organisations(&mut problems);
        self.check_calendar(&mut problems);
        self.check_staff(&mut problems);
        self.check_specialists(&mut problems);
        problems
    }

    fn check_lines(&self, problems: &mut Vec<SnapshotProblem>) {
        for (key, line) in &self.lines {
            if *key != line.number {
                problems.push(key_mismatch("line", &line.number, key));
            }
            for (setting, value) in [
                ("digit timeout", line.digit_timeout_seconds),
                ("menu attempts", line.menu_attempts),
            ] {
                if value == 0 {
                    problems.push(SnapshotProblem::LineSettingZero {
                        line: line.number.clone(),
                        setting,
                    });
                }
            }
            for (digit, item) in &line.menu {
                if *digit != item.digit {
                    let table = format!("menu of line {}", line.number);
                    problems.push(key_mismatch(&table, item.digit, digit));
                }
                if !matches!(item.digit, '0'..='9' | '*' | '#') {
                    problems.push(SnapshotProblem::MenuDigitNotDtmf {
                        line: line.number.clone(),
                        digit: item.digit,
                    });
                }
                if let Some(topic) = &item.topic
                    && !self.topics.contains_key(topic)
                {
                    problems.push(SnapshotProblem::MenuUnknownTopic {
                        line: line.number.clone(),
                        digit: item.digit,
                        topic: topic.clone(),
                    });
                }
            }
        }
    }

    fn check_topics(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut topics: Vec<&Topic> = self.topics.values().collect();
        topics.sort_by(|a, b| a.code.cmp(&b.code)); // stable message order
        for (key, topic) in self
            .topics
            .iter()
            .filter(|(key, topic)| **key != topic.code)
        {
            problems.push(key_mismatch("topic", &topic.code, key));
        }
        for topic in topics {
            let code = &topic.code;
            match topic
                .agency
                .as_ref()
                .map(|agency| (agency, self.organisations.get(agency)))
            {
                Some((agency, None)) => problems.push(SnapshotProblem::TopicUnknownAgency {
                    topic: code.clone(),
                    agency: agency.clone(),
                }),
                Some((agency, Some(org))) if org.kind == OrganisationKind::Institution => {
                    problems.push(SnapshotProblem::TopicAgencyIsInstitution {
                        topic: code.clone(),
                        agency: agency.clone(),
                    });
                }
                _ => {}
            }
            if topic.defaults.attempt_timeout_seconds == 0 {
                problems.push(SnapshotProblem::ZeroAttemptTimeout {
                    topic: code.clone(),
                    organisation: None,
                });
            }
            let mut seen = HashSet::new();
            for entry in &topic.organisations {
                let organisation = &entry.organisation;
                if !self.organisations.contains_key(organisation) {
                    problems.push(SnapshotProblem::TopicUnknownOrganisation {
                        topic: code.clone(),
                        organisation: organisation.clone(),
                    });
                }
                if !seen.insert(organisation) {
                    problems.push(SnapshotProblem::TopicOrganisationTwice {
                        topic: code.clone(),
                        organisation: organisation.clone(),
                    });
                }
                if entry.routing.attempt_timeout_seconds == 0 {
                    problems.push(SnapshotProblem::ZeroAttemptTimeout {
                        topic: code.clone(),
                        organisation: Some(organisation.clone()),
                    });
                }
            }
        }
    }

    fn check_organisations(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut organisations: Vec<(&OrganisationCode, &Arc<Organisation>)> =
            self.organisations.iter().collect();
        organisations.sort_by(|a, b| a.0.cmp(b.0));
        for (key, org) in organisations {
            let code = &org.code;
            if *key != *code {
                problems.push(key_mismatch("organisation", code, key));
            }
            match (&org.parent, org.kind) {
                (None, OrganisationKind::Institution) => {
                    problems.push(SnapshotProblem::InstitutionWithoutParent {
                        organisation: code.clone(),
                    });
                }
                (Some(parent), OrganisationKind::Institution) => {
                    match self.organisations.get(parent) {
                        None => problems.push(SnapshotProblem::UnknownParent {
                            organisation: code.clone(),
                            parent: parent.clone(),
                        }),
                        Some(p) if p.kind == OrganisationKind::Institution => {
                            problems.push(SnapshotProblem::ParentIsInstitution {
                                organisation: code.clone(),
                                parent: parent.clone(),
                            });
                        }
                        Some(_) => {}
                    }
                }
                (Some(parent), _) => problems.push(SnapshotProblem::ParentOfNonInstitution {
                    organisation: code.clone(),
                    parent: parent.clone(),
                }),
                (None, _) => {}
            }
            for (index, intervals) in org.weekly_hours.days.iter().enumerate() {
                let weekday = Weekday::try_from(index as u8).unwrap_or(Weekday::Mon);
                check_intervals(code, HoursDay::Weekly(weekday), intervals, problems);
            }
            for (date, day) in &org.overrides {
                if let ScheduleOverride::Hours { intervals, .. } = day {
                    check_intervals(code, HoursDay::Override(*date), intervals, problems);
                }
            }
        }
    }

    fn check_calendar(&self, problems: &mut Vec<SnapshotProblem>) {
        for (date, day) in &self.calendar.days {
            if let CalendarDay::Working {
                hours_of_weekday, ..
            } = day
                && !(1..=7).contains(hours_of_weekday)
            {
                problems.push(SnapshotProblem::CalendarWeekdayOutOfRange {
                    date: *date,
                    weekday: *hours_of_weekday,
                });
            }
        }
    }

    fn check_staff(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut ids = HashSet::new();
        for staff in &self.staff {
            let (id, name) = (staff.id, || staff.full_name.clone());
            if !ids.insert(id) {
                problems.push(SnapshotProblem::DuplicateStaff { id, name: name() });
            }
            if !self.organisations.contains_key(&staff.organisation) {
                problems.push(SnapshotProblem::StaffUnknownOrganisation {
                    id,
                    name: name(),
                    organisation: staff.organisation.clone(),
                });
            }
            for topic in staff
                .topics
                .iter()
                .filter(|t| !self.topics.contains_key(*t))
            {
                problems.push(SnapshotProblem::StaffUnknownTopic {
                    id,
                    name: name(),
                    topic: topic.clone(),
                });
            }
            for absence in staff.absences.iter().filter(|a| a.first_day > a.last_day) {
                problems.push(SnapshotProblem::AbsenceInverted {
                    id,
                    name: name(),
                    first_day: absence.first_day,
                    last_day: absence.last_day,
                });
            }
        }
    }

    fn check_specialists(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut ids = HashSet::new();
        for specialist in &self.specialists {
            if !ids.insert(specialist.id) {
                problems.push(SnapshotProblem::DuplicateSpecialist {
                    id: specialist.id,
                    name: specialist.full_name.clone(),
                });
            }
        }
    }
}

fn key_mismatch(table: &str, row: impl fmt::Display, key: impl fmt::Display) -> SnapshotProblem {
    SnapshotProblem::KeyMismatch {
        table: table.to_owned(),
        row: row.to_string(),
        key: key.to_string(),
    }
}

/// Each interval opens before it closes; each starts at or after the previous one's end.
fn check_intervals(
    organisation: &OrganisationCode,
    day: HoursDay,
    intervals: &[Interval],
    problems: &mut Vec<SnapshotProblem>,
) {
    let mut previous: Option<&Interval> = None;
    for interval in intervals {
        if interval
            .closes
            .is_some_and(|closes| closes <= interval.opens)
        {
            problems.push(SnapshotProblem::IntervalInverted {
                organisation: organisation.clone(),
                day,
                interval: *interval,
            });
        }
        if let Some(before) = previous
            && before.closes.is_none_or(|closes| closes > interval.opens)
        {
            problems.push(SnapshotProblem::IntervalsOverlap {
                organisation: organisation.clone(),
                day,
                previous: *before,
                interval: *interval,
            });
        }
        previous = Some(interval);
    }
}

// ---------------------------------------------------------------------------------
// The routing index: what a decision needs, sorted once per snapshot.
// ---------------------------------------------------------------------------------

/// Lookup tables derived from a snapshot so that a decision does no sorting, no
/// searching through all staff and (almost) no allocation: for each topic, the
/// organisations covering it in routing order and their staff in candidate order.
/// Built by [`DirectorySnapshot::validated`]; `Default` is the empty, unbuilt index.
#[derive(Clone, Default)]
pub struct RoutingIndex {
    /// False for the default value: the snapshot was not validated.
    built: bool,
    /// One roster per topic (also topics nobody covers, so they are not "unknown").
    pub(crate) rosters: HashMap<TopicCode, Arc<TopicRoster>>,
    /// The active specialists by id: every decision's fallback, shared, not copied.
    pub(crate) fallback: Arc<[Specialist]>,
    /// The lines again, each shared, so that a decision's reason can keep its line
    /// and be written later without copying the menu.
    pub(crate) lines: BTreeMap<LineNumber, Arc<Line>>,
    /// The production calendar again, shared for the same reason: a reason about
    /// hours is written from the calendar when asked for.
    pub(crate) calendar: Arc<ProductionCalendar>,
}

/// Derived data: two indexes of equal snapshots are equal, so it never decides `==`.
impl PartialEq for RoutingIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Summarised: the full tables would drown a snapshot's debug output.
impl fmt::Debug for RoutingIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoutingIndex")
            .field("built", &self.built)
            .field("topics", &self.rosters.len())
            .field("fallback", &self.fallback.len())
            .finish()
    }
}

/// Everything about one topic a decision needs, in routing order.
#[derive(Debug)]
pub(crate) struct TopicRoster {
    /// The topic itself, shared with every decision about it.
    pub(crate) topic: Arc<Topic>,
    /// This roster's number in its index (0, 1, …): where a [`super::CallHistory`]
    /// keeps its least-recent order.
    pub(crate) ordinal: usize,
    /// The organisations with staff on the topic: first those in the topic's order (by
    /// priority, then code), then the rest by code.
    pub(crate) organisations: Vec<RosterOrganisation>,
    /// Staff on the topic, grouped by organisation in the order above, then by
    /// priority and id: the candidate order.
    pub(crate) staff: Vec<RosterEntry>,
    /// `staff[i].maybe_away` again, alone in one array: the filter every decision runs
    /// over all of a topic's staff then reads 8 bytes per person, not a whole entry.
    pub(crate) maybe_away: Vec<(NaiveDate, NaiveDate)>,
    /// `staff[i].id` again, alone in one array, for the same reason: a
    /// `least_recent` decision looks up every reachable person's last call.
    pub(crate) ids: Vec<StaffId>,
    /// `staff[i].organisation` again, alone in one array: a walk down a least-recent
    /// order (see [`super::CallHistory`]) meets staff in no particular order and asks
    /// each one's organisation whether it is open.
    pub(crate) organisation_of: Vec<u32>,
}

impl TopicRoster {
    /// Whether the staff member at `position` can take a call on that local date
    /// (their organisation's hours are checked separately).
    #[inline]
    pub(crate) fn reachable_on(&self, position: usize, date: NaiveDate) -> bool {
        let (first, last) = self.maybe_away[position];
        // Outside the span: certainly reachable, settled without touching the entry.
        (date < first || date > last) || self.staff[position].reachable_on(date)
    }
}

/// An organisation covering a topic.
#[derive(Debug)]
pub(crate) struct RosterOrganisation {
    /// The organisation, shared with the snapshot.
    pub(crate) organisation: Arc<Organisation>,
    /// Its settings for this topic (the topic's defaults if it has no row).
    pub(crate) routing: TopicRouting,
    /// Its staff: a range of [`TopicRoster::staff`].
    pub(crate) staff: Range<usize>,
    /// An earlier organisation of this roster with exactly the same schedule (zone,
    /// calendar flag, hours, overrides), whose status can be reused: most bodies keep
    /// the same hours, so a decision computes a handful of statuses, not fifty.
    pub(crate) same_schedule_as: Option<usize>,
    /// An earlier organisation in the same time zone, whose local time can be reused.
    pub(crate) same_zone_as: Option<usize>,
}

/// A staff member on a topic, with what a decision checks kept inline: filtering a
/// few hundred entries then reads one contiguous array instead of following a
/// pointer to each person (a cache miss apiece).
#[derive(Debug)]
pub(crate) struct RosterEntry {
    /// The person, shared with the snapshot.
    pub(crate) staff: Arc<ResponsibleStaff>,
    /// A copy of `staff.active`.
    pub(crate) active: bool,
    /// Their organisation's position in [`TopicRoster::organisations`].
    pub(crate) organisation: usize,
    /// Days on which they *may* be unreachable, inclusive: all days for an inactive
    /// person, from their first absence's first day to the last one's last day
    /// otherwise, none (an empty span) if they have no absences. A date outside it is
    /// settled by two comparisons, without looking at the absences.
    pub(crate) maybe_away: (NaiveDate, NaiveDate),
}

impl RosterEntry {
    fn new(staff: &Arc<ResponsibleStaff>, organisation: usize) -> Self {
        let maybe_away = if !staff.active {
            (NaiveDate::MIN, NaiveDate::MAX)
        } else {
            let first = staff.absences.iter().map(|a| a.first_day).min();
            let last = staff.absences.iter().map(|a| a.last_day).max();
            // No absences: an empty span (first after last) that no date falls in.
            (
                first.unwrap_or(NaiveDate::MAX),
                last.unwrap_or(NaiveDate::MIN),
            )
        };
        Self {
            staff: Arc::clone(staff),
            active: staff.active,
            organisation,
            maybe_away,
        }
    }

    /// The absence covering a local date (whole days, inclusive), if any.
    pub(crate) fn absence_on(&self, date: NaiveDate) -> Option<&Absence> {
        let (first, last) = self.maybe_away;
        if date < first || date > last {
            return None;
        }
        self.staff
            .absences
            .iter()
            .find(|absence| absence.first_day <= date && date <= absence.last_day)
    }

    /// Whether a call can be offered to them on that local date (their organisation's
    /// hours are checked separately).
    pub(crate) fn reachable_on(&self, date: NaiveDate) -> bool {
        let (first, last) = self.maybe_away;
        if date < first || date > last {
            return true;
        }
        self.active && self.absence_on(date).is_none()
    }
}

impl RoutingIndex {
    /// False for an index that was never built (a snapshot that skipped validation).
    pub fn is_built(&self) -> bool {
        self.built
    }

    /// Builds the index. Tolerates dangling references (skips them), so it can also
    /// serve a snapshot that was never validated.
    fn build(snapshot: &DirectorySnapshot) -> Self {
        let mut fallback: Vec<Specialist> = snapshot
            .specialists
            .iter()
            .filter(|specialist| specialist.active)
            .cloned()
            .collect();
        fallback.sort_by_key(|specialist| specialist.id);
        let rosters = (snapshot.topics.values().enumerate())
            .map(|(ordinal, topic)| {
                let roster = TopicRoster::build(topic, snapshot, ordinal);
                (topic.code.clone(), Arc::new(roster))
            })
            .collect();
        let lines = (snapshot.lines.iter())
            .map(|(number, line)| (number.clone(), Arc::new(line.clone())))
            .collect();
        Self {
            built: true,
            rosters,
            fallback: fallback.into(),
            lines,
            calendar: Arc::new(snapshot.calendar.clone()),
        }
    }
}

impl TopicRoster {
    fn build(topic: &Topic, snapshot: &DirectorySnapshot, ordinal: usize) -> Self {
        let covering: Vec<&Arc<ResponsibleStaff>> = snapshot
            .staff
            .iter()
            .filter(|staff| staff.topics.contains(&topic.code))
            .filter(|staff| snapshot.organisations.contains_key(&staff.organisation))
            .collect();
        let order = organisation_order(topic, covering.iter().map(|staff| &staff.organisation));

        let mut organisations: Vec<RosterOrganisation> = Vec::with_capacity(order.len());
        let mut entries: Vec<RosterEntry> = Vec::with_capacity(covering.len());
        for (position, code) in order.into_iter().enumerate() {
            let organisation = Arc::clone(&snapshot.organisations[code]);
            let mut own: Vec<&Arc<ResponsibleStaff>> = covering
                .iter()
                .copied()
                .filter(|staff| staff.organisation == *code)
                .collect();
            own.sort_by_key(|staff| (staff.priority, staff.id));
            let start = entries.len();
            entries.extend(
                own.into_iter()
                    .map(|staff| RosterEntry::new(staff, position)),
            );
            let same_schedule_as = organisations
                .iter()
                .position(|earlier| same_schedule(&earlier.organisation, &organisation));
            let same_zone_as = organisations
                .iter()
                .position(|earlier| earlier.organisation.time_zone == organisation.time_zone);
            let routing = topic
                .organisations
                .iter()
                .find(|entry| entry.organisation == *code)
                .map_or(topic.defaults, |entry| entry.routing);
            organisations.push(RosterOrganisation {
                organisation,
                routing,
                staff: start..entries.len(),
                same_schedule_as,
                same_zone_as,
            });
        }
        Self {
            topic: Arc::new(topic.clone()),
            ordinal,
            organisations,
            maybe_away: entries.iter().map(|entry| entry.maybe_away).collect(),
            ids: entries.iter().map(|entry| entry.staff.id).collect(),
            organisation_of: (entries.iter())
                .map(|entry| entry.organisation as u32)
                .collect(),
            staff: entries,
        }
    }
}

/// The distinct organisations among `codes`, in the topic's order: those with a row
/// in `Topic::organisations` by (priority, code), then the others by code.
fn organisation_order<'a>(
    topic: &Topic,
    codes: impl Iterator<Item = &'a OrganisationCode>,
) -> Vec<&'a OrganisationCode> {
    let mut distinct: Vec<&OrganisationCode> = codes.collect::<HashSet<_>>().into_iter().collect();
    distinct.sort_by_key(|code| {
        let listed = topic
            .organisations
            .iter()
            .find(|entry| entry.organisation == **code);
        match listed {
            Some(entry) => (0, entry.priority, *code),
            None => (1, 0, *code),
        }
    });
    distinct
}

/// Whether two organisations are open and closed at exactly the same instants.
fn same_schedule(a: &Organisation, b: &Organisation) -> bool {
    a.time_zone == b.time_zone
        && a.follows_production_calendar == b.follows_production_calendar
        && a.weekly_hours == b.weekly_hours
        && a.overrides == b.overrides
}
