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

use crate::ari::AriError;
use crate::call::{Call, CallCommand, CallInput, JournalEntry, TransferOrigin, TransferRequest};
use crate::journal::{Journal, JournalRecord};
use crate::pii::Pii;
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
        action: super::ConsoleAction,
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
    let span = tracing::info_span!("call", call_id = %key, line = %call.line());
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
                    Some(TaskInput::Resync(alive)) => resync(&mut call, &alive),
                    Some(TaskInput::Console { action, reply }) => {
                        let now = Utc::now();
                        let answer = match action {
                            super::ConsoleAction::Transfer(request) => {
                                call.request_transfer(now, request)
                            }
                            super::ConsoleAction::CompleteConsultation => {
                                call.complete_consultation(now)
                            }
                            super::ConsoleAction::CancelConsultation => {
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
                super::hang_up_stray_leg(&context.ari, leg);
            }
        }
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

/// Reports the call's channels that Asterisk no longer has.
fn resync(call: &mut Call, alive: &HashSet<String>) {
    let now = Utc::now();
    for channel in call.channels() {
        if alive.contains(&channel.0) {
            continue;
        }
        let input = if &channel == call.caller() {
            CallInput::CallerHungUp
        } else {
            CallInput::LegHungUp(channel, result_of_cause(0))
        };
        tracing::info!(?input, "channel vanished while the event socket was down");
        call.handle_input(now, input);
    }
}

/// `inbox` is the call's own input channel, weak so that the dispatcher dropping its
/// sender still ends the task; the specialists' queue sends its offers there.
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
        if let Some(input) = execute(call, command, context).await {
            call.handle_input(Utc::now(), input);
        }
    }
}

/// Carries out one command; returns an input when the outcome matters to the call.
async fn execute(call: &mut Call, command: CallCommand, context: &AppContext) -> Option<CallInput> {
    let ari = &context.ari;
    let caller_id = call.caller().0.clone();
    let caller = caller_id.as_str();
    match command {
        CallCommand::Answer => {
            if let Err(error) = ari.answer(caller).await {
                return gone_or_log(error, "answer", CallInput::CallerHungUp);
            }
            None
        }
        CallCommand::Play { playback, sounds } => {
            let media: Vec<String> = sounds.iter().map(|s| format!("sound:{s}")).collect();
            match ari.play(caller, &playback.0, &media, "ru").await {
                Ok(()) => None,
                Err(error) => {
                    tracing::warn!(%error, "playback refused; carrying on without it");
                    Some(CallInput::PlaybackFinished(playback))
                }
            }
        }
        CallCommand::StopPlayback(playback) => {
            log_err(
                ari.stop_playback(&playback.0).await.map(drop),
                "stop playback",
            );
            None
        }
        CallCommand::StartRinging => {
            log_err(ari.ring(caller).await, "ring");
            None
        }
        CallCommand::StopRinging => {
            log_err(ari.ring_stop(caller).await.map(drop), "stop ringing");
            None
        }
        CallCommand::StartMusicOnHold => {
            log_err(ari.start_moh(caller, MUSIC_CLASS).await, "music on hold");
            None
        }
        CallCommand::StopMusicOnHold => {
            log_err(ari.stop_moh(caller).await.map(drop), "stop music on hold");
            None
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
            log_err(
                ari.remove_from_bridge(&bridge.0, &channel.0).await,
                "take out of the bridge",
            );
            None
        }
        CallCommand::AddToBridge { bridge, channel } => {
            match ari.add_to_bridge(&bridge.0, &[&channel.0]).await {
                Ok(()) => None,
                Err(error) => {
                    tracing::error!(%error, "could not put the callee into the bridge");
                    Some(CallInput::LegHungUp(channel, result_of_cause(0)))
                }
            }
        }
        CallCommand::BridgeLegs { bridge, legs } => {
            let ids: Vec<&str> = legs.iter().map(|l| l.0.as_str()).collect();
            let result = async {
                ari.create_bridge(&bridge.0, true).await?;
                ari.add_to_bridge(&bridge.0, &ids).await
            }
            .await;
            match result {
                Ok(()) => None,
                Err(error) => {
                    tracing::error!(%error, "could not bridge the specialist with the staff member");
                    // Treated as the staff member gone: the specialist keeps the caller.
                    legs.last()
                        .map(|staff| CallInput::LegHungUp(staff.clone(), result_of_cause(0)))
                }
            }
        }
        CallCommand::TransferProgress { leg, state } => {
            log_err(
                ari.transfer_progress(&leg.0, state).await,
                "transfer progress",
            );
            None
        }
        CallCommand::StartBridgeMusic(bridge) => {
            log_err(
                ari.start_bridge_moh(&bridge.0, MUSIC_CLASS).await,
                "bridge music",
            );
            None
        }
        CallCommand::StopBridgeMusic(bridge) => {
            log_err(
                ari.stop_bridge_moh(&bridge.0).await.map(drop),
                "stop bridge music",
            );
            None
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
            tracing::debug!(%target, caller = %Pii(&caller_number), "creating a leg");
            // What the callee's phone shows: the citizen's number and the topic.
            // PJSIP builds an outgoing INVITE's From from the leg's connected line.
            // A transfer button pressed on the callee's phone (SIP REFER) comes to
            // the app as ChannelTransfer instead of being carried out by Asterisk.
            let variables = [
                ("CONNECTEDLINE(num)", caller_number.as_str()),
                ("CONNECTEDLINE(name)", caller_name.as_str()),
                ("PJSIP_TRANSFER_HANDLING()", "ari-only"),
            ];
            match ari
                .create_channel(&leg.0, target.as_str(), Some(caller), &variables)
                .await
            {
                Ok(_) => None,
                Err(error) => {
                    tracing::warn!(%error, %target, "could not create the leg");
                    // A timed-out create may still happen in Asterisk: remove it.
                    let _ = ari.hangup(&leg.0, "normal").await;
                    Some(CallInput::CommandFailed(leg))
                }
            }
        }
        CallCommand::DialLeg {
            leg,
            timeout_seconds,
        } => match ari.dial(&leg.0, None, timeout_seconds).await {
            Ok(()) => None,
            Err(error) => {
                tracing::warn!(%error, %leg, "could not dial the leg");
                let _ = ari.hangup(&leg.0, "normal").await;
                Some(CallInput::CommandFailed(leg))
            }
        },
        CallCommand::HangupLeg(leg) => {
            log_err(ari.hangup(&leg.0, "normal").await.map(drop), "hang up leg");
            None
        }
        CallCommand::ContinueInDialplan => {
            super::hand_to_fallback(ari, caller).await;
            None
        }
        CallCommand::HangupCaller => {
            log_err(
                ari.hangup(caller, "normal").await.map(drop),
                "hang up caller",
            );
            None
        }
        CallCommand::Bridge {
            bridge,
            leg,
            dtmf_events,
        } => {
            let result = async {
                ari.create_bridge(&bridge.0, dtmf_events).await?;
                ari.add_to_bridge(&bridge.0, &[caller, &leg.0]).await
            }
            .await;
            match result {
                Ok(()) => None,
                Err(error) => {
                    tracing::error!(%error, "could not bridge the caller with the callee");
                    Some(CallInput::LegHungUp(leg, result_of_cause(0)))
                }
            }
        }
        CallCommand::DestroyBridge(bridge) => {
            log_err(
                ari.destroy_bridge(&bridge.0).await.map(drop),
                "destroy bridge",
            );
            None
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
    journal.record(JournalRecord::from_call(caller, entry));
}

/// A 404 on the caller means it is gone: tell the call; other errors are logged.
fn gone_or_log(error: AriError, what: &str, gone: CallInput) -> Option<CallInput> {
    if error.status() == Some(reqwest::StatusCode::NOT_FOUND) {
        return Some(gone);
    }
    tracing::warn!(%error, "{what} failed");
    None
}

fn log_err(result: Result<(), AriError>, what: &str) {
    if let Err(error) = result {
        tracing::warn!(%error, "{what} failed");
    }
}
