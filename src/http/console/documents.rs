//! Documents at the console: the list, a document's page with the forms its reader may use,
//! the review page (the text by clause with the screening warnings and the advisors' opinions
//! beside their clauses, and the diff against the previous version), the timeline with the
//! state as recorded at any instant, and drafting.
//!
//! Each form names one mutation; [`act`] turns its fields into that mutation's variables and
//! nothing else. Whether the person may do it, and whether the document allows it, is the
//! API's answer, shown as it came.

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api::{self, Failure, list, nodes, text};
use super::forms::{Fields, field, hidden, optional, perform, refused};
use super::layout::{self, Lang};
use super::session::Viewer;
use crate::domain::Role;
use crate::domain::document::FactField;
use crate::domain::document::lifecycle::status_named;
use crate::http::AppState;

const LIST: &str = "query Documents($filter: DocumentsFilter, $after: String) {
  documents(filter: $filter, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id title bodyCode status issuance { number } review { dueOn } }
  }
}";

const DOCUMENT: &str = "query Document($id: String!) {
  document(id: $id) {
    id title bodyCode status class summary draftingUnit revisionCount version isMajorDecision
    texts { version stageLabel recordedOn hash characters }
    consultations { openedOn closesOn closedOn }
    review { submittedOn startedOn dueOn outcome
      advisorOpinions { advisorName text conclusion givenOn anchor { version clause quote } }
      issues { number clause text adopted responseReason anchor { version clause quote } } }
    deliberations { outcome meeting heldOn }
    issuance { number issuedOn publishedOn effectiveOn validUntil signer }
    filings { authority filedOn reviewDueOn outcome correctionDueOn current }
    warnings { code message }
    missingMaterials
  }
}";

const REVIEW: &str = "query Review($id: String!) {
  document(id: $id) {
    id title bodyCode status
    text { version stageLabel hash
      clauses { id kind number heading text }
      screening { code label clause matched source considered { reason consideredOn } } }
    review { dueOn outcome
      advisorOpinions { advisorName text conclusion givenOn anchor { version clause quote } }
      issues { number clause text adopted responseReason anchor { version clause quote } } }
    diff(previous: true) {
      from { version stageLabel } to { version stageLabel } changed
      changes { kind fromClause { number } toClause { id number } spans { kind text } } }
    warnings { code message }
  }
}";

const TIMELINE: &str = "query Timeline($id: String!, $asOf: DateTime) {
  document(id: $id, asOf: $asOf) {
    id title status version bodyCode
    history { position sequence eventType recordedAt actorId actorName role summary }
    statusPath { sequence status }
  }
}";

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

const STATUSES: &[&str] = &[
    "DRAFTING",
    "CONSULTATION",
    "SUBMITTED",
    "UNDER_REVIEW",
    "REVISING",
    "AWAITING_DELIBERATION",
    "APPROVED",
    "ISSUED",
    "EXPIRED",
    "REPEALED",
    "DECLARED_INVALID",
    "REVOKED",
    "SUPERSEDED",
    "WITHDRAWN",
    "REJECTED",
];

/// `GET /console/documents`: the documents the person may see, by status and title.
pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Response {
    let (state, viewer) = (&state, &viewer);
    let lang = viewer.lang;
    let mut filter = Map::new();
    if STATUSES.contains(&q.status.as_str()) {
        filter.insert("status".into(), json!(q.status));
    }
    if !q.q.trim().is_empty() {
        filter.insert("titleContains".into(), json!(q.q.trim()));
    }
    let after = (!q.after.is_empty()).then_some(q.after.as_str());
    let data = match api::run(
        state,
        Some(&viewer.session.actor),
        LIST,
        json!({"filter": filter, "after": after}),
    )
    .await
    {
        Ok(d) => d,
        Err(f) => return layout::failure_page(viewer, &f),
    };
    let docs = nodes(&data, "documents");
    let page_info = data
        .pointer("/documents/pageInfo")
        .cloned()
        .unwrap_or_default();
    let body = html! {
        form.filters method="get" action="/console/documents" {
            label for="q" { (lang.t("标题包含", "Title contains")) }
            input #q name="q" value=(q.q);
            label for="status" { (lang.t("状态", "Status")) }
            select #status name="status" {
                option value="" { (lang.t("全部", "All")) }
                @for s in STATUSES {
                    option value=(s) selected[q.status == *s] { (layout::status_label(lang, s)) }
                }
            }
            button type="submit" { (lang.t("筛选", "Filter")) }
        }
        @if docs.is_empty() {
            p.empty { (lang.t("没有符合条件的文件。", "No document matches.")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (lang.t("标题", "Title")) }
                    th scope="col" { (lang.t("文号", "Number")) }
                    th scope="col" { (lang.t("制定主体", "Body")) }
                    th scope="col" { (lang.t("状态", "Status")) }
                } }
                tbody { @for d in docs { tr {
                    td { a href=(format!("/console/documents/{}", text(d, "id"))) { (text(d, "title")) } }
                    td { (d.pointer("/issuance/number").and_then(Value::as_str).unwrap_or("—")) }
                    td { (text(d, "bodyCode")) }
                    td { (layout::status_label(lang, text(d, "status"))) }
                } } }
            }
            @if page_info.get("hasNextPage").and_then(Value::as_bool).unwrap_or(false) {
                a.next href=(format!("/console/documents?status={}&q={}&after={}",
                    super::session::encode(&q.status), super::session::encode(&q.q),
                    super::session::encode(text(&page_info, "endCursor")))) {
                    (lang.t("下一页", "Next page")) }
            }
        }
    };
    layout::page(viewer, lang.t("规范性文件", "Normative documents"), body)
}

async fn load(
    state: &AppState,
    viewer: &Viewer,
    operation: &str,
    variables: Value,
) -> Result<Value, Response> {
    let missing = viewer.lang.t(
        "没有这份文件，或无权查看。",
        "No such document, or not yours to see.",
    );
    layout::read_one(state, viewer, operation, variables, "document", missing).await
}

/// A new command id per rendered form: submitting the same form twice (a double click, a
/// reload) answers the first result and writes nothing more.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /console/documents/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let lang = viewer.lang;
    let doc = match load(&state, &viewer, DOCUMENT, json!({"id": id})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let t = |zh, en| lang.t(zh, en);
    let status = text(&doc, "status");
    // The registrar numbers in order: suggest the next free serial of each of the body's 代字.
    let suggestions: Vec<String> = if viewer.session.actor.role == Role::GovernmentOffice
        && status == "APPROVED"
    {
        let op =
            "query Next($code: String!) { issuingBody(code: $code) { nextNumbers { number } } }";
        api::run(
            &state,
            Some(&viewer.session.actor),
            op,
            json!({"code": text(&doc, "bodyCode")}),
        )
        .await
        .ok()
        .and_then(|d| {
            d.pointer("/issuingBody/nextNumbers")
                .and_then(Value::as_array)
                .cloned()
        })
        .unwrap_or_default()
        .iter()
        .map(|n| text(n, "number").to_owned())
        .collect()
    } else {
        Vec::new()
    };
    let body = html! {
        @if !done.done.is_empty() {
            p.notice role="status" { (t("已记录。", "Recorded.")) }
        }
        dl.facts {
            dt { (t("状态", "Status")) } dd.status { (layout::status_label(lang, status)) }
            dt { (t("制定主体", "Issuing body")) } dd { (text(&doc, "bodyCode")) }
            dt { (t("起草单位", "Drafting unit")) } dd { (text(&doc, "draftingUnit")) }
            @if let Some(i) = doc.get("issuance").filter(|i| !i.is_null()) {
                dt { (t("文号", "Number")) } dd { (text(i, "number")) }
                dt { (t("施行日期", "Effective")) } dd { (text(i, "effectiveOn")) " – " (text(i, "validUntil")) }
            }
            @if let Some(r) = doc.get("review").filter(|r| !r.is_null()) {
                dt { (t("送审日期", "Submitted")) } dd { (text(r, "submittedOn")) }
                @if !text(r, "dueOn").is_empty() {
                    dt { (t("审核期限", "Review due")) }
                    dd { @if let Ok(d) = text(r, "dueOn").parse() { (super::work::due_label(&state, lang, d).1) } }
                }
                @if !text(r, "outcome").is_empty() {
                    dt { (t("审核结论", "Review outcome")) }
                    dd { (text(r, "outcome")) " · "
                        a href=(format!("/console/documents/{id}/opinion.docx")) { (t("合法性审核意见书（.docx）", "Review opinion (.docx)")) } }
                }
            }
        }
        p.links {
            a href=(format!("/console/documents/{id}/review")) { (t("审核页（逐条文本、意见、差异）", "Review page (text by clause, opinions, diff)")) }
            " · "
            a href=(format!("/console/documents/{id}/timeline")) { (t("时间线", "Timeline")) }
        }
        (warnings(lang, &doc))
        (actions(&viewer, &doc, &suggestions))
        section {
            h2 { (t("文本版本", "Text versions")) }
            @if list(&doc, "texts").is_empty() { p.empty { (t("尚无文本。", "No text yet.")) } }
            ul { @for v in list(&doc, "texts") {
                li { "v" (v["version"]) " · " (text(v, "stageLabel")) " · " (text(v, "recordedOn"))
                     " · " code { (text(v, "hash").get(..12).unwrap_or_default()) } }
            } }
        }
    };
    layout::page(&viewer, text(&doc, "title"), body)
}

fn warnings(lang: Lang, doc: &Value) -> Markup {
    let ws = list(doc, "warnings");
    html! {
        @if !ws.is_empty() {
            section.warnings {
                h2 { (lang.t("提示", "Warnings")) }
                ul { @for w in ws { li { code { (text(w, "code")) } " " (text(w, "message")) } } }
            }
        }
    }
}

/// The forms the person's role may use on a document in its status. Showing a form is a
/// convenience: the API decides.
fn actions(viewer: &Viewer, doc: &Value, numbers: &[String]) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let id = text(doc, "id");
    let status = text(doc, "status");
    let role = viewer.session.actor.role;
    let action = |name: &str| format!("/console/documents/{id}/act/{name}");
    html! {
        @match (role, status) {
            (Role::Drafter, "DRAFTING") => {
                form.card method="post" action=(action("submit")) {
                    (hidden(viewer))
                    h2 { (t("送审", "Submit for review")) }
                    label for="materials" { (t("送审材料（每行一项）", "Materials (one per line)")) }
                    textarea #materials name="materials" rows="3" required {
                        "起草说明\n征求意见情况\n制定依据" }
                    button type="submit" { (t("送交合法性审核", "Submit for legality review")) }
                }
                form.card method="post" action=(action("open-consultation")) {
                    (hidden(viewer))
                    h2 { (t("公开征求意见", "Open a public consultation")) }
                    label for="channel" { (t("渠道", "Channel")) }
                    input #channel name="channel" required placeholder="县政府门户网站";
                    label for="closesOn" { (t("截止日期（一般不少于 30 日）", "Closes on (usually at least 30 days)")) }
                    input #closesOn name="closesOn" type="date" required;
                    button type="submit" { (t("开始征求意见", "Open the consultation")) }
                }
            },
            (Role::Drafter, "CONSULTATION") => {
                form.card method="post" action=(action("close-consultation")) {
                    (hidden(viewer))
                    h2 { (t("结束征求意见", "Close the consultation")) }
                    label for="commentsReceived" { (t("收到意见（条）", "Comments received")) }
                    input #commentsReceived name="commentsReceived" type="number" min="0" required value="0";
                    label for="adoptionSummary" { (t("采纳情况", "What was adopted")) }
                    textarea #adoptionSummary name="adoptionSummary" rows="3" {}
                    button type="submit" { (t("结束并记录", "Close and record")) }
                }
            },
            (Role::LegalOffice, "SUBMITTED") => {
                form.card method="post" action=(action("start-review")) {
                    (hidden(viewer))
                    h2 { (t("受理", "Accept")) }
                    button type="submit" { (t("开始合法性审核", "Start the legality review")) }
                }
                @let missing = layout::materials(lang, list(doc, "missingMaterials"));
                form.card method="post" action=(action("return-materials")) {
                    (hidden(viewer))
                    h2 { (t("退回补充材料", "Return for missing materials")) }
                    @if !missing.is_empty() {
                        p.notice.overdue role="status" { (t("材料不全：", "Materials incomplete: ")) (missing) }
                    }
                    label for="reason" { (t("缺少的材料", "What is missing")) }
                    textarea #reason name="reason" rows="2" required { (missing) }
                    button type="submit" { (t("退回", "Return")) }
                }
            },
            (Role::Drafter, "REVISING") => {
                form.card method="post" action=(action("revise")) {
                    (hidden(viewer))
                    h2 { (t("回应审核意见", "Answer the review issues")) }
                    @for issue in doc.pointer("/review/issues").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                        @let n = issue["number"].as_i64().unwrap_or_default();
                        fieldset {
                            legend { (t("意见", "Issue")) " " (n) " · " (text(issue, "clause")) }
                            p { (text(issue, "text")) }
                            input type="hidden" name="issue" value=(n);
                            label { input type="radio" name=(format!("adopted_{n}")) value="true" checked; " " (t("采纳", "Adopted")) }
                            label { input type="radio" name=(format!("adopted_{n}")) value="false"; " " (t("不采纳", "Not adopted")) }
                            label for=(format!("clause_{n}")) { (t("修改稿中作出回应的条款（如 art-2）", "Clause of the revised text that answers it (e.g. art-2)")) }
                            input id=(format!("clause_{n}")) name=(format!("clause_{n}")) value=(text(issue, "clause"));
                            label for=(format!("reason_{n}")) { (t("不采纳的理由", "Reason, if not adopted")) }
                            input id=(format!("reason_{n}")) name=(format!("reason_{n}"));
                        }
                    }
                    label for="text" { (t("修改稿全文", "Revised text")) }
                    textarea #text name="text" rows="10" {}
                    button type="submit" { (t("提交修改稿", "Submit the revision")) }
                }
            },
            (Role::GovernmentOffice, "AWAITING_DELIBERATION") => {
                form.card method="post" action=(action("deliberate")) {
                    (hidden(viewer))
                    h2 { (t("审议", "Deliberation")) }
                    label for="meeting" { (t("会议", "Meeting")) }
                    input #meeting name="meeting" required placeholder="县政府第 12 次常务会议";
                    label for="outcome" { (t("结果", "Outcome")) }
                    select #outcome name="outcome" {
                        option value="APPROVED" { (t("通过", "Approved")) }
                        option value="APPROVED_WITH_CHANGES" { (t("修改后通过", "Approved with changes")) }
                        option value="DEFERRED" { (t("暂缓", "Deferred")) }
                        option value="REJECTED" { (t("不通过", "Rejected")) }
                    }
                    button type="submit" { (t("记录审议结果", "Record the deliberation")) }
                }
            },
            (Role::GovernmentOffice, "APPROVED") => {
                form.card method="post" action=(action("issue")) {
                    (hidden(viewer))
                    h2 { (t("印发", "Issue")) }
                    label for="number" { (t("文号", "Number")) }
                    input #number name="number" required list="next-numbers"
                        value=(numbers.first().map(String::as_str).unwrap_or_default())
                        placeholder="南政办发〔2026〕1号";
                    datalist #next-numbers { @for n in numbers { option value=(n) {} } }
                    @if !numbers.is_empty() {
                        small { (t("建议：各代字下一个未用的序号。", "Suggested: the next free serial of each agency code.")) }
                    }
                    label for="signer" { (t("签发人", "Signed by")) }
                    input #signer name="signer" required;
                    label for="effectiveOn" { (t("施行日期", "Effective on")) }
                    input #effectiveOn name="effectiveOn" type="date" required;
                    button type="submit" { (t("编号印发", "Number and issue")) }
                }
            },
            (Role::Drafter, "ISSUED") => {
                form.card method="post" action=(action("file")) {
                    (hidden(viewer))
                    h2 { (t("备案", "Filing")) }
                    button type="submit" { (t("报送备案", "File for record")) }
                }
            },
            (Role::GovernmentOffice, "ISSUED") => {
                form.card method="post" action=(action("correct")) {
                    (hidden(viewer))
                    h2 { (t("勘误", "Correction of errors")) }
                    p.hint { (t("只改正文字错误，不作实质修改；每条至多改动几个字，不增删条款。", "Errors only, never an amendment: a few characters per clause at most, no clause added or removed.")) }
                    label for="description" { (t("勘误说明", "What is corrected")) }
                    input #description name="description" required placeholder="第三条“二千元”应为“两千元”";
                    label for="correctedText" { (t("勘误后全文（可不填）", "The corrected text (optional)")) }
                    textarea #correctedText name="text" rows="6" {}
                    button type="submit" { (t("记录勘误", "Record the correction")) }
                }
                form.card method="post" action=(action("republish")) {
                    (hidden(viewer))
                    h2 { (t("重新登记、公布", "Republish")) }
                    p.hint { (t("有效期自重新公布之日起重新计算（一般 5 年，暂行、试行 2 年）。", "The validity starts again from today (5 years, 2 for 暂行/试行).")) }
                    label for="registrationNumber" { (t("新登记号（可不填）", "New registration number (optional)")) }
                    input #registrationNumber name="registrationNumber";
                    label for="validUntil" { (t("有效期至（可不填）", "Valid until (optional)")) }
                    input #validUntil name="validUntil" type="date";
                    label for="validityOverrideReason" { (t("超过法定期限的理由", "Reason for a longer validity")) }
                    input #validityOverrideReason name="validityOverrideReason";
                    button type="submit" { (t("重新公布", "Republish")) }
                }
                form.card method="post" action=(action("repeal")) {
                    (hidden(viewer))
                    h2 { (t("废止", "Repeal")) }
                    label for="reason" { (t("理由", "Reason")) }
                    input #reason name="reason" required;
                    label for="decisionDocument" { (t("废止决定文号", "Decision's number")) }
                    input #decisionDocument name="decisionDocument";
                    button type="submit" { (t("废止本文件", "Repeal this document")) }
                }
            },
            (Role::FilingAuthority | Role::LegalOffice, "ISSUED") => {
                @let pending: Vec<&str> = list(doc, "filings").iter()
                    .filter(|f| f["current"].as_bool().unwrap_or(false) && f.get("outcome").is_none_or(Value::is_null))
                    .map(|f| text(f, "authority"))
                    // A filing authority is offered its own filings (the API decides anyway).
                    .filter(|a| role != Role::FilingAuthority || viewer.session.actor.bodies.iter().any(|b| b == a))
                    .collect();
                @if !pending.is_empty() {
                    form.card method="post" action=(action("filing-review")) {
                        (hidden(viewer))
                        h2 { (t("备案审查", "Filing review")) }
                        label for="authority" { (t("备案机关", "Filing authority")) }
                        select #authority name="authority" { @for a in &pending { option value=(a) { (a) } } }
                        label for="outcome" { (t("结论", "Outcome")) }
                        select #outcome name="outcome" {
                            option value="ACCEPTED" { (t("准予备案", "Accepted")) }
                            option value="CORRECTION_REQUIRED" { (t("建议自行纠正", "Correction required")) }
                            option value="MATERIALS_REQUESTED" { (t("要求补充材料", "Materials requested")) }
                            option value="REFUSED" { (t("不予备案", "Refused")) }
                            option value="REVOKED" { (t("撤销", "Revoked")) }
                        }
                        label for="correctionDueOn" { (t("纠正期限（建议纠正时）", "Correct by (when correction is required)")) }
                        input #correctionDueOn name="correctionDueOn" type="date";
                        label for="notes" { (t("审查意见", "Notes")) }
                        textarea #notes name="notes" rows="2" {}
                        button type="submit" { (t("记录审查结论", "Record the review")) }
                    }
                }
            },
            _ => {}
        }
        @if role == Role::Drafter && status_named(status).is_some_and(|s| s.is_open_draft()) {
            form.card method="post" action=(action("withdraw")) {
                (hidden(viewer))
                h2 { (t("终止制定", "Withdraw the draft")) }
                label for="withdrawReason" { (t("理由", "Reason")) }
                input #withdrawReason name="reason" required;
                button type="submit" { (t("撤回草案", "Withdraw")) }
            }
        }
    }
}

/// `GET /console/documents/{id}/review`: readable without JavaScript.
pub async fn review_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let doc = match load(&state, &viewer, REVIEW, json!({"id": id})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let text_version = doc.get("text").filter(|v| !v.is_null());
    let clauses: Vec<&Value> = text_version
        .map(|tv| list(tv, "clauses"))
        .unwrap_or_default()
        .iter()
        .filter(|c| {
            matches!(
                text(c, "kind"),
                "PREAMBLE" | "CHAPTER" | "SECTION" | "ARTICLE"
            )
        })
        .collect();
    let version = text_version
        .and_then(|v| v["version"].as_i64())
        .unwrap_or_default();
    let opinions = doc
        .pointer("/review/advisorOpinions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let issues = doc
        .pointer("/review/issues")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let screening: Vec<Value> = text_version
        .map(|tv| list(tv, "screening").to_vec())
        .unwrap_or_default();
    let beside = |items: &[Value], clause: &str| -> Vec<Value> {
        items
            .iter()
            .filter(|o| {
                let anchored = o
                    .pointer("/anchor/clause")
                    .and_then(Value::as_str)
                    .or_else(|| o.get("clause").and_then(Value::as_str))
                    .unwrap_or_default();
                anchored == clause || anchored.starts_with(&format!("{clause}-"))
            })
            .cloned()
            .collect()
    };
    let role = viewer.session.actor.role;
    let status = text(&doc, "status");
    let body = html! {
        p.links { a href=(format!("/console/documents/{id}")) { (t("← 返回文件", "← Back to the document")) } }
        (warnings(lang, &doc))
        @match text_version {
            None => p.empty { (t("尚无文本。", "No text yet.")) },
            Some(tv) => {
                p { (t("文本", "Text")) " v" (version) " · " (text(tv, "stageLabel"))
                    " · SHA-256 " code { (text(tv, "hash")) } }
                ol.clauses {
                    @for c in &clauses {
                        @let cid = text(c, "id");
                        li.clause id=(cid) {
                            div.clause-text {
                                strong { (text(c, "number")) }
                                @if !text(c, "heading").is_empty() { " " (text(c, "heading")) }
                                @if text(c, "kind") != "CHAPTER" { p { (super::layout::clause_body(c)) } }
                            }
                            aside.beside {
                                @for w in beside(&screening, cid) {
                                    div.screening { strong { (text(&w, "label")) } " · " code { (text(&w, "code")) }
                                        " “" (text(&w, "matched")) "” " small { (text(&w, "source")) }
                                        @if let Some(c) = w.get("considered").filter(|c| !c.is_null()) {
                                            p { (t("已研究：", "Considered: ")) (text(c, "reason")) }
                                        } @else if role == Role::LegalOffice && status == "UNDER_REVIEW" {
                                            (consider_form(&viewer, &id, version, text(&w, "clause"), text(&w, "code")))
                                        } }
                                }
                                @for o in beside(&opinions, cid) {
                                    div.opinion { strong { (text(&o, "advisorName")) } " · " (text(&o, "givenOn"))
                                        p { (text(&o, "text")) } }
                                }
                                @for i in beside(&issues, cid) {
                                    div.issue { strong { (t("审核意见", "Review issue")) " " (i["number"]) }
                                        p { (text(&i, "text")) }
                                        @if let Some(a) = i.get("adopted").and_then(Value::as_bool) {
                                            p { @if a { (t("已采纳", "Adopted")) } @else { (t("未采纳：", "Not adopted: ")) (text(&i, "responseReason")) } } } }
                                }
                                @if role == Role::Advisor && status == "UNDER_REVIEW" {
                                    (opinion_form(&viewer, &id, version, cid))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(diff) = doc.get("diff").filter(|d| !d.is_null()) {
            section.diff {
                h2 { (t("与上一版本的差异", "Changes from the previous version")) " (v" (diff.pointer("/from/version").cloned().unwrap_or_default()) " → v" (diff.pointer("/to/version").cloned().unwrap_or_default()) ")" }
                @for ch in list(diff, "changes").iter().filter(|c| text(c, "kind") != "UNCHANGED") {
                    div class=(format!("change {}", text(ch, "kind").to_ascii_lowercase())) {
                        strong { (ch.pointer("/toClause/number").or_else(|| ch.pointer("/fromClause/number")).and_then(Value::as_str).unwrap_or_default()) }
                        " " small { (text(ch, "kind")) } " "
                        @for s in list(ch, "spans") {
                            @match text(s, "kind") {
                                "INSERTED" => ins { (text(s, "text")) },
                                "DELETED" => del { (text(s, "text")) },
                                _ => span { (text(s, "text")) },
                            }
                        }
                    }
                }
            }
        }
        @if role == Role::LegalOffice && status == "UNDER_REVIEW" {
            (conclude_form(&viewer, &id, version, &clauses))
        }
    };
    layout::page(
        &viewer,
        &format!(
            "{} · {}",
            t("合法性审核", "Legality review"),
            text(&doc, "title")
        ),
        body,
    )
}

fn opinion_form(viewer: &Viewer, id: &str, version: i64, clause: &str) -> Markup {
    let lang = viewer.lang;
    let field = format!("opinion-{clause}");
    html! {
        form.opinion-form method="post" action=(format!("/console/documents/{id}/act/opinion")) {
            (hidden(viewer))
            input type="hidden" name="version" value=(version);
            input type="hidden" name="clause" value=(clause);
            label for=(field) { (lang.t("对本条的意见", "Opinion on this clause")) }
            textarea id=(field) name="text" rows="2" required {}
            button type="submit" { (lang.t("提出意见", "Give the opinion")) }
        }
    }
}

/// The legal office records that it considered a screening warning (with its reason).
fn consider_form(viewer: &Viewer, id: &str, version: i64, clause: &str, code: &str) -> Markup {
    let lang = viewer.lang;
    let field = format!("consider-{clause}-{code}");
    html! {
        form.opinion-form method="post" action=(format!("/console/documents/{id}/act/consider-warning")) {
            (hidden(viewer))
            input type="hidden" name="version" value=(version);
            input type="hidden" name="clause" value=(clause);
            input type="hidden" name="code" value=(code);
            label for=(field) { (lang.t("研究意见", "Why it stands or was changed")) }
            input id=(field) name="reason" required;
            button type="submit" { (lang.t("记录已研究", "Record as considered")) }
        }
    }
}

/// How many anchored issues the conclusion form offers (more can be sent through the API).
const ISSUE_ROWS: usize = 3;

fn conclude_form(viewer: &Viewer, id: &str, version: i64, clauses: &[&Value]) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    html! {
        form.card method="post" action=(format!("/console/documents/{id}/act/conclude")) {
            (hidden(viewer))
            input type="hidden" name="version" value=(version);
            h2 { (t("审核结论", "Conclude the review")) }
            label for="outcome" { (t("结论", "Outcome")) }
            select #outcome name="outcome" {
                option value="LAWFUL" { (t("合法", "Lawful")) }
                option value="MUST_REVISE" { (t("修改后合法", "Must be revised")) }
                option value="UNLAWFUL" { (t("不合法", "Unlawful")) }
            }
            label for="opinion" { (t("审核意见书", "Opinion")) }
            textarea #opinion name="opinion" rows="4" required {}
            @for n in 1..=ISSUE_ROWS {
                fieldset {
                    legend { (t("逐条意见", "Itemised issue")) " " (n) }
                    label for=(format!("issue_clause_{n}")) { (t("条款", "Clause")) }
                    select id=(format!("issue_clause_{n}")) name=(format!("issue_clause_{n}")) {
                        option value="" { "—" }
                        @for c in clauses { option value=(text(c, "id")) { (text(c, "number")) } }
                    }
                    label for=(format!("issue_text_{n}")) { (t("意见", "Issue")) }
                    textarea id=(format!("issue_text_{n}")) name=(format!("issue_text_{n}")) rows="2" {}
                }
            }
            button type="submit" { (t("作出结论", "Conclude")) }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct AsOf {
    #[serde(default, rename = "asOf")]
    as_of: String,
}

/// `GET /console/documents/{id}/timeline?asOf=…`: every event with actor, role and time, and
/// the state as recorded at an instant (a date-time in Beijing time).
pub async fn timeline(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<AsOf>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let as_of = chrono::NaiveDateTime::parse_from_str(&q.as_of, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| local.and_local_timezone(layout::shanghai()).single())
        .map(|at| at.to_rfc3339());
    let doc = match load(&state, &viewer, TIMELINE, json!({"id": id, "asOf": as_of})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let body = html! {
        p.links { a href=(format!("/console/documents/{id}")) { (t("← 返回文件", "← Back to the document")) } }
        form.filters method="get" action=(format!("/console/documents/{id}/timeline")) {
            label for="asOf" { (t("查看某一时刻记录的状态（北京时间）", "State as recorded at (Beijing time)")) }
            input #asOf name="asOf" type="datetime-local" value=(q.as_of);
            button type="submit" { (t("查看", "Show")) }
        }
        @if as_of.is_some() {
            p.notice role="status" { (t("截至该时刻：", "As recorded then: ")) strong { (layout::status_label(lang, text(&doc, "status"))) } " · " (t("版本", "version")) " " (doc["version"]) }
        }
        @if let Some(path) = doc.get("statusPath").and_then(Value::as_array) {
            (super::lifecycle::picture(lang, &path.iter().map(|s| text(s, "status").to_owned()).collect::<Vec<_>>()))
        }
        @match doc.get("history").and_then(Value::as_array) {
            None => p.empty { (t("无权查看事件记录。", "The events are not yours to see.")) },
            Some(events) => table.timeline {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (t("时间", "Time")) }
                    th scope="col" { (t("事件", "Event")) }
                    th scope="col" { (t("操作人", "Actor")) }
                    th scope="col" { (t("角色", "Role")) }
                } }
                tbody { @for e in events { tr {
                    td { (e["sequence"]) }
                    td { (layout::local_time_text(text(e, "recordedAt"))) }
                    td { (text(e, "summary")) br; small { code { (text(e, "eventType")) } } }
                    td { (text(e, "actorName")) br; small { (text(e, "actorId")) } }
                    td { (layout::role_label(lang, text(e, "role"))) }
                } } }
            },
        }
        @if matches!(viewer.session.actor.role, Role::Drafter | Role::GovernmentOffice) && as_of.is_none() {
            (fact_form(&viewer, &id, list(&doc, "history")))
        }
    };
    layout::page(
        &viewer,
        &format!("{} · {}", t("时间线", "Timeline"), text(&doc, "title")),
        body,
    )
}

/// Correcting a mis-keyed fact (更正): every fact the history's events recorded, by event
/// and field; the API decides who may correct which (the role that recorded it).
fn fact_form(viewer: &Viewer, id: &str, history: &[Value]) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let facts: Vec<(String, String)> = history
        .iter()
        .flat_map(|e| {
            FactField::ALL
                .into_iter()
                .filter(|f| f.event_type() == text(e, "eventType"))
                .map(|f| {
                    (
                        format!("{}/{}", e["position"], f.as_str()),
                        format!(
                            "#{} {} · {}",
                            e["sequence"],
                            text(e, "eventType"),
                            f.as_str()
                        ),
                    )
                })
        })
        .collect();
    html! {
        @if !facts.is_empty() {
            form.card method="post" action=(format!("/console/documents/{id}/act/correct-fact")) {
                (hidden(viewer))
                h2 { (t("更正记录错误的事实", "Correct a mis-keyed fact")) }
                p.hint { (t("原记录不变：更正作为新的事件记入，历史中两者都在。", "The recorded event stays: the correction is a new event, and the history keeps both.")) }
                label for="fact" { (t("事件与字段", "Event and field")) }
                select #fact name="fact" { @for (value, label) in &facts { option value=(value) { (label) } } }
                label for="value" { (t("正确的值（日期写作 YYYY-MM-DD）", "The right value (dates as YYYY-MM-DD)")) }
                input #value name="value" required;
                label for="factReason" { (t("更正理由", "Why the recorded value was wrong")) }
                input #factReason name="reason" required;
                button type="submit" { (t("记录更正", "Record the correction")) }
            }
        }
    }
}

/// `GET /console/documents/new`: drafting from a pasted text.
pub async fn draft_form(viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let bodies = viewer.session.actor.bodies.clone();
    let body = html! {
        form.card method="post" action="/console/documents/new" enctype="multipart/form-data" {
            (hidden(&viewer))
            label for="bodyCode" { (t("制定主体", "Issuing body")) }
            select #bodyCode name="bodyCode" { @for b in &bodies { option value=(b) { (b) } } }
            label for="title" { (t("标题", "Title")) }
            input #title name="title" required maxlength="200";
            label for="class" { (t("类别", "Class")) }
            select #class name="class" {
                option value="GOVERNMENT" { (t("政府文件", "Government document")) }
                option value="DEPARTMENT" { (t("部门文件", "Department document")) }
            }
            label { input type="checkbox" name="isMajorDecision" value="true"; " " (t("重大行政决策", "Major administrative decision")) }
            label for="text" { (t("正文（粘贴全文）", "Text (paste it whole)")) }
            textarea #text name="text" rows="16" {}
            label for="textFile" { (t("或上传 .docx 文件", "or upload a .docx file")) }
            input #textFile name="textFile" type="file"
                accept=".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document";
            button type="submit" { (t("保存草稿", "Save the draft")) }
        }
    };
    layout::page(
        &viewer,
        t("起草规范性文件", "Draft a normative document"),
        body,
    )
}

/// A form's fields, and the file it carried if it was sent as multipart (a .docx text).
async fn read_form(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<(Fields, Option<async_graphql::UploadValue>), Failure> {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let bad = |e: String| Failure::new("BAD_USER_INPUT", e);
    if !multipart {
        let Form(fields) = Form::<Fields>::from_request(request, state)
            .await
            .map_err(|e| bad(e.body_text()))?;
        return Ok((fields, None));
    }
    let mut form = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| bad(e.body_text()))?;
    let (mut fields, mut file) = (Fields::new(), None);
    while let Some(part) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        let name = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            Some(filename) if !filename.is_empty() => {
                let content_type = part.content_type().map(str::to_owned);
                let content = part.bytes().await.map_err(|e| bad(e.body_text()))?;
                file = Some(async_graphql::UploadValue {
                    filename,
                    content_type,
                    content,
                });
            }
            // A file input left empty: no file.
            Some(_) => {}
            None => {
                let value = part.text().await.map_err(|e| bad(e.body_text()))?;
                fields.push((name, value));
            }
        }
    }
    Ok((fields, file))
}

/// `POST /console/documents/new`: from a pasted text, or a .docx (multipart) whose text the
/// API reads exactly as from a GraphQL multipart request.
pub async fn draft(
    State(state): State<AppState>,
    viewer: Viewer,
    request: axum::extract::Request,
) -> Response {
    let (fields, file) = match read_form(&state, request).await {
        Ok(f) => f,
        Err(f) => return refused(&viewer, &f, "/console/documents/new"),
    };
    if let Err(r) = viewer.check_csrf(field(&fields, "csrf")) {
        return r;
    }
    let text = if file.is_some() {
        Value::Null
    } else {
        optional(&fields, "text")
    };
    let input = json!({
        "bodyCode": field(&fields, "bodyCode"),
        "title": field(&fields, "title"),
        "class": field(&fields, "class"),
        "isMajorDecision": field(&fields, "isMajorDecision") == "true",
        "text": text,
        // The file's place: filled with the upload's reference by `run_with_file`.
        "textFile": Value::Null,
    });
    let op = "mutation Draft($commandId: ID, $input: DraftDocumentInput!) {
        draftDocument(commandId: $commandId, input: $input) { document { id } } }";
    let command_id = optional(&fields, "commandId");
    let vars = json!({"commandId": command_id, "input": input});
    let upload = file.map(|f| ("variables.input.textFile", f));
    match api::Api::of(&state)
        .run_with_file(Some(&viewer.session.actor), op, vars, upload)
        .await
    {
        Ok(data) => {
            let id = data
                .pointer("/draftDocument/document/id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Redirect::to(&format!("/console/documents/{id}?done=draft")).into_response()
        }
        Err(f) => refused(&viewer, &f, "/console/documents/new"),
    }
}

/// One form's mutation: its operation and variables, from the form's fields only.
fn mutation(action: &str, id: &str, fields: &Fields) -> Option<(String, Value)> {
    let command_id = field(fields, "commandId");
    let version = field(fields, "version").parse::<i64>().ok();
    // (mutation, its input type), and the input from the form.
    let ((name, input_type), input) = match action {
        "submit" => (
            ("submitForReview", "SubmitForReviewInput"),
            json!({"materials": field(fields, "materials").lines().map(str::trim)
                .filter(|l| !l.is_empty()).collect::<Vec<_>>()}),
        ),
        "start-review" => (("startReview", "StartReviewInput"), json!({})),
        "opinion" => (
            ("addAdvisorOpinion", "AddAdvisorOpinionInput"),
            json!({"text": field(fields, "text"),
                   "anchor": {"version": version?, "clause": field(fields, "clause")}}),
        ),
        "conclude" => {
            let issues: Vec<Value> = (1..=ISSUE_ROWS)
                .filter_map(|n| {
                    let text = field(fields, &format!("issue_text_{n}")).trim();
                    let clause = field(fields, &format!("issue_clause_{n}"));
                    (!text.is_empty()).then(|| match (clause.is_empty(), version) {
                        (false, Some(v)) => json!({"text": text, "clause": clause,
                            "anchor": {"version": v, "clause": clause}}),
                        _ => json!({"text": text}),
                    })
                })
                .collect();
            (
                ("concludeReview", "ConcludeReviewInput"),
                json!({"outcome": field(fields, "outcome"), "opinion": field(fields, "opinion"),
                       "issues": issues}),
            )
        }
        "revise" => {
            let responses: Vec<Value> = fields
                .iter()
                .filter(|(k, _)| k == "issue")
                .filter_map(|(_, n)| n.parse::<i64>().ok())
                .map(|n| {
                    json!({"issueNumber": n,
                           "adopted": field(fields, &format!("adopted_{n}")) != "false",
                           "reason": optional(fields, &format!("reason_{n}")),
                           "clause": optional(fields, &format!("clause_{n}"))})
                })
                .collect();
            (
                ("submitRevision", "SubmitRevisionInput"),
                json!({"responses": responses, "text": optional(fields, "text")}),
            )
        }
        "deliberate" => (
            ("recordDeliberation", "RecordDeliberationInput"),
            json!({"outcome": field(fields, "outcome"), "meetingType": "EXECUTIVE_MEETING",
                   "meeting": field(fields, "meeting")}),
        ),
        "issue" => (
            ("issueDocument", "IssueDocumentInput"),
            json!({"number": field(fields, "number"), "signer": field(fields, "signer"),
                   "effectiveOn": field(fields, "effectiveOn")}),
        ),
        "file" => (("fileForRecord", "FileForRecordInput"), json!({})),
        "open-consultation" => (
            ("openConsultation", "OpenConsultationInput"),
            json!({"channel": field(fields, "channel"), "closesOn": field(fields, "closesOn")}),
        ),
        "close-consultation" => (
            ("closeConsultation", "CloseConsultationInput"),
            json!({"commentsReceived": field(fields, "commentsReceived").parse::<i64>().ok()?,
                   "adoptionSummary": field(fields, "adoptionSummary")}),
        ),
        "return-materials" => (
            ("returnMaterials", "ReturnMaterialsInput"),
            json!({"reason": field(fields, "reason")}),
        ),
        "consider-warning" => (
            ("considerScreeningWarning", "ConsiderScreeningWarningInput"),
            json!({"version": version?, "clause": field(fields, "clause"),
                   "code": field(fields, "code"), "reason": field(fields, "reason")}),
        ),
        "filing-review" => (
            ("recordFilingReview", "RecordFilingReviewInput"),
            json!({"authority": field(fields, "authority"), "outcome": field(fields, "outcome"),
                   "notes": optional(fields, "notes"),
                   "correctionDueOn": optional(fields, "correctionDueOn")}),
        ),
        "correct" => (
            ("correctDocument", "CorrectDocumentInput"),
            json!({"description": field(fields, "description"), "text": optional(fields, "text")}),
        ),
        "republish" => (
            ("republishDocument", "RepublishDocumentInput"),
            json!({"registrationNumber": optional(fields, "registrationNumber"),
                   "validUntil": optional(fields, "validUntil"),
                   "validityOverrideReason": optional(fields, "validityOverrideReason")}),
        ),
        "withdraw" => (
            ("withdrawDocument", "EndDocumentInput"),
            json!({"reason": field(fields, "reason")}),
        ),
        "correct-fact" => {
            // One select names both: "{position}/{FIELD}".
            let (position, fact) = field(fields, "fact").split_once('/')?;
            (
                ("correctRecordedFact", "CorrectRecordedFactInput"),
                json!({"position": position.parse::<i64>().ok()?, "field": fact,
                       "value": field(fields, "value"), "reason": field(fields, "reason")}),
            )
        }
        "repeal" => (
            ("repealDocument", "EndDocumentInput"),
            json!({"reason": field(fields, "reason"),
                   "decisionDocument": optional(fields, "decisionDocument")}),
        ),
        _ => return None,
    };
    let command_id = (!command_id.is_empty()).then_some(command_id);
    // Every document mutation has the same shape; only the two names above vary, and both
    // come from this table, never from the request.
    let op = format!(
        "mutation M($commandId: ID, $id: ID!, $input: {input_type}!) {{
           {name}(commandId: $commandId, id: $id, input: $input) {{ document {{ id }} }} }}"
    );
    Some((
        op,
        json!({"commandId": command_id, "id": id, "input": input}),
    ))
}

/// `POST /console/documents/{id}/act/{action}`: one form, one mutation.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/console/documents/{id}");
    let mutation = mutation(&action, &id, &fields);
    perform(&state, &viewer, &fields, mutation, &back, |_| {
        if matches!(action.as_str(), "opinion" | "consider-warning") {
            format!("{back}/review?done={action}")
        } else {
            format!("{back}?done={action}")
        }
    })
    .await
}
