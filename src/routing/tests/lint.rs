//! `lint::check`: the gaps `hotline directory check` reports.

use super::*;
use crate::routing::lint::{Gap, Unreachable, UnreachableWhy, check};

fn messages(gaps: &[Gap]) -> Vec<String> {
    gaps.iter().map(ToString::to_string).collect()
}

#[test]
fn a_week_with_a_leave_nobody_covers() {
    let gaps = check(&directory(), date("2026-05-18"), 7);
    let expected: Vec<String> = [
        "ecology («Экология»): no organisation has staff on the topic (нет ответственных сотрудников)",
        "housing: Администрация Ангарского округа 2026-05-20 08:00–12:00 nobody reachable (Морозова Елена absent (отпуск) until 2026-05-22)",
        "housing: Администрация Ангарского округа 2026-05-20 13:00–17:00 nobody reachable (Морозова Елена absent (отпуск) until 2026-05-22)",
        "housing: Администрация Ангарского округа 2026-05-21 08:00–12:00 nobody reachable (Морозова Елена absent (отпуск) until 2026-05-22)",
        "housing: Администрация Ангарского округа 2026-05-21 13:00–17:00 nobody reachable (Морозова Елена absent (отпуск) until 2026-05-22)",
        "housing: Администрация Ангарского округа 2026-05-22 08:00–12:00 nobody reachable (Морозова Елена absent (отпуск) until 2026-05-22)",
        "housing: Администрация Ангарского округа 2026-05-22 13:00–17:00 nobody reachable (Морозова Елена absent (отпуск) until 2026-05-22)",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(messages(&gaps), expected);
    assert_eq!(
        gaps[1],
        Gap::NobodyReachable {
            topic: TopicCode("housing".into()),
            organisation: OrganisationCode("angarsk".into()),
            organisation_name: "Администрация Ангарского округа".into(),
            date: date("2026-05-20"),
            interval: interval("08:00", "12:00"),
            unreachable: vec![Unreachable {
                name: "Морозова Елена".into(),
                why: UnreachableWhy::Absent {
                    reason: "отпуск".into(),
                    last_day: date("2026-05-22"),
                },
            }],
        }
    );
}

#[test]
fn absences_are_read_per_organisation_and_holidays_are_skipped() {
    let mut snapshot = raw_directory();
    let ivanov = snapshot
        .staff
        .iter_mut()
        .find(|s| s.id == StaffId(1))
        .expect("staff 1");
    Arc::make_mut(ivanov).absences.push(Absence {
        first_day: date("2026-05-13"),
        last_day: date("2026-05-13"),
        reason: "командировка".into(),
    });
    let hospital_nurse = snapshot
        .staff
        .iter_mut()
        .find(|s| s.id == StaffId(3))
        .expect("staff 3");
    Arc::make_mut(hospital_nurse).absences.push(Absence {
        first_day: date("2026-05-09"),
        last_day: date("2026-05-09"),
        reason: String::new(),
    });
    let snapshot = snapshot.validated().expect("valid");
    // 9–15 May: 9 May is a holiday (the hospital is closed, so Сидорова's day off is no
    // gap), 11 May too; on 13 May neither ministry person is there; Фёдоров is off in
    // Vladivostok.
    let gaps = check(&snapshot, date("2026-05-09"), 7);
    assert_eq!(
        messages(&gaps),
        [
            "displaced: Администрация г. Владивостока 2026-05-13 09:00–18:00 nobody reachable (Фёдоров Илья absent (больничный) until 2026-05-13)",
            "ecology («Экология»): no organisation has staff on the topic (нет ответственных сотрудников)",
            "health: Министерство здравоохранения 2026-05-13 09:00–13:00 nobody reachable (Иванов Иван Иванович absent (командировка) until 2026-05-13; Петров Пётр Петрович absent (отпуск) until 2026-05-15)",
            "health: Министерство здравоохранения 2026-05-13 14:00–18:00 nobody reachable (Иванов Иван Иванович absent (командировка) until 2026-05-13; Петров Пётр Петрович absent (отпуск) until 2026-05-15)",
        ]
    );
}

#[test]
fn inactive_staff_leave_a_gap() {
    let mut snapshot = raw_directory();
    let sidorova = snapshot
        .staff
        .iter_mut()
        .find(|s| s.id == StaffId(3))
        .expect("staff 3");
    Arc::make_mut(sidorova).active = false;
    let snapshot = snapshot.validated().expect("valid");
    // Saturday 16 May: only the hospital works, and nobody there is active. The other
    // topics' offices are all closed on a Saturday.
    let gaps = check(&snapshot, date("2026-05-16"), 1);
    assert_eq!(
        messages(&gaps),
        [
            "displaced («Поддержка переселенцев»): none of its organisations is open from 2026-05-16 to 2026-05-16 (ни одна организация не работает)",
            "ecology («Экология»): no organisation has staff on the topic (нет ответственных сотрудников)",
            "health: ГБУЗ «Областная больница» 2026-05-16 08:00–20:00 nobody reachable (Кузнецов Олег inactive; Сидорова Анна inactive)",
            "housing («ЖКХ»): none of its organisations is open from 2026-05-16 to 2026-05-16 (ни одна организация не работает)",
        ]
    );
}

#[test]
fn topics_never_open_over_the_new_year_holidays() {
    let gaps = check(&directory(), date("2026-01-01"), 8);
    let never_open: Vec<String> = gaps
        .iter()
        .filter(|gap| matches!(gap, Gap::TopicNeverOpen { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        never_open,
        [
            "displaced («Поддержка переселенцев»): none of its organisations is open from 2026-01-01 to 2026-01-08 (ни одна организация не работает)",
            "health («Здравоохранение»): none of its organisations is open from 2026-01-01 to 2026-01-08 (ни одна организация не работает)",
            "housing («ЖКХ»): none of its organisations is open from 2026-01-01 to 2026-01-08 (ни одна организация не работает)",
        ]
    );
    // Adding 12 January (a Monday) opens them.
    let gaps = check(&directory(), date("2026-01-01"), 12);
    assert!(
        !gaps
            .iter()
            .any(|gap| matches!(gap, Gap::TopicNeverOpen { .. })),
        "{gaps:#?}"
    );
}

#[test]
fn menus_that_lead_nowhere_and_no_specialists() {
    let mut snapshot = raw_directory();
    let line_122 = snapshot
        .lines
        .get_mut(&LineNumber("122".into()))
        .expect("line 122");
    line_122.menu.insert(
        '5',
        MenuItem {
            digit: '5',
            topic: Some(TopicCode("helth".into())),
            label_ru: "Опечатка".into(),
        },
    );
    let mut empty = snapshot.lines[&LineNumber("117".into())].clone();
    empty.number = LineNumber("100".into());
    empty.menu.clear();
    snapshot.lines.insert(empty.number.clone(), empty);
    for specialist in &mut snapshot.specialists {
        specialist.active = false;
    }
    // Not validated (it would be refused); the lint still reports what it can.
    let gaps = check(&snapshot, date("2026-05-18"), 1);
    let messages = messages(&gaps);
    assert_eq!(
        messages[0],
        "line 100: the menu is empty (в меню нет ни одного пункта)"
    );
    assert_eq!(
        messages[1],
        "line 122: digit 5 leads to unknown topic `helth` (цифра ведёт к несуществующей теме)"
    );
    assert_eq!(
        messages.last().map(String::as_str),
        Some(
            "no active contact-center specialist: nobody takes the calls staff cannot (нет активных специалистов)"
        )
    );
    assert_eq!(gaps.last(), Some(&Gap::NoActiveSpecialists));
}

#[test]
fn a_zero_day_range_checks_only_the_structure() {
    let gaps = check(&directory(), date("2026-05-20"), 0);
    assert_eq!(
        messages(&gaps),
        [
            "ecology («Экология»): no organisation has staff on the topic (нет ответственных сотрудников)"
        ]
    );
}
