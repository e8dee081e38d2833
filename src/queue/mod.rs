//! The contact-center specialists' queue, as a pure state machine.
//!
//! Calls for specialists wait here in arrival order; specialists sign in, get ready,
//! pause, take calls and wrap up. Like [`crate::call`], it does no I/O and reads no
//! clock: feed it inputs with the current instant, call
//! [`SpecialistQueue::handle_timeout`] when [`SpecialistQueue::poll_timeout`] is due,
//! and drain [`SpecialistQueue::poll_action`] after every input.
//!
//! Rules:
//! - The first waiting call that is not already being offered goes to the specialist
//!   who has been ready the longest, or to every ready specialist at once when
//!   `ring_all` is set.
//! - A specialist who lets an offer go unanswered is paused (they may have left their
//!   desk); the call keeps its place at the head of the queue.
//! - After a call a specialist wraps up for `wrap_up`, then is ready again.
//! - A waiting caller hears their position every `announce_every`, and after
//!   `callback_after` is offered to leave a callback request (once).

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::routing::{DialTarget, SpecialistId};

/// Tunables of the queue.
#[derive(Clone, Debug)]
pub struct QueueSettings {
    /// Ring every ready specialist at once instead of the longest-ready one.
    pub ring_all: bool,
    /// After a call, how long a specialist stays in wrap-up before being ready.
    pub wrap_up: Duration,
    /// Longest an offer may ring before the queue gives up on it by itself (the call
    /// normally reports the failure sooner).
    pub offer_timeout: Duration,
    /// How often a waiting caller hears their position.
    pub announce_every: Duration,
    /// After how long waiting a caller is offered to leave a callback request.
    pub callback_after: Duration,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            ring_all: false,
            wrap_up: Duration::seconds(15),
            offer_timeout: Duration::seconds(25),
            announce_every: Duration::seconds(30),
            callback_after: Duration::seconds(120),
        }
    }
}

/// What a specialist is doing, as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecialistState {
    /// Not working now; never offered calls.
    SignedOut,
    /// Free for the next call; `since` orders who is offered first.
    Ready {
        /// When they became ready.
        since: DateTime<Utc>,
    },
    /// Signed in but not taking calls (by choice, or after an unanswered offer).
    Paused {
        /// Why, for the console ("не ответил на вызов").
        reason: PauseReason,
    },
    /// Their phone rings with a call from the queue.
    Offered {
        /// The call offered.
        call: String,
        /// When the queue gives up on the offer by itself.
        until: DateTime<Utc>,
    },
    /// Talking to a caller.
    OnCall {
        /// The call.
        call: String,
    },
    /// Finishing the paperwork of the last call.
    WrapUp {
        /// When they are ready again.
        until: DateTime<Utc>,
    },
}

/// Why a specialist is paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseReason {
    /// They paused themselves.
    Requested,
    /// They did not answer an offered call.
    MissedOffer,
}

/// Something the driver must do or tell.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueAction {
    /// Ring these specialists for this call (one, or several with ring-all); the
    /// call reports back with `offer_answered` / `offer_failed`.
    Offer {
        /// The call (the caller's channel id).
        call: String,
        /// Who to ring, and where.
        specialists: Vec<(SpecialistId, DialTarget)>,
    },
    /// Tell a waiting caller their position.
    AnnouncePosition {
        /// The call.
        call: String,
        /// 1 = next.
        position: usize,
    },
    /// Offer a waiting caller to leave a callback request.
    OfferCallback {
        /// The call.
        call: String,
    },
    /// Nobody is signed in to take this call (it asked to wait, or everyone signed
    /// out while it waited): it is no longer in the queue and must be handled
    /// without it (the call rings every specialist's phone instead).
    NobodySignedIn {
        /// The call.
        call: String,
    },
    /// A specialist's state changed (for the console).
    StateChanged {
        /// Who.
        specialist: SpecialistId,
        /// Their new state.
        state: SpecialistState,
    },
}

/// A caller waiting for a specialist.
#[derive(Clone, Debug)]
struct Waiting {
    call: String,
    entered_at: DateTime<Utc>,
    /// Specialists ringing for this call right now.
    offered_to: Vec<SpecialistId>,
    next_announcement: DateTime<Utc>,
    callback_offered: bool,
}

/// A specialist known to the queue.
#[derive(Clone, Debug)]
struct Desk {
    endpoint: DialTarget,
    state: SpecialistState,
}

/// A waiting call as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingCall {
    /// The call.
    pub call: String,
    /// 1 = next.
    pub position: usize,
    /// When it started waiting.
    pub entered_at: DateTime<Utc>,
    /// Whether a specialist's phone rings for it now.
    pub being_offered: bool,
}

/// The queue of calls for specialists, and the specialists' states.
#[derive(Debug)]
pub struct SpecialistQueue {
    settings: QueueSettings,
    desks: BTreeMap<SpecialistId, Desk>,
    waiting: VecDeque<Waiting>,
    actions: VecDeque<QueueAction>,
}

impl SpecialistQueue {
    /// An empty queue with nobody signed in.
    pub fn new(settings: QueueSettings) -> Self {
        Self {
            settings,
            desks: BTreeMap::new(),
            waiting: VecDeque::new(),
            actions: VecDeque::new(),
        }
    }

    /// The next action to carry out.
    pub fn poll_action(&mut self) -> Option<QueueAction> {
        self.actions.pop_front()
    }

    /// A specialist starts work at `endpoint` and is ready.
    pub fn sign_in(&mut self, now: DateTime<Utc>, id: SpecialistId, endpoint: DialTarget) {
        self.desks.insert(
            id,
            Desk {
                endpoint,
                state: SpecialistState::SignedOut,
            },
        );
        self.set_state(id, SpecialistState::Ready { since: now });
        self.dispatch(now);
    }

    /// A specialist stops work. A call ringing them is offered to someone else.
    pub fn sign_out(&mut self, now: DateTime<Utc>, id: SpecialistId) {
        self.withdraw_offers_of(id);
        self.set_state(id, SpecialistState::SignedOut);
        if !self.anyone_signed_in() {
            for waiting in std::mem::take(&mut self.waiting) {
                self.actions
                    .push_back(QueueAction::NobodySignedIn { call: waiting.call });
            }
        }
        self.dispatch(now);
    }

    /// A ready (or wrapping-up) specialist takes a break.
    pub fn pause(&mut self, now: DateTime<Utc>, id: SpecialistId) {
        let pausable = matches!(
            self.state_of(id),
            Some(SpecialistState::Ready { .. } | SpecialistState::WrapUp { .. })
        );
        if pausable {
            self.set_state(
                id,
                SpecialistState::Paused {
                    reason: PauseReason::Requested,
                },
            );
        }
        self.dispatch(now);
    }

    /// A paused or wrapping-up specialist is ready again.
    pub fn resume(&mut self, now: DateTime<Utc>, id: SpecialistId) {
        if matches!(
            self.state_of(id),
            Some(SpecialistState::Paused { .. } | SpecialistState::WrapUp { .. })
        ) {
            self.set_state(id, SpecialistState::Ready { since: now });
        }
        self.dispatch(now);
    }

    /// A call starts waiting for a specialist.
    pub fn enqueue(&mut self, now: DateTime<Utc>, call: &str) {
        if self.waiting.iter().any(|w| w.call == call) {
            return;
        }
        if !self.anyone_signed_in() {
            self.actions.push_back(QueueAction::NobodySignedIn {
                call: call.to_owned(),
            });
            return;
        }
        self.waiting.push_back(Waiting {
            call: call.to_owned(),
            entered_at: now,
            offered_to: Vec::new(),
            next_announcement: now + self.settings.announce_every,
            callback_offered: false,
        });
        self.dispatch(now);
    }

    /// A waiting call is gone (hung up, or left a callback request). Specialists
    /// ringing for it are ready again (their phones are cancelled by the call).
    pub fn leave(&mut self, now: DateTime<Utc>, call: &str) {
        if let Some(index) = self.waiting.iter().position(|w| w.call == call) {
            let left = self.waiting.remove(index).expect("index found above");
            for id in left.offered_to {
                self.set_state(id, SpecialistState::Ready { since: now });
            }
        }
        self.dispatch(now);
    }

    /// A specialist answered the call offered to them: it leaves the queue; others
    /// ringing for it (ring-all) are ready again.
    pub fn offer_answered(&mut self, now: DateTime<Utc>, call: &str, id: SpecialistId) {
        if let Some(index) = self.waiting.iter().position(|w| w.call == call) {
            let answered = self.waiting.remove(index).expect("index found above");
            for other in answered.offered_to.into_iter().filter(|o| *o != id) {
                self.set_state(other, SpecialistState::Ready { since: now });
            }
        }
        self.set_state(
            id,
            SpecialistState::OnCall {
                call: call.to_owned(),
            },
        );
        self.dispatch(now);
    }

    /// The specialist did not answer (no answer, busy, unreachable): they are paused
    /// and the call keeps its place for the next specialist.
    pub fn offer_failed(&mut self, now: DateTime<Utc>, call: &str, id: SpecialistId) {
        if let Some(waiting) = self.waiting.iter_mut().find(|w| w.call == call) {
            waiting.offered_to.retain(|o| *o != id);
        }
        if matches!(self.state_of(id), Some(SpecialistState::Offered { .. })) {
            self.set_state(
                id,
                SpecialistState::Paused {
                    reason: PauseReason::MissedOffer,
                },
            );
        }
        self.dispatch(now);
    }

    /// A specialist's call is over: wrap-up, then ready.
    pub fn call_ended(&mut self, now: DateTime<Utc>, id: SpecialistId) {
        if matches!(self.state_of(id), Some(SpecialistState::OnCall { .. })) {
            self.set_state(
                id,
                SpecialistState::WrapUp {
                    until: now + self.settings.wrap_up,
                },
            );
        }
        self.dispatch(now);
    }

    /// The earliest instant at which [`SpecialistQueue::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let desks = self.desks.values().filter_map(|d| match d.state {
            SpecialistState::WrapUp { until } | SpecialistState::Offered { until, .. } => {
                Some(until)
            }
            _ => None,
        });
        let waiting = self.waiting.iter().flat_map(|w| {
            let callback =
                (!w.callback_offered).then_some(w.entered_at + self.settings.callback_after);
            [Some(w.next_announcement), callback].into_iter().flatten()
        });
        desks.chain(waiting).min()
    }

    /// Fires what is due: wrap-ups end, stale offers are dropped, waiting callers
    /// hear their position or are offered a callback.
    pub fn handle_timeout(&mut self, now: DateTime<Utc>) {
        let due: Vec<(SpecialistId, SpecialistState)> = self
            .desks
            .iter()
            .filter_map(|(id, desk)| match &desk.state {
                SpecialistState::WrapUp { until } if *until <= now => {
                    Some((*id, SpecialistState::Ready { since: now }))
                }
                SpecialistState::Offered { until, .. } if *until <= now => Some((
                    *id,
                    SpecialistState::Paused {
                        reason: PauseReason::MissedOffer,
                    },
                )),
                _ => None,
            })
            .collect();
        for (id, state) in due {
            if matches!(state, SpecialistState::Paused { .. }) {
                self.withdraw_offers_of(id);
            }
            self.set_state(id, state);
        }
        for (index, waiting) in self.waiting.iter_mut().enumerate() {
            if waiting.next_announcement <= now {
                waiting.next_announcement = now + self.settings.announce_every;
                self.actions.push_back(QueueAction::AnnouncePosition {
                    call: waiting.call.clone(),
                    position: index + 1,
                });
            }
            if !waiting.callback_offered && waiting.entered_at + self.settings.callback_after <= now
            {
                waiting.callback_offered = true;
                self.actions.push_back(QueueAction::OfferCallback {
                    call: waiting.call.clone(),
                });
            }
        }
        self.dispatch(now);
    }

    /// The waiting calls in order, for the console.
    pub fn waiting_calls(&self) -> Vec<WaitingCall> {
        self.waiting
            .iter()
            .enumerate()
            .map(|(index, w)| WaitingCall {
                call: w.call.clone(),
                position: index + 1,
                entered_at: w.entered_at,
                being_offered: !w.offered_to.is_empty(),
            })
            .collect()
    }

    /// Every specialist the queue knows, with their state, for the console.
    pub fn specialists(&self) -> impl Iterator<Item = (SpecialistId, &SpecialistState)> {
        self.desks.iter().map(|(id, desk)| (*id, &desk.state))
    }

    /// Whether anyone works the queue (signed in, whatever their state).
    pub fn anyone_signed_in(&self) -> bool {
        self.desks
            .values()
            .any(|d| d.state != SpecialistState::SignedOut)
    }

    /// A specialist's state, if the queue knows them.
    pub fn state_of(&self, id: SpecialistId) -> Option<&SpecialistState> {
        self.desks.get(&id).map(|d| &d.state)
    }

    /// Offers waiting calls to ready specialists while both exist.
    fn dispatch(&mut self, now: DateTime<Utc>) {
        loop {
            let Some(index) = self.waiting.iter().position(|w| w.offered_to.is_empty()) else {
                return;
            };
            let mut ready: Vec<(DateTime<Utc>, SpecialistId)> = self
                .desks
                .iter()
                .filter_map(|(id, desk)| match desk.state {
                    SpecialistState::Ready { since } => Some((since, *id)),
                    _ => None,
                })
                .collect();
            if ready.is_empty() {
                return;
            }
            ready.sort();
            if !self.settings.ring_all {
                ready.truncate(1);
            }
            let call = self.waiting[index].call.clone();
            let until = now + self.settings.offer_timeout;
            let mut specialists = Vec::with_capacity(ready.len());
            for (_, id) in ready {
                self.waiting[index].offered_to.push(id);
                specialists.push((id, self.desks[&id].endpoint.clone()));
                self.set_state(
                    id,
                    SpecialistState::Offered {
                        call: call.clone(),
                        until,
                    },
                );
            }
            self.actions
                .push_back(QueueAction::Offer { call, specialists });
        }
    }

    /// Forgets that `id` rings for any call (they left, or the offer went stale).
    fn withdraw_offers_of(&mut self, id: SpecialistId) {
        for waiting in &mut self.waiting {
            waiting.offered_to.retain(|o| *o != id);
        }
    }

    fn set_state(&mut self, id: SpecialistId, state: SpecialistState) {
        let Some(desk) = self.desks.get_mut(&id) else {
            return;
        };
        if desk.state != state {
            desk.state = state.clone();
            self.actions.push_back(QueueAction::StateChanged {
                specialist: id,
                state,
            });
        }
    }
}
