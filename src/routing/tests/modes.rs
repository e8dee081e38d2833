//! The routing policy's modes, candidates and settings: menu and line handling,
//! working hours (lunch, Saturdays, holidays, the New Year break), absences and
//! inactive staff, transfer modes and the per-organisation settings that apply.

use super::*;
use crate::routing::policy::DecisionMode;

/// One row: line, choice, instant, expected mode, candidate ids, strategy, timeout.
type Row = (
    &'static str,
    MenuChoice,
    &'static str,
    DecisionMode,
    &'static [i64],
    Option<HuntStrategy>,
    Option<u32>,
);

#[test]
fn modes_candidates_and_settings() {
    use DecisionMode::*;
    use HuntStrategy::*;
    let snapshot = directory();
    let rows: Vec<Row> = vec![
        // Tuesday 12 May, 10:00 Irkutsk: minzdrav (Петров on leave 12–15 May), then the
        // hospital (Кузнецов inactive), then the unlisted polyclinic (opens at 10:00).
        (
            "122",
            digit('1'),
            "2026-05-12T10:00:00+08:00",
            Automatic,
            &[1, 3, 5],
            Some(Sequential),
            Some(20),
        ),
        // 09:30: the polyclinic is not open yet — an agency open, its institution closed.
        (
            "122",
            digit('1'),
            "2026-05-12T09:30:00+08:00",
            Automatic,
            &[1, 3],
            Some(Sequential),
            Some(20),
        ),
        // Lunch at the ministry: its institutions are open; the hospital now comes
        // first, so its ring-all and 15 s apply.
        (
            "122",
            digit('1'),
            "2026-05-12T13:00:00+08:00",
            Automatic,
            &[3, 5],
            Some(RingAll),
            Some(15),
        ),
        (
            "122",
            digit('1'),
            "2026-05-12T12:59:59+08:00",
            Automatic,
            &[1, 3, 5],
            Some(Sequential),
            Some(20),
        ),
        (
            "122",
            digit('1'),
            "2026-05-12T14:00:00+08:00",
            Automatic,
            &[1, 3, 5],
            Some(Sequential),
            Some(20),
        ),
        // Saturday: only the hospital works.
        (
            "122",
            digit('1'),
            "2026-05-16T10:00:00+08:00",
            Automatic,
            &[3],
            Some(RingAll),
            Some(15),
        ),
        // Line 117 has health under digit 2.
        (
            "117",
            digit('2'),
            "2026-05-16T10:00:00+08:00",
            Automatic,
            &[3],
            Some(RingAll),
            Some(15),
        ),
        // A topic chosen directly.
        (
            "122",
            MenuChoice::Topic(TopicCode("health".into())),
            "2026-05-16T10:00:00+08:00",
            Automatic,
            &[3],
            Some(RingAll),
            Some(15),
        ),
        // Evening: everyone closed.
        (
            "122",
            digit('1'),
            "2026-05-12T21:00:00+08:00",
            AfterHours,
            &[],
            None,
            None,
        ),
        // Holidays: 9 May (the hospital would work a Saturday) and 11 May.
        (
            "122",
            digit('1'),
            "2026-05-09T10:00:00+08:00",
            AfterHours,
            &[],
            None,
            None,
        ),
        (
            "122",
            digit('1'),
            "2026-05-11T10:00:00+08:00",
            AfterHours,
            &[],
            None,
            None,
        ),
        // Shortened 8 May: at 17:00 the ministry has closed, the hospital (until 19:00)
        // has not; the polyclinic closed at 15:00 instead of 16:00.
        (
            "122",
            digit('1'),
            "2026-05-08T14:59:59+08:00",
            Automatic,
            &[1, 2, 3, 5],
            Some(Sequential),
            Some(20),
        ),
        (
            "122",
            digit('1'),
            "2026-05-08T16:59:59+08:00",
            Automatic,
            &[1, 2, 3],
            Some(Sequential),
            Some(20),
        ),
        (
            "122",
            digit('1'),
            "2026-05-08T17:00:00+08:00",
            Automatic,
            &[3],
            Some(RingAll),
            Some(15),
        ),
        (
            "122",
            digit('1'),
            "2026-05-08T19:00:00+08:00",
            AfterHours,
            &[],
            None,
            None,
        ),
        // Displaced: minsoc (same priority → id order, then Лебедев), least-recent by
        // default; no history means the ordinary order. Vladivostok is open as well.
        (
            "122",
            digit('2'),
            "2026-05-12T10:00:00+08:00",
            Automatic,
            &[6, 7, 10, 8],
            Some(LeastRecent),
            Some(25),
        ),
        // 08:30 Irkutsk = 10:30 Vladivostok: only Vladivostok is open.
        (
            "122",
            digit('2'),
            "2026-05-12T08:30:00+08:00",
            Automatic,
            &[8],
            Some(LeastRecent),
            Some(25),
        ),
        // Housing is manual; the candidates are still listed for the specialist.
        (
            "122",
            digit('3'),
            "2026-05-12T10:00:00+08:00",
            Manual,
            &[9],
            Some(Sequential),
            Some(20),
        ),
        // Морозова on leave 20–22 May: the office is open but nobody is reachable.
        (
            "122",
            digit('3'),
            "2026-05-20T10:00:00+08:00",
            NobodyReachable,
            &[],
            None,
            None,
        ),
        (
            "122",
            digit('3'),
            "2026-05-22T16:59:59+08:00",
            NobodyReachable,
            &[],
            None,
            None,
        ),
        (
            "122",
            digit('3'),
            "2026-05-25T08:00:00+08:00",
            Manual,
            &[9],
            Some(Sequential),
            Some(20),
        ),
        // Lunch at Angarsk (12–13) is after hours for housing, not "nobody reachable".
        (
            "122",
            digit('3'),
            "2026-05-20T12:30:00+08:00",
            AfterHours,
            &[],
            None,
            None,
        ),
        // Menu outcomes.
        (
            "122",
            digit('0'),
            "2026-05-12T10:00:00+08:00",
            SpecialistRequested,
            &[],
            None,
            None,
        ),
        (
            "122",
            digit('7'),
            "2026-05-12T10:00:00+08:00",
            InvalidDigit,
            &[],
            None,
            None,
        ),
        (
            "122",
            MenuChoice::NoInput,
            "2026-05-12T10:00:00+08:00",
            NoInput,
            &[],
            None,
            None,
        ),
        (
            "117",
            digit('1'),
            "2026-05-12T10:00:00+08:00",
            SpecialistTopic,
            &[],
            None,
            None,
        ),
        (
            "999",
            digit('1'),
            "2026-05-12T10:00:00+08:00",
            UnknownLine,
            &[],
            None,
            None,
        ),
        (
            "122",
            MenuChoice::Topic(TopicCode("weather".into())),
            "2026-05-12T10:00:00+08:00",
            UnknownTopic,
            &[],
            None,
            None,
        ),
        // A topic with an agency but nobody on it.
        (
            "122",
            MenuChoice::Topic(TopicCode("ecology".into())),
            "2026-05-12T10:00:00+08:00",
            NobodyReachable,
            &[],
            None,
            None,
        ),
    ];
    for (line, choice, instant, mode, ids, strategy, timeout) in rows {
        let decision = decide_at(&snapshot, line, choice.clone(), instant);
        let context = format!("{line} {choice:?} at {instant}: {}", decision.reason.en());
        assert_eq!(decision.mode, mode, "{context}");
        assert_eq!(candidate_ids(&decision), ids, "{context}");
        assert_eq!(decision.strategy, strategy, "{context}");
        assert_eq!(decision.attempt_timeout_seconds, timeout, "{context}");
        // The fallback is always the active specialists by id.
        let fallback: Vec<&str> = decision
            .fallback
            .iter()
            .map(|s| s.endpoint.as_str())
            .collect();
        assert_eq!(fallback, ["PJSIP/op1", "PJSIP/op3"], "{context}");
        assert_eq!(decision.at, at(instant));
        assert_eq!(decision.line, LineNumber(line.into()));
    }
}

#[test]
fn absences_count_whole_local_days_inclusive() {
    let snapshot = directory();
    let health = |instant: &str| candidate_ids(&decide_at(&snapshot, "122", digit('1'), instant));
    // Петров (2) is away 12–15 May inclusive.
    assert_eq!(health("2026-05-08T09:00:00+08:00"), [1, 2, 3]);
    assert_eq!(health("2026-05-12T09:00:00+08:00"), [1, 3], "first day");
    assert_eq!(health("2026-05-15T15:59:59+08:00"), [1, 3, 5], "last day");
    assert_eq!(health("2026-05-18T09:00:00+08:00"), [1, 2, 3], "back");

    // Фёдоров (8, Vladivostok) is away on 13 May *Vladivostok* time. 23:30 UTC on
    // 12 May is already 09:30 on 13 May there.
    let displaced =
        |instant: &str| candidate_ids(&decide_at(&snapshot, "122", digit('2'), instant));
    assert_eq!(displaced("2026-05-12T23:30:00Z"), Vec::<i64>::new());
    assert_eq!(
        decide_at(&snapshot, "122", digit('2'), "2026-05-12T23:30:00Z").mode,
        DecisionMode::NobodyReachable
    );
    // 00:30 UTC on 12 May is 10:30 on 12 May there (08:30 in Irkutsk): present.
    assert_eq!(displaced("2026-05-12T00:30:00Z"), [8]);
    // 07:30 UTC on 14 May (15:30 Irkutsk, 17:30 Vladivostok): present again.
    assert_eq!(displaced("2026-05-14T07:30:00Z"), [6, 7, 10, 8]);
}

#[test]
fn inactive_staff_are_never_candidates() {
    let mut snapshot = raw_directory();
    let sidorova = snapshot
        .staff
        .iter_mut()
        .find(|s| s.id == StaffId(3))
        .expect("staff 3");
    Arc::make_mut(sidorova).active = false;
    let snapshot = snapshot.validated().expect("valid");
    // Saturday: the hospital is open, but both its people are inactive.
    let decision = decide_at(&snapshot, "122", digit('1'), "2026-05-16T10:00:00+08:00");
    assert_eq!(decision.mode, DecisionMode::NobodyReachable);
    assert!(
        decision
            .reason
            .ru()
            .contains("Сидорова Анна — запись неактивна"),
        "{}",
        decision.reason.ru()
    );
    assert!(
        decision.reason.en().contains("Кузнецов Олег — inactive"),
        "{}",
        decision.reason.en()
    );
}

#[test]
fn per_organisation_settings_follow_the_first_organisation_with_a_candidate() {
    let mut snapshot = raw_directory();
    // Make the ministry itself manual for health; the hospital stays automatic.
    let health = snapshot
        .topics
        .get_mut(&TopicCode("health".into()))
        .expect("health");
    health.organisations[1].routing = routing(TransferMode::Manual, HuntStrategy::Sequential, 30);
    let snapshot = snapshot.validated().expect("valid");
    let morning = decide_at(&snapshot, "122", digit('1'), "2026-05-12T10:00:00+08:00");
    assert_eq!(morning.mode, DecisionMode::Manual);
    assert_eq!(morning.attempt_timeout_seconds, Some(30));
    assert_eq!(candidate_ids(&morning), [1, 3, 5]);
    // At lunch the hospital comes first: automatic, ring-all.
    let lunch = decide_at(&snapshot, "122", digit('1'), "2026-05-12T13:30:00+08:00");
    assert_eq!(lunch.mode, DecisionMode::Automatic);
    assert_eq!(lunch.strategy, Some(HuntStrategy::RingAll));
}

#[test]
fn organisations_without_a_row_follow_those_with_one_by_code() {
    let mut snapshot = raw_directory();
    // A second unlisted institution whose code sorts before "polyclinic".
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
    let snapshot = snapshot.validated().expect("valid");
    let decision = decide_at(&snapshot, "122", digit('1'), "2026-05-12T10:00:00+08:00");
    assert_eq!(candidate_ids(&decision), [1, 3, 11, 5]);
}

#[test]
fn an_organisation_sharing_a_schedule_shares_its_status() {
    let mut snapshot = raw_directory();
    // The clinic keeps exactly the hospital's hours (Mon–Sat 08–20), so its status is
    // reused from the hospital's, not computed again — and must be the hospital's.
    let clinic = organisation(
        "clinic",
        "ОГБУЗ «Клиника»",
        OrganisationKind::Institution,
        Some("minzdrav"),
        hours(&[1, 2, 3, 4, 5, 6], &[interval("08:00", "20:00")]),
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
    let snapshot = snapshot.validated().expect("valid");
    let health = &snapshot.index.rosters[&TopicCode("health".into())];
    assert_eq!(health.organisations[2].organisation.code.0, "clinic");
    assert_eq!(health.organisations[2].same_schedule_as, Some(1));
    let ids = |instant: &str| candidate_ids(&decide_at(&snapshot, "122", digit('1'), instant));
    assert_eq!(
        ids("2026-05-12T13:30:00+08:00"),
        [3, 11, 5],
        "ministry at lunch"
    );
    assert_eq!(ids("2026-05-16T19:59:59+08:00"), [3, 11], "Saturday");
    assert_eq!(
        ids("2026-05-16T20:00:00+08:00"),
        Vec::<i64>::new(),
        "Saturday evening"
    );
}

#[test]
fn an_unvalidated_snapshot_is_routed_the_same() {
    let raw = raw_directory();
    let validated = directory();
    for instant in [
        "2026-05-12T10:00:00+08:00",
        "2026-05-12T13:30:00+08:00",
        "2026-05-09T10:00:00+08:00",
    ] {
        let a = decide_at(&raw, "122", digit('1'), instant);
        let b = decide_at(&validated, "122", digit('1'), instant);
        assert_eq!(
            (a.mode, candidate_ids(&a), a.reason.clone()),
            (b.mode, candidate_ids(&b), b.reason.clone())
        );
    }
}

#[test]
fn candidates_share_the_snapshot_data() {
    let snapshot = directory();
    let decision = decide_at(&snapshot, "122", digit('1'), "2026-05-12T10:00:00+08:00");
    let first = decision.candidates.get(0).expect("a candidate");
    let ivanov = snapshot
        .staff
        .iter()
        .find(|s| s.id == StaffId(1))
        .expect("staff 1");
    assert!(Arc::ptr_eq(first.staff, ivanov));
    let minzdrav = &snapshot.organisations[&OrganisationCode("minzdrav".into())];
    assert!(Arc::ptr_eq(first.organisation, minzdrav));
    assert_eq!(first.endpoint().as_str(), "PJSIP/staff01");
    assert!(decision.candidates.get(3).is_none());
    assert_eq!(decision.candidates.len(), 3);
}

#[test]
fn the_new_year_break_is_read_across_the_years_boundary() {
    // 31 December 2026 is a day off by the 2026 decree, 1-8 January are holidays:
    // the hospital (open on Saturdays) opens next on Saturday 9 January, not on New
    // Year's Day.
    let decision = decide_at(&directory(), "122", digit('1'), "2026-12-31T11:00:00+08:00");
    assert_eq!(decision.mode, DecisionMode::AfterHours);
    let reason = decision.reason.ru();
    assert!(
        reason.contains("Ближайшее открытие: ГБУЗ «Областная больница», сб 09.01 в 08:00."),
        "{reason}"
    );
    for instant in [
        "2027-01-04T11:00:00+08:00",
        "2027-01-07T11:00:00+08:00",
        "2027-02-23T11:00:00+08:00",
        "2027-02-22T11:00:00+08:00",
    ] {
        let decision = decide_at(&directory(), "122", digit('1'), instant);
        assert_eq!(decision.mode, DecisionMode::AfterHours, "{instant}");
    }
    // Saturday 20 February 2027 is worked for Monday 22 February: the hospital is
    // open with Monday's hours, one hour shorter (the day before 23 February).
    let saturday = decide_at(&directory(), "122", digit('1'), "2027-02-20T18:30:00+08:00");
    assert_eq!(saturday.mode, DecisionMode::Automatic);
    let reason = saturday.reason.ru();
    assert!(
        reason.contains("перенесённый рабочий день, часы как в пн, предпраздничный, на час короче"),
        "{reason}"
    );
    let late = decide_at(&directory(), "122", digit('1'), "2027-02-20T19:30:00+08:00");
    assert_eq!(late.mode, DecisionMode::AfterHours, "{}", late.reason.ru());
}
