//! The end of a call: hang-ups of either side, the last word before hanging up,
//! releasing ringing legs, the callee and the bridges, and the outcome journaled. It
//! owns no field: it takes `state` apart and leaves it `Finished`.

use chrono::{DateTime, Duration, Utc};

use super::state::{HuntKind, State};
use super::{
    AttemptResult, Call, CallCommand, CallOutcome, ChannelId, JournalEntry, QueueRequest, sounds,
};

impl Call {
    pub(super) fn on_leg_hung_up(
        &mut self,
        leg: &ChannelId,
        result: AttemptResult,
        now: DateTime<Utc>,
    ) {
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
    pub(super) fn answered_outcome(&self) -> Option<CallOutcome> {
        self.answered_by.map(|kind| match kind {
            HuntKind::Staff | HuntKind::Transfer => CallOutcome::AnsweredByStaff,
            HuntKind::Specialists | HuntKind::Queue => CallOutcome::AnsweredBySpecialist,
        })
    }

    /// Nobody could take the call: release everything, say sorry, then hang up.
    pub(super) fn fail(&mut self, now: DateTime<Utc>) {
        self.release(now);
        self.leave_with(sounds::SORRY_GOODBYE, CallOutcome::Failed, now);
    }

    /// Plays a last word to the caller, then hangs up with `outcome` (also if the
    /// playback never reports its end).
    pub(super) fn leave_with(&mut self, sound: &str, outcome: CallOutcome, now: DateTime<Utc>) {
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
    pub(super) fn hang_up(&mut self, outcome: CallOutcome, now: DateTime<Utc>) {
        self.release(now);
        self.commands.push_back(CallCommand::HangupCaller);
        self.ended(outcome, now);
    }

    /// Cancels ringing legs, ends the connected callee and destroys the bridge.
    pub(super) fn release(&mut self, now: DateTime<Utc>) {
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
            State::Notice { .. }
            | State::Menu { .. }
            | State::Deciding
            | State::Leaving { .. }
            | State::Finished => {}
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

    pub(super) fn ended(&mut self, outcome: CallOutcome, now: DateTime<Utc>) {
        self.state = State::Finished;
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::Ended {
                outcome,
                at: now,
            }));
    }
}
