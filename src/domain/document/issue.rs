//! Deliberation (集体审议), issue (印发) under a 文号, republication (重新公布), and the import of
//! documents issued before the ledger existed.

use chrono::{Datelike, NaiveDate};

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    pub(super) async fn record_deliberation(
        &self,
        mut d: Deliberation,
        services: &dyn DocumentServices,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.drafted("recordDeliberation")?;
        if !self.review_allows_deliberation() {
            return Err(
                if self.status.is_open_draft() && self.status != S::Approved {
                    DomainError::ReviewNotLawful
                } else {
                    self.invalid("recordDeliberation")
                },
            );
        }
        check_text("meeting", &d.meeting, MAX_SHORT)?;
        check_opt("minutesReference", &d.minutes_reference, MAX_SHORT)?;
        check_opt("dissent", &d.dissent, MAX_TEXT)?;
        if let Some(c) = self.last_conclusion() {
            not_before(
                "heldOn",
                d.held_on,
                c.concluded_on,
                "the review's conclusion",
            )?;
        }
        // 集体审议 by the body's own meeting: the government's for its documents, a
        // department's or township's for theirs.
        let Some(given) = d.meeting_type else {
            return Err(DomainError::invalid("meetingType", "must be given"));
        };
        let kind = services
            .issuing_body(&draft.body_code)
            .await?
            .and_then(|b| b.listing)
            .map(|l| l.kind)
            .ok_or_else(|| DomainError::IssuingBodyNotListed {
                code: draft.body_code.clone(),
                on: d.held_on.to_string(),
            })?;
        let expected = kind.deliberating_meetings();
        if !expected.contains(&given) {
            return Err(DomainError::WrongMeeting {
                kind: format!("{kind:?}"),
                expected: expected
                    .iter()
                    .map(|m| m.label())
                    .collect::<Vec<_>>()
                    .join(" or "),
                given: given.label().to_owned(),
            });
        }
        d.text_version = self.deliberable_text(d.text_version)?;
        Ok(DocumentEvent::Deliberated(d))
    }

    // One parameter per field of the command, as `handle` destructures it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn issue(
        &self,
        number: DocumentNumber,
        registration_number: Option<String>,
        signer: String,
        issued_on: NaiveDate,
        published_on: NaiveDate,
        effective_on: NaiveDate,
        valid_until: Option<NaiveDate>,
        validity_override_reason: Option<String>,
        services: &dyn DocumentServices,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.drafted("issueDocument")?;
        if self.status != S::Approved {
            return Err(if self.status.is_open_draft() {
                DomainError::NotApproved
            } else {
                self.invalid("issueDocument")
            });
        }
        check_text("signer", &signer, MAX_SHORT)?;
        check_opt("registrationNumber", &registration_number, 64)?;
        check_opt(
            "validityOverrideReason",
            &validity_override_reason,
            MAX_TEXT,
        )?;
        if let Some(d) = self.deliberations.last() {
            not_before("issuedOn", issued_on, d.held_on, "the deliberation")?;
        }
        if i32::from(number.year) != issued_on.year() {
            return Err(DomainError::invalid(
                "number",
                format!(
                    "the year in the 文号 must be the year of issue ({})",
                    issued_on.year()
                ),
            ));
        }
        not_before("publishedOn", published_on, issued_on, "the issue date")?;
        not_before("effectiveOn", effective_on, published_on, "publication")?;
        let body = services.issuing_body(&draft.body_code).await?;
        // A body taken off the list (机构改革) issues nothing dated on or after its delisting.
        if !body.as_ref().is_some_and(|b| b.is_listed_on(issued_on)) {
            return Err(DomainError::IssuingBodyNotListed {
                code: draft.body_code.clone(),
                on: issued_on.to_string(),
            });
        }
        if !body.is_some_and(|b| b.has_agency_code(&number.agency_code)) {
            return Err(DomainError::AgencyCodeNotOfBody {
                code: draft.body_code.clone(),
                agency_code: number.agency_code,
            });
        }
        let holder = services.document_number_holder(&number).await?;
        if let Some(holder) = holder.filter(|h| Some(h) != self.id.as_ref()) {
            return Err(DomainError::DocumentNumberTaken {
                number: number.to_string(),
                holder,
            });
        }
        check_registration_number(&registration_number, services).await?;
        let (valid_until, validity_override_reason) = self.validity(
            ("effectiveOn", effective_on),
            valid_until,
            validity_override_reason,
        )?;
        let text_version = self.issuable_text()?;
        Ok(DocumentEvent::Issued(Issuance {
            text_version,
            number,
            registration_number,
            signer,
            issued_on,
            published_on,
            effective_on,
            valid_until,
            validity_override_reason,
        }))
    }

    pub(super) fn republish(
        &self,
        republished_on: NaiveDate,
        registration_number: Option<String>,
        valid_until: Option<NaiveDate>,
        validity_override_reason: Option<String>,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("republishDocument", &[DocumentStatus::Issued])?;
        check_opt("registrationNumber", &registration_number, 64)?;
        check_opt(
            "validityOverrideReason",
            &validity_override_reason,
            MAX_TEXT,
        )?;
        let Some(issuance) = &self.issuance else {
            return Err(self.invalid("republishDocument"));
        };
        not_before(
            "republishedOn",
            republished_on,
            issuance.issued_on,
            "the issue date",
        )?;
        // "重新计算有效期" presupposes a document still in force: after valid_until it has expired.
        if republished_on > issuance.valid_until {
            return Err(DomainError::AlreadyExpired {
                valid_until: issuance.valid_until.to_string(),
            });
        }
        let (valid_until, validity_override_reason) = self.validity(
            ("republishedOn", republished_on),
            valid_until,
            validity_override_reason,
        )?;
        Ok(DocumentEvent::Republished(Republication {
            republished_on,
            registration_number,
            valid_until,
            validity_override_reason,
        }))
    }

    /// The last day in force that an issue or a republication sets: `valid_until`, by default
    /// the maximum counted from `start` (5 years, 2 for 暂行/试行); beyond the maximum only with
    /// a stated reason, which is kept only when stated.
    fn validity(
        &self,
        (start_field, start): (&'static str, NaiveDate),
        valid_until: Option<NaiveDate>,
        override_reason: Option<String>,
    ) -> Result<(NaiveDate, Option<String>), DomainError> {
        let max = self
            .max_valid_until(start)
            .ok_or_else(|| DomainError::invalid(start_field, "is out of the supported range"))?;
        let valid_until = valid_until.unwrap_or(max);
        not_before("validUntil", valid_until, start, start_field)?;
        let reason = override_reason.filter(|r| !r.trim().is_empty());
        if valid_until > max && reason.is_none() {
            return Err(DomainError::ValidityTooLong {
                max_years: if self.is_trial() { 2 } else { 5 },
            });
        }
        Ok((valid_until, reason))
    }

    pub(super) async fn import(
        &self,
        id: String,
        record: ImportedRecord,
        services: &dyn DocumentServices,
    ) -> Result<DocumentEvent, DomainError> {
        if self.draft.is_some() {
            return Err(DomainError::DocumentAlreadyExists { id });
        }
        check_import(&record)?;
        let body = services.issuing_body(&record.body_code).await?;
        let Some(body) = body else {
            return Err(DomainError::IssuingBodyNotListed {
                code: record.body_code.clone(),
                on: record.issued_on.to_string(),
            });
        };
        if !body.has_agency_code(&record.number.agency_code) {
            return Err(DomainError::AgencyCodeNotOfBody {
                code: record.body_code.clone(),
                agency_code: record.number.agency_code.clone(),
            });
        }
        if let Some(holder) = services.document_number_holder(&record.number).await? {
            return Err(DomainError::DocumentNumberTaken {
                number: record.number.to_string(),
                holder,
            });
        }
        Ok(DocumentEvent::DocumentImported { id, record })
    }
}

/// A catalogue record must be coherent on its own: dates in order, an end date exactly
/// when it has ended, a provenance.
pub fn check_import(r: &ImportedRecord) -> Result<(), DomainError> {
    check_text("title", &r.title, MAX_TITLE)?;
    check_text("provenance", &r.provenance, MAX_SHORT)?;
    if i32::from(r.number.year) != r.issued_on.year() {
        return Err(DomainError::invalid(
            "number",
            format!(
                "the year in the 文号 must be the year of issue ({})",
                r.issued_on.year()
            ),
        ));
    }
    not_before("publishedOn", r.published_on, r.issued_on, "the issue date")?;
    not_before("effectiveOn", r.effective_on, r.published_on, "publication")?;
    not_before("validUntil", r.valid_until, r.effective_on, "effectiveOn")?;
    if let Some(f) = r.filed_on {
        not_before("filedOn", f, r.published_on, "publication")?;
    }
    use DocumentStatus as S;
    match (r.status, r.ended_on) {
        (S::Issued, None) => Ok(()),
        (S::Issued, Some(_)) => Err(DomainError::invalid(
            "endedOn",
            "must be empty for a document still in force",
        )),
        (S::Expired | S::Repealed | S::DeclaredInvalid | S::Superseded | S::Revoked, Some(on)) => {
            not_before("endedOn", on, r.issued_on, "the issue date")
        }
        (S::Expired | S::Repealed | S::DeclaredInvalid | S::Superseded | S::Revoked, None) => Err(
            DomainError::invalid("endedOn", "is required for a document no longer in force"),
        ),
        (other, _) => Err(DomainError::invalid(
            "status",
            format!(
                "{} is not a status of an issued document; expected ISSUED, EXPIRED, REPEALED, DECLARED_INVALID, SUPERSEDED or REVOKED",
                other.as_str()
            ),
        )),
    }
}

/// A registration number (登记号) is unique like a 文号 and never released: one already held,
/// by any document, is refused.
pub(super) async fn check_registration_number(
    number: &Option<String>,
    services: &dyn DocumentServices,
) -> Result<(), DomainError> {
    if let Some(number) = number
        && let Some(holder) = services.registration_number_holder(number).await?
    {
        return Err(DomainError::RegistrationNumberTaken {
            number: number.clone(),
            holder,
        });
    }
    Ok(())
}
