//! Restart: stop the server and its PostgreSQL, start both again; state and audit trail are
//! unchanged, and work continues where it stopped.

use normledger::domain::Role;
use normledger::store::cluster::PrivateCluster;
use serde_json::json;

use crate::support::*;

const STATE: &str = "{ documents { edges { node { id status version issuance { number } history { eventType role recordedAt } } } }
  auditTrail(first: 100) { edges { cursor node { position eventType actorId recordedAt payload } } }
  issuingBodies { edges { node { code agencyCodes listed } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_and_audit_trail_survive_a_restart_of_server_and_database() {
    let root = temp_dir("normledger-restart");
    let cluster = PrivateCluster::new(&root, free_port()).await.unwrap();
    assert!(cluster.start().await.unwrap(), "a fresh cluster is ours");
    cluster.ensure_database("restart").await.unwrap();
    let url = cluster.url("restart");

    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let id = draft(&app, "重启前的文件", false).await;
    to_approved(&app, &id).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let before = app.ok(Role::Auditor, STATE, json!({})).await;
    let auditor = app.token(Role::Auditor).to_owned();
    let office = app.token(Role::GovernmentOffice).to_owned();
    // While the database is down, a query is refused as a whole with 503 UNAVAILABLE, whether
    // the caller was answered from memory (the auditor, just seen) or needs no token at all.
    cluster.stop().await.unwrap();
    assert!(!cluster.is_running().await);
    for token in [Some(auditor.as_str()), None] {
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({"query": "{ publicSearch(query: \"规定\") { nodes { clauseId } } }"}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(status, 503, "{body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
            "{body:#}"
        );
    }
    app.stop().close().await;

    assert!(cluster.start().await.unwrap());
    let app = TestApp::spawn_on(&url).await;
    let after = app.gql_as(Some(&auditor), STATE, json!({})).await;
    assert_eq!(
        after["data"], before,
        "state or audit trail changed across the restart"
    );
    // Work goes on: the old token still acts, and the number is still taken.
    let r = app
        .gql_as(Some(&office), "mutation($id: ID!) { repealDocument(id: $id, input: {reason: \"废止\"}) { document { status } } }",
            json!({"id": id}))
        .await;
    assert_eq!(
        r["data"]["repealDocument"]["document"]["status"], "REPEALED",
        "{r:#}"
    );
    app.stop().close().await;
    cluster.stop().await.unwrap();
    std::fs::remove_dir_all(&root).ok();
}
