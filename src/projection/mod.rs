//! The catch-up projector: applies the event log to the read model in commit-safe order,
//! writing the rows and its checkpoint in one transaction, so every event takes effect
//! exactly once and a crash anywhere loses nothing.
//!
//! One task per process runs it. Of all processes sharing a database, one is the leader (it
//! holds a session advisory lock on a connection of its own) and projects; the others follow
//! the stored checkpoint and take over within a poll interval when the leader's connection
//! goes. Each batch also takes a transaction advisory lock, so even two projectors that both
//! think they lead (or a replay) take turns, and the checkpoint is read after that lock.
//!
//! Wake-ups: in-process right after a local command; across processes by `NOTIFY` sent after
//! the command committed — never inside the append, whose commit it would serialise — at most
//! once per [`COALESCE`] per process; and a short poll as the safety net.

pub mod inline;
pub mod queries;
mod read_model;
mod replay;

use sqlx::{PgPool, Postgres, Transaction};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

use crate::store::StoreError;
use crate::store::event_log::{EventRecord, LogPoint, safe_bound};

pub use read_model::ReadModelBatch;
pub use replay::{READ_MODEL_SHAPE, ReplayProgress, ensure_shape, replay};

/// Name of the read-model projection in `projection_checkpoints`.
pub const READ_MODEL: &str = "read_model";
/// Advisory-lock key that serialises projection batches and replays across processes.
const LOCK_KEY: i64 = 0x6e6c_7072_6f6a; // "nlproj"
/// Session advisory-lock key held by the one leading projector.
pub const LEADER_KEY: i64 = 0x6e6c_6c65_6164; // "nllead"
const BATCH: i64 = 1000;
/// Channel on which processes say "events were committed".
pub const EVENTS_CHANNEL: &str = "normledger_events";
/// Channel on which the leader says "the read model moved".
pub const PROJECTED_CHANNEL: &str = "normledger_projected";
/// At most one NOTIFY per channel per this interval per process.
pub const COALESCE: Duration = Duration::from_millis(5);
/// How often a follower re-reads the leader's checkpoint.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

pub type ProjectionError = StoreError;

/// Handle to the projector task: wake it, and watch how far it got.
#[derive(Clone)]
pub struct Projector {
    pool: PgPool,
    wake: Arc<Notify>,
    applied: watch::Receiver<LogPoint>,
    publish: Arc<watch::Sender<LogPoint>>,
    committed: Notifier,
    projected: Notifier,
    leader: Arc<std::sync::atomic::AtomicBool>,
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

/// Sends `NOTIFY channel` after being poked, coalescing pokes that come within [`COALESCE`].
#[derive(Clone)]
pub struct Notifier {
    poke: Arc<Notify>,
}

impl Notifier {
    fn spawn(pool: PgPool, channel: &'static str) -> Self {
        let poke = Arc::new(Notify::new());
        let waiting = poke.clone();
        tokio::spawn(async move {
            loop {
                waiting.notified().await;
                if let Err(e) = sqlx::query("SELECT pg_notify($1, '')")
                    .bind(channel)
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(error = %e, channel, "notify failed; the poll will catch up");
                }
                tokio::time::sleep(COALESCE).await;
            }
        });
        Notifier { poke }
    }

    fn poke(&self) {
        self.poke.notify_one();
    }
}

impl Projector {
    pub async fn new(pool: PgPool) -> Result<Self, ProjectionError> {
        let start = checkpoint(&pool).await?;
        let (tx, rx) = watch::channel(start);
        Ok(Projector {
            committed: Notifier::spawn(pool.clone(), EVENTS_CHANNEL),
            projected: Notifier::spawn(pool.clone(), PROJECTED_CHANNEL),
            pool,
            wake: Arc::new(Notify::new()),
            applied: rx,
            publish: Arc::new(tx),
            leader: Default::default(),
            stopping: Default::default(),
        })
    }

    /// Runs until the process ends: lead or follow, woken in-process, by notifications from
    /// other processes, and every `poll` regardless. Errors (a lost database) are logged and
    /// the loop starts over with fresh connections.
    pub fn spawn(&self, poll: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            while !this.stopping.load(std::sync::atomic::Ordering::Relaxed) {
                if let Err(e) = this.run(poll).await {
                    this.leader
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(error = %e, "projector interrupted; starting over");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        })
    }

    async fn run(&self, poll: Duration) -> Result<(), ProjectionError> {
        // Leadership lives as long as this connection: if the process dies, so does the lock.
        let mut leader_conn = self.pool.acquire().await?.detach();
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener
            .listen_all([EVENTS_CHANNEL, PROJECTED_CHANNEL])
            .await?;
        let mut leading = false;
        // Stop only between batches: a batch cut off mid-transaction would leave its
        // connection idle in transaction, holding the lock and the log's safe bound back.
        while !self.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            if !leading {
                leading = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(LEADER_KEY)
                    .fetch_one(&mut leader_conn)
                    .await?;
                if leading {
                    tracing::info!("leading the read-model projection");
                }
                self.leader
                    .store(leading, std::sync::atomic::Ordering::Relaxed);
            }
            if leading {
                match self.catch_up().await {
                    Ok(n) if n > 0 => self.projected.poke(),
                    Ok(_) => {}
                    // An event it cannot apply: recorded by `catch_up`; keep the leadership
                    // (a hand-over would meet the same event) and try again after the poll.
                    Err(e @ StoreError::Poison { .. }) => {
                        tracing::debug!(error = %e, "projection stalled at a poison event");
                    }
                    Err(e) => return Err(e),
                }
            } else {
                self.publish_point(checkpoint(&self.pool).await?);
            }
            let pause = if leading { poll } else { poll.min(FOLLOW_POLL) };
            tokio::select! {
                _ = self.wake.notified() => {}
                n = listener.try_recv() => { n?; }
                _ = tokio::time::sleep(pause) => {}
            }
        }
        Ok(())
    }

    /// Asks the task to stop after its current batch.
    pub fn shutdown(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.wake();
    }

    /// Whether this process currently leads the projection.
    pub fn is_leader(&self) -> bool {
        self.leader.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Asks the task to catch up now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Called after a command committed: wake this process's projector now, and the other
    /// processes' by a coalesced NOTIFY (outside the append's transaction).
    pub fn committed(&self) {
        self.wake();
        self.committed.poke();
    }

    fn publish_point(&self, point: LogPoint) {
        self.publish.send_if_modified(|p| {
            let newer = point > *p;
            if newer {
                *p = point;
            }
            newer
        });
    }

    /// Applies every settled event past the checkpoint; returns how many. A failure is
    /// recorded on the projection's row (error, failing position, time), where
    /// `projectionStatus` and `/readyz` show it, and cleared by the next batch that succeeds.
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        let mut total = 0;
        loop {
            let (n, point) = match project_batch(&self.pool, READ_MODEL).await {
                Ok(done) => done,
                Err(e) => {
                    record_failure(&self.pool, READ_MODEL, &e).await;
                    return Err(e);
                }
            };
            total += n;
            self.publish_point(point);
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

    /// A receiver that changes whenever the read model moves (a wake-up for live feeds).
    pub fn watch(&self) -> watch::Receiver<LogPoint> {
        self.applied.clone()
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
    /// Events left alone because their read-model row already held them (each one means two
    /// writers overlapped; the row was not corrupted).
    pub events_skipped: i64,
    /// Document events the projector found in the rows their commands had written in the
    /// append's transaction (the inline projection).
    pub events_inline: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The highest position among settled events (those no late commit can precede).
    pub safe_head_position: Option<i64>,
    /// Events committed but not yet applied.
    pub lag_events: i64,
    /// Age of the oldest event not yet applied (0 when none).
    pub lag_seconds: f64,
    /// Age of the oldest running transaction that has written (0 when none): every reader
    /// of the log waits for it, so a large value names why the projection is behind.
    pub oldest_transaction_seconds: f64,
    /// Why the last batch failed, while the projection cannot move on (null when it moves).
    pub last_error: Option<String>,
    /// Since when it has been failing at the same place.
    pub last_error_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The position of the event it cannot apply (a poison event), when that is the cause.
    pub stuck_position: Option<i64>,
    /// Failed batches since the ledger began.
    pub errors_total: i64,
    /// The leading projector's database session: process id, client address and since when.
    pub leader: Option<String>,
}

/// The status of every projection.
pub async fn status(pool: &PgPool) -> Result<Vec<ProjectionStatus>, ProjectionError> {
    let bound = safe_bound(pool).await?;
    let rows = sqlx::query_as::<_, ProjectionStatus>(
        "SELECT c.name, c.last_position AS checkpoint_position, c.events_applied,
            c.events_skipped, c.events_inline, c.updated_at,
            (SELECT position FROM events WHERE transaction_id < $1::bigint::text::xid8
             ORDER BY position DESC LIMIT 1) AS safe_head_position,
            (SELECT count(*) FROM events e
             WHERE (e.transaction_id, e.position) > (c.last_transaction_id, c.last_position))
              AS lag_events,
            greatest(0, coalesce((SELECT extract(epoch FROM now() - min(e.recorded_at))::float8
             FROM events e
             WHERE (e.transaction_id, e.position) > (c.last_transaction_id, c.last_position)), 0))
              AS lag_seconds,
            coalesce((SELECT extract(epoch FROM now() - min(a.xact_start))::float8
             FROM pg_stat_activity a
             WHERE a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()), 0)
              AS oldest_transaction_seconds,
            c.last_error, c.last_error_at, c.stuck_position, c.errors_total,
            (SELECT 'pid ' || l.pid || coalesce(' from ' || host(a.client_addr), ' (local)')
                    || coalesce(' since ' || date_trunc('second', a.backend_start)::text, '')
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
                     SELECT oid FROM pg_database WHERE datname = current_database())
               AND ((l.classid::bigint << 32) | l.objid::bigint) = $2
             LIMIT 1) AS leader
         FROM projection_checkpoints c ORDER BY c.name",
    )
    .bind(bound)
    .bind(LEADER_KEY)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Notes a failed batch on the projection's row (best effort: the database may be what
/// failed). Counted in `errors_total` and in the `normledger_projection_errors_total` metric.
async fn record_failure(pool: &PgPool, name: &str, error: &ProjectionError) {
    metrics::counter!("normledger_projection_errors_total").increment(1);
    tracing::warn!(error = %error, "projection batch failed");
    let recorded = sqlx::query(
        "UPDATE projection_checkpoints
         SET last_error = $2, stuck_position = $3, errors_total = errors_total + 1,
             last_error_at = CASE WHEN last_error IS NULL OR stuck_position IS DISTINCT FROM $3
                                  THEN now() ELSE last_error_at END
         WHERE name = $1",
    )
    .bind(name)
    .bind(error.to_string())
    .bind(error.poison_position())
    .execute(pool)
    .await;
    if let Err(e) = recorded {
        tracing::debug!(error = %e, "could not record the projection failure");
    }
}

/// The stored checkpoint of the read model.
pub async fn checkpoint(pool: &PgPool) -> Result<LogPoint, ProjectionError> {
    Ok(checkpoint_of(pool, READ_MODEL).await?)
}

/// A named projection's checkpoint.
async fn checkpoint_of(db: impl sqlx::PgExecutor<'_>, name: &str) -> sqlx::Result<LogPoint> {
    sqlx::query_as(
        "SELECT last_transaction_id::text::bigint AS transaction_id, last_position AS position
         FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_one(db)
    .await
}

/// One transaction: lock, read the checkpoint, apply up to BATCH settled events, move the
/// checkpoint. Returns the number applied and the new checkpoint.
async fn project_batch(pool: &PgPool, name: &str) -> Result<(u64, LogPoint), ProjectionError> {
    let mut tx = pool.begin().await?;
    // The read model is derived from the log and moves with its checkpoint in this one
    // transaction: a crash can lose only whole batches, which are projected again. So the
    // commit need not wait for its WAL flush (it is visible at once all the same); the
    // commands' own appends stay synchronous.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    // Taken before this transaction writes anything, so its own id does not hold it back.
    let bound = safe_bound(&mut *tx).await?;
    let mut point = checkpoint_of(&mut *tx, name).await?;
    let events = settled_after(&mut tx, point, bound, BATCH).await?;
    let Some(last) = events.last() else {
        tx.rollback().await?;
        return Ok((0, point));
    };
    point = last.point();
    let n = events.len() as u64;
    let Folded { skipped, inline } = apply_events(&mut tx, events).await?;
    sqlx::query(
        "UPDATE projection_checkpoints
         SET last_transaction_id = $2::bigint::text::xid8, last_position = $3,
             events_applied = events_applied + $4, events_skipped = events_skipped + $5,
             events_inline = events_inline + $6,
             updated_at = now(), last_error = NULL, last_error_at = NULL,
             stuck_position = NULL
         WHERE name = $1",
    )
    .bind(name)
    .bind(point.transaction_id)
    .bind(point.position)
    .bind((n - skipped - inline) as i64)
    .bind(skipped as i64)
    .bind(inline as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((n, point))
}

/// Sends every settled event in commit order, in batches of REPLAY_BATCH, each read in a
/// short transaction of its own, until none is left, an error was sent, or the receiver is
/// gone.
async fn read_settled(
    pool: PgPool,
    batches: tokio::sync::mpsc::Sender<Result<Vec<EventRecord>, ProjectionError>>,
) {
    let mut after = LogPoint::default();
    loop {
        let batch = async {
            let mut tx = pool.begin().await?;
            let bound = safe_bound(&mut *tx).await?;
            let events = settled_after(&mut tx, after, bound, REPLAY_BATCH).await?;
            tx.commit().await?;
            Ok::<_, ProjectionError>(events)
        }
        .await;
        let last = match &batch {
            Ok(events) => events.last().map(EventRecord::point),
            Err(_) => None,
        };
        if batch.as_ref().is_ok_and(|e| e.is_empty()) || batches.send(batch).await.is_err() {
            return;
        }
        match last {
            Some(point) => after = point,
            None => return,
        }
    }
}

/// Events per replay batch: more than the live projector's, to save round trips.
const REPLAY_BATCH: i64 = 5000;

/// Up to `limit` events after `after` whose transactions are older than `bound`.
async fn settled_after(
    tx: &mut Transaction<'_, Postgres>,
    after: LogPoint,
    bound: i64,
    limit: i64,
) -> Result<Vec<EventRecord>, sqlx::Error> {
    // The read model folds payloads only: the metadata is left in the database (decoding it
    // into JSON values was a third of a replay's allocations).
    sqlx::query_as(
        "SELECT position, transaction_id::text::bigint AS transaction_id, aggregate_type,
                aggregate_id, sequence, event_type, event_version, payload,
                'null'::jsonb AS metadata, recorded_at
         FROM events
         WHERE (transaction_id, position) > ($1::bigint::text::xid8, $2)
           AND transaction_id < $3::bigint::text::xid8
         ORDER BY events.transaction_id, events.position
         LIMIT $4",
    )
    .bind(after.transaction_id)
    .bind(after.position)
    .bind(bound)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// What folding a batch found besides the events it applied.
struct Folded {
    /// Held by rows no command writes: two writers overlapped.
    skipped: u64,
    /// Held by the rows their commands wrote in the append's transaction (documents).
    inline: u64,
}

/// Folds the events into their rows.
async fn apply_events(
    tx: &mut Transaction<'_, Postgres>,
    events: Vec<EventRecord>,
) -> Result<Folded, ProjectionError> {
    let mut batch = ReadModelBatch::default();
    batch.load(tx, &events).await?;
    for e in events {
        let (position, aggregate_type, aggregate_id, event_type) = (
            e.position,
            e.aggregate_type.clone(),
            e.aggregate_id.clone(),
            e.event_type.clone(),
        );
        batch.apply(e).map_err(|source| StoreError::Poison {
            position,
            aggregate_type,
            aggregate_id,
            event_type,
            source: Box::new(source),
        })?;
    }
    let skipped = batch.skipped();
    let inline = batch.held_inline();
    if skipped > 0 {
        tracing::warn!(
            skipped,
            "events already held by their read-model rows were skipped"
        );
    }
    batch.write(tx).await?;
    Ok(Folded { skipped, inline })
}
