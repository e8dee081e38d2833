//! The `hotline` Stasis application: the driver that connects Asterisk's events to
//! one [`Call`](crate::call::Call) state machine per citizen, and their commands back
//! to Asterisk.
//!
//! - [`translate`]: pure mapping of ARI events to the call they concern.
//! - `call_task`: one task per call, running its state machine against ARI.
//! - [`EventRouter`]: on the event socket's own task, hands each event for a
//!   running call straight to that call; the rest goes to the dispatcher.
//! - [`StasisApp::run`]: the dispatcher: starts calls, handles events for no running
//!   call, resyncs after a reconnection, drains calls at shutdown.

pub mod admission;
mod call_task;
mod orphan;
mod queue_task;
pub mod translate;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::ari::{AriClient, AriMessage, AriRequest, EventSink};
use crate::call::{
    Call, CallInput, CallSettings, CallStart, ChannelId, TransferRefused, TransferRequest,
};
use crate::directory::DirectoryCache;
use crate::journal::{Journal, JournalRecord, RecordKind};
use crate::pii::Pii;
use crate::routing::{CallHistory, DirectorySnapshot, LastCalls, LineNumber, StaffId};

use admission::{Admission, Verdict};
use call_task::{TaskInput, run_call};
pub use queue_task::{
    CallDetails, DeskError, DeskRequest, QueueHandle, QueueView, SpecialistView, WaitingCallView,
};
use translate::{Routed, is_leg, route_event};

/// The clock routing decisions are taken by. Real time, optionally shifted so tests
/// and demos can play "Tuesday 10:00" or "Saturday night" without waiting for it.
#[derive(Clone, Copy, Debug, Default)]
pub struct RoutingClock {
    /// Added to the real time.
    pub offset: chrono::Duration,
}

impl RoutingClock {
    /// A clock that reads `pretend` right now and runs on from there.
    pub fn starting_at(pretend: DateTime<Utc>) -> Self {
        Self {
            offset: pretend - Utc::now(),
        }
    }

    /// The instant decisions are taken at.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// When each staff member was last dialled, for least-recently-called hunting.
/// Seeded from the journal at start, updated as calls dial; one book for the Stasis
/// app and the AGI endpoint.
#[derive(Debug, Default)]
pub struct CallRecencyBook {
    history: Mutex<CallHistory>,
}

impl CallRecencyBook {
    /// A book seeded with known last-call instants.
    pub fn new(seed: LastCalls) -> Self {
        Self {
            history: Mutex::new(CallHistory::new(seed)),
        }
    }

    /// Notes that `staff` was dialled at `at`.
    pub fn called(&self, staff: StaffId, at: DateTime<Utc>) {
        self.lock().called(staff, at);
    }

    /// Runs `decide` with the book, following `snapshot` (the history keeps each
    /// topic's least-recent order for the snapshot decisions are made on). A decision
    /// takes microseconds, so it reads the book under its lock instead of copying it.
    pub fn with<R>(
        &self,
        snapshot: &DirectorySnapshot,
        decide: impl FnOnce(&CallHistory) -> R,
    ) -> R {
        let mut history = self.lock();
        history.follow(snapshot);
        decide(&history)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CallHistory> {
        self.history.lock().expect("recency lock")
    }
}

/// Everything a call task needs, shared.
pub struct AppContext {
    /// ARI REST.
    pub ari: AriClient,
    /// The directory snapshot, kept fresh.
    pub directory: DirectoryCache,
    /// Where calls are recorded.
    pub journal: Journal,
    /// The routing clock.
    pub clock: RoutingClock,
    /// Last-call instants, the same book the AGI endpoint keeps (a person rung by
    /// either path was rung).
    pub recency: Arc<CallRecencyBook>,
    /// Call flow tunables.
    pub call_settings: CallSettings,
    /// The specialists' queue (shared with the console).
    pub queue: QueueHandle,
    /// New calls go to the dialplan fallback while ARI round trips take longer
    /// than this (see [`admission`]); `None` takes every call.
    pub shed_above: Option<std::time::Duration>,
}

/// Why the console could not act on a call.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallControlError {
    /// No call with this id is in progress here.
    #[error("no such call in progress")]
    NoSuchCall,
    /// The call refused (see [`TransferRefused`]).
    #[error(transparent)]
    Refused(#[from] TransferRefused),
    /// The Stasis app is not running (stopping, or not started).
    #[error("the call handling is not running")]
    Stopped,
}

/// What the console asks a call to do.
#[derive(Debug)]
enum ConsoleAction {
    Transfer(TransferRequest),
    CompleteConsultation,
    CancelConsultation,
}

struct ControlMessage {
    call: String,
    action: ConsoleAction,
    reply: oneshot::Sender<Result<(), CallControlError>>,
}

/// The console's way to act on calls in progress (transfers); cheap to clone.
#[derive(Clone)]
pub struct CallControl {
    sender: mpsc::UnboundedSender<ControlMessage>,
}

/// The Stasis app's end of [`CallControl`].
pub struct CallControlInbox(mpsc::UnboundedReceiver<ControlMessage>);

impl CallControl {
    /// A control handle and the inbox to give the [`StasisApp`].
    pub fn new() -> (Self, CallControlInbox) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, CallControlInbox(receiver))
    }

    /// Asks `call` to transfer its caller; answers once the call accepted or refused.
    pub async fn transfer(
        &self,
        call: &str,
        request: TransferRequest,
    ) -> Result<(), CallControlError> {
        self.ask(call, ConsoleAction::Transfer(request)).await
    }

    /// Ends the consultation of `call`: `complete` hands the caller to the staff
    /// member, otherwise the specialist keeps the caller.
    pub async fn end_consultation(
        &self,
        call: &str,
        complete: bool,
    ) -> Result<(), CallControlError> {
        let action = if complete {
            ConsoleAction::CompleteConsultation
        } else {
            ConsoleAction::CancelConsultation
        };
        self.ask(call, action).await
    }

    async fn ask(&self, call: &str, action: ConsoleAction) -> Result<(), CallControlError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(ControlMessage {
                call: call.to_owned(),
                action,
                reply,
            })
            .map_err(|_| CallControlError::Stopped)?;
        answer.await.map_err(|_| CallControlError::Stopped)?
    }
}

/// The requests that send the caller back to the dialplan after `Stasis()`, marked so
/// that it goes on to the specialists' fallback (`HOTLINE_FALLBACK=1`, see
/// `extensions.conf`), each with what it does, for logs.
fn fallback_requests(caller: &str) -> [(AriRequest, &'static str); 2] {
    [
        (
            AriRequest::set_variable(caller, "HOTLINE_FALLBACK", "1"),
            "marking the caller for the dialplan fallback",
        ),
        (
            AriRequest::continue_in_dialplan(caller),
            "handing the caller to the dialplan",
        ),
    ]
}

/// Sends the caller to the dialplan fallback and waits until Asterisk has it.
async fn hand_to_fallback(ari: &AriClient, caller: &str) {
    for (request, what) in fallback_requests(caller) {
        if let Err(error) = ari.perform(caller, request).await {
            tracing::warn!(%error, call_id = %caller, "{what} failed");
        }
    }
    ari.release_order_key(caller);
}

/// Hangs up, aside, a leg that entered Stasis for a call that is over: otherwise it
/// would stay there, `Down`, for ever.
fn hang_up_stray_leg(ari: &AriClient, leg: ChannelId) {
    tracing::info!(leg = %leg, "hanging up a leg created for no current call");
    let ari = ari.clone();
    tokio::spawn(async move {
        if let Err(error) = ari.hangup(&leg.0, "normal").await {
            tracing::warn!(%error, leg = %leg, "could not hang up a stray leg");
        }
    });
}

/// The running calls' inboxes by call key, shared by the [`EventRouter`] (which
/// adds a call when its `StasisStart` comes) and the dispatcher (which starts its
/// task, and removes it when the task ends).
type CallInboxes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<TaskInput>>>>;

/// What the router hands the dispatcher.
enum Dispatch {
    /// A citizen's call entered the app; its inbox is already taking its events.
    NewCall {
        caller: String,
        line: String,
        caller_number: String,
        inbox: mpsc::UnboundedReceiver<TaskInput>,
    },
    /// An event for no running call, or about a bridge.
    Event(Routed),
    /// The socket connected or dropped (rare: boxed).
    Connection(Box<AriMessage>),
}

/// Routes the event socket's messages on the socket's own task. An event for a
/// running call goes straight into the call's inbox, in the order Asterisk sent
/// it, with no hop through the dispatcher; a new call gets its inbox here, before
/// any of its later events can arrive.
pub struct EventRouter {
    calls: CallInboxes,
    dispatcher: mpsc::UnboundedSender<Dispatch>,
}

impl EventSink for EventRouter {
    fn deliver(&mut self, message: AriMessage) -> bool {
        let event = match message {
            AriMessage::Event(event) => event,
            other => return self.dispatch(Dispatch::Connection(Box::new(other))),
        };
        let dispatch = match route_event(event) {
            // No such call running (or its task has just ended): the dispatcher
            // handles it (a late leg is hung up).
            Routed::ToCall { call_key, input } => {
                match try_deliver(&self.calls, &call_key, input) {
                    None => return true,
                    Some(input) => Dispatch::Event(Routed::ToCall { call_key, input }),
                }
            }
            Routed::NewCall {
                caller,
                line,
                caller_number,
            } => {
                let Some(inbox) = open_inbox(&mut lock(&self.calls), &caller) else {
                    return true;
                };
                Dispatch::NewCall {
                    caller,
                    line,
                    caller_number,
                    inbox,
                }
            }
            Routed::Ignore => return true,
            routed @ Routed::LeftBridge { .. } => Dispatch::Event(routed),
        };
        self.dispatch(dispatch)
    }

    fn is_closed(&self) -> bool {
        self.dispatcher.is_closed()
    }
}

impl EventRouter {
    fn dispatch(&self, dispatch: Dispatch) -> bool {
        self.dispatcher.send(dispatch).is_ok()
    }
}

/// Puts `input` into the inbox of call `key`; gives it back when no such call runs
/// (or its task has just ended and takes no more inputs).
fn try_deliver(calls: &CallInboxes, key: &str, input: CallInput) -> Option<CallInput> {
    let calls = lock(calls);
    let Some(task) = calls.get(key) else {
        return Some(input);
    };
    match task.send(TaskInput::Call(input)) {
        Ok(()) => None,
        Err(mpsc::error::SendError(TaskInput::Call(input))) => Some(input),
        Err(_) => None,
    }
}

/// Opens the inbox of call `caller`; `None` when it has one already.
fn open_inbox(
    calls: &mut HashMap<String, mpsc::UnboundedSender<TaskInput>>,
    caller: &str,
) -> Option<mpsc::UnboundedReceiver<TaskInput>> {
    if calls.contains_key(caller) {
        return None;
    }
    let (tx, inbox) = mpsc::unbounded_channel();
    calls.insert(caller.to_owned(), tx);
    Some(inbox)
}

fn lock(
    calls: &CallInboxes,
) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<TaskInput>>> {
    calls
        .lock()
        .expect("the call inboxes lock is never poisoned")
}

/// The Stasis app's dispatcher.
pub struct StasisApp {
    context: Arc<AppContext>,
    control: mpsc::UnboundedReceiver<ControlMessage>,
    /// What the router could not hand to a call itself.
    events: mpsc::UnboundedReceiver<Dispatch>,
    calls: CallInboxes,
    done_tx: mpsc::UnboundedSender<String>,
    done_rx: mpsc::UnboundedReceiver<String>,
    /// Calls that ended lately, oldest first, with when.
    recently_done: VecDeque<(String, tokio::time::Instant)>,
    /// The same keys, for look-ups.
    recently_done_keys: HashSet<String>,
    /// Whether new calls are taken or shed.
    admission: Admission,
}

/// How long an ended call's key is remembered (see [`StasisApp::call_done`]).
const RECENTLY_DONE: std::time::Duration = std::time::Duration::from_secs(60);

impl StasisApp {
    /// A dispatcher over the shared context, and the router to give the event
    /// socket ([`crate::ari::run_events`]).
    pub fn new(context: Arc<AppContext>, control: CallControlInbox) -> (Self, EventRouter) {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let (dispatcher, events) = mpsc::unbounded_channel();
        let calls = CallInboxes::default();
        let router = EventRouter {
            calls: calls.clone(),
            dispatcher,
        };
        let app = Self {
            admission: Admission::new(context.shed_above),
            context,
            control: control.0,
            events,
            calls,
            done_tx,
            done_rx,
            recently_done: VecDeque::new(),
            recently_done_keys: HashSet::new(),
        };
        (app, router)
    }

    /// Runs until `shutdown` is cancelled, then stops taking calls (new ones go back to
    /// the dialplan fallback), lets calls in progress finish for up to `drain`, and
    /// hands the rest back to the dialplan.
    pub async fn run(mut self, shutdown: CancellationToken, drain: std::time::Duration) {
        loop {
            tokio::select! {
                message = self.events.recv() => match message {
                    Some(message) => self.on_message(message, false).await,
                    None => break,
                },
                Some(key) = self.done_rx.recv() => self.call_done(key),
                Some(message) = self.control.recv() => self.on_control(message),
                () = shutdown.cancelled() => break,
            }
        }
        self.drain(drain).await;
    }

    async fn drain(&mut self, drain: std::time::Duration) {
        tracing::info!(
            calls = lock(&self.calls).len(),
            "shutting down: no new calls"
        );
        let deadline = tokio::time::Instant::now() + drain;
        while !lock(&self.calls).is_empty() {
            tokio::select! {
                message = self.events.recv() => match message {
                    Some(message) => self.on_message(message, true).await,
                    None => break,
                },
                Some(key) = self.done_rx.recv() => self.call_done(key),
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        // Dropping the senders makes each remaining task hand its caller back.
        let remaining = {
            let mut calls = lock(&self.calls);
            let remaining = calls.len();
            calls.clear();
            remaining
        };
        let handed_back = async {
            for _ in 0..remaining {
                if self.done_rx.recv().await.is_none() {
                    break;
                }
            }
        };
        if tokio::time::timeout(std::time::Duration::from_secs(10), handed_back)
            .await
            .is_err()
        {
            tracing::warn!("some calls did not finish handing back in time");
        }
        tracing::info!(handed_back = remaining, "Stasis app stopped");
    }

    async fn on_message(&mut self, message: Dispatch, closing: bool) {
        match message {
            Dispatch::NewCall {
                caller,
                line,
                caller_number,
                inbox,
            } => {
                if closing {
                    self.forget(&caller);
                    self.hand_to_dialplan(caller, line, caller_number);
                    return;
                }
                match self.admission.decide(self.context.ari.recent_latency()) {
                    Verdict::Shed { latency } => {
                        tracing::warn!(
                            call_id = %caller,
                            latency_ms = latency.as_millis(),
                            "Asterisk is overloaded: new call handed to the dialplan fallback"
                        );
                        self.forget(&caller);
                        self.hand_to_dialplan(caller, line, caller_number);
                    }
                    Verdict::Admit => self.start_call(caller, line, caller_number, Some(inbox)),
                }
            }
            Dispatch::Event(Routed::ToCall { call_key, input }) => self.deliver(&call_key, input),
            Dispatch::Event(Routed::LeftBridge { bridge, remaining }) => {
                if !self.is_known_call(translate::call_key_of(&bridge)) {
                    self.clean_up_orphan_bridge(&bridge, &remaining).await;
                }
            }
            Dispatch::Event(Routed::NewCall { .. } | Routed::Ignore) => {}
            // Also at the first connection: a previous instance may have left callers
            // in Stasis, legs ringing or bridges behind.
            Dispatch::Connection(message) => match *message {
                AriMessage::Connected { .. } => self.resync().await,
                AriMessage::Disconnected { reason } => {
                    let calls = lock(&self.calls).len();
                    tracing::warn!(%reason, calls, "event socket lost; calls continue");
                }
                AriMessage::Event(_) => {}
            },
        }
    }

    /// A call that will not run here (shed, or shutting down): its inbox goes.
    fn forget(&self, caller: &str) {
        lock(&self.calls).remove(caller);
    }

    /// Hands a console request to its call; a call that is not (or no longer)
    /// running answers "no such call".
    fn on_control(&mut self, message: ControlMessage) {
        let ControlMessage {
            call,
            action,
            reply,
        } = message;
        let input = TaskInput::Console { action, reply };
        let undelivered = match lock(&self.calls).get(&call) {
            Some(task) => task.send(input).err().map(|e| e.0),
            None => Some(input),
        };
        if let Some(TaskInput::Console { reply, .. }) = undelivered {
            let _ = reply.send(Err(CallControlError::NoSuchCall));
        }
    }

    /// A call task ended. Its key is remembered for a while: Asterisk's last events
    /// about its bridge and legs still arrive, and must not look like orphans.
    fn call_done(&mut self, key: String) {
        lock(&self.calls).remove(&key);
        let now = tokio::time::Instant::now();
        while self
            .recently_done
            .front()
            .is_some_and(|(_, at)| now.duration_since(*at) > RECENTLY_DONE)
        {
            if let Some((old, _)) = self.recently_done.pop_front() {
                self.recently_done_keys.remove(&old);
            }
        }
        self.recently_done_keys.insert(key.clone());
        self.recently_done.push_back((key, now));
    }

    /// Whether a call with this key is running or ended moments ago.
    fn is_known_call(&self, key: &str) -> bool {
        lock(&self.calls).contains_key(key) || self.recently_done_keys.contains(key)
    }

    fn deliver(&mut self, key: &str, input: CallInput) {
        // A task that has just ended no longer takes inputs, even before its `done`
        // reaches us: what it would have got is handled here as for no call.
        match try_deliver(&self.calls, key, input) {
            // A leg created late for a call that is over (its create timed out on
            // our side): nobody will ever dial or hang it up but us.
            Some(CallInput::LegReady(leg)) => hang_up_stray_leg(&self.context.ari, leg),
            Some(input) => tracing::trace!(call_id = key, ?input, "event for no current call"),
            None => {}
        }
    }

    /// Starts the call's task. `inbox` is the one the router made when the call
    /// entered; a caller adopted at resync gets a new one.
    fn start_call(
        &mut self,
        caller: String,
        line: String,
        caller_number: String,
        inbox: Option<mpsc::UnboundedReceiver<TaskInput>>,
    ) {
        let (sender, inputs) = {
            let mut calls = lock(&self.calls);
            let Some(inputs) = inbox.or_else(|| open_inbox(&mut calls, &caller)) else {
                return;
            };
            let Some(sender) = calls.get(&caller) else {
                return;
            };
            (sender.downgrade(), inputs)
        };
        let snapshot = self.context.directory.current();
        let line = LineNumber(line);
        let (menu_prompt, greeting_prompt, digit_timeout_seconds, menu_attempts) =
            match snapshot.lines.get(&line) {
                Some(l) => (
                    l.menu_prompt.clone(),
                    l.greeting_prompt.clone(),
                    l.digit_timeout_seconds,
                    l.menu_attempts,
                ),
                // A line missing from the directory still gets an answer: after one
                // menu the policy routes it to specialists (unknown line).
                None => ("hotline/menu-122".to_owned(), None, 3, 1),
            };
        tracing::info!(call_id = %caller, %line, caller = %Pii(&caller_number), "call entered");
        let start = CallStart {
            caller: ChannelId(caller.clone()),
            line,
            caller_number,
            menu_prompt,
            greeting_prompt,
            digit_timeout_seconds,
            menu_attempts,
        };
        let call = Call::new(start, self.context.call_settings.clone(), Utc::now());
        tokio::spawn(run_call(
            call,
            sender,
            inputs,
            self.context.clone(),
            self.done_tx.clone(),
        ));
    }

    /// Shutting down or overloaded: the caller goes straight to the dialplan
    /// fallback (the specialists), and the journal says so. Done aside, so the
    /// dispatcher never waits for Asterisk.
    fn hand_to_dialplan(&self, caller: String, line: String, caller_number: String) {
        let context = self.context.clone();
        context.journal.record(JournalRecord {
            call_key: caller.clone(),
            kind: RecordKind::Started {
                via: crate::journal::Via::Ari,
                line,
                caller_number,
                at: Utc::now(),
            },
        });
        tokio::spawn(async move {
            hand_to_fallback(&context.ari, &caller).await;
            context.journal.record(JournalRecord {
                call_key: caller,
                kind: RecordKind::Ended {
                    outcome: "handed_to_dialplan".to_owned(),
                    at: Utc::now(),
                },
            });
        });
    }

    /// After a reconnection: tell calls which channels survived, adopt citizens left
    /// in Stasis that no call owns, and clean up orphan legs and bridges.
    async fn resync(&mut self) {
        let ari = self.context.ari.clone();
        let (app, channels, bridges) =
            match tokio::try_join!(ari.application(), ari.list_channels(), ari.list_bridges()) {
                Ok(found) => found,
                Err(error) => {
                    tracing::error!(%error, "resync failed; calls keep their last known state");
                    return;
                }
            };
        let ours: HashSet<String> = app.channel_ids.into_iter().collect();
        // Every channel Asterisk has: a leg we named is ours whatever the app's
        // subscriptions say at this instant (just after a reconnection they can lag).
        let alive = Arc::new(
            channels
                .iter()
                .map(|c| c.id.clone())
                .collect::<HashSet<_>>(),
        );
        for task in lock(&self.calls).values() {
            let _ = task.send(TaskInput::Resync(alive.clone()));
        }
        // Callers and callees still talking in a bridge of a previous instance (left
        // bridged at its shutdown) are not disturbed.
        let talking: HashSet<&String> = bridges
            .iter()
            .filter(|b| b.id.ends_with("-bridge") && b.channels.len() > 1)
            .flat_map(|b| &b.channels)
            .collect();
        // Legs first: a caller adopted below starts a fresh call that does not own
        // the legs its previous instance dialled, and must not hide them from this
        // clean-up (Asterisk lists channels in no particular order).
        let (legs, callers): (Vec<_>, Vec<_>) = channels
            .into_iter()
            .filter(|c| ours.contains(&c.id) || is_leg(&c.id))
            .filter(|c| {
                !self.is_known_call(translate::call_key_of(&c.id)) && !talking.contains(&c.id)
            })
            .partition(|c| is_leg(&c.id));
        for channel in legs {
            let key = translate::call_key_of(&channel.id).to_owned();
            tracing::info!(leg = %channel.id, "hanging up an orphan leg");
            let _ = ari.hangup(&channel.id, "normal").await;
            // The instance that lost it may have crashed before its attempt
            // reached the journal: record it (once) and close it.
            let directory = self.context.directory.current();
            for kind in orphan::orphan_leg_records(&directory, &channel, Utc::now()) {
                self.context.journal.record(JournalRecord {
                    call_key: key.clone(),
                    kind,
                });
            }
        }
        for channel in callers {
            tracing::info!(call_id = %channel.id, "adopting a caller left in Stasis");
            self.context.journal.record(JournalRecord {
                call_key: channel.id.clone(),
                kind: RecordKind::OpenAttemptsCancelled { at: Utc::now() },
            });
            let line = channel.dialplan.exten.clone();
            self.start_call(channel.id, line, channel.caller.number, None);
        }
        for bridge in bridges {
            let key = translate::call_key_of(&bridge.id);
            if bridge.id.ends_with("-bridge")
                && !self.is_known_call(key)
                && bridge.channels.len() < 2
            {
                self.clean_up_orphan_bridge(&bridge.id, &bridge.channels)
                    .await;
            }
        }
    }

    /// A bridge no call owns lost a party (a conversation left bridged by a previous
    /// instance ended): hang up whoever is left and destroy it.
    async fn clean_up_orphan_bridge(&self, bridge: &str, remaining: &[String]) {
        tracing::info!(bridge, "cleaning up an orphan bridge");
        let ari = &self.context.ari;
        for channel in remaining {
            let _ = ari.hangup(channel, "normal").await;
        }
        let _ = ari.destroy_bridge(bridge).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::tests::{at, directory};
    use crate::routing::{MenuChoice, RouteRequest, decide};

    #[test]
    fn the_router_hands_a_running_calls_events_straight_to_it_and_the_rest_to_the_dispatcher() {
        use translate::tests::{channel, event};
        let (dispatcher, mut dispatched) = mpsc::unbounded_channel();
        let calls = CallInboxes::default();
        let mut router = EventRouter {
            calls: calls.clone(),
            dispatcher,
        };
        let start = |id: &str| {
            let body = format!(r#""args":["line=122"],"channel":{}"#, channel(id, "Ring"));
            AriMessage::Event(event("StasisStart", &body))
        };
        let digit = |id: &str| {
            let body = format!(r#""digit":"1","channel":{}"#, channel(id, "Up"));
            AriMessage::Event(event("ChannelDtmfReceived", &body))
        };

        // A new call: its inbox exists before the dispatcher hears of it.
        assert!(router.deliver(start("c1")));
        let Some(Dispatch::NewCall {
            caller, mut inbox, ..
        }) = dispatched.try_recv().ok()
        else {
            panic!("the dispatcher starts the call");
        };
        assert_eq!(caller, "c1");
        assert!(calls.lock().unwrap().contains_key("c1"));
        // Its events go straight to it, in order; the dispatcher sees none.
        assert!(router.deliver(digit("c1")));
        assert!(router.deliver(digit("c1")));
        for _ in 0..2 {
            assert!(matches!(
                inbox.try_recv(),
                Ok(TaskInput::Call(CallInput::Dtmf('1')))
            ));
        }
        assert!(dispatched.try_recv().is_err());
        // A second StasisStart for the same caller starts nothing.
        assert!(router.deliver(start("c1")));
        assert!(dispatched.try_recv().is_err());

        // An event for no running call, or for a call whose task has just ended,
        // goes to the dispatcher (which hangs up late legs).
        assert!(router.deliver(digit("c9")));
        assert!(matches!(
            dispatched.try_recv(),
            Ok(Dispatch::Event(Routed::ToCall { call_key, .. })) if call_key == "c9"
        ));
        drop(inbox);
        assert!(router.deliver(digit("c1")));
        assert!(matches!(
            dispatched.try_recv(),
            Ok(Dispatch::Event(Routed::ToCall { call_key, .. })) if call_key == "c1"
        ));
        // So does news of the connection.
        assert!(router.deliver(AriMessage::Connected { reconnected: true }));
        assert!(matches!(
            dispatched.try_recv(),
            Ok(Dispatch::Connection(message))
                if matches!(*message, AriMessage::Connected { reconnected: true })
        ));
        // With the dispatcher gone, the socket is told to stop.
        drop(dispatched);
        assert!(router.is_closed());
        assert!(!router.deliver(digit("c9")));
    }

    #[test]
    fn the_recency_book_hunts_least_recent_by_the_calls_it_notes() {
        // «Displaced» is least-recent on line 122, digit 2.
        let snapshot = Arc::new(directory());
        let request = RouteRequest {
            line: LineNumber("122".into()),
            choice: MenuChoice::Digit('2'),
            at: at("2026-05-12T10:00:00+08:00"),
        };
        let book = CallRecencyBook::default();
        let ids = |snapshot: &Arc<DirectorySnapshot>| -> Vec<i64> {
            let decision = book.with(snapshot, |history| decide(snapshot, &request, history));
            decision.candidates.iter().map(|c| c.staff.id.0).collect()
        };
        let before = ids(&snapshot);
        assert!(before.len() >= 2, "{before:?}");

        // The first is rung: the next decision puts them last.
        book.called(StaffId(before[0]), at("2026-05-12T09:00:00+08:00"));
        let mut expected = before[1..].to_vec();
        expected.push(before[0]);
        assert_eq!(ids(&snapshot), expected);

        // A reloaded snapshot (a roster edit) keeps what the book knows.
        let reloaded = Arc::new(directory());
        assert_eq!(ids(&reloaded), expected);
        // So does a call noted against the new snapshot's order.
        book.called(StaffId(expected[0]), at("2026-05-12T09:30:00+08:00"));
        let mut again = expected[1..].to_vec();
        again.push(expected[0]);
        assert_eq!(ids(&reloaded), again);
    }
}
