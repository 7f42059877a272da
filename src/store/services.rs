//! The services the aggregates consult, answered from the event log itself (not the read
//! model), so a command sees every committed event.

use async_trait::async_trait;
use sqlx::PgPool;

use crate::domain::issuing_body::IssuingBody;
use crate::domain::{DocumentNumber, DocumentServices, DomainError};
use crate::store::{StoreError, event_log};

pub struct LedgerServices {
    pool: PgPool,
}

impl LedgerServices {
    pub fn new(pool: PgPool) -> Self {
        LedgerServices { pool }
    }
}

fn unavailable(e: impl std::fmt::Display) -> DomainError {
    DomainError::ServiceUnavailable(e.to_string())
}

/// Folds an issuing body from its events, as recorded up to `as_of` if given.
pub async fn load_issuing_body(
    pool: &PgPool,
    code: &str,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<IssuingBody>, StoreError> {
    Ok(event_log::fold::<IssuingBody>(pool, code, as_of)
        .await?
        .map(|(body, _)| body))
}

#[async_trait]
impl DocumentServices for LedgerServices {
    async fn issuing_body(&self, code: &str) -> Result<Option<IssuingBody>, DomainError> {
        load_issuing_body(&self.pool, code, None)
            .await
            .map_err(unavailable)
    }

    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError> {
        sqlx::query_scalar(
            "SELECT document_id FROM document_number_claims
             WHERE agency_code = $1 AND year = $2 AND serial = $3",
        )
        .bind(&number.agency_code)
        .bind(i32::from(number.year))
        .bind(number.serial as i32)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)
    }
}
