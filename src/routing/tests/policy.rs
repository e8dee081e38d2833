//! The routing policy: every mode, candidate order and filtering, strategies,
//! fallback, reasons and the JSON shape of a decision.

use serde_json::json;

use super::*;
use crate::routing::CallHistory;
use crate::routing::policy::{
    CallRecency, Decision, DecisionMode, LastCalls, MAX_CANDIDATES, MenuChoice, NoRecency,
    ReasonText, RouteRequest, decide, decide_listing_all,
};

fn request(line: &str, choice: MenuChoice, instant: &str) -> RouteRequest {
    RouteRequest {
        line: LineNumber(line.into()),
        choice,
        at: at(instant),
    }
}

fn digit(d: char) -> MenuChoice {
    MenuChoice::Digit(d)
}

fn decide_at(
    snapshot: &DirectorySnapshot,
    line: &str,
    choice: MenuChoice,
    instant: &str,
) -> Decision {
    decide(snapshot, &request(line, choice, instant), &NoRecency)
}

fn candidate_ids(decision: &Decision) -> Vec<i64> {
    decision.candidates.iter().map(|c| c.staff.id.0).collect()
}

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
fn least_recent_orders_by_last_call() {
    let snapshot = directory();
    let recency: HashMap<StaffId, DateTime<Utc>> = [
        (StaffId(6), at("2026-05-12T09:00:00+08:00")),
        (StaffId(10), at("2026-05-12T08:00:00+08:00")),
        (StaffId(8), at("2026-05-11T08:00:00+08:00")),
    ]
    .into();
    let decision = decide(
        &snapshot,
        &request("122", digit('2'), "2026-05-12T10:00:00+08:00"),
        &recency,
    );
    // Волков never called, then Фёдоров (11 May), Лебедев (08:00), Орлова (09:00).
    assert_eq!(candidate_ids(&decision), [7, 8, 10, 6]);
    assert_eq!(decision.strategy, Some(HuntStrategy::LeastRecent));

    // Ties keep the ordinary order.
    let same = at("2026-05-12T09:00:00+08:00");
    let tied: HashMap<StaffId, DateTime<Utc>> = [
        (StaffId(6), same),
        (StaffId(7), same),
        (StaffId(10), same),
        (StaffId(8), same),
    ]
    .into();
    let decision = decide(
        &snapshot,
        &request("122", digit('2'), "2026-05-12T10:00:00+08:00"),
        &tied,
    );
    assert_eq!(candidate_ids(&decision), [6, 7, 10, 8]);

    // Recency is ignored by the sequential strategy.
    let health: HashMap<StaffId, DateTime<Utc>> = [(StaffId(1), same)].into();
    let decision = decide(
        &snapshot,
        &request("122", digit('1'), "2026-05-12T10:00:00+08:00"),
        &health,
    );
    assert_eq!(candidate_ids(&decision), [1, 3, 5]);

    // The same history in the cheaply hashed map a dialer would keep.
    let fast: LastCalls = recency.iter().map(|(id, last)| (*id, *last)).collect();
    let decision = decide(
        &snapshot,
        &request("122", digit('2'), "2026-05-12T10:00:00+08:00"),
        &fast,
    );
    assert_eq!(candidate_ids(&decision), [7, 8, 10, 6]);

    // A trait object works too.
    let dynamic: &dyn CallRecency = &recency;
    let decision = decide(
        &snapshot,
        &request("122", digit('2'), "2026-05-12T10:00:00+08:00"),
        dynamic,
    );
    assert_eq!(candidate_ids(&decision), [7, 8, 10, 6]);
}

/// The test directory with `extra` more staff (ids from 100) on `topic` in `organisation`,
/// priority 30, so they come after the hand-written ones there.
fn with_extra_staff(topic: &str, organisation: &str, extra: i64) -> DirectorySnapshot {
    let mut snapshot = raw_directory();
    for id in 100..100 + extra {
        let person = staff(id, &format!("Сотрудник {id}"), organisation, &[topic], 30);
        snapshot.staff.push(Arc::new(person));
    }
    snapshot.validated().expect("valid")
}

#[test]
fn a_calls_decision_lists_at_most_max_candidates_in_order() {
    const MONDAY_10: &str = "2026-05-12T10:00:00+08:00";
    // Health is sequential: minzdrav (Иванов; Петров is on leave; then the extra
    // staff), the hospital (Сидорова), then the unlisted polyclinic (Смирнова).
    for (extra, listed, more) in [
        (29, 32, false),
        (30, 32, true),
        (200, 32, true),
        (5, 8, false),
    ] {
        let snapshot = with_extra_staff("health", "minzdrav", extra);
        let request = request("122", digit('1'), MONDAY_10);
        let call = decide(&snapshot, &request, &NoRecency);
        let all = decide_listing_all(&snapshot, &request, &NoRecency);
        let everyone = candidate_ids(&all);
        assert_eq!(everyone.len() as i64, extra + 3, "{extra} extra");
        assert_eq!(everyone[..2], [1, 100]);
        assert_eq!(everyone[everyone.len() - 2..], [3, 5]);
        assert_eq!(candidate_ids(&call), everyone[..listed], "{extra} extra");
        assert_eq!(call.candidates.more_reachable(), more, "{extra} extra");
        assert!(!all.candidates.more_reachable());
        assert_eq!((call.mode, call.strategy), (all.mode, all.strategy));
        assert_eq!(
            call.reason
                .en()
                .contains("more are reachable, the list holds the first 32"),
            more,
            "{}",
            call.reason.en()
        );
        assert_eq!(
            call.reason
                .ru()
                .contains("доступны и другие, в списке первые 32 по порядку"),
            more,
            "{}",
            call.reason.ru()
        );
        assert_eq!(
            serde_json::to_value(&call).expect("json")["more_candidates"],
            json!(more)
        );
    }
    assert_eq!(MAX_CANDIDATES, 32);
}

#[test]
fn least_recent_lists_the_longest_idle_whoever_the_walk_meets_first() {
    const MONDAY_10: &str = "2026-05-12T10:00:00+08:00";
    // Displaced is least-recent; in roster order minsoc's Орлова (6), Волков (7),
    // Лебедев (10) and 60 extra staff (100..160), then Фёдоров (8) in Vladivostok.
    let snapshot = with_extra_staff("displaced", "minsoc", 60);
    let request = request("122", digit('2'), MONDAY_10);
    let start = at("2026-05-12T08:00:00+08:00");
    let ids: Vec<i64> = [6, 7, 10].into_iter().chain(100..160).chain([8]).collect();
    // Everyone called, in a scrambled order; a few never called; half never called.
    let scrambled: LastCalls = (ids.iter())
        .map(|&id| {
            (
                StaffId(id),
                start + chrono::TimeDelta::seconds(id * 37 % 101),
            )
        })
        .collect();
    let mut few_never = scrambled.clone();
    for id in [7, 120, 155] {
        few_never.forget(StaffId(id));
    }
    let half_never: LastCalls = (ids.iter())
        .filter(|&&id| id % 2 == 0)
        .map(|&id| (StaffId(id), start + chrono::TimeDelta::seconds(200 - id)))
        .collect();
    for (name, recency) in [
        ("everyone called", &scrambled),
        ("a few never called", &few_never),
        ("half never called", &half_never),
    ] {
        let all = decide_listing_all(&snapshot, &request, recency);
        let call = decide(&snapshot, &request, recency);
        assert_eq!(all.candidates.len(), 64, "{name}");
        assert_eq!(
            candidate_ids(&call),
            candidate_ids(&all)[..MAX_CANDIDATES],
            "{name}: the call's list is the head of the full order"
        );
        assert!(call.candidates.more_reachable(), "{name}");
        // The full order: never called first, then by last call, ties by roster order.
        let position = |id: i64| ids.iter().position(|&x| x == id).expect("known id");
        let key = |id: &i64| {
            let last = recency.last_called_second(StaffId(*id));
            (last.is_some(), last, position(*id))
        };
        let mut expected = candidate_ids(&all);
        expected.sort_by_key(key);
        assert_eq!(candidate_ids(&all), expected, "{name}");
    }
    // The never-called come first, in roster order.
    let call = decide(&snapshot, &request, &few_never);
    assert_eq!(candidate_ids(&call)[..3], [7, 120, 155]);
}

#[test]
fn a_call_history_in_order_decides_as_the_last_calls_alone() {
    // `CallHistory` keeps each topic's staff sorted by last call as calls are noted;
    // decisions with it must be exactly those with the bare `LastCalls`, whatever the
    // calls (out of order, in the same second, repeated) and whoever is open.
    let snapshot = with_extra_staff("displaced", "minsoc", 60);
    let ids: Vec<i64> = [6, 7, 10].into_iter().chain(100..160).chain([8]).collect();
    let instants = [
        "2026-05-12T10:00:00+08:00", // minsoc open: the order is walked
        "2026-05-12T07:30:00+08:00", // only Vladivostok open: one by one
        "2026-05-12T13:30:00+08:00",
        "2026-05-12T21:00:00+08:00",
    ];
    let start = at("2026-05-12T08:00:00+08:00");
    let mut history = CallHistory::new(LastCalls::default());
    let mut plain = LastCalls::default();
    let compare = |history: &CallHistory, plain: &LastCalls, snapshot: &DirectorySnapshot| {
        for instant in instants {
            let request = request("122", digit('2'), instant);
            for listing_all in [false, true] {
                let (ordered, one_by_one) = if listing_all {
                    (
                        decide_listing_all(snapshot, &request, history),
                        decide_listing_all(snapshot, &request, plain),
                    )
                } else {
                    (
                        decide(snapshot, &request, history),
                        decide(snapshot, &request, plain),
                    )
                };
                assert_eq!(ordered.mode, one_by_one.mode, "{instant}");
                assert_eq!(
                    candidate_ids(&ordered),
                    candidate_ids(&one_by_one),
                    "{instant}"
                );
                assert_eq!(
                    ordered.candidates.more_reachable(),
                    one_by_one.candidates.more_reachable(),
                    "{instant}"
                );
            }
        }
    };
    history.follow(&snapshot);
    compare(&history, &plain, &snapshot);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut clock = 0;
    for step in 0..600 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let id = StaffId(ids[(seed % ids.len() as u64) as usize]);
        clock += match seed >> 60 {
            0 => -7, // reported late
            1 | 2 => 0,
            _ => 3,
        };
        let when = start + chrono::TimeDelta::seconds(clock);
        history.called(id, when);
        plain.called(id, when);
        if step % 25 == 0 {
            compare(&history, &plain, &snapshot);
        }
        if step == 300 {
            // A roster edit: the history follows the new snapshot.
            let edited = with_extra_staff("displaced", "minsoc", 61);
            history.follow(&edited);
            compare(&history, &plain, &edited);
            history.follow(&snapshot);
        }
    }
    compare(&history, &plain, &snapshot);

    // The order is really kept, and is the least-recent order.
    let roster = &snapshot.index.rosters[&TopicCode("displaced".into())];
    let order = history
        .least_recent_order(&snapshot.index, roster.ordinal)
        .expect("an order for the followed snapshot");
    let mut expected: Vec<u32> = (0..roster.ids.len() as u32).collect();
    expected.sort_by_key(|&position| {
        let last = plain.last_called_second(roster.ids[position as usize]);
        (last.is_some(), last, position)
    });
    assert_eq!(order, expected);
    // None for another snapshot: decisions on it read the last calls one by one.
    let other = with_extra_staff("displaced", "minsoc", 60);
    assert!(history.least_recent_order(&other.index, 0).is_none());
}

#[test]
fn last_calls_keep_the_latest_second_for_any_id() {
    let early = at("2026-05-12T09:00:00.900+08:00");
    let late = at("2026-05-12T10:00:00+08:00");
    let mut last = LastCalls::default();
    // Small ids in the array, huge and negative ones in the map.
    let ids = [1, 7, 5_000, LastCalls::DENSE_IDS, i64::MAX, 0, -3];
    for id in ids {
        assert_eq!(last.last_called(StaffId(id)), None, "{id}");
        last.called(StaffId(id), late);
        last.called(StaffId(id), early); // reported late: the later call stays
    }
    for id in ids {
        assert_eq!(last.last_called(StaffId(id)), Some(late), "{id}");
        assert_eq!(last.last_called_second(StaffId(id)), Some(late.timestamp()));
    }
    assert_eq!(last.last_called(StaffId(2)), None, "a gap in the array");
    // Seconds only: a fraction is dropped.
    last.called(StaffId(2), early);
    assert_eq!(
        last.last_called(StaffId(2)),
        Some(at("2026-05-12T09:00:00+08:00"))
    );
    for id in [7, i64::MAX, -3] {
        last.forget(StaffId(id));
        assert_eq!(last.last_called(StaffId(id)), None, "{id}");
    }
    assert_eq!(last.last_called(StaffId(1)), Some(late));
    let collected: LastCalls = [(StaffId(3), early), (StaffId(3), late)]
        .into_iter()
        .collect();
    assert_eq!(collected.last_called(StaffId(3)), Some(late));
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
fn decision_json_shape() {
    let snapshot = directory();
    let decision = decide_at(&snapshot, "122", digit('1'), "2026-05-12T13:30:00+08:00");
    let value = serde_json::to_value(&decision).expect("serialises");
    assert_eq!(value["mode"], "automatic");
    assert_eq!(value["line"], "122");
    assert_eq!(
        value["topic"],
        json!({"code": "health", "name_ru": "Здравоохранение", "name_en": "Healthcare"})
    );
    assert_eq!(
        value["candidates"],
        json!([
            {
                "id": 3,
                "name": "Сидорова Анна",
                "position": "специалист",
                "organisation": "hospital",
                "organisation_name": "ГБУЗ «Областная больница»",
                "endpoint": "PJSIP/staff03"
            },
            {
                "id": 5,
                "name": "Смирнова Ольга",
                "position": "специалист",
                "organisation": "polyclinic",
                "organisation_name": "ОГАУЗ «Поликлиника № 1»",
                "endpoint": "PJSIP/staff05"
            }
        ])
    );
    assert_eq!(value["strategy"], "ring_all");
    assert_eq!(value["attempt_timeout_seconds"], 15);
    assert_eq!(value["fallback"], json!(["PJSIP/op1", "PJSIP/op3"]));
    assert_eq!(
        value["fallback_specialists"],
        json!([
            {"id": 1, "name": "Оператор Анна", "endpoint": "PJSIP/op1"},
            {"id": 3, "name": "Оператор Вера", "endpoint": "PJSIP/op3"}
        ])
    );
    assert_eq!(value["reason"]["ru"], decision.reason.ru().as_str());
    assert_eq!(value["reason"]["en"], decision.reason.en().as_str());
    assert_eq!(value["at"], "2026-05-12T05:30:00Z");

    let after_hours = serde_json::to_value(decide_at(
        &snapshot,
        "999",
        digit('1'),
        "2026-05-12T21:00:00+08:00",
    ))
    .expect("serialises");
    assert_eq!(after_hours["mode"], "unknown_line");
    assert_eq!(after_hours["topic"], serde_json::Value::Null);
    assert_eq!(after_hours["candidates"], json!([]));
    assert_eq!(after_hours["strategy"], serde_json::Value::Null);
    assert_eq!(
        after_hours["attempt_timeout_seconds"],
        serde_json::Value::Null
    );
    assert_eq!(after_hours["fallback"], json!(["PJSIP/op1", "PJSIP/op3"]));

    // Every mode's name.
    let names: Vec<String> = [
        DecisionMode::Automatic,
        DecisionMode::Manual,
        DecisionMode::AfterHours,
        DecisionMode::InvalidDigit,
        DecisionMode::NoInput,
        DecisionMode::UnknownLine,
        DecisionMode::UnknownTopic,
        DecisionMode::SpecialistRequested,
        DecisionMode::SpecialistTopic,
        DecisionMode::NobodyReachable,
    ]
    .iter()
    .map(|mode| {
        let json = serde_json::to_value(mode).expect("serialises");
        assert_eq!(json, mode.as_str());
        mode.to_string()
    })
    .collect();
    assert_eq!(
        names,
        [
            "automatic",
            "manual",
            "after_hours",
            "invalid_digit",
            "no_input",
            "unknown_line",
            "unknown_topic",
            "specialist_requested",
            "specialist_topic",
            "nobody_reachable"
        ]
    );
}

#[test]
fn specialist_topic_keeps_the_topic_in_json() {
    let snapshot = directory();
    let value = serde_json::to_value(decide_at(
        &snapshot,
        "117",
        digit('1'),
        "2026-05-12T10:00:00+08:00",
    ))
    .expect("serialises");
    assert_eq!(value["mode"], "specialist_topic");
    assert_eq!(value["topic"]["code"], "military");
}

#[test]
fn render_text_lists_candidates_and_both_reasons() {
    let snapshot = directory();
    let text = decide_at(&snapshot, "122", digit('1'), "2026-05-12T13:30:00+08:00").render_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "automatic — line 122, topic health («Здравоохранение» / Healthcare)"
    );
    assert_eq!(lines[1], "at 2026-05-12T05:30:00+00:00");
    assert_eq!(lines[2], "strategy: all at once, 15 s per attempt");
    assert!(
        lines[3].starts_with("ru: Тема «Здравоохранение»: ГБУЗ"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("en: Topic “Healthcare”: ГБУЗ"),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "candidates (2):");
    assert_eq!(
        lines[6],
        "  1. Сидорова Анна, специалист — ГБУЗ «Областная больница» (hospital) — PJSIP/staff03"
    );
    assert_eq!(
        lines[7],
        "  2. Смирнова Ольга, специалист — ОГАУЗ «Поликлиника № 1» (polyclinic) — PJSIP/staff05"
    );
    assert_eq!(lines[8], "fallback: PJSIP/op1, PJSIP/op3");

    let closed = decide_at(&snapshot, "122", digit('1'), "2026-05-12T21:00:00+08:00").render_text();
    assert!(closed.contains("\ncandidates: none\n"), "{closed}");
    assert!(!closed.contains("strategy:"), "{closed}");
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
