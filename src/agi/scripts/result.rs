//! The `result` script (`result` after each `Dial`, `result,hangup` in the `h`
//! extension): the pure [`plan_attempts`] and [`outcome`], which turn what `Dial`
//! left on the channel into journal facts, and the session that reads the channel.

use chrono::{DateTime, Duration, Utc};

use crate::journal::{CalleeKind, JournalRecord, RecordKind};
use crate::routing::{DialTarget, DirectorySnapshot, StaffId};

use super::{AgiContext, ScriptError, get_variable, get_variables, name, set_variables, vars};
use crate::agi::command::AgiText;
use crate::agi::connection::Connection;
use crate::agi::frame::Environment;

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

pub(super) async fn result<S>(
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
    // Everything this session may need, in one round trip.
    let [
        routed_key,
        pending,
        topic,
        answered_by,
        gave_up,
        status,
        peer,
        dialed_ms,
        answered_ms,
    ] = get_variables(
        connection,
        [
            vars::CALL_KEY,
            vars::DIALING,
            vars::TOPIC,
            vars::ANSWERED_BY,
            vars::GAVE_UP,
            "DIALSTATUS",
            "DIALEDPEERNAME",
            "DIALEDTIME_MS",
            "ANSWEREDTIME_MS",
        ],
    )
    .await?;
    if routed_key != call_key {
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
    if !pending.is_empty() {
        let dialing = Dialing::parse(&pending).ok_or_else(|| ScriptError::BadArguments {
            script: "result",
            problem: format!(
                "{} = {pending:?} is not staff/N, staff/all or specialists/R",
                vars::DIALING
            ),
        })?;
        let millis = |value: &str| value.parse::<i64>().unwrap_or(0);
        let joined = get_variable(connection, &dialing.targets_variable())
            .await?
            .unwrap_or_default();
        let report = DialReport {
            targets: parse_targets(&joined).map_err(|problem| ScriptError::BadArguments {
                script: "result",
                problem: format!("{}: {problem}", dialing.targets_variable()),
            })?,
            status,
            peer,
            dialed_ms: millis(&dialed_ms),
            answered_ms: millis(&answered_ms),
        };
        let topic = match dialing.kind() {
            CalleeKind::Staff => Some(topic).filter(|topic| !topic.is_empty()),
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
        let mut done = vec![(name(vars::DIALING), AgiText::default())];
        if let Some(kind) = answered {
            done.push((name(vars::ANSWERED_BY), AgiText::lossy(kind.as_str())));
            answered_now = Some(kind);
        }
        set_variables(connection, done).await?;
    }
    if hangup {
        let answered_by = answered_now.or(match answered_by.as_str() {
            "staff" => Some(CalleeKind::Staff),
            "specialist" => Some(CalleeKind::Specialist),
            _ => None,
        });
        let gave_up = gave_up == "1";
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
