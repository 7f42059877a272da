//! The public catalogue (公开), as anyone reads it without a token: published documents only,
//! nothing of drafts, reviews or people; yearly catalogues; the Atom feed and the document
//! pages it links to; and the rate limit of anonymous callers.

use normledger::domain::Role;
use serde_json::{Value, json};

use crate::support::*;

const TEXT: &str = "第一条 为规范农村集体资产管理，制定本办法。\n第二条 本办法自发布之日起施行。";

/// A GET of `path` without a token.
async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// A GraphQL query without a token.
async fn anonymous(app: &TestApp, query: &str, variables: Value) -> Value {
    app.gql_as(None, query, variables).await
}

fn titles(connection: &Value) -> Vec<String> {
    let mut t: Vec<String> = connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{connection:#}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

/// Proves that without a token the public queries answer published documents only (a draft
/// and a document in review never appear), with the text in force; that the yearly
/// catalogues split what was in force from what ended; that everything else still needs a
/// token; and that the public type carries nothing of the review, the deliberation, the
/// actors or the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_catalogue_shows_published_documents_without_a_token() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let in_force =
        issued_with_text(&app, "农村集体资产管理办法", TEXT, "南政办发〔2019〕80号").await;
    let repealed = issued(&app, "临时价格管理办法", "南政办发〔2019〕81号").await;
    step(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &repealed,
        json!({"reason": "清理废止", "on": "2020-03-01", "decisionDocument": "南府发〔2020〕3号"}),
    )
    .await;
    let draft_id = draft(&app, "尚在起草的办法", false).await;
    let in_review = draft(&app, "正在审核的办法", false).await;
    to_awaiting_deliberation(&app, &in_review).await;

    let all = anonymous(
        &app,
        "{ publicDocuments { edges { node { title status number } } } }",
        json!({}),
    )
    .await;
    assert!(all.get("errors").is_none(), "{all:#}");
    assert_eq!(
        titles(&all["data"]["publicDocuments"]),
        ["临时价格管理办法", "农村集体资产管理办法"]
    );

    let one = anonymous(
        &app,
        "query($n: String!) { publicDocument(number: $n) { id title number status effectiveOn
           url inForce(on: \"2019-12-01\") text { version stageLabel hash clauses { id text } } } }",
        json!({"n": "南政办发[2019]80号"}),
    )
    .await;
    let doc = &one["data"]["publicDocument"];
    assert_eq!(doc["id"], in_force, "{one:#}");
    assert_eq!(doc["number"], "南政办发〔2019〕80号");
    assert_eq!(doc["inForce"], true);
    // The version issued (drafted as the first, reviewed and issued unchanged).
    assert_eq!(doc["text"]["version"], 1);
    assert_eq!(doc["text"]["hash"].as_str().map(str::len), Some(64));
    assert_eq!(doc["text"]["clauses"][0]["id"], "art-1");
    assert_eq!(doc["url"], format!("/public/documents/{in_force}"));
    let none = anonymous(
        &app,
        "{ publicDocument(number: \"南政办发〔2019〕99号\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(none["data"]["publicDocument"], Value::Null);
    let bad = anonymous(
        &app,
        "{ publicDocument(number: \"not a number\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(error_code(&bad).0, "BAD_USER_INPUT");

    // 现行有效目录 and 失效、废止目录 by year.
    let catalogue = |year: i32, kind: &str| {
        let app = &app;
        let query = format!(
            "{{ publicCatalogue(year: {year}, kind: {kind}) {{ edges {{ node {{ title }} }} }} }}"
        );
        async move { titles(&anonymous(app, &query, json!({})).await["data"]["publicCatalogue"]) }
    };
    assert_eq!(
        catalogue(2019, "IN_FORCE").await,
        ["临时价格管理办法", "农村集体资产管理办法"]
    );
    assert_eq!(catalogue(2020, "IN_FORCE").await, ["农村集体资产管理办法"]);
    assert_eq!(catalogue(2020, "ENDED").await, ["临时价格管理办法"]);
    assert!(catalogue(2019, "ENDED").await.is_empty());

    // Everything else still needs a token.
    for query in [
        "{ documents { edges { cursor } } }",
        &format!("{{ document(id: \"{draft_id}\") {{ id }} }}"),
    ] {
        let r = anonymous(&app, query, json!({})).await;
        assert_eq!(error_code(&r).0, "UNAUTHENTICATED", "{query}: {r:#}");
    }
    // The public type has nothing that is not published.
    let sdl = normledger::graphql::build_schema(Default::default()).sdl();
    let public_type = sdl
        .split("\ntype PublicDocument {")
        .nth(1)
        .and_then(|t| t.split("\n}").next())
        .expect("PublicDocument in the schema");
    for private in [
        "review",
        "deliberation",
        "history",
        "filing",
        "actor",
        "warning",
        "attachment",
    ] {
        assert!(
            !public_type.to_lowercase().contains(private),
            "PublicDocument exposes {private}: {public_type}"
        );
    }
}

/// Proves that the Atom feed lists publications and endings newest first, each linking to the
/// document's public page, as well-formed XML; that the page shows the published document
/// with its clauses; and that a draft's page does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_links_each_publication_and_repeal_to_the_documents_page() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = issued_with_text(&app, "农村集体资产管理办法", TEXT, "南政办发〔2019〕80号").await;
    step(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &id,
        json!({"reason": "清理废止 <已被新办法替代>", "on": "2020-03-01"}),
    )
    .await;
    let draft_id = draft(&app, "尚在起草的办法", false).await;

    let response = get(&app, "/feeds/documents.atom").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = response.text().await.unwrap();
    // Read back with an XML parser: well-formed, one entry per publication or ending.
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut entries, mut links, mut categories) = (0, vec![], vec![]);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"entry" => entries += 1,
            quick_xml::events::Event::Empty(e) => {
                let attr = |name: &[u8]| {
                    e.try_get_attribute(name).unwrap().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match e.name().as_ref() {
                    b"link" if attr(b"rel").as_deref() == Some("alternate") => {
                        links.push(attr(b"href").unwrap())
                    }
                    b"category" => categories.push(attr(b"term").unwrap()),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(entries, 2, "{xml}");
    assert_eq!(categories, ["Repealed", "Issued"], "newest first");
    let page = format!("/public/documents/{id}");
    assert!(links.iter().all(|l| l.ends_with(&page)), "{links:?}");

    let html = get(&app, &page).await;
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains("<h1>农村集体资产管理办法</h1>"), "{html}");
    assert!(
        html.contains("<p id=\"art-1\">第一条 为规范农村集体资产管理"),
        "{html}"
    );
    assert!(html.contains("南政办发〔2019〕80号") && html.contains("REPEALED"));
    assert!(
        html.contains("&lt;已被新办法替代&gt;") && !html.contains("<已被"),
        "escaped"
    );
    let missing = app
        .client
        .get(app.url(&format!("/public/documents/{draft_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404, "a draft has no public page");
}

/// Proves that a client without a token gets its burst, then 429 with `Retry-After` and a
/// coded error, on the catalogue and the feed alike; a made-up token does not escape the
/// limit, and staff with a valid token are not limited by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_are_rate_limited_per_address() {
    let mut settings = quiet_settings();
    settings.http.public = normledger::http::rate_limit::PublicLimit {
        per_minute: 1,
        burst: 3,
    };
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    let query = "{ publicDocuments { edges { cursor } } }";
    for _ in 0..2 {
        let r = anonymous(&app, query, json!({})).await;
        assert!(r.get("errors").is_none(), "{r:#}");
    }
    let feed = get(&app, "/feeds/documents.atom").await;
    assert_eq!(feed.status(), 200, "the feed shares the burst");
    let refused = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth("nl_made_up")
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(error_code(&body).0, "RATE_LIMITED", "{body:#}");
    let feed = get(&app, "/feeds/documents.atom").await;
    assert_eq!(feed.status(), 429);
    let staff = app.gql(Role::Auditor, query, json!({})).await;
    assert!(staff.get("errors").is_none(), "{staff:#}");
}

/// Proves that anyone may suggest a review (审查建议) of a published document without a token,
/// that it lands on the document with a 30-day reply deadline and without the submitter's
/// identity, that a draft cannot be the subject of one (it answers as if it did not exist),
/// and that the legal office answers it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_may_suggest_a_review_and_the_legal_office_answers() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = issued(&app, "农村集体资产管理办法", "南政办发〔2019〕80号").await;
    let submit = "mutation($input: SubmitReviewSuggestionInput!) {
      submitReviewSuggestion(input: $input) { documentNumber suggestion receivedOn replyDueOn } }";
    let r = anonymous(
        &app,
        submit,
        json!({"input": {"number": "南政办发[2019]80号", "text": "第五条增设了许可条件，与上位法不一致。"}}),
    )
    .await;
    let s = &r["data"]["submitReviewSuggestion"];
    assert_eq!(s["suggestion"], 1, "{r:#}");
    assert_eq!(s["documentNumber"], "南政办发〔2019〕80号");
    let received: chrono::NaiveDate = s["receivedOn"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        s["replyDueOn"].as_str().unwrap(),
        (received + chrono::Days::new(30)).to_string()
    );
    let r = anonymous(
        &app,
        submit,
        json!({"input": {"number": "南政办发〔2019〕99号", "text": "x"}}),
    )
    .await;
    assert_eq!(error_code(&r).0, "NOT_FOUND", "{r:#}");
    let r = anonymous(
        &app,
        submit,
        json!({"input": {"number": "南政办发〔2019〕80号", "text": " "}}),
    )
    .await;
    assert_eq!(error_code(&r).0, "BAD_USER_INPUT", "{r:#}");

    // Recorded as the public, with no person behind it.
    let h = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) {
               reviewSuggestions { number text answer } history { eventType role actorName } } }",
            json!({"id": id}),
        )
        .await;
    let last = h["document"]["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["eventType"].as_str(), last["role"].as_str()),
        (Some("ReviewSuggestionReceived"), Some("PUBLIC"))
    );
    step(
        &app,
        Role::LegalOffice,
        "answerReviewSuggestion",
        &id,
        json!({"suggestion": 1, "answer": "经审查，该条有上位法依据，不予纠正。"}),
    )
    .await;
    let r = act(
        &app,
        Role::LegalOffice,
        "answerReviewSuggestion",
        &id,
        json!({"suggestion": 1, "answer": "again"}),
    )
    .await;
    assert_eq!(error_code(&r).1.as_deref(), Some("INVALID_TRANSITION"));
    let doc = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { reviewSuggestions { number answer } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        doc["document"]["reviewSuggestions"][0]["answer"],
        "经审查，该条有上位法依据，不予纠正。"
    );
}
