//! The inline projection of documents: how a document command is stored.
//!
//! A document's command appends its events **and** writes the document's own read-model rows
//! (`rm_documents`, its clauses and citations) in one transaction, from the state the command
//! just computed. Read-your-writes then holds by construction: when the append commits, the
//! row is there, with no wait for the projector and no second round trip to learn the
//! events' positions (the insert returns them).
//!
//! The catch-up projector still reads every event, in commit order: an event whose row
//! already holds it (every document event a command wrote) is passed over, and one appended
//! any other way (a restore, SQL by hand) is folded as before. A row only ever moves forward
//! (the upsert keeps the higher version), so the two writers can never fold one event twice
//! or put a row back. `replay` still rebuilds every row from the log, with the same writer
//! (`read_model::write_document`), and a test holds inline rows equal to replayed ones.
//!
//! The aggregate is loaded by folding its events (one statement), not from its row: the row
//! leaves the texts out, and the text rules (corrections, diffs) need them.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateError, DomainEvent};
use sqlx::PgPool;
use std::collections::HashMap;

use crate::domain::{DocumentCommand, DomainError, NormativeDocument};
use crate::projection::queries::DocumentRow;
use crate::store::event_log::{self, EventRecord, LogPoint};

/// A document as a command finds it: its state folded from the log, and its version.
pub struct Loaded {
    pub state: NormativeDocument,
    pub version: i64,
}

/// What a command appended.
#[derive(Debug, Clone)]
pub struct Appended {
    /// Where its last event sits in the log.
    pub point: LogPoint,
    /// Whether no older transaction was running when it appended: then it is settled the
    /// moment it commits, and nobody need wait for it.
    pub settled: bool,
    /// The document's row as written (what a read would return).
    pub row: DocumentRow,
}

/// What a command changed of what the search rows hold.
#[derive(Debug, Clone, Copy)]
struct Change {
    retitled: bool,
    new_text: bool,
}

/// Loads, decides, and appends with the rows, for document commands.
pub struct DocumentStore {
    pool: PgPool,
}

type Failure = AggregateError<DomainError>;

impl DocumentStore {
    pub fn new(pool: PgPool) -> Self {
        DocumentStore { pool }
    }

    /// Runs `command` against document `id`: loads it, lets the aggregate decide, and
    /// appends what it decided with the document's rows. `None` when the command decided
    /// nothing (an idempotent repeat of a step already taken).
    pub async fn execute(
        &self,
        id: &str,
        command: DocumentCommand,
        services: &<NormativeDocument as Aggregate>::Services,
        metadata: &HashMap<String, String>,
    ) -> Result<Option<Appended>, Failure> {
        let Loaded { mut state, version } = self.load(id).await?;
        let title = state.draft.as_ref().map(|d| d.title.clone());
        let text = state.latest_text().map(|t| (t.version, t.hash.clone()));
        let sink = EventSink::default();
        state
            .handle(command, services, &sink)
            .await
            .map_err(AggregateError::UserError)?;
        let events = sink.collect().await;
        if events.is_empty() {
            return Ok(None);
        }
        // The sink has applied the events: `state` is the document as it now stands.
        let change = Change {
            retitled: state.draft.as_ref().map(|d| &d.title) != title.as_ref(),
            new_text: state.latest_text().map(|t| (t.version, t.hash.clone())) != text,
        };
        self.append(id, version, events, state, change, metadata)
            .await
            .map(Some)
    }

    /// The document folded from its events, in one statement.
    pub async fn load(&self, id: &str) -> Result<Loaded, Failure> {
        let events = event_log::aggregate_events(&self.pool, NormativeDocument::TYPE, id, None)
            .await
            .map_err(database)?;
        let mut state = NormativeDocument::default();
        let mut version = 0;
        for e in events {
            version = e.sequence;
            let event = <NormativeDocument as Aggregate>::Event::decode(
                &e.event_type,
                &e.event_version,
                e.payload,
            )
            .map_err(|e| AggregateError::DeserializationError(Box::new(e)))?;
            state.apply(event);
        }
        Ok(Loaded { state, version })
    }

    /// Appends `events` after `version` (one statement, which returns their positions) and
    /// writes the document's rows from `state`, in one transaction. Someone else's append
    /// at the same sequence (a concurrent command) is a conflict, which the ledger retries.
    async fn append(
        &self,
        id: &str,
        version: i64,
        events: Vec<<NormativeDocument as Aggregate>::Event>,
        state: NormativeDocument,
        change: Change,
        metadata: &HashMap<String, String>,
    ) -> Result<Appended, Failure> {
        let unexpected = |e: serde_json::Error| AggregateError::UnexpectedError(Box::new(e));
        // The row keeps what the state serialises (texts left out): answer with exactly that.
        let answer: NormativeDocument = serde_json::to_value(&state)
            .and_then(serde_json::from_value)
            .map_err(unexpected)?;
        let metadata = serde_json::to_value(metadata).map_err(unexpected)?;
        let n = events.len();
        let mut sequences = Vec::with_capacity(n);
        let mut types = Vec::with_capacity(n);
        let mut versions = Vec::with_capacity(n);
        let mut payloads = Vec::with_capacity(n);
        for (i, event) in events.into_iter().enumerate() {
            sequences.push(version + 1 + i as i64);
            types.push(event.event_type());
            versions.push(event.event_version());
            payloads.push(serde_json::to_value(&event).map_err(unexpected)?);
        }
        let mut tx = self.pool.begin().await.map_err(database)?;
        // One row per event, in order: the chain and claim triggers run for each as before.
        // With each, the oldest transaction still running: if it is this one, nothing older
        // can commit after it, and it is settled when it commits.
        #[derive(sqlx::FromRow)]
        struct Inserted {
            #[sqlx(flatten)]
            event: EventRecord,
            oldest_running: i64,
        }
        let appended: Vec<Inserted> = sqlx::query_as(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata)
             SELECT $1, $2, s, t, v, p, $7
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::jsonb[]) AS e(s, t, v, p)
             ORDER BY s
             RETURNING position, transaction_id::text::bigint AS transaction_id,
                       aggregate_type, aggregate_id, sequence, event_type, event_version,
                       'null'::jsonb AS payload, 'null'::jsonb AS metadata, recorded_at,
                       pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS oldest_running",
        )
        .bind(NormativeDocument::TYPE)
        .bind(id)
        .bind(&sequences)
        .bind(&types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metadata)
        .fetch_all(&mut *tx)
        .await
        .map_err(database)?;
        let Some(Inserted {
            event: last,
            oldest_running,
        }) = appended.iter().max_by_key(|e| e.event.sequence)
        else {
            return Err(AggregateError::UnexpectedError(
                "the append returned no rows".into(),
            ));
        };
        let settled = *oldest_running >= last.transaction_id;
        // The search rows are written again only for what this command changed: its title, or
        // a text it recorded (whose clauses replace the earlier ones). The texts before it
        // are left out of the state written, as a row read back has them (none).
        let written = if change.new_text {
            state
        } else {
            answer.clone()
        };
        let titles = change.retitled || change.new_text;
        super::read_model::write_document(&mut tx, id, written, last, titles)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Database(e) => database(e),
                e => AggregateError::UnexpectedError(Box::new(e)),
            })?;
        let point = last.point();
        tx.commit().await.map_err(database)?;
        let row = DocumentRow {
            id: uuid::Uuid::parse_str(id)
                .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?,
            state: answer,
            version: last.sequence,
        };
        Ok(Appended {
            point,
            settled,
            row,
        })
    }
}

/// A database error as postgres-es reports it, so that the ledger classifies it the same
/// way: a unique violation is a concurrent append (a conflict, retried); the connection
/// lost is the database away; anything else carries the sqlx error for the ledger to read.
fn database(e: sqlx::Error) -> Failure {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23505") => {
            AggregateError::AggregateConflict
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            AggregateError::DatabaseConnectionError(Box::new(e))
        }
        _ => AggregateError::UnexpectedError(Box::new(e)),
    }
}
