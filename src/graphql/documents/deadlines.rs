//! The deadline lists: reviews past due, filings past due, documents about to expire.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use chrono::NaiveDate;

use crate::graphql::documents::Document;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::{Reader, page, page_size, reader};
use crate::projection::queries::{self, DeadlineList};

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

    /// Documents in force with a filing authority's requested correction (建议自行纠正) not
    /// answered (by filing again) by its deadline, as of `today`, oldest due first.
    async fn overdue_filing_corrections(
        &self,
        ctx: &Context<'_>,
        today: Option<chrono::NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        reader(ctx, "overdueFilingCorrections")?
            .deadlines(
                ctx,
                DeadlineList::OverdueFilingCorrections,
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

impl Reader<'_> {
    /// A page of a deadline list as a Relay connection, with what this caller may see
    /// filtered in the query (so pages stay full). Cursors are `<due date>|<id>`.
    pub async fn deadlines(
        &self,
        ctx: &Context<'_>,
        list: DeadlineList,
        today: Option<NaiveDate>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        let limit = page_size(ctx, first)?;
        let after = after.as_deref().map(deadline_cursor).transpose()?;
        let rows = queries::deadline_page(
            &self.session.pool().await,
            list,
            today.unwrap_or_else(crate::graphql::today),
            after,
            self.visibility().as_ref(),
            limit + 1,
        )
        .await
        .map_err(gql)?;
        Ok(page(rows, limit, after.is_some(), |(due, row)| {
            (format!("{due}|{}", row.id), Document(row))
        }))
    }
}

/// A deadline list's cursor: `<due date>|<id>`.
fn deadline_cursor(cursor: &str) -> ApiResult<(NaiveDate, uuid::Uuid)> {
    let bad = || gql(ApiError::bad_input("after", "not a cursor of this list"));
    let (due, id) = cursor.split_once('|').ok_or_else(bad)?;
    Ok((
        due.parse().map_err(|_| bad())?,
        uuid::Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}
