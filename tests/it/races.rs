//! Concurrency: optimistic locking on one document, and 文号 uniqueness across documents,
//! both holding when the commands race.

use normledger::domain::Role;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_review_conclusions_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    for round in 0..5 {
        let id = draft(&app, &format!("并发审核{round}"), false).await;
        step(
            &app,
            Role::Drafter,
            "submitForReview",
            &id,
            json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
        )
        .await;
        step(
            &app,
            Role::LegalOffice,
            "startReview",
            &id,
            json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
        )
        .await;
        let conclude = |outcome: &'static str| {
            let (app, id) = (&app, id.clone());
            async move {
                act(
                    app,
                    Role::LegalOffice,
                    "concludeReview",
                    &id,
                    json!({"outcome": outcome, "opinion": "意见", "issues": [{"text": "问题"}]}),
                )
                .await
            }
        };
        let (a, b) = tokio::join!(conclude("LAWFUL"), conclude("MUST_REVISE"));
        let ok = [&a, &b]
            .iter()
            .filter(|r| r.get("errors").is_none())
            .count();
        assert_eq!(ok, 1, "round {round}: {a:#} {b:#}");
        let loser = if a.get("errors").is_some() { &a } else { &b };
        assert_eq!(
            error_code(loser),
            ("BUSINESS_RULE".into(), Some("INVALID_TRANSITION".into()))
        );
        let concluded: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'ReviewConcluded'")
            .bind(&id).fetch_one(&app.pool).await.unwrap();
        assert_eq!(concluded, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_32_documents_racing_for_one_number_exactly_one_gets_it() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let mut ids = vec![];
    for i in 0..32 {
        let id = draft(&app, &format!("争号文件{i}"), false).await;
        to_approved(&app, &id).await;
        ids.push(id);
    }
    let before = app.event_count().await;
    let results = futures::future::join_all(ids.iter().map(|id| {
        let app = &app;
        async move {
            act(
                app,
                Role::GovernmentOffice,
                "issueDocument",
                id,
                issue_input("南政办发〔2019〕63号"),
            )
            .await
        }
    }))
    .await;
    let winners = results.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(winners, 1, "{results:#?}");
    for r in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(
            error_code(r),
            ("BUSINESS_RULE".into(), Some("DOCUMENT_NUMBER_TAKEN".into())),
            "{r:#}"
        );
    }
    assert_eq!(app.event_count().await, before + 1);
    let claims: i64 = sqlx::query_scalar("SELECT count(*) FROM document_number_claims")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(claims, 1);
    let issued = app
        .ok(
            Role::Auditor,
            "{ documents(filter: {status: ISSUED}) { edges { node { issuance { number } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(issued["documents"]["edges"].as_array().unwrap().len(), 1);
}
