//! The `route` script (`route,LINE` and `route,LINE,CHOICE,TRY`): the pure
//! [`plan_route`], which turns the directory and the routing policy's decision into
//! the channel variables and journal facts described in [`super`], and the session
//! that sends them.

use chrono::{DateTime, Utc};

use crate::call::sounds;
use crate::journal::{JournalRecord, RecordKind, Via};
use crate::pii::Pii;
use crate::routing::{
    Decision, DecisionMode, DialTarget, DirectorySnapshot, HuntStrategy, Line, LineNumber,
    MenuChoice, ReasonText, RouteRequest, TopicCode, decide,
};

use super::{
    AgiContext, CallFlow, MAX_DIAL_STRING, MAX_REASON, MAX_TARGETS, ScriptError, name,
    set_variables, vars,
};
use crate::agi::command::{AgiText, VariableName};
use crate::agi::connection::Connection;
use crate::agi::frame::Environment;

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
    fn set(&mut self, variable: &str, value: AgiText) {
        self.variables.push((name(variable), value));
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
        node: None,
        line: args.line.0.clone(),
        caller_number: Pii(call.caller_number.to_owned()),
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

pub(super) async fn route<S>(
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
    set_variables(connection, plan.variables).await
}
