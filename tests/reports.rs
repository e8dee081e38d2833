//! Reports against a real Postgres: a month of known calls and appeals written into
//! the journal, then read back through the console's API (JSON, CSV, SVG chart,
//! abandoned calls) as each role sees them.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`).

mod common;
#[path = "support/console.rs"]
mod console;

use axum::body::Body;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt as _;

use console::Console;

/// One journaled call: key, line, topic, mode, entered (Irkutsk), seconds to the
/// answer, seconds to the end, outcome, answering staff endpoint, queued.
struct Call {
    key: &'static str,
    line: &'static str,
    topic: Option<&'static str>,
    mode: Option<&'static str>,
    entered: &'static str,
    answered_after: Option<i32>,
    ended_after: i32,
    outcome: &'static str,
    staff: Option<&'static str>,
    queued: bool,
}

const CALLS: [Call; 10] = [
    // minzdrav: answered automatically in 10 s, talked 60 s.
    call(
        "c1",
        "122",
        Some("health"),
        Some("automatic"),
        "2026-11-03 10:00",
        Some(10),
        70,
        "answered_by_staff",
        Some("PJSIP/staff01"),
        false,
    ),
    // Its institution (okb) answered in 30 s: over the 20 s threshold.
    call(
        "c2",
        "122",
        Some("health"),
        Some("automatic"),
        "2026-11-03 11:00",
        Some(30),
        90,
        "answered_by_staff",
        Some("PJSIP/staff03"),
        false,
    ),
    // minsoc: a specialist answered in 5 s and transferred it to staff04.
    call(
        "c3",
        "122",
        Some("displaced_support"),
        Some("manual"),
        "2026-11-03 12:00",
        Some(5),
        200,
        "answered_by_staff",
        Some("PJSIP/staff04"),
        false,
    ),
    // The caller hung up while staff01 rang.
    call(
        "c4",
        "122",
        Some("health"),
        Some("automatic"),
        "2026-11-04 09:30",
        None,
        15,
        "abandoned",
        None,
        false,
    ),
    // 117's own topic: specialists answered in 8 s.
    call(
        "c5",
        "117",
        Some("contract_service"),
        Some("specialist_topic"),
        "2026-11-04 10:00",
        Some(8),
        68,
        "answered_by_specialist",
        None,
        false,
    ),
    // Hung up in the menu.
    call(
        "c6",
        "122",
        None,
        None,
        "2026-11-04 10:30",
        None,
        4,
        "abandoned",
        None,
        false,
    ),
    // After hours, waited in the queue, hung up.
    call(
        "c7",
        "122",
        Some("health"),
        Some("after_hours"),
        "2026-11-04 22:00",
        None,
        50,
        "abandoned",
        None,
        true,
    ),
    // October: outside the month.
    call(
        "c8",
        "122",
        Some("health"),
        Some("automatic"),
        "2026-10-31 23:59",
        Some(1),
        30,
        "answered_by_staff",
        Some("PJSIP/staff01"),
        false,
    ),
    // 30 November 23:30 in Irkutsk (15:30 UTC): in November.
    call(
        "c9",
        "122",
        Some("health"),
        Some("automatic"),
        "2026-11-30 23:30",
        Some(5),
        65,
        "answered_by_staff",
        Some("PJSIP/staff01"),
        false,
    ),
    // 1 December 00:30 in Irkutsk (still 30 November in UTC): not in November.
    call(
        "c10",
        "122",
        Some("health"),
        Some("automatic"),
        "2026-12-01 00:30",
        Some(5),
        65,
        "answered_by_staff",
        Some("PJSIP/staff01"),
        false,
    ),
];

#[expect(clippy::too_many_arguments, reason = "a table row")]
const fn call(
    key: &'static str,
    line: &'static str,
    topic: Option<&'static str>,
    mode: Option<&'static str>,
    entered: &'static str,
    answered_after: Option<i32>,
    ended_after: i32,
    outcome: &'static str,
    staff: Option<&'static str>,
    queued: bool,
) -> Call {
    Call {
        key,
        line,
        topic,
        mode,
        entered,
        answered_after,
        ended_after,
        outcome,
        staff,
        queued,
    }
}

async fn journal_the_month(pool: &PgPool) {
    for c in &CALLS {
        sqlx::query(
            "INSERT INTO call_record (call_key, via, line, caller_number, topic, decision_mode,
                 entered_at, answered_at, ended_at, answered_target, answered_staff, outcome, queued_at)
             SELECT $1, 'ari', $2, '7999000' || length($1), $3, $4, e,
                    e + make_interval(secs => $5), e + make_interval(secs => $6), $7,
                    (SELECT id FROM staff WHERE endpoint = $7), $8::call_outcome,
                    CASE WHEN $9 THEN e END
               FROM (SELECT ($10 || ':00+08')::timestamptz AS e) t",
        )
        .bind(c.key)
        .bind(c.line)
        .bind(c.topic)
        .bind(c.mode)
        .bind(c.answered_after.map(f64::from))
        .bind(f64::from(c.ended_after))
        .bind(c.staff)
        .bind(c.outcome)
        .bind(c.queued)
        .bind(c.entered)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO dial_attempt (call_key, leg, target, callee_kind, staff_id, started_at, ended_at, result)
         SELECT 'c4', 'c4-leg3', 'PJSIP/staff01', 'staff', NULL, entered_at, ended_at, 'cancelled'
           FROM call_record WHERE call_key = 'c4'",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO call_transfer (call_key, number, origin, topic, started_at, ended_at, result, answered_target)
         SELECT 'c3', 1, 'console', 'displaced_support', answered_at, answered_at + interval '20 s', 'answered', 'PJSIP/staff04'
           FROM call_record WHERE call_key = 'c3'",
    )
    .execute(pool)
    .await
    .unwrap();
    // minzdrav: opened on the 5th, done a day later; okb: a callback still open.
    sqlx::query(
        "INSERT INTO appeal (created_at, line, topic, organisation, caller_number, note, status, done_at)
         VALUES ('2026-11-05 10:00+08', '122', 'health', 'minzdrav', '79990000002', 'Запись к врачу', 'done', '2026-11-06 10:00+08')",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO appeal (created_at, line, topic, organisation, caller_number, note, callback_requested)
         VALUES ('2026-11-10 10:00+08', '122', 'health', 'okb', '79990000003', '', true)",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn get(
    console: &Console,
    path: &str,
    cookie: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = console
        .app
        .clone()
        .oneshot(
            Request::get(path)
                .header(COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn row<'a>(rows: &'a Value, key: &str) -> &'a Value {
    rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key:?} in {rows}"))
}

const NOVEMBER: &str = "from=2026-11-01&to=2026-11-30&period=month";

/// `GET path` as `cookie`'s user: 200 and its JSON.
async fn get_json(console: &Console, path: &str, cookie: &str) -> Value {
    let (status, _, body) = get(console, path, cookie).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// November's abandoned calls as `cookie`'s user sees them.
async fn abandoned(console: &Console, cookie: &str) -> Value {
    get_json(
        console,
        &format!("/api/reports/abandoned?{NOVEMBER}"),
        cookie,
    )
    .await
}

fn call_keys(calls: &Value) -> Vec<&str> {
    calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_key"].as_str().unwrap())
        .collect()
}

#[sqlx::test(migrations = "./migrations")]
async fn the_month_by_agency_counts_every_kind_of_call(pool: PgPool) {
    let console = Console::new(pool).await;
    journal_the_month(&console.pool).await;
    let admin = console.sign_in("admin").await;
    let report = get_json(
        &console,
        &format!("/api/reports/calls?{NOVEMBER}&by=agency"),
        &admin,
    )
    .await;
    assert_eq!(report["service_level_seconds"], 20);
    assert_eq!(report["rows"].as_array().unwrap().len(), 3, "{report}");

    // minzdrav with its hospital: c1, c2, c4, c7, c9.
    let health = row(&report, "minzdrav");
    assert_eq!(
        health["name"],
        "Министерство здравоохранения Иркутской области"
    );
    assert_eq!(health["period_start"], "2026-11-01T00:00:00");
    for (field, value) in [
        ("offered", 5),
        ("answered_by_staff_automatically", 3),
        ("transferred_manually", 0),
        ("answered_by_specialists", 0),
        ("abandoned_in_menu", 0),
        ("abandoned_in_queue", 1),
        ("abandoned_while_staff_rang", 1),
        ("answered_within_threshold", 2),
        ("after_hours", 1),
        ("appeals_opened", 2),
        ("appeals_closed", 1),
        ("callbacks_opened", 1),
        ("callbacks_closed", 0),
    ] {
        assert_eq!(health[field], value, "minzdrav {field}: {health}");
    }
    assert_eq!(health["service_level"], 0.4);
    assert_eq!(health["average_speed_of_answer_seconds"], 15.0);
    assert_eq!(health["average_handle_time_seconds"], 60.0);
    assert_eq!(health["appeal_average_age_hours_at_close"], 24.0);
    // The hospital's callback, open since 10 November 10:00, at the end of November.
    assert_eq!(health["appeals_open_at_end"], 1);
    assert_eq!(health["appeals_open_average_age_hours"], 20.0 * 24.0 + 14.0);

    // minsoc: the transferred call.
    let social = row(&report, "minsoc");
    assert_eq!(social["offered"], 1);
    assert_eq!(social["transferred_manually"], 1);
    assert_eq!(social["answered_by_staff_automatically"], 0);
    // No organisation: 117's own topic and the menu hang-up.
    let center = row(&report, "");
    assert_eq!(center["name"], "Без организации (контакт-центр)");
    assert_eq!(center["offered"], 2);
    assert_eq!(center["answered_by_specialists"], 1);
    assert_eq!(center["abandoned_in_menu"], 1);

    // By organisation, the hospital stands alone.
    let report = get_json(
        &console,
        &format!("/api/reports/calls?{NOVEMBER}&by=organisation"),
        &admin,
    )
    .await;
    assert_eq!(row(&report, "okb")["offered"], 1);
    assert_eq!(row(&report, "minzdrav")["offered"], 4);
    // By day: the 3rd had three calls; a stricter threshold lowers the level.
    let report = get_json(
        &console,
        "/api/reports/calls?from=2026-11-03&to=2026-11-03&period=day&threshold=9",
        &admin,
    )
    .await;
    let day = row(&report, "");
    assert_eq!(day["offered"], 3);
    assert_eq!(day["answered_within_threshold"], 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn staff_see_only_their_organisation_and_abandoned_calls_without_numbers(pool: PgPool) {
    let console = Console::new(pool).await;
    journal_the_month(&console.pool).await;
    // The hospital's staff: only the call its staff answered, counted for its agency.
    let okb = console.sign_in("okb1").await;
    let report = get_json(
        &console,
        &format!("/api/reports/calls?{NOVEMBER}&by=agency"),
        &okb,
    )
    .await;
    assert_eq!(report["rows"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(row(&report, "minzdrav")["offered"], 1);
    assert_eq!(row(&report, "minzdrav")["callbacks_opened"], 1);

    let admin = console.sign_in("admin").await;
    let all = abandoned(&console, &admin).await;
    assert_eq!(call_keys(&all), ["c7", "c6", "c4"]);
    assert_eq!(all[0]["abandoned_in"], "queue");
    assert_eq!(all[1]["abandoned_in"], "menu");
    assert_eq!(all[2]["abandoned_in"], "staff_ringing");
    assert_eq!(all[2]["caller_number"], "79990002");

    let ministry = console.sign_in("minzdrav1").await;
    let theirs = abandoned(&console, &ministry).await;
    let keys = call_keys(&theirs);
    assert_eq!(keys, ["c7", "c4"]);
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["caller_number"].is_null()),
        "{theirs}"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn the_report_exports_to_csv_and_draws_a_chart(pool: PgPool) {
    let console = Console::new(pool).await;
    journal_the_month(&console.pool).await;
    let admin = console.sign_in("admin").await;
    let (status, headers, csv) = get(
        &console,
        &format!("/api/reports/calls.csv?{NOVEMBER}&by=agency"),
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(
        headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        headers[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("hotline-report-2026-11-01-2026-11-30.csv")
    );
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with("Период,Код,Группа,Поступило,"),
        "{}",
        lines[0]
    );
    assert!(lines[3].starts_with("2026-11-01 00:00,minzdrav,Министерство здравоохранения Иркутской области,5,3,0,0,0,1,1,"), "{}", lines[3]);

    // The 3rd of November by hour, minzdrav: 24 bars, a level dot at 10:00 and 11:00.
    let (status, headers, svg) = get(
        &console,
        "/api/reports/chart.svg?from=2026-11-03&to=2026-11-03&period=hour&agency=minzdrav",
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{svg}");
    assert!(
        headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert_eq!(svg.matches(r#"class="bar""#).count(), 24);
    assert_eq!(svg.matches(r#"class="level""#).count(), 2);
    assert!(svg.contains("10:00: 1<"), "{svg}");

    // A range backwards, or over a year, is refused with the reason.
    let (status, _, body) = get(
        &console,
        "/api/reports/calls?from=2026-11-30&to=2026-11-01",
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("период"), "{body}");
    let (status, _, _) = get(
        &console,
        "/api/reports/calls?from=2025-01-01&to=2026-11-01",
        &admin,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without a session: refused.
    let (status, _, _) = get(&console, "/api/reports/calls", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The hall's board: the queue now (nobody signed in: every specialist state at 0)
/// and today's figures (the local day of real time, like the journal's), for the
/// contact center only.
#[sqlx::test(migrations = "./migrations")]
async fn the_wallboard_shows_the_queue_and_today(pool: PgPool) {
    let console = Console::new(pool).await;
    // Minutes after today's local midnight, and yesterday evening.
    for (key, minutes, answered, outcome) in [
        ("w1", 1, Some(5.0), "answered_by_specialist"),
        ("w2", 2, Some(40.0), "answered_by_specialist"),
        ("w3", 3, None, "abandoned"),
        ("w4", -60, Some(5.0), "answered_by_specialist"),
    ] {
        sqlx::query(
            "INSERT INTO call_record (call_key, via, line, caller_number, entered_at, answered_at, ended_at, outcome, queued_at)
             SELECT $1, 'ari', '122', '79990000001', e, e + make_interval(secs => $3),
                    e + interval '20 s', $4::call_outcome, e
               FROM (SELECT date_trunc('day', now(), 'Asia/Irkutsk') + make_interval(mins => $2) AS e) t",
        )
        .bind(key)
        .bind(minutes)
        .bind(answered)
        .bind(outcome)
        .execute(&console.pool)
        .await
        .unwrap();
    }
    let admin = console.sign_in("admin").await;
    let board = get_json(&console, "/api/wallboard", &admin).await;
    assert_eq!(board["waiting"], 0);
    assert_eq!(board["oldest_waiting_since"], Value::Null);
    assert_eq!(board["specialists"]["ready"], 0);
    assert_eq!(board["today"]["offered"], 3, "{board}");
    assert_eq!(board["today"]["abandoned_in_queue"], 1);
    assert_eq!(board["today"]["service_level"], 1.0 / 3.0);
    let staff = console.sign_in("minzdrav1").await;
    let (status, _, _) = get(&console, "/api/wallboard", &staff).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
