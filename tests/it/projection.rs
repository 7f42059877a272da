//! The projector under stress: late commits, rollbacks, a kill in the middle of a batch, and
//! leadership across two processes. At the end the read model has applied every committed
//! event exactly once.

use normledger::domain::Role;
use normledger::projection::{Projector, replay};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

use crate::support::*;

/// Inserts one `IssuingBodyListed` event for a new body `code` on `conn`.
const INSERT_LISTING: &str = "INSERT INTO events
    (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ('IssuingBody', $1, 1, 'IssuingBodyListed', '1',
            jsonb_build_object('IssuingBodyListed', jsonb_build_object(
              'code', $1::text, 'name', 'body ' || $1, 'kind', 'COUNTY_DEPARTMENT',
              'agency_codes', jsonb_build_array('某发'), 'parent', null, 'review_body', null,
              'filing_authorities', '[]'::jsonb, 'listed_from', '2019-01-01',
              'listing_document', null)),
            '{\"actor_id\": \"stress\"}')";

/// (events in the log, bodies in the read model, events the projector says it applied,
/// whether the read model's codes equal the log's).
async fn tally(pool: &PgPool) -> (i64, i64, i64, bool) {
    let (events, same): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM events),
                (SELECT coalesce(string_agg(aggregate_id, ',' ORDER BY aggregate_id), '') FROM events
                 WHERE event_type = 'IssuingBodyListed')
              = (SELECT coalesce(string_agg(code, ',' ORDER BY code), '') FROM rm_issuing_bodies)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let bodies: i64 = sqlx::query_scalar("SELECT count(*) FROM rm_issuing_bodies")
        .fetch_one(pool)
        .await
        .unwrap();
    // Whoever folded them: the projector, or a document command in its own transaction.
    let applied: i64 =
        sqlx::query_scalar("SELECT events_applied + events_inline FROM projection_checkpoints")
            .fetch_one(pool)
            .await
            .unwrap();
    (events, bodies, applied, same)
}

/// Catches up until every event in the log is applied. The safe bound is cluster-wide, so a
/// write transaction of another test may delay (never hide) the last events: wait, bounded.
/// A skipped event would never be applied, so this still fails on loss.
async fn catch_up_fully(pool: &PgPool) {
    let projector = Projector::new(pool.clone()).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        projector.catch_up().await.unwrap();
        let (events, _, applied, _) = tally(pool).await;
        if applied >= events || std::time::Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_commits_and_rollbacks_are_neither_skipped_nor_applied_twice() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    let pool = app.pool.clone();
    // A second, independent projector hammering catch-up while the writers race.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammer = {
        let projector = Projector::new(pool.clone()).await.unwrap();
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                projector.catch_up().await.unwrap();
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        })
    };
    let mut committed = 0;
    for round in 0..10 {
        let writers = (0..16).map(|w| {
            let pool = pool.clone();
            async move {
                let mut tx = pool.begin().await.unwrap();
                let code = format!("R{round:02}-W{w:02}");
                sqlx::query(INSERT_LISTING)
                    .bind(&code)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                // Some hold their transaction open: their positions commit after later ones.
                if w % 3 == 0 {
                    sqlx::query("SELECT pg_sleep(0.05 + random() * 0.1)")
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                if w % 5 == 4 {
                    tx.rollback().await.unwrap();
                    0
                } else {
                    tx.commit().await.unwrap();
                    1
                }
            }
        });
        committed += futures::future::join_all(writers)
            .await
            .into_iter()
            .sum::<i64>();
    }
    // Stopped between batches (an aborted batch would hold its transaction open).
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    hammer.await.unwrap();
    catch_up_fully(&pool).await;
    let (events, bodies, applied, same) = tally(&pool).await;
    assert_eq!(events, committed);
    assert_eq!(bodies, committed, "every committed listing projected");
    assert_eq!(applied, committed, "each event applied exactly once");
    assert!(same, "the read model's bodies are exactly the log's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing() {
    let url = fresh_database().await;
    let pool = normledger::store::connect(&url, 4).await.unwrap();
    normledger::store::migrate(&pool).await.unwrap();
    const TOTAL: i64 = 20_000;
    // In chunks: the log's safe bound is cluster-wide, so one long transaction here would
    // hold back the projectors of every other test sharing this PostgreSQL.
    for from in (1..=TOTAL).step_by(1000) {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT 'IssuingBody', 'K' || lpad(i::text, 6, '0'), 1, 'IssuingBodyListed', '1',
                    jsonb_build_object('IssuingBodyListed', jsonb_build_object(
                      'code', 'K' || lpad(i::text, 6, '0'), 'name', 'body', 'kind', 'COUNTY_DEPARTMENT',
                      'agency_codes', jsonb_build_array('某发'), 'parent', null, 'review_body', null,
                      'filing_authorities', '[]'::jsonb, 'listed_from', '2019-01-01',
                      'listing_document', null)),
                    '{}'::jsonb
             FROM generate_series($1, $1 + 999) i",
        )
        .bind(from)
        .execute(&pool)
        .await
        .unwrap();
    }

    // The real binary catches up at start; kill it with SIGKILL as soon as it has applied a
    // batch or two, i.e. in the middle of its work.
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
            "--checkpoint-every-secs",
            "0",
        ])
        .env("DATABASE_URL", &url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let applied = tally(&pool).await.2;
        if applied > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the projector never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let (_, bodies, applied, _) = tally(&pool).await;
    assert!(
        applied < TOTAL,
        "killed before the end ({applied} of {TOTAL})"
    );
    assert_eq!(bodies, applied, "what was applied was committed whole");

    // Restart (in process this time) and finish.
    catch_up_fully(&pool).await;
    let (events, bodies, applied, same) = tally(&pool).await;
    assert_eq!((events, bodies, applied), (TOTAL, TOTAL, TOTAL));
    assert!(same);
    let before: Vec<(String, String)> =
        sqlx::query_as("SELECT code, state::text FROM rm_issuing_bodies ORDER BY code")
            .fetch_all(&pool)
            .await
            .unwrap();
    replay(&pool, |_| {}).await.unwrap();
    let after: Vec<(String, String)> =
        sqlx::query_as("SELECT code, state::text FROM rm_issuing_bodies ORDER BY code")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(before == after, "replay equals the resumed projection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_database_with_one_projecting_leader() {
    let url = fresh_database().await;
    let a = TestApp::spawn_on(&url).await;
    let b = TestApp::spawn_on(&url).await;
    list_bodies(&a).await;
    // A write on b is read back on b (read-your-writes through the leader), and on a.
    let id = draft(&b, "双实例", false).await;
    let on_a = a
        .ok(
            normledger::domain::Role::Auditor,
            "query($id: String!) { document(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(on_a["document"]["status"], "DRAFTING");
    let (events, _, applied, _) = tally(&a.pool).await;
    assert_eq!(applied, events, "each event projected once");
    // Exactly one session holds the leadership, and projectionStatus names it.
    let first = leaders(&a.pool).await;
    assert_eq!(first.len(), 1, "one leader: {first:?}");
    let status = a
        .ok(
            normledger::domain::Role::Auditor,
            "{ projectionStatus { leader } }",
            json!({}),
        )
        .await;
    assert!(
        status["projectionStatus"][0]["leader"]
            .as_str()
            .unwrap()
            .starts_with(&format!("pid {} ", first[0])),
        "{status}"
    );
    let a_led = a.is_leading().await;

    // Whichever led, stop a: b keeps (or takes over) the projection and still reads its writes.
    let pool = a.pool.clone();
    a.stop();
    let started = std::time::Instant::now();
    // (An issuing body: documents are written with their rows and wait for no projector.)
    let r = b
        .gql(
            normledger::domain::Role::LegalOffice,
            LIST_BODY,
            department("NCX-TAKEOVER", "接管", "接发"),
        )
        .await;
    assert_eq!(r["data"]["listIssuingBody"]["projected"], true, "{r:#}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let (events, _, applied, _) = tally(&pool).await;
    assert_eq!(applied, events);
    // b leads now: the same session if it led, a new one if a did.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let after = loop {
        let now = leaders(&pool).await;
        if now.len() == 1 && (!a_led || now != first) {
            break now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no single new leader: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        after == first,
        !a_led,
        "a led: {a_led}; {first:?} -> {after:?}"
    );
}

/// The sessions holding the projection's leadership lock.
async fn leaders(pool: &PgPool) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks
         WHERE locktype = 'advisory' AND granted
           AND ((classid::bigint << 32) | objid::bigint) = $1
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .bind(normledger::projection::LEADER_KEY)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Proves that one session left idle inside a transaction no longer stops the projection for
/// good: the server's role has a 15 s limit, PostgreSQL ends the session, and the projector
/// resumes; `projectionStatus` shows the stuck transaction's age meanwhile. On a cluster of
/// its own, since the stall holds back every database of a cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_transaction_is_cut_and_the_projector_resumes() {
    use normledger::store::cluster::PrivateCluster;
    let root = temp_dir("normledger-idle");
    let cluster = PrivateCluster::new(&root, free_port()).await.unwrap();
    cluster.start().await.unwrap();
    cluster.ensure_database("idle").await.unwrap();
    let url = cluster.url("idle");
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let app_role = as_app_role(&app.pool).await;
    let mut stuck = app_role.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *stuck)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    // A document is written with its row, whatever the projector is waiting for.
    let id = draft(&app, "被挡住的草案", false).await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM rm_documents WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    // An issuing body waits for the projector, which waits for the idle transaction.
    app.ok(
        Role::LegalOffice,
        LIST_BODY,
        department("NCX-HELD", "被挡住的主体", "挡发"),
    )
    .await;
    let in_model = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM rm_issuing_bodies WHERE code = 'NCX-HELD'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
            == 1
    };
    assert!(
        !in_model().await,
        "the idle transaction holds the projection back"
    );
    let r = app
        .ok(
            Role::Auditor,
            "{ projectionStatus { lagEvents oldestTransactionSeconds } }",
            json!({}),
        )
        .await;
    assert!(r["projectionStatus"][0]["lagEvents"].as_i64().unwrap() > 0);
    assert!(
        r["projectionStatus"][0]["oldestTransactionSeconds"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
    while !in_model().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(40),
            "the idle session was not ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(10));
    let cut = sqlx::query("SELECT 1").execute(&mut *stuck).await;
    assert!(cut.is_err(), "PostgreSQL ended the idle session");
    app.stop().close().await;
    cluster.stop().await.unwrap();
    std::fs::remove_dir_all(&root).ok();
}

/// Proves that a poison event (one the read model cannot apply) no longer stalls the
/// projection invisibly: `projectionStatus` names the error, the stuck position and the
/// leader; `/readyz` answers 503 with the position; `/metrics` counts it; mutations still
/// answer (not projected) instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_shows_in_projection_status_readyz_and_metrics() {
    let mut settings = quiet_settings();
    settings.write.read_your_writes_timeout = Duration::from_millis(300);
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let poison: i64 = sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ('IssuingBody', 'NCX-GOV', 2, 'Bogus', '1', '{\"Bogus\": {}}', '{}')
         RETURNING position",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let query =
        "{ projectionStatus { lastError lastErrorAt stuckPosition errorsTotal leader lagEvents } }";
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        let r = app.ok(Role::Auditor, query, json!({})).await;
        let s = r["projectionStatus"][0].clone();
        if !s["lastError"].is_null() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "no error shown: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status["stuckPosition"], poison, "{status}");
    assert!(
        status["lastError"].as_str().unwrap().contains("Bogus"),
        "{status}"
    );
    assert!(status["errorsTotal"].as_i64().unwrap() >= 1);
    assert!(
        status["leader"].as_str().unwrap().starts_with("pid "),
        "{status}"
    );

    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["stuckPosition"], poison);

    // Commands still answer. A document is written with its row, so the stalled projector
    // does not hold it back; an issuing body waits for the projector, and says it is not
    // projected yet.
    let r = app
        .ok(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": "停滞时的草案", "class": "GOVERNMENT", "isMajorDecision": false}}),
        )
        .await;
    assert_eq!(r["draftDocument"]["projected"], true);
    assert_eq!(r["draftDocument"]["document"]["title"], "停滞时的草案");
    let r = app
        .ok(
            Role::LegalOffice,
            LIST_BODY,
            department("NCX-STALLED", "停滞时列入", "停发"),
        )
        .await;
    assert_eq!(r["listIssuingBody"]["projected"], false);

    let client = reqwest::Client::new();
    let refused = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 401, "metrics are not public");
    let text = client
        .get(app.url("/metrics"))
        .bearer_auth(app.token(Role::Admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "normledger_projection_errors_total",
        "normledger_projection_stalled{projection=\"read_model\"} 1",
        "normledger_commands_total{mutation=\"draftDocument\",outcome=\"ok\"}",
        "normledger_http_requests_total{kind=\"mutation\",status=\"200\"}",
        "normledger_db_pool_connections",
        "normledger_open_websockets",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}
