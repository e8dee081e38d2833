//! Recorded lines: the notice before the menu, recording from the bridge on.

use super::*;

fn recordings(commands: &[CallCommand]) -> Vec<(&BridgeId, &str)> {
    commands
        .iter()
        .filter_map(|c| match c {
            CallCommand::RecordBridge { bridge, name } => Some((bridge, name.as_str())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_recorded_line_says_so_after_the_greeting_and_before_the_menu_once() {
    let mut h = Harness::recorded("122", WORKING);
    let first = h.commands();
    assert_eq!(
        sounds_of(&first),
        ["hotline/greeting-122+hotline/recording-notice"]
    );
    // Then the menu alone; a wrong digit brings it back without the notice.
    let menu = h.input(CallInput::PlaybackFinished(played(&first)));
    assert_eq!(sounds_of(&menu), ["hotline/menu-122"]);
    h.input(CallInput::PlaybackFinished(played(&menu)));
    let again = h.input(CallInput::Dtmf('7'));
    assert_eq!(
        sounds_of(&again),
        [format!("{}+hotline/menu-122", sounds::INVALID_CHOICE)]
    );

    // A line that does not record says nothing of it, in one playback.
    let mut plain = Harness::new("122", WORKING);
    let sounds = sounds_of(&plain.commands());
    assert_eq!(sounds, ["hotline/greeting-122+hotline/menu-122"]);
}

#[test]
fn a_key_pressed_during_the_notice_waits_for_its_end_and_chooses() {
    let mut h = Harness::recorded("122", WORKING);
    let notice = played(&h.commands());
    // Keys do not cut the notice short; the first one is the choice.
    let pressed = h.input(CallInput::Dtmf('1'));
    assert!(pressed.is_empty(), "{pressed:#?}");
    assert!(h.input(CallInput::Dtmf('2')).is_empty());
    let chosen = h.input(CallInput::PlaybackFinished(notice));
    assert!(chosen.contains(&CallCommand::Decide(MenuChoice::Digit('1'))));
    assert!(matches!(
        journal(&chosen)[0],
        JournalEntry::Routed { topic: Some(t), .. } if t.0 == "health"
    ));
    assert_eq!(sounds_of(&chosen), [sounds::CONNECTING_STAFF]);

    // A caller who leaves during the notice ends the call like one in the menu.
    let mut gone = Harness::recorded("122", WORKING);
    gone.commands();
    let ended = gone.input(CallInput::CallerHungUp);
    assert!(journal(&ended).iter().any(|e| matches!(
        e,
        JournalEntry::Ended {
            outcome: CallOutcome::Abandoned,
            ..
        }
    )));
}

#[test]
fn a_recorded_call_records_its_bridge_from_the_answer_under_the_call_id() {
    let mut h = Harness::recorded("122", WORKING);
    let dialling = hunt(&mut h, '1');
    let leg3 = leg(&dialled(&dialling)[0].0);
    h.input(CallInput::LegReady(leg3.clone()));
    assert!(recordings(&h.input(CallInput::LegRinging(leg3.clone()))).is_empty());

    let answered = h.input(CallInput::LegAnswered(leg3.clone()));
    let bridge = BridgeId("c1-bridge".into());
    assert_eq!(recordings(&answered), [(&bridge, "hotline/c1")]);
    // Asked after the bridge holds both sides, and journaled with its name.
    let position = |wanted: fn(&CallCommand) -> bool| answered.iter().position(wanted);
    assert!(
        position(|c| matches!(c, CallCommand::Bridge { .. }))
            < position(|c| matches!(c, CallCommand::RecordBridge { .. }))
    );
    assert!(journal(&answered).iter().any(|e| matches!(
        e,
        JournalEntry::RecordingStarted { name, .. } if name == "hotline/c1"
    )));

    // The end destroys the bridge, which ends the recording with it.
    let ended = h.input(CallInput::CallerHungUp);
    assert!(ended.contains(&CallCommand::DestroyBridge(bridge)));
}

#[test]
fn the_configured_folder_names_the_recording_and_unrecorded_lines_record_nothing() {
    let mut h = Harness::recorded("122", NIGHT);
    let mut start = h.call.start.clone();
    start.record_calls = true;
    let settings = CallSettings {
        recording_folder: "rec/122".into(),
        ..CallSettings::default()
    };
    h.call = Call::new(start, settings, h.now);
    // After hours: specialists are rung at once, and the one who answers is recorded.
    let dialling = hunt(&mut h, '1');
    let first = leg(&dialling
        .iter()
        .find_map(|c| match c {
            CallCommand::CreateLeg { leg, .. } => Some(leg.0.clone()),
            _ => None,
        })
        .expect("a specialist is rung"));
    h.input(CallInput::LegReady(first.clone()));
    let answered = h.input(CallInput::LegAnswered(first));
    assert_eq!(recordings(&answered).len(), 1);
    assert_eq!(recordings(&answered)[0].1, "rec/122/c1");

    let mut plain = Harness::new("122", WORKING);
    let dialling = hunt(&mut plain, '1');
    let leg3 = leg(&dialled(&dialling)[0].0);
    plain.input(CallInput::LegReady(leg3.clone()));
    let answered = plain.input(CallInput::LegAnswered(leg3));
    assert!(
        answered
            .iter()
            .any(|c| matches!(c, CallCommand::Bridge { .. }))
    );
    assert!(recordings(&answered).is_empty(), "{answered:#?}");
    assert!(
        !journal(&answered)
            .iter()
            .any(|e| matches!(e, JournalEntry::RecordingStarted { .. }))
    );
}
