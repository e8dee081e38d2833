//! One hotline driving two Asterisk servers: the sandbox's node 1 (`main`, SIP 5060,
//! ARI 8088) and node 2 (`pbx2`, SIP 5062, ARI 8089, `scripts/sandbox start-node2`).
//! Each call is handled on the node it arrived on and journaled with it; node 2
//! killed (`kill -9` of its Asterisk) in the middle of a call on node 1 does not
//! disturb that call nor the next one; node 2 back, hotline reconnects to it and
//! routes its calls again.
//!
//! Needs the sandbox and SIPp; skipped without them.

mod common;
mod e2e;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::{
    NODE2_SIP, Phone, Scene, Sipp, enabled, purge_recordings, sandbox, sandbox_root, work_dir,
};

/// hotline's settings for the sandbox's node 2 beside node 1.
const NODES: &[(&str, &str)] = &[(
    "HOTLINE_EXTRA_ASTERISK_NODES",
    r#"[{name="pbx2", ari_url="http://127.0.0.1:8089"}]"#,
)];

/// Node 2, stopped again when the test ends however it ends.
struct Node2;

impl Node2 {
    fn start() -> Self {
        sandbox(&["start-node2"]);
        Self
    }
}

impl Drop for Node2 {
    fn drop(&mut self) {
        let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox"))
            .arg("stop-node2")
            .output();
    }
}

/// Node 2's active channels.
fn node2_channels() -> usize {
    let text = sandbox(&["cli-node2", "core show channels count"]);
    text.lines()
        .find(|l| l.contains("active channel"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no channel count in {text:?}"))
}

/// Waits (20 s at most) until the service has logged `message` from node `node`
/// at least `times` times.
fn wait_for_node_log(scene: &Scene, node: &str, message: &str, times: usize) {
    let needle = format!("node{{node={node}}}: ");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = scene.service.log();
        let count = log
            .lines()
            .filter(|l| l.contains(&needle) && l.contains(message))
            .count();
        if count >= times {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "node {node} never logged {message:?} {times} times:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn each_call_is_handled_on_its_node_and_a_node_going_away_leaves_the_other_alone() {
    if !enabled() {
        return;
    }
    let node2 = Node2::start();
    // Line 122 records its calls (without greeting, to keep the test short): each
    // recording stays on its call's node.
    let scene = Scene::build("nodes_e2e")
        .tune(&["UPDATE line SET record_calls = true, greeting_prompt = NULL WHERE number = '122'"])
        .settings(NODES)
        .start();
    wait_for_node_log(&scene, "pbx2", "ARI event socket connected", 1);
    wait_for_node_log(&scene, "main", "ARI event socket connected", 1);

    // A call on node 2 reaches staff automatically, through node 2.
    let staff = scene.phone("staff01", Phone::Answers);
    Sipp::citizen_at(NODE2_SIP, "citizen", "122", Some("1"), 11_000, &scene.work).assert_success();
    staff.assert_success();
    let directory = &scene.directory;
    directory.wait_for_row(
        "SELECT asterisk_node || ' ' || outcome::text || ' ' || left(call_key, 5)
           FROM call_record WHERE asterisk_node = 'pbx2'",
        "pbx2 answered_by_staff pbx2-",
    );

    // A conversation on node 1; node 2 dies in the middle of it.
    let staff = scene.phone("staff01", Phone::Answers);
    let citizen = Sipp::citizen("122", Some("1"), 15_000, &scene.work);
    staff.wait_for_invite();
    std::thread::sleep(Duration::from_secs(2));
    sandbox(&["kill-node2"]);
    wait_for_node_log(&scene, "pbx2", "ARI socket down", 1);
    citizen.assert_success();
    staff.assert_success();
    directory.wait_for_row(
        "SELECT count(*)::text FROM call_record
          WHERE asterisk_node = 'main' AND outcome = 'answered_by_staff'",
        "1",
    );
    // And node 1 takes the next call as well while node 2 is away.
    let staff = scene.phone("staff01", Phone::Answers);
    Sipp::citizen("122", Some("1"), 11_000, &scene.work).assert_success();
    staff.assert_success();
    directory.wait_for_row(
        "SELECT count(*)::text FROM call_record
          WHERE asterisk_node = 'main' AND outcome = 'answered_by_staff'",
        "2",
    );

    // Node 2 back: hotline reconnects by itself and routes its calls again.
    sandbox(&["start-node2"]);
    wait_for_node_log(&scene, "pbx2", "ARI event socket connected", 2);
    let work = work_dir("nodes_e2e_after");
    let staff = Sipp::phone("staff01", Phone::Answers, &work);
    Sipp::citizen_at(NODE2_SIP, "citizen", "122", Some("1"), 11_000, &work).assert_success();
    staff.assert_success();
    directory.wait_for_row(
        "SELECT count(*)::text FROM call_record
          WHERE asterisk_node = 'pbx2' AND outcome = 'answered_by_staff'",
        "2",
    );
    // Every call has its row, on its node, and none is left open.
    directory.wait_for_row(
        "SELECT count(*)::text FROM call_record WHERE ended_at IS NOT NULL",
        "4",
    );
    assert_eq!(node2_channels(), 0, "node 2 kept channels");
    let directory = scene.finish();

    // Each recording is on its call's node, and the cleanup deletes it there.
    let files: Vec<PathBuf> = directory
        .rows("SELECT asterisk_node, recording_name FROM call_record ORDER BY entered_at")
        .into_iter()
        .map(|row| {
            let spool = match row[0].as_deref() {
                Some("pbx2") => "var/spool/asterisk-node2",
                _ => "var/spool/asterisk",
            };
            let name = row[1].clone().expect("every call was recorded");
            sandbox_root()
                .join(spool)
                .join("recording")
                .join(format!("{name}.wav"))
        })
        .collect();
    assert_eq!(files.len(), 4);
    for file in &files {
        assert!(file.exists(), "{} is missing", file.display());
    }
    let output = purge_recordings(&directory.db.url(), NODES, "2099-01-01T00:00:00Z");
    assert!(
        output.contains("removed 4, already gone 0, failed 0"),
        "{output}"
    );
    for file in &files {
        assert!(!file.exists(), "{} is still there", file.display());
    }
    drop(node2);
}
