//! The console's hold on calls in progress: [`CallControl`] asks a running call to
//! transfer its caller or end a consultation, through the Stasis app's dispatcher.

use tokio::sync::{mpsc, oneshot};

use crate::call::{TransferRefused, TransferRequest};

/// Why the console could not act on a call.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallControlError {
    /// No call with this id is in progress here.
    #[error("no such call in progress")]
    NoSuchCall,
    /// The call refused (see [`TransferRefused`]).
    #[error(transparent)]
    Refused(#[from] TransferRefused),
    /// The Stasis app is not running (stopping, or not started).
    #[error("the call handling is not running")]
    Stopped,
}

/// What the console asks a call to do.
#[derive(Clone, Debug)]
pub(super) enum ConsoleAction {
    Transfer(TransferRequest),
    CompleteConsultation,
    CancelConsultation,
}

pub(super) struct ControlMessage {
    pub(super) call: String,
    pub(super) action: ConsoleAction,
    pub(super) reply: oneshot::Sender<Result<(), CallControlError>>,
}

/// The console's way to act on calls in progress (transfers); cheap to clone.
#[derive(Clone)]
pub struct CallControl {
    /// One Stasis app's inbox per Asterisk node; a call is on one of them.
    senders: Vec<mpsc::UnboundedSender<ControlMessage>>,
}

/// The Stasis app's end of [`CallControl`].
pub struct CallControlInbox(pub(super) mpsc::UnboundedReceiver<ControlMessage>);

impl CallControl {
    /// A control handle and the inbox to give the [`StasisApp`](super::StasisApp).
    pub fn new() -> (Self, CallControlInbox) {
        let (control, mut inboxes) = Self::for_nodes(1);
        (control, inboxes.remove(0))
    }

    /// A control handle over `nodes` Stasis apps (one per Asterisk node), and their
    /// inboxes: a request goes to each app in turn until one has the call.
    pub fn for_nodes(nodes: usize) -> (Self, Vec<CallControlInbox>) {
        let (senders, inboxes) = (0..nodes)
            .map(|_| {
                let (sender, receiver) = mpsc::unbounded_channel();
                (sender, CallControlInbox(receiver))
            })
            .unzip();
        (Self { senders }, inboxes)
    }

    /// Asks `call` to transfer its caller; answers once the call accepted or refused.
    pub async fn transfer(
        &self,
        call: &str,
        request: TransferRequest,
    ) -> Result<(), CallControlError> {
        self.ask(call, ConsoleAction::Transfer(request)).await
    }

    /// Ends the consultation of `call`: `complete` hands the caller to the staff
    /// member, otherwise the specialist keeps the caller.
    pub async fn end_consultation(
        &self,
        call: &str,
        complete: bool,
    ) -> Result<(), CallControlError> {
        let action = if complete {
            ConsoleAction::CompleteConsultation
        } else {
            ConsoleAction::CancelConsultation
        };
        self.ask(call, action).await
    }

    async fn ask(&self, call: &str, action: ConsoleAction) -> Result<(), CallControlError> {
        let mut answer = Err(CallControlError::Stopped);
        for sender in &self.senders {
            let (reply, replied) = oneshot::channel();
            let message = ControlMessage {
                call: call.to_owned(),
                action: action.clone(),
                reply,
            };
            answer = match sender.send(message) {
                Ok(()) => replied.await.unwrap_or(Err(CallControlError::Stopped)),
                Err(_) => Err(CallControlError::Stopped),
            };
            // Not on this node (or its app is not running): ask the next one.
            if !matches!(
                answer,
                Err(CallControlError::NoSuchCall | CallControlError::Stopped)
            ) {
                return answer;
            }
        }
        answer
    }
}
