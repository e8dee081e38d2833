//! The directory snapshot in memory, reloaded whenever the database announces a change.
//!
//! Every call asks [`DirectoryCache::current`] for the snapshot, so that read is an
//! atomic pointer load (`arc-swap`), never a lock or a query. Two background tasks keep
//! it fresh:
//!
//! - the **listener** holds its own connection with `LISTEN directory_changed` (the
//!   schema's statement triggers `pg_notify` it on every change to a directory table)
//!   and turns each notification into a reload request. After it (re)connects it always
//!   requests a *full* reload, because changes made while it was away were never
//!   announced to it; a lost connection is retried with exponential backoff.
//! - the **reloader** waits for a request, lets a burst of edits settle, drains the
//!   requests that piled up meanwhile, and loads the directory once.
//!
//! A load that fails (database error, bad rows, inconsistent directory) never replaces
//! the snapshot being served: it is logged at error level with every problem, and
//! recorded in [`DirectoryHealth`] for health checks. Both tasks stop when the
//! shutdown token is cancelled; await the returned handle for a graceful stop.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::directory::error::DirectoryError;
use crate::directory::listener::{Backoff, ListenEvent, NotificationListener, listener_pool};
use crate::directory::repository::load_snapshot;
use crate::routing::DirectorySnapshot;

/// The channel the schema's triggers notify on every directory change.
pub const DIRECTORY_CHANNEL: &str = "directory_changed";

/// The `application_name` of the listener's connection, so an administrator (or a
/// test) can find it in `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "hotline-directory-listener";

/// Timing of the background tasks.
#[derive(Clone, Debug)]
pub struct CacheOptions {
    /// Quiet time after a change notification before reloading, so a script that edits
    /// fifty rows in fifty statements costs one reload, not fifty.
    pub settle: Duration,
    /// First wait before reconnecting a lost listener; doubled after each failure.
    pub reconnect_min: Duration,
    /// Longest wait between reconnection attempts.
    pub reconnect_max: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            settle: Duration::from_millis(50),
            reconnect_min: Duration::from_millis(250),
            reconnect_max: Duration::from_secs(30),
        }
    }
}

/// What a health check needs to know about the directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryHealth {
    /// When the directory was last loaded successfully (the snapshot served is that
    /// load's, or an equal older one).
    pub last_loaded_at: Option<DateTime<Utc>>,
    /// Successful loads so far, the first one included; for metrics and for tests
    /// that wait for a reload.
    pub loads: u64,
    /// The most recent load attempt's failure; `None` once a later load succeeds.
    /// While set, the service runs on an older snapshot than the database holds.
    pub last_error: Option<LoadFailure>,
    /// Whether the listener currently holds a connection with `LISTEN`; while false,
    /// edits are not seen until it reconnects (and reloads fully).
    pub listening: bool,
    /// How many times the listener has connected; above one, it lost its connection
    /// and each reconnect was followed by a full reload. Climbing fast means flapping.
    pub listener_connections: u64,
}

/// A load that was refused, for health checks and operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadFailure {
    /// When the load was attempted.
    pub at: DateTime<Utc>,
    /// The error with every problem listed.
    pub message: String,
}

/// The current directory snapshot, shared by every call. Cheap to clone.
#[derive(Clone)]
pub struct DirectoryCache {
    /// Shared with the background tasks, which publish new snapshots into it.
    shared: Arc<Shared>,
}

/// State shared between readers and the background tasks.
struct Shared {
    /// The snapshot served now; swapped whole, read without locking.
    current: ArcSwap<DirectorySnapshot>,
    /// Tells subscribers (e.g. an operator console) that a new snapshot is in.
    changes: watch::Sender<Arc<DirectorySnapshot>>,
    /// Load times and errors; written rarely, read by health checks only.
    health: Mutex<DirectoryHealth>,
}

/// A reload was asked for; requests are coalesced, so only their presence matters.
#[derive(Debug)]
struct ReloadRequest;

impl DirectoryCache {
    /// A cache that serves `snapshot` and never changes: for tests and tools that do
    /// not need live updates.
    pub fn fixed(snapshot: DirectorySnapshot) -> Self {
        let snapshot = Arc::new(snapshot);
        let (changes, _) = watch::channel(snapshot.clone());
        Self {
            shared: Arc::new(Shared {
                current: ArcSwap::new(snapshot),
                changes,
                health: Mutex::new(DirectoryHealth {
                    last_loaded_at: Some(Utc::now()),
                    loads: 1,
                    ..DirectoryHealth::default()
                }),
            }),
        }
    }

    /// Loads the directory and starts the listener and reloader. Fails if the first
    /// load fails: there is no good snapshot to serve yet. Cancel `shutdown` and await
    /// the handle to stop both tasks and close the listener's connection.
    pub async fn start(
        pool: PgPool,
        options: CacheOptions,
        shutdown: CancellationToken,
    ) -> Result<(Self, JoinHandle<()>), DirectoryError> {
        let cache = Self::fixed(load_snapshot(&pool).await?);
        let handle = tokio::spawn(run(cache.clone(), pool, options, shutdown));
        Ok((cache, handle))
    }

    /// The snapshot to route this call with. An atomic load: call it per call.
    pub fn current(&self) -> Arc<DirectorySnapshot> {
        self.shared.current.load_full()
    }

    /// A receiver that is marked changed whenever a new snapshot is published.
    pub fn subscribe(&self) -> watch::Receiver<Arc<DirectorySnapshot>> {
        self.shared.changes.subscribe()
    }

    /// Load times, the last load error and the listener's state.
    pub fn health(&self) -> DirectoryHealth {
        self.health_lock().clone()
    }

    /// Swaps in a freshly loaded snapshot, unless nothing changed.
    fn publish(&self, snapshot: DirectorySnapshot) {
        let changed = *self.current() != snapshot;
        {
            let mut health = self.health_lock();
            health.last_loaded_at = Some(Utc::now());
            health.loads += 1;
            health.last_error = None;
        }
        if changed {
            let snapshot = Arc::new(snapshot);
            self.shared.current.store(snapshot.clone());
            self.shared.changes.send_replace(snapshot);
        }
    }

    /// Records a refused load; the served snapshot stays as it is.
    fn record_failure(&self, error: &DirectoryError) {
        tracing::error!(error = %error, "directory reload refused; still serving the previous snapshot");
        self.health_lock().last_error = Some(LoadFailure {
            at: Utc::now(),
            message: error.to_string(),
        });
    }

    /// Records whether the listener is connected, counting connections.
    fn set_listening(&self, listening: bool) {
        let mut health = self.health_lock();
        health.listening = listening;
        health.listener_connections += u64::from(listening);
    }

    /// The health record; a panic elsewhere cannot make it unreadable.
    fn health_lock(&self) -> std::sync::MutexGuard<'_, DirectoryHealth> {
        self.shared
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs the listener and the reloader until `shutdown`, then closes the listener's pool.
async fn run(
    cache: DirectoryCache,
    pool: PgPool,
    options: CacheOptions,
    shutdown: CancellationToken,
) {
    // Capacity 1: a request already queued means a reload is pending anyway.
    let (requests, pending) = mpsc::channel(1);
    let listen_pool = listener_pool(&pool, LISTENER_APPLICATION_NAME);
    let listener = listen(&cache, &listen_pool, &options, &requests, &shutdown);
    let reloader = reload(&cache, &pool, &options, pending, &shutdown);
    tokio::join!(listener, reloader);
    listen_pool.close().await;
    tracing::debug!("directory cache stopped");
}

/// The listener task: (re)connects with backoff, asks for a full reload after every
/// connect, then forwards notifications as reload requests until `shutdown`.
async fn listen(
    cache: &DirectoryCache,
    pool: &PgPool,
    options: &CacheOptions,
    requests: &mpsc::Sender<ReloadRequest>,
    shutdown: &CancellationToken,
) {
    let backoff = Backoff {
        min: options.reconnect_min,
        max: options.reconnect_max,
    };
    let mut listener = NotificationListener::new(
        pool.clone(),
        &[DIRECTORY_CHANNEL],
        backoff,
        "directory listener",
    );
    while let Some(event) = shutdown.run_until_cancelled(listener.next()).await {
        match event {
            ListenEvent::Connected { .. } => {
                cache.set_listening(true);
                tracing::info!(
                    channel = DIRECTORY_CHANNEL,
                    "listening for directory changes"
                );
                request_reload(requests);
            }
            ListenEvent::Notification(notification) => {
                tracing::debug!(table = notification.payload(), "directory changed");
                request_reload(requests);
            }
            ListenEvent::Lost(_) => cache.set_listening(false),
        }
    }
    cache.set_listening(false);
}

/// Queues a reload unless one is already queued.
fn request_reload(requests: &mpsc::Sender<ReloadRequest>) {
    // Full: a reload is pending and will see this change too. Closed: shutting down.
    let _ = requests.try_send(ReloadRequest);
}

/// The reloader task: one load per settled burst of requests.
async fn reload(
    cache: &DirectoryCache,
    pool: &PgPool,
    options: &CacheOptions,
    mut pending: mpsc::Receiver<ReloadRequest>,
    shutdown: &CancellationToken,
) {
    while let Some(Some(ReloadRequest)) = shutdown.run_until_cancelled(pending.recv()).await {
        if shutdown
            .run_until_cancelled(tokio::time::sleep(options.settle))
            .await
            .is_none()
        {
            return;
        }
        while pending.try_recv().is_ok() {}
        match load_snapshot(pool).await {
            Ok(snapshot) => cache.publish(snapshot),
            Err(error) => cache.record_failure(&error),
        }
    }
}
