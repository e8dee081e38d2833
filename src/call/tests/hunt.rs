//! Hunting: staff in order, busy and silent callees, specialists after staff or after
//! hours, announcements, legs that turn up late.

use super::*;
use crate::routing::DecisionMode;

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
        Some((&"79021234567".into(), &"Здравоохранение".to_owned()))
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
            record_calls: false,
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

/// After a reconnection the driver asks which legs still wait to enter the app
/// (their `StasisStart` may have come while the socket was down): the created leg
/// until it is ready, none once dialled or answered, so a late `LegReady` never
/// reaches (and hangs up) a leg in conversation.
#[test]
fn legs_awaiting_ready_are_the_created_ones_not_yet_dialled() {
    let mut h = Harness::new("122", WORKING);
    assert!(h.call.legs_awaiting_ready().is_empty());
    let announced = h.choose('1');
    h.input(CallInput::PlaybackFinished(played(&announced)));
    assert_eq!(h.call.legs_awaiting_ready(), [leg("c1-leg3")]);
    h.input(CallInput::LegReady(leg("c1-leg3")));
    assert!(h.call.legs_awaiting_ready().is_empty());
    h.input(CallInput::LegAnswered(leg("c1-leg3")));
    assert!(h.call.legs_awaiting_ready().is_empty());
}

/// A leg created just before the event socket went down is dropped by Asterisk
/// without ringing (its app had no socket); the reconnection finds it gone. It is
/// created once more for the same callee, journaled as a failed attempt and a new
/// one; a second such loss, or one after dialling, ends the attempt.
#[test]
fn a_leg_that_vanished_before_ringing_is_created_once_more() {
    let mut h = Harness::new("122", WORKING);
    let first = hunt(&mut h, '1');
    assert_eq!(
        dialled(&first),
        [("c1-leg3".into(), "PJSIP/staff01".into())]
    );

    let again = h.input(CallInput::LegVanished(leg("c1-leg3")));
    assert_eq!(
        dialled(&again),
        [("c1-leg4".into(), "PJSIP/staff01".into())]
    );
    assert!(matches!(
        journal(&again)[..],
        [
            JournalEntry::AttemptEnded { leg: l, result: AttemptResult::Failed, .. },
            JournalEntry::AttemptStarted { leg: n, .. },
        ] if l.0 == "c1-leg3" && n.0 == "c1-leg4"
    ));
    assert_eq!(h.call.legs_awaiting_ready(), [leg("c1-leg4")]);

    // The replacement vanishing too is not replaced: the hunt moves on.
    let next = h.input(CallInput::LegVanished(leg("c1-leg4")));
    assert!(matches!(
        journal(&next)[0],
        JournalEntry::AttemptEnded { leg: l, result: AttemptResult::Failed, .. } if l.0 == "c1-leg4"
    ));
    let (_, target) = &dialled(&next)[0];
    assert_ne!(target, "PJSIP/staff01");

    // A leg that was dialled and then vanished rang somewhere: not replaced either.
    let dialled_leg = h.call.legs_awaiting_ready()[0].clone();
    h.input(CallInput::LegReady(dialled_leg.clone()));
    let gone = h.input(CallInput::LegVanished(dialled_leg.clone()));
    assert!(matches!(
        journal(&gone)[0],
        JournalEntry::AttemptEnded { leg: l, .. } if *l == dialled_leg
    ));
    assert!(dialled(&gone).iter().all(|(id, _)| *id != dialled_leg.0));
}
