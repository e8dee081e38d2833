//! Reports in the console: the call report as JSON and CSV, its chart as SVG, and
//! the abandoned calls for calling back ([`crate::reports`] computes them).
//!
//! Everyone signed in may read reports, each of their own scope: staff the figures
//! of their organisation and its subordinate institutions, specialists and admins
//! the whole center. Callers' numbers in the abandoned list only to specialists and
//! admins (they call back); staff see the list without numbers.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::HttpState;
use super::accounts::Role;
use super::auth::{AppealScope, CurrentUser};
use super::error::HttpError;
use crate::reports::chart::{ChartBar, calls_chart};
use crate::reports::{
    AbandonedCall, CallReport, GroupBy, Period, ReportQuery, abandoned_calls, call_report,
};
use crate::routing::calendar::REGION_ZONE;
use crate::routing::{DirectorySnapshot, OrganisationCode, TopicCode};

/// The longest range one report may cover.
const MAX_DAYS: i64 = 366;

/// Query of every report endpoint; every field has a default (last month, by day,
/// no grouping, 20 s).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (local).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day, included.
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// `hour`, `day`, `week`, `month`.
    #[serde(default)]
    pub period: Option<Period>,
    /// `total`, `line`, `topic`, `agency`, `organisation`.
    #[serde(default)]
    pub by: Option<GroupBy>,
    /// The service level's threshold in seconds (1..=600).
    #[serde(default)]
    pub threshold: Option<u32>,
    /// Chart only: one agency's (or organisation's) calls.
    #[serde(default)]
    pub agency: Option<String>,
    /// Abandoned list only: how many at most (default 200, at most 1000).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A report row with its group's name.
#[derive(Debug, Serialize)]
pub struct NamedRow {
    /// The figures.
    #[serde(flatten)]
    pub row: CallReport,
    /// The group's name (organisation, topic, line), Russian.
    pub name: String,
}

/// `GET /api/reports/calls` answer.
#[derive(Debug, Serialize)]
pub struct CallReportAnswer {
    /// The range and grouping actually used (defaults filled in).
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Period length.
    pub period: Period,
    /// Grouping.
    pub by: GroupBy,
    /// Threshold of the service level, seconds.
    pub service_level_seconds: u32,
    /// The rows by period, then group.
    pub rows: Vec<NamedRow>,
}

impl ReportParams {
    /// The query for `user`, with defaults and limits applied.
    fn query(
        &self,
        user: &CurrentUser,
        snapshot: &DirectorySnapshot,
        today: NaiveDate,
    ) -> Result<ReportQuery, HttpError> {
        let first_of_month = today.with_day(1).expect("day 1 exists");
        let last_month_end = first_of_month - Duration::days(1);
        let from = self
            .from
            .unwrap_or_else(|| last_month_end.with_day(1).expect("day 1 exists"));
        let to = self.to.unwrap_or(last_month_end);
        if to < from || (to - from).num_days() >= MAX_DAYS {
            return Err(HttpError::InvalidRequest(format!(
                "the range must run forward and cover at most {MAX_DAYS} days / период: не более {MAX_DAYS} дней, начало не позже конца"
            )));
        }
        let threshold = self.threshold.unwrap_or(20);
        if !(1..=600).contains(&threshold) {
            return Err(HttpError::InvalidRequest(
                "threshold: 1 to 600 seconds / порог: от 1 до 600 секунд".to_owned(),
            ));
        }
        let period = self.period.unwrap_or_default();
        if period == Period::Hour && (to - from).num_days() >= 31 {
            return Err(HttpError::InvalidRequest(
                "hourly figures cover at most 31 days / по часам — не более 31 дня".to_owned(),
            ));
        }
        let organisations = match user.appeal_scope(snapshot) {
            AppealScope::All => None,
            AppealScope::Organisations(codes) => Some(codes.into_iter().map(|c| c.0).collect()),
        };
        Ok(ReportQuery {
            from,
            to,
            period,
            by: self.by.unwrap_or_default(),
            service_level_seconds: threshold,
            organisations,
        })
    }
}

/// A group's Russian name by its key.
fn group_name(snapshot: &DirectorySnapshot, by: GroupBy, key: &str) -> String {
    match by {
        GroupBy::Total => "Все звонки".to_owned(),
        GroupBy::Line => format!("Линия {key}"),
        GroupBy::Topic if key.is_empty() => "Тема не выбрана".to_owned(),
        GroupBy::Topic => snapshot
            .topics
            .get(&TopicCode(key.to_owned()))
            .map_or_else(|| key.to_owned(), |t| t.name_ru.clone()),
        GroupBy::Agency | GroupBy::Organisation if key.is_empty() => {
            "Без организации (контакт-центр)".to_owned()
        }
        GroupBy::Agency | GroupBy::Organisation => snapshot
            .organisations
            .get(&OrganisationCode(key.to_owned()))
            .map_or_else(|| key.to_owned(), |o| o.name.clone()),
    }
}

/// The query `params` ask of `user`, with the current directory (for names and
/// scope); "last month" is by real time, like the journal.
fn query_for(
    state: &HttpState,
    user: &CurrentUser,
    params: &ReportParams,
) -> Result<(ReportQuery, Arc<DirectorySnapshot>), HttpError> {
    user.require_signed_in()?;
    let snapshot = state.directory.current();
    let today = crate::routing::schedule::local_time(REGION_ZONE, chrono::Utc::now()).date();
    let query = params.query(user, &snapshot, today)?;
    Ok((query, snapshot))
}

/// The report `params` ask of `user`, its rows, and the directory for their names.
async fn report(
    state: &HttpState,
    user: &CurrentUser,
    params: &ReportParams,
) -> Result<(ReportQuery, Vec<CallReport>, Arc<DirectorySnapshot>), HttpError> {
    let (query, snapshot) = query_for(state, user, params)?;
    let rows = call_report(&state.pool, &query).await?;
    Ok((query, rows, snapshot))
}

/// `GET /api/reports/calls`: the call report.
pub async fn calls(
    State(state): State<HttpState>,
    user: CurrentUser,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Json<CallReportAnswer>, HttpError> {
    let Query(params) = params?;
    let (query, rows, snapshot) = report(&state, &user, &params).await?;
    let rows = rows
        .into_iter()
        .map(|row| NamedRow {
            name: group_name(&snapshot, query.by, &row.key),
            row,
        })
        .collect();
    Ok(Json(CallReportAnswer {
        from: query.from,
        to: query.to,
        period: query.period,
        by: query.by,
        service_level_seconds: query.service_level_seconds,
        rows,
    }))
}

/// `GET /api/reports/calls.csv`: the same report as CSV.
pub async fn calls_csv(
    State(state): State<HttpState>,
    user: CurrentUser,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<impl IntoResponse, HttpError> {
    let Query(params) = params?;
    let (query, rows, snapshot) = report(&state, &user, &params).await?;
    let text = crate::reports::csv::to_csv(&rows, |key| group_name(&snapshot, query.by, key));
    let file = format!(
        "attachment; filename=\"hotline-report-{}-{}.csv\"",
        query.from, query.to
    );
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, file),
        ],
        text,
    ))
}

/// `GET /api/reports/chart.svg`: calls per period with the service level, of one
/// agency (`agency=`) or of everything in the user's scope.
pub async fn chart(
    State(state): State<HttpState>,
    user: CurrentUser,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<impl IntoResponse, HttpError> {
    let Query(mut params) = params?;
    params.by = Some(if params.agency.is_some() {
        GroupBy::Agency
    } else {
        GroupBy::Total
    });
    let (query, rows, snapshot) = report(&state, &user, &params).await?;
    let wanted = params.agency.clone().unwrap_or_default();
    let bars: Vec<ChartBar> = periods(&query)
        .into_iter()
        .map(|start| {
            let row = rows
                .iter()
                .find(|r| r.period_start == start && r.key == wanted);
            ChartBar {
                label: match query.period {
                    Period::Hour => start.format("%H:%M").to_string(),
                    Period::Month => start.format("%m.%Y").to_string(),
                    Period::Day | Period::Week => start.format("%d.%m").to_string(),
                },
                calls: row.map_or(0, |r| r.offered),
                service_level: row.and_then(|r| r.service_level),
            }
        })
        .collect();
    let whose = if wanted.is_empty() {
        "все звонки".to_owned()
    } else {
        group_name(&snapshot, GroupBy::Agency, &wanted)
    };
    let title = format!(
        "Звонки и уровень обслуживания ({} с): {whose}, {} — {}",
        query.service_level_seconds,
        query.from.format("%d.%m.%Y"),
        query.to.format("%d.%m.%Y")
    );
    Ok((
        [(CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        calls_chart(&title, &bars),
    ))
}

/// Every period's start in the range, so that empty periods show as empty bars.
fn periods(query: &ReportQuery) -> Vec<chrono::NaiveDateTime> {
    let mut starts = Vec::new();
    let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).expect("midnight exists");
    let mut day = match query.period {
        Period::Week => {
            query.from - Duration::days(i64::from(query.from.weekday().num_days_from_monday()))
        }
        Period::Month => query.from.with_day(1).expect("day 1 exists"),
        Period::Hour | Period::Day => query.from,
    };
    while day <= query.to {
        match query.period {
            Period::Hour => {
                starts.extend((0..24).map(|h| midnight(day) + Duration::hours(h)));
                day += Duration::days(1);
            }
            Period::Day => {
                starts.push(midnight(day));
                day += Duration::days(1);
            }
            Period::Week => {
                starts.push(midnight(day));
                day += Duration::days(7);
            }
            Period::Month => {
                starts.push(midnight(day));
                day = day
                    .checked_add_months(chrono::Months::new(1))
                    .expect("dates this near do not overflow");
            }
        }
    }
    starts
}

/// `GET /api/reports/abandoned`: abandoned calls, newest first; numbers for
/// specialists and admins only.
pub async fn abandoned(
    State(state): State<HttpState>,
    user: CurrentUser,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Json<Vec<AbandonedCall>>, HttpError> {
    let Query(params) = params?;
    let (query, _) = query_for(&state, &user, &params)?;
    let with_numbers = matches!(user.user.role, Role::Specialist | Role::Admin);
    let limit = params.limit.unwrap_or(200).clamp(1, 1000);
    Ok(Json(
        abandoned_calls(&state.pool, &query, with_numbers, limit).await?,
    ))
}

/// What the contact center's hall sees at a glance (`GET /api/wallboard`).
#[derive(Debug, Serialize)]
pub struct Wallboard {
    /// The service's "now", so the board counts waits from it and not from the
    /// screen's own clock.
    pub now: chrono::DateTime<chrono::Utc>,
    /// Calls waiting in the specialists' queue.
    pub waiting: usize,
    /// Since when the longest-waiting call waits, if any.
    pub oldest_waiting_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Specialists by state (`ready`, `on_call`, ...), every state listed.
    pub specialists: std::collections::BTreeMap<&'static str, usize>,
    /// Today so far (local day), all calls.
    pub today: Option<CallReport>,
    /// The service level's threshold, seconds.
    pub service_level_seconds: u32,
}

/// `GET /api/wallboard`: the queue now and today's figures, for specialists and
/// admins (the board hangs in the contact center's hall).
pub async fn wallboard(
    State(state): State<HttpState>,
    user: CurrentUser,
) -> Result<Json<Wallboard>, HttpError> {
    user.require_role(
        &[Role::Specialist, Role::Admin],
        "the wallboard is the contact center's / табло — для контакт-центра",
    )?;
    // The journal and the queue keep real time (the routing clock may be shifted
    // for a demo; it only decides routes).
    let now = chrono::Utc::now();
    let queue = state
        .queue
        .view()
        .await
        .map_err(|error| HttpError::Internal(error.to_string()))?;
    let today = crate::routing::schedule::local_time(REGION_ZONE, now).date();
    let query = ReportQuery {
        from: today,
        to: today,
        period: Period::Day,
        by: GroupBy::Total,
        service_level_seconds: 20,
        organisations: None,
    };
    let rows = call_report(&state.pool, &query).await?;
    Ok(Json(Wallboard {
        now,
        waiting: queue.waiting.len(),
        oldest_waiting_since: queue.oldest_waiting_since(),
        specialists: queue.specialists_by_state(),
        today: rows.into_iter().find(|r| r.key.is_empty()),
        service_level_seconds: query.service_level_seconds,
    }))
}
