//! The annual report in GraphQL: every figure with the aggregates and event
//! types that reproduce it through `auditTrail`.

use async_graphql::{Context, Enum, Object, SimpleObject};

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

/// The report's three kinds of issuing body.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum BodyGroup {
    /// The county government and its office.
    Government,
    /// The government's departments (and organisations authorised by law).
    Department,
    /// Townships and subdistricts.
    Township,
}

impl BodyGroup {
    fn as_str(self) -> &'static str {
        match self {
            BodyGroup::Government => "government",
            BodyGroup::Department => "department",
            BodyGroup::Township => "township",
        }
    }
}

#[derive(SimpleObject)]
pub struct AnnualReport {
    year: i32,
    issuing_body: Option<String>,
    /// `government`, `department` or `township` when the report is limited to one kind.
    body_group: Option<String>,
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
            body_group: report.body_group,
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
    /// The year's figures for the 法治政府建设情况报告 — counts and rates (审核率, 报备率,
    /// 及时报备率, 规范率, 纠错率), each with its provenance — optionally for one issuing body
    /// (a township, say) or one kind of body. Years are legal time: each event counts in the
    /// year of its own date.
    async fn annual_report(
        &self,
        ctx: &Context<'_>,
        year: i32,
        issuing_body: Option<String>,
        body_group: Option<BodyGroup>,
    ) -> ApiResult<AnnualReport> {
        let s = reader(ctx, "annualReport")?.session;
        if !(1949..=9999).contains(&year) {
            return Err(gql(ApiError::bad_input("year", "must be 1949 to 9999")));
        }
        let scope = queries::ReportScope {
            year,
            issuing_body: issuing_body.as_deref(),
            body_group: body_group.map(BodyGroup::as_str),
        };
        let report = queries::annual_report(&s.pool().await, scope, &s.ledger.settings().warnings)
            .await
            .map_err(gql)?;
        Ok(report.into())
    }
}
