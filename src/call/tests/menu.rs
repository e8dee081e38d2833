//! The menu: the greeting, digits, invalid and missing choices.

use super::*;
use crate::routing::DecisionMode;

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

/// An adopted caller gets the same answer and menu, but its ids start past any a
/// dead instance may have left in Asterisk (its playback `c1-play1` could still be
/// playing; a second one under that id would be refused).
#[test]
fn an_adopted_call_chooses_ids_the_dead_instance_never_used() {
    let mut h = Harness::adopted("122", WORKING);
    let commands = h.commands();
    assert_eq!(commands[1], CallCommand::Answer);
    let menu = played(&commands);
    assert_eq!(menu.0, format!("c1-play{}", ADOPTED_FIRST_ID + 1));
    let fresh = played(&Harness::new("122", WORKING).commands());
    assert_eq!(fresh.0, "c1-play1");
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
