//! The FastAGI listener: accepts Asterisk's connections and runs one session per
//! connection, in the shape of mini-redis's `server.rs`.
//!
//! - **Limit**: a semaphore caps concurrent sessions. The accept loop takes a permit
//!   *before* accepting, so beyond the limit new connections wait in the kernel's
//!   backlog (Asterisk waits for the environment's answer) instead of piling up
//!   tasks; a finished session returns its permit.
//! - **Timeouts**: each exchange has the per-command timeout ([`Connection`]), the
//!   whole session the per-session timeout, so a peer that connects and goes
//!   silent holds its permit for a bounded time only.
//! - **Isolation**: a session that fails (malformed bytes, timeout, unknown script)
//!   is closed with one log line; the listener and other sessions never see it.
//! - **Graceful shutdown**: when the shutdown token is cancelled the listener stops
//!   accepting and closes its socket; sessions in flight (each a few milliseconds
//!   of variable setting) may finish for `drain_timeout`, then are aborted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::connection::Connection;
use super::scripts::{self, AgiContext, Script};

/// Tunables of the listener.
#[derive(Clone, Debug)]
pub struct AgiServerSettings {
    /// Most sessions served at once; more connections wait to be accepted.
    pub max_sessions: usize,
    /// Longest a whole session may take (a route session takes milliseconds).
    pub session_timeout: Duration,
    /// Longest one exchange with Asterisk may take.
    pub command_timeout: Duration,
    /// At shutdown, how long sessions in flight may take to finish.
    pub drain_timeout: Duration,
}

impl Default for AgiServerSettings {
    fn default() -> Self {
        Self {
            max_sessions: 256,
            session_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(3),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// A bound FastAGI listener, ready to [`run`](AgiServer::run).
pub struct AgiServer {
    /// Bound before `run`, so the caller learns the port (tests bind port 0) and a
    /// bind error stops the service at start rather than later.
    listener: TcpListener,
    /// Shared with every session.
    context: Arc<AgiContext>,
    /// Limits and timeouts.
    settings: AgiServerSettings,
}

impl AgiServer {
    /// Binds `address` (e.g. `127.0.0.1:4573`; port 0 picks a free one).
    pub async fn bind(
        address: SocketAddr,
        context: Arc<AgiContext>,
        settings: AgiServerSettings,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        Ok(Self {
            listener,
            context,
            settings,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` is cancelled, then drains the sessions in flight.
    pub async fn run(self, shutdown: CancellationToken) {
        let AgiServer {
            listener,
            context,
            settings,
        } = self;
        let limit = Arc::new(Semaphore::new(settings.max_sessions.max(1)));
        let mut sessions = JoinSet::new();
        match listener.local_addr() {
            Ok(address) => {
                tracing::info!(%address, max_sessions = settings.max_sessions, "FastAGI listening");
            }
            Err(error) => tracing::warn!(%error, "FastAGI listening on an unknown address"),
        }
        loop {
            // Reap finished sessions so the set does not grow with the uptime.
            reap(&mut sessions);
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                permit = limit.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            };
            let (socket, peer) = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                accepted = accept(&listener) => accepted,
            };
            let context = Arc::clone(&context);
            let settings = settings.clone();
            let span = tracing::info_span!("agi", %peer, call_id = tracing::field::Empty, script = tracing::field::Empty);
            sessions.spawn(
                async move {
                    serve_session(socket, &context, &settings).await;
                    drop(permit);
                }
                .instrument(span),
            );
        }
        drop(listener);
        reap(&mut sessions);
        let in_flight = sessions.len();
        if in_flight > 0 {
            tracing::info!(
                in_flight,
                "FastAGI stopping: waiting for sessions in flight"
            );
        }
        let drained = tokio::time::timeout(settings.drain_timeout, async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                aborted = sessions.len(),
                "FastAGI sessions did not finish in time; aborted"
            );
            sessions.shutdown().await;
        }
        tracing::info!("FastAGI stopped");
    }
}

/// Forgets finished sessions; a panic in one is logged (the others go on).
fn reap(sessions: &mut JoinSet<()>) {
    while let Some(finished) = sessions.try_join_next() {
        if let Err(error) = finished {
            tracing::error!(%error, "FastAGI session panicked");
        }
    }
}

/// Accepts one connection; transient errors (out of file descriptors, a peer
/// that reset before we accepted) are logged and retried with a short backoff
/// instead of stopping the listener.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut backoff = Duration::from_millis(10);
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(error) => {
                tracing::warn!(%error, retry_in = ?backoff, "FastAGI accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// One session from environment to close. Never returns an error: whatever goes
/// wrong is logged here and ends this session only.
async fn serve_session(socket: TcpStream, context: &AgiContext, settings: &AgiServerSettings) {
    // Many small command/reply exchanges: do not let Nagle delay them.
    if let Err(error) = socket.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let mut connection = Connection::new(socket, settings.command_timeout);
    let session = async {
        let environment = connection.read_environment().await?;
        let span = tracing::Span::current();
        span.record("call_id", environment.unique_id().unwrap_or("?"));
        span.record(
            "script",
            Script::from_environment(&environment).map_or("?", Script::as_str),
        );
        scripts::run(&mut connection, &environment, context).await?;
        if connection.hung_up() {
            tracing::debug!("channel hung up during the session");
        }
        Ok::<(), scripts::ScriptError>(())
    };
    match tokio::time::timeout(settings.session_timeout, session).await {
        Ok(Ok(())) => {
            let _ = connection.shutdown().await;
        }
        Ok(Err(error)) => tracing::warn!(%error, "FastAGI session closed"),
        Err(_) => tracing::warn!(
            limit = ?settings.session_timeout,
            "FastAGI session took too long; closed"
        ),
    }
}
