//! Importing production calendar decrees into a real Postgres, and what a snapshot
//! loaded afterwards makes of them.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`); each test gets a fresh database.

mod common;

use chrono::NaiveDate;
use hotline::directory::calendar::{
    BUNDLED_DECREES, YearImport, import_bundled_decrees, import_calendar, parse_calendar,
};
use hotline::directory::load_snapshot;
use hotline::routing::calendar::{CalendarSource, DayKind};
use sqlx::PgPool;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// (day, kind, note, hours_of_weekday) of every typed-in row of a year.
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

/// (from, to, note) of a year's transfers.
async fn transfers_of(pool: &PgPool, year: i32) -> Vec<(NaiveDate, NaiveDate, String)> {
    sqlx::query_as(
        "SELECT from_day, to_day, note FROM calendar_transfer WHERE year = $1 ORDER BY from_day",
    )
    .bind(year)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn decrees(pool: &PgPool) -> Vec<(i32, String)> {
    sqlx::query_as("SELECT year, source FROM calendar_decree ORDER BY year")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "./migrations")]
async fn a_fresh_database_has_the_2026_decree_as_data_and_no_rows(pool: PgPool) {
    let loaded = decrees(&pool).await;
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert_eq!(loaded[0].0, 2026);
    assert!(loaded[0].1.contains("№ 1466"), "{}", loaded[0].1);
    assert_eq!(transfers_of(&pool, 2026).await.len(), 2);
    // The migration's typed-in 2026 rows went: the rule and the decree give them.
    assert_eq!(rows_of(&pool, 2026).await, []);

    let snapshot = load_snapshot(&pool).await.unwrap();
    let calendar = &snapshot.calendar;
    let day = |text: &str| calendar.day(date(text)).map(|d| (d.kind, d.source));
    assert_eq!(
        day("2026-01-09"),
        Some((DayKind::DayOff, CalendarSource::Decree))
    );
    assert_eq!(
        day("2026-05-11"),
        Some((DayKind::DayOff, CalendarSource::Rule))
    );
    assert_eq!(
        day("2026-05-08"),
        Some((DayKind::Shortened, CalendarSource::Rule))
    );
    assert_eq!(calendar.working_days_in(2026), 247);
    assert!(calendar.is_confirmed(2026));
    assert!(
        !calendar.is_confirmed(2027),
        "only `hotline migrate` loads 2027"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn the_example_file_imports_and_reimports_identically(pool: PgPool) {
    let text = std::fs::read_to_string("calendar/example.txt").unwrap();
    let file = parse_calendar(&text).unwrap();

    let first = import_calendar(&pool, &file).await.unwrap();
    assert_eq!(first.len(), 1);
    let YearImport {
        year,
        transfers,
        replaced,
        imported,
        ref source,
    } = first[0];
    assert_eq!((year, transfers, replaced, imported), (2099, 3, 0, 1));
    assert!(source.contains("2099"), "{source}");
    let rows = rows_of(&pool, 2099).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, date("2099-06-13"));
    assert_eq!(rows[0].3, Some(5));
    let transfers = transfers_of(&pool, 2099).await;
    assert_eq!(
        transfers[0],
        (
            date("2099-01-03"),
            date("2099-01-09"),
            "Перенос выходного дня с субботы 3 января на пятницу 9 января".to_owned()
        ),
        "a transfer without a note gets the decree's wording"
    );

    let second = import_calendar(&pool, &file).await.unwrap();
    assert_eq!((second[0].replaced, second[0].imported), (1, 1));
    assert_eq!(rows_of(&pool, 2099).await, rows, "idempotent");
    assert_eq!(transfers_of(&pool, 2099).await, transfers, "idempotent");
    assert_eq!(decrees(&pool).await.len(), 2, "2026 untouched");
    assert_eq!(transfers_of(&pool, 2026).await.len(), 2, "2026 untouched");

    // The imported decree reaches the routing model, on top of the rule.
    let snapshot = load_snapshot(&pool).await.unwrap();
    let calendar = &snapshot.calendar;
    assert!(calendar.is_confirmed(2099));
    let saturday = calendar.day(date("2099-10-31")).unwrap();
    assert_eq!(
        saturday.kind,
        DayKind::Working {
            hours_of: chrono::Weekday::Tue,
            shortened: true
        },
        "the worked Saturday stands for Tuesday 3 November, the day before a holiday"
    );
    let typed = calendar.day(date("2099-06-13")).unwrap();
    assert_eq!(typed.source, CalendarSource::Row);
    assert_eq!(
        calendar.day(date("2099-11-04")).unwrap().kind,
        DayKind::Holiday
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn import_replaces_every_row_and_transfer_of_a_named_year(pool: PgPool) {
    let file = parse_calendar(
        "decree 2026 Исправленное постановление\n\
         transfer 2026-01-03 2026-01-09\n\
         2026-06-15 holiday Новый день\n\
         decree 2099 Пример\n\
         2099-01-01 holiday Новый год\n",
    )
    .unwrap();
    let summary = import_calendar(&pool, &file).await.unwrap();
    let counts: Vec<(i32, u64, u64, u64)> = (summary.iter())
        .map(|year| (year.year, year.transfers, year.replaced, year.imported))
        .collect();
    assert_eq!(counts, [(2026, 1, 0, 1), (2099, 0, 0, 1)]);
    assert_eq!(
        decrees(&pool).await,
        [
            (2026, "Исправленное постановление".to_owned()),
            (2099, "Пример".to_owned())
        ]
    );
    let transfers = transfers_of(&pool, 2026).await;
    assert_eq!(transfers.len(), 1, "the 31 December transfer is gone");
    let rows = rows_of(&pool, 2026).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, "Новый день");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_bundled_decrees_load_once_and_never_replace_an_imported_one(pool: PgPool) {
    // An administrator imported a 2027 decree of their own before the upgrade.
    let own =
        parse_calendar("decree 2027 Своё постановление\ntransfer 2027-01-02 2027-11-05\n").unwrap();
    import_calendar(&pool, &own).await.unwrap();

    let loaded = import_bundled_decrees(&pool).await.unwrap();
    let years: Vec<i32> = loaded.iter().map(|year| year.year).collect();
    assert_eq!(
        years,
        [2025],
        "2026 came with the migrations, 2027 is the admin's"
    );
    assert_eq!(loaded[0].transfers, 5);
    assert_eq!(
        decrees(&pool).await[2],
        (2027, "Своё постановление".to_owned())
    );
    assert!(
        import_bundled_decrees(&pool).await.unwrap().is_empty(),
        "a second run loads nothing"
    );

    // On a database without the admin's decree, all three years are known after it.
    sqlx::query("DELETE FROM calendar_decree WHERE year = 2027")
        .execute(&pool)
        .await
        .unwrap();
    let loaded = import_bundled_decrees(&pool).await.unwrap();
    assert_eq!(loaded.len(), 1);
    assert!(loaded[0].source.contains("№ 1187"), "{}", loaded[0].source);
    let snapshot = load_snapshot(&pool).await.unwrap();
    for year in 2025..=2027 {
        assert!(snapshot.calendar.is_confirmed(year), "{year}");
        assert_eq!(snapshot.calendar.working_days_in(year), 247, "{year}");
    }
    assert_eq!(BUNDLED_DECREES.len(), 3);
}

#[sqlx::test(migrations = "./migrations")]
async fn the_database_refuses_transfers_and_regional_days_that_make_no_sense(pool: PgPool) {
    let refused = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            let error = sqlx::query(sql).execute(&pool).await.unwrap_err();
            let database = error.into_database_error().expect("a database error");
            database.constraint().map(str::to_owned)
        }
    };
    let cases = [
        (
            "INSERT INTO calendar_transfer (from_day, to_day, year) VALUES ('2026-03-02', '2026-03-03', 2026)",
            "calendar_transfer_from_a_weekend",
        ),
        (
            "INSERT INTO calendar_transfer (from_day, to_day, year) VALUES ('2026-03-07', '2026-03-14', 2026)",
            "calendar_transfer_to_a_weekday",
        ),
        (
            "INSERT INTO calendar_transfer (from_day, to_day, year) VALUES ('2027-03-06', '2027-03-09', 2026)",
            "calendar_transfer_within_its_year",
        ),
        (
            "INSERT INTO calendar_transfer (from_day, to_day, year) VALUES ('2030-03-02', '2030-03-04', 2030)",
            "calendar_transfer_year_fkey",
        ),
        (
            "INSERT INTO regional_day_off (day, note, act) VALUES ('2027-04-27', 'Радоница', ' ')",
            "regional_day_off_act_not_blank",
        ),
    ];
    for (sql, constraint) in cases {
        assert_eq!(refused(sql).await.as_deref(), Some(constraint), "{sql}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn a_regional_day_off_reaches_the_snapshot_with_its_act(pool: PgPool) {
    sqlx::query(
        "INSERT INTO regional_day_off (day, note, act) \
         VALUES ('2027-04-27', 'Радоница', 'Закон Иркутской области от 01.01.2027 № 1-ОЗ')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let snapshot = load_snapshot(&pool).await.unwrap();
    let day = snapshot.calendar.day(date("2027-04-27")).unwrap();
    assert_eq!(day.kind, DayKind::Holiday);
    assert_eq!(day.source, CalendarSource::Regional);
    assert_eq!(day.note, "Радоница");
    assert_eq!(
        day.act,
        Some("Закон Иркутской области от 01.01.2027 № 1-ОЗ")
    );
}
