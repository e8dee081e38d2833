//! The specialists' queue as a task: owns the pure [`SpecialistQueue`], takes what
//! calls and consoles tell it, carries out its actions (offers and announcements to
//! call tasks, state changes to consoles) and keeps its timers.
//!
//! Calls reach it through their [`crate::call::QueueRequest`]s; the console through
//! a [`QueueHandle`]. One task for the whole service: a queue is one ordered list.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::call::{CallInput, OfferedSpecialist, QueueRequest};
use crate::console_events::{ConsoleEvent, ConsoleEvents};
use crate::directory::DirectoryCache;
use crate::pii::Pii;
use crate::queue::{QueueAction, QueueSettings, SpecialistQueue, SpecialistState};
use crate::routing::SpecialistId;

use super::call_task::TaskInput;

/// What a specialist asks for from the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeskRequest {
    /// Sign in (or come back from a pause): ready for calls.
    Ready,
    /// Stay signed in without taking calls.
    Paused,
    /// Stop working: no calls are offered.
    SignedOut,
}

/// Why the queue refused a console request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeskError {
    /// The specialist is not (or no longer) an active specialist of the directory.
    #[error("specialist #{0} is not an active specialist of the directory")]
    UnknownSpecialist(SpecialistId),
    /// The queue task is gone (the service is stopping).
    #[error("the specialists' queue is not running")]
    QueueStopped,
}

/// A waiting call as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingCallView {
    /// The call's id (the caller's channel id).
    pub call: String,
    /// 1 = next.
    pub position: usize,
    /// Line, number and topic.
    #[serde(flatten)]
    pub details: CallDetails,
    /// When it started waiting.
    pub waiting_since: DateTime<Utc>,
    /// Whether a specialist's phone rings for it now.
    pub being_offered: bool,
}

/// A specialist's state as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpecialistView {
    /// Directory id.
    pub id: i64,
    /// Full name.
    pub name: String,
    /// `signed_out`, `ready`, `paused`, `offered`, `on_call`, `wrap_up`.
    pub state: &'static str,
    /// Why paused (`requested`, `missed_offer`), when paused.
    pub pause_reason: Option<&'static str>,
    /// The call they are offered or on, if any.
    pub call: Option<String>,
    /// That call's line, number and topic, for the console's "my call" panel.
    pub call_details: Option<CallDetails>,
}

/// What the console shows of a call: waiting, or offered to or taken by a specialist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallDetails {
    /// The line called.
    pub line: String,
    /// The citizen's number.
    pub caller_number: Pii<String>,
    /// The topic's Russian name, if one was chosen.
    pub topic: Option<String>,
    /// The topic's code, if one was chosen.
    pub topic_code: Option<String>,
}

/// The queue as the console shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueView {
    /// Waiting calls, next first.
    pub waiting: Vec<WaitingCallView>,
    /// Every specialist of the directory who has signed in since the service started.
    pub specialists: Vec<SpecialistView>,
}

impl QueueView {
    /// Since when the longest-waiting call waits, if any call waits.
    pub fn oldest_waiting_since(&self) -> Option<DateTime<Utc>> {
        self.waiting.iter().map(|w| w.waiting_since).min()
    }

    /// How many specialists are in each state, every state of
    /// [`crate::metrics::SPECIALIST_STATES`] listed (0 when nobody is in it), for the
    /// wallboard and `/metrics`.
    pub fn specialists_by_state(&self) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> = crate::metrics::SPECIALIST_STATES
            .iter()
            .map(|state| (*state, 0))
            .collect();
        for specialist in &self.specialists {
            *counts.entry(specialist.state).or_default() += 1;
        }
        counts
    }
}

enum QueueMessage {
    FromCall {
        call: String,
        request: QueueRequest,
        inbox: mpsc::WeakUnboundedSender<TaskInput>,
    },
    Desk {
        specialist: SpecialistId,
        request: DeskRequest,
        reply: oneshot::Sender<Result<(), DeskError>>,
    },
    View {
        reply: oneshot::Sender<QueueView>,
    },
}

/// The way to the queue task; cheap to clone.
#[derive(Clone, Debug)]
pub struct QueueHandle {
    sender: mpsc::UnboundedSender<QueueMessage>,
}

impl std::fmt::Debug for QueueMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueueMessage")
    }
}

impl QueueHandle {
    /// Starts the queue task; it stops when every handle is dropped.
    pub fn start(
        directory: DirectoryCache,
        events: ConsoleEvents,
        settings: QueueSettings,
    ) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = QueueTask {
            queue: SpecialistQueue::new(settings),
            directory,
            events,
            calls: HashMap::new(),
        };
        tokio::spawn(task.run(receiver));
        Self { sender }
    }

    /// A specialist changes their state from the console.
    pub async fn set_desk(
        &self,
        specialist: SpecialistId,
        request: DeskRequest,
    ) -> Result<(), DeskError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(QueueMessage::Desk {
                specialist,
                request,
                reply,
            })
            .map_err(|_| DeskError::QueueStopped)?;
        answer.await.map_err(|_| DeskError::QueueStopped)?
    }

    /// The waiting calls and specialists' states, for the console.
    pub async fn view(&self) -> Result<QueueView, DeskError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(QueueMessage::View { reply })
            .map_err(|_| DeskError::QueueStopped)?;
        answer.await.map_err(|_| DeskError::QueueStopped)
    }

    /// A call's request; `inbox` is where the queue's offers for it go.
    pub(super) fn tell(
        &self,
        call: &str,
        request: QueueRequest,
        inbox: mpsc::WeakUnboundedSender<TaskInput>,
    ) {
        let message = QueueMessage::FromCall {
            call: call.to_owned(),
            request,
            inbox,
        };
        if self.sender.send(message).is_err() {
            tracing::warn!(call_id = call, "the specialists' queue is not running");
        }
    }
}

/// What the queue keeps about a waiting or answered call besides its place.
struct QueuedCall {
    /// Weak: a call task ends when the dispatcher lets go of it, queued or not.
    inbox: mpsc::WeakUnboundedSender<TaskInput>,
    details: CallDetails,
}

struct QueueTask {
    queue: SpecialistQueue,
    directory: DirectoryCache,
    events: ConsoleEvents,
    calls: HashMap<String, QueuedCall>,
}

impl QueueTask {
    async fn run(mut self, mut receiver: mpsc::UnboundedReceiver<QueueMessage>) {
        loop {
            let deadline = self.queue.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => {
                        tokio::time::sleep((at - Utc::now()).to_std().unwrap_or_default()).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = receiver.recv() => match message {
                    Some(message) => self.on_message(message),
                    None => break,
                },
                () = sleep => self.queue.handle_timeout(Utc::now()),
            }
            self.carry_out_actions();
        }
        tracing::debug!("specialists' queue stopped");
    }

    fn on_message(&mut self, message: QueueMessage) {
        let now = Utc::now();
        match message {
            QueueMessage::FromCall {
                call,
                request,
                inbox,
            } => {
                match request {
                    QueueRequest::Enqueue {
                        line,
                        caller_number,
                        topic,
                        topic_code,
                    } => {
                        let details = CallDetails {
                            line: line.0,
                            caller_number,
                            topic,
                            topic_code: topic_code.map(|t| t.0),
                        };
                        self.calls
                            .insert(call.clone(), QueuedCall { inbox, details });
                        self.queue.enqueue(now, &call);
                    }
                    QueueRequest::Leave => {
                        self.calls.remove(&call);
                        self.queue.leave(now, &call);
                    }
                    // Kept while the specialist is on it, for the console.
                    QueueRequest::OfferAnswered(id) => self.queue.offer_answered(now, &call, id),
                    QueueRequest::OfferFailed(id) => self.queue.offer_failed(now, &call, id),
                    QueueRequest::SpecialistFree(id) => {
                        self.calls.remove(&call);
                        self.queue.call_ended(now, id);
                    }
                }
                self.events.publish(ConsoleEvent::QueueChanged);
            }
            QueueMessage::Desk {
                specialist,
                request,
                reply,
            } => {
                let _ = reply.send(self.set_desk(now, specialist, request));
            }
            QueueMessage::View { reply } => {
                let _ = reply.send(self.view());
            }
        }
    }

    fn set_desk(
        &mut self,
        now: DateTime<Utc>,
        id: SpecialistId,
        request: DeskRequest,
    ) -> Result<(), DeskError> {
        let signed_in = !matches!(
            self.queue.state_of(id),
            None | Some(SpecialistState::SignedOut)
        );
        match request {
            DeskRequest::Ready if signed_in => self.queue.resume(now, id),
            DeskRequest::Ready | DeskRequest::Paused if !signed_in => {
                let directory = self.directory.current();
                let endpoint = directory
                    .specialists
                    .iter()
                    .find(|s| s.id == id && s.active)
                    .map(|s| s.endpoint.clone())
                    .ok_or(DeskError::UnknownSpecialist(id))?;
                self.queue.sign_in(now, id, endpoint);
                if request == DeskRequest::Paused {
                    self.queue.pause(now, id);
                }
            }
            DeskRequest::Paused => self.queue.pause(now, id),
            DeskRequest::SignedOut => self.queue.sign_out(now, id),
            DeskRequest::Ready => unreachable!("both cases matched above"),
        }
        Ok(())
    }

    fn carry_out_actions(&mut self) {
        while let Some(action) = self.queue.poll_action() {
            let (call, input) = match action {
                QueueAction::Offer { call, specialists } => {
                    let directory = self.directory.current();
                    let offered = specialists
                        .into_iter()
                        .map(|(id, endpoint)| OfferedSpecialist {
                            id,
                            name: specialist_name(&directory, id),
                            endpoint,
                        })
                        .collect();
                    (call, CallInput::QueueOffer(offered))
                }
                QueueAction::AnnouncePosition { call, position } => {
                    (call, CallInput::QueuePosition(position))
                }
                QueueAction::OfferCallback { call } => (call, CallInput::QueueCallbackOffer),
                QueueAction::NobodySignedIn { call } => {
                    let input = CallInput::QueueUnavailable;
                    if let Some(inbox) = self.calls.remove(&call).and_then(|q| q.inbox.upgrade()) {
                        let _ = inbox.send(TaskInput::Call(input));
                    }
                    continue;
                }
                QueueAction::StateChanged { specialist, state } => {
                    tracing::info!(%specialist, ?state, "specialist's state");
                    self.events.publish(ConsoleEvent::QueueChanged);
                    continue;
                }
            };
            let delivered = self
                .calls
                .get(&call)
                .and_then(|queued| queued.inbox.upgrade())
                .is_some_and(|inbox| inbox.send(TaskInput::Call(input)).is_ok());
            if !delivered {
                // The call's task is over: it is not waiting any more.
                self.calls.remove(&call);
                self.queue.leave(Utc::now(), &call);
            }
        }
    }

    fn details_of(&self, call: &str) -> Option<CallDetails> {
        self.calls.get(call).map(|queued| queued.details.clone())
    }

    fn view(&self) -> QueueView {
        let directory = self.directory.current();
        let waiting = self
            .queue
            .waiting_calls()
            .into_iter()
            .map(|w| WaitingCallView {
                position: w.position,
                details: self.details_of(&w.call).unwrap_or_default(),
                waiting_since: w.entered_at,
                being_offered: w.being_offered,
                call: w.call,
            })
            .collect();
        let specialists = self
            .queue
            .specialists()
            .map(|(id, state)| {
                let (word, pause_reason, call) = match state {
                    SpecialistState::SignedOut => ("signed_out", None, None),
                    SpecialistState::Ready { .. } => ("ready", None, None),
                    SpecialistState::Paused { reason } => (
                        "paused",
                        Some(match reason {
                            crate::queue::PauseReason::Requested => "requested",
                            crate::queue::PauseReason::MissedOffer => "missed_offer",
                        }),
                        None,
                    ),
                    SpecialistState::Offered { call, .. } => ("offered", None, Some(call.clone())),
                    SpecialistState::OnCall { call } => ("on_call", None, Some(call.clone())),
                    SpecialistState::WrapUp { .. } => ("wrap_up", None, None),
                };
                let call_details = call.as_deref().and_then(|c| self.details_of(c));
                SpecialistView {
                    id: id.0,
                    call_details,
                    name: specialist_name(&directory, id),
                    state: word,
                    pause_reason,
                    call,
                }
            })
            .collect();
        QueueView {
            waiting,
            specialists,
        }
    }
}

/// A specialist's full name from the directory (empty if they were removed).
fn specialist_name(directory: &crate::routing::DirectorySnapshot, id: SpecialistId) -> String {
    directory
        .specialists
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.full_name.clone())
        .unwrap_or_default()
}
