//! Loads the whole directory from Postgres into a [`DirectorySnapshot`].
//!
//! One repeatable-read, read-only transaction reads every table into
//! [`DirectoryRows`](super::rows::DirectoryRows), so the snapshot is a consistent
//! picture even while editors change rosters. The rows are then converted into the
//! model in a pure step ([`assemble`](super::assemble::assemble)) that collects every
//! row it cannot take — with table, key and rule — instead of stopping at the first;
//! finally the snapshot's own cross-reference checks run
//! ([`DirectorySnapshot::validated`]).
//!
//! Queries are checked at run time (`query_as` + `FromRow`): there is no database at
//! compile time. `time '24:00'` (end of day) is read as `closes = None`, because
//! `NaiveTime` cannot hold it and the driver would silently wrap it to midnight.

use sqlx::{FromRow, PgPool, Postgres, Transaction};

use crate::directory::assemble::assemble;
use crate::directory::error::{BadRows, DirectoryError};
use crate::directory::rows::DirectoryRows;
use crate::routing::DirectorySnapshot;

/// Reads the directory in one consistent transaction and validates it.
///
/// Fails with [`DirectoryError::BadRows`] listing every row the model cannot take, or
/// [`DirectoryError::Inconsistent`] when the rows do not fit together.
pub async fn load_snapshot(pool: &PgPool) -> Result<DirectorySnapshot, DirectoryError> {
    let rows = fetch_rows(pool).await?;
    let snapshot = assemble(rows).map_err(|problems| DirectoryError::BadRows(BadRows(problems)))?;
    Ok(snapshot.validated()?)
}

/// Opens the transaction every load reads in: repeatable read, so all tables come
/// from one instant; read only, so a bug here can never change a roster.
const BEGIN_CONSISTENT_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Reads every directory table in one consistent transaction.
pub async fn fetch_rows(pool: &PgPool) -> Result<DirectoryRows, DirectoryError> {
    let mut tx = pool
        .begin_with(BEGIN_CONSISTENT_READ)
        .await
        .map_err(DirectoryError::database("starting the directory read"))?;
    let rows = fetch_all_tables(&mut tx).await?;
    tx.commit()
        .await
        .map_err(DirectoryError::database("finishing the directory read"))?;
    Ok(rows)
}

/// Runs one `SELECT … ORDER BY` into row structs, naming the table on failure.
async fn select<T>(
    tx: &mut Transaction<'static, Postgres>,
    doing: &'static str,
    sql: &'static str,
) -> Result<Vec<T>, DirectoryError>
where
    T: for<'r> FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(sql)
        .fetch_all(&mut **tx)
        .await
        .map_err(DirectoryError::database(doing))
}

/// The fifteen `SELECT`s, in a stable order so snapshots compare equal across loads.
async fn fetch_all_tables(
    tx: &mut Transaction<'static, Postgres>,
) -> Result<DirectoryRows, DirectoryError> {
    Ok(DirectoryRows {
        lines: select(tx, "loading line", "SELECT number, name, menu_prompt, greeting_prompt, digit_timeout_seconds, menu_attempts, record_calls FROM line ORDER BY number").await?,
        menu_items: select(tx, "loading menu_item", "SELECT line, digit, topic, label_ru FROM menu_item ORDER BY line, digit").await?,
        organisations: select(tx, "loading organisation", "SELECT code, name, kind::text AS kind, parent, time_zone, follows_production_calendar FROM organisation ORDER BY code").await?,
        working_hours: select(tx, "loading working_hours", "SELECT organisation, weekday, opens, NULLIF(closes, time '24:00') AS closes FROM working_hours ORDER BY organisation, weekday, opens").await?,
        overrides: select(tx, "loading schedule_override", "SELECT id, organisation, day, closed, opens, NULLIF(closes, time '24:00') AS closes, closes IS NULL AS closes_missing, note FROM schedule_override ORDER BY organisation, day, opens NULLS FIRST, id").await?,
        calendar: select(tx, "loading production_calendar", "SELECT day, kind::text AS kind, note, hours_of_weekday FROM production_calendar ORDER BY day").await?,
        decrees: select(tx, "loading calendar_decree", "SELECT year, source FROM calendar_decree ORDER BY year").await?,
        transfers: select(tx, "loading calendar_transfer", "SELECT from_day, to_day, note FROM calendar_transfer ORDER BY from_day").await?,
        regional_days_off: select(tx, "loading regional_day_off", "SELECT day, note, act FROM regional_day_off ORDER BY day").await?,
        topics: select(tx, "loading topic", "SELECT code, name_ru, name_en, agency, transfer_mode::text AS transfer_mode, strategy::text AS strategy, attempt_timeout_seconds FROM topic ORDER BY code").await?,
        topic_organisations: select(tx, "loading topic_organisation", "SELECT topic, organisation, priority, transfer_mode::text AS transfer_mode, strategy::text AS strategy, attempt_timeout_seconds FROM topic_organisation ORDER BY topic, priority, organisation").await?,
        staff: select(tx, "loading staff", "SELECT id, full_name, position, organisation, endpoint, priority, active FROM staff ORDER BY id").await?,
        staff_topics: select(tx, "loading staff_topic", "SELECT staff, topic FROM staff_topic ORDER BY staff, topic").await?,
        absences: select(tx, "loading staff_absence", "SELECT id, staff, first_day, last_day, reason FROM staff_absence ORDER BY staff, first_day, id").await?,
        specialists: select(tx, "loading specialist", "SELECT id, full_name, endpoint, active FROM specialist ORDER BY id").await?,
    })
}
