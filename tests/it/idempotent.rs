//! Idempotent commands: a client-chosen `commandId` makes a retry safe — the same id with the
//! same input answers the first result and writes nothing, even when the retries race; the
//! same id with other input is refused; the id is recorded in the append's own transaction.

use normledger::domain::Role;
use serde_json::json;

use crate::support::*;

const DRAFT_ONCE: &str = "mutation($cid: ID, $title: String!) {
  draftDocument(commandId: $cid, input: {bodyCode: \"NCX-GOV\", title: $title, class: GOVERNMENT, isMajorDecision: false}) {
    document { id title } position } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_command_id_answers_the_first_result_and_writes_nothing() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let cid = uuid::Uuid::new_v4().to_string();
    let first = app
        .ok(
            Role::Drafter,
            DRAFT_ONCE,
            json!({"cid": cid, "title": "一次"}),
        )
        .await;
    let count = app.event_count().await;
    let again = app
        .ok(
            Role::Drafter,
            DRAFT_ONCE,
            json!({"cid": cid, "title": "一次"}),
        )
        .await;
    assert_eq!(again, first, "the same document and position");
    assert_eq!(app.event_count().await, count, "the repeat wrote nothing");
    // The same id for another request is refused, and writes nothing.
    let other = app
        .gql(
            Role::Drafter,
            DRAFT_ONCE,
            json!({"cid": cid, "title": "另一个"}),
        )
        .await;
    assert_eq!(
        error_code(&other),
        ("BUSINESS_RULE".into(), Some("COMMAND_ID_REUSED".into()))
    );
    assert_eq!(app.event_count().await, count);
    let bad = app
        .gql(
            Role::Drafter,
            DRAFT_ONCE,
            json!({"cid": "not-a-uuid", "title": "x"}),
        )
        .await;
    assert_eq!(error_code(&bad).0, "BAD_USER_INPUT");
    // The record is the database's, written with the events.
    let recorded: (String, i64) = sqlx::query_as(
        "SELECT c.aggregate_id, c.position FROM command_ids c
         JOIN events e ON e.position = c.position AND e.metadata ->> 'command_id' = c.command_id
         WHERE c.command_id = $1",
    )
    .bind(&cid)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        recorded.0,
        first["draftDocument"]["document"]["id"].as_str().unwrap()
    );
    // Without a command id, the same input is a new command.
    app.ok(Role::Drafter, DRAFT_ONCE, json!({"title": "一次"}))
        .await;
    assert_eq!(app.event_count().await, count + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_retries_of_one_command_write_it_once() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    list_bodies(&app).await;
    let id = draft(&app, "并发重试", false).await;
    let cid = uuid::Uuid::new_v4().to_string();
    let before = app.event_count().await;
    let mut tasks = vec![];
    for _ in 0..8 {
        let (app, id, cid) = (app.clone(), id.clone(), cid.clone());
        tasks.push(tokio::spawn(async move {
            app.gql(
                Role::Drafter,
                "mutation($id: ID!, $cid: ID) { submitForReview(id: $id, commandId: $cid, input: {materials: [\"送审稿\"]}) { document { status } position } }",
                json!({"id": id, "cid": cid}),
            )
            .await
        }));
    }
    let mut positions = vec![];
    for t in tasks {
        let r = t.await.unwrap();
        assert!(r.get("errors").is_none(), "every retry answers: {r:#}");
        positions.push(r["data"]["submitForReview"]["position"].as_i64().unwrap());
    }
    positions.dedup();
    assert_eq!(positions.len(), 1, "all answer the one event");
    assert_eq!(app.event_count().await, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_of_several_events_records_its_id_once() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let doc = draft(&app, "清理对象", false).await;
    to_approved(&app, &doc).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &doc,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let cid = uuid::Uuid::new_v4().to_string();
    let launch = "mutation($cid: ID) { launchCleanup(commandId: $cid, input: {noticeNumber: \"通知\", title: \"清理\",
      kind: SPECIAL, organiser: \"司法局\", deadline: \"2030-01-01\", launchedOn: \"2019-11-01\",
      scope: {cutOff: \"2019-10-31\"}}) { campaign { id } } }";
    let first = app.ok(Role::LegalOffice, launch, json!({"cid": cid})).await;
    let count = app.event_count().await;
    let again = app.ok(Role::LegalOffice, launch, json!({"cid": cid})).await;
    assert_eq!(again, first);
    assert_eq!(app.event_count().await, count);
}

/// Proves that a repeat answers the position the first answer gave, also for a command that
/// appends several events (a cleanup's launch and its inventory): the record keeps the
/// command's first event, the answers its last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_of_a_multi_event_command_answers_the_same_position() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    app.ok(
        Role::LegalOffice,
        "mutation { registerCertificationItem(input: {name: \"收入证明\", matter: \"社会救助\",
           basisLevel: LAW, basisCitation: \"某法第一条\", requestingUnit: \"甲\", issuingUnit: \"乙\",
           registeredOn: \"2019-07-01\"}) { position } }",
        json!({}),
    )
    .await;
    let launch =
        "mutation($cid: ID) { launchCleanup(commandId: $cid, input: {noticeNumber: \"通知\",
        title: \"清理\", kind: SPECIAL, organiser: \"司法局\", deadline: \"2030-01-01\",
        launchedOn: \"2019-11-01\", scope: {cutOff: \"2019-10-31\", certificationItems: true}})
        { campaign { id } position } }";
    let cid = uuid::Uuid::new_v4().to_string();
    let first = app.ok(Role::LegalOffice, launch, json!({"cid": cid})).await;
    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        first["launchCleanup"]["position"], head,
        "the inventory's event"
    );
    let again = app.ok(Role::LegalOffice, launch, json!({"cid": cid})).await;
    assert_eq!(again, first);
}
