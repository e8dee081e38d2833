//! End-to-end: the specialists' queue on the sandbox Asterisk. Specialists sign in
//! through the console API of a running `hotline serve`, citizens call from SIPp,
//! and the queue decides who is rung and when.
//!
//! Needs `scripts/sandbox start`, SIPp and `DATABASE_URL` (see `scripts/test`). The
//! demo directory at night: every health call goes to the specialists; `operator1`
//! answers at spec01, `operator2` at spec02.

mod common;
mod e2e;

use serde_json::{Value, json};

use e2e::{CITIZEN_NUMBER, ConsoleSession, Phone, Scene, Sipp, TUESDAY_NIGHT, enabled};

fn waiting(queue: &Value) -> usize {
    queue["waiting"].as_array().map_or(0, Vec::len)
}

/// The state of the specialist with this directory phone position (0 = spec01).
fn desk(queue: &Value, index: usize) -> (&str, Option<&str>) {
    let desk = &queue["specialists"][index];
    (
        desk["state"].as_str().unwrap_or_default(),
        desk["call"].as_str(),
    )
}

#[test]
fn two_waiting_callers_are_served_in_arrival_order() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("queue_order")
        .clock(TUESDAY_NIGHT)
        .console_users()
        .start();
    let (work, _directory, service) = (&scene.work, &scene.directory, &scene.service);
    let operator1 = ConsoleSession::sign_in(service, "operator1");
    let operator2 = ConsoleSession::sign_in(service, "operator2");
    // operator1 is at work but on a break: callers wait instead of ringing everyone.
    operator1.post("/api/desk", json!({"state": "paused"}));
    let spec01 = Sipp::phone("spec01", Phone::Answers, work);
    let spec02 = Sipp::phone("spec02", Phone::Answers, work);

    let first = Sipp::citizen("122", Some("1"), 25_000, work);
    operator1.wait_for("/api/queue", "one caller waiting", |q| waiting(q) == 1);
    let second = Sipp::citizen_from("citizen2", "122", Some("1"), 25_000, work);
    let queue = operator1.wait_for("/api/queue", "two callers waiting", |q| waiting(q) == 2);
    for (index, entry) in queue["waiting"].as_array().unwrap().iter().enumerate() {
        assert_eq!(entry["position"], index + 1, "{queue}");
        assert_eq!(entry["line"], "122");
        assert_eq!(entry["topic"], "Здравоохранение");
        assert_eq!(entry["caller_number"], CITIZEN_NUMBER);
        assert_eq!(entry["being_offered"], false);
    }
    let first_call = queue["waiting"][0]["call"].as_str().unwrap().to_owned();
    let second_call = queue["waiting"][1]["call"].as_str().unwrap().to_owned();

    // operator1 comes back: the caller who waited longest is rung at spec01.
    operator1.post("/api/desk", json!({"state": "ready"}));
    let queue = operator1.wait_for("/api/queue", "operator1 on the first call", |q| {
        desk(q, 0) == ("on_call", Some(first_call.as_str()))
    });
    assert_eq!(waiting(&queue), 1, "{queue}");
    assert_eq!(queue["waiting"][0]["call"], second_call.as_str());
    assert_eq!(queue["waiting"][0]["position"], 1);
    // operator2 signs in: the second caller is rung at spec02.
    operator2.post("/api/desk", json!({"state": "ready"}));
    operator2.wait_for("/api/queue", "operator2 on the second call", |q| {
        desk(q, 1) == ("on_call", Some(second_call.as_str())) && waiting(q) == 0
    });

    first.assert_success();
    second.assert_success();
    spec01.assert_success();
    spec02.assert_success();
    // Both specialists wrap up after their calls.
    let queue = operator1.wait_for("/api/queue", "both wrapping up", |q| {
        desk(q, 0).0 == "wrap_up" && desk(q, 1).0 == "wrap_up"
    });
    assert_eq!(waiting(&queue), 0);
    let directory = scene.finish();
    assert_eq!(
        directory.rows(
            "SELECT call_key, decision_mode, outcome::text, answered_target,
                    (queued_at IS NOT NULL)::text
             FROM call_record ORDER BY entered_at"
        ),
        [
            vec![
                Some(first_call),
                Some("after_hours".into()),
                Some("answered_by_specialist".into()),
                Some("PJSIP/spec01".into()),
                Some("true".into()),
            ],
            vec![
                Some(second_call),
                Some("after_hours".into()),
                Some("answered_by_specialist".into()),
                Some("PJSIP/spec02".into()),
                Some("true".into()),
            ],
        ]
    );
}

#[test]
fn a_waiting_caller_who_presses_1_leaves_a_callback_request_for_the_topics_agency() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("queue_callback")
        .clock(TUESDAY_NIGHT)
        .settings(&[("HOTLINE_QUEUE_CALLBACK_AFTER_SECONDS", "1")])
        .console_users()
        .start();
    let (work, _directory, service) = (&scene.work, &scene.directory, &scene.service);
    let operator1 = ConsoleSession::sign_in(service, "operator1");
    operator1.post("/api/desk", json!({"state": "paused"}));
    // 1 for health (after hours: the queue), then 1 again after the callback offer.
    let citizen = Sipp::citizen_two_digits("122", "1", "1", 9_000, 12_000, work);
    operator1.wait_for("/api/queue", "the caller waiting", |q| waiting(q) == 1);
    citizen.assert_success();
    let queue = operator1.wait_for("/api/queue", "the caller gone", |q| waiting(q) == 0);
    assert_eq!(desk(&queue, 0).0, "paused", "nobody was rung: {queue}");
    let directory = scene.finish();
    assert_eq!(
        directory.rows(
            "SELECT decision_mode, outcome::text, (queued_at IS NOT NULL)::text FROM call_record"
        ),
        [vec![
            Some("after_hours".to_owned()),
            Some("callback_requested".to_owned()),
            Some("true".to_owned()),
        ]]
    );
    assert!(
        directory
            .rows("SELECT id::text FROM dial_attempt")
            .is_empty()
    );
    // The request is an appeal of the health ministry, with the number to call back.
    assert_eq!(
        directory.rows(
            "SELECT a.topic, a.organisation, a.caller_number, a.callback_requested::text,
                    a.status, (a.call_key = c.call_key)::text
             FROM appeal a, call_record c"
        ),
        [vec![
            Some("health".to_owned()),
            Some("minzdrav".to_owned()),
            Some(CITIZEN_NUMBER.to_owned()),
            Some("true".to_owned()),
            Some("new".to_owned()),
            Some("true".to_owned()),
        ]]
    );
}
