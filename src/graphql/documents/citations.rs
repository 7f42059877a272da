//! Which documents rely on a law: when a higher law is amended or repealed, the documents in
//! force that cite it are the ones to examine (and a cleanup campaign can take them as its
//! scope).

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, SimpleObject};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::graphql::documents::Document;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::execute::parse_id;
use crate::graphql::{page, page_size, reader};
use crate::projection::queries::{self, DocumentFilter};

#[derive(Default)]
pub struct CitationQueries;

/// A document that cites the law, and the first clause that does.
#[derive(SimpleObject)]
pub struct CitingDocument {
    pub document: Document,
    pub clause_id: String,
    /// The law's title as the document cites it.
    pub law: String,
    /// The article cited; null when the law is cited as a whole.
    pub article: Option<i32>,
}

#[Object]
impl CitationQueries {
    /// Documents whose current text cites a law whose title contains `law` (e.g. 行政许可法),
    /// and that article if given; with `inForceOn`, only those in force on that date.
    async fn documents_citing(
        &self,
        ctx: &Context<'_>,
        law: String,
        article: Option<i32>,
        in_force_on: Option<NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, CitingDocument>> {
        let r = reader(ctx, "documentsCiting")?;
        let law = law.trim();
        if law.chars().count() < 2 || law.chars().count() > 100 {
            return Err(gql(ApiError::bad_input("law", "2 to 100 characters")));
        }
        if article.is_some_and(|a| a < 1) {
            return Err(gql(ApiError::bad_input("article", "must be 1 or more")));
        }
        let limit = page_size(ctx, first)?;
        let after: Option<Uuid> = after.as_deref().map(|a| parse_id("after", a)).transpose()?;
        let filter = DocumentFilter {
            in_force_on,
            visible: r.visibility(),
            ..DocumentFilter::default()
        };
        let rows = queries::documents_citing(
            &r.session.pool().await,
            law,
            article,
            &filter,
            after,
            limit + 1,
        )
        .await
        .map_err(gql)?;
        Ok(page(rows, limit, after.is_some(), |c| {
            (
                c.row.id.to_string(),
                CitingDocument {
                    document: Document(c.row),
                    clause_id: c.clause_id,
                    law: c.law,
                    article: Some(c.article).filter(|a| *a > 0),
                },
            )
        }))
    }
}
