//! The snapshot cache against a real Postgres: edits arrive through NOTIFY, invalid
//! edits never replace a good snapshot, a lost listener reconnects and reloads fully.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`); each test gets a fresh database.
//! No fixed sleeps: every wait polls with a deadline.

mod common;

use std::time::Duration;

use hotline::directory::cache::{CacheOptions, DirectoryCache, LISTENER_APPLICATION_NAME};
use hotline::directory::demo::seed_demo;
use hotline::routing::{DirectorySnapshot, OrganisationCode};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use common::{PATIENCE, eventually, eventually_async, execute};

/// A started cache and how to stop it.
struct Running {
    cache: DirectoryCache,
    shutdown: CancellationToken,
    handle: JoinHandle<()>,
}

impl Running {
    /// Seeds the demo and starts a cache on it, waiting until the listener listens.
    async fn start(pool: &PgPool) -> Self {
        seed_demo(pool).await.unwrap();
        let options = CacheOptions {
            settle: Duration::from_millis(10),
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_millis(500),
        };
        let shutdown = CancellationToken::new();
        let (cache, handle) = DirectoryCache::start(pool.clone(), options, shutdown.clone())
            .await
            .unwrap();
        // Connecting asks for a full reload; wait for it so tests start from rest.
        eventually("the listener to listen and reload", || {
            let health = cache.health();
            health.listening && health.loads >= 2
        })
        .await;
        Self {
            cache,
            shutdown,
            handle,
        }
    }

    /// Stops both tasks; they must finish promptly (and close the listener's
    /// connection, or the test database could not be dropped).
    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.handle)
            .await
            .expect("cache did not stop")
            .unwrap();
    }
}

fn endpoint_of(snapshot: &DirectorySnapshot, id: i64) -> String {
    let staff = snapshot.staff.iter().find(|s| s.id.0 == id).unwrap();
    staff.endpoint.as_str().to_owned()
}

#[sqlx::test(migrations = "./migrations")]
async fn an_edit_reaches_the_running_cache(pool: PgPool) {
    let running = Running::start(&pool).await;
    let cache = &running.cache;
    let mut changes = cache.subscribe();
    changes.mark_unchanged();
    assert_eq!(endpoint_of(&cache.current(), 2), "PJSIP/staff02");

    execute(
        &pool,
        "UPDATE staff SET endpoint = 'PJSIP/staff08' WHERE id = 2",
    )
    .await;

    eventually("the new endpoint", || {
        endpoint_of(&cache.current(), 2) == "PJSIP/staff08"
    })
    .await;
    tokio::time::timeout(PATIENCE, changes.changed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        endpoint_of(&changes.borrow_and_update(), 2),
        "PJSIP/staff08"
    );
    let health = cache.health();
    assert!(
        health.last_loaded_at.is_some() && health.last_error.is_none(),
        "{health:?}"
    );
    running.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn a_burst_of_edits_ends_in_the_final_state(pool: PgPool) {
    let running = Running::start(&pool).await;
    for sql in [
        "UPDATE staff SET priority = 11 WHERE id = 1",
        "UPDATE staff SET priority = 12 WHERE id = 1",
        "UPDATE staff SET priority = 13 WHERE id = 1",
        "UPDATE staff SET active = false WHERE id = 3",
    ] {
        execute(&pool, sql).await;
    }
    let cache = &running.cache;
    eventually("the last edit of the burst", || {
        let snapshot = cache.current();
        snapshot.staff[0].priority == 13 && !snapshot.staff[2].active
    })
    .await;
    running.stop().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn an_invalid_edit_keeps_the_good_snapshot(pool: PgPool) {
    let running = Running::start(&pool).await;
    let cache = &running.cache;
    let good = cache.current();
    let loads = cache.health().loads;

    // The database accepts this zone (pg_timezone_names has it); the model does not.
    execute(
        &pool,
        "UPDATE organisation SET time_zone = 'posix/Asia/Irkutsk' WHERE code = 'okb'",
    )
    .await;

    eventually("the refused reload to be recorded", || {
        cache.health().last_error.is_some()
    })
    .await;
    let health = cache.health();
    let message = &health.last_error.as_ref().unwrap().message;
    assert!(
        message.contains("organisation okb: time zone \"posix/Asia/Irkutsk\""),
        "{message}"
    );
    assert_eq!(health.loads, loads, "no successful load since");
    assert!(
        std::sync::Arc::ptr_eq(&good, &cache.current()),
        "still the good snapshot"
    );
    let okb = &cache.current().organisations[&OrganisationCode("okb".into())];
    assert_eq!(okb.time_zone, chrono_tz::Asia::Irkutsk);

    // Fixing the row clears the error and serves the fixed directory.
    execute(
        &pool,
        "UPDATE organisation SET time_zone = 'Asia/Irkutsk', name = 'ОКБ' WHERE code = 'okb'",
    )
    .await;
    eventually("the fix to load", || cache.health().last_error.is_none()).await;
    let okb = &cache.current().organisations[&OrganisationCode("okb".into())];
    assert_eq!(okb.name, "ОКБ");
    running.stop().await;
}

/// Kills the listener's server process, as a restart or a network cut would.
async fn terminate_listener(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND datname = current_database()) AS killed",
    )
    .bind(LISTENER_APPLICATION_NAME)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_lost_listener_reconnects_and_reloads_fully(pool: PgPool) {
    let running = Running::start(&pool).await;
    let cache = &running.cache;
    assert_eq!(cache.health().listener_connections, 1);

    assert_eq!(
        terminate_listener(&pool).await,
        1,
        "one listener connection"
    );
    // Made while the listener may be away: only the full reload after reconnecting
    // can bring it in.
    execute(
        &pool,
        "UPDATE staff SET endpoint = 'PJSIP/staff07' WHERE id = 1",
    )
    .await;

    eventually("the listener to reconnect", || {
        cache.health().listener_connections >= 2
    })
    .await;
    eventually("the edit made while away", || {
        endpoint_of(&cache.current(), 1) == "PJSIP/staff07"
    })
    .await;
    eventually_async("the new listener connection", || async {
        listener_backends(&pool).await == 1
    })
    .await;

    // And notifications flow again on the new connection.
    execute(
        &pool,
        "UPDATE staff SET endpoint = 'PJSIP/staff06' WHERE id = 1",
    )
    .await;
    eventually("an edit after reconnecting", || {
        endpoint_of(&cache.current(), 1) == "PJSIP/staff06"
    })
    .await;
    assert!(cache.health().listening);
    running.stop().await;
}

/// How many listener connections the server sees.
async fn listener_backends(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
    )
    .bind(LISTENER_APPLICATION_NAME)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn stopping_closes_the_listener_connection(pool: PgPool) {
    let running = Running::start(&pool).await;
    assert_eq!(listener_backends(&pool).await, 1);
    running.stop().await;
    eventually_async("the listener connection to close", || async {
        listener_backends(&pool).await == 0
    })
    .await;
}

#[sqlx::test(migrations = "./migrations")]
async fn starting_on_a_broken_directory_fails(pool: PgPool) {
    seed_demo(&pool).await.unwrap();
    execute(
        &pool,
        "UPDATE organisation SET time_zone = 'posix/Asia/Irkutsk' WHERE code = 'okb'",
    )
    .await;
    let started = DirectoryCache::start(
        pool.clone(),
        CacheOptions::default(),
        CancellationToken::new(),
    )
    .await;
    let error = started.err().expect("no good snapshot to serve");
    assert!(error.to_string().contains("organisation okb"), "{error}");
}
