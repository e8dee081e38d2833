//! The audit of roster changes, for admins: who changed which directory row (or
//! console account), when, and from what to what.
//!
//! The database writes it (trigger `roster_audit_record`, migration
//! 20261206000002), whoever makes the change: psql, an admin tool, or the console,
//! which names its user for the transaction ([`name_console_user`]). This module only
//! reads it back, newest first, a page at a time.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};

use super::HttpState;
use super::accounts::Role;
use super::auth::CurrentUser;
use super::error::HttpError;

/// Who may read the audit: it names people and shows their phones.
const AUDIT_NEED: &str =
    "administrators see the audit / журнал изменений видят только администраторы";

/// Entries per page at most.
const MAX_LIMIT: i64 = 500;

/// One change of one row.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// Increasing number; pages go by it.
    pub id: i64,
    /// When the change was made (its transaction's statement).
    pub changed_at: DateTime<Utc>,
    /// The table changed: `staff`, `organisation`, `working_hours`, ...
    pub table_name: String,
    /// `insert`, `update` or `delete`.
    pub action: String,
    /// The row's primary key: `id=12`, `staff=3,topic=health`.
    pub row_key: String,
    /// The Postgres user who made it.
    pub db_user: String,
    /// The console user, when it was made through the console.
    pub console_user: Option<String>,
    /// Values before: the changed columns (update) or the whole row (delete).
    pub old_values: Option<serde_json::Value>,
    /// Values after: the changed columns (update) or the whole row (insert).
    pub new_values: Option<serde_json::Value>,
}

/// `GET /api/audit` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this table's changes.
    #[serde(default)]
    pub table: Option<String>,
    /// Only changes older than this entry (the next page).
    #[serde(default)]
    pub before: Option<i64>,
    /// How many, 100 by default, at most 500.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/audit`: the newest changes first (admins only).
pub async fn list(
    State(state): State<HttpState>,
    user: CurrentUser,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, HttpError> {
    user.require_role(&[Role::Admin], AUDIT_NEED)?;
    let Query(query) = query?;
    Ok(Json(list_audit(&state.pool, &query).await?))
}

/// The audit entries `query` asks for, newest first.
pub async fn list_audit(pool: &PgPool, query: &AuditQuery) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, changed_at, table_name, action, row_key, db_user, console_user, \
                old_values, new_values \
           FROM roster_audit \
          WHERE ($1::text IS NULL OR table_name = $1) AND ($2::bigint IS NULL OR id < $2) \
          ORDER BY id DESC LIMIT $3",
    )
    .bind(&query.table)
    .bind(query.before)
    .bind(query.limit.unwrap_or(100).clamp(1, MAX_LIMIT))
    .fetch_all(pool)
    .await
}

/// Names the console user making the changes of `tx` in the audit (for this
/// transaction only).
pub async fn name_console_user(
    tx: &mut Transaction<'_, Postgres>,
    login: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('hotline.console_user', $1, true)")
        .bind(login)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
