//! Transfers a specialist asks for (console, the `*1` code, their phone's REFER):
//! blind ones, where the first staff member to answer takes the caller, and consulted
//! ones, where the specialist talks to them first and then completes or cancels. Its
//! fields on [`Call`]: `transfer`, `transfers`, `pending_transfer` and `leg_key`.

use chrono::{DateTime, Duration, Utc};

use super::state::{Hunt, HuntKind, Leg, State, Target, Transfer};
use super::{
    AttemptResult, BridgeId, Call, CallCommand, Callee, ChannelId, JournalEntry, TransferOrigin,
    TransferRefused, TransferRequest,
};
use crate::routing::{Decision, HuntStrategy, TopicCode};

impl Call {
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
    pub(super) fn transfer_answered(&mut self, winner: Leg, now: DateTime<Utc>) {
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
    pub(super) fn transfer_failed(&mut self, now: DateTime<Utc>) {
        let Some(mut transfer) = self.transfer.take() else {
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
        match transfer.specialist.take() {
            Some(specialist) => self.back_to_specialist(transfer, specialist),
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

    pub(super) fn end_consultation(&mut self, complete: bool, now: DateTime<Utc>) {
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
        let Some(mut transfer) = self.transfer.take() else {
            return;
        };
        self.commands
            .push_back(CallCommand::StopBridgeMusic(transfer.bridge.clone()));
        let specialist = transfer.specialist.take().expect("checked above");
        self.back_to_specialist(transfer, specialist);
    }

    /// The specialist who asked for the transfer is back with the caller, in the
    /// caller's bridge; both callers have stopped its hold music first.
    fn back_to_specialist(&mut self, transfer: Transfer, specialist: ChannelId) {
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

    /// `*1` on the specialist's phone: transfer to the call's topic by the policy.
    pub(super) fn on_leg_dtmf(&mut self, leg: &ChannelId, key: char, now: DateTime<Utc>) {
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
}
