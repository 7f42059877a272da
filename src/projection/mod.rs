//! The catch-up projector: applies the event log to the read model in commit-safe order,
//! writing the rows and its checkpoint in one transaction, so every event takes effect
//! exactly once and a crash anywhere loses nothing.
//!
//! One task per process runs it, woken right after each local command and by a short poll.
//! A transaction-scoped advisory lock makes concurrent projectors (several processes on one
//! database) take turns; the checkpoint is read after taking the lock.

pub mod queries;
mod read_model;

use sqlx::{PgPool, Postgres, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

use crate::store::StoreError;
use crate::store::event_log::{EventRecord, LogPoint, safe_bound};

pub use read_model::ReadModelBatch;

/// Name of the read-model projection in `projection_checkpoints`.
pub const READ_MODEL: &str = "read_model";
/// Advisory-lock key that serialises projectors of the read model across processes.
const LOCK_KEY: i64 = 0x6e6c_7072_6f6a; // "nlproj"
const BATCH: i64 = 1000;

pub type ProjectionError = StoreError;

/// Handle to the projector task: wake it, and watch how far it got.
#[derive(Clone)]
pub struct Projector {
    pool: PgPool,
    wake: Arc<Notify>,
    applied: watch::Receiver<LogPoint>,
    publish: Arc<watch::Sender<LogPoint>>,
}

impl Projector {
    pub async fn new(pool: PgPool) -> Result<Self, ProjectionError> {
        let start = checkpoint(&pool).await?;
        let (tx, rx) = watch::channel(start);
        Ok(Projector {
            pool,
            wake: Arc::new(Notify::new()),
            applied: rx,
            publish: Arc::new(tx),
        })
    }

    /// Runs until the process ends: catch up whenever woken, and every `poll` regardless
    /// (events written by other processes).
    pub fn spawn(&self, poll: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                match this.catch_up().await {
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "projector failed; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                tokio::select! {
                    _ = this.wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        })
    }

    /// Asks the task to catch up now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Applies every settled event past the checkpoint; returns how many.
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        let mut total = 0;
        loop {
            let (n, point) = project_batch(&self.pool, READ_MODEL).await?;
            total += n;
            self.publish.send_if_modified(|p| {
                let newer = point > *p;
                if newer {
                    *p = point;
                }
                newer
            });
            if n < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Waits until the read model includes `point`, up to `timeout`; false on timeout.
    pub async fn wait_for(&self, point: LogPoint, timeout: Duration) -> bool {
        self.wake();
        let mut rx = self.applied.clone();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if *rx.borrow_and_update() >= point {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return *rx.borrow() >= point,
            }
            // Another command's transaction may still hold back the safe bound: keep waking.
            self.wake();
        }
    }

    /// The point the read model has applied up to.
    pub fn applied(&self) -> LogPoint {
        *self.applied.borrow()
    }
}

/// How far a projection is behind the log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectionStatus {
    pub name: String,
    /// Global position of the last event applied.
    pub checkpoint_position: i64,
    pub events_applied: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The highest position among settled events (those no late commit can precede).
    pub safe_head_position: Option<i64>,
    /// Events committed but not yet applied.
    pub lag_events: i64,
    /// Age of the oldest event not yet applied (0 when none).
    pub lag_seconds: f64,
}

/// The status of every projection.
pub async fn status(pool: &PgPool) -> Result<Vec<ProjectionStatus>, ProjectionError> {
    let bound = safe_bound(pool).await?;
    let rows = sqlx::query_as::<_, ProjectionStatus>(
        "SELECT c.name, c.last_position AS checkpoint_position, c.events_applied, c.updated_at,
            (SELECT position FROM events WHERE transaction_id < $1::bigint::text::xid8
             ORDER BY position DESC LIMIT 1) AS safe_head_position,
            (SELECT count(*) FROM events e
             WHERE (e.transaction_id, e.position) > (c.last_transaction_id, c.last_position))
              AS lag_events,
            greatest(0, coalesce((SELECT extract(epoch FROM now() - min(e.recorded_at))::float8
             FROM events e
             WHERE (e.transaction_id, e.position) > (c.last_transaction_id, c.last_position)), 0))
              AS lag_seconds
         FROM projection_checkpoints c ORDER BY c.name",
    )
    .bind(bound)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// The stored checkpoint of the read model.
pub async fn checkpoint(pool: &PgPool) -> Result<LogPoint, ProjectionError> {
    let (transaction_id, position): (i64, i64) = sqlx::query_as(
        "SELECT last_transaction_id::text::bigint, last_position
         FROM projection_checkpoints WHERE name = $1",
    )
    .bind(READ_MODEL)
    .fetch_one(pool)
    .await?;
    Ok(LogPoint {
        transaction_id,
        position,
    })
}

/// One transaction: lock, read the checkpoint, apply up to BATCH settled events, move the
/// checkpoint. Returns the number applied and the new checkpoint.
async fn project_batch(pool: &PgPool, name: &str) -> Result<(u64, LogPoint), ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    // Taken before this transaction writes anything, so its own id does not hold it back.
    let bound = safe_bound(&mut *tx).await?;
    let (cx, cp): (i64, i64) = sqlx::query_as(
        "SELECT last_transaction_id::text::bigint, last_position
         FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_one(&mut *tx)
    .await?;
    let mut point = LogPoint {
        transaction_id: cx,
        position: cp,
    };
    let events = settled_after(&mut tx, point, bound).await?;
    let Some(last) = events.last() else {
        tx.rollback().await?;
        return Ok((0, point));
    };
    point = last.point();
    let n = events.len() as u64;
    apply_events(&mut tx, events).await?;
    sqlx::query(
        "UPDATE projection_checkpoints
         SET last_transaction_id = $2::bigint::text::xid8, last_position = $3,
             events_applied = events_applied + $4, updated_at = now()
         WHERE name = $1",
    )
    .bind(name)
    .bind(point.transaction_id)
    .bind(point.position)
    .bind(n as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((n, point))
}

/// Up to BATCH events after `after` whose transactions are older than `bound`.
async fn settled_after(
    tx: &mut Transaction<'_, Postgres>,
    after: LogPoint,
    bound: i64,
) -> Result<Vec<EventRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT position, transaction_id::text::bigint AS transaction_id, aggregate_type,
                aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at
         FROM events
         WHERE (transaction_id, position) > ($1::bigint::text::xid8, $2)
           AND transaction_id < $3::bigint::text::xid8
         ORDER BY transaction_id, position
         LIMIT $4",
    )
    .bind(after.transaction_id)
    .bind(after.position)
    .bind(bound)
    .bind(BATCH)
    .fetch_all(&mut **tx)
    .await
}

async fn apply_events(
    tx: &mut Transaction<'_, Postgres>,
    events: Vec<EventRecord>,
) -> Result<(), ProjectionError> {
    let mut batch = ReadModelBatch::default();
    for e in &events {
        batch.load(tx, e).await?;
        batch.apply(e)?;
    }
    batch.write(tx).await
}

/// Rebuilds the read model from position 0 in one transaction: readers see the old model
/// until the new one is complete, then all of it at once. Returns the events applied.
pub async fn replay(pool: &PgPool) -> Result<u64, ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let bound = safe_bound(&mut *tx).await?;
    sqlx::query("DELETE FROM rm_documents")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM rm_issuing_bodies")
        .execute(&mut *tx)
        .await?;
    let mut after = LogPoint::default();
    let mut total = 0u64;
    loop {
        let events = settled_after(&mut tx, after, bound).await?;
        let Some(last) = events.last() else { break };
        after = last.point();
        total += events.len() as u64;
        apply_events(&mut tx, events).await?;
    }
    sqlx::query(
        "UPDATE projection_checkpoints
         SET last_transaction_id = $2::bigint::text::xid8, last_position = $3,
             events_applied = $4, updated_at = now()
         WHERE name = $1",
    )
    .bind(READ_MODEL)
    .bind(after.transaction_id)
    .bind(after.position)
    .bind(total as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(total)
}
