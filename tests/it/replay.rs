//! `replay` rebuilds the read model from position 0, identical to the live one.

use normledger::domain::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::support::*;

type Rows = Vec<(String, String)>;

async fn read_model(pool: &PgPool) -> (Rows, Rows, Rows, Rows) {
    let docs = sqlx::query_as(
        "SELECT id::text, concat_ws('|', body_code, title, status, filing_status, document_number,
                year, drafted_on, issued_on, effective_on, valid_until, version, last_position,
                updated_at, ended_on, correction_due_on, published_on, state::text)
         FROM rm_documents ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let bodies = sqlx::query_as(
        "SELECT code, concat_ws('|', name, kind, agency_codes::text, listed_from, delisted_on,
                version, last_position, updated_at, state::text)
         FROM rm_issuing_bodies ORDER BY code",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let clauses = sqlx::query_as(
        "SELECT document_id::text || '/' || position,
                concat_ws('|', version, clause_id, number, text, grams::text)
         FROM rm_document_clauses ORDER BY document_id, position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let citations = sqlx::query_as(
        "SELECT document_id::text || '/' || clause_id, concat_ws('|', version, law, article)
         FROM rm_document_citations ORDER BY document_id, clause_id, law, article",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (docs, bodies, clauses, citations)
}

/// Proves that the rows a document's commands write in their own transactions (the inline
/// projection) are exactly the rows a replay folds from the log: documents with texts, their
/// clauses and citations, through issue and a new text version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_inline_equal_the_replayed_ones() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let text = "南昌县农村宅基地管理办法\n第一条　为了加强宅基地管理，根据《中华人民共和国土地管理法》第六十二条，制定本办法。\n第二条　本办法自发布之日起施行。";
    let issued = issued_with_text(&app, "宅基地管理办法", text, "南政办发〔2019〕5号").await;
    let drafted = draft_with_text(&app, "草案", text).await;
    to_awaiting_deliberation(&app, &drafted).await;
    let inline = read_model(&app.pool).await;
    assert!(!inline.2.is_empty() && !inline.3.is_empty(), "{inline:?}");
    assert!(inline.0.iter().any(|(id, _)| *id == issued));
    let (written,): (i64,) = sqlx::query_as("SELECT events_inline FROM projection_checkpoints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(written > 0, "the documents' rows were written inline");
    normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    assert_eq!(read_model(&app.pool).await, inline);
}

/// Every index of the read-model tables: its name and definition.
async fn indexes(pool: &PgPool) -> Rows {
    sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename LIKE 'rm\\_%' ORDER BY indexname",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_rebuilds_a_read_model_identical_to_the_live_one() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    for i in 0..4 {
        let id = draft(&app, &format!("重放文件{i}"), false).await;
        step(
            &app,
            Role::Drafter,
            "reviseDraft",
            &id,
            json!({"revisedOn": "2019-06-02",
                   "text": format!("第一条　重放文本{i}。\n第二条　违反的，处以罚款。")}),
        )
        .await;
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
    assert_eq!(live.2.len(), 12, "each document's title and two clauses");
    let indexes_before = indexes(&app.pool).await;
    let events = app.event_count().await as u64;
    let replayed = normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    assert_eq!(replayed, events);
    assert_eq!(read_model(&app.pool).await, live);
    // Secondary indexes are built after the tables are filled, and every one is back.
    assert_eq!(indexes(&app.pool).await, indexes_before);
    assert!(
        indexes_before
            .iter()
            .any(|(name, _)| name == "rm_document_clauses_grams")
    );
    // The swapped-in tables come with statistics: without them the planner guesses, and list
    // queries ran seconds until autovacuum got round to them.
    let analysed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_user_tables
         WHERE schemaname = 'public' AND relname LIKE 'rm\\_%' AND last_analyze IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        analysed, 6,
        "documents, their clauses and citations, bodies, items, campaigns"
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_never_see_a_half_built_model_and_writes_during_a_replay_are_kept() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    for i in 0..40 {
        draft(&app, &format!("重建{i}"), false).await;
    }
    let count = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM rm_documents")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (pool, stop) = (app.pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut smallest = i64::MAX;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                smallest = smallest.min(count(pool.clone()).await);
            }
            smallest
        })
    };
    let writer = {
        let app_addr = app.addr;
        let token = app.token(Role::Drafter).to_owned();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0..10 {
                client
                    .post(format!("http://{app_addr}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({"query": DRAFT, "variables": {"input": {"bodyCode": "NCX-GOV", "title": format!("重建中{i}"), "class": "GOVERNMENT", "isMajorDecision": false}}}))
                    .send()
                    .await
                    .unwrap();
            }
        })
    };
    let mut reports = 0;
    normledger::projection::replay(&app.pool, |_| reports += 1)
        .await
        .unwrap();
    writer.await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.await.unwrap() >= 40, "a reader saw a partial model");
    assert!(reports >= 1, "progress was reported");
    // The live projector carries on from the swapped-in model: all 50 documents, once each.
    let id = draft(&app, "重建后", false).await;
    assert!(!id.is_empty());
    assert_eq!(count(app.pool.clone()).await, 51);
    // Folded by the projector or written inline by the draft's command: each once (the
    // projector counts the inline one when it passes it, a moment later).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (events, applied): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM events), events_applied + events_inline
             FROM projection_checkpoints",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if events == applied {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{events} ≠ {applied}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_rebuilds_a_read_model_of_an_older_shape_once_before_serving() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let id = draft(&app, "形状升级", false).await;
    let live = read_model(&app.pool).await;
    let pool = app.stop();
    // As if written by older code: a stale row, and the old shape recorded.
    sqlx::query("UPDATE rm_documents SET title = 'stale', state = state - 'cleanups'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE projection_checkpoints SET shape = 1")
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::spawn_on(&url).await;
    let shape: i32 = sqlx::query_scalar("SELECT shape FROM projection_checkpoints")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(shape, normledger::projection::READ_MODEL_SHAPE);
    let rebuilt = read_model(&app.pool).await;
    assert_eq!(rebuilt.0.len(), live.0.len());
    let r = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { title } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["document"]["title"], "形状升级");
}

/// Proves that rebuilds cannot overlap: two replays started together (which shared one
/// `rebuild` schema and dropped each other's shadow tables) both finish, one after the other,
/// and leave the model a single replay leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replays_at_once_take_turns_and_leave_the_model_of_one() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    for i in 0..6 {
        let id = draft(&app, &format!("并发重放{i}"), false).await;
        to_approved(&app, &id).await;
    }
    let live = read_model(&app.pool).await;
    let (a, b) = tokio::join!(
        normledger::projection::replay(&app.pool, |_| {}),
        normledger::projection::replay(&app.pool, |_| {}),
    );
    let events = app.event_count().await as u64;
    assert_eq!((a.unwrap(), b.unwrap()), (events, events));
    assert_eq!(read_model(&app.pool).await, live);
}

/// Proves that an event folded twice (a projector whose checkpoint went back, as when two
/// writers overlap) is skipped and counted rather than applied again; a document's events,
/// which their commands wrote with the rows, are counted apart as written inline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_already_in_its_row_is_skipped_and_counted() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "重复投影", false).await;
    to_approved(&app, &id).await;
    let live = read_model(&app.pool).await;
    let events = app.event_count().await;
    let document_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'NormativeDocument'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let counted = || async {
        let r = app
            .ok(
                Role::Auditor,
                "{ projectionStatus { eventsSkipped eventsWrittenInline } }",
                json!({}),
            )
            .await;
        let s = &r["projectionStatus"][0];
        (
            s["eventsSkipped"].as_i64().unwrap(),
            s["eventsWrittenInline"].as_i64().unwrap(),
        )
    };
    // The projector counts a command's inline rows when it passes their events.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while counted().await != (0, document_events) {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            counted().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    sqlx::query(
        "UPDATE projection_checkpoints SET last_transaction_id = '0', last_position = 0
         WHERE name = 'read_model'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let projector = normledger::projection::Projector::new(app.pool.clone())
        .await
        .unwrap();
    projector.catch_up().await.unwrap();
    assert_eq!(read_model(&app.pool).await, live, "nothing folded twice");
    assert_eq!(
        counted().await,
        (events - document_events, 2 * document_events)
    );
}

/// Long CLI work draws its progress bar only on a terminal: a script or a log (here a pipe)
/// sees the final lines and no carriage-return redraws.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_cli_work_is_quiet_when_not_on_a_terminal() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    for command in ["replay", "verify"] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
            .arg(command)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .await
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{command}: {stderr}");
        assert!(
            !stdout.contains('\r') && !stderr.contains('\r'),
            "{command} redrew a bar off a terminal: {stderr:?}"
        );
        assert!(stdout.contains("events"), "{command}: {stdout}");
    }
}

/// How each large column of the ledger's tables is compressed: `(table.column, method)`.
async fn compression(pool: &PgPool) -> Rows {
    sqlx::query_as(
        "SELECT c.relname || '.' || a.attname, a.attcompression::text
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         WHERE (c.relname, a.attname) IN (('events', 'payload'), ('rm_documents', 'state'),
               ('rm_issuing_bodies', 'state'), ('rm_certification_items', 'state'),
               ('rm_cleanup_campaigns', 'state'))
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Proves that large values (a document's text in its event, the document's state) are
/// compressed with lz4, the cheaper method to read, and that a replay's rebuilt tables keep it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_values_are_compressed_with_lz4_and_a_replay_keeps_it() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let text: String = (1..=60)
        .map(|i| format!("第{i}条　本办法第{i}项规定由县人民政府有关部门按照各自职责负责实施。\n"))
        .collect();
    let id = draft_with_text(&app, "压缩测试办法", &text).await;
    let methods: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT pg_column_compression(payload) FROM events
         WHERE aggregate_id = $1 AND pg_column_compression(payload) IS NOT NULL",
    )
    .bind(&id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(methods, ["lz4"], "the text's event is compressed with lz4");
    let all_lz4: Rows = compression(&app.pool)
        .await
        .into_iter()
        .map(|(column, _)| (column, "l".to_owned()))
        .collect();
    assert_eq!(all_lz4.len(), 5);
    assert_eq!(compression(&app.pool).await, all_lz4);
    normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    assert_eq!(
        compression(&app.pool).await,
        all_lz4,
        "after the replay's swap"
    );
}
