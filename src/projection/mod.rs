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
            c.events_skipped, c.updated_at,
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
    let skipped = apply_events(&mut tx, events).await?;
    sqlx::query(
        "UPDATE projection_checkpoints
         SET last_transaction_id = $2::bigint::text::xid8, last_position = $3,
             events_applied = events_applied + $4, events_skipped = events_skipped + $5,
             updated_at = now(), last_error = NULL, last_error_at = NULL,
             stuck_position = NULL
         WHERE name = $1",
    )
    .bind(name)
    .bind(point.transaction_id)
    .bind(point.position)
    .bind((n - skipped) as i64)
    .bind(skipped as i64)
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

/// Folds the events into their rows; returns how many were skipped because their rows
/// already held them.
async fn apply_events(
    tx: &mut Transaction<'_, Postgres>,
    events: Vec<EventRecord>,
) -> Result<u64, ProjectionError> {
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
    if skipped > 0 {
        tracing::warn!(
            skipped,
            "events already held by their read-model rows were skipped"
        );
    }
    batch.write(tx).await?;
    Ok(skipped)
}

/// Progress of a replay, reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct ReplayProgress {
    pub applied: u64,
    pub total: u64,
    pub elapsed: Duration,
}

/// The read-model tables a replay rebuilds.
const READ_MODEL_TABLES: [&str; 4] = [
    "rm_documents",
    "rm_issuing_bodies",
    "rm_certification_items",
    "rm_cleanup_campaigns",
];

/// Rebuilds the read model from position 0 into shadow tables (schema `rebuild`), in short
/// transactions of one batch each, while the live model keeps serving and projecting; then,
/// in one short transaction under the projection lock, catches the shadow up to the log and
/// swaps it in. Readers never see a half-built model, and no long transaction holds back the
/// cluster's safe bound (which every projector on the cluster waits for). Any read or decode
/// error stops the replay with an error and leaves the live model untouched.
pub async fn replay(
    pool: &PgPool,
    progress: impl FnMut(ReplayProgress),
) -> Result<u64, ProjectionError> {
    let _lock = RebuildLock::acquire(pool).await?;
    replay_holding_lock(pool, progress).await
}

/// Advisory-lock key held for the whole of any rebuild of the read model (`replay`,
/// `import-log`, a shape upgrade): they share the `rebuild` schema, so a second one waits for
/// the first instead of dropping its shadow tables under it.
const REBUILD_KEY: i64 = 0x6e6c_7265_6275; // "nlrebu"

/// A session advisory lock on a connection of its own, released when dropped (the connection
/// is closed, which releases it even if the unlock cannot be sent).
struct RebuildLock(Option<sqlx::pool::PoolConnection<Postgres>>);

impl RebuildLock {
    async fn acquire(pool: &PgPool) -> Result<Self, ProjectionError> {
        let mut conn = pool.acquire().await?;
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(REBUILD_KEY)
            .fetch_one(&mut *conn)
            .await?;
        if !free {
            tracing::info!("another rebuild of the read model is running: waiting for it");
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(REBUILD_KEY)
                .execute(&mut *conn)
                .await?;
        }
        Ok(RebuildLock(Some(conn)))
    }
}

impl Drop for RebuildLock {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            // Closing the session is what releases a session lock for certain.
            drop(conn.detach());
        }
    }
}

async fn replay_holding_lock(
    pool: &PgPool,
    mut progress: impl FnMut(ReplayProgress),
) -> Result<u64, ProjectionError> {
    let started = std::time::Instant::now();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    prepare_shadow(pool).await?;
    let mut after = LogPoint::default();
    let (mut applied, mut skipped) = (0u64, 0u64);
    let mut report = |applied| {
        progress(ReplayProgress {
            applied,
            total: (total as u64).max(applied),
            elapsed: started.elapsed(),
        })
    };
    // Reading overlaps applying: a reader task fetches the next batches while this task folds
    // and writes the current one (each side keeps PostgreSQL busy on its own connection).
    let (batches, mut incoming) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn(read_settled(pool.clone(), batches));
    while let Some(events) = incoming.recv().await {
        let events: Vec<EventRecord> = events?;
        let Some(last) = events.last() else { break };
        after = last.point();
        applied += events.len() as u64;
        let mut tx = pool.begin().await?;
        // Shadow tables are thrown away if the replay does not finish: no flush to wait for.
        sqlx::raw_sql(
            "SET LOCAL search_path = rebuild, public; SET LOCAL synchronous_commit = off",
        )
        .execute(&mut *tx)
        .await?;
        skipped += apply_events(&mut tx, events).await?;
        tx.commit().await?;
        report(applied);
    }
    if let Err(e) = reader.await {
        std::panic::resume_unwind(e.into_panic());
    }
    // New tables have no statistics until autovacuum samples them; the planner would guess
    // (and page through the documents by a sequential scan) for the first minutes after a swap.
    for table in READ_MODEL_TABLES {
        sqlx::raw_sql(&format!("ANALYZE rebuild.{table}"))
            .execute(pool)
            .await?;
    }
    // The swap: lock out the live projector, apply what arrived meanwhile, exchange tables.
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    sqlx::query("SET LOCAL search_path = rebuild, public")
        .execute(&mut *tx)
        .await?;
    let bound = safe_bound(&mut *tx).await?;
    loop {
        let events = settled_after(&mut tx, after, bound, REPLAY_BATCH).await?;
        let Some(last) = events.last() else { break };
        after = last.point();
        applied += events.len() as u64;
        skipped += apply_events(&mut tx, events).await?;
    }
    sqlx::raw_sql("DROP SCHEMA IF EXISTS retired CASCADE; CREATE SCHEMA retired")
        .execute(&mut *tx)
        .await?;
    for table in READ_MODEL_TABLES {
        // Table names are constants of this module, never input.
        sqlx::raw_sql(&format!(
            "ALTER TABLE public.{table} SET SCHEMA retired;
             ALTER TABLE rebuild.{table} SET SCHEMA public;"
        ))
        .execute(&mut *tx)
        .await?;
    }
    // The swapped-in tables are new: the server's role needs its grants on them again.
    sqlx::raw_sql(
        "DROP SCHEMA retired CASCADE; DROP SCHEMA rebuild CASCADE; SELECT grant_app_privileges()",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE projection_checkpoints
         SET last_transaction_id = $2::bigint::text::xid8, last_position = $3,
             events_applied = $4, events_skipped = $6, updated_at = now(), shape = $5
         WHERE name = $1",
    )
    .bind(READ_MODEL)
    .bind(after.transaction_id)
    .bind(after.position)
    .bind((applied - skipped) as i64)
    .bind(READ_MODEL_SHAPE)
    .bind(skipped as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    report(applied);
    Ok(applied)
}

/// The shape of the stored aggregate states. Raise it when `apply` starts keeping something
/// that rows written by older code lack (2: certification items' dated history, cleanup
/// campaigns); a server then rebuilds the read model once, at start, before serving.
pub const READ_MODEL_SHAPE: i32 = 2;

/// Rebuilds the read model if it was written by code of an older shape; true if it did.
/// Under the rebuild lock, so of several servers starting together exactly one rebuilds.
pub async fn ensure_shape(pool: &PgPool) -> Result<bool, ProjectionError> {
    let _lock = RebuildLock::acquire(pool).await?;
    let (shape, applied): (i32, i64) =
        sqlx::query_as("SELECT shape, events_applied FROM projection_checkpoints WHERE name = $1")
            .bind(READ_MODEL)
            .fetch_one(pool)
            .await?;
    if shape >= READ_MODEL_SHAPE {
        return Ok(false);
    }
    if applied == 0 {
        // Nothing projected yet: the projector will write every row in the new shape.
        sqlx::query("UPDATE projection_checkpoints SET shape = $2 WHERE name = $1")
            .bind(READ_MODEL)
            .bind(READ_MODEL_SHAPE)
            .execute(pool)
            .await?;
        return Ok(false);
    }
    tracing::info!(
        from = shape,
        to = READ_MODEL_SHAPE,
        "rebuilding the read model for its new shape"
    );
    replay_holding_lock(pool, |_| {}).await?;
    Ok(true)
}

/// Creates empty shadow copies of the read-model tables in schema `rebuild`, with the same
/// columns, defaults, indexes (same names) and primary keys as the live ones.
async fn prepare_shadow(pool: &PgPool) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql("DROP SCHEMA IF EXISTS rebuild CASCADE; CREATE SCHEMA rebuild")
        .execute(&mut *tx)
        .await?;
    for table in READ_MODEL_TABLES {
        sqlx::raw_sql(&format!(
            "CREATE TABLE rebuild.{table} (LIKE public.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        ))
        .execute(&mut *tx)
        .await?;
        #[derive(sqlx::FromRow)]
        struct Index {
            name: String,
            definition: String,
            primary: bool,
        }
        let indexes: Vec<Index> = sqlx::query_as(
            "SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition,
                    x.indisprimary AS primary
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = ('public.' || $1)::regclass",
        )
        .bind(table)
        .fetch_all(&mut *tx)
        .await?;
        for Index {
            name,
            definition,
            primary,
        } in indexes
        {
            let def = definition.replacen(
                &format!(" ON public.{table} "),
                &format!(" ON rebuild.{table} "),
                1,
            );
            sqlx::raw_sql(&def).execute(&mut *tx).await?;
            if primary {
                sqlx::raw_sql(&format!(
                    "ALTER TABLE rebuild.{table} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name}"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
