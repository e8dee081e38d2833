//! The demo directory (`hotline seed-demo`): two ministries with an institution each,
//! a municipal body, eight responsible staff and three specialists on the sandbox
//! Asterisk's endpoints, so `hotline route` and test calls have something real to
//! route to.
//!
//! The data is plain SQL (`demo.sql` beside this file), written the way an
//! administrator edits the directory, so it doubles as an example of that.

use std::fmt;

use sqlx::PgPool;

use crate::directory::error::DirectoryError;

/// The demo rows, inserted after the directory tables were emptied.
const DEMO_SQL: &str = include_str!("demo.sql");

/// Empties every directory table except the production calendar (shared data that
/// migrations and `calendar import` own) and restarts ids, so seeding twice gives the
/// same rows with the same ids.
const WIPE_DIRECTORY: &str = "TRUNCATE menu_item, staff_topic, staff_absence, staff, specialist_desk, specialist, \
     topic_organisation, topic, schedule_override, working_hours, organisation, line RESTART IDENTITY";

/// How much the demo put in, for the command's output.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DemoSummary {
    /// Lines with menus.
    pub lines: i64,
    /// Agencies, municipal bodies and institutions.
    pub organisations: i64,
    /// Topics.
    pub topics: i64,
    /// Responsible staff (active or not).
    pub staff: i64,
    /// Contact-center specialists.
    pub specialists: i64,
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo directory: {} lines, {} organisations, {} topics, {} staff, {} specialists",
            self.lines, self.organisations, self.topics, self.staff, self.specialists
        )
    }
}

/// Replaces the directory with the demo, in one transaction: a running service sees
/// either the old directory or the whole demo, never half of it. Idempotent.
pub async fn seed_demo(pool: &PgPool) -> Result<DemoSummary, DirectoryError> {
    const DOING: &str = "seeding the demo directory";
    let mut tx = pool
        .begin()
        .await
        .map_err(DirectoryError::database(DOING))?;
    sqlx::raw_sql(WIPE_DIRECTORY)
        .execute(&mut *tx)
        .await
        .map_err(DirectoryError::database(DOING))?;
    sqlx::raw_sql(DEMO_SQL)
        .execute(&mut *tx)
        .await
        .map_err(DirectoryError::database(DOING))?;
    let summary = sqlx::query_as::<_, DemoSummary>(
        "SELECT (SELECT count(*) FROM line) AS lines, (SELECT count(*) FROM organisation) AS organisations, \
         (SELECT count(*) FROM topic) AS topics, (SELECT count(*) FROM staff) AS staff, \
         (SELECT count(*) FROM specialist) AS specialists",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(DirectoryError::database(DOING))?;
    tx.commit().await.map_err(DirectoryError::database(DOING))?;
    Ok(summary)
}
