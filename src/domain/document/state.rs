//! The folded state of a normative document and how each event changes it (`apply`).

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::DocumentEvent;
use crate::domain::document_number::DocumentNumber;
use crate::domain::error::DomainError;
pub use crate::domain::issuing_body::MeetingType;
use crate::domain::text::{self, Clause, TextStage};

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

/// Filing for record (备案) status, beside the main status once issued: the state of the
/// document's filings with all its authorities taken together, the one that needs action
/// first (revoked, refused, awaiting a correction or materials, under review, accepted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilingStatus {
    #[default]
    NotFiled,
    /// Filed; at least one authority has not decided yet.
    Filed,
    /// Every authority accepted it (准予备案).
    Accepted,
    /// An authority asked for a correction or for materials: the body files again.
    CorrectionRequired,
    /// An authority refused to record it (不予备案).
    Refused,
    /// An authority revoked it (撤销); the document has ended.
    Revoked,
}

impl FilingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::NotFiled => "NOT_FILED",
            FilingStatus::Filed => "FILED",
            FilingStatus::Accepted => "ACCEPTED",
            FilingStatus::CorrectionRequired => "CORRECTION_REQUIRED",
            FilingStatus::Refused => "REFUSED",
            FilingStatus::Revoked => "REVOKED",
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

/// Outcome of a filing authority's review (备案审查).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilingReviewOutcome {
    /// 准予备案.
    Accepted,
    /// 建议自行纠正: the body corrects the document by a deadline and files again.
    CorrectionRequired,
    /// 补正后登记: recorded once the body sends what is missing.
    MaterialsRequested,
    /// 撤销: the authority revokes the document, which ends it.
    Revoked,
    /// 不予备案.
    Refused,
}

impl FilingReviewOutcome {
    /// The outcomes after which the body files with that authority again.
    pub fn asks_to_refile(self) -> bool {
        matches!(
            self,
            FilingReviewOutcome::CorrectionRequired | FilingReviewOutcome::MaterialsRequested
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            FilingReviewOutcome::Accepted => "ACCEPTED 准予备案",
            FilingReviewOutcome::CorrectionRequired => "CORRECTION_REQUIRED 建议自行纠正",
            FilingReviewOutcome::MaterialsRequested => "MATERIALS_REQUESTED 补正后登记",
            FilingReviewOutcome::Revoked => "REVOKED 撤销",
            FilingReviewOutcome::Refused => "REFUSED 不予备案",
        }
    }
}

/// Days a filing authority has to review a filing (备案审查), and the most it may extend
/// them, once.
pub const FILING_REVIEW_DAYS: u64 = 30;
pub const FILING_REVIEW_MAX_EXTENSION_DAYS: u32 = 20;
/// Default days a body has to answer a requested correction (建议自行纠正).
pub const FILING_CORRECTION_DAYS: u64 = 30;

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

/// One version of the document's text (正文). The text itself travels in its `TextRecorded`
/// event, which the hash chain covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextVersion {
    /// 1, 2, … in the order recorded.
    pub version: u32,
    pub stage: TextStage,
    /// SHA-256 of the normalised text, in hex: the version's identity.
    pub hash: String,
    pub characters: usize,
    pub recorded_on: NaiveDate,
    /// Present when the state is folded from the events (command handling, as-of reads); the
    /// read model's row leaves it out, and its readers take texts from the log.
    #[serde(skip_serializing, default)]
    pub text: String,
}

/// A text version as its event records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedText {
    pub version: u32,
    pub stage: TextStage,
    pub hash: String,
    pub text: String,
    pub recorded_on: NaiveDate,
}

/// Where an opinion or a review issue points: a clause of a text version, and optionally the
/// words it is about (which must appear in that clause).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub version: u32,
    pub clause: String,
    pub quote: Option<String>,
}

/// The legal office's confirmation that a revised text's changes since the text the review
/// concluded on are accepted, so that text may be deliberated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextConfirmation {
    pub from_version: u32,
    pub to_version: u32,
    /// The ids of the changed clauses accepted (all of them, or the confirmation is refused).
    pub accepted: Vec<String>,
    pub confirmed_on: NaiveDate,
}

/// A screening warning the legal office considered: which one, and its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsideredWarning {
    pub version: u32,
    pub clause: String,
    /// The screening rule's code.
    pub code: String,
    pub reason: String,
    pub considered_on: NaiveDate,
}

/// One itemised issue of a review opinion, numbered from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewIssue {
    pub number: u32,
    /// Free-text reference (e.g. 第五条), for issues written before texts were recorded.
    pub clause: Option<String>,
    pub text: String,
    #[serde(default)]
    pub anchor: Option<Anchor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueResponse {
    pub issue_number: u32,
    pub adopted: bool,
    pub reason: Option<String>,
    /// The clause of the revised text that answers the issue.
    #[serde(default)]
    pub clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisorOpinion {
    pub advisor_id: String,
    pub advisor_name: String,
    pub text: String,
    pub conclusion: Option<String>,
    pub given_on: NaiveDate,
    #[serde(default)]
    pub anchor: Option<Anchor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewConclusion {
    pub outcome: ReviewOutcome,
    pub issues: Vec<ReviewIssue>,
    pub opinion: String,
    pub concluded_on: NaiveDate,
    /// The drafter's answers, once a revision was submitted for this conclusion.
    pub responses: Option<Vec<IssueResponse>>,
    /// The text version the review concluded on.
    #[serde(default)]
    pub text_version: Option<u32>,
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
    /// Which meeting deliberated (absent from deliberations recorded before it was asked).
    #[serde(default)]
    pub meeting_type: Option<MeetingType>,
    /// The meeting itself, e.g. 县政府第12次常务会议.
    pub meeting: String,
    pub held_on: NaiveDate,
    pub minutes_reference: Option<String>,
    pub dissent: Option<String>,
    /// The text version deliberated (the latest when the command names none).
    #[serde(default)]
    pub text_version: Option<u32>,
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
    /// The text version issued (印发稿).
    #[serde(default)]
    pub text_version: Option<u32>,
}

/// One filing with one authority (备案机关): a document filed with two authorities has two,
/// and a filing again after a correction adds one per authority filed with again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilingRecord {
    /// Empty for documents imported with a filing date and no authority.
    #[serde(default)]
    pub authority: String,
    pub filed_on: NaiveDate,
    pub outcome: Option<FilingReviewOutcome>,
    pub reviewed_on: Option<NaiveDate>,
    pub notes: Option<String>,
    /// Days the authority extended its review by (once, at most 20).
    #[serde(default)]
    pub extended_by_days: Option<u32>,
    /// When the outcome asks for a correction: by when the body answers.
    #[serde(default)]
    pub correction_due_on: Option<NaiveDate>,
    /// Which act of filing (the document's n-th `FiledForRecord`, from 0) made this record;
    /// none for a filing date that came with an import.
    #[serde(default)]
    pub act: Option<u32>,
}

impl FilingRecord {
    /// The day the authority's review is due: 30 days after filing, plus an extension.
    pub fn review_due_on(&self) -> NaiveDate {
        self.filed_on
            + Days::new(FILING_REVIEW_DAYS + u64::from(self.extended_by_days.unwrap_or(0)))
    }
}

/// What a file of the submission package (送审材料) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MaterialKind {
    /// 起草说明.
    DraftingExplanation,
    /// 征求意见及采纳情况.
    ConsultationReport,
    /// 制定依据.
    LegalBasis,
    /// 合法性初审意见 (the drafting body's own legal unit).
    PreliminaryReview,
    Other,
}

/// A file of the submission package as its event records it: its bytes (base64) are in the
/// payload, so the hash chain covers them, like a text's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedAttachment {
    pub name: String,
    pub kind: MaterialKind,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, in hex.
    pub sha256: String,
    pub content_base64: String,
    pub added_on: NaiveDate,
    /// The document's status when it was added (drafting, submitted, in review…).
    pub stage: DocumentStatus,
}

/// A file of the submission package as the document lists it (its bytes are in the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub kind: MaterialKind,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub added_on: NaiveDate,
    pub stage: DocumentStatus,
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
    /// The text versions, oldest first.
    pub texts: Vec<TextVersion>,
    pub text_confirmations: Vec<TextConfirmation>,
    pub considered_warnings: Vec<ConsideredWarning>,
    /// The submission package's files (送审材料), oldest first.
    pub attachments: Vec<Attachment>,
    /// How many times the document was filed (`FiledForRecord` events).
    #[serde(default)]
    pub filing_acts: u32,
    /// Mis-keyed facts corrected (更正), oldest first.
    #[serde(default)]
    pub fact_corrections: Vec<super::FactCorrection>,
    /// The public's review suggestions (审查建议) and their answers, oldest first.
    #[serde(default)]
    pub review_suggestions: Vec<super::ReviewSuggestion>,
}

impl NormativeDocument {
    pub fn review(&self) -> Option<&Review> {
        self.reviews.last()
    }

    pub(super) fn last_conclusion(&self) -> Option<&ReviewConclusion> {
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
    pub(super) fn review_allows_deliberation(&self) -> bool {
        match self.status {
            DocumentStatus::AwaitingDeliberation => true,
            DocumentStatus::UnderReview => self
                .last_conclusion()
                .is_some_and(|c| c.outcome == ReviewOutcome::MustRevise && c.responses.is_some()),
            _ => false,
        }
    }

    /// The draft, or INVALID_TRANSITION when the document was never drafted.
    pub(super) fn drafted(&self, command: &'static str) -> Result<&Draft, DomainError> {
        self.draft.as_ref().ok_or(DomainError::InvalidTransition {
            command,
            what: "document",
            state: "NOT_DRAFTED".into(),
        })
    }

    /// The draft, when the document is in one of the `allowed` states.
    pub(super) fn expect(
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

    pub(super) fn invalid(&self, command: &'static str) -> DomainError {
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

impl FilingRecord {
    pub(super) fn new(authority: String, filed_on: NaiveDate, act: Option<u32>) -> Self {
        FilingRecord {
            act,
            authority,
            filed_on,
            outcome: None,
            reviewed_on: None,
            notes: None,
            extended_by_days: None,
            correction_due_on: None,
        }
    }
}

/// Filing (备案), read from the filings.
impl NormativeDocument {
    /// The latest filing with each authority, in the order first filed: what each authority
    /// holds now.
    pub fn current_filings(&self) -> Vec<&FilingRecord> {
        let mut out: Vec<&FilingRecord> = vec![];
        for f in &self.filings {
            match out.iter_mut().find(|o| o.authority == f.authority) {
                Some(slot) => *slot = f,
                None => out.push(f),
            }
        }
        out
    }

    /// The latest filing with `authority`, if it awaits the authority's decision.
    pub(super) fn open_filing(&self, authority: &str) -> Option<&FilingRecord> {
        self.current_filings()
            .into_iter()
            .find(|f| f.authority == authority && f.outcome.is_none())
    }

    fn open_filing_mut(&mut self, authority: &str) -> Option<&mut FilingRecord> {
        self.filings
            .iter_mut()
            .rev()
            .find(|f| f.authority == authority)
            .filter(|f| f.outcome.is_none())
    }

    /// The earliest deadline of a requested correction (建议自行纠正) the body has not yet
    /// answered by filing again, while the document is in force.
    pub fn correction_due_on(&self) -> Option<NaiveDate> {
        if self.status != DocumentStatus::Issued {
            return None;
        }
        self.current_filings()
            .into_iter()
            .filter_map(|f| {
                f.correction_due_on
                    .filter(|_| f.outcome.is_some_and(FilingReviewOutcome::asks_to_refile))
            })
            .min()
    }

    fn refresh_filing_status(&mut self) {
        use FilingReviewOutcome as O;
        let current = self.current_filings();
        let any = |o: Option<O>| current.iter().any(|f| f.outcome == o);
        self.filing_status = if current.is_empty() {
            FilingStatus::NotFiled
        } else if any(Some(O::Revoked)) {
            FilingStatus::Revoked
        } else if any(Some(O::Refused)) {
            FilingStatus::Refused
        } else if any(Some(O::CorrectionRequired)) || any(Some(O::MaterialsRequested)) {
            FilingStatus::CorrectionRequired
        } else if any(None) {
            FilingStatus::Filed
        } else {
            FilingStatus::Accepted
        };
    }
}

impl NormativeDocument {
    /// Folds one event into the state (the aggregate's `apply`).
    pub(super) fn evolve(&mut self, event: DocumentEvent) {
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
                text_version,
            } => {
                if let Some(review) = self.reviews.last_mut() {
                    review.conclusions.push(ReviewConclusion {
                        outcome,
                        issues,
                        opinion,
                        concluded_on,
                        responses: None,
                        text_version,
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
                let act = Some(self.filing_acts);
                self.filing_acts += 1;
                for authority in authorities {
                    self.filings
                        .push(FilingRecord::new(authority, filed_on, act));
                }
                self.refresh_filing_status();
            }
            DocumentEvent::FilingReviewed {
                authority,
                outcome,
                reviewed_on,
                notes,
                correction_due_on,
            } => {
                // Before filings had one authority each, an outcome answered every filing
                // still open.
                let open = |f: &&mut FilingRecord| {
                    f.outcome.is_none() && authority.as_ref().is_none_or(|a| *a == f.authority)
                };
                for f in self.filings.iter_mut().filter(open) {
                    f.outcome = Some(outcome);
                    f.reviewed_on = Some(reviewed_on);
                    f.notes.clone_from(&notes);
                    f.correction_due_on = correction_due_on;
                }
                if outcome == FilingReviewOutcome::Revoked {
                    self.status = S::Revoked;
                    self.ending = Some(Ending {
                        on: reviewed_on,
                        reason: format!(
                            "撤销 by {}{}",
                            authority.as_deref().unwrap_or("the filing authority"),
                            notes.map(|n| format!(": {n}")).unwrap_or_default()
                        ),
                        decision_document: None,
                    });
                }
                self.refresh_filing_status();
            }
            DocumentEvent::FilingReviewExtended {
                authority, days, ..
            } => {
                if let Some(f) = self.open_filing_mut(&authority) {
                    f.extended_by_days = Some(days);
                }
            }
            DocumentEvent::Corrected(c) => self.corrections.push(c),
            DocumentEvent::FactCorrected(c) => self.apply_fact_correction(&c),
            DocumentEvent::ReviewSuggestionReceived {
                text,
                received_on,
                reply_due_on,
            } => self.review_suggestions.push(super::ReviewSuggestion {
                number: self.review_suggestions.len() as u32 + 1,
                text,
                received_on,
                reply_due_on,
                answer: None,
                answered_on: None,
            }),
            DocumentEvent::ReviewSuggestionAnswered {
                suggestion,
                answer,
                answered_on,
            } => {
                if let Some(s) = self
                    .review_suggestions
                    .iter_mut()
                    .find(|s| s.number == suggestion)
                {
                    s.answer = Some(answer);
                    s.answered_on = Some(answered_on);
                }
            }
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
            DocumentEvent::TextRecorded(r) => {
                self.texts.push(TextVersion {
                    version: r.version,
                    stage: r.stage,
                    hash: r.hash,
                    characters: r.text.chars().count(),
                    recorded_on: r.recorded_on,
                    text: r.text,
                });
            }
            DocumentEvent::RevisedTextConfirmed(c) => self.text_confirmations.push(c),
            DocumentEvent::ScreeningWarningConsidered(c) => self.considered_warnings.push(c),
            DocumentEvent::AttachmentAdded(a) => self.attachments.push(Attachment {
                name: a.name,
                kind: a.kind,
                content_type: a.content_type,
                size: a.size,
                sha256: a.sha256,
                added_on: a.added_on,
                stage: a.stage,
            }),
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
                    text_version: None,
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
                    self.filings
                        .push(FilingRecord::new(String::new(), filed_on, None));
                    self.refresh_filing_status();
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

/// The text versions and the rules that tie them to the review.
impl NormativeDocument {
    /// A recorded version by number.
    pub fn text_version(&self, version: u32) -> Option<&TextVersion> {
        self.texts.iter().find(|t| t.version == version)
    }

    /// The latest text version, if any was recorded.
    pub fn latest_text(&self) -> Option<&TextVersion> {
        self.texts.last()
    }

    /// The version the latest review conclusion was reached on.
    pub fn reviewed_text(&self) -> Option<&TextVersion> {
        self.last_conclusion()
            .and_then(|c| c.text_version)
            .and_then(|v| self.text_version(v))
    }

    /// The version issued (印发稿), and after a correction the corrected one.
    pub fn issued_text(&self) -> Option<&TextVersion> {
        let issued = self.issuance.as_ref()?.text_version?;
        self.texts
            .iter()
            .rev()
            .find(|t| t.stage == TextStage::Corrected)
            .or_else(|| self.text_version(issued))
    }

    /// The new version a text supplied with a command would be, or None when it is the
    /// latest version again at the same stage (nothing new to record).
    pub(super) fn new_text(
        &self,
        stage: TextStage,
        recorded_on: NaiveDate,
        supplied: &str,
    ) -> Result<Option<RecordedText>, DomainError> {
        let normalised = text::normalise(supplied);
        if normalised.is_empty() {
            return Err(DomainError::invalid("text", "must not be empty"));
        }
        let chars = normalised.chars().count();
        if chars > crate::domain::limits::MAX_DOCUMENT_TEXT_CHARS {
            return Err(DomainError::invalid(
                "text",
                format!(
                    "{chars} characters; at most {}",
                    crate::domain::limits::MAX_DOCUMENT_TEXT_CHARS
                ),
            ));
        }
        let hash = text::text_hash(&normalised);
        if self
            .latest_text()
            .is_some_and(|t| t.hash == hash && t.stage == stage)
        {
            return Ok(None);
        }
        Ok(Some(RecordedText {
            version: self.texts.len() as u32 + 1,
            stage,
            hash,
            text: normalised,
            recorded_on,
        }))
    }

    /// The clauses of a recorded version.
    pub fn clauses_of(&self, version: u32) -> Option<Vec<Clause>> {
        self.text_version(version).map(|t| text::clauses(&t.text))
    }

    /// An anchor must name a recorded version, one of its clauses, and words of that clause.
    pub(super) fn check_anchor(
        &self,
        field: &'static str,
        anchor: &Anchor,
    ) -> Result<(), DomainError> {
        let clauses = self.clauses_of(anchor.version).ok_or_else(|| {
            DomainError::invalid(
                field,
                format!("the document has no text version {}", anchor.version),
            )
        })?;
        let clause = clauses
            .iter()
            .find(|c| c.id == anchor.clause)
            .ok_or_else(|| {
                DomainError::invalid(
                    field,
                    format!(
                        "{} is not a clause of text version {}",
                        anchor.clause, anchor.version
                    ),
                )
            })?;
        if let Some(quote) = &anchor.quote
            && !clause.text.contains(quote.as_str())
        {
            return Err(DomainError::invalid(
                field,
                format!(
                    "the quoted words are not in {} of text version {}",
                    anchor.clause, anchor.version
                ),
            ));
        }
        Ok(())
    }

    /// The clause ids that changed between two versions (anything but UNCHANGED).
    pub fn changed_clauses(&self, from: u32, to: u32) -> Option<Vec<String>> {
        let (a, b) = (self.clauses_of(from)?, self.clauses_of(to)?);
        Some(
            text::diff(&text::diff_units(&a), &text::diff_units(&b))
                .iter()
                .filter(|c| c.kind != text::ChangeKind::Unchanged)
                .map(|c| c.id().to_owned())
                .collect(),
        )
    }

    /// "Issued = reviewed", first half: the version a deliberation may take up is the text
    /// the latest review concluded LAWFUL on, or one whose changes since the reviewed text
    /// the legal office confirmed. Documents without any text keep the rules they had.
    pub(super) fn deliberable_text(
        &self,
        requested: Option<u32>,
    ) -> Result<Option<u32>, DomainError> {
        let Some(latest) = self.latest_text() else {
            return match requested {
                Some(_) => Err(DomainError::invalid(
                    "textVersion",
                    "the document has no text",
                )),
                None => Ok(None),
            };
        };
        let version = requested.unwrap_or(latest.version);
        let text = self.text_version(version).ok_or_else(|| {
            DomainError::invalid(
                "textVersion",
                format!("the document has no text version {version}"),
            )
        })?;
        let conclusion = self.last_conclusion();
        let Some(reviewed) = self.reviewed_text() else {
            return Err(DomainError::TextNotReviewed {
                detail: format!(
                    "text version {version} was never reviewed: the review concluded on no text"
                ),
            });
        };
        let lawful = conclusion.is_some_and(|c| c.outcome == ReviewOutcome::Lawful);
        let confirmed = self.text_confirmations.iter().any(|c| {
            c.from_version == reviewed.version
                && self
                    .text_version(c.to_version)
                    .is_some_and(|t| t.hash == text.hash)
        });
        if (lawful && reviewed.hash == text.hash) || confirmed {
            return Ok(Some(version));
        }
        Err(DomainError::TextNotReviewed {
            detail: format!(
                "text version {version} is not the text the review concluded {} on (version {}){}",
                if lawful { "LAWFUL" } else { "MUST_REVISE" },
                reviewed.version,
                " and the legal office has not confirmed its changes (confirmRevisedText)"
            ),
        })
    }

    /// "Issued = reviewed", second half: the text issued is the text deliberated.
    pub(super) fn issuable_text(&self) -> Result<Option<u32>, DomainError> {
        let Some(latest) = self.latest_text() else {
            return Ok(None);
        };
        let deliberated = self
            .deliberations
            .last()
            .and_then(|d| d.text_version)
            .and_then(|v| self.text_version(v));
        match deliberated {
            Some(d) if d.hash == latest.hash => Ok(Some(latest.version)),
            Some(d) => Err(DomainError::TextNotReviewed {
                detail: format!(
                    "the text issued (version {}) differs from the text deliberated (version {})",
                    latest.version, d.version
                ),
            }),
            None => Err(DomainError::TextNotReviewed {
                detail: "the deliberation took up no text, so no text may be issued".into(),
            }),
        }
    }
}
