//! The console of a standby instance: what only the active instance knows (its
//! queue, its calls' transfers, live events, the wallboard) is passed on to the
//! active instance's console, whose address it published in Postgres; the rest is
//! served from Postgres by the standby itself. Two consoles on one database here:
//! the active one on a real socket, the standby through `oneshot`.
//!
//! Needs `DATABASE_URL` (see `scripts/test`).

mod common;
#[path = "support/console.rs"]
mod console;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::json;
use sqlx::PgPool;
use tower::ServiceExt as _;

use console::{Console, WORKING_HOURS};
use hotline::http::standby::ActiveConsole;
use hotline::http::{HttpServer, app};

const APP: &str = "hotline-console-test";

#[sqlx::test(migrations = "./migrations")]
async fn a_standby_console_passes_the_queue_and_the_calls_on_to_the_active_instance(pool: PgPool) {
    let active = Console::new(pool.clone()).await;
    let server = HttpServer::bind(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        active.state.clone(),
    )
    .await
    .unwrap();
    let address = server.local_addr().unwrap();
    let server_task = server.start().await.unwrap();

    let mut standby = Console::reopen(pool.clone(), WORKING_HOURS).await;
    standby.state.active_console = ActiveConsole::standby(APP);
    standby.app = app(standby.state.clone());
    let operator = standby.sign_in("operator1").await;

    // Before any instance took the role: nobody to ask.
    let (status, body) = standby.get("/api/queue", &operator).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "no_active_instance");
    // In the API's error format, with the Russian half the console shows.
    assert_eq!(
        body["message_ru"],
        "сейчас ни один экземпляр не обслуживает звонки"
    );
    // What Postgres holds is served by the standby itself all the same.
    let (status, _) = standby.get("/api/directory", &operator).await;
    assert_eq!(status, StatusCode::OK);

    active
        .state
        .active_console
        .set_active(&pool, &format!("http://{address}"))
        .await
        .unwrap();
    // operator1 says "ready" on the active instance's console: the standby's console
    // shows that queue, with the session the standby signed in (sessions are shared).
    let on_active = active.sign_in("operator1").await;
    let (status, _) = active
        .post("/api/desk", &on_active, json!({"state": "ready"}))
        .await;
    assert!(status.is_success());
    let (status, through_standby) = standby.get("/api/queue", &operator).await;
    assert_eq!(status, StatusCode::OK, "{through_standby}");
    let (_, direct) = active.get("/api/queue", &on_active).await;
    assert_eq!(through_standby, direct);
    assert!(
        through_standby["specialists"]
            .as_array()
            .is_some_and(|all| all.iter().any(|s| s["state"] == "ready")),
        "{through_standby}"
    );

    // An action on a call goes to the active instance, which answers as it would
    // answer its own console (here: no such call in progress there).
    let transfer = json!({"topic": "health"});
    let (status, body) = standby
        .post(
            "/api/calls/1796000000.7/transfer",
            &operator,
            transfer.clone(),
        )
        .await;
    let (direct_status, direct_body) = active
        .post("/api/calls/1796000000.7/transfer", &on_active, transfer)
        .await;
    assert_eq!((status, &body), (direct_status, &direct_body));
    assert_ne!(
        status,
        StatusCode::FORBIDDEN,
        "the origin passed on was refused: {body}"
    );
    // A body over the API's limit is refused here, not cut and passed on.
    let huge = json!({"topic": "x".repeat(100 * 1024)});
    let (status, _) = standby
        .post("/api/calls/1796000000.7/transfer", &operator, huge)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // The live events stream through, as they come.
    let request = Request::builder()
        .method(Method::GET)
        .uri("/api/events")
        .header(COOKIE, &operator)
        .body(Body::empty())
        .unwrap();
    let response = standby.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
    let mut body = response.into_body();
    let first = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .expect("a first event in time")
        .expect("a frame")
        .expect("no error");
    let text = String::from_utf8_lossy(first.data_ref().expect("data")).into_owned();
    assert!(
        text.contains("event:") || text.contains("data:") || text.starts_with(':'),
        "{text}"
    );
    drop(body);

    // The active instance gone: the standby says so instead of hanging.
    active.state.shutdown.cancel();
    server_task.await.unwrap();
    let (status, body) = standby.get("/api/queue", &operator).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"], "active_unreachable");

    // Once it takes the role itself, it serves its own queue.
    standby
        .state
        .active_console
        .set_active(&pool, "http://127.0.0.1:1")
        .await
        .unwrap();
    let (status, _) = standby.get("/api/queue", &operator).await;
    assert_eq!(status, StatusCode::OK);
}
