//! Hunting order: least-recently-called by last calls, the call history that keeps
//! that order, the cap of [`MAX_CANDIDATES`] on a call's list, and `LastCalls` itself.

use serde_json::json;

use super::*;
use crate::routing::CallHistory;
use crate::routing::policy::{CallRecency, LastCalls, MAX_CANDIDATES, decide_listing_all};

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
