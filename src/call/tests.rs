//! The call state machine driven through virtual time, with real routing decisions
//! taken on the routing tests' directory (see `routing::tests` for who works when).

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::routing::tests::{at, directory};
use crate::routing::{DecisionMode, DialTarget, NoRecency, RouteRequest, TopicCode, decide};

/// Tuesday 12 May 2026, 10:00 in Irkutsk: minzdrav, hospital and polyclinic work;
/// Петров (minzdrav) is on leave.
const WORKING: &str = "2026-05-12T10:00:00+08:00";
/// Tuesday 12 May 2026, 22:00 in Irkutsk: everyone is closed.
const NIGHT: &str = "2026-05-12T22:00:00+08:00";

/// One call, a virtual clock, and the routing instant decisions are taken at.
struct Harness {
    call: Call,
    now: DateTime<Utc>,
    route_at: DateTime<Utc>,
}

impl Harness {
    fn new(line: &str, route_at: &str) -> Self {
        Self::with_settings(line, route_at, CallSettings::default())
    }

    /// A call whose specialists' turn goes through the queue.
    fn queued(line: &str, route_at: &str) -> Self {
        let settings = CallSettings {
            specialist_queue: true,
            ..CallSettings::default()
        };
        Self::with_settings(line, route_at, settings)
    }

    fn with_settings(line: &str, route_at: &str, settings: CallSettings) -> Self {
        let now = at("2026-11-28T12:00:00+08:00");
        let start = CallStart {
            caller: ChannelId("c1".into()),
            line: LineNumber(line.into()),
            caller_number: "79021234567".into(),
            menu_prompt: format!("hotline/menu-{line}"),
            greeting_prompt: Some(format!("hotline/greeting-{line}")),
            digit_timeout_seconds: 5,
            menu_attempts: 2,
        };
        Self {
            call: Call::new(start, settings, now),
            now,
            route_at: at(route_at),
        }
    }

    /// Drains the commands; answers `Decide` with the real policy, as the driver does.
    fn commands(&mut self) -> Vec<CallCommand> {
        let mut out = Vec::new();
        while let Some(command) = self.call.poll_command() {
            if let CallCommand::Decide(choice) = &command {
                let request = RouteRequest {
                    line: self.call.line().clone(),
                    choice: choice.clone(),
                    at: self.route_at,
                };
                let decision = decide(&directory(), &request, &NoRecency);
                self.call.handle_decision(self.now, decision);
            }
            if let CallCommand::DecideTransfer(topic) = &command {
                let request = RouteRequest {
                    line: self.call.line().clone(),
                    choice: MenuChoice::Topic(topic.clone()),
                    at: self.route_at,
                };
                let decision = decide(&directory(), &request, &NoRecency);
                self.call.handle_transfer_decision(self.now, decision);
            }
            out.push(command);
        }
        out
    }

    fn input(&mut self, input: CallInput) -> Vec<CallCommand> {
        self.call.handle_input(self.now, input);
        self.commands()
    }

    /// Moves virtual time on by `seconds`, firing the timeout if it is due.
    fn advance(&mut self, seconds: i64) -> Vec<CallCommand> {
        self.now += Duration::seconds(seconds);
        if self.call.poll_timeout().is_some_and(|t| t <= self.now) {
            self.call.handle_timeout(self.now);
        }
        self.commands()
    }

    /// Plays the menu to its end and presses `digit`.
    fn choose(&mut self, digit: char) -> Vec<CallCommand> {
        let menu = played(&self.commands());
        self.input(CallInput::PlaybackFinished(menu));
        self.input(CallInput::Dtmf(digit))
    }
}

fn played(commands: &[CallCommand]) -> PlaybackId {
    commands
        .iter()
        .rev()
        .find_map(|c| match c {
            CallCommand::Play { playback, .. } => Some(playback.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no playback in {commands:#?}"))
}

fn sounds_of(commands: &[CallCommand]) -> Vec<String> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::Play { sounds, .. } => Some(sounds.join("+")),
            _ => None,
        })
        .collect()
}

fn dialled(commands: &[CallCommand]) -> Vec<(String, String)> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::CreateLeg { leg, target, .. } => Some((leg.0.clone(), target.to_string())),
            _ => None,
        })
        .collect()
}

fn journal(commands: &[CallCommand]) -> Vec<&JournalEntry> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::Journal(entry) => Some(entry),
            _ => None,
        })
        .collect()
}

fn leg(id: &str) -> ChannelId {
    ChannelId(id.into())
}

/// Chooses `digit` and plays the announcement: returns the first dial commands.
fn hunt(h: &mut Harness, digit: char) -> Vec<CallCommand> {
    let announced = h.choose(digit);
    h.input(CallInput::PlaybackFinished(played(&announced)))
}

#[test]
fn a_new_call_is_journaled_answered_and_hears_its_lines_menu() {
    let mut h = Harness::new("117", WORKING);
    let commands = h.commands();
    assert!(matches!(
        &commands[0],
        CallCommand::Journal(JournalEntry::Started { line, caller_number, .. })
            if line.0 == "117" && caller_number == "79021234567"
    ));
    assert_eq!(commands[1], CallCommand::Answer);
    assert_eq!(
        sounds_of(&commands),
        ["hotline/greeting-117+hotline/menu-117"]
    );
}

#[test]
fn health_in_working_hours_rings_the_first_responsible_staff_and_bridges() {
    let mut h = Harness::new("122", WORKING);
    let announced = h.choose('1');
    assert!(announced.contains(&CallCommand::Decide(MenuChoice::Digit('1'))));
    assert!(matches!(
        journal(&announced)[0],
        JournalEntry::Routed { mode: DecisionMode::Automatic, topic: Some(t), .. } if t.0 == "health"
    ));
    assert_eq!(sounds_of(&announced), [sounds::CONNECTING_STAFF]);

    let ringing = h.input(CallInput::PlaybackFinished(played(&announced)));
    assert_eq!(ringing[0], CallCommand::StartRinging);
    // Иванов (minzdrav, priority 10) first; Петров is on leave.
    assert_eq!(
        dialled(&ringing),
        [("c1-leg3".into(), "PJSIP/staff01".into())]
    );
    let shown = ringing.iter().find_map(|c| match c {
        CallCommand::CreateLeg {
            caller_number,
            caller_name,
            ..
        } => Some((caller_number, caller_name)),
        _ => None,
    });
    assert_eq!(
        shown,
        Some((&"79021234567".to_owned(), &"Здравоохранение".to_owned()))
    );

    // Dialled only once the created leg is in the app, and only once.
    assert_eq!(
        h.input(CallInput::LegReady(leg("c1-leg3"))),
        [CallCommand::DialLeg {
            leg: leg("c1-leg3"),
            timeout_seconds: 20
        }]
    );
    assert!(h.input(CallInput::LegReady(leg("c1-leg3"))).is_empty());
    let answered = h.input(CallInput::LegAnswered(leg("c1-leg3")));
    assert!(answered.contains(&CallCommand::StopRinging));
    assert!(answered.contains(&CallCommand::Bridge {
        bridge: BridgeId("c1-bridge".into()),
        leg: leg("c1-leg3"),
        dtmf_events: false,
    }));
    // The same answer reported twice changes nothing.
    assert!(h.input(CallInput::LegAnswered(leg("c1-leg3"))).is_empty());

    let ended = h.input(CallInput::CallerHungUp);
    assert!(ended.contains(&CallCommand::HangupLeg(leg("c1-leg3"))));
    assert!(ended.contains(&CallCommand::DestroyBridge(BridgeId("c1-bridge".into()))));
    assert!(!ended.contains(&CallCommand::HangupCaller));
    assert!(matches!(
        journal(&ended).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::AnsweredByStaff,
            ..
        })
    ));
    assert!(h.call.is_finished());
}

#[test]
fn a_staff_member_who_does_not_answer_is_followed_by_the_next() {
    let mut h = Harness::new("122", WORKING);
    let first = hunt(&mut h, '1');
    assert_eq!(dialled(&first)[0].1, "PJSIP/staff01");
    // Not yet: the attempt timeout (20 s) plus grace has not passed.
    assert!(h.advance(20).is_empty());
    let next = h.advance(6);
    assert_eq!(next[0], CallCommand::HangupLeg(leg("c1-leg3")));
    assert!(matches!(
        journal(&next)[0],
        JournalEntry::AttemptEnded {
            result: AttemptResult::NoAnswer,
            ..
        }
    ));
    // Then the hospital's Сидорова (hospital comes after minzdrav for health).
    assert_eq!(dialled(&next), [("c1-leg4".into(), "PJSIP/staff03".into())]);
}

#[test]
fn busy_staff_are_skipped_at_once_and_then_specialists_ring_all() {
    let mut h = Harness::new("122", WORKING);
    hunt(&mut h, '1');
    let second = h.input(CallInput::LegFailed(leg("c1-leg3"), AttemptResult::Busy));
    assert_eq!(dialled(&second)[0].1, "PJSIP/staff03");
    let third = h.input(CallInput::LegFailed(
        leg("c1-leg4"),
        AttemptResult::Unavailable,
    ));
    assert_eq!(dialled(&third)[0].1, "PJSIP/staff05");
    // A dial Asterisk refused counts as unavailable too; then the caller is told.
    let all_busy = h.input(CallInput::CommandFailed(leg("c1-leg5")));
    assert_eq!(all_busy[1], CallCommand::StopRinging);
    assert_eq!(sounds_of(&all_busy), [sounds::ALL_BUSY]);
    let specialists = h.input(CallInput::PlaybackFinished(played(&all_busy)));
    assert_eq!(specialists[0], CallCommand::StartRinging);
    // The two active specialists, at once.
    assert_eq!(
        dialled(&specialists)
            .iter()
            .map(|d| d.1.as_str())
            .collect::<Vec<_>>(),
        ["PJSIP/op1", "PJSIP/op3"]
    );
    let answered = h.input(CallInput::LegAnswered(leg("c1-leg8")));
    assert!(answered.contains(&CallCommand::HangupLeg(leg("c1-leg7"))));
    assert!(matches!(
        journal(&answered)[0],
        JournalEntry::AttemptEnded { leg: l, result: AttemptResult::Cancelled, .. } if l.0 == "c1-leg7"
    ));
    let over = h.input(CallInput::LegHungUp(
        leg("c1-leg8"),
        AttemptResult::Cancelled,
    ));
    assert!(over.contains(&CallCommand::HangupCaller));
    assert!(matches!(
        journal(&over).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::AnsweredBySpecialist,
            ..
        })
    ));
}

#[test]
fn after_hours_the_caller_is_told_and_specialists_ring() {
    let mut h = Harness::new("122", NIGHT);
    let announced = h.choose('1');
    assert!(matches!(
        journal(&announced)[0],
        JournalEntry::Routed {
            mode: DecisionMode::AfterHours,
            ..
        }
    ));
    assert_eq!(sounds_of(&announced), [sounds::AFTER_HOURS]);
    let ringing = h.input(CallInput::PlaybackFinished(played(&announced)));
    assert_eq!(dialled(&ringing).len(), 2);
    assert!(
        dialled(&ringing)
            .iter()
            .all(|d| d.1.starts_with("PJSIP/op"))
    );
}

#[test]
fn an_invalid_digit_replays_the_menu_then_a_valid_one_routes() {
    let mut h = Harness::new("122", WORKING);
    let again = h.choose('9');
    assert_eq!(
        sounds_of(&again),
        [format!("{}+hotline/menu-122", sounds::INVALID_CHOICE)]
    );
    assert!(
        journal(&again).is_empty(),
        "an invalid digit is not a decision yet"
    );
    h.input(CallInput::PlaybackFinished(played(&again)));
    let routed = h.input(CallInput::Dtmf('2'));
    assert!(matches!(
        journal(&routed)[0],
        JournalEntry::Routed { topic: Some(t), .. } if t.0 == "displaced"
    ));
}

#[test]
fn a_digit_during_the_menu_stops_it() {
    let mut h = Harness::new("122", WORKING);
    let menu = played(&h.commands());
    let commands = h.input(CallInput::Dtmf('1'));
    assert_eq!(commands[0], CallCommand::StopPlayback(menu.clone()));
    // The stopped menu's PlaybackFinished arrives later and is not news.
    assert_eq!(h.input(CallInput::PlaybackFinished(menu)), []);
}

#[test]
fn no_digit_offers_the_menu_again_then_goes_to_specialists() {
    let mut h = Harness::new("122", WORKING);
    let menu = played(&h.commands());
    h.input(CallInput::PlaybackFinished(menu));
    assert!(h.advance(4).is_empty());
    let again = h.advance(1);
    assert_eq!(
        sounds_of(&again),
        [format!("{}+hotline/menu-122", sounds::NO_INPUT)]
    );
    h.input(CallInput::PlaybackFinished(played(&again)));
    let decided = h.advance(5);
    assert!(decided.contains(&CallCommand::Decide(MenuChoice::NoInput)));
    assert!(matches!(
        journal(&decided)[0],
        JournalEntry::Routed {
            mode: DecisionMode::NoInput,
            ..
        }
    ));
    assert_eq!(sounds_of(&decided), [sounds::CONNECTING_SPECIALIST]);
}

#[test]
fn a_caller_who_hangs_up_while_staff_ring_cancels_them_and_abandons() {
    let mut h = Harness::new("122", WORKING);
    hunt(&mut h, '1');
    let ended = h.input(CallInput::CallerHungUp);
    assert!(ended.contains(&CallCommand::HangupLeg(leg("c1-leg3"))));
    assert!(!ended.contains(&CallCommand::HangupCaller));
    let entries = journal(&ended);
    assert!(matches!(
        entries[0],
        JournalEntry::AttemptEnded {
            result: AttemptResult::Cancelled,
            ..
        }
    ));
    assert!(matches!(
        entries.last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::Abandoned,
            ..
        })
    ));
    // A late answer from the cancelled leg is hung up, not bridged.
    assert!(h.call.is_finished());
    assert!(h.input(CallInput::LegAnswered(leg("c1-leg3"))).is_empty());
}

#[test]
fn when_nobody_at_all_answers_the_caller_hears_sorry_and_is_hung_up() {
    let mut h = Harness::new("117", NIGHT);
    let announced = h.choose('1'); // military: specialists handle it
    assert!(matches!(
        journal(&announced)[0],
        JournalEntry::Routed {
            mode: DecisionMode::SpecialistTopic,
            ..
        }
    ));
    let mut commands = h.input(CallInput::PlaybackFinished(played(&announced)));
    // Three rounds of ringing both specialists, 30 s (+5 s grace) each.
    for _round in 0..3 {
        assert_eq!(dialled(&commands).len(), 2, "{commands:#?}");
        commands = h.advance(35);
    }
    assert_eq!(sounds_of(&commands), [sounds::SORRY_GOODBYE]);
    assert!(!commands.contains(&CallCommand::HangupCaller));
    let gone = h.input(CallInput::PlaybackFinished(played(&commands)));
    assert_eq!(gone[0], CallCommand::HangupCaller);
    assert!(matches!(
        journal(&gone).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::Failed,
            ..
        })
    ));
}

#[test]
fn timeouts_follow_the_state_and_a_finished_call_has_none() {
    let mut h = Harness::new("122", WORKING);
    let start = h.now;
    // While the menu plays, only the safety net.
    assert_eq!(h.call.poll_timeout(), Some(start + Duration::hours(4)));
    let menu = played(&h.commands());
    h.input(CallInput::PlaybackFinished(menu));
    assert_eq!(h.call.poll_timeout(), Some(start + Duration::seconds(5)));
    h.input(CallInput::CallerHungUp);
    assert_eq!(h.call.poll_timeout(), None);
    assert_eq!(h.call.channels(), [ChannelId("c1".into())]);
}

#[test]
fn without_announcements_staff_are_dialled_right_after_the_decision() {
    let mut h = Harness::new("122", WORKING);
    h.call = Call::new(
        CallStart {
            caller: ChannelId("c1".into()),
            line: LineNumber("122".into()),
            caller_number: "79021234567".into(),
            menu_prompt: "hotline/menu-122".into(),
            greeting_prompt: None,
            digit_timeout_seconds: 5,
            menu_attempts: 2,
        },
        CallSettings {
            announce_transfers: false,
            ..CallSettings::default()
        },
        h.now,
    );
    let commands = h.choose('1');
    assert!(sounds_of(&commands).is_empty(), "{commands:#?}");
    assert!(commands.contains(&CallCommand::StartRinging));
    assert_eq!(dialled(&commands)[0].1, "PJSIP/staff01");
}

#[test]
fn at_shutdown_a_waiting_caller_goes_back_to_the_dialplan_and_a_talking_one_stays() {
    let mut h = Harness::new("122", WORKING);
    hunt(&mut h, '1');
    assert!(h.call.hand_back(h.now));
    let commands = h.commands();
    assert!(commands.contains(&CallCommand::HangupLeg(leg("c1-leg3"))));
    assert!(commands.contains(&CallCommand::ContinueInDialplan));
    assert!(!commands.contains(&CallCommand::HangupCaller));
    assert!(matches!(
        journal(&commands).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::HandedToDialplan,
            ..
        })
    ));
    assert!(h.call.is_finished());

    let mut talking = Harness::new("122", WORKING);
    hunt(&mut talking, '1');
    talking.input(CallInput::LegAnswered(leg("c1-leg3")));
    assert!(!talking.call.hand_back(talking.now));
    assert!(talking.commands().is_empty());
}

#[test]
fn a_leg_the_call_does_not_wait_for_is_hung_up_when_it_turns_up() {
    let mut h = Harness::new("122", WORKING);
    hunt(&mut h, '1');
    // Its create timed out on our side, the hunt moved on; Asterisk made it late.
    h.input(CallInput::CommandFailed(leg("c1-leg3")));
    assert_eq!(
        h.input(CallInput::LegReady(leg("c1-leg3"))),
        [CallCommand::HangupLeg(leg("c1-leg3"))]
    );
    h.input(CallInput::CallerHungUp);
    assert!(h.call.is_finished());
    assert_eq!(
        h.input(CallInput::LegReady(leg("c1-leg9"))),
        [CallCommand::HangupLeg(leg("c1-leg9"))]
    );
}

fn queue_requests(commands: &[CallCommand]) -> Vec<QueueRequest> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::Queue(request) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

fn offered(id: i64) -> OfferedSpecialist {
    OfferedSpecialist {
        id: SpecialistId(id),
        name: format!("Оператор {id}"),
        endpoint: DialTarget::parse(&format!("PJSIP/op{id}")).unwrap(),
    }
}

/// After hours with the queue on: the caller waits with music, then one queued call.
fn waiting_in_queue() -> (Harness, Vec<CallCommand>) {
    let mut h = Harness::queued("122", NIGHT);
    let announced = h.choose('1');
    let queued = h.input(CallInput::PlaybackFinished(played(&announced)));
    (h, queued)
}

#[test]
fn with_the_queue_on_a_caller_for_specialists_waits_with_music_and_nobody_rings_yet() {
    let (_, queued) = waiting_in_queue();
    assert!(dialled(&queued).is_empty(), "{queued:#?}");
    assert!(queued.contains(&CallCommand::StartMusicOnHold));
    assert!(!queued.contains(&CallCommand::StartRinging));
    assert_eq!(
        queue_requests(&queued),
        [QueueRequest::Enqueue {
            line: LineNumber("122".into()),
            caller_number: "79021234567".into(),
            topic: Some("Здравоохранение".into()),
            topic_code: Some(TopicCode("health".into())),
        }]
    );
    assert!(matches!(
        journal(&queued)[..],
        [JournalEntry::Queued { .. }]
    ));
}

#[test]
fn the_queue_offer_is_dialled_a_missed_one_is_reported_and_an_answer_bridges() {
    let (mut h, _) = waiting_in_queue();
    let ringing = h.input(CallInput::QueueOffer(vec![offered(1)]));
    let first = &dialled(&ringing)[0];
    assert_eq!(first.1, "PJSIP/op1");
    // op1 does not answer: the queue hears it, the caller keeps waiting.
    let missed = h.input(CallInput::LegFailed(leg(&first.0), AttemptResult::NoAnswer));
    assert_eq!(
        queue_requests(&missed),
        [QueueRequest::OfferFailed(SpecialistId(1))]
    );
    assert!(
        !missed.iter().any(|c| matches!(c, CallCommand::Play { .. })),
        "no goodbye: {missed:#?}"
    );
    let ringing = h.input(CallInput::QueueOffer(vec![offered(3)]));
    let second = dialled(&ringing)[0].0.clone();
    h.input(CallInput::LegReady(leg(&second)));
    let answered = h.input(CallInput::LegAnswered(leg(&second)));
    assert_eq!(
        queue_requests(&answered),
        [QueueRequest::OfferAnswered(SpecialistId(3))]
    );
    assert!(answered.contains(&CallCommand::StopMusicOnHold));
    assert!(
        answered
            .iter()
            .any(|c| matches!(c, CallCommand::Bridge { .. }))
    );
    // The caller hangs up: the specialist is free again, the call answered by them.
    let ended = h.input(CallInput::CallerHungUp);
    assert_eq!(
        queue_requests(&ended),
        [QueueRequest::SpecialistFree(SpecialistId(3))]
    );
    assert!(matches!(
        journal(&ended).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::AnsweredBySpecialist,
            ..
        })
    ));
}

#[test]
fn a_waiting_caller_hears_their_position_over_a_pause_in_the_music() {
    let (mut h, _) = waiting_in_queue();
    let told = h.input(CallInput::QueuePosition(2));
    assert_eq!(
        told.iter()
            .filter(|c| !matches!(c, CallCommand::Journal(_)))
            .cloned()
            .map(|c| match c {
                CallCommand::Play { sounds, .. } => sounds.join("+"),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        ["StopMusicOnHold", "hotline/queue-position+hotline/num-2"]
    );
    let resumed = h.input(CallInput::PlaybackFinished(played(&told)));
    assert_eq!(resumed, [CallCommand::StartMusicOnHold]);
    let far = h.input(CallInput::QueuePosition(35));
    assert_eq!(sounds_of(&far), [sounds::QUEUE_THANKS]);
}

#[test]
fn a_waiting_caller_who_presses_1_after_the_offer_leaves_a_callback_request() {
    let (mut h, _) = waiting_in_queue();
    // Before the offer, 1 means nothing.
    assert!(h.input(CallInput::Dtmf('1')).is_empty());
    let offer = h.input(CallInput::QueueCallbackOffer);
    assert_eq!(sounds_of(&offer), [sounds::CALLBACK_OFFER]);
    let ringing = h.input(CallInput::QueueOffer(vec![offered(1)]));
    let op1 = dialled(&ringing)[0].0.clone();
    let accepted = h.input(CallInput::Dtmf('1'));
    assert!(
        accepted.contains(&CallCommand::HangupLeg(leg(&op1))),
        "{accepted:#?}"
    );
    assert_eq!(queue_requests(&accepted), [QueueRequest::Leave]);
    assert!(journal(&accepted).iter().any(|e| matches!(
        e,
        JournalEntry::CallbackRequested { topic: Some(t), organisation: Some(o), caller_number, .. }
            if t.0 == "health" && o.0 == "minzdrav" && caller_number == "79021234567"
    )), "{accepted:#?}");
    assert_eq!(sounds_of(&accepted), [sounds::CALLBACK_ACCEPTED]);
    let bye = h.input(CallInput::PlaybackFinished(played(&accepted)));
    assert!(bye.contains(&CallCommand::HangupCaller));
    assert!(matches!(
        journal(&bye).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::CallbackRequested,
            ..
        })
    ));
}

#[test]
fn with_nobody_in_the_queue_every_specialist_rings_and_a_caller_who_leaves_is_reported() {
    let (mut h, _) = waiting_in_queue();
    let ringing = h.input(CallInput::QueueUnavailable);
    assert!(ringing.contains(&CallCommand::StopMusicOnHold));
    assert!(ringing.contains(&CallCommand::StartRinging));
    assert_eq!(dialled(&ringing).len(), 2, "both active specialists");
    assert!(queue_requests(&ringing).is_empty());

    let (mut h, _) = waiting_in_queue();
    let left = h.input(CallInput::CallerHungUp);
    assert_eq!(queue_requests(&left), [QueueRequest::Leave]);
    let (mut h, _) = waiting_in_queue();
    assert!(h.call.hand_back(h.now));
    assert_eq!(queue_requests(&h.commands()), [QueueRequest::Leave]);
}

/// Health at work hours, every staff member busy: op3 (c1-leg8) answers; returns the
/// harness with the caller and op1 bridged.
fn with_specialist() -> Harness {
    let mut h = Harness::new("122", WORKING);
    hunt(&mut h, '1');
    h.input(CallInput::LegFailed(leg("c1-leg3"), AttemptResult::Busy));
    h.input(CallInput::LegFailed(leg("c1-leg4"), AttemptResult::Busy));
    let all_busy = h.input(CallInput::LegFailed(leg("c1-leg5"), AttemptResult::Busy));
    h.input(CallInput::PlaybackFinished(played(&all_busy)));
    let answered = h.input(CallInput::LegAnswered(leg("c1-leg8")));
    assert!(
        answered.iter().any(|c| matches!(
            c,
            CallCommand::Bridge {
                dtmf_events: true,
                ..
            }
        )),
        "a specialist's bridge reports keys"
    );
    h
}

fn transfer_request(origin: TransferOrigin) -> TransferRequest {
    TransferRequest {
        topic: None,
        staff: None,
        origin,
        by: Some(SpecialistId(3)),
        console_user: None,
        consult: false,
    }
}

#[test]
fn a_blind_transfer_parks_the_specialist_and_releases_them_when_staff_answer() {
    let mut h = with_specialist();
    let bridge = BridgeId("c1-bridge".into());
    h.call
        .request_transfer(h.now, transfer_request(TransferOrigin::Console))
        .unwrap();
    let started = h.commands();
    assert!(matches!(
        journal(&started)[0],
        JournalEntry::TransferStarted { number: 1, origin: TransferOrigin::Console, topic, from_target: Some(from), .. }
            if topic.0 == "health" && from.as_str() == "PJSIP/op3"
    ));
    assert!(started.contains(&CallCommand::RemoveFromBridge {
        bridge: bridge.clone(),
        channel: leg("c1-leg8")
    }));
    assert!(started.contains(&CallCommand::StartBridgeMusic(bridge.clone())));
    let staff = dialled(&started);
    assert_eq!(staff.len(), 1, "sequential: one at a time");
    assert!(staff[0].1.starts_with("PJSIP/staff"), "{staff:?}");
    // A second request while one runs is refused.
    assert_eq!(
        h.call
            .request_transfer(h.now, transfer_request(TransferOrigin::Console)),
        Err(TransferRefused::NotWithSpecialist)
    );
    let answered = h.input(CallInput::LegAnswered(leg(&staff[0].0)));
    assert!(answered.contains(&CallCommand::StopBridgeMusic(bridge.clone())));
    assert!(answered.contains(&CallCommand::AddToBridge {
        bridge,
        channel: leg(&staff[0].0)
    }));
    assert!(answered.contains(&CallCommand::HangupLeg(leg("c1-leg8"))));
    assert!(journal(&answered).iter().any(|e| matches!(
        e,
        JournalEntry::TransferEnded { number: 1, result: "answered", answered_target: Some(t), .. }
            if t.as_str() == staff[0].1
    )));
    // The specialist's leg going away now changes nothing; the staff hang-up ends it.
    assert!(
        h.input(CallInput::LegHungUp(
            leg("c1-leg8"),
            AttemptResult::Cancelled
        ))
        .is_empty()
    );
    let over = h.input(CallInput::LegHungUp(
        leg(&staff[0].0),
        AttemptResult::Cancelled,
    ));
    assert!(over.contains(&CallCommand::HangupCaller));
    assert!(matches!(
        journal(&over).last(),
        Some(JournalEntry::Ended {
            outcome: CallOutcome::AnsweredByStaff,
            ..
        })
    ));
}

#[test]
fn when_nobody_takes_the_transfer_the_caller_comes_back_to_the_same_specialist() {
    let mut h = with_specialist();
    h.call
        .request_transfer(h.now, transfer_request(TransferOrigin::FeatureCode))
        .unwrap();
    let mut commands = h.commands();
    let mut guard = 0;
    while let Some((id, _)) = dialled(&commands).first().cloned() {
        commands = h.input(CallInput::LegFailed(leg(&id), AttemptResult::NoAnswer));
        guard += 1;
        assert!(guard < 10, "the hunt never ends");
    }
    let bridge = BridgeId("c1-bridge".into());
    assert!(commands.contains(&CallCommand::StopBridgeMusic(bridge.clone())));
    assert!(commands.contains(&CallCommand::AddToBridge {
        bridge,
        channel: leg("c1-leg8")
    }));
    assert!(journal(&commands).iter().any(|e| matches!(
        e,
        JournalEntry::TransferEnded {
            result: "failed",
            ..
        }
    )));
    // Talking again: the specialist may try once more.
    assert!(
        h.call
            .request_transfer(h.now, transfer_request(TransferOrigin::Console))
            .is_ok()
    );
}

#[test]
fn a_specialist_who_leaves_during_a_failed_transfer_hands_the_caller_to_specialists_again() {
    let mut h = with_specialist();
    h.call
        .request_transfer(h.now, transfer_request(TransferOrigin::Console))
        .unwrap();
    let mut commands = h.commands();
    h.input(CallInput::LegHungUp(
        leg("c1-leg8"),
        AttemptResult::Cancelled,
    ));
    while let Some((id, target)) = dialled(&commands).first().cloned() {
        if target.starts_with("PJSIP/op") {
            break;
        }
        commands = h.input(CallInput::LegFailed(leg(&id), AttemptResult::Busy));
    }
    assert!(commands.contains(&CallCommand::DestroyBridge(BridgeId("c1-bridge".into()))));
    assert!(commands.contains(&CallCommand::StartRinging));
    assert_eq!(
        dialled(&commands).len(),
        2,
        "every active specialist: {commands:#?}"
    );
}

#[test]
fn star_one_on_the_specialists_phone_transfers_to_the_calls_topic() {
    let mut h = with_specialist();
    assert!(
        h.input(CallInput::LegDtmf(leg("c1-leg8"), '1')).is_empty(),
        "1 alone is nothing"
    );
    assert!(h.input(CallInput::LegDtmf(leg("c1-leg8"), '*')).is_empty());
    let started = h.input(CallInput::LegDtmf(leg("c1-leg8"), '1'));
    assert!(matches!(
        journal(&started)[0],
        JournalEntry::TransferStarted {
            origin: TransferOrigin::FeatureCode,
            ..
        }
    ));
    assert_eq!(dialled(&started).len(), 1);
    // The caller's keys are not a feature code.
    let mut h = with_specialist();
    h.input(CallInput::Dtmf('*'));
    assert!(h.input(CallInput::Dtmf('1')).is_empty());
}

#[test]
fn a_transfer_is_refused_off_a_specialist_call_or_for_another_specialist() {
    let mut h = Harness::new("122", WORKING);
    assert_eq!(
        h.call
            .request_transfer(h.now, transfer_request(TransferOrigin::Console)),
        Err(TransferRefused::NotWithSpecialist)
    );
    let mut h = with_specialist();
    let mut other = transfer_request(TransferOrigin::Console);
    other.by = Some(SpecialistId(1));
    assert_eq!(
        h.call.request_transfer(h.now, other),
        Err(TransferRefused::NotYourCall)
    );
    // After hours for the topic: nobody on duty, the transfer fails at once.
    let mut night = with_specialist();
    night.route_at = at(NIGHT);
    night
        .call
        .request_transfer(night.now, transfer_request(TransferOrigin::Console))
        .unwrap();
    let failed = night.commands();
    assert!(dialled(&failed).is_empty());
    assert!(
        !failed
            .iter()
            .any(|c| matches!(c, CallCommand::RemoveFromBridge { .. }))
    );
    assert!(journal(&failed).iter().any(|e| matches!(
        e,
        JournalEntry::TransferEnded {
            result: "failed",
            ..
        }
    )));
}

#[test]
fn a_refer_from_the_specialists_phone_is_reported_back_and_its_copies_are_ignored() {
    let mut h = with_specialist();
    let request = TransferRequest {
        topic: None,
        staff: None,
        origin: TransferOrigin::Refer,
        by: None,
        console_user: None,
        consult: false,
    };
    h.call.handle_refer(h.now, leg("c1-leg8"), request.clone());
    let started = h.commands();
    assert!(started.contains(&CallCommand::TransferProgress {
        leg: leg("c1-leg8"),
        state: "channel_progress"
    }));
    // The same REFER reported again (per watched object) changes nothing.
    h.call.handle_refer(h.now, leg("c1-leg8"), request.clone());
    assert!(h.commands().is_empty());
    let staff = dialled(&started)[0].0.clone();
    let answered = h.input(CallInput::LegAnswered(leg(&staff)));
    let progress: Vec<_> = answered
        .iter()
        .filter(|c| matches!(c, CallCommand::TransferProgress { .. }))
        .collect();
    assert_eq!(
        progress,
        [&CallCommand::TransferProgress {
            leg: leg("c1-leg8"),
            state: "channel_answered"
        }]
    );
    // A REFER from a phone not on the call is declined.
    let mut other = with_specialist();
    other.call.handle_refer(other.now, leg("c1-leg7"), request);
    assert_eq!(
        other.commands(),
        [CallCommand::TransferProgress {
            leg: leg("c1-leg7"),
            state: "channel_declined"
        }]
    );
}

/// op3 consults the first health staff member, who answers: returns the harness
/// and the staff leg.
fn consulting() -> (Harness, String) {
    let mut h = with_specialist();
    let mut request = transfer_request(TransferOrigin::Console);
    request.consult = true;
    h.call.request_transfer(h.now, request).unwrap();
    let started = h.commands();
    let staff = dialled(&started)[0].0.clone();
    let answered = h.input(CallInput::LegAnswered(leg(&staff)));
    assert!(answered.contains(&CallCommand::BridgeLegs {
        bridge: BridgeId("c1-consult".into()),
        legs: vec![leg("c1-leg8"), leg(&staff)],
    }));
    assert!(
        !answered
            .iter()
            .any(|c| matches!(c, CallCommand::StopBridgeMusic(_))),
        "the caller keeps waiting while they talk: {answered:#?}"
    );
    assert!(h.call.channels().contains(&leg(&staff)));
    (h, staff)
}

#[test]
fn after_consulting_the_specialist_hands_the_caller_over() {
    let (mut h, staff) = consulting();
    h.call.complete_consultation(h.now).unwrap();
    let done = h.commands();
    let bridge = BridgeId("c1-bridge".into());
    assert!(done.contains(&CallCommand::DestroyBridge(BridgeId("c1-consult".into()))));
    assert!(done.contains(&CallCommand::StopBridgeMusic(bridge.clone())));
    assert!(done.contains(&CallCommand::AddToBridge {
        bridge,
        channel: leg(&staff)
    }));
    assert!(done.contains(&CallCommand::HangupLeg(leg("c1-leg8"))));
    assert!(journal(&done).iter().any(|e| matches!(
        e,
        JournalEntry::TransferEnded {
            result: "answered",
            ..
        }
    )));
    assert_eq!(
        h.call.complete_consultation(h.now),
        Err(TransferRefused::NotConsulting)
    );
}

#[test]
fn after_consulting_the_specialist_may_keep_the_caller() {
    let (mut h, staff) = consulting();
    h.call.cancel_consultation(h.now).unwrap();
    let back = h.commands();
    assert!(back.contains(&CallCommand::HangupLeg(leg(&staff))));
    assert!(back.contains(&CallCommand::AddToBridge {
        bridge: BridgeId("c1-bridge".into()),
        channel: leg("c1-leg8")
    }));
    assert!(journal(&back).iter().any(|e| matches!(
        e,
        JournalEntry::TransferEnded {
            result: "cancelled",
            ..
        }
    )));
    // Talking to the caller again: a new transfer may start.
    assert!(
        h.call
            .request_transfer(h.now, transfer_request(TransferOrigin::Console))
            .is_ok()
    );
}

#[test]
fn hang_ups_during_a_consultation_complete_or_cancel_it() {
    // The specialist hangs up: the staff member takes the caller.
    let (mut h, staff) = consulting();
    let done = h.input(CallInput::LegHungUp(
        leg("c1-leg8"),
        AttemptResult::Cancelled,
    ));
    assert!(done.contains(&CallCommand::AddToBridge {
        bridge: BridgeId("c1-bridge".into()),
        channel: leg(&staff)
    }));
    // The staff member hangs up: the specialist gets the caller back.
    let (mut h, staff) = consulting();
    let back = h.input(CallInput::LegHungUp(leg(&staff), AttemptResult::Cancelled));
    assert!(back.contains(&CallCommand::AddToBridge {
        bridge: BridgeId("c1-bridge".into()),
        channel: leg("c1-leg8")
    }));
    // The caller hangs up: everyone is released.
    let (mut h, staff) = consulting();
    let over = h.input(CallInput::CallerHungUp);
    assert!(over.contains(&CallCommand::HangupLeg(leg(&staff))));
    assert!(over.contains(&CallCommand::HangupLeg(leg("c1-leg8"))));
    assert!(over.contains(&CallCommand::DestroyBridge(BridgeId("c1-consult".into()))));
    assert!(over.contains(&CallCommand::DestroyBridge(BridgeId("c1-bridge".into()))));
    assert!(journal(&over).iter().any(|e| matches!(
        e,
        JournalEntry::TransferEnded {
            result: "abandoned",
            ..
        }
    )));
}
