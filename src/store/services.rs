//! The services the aggregates consult, answered from the event log itself (not the read
//! model), so a command sees every committed event — except a campaign's inventory, below.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use sqlx::PgPool;
use std::sync::Arc;

use crate::domain::screening::ScreeningRules;

use crate::domain::cleanup_campaign::{CampaignServices, CleanupScope, EntryKind, InventoryEntry};
use crate::domain::document::RecordedStep;
use crate::domain::issuing_body::IssuingBody;
use crate::domain::{
    CertificationItem, DocumentNumber, DocumentServices, DomainError, NormativeDocument,
};
use crate::store::{StoreError, event_log};

pub struct LedgerServices {
    pool: PgPool,
    screening: Arc<ScreeningRules>,
    correction_max_chars: usize,
}

impl LedgerServices {
    pub fn new(pool: PgPool) -> Self {
        LedgerServices {
            pool,
            screening: Arc::new(ScreeningRules::defaults()),
            correction_max_chars: crate::domain::document::DEFAULT_CORRECTION_MAX_CHARS,
        }
    }

    /// The operator's limit on what a correction may change (`--correction-max-chars`).
    pub fn with_correction_max_chars(mut self, max: usize) -> Self {
        self.correction_max_chars = max;
        self
    }

    /// The screening rules in force (the stored ones, loaded at start).
    pub fn with_screening(mut self, screening: Arc<ScreeningRules>) -> Self {
        self.screening = screening;
        self
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

/// The document (or cleanup campaign, for a result's 文号) that claimed `number`.
async fn number_holder(
    pool: &PgPool,
    number: &DocumentNumber,
) -> Result<Option<String>, DomainError> {
    sqlx::query_scalar(
        "SELECT document_id FROM document_number_claims
         WHERE agency_code = $1 AND year = $2 AND serial = $3",
    )
    .bind(&number.agency_code)
    .bind(i32::from(number.year))
    .bind(number.serial as i32)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)
}

#[async_trait]
impl DocumentServices for LedgerServices {
    fn screening_rules(&self) -> Arc<ScreeningRules> {
        self.screening.clone()
    }

    fn correction_max_chars(&self) -> usize {
        self.correction_max_chars
    }

    async fn issuing_body(&self, code: &str) -> Result<Option<IssuingBody>, DomainError> {
        load_issuing_body(&self.pool, code, None)
            .await
            .map_err(unavailable)
    }

    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError> {
        number_holder(&self.pool, number).await
    }

    async fn registration_number_holder(
        &self,
        number: &str,
    ) -> Result<Option<String>, DomainError> {
        sqlx::query_scalar(
            "SELECT document_id FROM registration_number_claims WHERE registration_number = $1",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)
    }

    async fn recorded_step(
        &self,
        document_id: &str,
        position: i64,
    ) -> Result<Option<RecordedStep>, DomainError> {
        let row: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT e.sequence, e.event_type,
                    (SELECT count(*) FROM events o
                     WHERE o.aggregate_type = e.aggregate_type
                       AND o.aggregate_id = e.aggregate_id
                       AND o.event_type = e.event_type AND o.sequence < e.sequence)
             FROM events e
             WHERE e.position = $1 AND e.aggregate_type = $2 AND e.aggregate_id = $3",
        )
        .bind(position)
        .bind(NormativeDocument::TYPE)
        .bind(document_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(row.map(|(sequence, event_type, occurrence)| RecordedStep {
            sequence: sequence as u64,
            event_type,
            occurrence: occurrence as u32,
        }))
    }
}

/// The inventory is the one service answered from the read model (a campaign's inventory is
/// compiled from what is in force, which only the projection knows): the ledger waits for the read model to reach the
/// log's head before a launch, so nothing committed is missed.
#[async_trait]
impl CampaignServices for LedgerServices {
    async fn inventory(&self, scope: &CleanupScope) -> Result<Vec<InventoryEntry>, DomainError> {
        let mut entries = vec![];
        if scope.documents {
            let classes: Vec<String> = scope
                .classes
                .iter()
                .map(|c| {
                    serde_json::to_value(c)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            #[derive(sqlx::FromRow)]
            struct InForce {
                id: uuid::Uuid,
                body_code: String,
                title: String,
                document_number: Option<String>,
            }
            let rows: Vec<InForce> = sqlx::query_as(
                "SELECT id, body_code, title, document_number FROM rm_documents
                 WHERE status = 'ISSUED' AND issued_on <= $1
                   AND (cardinality($2::text[]) = 0 OR body_code = ANY($2))
                   AND (cardinality($3::text[]) = 0 OR state -> 'draft' ->> 'class' = ANY($3))
                   AND ($4::text IS NULL OR EXISTS (
                         SELECT 1 FROM rm_document_citations c
                         WHERE c.document_id = rm_documents.id AND strpos(c.law, $4) > 0
                           AND ($5::int IS NULL OR c.article = $5)))
                 ORDER BY issued_on, id",
            )
            .bind(scope.cut_off)
            .bind(&scope.body_codes)
            .bind(&classes)
            .bind(scope.citing.as_ref().map(|c| c.law.as_str()))
            .bind(
                scope
                    .citing
                    .as_ref()
                    .and_then(|c| c.article)
                    .map(|a| a as i32),
            )
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
            entries.extend(rows.into_iter().map(|d| InventoryEntry {
                kind: EntryKind::Document,
                id: d.id.to_string(),
                label: format!("{} {}", d.document_number.unwrap_or_default(), d.title),
                body_code: Some(d.body_code),
                basis_level: None,
                commitment_excluded: false,
            }));
        }
        if scope.certification_items {
            #[derive(sqlx::FromRow)]
            struct Listed {
                id: uuid::Uuid,
                name: String,
                #[sqlx(json)]
                state: CertificationItem,
            }
            let rows: Vec<Listed> = sqlx::query_as(
                "SELECT id, name, state FROM rm_certification_items
                 WHERE status <> 'CANCELLED'
                   AND (state -> 'registration' ->> 'registered_on')::date <= $1
                 ORDER BY id",
            )
            .bind(scope.cut_off)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
            for Listed { id, name, state } in rows {
                let registration = state.registration.as_ref();
                entries.push(InventoryEntry {
                    kind: EntryKind::CertificationItem,
                    id: id.to_string(),
                    label: name,
                    body_code: None,
                    basis_level: registration.map(|r| r.basis_level),
                    commitment_excluded: registration.is_some_and(|r| r.risk_area.is_some()),
                });
            }
        }
        Ok(entries)
    }

    async fn document_number_holder(
        &self,
        number: &DocumentNumber,
    ) -> Result<Option<String>, DomainError> {
        number_holder(&self.pool, number).await
    }

    async fn is_government_body(&self, code: &str) -> Result<bool, DomainError> {
        Ok(load_issuing_body(&self.pool, code, None)
            .await
            .map_err(unavailable)?
            .and_then(|b| b.listing)
            .is_some_and(|l| l.kind.is_government()))
    }
}
