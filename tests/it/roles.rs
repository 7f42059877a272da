//! Roles: for each role one allowed and one forbidden mutation; drafters only for their own
//! bodies; no, unknown, revoked or expired tokens are UNAUTHENTICATED. Refusals write nothing.

use normledger::domain::Role;
use normledger::store::tokens;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_its_own_work_and_nothing_else() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "角色测试", false).await;

    // DRAFTER: may submit its body's draft; may not start the review.
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿"]}),
    )
    .await;
    let before = app.event_count().await;
    let r = act(
        &app,
        Role::Drafter,
        "startReview",
        &id,
        json!({"dueOn": "2099-01-01"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    // LEGAL_OFFICE: may start the review; may not draft.
    step(
        &app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"dueOn": "2099-01-01"}),
    )
    .await;
    let r = app
        .gql(
            Role::LegalOffice,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV", "title": "t", "class": "GOVERNMENT"}}),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    // ADVISOR: may add an opinion; may not conclude the review (advisors only advise).
    step(
        &app,
        Role::Advisor,
        "addAdvisorOpinion",
        &id,
        json!({"text": "意见"}),
    )
    .await;
    let r = act(
        &app,
        Role::Advisor,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    // GOVERNMENT_OFFICE: may not conclude a review, but may deliberate once it is lawful.
    let r = act(
        &app,
        Role::GovernmentOffice,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法"}),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "recordDeliberation",
        &id,
        json!({"outcome": "APPROVED", "meeting": "常务会议"}),
    )
    .await;
    // AUDITOR and ADMIN: read, never write.
    for role in [Role::Auditor, Role::Admin] {
        let r = act(
            &app,
            role,
            "issueDocument",
            &id,
            issue_input("南政办发〔2019〕63号"),
        )
        .await;
        assert_eq!(error_code(&r).0, "FORBIDDEN", "{role}");
        let read = app
            .gql(role, "{ documents { edges { node { id } } } }", json!({}))
            .await;
        assert!(read.get("errors").is_none(), "{role} may read");
    }
    let before_last = app.event_count().await;
    assert_eq!(
        before_last,
        before + 4,
        "only the four allowed steps wrote events"
    );

    // A drafter of other bodies may not touch this body's documents.
    let (_, other) = tokens::create(
        &app.pool,
        "other drafter",
        Role::Drafter,
        &["NCX-WATER".into()],
        None,
    )
    .await
    .unwrap();
    let r = app
        .gql_as(Some(&other), DRAFT, json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": "越权", "class": "GOVERNMENT"}}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    let r = app
        .gql_as(
            Some(&other),
            "mutation($id: ID!) { withdrawDocument(id: $id, input: {reason: \"x\"}) { position } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    assert_eq!(app.event_count().await, before_last);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_unknown_revoked_and_expired_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let (revoked_id, revoked) = tokens::create(&app.pool, "revoked", Role::Auditor, &[], None)
        .await
        .unwrap();
    assert!(tokens::revoke(&app.pool, revoked_id).await.unwrap());
    let (_, expired) = tokens::create(
        &app.pool,
        "expired",
        Role::Auditor,
        &[],
        Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
    )
    .await
    .unwrap();
    let unknown = format!("nl_{}", "0".repeat(64));
    for token in [
        None,
        Some("garbage"),
        Some(unknown.as_str()),
        Some(revoked.as_str()),
        Some(expired.as_str()),
    ] {
        let r = app
            .gql_as(token, "{ documents { edges { cursor } } }", json!({}))
            .await;
        assert_eq!(error_code(&r).0, "UNAUTHENTICATED", "{token:?}");
        let r = app.gql_as(token, LIST_BODY, json!({"input": {"code": "X", "name": "x", "kind": "COUNTY_DEPARTMENT", "agencyCodes": ["某发"]}})).await;
        assert_eq!(error_code(&r).0, "UNAUTHENTICATED", "{token:?}");
    }
    assert_eq!(app.event_count().await, 0);
    // Secrets are never stored: only their hashes.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0",
    )
    .bind(&revoked)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
}
