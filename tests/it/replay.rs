//! `replay` rebuilds the read model from position 0, identical to the live one.

use normledger::domain::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

async fn read_model(pool: &PgPool) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let docs = sqlx::query_as(
        "SELECT id::text, concat_ws('|', body_code, title, status, filing_status, document_number,
                year, drafted_on, issued_on, effective_on, valid_until, version, last_position,
                updated_at, state::text)
         FROM rm_documents ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let bodies = sqlx::query_as(
        "SELECT code, concat_ws('|', name, kind, agency_codes::text, listed_from, delisted_on,
                last_position, updated_at, state::text)
         FROM rm_issuing_bodies ORDER BY code",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (docs, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_rebuilds_a_read_model_identical_to_the_live_one() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    for i in 0..4 {
        let id = draft(&app, &format!("重放文件{i}"), false).await;
        if i > 0 {
            to_approved(&app, &id).await;
        }
        if i > 1 {
            step(
                &app,
                Role::GovernmentOffice,
                "issueDocument",
                &id,
                issue_input(&format!("南政办发〔2019〕{}号", 60 + i)),
            )
            .await;
        }
        if i > 2 {
            step(
                &app,
                Role::GovernmentOffice,
                "repealDocument",
                &id,
                json!({"reason": "废止"}),
            )
            .await;
        }
    }
    let live = read_model(&app.pool).await;
    assert_eq!(live.0.len(), 4);
    let events = app.event_count().await as u64;
    let replayed = normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    assert_eq!(replayed, events);
    assert_eq!(read_model(&app.pool).await, live);
    // The checkpoint is at the head: nothing is applied twice afterwards.
    let applied = app.stop();
    let projector = normledger::projection::Projector::new(applied.clone())
        .await
        .unwrap();
    assert_eq!(projector.catch_up().await.unwrap(), 0);
    assert_eq!(read_model(&applied).await, live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_command_rebuilds_through_the_binary() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let live = read_model(&app.pool).await;
    sqlx::query("DELETE FROM rm_issuing_bodies")
        .execute(&app.pool)
        .await
        .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .arg("replay")
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("replayed 2 events"));
    assert_eq!(read_model(&app.pool).await, live);
}
