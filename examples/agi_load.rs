//! Load client for the FastAGI server: 100 concurrent sessions of `route` requests
//! against the server running in-process, with the demo directory, the routing
//! policy and the journal writing to Postgres, as in `hotline serve`.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo run --release --example agi_load [-- SESSIONS SECONDS]
//! ```
//!
//! Creates a scratch database on that server (dropped at the end), seeds the demo
//! directory and measures, for each kind of `route` request the dialplan makes, how
//! many complete AGI sessions per second 100 concurrent clients get through (each
//! session is a new TCP connection, the environment, 5–20 `SET VARIABLE` round trips
//! and the close, as `agi-example.conf` causes), with latency percentiles.

#[path = "../tests/support/fake_asterisk.rs"]
mod fake_asterisk;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hotline::agi::{AgiContext, AgiServer, AgiServerSettings, CallFlow};
use hotline::app::RoutingClock;
use hotline::directory::{DirectoryCache, MIGRATOR, demo::seed_demo, load_snapshot};
use hotline::journal::JournalWriter;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor};
use tokio_util::sync::CancellationToken;

use fake_asterisk::FakeChannel;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let sessions: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let seconds: u64 = args.next().map_or(Ok(5), |a| a.parse())?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let server_options: PgConnectOptions = url.parse()?;
    let name = format!("hotline_agi_load_{}", std::process::id());
    let mut admin = server_options
        .clone()
        .database("postgres")
        .connect()
        .await?;
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await?;

    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(server_options.clone().database(&name))
        .await?;
    MIGRATOR.run(&pool).await?;
    seed_demo(&pool).await?;
    let snapshot = load_snapshot(&pool).await?;
    let spool = std::env::temp_dir().join(format!("{name}.spool"));
    let (journal, writer) = JournalWriter::new(pool.clone(), spool);
    let journal_task = tokio::spawn(writer.run(Duration::from_secs(10)));
    let context = Arc::new(AgiContext {
        directory: DirectoryCache::fixed(snapshot),
        journal,
        // A working Tuesday morning in Irkutsk: health calls go to staff.
        clock: RoutingClock::starting_at("2026-06-16T02:00:00Z".parse()?),
        recency: Default::default(),
        flow: CallFlow {
            specialist_ring_seconds: 30,
            specialist_rounds: 3,
            announce_transfers: true,
        },
    });
    let server = AgiServer::bind(
        "127.0.0.1:0".parse()?,
        context,
        AgiServerSettings {
            max_sessions: sessions.max(1) * 2,
            ..AgiServerSettings::default()
        },
    )
    .await?;
    let address = server.local_addr()?;
    let shutdown = CancellationToken::new();
    let server_task = tokio::spawn(server.run(shutdown.clone()));

    println!(
        "FastAGI load: {sessions} concurrent sessions for {seconds} s per request kind, server {address}"
    );
    println!(
        "{:<34} {:>10} {:>11} {:>9} {:>9} {:>9} {:>9}",
        "request", "sessions", "sessions/s", "commands", "p50 ms", "p99 ms", "max ms"
    );
    let kinds: [(&str, &[&str]); 3] = [
        ("route,122 (entry: menu)", &["122"]),
        ("route,122,1,1 (staff, 3 targets)", &["122", "1", "1"]),
        ("route,122,0,1 (specialists)", &["122", "0", "1"]),
    ];
    for (label, script_args) in kinds {
        let running = Arc::new(AtomicBool::new(true));
        let started = Instant::now();
        let clients: Vec<_> = (0..sessions)
            .map(|client| {
                let running = Arc::clone(&running);
                let script_args: Vec<String> =
                    script_args.iter().map(|s| (*s).to_owned()).collect();
                tokio::spawn(async move {
                    let args: Vec<&str> = script_args.iter().map(String::as_str).collect();
                    let mut latencies = Vec::new();
                    let mut commands = 0;
                    let mut n = 0u64;
                    while running.load(Ordering::Relaxed) {
                        n += 1;
                        let mut channel = FakeChannel::new(&format!("{client}.{n}"));
                        let begun = Instant::now();
                        commands += channel.agi(address, "route", &args).await.expect("session");
                        latencies.push(begun.elapsed());
                    }
                    (latencies, commands)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        running.store(false, Ordering::Relaxed);
        let mut latencies = Vec::new();
        let mut commands = 0;
        for client in clients {
            let (mut l, c) = client.await?;
            latencies.append(&mut l);
            commands += c;
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort();
        let pct =
            |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;
        println!(
            "{:<34} {:>10} {:>11.0} {:>9.1} {:>9.2} {:>9.2} {:>9.2}",
            label,
            latencies.len(),
            latencies.len() as f64 / elapsed,
            commands as f64 / latencies.len() as f64,
            pct(0.50),
            pct(0.99),
            pct(1.0),
        );
    }

    shutdown.cancel();
    server_task.await?;
    journal_task.await??;
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM call_record")
        .fetch_one(&pool)
        .await?;
    println!("journal: {written} call records written");
    pool.close().await;
    admin
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .await?;
    Ok(())
}
