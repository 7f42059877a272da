//! Tamper evidence: an untouched log verifies; an altered, deleted or swapped row is named;
//! an earlier digest still verifies after more events and fails once history is rewritten;
//! an export re-verifies with an independent script.

use normledger::domain::Role;
use normledger::store::integrity::{self, LogDigest};
use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

/// Runs `sql` with the append-only trigger disabled, as a superuser attacker would.
async fn tamper(pool: &PgPool, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_append_only")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn ledger_with_documents(n: usize) -> (TestApp, Vec<String>) {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let mut ids = vec![];
    for i in 0..n {
        let id = draft(&app, &format!("完整性{i}"), false).await;
        step(
            &app,
            Role::Drafter,
            "submitForReview",
            &id,
            json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
        )
        .await;
        ids.push(id);
    }
    (app, ids)
}

async fn position_of(pool: &PgPool, id: &str, sequence: i64) -> i64 {
    sqlx::query_scalar("SELECT position FROM events WHERE aggregate_id = $1 AND sequence = $2")
        .bind(id)
        .bind(sequence)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_log_verifies_and_the_trigger_agrees_with_the_verifier() {
    let (app, _) = ledger_with_documents(3).await;
    let v = integrity::verify(&app.pool, None, None, None)
        .await
        .unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.events_checked as i64, app.event_count().await);
    assert_eq!(v.streams_checked, 5, "2 bodies + 3 documents");
    let r = app.ok(Role::Auditor, "{ verifyIntegrity { intact eventsChecked firstBrokenLink { problem } currentDigest } }", json!({})).await;
    assert_eq!(r["verifyIntegrity"]["intact"], true);
    let r = app
        .gql(Role::Drafter, "{ verifyIntegrity { intact } }", json!({}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    let r = app
        .gql(
            Role::Auditor,
            "{ verifyIntegrity(digest: \"nl1:bogus\") { intact } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_payload_is_named_exactly() {
    let (app, ids) = ledger_with_documents(3).await;
    let target = position_of(&app.pool, &ids[1], 2).await;
    tamper(&app.pool, &format!(
        "UPDATE events SET payload = jsonb_set(payload, '{{SubmittedForReview,materials}}', '[\"伪造\"]') WHERE position = {target}")).await;
    let v = integrity::verify(&app.pool, None, None, None)
        .await
        .unwrap();
    let b = v.first_broken_link.expect("the change is detected");
    assert_eq!(
        (b.aggregate_id.as_str(), b.sequence, b.position),
        (ids[1].as_str(), 2, Some(target))
    );
    assert!(b.problem.contains("altered"), "{}", b.problem);
    let r = app
        .ok(
            Role::LegalOffice,
            "{ verifyIntegrity { intact firstBrokenLink { aggregateId sequence position } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["verifyIntegrity"]["intact"], false);
    assert_eq!(r["verifyIntegrity"]["firstBrokenLink"]["position"], target);
    // A range that excludes the row does not see it; one that includes it does.
    assert!(
        integrity::verify(&app.pool, None, Some(target - 1), None)
            .await
            .unwrap()
            .is_intact()
    );
    assert!(
        !integrity::verify(&app.pool, Some(target), None, None)
            .await
            .unwrap()
            .is_intact()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_row_is_named() {
    let (app, ids) = ledger_with_documents(2).await;
    // Give the stream a third event so that a middle one can go.
    step(
        &app,
        Role::LegalOffice,
        "startReview",
        &ids[0],
        json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
    )
    .await;
    let gone = position_of(&app.pool, &ids[0], 2).await;
    tamper(
        &app.pool,
        &format!("DELETE FROM events WHERE position = {gone}"),
    )
    .await;
    let b = integrity::verify(&app.pool, None, None, None)
        .await
        .unwrap()
        .first_broken_link
        .unwrap();
    assert_eq!((b.aggregate_id.as_str(), b.sequence), (ids[0].as_str(), 3));
    assert!(
        b.problem.contains("event 2 of this stream is missing"),
        "{}",
        b.problem
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_swapped_payloads_are_named() {
    let (app, ids) = ledger_with_documents(2).await;
    let (a, b) = (
        position_of(&app.pool, &ids[0], 1).await,
        position_of(&app.pool, &ids[1], 1).await,
    );
    tamper(
        &app.pool,
        &format!(
            "UPDATE events e SET payload = o.payload FROM events o
         WHERE (e.position, o.position) IN (({a}, {b}), ({b}, {a}))"
        ),
    )
    .await;
    let broken = integrity::verify(&app.pool, None, None, None)
        .await
        .unwrap()
        .first_broken_link
        .unwrap();
    assert!([Some(a), Some(b)].contains(&broken.position), "{broken:?}");
    assert_eq!(broken.sequence, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_digest_still_verifies_after_100_more_events_and_catches_rewritten_history() {
    let (app, ids) = ledger_with_documents(1).await;
    let earlier: LogDigest = integrity::digest(&app.pool).await.unwrap();
    for i in 0..50 {
        let id = draft(&app, &format!("后续{i}"), false).await;
        step(
            &app,
            Role::Drafter,
            "submitForReview",
            &id,
            json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
        )
        .await;
    }
    let parsed: LogDigest = earlier.to_string().parse().unwrap();
    let v = integrity::verify(&app.pool, None, None, Some(&parsed))
        .await
        .unwrap();
    assert_eq!(v.extends_digest, Some(true), "{v:?}");
    assert!(v.is_intact());
    let r = app
        .ok(
            Role::Auditor,
            "query($d: String) { verifyIntegrity(digest: $d) { intact extendsDigest } }",
            json!({"d": earlier.to_string()}),
        )
        .await;
    assert_eq!(r["verifyIntegrity"]["extendsDigest"], true);

    // A careful forger rewrites an early event AND recomputes its hash with the database's own
    // function: every link checks again, but the earlier digest exposes the rewrite.
    let target = position_of(&app.pool, &ids[0], 2).await;
    tamper(&app.pool, &format!(
        "UPDATE events SET payload = jsonb_set(payload, '{{SubmittedForReview,materials}}', '[\"伪造\"]') WHERE position = {target};
         UPDATE events e SET hash = sha256(p.hash || event_canonical(e))
         FROM events p WHERE e.position = {target}
           AND p.aggregate_id = e.aggregate_id AND p.sequence = e.sequence - 1")).await;
    let v = integrity::verify(&app.pool, None, None, Some(&parsed))
        .await
        .unwrap();
    assert!(
        v.first_broken_link.is_none(),
        "the forger recomputed the chain"
    );
    assert_eq!(v.extends_digest, Some(false));
    assert!(!v.is_intact());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_reverifies_with_an_independent_script_and_checkpoints_are_signed() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let id = draft(&app, "导出", false).await;
    to_approved(&app, &id).await;
    let dir = temp_dir("normledger-export");
    let file = dir.join("log.jsonl");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(["export", "--format", "jsonl", "--output"])
        .arg(&file)
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/verify-export.py");
    let check = tokio::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.status.success(), "{said}");
    let digest = integrity::digest(&app.pool).await.unwrap();
    assert!(
        said.contains(&normledger::store::integrity::hex(&digest.root)),
        "same root: {said} vs {digest}"
    );

    // Tamper with the file: the script names it.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("送审稿", "伪造稿", 1);
    std::fs::write(&file, text).unwrap();
    let check = tokio::process::Command::new("python3")
        .arg(script)
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("BROKEN"));

    // A signed checkpoint verifies under the printed public key, and `verify --digest` accepts it.
    let key_path = dir.join("signing-key");
    let run = |args: &'static [&'static str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"));
        cmd.args(args)
            .env("DATABASE_URL", &url)
            .env("NORMLEDGER_SIGNING_KEY", &key_path);
        async move {
            let out = cmd.output().await.unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        }
    };
    let (ok, printed) = run(&["checkpoint"]).await;
    assert!(ok, "{printed}");
    let public = run(&["key"]).await.1.trim().to_owned();
    assert!(printed.contains(&public));
    let stored = normledger::store::checkpoints::recent(&app.pool, 1)
        .await
        .unwrap();
    assert!(stored[0].signature_is_valid());
    let digest_line = printed.lines().find(|l| l.starts_with("digest")).unwrap();
    let digest = digest_line.split_whitespace().nth(1).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(["verify", "--digest", digest])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    let (ok, said) = (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    );
    assert!(ok && said.contains("extends the given digest"), "{said}");
    std::fs::remove_dir_all(&dir).ok();
}
