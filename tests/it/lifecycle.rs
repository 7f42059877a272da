//! One document's whole lifecycle through GraphQL over HTTP, from drafting to repeal, checking
//! the read model and the audit trail after every step.

use normledger::domain::Role;
use serde_json::{Value, json};

use crate::support::*;

const AUDIT: &str = "query($id: String!) {
  auditTrail(filter: {aggregateId: $id}, first: 100) {
    edges { cursor node { eventType role actorId sequence payload metadata } }
    pageInfo { hasNextPage } } }";

const DOCUMENT: &str = "query($id: String!) { document(id: $id) {
  id status filingStatus title version revisionCount isMajorDecision
  consultations { openedOn closesOn closedOn commentsReceived }
  review { submittedOn materials startedOn dueOn outcome returns { reason }
           advisorOpinions { advisorName text } issues { number clause text adopted responseReason } }
  reviews { outcome }
  deliberations { outcome meeting heldOn }
  issuance { number agencyCode year serial registrationNumber issuedOn publishedOn effectiveOn validUntil }
  filings { filedOn authorities outcome }
  corrections { description }
  ending { reason decisionDocument }
  history { eventType role }
} }";

async fn audit(app: &TestApp, id: &str) -> Vec<Value> {
    let data = app.ok(Role::Auditor, AUDIT, json!({"id": id})).await;
    data["auditTrail"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn document(app: &TestApp, id: &str) -> Value {
    app.ok(Role::Auditor, DOCUMENT, json!({"id": id})).await["document"].clone()
}

/// After each step: the read model shows `status`, and the audit trail's newest event is
/// `event` by `role`, with one more event than before.
async fn check(
    app: &TestApp,
    id: &str,
    expected_events: usize,
    status: &str,
    event: &str,
    role: Role,
) {
    let doc = document(app, id).await;
    assert_eq!(doc["status"], status, "{event}: {doc:#}");
    assert_eq!(doc["version"], expected_events as i64);
    let trail = audit(app, id).await;
    assert_eq!(trail.len(), expected_events, "{event}");
    let last = trail.last().unwrap();
    assert_eq!(last["eventType"], event);
    assert_eq!(last["role"], role.as_str());
    assert_eq!(last["sequence"], expected_events as i64);
    for key in [
        "actor_id",
        "role",
        "request_id",
        "correlation_id",
        "bodies",
        "command",
    ] {
        assert!(
            last["metadata"].get(key).is_some(),
            "{event} metadata lacks {key}"
        );
    }
    let history = doc["history"].as_array().unwrap();
    assert_eq!(history.len(), expected_events);
    assert_eq!(history.last().unwrap()["eventType"], event);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_goes_from_draft_to_repeal_with_every_step_in_the_log() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(
        &app,
        "关于全面推行行政规范性文件合法性审核机制的实施意见",
        true,
    )
    .await;
    check(&app, &id, 1, "DRAFTING", "Drafted", Role::Drafter).await;

    let steps: Vec<(Role, &str, Value, &str, &str)> = vec![
        (
            Role::Drafter,
            "reviseDraft",
            json!({"summary": "第二稿", "revisedOn": "2019-06-03"}),
            "DRAFTING",
            "DraftRevised",
        ),
        (
            Role::Drafter,
            "openConsultation",
            json!({"openedOn": "2019-06-05", "closesOn": "2019-06-20", "channel": "县政府门户网站"}),
            "CONSULTATION",
            "ConsultationOpened",
        ),
        (
            Role::Drafter,
            "closeConsultation",
            json!({"closedOn": "2019-06-20", "commentsReceived": 12, "adoptionSummary": "采纳3条"}),
            "DRAFTING",
            "ConsultationClosed",
        ),
        (
            Role::Drafter,
            "submitForReview",
            json!({"materials": ["送审稿"], "submittedOn": "2019-06-25"}),
            "SUBMITTED",
            "SubmittedForReview",
        ),
        (
            Role::LegalOffice,
            "returnMaterials",
            json!({"reason": "缺少起草说明", "returnedOn": "2019-06-26"}),
            "DRAFTING",
            "MaterialsReturned",
        ),
        (
            Role::Drafter,
            "submitForReview",
            json!({"materials": ["送审稿", "起草说明"], "submittedOn": "2019-07-01"}),
            "SUBMITTED",
            "SubmittedForReview",
        ),
        (
            Role::LegalOffice,
            "startReview",
            json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
            "UNDER_REVIEW",
            "ReviewStarted",
        ),
        (
            Role::Advisor,
            "addAdvisorOpinion",
            json!({"text": "建议删除第五条", "conclusion": "基本合法", "givenOn": "2019-07-05"}),
            "UNDER_REVIEW",
            "AdvisorOpinionAdded",
        ),
        (
            Role::LegalOffice,
            "concludeReview",
            json!({"outcome": "MUST_REVISE", "opinion": "应当予以修改", "concludedOn": "2019-07-10",
            "issues": [{"clause": "第五条", "text": "缺乏上位法依据"}, {"text": "表述不规范"}]}),
            "REVISING",
            "ReviewConcluded",
        ),
        (
            Role::Drafter,
            "submitRevision",
            json!({"submittedOn": "2019-07-15", "responses": [
            {"issueNumber": 1, "adopted": true}, {"issueNumber": 2, "adopted": false, "reason": "沿用上位法表述"}]}),
            "UNDER_REVIEW",
            "RevisionSubmitted",
        ),
        (
            Role::LegalOffice,
            "concludeReview",
            json!({"outcome": "LAWFUL", "opinion": "合法", "concludedOn": "2019-07-18"}),
            "AWAITING_DELIBERATION",
            "ReviewConcluded",
        ),
        (
            Role::GovernmentOffice,
            "recordDeliberation",
            json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "县政府第12次常务会议", "heldOn": "2019-08-20"}),
            "APPROVED",
            "Deliberated",
        ),
        (
            Role::GovernmentOffice,
            "issueDocument",
            json!({"number": "南政办发[2019]63号", "registrationNumber": "NCXR-2019-00063", "signer": "县长",
            "issuedOn": "2019-09-02", "publishedOn": "2019-09-05", "effectiveOn": "2019-10-05"}),
            "ISSUED",
            "Issued",
        ),
        (
            Role::Drafter,
            "fileForRecord",
            json!({"filedOn": "2019-09-20", "authorities": ["南昌市人民政府", "南昌县人大常委会"]}),
            "ISSUED",
            "FiledForRecord",
        ),
        (
            Role::FilingAuthority,
            "recordFilingReview",
            json!({"authority": "南昌市人民政府", "outcome": "ACCEPTED", "reviewedOn": "2019-10-10"}),
            "ISSUED",
            "FilingReviewed",
        ),
        (
            Role::FilingAuthority,
            "recordFilingReview",
            json!({"authority": "南昌县人大常委会", "outcome": "ACCEPTED", "reviewedOn": "2019-10-11"}),
            "ISSUED",
            "FilingReviewed",
        ),
        (
            Role::GovernmentOffice,
            "correctDocument",
            json!({"description": "第三条错字", "correctedOn": "2019-10-12"}),
            "ISSUED",
            "Corrected",
        ),
        (
            Role::GovernmentOffice,
            "repealDocument",
            json!({"reason": "清理废止", "decisionDocument": "南府发〔2023〕9号", "on": "2023-01-01"}),
            "REPEALED",
            "Repealed",
        ),
    ];
    for (i, (role, mutation, input, status, event)) in steps.into_iter().enumerate() {
        assert_eq!(
            step(&app, role, mutation, &id, input).await,
            status,
            "{mutation}"
        );
        check(&app, &id, i + 2, status, event, role).await;
    }

    let doc = document(&app, &id).await;
    assert_eq!(doc["filingStatus"], "ACCEPTED");
    assert_eq!(doc["revisionCount"], 1);
    assert_eq!(doc["consultations"][0]["commentsReceived"], 12);
    assert_eq!(doc["review"]["materials"], json!(["送审稿", "起草说明"]));
    assert_eq!(doc["review"]["dueOn"], "2019-07-20");
    assert_eq!(doc["review"]["outcome"], "LAWFUL");
    assert_eq!(
        doc["review"]["advisorOpinions"][0]["advisorName"],
        "test ADVISOR"
    );
    assert_eq!(
        doc["reviews"].as_array().unwrap().len(),
        2,
        "returned materials start a new review"
    );
    let issuance = &doc["issuance"];
    assert_eq!(
        issuance["number"], "南政办发〔2019〕63号",
        "brackets normalised"
    );
    assert_eq!(issuance["serial"], 63);
    assert_eq!(
        issuance["validUntil"], "2024-10-04",
        "five years less a day by default"
    );
    assert_eq!(doc["deliberations"][0]["meeting"], "县政府第12次常务会议");
    assert_eq!(doc["ending"]["decisionDocument"], "南府发〔2023〕9号");

    // The review's issues carry the drafter's answers.
    let with_issues = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { reviews { conclusions { outcome issues { number adopted responseReason } } } } }",
            json!({"id": id}),
        )
        .await;
    let first = &with_issues["document"]["reviews"][1]["conclusions"][0];
    assert_eq!(first["outcome"], "MUST_REVISE");
    assert_eq!(first["issues"][1]["adopted"], false);
    assert_eq!(first["issues"][1]["responseReason"], "沿用上位法表述");

    // The body's documents, filterable by status, and the documents query's filters.
    let body = app
        .ok(
            Role::Auditor,
            "{ issuingBody(code: \"NCX-GOV-OFFICE\") { name listed
                 repealed: documents(status: REPEALED) { edges { node { id } } }
                 drafting: documents(status: DRAFTING) { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["issuingBody"]["repealed"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    assert_eq!(body["issuingBody"]["drafting"]["edges"], json!([]));
    for (filter, hits) in [
        (json!({"titleContains": "合法性审核"}), 1),
        (json!({"titleContains": "不存在的标题"}), 0),
        (json!({"year": 2019, "bodyCode": "NCX-GOV-OFFICE"}), 1),
        (json!({"year": 2020}), 0),
        (json!({"status": "ISSUED"}), 0),
    ] {
        let found = app
            .ok(
                Role::Auditor,
                "query($f: DocumentsFilter) { documents(filter: $f) { edges { node { id } } } }",
                json!({"f": filter}),
            )
            .await;
        assert_eq!(
            found["documents"]["edges"].as_array().unwrap().len(),
            hits,
            "{filter}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_filters_and_pages_in_commit_order() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let a = draft(&app, "文件甲", false).await;
    let b = draft(&app, "文件乙", false).await;
    to_awaiting_deliberation(&app, &a).await;

    let page = |filter: Value, first: i64, after: Option<String>| {
        let app = &app;
        async move {
            app.ok(
                Role::Auditor,
                "query($f: AuditTrailFilter, $first: Int, $after: String) {
                   auditTrail(filter: $f, first: $first, after: $after) {
                     edges { cursor node { position eventType aggregateId role } }
                     pageInfo { hasNextPage hasPreviousPage } } }",
                json!({"f": filter, "first": first, "after": after}),
            )
            .await["auditTrail"]
                .clone()
        }
    };
    // 2 bodies + 2 drafts + 3 steps = 7 events; walk them 3 at a time.
    let mut seen = vec![];
    let mut after = None;
    loop {
        let p = page(json!({}), 3, after.clone()).await;
        for e in p["edges"].as_array().unwrap() {
            seen.push(e["node"]["position"].as_i64().unwrap());
            after = Some(e["cursor"].as_str().unwrap().to_owned());
        }
        if p["pageInfo"]["hasNextPage"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no event twice");

    let legal = page(json!({"role": "LEGAL_OFFICE"}), 100, None).await;
    assert_eq!(
        legal["edges"].as_array().unwrap().len(),
        4,
        "2 listings + start + conclude"
    );
    let only_b = page(json!({"aggregateId": b}), 100, None).await;
    assert_eq!(only_b["edges"].as_array().unwrap().len(), 1);
    let types = page(
        json!({"eventTypes": ["Drafted", "ReviewStarted"]}),
        100,
        None,
    )
    .await;
    assert_eq!(types["edges"].as_array().unwrap().len(), 3);
    let docs = page(json!({"aggregateType": "NormativeDocument"}), 100, None).await;
    assert_eq!(docs["edges"].as_array().unwrap().len(), 5);
    let future = page(json!({"from": "2999-01-01T00:00:00Z"}), 100, None).await;
    assert_eq!(future["edges"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_as_of_an_earlier_instant_is_folded_from_the_log() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "历史状态", false).await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
    )
    .await;
    let between: String = sqlx::query_scalar(
        "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    step(
        &app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
    )
    .await;
    let then = app
        .ok(
            Role::Auditor,
            "query($id: String!, $at: DateTime) { document(id: $id, asOf: $at) { status version history { eventType } } }",
            json!({"id": id, "at": between}),
        )
        .await;
    assert_eq!(then["document"]["status"], "SUBMITTED");
    assert_eq!(then["document"]["version"], 2);
    assert_eq!(then["document"]["history"].as_array().unwrap().len(), 2);
    let before = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id, asOf: \"2000-01-01T00:00:00Z\") { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        before["document"],
        Value::Null,
        "the document did not exist then"
    );
}

/// Pins down the documented bound of `asOf`: record time is the writing transaction's start,
/// so an answer for an instant T can still change while a transaction that started before T
/// is running; once every such transaction has ended, it is final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_as_of_answer_is_final_once_every_transaction_started_before_it_has_ended() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let mut late = app.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         SELECT aggregate_type, 'NCX-LATE', 1, event_type, event_version, payload, metadata
         FROM events WHERE aggregate_type = 'IssuingBody' AND aggregate_id = 'NCX-GOV'
           AND sequence = 1",
    )
    .execute(&mut *late)
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let t = chrono::Utc::now().to_rfc3339();
    let query = "query($t: DateTime!) { issuingBody(code: \"NCX-LATE\", asOf: $t) { code } }";
    let before = app.ok(Role::Auditor, query, json!({"t": t})).await;
    assert!(before["issuingBody"].is_null(), "not committed yet");
    late.commit().await.unwrap();
    let after = app.ok(Role::Auditor, query, json!({"t": t})).await;
    assert!(
        !after["issuingBody"].is_null(),
        "recorded before T by a transaction that started before T and committed after the first answer"
    );
}
