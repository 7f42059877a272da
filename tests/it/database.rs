//! What the database itself guarantees: events are append-only, 文号 claims are permanent.

use normledger::domain::Role;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_to_update_delete_or_truncate_events() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let before = app.event_count().await;
    for sql in [
        "UPDATE events SET payload = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(app.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repealed_documents_number_is_never_reused() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let first = draft(&app, "先发文", false).await;
    to_approved(&app, &first).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &first,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &first,
        json!({"reason": "废止"}),
    )
    .await;
    let err = sqlx::query("DELETE FROM document_number_claims")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"));
    let second = draft(&app, "后发文", false).await;
    to_approved(&app, &second).await;
    let r = act(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &second,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    assert_eq!(
        error_code(&r),
        ("BUSINESS_RULE".into(), Some("DOCUMENT_NUMBER_TAKEN".into()))
    );
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &second,
        issue_input("南政办发〔2019〕64号"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_whether_the_database_answers() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let page = reqwest::get(app.url("/graphql")).await.unwrap();
    assert!(page.text().await.unwrap().contains("graphiql"));
    // With the database gone the service says so instead of pretending.
    app.pool.close().await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 503);
}
