//! End-to-end: a citizen's call travels from SIPp through the sandbox Asterisk 22 and
//! the `hotline serve` Stasis app to a SIPp phone, and the journal tells the story.
//!
//! Needs `scripts/sandbox start`, SIPp and `DATABASE_URL` (see `scripts/test`). Each
//! test runs on a fresh copy of the demo directory (`hotline seed-demo`), whose health
//! staff are staff01 (minzdrav), staff02 (minzdrav) and staff03 (hospital), and whose
//! specialists are spec01..spec03. After each test Asterisk must have no channel and
//! no bridge left, and the journal exactly the expected rows.

mod common;
mod e2e;

use e2e::{
    Directory, Phone, SandboxLock, Scene, Service, Sipp, TUESDAY_MORNING, TUESDAY_NIGHT,
    assert_asterisk_idle, enabled, http_get, sandbox_cli, sandbox_root, work_dir,
};

/// The call records: line, topic, mode, outcome, answered target.
const CALLS: &str = "SELECT line, topic, decision_mode, outcome::text, answered_target
                     FROM call_record ORDER BY id";
/// The dial attempts: target and result, in order.
const ATTEMPTS: &str = "SELECT target, result::text FROM dial_attempt ORDER BY id";

fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

fn attempts(pairs: &[(&str, &str)]) -> Vec<Vec<Option<String>>> {
    pairs
        .iter()
        .map(|(t, r)| row(&[Some(t), Some(r)]))
        .collect()
}

/// The specialists' phones: spec01 answers, spec02 and spec03 ring until cancelled.
struct Specialists([Sipp; 3]);

impl Specialists {
    fn ring(work: &std::path::Path) -> Self {
        Self([
            Sipp::phone("spec01", Phone::Answers, work),
            Sipp::phone("spec02", Phone::NeverAnswers, work),
            Sipp::phone("spec03", Phone::NeverAnswers, work),
        ])
    }

    /// spec01 talked, the other two were cancelled: all three SIPp scenarios passed.
    fn assert_success(self) {
        for phone in self.0 {
            phone.assert_success();
        }
    }
}

/// The attempts of a call [`Specialists`] took.
const SPEC01_ANSWERS: [(&str, &str); 3] = [
    ("PJSIP/spec01", "answered"),
    ("PJSIP/spec02", "cancelled"),
    ("PJSIP/spec03", "cancelled"),
];

#[test]
fn health_in_working_hours_reaches_the_first_responsible_staff_member() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("health_first_staff").start();
    let (_, log) = health_call_reaches_staff01(scene);
    // The default: REST requests travel on the event socket, and the calls' own
    // on request-only sockets (so this call's went there).
    assert!(
        log.contains("ARI REST requests go over the event socket"),
        "{log}"
    );
    assert!(
        log.contains("ARI REST requests of calls go over a request socket"),
        "{log}"
    );
}

/// Prometheus scrapes what a real call did: a health call answered by staff01,
/// counted by line, topic, outcome and path, its decision by mode and its attempt by
/// result; ARI requests timed; `/ready` says the service routes.
#[test]
fn metrics_count_real_calls_and_ready_says_the_service_routes() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("metrics_scrape").start();
    let base = scene.service.console_url();
    let (status, ready) = http_get(&format!("{base}/ready"));
    assert_eq!(status, 200, "{ready}");
    assert!(
        ready.contains(r#""ari_event_socket_connected":true"#),
        "{ready}"
    );
    let (_, before) = http_get(&format!("{base}/metrics"));
    assert!(!before.contains("hotline_calls_total{"), "{before}");
    assert!(
        before
            .lines()
            .any(|l| l == "hotline_ari_event_socket_connected 1"),
        "{before}"
    );

    let staff01 = scene.phone("staff01", Phone::Answers);
    Sipp::citizen("122", Some("1"), 8_000, &scene.work).assert_success();
    staff01.assert_success();
    let expected = [
        r#"hotline_calls_total{line="122",topic="health",outcome="answered_by_staff",via="ari"} 1"#,
        r#"hotline_decisions_total{line="122",mode="automatic"} 1"#,
        r#"hotline_dial_attempts_total{callee="staff",result="answered"} 1"#,
        "hotline_calls_in_progress 0",
        "hotline_journal_spooling 0",
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let scraped = loop {
        let (status, text) = http_get(&format!("{base}/metrics"));
        assert_eq!(status, 200, "{text}");
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|line| !text.lines().any(|l| l == *line))
            .collect();
        if missing.is_empty() {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never scraped {missing:?} in\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    // ARI requests were timed, and no caller number is in the scrape.
    let requests = scraped
        .lines()
        .find_map(|l| l.strip_prefix("hotline_ari_request_duration_seconds_count "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(requests >= 5, "{scraped}");
    assert!(!scraped.contains(e2e::CITIZEN_NUMBER));
    scene.finish();
}

/// The same call with every REST request over HTTP, as with an Asterisk older than
/// 22.4 or `HOTLINE_ARI_REST_OVER_WEBSOCKET=false`.
#[test]
fn health_in_working_hours_with_rest_over_http() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("health_rest_over_http")
        .settings(&[("HOTLINE_ARI_REST_OVER_WEBSOCKET", "false")])
        .start();
    let (_, log) = health_call_reaches_staff01(scene);
    assert!(
        !log.contains("REST requests go over the event socket"),
        "{log}"
    );
}

/// Digit 1 on a Tuesday morning: staff01 answers, shown the citizen's number and
/// the topic; the journal has the call and its one attempt in order.
fn health_call_reaches_staff01(scene: Scene) -> (Directory, String) {
    let staff01 = scene.phone("staff01", Phone::Answers);
    Sipp::citizen("122", Some("1"), 8_000, &scene.work).assert_success();
    // The staff phone showed the citizen's number and the topic.
    staff01.assert_shown_citizen_and("Здравоохранение");
    staff01.assert_success();
    let (directory, log) = scene.finish_with_log();
    assert_eq!(
        directory.rows(CALLS),
        [row(&[
            Some("122"),
            Some("health"),
            Some("automatic"),
            Some("answered_by_staff"),
            Some("PJSIP/staff01")
        ])]
    );
    assert_eq!(
        directory.rows(ATTEMPTS),
        attempts(&[("PJSIP/staff01", "answered")])
    );
    let timestamps = directory.rows(
        "SELECT (entered_at < routed_at AND routed_at < answered_at AND answered_at < ended_at)::text,
                answered_name FROM call_record",
    );
    assert_eq!(
        timestamps,
        [row(&[Some("true"), Some("Петрова Елена Викторовна")])]
    );
    (directory, log)
}

#[test]
fn a_staff_member_who_does_not_answer_is_followed_by_the_next() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("next_staff").start();
    let staff01 = scene.phone("staff01", Phone::NeverAnswers);
    let staff02 = scene.phone("staff02", Phone::Answers);
    Sipp::citizen("122", Some("1"), 14_000, &scene.work).assert_success();
    staff01.assert_success();
    staff02.assert_success();
    let directory = scene.finish();
    assert_eq!(
        directory.rows(ATTEMPTS),
        attempts(&[
            ("PJSIP/staff01", "no_answer"),
            ("PJSIP/staff02", "answered")
        ])
    );
    assert_eq!(
        directory.rows("SELECT outcome::text, answered_target FROM call_record"),
        [row(&[Some("answered_by_staff"), Some("PJSIP/staff02")])]
    );
}

#[test]
fn when_every_staff_member_fails_the_specialists_take_the_call() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("all_staff_fail").start();
    let staff = [
        scene.phone("staff01", Phone::Busy),
        scene.phone("staff02", Phone::Busy),
        scene.phone("staff03", Phone::Busy),
    ];
    let specialists = Specialists::ring(&scene.work);
    Sipp::citizen("122", Some("1"), 18_000, &scene.work).assert_success();
    for phone in staff {
        phone.assert_success();
    }
    specialists.assert_success();
    let directory = scene.finish();
    assert_eq!(
        directory.rows(ATTEMPTS),
        attempts(&[
            ("PJSIP/staff01", "busy"),
            ("PJSIP/staff02", "busy"),
            ("PJSIP/staff03", "busy"),
            SPEC01_ANSWERS[0],
            SPEC01_ANSWERS[1],
            SPEC01_ANSWERS[2],
        ])
    );
    assert_eq!(
        directory.rows("SELECT decision_mode, outcome::text, answered_target FROM call_record"),
        [row(&[
            Some("automatic"),
            Some("answered_by_specialist"),
            Some("PJSIP/spec01")
        ])]
    );
}

#[test]
fn after_hours_the_specialists_take_the_call() {
    if !enabled() {
        return;
    }
    specialists_take_a_health_call("after_hours", TUESDAY_NIGHT);
}

/// A health call at `clock` that no organisation is open for: the specialists ring,
/// spec01 answers, and the journal says so. Returns the directory.
fn specialists_take_a_health_call(test: &str, clock: &str) -> Directory {
    let scene = Scene::build(test).clock(clock).start();
    let specialists = Specialists::ring(&scene.work);
    Sipp::citizen("122", Some("1"), 12_000, &scene.work).assert_success();
    specialists.assert_success();
    let directory = scene.finish();
    assert_eq!(
        directory.rows(CALLS),
        [row(&[
            Some("122"),
            Some("health"),
            Some("after_hours"),
            Some("answered_by_specialist"),
            Some("PJSIP/spec01")
        ])]
    );
    assert_eq!(directory.rows(ATTEMPTS), attempts(&SPEC01_ANSWERS));
    directory
}

#[test]
fn on_a_new_year_holiday_of_next_year_the_specialists_take_the_call() {
    if !enabled() {
        return;
    }
    // Monday 4 January 2027, 10:00: office hours on an ordinary Monday, but a New Year
    // holiday (Labour Code art. 112): nobody at the ministry or the hospital is rung.
    let directory = specialists_take_a_health_call("new_year_2027", "2027-01-04T10:00:00+08:00");
    let reasons = directory.rows("SELECT decision_reason FROM call_record");
    let reason = reasons[0][0].clone().unwrap_or_default();
    assert!(
        reason.contains("нерабочий праздничный день «Новогодние каникулы»"),
        "{reason}"
    );
    assert!(
        !reason.contains("не загружено"),
        "the 2027 decree ships: {reason}"
    );
}

#[test]
fn an_invalid_digit_replays_the_menu_and_a_valid_one_then_routes() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("invalid_then_valid").start();
    let staff01 = scene.phone("staff01", Phone::Answers);
    Sipp::citizen_two_digits("122", "9", "1", 6_000, 8_000, &scene.work).assert_success();
    staff01.assert_success();
    let log = scene.service.log();
    let directory = scene.finish();
    assert!(
        log.contains("mode=invalid_digit"),
        "the 9 was not heard:\n{log}"
    );
    assert_eq!(
        directory.rows(CALLS),
        [row(&[
            Some("122"),
            Some("health"),
            Some("automatic"),
            Some("answered_by_staff"),
            Some("PJSIP/staff01")
        ])]
    );
}

#[test]
fn without_a_digit_the_menu_is_offered_again_then_specialists_answer() {
    if !enabled() {
        return;
    }
    // A short menu, so two rounds of "menu + 3 s" take seconds, not a minute.
    let scene = Scene::build("no_digit")
        .tune(&["UPDATE line SET greeting_prompt = NULL, menu_prompt = 'hotline/stay-on-line'"])
        .start();
    let specialists = Specialists::ring(&scene.work);
    Sipp::citizen("122", None, 22_000, &scene.work).assert_success();
    specialists.assert_success();
    let directory = scene.finish();
    assert_eq!(
        directory.rows(CALLS),
        [row(&[
            Some("122"),
            None,
            Some("no_input"),
            Some("answered_by_specialist"),
            Some("PJSIP/spec01")
        ])]
    );
}

#[test]
fn a_caller_who_hangs_up_while_staff_ring_cancels_them_and_is_abandoned() {
    if !enabled() {
        return;
    }
    // staff01 rings for up to 30 s: the citizen leaves while it rings, however
    // slow the machine.
    let scene = Scene::build("abandoned")
        .tune(&["UPDATE topic SET attempt_timeout_seconds = 30"])
        .start();
    let staff01 = scene.phone("staff01", Phone::NeverAnswers);
    // The digit at 1 s, "connecting" for about 3 s, staff01 rings from about 4.5 s,
    // the citizen leaves at 10 s.
    Sipp::citizen("122", Some("1"), 9_000, &scene.work).assert_success();
    staff01.assert_success(); // it got a CANCEL
    let directory = scene.finish();
    assert_eq!(
        directory.rows(ATTEMPTS),
        attempts(&[("PJSIP/staff01", "cancelled")])
    );
    assert_eq!(
        directory.rows("SELECT outcome::text, answered_at::text FROM call_record"),
        [row(&[Some("abandoned"), None])]
    );
}

#[test]
fn line_117_has_its_own_menu() {
    if !enabled() {
        return;
    }
    let scene = Scene::build("line_117").start();
    let specialists = Specialists::ring(&scene.work);
    // On 117, 1 is contract military service: specialists handle it themselves.
    Sipp::citizen("117", Some("1"), 10_000, &scene.work).assert_success();
    specialists.assert_success();
    let directory = scene.finish();
    assert_eq!(
        directory.rows(CALLS),
        [row(&[
            Some("117"),
            Some("contract_service"),
            Some("specialist_topic"),
            Some("answered_by_specialist"),
            Some("PJSIP/spec01")
        ])]
    );
}

#[test]
fn on_sigterm_a_waiting_caller_is_handed_to_the_dialplan_fallback() {
    if !enabled() {
        return;
    }
    let lock = SandboxLock::acquire();
    assert_asterisk_idle();
    let work = work_dir("sigterm_hand_back");
    let directory = Directory::demo("sigterm_hand_back", &[]);
    let service = Service::start_with(
        &directory,
        TUESDAY_MORNING,
        &work,
        "hotline-serve.log",
        &[("HOTLINE_SHUTDOWN_DRAIN_SECONDS", "1")],
    );
    let staff01 = Sipp::phone("staff01", Phone::NeverAnswers, &work);
    let specialists = Specialists::ring(&work);
    let citizen = Sipp::citizen("122", Some("1"), 20_000, &work);
    staff01.wait_for_invite();
    let log = service.stop();
    assert!(log.contains("handed back to the dialplan"), "{log}");
    // The dialplan's fallback rings the specialists; spec01 answers.
    citizen.assert_success();
    staff01.assert_success();
    specialists.assert_success();
    assert_asterisk_idle();
    assert_eq!(
        directory.rows("SELECT decision_mode, outcome::text FROM call_record"),
        [row(&[Some("automatic"), Some("handed_to_dialplan")])]
    );
    assert_eq!(
        directory.rows(ATTEMPTS),
        attempts(&[("PJSIP/staff01", "cancelled")])
    );
    drop(lock);
}

#[test]
fn after_a_crash_the_next_instance_adopts_the_caller_and_hangs_up_orphan_legs() {
    if !enabled() {
        return;
    }
    let lock = SandboxLock::acquire();
    assert_asterisk_idle();
    let work = work_dir("crash_adopt");
    // A short menu, so the adopted caller (whose digit went to the crashed
    // instance) reaches the specialists quickly; staff ring long enough for their
    // leg to outlive the crash.
    let directory = Directory::demo(
        "crash_adopt",
        &[
            "UPDATE line SET greeting_prompt = NULL, menu_prompt = 'hotline/stay-on-line'",
            "UPDATE topic SET attempt_timeout_seconds = 60",
        ],
    );
    let first = Service::start(&directory, TUESDAY_MORNING, &work);
    let staff01 = Sipp::phone("staff01", Phone::NeverAnswers, &work);
    let specialists = Specialists::ring(&work);
    let citizen = Sipp::citizen("122", Some("1"), 30_000, &work);
    // Crash while staff01 rings.
    staff01.wait_for_invite();
    first.crash();
    let second = Service::start_with(&directory, TUESDAY_MORNING, &work, "second.log", &[]);
    citizen.assert_success();
    staff01.assert_success(); // its orphan leg was hung up: CANCEL
    specialists.assert_success();
    let log = second.stop();
    assert!(log.contains("adopting a caller left in Stasis"), "{log}");
    // staff01's leg is hung up by this instance if Asterisk still has it, else it
    // is already gone; either way its attempt is closed in the journal below.
    assert_asterisk_idle();
    // One record for the call, completed by the second instance.
    assert_eq!(
        directory.rows("SELECT decision_mode, outcome::text, answered_target FROM call_record"),
        [row(&[
            Some("no_input"),
            Some("answered_by_specialist"),
            Some("PJSIP/spec01")
        ])]
    );
    assert_eq!(
        directory.rows(ATTEMPTS),
        attempts(&[
            ("PJSIP/staff01", "cancelled"),
            SPEC01_ANSWERS[0],
            SPEC01_ANSWERS[1],
            SPEC01_ANSWERS[2],
        ])
    );
    drop(lock);
}

/// Points the dialplan fallback's journal file (`HOTLINE_FALLBACK_JOURNAL`) at a file
/// of the test's own while it lives; back to the default, file removed, after.
struct FallbackJournal {
    /// The file as this process sees it (inside the sandbox's root).
    outside: std::path::PathBuf,
}

impl FallbackJournal {
    const DEFAULT: &'static str = "/var/log/asterisk/hotline-fallback.csv";

    fn for_test(test: &str) -> Self {
        let inside = format!("/var/log/asterisk/hotline-fallback-{test}.csv");
        let outside = sandbox_root().join(inside.trim_start_matches('/'));
        let _ = std::fs::remove_file(&outside);
        set_fallback_journal(&inside);
        Self { outside }
    }
}

impl Drop for FallbackJournal {
    fn drop(&mut self) {
        set_fallback_journal(Self::DEFAULT);
        let _ = std::fs::remove_file(&self.outside);
    }
}

fn set_fallback_journal(path: &str) {
    let out = sandbox_cli(&format!(
        "dialplan set global HOTLINE_FALLBACK_JOURNAL {path}"
    ));
    assert!(out.contains("set to"), "{out}");
}

/// While hotline is away Stasis() fails and the dialplan's fallback rings the
/// specialists itself. The call still gets its journal row: the fallback notes it in
/// a file that hotline imports once it runs, once, skipping a line it cannot read.
#[test]
fn a_call_the_dialplan_fallback_served_while_hotline_was_away_is_journaled() {
    if !enabled() {
        return;
    }
    let lock = SandboxLock::acquire();
    assert_asterisk_idle();
    let work = work_dir("fallback_journal");
    let directory = Directory::demo("fallback_journal", &[]);
    let file = FallbackJournal::for_test("fallback_journal");
    let specialists = Specialists::ring(&work);
    Sipp::citizen("122", Some("1"), 2_000, &work).assert_success();
    specialists.assert_success();
    assert_asterisk_idle();
    let written = std::fs::read_to_string(&file.outside).expect("the fallback's file");
    assert_eq!(written.lines().count(), 1, "{written}");
    // A line the service cannot read (a foreign write) does not stop the import.
    std::fs::write(&file.outside, format!("not a call\n{written}")).unwrap();

    let settings = [(
        "HOTLINE_DIALPLAN_FALLBACK_LOG",
        file.outside.to_str().unwrap(),
    )];
    let service = Service::start_with(
        &directory,
        TUESDAY_MORNING,
        &work,
        "hotline-serve.log",
        &settings,
    );
    directory.wait_for_row(
        "SELECT concat_ws(' ', via, line, outcome, answered_target, caller_number,
                (answered_at >= entered_at AND ended_at >= answered_at AND ended_at > entered_at)::text)
           FROM call_record",
        &format!("dialplan 122 answered_by_specialist PJSIP/spec01 {} true", e2e::CITIZEN_NUMBER),
    );
    let log = service.stop();
    assert!(log.contains("skipping a malformed line"), "{log}");
    assert!(
        log.contains("journaled the calls the dialplan fallback served"),
        "{log}"
    );

    // A second start imports nothing again: the position is stored with the rows.
    let again = Service::start_with(&directory, TUESDAY_MORNING, &work, "second.log", &settings);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let log = again.stop();
    assert!(!log.contains("journaled the calls"), "{log}");
    let length = std::fs::metadata(&file.outside).unwrap().len().to_string();
    assert_eq!(
        directory.rows("SELECT count(*)::text FROM call_record"),
        [row(&[Some("1")])]
    );
    assert_eq!(
        directory.rows("SELECT position::text FROM dialplan_fallback_import"),
        [row(&[Some(length.as_str())])]
    );
    drop(file);
    drop(lock);
}
