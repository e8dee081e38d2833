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
//! Answering ─▶ Menu ──digit──▶ (Decide) ──automatic──▶ Hunting(staff) ──answer──▶ Connected
//!               │ ▲  invalid/none   │                       │ all failed               │
//!               └─┘ (N attempts)    └─manual, after hours,──▶ Hunting(specialists) ───┘
//!                                     unknown, nobody ──────▶
//! ```
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
//! The machine: this file, the [`Call`] struct, its private state and the phases of
//! the call in one `impl Call`.

mod command;
mod ids;
mod input;
mod journal;
mod settings;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

pub use command::{CallCommand, QueueRequest};
pub use ids::{BridgeId, ChannelId, PlaybackId};
pub use input::{CallInput, CallStart, OfferedSpecialist, TransferRefused, TransferRequest};
pub use journal::{AttemptResult, CallOutcome, Callee, JournalEntry, TransferOrigin};
pub use settings::{CallSettings, sounds};

use crate::routing::{
    Decision, DecisionMode, DialTarget, HuntStrategy, LineNumber, MenuChoice, SpecialistId,
    TopicCode,
};

/// Where the call is in its life; see the module doc for the picture.
#[derive(Clone, Debug, PartialEq)]
enum State {
    /// Answered, menu playing or waiting for a digit.
    Menu {
        /// The menu playback, while it plays.
        playback: Option<PlaybackId>,
        /// When we stop waiting for a digit; set once the menu finished playing.
        digit_deadline: Option<DateTime<Utc>>,
    },
    /// Waiting for the routing decision.
    Deciding,
    /// Announcing the decision before dialling.
    Announcing {
        /// The announcement playback.
        playback: PlaybackId,
        /// Who will be dialled once it finishes.
        hunt: Hunt,
    },
    /// Dialling callees.
    Hunting(Hunt),
    /// A consultation: the specialist talks to the staff member in a second bridge,
    /// the caller waits on music in theirs; see [`Call::complete_consultation`].
    Consulting {
        /// The staff member's leg.
        staff: Leg,
        /// The specialist's and the staff member's bridge.
        consult_bridge: BridgeId,
    },
    /// Caller and callee are bridged.
    Connected {
        /// The leg that answered.
        leg: ChannelId,
        /// The bridge.
        bridge: BridgeId,
    },
    /// A last word to the caller (sorry, or callback registered), then hanging up.
    Leaving {
        /// The goodbye playback.
        playback: PlaybackId,
        /// How the call ends.
        outcome: CallOutcome,
        /// Hang up even if the playback never reports its end.
        deadline: DateTime<Utc>,
    },
    /// Over; the driver can drop the call once the command queue is drained.
    Finished,
}

/// One callee a hunt may dial.
#[derive(Clone, Debug, PartialEq)]
struct Target {
    callee: Callee,
    endpoint: DialTarget,
}

/// An ongoing attempt at one callee.
#[derive(Clone, Debug, PartialEq)]
struct Leg {
    id: ChannelId,
    callee: Callee,
    /// Where it rings.
    endpoint: DialTarget,
    /// When we give up on it ourselves if Asterisk has not.
    deadline: DateTime<Utc>,
    /// Asterisk's ring timeout for it.
    timeout_seconds: u32,
    /// Whether `DialLeg` was sent (the leg entered the app).
    dialled: bool,
}

/// Dialling a list of callees by a strategy.
#[derive(Clone, Debug, PartialEq)]
struct Hunt {
    /// Staff (may fall back to specialists) or specialists (may retry rounds).
    kind: HuntKind,
    /// Everyone to dial, in order.
    targets: Vec<Target>,
    /// Index of the next target to dial (sequential strategies).
    next: usize,
    /// Ring everyone at once instead of one after another.
    ring_all: bool,
    /// Per-attempt timeout.
    attempt_timeout_seconds: u32,
    /// Legs currently ringing.
    legs: Vec<Leg>,
    /// For specialists: which round of ringing this is (1-based).
    round: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HuntKind {
    Staff,
    Specialists,
    /// Waiting in the specialists' queue: only the specialists it offers are dialled,
    /// and a failed offer means waiting for the next one.
    Queue,
    /// A specialist's transfer to staff: the caller waits in the bridge with music,
    /// the specialist aside; see [`Transfer`].
    Transfer,
}

/// A transfer in progress (with a [`HuntKind::Transfer`] hunt).
#[derive(Clone, Debug, PartialEq)]
struct Transfer {
    /// Its number within the call, for the journal.
    number: u32,
    /// The caller's bridge, where the caller waits.
    bridge: BridgeId,
    /// The specialist's leg, aside; `None` once they hung up.
    specialist: Option<ChannelId>,
    /// Who the specialist is and their phone, for when they get the caller back.
    specialist_target: Target,
    /// Console, code or REFER (a REFER is told how it went).
    origin: TransferOrigin,
    /// Consult before handing the caller over.
    consult: bool,
}

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

impl Call {
    /// A new call that has just entered Stasis: answers and plays the line's menu.
    pub fn new(start: CallStart, settings: CallSettings, now: DateTime<Utc>) -> Self {
        let hard_deadline = now + settings.max_call_duration;
        let mut call = Self {
            start,
            settings,
            state: State::Finished,
            commands: VecDeque::new(),
            decision: None,
            fallback: Vec::new(),
            next_id: 0,
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
        let greeting = call.start.greeting_prompt.clone();
        call.offer_menu(greeting.as_deref());
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

    // ----- menu -------------------------------------------------------------------

    fn offer_menu(&mut self, preface: Option<&str>) {
        self.menus_offered += 1;
        let playback = self.new_playback_id();
        let mut sounds = Vec::new();
        if let Some(preface) = preface {
            sounds.push(preface.to_owned());
        }
        sounds.push(self.start.menu_prompt.clone());
        self.commands.push_back(CallCommand::Play {
            playback: playback.clone(),
            sounds,
        });
        self.state = State::Menu {
            playback: Some(playback),
            digit_deadline: None,
        };
    }

    fn on_digit(&mut self, digit: char, now: DateTime<Utc>) {
        if self.is_queued() {
            if self.callback_offered && digit == sounds::CALLBACK_DIGIT {
                self.callback_requested(now);
            }
            return;
        }
        let State::Menu { playback, .. } = &self.state else {
            // Digits outside the menu (while ringing, connected) are not ours.
            return;
        };
        if let Some(playback) = playback.clone() {
            self.commands.push_back(CallCommand::StopPlayback(playback));
        }
        self.state = State::Deciding;
        self.commands
            .push_back(CallCommand::Decide(MenuChoice::Digit(digit)));
    }

    /// No digit or an invalid one: offer the menu again, or give up to specialists.
    fn menu_failed(&mut self, preface: &str, choice: MenuChoice) {
        if self.menus_offered < self.start.menu_attempts {
            self.offer_menu(Some(preface));
        } else {
            self.state = State::Deciding;
            self.commands.push_back(CallCommand::Decide(choice));
        }
    }

    fn on_playback_finished(&mut self, id: &PlaybackId, now: DateTime<Utc>) {
        match &mut self.state {
            State::Menu {
                playback,
                digit_deadline,
                ..
            } if playback.as_ref() == Some(id) => {
                *playback = None;
                *digit_deadline =
                    Some(now + Duration::seconds(i64::from(self.start.digit_timeout_seconds)));
            }
            State::Leaving {
                playback, outcome, ..
            } if playback == id => {
                let outcome = *outcome;
                self.hang_up(outcome, now);
            }
            State::Hunting(_) if self.queue_playback.as_ref() == Some(id) => {
                self.queue_playback = None;
                self.hold();
            }
            State::Announcing { playback, .. } if playback == id => {
                let State::Announcing { hunt, .. } =
                    std::mem::replace(&mut self.state, State::Finished)
                else {
                    unreachable!("matched above")
                };
                self.start_hunt(hunt, now);
            }
            _ => {}
        }
    }

    // ----- decision ---------------------------------------------------------------

    /// The routing decision the call asked for with [`CallCommand::Decide`].
    pub fn handle_decision(&mut self, now: DateTime<Utc>, decision: Decision) {
        if self.state != State::Deciding {
            return;
        }
        let mode = decision.mode;
        if mode == DecisionMode::InvalidDigit && self.menus_offered < self.start.menu_attempts {
            // Not a decision yet: the caller gets the menu again.
            self.offer_menu(Some(sounds::INVALID_CHOICE));
            return;
        }
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::Routed {
                topic: decision.topic.as_ref().map(|t| t.code.clone()),
                mode: decision.mode,
                reason: decision.reason.texts().to_string(),
                at: now,
            }));
        self.fallback = decision
            .fallback
            .iter()
            .map(|s| Target {
                callee: Callee::Specialist {
                    id: s.id,
                    name: s.full_name.clone(),
                },
                endpoint: s.endpoint.clone(),
            })
            .collect();
        let staff_hunt =
            (mode == DecisionMode::Automatic && !decision.candidates.is_empty()).then(|| Hunt {
                kind: HuntKind::Staff,
                targets: decision
                    .candidates
                    .iter()
                    .map(|c| Target {
                        callee: Callee::Staff {
                            id: c.staff.id,
                            name: c.staff.full_name.clone(),
                        },
                        endpoint: c.staff.endpoint.clone(),
                    })
                    .collect(),
                next: 0,
                ring_all: decision.strategy == Some(HuntStrategy::RingAll),
                attempt_timeout_seconds: decision.attempt_timeout_seconds.unwrap_or(20),
                legs: Vec::new(),
                round: 1,
            });
        self.decision = Some(decision);

        match (mode, staff_hunt) {
            (_, Some(hunt)) => self.announce(sounds::CONNECTING_STAFF, hunt, now),
            (DecisionMode::AfterHours, None) => {
                let hunt = self.specialist_hunt(1);
                self.announce(sounds::AFTER_HOURS, hunt, now);
            }
            (_, None) => {
                let hunt = self.specialist_hunt(1);
                self.announce(sounds::CONNECTING_SPECIALIST, hunt, now);
            }
        }
    }

    // ----- hunting ----------------------------------------------------------------

    /// Plays a short announcement, then dials `hunt`; the caller hears ringing after.
    fn announce(&mut self, sound: &str, hunt: Hunt, now: DateTime<Utc>) {
        if !self.settings.announce_transfers {
            self.start_hunt(hunt, now);
            return;
        }
        self.silence();
        let playback = self.new_playback_id();
        self.commands.push_back(CallCommand::Play {
            playback: playback.clone(),
            sounds: vec![sound.to_owned()],
        });
        self.state = State::Announcing { playback, hunt };
    }

    /// The specialists' turn: the queue when it is on (first round), else ring-all.
    fn specialist_hunt(&self, round: u32) -> Hunt {
        let queue = self.settings.specialist_queue && round == 1;
        Hunt {
            kind: if queue {
                HuntKind::Queue
            } else {
                HuntKind::Specialists
            },
            targets: if queue {
                Vec::new()
            } else {
                self.fallback.clone()
            },
            next: 0,
            ring_all: true,
            attempt_timeout_seconds: u32::try_from(
                self.settings.specialist_ring_timeout.num_seconds(),
            )
            .unwrap_or(30),
            legs: Vec::new(),
            round,
        }
    }

    fn start_hunt(&mut self, hunt: Hunt, now: DateTime<Utc>) {
        if hunt.kind == HuntKind::Queue {
            self.state = State::Hunting(hunt);
            self.enter_queue(now);
            return;
        }
        if !self.ringing {
            self.ringing = true;
            self.commands.push_back(CallCommand::StartRinging);
        }
        self.state = State::Hunting(hunt);
        self.dial_more(now);
    }

    /// Dials the next target (or all of them for ring-all); when nobody is left to
    /// dial and nothing rings, moves on: staff → specialists → next round → failure.
    fn dial_more(&mut self, now: DateTime<Utc>) {
        let State::Hunting(hunt) = &mut self.state else {
            return;
        };
        let batch = if hunt.ring_all {
            hunt.targets.len() - hunt.next
        } else if hunt.legs.is_empty() {
            usize::from(hunt.next < hunt.targets.len())
        } else {
            0
        };
        let to_dial: Vec<Target> = hunt.targets[hunt.next..hunt.next + batch].to_vec();
        hunt.next += batch;
        let timeout = hunt.attempt_timeout_seconds;
        for target in to_dial {
            self.dial(target, timeout, now);
        }
        let State::Hunting(hunt) = &self.state else {
            return;
        };
        if hunt.legs.is_empty() && hunt.next >= hunt.targets.len() {
            self.hunt_exhausted(now);
        }
    }

    fn dial(&mut self, target: Target, timeout_seconds: u32, now: DateTime<Utc>) {
        let leg = self.new_leg_id();
        let caller_name = self
            .decision
            .as_ref()
            .and_then(|d| d.topic.as_ref())
            .map_or_else(
                || format!("Линия {}", self.start.line),
                |t| t.name_ru.clone(),
            );
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptStarted {
                leg: leg.clone(),
                callee: target.callee.clone(),
                target: target.endpoint.clone(),
                at: now,
            }));
        self.commands.push_back(CallCommand::CreateLeg {
            leg: leg.clone(),
            target: target.endpoint.clone(),
            caller_number: self.start.caller_number.clone(),
            caller_name,
        });
        let deadline =
            now + Duration::seconds(i64::from(timeout_seconds)) + self.settings.attempt_grace;
        if let State::Hunting(hunt) = &mut self.state {
            hunt.legs.push(Leg {
                id: leg,
                callee: target.callee,
                endpoint: target.endpoint.clone(),
                deadline,
                timeout_seconds,
                dialled: false,
            });
        }
    }

    /// A created leg entered the app: dial it (once). A leg the call no longer
    /// waits for (its create timed out and Asterisk made it late, or the hunt moved
    /// on) is hung up, or it would stay in Stasis for ever.
    fn on_leg_ready(&mut self, leg: &ChannelId) {
        let hunting = match &mut self.state {
            State::Hunting(hunt) => hunt.legs.iter_mut().find(|l| &l.id == leg),
            _ => None,
        };
        let Some(ready) = hunting else {
            self.commands.push_back(CallCommand::HangupLeg(leg.clone()));
            return;
        };
        if ready.dialled {
            return;
        }
        ready.dialled = true;
        let timeout_seconds = ready.timeout_seconds;
        self.commands.push_back(CallCommand::DialLeg {
            leg: leg.clone(),
            timeout_seconds,
        });
    }

    fn hunt_exhausted(&mut self, now: DateTime<Utc>) {
        let State::Hunting(hunt) = &self.state else {
            return;
        };
        let (kind, round) = (hunt.kind, hunt.round);
        let has_specialists = !self.fallback.is_empty();
        match kind {
            // Waiting for the queue's next offer.
            HuntKind::Queue => {}
            HuntKind::Transfer => self.transfer_failed(now),
            HuntKind::Staff if has_specialists => {
                let hunt = self.specialist_hunt(1);
                self.announce(sounds::ALL_BUSY, hunt, now);
            }
            HuntKind::Specialists if has_specialists && round < self.settings.specialist_rounds => {
                let hunt = self.specialist_hunt(round + 1);
                self.start_hunt(hunt, now);
            }
            _ => self.fail(now),
        }
    }

    /// Removes a ringing leg after it failed, journals why, and dials on.
    fn leg_failed(&mut self, leg: &ChannelId, result: AttemptResult, now: DateTime<Utc>) {
        let State::Hunting(hunt) = &mut self.state else {
            return;
        };
        let Some(index) = hunt.legs.iter().position(|l| &l.id == leg) else {
            return;
        };
        let failed = hunt.legs.remove(index);
        let queued = hunt.kind == HuntKind::Queue;
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptEnded {
                leg: leg.clone(),
                result,
                at: now,
            }));
        if let (true, Callee::Specialist { id, .. }) = (queued, failed.callee) {
            self.commands
                .push_back(CallCommand::Queue(QueueRequest::OfferFailed(id)));
        }
        self.dial_more(now);
    }

    fn on_leg_answered(&mut self, leg: ChannelId, now: DateTime<Utc>) {
        if matches!(&self.state, State::Connected { leg: connected, .. } if *connected == leg) {
            return; // the same answer reported twice
        }
        let State::Hunting(hunt) = &mut self.state else {
            // Answered too late (the caller left, someone else won): hang it up.
            self.commands.push_back(CallCommand::HangupLeg(leg));
            return;
        };
        let Some(index) = hunt.legs.iter().position(|l| l.id == leg) else {
            self.commands.push_back(CallCommand::HangupLeg(leg));
            return;
        };
        let winner = hunt.legs.remove(index);
        let losers = std::mem::take(&mut hunt.legs);
        let kind = hunt.kind;
        if kind == HuntKind::Transfer {
            for loser in losers {
                self.cancel_leg(loser.id, now);
            }
            self.transfer_answered(winner, now);
            return;
        }
        if let (HuntKind::Queue, Callee::Specialist { id, .. }) = (kind, &winner.callee) {
            self.queue_specialist = Some(*id);
            self.commands
                .push_back(CallCommand::Queue(QueueRequest::OfferAnswered(*id)));
            if let Some(playback) = self.queue_playback.take() {
                self.commands.push_back(CallCommand::StopPlayback(playback));
            }
        }
        for loser in losers {
            self.cancel_leg(loser.id, now);
        }
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptEnded {
                leg: winner.id.clone(),
                result: AttemptResult::Answered,
                at: now,
            }));
        self.silence();
        let bridge = BridgeId(format!("{}-bridge", self.start.caller));
        self.commands.push_back(CallCommand::Bridge {
            bridge: bridge.clone(),
            leg: winner.id.clone(),
            // A specialist's keys (`*1`) must reach us: no native RTP bridging.
            dtmf_events: kind != HuntKind::Staff,
        });
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::Answered {
                leg: winner.id.clone(),
                at: now,
            }));
        self.answered_by = Some(kind);
        self.connected = Some(Target {
            callee: winner.callee,
            endpoint: winner.endpoint,
        });
        self.state = State::Connected {
            leg: winner.id,
            bridge,
        };
    }

    fn on_leg_hung_up(&mut self, leg: &ChannelId, result: AttemptResult, now: DateTime<Utc>) {
        match &self.state {
            State::Connected { leg: connected, .. } if connected == leg => {
                let outcome = self
                    .answered_outcome()
                    .unwrap_or(CallOutcome::AnsweredByStaff);
                self.hang_up(outcome, now);
            }
            // The specialist who stepped aside hung up: the transfer goes on.
            State::Hunting(_)
                if self.transfer.as_ref().and_then(|t| t.specialist.as_ref()) == Some(leg) =>
            {
                if let Some(transfer) = &mut self.transfer {
                    transfer.specialist = None;
                }
                self.specialist_free();
            }
            // A ringing leg that vanished without a Dial status first.
            State::Hunting(_) => self.leg_failed(leg, result, now),
            // The staff member hung up while consulting: the specialist gets the caller.
            State::Consulting { staff, .. } if staff.id == *leg => {
                self.end_consultation(false, now);
            }
            // The specialist hung up while consulting: the transfer completes.
            State::Consulting { .. }
                if self.transfer.as_ref().and_then(|t| t.specialist.as_ref()) == Some(leg) =>
            {
                if let Some(transfer) = &mut self.transfer {
                    transfer.specialist = None;
                }
                self.end_consultation(true, now);
            }
            _ => {}
        }
    }

    /// The outcome of a call someone answered: by who answered last.
    fn answered_outcome(&self) -> Option<CallOutcome> {
        self.answered_by.map(|kind| match kind {
            HuntKind::Staff | HuntKind::Transfer => CallOutcome::AnsweredByStaff,
            HuntKind::Specialists | HuntKind::Queue => CallOutcome::AnsweredBySpecialist,
        })
    }

    fn cancel_leg(&mut self, leg: ChannelId, now: DateTime<Utc>) {
        self.commands.push_back(CallCommand::HangupLeg(leg.clone()));
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptEnded {
                leg,
                result: AttemptResult::Cancelled,
                at: now,
            }));
    }

    /// Nobody could take the call: release everything, say sorry, then hang up.
    fn fail(&mut self, now: DateTime<Utc>) {
        self.release(now);
        self.leave_with(sounds::SORRY_GOODBYE, CallOutcome::Failed, now);
    }

    /// Plays a last word to the caller, then hangs up with `outcome` (also if the
    /// playback never reports its end).
    fn leave_with(&mut self, sound: &str, outcome: CallOutcome, now: DateTime<Utc>) {
        let playback = self.new_playback_id();
        self.commands.push_back(CallCommand::Play {
            playback: playback.clone(),
            sounds: vec![sound.to_owned()],
        });
        self.state = State::Leaving {
            playback,
            outcome,
            deadline: now + Duration::seconds(20),
        };
    }

    /// Ends the call from our side: release everything and hang up the caller.
    fn hang_up(&mut self, outcome: CallOutcome, now: DateTime<Utc>) {
        self.release(now);
        self.commands.push_back(CallCommand::HangupCaller);
        self.ended(outcome, now);
    }

    /// Cancels ringing legs, ends the connected callee and destroys the bridge.
    fn release(&mut self, now: DateTime<Utc>) {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Hunting(hunt) => {
                for leg in hunt.legs {
                    self.cancel_leg(leg.id, now);
                }
                if hunt.kind == HuntKind::Queue {
                    self.commands
                        .push_back(CallCommand::Queue(QueueRequest::Leave));
                }
                self.abandon_transfer(now);
            }
            State::Announcing { hunt, .. } => {
                for leg in hunt.legs {
                    self.cancel_leg(leg.id, now);
                }
            }
            State::Consulting {
                staff,
                consult_bridge,
            } => {
                self.commands.push_back(CallCommand::HangupLeg(staff.id));
                self.commands
                    .push_back(CallCommand::DestroyBridge(consult_bridge));
                self.abandon_transfer(now);
            }
            State::Connected { leg, bridge } => {
                self.commands.push_back(CallCommand::HangupLeg(leg));
                self.commands.push_back(CallCommand::DestroyBridge(bridge));
                self.specialist_free();
            }
            State::Menu { .. } | State::Deciding | State::Leaving { .. } | State::Finished => {}
        }
    }

    /// The caller left during a transfer: the specialist waiting aside is released
    /// with the caller's bridge, and the transfer journaled as abandoned.
    fn abandon_transfer(&mut self, now: DateTime<Utc>) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        if let Some(specialist) = transfer.specialist {
            self.commands.push_back(CallCommand::HangupLeg(specialist));
        }
        self.commands
            .push_back(CallCommand::DestroyBridge(transfer.bridge));
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::TransferEnded {
                number: transfer.number,
                result: "abandoned",
                answered_target: None,
                at: now,
            }));
        self.specialist_free();
    }

    fn ended(&mut self, outcome: CallOutcome, now: DateTime<Utc>) {
        self.state = State::Finished;
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::Ended {
                outcome,
                at: now,
            }));
    }

    // ----- transfers -----------------------------------------------------------------

    /// A specialist asks to transfer the caller (console or phone). Checked here, so
    /// the console gets a clear refusal; the staff are chosen by
    /// [`Call::handle_transfer_decision`].
    pub fn request_transfer(
        &mut self,
        now: DateTime<Utc>,
        request: TransferRequest,
    ) -> Result<(), TransferRefused> {
        if !matches!(self.state, State::Connected { .. }) || self.pending_transfer.is_some() {
            return Err(TransferRefused::NotWithSpecialist);
        }
        let Some(Target {
            callee: Callee::Specialist { id, .. },
            endpoint,
        }) = &self.connected
        else {
            return Err(TransferRefused::NotWithSpecialist);
        };
        if request.by.is_some_and(|by| by != *id) {
            return Err(TransferRefused::NotYourCall);
        }
        let own_topic = self
            .decision
            .as_ref()
            .and_then(|d| d.topic.as_ref())
            .map(|t| t.code.clone());
        let topic = request
            .topic
            .clone()
            .or(own_topic)
            .ok_or(TransferRefused::NoTopic)?;
        let from_target = Some(endpoint.clone());
        self.transfers += 1;
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::TransferStarted {
                number: self.transfers,
                origin: request.origin,
                topic: topic.clone(),
                from_target,
                console_user: request.console_user,
                at: now,
            }));
        self.pending_transfer = Some(request);
        self.commands.push_back(CallCommand::DecideTransfer(topic));
        Ok(())
    }

    /// The routing decision for a transfer: ring the topic's staff on duty (or the
    /// one chosen), the caller on music in the bridge, the specialist aside. Nobody
    /// on duty: the transfer fails at once and the specialist keeps the caller.
    pub fn handle_transfer_decision(&mut self, now: DateTime<Utc>, decision: Decision) {
        let Some(request) = self.pending_transfer.take() else {
            return;
        };
        let (State::Connected { leg, bridge }, Some(specialist_target)) =
            (&self.state, self.connected.clone())
        else {
            return;
        };
        let (specialist, bridge) = (leg.clone(), bridge.clone());
        let only = request.staff;
        let targets: Vec<Target> = decision
            .candidates
            .iter()
            .filter(|c| only.is_none_or(|id| c.staff.id == id))
            .take(crate::routing::MAX_CANDIDATES)
            .map(|c| Target {
                callee: Callee::Staff {
                    id: c.staff.id,
                    name: c.staff.full_name.clone(),
                },
                endpoint: c.staff.endpoint.clone(),
            })
            .collect();
        let transfer = Transfer {
            number: self.transfers,
            bridge: bridge.clone(),
            specialist: Some(specialist.clone()),
            origin: request.origin,
            consult: request.consult,
            specialist_target,
        };
        if targets.is_empty() {
            self.commands
                .push_back(CallCommand::Journal(JournalEntry::TransferEnded {
                    number: transfer.number,
                    result: "failed",
                    answered_target: None,
                    at: now,
                }));
            self.tell_refer(&transfer, "channel_unavailable");
            return;
        }
        self.tell_refer(&transfer, "channel_progress");
        self.commands.push_back(CallCommand::RemoveFromBridge {
            bridge: bridge.clone(),
            channel: specialist,
        });
        self.commands
            .push_back(CallCommand::StartBridgeMusic(bridge));
        self.transfer = Some(transfer);
        let hunt = Hunt {
            kind: HuntKind::Transfer,
            targets,
            next: 0,
            ring_all: decision.strategy == Some(HuntStrategy::RingAll),
            attempt_timeout_seconds: decision.attempt_timeout_seconds.unwrap_or(20),
            legs: Vec::new(),
            round: 1,
        };
        self.state = State::Hunting(hunt);
        self.dial_more(now);
    }

    /// A staff member answered the transfer: they join the caller, the specialist
    /// is released.
    fn transfer_answered(&mut self, winner: Leg, now: DateTime<Utc>) {
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptEnded {
                leg: winner.id.clone(),
                result: AttemptResult::Answered,
                at: now,
            }));
        let consult_with = self
            .transfer
            .as_ref()
            .filter(|t| t.consult)
            .and_then(|t| t.specialist.clone());
        if let Some(specialist) = consult_with {
            let consult_bridge = BridgeId(format!("{}-consult", self.start.caller));
            self.commands.push_back(CallCommand::BridgeLegs {
                bridge: consult_bridge.clone(),
                legs: vec![specialist, winner.id.clone()],
            });
            self.state = State::Consulting {
                staff: winner,
                consult_bridge,
            };
            return;
        }
        self.join_staff(winner, now);
    }

    /// The staff member takes the caller: into the caller's bridge, the specialist
    /// released, the transfer journaled as answered.
    fn join_staff(&mut self, winner: Leg, now: DateTime<Utc>) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        self.commands
            .push_back(CallCommand::StopBridgeMusic(transfer.bridge.clone()));
        self.commands.push_back(CallCommand::AddToBridge {
            bridge: transfer.bridge.clone(),
            channel: winner.id.clone(),
        });
        self.tell_refer(&transfer, "channel_answered");
        if let Some(specialist) = transfer.specialist {
            self.commands.push_back(CallCommand::HangupLeg(specialist));
        }
        self.specialist_free();
        let answered_target = Some(winner.endpoint.clone());
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::TransferEnded {
                number: transfer.number,
                result: "answered",
                answered_target,
                at: now,
            }));
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::Answered {
                leg: winner.id.clone(),
                at: now,
            }));
        self.answered_by = Some(HuntKind::Staff);
        self.connected = Some(Target {
            callee: winner.callee,
            endpoint: winner.endpoint,
        });
        self.state = State::Connected {
            leg: winner.id,
            bridge: transfer.bridge,
        };
    }

    /// Nobody took the transfer: the specialist gets the caller back; if they left,
    /// the caller waits for a specialist again.
    fn transfer_failed(&mut self, now: DateTime<Utc>) {
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::TransferEnded {
                number: transfer.number,
                result: "failed",
                answered_target: None,
                at: now,
            }));
        self.commands
            .push_back(CallCommand::StopBridgeMusic(transfer.bridge.clone()));
        self.tell_refer(&transfer, "channel_declined");
        match transfer.specialist {
            Some(specialist) => {
                self.commands.push_back(CallCommand::AddToBridge {
                    bridge: transfer.bridge.clone(),
                    channel: specialist.clone(),
                });
                self.connected = Some(transfer.specialist_target);
                self.state = State::Connected {
                    leg: specialist,
                    bridge: transfer.bridge,
                };
            }
            None => {
                self.commands
                    .push_back(CallCommand::DestroyBridge(transfer.bridge));
                self.answered_by = None;
                self.connected = None;
                let hunt = self.specialist_hunt(1);
                self.start_hunt(hunt, now);
            }
        }
    }

    /// The specialist consulted and hands the caller over (console, or by hanging
    /// up): the staff member joins the caller, the specialist is released.
    pub fn complete_consultation(&mut self, now: DateTime<Utc>) -> Result<(), TransferRefused> {
        if !matches!(self.state, State::Consulting { .. }) {
            return Err(TransferRefused::NotConsulting);
        }
        self.end_consultation(true, now);
        Ok(())
    }

    /// The specialist consulted and keeps the caller: the staff member is hung up,
    /// the specialist is back with the caller.
    pub fn cancel_consultation(&mut self, now: DateTime<Utc>) -> Result<(), TransferRefused> {
        if !matches!(self.state, State::Consulting { .. }) {
            return Err(TransferRefused::NotConsulting);
        }
        self.end_consultation(false, now);
        Ok(())
    }

    fn end_consultation(&mut self, complete: bool, now: DateTime<Utc>) {
        let State::Consulting {
            staff,
            consult_bridge,
        } = std::mem::replace(&mut self.state, State::Finished)
        else {
            return;
        };
        self.commands
            .push_back(CallCommand::DestroyBridge(consult_bridge));
        let specialist_left = self
            .transfer
            .as_ref()
            .is_none_or(|t| t.specialist.is_none());
        if complete || specialist_left {
            self.join_staff(staff, now);
            return;
        }
        self.commands
            .push_back(CallCommand::HangupLeg(staff.id.clone()));
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::TransferEnded {
                number: self.transfer.as_ref().map_or(0, |t| t.number),
                result: "cancelled",
                answered_target: Some(staff.endpoint),
                at: now,
            }));
        let Some(transfer) = self.transfer.take() else {
            return;
        };
        self.commands
            .push_back(CallCommand::StopBridgeMusic(transfer.bridge.clone()));
        let specialist = transfer.specialist.expect("checked above");
        self.commands.push_back(CallCommand::AddToBridge {
            bridge: transfer.bridge.clone(),
            channel: specialist.clone(),
        });
        self.connected = Some(transfer.specialist_target);
        self.state = State::Connected {
            leg: specialist,
            bridge: transfer.bridge,
        };
    }

    /// Tells the phone that sent a REFER how its transfer goes.
    fn tell_refer(&mut self, transfer: &Transfer, state: &'static str) {
        if let (TransferOrigin::Refer, Some(leg)) = (transfer.origin, &transfer.specialist) {
            self.commands.push_back(CallCommand::TransferProgress {
                leg: leg.clone(),
                state,
            });
        }
    }

    /// The topic the caller chose, if any (a REFER to a staff member's phone
    /// transfers on it).
    pub fn topic(&self) -> Option<&TopicCode> {
        self.decision
            .as_ref()
            .and_then(|d| d.topic.as_ref())
            .map(|t| &t.code)
    }

    /// A REFER from `leg`, resolved by the driver: accepted only from the connected
    /// specialist; a refused one is declined at once.
    pub fn handle_refer(&mut self, now: DateTime<Utc>, leg: ChannelId, request: TransferRequest) {
        // Asterisk reports one REFER once per object the app watches (the leg, the
        // caller, the bridge): the copies of a REFER already being carried out are
        // not a second request.
        let same_refer_running = self
            .pending_transfer
            .as_ref()
            .is_some_and(|r| r.origin == TransferOrigin::Refer)
            || self.transfer.as_ref().is_some_and(|t| {
                t.origin == TransferOrigin::Refer && t.specialist.as_ref() == Some(&leg)
            });
        if same_refer_running {
            return;
        }
        let connected = matches!(&self.state, State::Connected { leg: l, .. } if *l == leg);
        let accepted = connected && self.request_transfer(now, request).is_ok();
        if !accepted {
            self.commands.push_back(CallCommand::TransferProgress {
                leg,
                state: "channel_declined",
            });
        }
    }

    /// The specialist who had the call is free (queue calls only: the queue knows
    /// nothing of specialists rung directly).
    fn specialist_free(&mut self) {
        if let Some(id) = self.queue_specialist.take() {
            self.commands
                .push_back(CallCommand::Queue(QueueRequest::SpecialistFree(id)));
        }
    }

    /// `*1` on the specialist's phone: transfer to the call's topic by the policy.
    fn on_leg_dtmf(&mut self, leg: &ChannelId, key: char, now: DateTime<Utc>) {
        let State::Connected { leg: connected, .. } = &self.state else {
            return;
        };
        if connected != leg {
            return;
        }
        let previous = self.leg_key.replace((key, now));
        let star_one = key == '1'
            && previous.is_some_and(|(k, at)| k == '*' && now - at <= Duration::seconds(3));
        if !star_one {
            return;
        }
        self.leg_key = None;
        let by = match &self.connected {
            Some(Target {
                callee: Callee::Specialist { id, .. },
                ..
            }) => Some(*id),
            _ => return,
        };
        let request = TransferRequest {
            topic: None,
            staff: None,
            origin: TransferOrigin::FeatureCode,
            by,
            console_user: None,
            consult: false,
        };
        // A refused code (no topic, a transfer already going) changes nothing.
        let _ = self.request_transfer(now, request);
    }

    // ----- the specialists' queue -----------------------------------------------------

    fn is_queued(&self) -> bool {
        matches!(&self.state, State::Hunting(hunt) if hunt.kind == HuntKind::Queue)
    }

    /// The caller starts waiting: music, and the queue is told (with what the
    /// console shows of the call).
    fn enter_queue(&mut self, now: DateTime<Utc>) {
        self.hold();
        let topic = self.decision.as_ref().and_then(|d| d.topic.as_ref());
        let (topic, topic_code) = (
            topic.map(|t| t.name_ru.clone()),
            topic.map(|t| t.code.clone()),
        );
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::Queued { at: now }));
        self.commands
            .push_back(CallCommand::Queue(QueueRequest::Enqueue {
                line: self.start.line.clone(),
                caller_number: self.start.caller_number.clone(),
                topic,
                topic_code,
            }));
    }

    /// The queue offers the call: ring those specialists; the caller keeps the music.
    fn on_queue_offer(&mut self, specialists: Vec<OfferedSpecialist>, now: DateTime<Utc>) {
        let State::Hunting(hunt) = &mut self.state else {
            // The call moved on (left, connected): the queue hears about it anyway.
            return;
        };
        if hunt.kind != HuntKind::Queue {
            return;
        }
        hunt.targets.extend(specialists.into_iter().map(|s| Target {
            callee: Callee::Specialist {
                id: s.id,
                name: s.name,
            },
            endpoint: s.endpoint,
        }));
        self.dial_more(now);
    }

    fn on_queue_position(&mut self, position: usize) {
        let mut sounds = vec![sounds::QUEUE_POSITION.to_owned()];
        match sounds::number(position) {
            Some(number) => sounds.push(number),
            None => sounds = vec![sounds::QUEUE_THANKS.to_owned()],
        }
        self.queue_announcement(sounds);
    }

    fn on_callback_offer(&mut self) {
        if self.is_queued() {
            self.callback_offered = true;
        }
        self.queue_announcement(vec![sounds::CALLBACK_OFFER.to_owned()]);
    }

    /// Plays an announcement to a waiting caller over (instead of) the music.
    fn queue_announcement(&mut self, sounds: Vec<String>) {
        if !self.is_queued() || self.queue_playback.is_some() {
            return;
        }
        self.silence();
        let playback = self.new_playback_id();
        self.commands.push_back(CallCommand::Play {
            playback: playback.clone(),
            sounds,
        });
        self.queue_playback = Some(playback);
    }

    /// The caller pressed the callback digit: leave the queue, register the request,
    /// say so, hang up.
    fn callback_requested(&mut self, now: DateTime<Utc>) {
        if let Some(playback) = self.queue_playback.take() {
            self.commands.push_back(CallCommand::StopPlayback(playback));
        }
        self.release(now);
        self.silence();
        let topic = self.decision.as_ref().and_then(|d| d.topic.as_ref());
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::CallbackRequested {
                line: self.start.line.clone(),
                caller_number: self.start.caller_number.clone(),
                topic: topic.map(|t| t.code.clone()),
                organisation: topic.and_then(|t| t.agency.clone()),
                at: now,
            }));
        self.leave_with(
            sounds::CALLBACK_ACCEPTED,
            CallOutcome::CallbackRequested,
            now,
        );
    }

    /// Nobody works the queue: ring every specialist, as without a queue.
    fn on_queue_unavailable(&mut self, now: DateTime<Utc>) {
        let State::Hunting(hunt) = &self.state else {
            return;
        };
        if hunt.kind != HuntKind::Queue || !hunt.legs.is_empty() {
            return;
        }
        if let Some(playback) = self.queue_playback.take() {
            self.commands.push_back(CallCommand::StopPlayback(playback));
        }
        self.silence();
        let mut hunt = self.specialist_hunt(2);
        hunt.round = 1;
        hunt.kind = HuntKind::Specialists;
        self.start_hunt(hunt, now);
    }

    /// Music on hold for a waiting caller (after ringing or an announcement).
    fn hold(&mut self) {
        if self.ringing {
            self.ringing = false;
            self.commands.push_back(CallCommand::StopRinging);
        }
        if !self.on_hold {
            self.on_hold = true;
            self.commands.push_back(CallCommand::StartMusicOnHold);
        }
    }

    /// Stops ringing or music, whichever plays.
    fn silence(&mut self) {
        if self.ringing {
            self.ringing = false;
            self.commands.push_back(CallCommand::StopRinging);
        }
        if self.on_hold {
            self.on_hold = false;
            self.commands.push_back(CallCommand::StopMusicOnHold);
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
