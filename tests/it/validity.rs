//! Validity and catalogues: the expiry scheduler (injected clock, several servers, exactly
//! once), republication, business-related consultations, and importing documents issued
//! before the ledger through the real binary, all or nothing.

use normledger::domain::Role;
use normledger::process::Clock;
use serde_json::json;
use std::time::{Duration, Instant};

use crate::support::*;

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

async fn status(app: &TestApp, id: &str) -> serde_json::Value {
    app.ok(
        Role::Auditor,
        "query($id: String!) { document(id: $id) { status ending { on reason }
           issuance { validUntil } republications { republishedOn validUntil } } }",
        json!({"id": id}),
    )
    .await["document"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_expire_a_lapsed_document_exactly_once_on_the_injected_date() {
    let url = fresh_database().await;
    let mut settings = quiet_settings();
    settings.scheduler_every = Some(Duration::from_millis(50));
    // In force 2019-10-05 to 2024-10-04 (five years); the clock says 2024-10-06.
    settings.clock = Clock::Fixed(day("2024-10-06"));
    // Set up with no scheduler running, which would otherwise expire the second document
    // between its issue and its republication.
    let setup = TestApp::spawn_on(&url).await;
    list_bodies(&setup).await;
    let lapsed = issued(&setup, "到期文件", "南政办发〔2019〕63号").await;
    // Republished before expiry: a new period from 2024-09-01, not expired on 2024-10-06.
    let renewed = issued(&setup, "重新公布的文件", "南政办发〔2019〕64号").await;
    let r = setup
        .ok(
            Role::GovernmentOffice,
            "mutation($id: ID!) { republishDocument(id: $id, input: {republishedOn: \"2024-09-01\", registrationNumber: \"NCXR-2024-00012\"}) { document { issuance { validUntil } } } }",
            json!({"id": renewed}),
        )
        .await;
    assert_eq!(
        r["republishDocument"]["document"]["issuance"]["validUntil"],
        "2029-08-31"
    );
    setup.stop();
    let a = TestApp::spawn_with(&url, settings).await;
    let b = TestApp::spawn_with(&url, settings).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(&b, &lapsed).await["status"] != "EXPIRED" {
        assert!(Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let both schedulers run several more times.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expired: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT aggregate_id, metadata ->> 'role', payload -> 'Expired' ->> 'on' FROM events
         WHERE event_type = 'Expired'",
    )
    .fetch_all(&a.pool)
    .await
    .unwrap();
    assert_eq!(
        expired,
        [(lapsed.clone(), "SYSTEM".into(), "2024-10-05".into())],
        "one Expired, by the system, dated the day after the last day in force"
    );
    let s = status(&a, &lapsed).await;
    assert_eq!(s["ending"]["on"], "2024-10-05");
    assert_eq!(status(&a, &renewed).await["status"], "ISSUED");
    // Republishing after expiry is refused, and writes nothing.
    let before = a.event_count().await;
    let r = a
        .gql(
            Role::GovernmentOffice,
            "mutation($id: ID!) { republishDocument(id: $id, input: {republishedOn: \"2024-10-06\"}) { position } }",
            json!({"id": lapsed}),
        )
        .await;
    assert_eq!(
        error_code(&r).1.as_deref(),
        Some("INVALID_TRANSITION"),
        "{r:#}"
    );
    assert_eq!(a.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_business_related_draft_warns_below_thirty_days_of_consultation() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let r = app
        .ok(
            Role::Drafter,
            "mutation { draftDocument(input: {bodyCode: \"NCX-GOV\", title: \"关于优化营商环境的若干措施\",
               class: GOVERNMENT, isMajorDecision: false, marketRelated: true, draftedOn: \"2019-06-01\"}) { document { id marketRelated } } }",
            json!({}),
        )
        .await;
    let id = r["draftDocument"]["document"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(r["draftDocument"]["document"]["marketRelated"], true);
    // Ten working days: enough for the 7-working-day rule, not for 30 days.
    step(
        &app,
        Role::Drafter,
        "openConsultation",
        &id,
        json!({"openedOn": "2019-06-03", "closesOn": "2019-06-17", "channel": "县政府网站"}),
    )
    .await;
    let w = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { warnings(today: \"2019-06-04\") { code message } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        w["document"]["warnings"][0]["code"], "CONSULTATION_TOO_SHORT",
        "{w:#}"
    );
    assert!(
        w["document"]["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("30 days"),
        "{w:#}"
    );
}

async fn import(url: &str, file: &std::path::Path) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .env("DATABASE_URL", url)
        .args([
            "import",
            "documents",
            file.to_str().unwrap(),
            "--provenance",
            "南昌县规范性文件目录（2018年版）",
            "--operator",
            "test",
        ])
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_imports_all_or_nothing_and_a_rerun_completes_it() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let dir = temp_dir("normledger-import");
    let header = "number,title,body_code,issued_on,published_on,effective_on,valid_until,status,ended_on,filed_on\n";
    let good = [
        "南府发〔2016〕3号,\"南昌县城区道路交通管理办法（含“限行”, 停车）\",NCX-GOV,2016-03-01,2016-03-05,2016-04-05,2021-04-04,EXPIRED,2021-04-05,2016-03-20",
        "南府发〔2018〕12号,南昌县农村集体资产管理办法,NCX-GOV,2018-05-10,2018-05-12,2018-06-12,2023-06-11,ISSUED,,2018-05-30",
        "南政办发〔2018〕40号,南昌县政府信息公开工作规定,NCX-GOV-OFFICE,2018-08-01,2018-08-01,2018-09-01,2023-08-31,REPEALED,2019-01-01,",
    ];
    // One good row, then: a malformed number, a status with no end date, a duplicate, an
    // agency code of another body, a date that is no date.
    let bad_rows = [
        good[0],
        "南府发2016-4,甲,NCX-GOV,2016-03-01,,,2021-03-01,ISSUED,,",
        "南府发〔2016〕5号,乙,NCX-GOV,2016-03-01,,,2021-03-01,REPEALED,,",
        "南府发〔2016〕3号,丙,NCX-GOV,2016-03-01,,,2021-03-01,ISSUED,,",
        "南司发〔2016〕1号,丁,NCX-GOV,2016-03-01,,,2021-03-01,ISSUED,,",
        "南府发〔2016〕6号,戊,NCX-GOV,March,,,2021-03-01,ISSUED,,",
    ];
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, format!("{header}{}\n", bad_rows.join("\n"))).unwrap();
    let out = import(&url, &bad).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for line in 3..=7 {
        assert!(
            stderr.contains(&format!("line {line}:")),
            "line {line} reported: {stderr}"
        );
    }
    assert!(!stderr.contains("line 2:"), "{stderr}");
    assert_eq!(
        app.event_count().await,
        2,
        "nothing from the bad file was written"
    );

    // A good file, then the same file again (as after an interrupted run).
    let file = dir.join("catalogue.csv");
    std::fs::write(&file, format!("{header}{}\n", good.join("\n"))).unwrap();
    let out = import(&url, &file).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3 documents (0 already"));
    let out = import(&url, &file).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 0 documents (3 already"));

    let docs = app
        .ok(
            Role::Auditor,
            "{ documents(first: 10) { edges { node { title status importedFrom
                 issuance { number validUntil } ending { on } } } } }",
            json!({}),
        )
        .await;
    let edges = docs["documents"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3);
    let first = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["issuance"]["number"] == "南府发〔2016〕3号")
        .unwrap();
    assert_eq!(
        first["title"],
        "南昌县城区道路交通管理办法（含“限行”, 停车）"
    );
    assert_eq!(first["status"], "EXPIRED");
    assert_eq!(first["ending"]["on"], "2021-04-05");
    assert_eq!(first["importedFrom"], "南昌县规范性文件目录（2018年版）");
    // The imported numbers are claimed like issued ones (never reusable).
    let mut claimed: Vec<String> = sqlx::query_scalar(
        "SELECT agency_code || year || '-' || serial FROM document_number_claims",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    claimed.sort();
    assert_eq!(
        claimed,
        ["南府发2016-3", "南府发2018-12", "南政办发2018-40"]
    );
    // Another document under an imported number is refused, by line.
    let clash = dir.join("clash.csv");
    std::fs::write(
        &clash,
        format!("{header}南府发〔2016〕3号,另一个文件,NCX-GOV,2016-03-01,,,2021-03-01,ISSUED,,\n"),
    )
    .unwrap();
    let out = import(&url, &clash).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("line 2: 南府发〔2016〕3号 is already held"),
        "{stderr}"
    );
    let actor: String = sqlx::query_scalar(
        "SELECT metadata ->> 'actor_id' FROM events WHERE event_type = 'DocumentImported' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, "system:import:test");
}

/// Proves RECORDED_LATE (backdating): a step dated more than `backdating_days` before the day
/// it is recorded is flagged on the document for those who may read its history, naming the
/// event; a step dated today is not; readers who may not see the history (an advisor) do not
/// see when steps were recorded; and the threshold is the operator's setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_dated_long_before_it_was_recorded_is_flagged_for_auditors() {
    const WARNINGS: &str =
        "query($id: String!) { document(id: $id) { warnings { code message } } }";
    let codes = |r: &serde_json::Value| -> Vec<String> {
        r["document"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    // Dated 2019-06-01, recorded today: years late.
    let old = draft(&app, "补录的文件", false).await;
    let r = app.ok(Role::Auditor, WARNINGS, json!({"id": old})).await;
    assert_eq!(codes(&r), ["RECORDED_LATE"], "{r:#}");
    let message = r["document"]["warnings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("Drafted at position"), "{message}");
    assert!(message.contains("dated 2019-06-01"), "{message}");
    let r = app.ok(Role::Drafter, WARNINGS, json!({"id": old})).await;
    assert_eq!(
        codes(&r),
        ["RECORDED_LATE"],
        "the drafting body sees its own history"
    );
    // An advisor sees the document in review only, and never its history.
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &old,
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
    )
    .await;
    let r = app.ok(Role::Advisor, WARNINGS, json!({"id": old})).await;
    assert!(codes(&r).is_empty(), "{r:#}");

    // Dated today: on time.
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let r = app
        .ok(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": "当日登记", "class": "GOVERNMENT",
                   "isMajorDecision": false, "draftedOn": today.to_string()}}),
        )
        .await;
    let fresh = r["draftDocument"]["document"]["id"].as_str().unwrap();
    let r = app.ok(Role::Auditor, WARNINGS, json!({"id": fresh})).await;
    assert!(codes(&r).is_empty(), "{r:#}");

    // The operator's threshold: with 10,000 days allowed, 2019 is not late.
    let mut settings = quiet_settings();
    settings.write.warnings.backdating_days = 10_000;
    let lenient = TestApp::spawn_with(&url, settings).await;
    let r = lenient
        .ok(Role::Auditor, WARNINGS, json!({"id": old}))
        .await;
    assert!(codes(&r).is_empty(), "{r:#}");
}
