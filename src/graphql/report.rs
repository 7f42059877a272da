//! The annual report in GraphQL: every figure with the aggregates and event
//! types that reproduce it through `auditTrail`.

use async_graphql::{Context, Object, SimpleObject};

use crate::domain::report as r;
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::reader;
use crate::projection::queries;

/// Where a figure comes from: query `auditTrail(filter: {aggregateId, eventTypes})` for
/// each id to see the events it counted.
#[derive(SimpleObject)]
pub struct Provenance {
    aggregate_type: String,
    aggregate_ids: Vec<String>,
    event_types: Vec<String>,
}

#[derive(SimpleObject)]
pub struct Figure {
    /// Stable key, e.g. `reviews.lawful`, `certification.cancelled`.
    key: String,
    label: String,
    value: f64,
    unit: String,
    provenance: Provenance,
}

#[derive(SimpleObject)]
pub struct AnnualReport {
    year: i32,
    issuing_body: Option<String>,
    figures: Vec<Figure>,
    /// The figures paragraph, as a government report words it, with a provenance table.
    markdown: String,
}

impl From<r::AnnualReport> for AnnualReport {
    fn from(report: r::AnnualReport) -> Self {
        let markdown = report.to_markdown();
        AnnualReport {
            year: report.year,
            issuing_body: report.issuing_body,
            markdown,
            figures: report
                .figures
                .into_iter()
                .map(|f| Figure {
                    key: f.key,
                    label: f.label,
                    value: f.value,
                    unit: f.unit.to_owned(),
                    provenance: Provenance {
                        aggregate_type: f.provenance.aggregate_type.to_owned(),
                        aggregate_ids: f.provenance.aggregate_ids,
                        event_types: f
                            .provenance
                            .event_types
                            .into_iter()
                            .map(str::to_owned)
                            .collect(),
                    },
                })
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct ReportQueries;

#[Object]
impl ReportQueries {
    /// The year's figures for the 法治政府建设情况报告, optionally for one issuing body. Years
    /// are legal time: each event counts in the year of its own date.
    async fn annual_report(
        &self,
        ctx: &Context<'_>,
        year: i32,
        issuing_body: Option<String>,
    ) -> ApiResult<AnnualReport> {
        let s = reader(ctx, "annualReport")?.session;
        if !(1949..=9999).contains(&year) {
            return Err(gql(ApiError::bad_input("year", "must be 1949 to 9999")));
        }
        let filing_days = s.ledger.settings().warnings.filing_days;
        let report =
            queries::annual_report(s.ledger.pool(), year, issuing_body.as_deref(), filing_days)
                .await
                .map_err(gql)?;
        Ok(report.into())
    }
}
