//! Normative document (行政规范性文件): its lifecycle from drafting to repeal.
//!
//! ```text
//! DRAFTING ⇄ CONSULTATION;  DRAFTING → SUBMITTED → UNDER_REVIEW ⇄ REVISING
//!   → AWAITING_DELIBERATION → APPROVED → ISSUED → EXPIRED | REPEALED | DECLARED_INVALID
//!                                                 | SUPERSEDED
//! ISSUED → ISSUED again when republished (重新公布: a new validity period).
//! A document issued before the ledger existed enters directly by DocumentImported.
//! WITHDRAWN and REJECTED end a draft. Filing (备案) runs beside ISSUED:
//!   NOT_FILED → FILED → ACCEPTED | CORRECTION_REQUIRED (→ FILED again)
//! ```
//! Every guard here refuses the command and writes nothing; the rule names are in
//! [`DomainError::rule`].

use async_trait::async_trait;
use chrono::{Datelike, Days, Months, NaiveDate};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::domain::document_number::DocumentNumber;
use crate::domain::error::{DomainError, check_optional_text, check_text};
use crate::domain::issuing_body::IssuingBody;

use crate::domain::limits::{
    MAX_LIST_LEN as MAX_ITEMS, MAX_SHORT_CHARS as MAX_SHORT, MAX_TEXT_CHARS as MAX_TEXT,
    MAX_TITLE_CHARS as MAX_TITLE,
};

/// What the document aggregate needs to know about the rest of the ledger. Implemented over
/// the event log by the store; in memory by the tests.
#[async_trait]
pub trait DocumentServices: Send + Sync {
    /// The issuing body's state folded from its events, if it was ever listed.
    async fn issuing_body(&self, code: &str) -> Result<Option<IssuingBody>, DomainError>;
    /// The document that holds `number`, if any (numbers are never released).
    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError>;
}

/// Lifecycle status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentStatus {
    #[default]
    Drafting,
    Consultation,
    Submitted,
    UnderReview,
    Revising,
    AwaitingDeliberation,
    Approved,
    Issued,
    Expired,
    Repealed,
    DeclaredInvalid,
    Revoked,
    Superseded,
    Withdrawn,
    Rejected,
}

impl DocumentStatus {
    /// The SCREAMING_CASE name used in the API and the read model.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Drafting => "DRAFTING",
            DocumentStatus::Consultation => "CONSULTATION",
            DocumentStatus::Submitted => "SUBMITTED",
            DocumentStatus::UnderReview => "UNDER_REVIEW",
            DocumentStatus::Revising => "REVISING",
            DocumentStatus::AwaitingDeliberation => "AWAITING_DELIBERATION",
            DocumentStatus::Approved => "APPROVED",
            DocumentStatus::Issued => "ISSUED",
            DocumentStatus::Expired => "EXPIRED",
            DocumentStatus::Repealed => "REPEALED",
            DocumentStatus::DeclaredInvalid => "DECLARED_INVALID",
            DocumentStatus::Revoked => "REVOKED",
            DocumentStatus::Superseded => "SUPERSEDED",
            DocumentStatus::Withdrawn => "WITHDRAWN",
            DocumentStatus::Rejected => "REJECTED",
        }
    }

    /// Before issuance and not ended: a draft that may still be withdrawn.
    pub fn is_open_draft(self) -> bool {
        matches!(
            self,
            DocumentStatus::Drafting
                | DocumentStatus::Consultation
                | DocumentStatus::Submitted
                | DocumentStatus::UnderReview
                | DocumentStatus::Revising
                | DocumentStatus::AwaitingDeliberation
                | DocumentStatus::Approved
        )
    }
}

/// Filing for record (备案) status, beside the main status once issued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilingStatus {
    #[default]
    NotFiled,
    Filed,
    Accepted,
    CorrectionRequired,
}

impl FilingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::NotFiled => "NOT_FILED",
            FilingStatus::Filed => "FILED",
            FilingStatus::Accepted => "ACCEPTED",
            FilingStatus::CorrectionRequired => "CORRECTION_REQUIRED",
        }
    }
}

/// 政府规范性文件 or 部门规范性文件.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentClass {
    Government,
    Department,
}

/// Outcome of a legality review (合法, 应当予以修改, 不合法).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewOutcome {
    Lawful,
    MustRevise,
    Unlawful,
}

/// Outcome of the collective deliberation (通过, 修改后通过, 不通过, 暂缓).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliberationOutcome {
    Approved,
    ApprovedWithChanges,
    Rejected,
    Deferred,
}

/// Outcome of the filing authority's review (准予备案 or 通知改正).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilingReviewOutcome {
    Accepted,
    CorrectionRequired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub body_code: String,
    pub title: String,
    pub class: DocumentClass,
    /// 暂行/试行: a shorter maximum validity.
    pub is_trial: bool,
    /// 重大行政决策: an advisor's opinion is required before the review concludes.
    pub is_major_decision: bool,
    pub summary: String,
    pub drafted_on: NaiveDate,
    /// 起草单位: the unit that drafts (since event version 2; the issuing body before).
    pub drafting_unit: String,
    /// Closely tied to business activity (涉及市场主体): consultation of at least 30 days
    /// (since event version 3; false before).
    pub market_related: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consultation {
    pub opened_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub channel: String,
    pub closed_on: Option<NaiveDate>,
    pub comments_received: Option<u32>,
    pub adoption_summary: Option<String>,
}

/// One itemised issue of a review opinion, numbered from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewIssue {
    pub number: u32,
    pub clause: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueResponse {
    pub issue_number: u32,
    pub adopted: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisorOpinion {
    pub advisor_id: String,
    pub advisor_name: String,
    pub text: String,
    pub conclusion: Option<String>,
    pub given_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewConclusion {
    pub outcome: ReviewOutcome,
    pub issues: Vec<ReviewIssue>,
    pub opinion: String,
    pub concluded_on: NaiveDate,
    /// The drafter's answers, once a revision was submitted for this conclusion.
    pub responses: Option<Vec<IssueResponse>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterialsReturn {
    pub returned_on: NaiveDate,
    pub reason: String,
}

/// One legality review (合法性审核), from submission of the materials to its conclusions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub submitted_on: NaiveDate,
    pub materials: Vec<String>,
    pub returns: Vec<MaterialsReturn>,
    pub started_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub opinions: Vec<AdvisorOpinion>,
    pub conclusions: Vec<ReviewConclusion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deliberation {
    pub outcome: DeliberationOutcome,
    pub meeting: String,
    pub held_on: NaiveDate,
    pub minutes_reference: Option<String>,
    pub dissent: Option<String>,
}

/// Issuance: registration, numbering and publication (统一登记、统一编号、统一印发).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issuance {
    pub number: DocumentNumber,
    pub registration_number: Option<String>,
    pub signer: String,
    pub issued_on: NaiveDate,
    pub published_on: NaiveDate,
    pub effective_on: NaiveDate,
    /// The last day the document is in force.
    pub valid_until: NaiveDate,
    pub validity_override_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingRecord {
    pub filed_on: NaiveDate,
    pub authorities: Vec<String>,
    pub outcome: Option<FilingReviewOutcome>,
    pub reviewed_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub corrected_on: NaiveDate,
    pub description: String,
}

/// How a document's life ended, once it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ending {
    pub on: NaiveDate,
    pub reason: String,
    pub decision_document: Option<String>,
}

/// Republication (重新登记、公布): the validity period starts again from its date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Republication {
    pub republished_on: NaiveDate,
    pub registration_number: Option<String>,
    /// The new last day in force.
    pub valid_until: NaiveDate,
    pub validity_override_reason: Option<String>,
}

/// A cleanup decision on a document (清理意见).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CleanupDecision {
    /// 继续有效.
    Continue,
    /// 修改: stays in force until revised, by a deadline.
    Amend,
    /// 废止.
    Repeal,
    /// 宣布失效.
    DeclareInvalid,
}

impl CleanupDecision {
    /// Whether the document stays in force after the result is published.
    pub fn keeps_in_force(self) -> bool {
        matches!(self, CleanupDecision::Continue | CleanupDecision::Amend)
    }
}

/// A published cleanup decision as applied to one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanupOutcome {
    pub campaign_id: String,
    pub decision: CleanupDecision,
    /// The 文号 of the document that published the cleanup result.
    pub result_number: String,
    pub decided_on: NaiveDate,
    /// For AMEND: the date the revision is due.
    pub revision_deadline: Option<NaiveDate>,
}

/// Superseded by a new document (修订后废旧立新).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supersession {
    pub on: NaiveDate,
    /// The 文号 of the document that replaces this one.
    pub superseded_by: String,
}

/// A document issued before the ledger existed, taken from an existing catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedRecord {
    pub body_code: String,
    pub title: String,
    pub class: DocumentClass,
    pub is_trial: bool,
    pub number: DocumentNumber,
    pub issued_on: NaiveDate,
    pub published_on: NaiveDate,
    pub effective_on: NaiveDate,
    pub valid_until: NaiveDate,
    /// ISSUED, or how it ended: EXPIRED, REPEALED, DECLARED_INVALID, SUPERSEDED, REVOKED.
    pub status: DocumentStatus,
    pub ended_on: Option<NaiveDate>,
    pub filed_on: Option<NaiveDate>,
    /// Where the record comes from (the catalogue, its date, who compiled it).
    pub provenance: String,
}

/// Normative document state, folded from its events. Fields added later default when a
/// stored read-model state predates them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NormativeDocument {
    pub id: Option<String>,
    pub draft: Option<Draft>,
    pub status: DocumentStatus,
    pub filing_status: FilingStatus,
    pub revision_count: u32,
    pub consultations: Vec<Consultation>,
    pub reviews: Vec<Review>,
    pub deliberations: Vec<Deliberation>,
    pub issuance: Option<Issuance>,
    pub filings: Vec<FilingRecord>,
    pub corrections: Vec<Correction>,
    pub ending: Option<Ending>,
    pub republications: Vec<Republication>,
    pub cleanups: Vec<CleanupOutcome>,
    pub superseded_by: Option<String>,
    /// Set for documents imported from a catalogue: their provenance note.
    pub imported: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueInput {
    pub clause: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DocumentCommand {
    Draft {
        id: String,
        draft: Draft,
    },
    ReviseDraft {
        title: Option<String>,
        summary: Option<String>,
        is_trial: Option<bool>,
        is_major_decision: Option<bool>,
        revised_on: NaiveDate,
    },
    OpenConsultation {
        opened_on: NaiveDate,
        closes_on: NaiveDate,
        channel: String,
    },
    CloseConsultation {
        closed_on: NaiveDate,
        comments_received: u32,
        adoption_summary: String,
    },
    SubmitForReview {
        submitted_on: NaiveDate,
        materials: Vec<String>,
    },
    ReturnMaterials {
        returned_on: NaiveDate,
        reason: String,
    },
    StartReview {
        started_on: NaiveDate,
        due_on: NaiveDate,
    },
    AddAdvisorOpinion(AdvisorOpinion),
    ConcludeReview {
        outcome: ReviewOutcome,
        issues: Vec<IssueInput>,
        opinion: String,
        concluded_on: NaiveDate,
    },
    SubmitRevision {
        submitted_on: NaiveDate,
        responses: Vec<IssueResponse>,
    },
    RecordDeliberation(Deliberation),
    Issue {
        number: DocumentNumber,
        registration_number: Option<String>,
        signer: String,
        issued_on: NaiveDate,
        published_on: NaiveDate,
        effective_on: NaiveDate,
        valid_until: Option<NaiveDate>,
        validity_override_reason: Option<String>,
    },
    FileForRecord {
        filed_on: NaiveDate,
        authorities: Vec<String>,
    },
    RecordFilingReview {
        outcome: FilingReviewOutcome,
        reviewed_on: NaiveDate,
        notes: Option<String>,
    },
    Correct(Correction),
    Repeal(Ending),
    Withdraw(Ending),
    Republish {
        republished_on: NaiveDate,
        registration_number: Option<String>,
        valid_until: Option<NaiveDate>,
        validity_override_reason: Option<String>,
    },
    /// Sent by the ledger's scheduler once `valid_until` has passed.
    Expire {
        on: NaiveDate,
    },
    /// Sent by the cleanup process manager; a second application of the same campaign's
    /// decision writes nothing, so the process manager may be re-run at will.
    ApplyCleanupDecision(CleanupOutcome),
    Supersede(Supersession),
    Import {
        id: String,
        record: ImportedRecord,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DocumentEvent {
    Drafted {
        id: String,
        draft: Draft,
    },
    DraftRevised {
        title: Option<String>,
        summary: Option<String>,
        is_trial: Option<bool>,
        is_major_decision: Option<bool>,
        revised_on: NaiveDate,
    },
    ConsultationOpened {
        opened_on: NaiveDate,
        closes_on: NaiveDate,
        channel: String,
    },
    ConsultationClosed {
        closed_on: NaiveDate,
        comments_received: u32,
        adoption_summary: String,
    },
    SubmittedForReview {
        submitted_on: NaiveDate,
        materials: Vec<String>,
    },
    MaterialsReturned(MaterialsReturn),
    ReviewStarted {
        started_on: NaiveDate,
        due_on: NaiveDate,
    },
    AdvisorOpinionAdded(AdvisorOpinion),
    ReviewConcluded {
        outcome: ReviewOutcome,
        issues: Vec<ReviewIssue>,
        opinion: String,
        concluded_on: NaiveDate,
    },
    RevisionSubmitted {
        submitted_on: NaiveDate,
        responses: Vec<IssueResponse>,
    },
    Deliberated(Deliberation),
    Issued(Issuance),
    FiledForRecord {
        filed_on: NaiveDate,
        authorities: Vec<String>,
    },
    FilingReviewed {
        outcome: FilingReviewOutcome,
        reviewed_on: NaiveDate,
        notes: Option<String>,
    },
    Corrected(Correction),
    Repealed(Ending),
    Withdrawn(Ending),
    Republished(Republication),
    Expired {
        on: NaiveDate,
    },
    CleanupDecided(CleanupOutcome),
    DeclaredInvalid(Ending),
    /// Replaced by a newer document (被修改): the document's status becomes SUPERSEDED.
    /// Stored before as `Amended`, which the upcaster renames.
    Superseded(Supersession),
    DocumentImported {
        id: String,
        record: ImportedRecord,
    },
}

impl DomainEvent for DocumentEvent {
    fn event_type(&self) -> String {
        match self {
            DocumentEvent::Drafted { .. } => "Drafted",
            DocumentEvent::DraftRevised { .. } => "DraftRevised",
            DocumentEvent::ConsultationOpened { .. } => "ConsultationOpened",
            DocumentEvent::ConsultationClosed { .. } => "ConsultationClosed",
            DocumentEvent::SubmittedForReview { .. } => "SubmittedForReview",
            DocumentEvent::MaterialsReturned(_) => "MaterialsReturned",
            DocumentEvent::ReviewStarted { .. } => "ReviewStarted",
            DocumentEvent::AdvisorOpinionAdded(_) => "AdvisorOpinionAdded",
            DocumentEvent::ReviewConcluded { .. } => "ReviewConcluded",
            DocumentEvent::RevisionSubmitted { .. } => "RevisionSubmitted",
            DocumentEvent::Deliberated(_) => "Deliberated",
            DocumentEvent::Issued(_) => "Issued",
            DocumentEvent::FiledForRecord { .. } => "FiledForRecord",
            DocumentEvent::FilingReviewed { .. } => "FilingReviewed",
            DocumentEvent::Corrected(_) => "Corrected",
            DocumentEvent::Repealed(_) => "Repealed",
            DocumentEvent::Withdrawn(_) => "Withdrawn",
            DocumentEvent::Republished(_) => "Republished",
            DocumentEvent::Expired { .. } => "Expired",
            DocumentEvent::CleanupDecided(_) => "CleanupDecided",
            DocumentEvent::DeclaredInvalid(_) => "DeclaredInvalid",
            DocumentEvent::Superseded(_) => "Superseded",
            DocumentEvent::DocumentImported { .. } => "DocumentImported",
        }
        .to_owned()
    }
    fn event_version(&self) -> String {
        match self {
            DocumentEvent::Drafted { .. } => DRAFTED_VERSION,
            _ => "1",
        }
        .to_owned()
    }
}

/// `Drafted` version 2 added `draft.drafting_unit`; version 3 added `draft.market_related`.
pub const DRAFTED_VERSION: &str = "3";

/// The stored name of `Superseded` events written before it was renamed.
pub const SUPERSEDED_FORMERLY: &str = "Amended";

/// Whether a stored event needs [`upcast`] before it decodes.
pub fn needs_upcast(event_type: &str, event_version: &str) -> bool {
    (event_type == "Drafted" && event_version != DRAFTED_VERSION)
        || event_type == SUPERSEDED_FORMERLY
}

impl DocumentEvent {
    /// Decodes a stored payload of any version: older shapes are upcast first, so every
    /// reader (command handling, projection, history as of an instant) sees the current one.
    pub fn decode(
        event_type: &str,
        event_version: &str,
        payload: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        serde_json::from_value(upcast(event_type, event_version, payload))
    }
}

impl DocumentEvent {
    /// One line for people reading a history: what happened, in English with the Chinese term.
    pub fn summary(&self) -> String {
        match self {
            DocumentEvent::Drafted { draft, .. } => {
                format!("Drafted (起草) by {}: {}", draft.body_code, draft.title)
            }
            DocumentEvent::DraftRevised { .. } => "Draft revised (修改草案)".into(),
            DocumentEvent::ConsultationOpened {
                closes_on, channel, ..
            } => {
                format!("Public consultation opened (公开征求意见) on {channel} until {closes_on}")
            }
            DocumentEvent::ConsultationClosed {
                comments_received, ..
            } => {
                format!("Public consultation closed (征求意见结束): {comments_received} comments")
            }
            DocumentEvent::SubmittedForReview { materials, .. } => format!(
                "Submitted for legality review (送审) with {} materials",
                materials.len()
            ),
            DocumentEvent::MaterialsReturned(r) => {
                format!("Materials returned (退回补正): {}", r.reason)
            }
            DocumentEvent::ReviewStarted { due_on, .. } => {
                format!("Legality review started (合法性审核), due {due_on}")
            }
            DocumentEvent::AdvisorOpinionAdded(o) => {
                format!(
                    "Legal advisor's opinion added (法律顾问意见) by {}",
                    o.advisor_name
                )
            }
            DocumentEvent::ReviewConcluded {
                outcome, issues, ..
            } => format!(
                "Legality review concluded (审核结论): {} with {} issues",
                match outcome {
                    ReviewOutcome::Lawful => "LAWFUL 合法",
                    ReviewOutcome::MustRevise => "MUST_REVISE 应当予以修改",
                    ReviewOutcome::Unlawful => "UNLAWFUL 不合法",
                },
                issues.len()
            ),
            DocumentEvent::RevisionSubmitted { responses, .. } => format!(
                "Revision submitted (修改稿): {} of {} issues adopted",
                responses.iter().filter(|r| r.adopted).count(),
                responses.len()
            ),
            DocumentEvent::Deliberated(d) => format!(
                "Deliberated (集体审议) at {}: {}",
                d.meeting,
                match d.outcome {
                    DeliberationOutcome::Approved => "APPROVED 通过",
                    DeliberationOutcome::ApprovedWithChanges => "APPROVED_WITH_CHANGES 修改后通过",
                    DeliberationOutcome::Rejected => "REJECTED 不通过",
                    DeliberationOutcome::Deferred => "DEFERRED 暂缓",
                }
            ),
            DocumentEvent::Issued(i) => format!(
                "Issued (印发) as {}, in force {} to {}",
                i.number, i.effective_on, i.valid_until
            ),
            DocumentEvent::FiledForRecord { authorities, .. } => {
                format!("Filed for record (备案) with {}", authorities.join(", "))
            }
            DocumentEvent::FilingReviewed { outcome, .. } => format!(
                "Filing reviewed (备案审查): {}",
                match outcome {
                    FilingReviewOutcome::Accepted => "ACCEPTED 准予备案",
                    FilingReviewOutcome::CorrectionRequired => "CORRECTION_REQUIRED 通知改正",
                }
            ),
            DocumentEvent::Corrected(c) => format!("Corrected (勘误): {}", c.description),
            DocumentEvent::Repealed(e) => format!("Repealed (废止) from {}: {}", e.on, e.reason),
            DocumentEvent::Withdrawn(e) => format!("Withdrawn (终止制定): {}", e.reason),
            DocumentEvent::Republished(r) => format!(
                "Republished (重新公布) on {}, in force until {}",
                r.republished_on, r.valid_until
            ),
            DocumentEvent::Expired { on } => format!("Expired (有效期届满) on {on}"),
            DocumentEvent::CleanupDecided(c) => format!(
                "Cleanup decision (清理结果 {}): {}",
                c.result_number,
                match c.decision {
                    CleanupDecision::Continue => "CONTINUE 继续有效",
                    CleanupDecision::Amend => "AMEND 修改",
                    CleanupDecision::Repeal => "REPEAL 废止",
                    CleanupDecision::DeclareInvalid => "DECLARE_INVALID 宣布失效",
                }
            ),
            DocumentEvent::DeclaredInvalid(e) => {
                format!("Declared invalid (宣布失效) from {}: {}", e.on, e.reason)
            }
            DocumentEvent::Superseded(s) => {
                format!("Superseded (被修订替代) by {} on {}", s.superseded_by, s.on)
            }
            DocumentEvent::DocumentImported { record, .. } => format!(
                "Imported (存量文件导入) as {}, {}: {}",
                record.number,
                record.status.as_str(),
                record.provenance
            ),
        }
    }
}

/// A recorded-and-warned rule: never blocks, always shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// Per-jurisdiction settings of the warn-only rules.
#[derive(Debug, Clone, Copy)]
pub struct WarningSettings {
    /// Days after publication within which a document is filed (15 or 30 by jurisdiction).
    pub filing_days: u64,
    /// Minimum consultation period in working days for rights-affecting documents.
    pub consultation_working_days: u32,
    /// Minimum consultation period in days for documents tied to business activity.
    pub market_consultation_days: u64,
    /// Minimum days between publication and commencement, unless urgent.
    pub commencement_days: u64,
}

impl Default for WarningSettings {
    fn default() -> Self {
        WarningSettings {
            filing_days: 30,
            consultation_working_days: 7,
            market_consultation_days: 30,
            commencement_days: 30,
        }
    }
}

impl NormativeDocument {
    /// The warn-only rules this document breaks as of `today`.
    pub fn warnings(
        &self,
        today: NaiveDate,
        calendar: &crate::domain::calendar::WorkingCalendar,
        settings: &WarningSettings,
    ) -> Vec<Warning> {
        let mut out = vec![];
        let open_review = matches!(self.status, S::UnderReview | S::Revising);
        if let Some(due) = self
            .review()
            .and_then(|r| r.due_on)
            .filter(|d| open_review && *d < today)
        {
            out.push(Warning {
                code: "REVIEW_OVERDUE",
                message: format!("the legality review was due on {due}"),
            });
        }
        let market = self.draft.as_ref().is_some_and(|d| d.market_related);
        for c in &self.consultations {
            let (min, rule) = if market {
                (
                    Ok(c.opened_on + Days::new(settings.market_consultation_days)),
                    format!(
                        "{} days (business-related)",
                        settings.market_consultation_days
                    ),
                )
            } else {
                (
                    calendar.add_working_days(c.opened_on, settings.consultation_working_days),
                    format!("{} working days", settings.consultation_working_days),
                )
            };
            // A period the calendar does not cover cannot be judged: no warning, no guess.
            if min.is_ok_and(|min| c.closes_on < min) {
                out.push(Warning {
                    code: "CONSULTATION_TOO_SHORT",
                    message: format!(
                        "consultation from {} to {} is shorter than {rule}",
                        c.opened_on, c.closes_on
                    ),
                });
            }
        }
        // The ledger does not know how an imported document was filed: no filing warnings.
        if let Some(i) = self.issuance.as_ref().filter(|_| self.imported.is_none()) {
            let deadline = i.published_on + Days::new(settings.filing_days);
            match self.filings.first() {
                None if today > deadline && self.status == S::Issued => out.push(Warning {
                    code: "FILING_OVERDUE",
                    message: format!("not filed for record; due by {deadline}"),
                }),
                Some(f) if f.filed_on > deadline => out.push(Warning {
                    code: "FILED_LATE",
                    message: format!("filed on {}, due by {deadline}", f.filed_on),
                }),
                _ => {}
            }
            let earliest = i.published_on + Days::new(settings.commencement_days);
            if i.effective_on < earliest {
                out.push(Warning {
                    code: "COMMENCEMENT_TOO_SOON",
                    message: format!(
                        "in force {} days after publication (rule: at least {} unless urgent)",
                        (i.effective_on - i.published_on).num_days(),
                        settings.commencement_days
                    ),
                });
            }
        }
        out
    }
}

use DocumentStatus as S;

/// Upcasts an older stored payload to the current shape (pure: JSON in, JSON out).
pub fn upcast(
    event_type: &str,
    event_version: &str,
    mut payload: serde_json::Value,
) -> serde_json::Value {
    if event_type == SUPERSEDED_FORMERLY {
        // The supersession was first stored as `Amended`; the event is named for what it is.
        if let Some(body) = payload
            .as_object_mut()
            .and_then(|o| o.remove(SUPERSEDED_FORMERLY))
        {
            return serde_json::json!({ "Superseded": body });
        }
    }
    let old_draft = event_type == "Drafted" && event_version != DRAFTED_VERSION;
    if let Some(draft) = payload
        .pointer_mut("/Drafted/draft")
        .and_then(|d| d.as_object_mut())
        .filter(|_| old_draft)
    {
        // v1 had no drafting unit: the issuing body drafted its own documents.
        let body = draft.get("body_code").cloned().unwrap_or_default();
        draft.entry("drafting_unit").or_insert(body);
        // Before v3 no document was flagged as business-related.
        draft.entry("market_related").or_insert(false.into());
    }
    payload
}

impl NormativeDocument {
    pub fn review(&self) -> Option<&Review> {
        self.reviews.last()
    }

    fn last_conclusion(&self) -> Option<&ReviewConclusion> {
        self.review().and_then(|r| r.conclusions.last())
    }

    /// 暂行/试行 documents: flagged, or named so in the title.
    pub fn is_trial(&self) -> bool {
        self.draft
            .as_ref()
            .is_some_and(|d| d.is_trial || d.title.contains("暂行") || d.title.contains("试行"))
    }

    /// Deliberation may follow a LAWFUL conclusion, or a MUST_REVISE one whose every issue
    /// the drafter answered in a submitted revision.
    fn review_allows_deliberation(&self) -> bool {
        match self.status {
            DocumentStatus::AwaitingDeliberation => true,
            DocumentStatus::UnderReview => self
                .last_conclusion()
                .is_some_and(|c| c.outcome == ReviewOutcome::MustRevise && c.responses.is_some()),
            _ => false,
        }
    }

    /// The draft, or INVALID_TRANSITION when the document was never drafted.
    fn drafted(&self, command: &'static str) -> Result<&Draft, DomainError> {
        self.draft.as_ref().ok_or(DomainError::InvalidTransition {
            command,
            what: "document",
            state: "NOT_DRAFTED".into(),
        })
    }

    /// The draft, when the document is in one of the `allowed` states.
    fn expect(
        &self,
        command: &'static str,
        allowed: &[DocumentStatus],
    ) -> Result<&Draft, DomainError> {
        let draft = self.drafted(command)?;
        if allowed.contains(&self.status) {
            Ok(draft)
        } else {
            Err(self.invalid(command))
        }
    }

    fn invalid(&self, command: &'static str) -> DomainError {
        DomainError::InvalidTransition {
            command,
            what: "document",
            state: self.status.as_str().into(),
        }
    }

    /// The longest validity allowed without a reason: 5 years, 2 for 暂行/试行; valid_until is
    /// the last day in force, so the limit is the day before the anniversary.
    pub fn max_valid_until(&self, effective_on: NaiveDate) -> Option<NaiveDate> {
        let years = if self.is_trial() { 2 } else { 5 };
        effective_on
            .checked_add_months(Months::new(12 * years))
            .and_then(|d| d.checked_sub_days(Days::new(1)))
    }
}

fn check_list(field: &'static str, items: &[String], max_chars: usize) -> Result<(), DomainError> {
    if items.len() > MAX_ITEMS {
        return Err(DomainError::invalid(
            field,
            format!("at most {MAX_ITEMS} entries"),
        ));
    }
    items
        .iter()
        .try_for_each(|i| check_text(field, i, max_chars))
}

fn check_opt(field: &'static str, value: &Option<String>, max: usize) -> Result<(), DomainError> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_optional_text(field, v, max))
}

fn not_before(
    field: &'static str,
    later: NaiveDate,
    earlier: NaiveDate,
    what: &str,
) -> Result<(), DomainError> {
    if later < earlier {
        return Err(DomainError::invalid(
            field,
            format!("must not be before {what} ({earlier})"),
        ));
    }
    Ok(())
}

impl Aggregate for NormativeDocument {
    const TYPE: &'static str = "NormativeDocument";
    type Command = DocumentCommand;
    type Event = DocumentEvent;
    type Error = DomainError;
    type Services = Box<dyn DocumentServices>;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        use DocumentStatus as S;
        let event = match command {
            DocumentCommand::Draft { id, draft } => {
                if self.draft.is_some() {
                    return Err(DomainError::DocumentAlreadyExists { id });
                }
                check_text("title", &draft.title, MAX_TITLE)?;
                check_optional_text("summary", &draft.summary, MAX_TEXT)?;
                check_text("draftingUnit", &draft.drafting_unit, MAX_SHORT)?;
                let body = services.issuing_body(&draft.body_code).await?;
                if !body.is_some_and(|b| b.is_listed_on(draft.drafted_on)) {
                    return Err(DomainError::IssuingBodyNotListed {
                        code: draft.body_code,
                        on: draft.drafted_on.to_string(),
                    });
                }
                DocumentEvent::Drafted { id, draft }
            }
            DocumentCommand::ReviseDraft {
                title,
                summary,
                is_trial,
                is_major_decision,
                revised_on,
            } => {
                let draft = self.expect("reviseDraft", &[S::Drafting, S::Revising])?;
                check_opt("summary", &summary, MAX_TEXT)?;
                if let Some(t) = &title {
                    check_text("title", t, MAX_TITLE)?;
                }
                not_before("revisedOn", revised_on, draft.drafted_on, "the draft date")?;
                if title.is_none()
                    && summary.is_none()
                    && is_trial.is_none()
                    && is_major_decision.is_none()
                {
                    return Err(DomainError::invalid("input", "nothing to revise"));
                }
                DocumentEvent::DraftRevised {
                    title,
                    summary,
                    is_trial,
                    is_major_decision,
                    revised_on,
                }
            }
            DocumentCommand::OpenConsultation {
                opened_on,
                closes_on,
                channel,
            } => {
                let draft = self.expect("openConsultation", &[S::Drafting])?;
                check_text("channel", &channel, MAX_SHORT)?;
                not_before("openedOn", opened_on, draft.drafted_on, "the draft date")?;
                not_before("closesOn", closes_on, opened_on, "the opening date")?;
                DocumentEvent::ConsultationOpened {
                    opened_on,
                    closes_on,
                    channel,
                }
            }
            DocumentCommand::CloseConsultation {
                closed_on,
                comments_received,
                adoption_summary,
            } => {
                self.expect("closeConsultation", &[S::Consultation])?;
                check_optional_text("adoptionSummary", &adoption_summary, MAX_TEXT)?;
                if let Some(c) = self.consultations.last() {
                    not_before("closedOn", closed_on, c.opened_on, "the opening date")?;
                }
                DocumentEvent::ConsultationClosed {
                    closed_on,
                    comments_received,
                    adoption_summary,
                }
            }
            DocumentCommand::SubmitForReview {
                submitted_on,
                materials,
            } => {
                let draft = self.expect("submitForReview", &[S::Drafting])?;
                if materials.is_empty() {
                    return Err(DomainError::invalid(
                        "materials",
                        "list the submitted materials (送审材料), at least the draft",
                    ));
                }
                check_list("materials", &materials, MAX_SHORT)?;
                not_before(
                    "submittedOn",
                    submitted_on,
                    draft.drafted_on,
                    "the draft date",
                )?;
                DocumentEvent::SubmittedForReview {
                    submitted_on,
                    materials,
                }
            }
            DocumentCommand::ReturnMaterials {
                returned_on,
                reason,
            } => {
                self.expect("returnMaterials", &[S::Submitted])?;
                check_text("reason", &reason, MAX_TEXT)?;
                DocumentEvent::MaterialsReturned(MaterialsReturn {
                    returned_on,
                    reason,
                })
            }
            DocumentCommand::StartReview { started_on, due_on } => {
                self.expect("startReview", &[S::Submitted])?;
                if let Some(r) = self.review() {
                    not_before("startedOn", started_on, r.submitted_on, "the submission")?;
                }
                not_before("dueOn", due_on, started_on, "the start of the review")?;
                DocumentEvent::ReviewStarted { started_on, due_on }
            }
            DocumentCommand::AddAdvisorOpinion(opinion) => {
                self.expect(
                    "addAdvisorOpinion",
                    &[S::UnderReview, S::Revising, S::AwaitingDeliberation],
                )?;
                check_text("text", &opinion.text, MAX_TEXT)?;
                check_opt("conclusion", &opinion.conclusion, MAX_SHORT)?;
                DocumentEvent::AdvisorOpinionAdded(opinion)
            }
            DocumentCommand::ConcludeReview {
                outcome,
                issues,
                opinion,
                concluded_on,
            } => {
                let draft = self.expect("concludeReview", &[S::UnderReview])?;
                check_text("opinion", &opinion, MAX_TEXT)?;
                if issues.len() > MAX_ITEMS {
                    return Err(DomainError::invalid("issues", "at most 200 issues"));
                }
                for i in &issues {
                    check_text("issues.text", &i.text, MAX_TEXT)?;
                    check_opt("issues.clause", &i.clause, MAX_SHORT)?;
                }
                if outcome != ReviewOutcome::Lawful && issues.is_empty() {
                    return Err(DomainError::IssuesRequired {
                        outcome: match outcome {
                            ReviewOutcome::MustRevise => "MUST_REVISE",
                            _ => "UNLAWFUL",
                        },
                    });
                }
                let review = self.review().expect("UNDER_REVIEW implies a review");
                if draft.is_major_decision && review.opinions.is_empty() {
                    return Err(DomainError::AdvisorOpinionRequired);
                }
                if let Some(started) = review.started_on {
                    not_before(
                        "concludedOn",
                        concluded_on,
                        started,
                        "the start of the review",
                    )?;
                }
                DocumentEvent::ReviewConcluded {
                    outcome,
                    issues: issues
                        .into_iter()
                        .zip(1..)
                        .map(|(i, number)| ReviewIssue {
                            number,
                            clause: i.clause,
                            text: i.text,
                        })
                        .collect(),
                    opinion,
                    concluded_on,
                }
            }
            DocumentCommand::SubmitRevision {
                submitted_on,
                responses,
            } => {
                self.expect("submitRevision", &[S::Revising])?;
                let conclusion = self
                    .last_conclusion()
                    .expect("REVISING implies a conclusion");
                check_responses(conclusion, &responses)?;
                DocumentEvent::RevisionSubmitted {
                    submitted_on,
                    responses,
                }
            }
            DocumentCommand::RecordDeliberation(d) => {
                self.drafted("recordDeliberation")?;
                if !self.review_allows_deliberation() {
                    return Err(
                        if self.status.is_open_draft() && self.status != S::Approved {
                            DomainError::ReviewNotLawful
                        } else {
                            self.invalid("recordDeliberation")
                        },
                    );
                }
                check_text("meeting", &d.meeting, MAX_SHORT)?;
                check_opt("minutesReference", &d.minutes_reference, MAX_SHORT)?;
                check_opt("dissent", &d.dissent, MAX_TEXT)?;
                if let Some(c) = self.last_conclusion() {
                    not_before(
                        "heldOn",
                        d.held_on,
                        c.concluded_on,
                        "the review's conclusion",
                    )?;
                }
                DocumentEvent::Deliberated(d)
            }
            DocumentCommand::Issue {
                number,
                registration_number,
                signer,
                issued_on,
                published_on,
                effective_on,
                valid_until,
                validity_override_reason,
            } => {
                let draft = self.drafted("issueDocument")?;
                if self.status != S::Approved {
                    return Err(if self.status.is_open_draft() {
                        DomainError::NotApproved
                    } else {
                        self.invalid("issueDocument")
                    });
                }
                check_text("signer", &signer, MAX_SHORT)?;
                check_opt("registrationNumber", &registration_number, 64)?;
                check_opt(
                    "validityOverrideReason",
                    &validity_override_reason,
                    MAX_TEXT,
                )?;
                if let Some(d) = self.deliberations.last() {
                    not_before("issuedOn", issued_on, d.held_on, "the deliberation")?;
                }
                if i32::from(number.year) != issued_on.year() {
                    return Err(DomainError::invalid(
                        "number",
                        format!(
                            "the year in the 文号 must be the year of issue ({})",
                            issued_on.year()
                        ),
                    ));
                }
                not_before("publishedOn", published_on, issued_on, "the issue date")?;
                not_before("effectiveOn", effective_on, published_on, "publication")?;
                let body = services.issuing_body(&draft.body_code).await?;
                if !body.is_some_and(|b| b.has_agency_code(&number.agency_code)) {
                    return Err(DomainError::AgencyCodeNotOfBody {
                        code: draft.body_code.clone(),
                        agency_code: number.agency_code,
                    });
                }
                let holder = services.document_number_holder(&number).await?;
                if let Some(holder) = holder.filter(|h| Some(h) != self.id.as_ref()) {
                    return Err(DomainError::DocumentNumberTaken {
                        number: number.to_string(),
                        holder,
                    });
                }
                let max = self.max_valid_until(effective_on).ok_or_else(|| {
                    DomainError::invalid("effectiveOn", "is out of the supported range")
                })?;
                let valid_until = valid_until.unwrap_or(max);
                if valid_until < effective_on {
                    return Err(DomainError::invalid(
                        "validUntil",
                        "must not be before effectiveOn",
                    ));
                }
                let has_reason = validity_override_reason
                    .as_deref()
                    .is_some_and(|r| !r.trim().is_empty());
                if valid_until > max && !has_reason {
                    return Err(DomainError::ValidityTooLong {
                        max_years: if self.is_trial() { 2 } else { 5 },
                    });
                }
                DocumentEvent::Issued(Issuance {
                    number,
                    registration_number,
                    signer,
                    issued_on,
                    published_on,
                    effective_on,
                    valid_until,
                    validity_override_reason: validity_override_reason.filter(|_| has_reason),
                })
            }
            DocumentCommand::FileForRecord {
                filed_on,
                authorities,
            } => {
                self.expect("fileForRecord", &[S::Issued])?;
                if !matches!(
                    self.filing_status,
                    FilingStatus::NotFiled | FilingStatus::CorrectionRequired
                ) {
                    return Err(DomainError::InvalidTransition {
                        command: "fileForRecord",
                        what: "filing",
                        state: self.filing_status.as_str().into(),
                    });
                }
                if authorities.is_empty() {
                    return Err(DomainError::invalid(
                        "authorities",
                        "name at least one filing authority (备案机关)",
                    ));
                }
                check_list("authorities", &authorities, MAX_SHORT)?;
                if let Some(i) = &self.issuance {
                    not_before("filedOn", filed_on, i.published_on, "publication")?;
                }
                DocumentEvent::FiledForRecord {
                    filed_on,
                    authorities,
                }
            }
            DocumentCommand::RecordFilingReview {
                outcome,
                reviewed_on,
                notes,
            } => {
                self.expect(
                    "recordFilingReview",
                    &[S::Issued, S::Repealed, S::Expired, S::DeclaredInvalid],
                )?;
                if self.filing_status != FilingStatus::Filed {
                    return Err(DomainError::InvalidTransition {
                        command: "recordFilingReview",
                        what: "filing",
                        state: self.filing_status.as_str().into(),
                    });
                }
                check_opt("notes", &notes, MAX_TEXT)?;
                if let Some(f) = self.filings.last() {
                    not_before("reviewedOn", reviewed_on, f.filed_on, "the filing")?;
                }
                DocumentEvent::FilingReviewed {
                    outcome,
                    reviewed_on,
                    notes,
                }
            }
            DocumentCommand::Correct(c) => {
                self.expect("correctDocument", &[S::Issued])?;
                check_text("description", &c.description, MAX_TEXT)?;
                DocumentEvent::Corrected(c)
            }
            DocumentCommand::Repeal(e) => {
                self.expect("repealDocument", &[S::Issued])?;
                check_text("reason", &e.reason, MAX_TEXT)?;
                check_opt("decisionDocument", &e.decision_document, MAX_SHORT)?;
                if let Some(i) = &self.issuance {
                    not_before("on", e.on, i.issued_on, "the issue date")?;
                }
                DocumentEvent::Repealed(e)
            }
            DocumentCommand::Withdraw(e) => {
                let draft = self.drafted("withdrawDocument")?;
                if !self.status.is_open_draft() {
                    return Err(self.invalid("withdrawDocument"));
                }
                check_text("reason", &e.reason, MAX_TEXT)?;
                not_before("on", e.on, draft.drafted_on, "the draft date")?;
                DocumentEvent::Withdrawn(e)
            }
            DocumentCommand::Republish {
                republished_on,
                registration_number,
                valid_until,
                validity_override_reason,
            } => self.republish(
                republished_on,
                registration_number,
                valid_until,
                validity_override_reason,
            )?,
            DocumentCommand::Expire { on } => {
                self.expect("expireDocument", &[S::Issued])?;
                let valid_until = self.issuance.as_ref().map(|i| i.valid_until);
                if let Some(valid_until) = valid_until.filter(|v| on <= *v) {
                    return Err(DomainError::NotYetExpired {
                        valid_until: valid_until.to_string(),
                    });
                }
                DocumentEvent::Expired { on }
            }
            DocumentCommand::ApplyCleanupDecision(outcome) => {
                self.drafted("applyCleanupDecision")?;
                if self
                    .cleanups
                    .iter()
                    .any(|c| c.campaign_id == outcome.campaign_id)
                {
                    // Already applied: the process manager is re-running. Nothing to write.
                    return Ok(());
                }
                let ending = Ending {
                    on: outcome.decided_on,
                    reason: format!("cleanup result {}", outcome.result_number),
                    decision_document: Some(outcome.result_number.clone()),
                };
                let effect = match outcome.decision {
                    // A document that already left force keeps its ending; the decision is
                    // still recorded so the campaign's result is complete.
                    _ if self.status != S::Issued => None,
                    CleanupDecision::Repeal => Some(DocumentEvent::Repealed(ending)),
                    CleanupDecision::DeclareInvalid => Some(DocumentEvent::DeclaredInvalid(ending)),
                    CleanupDecision::Continue | CleanupDecision::Amend => None,
                };
                sink.write(DocumentEvent::CleanupDecided(outcome), self)
                    .await;
                if let Some(effect) = effect {
                    sink.write(effect, self).await;
                }
                return Ok(());
            }
            DocumentCommand::Supersede(s) => {
                self.expect("supersedeDocument", &[S::Issued])?;
                check_text("supersededBy", &s.superseded_by, MAX_SHORT)?;
                if let Some(i) = &self.issuance {
                    not_before("on", s.on, i.issued_on, "the issue date")?;
                }
                DocumentEvent::Superseded(s)
            }
            DocumentCommand::Import { id, record } => {
                if self.draft.is_some() {
                    return Err(DomainError::DocumentAlreadyExists { id });
                }
                check_import(&record)?;
                let body = services.issuing_body(&record.body_code).await?;
                let Some(body) = body else {
                    return Err(DomainError::IssuingBodyNotListed {
                        code: record.body_code.clone(),
                        on: record.issued_on.to_string(),
                    });
                };
                if !body.has_agency_code(&record.number.agency_code) {
                    return Err(DomainError::AgencyCodeNotOfBody {
                        code: record.body_code.clone(),
                        agency_code: record.number.agency_code.clone(),
                    });
                }
                if let Some(holder) = services.document_number_holder(&record.number).await? {
                    return Err(DomainError::DocumentNumberTaken {
                        number: record.number.to_string(),
                        holder,
                    });
                }
                DocumentEvent::DocumentImported { id, record }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        use DocumentStatus as S;
        match event {
            DocumentEvent::Drafted { id, draft } => {
                self.id = Some(id);
                self.draft = Some(draft);
                self.status = S::Drafting;
            }
            DocumentEvent::DraftRevised {
                title,
                summary,
                is_trial,
                is_major_decision,
                ..
            } => {
                if let Some(d) = &mut self.draft {
                    if let Some(t) = title {
                        d.title = t;
                    }
                    if let Some(s) = summary {
                        d.summary = s;
                    }
                    if let Some(t) = is_trial {
                        d.is_trial = t;
                    }
                    if let Some(m) = is_major_decision {
                        d.is_major_decision = m;
                    }
                }
                self.revision_count += 1;
            }
            DocumentEvent::ConsultationOpened {
                opened_on,
                closes_on,
                channel,
            } => {
                self.consultations.push(Consultation {
                    opened_on,
                    closes_on,
                    channel,
                    closed_on: None,
                    comments_received: None,
                    adoption_summary: None,
                });
                self.status = S::Consultation;
            }
            DocumentEvent::ConsultationClosed {
                closed_on,
                comments_received,
                adoption_summary,
            } => {
                if let Some(c) = self.consultations.last_mut() {
                    c.closed_on = Some(closed_on);
                    c.comments_received = Some(comments_received);
                    c.adoption_summary = Some(adoption_summary);
                }
                self.status = S::Drafting;
            }
            DocumentEvent::SubmittedForReview {
                submitted_on,
                materials,
            } => {
                self.reviews.push(Review {
                    submitted_on,
                    materials,
                    returns: vec![],
                    started_on: None,
                    due_on: None,
                    opinions: vec![],
                    conclusions: vec![],
                });
                self.status = S::Submitted;
            }
            DocumentEvent::MaterialsReturned(r) => {
                if let Some(review) = self.reviews.last_mut() {
                    review.returns.push(r);
                }
                self.status = S::Drafting;
            }
            DocumentEvent::ReviewStarted { started_on, due_on } => {
                if let Some(review) = self.reviews.last_mut() {
                    review.started_on = Some(started_on);
                    review.due_on = Some(due_on);
                }
                self.status = S::UnderReview;
            }
            DocumentEvent::AdvisorOpinionAdded(o) => {
                if let Some(review) = self.reviews.last_mut() {
                    review.opinions.push(o);
                }
            }
            DocumentEvent::ReviewConcluded {
                outcome,
                issues,
                opinion,
                concluded_on,
            } => {
                if let Some(review) = self.reviews.last_mut() {
                    review.conclusions.push(ReviewConclusion {
                        outcome,
                        issues,
                        opinion,
                        concluded_on,
                        responses: None,
                    });
                }
                self.status = match outcome {
                    ReviewOutcome::Lawful => S::AwaitingDeliberation,
                    ReviewOutcome::MustRevise => S::Revising,
                    ReviewOutcome::Unlawful => S::Drafting,
                };
            }
            DocumentEvent::RevisionSubmitted { responses, .. } => {
                if let Some(c) = self
                    .reviews
                    .last_mut()
                    .and_then(|r| r.conclusions.last_mut())
                {
                    c.responses = Some(responses);
                }
                self.status = S::UnderReview;
            }
            DocumentEvent::Deliberated(d) => {
                self.status = match d.outcome {
                    DeliberationOutcome::Approved | DeliberationOutcome::ApprovedWithChanges => {
                        S::Approved
                    }
                    DeliberationOutcome::Rejected => S::Rejected,
                    DeliberationOutcome::Deferred => S::Drafting,
                };
                self.deliberations.push(d);
            }
            DocumentEvent::Issued(i) => {
                self.issuance = Some(i);
                self.status = S::Issued;
            }
            DocumentEvent::FiledForRecord {
                filed_on,
                authorities,
            } => {
                self.filings.push(FilingRecord {
                    filed_on,
                    authorities,
                    outcome: None,
                    reviewed_on: None,
                    notes: None,
                });
                self.filing_status = FilingStatus::Filed;
            }
            DocumentEvent::FilingReviewed {
                outcome,
                reviewed_on,
                notes,
            } => {
                if let Some(f) = self.filings.last_mut() {
                    f.outcome = Some(outcome);
                    f.reviewed_on = Some(reviewed_on);
                    f.notes = notes;
                }
                self.filing_status = match outcome {
                    FilingReviewOutcome::Accepted => FilingStatus::Accepted,
                    FilingReviewOutcome::CorrectionRequired => FilingStatus::CorrectionRequired,
                };
            }
            DocumentEvent::Corrected(c) => self.corrections.push(c),
            DocumentEvent::Repealed(e) => {
                self.ending = Some(e);
                self.status = S::Repealed;
            }
            DocumentEvent::Withdrawn(e) => {
                self.ending = Some(e);
                self.status = S::Withdrawn;
            }
            DocumentEvent::Republished(r) => {
                if let Some(i) = &mut self.issuance {
                    i.valid_until = r.valid_until;
                }
                self.republications.push(r);
            }
            DocumentEvent::Expired { on } => {
                self.ending = Some(Ending {
                    on,
                    reason: "validity period ended without republication".into(),
                    decision_document: None,
                });
                self.status = S::Expired;
            }
            DocumentEvent::CleanupDecided(c) => self.cleanups.push(c),
            DocumentEvent::DeclaredInvalid(e) => {
                self.ending = Some(e);
                self.status = S::DeclaredInvalid;
            }
            DocumentEvent::Superseded(s) => {
                self.ending = Some(Ending {
                    on: s.on,
                    reason: format!("superseded by {}", s.superseded_by),
                    decision_document: Some(s.superseded_by.clone()),
                });
                self.superseded_by = Some(s.superseded_by);
                self.status = S::Superseded;
            }
            DocumentEvent::DocumentImported { id, record } => {
                self.id = Some(id);
                self.draft = Some(Draft {
                    body_code: record.body_code.clone(),
                    title: record.title,
                    class: record.class,
                    is_trial: record.is_trial,
                    is_major_decision: false,
                    summary: String::new(),
                    drafted_on: record.issued_on,
                    drafting_unit: record.body_code,
                    market_related: false,
                });
                self.issuance = Some(Issuance {
                    number: record.number,
                    registration_number: None,
                    signer: String::new(),
                    issued_on: record.issued_on,
                    published_on: record.published_on,
                    effective_on: record.effective_on,
                    valid_until: record.valid_until,
                    validity_override_reason: None,
                });
                if let Some(filed_on) = record.filed_on {
                    self.filings.push(FilingRecord {
                        filed_on,
                        authorities: vec![],
                        outcome: None,
                        reviewed_on: None,
                        notes: None,
                    });
                    self.filing_status = FilingStatus::Filed;
                }
                self.ending = record.ended_on.map(|on| Ending {
                    on,
                    reason: format!("{} before import", record.status.as_str()),
                    decision_document: None,
                });
                self.status = record.status;
                self.imported = Some(record.provenance);
            }
        }
    }
}

impl NormativeDocument {
    fn republish(
        &self,
        republished_on: NaiveDate,
        registration_number: Option<String>,
        valid_until: Option<NaiveDate>,
        validity_override_reason: Option<String>,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("republishDocument", &[DocumentStatus::Issued])?;
        check_opt("registrationNumber", &registration_number, 64)?;
        check_opt(
            "validityOverrideReason",
            &validity_override_reason,
            MAX_TEXT,
        )?;
        let Some(issuance) = &self.issuance else {
            return Err(self.invalid("republishDocument"));
        };
        not_before(
            "republishedOn",
            republished_on,
            issuance.issued_on,
            "the issue date",
        )?;
        // "重新计算有效期" presupposes a document still in force: after valid_until it has expired.
        if republished_on > issuance.valid_until {
            return Err(DomainError::AlreadyExpired {
                valid_until: issuance.valid_until.to_string(),
            });
        }
        let max = self.max_valid_until(republished_on).ok_or_else(|| {
            DomainError::invalid("republishedOn", "is out of the supported range")
        })?;
        let valid_until = valid_until.unwrap_or(max);
        not_before("validUntil", valid_until, republished_on, "republication")?;
        let has_reason = validity_override_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        if valid_until > max && !has_reason {
            return Err(DomainError::ValidityTooLong {
                max_years: if self.is_trial() { 2 } else { 5 },
            });
        }
        Ok(DocumentEvent::Republished(Republication {
            republished_on,
            registration_number,
            valid_until,
            validity_override_reason: validity_override_reason.filter(|_| has_reason),
        }))
    }
}

/// A catalogue record must be coherent on its own: dates in order, an end date exactly
/// when it has ended, a provenance.
pub fn check_import(r: &ImportedRecord) -> Result<(), DomainError> {
    check_text("title", &r.title, MAX_TITLE)?;
    check_text("provenance", &r.provenance, MAX_SHORT)?;
    if i32::from(r.number.year) != r.issued_on.year() {
        return Err(DomainError::invalid(
            "number",
            format!(
                "the year in the 文号 must be the year of issue ({})",
                r.issued_on.year()
            ),
        ));
    }
    not_before("publishedOn", r.published_on, r.issued_on, "the issue date")?;
    not_before("effectiveOn", r.effective_on, r.published_on, "publication")?;
    not_before("validUntil", r.valid_until, r.effective_on, "effectiveOn")?;
    if let Some(f) = r.filed_on {
        not_before("filedOn", f, r.published_on, "publication")?;
    }
    use DocumentStatus as S;
    match (r.status, r.ended_on) {
        (S::Issued, None) => Ok(()),
        (S::Issued, Some(_)) => Err(DomainError::invalid(
            "endedOn",
            "must be empty for a document still in force",
        )),
        (S::Expired | S::Repealed | S::DeclaredInvalid | S::Superseded | S::Revoked, Some(on)) => {
            not_before("endedOn", on, r.issued_on, "the issue date")
        }
        (S::Expired | S::Repealed | S::DeclaredInvalid | S::Superseded | S::Revoked, None) => Err(
            DomainError::invalid("endedOn", "is required for a document no longer in force"),
        ),
        (other, _) => Err(DomainError::invalid(
            "status",
            format!(
                "{} is not a status of an issued document; expected ISSUED, EXPIRED, REPEALED, DECLARED_INVALID, SUPERSEDED or REVOKED",
                other.as_str()
            ),
        )),
    }
}

/// Every issue answered exactly once; a reason for each one not adopted.
fn check_responses(
    conclusion: &ReviewConclusion,
    responses: &[IssueResponse],
) -> Result<(), DomainError> {
    let incomplete = |detail: String| DomainError::IssueResponsesIncomplete { detail };
    for r in responses {
        check_opt("responses.reason", &r.reason, MAX_TEXT)?;
        if !conclusion.issues.iter().any(|i| i.number == r.issue_number) {
            return Err(incomplete(format!("there is no issue {}", r.issue_number)));
        }
        if !r.adopted && r.reason.as_deref().is_none_or(|s| s.trim().is_empty()) {
            return Err(incomplete(format!(
                "issue {} is not adopted and has no reason",
                r.issue_number
            )));
        }
    }
    for issue in &conclusion.issues {
        let n = responses
            .iter()
            .filter(|r| r.issue_number == issue.number)
            .count();
        if n != 1 {
            return Err(incomplete(format!(
                "issue {} is answered {n} times",
                issue.number
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
