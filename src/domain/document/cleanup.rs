//! Cleanup decisions (清理) applied to a document, and expiry once its validity has passed.

use chrono::NaiveDate;

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    pub(super) fn expire(&self, on: NaiveDate) -> Result<DocumentEvent, DomainError> {
        self.expect("expireDocument", &[S::Issued])?;
        let valid_until = self.issuance.as_ref().map(|i| i.valid_until);
        if let Some(valid_until) = valid_until.filter(|v| on <= *v) {
            return Err(DomainError::NotYetExpired {
                valid_until: valid_until.to_string(),
            });
        }
        Ok(DocumentEvent::Expired { on })
    }

    pub(super) fn apply_cleanup_decision(
        &self,
        outcome: CleanupOutcome,
    ) -> Result<Vec<DocumentEvent>, DomainError> {
        self.drafted("applyCleanupDecision")?;
        if self
            .cleanups
            .iter()
            .any(|c| c.campaign_id == outcome.campaign_id)
        {
            // Already applied: the process manager is re-running. Nothing to write.
            return Ok(vec![]);
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
        Ok(std::iter::once(DocumentEvent::CleanupDecided(outcome))
            .chain(effect)
            .collect())
    }
}
