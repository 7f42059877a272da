//! Normative documents (行政规范性文件) in the API: their queries (one, many, as of an
//! instant) here; their output types in `types`, their mutations in `mutations`, the
//! deadline lists in `deadlines`. Every query needs an authenticated caller; what each role
//! may read is the READS table (`authz::READS`), checked by the read-policy extension and
//! scoped in the resolvers.

mod citations;
mod deadlines;
mod mutations;
pub mod search;
pub mod texts;
pub mod types;

pub use citations::CitationQueries;
pub use deadlines::DeadlineQueries;
pub use mutations::DocumentMutations;
pub use search::SearchQueries;
pub use types::{Document, DocumentClass, DocumentStatus, FilingStatus};

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::error::{ApiResult, gql};
use crate::graphql::execute::parse_id;
use crate::graphql::{Session, page, page_size, reader};
use crate::projection::queries::{self, DocumentFilter};

/// Documents, one and many.
#[derive(Default)]
pub struct DocumentQueries;

#[derive(InputObject, Default)]
pub struct DocumentsFilter {
    pub body_code: Option<String>,
    pub status: Option<DocumentStatus>,
    /// The year of the 文号 once issued, else of drafting.
    pub year: Option<i32>,
    /// Case-insensitive substring of the title.
    pub title_contains: Option<String>,
    /// Legally in force on this date (legal time): effective_on ≤ date ≤ valid_until, and not
    /// repealed, declared invalid or revoked by then.
    pub in_force_on: Option<chrono::NaiveDate>,
    /// The filing status (备案), all authorities taken together: NOT_FILED with status
    /// ISSUED is what waits to be filed, FILED what waits for an authority's review.
    pub filing_status: Option<FilingStatus>,
}

impl DocumentsFilter {
    /// The read-model filter, limited to what the reader may see.
    pub(crate) fn scoped(self, reader: &crate::graphql::Reader<'_>) -> DocumentFilter {
        DocumentFilter {
            body_code: self.body_code,
            status: self.status.map(DocumentStatus::column),
            year: self.year,
            title_contains: self.title_contains,
            in_force_on: self.in_force_on,
            visible: reader.visibility(),
            ended_in_year: None,
            filing_status: self
                .filing_status
                .map(|s| crate::domain::FilingStatus::from(s).as_str().to_owned()),
        }
    }
}

#[Object]
impl DocumentQueries {
    /// One document; with `asOf`, its state as recorded up to that instant (record time).
    async fn document(
        &self,
        ctx: &Context<'_>,
        id: String,
        as_of: Option<DateTime<Utc>>,
    ) -> ApiResult<Option<Document>> {
        let r = reader(ctx, "document")?;
        let id = parse_id("id", &id)?;
        // A document the caller may not see answers as if it did not exist.
        Ok(queries::document(&r.session.pool().await, id, as_of)
            .await
            .map_err(gql)?
            .filter(|row| r.sees(&row.state))
            .map(Document))
    }

    /// Documents in creation order, filtered.
    async fn documents(
        &self,
        ctx: &Context<'_>,
        filter: Option<DocumentsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        let r = reader(ctx, "documents")?;
        let filter = filter.unwrap_or_default().scoped(&r);
        document_page(ctx, filter, first, after).await
    }
}

/// One page of documents in id order.
pub async fn document_page(
    ctx: &Context<'_>,
    filter: DocumentFilter,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Connection<String, Document>> {
    document_page_as(ctx, filter, first, after, Document).await
}

/// One page of documents in id order, each shown as `node` makes it (the full document, or
/// its public record).
pub async fn document_page_as<N: async_graphql::OutputType>(
    ctx: &Context<'_>,
    filter: DocumentFilter,
    first: Option<i32>,
    after: Option<String>,
    node: fn(queries::DocumentRow) -> N,
) -> ApiResult<Connection<String, N>> {
    let session = ctx.data::<Session>()?;
    let limit = page_size(ctx, first)?;
    let after = after
        .map(|a| Uuid::parse_str(&a))
        .transpose()
        .map_err(|_| {
            gql(crate::graphql::error::ApiError::bad_input(
                "after",
                "not a cursor",
            ))
        })?;
    let rows = queries::documents(&session.pool().await, &filter, after, limit + 1)
        .await
        .map_err(gql)?;
    Ok(page(rows, limit, after.is_some(), |r| {
        (r.id.to_string(), node(r))
    }))
}
