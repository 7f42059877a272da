//! The load generator of `scripts/bench`: N connections to the server's GraphQL endpoint for a
//! bounded time, every answer checked (an `errors` array inside an HTTP 200 is a failure),
//! latencies and the server's own commit-to-read-model times (`extensions.writes`) collected,
//! one JSON object printed to stdout.
//!
//! ```text
//! loadgen commands --url U --drafter T --legal T --advisor T --government T \
//!         --connections 16 --seconds 10 --serial-base 1000000
//! loadgen reads --url U --token T --kind document|documents|audit --ids FILE \
//!         --connections 16 --seconds 10
//! loadgen reads --url U --token T --kind search --queries FILE --connections 16 --seconds 10
//! loadgen pages --base http://HOST:PORT --token T --ids FILE --connections 16 --seconds 10
//! ```
//!
//! `pages` signs each connection in to the web console with the token (a session cookie, as a
//! person's browser holds) and requests its pages in turn: my work, the documents list, a
//! document, its review page, its timeline, the public catalogue; per page it reports the
//! latencies and the largest HTML.
//!
//! `commands` and `reads` send half of their connections' queries as persisted queries (the
//! SHA-256 of the query, Apollo's convention) and half as text, and report both halves'
//! latencies apart (`persisted`, `plain`).

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};
use sha2::Digest;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand)]
enum Workload {
    /// Document lifecycles: draft, submit, start review, add opinion, conclude, deliberate, issue.
    Commands {
        #[arg(long)]
        url: String,
        #[arg(long)]
        drafter: String,
        #[arg(long)]
        legal: String,
        #[arg(long)]
        advisor: String,
        #[arg(long)]
        government: String,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Stop after this many whole lifecycles (0: run for `seconds`).
        #[arg(long, default_value_t = 0)]
        lifecycles: u64,
        /// The first serial of the 文号 南府发〔2019〕N号 this run issues under.
        #[arg(long)]
        serial_base: u64,
        /// A file whose contents every draft carries as its text (正文); none by default.
        #[arg(long)]
        text: Option<std::path::PathBuf>,
    },
    /// The web console's pages, in turn, over signed-in sessions.
    Pages {
        /// The server's address, without a path.
        #[arg(long)]
        base: String,
        /// A token exchanged for each connection's session.
        #[arg(long)]
        token: String,
        /// Document ids, one per line.
        #[arg(long)]
        ids: std::path::PathBuf,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// One kind of read, again and again.
    Reads {
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        #[arg(long, value_enum)]
        kind: ReadKind,
        /// Document ids to read, one per line (document, documents, audit).
        #[arg(long)]
        ids: Option<std::path::PathBuf>,
        /// Search queries, one per line (search).
        #[arg(long)]
        queries: Option<std::path::PathBuf>,
        /// The log's last position (audit-trail pages start at random positions below it).
        #[arg(long, default_value_t = 1)]
        max_position: u64,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReadKind {
    /// `document(id) { … history }`
    Document,
    /// `documents(first: 50, filter)`, walking pages by cursor
    Documents,
    /// `auditTrail(first: 100)`, walking pages by cursor from a random position
    Audit,
    /// `searchDocuments(query, first: 20)`, a random query of the file each time
    Search,
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    /// The same calls' latencies, split by how they were sent: by a persisted query's hash
    /// (half the connections), or with the query's text.
    persisted_us: Vec<u64>,
    plain_us: Vec<u64>,
    visible_after_ms: Vec<f64>,
    ok: u64,
    errors: u64,
    error_samples: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.persisted_us.extend(other.persisted_us);
        self.plain_us.extend(other.plain_us);
        self.visible_after_ms.extend(other.visible_after_ms);
        self.ok += other.ok;
        self.errors += other.errors;
        for s in other.error_samples {
            if self.error_samples.len() < 5 {
                self.error_samples.push(s);
            }
        }
    }

    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(what);
        }
    }
}

/// One keep-alive connection (a client that holds at most one) and a GraphQL call on it.
/// A `persisted` connection sends each query as its SHA-256 (Apollo's persisted queries) and
/// the text only when the server answers PERSISTED_QUERY_NOT_FOUND, as Apollo's clients do.
struct Connection {
    client: reqwest::Client,
    url: String,
    persisted: bool,
}

impl Connection {
    fn new(url: &str, persisted: bool) -> Connection {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Connection {
            client,
            url: url.to_owned(),
            persisted,
        }
    }

    async fn post(
        &self,
        token: &str,
        body: &Value,
    ) -> Result<(reqwest::StatusCode, Result<Value, reqwest::Error>), reqwest::Error> {
        let r = self
            .client
            .post(&self.url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = r.status();
        Ok((status, r.json::<Value>().await))
    }

    /// Sends one request; on success returns `data[field]` and the response's writes.
    async fn call(
        &self,
        tally: &mut Tally,
        token: &str,
        query: &str,
        variables: Value,
        field: &str,
    ) -> Option<Value> {
        let started = Instant::now();
        let answer = if self.persisted {
            let hash = format!("{:x}", sha2::Sha256::digest(query.as_bytes()));
            let extensions = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
            let first = self
                .post(
                    token,
                    &json!({"variables": variables, "extensions": extensions}),
                )
                .await;
            let missed = matches!(&first, Ok((_, Ok(b)))
                if b["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND");
            if missed {
                self.post(
                    token,
                    &json!({"query": query, "variables": variables, "extensions": extensions}),
                )
                .await
            } else {
                first
            }
        } else {
            self.post(token, &json!({"query": query, "variables": variables}))
                .await
        };
        let (status, body) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                tally.error(format!("{field}: {e}"));
                return None;
            }
        };
        let took = started.elapsed().as_micros() as u64;
        tally.latencies_us.push(took);
        if self.persisted {
            tally.persisted_us.push(took);
        } else {
            tally.plain_us.push(took);
        }
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                tally.error(format!("{field}: HTTP {status}, body not JSON: {e}"));
                return None;
            }
        };
        if !status.is_success() || body.get("errors").is_some() || body["data"][field].is_null() {
            tally.error(format!("{field}: HTTP {status}: {body}"));
            return None;
        }
        if let Some(writes) = body["extensions"]["writes"].as_array() {
            for w in writes {
                match w["visibleAfterMs"].as_f64() {
                    Some(ms) => tally.visible_after_ms.push(ms),
                    None => tally.error(format!("{field}: write not projected in time: {w}")),
                }
            }
        }
        tally.ok += 1;
        Some(body["data"][field].clone())
    }
}

const DRAFT: &str = "mutation($cid: ID, $title: String!, $text: String) {
    draftDocument(commandId: $cid, input: {
    bodyCode: \"NCX-GOV\", title: $title, class: GOVERNMENT, isMajorDecision: false, draftedOn: \"2019-06-01\",
    summary: \"基准负载：规范性文件全流程\", text: $text}) { document { id status } position } }";

/// The steps after the draft: (mutation, input type, which token, input).
fn steps(serial: u64) -> [(&'static str, &'static str, usize, Value); 6] {
    [
        (
            "submitForReview",
            "SubmitForReviewInput",
            0,
            json!({"materials": ["送审稿", "起草说明", "征求意见情况"], "submittedOn": "2019-07-01"}),
        ),
        (
            "startReview",
            "StartReviewInput",
            1,
            json!({"startedOn": "2019-07-02", "dueOn": "2019-07-20"}),
        ),
        (
            "addAdvisorOpinion",
            "AddAdvisorOpinionInput",
            2,
            json!({"text": "经审查，该文件制定主体合法，内容未违反上位法规定。", "conclusion": "合法",
                   "givenOn": "2019-07-05"}),
        ),
        (
            "concludeReview",
            "ConcludeReviewInput",
            1,
            json!({"outcome": "LAWFUL", "opinion": "合法", "concludedOn": "2019-07-10"}),
        ),
        (
            "recordDeliberation",
            "RecordDeliberationInput",
            3,
            json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "县政府常务会议", "heldOn": "2019-08-20"}),
        ),
        (
            "issueDocument",
            "IssueDocumentInput",
            3,
            json!({"number": format!("南府发〔2019〕{serial}号"), "signer": "县长",
                   "issuedOn": "2019-09-02", "publishedOn": "2019-09-05",
                   "effectiveOn": "2019-10-05"}),
        ),
    ]
}

/// A fresh command id (a client retrying would send the same one again).
fn command_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn lifecycles(
    worker: usize,
    conn: Connection,
    tokens: Arc<[String; 4]>,
    deadline: Instant,
    budget: Arc<AtomicU64>,
    serials: Arc<AtomicU64>,
    text: Arc<Option<String>>,
) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0u64;
    'life: while Instant::now() < deadline {
        if budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .is_err()
        {
            break;
        }
        n += 1;
        let Some(drafted) = conn
            .call(
                &mut tally,
                &tokens[0],
                DRAFT,
                json!({"cid": command_id(), "title": format!("基准文件 {worker}-{n}"),
                       "text": *text}),
                "draftDocument",
            )
            .await
        else {
            continue;
        };
        let id = drafted["document"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let serial = serials.fetch_add(1, Ordering::SeqCst);
        for (name, input_type, who, input) in steps(serial) {
            if Instant::now() >= deadline {
                break 'life;
            }
            let query = format!(
                "mutation($cid: ID, $id: ID!, $input: {input_type}!) {{
                   {name}(commandId: $cid, id: $id, input: $input) {{ document {{ status }} position }} }}"
            );
            let vars = json!({"cid": command_id(), "id": id, "input": input});
            if conn
                .call(&mut tally, &tokens[who], &query, vars, name)
                .await
                .is_none()
            {
                continue 'life;
            }
        }
    }
    tally
}

/// A small xorshift: deterministic per worker, no dependency.
struct Random(u64);
impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

const DOCUMENT: &str = "query($id: String!) { document(id: $id) { id status title bodyCode
    review { outcome advisorOpinions { advisorName text } }
    issuance { number issuedOn effectiveOn }
    history { position eventType recordedAt actorName role summary } } }";

const DOCUMENTS: &str = "query($after: String) { documents(first: 50, after: $after,
    filter: {bodyCode: \"NCX-GOV\", status: ISSUED, year: 2019}) {
    edges { cursor node { id title status issuance { number effectiveOn } } }
    pageInfo { hasNextPage endCursor } } }";

const SEARCH: &str = "query($q: String!) { searchDocuments(query: $q, first: 20) {
    edges { node { score clauseId clauseNumber snippet highlightStart highlightLength
                   document { id title status } } }
    pageInfo { hasNextPage } } }";

const AUDIT: &str = "query($after: String) { auditTrail(first: 100, after: $after) {
    edges { cursor node { position aggregateType aggregateId eventType recordedAt actorName role summary } }
    pageInfo { hasNextPage endCursor } } }";

#[allow(clippy::too_many_arguments)]
async fn reads(
    worker: usize,
    conn: Connection,
    token: Arc<String>,
    kind: ReadKind,
    ids: Arc<Vec<String>>,
    max_position: u64,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut random = Random(0x9E37_79B9_7F4A_7C15 ^ (worker as u64 + 1).wrapping_mul(0x2545_F491));
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    while Instant::now() < deadline {
        match kind {
            ReadKind::Document => {
                let id = &ids[random.below(ids.len() as u64) as usize];
                let doc = conn
                    .call(&mut tally, &token, DOCUMENT, json!({"id": id}), "document")
                    .await;
                if let Some(doc) = doc
                    && doc["history"].as_array().is_none_or(|h| h.is_empty())
                {
                    tally.error(format!("document {id} came back without its history"));
                }
            }
            ReadKind::Search => {
                let q = &ids[random.below(ids.len() as u64) as usize];
                let found = conn
                    .call(
                        &mut tally,
                        &token,
                        SEARCH,
                        json!({"q": q}),
                        "searchDocuments",
                    )
                    .await;
                // Every query of the file is built to match some document.
                if let Some(found) = found
                    && found["edges"].as_array().is_none_or(|e| e.is_empty())
                {
                    tally.error(format!("the search {q:?} found nothing"));
                }
            }
            ReadKind::Documents | ReadKind::Audit => {
                let (query, field) = match kind {
                    ReadKind::Documents => (DOCUMENTS, "documents"),
                    _ => (AUDIT, "auditTrail"),
                };
                if cursor.is_none() && matches!(kind, ReadKind::Audit) {
                    // An auditor opening the trail somewhere in the middle.
                    let position = 1 + random.below(max_position.saturating_sub(2000).max(1));
                    cursor = Some(position.to_string());
                }
                let page = conn
                    .call(&mut tally, &token, query, json!({"after": cursor}), field)
                    .await;
                pages += 1;
                if let Some(p) = &page
                    && p["edges"].as_array().is_none_or(|e| e.is_empty())
                {
                    tally.error(format!("{field} after {cursor:?} was empty"));
                }
                // Up to 20 pages deep, then start again.
                cursor = page.and_then(|p| {
                    let next = p["pageInfo"]["hasNextPage"].as_bool() == Some(true) && pages < 20;
                    next.then(|| p["pageInfo"]["endCursor"].as_str().map(str::to_owned))
                        .flatten()
                });
                if cursor.is_none() {
                    pages = 0;
                }
            }
        }
    }
    tally
}

/// The console's pages a worker requests in turn; `{id}` is a random document.
const PAGES: [(&str, &str); 6] = [
    ("work", "/console/work"),
    ("documents", "/console/documents?status=ISSUED"),
    ("document", "/console/documents/{id}"),
    ("review", "/console/documents/{id}/review"),
    ("timeline", "/console/documents/{id}/timeline"),
    ("catalogue", "/console/catalogue?year=2019"),
];

/// Per page: what a worker saw, and the largest HTML.
type PageTallies = Vec<(Tally, usize)>;

/// Signs in with the token (the sign-in form's one-off value and cookie, then the token) and
/// returns the session cookie.
async fn console_session(client: &reqwest::Client, base: &str, token: &str) -> String {
    let form = client
        .get(format!("{base}/console/sign-in"))
        .send()
        .await
        .expect("the sign-in page");
    let nonce_cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = form.text().await.unwrap();
    let at = html.find("name=\"nonce\" value=\"").expect("a nonce") + 20;
    let nonce = html[at..at + html[at..].find('"').unwrap()].to_owned();
    let signed_in = client
        .post(format!("{base}/console/sign-in"))
        .header("cookie", nonce_cookie)
        .form(&[("nonce", nonce.as_str()), ("token", token)])
        .send()
        .await
        .expect("signing in");
    assert_eq!(signed_in.status(), 303, "the token signs in");
    signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("nl_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

async fn pages(
    worker: usize,
    base: Arc<String>,
    token: Arc<String>,
    ids: Arc<Vec<String>>,
    deadline: Instant,
) -> PageTallies {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let cookie = console_session(&client, &base, &token).await;
    let mut tallies: PageTallies = PAGES.iter().map(|_| (Tally::default(), 0)).collect();
    let mut random = Random(0x2545_F491_4F6C_DD1D ^ (worker as u64 + 1).wrapping_mul(0x9E37_79B9));
    let mut turn = worker;
    while Instant::now() < deadline {
        let i = turn % PAGES.len();
        turn += 1;
        let (name, path) = PAGES[i];
        let id = &ids[random.below(ids.len() as u64) as usize];
        let url = format!("{base}{}", path.replace("{id}", id));
        let started = Instant::now();
        let answer = client.get(&url).header("cookie", &cookie).send().await;
        let (tally, largest) = &mut tallies[i];
        match answer {
            Ok(r) if r.status() == 200 => match r.text().await {
                Ok(html) => {
                    tally
                        .latencies_us
                        .push(started.elapsed().as_micros() as u64);
                    *largest = (*largest).max(html.len());
                    if html.contains("role=\"alert\"") {
                        tally.error(format!("{name}: the page shows an error"));
                    } else {
                        tally.ok += 1;
                    }
                }
                Err(e) => tally.error(format!("{name}: {e}")),
            },
            Ok(r) => tally.error(format!("{name}: HTTP {}", r.status())),
            Err(e) => tally.error(format!("{name}: {e}")),
        }
    }
    tallies
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Latencies in ms, sorted.
fn sorted_ms(us: &[u64]) -> Vec<f64> {
    let mut ms: Vec<f64> = us.iter().map(|us| *us as f64 / 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    ms
}

fn summary(tally: Tally, connections: usize, elapsed: Duration) -> Value {
    let ms = sorted_ms(&tally.latencies_us);
    let path = |us: &[u64]| {
        let ms = sorted_ms(us);
        json!({"answered": ms.len(), "p50_ms": percentile(&ms, 50.0),
               "p99_ms": percentile(&ms, 99.0)})
    };
    let mut lag = tally.visible_after_ms;
    lag.sort_by(f64::total_cmp);
    let ok = tally.ok;
    json!({
        "connections": connections,
        "seconds": elapsed.as_secs_f64(),
        "answered": ms.len(),
        "ok": ok,
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "per_second": ok as f64 / elapsed.as_secs_f64(),
        "p50_ms": percentile(&ms, 50.0),
        "p99_ms": percentile(&ms, 99.0),
        "p999_ms": percentile(&ms, 99.9),
        "max_ms": ms.last(),
        "persisted": path(&tally.persisted_us),
        "plain": path(&tally.plain_us),
        "visible_after": {
            "samples": lag.len(),
            "p50_ms": percentile(&lag, 50.0),
            "p99_ms": percentile(&lag, 99.0),
            "max_ms": lag.last(),
        },
    })
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let started = Instant::now();
    if let Workload::Pages {
        base,
        token,
        ids,
        connections,
        seconds,
    } = cli.workload
    {
        let deadline = started + Duration::from_secs_f64(seconds);
        let ids: Vec<String> = std::fs::read_to_string(&ids)
            .expect("the ids file")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let (base, token, ids) = (Arc::new(base), Arc::new(token), Arc::new(ids));
        let handles: Vec<_> = (0..connections)
            .map(|w| tokio::spawn(pages(w, base.clone(), token.clone(), ids.clone(), deadline)))
            .collect();
        let mut merged: PageTallies = PAGES.iter().map(|_| (Tally::default(), 0)).collect();
        for h in handles {
            for (i, (t, largest)) in h.await.expect("a worker panicked").into_iter().enumerate() {
                merged[i].0.merge(t);
                merged[i].1 = merged[i].1.max(largest);
            }
        }
        let elapsed = started.elapsed();
        let mut out = serde_json::Map::new();
        for ((name, _), (tally, largest)) in PAGES.iter().zip(merged) {
            let mut s = summary(tally, connections, elapsed);
            s["max_html_bytes"] = json!(largest);
            out.insert((*name).to_owned(), s);
        }
        println!("{}", Value::Object(out));
        return;
    }
    let (connections, handles) = match cli.workload {
        Workload::Pages { .. } => unreachable!("answered above"),
        Workload::Commands {
            url,
            drafter,
            legal,
            advisor,
            government,
            connections,
            seconds,
            lifecycles: budget,
            serial_base,
            text,
        } => {
            let text = Arc::new(text.map(|f| std::fs::read_to_string(f).expect("the text file")));
            let deadline = started + Duration::from_secs_f64(seconds);
            let tokens = Arc::new([drafter, legal, advisor, government]);
            let budget = Arc::new(AtomicU64::new(if budget == 0 { u64::MAX } else { budget }));
            let serials = Arc::new(AtomicU64::new(serial_base));
            let handles: Vec<_> = (0..connections)
                .map(|w| {
                    tokio::spawn(lifecycles(
                        w,
                        Connection::new(&url, w % 2 == 1),
                        tokens.clone(),
                        deadline,
                        budget.clone(),
                        serials.clone(),
                        text.clone(),
                    ))
                })
                .collect();
            (connections, handles)
        }
        Workload::Reads {
            url,
            token,
            kind,
            ids,
            queries,
            max_position,
            connections,
            seconds,
        } => {
            let deadline = started + Duration::from_secs_f64(seconds);
            // What a worker picks from: queries for a search, ids for the other kinds.
            let (file, what) = match kind {
                ReadKind::Search => (queries, "--queries"),
                _ => (ids, "--ids"),
            };
            let file = file.unwrap_or_else(|| panic!("{what} is needed for this kind"));
            let ids: Vec<String> = std::fs::read_to_string(&file)
                .expect("the ids or queries file")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            assert!(!ids.is_empty(), "{what} names an empty file");
            let (token, ids) = (Arc::new(token), Arc::new(ids));
            let handles: Vec<_> = (0..connections)
                .map(|w| {
                    tokio::spawn(reads(
                        w,
                        Connection::new(&url, w % 2 == 1),
                        token.clone(),
                        kind,
                        ids.clone(),
                        max_position,
                        deadline,
                    ))
                })
                .collect();
            (connections, handles)
        }
    };
    let mut tally = Tally::default();
    for h in handles {
        tally.merge(h.await.expect("a worker panicked"));
    }
    println!("{}", summary(tally, connections, started.elapsed()));
}
