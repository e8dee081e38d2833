//! End-to-end over FastAGI: a SIPp citizen (`citizen-agi`, 127.0.0.1:5072) calls
//! 122 on the sandbox Asterisk, whose dialplan `asterisk-dialplan/agi-example.conf`
//! asks the FastAGI server of `hotline serve` — listening on a free port — who takes
//! the call, rings SIPp phones with `Dial()`, and reports back; the journal of a
//! fresh database must tell the story, and Asterisk must be left with no channel.
//!
//! Needs `scripts/sandbox start` (with the current `asterisk-dialplan/`), SIPp and
//! `DATABASE_URL` (see `scripts/test`). Fails with instructions without the sandbox,
//! unless `HOTLINE_SKIP_E2E=1`. Shares the sandbox lock with the other e2e tests.

mod common;
mod e2e;

use e2e::{
    CITIZEN_NUMBER, Phone, Scene, Sipp, TUESDAY_MORNING, TUESDAY_NIGHT, enabled, sandbox_cli,
};

const CALLS: &str = "SELECT via, line, topic, decision_mode, outcome::text, answered_target,
                            caller_number
                     FROM call_record ORDER BY id";
const ATTEMPTS: &str = "SELECT target, callee_kind, result::text FROM dial_attempt ORDER BY id";

/// Rows of text columns, as `Directory::rows` returns them.
type Rows = Vec<Vec<Option<String>>>;

fn row(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

/// The sandbox's dialplan global that `agi-example.conf` dials, pointed at our
/// server for the test and put back afterwards.
struct AgiUrl;

impl AgiUrl {
    const DEFAULT: &'static str = "agi://127.0.0.1:4573";

    fn point_at(port: u16) -> Self {
        set_global(&format!("agi://127.0.0.1:{port}"));
        Self
    }
}

impl Drop for AgiUrl {
    fn drop(&mut self) {
        set_global(Self::DEFAULT);
    }
}

fn set_global(url: &str) {
    let out = sandbox_cli(&format!("dialplan set global HOTLINE_AGI_URL {url}"));
    assert!(out.contains("set to"), "{out}");
}

/// The sandbox must run the repository's dialplan with the AGI contexts.
fn assert_agi_dialplan_loaded() {
    let out = sandbox_cli("dialplan show hotline-agi-call");
    assert!(
        out.contains("/route,${EXTEN}"),
        "the sandbox does not run agi-example.conf: `scripts/sandbox reload`\n{out}"
    );
}

/// One call through the sandbox: the scene (service included) up, the dialplan's
/// AGI URL pointed at the service, phones up, the citizen calls, then everything
/// down and the journal read.
fn agi_call(
    test: &str,
    clock: &str,
    tune: &[&'static str],
    phones: &[(&str, Phone)],
    talk_ms: u32,
) -> (Rows, Rows) {
    let scene = Scene::build(test).clock(clock).tune(tune).start();
    assert_agi_dialplan_loaded();
    let url = AgiUrl::point_at(scene.service.agi_port());
    let phones: Vec<Sipp> = phones
        .iter()
        .map(|(endpoint, behaviour)| scene.phone(endpoint, *behaviour))
        .collect();
    Sipp::citizen_from("citizen-agi", "122", Some("1"), talk_ms, &scene.work).assert_success();
    for phone in phones {
        phone.assert_success();
    }
    drop(url);
    let directory = scene.finish();
    (directory.rows(CALLS), directory.rows(ATTEMPTS))
}

#[test]
fn working_hours_the_first_staff_is_busy_the_second_answers() {
    if !enabled() {
        return;
    }
    let (calls, attempts) = agi_call(
        "agi_working_hours",
        TUESDAY_MORNING,
        &[],
        &[("staff01", Phone::Busy), ("staff02", Phone::Answers)],
        9_000,
    );
    assert_eq!(
        calls,
        [row(&[
            "agi",
            "122",
            "health",
            "automatic",
            "answered_by_staff",
            "PJSIP/staff02",
            CITIZEN_NUMBER,
        ])]
    );
    assert_eq!(
        attempts,
        [
            row(&["PJSIP/staff01", "staff", "busy"]),
            row(&["PJSIP/staff02", "staff", "answered"]),
        ]
    );
}

#[test]
fn after_hours_a_specialist_answers() {
    if !enabled() {
        return;
    }
    let (calls, attempts) = agi_call(
        "agi_after_hours",
        TUESDAY_NIGHT,
        &["UPDATE specialist SET active = (endpoint = 'PJSIP/spec01')"],
        &[("spec01", Phone::Answers)],
        10_000,
    );
    assert_eq!(
        calls,
        [row(&[
            "agi",
            "122",
            "health",
            "after_hours",
            "answered_by_specialist",
            "PJSIP/spec01",
            CITIZEN_NUMBER,
        ])]
    );
    assert_eq!(attempts, [row(&["PJSIP/spec01", "specialist", "answered"])]);
}
