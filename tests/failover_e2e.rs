//! Two `hotline serve` instances on one Asterisk and one database: one routes, the
//! other stands by (a Postgres advisory lock says which). Killing the active one
//! with `kill -9` mid-call: the standby takes over within 5 s, adopts the caller left
//! in Stasis, and routes the next call to staff automatically; the journal has both
//! calls whole.
//!
//! Needs `scripts/sandbox start`, SIPp and `DATABASE_URL` (see `scripts/test`).

mod common;
mod e2e;

use std::time::{Duration, Instant};

use e2e::{
    Directory, Phone, SandboxLock, Service, Sipp, TUESDAY_MORNING, assert_asterisk_idle, enabled,
    work_dir,
};

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
    );
    let active = Service::start(&directory, TUESDAY_MORNING, &work);
    let standby = Service::start_standby(&directory, TUESDAY_MORNING, &work, "standby.log");
    assert!(!standby.log().contains("ARI event socket connected"));

    let staff01 = Sipp::phone("staff01", Phone::NeverAnswers, &work);
    let spec01 = Sipp::phone("spec01", Phone::Answers, &work);
    let spec02 = Sipp::phone("spec02", Phone::NeverAnswers, &work);
    let spec03 = Sipp::phone("spec03", Phone::NeverAnswers, &work);
    let citizen = Sipp::citizen("122", Some("1"), 20_000, &work);
    staff01.wait_for_invite();
    let killed = Instant::now();
    active.crash();
    standby.wait_for_log("takes over");
    standby.wait_for_log("ARI event socket connected");
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(5), "took over in {took:?}");
    // The adopted caller reaches the specialists; staff01's orphan leg is cancelled.
    citizen.assert_success();
    staff01.assert_success();
    for phone in [spec01, spec02, spec03] {
        phone.assert_success();
    }
    assert!(standby.log().contains("adopting a caller left in Stasis"));

    // The next call is routed by the new active instance, to staff automatically.
    let staff01 = Sipp::phone("staff01", Phone::Answers, &work);
    Sipp::citizen("122", Some("1"), 4_000, &work).assert_success();
    staff01.assert_success();
    standby.stop();
    assert_asterisk_idle();
    assert_eq!(
        directory
            .rows("SELECT outcome::text, answered_target FROM call_record ORDER BY entered_at"),
        [
            row(&[Some("answered_by_specialist"), Some("PJSIP/spec01")]),
            row(&[Some("answered_by_staff"), Some("PJSIP/staff01")]),
        ]
    );
    eprintln!("standby took over {took:?} after the kill");
    drop(lock);
}
