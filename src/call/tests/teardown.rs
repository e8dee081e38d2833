//! The end: a caller who leaves, nobody answering, timeouts, the shutdown hand-back.

use super::*;
use crate::routing::DecisionMode;

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
