//! The filing queue (备案): what waits to be filed, what waits for a filing authority's review,
//! what an authority sent back for a correction, and what it refused — each with its deadline
//! in working days, the nearest first.
//!
//! One operation reads the four lists by filing status (`DocumentsFilter.filingStatus`); the
//! deadlines are the API's (`filingDueOn`, each filing's `reviewDueOn` and `correctionDueOn`).
//! A filing authority sees its own filings, a drafter its own bodies' documents; the API's read
//! policy decides the rest.

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::api::{list, nodes, text};
use super::layout::{self, Lang};
use super::session::Viewer;
use super::work::due_label;
use crate::domain::Role;
use crate::http::AppState;

/// Each list shows its first 100 documents ("+" when there are more).
const QUEUE: &str = "query FilingQueue {
  toFile: documents(filter: {status: ISSUED, filingStatus: NOT_FILED}, first: 100) { ...Row }
  inReview: documents(filter: {filingStatus: FILED}, first: 100) { ...Row }
  toCorrect: documents(filter: {filingStatus: CORRECTION_REQUIRED}, first: 100) { ...Row }
  refused: documents(filter: {filingStatus: REFUSED}, first: 100) { ...Row }
}
fragment Row on DocumentConnection {
  nodes { id title bodyCode status filingDueOn issuance { number publishedOn }
          filings { authority filedOn reviewDueOn extendedByDays correctionDueOn current outcome notes } }
  pageInfo { hasNextPage }
}";

/// One line of a list: a document, the authority it concerns (if one), its deadline.
struct Line<'a> {
    doc: &'a Value,
    authority: &'a str,
    detail: String,
    due: Option<(i64, String)>,
}

/// `GET /console/filings`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let data = match layout::read(&state, &viewer, QUEUE, json!({})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    // A filing authority's queue is its own filings, a drafter's its own bodies' documents
    // (both read every published document).
    let actor = &viewer.session.actor;
    let mine = |authority: &str| {
        actor.role != Role::FilingAuthority || actor.bodies.iter().any(|b| b == authority)
    };
    let ours = |doc: &Value| {
        actor.role != Role::Drafter || actor.bodies.iter().any(|b| b == text(doc, "bodyCode"))
    };
    let due = |d: &str| d.parse().ok().map(|d| due_label(&state, lang, d));
    let mut to_file: Vec<Line> = nodes(&data, "toFile")
        .iter()
        .filter(|doc| actor.role != Role::FilingAuthority && ours(doc))
        .map(|doc| Line {
            doc,
            authority: "",
            detail: format!(
                "{} {}",
                t("公布于", "published"),
                doc.pointer("/issuance/publishedOn")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            ),
            due: due(text(doc, "filingDueOn")),
        })
        .collect();
    // A document's filing status is the one of its filings that needs action first, so a
    // document sent back or refused by one authority may still wait for another: each section
    // looks at every filing of every filed document.
    let filed: Vec<&Value> = ["inReview", "toCorrect", "refused"]
        .into_iter()
        .flat_map(|list| nodes(&data, list))
        .filter(|doc| ours(doc))
        .collect();
    let filings = || {
        filed.iter().flat_map(|doc| {
            current(doc)
                .into_iter()
                .filter(|f| mine(text(f, "authority")))
                .map(move |f| (*doc, f))
        })
    };
    let mut in_review: Vec<Line> = filings()
        .filter(|(_, f)| f.get("outcome").is_none_or(Value::is_null))
        .map(|(doc, f)| {
            let extended = f["extendedByDays"].as_i64().map_or(String::new(), |d| {
                format!(" · {} {d} {}", t("已延长", "extended by"), t("日", "days"))
            });
            Line {
                doc,
                authority: text(f, "authority"),
                detail: format!("{} {}{extended}", t("报备于", "filed"), text(f, "filedOn")),
                due: due(text(f, "reviewDueOn")),
            }
        })
        .collect();
    let mut to_correct: Vec<Line> = filings()
        .filter(|(_, f)| !text(f, "correctionDueOn").is_empty())
        .map(|(doc, f)| Line {
            doc,
            authority: text(f, "authority"),
            detail: text(f, "notes").to_owned(),
            due: due(text(f, "correctionDueOn")),
        })
        .collect();
    let refused: Vec<Line> = filings()
        .filter(|(_, f)| text(f, "outcome") == "REFUSED")
        .map(|(doc, f)| Line {
            doc,
            authority: text(f, "authority"),
            detail: text(f, "notes").to_owned(),
            due: None,
        })
        .collect();
    for lines in [&mut to_file, &mut in_review, &mut to_correct] {
        // Overdue first, then the nearest deadline.
        lines.sort_by_key(|l| l.due.as_ref().map_or(i64::MAX, |(n, _)| *n));
    }
    let more = |list: &str| {
        data.pointer(&format!("/{list}/pageInfo/hasNextPage"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let more_filed = more("inReview") || more("toCorrect") || more("refused");
    let body = html! {
        p.hint { (t(
            "规范性文件自公布之日起 30 日内报送备案；备案机关自收到之日起 30 日内审查（可延长一次）。",
            "A document is filed within 30 days of publication; each filing authority reviews within 30 days (extendable once)."
        )) }
        (section(lang, t("待报备", "To be filed"), &to_file, more("toFile"), false))
        (section(lang, t("备案审查中", "In a filing authority's review"), &in_review, more_filed, true))
        (section(lang, t("待纠正、补正", "Sent back for a correction"), &to_correct, more_filed, true))
        (section(lang, t("不予备案", "Refused"), &refused, more_filed, true))
    };
    layout::page(&viewer, t("备案", "Filing for record"), body)
}

/// The document's current filings (earlier ones were answered by filing again).
fn current(doc: &Value) -> Vec<&Value> {
    list(doc, "filings")
        .iter()
        .filter(|f| f["current"].as_bool().unwrap_or(false))
        .collect()
}

fn section(lang: Lang, heading: &str, lines: &[Line], more: bool, by_authority: bool) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    html! {
        section.queue {
            h2 { (heading) " (" (lines.len()) @if more { "+" } ")" }
            @if lines.is_empty() {
                p.empty { (t("无。", "None.")) }
            } @else {
                table.work {
                    thead { tr {
                        th scope="col" { (t("文件", "Document")) }
                        th scope="col" { (t("文号", "Number")) }
                        th scope="col" { (t("制定主体", "Body")) }
                        @if by_authority { th scope="col" { (t("备案机关", "Filing authority")) } }
                        th scope="col" { (t("情况", "Details")) }
                        th scope="col" { (t("期限", "Due")) }
                    } }
                    tbody { @for l in lines {
                        tr.overdue[l.due.as_ref().is_some_and(|(n, _)| *n < 0)] {
                            td { a href=(format!("/console/documents/{}", text(l.doc, "id"))) { (text(l.doc, "title")) } }
                            td { (l.doc.pointer("/issuance/number").and_then(Value::as_str).unwrap_or("—")) }
                            td { (text(l.doc, "bodyCode")) }
                            @if by_authority { td { (l.authority) } }
                            td { (l.detail) }
                            td { @if let Some((_, label)) = &l.due { (label) } @else { "—" } }
                        }
                    } }
                }
            }
        }
    }
}
