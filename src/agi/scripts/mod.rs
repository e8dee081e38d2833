//! The two FastAGI scripts: `agi://host/route` and `agi://host/result`.
//!
//! Each script is split in two: a **pure** part that turns facts (a routing
//! decision, what `Dial` reported) into the channel variables to set and the
//! journal records to write — unit-tested without sockets — and a thin I/O part
//! that reads the facts from the channel, sends `SET VARIABLE`s and hands the
//! records to the [`Journal`].
//!
//! # Files
//! - `mod.rs` (this file): the channel variables ([`vars`]), the limits, the errors,
//!   the shared context, [`run`] (which script a session asked for) and the I/O
//!   helpers both scripts use (`SET VARIABLE`, a refused command).
//! - `route.rs`: the `route` script: its arguments, the pure [`plan_route`] (menu or
//!   decision, as variables and journal facts) and the session that carries it out.
//! - `result.rs`: the `result` script: what `Dial` reported, the pure
//!   [`plan_attempts`] and [`outcome`], who a target is, and the session that reads
//!   the channel and writes the journal.
//!
//! # `route,LINE` (the call has just entered)
//! Records `Started` and tells the dialplan which menu to play: `HOTLINE_ACTION=menu`,
//! `HOTLINE_MENU_SOUNDS` (the line's greeting and menu prompt) and
//! `HOTLINE_DIGIT_TIMEOUT`, from the directory. A line the directory does not know is
//! decided at once (the specialists take it).
//!
//! # `route,LINE,CHOICE,TRY` (after the menu)
//! `CHOICE` is the digit read (empty: nothing pressed) or a topic code; `TRY` is how
//! many times the menu has been offered. Exactly like the Stasis app: no digit or an
//! invalid one with tries left → `HOTLINE_ACTION=menu` with the menu prefaced by
//! "we did not hear you" or "no such option"; otherwise the routing policy decides at the routing
//! clock's instant and the script sets, `HOTLINE_ACTION` **last** (so a session cut
//! half-way leaves it empty and the dialplan takes its own fallback):
//!
//! | variable | value |
//! |---|---|
//! | `HOTLINE_CALL_KEY` | `agi_uniqueid`, the journal's key |
//! | `HOTLINE_MODE`, `HOTLINE_TOPIC` | decision mode and topic code |
//! | `HOTLINE_REASON` | the Russian reason (control characters replaced, ≤ 1000 bytes) |
//! | `HOTLINE_ANNOUNCE` | sound to play before ringing (empty: none) |
//! | `HOTLINE_ALL_BUSY` | sound to play when no staff answered (empty: none) |
//! | `HOTLINE_CALLER_NAME` | what the callee's phone shows: the topic's name |
//! | `HOTLINE_TARGET_COUNT`, `HOTLINE_TARGET_1..N` | staff to dial (automatic mode only) |
//! | `HOTLINE_TARGETS_ALL` | the same joined with `&`, for ring-all |
//! | `HOTLINE_STRATEGY`, `HOTLINE_ATTEMPT_TIMEOUT` | how to ring them |
//! | `HOTLINE_SPECIALISTS_TARGET` | the specialists joined with `&` |
//! | `HOTLINE_SPECIALISTS_TIMEOUT`, `HOTLINE_SPECIALISTS_ROUNDS` | how to ring them |
//! | `HOTLINE_ACTION` | `staff`, `specialists` or `menu` |
//!
//! (`HOTLINE_FALLBACK` is taken: the Stasis dialplan uses it as a hand-back flag.)
//!
//! # Round trips
//! Variables go several to a command (`SET VARIABLE "ARRAY(…)"`, `GET FULL
//! VARIABLE` of `${LEN(${…})}:${…}`; see [`super::command`]), in the order listed,
//! so a call costs six or seven round trips instead of some forty: one per `route`
//! session, and for `result` one read of everything, one of the targets dialled
//! and one write.
//!
//! # `result` (after each `Dial`) and `result,hangup` (in the `h` extension)
//! Before each `Dial` the dialplan sets `HOTLINE_DIALING` to `staff/N`, `staff/all`
//! or `specialists/R`. The script reads it, `DIALSTATUS`, `DIALEDTIME_MS`,
//! `ANSWEREDTIME_MS`, `DIALEDPEERNAME` and the targets dialled, records one dial
//! attempt per target (`AttemptStarted`/`AttemptEnded`, `Answered` for the winner),
//! and clears `HOTLINE_DIALING`. In `h` it first records an attempt still pending (the
//! caller hung up during `Dial`, or while connected), then `Ended` with the outcome:
//! answered by staff or specialist (`HOTLINE_ANSWERED_BY`, set by this script), failed
//! (`HOTLINE_GAVE_UP=1`, set by the dialplan before it says goodbye) or abandoned.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::app::{CallRecencyBook, RoutingClock};
use crate::directory::DirectoryCache;
use crate::journal::Journal;

use super::command::{AgiText, Command, CommandError, VariableName, set_all, split_lengths};
use super::connection::{Connection, ConnectionError};
use super::frame::{Environment, Reply};

mod result;
mod route;

pub use result::{
    Callee, DialReport, Dialing, attempt_result, outcome, parse_targets, plan_attempts,
    resolve_callee,
};
pub use route::{RouteArgs, RouteCall, RoutePlan, plan_route, ring_all, sound_name, strategy_name};

/// Names of the channel variables the scripts read and write.
pub mod vars {
    /// The journal's key for the call (the caller channel's unique id).
    pub const CALL_KEY: &str = "HOTLINE_CALL_KEY";
    /// What the dialplan does next: `menu`, `staff` or `specialists`.
    pub const ACTION: &str = "HOTLINE_ACTION";
    /// What `Read()` plays: the greeting or a "try again" preface, then the line's
    /// menu prompt, `&`-separated.
    pub const MENU_SOUNDS: &str = "HOTLINE_MENU_SOUNDS";
    /// Seconds to wait for the digit after the prompt.
    pub const DIGIT_TIMEOUT: &str = "HOTLINE_DIGIT_TIMEOUT";
    /// Decision mode (`automatic`, `after_hours`, ...).
    pub const MODE: &str = "HOTLINE_MODE";
    /// Topic code, empty if none.
    pub const TOPIC: &str = "HOTLINE_TOPIC";
    /// Why, in Russian.
    pub const REASON: &str = "HOTLINE_REASON";
    /// Sound to play before ringing; empty: none.
    pub const ANNOUNCE: &str = "HOTLINE_ANNOUNCE";
    /// Sound to play when no staff member answered, before the specialists; empty:
    /// none.
    pub const ALL_BUSY: &str = "HOTLINE_ALL_BUSY";
    /// Caller name shown on the callee's phone.
    pub const CALLER_NAME: &str = "HOTLINE_CALLER_NAME";
    /// How many `HOTLINE_TARGET_n` there are.
    pub const TARGET_COUNT: &str = "HOTLINE_TARGET_COUNT";
    /// Prefix of `HOTLINE_TARGET_1..N`.
    pub const TARGET_PREFIX: &str = "HOTLINE_TARGET_";
    /// All staff targets joined with `&`.
    pub const TARGETS_ALL: &str = "HOTLINE_TARGETS_ALL";
    /// `sequential`, `ring_all` or `least_recent`; empty without targets.
    pub const STRATEGY: &str = "HOTLINE_STRATEGY";
    /// Seconds each staff attempt rings.
    pub const ATTEMPT_TIMEOUT: &str = "HOTLINE_ATTEMPT_TIMEOUT";
    /// The specialists joined with `&`.
    pub const SPECIALISTS_TARGET: &str = "HOTLINE_SPECIALISTS_TARGET";
    /// Seconds each round of ringing the specialists lasts.
    pub const SPECIALISTS_TIMEOUT: &str = "HOTLINE_SPECIALISTS_TIMEOUT";
    /// Rounds of ringing the specialists before giving up.
    pub const SPECIALISTS_ROUNDS: &str = "HOTLINE_SPECIALISTS_ROUNDS";
    /// Set by the dialplan before each `Dial`: `staff/N`, `staff/all`, `specialists/R`.
    pub const DIALING: &str = "HOTLINE_DIALING";
    /// Set by the result script once someone answered: `staff` or `specialist`.
    pub const ANSWERED_BY: &str = "HOTLINE_ANSWERED_BY";
    /// Set to `1` by the dialplan when nobody could take the call.
    pub const GAVE_UP: &str = "HOTLINE_GAVE_UP";
}

/// Most staff targets handed to the dialplan (each is one variable and one `Dial`):
/// as many as a call's decision lists.
pub const MAX_TARGETS: usize = crate::routing::MAX_CANDIDATES;

/// Longest `&`-joined dial string; keeps `SET VARIABLE` well under Asterisk's
/// command buffer. Targets that do not fit are left out, with a warning.
pub const MAX_DIAL_STRING: usize = 1500;

/// Longest reason text handed to the dialplan, in bytes.
pub const MAX_REASON: usize = 1000;

/// Why a script could not do its job. The session ends; the dialplan sees no
/// `HOTLINE_ACTION` and takes its own fallback.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// Talking to Asterisk failed.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// `agi_network_script` names no script we serve.
    #[error("unknown AGI script {0:?} (expected `route` or `result`)")]
    UnknownScript(String),
    /// The `AGI()` arguments are not what the script expects.
    #[error("bad arguments for {script}: {problem}")]
    BadArguments {
        /// Which script.
        script: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The environment lacks `agi_uniqueid`.
    #[error("the AGI environment has no agi_uniqueid")]
    NoUniqueId,
    /// Asterisk refused a command we sent.
    #[error("Asterisk answered {reply} to {command}")]
    Refused {
        /// The command's first words.
        command: String,
        /// Asterisk's reply.
        reply: Reply,
    },
    /// A variable name or value could not be encoded (a bug: ours are constants).
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// The call-flow settings of the service that are not in the directory: the same
/// the Stasis app uses (`CallSettings`), handed to the dialplan so that both front
/// doors treat a caller alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallFlow {
    /// Seconds each round of ringing the specialists lasts.
    pub specialist_ring_seconds: u32,
    /// How many rounds of ringing the specialists before the call fails.
    pub specialist_rounds: u32,
    /// Whether the caller hears "connecting you with ..." (and "all busy") before
    /// callees are dialled; off, `HOTLINE_ANNOUNCE`/`HOTLINE_ALL_BUSY` are empty.
    pub announce_transfers: bool,
}

/// What the scripts share across sessions.
pub struct AgiContext {
    /// The directory snapshot, kept fresh by LISTEN/NOTIFY.
    pub directory: DirectoryCache,
    /// The journal both front doors write.
    pub journal: Journal,
    /// The instant decisions are taken at (shiftable for tests and demos).
    pub clock: RoutingClock,
    /// Last-call instants for least-recently-called hunting: the Stasis app's book.
    pub recency: Arc<CallRecencyBook>,
    /// Specialists' ringing and announcements.
    pub flow: CallFlow,
}

/// Which script a session asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// `agi://host/route`.
    Route,
    /// `agi://host/result`.
    Result,
}

impl Script {
    /// The script named by `agi_network_script` (`route`, `/route`, `route/`).
    pub fn from_environment(environment: &Environment) -> Result<Self, ScriptError> {
        let name = environment.network_script().unwrap_or_default();
        match name.trim_matches('/') {
            "route" => Ok(Script::Route),
            "result" => Ok(Script::Result),
            other => Err(ScriptError::UnknownScript(other.chars().take(80).collect())),
        }
    }

    /// The name, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Script::Route => "route",
            Script::Result => "result",
        }
    }
}

/// Runs the script the environment names, over `connection`.
pub async fn run<S>(
    connection: &mut Connection<S>,
    environment: &Environment,
    context: &AgiContext,
) -> Result<(), ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let call_key = environment.unique_id().ok_or(ScriptError::NoUniqueId)?;
    match Script::from_environment(environment)? {
        Script::Route => route::route(connection, environment, call_key, context).await,
        Script::Result => result::result(connection, environment, call_key, context).await,
    }
}

fn name(name: &str) -> VariableName {
    VariableName::new(name).expect("script variable names are plain")
}

/// Sets the variables in order, several to a round trip (see [`set_all`]).
async fn set_variables<S>(
    connection: &mut Connection<S>,
    pairs: impl IntoIterator<Item = (VariableName, AgiText)>,
) -> Result<(), ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    for command in set_all(pairs) {
        match connection.send(&command).await? {
            Reply::Success { result: 1, .. } => {}
            reply => return Err(refused(&command, reply)),
        }
    }
    Ok(())
}

/// The variables' values in one round trip, an unset variable as empty. Should
/// Asterisk cut the reply short (its buffer holds 4095 bytes), reads them one by
/// one instead, so a long value costs round trips, never a record.
async fn get_variables<S, const N: usize>(
    connection: &mut Connection<S>,
    variables: [&str; N],
) -> Result<[String; N], ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let names = variables
        .iter()
        .map(|variable| VariableName::new(*variable))
        .collect::<Result<Vec<_>, _>>()?;
    let command = Command::GetVariables { names };
    let data = match connection.send(&command).await? {
        Reply::Success {
            result: 1,
            data: Some(data),
            ..
        } => data,
        reply => return Err(refused(&command, reply)),
    };
    let values = match split_lengths(&data, N) {
        Some(values) => values,
        None => {
            tracing::warn!(
                len = data.len(),
                "GET FULL VARIABLE reply cut short; reading the variables one by one"
            );
            let mut values = Vec::with_capacity(N);
            for variable in variables {
                values.push(
                    get_variable(connection, variable)
                        .await?
                        .unwrap_or_default(),
                );
            }
            values
        }
    };
    Ok(values.try_into().expect("N values"))
}

/// The variable's value; `None` when it is unset.
async fn get_variable<S>(
    connection: &mut Connection<S>,
    variable: &str,
) -> Result<Option<String>, ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let command = Command::get(VariableName::new(variable)?);
    match connection.send(&command).await? {
        Reply::Success { result: 0, .. } => Ok(None),
        Reply::Success {
            result: 1,
            data: Some(value),
            ..
        } => Ok(Some(value)),
        reply => Err(refused(&command, reply)),
    }
}

fn refused(command: &Command, reply: Reply) -> ScriptError {
    let mut words = String::new();
    match command {
        Command::SetVariable { name, .. } => write!(words, "SET VARIABLE {name}"),
        Command::GetVariable { name } => write!(words, "GET VARIABLE {name}"),
        Command::Verbose { .. } => write!(words, "VERBOSE"),
        Command::Noop => write!(words, "NOOP"),
        Command::SetVariables { pairs } => {
            let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
            write!(words, "SET VARIABLE ARRAY({})", names.join(","))
        }
        Command::GetVariables { names } => {
            let names: Vec<&str> = names.iter().map(VariableName::as_str).collect();
            write!(words, "GET FULL VARIABLE of {}", names.join(","))
        }
    }
    .expect("writing to a String");
    ScriptError::Refused {
        command: words,
        reply,
    }
}
