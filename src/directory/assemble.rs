//! Converts fetched [`DirectoryRows`] into a [`DirectorySnapshot`] (not yet
//! cross-validated). Pure, so it is unit-tested without a database (`assemble/tests.rs`).
//!
//! Every row the model cannot take is collected as a [`RowProblem`] with its table,
//! key and rule, instead of stopping at the first, so an editor sees all of them at once.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Datelike as _, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::directory::error::RowProblem;
use crate::directory::rows::{
    AbsenceRow, CalendarRow, DirectoryRows, LineRow, MenuItemRow, OrganisationRow, OverrideRow,
    SpecialistRow, StaffRow, TopicOrganisationRow, TopicRow, WorkingHoursRow,
};
use crate::routing::calendar::{DayOffTransfer, Decree, RegionalDayOff};
use crate::routing::{
    Absence, CalendarDay, DialTarget, DirectorySnapshot, HuntStrategy, Interval, Line, LineNumber,
    MenuItem, Organisation, OrganisationCode, OrganisationKind, ProductionCalendar,
    ResponsibleStaff, ScheduleOverride, Specialist, SpecialistId, StaffId, Topic, TopicCode,
    TopicOrganisation, TopicRouting, TransferMode, WeeklyHours,
};

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
        record_calls: row.record_calls,
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
mod tests;
