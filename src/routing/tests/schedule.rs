//! Working hours: holidays, transferred and shortened days, lunch and boundary
//! instants, overrides, time zones and daylight saving time.

use chrono::Weekday;

use super::*;
use crate::routing::schedule::{ClosedWhy, DayRule, OpenState, ScheduleStatus};

fn org_of(snapshot: &DirectorySnapshot, code: &str) -> Arc<Organisation> {
    Arc::clone(&snapshot.organisations[&OrganisationCode(code.into())])
}

fn open(opens: &str, closes: &str) -> OpenState {
    OpenState::Open {
        interval: interval(opens, closes),
    }
}

fn closed(why: ClosedWhy) -> OpenState {
    OpenState::Closed { why }
}

fn before(opens: &str) -> OpenState {
    closed(ClosedWhy::BeforeOpening { opens: time(opens) })
}

fn lunch_until(reopens: &str) -> OpenState {
    closed(ClosedWhy::Break {
        reopens: time(reopens),
    })
}

fn after(closed_at: &str) -> OpenState {
    closed(ClosedWhy::AfterClosing {
        closed: time(closed_at),
    })
}

const DAY_OFF: OpenState = OpenState::Closed {
    why: ClosedWhy::DayOff,
};

const SHORTENED: DayRule<'static> = DayRule::ShortenedDay {
    note: "Предпраздничный день",
};

/// One row: organisation, instant, expected state and rule.
type Row = (&'static str, &'static str, OpenState, DayRule<'static>);

fn check_rows(snapshot: &DirectorySnapshot, rows: &[Row]) {
    for (code, instant, state, rule) in rows {
        let org = org_of(snapshot, code);
        let status = org.status_at(&snapshot.calendar, at(instant));
        assert_eq!(
            (status.state, status.rule),
            (*state, *rule),
            "{code} at {instant}: got {status:?}"
        );
    }
}

#[test]
fn ordinary_week_lunch_and_boundaries() {
    let snapshot = directory();
    use DayRule::WeeklyHours as W;
    let rows: &[Row] = &[
        // Tuesday 2026-05-12 in Irkutsk.
        ("minzdrav", "2026-05-12T08:59:59+08:00", before("09:00"), W),
        (
            "minzdrav",
            "2026-05-12T09:00:00+08:00",
            open("09:00", "13:00"),
            W,
        ),
        (
            "minzdrav",
            "2026-05-12T12:59:59+08:00",
            open("09:00", "13:00"),
            W,
        ),
        (
            "minzdrav",
            "2026-05-12T13:00:00+08:00",
            lunch_until("14:00"),
            W,
        ),
        (
            "minzdrav",
            "2026-05-12T13:59:59+08:00",
            lunch_until("14:00"),
            W,
        ),
        (
            "minzdrav",
            "2026-05-12T14:00:00+08:00",
            open("14:00", "18:00"),
            W,
        ),
        (
            "minzdrav",
            "2026-05-12T17:59:59+08:00",
            open("14:00", "18:00"),
            W,
        ),
        ("minzdrav", "2026-05-12T18:00:00+08:00", after("18:00"), W),
        // The same instants given in UTC.
        ("minzdrav", "2026-05-12T05:00:00Z", lunch_until("14:00"), W),
        (
            "minzdrav",
            "2026-05-12T06:00:00Z",
            open("14:00", "18:00"),
            W,
        ),
        // Weekend by weekly hours; the hospital works Saturdays.
        ("minzdrav", "2026-05-16T10:00:00+08:00", DAY_OFF, W),
        (
            "hospital",
            "2026-05-16T10:00:00+08:00",
            open("08:00", "20:00"),
            W,
        ),
        ("hospital", "2026-05-17T10:00:00+08:00", DAY_OFF, W),
    ];
    check_rows(&snapshot, rows);
}

#[test]
fn production_calendar_holidays_and_shortened_days() {
    let snapshot = directory();
    let holiday = |note: &'static str| DayRule::Holiday { note };
    let rows: &[Row] = &[
        // 11 May: Monday, a day off transferred from 9 May.
        (
            "minzdrav",
            "2026-05-11T10:00:00+08:00",
            DAY_OFF,
            DayRule::DayOff {
                note: "Перенос выходного дня с 9 мая",
            },
        ),
        // 9 Jan: Friday, a day off transferred from 3 Jan.
        (
            "minzdrav",
            "2026-01-09T10:00:00+08:00",
            DAY_OFF,
            DayRule::DayOff {
                note: "Перенос выходного дня с субботы 3 января на пятницу 9 января",
            },
        ),
        // 9 May falls on a Saturday: the hospital, open on Saturdays, closes for it.
        (
            "hospital",
            "2026-05-09T10:00:00+08:00",
            DAY_OFF,
            holiday("День Победы"),
        ),
        // 8 May: shortened, the last interval ends at 17:00 instead of 18:00.
        (
            "minzdrav",
            "2026-05-08T12:59:59+08:00",
            open("09:00", "13:00"),
            SHORTENED,
        ),
        (
            "minzdrav",
            "2026-05-08T16:59:59+08:00",
            open("14:00", "17:00"),
            SHORTENED,
        ),
        (
            "minzdrav",
            "2026-05-08T17:00:00+08:00",
            after("17:00"),
            SHORTENED,
        ),
        (
            "hospital",
            "2026-05-08T18:59:59+08:00",
            open("08:00", "19:00"),
            SHORTENED,
        ),
        (
            "hospital",
            "2026-05-08T19:00:00+08:00",
            after("19:00"),
            SHORTENED,
        ),
        // 30 April (Thursday) too.
        (
            "angarsk",
            "2026-04-30T15:59:59+08:00",
            open("13:00", "16:00"),
            SHORTENED,
        ),
        (
            "angarsk",
            "2026-04-30T16:00:00+08:00",
            after("16:00"),
            SHORTENED,
        ),
        // An ordinary Friday for comparison.
        (
            "minzdrav",
            "2026-05-15T17:30:00+08:00",
            open("14:00", "18:00"),
            DayRule::WeeklyHours,
        ),
    ];
    check_rows(&snapshot, rows);
}

#[test]
fn transferred_working_day_takes_the_named_weekday_hours() {
    let mut snapshot = raw_directory();
    // 2026 has no transferred working day; add one (Saturday 28 Nov with Friday hours)
    // and one without an explicit weekday (Sunday 29 Nov, Monday hours by default).
    let note = "Рабочий день (перенос)";
    snapshot.calendar.days.insert(
        date("2026-11-28"),
        CalendarDay::Working {
            hours_of_weekday: 5,
            note: note.into(),
        },
    );
    snapshot.calendar.days.insert(
        date("2026-11-29"),
        CalendarDay::Working {
            hours_of_weekday: 1,
            note: note.into(),
        },
    );
    change_organisation(&mut snapshot, "polyclinic", |org| {
        org.weekly_hours.days[4] = vec![interval("10:00", "15:00")]; // Friday shorter
    });
    let snapshot = snapshot.validated().expect("valid");
    let friday = DayRule::TransferredWorkingDay {
        hours_of: Weekday::Fri,
        shortened: false,
        note,
    };
    let monday = DayRule::TransferredWorkingDay {
        hours_of: Weekday::Mon,
        shortened: false,
        note,
    };
    let rows: &[Row] = &[
        (
            "minzdrav",
            "2026-11-28T09:00:00+08:00",
            open("09:00", "13:00"),
            friday,
        ),
        (
            "polyclinic",
            "2026-11-28T14:59:59+08:00",
            open("10:00", "15:00"),
            friday,
        ),
        (
            "polyclinic",
            "2026-11-28T15:00:00+08:00",
            after("15:00"),
            friday,
        ),
        (
            "polyclinic",
            "2026-11-29T15:30:00+08:00",
            open("10:00", "16:00"),
            monday,
        ),
        // The hospital is closed on Sundays; Monday hours make it open.
        (
            "hospital",
            "2026-11-29T19:59:59+08:00",
            open("08:00", "20:00"),
            monday,
        ),
    ];
    check_rows(&snapshot, rows);
}

#[test]
fn shortened_day_drops_an_interval_it_empties_and_shortens_midnight() {
    let mut snapshot = raw_directory();
    change_organisation(&mut snapshot, "angarsk", |org| {
        // Friday: a short evening reception that a shortened day removes entirely.
        org.weekly_hours.days[4] = vec![interval("09:00", "13:00"), interval("17:00", "17:30")];
    });
    change_organisation(&mut snapshot, "vladivostok", |org| {
        org.time_zone = chrono_tz::Asia::Irkutsk;
        org.weekly_hours = hours(&[1, 2, 3, 4, 5, 6, 7], &[interval("00:00", "24:00")]);
    });
    let snapshot = snapshot.validated().expect("valid");
    let rows: &[Row] = &[
        (
            "angarsk",
            "2026-05-08T12:59:59+08:00",
            open("09:00", "13:00"),
            SHORTENED,
        ),
        (
            "angarsk",
            "2026-05-08T17:10:00+08:00",
            after("13:00"),
            SHORTENED,
        ),
        (
            "angarsk",
            "2026-05-15T17:10:00+08:00",
            open("17:00", "17:30"),
            DayRule::WeeklyHours,
        ),
        // Round the clock, following the calendar: 24:00 becomes 23:00.
        (
            "vladivostok",
            "2026-05-08T22:59:59+08:00",
            open("00:00", "23:00"),
            SHORTENED,
        ),
        (
            "vladivostok",
            "2026-05-08T23:00:00+08:00",
            after("23:00"),
            SHORTENED,
        ),
        (
            "vladivostok",
            "2026-05-07T23:59:59+08:00",
            open("00:00", "24:00"),
            DayRule::WeeklyHours,
        ),
    ];
    check_rows(&snapshot, rows);
}

#[test]
fn overrides_replace_the_calendar_and_the_week() {
    let mut snapshot = raw_directory();
    change_organisation(&mut snapshot, "minzdrav", |org| {
        org.overrides.insert(
            date("2026-05-13"),
            ScheduleOverride::Closed {
                note: "санитарный день".into(),
            },
        );
        org.overrides.insert(
            date("2026-05-09"),
            ScheduleOverride::Hours {
                intervals: vec![interval("10:00", "14:00")],
                note: "дежурство в праздник".into(),
            },
        );
        // A shortened day with its own hours: the override wins, no hour is cut.
        org.overrides.insert(
            date("2026-05-08"),
            ScheduleOverride::Hours {
                intervals: vec![interval("09:00", "18:00")],
                note: "без обеда".into(),
            },
        );
    });
    let snapshot = snapshot.validated().expect("valid");
    let duty = DayRule::OverrideHours {
        note: "дежурство в праздник",
    };
    let rows: &[Row] = &[
        (
            "minzdrav",
            "2026-05-13T10:00:00+08:00",
            DAY_OFF,
            DayRule::OverrideClosed {
                note: "санитарный день",
            },
        ),
        (
            "minzdrav",
            "2026-05-09T09:59:59+08:00",
            before("10:00"),
            duty,
        ),
        (
            "minzdrav",
            "2026-05-09T10:00:00+08:00",
            open("10:00", "14:00"),
            duty,
        ),
        (
            "minzdrav",
            "2026-05-09T14:00:00+08:00",
            after("14:00"),
            duty,
        ),
        (
            "minzdrav",
            "2026-05-08T17:30:00+08:00",
            open("09:00", "18:00"),
            DayRule::OverrideHours {
                note: "без обеда"
            },
        ),
        // Other organisations are not affected.
        (
            "minsoc",
            "2026-05-13T10:00:00+08:00",
            open("09:00", "13:00"),
            DayRule::WeeklyHours,
        ),
    ];
    check_rows(&snapshot, rows);
}

#[test]
fn an_organisation_ignoring_the_calendar_works_on_holidays() {
    let mut snapshot = raw_directory();
    change_organisation(&mut snapshot, "hospital", |org| {
        org.follows_production_calendar = false;
    });
    let snapshot = snapshot.validated().expect("valid");
    let rows: &[Row] = &[
        (
            "hospital",
            "2026-05-09T10:00:00+08:00",
            open("08:00", "20:00"),
            DayRule::WeeklyHours,
        ),
        // No shortened day either.
        (
            "hospital",
            "2026-05-08T19:30:00+08:00",
            open("08:00", "20:00"),
            DayRule::WeeklyHours,
        ),
        // But its weekly hours still apply: closed on Sunday.
        (
            "hospital",
            "2026-05-10T10:00:00+08:00",
            DAY_OFF,
            DayRule::WeeklyHours,
        ),
    ];
    check_rows(&snapshot, rows);
}

#[test]
fn time_zones_read_hours_and_dates_locally() {
    let mut snapshot = raw_directory();
    // A round-the-clock duty service in Vladivostok (UTC+10) and another in Irkutsk
    // (UTC+8), both following the calendar, and a Moscow office (UTC+3).
    let round_the_clock = hours(&[1, 2, 3, 4, 5, 6, 7], &[interval("00:00", "24:00")]);
    change_organisation(&mut snapshot, "vladivostok", |org| {
        org.weekly_hours = round_the_clock.clone();
    });
    change_organisation(&mut snapshot, "hospital", |org| {
        org.weekly_hours = round_the_clock.clone();
    });
    change_organisation(&mut snapshot, "angarsk", |org| {
        org.time_zone = chrono_tz::Europe::Moscow;
        org.weekly_hours = office_hours();
    });
    let snapshot = snapshot.validated().expect("valid");
    let full_day = open("00:00", "24:00");
    let rows: &[Row] = &[
        // 15:30 UTC on 11 May: Irkutsk 23:30 Monday 11 May (a holiday), Vladivostok
        // already 01:30 Tuesday 12 May (an ordinary day).
        (
            "hospital",
            "2026-05-11T15:30:00Z",
            DAY_OFF,
            DayRule::DayOff {
                note: "Перенос выходного дня с 9 мая",
            },
        ),
        (
            "vladivostok",
            "2026-05-11T15:30:00Z",
            full_day,
            DayRule::WeeklyHours,
        ),
        // 13:30 UTC on 8 May: Irkutsk 21:30 on the shortened Friday (open until 23:00),
        // Vladivostok 23:30 on it (closed since 23:00).
        (
            "hospital",
            "2026-05-08T13:30:00Z",
            open("00:00", "23:00"),
            SHORTENED,
        ),
        (
            "vladivostok",
            "2026-05-08T13:30:00Z",
            after("23:00"),
            SHORTENED,
        ),
        // 05:30 UTC on Tuesday 12 May: Moscow 08:30 (not yet open), Irkutsk 13:30
        // (lunch).
        (
            "angarsk",
            "2026-05-12T05:30:00Z",
            before("09:00"),
            DayRule::WeeklyHours,
        ),
        (
            "minzdrav",
            "2026-05-12T05:30:00Z",
            lunch_until("14:00"),
            DayRule::WeeklyHours,
        ),
        (
            "angarsk",
            "2026-05-12T06:00:00Z",
            open("09:00", "13:00"),
            DayRule::WeeklyHours,
        ),
    ];
    check_rows(&snapshot, rows);
}

/// An organisation in Berlin whose hours straddle the DST transitions (02:00–03:00
/// local is skipped on 29 March 2026 and happens twice on 25 October 2026).
fn berlin(weekly_hours: WeeklyHours) -> Organisation {
    let mut org = in_zone(
        organisation(
            "berlin",
            "Vertretung in Berlin",
            OrganisationKind::RegionalAgency,
            None,
            weekly_hours,
        ),
        chrono_tz::Europe::Berlin,
    );
    org.follows_production_calendar = false;
    org
}

const EVERY_DAY: &[usize] = &[1, 2, 3, 4, 5, 6, 7];

#[test]
fn daylight_saving_time_status() {
    let calendar = ProductionCalendar::default();
    let org = berlin(hours(EVERY_DAY, &[interval("02:30", "04:00")]));
    let state = |instant: &str| org.status_at(&calendar, at(instant)).state;
    // Spring: 00:59:59 UTC is 01:59:59 CET; one second later it is 03:00 CEST.
    assert_eq!(state("2026-03-29T00:59:59Z"), before("02:30"));
    assert_eq!(state("2026-03-29T01:00:00Z"), open("02:30", "04:00"));
    assert_eq!(state("2026-03-29T01:59:59Z"), open("02:30", "04:00"));
    assert_eq!(state("2026-03-29T02:00:00Z"), after("04:00"));
    // Autumn: 02:30 local comes twice, at 00:30 UTC (CEST) and 01:30 UTC (CET); in
    // between the clocks show 02:00–02:30 again, before the opening time.
    assert_eq!(state("2026-10-25T00:30:00Z"), open("02:30", "04:00"));
    assert_eq!(state("2026-10-25T01:15:00Z"), before("02:30"));
    assert_eq!(state("2026-10-25T01:30:00Z"), open("02:30", "04:00"));
    assert_eq!(state("2026-10-25T03:00:00Z"), after("04:00"));
}

#[test]
fn daylight_saving_time_next_opening() {
    let calendar = ProductionCalendar::default();
    let night = berlin(hours(EVERY_DAY, &[interval("02:30", "04:00")]));
    let next = |org: &Organisation, instant: &str| {
        org.next_opening(&calendar, at(instant), 14)
            .map(|opening| (opening.at, opening.local))
    };
    let local = |text: &str| {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("local time")
    };
    // 02:30 does not exist on 29 March: it opens when the clocks jump, at 03:00 CEST.
    assert_eq!(
        next(&night, "2026-03-29T00:00:00Z"),
        Some((at("2026-03-29T01:00:00Z"), local("2026-03-29 03:00:00")))
    );
    // 25 October: before the first 02:30 → the first (CEST); between the two → the
    // second (CET).
    assert_eq!(
        next(&night, "2026-10-25T00:10:00Z"),
        Some((at("2026-10-25T00:30:00Z"), local("2026-10-25 02:30:00")))
    );
    assert_eq!(
        next(&night, "2026-10-25T01:10:00Z"),
        Some((at("2026-10-25T01:30:00Z"), local("2026-10-25 02:30:00")))
    );
    // An interval lying wholly in the skipped hour does not happen that day.
    let gap_only = berlin(hours(EVERY_DAY, &[interval("02:00", "02:45")]));
    assert_eq!(
        next(&gap_only, "2026-03-28T23:30:00Z"),
        Some((at("2026-03-30T00:00:00Z"), local("2026-03-30 02:00:00")))
    );
    // An ordinary office across the spring weekend: Monday 09:00 CEST = 07:00 UTC.
    let office = berlin(hours(WEEKDAYS, &[interval("09:00", "17:00")]));
    assert_eq!(
        next(&office, "2026-03-27T17:00:00Z"),
        Some((at("2026-03-30T07:00:00Z"), local("2026-03-30 09:00:00")))
    );
}

/// One row: from, limit in days, expected opening and its rule.
type NextRow<'a> = (&'a str, u32, Option<(DateTime<Utc>, DayRule<'a>)>);

#[test]
fn next_opening_skips_holidays_and_weekends() {
    let snapshot = directory();
    let minzdrav = org_of(&snapshot, "minzdrav");
    let next = |instant: &str, limit: u32| {
        minzdrav
            .next_opening(&snapshot.calendar, at(instant), limit)
            .map(|opening| (opening.at, opening.rule))
    };
    let weekly = DayRule::WeeklyHours;
    let rows: &[NextRow<'_>] = &[
        // Open now: now.
        (
            "2026-05-12T10:00:00+08:00",
            14,
            Some((at("2026-05-12T10:00:00+08:00"), weekly)),
        ),
        // Lunch: at 14:00 the same day.
        (
            "2026-05-12T13:00:00+08:00",
            14,
            Some((at("2026-05-12T14:00:00+08:00"), weekly)),
        ),
        // Before opening.
        (
            "2026-05-12T07:00:00+08:00",
            14,
            Some((at("2026-05-12T09:00:00+08:00"), weekly)),
        ),
        // After the shortened Friday: Sat 9 (holiday), Sun 10, Mon 11 (holiday) → Tue 12.
        (
            "2026-05-08T17:00:00+08:00",
            14,
            Some((at("2026-05-12T09:00:00+08:00"), weekly)),
        ),
        // New Year's Eve: 1–9 January are days off, 10–11 a weekend → Mon 12.01 09:00.
        (
            "2025-12-31T18:00:00+08:00",
            14,
            Some((at("2026-01-12T09:00:00+08:00"), weekly)),
        ),
        // The search is bounded.
        ("2025-12-31T18:00:00+08:00", 5, None),
        // Limit 0 still looks at the rest of today.
        (
            "2026-05-12T07:00:00+08:00",
            0,
            Some((at("2026-05-12T09:00:00+08:00"), weekly)),
        ),
        ("2026-05-12T19:00:00+08:00", 0, None),
    ];
    for (instant, limit, expected) in rows {
        assert_eq!(
            next(instant, *limit),
            *expected,
            "from {instant}, limit {limit}"
        );
    }
}

#[test]
fn next_opening_on_a_shortened_day_reports_the_rule() {
    let snapshot = directory();
    let minzdrav = org_of(&snapshot, "minzdrav");
    let opening = minzdrav
        .next_opening(&snapshot.calendar, at("2026-05-08T13:30:00+08:00"), 14)
        .expect("opens after lunch");
    assert_eq!(opening.at, at("2026-05-08T14:00:00+08:00"));
    assert_eq!(opening.rule, SHORTENED);
    assert_eq!(opening.local.to_string(), "2026-05-08 14:00:00");
}

#[test]
fn is_open_agrees_with_state() {
    let snapshot = directory();
    let org = org_of(&snapshot, "minzdrav");
    let status: ScheduleStatus<'_> =
        org.status_at(&snapshot.calendar, at("2026-05-12T09:00:00+08:00"));
    assert!(status.is_open());
    let status = org.status_at(&snapshot.calendar, at("2026-05-12T13:00:00+08:00"));
    assert!(!status.is_open());
    assert_eq!(status.local.to_string(), "2026-05-12 13:00:00");
}

#[test]
fn intervals_display_like_rosters() {
    assert_eq!(interval("09:00", "13:00").to_string(), "09:00–13:00");
    assert_eq!(interval("22:00", "24:00").to_string(), "22:00–24:00");
    assert_eq!(interval("08:30:15", "09:00").to_string(), "08:30:15–09:00");
}
