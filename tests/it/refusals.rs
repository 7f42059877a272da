//! Every domain refusal reaches the client as BUSINESS_RULE with its rule name, bad input as
//! BAD_USER_INPUT naming the field — and none of them writes an event.

use normledger::domain::Role;
use serde_json::{Value, json};

use crate::support::*;

/// Asserts a response answered `code`/`rule`, and that the log did not grow.
async fn refused(code: &str, rule: Option<&str>, body: Value) {
    let (got_code, got_rule) = error_code(&body);
    assert_eq!(got_code, code, "{body:#}");
    assert_eq!(got_rule.as_deref(), rule, "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_domain_refusal_is_a_business_rule_and_writes_nothing() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let drafting = draft(&app, "起草中的文件", false).await;
    let major = draft(&app, "重大行政决策事项", true).await;
    let approved = draft(&app, "已通过的文件", false).await;
    to_approved(&app, &approved).await;
    let taken = draft(&app, "已发文的文件", false).await;
    to_approved(&app, &taken).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &taken,
        issue_input("南政办发〔2019〕53号"),
    )
    .await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &major,
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
    )
    .await;
    step(
        &app,
        Role::LegalOffice,
        "startReview",
        &major,
        json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
    )
    .await;
    let before = app.event_count().await;

    let cases: Vec<(&str, Value)> = vec![
        ("ISSUING_BODY_INELIGIBLE", app.gql(Role::LegalOffice, LIST_BODY, json!({"input": {
            "code": "NCX-PUFA", "name": "南昌县普法办", "kind": "COORDINATION_BODY_OFFICE", "agencyCodes": ["南普法发"]}})).await),
        ("ISSUING_BODY_ALREADY_LISTED", app.gql(Role::LegalOffice, LIST_BODY, json!({"input": {
            "code": "NCX-GOV", "name": "南昌县人民政府", "kind": "COUNTY_GOVERNMENT", "agencyCodes": ["南府发"]}})).await),
        ("ISSUING_BODY_NOT_LISTED", app.gql(Role::Drafter, DRAFT, json!({"input": {
            "bodyCode": "NCX-GOV", "title": "早于清单", "class": "GOVERNMENT", "isMajorDecision": false, "draftedOn": "2018-12-31"}})).await),
        ("INVALID_TRANSITION", act(&app, Role::LegalOffice, "startReview", &drafting, json!({"dueOn": "2030-01-01"})).await),
        ("REVIEW_NOT_LAWFUL", act(&app, Role::GovernmentOffice, "recordDeliberation", &drafting,
            json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "常务会议"})).await),
        ("NOT_APPROVED", act(&app, Role::GovernmentOffice, "issueDocument", &drafting, issue_input("南政办发〔2019〕70号")).await),
        ("DOCUMENT_NUMBER_TAKEN", act(&app, Role::GovernmentOffice, "issueDocument", &approved, issue_input("南政办发〔2019〕53号")).await),
        ("AGENCY_CODE_NOT_OF_BODY", act(&app, Role::GovernmentOffice, "issueDocument", &approved, issue_input("南府发〔2019〕1号")).await),
        ("VALIDITY_TOO_LONG", act(&app, Role::GovernmentOffice, "issueDocument", &approved, {
            let mut i = issue_input("南政办发〔2019〕71号");
            i["validUntil"] = json!("2030-01-01");
            i
        }).await),
        ("ADVISOR_OPINION_REQUIRED", act(&app, Role::LegalOffice, "concludeReview", &major,
            json!({"outcome": "LAWFUL", "opinion": "合法"})).await),
        ("ISSUES_REQUIRED", act(&app, Role::LegalOffice, "concludeReview", &major,
            json!({"outcome": "MUST_REVISE", "opinion": "修改"})).await),
        ("INVALID_TRANSITION", act(&app, Role::GovernmentOffice, "repealDocument", &approved, json!({"reason": "x"})).await),
        ("INVALID_TRANSITION", act(&app, Role::Drafter, "withdrawDocument", &taken, json!({"reason": "x"})).await),
    ];
    for (rule, body) in cases {
        refused("BUSINESS_RULE", Some(rule), body).await;
    }
    assert_eq!(
        app.event_count().await,
        before,
        "a refused command wrote an event"
    );

    // ISSUE_RESPONSES_INCOMPLETE needs a document under MUST_REVISE.
    step(
        &app,
        Role::Advisor,
        "addAdvisorOpinion",
        &major,
        json!({"text": "意见"}),
    )
    .await;
    step(&app, Role::LegalOffice, "concludeReview", &major,
         json!({"outcome": "MUST_REVISE", "opinion": "修改", "issues": [{"text": "一"}, {"text": "二"}]})).await;
    let before = app.event_count().await;
    let body = act(&app, Role::Drafter, "submitRevision", &major,
                   json!({"responses": [{"issueNumber": 1, "adopted": true}, {"issueNumber": 2, "adopted": false}]})).await;
    refused("BUSINESS_RULE", Some("ISSUE_RESPONSES_INCOMPLETE"), body).await;
    assert_eq!(app.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_bad_user_input_naming_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let approved = draft(&app, "待发文", false).await;
    to_approved(&app, &approved).await;
    let before = app.event_count().await;

    for number in [
        "南政办发2019年63号",
        "南政办发〔2019〕063号",
        "南政办发〔1900〕1号",
        "南政办发〔2019〕第1号",
        "",
        "〔2019〕1号",
    ] {
        let body = act(
            &app,
            Role::GovernmentOffice,
            "issueDocument",
            &approved,
            issue_input(number),
        )
        .await;
        refused("BAD_USER_INPUT", None, body.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "number",
            "{number}"
        );
    }
    let cases = vec![
        ("title", app.gql(Role::Drafter, DRAFT, json!({"input": {"bodyCode": "NCX-GOV", "title": "  ", "class": "GOVERNMENT", "isMajorDecision": false}})).await),
        ("title", app.gql(Role::Drafter, DRAFT, json!({"input": {"bodyCode": "NCX-GOV", "title": "a\u{0}b", "class": "GOVERNMENT", "isMajorDecision": false}})).await),
        ("title", app.gql(Role::Drafter, DRAFT, json!({"input": {"bodyCode": "NCX-GOV", "title": "长".repeat(301), "class": "GOVERNMENT", "isMajorDecision": false}})).await),
        ("id", act(&app, Role::LegalOffice, "startReview", "not-a-uuid", json!({"dueOn": "2030-01-01"})).await),
        ("first", app.gql(Role::Auditor, "{ documents(first: 1000) { edges { cursor } } }", json!({})).await),
        ("effectiveOn", act(&app, Role::GovernmentOffice, "issueDocument", &approved, {
            let mut i = issue_input("南政办发〔2019〕80号");
            i["effectiveOn"] = json!("2019-09-01");
            i
        }).await),
    ];
    for (field, body) in cases {
        refused("BAD_USER_INPUT", None, body.clone()).await;
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body:#}");
    }
    // Malformed dates, wrong types and unknown fields are rejected by the schema itself.
    for body in [
        act(
            &app,
            Role::LegalOffice,
            "startReview",
            &approved,
            json!({"dueOn": "2019-02-30"}),
        )
        .await,
        act(
            &app,
            Role::LegalOffice,
            "startReview",
            &approved,
            json!({"dueOn": 20190230}),
        )
        .await,
        act(
            &app,
            Role::LegalOffice,
            "startReview",
            &approved,
            json!({"dueOn": "2019-07-01", "bogus": 1}),
        )
        .await,
        app.gql(Role::Auditor, "{ documents { nope } }", json!({}))
            .await,
        app.gql(Role::Auditor, "{ documents(", json!({})).await,
        // 重大行政决策 is stated on every draft, never inferred (from a title or a default).
        app.gql(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV", "title": "关于重大事项的决定", "class": "GOVERNMENT"}}),
        )
        .await,
    ] {
        refused("BAD_USER_INPUT", None, body).await;
    }
    assert_eq!(app.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_documents_are_not_found() {
    let app = TestApp::spawn().await;
    let body = act(
        &app,
        Role::LegalOffice,
        "startReview",
        &uuid::Uuid::now_v7().to_string(),
        json!({"dueOn": "2030-01-01"}),
    )
    .await;
    refused("NOT_FOUND", None, body).await;
    let data = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { id } }",
            json!({"id": uuid::Uuid::now_v7().to_string()}),
        )
        .await;
    assert_eq!(data["document"], Value::Null);
}
