//! The root of all queries, and the queries of documents (current or as of an instant) and
//! the deadline lists. Every query
//! needs an authenticated caller; what each role may read is the READS table
//! (`authz::READS`), checked by the read-policy extension and scoped in the resolvers.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::audit::{AuditTrailQueries, IntegrityQueries};
use crate::graphql::certification::ItemQueries;
use crate::graphql::cleanup::CleanupQueries;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::issuing_bodies::BodyQueries;
use crate::graphql::reader;
use crate::graphql::report::ReportQueries;
use crate::graphql::types::{Document, DocumentStatus, document_page};
use crate::projection::queries::DeadlineList;
use crate::projection::queries::{self, DocumentFilter};

/// Documents, one and many.
#[derive(Default)]
pub struct DocumentQueries;

/// All queries.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    BodyQueries,
    DocumentQueries,
    AuditTrailQueries,
    ItemQueries,
    DeadlineQueries,
    IntegrityQueries,
    CleanupQueries,
    ReportQueries,
);

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
}

pub(crate) fn parse_id(field: &str, id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| gql(ApiError::bad_input(field, "not a UUID")))
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
        Ok(queries::document(r.session.ledger.pool(), id, as_of)
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
        let f = filter.unwrap_or_default();
        let filter = DocumentFilter {
            body_code: f.body_code,
            status: f
                .status
                .map(|s| crate::domain::DocumentStatus::from(s).as_str().to_owned()),
            year: f.year,
            title_contains: f.title_contains,
            in_force_on: f.in_force_on,
            visible: r.visibility(),
        };
        document_page(ctx, filter, first, after).await
    }
}

/// The deadline lists (after the items, in the schema's order).
#[derive(Default)]
pub struct DeadlineQueries;

#[Object]
impl DeadlineQueries {
    /// Documents whose legality review is past its due date (as of `today`, default today in
    /// Asia/Shanghai), oldest due first. A warning, never a block.
    async fn overdue_reviews(
        &self,
        ctx: &Context<'_>,
        today: Option<chrono::NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        reader(ctx, "overdueReviews")?
            .deadlines(ctx, DeadlineList::OverdueReviews, today, first, after)
            .await
    }

    /// Issued documents not yet filed for record (备案) past the filing deadline (30 days
    /// after publication by default), as of `today`, oldest due first.
    async fn overdue_filings(
        &self,
        ctx: &Context<'_>,
        today: Option<chrono::NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        let r = reader(ctx, "overdueFilings")?;
        let filing_days = r.session.ledger.settings().warnings.filing_days as i32;
        r.deadlines(
            ctx,
            DeadlineList::OverdueFilings { filing_days },
            today,
            first,
            after,
        )
        .await
    }

    /// Documents in force whose validity ends within `withinDays` (default 183: the
    /// six-month pre-expiry evaluation list), as of `today`, soonest first.
    async fn expiring_documents(
        &self,
        ctx: &Context<'_>,
        within_days: Option<i32>,
        today: Option<chrono::NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        let r = reader(ctx, "expiringDocuments")?;
        let within_days = within_days.unwrap_or(183);
        if !(0..=3660).contains(&within_days) {
            return Err(gql(ApiError::bad_input("withinDays", "must be 0 to 3660")));
        }
        r.deadlines(
            ctx,
            DeadlineList::Expiring { within_days },
            today,
            first,
            after,
        )
        .await
    }
}
