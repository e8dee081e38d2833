//! Two `hotline serve` instances on one Asterisk and one database: one routes, the
//! other stands by (a Postgres advisory lock says which). A specialist says "ready"
//! on the standby's console: the active instance's queue has it, and the standby's
//! console shows that queue (passed on to the active instance). Killing the active
//! one with `kill -9` mid-call: the standby takes over within 5 s with the
//! specialist still ready, adopts the caller left in Stasis and offers it to that
//! specialist, then routes the next call to staff automatically; a new standby
//! killed in the middle of a call disturbs nothing; the journal has every call whole.
//!
//! Needs `scripts/sandbox start`, SIPp and `DATABASE_URL` (see `scripts/test`).

mod common;
mod e2e;

use std::time::{Duration, Instant};

use e2e::{
    ConsoleSession, Directory, Phone, SandboxLock, Service, Sipp, TUESDAY_MORNING,
    assert_asterisk_idle, enabled, work_dir,
};
use serde_json::{Value, json};

/// Whether the queue's view lists the specialist at spec01 (demo id 1, operator1's
/// phone) in `state`.
fn spec01_is(queue: &Value, state: &str) -> bool {
    queue["specialists"]
        .as_array()
        .is_some_and(|all| all.iter().any(|s| s["id"] == 1 && s["state"] == state))
}

fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

#[test]
fn when_the_active_instance_is_killed_the_standby_takes_over_and_adopts_its_call() {
    if !enabled() {
        return;
    }
    let lock = SandboxLock::acquire();
    assert_asterisk_idle();
    let work = work_dir("failover");
    // A short menu (the adopted caller's digit went to the dead instance); staff ring
    // long enough for their leg to outlive the crash.
    let directory = Directory::demo(
        "failover",
        &[
            "UPDATE line SET greeting_prompt = NULL, menu_prompt = 'hotline/stay-on-line'",
            "UPDATE topic SET attempt_timeout_seconds = 60",
        ],
    )
    .with_console_users();
    let active = Service::start(&directory, TUESDAY_MORNING, &work);
    let standby = Service::start_standby(&directory, TUESDAY_MORNING, &work, "standby.log");
    assert!(!standby.log().contains("ARI event socket connected"));

    // operator1 (at spec01) signs in on the standby's console: the active routes by
    // it, and the standby's console shows the active instance's queue.
    let operator = ConsoleSession::sign_in(&standby, "operator1");
    operator.post("/api/desk", json!({"state": "ready"}));
    let admin = ConsoleSession::sign_in(&active, "admin");
    admin.wait_for(
        "/api/queue",
        "operator1 ready on the active instance",
        |queue| spec01_is(queue, "ready"),
    );
    let through_standby = operator.wait_for(
        "/api/queue",
        "operator1 ready in the queue the standby's console shows",
        |queue| spec01_is(queue, "ready"),
    );
    assert_eq!(through_standby, admin.get("/api/queue"));

    let staff01 = Sipp::phone("staff01", Phone::NeverAnswers, &work);
    let spec01 = Sipp::phone("spec01", Phone::Answers, &work);
    let citizen = Sipp::citizen("122", Some("1"), 20_000, &work);
    staff01.wait_for_invite();
    let killed = Instant::now();
    active.crash();
    standby.wait_for_log("takes over");
    standby.wait_for_log("ARI event socket connected");
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(5), "took over in {took:?}");
    // operator1 is still ready there: the adopted caller is offered to spec01 alone;
    // staff01's orphan leg is cancelled.
    assert!(standby.log().contains("specialists' desk states restored"));
    citizen.assert_success();
    staff01.assert_success();
    spec01.assert_success();
    assert!(standby.log().contains("adopting a caller left in Stasis"));

    // The console that was the standby's now serves its own queue, same session.
    let queue = operator.get("/api/queue");
    assert!(
        !spec01_is(&queue, "signed_out")
            && queue["specialists"]
                .as_array()
                .is_some_and(|all| all.iter().any(|s| s["id"] == 1)),
        "{queue}"
    );

    // The next call is routed by the new active instance, to staff automatically.
    let staff01 = Sipp::phone("staff01", Phone::Answers, &work);
    Sipp::citizen("122", Some("1"), 4_000, &work).assert_success();
    staff01.assert_success();

    // A new standby killed in the middle of a call disturbs nothing: the call is the
    // active instance's.
    let second = Service::start_standby(&directory, TUESDAY_MORNING, &work, "standby2.log");
    let staff01 = Sipp::phone("staff01", Phone::Answers, &work);
    let citizen = Sipp::citizen("122", Some("1"), 6_000, &work);
    staff01.wait_for_invite();
    second.crash();
    citizen.assert_success();
    staff01.assert_success();
    standby.stop();
    assert_asterisk_idle();
    assert_eq!(
        directory
            .rows("SELECT outcome::text, answered_target FROM call_record ORDER BY entered_at"),
        [
            row(&[Some("answered_by_specialist"), Some("PJSIP/spec01")]),
            row(&[Some("answered_by_staff"), Some("PJSIP/staff01")]),
            row(&[Some("answered_by_staff"), Some("PJSIP/staff01")]),
        ]
    );
    assert_eq!(
        directory.rows("SELECT target, result::text FROM dial_attempt ORDER BY id"),
        [
            row(&[Some("PJSIP/staff01"), Some("cancelled")]),
            row(&[Some("PJSIP/spec01"), Some("answered")]),
            row(&[Some("PJSIP/staff01"), Some("answered")]),
            row(&[Some("PJSIP/staff01"), Some("answered")]),
        ]
    );
    eprintln!("standby took over {took:?} after the kill");
    drop(lock);
}
