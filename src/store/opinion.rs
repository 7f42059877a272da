//! The legality review opinion (合法性审核意见书) of a document, written from the record: the
//! document and the bodies it names are folded from the event log (never the read model), so
//! the file says exactly what was recorded.

use sqlx::PgPool;

use super::StoreError;
use super::event_log::fold;
use crate::docx::{self, OpinionParties};
use crate::domain::{IssuingBody, NormativeDocument};

#[derive(Debug, thiserror::Error)]
pub enum OpinionError {
    #[error("no document {0}")]
    NoDocument(uuid::Uuid),
    #[error("the document has no concluded legality review")]
    NotConcluded,
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn listing(
    pool: &PgPool,
    code: &str,
) -> Result<Option<crate::domain::issuing_body::IssuingBodyListing>, StoreError> {
    Ok(fold::<IssuingBody>(pool, code, None)
        .await?
        .and_then(|(b, _)| b.listing))
}

/// The opinion as a .docx, addressed to the drafting unit and signed by the review body, each
/// by the name it was listed under.
pub async fn review_opinion_docx(pool: &PgPool, id: uuid::Uuid) -> Result<Vec<u8>, OpinionError> {
    let (doc, _) = fold::<NormativeDocument>(pool, &id.to_string(), None)
        .await?
        .ok_or(OpinionError::NoDocument(id))?;
    let draft = doc.draft.as_ref();
    let body = draft.map(|d| d.body_code.clone()).unwrap_or_default();
    let unit = draft.map(|d| d.drafting_unit.clone()).unwrap_or_default();
    // The drafting unit by its listed name when it is the issuing body itself; the review body
    // by its listed name when it is a listed body.
    let listed = listing(pool, &body).await?;
    let addressee = match &listed {
        Some(l) if unit == body => l.name.clone(),
        _ => unit,
    };
    let reviewer = match listed.and_then(|l| l.review_body) {
        Some(code) => listing(pool, &code).await?.map(|l| l.name).unwrap_or(code),
        None => "合法性审核机构".to_owned(),
    };
    let parties = OpinionParties {
        addressee: &addressee,
        review_body: &reviewer,
    };
    docx::review_opinion(&doc, &parties).ok_or(OpinionError::NotConcluded)
}
