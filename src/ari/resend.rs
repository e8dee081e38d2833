//! Requests sent again after their socket closed under them.
//!
//! A request that went out on a WebSocket which closed before its answer came may or
//! may not have been carried out by Asterisk. When sending it twice does what sending
//! it once does ([`AriRequest`]'s `repeatable`: adding a channel to a bridge, setting
//! a variable, removals, creating a bridge or channel under our own id) it is sent
//! again over HTTP instead of failing the call.
//!
//! Order matters: a call creates its bridge and adds the channels to it in two
//! requests, both lost at the same cut; sent again independently, the add could
//! reach Asterisk first and find no bridge. So every resend of a client goes through
//! one queue, in the order the requests were first sent (the socket fails its
//! waiting requests in that order), to one task that sends them one after another.
//!
//! The cut that closed the socket may still refuse connections for a moment (a
//! network blip, a restarting proxy): a resend that cannot connect is tried again
//! after 100 ms, 250 ms, 500 ms, 1 s and 2 s before its failure reaches the call.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::{mpsc, oneshot};

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

/// The queue of one client's resends; its task starts with the first resend.
#[derive(Debug, Default)]
pub(super) struct ResendQueue(OnceLock<mpsc::UnboundedSender<(AriRequest, Done)>>);

impl AriClient {
    /// Sends `request` again over HTTP, after the resends queued before it; `done`
    /// gets the answer (on the resend task).
    pub(super) fn resend(&self, request: AriRequest, done: Done) {
        let queue = self.inner.resends.0.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(Arc::downgrade(&self.inner), rx));
            tx
        });
        if let Err(mpsc::error::SendError((_, done))) = queue.send((request, done)) {
            done(Err(AriError::Socket {
                method: reqwest::Method::GET,
                path: String::new(),
                reason: "the resend task is gone",
            }));
        }
    }

    /// [`resend`](Self::resend), awaited.
    pub(super) async fn resend_awaited(&self, request: AriRequest) -> Result<Answer, AriError> {
        let (method, path) = (request.method.clone(), request.path.clone());
        let (tx, rx) = oneshot::channel();
        self.resend(
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

/// The resend task: one request at a time, in order, until the client is gone.
async fn run(client: Weak<Inner>, mut queue: mpsc::UnboundedReceiver<(AriRequest, Done)>) {
    while let Some((request, done)) = queue.recv().await {
        let Some(inner) = client.upgrade() else {
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
