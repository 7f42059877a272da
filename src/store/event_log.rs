//! Reading the event log: audit-trail pages, one aggregate's history, commit-safe positions.
//!
//! Positions are taken before commit, so a higher position can become visible before a lower
//! one. Readers that page through the log therefore order by `(transaction_id, position)` and
//! read only rows whose transaction is older than every transaction still running
//! (`pg_snapshot_xmin`): those rows can no longer be joined by a late commit.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool};

/// A point in commit-safe order: (transaction id, position). Queries select it as
/// `transaction_id::text::bigint AS transaction_id, position` (an `xid8` has no Rust type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct LogPoint {
    pub transaction_id: i64,
    pub position: i64,
}

/// One row of the event log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRecord {
    pub position: i64,
    pub transaction_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
}

impl EventRecord {
    pub fn point(&self) -> LogPoint {
        LogPoint {
            transaction_id: self.transaction_id,
            position: self.position,
        }
    }

    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }
}

const COLUMNS: &str = "position, transaction_id::text::bigint AS transaction_id, aggregate_type, \
     aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

/// Filters of the audit trail; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub aggregate_id: Option<String>,
    pub aggregate_type: Option<String>,
    pub actor_id: Option<String>,
    pub role: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub from_position: Option<i64>,
    pub to_position: Option<i64>,
}

/// The oldest transaction id still running: every row below it is settled.
pub async fn safe_bound(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        .fetch_one(db)
        .await
}

/// One page of the audit trail after `after`, in commit-safe order.
pub async fn audit_page(
    pool: &PgPool,
    filter: &AuditFilter,
    after: LogPoint,
    limit: i64,
) -> Result<Vec<EventRecord>, sqlx::Error> {
    let bound = safe_bound(pool).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM events
         WHERE (transaction_id, position) > ($1::bigint::text::xid8, $2)
           AND transaction_id < $3::bigint::text::xid8
           AND ($4::text IS NULL OR aggregate_id = $4)
           AND ($5::text IS NULL OR aggregate_type = $5)
           AND ($6::text IS NULL OR metadata ->> 'actor_id' = $6)
           AND ($7::text IS NULL OR metadata ->> 'role' = $7)
           AND ($8::text[] IS NULL OR event_type = ANY ($8))
           AND ($9::timestamptz IS NULL OR recorded_at >= $9)
           AND ($10::timestamptz IS NULL OR recorded_at < $10)
           AND ($12::bigint IS NULL OR position >= $12)
           AND ($13::bigint IS NULL OR position <= $13)
         ORDER BY events.transaction_id, events.position
         LIMIT $11"
    );
    sqlx::query_as(&sql)
        .bind(after.transaction_id)
        .bind(after.position)
        .bind(bound)
        .bind(&filter.aggregate_id)
        .bind(&filter.aggregate_type)
        .bind(&filter.actor_id)
        .bind(&filter.role)
        .bind(&filter.event_types)
        .bind(filter.from)
        .bind(filter.to)
        .bind(limit)
        .bind(filter.from_position)
        .bind(filter.to_position)
        .fetch_all(pool)
        .await
}

/// Where the event at `position` sits in commit-safe order (cursors are global positions).
pub async fn point_of(pool: &PgPool, position: i64) -> Result<Option<LogPoint>, sqlx::Error> {
    sqlx::query_as(
        "SELECT transaction_id::text::bigint AS transaction_id, position
         FROM events WHERE position = $1",
    )
    .bind(position)
    .fetch_optional(pool)
    .await
}

/// Every event of one aggregate, in its own order, optionally only those recorded up to `as_of`.
pub async fn aggregate_events(
    db: impl PgExecutor<'_>,
    aggregate_type: &str,
    aggregate_id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<EventRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events
         WHERE aggregate_type = $1 AND aggregate_id = $2
           AND ($3::timestamptz IS NULL OR recorded_at <= $3)
         ORDER BY sequence"
    );
    sqlx::query_as(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(as_of)
        .fetch_all(db)
        .await
}

/// The events of several aggregates of one type in one statement (a DataLoader's batch), each
/// aggregate's oldest first.
pub async fn streams_events(
    db: impl PgExecutor<'_>,
    aggregate_type: &str,
    aggregate_ids: &[String],
) -> Result<Vec<EventRecord>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events
         WHERE aggregate_type = $1 AND aggregate_id = ANY($2)
         ORDER BY aggregate_id, sequence"
    );
    sqlx::query_as(&sql)
        .bind(aggregate_type)
        .bind(aggregate_ids)
        .fetch_all(db)
        .await
}

/// An aggregate's state folded from its events (recorded up to `as_of` if given) with the
/// write side's own `apply`, and its version; `None` when it has no events (yet).
pub async fn fold<A>(
    pool: &PgPool,
    aggregate_id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Option<(A, i64)>, crate::store::StoreError>
where
    A: cqrs_es::Aggregate,
    A::Event: crate::domain::StoredEvent,
{
    use crate::domain::StoredEvent;
    let events = aggregate_events(pool, A::TYPE, aggregate_id, as_of).await?;
    let Some(version) = events.last().map(|e| e.sequence) else {
        return Ok(None);
    };
    let mut state = A::default();
    for e in events {
        state.apply(A::Event::decode(
            &e.event_type,
            &e.event_version,
            e.payload,
        )?);
    }
    Ok(Some((state, version)))
}

/// Where the newest event of an aggregate sits in commit-safe order.
pub async fn latest_point(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<LogPoint>, sqlx::Error> {
    sqlx::query_as(
        "SELECT transaction_id::text::bigint AS transaction_id, position FROM events
         WHERE aggregate_type = $1 AND aggregate_id = $2
         ORDER BY sequence DESC LIMIT 1",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .fetch_optional(pool)
    .await
}

/// Number of events in the log.
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await
}

/// The newest committed event in commit-safe order (the log's head), if any.
pub async fn head(pool: &PgPool) -> Result<Option<LogPoint>, sqlx::Error> {
    sqlx::query_as(
        "SELECT transaction_id::text::bigint AS transaction_id, position FROM events
         ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}
