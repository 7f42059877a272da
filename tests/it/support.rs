//! Test support: a private PostgreSQL cluster started by the tests themselves, one fresh
//! database per test, the real app served over HTTP on port 0, and one token per role.

use normledger::app::{App, Settings};
use normledger::domain::Role;
use normledger::store::cluster::PrivateCluster;
use normledger::store::{connect, tokens};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::OnceCell;

static CLUSTER: OnceCell<PrivateCluster> = OnceCell::const_new();

/// A free loopback port (bound and released; good enough for a test cluster).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shared test cluster. `scripts/test` names its directory (NORMLEDGER_TEST_PG_DIR) and
/// stops it afterwards; run without it, the cluster lives in a temp dir and a watchdog
/// stops it and deletes the directory once this test process has exited.
pub async fn cluster() -> &'static PrivateCluster {
    CLUSTER
        .get_or_init(|| async {
            let (root, watchdog) = match std::env::var_os("NORMLEDGER_TEST_PG_DIR") {
                Some(dir) => (PathBuf::from(dir), false),
                None => (temp_dir("normledger-test"), true),
            };
            let port = match std::env::var("NORMLEDGER_TEST_PG_PORT") {
                Ok(p) => p.parse().expect("NORMLEDGER_TEST_PG_PORT is a port"),
                Err(_) => free_port(),
            };
            let cluster = PrivateCluster::new(&root, port)
                .await
                .expect("prepare the test cluster");
            cluster.start().await.expect("start the test cluster");
            if watchdog {
                spawn_watchdog(&root);
            }
            cluster
        })
        .await
}

#[allow(clippy::zombie_processes)]
pub fn spawn_watchdog(root: &std::path::Path) {
    let pid = std::process::id();
    let bin = String::from_utf8(
        std::process::Command::new("pg_config")
            .arg("--bindir")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    let as_pg = if std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    {
        "runuser -u postgres --"
    } else {
        ""
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
         {as_pg} {bin}/pg_ctl -D {root}/data -m fast -w stop >/dev/null 2>&1; rm -rf {root}",
        bin = bin.trim(),
        root = root.display()
    );
    // Deliberately not waited for: it must outlive this process, in a session of its own so
    // that whatever ends this process's group does not end the watchdog too.
    let spawn = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
    };
    let _watchdog = spawn("setsid", &["sh", "-c", &script])
        .or_else(|_| spawn("sh", &["-c", &script]))
        .expect("spawn the cluster watchdog");
}

/// A new, empty database on the test cluster; returns its URL.
pub async fn fresh_database() -> String {
    let cluster = cluster().await;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    cluster
        .ensure_database(&name)
        .await
        .expect("create database");
    cluster.url(&name)
}

/// The real app on a fresh database, served over HTTP on 127.0.0.1:0.
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub tokens: HashMap<Role, String>,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    ledger: std::sync::Arc<normledger::commands::Ledger>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let url = fresh_database().await;
        Self::spawn_on(&url).await
    }

    /// Serves the app on an existing database (e.g. after a restart). The scheduler is off:
    /// test documents are dated 2019 and would expire at once on today's date; the tests of
    /// the scheduler turn it on with a fixed clock.
    pub async fn spawn_on(url: &str) -> TestApp {
        Self::spawn_with(url, quiet_settings()).await
    }

    /// Serves the app on an existing database with the given settings.
    pub async fn spawn_with(url: &str, settings: Settings) -> TestApp {
        Self::spawn_with_replicas(url, settings, &[]).await
    }

    /// Serves the app on an existing database, reading on these replicas of it.
    pub async fn spawn_with_replicas(
        url: &str,
        settings: Settings,
        replicas: &[String],
    ) -> TestApp {
        let pool = connect(url, 20).await.expect("connect");
        let app = App::start_with_replicas(pool.clone(), settings, replicas)
            .await
            .expect("start app");
        let ledger = app.ledger.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            app.serve(listener, std::future::pending()).await.unwrap();
        });
        let mut tokens = HashMap::new();
        for role in Role::ALL {
            // The drafter drafts for both test bodies; the legal office is their review body.
            let bodies: Vec<String> = match role {
                Role::Drafter => vec!["NCX-GOV-OFFICE".into(), "NCX-GOV".into()],
                Role::LegalOffice => vec!["NCX-JUSTICE".into()],
                // The government bodies' two filing authorities.
                Role::FilingAuthority => vec![CITY.into(), CONGRESS.into()],
                _ => vec![],
            };
            let (_, secret) = tokens::create(&pool, &format!("test {role}"), role, &bodies, None)
                .await
                .unwrap();
            tokens.insert(role, secret);
        }
        TestApp {
            addr,
            pool,
            tokens,
            client: reqwest::Client::new(),
            server,
            ledger,
        }
    }

    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL request with an optional bearer token; returns the JSON body.
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// A GraphQL multipart request (the upload convention): `query` takes the file as the
    /// variable `$file`.
    pub async fn gql_with_file_as(
        &self,
        token: Option<&str>,
        query: &str,
        file: Vec<u8>,
        file_name: &str,
    ) -> Value {
        let operations = json!({"query": query, "variables": {"file": null}});
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({"0": ["variables.file"]}).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(file).file_name(file_name.to_owned()),
            );
        let mut req = self.client.post(self.url("/graphql")).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    pub async fn gql(&self, role: Role, query: &str, variables: Value) -> Value {
        self.gql_as(Some(self.token(role)), query, variables).await
    }

    /// Like [`gql`](Self::gql) but panics on any GraphQL error; returns `data`.
    pub async fn ok(&self, role: Role, query: &str, variables: Value) -> Value {
        let body = self.gql(role, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// The app's ledger (its projector, its access cache).
    pub fn ledger(&self) -> &normledger::commands::Ledger {
        &self.ledger
    }

    /// Whether this app's projector leads the projection.
    pub async fn is_leading(&self) -> bool {
        self.ledger.projector().is_leader()
    }

    /// Stops serving (the listener closes).
    pub fn stop(self) -> PgPool {
        self.server.abort();
        self.pool
    }
}

/// Default settings without the scheduler.
pub fn quiet_settings() -> Settings {
    let mut settings = Settings {
        scheduler_every: None,
        ..Settings::default()
    };
    // The tests send many requests without a token from one address; the rate limit has a
    // test of its own.
    settings.http.public = normledger::http::rate_limit::PublicLimit {
        per_minute: 1_000_000,
        burst: 1_000_000,
    };
    settings
}

/// The first error's `extensions.code`, and `extensions.rule` if any.
pub fn error_code(body: &Value) -> (String, Option<String>) {
    let ext = &body["errors"][0]["extensions"];
    (
        ext["code"].as_str().unwrap_or("<none>").to_owned(),
        ext["rule"].as_str().map(str::to_owned),
    )
}

pub const LIST_BODY: &str = "mutation($input: ListIssuingBodyInput!) {
  listIssuingBody(input: $input) { issuingBody { code name listed agencyCodes } position projected } }";

pub const DRAFT: &str = "mutation($input: DraftDocumentInput!) {
  draftDocument(input: $input) { document { id status title } position projected } }";

/// The filing authorities (备案机关) of the county's government bodies.
pub const CITY: &str = "南昌市人民政府";
pub const CONGRESS: &str = "南昌县人大常委会";

/// Lists the county government office (南政办发) and the county government (南府发), both
/// reviewed by NCX-JUSTICE and filed with the city government and the county congress.
pub async fn list_bodies(app: &TestApp) {
    for (code, name, kind, agency) in [
        (
            "NCX-GOV-OFFICE",
            "南昌县人民政府办公室",
            "COUNTY_GOVERNMENT_OFFICE",
            "南政办发",
        ),
        ("NCX-GOV", "南昌县人民政府", "COUNTY_GOVERNMENT", "南府发"),
    ] {
        app.ok(
            Role::LegalOffice,
            LIST_BODY,
            json!({"input": {"code": code, "name": name, "kind": kind, "agencyCodes": [agency],
                   "listedFrom": "2019-01-01", "reviewBody": "NCX-JUSTICE",
                   "filingAuthorities": [CITY, CONGRESS]}}),
        )
        .await;
    }
}

/// The variables of `LIST_BODY` for a county department reviewed by NCX-JUSTICE: a write
/// the catch-up projector applies (documents are written with their rows instead).
pub fn department(code: &str, name: &str, agency_code: &str) -> Value {
    json!({"input": {"code": code, "name": name, "kind": "COUNTY_DEPARTMENT",
           "agencyCodes": [agency_code], "listedFrom": "2019-01-01", "reviewBody": "NCX-JUSTICE"}})
}

/// Drafts a document for NCX-GOV-OFFICE; returns its id.
pub async fn draft(app: &TestApp, title: &str, major: bool) -> String {
    let data = app
        .ok(
            Role::Drafter,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": title, "class": "GOVERNMENT", "isMajorDecision": false,
                   "isMajorDecision": major, "draftedOn": "2019-06-01"}}),
        )
        .await;
    data["draftDocument"]["document"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs one document mutation `name(id, input)` as `role`; returns the raw response.
pub async fn act(app: &TestApp, role: Role, name: &str, id: &str, input: Value) -> Value {
    let input_type = format!("{}Input", input_type_name(name));
    let query = format!(
        "mutation($id: ID!, $input: {input_type}!) {{ {name}(id: $id, input: $input) {{
           document {{ id status filingStatus version }} position projected }} }}"
    );
    app.gql(role, &query, json!({"id": id, "input": input}))
        .await
}

fn input_type_name(mutation: &str) -> String {
    match mutation {
        "repealDocument" | "withdrawDocument" => "EndDocument".to_owned(),
        m => {
            let mut c = m.chars();
            c.next().unwrap().to_uppercase().chain(c).collect()
        }
    }
}

/// Like [`act`] but the mutation must succeed; returns the document's new status.
pub async fn step(app: &TestApp, role: Role, name: &str, id: &str, input: Value) -> String {
    let body = act(app, role, name, id, input).await;
    assert!(body.get("errors").is_none(), "{name} failed: {body:#}");
    let payload = &body["data"][name];
    assert_eq!(
        payload["projected"], true,
        "{name} answered before the read model caught up"
    );
    payload["document"]["status"].as_str().unwrap().to_owned()
}

/// Takes a drafted document to AWAITING_DELIBERATION with a LAWFUL review.
pub async fn to_awaiting_deliberation(app: &TestApp, id: &str) {
    step(
        app,
        Role::Drafter,
        "submitForReview",
        id,
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
    )
    .await;
    step(
        app,
        Role::LegalOffice,
        "startReview",
        id,
        json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
    )
    .await;
    step(
        app,
        Role::LegalOffice,
        "concludeReview",
        id,
        json!({"outcome": "LAWFUL", "opinion": "合法", "concludedOn": "2019-07-10"}),
    )
    .await;
}

/// Takes a drafted document to APPROVED.
pub async fn to_approved(app: &TestApp, id: &str) {
    to_awaiting_deliberation(app, id).await;
    step(
        app,
        Role::GovernmentOffice,
        "recordDeliberation",
        id,
        json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "县政府常务会议", "heldOn": "2019-08-20"}),
    )
    .await;
}

/// Issues a document of NCX-GOV-OFFICE under `number`; returns its id.
pub async fn issued(app: &TestApp, title: &str, number: &str) -> String {
    let id = draft(app, title, false).await;
    to_approved(app, &id).await;
    step(
        app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input(number),
    )
    .await;
    id
}

/// Issues a document with `text` (reviewed LAWFUL on it) under `number`; returns its id.
/// Drafts a document of NCX-GOV-OFFICE with `text` as its first version; returns its id.
pub async fn draft_with_text(app: &TestApp, title: &str, text: &str) -> String {
    app.ok(
        Role::Drafter,
        DRAFT,
        json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": title, "class": "GOVERNMENT", "isMajorDecision": false,
               "draftedOn": "2019-06-01", "text": text}}),
    )
    .await["draftDocument"]["document"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn issued_with_text(app: &TestApp, title: &str, text: &str, number: &str) -> String {
    let id = draft_with_text(app, title, text).await;
    to_approved(app, &id).await;
    step(
        app,
        Role::GovernmentOffice,
        "issueDocument",
        &id,
        issue_input(number),
    )
    .await;
    id
}

pub fn issue_input(number: &str) -> Value {
    json!({"number": number, "signer": "县长", "issuedOn": "2019-09-02",
           "publishedOn": "2019-09-05", "effectiveOn": "2019-10-05"})
}

/// A pool logged in as the server's own role, as a stolen server credential would be.
pub async fn as_app_role(owner: &sqlx::PgPool) -> sqlx::PgPool {
    let o = owner.connect_options();
    let url = format!(
        "postgres://{}@{}:{}/{}",
        normledger::store::APP_ROLE,
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap()
    );
    normledger::store::connect(&url, 1).await.unwrap()
}

/// Runs `sql` with the append-only trigger disabled, as a superuser attacker would.
pub async fn tamper(pool: &PgPool, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER events_append_only")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub const PASSWORD: &str = "correct horse battery";

/// A console account as ADMIN would create it, with [`PASSWORD`] and the display name
/// `{name} 同志`.
pub async fn account(app: &TestApp, name: &str, role: Role, bodies: &[&str]) -> uuid::Uuid {
    normledger::store::accounts::create(
        &app.pool,
        normledger::store::accounts::NewAccount {
            name: name.to_owned(),
            display_name: format!("{name} 同志"),
            password: PASSWORD.to_owned(),
            role,
            bodies: bodies.iter().map(|b| (*b).to_owned()).collect(),
        },
        "test",
    )
    .await
    .unwrap()
}
