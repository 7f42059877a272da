//! "My deadlines" as an iCalendar feed (RFC 5545), for the calendar people already use. A
//! calendar program cannot sign in, so the feed's address carries a personal key made on the
//! "my work" page; it reads the same work list as the page, with the person's read policy,
//! and nothing else. Making a new key ends the old one.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use maud::html;
use serde_json::{Value, json};

use super::api::{self, nodes, text};
use super::layout;
use super::session::{CsrfForm, Viewer};
use super::work::{alias, deadline_lists, due_on, operation, waiting_on};
use crate::domain::Actor;
use crate::http::AppState;
use crate::http::public::base_url;
use crate::store::accounts;

/// One deadline: what, of which document, due when.
struct Deadline<'a> {
    doc: &'a Value,
    what: &'a str,
    due: NaiveDate,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a character (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// The calendar of `actor`'s deadlines.
async fn calendar(state: &AppState, actor: &Actor, base: &str) -> Result<String, api::Failure> {
    let role = actor.role;
    let data = match operation(role) {
        Some(op) => api::run(state, Some(actor), &op, json!({})).await?,
        None => json!({}),
    };
    let mut deadlines: Vec<Deadline> = Vec::new();
    for (status, zh, _) in waiting_on(role) {
        for doc in nodes(&data, &alias(status)) {
            if let Some(due) = due_on(doc) {
                deadlines.push(Deadline { doc, what: zh, due });
            }
        }
    }
    for (list, zh, _) in deadline_lists(role) {
        for doc in nodes(&data, list) {
            if let Some(due) = due_on(doc) {
                deadlines.push(Deadline { doc, what: zh, due });
            }
        }
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut ics = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//normledger//console//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics.push_str(&fold(line));
    }
    ics.push_str(&fold(&format!(
        "X-WR-CALNAME:{}",
        escape(&format!("normledger · {}", actor.name))
    )));
    ics.push_str(&fold("X-WR-TIMEZONE:Asia/Shanghai"));
    let mut seen = std::collections::HashSet::new();
    for d in &deadlines {
        let id = text(d.doc, "id");
        // One event per document and kind of deadline (a document may stand in two lists).
        if !seen.insert((id.to_owned(), d.what)) {
            continue;
        }
        let end = d.due.checked_add_days(Days::new(1)).unwrap_or(d.due);
        for line in [
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{id}-{}@normledger", d.due.format("%Y%m%d")),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", d.due.format("%Y%m%d")),
            format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")),
            format!(
                "SUMMARY:{}",
                escape(&format!("{}：{}", d.what, text(d.doc, "title")))
            ),
            format!("URL:{base}/console/documents/{id}"),
            format!(
                "DESCRIPTION:{}",
                escape(&format!(
                    "{} · {}",
                    text(d.doc, "bodyCode"),
                    layout::status_label(layout::Lang::Zh, text(d.doc, "status"))
                ))
            ),
            "TRANSP:TRANSPARENT".to_owned(),
            "END:VEVENT".to_owned(),
        ] {
            ics.push_str(&fold(&line));
        }
    }
    ics.push_str(&fold("END:VCALENDAR"));
    Ok(ics)
}

/// `GET /calendar/{key}.ics`.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let key = file.strip_suffix(".ics").unwrap_or_default();
    let actor = match accounts::calendar_feed_actor(state.ledger.pool(), key).await {
        Ok(Some(a)) => a,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such calendar feed").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "calendar feed lookup failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "retry shortly").into_response();
        }
    };
    match calendar(&state, &actor, &base_url(&headers)).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            ics,
        )
            .into_response(),
        Err(f) => (layout::status_of(&f), format!("{}: {}", f.code, f.message)).into_response(),
    }
}

/// `POST /console/work/calendar`: makes the person's feed address (ending the old one) and
/// shows it once.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = viewer.check_csrf(&form.csrf) {
        return r;
    }
    let lang = viewer.lang;
    let key = match accounts::new_calendar_feed(state.ledger.pool(), viewer.session.subject).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "making a calendar feed failed");
            return layout::unavailable(lang);
        }
    };
    let url = format!("{}/calendar/{key}.ics", base_url(&headers));
    let body = html! {
        div.notice role="status" {
            p { (lang.t("把这个地址添加为日历订阅。它只显示您的期限；地址只显示这一次，重新生成后旧地址失效。",
                        "Subscribe to this address in your calendar. It shows your deadlines only; it is shown this once, and making a new one ends the old.")) }
            p { code.secret { (url) } }
        }
        p { a href="/console/work" { (lang.t("← 返回我的工作", "← Back to my work")) } }
    };
    layout::page(&viewer, lang.t("日历订阅", "Calendar feed"), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "审核期限".repeat(12));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn text_values_escape_their_separators() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
