//! The operator console's HTTP API against a real Postgres, called through
//! `tower::ServiceExt::oneshot` on [`hotline::http::app`] (no socket): sign-in and
//! sessions, that every endpoint refuses without a session, that each role sees and
//! does only what it may, how refused rows are answered, the routing question, and
//! live events.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`); `#[sqlx::test]` gives each test
//! a fresh, migrated database, filled here with the demo directory.

mod common;
#[path = "support/console.rs"]
mod console;

use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{Method, Request, StatusCode};
use axum::response::IntoResponse;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt as _;

use console::{Console, PASSWORD};
use hotline::http::error::HttpError;
use hotline::http::events::start_event_sources;
use hotline::routing::{LineNumber, MenuChoice, RouteRequest, decide, policy::NoRecency};

/// `/health` without signing in: the directory, the database and what the journal
/// does (`writing`; `spooling, N records` is proved where Postgres goes away, in
/// tests/journal.rs and scripts/faults).
#[sqlx::test(migrations = "./migrations")]
async fn health_reports_the_directory_the_database_and_the_journal(pool: PgPool) {
    let console = Console::new(pool).await;
    let (status, _, health) = console.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["directory_loaded"], true);
    assert_eq!(health["database_reachable"], true);
    assert_eq!(health["journal"], "writing");
    assert_eq!(health["journal_waiting"], 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn signing_in_sets_a_strict_http_only_cookie(pool: PgPool) {
    let console = Console::new(pool).await;
    let (status, headers, me) = console
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"login": " MinZdrav1 ", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "staff");
    assert_eq!(me["organisation"], "minzdrav");
    assert_eq!(
        me["organisation_name"],
        "Министерство здравоохранения Иркутской области"
    );
    let cookie = headers[SET_COOKIE].to_str().unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP by default: {cookie}"
    );
    let session = cookie.split(';').next().unwrap();
    let (status, me) = console.get("/api/me", session).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["login"], "minzdrav1");
    // Only a hash of the secret is stored.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM console_session")
        .fetch_one(&console.pool)
        .await
        .unwrap();
    let secret = session.split('.').nth(1).unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(secret));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_wrong_password_and_an_unknown_login_get_the_same_answer(pool: PgPool) {
    let console = Console::new(pool).await;
    let mut answers = Vec::new();
    for (login, password) in [("operator1", "not-the-password"), ("nobody", PASSWORD)] {
        let (status, headers, body) = console
            .send(
                Method::POST,
                "/api/login",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{login}: {body}");
        assert!(headers.get(SET_COOKIE).is_none());
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0]["error"], "bad_credentials");
    let message = answers[0]["message"].as_str().unwrap();
    assert!(message.contains("wrong login or password"), "{message}");
    assert!(message.contains("неверный логин или пароль"), "{message}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_deactivated_user_cannot_sign_in_and_loses_open_sessions(pool: PgPool) {
    let console = Console::new(pool).await;
    let cookie = console.sign_in("okb1").await;
    sqlx::query("UPDATE console_user SET active = false WHERE login = 'okb1'")
        .execute(&console.pool)
        .await
        .unwrap();
    let (status, body) = console.get("/api/me", &cookie).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _, body) = console
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"login": "okb1", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "account_disabled");
    // The wrong password still gets the generic answer: "deactivated" is only told
    // to whoever proved who they are.
    let (status, _, _) = console
        .send(
            Method::POST,
            "/api/login",
            None,
            Some(json!({"login": "okb1", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "./migrations")]
async fn an_expired_session_is_refused(pool: PgPool) {
    let console = Console::new(pool).await;
    let cookie = console.sign_in("operator1").await;
    assert_eq!(console.get("/api/me", &cookie).await.0, StatusCode::OK);
    sqlx::query(
        "UPDATE console_session SET created_at = now() - interval '13 hours', \
         expires_at = now() - interval '1 hour'",
    )
    .execute(&console.pool)
    .await
    .unwrap();
    let (status, body) = console.get("/api/me", &cookie).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "sign_in_required");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_forged_secret_or_a_closed_session_is_refused(pool: PgPool) {
    let console = Console::new(pool).await;
    let cookie = console.sign_in("admin").await;
    let (id_part, _) = cookie.split_once('.').unwrap();
    let forged = format!("{id_part}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        console.get("/api/me", &forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, headers, _) = console
        .send(Method::POST, "/api/logout", Some(&cookie), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(
        console.get("/api/me", &cookie).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// Every endpoint that takes a session, with a body it would accept.
fn protected_endpoints() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::POST, "/api/logout", None),
        (Method::GET, "/api/me", None),
        (
            Method::POST,
            "/api/password",
            Some(json!({"current_password": "test-password-1", "new_password": "x-password-2"})),
        ),
        (Method::GET, "/api/route?line=122&digit=1", None),
        (Method::GET, "/api/directory", None),
        (
            Method::POST,
            "/api/appeals",
            Some(json!({"topic": "health", "note": "x"})),
        ),
        (Method::GET, "/api/appeals?status=new", None),
        (Method::POST, "/api/appeals/1/done", Some(json!({}))),
        (Method::GET, "/api/events", None),
        (Method::GET, "/api/queue", None),
        (Method::POST, "/api/desk", Some(json!({"state": "ready"}))),
        (Method::GET, "/api/audit", None),
    ]
}

#[sqlx::test(migrations = "./migrations")]
async fn every_endpoint_refuses_without_a_session(pool: PgPool) {
    let console = Console::new(pool).await;
    console
        .appeal(json!({"topic": "health", "note": "x"}))
        .await;
    for cookie in [
        None,
        Some("hotline_session=garbage"),
        Some("hotline_session=a.b"),
        Some("other=1"),
    ] {
        for (method, path, body) in protected_endpoints() {
            let (status, _, answer) = console.send(method.clone(), path, cookie, body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {cookie:?}: {answer}"
            );
            assert_eq!(answer["error"], "sign_in_required", "{method} {path}");
        }
    }
    let untouched: i64 = sqlx::query_scalar("SELECT count(*) FROM appeal WHERE status = 'new'")
        .fetch_one(&console.pool)
        .await
        .unwrap();
    assert_eq!(untouched, 1);
}

#[sqlx::test(migrations = "./migrations")]
async fn each_role_sees_only_the_appeals_it_may(pool: PgPool) {
    let console = Console::new(pool).await;
    let health = console
        .appeal(json!({"topic": "health", "caller_number": "+7 902 111-22-33", "note": "Запись к врачу"}))
        .await;
    let municipal = console
        .appeal(json!({"topic": "municipal_services", "note": "Не вывозят мусор"}))
        .await;
    let hospital = console
        .appeal(json!({"topic": "health", "organisation": "okb", "note": "Справка из больницы"}))
        .await;

    // The municipal staff member never sees the health ministry's appeals.
    let adm = console.sign_in("adm1").await;
    assert_eq!(console.visible(&adm, "new").await, vec![municipal]);
    // The ministry sees its own and its hospital's.
    let minzdrav = console.sign_in("minzdrav1").await;
    assert_eq!(
        console.visible(&minzdrav, "new").await,
        vec![health, hospital]
    );
    // The hospital sees only its own, not its ministry's.
    let okb = console.sign_in("okb1").await;
    assert_eq!(console.visible(&okb, "new").await, vec![hospital]);
    // Specialists and admins see everything.
    for login in ["operator1", "admin"] {
        let cookie = console.sign_in(login).await;
        assert_eq!(
            console.visible(&cookie, "new").await,
            vec![health, municipal, hospital],
            "{login}"
        );
    }

    let (_, list) = console.get("/api/appeals", &minzdrav).await;
    let first = &list[0];
    assert_eq!(
        first["organisation"], "minzdrav",
        "default = the topic's agency"
    );
    assert_eq!(first["caller_number"], "+79021112233");
    assert_eq!(first["topic_name"], "Здравоохранение");
    assert_eq!(first["created_by_name"], "Тест operator1");
}

#[sqlx::test(migrations = "./migrations")]
async fn only_the_responsible_organisation_or_an_admin_marks_an_appeal_done(pool: PgPool) {
    let console = Console::new(pool).await;
    let hospital = console
        .appeal(json!({"topic": "health", "organisation": "okb", "note": "Справка"}))
        .await;
    let municipal = console
        .appeal(json!({"topic": "municipal_services", "note": "Двор"}))
        .await;
    let done = |id: i64| format!("/api/appeals/{id}/done");

    // Staff cannot register appeals.
    let okb = console.sign_in("okb1").await;
    let (status, body) = console
        .post(
            "/api/appeals",
            &okb,
            json!({"topic": "health", "note": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // A specialist cannot mark done.
    let operator = console.sign_in("operator1").await;
    let (status, body) = console.post(&done(hospital), &operator, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Another organisation's staff does not even learn it exists.
    let adm = console.sign_in("adm1").await;
    let (status, body) = console.post(&done(hospital), &adm, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The parent ministry sees it but leaves closing it to the hospital.
    let minzdrav = console.sign_in("minzdrav1").await;
    let (status, body) = console.post(&done(hospital), &minzdrav, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // The hospital closes it, once.
    let (status, body) = console
        .post(&done(hospital), &okb, json!({"note": "Справка выдана"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done");
    assert_eq!(body["done_by_name"], "Тест okb1");
    assert_eq!(body["done_note"], "Справка выдана");
    let (status, body) = console.post(&done(hospital), &okb, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "appeal_already_done");
    assert_eq!(console.visible(&okb, "done").await, vec![hospital]);
    assert!(console.visible(&okb, "new").await.is_empty());
    // An admin closes anyone's, without a body at all.
    let admin = console.sign_in("admin").await;
    let (status, _, body) = console
        .send(Method::POST, &done(municipal), Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Nonexistent.
    let (status, _) = console.post(&done(999_999), &admin, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "./migrations")]
async fn refused_appeals_name_the_rule_and_explain_it(pool: PgPool) {
    let console = Console::new(pool).await;
    let operator = console.sign_in("operator1").await;
    let cases = [
        (
            json!({"topic": "contract_service", "note": "Контракт"}),
            "appeal_has_organisation",
            "ответственная организация",
        ),
        (
            json!({"topic": "health", "callback_requested": true, "note": "Перезвоните"}),
            "appeal_callback_needs_number",
            "нужен номер заявителя",
        ),
        (
            json!({"topic": "health", "organisation": "no-such-org", "note": "x"}),
            "appeal_organisation_known",
            "должна быть в справочнике",
        ),
        (
            json!({"topic": "no_such_topic", "organisation": "minzdrav", "note": "x"}),
            "appeal_topic_known",
            "тема должна быть в справочнике",
        ),
        (
            json!({"topic": "health", "caller_number": "позвоните мне", "note": "x"}),
            "appeal_caller_number_is_phone",
            "номер заявителя",
        ),
        (
            json!({"topic": "health", "line": "12a", "note": "x"}),
            "appeal_line_is_digits",
            "линия",
        ),
        (
            json!({"topic": "health", "note": "я".repeat(4001)}),
            "appeal_note_length",
            "4000",
        ),
    ];
    for (body, constraint, russian) in cases {
        let (status, answer) = console.post("/api/appeals", &operator, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{constraint}: {answer}"
        );
        assert_eq!(answer["error"], "constraint_violation");
        assert_eq!(answer["constraint"], constraint);
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(" / "), "English / Russian: {message}");
        assert!(message.contains(russian), "{constraint}: {message}");
    }
    // Malformed requests are 422 in the same format.
    let (status, answer) = console
        .post("/api/appeals", &operator, json!({"topic": 5}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "invalid_request");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM appeal")
        .fetch_one(&console.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

/// A uniqueness rule is a conflict with another row: 409, with the explanation.
#[sqlx::test(migrations = "./migrations")]
async fn a_uniqueness_refusal_is_a_conflict(pool: PgPool) {
    let console = Console::new(pool).await;
    let error = sqlx::query(
        "INSERT INTO console_user (login, password_hash, full_name, role) \
         VALUES ('admin', '$argon2id$x', 'Второй', 'admin')",
    )
    .execute(&console.pool)
    .await
    .unwrap_err();
    let error = HttpError::from(error);
    assert_eq!(error.status(), StatusCode::CONFLICT);
    let response = error.into_response();
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["constraint"], "console_user_login_unique");
    assert_eq!(
        body["message"],
        "this login is taken / такой логин уже занят"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn the_route_endpoint_answers_with_the_policys_decision(pool: PgPool) {
    let console = Console::new(pool).await;
    let cookie = console.sign_in("adm1").await; // any role may ask
    let snapshot = console.state.directory.current();
    for (query, choice, at) in [
        (
            "line=122&digit=1&at=2026-05-19T10:00:00%2B08:00",
            MenuChoice::Digit('1'),
            "2026-05-19T10:00:00+08:00",
        ),
        (
            "line=122&digit=1&at=2026-05-19T22:00:00%2B08:00",
            MenuChoice::Digit('1'),
            "2026-05-19T22:00:00+08:00",
        ),
        (
            "line=117&topic=municipal_services&at=2026-05-19T11:00:00%2B08:00",
            MenuChoice::Topic(hotline::routing::TopicCode("municipal_services".into())),
            "2026-05-19T11:00:00+08:00",
        ),
    ] {
        let (status, decision) = console.get(&format!("/api/route?{query}"), &cookie).await;
        assert_eq!(status, StatusCode::OK, "{query}: {decision}");
        let line = if query.starts_with("line=117") {
            "117"
        } else {
            "122"
        };
        let expected = decide(
            &snapshot,
            &RouteRequest {
                line: LineNumber(line.to_owned()),
                choice,
                at: at.parse().unwrap(),
            },
            &NoRecency,
        );
        let mut expected = serde_json::to_value(&expected).unwrap();
        expected["busy_staff"] = json!([]);
        assert_eq!(decision, expected, "{query}");
    }
    let (_, working) = console
        .get(
            "/api/route?line=122&digit=1&at=2026-05-19T10:00:00%2B08:00",
            &cookie,
        )
        .await;
    assert_eq!(working["mode"], "automatic");
    assert_eq!(working["candidates"][0]["name"], "Петрова Елена Викторовна");
    // A call in progress with Петрова talking: she is shown busy; a finished call's
    // attempts and a call whose attempt at her ended unanswered are not counted.
    let petrova = working["candidates"][0]["id"].as_i64().unwrap();
    for (key, ended, result) in [
        ("live", None, Some("answered")),
        ("over", Some("2026-05-19T02:05:00Z"), Some("answered")),
        ("missed", None, Some("no_answer")),
    ] {
        sqlx::query(
            "INSERT INTO call_record (call_key, via, line, caller_number, entered_at, ended_at, outcome)
             VALUES ($1, 'ari', '122', '79990000001', '2026-05-19T02:00:00Z', $2::timestamptz,
                     CASE WHEN $2 IS NULL THEN NULL ELSE 'answered_by_staff'::call_outcome END)",
        )
        .bind(key)
        .bind(ended)
        .execute(&console.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO dial_attempt (call_key, leg, target, callee_kind, staff_id, started_at, ended_at, result)
             VALUES ($1, $1 || '-leg1', 'PJSIP/staff01', 'staff', $2, '2026-05-19T02:01:00Z',
                     '2026-05-19T02:01:05Z', $3::attempt_result)",
        )
        .bind(key)
        .bind(petrova)
        .bind(result)
        .execute(&console.pool)
        .await
        .unwrap();
    }
    let (_, busy) = console.get("/api/route?line=122&digit=1", &cookie).await;
    assert_eq!(busy["busy_staff"], json!([petrova]));
    let (_, evening) = console
        .get(
            "/api/route?line=122&digit=1&at=2026-05-19T22:00:00%2B08:00",
            &cookie,
        )
        .await;
    assert_eq!(evening["mode"], "after_hours");
    assert!(!evening["reason"]["ru"].as_str().unwrap().is_empty());
    // Without `at`, the service's routing clock decides (here: Tuesday 10:00).
    let (_, now) = console.get("/api/route?line=122&digit=1", &cookie).await;
    assert_eq!(now["mode"], "automatic");
    // Bad questions.
    for bad in [
        "/api/route?line=122&digit=12",
        "/api/route?line=122&digit=1&topic=health",
        "/api/route?line=122&at=tuesday",
        "/api/route",
    ] {
        let (status, body) = console.get(bad, &cookie).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn the_directory_shows_who_is_on_duty(pool: PgPool) {
    let console = Console::new(pool).await;
    let cookie = console.sign_in("okb1").await;
    let staff_member = |directory: &Value, name: &str| {
        directory["staff"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["full_name"] == name)
            .cloned()
            .unwrap()
    };
    let (status, now) = console.get("/api/directory", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    let petrova = staff_member(&now, "Петрова Елена Викторовна");
    assert_eq!(petrova["on_duty"], true, "{petrova}");
    let lebedev = staff_member(&now, "Лебедев Павел Алексеевич");
    assert_eq!(lebedev["on_duty"], false, "inactive in the demo: {lebedev}");
    assert_eq!(now["lines"].as_array().unwrap().len(), 2);
    assert!(
        now["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "health" && t["agency"] == "minzdrav")
    );
    let (_, lunch) = console
        .get("/api/directory?at=2026-05-19T13:30:00%2B08:00", &cookie)
        .await;
    let petrova = staff_member(&lunch, "Петрова Елена Викторовна");
    assert_eq!(petrova["on_duty"], false);
    assert!(
        petrova["duty_ru"]
            .as_str()
            .unwrap()
            .contains("перерыв до 14:00"),
        "{petrova}"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_created_appeal_arrives_live_only_for_those_who_may_see_it(pool: PgPool) {
    let console = Console::new(pool).await;
    let sources = start_event_sources(&console.state)
        .await
        .expect("listener connects");
    let minzdrav = console.sign_in("minzdrav1").await;
    let request = Request::get("/api/events")
        .header(COOKIE, &minzdrav)
        .body(Body::empty())
        .unwrap();
    let response = console.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
    let mut body = response.into_body();
    let mut received = String::new();
    let mut next_event = async || -> String {
        loop {
            if let Some(end) = received.find("\n\n") {
                let event: String = received.drain(..end + 2).collect();
                if event.starts_with(':') {
                    continue; // keep-alive comment
                }
                return event;
            }
            let frame = tokio::time::timeout(common::PATIENCE, body.frame())
                .await
                .expect("an event in time")
                .expect("the stream goes on")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                received.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    };
    let ready = next_event().await;
    assert!(ready.contains("event: ready"), "{ready}");

    // The city's appeal is not for the ministry's eyes; the health one is.
    let municipal = console
        .appeal(json!({"topic": "municipal_services", "note": "Двор"}))
        .await;
    let health = console
        .appeal(json!({"topic": "health", "note": "Запись к врачу"}))
        .await;
    let event = next_event().await;
    assert!(event.contains("event: appeal_created"), "{event}");
    let data: Value = serde_json::from_str(
        event
            .lines()
            .find_map(|line| line.strip_prefix("data: "))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        data,
        json!({"type": "appeal_created", "id": health, "organisation": "minzdrav"}),
        "the municipal appeal {municipal} must not be shown"
    );

    // Marking it done is announced too.
    let admin = console.sign_in("admin").await;
    let (status, _) = console
        .post(&format!("/api/appeals/{health}/done"), &admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let event = next_event().await;
    assert!(event.contains("event: appeal_done"), "{event}");

    // Shutdown ends the stream and the listener.
    console.state.shutdown.cancel();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = body.frame().await {}
    })
    .await;
    assert!(end.is_ok(), "the event stream must end at shutdown");
    tokio::time::timeout(Duration::from_secs(5), sources)
        .await
        .expect("event sources stop")
        .unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn health_needs_no_session_and_pages_are_served_with_a_strict_policy(pool: PgPool) {
    let console = Console::new(pool).await;
    let (status, _, health) = console.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database_reachable"], true);
    assert_eq!(health["directory_loaded"], true);

    for page in ["/login", "/specialist", "/appeals", "/directory"] {
        let (status, headers, body) = console.send(Method::GET, page, None, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(body.as_str().unwrap().contains("lang=\"ru\""), "{page}");
    }
    let (status, headers, _) = console.send(Method::GET, "/", None, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/login");
    let (status, headers, body) = console.send(Method::GET, "/api/nothing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["error"], "not_found");
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unconfirmed_calendar_year_is_reported_from_october_to_admins_and_health(pool: PgPool) {
    // Only the migrations ran: 2026's decree is there, 2027's is not (yet).
    let autumn = Console::at(pool.clone(), "2026-11-02T10:00:00+08:00").await;
    let (status, _, health) = autumn.send(Method::GET, "/health", None, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a missing decree is no outage: {health}"
    );
    assert_eq!(health["calendar_unconfirmed_years"], json!([2027]));
    let admin = autumn.sign_in("admin").await;
    let (_, view) = autumn.get("/api/directory", &admin).await;
    let warnings = view["calendar_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{view}");
    assert_eq!(warnings[0]["year"], 2027);
    let message = warnings[0]["message_ru"].as_str().unwrap();
    assert!(
        message.contains("Производственный календарь на 2027 год не подтверждён"),
        "{message}"
    );
    let operator = autumn.sign_in("operator1").await;
    let (_, view) = autumn.get("/api/directory", &operator).await;
    assert_eq!(view["calendar_warnings"], json!([]), "admins only");

    // Before October nothing is due yet.
    let summer = Console::reopen(pool.clone(), "2026-09-30T10:00:00+08:00").await;
    let (_, _, health) = summer.send(Method::GET, "/health", None, None).await;
    assert_eq!(health["calendar_unconfirmed_years"], json!([]));

    // Once the decree is loaded (as `hotline migrate` does), the warning is gone.
    hotline::directory::calendar::import_bundled_decrees(&pool)
        .await
        .unwrap();
    let loaded = Console::reopen(pool, "2026-11-02T10:00:00+08:00").await;
    let (_, _, health) = loaded.send(Method::GET, "/health", None, None).await;
    assert_eq!(health["calendar_unconfirmed_years"], json!([]));
    let admin = loaded.sign_in("admin").await;
    let (_, view) = loaded.get("/api/directory", &admin).await;
    assert_eq!(view["calendar_warnings"], json!([]));
}

#[sqlx::test(migrations = "./migrations")]
async fn health_reports_an_unreachable_database(pool: PgPool) {
    let console = Console::new(pool).await;
    console.pool.close().await;
    let (status, _, health) = console.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(health["database_reachable"], false);
}

#[sqlx::test(migrations = "./migrations")]
async fn a_specialist_signs_in_to_the_queue_and_only_the_contact_center_sees_it(pool: PgPool) {
    let console = Console::new(pool).await;
    let operator = console.sign_in("operator1").await;
    let (status, view) = console.get("/api/queue", &operator).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view, json!({"waiting": [], "specialists": []}));

    let (status, view) = console
        .post("/api/desk", &operator, json!({"state": "ready"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["specialists"][0]["name"], "Смирнова Анна Игоревна");
    assert_eq!(view["specialists"][0]["state"], "ready");
    let (_, view) = console
        .post("/api/desk", &operator, json!({"state": "paused"}))
        .await;
    assert_eq!(view["specialists"][0]["state"], "paused");
    assert_eq!(view["specialists"][0]["pause_reason"], "requested");

    // An admin sees the queue; staff do not; nobody but a specialist with a phone
    // takes calls; an unknown state is a malformed request.
    let admin = console.sign_in("admin").await;
    let (status, view) = console.get("/api/queue", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["specialists"][0]["state"], "paused");
    for login in ["minzdrav1", "adm1"] {
        let staff = console.sign_in(login).await;
        let (status, answer) = console.get("/api/queue", &staff).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {answer}");
    }
    for login in ["admin", "operator-no-phone", "okb1"] {
        let cookie = console.sign_in(login).await;
        let (status, answer) = console
            .post("/api/desk", &cookie, json!({"state": "ready"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {answer}");
    }
    let (status, _) = console
        .post("/api/desk", &operator, json!({"state": "asleep"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Signing out ends the shift.
    let (status, view) = console
        .post("/api/desk", &operator, json!({"state": "signed_out"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["specialists"][0]["state"], "signed_out");
}

/// Roster edits are audited by the database whoever makes them: a staff member's
/// phone changed in psql shows its old and new value under the database user; a
/// password changed in the console names the console user and never the hash. Only
/// admins read the audit.
#[sqlx::test(migrations = "./migrations")]
async fn roster_changes_are_audited_with_who_and_what(pool: PgPool) {
    let console = Console::new(pool).await;
    // The demo directory's own rows were audited as they were inserted.
    let seeded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM roster_audit WHERE table_name = 'staff' AND action = 'insert'",
    )
    .fetch_one(&console.pool)
    .await
    .unwrap();
    assert!(seeded > 0);
    sqlx::query("UPDATE staff SET endpoint = 'PJSIP/staff09', priority = priority WHERE endpoint = 'PJSIP/staff01'")
        .execute(&console.pool)
        .await
        .unwrap();
    let staff01: i64 = sqlx::query_scalar("SELECT id FROM staff WHERE endpoint = 'PJSIP/staff09'")
        .fetch_one(&console.pool)
        .await
        .unwrap();
    // An update that changes nothing is not an entry.
    sqlx::query("UPDATE staff SET active = active")
        .execute(&console.pool)
        .await
        .unwrap();

    let admin = console.sign_in("admin").await;
    let (status, entries) = console.get("/api/audit?table=staff", &admin).await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let entries = entries.as_array().unwrap();
    let updates: Vec<&Value> = entries.iter().filter(|e| e["action"] == "update").collect();
    assert_eq!(updates.len(), 1, "{entries:?}");
    assert_eq!(entries[0], *updates[0], "the newest first");
    let entry = updates[0];
    assert_eq!(entry["table_name"], "staff");
    assert_eq!(entry["action"], "update");
    assert_eq!(entry["row_key"], format!("id={staff01}"));
    assert_eq!(entry["old_values"], json!({"endpoint": "PJSIP/staff01"}));
    assert_eq!(entry["new_values"], json!({"endpoint": "PJSIP/staff09"}));
    assert_eq!(entry["console_user"], Value::Null);
    assert!(!entry["db_user"].as_str().unwrap().is_empty());

    // A password changed in the console: the console user is named, the hash is not.
    let (status, answer) = console
        .post(
            "/api/password",
            &admin,
            json!({"current_password": PASSWORD, "new_password": "a-new-password-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let admin = console.sign_in_with("admin", "a-new-password-2").await;
    let (_, entries) = console
        .get("/api/audit?table=console_user&limit=1", &admin)
        .await;
    let entry = &entries[0];
    assert_eq!(entry["action"], "update", "{entry}");
    assert_eq!(entry["console_user"], "admin");
    assert_eq!(entry["old_values"], json!({"password_hash": "(changed)"}));
    assert!(!entries.to_string().contains("$argon2"), "{entries}");

    // Everything, newest first, a page at a time.
    let (_, all) = console.get("/api/audit?limit=2", &admin).await;
    let ids: Vec<i64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] > ids[1]);
    let (_, older) = console
        .get(&format!("/api/audit?limit=1&before={}", ids[1]), &admin)
        .await;
    assert!(older[0]["id"].as_i64().unwrap() < ids[1]);

    for login in ["minzdrav1", "operator1"] {
        let cookie = console.sign_in(login).await;
        let (status, answer) = console.get("/api/audit", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}: {answer}");
    }
}

/// `/ready` and `/metrics` need no session. Without an ARI event socket (none here)
/// the service does not route calls: `/ready` answers 503 and says why, while
/// `/health` (the service itself works) stays 200; `/metrics` is OpenMetrics text.
#[sqlx::test(migrations = "./migrations")]
async fn ready_needs_the_ari_socket_and_metrics_are_openmetrics_text(pool: PgPool) {
    let console = Console::new(pool).await;
    let (status, _, ready) = console.send(Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["ready"], false);
    assert_eq!(ready["ari_event_socket_connected"], false);
    assert_eq!(ready["database_reachable"], true);
    let (status, _, _) = console.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);

    console
        .state
        .asterisk
        .get(None)
        .event_socket()
        .set_connected(true);
    let (status, _, ready) = console.send(Method::GET, "/ready", None, None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");

    let response = console
        .app
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.lines()
            .any(|l| l == "hotline_ari_event_socket_connected 1"),
        "{text}"
    );
    assert!(
        text.contains("hotline_specialists{state=\"ready\"} 0"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
}
