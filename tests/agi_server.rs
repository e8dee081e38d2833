//! The FastAGI server over real TCP, with a fake Asterisk (`tests/support`) as the
//! client: whole call stories down to the journal rows, many sessions at once, a
//! malformed session among good ones, the session limit and graceful shutdown.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`); each test gets a fresh database
//! with the demo directory. Time is the routing clock's: "Tuesday 10:00 Irkutsk".

mod common;
#[path = "support/fake_asterisk.rs"]
mod fake_asterisk;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hotline::agi::scripts::vars;
use hotline::agi::{AgiContext, AgiServer, AgiServerSettings, CallFlow};
use hotline::app::RoutingClock;
use hotline::directory::demo::seed_demo;
use hotline::directory::{DirectoryCache, load_snapshot};
use hotline::journal::JournalWriter;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use common::{PATIENCE, eventually_async};
use fake_asterisk::FakeChannel;

/// A working Tuesday morning in Irkutsk: the ministry of health is open.
const WORKING: &str = "2026-05-19T10:00:00+08:00";
/// Saturday night: every organisation is closed.
const NIGHT: &str = "2026-05-16T23:00:00+08:00";

struct Server {
    address: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
    journal_task: JoinHandle<()>,
    _spool: tempdir::Dir,
}

mod tempdir {
    /// A scratch folder for the journal spool, removed on drop.
    pub(super) struct Dir(pub(super) std::path::PathBuf);
    impl Dir {
        pub(super) fn new() -> Self {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "hotline-agi-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

async fn start(pool: &PgPool, at: &str, settings: AgiServerSettings) -> Server {
    seed_demo(pool).await.unwrap();
    let snapshot = load_snapshot(pool).await.unwrap();
    let spool = tempdir::Dir::new();
    let (journal, writer) = JournalWriter::new(pool.clone(), spool.0.join("journal.spool"));
    let journal_task = tokio::spawn(async move {
        writer.run(Duration::from_secs(5)).await.unwrap();
    });
    let context = Arc::new(AgiContext {
        directory: DirectoryCache::fixed(snapshot),
        journal,
        clock: RoutingClock::starting_at(instant(at)),
        recency: Arc::default(),
        flow: CallFlow {
            specialist_ring_seconds: 30,
            specialist_rounds: 2,
            announce_transfers: true,
        },
    });
    let server = AgiServer::bind("127.0.0.1:0".parse().unwrap(), context, settings)
        .await
        .unwrap();
    let address = server.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(server.run(shutdown.clone()));
    Server {
        address,
        shutdown,
        task,
        journal_task,
        _spool: spool,
    }
}

impl Server {
    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("server did not stop")
            .unwrap();
        // The server's context (and its journal handle) is gone: the writer drains.
        tokio::time::timeout(PATIENCE, self.journal_task)
            .await
            .expect("journal did not drain")
            .unwrap();
    }
}

fn quick() -> AgiServerSettings {
    AgiServerSettings {
        max_sessions: 64,
        session_timeout: Duration::from_secs(2),
        command_timeout: Duration::from_secs(1),
        drain_timeout: Duration::from_secs(2),
    }
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct CallRow {
    via: String,
    line: String,
    caller_number: String,
    topic: Option<String>,
    decision_mode: Option<String>,
    answered_target: Option<String>,
    answered_name: Option<String>,
    outcome: Option<String>,
}

async fn call_row(pool: &PgPool, key: &str) -> Option<CallRow> {
    sqlx::query_as(
        "SELECT via, line, caller_number, topic, decision_mode, answered_target, answered_name,
                outcome::text AS outcome
         FROM call_record WHERE call_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await
    .unwrap()
}

async fn attempts(pool: &PgPool, key: &str) -> Vec<(String, String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT leg, target, callee_kind, result::text FROM dial_attempt
         WHERE call_key = $1 ORDER BY started_at, leg",
    )
    .bind(key)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn ended(pool: &PgPool, key: &str) -> CallRow {
    eventually_async("the call to be journaled as ended", || async {
        call_row(pool, key)
            .await
            .is_some_and(|r| r.outcome.is_some())
    })
    .await;
    call_row(pool, key).await.unwrap()
}

/// The dialplan of `agi-example.conf`, played by hand: entry, menu digit, one
/// `Dial` per step as `dial` says, then the `h` extension.
async fn call(
    address: SocketAddr,
    channel: &mut FakeChannel,
    digit: &str,
    dial: &[(&str, &str, &str)],
) {
    channel.agi(address, "route", &["122"]).await.unwrap();
    assert_eq!(channel.var(vars::ACTION), Some("menu"));
    channel
        .agi(address, "route", &["122", digit, "1"])
        .await
        .unwrap();
    for (dialing, status, peer) in dial {
        channel.set(vars::DIALING, dialing);
        channel.set("DIALSTATUS", status);
        channel.set("DIALEDPEERNAME", peer);
        channel.set("DIALEDTIME_MS", "4000");
        channel.set(
            "ANSWEREDTIME_MS",
            if *status == "ANSWER" { "3000" } else { "0" },
        );
        channel.agi(address, "result", &[]).await.unwrap();
        assert_eq!(channel.var(vars::DIALING), Some(""));
    }
    channel.agi(address, "result", &["hangup"]).await.unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn working_hours_first_staff_busy_second_answers(pool: PgPool) {
    let server = start(&pool, WORKING, quick()).await;
    let mut channel = FakeChannel::new("1700000000.1");
    // Each session is one round trip or a few: the variables go several to a command.
    let round_trips = channel
        .agi(server.address, "route", &["122"])
        .await
        .unwrap();
    assert_eq!(round_trips, 1, "{:?}", channel.commands);
    assert_eq!(
        channel.var(vars::MENU_SOUNDS),
        Some("hotline/greeting-122&hotline/menu-122")
    );
    let round_trips = channel
        .agi(server.address, "route", &["122", "1", "1"])
        .await
        .unwrap();
    assert_eq!(round_trips, 1, "{:?}", channel.commands);
    assert_eq!(channel.var(vars::ACTION), Some("staff"));
    assert_eq!(channel.var(vars::MODE), Some("automatic"));
    assert_eq!(channel.var(vars::TOPIC), Some("health"));
    assert_eq!(channel.var("HOTLINE_TARGET_1"), Some("PJSIP/staff01"));
    assert_eq!(channel.var("HOTLINE_TARGET_2"), Some("PJSIP/staff02"));
    assert_eq!(channel.var(vars::STRATEGY), Some("sequential"));
    assert_eq!(channel.var(vars::ATTEMPT_TIMEOUT), Some("20"));
    assert_eq!(
        channel.var(vars::SPECIALISTS_TARGET),
        Some("PJSIP/spec01&PJSIP/spec02&PJSIP/spec03")
    );
    assert_eq!(channel.var(vars::SPECIALISTS_ROUNDS), Some("2"));
    assert_eq!(channel.var(vars::CALL_KEY), Some("1700000000.1"));
    assert!(channel.var(vars::REASON).is_some_and(|r| !r.is_empty()));

    for (dialing, status, peer) in [
        ("staff/1", "BUSY", ""),
        ("staff/2", "ANSWER", "PJSIP/staff02-00000007"),
    ] {
        channel.set(vars::DIALING, dialing);
        channel.set("DIALSTATUS", status);
        channel.set("DIALEDPEERNAME", peer);
        channel.set("DIALEDTIME_MS", "2500");
        channel.set("ANSWEREDTIME_MS", "1500");
        // Read everything, read the targets dialled, clear DIALING (and set
        // ANSWERED_BY) in one.
        let round_trips = channel.agi(server.address, "result", &[]).await.unwrap();
        assert_eq!(round_trips, 3, "{:?}", channel.commands);
    }
    assert_eq!(channel.var(vars::ANSWERED_BY), Some("staff"));
    let round_trips = channel
        .agi(server.address, "result", &["hangup"])
        .await
        .unwrap();
    assert_eq!(round_trips, 1, "{:?}", channel.commands);

    let row = ended(&pool, "1700000000.1").await;
    assert_eq!(
        row,
        CallRow {
            via: "agi".into(),
            line: "122".into(),
            caller_number: "79990000001".into(),
            topic: Some("health".into()),
            decision_mode: Some("automatic".into()),
            answered_target: Some("PJSIP/staff02".into()),
            answered_name: Some("Сидоров Андрей Николаевич".into()),
            outcome: Some("answered_by_staff".into()),
        }
    );
    assert_eq!(
        attempts(&pool, "1700000000.1").await,
        [
            (
                "1700000000.1-staff1".into(),
                "PJSIP/staff01".into(),
                "staff".into(),
                Some("busy".into())
            ),
            (
                "1700000000.1-staff2".into(),
                "PJSIP/staff02".into(),
                "staff".into(),
                Some("answered".into())
            ),
        ]
    );
    server.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn after_hours_goes_to_specialists_and_a_hangup_mid_dial_is_recorded(pool: PgPool) {
    let server = start(&pool, NIGHT, quick()).await;
    let mut channel = FakeChannel::new("1700000000.2");
    channel
        .agi(server.address, "route", &["122"])
        .await
        .unwrap();
    channel
        .agi(server.address, "route", &["122", "1", "1"])
        .await
        .unwrap();
    assert_eq!(channel.var(vars::ACTION), Some("specialists"));
    assert_eq!(channel.var(vars::MODE), Some("after_hours"));
    assert_eq!(channel.var(vars::ANNOUNCE), Some("hotline/after-hours"));
    assert_eq!(channel.var(vars::TARGET_COUNT), Some("0"));
    // Round 1 rings out; the caller hangs up during round 2: only `h` reports it.
    call_dial(
        &mut channel,
        server.address,
        "specialists/1",
        "NOANSWER",
        "",
    )
    .await;
    channel.set(vars::DIALING, "specialists/2");
    channel.set("DIALSTATUS", "CANCEL");
    channel
        .agi(server.address, "result", &["hangup"])
        .await
        .unwrap();

    let row = ended(&pool, "1700000000.2").await;
    assert_eq!(row.decision_mode.as_deref(), Some("after_hours"));
    assert_eq!(row.outcome.as_deref(), Some("abandoned"));
    let results: Vec<(String, Option<String>)> = attempts(&pool, "1700000000.2")
        .await
        .into_iter()
        .map(|(leg, _, kind, result)| {
            assert_eq!(kind, "specialist");
            (leg, result)
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = [
        ("spec1.1", "no_answer"),
        ("spec1.2", "no_answer"),
        ("spec1.3", "no_answer"),
        ("spec2.1", "cancelled"),
        ("spec2.2", "cancelled"),
        ("spec2.3", "cancelled"),
    ]
    .iter()
    .map(|(leg, r)| (format!("1700000000.2-{leg}"), Some((*r).to_owned())))
    .collect();
    assert_eq!(results, expected);
    server.stop().await;
}

async fn call_dial(
    channel: &mut FakeChannel,
    address: SocketAddr,
    dialing: &str,
    status: &str,
    peer: &str,
) {
    channel.set(vars::DIALING, dialing);
    channel.set("DIALSTATUS", status);
    channel.set("DIALEDPEERNAME", peer);
    channel.set("DIALEDTIME_MS", "30000");
    channel.agi(address, "result", &[]).await.unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn nobody_answering_anywhere_ends_as_failed(pool: PgPool) {
    let server = start(&pool, WORKING, quick()).await;
    let mut channel = FakeChannel::new("1700000000.3");
    call(
        server.address,
        &mut channel,
        "1",
        &[
            ("staff/1", "NOANSWER", ""),
            ("staff/2", "CHANUNAVAIL", ""),
            ("staff/3", "CONGESTION", ""),
            ("specialists/1", "BUSY", ""),
        ],
    )
    .await;
    // `call` hung up without the dialplan's HOTLINE_GAVE_UP: abandoned. Again with it:
    let row = ended(&pool, "1700000000.3").await;
    assert_eq!(row.outcome.as_deref(), Some("abandoned"));

    let mut channel = FakeChannel::new("1700000000.4");
    channel.set(vars::GAVE_UP, "1");
    call(
        server.address,
        &mut channel,
        "0",
        &[("specialists/1", "BUSY", "")],
    )
    .await;
    let row = ended(&pool, "1700000000.4").await;
    assert_eq!(row.decision_mode.as_deref(), Some("specialist_requested"));
    assert_eq!(row.outcome.as_deref(), Some("failed"));
    server.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_result_for_a_call_never_routed_writes_nothing(pool: PgPool) {
    let server = start(&pool, WORKING, quick()).await;
    let mut channel = FakeChannel::new("1700000000.5");
    channel.set(vars::DIALING, "staff/1");
    channel.set("DIALSTATUS", "ANSWER");
    channel
        .agi(server.address, "result", &["hangup"])
        .await
        .unwrap();
    // One read (the call key among the rest) and nothing set.
    assert_eq!(channel.commands.len(), 1, "{:?}", channel.commands);
    assert!(channel.commands[0].starts_with("GET FULL VARIABLE \"${LEN(${HOTLINE_CALL_KEY})}"));
    server.stop().await;
    assert_eq!(call_row(&pool, "1700000000.5").await, None);
}

#[sqlx::test(migrations = "./migrations")]
async fn two_hundred_concurrent_sessions_are_all_served(pool: PgPool) {
    let server = start(&pool, WORKING, quick()).await;
    let address = server.address;
    let calls: Vec<_> = (0..200)
        .map(|n| {
            tokio::spawn(async move {
                let mut channel = FakeChannel::new(&format!("1700000100.{n}"));
                channel.agi(address, "route", &["122"]).await.unwrap();
                let digit = if n % 2 == 0 { "1" } else { "0" };
                channel
                    .agi(address, "route", &["122", digit, "1"])
                    .await
                    .unwrap();
                channel
            })
        })
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        let channel = call.await.unwrap();
        let expected = if n % 2 == 0 { "staff" } else { "specialists" };
        assert_eq!(channel.var(vars::ACTION), Some(expected), "call {n}");
    }
    server.stop().await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM call_record WHERE via = 'agi'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 200);
}

/// Bytes sent instead of an environment; the server must close that session.
async fn send_garbage(address: SocketAddr, bytes: &[u8]) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let _ = stream.write_all(bytes).await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut rest)).await;
    assert!(
        read.is_ok(),
        "server kept a malformed session open: {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
    );
    assert!(
        rest.is_empty(),
        "server answered garbage with {:?}",
        String::from_utf8_lossy(&rest)
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn malformed_sessions_are_closed_and_never_disturb_the_others(pool: PgPool) {
    let server = start(&pool, WORKING, quick()).await;
    let address = server.address;
    let good: Vec<_> = (0..20)
        .map(|n| {
            tokio::spawn(async move {
                let mut channel = FakeChannel::new(&format!("1700000200.{n}"));
                channel
                    .agi(address, "route", &["122", "1", "1"])
                    .await
                    .unwrap();
                channel.var(vars::ACTION).map(str::to_owned)
            })
        })
        .collect();
    let mut over_long = b"agi_network_script: route\nagi_calleridname: ".to_vec();
    over_long.resize(20_000, b'A');
    let garbage: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        over_long,
        b"agi_uniqueid: 1\nagi_channel: \xff\xfe\n\n".to_vec(),
        b"agi_network_script: nonsense\nagi_uniqueid: 9.9\n\n".to_vec(),
        b"agi_network_script: route\n\n".to_vec(),
        b"agi_network_script: route\nagi_uniqueid: 9.8\nagi_arg_1: 122\nagi_arg_2: 1;Dial(PJSIP/evil)\nagi_arg_3: 1\n\n"
            .to_vec(),
        b"agi_network_script: result\nagi_uniqueid: 9.7\nagi_arg_1: everything\n\n".to_vec(),
        b"agi_uniqueid: 1\n".to_vec(), // never finished: the session timeout ends it
        vec![0u8; 100],
    ];
    for bytes in &garbage {
        send_garbage(address, bytes).await;
    }
    // A route session whose "Asterisk" answers nonsense to the first command.
    let mut stream = TcpStream::connect(address).await.unwrap();
    let env = FakeChannel::new("1700000299.1").environment(address, "route", &["122"]);
    stream.write_all(env.as_bytes()).await.unwrap();
    let mut first = [0u8; 16];
    stream.read_exact(&mut first).await.unwrap();
    stream.write_all(b"SIP/2.0 200 OK\n").await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "session with a bad reply was not closed");

    for call in good {
        assert_eq!(call.await.unwrap().as_deref(), Some("staff"));
    }
    // And the server still serves.
    let mut channel = FakeChannel::new("1700000299.2");
    channel.agi(address, "route", &["122"]).await.unwrap();
    assert_eq!(channel.var(vars::ACTION), Some("menu"));
    server.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn beyond_the_session_limit_connections_wait_their_turn(pool: PgPool) {
    let settings = AgiServerSettings {
        max_sessions: 2,
        session_timeout: Duration::from_secs(30),
        command_timeout: Duration::from_secs(30),
        drain_timeout: Duration::from_secs(1),
    };
    let server = start(&pool, WORKING, settings).await;
    let address = server.address;
    // Two silent peers take both permits.
    let silent1 = TcpStream::connect(address).await.unwrap();
    let silent2 = TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = tokio::spawn(async move {
        let mut channel = FakeChannel::new("1700000300.1");
        channel.agi(address, "route", &["122"]).await.unwrap();
        channel
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "a third session was served beyond the limit"
    );
    drop(silent1);
    let channel = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the waiting session was never served")
        .unwrap();
    assert_eq!(channel.var(vars::ACTION), Some("menu"));
    drop(silent2);
    server.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_silent_peer_is_dropped_after_the_session_timeout(pool: PgPool) {
    let settings = AgiServerSettings {
        max_sessions: 1,
        session_timeout: Duration::from_millis(300),
        command_timeout: Duration::from_millis(200),
        drain_timeout: Duration::from_secs(1),
    };
    let server = start(&pool, WORKING, settings).await;
    let mut silent = TcpStream::connect(server.address).await.unwrap();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, silent.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "silent peer never dropped");
    // Its permit came back.
    let mut channel = FakeChannel::new("1700000400.1");
    channel
        .agi(server.address, "route", &["122"])
        .await
        .unwrap();
    assert_eq!(channel.var(vars::ACTION), Some("menu"));
    server.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn shutdown_lets_a_session_in_flight_finish_and_stops_accepting(pool: PgPool) {
    let server = start(&pool, WORKING, quick()).await;
    let address = server.address;
    // A session in flight: environment sent, first command not yet answered.
    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut channel = FakeChannel::new("1700000500.1");
    stream
        .write_all(channel.environment(address, "route", &["122"]).as_bytes())
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = tokio::io::BufReader::new(read);
    let mut line = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut read, &mut line)
        .await
        .unwrap();

    server.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(address).await.is_err(),
        "still accepting after shutdown"
    );
    // The session goes on to the end.
    loop {
        let reply = channel.answer(&line);
        write.write_all(reply.as_bytes()).await.unwrap();
        line.clear();
        if tokio::io::AsyncBufReadExt::read_line(&mut read, &mut line)
            .await
            .unwrap()
            == 0
        {
            break;
        }
    }
    assert_eq!(channel.var(vars::ACTION), Some("menu"));
    tokio::time::timeout(PATIENCE, server.task)
        .await
        .expect("server did not stop")
        .unwrap();
    server.journal_task.abort();
}
