//! Helpers shared by the Postgres integration tests.
//!
//! Every test here needs a real Postgres and `DATABASE_URL` pointing at it, e.g.
//! `postgres://postgres@127.0.0.1:5432/hotline_test` (what `scripts/test` exports
//! after `scripts/postgres-up`). `#[sqlx::test]` creates a fresh database per test on
//! that server; the CLI tests create their own with [`ScratchDatabase`].

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor, PgPool};

/// How long a test waits for something asynchronous (a NOTIFY reload, a reconnect)
/// before failing. Generous, because CI machines are slow; tests poll, so a fast
/// machine never waits this long.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Polls `condition` every 20 ms until it holds; panics with `what` after [`PATIENCE`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Like [`eventually`] for a condition that needs the database.
pub async fn eventually_async<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs one statement that must succeed.
pub async fn execute(pool: &PgPool, sql: &'static str) {
    pool.execute(sql)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// The server's connection options from `DATABASE_URL`.
pub fn server_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a test Postgres, e.g. postgres://postgres@127.0.0.1:5432/hotline_test");
    PgConnectOptions::from_str(&url).expect("DATABASE_URL is not a Postgres URL")
}

/// A database of its own for a test that runs the `hotline` binary, created on the
/// `DATABASE_URL` server and dropped (forcibly) when the value is dropped, also when
/// the test panics. Usable from plain `#[test]` functions: it brings its own runtime.
pub struct ScratchDatabase {
    /// Name of the database, unique per process and test.
    name: String,
    /// For create/drop through the `postgres` maintenance database.
    runtime: tokio::runtime::Runtime,
}

impl ScratchDatabase {
    /// Creates an empty database named after `purpose`.
    pub fn create(purpose: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "hotline_cli_{purpose}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(maintenance(&format!("CREATE DATABASE \"{name}\"")));
        Self { name, runtime }
    }

    /// The URL of this database, for `DATABASE_URL` of the binary.
    pub fn url(&self) -> String {
        server_options()
            .database(&self.name)
            .to_url_lossy()
            .to_string()
    }

    /// Runs `f` with a pool on this database, e.g. to break a row on purpose.
    pub fn with_pool<T>(&self, f: impl AsyncFnOnce(&PgPool) -> T) -> T {
        self.runtime.block_on(async {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(server_options().database(&self.name))
                .await
                .unwrap();
            let result = f(&pool).await;
            pool.close().await;
            result
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        self.runtime.block_on(maintenance(&sql));
    }
}

/// Runs one statement on the server's `postgres` database.
async fn maintenance(sql: &str) {
    let mut connection = server_options()
        .database("postgres")
        .connect()
        .await
        .expect("cannot reach the Postgres of DATABASE_URL");
    connection
        .execute(AssertSqlSafe(sql.to_owned()))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// An ARI client for the sandbox Asterisk (`scripts/sandbox`), over HTTP only; it
/// connects nothing until asked. Consoles built for tests that never reach Asterisk
/// get one too (their requests fail as with Asterisk down).
pub fn sandbox_ari(app: &str) -> hotline::ari::AriClient {
    hotline::ari::AriClient::new(hotline::ari::AriClientSettings {
        base_url: "http://127.0.0.1:8088".parse().expect("a URL"),
        credentials: hotline::ari::AriCredentials {
            user: "hotline".into(),
            password: "hotline".into(),
        },
        app: app.into(),
        request_timeout: Duration::from_secs(5),
        max_in_flight: 4,
        rest_over_websocket: false,
        request_sockets: 0,
    })
    .expect("a client")
}
