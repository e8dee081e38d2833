//! Requests sent again after their socket closed under them.
//!
//! A request that went out on a WebSocket which closed before its answer came may or
//! may not have been carried out by Asterisk. When sending it twice does what sending
//! it once does ([`AriRequest`]'s `repeatable`: adding a channel to a bridge, setting
//! a variable, removals, creating a bridge or channel under our own id) it is sent
//! again over HTTP instead of failing the call.
//!
//! Order matters within a call: a call creates its bridge and adds the channels to
//! it in two requests, both lost at the same cut; sent again independently, the add
//! could reach Asterisk first and find no bridge. So a call's resends (by its order
//! key, as in [`AriClient::submit`]) queue in the order the requests were first
//! sent (the socket fails its waiting requests in that order) and go out one after
//! another; different calls' resends go out side by side, so one call's backoff
//! never holds up another's.
//!
//! The cut that closed the socket may still refuse connections for a moment (a
//! network blip, a restarting proxy): a resend that cannot connect is tried again
//! after 100 ms, 250 ms, 500 ms, 1 s and 2 s before its failure reaches the call.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::oneshot;

use super::answer::Answer;
use super::request::AriRequest;
use super::rest::{AriClient, AriError, Inner};

/// Waits between tries of a resend that could not reach Asterisk at all.
const BACKOFF: [Duration; 5] = [
    Duration::from_millis(100),
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// What to do with a resend's answer.
type Done = Box<dyn FnOnce(Result<Answer, AriError>) + Send>;

/// The resends waiting, per order key; a key is present while its task runs.
#[derive(Default)]
pub(super) struct ResendQueue(Mutex<HashMap<String, VecDeque<(AriRequest, Done)>>>);

/// The keys with resends waiting (the callbacks have nothing to show).
impl std::fmt::Debug for ResendQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queues = self.0.lock().map(|q| q.len()).unwrap_or_default();
        f.debug_struct("ResendQueue")
            .field("keys", &queues)
            .finish()
    }
}

impl AriClient {
    /// Sends `request` again over HTTP, after the resends of `order_key` queued
    /// before it; `done` gets the answer (on that key's resend task).
    pub(super) fn resend(&self, order_key: &str, request: AriRequest, done: Done) {
        let mut queues = self.inner.resends.0.lock().expect("never poisoned");
        if let Some(queue) = queues.get_mut(order_key) {
            queue.push_back((request, done));
            return;
        }
        queues.insert(order_key.to_owned(), VecDeque::from([(request, done)]));
        tokio::spawn(run(Arc::downgrade(&self.inner), order_key.to_owned()));
    }

    /// [`resend`](Self::resend), awaited.
    pub(super) async fn resend_awaited(
        &self,
        order_key: &str,
        request: AriRequest,
    ) -> Result<Answer, AriError> {
        let (method, path) = (request.method.clone(), request.path.clone());
        let (tx, rx) = oneshot::channel();
        self.resend(
            order_key,
            request,
            Box::new(move |answer| {
                let _ = tx.send(answer);
            }),
        );
        rx.await.unwrap_or(Err(AriError::Socket {
            method,
            path,
            reason: "the resend task is gone",
        }))
    }
}

/// The resend task of one order key: its requests one at a time, in order, until
/// none is left (or the client is gone).
async fn run(client: Weak<Inner>, order_key: String) {
    loop {
        let Some(inner) = client.upgrade() else {
            return;
        };
        let next = {
            let mut queues = inner.resends.0.lock().expect("never poisoned");
            let next = queues.get_mut(&order_key).and_then(VecDeque::pop_front);
            if next.is_none() {
                queues.remove(&order_key);
            }
            next
        };
        let Some((request, done)) = next else {
            return;
        };
        let client = AriClient { inner };
        done(send_again(&client, request).await);
    }
}

/// Sends over HTTP, trying again while Asterisk cannot be reached. A 409 for a
/// creation under our own id means the first try did it.
async fn send_again(client: &AriClient, request: AriRequest) -> Result<Answer, AriError> {
    let exists_is_fine = request.exists_is_fine;
    let mut waits = BACKOFF.iter();
    loop {
        tracing::debug!(method = %request.method, path = %request.path,
            "answer lost with its socket; sending it again over HTTP");
        match client.send_over_http_measured(request.clone()).await {
            Err(error @ AriError::Transport { .. }) => match waits.next() {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => return Err(error),
            },
            Ok(Answer::Http(StatusCode::CONFLICT, _)) if exists_is_fine => {
                return Ok(Answer::Http(StatusCode::NO_CONTENT, Vec::new()));
            }
            answer => return answer,
        }
    }
}
