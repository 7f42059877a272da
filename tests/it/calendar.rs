//! The working-day calendar: review due dates counted in working days on the shipped
//! calendar (with 调休), overdue reviews listed, uncovered years refused, and imports.

use normledger::domain::Role;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_is_due_fifteen_working_days_after_it_starts_and_is_listed_once_overdue() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "国庆前送审", false).await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿"], "submittedOn": "2019-09-20"}),
    )
    .await;
    // Started Friday 2019-09-20: the working days run 23–27, 29 (a make-up Sunday), 30, then
    // 10-08 after the National Day holiday, …
    let r = act(
        &app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"startedOn": "2019-09-20"}),
    )
    .await;
    assert!(r.get("errors").is_none(), "{r:#}");
    let due = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { review { dueOn } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(due["document"]["review"]["dueOn"], "2019-10-16");

    let overdue = |today: &'static str| {
        let app = &app;
        async move {
            app.ok(
                Role::LegalOffice,
                "query($t: NaiveDate) { overdueReviews(today: $t) { edges { node { id review { dueOn } } } } }",
                json!({"t": today}),
            )
            .await["overdueReviews"]["edges"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(overdue("2019-10-16").await, 0);
    assert_eq!(overdue("2019-10-17").await, 1);
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法", "concludedOn": "2019-10-17"}),
    )
    .await;
    assert_eq!(
        overdue("2019-10-17").await,
        0,
        "a concluded review is no longer overdue"
    );

    // A year the calendar does not cover is refused, not guessed.
    let other = draft(&app, "日历外", false).await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &other,
        json!({"materials": ["送审稿"], "submittedOn": "2019-09-20"}),
    )
    .await;
    let before = app.event_count().await;
    let r = act(
        &app,
        Role::LegalOffice,
        "startReview",
        &other,
        json!({"startedOn": "2030-01-02"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not cover 2030")
    );
    assert_eq!(app.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_is_imported_from_csv_and_used_after_a_restart() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    let dir = temp_dir("normledger-calendar");
    let csv = dir.join("2030.csv");
    std::fs::write(
        &csv,
        "date,kind\n2030-01-01,OFF\n2030-01-02,OFF\n2030-01-05,WORKDAY\n",
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(["calendar", "import"])
        .arg(&csv)
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "2030-01-01,HOLIDAY\n").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(["calendar", "import"])
        .arg(&bad)
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success(), "a malformed calendar is refused");
    app.stop();
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let id = draft(&app, "新日历", false).await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿"], "submittedOn": "2019-09-20"}),
    )
    .await;
    // The imported file covers 2030 only: counting from 2029-12-20 must refuse.
    let r = act(
        &app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"startedOn": "2029-12-20"}),
    )
    .await;
    assert_eq!(
        error_code(&r).0,
        "BAD_USER_INPUT",
        "2029 is not covered by the imported file"
    );
    step(
        &app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"startedOn": "2030-01-01"}),
    )
    .await;
    let due = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { review { dueOn } } }",
            json!({"id": id}),
        )
        .await;
    // From 2030-01-01: 03, 04, 05 (make-up Saturday), 07–11, 14–18, 21, 22 → the 15th is 01-22.
    assert_eq!(due["document"]["review"]["dueOn"], "2030-01-22");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filing_deadlines_warnings_and_expiring_documents_are_listed() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "待备案", false).await;
    to_approved(&app, &id).await;
    // Published 2019-09-05, in force 2019-10-05, valid until 2024-10-04.
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let list = |query: &'static str, vars: serde_json::Value| {
        let app = &app;
        async move {
            let r = app.ok(Role::LegalOffice, query, vars).await;
            r.as_object().unwrap().values().next().unwrap()["edges"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    const FILINGS: &str =
        "query($t: NaiveDate) { overdueFilings(today: $t) { edges { node { id } } } }";
    assert_eq!(list(FILINGS, json!({"t": "2019-10-05"})).await, 0);
    assert_eq!(list(FILINGS, json!({"t": "2019-10-06"})).await, 1);
    let w = app
        .ok(Role::Auditor, "query($id: String!) { document(id: $id) { warnings(today: \"2019-10-06\") { code message } } }", json!({"id": id}))
        .await;
    assert_eq!(w["document"]["warnings"][0]["code"], "FILING_OVERDUE");
    step(
        &app,
        Role::Drafter,
        "fileForRecord",
        &id,
        json!({"filedOn": "2019-10-08"}),
    )
    .await;
    assert_eq!(list(FILINGS, json!({"t": "2019-10-09"})).await, 0);
    let w = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { warnings { code } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        w["document"]["warnings"][0]["code"], "FILED_LATE",
        "the late filing stays on record"
    );

    const EXPIRING: &str = "query($t: NaiveDate, $w: Int) { expiringDocuments(today: $t, withinDays: $w) { edges { node { id } } } }";
    assert_eq!(
        list(EXPIRING, json!({"t": "2024-04-01"})).await,
        0,
        "more than six months ahead"
    );
    assert_eq!(
        list(EXPIRING, json!({"t": "2024-04-05"})).await,
        1,
        "within the 183-day evaluation window"
    );
    assert_eq!(
        list(EXPIRING, json!({"t": "2024-10-05"})).await,
        0,
        "already lapsed"
    );
    let r = app
        .gql(
            Role::Auditor,
            "{ expiringDocuments(withinDays: -1) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");
}

/// Proves that the deadline lists are Relay connections that page by their due date: every
/// overdue review exactly once across pages of two, in due order, and a foreign cursor is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_lists_page_by_due_date_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let mut expected = vec![];
    for (i, due) in [
        "2019-07-20",
        "2019-07-18",
        "2019-07-22",
        "2019-07-18",
        "2019-07-25",
    ]
    .iter()
    .enumerate()
    {
        let id = draft(&app, &format!("逾期审核{i}"), false).await;
        step(
            &app,
            Role::Drafter,
            "submitForReview",
            &id,
            json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
        )
        .await;
        step(
            &app,
            Role::LegalOffice,
            "startReview",
            &id,
            json!({"startedOn": "2019-07-02", "dueOn": due}),
        )
        .await;
        expected.push((due.to_string(), id));
    }
    expected.sort();
    let query =
        "query($after: String) { overdueReviews(today: \"2019-08-01\", first: 2, after: $after) {
        edges { cursor node { id review { dueOn } } } pageInfo { hasNextPage } } }";
    let (mut seen, mut after) = (vec![], Value::Null);
    loop {
        let r = app
            .ok(Role::LegalOffice, query, json!({"after": after}))
            .await;
        let page = &r["overdueReviews"];
        for e in page["edges"].as_array().unwrap() {
            seen.push((
                e["node"]["review"]["dueOn"].as_str().unwrap().to_owned(),
                e["node"]["id"].as_str().unwrap().to_owned(),
            ));
            after = e["cursor"].clone();
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
    }
    assert_eq!(seen, expected);
    let r = app
        .gql(
            Role::LegalOffice,
            "{ overdueReviews(after: \"nope\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");
}
