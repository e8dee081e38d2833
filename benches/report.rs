//! Reports on a year of a busy center: the journal filled with 1,000,000 generated
//! calls (2026, spread over the days and hours a contact center sees, with their
//! dial attempts, transfers and appeals), then the month report by agency — what the
//! head of the center opens every month — asked 50 times, timed each, printing
//! p50/p95/max and whether the goal (p95 < 1 s) is met; then the same for the year
//! by month and for a day by hour (the chart), for the record.
//!
//! The reports read the journal itself over its `entered_at` index (no rollup table
//! to keep consistent): this bench is what says that is enough.
//!
//! Needs Postgres: `DATABASE_URL` names the server (its database is not touched);
//! the bench makes `hotline_bench_report` and keeps it, filled, for the next run
//! (`--refill` fills it again). Run with `cargo bench --bench report`.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hotline::reports::{GroupBy, Period, ReportQuery, call_report};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

const CALLS: i64 = 1_000_000;
const ROUNDS: usize = 50;
/// Issue 16's goal for the month report by agency.
const GOAL_P95: Duration = Duration::from_secs(1);
const DATABASE: &str = "hotline_bench_report";

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let refill = std::env::args().any(|a| a == "--refill");
    let url = database_url(&server, DATABASE);
    let pool = prepare(&server, &url, refill).await;
    let month = ReportQuery {
        from: day(2026, 11, 1),
        to: day(2026, 11, 30),
        period: Period::Month,
        by: GroupBy::Agency,
        service_level_seconds: 20,
        organisations: None,
    };
    let rows = call_report(&pool, &month).await.expect("the month report");
    let offered: i64 = rows.iter().map(|r| r.offered).sum();
    println!(
        "month report by agency: {} rows, {offered} calls in November",
        rows.len()
    );
    let p95 = time("month (Nov 2026) by agency", &pool, &month).await;
    let year = ReportQuery {
        from: day(2026, 1, 1),
        to: day(2026, 12, 31),
        period: Period::Month,
        ..month.clone()
    };
    time("year 2026 by month and agency", &pool, &year).await;
    let chart = ReportQuery {
        from: day(2026, 11, 3),
        to: day(2026, 11, 3),
        period: Period::Hour,
        by: GroupBy::Total,
        ..month.clone()
    };
    time("a day by hour (the chart)", &pool, &chart).await;
    let staff_scope = ReportQuery {
        organisations: Some(vec!["minzdrav".to_owned(), "okb".to_owned()]),
        ..month
    };
    time("month by agency, one ministry's staff", &pool, &staff_scope).await;
    println!(
        "goal: month report by agency p95 < {:?}: {}",
        GOAL_P95,
        if p95 < GOAL_P95 { "met" } else { "MISSED" }
    );
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

fn database_url(server: &str, name: &str) -> String {
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    format!("{base}/{name}")
}

/// Times `ROUNDS` runs of the query; prints and returns p95.
async fn time(what: &str, pool: &PgPool, query: &ReportQuery) -> Duration {
    let mut took: Vec<Duration> = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let rows = call_report(pool, query).await.expect("the report");
        std::hint::black_box(rows);
        took.push(started.elapsed());
    }
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    let p95 = at(0.95);
    println!(
        "{what}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({ROUNDS} runs)",
        at(0.5).as_secs_f64() * 1000.0,
        p95.as_secs_f64() * 1000.0,
        took[took.len() - 1].as_secs_f64() * 1000.0
    );
    p95
}

/// The bench database, filled once (or again with `refill`).
async fn prepare(server: &str, url: &str, refill: bool) -> PgPool {
    let mut admin = PgConnection::connect(server)
        .await
        .expect("connecting to DATABASE_URL");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(DATABASE)
            .fetch_one(&mut admin)
            .await
            .expect("asking for the database");
    if exists && refill {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {DATABASE} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .expect("dropping the bench database");
    }
    if !exists || refill {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {DATABASE}")))
            .execute(&mut admin)
            .await
            .expect("creating the bench database");
    }
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .expect("connecting to the bench database");
    hotline::directory::MIGRATOR
        .run(&pool)
        .await
        .expect("migrating");
    let filled: i64 = sqlx::query_scalar("SELECT count(*) FROM call_record")
        .fetch_one(&pool)
        .await
        .expect("counting calls");
    if filled < CALLS {
        let started = Instant::now();
        hotline::directory::demo::seed_demo(&pool)
            .await
            .expect("the demo directory");
        fill(&pool).await;
        println!(
            "filled the journal with {CALLS} calls in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    pool
}

/// A year of calls: more by day than by night, topics and outcomes in the
/// proportions of a regional center, staff attempts for staff topics, a transfer for
/// some manual ones, an appeal for every fiftieth call.
async fn fill(pool: &PgPool) {
    let statements = [
        "SELECT setseed(0.16)",
        "CREATE TEMP TABLE gen AS
         SELECT n,
                -- 2026 in Irkutsk; hours weighted towards the working day.
                timestamptz '2026-01-01 00:00+08'
                  + make_interval(days => (random() * 364.999)::int)
                  + make_interval(secs => (CASE WHEN random() < 0.8 THEN 8 * 3600 + random() * 10 * 3600
                                                 ELSE random() * 86400 END)) AS entered_at,
                random() AS r_topic, random() AS r_outcome, random() AS r_answer, random() AS r_talk
           FROM generate_series(1, 1000000) AS n",
        "INSERT INTO call_record (call_key, via, line, caller_number, topic, decision_mode,
                                  entered_at, routed_at, answered_at, ended_at,
                                  answered_target, answered_staff, outcome, queued_at)
         SELECT 'bench-' || n, 'ari', CASE WHEN r_topic < 0.8 THEN '122' ELSE '117' END,
                '7999' || lpad((n % 10000000)::text, 7, '0'), topic,
                CASE WHEN topic IS NULL THEN 'specialist_requested'
                     WHEN topic = 'contract_service' THEN 'specialist_topic'
                     WHEN topic = 'municipal_services' THEN 'manual'
                     WHEN extract(hour FROM entered_at AT TIME ZONE 'Asia/Irkutsk') NOT BETWEEN 9 AND 17 THEN 'after_hours'
                     ELSE 'automatic' END,
                entered_at,
                entered_at + interval '8 s',
                CASE WHEN outcome IN ('answered_by_staff', 'answered_by_specialist')
                     THEN entered_at + make_interval(secs => 8 + r_answer * 40) END,
                entered_at + make_interval(secs => 8 + r_answer * 40 + r_talk * 300),
                CASE WHEN outcome = 'answered_by_staff' THEN staff_endpoint END,
                CASE WHEN outcome = 'answered_by_staff' THEN staff_id END,
                outcome::call_outcome,
                CASE WHEN outcome = 'answered_by_specialist' OR r_outcome > 0.9 THEN entered_at + interval '10 s' END
           FROM (SELECT g.*, t.topic,
                        CASE WHEN g.r_outcome < 0.55 AND t.topic IN ('health', 'displaced_support') THEN 'answered_by_staff'
                             WHEN g.r_outcome < 0.85 THEN 'answered_by_specialist'
                             WHEN g.r_outcome < 0.97 THEN 'abandoned'
                             ELSE 'failed' END AS outcome,
                        s.endpoint AS staff_endpoint, s.id AS staff_id
                   FROM gen g
                   CROSS JOIN LATERAL (SELECT CASE WHEN g.r_topic < 0.45 THEN 'health'
                                                   WHEN g.r_topic < 0.70 THEN 'displaced_support'
                                                   WHEN g.r_topic < 0.80 THEN 'municipal_services'
                                                   WHEN g.r_topic < 0.95 THEN 'contract_service'
                                                   END AS topic) t
                   LEFT JOIN LATERAL (SELECT id, endpoint FROM staff
                                       WHERE organisation = CASE WHEN t.topic = 'health'
                                                                 THEN (CASE WHEN g.n % 3 = 0 THEN 'okb' ELSE 'minzdrav' END)
                                                                 ELSE 'minsoc' END
                                         AND active
                                       ORDER BY id LIMIT 1) s ON true) calls",
        "INSERT INTO dial_attempt (call_key, leg, target, callee_kind, staff_id, callee_name,
                                   started_at, ended_at, result)
         SELECT call_key, call_key || '-leg3', coalesce(answered_target, 'PJSIP/staff01'), 'staff',
                answered_staff, '', entered_at + interval '9 s', ended_at,
                (CASE WHEN outcome = 'answered_by_staff' THEN 'answered'
                      WHEN outcome = 'abandoned' THEN 'cancelled' ELSE 'no_answer' END)::attempt_result
           FROM call_record WHERE decision_mode = 'automatic'",
        "INSERT INTO call_transfer (call_key, number, origin, topic, started_at, ended_at, result, answered_target)
         SELECT call_key, 1, 'console', topic, answered_at, answered_at + interval '20 s', 'answered', 'PJSIP/staff08'
           FROM call_record WHERE decision_mode = 'manual' AND answered_at IS NOT NULL",
        "INSERT INTO appeal (created_at, call_key, line, topic, organisation, caller_number, note, callback_requested, status, done_at)
         SELECT entered_at, call_key, line, topic, coalesce((SELECT agency FROM topic WHERE code = c.topic), 'minzdrav'),
                caller_number, 'bench', outcome = 'abandoned',
                CASE WHEN entered_at < timestamptz '2026-12-01 00:00+08' THEN 'done' ELSE 'new' END,
                CASE WHEN entered_at < timestamptz '2026-12-01 00:00+08' THEN entered_at + interval '2 days' END
           FROM call_record c WHERE call_key LIKE 'bench-%' AND substr(call_key, 7)::int % 50 = 0",
        "ANALYZE",
    ];
    // One connection: the generated rows are a temporary table of its own.
    let mut connection = pool.acquire().await.expect("a connection");
    for statement in statements {
        sqlx::query(statement)
            .execute(&mut *connection)
            .await
            .unwrap_or_else(|e| panic!("filling the journal: {e}\n{statement}"));
    }
}
