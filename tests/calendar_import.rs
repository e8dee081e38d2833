//! Importing production calendar files into a real Postgres.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`); each test gets a fresh database.

mod common;

use chrono::NaiveDate;
use hotline::directory::calendar::{YearImport, import_calendar, parse_calendar};
use hotline::directory::load_snapshot;
use hotline::routing::CalendarDay;
use sqlx::PgPool;

/// (day, kind, note, hours_of_weekday) of every row of a year.
async fn rows_of(pool: &PgPool, year: i32) -> Vec<(NaiveDate, String, String, Option<i16>)> {
    sqlx::query_as(
        "SELECT day, kind::text, note, hours_of_weekday FROM production_calendar \
         WHERE extract(year FROM day) = $1 ORDER BY day",
    )
    .bind(f64::from(year))
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn the_example_file_imports_and_reimports_identically(pool: PgPool) {
    let text = std::fs::read_to_string("calendar/example.txt").unwrap();
    let file = parse_calendar(&text).unwrap();
    let days = file.entries.len() as u64;

    let first = import_calendar(&pool, &file).await.unwrap();
    assert_eq!(
        first,
        [YearImport {
            year: 2099,
            replaced: 0,
            imported: days
        }]
    );
    let rows = rows_of(&pool, 2099).await;
    assert_eq!(rows.len() as u64, days);
    let transferred = rows.iter().find(|row| row.1 == "working").unwrap();
    assert_eq!(transferred.0, NaiveDate::from_ymd_opt(2099, 1, 10).unwrap());
    assert_eq!(transferred.3, Some(5));

    let second = import_calendar(&pool, &file).await.unwrap();
    assert_eq!(
        second,
        [YearImport {
            year: 2099,
            replaced: days,
            imported: days
        }]
    );
    assert_eq!(rows_of(&pool, 2099).await, rows, "idempotent");
    assert_eq!(rows_of(&pool, 2026).await.len(), 22, "2026 untouched");

    // The imported days reach the routing model.
    let snapshot = load_snapshot(&pool).await.unwrap();
    let saturday = NaiveDate::from_ymd_opt(2099, 1, 10).unwrap();
    assert!(matches!(
        snapshot.calendar.days[&saturday],
        CalendarDay::Working {
            hours_of_weekday: 5,
            ..
        }
    ));
}

#[sqlx::test(migrations = "./migrations")]
async fn import_replaces_every_row_of_a_listed_year(pool: PgPool) {
    let file = parse_calendar(
        "2026-05-11 holiday Перенос (исправлено)\n2026-06-15 holiday Новый день\n2099-01-01 holiday Новый год\n",
    )
    .unwrap();
    let summary = import_calendar(&pool, &file).await.unwrap();
    assert_eq!(
        summary,
        [
            YearImport {
                year: 2026,
                replaced: 22,
                imported: 2
            },
            YearImport {
                year: 2099,
                replaced: 0,
                imported: 1
            },
        ]
    );
    let rows = rows_of(&pool, 2026).await;
    let days: Vec<String> = rows
        .iter()
        .map(|row| format!("{} {}", row.0, row.2))
        .collect();
    assert_eq!(
        days,
        ["2026-05-11 Перенос (исправлено)", "2026-06-15 Новый день"]
    );
}
