//! Unit tests of the pure routing core, on a small hand-built directory and the real
//! 2026 production calendar. Virtual time only: every instant is written out.
//!
//! The directory (all Asia/Irkutsk unless noted):
//!
//! | code           | kind        | hours                                    |
//! |----------------|-------------|------------------------------------------|
//! | `minzdrav`     | agency      | Mon–Fri 09–13, 14–18                     |
//! | `hospital`     | institution | Mon–Sat 08–20 (under minzdrav)           |
//! | `polyclinic`   | institution | Mon–Fri 10–16 (under minzdrav)           |
//! | `minsoc`       | agency      | Mon–Fri 09–13, 14–18                     |
//! | `vladivostok`  | municipal   | Mon–Fri 09–18, Asia/Vladivostok          |
//! | `angarsk`      | municipal   | Mon–Fri 08–12, 13–17                     |
//!
//! Topics: `health` (minzdrav; order minzdrav 10, hospital 20 with ring-all/15 s;
//! polyclinic unlisted), `displaced` (minsoc; least-recent by default), `housing`
//! (angarsk; manual), `military` (no agency), `ecology` (minsoc; nobody on it).
//! Line 122: 1 health, 2 displaced, 3 housing, 0 specialist. Line 117: 1 military,
//! 2 health, 0 specialist.
//!
//! Files of `src/routing/tests/`:
//!
//! - `mod.rs`: this directory and the helpers every file builds on (instants, hours,
//!   staff, [`directory`], and [`decide_at`] and its kin for a policy decision).
//! - `calendar.rs`: the production calendar, the statutory rule and each shipped
//!   decree against the published calendar.
//! - `hunting.rs`: least-recent hunting, the call history that keeps its order, the
//!   cap on a call's candidates, `LastCalls`.
//! - `lint.rs`: the gaps `hotline directory check` reports.
//! - `modes.rs`: the policy's modes, candidates and settings: menu and line
//!   handling, working hours, absences, transfer modes, per-organisation settings.
//! - `output.rs`: a decision's JSON shape and text rendering.
//! - `reasons.rs`: the reasons a decision gives, in Russian and English.
//! - `schedule.rs`: working hours: holidays, shortened days, overrides, time zones.
//! - `validation.rs`: `DirectorySnapshot::validated`, each class of problem.

mod calendar;
mod hunting;
mod lint;
mod modes;
mod output;
mod reasons;
mod schedule;
mod validation;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::model::*;
use super::policy::{Decision, MenuChoice, NoRecency, RouteRequest, decide};

/// An instant from RFC 3339 text, e.g. `2026-05-12T10:00:00+08:00` (Irkutsk).
pub(crate) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad instant {text}: {e}"))
        .with_timezone(&Utc)
}

pub(super) fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|e| panic!("bad date {text}: {e}"))
}

pub(super) fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .unwrap_or_else(|e| panic!("bad time {text}: {e}"))
}

/// `[opens, closes)`; `"24:00"` closes at midnight.
pub(super) fn interval(opens: &str, closes: &str) -> Interval {
    Interval {
        opens: time(opens),
        closes: (closes != "24:00").then(|| time(closes)),
    }
}

/// The same intervals on the given ISO weekdays (1 = Monday).
pub(super) fn hours(weekdays: &[usize], intervals: &[Interval]) -> WeeklyHours {
    let mut week = WeeklyHours::default();
    for &weekday in weekdays {
        week.days[weekday - 1] = intervals.to_vec();
    }
    week
}

pub(super) const WEEKDAYS: &[usize] = &[1, 2, 3, 4, 5];

/// Mon–Fri 09:00–13:00, 14:00–18:00: the usual office with a lunch break.
pub(super) fn office_hours() -> WeeklyHours {
    hours(
        WEEKDAYS,
        &[interval("09:00", "13:00"), interval("14:00", "18:00")],
    )
}

pub(super) fn organisation(
    code: &str,
    name: &str,
    kind: OrganisationKind,
    parent: Option<&str>,
    weekly_hours: WeeklyHours,
) -> Organisation {
    Organisation {
        code: OrganisationCode(code.into()),
        name: name.into(),
        kind,
        parent: parent.map(|p| OrganisationCode(p.into())),
        time_zone: chrono_tz::Asia::Irkutsk,
        follows_production_calendar: true,
        weekly_hours,
        overrides: BTreeMap::new(),
    }
}

pub(super) fn in_zone(mut org: Organisation, zone: Tz) -> Organisation {
    org.time_zone = zone;
    org
}

/// The official 2026 calendar: the statutory rule and the decree the binary ships
/// (`calendar/2026.txt`), as a database migrated today holds it.
pub(super) fn calendar_2026() -> ProductionCalendar {
    shipped_calendar()
}

/// Every decree the binary ships, on top of the rule.
pub(super) fn shipped_calendar() -> ProductionCalendar {
    let mut calendar = ProductionCalendar::default();
    for (name, text) in crate::directory::calendar::BUNDLED_DECREES {
        let file = crate::directory::calendar::parse_calendar(text)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        calendar.decrees.extend(file.calendar().decrees);
    }
    calendar
}

pub(super) fn routing(
    transfer_mode: TransferMode,
    strategy: HuntStrategy,
    attempt_timeout_seconds: u32,
) -> TopicRouting {
    TopicRouting {
        transfer_mode,
        strategy,
        attempt_timeout_seconds,
    }
}

pub(super) fn topic(code: &str, name_ru: &str, name_en: &str, agency: Option<&str>) -> Topic {
    Topic {
        code: TopicCode(code.into()),
        name_ru: name_ru.into(),
        name_en: name_en.into(),
        agency: agency.map(|a| OrganisationCode(a.into())),
        defaults: routing(TransferMode::Automatic, HuntStrategy::Sequential, 20),
        organisations: Vec::new(),
    }
}

pub(super) fn staff(
    id: i64,
    full_name: &str,
    organisation: &str,
    topics: &[&str],
    priority: i32,
) -> ResponsibleStaff {
    ResponsibleStaff {
        id: StaffId(id),
        full_name: full_name.into(),
        position: "специалист".into(),
        organisation: OrganisationCode(organisation.into()),
        endpoint: DialTarget::parse(&format!("PJSIP/staff{id:02}")).expect("valid endpoint"),
        priority,
        active: true,
        topics: topics.iter().map(|t| TopicCode((*t).into())).collect(),
        absences: Vec::new(),
    }
}

pub(super) fn absent(
    mut person: ResponsibleStaff,
    first: &str,
    last: &str,
    reason: &str,
) -> ResponsibleStaff {
    person.absences.push(Absence {
        first_day: date(first),
        last_day: date(last),
        reason: reason.into(),
    });
    person
}

fn menu_item(digit: char, topic: Option<&str>, label: &str) -> (char, MenuItem) {
    (
        digit,
        MenuItem {
            digit,
            topic: topic.map(|t| TopicCode(t.into())),
            label_ru: label.into(),
        },
    )
}

fn line(number: &str, items: Vec<(char, MenuItem)>) -> (LineNumber, Line) {
    let number = LineNumber(number.into());
    (
        number.clone(),
        Line {
            name: format!("Линия {number}"),
            menu_prompt: format!("hotline/menu-{number}"),
            greeting_prompt: Some(format!("hotline/greeting-{number}")),
            number,
            digit_timeout_seconds: 7,
            menu_attempts: 3,
            record_calls: false,
            menu: items.into_iter().collect(),
        },
    )
}

fn specialist(id: i64, name: &str, active: bool) -> Specialist {
    Specialist {
        id: SpecialistId(id),
        full_name: name.into(),
        endpoint: DialTarget::parse(&format!("PJSIP/op{id}")).expect("valid endpoint"),
        active,
    }
}

/// The directory described in the module documentation, not yet validated, so a test
/// can change it first.
pub(super) fn raw_directory() -> DirectorySnapshot {
    use OrganisationKind::*;
    let organisations = [
        organisation(
            "minzdrav",
            "Министерство здравоохранения",
            RegionalAgency,
            None,
            office_hours(),
        ),
        organisation(
            "hospital",
            "ГБУЗ «Областная больница»",
            Institution,
            Some("minzdrav"),
            hours(&[1, 2, 3, 4, 5, 6], &[interval("08:00", "20:00")]),
        ),
        organisation(
            "polyclinic",
            "ОГАУЗ «Поликлиника № 1»",
            Institution,
            Some("minzdrav"),
            hours(WEEKDAYS, &[interval("10:00", "16:00")]),
        ),
        organisation(
            "minsoc",
            "Министерство социального развития",
            RegionalAgency,
            None,
            office_hours(),
        ),
        in_zone(
            organisation(
                "vladivostok",
                "Администрация г. Владивостока",
                MunicipalBody,
                None,
                hours(WEEKDAYS, &[interval("09:00", "18:00")]),
            ),
            chrono_tz::Asia::Vladivostok,
        ),
        organisation(
            "angarsk",
            "Администрация Ангарского округа",
            MunicipalBody,
            None,
            hours(
                WEEKDAYS,
                &[interval("08:00", "12:00"), interval("13:00", "17:00")],
            ),
        ),
    ];

    let mut health = topic("health", "Здравоохранение", "Healthcare", Some("minzdrav"));
    health.organisations = vec![
        TopicOrganisation {
            organisation: OrganisationCode("hospital".into()),
            priority: 20,
            routing: routing(TransferMode::Automatic, HuntStrategy::RingAll, 15),
        },
        TopicOrganisation {
            organisation: OrganisationCode("minzdrav".into()),
            priority: 10,
            routing: health.defaults,
        },
    ];
    let mut displaced = topic(
        "displaced",
        "Поддержка переселенцев",
        "Support of displaced people",
        Some("minsoc"),
    );
    displaced.defaults = routing(TransferMode::Automatic, HuntStrategy::LeastRecent, 25);
    let mut housing = topic("housing", "ЖКХ", "Housing", Some("angarsk"));
    housing.defaults.transfer_mode = TransferMode::Manual;
    let topics = [
        health,
        displaced,
        housing,
        topic(
            "military",
            "Контрактная служба",
            "Contract military service",
            None,
        ),
        topic("ecology", "Экология", "Ecology", Some("minsoc")),
    ];

    let mut inactive = staff(4, "Кузнецов Олег", "hospital", &["health"], 5);
    inactive.active = false;
    let people = [
        staff(1, "Иванов Иван Иванович", "minzdrav", &["health"], 10),
        absent(
            staff(2, "Петров Пётр Петрович", "minzdrav", &["health"], 20),
            "2026-05-12",
            "2026-05-15",
            "отпуск",
        ),
        staff(3, "Сидорова Анна", "hospital", &["health"], 10),
        inactive,
        staff(5, "Смирнова Ольга", "polyclinic", &["health"], 10),
        staff(6, "Орлова Мария", "minsoc", &["displaced"], 10),
        staff(7, "Волков Андрей", "minsoc", &["displaced"], 10),
        absent(
            staff(8, "Фёдоров Илья", "vladivostok", &["displaced"], 10),
            "2026-05-13",
            "2026-05-13",
            "больничный",
        ),
        absent(
            staff(9, "Морозова Елена", "angarsk", &["housing"], 10),
            "2026-05-20",
            "2026-05-22",
            "отпуск",
        ),
        staff(10, "Лебедев Павел", "minsoc", &["displaced"], 20),
    ];

    DirectorySnapshot {
        lines: [
            line(
                "122",
                vec![
                    menu_item('1', Some("health"), "Здравоохранение"),
                    menu_item('2', Some("displaced"), "Переселенцы"),
                    menu_item('3', Some("housing"), "ЖКХ"),
                    menu_item('0', None, "Специалист"),
                ],
            ),
            line(
                "117",
                vec![
                    menu_item('1', Some("military"), "Контрактная служба"),
                    menu_item('2', Some("health"), "Здравоохранение"),
                    menu_item('0', None, "Специалист"),
                ],
            ),
        ]
        .into_iter()
        .collect(),
        topics: topics
            .into_iter()
            .map(|t| (t.code.clone(), t))
            .collect::<HashMap<_, _>>(),
        organisations: organisations
            .into_iter()
            .map(|o| (o.code.clone(), Arc::new(o)))
            .collect(),
        calendar: calendar_2026(),
        staff: people.into_iter().map(Arc::new).collect(),
        specialists: vec![
            specialist(1, "Оператор Анна", true),
            specialist(2, "Оператор Борис", false),
            specialist(3, "Оператор Вера", true),
        ],
        ..Default::default()
    }
}

/// The directory, validated: what the policy normally gets.
pub(crate) fn directory() -> DirectorySnapshot {
    raw_directory()
        .validated()
        .unwrap_or_else(|e| panic!("the test directory must be valid: {e}"))
}

/// Replaces one organisation of a raw directory through `change`.
pub(super) fn change_organisation(
    snapshot: &mut DirectorySnapshot,
    code: &str,
    change: impl FnOnce(&mut Organisation),
) {
    let org = snapshot
        .organisations
        .get_mut(&OrganisationCode(code.into()))
        .unwrap_or_else(|| panic!("no organisation {code}"));
    change(Arc::make_mut(org));
}

/// A routing request: `line`, `choice`, at `instant` (RFC 3339).
pub(super) fn request(line: &str, choice: MenuChoice, instant: &str) -> RouteRequest {
    RouteRequest {
        line: LineNumber(line.into()),
        choice,
        at: at(instant),
    }
}

/// A menu digit.
pub(super) fn digit(d: char) -> MenuChoice {
    MenuChoice::Digit(d)
}

/// The policy's decision for a request, with no call history.
pub(super) fn decide_at(
    snapshot: &DirectorySnapshot,
    line: &str,
    choice: MenuChoice,
    instant: &str,
) -> Decision {
    decide(snapshot, &request(line, choice, instant), &NoRecency)
}

/// The candidates' staff ids, in order.
pub(super) fn candidate_ids(decision: &Decision) -> Vec<i64> {
    decision.candidates.iter().map(|c| c.staff.id.0).collect()
}
