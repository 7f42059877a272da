//! Filing for record (备案) with several authorities, over GraphQL: each authority records its
//! own outcome, the county's legal office only the county government's, a requested
//! correction has a deadline and an overdue list, and a revocation ends the document. And the
//! correction of a mis-keyed fact (更正), a filing date among them.

use normledger::domain::Role;
use normledger::store::tokens;
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::*;

const FILINGS: &str = "query($id: String!) { document(id: $id) { status filingStatus
  filings { authority filedOn reviewDueOn extendedByDays outcome reviewedOn correctionDueOn current }
  warnings { code } } }";

const OVERDUE: &str = "query($t: NaiveDate) { overdueFilingCorrections(today: $t) {
  edges { node { id } } } }";

async fn filings(app: &TestApp, id: &str) -> Value {
    app.ok(Role::Auditor, FILINGS, json!({"id": id})).await["document"].clone()
}

async fn overdue(app: &TestApp, today: &str) -> Vec<String> {
    app.ok(Role::LegalOffice, OVERDUE, json!({"t": today}))
        .await["overdueFilingCorrections"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The secret of a new token of `role` acting for one body or authority.
async fn token_for(app: &TestApp, name: &str, role: Role, acts_for: &str) -> String {
    tokens::create(&app.pool, name, role, &[acts_for.to_owned()], None)
        .await
        .unwrap()
        .1
}

/// Runs `name` with a raw token; returns the response.
async fn act_as(app: &TestApp, token: &str, name: &str, id: &str, input: Value) -> Value {
    let input_type = {
        let mut c = name.chars();
        c.next()
            .unwrap()
            .to_uppercase()
            .chain(c)
            .collect::<String>()
            + "Input"
    };
    app.gql_as(
        Some(token),
        &format!(
            "mutation($id: ID!, $input: {input_type}!) {{ {name}(id: $id, input: $input) {{
               document {{ status }} }} }}"
        ),
        json!({"id": id, "input": input}),
    )
    .await
}

/// Proves that a government document is filed with both its authorities at once, that each
/// records only its own outcome (the county's legal office none of theirs), that a requested
/// correction carries a deadline, shows on `overdueFilingCorrections` once past it and leaves
/// it when the body files again, and that a revocation by an authority ends the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_authority_records_its_own_outcome_and_corrections_have_deadlines() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = issued(&app, "备案测试办法", "南政办发〔2019〕70号").await;
    let draft = draft(&app, "尚未印发", false).await;

    // The queue by filing status: issued and not filed, due 30 days after publication; a
    // draft is NOT_FILED too but has no filing deadline and is not issued.
    let queue = |status: &'static str| {
        let app = &app;
        async move {
            app.ok(
                Role::LegalOffice,
                "query($s: FilingStatus) { documents(filter: {filingStatus: $s, status: ISSUED}) {
                   nodes { id filingDueOn } } }",
                json!({"s": status}),
            )
            .await["documents"]["nodes"]
                .clone()
        }
    };
    let due = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { filingDueOn issuance { publishedOn } } }",
            json!({"id": id}),
        )
        .await;
    let published: chrono::NaiveDate = due["document"]["issuance"]["publishedOn"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let filing_due = (published + chrono::Days::new(30)).to_string();
    assert_eq!(
        queue("NOT_FILED").await,
        json!([{"id": id, "filingDueOn": filing_due}])
    );
    assert_eq!(queue("FILED").await, json!([]));
    let unissued = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { filingStatus filingDueOn } }",
            json!({"id": draft}),
        )
        .await;
    assert_eq!(
        unissued["document"],
        json!({"filingStatus": "NOT_FILED", "filingDueOn": null})
    );

    // Only the listed authorities, all at once.
    let r = act(
        &app,
        Role::Drafter,
        "fileForRecord",
        &id,
        json!({"filedOn": "2019-09-20", "authorities": [CITY]}),
    )
    .await;
    assert_eq!(
        error_code(&r),
        (
            "BUSINESS_RULE".into(),
            Some("WRONG_FILING_AUTHORITY".into())
        ),
        "{r:#}"
    );
    step(
        &app,
        Role::Drafter,
        "fileForRecord",
        &id,
        json!({"filedOn": "2019-09-20"}),
    )
    .await;
    let doc = filings(&app, &id).await;
    assert_eq!(doc["filingStatus"], "FILED");
    assert_eq!(queue("NOT_FILED").await, json!([]));
    assert_eq!(queue("FILED").await[0]["id"], id.as_str());
    assert_eq!(
        doc["filings"],
        json!([
            {"authority": CITY, "filedOn": "2019-09-20", "reviewDueOn": "2019-10-20",
             "extendedByDays": null, "outcome": null, "reviewedOn": null,
             "correctionDueOn": null, "current": true},
            {"authority": CONGRESS, "filedOn": "2019-09-20", "reviewDueOn": "2019-10-20",
             "extendedByDays": null, "outcome": null, "reviewedOn": null,
             "correctionDueOn": null, "current": true}
        ])
    );

    // The county's legal office does not decide for the city government, nor a city token
    // for the congress; neither refusal writes.
    let before = app.event_count().await;
    let city_only = token_for(&app, "市司法局", Role::FilingAuthority, CITY).await;
    let accept = |authority: &str| json!({"authority": authority, "outcome": "ACCEPTED", "reviewedOn": "2019-10-01"});
    let r = act(
        &app,
        Role::LegalOffice,
        "recordFilingReview",
        &id,
        accept(CITY),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    let r = act_as(
        &app,
        &city_only,
        "recordFilingReview",
        &id,
        accept(CONGRESS),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    assert_eq!(app.event_count().await, before);

    // The congress extends its review; the city asks for a correction (30 days by default).
    step(
        &app,
        Role::FilingAuthority,
        "extendFilingReview",
        &id,
        json!({"authority": CONGRESS, "days": 20, "reason": "征求专门委员会意见", "extendedOn": "2019-10-10"}),
    )
    .await;
    let r = act_as(
        &app,
        &city_only,
        "recordFilingReview",
        &id,
        json!({"authority": CITY, "outcome": "CORRECTION_REQUIRED", "reviewedOn": "2019-10-08"}),
    )
    .await;
    assert_eq!(
        error_code(&r).0,
        "BAD_USER_INPUT",
        "grounds are required: {r:#}"
    );
    let r = act_as(
        &app,
        &city_only,
        "recordFilingReview",
        &id,
        json!({"authority": CITY, "outcome": "CORRECTION_REQUIRED", "reviewedOn": "2019-10-08",
               "notes": "第五条设定行政许可，超越权限"}),
    )
    .await;
    assert!(r.get("errors").is_none(), "{r:#}");
    let doc = filings(&app, &id).await;
    assert_eq!(doc["filingStatus"], "CORRECTION_REQUIRED");
    assert_eq!(doc["filings"][0]["correctionDueOn"], "2019-11-07");
    assert_eq!(doc["filings"][1]["reviewDueOn"], "2019-11-09");
    assert_eq!(doc["filings"][1]["extendedByDays"], 20);
    assert!(overdue(&app, "2019-11-07").await.is_empty());
    assert_eq!(overdue(&app, "2019-11-08").await, vec![id.clone()]);

    // Filing again answers the correction: with the city only, which reviews it afresh.
    step(
        &app,
        Role::Drafter,
        "fileForRecord",
        &id,
        json!({"filedOn": "2019-11-05"}),
    )
    .await;
    let doc = filings(&app, &id).await;
    assert_eq!(doc["filings"].as_array().unwrap().len(), 3);
    assert_eq!(
        doc["filings"][0]["current"], false,
        "the first city filing is history"
    );
    assert_eq!(doc["filings"][2]["authority"], CITY);
    assert_eq!(doc["filingStatus"], "FILED");
    assert!(overdue(&app, "2019-11-08").await.is_empty());

    // The congress revokes it: the document ends, and leaves the lists of documents in force.
    let status = step(
        &app,
        Role::FilingAuthority,
        "recordFilingReview",
        &id,
        json!({"authority": CONGRESS, "outcome": "REVOKED", "reviewedOn": "2019-11-06",
               "notes": "与上位法相抵触"}),
    )
    .await;
    assert_eq!(status, "REVOKED");
    let doc = filings(&app, &id).await;
    assert_eq!(doc["filingStatus"], "REVOKED");
    let trail = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { history { eventType summary } } }",
            json!({"id": id}),
        )
        .await;
    let summaries: Vec<&str> = trail["document"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries
            .iter()
            .any(|s| s.contains("by 南昌县人大常委会: REVOKED 撤销")),
        "{summaries:?}"
    );
}

/// Proves that what a department files with the county government is decided by the county's
/// legal office (the review body of the county government), and by no other legal unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legal_office_records_outcomes_for_the_county_government_only() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    app.ok(
        Role::LegalOffice,
        LIST_BODY,
        json!({"input": {"code": "NCX-WATER", "name": "南昌县水利局", "kind": "COUNTY_DEPARTMENT",
               "agencyCodes": ["南水发"], "listedFrom": "2019-01-01", "reviewBody": "NCX-JUSTICE",
               "filingAuthorities": ["南昌县人民政府"]}}),
    )
    .await;
    let drafter = token_for(&app, "水利局", Role::Drafter, "NCX-WATER").await;
    let other_unit = token_for(&app, "水利局法制股", Role::LegalOffice, "NCX-WATER").await;
    let r = app
        .gql_as(
            Some(&drafter),
            DRAFT,
            json!({"input": {"bodyCode": "NCX-WATER", "title": "水利工程管理办法", "class": "DEPARTMENT",
                   "isMajorDecision": false, "draftedOn": "2019-06-01"}}),
        )
        .await;
    let id = r["data"]["draftDocument"]["document"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The department's own steps with its token; the county's legal office reviews it.
    let by_department = |name: &'static str, input: Value| {
        let (app, drafter, id) = (&app, drafter.clone(), id.clone());
        async move {
            let r = act_as(app, &drafter, name, &id, input).await;
            assert!(r.get("errors").is_none(), "{name}: {r:#}");
        }
    };
    by_department(
        "submitForReview",
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
    )
    .await;
    for (name, input) in [
        ("startReview", json!({"startedOn": "2019-07-02"})),
        (
            "concludeReview",
            json!({"outcome": "LAWFUL", "opinion": "合法", "concludedOn": "2019-07-10"}),
        ),
    ] {
        step(&app, Role::LegalOffice, name, &id, input).await;
    }
    by_department(
        "recordDeliberation",
        json!({"outcome": "APPROVED", "meetingType": "DEPARTMENT_MEETING",
               "meeting": "局务会议", "heldOn": "2019-08-20"}),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        json!({"number": "南水发〔2019〕5号", "signer": "局长", "issuedOn": "2019-09-02",
               "publishedOn": "2019-09-05", "effectiveOn": "2019-10-05"}),
    )
    .await;
    by_department("fileForRecord", json!({"filedOn": "2019-09-20"})).await;
    let decide =
        json!({"authority": "南昌县人民政府", "outcome": "ACCEPTED", "reviewedOn": "2019-10-01"});
    let r = act_as(&app, &other_unit, "recordFilingReview", &id, decide.clone()).await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    let r = act(
        &app,
        Role::FilingAuthority,
        "recordFilingReview",
        &id,
        decide.clone(),
    )
    .await;
    assert_eq!(
        error_code(&r).0,
        "FORBIDDEN",
        "the city does not decide for the county: {r:#}"
    );
    step(&app, Role::LegalOffice, "recordFilingReview", &id, decide).await;
    assert_eq!(filings(&app, &id).await["filingStatus"], "ACCEPTED");
}

/// The position of the document's first `event_type` event, from its history.
async fn position_of(app: &TestApp, id: &str, event_type: &str) -> i64 {
    let h = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { history { position eventType } } }",
            json!({"id": id}),
        )
        .await;
    h["document"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventType"] == event_type)
        .unwrap_or_else(|| panic!("no {event_type}: {h:#}"))["position"]
        .as_i64()
        .unwrap()
}

/// Proves that a mis-keyed fact (更正) is corrected only by the role that recorded it, with a
/// compensating event: the document reads the new value, the history shows both, and the
/// corrected event's payload in the log is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mis_keyed_fact_is_corrected_by_the_role_that_recorded_it() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = issued(&app, "更正测试办法", "南政办发〔2019〕71号").await;
    step(
        &app,
        Role::Drafter,
        "fileForRecord",
        &id,
        json!({"filedOn": "2019-09-20"}),
    )
    .await;
    let filed = position_of(&app, &id, "FiledForRecord").await;
    let deliberated = position_of(&app, &id, "Deliberated").await;
    let fix = |position: i64, field: &str, value: &str| {
        json!({"position": position, "field": field, "value": value,
               "reason": "按备案回执更正", "correctedOn": "2019-12-01"})
    };

    // The filing date was keyed by the drafter: the government office may not correct it.
    let before = app.event_count().await;
    for (role, input, code, why) in [
        (
            Role::GovernmentOffice,
            fix(filed, "FILED_ON", "2019-09-22"),
            "FORBIDDEN",
            "the drafter filed it",
        ),
        (
            Role::Drafter,
            fix(deliberated, "MEETING", "第13次常务会议"),
            "FORBIDDEN",
            "the government office recorded the meeting",
        ),
        (
            Role::Drafter,
            fix(filed, "SIGNER", "副县长"),
            "BAD_USER_INPUT",
            "a filing records no signer",
        ),
    ] {
        let r = act(&app, role, "correctRecordedFact", &id, input).await;
        assert_eq!(error_code(&r).0, code, "{why}: {r:#}");
    }
    assert_eq!(app.event_count().await, before);

    step(
        &app,
        Role::Drafter,
        "correctRecordedFact",
        &id,
        fix(filed, "FILED_ON", "2019-09-22"),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "correctRecordedFact",
        &id,
        fix(deliberated, "MEETING", "县政府第13次常务会议"),
    )
    .await;
    let doc = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) {
               filings { filedOn reviewDueOn } deliberations { meeting }
               factCorrections { position eventType field oldValue newValue reason }
               history { eventType summary } } }",
            json!({"id": id}),
        )
        .await["document"]
        .clone();
    assert_eq!(doc["filings"][0]["filedOn"], "2019-09-22");
    assert_eq!(doc["filings"][1]["reviewDueOn"], "2019-10-22");
    assert_eq!(doc["deliberations"][0]["meeting"], "县政府第13次常务会议");
    assert_eq!(
        doc["factCorrections"][0],
        json!({"position": filed, "eventType": "FiledForRecord", "field": "FILED_ON",
               "oldValue": "2019-09-20", "newValue": "2019-09-22", "reason": "按备案回执更正"})
    );
    let summaries: Vec<&str> = doc["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["eventType"] == "FactCorrected")
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries[0].contains("from 2019-09-20 to 2019-09-22"),
        "{summaries:?}"
    );
    // Never an update: the filing event still says what was keyed.
    let payload: serde_json::Value =
        sqlx::query_scalar("SELECT payload FROM events WHERE position = $1")
            .bind(filed)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(payload["FiledForRecord"]["filed_on"], "2019-09-20");
}

/// Runs the binary against `url` with a signing key in `dir`; returns (success, stdout, stderr).
async fn normledger(url: &str, dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("NORMLEDGER_SIGNING_KEY", dir.join("signing-key"))
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `scripts/verify-filing-package.py` on `file`; returns (success, stdout).
fn python_verify(file: &std::path::Path, key: Option<&str>) -> (bool, String) {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/verify-filing-package.py"
    ))
    .arg(file);
    if let Some(k) = key {
        cmd.args(["--public-key", k]);
    }
    let out = cmd.output().expect("python3 runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Proves the filing package end to end: the county's ledger writes it (items with hashes, the
/// events, a signed checkpoint covering them), the Python script and `filing verify` accept it
/// and refuse it once an item or an event is altered, GraphQL hands it to its authority only,
/// and a city ledger imports it as that authority — after checking it, and not when altered
/// or addressed to another authority.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_package_verifies_and_the_authoritys_ledger_imports_it() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let id = draft_with_text(
        &app,
        "农村集体资产管理办法",
        "第一条 为规范农村集体资产管理，制定本办法。\n第二条 本办法自发布之日起施行。",
    )
    .await;
    let r = app
        .gql_with_file_as(
            Some(app.token(Role::Drafter)),
            &format!(
                "mutation($file: Upload!) {{ addAttachment(id: \"{id}\", input: {{kind: DRAFTING_EXPLANATION, file: $file}}) {{ document {{ id }} }} }}"
            ),
            b"%PDF-1.4 qicao shuoming".to_vec(),
            "起草说明.pdf",
        )
        .await;
    assert!(r.get("errors").is_none(), "{r:#}");
    to_approved(&app, &id).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input("南政办发〔2019〕90号"),
    )
    .await;
    step(
        &app,
        Role::Drafter,
        "fileForRecord",
        &id,
        json!({"filedOn": "2019-09-20"}),
    )
    .await;

    let dir = temp_dir("filing-package");
    let file = dir.join("package.json");
    let (ok, _, err) = normledger(
        &url,
        &dir,
        &[
            "filing",
            "package",
            &id,
            "--authority",
            CITY,
            "--out",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let package: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let kinds: Vec<&str> = package["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "FILING_REPORT",
            "ISSUED_TEXT",
            "DRAFTING_EXPLANATION",
            "REVIEW_OPINION"
        ]
    );
    assert!(
        package["items"][0]["text"]
            .as_str()
            .unwrap()
            .contains("南政办发〔2019〕90号")
    );
    assert_eq!(package["authority"], CITY);
    let public_key = normledger(&url, &dir, &["key"]).await.1.trim().to_owned();
    let (ok, out) = python_verify(&file, Some(&public_key));
    assert!(ok && out.starts_with("VERIFIED"), "{out}");
    let (ok, out, err) =
        normledger(&url, &dir, &["filing", "verify", file.to_str().unwrap()]).await;
    assert!(ok && out.starts_with("verified"), "{out}{err}");
    assert!(
        !python_verify(&file, Some(&"0".repeat(64))).0,
        "another key is refused"
    );

    // Altered: the review opinion, then an event's payload; both are caught.
    fn alter_opinion(p: &mut Value) {
        let text = "经审核，合法。（改）";
        p["items"][3]["text"] = json!(text);
        p["items"][3]["sha256"] = json!(format!("{:x}", sha2::Sha256::digest(text.as_bytes())));
    }
    fn alter_event(p: &mut Value) {
        let payload = p["history"][0]["payload"]
            .as_str()
            .unwrap()
            .replace("农村", "城市");
        p["history"][0]["payload"] = json!(payload);
    }
    for (what, alter) in [
        ("the review opinion", alter_opinion as fn(&mut Value)),
        ("an event", alter_event),
    ] {
        let mut altered = package.clone();
        alter(&mut altered);
        let bad = dir.join("altered.json");
        std::fs::write(&bad, altered.to_string()).unwrap();
        let (ok, out) = python_verify(&bad, None);
        assert!(!ok && out.starts_with("NOT VERIFIED"), "{what}: {out}");
        assert!(
            !normledger(&url, &dir, &["filing", "verify", bad.to_str().unwrap()])
                .await
                .0,
            "{what}"
        );
    }

    // Over GraphQL: for the city's token, not for another authority's.
    let query =
        "query($id: String!, $a: String) { document(id: $id) { filingPackage(authority: $a) } }";
    let r = app
        .ok(Role::FilingAuthority, query, json!({"id": id, "a": CITY}))
        .await;
    let served: Value =
        serde_json::from_str(r["document"]["filingPackage"].as_str().unwrap()).unwrap();
    assert_eq!(
        served["proof"], package["proof"],
        "the same checkpoint proves it"
    );
    let congress_only = token_for(&app, "县人大常委会", Role::FilingAuthority, CONGRESS).await;
    let r = app
        .gql_as(Some(&congress_only), query, json!({"id": id, "a": CITY}))
        .await;
    assert_eq!(r["data"]["document"]["filingPackage"], Value::Null, "{r:#}");
    assert!(r.get("errors").is_none(), "{r:#}");
    let r = app
        .gql(Role::Advisor, query, json!({"id": id, "a": CITY}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");

    // The city's ledger imports it as 南昌市人民政府, once the proofs hold.
    let city_url = fresh_database().await;
    let city = TestApp::spawn_on(&city_url).await;
    list_bodies(&city).await;
    let import = |file: std::path::PathBuf, authority: &'static str| {
        let (url, dir) = (city_url.clone(), dir.clone());
        async move {
            let file = file.to_str().unwrap().to_owned();
            let args = [
                "filing",
                "import",
                &file,
                "--as-authority",
                authority,
                "--operator",
                "市司法局",
            ];
            normledger(&url, &dir, &args).await
        }
    };
    let (ok, _, err) = import(dir.join("altered.json"), CITY).await;
    assert!(!ok && err.contains("does not verify"), "{err}");
    let (ok, _, err) = import(file.clone(), CONGRESS).await;
    assert!(!ok && err.contains("not for"), "{err}");
    let before = city.event_count().await;
    let (ok, out, err) = import(file.clone(), CITY).await;
    assert!(ok && out.contains(&id), "{out}{err}");
    assert_eq!(city.event_count().await, before + 1);
    let imported = city
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { status issuance { number } importedFrom } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(imported["document"]["status"], "ISSUED", "{imported:#}");
    assert!(
        imported["document"]["importedFrom"]
            .as_str()
            .unwrap()
            .contains(&public_key),
        "{imported:#}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
