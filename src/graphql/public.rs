//! The public catalogue (公开): published documents as anyone may read them, with no token —
//! no draft, no review, no deliberation, no actor, no history; only what the government
//! publishes (number, title, body, dates, status, the text in force, corrections, endings).
//! Anonymous callers are rate-limited per client at the HTTP edge.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{Datelike, NaiveDate};

use crate::authz::PUBLISHED;
use crate::domain::DocumentNumber;
use crate::domain::document as d;
use crate::domain::text::TextStage;
use crate::graphql::documents::search::{SearchResult, search};
use crate::graphql::documents::texts::{Clause, TextVersion};
use crate::graphql::documents::{DocumentClass, DocumentStatus, document_page_as};
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::execute::execute_as;
use crate::graphql::{Session, today};
use crate::projection::queries::{self, DocumentFilter, DocumentRow};

/// The public queries (after the rest, in the schema's order).
#[derive(Default)]
pub struct PublicQueries;

/// The public's mutation: a review suggestion (审查建议).
#[derive(Default)]
pub struct PublicMutations;

#[derive(InputObject)]
pub struct SubmitReviewSuggestionInput {
    /// The 文号 of the published document the suggestion is about.
    pub number: String,
    /// What is unlawful or inappropriate in it, and why. No name or contact is asked for:
    /// the ledger keeps what it records for good.
    pub text: String,
}

/// What the submitter is told: the suggestion's number on the document and when an answer
/// is due.
#[derive(SimpleObject)]
pub struct SubmittedSuggestion {
    pub document_number: String,
    pub suggestion: u32,
    pub received_on: NaiveDate,
    pub reply_due_on: NaiveDate,
}

#[Object]
impl PublicMutations {
    /// Suggests that a published document be reviewed (审查建议): anyone, with or without a
    /// token (recorded as PUBLIC, rate-limited per address without one). The legal office
    /// answers within 30 days (`answerReviewSuggestion`).
    async fn submit_review_suggestion(
        &self,
        ctx: &Context<'_>,
        input: SubmitReviewSuggestionInput,
    ) -> ApiResult<SubmittedSuggestion> {
        let number = DocumentNumber::parse(&input.number)
            .map_err(|e| gql(ApiError::bad_input("number", e.to_string())))?;
        let session = ctx.data::<Session>()?;
        let pool = &session.pool().await;
        let doc = queries::published_document_by_number(pool, &number.to_string(), &PUBLISHED)
            .await
            .map_err(gql)?
            .ok_or_else(|| {
                gql(ApiError::NotFound(format!(
                    "no document is published under {number}"
                )))
            })?;
        let public = crate::domain::Actor {
            id: "public".into(),
            name: "public (审查建议)".into(),
            role: crate::domain::Role::Public,
            bodies: vec![],
        };
        let command = crate::commands::Command::Document {
            id: doc.id,
            command: d::DocumentCommand::ReceiveReviewSuggestion {
                text: input.text,
                received_on: today(),
            },
        };
        let (_, receipt) = execute_as(ctx, public, command).await?;
        let (state, _) = crate::store::event_log::fold::<crate::domain::NormativeDocument>(
            pool,
            &receipt.aggregate_id,
            None,
        )
        .await
        .map_err(gql)?
        .ok_or_else(|| gql(ApiError::Internal))?;
        let s = state
            .review_suggestions
            .last()
            .ok_or_else(|| gql(ApiError::Internal))?;
        Ok(SubmittedSuggestion {
            document_number: number.to_string(),
            suggestion: s.number,
            received_on: s.received_on,
            reply_due_on: s.reply_due_on,
        })
    }
}

/// Which yearly catalogue (目录).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CatalogueKind {
    /// 现行有效目录: documents in force at the end of the year (today, for this year).
    InForce,
    /// 失效、废止目录: documents that ended during the year (expired, repealed, declared
    /// invalid, revoked or superseded).
    Ended,
}

#[derive(InputObject, Default)]
pub struct PublicDocumentsFilter {
    pub body_code: Option<String>,
    /// A published status (ISSUED, EXPIRED, REPEALED, …); any other matches nothing.
    pub status: Option<DocumentStatus>,
    /// The year of the 文号.
    pub year: Option<i32>,
    pub title_contains: Option<String>,
    pub in_force_on: Option<NaiveDate>,
}

impl PublicDocumentsFilter {
    /// The read-model filter, limited to published documents whoever asks.
    fn published(self) -> DocumentFilter {
        DocumentFilter {
            body_code: self.body_code,
            status: self.status.map(DocumentStatus::column),
            year: self.year,
            title_contains: self.title_contains,
            in_force_on: self.in_force_on,
            ..public_filter()
        }
    }
}

#[Object]
impl PublicQueries {
    /// Full-text search of published documents' titles and texts (the text in force, or
    /// the last one of a document that ended), for every term of `query` (split on spaces;
    /// each with at least 2 letters or digits in a row) in one clause; ranked, title matches
    /// first. No token needed; drafts and documents in review are never searched.
    async fn public_search(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<PublicDocumentsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, SearchResult<PublicDocument>>> {
        // The title is searched with the text: a title filter would only narrow it again.
        let filter = PublicDocumentsFilter {
            title_contains: None,
            ..filter.unwrap_or_default()
        }
        .published();
        search(ctx, &query, &filter, first, after, PublicDocument).await
    }

    /// Published documents (公开), in id order; no token needed. Drafts and documents in
    /// review are never listed.
    async fn public_documents(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublicDocumentsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, PublicDocument>> {
        let filter = filter.unwrap_or_default().published();
        public_page(ctx, filter, first, after).await
    }

    /// The published document issued under `number` (e.g. 南政办发〔2019〕63号; [] or 〔〕);
    /// null when none is published under it. No token needed.
    async fn public_document(
        &self,
        ctx: &Context<'_>,
        number: String,
    ) -> ApiResult<Option<PublicDocument>> {
        let number = DocumentNumber::parse(&number)
            .map_err(|e| gql(ApiError::bad_input("number", e.to_string())))?;
        let session = ctx.data::<Session>()?;
        Ok(queries::published_document_by_number(
            &session.pool().await,
            &number.to_string(),
            &PUBLISHED,
        )
        .await
        .map_err(gql)?
        .map(PublicDocument))
    }

    /// A yearly catalogue (现行有效目录 or 失效、废止目录), of one body or all, in id order; no
    /// token needed.
    async fn public_catalogue(
        &self,
        ctx: &Context<'_>,
        year: i32,
        kind: CatalogueKind,
        body_code: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Connection<String, PublicDocument>> {
        let end_of_year = NaiveDate::from_ymd_opt(year, 12, 31)
            .filter(|_| (1949..=9999).contains(&year))
            .ok_or_else(|| gql(ApiError::bad_input("year", "not a year")))?;
        let filter = match kind {
            CatalogueKind::InForce => DocumentFilter {
                in_force_on: Some(end_of_year.min(today())),
                ..public_filter()
            },
            CatalogueKind::Ended => DocumentFilter {
                ended_in_year: Some(year),
                ..public_filter()
            },
        };
        public_page(
            ctx,
            DocumentFilter {
                body_code,
                ..filter
            },
            first,
            after,
        )
        .await
    }
}

/// Only published documents, whoever asks.
fn public_filter() -> DocumentFilter {
    DocumentFilter {
        visible: Some((vec![], PUBLISHED.map(str::to_owned).to_vec())),
        ..DocumentFilter::default()
    }
}

async fn public_page(
    ctx: &Context<'_>,
    filter: DocumentFilter,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Connection<String, PublicDocument>> {
    document_page_as(ctx, filter, first, after, PublicDocument).await
}

/// A published document as the public sees it (公开).
pub struct PublicDocument(pub DocumentRow);

/// How a published document ended.
#[derive(SimpleObject)]
pub struct PublicEnding {
    on: NaiveDate,
    reason: String,
    /// The decision that ended it (废止决定), when one did.
    decision_document: Option<String>,
}

/// 勘误 as published.
#[derive(SimpleObject)]
pub struct PublicCorrection {
    corrected_on: NaiveDate,
    description: String,
}

/// The text in force: the text issued (印发稿), or its latest correction (勘误后).
#[derive(SimpleObject)]
pub struct PublicText {
    #[graphql(flatten)]
    version: TextVersion,
    text: String,
    clauses: Vec<Clause>,
}

impl PublicDocument {
    fn issuance(&self) -> Option<&d::Issuance> {
        self.0.state.issuance.as_ref()
    }

    /// The version of the text in force, if the document was issued with one.
    pub fn text_in_force(&self) -> Option<&d::TextVersion> {
        let state = &self.0.state;
        let issued = self.issuance().and_then(|i| i.text_version)?;
        state
            .texts
            .iter()
            .rfind(|t| t.version == issued || t.stage == TextStage::Corrected)
    }

    /// The document's public page, relative to the server.
    pub fn path(&self) -> String {
        format!("/public/documents/{}", self.0.id)
    }
}

#[Object]
impl PublicDocument {
    async fn id(&self) -> String {
        self.0.id.to_string()
    }
    /// 文号.
    async fn number(&self) -> Option<String> {
        self.issuance().map(|i| i.number.to_string())
    }
    /// 统一登记号.
    async fn registration_number(&self) -> Option<String> {
        self.issuance().and_then(|i| i.registration_number.clone())
    }
    async fn title(&self) -> String {
        self.0
            .state
            .draft
            .as_ref()
            .map(|d| d.title.clone())
            .unwrap_or_default()
    }
    async fn issuing_body_code(&self) -> String {
        self.0
            .state
            .draft
            .as_ref()
            .map(|d| d.body_code.clone())
            .unwrap_or_default()
    }
    async fn class(&self) -> Option<DocumentClass> {
        self.0.state.draft.as_ref().map(|d| d.class.into())
    }
    async fn is_trial(&self) -> bool {
        self.0.state.is_trial()
    }
    async fn status(&self) -> DocumentStatus {
        self.0.state.status.into()
    }
    async fn issued_on(&self) -> Option<NaiveDate> {
        self.issuance().map(|i| i.issued_on)
    }
    async fn published_on(&self) -> Option<NaiveDate> {
        self.issuance().map(|i| i.published_on)
    }
    async fn effective_on(&self) -> Option<NaiveDate> {
        self.issuance().map(|i| i.effective_on)
    }
    /// The last day in force.
    async fn valid_until(&self) -> Option<NaiveDate> {
        self.issuance().map(|i| i.valid_until)
    }
    /// Whether it is in force on `on` (default today).
    async fn in_force(&self, on: Option<NaiveDate>) -> bool {
        let on = on.unwrap_or_else(today);
        self.issuance().is_some_and(|i| {
            i.effective_on <= on
                && on <= i.valid_until
                && self.0.state.ending.as_ref().is_none_or(|e| e.on > on)
        })
    }
    async fn ending(&self) -> Option<PublicEnding> {
        self.0.state.ending.as_ref().map(|e| PublicEnding {
            on: e.on,
            reason: e.reason.clone(),
            decision_document: e.decision_document.clone(),
        })
    }
    async fn corrections(&self) -> Vec<PublicCorrection> {
        self.0
            .state
            .corrections
            .iter()
            .map(|c| PublicCorrection {
                corrected_on: c.corrected_on,
                description: c.description.clone(),
            })
            .collect()
    }
    /// The text in force, with its clauses; null for a document issued without a recorded
    /// text (imported from a catalogue, or issued before texts were recorded).
    async fn text(&self, ctx: &Context<'_>) -> ApiResult<Option<PublicText>> {
        let Some(v) = self.text_in_force() else {
            return Ok(None);
        };
        let session = ctx.data::<Session>()?;
        let (version, text) =
            crate::graphql::documents::texts::load(&session.pool().await, self.0.id, v).await?;
        let clauses = crate::domain::text::clauses(&text)
            .iter()
            .map(Clause::from)
            .collect();
        Ok(Some(PublicText {
            version,
            text,
            clauses,
        }))
    }
    /// Its public page, relative to this server (`/public/documents/{id}`).
    async fn url(&self) -> String {
        self.path()
    }
    /// The year of its 文号 (for catalogues by year).
    async fn year(&self) -> Option<i32> {
        self.issuance()
            .map(|i| i32::from(i.number.year))
            .or_else(|| self.0.state.draft.as_ref().map(|d| d.drafted_on.year()))
    }
}
