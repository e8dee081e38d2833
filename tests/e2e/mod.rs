//! The end-to-end harness: the sandbox Asterisk 22 (`scripts/sandbox start`), the real
//! `hotline` binary on a fresh Postgres database, and SIPp playing the citizen and the
//! phones of staff and specialists (`tests/sipp/`).
//!
//! Tests take an exclusive lock on the sandbox (a file lock, so separate test binaries
//! and scripts queue too), because they share Asterisk, its SIP ports and the Stasis
//! app name. Without the sandbox they fail with instructions, unless
//! `HOTLINE_SKIP_E2E=1` says to skip them (`scripts/test --quick`).

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::common::ScratchDatabase;

/// ARI of the sandbox (`asterisk-dialplan/http.conf`, `ari.conf`).
pub const ARI: &str = "http://127.0.0.1:8088/ari";
const ARI_USER: &str = "hotline";
const ARI_PASSWORD: &str = "hotline";
/// SIP of the sandbox.
const ASTERISK_SIP: &str = "127.0.0.1:5060";
/// The sandbox's second Asterisk (`scripts/sandbox start-node2`, system name
/// `pbx2`): SIP and ARI.
pub const NODE2_SIP: &str = "127.0.0.1:5062";
pub const NODE2_ARI: &str = "http://127.0.0.1:8089";
/// The citizen's number in `tests/sipp/citizen_uac*.xml`.
pub const CITIZEN_NUMBER: &str = "79990000001";

/// A Tuesday at 10:00 in Irkutsk: every demo organisation works.
pub const TUESDAY_MORNING: &str = "2026-06-16T10:00:00+08:00";
/// The same Tuesday at 22:00: every demo organisation is closed.
pub const TUESDAY_NIGHT: &str = "2026-06-16T22:00:00+08:00";

/// Whether e2e tests run here. Panics with instructions when the sandbox is missing,
/// so CI can never pass by skipping silently.
pub fn enabled() -> bool {
    if std::env::var("HOTLINE_SKIP_E2E").is_ok_and(|v| v == "1") {
        eprintln!("HOTLINE_SKIP_E2E=1: end-to-end test skipped");
        return false;
    }
    let reachable = ari_get("asterisk/info").is_some();
    assert!(
        reachable,
        "the sandbox Asterisk does not answer at {ARI}: run `scripts/sandbox start` \
         (or set HOTLINE_SKIP_E2E=1 to skip end-to-end tests)"
    );
    assert!(
        Path::new("/usr/bin/sipp").exists(),
        "SIPp is missing: run `scripts/sandbox install-host-deps`"
    );
    true
}

/// Exclusive use of the sandbox for one test; released on drop.
pub struct SandboxLock(File);

impl SandboxLock {
    /// Waits for the sandbox to be free.
    pub fn acquire() -> Self {
        let file = File::create("/tmp/hotline-sandbox.lock").expect("lock file");
        file.lock().expect("locking the sandbox");
        Self(file)
    }
}

/// Runs one async request from a plain (blocking) test.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// GET on ARI; `None` when Asterisk does not answer 2xx.
pub fn ari_get(path: &str) -> Option<serde_json::Value> {
    block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{ARI}/{path}"))
            .basic_auth(ARI_USER, Some(ARI_PASSWORD))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    })
}

/// A plain GET (the service's `/metrics`, `/ready`): status and body.
pub fn http_get(url: &str) -> (u16, String) {
    block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    })
}

/// Waits until Asterisk has no channel and no bridge left; panics listing them.
pub fn assert_asterisk_idle() {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let channels = ari_get("channels").unwrap_or_default();
        let bridges = ari_get("bridges").unwrap_or_default();
        let empty = |v: &serde_json::Value| v.as_array().is_some_and(Vec::is_empty);
        if empty(&channels) && empty(&bridges) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Asterisk still has channels {channels} and bridges {bridges}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A fresh database with the schema and the demo directory, tuned for quick tests:
/// 5 s attempts, a short menu, 3 s to press a digit.
pub struct Directory {
    pub db: ScratchDatabase,
}

impl Directory {
    /// Migrated, seeded with the demo directory, then `tune` applied.
    pub fn demo(purpose: &str, tune: &[&'static str]) -> Self {
        let db = ScratchDatabase::create(purpose);
        db.with_pool(async |pool: &PgPool| {
            hotline::directory::MIGRATOR
                .run(pool)
                .await
                .expect("migrations");
            // As `hotline migrate` does: the decrees the binary ships.
            hotline::directory::calendar::import_bundled_decrees(pool)
                .await
                .expect("bundled calendar decrees");
            hotline::directory::demo::seed_demo(pool)
                .await
                .expect("demo directory");
            let quick = [
                "UPDATE topic SET attempt_timeout_seconds = 5",
                "UPDATE line SET digit_timeout_seconds = 3, menu_attempts = 2",
            ];
            for sql in quick.iter().chain(tune) {
                sqlx::query(*sql).execute(pool).await.expect(sql);
            }
        });
        Self { db }
    }

    /// Adds the demo console accounts (`operator1` at spec01, `operator2` at spec02,
    /// ...; password [`hotline::http::accounts::DEMO_PASSWORD`]).
    pub fn with_console_users(self) -> Self {
        self.db.with_pool(async |pool: &PgPool| {
            hotline::http::accounts::seed_demo_users(pool)
                .await
                .expect("demo users");
        });
        self
    }

    /// Waits (20 s at most) until `sql`'s first column of its first row reads
    /// `expected` (the journal is written a moment after the fact).
    pub fn wait_for_row(&self, sql: &'static str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let rows = self.rows(sql);
            if rows.first().and_then(|r| r[0].as_deref()) == Some(expected) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{sql}: {rows:?}, never {expected:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs a query returning rows of text, for assertions on the journal.
    pub fn rows(&self, sql: &'static str) -> Vec<Vec<Option<String>>> {
        self.db.with_pool(async |pool: &PgPool| {
            use sqlx::Row as _;
            let rows = sqlx::query(sql).fetch_all(pool).await.expect(sql);
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| row.try_get::<Option<String>, _>(i).expect("text column"))
                        .collect()
                })
                .collect()
        })
    }
}

/// The `hotline serve` binary, connected to the sandbox.
pub struct Service {
    child: Option<Child>,
    log: PathBuf,
    spool: PathBuf,
}

impl Service {
    /// Starts it with the routing clock at `clock_start`; returns once its event
    /// socket is connected.
    pub fn start(directory: &Directory, clock_start: &str, work: &Path) -> Self {
        Self::start_with(directory, clock_start, work, "hotline-serve.log", &[])
    }

    /// Like [`Service::start`], with its own log file name and extra settings.
    pub fn start_with(
        directory: &Directory,
        clock_start: &str,
        work: &Path,
        log_name: &str,
        settings: &[(&str, &str)],
    ) -> Self {
        Self::spawn(
            directory,
            clock_start,
            work,
            log_name,
            settings,
            "ARI event socket connected",
        )
    }

    fn spawn(
        directory: &Directory,
        clock_start: &str,
        work: &Path,
        log_name: &str,
        settings: &[(&str, &str)],
        ready_when: &str,
    ) -> Self {
        let log = work.join(log_name);
        let spool = work.join("journal.spool");
        let child = Command::new(env!("CARGO_BIN_EXE_hotline"))
            .arg("serve")
            .env("DATABASE_URL", directory.db.url())
            .env("HOTLINE_CLOCK_START", clock_start)
            .env("HOTLINE_JOURNAL_SPOOL", &spool)
            .env("HOTLINE_SPECIALIST_RING_SECONDS", "10")
            .env("HOTLINE_SPECIALIST_ROUNDS", "1")
            .env("HOTLINE_SHUTDOWN_DRAIN_SECONDS", "5")
            .env("HOTLINE_AGI_LISTEN", "127.0.0.1:0")
            .env("HOTLINE_HTTP_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "hotline=debug")
            // No import of the dialplan fallback's calls unless a test asks.
            .env("HOTLINE_DIALPLAN_FALLBACK_LOG", "")
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("service log"))
            .spawn()
            .expect("starting hotline serve");
        let service = Self {
            child: Some(child),
            log,
            spool,
        };
        service.wait_for_log(ready_when);
        service
    }

    /// Like [`Service::start_with`] for a second instance on the same database while
    /// another is active: returns once it says it stands by.
    pub fn start_standby(
        directory: &Directory,
        clock_start: &str,
        work: &Path,
        log_name: &str,
    ) -> Self {
        // Its own spool: two writers must not share one file.
        let spool = work.join(format!("{log_name}.spool"));
        let spool = spool.to_str().expect("a UTF-8 path");
        Self::spawn(
            directory,
            clock_start,
            work,
            log_name,
            &[("HOTLINE_JOURNAL_SPOOL", spool)],
            "standby:",
        )
    }

    /// The operator console's base URL (`http://127.0.0.1:PORT`), from its log line.
    pub fn console_url(&self) -> String {
        format!("http://{}", self.logged_address("console HTTP serving"))
    }

    /// The port the FastAGI server took (`HOTLINE_AGI_LISTEN` is port 0), from its
    /// log line.
    pub fn agi_port(&self) -> u16 {
        let address = self.logged_address("FastAGI listening");
        let port = address.rsplit(':').next().and_then(|p| p.parse().ok());
        port.unwrap_or_else(|| panic!("no port in the FastAGI address {address:?}"))
    }

    /// The `address=` field of the first log line with `message`, once it is logged.
    fn logged_address(&self, message: &str) -> String {
        self.wait_for_log(message);
        let log = self.log();
        let line = log
            .lines()
            .find(|l| l.contains(message))
            .expect("logged above");
        line.split("address=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(|address| address.trim_start_matches("Some(").trim_end_matches(')'))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned()
    }

    /// The service's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (20 s at most) until the log holds `needle`.
    pub fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "hotline serve never logged {needle:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills it without warning, as a crash would.
    pub fn crash(mut self) {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGTERM, then waits for a clean exit (the journal is flushed by then).
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = wait_with_timeout(&mut child, Duration::from_secs(20));
        let log = self.log();
        assert!(
            status.is_some_and(|s| s.success()),
            "hotline serve did not stop cleanly ({status:?}):\n{log}"
        );
        assert!(
            !self.spool.exists(),
            "journal records were spooled: Postgres was reachable"
        );
        log
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How a SIPp phone behaves.
#[derive(Clone, Copy, Debug)]
pub enum Phone {
    /// Rings 0.5 s, answers, waits for BYE.
    Answers,
    /// Answers 486 Busy Here.
    Busy,
    /// Rings until cancelled.
    NeverAnswers,
    /// Answers, presses the transfer code `*1` 2 s later, waits for BYE.
    AnswersThenStarOne,
    /// Answers, and 2 s later presses the phone's transfer button: a blind REFER
    /// to this Refer-To user part; waits for BYE.
    AnswersThenRefers(&'static str),
}

/// The last `n` lines of `text`.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A SIPp process: a phone (UAS) or the citizen (UAC).
pub struct Sipp {
    child: Option<Child>,
    name: String,
    dir: PathBuf,
}

impl Sipp {
    /// A staff member's or specialist's phone on its sandbox port (staffNN: 5080+NN,
    /// specNN: 5090+NN). Returns once it listens.
    pub fn phone(endpoint: &str, behaviour: Phone, work: &Path) -> Self {
        let port = sip_port(endpoint);
        let scenario = match behaviour {
            Phone::Answers => "staff_uas_answer.xml",
            Phone::Busy => "staff_uas_busy.xml",
            Phone::NeverAnswers => "staff_uas_noanswer.xml",
            Phone::AnswersThenStarOne => "specialist_uas_star1.xml",
            Phone::AnswersThenRefers(_) => "specialist_uas_refer.xml",
        };
        let media_port = 30_000 + (port - 5000) * 10;
        wait_udp_free(port);
        let (port, media_port) = (port.to_string(), media_port.to_string());
        let scenario = scenario_path(scenario);
        let mut args = vec!["-sf", &scenario, "-p", &port, "-mp", &media_port];
        let keys;
        if let Phone::AnswersThenStarOne = behaviour {
            let dir = work.join(endpoint);
            std::fs::create_dir_all(&dir).unwrap();
            keys = [
                restamped_dtmf("star", 0, &dir),
                restamped_dtmf("1", 1_000, &dir),
            ];
            args.extend([
                "-key",
                "first",
                keys[0].to_str().unwrap(),
                "-key",
                "second",
                keys[1].to_str().unwrap(),
            ]);
        }
        if let Phone::AnswersThenRefers(destination) = behaviour {
            args.extend(["-set", "refer_to", destination]);
        }
        let sipp = Self::spawn(endpoint, work, &args);
        wait_udp_bound(port.parse().unwrap());
        sipp
    }

    /// The citizen calling `line`, pressing `digit` 1 s after the answer (none if
    /// `None`), staying `talk_ms` after it, then hanging up.
    pub fn citizen(line: &str, digit: Option<&str>, talk_ms: u32, work: &Path) -> Self {
        Self::citizen_from("citizen", line, digit, talk_ms, work)
    }

    /// Like [`Sipp::citizen`] from another citizen phone of the sandbox: `citizen`
    /// (port 5070) or `citizen2` (5073), both routed to the Stasis app, or
    /// `citizen-agi` (5072), routed by the FastAGI dialplan (`agi-example.conf`).
    pub fn citizen_from(
        endpoint: &str,
        line: &str,
        digit: Option<&str>,
        talk_ms: u32,
        work: &Path,
    ) -> Self {
        Self::citizen_at(ASTERISK_SIP, endpoint, line, digit, talk_ms, work)
    }

    /// Like [`Sipp::citizen_from`], calling the Asterisk at `asterisk` (the
    /// sandbox's node 2 listens on [`NODE2_SIP`]).
    pub fn citizen_at(
        asterisk: &str,
        endpoint: &str,
        line: &str,
        digit: Option<&str>,
        talk_ms: u32,
        work: &Path,
    ) -> Self {
        let talk = talk_ms.to_string();
        let (port, media_port) = match endpoint {
            "citizen" => ("5070", "30000"),
            "citizen2" => ("5073", "30030"),
            "citizen-agi" => ("5072", "30720"),
            other => panic!("no citizen phone {other:?} in the sandbox"),
        };
        let mut args = vec![
            "-sf".to_owned(),
            scenario_path("citizen_uac.xml"),
            "-s".into(),
            line.into(),
            "-p".into(),
            port.into(),
            "-mp".into(),
            media_port.into(),
            "-set".into(),
            "talk_ms".into(),
            talk,
        ];
        if let Some(digit) = digit {
            args.extend(["-set".into(), "dtmf".into(), digit.into()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Self::spawn_to(asterisk, endpoint, work, &args)
    }

    /// The citizen pressing `first`, then `second` `gap_ms` later.
    pub fn citizen_two_digits(
        line: &str,
        first: &str,
        second: &str,
        gap_ms: u32,
        talk_ms: u32,
        work: &Path,
    ) -> Self {
        // Each DTMF pcap has fixed RTP sequence numbers and timestamps; the second
        // digit must come later in both or Asterisk drops it as old.
        let first = restamped_dtmf(first, 0, work);
        let second = restamped_dtmf(second, 1_000, work);
        let (gap, talk) = (gap_ms.to_string(), talk_ms.to_string());
        let args = [
            "-sf",
            &scenario_path("citizen_uac_two_digits.xml"),
            "-s",
            line,
            "-p",
            "5070",
            "-mp",
            "30000",
            "-key",
            "first",
            first.to_str().unwrap(),
            "-key",
            "second",
            second.to_str().unwrap(),
            "-set",
            "gap_ms",
            &gap,
            "-set",
            "talk_ms",
            &talk,
        ];
        Self::spawn("citizen", work, &args)
    }

    fn spawn(name: &str, work: &Path, args: &[&str]) -> Self {
        Self::spawn_to(ASTERISK_SIP, name, work, args)
    }

    fn spawn_to(asterisk: &str, name: &str, work: &Path, args: &[&str]) -> Self {
        let dir = work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("sipp")
            .arg(asterisk)
            .args([
                "-i",
                "127.0.0.1",
                "-m",
                "1",
                "-timeout",
                "90s",
                "-timeout_error",
                "-nostdin",
                // What it exchanged, for assert_success to show when a call
                // fails (and for tests that read the messages). Not -trace_err:
                // every timed-out wait slice of the scenarios is an "error" there.
                "-trace_msg",
            ])
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("screen.txt")).unwrap())
            .stderr(File::create(dir.join("stderr.txt")).unwrap())
            .spawn()
            .expect("starting sipp");
        Self {
            child: Some(child),
            name: name.to_owned(),
            dir,
        }
    }

    /// Waits for SIPp to finish its one call; panics unless it reports success
    /// (exit code 0: the call went as its scenario says), showing SIPp's screen and
    /// the last SIP messages it exchanged.
    pub fn assert_success(mut self) {
        let mut child = self.child.take().expect("running");
        let status = wait_with_timeout(&mut child, Duration::from_secs(100));
        if status.is_some_and(|s| s.success()) {
            return;
        }
        let screen = std::fs::read_to_string(self.dir.join("screen.txt")).unwrap_or_default();
        let stderr = std::fs::read_to_string(self.dir.join("stderr.txt")).unwrap_or_default();
        panic!(
            "SIPp {} ended with {status:?}; its screen:\n{}\n--- stderr:\n{}\n--- last messages:\n{}",
            self.name,
            last_lines(&screen, 80),
            last_lines(&stderr, 20),
            last_lines(&self.messages(), 80),
        );
    }

    /// The text of this SIPp's log file whose name ends with `suffix`.
    fn log_ending_with(&self, suffix: &str) -> String {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    }

    /// The SIP messages this phone exchanged (`-trace_msg`).
    pub fn messages(&self) -> String {
        self.log_ending_with("_messages.log")
    }

    /// Asserts that the INVITE this phone got showed it the citizen's number and the
    /// topic's name (in its From); call it before `assert_success`, which takes the
    /// phone.
    pub fn assert_shown_citizen_and(&self, topic_name: &str) {
        let messages = self.messages();
        let invite_from = messages
            .lines()
            .find(|l| l.starts_with("From:"))
            .unwrap_or_default();
        assert!(
            invite_from.contains(CITIZEN_NUMBER) && invite_from.contains(topic_name),
            "{invite_from}"
        );
    }

    /// Waits (bounded) until this phone has received an INVITE: it rings now.
    pub fn wait_for_invite(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.messages().contains("INVITE sip:") {
            assert!(Instant::now() < deadline, "{} never rang", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops a phone nobody called.
    pub fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A work folder for one test's logs; kept under target/ for a failed test.
pub fn work_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("e2e")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scenario_path(file: &str) -> String {
    format!("{}/tests/sipp/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn sip_port(endpoint: &str) -> u16 {
    let number = |prefix: &str| {
        endpoint
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<u16>().ok())
    };
    number("staff")
        .map(|n| 5080 + n)
        .or_else(|| number("spec").map(|n| 5090 + n))
        .unwrap_or_else(|| panic!("no sandbox port for {endpoint}"))
}

/// Whether something listens on UDP `port` of 127.0.0.1.
fn udp_bound(port: u16) -> bool {
    let needle = format!("0100007F:{port:04X}");
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    table
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(&needle))
}

/// Waits until something listens on UDP `port` of 127.0.0.1.
fn wait_udp_bound(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !udp_bound(port) {
        assert!(Instant::now() < deadline, "nothing listens on UDP {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until a phone's port is free: a SIPp left over from elsewhere would take
/// our calls (and our SIPp would fail to bind).
fn wait_udp_free(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while udp_bound(port) {
        assert!(
            Instant::now() < deadline,
            "UDP {port} is taken by another process (a stray sipp?)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A copy of SIPp's RFC 2833 pcap for `digit` with RTP sequence numbers and
/// timestamps moved on by `offset` (timestamps by 160 × offset), UDP checksums
/// cleared (allowed on IPv4).
fn restamped_dtmf(digit: &str, offset: u16, work: &Path) -> PathBuf {
    let source = format!("/usr/share/sip-tester/dtmf_2833_{digit}.pcap");
    let mut data = std::fs::read(&source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let mut at = 24; // pcap global header
    while at + 16 <= data.len() {
        let length = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap()) as usize;
        let packet = at + 16;
        let udp = packet + 14 + 20;
        let rtp = udp + 8;
        data[udp + 6..udp + 8].copy_from_slice(&[0, 0]);
        let seq = u16::from_be_bytes([data[rtp + 2], data[rtp + 3]]).wrapping_add(offset);
        data[rtp + 2..rtp + 4].copy_from_slice(&seq.to_be_bytes());
        let ts = u32::from_be_bytes(data[rtp + 4..rtp + 8].try_into().unwrap())
            .wrapping_add(u32::from(offset) * 160);
        data[rtp + 4..rtp + 8].copy_from_slice(&ts.to_be_bytes());
        at = packet + length;
    }
    let path = work.join(format!("dtmf_{digit}_{offset}.pcap"));
    std::fs::write(&path, data).unwrap();
    path
}

/// A signed-in console user of a running service, over its HTTP API.
pub struct ConsoleSession {
    base: String,
    cookie: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl ConsoleSession {
    /// Signs `login` in (demo password).
    pub fn sign_in(service: &Service, login: &str) -> Self {
        let base = service.console_url();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::new();
        let cookie = runtime.block_on(async {
            let response = client
                .post(format!("{base}/api/login"))
                .json(&serde_json::json!({
                    "login": login,
                    "password": hotline::http::accounts::DEMO_PASSWORD,
                }))
                .send()
                .await
                .expect("login request");
            assert!(response.status().is_success(), "{login} could not sign in");
            let set_cookie = response
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .expect("a session cookie")
                .to_owned();
            set_cookie.split(';').next().unwrap().to_owned()
        });
        Self {
            base,
            cookie,
            runtime,
            client,
        }
    }

    /// GET, expecting 2xx JSON.
    pub fn get(&self, path: &str) -> serde_json::Value {
        self.send(self.client.get(format!("{}{path}", self.base)))
    }

    /// POST JSON, expecting 2xx JSON.
    pub fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body))
    }

    /// GET whatever it answers: status, `Content-Type` and the body's bytes.
    pub fn get_raw(&self, path: &str) -> (u16, String, Vec<u8>) {
        let (status, content_type, body) =
            self.exchange_raw(self.client.get(format!("{}{path}", self.base)));
        (status.as_u16(), content_type, body)
    }

    /// POST JSON, expecting exactly `status`.
    pub fn post_status(&self, path: &str, body: serde_json::Value, status: u16) {
        let request = self.client.post(format!("{}{path}", self.base)).json(&body);
        let (got, answer) = self.exchange(request);
        assert_eq!(got.as_u16(), status, "POST {path}: {answer}");
    }

    fn send(&self, request: reqwest::RequestBuilder) -> serde_json::Value {
        let (status, body) = self.exchange(request);
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    /// Sends with the session cookie; the answer as JSON (or as a string if it is
    /// not JSON, e.g. an empty 202).
    fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let (status, _, bytes) = self.exchange_raw(request);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        (status, body)
    }

    /// Sends with the session cookie; the status, `Content-Type` and body's bytes.
    fn exchange_raw(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, String, Vec<u8>) {
        self.runtime.block_on(async {
            let response = request
                .header("cookie", &self.cookie)
                .send()
                .await
                .expect("console request");
            let status = response.status();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.bytes().await.unwrap_or_default().to_vec();
            (status, content_type, body)
        })
    }

    /// Polls `GET path` until `done` holds of the answer (20 s at most).
    pub fn wait_for(
        &self,
        path: &str,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer = self.get(path);
            if done(&answer) {
                return answer;
            }
            assert!(Instant::now() < deadline, "never {what}: {answer}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The prologue every end-to-end test shares, in one place: the sandbox held, Asterisk
/// idle, a work folder, a fresh demo directory and `hotline serve` running on it.
/// [`Scene::finish`] is the epilogue: the service stopped (journal flushed), Asterisk
/// idle again, and the citizen's number nowhere in the service's log.
pub struct Scene {
    /// Held until the scene is finished: one test at a time on the sandbox.
    _lock: SandboxLock,
    /// The test's work folder (SIPp logs, the service's log, the spool).
    pub work: PathBuf,
    /// The test's own database.
    pub directory: Directory,
    /// The running service.
    pub service: Service,
}

/// What a [`Scene`] starts with; [`Scene::build`] gives the defaults (Tuesday 10:00,
/// the demo directory as it is, no extra settings, no console accounts).
pub struct SceneBuilder<'a> {
    test: &'a str,
    clock: &'a str,
    tune: &'a [&'static str],
    settings: &'a [(&'a str, &'a str)],
    console_users: bool,
}

impl<'a> SceneBuilder<'a> {
    /// The routing clock's start (RFC 3339).
    pub fn clock(mut self, clock: &'a str) -> Self {
        self.clock = clock;
        self
    }

    /// SQL run on the demo directory before the service starts.
    pub fn tune(mut self, tune: &'a [&'static str]) -> Self {
        self.tune = tune;
        self
    }

    /// Extra `HOTLINE_*` settings of the service.
    pub fn settings(mut self, settings: &'a [(&'a str, &'a str)]) -> Self {
        self.settings = settings;
        self
    }

    /// The demo console accounts too (`operator1` at spec01, …).
    pub fn console_users(mut self) -> Self {
        self.console_users = true;
        self
    }

    /// Takes the sandbox and starts everything.
    pub fn start(self) -> Scene {
        let lock = SandboxLock::acquire();
        assert_asterisk_idle();
        let work = work_dir(self.test);
        let mut directory = Directory::demo(self.test, self.tune);
        if self.console_users {
            directory = directory.with_console_users();
        }
        let service = Service::start_with(
            &directory,
            self.clock,
            &work,
            "hotline-serve.log",
            self.settings,
        );
        Scene {
            _lock: lock,
            work,
            directory,
            service,
        }
    }
}

impl Scene {
    /// A scene for `test` (its work folder and database are named after it).
    pub fn build(test: &str) -> SceneBuilder<'_> {
        SceneBuilder {
            test,
            clock: TUESDAY_MORNING,
            tune: &[],
            settings: &[],
            console_users: false,
        }
    }

    /// A SIPp phone of the scene.
    pub fn phone(&self, endpoint: &str, behaviour: Phone) -> Sipp {
        Sipp::phone(endpoint, behaviour, &self.work)
    }

    /// Stops the service (flushing the journal), checks Asterisk is clean and the
    /// citizen's number never reached the log in full; returns the directory.
    pub fn finish(self) -> Directory {
        self.finish_with_log().0
    }

    /// [`Scene::finish`], also giving the service's log.
    pub fn finish_with_log(self) -> (Directory, String) {
        let log = self.service.stop();
        assert_asterisk_idle();
        assert!(
            !log.contains(CITIZEN_NUMBER),
            "the citizen's number leaked into the service log"
        );
        (self.directory, log)
    }
}

/// Runs an Asterisk CLI command in the sandbox (`scripts/sandbox cli`); its output.
pub fn sandbox_cli(command: &str) -> String {
    sandbox(&["cli", command])
}

/// Runs `scripts/sandbox` with `args` (`start-node2`, `cli-node2 'core show …'`);
/// its output; panics if it fails.
pub fn sandbox(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox");
    let output = Command::new(script)
        .args(args)
        .output()
        .expect("running scripts/sandbox");
    assert!(
        output.status.success(),
        "scripts/sandbox {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `hotline recordings purge --as-of <at>` on the database at `database_url` (with
/// extra `HOTLINE_*` settings, such as more Asterisk nodes); its stdout.
pub fn purge_recordings(database_url: &str, settings: &[(&str, &str)], at: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(["recordings", "purge", "--as-of", at])
        .env("DATABASE_URL", database_url)
        .env("HOTLINE_ARI_URL", "http://127.0.0.1:8088")
        .envs(settings.iter().copied())
        .output()
        .expect("running hotline recordings purge");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "purge failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Where the sandbox's root file system is, as this process sees it.
pub fn sandbox_root() -> PathBuf {
    let dir = std::env::var_os("HOTLINE_SANDBOX_DIR").map_or_else(
        || PathBuf::from("/var/cache/hotline/asterisk-sid"),
        PathBuf::from,
    );
    dir.join("rootfs")
}
