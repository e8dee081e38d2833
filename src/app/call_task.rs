//! One task per call: feeds the [`Call`] state machine its inputs and timeouts and
//! carries out its commands against ARI, in order.
//!
//! Inputs arrive on the call's own unbounded channel, so a call waiting on a slow REST
//! answer never holds up another call's events, and its own events queue in order.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::ari::{AriClient, AriError, AriRequest};
use crate::call::{
    Call, CallCommand, CallInput, ChannelId, JournalEntry, PlaybackId, TransferOrigin,
    TransferRequest,
};
use crate::journal::{Journal, JournalRecord, RecordKind};
use crate::routing::TopicCode;
use crate::routing::{self, RouteRequest};

use super::{AppContext, translate::result_of_cause};

/// The music-on-hold class callers waiting for a specialist hear (`musiconhold.conf`).
const MUSIC_CLASS: &str = "hotline";

/// What the dispatcher sends a call task.
#[derive(Debug)]
pub(super) enum TaskInput {
    /// An input for the state machine.
    Call(CallInput),
    /// After a reconnection: the channels Asterisk still has for this app.
    Resync(Arc<HashSet<String>>),
    /// The console acts on the call; the call answers at once.
    Console {
        action: super::control::ConsoleAction,
        reply: oneshot::Sender<Result<(), super::CallControlError>>,
    },
}

/// Runs a call to its end. `done` gets the call key when it is over.
pub(super) async fn run_call(
    mut call: Call,
    inbox: mpsc::WeakUnboundedSender<TaskInput>,
    mut inputs: mpsc::UnboundedReceiver<TaskInput>,
    context: Arc<AppContext>,
    done: mpsc::UnboundedSender<String>,
) {
    let key = call.caller().0.clone();
    let span =
        tracing::info_span!("call", call_id = %key, line = %call.line(), node = %context.node);
    async {
        loop {
            drain_commands(&mut call, &context, &inbox).await;
            if call.is_finished() {
                break;
            }
            let deadline = call.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => {
                        let wait = (at - Utc::now()).to_std().unwrap_or_default();
                        tokio::time::sleep(wait).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                input = inputs.recv() => match input {
                    Some(TaskInput::Call(CallInput::LegRefer { leg, destination })) => {
                        let request = refer_request(&context, &call, destination.as_deref());
                        tracing::info!(?destination, "transfer asked by the phone (REFER)");
                        call.handle_refer(Utc::now(), leg, request);
                    }
                    Some(TaskInput::Call(input)) => call.handle_input(Utc::now(), input),
                    Some(TaskInput::Resync(alive)) => resync(&call, &alive, &context, &inbox),
                    Some(TaskInput::Console { action, reply }) => {
                        let now = Utc::now();
                        let answer = match action {
                            super::control::ConsoleAction::Transfer(request) => {
                                call.request_transfer(now, request)
                            }
                            super::control::ConsoleAction::CompleteConsultation => {
                                call.complete_consultation(now)
                            }
                            super::control::ConsoleAction::CancelConsultation => {
                                call.cancel_consultation(now)
                            }
                        };
                        let _ = reply.send(answer.map_err(Into::into));
                    }
                    // The dispatcher is gone (shutdown): a caller still waiting goes
                    // back to the dialplan; a connected call stays bridged.
                    None => {
                        if call.hand_back(Utc::now()) {
                            tracing::info!("handed back to the dialplan at shutdown");
                            drain_commands(&mut call, &context, &inbox).await;
                        }
                        break;
                    }
                },
                () = sleep => call.handle_timeout(Utc::now()),
            }
        }
        // Inputs that came while the last commands ran would be dropped with the
        // inbox: a leg that entered Stasis late must not stay there for ever.
        inputs.close();
        while let Ok(input) = inputs.try_recv() {
            if let TaskInput::Call(CallInput::LegReady(leg)) = input {
                super::dispatcher::hang_up_stray_leg(&context.ari, leg);
            }
        }
        context.ari.release_order_key(&key);
        tracing::debug!("call task over");
    }
    .instrument(span)
    .await;
    let _ = done.send(key);
}

/// What a REFER's destination (the Refer-To user part) asks for: a staff member's
/// phone name (`staff01`) rings that person on the call's topic (or one they
/// cover); a topic code, or a menu digit of the call's line, rings that topic's
/// staff on duty; anything else, the call's own topic.
fn refer_request(context: &AppContext, call: &Call, destination: Option<&str>) -> TransferRequest {
    let directory = context.directory.current();
    let destination = destination.unwrap_or_default();
    let mut request = TransferRequest {
        topic: None,
        staff: None,
        origin: TransferOrigin::Refer,
        by: None,
        console_user: None,
        consult: false,
    };
    let phone = format!("PJSIP/{destination}");
    if let Some(staff) = directory
        .staff
        .iter()
        .find(|s| s.endpoint.as_str() == phone)
    {
        request.staff = Some(staff.id);
        let covers_call_topic = call.topic().is_some_and(|t| staff.topics.contains(t));
        if !covers_call_topic {
            request.topic = staff.topics.first().cloned();
        }
    } else if directory
        .topics
        .contains_key(&TopicCode(destination.to_owned()))
    {
        request.topic = Some(TopicCode(destination.to_owned()));
    } else if let Some(item) = directory
        .lines
        .get(call.line())
        .and_then(|line| destination.chars().next().and_then(|d| line.menu.get(&d)))
        .filter(|_| destination.chars().count() == 1)
    {
        request.topic = item.topic.clone();
    }
    request
}

/// How long a channel missing after a reconnection gets before it counts as gone:
/// the request creating it may be on its way again over HTTP (`ari::resend`, with
/// its own retries), after the first question was answered.
const VANISHED_RECHECK: std::time::Duration = std::time::Duration::from_millis(1_500);

/// After a reconnection, tells the call what it missed while the socket was down
/// (the events are lost):
/// - a leg it created and waits to see enter the app that Asterisk lists did enter
///   it: its `StasisStart` came while the socket was down;
/// - a channel of the call missing from Asterisk's list may have ended, or may only
///   be newer than the list (a caller or leg that came while it was being taken, or
///   whose creation is being sent again). Each missing one is asked about, in order
///   with the call's requests and once more a moment later; only one Asterisk twice
///   says is gone ends.
fn resync(
    call: &Call,
    alive: &HashSet<String>,
    context: &Arc<AppContext>,
    inbox: &mpsc::WeakUnboundedSender<TaskInput>,
) {
    for leg in call.legs_awaiting_ready() {
        if alive.contains(&leg.0)
            && let Some(inbox) = inbox.upgrade()
        {
            tracing::info!(leg = %leg.0, "leg entered the app while the event socket was down");
            let _ = inbox.send(TaskInput::Call(CallInput::LegReady(leg)));
        }
    }
    for channel in call.channels() {
        if alive.contains(&channel.0) {
            continue;
        }
        let input = if &channel == call.caller() {
            CallInput::CallerHungUp
        } else {
            CallInput::LegVanished(channel.clone())
        };
        let (ari, inbox) = (context.ari.clone(), inbox.clone());
        let order_key = call.caller().0.clone();
        tokio::spawn(async move {
            // In order with the call's requests: a leg just asked for and not yet in
            // Asterisk's list is created by the time this is answered, unless its
            // creation is being sent again: hence the second question.
            let mut exists = ari.channel_exists(&order_key, &channel.0).await;
            if !matches!(exists, Ok(true)) {
                tokio::time::sleep(VANISHED_RECHECK).await;
                exists = ari.channel_exists(&order_key, &channel.0).await;
            }
            match exists {
                Ok(true) => {}
                // Gone, or Asterisk cannot say: the call ends that side (hanging up
                // a channel that is in fact there is safer than waiting on it).
                Ok(false) | Err(_) => {
                    tracing::info!(?input, "channel vanished while the event socket was down");
                    if let Some(inbox) = inbox.upgrade() {
                        let _ = inbox.send(TaskInput::Call(input));
                    }
                }
            }
        });
    }
}

/// `inbox` is the call's own input channel, weak so that the dispatcher dropping its
/// sender still ends the task; the specialists' queue sends its offers there, and
/// requests sent without waiting report their failures there.
async fn drain_commands(
    call: &mut Call,
    context: &AppContext,
    inbox: &mpsc::WeakUnboundedSender<TaskInput>,
) {
    while let Some(command) = call.poll_command() {
        if let CallCommand::Queue(request) = command {
            context.queue.tell(&call.caller().0, request, inbox.clone());
            continue;
        }
        if let Some(input) = execute(call, command, context, inbox).await {
            call.handle_input(Utc::now(), input);
        }
    }
}

/// What a call learns when one of its requests fails.
#[derive(Clone, Debug)]
enum OnFailure {
    /// Nothing: the failure is logged.
    Log(&'static str),
    /// A 404 means the caller hung up; anything else is logged.
    CallerGoneOn404(&'static str),
    /// The playback counts as finished (the call carries on without it).
    PlaybackDone(PlaybackId),
    /// The leg counts as hung up.
    LegGone(&'static str, ChannelId),
    /// The leg could not be created or dialled: it is hung up (a create that timed
    /// out on our side may still happen in Asterisk) and the call is told.
    LegFailed(&'static str, ChannelId),
}

impl OnFailure {
    /// Logs `error` and gives the input the call must get, if any.
    fn input(self, error: &AriError, ari: &AriClient) -> Option<CallInput> {
        match self {
            Self::Log(what) => {
                tracing::warn!(%error, "{what} failed");
                None
            }
            Self::CallerGoneOn404(what) => {
                if error.is_not_found() {
                    return Some(CallInput::CallerHungUp);
                }
                tracing::warn!(%error, "{what} failed");
                None
            }
            Self::PlaybackDone(playback) => {
                tracing::warn!(%error, "playback refused; carrying on without it");
                Some(CallInput::PlaybackFinished(playback))
            }
            Self::LegGone(what, leg) => {
                tracing::error!(%error, "{what} failed");
                Some(CallInput::LegHungUp(leg, result_of_cause(0)))
            }
            Self::LegFailed(what, leg) => {
                tracing::warn!(%error, %leg, "{what} failed");
                // After the call's create, on the same socket: a create that timed
                // out here may still happen in Asterisk, and must not come last.
                let call = super::translate::call_key_of(&leg.0);
                let hangup = AriRequest::hangup(&leg.0, "normal");
                send_aside(ari, call, hangup, "hang up a failed leg");
                Some(CallInput::CommandFailed(leg))
            }
        }
    }
}

/// Sends `request` for `call`. On a socket it goes without waiting, after the
/// call's earlier requests, and a failure reaches the call later through `inbox`;
/// over HTTP it is awaited, and a failure's input is returned.
async fn send_request(
    context: &AppContext,
    call: &str,
    inbox: &mpsc::WeakUnboundedSender<TaskInput>,
    request: AriRequest,
    on_failure: OnFailure,
) -> Option<CallInput> {
    let ari = &context.ari;
    let submitted = {
        let (ari, inbox, on_failure) = (ari.clone(), inbox.clone(), on_failure.clone());
        context.ari.submit(call, request, move |error| {
            let input = on_failure.input(&error, &ari);
            if let (Some(input), Some(inbox)) = (input, inbox.upgrade()) {
                let _ = inbox.send(TaskInput::Call(input));
            }
        })
    };
    match submitted {
        Ok(()) => None,
        Err(request) => match ari.perform(call, request).await {
            Ok(()) => None,
            Err(error) => on_failure.input(&error, ari),
        },
    }
}

/// Sends `request` for `call` and forgets it (failures are logged): on the call's
/// socket if it is up, else over HTTP in a task of its own.
fn send_aside(ari: &AriClient, call: &str, request: AriRequest, what: &'static str) {
    let log = move |error: AriError| tracing::warn!(%error, "{what} failed");
    if let Err(request) = ari.submit(call, request, log) {
        let (ari, call) = (ari.clone(), call.to_owned());
        // At runtime shutdown there is nobody left to send it.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = ari.perform(&call, request).await {
                    log(error);
                }
            });
        }
    }
}

/// Carries out one command; returns an input when the outcome matters to the call
/// at once.
async fn execute(
    call: &mut Call,
    command: CallCommand,
    context: &AppContext,
    inbox: &mpsc::WeakUnboundedSender<TaskInput>,
) -> Option<CallInput> {
    let caller_id = call.caller().0.clone();
    let caller = caller_id.as_str();
    let send = |request, on_failure| send_request(context, caller, inbox, request, on_failure);
    match command {
        CallCommand::Answer => {
            send(
                AriRequest::answer(caller),
                OnFailure::CallerGoneOn404("answer"),
            )
            .await
        }
        CallCommand::Play { playback, sounds } => {
            tracing::debug!(?sounds, "playing");
            let media: Vec<String> = sounds.iter().map(|s| format!("sound:{s}")).collect();
            let request = AriRequest::play(caller, &playback.0, &media, "ru");
            send(request, OnFailure::PlaybackDone(playback)).await
        }
        CallCommand::StopPlayback(playback) => {
            let request = AriRequest::stop_playback(&playback.0);
            send(request, OnFailure::Log("stop playback")).await
        }
        CallCommand::StartRinging => send(AriRequest::ring(caller), OnFailure::Log("ring")).await,
        CallCommand::StopRinging => {
            let request = AriRequest::ring_stop(caller);
            send(request, OnFailure::Log("stop ringing")).await
        }
        CallCommand::StartMusicOnHold => {
            let request = AriRequest::start_moh(caller, MUSIC_CLASS);
            send(request, OnFailure::Log("music on hold")).await
        }
        CallCommand::StopMusicOnHold => {
            let request = AriRequest::stop_moh(caller);
            send(request, OnFailure::Log("stop music on hold")).await
        }
        CallCommand::Queue(_) => unreachable!("sent to the queue by drain_commands"),
        CallCommand::DecideTransfer(topic) => {
            let snapshot = context.directory.current();
            let request = RouteRequest {
                line: call.line().clone(),
                choice: routing::MenuChoice::Topic(topic),
                at: context.clock.now(),
            };
            // Everyone on duty: the specialist may have named any one of them.
            let decision = (context.recency).with(&snapshot, |recency| {
                routing::decide_listing_all(&snapshot, &request, recency)
            });
            tracing::info!(mode = %decision.mode, reason = %decision.reason.en(), "transfer routed");
            call.handle_transfer_decision(Utc::now(), decision);
            None
        }
        CallCommand::RemoveFromBridge { bridge, channel } => {
            let request = AriRequest::remove_from_bridge(&bridge.0, &channel.0);
            send(request, OnFailure::Log("take out of the bridge")).await
        }
        CallCommand::AddToBridge { bridge, channel } => {
            let request = AriRequest::add_to_bridge(&bridge.0, &[&channel.0]);
            let failure = OnFailure::LegGone("putting the callee into the bridge", channel);
            send(request, failure).await
        }
        CallCommand::BridgeLegs { bridge, legs } => {
            // Treated as the staff member gone: the specialist keeps the caller. A
            // failed create fails the add too, which tells the call once.
            let staff = legs.last()?.clone();
            let ids: Vec<&str> = legs.iter().map(|l| l.0.as_str()).collect();
            let create = AriRequest::create_bridge(&bridge.0, true);
            let add = AriRequest::add_to_bridge(&bridge.0, &ids);
            send(create, OnFailure::Log("creating the consultation bridge")).await;
            let failure =
                OnFailure::LegGone("bridging the specialist with the staff member", staff);
            send(add, failure).await
        }
        CallCommand::TransferProgress { leg, state } => {
            // Awaited: the phone's last NOTIFY must leave before the BYE that the
            // next command may send it (Asterisk sends SIP aside from the requests'
            // order), or the phone gets a NOTIFY for a call it already ended.
            let request = AriRequest::transfer_progress(&leg.0, state);
            let result = context.ari.perform(caller, request).await;
            result
                .err()
                .and_then(|error| OnFailure::Log("transfer progress").input(&error, &context.ari))
        }
        CallCommand::StartBridgeMusic(bridge) => {
            let request = AriRequest::start_bridge_moh(&bridge.0, MUSIC_CLASS);
            send(request, OnFailure::Log("bridge music")).await
        }
        CallCommand::StopBridgeMusic(bridge) => {
            let request = AriRequest::stop_bridge_moh(&bridge.0);
            send(request, OnFailure::Log("stop bridge music")).await
        }
        CallCommand::Decide(choice) => {
            let snapshot = context.directory.current();
            let request = RouteRequest {
                line: call.line().clone(),
                choice,
                at: context.clock.now(),
            };
            let decision = (context.recency).with(&snapshot, |recency| {
                routing::decide(&snapshot, &request, recency)
            });
            tracing::info!(mode = %decision.mode, reason = %decision.reason.en(), "routed");
            call.handle_decision(Utc::now(), decision);
            None
        }
        CallCommand::CreateLeg {
            leg,
            target,
            caller_number,
            caller_name,
        } => {
            tracing::debug!(%target, caller = %caller_number, "creating a leg");
            // What the callee's phone shows: the citizen's number and the topic.
            // PJSIP builds an outgoing INVITE's From from the leg's connected line.
            // A transfer button pressed on the callee's phone (SIP REFER) comes to
            // the app as ChannelTransfer instead of being carried out by Asterisk.
            let variables = [
                ("CONNECTEDLINE(num)", caller_number.0.as_str()),
                ("CONNECTEDLINE(name)", caller_name.as_str()),
                ("PJSIP_TRANSFER_HANDLING()", "ari-only"),
            ];
            let app = context.ari.app();
            let request =
                AriRequest::create_channel(app, &leg.0, target.as_str(), Some(caller), &variables);
            send(request, OnFailure::LegFailed("creating the leg", leg)).await
        }
        CallCommand::DialLeg {
            leg,
            timeout_seconds,
        } => {
            let request = AriRequest::dial(&leg.0, None, timeout_seconds);
            send(request, OnFailure::LegFailed("dialling the leg", leg)).await
        }
        CallCommand::HangupLeg(leg) => {
            let request = AriRequest::hangup(&leg.0, "normal");
            send(request, OnFailure::Log("hang up leg")).await
        }
        CallCommand::ContinueInDialplan => {
            for (request, what) in super::dispatcher::fallback_requests(caller) {
                send(request, OnFailure::Log(what)).await;
            }
            None
        }
        CallCommand::HangupCaller => {
            let request = AriRequest::hangup(caller, "normal");
            send(request, OnFailure::Log("hang up caller")).await
        }
        CallCommand::Bridge {
            bridge,
            leg,
            dtmf_events,
        } => {
            // A failed create fails the add too, which tells the call once.
            let create = AriRequest::create_bridge(&bridge.0, dtmf_events);
            let add = AriRequest::add_to_bridge(&bridge.0, &[caller, &leg.0]);
            send(create, OnFailure::Log("creating the bridge")).await;
            let failure = OnFailure::LegGone("bridging the caller with the callee", leg);
            send(add, failure).await
        }
        CallCommand::RecordBridge { bridge, name } => {
            let request = AriRequest::record_bridge(&bridge.0, &name);
            send(request, OnFailure::Log("recording the conversation")).await
        }
        CallCommand::DestroyBridge(bridge) => {
            let request = AriRequest::destroy_bridge(&bridge.0);
            send(request, OnFailure::Log("destroy bridge")).await
        }
        CallCommand::Journal(entry) => {
            record(&context.journal, context, caller, entry);
            None
        }
    }
}

fn record(journal: &Journal, context: &AppContext, caller: &str, entry: JournalEntry) {
    if let JournalEntry::AttemptStarted {
        callee: crate::call::Callee::Staff { id, .. },
        at,
        ..
    } = &entry
    {
        context.recency.called(*id, *at);
    }
    let mut record = JournalRecord::from_call(caller, entry);
    if let RecordKind::Started { node, .. } = &mut record.kind {
        node.get_or_insert_with(|| context.node.clone());
    }
    journal.record(record);
}
