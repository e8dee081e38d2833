//! [`StasisApp`], the dispatcher: starts calls, handles events for no running call,
//! hands console requests to their calls, resyncs after a reconnection and drains
//! calls at shutdown; and the hand-back of a caller to the dialplan fallback.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::ari::{AriClient, AriMessage, AriRequest};
use crate::call::{Call, CallInput, CallStart, ChannelId};
use crate::journal::{JournalRecord, RecordKind};
use crate::pii::Pii;
use crate::routing::LineNumber;

use super::AppContext;
use super::admission::{Admission, Verdict};
use super::call_task::{TaskInput, run_call};
use super::control::{CallControlError, CallControlInbox, ControlMessage};
use super::orphan;
use super::router::{CallInboxes, Dispatch, EventRouter, lock, open_inbox, try_deliver};
use super::translate::{self, Routed, is_leg};

/// The requests that send the caller back to the dialplan after `Stasis()`, marked so
/// that it goes on to the specialists' fallback (`HOTLINE_FALLBACK=1`, see
/// `extensions.conf`), each with what it does, for logs.
pub(super) fn fallback_requests(caller: &str) -> [(AriRequest, &'static str); 2] {
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
pub(super) fn hang_up_stray_leg(ari: &AriClient, leg: ChannelId) {
    tracing::info!(leg = %leg, "hanging up a leg created for no current call");
    let ari = ari.clone();
    tokio::spawn(async move {
        if let Err(error) = ari.hangup(&leg.0, "normal").await {
            tracing::warn!(%error, leg = %leg, "could not hang up a stray leg");
        }
    });
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

/// The playbacks of a dead instance stopped on a caller adopted at resync: ids
/// `{caller}-play1` to this (a call's menus and announcements come first among the
/// ids it chooses; a playback past this would only delay the adopted call).
const ADOPTED_PLAYBACKS_TO_STOP: u32 = 24;

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
                    self.clean_up_orphan_bridge(&bridge, &remaining);
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
        caller_number: Pii<String>,
        inbox: Option<mpsc::UnboundedReceiver<TaskInput>>,
    ) {
        let adopted = inbox.is_none();
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
        let (menu_prompt, greeting_prompt, digit_timeout_seconds, menu_attempts, record_calls) =
            match snapshot.lines.get(&line) {
                Some(l) => (
                    l.menu_prompt.clone(),
                    l.greeting_prompt.clone(),
                    l.digit_timeout_seconds,
                    l.menu_attempts,
                    l.record_calls,
                ),
                // A line missing from the directory still gets an answer: after one
                // menu the policy routes it to specialists (unknown line).
                None => ("hotline/menu-122".to_owned(), None, 3, 1, false),
            };
        tracing::info!(call_id = %caller, %line, caller = %caller_number, "call entered");
        let start = CallStart {
            caller: ChannelId(caller.clone()),
            line,
            caller_number,
            menu_prompt,
            greeting_prompt,
            digit_timeout_seconds,
            menu_attempts,
            record_calls,
        };
        let settings = self.context.call_settings.clone();
        let call = if adopted {
            Call::adopted(start, settings, Utc::now())
        } else {
            Call::new(start, settings, Utc::now())
        };
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
    fn hand_to_dialplan(&self, caller: String, line: String, caller_number: Pii<String>) {
        let context = self.context.clone();
        context.journal.record(JournalRecord {
            call_key: caller.clone(),
            kind: RecordKind::Started {
                via: crate::journal::Via::Ari,
                node: Some(context.node.clone()),
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
        let known: HashSet<String> = lock(&self.calls)
            .keys()
            .chain(&self.recently_done_keys)
            .cloned()
            .collect();
        tokio::spawn(close_vanished_calls(
            self.context.clone(),
            alive.clone(),
            known,
        ));
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
            // In the background: the dispatcher does not wait on it.
            tokio::spawn({
                let (ari, leg) = (ari.clone(), channel.id.clone());
                async move {
                    let _ = ari.hangup(&leg, "normal").await;
                }
            });
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
        // A caller the dead instance was playing a prompt to would hear it to the
        // end before Asterisk carries out anything else on that channel (the
        // answer, the new menu): stop what it may have been playing first.
        let stops = callers.iter().flat_map(|channel| {
            (1..=ADOPTED_PLAYBACKS_TO_STOP).map(|n| {
                let playback = format!("{}-play{n}", channel.id);
                let ari = ari.clone();
                async move {
                    let _ = ari.stop_playback(&playback).await;
                }
            })
        });
        futures_util::future::join_all(stops).await;
        for channel in callers {
            tracing::info!(call_id = %channel.id, "adopting a caller left in Stasis");
            self.context.journal.record(JournalRecord {
                call_key: channel.id.clone(),
                kind: RecordKind::OpenAttemptsCancelled { at: Utc::now() },
            });
            let line = channel.dialplan.exten.clone();
            self.start_call(channel.id, line, Pii(channel.caller.number), None);
        }
        for bridge in bridges {
            let key = translate::call_key_of(&bridge.id);
            if bridge.id.ends_with("-bridge")
                && !self.is_known_call(key)
                && bridge.channels.len() < 2
            {
                self.clean_up_orphan_bridge(&bridge.id, &bridge.channels);
            }
        }
    }

    /// A bridge no call owns lost a party (a conversation left bridged by a previous
    /// instance ended): journal the end of that call, hang up whoever is left and
    /// destroy the bridge. The requests run in the background, so the dispatcher
    /// (and the callers it adopts at resync) never waits on them.
    fn clean_up_orphan_bridge(&self, bridge: &str, remaining: &[String]) {
        tracing::info!(bridge, "cleaning up an orphan bridge");
        self.context.journal.record(JournalRecord {
            call_key: translate::call_key_of(bridge).to_owned(),
            kind: RecordKind::ConversationEnded { at: Utc::now() },
        });
        let ari = self.context.ari.clone();
        let (bridge, remaining) = (bridge.to_owned(), remaining.to_vec());
        tokio::spawn(async move {
            for channel in &remaining {
                let _ = ari.hangup(channel, "normal").await;
            }
            let _ = ari.destroy_bridge(&bridge).await;
        });
    }
}

/// Closes the calls the journal still shows open that no instance runs any more:
/// a killed instance took their last facts (at most its last 100 ms) with it, and
/// their channels are gone from Asterisk. Each ends as `conversation_ended` gives
/// (answered by whoever answered, else abandoned). Calls of other Asterisk nodes,
/// calls of this instance and calls whose channel Asterisk still has are left
/// alone; so is anything when Postgres does not answer (the next resync tries again).
async fn close_vanished_calls(
    context: Arc<AppContext>,
    alive: Arc<HashSet<String>>,
    known: HashSet<String>,
) {
    let query = sqlx::query_scalar::<_, String>(
        "SELECT call_key FROM call_record
          WHERE via = 'ari' AND ended_at IS NULL
            AND (asterisk_node = $1 OR (asterisk_node IS NULL AND $2))
            AND entered_at > now() - interval '1 day' AND entered_at < now() - interval '2 seconds'",
    )
    // Only this node's calls: another node's are alive there, unknown here.
    .bind(&context.node)
    .bind(context.owns_unnamed_calls)
    .fetch_all(&context.pool);
    let open = match tokio::time::timeout(std::time::Duration::from_secs(5), query).await {
        Ok(Ok(open)) => open,
        Ok(Err(error)) => {
            tracing::warn!(%error, "open calls in the journal not checked");
            return;
        }
        Err(_) => {
            tracing::warn!("open calls in the journal not checked: Postgres did not answer");
            return;
        }
    };
    for key in open {
        if alive.contains(&key) || known.contains(&key) {
            continue;
        }
        tracing::info!(call_id = %key, "closing a call the journal shows open and Asterisk no longer has");
        context.journal.record(JournalRecord {
            call_key: key,
            kind: RecordKind::ConversationEnded { at: Utc::now() },
        });
    }
}
