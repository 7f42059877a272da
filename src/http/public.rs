//! The public edge, answered without a token and rate-limited per client:
//! `GET /feeds/documents.atom`, an Atom feed of publications and endings (legislation.gov.uk's
//! model: each entry links to the document), and `GET /public/documents/{id}`, a published
//! document's page (its number, dates, status and the text in force).

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::net::SocketAddr;

use super::AppState;
use super::rate_limit::too_many;
use crate::authz::PUBLISHED;
use crate::graphql::public::PublicDocument;
use crate::projection::queries;

/// Entries in the feed: the latest publications and endings.
const FEED_ENTRIES: i64 = 50;

/// One publication or ending, as the feed lists it.
#[derive(sqlx::FromRow)]
struct FeedEntry {
    position: i64,
    event_type: String,
    recorded_at: DateTime<Utc>,
    id: uuid::Uuid,
    title: String,
    document_number: Option<String>,
}

/// The events that change what is in force, as the public sees them.
fn label(event_type: &str) -> &'static str {
    match event_type {
        "Issued" => "印发 published",
        "Republished" => "重新公布 republished",
        "Repealed" => "废止 repealed",
        "DeclaredInvalid" => "宣布失效 declared invalid",
        "Superseded" => "被替代 superseded",
        "Expired" => "失效 expired",
        _ => "撤销 revoked",
    }
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "public read failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the ledger is unavailable; retry shortly",
    )
        .into_response()
}

/// The server's address as the client named it: `Host` (kept only if it looks like a host),
/// with https when a proxy says so.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes() == b"https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// Escapes text for XML and HTML (element content and quoted attributes).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /feeds/documents.atom`.
pub async fn feed(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(wait) = state.public_limiter.take(client.ip()) {
        return too_many(wait);
    }
    let entries: Vec<FeedEntry> = match sqlx::query_as(
        "SELECT e.position, e.event_type, e.recorded_at, d.id, d.title, d.document_number
         FROM events e JOIN rm_documents d ON d.id = e.aggregate_id::uuid
         WHERE e.aggregate_type = 'NormativeDocument'
           AND (e.event_type IN ('Issued', 'Republished', 'Repealed', 'DeclaredInvalid',
                                 'Superseded', 'Expired')
                OR (e.event_type = 'FilingReviewed'
                    AND e.payload -> 'FilingReviewed' ->> 'outcome' = 'REVOKED'))
         ORDER BY e.position DESC
         LIMIT $1",
    )
    .bind(FEED_ENTRIES)
    .fetch_all(&state.ledger.reads().choose(None).await.pool)
    .await
    {
        Ok(entries) => entries,
        Err(e) => return unavailable(e),
    };
    let base = base_url(&headers);
    let updated = entries
        .first()
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |e| e.recorded_at);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{base}/feeds/documents.atom</id>\n\
         <title>行政规范性文件: publications and endings</title>\n\
         <updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/feeds/documents.atom\"/>\n\
         <author><name>normledger</name></author>\n",
        updated.to_rfc3339()
    );
    for e in &entries {
        let what = label(&e.event_type);
        let number = e.document_number.as_deref().unwrap_or_default();
        let _ = write!(
            xml,
            "<entry>\n<id>{base}/events/{position}</id>\n\
             <title>{title}</title>\n<updated>{updated}</updated>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{base}/public/documents/{id}\"/>\n\
             <category term=\"{event_type}\" label=\"{what}\"/>\n\
             <summary>{summary}</summary>\n</entry>\n",
            position = e.position,
            title = escape(&format!("{what}: {} {number}", e.title)),
            updated = e.recorded_at.to_rfc3339(),
            id = e.id,
            event_type = escape(&e.event_type),
            summary = escape(&format!("《{}》（{number}）{what}", e.title)),
        );
    }
    xml.push_str("</feed>\n");
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// `GET /public/documents/{id}`: the page of a published document; 404 for anything else
/// (a draft answers as if it did not exist).
pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> Response {
    if let Err(wait) = state.public_limiter.take(client.ip()) {
        return too_many(wait);
    }
    let not_found =
        || (StatusCode::NOT_FOUND, "no published document with this id").into_response();
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return not_found();
    };
    // The public catalogue is the readership a replica is for.
    let pool = &state.ledger.reads().choose(None).await.pool;
    let row = match queries::document(pool, id, None).await {
        Ok(Some(row)) if PUBLISHED.contains(&row.state.status.as_str()) => row,
        Ok(_) => return not_found(),
        Err(e) => return unavailable(e),
    };
    let doc = PublicDocument(row);
    let text = match doc.text_in_force() {
        Some(v) => match queries::document_text(pool, id, v.version).await {
            Ok(t) => t.map(|t| t.text),
            Err(e) => return unavailable(e),
        },
        None => None,
    };
    let state_ = &doc.0.state;
    let title = state_.draft.as_ref().map_or("", |d| d.title.as_str());
    let mut html = format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title></head>\n<body>\n<h1>{t}</h1>\n<dl>\n",
        t = escape(title)
    );
    let mut row = |label: &str, value: String| {
        let _ = writeln!(html, "<dt>{label}</dt><dd>{}</dd>", escape(&value));
    };
    row(
        "发文机关 issuing body",
        state_
            .draft
            .as_ref()
            .map(|d| d.body_code.clone())
            .unwrap_or_default(),
    );
    if let Some(i) = &state_.issuance {
        row("文号 number", i.number.to_string());
        if let Some(r) = &i.registration_number {
            row("登记号 registration number", r.clone());
        }
        row("成文日期 issued", i.issued_on.to_string());
        row("发布日期 published", i.published_on.to_string());
        row("施行日期 in force from", i.effective_on.to_string());
        row("有效期至 in force until", i.valid_until.to_string());
    }
    row("状态 status", state_.status.as_str().to_owned());
    if let Some(e) = &state_.ending {
        row("终止 ended", format!("{}: {}", e.on, e.reason));
    }
    for c in &state_.corrections {
        row(
            "勘误 corrected",
            format!("{}: {}", c.corrected_on, c.description),
        );
    }
    html.push_str("</dl>\n<article>\n");
    match text {
        Some(text) => {
            // The top-level provisions (an article holds its paragraphs and items), each
            // with its clause id as anchor, as `#art-5` links to.
            use crate::domain::text::ClauseKind as K;
            for c in crate::domain::text::clauses(&text) {
                let (tag, body) = match c.kind {
                    K::Chapter => ("h2", c.heading.clone().unwrap_or_else(|| c.number.clone())),
                    K::Preamble | K::Section | K::Article => ("p", c.text.clone()),
                    K::Paragraph | K::Item | K::SubItem => continue,
                };
                let _ = writeln!(
                    html,
                    "<{tag} id=\"{}\">{}</{tag}>",
                    escape(&c.id),
                    escape(&body)
                );
            }
        }
        None => html.push_str("<p>No text is recorded for this document.</p>\n"),
    }
    html.push_str("</article>\n</body>\n</html>\n");
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_hosts_are_checked() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "ledger.example:8080".parse().unwrap());
        assert_eq!(base_url(&h), "http://ledger.example:8080");
        h.insert(header::HOST, "evil\"><x".parse().unwrap());
        assert_eq!(base_url(&h), "http://localhost");
    }
}
