//! A decision's reason in Russian and English: which rule fired, written later from
//! the facts kept, plurals, long lists cut, the missing-specialist warning, and days
//! whose status comes from the Labour Code rule alone.

use super::*;
use crate::routing::policy::{DecisionMode, ReasonText};

#[test]
fn a_reason_is_written_later_from_the_facts_the_decision_kept() {
    // `decide` keeps the facts; the words are written when read. They must not depend
    // on when that is: the same words before and after the snapshot is replaced
    // (dropped here), for every kind of reason.
    let snapshot = directory();
    let cases = [
        ("122", digit('1'), "2026-05-12T10:00:00+08:00"), // to staff
        ("122", digit('1'), "2026-05-12T21:00:00+08:00"), // after hours
        ("122", digit('3'), "2026-05-20T10:00:00+08:00"), // nobody reachable
        ("122", digit('7'), "2026-05-12T10:00:00+08:00"), // not on the menu
        ("122", digit('0'), "2026-05-12T10:00:00+08:00"), // a specialist asked for
        ("999", digit('1'), "2026-05-12T10:00:00+08:00"), // unknown line
        ("122", MenuChoice::NoInput, "2026-05-12T10:00:00+08:00"),
    ];
    let decisions: Vec<Decision> = cases
        .iter()
        .map(|(line, choice, instant)| decide_at(&snapshot, line, choice.clone(), instant))
        .collect();
    let before: Vec<ReasonText> = decisions.iter().map(|d| d.reason.texts()).collect();
    drop(snapshot);
    for ((decision, said), case) in decisions.iter().zip(&before).zip(&cases) {
        assert!(!said.ru.is_empty() && !said.en.is_empty(), "{case:?}");
        assert_eq!(&decision.reason.texts(), said, "{case:?}");
        assert_eq!(decision.reason.ru(), said.ru);
        assert_eq!(decision.reason.en(), said.en);
        assert_eq!(said.to_string(), format!("{} / {}", said.ru, said.en));
    }
    assert!(
        before[1].ru.contains("Ближайшее открытие"),
        "{}",
        before[1].ru
    );
}

#[test]
fn reasons_say_which_rule_fired() {
    let snapshot = directory();
    let reason = |line: &str, choice: MenuChoice, instant: &str| {
        decide_at(&snapshot, line, choice, instant).reason.texts()
    };

    let working = reason("122", digit('1'), "2026-05-12T10:00:00+08:00");
    assert_eq!(
        working.ru,
        "Тема «Здравоохранение»: Министерство здравоохранения работает (вт 09:00–13:00); \
         автоматический перевод, 3 сотрудника по очереди, по 20 с на попытку"
    );
    assert_eq!(
        working.en,
        "Topic “Healthcare”: Министерство здравоохранения is open (Tue 09:00–13:00); \
         automatic transfer, 3 staff one after another, 20 s per attempt"
    );

    let shortened = reason("122", digit('1'), "2026-05-08T16:00:00+08:00");
    assert!(
        shortened
            .ru
            .contains("работает (пт 14:00–17:00; предпраздничный день, на час короче)"),
        "{}",
        shortened.ru
    );
    assert!(
        shortened.en.contains("shortened pre-holiday day"),
        "{}",
        shortened.en
    );

    let lunch = reason("122", digit('1'), "2026-05-12T13:30:00+08:00");
    assert!(
        lunch
            .ru
            .contains("ГБУЗ «Областная больница» работает (вт 08:00–20:00)"),
        "{}",
        lunch.ru
    );
    assert!(
        lunch.ru.contains("2 сотрудника одновременно, по 15 с"),
        "{}",
        lunch.ru
    );

    let evening = reason("122", digit('1'), "2026-05-12T21:00:00+08:00");
    assert_eq!(
        evening.ru,
        "Тема «Здравоохранение»: нерабочее время. \
         Министерство здравоохранения не работает: рабочий день окончен в 18:00; \
         ГБУЗ «Областная больница» не работает: рабочий день окончен в 20:00; \
         ОГАУЗ «Поликлиника № 1» не работает: рабочий день окончен в 16:00. \
         Ближайшее открытие: ГБУЗ «Областная больница», ср 13.05 в 08:00. \
         Звонок принимают специалисты."
    );
    assert!(
        evening
            .en
            .contains("Next opening: ГБУЗ «Областная больница», Wed 13.05 at 08:00."),
        "{}",
        evening.en
    );

    let victory_day = reason("122", digit('1'), "2026-05-09T10:00:00+08:00");
    assert!(
        victory_day
            .ru
            .contains("нерабочий праздничный день «День Победы»"),
        "{}",
        victory_day.ru
    );
    assert!(
        victory_day.en.contains("public holiday «День Победы»"),
        "{}",
        victory_day.en
    );
    assert!(
        victory_day.ru.contains("вт 12.05 в 08:00"),
        "{}",
        victory_day.ru
    );

    let new_year = reason("122", digit('3'), "2026-01-05T10:00:00+08:00");
    assert!(
        new_year
            .ru
            .contains("Ближайшее открытие: Администрация Ангарского округа, пн 12.01 в 08:00"),
        "{}",
        new_year.ru
    );

    let leave = reason("122", digit('3'), "2026-05-20T10:00:00+08:00");
    assert_eq!(
        leave.ru,
        "Тема «ЖКХ»: Администрация Ангарского округа работает (ср 08:00–12:00), \
         но никто из ответственных не доступен: Морозова Елена — отпуск по 22.05. \
         Звонок принимают специалисты."
    );
    assert!(
        leave
            .en
            .contains("Морозова Елена — absent (отпуск) through 22.05"),
        "{}",
        leave.en
    );

    let manual = reason("122", digit('3'), "2026-05-12T10:00:00+08:00");
    assert!(manual.ru.contains("ручной перевод"), "{}", manual.ru);
    assert!(manual.en.contains("manual transfer"), "{}", manual.en);

    // The Vladivostok organisation's opening is given in its own zone.
    let night = reason("122", digit('2'), "2026-05-12T22:00:00+08:00");
    assert!(
        night.en.contains(
            "Next opening: Администрация г. Владивостока, Wed 13.05 at 09:00 (Asia/Vladivostok)."
        ),
        "{}",
        night.en
    );

    assert!(
        reason("122", digit('7'), "2026-05-12T10:00:00+08:00")
            .ru
            .contains("цифры «7» нет в меню")
    );
    assert!(
        reason("122", digit('0'), "2026-05-12T10:00:00+08:00")
            .en
            .contains("digit '0' («Специалист») asks for a specialist")
    );
    assert!(
        reason("117", digit('1'), "2026-05-12T10:00:00+08:00")
            .ru
            .starts_with("Тема «Контрактная служба»: у темы нет ответственного ведомства")
    );
    assert!(
        reason("999", digit('1'), "2026-05-12T10:00:00+08:00")
            .en
            .starts_with("Line 999 is not in the directory.")
    );
    assert!(
        reason("122", MenuChoice::NoInput, "2026-05-12T10:00:00+08:00")
            .en
            .contains("chose nothing")
    );
    assert!(
        reason(
            "122",
            MenuChoice::Topic(TopicCode("weather".into())),
            "2026-05-12T10:00:00+08:00"
        )
        .en
        .contains("`weather`")
    );
}

#[test]
fn russian_plurals_in_reasons() {
    let snapshot = directory();
    let count_phrase = |instant: &str| decide_at(&snapshot, "122", digit('1'), instant).reason.ru();
    assert!(count_phrase("2026-05-16T10:00:00+08:00").contains("1 сотрудник одновременно"));
    assert!(count_phrase("2026-05-12T13:30:00+08:00").contains("2 сотрудника"));
    let mut big = raw_directory();
    for id in 20..25 {
        big.staff.push(Arc::new(staff(
            id,
            "Доп. сотрудник",
            "minzdrav",
            &["health"],
            50,
        )));
    }
    let big = big.validated().expect("valid");
    let reason = decide_at(&big, "122", digit('1'), "2026-05-12T10:00:00+08:00")
        .reason
        .ru();
    assert!(reason.contains("8 сотрудников"), "{reason}");
}

#[test]
fn long_lists_in_reasons_are_cut_after_three() {
    let mut snapshot = raw_directory();
    let clinic = organisation(
        "clinic",
        "ОГБУЗ «Клиника»",
        OrganisationKind::Institution,
        Some("minzdrav"),
        hours(WEEKDAYS, &[interval("08:00", "20:00")]),
    );
    snapshot
        .organisations
        .insert(clinic.code.clone(), Arc::new(clinic));
    snapshot.staff.push(Arc::new(staff(
        11,
        "Белова Ирина",
        "clinic",
        &["health"],
        1,
    )));
    for id in 12..16 {
        let person = staff(id, &format!("Сотрудник {id}"), "angarsk", &["housing"], 20);
        snapshot.staff.push(Arc::new(absent(
            person,
            "2026-05-20",
            "2026-05-20",
            "учёба",
        )));
    }
    let snapshot = snapshot.validated().expect("valid");

    let evening = decide_at(&snapshot, "122", digit('1'), "2026-05-12T21:00:00+08:00")
        .reason
        .texts();
    assert!(!evening.ru.contains("Поликлиника"), "{}", evening.ru);
    assert!(
        evening.ru.contains("; и ещё 1 организация."),
        "{}",
        evening.ru
    );
    assert!(evening.en.contains("; and 1 more."), "{}", evening.en);

    let decision = decide_at(&snapshot, "122", digit('3'), "2026-05-20T10:00:00+08:00");
    assert_eq!(decision.mode, DecisionMode::NobodyReachable);
    assert!(
        decision.reason.ru().contains(
            "Морозова Елена — отпуск по 22.05; Сотрудник 12 — учёба по 20.05; \
             Сотрудник 13 — учёба по 20.05; и ещё 2 сотрудника."
        ),
        "{}",
        decision.reason.ru()
    );
}

#[test]
fn no_active_specialist_is_flagged_in_every_reason() {
    let mut snapshot = raw_directory();
    for specialist in &mut snapshot.specialists {
        specialist.active = false;
    }
    let snapshot = snapshot.validated().expect("valid");
    let decision = decide_at(&snapshot, "122", digit('1'), "2026-05-12T10:00:00+08:00");
    assert!(decision.fallback.is_empty());
    assert!(
        decision
            .reason
            .ru()
            .ends_with("ВНИМАНИЕ: нет ни одного активного специалиста.")
    );
    assert!(
        decision
            .reason
            .en()
            .ends_with("WARNING: there is no active specialist.")
    );
}

#[test]
fn reasons_say_when_a_days_status_comes_from_the_rule_alone() {
    let mut unconfirmed = raw_directory();
    unconfirmed.calendar.decrees.remove(&2027);
    let unconfirmed = unconfirmed.validated().expect("valid");
    let confirmed = directory();
    let holiday = "2027-01-04T11:00:00+08:00";

    let by_rule = decide_at(&unconfirmed, "122", digit('1'), holiday);
    assert_eq!(by_rule.mode, DecisionMode::AfterHours);
    let text = by_rule.reason.texts();
    assert!(
        text.ru.contains(
            "Министерство здравоохранения не работает: нерабочий праздничный день «Новогодние каникулы» \
             по производственному календарю (правило ТК РФ, постановление на 2027 год не загружено)"
        ),
        "{}",
        text.ru
    );
    assert!(
        text.en.contains(
            "by the production calendar (Labour Code rule, the 2027 decree is not loaded)"
        ),
        "{}",
        text.en
    );
    // The next opening is read by the rule too, and says so.
    assert!(
        text.ru.contains(
            "Ближайшее открытие: ГБУЗ «Областная больница», сб 09.01 в 08:00, по производственному календарю"
        ),
        "{}",
        text.ru
    );

    // With the decree loaded the same day is a holiday on its authority, no warning.
    let decreed = decide_at(&confirmed, "122", digit('1'), holiday);
    assert_eq!(decreed.mode, DecisionMode::AfterHours);
    let text = decreed.reason.texts();
    assert!(text.ru.contains("«Новогодние каникулы»"), "{}", text.ru);
    assert!(!text.ru.contains("не загружено"), "{}", text.ru);

    // An ordinary working day of an unconfirmed year is flagged as well: the decree
    // may yet move it.
    let working = decide_at(&unconfirmed, "122", digit('1'), "2027-01-12T10:00:00+08:00");
    assert_eq!(working.mode, DecisionMode::Automatic);
    assert!(
        working
            .reason
            .ru()
            .contains("работает (вт 09:00–13:00; по производственному календарю (правило ТК РФ"),
        "{}",
        working.reason.ru()
    );
}
