//! The [`EventRouter`]: on the event socket's own task, hands each event for a running
//! call straight to that call's inbox; the rest goes to the dispatcher.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::ari::{AriMessage, EventSink};
use crate::call::CallInput;
use crate::pii::Pii;

use super::call_task::TaskInput;
use super::translate::{Routed, route_event};

/// The running calls' inboxes by call key, shared by the [`EventRouter`] (which
/// adds a call when its `StasisStart` comes) and the dispatcher (which starts its
/// task, and removes it when the task ends).
pub(super) type CallInboxes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<TaskInput>>>>;

/// What the router hands the dispatcher.
pub(super) enum Dispatch {
    /// A citizen's call entered the app; its inbox is already taking its events.
    NewCall {
        caller: String,
        line: String,
        caller_number: Pii<String>,
        inbox: mpsc::UnboundedReceiver<TaskInput>,
    },
    /// An event for no running call, or about a bridge.
    Event(Routed),
    /// The socket connected or dropped (rare: boxed).
    Connection(Box<AriMessage>),
}

/// Routes the event socket's messages on the socket's own task. An event for a
/// running call goes straight into the call's inbox, in the order Asterisk sent
/// it, with no hop through the dispatcher; a new call gets its inbox here, before
/// any of its later events can arrive.
pub struct EventRouter {
    pub(super) calls: CallInboxes,
    pub(super) dispatcher: mpsc::UnboundedSender<Dispatch>,
}

impl EventSink for EventRouter {
    fn deliver(&mut self, message: AriMessage) -> bool {
        let event = match message {
            AriMessage::Event(event) => event,
            other => return self.dispatch(Dispatch::Connection(Box::new(other))),
        };
        let dispatch = match route_event(event) {
            // No such call running (or its task has just ended): the dispatcher
            // handles it (a late leg is hung up).
            Routed::ToCall { call_key, input } => {
                match try_deliver(&self.calls, &call_key, input) {
                    None => return true,
                    Some(input) => Dispatch::Event(Routed::ToCall { call_key, input }),
                }
            }
            Routed::NewCall {
                caller,
                line,
                caller_number,
            } => {
                let Some(inbox) = open_inbox(&mut lock(&self.calls), &caller) else {
                    return true;
                };
                Dispatch::NewCall {
                    caller,
                    line,
                    caller_number,
                    inbox,
                }
            }
            Routed::Ignore => return true,
            routed @ Routed::LeftBridge { .. } => Dispatch::Event(routed),
        };
        self.dispatch(dispatch)
    }

    fn is_closed(&self) -> bool {
        self.dispatcher.is_closed()
    }
}

impl EventRouter {
    fn dispatch(&self, dispatch: Dispatch) -> bool {
        self.dispatcher.send(dispatch).is_ok()
    }
}

/// Puts `input` into the inbox of call `key`; gives it back when no such call runs
/// (or its task has just ended and takes no more inputs).
pub(super) fn try_deliver(calls: &CallInboxes, key: &str, input: CallInput) -> Option<CallInput> {
    let calls = lock(calls);
    let Some(task) = calls.get(key) else {
        return Some(input);
    };
    match task.send(TaskInput::Call(input)) {
        Ok(()) => None,
        Err(mpsc::error::SendError(TaskInput::Call(input))) => Some(input),
        Err(_) => None,
    }
}

/// Opens the inbox of call `caller`; `None` when it has one already.
pub(super) fn open_inbox(
    calls: &mut HashMap<String, mpsc::UnboundedSender<TaskInput>>,
    caller: &str,
) -> Option<mpsc::UnboundedReceiver<TaskInput>> {
    if calls.contains_key(caller) {
        return None;
    }
    let (tx, inbox) = mpsc::unbounded_channel();
    calls.insert(caller.to_owned(), tx);
    Some(inbox)
}

pub(super) fn lock(
    calls: &CallInboxes,
) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<TaskInput>>> {
    calls
        .lock()
        .expect("the call inboxes lock is never poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_router_hands_a_running_calls_events_straight_to_it_and_the_rest_to_the_dispatcher() {
        use crate::app::translate::tests::{channel, event};
        let (dispatcher, mut dispatched) = mpsc::unbounded_channel();
        let calls = CallInboxes::default();
        let mut router = EventRouter {
            calls: calls.clone(),
            dispatcher,
        };
        let start = |id: &str| {
            let body = format!(r#""args":["line=122"],"channel":{}"#, channel(id, "Ring"));
            AriMessage::Event(event("StasisStart", &body))
        };
        let digit = |id: &str| {
            let body = format!(r#""digit":"1","channel":{}"#, channel(id, "Up"));
            AriMessage::Event(event("ChannelDtmfReceived", &body))
        };

        // A new call: its inbox exists before the dispatcher hears of it.
        assert!(router.deliver(start("c1")));
        let Some(Dispatch::NewCall {
            caller, mut inbox, ..
        }) = dispatched.try_recv().ok()
        else {
            panic!("the dispatcher starts the call");
        };
        assert_eq!(caller, "c1");
        assert!(calls.lock().unwrap().contains_key("c1"));
        // Its events go straight to it, in order; the dispatcher sees none.
        assert!(router.deliver(digit("c1")));
        assert!(router.deliver(digit("c1")));
        for _ in 0..2 {
            assert!(matches!(
                inbox.try_recv(),
                Ok(TaskInput::Call(CallInput::Dtmf('1')))
            ));
        }
        assert!(dispatched.try_recv().is_err());
        // A second StasisStart for the same caller starts nothing.
        assert!(router.deliver(start("c1")));
        assert!(dispatched.try_recv().is_err());

        // An event for no running call, or for a call whose task has just ended,
        // goes to the dispatcher (which hangs up late legs).
        assert!(router.deliver(digit("c9")));
        assert!(matches!(
            dispatched.try_recv(),
            Ok(Dispatch::Event(Routed::ToCall { call_key, .. })) if call_key == "c9"
        ));
        drop(inbox);
        assert!(router.deliver(digit("c1")));
        assert!(matches!(
            dispatched.try_recv(),
            Ok(Dispatch::Event(Routed::ToCall { call_key, .. })) if call_key == "c1"
        ));
        // So does news of the connection.
        assert!(router.deliver(AriMessage::Connected { reconnected: true }));
        assert!(matches!(
            dispatched.try_recv(),
            Ok(Dispatch::Connection(message))
                if matches!(*message, AriMessage::Connected { reconnected: true })
        ));
        // With the dispatcher gone, the socket is told to stop.
        drop(dispatched);
        assert!(router.is_closed());
        assert!(!router.deliver(digit("c9")));
    }
}
