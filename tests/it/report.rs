//! The annual report over the whole 2019 demo story, loaded through the real commands: the
//! county's "取消证明事项1项", with every figure traceable to the events it counted.

use normledger::app::App;
use normledger::domain::Role;
use serde_json::json;

use crate::support::*;

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/demo/nanchang-county-2019.json"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2019_report_shows_the_countys_figures_with_their_provenance() {
    let url = fresh_database().await;
    let pool = normledger::store::connect(&url, 4).await.unwrap();
    let loader = App::start(pool, quiet_settings()).await.unwrap();
    let summary = normledger::demo::load_if_empty(&loader.ledger, std::path::Path::new(DEMO))
        .await
        .unwrap()
        .expect("an empty ledger is loaded");
    assert_eq!((summary.certification_items, summary.campaigns), (3, 2));
    // 工作制度 and the 2019 工作要点 are internal work documents: not in the ledger.
    assert_eq!(summary.internal_left_out, 4);
    loader.stop().await.unwrap();

    let app = TestApp::spawn_on(&url).await;
    let r = app
        .ok(
            Role::Auditor,
            "{ annualReport(year: 2019) { year markdown figures { key value provenance { aggregateType aggregateIds eventTypes } } } }",
            json!({}),
        )
        .await;
    let report = &r["annualReport"];
    let figure = |key: &str| {
        report["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .clone()
    };
    let cancelled = figure("certification.cancelled");
    assert_eq!(cancelled["value"], 1.0, "as the county reported");
    assert!(
        report["markdown"]
            .as_str()
            .unwrap()
            .contains("取消证明事项1项")
    );
    assert_eq!(figure("certification.retained")["value"], 2.0);
    assert_eq!(
        figure("reviews.mustRevise")["value"],
        2.0,
        "the two advisor-revised documents"
    );
    assert_eq!(figure("cleanup.examined")["value"], 2.0);
    assert_eq!(figure("cleanup.repeal")["value"], 0.0);
    assert_eq!(figure("cleanup.amend")["value"], 1.0);

    // The provenance reproduces the figure through the audit trail.
    let item = cancelled["provenance"]["aggregateIds"][0].as_str().unwrap();
    let trail = app
        .ok(
            Role::Auditor,
            "query($id: String!, $types: [String!]) { auditTrail(filter: {aggregateId: $id, eventTypes: $types}) { edges { node { eventType role metadata } } } }",
            json!({"id": item, "types": cancelled["provenance"]["eventTypes"]}),
        )
        .await;
    let edges = trail["auditTrail"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["eventType"], "CertificationItemCancelled");
    assert_eq!(edges[0]["node"]["role"], "SYSTEM", "applied by the cleanup");
    // Illustrative demo facts say so in their event metadata.
    let registered: String = sqlx::query_scalar(
        "SELECT metadata ->> 'source' FROM events
         WHERE aggregate_id = $1 AND event_type = 'CertificationItemRegistered'",
    )
    .bind(item)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(registered.starts_with("illustrative"), "{registered}");

    // A body's report counts only its documents.
    let r = app
        .ok(
            Role::Auditor,
            "{ annualReport(year: 2019, issuingBody: \"NCX-GOV-OFFICE\") { figures { key value } } }",
            json!({}),
        )
        .await;
    let issued = r["annualReport"]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "output.issued")
        .unwrap()["value"]
        .clone();
    assert_eq!(issued, 2.0);

    // The demo's bodies file with the authorities of their kind.
    for (code, authorities) in [
        (
            "NCX-GOV-OFFICE",
            json!(["南昌市人民政府", "南昌县人大常委会"]),
        ),
        ("NCX-MARKET", json!(["南昌县人民政府"])),
        ("NCX-LIANTANG", json!(["南昌县人民政府"])),
    ] {
        let r = app
            .ok(
                Role::Auditor,
                "query($c: String!) { issuingBody(code: $c) { filingAuthorities reviewBody } }",
                json!({"c": code}),
            )
            .await;
        assert_eq!(r["issuingBody"]["filingAuthorities"], authorities, "{code}");
        let reviewer = if code == "NCX-MARKET" {
            "NCX-MARKET"
        } else {
            "NCX-JUSTICE"
        };
        assert_eq!(r["issuingBody"]["reviewBody"], reviewer, "{code}");
    }

    // Rates beside the counts, and a report limited to one kind of body.
    assert_eq!(
        figure("rates.reviewed")["value"],
        1.0,
        "both issued documents went through a legality review"
    );
    for key in [
        "rates.filed",
        "rates.filedOnTime",
        "rates.conforming",
        "rates.corrected",
    ] {
        let rate = figure(key)["value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&rate), "{key}: {rate}");
    }
    assert!(
        report["markdown"]
            .as_str()
            .unwrap()
            .contains("审核率100.0%")
    );
    let by_group = |group: &'static str| {
        let app = &app;
        async move {
            let r = app
                .ok(
                    Role::Auditor,
                    "query($g: BodyGroup) { annualReport(year: 2019, bodyGroup: $g) { bodyGroup figures { key value } } }",
                    json!({"g": group}),
                )
                .await;
            let issued = r["annualReport"]["figures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["key"] == "output.issued")
                .unwrap()["value"]
                .as_f64()
                .unwrap();
            (
                r["annualReport"]["bodyGroup"].as_str().unwrap().to_owned(),
                issued,
            )
        }
    };
    assert_eq!(by_group("GOVERNMENT").await, ("government".into(), 2.0));
    assert_eq!(by_group("DEPARTMENT").await, ("department".into(), 0.0));
    let bad = app
        .gql(
            Role::Auditor,
            "{ annualReport(year: 20190) { year } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad).0, "BAD_USER_INPUT");

    // The CLI prints the same figures.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .env("DATABASE_URL", &url)
        .args(["report", "--year", "2019", "--format", "md"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# 2019年度行政规范性文件工作情况"), "{md}");
    assert!(md.contains("取消证明事项1项"), "{md}");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .env("DATABASE_URL", &url)
        .args(["report", "--year", "2019", "--format", "json"])
        .output()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["year"], 2019);
    assert!(json["figures"].as_array().unwrap().len() > 20);
}
