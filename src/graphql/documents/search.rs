//! Full-text search over documents' titles and current texts, Chinese included: the query's
//! terms (split on spaces) must all appear in one clause. Results are ranked (title matches
//! first, then by matching clauses), with the first matching clause and a snippet around the
//! match; the caller sees what `documents` would show them.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, OutputType, SimpleObject};

use crate::domain::text;
use crate::graphql::documents::{Document, DocumentsFilter};
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::public::PublicDocument;
use crate::graphql::{page_size, reader};
use crate::projection::queries;

/// The longest query, in characters.
const MAX_QUERY: usize = 100;
/// Characters of context shown before and after the match.
const CONTEXT: usize = 40;

#[derive(Default)]
pub struct SearchQueries;

/// A document that matched, and where: a signed-in reader's `Document`, or the public's
/// `PublicDocument` (`publicSearch`).
#[derive(SimpleObject)]
#[graphql(
    concrete(name = "SearchResult", params(Document)),
    concrete(name = "PublicSearchResult", params(PublicDocument))
)]
pub struct SearchResult<D: OutputType> {
    pub document: D,
    /// How many clauses matched (the title counts as one).
    pub score: i64,
    /// The first clause that matched: `title`, or a clause id of the current text.
    pub clause_id: String,
    /// The clause's number as the text has it (第五条, （三）…); empty for the title.
    pub clause_number: String,
    /// The matching clause, cut to the match and some context.
    pub snippet: String,
    /// Where the first term is in `snippet`, in characters.
    pub highlight_start: i32,
    pub highlight_length: i32,
}

#[Object]
impl SearchQueries {
    /// Searches titles and current texts (the text in force, or a draft's latest) for every
    /// term of `query` (split on spaces; each with at least 2 letters or digits in a row) in one clause.
    async fn search_documents(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<DocumentsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, SearchResult<Document>>> {
        let r = reader(ctx, "searchDocuments")?;
        // The title is searched with the text: a title filter would only narrow it again.
        let filter = DocumentsFilter {
            title_contains: None,
            ..filter.unwrap_or_default()
        }
        .scoped(&r);
        search(ctx, &query, &filter, first, after, Document).await
    }
}

/// One page of matches of `query` among the documents `filter` admits, each document shown
/// as `D` (what the caller may see of it). The cursor is the rank.
pub async fn search<D: OutputType>(
    ctx: &Context<'_>,
    query: &str,
    filter: &queries::DocumentFilter,
    first: Option<i32>,
    after: Option<String>,
    document: impl Fn(queries::DocumentRow) -> D,
) -> ApiResult<Connection<String, SearchResult<D>>>
where
    SearchResult<D>: OutputType,
{
    let session = ctx.data::<crate::graphql::Session>()?;
    if query.chars().count() > MAX_QUERY {
        return Err(gql(ApiError::bad_input(
            "query",
            format!("at most {MAX_QUERY} characters"),
        )));
    }
    let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if terms.is_empty() || terms.iter().any(|t| text::bigram_keys(t).is_empty()) {
        return Err(gql(ApiError::bad_input(
            "query",
            "each term needs at least 2 letters or digits in a row",
        )));
    }
    let mut grams: Vec<i32> = terms.iter().flat_map(|t| text::bigram_keys(t)).collect();
    grams.sort();
    grams.dedup();
    let limit = page_size(ctx, first)?;
    let offset: i64 = match after {
        Some(a) => {
            a.parse::<i64>()
                .ok()
                .filter(|o| *o >= 0)
                .ok_or_else(|| gql(ApiError::bad_input("after", "not a cursor")))?
                + 1
        }
        None => 0,
    };
    // A broad search holds its connection for up to a second: it waits for a turn, so that
    // searches never hold more than half the connections (see `store::replicas`).
    let turn = session.ledger.reads().long_read().await;
    let pool = &session.pool().await;
    let hits = queries::search_documents(pool, &terms, &grams, filter, offset, limit + 1)
        .await
        .map_err(gql)?;
    drop(turn);
    let mut connection = Connection::new(offset > 0, hits.len() as i64 > limit);
    for (i, hit) in hits.into_iter().take(limit as usize).enumerate() {
        let (snippet, start, length) = snippet(&hit.text, &terms[0]);
        connection.edges.push(Edge::new(
            (offset + i as i64).to_string(),
            SearchResult {
                document: document(hit.row),
                score: hit.score,
                clause_id: hit.clause_id,
                clause_number: hit.number,
                snippet,
                highlight_start: start as i32,
                highlight_length: length as i32,
            },
        ));
    }
    Ok(connection)
}

/// The text around the first (case-insensitive) occurrence of `term`: up to CONTEXT characters
/// each side, `…` where it was cut; and where the term is in it, in characters.
fn snippet(text: &str, term: &str) -> (String, usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars.iter().flat_map(|c| c.to_lowercase()).collect();
    let needle: Vec<char> = term.chars().collect();
    // Lower-casing can change the length of a few scripts; fall back to the clause's start.
    let at = if lower.len() == chars.len() {
        lower
            .windows(needle.len().max(1))
            .position(|w| w == needle.as_slice())
            .unwrap_or(0)
    } else {
        0
    };
    let from = at.saturating_sub(CONTEXT);
    let to = (at + needle.len() + CONTEXT).min(chars.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let start = out.chars().count() + (at - from);
    out.extend(&chars[from..to]);
    if to < chars.len() {
        out.push('…');
    }
    (out, start, needle.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_cuts_around_the_match_and_says_where_it_is() {
        let text = format!("{}处以罚款{}", "甲".repeat(50), "乙".repeat(50));
        let (s, start, len) = snippet(&text, "罚款");
        assert!(s.starts_with('…') && s.ends_with('…'));
        let found: String = s.chars().skip(start).take(len).collect();
        assert_eq!(found, "罚款");
        assert_eq!(snippet("短", "短"), ("短".to_owned(), 0, 1));
    }
}
