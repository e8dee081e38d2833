//! The call flow's tunables that are not part of the directory, and the sounds it
//! plays.

use chrono::Duration;

/// Sounds the call plays, by name in Asterisk's sounds directory (see
/// `asterisk-dialplan/prompts/ru.txt`); the menu itself comes from the line.
pub mod sounds {
    /// "No such option", before the menu is offered again.
    pub const INVALID_CHOICE: &str = "hotline/invalid-choice";
    /// "We did not hear your choice", before the menu is offered again.
    pub const NO_INPUT: &str = "hotline/no-input";
    /// "Connecting you with the responsible staff member".
    pub const CONNECTING_STAFF: &str = "hotline/connecting-staff";
    /// "Connecting you with a contact-center specialist".
    pub const CONNECTING_SPECIALIST: &str = "hotline/connecting-specialist";
    /// "All responsible staff are busy, connecting you with a specialist".
    pub const ALL_BUSY: &str = "hotline/all-busy";
    /// "Outside working hours, a specialist will answer".
    pub const AFTER_HOURS: &str = "hotline/after-hours";
    /// "Nobody could take the call, please call again" before a failed call ends.
    pub const SORRY_GOODBYE: &str = "hotline/sorry-goodbye";
    /// "Your position in the queue:", followed by [`number`].
    pub const QUEUE_POSITION: &str = "hotline/queue-position";
    /// "Thank you for waiting", when the position is beyond the numbers recorded.
    pub const QUEUE_THANKS: &str = "hotline/queue-thanks";
    /// "Press 1 to leave a callback request, or stay on the line".
    pub const CALLBACK_OFFER: &str = "hotline/callback-offer";
    /// "This conversation is recorded", before the menu of a recorded line.
    pub const RECORDING_NOTICE: &str = "hotline/recording-notice";
    /// "Your request is registered, we will call you back. Goodbye."
    pub const CALLBACK_ACCEPTED: &str = "hotline/callback-accepted";
    /// The key that accepts the callback offer.
    pub const CALLBACK_DIGIT: char = '1';

    /// A recorded number 1..=20 (`hotline/num-N`), if there is one.
    pub fn number(n: usize) -> Option<String> {
        (1..=20).contains(&n).then(|| format!("hotline/num-{n}"))
    }
}

/// Where recordings go unless configured otherwise (see
/// [`CallSettings::recording_folder`]).
pub const DEFAULT_RECORDING_FOLDER: &str = "hotline";

/// Tunables of the call flow that are not part of the directory.
#[derive(Clone, Debug)]
pub struct CallSettings {
    /// How long each round of ringing the specialists lasts.
    pub specialist_ring_timeout: Duration,
    /// How many rounds of ringing the specialists before the call fails.
    pub specialist_rounds: u32,
    /// Longest a whole call may last before it is ended (a safety net against legs
    /// that never report back).
    pub max_call_duration: Duration,
    /// Extra grace on top of a dial attempt's own timeout before we hang up the leg
    /// ourselves, in case Asterisk's Dial timeout never reports.
    pub attempt_grace: Duration,
    /// Whether the caller hears a short announcement ("connecting you with ...")
    /// before callees are dialled. Off for load tests that compare setup delay with
    /// a dialplan that announces nothing.
    pub announce_transfers: bool,
    /// Whether calls for specialists wait in the specialists' queue (music, position
    /// announcements, the longest-ready specialist rung) rather than ringing every
    /// specialist at once. With nobody signed in to the queue they ring everyone.
    pub specialist_queue: bool,
    /// The folder, inside Asterisk's recording directory, that recordings of
    /// recorded lines go to; each is named after its call (`folder/call_key`).
    pub recording_folder: String,
}

impl Default for CallSettings {
    fn default() -> Self {
        Self {
            specialist_ring_timeout: Duration::seconds(30),
            specialist_rounds: 3,
            max_call_duration: Duration::hours(4),
            attempt_grace: Duration::seconds(5),
            announce_transfers: true,
            specialist_queue: false,
            recording_folder: DEFAULT_RECORDING_FOLDER.to_owned(),
        }
    }
}
