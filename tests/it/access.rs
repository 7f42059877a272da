//! Who a token or a console session stands for is answered from each server's memory, and a
//! change of access reaches every running server at once: two servers on one database, a
//! revocation made by neither, and both refuse within 100 ms.

use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

use crate::console::Browser;
use crate::support::*;
use normledger::domain::Role;
use normledger::store::{accounts, tokens};

/// The promise: a change of access is honoured by every server within this.
const PROPAGATION: Duration = Duration::from_millis(100);

const AUTHENTICATED: &str = "{ documents(first: 1) { edges { cursor } } }";

/// Two servers on one fresh database, each listening for access changes.
async fn two_servers() -> (TestApp, TestApp) {
    let url = fresh_database().await;
    let a = TestApp::spawn_on(&url).await;
    let b = TestApp::spawn_on(&url).await;
    for app in [&a, &b] {
        listening(app).await;
    }
    (a, b)
}

async fn listening(app: &TestApp) {
    let started = Instant::now();
    while !app.ledger().access().is_listening() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never listened"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn accepted(app: &TestApp, token: &str) -> bool {
    let body = app.gql_as(Some(token), AUTHENTICATED, json!({})).await;
    match body.get("errors") {
        None => true,
        Some(_) => {
            assert_eq!(error_code(&body).0, "UNAUTHENTICATED", "{body:#}");
            false
        }
    }
}

/// Polls `refused` on every server until all refuse; returns how long that took.
async fn until_all_refuse(
    servers: &[&TestApp],
    refused: impl AsyncFn(&TestApp) -> bool,
) -> Duration {
    let started = Instant::now();
    let mut pending: Vec<&TestApp> = servers.to_vec();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for app in pending {
            if !refused(app).await {
                still.push(app);
            }
        }
        pending = still;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a server still accepts after 5 s"
        );
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    started.elapsed()
}

/// Statements that read `api_tokens` in this database since the counters were reset.
async fn token_lookups(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s
         WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND s.query ILIKE '%FROM api_tokens%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_by_every_running_server_within_100_ms() {
    let (a, b) = two_servers().await;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&a.pool)
        .await
        .unwrap();
    let (id, secret) = tokens::create(&a.pool, "clerk", Role::Auditor, &[], None)
        .await
        .unwrap();
    // Both servers now hold the answer, and give it without asking the database (another
    // test's reset can only lower the count, never raise it).
    assert!(accepted(&a, &secret).await && accepted(&b, &secret).await);
    sqlx::query("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)")
        .execute(&a.pool)
        .await
        .unwrap();
    for _ in 0..5 {
        assert!(accepted(&a, &secret).await && accepted(&b, &secret).await);
    }
    assert_eq!(token_lookups(&a).await, 0, "answered from memory");

    // Revoked by neither server (the CLI's path): both hear it from the database.
    let revoked_at = Instant::now();
    assert!(tokens::revoke(&a.pool, id).await.unwrap());
    let took = revoked_at.elapsed()
        + until_all_refuse(&[&a, &b], async |app| !accepted(app, &secret).await).await;
    assert!(took < PROPAGATION, "refused by both after {took:?}");

    // Other tokens are unaffected, and are looked up again once.
    assert!(accepted(&b, a.token(Role::Auditor)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_drops_what_it_knew_and_a_revocation_still_arrives() {
    let (a, b) = two_servers().await;
    let (id, secret) = tokens::create(&a.pool, "clerk", Role::Auditor, &[], None)
        .await
        .unwrap();
    assert!(accepted(&a, &secret).await && accepted(&b, &secret).await);
    // Every listening connection of this database is cut: a notification sent now would be
    // lost, so the servers must stop answering from memory until they listen again.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%normledger_access%'",
    )
    .execute(&a.pool)
    .await
    .unwrap();
    let revoked_at = Instant::now();
    assert!(tokens::revoke(&a.pool, id).await.unwrap());
    let took = revoked_at.elapsed()
        + until_all_refuse(&[&a, &b], async |app| !accepted(app, &secret).await).await;
    assert!(took < PROPAGATION, "refused by both after {took:?}");
    // And they listen again.
    listening(&a).await;
    listening(&b).await;
    assert!(accepted(&a, a.token(Role::Auditor)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_is_signed_out_of_every_server_within_100_ms() {
    let (a, b) = two_servers().await;
    let account_id = account(&a, "clerk", Role::Auditor, &[]).await;
    let mut browser = Browser::new(&a);
    assert_eq!(
        browser.sign_in("clerk", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let cookie = browser.cookie_header();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = async |app: &TestApp| {
        let request = client
            .get(app.url("/console/work"))
            .header("cookie", cookie.clone());
        request.send().await.unwrap().status() == StatusCode::OK
    };
    // The same session works on both servers (behind a load balancer).
    assert!(signed_in(&a).await && signed_in(&b).await);
    assert!(signed_in(&a).await && signed_in(&b).await);

    let disabled_at = Instant::now();
    accounts::disable(&a.pool, account_id, "test")
        .await
        .unwrap();
    let took = disabled_at.elapsed()
        + until_all_refuse(&[&a, &b], async |app| !signed_in(app).await).await;
    assert!(took < PROPAGATION, "signed out of both after {took:?}");
}
