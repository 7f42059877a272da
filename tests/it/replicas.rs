//! Reads on a real streaming replica (`pg_basebackup -R` of a private primary): writes go to
//! the primary and queries to the replica; a read that follows a write sees it (waiting for
//! the replica, or answered by the primary past the bound); a write made through another
//! server is seen when the reader names its position; a stopped replica's reads fall back to
//! the primary with nothing lost, and return to it when it is back.

use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::support::*;
use normledger::app::Settings;
use normledger::domain::Role;
use normledger::store::cluster::PrivateCluster;

const READ: &str = "query($id: ID!) { document(id: $id) { id title } }";

/// A private primary with the ledger's schema, and a started replica of it.
async fn primary_and_replica() -> (PrivateCluster, PrivateCluster, String) {
    let root = temp_dir("normledger-primary");
    spawn_watchdog(&root);
    let primary = PrivateCluster::new(&root, free_port()).await.unwrap();
    primary.start().await.unwrap();
    primary.ensure_database("normledger").await.unwrap();
    // The schema and the server's role exist before the copy is taken.
    let url = primary.url("normledger");
    let pool = normledger::store::connect(&url, 2).await.unwrap();
    normledger::store::migrate(&pool).await.unwrap();
    normledger::projection::ensure_shape(&pool).await.unwrap();
    normledger::store::connect_as_app(&pool)
        .await
        .unwrap()
        .close()
        .await;
    pool.close().await;
    let root = temp_dir("normledger-replica");
    spawn_watchdog(&root);
    let replica = PrivateCluster::replica_of(&primary, &root, free_port())
        .await
        .unwrap();
    replica.start().await.unwrap();
    (primary, replica, url)
}

fn settings() -> Settings {
    let mut s = quiet_settings();
    // A paused replica is waited for this long before the primary answers.
    s.replica_wait = Duration::from_millis(300);
    s
}

/// The replica's owner connection (to pause and resume its replay).
async fn on_replica(replica: &PrivateCluster, sql: &str) {
    let pool = normledger::store::connect(&replica.url("normledger"), 1)
        .await
        .unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

/// Drafts as the drafter through `app`; returns (id, the write's WAL position).
async fn draft_at(app: &TestApp, title: &str) -> (String, u64) {
    let body = app
        .gql(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": title, "class": "GOVERNMENT",
                   "isMajorDecision": false, "draftedOn": "2019-06-01"}}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let id = body["data"]["draftDocument"]["document"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lsn = body["extensions"]["writes"][0]["lsn"]
        .as_u64()
        .expect("with replicas, a write names its WAL position");
    (id, lsn)
}

/// Whether `app` finds document `id` for the auditor, optionally naming a write to see.
async fn finds(app: &TestApp, id: &str, read_after: Option<u64>) -> bool {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(app.token(Role::Auditor))
        .json(&json!({"query": READ, "variables": {"id": id}}));
    if let Some(lsn) = read_after {
        request = request.header("Normledger-Read-After", lsn.to_string());
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body:#}");
    !body["data"]["document"].is_null()
}

fn served(app: &TestApp) -> u64 {
    app.ledger().reads().status()[0].served
}

fn answering(app: &TestApp) -> bool {
    app.ledger().reads().status()[0].answering
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_read_a_streaming_replica_and_still_see_their_writes() {
    let (primary, replica, url) = primary_and_replica().await;
    let replica_url = vec![replica.url("normledger")];
    let reader = TestApp::spawn_with_replicas(&url, settings(), &replica_url).await;
    let writer = TestApp::spawn_with_replicas(&url, settings(), &replica_url).await;
    list_bodies(&reader).await;

    // Read-your-writes: drafted through the reader, found at once, and read on the replica.
    let before = served(&reader);
    let (first, _) = draft_at(&reader, "第一份草稿").await;
    assert!(finds(&reader, &first, None).await);
    assert!(served(&reader) > before, "the read went to the replica");

    // The replica stops replaying. A write through the other server is not among this
    // server's own, so a plain read is answered by the replica as it stands: proof that
    // reads are served there, and of what a reader that names nothing may miss.
    on_replica(&replica, "SELECT pg_wal_replay_pause()").await;
    let (second, second_lsn) = draft_at(&writer, "第二份草稿").await;
    assert!(!finds(&reader, &second, None).await);
    // Naming the write's position: the replica is waited for, then the primary answers.
    let asked = Instant::now();
    assert!(finds(&reader, &second, Some(second_lsn)).await);
    assert!(asked.elapsed() >= Duration::from_millis(300));
    // A write through the reader itself: seen without naming anything.
    let (third, _) = draft_at(&reader, "第三份草稿").await;
    assert!(finds(&reader, &third, None).await);

    // Replay resumes: the replica catches up and serves the reads again.
    on_replica(&replica, "SELECT pg_wal_replay_resume()").await;
    let before = served(&reader);
    assert!(finds(&reader, &second, Some(second_lsn)).await);
    assert!(finds(&reader, &third, None).await);
    assert!(served(&reader) > before, "the replica serves again");

    // A page of the audit trail read on the replica: the whole history, in order.
    let events = reader
        .ok(
            Role::Auditor,
            "{ auditTrail(first: 100) { edges { node { position } } } }",
            json!({}),
        )
        .await;
    let positions: Vec<i64> = events["auditTrail"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]) && positions.len() >= 5);

    // The replica stops: reads fall back to the primary, no request fails, nothing is lost.
    replica.stop().await.unwrap();
    let (fourth, _) = draft_at(&reader, "第四份草稿").await;
    for id in [&first, &second, &third, &fourth] {
        assert!(
            finds(&reader, id, None).await,
            "{id} after the replica stopped"
        );
    }
    let until = Instant::now() + Duration::from_secs(5);
    while answering(&reader) {
        assert!(
            Instant::now() < until,
            "the stopped replica is still counted on"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'Drafted'")
            .fetch_one(&reader.pool)
            .await
            .unwrap();
    assert_eq!(events, 4);

    // Back: the monitor hears from it and reads return to it.
    replica.start().await.unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while !answering(&reader) {
        assert!(Instant::now() < until, "the replica never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = served(&reader);
    assert!(finds(&reader, &fourth, None).await);
    assert!(served(&reader) > before);

    reader.stop();
    writer.stop();
    replica.stop().await.unwrap();
    primary.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_url_that_names_no_standby_is_refused_at_start() {
    let url = fresh_database().await;
    let pool = normledger::store::connect(&url, 2).await.unwrap();
    let refused = normledger::app::App::start_with_replicas(
        pool,
        quiet_settings(),
        std::slice::from_ref(&url),
    )
    .await
    .err()
    .expect("the primary itself is not a replica");
    assert!(refused.to_string().contains("not a standby"), "{refused}");
}
