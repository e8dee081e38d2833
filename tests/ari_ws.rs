//! The ARI event socket against a fake ARI server, for the faults real Asterisk does
//! not produce on demand: the socket dropped mid-stream, malformed and unknown
//! messages. The client must keep every event in order, keep unknown ones, tell the
//! app that it reconnected (so it resyncs), and stop on shutdown.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hotline::ari::{
    AriClient, AriClientSettings, AriCredentials, AriError, AriEvent, AriMessage, AriRequest, Gone,
    SocketRole, run_events, run_request_socket,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_util::sync::CancellationToken;

const STASIS_START: &str = r#"{"type":"StasisStart","application":"hotline",
    "timestamp":"2026-11-28T19:00:00.000+0000","args":["line=122"],
    "channel":{"id":"c1","name":"PJSIP/citizen-1","state":"Ring",
      "caller":{"name":"","number":"79990000001"},"connected":{"name":"","number":""},
      "accountcode":"","dialplan":{"context":"hotline-inbound","exten":"122",
      "priority":2,"app_name":"Stasis","app_data":"hotline,line=122"},
      "creationtime":"2026-11-28T19:00:00.000+0000","language":"ru"}}"#;
const DIAL: &str = r#"{"type":"Dial","application":"hotline",
    "timestamp":"2026-11-28T19:00:03.000+0000","dialstatus":"BUSY",
    "peer":{"id":"c1-leg3","name":"PJSIP/staff01-2","state":"Down"}}"#;
const UNKNOWN: &str = r#"{"type":"ChannelTalkingStarted","application":"hotline",
    "timestamp":"2026-11-28T19:00:01.000+0000","channel":{"id":"c1"}}"#;

/// What the fake server does with each WebSocket connection, in order.
enum Script {
    /// Send these texts, then close the socket.
    SendThenClose(Vec<&'static str>),
    /// Send these texts, then keep the socket open.
    SendThenHold(Vec<&'static str>),
    /// Answer REST requests sent on the socket, as Asterisk 22.4+ does: `GET` with
    /// 200, `DELETE` with 404 (so the test can tell them from HTTP's 204s), the rest
    /// with 204; a request for `close_on` makes it close the socket unanswered.
    AnswerRest { close_on: &'static str },
    /// Answer REST requests on the socket and report each one's `METHOD uri`, in
    /// the order they came: a channel named `fail` gets a 500, one named `silent`
    /// no answer at all, `DELETE` a 404, `GET` a 200, the rest a 204.
    AnswerAndReport(mpsc::UnboundedSender<String>),
    /// Answer the first `answered` REST requests (204), take `silent` more without
    /// answering, then close the socket.
    AnswerThenSilent { answered: usize, silent: usize },
}

/// A fake ARI: answers REST calls with 204 and plays one script per WebSocket.
async fn fake_ari(listener: TcpListener, scripts: Vec<Script>) {
    fake_ari_reporting_http(listener, scripts, None).await;
}

/// The same, reporting each HTTP request's `METHOD path` in the order they came.
async fn fake_ari_reporting_http(
    listener: TcpListener,
    scripts: Vec<Script>,
    http: Option<mpsc::UnboundedSender<String>>,
) {
    let mut scripts = scripts.into_iter();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let mut first = [0u8; 4];
        if stream.peek(&mut first).await.is_err() {
            continue;
        }
        if &first != b"GET " {
            // Read here, in accept order, so the report keeps the order of arrival.
            let mut stream = stream;
            let mut buffer = vec![0u8; 4096];
            let read = stream.read(&mut buffer).await.unwrap_or(0);
            if let Some(http) = &http {
                let head = String::from_utf8_lossy(&buffer[..read]);
                let line = head.lines().next().unwrap_or_default();
                let _ = http.send(line.rsplit_once(' ').map_or(line, |(l, _)| l).to_owned());
            }
            tokio::spawn(answer_rest(stream));
            continue;
        }
        let Some(script) = scripts.next() else {
            return;
        };
        tokio::spawn(play(stream, script));
    }
}

/// Any REST request (the event filter), already read: 204 No Content.
async fn answer_rest(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await;
}

async fn play(stream: TcpStream, script: Script) {
    // The error type is tungstenite's, sized as it is.
    #[allow(clippy::result_large_err)]
    let check = |request: &Request, response: Response| {
        let auth = request
            .headers()
            .get("Authorization")
            .map(|v| v.to_str().unwrap_or(""));
        // "hotline:secret" in Basic auth; the password travels only in the header.
        assert_eq!(auth, Some("Basic aG90bGluZTpzZWNyZXQ="));
        let query = request.uri().query().unwrap_or_default();
        assert!(query.contains("app=hotline"), "{query}");
        assert!(!query.contains("secret"), "{query}");
        Ok(response)
    };
    let mut socket = tokio_tungstenite::accept_hdr_async(stream, check)
        .await
        .expect("handshake");
    let (texts, close) = match script {
        Script::SendThenClose(texts) => (texts, true),
        Script::SendThenHold(texts) => (texts, false),
        Script::AnswerRest { close_on } => return answer_on_socket(socket, close_on).await,
        Script::AnswerAndReport(report) => return answer_and_report(socket, report).await,
        Script::AnswerThenSilent { answered, silent } => {
            let mut taken = 0;
            while taken < answered + silent {
                let text = match socket.next().await {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(_)) => continue,
                    _ => return,
                };
                taken += 1;
                if taken <= answered {
                    let request: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    let (status, body) = match request["method"].as_str() {
                        Some("GET") => (200, r#"{"ping":"pong"}"#),
                        _ => (204, ""),
                    };
                    let _ = socket.send(rest_answer(&request, status, body)).await;
                }
            }
            let _ = socket.close(None).await;
            return;
        }
    };
    for text in texts {
        socket.send(Message::text(text)).await.unwrap();
    }
    if close {
        let _ = socket.close(None).await;
    } else {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

async fn answer_on_socket(
    mut socket: tokio_tungstenite::WebSocketStream<TcpStream>,
    close_on: &str,
) {
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let request: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(request["type"], "RESTRequest");
        let uri = request["uri"].as_str().unwrap();
        if uri == close_on {
            let _ = socket.close(None).await;
            return;
        }
        let (status, body) = match request["method"].as_str().unwrap() {
            "GET" => (200, r#"{"ping":"pong"}"#),
            "DELETE" => (404, r#"{"message":"Channel not found"}"#),
            _ => (204, ""),
        };
        let answer = serde_json::json!({
            "type": "RESTResponse", "transaction_id": "", "request_id": request["request_id"],
            "status_code": status, "reason_phrase": "", "uri": uri,
            "content_type": "application/json", "message_body": body,
            "application": "hotline",
        });
        socket
            .send(Message::text(answer.to_string()))
            .await
            .unwrap();
    }
}

async fn answer_and_report(
    mut socket: tokio_tungstenite::WebSocketStream<TcpStream>,
    report: mpsc::UnboundedSender<String>,
) {
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let request: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        let (method, uri) = (
            request["method"].as_str().unwrap(),
            request["uri"].as_str().unwrap(),
        );
        let _ = report.send(format!("{method} {uri}"));
        let (status, body) = if uri.contains("/silent") {
            continue;
        } else if uri.contains("/fail") {
            (500, r#"{"message":"Internal Server Error"}"#)
        } else {
            match method {
                "GET" => (200, r#"{"ping":"pong"}"#),
                "DELETE" => (404, r#"{"message":"Channel not found"}"#),
                _ => (204, ""),
            }
        };
        if socket
            .send(rest_answer(&request, status, body))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The `RESTResponse` frame answering `request`, with only the fields the client reads.
fn rest_answer(request: &serde_json::Value, status: u16, body: &str) -> Message {
    let answer = serde_json::json!({
        "type": "RESTResponse", "request_id": request["request_id"],
        "status_code": status, "message_body": body,
    });
    Message::text(answer.to_string())
}

/// A client of the fake ARI on `port`, as user `hotline` with password `secret`.
fn client(port: u16, request_timeout: Duration, rest_over_websocket: bool) -> AriClient {
    client_with_request_sockets(port, request_timeout, rest_over_websocket, 0)
}

/// The same, with request-only sockets.
fn client_with_request_sockets(
    port: u16,
    request_timeout: Duration,
    rest_over_websocket: bool,
    request_sockets: usize,
) -> AriClient {
    AriClient::new(AriClientSettings {
        base_url: format!("http://127.0.0.1:{port}").parse().unwrap(),
        credentials: AriCredentials {
            user: "hotline".into(),
            password: "secret".into(),
        },
        app: "hotline".into(),
        request_timeout,
        max_in_flight: 4,
        rest_over_websocket,
        request_sockets,
    })
    .unwrap()
}

/// Cancels the socket task and checks that it stops soon.
async fn stop(shutdown: CancellationToken, task: tokio::task::JoinHandle<()>) {
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the socket task stops on shutdown")
        .unwrap();
}

/// Starts the event socket of `client` and waits for its first connection.
async fn connected(
    client: &AriClient,
) -> (
    mpsc::UnboundedReceiver<AriMessage>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_events(client.clone(), tx, shutdown.clone()));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Connected { reconnected: false }
    ));
    (rx, shutdown, task)
}

/// Waits until a socket of `client` takes call `c1`'s requests (once it has
/// answered its first one, the ping); its first is `POST channels/probe/ring`.
async fn wait_until_a_socket_takes_requests(client: &AriClient) {
    for _ in 0..50 {
        if client
            .submit("c1", AriRequest::ring("probe"), |_| {})
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no socket ever took requests");
}

async fn next(rx: &mut mpsc::UnboundedReceiver<AriMessage>) -> AriMessage {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a message in time")
        .expect("the stream goes on")
}

#[tokio::test]
async fn events_arrive_in_order_unknown_ones_are_kept_and_a_reconnect_is_announced() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(fake_ari(
        listener,
        vec![
            Script::SendThenClose(vec![STASIS_START, UNKNOWN, "not json at all"]),
            Script::SendThenHold(vec![DIAL]),
        ],
    ));
    let client = client(port, Duration::from_secs(2), false);
    assert!(
        !format!("{client:?}").contains("secret"),
        "the password leaked into Debug"
    );

    let (tx, mut rx) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_events(client, tx, shutdown.clone()));

    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Connected { reconnected: false }
    ));
    match next(&mut rx).await {
        AriMessage::Event(AriEvent::StasisStart { args, channel, .. }) => {
            assert_eq!(args, ["line=122"]);
            assert_eq!(channel.caller.number, "79990000001");
        }
        other => panic!("expected StasisStart, got {other:?}"),
    }
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Event(AriEvent::Unknown { kind, .. }) if kind == "ChannelTalkingStarted"
    ));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Event(AriEvent::Unknown { kind, .. }) if kind.is_empty()
    ));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Disconnected { .. }
    ));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Connected { reconnected: true }
    ));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Event(AriEvent::Dial { dialstatus, .. }) if dialstatus == "BUSY"
    ));

    stop(shutdown, task).await;
}

#[tokio::test]
async fn while_ari_is_unreachable_the_client_keeps_retrying_and_stops_on_shutdown() {
    // Bind and drop: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(port, Duration::from_secs(1), false);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_events(client, tx, shutdown.clone()));
    for _ in 0..3 {
        assert!(matches!(
            next(&mut rx).await,
            AriMessage::Disconnected { .. }
        ));
    }
    stop(shutdown, task).await;
}

#[tokio::test]
async fn rest_requests_travel_on_the_event_socket_and_fall_back_to_http_without_it() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(fake_ari(
        listener,
        vec![
            Script::AnswerRest {
                close_on: "channels/c9/answer",
            },
            // Like an Asterisk older than 22.4: REST frames on the socket go unanswered.
            Script::SendThenHold(vec![]),
        ],
    ));
    let request_timeout = Duration::from_secs(5);
    let client = client(port, request_timeout, true);
    let (mut rx, shutdown, task) = connected(&client).await;

    // HTTP answers a hang-up with 204 (removed), the socket with 404 (already gone):
    // once the socket has answered its first request, requests go there.
    let mut on_socket = false;
    for _ in 0..50 {
        if client.hangup("c1", "normal").await.unwrap() == Gone::AlreadyGone {
            on_socket = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(on_socket, "requests never moved to the event socket");
    assert_eq!(
        client.hangup("c2", "normal").await.unwrap(),
        Gone::AlreadyGone
    );
    client.answer("c1").await.expect("204 on the socket");

    // The socket closes with a request in flight: the request fails at once, not
    // after its timeout.
    let started = std::time::Instant::now();
    let error = client.answer("c9").await.unwrap_err();
    assert!(matches!(error, AriError::Socket { .. }), "{error}");
    assert!(
        started.elapsed() < request_timeout / 2,
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Disconnected { .. }
    ));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Connected { reconnected: true }
    ));

    // The new socket does not answer its first request: HTTP carries everything,
    // before and after that test gives up.
    assert_eq!(client.hangup("c3", "normal").await.unwrap(), Gone::Removed);
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert_eq!(client.hangup("c4", "normal").await.unwrap(), Gone::Removed);
    client.answer("c5").await.expect("204 over HTTP");

    stop(shutdown, task).await;
}

#[tokio::test]
async fn pipelined_requests_go_out_in_order_and_only_failures_come_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (report, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(fake_ari(listener, vec![Script::AnswerAndReport(report)]));
    let client = client(port, Duration::from_secs(1), true);
    // Without a socket, the request comes back to be sent over HTTP.
    assert!(
        client
            .submit("c1", AriRequest::answer("c0"), |_| {})
            .is_err()
    );

    let (_events, shutdown, task) = connected(&client).await;
    // Once the socket has answered its first request (the ping), it takes them.
    wait_until_a_socket_takes_requests(&client).await;

    let (failed, mut failures) = mpsc::unbounded_channel::<(&str, AriError)>();
    let report_as = |name: &'static str| {
        let failed = failed.clone();
        move |error| {
            let _ = failed.send((name, error));
        }
    };
    let sent = [
        (AriRequest::answer("c1"), "answer"),
        // A removal's 404 is "already gone": no failure.
        (AriRequest::hangup("c1", "normal"), "hangup"),
        (AriRequest::ring("fail"), "ring"),
        (AriRequest::answer("silent"), "silent"),
        (AriRequest::create_bridge("b1", false), "bridge"),
    ];
    for (request, name) in sent {
        assert!(client.submit("c1", request, report_as(name)).is_ok());
    }
    let mut uris = Vec::new();
    while uris.len() < 6 {
        let uri = tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .expect("the requests reach the server")
            .unwrap();
        uris.push(uri);
    }
    assert_eq!(
        uris,
        [
            "GET asterisk/ping",
            "POST channels/probe/ring",
            "POST channels/c1/answer",
            "DELETE channels/c1?reason=normal",
            "POST channels/fail/ring",
            "POST channels/silent/answer",
        ]
    );
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .unwrap()
            .unwrap(),
        "POST bridges/b1?type=mixing"
    );

    // The refusal comes back at once; the unanswered one after the request timeout.
    let (name, error) = tokio::time::timeout(Duration::from_secs(1), failures.recv())
        .await
        .expect("the 500 is reported")
        .unwrap();
    assert_eq!(name, "ring");
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    let (name, error) = tokio::time::timeout(Duration::from_secs(4), failures.recv())
        .await
        .expect("the unanswered request is reported")
        .unwrap();
    assert_eq!(name, "silent");
    assert!(
        matches!(error, AriError::Socket { reason, .. } if reason == "no answer in time"),
        "{error}"
    );

    // Requests handed over just before shutdown still go out before the socket
    // closes.
    assert!(
        client
            .submit("c1", AriRequest::hangup("c2", "normal"), report_as("late"))
            .is_ok()
    );
    stop(shutdown, task).await;
    assert_eq!(
        seen.try_recv().as_deref(),
        Ok("DELETE channels/c2?reason=normal")
    );
    drop(failed);
    assert!(
        failures.recv().await.is_none(),
        "only the two failures were reported"
    );
}

#[tokio::test]
async fn a_request_only_socket_carries_the_calls_requests_under_an_app_of_its_own() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (report, mut seen) = mpsc::unbounded_channel();
    tokio::spawn(fake_ari(listener, vec![Script::AnswerAndReport(report)]));
    let client = client_with_request_sockets(port, Duration::from_secs(1), true, 1);
    assert_eq!(client.request_sockets(), 1);
    assert_eq!(
        client.socket_app(SocketRole::Requests(0)),
        "hotline-requests-0"
    );
    assert!(
        client
            .socket_url(&client.socket_app(SocketRole::Requests(0)))
            .as_str()
            .ends_with("/ari/events?app=hotline-requests-0&subscribeAll=false")
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_request_socket(client.clone(), 0, shutdown.clone()));
    wait_until_a_socket_takes_requests(&client).await;

    // A call's request goes there, and its failure comes back from there.
    let (failed, mut failures) = mpsc::unbounded_channel();
    let sent = client.submit("c1", AriRequest::ring("fail"), move |error| {
        let _ = failed.send(error);
    });
    assert!(sent.is_ok());
    let error = tokio::time::timeout(Duration::from_secs(2), failures.recv())
        .await
        .expect("the 500 is reported")
        .unwrap();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    );
    // Requests of no call take the event socket, which is not running here: HTTP
    // answers them (204: removed; the socket would have said 404).
    assert_eq!(client.hangup("c9", "normal").await.unwrap(), Gone::Removed);

    stop(shutdown, task).await;
    let uris: Vec<String> = std::iter::from_fn(|| seen.try_recv().ok()).collect();
    assert_eq!(
        uris,
        [
            "GET asterisk/ping",
            "POST channels/probe/ring",
            "POST channels/fail/ring"
        ]
    );
    // Stopped: the call's requests come back for HTTP.
    assert!(client.submit("c1", AriRequest::ring("c1"), |_| {}).is_err());
}

/// A cut of the socket with an `addChannel` in flight: Asterisk may or may not have
/// carried it out, and adding a channel to its bridge again is answered 204
/// (`tests/ari_repeat_e2e.rs`), so it is sent again over HTTP and the call goes on,
/// whether the call awaited it (`run`) or not (`submit`). A request that is not
/// repeatable still fails (the test above, `answer c9`).
#[tokio::test]
async fn a_repeatable_request_whose_socket_closes_is_sent_again_over_http() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(fake_ari(
        listener,
        vec![
            Script::AnswerRest {
                close_on: "bridges/b1/addChannel?channel=c1",
            },
            Script::AnswerRest {
                close_on: "bridges/b2/addChannel?channel=c2",
            },
            Script::SendThenHold(vec![]),
        ],
    ));
    let client = client(port, Duration::from_secs(5), true);
    let (mut rx, shutdown, task) = connected(&client).await;
    let mut on_socket = false;
    for _ in 0..50 {
        if client.hangup("c0", "normal").await.unwrap() == Gone::AlreadyGone {
            on_socket = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(on_socket, "requests never moved to the event socket");

    // Awaited: the answer comes over HTTP (the fake's 204) instead of an error.
    client
        .run(AriRequest::add_to_bridge("b1", &["c1"]))
        .await
        .expect("sent again over HTTP");
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Disconnected { .. }
    ));
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Connected { reconnected: true }
    ));

    // Not awaited: no error reaches the call.
    wait_until_a_socket_takes_requests(&client).await;
    let (errors, mut failed) = mpsc::unbounded_channel();
    client
        .submit(
            "c1",
            AriRequest::add_to_bridge("b2", &["c2"]),
            move |error| {
                let _ = errors.send(error.to_string());
            },
        )
        .expect("a socket takes it");
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Disconnected { .. }
    ));
    let reported = tokio::time::timeout(Duration::from_secs(2), failed.recv()).await;
    assert!(
        matches!(reported, Err(_) | Ok(None)),
        "the call was told it failed: {reported:?}"
    );

    stop(shutdown, task).await;
}

/// A call's bridge is created and its channels added in two requests; a cut loses
/// both answers. Sent again over HTTP, they reach Asterisk in their first order (the
/// add before the create would find no bridge), and the call hears of no failure.
#[tokio::test]
async fn requests_lost_together_are_sent_again_in_their_order() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (http, mut http_seen) = mpsc::unbounded_channel();
    tokio::spawn(fake_ari_reporting_http(
        listener,
        vec![
            // The ping and the probe of `wait_until_a_socket_takes_requests`
            // answered; the call's three requests taken and never answered.
            Script::AnswerThenSilent {
                answered: 2,
                silent: 3,
            },
            Script::SendThenHold(vec![]),
        ],
        Some(http),
    ));
    let client = client(port, Duration::from_secs(5), true);
    let (mut rx, shutdown, task) = connected(&client).await;
    wait_until_a_socket_takes_requests(&client).await;

    let (errors, mut failed) = mpsc::unbounded_channel();
    for request in [
        AriRequest::create_bridge("b7", false),
        AriRequest::add_to_bridge("b7", &["c7", "c8"]),
        AriRequest::set_variable("c7", "X", "1"),
    ] {
        let errors = errors.clone();
        client
            .submit("c1", request, move |error| {
                let _ = errors.send(error.to_string());
            })
            .expect("the socket takes it");
    }
    assert!(matches!(
        next(&mut rx).await,
        AriMessage::Disconnected { .. }
    ));
    let mut resent = Vec::new();
    while resent.len() < 3 {
        let line = tokio::time::timeout(Duration::from_secs(5), http_seen.recv())
            .await
            .expect("the three requests sent again over HTTP")
            .unwrap();
        if line.contains("b7") || line.contains("c7") {
            resent.push(line);
        }
    }
    assert_eq!(
        resent,
        [
            "POST /ari/bridges/b7?type=mixing",
            "POST /ari/bridges/b7/addChannel?channel=c7%2Cc8",
            "POST /ari/channels/c7/variable?variable=X&value=1",
        ]
    );
    let reported = tokio::time::timeout(Duration::from_millis(500), failed.recv()).await;
    assert!(
        matches!(reported, Err(_) | Ok(None)),
        "the call was told it failed: {reported:?}"
    );
    drop(errors);
    stop(shutdown, task).await;
}
