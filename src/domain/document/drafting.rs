//! Drafting and public consultation (征求意见): the guards of the commands before a
//! document goes to the legality review.

use chrono::NaiveDate;

use super::DocumentStatus as S;
use super::*;

impl NormativeDocument {
    pub(super) async fn start_draft(
        &self,
        id: String,
        draft: Draft,
        services: &dyn DocumentServices,
    ) -> Result<DocumentEvent, DomainError> {
        if self.draft.is_some() {
            return Err(DomainError::DocumentAlreadyExists { id });
        }
        check_text("title", &draft.title, MAX_TITLE)?;
        check_optional_text("summary", &draft.summary, MAX_TEXT)?;
        check_text("draftingUnit", &draft.drafting_unit, MAX_SHORT)?;
        let body = services.issuing_body(&draft.body_code).await?;
        if !body.is_some_and(|b| b.is_listed_on(draft.drafted_on)) {
            return Err(DomainError::IssuingBodyNotListed {
                code: draft.body_code,
                on: draft.drafted_on.to_string(),
            });
        }
        Ok(DocumentEvent::Drafted { id, draft })
    }

    pub(super) fn revise_draft(
        &self,
        title: Option<String>,
        summary: Option<String>,
        is_trial: Option<bool>,
        is_major_decision: Option<bool>,
        revised_on: NaiveDate,
        new_text: bool,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.expect("reviseDraft", &[S::Drafting, S::Revising])?;
        check_opt("summary", &summary, MAX_TEXT)?;
        if let Some(t) = &title {
            check_text("title", t, MAX_TITLE)?;
        }
        not_before("revisedOn", revised_on, draft.drafted_on, "the draft date")?;
        // A new text alone is a revision too (its TextRecorded follows).
        if title.is_none()
            && summary.is_none()
            && is_trial.is_none()
            && is_major_decision.is_none()
            && !new_text
        {
            return Err(DomainError::invalid("input", "nothing to revise"));
        }
        Ok(DocumentEvent::DraftRevised {
            title,
            summary,
            is_trial,
            is_major_decision,
            revised_on,
        })
    }

    /// A file joins the submission package while the document is drafted or in review; its
    /// identity is the SHA-256 of its bytes, and the same file twice is refused.
    pub(super) fn add_attachment(&self, a: NewAttachment) -> Result<DocumentEvent, DomainError> {
        let draft = self.expect(
            "addAttachment",
            &[
                S::Drafting,
                S::Consultation,
                S::Submitted,
                S::UnderReview,
                S::Revising,
            ],
        )?;
        check_text("name", &a.name, MAX_SHORT)?;
        not_before("addedOn", a.added_on, draft.drafted_on, "the draft date")?;
        if !ATTACHMENT_TYPES.contains(&a.content_type.as_str()) {
            return Err(DomainError::invalid(
                "file",
                format!(
                    "{} is not a type the package takes (PDF, OFD, Word, Excel, JPEG, PNG)",
                    a.content_type
                ),
            ));
        }
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&a.content_base64)
            .map_err(|_| DomainError::invalid("file", "the content is not base64"))?;
        if bytes.is_empty() || bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(DomainError::invalid(
                "file",
                format!("must be 1 to {MAX_ATTACHMENT_BYTES} bytes"),
            ));
        }
        let sha256 = crate::domain::text::text_hash_bytes(&bytes);
        if self.attachments.iter().any(|x| x.sha256 == sha256) {
            return Err(DomainError::invalid(
                "file",
                "this file is already in the package",
            ));
        }
        Ok(DocumentEvent::AttachmentAdded(RecordedAttachment {
            name: a.name,
            kind: a.kind,
            content_type: a.content_type,
            size: bytes.len() as u64,
            sha256,
            content_base64: a.content_base64,
            added_on: a.added_on,
            stage: self.status,
        }))
    }

    pub(super) fn open_consultation(
        &self,
        opened_on: NaiveDate,
        closes_on: NaiveDate,
        channel: String,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.expect("openConsultation", &[S::Drafting])?;
        check_text("channel", &channel, MAX_SHORT)?;
        not_before("openedOn", opened_on, draft.drafted_on, "the draft date")?;
        not_before("closesOn", closes_on, opened_on, "the opening date")?;
        Ok(DocumentEvent::ConsultationOpened {
            opened_on,
            closes_on,
            channel,
        })
    }

    pub(super) fn close_consultation(
        &self,
        closed_on: NaiveDate,
        comments_received: u32,
        adoption_summary: String,
    ) -> Result<DocumentEvent, DomainError> {
        self.expect("closeConsultation", &[S::Consultation])?;
        check_optional_text("adoptionSummary", &adoption_summary, MAX_TEXT)?;
        if let Some(c) = self.consultations.last() {
            not_before("closedOn", closed_on, c.opened_on, "the opening date")?;
        }
        Ok(DocumentEvent::ConsultationClosed {
            closed_on,
            comments_received,
            adoption_summary,
        })
    }

    pub(super) fn submit_for_review(
        &self,
        submitted_on: NaiveDate,
        materials: Vec<String>,
    ) -> Result<DocumentEvent, DomainError> {
        let draft = self.expect("submitForReview", &[S::Drafting])?;
        if materials.is_empty() {
            return Err(DomainError::invalid(
                "materials",
                "list the submitted materials (送审材料), at least the draft",
            ));
        }
        check_list("materials", &materials, MAX_SHORT)?;
        not_before(
            "submittedOn",
            submitted_on,
            draft.drafted_on,
            "the draft date",
        )?;
        Ok(DocumentEvent::SubmittedForReview {
            submitted_on,
            materials,
        })
    }
}
