//! Filing for record (备案) with the filing authorities and their review.

use chrono::NaiveDate;

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    pub(super) fn file_for_record(
        &self,
        filed_on: NaiveDate,
        authorities: Vec<String>,
    ) -> Result<DocumentEvent, DomainError> {
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
        Ok(DocumentEvent::FiledForRecord {
            filed_on,
            authorities,
        })
    }

    pub(super) fn record_filing_review(
        &self,
        outcome: FilingReviewOutcome,
        reviewed_on: NaiveDate,
        notes: Option<String>,
    ) -> Result<DocumentEvent, DomainError> {
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
        Ok(DocumentEvent::FilingReviewed {
            outcome,
            reviewed_on,
            notes,
        })
    }
}
