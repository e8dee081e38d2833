//! Loads the whole directory from Postgres into a [`DirectorySnapshot`].
//!
//! One repeatable-read, read-only transaction reads every table, so the snapshot is a
//! consistent picture even while editors change rosters. Rows are then converted into
//! the model in a pure step ([`assemble`]) that collects every row it cannot take —
//! with table, key and rule — instead of stopping at the first; finally the snapshot's
//! own cross-reference checks run ([`DirectorySnapshot::validated`]).
//!
//! Queries are checked at run time (`query_as` + `FromRow`): there is no database at
//! compile time. `time '24:00'` (end of day) is read as `closes = None`, because
//! `NaiveTime` cannot hold it and the driver would silently wrap it to midnight.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use sqlx::{FromRow, PgPool, Postgres, Transaction};

use crate::directory::error::{BadRows, DirectoryError, RowProblem};
use crate::routing::calendar::{DayOffTransfer, Decree, RegionalDayOff};
use crate::routing::{
    Absence, CalendarDay, DialTarget, DirectorySnapshot, HuntStrategy, Interval, Line, LineNumber,
    MenuItem, Organisation, OrganisationCode, OrganisationKind, ProductionCalendar,
    ResponsibleStaff, ScheduleOverride, Specialist, SpecialistId, StaffId, Topic, TopicCode,
    TopicOrganisation, TopicRouting, TransferMode, WeeklyHours,
};

/// Reads the directory in one consistent transaction and validates it.
///
/// Fails with [`DirectoryError::BadRows`] listing every row the model cannot take, or
/// [`DirectoryError::Inconsistent`] when the rows do not fit together.
pub async fn load_snapshot(pool: &PgPool) -> Result<DirectorySnapshot, DirectoryError> {
    let rows = fetch_rows(pool).await?;
    let snapshot = assemble(rows).map_err(|problems| DirectoryError::BadRows(BadRows(problems)))?;
    Ok(snapshot.validated()?)
}

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

/// Opens the transaction every load reads in: repeatable read, so all tables come
/// from one instant; read only, so a bug here can never change a roster.
const BEGIN_CONSISTENT_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Reads every directory table in one consistent transaction.
pub async fn fetch_rows(pool: &PgPool) -> Result<DirectoryRows, DirectoryError> {
    let mut tx = pool
        .begin_with(BEGIN_CONSISTENT_READ)
        .await
        .map_err(DirectoryError::database("starting the directory read"))?;
    let rows = fetch_all_tables(&mut tx).await?;
    tx.commit()
        .await
        .map_err(DirectoryError::database("finishing the directory read"))?;
    Ok(rows)
}

/// Runs one `SELECT … ORDER BY` into row structs, naming the table on failure.
async fn select<T>(
    tx: &mut Transaction<'static, Postgres>,
    doing: &'static str,
    sql: &'static str,
) -> Result<Vec<T>, DirectoryError>
where
    T: for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(sql)
        .fetch_all(&mut **tx)
        .await
        .map_err(DirectoryError::database(doing))
}

/// The fifteen `SELECT`s, in a stable order so snapshots compare equal across loads.
async fn fetch_all_tables(
    tx: &mut Transaction<'static, Postgres>,
) -> Result<DirectoryRows, DirectoryError> {
    Ok(DirectoryRows {
        lines: select(tx, "loading line", "SELECT number, name, menu_prompt, greeting_prompt, digit_timeout_seconds, menu_attempts FROM line ORDER BY number").await?,
        menu_items: select(tx, "loading menu_item", "SELECT line, digit, topic, label_ru FROM menu_item ORDER BY line, digit").await?,
        organisations: select(tx, "loading organisation", "SELECT code, name, kind::text AS kind, parent, time_zone, follows_production_calendar FROM organisation ORDER BY code").await?,
        working_hours: select(tx, "loading working_hours", "SELECT organisation, weekday, opens, NULLIF(closes, time '24:00') AS closes FROM working_hours ORDER BY organisation, weekday, opens").await?,
        overrides: select(tx, "loading schedule_override", "SELECT id, organisation, day, closed, opens, NULLIF(closes, time '24:00') AS closes, closes IS NULL AS closes_missing, note FROM schedule_override ORDER BY organisation, day, opens NULLS FIRST, id").await?,
        calendar: select(tx, "loading production_calendar", "SELECT day, kind::text AS kind, note, hours_of_weekday FROM production_calendar ORDER BY day").await?,
        decrees: select(tx, "loading calendar_decree", "SELECT year, source FROM calendar_decree ORDER BY year").await?,
        transfers: select(tx, "loading calendar_transfer", "SELECT from_day, to_day, note FROM calendar_transfer ORDER BY from_day").await?,
        regional_days_off: select(tx, "loading regional_day_off", "SELECT day, note, act FROM regional_day_off ORDER BY day").await?,
        topics: select(tx, "loading topic", "SELECT code, name_ru, name_en, agency, transfer_mode::text AS transfer_mode, strategy::text AS strategy, attempt_timeout_seconds FROM topic ORDER BY code").await?,
        topic_organisations: select(tx, "loading topic_organisation", "SELECT topic, organisation, priority, transfer_mode::text AS transfer_mode, strategy::text AS strategy, attempt_timeout_seconds FROM topic_organisation ORDER BY topic, priority, organisation").await?,
        staff: select(tx, "loading staff", "SELECT id, full_name, position, organisation, endpoint, priority, active FROM staff ORDER BY id").await?,
        staff_topics: select(tx, "loading staff_topic", "SELECT staff, topic FROM staff_topic ORDER BY staff, topic").await?,
        absences: select(tx, "loading staff_absence", "SELECT id, staff, first_day, last_day, reason FROM staff_absence ORDER BY staff, first_day, id").await?,
        specialists: select(tx, "loading specialist", "SELECT id, full_name, endpoint, active FROM specialist ORDER BY id").await?,
    })
}

/// Converts fetched rows into a snapshot (not yet cross-validated), or every row that
/// cannot be converted. Pure, so it is unit-tested without a database.
pub fn assemble(rows: DirectoryRows) -> Result<DirectorySnapshot, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let organisations = organisations(&rows, &mut problems);
    let calendar = calendar(&rows, &mut problems);
    let topics = topics(&rows, &mut problems);
    let lines = lines(&rows, &mut problems);
    let staff = staff(&rows, &mut problems);
    let specialists = specialists(&rows.specialists, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    // The index is left empty: `validated()` builds it.
    Ok(DirectorySnapshot {
        lines,
        topics,
        organisations,
        calendar,
        staff,
        specialists,
        ..Default::default()
    })
}

/// Organisations with their weekly hours and overrides attached.
fn organisations(
    rows: &DirectoryRows,
    problems: &mut Vec<RowProblem>,
) -> HashMap<OrganisationCode, Arc<Organisation>> {
    let mut by_code: HashMap<OrganisationCode, Organisation> = rows
        .organisations
        .iter()
        .filter_map(|row| organisation(row, problems))
        .map(|org| (org.code.clone(), org))
        .collect();
    for row in &rows.working_hours {
        add_working_hours(&mut by_code, row, problems);
    }
    for ((code, day), group) in overrides_by_day(&rows.overrides) {
        let entry = schedule_override(&group, problems);
        // An organisation missing here was refused and reported already.
        if let (Some(entry), Some(org)) = (entry, by_code.get_mut(&code)) {
            org.overrides.insert(day, entry);
        }
    }
    by_code
        .into_iter()
        .map(|(code, org)| (code, Arc::new(org)))
        .collect()
}

/// One organisation row, without hours yet.
fn organisation(row: &OrganisationRow, problems: &mut Vec<RowProblem>) -> Option<Organisation> {
    let problem = |rule: String| RowProblem::new("organisation", &row.code, rule);
    let kind = match row.kind.as_str() {
        "regional_agency" => OrganisationKind::RegionalAgency,
        "municipal_body" => OrganisationKind::MunicipalBody,
        "institution" => OrganisationKind::Institution,
        other => {
            problems.push(problem(format!("unknown organisation kind {other:?}")));
            return None;
        }
    };
    let Ok(time_zone) = Tz::from_str(&row.time_zone) else {
        problems.push(problem(format!(
            "time zone {:?} is not an IANA zone this service knows (use e.g. Asia/Irkutsk)",
            row.time_zone
        )));
        return None;
    };
    Some(Organisation {
        code: OrganisationCode(row.code.clone()),
        name: row.name.clone(),
        kind,
        parent: row.parent.clone().map(OrganisationCode),
        time_zone,
        follows_production_calendar: row.follows_production_calendar,
        weekly_hours: WeeklyHours::default(),
        overrides: BTreeMap::new(),
    })
}

/// Adds one `working_hours` row to its organisation's week (rows arrive sorted).
fn add_working_hours(
    by_code: &mut HashMap<OrganisationCode, Organisation>,
    row: &WorkingHoursRow,
    problems: &mut Vec<RowProblem>,
) {
    let key = format!(
        "({}, weekday {}, {})",
        row.organisation, row.weekday, row.opens
    );
    let problem = |rule: &str| RowProblem::new("working_hours", &key, rule);
    let Some(index) = iso_weekday_index(row.weekday) else {
        return problems.push(problem("the weekday must be 1 (Monday) to 7 (Sunday)"));
    };
    let Some(interval) = interval(row.opens, row.closes) else {
        return problems.push(problem("the interval must open before it closes"));
    };
    // An organisation missing here was refused and reported already.
    if let Some(org) = by_code.get_mut(&OrganisationCode(row.organisation.clone())) {
        org.weekly_hours.days[index].push(interval);
    }
}

/// The 0-based index (Monday = 0) of an ISO weekday, if it is one.
fn iso_weekday_index(weekday: i16) -> Option<usize> {
    (1..=7).contains(&weekday).then(|| (weekday - 1) as usize)
}

/// An interval if it opens before it closes (`closes == None` is 24:00).
fn interval(opens: NaiveTime, closes: Option<NaiveTime>) -> Option<Interval> {
    closes
        .is_none_or(|closes| opens < closes)
        .then_some(Interval { opens, closes })
}

/// Override rows grouped by (organisation, day): several rows make one day's hours.
fn overrides_by_day(
    rows: &[OverrideRow],
) -> BTreeMap<(OrganisationCode, NaiveDate), Vec<&OverrideRow>> {
    let mut groups: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for row in rows {
        groups
            .entry((OrganisationCode(row.organisation.clone()), row.day))
            .or_default()
            .push(row);
    }
    groups
}

/// One day's override from its rows: closed, or the union of its duty intervals.
fn schedule_override(
    group: &[&OverrideRow],
    problems: &mut Vec<RowProblem>,
) -> Option<ScheduleOverride> {
    let before = problems.len();
    let closed: Vec<_> = group.iter().filter(|row| row.closed).collect();
    if let ([closed_row], 1) = (closed.as_slice(), group.len()) {
        return Some(ScheduleOverride::Closed {
            note: closed_row.note.clone(),
        });
    }
    if !closed.is_empty() {
        for row in group {
            problems.push(override_problem(
                row,
                "a closed day cannot have other override rows on the same day",
            ));
        }
        return None;
    }
    let intervals: Vec<Interval> = group
        .iter()
        .filter_map(|row| override_interval(row, problems))
        .collect();
    (problems.len() == before).then(|| ScheduleOverride::Hours {
        intervals,
        note: joined_notes(group),
    })
}

/// The duty interval of a non-closed override row.
fn override_interval(row: &OverrideRow, problems: &mut Vec<RowProblem>) -> Option<Interval> {
    let (Some(opens), false) = (row.opens, row.closes_missing) else {
        problems.push(override_problem(
            row,
            "an override is closed or has both opens and closes",
        ));
        return None;
    };
    let found = interval(opens, row.closes);
    if found.is_none() {
        problems.push(override_problem(
            row,
            "the interval must open before it closes",
        ));
    }
    found
}

/// A problem naming an override row by id, organisation and day.
fn override_problem(row: &OverrideRow, rule: &str) -> RowProblem {
    RowProblem::new(
        "schedule_override",
        format!("id {} ({}, {})", row.id, row.organisation, row.day),
        rule,
    )
}

/// The distinct non-empty notes of a day's rows, for the decision's reason.
fn joined_notes(group: &[&OverrideRow]) -> String {
    let mut notes: Vec<&str> = group
        .iter()
        .map(|row| row.note.trim())
        .filter(|n| !n.is_empty())
        .collect();
    notes.dedup();
    notes.join("; ")
}

/// The shared production calendar: typed-in days, decrees with their transfers,
/// regional days off. A transfer whose year has no decree row cannot exist (foreign
/// key); one that names another year than its dates is refused by a check.
fn calendar(rows: &DirectoryRows, problems: &mut Vec<RowProblem>) -> ProductionCalendar {
    let days = (rows.calendar.iter())
        .filter_map(|row| calendar_day(row, problems).map(|day| (row.day, day)))
        .collect();
    let sources = (rows.decrees.iter()).map(|row| (row.year, row.source.clone()));
    let transfers = rows.transfers.iter().map(|row| DayOffTransfer {
        from: row.from_day,
        to: row.to_day,
        note: row.note.clone(),
    });
    // The schema files a transfer under its days' year and needs that year's decree;
    // a row that slipped past a dropped constraint is reported, not guessed at.
    let (decrees, orphans) = Decree::by_year(sources, transfers);
    for transfer in orphans {
        let rule = format!(
            "the transfer's decree of {} is not loaded",
            transfer.from.year()
        );
        problems.push(RowProblem::new("calendar_transfer", transfer.from, rule));
    }
    let regional = (rows.regional_days_off.iter())
        .map(|row| {
            let day = RegionalDayOff {
                note: row.note.clone(),
                act: row.act.clone(),
            };
            (row.day, day)
        })
        .collect();
    ProductionCalendar {
        days,
        decrees,
        regional,
    }
}

/// One calendar row; a transferred working day without `hours_of_weekday` works
/// Monday's hours, as the schema documents.
fn calendar_day(row: &CalendarRow, problems: &mut Vec<RowProblem>) -> Option<CalendarDay> {
    let note = row.note.clone();
    let problem = |rule: &str| RowProblem::new("production_calendar", row.day, rule);
    match (row.kind.as_str(), row.hours_of_weekday) {
        ("holiday", None) => Some(CalendarDay::Holiday { note }),
        ("shortened", None) => Some(CalendarDay::Shortened { note }),
        ("working", weekday) => match weekday.unwrap_or(1) {
            w @ 1..=7 => Some(CalendarDay::Working {
                hours_of_weekday: w as u8,
                note,
            }),
            _ => {
                problems.push(problem("hours_of_weekday must be 1 (Monday) to 7 (Sunday)"));
                None
            }
        },
        ("holiday" | "shortened", Some(_)) => {
            problems.push(problem("hours_of_weekday applies only to a working day"));
            None
        }
        (other, _) => {
            problems.push(problem(&format!("unknown calendar day kind {other:?}")));
            None
        }
    }
}

/// Topics with their per-organisation settings.
fn topics(rows: &DirectoryRows, problems: &mut Vec<RowProblem>) -> HashMap<TopicCode, Topic> {
    let mut by_code: HashMap<TopicCode, Topic> = rows
        .topics
        .iter()
        .filter_map(|row| topic(row, problems))
        .map(|topic| (topic.code.clone(), topic))
        .collect();
    for row in &rows.topic_organisations {
        let key = format!("({}, {})", row.topic, row.organisation);
        let Some(topic) = by_code.get_mut(&TopicCode(row.topic.clone())) else {
            continue; // the topic row itself was refused and reported
        };
        if let Some(routing) = topic_routing_override(&topic.defaults, row, &key, problems) {
            topic.organisations.push(TopicOrganisation {
                organisation: OrganisationCode(row.organisation.clone()),
                priority: row.priority,
                routing,
            });
        }
    }
    by_code
}

/// One topic row with its defaults.
fn topic(row: &TopicRow, problems: &mut Vec<RowProblem>) -> Option<Topic> {
    let before = problems.len();
    let defaults = TopicRouting {
        transfer_mode: transfer_mode(&row.transfer_mode, "topic", &row.code, problems)?,
        strategy: hunt_strategy(&row.strategy, "topic", &row.code, problems)?,
        attempt_timeout_seconds: seconds(
            row.attempt_timeout_seconds,
            "topic",
            &row.code,
            problems,
        )?,
    };
    (problems.len() == before).then(|| Topic {
        code: TopicCode(row.code.clone()),
        name_ru: row.name_ru.clone(),
        name_en: row.name_en.clone(),
        agency: row.agency.clone().map(OrganisationCode),
        defaults,
        organisations: Vec::new(),
    })
}

/// A topic's defaults with one organisation's overrides applied.
fn topic_routing_override(
    defaults: &TopicRouting,
    row: &TopicOrganisationRow,
    key: &str,
    problems: &mut Vec<RowProblem>,
) -> Option<TopicRouting> {
    const TABLE: &str = "topic_organisation";
    Some(TopicRouting {
        transfer_mode: match &row.transfer_mode {
            Some(text) => transfer_mode(text, TABLE, key, problems)?,
            None => defaults.transfer_mode,
        },
        strategy: match &row.strategy {
            Some(text) => hunt_strategy(text, TABLE, key, problems)?,
            None => defaults.strategy,
        },
        attempt_timeout_seconds: match row.attempt_timeout_seconds {
            Some(value) => seconds(value, TABLE, key, problems)?,
            None => defaults.attempt_timeout_seconds,
        },
    })
}

/// A `transfer_mode` enum value.
fn transfer_mode(
    text: &str,
    table: &'static str,
    key: &str,
    problems: &mut Vec<RowProblem>,
) -> Option<TransferMode> {
    match text {
        "automatic" => Some(TransferMode::Automatic),
        "manual" => Some(TransferMode::Manual),
        other => {
            problems.push(RowProblem::new(
                table,
                key,
                format!("unknown transfer mode {other:?}"),
            ));
            None
        }
    }
}

/// A `hunt_strategy` enum value.
fn hunt_strategy(
    text: &str,
    table: &'static str,
    key: &str,
    problems: &mut Vec<RowProblem>,
) -> Option<HuntStrategy> {
    match text {
        "sequential" => Some(HuntStrategy::Sequential),
        "ring_all" => Some(HuntStrategy::RingAll),
        "least_recent" => Some(HuntStrategy::LeastRecent),
        other => {
            problems.push(RowProblem::new(
                table,
                key,
                format!("unknown hunting strategy {other:?}"),
            ));
            None
        }
    }
}

/// A positive number of seconds.
fn seconds(
    value: i32,
    table: &'static str,
    key: &str,
    problems: &mut Vec<RowProblem>,
) -> Option<u32> {
    let converted = u32::try_from(value).ok().filter(|&s| s > 0);
    if converted.is_none() {
        problems.push(RowProblem::new(
            table,
            key,
            format!("{value} is not a positive number of seconds"),
        ));
    }
    converted
}

/// Lines with their menus.
fn lines(rows: &DirectoryRows, problems: &mut Vec<RowProblem>) -> BTreeMap<LineNumber, Line> {
    let mut by_number: BTreeMap<LineNumber, Line> = rows
        .lines
        .iter()
        .filter_map(|row| line(row, problems))
        .map(|line| (line.number.clone(), line))
        .collect();
    for row in &rows.menu_items {
        let item = menu_item(row, problems);
        // A line missing here was refused and reported already.
        if let (Some(item), Some(line)) = (item, by_number.get_mut(&LineNumber(row.line.clone()))) {
            line.menu.insert(item.digit, item);
        }
    }
    by_number
}

/// One line row, without its menu yet.
fn line(row: &LineRow, problems: &mut Vec<RowProblem>) -> Option<Line> {
    let before = problems.len();
    let digit_timeout_seconds = seconds(row.digit_timeout_seconds, "line", &row.number, problems);
    let menu_attempts = seconds(row.menu_attempts, "line", &row.number, problems);
    (problems.len() == before).then(|| Line {
        number: LineNumber(row.number.clone()),
        name: row.name.clone(),
        menu_prompt: row.menu_prompt.clone(),
        greeting_prompt: row.greeting_prompt.clone(),
        digit_timeout_seconds: digit_timeout_seconds.unwrap_or_default(),
        menu_attempts: menu_attempts.unwrap_or_default(),
        menu: BTreeMap::new(),
    })
}

/// One menu item; the digit must be exactly one DTMF character.
fn menu_item(row: &MenuItemRow, problems: &mut Vec<RowProblem>) -> Option<MenuItem> {
    let mut chars = row.digit.chars();
    match (chars.next(), chars.next()) {
        (Some(digit @ ('0'..='9' | '*' | '#')), None) => Some(MenuItem {
            digit,
            topic: row.topic.clone().map(TopicCode),
            label_ru: row.label_ru.clone(),
        }),
        _ => {
            let key = format!("({}, {:?})", row.line, row.digit);
            problems.push(RowProblem::new(
                "menu_item",
                key,
                "the digit must be one of 0-9 * #",
            ));
            None
        }
    }
}

/// Responsible staff with their topics and absences.
fn staff(rows: &DirectoryRows, problems: &mut Vec<RowProblem>) -> Vec<Arc<ResponsibleStaff>> {
    let mut by_id: BTreeMap<i64, ResponsibleStaff> = rows
        .staff
        .iter()
        .filter_map(|row| staff_member(row, problems))
        .map(|person| (person.id.0, person))
        .collect();
    for row in &rows.staff_topics {
        if let Some(person) = by_id.get_mut(&row.staff) {
            person.topics.push(TopicCode(row.topic.clone()));
        }
    }
    for row in &rows.absences {
        add_absence(&mut by_id, row, problems);
    }
    by_id.into_values().map(Arc::new).collect()
}

/// One staff row, without topics and absences yet.
fn staff_member(row: &StaffRow, problems: &mut Vec<RowProblem>) -> Option<ResponsibleStaff> {
    let endpoint = dial_target(&row.endpoint, "staff", row.id, problems)?;
    Some(ResponsibleStaff {
        id: StaffId(row.id),
        full_name: row.full_name.clone(),
        position: row.position.clone(),
        organisation: OrganisationCode(row.organisation.clone()),
        endpoint,
        priority: row.priority,
        active: row.active,
        topics: Vec::new(),
        absences: Vec::new(),
    })
}

/// Adds one absence (rows arrive sorted by first day) to its staff member.
fn add_absence(
    by_id: &mut BTreeMap<i64, ResponsibleStaff>,
    row: &AbsenceRow,
    problems: &mut Vec<RowProblem>,
) {
    let key = format!("id {} (staff {})", row.id, row.staff);
    if row.first_day > row.last_day {
        return problems.push(RowProblem::new(
            "staff_absence",
            key,
            "the first day must not be after the last day",
        ));
    }
    if let Some(person) = by_id.get_mut(&row.staff) {
        person.absences.push(Absence {
            first_day: row.first_day,
            last_day: row.last_day,
            reason: row.reason.clone(),
        });
    }
}

/// Contact-center specialists.
fn specialists(rows: &[SpecialistRow], problems: &mut Vec<RowProblem>) -> Vec<Specialist> {
    rows.iter()
        .filter_map(|row| {
            Some(Specialist {
                id: SpecialistId(row.id),
                full_name: row.full_name.clone(),
                endpoint: dial_target(&row.endpoint, "specialist", row.id, problems)?,
                active: row.active,
            })
        })
        .collect()
}

/// A dial target checked again on load: a row that slipped past a dropped constraint
/// must never reach a `Dial()` string.
fn dial_target(
    text: &str,
    table: &'static str,
    id: i64,
    problems: &mut Vec<RowProblem>,
) -> Option<DialTarget> {
    DialTarget::parse(text)
        .map_err(|refused| {
            problems.push(RowProblem::new(
                table,
                format!("id {id}"),
                refused.to_string(),
            ))
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    fn organisation_row(code: &str, time_zone: &str) -> OrganisationRow {
        OrganisationRow {
            code: code.into(),
            name: format!("Организация {code}"),
            kind: "regional_agency".into(),
            parent: None,
            time_zone: time_zone.into(),
            follows_production_calendar: true,
        }
    }

    fn staff_row(id: i64, endpoint: &str) -> StaffRow {
        StaffRow {
            id,
            full_name: "Иванова Мария Петровна".into(),
            position: String::new(),
            organisation: "minzdrav".into(),
            endpoint: endpoint.into(),
            priority: 10,
            active: true,
        }
    }

    #[test]
    fn end_of_day_is_an_open_interval_end() {
        let rows = DirectoryRows {
            organisations: vec![organisation_row("minzdrav", "Asia/Irkutsk")],
            working_hours: vec![WorkingHoursRow {
                organisation: "minzdrav".into(),
                weekday: 6,
                opens: time("20:00"),
                closes: None,
            }],
            ..DirectoryRows::default()
        };
        let snapshot = assemble(rows).unwrap();
        let org = &snapshot.organisations[&OrganisationCode("minzdrav".into())];
        assert_eq!(
            org.weekly_hours.days[5],
            vec![Interval {
                opens: time("20:00"),
                closes: None
            }]
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_table_and_key() {
        let rows = DirectoryRows {
            organisations: vec![
                organisation_row("minzdrav", "Asia/Irkutsk"),
                organisation_row("minsoc", "posix/Asia/Irkutsk"),
            ],
            staff: vec![
                staff_row(1, "PJSIP/a&PJSIP/b"),
                staff_row(2, "PJSIP/ok"),
                staff_row(3, "PJSIP/${X}"),
            ],
            menu_items: vec![MenuItemRow {
                line: "122".into(),
                digit: "12".into(),
                topic: None,
                label_ru: "x".into(),
            }],
            ..DirectoryRows::default()
        };
        let problems = assemble(rows).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 4, "{text:#?}");
        assert!(
            text[0].starts_with("organisation minsoc: time zone \"posix/Asia/Irkutsk\""),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("menu_item (122, \"12\")")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("staff id 1: ") && t.contains("PJSIP/a&PJSIP/b")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("staff id 3: ")),
            "{text:#?}"
        );
    }

    #[test]
    fn closed_day_with_hours_is_refused() {
        let row = |id, closed, opens: Option<&str>| OverrideRow {
            id,
            organisation: "minzdrav".into(),
            day: NaiveDate::from_ymd_opt(2026, 5, 29).unwrap(),
            closed,
            opens: opens.map(time),
            closes: opens.map(|_| time("12:00")),
            closes_missing: opens.is_none(),
            note: String::new(),
        };
        let rows = DirectoryRows {
            organisations: vec![organisation_row("minzdrav", "Asia/Irkutsk")],
            overrides: vec![row(1, true, None), row(2, false, Some("10:00"))],
            ..DirectoryRows::default()
        };
        let problems = assemble(rows).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0]
                .to_string()
                .starts_with("schedule_override id 1 (minzdrav, 2026-05-29)")
        );
    }

    #[test]
    fn duty_hours_of_one_day_are_merged_with_their_notes() {
        let row = |id, opens, closes, note: &str| OverrideRow {
            id,
            organisation: "minzdrav".into(),
            day: NaiveDate::from_ymd_opt(2026, 5, 9).unwrap(),
            closed: false,
            opens: Some(time(opens)),
            closes: Some(time(closes)),
            closes_missing: false,
            note: note.into(),
        };
        let rows = DirectoryRows {
            organisations: vec![organisation_row("minzdrav", "Asia/Irkutsk")],
            overrides: vec![
                row(1, "09:00", "12:00", "Дежурство"),
                row(2, "13:00", "15:00", "Дежурство"),
            ],
            ..DirectoryRows::default()
        };
        let snapshot = assemble(rows).unwrap();
        let org = &snapshot.organisations[&OrganisationCode("minzdrav".into())];
        let day = NaiveDate::from_ymd_opt(2026, 5, 9).unwrap();
        let ScheduleOverride::Hours { intervals, note } = &org.overrides[&day] else {
            panic!("expected duty hours");
        };
        assert_eq!(intervals.len(), 2);
        assert_eq!(note, "Дежурство");
    }

    #[test]
    fn transferred_working_day_defaults_to_monday_hours() {
        let row = CalendarRow {
            day: NaiveDate::from_ymd_opt(2027, 1, 9).unwrap(),
            kind: "working".into(),
            note: String::new(),
            hours_of_weekday: None,
        };
        let mut problems = Vec::new();
        assert!(matches!(
            calendar_day(&row, &mut problems),
            Some(CalendarDay::Working {
                hours_of_weekday: 1,
                ..
            })
        ));
    }
}
