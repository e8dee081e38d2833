//! Appeals: a citizen's question registered for the responsible organisation, which
//! its staff see in the console and mark done.
//!
//! The repository half ([`register_appeal`], [`list_appeals`], [`complete_appeal`]) is
//! also what the call flow uses for callback requests left in the queue; the handler
//! half checks the role and organisation first ([`super::auth`]), then calls it. The
//! database fills the default organisation (the topic's agency), checks every rule,
//! and announces each change (`appeal_changed`), which [`super::events`] turns into
//! live updates.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::HttpState;
use super::accounts::Role;
use super::auth::{AppealScope, COMPLETE_NEED, CurrentUser};
use super::error::HttpError;
use crate::routing::{OrganisationCode, TopicCode};

/// An appeal as the console shows it: codes with their current names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Appeal {
    /// Number of the appeal.
    pub id: i64,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// The journal's call, when it came from a call.
    pub call_key: Option<String>,
    /// The short number called.
    pub line: Option<String>,
    /// Topic code.
    pub topic: Option<String>,
    /// Topic name (Russian), when the topic is still in the directory.
    pub topic_name: Option<String>,
    /// Responsible organisation's code.
    pub organisation: String,
    /// Its name, when still in the directory.
    pub organisation_name: Option<String>,
    /// The citizen's number (personal data: shown only to those who may see the appeal).
    pub caller_number: Option<String>,
    /// What the citizen asked.
    pub note: String,
    /// Whether the citizen asked to be called back.
    pub callback_requested: bool,
    /// `new` or `done`.
    pub status: String,
    /// Who registered it (empty: the service, for a callback left in the queue).
    pub created_by_name: Option<String>,
    /// Who marked it done.
    pub done_by_name: Option<String>,
    /// When it was marked done.
    pub done_at: Option<DateTime<Utc>>,
    /// What the organisation noted when closing it.
    pub done_note: Option<String>,
}

/// The SELECT every read uses; `{where}` is filled by the caller.
const APPEAL_SELECT: &str = "SELECT a.id, a.created_at, a.call_key, a.line, a.topic, \
     t.name_ru AS topic_name, a.organisation, o.name AS organisation_name, a.caller_number, \
     a.note, a.callback_requested, a.status, cu.full_name AS created_by_name, \
     du.full_name AS done_by_name, a.done_at, a.done_note \
     FROM appeal a \
     LEFT JOIN topic t ON t.code = a.topic \
     LEFT JOIN organisation o ON o.code = a.organisation \
     LEFT JOIN console_user cu ON cu.id = a.created_by \
     LEFT JOIN console_user du ON du.id = a.done_by";

/// A new appeal, from the console's form or from the call flow.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    /// The journal's call key, when registered during or after a call.
    #[serde(default)]
    pub call_key: Option<String>,
    /// The short number the citizen called.
    #[serde(default)]
    pub line: Option<String>,
    /// Topic code.
    #[serde(default)]
    pub topic: Option<TopicCode>,
    /// Responsible organisation; empty = the topic's agency.
    #[serde(default)]
    pub organisation: Option<OrganisationCode>,
    /// The citizen's number; spaces, dashes and brackets are ignored.
    #[serde(default)]
    pub caller_number: Option<String>,
    /// What the citizen asked.
    #[serde(default)]
    pub note: String,
    /// Whether the citizen asked to be called back.
    #[serde(default)]
    pub callback_requested: bool,
}

/// A phone number as typed (`+7 (902) 123-45-67`) reduced to what the schema stores
/// (`+79021234567`); blank is none. Anything else is left for the schema's rule to
/// refuse with its explanation.
fn normalise_phone(number: Option<&str>) -> Option<String> {
    let digits: String = number?
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\u{a0}'))
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// Blank text is none.
fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// Stores an appeal and returns it as the console shows it. `created_by` is the console
/// user, or `None` when the service registers it (a callback request from the queue).
pub async fn register_appeal(
    pool: &PgPool,
    appeal: &NewAppeal,
    created_by: Option<i64>,
) -> Result<Appeal, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO appeal (call_key, line, topic, organisation, caller_number, note, \
         callback_requested, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(non_blank(appeal.call_key.as_deref()))
    .bind(non_blank(appeal.line.as_deref()))
    .bind(non_blank(appeal.topic.as_ref().map(|code| code.0.as_str())))
    .bind(non_blank(
        appeal.organisation.as_ref().map(|code| code.0.as_str()),
    ))
    .bind(normalise_phone(appeal.caller_number.as_deref()))
    .bind(appeal.note.trim())
    .bind(appeal.callback_requested)
    .bind(created_by)
    .fetch_one(pool)
    .await?;
    appeal_by_id(pool, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// One appeal, whoever's it is (check the scope before showing it).
pub async fn appeal_by_id(pool: &PgPool, id: i64) -> Result<Option<Appeal>, sqlx::Error> {
    let sql = format!("{APPEAL_SELECT} WHERE a.id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Which appeals to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Pending ones, oldest first: the work queue.
    #[default]
    New,
    /// Completed ones, most recently completed first.
    Done,
    /// Both, newest first.
    All,
}

/// Most appeals one list returns; a console shows a screenful, not an archive.
pub const LIST_LIMIT: i64 = 500;

/// The appeals in `scope` with `status`.
pub async fn list_appeals(
    pool: &PgPool,
    scope: &AppealScope,
    status: StatusFilter,
) -> Result<Vec<Appeal>, sqlx::Error> {
    let (status_condition, order) = match status {
        StatusFilter::New => ("a.status = 'new'", "a.created_at, a.id"),
        StatusFilter::Done => ("a.status = 'done'", "a.done_at DESC, a.id DESC"),
        StatusFilter::All => ("true", "a.created_at DESC, a.id DESC"),
    };
    let organisations: Option<Vec<String>> = match scope {
        AppealScope::All => None,
        AppealScope::Organisations(codes) => Some(codes.iter().map(|c| c.0.clone()).collect()),
    };
    let sql = format!(
        "{APPEAL_SELECT} WHERE {status_condition} \
         AND ($1::text[] IS NULL OR a.organisation = ANY($1)) \
         ORDER BY {order} LIMIT {LIST_LIMIT}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(organisations)
        .fetch_all(pool)
        .await
}

/// Marks a pending appeal done. `Ok(None)` when it is not pending (already done, or
/// gone).
pub async fn complete_appeal(
    pool: &PgPool,
    id: i64,
    done_by: i64,
    done_note: Option<&str>,
) -> Result<Option<Appeal>, sqlx::Error> {
    let updated: Option<i64> = sqlx::query_scalar(
        "UPDATE appeal SET status = 'done', done_by = $2, done_at = now(), done_note = $3 \
         WHERE id = $1 AND status = 'new' RETURNING id",
    )
    .bind(id)
    .bind(done_by)
    .bind(non_blank(done_note))
    .fetch_optional(pool)
    .await?;
    match updated {
        Some(id) => appeal_by_id(pool, id).await,
        None => Ok(None),
    }
}

/// `POST /api/appeals`: specialists and admins register an appeal.
pub async fn create(
    State(state): State<HttpState>,
    user: CurrentUser,
    body: Result<Json<NewAppeal>, JsonRejection>,
) -> Result<(StatusCode, Json<Appeal>), HttpError> {
    user.require_appeal_author()?;
    let Json(appeal) = body?;
    let appeal = register_appeal(&state.pool, &appeal, Some(user.user.id)).await?;
    tracing::info!(appeal = appeal.id, organisation = %appeal.organisation, by = %user.user.login, "appeal registered");
    Ok((StatusCode::CREATED, Json(appeal)))
}

/// `GET /api/appeals` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `new` (default), `done` or `all`.
    #[serde(default)]
    pub status: StatusFilter,
}

/// `GET /api/appeals?status=new`: the appeals this user may see.
pub async fn list(
    State(state): State<HttpState>,
    user: CurrentUser,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<Appeal>>, HttpError> {
    user.require_signed_in()?;
    let Query(query) = query?;
    let scope = user.appeal_scope(&state.directory.current());
    Ok(Json(list_appeals(&state.pool, &scope, query.status).await?))
}

/// `POST /api/appeals/{id}/done` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneRequest {
    /// What was done, for the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/appeals/{id}/done`: the responsible organisation's staff (or an admin)
/// closes an appeal.
pub async fn complete(
    State(state): State<HttpState>,
    user: CurrentUser,
    id: Result<Path<i64>, PathRejection>,
    body: Option<Json<DoneRequest>>,
) -> Result<Json<Appeal>, HttpError> {
    user.require_role(&[Role::Staff, Role::Admin], COMPLETE_NEED)?;
    let Path(id) = id?;
    let not_found = HttpError::NotFound {
        what: "appeal not found / обращение не найдено",
    };
    let appeal = appeal_by_id(&state.pool, id).await?.ok_or(not_found)?;
    let organisation = OrganisationCode(appeal.organisation.clone());
    if !user
        .appeal_scope(&state.directory.current())
        .includes(&organisation)
    {
        return Err(HttpError::NotFound {
            what: "appeal not found / обращение не найдено",
        });
    }
    user.require_may_complete(&organisation)?;
    let note = body.and_then(|Json(body)| body.note);
    let done = complete_appeal(&state.pool, id, user.user.id, note.as_deref())
        .await?
        .ok_or(HttpError::Conflict {
            code: "appeal_already_done",
            message: "this appeal is already done / обращение уже отмечено выполненным",
        })?;
    tracing::info!(appeal = id, by = %user.user.login, "appeal done");
    Ok(Json(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_lose_their_punctuation() {
        assert_eq!(
            normalise_phone(Some("+7 (902) 123-45-67")).as_deref(),
            Some("+79021234567")
        );
        assert_eq!(normalise_phone(Some("  ")), None);
        assert_eq!(normalise_phone(None), None);
        assert_eq!(normalise_phone(Some("12ab")).as_deref(), Some("12ab"));
    }
}
