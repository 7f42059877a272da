//! Cleanup campaigns (清理) as a board. A campaign's entries stand in the column of the step
//! they have reached: inventory, proposed, reviewed, decided; the campaign's own steps
//! (approval, publication, application, closing) head the board, with the form of the next
//! one for the roles that take it. Each entry has a page with the forms of its step
//! (a proposal by the drafter or the legal office, the legal office's review). Every form is
//! one mutation; the API decides who may and when.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};

use super::api::{Failure, list, nodes, text};
use super::forms::{Fields, field, hidden, optional, perform};
use super::layout::{self, Lang};
use super::session::Viewer;
use crate::domain::Role;
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
    let data = match layout::read(&state, &viewer, CAMPAIGNS, json!({})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let campaigns = nodes(&data, "cleanupCampaigns");
    let launch = matches!(
        viewer.session.actor.role,
        Role::LegalOffice | Role::GovernmentOffice
    );
    let body = html! {
        @if launch { (launch_form(&viewer)) }
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

fn card(lang: Lang, e: &Value, act: Option<&str>) -> Markup {
    let t = |zh, en| lang.t(zh, en);
    html! {
        div.card-entry {
            @if let Some(href) = act {
                a.act href=(href) { (t("处理 →", "Act →")) } " "
            }
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
    let missing = t("没有这个清理活动。", "No such campaign.");
    let c = match layout::read_one(
        &state,
        &viewer,
        CAMPAIGN,
        json!({"id": id}),
        "cleanupCampaign",
        missing,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let c = &c;
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
    let open = text(c, "status") == "OPEN";
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
        (step_forms(&viewer, c))
        div.board {
            @for (i, name) in columns.iter().enumerate() {
                @let here: Vec<&Value> = entries.iter().filter(|e| column(e) == i).collect();
                section.column aria-label=(name) {
                    h2 { (name) " (" (here.len()) ")" }
                    @for e in here {
                        @let act = (open && (may_propose(&viewer, e) || may_review(&viewer, e)))
                            .then(|| format!("/console/cleanups/{id}/entries/{}", text(e, "id")));
                        (card(lang, e, act.as_deref()))
                    }
                }
            }
        }
    };
    layout::page(&viewer, text(c, "title"), body)
}

/// The form of the campaign's next step, for the roles that take it (the API decides).
fn step_forms(viewer: &Viewer, c: &Value) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let role = viewer.session.actor.role;
    let id = text(c, "id");
    let action = |a: &str| format!("/console/cleanups/{id}/act/{a}");
    let all_decided = c["undecided"].as_i64() == Some(0);
    let approved = c.get("approval").is_some_and(|a| !a.is_null());
    let office = matches!(role, Role::LegalOffice | Role::GovernmentOffice);
    html! {
        @match text(c, "status") {
            "OPEN" if all_decided => {
                @if role == Role::GovernmentOffice && !approved {
                    form.card method="post" action=(action("approve")) {
                        (hidden(viewer))
                        h2 { (t("政府审定清理结果", "Approve the result")) }
                        label for="meetingType" { (t("会议", "Meeting")) }
                        select #meetingType name="meetingType" {
                            option value="EXECUTIVE_MEETING" { (t("常务会议", "Executive meeting")) }
                            option value="PLENARY_MEETING" { (t("全体会议", "Plenary meeting")) }
                        }
                        label for="meeting" { (t("会议名称", "Which meeting")) }
                        input #meeting name="meeting" required placeholder="县政府第 15 次常务会议";
                        button type="submit" { (t("记录审定", "Record the approval")) }
                    }
                }
                @if office {
                    form.card method="post" action=(action("publish")) {
                        (hidden(viewer))
                        h2 { (t("公布清理结果", "Publish the result")) }
                        p.hint { (t("公布后，各项决定即执行到文件和证明事项；废止、修改或宣布失效政府文件的，须先经政府审定。", "Publishing applies each decision to its document or item; a result that repeals, amends or declares invalid the government's own documents needs its approval first.")) }
                        label for="resultNumber" { (t("结果文号", "Result's number")) }
                        input #resultNumber name="resultNumber" required placeholder="南府发〔2026〕9号";
                        button type="submit" { (t("公布并执行", "Publish and apply")) }
                    }
                }
            },
            "PUBLISHED" | "APPLIED" if office => {
                form.card method="post" action=(action("report")) {
                    (hidden(viewer))
                    h2 { (t("报送上级", "Report to the superior government")) }
                    label for="to" { (t("报送机关", "To")) }
                    input #to name="to" required placeholder="南昌市人民政府";
                    label for="reference" { (t("报送文号（可不填）", "Reference (optional)")) }
                    input #reference name="reference";
                    button type="submit" { (t("记录报送", "Record the report")) }
                }
                @if text(c, "status") == "APPLIED" {
                    form.card method="post" action=(action("close")) {
                        (hidden(viewer))
                        h2 { (t("结束清理", "Close the campaign")) }
                        button type="submit" { (t("结束", "Close")) }
                    }
                }
            },
            _ => {}
        }
    }
}

fn launch_form(viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    html! {
        details.card {
            summary { (t("发起清理", "Launch a cleanup")) }
            form method="post" action="/console/cleanups/launch" {
                (hidden(viewer))
                label for="title" { (t("名称", "Title")) }
                input #title name="title" required placeholder="2026 年度规范性文件清理";
                label for="noticeNumber" { (t("通知文号", "Notice's number")) }
                input #noticeNumber name="noticeNumber" required placeholder="南府办字〔2026〕5号";
                label for="kind" { (t("类型", "Kind")) }
                select #kind name="kind" {
                    option value="PERIODIC" { (t("定期清理", "Periodic")) }
                    option value="SPECIAL" { (t("专项清理", "Special")) }
                    option value="FULL" { (t("全面清理", "Full")) }
                }
                label for="organiser" { (t("组织单位", "Organiser")) }
                input #organiser name="organiser" required placeholder="县司法局";
                label for="cutOff" { (t("截止日（此前印发、现行有效的文件纳入）", "Cut-off (documents issued by then and in force are in scope)")) }
                input #cutOff name="cutOff" type="date" required;
                label for="deadline" { (t("提出清理意见的期限", "Proposals due by")) }
                input #deadline name="deadline" type="date" required;
                label for="bodyCodes" { (t("制定主体（每行一个；不填为全部）", "Issuing bodies (one per line; none: all)")) }
                textarea #bodyCodes name="bodyCodes" rows="2" {}
                label for="citingLaw" { (t("专项：只含引用该法律的文件（可不填）", "Special: only documents citing this law (optional)")) }
                input #citingLaw name="citingLaw" placeholder="行政许可法";
                label { input type="checkbox" name="documents" value="true" checked; " " (t("清理规范性文件", "Documents")) }
                label { input type="checkbox" name="certificationItems" value="true"; " " (t("清理证明事项", "Certification items")) }
                button type="submit" { (t("发起", "Launch")) }
            }
        }
    }
}

/// `GET /console/cleanups/{id}/entries/{entry}`: one entry, with the form of its step.
pub async fn entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, entry)): Path<(String, String)>,
) -> Response {
    let lang = viewer.lang;
    let t = |zh, en| lang.t(zh, en);
    let data = match layout::read(&state, &viewer, CAMPAIGN, json!({"id": id})).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let found = data
        .get("cleanupCampaign")
        .filter(|c| !c.is_null())
        .and_then(|c| {
            list(c, "entries")
                .iter()
                .find(|e| text(e, "id") == entry)
                .map(|e| (c, e))
        });
    let Some((c, e)) = found else {
        return layout::failure_page(
            &viewer,
            &Failure::new("NOT_FOUND", t("没有这一项。", "No such entry.")),
        );
    };
    let open = text(c, "status") == "OPEN";
    let proposed = e.get("proposal").is_some_and(|p| !p.is_null());
    let decisions: &[(&str, &str, &str)] = if text(e, "kind") == "DOCUMENT" {
        &[
            ("CONTINUE", "继续有效", "Continue"),
            ("AMEND", "修改", "Amend"),
            ("REPEAL", "废止", "Repeal"),
            ("DECLARE_INVALID", "宣布失效", "Declare invalid"),
        ]
    } else {
        &[("RETAIN", "保留", "Retain"), ("CANCEL", "取消", "Cancel")]
    };
    let action = |a: &str| format!("/console/cleanups/{id}/act/{a}");
    let body = html! {
        p.links { a href=(format!("/console/cleanups/{id}")) { (t("← 返回清理看板", "← Back to the board")) } }
        (card(lang, e, None))
        @if open && may_propose(&viewer, e) {
            form.card method="post" action=(action("propose")) {
                (hidden(&viewer))
                input type="hidden" name="entryId" value=(entry);
                h2 { @if proposed { (t("重新提出清理意见", "Propose again")) } @else { (t("提出清理意见", "Propose a decision")) } }
                label for="decision" { (t("意见", "Decision")) }
                select #decision name="decision" { @for (v, zh, en) in decisions { option value=(v) { (lang.t(zh, en)) } } }
                label for="grounds" { (t("理由", "Grounds")) }
                textarea #grounds name="grounds" rows="3" required {}
                @if text(e, "kind") == "DOCUMENT" {
                    label for="revisionDeadline" { (t("修改期限（修改时）", "Revision due (when amending)")) }
                    input #revisionDeadline name="revisionDeadline" type="date";
                } @else {
                    label for="replacementMethod" { (t("取消后的替代方式（取消时）", "What replaces it (when cancelling)")) }
                    input #replacementMethod name="replacementMethod";
                    label for="commitmentAllowed" { (t("可否告知承诺（保留时）", "Commitment allowed (when retaining)")) }
                    select #commitmentAllowed name="commitmentAllowed" {
                        option value="" { "—" }
                        option value="true" { (t("可以", "yes")) }
                        option value="false" { (t("不可以", "no")) }
                    }
                    label for="commitmentReason" { (t("不可以告知承诺的理由", "Why not")) }
                    input #commitmentReason name="commitmentReason";
                }
                button type="submit" { (t("提出", "Propose")) }
            }
        }
        @if open && may_review(&viewer, e) {
            form.card method="post" action=(action("review")) {
                (hidden(&viewer))
                input type="hidden" name="entryId" value=(entry);
                h2 { (t("审核清理意见", "Review the proposal")) }
                label { input type="radio" name="accepted" value="true" checked; " " (t("同意，作为决定", "Accept as the decision")) }
                label { input type="radio" name="accepted" value="false"; " " (t("不同意，退回", "Refuse, send back")) }
                label for="comments" { (t("审核意见（不同意时必填）", "Comments (required when refusing)")) }
                textarea #comments name="comments" rows="2" {}
                button type="submit" { (t("记录审核", "Record the review")) }
            }
        }
    };
    layout::page(&viewer, text(e, "label"), body)
}

/// Who proposes an entry's decision: a document's own drafting body, the legal office for a
/// certification item (the API's rule; offering the form to anyone else would only earn a
/// refusal). Not once the entry has its final decision.
fn may_propose(viewer: &Viewer, e: &Value) -> bool {
    let actor = &viewer.session.actor;
    text(e, "finalDecision").is_empty()
        && match text(e, "kind") {
            "DOCUMENT" => {
                actor.role == Role::Drafter && actor.bodies.iter().any(|b| b == text(e, "bodyCode"))
            }
            _ => actor.role == Role::LegalOffice,
        }
}

/// The legal office reviews a proposal not yet reviewed.
fn may_review(viewer: &Viewer, e: &Value) -> bool {
    let has = |k: &str| e.get(k).is_some_and(|v| !v.is_null());
    viewer.session.actor.role == Role::LegalOffice
        && text(e, "finalDecision").is_empty()
        && has("proposal")
        && !has("review")
}

/// One campaign form's mutation, from the form's fields only (the operations are constants).
fn campaign_mutation(action: &str, id: &str, fields: &Fields) -> Option<(&'static str, Value)> {
    let base = |extra: Value| {
        let mut vars = json!({"commandId": optional(fields, "commandId"), "id": id});
        if let (Some(v), Some(extra)) = (vars.as_object_mut(), extra.as_object()) {
            v.extend(extra.clone());
        }
        vars
    };
    let commitment = match field(fields, "commitmentAllowed") {
        "true" => json!(true),
        "false" => json!(false),
        _ => Value::Null,
    };
    Some(match action {
        "propose" => (
            "mutation M($commandId: ID, $id: ID!, $input: ProposeCleanupDecisionInput!) {
               proposeCleanupDecision(commandId: $commandId, id: $id, input: $input) { position } }",
            base(json!({"input": {
                "entryId": field(fields, "entryId"), "decision": field(fields, "decision"),
                "grounds": field(fields, "grounds"),
                "revisionDeadline": optional(fields, "revisionDeadline"),
                "replacementMethod": optional(fields, "replacementMethod"),
                "commitmentAllowed": commitment,
                "commitmentReason": optional(fields, "commitmentReason")}})),
        ),
        "review" => (
            "mutation M($commandId: ID, $id: ID!, $input: ReviewCleanupDecisionInput!) {
               reviewCleanupDecision(commandId: $commandId, id: $id, input: $input) { position } }",
            base(json!({"input": {
                "entryId": field(fields, "entryId"),
                "accepted": field(fields, "accepted") == "true",
                "comments": optional(fields, "comments")}})),
        ),
        "approve" => (
            "mutation M($commandId: ID, $id: ID!, $input: ApproveCleanupResultInput!) {
               approveCleanupResult(commandId: $commandId, id: $id, input: $input) { position } }",
            base(json!({"input": {
                "meetingType": field(fields, "meetingType"), "meeting": field(fields, "meeting")}})),
        ),
        "publish" => (
            "mutation M($commandId: ID, $id: ID!, $resultNumber: String!) {
               publishCleanupResult(commandId: $commandId, id: $id, resultNumber: $resultNumber) { position } }",
            base(json!({"resultNumber": field(fields, "resultNumber")})),
        ),
        "report" => (
            "mutation M($commandId: ID, $id: ID!, $to: String!, $reference: String) {
               reportCleanupToSuperior(commandId: $commandId, id: $id, to: $to, reference: $reference) { position } }",
            base(json!({"to": field(fields, "to"), "reference": optional(fields, "reference")})),
        ),
        "close" => (
            "mutation M($commandId: ID, $id: ID!) {
               closeCleanup(commandId: $commandId, id: $id) { position } }",
            base(json!({})),
        ),
        _ => return None,
    })
}

/// `POST /console/cleanups/{id}/act/{action}`: one form, one mutation.
pub async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let back = format!("/console/cleanups/{id}");
    let mutation = campaign_mutation(&action, &id, &fields);
    perform(&state, &viewer, &fields, mutation, &back, |_| {
        format!("{back}?done={action}")
    })
    .await
}

/// `POST /console/cleanups/launch`: a new campaign; answers with its board.
pub async fn launch(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Fields>,
) -> Response {
    let checked = |name: &str| field(&fields, name) == "true";
    let bodies: Vec<&str> = field(&fields, "bodyCodes")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let vars = json!({"commandId": optional(&fields, "commandId"), "input": {
        "noticeNumber": field(&fields, "noticeNumber"), "title": field(&fields, "title"),
        "kind": field(&fields, "kind"), "organiser": field(&fields, "organiser"),
        "deadline": field(&fields, "deadline"),
        "scope": {"cutOff": field(&fields, "cutOff"), "bodyCodes": bodies,
                  "documents": checked("documents"),
                  "certificationItems": checked("certificationItems"),
                  "citingLaw": optional(&fields, "citingLaw")}}});
    let op = "mutation M($commandId: ID, $input: LaunchCleanupInput!) {
        launchCleanup(commandId: $commandId, input: $input) { campaign { id } } }";
    perform(
        &state,
        &viewer,
        &fields,
        Some((op, vars)),
        "/console/cleanups",
        |d| {
            let id = d
                .pointer("/launchCleanup/campaign/id")
                .and_then(Value::as_str);
            format!("/console/cleanups/{}", id.unwrap_or_default())
        },
    )
    .await
}
