//! What a read costs in SQL statements, counted by PostgreSQL itself (pg_stat_statements):
//! a page of documents with their histories must not cost one statement per document (N+1).

use serde_json::json;

use crate::support::*;
use normledger::domain::Role;

/// Statements the server's role ran in this database while `query` was answered.
async fn statements(app: &TestApp, query: &str) -> i64 {
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(&app.pool)
        .await
        .unwrap();
    app.ok(Role::Auditor, query, json!({})).await;
    sqlx::query_scalar(
        "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s
         JOIN pg_roles r ON r.oid = s.userid
         WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND r.rolname = 'normledger_app'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_documents_with_histories_costs_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&app.pool)
        .await
        .expect("pg_stat_statements ships with the PostgreSQL server package");
    list_bodies(&app).await;
    for i in 0..50 {
        let id = draft(&app, &format!("第{i}号草稿"), false).await;
        if i % 2 == 0 {
            to_awaiting_deliberation(&app, &id).await;
        }
    }
    let page = |n: usize| {
        format!(
            "{{ documents(first: {n}, filter: {{bodyCode: \"NCX-GOV-OFFICE\"}}) {{ edges {{ node {{
                id status review {{ outcome advisorOpinions {{ text }} }}
                history {{ position eventType summary }} }} }} }} }}"
        )
    };
    // Warm the server's prepared statements, so both counts below see the same path.
    app.ok(Role::Auditor, &page(5), json!({})).await;
    let five = statements(&app, &page(5)).await;
    let fifty = statements(&app, &page(50)).await;
    // Token lookup, the page, one batched history read; a poll of the projector may fall in.
    assert!(
        fifty <= 12 && fifty <= five + 4,
        "a page of 5 cost {five} statements, a page of 50 cost {fifty}"
    );
    let body = app.ok(Role::Auditor, &page(50), json!({})).await;
    let edges = body["documents"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 50);
    // The batched histories are each document's own, complete and in order.
    for edge in edges {
        let history = edge["node"]["history"].as_array().unwrap();
        let expected = if edge["node"]["status"] == "DRAFTING" {
            1
        } else {
            4
        };
        assert_eq!(history.len(), expected, "{edge:#}");
        assert!(
            history
                .windows(2)
                .all(|w| w[0]["position"].as_i64() < w[1]["position"].as_i64())
        );
        assert_eq!(history[0]["eventType"], "Drafted");
    }

    let trail = statements(
        &app,
        "{ auditTrail(first: 100) { edges { node { position eventType summary actorName } } } }",
    )
    .await;
    assert!(
        trail <= 6,
        "an audit-trail page of 100 cost {trail} statements"
    );
}
