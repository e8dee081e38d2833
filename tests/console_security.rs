//! The console's defences against a real Postgres, each test failing without its
//! fix: sign-in throttling per login and per address, sessions ending after
//! inactivity, sign-out and password change closing that user's open event streams
//! (on every device), the same-origin check on state-changing requests, security
//! headers on every answer, and the request body limit.
//!
//! Needs `DATABASE_URL` (see `tests/common/mod.rs`).

mod common;
#[path = "support/console.rs"]
mod console;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower::ServiceExt as _;

use console::{Console, PASSWORD};
use hotline::http::HttpOptions;
use hotline::http::events::start_event_sources;
use hotline::http::sessions::sweep_once;
use hotline::http::throttle::LoginThrottle;

/// A sign-in from `address` (as the server's socket would report it), with
/// `password`; optional extra headers.
fn login_request(
    login: &str,
    password: &str,
    address: &str,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut request = Request::post("/api/login").header(CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request
        .body(Body::from(
            json!({"login": login, "password": password}).to_string(),
        ))
        .unwrap();
    let peer: SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

/// Signs in `login` with the right password from `address`: the status and body.
async fn try_sign_in(
    console: &Console,
    login: &str,
    password: &str,
    address: &str,
) -> (StatusCode, Value) {
    let (status, _, body) = console
        .request(login_request(login, password, address, &[]))
        .await;
    (status, body)
}

#[sqlx::test(migrations = "./migrations")]
async fn sign_ins_are_throttled_per_login(pool: PgPool) {
    let console = Console::new(pool).await;
    // Five wrong passwords count; a sixth try is refused before the password is
    // checked, even the right one, with a clear message and Retry-After.
    for _ in 0..5 {
        let (status, body) = try_sign_in(&console, "operator1", "wrong-password", "10.0.0.1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (status, headers, body) = console
        .request(login_request("operator1", PASSWORD, "10.0.0.1", &[]))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_sign_ins");
    assert!(
        body["message_ru"]
            .as_str()
            .unwrap()
            .contains("повторите через 15 мин"),
        "{body}"
    );
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((850..=900).contains(&retry), "Retry-After {retry}");
    // From another address too: it is the account that is throttled.
    let (status, _) = try_sign_in(&console, "operator1", PASSWORD, "10.0.0.9").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Tries refused while throttled are not counted.
    let counted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM console_login_failure WHERE login = 'operator1'")
            .fetch_one(&console.pool)
            .await
            .unwrap();
    assert_eq!(counted, 5);
    // Others sign in from the same address.
    let (status, body) = try_sign_in(&console, "admin", PASSWORD, "10.0.0.1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Once the failures age out of the window, the right password works again.
    sqlx::query("UPDATE console_login_failure SET at = at - interval '16 minutes'")
        .execute(&console.pool)
        .await
        .unwrap();
    let (status, body) = try_sign_in(&console, "operator1", PASSWORD, "10.0.0.1").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A success forgets the login's failures: 4 + success + 4 is never throttled.
    for round in 0..2 {
        for _ in 0..4 {
            let (status, _) = try_sign_in(&console, "okb1", "wrong-password", "10.0.0.2").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "round {round}");
        }
        let (status, body) = try_sign_in(&console, "okb1", PASSWORD, "10.0.0.2").await;
        assert_eq!(status, StatusCode::OK, "round {round}: {body}");
    }
    // An unknown login is throttled the same way, so the answer does not tell.
    for _ in 0..5 {
        let (status, _) = try_sign_in(&console, "nobody", "wrong-password", "10.0.0.3").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = try_sign_in(&console, "nobody", "wrong-password", "10.0.0.3").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "./migrations")]
async fn sign_ins_are_throttled_per_address(pool: PgPool) {
    let options = HttpOptions {
        login_throttle: LoginThrottle {
            per_address: 8,
            ..LoginThrottle::default()
        },
        ..HttpOptions::default()
    };
    let console = Console::with_options(pool, options).await;
    // Guessing across many logins from one address: each login stays under its own
    // limit, the address does not.
    for index in 0..8 {
        let (status, _) = try_sign_in(
            &console,
            &format!("guess{index}"),
            "wrong-password",
            "10.0.1.1",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = try_sign_in(&console, "admin", PASSWORD, "10.0.1.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // A success elsewhere does not reset the address.
    let (status, _) = try_sign_in(&console, "admin", PASSWORD, "10.0.1.2").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = try_sign_in(&console, "admin", PASSWORD, "10.0.1.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // X-Forwarded-For is not believed unless configured: it cannot pick a fresh address.
    let (status, _, _) = console
        .request(login_request(
            "admin",
            PASSWORD,
            "10.0.1.1",
            &[("x-forwarded-for", "192.0.2.7")],
        ))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "./migrations")]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted(pool: PgPool) {
    let options = HttpOptions {
        login_throttle: LoginThrottle {
            per_address: 3,
            ..LoginThrottle::default()
        },
        trust_forwarded_for: true,
        ..HttpOptions::default()
    };
    let console = Console::with_options(pool, options).await;
    // All through the proxy at 10.0.2.1; the client is the last entry it appended.
    let via_proxy = |client: &'static str, login: &str, password: &str| {
        login_request(login, password, "10.0.2.1", &[("x-forwarded-for", client)])
    };
    for index in 0..3 {
        let (status, _, _) = console
            .request(via_proxy(
                "203.0.113.50, 192.0.2.10",
                &format!("guess{index}"),
                "wrong-password",
            ))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = console
        .request(via_proxy("192.0.2.10", "admin", PASSWORD))
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "192.0.2.10 is throttled"
    );
    let (status, _, _) = console
        .request(via_proxy("192.0.2.11", "admin", PASSWORD))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another client behind the same proxy is not"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn a_session_ends_after_inactivity_and_use_keeps_it(pool: PgPool) {
    let options = HttpOptions {
        session_idle: chrono::Duration::minutes(10),
        ..HttpOptions::default()
    };
    let console = Console::with_options(pool, options).await;
    let busy = console.sign_in("operator1").await;
    let idle = console.sign_in("admin").await;
    let age = |cookie: &str, minutes: i64| {
        let id = cookie
            .split_once('=')
            .unwrap()
            .1
            .split_once('.')
            .unwrap()
            .0
            .to_owned();
        let pool = console.pool.clone();
        async move {
            sqlx::query(
                "UPDATE console_session SET last_seen_at = now() - make_interval(mins => $2) WHERE id = $1",
            )
            .bind(id)
            .bind(minutes as i32)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    // Nine minutes idle: still in, and the request counts as activity.
    age(&busy, 9).await;
    assert_eq!(console.get("/api/me", &busy).await.0, StatusCode::OK);
    let since: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM now() - last_seen_at)::float8 FROM console_session s \
         JOIN console_user u ON u.id = s.user_id WHERE u.login = 'operator1'",
    )
    .fetch_one(&console.pool)
    .await
    .unwrap();
    assert!(since < 60.0, "last use written down: {since} s ago");
    // Eleven minutes idle: out, though the 12-hour lifetime is far off.
    age(&idle, 11).await;
    let (status, body) = console.get("/api/me", &idle).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The sweep deletes it (which is what closes its streams), and only it.
    let ended = sweep_once(&console.pool, chrono::Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(console.get("/api/me", &busy).await.0, StatusCode::OK);
}

/// An open `GET /api/events` stream, read frame by frame.
struct Stream {
    body: Body,
}

impl Stream {
    async fn open(console: &Console, cookie: &str) -> Self {
        let request = Request::get("/api/events")
            .header(COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let response = console.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Self {
            body: response.into_body(),
        }
    }

    /// `Some(true)` when the stream ended within `wait` (events and keep-alives
    /// meanwhile are read and skipped); `None` when it was still open after `wait`.
    async fn ended_within(&mut self, wait: Duration) -> Option<bool> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return None,
                Ok(None) => return Some(true),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(error))) => panic!("stream failed: {error}"),
            }
        }
    }

    async fn assert_ends(&mut self, why: &str) {
        assert_eq!(
            self.ended_within(Duration::from_secs(10)).await,
            Some(true),
            "the stream should end: {why}"
        );
    }

    async fn assert_open(&mut self, why: &str) {
        assert_eq!(
            self.ended_within(Duration::from_millis(500)).await,
            None,
            "the stream should stay open: {why}"
        );
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn sign_out_and_a_new_password_close_that_users_open_streams(pool: PgPool) {
    let console = Console::new(pool).await;
    let sources = start_event_sources(&console.state)
        .await
        .expect("listener connects");
    // operator1 on two devices, admin on one.
    let first = console.sign_in("operator1").await;
    let second = console.sign_in("operator1").await;
    let admin = console.sign_in("admin").await;
    let mut first_stream = Stream::open(&console, &first).await;
    let mut second_stream = Stream::open(&console, &second).await;
    let mut admin_stream = Stream::open(&console, &admin).await;

    // Signing out on the first device ends that device's stream only.
    let (status, _, _) = console
        .send(Method::POST, "/api/logout", Some(&first), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    first_stream.assert_ends("its session signed out").await;
    second_stream
        .assert_open("another session of the same user")
        .await;

    // A wrong current password changes nothing (and counts as a failure).
    let (status, body) = console
        .post(
            "/api/password",
            &second,
            json!({"current_password": "not-it-at-all", "new_password": "new-password-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "wrong_password");
    second_stream.assert_open("password unchanged").await;
    // Too short a new password is refused, with the rule.
    let (status, body) = console
        .post(
            "/api/password",
            &second,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The change ends every session of the user, this device's stream included;
    // this browser gets a fresh session.
    let (status, headers, body) = console
        .request(
            Request::post("/api/password")
                .header(COOKIE, &second)
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"current_password": PASSWORD, "new_password": "new-password-2"})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    second_stream
        .assert_ends("the user's password changed")
        .await;
    assert_eq!(
        console.get("/api/me", &second).await.0,
        StatusCode::UNAUTHORIZED
    );
    let fresh = headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(console.get("/api/me", &fresh).await.0, StatusCode::OK);
    let (status, _) = try_sign_in(&console, "operator1", "new-password-2", "10.0.3.1").await;
    assert_eq!(status, StatusCode::OK);
    admin_stream.assert_open("another user").await;

    // A password set from the command line (`hotline user passwd`) or psql too.
    hotline::http::accounts::set_password(&console.pool, "admin", "admin-password-3", None)
        .await
        .unwrap();
    admin_stream.assert_ends("password set by the CLI").await;

    // An idle session swept ends its stream.
    let fresh_stream = &mut Stream::open(&console, &fresh).await;
    sqlx::query("UPDATE console_session SET last_seen_at = now() - interval '2 hours'")
        .execute(&console.pool)
        .await
        .unwrap();
    sweep_once(&console.pool, chrono::Duration::minutes(60))
        .await
        .unwrap();
    fresh_stream.assert_ends("idle session swept").await;

    console.state.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), sources)
        .await
        .expect("event sources stop")
        .unwrap();
}

#[sqlx::test(migrations = "./migrations")]
async fn state_changing_requests_from_another_site_are_refused(pool: PgPool) {
    let console = Console::new(pool).await;
    let operator = console.sign_in("operator1").await;
    let appeal = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = Request::post("/api/appeals")
            .header("host", "127.0.0.1:8080")
            .header(COOKIE, &operator)
            .header(CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request
            .body(Body::from(
                json!({"topic": "health", "note": "Справка"}).to_string(),
            ))
            .unwrap()
    };
    let count = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM appeal")
            .fetch_one(&console.pool)
            .await
            .unwrap()
    };
    for (origin, site) in [
        (Some("http://evil.example"), None),
        (Some("null"), None),
        (Some("http://127.0.0.1:9999"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
    ] {
        let (status, _, body) = console.request(appeal(origin, site)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?} {site:?}: {body}");
        assert_eq!(body["error"], "cross_site");
        assert!(
            body["message_ru"]
                .as_str()
                .unwrap()
                .contains("с другого сайта")
        );
    }
    assert_eq!(count().await, 0, "nothing was written");
    // The console's own page, and a client that is not a browser.
    for (origin, site) in [
        (Some("http://127.0.0.1:8080"), Some("same-origin")),
        (None, None),
    ] {
        let (status, _, body) = console.request(appeal(origin, site)).await;
        assert_eq!(status, StatusCode::CREATED, "{origin:?}: {body}");
    }
    assert_eq!(count().await, 2);
    // Signing in from another site's form (login CSRF) is refused too.
    let (status, _, body) = console
        .request(login_request(
            "admin",
            PASSWORD,
            "10.0.4.1",
            &[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://evil.example"),
            ],
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Reading is not state-changing: a GET with a foreign Origin is answered.
    let request = Request::get("/api/me")
        .header("host", "127.0.0.1:8080")
        .header("origin", "http://evil.example")
        .header(COOKIE, &operator)
        .body(Body::empty())
        .unwrap();
    assert_eq!(console.request(request).await.0, StatusCode::OK);
}

#[sqlx::test(migrations = "./migrations")]
async fn every_answer_carries_the_security_headers(pool: PgPool) {
    let console = Console::new(pool).await;
    let operator = console.sign_in("operator1").await;
    let cases: Vec<(&str, Option<&str>, StatusCode)> = vec![
        ("/login", None, StatusCode::OK),
        ("/specialist", None, StatusCode::OK),
        ("/static/console.js", None, StatusCode::OK),
        ("/static/console.css", None, StatusCode::OK),
        ("/health", None, StatusCode::OK),
        ("/api/me", Some(operator.as_str()), StatusCode::OK),
        ("/api/me", None, StatusCode::UNAUTHORIZED),
        ("/api/nothing", None, StatusCode::NOT_FOUND),
        ("/no-such-page", None, StatusCode::NOT_FOUND),
    ];
    for (path, cookie, expected) in cases {
        let (status, headers, _) = console.send(Method::GET, path, cookie, None).await;
        assert_eq!(status, expected, "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert!(!policy.contains("unsafe-eval"), "{path}: {policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
    // The policy can forbid inline script because the pages have none: no inline
    // <script>, no on…= handlers, no style attributes.
    let pages = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/static")).unwrap();
    for page in pages {
        let path = page.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "html") {
            continue;
        }
        let html = std::fs::read_to_string(&path).unwrap().to_lowercase();
        for script in html.match_indices("<script").map(|(at, _)| &html[at..]) {
            let tag = &script[..script.find('>').unwrap()];
            assert!(
                tag.contains(" src="),
                "{}: inline script {tag}",
                path.display()
            );
        }
        for attribute in [
            " onclick=",
            " onload=",
            " onsubmit=",
            " onchange=",
            " style=",
            "javascript:",
        ] {
            assert!(!html.contains(attribute), "{}: {attribute}", path.display());
        }
    }
}

#[sqlx::test(migrations = "./migrations")]
async fn request_bodies_over_the_limit_are_refused(pool: PgPool) {
    let console = Console::new(pool).await;
    let operator = console.sign_in("operator1").await;
    let note = "ж".repeat(40 * 1024); // 80 KiB of UTF-8
    let (status, body) = console
        .post(
            "/api/appeals",
            &operator,
            json!({"topic": "health", "note": note}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "too_large");
    let (status, _, _) = console
        .request(login_request(
            "admin",
            &"x".repeat(100 * 1024),
            "10.0.5.1",
            &[],
        ))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Under the limit, the same request is fine.
    let (status, body) = console
        .post(
            "/api/appeals",
            &operator,
            json!({"topic": "health", "note": "ж".repeat(1000)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
