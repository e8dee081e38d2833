//! What goes into a call: the facts it starts with, what Asterisk and the queue report
//! about it, and a specialist's transfer request (with why it may be refused).

use super::{AttemptResult, ChannelId, PlaybackId, TransferOrigin};
use crate::pii::Pii;
use crate::routing::{DialTarget, LineNumber, SpecialistId, StaffId, TopicCode};

/// Facts the call was created with, from the caller's `StasisStart`.
#[derive(Clone, Debug)]
pub struct CallStart {
    /// The caller's channel id; also the prefix of every id the call chooses.
    pub caller: ChannelId,
    /// The line called.
    pub line: LineNumber,
    /// The citizen's number, shown to callees.
    pub caller_number: Pii<String>,
    /// The line's menu prompt sound.
    pub menu_prompt: String,
    /// The line's greeting, played once before the first menu.
    pub greeting_prompt: Option<String>,
    /// Seconds to wait for a digit after the menu.
    pub digit_timeout_seconds: u32,
    /// How many times the menu is offered.
    pub menu_attempts: u32,
    /// Whether the line records its calls: the caller hears a notice before the
    /// menu, and the conversation is recorded once bridged.
    pub record_calls: bool,
}

/// What Asterisk (through the driver) tells the call. Ids are those the call chose
/// (legs, bridge, playbacks) or the caller's own channel.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CallInput {
    /// A playback this call started has finished (or was stopped).
    PlaybackFinished(PlaybackId),
    /// The caller pressed a key.
    Dtmf(char),
    /// The caller's channel is gone or leaving (hang-up, StasisEnd).
    CallerHungUp,
    /// A leg we created entered the app (`StasisStart`, state Down): it can be
    /// dialled now. Not an answer.
    LegReady(ChannelId),
    /// A dial leg is ringing at the callee.
    LegRinging(ChannelId),
    /// A dial leg was answered by the callee.
    LegAnswered(ChannelId),
    /// A dial leg failed before being answered, with the reason.
    LegFailed(ChannelId, AttemptResult),
    /// A dial leg's channel is gone; the result says why (from the hang-up cause),
    /// and counts if it was still ringing.
    LegHungUp(ChannelId, AttemptResult),
    /// After a reconnection, Asterisk (asked twice) no longer has this leg: its
    /// end was missed with the socket. A leg created just before the socket went
    /// down is dropped by Asterisk without ever ringing; it is created once more.
    LegVanished(ChannelId),
    /// Asterisk refused or did not answer a command about this channel (e.g. the
    /// dial target does not exist): treated as that leg failing.
    CommandFailed(ChannelId),
    /// The queue offers the waiting call to these specialists: ring them.
    QueueOffer(Vec<OfferedSpecialist>),
    /// The queue asks to tell the waiting caller their position (1 = next).
    QueuePosition(usize),
    /// The queue asks to offer the waiting caller a callback request.
    QueueCallbackOffer,
    /// Nobody works the queue: ring every specialist at once instead.
    QueueUnavailable,
    /// A key pressed on a connected callee's phone (the `*1` feature code).
    LegDtmf(ChannelId, char),
    /// A connected callee's phone asked to transfer (SIP REFER) to `destination`
    /// (the Refer-To user part). The driver turns it into a [`TransferRequest`] and
    /// calls [`Call::handle_refer`].
    ///
    /// [`Call::handle_refer`]: super::Call::handle_refer
    LegRefer {
        /// The leg the REFER came in on.
        leg: ChannelId,
        /// The Refer-To user part, if any.
        destination: Option<String>,
    },
}

/// A specialist the queue offers a waiting call to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedSpecialist {
    /// Their id.
    pub id: SpecialistId,
    /// Their name, for the journal.
    pub name: String,
    /// Their phone.
    pub endpoint: DialTarget,
}

/// A specialist asks to send the caller on to responsible staff (blind transfer:
/// the specialist waits aside and is released once a staff member answers, or gets
/// the caller back if nobody does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRequest {
    /// The topic whose responsible staff to ring; `None` = the call's own topic.
    pub topic: Option<TopicCode>,
    /// Ring only this staff member (chosen in the console); `None` = everyone on
    /// duty for the topic, as the routing policy orders them.
    pub staff: Option<StaffId>,
    /// Console or phone.
    pub origin: TransferOrigin,
    /// The specialist asking, if known (a console specialist, or the phone that
    /// pressed the code): the call refuses if someone else is on it.
    pub by: Option<SpecialistId>,
    /// The console user asking, for the journal.
    pub console_user: Option<i64>,
    /// Consult first: the specialist talks to the staff member (the caller on
    /// music) and then completes or cancels the transfer.
    pub consult: bool,
}

/// Why a transfer request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferRefused {
    /// The call is not talking to a specialist right now (still in the menu,
    /// waiting, already transferred, over).
    #[error("the call is not connected to a specialist")]
    NotWithSpecialist,
    /// Another specialist is on the call.
    #[error("another specialist is on this call")]
    NotYourCall,
    /// No topic was given and the caller chose none.
    #[error("choose a topic: the caller did not")]
    NoTopic,
    /// Completing or cancelling asked while no consultation is going on.
    #[error("no consultation is going on")]
    NotConsulting,
}
