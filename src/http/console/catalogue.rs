//! The public catalogue (公开目录), without sign-in: published documents in force on a date,
//! by body, by year, by title; full-text search of their texts; lookup by 文号; the yearly 现行有效 / 失效 catalogues; a
//! document's issued text. Anonymous visitors are rate-limited like the API's.

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;

use super::api::{self, Failure, list, text};
use super::layout::{self, Lang};
use super::session::Visitor;
use crate::http::AppState;
use crate::http::rate_limit::too_many;

const DOCUMENTS: &str = "query Catalogue($filter: PublicDocumentsFilter, $after: String) {
  publicDocuments(filter: $filter, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id number title issuingBodyCode status issuedOn effectiveOn validUntil }
  }
}";

const YEARLY: &str = "query Yearly($year: Int!, $kind: CatalogueKind!, $after: String) {
  publicCatalogue(year: $year, kind: $kind, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id number title issuingBodyCode status issuedOn effectiveOn validUntil }
  }
}";

const SEARCH: &str = "query Search($query: String!, $after: String) {
  publicSearch(query: $query, first: 20, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { clauseId clauseNumber snippet highlightStart highlightLength
            document { number title issuingBodyCode status } }
  }
}";

const BY_NUMBER: &str = "query ByNumber($number: String!) {
  publicDocument(number: $number) { id }
}";

const ONE: &str = "query One($number: String!) {
  publicDocument(number: $number) {
    id number title issuingBodyCode status issuedOn publishedOn effectiveOn validUntil
    ending { on reason decisionDocument }
    text { version stageLabel hash clauses { id kind number heading text } }
  }
}";

#[derive(Deserialize, Default)]
pub struct CatalogueQuery {
    #[serde(default)]
    q: String,
    /// Words to find in the titles and texts (full-text search).
    #[serde(default)]
    text: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    year: String,
    /// A 文号 to look up.
    #[serde(default)]
    number: String,
    /// `IN_FORCE` or `ENDED`: the yearly catalogue of that kind for `year`.
    #[serde(default)]
    kind: String,
    /// In force on this date.
    #[serde(default)]
    on: String,
    #[serde(default)]
    after: String,
}

/// Anonymous visitors take from the public rate limit; signed-in people do not.
pub(super) fn limit(
    state: &AppState,
    visitor: &Visitor,
    client: SocketAddr,
) -> Result<(), Response> {
    if visitor.session.is_none()
        && let Err(wait) = state.public_limiter.take(client.ip())
    {
        return Err(too_many(wait));
    }
    Ok(())
}

fn failed(lang: Lang, f: &Failure) -> Response {
    let mut r = layout::bare(
        lang,
        lang.t("无法完成", "Could not be done"),
        layout::failure(f),
    );
    *r.status_mut() = layout::status_of(f);
    r
}

/// `GET /console/catalogue`.
pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Query(q): Query<CatalogueQuery>,
) -> Response {
    if let Err(r) = limit(&state, &visitor, client) {
        return r;
    }
    let lang = visitor.lang;
    let t = |zh, en| lang.t(zh, en);
    // A 文号 lookup goes straight to the document.
    if !q.number.trim().is_empty() {
        return match api::run(&state, None, BY_NUMBER, json!({"number": q.number.trim()})).await {
            Ok(d)
                if d.pointer("/publicDocument/id")
                    .is_some_and(Value::is_string) =>
            {
                axum::response::Redirect::to(&format!(
                    "/console/catalogue/{}",
                    super::session::encode(q.number.trim())
                ))
                .into_response()
            }
            Ok(_) => failed(
                lang,
                &Failure::new(
                    "NOT_FOUND",
                    t(
                        "没有该文号的公开文件。",
                        "No published document has that number.",
                    ),
                ),
            ),
            Err(f) => failed(lang, &f),
        };
    }
    let after = (!q.after.is_empty()).then_some(q.after.as_str());
    if !q.text.trim().is_empty() {
        return match api::run(
            &state,
            None,
            SEARCH,
            json!({"query": q.text.trim(), "after": after}),
        )
        .await
        {
            Ok(d) => search_page(lang, &q.text, d.get("publicSearch").unwrap_or(&Value::Null)),
            Err(f) => failed(lang, &f),
        };
    }
    let year = q.year.trim().parse::<i32>().ok();
    let result = match (q.kind.as_str(), year) {
        ("IN_FORCE" | "ENDED", Some(year)) => api::run(
            &state,
            None,
            YEARLY,
            json!({"year": year, "kind": q.kind, "after": after}),
        )
        .await
        .map(|d| d.get("publicCatalogue").cloned().unwrap_or_default()),
        _ => {
            let mut filter = Map::new();
            if !q.q.trim().is_empty() {
                filter.insert("titleContains".into(), json!(q.q.trim()));
            }
            if !q.body.trim().is_empty() {
                filter.insert("bodyCode".into(), json!(q.body.trim()));
            }
            if let Some(y) = year {
                filter.insert("year".into(), json!(y));
            }
            if !q.on.trim().is_empty() {
                filter.insert("inForceOn".into(), json!(q.on.trim()));
            }
            api::run(
                &state,
                None,
                DOCUMENTS,
                json!({"filter": filter, "after": after}),
            )
            .await
            .map(|d| d.get("publicDocuments").cloned().unwrap_or_default())
        }
    };
    let connection = match result {
        Ok(c) => c,
        Err(f) => return failed(lang, &f),
    };
    let docs = list(&connection, "nodes");
    let body = html! {
        form.filters method="get" action="/console/catalogue" role="search" {
            label for="number" { (t("按文号查找", "Look up a number")) }
            input #number name="number" placeholder="南政办发〔2019〕63号";
            button type="submit" { (t("查找", "Look up")) }
        }
        (search_form(lang, ""))
        form.filters method="get" action="/console/catalogue" {
            label for="q" { (t("标题", "Title")) } input #q name="q" value=(q.q);
            label for="body" { (t("制定主体编码", "Body code")) } input #body name="body" value=(q.body);
            label for="year" { (t("年份", "Year")) } input #year name="year" value=(q.year) inputmode="numeric" size="6";
            label for="on" { (t("在该日有效", "In force on")) } input #on name="on" type="date" value=(q.on);
            button type="submit" { (t("筛选", "Filter")) }
        }
        form.filters method="get" action="/console/catalogue" {
            label for="cyear" { (t("年度目录", "Yearly catalogue")) }
            input #cyear name="year" value=(q.year) inputmode="numeric" size="6" required;
            select name="kind" aria-label=(t("目录类别", "Catalogue kind")) {
                option value="IN_FORCE" selected[q.kind == "IN_FORCE"] { (t("现行有效", "In force")) }
                option value="ENDED" selected[q.kind == "ENDED"] { (t("失效、废止", "Ended")) }
            }
            button type="submit" { (t("查看", "Show")) }
        }
        @if let ("IN_FORCE" | "ENDED", Some(y)) = (q.kind.as_str(), year) {
            p { a.download href=(format!("/console/catalogue.xlsx?year={y}&kind={}", q.kind)) {
                (t("下载本目录（.xlsx）", "Download this catalogue (.xlsx)")) } }
        }
        (table(lang, docs))
        @if connection.pointer("/pageInfo/hasNextPage").and_then(Value::as_bool).unwrap_or(false) {
            a.next href=(format!("/console/catalogue?q={}&body={}&year={}&kind={}&on={}&after={}",
                super::session::encode(&q.q), super::session::encode(&q.body), super::session::encode(&q.year),
                super::session::encode(&q.kind), super::session::encode(&q.on),
                super::session::encode(connection.pointer("/pageInfo/endCursor").and_then(Value::as_str).unwrap_or_default()))) {
                (t("下一页", "Next page")) }
        }
    };
    layout::bare(
        lang,
        t(
            "规范性文件公开目录",
            "Public catalogue of normative documents",
        ),
        body,
    )
}

fn search_form(lang: Lang, words: &str) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    html! {
        form.filters method="get" action="/console/catalogue" role="search" {
            label for="text" { (t("全文检索", "Search the texts")) }
            input #text name="text" type="search" value=(words) required maxlength="100"
                placeholder=(t("如：罚款 许可", "e.g. 罚款 许可"));
            button type="submit" { (t("检索", "Search")) }
        }
    }
}

/// The matches of a full-text search: each document with the clause that matched, the words
/// marked in it.
fn search_page(lang: Lang, words: &str, connection: &Value) -> Response {
    let t = |zh, en| lang.t(zh, en);
    let hits = list(connection, "nodes");
    let body = html! {
        p.links { a href="/console/catalogue" { (t("← 公开目录", "← The catalogue")) } }
        (search_form(lang, words))
        @if hits.is_empty() {
            p.empty { (t("没有找到。", "Nothing found.")) }
        } @else {
            ol.hits { @for h in hits {
                @let d = &h["document"];
                @let anchor = if text(h, "clauseId") == "title" { String::new() } else { format!("#{}", text(h, "clauseId")) };
                li {
                    a href=(format!("/console/catalogue/{}{anchor}", super::session::encode(text(d, "number")))) { (text(d, "title")) }
                    " " small { (text(d, "number")) " · " (layout::status_label(lang, text(d, "status"))) }
                    p.snippet {
                        @if !text(h, "clauseNumber").is_empty() { strong { (text(h, "clauseNumber")) } " " }
                        (marked(text(h, "snippet"), &h["highlightStart"], &h["highlightLength"]))
                    }
                }
            } }
            @if connection.pointer("/pageInfo/hasNextPage").and_then(Value::as_bool).unwrap_or(false) {
                a.next href=(format!("/console/catalogue?text={}&after={}", super::session::encode(words),
                    super::session::encode(connection.pointer("/pageInfo/endCursor").and_then(Value::as_str).unwrap_or_default()))) {
                    (t("更多结果", "More results")) }
            }
        }
    };
    layout::bare(lang, t("全文检索", "Search"), body)
}

/// The snippet with the match (characters `start`, `length`) in `<mark>`, all escaped.
fn marked(snippet: &str, start: &Value, length: &Value) -> Markup {
    let chars: Vec<char> = snippet.chars().collect();
    let start = (start.as_u64().unwrap_or(0) as usize).min(chars.len());
    let end = (start + length.as_u64().unwrap_or(0) as usize).min(chars.len());
    let part = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    html! { (part(0, start)) mark { (part(start, end)) } (part(end, chars.len())) }
}

fn table(lang: Lang, docs: &[Value]) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    html! {
        @if docs.is_empty() {
            p.empty { (t("没有符合条件的文件。", "No document matches.")) }
        } @else {
            table.catalogue {
                thead { tr {
                    th scope="col" { (t("文号", "Number")) }
                    th scope="col" { (t("标题", "Title")) }
                    th scope="col" { (t("制定主体", "Body")) }
                    th scope="col" { (t("施行日期", "Effective")) }
                    th scope="col" { (t("有效期至", "Valid until")) }
                    th scope="col" { (t("状态", "Status")) }
                } }
                tbody { @for d in docs { tr {
                    td { (text(d, "number")) }
                    td { a href=(format!("/console/catalogue/{}", super::session::encode(text(d, "number")))) { (text(d, "title")) } }
                    td { (text(d, "issuingBodyCode")) }
                    td { (text(d, "effectiveOn")) }
                    td { (text(d, "validUntil")) }
                    td { (layout::status_label(lang, text(d, "status"))) }
                } } }
            }
        }
    }
}

/// `GET /console/catalogue/{number}`: a published document and its issued text.
pub async fn document(
    State(state): State<AppState>,
    visitor: Visitor,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(number): Path<String>,
) -> Response {
    if let Err(r) = limit(&state, &visitor, client) {
        return r;
    }
    let lang = visitor.lang;
    let t = |zh, en| lang.t(zh, en);
    let doc = match api::run(&state, None, ONE, json!({"number": number})).await {
        Ok(d) => match d.get("publicDocument") {
            Some(doc) if !doc.is_null() => doc.clone(),
            _ => {
                return failed(
                    lang,
                    &Failure::new(
                        "NOT_FOUND",
                        t(
                            "没有该文号的公开文件。",
                            "No published document has that number.",
                        ),
                    ),
                );
            }
        },
        Err(f) => return failed(lang, &f),
    };
    let body = html! {
        dl.facts {
            dt { (t("文号", "Number")) } dd { (text(&doc, "number")) }
            dt { (t("制定主体", "Issuing body")) } dd { (text(&doc, "issuingBodyCode")) }
            dt { (t("状态", "Status")) } dd { (layout::status_label(lang, text(&doc, "status"))) }
            dt { (t("印发日期", "Issued")) } dd { (text(&doc, "issuedOn")) }
            dt { (t("施行日期", "Effective")) } dd { (text(&doc, "effectiveOn")) }
            dt { (t("有效期至", "Valid until")) } dd { (text(&doc, "validUntil")) }
            @if let Some(e) = doc.get("ending").filter(|e| !e.is_null()) {
                dt { (t("终止", "Ended")) } dd { (text(e, "on")) " · " (text(e, "reason")) }
            }
        }
        @if let Some(tv) = doc.get("text").filter(|v| !v.is_null()) {
            section.text {
                h2 { (t("正文", "Text")) }
                p { small { "SHA-256 " code { (text(tv, "hash")) } } }
                @for c in list(tv, "clauses").iter().filter(|c| matches!(text(c, "kind"), "PREAMBLE" | "CHAPTER" | "SECTION" | "ARTICLE")) {
                    div.clause id=(text(c, "id")) {
                        strong { (text(c, "number")) }
                        @if !text(c, "heading").is_empty() { " " (text(c, "heading")) }
                        @if text(c, "kind") != "CHAPTER" { p { (super::layout::clause_body(c)) } }
                    }
                }
            }
        } @else {
            p.empty { (t("本文件的正文未录入账本。", "The ledger holds no text for this document.")) }
        }
        p { a href="/console/catalogue" { (t("← 返回目录", "← Back to the catalogue")) } }
    };
    layout::bare(lang, text(&doc, "title"), body)
}
