//! `hotline serve`: wires the adapters around the core and runs until SIGTERM/SIGINT.
//!
//! Start-up order: Postgres pool → directory cache (first load must succeed) →
//! journal writer (replays its spool) → ARI client → FastAGI → operator console
//! (HTTP) → the active role (a standby waits here until the active instance dies,
//! see [`crate::app::leadership`]) → event socket → Stasis app.
//! Shutdown reverses it: the app stops taking calls (new ones go to the dialplan
//! fallback), lets calls finish for `shutdown_drain_seconds`, hands the rest back to
//! the dialplan, then the journal is flushed (or spooled) and the cache stops.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::agi::{AgiContext, AgiServer, AgiServerSettings, CallFlow};
use crate::app::{AppContext, CallRecencyBook, RoutingClock, StasisApp};
use crate::ari::{AriClient, AriClientSettings, AriCredentials, run_events, run_request_socket};
use crate::call::CallSettings;
use crate::config::Settings;
use crate::directory::{CacheOptions, DirectoryCache};
use crate::journal::{FallbackImporter, JournalWriter};
use crate::queue::QueueSettings;
use crate::routing::{LastCalls, StaffId};
/// The Stasis app with its event and request sockets, until `shutdown` and the drain.
async fn run_stasis_app(
    settings: &Settings,
    node: String,
    ari: AriClient,
    context: Arc<AppContext>,
    control_inbox: crate::app::CallControlInbox,
    shutdown: CancellationToken,
) {
    // The socket's task hands each event for a running call straight to that call
    // (the router); the dispatcher gets the rest.
    let (app, router) = StasisApp::new(context, control_inbox);
    let socket_stop = CancellationToken::new();
    // Everything the node's tasks log names the node.
    let span = tracing::info_span!("node", %node);
    let request_sockets: Vec<_> = (0..ari.request_sockets())
        .map(|index| {
            let socket = run_request_socket(ari.clone(), index, socket_stop.clone());
            tokio::spawn(socket.instrument(span.clone()))
        })
        .collect();
    tracing::info!(app = %settings.ari_app, %node, url = %ari.events_url(), "hotline serving");
    let socket_task =
        tokio::spawn(run_events(ari, router, socket_stop.clone()).instrument(span.clone()));

    // The dispatcher runs as a task on the worker threads, beside the socket and call
    // tasks: awaited here, it would run on the main thread (`block_on`), and its
    // messages would cross threads, a wake-up each.
    let app = app.run(
        shutdown,
        Duration::from_secs(settings.shutdown_drain_seconds),
    );
    if let Err(error) = tokio::spawn(app.instrument(span)).await {
        tracing::error!(%error, "the Stasis app panicked");
    }

    socket_stop.cancel();
    let _ = socket_task.await;
    for socket in request_sockets {
        let _ = socket.await;
    }
}

/// How often the dialplan fallback's file is looked at for calls to journal.
const FALLBACK_IMPORT_EVERY: Duration = Duration::from_secs(5);

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Postgres could not be reached.
    #[error("cannot connect to Postgres: {0}")]
    Database(#[from] sqlx::Error),
    /// The directory could not be loaded at start.
    #[error("cannot load the directory: {0}")]
    Directory(#[from] crate::directory::DirectoryError),
    /// The ARI settings are unusable.
    #[error("bad ARI settings: {0}")]
    Ari(#[from] crate::ari::AriError),
    /// The Asterisk nodes' names clash or are blank.
    #[error("Asterisk nodes: {0}")]
    Nodes(String),
    /// The ARI URL is not a URL.
    #[error("bad ARI URL: {0}")]
    AriUrl(#[from] url::ParseError),
    /// The journal spool could not be read.
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    /// The operator console could not start (address in use, Postgres listener).
    #[error("console HTTP: {0}")]
    Http(#[from] crate::http::HttpStartError),
    /// The recording settings are unusable.
    #[error("{0}")]
    Recording(#[from] crate::recordings::RecordingError),
    /// The FastAGI listener could not bind its address.
    #[error("cannot listen for FastAGI on {address}: {source}")]
    Agi {
        /// The `agi_listen` setting.
        address: std::net::SocketAddr,
        /// Why (address in use, not permitted...).
        source: std::io::Error,
    },
}

/// Runs the service until `shutdown` is cancelled (the CLI cancels it on SIGTERM or
/// SIGINT).
pub async fn serve(settings: Settings, shutdown: CancellationToken) -> Result<(), ServeError> {
    crate::recordings::check_folder(&settings.recording_folder)?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&settings.database_url.0)
        .await?;

    let cache_stop = CancellationToken::new();
    let (directory, cache_task) =
        DirectoryCache::start(pool.clone(), CacheOptions::default(), cache_stop.clone()).await?;

    let (journal, writer) = JournalWriter::new(pool.clone(), settings.journal_spool.clone());
    let journal_status = journal.status();
    let journal_task = tokio::spawn(writer.run(Duration::from_secs(10)));
    // Each Asterisk node's dialplan fallback writes a file of its own.
    let node_settings = settings.asterisk_nodes().map_err(ServeError::Nodes)?;
    let fallback_imports: Vec<_> = node_settings
        .iter()
        .filter(|(_, node)| !node.dialplan_fallback_log.as_os_str().is_empty())
        .map(|(name, node)| {
            FallbackImporter::new(pool.clone(), node.dialplan_fallback_log.clone())
                .for_node(name)
                .spawn(FALLBACK_IMPORT_EVERY)
        })
        .collect();

    // Each Asterisk node gets its own client, event socket and Stasis app.
    let nodes = clients_of(&node_settings)?;
    let asterisk = crate::ari::AsteriskNodes::new(nodes.clone());
    let (first_node, ari) = nodes[0].clone();

    let clock = match settings.clock_start {
        Some(start) => {
            tracing::warn!(%start, "routing clock shifted: decisions are taken as if it were then");
            RoutingClock::starting_at(start.with_timezone(&Utc))
        }
        None => RoutingClock::default(),
    };
    tokio::spawn(warn_of_unconfirmed_calendar_years(
        directory.clone(),
        clock,
        cache_stop.clone(),
    ));
    let (agi_directory, agi_journal) = (directory.clone(), journal.clone());
    let console_events = crate::http::events::ConsoleEvents::new();
    let queue = crate::app::QueueHandle::start(
        directory.clone(),
        console_events.clone(),
        QueueSettings {
            ring_all: settings.queue_ring_all,
            wrap_up: chrono::Duration::seconds(settings.queue_wrap_up_seconds.into()),
            offer_timeout: chrono::Duration::seconds(
                i64::from(settings.specialist_ring_seconds) + 5,
            ),
            announce_every: chrono::Duration::seconds(settings.queue_announce_seconds.into()),
            callback_after: chrono::Duration::seconds(settings.queue_callback_after_seconds.into()),
        },
    );
    // One call history for both paths: `least_recent` must see a person rung through
    // AGI as rung when a Stasis call decides, and the other way round.
    let recency = Arc::new(CallRecencyBook::new(last_calls(&pool).await?));
    let context = Arc::new(AppContext {
        pool: pool.clone(),
        ari: ari.clone(),
        node: first_node.clone(),
        owns_unnamed_calls: true,
        directory,
        journal,
        clock,
        recency: Arc::clone(&recency),
        call_settings: CallSettings {
            specialist_ring_timeout: chrono::Duration::seconds(
                settings.specialist_ring_seconds.into(),
            ),
            specialist_rounds: settings.specialist_rounds,
            announce_transfers: settings.announce_transfers,
            specialist_queue: settings.specialist_queue,
            recording_folder: settings.recording_folder.clone(),
            ..CallSettings::default()
        },
        queue: queue.clone(),
        shed_above: (settings.shed_latency_ms > 0)
            .then(|| Duration::from_millis(settings.shed_latency_ms)),
    });

    let agi_task = start_agi(
        &settings,
        AgiContext {
            directory: agi_directory,
            journal: agi_journal,
            clock,
            recency,
            flow: CallFlow {
                specialist_ring_seconds: settings.specialist_ring_seconds,
                specialist_rounds: settings.specialist_rounds,
                announce_transfers: settings.announce_transfers,
            },
        },
        shutdown.clone(),
    )
    .await?;

    let (control, control_inboxes) = crate::app::CallControl::for_nodes(nodes.len());
    let http_state = crate::http::HttpState {
        pool: pool.clone(),
        directory: context.directory.clone(),
        events: console_events,
        queue,
        calls: control,
        clock,
        options: crate::http::HttpOptions {
            secure_cookie: settings.http_secure_cookie,
            session_idle: chrono::Duration::minutes(i64::from(
                settings.http_session_idle_minutes.max(1),
            )),
            trust_forwarded_for: settings.http_trust_forwarded_for,
            allowed_origins: settings.http_allowed_origins.clone(),
            ..crate::http::HttpOptions::default()
        },
        shutdown: shutdown.clone(),
        journal: journal_status,
        sessions: Default::default(),
        asterisk: asterisk.clone(),
        active_console: crate::http::standby::ActiveConsole::standby(&settings.ari_app),
    };
    let active_console = http_state.active_console.clone();
    let (console_address, http_task) = start_http(&settings, http_state).await?;

    // Only the instance holding the active role connects the Stasis app; a standby
    // serves the console and FastAGI meanwhile and takes over when the active one dies.
    if let Some(active) = crate::app::leadership::become_active(
        &settings.database_url.0,
        &settings.ari_app,
        &shutdown,
    )
    .await
    {
        let console_url = advertised_console_url(&settings, console_address);
        if let Err(error) = active_console.set_active(&pool, &console_url).await {
            tracing::warn!(%error, "cannot publish this console's address: standby consoles cannot show the queue");
        }
        let lost = active.lost();
        tokio::spawn(async move {
            lost.cancelled().await;
            // Another instance routes now and adopts these calls, as after a crash:
            // handing them back to the dialplan would take them from it.
            tracing::error!(
                "lost the active role: exiting so that the active instance alone drives the calls"
            );
            std::process::exit(75);
        });
        // The specialists' desk states, as their consoles (on any instance) left them.
        let queue = context.queue.clone();
        match crate::app::desk::restore(&pool, &queue).await {
            Ok(0) => {}
            Ok(restored) => tracing::info!(restored, "specialists' desk states restored"),
            Err(error) => tracing::warn!(%error, "cannot restore the specialists' desk states"),
        }
        tokio::spawn(crate::app::desk::follow(
            pool.clone(),
            queue,
            shutdown.clone(),
        ));
        // One instance deletes expired recordings: the active one.
        tokio::spawn(crate::recordings::run_cleanup(
            pool.clone(),
            asterisk,
            Duration::from_secs(settings.recording_cleanup_minutes.max(1) * 60),
            shutdown.clone(),
        ));
        // One Stasis app per node: a node that goes away only stops its own (its
        // socket reconnects with backoff), the others go on.
        // The first node runs on the context built above; the others on copies.
        // Every context (each holds a journal handle) is gone when the apps are.
        let mut contexts: Vec<Arc<AppContext>> = nodes[1..]
            .iter()
            .map(|(name, client)| Arc::new(context.for_node(name, client.clone())))
            .collect();
        contexts.insert(0, context);
        let apps = nodes.into_iter().zip(control_inboxes).zip(contexts).map(
            |(((name, client), inbox), context)| {
                run_stasis_app(&settings, name, client, context, inbox, shutdown.clone())
            },
        );
        futures_util::future::join_all(apps).await;
        active.release().await;
    }

    // The same token stopped the FastAGI listener; its sessions hold journal handles.
    if let Err(error) = agi_task.await {
        tracing::error!(%error, "FastAGI server panicked");
    }
    if let Err(error) = http_task.await {
        tracing::error!(%error, "console HTTP server panicked");
    }
    // The app and its call tasks are gone, so is every journal handle: the writer
    // flushes what is queued and stops.
    match journal_task.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "journal writer failed"),
        Err(error) => tracing::error!(%error, "journal writer panicked"),
    }
    for task in fallback_imports {
        task.abort();
    }
    cache_stop.cancel();
    let _ = cache_task.await;
    pool.close().await;
    tracing::info!("hotline stopped");
    Ok(())
}

/// An ARI client for each Asterisk node the settings name, the `ari_url` one first.
pub fn node_clients(settings: &Settings) -> Result<Vec<(String, AriClient)>, ServeError> {
    clients_of(&settings.asterisk_nodes().map_err(ServeError::Nodes)?)
}

/// An ARI client for each node of [`Settings::asterisk_nodes`].
fn clients_of(nodes: &[(String, Settings)]) -> Result<Vec<(String, AriClient)>, ServeError> {
    nodes
        .iter()
        .map(|(name, node)| Ok((name.clone(), ari_client(node)?)))
        .collect()
}

/// The ARI client the settings describe (it connects nothing yet).
fn ari_client(settings: &Settings) -> Result<AriClient, ServeError> {
    Ok(AriClient::new(AriClientSettings {
        base_url: settings.ari_url.parse()?,
        credentials: AriCredentials {
            user: settings.ari_user.clone(),
            password: settings.ari_password.0.clone(),
        },
        app: settings.ari_app.clone(),
        request_timeout: Duration::from_millis(settings.ari_request_timeout_ms),
        max_in_flight: settings.ari_max_in_flight,
        rest_over_websocket: settings.ari_rest_over_websocket,
        request_sockets: settings.ari_request_sockets,
    })?)
}

/// Binds the FastAGI listener (`agi_listen`) and serves it until `shutdown`.
async fn start_agi(
    settings: &Settings,
    context: AgiContext,
    shutdown: CancellationToken,
) -> Result<tokio::task::JoinHandle<()>, ServeError> {
    let address = settings.agi_listen;
    let server = AgiServer::bind(
        address,
        Arc::new(context),
        AgiServerSettings {
            max_sessions: settings.agi_max_sessions,
            ..AgiServerSettings::default()
        },
    )
    .await
    .map_err(|source| ServeError::Agi { address, source })?;
    Ok(tokio::spawn(server.run(shutdown)))
}

/// Binds the operator console (`http_listen`) and serves it until the state's
/// `shutdown` token is cancelled.
async fn start_http(
    settings: &Settings,
    state: crate::http::HttpState,
) -> Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>), ServeError> {
    let server = crate::http::HttpServer::bind(settings.http_listen, state).await?;
    let address = server.local_addr().unwrap_or(settings.http_listen);
    Ok((address, server.start().await?))
}

/// The console address standbys pass requests on to: `http_advertise_url`, or the
/// bound address (loopback for a wildcard bind, which only suits one host).
fn advertised_console_url(settings: &Settings, bound: std::net::SocketAddr) -> String {
    if !settings.http_advertise_url.is_empty() {
        return settings.http_advertise_url.trim_end_matches('/').to_owned();
    }
    let mut address = bound;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{address}")
}

/// When each staff member was last dialled, from the journal.
async fn last_calls(pool: &PgPool) -> Result<LastCalls, sqlx::Error> {
    let rows: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT staff_id, max(started_at) FROM dial_attempt
         WHERE staff_id IS NOT NULL GROUP BY staff_id",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, at)| (StaffId(id), at)).collect())
}

/// Says loudly, at start and then every hour, which production calendar years due now
/// (this one, and from 1 October the next) have no decree loaded: until one is
/// imported, the days that decree moves are routed by the statutory rule alone.
async fn warn_of_unconfirmed_calendar_years(
    directory: DirectoryCache,
    clock: RoutingClock,
    stop: CancellationToken,
) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every_hour.tick() => {}
        }
        let calendar = &directory.current().calendar;
        for year in calendar.unconfirmed_years_due_at(clock.now()) {
            // The same words `hotline directory check` prints.
            tracing::warn!(year, "{}", crate::routing::lint::UnconfirmedYear(year));
        }
    }
}
