//! The life of one 122/117 call, as a pure state machine.
//!
//! # The sans-IO contract
//!
//! [`Call`] never performs I/O and never reads a clock. The driver (the ARI adapter in
//! `crate::app`) feeds it:
//! - inputs with [`Call::handle_input`]: what Asterisk reported about this call's
//!   channels and playbacks, the routing decision it asked for, failed commands;
//! - the passage of time with [`Call::handle_timeout`], whenever the instant given by
//!   [`Call::poll_timeout`] has passed.
//!
//! After every input the driver drains [`Call::poll_command`] and carries the commands
//! out in order (REST calls to Asterisk, a routing decision, journal writes). Time is
//! always a parameter, so tests step virtual time and see every command.
//!
//! # How a call flows
//!
//! ```text
//! Answering ─▶ [Notice] ─▶ Menu ──digit──▶ (Decide) ──automatic──▶ Hunting(staff) ──answer──▶ Connected
//!                            │ ▲  invalid/none   │                       │ all failed               │
//!                            └─┘ (N attempts)    └─manual, after hours,──▶ Hunting(specialists) ───┘
//!                                                  unknown, nobody ──────▶
//! ```
//!
//! `Notice`: a recorded line's greeting and recording notice, which keys do not cut
//! short (the first key pressed is the choice once it ends).
//!
//! Whatever the state, a caller who hangs up cancels every ringing leg; a hang-up of
//! either side of a connected call ends the other and destroys the bridge.
//!
//! # Where things are
//!
//! The contract, all the driver sees (re-exported here):
//! - `input.rs`: what goes in: [`CallStart`], [`CallInput`], the queue's
//!   [`OfferedSpecialist`]s, a specialist's [`TransferRequest`] and why it may be
//!   [`TransferRefused`].
//! - `command.rs`: what comes out: [`CallCommand`], with the [`QueueRequest`]s for the
//!   specialists' queue.
//! - `journal.rs`: what the journal is told: [`JournalEntry`], with [`Callee`],
//!   [`AttemptResult`], [`TransferOrigin`] and [`CallOutcome`] and their stored words.
//! - `settings.rs`: [`CallSettings`] and the [`sounds`] the call plays.
//! - `ids.rs`: [`ChannelId`], [`BridgeId`], [`PlaybackId`]: the ids the call chooses.
//!
//! The machine, one `impl Call` block a phase:
//! - `mod.rs` (this file): the [`Call`] struct, the sans-IO API and the ids it chooses.
//! - `state.rs`: where the call is (`State`), and what a hunt and a transfer carry.
//! - `menu.rs`: the greeting and the menu, the caller's digits, the routing decision.
//! - `hunt.rs`: announcing, then dialling staff or specialists leg by leg, up to the
//!   answer that bridges or the hunt running out.
//! - `queue.rs`: waiting in the specialists' queue: music, position, callback request.
//! - `transfer.rs`: blind and consulted transfers to staff (console, `*1`, REFER).
//! - `teardown.rs`: hang-ups of either side, the last word, releasing legs and bridges,
//!   the end.
//! - `tests/`: the machine driven through virtual time, one file a phase.

mod command;
mod hunt;
mod ids;
mod input;
mod journal;
mod menu;
mod queue;
mod settings;
mod state;
mod teardown;
mod transfer;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

pub use command::{CallCommand, QueueRequest};
pub use ids::{BridgeId, ChannelId, PlaybackId};
pub use input::{CallInput, CallStart, OfferedSpecialist, TransferRefused, TransferRequest};
pub use journal::{AttemptResult, CallOutcome, Callee, JournalEntry, TransferOrigin};
pub use settings::{CallSettings, DEFAULT_RECORDING_FOLDER, sounds};

use crate::routing::{Decision, LineNumber, MenuChoice, SpecialistId};
use state::{HuntKind, State, Target, Transfer};

/// One citizen's call: feed it inputs and time, drain its commands.
#[derive(Debug)]
pub struct Call {
    start: CallStart,
    settings: CallSettings,
    state: State,
    commands: VecDeque<CallCommand>,
    /// The decision taken, kept for the caller-id name shown to callees.
    decision: Option<Decision>,
    /// Specialists to fall back to (from the decision).
    fallback: Vec<Target>,
    /// Counter for ids this call chooses (legs, playbacks).
    next_id: u32,
    /// How many times the menu has been offered, against the line's attempts.
    menus_offered: u32,
    /// Whether someone answered, for the outcome.
    answered_by: Option<HuntKind>,
    /// Whether the caller is currently hearing ringing.
    ringing: bool,
    /// Whether the caller is currently hearing music on hold.
    on_hold: bool,
    /// While queued: the position or callback announcement playing.
    queue_playback: Option<PlaybackId>,
    /// While queued: whether the callback offer was made (the digit then counts).
    callback_offered: bool,
    /// The specialist who took the call from the queue, told when they are free.
    queue_specialist: Option<SpecialistId>,
    /// Who answered the connected leg, and at which phone.
    connected: Option<Target>,
    /// The transfer in progress, or asked for and waiting for its decision.
    transfer: Option<Transfer>,
    /// Transfers so far.
    transfers: u32,
    /// A transfer asked for and waiting for its routing decision.
    pending_transfer: Option<TransferRequest>,
    /// The last key pressed on the connected leg, and when (for `*1`).
    leg_key: Option<(char, DateTime<Utc>)>,
    /// The end of the safety net.
    hard_deadline: DateTime<Utc>,
}

/// Where the ids of an adopted call start (see [`Call::adopted`]): a call chooses
/// far fewer ids than this (menus, announcements, at most 32 candidates' legs).
pub const ADOPTED_FIRST_ID: u32 = 1000;

impl Call {
    /// A caller an instance that died left in Stasis, taken over by this one: the
    /// same call as [`Call::new`] (answer, menu), but the ids it chooses start past
    /// [`ADOPTED_FIRST_ID`], so none collides with a leg or playback of the dead
    /// instance that Asterisk may still have.
    pub fn adopted(start: CallStart, settings: CallSettings, now: DateTime<Utc>) -> Self {
        Self::entered(start, settings, now, ADOPTED_FIRST_ID)
    }

    /// A new call that has just entered Stasis: answers and plays the line's menu.
    pub fn new(start: CallStart, settings: CallSettings, now: DateTime<Utc>) -> Self {
        Self::entered(start, settings, now, 0)
    }

    fn entered(
        start: CallStart,
        settings: CallSettings,
        now: DateTime<Utc>,
        first_id: u32,
    ) -> Self {
        let hard_deadline = now + settings.max_call_duration;
        let mut call = Self {
            start,
            settings,
            state: State::Finished,
            commands: VecDeque::new(),
            decision: None,
            fallback: Vec::new(),
            next_id: first_id,
            menus_offered: 0,
            answered_by: None,
            ringing: false,
            on_hold: false,
            queue_playback: None,
            callback_offered: false,
            queue_specialist: None,
            connected: None,
            transfer: None,
            transfers: 0,
            pending_transfer: None,
            leg_key: None,
            hard_deadline,
        };
        call.commands
            .push_back(CallCommand::Journal(JournalEntry::Started {
                line: call.start.line.clone(),
                caller_number: call.start.caller_number.clone(),
                at: now,
            }));
        call.commands.push_back(CallCommand::Answer);
        let greeting: Vec<String> = call.start.greeting_prompt.iter().cloned().collect();
        if call.start.record_calls {
            // The greeting and the recording notice, whole, then the menu: nothing is
            // recorded before the caller chose, and every recorded caller was told.
            call.play_notice(greeting);
        } else {
            call.offer_menu(&greeting);
        }
        call
    }

    /// The caller's channel id.
    pub fn caller(&self) -> &ChannelId {
        &self.start.caller
    }

    /// The line called.
    pub fn line(&self) -> &LineNumber {
        &self.start.line
    }

    /// The channels this call owns right now: the caller and any dial legs. After
    /// the ARI socket reconnects, the driver compares them with what Asterisk still
    /// has and reports the missing ones.
    pub fn channels(&self) -> Vec<ChannelId> {
        let mut channels = vec![self.start.caller.clone()];
        match &self.state {
            State::Hunting(hunt) => channels.extend(hunt.legs.iter().map(|l| l.id.clone())),
            State::Connected { leg, .. } => channels.push(leg.clone()),
            State::Consulting { staff, .. } => channels.push(staff.id.clone()),
            _ => {}
        }
        // During a transfer, the specialist waiting aside.
        channels.extend(self.transfer.as_ref().and_then(|t| t.specialist.clone()));
        channels
    }

    /// Legs created for this call that have not entered the app yet (their
    /// `StasisStart` is awaited before they are dialled): after a reconnection, one
    /// Asterisk lists entered it while the events were lost.
    pub fn legs_awaiting_ready(&self) -> Vec<ChannelId> {
        match &self.state {
            State::Hunting(hunt) => (hunt.legs.iter())
                .filter(|leg| !leg.dialled)
                .map(|leg| leg.id.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// True once the call is over and its commands drained: the driver drops it.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished && self.commands.is_empty()
    }

    /// The next command to carry out, in order.
    pub fn poll_command(&mut self) -> Option<CallCommand> {
        self.commands.pop_front()
    }

    /// The earliest instant at which [`Call::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let state_deadline = match &self.state {
            State::Menu { digit_deadline, .. } => *digit_deadline,
            State::Hunting(hunt) => hunt.legs.iter().map(|leg| leg.deadline).min(),
            State::Leaving { deadline, .. } => Some(*deadline),
            State::Finished => return None,
            _ => None,
        };
        Some(state_deadline.map_or(self.hard_deadline, |d| d.min(self.hard_deadline)))
    }

    /// The service is shutting down and the call is not over: a caller still in the
    /// menu or waiting for a callee goes back to the dialplan (its fallback rings the
    /// specialists) and ringing legs are cancelled. A connected call is left alone:
    /// the bridge keeps caller and callee talking without us. Returns whether the
    /// call was handed back.
    pub fn hand_back(&mut self, now: DateTime<Utc>) -> bool {
        if matches!(
            self.state,
            State::Connected { .. } | State::Consulting { .. } | State::Finished
        ) {
            return false;
        }
        self.release(now);
        self.silence();
        self.commands.push_back(CallCommand::ContinueInDialplan);
        self.ended(CallOutcome::HandedToDialplan, now);
        true
    }

    /// Time has passed: fire whatever deadline is due.
    pub fn handle_timeout(&mut self, now: DateTime<Utc>) {
        if self.state == State::Finished {
            return;
        }
        if now >= self.hard_deadline {
            self.hang_up(CallOutcome::Failed, now);
            return;
        }
        match &mut self.state {
            State::Leaving {
                deadline, outcome, ..
            } if now >= *deadline => {
                let outcome = *outcome;
                self.hang_up(outcome, now);
            }
            State::Menu {
                digit_deadline: Some(deadline),
                ..
            } if now >= *deadline => {
                self.menu_failed(sounds::NO_INPUT, MenuChoice::NoInput);
            }
            State::Hunting(hunt) => {
                let expired: Vec<ChannelId> = hunt
                    .legs
                    .iter()
                    .filter(|leg| now >= leg.deadline)
                    .map(|leg| leg.id.clone())
                    .collect();
                for leg in expired {
                    self.commands.push_back(CallCommand::HangupLeg(leg.clone()));
                    self.leg_failed(&leg, AttemptResult::NoAnswer, now);
                }
            }
            _ => {}
        }
    }

    /// Something happened to this call.
    pub fn handle_input(&mut self, now: DateTime<Utc>, input: CallInput) {
        if self.state == State::Finished {
            if let CallInput::LegReady(leg) = input {
                self.commands.push_back(CallCommand::HangupLeg(leg));
            }
            return;
        }
        match input {
            CallInput::CallerHungUp => {
                let outcome = match &self.state {
                    State::Leaving { outcome, .. } => *outcome,
                    _ => self.answered_outcome().unwrap_or(CallOutcome::Abandoned),
                };
                self.release(now);
                self.ended(outcome, now);
            }
            CallInput::Dtmf(digit) => self.on_digit(digit, now),
            CallInput::PlaybackFinished(id) => self.on_playback_finished(&id, now),
            CallInput::LegReady(leg) => self.on_leg_ready(&leg),
            CallInput::LegRinging(_) => {}
            CallInput::LegAnswered(leg) => self.on_leg_answered(leg, now),
            CallInput::LegFailed(leg, result) => self.leg_failed(&leg, result, now),
            CallInput::CommandFailed(leg) => self.leg_failed(&leg, AttemptResult::Unavailable, now),
            CallInput::LegHungUp(leg, result) => self.on_leg_hung_up(&leg, result, now),
            CallInput::LegVanished(leg) => self.on_leg_vanished(&leg, now),
            CallInput::QueueOffer(specialists) => self.on_queue_offer(specialists, now),
            CallInput::QueuePosition(position) => self.on_queue_position(position),
            CallInput::QueueCallbackOffer => self.on_callback_offer(),
            CallInput::QueueUnavailable => self.on_queue_unavailable(now),
            CallInput::LegDtmf(leg, key) => self.on_leg_dtmf(&leg, key, now),
            // Resolved by the driver into `handle_refer`; unresolved, it is refused.
            CallInput::LegRefer { leg, .. } => {
                self.commands.push_back(CallCommand::TransferProgress {
                    leg,
                    state: "channel_declined",
                });
            }
        }
    }

    // ----- ids ----------------------------------------------------------------------

    fn new_playback_id(&mut self) -> PlaybackId {
        self.next_id += 1;
        PlaybackId(format!("{}-play{}", self.start.caller, self.next_id))
    }

    fn new_leg_id(&mut self) -> ChannelId {
        self.next_id += 1;
        ChannelId(format!("{}-leg{}", self.start.caller, self.next_id))
    }
}
