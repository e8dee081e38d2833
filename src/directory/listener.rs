//! A Postgres `LISTEN` that outlives lost connections, shared by everything that
//! follows notifications: the directory cache (roster edits), the console (appeals,
//! ended sessions) and the specialists' desks (states set on another instance).
//!
//! [`NotificationListener::next`] gives what happened, in order: connected (again),
//! a notification, or the connection lost. Reconnection is ours, not the driver's:
//! it waits between attempts (doubling from `min` to `max`) while Postgres is away,
//! logs the first failure of a gap and not each retry, and says `reconnected` so the
//! caller can catch up on what it missed (notifications sent while nobody listened
//! are gone for good).

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgNotification, PgPoolOptions};

/// What the listener saw.
#[derive(Debug)]
pub enum ListenEvent {
    /// Listening (again): `reconnected` after a lost connection, so notifications
    /// may have been missed.
    Connected {
        /// False for the first connection.
        reconnected: bool,
    },
    /// A notification on one of the channels.
    Notification(PgNotification),
    /// The connection was lost (why); the next call reconnects.
    Lost(String),
}

/// Waits between reconnection attempts.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// The first wait.
    pub min: Duration,
    /// The longest wait.
    pub max: Duration,
}

/// A `LISTEN` on some channels, reconnected with backoff; see the module doc.
pub struct NotificationListener {
    pool: PgPool,
    channels: Vec<String>,
    backoff: Backoff,
    /// Named in the logs ("directory listener").
    name: &'static str,
    listener: Option<PgListener>,
    /// The wait before the next attempt, once one failed or a connection was lost.
    wait: Option<Duration>,
    /// Whether a connection was ever made.
    connected_before: bool,
    /// Whether the current gap's first failure was logged.
    gap_logged: bool,
}

impl NotificationListener {
    /// A listener on `channels` through `pool` (one connection is enough: see
    /// [`listener_pool`]); connects at the first [`NotificationListener::next`].
    pub fn new(pool: PgPool, channels: &[&str], backoff: Backoff, name: &'static str) -> Self {
        Self {
            pool,
            channels: channels.iter().map(|&c| c.to_owned()).collect(),
            backoff,
            name,
            listener: None,
            wait: None,
            connected_before: false,
            gap_logged: false,
        }
    }

    /// Connects now and fails if Postgres does not answer (a service that must not
    /// start without its notifications); later losses are reconnected as usual.
    pub async fn connect(&mut self) -> Result<(), sqlx::Error> {
        self.listener = Some(self.open().await?);
        self.connected_before = true;
        Ok(())
    }

    /// The next thing that happened; waits for it. Cancel-safe between events only
    /// as far as a notification being received is concerned: use it in a loop that
    /// stops for good when cancelled.
    pub async fn next(&mut self) -> ListenEvent {
        loop {
            if let Some(listener) = &mut self.listener {
                let lost = match listener.try_recv().await {
                    Ok(Some(notification)) => return ListenEvent::Notification(notification),
                    Ok(None) => "connection closed".to_owned(),
                    Err(error) => error.to_string(),
                };
                self.listener = None;
                self.wait = Some(self.backoff.min);
                self.gap_logged = true;
                tracing::warn!(reason = %lost, "{} lost its connection; reconnecting", self.name);
                return ListenEvent::Lost(lost);
            }
            if let Some(wait) = self.wait {
                tokio::time::sleep(wait).await;
            }
            match self.open().await {
                Ok(listener) => {
                    self.listener = Some(listener);
                    self.wait = None;
                    self.gap_logged = false;
                    let reconnected = std::mem::replace(&mut self.connected_before, true);
                    if reconnected {
                        tracing::info!("{} reconnected", self.name);
                    }
                    return ListenEvent::Connected { reconnected };
                }
                Err(error) => {
                    let wait = self
                        .wait
                        .map_or(self.backoff.min, |last| (last * 2).min(self.backoff.max));
                    if !self.gap_logged {
                        tracing::warn!(%error, retry_in = ?wait, "{} cannot connect; retrying", self.name);
                        self.gap_logged = true;
                    }
                    self.wait = Some(wait);
                }
            }
        }
    }

    async fn open(&self) -> Result<PgListener, sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        // Reconnection is ours (with backoff and a catch-up), not the driver's.
        listener.eager_reconnect(false);
        listener
            .listen_all(self.channels.iter().map(String::as_str))
            .await?;
        Ok(listener)
    }
}

/// A one-connection pool for a `LISTEN` connection, separate from the pool queries
/// use, so listening never holds one of their connections; `application_name` makes
/// it findable in `pg_stat_activity`.
pub fn listener_pool(pool: &PgPool, application_name: &str) -> PgPool {
    let options = (*pool.connect_options())
        .clone()
        .application_name(application_name);
    PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options)
}
