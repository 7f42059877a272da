//! Normative document (行政规范性文件): its lifecycle from drafting to repeal.
//!
//! ```text
//! DRAFTING ⇄ CONSULTATION;  DRAFTING → SUBMITTED → UNDER_REVIEW ⇄ REVISING
//!   → AWAITING_DELIBERATION → APPROVED → ISSUED → EXPIRED | REPEALED | DECLARED_INVALID
//!                                                 | SUPERSEDED
//! ISSUED → ISSUED again when republished (重新公布: a new validity period).
//! A document issued before the ledger existed enters directly by DocumentImported.
//! WITHDRAWN and REJECTED end a draft. Filing (备案) runs beside ISSUED, once per filing
//! authority: NOT_FILED → FILED → ACCEPTED | REFUSED | REVOKED (ends the document)
//!   | CORRECTION_REQUIRED or MATERIALS_REQUESTED (→ FILED again with that authority)
//! ```
//! Every guard here refuses the command and writes nothing; the rule names are in
//! [`DomainError::rule`].
//!
//! # Layout
//! - this file: the commands, what the aggregate needs from the rest of the ledger
//!   ([`DocumentServices`]), and `handle`, which sends each command to its phase;
//! - `state`: the folded state and `apply`;
//! - `events`: the events, their one-line summaries and the upcasting of older payloads;
//! - one file per phase of the lifecycle for the guards of its commands: `drafting`
//!   (drafting and public consultation), `review` (the legality review), `issue`
//!   (deliberation, issue, republication, import), `filing` (备案), `facts` (mis-keyed facts
//!   corrected by a compensating event), `suggestions` (the public's 审查建议), `endings`
//!   (corrections,
//!   repeal, withdrawal, supersession), `cleanup` (cleanup decisions and expiry);
//! - `warnings`: the warn-only rules, which never refuse a command;
//! - `lifecycle`: the status changes above as a table, checked against the guards by a test;
//! - `package`: what a submission package (送审材料) lacks.

mod cleanup;
mod drafting;
mod endings;
mod events;
mod facts;
mod filing;
mod issue;
pub mod lifecycle;
mod package;
mod review;
mod state;
mod suggestions;
mod warnings;

use async_trait::async_trait;
use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::domain::document_number::DocumentNumber;
use crate::domain::error::{DomainError, check_optional_text, check_text};
use crate::domain::issuing_body::IssuingBody;
use crate::domain::limits::{
    MAX_LIST_LEN as MAX_ITEMS, MAX_SHORT_CHARS as MAX_SHORT, MAX_TEXT_CHARS as MAX_TEXT,
    MAX_TITLE_CHARS as MAX_TITLE,
};
use crate::domain::screening::ScreeningRules;
use crate::domain::text::TextStage;

pub use events::*;
pub use facts::{FactCorrection, FactCorrectionRequest, FactField, RecordedStep};
pub use issue::check_import;
use issue::check_registration_number;
pub use state::*;
pub use suggestions::{REVIEW_SUGGESTION_REPLY_DAYS, ReviewSuggestion};
pub use warnings::*;

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
    /// The document that holds the registration number (登记号), if any (never released).
    async fn registration_number_holder(&self, number: &str)
    -> Result<Option<String>, DomainError>;
    /// The document's event at `position` in the log, if the log holds one for it.
    async fn recorded_step(
        &self,
        document_id: &str,
        position: i64,
    ) -> Result<Option<RecordedStep>, DomainError>;
    /// The most characters a correction (勘误) may change in one clause; beyond it, or when a
    /// clause is added, removed or moved, the change is an amendment and goes back to review.
    fn correction_max_chars(&self) -> usize {
        DEFAULT_CORRECTION_MAX_CHARS
    }
    /// The screening rules in force.
    fn screening_rules(&self) -> std::sync::Arc<ScreeningRules> {
        std::sync::Arc::new(ScreeningRules::defaults())
    }
}

/// Default of [`DocumentServices::correction_max_chars`].
pub const DEFAULT_CORRECTION_MAX_CHARS: usize = 20;

/// A file for the submission package, as the edge received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAttachment {
    pub name: String,
    pub kind: MaterialKind,
    pub content_type: String,
    /// The file's bytes, base64 (exempt from the string input limits; `MAX_ATTACHMENT_BYTES`
    /// bounds the decoded size).
    pub content_base64: String,
    pub added_on: NaiveDate,
}

/// The largest file of a submission package.
pub const MAX_ATTACHMENT_BYTES: usize = 10 << 20;

/// The file types a submission package may hold: PDF, OFD, Word, Excel, images.
pub const ATTACHMENT_TYPES: [&str; 7] = [
    "application/pdf",
    "application/ofd",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "image/jpeg",
    "image/png",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueInput {
    pub clause: Option<String>,
    pub text: String,
    pub anchor: Option<Anchor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DocumentCommand {
    Draft {
        id: String,
        draft: Draft,
        /// The text (正文), recorded as a new version; likewise below (named `document_text`
        /// when serialised, so the input limits tell it from an opinion's `text`).
        #[serde(rename = "document_text")]
        text: Option<String>,
    },
    ReviseDraft {
        title: Option<String>,
        summary: Option<String>,
        is_trial: Option<bool>,
        is_major_decision: Option<bool>,
        revised_on: NaiveDate,
        #[serde(rename = "document_text")]
        text: Option<String>,
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
        #[serde(rename = "document_text")]
        text: Option<String>,
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
        #[serde(rename = "document_text")]
        text: Option<String>,
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
        #[serde(rename = "document_text")]
        text: Option<String>,
    },
    /// Empty `authorities`: every authority due (all listed ones at first).
    FileForRecord {
        filed_on: NaiveDate,
        authorities: Vec<String>,
    },
    /// One filing authority's outcome (recorded by that authority).
    RecordFilingReview {
        authority: String,
        outcome: FilingReviewOutcome,
        reviewed_on: NaiveDate,
        notes: Option<String>,
        /// CORRECTION_REQUIRED only; 30 days after the review by default.
        correction_due_on: Option<NaiveDate>,
    },
    ExtendFilingReview {
        authority: String,
        extended_on: NaiveDate,
        days: u32,
        reason: String,
    },
    /// Corrects a mis-keyed fact of an earlier event (更正), by the role that recorded it.
    CorrectFact(FactCorrectionRequest),
    /// A review suggestion (审查建议) from the public about a published document.
    ReceiveReviewSuggestion {
        text: String,
        received_on: NaiveDate,
    },
    /// The legal office's answer to a review suggestion.
    AnswerReviewSuggestion {
        suggestion: u32,
        answer: String,
        answered_on: NaiveDate,
    },
    Correct {
        correction: Correction,
        #[serde(rename = "document_text")]
        text: Option<String>,
    },
    /// The legal office accepts the changes of a revised text (the latest by default) since
    /// the text the review concluded on, listing every changed clause.
    ConfirmRevisedText {
        to_version: Option<u32>,
        accepted: Vec<String>,
        confirmed_on: NaiveDate,
    },
    /// The legal office records that it considered a screening warning, and why it stands
    /// or does not.
    ConsiderScreeningWarning(ConsideredWarning),
    /// The drafter adds a file to the submission package.
    AddAttachment(NewAttachment),
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

impl Aggregate for NormativeDocument {
    const TYPE: &'static str = "NormativeDocument";
    type Command = DocumentCommand;
    type Event = DocumentEvent;
    type Error = DomainError;
    type Services = Box<dyn DocumentServices>;

    /// A text supplied with the command becomes a new version: the command is decided on the
    /// state with that version already recorded (so the rules see the text it brings), and
    /// its `TextRecorded` event follows the command's own events.
    async fn handle(
        &mut self,
        mut command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let recorded = match command.take_text() {
            Some((stage, on, text)) => self.new_text(stage, on, &text)?,
            None => None,
        };
        let events = match &recorded {
            Some(r) => {
                let mut with_text = self.clone();
                with_text.evolve(DocumentEvent::TextRecorded(r.clone()));
                with_text
                    .decide(command, services.as_ref(), Some(r.version))
                    .await?
            }
            None => self.decide(command, services.as_ref(), None).await?,
        };
        for event in events
            .into_iter()
            .chain(recorded.map(DocumentEvent::TextRecorded))
        {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.evolve(event);
    }
}

impl DocumentCommand {
    /// Takes the text the command carries, with the stage and date it is recorded at.
    fn take_text(&mut self) -> Option<(TextStage, NaiveDate, String)> {
        let (stage, on, text) = match self {
            DocumentCommand::Draft { draft, text, .. } => {
                (TextStage::Draft, draft.drafted_on, text)
            }
            DocumentCommand::ReviseDraft {
                revised_on, text, ..
            } => (TextStage::Draft, *revised_on, text),
            DocumentCommand::SubmitForReview {
                submitted_on, text, ..
            } => (TextStage::Submitted, *submitted_on, text),
            DocumentCommand::SubmitRevision {
                submitted_on, text, ..
            } => (TextStage::Revision, *submitted_on, text),
            DocumentCommand::Issue {
                issued_on, text, ..
            } => (TextStage::Issued, *issued_on, text),
            DocumentCommand::Correct { correction, text } => {
                (TextStage::Corrected, correction.corrected_on, text)
            }
            _ => return None,
        };
        text.take().map(|t| (stage, on, t))
    }
}

impl NormativeDocument {
    /// The events a command leads to, or why it is refused; `new_text` is the version the
    /// command's own text was just recorded as.
    async fn decide(
        &self,
        command: DocumentCommand,
        services: &dyn DocumentServices,
        new_text: Option<u32>,
    ) -> Result<Vec<DocumentEvent>, DomainError> {
        let events = match command {
            DocumentCommand::Draft { id, draft, .. } => {
                vec![self.start_draft(id, draft, services).await?]
            }
            DocumentCommand::ReviseDraft {
                title,
                summary,
                is_trial,
                is_major_decision,
                revised_on,
                ..
            } => {
                vec![self.revise_draft(
                    title,
                    summary,
                    is_trial,
                    is_major_decision,
                    revised_on,
                    new_text.is_some(),
                )?]
            }
            DocumentCommand::OpenConsultation {
                opened_on,
                closes_on,
                channel,
            } => vec![self.open_consultation(opened_on, closes_on, channel)?],
            DocumentCommand::CloseConsultation {
                closed_on,
                comments_received,
                adoption_summary,
            } => vec![self.close_consultation(closed_on, comments_received, adoption_summary)?],
            DocumentCommand::SubmitForReview {
                submitted_on,
                materials,
                ..
            } => vec![self.submit_for_review(submitted_on, materials)?],
            DocumentCommand::ReturnMaterials {
                returned_on,
                reason,
            } => vec![self.return_materials(returned_on, reason)?],
            DocumentCommand::StartReview { started_on, due_on } => {
                vec![self.start_review(started_on, due_on)?]
            }
            DocumentCommand::AddAdvisorOpinion(opinion) => vec![self.add_advisor_opinion(opinion)?],
            DocumentCommand::ConcludeReview {
                outcome,
                issues,
                opinion,
                concluded_on,
            } => vec![self.conclude_review(outcome, issues, opinion, concluded_on)?],
            DocumentCommand::SubmitRevision {
                submitted_on,
                responses,
                ..
            } => vec![self.submit_revision(submitted_on, responses)?],
            DocumentCommand::RecordDeliberation(d) => {
                vec![self.record_deliberation(d, services).await?]
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
                ..
            } => vec![
                self.issue(
                    number,
                    registration_number,
                    signer,
                    issued_on,
                    published_on,
                    effective_on,
                    valid_until,
                    validity_override_reason,
                    services,
                )
                .await?,
            ],
            DocumentCommand::FileForRecord {
                filed_on,
                authorities,
            } => vec![
                self.file_for_record(filed_on, authorities, services)
                    .await?,
            ],
            DocumentCommand::RecordFilingReview {
                authority,
                outcome,
                reviewed_on,
                notes,
                correction_due_on,
            } => vec![self.record_filing_review(
                authority,
                outcome,
                reviewed_on,
                notes,
                correction_due_on,
            )?],
            DocumentCommand::ExtendFilingReview {
                authority,
                extended_on,
                days,
                reason,
            } => vec![self.extend_filing_review(authority, extended_on, days, reason)?],
            DocumentCommand::CorrectFact(request) => {
                vec![self.correct_fact(request, services).await?]
            }
            DocumentCommand::ReceiveReviewSuggestion { text, received_on } => {
                vec![self.receive_review_suggestion(text, received_on)?]
            }
            DocumentCommand::AnswerReviewSuggestion {
                suggestion,
                answer,
                answered_on,
            } => vec![self.answer_review_suggestion(suggestion, answer, answered_on)?],
            DocumentCommand::Correct { correction, .. } => {
                vec![self.correct(correction, new_text, services.correction_max_chars())?]
            }
            DocumentCommand::ConfirmRevisedText {
                to_version,
                accepted,
                confirmed_on,
            } => vec![self.confirm_revised_text(to_version, accepted, confirmed_on)?],
            DocumentCommand::AddAttachment(a) => vec![self.add_attachment(a)?],
            DocumentCommand::ConsiderScreeningWarning(c) => {
                vec![self.consider_screening_warning(c, &services.screening_rules())?]
            }
            DocumentCommand::Repeal(e) => vec![self.repeal(e)?],
            DocumentCommand::Withdraw(e) => vec![self.withdraw(e)?],
            DocumentCommand::Republish {
                republished_on,
                registration_number,
                valid_until,
                validity_override_reason,
            } => {
                check_registration_number(&registration_number, services).await?;
                vec![self.republish(
                    republished_on,
                    registration_number,
                    valid_until,
                    validity_override_reason,
                )?]
            }
            DocumentCommand::Expire { on } => vec![self.expire(on)?],
            DocumentCommand::ApplyCleanupDecision(outcome) => {
                self.apply_cleanup_decision(outcome)?
            }
            DocumentCommand::Supersede(s) => vec![self.supersede(s)?],
            DocumentCommand::Import { id, record } => {
                vec![self.import(id, record, services).await?]
            }
        };
        Ok(events)
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

#[cfg(test)]
mod tests;
