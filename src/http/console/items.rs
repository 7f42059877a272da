//! Certification items (证明事项): the list with its .xlsx download, one item's page, and the
//! legal office's forms — register an item with its legal basis, retain it (saying whether a
//! written commitment, 告知承诺, may replace it), cancel it (saying what replaces it), and
//! enable or disable the commitment. Every form is one mutation; the API decides who may.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::api::{nodes, text};
use super::forms::{Fields, field, hidden, optional, perform};
use super::layout::{self, Lang};
use super::session::Viewer;
use crate::domain::Role;
use crate::http::AppState;

const ITEMS: &str = "query Items { certificationItems(first: 100) {
  nodes { id name matter basisLevel basisCitation status commitmentEnabled decidedOn }
  pageInfo { hasNextPage } } }";

const ITEM: &str = "query Item($id: String!) { certificationItem(id: $id) {
  id name matter basisLevel basisCitation requestingUnit issuingUnit serviceGuide riskArea
  registeredOn status commitmentAllowed commitmentRefusalReason commitmentEnabled decidedOn
  replacementMethod } }";

fn item_status(lang: Lang, status: &str) -> &str {
    let (zh, en) = match status {
        "LISTED" => ("已列入清单", "Listed"),
        "RETAINED" => ("保留", "Retained"),
        "CANCELLED" => ("已取消", "Cancelled"),
        other => (other, other),
    };
    lang.t(zh, en)
}

const BASIS_LEVELS: [(&str, &str, &str); 6] = [
    ("LAW", "法律", "Law"),
    ("REGULATION", "行政法规", "Administrative regulation"),
    (
        "STATE_COUNCIL_DECISION",
        "国务院决定",
        "State Council decision",
    ),
    ("RULE", "规章", "Rule"),
    ("NORMATIVE_DOCUMENT", "规范性文件", "Normative document"),
    ("NONE", "无依据", "None"),
];

/// `GET /console/certification-items`.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let data = match layout::read(&state, &viewer, ITEMS, json!({})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let items = nodes(&data, "certificationItems");
    let body = html! {
        p { a.download href="/console/certification-items.xlsx" { (t("下载证明事项清单（.xlsx）", "Download the list (.xlsx)")) } }
        @if viewer.session.actor.role == Role::LegalOffice { (register_form(&viewer)) }
        table { thead { tr {
            th scope="col" { (t("证明名称", "Certificate")) }
            th scope="col" { (t("办理事项", "For")) }
            th scope="col" { (t("设定依据", "Legal basis")) }
            th scope="col" { (t("状态", "Status")) }
            th scope="col" { (t("告知承诺", "Commitment")) }
        } }
        tbody { @for i in items { tr {
            td { a href=(format!("/console/certification-items/{}", text(i, "id"))) { (text(i, "name")) } }
            td { (text(i, "matter")) }
            td { (text(i, "basisCitation")) " " small { (text(i, "basisLevel")) } }
            td { (item_status(lang, text(i, "status"))) " " small { (text(i, "decidedOn")) } }
            td { @if i["commitmentEnabled"].as_bool().unwrap_or(false) { (t("是", "yes")) } @else { (t("否", "no")) } }
        } } } }
        @if data.pointer("/certificationItems/pageInfo/hasNextPage").and_then(Value::as_bool).unwrap_or(false) {
            p.hint { (t("仅显示前 100 项；完整清单见 .xlsx。", "The first 100 are shown; the .xlsx has them all.")) }
        }
    };
    layout::page(&viewer, t("证明事项", "Certification items"), body)
}

fn register_form(viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    html! {
        details.card {
            summary { (t("列入证明事项", "List a certification item")) }
            form method="post" action="/console/certification-items/register" {
                (hidden(viewer))
                label for="name" { (t("证明名称", "Certificate")) }
                input #name name="name" required placeholder="无犯罪记录证明";
                label for="matter" { (t("办理事项", "The matter it serves")) }
                input #matter name="matter" required;
                label for="basisLevel" { (t("设定依据的层级", "Level of the legal basis")) }
                select #basisLevel name="basisLevel" { @for (v, zh, en) in BASIS_LEVELS { option value=(v) { (lang.t(zh, en)) } } }
                label for="basisCitation" { (t("设定依据（条款）", "Legal basis (the article)")) }
                input #basisCitation name="basisCitation";
                label for="requestingUnit" { (t("索要单位", "Requesting unit")) }
                input #requestingUnit name="requestingUnit" required;
                label for="issuingUnit" { (t("开具单位", "Issuing unit")) }
                input #issuingUnit name="issuingUnit" required;
                label for="serviceGuide" { (t("办理指南", "Service guide")) }
                input #serviceGuide name="serviceGuide";
                label for="registeredOn" { (t("列入清单日期（不填为今天）", "Listed on (default: today)")) }
                input #registeredOn name="registeredOn" type="date";
                button type="submit" { (t("列入清单", "List it")) }
            }
        }
    }
}

/// `GET /console/certification-items/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let missing = t("没有这个证明事项。", "No such item.");
    let i = match layout::read_one(
        &state,
        &viewer,
        ITEM,
        json!({"id": id}),
        "certificationItem",
        missing,
    )
    .await
    {
        Ok(i) => i,
        Err(r) => return r,
    };
    let i = &i;
    let action = |a: &str| format!("/console/certification-items/{id}/act/{a}");
    let status = text(i, "status");
    let legal = viewer.session.actor.role == Role::LegalOffice;
    let enabled = i["commitmentEnabled"].as_bool().unwrap_or(false);
    let body = html! {
        p.links { a href="/console/certification-items" { (t("← 全部证明事项", "← All items")) } }
        dl.facts {
            dt { (t("状态", "Status")) } dd.status { (item_status(lang, status)) }
            dt { (t("办理事项", "For")) } dd { (text(i, "matter")) }
            dt { (t("设定依据", "Legal basis")) } dd { (text(i, "basisCitation")) " " small { (text(i, "basisLevel")) } }
            dt { (t("索要单位", "Requested by")) } dd { (text(i, "requestingUnit")) }
            dt { (t("开具单位", "Issued by")) } dd { (text(i, "issuingUnit")) }
            dt { (t("告知承诺", "Commitment")) } dd {
                @if enabled { (t("已实行", "in force")) } @else { (t("未实行", "not in force")) }
                @if !text(i, "commitmentRefusalReason").is_empty() { " · " (text(i, "commitmentRefusalReason")) }
            }
            @if !text(i, "replacementMethod").is_empty() {
                dt { (t("替代方式", "Replaced by")) } dd { (text(i, "replacementMethod")) }
            }
        }
        @if legal && status != "CANCELLED" {
            @if status == "LISTED" {
                form.card method="post" action=(action("retain")) {
                    (hidden(&viewer))
                    h2 { (t("保留", "Retain")) }
                    label { input type="radio" name="commitmentAllowed" value="true" checked; " " (t("可以告知承诺", "A written commitment may replace it")) }
                    label { input type="radio" name="commitmentAllowed" value="false"; " " (t("不适用告知承诺", "No written commitment")) }
                    label for="reason" { (t("不适用的理由", "Why not")) }
                    input #reason name="reason";
                    button type="submit" { (t("保留", "Retain")) }
                }
            }
            form.card method="post" action=(action("cancel")) {
                (hidden(&viewer))
                h2 { (t("取消", "Cancel")) }
                label for="replacementMethod" { (t("取消后的替代方式", "What replaces it")) }
                input #replacementMethod name="replacementMethod" required placeholder="部门间信息核验";
                button type="submit" { (t("取消该证明事项", "Cancel the item")) }
            }
            @if enabled {
                form.card method="post" action=(action("disable-commitment")) {
                    (hidden(&viewer))
                    h2 { (t("停止告知承诺", "Stop the written commitment")) }
                    label for="disableReason" { (t("理由", "Reason")) }
                    input #disableReason name="reason" required;
                    button type="submit" { (t("停止", "Stop")) }
                }
            } @else {
                form.card method="post" action=(action("enable-commitment")) {
                    (hidden(&viewer))
                    h2 { (t("实行告知承诺", "Apply the written commitment")) }
                    label for="templateRef" { (t("承诺书格式文本（可不填）", "Commitment template (optional)")) }
                    input #templateRef name="templateRef";
                    button type="submit" { (t("实行", "Apply")) }
                }
            }
        }
    };
    layout::page(&viewer, text(i, "name"), body)
}

/// One item form's mutation, from the form's fields only (the operations are constants).
fn item_mutation(action: &str, id: &str, fields: &Fields) -> Option<(&'static str, Value)> {
    let command_id = optional(fields, "commandId");
    Some(match action {
        "retain" => (
            "mutation M($commandId: ID, $id: ID!, $allowed: Boolean!, $reason: String) {
               retainCertificationItem(commandId: $commandId, id: $id, commitmentAllowed: $allowed, reason: $reason) { position } }",
            json!({"commandId": command_id, "id": id,
                   "allowed": field(fields, "commitmentAllowed") == "true",
                   "reason": optional(fields, "reason")}),
        ),
        "cancel" => (
            "mutation M($commandId: ID, $id: ID!, $method: String!) {
               cancelCertificationItem(commandId: $commandId, id: $id, replacementMethod: $method) { position } }",
            json!({"commandId": command_id, "id": id,
                   "method": field(fields, "replacementMethod")}),
        ),
        "enable-commitment" => (
            "mutation M($commandId: ID, $id: ID!, $template: String) {
               enableCommitment(commandId: $commandId, id: $id, templateRef: $template) { position } }",
            json!({"commandId": command_id, "id": id, "template": optional(fields, "templateRef")}),
        ),
        "disable-commitment" => (
            "mutation M($commandId: ID, $id: ID!, $reason: String!) {
               disableCommitment(commandId: $commandId, id: $id, reason: $reason) { position } }",
            json!({"commandId": command_id, "id": id, "reason": field(fields, "reason")}),
        ),
        _ => return None,
    })
}

/// `POST /console/certification-items/{id}/act/{action}`.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/console/certification-items/{id}");
    let mutation = item_mutation(&action, &id, &fields);
    perform(&state, &viewer, &fields, mutation, &back, |_| {
        format!("{back}?done={action}")
    })
    .await
}

/// `POST /console/certification-items/register`: answers with the new item's page.
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Fields>,
) -> Response {
    let vars = json!({"commandId": optional(&fields, "commandId"), "input": {
        "name": field(&fields, "name"), "matter": field(&fields, "matter"),
        "basisLevel": field(&fields, "basisLevel"),
        "basisCitation": field(&fields, "basisCitation"),
        "requestingUnit": field(&fields, "requestingUnit"),
        "issuingUnit": field(&fields, "issuingUnit"),
        "serviceGuide": field(&fields, "serviceGuide"),
        "registeredOn": optional(&fields, "registeredOn")}});
    let op = "mutation M($commandId: ID, $input: RegisterCertificationItemInput!) {
        registerCertificationItem(commandId: $commandId, input: $input) { certificationItem { id } } }";
    let back = "/console/certification-items";
    perform(&state, &viewer, &fields, Some((op, vars)), back, |d| {
        let id = d.pointer("/registerCertificationItem/certificationItem/id");
        format!("{back}/{}", id.and_then(Value::as_str).unwrap_or_default())
    })
    .await
}
