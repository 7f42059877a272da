//! The folded state of a normative document and how each event changes it (`apply`).

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::DocumentEvent;
use crate::domain::document_number::DocumentNumber;
use crate::domain::error::DomainError;

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
