//! End-to-end: a specialist transfers the caller to responsible staff, from the
//! phone (`*1`, or its own transfer button: SIP REFER) or from the console API, on the sandbox Asterisk; a transfer nobody
//! takes gives the caller back to the same specialist.
//!
//! Needs `scripts/sandbox start`, SIPp and `DATABASE_URL` (see `scripts/test`). The
//! demo directory in working hours with health made a *manual* topic: the caller
//! reaches a specialist, who transfers to staff01 (the first health staff member).

mod common;
mod e2e;

use serde_json::json;

use e2e::{ConsoleSession, Directory, Phone, Scene, Sipp, enabled};

/// Health transferred manually, by specialists.
const MANUAL_HEALTH: &str = "UPDATE topic SET transfer_mode = 'manual' WHERE code = 'health'";
/// Only staff01 takes health calls (one phone decides a transfer's fate).
const ONLY_STAFF01: &str = "UPDATE staff SET active = (endpoint = 'PJSIP/staff01')";

const TRANSFERS: &str = "SELECT number::text, origin, topic, from_target, result, answered_target
                         FROM call_transfer ORDER BY number";
const ATTEMPTS: &str = "SELECT target, result::text FROM dial_attempt ORDER BY id";

fn row(values: &[&str]) -> Vec<Option<String>> {
    values
        .iter()
        .map(|v| (!v.is_empty()).then(|| (*v).to_owned()))
        .collect()
}

/// A health call reaches the specialists (nobody signed in to the queue: all ring,
/// spec01 answers) and spec01's phone transfers it as `spec01_phone` does; staff01
/// answers. Returns the directory and the service's log once all is over.
fn transfer_from_the_phone(test: &str, spec01_phone: Phone) -> (Directory, String) {
    let scene = Scene::build(test)
        .tune(&[MANUAL_HEALTH, ONLY_STAFF01])
        .start();
    let work = &scene.work;
    let spec01 = Sipp::phone("spec01", spec01_phone, work);
    let spec02 = Sipp::phone("spec02", Phone::NeverAnswers, work);
    let spec03 = Sipp::phone("spec03", Phone::NeverAnswers, work);
    let staff01 = Sipp::phone("staff01", Phone::Answers, work);
    let citizen = Sipp::citizen("122", Some("1"), 20_000, work);
    citizen.assert_success();
    spec01.assert_success(); // hung up by the service once staff01 answered
    spec02.assert_success();
    spec03.assert_success();
    // The transferred call showed staff01 the citizen's number and the topic.
    staff01.assert_shown_citizen_and("Здравоохранение");
    staff01.assert_success();
    scene.finish_with_log()
}

#[test]
fn star_one_on_the_specialists_phone_transfers_the_caller_to_the_topics_staff() {
    if !enabled() {
        return;
    }
    let (directory, log) = transfer_from_the_phone("transfer_star1", Phone::AnswersThenStarOne);
    assert!(log.contains("transfer routed"), "{log}");
    assert_eq!(
        directory.rows("SELECT decision_mode, outcome::text, answered_target FROM call_record"),
        [row(&["manual", "answered_by_staff", "PJSIP/staff01"])]
    );
    assert_eq!(
        directory.rows(TRANSFERS),
        [row(&[
            "1",
            "feature_code",
            "health",
            "PJSIP/spec01",
            "answered",
            "PJSIP/staff01"
        ])]
    );
    assert_eq!(
        directory.rows(ATTEMPTS),
        [
            row(&["PJSIP/spec01", "answered"]),
            row(&["PJSIP/spec02", "cancelled"]),
            row(&["PJSIP/spec03", "cancelled"]),
            row(&["PJSIP/staff01", "answered"]),
        ]
    );
}

#[test]
fn a_console_transfer_nobody_takes_returns_the_caller_and_a_second_one_connects() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("transfer_console")
        .tune(&[MANUAL_HEALTH, ONLY_STAFF01])
        .console_users()
        .start();
    let (work, directory, service) = (&scene.work, &scene.directory, &scene.service);
    let operator1 = ConsoleSession::sign_in(service, "operator1");
    operator1.post("/api/desk", json!({"state": "ready"}));
    let spec01 = Sipp::phone("spec01", Phone::Answers, work);
    let citizen = Sipp::citizen("122", Some("1"), 30_000, work);
    let queue = operator1.wait_for("/api/queue", "operator1 on the call", |q| {
        q["specialists"][0]["state"] == "on_call"
    });
    let call = queue["specialists"][0]["call"].as_str().unwrap().to_owned();
    let transfer = format!("/api/calls/{call}/transfer");

    // staff01 is busy: the caller comes back to operator1.
    let busy = Sipp::phone("staff01", Phone::Busy, work);
    operator1.post_status(&transfer, json!({}), 202);
    busy.assert_success();
    directory.wait_for_row(
        "SELECT result FROM call_transfer WHERE number = 1",
        "failed",
    );
    let queue = operator1.get("/api/queue");
    assert_eq!(queue["specialists"][0]["state"], "on_call", "{queue}");
    assert_eq!(queue["specialists"][0]["call"], call.as_str());
    // Another specialist may not transfer someone else's call.
    let operator2 = ConsoleSession::sign_in(service, "operator2");
    operator2.post_status(&transfer, json!({}), 403);

    // Now staff01 answers: the caller talks to them, operator1 is free (wrap-up).
    let staff01 = Sipp::phone("staff01", Phone::Answers, work);
    operator1.post_status(&transfer, json!({"topic": "health"}), 202);
    operator1.wait_for("/api/queue", "operator1 released", |q| {
        q["specialists"][0]["state"] == "wrap_up"
    });
    citizen.assert_success();
    spec01.assert_success();
    staff01.assert_success();
    // The call is over: nothing to transfer.
    operator1.post_status(&transfer, json!({}), 404);
    let directory = scene.finish();
    assert_eq!(
        directory.rows(TRANSFERS),
        [
            row(&["1", "console", "health", "PJSIP/spec01", "failed", ""]),
            row(&[
                "2",
                "console",
                "health",
                "PJSIP/spec01",
                "answered",
                "PJSIP/staff01"
            ]),
        ]
    );
    assert_eq!(
        directory.rows("SELECT outcome::text, answered_target FROM call_record"),
        [row(&["answered_by_staff", "PJSIP/staff01"])]
    );
    assert_eq!(
        directory.rows(ATTEMPTS),
        [
            row(&["PJSIP/spec01", "answered"]),
            row(&["PJSIP/staff01", "busy"]),
            row(&["PJSIP/staff01", "answered"]),
        ]
    );
}

#[test]
fn the_transfer_button_on_the_specialists_phone_is_carried_out_by_the_service() {
    if !enabled() {
        return;
    }
    // REFER accepted, progress NOTIFYs to spec01, then the service's BYE.
    let (directory, log) =
        transfer_from_the_phone("transfer_refer", Phone::AnswersThenRefers("staff01"));
    assert!(log.contains("transfer asked by the phone (REFER)"), "{log}");
    assert_eq!(
        directory.rows(TRANSFERS),
        [row(&[
            "1",
            "refer",
            "health",
            "PJSIP/spec01",
            "answered",
            "PJSIP/staff01"
        ])]
    );
    assert_eq!(
        directory.rows("SELECT outcome::text, answered_target FROM call_record"),
        [row(&["answered_by_staff", "PJSIP/staff01"])]
    );
}

#[test]
fn a_consultation_from_the_console_ends_with_the_staff_member_taking_the_caller() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("transfer_consult")
        .tune(&[MANUAL_HEALTH, ONLY_STAFF01])
        .console_users()
        .start();
    let (work, directory, service) = (&scene.work, &scene.directory, &scene.service);
    let operator1 = ConsoleSession::sign_in(service, "operator1");
    operator1.post("/api/desk", json!({"state": "ready"}));
    let spec01 = Sipp::phone("spec01", Phone::Answers, work);
    let staff01 = Sipp::phone("staff01", Phone::Answers, work);
    let citizen = Sipp::citizen("122", Some("1"), 30_000, work);
    let queue = operator1.wait_for("/api/queue", "operator1 on the call", |q| {
        q["specialists"][0]["state"] == "on_call"
    });
    let call = queue["specialists"][0]["call"].as_str().unwrap().to_owned();
    // Nothing to complete before a consultation.
    operator1.post_status(
        &format!("/api/calls/{call}/transfer/complete"),
        json!({}),
        409,
    );
    operator1.post_status(
        &format!("/api/calls/{call}/transfer"),
        json!({"consult": true}),
        202,
    );
    directory.wait_for_row(
        "SELECT result::text FROM dial_attempt WHERE target = 'PJSIP/staff01'",
        "answered",
    );
    // The specialist and staff01 talk in a bridge of their own; the caller waits.
    let bridges = e2e::ari_get("bridges").unwrap_or_default();
    let consult = bridges
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["id"] == format!("{call}-consult").as_str())
        .unwrap_or_else(|| panic!("no consultation bridge in {bridges}"));
    assert_eq!(
        consult["channels"].as_array().map(Vec::len),
        Some(2),
        "{consult}"
    );
    operator1.post_status(
        &format!("/api/calls/{call}/transfer/complete"),
        json!({}),
        202,
    );
    operator1.wait_for("/api/queue", "operator1 released", |q| {
        q["specialists"][0]["state"] == "wrap_up"
    });
    citizen.assert_success();
    spec01.assert_success();
    staff01.assert_success();
    let directory = scene.finish();
    assert_eq!(
        directory.rows(TRANSFERS),
        [row(&[
            "1",
            "console",
            "health",
            "PJSIP/spec01",
            "answered",
            "PJSIP/staff01"
        ])]
    );
    assert_eq!(
        directory.rows("SELECT outcome::text, answered_target FROM call_record"),
        [row(&["answered_by_staff", "PJSIP/staff01"])]
    );
}
