//! The console test harness shared by `console_api` and `console_security`: a test
//! database with the demo directory and one login per role, and the API called
//! through `tower::ServiceExt::oneshot` on [`hotline::http::app`] (no socket).
//! Included with `#[path]`, like the other support files.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

use axum::Router;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use hotline::app::{CallControl, QueueHandle, RoutingClock};
use hotline::ari::AsteriskNodes;
use hotline::directory::{DirectoryCache, demo::seed_demo, load_snapshot};
use hotline::http::accounts::{NewUser, Role, save_user};
use hotline::http::events::ConsoleEvents;
use hotline::http::{HttpOptions, HttpState, app};
use hotline::queue::QueueSettings;
use hotline::routing::OrganisationCode;

/// Every test user's password.
pub const PASSWORD: &str = "test-password-1";

/// Tuesday 19 May 2026, 10:00 in Irkutsk: every demo organisation is open, nobody on leave.
pub const WORKING_HOURS: &str = "2026-05-19T10:00:00+08:00";

/// The API of one test database, with demo directory and one login per case.
pub struct Console {
    pub app: Router,
    pub pool: PgPool,
    pub state: HttpState,
}

/// The demo logins: (login, role, organisation).
pub const USERS: &[(&str, Role, Option<&str>)] = &[
    ("operator1", Role::Specialist, None),
    ("operator-no-phone", Role::Specialist, None),
    ("admin", Role::Admin, None),
    ("minzdrav1", Role::Staff, Some("minzdrav")),
    ("okb1", Role::Staff, Some("okb")),
    ("adm1", Role::Staff, Some("adm-irkutsk")),
];

impl Console {
    /// Demo directory, the logins above, the routing clock at [`WORKING_HOURS`].
    pub async fn new(pool: PgPool) -> Self {
        Self::at(pool, WORKING_HOURS).await
    }

    /// The same with the routing clock at another instant.
    pub async fn at(pool: PgPool, instant: &str) -> Self {
        seed_demo(&pool).await.expect("demo directory");
        let spec01: i64 =
            sqlx::query_scalar("SELECT id FROM specialist WHERE endpoint = 'PJSIP/spec01'")
                .fetch_one(&pool)
                .await
                .unwrap();
        for &(login, role, organisation) in USERS {
            let user = NewUser {
                login: login.to_owned(),
                full_name: format!("Тест {login}"),
                role,
                organisation: organisation.map(|code| OrganisationCode(code.to_owned())),
                // operator1 answers at spec01's phone.
                specialist_id: (login == "operator1").then_some(spec01),
            };
            save_user(&pool, &user, PASSWORD, false)
                .await
                .unwrap_or_else(|error| panic!("user {login}: {error}"));
        }
        Self::reopen(pool, instant).await
    }

    /// A console on a database [`Console::at`] already filled: the directory as it is
    /// now, the routing clock at `instant`.
    pub async fn reopen(pool: PgPool, instant: &str) -> Self {
        let snapshot = load_snapshot(&pool).await.expect("directory loads");
        let at: DateTime<Utc> = instant.parse().unwrap();
        let directory = DirectoryCache::fixed(snapshot);
        let events = ConsoleEvents::new();
        let queue = QueueHandle::start(directory.clone(), events.clone(), QueueSettings::default());
        let state = HttpState {
            pool: pool.clone(),
            directory,
            events,
            queue,
            calls: CallControl::new().0,
            clock: RoutingClock::starting_at(at),
            options: HttpOptions::default(),
            shutdown: CancellationToken::new(),
            journal: Default::default(),
            sessions: Default::default(),
            asterisk: AsteriskNodes::single(
                "main",
                crate::common::sandbox_ari("hotline-console-test"),
            ),
            active_console: hotline::http::standby::ActiveConsole::active("hotline-console-test"),
        };
        Self {
            app: app(state.clone()),
            pool,
            state,
        }
    }

    /// [`Console::new`] with other HTTP options (short idle time, low limits).
    pub async fn with_options(pool: PgPool, options: HttpOptions) -> Self {
        let mut console = Self::new(pool).await;
        console.state.options = options;
        console.app = app(console.state.clone());
        console
    }

    /// Sends one request; `cookie` is the session cookie's `name=value`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        let request = match body {
            Some(body) => request
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.request(request).await
    }

    /// Sends a request built by the test (its own headers, extensions, body).
    pub async fn request(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, headers, json)
    }

    /// Signs in and returns the cookie to send back.
    pub async fn sign_in(&self, login: &str) -> String {
        self.sign_in_with(login, PASSWORD).await
    }

    /// Signs in with another password than the demo one.
    pub async fn sign_in_with(&self, login: &str, password: &str) -> String {
        let (status, headers, body) = self
            .send(
                Method::POST,
                "/api/login",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "sign-in of {login}: {body}");
        let set_cookie = headers[SET_COOKIE].to_str().unwrap();
        set_cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, cookie: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(Method::GET, path, Some(cookie), None).await;
        (status, body)
    }

    pub async fn post(&self, path: &str, cookie: &str, body: Value) -> (StatusCode, Value) {
        let (status, _, body) = self
            .send(Method::POST, path, Some(cookie), Some(body))
            .await;
        (status, body)
    }

    /// Registers an appeal as `operator1`; returns its id.
    pub async fn appeal(&self, body: Value) -> i64 {
        let operator = self.sign_in("operator1").await;
        let (status, appeal) = self.post("/api/appeals", &operator, body).await;
        assert_eq!(status, StatusCode::CREATED, "{appeal}");
        appeal["id"].as_i64().unwrap()
    }

    /// Ids of the appeals `login` is shown with `status`.
    pub async fn visible(&self, cookie: &str, status: &str) -> Vec<i64> {
        let (code, list) = self
            .get(&format!("/api/appeals?status={status}"), cookie)
            .await;
        assert_eq!(code, StatusCode::OK, "{list}");
        let mut ids: Vec<i64> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|appeal| appeal["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    }
}
