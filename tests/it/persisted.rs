//! Persisted queries (Apollo's convention) over HTTP: a client sends the SHA-256 of a query
//! instead of the query. A hash the server has not seen answers PERSISTED_QUERY_NOT_FOUND and
//! runs nothing; the query sent with its hash registers it; afterwards the hash alone answers
//! exactly as the query would, a mutation included; a hash that is not its query's is refused.

use normledger::domain::Role;
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::*;

fn hash(query: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(query.as_bytes()))
}

/// POSTs a request body as `role`; returns the JSON answer.
async fn post(app: &TestApp, role: Role, body: Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(app.token(role))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persisted_query_is_registered_once_then_sent_as_its_hash() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let input = json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": "持久化查询",
        "class": "GOVERNMENT", "isMajorDecision": false, "draftedOn": "2019-06-01"}});
    let draft = hash(DRAFT);

    // Unknown: nothing runs, and the client is told to send the query.
    let before = app.event_count().await;
    let r = post(
        &app,
        Role::Drafter,
        json!({"variables": input, "extensions": persisted(&draft)}),
    )
    .await;
    assert_eq!(error_code(&r).0, "PERSISTED_QUERY_NOT_FOUND", "{r:#}");
    assert_eq!(app.event_count().await, before);

    // Sent with its hash, it runs and is kept; then the hash alone runs it again.
    let r = post(
        &app,
        Role::Drafter,
        json!({"query": DRAFT, "variables": input, "extensions": persisted(&draft)}),
    )
    .await;
    assert_eq!(
        r["data"]["draftDocument"]["document"]["status"], "DRAFTING",
        "{r:#}"
    );
    let r = post(
        &app,
        Role::Drafter,
        json!({"variables": input, "extensions": persisted(&draft)}),
    )
    .await;
    let id = r["data"]["draftDocument"]["document"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r:#}"))
        .to_owned();
    assert_eq!(app.event_count().await, before + 2, "two drafts: {r:#}");

    // A read by hash answers what the query answers, under the same read policy.
    let read = "query($id: String!) { document(id: $id) { title status } }";
    let by_query = post(
        &app,
        Role::Auditor,
        json!({"query": read, "variables": {"id": id},
        "extensions": persisted(&hash(read))}),
    )
    .await;
    let by_hash = post(
        &app,
        Role::Auditor,
        json!({"variables": {"id": id}, "extensions": persisted(&hash(read))}),
    )
    .await;
    assert_eq!(by_query, by_hash);
    assert_eq!(by_hash["data"]["document"]["title"], "持久化查询");
    let advisor = post(
        &app,
        Role::Advisor,
        json!({"variables": {"id": id}, "extensions": persisted(&hash(read))}),
    )
    .await;
    assert_eq!(
        advisor["data"]["document"],
        Value::Null,
        "a draft is not an advisor's: {advisor:#}"
    );

    // A hash that is not its query's is refused, and runs nothing.
    let before = app.event_count().await;
    let r = post(
        &app,
        Role::Drafter,
        json!({"query": DRAFT, "variables": input, "extensions": persisted(&hash(read))}),
    )
    .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");
    assert_eq!(app.event_count().await, before);
}
