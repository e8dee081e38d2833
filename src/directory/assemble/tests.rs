//! Unit tests of [`assemble`](super::assemble): rows in, snapshot or every bad row out.

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
