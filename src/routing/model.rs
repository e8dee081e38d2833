//! The directory as the routing policy sees it: an immutable, validated snapshot.
//!
//! The Postgres adapter (`crate::directory`) builds a [`DirectorySnapshot`] from the
//! tables and swaps it in whole; everything here is plain data, so the policy can be
//! unit-tested with hand-built snapshots and needs no database.
//!
//! The checks a snapshot passes before the policy sees it are in `validation.rs`, the
//! lookup tables derived from it in `index.rs`; their public types are re-exported here.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use super::calendar::{CalendarDay, ProductionCalendar, RegionalDayOff};
pub use super::index::RoutingIndex;
pub use super::validation::{HoursDay, SnapshotError, SnapshotProblem};

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
    /// Whether calls to the line are recorded (with a spoken notice before the menu).
    pub record_calls: bool,
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
