//! The journal writer against a real Postgres: a call's facts become its rows; with
//! Postgres away the facts are spooled to a file and replayed at the next start; a
//! fact Postgres refuses, or a spool line that is not a fact, is set aside without
//! holding up the others. Postgres going away in the middle of a run (a relay the
//! test cuts) sends the facts to the spool, replayed in order when it is back, also
//! after a crash, and past the spool's bound they wait in memory.
//!
//! Needs `DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/hotline_test`);
//! `#[sqlx::test]` makes a fresh database per test.

#[path = "support/tcp_relay.rs"]
mod tcp_relay;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use hotline::journal::{
    CalleeKind, Journal, JournalRecord, JournalStatus, JournalWriter, RecordKind, Via,
};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tcp_relay::TcpRelay;

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 16, 2, 0, second).unwrap()
}

/// The facts of one call answered by staff01 after staff02 was busy.
fn answered_call(key: &str) -> Vec<JournalRecord> {
    let record = |kind| JournalRecord {
        call_key: key.to_owned(),
        kind,
    };
    let attempt = |leg: &str, target: &str, second| {
        record(RecordKind::AttemptStarted {
            leg: format!("{key}-{leg}"),
            target: target.into(),
            callee_kind: CalleeKind::Staff,
            staff_id: Some(7),
            callee_name: "Петрова Елена Викторовна".into(),
            at: at(second),
        })
    };
    vec![
        record(RecordKind::Started {
            via: Via::Ari,
            node: Some("pbx2".into()),
            line: "122".into(),
            caller_number: "79990000001".into(),
            at: at(0),
        }),
        record(RecordKind::Routed {
            topic: Some("health".into()),
            mode: "automatic".into(),
            reason: "Минздрав работает / minzdrav is open".into(),
            at: at(2),
        }),
        attempt("leg3", "PJSIP/staff02", 3),
        record(RecordKind::AttemptEnded {
            leg: format!("{key}-leg3"),
            result: "busy".into(),
            at: at(4),
        }),
        attempt("leg4", "PJSIP/staff01", 4),
        record(RecordKind::AttemptEnded {
            leg: format!("{key}-leg4"),
            result: "answered".into(),
            at: at(6),
        }),
        record(RecordKind::Answered {
            leg: format!("{key}-leg4"),
            at: at(6),
        }),
        record(RecordKind::Ended {
            outcome: "answered_by_staff".into(),
            at: at(30),
        }),
    ]
}

/// Runs a writer over `records` until they are all handled.
async fn write(pool: PgPool, spool: &std::path::Path, records: Vec<JournalRecord>) {
    let (journal, writer) = JournalWriter::new(pool, spool.to_owned());
    for record in records {
        journal.record(record);
    }
    drop(journal);
    tokio::time::timeout(Duration::from_secs(30), writer.run(Duration::from_secs(1)))
        .await
        .expect("the writer finishes")
        .expect("the writer succeeds");
}

async fn call_rows(pool: &PgPool) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT call_key, topic, outcome::text, answered_target FROM call_record ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn attempt_rows(pool: &PgPool) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as("SELECT leg, target, result::text FROM dial_attempt ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_calls_facts_become_its_rows(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    write(pool.clone(), &spool, answered_call("c1")).await;
    assert_eq!(
        call_rows(&pool).await,
        [(
            "c1".to_owned(),
            Some("health".to_owned()),
            Some("answered_by_staff".to_owned()),
            Some("PJSIP/staff01".to_owned())
        )]
    );
    assert_eq!(
        attempt_rows(&pool).await,
        [
            (
                "c1-leg3".to_owned(),
                "PJSIP/staff02".to_owned(),
                Some("busy".to_owned())
            ),
            (
                "c1-leg4".to_owned(),
                "PJSIP/staff01".to_owned(),
                Some("answered".to_owned())
            ),
        ]
    );
    let (name, answered): (Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT answered_name, answered_at FROM call_record")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(name.as_deref(), Some("Петрова Елена Викторовна"));
    assert_eq!(answered, Some(at(6)));
    // Replaying the same facts (a spool replayed twice) changes nothing.
    write(pool.clone(), &spool, answered_call("c1")).await;
    assert_eq!(call_rows(&pool).await.len(), 1);
    // The node it arrived on, and its recording (the first name stays).
    let recording = |name: &str| JournalRecord {
        call_key: "c1".into(),
        kind: RecordKind::RecordingStarted {
            name: name.into(),
            at: at(6),
        },
    };
    write(pool.clone(), &spool, vec![recording("hotline/c1")]).await;
    write(pool.clone(), &spool, vec![recording("hotline/other")]).await;
    let (node, recording_name): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT asterisk_node, recording_name FROM call_record")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(node.as_deref(), Some("pbx2"));
    assert_eq!(recording_name.as_deref(), Some("hotline/c1"));
    assert_eq!(attempt_rows(&pool).await.len(), 2);
    assert!(!spool.exists());
}

#[sqlx::test(migrations = "./migrations")]
async fn with_postgres_away_the_facts_are_spooled_and_replayed_at_the_next_start(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    // Nothing listens on port 1: every write fails as a connection error.
    let away = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(200))
        .connect_lazy("postgres://postgres@127.0.0.1:1/nowhere")
        .unwrap();
    write(away, &spool, answered_call("c2")).await;
    let spooled = std::fs::read_to_string(&spool).expect("the spool file was written");
    assert_eq!(spooled.lines().count(), 8, "{spooled}");
    assert!(call_rows(&pool).await.is_empty());

    // The next start, with Postgres back, replays the spool before anything else.
    write(pool.clone(), &spool, Vec::new()).await;
    assert_eq!(call_rows(&pool).await.len(), 1);
    assert_eq!(attempt_rows(&pool).await.len(), 2);
    assert!(!spool.exists(), "a replayed spool is removed");
}

/// A spool line that is not a record (garbage, or the last line torn by a crash)
/// is set aside; the good lines are replayed and the journal goes on for the new
/// run's calls.
#[sqlx::test(migrations = "./migrations")]
async fn an_unreadable_spool_line_is_set_aside_and_the_journal_goes_on(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    let good: Vec<String> = answered_call("c4")
        .iter()
        .map(|record| serde_json::to_string(record).unwrap())
        .collect();
    let torn = &good[1][..good[1].len() / 2];
    let text = format!(
        "{}\nnot a record\n{}\n\n{torn}",
        good[0],
        good[2..].join("\n")
    );
    std::fs::write(&spool, text).unwrap();

    // This run's own facts are written too.
    write(pool.clone(), &spool, answered_call("c5")).await;
    let keys: Vec<String> = call_rows(&pool)
        .await
        .into_iter()
        .map(|row| row.0)
        .collect();
    assert_eq!(keys, ["c4", "c5"]);
    // c4's `routed` fact was the torn line: its row has no topic.
    assert_eq!(call_rows(&pool).await[0].1, None);
    assert_eq!(attempt_rows(&pool).await.len(), 4);
    assert!(!spool.exists(), "the replayed spool is removed");
    let rejected = std::fs::read_to_string(spool.with_extension("rejected")).unwrap();
    assert_eq!(rejected, format!("not a record\n{torn}\n"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_fact_postgres_refuses_is_set_aside_and_the_others_are_kept(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    let mut records = answered_call("c3");
    // An attempt for a call the journal never heard of: a foreign key violation.
    records.insert(
        1,
        JournalRecord {
            call_key: "ghost".into(),
            kind: RecordKind::AttemptStarted {
                leg: "ghost-leg1".into(),
                target: "PJSIP/staff01".into(),
                callee_kind: CalleeKind::Staff,
                staff_id: None,
                callee_name: String::new(),
                at: at(1),
            },
        },
    );
    write(pool.clone(), &spool, records).await;
    assert_eq!(call_rows(&pool).await.len(), 1);
    assert_eq!(attempt_rows(&pool).await.len(), 2);
    let rejected = std::fs::read_to_string(spool.with_extension("rejected")).unwrap();
    assert!(rejected.contains("ghost-leg1"), "{rejected}");
    assert_eq!(rejected.lines().count(), 1);
}

/// Every kind of fact lands in its columns: the writer sends a batch as JSON to
/// `journal_apply`, so a field name the SQL misspells would be a NULL, not an error.
#[sqlx::test(migrations = "./migrations")]
async fn every_kind_of_fact_fills_its_columns(pool: PgPool) {
    // An appeal names a topic and an organisation of the directory.
    sqlx::raw_sql(
        "INSERT INTO organisation (code, name, kind) VALUES ('minzdrav', 'Минздрав', 'regional_agency');
         INSERT INTO topic (code, name_ru, name_en, agency, transfer_mode, strategy, attempt_timeout_seconds)
         VALUES ('health', 'Здравоохранение', 'Healthcare', 'minzdrav', 'automatic', 'sequential', 20);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let spool = tempdir().join("journal.spool");
    let record = |kind| JournalRecord {
        call_key: "c9".into(),
        kind,
    };
    let specialist_leg = |leg: &str, second| {
        record(RecordKind::AttemptStarted {
            leg: leg.into(),
            target: "PJSIP/operator01".into(),
            callee_kind: CalleeKind::Specialist,
            staff_id: None,
            callee_name: "Оператор 1".into(),
            at: at(second),
        })
    };
    let records = vec![
        record(RecordKind::Started {
            via: Via::Agi,
            node: None,
            line: "117".into(),
            caller_number: "+7 (999) 000-00-09".into(),
            at: at(0),
        }),
        record(RecordKind::Routed {
            topic: Some("health".into()),
            mode: "manual".into(),
            reason: "вручную / manual".into(),
            at: at(1),
        }),
        record(RecordKind::Queued { at: at(2) }),
        record(RecordKind::CallbackRequested {
            line: "117".into(),
            caller_number: "+7 (999) 000-00-09".into(),
            topic: Some("health".into()),
            organisation: None,
            at: at(3),
        }),
        specialist_leg("c9-leg1", 4),
        record(RecordKind::AttemptEnded {
            leg: "c9-leg1".into(),
            result: "answered".into(),
            at: at(5),
        }),
        record(RecordKind::Answered {
            leg: "c9-leg1".into(),
            at: at(5),
        }),
        record(RecordKind::TransferStarted {
            number: 1,
            origin: "console".into(),
            topic: "health".into(),
            from_target: Some("PJSIP/operator01".into()),
            console_user: Some(42),
            at: at(6),
        }),
        record(RecordKind::TransferEnded {
            number: 1,
            result: "failed".into(),
            answered_target: None,
            at: at(7),
        }),
        specialist_leg("c9-leg2", 8),
        record(RecordKind::OpenAttemptsCancelled { at: at(9) }),
        record(RecordKind::Ended {
            outcome: "answered_by_specialist".into(),
            at: at(10),
        }),
    ];
    write(pool.clone(), &spool, records).await;
    assert!(!spool.with_extension("rejected").exists());

    type CallRow = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<Option<DateTime<Utc>>>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let call: CallRow = sqlx::query_as(
        "SELECT via, line, caller_number, topic, decision_mode, decision_reason,
                ARRAY[entered_at, routed_at, queued_at, answered_at, ended_at],
                answered_target, answered_name, outcome::text
           FROM call_record WHERE call_key = 'c9'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        call,
        (
            "agi".into(),
            "117".into(),
            "+7 (999) 000-00-09".into(),
            Some("health".into()),
            Some("manual".into()),
            Some("вручную / manual".into()),
            vec![
                Some(at(0)),
                Some(at(1)),
                Some(at(2)),
                Some(at(5)),
                Some(at(10))
            ],
            Some("PJSIP/operator01".into()),
            Some("Оператор 1".into()),
            Some("answered_by_specialist".into()),
        )
    );

    type AttemptRow = (
        String,
        String,
        Option<i64>,
        DateTime<Utc>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let attempts: Vec<AttemptRow> = sqlx::query_as(
        "SELECT leg, callee_kind, staff_id, started_at, result::text, ended_at
               FROM dial_attempt ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        attempts,
        vec![
            (
                "c9-leg1".into(),
                "specialist".into(),
                None,
                at(4),
                Some("answered".into()),
                Some(at(5))
            ),
            (
                "c9-leg2".into(),
                "specialist".into(),
                None,
                at(8),
                Some("cancelled".into()),
                Some(at(9))
            ),
        ]
    );

    type TransferRow = (
        i32,
        String,
        String,
        Option<String>,
        Option<i64>,
        DateTime<Utc>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let transfer: TransferRow = sqlx::query_as(
        "SELECT number, origin, topic, from_target, console_user, started_at, result, ended_at
               FROM call_transfer WHERE call_key = 'c9'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        transfer,
        (
            1,
            "console".into(),
            "health".into(),
            Some("PJSIP/operator01".into()),
            Some(42),
            at(6),
            Some("failed".into()),
            Some(at(7))
        )
    );

    let appeal: (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        bool,
        DateTime<Utc>,
    ) = sqlx::query_as(
        "SELECT line, topic, organisation, caller_number, callback_requested, created_at
           FROM appeal WHERE call_key = 'c9'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        appeal,
        (
            "117".into(),
            Some("health".into()),
            Some("minzdrav".into()),
            Some("+79990000009".into()),
            true,
            at(3)
        )
    );
}

/// A fact this version does not know (a spool written by a newer one) is refused by
/// `journal_apply` with 22023, a data error: the writer sets it aside and keeps the rest.
#[sqlx::test(migrations = "./migrations")]
async fn journal_apply_refuses_an_unknown_fact_and_writes_nothing_of_its_batch(pool: PgPool) {
    let batch = serde_json::json!([
        {"call_key": "c10", "kind": {"fact": "started", "via": "ari", "line": "122",
                                     "caller_number": "1", "at": "2026-06-16T02:00:00Z"}},
        {"call_key": "c10", "kind": {"fact": "teleported", "at": "2026-06-16T02:00:01Z"}},
    ]);
    let error = sqlx::query("SELECT journal_apply($1)")
        .bind(batch)
        .execute(&pool)
        .await
        .expect_err("an unknown fact is refused");
    let code = error
        .as_database_error()
        .and_then(|e| e.code().map(|c| c.into_owned()));
    assert_eq!(code.as_deref(), Some("22023"), "{error}");
    assert!(error.to_string().contains("teleported"), "{error}");
    assert!(
        call_rows(&pool).await.is_empty(),
        "the batch is all or nothing"
    );
}

/// A conversation an instance left bridged when it died ends under the next one:
/// `conversation_ended` closes the call with the outcome its journaled answer gives,
/// in the same batch as ordinary facts, and only once.
#[sqlx::test(migrations = "./migrations")]
async fn a_conversation_left_by_a_dead_instance_ends_with_its_answer(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    let mut answered: Vec<JournalRecord> = answered_call("talking")
        .into_iter()
        .filter(|r| !matches!(r.kind, RecordKind::Ended { .. }))
        .collect();
    let ended = |key: &str, second| JournalRecord {
        call_key: key.to_owned(),
        kind: RecordKind::ConversationEnded { at: at(second) },
    };
    answered.push(ended("talking", 40));
    // A later `ended` (say, replayed) changes nothing.
    answered.push(JournalRecord {
        call_key: "talking".into(),
        kind: RecordKind::Ended {
            outcome: "failed".into(),
            at: at(50),
        },
    });
    let mut unanswered: Vec<JournalRecord> = answered_call("menu").into_iter().take(2).collect();
    unanswered.push(ended("menu", 41));
    write(pool.clone(), &spool, [answered, unanswered].concat()).await;
    let rows: Vec<(String, Option<String>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT call_key, outcome::text, ended_at FROM call_record ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (
                "talking".to_owned(),
                Some("answered_by_staff".to_owned()),
                Some(at(40))
            ),
            (
                "menu".to_owned(),
                Some("abandoned".to_owned()),
                Some(at(41))
            ),
        ]
    );
}

// ------------------------------------------------------- Postgres away mid-run

/// A relay to the test's database and a pool that goes through it.
async fn pool_through_relay(pool: &PgPool) -> (TcpRelay, PgPool) {
    let options = (*pool.connect_options()).clone();
    let server = tokio::net::lookup_host((options.get_host(), options.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let relay = TcpRelay::start(server).await;
    let through = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy_with(options.host("127.0.0.1").port(relay.address.port()));
    (relay, through)
}

async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn record_call(journal: &Journal, key: &str) {
    for record in answered_call(key) {
        journal.record(record);
    }
}

async fn call_keys(pool: &PgPool) -> Vec<String> {
    call_rows(pool).await.into_iter().map(|row| row.0).collect()
}

fn spool_lines(spool: &std::path::Path) -> usize {
    std::fs::read_to_string(spool).map_or(0, |text| text.lines().count())
}

/// Postgres goes away in the middle of a run: the facts go to the spool (on disk,
/// `/health`'s "spooling, N records"), nothing reaches Postgres past the spool, and
/// once it is back the spool is replayed and every row is there, in order.
#[sqlx::test(migrations = "./migrations")]
async fn postgres_away_mid_run_spools_and_replays_in_order(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    let (relay, through) = pool_through_relay(&pool).await;
    let (journal, writer) = JournalWriter::new(through, spool.clone());
    let status: JournalStatus = journal.status();
    let task = tokio::spawn(writer.run(Duration::from_secs(5)));

    record_call(&journal, "before");
    // The whole call acknowledged by Postgres. Seeing its rows is not enough: a cut
    // while the acknowledgement is on its way back makes the writer spool a batch
    // Postgres has committed (at least once, never lost: facts are idempotent), and
    // that batch would then sit in the spool beside the next call's.
    until("the first call acknowledged", async || {
        status.written() == 8
    })
    .await;
    assert_eq!(status.describe(), "writing");

    relay.cut().await;
    record_call(&journal, "during1");
    // The writer says so once the facts are on disk (the file fills a moment before).
    until("the facts in the spool", async || status.spooled() == 8).await;
    assert_eq!(spool_lines(&spool), 8);
    assert!(status.spooling());
    assert_eq!(status.spooled(), 8);
    assert_eq!(status.describe(), "spooling, 8 records");
    // Behind the spool, later facts go to the spool too, never around it.
    record_call(&journal, "during2");
    let deadline = Instant::now() + Duration::from_secs(30);
    while status.spooled() != 16 {
        assert!(
            Instant::now() < deadline,
            "the spool should hold 16 facts; status says {}, the file has:\n{}",
            status.spooled(),
            std::fs::read_to_string(&spool).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(spool_lines(&spool), 16);
    assert_eq!(call_keys(&pool).await, ["before"]);

    relay.restore();
    until("the spool replayed", async || !spool.exists()).await;
    record_call(&journal, "after");
    until("every row", async || call_keys(&pool).await.len() == 4).await;
    assert_eq!(
        call_keys(&pool).await,
        ["before", "during1", "during2", "after"]
    );
    assert_eq!(attempt_rows(&pool).await.len(), 8);
    assert_eq!(status.describe(), "writing");

    drop(journal);
    task.await.unwrap().unwrap();
}

/// The process dies (`kill -9`: the writer's task simply stops) while Postgres is
/// away: what reached the spool is replayed by the next start.
#[sqlx::test(migrations = "./migrations")]
async fn a_crash_while_spooling_loses_nothing_that_was_spooled(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    let (relay, through) = pool_through_relay(&pool).await;
    relay.cut().await;
    let (journal, writer) = JournalWriter::new(through, spool.clone());
    let task = tokio::spawn(writer.run(Duration::from_secs(5)));
    record_call(&journal, "crash");
    until("the facts in the spool", async || spool_lines(&spool) == 8).await;
    task.abort();
    let _ = task.await;
    drop(journal);

    relay.restore();
    write(pool.clone(), &spool, answered_call("next")).await;
    assert_eq!(call_keys(&pool).await, ["crash", "next"]);
    assert!(!spool.exists());
}

/// Past its bound the spool takes nothing more: facts wait in memory, in order
/// behind it, and all of them reach Postgres once it is back.
#[sqlx::test(migrations = "./migrations")]
async fn past_the_spools_bound_facts_wait_in_memory(pool: PgPool) {
    let spool = tempdir().join("journal.spool");
    let (relay, through) = pool_through_relay(&pool).await;
    relay.cut().await;
    let (journal, writer) = JournalWriter::new(through, spool.clone());
    // Room for one call's facts, not two.
    let one_call: usize = answered_call("spooled")
        .iter()
        .map(|record| serde_json::to_string(record).unwrap().len() + 1)
        .sum();
    let writer = writer.with_spool_limit(one_call as u64 + 100);
    let status = journal.status();
    let task = tokio::spawn(writer.run(Duration::from_secs(5)));
    record_call(&journal, "spooled");
    until("the first call in the spool", async || {
        spool_lines(&spool) == 8
    })
    .await;
    record_call(&journal, "held");
    until("the spool to be full", async || status.spool_full()).await;
    assert_eq!(spool_lines(&spool), 8);
    assert_eq!(status.held(), 8);
    assert!(
        status.describe().contains("spool full"),
        "{}",
        status.describe()
    );

    relay.restore();
    until("every row", async || call_keys(&pool).await.len() == 2).await;
    assert_eq!(call_keys(&pool).await, ["spooled", "held"]);
    until("nothing waiting", async || !status.spooling()).await;
    assert!(!status.spool_full());
    drop(journal);
    task.await.unwrap().unwrap();
}

/// A fresh folder for spool files.
fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hotline-journal-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
