//! Hunting: a short announcement, then dialling staff or specialists by the
//! strategy, leg by leg (create, dial when it enters the app, fail, answer), until one
//! answers and is bridged with the caller or nobody is left: staff fall back to
//! specialists, specialists ring again for a few rounds, then the call fails. It keeps
//! the legs in `State::Hunting`, and sets `answered_by` and `connected` on an answer.

use chrono::{DateTime, Duration, Utc};

use super::state::{Hunt, HuntKind, Leg, State, Target};
use super::{
    AttemptResult, BridgeId, Call, CallCommand, Callee, ChannelId, JournalEntry, QueueRequest,
    sounds,
};

impl Call {
    /// Plays a short announcement, then dials `hunt`; the caller hears ringing after.
    pub(super) fn announce(&mut self, sound: &str, hunt: Hunt, now: DateTime<Utc>) {
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
    pub(super) fn specialist_hunt(&self, round: u32) -> Hunt {
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

    pub(super) fn start_hunt(&mut self, hunt: Hunt, now: DateTime<Utc>) {
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
    pub(super) fn dial_more(&mut self, now: DateTime<Utc>) {
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
                second_try: false,
            });
        }
    }

    /// A leg Asterisk no longer has after a reconnection. One that never rang
    /// (Asterisk dropped it when the app's socket went away right after creating
    /// it) is created once more for the same callee: the callee never saw the
    /// first one. Any other ends as a hang-up with no known cause.
    pub(super) fn on_leg_vanished(&mut self, leg: &ChannelId, now: DateTime<Utc>) {
        let retry = match &mut self.state {
            State::Hunting(hunt) => hunt
                .legs
                .iter()
                .position(|l| &l.id == leg && !l.dialled && !l.second_try)
                .map(|index| hunt.legs.remove(index)),
            _ => None,
        };
        let Some(vanished) = retry else {
            self.on_leg_hung_up(leg, AttemptResult::Failed, now);
            return;
        };
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptEnded {
                leg: leg.clone(),
                result: AttemptResult::Failed,
                at: now,
            }));
        let target = Target {
            callee: vanished.callee,
            endpoint: vanished.endpoint,
        };
        self.dial(target, vanished.timeout_seconds, now);
        if let State::Hunting(hunt) = &mut self.state
            && let Some(replacement) = hunt.legs.last_mut()
        {
            replacement.second_try = true;
        }
    }

    /// A created leg entered the app: dial it (once). A leg the call no longer
    /// waits for (its create timed out and Asterisk made it late, or the hunt moved
    /// on) is hung up, or it would stay in Stasis for ever.
    pub(super) fn on_leg_ready(&mut self, leg: &ChannelId) {
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
    pub(super) fn leg_failed(
        &mut self,
        leg: &ChannelId,
        result: AttemptResult,
        now: DateTime<Utc>,
    ) {
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

    pub(super) fn on_leg_answered(&mut self, leg: ChannelId, now: DateTime<Utc>) {
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
        if self.start.record_calls {
            let name = format!("{}/{}", self.settings.recording_folder, self.start.caller);
            self.commands.push_back(CallCommand::RecordBridge {
                bridge: bridge.clone(),
                name: name.clone(),
            });
            self.commands
                .push_back(CallCommand::Journal(JournalEntry::RecordingStarted {
                    name,
                    at: now,
                }));
        }
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

    pub(super) fn cancel_leg(&mut self, leg: ChannelId, now: DateTime<Utc>) {
        self.commands.push_back(CallCommand::HangupLeg(leg.clone()));
        self.commands
            .push_back(CallCommand::Journal(JournalEntry::AttemptEnded {
                leg,
                result: AttemptResult::Cancelled,
                at: now,
            }));
    }
}
