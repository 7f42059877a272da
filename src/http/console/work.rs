//! "My work" (我的工作): what waits for the signed-in person, by role, each with its due date
//! counted in working days on the ledger's calendar, overdue first.

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::{self, nodes, text};
use super::layout::{self, Lang};
use super::session::Viewer;
use crate::domain::Role;
use crate::http::AppState;

/// The fields a row of work shows.
const ROW: &str = "id title bodyCode status missingMaterials review { submittedOn dueOn }
    filings { authority reviewDueOn correctionDueOn current outcome }";

/// How many of each list the page shows (the documents page lists them all).
const SHOWN: usize = 50;

/// What waits for a role: (document status, what the person does next).
pub(super) fn waiting_on(role: Role) -> &'static [(&'static str, &'static str, &'static str)] {
    match role {
        Role::Drafter => &[
            (
                "DRAFTING",
                "完成起草并送审",
                "finish the draft and submit it",
            ),
            ("CONSULTATION", "结束征求意见", "close the consultation"),
            (
                "REVISING",
                "逐条回应审核意见并提交修改稿",
                "answer the review issues and submit the revision",
            ),
        ],
        Role::LegalOffice => &[
            ("SUBMITTED", "受理并开始审核", "accept and start the review"),
            ("UNDER_REVIEW", "作出审核结论", "conclude the review"),
        ],
        Role::Advisor => &[(
            "UNDER_REVIEW",
            "提出法律顾问意见",
            "give an advisor's opinion",
        )],
        Role::GovernmentOffice => &[
            (
                "AWAITING_DELIBERATION",
                "提交审议并记录结果",
                "deliberate and record the result",
            ),
            ("APPROVED", "编号印发", "number and issue it"),
        ],
        _ => &[],
    }
}

/// The deadline lists a role watches: (query, heading in Chinese, in English).
pub(super) fn deadline_lists(role: Role) -> &'static [(&'static str, &'static str, &'static str)] {
    match role {
        Role::LegalOffice => &[
            ("overdueReviews", "逾期未结的审核", "Overdue reviews"),
            ("overdueRevisions", "逾期未交的修改稿", "Overdue revisions"),
            (
                "overdueFilingCorrections",
                "逾期未纠正的备案文件",
                "Overdue filing corrections",
            ),
        ],
        Role::Drafter => &[
            ("overdueFilings", "逾期未报备案", "Overdue filings"),
            (
                "overdueFilingCorrections",
                "逾期未纠正的备案文件",
                "Overdue filing corrections",
            ),
        ],
        Role::GovernmentOffice => &[(
            "expiringDocuments",
            "即将到期的文件",
            "Documents about to expire",
        )],
        Role::Auditor => &[
            ("overdueReviews", "逾期未结的审核", "Overdue reviews"),
            ("overdueFilings", "逾期未报备案", "Overdue filings"),
            (
                "overdueFilingCorrections",
                "逾期未纠正的备案文件",
                "Overdue filing corrections",
            ),
        ],
        _ => &[],
    }
}

/// One operation for the whole page: an alias per status and per deadline list. Built from
/// the constant tables above only; nothing a person typed goes into it.
pub(super) fn operation(role: Role) -> Option<String> {
    let mut fields = Vec::new();
    for (status, ..) in waiting_on(role) {
        fields.push(format!(
            "{}: documents(filter: {{status: {status}}}, first: {SHOWN}) {{ nodes {{ {ROW} }} pageInfo {{ hasNextPage }} }}",
            alias(status)
        ));
    }
    for (list, ..) in deadline_lists(role) {
        fields.push(format!(
            "{list}: {list}(first: {SHOWN}) {{ nodes {{ {ROW} }} pageInfo {{ hasNextPage }} }}"
        ));
    }
    (!fields.is_empty()).then(|| format!("query MyWork {{ {} }}", fields.join(" ")))
}

pub(super) fn alias(status: &str) -> String {
    format!("s_{}", status.to_ascii_lowercase())
}

/// Whether a list of the page has more than it shows.
fn more(data: &Value, list: &str) -> bool {
    data.get(list)
        .and_then(|c| c.pointer("/pageInfo/hasNextPage"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A document's next date: the review's due date while in review, else the earliest
/// unanswered filing deadline.
pub(super) fn due_on(doc: &Value) -> Option<NaiveDate> {
    let review_due = doc
        .get("review")
        .map(|r| text(r, "dueOn"))
        .filter(|d| !d.is_empty() && matches!(text(doc, "status"), "SUBMITTED" | "UNDER_REVIEW"));
    let filing_due = api::list(doc, "filings")
        .iter()
        .filter(|f| f.get("current").and_then(Value::as_bool).unwrap_or(false))
        .filter_map(|f| {
            let correction = text(f, "correctionDueOn");
            if !correction.is_empty() {
                Some(correction)
            } else if f.get("outcome").is_none_or(Value::is_null) {
                Some(text(f, "reviewDueOn"))
            } else {
                None
            }
        })
        .min();
    review_due.or(filing_due).and_then(|d| d.parse().ok())
}

/// "还有 3 个工作日" / "逾期 2 个工作日", with the date.
pub fn due_label(state: &AppState, lang: Lang, due: NaiveDate) -> (i64, String) {
    let today = crate::graphql::today();
    match state.ledger.calendar().working_days_between(today, due) {
        Ok(n) => {
            let words = match (lang, n) {
                (Lang::Zh, 0) => "今日到期".to_owned(),
                (Lang::Zh, n) if n > 0 => format!("还有 {n} 个工作日"),
                (Lang::Zh, n) => format!("逾期 {} 个工作日", -n),
                (Lang::En, 0) => "due today".to_owned(),
                (Lang::En, n) if n > 0 => format!("{n} working days left"),
                (Lang::En, n) => format!("{} working days overdue", -n),
            };
            (n, format!("{due} · {words}"))
        }
        // A date the calendar does not cover: the date alone, sorted by calendar days.
        Err(_) => ((due - today).num_days(), due.to_string()),
    }
}

#[derive(Deserialize, Default)]
pub struct WorkQuery {
    /// Only the list (htmx refreshes it in place).
    #[serde(default)]
    fragment: bool,
}

/// `GET /console/work`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<WorkQuery>,
) -> Response {
    let lang = viewer.lang;
    let role = viewer.session.actor.role;
    let data = match operation(role) {
        Some(op) => match api::run(&state, Some(&viewer.session.actor), &op, json!({})).await {
            Ok(d) => d,
            Err(f) => return layout::failure_page(&viewer, &f),
        },
        None => json!({}),
    };
    let list = work_list(&state, lang, role, &data);
    if q.fragment {
        return Html(list.into_string()).into_response();
    }
    let body = html! {
        @if role == Role::Admin {
            p { (lang.t("管理员的工作在", "An administrator's work is in"))
                " " a href="/console/admin/accounts" { (lang.t("账号", "Accounts")) }
                " · " a href="/console/admin/tokens" { (lang.t("API 令牌", "API tokens")) } }
        }
        (list)
        form.inline method="post" action="/console/work/calendar" {
            input type="hidden" name="csrf" value=(viewer.session.csrf);
            button type="submit" { (lang.t("订阅我的期限（日历 .ics）", "Subscribe to my deadlines (calendar .ics)")) }
        }
    };
    layout::page(&viewer, lang.t("我的工作", "My work"), body)
}

struct Item<'a> {
    doc: &'a Value,
    next: &'a str,
    due: Option<(i64, String)>,
}

fn work_list(state: &AppState, lang: Lang, role: Role, data: &Value) -> Markup {
    let mut items: Vec<Item> = Vec::new();
    for (status, zh, en) in waiting_on(role) {
        for doc in nodes(data, &alias(status)) {
            let due = due_on(doc).map(|d| due_label(state, lang, d));
            items.push(Item {
                doc,
                next: lang.t(zh, en),
                due,
            });
        }
    }
    // Overdue first, then by the nearest due date; undated work last.
    items.sort_by_key(|i| i.due.as_ref().map_or(i64::MAX, |(n, _)| *n));
    html! {
        div #work hx-get="/console/work?fragment=true" hx-trigger="every 20s, nl-ledger-changed from:body"
            hx-swap="outerHTML" {
            section {
                h2 { (lang.t("待办", "Waiting for me")) " (" (items.len())
                    @if waiting_on(role).iter().any(|(s, ..)| more(data, &alias(s))) { "+" } ")" }
                @if items.is_empty() {
                    p.empty { (lang.t("没有待办事项。", "Nothing waits for you.")) }
                } @else {
                    table.work {
                        thead { tr {
                            th scope="col" { (lang.t("文件", "Document")) }
                            th scope="col" { (lang.t("制定主体", "Body")) }
                            th scope="col" { (lang.t("状态", "Status")) }
                            th scope="col" { (lang.t("下一步", "Next step")) }
                            th scope="col" { (lang.t("期限", "Due")) }
                        } }
                        tbody {
                            @for i in &items {
                                tr.overdue[i.due.as_ref().is_some_and(|(n, _)| *n < 0)] {
                                    td { a href=(format!("/console/documents/{}", text(i.doc, "id"))) { (text(i.doc, "title")) } }
                                    td { (text(i.doc, "bodyCode")) }
                                    td { (layout::status_label(lang, text(i.doc, "status"))) }
                                    td { (i.next)
                                        @if text(i.doc, "status") == "SUBMITTED" {
                                            @let missing = layout::materials(lang, api::list(i.doc, "missingMaterials"));
                                            @if !missing.is_empty() { br; small.overdue { (lang.t("材料不全：", "Materials incomplete: ")) (missing) } }
                                        }
                                    }
                                    td { @if let Some((_, label)) = &i.due { (label) } @else { "—" } }
                                }
                            }
                        }
                    }
                }
            }
            @for (list, zh, en) in deadline_lists(role) {
                @let docs = nodes(data, list);
                section {
                    h2 { (lang.t(zh, en)) " (" (docs.len()) @if more(data, list) { "+" } ")" }
                    @if docs.is_empty() {
                        p.empty { (lang.t("无。", "None.")) }
                    } @else {
                        ul { @for doc in docs {
                            li {
                                a href=(format!("/console/documents/{}", text(doc, "id"))) { (text(doc, "title")) }
                                " · " (layout::status_label(lang, text(doc, "status")))
                                @if let Some(d) = due_on(doc) { " · " (due_label(state, lang, d).1) }
                            }
                        } }
                    }
                }
            }
        }
    }
}

/// `GET /console/live`: server-sent events, one `changed` per event the person may follow,
/// taken from the API's own live feed (`subscription { events }`) with the person's read
/// policy. A role the feed refuses gets 204 No Content (the page's poll still refreshes it).
/// The stream ends when the session would expire.
pub async fn live(State(state): State<AppState>, viewer: Viewer) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures::StreamExt;
    // A role the feed refuses: 204 tells the browser's EventSource to stop reconnecting (a
    // stream that ended at once would be reopened every few seconds).
    if crate::authz::read_scope("events", viewer.session.actor.role).is_none() {
        return axum::http::StatusCode::NO_CONTENT.into_response();
    }
    let session = crate::graphql::Session::new(
        state.ledger.clone(),
        Some(viewer.session.actor.clone()),
        None,
        Default::default(),
    );
    let request =
        async_graphql::Request::new("subscription Live { events { position } }").data(session);
    let until = (viewer.session.expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    let events = state
        .schema
        .execute_stream(request)
        .take_while(|r| std::future::ready(r.errors.is_empty()))
        .map(|r| {
            let position = r
                .data
                .into_json()
                .ok()
                .and_then(|d| d.pointer("/events/position").cloned())
                .unwrap_or_default();
            Ok::<_, std::convert::Infallible>(
                Event::default().event("changed").data(position.to_string()),
            )
        })
        .take_until(tokio::time::sleep(until));
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
