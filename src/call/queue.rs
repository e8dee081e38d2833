//! Waiting for a specialist in the specialists' queue: music on hold, position and
//! callback announcements, the offers rung, and what the queue is told; also what a
//! waiting caller hears (ringing or music). Its fields on [`Call`]: `queue_playback`,
//! `callback_offered`, `queue_specialist`, and `ringing` and `on_hold`.

use chrono::{DateTime, Utc};

use super::state::{HuntKind, State, Target};
use super::{
    Call, CallCommand, CallOutcome, Callee, JournalEntry, OfferedSpecialist, QueueRequest, sounds,
};

impl Call {
    /// The specialist who had the call is free (queue calls only: the queue knows
    /// nothing of specialists rung directly).
    pub(super) fn specialist_free(&mut self) {
        if let Some(id) = self.queue_specialist.take() {
            self.commands
                .push_back(CallCommand::Queue(QueueRequest::SpecialistFree(id)));
        }
    }

    pub(super) fn is_queued(&self) -> bool {
        matches!(&self.state, State::Hunting(hunt) if hunt.kind == HuntKind::Queue)
    }

    /// The caller starts waiting: music, and the queue is told (with what the
    /// console shows of the call).
    pub(super) fn enter_queue(&mut self, now: DateTime<Utc>) {
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
    pub(super) fn on_queue_offer(
        &mut self,
        specialists: Vec<OfferedSpecialist>,
        now: DateTime<Utc>,
    ) {
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

    pub(super) fn on_queue_position(&mut self, position: usize) {
        let mut sounds = vec![sounds::QUEUE_POSITION.to_owned()];
        match sounds::number(position) {
            Some(number) => sounds.push(number),
            None => sounds = vec![sounds::QUEUE_THANKS.to_owned()],
        }
        self.queue_announcement(sounds);
    }

    pub(super) fn on_callback_offer(&mut self) {
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
    pub(super) fn callback_requested(&mut self, now: DateTime<Utc>) {
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
    pub(super) fn on_queue_unavailable(&mut self, now: DateTime<Utc>) {
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
    pub(super) fn hold(&mut self) {
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
    pub(super) fn silence(&mut self) {
        if self.ringing {
            self.ringing = false;
            self.commands.push_back(CallCommand::StopRinging);
        }
        if self.on_hold {
            self.on_hold = false;
            self.commands.push_back(CallCommand::StopMusicOnHold);
        }
    }
}
