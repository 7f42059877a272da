//! Review suggestions (审查建议): anyone may suggest that a published document be reviewed
//! (its legality questioned); the suggestion is recorded on the document with a reply
//! deadline, and the legal office answers it.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::DocumentStatus as S;
use super::*;

/// Days the legal office has to answer a review suggestion.
pub const REVIEW_SUGGESTION_REPLY_DAYS: u64 = 30;

/// A review suggestion and its answer. The suggestion carries no name or contact: it is the
/// content that matters, and the log keeps what it records for good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewSuggestion {
    /// 1, 2, … in the order received.
    pub number: u32,
    pub text: String,
    pub received_on: NaiveDate,
    pub reply_due_on: NaiveDate,
    pub answer: Option<String>,
    pub answered_on: Option<NaiveDate>,
}

impl NormativeDocument {
    pub(super) fn receive_review_suggestion(
        &self,
        text: String,
        received_on: NaiveDate,
    ) -> Result<DocumentEvent, DomainError> {
        // Only what was published can be questioned by the public.
        self.expect(
            "submitReviewSuggestion",
            &[
                S::Issued,
                S::Expired,
                S::Repealed,
                S::DeclaredInvalid,
                S::Revoked,
                S::Superseded,
            ],
        )?;
        check_text("text", &text, MAX_TEXT)?;
        Ok(DocumentEvent::ReviewSuggestionReceived {
            text,
            received_on,
            reply_due_on: received_on + Days::new(REVIEW_SUGGESTION_REPLY_DAYS),
        })
    }

    pub(super) fn answer_review_suggestion(
        &self,
        suggestion: u32,
        answer: String,
        answered_on: NaiveDate,
    ) -> Result<DocumentEvent, DomainError> {
        self.drafted("answerReviewSuggestion")?;
        let s = self
            .review_suggestions
            .iter()
            .find(|s| s.number == suggestion)
            .ok_or_else(|| {
                DomainError::invalid(
                    "suggestion",
                    format!("the document has no review suggestion {suggestion}"),
                )
            })?;
        if s.answer.is_some() {
            return Err(DomainError::InvalidTransition {
                command: "answerReviewSuggestion",
                what: "review suggestion",
                state: "ANSWERED".into(),
            });
        }
        check_text("answer", &answer, MAX_TEXT)?;
        not_before("answeredOn", answered_on, s.received_on, "the suggestion")?;
        Ok(DocumentEvent::ReviewSuggestionAnswered {
            suggestion,
            answer,
            answered_on,
        })
    }
}
