//! Tamper evidence: an untouched log verifies; an altered, deleted or swapped row is named;
//! an earlier digest still verifies after more events and fails once history is rewritten;
//! an export re-verifies with an independent script.

use normledger::domain::Role;
use normledger::store::integrity::{self, LogDigest};
use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

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
    let v = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
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
    let v = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
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
        integrity::verify(
            &app.pool,
            None,
            Some(target - 1),
            None,
            integrity::Trust::StoredKeys
        )
        .await
        .unwrap()
        .is_intact()
    );
    assert!(
        !integrity::verify(
            &app.pool,
            Some(target),
            None,
            None,
            integrity::Trust::StoredKeys
        )
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
    let b = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
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
    let broken = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
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
    let v = integrity::verify(
        &app.pool,
        None,
        None,
        Some(&parsed),
        integrity::Trust::StoredKeys,
    )
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
    let v = integrity::verify(
        &app.pool,
        None,
        None,
        Some(&parsed),
        integrity::Trust::StoredKeys,
    )
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

/// A signing key from a fixed seed (tests only).
fn test_key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

async fn transaction_of(pool: &PgPool, position: i64) -> String {
    sqlx::query_scalar("SELECT transaction_id::text FROM events WHERE position = $1")
        .bind(position)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Proves that, with no digest given, `verify` finds against the latest signed checkpoint
/// what the per-stream chains cannot see: a stream's last event removed, a whole stream
/// removed, and two commits of different streams swapped in commit order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_checkpoints_find_a_removed_tail_a_removed_stream_and_swapped_commits() {
    for case in ["tail", "stream", "swap"] {
        let (app, ids) = ledger_with_documents(2).await;
        normledger::store::checkpoints::take(&app.pool, &test_key(1))
            .await
            .unwrap();
        // Two commits in different streams whose swap keeps each stream in order:
        // ids[0]'s submission and ids[1]'s draft.
        let (a, b) = (
            position_of(&app.pool, &ids[0], 2).await,
            position_of(&app.pool, &ids[1], 1).await,
        );
        let sql = match case {
            "tail" => format!("DELETE FROM events WHERE position = {a}"),
            "stream" => format!("DELETE FROM events WHERE aggregate_id = '{}'", ids[1]),
            _ => {
                let (ta, tb) = (
                    transaction_of(&app.pool, a).await,
                    transaction_of(&app.pool, b).await,
                );
                format!(
                    "UPDATE events SET transaction_id = CASE position WHEN {a} THEN '{tb}'::xid8
                                                                      ELSE '{ta}'::xid8 END
                     WHERE position IN ({a}, {b})"
                )
            }
        };
        tamper(&app.pool, &sql).await;
        let v = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
            .await
            .unwrap();
        assert!(
            v.first_broken_link.is_none(),
            "{case}: every chain still links"
        );
        let problem = v.checkpoints.problem.clone().unwrap_or_default();
        assert!(!v.is_intact(), "{case}: {v:?}");
        let expected = if case == "swap" {
            "reordered"
        } else {
            "events were removed"
        };
        assert!(problem.contains(expected), "{case}: {problem}");
        // The API says the same.
        let r = app
            .ok(
                Role::Auditor,
                "{ verifyIntegrity { intact checkpointsChecked checkpointProblem } }",
                json!({}),
            )
            .await;
        assert_eq!(r["verifyIntegrity"]["intact"], false, "{case}");
        assert_eq!(r["verifyIntegrity"]["checkpointsChecked"], 1, "{case}");
    }
}

/// Proves that two events of one stream committed in the wrong order are named, without any
/// digest or checkpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_events_were_reordered_in_commit_order_is_named() {
    let (app, ids) = ledger_with_documents(1).await;
    let (first, second) = (
        position_of(&app.pool, &ids[0], 1).await,
        position_of(&app.pool, &ids[0], 2).await,
    );
    let (t1, t2) = (
        transaction_of(&app.pool, first).await,
        transaction_of(&app.pool, second).await,
    );
    tamper(
        &app.pool,
        &format!(
            "UPDATE events SET transaction_id = CASE position WHEN {first} THEN '{t2}'::xid8
                                                              ELSE '{t1}'::xid8 END
             WHERE position IN ({first}, {second})"
        ),
    )
    .await;
    let b = integrity::verify(&app.pool, None, None, None, integrity::Trust::NoCheckpoints)
        .await
        .unwrap()
        .first_broken_link
        .expect("the inversion is found");
    assert_eq!((b.aggregate_id.as_str(), b.sequence), (ids[0].as_str(), 2));
    assert!(b.problem.contains("commit order"), "{}", b.problem);
}

/// Proves that a configured public key is what makes a checkpoint trustworthy: one signed by
/// another key (a forger with the server's credential) is refused, and a recorded rotation
/// is what lets an older key's checkpoints stand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_checkpoint_must_be_signed_by_the_configured_key() {
    use normledger::store::checkpoints;
    let (app, _) = ledger_with_documents(1).await;
    let (ours, forger) = (test_key(1), test_key(2));
    let trust = integrity::Trust::Key(ours.verifying_key().to_bytes());
    checkpoints::take(&app.pool, &ours).await.unwrap();
    let v = integrity::verify(&app.pool, None, None, None, trust)
        .await
        .unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert_eq!(v.checkpoints.signer_trusted, Some(true));

    // A checkpoint signed by another key, taken after ours: its own signature is valid, so
    // only the configured key exposes it.
    checkpoints::take(&app.pool, &forger).await.unwrap();
    let stored_only = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
        .await
        .unwrap();
    assert!(stored_only.is_intact());
    let v = integrity::verify(&app.pool, None, None, None, trust)
        .await
        .unwrap();
    assert_eq!(v.checkpoints.signer_trusted, Some(false));
    assert!(
        v.checkpoints
            .problem
            .as_deref()
            .unwrap_or_default()
            .contains("not by the configured key"),
        "{v:?}"
    );
    assert!(!v.is_intact());
}

/// Proves that a lost or replaced key file does not silently become a new signer: the next
/// `checkpoint` is refused until a rotation is recorded, and `verify --public-key` accepts the
/// new key's latest checkpoint and the old key's earlier ones only through that record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_key_file_is_refused_until_the_rotation_is_recorded() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let dir = temp_dir("normledger-keys");
    let key_path = dir.join("signing-key");
    let run = |args: Vec<String>| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"));
        cmd.args(args)
            .env("DATABASE_URL", &url)
            .env("NORMLEDGER_SIGNING_KEY", &key_path)
            .env_remove("NORMLEDGER_PUBLIC_KEY");
        async move {
            let out = cmd.output().await.unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let old_public = run(args(&["key"])).await.1.trim().to_owned();
    let (ok, said) = run(args(&["checkpoint"])).await;
    assert!(ok, "{said}");

    std::fs::remove_file(&key_path).unwrap();
    let (ok, said) = run(args(&["checkpoint"])).await;
    assert!(!ok, "a new key is refused: {said}");
    assert!(said.contains("not the key that signed"), "{said}");
    let new_public = run(args(&["key"])).await.1.trim().to_owned();
    assert_ne!(new_public, old_public);

    let (ok, said) = run(args(&["checkpoint", "--rotate-key", "key file lost"])).await;
    assert!(ok, "{said}");
    let reason: String = sqlx::query_scalar("SELECT reason FROM signing_key_rotations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(reason, "key file lost");
    let (ok, said) = run(args(&["checkpoint"])).await;
    assert!(ok, "the rotated key signs on: {said}");

    let (ok, said) = run(args(&["verify", "--public-key", &new_public])).await;
    assert!(
        ok && said.contains("signed by the configured key"),
        "{said}"
    );
    let (ok, said) = run(args(&["verify", "--public-key", &old_public])).await;
    assert!(!ok && said.contains("not by the configured key"), "{said}");
    let (ok, said) = run(args(&["verify", "--digest", "/no/such/digest-file"])).await;
    assert!(!ok && said.contains("no such file"), "{said}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Proves that `verifyIntegrity` checks the signer against the key the server was given
/// (`serve --public-key`): a checkpoint signed by another key makes the log not intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_integrity_checks_the_signer_against_the_servers_public_key() {
    let ours = test_key(7);
    let mut settings = quiet_settings();
    settings.limits.trusted_key = Some(ours.verifying_key().to_bytes());
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    let query = "{ verifyIntegrity { intact checkpointsChecked checkpointSignerTrusted checkpointProblem } }";
    normledger::store::checkpoints::take(&app.pool, &ours)
        .await
        .unwrap();
    let r = app.ok(Role::Auditor, query, json!({})).await;
    assert_eq!(r["verifyIntegrity"]["intact"], true, "{r}");
    assert_eq!(r["verifyIntegrity"]["checkpointSignerTrusted"], true);
    normledger::store::checkpoints::take(&app.pool, &test_key(8))
        .await
        .unwrap();
    let r = app.ok(Role::Auditor, query, json!({})).await;
    assert_eq!(r["verifyIntegrity"]["intact"], false, "{r}");
    assert_eq!(r["verifyIntegrity"]["checkpointSignerTrusted"], false);
    assert_eq!(r["verifyIntegrity"]["checkpointsChecked"], 2);
}

/// `verify` reports its progress and ends on the number of events it checked, so a bar
/// fed from it reaches 100%.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_its_progress_to_the_last_event() {
    let (app, _) = ledger_with_documents(2).await;
    let mut seen = vec![];
    let v = integrity::verify_reporting(
        &app.pool,
        None,
        None,
        None,
        integrity::Trust::StoredKeys,
        &mut |p| seen.push(p),
    )
    .await
    .unwrap();
    let events = app.event_count().await as u64;
    assert_eq!(
        seen.last(),
        Some(&normledger::progress::Progress {
            done: events,
            total: Some(events)
        })
    );
    assert_eq!(v.events_checked as u64, events);
}
