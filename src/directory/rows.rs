//! The directory's tables as they come out of Postgres: one plain struct per table,
//! fields named and typed like the columns, before any conversion into the model.
//!
//! [`repository`](super::repository) fills them in one consistent read;
//! [`assemble`](super::assemble) turns them into the snapshot. Enum columns arrive as
//! text (`kind::text`) so a value the model does not know is reported as a bad row,
//! not a decoding failure that hides which row it was.

use chrono::NaiveDate;
use chrono::NaiveTime;
use sqlx::FromRow;

/// Every directory table as fetched, before conversion; the input of [`assemble`].
#[derive(Debug, Default)]
pub struct DirectoryRows {
    /// `line` rows.
    pub lines: Vec<LineRow>,
    /// `menu_item` rows.
    pub menu_items: Vec<MenuItemRow>,
    /// `organisation` rows.
    pub organisations: Vec<OrganisationRow>,
    /// `working_hours` rows.
    pub working_hours: Vec<WorkingHoursRow>,
    /// `schedule_override` rows.
    pub overrides: Vec<OverrideRow>,
    /// `production_calendar` rows.
    pub calendar: Vec<CalendarRow>,
    /// `calendar_decree` rows.
    pub decrees: Vec<DecreeRow>,
    /// `calendar_transfer` rows.
    pub transfers: Vec<TransferRow>,
    /// `regional_day_off` rows.
    pub regional_days_off: Vec<RegionalDayOffRow>,
    /// `topic` rows.
    pub topics: Vec<TopicRow>,
    /// `topic_organisation` rows.
    pub topic_organisations: Vec<TopicOrganisationRow>,
    /// `staff` rows.
    pub staff: Vec<StaffRow>,
    /// `staff_topic` rows.
    pub staff_topics: Vec<StaffTopicRow>,
    /// `staff_absence` rows.
    pub absences: Vec<AbsenceRow>,
    /// `specialist` rows.
    pub specialists: Vec<SpecialistRow>,
}

/// A `line` row.
#[derive(Debug, Clone, FromRow)]
pub struct LineRow {
    /// Primary key: the short number.
    pub number: String,
    /// Display name.
    pub name: String,
    /// Sound name of the menu.
    pub menu_prompt: String,
    /// Sound played once before the first menu.
    pub greeting_prompt: Option<String>,
    /// Seconds to wait for a digit.
    pub digit_timeout_seconds: i32,
    /// Times the menu is offered.
    pub menu_attempts: i32,
    /// Whether the line's calls are recorded.
    pub record_calls: bool,
}

/// A `menu_item` row.
#[derive(Debug, Clone, FromRow)]
pub struct MenuItemRow {
    /// The line whose menu it is.
    pub line: String,
    /// The DTMF digit, as text.
    pub digit: String,
    /// The selected topic; `None` asks for a specialist.
    pub topic: Option<String>,
    /// What the menu says.
    pub label_ru: String,
}

/// An `organisation` row, enums read as text.
#[derive(Debug, Clone, FromRow)]
pub struct OrganisationRow {
    /// Primary key.
    pub code: String,
    /// Official name.
    pub name: String,
    /// `regional_agency`, `municipal_body` or `institution`.
    pub kind: String,
    /// Parent agency of an institution.
    pub parent: Option<String>,
    /// IANA time zone name, parsed here with chrono-tz (Postgres knows more names).
    pub time_zone: String,
    /// False for round-the-clock services.
    pub follows_production_calendar: bool,
}

/// A `working_hours` row.
#[derive(Debug, Clone, FromRow)]
pub struct WorkingHoursRow {
    /// Owner.
    pub organisation: String,
    /// ISO weekday.
    pub weekday: i16,
    /// Opening time.
    pub opens: NaiveTime,
    /// Closing time; `None` when the row says `24:00` (selected with `NULLIF`).
    pub closes: Option<NaiveTime>,
}

/// A `schedule_override` row.
#[derive(Debug, Clone, FromRow)]
pub struct OverrideRow {
    /// Primary key, to name the row in problems.
    pub id: i64,
    /// Owner.
    pub organisation: String,
    /// The local date it replaces.
    pub day: NaiveDate,
    /// Closed the whole day.
    pub closed: bool,
    /// Opening time of a duty interval.
    pub opens: Option<NaiveTime>,
    /// Closing time of a duty interval, `None` for `24:00` or when missing.
    pub closes: Option<NaiveTime>,
    /// Whether `closes` is missing in the row (as opposed to `24:00`).
    pub closes_missing: bool,
    /// Why.
    pub note: String,
}

/// A `production_calendar` row, kind read as text.
#[derive(Debug, Clone, FromRow)]
pub struct CalendarRow {
    /// The date.
    pub day: NaiveDate,
    /// `holiday`, `working` or `shortened`.
    pub kind: String,
    /// Name of the holiday or reason.
    pub note: String,
    /// For transferred working days: whose weekday's hours apply.
    pub hours_of_weekday: Option<i16>,
}

/// A `calendar_decree` row: a year whose decree is loaded.
#[derive(Debug, Clone, FromRow)]
pub struct DecreeRow {
    /// The year.
    pub year: i32,
    /// The decree's number and date.
    pub source: String,
}

/// A `calendar_transfer` row: a decree moves a weekend day off to a weekday.
#[derive(Debug, Clone, FromRow)]
pub struct TransferRow {
    /// The weekend day whose day off moves.
    pub from_day: NaiveDate,
    /// The weekday that becomes a day off.
    pub to_day: NaiveDate,
    /// The decree's wording.
    pub note: String,
}

/// A `regional_day_off` row.
#[derive(Debug, Clone, FromRow)]
pub struct RegionalDayOffRow {
    /// The date.
    pub day: NaiveDate,
    /// What the day is.
    pub note: String,
    /// The regional act that declares it.
    pub act: String,
}

/// A `topic` row, enums read as text.
#[derive(Debug, Clone, FromRow)]
pub struct TopicRow {
    /// Primary key.
    pub code: String,
    /// Russian name.
    pub name_ru: String,
    /// English name.
    pub name_en: String,
    /// Responsible agency.
    pub agency: Option<String>,
    /// Default transfer mode.
    pub transfer_mode: String,
    /// Default hunting strategy.
    pub strategy: String,
    /// Default attempt timeout.
    pub attempt_timeout_seconds: i32,
}

/// A `topic_organisation` row: per-organisation overrides of a topic's defaults.
#[derive(Debug, Clone, FromRow)]
pub struct TopicOrganisationRow {
    /// The topic.
    pub topic: String,
    /// The organisation.
    pub organisation: String,
    /// Order among organisations, lower first.
    pub priority: i32,
    /// Override of the transfer mode.
    pub transfer_mode: Option<String>,
    /// Override of the strategy.
    pub strategy: Option<String>,
    /// Override of the attempt timeout.
    pub attempt_timeout_seconds: Option<i32>,
}

/// A `staff` row.
#[derive(Debug, Clone, FromRow)]
pub struct StaffRow {
    /// Primary key.
    pub id: i64,
    /// Full name.
    pub full_name: String,
    /// Job title.
    pub position: String,
    /// Where they work.
    pub organisation: String,
    /// Dial target, checked again here with [`DialTarget::parse`].
    pub endpoint: String,
    /// Order within the organisation.
    pub priority: i32,
    /// Whether they take calls at all.
    pub active: bool,
}

/// A `staff_topic` row.
#[derive(Debug, Clone, FromRow)]
pub struct StaffTopicRow {
    /// Staff id.
    pub staff: i64,
    /// Topic code.
    pub topic: String,
}

/// A `staff_absence` row.
#[derive(Debug, Clone, FromRow)]
pub struct AbsenceRow {
    /// Primary key, to name the row in problems.
    pub id: i64,
    /// Staff id.
    pub staff: i64,
    /// First day away.
    pub first_day: NaiveDate,
    /// Last day away, inclusive.
    pub last_day: NaiveDate,
    /// Leave, sick days, ...
    pub reason: String,
}

/// A `specialist` row.
#[derive(Debug, Clone, FromRow)]
pub struct SpecialistRow {
    /// Primary key.
    pub id: i64,
    /// Full name.
    pub full_name: String,
    /// Dial target, checked again here.
    pub endpoint: String,
    /// Whether they are rung.
    pub active: bool,
}
