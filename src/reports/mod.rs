//! Reports on how the hotline served: what the contact center's head answers to the
//! regional government every month.
//!
//! Figures come straight from the journal (`call_record`, `dial_attempt`,
//! `call_transfer`, `appeal`) by one aggregate query per report, over the
//! `entered_at` / `started_at` indexes: a month of a busy center (about 85,000 calls
//! of a year of 1,000,000) is aggregated in a fraction of a second
//! (`benches/report.rs`, docs/benchmarks.md), so no rollup table has to be kept
//! consistent with the journal, and a roster or calendar fix shows in every report
//! at once.
//!
//! A call belongs to an organisation: the one of the staff member who answered it,
//! else its topic's responsible agency (`topic.agency`).
//! Calls of an institution count for its agency in reports by agency.
//! Periods are hours, calendar days, ISO weeks or months in the contact center's time
//! zone (Asia/Irkutsk).
//!
//! - [`CallReport`]: counts and times per period and group ([`call_report`]);
//! - [`AbandonedCall`]: the list for calling back ([`abandoned_calls`]);
//! - [`csv`]: the same columns as CSV; [`chart`]: calls per period with the service
//!   level, as SVG.

pub mod chart;
pub mod csv;
mod sql;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::routing::calendar::REGION_ZONE;

/// How long a report's periods are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Hours (for a day's chart).
    Hour,
    /// Calendar days.
    #[default]
    Day,
    /// ISO weeks (Monday to Sunday).
    Week,
    /// Calendar months.
    Month,
}

impl Period {
    /// The `date_trunc` unit.
    fn as_sql(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// What a report's rows are split by, besides the period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Nothing: one row per period.
    #[default]
    Total,
    /// The line (122, 117).
    Line,
    /// The topic.
    Topic,
    /// The regional agency or municipal body (an institution's calls count for its
    /// agency).
    Agency,
    /// The organisation itself: agency, subordinate institution or municipal body.
    Organisation,
}

/// Which calls a report covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    /// First day (local).
    pub from: NaiveDate,
    /// Last day (local), included.
    pub to: NaiveDate,
    /// Period length.
    pub period: Period,
    /// Grouping.
    pub by: GroupBy,
    /// Answered within this many seconds counts for the service level.
    pub service_level_seconds: u32,
    /// Only calls and appeals of these organisations (staff see their own and their
    /// institutions'); `None`: all, those of no organisation included.
    pub organisations: Option<Vec<String>>,
}

impl ReportQuery {
    /// The instants the days span: `[from 00:00, to+1 00:00)` in Irkutsk.
    pub fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |day: NaiveDate| {
            REGION_ZONE
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
                .single()
                .expect("Irkutsk has no daylight saving: midnight is unique")
                .with_timezone(&Utc)
        };
        (
            start(self.from),
            start(self.to.succ_opt().unwrap_or(self.to)),
        )
    }
}

/// One row of a report: a period and a group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct CallReport {
    /// Start of the period, local time (midnight for days, weeks and months).
    pub period_start: NaiveDateTime,
    /// The group's key: line, topic code, organisation code; empty for "none" (a
    /// call with no topic, or the whole period when not grouped).
    pub key: String,
    /// Calls that reached the service.
    pub offered: i64,
    /// Answered by responsible staff dialled automatically.
    pub answered_by_staff_automatically: i64,
    /// Transferred to staff by a specialist (console, *1 or the phone's transfer).
    pub transferred_manually: i64,
    /// Answered by contact-center specialists.
    pub answered_by_specialists: i64,
    /// The caller hung up in the menu (before anyone was dialled or the queue).
    pub abandoned_in_menu: i64,
    /// The caller hung up waiting in the specialists' queue.
    pub abandoned_in_queue: i64,
    /// The caller hung up while staff were being dialled.
    pub abandoned_while_staff_rang: i64,
    /// Nobody could take it (or it was handed to the dialplan, or left a callback).
    pub other_outcomes: i64,
    /// Answered within the service-level threshold.
    pub answered_within_threshold: i64,
    /// Not answered and not over yet (today's figures while calls wait or ring).
    pub waiting_now: i64,
    /// Share answered within the threshold of the calls offered and not still
    /// waiting (0..1); none without such calls.
    #[sqlx(default)]
    pub service_level: Option<f64>,
    /// Average seconds from entering to being answered.
    pub average_speed_of_answer_seconds: Option<f64>,
    /// Average seconds of conversation.
    pub average_handle_time_seconds: Option<f64>,
    /// Calls routed outside their organisation's working hours.
    pub after_hours: i64,
    /// Share of after-hours calls (0..1).
    #[sqlx(default)]
    pub after_hours_share: Option<f64>,
    /// Appeals registered in the period.
    #[sqlx(default)]
    pub appeals_opened: i64,
    /// Appeals marked done in the period.
    #[sqlx(default)]
    pub appeals_closed: i64,
    /// Of those opened, callbacks requested.
    #[sqlx(default)]
    pub callbacks_opened: i64,
    /// Of those closed, callbacks.
    #[sqlx(default)]
    pub callbacks_closed: i64,
    /// Average hours from registration to done, of those closed in the period.
    #[sqlx(default)]
    pub appeal_average_age_hours_at_close: Option<f64>,
    /// Appeals not done at the end of the period (now, for the period under way).
    #[sqlx(default)]
    pub appeals_open_at_end: i64,
    /// Their average age then, in hours.
    #[sqlx(default)]
    pub appeals_open_average_age_hours: Option<f64>,
}

/// An abandoned call, for calling back.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct AbandonedCall {
    /// The journal's call id.
    pub call_key: String,
    /// When the call came.
    pub entered_at: DateTime<Utc>,
    /// The line.
    pub line: String,
    /// The topic code, if chosen.
    pub topic: Option<String>,
    /// The organisation the call was for, if known.
    pub organisation: Option<String>,
    /// `menu`, `queue` or `staff_ringing`.
    pub abandoned_in: String,
    /// Seconds the caller stayed.
    pub waited_seconds: f64,
    /// The caller's number; `None` for roles that may not see it.
    pub caller_number: Option<String>,
}

/// The report `query` asks for: rows by period then key.
pub async fn call_report(
    pool: &PgPool,
    query: &ReportQuery,
) -> Result<Vec<CallReport>, sqlx::Error> {
    let (from, to) = query.bounds();
    let mut rows: Vec<CallReport> = sqlx::query_as(sql::call_report(query.by))
        .bind(from)
        .bind(to)
        .bind(query.period.as_sql())
        .bind(f64::from(query.service_level_seconds))
        .bind(&query.organisations)
        .fetch_all(pool)
        .await?;
    let appeals: Vec<AppealCounts> = appeal_rows(pool, sql::appeal_report(query.by), query).await?;
    let backlog: Vec<AppealBacklog> =
        appeal_rows(pool, sql::appeal_backlog(query.by), query).await?;
    for open in backlog {
        let row = row_of(&mut rows, open.period_start, &open.key);
        row.appeals_open_at_end = open.open_at_end;
        row.appeals_open_average_age_hours = open.open_average_age_hours;
    }
    for counts in appeals {
        let row = row_of(&mut rows, counts.period_start, &counts.key);
        row.appeals_opened = counts.opened;
        row.appeals_closed = counts.closed;
        row.callbacks_opened = counts.callbacks_opened;
        row.callbacks_closed = counts.callbacks_closed;
        row.appeal_average_age_hours_at_close = counts.average_age_hours_at_close;
    }
    for row in &mut rows {
        row.service_level = share(row.answered_within_threshold, row.offered - row.waiting_now);
        row.after_hours_share = share(row.after_hours, row.offered);
    }
    rows.sort_by(|a, b| (a.period_start, &a.key).cmp(&(b.period_start, &b.key)));
    Ok(rows)
}

/// Runs one of the appeal queries (`$1`/`$2` the instants, `$3` the unit, `$4` the
/// organisations).
async fn appeal_rows<T>(
    pool: &PgPool,
    sql: sqlx::AssertSqlSafe<String>,
    query: &ReportQuery,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let (from, to) = query.bounds();
    sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .bind(query.period.as_sql())
        .bind(&query.organisations)
        .fetch_all(pool)
        .await
}

/// The row of a period and group, added (with no calls) if there is none yet.
fn row_of<'a>(
    rows: &'a mut Vec<CallReport>,
    start: NaiveDateTime,
    key: &str,
) -> &'a mut CallReport {
    match rows
        .iter()
        .position(|r| r.period_start == start && r.key == key)
    {
        Some(index) => &mut rows[index],
        None => {
            rows.push(CallReport {
                period_start: start,
                key: key.to_owned(),
                ..CallReport::default()
            });
            rows.last_mut().expect("just pushed")
        }
    }
}

/// Appeals open at the end of one period, of one group.
#[derive(Debug, sqlx::FromRow)]
struct AppealBacklog {
    period_start: NaiveDateTime,
    key: String,
    open_at_end: i64,
    open_average_age_hours: Option<f64>,
}

/// Appeal figures of one period and group.
#[derive(Debug, sqlx::FromRow)]
struct AppealCounts {
    period_start: NaiveDateTime,
    key: String,
    opened: i64,
    closed: i64,
    callbacks_opened: i64,
    callbacks_closed: i64,
    average_age_hours_at_close: Option<f64>,
}

#[expect(clippy::cast_precision_loss, reason = "call counts are far below 2^52")]
fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The calls abandoned in the range, newest first (at most `limit`); numbers only
/// when `with_numbers`.
pub async fn abandoned_calls(
    pool: &PgPool,
    query: &ReportQuery,
    with_numbers: bool,
    limit: i64,
) -> Result<Vec<AbandonedCall>, sqlx::Error> {
    let (from, to) = query.bounds();
    let mut calls: Vec<AbandonedCall> = sqlx::query_as(sql::ABANDONED)
        .bind(from)
        .bind(to)
        .bind(&query.organisations)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    if !with_numbers {
        for call in &mut calls {
            call.caller_number = None;
        }
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_are_irkutsk_days() {
        let query = ReportQuery {
            from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            period: Period::Month,
            by: GroupBy::Agency,
            service_level_seconds: 20,
            organisations: None,
        };
        let (from, to) = query.bounds();
        assert_eq!(from.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-11-30T16:00:00+00:00");
    }

    #[test]
    fn shares_need_calls() {
        assert_eq!(share(1, 4), Some(0.25));
        assert_eq!(share(0, 0), None);
    }
}
