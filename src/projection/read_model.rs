//! Read-model writers: fold each event into its aggregate's stored state (with the write
//! side's own `apply`) and upsert the row with the columns queries filter on.

use chrono::{DateTime, Datelike, Utc};
use cqrs_es::Aggregate;
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

use serde::de::DeserializeOwned;

use crate::domain::{
    CertificationItem, CleanupCampaign, IssuingBody, NormativeDocument, StoredEvent,
};
use crate::store::StoreError;
use crate::store::event_log::EventRecord;

struct Row<A> {
    state: A,
    version: i64,
    position: i64,
    recorded_at: DateTime<Utc>,
}

/// The touched rows of one aggregate type, and how to read a stored row back.
struct Rows<A> {
    rows: HashMap<String, Row<A>>,
    /// `SELECT state FROM <table> WHERE <key> = $1` (a constant, never input).
    select: &'static str,
}

impl<A> Rows<A>
where
    A: Aggregate + Default + DeserializeOwned,
    A::Event: StoredEvent,
{
    fn new(select: &'static str) -> Self {
        Rows {
            rows: HashMap::new(),
            select,
        }
    }

    async fn load(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        e: &EventRecord,
    ) -> Result<(), StoreError> {
        if self.rows.contains_key(&e.aggregate_id) {
            return Ok(());
        }
        let stored: Option<serde_json::Value> = sqlx::query_scalar(self.select)
            .bind(&e.aggregate_id)
            .fetch_optional(&mut **tx)
            .await?;
        let state = stored.map(serde_json::from_value).transpose()?;
        self.rows
            .insert(e.aggregate_id.clone(), row(state.unwrap_or_default(), e));
        Ok(())
    }

    fn apply(&mut self, e: &EventRecord) -> Result<(), StoreError> {
        let event = A::Event::decode(&e.event_type, &e.event_version, e.payload.clone())?;
        if let Some(r) = self.rows.get_mut(&e.aggregate_id) {
            r.state.apply(event);
            advance(r, e);
        }
        Ok(())
    }
}

/// The aggregates touched by one batch of events, written back once at the end.
pub struct ReadModelBatch {
    documents: Rows<NormativeDocument>,
    bodies: Rows<IssuingBody>,
    items: Rows<CertificationItem>,
    campaigns: Rows<CleanupCampaign>,
}

impl Default for ReadModelBatch {
    fn default() -> Self {
        ReadModelBatch {
            documents: Rows::new("SELECT state FROM rm_documents WHERE id = $1::uuid"),
            bodies: Rows::new("SELECT state FROM rm_issuing_bodies WHERE code = $1"),
            items: Rows::new("SELECT state FROM rm_certification_items WHERE id = $1::uuid"),
            campaigns: Rows::new("SELECT state FROM rm_cleanup_campaigns WHERE id = $1::uuid"),
        }
    }
}

impl ReadModelBatch {
    /// Loads the stored state of the event's aggregate unless this batch already has it.
    pub async fn load(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        e: &EventRecord,
    ) -> Result<(), StoreError> {
        match e.aggregate_type.as_str() {
            NormativeDocument::TYPE => self.documents.load(tx, e).await,
            IssuingBody::TYPE => self.bodies.load(tx, e).await,
            CertificationItem::TYPE => self.items.load(tx, e).await,
            CleanupCampaign::TYPE => self.campaigns.load(tx, e).await,
            _ => Ok(()),
        }
    }

    /// Applies one event to its (loaded) aggregate.
    pub fn apply(&mut self, e: &EventRecord) -> Result<(), StoreError> {
        match e.aggregate_type.as_str() {
            NormativeDocument::TYPE => self.documents.apply(e),
            IssuingBody::TYPE => self.bodies.apply(e),
            CertificationItem::TYPE => self.items.apply(e),
            CleanupCampaign::TYPE => self.campaigns.apply(e),
            _ => Ok(()),
        }
    }

    pub async fn write(self, tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        for (id, r) in &self.campaigns.rows {
            let (Some(launch), Ok(id)) = (&r.state.launch, Uuid::parse_str(id)) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO rm_cleanup_campaigns
                   (id, notice_number, title, status, launched_on, state, version,
                    last_position, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET
                   status = EXCLUDED.status, state = EXCLUDED.state,
                   version = EXCLUDED.version, last_position = EXCLUDED.last_position,
                   updated_at = EXCLUDED.updated_at",
            )
            .bind(id)
            .bind(&launch.notice_number)
            .bind(&launch.title)
            .bind(r.state.status.as_str())
            .bind(launch.launched_on)
            .bind(serde_json::to_value(&r.state)?)
            .bind(r.version)
            .bind(r.position)
            .bind(r.recorded_at)
            .execute(&mut **tx)
            .await?;
        }
        for (id, r) in &self.items.rows {
            let (Some(reg), Ok(id)) = (&r.state.registration, Uuid::parse_str(id)) else {
                continue;
            };
            sqlx::query(
                "INSERT INTO rm_certification_items
                   (id, name, status, basis_level, commitment_enabled, state, version,
                    last_position, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET
                   name = EXCLUDED.name, status = EXCLUDED.status,
                   basis_level = EXCLUDED.basis_level,
                   commitment_enabled = EXCLUDED.commitment_enabled, state = EXCLUDED.state,
                   version = EXCLUDED.version, last_position = EXCLUDED.last_position,
                   updated_at = EXCLUDED.updated_at",
            )
            .bind(id)
            .bind(&reg.name)
            .bind(r.state.status.as_str())
            .bind(
                serde_json::to_value(reg.basis_level)?
                    .as_str()
                    .unwrap_or_default(),
            )
            .bind(r.state.commitment_enabled)
            .bind(serde_json::to_value(&r.state)?)
            .bind(r.version)
            .bind(r.position)
            .bind(r.recorded_at)
            .execute(&mut **tx)
            .await?;
        }
        for (code, r) in self.bodies.rows {
            let Some(listing) = &r.state.listing else {
                continue;
            };
            sqlx::query(
                "INSERT INTO rm_issuing_bodies
                   (code, name, kind, agency_codes, listed_from, delisted_on, state,
                    last_position, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (code) DO UPDATE SET
                   name = EXCLUDED.name, kind = EXCLUDED.kind,
                   agency_codes = EXCLUDED.agency_codes, listed_from = EXCLUDED.listed_from,
                   delisted_on = EXCLUDED.delisted_on, state = EXCLUDED.state,
                   last_position = EXCLUDED.last_position, updated_at = EXCLUDED.updated_at",
            )
            .bind(&code)
            .bind(&listing.name)
            .bind(
                serde_json::to_value(listing.kind)?
                    .as_str()
                    .unwrap_or_default(),
            )
            .bind(&listing.agency_codes)
            .bind(listing.listed_from)
            .bind(r.state.delisted_on)
            .bind(serde_json::to_value(&r.state)?)
            .bind(r.position)
            .bind(r.recorded_at)
            .execute(&mut **tx)
            .await?;
        }
        for (id, r) in self.documents.rows {
            let Some(draft) = &r.state.draft else {
                continue;
            };
            let Ok(id) = Uuid::parse_str(&id) else {
                continue;
            };
            let issuance = r.state.issuance.as_ref();
            let year = issuance
                .map(|i| i32::from(i.number.year))
                .unwrap_or(draft.drafted_on.year());
            sqlx::query(
                "INSERT INTO rm_documents
                   (id, body_code, title, status, filing_status, document_number, year,
                    drafted_on, issued_on, effective_on, valid_until, state, version,
                    last_position, updated_at, ended_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 ON CONFLICT (id) DO UPDATE SET
                   title = EXCLUDED.title, status = EXCLUDED.status,
                   filing_status = EXCLUDED.filing_status,
                   document_number = EXCLUDED.document_number, year = EXCLUDED.year,
                   issued_on = EXCLUDED.issued_on, effective_on = EXCLUDED.effective_on,
                   valid_until = EXCLUDED.valid_until, state = EXCLUDED.state,
                   version = EXCLUDED.version, last_position = EXCLUDED.last_position,
                   updated_at = EXCLUDED.updated_at, ended_on = EXCLUDED.ended_on",
            )
            .bind(id)
            .bind(&draft.body_code)
            .bind(&draft.title)
            .bind(r.state.status.as_str())
            .bind(r.state.filing_status.as_str())
            .bind(issuance.map(|i| i.number.to_string()))
            .bind(year)
            .bind(draft.drafted_on)
            .bind(issuance.map(|i| i.issued_on))
            .bind(issuance.map(|i| i.effective_on))
            .bind(issuance.map(|i| i.valid_until))
            .bind(serde_json::to_value(&r.state)?)
            .bind(r.version)
            .bind(r.position)
            .bind(r.recorded_at)
            .bind(r.state.ending.as_ref().map(|e| e.on))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

fn row<A>(state: A, e: &EventRecord) -> Row<A> {
    Row {
        state,
        version: 0,
        position: e.position,
        recorded_at: e.recorded_at,
    }
}

fn advance<A>(r: &mut Row<A>, e: &EventRecord) {
    r.version = e.sequence;
    r.position = e.position;
    r.recorded_at = e.recorded_at;
}
