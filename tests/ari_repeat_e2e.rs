//! What the sandbox Asterisk 22 answers when a request is sent twice: the ground for
//! [`AriRequest`]'s `repeatable` requests, which are sent again over HTTP when the
//! socket they went on closes before their answer (a cut WebSocket; the fault run's
//! `ws-cut`). If an Asterisk upgrade changes these answers, this test says so before
//! a call is lost to it.
//!
//! Needs `scripts/sandbox start` (see `tests/e2e/mod.rs`).

mod common;
mod e2e;

use std::time::Duration;

use hotline::ari::{
    AriClient, AriClientSettings, AriCredentials, AriEvent, AriMessage, AriRequest, Gone,
    run_events,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use e2e::{SandboxLock, assert_asterisk_idle, enabled};

const APP: &str = "hotline-repeat-probe";

#[test]
fn adding_a_channel_twice_and_removing_twice_are_harmless() {
    if !enabled() {
        return;
    }
    let _lock = SandboxLock::acquire();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = AriClient::new(AriClientSettings {
            base_url: "http://127.0.0.1:8088".parse().unwrap(),
            credentials: AriCredentials {
                user: "hotline".into(),
                password: "hotline".into(),
            },
            app: APP.into(),
            request_timeout: Duration::from_secs(5),
            max_in_flight: 4,
            rest_over_websocket: false,
            request_sockets: 0,
        })
        .unwrap();
        // The app must be registered for channels to enter it.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let events = tokio::spawn(run_events(client.clone(), tx, shutdown.clone()));
        let connected = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await;
        assert!(
            matches!(connected, Ok(Some(AriMessage::Connected { .. }))),
            "{connected:?}"
        );

        // What a run that failed half-way left behind (its own ids, `repeat-*`).
        let leftovers = tokio::task::spawn_blocking(|| {
            let ids = |path: &str| -> Vec<String> {
                e2e::ari_get(path)
                    .and_then(|list| list.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| item["id"].as_str().map(str::to_owned))
                    .filter(|id| id.starts_with("repeat-"))
                    .collect()
            };
            (ids("channels"), ids("bridges"))
        })
        .await
        .unwrap();
        for channel in leftovers.0 {
            let _ = client.hangup(&channel, "normal").await;
        }
        for bridge in leftovers.1 {
            let _ = client.destroy_bridge(&bridge).await;
        }

        // A channel in the app (created, not dialled: like a call's leg) and a bridge,
        // named after this process (a run that failed half-way leaves nothing in the way).
        let channel = format!("repeat-{}-c1", std::process::id());
        let bridge = format!("repeat-{}-b1", std::process::id());
        client
            .run(AriRequest::create_channel(
                APP,
                &channel,
                "Local/122@hotline-inbound",
                None,
                &[],
            ))
            .await
            .expect("channel created");
        // Asterisk answers `channels/create` before the channel is in the app (it
        // enters Stasis on a thread of its own): wait for its StasisStart, as the
        // service does before dialling a leg, or addChannel may find it not there yet.
        let entered = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(message) = rx.recv().await {
                if let AriMessage::Event(AriEvent::StasisStart {
                    channel: started, ..
                }) = message
                    && started.id == channel
                {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(entered, Ok(true), "{channel} never entered the app");
        client
            .create_bridge(&bridge, false)
            .await
            .expect("bridge created");

        // addChannel, twice: 204 both times.
        let add = AriRequest::add_to_bridge(&bridge, &[&channel]);
        client.run(add.clone()).await.expect("first addChannel");
        client
            .run(add)
            .await
            .expect("the same addChannel again: 204");
        let probe_bridge = bridge.clone();
        let listed =
            tokio::task::spawn_blocking(move || e2e::ari_get(&format!("bridges/{probe_bridge}")))
                .await
                .unwrap()
                .expect("the bridge");
        assert_eq!(listed["channels"], serde_json::json!([&channel]));

        // Removals, twice: never an error. The second is "already gone" (404), or
        // 204 again while Asterisk is still tearing the channel down (a hang-up is
        // carried out asynchronously: seen in a CI run).
        assert_eq!(
            client.hangup(&channel, "normal").await.unwrap(),
            Gone::Removed
        );
        let again = client.hangup(&channel, "normal").await;
        assert!(
            matches!(again, Ok(Gone::AlreadyGone | Gone::Removed)),
            "{again:?}"
        );
        assert_eq!(client.destroy_bridge(&bridge).await.unwrap(), Gone::Removed);
        let again = client.destroy_bridge(&bridge).await;
        assert!(
            matches!(again, Ok(Gone::AlreadyGone | Gone::Removed)),
            "{again:?}"
        );

        shutdown.cancel();
        let _ = events.await;
    });
    assert_asterisk_idle();
}
