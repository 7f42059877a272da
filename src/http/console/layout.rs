//! The page frame: `<head>` (the embedded stylesheet and scripts, htmx configured without
//! eval), navigation for the person's role, labels in Chinese first and English on request,
//! and times in Asia/Shanghai. maud escapes every interpolated string; nothing here bypasses
//! that (`PreEscaped` is used for no user-supplied text).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use maud::{DOCTYPE, Markup, html};

use super::api::Failure;
use super::session::Viewer;
use crate::domain::Role;

/// The console's language: Chinese first, English labels on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The label in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// htmx without `eval` (nothing it would evaluate could pass the CSP anyway) and without the
/// inline style it injects for indicators (the stylesheet has them).
const HTMX_CONFIG: &str = r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"selfRequestsOnly":true,"historyCacheSize":0}"#;

/// Beijing time, the time the law's deadlines are counted in.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// A moment as people in the county read it: `2026-12-07 15:04`.
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An RFC 3339 time from GraphQL, in Beijing time ("" stays "").
pub fn local_time_text(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| local_time(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=(HTMX_CONFIG);
            title { (title) " · normledger" }
            link rel="stylesheet" href="/console/assets/console.css";
            script src="/console/assets/htmx.min.js" defer {}
            script src="/console/assets/console.js" defer {}
            meta name="normledger-lang" content=(lang.code());
        }
    }
}

/// The role's name in the domain's own terms.
pub fn role_label(lang: Lang, role: &str) -> &'static str {
    let (zh, en) = match role {
        "DRAFTER" => ("起草单位", "Drafting body"),
        "LEGAL_OFFICE" => ("合法性审核机构", "Legal office"),
        "ADVISOR" => ("法律顾问", "Legal advisor"),
        "GOVERNMENT_OFFICE" => ("政府办公室", "Government office"),
        "AUDITOR" => ("审计", "Auditor"),
        "ADMIN" => ("系统管理员", "Administrator"),
        "FILING_AUTHORITY" => ("备案机关", "Filing authority"),
        _ => ("公众", "Public"),
    };
    lang.t(zh, en)
}

fn nav(viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let role = viewer.session.actor.role;
    html! {
        nav aria-label=(t("主导航", "Main")) {
            a.brand href="/console/work" { "normledger" }
            a href="/console/work" { (t("我的工作", "My work")) }
            @if role != Role::Admin {
                a href="/console/documents" { (t("规范性文件", "Documents")) }
            }
            @if role == Role::Drafter {
                a href="/console/documents/new" { (t("起草", "Draft")) }
            }
            @if role != Role::Admin && role != Role::Advisor {
                a href="/console/filings" { (t("备案", "Filing")) }
            }
            @if matches!(role, Role::Auditor | Role::LegalOffice | Role::GovernmentOffice | Role::Drafter) {
                a href="/console/cleanups" { (t("清理", "Cleanups")) }
            }
            @if matches!(role, Role::Auditor | Role::LegalOffice) {
                a href="/console/certification-items" { (t("证明事项", "Certification items")) }
            }
            @if matches!(role, Role::Auditor | Role::LegalOffice | Role::GovernmentOffice) {
                a href="/console/report" { (t("年度报告", "Annual report")) }
            }
            @if matches!(role, Role::Auditor | Role::LegalOffice) {
                a href="/console/integrity" { (t("完整性", "Integrity")) }
            }
            @if role == Role::Admin {
                a href="/console/admin/accounts" { (t("账号", "Accounts")) }
                a href="/console/admin/tokens" { (t("API 令牌", "API tokens")) }
            }
            a href="/console/catalogue" { (t("公开目录", "Public catalogue")) }
            span.who {
                (viewer.session.actor.name) " · " (role_label(lang, role.as_str()))
            }
            form.inline method="post" action="/console/sign-out" {
                input type="hidden" name="csrf" value=(viewer.session.csrf);
                button type="submit" { (t("退出", "Sign out")) }
            }
            (language_switch(lang))
        }
    }
}

fn language_switch(lang: Lang) -> Markup {
    html! {
        @match lang {
            Lang::Zh => a.lang href="/console/lang/en" lang="en" { "English" },
            Lang::En => a.lang href="/console/lang/zh" lang="zh-CN" { "中文" },
        }
    }
}

/// A whole page for a signed-in person.
pub fn page(viewer: &Viewer, title: &str, body: Markup) -> Response {
    let lang = viewer.lang;
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                (head(lang, title))
                body {
                    header { (nav(viewer)) }
                    main #main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
        .into_string(),
    )
    .into_response()
}

/// A page without the signed-in navigation (sign-in, the public catalogue, refusals).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Response {
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                (head(lang, title))
                body {
                    header {
                        nav {
                            a.brand href="/console/catalogue" { "normledger" }
                            a href="/console/catalogue" { (lang.t("公开目录", "Public catalogue")) }
                            a href="/console/sign-in" { (lang.t("登录", "Sign in")) }
                            (language_switch(lang))
                        }
                    }
                    main #main { h1 { (title) } (body) }
                }
            }
        }
        .into_string(),
    )
    .into_response()
}

/// The database is away: 503, retry shortly.
pub fn unavailable(lang: Lang) -> Response {
    let body = html! {
        p.error role="alert" { strong { "UNAVAILABLE" } " "
            (lang.t("数据库暂时不可用，请稍后重试。", "The database is unavailable; retry shortly.")) }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        bare(lang, lang.t("暂时不可用", "Unavailable"), body),
    )
        .into_response()
}

/// A refusal or failure as a person reads it: the code (what to quote to support) and the
/// message.
pub fn failure(f: &Failure) -> Markup {
    html! {
        p.error role="alert" data-code=(f.code) { strong { (f.code) } " " (f.message) }
    }
}

/// The HTTP status a failure's code stands for.
pub fn status_of(f: &Failure) -> StatusCode {
    match f.code.as_str() {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "UNAVAILABLE" | "TIMEOUT" => StatusCode::SERVICE_UNAVAILABLE,
        "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Runs a page's operation as the signed-in person: its `data`, or the failure page.
pub async fn read(
    state: &crate::http::AppState,
    viewer: &Viewer,
    operation: &str,
    variables: serde_json::Value,
) -> Result<serde_json::Value, Response> {
    super::api::run(state, Some(&viewer.session.actor), operation, variables)
        .await
        .map_err(|f| failure_page(viewer, &f))
}

/// [`read`] of an operation whose answer is one thing (`field`): that thing, or a NOT_FOUND
/// page saying `missing` when it does not exist or is not the person's to see.
pub async fn read_one(
    state: &crate::http::AppState,
    viewer: &Viewer,
    operation: &str,
    variables: serde_json::Value,
    field: &str,
    missing: &str,
) -> Result<serde_json::Value, Response> {
    let mut data = read(state, viewer, operation, variables).await?;
    match data.get_mut(field).map(serde_json::Value::take) {
        Some(one) if !one.is_null() => Ok(one),
        _ => Err(failure_page(viewer, &Failure::new("NOT_FOUND", missing))),
    }
}

/// A page that only shows a failure, with its status.
pub fn failure_page(viewer: &Viewer, f: &Failure) -> Response {
    let title = viewer.lang.t("无法完成", "Could not be done");
    let mut r = page(viewer, title, failure(f));
    *r.status_mut() = status_of(f);
    r
}

/// A document status in the domain's terms.
pub fn status_label(lang: Lang, status: &str) -> &str {
    let (zh, en) = match status {
        "DRAFTING" => ("起草中", "Drafting"),
        "CONSULTATION" => ("征求意见中", "In consultation"),
        "SUBMITTED" => ("已送审", "Submitted"),
        "UNDER_REVIEW" => ("合法性审核中", "Under review"),
        "REVISING" => ("修改中", "Revising"),
        "AWAITING_DELIBERATION" => ("待审议", "Awaiting deliberation"),
        "APPROVED" => ("已审议通过", "Approved"),
        "ISSUED" => ("现行有效", "In force"),
        "EXPIRED" => ("已失效", "Expired"),
        "REPEALED" => ("已废止", "Repealed"),
        "DECLARED_INVALID" => ("已宣布失效", "Declared invalid"),
        "REVOKED" => ("已撤销", "Revoked"),
        "SUPERSEDED" => ("已被替代", "Superseded"),
        "WITHDRAWN" => ("已撤回", "Withdrawn"),
        "REJECTED" => ("未通过", "Rejected"),
        other => (other, other),
    };
    lang.t(zh, en)
}

/// The kinds of material a package lacks (`Document.missingMaterials`), named for people.
pub fn materials(lang: Lang, kinds: &[serde_json::Value]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .filter_map(serde_json::Value::as_str)
        .map(|k| {
            let (zh, en) = match k {
                "DRAFTING_EXPLANATION" => ("起草说明", "drafting explanation"),
                "CONSULTATION_REPORT" => ("征求意见及采纳情况", "consultation record"),
                "LEGAL_BASIS" => ("制定依据", "legal bases"),
                "PRELIMINARY_REVIEW" => ("合法性初审意见", "preliminary legality review"),
                other => (other, other),
            };
            lang.t(zh, en)
        })
        .collect();
    names.join(lang.t("、", ", "))
}

/// A clause's text without the number it starts with (shown apart, in bold).
pub fn clause_body(clause: &serde_json::Value) -> &str {
    let text = super::api::text(clause, "text");
    text.strip_prefix(super::api::text(clause, "number"))
        .unwrap_or(text)
        .trim_start()
}
