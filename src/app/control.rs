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
#[derive(Debug)]
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
    sender: mpsc::UnboundedSender<ControlMessage>,
}

/// The Stasis app's end of [`CallControl`].
pub struct CallControlInbox(pub(super) mpsc::UnboundedReceiver<ControlMessage>);

impl CallControl {
    /// A control handle and the inbox to give the [`StasisApp`](super::StasisApp).
    pub fn new() -> (Self, CallControlInbox) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, CallControlInbox(receiver))
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
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(ControlMessage {
                call: call.to_owned(),
                action,
                reply,
            })
            .map_err(|_| CallControlError::Stopped)?;
        answer.await.map_err(|_| CallControlError::Stopped)?
    }
}
