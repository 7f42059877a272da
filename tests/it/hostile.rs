//! Hostile input against the running server, table-driven: every case answers with a coded
//! error (never INTERNAL, never a hang, never a 5xx other than a deliberate TIMEOUT) and the
//! log does not grow. Also the production switches: no introspection, no GraphiQL.

use normledger::domain::Role;
use serde_json::{Value, json};
use std::time::Duration;

use crate::support::*;

/// POSTs raw bytes as a GraphQL request with a valid token; returns (status, JSON body).
async fn raw(app: &TestApp, role: Role, body: Vec<u8>) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/graphql"))
        .bearer_auth(app.token(role))
        .header("content-type", "application/json")
        .body(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({"unparsed": text}));
    (status, body)
}

fn request(query: &str, variables: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap()
}

fn draft_with_title(title: &str) -> Vec<u8> {
    request(
        DRAFT,
        json!({"input": {"bodyCode": "NCX-GOV", "title": title, "class": "GOVERNMENT", "isMajorDecision": false}}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_coded_errors_and_write_nothing() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "靶文件", false).await;
    to_approved(&app, &id).await;
    let before = app.event_count().await;
    let issue = |number: &str| {
        request(
            "mutation($id: ID!, $input: IssueDocumentInput!) { issueDocument(id: $id, input: $input) { position } }",
            json!({"id": id, "input": issue_input(number)}),
        )
    };
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(30),
        "}".repeat(30)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..5000)
            .map(|i| format!("a{i}: documents {{ edges {{ cursor }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    use Role::{Drafter as D, GovernmentOffice as G};
    let cases: Vec<(&str, Role, Vec<u8>)> = vec![
        ("malformed JSON", D, b"{\"query\": ".to_vec()),
        ("not JSON at all", D, b"\x00\xff\xfe garbage".to_vec()),
        (
            "a lone surrogate",
            D,
            br#"{"query": "{ documents { edges { cursor } } }", "variables": {"x": "\ud800"}}"#
                .to_vec(),
        ),
        (
            "a batch",
            D,
            format!(
                "[{}, {}]",
                String::from_utf8(request("{ documents { edges { cursor } } }", json!({})))
                    .unwrap(),
                String::from_utf8(request("{ documents { edges { cursor } } }", json!({})))
                    .unwrap()
            )
            .into_bytes(),
        ),
        (
            "invalid GraphQL",
            D,
            request("mutation { draftDocument(input: {", json!({})),
        ),
        (
            "an unknown field",
            D,
            request("{ documents { edges { node { secret } } } }", json!({})),
        ),
        (
            "a wrong type",
            D,
            request(
                "query { documents(first: \"many\") { edges { cursor } } }",
                json!({}),
            ),
        ),
        (
            "an invalid UUID",
            G,
            request(
                "mutation { startReview(id: \"'; DROP TABLE events; --\", input: {}) { position } }",
                json!({}),
            ),
        ),
        (
            "an invalid date",
            G,
            request(
                "mutation($id: ID!) { startReview(id: $id, input: {dueOn: \"2019-13-01\"}) { position } }",
                json!({"id": id}),
            ),
        ),
        ("文号 without brackets", G, issue("南政办发2019年80号")),
        ("文号 with leading zero", G, issue("南政办发〔2019〕080号")),
        ("文号 with 第", G, issue("南政办发〔2019〕第80号")),
        ("文号 with no agency", G, issue("〔2019〕80号")),
        ("文号 with letters", G, issue("南政办发〔二〇一九〕80号")),
        ("文号 with SQL", G, issue("南政办发〔2019〕80号' OR '1'='1")),
        ("a NUL byte", D, draft_with_title("标题\u{0}")),
        ("a control character", D, draft_with_title("标题\u{7}")),
        (
            "a right-to-left override",
            D,
            draft_with_title("南政办发\u{202E}号36〕9102〔"),
        ),
        (
            "a very long title",
            D,
            draft_with_title(&"长".repeat(100_000)),
        ),
        (
            "a NUL byte in a cursor",
            D,
            request(
                "{ issuingBodies(after: \"a\\u0000b\") { edges { cursor } } }",
                json!({}),
            ),
        ),
        (
            "a NUL byte in a code",
            D,
            request("{ issuingBody(code: \"NCX\\u0000\") { code } }", json!({})),
        ),
        (
            "a page too large",
            D,
            request(
                "{ documents(first: 1000000) { edges { cursor } } }",
                json!({}),
            ),
        ),
        (
            "a deeply nested query",
            D,
            deep.clone().into_bytes().pipe_query(),
        ),
        (
            "aliases repeated thousands of times",
            D,
            aliases.into_bytes().pipe_query(),
        ),
        (
            "a body over the limit",
            D,
            request(
                &format!(
                    "{{ documents(filter: {{titleContains: \"{}\"}}) {{ edges {{ cursor }} }} }}",
                    "x".repeat(2 << 20)
                ),
                json!({}),
            ),
        ),
    ];
    for (what, role, body) in cases {
        let (status, response) = raw(&app, role, body).await;
        let code = response["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<none>")
            .to_owned();
        assert!(
            ["BAD_USER_INPUT", "FORBIDDEN", "NOT_FOUND"].contains(&code.as_str()),
            "{what}: HTTP {status}, code {code}: {response:#}"
        );
        assert!(status < 500, "{what}: HTTP {status}");
        let text = response.to_string();
        for leak in ["SELECT", "sqlx", ".rs:", "panicked", "stack backtrace"] {
            assert!(!text.contains(leak), "{what} leaks {leak:?}: {text}");
        }
    }
    assert_eq!(app.event_count().await, before, "no hostile request wrote");

    // SQL-looking text is data: stored and read back verbatim, never interpreted.
    let sql = "'); DROP TABLE events; -- 南府发〔2019〕1号";
    let (_, r) = raw(&app, Role::Drafter, draft_with_title(sql)).await;
    assert_eq!(
        r["data"]["draftDocument"]["document"]["title"], sql,
        "{r:#}"
    );
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'events'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(tables, 1);
}

/// Turns a query text into a request body.
trait PipeQuery {
    fn pipe_query(self) -> Vec<u8>;
}

impl PipeQuery for Vec<u8> {
    fn pipe_query(self) -> Vec<u8> {
        request(&String::from_utf8(self).unwrap(), json!({}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_switches_close_introspection_and_graphiql_and_slow_requests_time_out() {
    let mut settings = quiet_settings();
    settings.limits.introspection = false;
    settings.http.graphiql = false;
    settings.http.request_timeout = Duration::from_millis(500);
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    let page = reqwest::get(app.url("/graphql")).await.unwrap();
    assert_eq!(page.status(), 404, "no GraphiQL");
    let (status, r) = raw(
        &app,
        Role::Auditor,
        request("{ __schema { types { name } } }", json!({})),
    )
    .await;
    assert!(status < 500, "{r:#}");
    assert_eq!(
        r["data"]["__schema"],
        Value::Null,
        "introspection answers nothing: {r:#}"
    );
    // A read blocked behind a lock runs past the limit and is answered, not left hanging.
    let mut lock = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE rm_documents IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (status, r) = raw(
        &app,
        Role::Auditor,
        request("{ documents { edges { cursor } } }", json!({})),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    lock.rollback().await.unwrap();
    assert_eq!(status, 503, "{r:#}");
    assert_eq!(r["errors"][0]["extensions"]["code"], "TIMEOUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tightened_input_limits_refuse_longer_input_and_write_nothing() {
    let mut settings = quiet_settings();
    settings.write.input_limits.title_chars = 10;
    settings.write.input_limits.list_len = 2;
    settings.limits.max_page = 5;
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    let before = app.event_count().await;
    let (_, r) = raw(
        &app,
        Role::Drafter,
        draft_with_title("十一个字的标题还要更长"),
    )
    .await;
    assert_eq!(
        r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{r:#}"
    );
    assert_eq!(r["errors"][0]["extensions"]["field"], "title");
    let id = draft(&app, "十字以内", false).await;
    let r = act(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿", "起草说明", "依据"]}),
    )
    .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "materials", "{r:#}");
    assert_eq!(
        app.event_count().await,
        before + 1,
        "only the short draft was written"
    );
    let r = app
        .gql(
            Role::Auditor,
            "{ documents(first: 6) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "first", "{r:#}");
    app.ok(
        Role::Auditor,
        "{ documents(first: 5) { edges { cursor } } }",
        json!({}),
    )
    .await;
}

/// The introspection query GraphiQL and graphql-js send (`getIntrospectionQuery()`), with its
/// seven levels of `ofType`.
pub const STANDARD_INTROSPECTION: &str = "query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}";

/// Proves that introspection works whenever it is on (GraphiQL's docs and autocomplete were
/// refused by the depth limit of 12), while data fields in such a query resolve nothing (the
/// API's own depth limit still refuses a 30-deep introspection: `hostile_requests…`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_is_answered_and_answers_nothing_else() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let (status, r) = raw(
        &app,
        Role::Auditor,
        request(STANDARD_INTROSPECTION, json!({})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(r.get("errors").is_none(), "{r:#}");
    let types = r["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Document"));
    // Riding on an introspection query, a data field resolves to nothing.
    let (_, r) = raw(
        &app,
        Role::Auditor,
        request(
            "{ __schema { queryType { name } } issuingBodies { edges { cursor } } }",
            json!({}),
        ),
    )
    .await;
    assert_eq!(r["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    assert!(r["data"]["issuingBodies"].is_null(), "{r:#}");
}

/// Proves that an error answer stays small whatever the client sent: a 30 KB query nested
/// 5,000 deep used to come back as a 48 KB parse error quoting it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_quotes_at_most_a_short_excerpt_of_the_input() {
    let app = TestApp::spawn().await;
    let query = format!("{{ {} x }}", "documents { ".repeat(2_500));
    assert!(query.len() > 30_000);
    let (status, r) = raw(&app, Role::Auditor, request(&query, json!({}))).await;
    assert!(status < 500);
    let answer = serde_json::to_string(&r).unwrap();
    assert!(
        answer.len() < 2_000,
        "{} bytes: {answer:.400}",
        answer.len()
    );
    assert_eq!(r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// Proves that validation errors name what they are about in `extensions.field`, as the
/// server's own input checks do: an unknown field, a missing argument, a bad scalar, a bad
/// variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_their_field() {
    let app = TestApp::spawn().await;
    for (query, variables, field) in [
        ("{ documents { edges { nope } } }", json!({}), "nope"),
        ("{ document { id } }", json!({}), "id"),
        ("{ document(id: 5) { id } }", json!({}), "id"),
        (
            "query($d: String!) { document(id: $d) { id } }",
            json!({}),
            "d",
        ),
    ] {
        let (_, r) = raw(&app, Role::Auditor, request(query, variables)).await;
        let ext = &r["errors"][0]["extensions"];
        assert_eq!(ext["code"], "BAD_USER_INPUT", "{query}: {r:#}");
        assert_eq!(ext["field"], field, "{query}: {r:#}");
    }
}
