//! The mutations of documents, one per step of the lifecycle, and their inputs. Each builds
//! one domain command and runs it through `execute::execute_and_answer`. Dates left out
//! default to today (Asia/Shanghai).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Upload};
use chrono::NaiveDate;
use uuid::Uuid;

use sqlx::PgPool;

use crate::commands::Command;
use crate::domain::NormativeDocument;
use crate::domain::document::{self as d, DocumentCommand};
use crate::domain::{DocumentNumber, DomainError};
use crate::graphql::Session;
use crate::graphql::documents::types::{
    DeliberationOutcome, Document, DocumentClass, FactField, FilingReviewOutcome, MeetingType,
    ReviewOutcome,
};
use crate::graphql::error::{ApiError, ApiResult, gql};
use crate::graphql::execute::{Answer, day, execute_and_answer, ledger_id, parse_id_arg};
use crate::projection::queries::{self, DocumentRow};

/// The mutations of documents.
#[derive(Default)]
pub struct DocumentMutations;

/// The document after a command, and where its last event sits in the log.
#[derive(SimpleObject)]
pub struct DocumentPayload {
    document: Document,
    /// Global position of the command's last event.
    position: i64,
    /// False when the read model had not caught up within the timeout; `document` is then
    /// folded from the log directly.
    projected: bool,
}

#[derive(InputObject)]
pub struct DraftDocumentInput {
    pub body_code: String,
    pub title: String,
    pub class: DocumentClass,
    #[graphql(default)]
    pub is_trial: bool,
    /// 重大行政决策: stated on every draft, never inferred from the title; a major decision's
    /// review cannot conclude without an advisor's opinion.
    pub is_major_decision: bool,
    #[graphql(default)]
    pub summary: String,
    pub drafted_on: Option<NaiveDate>,
    /// 起草单位; defaults to the issuing body.
    pub drafting_unit: Option<String>,
    /// Closely tied to business activity (涉企): public consultation of at least 30 days.
    #[graphql(default)]
    pub market_related: bool,
    /// The text (正文) as plain text: recorded as a new text version, identified by the
    /// SHA-256 of its normalised form.
    pub text: Option<String>,
    /// The text as an uploaded .docx (GraphQL multipart request), instead of `text`.
    pub text_file: Option<Upload>,
}

#[derive(InputObject)]
pub struct ReviseDraftInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub is_trial: Option<bool>,
    pub is_major_decision: Option<bool>,
    pub revised_on: Option<NaiveDate>,
    /// The text (正文) as plain text: recorded as a new text version, identified by the
    /// SHA-256 of its normalised form.
    pub text: Option<String>,
    /// The text as an uploaded .docx (GraphQL multipart request), instead of `text`.
    pub text_file: Option<Upload>,
}

#[derive(InputObject)]
pub struct OpenConsultationInput {
    pub closes_on: NaiveDate,
    pub channel: String,
    pub opened_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct CloseConsultationInput {
    pub comments_received: u32,
    #[graphql(default)]
    pub adoption_summary: String,
    pub closed_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct SubmitForReviewInput {
    /// 送审材料: the draft, the drafting explanation, the legal bases…
    pub materials: Vec<String>,
    pub submitted_on: Option<NaiveDate>,
    /// The text submitted (送审稿).
    pub text: Option<String>,
    /// The text as an uploaded .docx (GraphQL multipart request), instead of `text`.
    pub text_file: Option<Upload>,
}

#[derive(InputObject)]
pub struct ReturnMaterialsInput {
    pub reason: String,
    pub returned_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct StartReviewInput {
    /// Defaults to the configured number of working days (15) after startedOn, counted on
    /// the working-day calendar.
    pub due_on: Option<NaiveDate>,
    pub started_on: Option<NaiveDate>,
}

/// A clause of a text version, and optionally words of it, that an opinion or issue is about.
#[derive(InputObject)]
pub struct AnchorInput {
    pub version: u32,
    /// A clause id of that version (`art-5`, `art-5-p2-i3`; see `Document.text`).
    pub clause: String,
    /// Words of that clause.
    pub quote: Option<String>,
}

impl From<AnchorInput> for d::Anchor {
    fn from(a: AnchorInput) -> Self {
        d::Anchor {
            version: a.version,
            clause: a.clause,
            quote: a.quote,
        }
    }
}

#[derive(InputObject)]
pub struct AddAdvisorOpinionInput {
    pub text: String,
    pub conclusion: Option<String>,
    pub given_on: Option<NaiveDate>,
    pub anchor: Option<AnchorInput>,
}

#[derive(InputObject)]
pub struct ReviewIssueInput {
    /// A free-text reference (e.g. 第五条); prefer `anchor` when the document has a text.
    pub clause: Option<String>,
    pub text: String,
    pub anchor: Option<AnchorInput>,
}

#[derive(InputObject)]
pub struct ConcludeReviewInput {
    pub outcome: ReviewOutcome,
    #[graphql(default)]
    pub issues: Vec<ReviewIssueInput>,
    pub opinion: String,
    pub concluded_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct IssueResponseInput {
    pub issue_number: u32,
    pub adopted: bool,
    pub reason: Option<String>,
    /// The clause of the revised text that answers the issue.
    pub clause: Option<String>,
}

#[derive(InputObject)]
pub struct SubmitRevisionInput {
    pub responses: Vec<IssueResponseInput>,
    pub submitted_on: Option<NaiveDate>,
    /// The revised text (修改稿).
    pub text: Option<String>,
    /// The text as an uploaded .docx (GraphQL multipart request), instead of `text`.
    pub text_file: Option<Upload>,
}

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::document::MaterialKind")]
pub enum MaterialKind {
    /// 起草说明.
    DraftingExplanation,
    /// 征求意见及采纳情况.
    ConsultationReport,
    /// 制定依据.
    LegalBasis,
    /// 合法性初审意见.
    PreliminaryReview,
    Other,
}

#[derive(InputObject)]
pub struct AddAttachmentInput {
    pub kind: MaterialKind,
    /// The file (GraphQL multipart request): PDF, OFD, Word, Excel, JPEG or PNG, as its first
    /// bytes show, up to `--max-upload-bytes`.
    pub file: Upload,
    pub added_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ConsiderScreeningWarningInput {
    pub version: u32,
    pub clause: String,
    /// The screening rule's code (see `Document.text.screening`).
    pub code: String,
    /// Why the warning stands or does not (e.g. the higher law that provides the basis).
    pub reason: String,
    pub considered_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ConfirmRevisedTextInput {
    /// Defaults to the latest text version.
    pub to_version: Option<u32>,
    /// Every clause changed since the text the review concluded on (see `Document.diff`).
    pub accepted_clauses: Vec<String>,
    pub confirmed_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct RecordDeliberationInput {
    pub outcome: DeliberationOutcome,
    /// Which meeting: it must be the document's body's own (WRONG_MEETING otherwise).
    pub meeting_type: MeetingType,
    /// The meeting itself, e.g. 县政府第12次常务会议.
    pub meeting: String,
    pub held_on: Option<NaiveDate>,
    pub minutes_reference: Option<String>,
    pub dissent: Option<String>,
    /// The text version deliberated; defaults to the latest.
    pub text_version: Option<u32>,
}

#[derive(InputObject)]
pub struct IssueDocumentInput {
    /// 发文字号, e.g. 南政办发〔2019〕63号 ([2019], ［2019］ and (2019) are accepted).
    pub number: String,
    pub registration_number: Option<String>,
    pub signer: String,
    pub issued_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub effective_on: NaiveDate,
    /// Defaults to 5 years after effectiveOn (2 for 暂行/试行), the last day in force.
    pub valid_until: Option<NaiveDate>,
    /// Required when validUntil exceeds the default maximum.
    pub validity_override_reason: Option<String>,
    /// The text issued (印发稿); it must be the text deliberated. Defaults to that text.
    pub text: Option<String>,
    /// The text as an uploaded .docx (GraphQL multipart request), instead of `text`.
    pub text_file: Option<Upload>,
}

#[derive(InputObject)]
pub struct RepublishDocumentInput {
    pub republished_on: Option<NaiveDate>,
    /// The new registration number (重新编制登记号).
    pub registration_number: Option<String>,
    /// Defaults to 5 years after republishedOn (2 for 暂行/试行).
    pub valid_until: Option<NaiveDate>,
    pub validity_override_reason: Option<String>,
}

#[derive(InputObject)]
pub struct FileForRecordInput {
    /// 备案机关, as listed for the body. Omitted or empty: every authority due (all the
    /// listed ones at first; afterwards those that asked for a correction or materials).
    #[graphql(default)]
    pub authorities: Vec<String>,
    pub filed_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct RecordFilingReviewInput {
    /// The filing authority deciding (备案机关), one the document is filed with.
    pub authority: String,
    pub outcome: FilingReviewOutcome,
    /// The grounds; required for every outcome but ACCEPTED.
    pub notes: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
    /// CORRECTION_REQUIRED only: by when the body corrects (30 days by default).
    pub correction_due_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct CorrectRecordedFactInput {
    /// The position in the log of the event that recorded the fact (its `history` entry).
    pub position: i64,
    pub field: FactField,
    /// The right value: a date (YYYY-MM-DD) for FILED_ON, SUBMITTED_ON and HELD_ON.
    pub value: String,
    /// Why the recorded value was wrong (e.g. the filing receipt's date).
    pub reason: String,
    pub corrected_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct AnswerReviewSuggestionInput {
    /// The suggestion's number on the document (1, 2, …).
    pub suggestion: u32,
    pub answer: String,
    pub answered_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ExtendFilingReviewInput {
    pub authority: String,
    /// 1 to 20 days, once.
    pub days: u32,
    pub reason: String,
    pub extended_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct CorrectDocumentInput {
    pub description: String,
    pub corrected_on: Option<NaiveDate>,
    /// The corrected text (勘误后): a correction changes at most a few characters per clause
    /// and adds, removes or moves none.
    pub text: Option<String>,
    /// The text as an uploaded .docx (GraphQL multipart request), instead of `text`.
    pub text_file: Option<Upload>,
}

#[derive(InputObject)]
pub struct EndDocumentInput {
    pub reason: String,
    /// The published decision document (e.g. a cleanup result's number).
    pub decision_document: Option<String>,
    pub on: Option<NaiveDate>,
}

impl Answer for Document {
    type Aggregate = NormativeDocument;

    async fn read(pool: &PgPool, id: &str) -> ApiResult<Option<Self>> {
        let row = queries::document(pool, ledger_id(id)?, None)
            .await
            .map_err(gql)?;
        Ok(row.map(Document))
    }

    fn from_fold(id: &str, state: NormativeDocument, version: i64) -> ApiResult<Self> {
        let id = ledger_id(id)?;
        Ok(Document(DocumentRow { id, state, version }))
    }

    fn from_receipt(receipt: &crate::commands::Receipt) -> Option<Self> {
        receipt.document.as_deref().cloned().map(Document)
    }
}

async fn on_document(
    ctx: &Context<'_>,
    id: Uuid,
    command: DocumentCommand,
) -> ApiResult<DocumentPayload> {
    let a = execute_and_answer(ctx, Command::Document { id, command }).await?;
    Ok(DocumentPayload {
        document: a.resource,
        position: a.position,
        projected: a.projected,
    })
}

#[Object]
impl DocumentMutations {
    /// Starts a new document (DRAFTER of the body). The id is a new UUIDv7.
    async fn draft_document(
        &self,
        ctx: &Context<'_>,
        input: DraftDocumentInput,
    ) -> ApiResult<DocumentPayload> {
        let id = Uuid::now_v7();
        let draft = d::Draft {
            body_code: input.body_code.clone(),
            title: input.title,
            class: input.class.into(),
            is_trial: input.is_trial,
            is_major_decision: input.is_major_decision,
            summary: input.summary,
            drafted_on: day(input.drafted_on),
            drafting_unit: input
                .drafting_unit
                .unwrap_or_else(|| input.body_code.clone()),
            market_related: input.market_related,
        };
        let command = DocumentCommand::Draft {
            id: id.to_string(),
            draft,
            text: supplied_text(ctx, input.text, input.text_file)?,
        };
        on_document(ctx, id, command).await
    }

    async fn revise_draft(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReviseDraftInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::ReviseDraft {
            title: input.title,
            summary: input.summary,
            is_trial: input.is_trial,
            is_major_decision: input.is_major_decision,
            revised_on: day(input.revised_on),
            text: supplied_text(ctx, input.text, input.text_file)?,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Opens public consultation (公开征求意见).
    async fn open_consultation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: OpenConsultationInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::OpenConsultation {
            opened_on: day(input.opened_on),
            closes_on: input.closes_on,
            channel: input.channel,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    async fn close_consultation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CloseConsultationInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::CloseConsultation {
            closed_on: day(input.closed_on),
            comments_received: input.comments_received,
            adoption_summary: input.adoption_summary,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Submits the materials for legality review (送审).
    async fn submit_for_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: SubmitForReviewInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::SubmitForReview {
            submitted_on: day(input.submitted_on),
            materials: input.materials,
            text: supplied_text(ctx, input.text, input.text_file)?,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Returns incomplete materials to the drafter (LEGAL_OFFICE).
    async fn return_materials(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReturnMaterialsInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::ReturnMaterials {
            returned_on: day(input.returned_on),
            reason: input.reason,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Accepts the materials and starts the review clock (LEGAL_OFFICE).
    async fn start_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: StartReviewInput,
    ) -> ApiResult<DocumentPayload> {
        let started_on = day(input.started_on);
        let due_on = match input.due_on {
            Some(d) => d,
            None => {
                let ledger = &ctx.data::<Session>()?.ledger;
                ledger
                    .calendar()
                    .add_working_days(started_on, ledger.settings().review_working_days)
                    .map_err(|e| gql(ApiError::bad_input("startedOn", e.to_string())))?
            }
        };
        let command = DocumentCommand::StartReview { started_on, due_on };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Adds a legal advisor's opinion (ADVISOR); it advises, never decides.
    async fn add_advisor_opinion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AddAdvisorOpinionInput,
    ) -> ApiResult<DocumentPayload> {
        let actor = ctx.data::<Session>()?.actor()?;
        let command = DocumentCommand::AddAdvisorOpinion(d::AdvisorOpinion {
            advisor_id: actor.id.clone(),
            advisor_name: actor.name.clone(),
            text: input.text,
            conclusion: input.conclusion,
            given_on: day(input.given_on),
            anchor: input.anchor.map(Into::into),
        });
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Concludes the legality review: LAWFUL, MUST_REVISE or UNLAWFUL (LEGAL_OFFICE).
    async fn conclude_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ConcludeReviewInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::ConcludeReview {
            outcome: input.outcome.into(),
            issues: input
                .issues
                .into_iter()
                .map(|i| d::IssueInput {
                    clause: i.clause,
                    text: i.text,
                    anchor: i.anchor.map(Into::into),
                })
                .collect(),
            opinion: input.opinion,
            concluded_on: day(input.concluded_on),
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Answers every review issue, adopted or not with a reason (DRAFTER).
    async fn submit_revision(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: SubmitRevisionInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::SubmitRevision {
            submitted_on: day(input.submitted_on),
            responses: input
                .responses
                .into_iter()
                .map(|r| d::IssueResponse {
                    issue_number: r.issue_number,
                    adopted: r.adopted,
                    reason: r.reason,
                    clause: r.clause,
                })
                .collect(),
            text: supplied_text(ctx, input.text, input.text_file)?,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Adds a file to the submission package (送审材料) (DRAFTER of the body).
    async fn add_attachment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AddAttachmentInput,
    ) -> ApiResult<DocumentPayload> {
        let upload = input.file.value(ctx).map_err(|_| {
            gql(ApiError::bad_input(
                "file",
                "no file was sent under this name",
            ))
        })?;
        let content_type = sniff(&upload.content, &upload.filename).ok_or_else(|| {
            gql(ApiError::bad_input(
                "file",
                format!(
                    "{} is not a PDF, OFD, Word, Excel, JPEG or PNG file",
                    upload.filename
                ),
            ))
        })?;
        if let Ok(mut uploads) = ctx.data::<Session>()?.uploads.lock() {
            uploads.push(crate::domain::text::text_hash_bytes(&upload.content));
        }
        use base64::Engine;
        let command = DocumentCommand::AddAttachment(d::NewAttachment {
            name: upload.filename.clone(),
            kind: input.kind.into(),
            content_type: content_type.to_owned(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(&upload.content),
            added_on: day(input.added_on),
        });
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Records that a screening warning was considered, and why (LEGAL_OFFICE).
    async fn consider_screening_warning(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ConsiderScreeningWarningInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::ConsiderScreeningWarning(d::ConsideredWarning {
            version: input.version,
            clause: input.clause,
            code: input.code,
            reason: input.reason,
            considered_on: day(input.considered_on),
        });
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Accepts the changes of a revised text since the text the review concluded on, so it
    /// may be deliberated ("issued = reviewed"); every changed clause must be listed
    /// (LEGAL_OFFICE).
    async fn confirm_revised_text(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ConfirmRevisedTextInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::ConfirmRevisedText {
            to_version: input.to_version,
            accepted: input.accepted_clauses,
            confirmed_on: day(input.confirmed_on),
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Records the collective deliberation (GOVERNMENT_OFFICE).
    async fn record_deliberation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RecordDeliberationInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::RecordDeliberation(d::Deliberation {
            outcome: input.outcome.into(),
            meeting_type: Some(input.meeting_type.into()),
            meeting: input.meeting,
            held_on: day(input.held_on),
            minutes_reference: input.minutes_reference,
            dissent: input.dissent,
            text_version: input.text_version,
        });
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Registers, numbers and publishes an approved document (GOVERNMENT_OFFICE).
    async fn issue_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: IssueDocumentInput,
    ) -> ApiResult<DocumentPayload> {
        let number = DocumentNumber::parse(&input.number)
            .map_err(|e| gql(ApiError::from_domain(DomainError::from(e))))?;
        let issued_on = day(input.issued_on);
        let command = DocumentCommand::Issue {
            number,
            registration_number: input.registration_number,
            signer: input.signer,
            issued_on,
            published_on: input.published_on.unwrap_or(issued_on),
            effective_on: input.effective_on,
            valid_until: input.valid_until,
            validity_override_reason: input.validity_override_reason,
            text: supplied_text(ctx, input.text, input.text_file)?,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Files an issued document for record (备案) (DRAFTER of the body).
    async fn file_for_record(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: FileForRecordInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::FileForRecord {
            filed_on: day(input.filed_on),
            authorities: input.authorities,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Records one filing authority's outcome (备案审查): by that authority (FILING_AUTHORITY
    /// acting for it), or, for documents filed with the county government, by the legal office
    /// that reviews for it (LEGAL_OFFICE).
    async fn record_filing_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RecordFilingReviewInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::RecordFilingReview {
            authority: input.authority,
            outcome: input.outcome.into(),
            reviewed_on: day(input.reviewed_on),
            notes: input.notes,
            correction_due_on: input.correction_due_on,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Corrects a mis-keyed fact of an earlier event (更正) with a compensating event: only
    /// the role that recorded the event (DRAFTER for its own bodies, or GOVERNMENT_OFFICE);
    /// the document then reads the new value, its history keeps both.
    async fn correct_recorded_fact(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CorrectRecordedFactInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::CorrectFact(d::FactCorrectionRequest {
            position: input.position,
            field: input.field.into(),
            value: input.value,
            reason: input.reason,
            corrected_on: day(input.corrected_on),
        });
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Answers a review suggestion (审查建议) from the public (LEGAL_OFFICE).
    async fn answer_review_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AnswerReviewSuggestionInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::AnswerReviewSuggestion {
            suggestion: input.suggestion,
            answer: input.answer,
            answered_on: day(input.answered_on),
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Extends a filing authority's 30-day review once, by up to 20 days (same roles as
    /// `recordFilingReview`).
    async fn extend_filing_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ExtendFilingReviewInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::ExtendFilingReview {
            authority: input.authority,
            extended_on: day(input.extended_on),
            days: input.days,
            reason: input.reason,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Records a correction of errors (勘误), never an amendment (GOVERNMENT_OFFICE).
    async fn correct_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CorrectDocumentInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::Correct {
            correction: d::Correction {
                corrected_on: day(input.corrected_on),
                description: input.description,
            },
            text: supplied_text(ctx, input.text, input.text_file)?,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Repeals an issued document (废止) (GOVERNMENT_OFFICE).
    async fn repeal_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: EndDocumentInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::Repeal(ending(input));
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Republishes a document in force before it expires (重新登记、公布): its validity starts
    /// again from `republishedOn`, by default 5 years (2 for 暂行/试行) (GOVERNMENT_OFFICE).
    async fn republish_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RepublishDocumentInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::Republish {
            republished_on: day(input.republished_on),
            registration_number: input.registration_number,
            valid_until: input.valid_until,
            validity_override_reason: input.validity_override_reason,
        };
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Records that a new document replaces this one (修订), which then leaves force
    /// (GOVERNMENT_OFFICE).
    async fn supersede_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        superseded_by: String,
        on: Option<NaiveDate>,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::Supersede(d::Supersession {
            on: day(on),
            superseded_by,
        });
        on_document(ctx, parse_id_arg(&id)?, command).await
    }

    /// Ends a draft before issue (终止制定) (DRAFTER of the body).
    async fn withdraw_document(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: EndDocumentInput,
    ) -> ApiResult<DocumentPayload> {
        let command = DocumentCommand::Withdraw(ending(input));
        on_document(ctx, parse_id_arg(&id)?, command).await
    }
}

/// A file's type by its first bytes (what it claims does not count), and for the zip-based
/// Office formats by its name: PDF, OFD, Word (.docx, .doc), Excel (.xlsx), JPEG, PNG.
fn sniff(bytes: &[u8], name: &str) -> Option<&'static str> {
    let name = name.to_lowercase();
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) && name.ends_with(".doc") {
        Some("application/msword")
    } else if bytes.starts_with(b"PK\x03\x04") {
        match name.rsplit('.').next() {
            Some("docx") => {
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }
            Some("xlsx") => {
                Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            }
            Some("ofd") => Some("application/ofd"),
            _ => None,
        }
    } else {
        None
    }
}

/// The text a command brings: typed (`text`) or uploaded as a .docx (`textFile`), not both.
fn supplied_text(
    ctx: &Context<'_>,
    text: Option<String>,
    file: Option<Upload>,
) -> ApiResult<Option<String>> {
    let Some(file) = file else { return Ok(text) };
    if text.is_some() {
        return Err(gql(ApiError::bad_input(
            "textFile",
            "give the text or a file, not both",
        )));
    }
    let upload = file.value(ctx).map_err(|_| {
        gql(ApiError::bad_input(
            "textFile",
            "no file was sent under this name",
        ))
    })?;
    let docx = upload.filename.to_lowercase().ends_with(".docx")
        || upload.content_type.as_deref()
            == Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    if !docx {
        return Err(gql(ApiError::bad_input(
            "textFile",
            format!("{} is not a .docx file", upload.filename),
        )));
    }
    let digest = crate::domain::text::text_hash_bytes(&upload.content);
    if let Ok(mut uploads) = ctx.data::<Session>()?.uploads.lock() {
        uploads.push(digest);
    }
    crate::docx::text_of(&upload.content)
        .map(Some)
        .map_err(|e| gql(ApiError::bad_input("textFile", e.to_string())))
}

fn ending(input: EndDocumentInput) -> d::Ending {
    d::Ending {
        on: day(input.on),
        reason: input.reason,
        decision_document: input.decision_document,
    }
}
