//! The live feed over graphql-ws: a client replays from a position, follows live events,
//! disconnects mid-stream, resumes from the last position it saw, and ends up with every
//! event exactly once, in order.

use futures::{SinkExt, StreamExt};
use normledger::domain::Role;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws upgrade request to the app.
fn ws_request(app: &TestApp) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    req
}

async fn connect(app: &TestApp, token: &str) -> Socket {
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_request(app))
        .await
        .unwrap();
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.unwrap();
    ws
}

async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ping" && v["type"] != "pong" {
                return v;
            }
        }
    }
}

async fn subscribe(ws: &mut Socket, after: i64) {
    assert_eq!(next_json(ws).await["type"], "connection_ack");
    let sub = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($after: Int) { events(afterPosition: $after) { position eventType aggregateId } }",
        "variables": {"after": after}}});
    ws.send(Message::text(sub.to_string())).await.unwrap();
}

async fn next_position(ws: &mut Socket) -> i64 {
    let v = next_json(ws).await;
    assert_eq!(v["type"], "next", "{v:#}");
    v["payload"]["data"]["events"]["position"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_replays_follows_disconnects_and_resumes_without_gap_or_duplicate() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let token = app.token(Role::Auditor).to_owned();
    let mut ws = connect(&app, &token).await;
    subscribe(&mut ws, 0).await;
    let mut seen = vec![next_position(&mut ws).await, next_position(&mut ws).await];

    // Live: three new events arrive on the open subscription.
    for i in 0..3 {
        draft(&app, &format!("直播{i}"), false).await;
    }
    for _ in 0..3 {
        seen.push(next_position(&mut ws).await);
    }
    // Disconnect mid-stream while more events are written, then resume.
    let writer = {
        let addr = app.addr;
        let t = app.token(Role::Drafter).to_owned();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..5 {
                client
                    .post(format!("http://{addr}/graphql"))
                    .bearer_auth(&t)
                    .json(&json!({"query": DRAFT, "variables": {"input": {"bodyCode": "NCX-GOV", "title": format!("断线{i}"), "class": "GOVERNMENT", "isMajorDecision": false}}}))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    seen.push(next_position(&mut ws).await);
    drop(ws);
    writer.await.unwrap();
    let mut ws = connect(&app, &token).await;
    subscribe(&mut ws, *seen.last().unwrap()).await;
    let total = app.event_count().await as usize;
    while seen.len() < total {
        seen.push(next_position(&mut ws).await);
    }
    let all: Vec<i64> =
        sqlx::query_scalar("SELECT position FROM events ORDER BY transaction_id, position")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(seen, all, "every event exactly once, in commit order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_without_a_valid_token_is_refused() {
    let app = TestApp::spawn().await;
    let mut ws = connect(&app, "nl_nope").await;
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
        .await
        .unwrap();
    match answer {
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {}
        Some(Ok(Message::Text(t))) => assert_ne!(
            serde_json::from_str::<Value>(&t).unwrap()["type"],
            "connection_ack"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_holds_at_most_the_configured_number_of_websockets() {
    let mut settings = quiet_settings();
    settings.http.max_websockets_per_client = 2;
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    let token = app.token(Role::Auditor).to_owned();
    let mut first = connect(&app, &token).await;
    let second = connect(&app, &token).await;
    assert_eq!(next_json(&mut first).await["type"], "connection_ack");
    match tokio_tungstenite::connect_async(ws_request(&app)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
        other => panic!("a third socket was accepted: {:?}", other.map(|_| ())),
    }
    // Closing one frees its place.
    drop(second);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if tokio_tungstenite::connect_async(ws_request(&app))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place was never freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits for the server to close the socket; returns the close code.
async fn closed_with(ws: &mut Socket) -> u16 {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("the server closes the socket within 5 s");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                panic!("closed without a code")
            }
            Some(Ok(_)) => {}
        }
    }
}

/// Proves that a subscription does not outlive its token: revoked, or expired while the
/// socket is open, the token's socket is closed with code 4403 and a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_is_closed_when_its_token_is_revoked_or_expires() {
    let mut settings = quiet_settings();
    settings.http.token_recheck = std::time::Duration::from_millis(200);
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    let (id, revoked) =
        normledger::store::tokens::create(&app.pool, "to be revoked", Role::Auditor, &[], None)
            .await
            .unwrap();
    let (_, expiring) = normledger::store::tokens::create(
        &app.pool,
        "expiring",
        Role::Auditor,
        &[],
        Some(chrono::Utc::now() + chrono::Duration::seconds(2)),
    )
    .await
    .unwrap();
    let mut a = connect(&app, &revoked).await;
    subscribe(&mut a, 0).await;
    let mut b = connect(&app, &expiring).await;
    subscribe(&mut b, 0).await;
    assert!(next_position(&mut a).await > 0, "the feed runs");
    assert!(next_position(&mut b).await > 0, "the feed runs");
    normledger::store::tokens::revoke(&app.pool, id)
        .await
        .unwrap();
    assert_eq!(closed_with(&mut a).await, 4403);
    assert_eq!(closed_with(&mut b).await, 4403);
    // A socket whose token stays valid stays open.
    let mut c = connect(&app, app.token(Role::Auditor)).await;
    subscribe(&mut c, 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(next_position(&mut c).await > 0);
}
