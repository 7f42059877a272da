//! What auditors rely on beyond the lifecycle: legal time (in force on a date), record time
//! (bodies as of an instant), readable histories, position ranges, projection status,
//! read-your-writes in `extensions`, and old event versions that still load.

use normledger::domain::Role;
use serde_json::{Value, json};

use crate::support::*;

async fn in_force(app: &TestApp, date: &str) -> usize {
    let r = app
        .ok(
            Role::Auditor,
            "query($d: NaiveDate) { documents(filter: {inForceOn: $d}) { edges { node { id } } } }",
            json!({"d": date}),
        )
        .await;
    r["documents"]["edges"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_in_force_on_a_date_follow_legal_time() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let repealed = draft(&app, "已废止", false).await;
    to_approved(&app, &repealed).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &repealed,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &repealed,
        json!({"reason": "清理废止", "on": "2023-01-01"}),
    )
    .await;
    let lasting = draft(&app, "继续有效", false).await;
    to_approved(&app, &lasting).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &lasting,
        issue_input("南政办发〔2019〕64号"),
    )
    .await;
    let _draft_only = draft(&app, "未发文", false).await;
    for (date, n) in [
        ("2019-10-04", 0),
        ("2019-10-05", 2),
        ("2022-12-31", 2),
        ("2023-01-01", 1),
        ("2024-10-04", 1),
        ("2024-10-05", 0),
    ] {
        assert_eq!(in_force(&app, date).await, n, "in force on {date}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_reads_as_sentences_and_bodies_have_a_past() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.ok(Role::LegalOffice, "mutation { addAgencyCode(code: \"NCX-GOV\", agencyCode: \"南府字\") { issuingBody { agencyCodes } } }", json!({})).await;
    let then = app
        .ok(
            Role::Auditor,
            "query($t: DateTime) { issuingBody(code: \"NCX-GOV\", asOf: $t) { agencyCodes } }",
            json!({"t": between}),
        )
        .await;
    assert_eq!(then["issuingBody"]["agencyCodes"], json!(["南府发"]));
    let now = app
        .ok(
            Role::Auditor,
            "{ issuingBody(code: \"NCX-GOV\") { agencyCodes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        now["issuingBody"]["agencyCodes"],
        json!(["南府发", "南府字"])
    );

    let id = draft(&app, "可读的历史", false).await;
    to_awaiting_deliberation(&app, &id).await;
    let h = app
        .ok(Role::Auditor, "query($id: String!) { document(id: $id) { history { eventType summary actorName role recordedAt } } }", json!({"id": id}))
        .await;
    let summaries: Vec<&str> = h["document"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries[0], "Drafted (起草) by NCX-GOV-OFFICE: 可读的历史");
    assert!(summaries[2].starts_with("Legality review started (合法性审核), due 2019-07-20"));
    assert!(summaries[3].contains("LAWFUL 合法"));

    // Where it has been, folded by the aggregate: the sequence of each status change.
    let path = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { statusPath { sequence status } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        path["document"]["statusPath"],
        json!([
            {"sequence": 1, "status": "DRAFTING"},
            {"sequence": 2, "status": "SUBMITTED"},
            {"sequence": 3, "status": "UNDER_REVIEW"},
            {"sequence": 4, "status": "AWAITING_DELIBERATION"},
        ])
    );
    // Read like the history: not an advisor's.
    let refused = app
        .gql(
            Role::Advisor,
            "query($id: String!) { document(id: $id) { statusPath { status } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_takes_position_ranges_and_mutations_report_their_writes() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let body = app
        .gql(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV", "title": "位置", "class": "GOVERNMENT", "isMajorDecision": false}}),
        )
        .await;
    let position = body["data"]["draftDocument"]["position"].as_i64().unwrap();
    let writes = &body["extensions"]["writes"];
    assert_eq!(writes[0]["position"], position, "{writes:#}");
    assert_eq!(writes[0]["projected"], true, "{writes:#}");
    // How long the write took to show in the read model: measured, and bounded by the wait.
    let visible_after = writes[0]["visibleAfterMs"]
        .as_f64()
        .expect("visibleAfterMs");
    assert!((0.0..5000.0).contains(&visible_after), "{writes:#}");
    assert_eq!(writes.as_array().unwrap().len(), 1);

    let trail = |from: i64, to: i64| {
        let app = &app;
        async move {
            app.ok(Role::Auditor, "query($f: Int, $t: Int) { auditTrail(filter: {fromPosition: $f, toPosition: $t}) { edges { cursor node { position } } } }",
                json!({"f": from, "t": to}))
                .await["auditTrail"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["cursor"].as_str().unwrap().to_owned(), e["node"]["position"].as_i64().unwrap()))
                .collect::<Vec<_>>()
        }
    };
    let all = trail(1, position).await;
    assert_eq!(all.len(), 3);
    assert!(
        all.iter().all(|(cursor, p)| cursor == &p.to_string()),
        "the cursor is the global position"
    );
    assert_eq!(trail(position, position).await.len(), 1);
    let bad = app
        .gql(
            Role::Auditor,
            "{ auditTrail(after: \"999999\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad).0, "BAD_USER_INPUT");

    // The draft's row was written with it; the projector passes its event a moment later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let status = loop {
        let status = app
            .ok(Role::Auditor, "{ projectionStatus { name checkpointPosition safeHeadPosition lagEvents lagSeconds eventsApplied eventsWrittenInline } }", json!({}))
            .await;
        if status["projectionStatus"][0]["checkpointPosition"] == position {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "{status}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let s = &status["projectionStatus"][0];
    assert_eq!(s["name"], "read_model");
    assert_eq!(s["checkpointPosition"], position);
    assert_eq!(s["safeHeadPosition"], position);
    assert_eq!(s["lagEvents"], 0);
    // Two bodies listed, folded by the projector; the draft written with its row.
    assert_eq!(s["eventsApplied"], 2);
    assert_eq!(s["eventsWrittenInline"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_version_1_event_still_loads_replays_and_verifies() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = uuid::Uuid::now_v7().to_string();
    // A Drafted event as version 1 wrote it: no drafting_unit.
    let v1: Value = json!({"Drafted": {"id": id, "draft": {
        "body_code": "NCX-GOV-OFFICE", "title": "旧版本事件", "class": "GOVERNMENT", "is_trial": false,
        "is_major_decision": false, "summary": "", "drafted_on": "2019-06-01"}}});
    sqlx::query("INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                 VALUES ('NormativeDocument', $1, 1, 'Drafted', '1', $2, '{\"actor_id\": \"fixture\"}')")
        .bind(&id).bind(&v1).execute(&app.pool).await.unwrap();
    // The write side loads it through the upcaster and carries on.
    assert_eq!(
        step(
            &app,
            Role::Drafter,
            "submitForReview",
            &id,
            json!({"materials": ["送审稿"]})
        )
        .await,
        "SUBMITTED"
    );
    let doc = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { title draftingUnit history { summary } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(doc["document"]["draftingUnit"], "NCX-GOV-OFFICE");
    assert_eq!(
        doc["document"]["history"][0]["summary"],
        "Drafted (起草) by NCX-GOV-OFFICE: 旧版本事件"
    );
    let as_of = app
        .ok(Role::Auditor, "query($id: String!) { document(id: $id, asOf: \"2999-01-01T00:00:00Z\") { draftingUnit } }", json!({"id": id}))
        .await;
    assert_eq!(as_of["document"]["draftingUnit"], "NCX-GOV-OFFICE");
    normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    let v = normledger::store::integrity::verify(
        &app.pool,
        None,
        None,
        None,
        normledger::store::integrity::Trust::StoredKeys,
    )
    .await
    .unwrap();
    assert!(v.is_intact(), "{v:?}");
    let stored: String = sqlx::query_scalar(
        "SELECT event_version FROM events WHERE aggregate_id = $1 AND sequence = 1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, "1", "the stored event is never rewritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_read_your_writes_timeout_a_mutation_still_succeeds_and_says_so() {
    let mut settings = quiet_settings();
    settings.write.read_your_writes_timeout = std::time::Duration::ZERO;
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    // A running writer holds the safe bound, so the listing cannot be projected before the
    // answer (without it, a fast projector may win the race even with no wait).
    let mut holder = app.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *holder)
        .await
        .unwrap();
    let r = app
        .gql(
            Role::LegalOffice,
            LIST_BODY,
            department("NCX-WAIT", "不等投影", "等发"),
        )
        .await;
    // A document is written with its row: projected however long the projector takes.
    let drafted = app
        .gql(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV", "title": "不等投影", "class": "GOVERNMENT", "isMajorDecision": false}}),
        )
        .await;
    holder.rollback().await.unwrap();
    let payload = &r["data"]["listIssuingBody"];
    let position = payload["position"].as_i64().unwrap();
    assert_eq!(payload["projected"], false, "{r:#}");
    assert_eq!(
        r["extensions"]["writes"],
        json!([{"position": position, "lsn": null, "projected": false, "visibleAfterMs": null}])
    );
    // The answer is folded from the log, so the caller still sees its own write.
    assert_eq!(payload["issuingBody"]["name"], "不等投影");
    let draft = &drafted["data"]["draftDocument"];
    assert_eq!(draft["projected"], true, "{drafted:#}");
    assert_eq!(draft["document"]["title"], "不等投影");
    assert_eq!(drafted["extensions"]["writes"][0]["visibleAfterMs"], 0.0);
}

/// Proves that a supersession stored under its former name `Amended` still loads on the write
/// side, projects, replays and verifies as `Superseded`, and that the stored row is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_amended_event_reads_as_superseded_everywhere() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "旧名事件", false).await;
    to_approved(&app, &id).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         SELECT 'NormativeDocument', $1, max(sequence) + 1, 'Amended', '1',
                '{\"Amended\": {\"on\": \"2020-03-01\", \"superseded_by\": \"南政办发〔2020〕1号\"}}',
                '{\"actor_id\": \"fixture\"}'
         FROM events WHERE aggregate_id = $1",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    // The write side loads it: the document is superseded, so repealing it is refused.
    let r = act(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &id,
        json!({"reason": "废止"}),
    )
    .await;
    assert_eq!(
        error_code(&r),
        ("BUSINESS_RULE".into(), Some("INVALID_TRANSITION".into())),
        "{r:#}"
    );
    let query = "query($id: String!) { document(id: $id) { status supersededBy } }";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let doc = app.ok(Role::Auditor, query, json!({"id": id})).await;
        if doc["document"]["status"] == "SUPERSEDED" {
            assert_eq!(doc["document"]["supersededBy"], "南政办发〔2020〕1号");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not projected: {doc}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    let doc = app.ok(Role::Auditor, query, json!({"id": id})).await;
    assert_eq!(doc["document"]["status"], "SUPERSEDED");
    let stored: String = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE aggregate_id = $1 ORDER BY sequence DESC LIMIT 1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, "Amended", "the stored event is never rewritten");
    assert!(
        normledger::store::integrity::verify(
            &app.pool,
            None,
            None,
            None,
            normledger::store::integrity::Trust::StoredKeys,
        )
        .await
        .unwrap()
        .is_intact()
    );
}
