//! Document texts end to end: versions recorded with the commands, clauses, anchors refused
//! when they point nowhere, "issued = reviewed" enforced, the diff of a revision, working
//! texts hidden from the public, and a changed text byte found by `verify`.

use normledger::domain::Role;
use normledger::store::integrity;
use serde_json::{Value, json};

use crate::support::*;

const V1: &str = "关于规范行政规范性文件管理的规定\n第一条　为了规范管理，制定本规定。\n第二条　本规定适用于本县行政区域内的相关管理活动。\n第三条　有关单位应当履行下列职责：\n（一）建立工作制度；\n（二）加强监督检查。\n第四条　本规定自发布之日起施行。";

fn v2() -> String {
    V1.replace("相关管理活动。", "相关管理活动，法律、法规另有规定的除外。")
}

const TEXTS: &str = "query($id: String!, $v: Int) { document(id: $id) {
    texts { version stage stageLabel hash characters }
    text(version: $v) { version hash text clauses { id kind number heading text } }
    reviewedText { version } issuedText { version } textsMatch
    warnings { code } } }";

async fn document(app: &TestApp, role: Role, id: &str, version: Option<u32>) -> Value {
    app.gql(role, TEXTS, json!({"id": id, "v": version})).await
}

/// Drafts with text V1 and submits it; the review is under way.
async fn under_review(app: &TestApp) -> String {
    let id = draft_with_text(app, "关于规范行政规范性文件管理的规定", V1).await;
    step(
        app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01", "text": V1}),
    )
    .await;
    step(
        app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
    )
    .await;
    id
}

/// The draft's text and the submitted one are versions 1 and 2 with one hash; the clauses
/// carry their ids, and the history shows the versions recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_are_versioned_with_their_clauses() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    let doc = &document(&app, Role::LegalOffice, &id, None).await["data"]["document"];
    let texts = doc["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 2, "{doc:#}");
    assert_eq!(texts[0]["stage"], "DRAFT");
    assert_eq!(texts[1]["stageLabel"], "送审稿");
    assert_eq!(texts[0]["hash"], texts[1]["hash"]);
    assert_eq!(texts[0]["hash"].as_str().unwrap().len(), 64);
    let ids: Vec<&str> = doc["text"]["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"art-3-p1-i2") && ids.contains(&"art-2") && ids.contains(&"pre-1"),
        "{ids:?}"
    );
    let history = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { history { eventType summary } } }",
            json!({"id": id}),
        )
        .await;
    let recorded = history["document"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["eventType"] == "TextRecorded")
        .count();
    assert_eq!(recorded, 2);
}

/// An opinion anchored to a clause or words that are not in the version is refused as
/// BAD_USER_INPUT naming the anchor, and writes nothing; a good anchor is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anchors_to_missing_clauses_are_refused() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    let before = app.event_count().await;
    for anchor in [
        json!({"version": 2, "clause": "art-9"}),
        json!({"version": 7, "clause": "art-2"}),
        json!({"version": 2, "clause": "art-2", "quote": "不在条文中的字句"}),
    ] {
        let r = act(
            &app,
            Role::Advisor,
            "addAdvisorOpinion",
            &id,
            json!({"text": "意见", "givenOn": "2019-07-05", "anchor": anchor}),
        )
        .await;
        assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");
        assert_eq!(r["errors"][0]["extensions"]["field"], "anchor", "{r:#}");
    }
    assert_eq!(
        app.event_count().await,
        before,
        "a refused anchor writes nothing"
    );
    step(
        &app,
        Role::Advisor,
        "addAdvisorOpinion",
        &id,
        json!({"text": "建议明确适用范围", "givenOn": "2019-07-05",
               "anchor": {"version": 2, "clause": "art-2", "quote": "相关管理活动"}}),
    )
    .await;
    let r = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { review { advisorOpinions { anchor { version clause quote } } } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        r["document"]["review"]["advisorOpinions"][0]["anchor"],
        json!({"version": 2, "clause": "art-2", "quote": "相关管理活动"})
    );
}

/// MUST_REVISE on version 2, a revision with V2 answering the anchored issue at art-2: the
/// revised text is refused for deliberation (TEXT_NOT_REVIEWED) until the legal office
/// confirms its changes; the diff names art-2 CHANGED with the inserted words; issuing any
/// other text is refused, and the text issued matches the text reviewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_issued_is_the_text_reviewed() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "MUST_REVISE", "opinion": "应当修改", "concludedOn": "2019-07-10",
               "issues": [{"text": "适用范围不明确", "anchor": {"version": 2, "clause": "art-2"}}]}),
    )
    .await;
    step(
        &app,
        Role::Drafter,
        "submitRevision",
        &id,
        json!({"submittedOn": "2019-07-15", "text": v2(),
               "responses": [{"issueNumber": 1, "adopted": true, "clause": "art-2"}]}),
    )
    .await;
    let deliberate = json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "县政府常务会议", "heldOn": "2019-08-20"});
    let before = app.event_count().await;
    let r = act(
        &app,
        Role::GovernmentOffice,
        "recordDeliberation",
        &id,
        deliberate.clone(),
    )
    .await;
    assert_eq!(
        error_code(&r).1.as_deref(),
        Some("TEXT_NOT_REVIEWED"),
        "{r:#}"
    );
    assert_eq!(app.event_count().await, before);

    let diff = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { diff(from: 2, to: 3) { changed
                changes { kind fromClause { id } toClause { id } spans { kind text } } } } }",
            json!({"id": id}),
        )
        .await;
    let changes = diff["document"]["diff"]["changes"].as_array().unwrap();
    let changed: Vec<&Value> = changes
        .iter()
        .filter(|c| c["kind"] != "UNCHANGED")
        .collect();
    assert_eq!(changed.len(), 1, "{diff:#}");
    assert_eq!(changed[0]["kind"], "CHANGED");
    assert_eq!(changed[0]["toClause"]["id"], "art-2");
    let inserted: String = changed[0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "INSERTED")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(inserted, "，法律、法规另有规定的除外");
    // `previous`: what the last revision changed (the latest against the one before it), in
    // one query; before the first version there is nothing; `from` with it is refused.
    let last = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { diff(previous: true) { from { version } to { version }
                changes { kind fromClause { id } toClause { id } spans { kind text } } }
                first: diff(previous: true, to: 1) { changed } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(last["document"]["diff"]["from"]["version"], 2, "{last:#}");
    assert_eq!(last["document"]["diff"]["to"]["version"], 3, "{last:#}");
    assert_eq!(
        last["document"]["diff"]["changes"],
        diff["document"]["diff"]["changes"]
    );
    assert_eq!(last["document"]["first"], Value::Null);
    let r = app
        .gql(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { diff(previous: true, from: 1) { changed } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");

    let r = act(
        &app,
        Role::LegalOffice,
        "confirmRevisedText",
        &id,
        json!({"acceptedClauses": ["art-1"], "confirmedOn": "2019-07-16"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");
    step(
        &app,
        Role::LegalOffice,
        "confirmRevisedText",
        &id,
        json!({"acceptedClauses": ["art-2"], "confirmedOn": "2019-07-16"}),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "recordDeliberation",
        &id,
        deliberate,
    )
    .await;

    let mut other = issue_input("南政办发〔2019〕63号");
    other["text"] = json!(V1);
    let r = act(&app, Role::GovernmentOffice, "issueDocument", &id, other).await;
    assert_eq!(
        error_code(&r).1.as_deref(),
        Some("TEXT_NOT_REVIEWED"),
        "{r:#}"
    );
    let mut same = issue_input("南政办发〔2019〕63号");
    same["text"] = json!(format!("{}\r\n", v2()));
    assert_eq!(
        step(&app, Role::GovernmentOffice, "issueDocument", &id, same).await,
        "ISSUED"
    );
    let doc = &document(&app, Role::Auditor, &id, None).await["data"]["document"];
    assert_eq!(doc["issuedText"]["version"], 4);
    assert_eq!(doc["textsMatch"], true, "{doc:#}");
    assert!(
        !doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "TEXT_UNMATCHED")
    );
    // The same diff through the CLI: reviewed (2) against issued (4), words marked.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(["text", "diff", &id])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with("version 2 (送审稿) -> version 4 (印发稿)"),
        "{said}"
    );
    assert!(said.contains("~ art-2 第二条\n  本规定适用于本县行政区域内的相关管理活动{+，法律、法规另有规定的除外+}。"), "{said}");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .args(["text", "show", &id, "--version", "1"])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("version 4 印发稿 (ISSUED)"), "{said}");
    assert!(
        said.contains("[art-3-p1-i2] （二）加强监督检查。"),
        "{said}"
    );
}

/// Once published, a document's text in force is public, its working texts are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_texts_stay_with_those_who_see_the_history() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法", "concludedOn": "2019-07-10"}),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "recordDeliberation",
        &id,
        json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "县政府常务会议", "heldOn": "2019-08-20"}),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let public = document(&app, Role::Advisor, &id, None).await;
    let versions: Vec<u64> = public["data"]["document"]["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [2], "only the text issued: {public:#}");
    let r = document(&app, Role::Advisor, &id, Some(1)).await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    let own = document(&app, Role::LegalOffice, &id, Some(1)).await;
    assert_eq!(own["data"]["document"]["text"]["version"], 1);
}

/// The text's bytes are under the hash chain: one character changed in a stored text is
/// found by `verify` and named as that event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_character_of_a_stored_text_is_found() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    tamper(
        &app.pool,
        &format!(
            "UPDATE events SET payload = replace(payload::text, '相关管理活动', '相关管埋活动')::jsonb
             WHERE aggregate_id = '{id}' AND event_type = 'TextRecorded'
               AND payload -> 'TextRecorded' ->> 'version' = '2'"
        ),
    )
    .await;
    let v = integrity::verify(&app.pool, None, None, None, integrity::Trust::StoredKeys)
        .await
        .unwrap();
    assert!(!v.is_intact());
    let broken = v.first_broken_link.expect("a broken link");
    assert_eq!(broken.aggregate_id, id);
    assert_eq!(broken.sequence, 4, "the second TextRecorded: {broken:?}");
}

/// A text that sets a fine and a fee is screened clause by clause with the rule and its
/// source; the legal office records its consideration of one warning (a second time, or a
/// warning that is not there, is refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screening_warnings_are_anchored_and_can_be_considered() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    let fined = format!(
        "{}\n第五条　违反本规定的，由县市场监管局处以二千元罚款。",
        V1
    );
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "MUST_REVISE", "opinion": "应当修改", "concludedOn": "2019-07-10",
               "issues": [{"text": "第五条缺乏依据", "clause": "第五条"}]}),
    )
    .await;
    step(
        &app,
        Role::Drafter,
        "submitRevision",
        &id,
        json!({"submittedOn": "2019-07-15", "text": fined,
               "responses": [{"issueNumber": 1, "adopted": false, "reason": "有上位法依据"}]}),
    )
    .await;
    let q = "query($id: String!) { document(id: $id) { text { version
        screening { code clause matched source considered { reason } } } } }";
    let r = app.ok(Role::LegalOffice, q, json!({"id": id})).await;
    let warnings = r["document"]["text"]["screening"]
        .as_array()
        .unwrap()
        .clone();
    let penalty = warnings
        .iter()
        .find(|w| w["code"] == "CREATES_PENALTY")
        .unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(penalty["clause"], "art-5-p1");
    assert!(penalty["source"].as_str().unwrap().contains("行政处罚法"));
    assert!(penalty["considered"].is_null());
    let consider = |code: &str| {
        json!({"version": 3, "clause": "art-5-p1", "code": code, "reason": "依据《价格法》第四十二条",
               "consideredOn": "2019-07-16"})
    };
    let r = act(
        &app,
        Role::LegalOffice,
        "considerScreeningWarning",
        &id,
        consider("CREATES_FEE"),
    )
    .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");
    step(
        &app,
        Role::LegalOffice,
        "considerScreeningWarning",
        &id,
        consider("CREATES_PENALTY"),
    )
    .await;
    let r = act(
        &app,
        Role::LegalOffice,
        "considerScreeningWarning",
        &id,
        consider("CREATES_PENALTY"),
    )
    .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "considered once: {r:#}");
    let r = app.ok(Role::LegalOffice, q, json!({"id": id})).await;
    let penalty = r["document"]["text"]["screening"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "CREATES_PENALTY")
        .cloned()
        .unwrap();
    assert_eq!(penalty["considered"]["reason"], "依据《价格法》第四十二条");
}

/// Search finds a clause of a current text by a two-character Chinese word, and a title; it
/// shows each caller only what `documents` would, refuses a one-character term, and pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_search_finds_the_clause() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let submitted = under_review(&app).await;
    let draft = draft_with_text(
        &app,
        "关于收费管理的通知",
        "第一条　违反本通知的，处以罚款。\n第二条　加强监督检查。",
    )
    .await;
    let q =
        "query($q: String!, $after: String) { searchDocuments(query: $q, first: 1, after: $after) {
        pageInfo { hasNextPage } edges { cursor node { document { id } score clauseId clauseNumber
        snippet highlightStart highlightLength } } } }";
    let r = app.ok(Role::LegalOffice, q, json!({"q": "罚款"})).await;
    let edges = r["searchDocuments"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{r:#}");
    let hit = &edges[0]["node"];
    assert_eq!(hit["document"]["id"], draft.as_str());
    assert_eq!(hit["clauseId"], "art-1-p1");
    assert_eq!(hit["clauseNumber"], "第一款");
    let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    let start = hit["highlightStart"].as_u64().unwrap() as usize;
    assert_eq!(snippet[start..start + 2].iter().collect::<String>(), "罚款");
    // The advisor sees documents in review and published ones: not this draft.
    let r = app.ok(Role::Advisor, q, json!({"q": "罚款"})).await;
    assert_eq!(r["searchDocuments"]["edges"], json!([]), "{r:#}");
    // Two terms in one clause; the title counts; pages of one.
    let r = app
        .ok(Role::LegalOffice, q, json!({"q": "监督 检查"}))
        .await;
    assert_eq!(
        r["searchDocuments"]["pageInfo"]["hasNextPage"], true,
        "{r:#}"
    );
    let cursor = r["searchDocuments"]["edges"][0]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = app
        .ok(
            Role::LegalOffice,
            q,
            json!({"q": "监督 检查", "after": cursor}),
        )
        .await;
    let ids = [
        r["searchDocuments"]["edges"][0]["node"]["document"]["id"].clone(),
        next["searchDocuments"]["edges"][0]["node"]["document"]["id"].clone(),
    ];
    assert!(
        ids.contains(&json!(submitted)) && ids.contains(&json!(draft)),
        "{ids:?}"
    );
    let r = app.ok(Role::LegalOffice, q, json!({"q": "收费管理"})).await;
    assert_eq!(
        r["searchDocuments"]["edges"][0]["node"]["clauseId"],
        "title"
    );
    let r = app.gql(Role::LegalOffice, q, json!({"q": "罚"})).await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");

    // The public searches published texts only, without a token: the issued document, never
    // the draft or the one in review that hold the same words.
    let issued = issued_with_text(
        &app,
        "关于罚款缴纳的规定",
        "第一条　罚款应当按期缴纳。\n第二条　加强监督检查。",
        "南政办发〔2019〕88号",
    )
    .await;
    let public = "query($q: String!) { publicSearch(query: $q) {
        nodes { document { id number } clauseId snippet } } }";
    let r = app.gql_as(None, public, json!({"q": "监督 检查"})).await;
    assert_eq!(
        r["data"]["publicSearch"]["nodes"],
        json!([{"document": {"id": issued, "number": "南政办发〔2019〕88号"},
                "clauseId": "art-2-p1", "snippet": "第二条　加强监督检查。"}]),
        "{r:#}"
    );
    let r = app.gql_as(None, public, json!({"q": "罚"})).await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");
}

/// The higher law a text cites is listed with its clause; `documentsCiting` finds the
/// documents in force that rely on a law (and article), and a special cleanup takes exactly
/// them as its inventory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_citing_a_law_are_found_and_can_be_cleaned_up() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let citing = issued_with_text(
        &app,
        "关于实施行政许可的规定",
        "第一条　根据《中华人民共和国行政许可法》第十二条、第十三条，制定本规定。\n第二条　本规定自发布之日起施行。",
        "南政办发〔2019〕61号",
    )
    .await;
    issued_with_text(
        &app,
        "关于档案管理的规定",
        "第一条　根据《中华人民共和国档案法》，制定本规定。",
        "南政办发〔2019〕62号",
    )
    .await;
    let r = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { text { citations { clause law article } } } }",
            json!({"id": citing}),
        )
        .await;
    assert_eq!(
        r["document"]["text"]["citations"][1],
        json!({"clause": "art-1-p1", "law": "中华人民共和国行政许可法", "article": 13})
    );
    let q = "query($law: String!, $article: Int) { documentsCiting(law: $law, article: $article,
        inForceOn: \"2020-01-01\") { edges { node { document { id } clauseId law article } } } }";
    let r = app
        .ok(
            Role::Advisor,
            q,
            json!({"law": "行政许可法", "article": 12}),
        )
        .await;
    let edges = r["documentsCiting"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{r:#}");
    assert_eq!(edges[0]["node"]["document"]["id"], citing.as_str());
    assert_eq!(edges[0]["node"]["clauseId"], "art-1-p1");
    let r = app
        .ok(
            Role::Advisor,
            q,
            json!({"law": "行政许可法", "article": 14}),
        )
        .await;
    assert_eq!(r["documentsCiting"]["edges"], json!([]));
    let launched = app
        .ok(
            Role::LegalOffice,
            "mutation($input: LaunchCleanupInput!) { launchCleanup(input: $input) {
                campaign { scope { citingLaw } entries { id } } } }",
            json!({"input": {"noticeNumber": "南司发〔2019〕40号", "title": "行政许可法修改专项清理",
                   "kind": "SPECIAL", "organiser": "南昌县司法局", "deadline": "2019-12-31",
                   "launchedOn": "2019-12-01",
                   "scope": {"cutOff": "2019-11-30", "documents": true, "citingLaw": "行政许可法"}}}),
        )
        .await;
    let campaign = &launched["launchCleanup"]["campaign"];
    assert_eq!(campaign["scope"]["citingLaw"], "行政许可法");
    assert_eq!(campaign["entries"], json!([{"id": citing}]), "{launched:#}");
}

/// A drafter's .docx, uploaded with the GraphQL multipart request convention, becomes the
/// text version: its paragraphs read back as the clauses. A file that is not a .docx is
/// refused, and so is one beyond the upload limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docx_round_trips_into_a_text_version() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let mut doc = docx_rs::Docx::new();
    for p in V1.lines() {
        doc = doc.add_paragraph(docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text(p)));
    }
    let mut bytes = std::io::Cursor::new(vec![]);
    doc.build().pack(&mut bytes).unwrap();
    let bytes = bytes.into_inner();
    let upload = |file: Vec<u8>, name: &'static str| upload_as(&app, file, name, None);
    async fn upload_as(
        app: &TestApp,
        file: Vec<u8>,
        name: &str,
        command_id: Option<&str>,
    ) -> reqwest::Result<reqwest::Response> {
        let operations = json!({
            "query": "mutation($input: DraftDocumentInput!, $commandId: ID) {
                draftDocument(input: $input, commandId: $commandId) {
                document { id texts { version hash characters } text { clauses { id text } } } } }",
            "variables": {"input": {"bodyCode": "NCX-GOV-OFFICE", "title": "上传的文件",
                "class": "GOVERNMENT", "isMajorDecision": false, "draftedOn": "2019-06-01", "textFile": null},
                "commandId": command_id}
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text(
                "map",
                json!({"0": ["variables.input.textFile"]}).to_string(),
            )
            .part(
                "0",
                reqwest::multipart::Part::bytes(file)
                    .file_name(name.to_owned())
                    .mime_str(
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    )
                    .unwrap(),
            );
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(app.token(Role::Drafter))
            .multipart(form)
            .send()
            .await
    }
    let r: Value = upload(bytes.clone(), "规定.docx")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let document = &r["data"]["draftDocument"]["document"];
    assert_eq!(
        document["texts"][0]["hash"],
        normledger::domain::text::text_hash(V1),
        "{r:#}"
    );
    let clause = document["text"]["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "art-3-p1-i2")
        .cloned()
        .unwrap();
    assert_eq!(clause["text"], "（二）加强监督检查。");
    let r: Value = upload(b"not a docx".to_vec(), "规定.docx")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");
    assert_eq!(r["errors"][0]["extensions"]["field"], "textFile");
    // A retry under the same commandId with another file is another request.
    let id = "0191d1a0-0000-7000-8000-00000000d0c5";
    let other = {
        let doc = docx_rs::Docx::new().add_paragraph(
            docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text("第一条　另一份文本。")),
        );
        let mut b = std::io::Cursor::new(vec![]);
        doc.build().pack(&mut b).unwrap();
        b.into_inner()
    };
    let first: Value = upload_as(&app, bytes.clone(), "规定.docx", Some(id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(first.get("errors").is_none(), "{first:#}");
    let again: Value = upload_as(&app, bytes.clone(), "规定.docx", Some(id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["data"], first["data"],
        "the same file again is the same request"
    );
    let changed: Value = upload_as(&app, other, "规定.docx", Some(id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        error_code(&changed).1.as_deref(),
        Some("COMMAND_ID_REUSED"),
        "{changed:#}"
    );
    let huge = vec![0u8; (10 << 20) + 1];
    let response = upload(huge, "大.docx").await.unwrap();
    let r: Value = response.json().await.unwrap();
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");
}

/// A clause under review that says nearly what a clause of a document in force says is
/// listed with that clause and its score; an unrelated clause is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neighbours_are_clauses_in_force_like_the_one_under_review() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let in_force = draft_with_text(&app, "关于市场主体登记的规定", "第一条　申请人应当向县市场监督管理局提交营业执照复印件和法定代表人身份证明。\n第二条　本规定自发布之日起施行。").await;
    to_approved(&app, &in_force).await;
    let mut input = issue_input("南政办发〔2019〕70号");
    input["validUntil"] = json!("2099-12-31");
    input["validityOverrideReason"] = json!("测试用长期有效");
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &in_force,
        input,
    )
    .await;
    let draft = draft_with_text(&app, "关于登记材料的通知", "第一条　申请人应当向县市场监督管理局提交营业执照复印件及法定代表人身份证明。\n第二条　各乡镇要做好防汛工作。").await;
    let r = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { neighbours { clause otherDocumentId
                otherNumber otherClause score } } }",
            json!({"id": draft}),
        )
        .await;
    let found = r["document"]["neighbours"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{r:#}");
    assert_eq!(found[0]["clause"], "art-1-p1");
    assert_eq!(found[0]["otherDocumentId"], in_force.as_str());
    assert_eq!(found[0]["otherNumber"], "南政办发〔2019〕70号");
    assert_eq!(found[0]["otherClause"], "art-1-p1");
    assert!(found[0]["score"].as_f64().unwrap() > 0.5, "{r:#}");
    let r = app
        .gql(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { neighbours(threshold: 2) { clause } } }",
            json!({"id": draft}),
        )
        .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT");
}

/// The submission package: a PDF uploaded by the drafter is listed with its size, SHA-256 and
/// stage, and downloads byte for byte for the legal office; a file that is not one of the
/// accepted types is refused, and a file reference that names no file of the request is
/// refused rather than crashing the resolver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_submission_package_is_uploaded_listed_and_downloaded() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = under_review(&app).await;
    let pdf = "%PDF-1.4\n% 起草说明\n1 0 obj << >> endobj\n%%EOF\n"
        .as_bytes()
        .to_vec();
    let add = format!(
        "mutation($file: Upload!) {{ addAttachment(id: \"{id}\", input: {{kind: DRAFTING_EXPLANATION,
           file: $file, addedOn: \"2019-07-03\"}}) {{ document {{ attachments {{ name kind contentType size sha256 stage }} }} }} }}"
    );
    let r = app
        .gql_with_file_as(
            Some(app.token(Role::Drafter)),
            &add,
            pdf.clone(),
            "起草说明.pdf",
        )
        .await;
    let listed = &r["data"]["addAttachment"]["document"]["attachments"][0];
    assert_eq!(listed["name"], "起草说明.pdf", "{r:#}");
    assert_eq!(listed["contentType"], "application/pdf");
    assert_eq!(listed["size"], pdf.len());
    assert_eq!(listed["stage"], "UNDER_REVIEW");
    let sha = listed["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha, normledger::domain::text::text_hash_bytes(&pdf));
    let download = |token: Option<String>| {
        let mut req = app
            .client
            .get(app.url(&format!("/documents/{id}/attachments/{sha}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let got = download(Some(app.token(Role::LegalOffice).to_owned()))
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(
        got.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%E8%B5%B7")
    );
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
    assert_eq!(download(None).await.unwrap().status(), 401);
    // The same file again, and a file of no accepted type, are refused; nothing is written.
    let before = app.event_count().await;
    for (bytes, name) in [
        (pdf.clone(), "again.pdf"),
        (b"MZ\x90\x00".to_vec(), "tool.exe"),
    ] {
        let r = app
            .gql_with_file_as(Some(app.token(Role::Drafter)), &add, bytes, name)
            .await;
        assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{name}: {r:#}");
    }
    assert_eq!(app.event_count().await, before);
    // A reference to a file the request does not carry.
    for reference in ["#__graphql_file__:0", "#__graphql_file__:x"] {
        let r = app
            .gql(
                Role::Drafter,
                &format!(
                    "mutation {{ addAttachment(id: \"{id}\", input: {{kind: OTHER, file: \"{reference}\"}}) {{ position }} }}"
                ),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{reference}: {r:#}");
    }
}

/// The operator sets how much a correction may change (`--correction-max-chars`): with 2, a
/// one-character fix is a correction and a three-character one an amendment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correction_limit_is_the_operators() {
    let mut settings = quiet_settings();
    settings.write.correction_max_chars = 2;
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    let id = issued_with_text(&app, "关于勘误的规定", V1, "南政办发〔2019〕71号").await;
    let correct = |text: String| json!({"description": "勘误", "text": text});
    let r = act(
        &app,
        Role::GovernmentOffice,
        "correctDocument",
        &id,
        correct(V1.replace("相关管理活动", "有关管理工作")),
    )
    .await;
    assert_eq!(
        error_code(&r).1.as_deref(),
        Some("CORRECTION_TOO_LARGE"),
        "{r:#}"
    );
    step(
        &app,
        Role::GovernmentOffice,
        "correctDocument",
        &id,
        correct(V1.replace("相关管理活动", "有关管理活动")),
    )
    .await;
}

/// Proves the legality review opinion (合法性审核意见书) is written by the binary as a .docx
/// from the record — conclusion, each itemised issue with the clause and words it is anchored
/// to, the advisor's opinion, the review body by its listed name and the date — and reads back
/// line by line; a document with no concluded review has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_opinion_is_written_as_a_docx_that_reads_back() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    app.ok(
        Role::LegalOffice,
        LIST_BODY,
        json!({"input": {"code": "NCX-JUSTICE", "name": "南昌县司法局", "kind": "COUNTY_DEPARTMENT",
               "agencyCodes": ["南司发"], "listedFrom": "2019-01-01", "reviewBody": "NCX-JUSTICE"}}),
    )
    .await;
    let id = under_review(&app).await;
    step(
        &app,
        Role::Advisor,
        "addAdvisorOpinion",
        &id,
        json!({"text": "建议明确适用范围", "givenOn": "2019-07-05"}),
    )
    .await;
    let dir = temp_dir("opinion");
    let out = dir.join("意见书.docx");
    let write = |out: std::path::PathBuf| {
        let (url, id) = (url.clone(), id.clone());
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
                .args(["opinion", &id, "--out", out.to_str().unwrap()])
                .env("DATABASE_URL", &url)
                .output()
                .await
                .unwrap()
        }
    };
    let none = write(out.clone()).await;
    assert!(!none.status.success(), "no concluded review, no opinion");
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "MUST_REVISE", "opinion": "请按上述意见修改后重新报送。", "concludedOn": "2019-07-10",
               "issues": [{"clause": "第二条", "text": "适用范围过宽",
                           "anchor": {"version": 2, "clause": "art-2", "quote": "相关管理活动"}}]}),
    )
    .await;
    let written = write(out.clone()).await;
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let text = normledger::docx::text_of(&std::fs::read(&out).unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "关于《关于规范行政规范性文件管理的规定》的合法性审核意见书"
    );
    assert_eq!(
        lines[1], "南昌县人民政府办公室：",
        "the drafting body by its listed name"
    );
    assert!(lines[2].starts_with("你单位于2019年7月1日报送的"), "{text}");
    assert_eq!(lines[3], "审核结论：应当予以修改。");
    assert_eq!(lines[4], "1. 适用范围过宽（第2版 art-2“相关管理活动”）");
    assert_eq!(lines[5], "请按上述意见修改后重新报送。");
    assert!(
        lines[6].starts_with("法律顾问test ADVISOR意见（2019年7月5日）：建议明确适用范围"),
        "{text}"
    );
    assert_eq!(&lines[7..], ["南昌县司法局", "2019年7月10日"]);
    std::fs::remove_dir_all(&dir).ok();
}

/// Proves that searches, which may hold a connection for a second each, never take every
/// connection: with the clause table locked (so each search that reaches PostgreSQL waits
/// there), 30 searches at once leave short reads answering, and every search answers once
/// the lock goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_wait_their_turn_instead_of_taking_every_connection() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    list_bodies(&app).await;
    let id = draft_with_text(&app, "关于收费管理的通知", "第一条　加强监督检查。").await;
    let mut lock = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE rm_document_clauses IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let searches: Vec<_> = (0..30)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                app.gql(
                    Role::LegalOffice,
                    "{ searchDocuments(query: \"监督\") { edges { node { clauseId } } } }",
                    json!({}),
                )
                .await
            })
        })
        .collect();
    // The searches that got a turn are waiting on the lock inside PostgreSQL.
    let waiting = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query LIKE '%rm_document_clauses%'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while waiting().await < 10 {
        assert!(std::time::Instant::now() < until, "searches did not start");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Half of the server's 20 connections at most; the rest serve a document's page.
    assert_eq!(waiting().await, 10);
    // (Without the turns every connection waits on the lock, and this read is answered
    // UNAVAILABLE after the pool's acquire timeout.)
    let r = app
        .gql(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { title history { sequence } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        r["data"]["document"]["title"], "关于收费管理的通知",
        "{r:#}"
    );
    lock.rollback().await.unwrap();
    for search in searches {
        let r = search.await.unwrap();
        assert_eq!(
            r["data"]["searchDocuments"]["edges"][0]["node"]["clauseId"], "art-1-p1",
            "{r:#}"
        );
    }
}
