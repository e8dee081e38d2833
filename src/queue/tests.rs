//! The specialists' queue in virtual time.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 16, 2, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn spec(n: i64) -> (SpecialistId, DialTarget) {
    (
        SpecialistId(n),
        DialTarget::parse(&format!("PJSIP/spec{n:02}")).unwrap(),
    )
}

fn queue(ring_all: bool) -> SpecialistQueue {
    SpecialistQueue::new(QueueSettings {
        ring_all,
        ..QueueSettings::default()
    })
}

/// The actions, without the console's state changes.
fn offers(q: &mut SpecialistQueue) -> Vec<QueueAction> {
    std::iter::from_fn(|| q.poll_action())
        .filter(|a| !matches!(a, QueueAction::StateChanged { .. }))
        .collect()
}

fn offer(call: &str, specialists: &[i64]) -> QueueAction {
    QueueAction::Offer {
        call: call.into(),
        specialists: specialists.iter().map(|n| spec(*n)).collect(),
    }
}

fn sign_in(q: &mut SpecialistQueue, n: i64, at: DateTime<Utc>) {
    let (id, endpoint) = spec(n);
    q.sign_in(at, id, endpoint);
}

/// Specialist 9 is signed in but paused: calls wait rather than being turned away.
fn someone_on_a_break(q: &mut SpecialistQueue) {
    sign_in(q, 9, t(-100));
    q.pause(t(-100), SpecialistId(9));
}

#[test]
fn the_longest_ready_specialist_gets_the_first_waiting_call() {
    let mut q = queue(false);
    sign_in(&mut q, 1, t(10));
    sign_in(&mut q, 2, t(5));
    q.enqueue(t(20), "c1");
    assert_eq!(offers(&mut q), [offer("c1", &[2])]);
    q.enqueue(t(21), "c2");
    assert_eq!(offers(&mut q), [offer("c2", &[1])]);
    q.enqueue(t(22), "c3");
    assert!(offers(&mut q).is_empty(), "nobody is ready");
    assert_eq!(
        q.waiting_calls()
            .iter()
            .map(|w| (w.call.as_str(), w.position, w.being_offered))
            .collect::<Vec<_>>(),
        [("c1", 1, true), ("c2", 2, true), ("c3", 3, false)]
    );
}

#[test]
fn two_waiting_callers_are_served_in_arrival_order() {
    let mut q = queue(false);
    someone_on_a_break(&mut q);
    q.enqueue(t(0), "first");
    q.enqueue(t(1), "second");
    assert!(offers(&mut q).is_empty());
    sign_in(&mut q, 1, t(2));
    assert_eq!(offers(&mut q), [offer("first", &[1])]);
    q.offer_answered(t(3), "first", SpecialistId(1));
    q.call_ended(t(60), SpecialistId(1));
    assert!(offers(&mut q).is_empty(), "wrap-up first");
    assert_eq!(
        q.poll_timeout(),
        Some(t(31)),
        "the second caller's position is due first"
    );
    q.handle_timeout(t(75));
    let actions = offers(&mut q);
    assert!(actions.contains(&offer("second", &[1])), "{actions:?}");
}

#[test]
fn a_specialist_who_misses_an_offer_is_paused_and_the_call_keeps_its_place() {
    let mut q = queue(false);
    sign_in(&mut q, 1, t(0));
    sign_in(&mut q, 2, t(1));
    q.enqueue(t(2), "c1");
    q.enqueue(t(3), "c2");
    assert_eq!(offers(&mut q), [offer("c1", &[1]), offer("c2", &[2])]);
    q.offer_failed(t(20), "c1", SpecialistId(1));
    assert_eq!(
        q.state_of(SpecialistId(1)),
        Some(&SpecialistState::Paused {
            reason: PauseReason::MissedOffer
        })
    );
    assert!(offers(&mut q).is_empty());
    // c1 is still first when spec02 frees up.
    q.offer_answered(t(21), "c2", SpecialistId(2));
    q.call_ended(t(40), SpecialistId(2));
    q.resume(t(41), SpecialistId(2));
    assert_eq!(offers(&mut q), [offer("c1", &[2])]);
}

#[test]
fn ring_all_offers_every_ready_specialist_and_frees_the_others_on_answer() {
    let mut q = queue(true);
    sign_in(&mut q, 1, t(0));
    sign_in(&mut q, 2, t(1));
    sign_in(&mut q, 3, t(2));
    q.pause(t(3), SpecialistId(3));
    q.enqueue(t(4), "c1");
    assert_eq!(offers(&mut q), [offer("c1", &[1, 2])]);
    q.offer_answered(t(6), "c1", SpecialistId(2));
    assert_eq!(
        q.state_of(SpecialistId(1)),
        Some(&SpecialistState::Ready { since: t(6) })
    );
    assert_eq!(
        q.state_of(SpecialistId(2)),
        Some(&SpecialistState::OnCall { call: "c1".into() })
    );
    assert!(q.waiting_calls().is_empty());
}

#[test]
fn a_caller_who_leaves_frees_the_specialist_ringing_for_them() {
    let mut q = queue(false);
    sign_in(&mut q, 1, t(0));
    q.enqueue(t(1), "c1");
    q.enqueue(t(2), "c2");
    assert_eq!(offers(&mut q), [offer("c1", &[1])]);
    q.leave(t(5), "c1");
    assert_eq!(offers(&mut q), [offer("c2", &[1])]);
}

#[test]
fn waiting_callers_hear_their_position_and_are_offered_a_callback_once() {
    let mut q = queue(false);
    someone_on_a_break(&mut q);
    q.enqueue(t(0), "c1");
    q.enqueue(t(10), "c2");
    q.handle_timeout(t(30));
    assert_eq!(
        offers(&mut q),
        [QueueAction::AnnouncePosition {
            call: "c1".into(),
            position: 1
        }]
    );
    q.handle_timeout(t(40));
    assert_eq!(
        offers(&mut q),
        [QueueAction::AnnouncePosition {
            call: "c2".into(),
            position: 2
        }]
    );
    q.handle_timeout(t(120));
    let actions = offers(&mut q);
    assert!(
        actions.contains(&QueueAction::OfferCallback { call: "c1".into() }),
        "{actions:?}"
    );
    q.handle_timeout(t(150));
    assert!(
        !offers(&mut q).contains(&QueueAction::OfferCallback { call: "c1".into() }),
        "the callback is offered once"
    );
}

#[test]
fn a_stale_offer_pauses_the_specialist_and_signing_out_withdraws_offers() {
    let mut q = queue(false);
    sign_in(&mut q, 1, t(0));
    sign_in(&mut q, 2, t(1));
    q.enqueue(t(2), "c1");
    assert_eq!(offers(&mut q), [offer("c1", &[1])]);
    // Nobody reported back within the offer timeout.
    q.handle_timeout(t(2) + QueueSettings::default().offer_timeout);
    assert!(matches!(
        q.state_of(SpecialistId(1)),
        Some(SpecialistState::Paused { .. })
    ));
    assert!(offers(&mut q).contains(&offer("c1", &[2])));
    q.sign_out(t(30), SpecialistId(2));
    assert_eq!(
        q.state_of(SpecialistId(2)),
        Some(&SpecialistState::SignedOut)
    );
    assert!(!q.waiting_calls()[0].being_offered);
}

#[test]
fn state_changes_are_reported_for_the_console() {
    let mut q = queue(false);
    sign_in(&mut q, 1, t(0));
    assert_eq!(
        q.poll_action(),
        Some(QueueAction::StateChanged {
            specialist: SpecialistId(1),
            state: SpecialistState::Ready { since: t(0) }
        })
    );
    q.pause(t(1), SpecialistId(1));
    assert_eq!(
        q.poll_action(),
        Some(QueueAction::StateChanged {
            specialist: SpecialistId(1),
            state: SpecialistState::Paused {
                reason: PauseReason::Requested
            }
        })
    );
}

#[test]
fn with_nobody_signed_in_a_call_is_turned_away_at_once() {
    let mut q = queue(false);
    q.enqueue(t(0), "c1");
    assert_eq!(
        offers(&mut q),
        [QueueAction::NobodySignedIn { call: "c1".into() }]
    );
    assert!(q.waiting_calls().is_empty());
}

#[test]
fn when_the_last_specialist_signs_out_waiting_calls_are_released() {
    let mut q = queue(false);
    sign_in(&mut q, 1, t(0));
    q.pause(t(1), SpecialistId(1));
    q.enqueue(t(2), "c1");
    q.enqueue(t(3), "c2");
    assert!(
        offers(&mut q).is_empty(),
        "a paused specialist is still signed in"
    );
    q.sign_out(t(4), SpecialistId(1));
    assert_eq!(
        offers(&mut q),
        [
            QueueAction::NobodySignedIn { call: "c1".into() },
            QueueAction::NobodySignedIn { call: "c2".into() },
        ]
    );
    assert!(!q.anyone_signed_in());
}
