//! The two FastAGI scripts: `agi://host/route` and `agi://host/result`.
//!
//! Each script is split in two: a **pure** part that turns facts (a routing
//! decision, what `Dial` reported) into the channel variables to set and the
//! journal records to write — unit-tested without sockets — and a thin I/O part
//! that reads the facts from the channel, sends `SET VARIABLE`s and hands the
//! records to the [`Journal`].
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

use chrono::{DateTime, Duration, Utc};

use crate::app::{CallRecencyBook, RoutingClock};
use crate::call::sounds;
use crate::directory::DirectoryCache;
use crate::journal::{CalleeKind, Journal, JournalRecord, RecordKind, Via};
use crate::pii::Pii;
use crate::routing::{
    Decision, DecisionMode, DialTarget, DirectorySnapshot, HuntStrategy, Line, LineNumber,
    MenuChoice, ReasonText, RouteRequest, StaffId, TopicCode, decide,
};

use super::command::{AgiText, Command, CommandError, VariableName};
use super::connection::{Connection, ConnectionError};
use super::frame::{Environment, Reply};

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
        Script::Route => route(connection, environment, call_key, context).await,
        Script::Result => result(connection, environment, call_key, context).await,
    }
}

// ------------------------------------------------------------------- route

/// The arguments of `route`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteArgs {
    /// The short number called.
    pub line: LineNumber,
    /// `None` on entry (`route,LINE`); the choice and the try number after the menu.
    pub choice: Option<(MenuChoice, u32)>,
}

impl RouteArgs {
    /// `LINE` or `LINE,CHOICE,TRY`: a line of 2..6 digits; a choice that is empty
    /// (nothing pressed), one DTMF key, or a topic code; a try number ≥ 1.
    pub fn parse(args: &[&str]) -> Result<Self, ScriptError> {
        let bad = |problem: String| ScriptError::BadArguments {
            script: "route",
            problem,
        };
        let line = match args.first() {
            Some(line)
                if (2..=6).contains(&line.len()) && line.bytes().all(|b| b.is_ascii_digit()) =>
            {
                LineNumber((*line).to_owned())
            }
            other => return Err(bad(format!("line must be 2..6 digits, got {other:?}"))),
        };
        let choice = match args {
            [_] => None,
            [_, choice, attempt] => {
                let attempt: u32 = attempt
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| bad(format!("try must be a number ≥ 1, got {attempt:?}")))?;
                Some((parse_choice(choice).map_err(bad)?, attempt))
            }
            _ => {
                return Err(bad(format!(
                    "expected LINE or LINE,CHOICE,TRY, got {} arguments",
                    args.len()
                )));
            }
        };
        Ok(Self { line, choice })
    }
}

fn parse_choice(choice: &str) -> Result<MenuChoice, String> {
    let mut chars = choice.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(MenuChoice::NoInput),
        (Some(digit @ ('0'..='9' | '*' | '#')), None) => Ok(MenuChoice::Digit(digit)),
        // The schema's `is_directory_code`: `^[a-z][a-z0-9_-]{0,47}$`.
        (Some('a'..='z'), _)
            if choice.len() <= 48
                && choice.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-')
                }) =>
        {
            Ok(MenuChoice::Topic(TopicCode(choice.to_owned())))
        }
        _ => Err(format!(
            "choice must be empty, one DTMF key or a topic code, got {:?}",
            choice.chars().take(64).collect::<String>()
        )),
    }
}

/// What the route script does for one request: variables to set, in order, and
/// journal facts. Pure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutePlan {
    /// Set in this order; [`vars::ACTION`] comes last.
    pub variables: Vec<(VariableName, AgiText)>,
    /// Journal facts, in order.
    pub records: Vec<RecordKind>,
    /// The decision, when the policy was asked.
    pub decided: Option<DecisionMode>,
}

impl RoutePlan {
    fn set(&mut self, name: &str, value: AgiText) {
        let name = VariableName::new(name).expect("script variable names are plain");
        self.variables.push((name, value));
    }

    /// The value planned for `name`, for tests and logs.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .rev()
            .find(|(known, _)| known.as_str() == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Facts about the request that do not come from the directory.
#[derive(Clone, Debug)]
pub struct RouteCall<'a> {
    /// `agi_uniqueid`.
    pub call_key: &'a str,
    /// The caller's number, empty if unknown.
    pub caller_number: &'a str,
    /// Real time now (journal timestamps).
    pub now: DateTime<Utc>,
    /// The routing clock's instant (the decision's).
    pub decide_at: DateTime<Utc>,
}

/// Plans the route script's answer. Pure: everything comes in as a parameter.
pub fn plan_route(
    snapshot: &DirectorySnapshot,
    args: &RouteArgs,
    call: &RouteCall<'_>,
    recency: &(impl crate::routing::CallRecency + ?Sized),
    flow: CallFlow,
) -> RoutePlan {
    let mut plan = RoutePlan::default();
    // Cleared first: if the session dies half-way the dialplan sees no action.
    plan.set(vars::ACTION, AgiText::default());
    plan.set(vars::CALL_KEY, AgiText::lossy(call.call_key));
    // Idempotent (the journal ignores a second `Started` for a call): a dialplan that
    // skips the entry step still gets a call record.
    plan.records.push(RecordKind::Started {
        via: Via::Agi,
        line: args.line.0.clone(),
        caller_number: call.caller_number.to_owned(),
        at: call.now,
    });
    let line = snapshot.lines.get(&args.line);
    let (choice, attempt) = match (&args.choice, line) {
        (None, Some(line)) => {
            offer_menu(&mut plan, line, line.greeting_prompt.as_deref());
            return plan;
        }
        // A line the directory does not know: the policy sends it to specialists.
        (None, None) => (MenuChoice::NoInput, u32::MAX),
        (Some((choice, attempt)), _) => (choice.clone(), *attempt),
    };
    let menu_again = line.filter(|line| attempt < line.menu_attempts);
    if let (MenuChoice::NoInput, Some(line)) = (&choice, menu_again) {
        offer_menu(&mut plan, line, Some(sounds::NO_INPUT));
        return plan;
    }
    let decision = decide(
        snapshot,
        &RouteRequest {
            line: args.line.clone(),
            choice,
            at: call.decide_at,
        },
        recency,
    );
    plan.decided = Some(decision.mode);
    let reason = decision.reason.texts();
    // The Stasis app journals every decision, an invalid digit included.
    plan.records.push(RecordKind::Routed {
        topic: decision.topic.as_ref().map(|t| t.code.0.clone()),
        mode: decision.mode.as_str().to_owned(),
        reason: reason.to_string(),
        at: call.now,
    });
    if let (DecisionMode::InvalidDigit, Some(line)) = (decision.mode, menu_again) {
        offer_menu(&mut plan, line, Some(sounds::INVALID_CHOICE));
        return plan;
    }
    plan_decision(&mut plan, &decision, &reason, flow);
    plan
}

/// Asks the dialplan to (re)play the line's menu, after `preface` if any, as the
/// Stasis app does: the greeting before the first menu, "no such option" or "we
/// did not hear you" before a repeat.
fn offer_menu(plan: &mut RoutePlan, line: &Line, preface: Option<&str>) {
    let menu = sound_name(&line.menu_prompt)
        .map_or_else(|| format!("hotline/menu-{}", line.number), str::to_owned);
    let sounds = match preface.and_then(sound_name) {
        Some(preface) => format!("{preface}&{menu}"),
        None => menu,
    };
    plan.set(vars::MENU_SOUNDS, AgiText::lossy(&sounds));
    plan.set(vars::DIGIT_TIMEOUT, number(line.digit_timeout_seconds));
    plan.set(vars::ACTION, AgiText::lossy("menu"));
}

/// A sound name safe to put in `Read()`'s `&`-separated file list: the rule of the
/// `line` table's constraints (`[A-Za-z0-9_/-]`, 1..=128). Anything else is left
/// out with a warning rather than risk a `,` or `&` reaching the dialplan.
pub fn sound_name(name: &str) -> Option<&str> {
    let safe = (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'-'));
    if !safe {
        tracing::warn!(sound = name, "unsafe sound name left out of the menu");
    }
    safe.then_some(name)
}

/// The variables of a decision (whose reason is written out as `reason`); sets
/// [`vars::ACTION`] last.
fn plan_decision(plan: &mut RoutePlan, decision: &Decision, reason: &ReasonText, flow: CallFlow) {
    let dial_staff = decision.mode == DecisionMode::Automatic && !decision.candidates.is_empty();
    plan.set(vars::MODE, AgiText::lossy(decision.mode.as_str()));
    let topic = decision.topic.as_ref();
    plan.set(
        vars::TOPIC,
        AgiText::lossy(topic.map_or("", |t| t.code.0.as_str())),
    );
    plan.set(
        vars::REASON,
        AgiText::lossy(&reason.ru).truncated(MAX_REASON),
    );
    let announce = match decision.mode {
        _ if !flow.announce_transfers => "",
        _ if dial_staff => sounds::CONNECTING_STAFF,
        DecisionMode::AfterHours => sounds::AFTER_HOURS,
        _ => sounds::CONNECTING_SPECIALIST,
    };
    plan.set(vars::ANNOUNCE, AgiText::lossy(announce));
    let caller_name =
        topic.map_or_else(|| format!("Линия {}", decision.line), |t| t.name_ru.clone());
    plan.set(
        vars::CALLER_NAME,
        AgiText::lossy(&caller_name).truncated(200),
    );

    let staff: Vec<&DialTarget> = if dial_staff {
        decision.candidates.iter().map(|c| c.endpoint()).collect()
    } else {
        Vec::new()
    };
    if staff.len() > MAX_TARGETS {
        tracing::warn!(
            candidates = staff.len(),
            kept = MAX_TARGETS,
            "more candidates than the AGI dialplan is given; the rest are left out"
        );
    }
    let staff = &staff[..staff.len().min(MAX_TARGETS)];
    plan.set(vars::TARGET_COUNT, number(staff.len()));
    for (index, target) in staff.iter().enumerate() {
        plan.set(
            &format!("{}{}", vars::TARGET_PREFIX, index + 1),
            dial_text(target.as_str()),
        );
    }
    plan.set(vars::TARGETS_ALL, ring_all(staff.iter().copied()));
    let (strategy, timeout) = if dial_staff {
        (
            decision.strategy.map_or("", strategy_name),
            decision
                .attempt_timeout_seconds
                .map_or_else(String::new, |s| s.to_string()),
        )
    } else {
        ("", String::new())
    };
    plan.set(vars::STRATEGY, AgiText::lossy(strategy));
    plan.set(vars::ATTEMPT_TIMEOUT, AgiText::lossy(&timeout));
    plan.set(
        vars::SPECIALISTS_TARGET,
        ring_all(decision.fallback.iter().map(|s| &s.endpoint)),
    );
    plan.set(
        vars::SPECIALISTS_TIMEOUT,
        number(flow.specialist_ring_seconds),
    );
    plan.set(vars::SPECIALISTS_ROUNDS, number(flow.specialist_rounds));
    let all_busy = if flow.announce_transfers && dial_staff {
        sounds::ALL_BUSY
    } else {
        ""
    };
    plan.set(vars::ALL_BUSY, AgiText::lossy(all_busy));
    plan.set(
        vars::ACTION,
        AgiText::lossy(if dial_staff { "staff" } else { "specialists" }),
    );
}

/// The word the dialplan compares `HOTLINE_STRATEGY` with.
pub fn strategy_name(strategy: HuntStrategy) -> &'static str {
    match strategy {
        HuntStrategy::Sequential => "sequential",
        HuntStrategy::RingAll => "ring_all",
        HuntStrategy::LeastRecent => "least_recent",
    }
}

/// Validated dial targets joined with `&`: `Dial()`'s ring-all syntax. Only
/// [`DialTarget`]s go in, and a `DialTarget` holds no `&`, `,` or anything else
/// `Dial()` would read as another destination or option, so the string has exactly
/// one destination per target. Stops before [`MAX_DIAL_STRING`].
pub fn ring_all<'a>(targets: impl IntoIterator<Item = &'a DialTarget>) -> AgiText {
    let mut joined = String::new();
    for target in targets {
        let extra = target.as_str().len() + usize::from(!joined.is_empty());
        if joined.len() + extra > MAX_DIAL_STRING {
            tracing::warn!(%target, "dial string full; target left out of ring-all");
            break;
        }
        if !joined.is_empty() {
            joined.push('&');
        }
        joined.push_str(target.as_str());
    }
    dial_text(&joined)
}

fn dial_text(target: impl AsRef<str>) -> AgiText {
    AgiText::new(target.as_ref()).expect("dial targets hold no control characters")
}

fn number(n: impl ToString) -> AgiText {
    AgiText::lossy(&n.to_string())
}

async fn route<S>(
    connection: &mut Connection<S>,
    environment: &Environment,
    call_key: &str,
    context: &AgiContext,
) -> Result<(), ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let args = RouteArgs::parse(&environment.args())?;
    let caller_number = environment.caller_number().unwrap_or_default();
    let snapshot = context.directory.current();
    let call = RouteCall {
        call_key,
        caller_number,
        now: Utc::now(),
        decide_at: context.clock.now(),
    };
    let plan = (context.recency).with(&snapshot, |recency| {
        plan_route(&snapshot, &args, &call, recency, context.flow)
    });
    tracing::info!(
        line = %args.line,
        caller = %Pii(caller_number),
        choice = ?args.choice,
        mode = plan.decided.map(DecisionMode::as_str),
        action = plan.value(vars::ACTION),
        targets = plan.value(vars::TARGET_COUNT),
        "AGI route"
    );
    for record in plan.records {
        context.journal.record(JournalRecord {
            call_key: call_key.to_owned(),
            kind: record,
        });
    }
    for (name, value) in plan.variables {
        set_variable(connection, name, value).await?;
    }
    Ok(())
}

// ------------------------------------------------------------------- result

/// Which `Dial` the dialplan announced in `HOTLINE_DIALING`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialing {
    /// `staff/N`: the N-th staff target (`HOTLINE_TARGET_N`).
    Staff(u32),
    /// `staff/all`: every staff target at once (`HOTLINE_TARGETS_ALL`).
    StaffAll,
    /// `specialists/R`: round R of ringing the specialists.
    Specialists(u32),
}

impl Dialing {
    /// Parses `staff/N`, `staff/all` or `specialists/R` (N, R from 1 to 999).
    pub fn parse(text: &str) -> Option<Self> {
        let index = |n: &str| n.parse().ok().filter(|n| (1..1000).contains(n));
        match text.split_once('/')? {
            ("staff", "all") => Some(Dialing::StaffAll),
            ("staff", n) => index(n).map(Dialing::Staff),
            ("specialists", r) => index(r).map(Dialing::Specialists),
            _ => None,
        }
    }

    /// The variable holding the targets of this `Dial`.
    pub fn targets_variable(self) -> String {
        match self {
            Dialing::Staff(n) => format!("{}{n}", vars::TARGET_PREFIX),
            Dialing::StaffAll => vars::TARGETS_ALL.to_owned(),
            Dialing::Specialists(_) => vars::SPECIALISTS_TARGET.to_owned(),
        }
    }

    fn kind(self) -> CalleeKind {
        match self {
            Dialing::Staff(_) | Dialing::StaffAll => CalleeKind::Staff,
            Dialing::Specialists(_) => CalleeKind::Specialist,
        }
    }
}

/// What `Dial` left on the channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DialReport {
    /// `DIALSTATUS`: ANSWER, BUSY, NOANSWER, CHANUNAVAIL, CONGESTION, CANCEL, ...
    pub status: String,
    /// `DIALEDPEERNAME`: the channel that answered, e.g. `PJSIP/staff01-0000002a`.
    pub peer: String,
    /// `DIALEDTIME_MS`: from dialling until `Dial` returned.
    pub dialed_ms: i64,
    /// `ANSWEREDTIME_MS`: from the answer until `Dial` returned.
    pub answered_ms: i64,
    /// The targets that were dialled, from the variable `HOTLINE_DIALING` points at.
    pub targets: Vec<DialTarget>,
}

/// Who a dialled target is, for the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callee {
    /// Staff or specialist.
    pub kind: CalleeKind,
    /// The staff member's id (least-recently-called hunting reads it).
    pub staff_id: Option<StaffId>,
    /// Their name, copied into the journal.
    pub name: String,
}

/// The journal's attempt result for a `DIALSTATUS` of a leg that did not answer.
pub fn attempt_result(status: &str) -> &'static str {
    match status {
        "BUSY" => "busy",
        "NOANSWER" => "no_answer",
        "CHANUNAVAIL" => "unavailable",
        // The caller hung up while it rang, or `Dial` never got to report.
        "CANCEL" | "" => "cancelled",
        // CONGESTION (e.g. 603 Decline), DONTCALL, TORTURE, INVALIDARGS.
        _ => "failed",
    }
}

/// The journal facts of one finished (or interrupted) `Dial`, and who answered.
/// Pure. One attempt per target, as the Stasis app dials one leg per target; legs
/// are named `<call>-staff<N>` / `<call>-spec<R>.<K>` so each is unique per call.
/// A ring-all without an answer gives every leg the overall `DIALSTATUS` (`Dial`
/// reports no per-leg result).
pub fn plan_attempts(
    call_key: &str,
    dialing: Dialing,
    report: &DialReport,
    now: DateTime<Utc>,
    callee: impl Fn(&DialTarget, CalleeKind) -> Callee,
) -> (Vec<RecordKind>, Option<CalleeKind>) {
    let started = now - Duration::milliseconds(report.dialed_ms.max(0));
    let answered = report.status == "ANSWER";
    let answered_at = (now - Duration::milliseconds(report.answered_ms.max(0))).max(started);
    let winner = answered
        .then(|| winner(&report.targets, &report.peer))
        .flatten();
    let mut records = Vec::new();
    for (position, target) in report.targets.iter().enumerate() {
        let leg = match dialing {
            Dialing::Staff(n) => format!("{call_key}-staff{n}"),
            Dialing::StaffAll => format!("{call_key}-staff{}", position + 1),
            Dialing::Specialists(round) => format!("{call_key}-spec{round}.{}", position + 1),
        };
        let who = callee(target, dialing.kind());
        records.push(RecordKind::AttemptStarted {
            leg: leg.clone(),
            target: target.as_str().to_owned(),
            callee_kind: who.kind,
            staff_id: who.staff_id.map(|id| id.0),
            callee_name: who.name,
            at: started,
        });
        let (result, at) = match winner {
            Some(w) if w == position => ("answered", answered_at),
            Some(_) => ("cancelled", answered_at),
            None if answered => ("failed", now), // unreachable: a target always wins
            None => (attempt_result(&report.status), now),
        };
        records.push(RecordKind::AttemptEnded {
            leg: leg.clone(),
            result: result.to_owned(),
            at,
        });
        if result == "answered" {
            records.push(RecordKind::Answered {
                leg,
                at: answered_at,
            });
        }
    }
    (records, winner.map(|_| dialing.kind()))
}

/// Which target answered, from `DIALEDPEERNAME` (`PJSIP/staff01-0000002a` was
/// dialled as `PJSIP/staff01` or `PJSIP/staff01@host`). A lone target is the winner
/// whatever the name says.
fn winner(targets: &[DialTarget], peer: &str) -> Option<usize> {
    if targets.len() == 1 {
        return Some(0);
    }
    let matches = |target: &DialTarget| {
        let full = target.as_str();
        let without_host = full.split_once('@').map_or(full, |(channel, _)| channel);
        [full, without_host].iter().any(|prefix| {
            peer.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('-'))
        })
    };
    let found = targets.iter().position(matches);
    if found.is_none() && !targets.is_empty() {
        tracing::warn!(
            peer,
            "answered peer matches no dialled target; crediting the first"
        );
        return Some(0);
    }
    found
}

/// The journal outcome of a call that is over.
pub fn outcome(answered_by: Option<CalleeKind>, gave_up: bool) -> &'static str {
    match (answered_by, gave_up) {
        (Some(CalleeKind::Staff), _) => "answered_by_staff",
        (Some(CalleeKind::Specialist), _) => "answered_by_specialist",
        (None, true) => "failed",
        (None, false) => "abandoned",
    }
}

/// Who a target is in the directory: staff on the call's topic first, then any
/// staff with that phone; a specialist by phone. Unknown: an empty name.
pub fn resolve_callee(
    snapshot: &DirectorySnapshot,
    topic: Option<&str>,
    target: &DialTarget,
    kind: CalleeKind,
) -> Callee {
    match kind {
        CalleeKind::Staff => {
            let mut with_phone = snapshot.staff.iter().filter(|s| &s.endpoint == target);
            let on_topic = topic.and_then(|topic| {
                snapshot
                    .staff
                    .iter()
                    .filter(|s| &s.endpoint == target)
                    .find(|s| s.topics.iter().any(|t| t.0 == topic))
            });
            let person = on_topic.or_else(|| with_phone.next());
            Callee {
                kind,
                staff_id: person.map(|p| p.id),
                name: person.map(|p| p.full_name.clone()).unwrap_or_default(),
            }
        }
        CalleeKind::Specialist => Callee {
            kind,
            staff_id: None,
            name: snapshot
                .specialists
                .iter()
                .find(|s| &s.endpoint == target)
                .map(|s| s.full_name.clone())
                .unwrap_or_default(),
        },
    }
}

/// Parses a `&`-joined dial string back into targets, refusing anything that is
/// not a valid [`DialTarget`] (the variable may have been changed by the dialplan).
pub fn parse_targets(joined: &str) -> Result<Vec<DialTarget>, String> {
    if joined.is_empty() {
        return Ok(Vec::new());
    }
    joined
        .split('&')
        .map(|t| DialTarget::parse(t).map_err(|e| e.to_string()))
        .collect()
}

async fn result<S>(
    connection: &mut Connection<S>,
    environment: &Environment,
    call_key: &str,
    context: &AgiContext,
) -> Result<(), ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let args = environment.args();
    let hangup = match args.as_slice() {
        [] | [""] => false,
        ["hangup"] => true,
        other => {
            return Err(ScriptError::BadArguments {
                script: "result",
                problem: format!("expected nothing or `hangup`, got {other:?}"),
            });
        }
    };
    let routed_key = get_variable(connection, vars::CALL_KEY).await?;
    if routed_key.as_deref() != Some(call_key) {
        // The route script never ran for this channel (it failed, or the caller
        // left during the menu before it did): there is no call record to add to.
        tracing::info!(
            hangup,
            "AGI result for a call the route script never saw; nothing to record"
        );
        return Ok(());
    }
    let now = Utc::now();
    let mut answered_now = None;
    let pending = get_variable(connection, vars::DIALING).await?;
    if let Some(pending) = pending.filter(|p| !p.is_empty()) {
        let dialing = Dialing::parse(&pending).ok_or_else(|| ScriptError::BadArguments {
            script: "result",
            problem: format!(
                "{} = {pending:?} is not staff/N, staff/all or specialists/R",
                vars::DIALING
            ),
        })?;
        let report = read_dial_report(connection, dialing).await?;
        let topic = match dialing.kind() {
            CalleeKind::Staff => get_variable(connection, vars::TOPIC).await?,
            CalleeKind::Specialist => None,
        };
        let snapshot = context.directory.current();
        let (records, answered) = plan_attempts(call_key, dialing, &report, now, |target, kind| {
            resolve_callee(&snapshot, topic.as_deref(), target, kind)
        });
        tracing::info!(
            dialing = %pending,
            status = %report.status,
            targets = report.targets.len(),
            answered = answered.map(CalleeKind::as_str),
            "AGI dial result"
        );
        for record in records {
            if let RecordKind::AttemptStarted {
                staff_id: Some(id),
                at,
                ..
            } = &record
            {
                context.recency.called(StaffId(*id), *at);
            }
            context.journal.record(JournalRecord {
                call_key: call_key.to_owned(),
                kind: record,
            });
        }
        set_variable(connection, name(vars::DIALING), AgiText::default()).await?;
        if let Some(kind) = answered {
            set_variable(
                connection,
                name(vars::ANSWERED_BY),
                AgiText::lossy(kind.as_str()),
            )
            .await?;
            answered_now = Some(kind);
        }
    }
    if hangup {
        let answered_by = match answered_now {
            Some(kind) => Some(kind),
            None => match get_variable(connection, vars::ANSWERED_BY)
                .await?
                .as_deref()
            {
                Some("staff") => Some(CalleeKind::Staff),
                Some("specialist") => Some(CalleeKind::Specialist),
                _ => None,
            },
        };
        let gave_up = get_variable(connection, vars::GAVE_UP).await?.as_deref() == Some("1");
        let outcome = outcome(answered_by, gave_up);
        tracing::info!(outcome, "AGI call ended");
        context.journal.record(JournalRecord {
            call_key: call_key.to_owned(),
            kind: RecordKind::Ended {
                outcome: outcome.to_owned(),
                at: now,
            },
        });
    }
    Ok(())
}

async fn read_dial_report<S>(
    connection: &mut Connection<S>,
    dialing: Dialing,
) -> Result<DialReport, ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let millis = |value: Option<String>| value.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let joined = get_variable(connection, &dialing.targets_variable())
        .await?
        .unwrap_or_default();
    let targets = parse_targets(&joined).map_err(|problem| ScriptError::BadArguments {
        script: "result",
        problem: format!("{}: {problem}", dialing.targets_variable()),
    })?;
    Ok(DialReport {
        status: get_variable(connection, "DIALSTATUS")
            .await?
            .unwrap_or_default(),
        peer: get_variable(connection, "DIALEDPEERNAME")
            .await?
            .unwrap_or_default(),
        dialed_ms: millis(get_variable(connection, "DIALEDTIME_MS").await?),
        answered_ms: millis(get_variable(connection, "ANSWEREDTIME_MS").await?),
        targets,
    })
}

// ------------------------------------------------------------------- I/O helpers

fn name(name: &str) -> VariableName {
    VariableName::new(name).expect("script variable names are plain")
}

async fn set_variable<S>(
    connection: &mut Connection<S>,
    name: VariableName,
    value: AgiText,
) -> Result<(), ScriptError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let command = Command::set(name, value);
    match connection.send(&command).await? {
        Reply::Success { result: 1, .. } => Ok(()),
        reply => Err(refused(&command, reply)),
    }
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
    }
    .expect("writing to a String");
    ScriptError::Refused {
        command: words,
        reply,
    }
}
