//! Unit tests of the scripts' pure plans, on the routing core's unit-test directory
//! (see `routing::tests`): line 122 has 1 health, 2 displaced, 3 housing (manual),
//! 0 specialist; specialists `PJSIP/op1` and `PJSIP/op3` are active.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::command::{assignments_like_asterisk, set_all};
use super::scripts::{
    CallFlow, DialReport, Dialing, RouteArgs, RouteCall, RoutePlan, attempt_result, outcome,
    parse_targets, plan_attempts, plan_route, resolve_callee, vars,
};
use crate::call::sounds;
use crate::journal::{CalleeKind, RecordKind, Via};
use crate::routing::tests::{at, directory};
use crate::routing::{
    DecisionMode, DialTarget, DirectorySnapshot, LineNumber, MenuChoice, NoRecency, RouteRequest,
    StaffId, decide,
};

/// Tuesday 10:00 in Irkutsk: every health organisation is open.
const WORKING: &str = "2026-05-12T10:00:00+08:00";
/// Saturday 23:00 in Irkutsk: everything is closed.
const NIGHT: &str = "2026-05-16T23:00:00+08:00";

const RINGING: CallFlow = CallFlow {
    specialist_ring_seconds: 30,
    specialist_rounds: 3,
    announce_transfers: true,
};

fn args(list: &[&str]) -> RouteArgs {
    RouteArgs::parse(list).expect("valid route arguments")
}

fn plan_at(snapshot: &DirectorySnapshot, list: &[&str], instant: &str) -> RoutePlan {
    plan_route(
        snapshot,
        &args(list),
        &RouteCall {
            call_key: "1700000000.42",
            caller_number: "79021234567",
            now: at(instant),
            decide_at: at(instant),
        },
        &NoRecency,
        RINGING,
    )
}

fn plan(list: &[&str], instant: &str) -> RoutePlan {
    plan_at(&directory(), list, instant)
}

fn names(plan: &RoutePlan) -> Vec<&str> {
    plan.variables.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn entry_records_the_call_and_asks_for_the_greeting_and_menu() {
    let snapshot = directory();
    let plan = plan_at(&snapshot, &["122"], WORKING);
    let line = &snapshot.lines[&LineNumber("122".into())];
    assert_eq!(plan.value(vars::ACTION), Some("menu"));
    let expected = match &line.greeting_prompt {
        Some(greeting) => format!("{greeting}&{}", line.menu_prompt),
        None => line.menu_prompt.clone(),
    };
    assert_eq!(plan.value(vars::MENU_SOUNDS), Some(expected.as_str()));
    assert_eq!(plan.value(vars::DIGIT_TIMEOUT), Some("7"));
    assert_eq!(plan.value(vars::CALL_KEY), Some("1700000000.42"));
    assert_eq!(plan.decided, None);
    assert_eq!(
        plan.records,
        vec![RecordKind::Started {
            via: Via::Agi,
            node: None,
            line: "122".into(),
            caller_number: "79021234567".into(),
            at: at(WORKING),
        }]
    );
}

#[test]
fn action_is_cleared_first_and_set_last() {
    for plan in [
        plan(&["122"], WORKING),
        plan(&["122", "1", "1"], WORKING),
        plan(&["122", "1", "1"], NIGHT),
        plan(&["122", "", "1"], WORKING),
    ] {
        let names = names(&plan);
        assert_eq!(names.first(), Some(&vars::ACTION), "{names:?}");
        assert_eq!(names.last(), Some(&vars::ACTION), "{names:?}");
        assert_eq!(
            names.iter().filter(|n| **n == vars::ACTION).count(),
            2,
            "{names:?}"
        );
    }
}

#[test]
fn working_hours_hand_over_the_policys_candidates_in_order() {
    let snapshot = directory();
    let plan = plan_at(&snapshot, &["122", "1", "1"], WORKING);
    let decision = decide(
        &snapshot,
        &RouteRequest {
            line: LineNumber("122".into()),
            choice: MenuChoice::Digit('1'),
            at: at(WORKING),
        },
        &NoRecency,
    );
    assert_eq!(decision.mode, DecisionMode::Automatic);
    let expected: Vec<String> = decision
        .candidates
        .iter()
        .map(|c| c.endpoint().as_str().to_owned())
        .collect();
    assert!(!expected.is_empty());

    assert_eq!(plan.value(vars::ACTION), Some("staff"));
    assert_eq!(plan.value(vars::MODE), Some("automatic"));
    assert_eq!(plan.value(vars::TOPIC), Some("health"));
    assert_eq!(plan.value(vars::ANNOUNCE), Some(sounds::CONNECTING_STAFF));
    assert_eq!(plan.value(vars::CALLER_NAME), Some("Здравоохранение"));
    assert_eq!(
        plan.value(vars::REASON),
        Some(decision.reason.ru().as_str())
    );
    assert_eq!(
        plan.value(vars::TARGET_COUNT),
        Some(expected.len().to_string().as_str())
    );
    for (index, target) in expected.iter().enumerate() {
        let name = format!("{}{}", vars::TARGET_PREFIX, index + 1);
        assert_eq!(plan.value(&name), Some(target.as_str()), "{name}");
    }
    assert_eq!(
        plan.value(vars::TARGETS_ALL),
        Some(expected.join("&").as_str())
    );
    assert_eq!(
        plan.value(vars::STRATEGY),
        decision.strategy.map(super::scripts::strategy_name)
    );
    assert_eq!(
        plan.value(vars::ATTEMPT_TIMEOUT),
        decision
            .attempt_timeout_seconds
            .map(|s| s.to_string())
            .as_deref()
    );
    assert_eq!(
        plan.value(vars::SPECIALISTS_TARGET),
        Some("PJSIP/op1&PJSIP/op3")
    );
    assert_eq!(plan.value(vars::SPECIALISTS_TIMEOUT), Some("30"));
    assert_eq!(plan.value(vars::SPECIALISTS_ROUNDS), Some("3"));
    assert_eq!(plan.value(vars::ALL_BUSY), Some(sounds::ALL_BUSY));
    match &plan.records[..] {
        [
            RecordKind::Started { .. },
            RecordKind::Routed {
                topic,
                mode,
                reason,
                ..
            },
        ] => {
            assert_eq!(topic.as_deref(), Some("health"));
            assert_eq!(mode, "automatic");
            assert_eq!(
                reason,
                &format!("{} / {}", decision.reason.ru(), decision.reason.en())
            );
        }
        other => panic!("unexpected records {other:?}"),
    }
}

#[test]
fn after_hours_goes_to_the_specialists_with_its_announcement() {
    let plan = plan(&["122", "1", "1"], NIGHT);
    assert_eq!(plan.decided, Some(DecisionMode::AfterHours));
    assert_eq!(plan.value(vars::ACTION), Some("specialists"));
    assert_eq!(plan.value(vars::ANNOUNCE), Some(sounds::AFTER_HOURS));
    assert_eq!(plan.value(vars::TARGET_COUNT), Some("0"));
    assert_eq!(plan.value(vars::TARGETS_ALL), Some(""));
    assert_eq!(plan.value(vars::STRATEGY), Some(""));
    assert_eq!(
        plan.value(vars::SPECIALISTS_TARGET),
        Some("PJSIP/op1&PJSIP/op3")
    );
}

#[test]
fn without_announcements_the_dialplan_gets_no_sounds_to_play() {
    let quiet = CallFlow {
        announce_transfers: false,
        ..RINGING
    };
    for (instant, action) in [(WORKING, "staff"), (NIGHT, "specialists")] {
        let plan = plan_route(
            &directory(),
            &args(&["122", "1", "1"]),
            &RouteCall {
                call_key: "k",
                caller_number: "",
                now: at(instant),
                decide_at: at(instant),
            },
            &NoRecency,
            quiet,
        );
        assert_eq!(plan.value(vars::ACTION), Some(action));
        assert_eq!(plan.value(vars::ANNOUNCE), Some(""));
        assert_eq!(plan.value(vars::ALL_BUSY), Some(""));
    }
}

#[test]
fn manual_topics_and_specialist_digits_ring_specialists_not_staff() {
    for (digit, mode) in [
        ("3", DecisionMode::Manual),
        ("0", DecisionMode::SpecialistRequested),
    ] {
        let plan = plan(&["122", digit, "1"], WORKING);
        assert_eq!(plan.decided, Some(mode), "digit {digit}");
        assert_eq!(plan.value(vars::ACTION), Some("specialists"));
        assert_eq!(
            plan.value(vars::ANNOUNCE),
            Some(sounds::CONNECTING_SPECIALIST)
        );
        assert_eq!(plan.value(vars::TARGET_COUNT), Some("0"));
    }
}

#[test]
fn no_digit_repeats_the_menu_until_the_last_try_like_the_stasis_app() {
    let plan1 = plan(&["122", "", "1"], WORKING);
    assert_eq!(plan1.value(vars::ACTION), Some("menu"));
    assert_eq!(
        plan1.value(vars::MENU_SOUNDS),
        Some(format!("{}&hotline/menu-122", sounds::NO_INPUT).as_str())
    );
    assert_eq!(plan1.decided, None);
    assert!(
        !plan1
            .records
            .iter()
            .any(|r| matches!(r, RecordKind::Routed { .. }))
    );

    let last = plan(&["122", "", "3"], WORKING);
    assert_eq!(last.decided, Some(DecisionMode::NoInput));
    assert_eq!(last.value(vars::ACTION), Some("specialists"));
}

#[test]
fn an_invalid_digit_is_journaled_and_the_menu_repeated() {
    let plan1 = plan(&["122", "7", "1"], WORKING);
    assert_eq!(plan1.decided, Some(DecisionMode::InvalidDigit));
    assert_eq!(plan1.value(vars::ACTION), Some("menu"));
    assert_eq!(
        plan1.value(vars::MENU_SOUNDS),
        Some(format!("{}&hotline/menu-122", sounds::INVALID_CHOICE).as_str())
    );
    assert!(
        plan1
            .records
            .iter()
            .any(|r| matches!(r, RecordKind::Routed { mode, .. } if mode == "invalid_digit"))
    );

    let last = plan(&["122", "7", "3"], WORKING);
    assert_eq!(last.value(vars::ACTION), Some("specialists"));
}

#[test]
fn a_topic_code_routes_without_a_menu() {
    let plan = plan(&["122", "health", "1"], WORKING);
    assert_eq!(plan.decided, Some(DecisionMode::Automatic));
    assert_eq!(plan.value(vars::TOPIC), Some("health"));
}

#[test]
fn an_unknown_line_goes_to_the_specialists_at_once() {
    let plan = plan(&["555"], WORKING);
    assert_eq!(plan.decided, Some(DecisionMode::UnknownLine));
    assert_eq!(plan.value(vars::ACTION), Some("specialists"));
    assert_eq!(plan.value(vars::CALLER_NAME), Some("Линия 555"));
}

#[test]
fn route_arguments_are_checked() {
    assert_eq!(args(&["117"]).choice, None);
    assert_eq!(
        args(&["117", "#", "2"]).choice,
        Some((MenuChoice::Digit('#'), 2))
    );
    assert_eq!(
        args(&["117", "", "1"]).choice,
        Some((MenuChoice::NoInput, 1))
    );
    for bad in [
        &[][..],
        &["1"],
        &["12a"],
        &["1234567"],
        &["122", "1"],
        &["122", "1", "0"],
        &["122", "1", "x"],
        &["122", "12", "1"],
        &["122", "Health", "1"],
        &["122", "a b", "1"],
        &["122", "1", "1", "extra"],
    ] {
        assert!(RouteArgs::parse(bad).is_err(), "{bad:?} accepted");
    }
}

/// Hostile directory text (which the database would mostly refuse, but a snapshot
/// may come from anywhere) cannot reach Asterisk as anything but the values planned,
/// in the `SET VARIABLE`s (plain or `ARRAY`) the script sends, and the dial strings
/// hold exactly the validated targets.
#[test]
fn no_directory_text_can_inject_a_command_or_a_dial_destination() {
    let mut snapshot = directory();
    let evil = "Здрав\"оохранение\nEXEC Dial PJSIP/evil\r\n\\\" & PJSIP/evil,30 ${SHELL(id)}\u{0}";
    for topic in snapshot.topics.values_mut() {
        topic.name_ru = evil.to_owned();
    }
    let mut staff: Vec<_> = snapshot.staff.iter().map(|s| (**s).clone()).collect();
    for person in &mut staff {
        person.full_name = evil.to_owned();
    }
    snapshot.staff = staff.into_iter().map(Arc::new).collect();
    let snapshot = snapshot.validated().expect("still a valid directory");

    for list in [
        &["122", "1", "1"][..],
        &["122", "2", "1"],
        &["122", "1", "3"],
    ] {
        for instant in [WORKING, NIGHT] {
            let plan = plan_at(&snapshot, list, instant);
            let mut sent = Vec::new();
            for command in set_all(plan.variables.clone()) {
                let line = command.encode().expect("encodes");
                assert_eq!(line.matches('\n').count(), 1, "{line:?}");
                assert!(line.ends_with('\n'));
                sent.extend(assignments_like_asterisk(&line).expect("SET VARIABLE"));
            }
            let planned: Vec<(String, String)> = plan
                .variables
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_str().to_owned()))
                .collect();
            assert_eq!(sent, planned);
            for dial in [vars::TARGETS_ALL, vars::SPECIALISTS_TARGET] {
                let joined = plan.value(dial).unwrap();
                let targets = parse_targets(joined).expect("only valid targets");
                assert!(!joined.contains(',') && !joined.contains('$'));
                assert_eq!(joined.matches('&').count() + 1, targets.len().max(1));
            }
        }
    }
}

/// Characters that would change a `Dial()` string or an application's arguments:
/// another destination (`&`), another argument (`,` `|`), the end of an option's
/// argument (`)`), an option argument separator (`^`), a second command (newline),
/// a variable or function (`$`, `{`, `}`, `(`), a comment (`;`).
const DIAL_METACHARACTERS: &[char] = &[
    '&', ',', '|', ')', '(', '^', '\n', '\r', '$', '{', '}', ';', ' ', '"', '\\',
];

/// Neither a dial target (a roster row read from the database, the `result`
/// script's dial variable) nor a `route` argument (line, choice) takes any of them.
#[test]
fn dial_string_metacharacters_are_refused_wherever_text_reaches_asterisk() {
    for &c in DIAL_METACHARACTERS {
        for text in [
            format!("PJSIP/a{c}b"),
            format!("PJSIP/a@h{c}"),
            format!("PJSIP{c}/a"),
        ] {
            assert!(DialTarget::parse(&text).is_err(), "dial target {text:?}");
            assert!(parse_targets(&text).is_err(), "dial variable {text:?}");
        }
        let choice = format!("health{c}x");
        assert!(
            RouteArgs::parse(&["122", &choice, "1"]).is_err(),
            "route choice {choice:?}"
        );
        let line = format!("12{c}");
        assert!(RouteArgs::parse(&[&line]).is_err(), "route line {line:?}");
        assert!(
            RouteArgs::parse(&["122", "1", &format!("1{c}")]).is_err(),
            "route try with {c:?}"
        );
    }
}

// ------------------------------------------------------------------- result

fn target(text: &str) -> DialTarget {
    DialTarget::parse(text).unwrap()
}

fn callee(target: &DialTarget, kind: CalleeKind) -> super::scripts::Callee {
    super::scripts::Callee {
        kind,
        staff_id: (kind == CalleeKind::Staff).then_some(StaffId(7)),
        name: format!("who is {target}"),
    }
}

fn now() -> DateTime<Utc> {
    at(WORKING)
}

#[test]
fn dialing_markers_parse() {
    assert_eq!(Dialing::parse("staff/2"), Some(Dialing::Staff(2)));
    assert_eq!(Dialing::parse("staff/all"), Some(Dialing::StaffAll));
    assert_eq!(
        Dialing::parse("specialists/3"),
        Some(Dialing::Specialists(3))
    );
    for bad in [
        "",
        "staff",
        "staff/0",
        "staff/x",
        "spec/1",
        "staff/1000",
        "specialists/all",
    ] {
        assert_eq!(Dialing::parse(bad), None, "{bad}");
    }
    assert_eq!(Dialing::Staff(2).targets_variable(), "HOTLINE_TARGET_2");
}

#[test]
fn an_answered_staff_attempt_is_journaled_like_the_stasis_app() {
    let report = DialReport {
        status: "ANSWER".into(),
        peer: "PJSIP/staff01-0000002a".into(),
        dialed_ms: 12_000,
        answered_ms: 10_000,
        targets: vec![target("PJSIP/staff01")],
    };
    let (records, answered) = plan_attempts("k", Dialing::Staff(1), &report, now(), callee);
    assert_eq!(answered, Some(CalleeKind::Staff));
    let started = now() - chrono::Duration::seconds(12);
    let answer = now() - chrono::Duration::seconds(10);
    assert_eq!(
        records,
        vec![
            RecordKind::AttemptStarted {
                leg: "k-staff1".into(),
                target: "PJSIP/staff01".into(),
                callee_kind: CalleeKind::Staff,
                staff_id: Some(7),
                callee_name: "who is PJSIP/staff01".into(),
                at: started,
            },
            RecordKind::AttemptEnded {
                leg: "k-staff1".into(),
                result: "answered".into(),
                at: answer,
            },
            RecordKind::Answered {
                leg: "k-staff1".into(),
                at: answer,
            },
        ]
    );
}

#[test]
fn a_failed_attempt_keeps_dialstatus_as_its_result() {
    for (status, result) in [
        ("BUSY", "busy"),
        ("NOANSWER", "no_answer"),
        ("CHANUNAVAIL", "unavailable"),
        ("CONGESTION", "failed"),
        ("CANCEL", "cancelled"),
        ("", "cancelled"),
    ] {
        let report = DialReport {
            status: status.into(),
            dialed_ms: 3_000,
            targets: vec![target("PJSIP/staff02")],
            ..DialReport::default()
        };
        let (records, answered) = plan_attempts("k", Dialing::Staff(2), &report, now(), callee);
        assert_eq!(answered, None);
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[1],
            RecordKind::AttemptEnded {
                leg: "k-staff2".into(),
                result: result.into(),
                at: now(),
            }
        );
        assert_eq!(attempt_result(status), result);
    }
}

#[test]
fn ring_all_credits_the_peer_that_answered_and_cancels_the_others() {
    let report = DialReport {
        status: "ANSWER".into(),
        peer: "PJSIP/spec02-00000003".into(),
        dialed_ms: 5_000,
        answered_ms: 4_000,
        targets: vec![
            target("PJSIP/spec01"),
            target("PJSIP/spec02@pbx.example"),
            target("PJSIP/spec03"),
        ],
    };
    let (records, answered) = plan_attempts("k", Dialing::Specialists(2), &report, now(), callee);
    assert_eq!(answered, Some(CalleeKind::Specialist));
    let ends: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| match r {
            RecordKind::AttemptEnded { leg, result, .. } => Some((leg.clone(), result.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ends,
        [
            ("k-spec2.1".to_owned(), "cancelled".to_owned()),
            ("k-spec2.2".to_owned(), "answered".to_owned()),
            ("k-spec2.3".to_owned(), "cancelled".to_owned()),
        ]
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| matches!(r, RecordKind::Answered { leg, .. } if leg == "k-spec2.2"))
            .count(),
        1
    );
}

#[test]
fn outcomes() {
    assert_eq!(outcome(Some(CalleeKind::Staff), false), "answered_by_staff");
    assert_eq!(
        outcome(Some(CalleeKind::Specialist), true),
        "answered_by_specialist"
    );
    assert_eq!(outcome(None, true), "failed");
    assert_eq!(outcome(None, false), "abandoned");
}

#[test]
fn callees_are_found_by_phone_preferring_staff_on_the_topic() {
    let snapshot = directory();
    let first = &snapshot.staff[0];
    let who = resolve_callee(
        &snapshot,
        first.topics.first().map(|t| t.0.as_str()),
        &first.endpoint,
        CalleeKind::Staff,
    );
    assert_eq!(who.staff_id, Some(first.id));
    assert_eq!(who.name, first.full_name);
    let op1 = resolve_callee(
        &snapshot,
        None,
        &target("PJSIP/op1"),
        CalleeKind::Specialist,
    );
    assert_eq!(op1.name, "Оператор Анна");
    let nobody = resolve_callee(&snapshot, None, &target("PJSIP/nobody"), CalleeKind::Staff);
    assert_eq!((nobody.staff_id, nobody.name.as_str()), (None, ""));
}

#[test]
fn least_recent_uses_the_recency_it_is_given() {
    // Topic `displaced` hunts least-recently-called first.
    let snapshot = directory();
    let request = |recency: &HashMap<StaffId, DateTime<Utc>>| {
        plan_route(
            &snapshot,
            &args(&["122", "2", "1"]),
            &RouteCall {
                call_key: "k",
                caller_number: "",
                now: at(WORKING),
                decide_at: at(WORKING),
            },
            recency,
            RINGING,
        )
    };
    let fresh = request(&HashMap::new());
    assert_eq!(fresh.value(vars::STRATEGY), Some("least_recent"));
    let first = fresh.value("HOTLINE_TARGET_1").unwrap().to_owned();
    let first_id = snapshot
        .staff
        .iter()
        .find(|s| s.endpoint.as_str() == first)
        .unwrap()
        .id;
    let called = HashMap::from([(first_id, at(WORKING))]);
    let after = request(&called);
    assert_ne!(after.value("HOTLINE_TARGET_1"), Some(first.as_str()));
}
