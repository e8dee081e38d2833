//! Live updates for the console over HTTP: the typed [`ConsoleEvent`]s of
//! [`crate::console_events`] delivered to browsers as Server-Sent Events by
//! `GET /api/events`, each only to the users allowed to see it
//! ([`ConsoleEvent::audience`]).
//!
//! The event type and its channel live outside `http/`, so the driver (the queue
//! task) publishes without depending on this adapter; they are re-exported here. Two
//! sources of this adapter feed the channel too ([`start_event_sources`]):
//!
//! - the database's `appeal_changed` notifications (so appeals written by another
//!   instance or in psql show up too), on a connection of their own that is
//!   re-established with backoff; after a reconnect a [`ConsoleEvent::Resync`] tells
//!   browsers to reload, as notifications sent meanwhile are lost;
//! - the directory cache's change signal ([`ConsoleEvent::DirectoryChanged`]).
//!
//! Events are hints, never the data itself: a browser that receives one reloads what
//! it shows through the ordinary, authorised endpoints. So a slow browser that misses
//! events (the channel keeps the last [`CAPACITY`]) only needs a `resync`, which it
//! gets.

use std::convert::Infallible;
use std::time::Duration;

use crate::directory::listener::{Backoff, ListenEvent, NotificationListener, listener_pool};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use crate::console_events::{Audience, CAPACITY, ConsoleEvent, ConsoleEvents};

use super::HttpState;
use super::auth::CurrentUser;
use super::error::HttpError;
use super::sessions::{SESSION_CLOSED_CHANNEL, SessionSignal, SessionSignals};
use crate::directory::DirectoryCache;
use crate::routing::OrganisationCode;

/// The channel the schema's `appeal_notify` trigger notifies on.
pub const APPEAL_CHANNEL: &str = "appeal_changed";

/// The `application_name` of the listener's connection, for `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "hotline-console-listener";

/// The notification payload of `appeal_notify()`.
#[derive(Debug, Deserialize)]
struct AppealNotification {
    op: String,
    id: i64,
    organisation: Option<String>,
    status: String,
}

impl AppealNotification {
    /// The event it means. A row without an organisation is the contact center's
    /// own (a callback request left in the queue without a topic).
    fn into_event(self) -> Option<ConsoleEvent> {
        let id = self.id;
        let Some(organisation) = self.organisation.map(OrganisationCode) else {
            return Some(ConsoleEvent::ContactCenterAppealChanged { id });
        };
        Some(match (self.op.as_str(), self.status.as_str()) {
            ("insert", _) => ConsoleEvent::AppealCreated { id, organisation },
            (_, "done") => ConsoleEvent::AppealDone { id, organisation },
            _ => ConsoleEvent::AppealChanged { id, organisation },
        })
    }
}

/// Starts feeding the state's `events` from the database and the directory cache,
/// its `sessions` from the database, and sweeping ended sessions, until `shutdown`.
/// Returns once the listener is connected and listening, so an appeal written or a
/// session ended after this returns is certain to be announced.
pub async fn start_event_sources(state: &HttpState) -> Result<JoinHandle<()>, sqlx::Error> {
    let listen_pool = listener_pool(&state.pool, LISTENER_APPLICATION_NAME);
    let mut listener = NotificationListener::new(
        listen_pool.clone(),
        &[APPEAL_CHANNEL, SESSION_CLOSED_CHANNEL],
        Backoff {
            min: Duration::from_millis(250),
            max: Duration::from_secs(30),
        },
        "console listener",
    );
    listener.connect().await?;
    let sinks = Sinks {
        events: state.events.clone(),
        sessions: state.sessions.clone(),
    };
    let notifications = tokio::spawn(forward_database(
        listener,
        listen_pool,
        sinks,
        state.shutdown.clone(),
    ));
    let directory_task = tokio::spawn(forward_directory_changes(
        state.directory.clone(),
        state.events.clone(),
        state.shutdown.clone(),
    ));
    let sweep = tokio::spawn(super::sessions::sweep(
        state.pool.clone(),
        state.options.session_idle,
        state.shutdown.clone(),
    ));
    Ok(tokio::spawn(async move {
        let _ = tokio::join!(notifications, directory_task, sweep);
    }))
}

/// Where notifications go.
struct Sinks {
    events: ConsoleEvents,
    sessions: SessionSignals,
}

/// Turns notifications into events and session signals until `shutdown`; after a
/// reconnection publishes [`ConsoleEvent::Resync`] and [`SessionSignal::Recheck`]
/// for what it missed.
async fn forward_database(
    mut listener: NotificationListener,
    pool: PgPool,
    sinks: Sinks,
    shutdown: CancellationToken,
) {
    while let Some(event) = shutdown.run_until_cancelled(listener.next()).await {
        match event {
            ListenEvent::Connected { reconnected: true } => {
                sinks.events.publish(ConsoleEvent::Resync);
                sinks.sessions.publish(SessionSignal::Recheck);
            }
            ListenEvent::Connected { .. } | ListenEvent::Lost(_) => {}
            ListenEvent::Notification(notification)
                if notification.channel() == SESSION_CLOSED_CHANNEL =>
            {
                sinks
                    .sessions
                    .publish(SessionSignal::Closed(notification.payload().to_owned()));
            }
            ListenEvent::Notification(notification) => {
                match serde_json::from_str::<AppealNotification>(notification.payload()) {
                    Ok(parsed) => {
                        if let Some(event) = parsed.into_event() {
                            sinks.events.publish(event);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, payload = notification.payload(), "unreadable appeal notification")
                    }
                }
            }
        }
    }
    // The listener (and the pool's only connection) is dropped before the pool closes.
    drop(listener);
    pool.close().await;
}

/// Announces every new directory snapshot.
async fn forward_directory_changes(
    directory: DirectoryCache,
    events: ConsoleEvents,
    shutdown: CancellationToken,
) {
    let mut changes = directory.subscribe();
    changes.mark_unchanged();
    while let Some(Ok(())) = shutdown.run_until_cancelled(changes.changed()).await {
        events.publish(ConsoleEvent::DirectoryChanged);
    }
}

/// How often an idle stream sends a comment, so proxies keep it open and a dead
/// browser is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /api/events`: Server-Sent Events for this user. The first event is `ready`;
/// then every event the user may see, by its [`ConsoleEvent::name`], with the event
/// as JSON data. The stream ends when the session expires or the service stops; the
/// browser's `EventSource` reconnects by itself (and gets 401 once signed out).
pub async fn stream(
    State(state): State<HttpState>,
    user: CurrentUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    user.require_signed_in()?;
    let receiver = state.events.subscribe();
    let sessions = state.sessions.subscribe();
    let remaining = (user.session_expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    let deadline = tokio::time::Instant::now() + remaining;
    let ready = Event::default()
        .event("ready")
        .data(serde_json::json!({ "login": user.user.login }).to_string());
    let feed = Feed {
        receiver,
        sessions,
        state,
        user,
        deadline,
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    let stream = futures_util::StreamExt::chain(futures_util::stream::iter([Ok(ready)]), events);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One browser's subscription.
struct Feed {
    /// Every published event.
    receiver: broadcast::Receiver<ConsoleEvent>,
    /// Ended sessions: this stream's among them ends it.
    sessions: broadcast::Receiver<SessionSignal>,
    /// For the shutdown token and the directory (organisation hierarchy).
    state: HttpState,
    /// Whose stream: decides which events pass.
    user: CurrentUser,
    /// The session's end.
    deadline: tokio::time::Instant,
}

impl Feed {
    /// The next event this user may see; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                signal = self.sessions.recv() => {
                    if self.session_ended(signal).await {
                        tracing::debug!(login = %self.user.user.login, "event stream closed with its session");
                        return None;
                    }
                    continue;
                }
                () = self.state.shutdown.cancelled() => return None,
                () = tokio::time::sleep_until(self.deadline) => return None,
            };
            let event = match received {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => ConsoleEvent::Resync,
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            if self.admits(&event) {
                let data = serde_json::to_string(&event).unwrap_or_default();
                return Some(Event::default().event(event.name()).data(data));
            }
        }
    }

    /// Whether `signal` ends this stream's session. Missed signals (lagged) and a
    /// reconnected listener make it ask the database; so does a database error
    /// (which ends the stream: the browser reconnects and is asked to sign in if
    /// need be).
    async fn session_ended(
        &self,
        signal: Result<SessionSignal, broadcast::error::RecvError>,
    ) -> bool {
        match signal {
            Ok(SessionSignal::Closed(id)) => id == self.user.session_id,
            Ok(SessionSignal::Recheck) | Err(broadcast::error::RecvError::Lagged(_)) => !matches!(
                super::accounts::session_exists(&self.state.pool, &self.user.session_id).await,
                Ok(true)
            ),
            // Cannot happen while the state holds the sender; ending beats spinning.
            Err(broadcast::error::RecvError::Closed) => true,
        }
    }

    /// Whether this user may receive `event`.
    fn admits(&self, event: &ConsoleEvent) -> bool {
        match event.audience() {
            Audience::Everyone => true,
            Audience::ContactCenter => self.user.is_contact_center(),
            Audience::AppealsOf(organisation) => self
                .user
                .appeal_scope(&self.state.directory.current())
                .includes(&organisation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_become_events() {
        let parse = |payload: &str| {
            serde_json::from_str::<AppealNotification>(payload)
                .unwrap()
                .into_event()
        };
        let minzdrav = OrganisationCode("minzdrav".to_owned());
        assert_eq!(
            parse(r#"{"op":"insert","id":7,"organisation":"minzdrav","status":"new"}"#),
            Some(ConsoleEvent::AppealCreated {
                id: 7,
                organisation: minzdrav.clone()
            })
        );
        assert_eq!(
            parse(r#"{"op":"update","id":7,"organisation":"minzdrav","status":"done"}"#),
            Some(ConsoleEvent::AppealDone {
                id: 7,
                organisation: minzdrav
            })
        );
        // The contact center's own appeal (a callback left in the queue, no topic).
        assert_eq!(
            parse(r#"{"op":"insert","id":8,"organisation":null,"status":"new"}"#),
            Some(ConsoleEvent::ContactCenterAppealChanged { id: 8 })
        );
        assert_eq!(
            ConsoleEvent::ContactCenterAppealChanged { id: 8 }.audience(),
            Audience::ContactCenter
        );
    }

    #[test]
    fn events_serialise_with_their_type() {
        let event = ConsoleEvent::AppealCreated {
            id: 3,
            organisation: OrganisationCode("okb".to_owned()),
        };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"type":"appeal_created","id":3,"organisation":"okb"}"#
        );
        assert_eq!(event.name(), "appeal_created");
    }
}
