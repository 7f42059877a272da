//! Corrections (勘误) and the endings a person decides: repeal (废止), withdrawal of a draft,
//! supersession by a new document.

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    pub(super) fn correct(&self, c: Correction) -> Result<DocumentEvent, DomainError> {
        self.expect("correctDocument", &[S::Issued])?;
        check_text("description", &c.description, MAX_TEXT)?;
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
