//! Read-model writers: fold each event into its aggregate's stored state (with the write
//! side's own `apply`) and upsert the row with the columns queries filter on.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use cqrs_es::Aggregate;
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

use serde::de::DeserializeOwned;

use crate::domain::text;
use crate::domain::{
    CertificationItem, CleanupCampaign, IssuingBody, NormativeDocument, StoredEvent,
};
use crate::projection::queries::StateRow;
use crate::store::StoreError;
use crate::store::event_log::EventRecord;

struct Row<A> {
    state: A,
    /// Whether this batch folded an event into it (a row whose events were all skipped is
    /// not written back).
    advanced: bool,
    version: i64,
    position: i64,
    recorded_at: DateTime<Utc>,
}

/// The touched rows of one aggregate type, and how to read stored rows back.
struct Rows<A> {
    rows: HashMap<String, Row<A>>,
    /// `SELECT key AS id, state, version` for the keys in `$1` (a text array); a constant,
    /// never input.
    select: &'static str,
    /// Events at or below their row's version, left alone.
    skipped: u64,
    /// Whether this type's rows are written by its commands (the inline projection): then an
    /// event its row holds is counted here instead, as expected, not as an overlap.
    inline: bool,
    held_inline: u64,
}

impl<A> Rows<A>
where
    A: Aggregate + Default + DeserializeOwned + Unpin + 'static,
    A::Event: StoredEvent,
{
    fn new(select: &'static str) -> Self {
        Rows {
            rows: HashMap::new(),
            select,
            skipped: 0,
            inline: false,
            held_inline: 0,
        }
    }

    /// Rows its commands write in their own transactions (see `projection::inline`).
    fn written_inline(mut self) -> Self {
        self.inline = true;
        self
    }

    /// Loads, in one statement, the stored state of every aggregate of this type that the
    /// events touch and this batch does not hold yet (a new aggregate starts from default).
    async fn load(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        events: &[EventRecord],
    ) -> Result<(), StoreError> {
        let mut first: HashMap<&str, &EventRecord> = HashMap::new();
        for e in events.iter().filter(|e| e.aggregate_type == A::TYPE) {
            if !self.rows.contains_key(&e.aggregate_id) {
                first.entry(e.aggregate_id.as_str()).or_insert(e);
            }
        }
        if first.is_empty() {
            return Ok(());
        }
        let keys: Vec<&str> = first.keys().copied().collect();
        let stored: Vec<StateRow<String, A>> = sqlx::query_as(self.select)
            .bind(&keys)
            .fetch_all(&mut **tx)
            .await?;
        let mut stored: HashMap<String, StateRow<String, A>> =
            stored.into_iter().map(|r| (r.id.clone(), r)).collect();
        for (key, e) in first {
            let row = match stored.remove(key) {
                Some(StateRow { state, version, .. }) => Row {
                    state,
                    advanced: false,
                    version,
                    position: e.position,
                    recorded_at: e.recorded_at,
                },
                None => row(A::default(), e),
            };
            self.rows.insert(key.to_owned(), row);
        }
        Ok(())
    }

    /// Folds the event into its loaded aggregate (the payload is moved, not copied), unless
    /// the row already holds it.
    fn apply(&mut self, mut e: EventRecord) -> Result<(), StoreError> {
        let Some(r) = self.rows.get_mut(&e.aggregate_id) else {
            return Ok(());
        };
        if e.sequence <= r.version {
            if self.inline {
                self.held_inline += 1;
            } else {
                self.skipped += 1;
            }
            return Ok(());
        }
        let payload = std::mem::take(&mut e.payload);
        let event = A::Event::decode(&e.event_type, &e.event_version, payload)?;
        r.state.apply(event);
        advance(r, &e);
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
            // Keys come back as they were asked for (the event's aggregate id), not re-printed.
            documents: Rows::new(
                "SELECT k.key AS id, t.state, t.version FROM unnest($1::text[]) AS k(key)
                 JOIN rm_documents t ON t.id = k.key::uuid",
            )
            .written_inline(),
            bodies: Rows::new(
                "SELECT k.key AS id, t.state, t.version FROM unnest($1::text[]) AS k(key)
                 JOIN rm_issuing_bodies t ON t.code = k.key",
            ),
            items: Rows::new(
                "SELECT k.key AS id, t.state, t.version FROM unnest($1::text[]) AS k(key)
                 JOIN rm_certification_items t ON t.id = k.key::uuid",
            ),
            campaigns: Rows::new(
                "SELECT k.key AS id, t.state, t.version FROM unnest($1::text[]) AS k(key)
                 JOIN rm_cleanup_campaigns t ON t.id = k.key::uuid",
            ),
        }
    }
}

impl ReadModelBatch {
    /// Loads the stored state of every aggregate the events touch that this batch does not
    /// hold yet: one statement per aggregate type, not one per aggregate.
    pub async fn load(
        &mut self,
        tx: &mut Transaction<'_, Postgres>,
        events: &[EventRecord],
    ) -> Result<(), StoreError> {
        self.documents.load(tx, events).await?;
        self.bodies.load(tx, events).await?;
        self.items.load(tx, events).await?;
        self.campaigns.load(tx, events).await
    }

    /// How many events this batch left alone because their rows already held them, though
    /// no command writes those rows (two writers overlapped).
    pub fn skipped(&self) -> u64 {
        self.documents.skipped + self.bodies.skipped + self.items.skipped + self.campaigns.skipped
    }

    /// How many events this batch found in the rows their commands wrote (inline).
    pub fn held_inline(&self) -> u64 {
        self.documents.held_inline
    }

    /// Applies one event to its (loaded) aggregate.
    pub fn apply(&mut self, e: EventRecord) -> Result<(), StoreError> {
        match e.aggregate_type.as_str() {
            NormativeDocument::TYPE => self.documents.apply(e),
            IssuingBody::TYPE => self.bodies.apply(e),
            CertificationItem::TYPE => self.items.apply(e),
            CleanupCampaign::TYPE => self.campaigns.apply(e),
            _ => Ok(()),
        }
    }

    pub async fn write(self, tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        for (id, r) in self.campaigns.rows.iter().filter(|(_, r)| r.advanced) {
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
        for (id, r) in self.items.rows.iter().filter(|(_, r)| r.advanced) {
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
        for (code, r) in self.bodies.rows.into_iter().filter(|(_, r)| r.advanced) {
            let Some(listing) = &r.state.listing else {
                continue;
            };
            sqlx::query(
                "INSERT INTO rm_issuing_bodies
                   (code, name, kind, agency_codes, listed_from, delisted_on, state,
                    last_position, updated_at, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (code) DO UPDATE SET
                   name = EXCLUDED.name, kind = EXCLUDED.kind,
                   agency_codes = EXCLUDED.agency_codes, listed_from = EXCLUDED.listed_from,
                   delisted_on = EXCLUDED.delisted_on, state = EXCLUDED.state,
                   last_position = EXCLUDED.last_position, updated_at = EXCLUDED.updated_at,
                   version = EXCLUDED.version",
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
            .bind(r.version)
            .execute(&mut **tx)
            .await?;
        }
        write_documents(tx, self.documents.rows, true).await
    }
}

/// Writes one document's rows (`rm_documents`, its clauses and citations) as the command
/// that just produced `state` left it: the inline projection, in the append's transaction.
/// The very writer the projector uses, so that the two cannot write different rows.
/// `titles`: whether the title's search row is written (the command set or changed the
/// title, or recorded a text, whose version the row carries); otherwise it already is as it
/// should be. Clauses are replaced only when `state` carries a text body (a text the command
/// recorded).
pub(crate) async fn write_document(
    tx: &mut Transaction<'_, Postgres>,
    id: &str,
    state: NormativeDocument,
    last: &EventRecord,
    titles: bool,
) -> Result<(), StoreError> {
    let mut r = row(state, last);
    advance(&mut r, last);
    write_documents(tx, HashMap::from([(id.to_owned(), r)]), titles).await
}

/// Upserts the batch's documents in one statement (arrays unnested server-side): a replay
/// or a busy projector writes a batch of documents in one round trip, not one per document.
/// A row is only ever moved forward (a row that already holds a later version, written by a
/// command in its own transaction, is left alone), and clauses are written only for the rows
/// actually written.
async fn write_documents(
    tx: &mut Transaction<'_, Postgres>,
    rows: HashMap<String, Row<NormativeDocument>>,
    titles: bool,
) -> Result<(), StoreError> {
    let mut c = DocumentColumns::default();
    let mut clauses = ClauseColumns::default();
    for (id, r) in rows.into_iter().filter(|(_, r)| r.advanced) {
        let (Some(draft), Ok(id)) = (&r.state.draft, Uuid::parse_str(&id)) else {
            continue;
        };
        let issuance = r.state.issuance.as_ref();
        c.id.push(id);
        c.body_code.push(draft.body_code.clone());
        c.title.push(draft.title.clone());
        c.status.push(r.state.status.as_str());
        c.filing_status.push(r.state.filing_status.as_str());
        c.document_number
            .push(issuance.map(|i| i.number.to_string()));
        c.year.push(
            issuance
                .map(|i| i32::from(i.number.year))
                .unwrap_or(draft.drafted_on.year()),
        );
        c.drafted_on.push(draft.drafted_on);
        c.issued_on.push(issuance.map(|i| i.issued_on));
        c.published_on.push(issuance.map(|i| i.published_on));
        c.effective_on.push(issuance.map(|i| i.effective_on));
        c.valid_until.push(issuance.map(|i| i.valid_until));
        c.ended_on.push(r.state.ending.as_ref().map(|e| e.on));
        c.correction_due_on.push(r.state.correction_due_on());
        c.version.push(r.version);
        c.position.push(r.position);
        c.updated_at.push(r.recorded_at);
        clauses.add(id, &r.state, titles);
        // Serialised straight into the statement's buffer, with no JSON value in between.
        c.state.push(sqlx::types::Json(r.state));
    }
    if c.id.is_empty() {
        return Ok(());
    }
    let c_len = c.id.len();
    let written: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO rm_documents
           (id, body_code, title, status, filing_status, document_number, year,
            drafted_on, issued_on, effective_on, valid_until, state, version,
            last_position, updated_at, ended_on, correction_due_on, published_on)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::int[], $8::date[], $9::date[], $10::date[],
                              $11::date[], $12::jsonb[], $13::bigint[], $14::bigint[],
                              $15::timestamptz[], $16::date[], $17::date[], $18::date[])
         ON CONFLICT (id) DO UPDATE SET
           title = EXCLUDED.title, status = EXCLUDED.status,
           filing_status = EXCLUDED.filing_status,
           document_number = EXCLUDED.document_number, year = EXCLUDED.year,
           issued_on = EXCLUDED.issued_on, effective_on = EXCLUDED.effective_on,
           valid_until = EXCLUDED.valid_until, state = EXCLUDED.state,
           version = EXCLUDED.version, last_position = EXCLUDED.last_position,
           updated_at = EXCLUDED.updated_at, ended_on = EXCLUDED.ended_on,
           correction_due_on = EXCLUDED.correction_due_on,
           published_on = EXCLUDED.published_on
         WHERE rm_documents.version < EXCLUDED.version
         RETURNING id",
    )
    .bind(c.id)
    .bind(c.body_code)
    .bind(c.title)
    .bind(c.status)
    .bind(c.filing_status)
    .bind(c.document_number)
    .bind(c.year)
    .bind(c.drafted_on)
    .bind(c.issued_on)
    .bind(c.effective_on)
    .bind(c.valid_until)
    .bind(c.state)
    .bind(c.version)
    .bind(c.position)
    .bind(c.updated_at)
    .bind(c.ended_on)
    .bind(c.correction_due_on)
    .bind(c.published_on)
    .fetch_all(&mut **tx)
    .await?;
    if written.len() < c_len {
        clauses.keep(&written);
    }
    clauses.write(tx).await
}

/// `rm_document_clauses`, column by column: each written document's title (position 0), and
/// the clauses of a text recorded in this batch, which replace the document's earlier ones.
#[derive(Default)]
struct ClauseColumns {
    replaced: Vec<Uuid>,
    document_id: Vec<Uuid>,
    version: Vec<i32>,
    position: Vec<i32>,
    clause_id: Vec<String>,
    number: Vec<String>,
    text: Vec<String>,
    grams: Vec<String>,
    citations: Vec<(Uuid, i32, text::Citation)>,
}

impl ClauseColumns {
    fn push(&mut self, id: Uuid, version: u32, position: usize, clause: (&str, &str, &str)) {
        self.document_id.push(id);
        self.version.push(version as i32);
        self.position.push(position as i32);
        self.clause_id.push(clause.0.to_owned());
        self.number.push(clause.1.to_owned());
        self.text.push(clause.2.to_owned());
        // As an array literal: unnest cannot take an array of arrays of different lengths.
        let keys: Vec<String> = text::bigram_keys(clause.2)
            .iter()
            .map(i32::to_string)
            .collect();
        self.grams.push(format!("{{{}}}", keys.join(",")));
    }

    fn add(&mut self, id: Uuid, doc: &NormativeDocument, title: bool) {
        let latest = doc.latest_text();
        let version = latest.map_or(0, |t| t.version);
        if let Some(draft) = doc.draft.as_ref().filter(|_| title) {
            self.push(id, version, 0, ("title", "", &draft.title));
        }
        // A text folded in this batch still has its body (the stored state leaves it out).
        let Some(t) = latest.filter(|t| !t.text.is_empty()) else {
            return;
        };
        self.replaced.push(id);
        let clauses = text::clauses(&t.text);
        for (i, c) in clauses.iter().filter(|c| text::searchable(c)).enumerate() {
            self.push(id, version, i + 1, (&c.id, &c.number, &c.text));
        }
        for citation in text::citations(&clauses) {
            self.citations.push((id, version as i32, citation));
        }
    }

    /// Drops what belongs to documents other than `written` (rows another writer had
    /// already moved past this batch).
    fn keep(&mut self, written: &[Uuid]) {
        let kept = |id: &Uuid| written.contains(id);
        self.replaced.retain(kept);
        self.citations.retain(|(id, _, _)| kept(id));
        let keep: Vec<bool> = self.document_id.iter().map(kept).collect();
        let mut i = 0;
        self.document_id.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        for column in [
            &mut self.clause_id,
            &mut self.number,
            &mut self.text,
            &mut self.grams,
        ] {
            let mut i = 0;
            column.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        for column in [&mut self.version, &mut self.position] {
            let mut i = 0;
            column.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
    }

    async fn write(self, tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        if self.document_id.is_empty() && self.replaced.is_empty() {
            return Ok(());
        }
        if !self.replaced.is_empty() {
            sqlx::query(
                "DELETE FROM rm_document_clauses WHERE document_id = ANY($1) AND position > 0",
            )
            .bind(&self.replaced)
            .execute(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM rm_document_citations WHERE document_id = ANY($1)")
                .bind(&self.replaced)
                .execute(&mut **tx)
                .await?;
            let (mut ids, mut versions, mut clauses, mut laws, mut articles) =
                (vec![], vec![], vec![], vec![], vec![]);
            for (id, version, c) in self.citations {
                ids.push(id);
                versions.push(version);
                clauses.push(c.clause);
                laws.push(c.law);
                articles.push(c.article.unwrap_or(0) as i32);
            }
            sqlx::query(
                "INSERT INTO rm_document_citations (document_id, version, clause_id, law, article)
                 SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[])",
            )
            .bind(ids)
            .bind(versions)
            .bind(clauses)
            .bind(laws)
            .bind(articles)
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO rm_document_clauses
               (document_id, version, position, clause_id, number, text, grams)
             SELECT d, v, p, c, n, t, g::integer[]
             FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[],
                         $7::text[]) AS x(d, v, p, c, n, t, g)
             ON CONFLICT (document_id, position) DO UPDATE SET
               version = EXCLUDED.version, clause_id = EXCLUDED.clause_id,
               number = EXCLUDED.number, text = EXCLUDED.text, grams = EXCLUDED.grams
             -- Most events leave the title as it was: no row rewrite, no index churn.
             WHERE (rm_document_clauses.version, rm_document_clauses.clause_id,
                    rm_document_clauses.text)
                   IS DISTINCT FROM (EXCLUDED.version, EXCLUDED.clause_id, EXCLUDED.text)",
        )
        .bind(self.document_id)
        .bind(self.version)
        .bind(self.position)
        .bind(self.clause_id)
        .bind(self.number)
        .bind(self.text)
        .bind(self.grams)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// `rm_documents`, column by column, for one unnested upsert.
#[derive(Default)]
struct DocumentColumns {
    id: Vec<Uuid>,
    body_code: Vec<String>,
    title: Vec<String>,
    status: Vec<&'static str>,
    filing_status: Vec<&'static str>,
    document_number: Vec<Option<String>>,
    year: Vec<i32>,
    drafted_on: Vec<NaiveDate>,
    issued_on: Vec<Option<NaiveDate>>,
    published_on: Vec<Option<NaiveDate>>,
    effective_on: Vec<Option<NaiveDate>>,
    valid_until: Vec<Option<NaiveDate>>,
    ended_on: Vec<Option<NaiveDate>>,
    correction_due_on: Vec<Option<NaiveDate>>,
    state: Vec<sqlx::types::Json<NormativeDocument>>,
    version: Vec<i64>,
    position: Vec<i64>,
    updated_at: Vec<DateTime<Utc>>,
}

fn row<A>(state: A, e: &EventRecord) -> Row<A> {
    Row {
        state,
        advanced: false,
        version: 0,
        position: e.position,
        recorded_at: e.recorded_at,
    }
}

fn advance<A>(r: &mut Row<A>, e: &EventRecord) {
    r.advanced = true;
    r.version = e.sequence;
    r.position = e.position;
    r.recorded_at = e.recorded_at;
}
