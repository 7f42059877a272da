//! Backup and restore: `export` then `import-log` into an empty database reproduces the log
//! (positions, hashes, the digest's events and root), and `replay` the read model; a tampered
//! export is refused before anything is written.

use normledger::app::App;
use normledger::store::integrity;
use sqlx::PgPool;

use crate::support::*;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/demo/nanchang-county-2019.json"
);

async fn normledger(url: &str, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .await
        .unwrap()
}

async fn log(pool: &PgPool) -> Vec<(i64, String, i64, Vec<u8>, String)> {
    sqlx::query_as(
        "SELECT position, aggregate_id, sequence, hash, recorded_at::text FROM events
         ORDER BY transaction_id, position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn read_model(pool: &PgPool) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "SELECT id::text, state::text, version FROM rm_documents
         UNION ALL SELECT id::text, state::text, version FROM rm_certification_items
         UNION ALL SELECT id::text, state::text, version FROM rm_cleanup_campaigns
         UNION ALL SELECT code, state::text, 0 FROM rm_issuing_bodies
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_restores_into_an_identical_log_and_read_model() {
    let source = fresh_database().await;
    let pool = normledger::store::connect(&source, 4).await.unwrap();
    let app = App::start(pool.clone(), quiet_settings()).await.unwrap();
    normledger::demo::load_if_empty(&app.ledger, std::path::Path::new(DEMO))
        .await
        .unwrap();
    app.stop().await.unwrap();
    // Kept from before the backup: its transaction bound belongs to this database, and the
    // restore's transactions (later on the same cluster) all run above it.
    let before_backup = integrity::digest(&pool).await.unwrap();
    let dir = temp_dir("normledger-backup");
    let file = dir.join("log.jsonl");
    let out = normledger(&source, &["export", "--output", file.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let target = fresh_database().await;
    let out = normledger(&target, &["import-log", file.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = normledger::store::connect(&target, 4).await.unwrap();
    assert_eq!(
        log(&restored).await,
        log(&pool).await,
        "same events, order, hashes, times"
    );
    let (a, b) = (
        integrity::digest(&pool).await.unwrap(),
        integrity::digest(&restored).await.unwrap(),
    );
    assert_eq!(
        (a.events, a.last_position, a.root),
        (b.events, b.last_position, b.root)
    );
    assert!(
        integrity::verify(
            &restored,
            None,
            None,
            Some(&a),
            integrity::Trust::StoredKeys
        )
        .await
        .unwrap()
        .is_intact(),
        "the restored log verifies and extends the original's digest"
    );
    let v = integrity::verify(
        &restored,
        None,
        None,
        Some(&before_backup),
        integrity::Trust::StoredKeys,
    )
    .await
    .unwrap();
    assert_eq!(
        v.extends_digest,
        Some(true),
        "a digest from before the backup holds on the restore: {v:?}"
    );
    assert_eq!(read_model(&restored).await, read_model(&pool).await);
    let claims = |p: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT agency_code || year || '-' || serial || document_id FROM document_number_claims ORDER BY 1",
        )
        .fetch_all(&p)
        .await
        .unwrap()
    };
    assert_eq!(claims(restored.clone()).await, claims(pool.clone()).await);
    // The restored ledger takes new commands after the restored positions.
    let app = TestApp::spawn_on(&target).await;
    let r = app
        .ok(
            normledger::domain::Role::LegalOffice,
            LIST_BODY,
            serde_json::json!({"input": {"code": "NCX-NEW", "name": "新局", "kind": "COUNTY_DEPARTMENT",
                   "agencyCodes": ["新发"], "listedFrom": "2019-01-01"}}),
        )
        .await;
    assert!(r["listIssuingBody"]["position"].as_i64().unwrap() > a.last_position);

    // A second restore into a non-empty database, and a tampered export, are refused.
    let out = normledger(&target, &["import-log", file.to_str().unwrap()]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    let text = std::fs::read_to_string(&file).unwrap();
    let tampered = dir.join("tampered.jsonl");
    std::fs::write(
        &tampered,
        text.replacen("南昌县人民政府办公室", "南昌县人民政府办公厅", 1),
    )
    .unwrap();
    let empty = fresh_database().await;
    let out = normledger(&empty, &["import-log", tampered.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("does not match its content"),
        "{stderr}"
    );
    let empty_pool = normledger::store::connect(&empty, 2).await.unwrap();
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
            .fetch_one(&empty_pool)
            .await
            .unwrap(),
        0,
        "nothing from a tampered export is written"
    );
}
