//! Waiting in the specialists' queue: music, offers, position, callback requests, an
//! empty queue.

use super::*;
use crate::routing::{DialTarget, TopicCode};

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
