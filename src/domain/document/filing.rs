//! Filing for record (备案) with the filing authorities, and each authority's review.
//!
//! A document is filed with every authority listed for its body (a department's with the
//! county government; the county government's with the city government *and* the county
//! people's congress standing committee). Each authority's filing has its own review
//! deadline, outcome and, when it asks for a correction, its own answer deadline.

use chrono::{Days, NaiveDate};

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    /// `authorities` empty files with every authority due: on the first filing all those
    /// listed for the body, afterwards those that asked for a correction or for materials.
    pub(super) async fn file_for_record(
        &self,
        filed_on: NaiveDate,
        authorities: Vec<String>,
        services: &dyn DocumentServices,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.expect("fileForRecord", &[S::Issued])?;
        check_list("authorities", &authorities, MAX_SHORT)?;
        if let Some(i) = &self.issuance {
            not_before("filedOn", filed_on, i.published_on, "publication")?;
        }
        let listed = services
            .issuing_body(&draft.body_code)
            .await?
            .and_then(|b| b.listing)
            .map(|l| l.filing_authorities)
            .unwrap_or_default();
        let current = self.current_filings();
        let due: Vec<String> = if current.is_empty() {
            listed.clone()
        } else {
            current
                .iter()
                .filter(|f| f.outcome.is_some_and(FilingReviewOutcome::asks_to_refile))
                .map(|f| f.authority.clone())
                .collect()
        };
        let authorities = if authorities.is_empty() {
            due.clone()
        } else {
            authorities
        };
        if authorities.is_empty() {
            return Err(if current.is_empty() {
                DomainError::invalid(
                    "authorities",
                    "the body lists no filing authority (备案机关): name at least one",
                )
            } else {
                DomainError::InvalidTransition {
                    command: "fileForRecord",
                    what: "filing",
                    state: self.filing_status.as_str().into(),
                }
            });
        }
        for (i, a) in authorities.iter().enumerate() {
            if authorities[..i].contains(a) {
                return Err(DomainError::invalid(
                    "authorities",
                    format!("{a} is named twice"),
                ));
            }
            if !listed.is_empty() && !listed.contains(a) {
                return Err(DomainError::WrongFilingAuthority {
                    detail: format!(
                        "{} files with {}, not with {a}",
                        draft.body_code,
                        listed.join(" and ")
                    ),
                });
            }
            // With no authority listed (bodies listed before authorities were recorded), the
            // first filing names them; after it, filing again follows the outcomes.
            if !current.is_empty() && !due.contains(a) {
                return Err(DomainError::InvalidTransition {
                    command: "fileForRecord",
                    what: "filing with this authority",
                    state: current
                        .iter()
                        .find(|f| f.authority == *a)
                        .map_or("NOT_FILED", |f| f.outcome.map_or("FILED", |o| o.label()))
                        .into(),
                });
            }
        }
        if let Some(missing) = due.iter().find(|a| !authorities.contains(a))
            && current.is_empty()
        {
            return Err(DomainError::WrongFilingAuthority {
                detail: format!(
                    "a document of {} is filed with {} at once; {missing} is missing",
                    draft.body_code,
                    listed.join(" and ")
                ),
            });
        }
        Ok(DocumentEvent::FiledForRecord {
            filed_on,
            authorities,
        })
    }

    /// The open filing with `authority`, or why there is none.
    fn filing_awaiting(
        &self,
        command: &'static str,
        authority: &str,
    ) -> Result<&FilingRecord, DomainError> {
        if let Some(f) = self.open_filing(authority) {
            return Ok(f);
        }
        let current = self.current_filings();
        match current.iter().find(|f| f.authority == authority) {
            Some(f) => Err(DomainError::InvalidTransition {
                command,
                what: "filing with this authority",
                state: f.outcome.map_or("FILED", |o| o.label()).into(),
            }),
            None if current.is_empty() => Err(DomainError::InvalidTransition {
                command,
                what: "filing",
                state: self.filing_status.as_str().into(),
            }),
            None => Err(DomainError::WrongFilingAuthority {
                detail: format!(
                    "the document is filed with {}, not with {authority}",
                    current
                        .iter()
                        .map(|f| f.authority.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            }),
        }
    }

    pub(super) fn record_filing_review(
        &self,
        authority: String,
        outcome: FilingReviewOutcome,
        reviewed_on: NaiveDate,
        notes: Option<String>,
        correction_due_on: Option<NaiveDate>,
    ) -> Result<DocumentEvent, DomainError> {
        let allowed: &[S] = if outcome == FilingReviewOutcome::Revoked {
            // Revoking ends the document: there must be one in force to end.
            &[S::Issued]
        } else {
            &[
                S::Issued,
                S::Repealed,
                S::Expired,
                S::DeclaredInvalid,
                S::Superseded,
            ]
        };
        self.expect("recordFilingReview", allowed)?;
        let filing = self.filing_awaiting("recordFilingReview", &authority)?;
        check_opt("notes", &notes, MAX_TEXT)?;
        not_before("reviewedOn", reviewed_on, filing.filed_on, "the filing")?;
        if matches!(
            outcome,
            FilingReviewOutcome::CorrectionRequired
                | FilingReviewOutcome::Revoked
                | FilingReviewOutcome::Refused
        ) && notes.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            return Err(DomainError::invalid(
                "notes",
                "an outcome other than acceptance states its grounds",
            ));
        }
        let correction_due_on = match (outcome, correction_due_on) {
            (FilingReviewOutcome::CorrectionRequired, Some(due)) => {
                not_before("correctionDueOn", due, reviewed_on, "the review")?;
                Some(due)
            }
            (FilingReviewOutcome::CorrectionRequired, None) => {
                Some(reviewed_on + Days::new(FILING_CORRECTION_DAYS))
            }
            (_, Some(_)) => {
                return Err(DomainError::invalid(
                    "correctionDueOn",
                    "only a requested correction (CORRECTION_REQUIRED) has a deadline",
                ));
            }
            (_, None) => None,
        };
        Ok(DocumentEvent::FilingReviewed {
            authority: Some(authority),
            outcome,
            reviewed_on,
            notes,
            correction_due_on,
        })
    }

    pub(super) fn extend_filing_review(
        &self,
        authority: String,
        extended_on: NaiveDate,
        days: u32,
        reason: String,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect(
            "extendFilingReview",
            &[
                S::Issued,
                S::Repealed,
                S::Expired,
                S::DeclaredInvalid,
                S::Superseded,
            ],
        )?;
        let filing = self.filing_awaiting("extendFilingReview", &authority)?;
        check_text("reason", &reason, MAX_TEXT)?;
        if filing.extended_by_days.is_some() {
            return Err(DomainError::InvalidTransition {
                command: "extendFilingReview",
                what: "filing review",
                state: "EXTENDED".into(),
            });
        }
        if days == 0 || days > FILING_REVIEW_MAX_EXTENSION_DAYS {
            return Err(DomainError::invalid(
                "days",
                format!(
                    "a review is extended once, by 1 to {FILING_REVIEW_MAX_EXTENSION_DAYS} days"
                ),
            ));
        }
        not_before("extendedOn", extended_on, filing.filed_on, "the filing")?;
        if extended_on > filing.review_due_on() {
            return Err(DomainError::invalid(
                "extendedOn",
                format!(
                    "the review was due on {}; it can be extended only before then",
                    filing.review_due_on()
                ),
            ));
        }
        Ok(DocumentEvent::FilingReviewExtended {
            authority,
            extended_on,
            days,
            reason,
        })
    }
}
