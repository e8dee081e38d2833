//! The menu: the greeting and the line's menu, the caller's digits (or none), and the
//! routing decision they lead to, which picks the first hunt. Its own field on [`Call`]:
//! `menus_offered`; it sets `decision` and `fallback` for the phases after it.

use chrono::{DateTime, Duration, Utc};

use super::state::{Hunt, HuntKind, State, Target};
use super::{Call, CallCommand, Callee, JournalEntry, PlaybackId, sounds};
use crate::routing::{Decision, DecisionMode, HuntStrategy, MenuChoice};

impl Call {
    pub(super) fn offer_menu(&mut self, prefaces: &[String]) {
        self.menus_offered += 1;
        let playback = self.new_playback_id();
        let mut sounds = prefaces.to_vec();
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

    /// A recorded line's greeting and notice, which keys do not cut short.
    pub(super) fn play_notice(&mut self, greeting: Vec<String>) {
        let playback = self.new_playback_id();
        let mut sounds = greeting;
        sounds.push(sounds::RECORDING_NOTICE.to_owned());
        self.commands.push_back(CallCommand::Play {
            playback: playback.clone(),
            sounds,
        });
        self.state = State::Notice {
            playback,
            early_digit: None,
        };
    }

    pub(super) fn on_digit(&mut self, digit: char, now: DateTime<Utc>) {
        if let State::Notice { early_digit, .. } = &mut self.state {
            early_digit.get_or_insert(digit);
            return;
        }
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
    pub(super) fn menu_failed(&mut self, preface: &str, choice: MenuChoice) {
        if self.menus_offered < self.start.menu_attempts {
            self.offer_menu(&[preface.to_owned()]);
        } else {
            self.state = State::Deciding;
            self.commands.push_back(CallCommand::Decide(choice));
        }
    }

    pub(super) fn on_playback_finished(&mut self, id: &PlaybackId, now: DateTime<Utc>) {
        match &mut self.state {
            State::Notice {
                playback,
                early_digit,
            } if playback == id => match early_digit.take() {
                // Chosen during the notice: as if chosen at the menu's first words.
                Some(digit) => {
                    self.menus_offered += 1;
                    self.state = State::Deciding;
                    self.commands
                        .push_back(CallCommand::Decide(MenuChoice::Digit(digit)));
                }
                None => self.offer_menu(&[]),
            },
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

    /// The routing decision the call asked for with [`CallCommand::Decide`].
    pub fn handle_decision(&mut self, now: DateTime<Utc>, decision: Decision) {
        if self.state != State::Deciding {
            return;
        }
        let mode = decision.mode;
        if mode == DecisionMode::InvalidDigit && self.menus_offered < self.start.menu_attempts {
            // Not a decision yet: the caller gets the menu again.
            self.offer_menu(&[sounds::INVALID_CHOICE.to_owned()]);
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
}
