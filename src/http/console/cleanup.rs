//! Cleanup campaigns (清理) as a board, and the certification items (证明事项). A campaign's
//! entries stand in the column of the step they have reached: inventory, proposed, reviewed,
//! decided; the campaign's own steps (approval, publication, application) head the board.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::api::{self, Failure, list, nodes, text};
use super::layout::{self, Lang};
use super::session::Viewer;
use crate::http::AppState;

const CAMPAIGNS: &str = "query Campaigns { cleanupCampaigns(first: 100) {
  nodes { id title noticeNumber status launchedOn deadline undecided failed resultNumber } } }";

const CAMPAIGN: &str = "query Campaign($id: ID!) { cleanupCampaign(id: $id) {
  id title noticeNumber status organiser launchedOn deadline undecided failed resultNumber
  publishedOn appliedOn closedOn approval { approvedOn meeting }
  entries { kind id label bodyCode
    proposal { decision grounds proposedOn }
    review { accepted comments reviewedOn }
    finalDecision
    applicationFailure { reason failedOn } } } }";

const ITEMS: &str = "query Items { certificationItems(first: 100) {
  nodes { id name matter basisLevel basisCitation status commitmentEnabled decidedOn } } }";

fn campaign_status(lang: Lang, status: &str) -> &str {
    let (zh, en) = match status {
        "OPEN" => ("进行中", "Open"),
        "PUBLISHED" => ("结果已公布", "Result published"),
        "APPLIED" => ("已执行", "Applied"),
        "CLOSED" => ("已结束", "Closed"),
        other => (other, other),
    };
    lang.t(zh, en)
}

/// `GET /console/cleanups`.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let data = match api::run(&state, Some(&viewer.session.actor), CAMPAIGNS, json!({})).await {
        Ok(d) => d,
        Err(f) => return layout::failure_page(&viewer, &f),
    };
    let campaigns = nodes(&data, "cleanupCampaigns");
    let body = html! {
        @if campaigns.is_empty() { p.empty { (t("还没有清理活动。", "No cleanup campaign yet.")) } }
        @else {
            table { thead { tr {
                th scope="col" { (t("活动", "Campaign")) }
                th scope="col" { (t("通知文号", "Notice")) }
                th scope="col" { (t("状态", "Status")) }
                th scope="col" { (t("截止", "Deadline")) }
                th scope="col" { (t("未决定", "Undecided")) }
            } }
            tbody { @for c in campaigns { tr {
                td { a href=(format!("/console/cleanups/{}", text(c, "id"))) { (text(c, "title")) } }
                td { (text(c, "noticeNumber")) }
                td { (campaign_status(lang, text(c, "status"))) }
                td { (text(c, "deadline")) }
                td.num { (c["undecided"]) }
            } } } }
        }
    };
    layout::page(&viewer, t("清理活动", "Cleanup campaigns"), body)
}

/// The column an entry stands in.
fn column(entry: &Value) -> usize {
    let has = |k: &str| entry.get(k).is_some_and(|v| !v.is_null());
    if has("finalDecision") {
        3
    } else if has("review") {
        2
    } else if has("proposal") {
        1
    } else {
        0
    }
}

fn card(lang: Lang, e: &Value) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    html! {
        div.card-entry {
            @if text(e, "kind") == "DOCUMENT" {
                a href=(format!("/console/documents/{}", text(e, "id"))) { (text(e, "label")) }
            } @else { (text(e, "label")) }
            @if !text(e, "bodyCode").is_empty() { " " small { (text(e, "bodyCode")) } }
            @if let Some(p) = e.get("proposal").filter(|p| !p.is_null()) {
                p { strong { (text(p, "decision")) } " · " (text(p, "grounds")) }
            }
            @if let Some(r) = e.get("review").filter(|r| !r.is_null()) {
                p { @if r["accepted"].as_bool().unwrap_or(false) { (t("审核同意", "Accepted")) }
                    @else { (t("审核不同意：", "Not accepted: ")) (text(r, "comments")) } }
            }
            @if !text(e, "finalDecision").is_empty() { p { (t("决定：", "Decided: ")) strong { (text(e, "finalDecision")) } } }
            @if let Some(f) = e.get("applicationFailure").filter(|f| !f.is_null()) {
                p.error { (t("执行失败：", "Not applied: ")) (text(f, "reason")) }
            }
        }
    }
}

/// `GET /console/cleanups/{id}`: the board.
pub async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let data = match api::run(
        &state,
        Some(&viewer.session.actor),
        CAMPAIGN,
        json!({"id": id}),
    )
    .await
    {
        Ok(d) => d,
        Err(f) => return layout::failure_page(&viewer, &f),
    };
    let Some(c) = data.get("cleanupCampaign").filter(|c| !c.is_null()) else {
        return layout::failure_page(
            &viewer,
            &Failure::new("NOT_FOUND", t("没有这个清理活动。", "No such campaign.")),
        );
    };
    let entries = list(c, "entries");
    let columns = [
        t("清单", "Inventory"),
        t("已提出意见", "Proposed"),
        t("已审核", "Reviewed"),
        t("已决定", "Decided"),
    ];
    let steps = [
        (
            t("政府审定", "Approved"),
            c.pointer("/approval/approvedOn")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ),
        (t("结果公布", "Published"), text(c, "publishedOn")),
        (t("执行", "Applied"), text(c, "appliedOn")),
        (t("结束", "Closed"), text(c, "closedOn")),
    ];
    let body = html! {
        p.links { a href="/console/cleanups" { (t("← 全部清理活动", "← All campaigns")) } }
        dl.facts {
            dt { (t("通知", "Notice")) } dd { (text(c, "noticeNumber")) }
            dt { (t("状态", "Status")) } dd { (campaign_status(lang, text(c, "status"))) }
            dt { (t("截止", "Deadline")) } dd { (text(c, "deadline")) }
            @if !text(c, "resultNumber").is_empty() { dt { (t("结果文号", "Result")) } dd { (text(c, "resultNumber")) } }
        }
        ol.steps { @for (label, on) in steps {
            li class=(if on.is_empty() { "todo" } else { "done" }) { (label) @if !on.is_empty() { " " small { (on) } } }
        } }
        div.board {
            @for (i, name) in columns.iter().enumerate() {
                @let here: Vec<&Value> = entries.iter().filter(|e| column(e) == i).collect();
                section.column aria-label=(name) {
                    h2 { (name) " (" (here.len()) ")" }
                    @for e in here { (card(lang, e)) }
                }
            }
        }
    };
    layout::page(&viewer, text(c, "title"), body)
}

/// `GET /console/certification-items`.
pub async fn items(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let data = match api::run(&state, Some(&viewer.session.actor), ITEMS, json!({})).await {
        Ok(d) => d,
        Err(f) => return layout::failure_page(&viewer, &f),
    };
    let items = nodes(&data, "certificationItems");
    let body = html! {
        p { a.download href="/console/certification-items.xlsx" { (t("下载证明事项清单（.xlsx）", "Download the list (.xlsx)")) } }
        table { thead { tr {
            th scope="col" { (t("证明名称", "Certificate")) }
            th scope="col" { (t("办理事项", "For")) }
            th scope="col" { (t("设定依据", "Legal basis")) }
            th scope="col" { (t("状态", "Status")) }
            th scope="col" { (t("告知承诺", "Commitment")) }
        } }
        tbody { @for i in items { tr {
            td { (text(i, "name")) }
            td { (text(i, "matter")) }
            td { (text(i, "basisCitation")) " " small { (text(i, "basisLevel")) } }
            td { (text(i, "status")) " " small { (text(i, "decidedOn")) } }
            td { @if i["commitmentEnabled"].as_bool().unwrap_or(false) { (t("是", "yes")) } @else { (t("否", "no")) } }
        } } } }
    };
    layout::page(&viewer, t("证明事项", "Certification items"), body)
}
