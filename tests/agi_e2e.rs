//! End-to-end over FastAGI: a SIPp citizen (`citizen-agi`, 127.0.0.1:5072) calls
//! 122 on the sandbox Asterisk, whose dialplan `asterisk-dialplan/agi-example.conf`
//! asks this crate's FastAGI server — running in-process on a free port — who takes
//! the call, rings SIPp phones with `Dial()`, and reports back; the journal of a
//! fresh database must tell the story, and Asterisk must be left with no channel.
//!
//! Needs `scripts/sandbox start` (with the current `asterisk-dialplan/`), SIPp and
//! `DATABASE_URL` (see `scripts/test`). Fails with instructions without the sandbox,
//! unless `HOTLINE_SKIP_E2E=1`. Shares the sandbox lock with the other e2e tests.

mod common;
mod e2e;

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hotline::agi::{AgiContext, AgiServer, AgiServerSettings, CallFlow};
use hotline::app::RoutingClock;
use hotline::directory::{DirectoryCache, load_snapshot};
use hotline::journal::JournalWriter;
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;

use e2e::{
    CITIZEN_NUMBER, Directory, Phone, SandboxLock, Sipp, TUESDAY_MORNING, TUESDAY_NIGHT,
    assert_asterisk_idle, enabled, work_dir,
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

fn sandbox_cli(command: &str) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox");
    let output = Command::new(script)
        .args(["cli", command])
        .output()
        .expect("running scripts/sandbox cli");
    assert!(
        output.status.success(),
        "scripts/sandbox cli {command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
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

/// The FastAGI server with a journal writer on the test's database, in a runtime of
/// its own (the e2e harness is synchronous).
struct InProcessAgi {
    runtime: tokio::runtime::Runtime,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
    journal: Option<tokio::task::JoinHandle<()>>,
    port: u16,
}

impl InProcessAgi {
    fn start(directory: &Directory, clock: &str, work: &Path) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let url = directory.db.url();
        let spool = work.join("journal.spool");
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339(clock).unwrap().into();
        let shutdown = CancellationToken::new();
        let (server, journal, port) = runtime.block_on(async {
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .expect("test database");
            let snapshot = load_snapshot(&pool).await.expect("directory");
            let (journal, writer) = JournalWriter::new(pool.clone(), spool);
            let journal_task = tokio::spawn(async move {
                writer.run(Duration::from_secs(5)).await.expect("journal");
                pool.close().await;
            });
            let context = Arc::new(AgiContext {
                directory: DirectoryCache::fixed(snapshot),
                journal,
                clock: RoutingClock::starting_at(at),
                recency: Arc::default(),
                flow: CallFlow {
                    specialist_ring_seconds: 10,
                    specialist_rounds: 1,
                    announce_transfers: true,
                },
            });
            let server = AgiServer::bind(
                "127.0.0.1:0".parse().unwrap(),
                context,
                AgiServerSettings::default(),
            )
            .await
            .expect("bind");
            let port = server.local_addr().unwrap().port();
            (
                tokio::spawn(server.run(shutdown.clone())),
                journal_task,
                port,
            )
        });
        Self {
            runtime,
            shutdown,
            server: Some(server),
            journal: Some(journal),
            port,
        }
    }

    /// Stops the server and waits until the journal is written.
    fn stop(mut self) {
        self.shutdown.cancel();
        let (server, journal) = (self.server.take().unwrap(), self.journal.take().unwrap());
        self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), server)
                .await
                .expect("AGI server stops")
                .unwrap();
            tokio::time::timeout(Duration::from_secs(10), journal)
                .await
                .expect("journal drains")
                .unwrap();
        });
    }
}

/// The citizen on the `citizen-agi` endpoint: calls `line`, presses `digit` 1 s
/// after the answer, stays `talk_ms` after it, hangs up.
fn citizen_agi(line: &str, digit: &str, talk_ms: u32, work: &Path) -> Child {
    let dir = work.join("citizen");
    std::fs::create_dir_all(&dir).unwrap();
    Command::new("sipp")
        .arg("127.0.0.1:5060")
        .args([
            "-i",
            "127.0.0.1",
            "-m",
            "1",
            "-timeout",
            "90s",
            "-timeout_error",
            "-nostdin",
        ])
        .args([
            "-sf",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp/citizen_uac.xml"),
        ])
        .args(["-s", line, "-p", "5072", "-mp", "30720"])
        .args([
            "-set",
            "dtmf",
            digit,
            "-set",
            "talk_ms",
            &talk_ms.to_string(),
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(File::create(dir.join("screen.txt")).unwrap())
        .stderr(File::create(dir.join("stderr.txt")).unwrap())
        .spawn()
        .expect("starting sipp")
}

fn assert_citizen_success(mut child: Child, work: &Path) {
    let deadline = Instant::now() + Duration::from_secs(100);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let screen = std::fs::read_to_string(work.join("citizen/screen.txt")).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "citizen SIPp ended with {status:?}:\n{screen}"
    );
}

/// One call through the sandbox: phones up, server up, the citizen calls, then
/// everything down and the journal read.
fn agi_call(
    test: &str,
    clock: &str,
    tune: &[&'static str],
    phones: &[(&str, Phone)],
    talk_ms: u32,
) -> (Rows, Rows) {
    let _lock = SandboxLock::acquire();
    assert_agi_dialplan_loaded();
    assert_asterisk_idle();
    let work = work_dir(test);
    let directory = Directory::demo(test, tune);
    let agi = InProcessAgi::start(&directory, clock, &work);
    let url = AgiUrl::point_at(agi.port);
    let phones: Vec<Sipp> = phones
        .iter()
        .map(|(endpoint, behaviour)| Sipp::phone(endpoint, *behaviour, &work))
        .collect();
    let citizen = citizen_agi("122", "1", talk_ms, &work);
    assert_citizen_success(citizen, &work);
    for phone in phones {
        phone.assert_success();
    }
    assert_asterisk_idle();
    drop(url);
    agi.stop();
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
