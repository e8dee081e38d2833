//! Transfers: blind, failed, with the specialist gone, by `*1`, refused, by REFER,
//! consulted.

use super::*;

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
