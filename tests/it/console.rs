//! The web console over real HTTP, as a browser uses it: cookies, forms with their hidden
//! fields, redirects. (The same pages in a real browser: `scripts/console-e2e`.)

use normledger::domain::Role;
use normledger::store::accounts;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;

use crate::support::*;

/// A browser without JavaScript: keeps cookies, follows nothing by itself.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) html: String,
}

impl Page {
    /// The value of the first hidden field `name` on the page.
    pub(crate) fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} on the page:\n{}", self.html));
        let rest = &self.html[at + marker.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub(crate) fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            html: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(r).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.keep(r).await
    }

    /// Signs in through the form; returns the answer to the form.
    pub(crate) async fn sign_in(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        let nonce = form.field("nonce");
        self.post(
            "/console/sign-in",
            &[("nonce", &nonce), ("name", name), ("password", password)],
        )
        .await
    }

    /// Opens `page` and submits the form posting to `action` with `fields` (plus the page's
    /// own csrf and commandId); returns the answer.
    async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let at = page
            .html
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("no form posting to {action}:\n{}", page.html));
        let form = &page.html[at..];
        let form = &form[..form.find("</form>").unwrap()];
        // Every hidden field the form carries (csrf, commandId, the clause it is about…),
        // unless the person's fields say otherwise.
        let mut hidden: Vec<(String, String)> = Vec::new();
        let marker = "<input type=\"hidden\" name=\"";
        let mut rest = form;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let name = &rest[..rest.find('"').unwrap()];
            let value_at = rest.find("value=\"").unwrap() + "value=\"".len();
            let value = &rest[value_at..value_at + rest[value_at..].find('"').unwrap()];
            if !fields.iter().any(|(k, _)| *k == name) {
                hidden.push((name.to_owned(), value.to_owned()));
            }
        }
        let mut all: Vec<(&str, &str)> = hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}

#[tokio::test]
async fn a_person_signs_in_sees_their_work_under_a_strict_policy_and_signs_out() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    let mut browser = Browser::new(&app);

    // Not signed in: sent to the sign-in page, with the way back.
    let work = browser.get("/console/work").await;
    assert_eq!(work.status, StatusCode::SEE_OTHER);
    assert_eq!(work.location(), "/console/sign-in?next=/console/work");

    let signed_in = browser.sign_in("legal", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.html
    );
    let cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("nl_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");

    let work = browser.get("/console/work").await;
    assert_eq!(work.status, StatusCode::OK);
    assert!(work.html.contains("<html lang=\"zh-CN\">"), "Chinese first");
    assert!(work.html.contains("我的工作") && work.html.contains("legal 同志"));
    let csp = work.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(work.headers["x-frame-options"], "DENY");
    assert!(
        !work.html.contains("<script>"),
        "no inline script on any page"
    );

    // English labels on request.
    browser.get("/console/lang/en?next=/console/work").await;
    let english = browser.get("/console/work").await;
    assert!(english.html.contains("<html lang=\"en\">") && english.html.contains("My work"));

    // Signing out ends the session on the server: the old cookie no longer opens a page.
    let old = browser.cookies["nl_session"].clone();
    let out = browser
        .submit("/console/work", "/console/sign-out", &[])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key("nl_session"));
    browser.cookies.insert("nl_session".into(), old);
    let after = browser.get("/console/work").await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "a signed-out session is dead"
    );
}

#[tokio::test]
async fn a_forged_form_is_refused_and_writes_nothing_and_a_real_one_names_the_account() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("drafter", PASSWORD).await;
    let before = app.event_count().await;

    let forged = browser
        .post(
            "/console/documents/new",
            &[
                ("csrf", "not-the-sessions-token"),
                ("bodyCode", "NCX-GOV-OFFICE"),
                ("title", "伪造的表单"),
                ("class", "GOVERNMENT"),
                ("text", "第一条 伪造。"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.html.contains("CSRF_REFUSED"));
    assert_eq!(
        app.event_count().await,
        before,
        "a forged form writes nothing"
    );

    // The sign-in form itself needs its one-off value (a login CSRF).
    let mut stranger = Browser::new(&app);
    let blind = stranger
        .post(
            "/console/sign-in",
            &[("nonce", "x"), ("name", "drafter"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(blind.status, StatusCode::FORBIDDEN);

    let drafted = browser
        .submit(
            "/console/documents/new",
            "/console/documents/new",
            &[
                ("bodyCode", "NCX-GOV-OFFICE"),
                ("title", "关于规范农村建房的通知"),
                ("class", "GOVERNMENT"),
                (
                    "text",
                    "第一条 为规范农村建房，制定本通知。\n第二条 本通知自印发之日起施行。",
                ),
            ],
        )
        .await;
    assert_eq!(drafted.status, StatusCode::SEE_OTHER, "{}", drafted.html);
    assert!(drafted.location().starts_with("/console/documents/"));
    let actor: (String, String) = sqlx::query_as(
        "SELECT metadata->>'actor_id', metadata->>'actor_name' FROM events
         WHERE event_type = 'Drafted' ORDER BY position DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, (format!("account:{id}"), "drafter 同志".to_owned()));
}

#[tokio::test]
async fn failed_sign_ins_lock_the_name_even_against_the_right_password() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "auditor", Role::Auditor, &[]).await;
    let mut browser = Browser::new(&app);
    for _ in 0..accounts::MAX_FAILURES {
        let wrong = browser.sign_in("auditor", "not the password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.html.contains("UNAUTHENTICATED"));
    }
    let locked = browser.sign_in("auditor", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.html.contains("RATE_LIMITED"));
    assert!(!browser.cookies.contains_key("nl_session"));
    // An unknown name is refused the same way as a wrong password.
    let unknown = browser.sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_hostile_title_is_shown_as_text_never_as_markup() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let id = draft_with_text(&app, hostile, "第一条 <b>加粗</b>的条文。").await;
    let mut browser = Browser::new(&app);
    browser.sign_in("legal", PASSWORD).await;
    for path in [
        "/console/documents".to_owned(),
        format!("/console/documents/{id}"),
        format!("/console/documents/{id}/review"),
        format!("/console/documents/{id}/timeline"),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.html.contains(
                "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
            ),
            "{path} shows the title escaped"
        );
        assert!(!page.html.contains("<script>alert"), "{path}");
        assert!(!page.html.contains("<img src=x"), "{path}");
        assert!(!page.html.contains("<b>加粗"), "{path}");
    }
}

#[tokio::test]
async fn admin_manages_accounts_and_tokens_and_a_disabled_account_is_signed_out_at_once() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "admin", Role::Admin, &[]).await;
    let mut admin = Browser::new(&app);
    admin.sign_in("admin", PASSWORD).await;

    // A drafter needs listed bodies: refused with the reason, nothing created.
    let refused = admin
        .submit(
            "/console/admin/accounts",
            "/console/admin/accounts",
            &[
                ("name", "x"),
                ("display_name", "某人"),
                ("password", "long enough pw"),
                ("role", "DRAFTER"),
                ("bodies", "NO-SUCH-BODY"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .html
            .contains("NO-SUCH-BODY is not a listed issuing body")
    );
    let created = admin
        .submit(
            "/console/admin/accounts",
            "/console/admin/accounts",
            &[
                ("name", "zhang"),
                ("display_name", "张律师"),
                ("password", "a strong password"),
                ("role", "ADVISOR"),
                ("bodies", ""),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let list = admin.get("/console/admin/accounts").await;
    assert!(
        list.html.contains("张律师") && list.html.contains("admin 同志"),
        "created by whom"
    );

    let mut zhang = Browser::new(&app);
    assert_eq!(
        zhang.sign_in("zhang", "a strong password").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(zhang.get("/console/work").await.status, StatusCode::OK);
    // Not an administrator: the admin pages refuse.
    assert_eq!(
        zhang.get("/console/admin/accounts").await.status,
        StatusCode::FORBIDDEN
    );

    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM accounts WHERE name = 'zhang'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let disabled = admin
        .submit(
            "/console/admin/accounts",
            &format!("/console/admin/accounts/{id}/disable"),
            &[],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        zhang.get("/console/work").await.status,
        StatusCode::SEE_OTHER,
        "signed out at once"
    );
    assert_eq!(
        zhang.sign_in("zhang", "a strong password").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A token from the console: its secret shown once, usable on the API, then revoked.
    let made = admin
        .submit(
            "/console/admin/tokens",
            "/console/admin/tokens",
            &[
                ("name", "档案系统"),
                ("role", "AUDITOR"),
                ("bodies", ""),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let at = made.html.find("nl_").expect("the secret is shown");
    let secret = made.html[at..at + 67].to_owned();
    let ok = app
        .gql_as(Some(&secret), "{ projectionStatus { name } }", json!({}))
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let token_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = '档案系统'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let by: String = sqlx::query_scalar("SELECT created_by FROM api_tokens WHERE id = $1")
        .bind(token_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(by.starts_with("admin 同志"), "{by}");
    admin
        .submit(
            "/console/admin/tokens",
            &format!("/console/admin/tokens/{token_id}/revoke"),
            &[],
        )
        .await;
    let refused = app
        .gql_as(Some(&secret), "{ projectionStatus { name } }", json!({}))
        .await;
    assert_eq!(error_code(&refused).0, "UNAUTHENTICATED");
}

#[tokio::test]
async fn the_console_refuses_what_the_api_refuses_with_the_same_code() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "advisor", Role::Advisor, &[]).await;
    let id = draft_with_text(&app, "送审的文件", "第一条 内容。").await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["起草说明"], "submittedOn": "2019-06-10"}),
    )
    .await;
    let mut browser = Browser::new(&app);
    browser.sign_in("advisor", PASSWORD).await;
    let page = browser.get(&format!("/console/documents/{id}")).await;
    let csrf = page.field("csrf");
    let before = app.event_count().await;
    let refused = browser
        .post(
            &format!("/console/documents/{id}/act/start-review"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.html.contains("data-code=\"FORBIDDEN\""),
        "{}",
        refused.html
    );
    assert_eq!(app.event_count().await, before);
}

#[tokio::test]
async fn a_token_can_be_exchanged_for_a_session_that_ends_with_the_token() {
    let app = TestApp::spawn().await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/console/sign-in").await;
    let nonce = form.field("nonce");
    let token = app.token(Role::Auditor).to_owned();
    let signed_in = browser
        .post("/console/sign-in", &[("nonce", &nonce), ("token", &token)])
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert!(
        browser
            .get("/console/work")
            .await
            .html
            .contains("test AUDITOR")
    );
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE name = 'test AUDITOR'")
        .execute(&app.pool)
        .await
        .unwrap();
    // Revoked outside the server: it hears of it from the database, within 100 ms.
    let revoked_at = std::time::Instant::now();
    while browser.get("/console/work").await.status != StatusCode::SEE_OTHER {
        assert!(
            revoked_at.elapsed() < std::time::Duration::from_millis(100),
            "the session outlived its token"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn four_roles_take_a_document_from_draft_to_the_public_catalogue_through_the_console() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    account(&app, "advisor", Role::Advisor, &[]).await;
    account(&app, "office", Role::GovernmentOffice, &[]).await;
    let (mut drafter, mut legal, mut advisor, mut office) = (
        Browser::new(&app),
        Browser::new(&app),
        Browser::new(&app),
        Browser::new(&app),
    );
    drafter.sign_in("drafter", PASSWORD).await;
    legal.sign_in("legal", PASSWORD).await;
    advisor.sign_in("advisor", PASSWORD).await;
    office.sign_in("office", PASSWORD).await;

    let text = "第一条 为加强农村宅基地管理，制定本办法。\n第二条 村民申请宅基地，应当提交户口簿复印件。\n第三条 本办法自印发之日起施行。";
    let drafted = drafter
        .submit(
            "/console/documents/new",
            "/console/documents/new",
            &[
                ("bodyCode", "NCX-GOV-OFFICE"),
                ("title", "南昌县农村宅基地管理办法"),
                ("class", "GOVERNMENT"),
                ("text", text),
            ],
        )
        .await;
    let doc = drafted
        .location()
        .trim_start_matches("/console/documents/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = format!("/console/documents/{doc}");
    let review = format!("/console/documents/{doc}/review");
    let act = |a: &str| format!("/console/documents/{doc}/act/{a}");

    let ok = |p: &Page| assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    ok(&drafter
        .submit(
            &page,
            &act("submit"),
            &[("materials", "起草说明\n制定依据")],
        )
        .await);
    assert!(
        legal
            .get("/console/work")
            .await
            .html
            .contains("南昌县农村宅基地管理办法"),
        "in the legal office's queue"
    );
    ok(&legal.submit(&page, &act("start-review"), &[]).await);
    ok(&advisor
        .submit(
            &review,
            &act("opinion"),
            &[
                ("version", "1"),
                ("clause", "art-2"),
                ("text", "要求提交户口簿复印件缺乏法律依据，建议删除。"),
            ],
        )
        .await);
    let seen = legal.get(&review).await;
    let clause = &seen.html[seen.html.find("id=\"art-2\"").expect("clause 2")..];
    let clause = &clause[..clause.find("</li>").unwrap()];
    assert!(
        clause.contains("缺乏法律依据") && clause.contains("advisor 同志"),
        "the opinion beside its clause"
    );
    ok(&legal
        .submit(
            &review,
            &act("conclude"),
            &[
                ("version", "1"),
                ("outcome", "MUST_REVISE"),
                ("opinion", "第二条须修改。"),
                ("issue_clause_1", "art-2"),
                ("issue_text_1", "删除户口簿复印件的要求。"),
            ],
        )
        .await);
    let revised = "第一条 为加强农村宅基地管理，制定本办法。\n第二条 村民申请宅基地，应当提交申请书。\n第三条 本办法自印发之日起施行。";
    ok(&drafter
        .submit(
            &page,
            &act("revise"),
            &[
                ("issue", "1"),
                ("adopted_1", "true"),
                ("clause_1", "art-2"),
                ("text", revised),
            ],
        )
        .await);
    let diff = legal.get(&review).await;
    assert!(
        diff.html.contains("<del>") && diff.html.contains("<ins>"),
        "the diff against v1"
    );
    ok(&legal
        .submit(
            &review,
            &act("conclude"),
            &[
                ("version", "2"),
                ("outcome", "LAWFUL"),
                ("opinion", "合法。"),
            ],
        )
        .await);
    ok(&office
        .submit(
            &page,
            &act("deliberate"),
            &[
                ("meeting", "县政府第 12 次常务会议"),
                ("outcome", "APPROVED"),
            ],
        )
        .await);
    // The registrar is offered the next free serial of each of the body's 代字.
    let issuing = office.get(&page).await;
    assert!(
        issuing.html.contains("value=\"南政办发〔2026〕1号\""),
        "{}",
        issuing.html
    );
    ok(&office
        .submit(
            &page,
            &act("issue"),
            &[
                ("number", "南政办发〔2026〕7号"),
                ("signer", "县长"),
                ("effectiveOn", "2026-12-31"),
            ],
        )
        .await);
    ok(&drafter.submit(&page, &act("file"), &[]).await);

    // The public sees it without signing in.
    let mut public = Browser::new(&app);
    let catalogue = public.get("/console/catalogue?q=宅基地").await;
    assert!(
        catalogue.html.contains("南政办发〔2026〕7号"),
        "{}",
        catalogue.html
    );
    let found = public
        .get("/console/catalogue?number=南政办发〔2026〕7号")
        .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    let shown = public.get(found.location()).await;
    assert!(shown.html.contains("应当提交申请书"), "the issued text");
    // Full-text search finds the clause, the words marked, and links to it.
    let searched = public.get("/console/catalogue?text=申请书").await;
    assert!(
        searched.html.contains("<mark>申请书</mark>") && searched.html.contains("#art-"),
        "{}",
        searched.html
    );
    let history = legal
        .get(&format!("/console/documents/{doc}/timeline"))
        .await;
    for who in ["drafter 同志", "legal 同志", "advisor 同志", "office 同志"] {
        assert!(history.html.contains(who), "{who} on the timeline");
    }
    // The lifecycle picture: the way this document went (through a revision), where it is.
    assert!(
        history
            .html
            .contains(r#"<g class="lc-node lc-now"><title>现行有效</title>"#),
        "{}",
        history.html
    );
    assert!(
        history.html.contains(
            "起草中 → 已送审 → 合法性审核中 → 修改中 → 合法性审核中 → 待审议 → 已审议通过 → <strong>现行有效</strong>"
        ),
        "{}",
        history.html
    );
    assert!(
        history
            .html
            .contains(r#"class="lc-node lc-been"><title>修改中</title>"#)
    );
    assert!(
        history
            .html
            .contains(r#"class="lc-node"><title>已废止</title>"#),
        "not been there"
    );
}

#[tokio::test]
async fn htmx_is_embedded_at_its_pinned_checksum() {
    use sha2::{Digest, Sha256};
    let app = TestApp::spawn().await;
    let sums = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/console/SHA256SUMS"
    ))
    .unwrap();
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        let served = reqwest::get(app.url(&format!("/console/assets/{name}")))
            .await
            .unwrap();
        assert_eq!(served.status(), 200);
        let bytes = served.bytes().await.unwrap();
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, sum, "{name} as served");
    }
}

/// The rows of an .xlsx's first sheet, as text.
fn sheet_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn the_office_files_download_from_the_console_and_read_back() {
    let url = fresh_database().await;
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    let id = issued_with_text(
        &app,
        "南昌县农村宅基地管理办法",
        "第一条 为加强管理，制定本办法。\n第二条 本办法自印发之日起施行。",
        "南政办发〔2019〕63号",
    )
    .await;

    // The yearly catalogue, public: title, header, one row per document.
    let mut public = Browser::new(&app);
    let page = public
        .get("/console/catalogue?year=2019&kind=IN_FORCE")
        .await;
    assert!(
        page.html
            .contains("/console/catalogue.xlsx?year=2019&amp;kind=IN_FORCE"),
        "a download link"
    );
    let r = app
        .client
        .get(app.url("/console/catalogue.xlsx?year=2019&kind=IN_FORCE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''2019")
    );
    let rows = sheet_rows(&r.bytes().await.unwrap());
    assert_eq!(rows[0][0], "2019年现行有效规范性文件目录");
    assert_eq!(rows[1][..3], ["序号", "文号", "标题"]);
    assert_eq!(
        rows[2][1..3],
        ["南政办发〔2019〕63号", "南昌县农村宅基地管理办法"]
    );
    assert_eq!(rows.len(), 3);

    // The certification items, for a signed-in reader.
    app.ok(
        Role::LegalOffice,
        "mutation($input: RegisterCertificationItemInput!) { registerCertificationItem(input: $input) { position } }",
        json!({"input": {"name": "户口簿复印件", "matter": "宅基地申请", "basisLevel": "REGULATION",
               "basisCitation": "《土地管理法实施条例》第三十四条", "requestingUnit": "乡镇人民政府",
               "issuingUnit": "公安派出所", "registeredOn": "2019-07-20"}}),
    )
    .await;
    let mut legal = Browser::new(&app);
    legal.sign_in("legal", PASSWORD).await;
    let r = legal
        .client
        .get(app.url("/console/certification-items.xlsx"))
        .header("cookie", legal.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rows = sheet_rows(&r.bytes().await.unwrap());
    assert_eq!(rows[0][0], "证明事项清单");
    assert_eq!(rows[2][1..3], ["户口簿复印件", "宅基地申请"]);
    let anonymous = app
        .client
        .get(app.url("/console/certification-items.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::OK,
        "redirected to sign in: {:?}",
        anonymous.url()
    );
    assert!(anonymous.url().path().starts_with("/console/sign-in"));

    // The review opinion of the issued document, as .docx, read back.
    let page = legal.get(&format!("/console/documents/{id}")).await;
    assert!(
        page.html
            .contains(&format!("/console/documents/{id}/opinion.docx"))
    );
    let r = legal
        .client
        .get(app.url(&format!("/console/documents/{id}/opinion.docx")))
        .header("cookie", legal.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = normledger::docx::text_of(&r.bytes().await.unwrap()).unwrap();
    assert!(
        text.contains("合法性审核意见书") && text.contains("南昌县农村宅基地管理办法"),
        "{text}"
    );

    // The CLI writes the same catalogue.
    let out = temp_dir("normledger-xlsx").join("catalogue.xlsx");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_normledger"))
        .env("DATABASE_URL", &url)
        .args([
            "xlsx",
            "catalogue",
            "--year",
            "2019",
            "--kind",
            "IN_FORCE",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let rows = sheet_rows(&std::fs::read(&out).unwrap());
    assert_eq!(rows[2][1], "南政办发〔2019〕63号");
}

#[tokio::test]
async fn my_deadlines_are_a_calendar_feed_that_ends_when_replaced() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let account_id = account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    let id = draft_with_text(&app, "关于规范农村建房的通知", "第一条 内容。").await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["起草说明"]}),
    )
    .await;
    step(&app, Role::LegalOffice, "startReview", &id, json!({})).await;
    let due = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { review { dueOn } } }",
            json!({"id": id}),
        )
        .await["document"]["review"]["dueOn"]
        .as_str()
        .unwrap()
        .replace('-', "");

    let mut legal = Browser::new(&app);
    legal.sign_in("legal", PASSWORD).await;
    let made = legal
        .submit("/console/work", "/console/work/calendar", &[])
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let at = made
        .html
        .find("/calendar/nlc_")
        .expect("the feed's address");
    let path = made.html[at..at + "/calendar/nlc_".len() + 64 + ".ics".len()].to_owned();
    let feed = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = feed.text().await.unwrap().replace("\r\n ", "");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.contains(&format!("DTSTART;VALUE=DATE:{due}")), "{ics}");
    assert!(
        ics.contains("SUMMARY:作出审核结论：关于规范农村建房的通知"),
        "{ics}"
    );
    assert!(ics.contains(&format!("/console/documents/{id}")));

    // A new address ends the old one; a disabled account's feed ends too.
    let again = legal
        .submit("/console/work", "/console/work/calendar", &[])
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        app.client
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let at = again.html.find("/calendar/nlc_").unwrap();
    let newer = again.html[at..at + "/calendar/nlc_".len() + 64 + ".ics".len()].to_owned();
    assert_eq!(
        app.client
            .get(app.url(&newer))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    accounts::disable(&app.pool, account_id, "test")
        .await
        .unwrap();
    assert_eq!(
        app.client
            .get(app.url(&newer))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_auditor_reads_the_report_drills_into_a_figure_and_verifies_the_ledger() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "auditor", Role::Auditor, &[]).await;
    let id = issued(&app, "南昌县农村宅基地管理办法", "南政办发〔2019〕63号").await;
    let mut auditor = Browser::new(&app);
    auditor.sign_in("auditor", PASSWORD).await;

    let report = auditor.get("/console/report?year=2019").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.html);
    // Each unit's chart is inline (one report computation for the page), an SVG of bars.
    let charts: Vec<String> = report
        .html
        .split("src=\"data:image/svg+xml;base64,")
        .skip(1)
        .map(|rest| {
            use base64::Engine;
            let b64 = &rest[..rest.find('"').unwrap()];
            let svg = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            String::from_utf8(svg).unwrap()
        })
        .collect();
    assert!(!charts.is_empty(), "{}", report.html);
    assert!(
        charts
            .iter()
            .all(|svg| svg.starts_with("<svg") && svg.contains("<rect")),
        "{charts:?}"
    );
    assert!(report.html.len() < 100_000, "{} bytes", report.html.len());

    // The figure of documents issued opens the Issued event it counted.
    let link = "/console/report/figure?year=2019&amp;key=output.issued";
    assert!(report.html.contains(link), "{}", report.html);
    let figure = auditor.get(&link.replace("&amp;", "&")).await;
    assert_eq!(figure.status, StatusCode::OK, "{}", figure.html);
    assert!(
        figure.html.contains("Issued")
            && figure
                .html
                .contains(&format!("/console/documents/{id}/timeline")),
        "{}",
        figure.html
    );

    let integrity = auditor.get("/console/integrity?run=1").await;
    assert!(
        integrity.html.contains("data-intact=\"true\""),
        "{}",
        integrity.html
    );

    // A drafter may not verify the ledger: the API's refusal, shown.
    account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    let mut drafter = Browser::new(&app);
    drafter.sign_in("drafter", PASSWORD).await;
    let refused = drafter.get("/console/integrity?run=1").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_next_free_serial_of_each_agency_code_follows_the_numbers_claimed() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    issued(&app, "第一份", "南政办发〔2019〕63号").await;
    let q = "query($code: String!, $year: Int) { issuingBody(code: $code) {
        nextNumbers(year: $year) { agencyCode serial number } } }";
    let next = app
        .ok(
            Role::GovernmentOffice,
            q,
            json!({"code": "NCX-GOV-OFFICE", "year": 2019}),
        )
        .await;
    assert_eq!(
        next["issuingBody"]["nextNumbers"],
        json!([{"agencyCode": "南政办发", "serial": 64, "number": "南政办发〔2019〕64号"}])
    );
    let other_year = app
        .ok(
            Role::GovernmentOffice,
            q,
            json!({"code": "NCX-GOV-OFFICE", "year": 2020}),
        )
        .await;
    assert_eq!(other_year["issuingBody"]["nextNumbers"][0]["serial"], 1);
    let bad = app
        .gql(
            Role::GovernmentOffice,
            q,
            json!({"code": "NCX-GOV-OFFICE", "year": 10000}),
        )
        .await;
    assert_eq!(error_code(&bad).0, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_drafter_drafts_from_an_uploaded_docx_and_a_file_that_is_not_one_is_refused() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("drafter", PASSWORD).await;
    let mut doc = docx_rs::Docx::new();
    for p in [
        "第一条 为规范管理，制定本办法。",
        "第二条 本办法自印发之日起施行。",
    ] {
        doc = doc.add_paragraph(docx_rs::Paragraph::new().add_run(docx_rs::Run::new().add_text(p)));
    }
    let mut bytes = std::io::Cursor::new(vec![]);
    doc.build().pack(&mut bytes).unwrap();
    let r = draft_upload(&mut browser, bytes.into_inner(), "办法.docx").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .trim_start_matches("/console/documents/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let text = app
        .ok(
            Role::Drafter,
            "query($id: String!) { document(id: $id) { text { clauses { id } } } }",
            json!({"id": id}),
        )
        .await;
    let ids: Vec<&str> = text["document"]["text"]["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["art-1", "art-1-p1", "art-2", "art-2-p1"],
        "the .docx's two articles"
    );

    let before = app.event_count().await;
    let r = draft_upload(&mut browser, b"not a docx".to_vec(), "办法.txt").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("is not a .docx file"));
    assert_eq!(app.event_count().await, before);
}

/// Submits the drafting form as a browser sends a file: multipart, with the page's hidden
/// fields.
async fn draft_upload(
    browser: &mut Browser<'_>,
    file: Vec<u8>,
    name: &'static str,
) -> reqwest::Response {
    let page = browser.get("/console/documents/new").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", page.field("csrf"))
        .text("commandId", page.field("commandId"))
        .text("bodyCode", "NCX-GOV-OFFICE")
        .text("title", "上传的办法")
        .text("class", "GOVERNMENT")
        .text("text", "")
        .part(
            "textFile",
            reqwest::multipart::Part::bytes(file).file_name(name),
        );
    browser
        .client
        .post(browser.app.url("/console/documents/new"))
        .header("cookie", browser.cookie_header())
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn consultation_returned_materials_screening_filing_and_repeal_through_the_console() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    account(&app, "office", Role::GovernmentOffice, &[]).await;
    account(&app, "city", Role::FilingAuthority, &[CITY]).await;
    let (mut drafter, mut legal, mut office, mut city) = (
        Browser::new(&app),
        Browser::new(&app),
        Browser::new(&app),
        Browser::new(&app),
    );
    drafter.sign_in("drafter", PASSWORD).await;
    legal.sign_in("legal", PASSWORD).await;
    office.sign_in("office", PASSWORD).await;
    city.sign_in("city", PASSWORD).await;
    let ok = |p: &Page| assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let status = |id: String| {
        let app = &app;
        async move {
            app.ok(
                Role::Auditor,
                "query($id: String!) { document(id: $id) { status } }",
                json!({"id": id}),
            )
            .await["document"]["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    // Materials returned: the drafter is told what is missing.
    let returned = draft_with_text(&app, "材料不全的文件", "第一条 内容。").await;
    let page = format!("/console/documents/{returned}");
    ok(&drafter
        .submit(
            &page,
            &format!("{page}/act/submit"),
            &[("materials", "起草说明")],
        )
        .await);
    // The queue says what the package lacks, and the return form starts from it.
    let work = legal.get("/console/work").await;
    assert!(work.html.contains("材料不全：制定依据"), "{}", work.html);
    let seen = legal.get(&page).await;
    assert!(seen.html.contains(">制定依据</textarea>"), "{}", seen.html);
    let missing = app
        .ok(
            Role::LegalOffice,
            "query($id: String!) { document(id: $id) { missingMaterials } }",
            json!({"id": returned}),
        )
        .await;
    assert_eq!(
        missing["document"]["missingMaterials"],
        json!(["LEGAL_BASIS"])
    );
    ok(&legal
        .submit(
            &page,
            &format!("{page}/act/return-materials"),
            &[("reason", "缺少制定依据")],
        )
        .await);
    let reasons = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { review { returns { reason } } } }",
            json!({"id": returned}),
        )
        .await;
    assert_eq!(
        reasons["document"]["review"]["returns"][0]["reason"], "缺少制定依据",
        "{reasons}"
    );

    // Consultation opened and closed, then the review considers a screening warning.
    let id = draft_with_text(
        &app,
        "关于市场管理的规定",
        "第一条 为规范市场管理，制定本规定。\n第二条 违反本规定的，由县市场监管局处以二千元罚款。",
    )
    .await;
    let page = format!("/console/documents/{id}");
    let act = |a: &str| format!("/console/documents/{id}/act/{a}");
    let closes = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    ok(&drafter
        .submit(
            &page,
            &act("open-consultation"),
            &[("channel", "县政府门户网站"), ("closesOn", &closes)],
        )
        .await);
    assert_eq!(status(id.clone()).await, "CONSULTATION");
    ok(&drafter
        .submit(
            &page,
            &act("close-consultation"),
            &[("commentsReceived", "3"), ("adoptionSummary", "采纳 2 条")],
        )
        .await);
    ok(&drafter
        .submit(
            &page,
            &act("submit"),
            &[("materials", "起草说明\n征求意见情况")],
        )
        .await);
    ok(&legal.submit(&page, &act("start-review"), &[]).await);
    let review = format!("{page}/review");
    let seen = legal.get(&review).await;
    assert!(seen.html.contains("CREATES_PENALTY"), "{}", seen.html);
    ok(&legal
        .submit(
            &review,
            &act("consider-warning"),
            &[("reason", "依据《价格法》第四十二条")],
        )
        .await);
    let considered = legal.get(&review).await;
    assert!(considered.html.contains("依据《价格法》第四十二条"));
    ok(&legal
        .submit(
            &review,
            &act("conclude"),
            &[
                ("version", "1"),
                ("outcome", "LAWFUL"),
                ("opinion", "合法。"),
            ],
        )
        .await);
    ok(&office
        .submit(
            &page,
            &act("deliberate"),
            &[("meeting", "常务会议"), ("outcome", "APPROVED")],
        )
        .await);
    ok(&office
        .submit(
            &page,
            &act("issue"),
            &[
                ("number", "南政办发〔2026〕1号"),
                ("signer", "县长"),
                ("effectiveOn", "2026-12-31"),
            ],
        )
        .await);
    // The filing queue: to be filed, with its deadline, then in each authority's review.
    let queue = legal.get("/console/filings").await;
    assert!(
        queue_section(&queue.html, "待报备").contains("关于市场管理的规定"),
        "{}",
        queue.html
    );
    // Due 30 days after publication (today): shown as the date, with the working days left
    // where the ledger's calendar covers it.
    let beijing = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let due = (beijing + chrono::Days::new(30)).to_string();
    assert!(
        queue_section(&queue.html, "待报备").contains(&due),
        "{}",
        queue.html
    );
    // A drafter's queue is its own bodies' documents.
    assert!(
        queue_section(&drafter.get("/console/filings").await.html, "待报备")
            .contains("关于市场管理的规定")
    );
    account(&app, "other", Role::Drafter, &["NCX-GOV"]).await;
    let mut other = Browser::new(&app);
    other.sign_in("other", PASSWORD).await;
    assert!(
        !queue_section(&other.get("/console/filings").await.html, "待报备")
            .contains("关于市场管理的规定")
    );
    ok(&drafter.submit(&page, &act("file"), &[]).await);
    let queue = legal.get("/console/filings").await;
    assert!(!queue_section(&queue.html, "待报备").contains("关于市场管理的规定"));
    let in_review = queue_section(&queue.html, "备案审查中");
    assert!(
        in_review.contains(CITY) && in_review.contains(CONGRESS),
        "{in_review}"
    );
    let citys = city.get("/console/filings").await;
    let citys = queue_section(&citys.html, "备案审查中");
    assert!(
        citys.contains(CITY) && !citys.contains(CONGRESS),
        "its own filings: {citys}"
    );

    // The city government's filing review: only its own authority is offered.
    let filing = city.get(&page).await;
    assert!(
        filing.html.contains(&format!("option value=\"{CITY}\""))
            && !filing
                .html
                .contains(&format!("option value=\"{CONGRESS}\""))
    );
    ok(&city
        .submit(
            &page,
            &act("filing-review"),
            &[
                ("authority", CITY),
                ("outcome", "CORRECTION_REQUIRED"),
                ("notes", "第二条罚款数额超出上位法规定"),
            ],
        )
        .await);
    let outcome = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) { filings { authority outcome } } }",
            json!({"id": id}),
        )
        .await;
    assert!(
        outcome["document"]["filings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["authority"] == CITY && f["outcome"] == "CORRECTION_REQUIRED"),
        "{outcome}"
    );
    let citys = city.get("/console/filings").await;
    assert!(
        !queue_section(&citys.html, "备案审查中").contains("关于市场管理的规定"),
        "decided"
    );
    let queue = legal.get("/console/filings").await;
    let in_review = queue_section(&queue.html, "备案审查中");
    assert!(
        in_review.contains(CONGRESS) && !in_review.contains(CITY),
        "the congress still reviews while the city sent it back: {in_review}"
    );
    let to_correct = queue_section(&queue.html, "待纠正、补正");
    assert!(
        to_correct.contains(CITY) && to_correct.contains("第二条罚款数额超出上位法规定"),
        "{to_correct}"
    );

    // The government office corrects an error, republishes, and corrects a mis-keyed fact.
    ok(&office
        .submit(&page, &act("correct"), &[("description", "第二条标点勘误")])
        .await);
    ok(&office
        .submit(
            &page,
            &act("republish"),
            &[("registrationNumber", "NCXR-2026-00001")],
        )
        .await);
    let timeline = format!("{page}/timeline");
    let facts = office.get(&timeline).await;
    let meeting = facts
        .html
        .split("option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap())
        .find(|v| v.ends_with("/MEETING"))
        .expect("the meeting is offered for correction")
        .to_owned();
    ok(&office
        .submit(
            &timeline,
            &act("correct-fact"),
            &[
                ("fact", &meeting),
                ("value", "县政府第13次常务会议"),
                ("reason", "会议纪要所载届次"),
            ],
        )
        .await);
    let after = app
        .ok(
            Role::Auditor,
            "query($id: String!) { document(id: $id) {
               corrections { description } factCorrections { field newValue }
               republications { registrationNumber } deliberations { meeting } } }",
            json!({"id": id}),
        )
        .await["document"]
        .clone();
    assert_eq!(
        after["corrections"][0]["description"], "第二条标点勘误",
        "{after}"
    );
    assert_eq!(
        after["republications"][0]["registrationNumber"], "NCXR-2026-00001",
        "{after}"
    );
    assert_eq!(
        after["deliberations"][0]["meeting"], "县政府第13次常务会议",
        "{after}"
    );
    assert_eq!(after["factCorrections"][0]["field"], "MEETING", "{after}");
    // A drafter is not offered the government office's forms, and the API refuses anyway.
    let drafters = drafter.get(&page).await;
    assert!(
        !drafters.html.contains("/act/correct\""),
        "{}",
        drafters.html
    );
    let csrf = drafters.field("csrf");
    let refused = drafter
        .post(
            &act("correct"),
            &[("csrf", &csrf), ("description", "越权勘误")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.html);

    ok(&office
        .submit(
            &page,
            &act("repeal"),
            &[("reason", "已被新规定取代"), ("decisionDocument", "")],
        )
        .await);
    assert_eq!(status(id).await, "REPEALED");

    // The returned draft is withdrawn by its drafter.
    let returned_page = format!("/console/documents/{returned}");
    ok(&drafter
        .submit(
            &returned_page,
            &format!("{returned_page}/act/withdraw"),
            &[("reason", "上位法已修改，终止制定")],
        )
        .await);
    assert_eq!(status(returned).await, "WITHDRAWN");
}

/// The part of a filing-queue page under `heading`, up to the next list.
fn queue_section<'h>(html: &'h str, heading: &str) -> &'h str {
    let start = html
        .find(&format!("<h2>{heading}"))
        .unwrap_or_else(|| panic!("no list {heading}:\n{html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_cleanup_campaign_is_a_board_of_its_entries_by_step() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    let kept = issued(&app, "甲办法", "南政办发〔2019〕60号").await;
    let proposed = issued(&app, "乙办法", "南政办发〔2019〕61号").await;
    let launched = app
        .ok(
            Role::LegalOffice,
            "mutation($input: LaunchCleanupInput!) { launchCleanup(input: $input) { campaign { id } } }",
            json!({"input": {"noticeNumber": "南司发〔2019〕31号", "title": "2019年度规范性文件清理",
                   "kind": "PERIODIC", "organiser": "南昌县司法局", "deadline": "2019-11-30",
                   "launchedOn": "2019-11-01",
                   "scope": {"cutOff": "2019-10-31", "documents": true, "certificationItems": true}}}),
        )
        .await;
    let campaign = launched["launchCleanup"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        Role::Drafter,
        "mutation($id: ID!, $input: ProposeCleanupDecisionInput!) {
           proposeCleanupDecision(id: $id, input: $input) { campaign { undecided } } }",
        json!({"id": campaign, "input": {"entryId": proposed, "decision": "REPEAL",
               "grounds": "上位法已修改", "proposedOn": "2019-11-10"}}),
    )
    .await;
    let mut legal = Browser::new(&app);
    legal.sign_in("legal", PASSWORD).await;
    let index = legal.get("/console/cleanups").await;
    assert!(
        index
            .html
            .contains(&format!("/console/cleanups/{campaign}"))
            && index.html.contains("2019年度规范性文件清理")
    );
    let board = legal.get(&format!("/console/cleanups/{campaign}")).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.html);
    let column = |name: &str| {
        let at = board
            .html
            .find(&format!("aria-label=\"{name}\""))
            .unwrap_or_else(|| panic!("{name}: {}", board.html));
        let rest = &board.html[at..];
        rest[..rest.find("</section>").unwrap()].to_owned()
    };
    assert!(
        column("清单").contains(&kept) && !column("清单").contains(&proposed),
        "not yet proposed"
    );
    assert!(
        column("已提出意见").contains(&proposed) && column("已提出意见").contains("上位法已修改")
    );

    let items = legal.get("/console/certification-items").await;
    assert_eq!(items.status, StatusCode::OK);
    assert!(items.html.contains("/console/certification-items.xlsx"));
}

#[tokio::test]
async fn a_cleanup_runs_from_launch_to_closing_and_an_item_is_kept_through_the_console() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    account(&app, "office", Role::GovernmentOffice, &[]).await;
    account(&app, "auditor", Role::Auditor, &[]).await;
    account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    let kept = issued(&app, "丙办法", "南政办发〔2019〕62号").await;
    let (mut legal, mut office, mut auditor, mut drafter) = (
        Browser::new(&app),
        Browser::new(&app),
        Browser::new(&app),
        Browser::new(&app),
    );
    drafter.sign_in("drafter", PASSWORD).await;
    legal.sign_in("legal", PASSWORD).await;
    office.sign_in("office", PASSWORD).await;
    auditor.sign_in("auditor", PASSWORD).await;
    let moved = |p: &Page| {
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
        p.location().to_owned()
    };

    // The legal office lists a certification item.
    let item = moved(
        &legal
            .submit(
                "/console/certification-items",
                "/console/certification-items/register",
                &[
                    ("name", "居住证明"),
                    ("matter", "申领居住证"),
                    ("basisLevel", "REGULATION"),
                    ("basisCitation", "《居住证暂行条例》第九条"),
                    ("requestingUnit", "县公安局"),
                    ("issuingUnit", "村（居）委会"),
                    ("registeredOn", "2019-01-15"),
                ],
            )
            .await,
    );
    let item_page = legal.get(&item).await;
    assert!(
        item_page.html.contains("《居住证暂行条例》第九条"),
        "{}",
        item_page.html
    );
    let item_id = item.rsplit('/').next().unwrap().to_owned();

    // An auditor reads the campaigns but is offered no launch form.
    assert!(
        !auditor
            .get("/console/cleanups")
            .await
            .html
            .contains("/console/cleanups/launch")
    );
    let deadline = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let board = moved(
        &legal
            .submit(
                "/console/cleanups",
                "/console/cleanups/launch",
                &[
                    ("title", "规范性文件和证明事项清理"),
                    ("noticeNumber", "南司发〔2026〕3号"),
                    ("kind", "PERIODIC"),
                    ("organiser", "南昌县司法局"),
                    ("cutOff", "2019-10-31"),
                    ("deadline", &deadline),
                    ("documents", "true"),
                    ("certificationItems", "true"),
                ],
            )
            .await,
    );
    let campaign = board.rsplit('/').next().unwrap().to_owned();
    let entry = |id: &str| format!("/console/cleanups/{campaign}/entries/{id}");
    let act = |a: &str| format!("/console/cleanups/{campaign}/act/{a}");
    // The drafting body proposes for its document, the legal office for the item; each is
    // offered only its own entries.
    assert!(drafter.get(&board).await.html.contains(&entry(&kept)));
    assert!(!drafter.get(&board).await.html.contains(&entry(&item_id)));
    assert!(!legal.get(&board).await.html.contains(&entry(&kept)));
    moved(
        &drafter
            .submit(
                &entry(&kept),
                &act("propose"),
                &[
                    ("decision", "CONTINUE"),
                    ("grounds", "符合上位法，继续有效"),
                ],
            )
            .await,
    );
    moved(
        &legal
            .submit(
                &entry(&item_id),
                &act("propose"),
                &[
                    ("decision", "RETAIN"),
                    ("grounds", "条例设定"),
                    ("commitmentAllowed", "true"),
                ],
            )
            .await,
    );
    for id in [&kept, &item_id] {
        moved(
            &legal
                .submit(&entry(id), &act("review"), &[("accepted", "true")])
                .await,
        );
    }
    let decided = legal.get(&board).await;
    assert!(
        !decided.html.contains(&entry(&kept)),
        "decided entries are not acted on"
    );

    // The government approves, the legal office publishes (which applies), reports, closes.
    moved(
        &office
            .submit(
                &board,
                &act("approve"),
                &[
                    ("meetingType", "EXECUTIVE_MEETING"),
                    ("meeting", "县政府第15次常务会议"),
                ],
            )
            .await,
    );
    moved(
        &legal
            .submit(
                &board,
                &act("publish"),
                &[("resultNumber", "南府发〔2026〕9号")],
            )
            .await,
    );
    moved(
        &legal
            .submit(&board, &act("report"), &[("to", "南昌市人民政府")])
            .await,
    );
    moved(&legal.submit(&board, &act("close"), &[]).await);
    let closed = app
        .ok(
            Role::Auditor,
            "query($id: ID!) { cleanupCampaign(id: $id) { status resultNumber reports { to }
               approval { meeting } } }",
            json!({"id": campaign}),
        )
        .await["cleanupCampaign"]
        .clone();
    assert_eq!(
        closed,
        json!({"status": "CLOSED", "resultNumber": "南府发〔2026〕9号",
               "reports": [{"to": "南昌市人民政府"}], "approval": {"meeting": "县政府第15次常务会议"}})
    );

    // The item was retained by the result; the legal office applies, stops, then cancels.
    let item_act = |a: &str| format!("{item}/act/{a}");
    assert!(legal.get(&item).await.html.contains("保留"));
    moved(
        &legal
            .submit(&item, &item_act("enable-commitment"), &[])
            .await,
    );
    moved(
        &legal
            .submit(
                &item,
                &item_act("disable-commitment"),
                &[("reason", "风险较高")],
            )
            .await,
    );
    moved(
        &legal
            .submit(
                &item,
                &item_act("cancel"),
                &[("replacementMethod", "部门间信息核验")],
            )
            .await,
    );
    let after = app
        .ok(
            Role::Auditor,
            "query($id: String!) { certificationItem(id: $id) { status replacementMethod commitmentEnabled } }",
            json!({"id": item_id}),
        )
        .await["certificationItem"]
        .clone();
    assert_eq!(
        after,
        json!({"status": "CANCELLED", "replacementMethod": "部门间信息核验", "commitmentEnabled": false})
    );
    // A cancelled item has no forms left; the API would refuse them anyway.
    assert!(!legal.get(&item).await.html.contains("/act/"));
}

#[tokio::test]
async fn my_work_is_told_of_each_change_through_the_live_feed() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "auditor", Role::Auditor, &[]).await;
    account(&app, "advisor", Role::Advisor, &[]).await;
    let mut auditor = Browser::new(&app);
    auditor.sign_in("auditor", PASSWORD).await;
    let mut live = auditor
        .client
        .get(app.url("/console/live"))
        .header("cookie", auditor.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert!(
        live.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    draft(&app, "新起草的文件", false).await;
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("event: changed") && std::time::Instant::now() < deadline {
        match tokio::time::timeout(std::time::Duration::from_secs(10), live.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    assert!(seen.contains("event: changed"), "{seen}");

    // A role the feed refuses is told not to reconnect.
    let mut advisor = Browser::new(&app);
    advisor.sign_in("advisor", PASSWORD).await;
    assert_eq!(
        advisor.get("/console/live").await.status,
        StatusCode::NO_CONTENT
    );
}
