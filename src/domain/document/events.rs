//! The events of a normative document, their one-line summaries, and the upcasting of
//! payloads stored in an older shape.

use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::*;

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
        /// The text version concluded on (absent before texts were recorded).
        #[serde(default)]
        text_version: Option<u32>,
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
    /// One authority's decision on its filing (before filings had an authority each,
    /// `authority` was absent and the outcome answered every open filing).
    FilingReviewed {
        #[serde(default)]
        authority: Option<String>,
        outcome: FilingReviewOutcome,
        reviewed_on: NaiveDate,
        notes: Option<String>,
        /// By when the body answers a requested correction.
        #[serde(default)]
        correction_due_on: Option<NaiveDate>,
    },
    /// A filing authority extends its review, once, by up to 20 days.
    FilingReviewExtended {
        authority: String,
        extended_on: NaiveDate,
        days: u32,
        reason: String,
    },
    Corrected(Correction),
    /// A mis-keyed fact of an earlier event corrected (更正), by the role that recorded it.
    FactCorrected(FactCorrection),
    /// A review suggestion (审查建议) received from the public.
    ReviewSuggestionReceived {
        text: String,
        received_on: NaiveDate,
        reply_due_on: NaiveDate,
    },
    ReviewSuggestionAnswered {
        suggestion: u32,
        answer: String,
        answered_on: NaiveDate,
    },
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
    /// A text version (正文), recorded with the command that supplied it; the text's bytes
    /// are in this payload, so the hash chain covers them.
    TextRecorded(RecordedText),
    /// The legal office accepts a revised text's changes since the reviewed text.
    RevisedTextConfirmed(TextConfirmation),
    /// The legal office considered a screening warning of a text version.
    ScreeningWarningConsidered(ConsideredWarning),
    /// A file of the submission package, its bytes in the payload.
    AttachmentAdded(RecordedAttachment),
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
            DocumentEvent::FilingReviewExtended { .. } => "FilingReviewExtended",
            DocumentEvent::FactCorrected(_) => "FactCorrected",
            DocumentEvent::ReviewSuggestionReceived { .. } => "ReviewSuggestionReceived",
            DocumentEvent::ReviewSuggestionAnswered { .. } => "ReviewSuggestionAnswered",
            DocumentEvent::Corrected(_) => "Corrected",
            DocumentEvent::Repealed(_) => "Repealed",
            DocumentEvent::Withdrawn(_) => "Withdrawn",
            DocumentEvent::Republished(_) => "Republished",
            DocumentEvent::Expired { .. } => "Expired",
            DocumentEvent::CleanupDecided(_) => "CleanupDecided",
            DocumentEvent::DeclaredInvalid(_) => "DeclaredInvalid",
            DocumentEvent::Superseded(_) => "Superseded",
            DocumentEvent::DocumentImported { .. } => "DocumentImported",
            DocumentEvent::TextRecorded(_) => "TextRecorded",
            DocumentEvent::RevisedTextConfirmed(_) => "RevisedTextConfirmed",
            DocumentEvent::ScreeningWarningConsidered(_) => "ScreeningWarningConsidered",
            DocumentEvent::AttachmentAdded(_) => "AttachmentAdded",
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
    /// The legal date of a step a person keys in: the day the event says it happened, which
    /// may lie before the day it was recorded. `None` for what the ledger itself records
    /// (expiry, cleanup results, declarations of invalidity) and for imports of documents
    /// issued before the ledger existed, which are dated in the past by nature.
    pub fn legal_date(&self) -> Option<NaiveDate> {
        use DocumentEvent as E;
        Some(match self {
            E::Drafted { draft, .. } => draft.drafted_on,
            E::DraftRevised { revised_on, .. } => *revised_on,
            E::ConsultationOpened { opened_on, .. } => *opened_on,
            E::ConsultationClosed { closed_on, .. } => *closed_on,
            E::SubmittedForReview { submitted_on, .. } => *submitted_on,
            E::MaterialsReturned(r) => r.returned_on,
            E::ReviewStarted { started_on, .. } => *started_on,
            E::AdvisorOpinionAdded(o) => o.given_on,
            E::ReviewConcluded { concluded_on, .. } => *concluded_on,
            E::RevisionSubmitted { submitted_on, .. } => *submitted_on,
            E::Deliberated(d) => d.held_on,
            E::Issued(i) => i.issued_on,
            E::FiledForRecord { filed_on, .. } => *filed_on,
            E::FilingReviewed { reviewed_on, .. } => *reviewed_on,
            E::FilingReviewExtended { extended_on, .. } => *extended_on,
            E::Corrected(c) => c.corrected_on,
            E::FactCorrected(c) => c.corrected_on,
            E::ReviewSuggestionReceived { received_on, .. } => *received_on,
            E::ReviewSuggestionAnswered { answered_on, .. } => *answered_on,
            E::Repealed(e) | E::Withdrawn(e) => e.on,
            E::Republished(r) => r.republished_on,
            E::Superseded(s) => s.on,
            E::TextRecorded(t) => t.recorded_on,
            E::RevisedTextConfirmed(c) => c.confirmed_on,
            E::ScreeningWarningConsidered(c) => c.considered_on,
            E::AttachmentAdded(a) => a.added_on,
            E::Expired { .. }
            | E::CleanupDecided(_)
            | E::DeclaredInvalid(_)
            | E::DocumentImported { .. } => return None,
        })
    }

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
            DocumentEvent::FilingReviewed {
                authority,
                outcome,
                correction_due_on,
                ..
            } => format!(
                "Filing reviewed (备案审查){}: {}{}",
                authority
                    .as_deref()
                    .map(|a| format!(" by {a}"))
                    .unwrap_or_default(),
                outcome.label(),
                correction_due_on
                    .map(|d| format!(", to be answered by {d}"))
                    .unwrap_or_default()
            ),
            DocumentEvent::FilingReviewExtended {
                authority, days, ..
            } => format!("Filing review (备案审查) extended by {authority} by {days} days"),
            DocumentEvent::Corrected(c) => format!("Corrected (勘误): {}", c.description),
            DocumentEvent::ReviewSuggestionReceived { reply_due_on, .. } => {
                format!("Review suggestion (审查建议) received; to be answered by {reply_due_on}")
            }
            DocumentEvent::ReviewSuggestionAnswered { suggestion, .. } => {
                format!("Review suggestion (审查建议) No. {suggestion} answered")
            }
            DocumentEvent::FactCorrected(c) => format!(
                "Fact corrected (更正): {} of the {} at position {} from {} to {}: {}",
                c.field.as_str(),
                c.event_type,
                c.position,
                c.old_value,
                c.new_value,
                c.reason
            ),
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
            DocumentEvent::TextRecorded(t) => format!(
                "Text version {} recorded (正文, {}): {} characters, sha256 {}",
                t.version,
                t.stage.label(),
                t.text.chars().count(),
                &t.hash[..12]
            ),
            DocumentEvent::AttachmentAdded(a) => format!(
                "Attachment added (送审材料): {} ({} bytes, sha256 {})",
                a.name,
                a.size,
                &a.sha256[..12.min(a.sha256.len())]
            ),
            DocumentEvent::ScreeningWarningConsidered(c) => format!(
                "Screening warning {} at {} of version {} considered (审查提示已研判): {}",
                c.code, c.clause, c.version, c.reason
            ),
            DocumentEvent::RevisedTextConfirmed(c) => format!(
                "Revised text confirmed (修改稿确认) by the legal office: version {} against version {}, {} changed clauses accepted",
                c.to_version,
                c.from_version,
                c.accepted.len()
            ),
        }
    }
}

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
