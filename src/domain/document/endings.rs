//! Corrections (勘误) and the endings a person decides: repeal (废止), withdrawal of a draft,
//! supersession by a new document.

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    /// A correction with a text (勘误后) may only fix what a correction may: no clause added,
    /// removed or moved, and at most `max_chars` characters changed in any clause.
    pub(super) fn correct(
        &self,
        c: Correction,
        new_text: Option<u32>,
        max_chars: usize,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("correctDocument", &[S::Issued])?;
        check_text("description", &c.description, MAX_TEXT)?;
        if let Some(new) = new_text.and_then(|v| self.text_version(v)) {
            // The text in force before this correction: the last one corrected, else the
            // text issued.
            let issued = self.issuance.as_ref().and_then(|i| i.text_version);
            let previous = self
                .texts
                .iter()
                .rev()
                .filter(|t| t.version < new.version)
                .find(|t| t.stage == TextStage::Corrected || Some(t.version) == issued)
                .ok_or_else(|| DomainError::CorrectionTooLarge {
                    detail:
                        "the document was issued without a text: a text now is not a correction"
                            .into(),
                })?;
            let (a, b) = (
                crate::domain::text::clauses(&previous.text),
                crate::domain::text::clauses(&new.text),
            );
            use crate::domain::text::{ChangeKind, diff, diff_units};
            for change in diff(&diff_units(&a), &diff_units(&b)) {
                let too_large = match change.kind {
                    ChangeKind::Unchanged => false,
                    ChangeKind::Changed => change.changed_chars() > max_chars,
                    ChangeKind::Added | ChangeKind::Removed | ChangeKind::Moved => true,
                };
                if too_large {
                    return Err(DomainError::CorrectionTooLarge {
                        detail: format!(
                            "{} is {} ({} characters changed; a correction changes at most {max_chars} per clause and adds, removes or moves none): this is an amendment, which goes back through review",
                            change.id(),
                            format!("{:?}", change.kind).to_uppercase(),
                            change.changed_chars()
                        ),
                    });
                }
            }
        }
        Ok(DocumentEvent::Corrected(c))
    }

    pub(super) fn repeal(&self, e: Ending) -> Result<DocumentEvent, DomainError> {
        self.expect("repealDocument", &[S::Issued])?;
        check_text("reason", &e.reason, MAX_TEXT)?;
        check_opt("decisionDocument", &e.decision_document, MAX_SHORT)?;
        if let Some(i) = &self.issuance {
            not_before("on", e.on, i.issued_on, "the issue date")?;
        }
        Ok(DocumentEvent::Repealed(e))
    }

    pub(super) fn withdraw(&self, e: Ending) -> Result<DocumentEvent, DomainError> {
        let draft = self.drafted("withdrawDocument")?;
        if !self.status.is_open_draft() {
            return Err(self.invalid("withdrawDocument"));
        }
        check_text("reason", &e.reason, MAX_TEXT)?;
        not_before("on", e.on, draft.drafted_on, "the draft date")?;
        Ok(DocumentEvent::Withdrawn(e))
    }

    pub(super) fn supersede(&self, s: Supersession) -> Result<DocumentEvent, DomainError> {
        self.expect("supersedeDocument", &[S::Issued])?;
        check_text("supersededBy", &s.superseded_by, MAX_SHORT)?;
        if let Some(i) = &self.issuance {
            not_before("on", s.on, i.issued_on, "the issue date")?;
        }
        Ok(DocumentEvent::Superseded(s))
    }
}
