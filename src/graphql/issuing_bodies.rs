//! Issuing bodies (制定主体): their GraphQL type, the public queries that list them, and the
//! legal office's mutations that list, extend and delist them.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::commands::Command;
use crate::domain::issuing_body::{self as b, IssuingBodyCommand, IssuingBodyListing};
use crate::graphql::documents::{Document, DocumentStatus, document_page};
use crate::graphql::error::{ApiResult, gql};
use crate::graphql::execute::{Answer, day, execute_and_answer};
use crate::graphql::{page, page_size, reader};
use crate::projection::queries::{self, DocumentFilter};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::IssuingBodyKind")]
pub enum IssuingBodyKind {
    CountyGovernment,
    CountyGovernmentOffice,
    CountyDepartment,
    TownshipGovernment,
    SubdistrictOffice,
    AuthorisedOrganisation,
    PartyOrganWithGovernmentName,
    CoordinationBody,
    CoordinationBodyOffice,
    TemporaryBody,
    InternalUnit,
    DispatchedAgency,
    EntrustedEnforcementBody,
}

/// Issuing body (制定主体).
pub struct IssuingBody(pub b::IssuingBody);

#[Object]
impl IssuingBody {
    async fn code(&self) -> &str {
        self.listing().map(|l| l.code.as_str()).unwrap_or_default()
    }
    async fn name(&self) -> &str {
        self.listing().map(|l| l.name.as_str()).unwrap_or_default()
    }
    async fn kind(&self) -> Option<IssuingBodyKind> {
        self.listing().map(|l| l.kind.into())
    }
    /// 发文机关代字.
    async fn agency_codes(&self) -> Vec<String> {
        self.listing()
            .map(|l| l.agency_codes.clone())
            .unwrap_or_default()
    }
    async fn parent(&self) -> Option<&str> {
        self.listing().and_then(|l| l.parent.as_deref())
    }
    async fn review_body(&self) -> Option<&str> {
        self.listing().and_then(|l| l.review_body.as_deref())
    }
    async fn filing_authorities(&self) -> Vec<String> {
        self.listing()
            .map(|l| l.filing_authorities.clone())
            .unwrap_or_default()
    }
    async fn listed_from(&self) -> Option<NaiveDate> {
        self.listing().map(|l| l.listed_from)
    }
    async fn listing_document(&self) -> Option<&str> {
        self.listing().and_then(|l| l.listing_document.as_deref())
    }
    async fn delisted_on(&self) -> Option<NaiveDate> {
        self.0.delisted_on
    }
    async fn delisting_reason(&self) -> Option<&str> {
        self.0.delisting_reason.as_deref()
    }
    /// Whether the body is on the list today (Asia/Shanghai calendar date).
    async fn listed(&self) -> bool {
        self.0.is_listed_on(crate::graphql::today())
    }
    /// For each of the body's 代字, the next free serial of `year` (default: this year, Asia/
    /// Shanghai): one more than the highest claimed, as the registrar numbers in order. A
    /// suggestion: `issueDocument` still refuses a number already taken (DUPLICATE_NUMBER).
    async fn next_numbers(
        &self,
        ctx: &Context<'_>,
        year: Option<i32>,
    ) -> ApiResult<Vec<NextNumber>> {
        use chrono::Datelike;
        let year = year.unwrap_or_else(|| crate::graphql::today().year());
        if !(1949..=9999).contains(&year) {
            return Err(gql(crate::graphql::error::ApiError::bad_input(
                "year",
                "must be 1949 to 9999",
            )));
        }
        let pool = &ctx.data::<crate::graphql::Session>()?.pool().await;
        let mut out = Vec::new();
        for agency_code in self
            .listing()
            .map(|l| l.agency_codes.clone())
            .unwrap_or_default()
        {
            let serial: i32 = sqlx::query_scalar(
                "SELECT coalesce(max(serial), 0) + 1 FROM document_number_claims
                 WHERE agency_code = $1 AND year = $2",
            )
            .bind(&agency_code)
            .bind(year)
            .fetch_one(pool)
            .await
            .map_err(|e| gql(crate::store::StoreError::from(e)))?;
            let number = crate::domain::document_number::DocumentNumber {
                agency_code: agency_code.clone(),
                year: year as u16,
                serial: serial as u32,
            }
            .to_string();
            out.push(NextNumber {
                agency_code,
                year,
                serial,
                number,
            });
        }
        Ok(out)
    }
    /// This body's documents, optionally of one status.
    async fn documents(
        &self,
        ctx: &Context<'_>,
        status: Option<DocumentStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, Document>> {
        // The body list is public; its documents follow the documents' read policy.
        let reader = crate::graphql::reader(ctx, "documents")?;
        let filter = DocumentFilter {
            body_code: Some(self.listing().map(|l| l.code.clone()).unwrap_or_default()),
            status: status.map(DocumentStatus::column),
            visible: reader.visibility(),
            ..Default::default()
        };
        document_page(ctx, filter, first, after).await
    }
}

impl IssuingBody {
    fn listing(&self) -> Option<&b::IssuingBodyListing> {
        self.0.listing.as_ref()
    }
}

/// The next free 文号 of one 代字 and year.
#[derive(SimpleObject)]
pub struct NextNumber {
    pub agency_code: String,
    pub year: i32,
    pub serial: i32,
    /// As written on the document: 南政办发〔2026〕8号.
    pub number: String,
}

/// The public queries of issuing bodies.
#[derive(Default)]
pub struct BodyQueries;

#[Object]
impl BodyQueries {
    /// Issuing bodies (制定主体) in code order.
    async fn issuing_bodies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, IssuingBody>> {
        let s = reader(ctx, "issuingBodies")?.session;
        let limit = page_size(ctx, first)?;
        let rows = queries::issuing_bodies(&s.pool().await, after.as_deref(), limit + 1)
            .await
            .map_err(gql)?;
        Ok(page(rows, limit, after.is_some(), |(code, body)| {
            (code, IssuingBody(body))
        }))
    }

    /// One issuing body; with `asOf`, as recorded up to that instant.
    async fn issuing_body(
        &self,
        ctx: &Context<'_>,
        code: String,
        as_of: Option<DateTime<Utc>>,
    ) -> ApiResult<Option<IssuingBody>> {
        let s = reader(ctx, "issuingBody")?.session;
        Ok(queries::issuing_body(&s.pool().await, &code, as_of)
            .await
            .map_err(gql)?
            .map(IssuingBody))
    }
}

#[derive(SimpleObject)]
pub struct IssuingBodyPayload {
    issuing_body: IssuingBody,
    position: i64,
    projected: bool,
}

#[derive(InputObject)]
pub struct ListIssuingBodyInput {
    pub code: String,
    pub name: String,
    pub kind: IssuingBodyKind,
    /// 发文机关代字, at least one.
    pub agency_codes: Vec<String>,
    pub parent: Option<String>,
    pub review_body: Option<String>,
    #[graphql(default)]
    pub filing_authorities: Vec<String>,
    pub listed_from: Option<NaiveDate>,
    pub listing_document: Option<String>,
}

#[derive(InputObject)]
pub struct DelistIssuingBodyInput {
    pub code: String,
    pub reason: String,
    pub delisted_on: Option<NaiveDate>,
    pub document: Option<String>,
}

impl Answer for IssuingBody {
    type Aggregate = b::IssuingBody;

    async fn read(pool: &PgPool, code: &str) -> ApiResult<Option<Self>> {
        let body = queries::issuing_body(pool, code, None).await.map_err(gql)?;
        Ok(body.map(IssuingBody))
    }

    fn from_fold(_code: &str, body: b::IssuingBody, _version: i64) -> ApiResult<Self> {
        Ok(IssuingBody(body))
    }
}

async fn on_body(
    ctx: &Context<'_>,
    code: String,
    command: IssuingBodyCommand,
) -> ApiResult<IssuingBodyPayload> {
    let a = execute_and_answer(ctx, Command::IssuingBody { code, command }).await?;
    Ok(IssuingBodyPayload {
        issuing_body: a.resource,
        position: a.position,
        projected: a.projected,
    })
}

/// The legal office's mutations of the list of issuing bodies.
#[derive(Default)]
pub struct BodyMutations;

#[Object]
impl BodyMutations {
    /// Puts a body on the list of issuing bodies (LEGAL_OFFICE).
    async fn list_issuing_body(
        &self,
        ctx: &Context<'_>,
        input: ListIssuingBodyInput,
    ) -> ApiResult<IssuingBodyPayload> {
        let code = input.code.clone();
        let listing = IssuingBodyListing {
            code: input.code,
            name: input.name,
            kind: input.kind.into(),
            agency_codes: input.agency_codes,
            parent: input.parent,
            review_body: input.review_body,
            filing_authorities: input.filing_authorities,
            listed_from: day(input.listed_from),
            listing_document: input.listing_document,
        };
        on_body(ctx, code, IssuingBodyCommand::List(listing)).await
    }

    /// Adds a 代字 to a listed body (LEGAL_OFFICE).
    async fn add_agency_code(
        &self,
        ctx: &Context<'_>,
        code: String,
        agency_code: String,
        added_on: Option<NaiveDate>,
    ) -> ApiResult<IssuingBodyPayload> {
        let command = IssuingBodyCommand::AddAgencyCode {
            agency_code,
            added_on: day(added_on),
        };
        on_body(ctx, code, command).await
    }

    /// Takes a body off the list (LEGAL_OFFICE).
    async fn delist_issuing_body(
        &self,
        ctx: &Context<'_>,
        input: DelistIssuingBodyInput,
    ) -> ApiResult<IssuingBodyPayload> {
        let command = IssuingBodyCommand::Delist {
            delisted_on: day(input.delisted_on),
            reason: input.reason,
            document: input.document,
        };
        on_body(ctx, input.code, command).await
    }
}
