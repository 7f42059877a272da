//! Rebuilding the read model from the log: `replay` (into shadow tables swapped in at the
//! end), the one-time rebuild when the code keeps a new read-model shape, and the lock that
//! keeps any two rebuilds (replay, import-log, shape upgrade) from running at once.

use sqlx::{PgPool, Postgres};
use std::time::Duration;

use super::*;

/// Progress of a replay, reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct ReplayProgress {
    pub applied: u64,
    pub total: u64,
    pub elapsed: Duration,
}

/// The read-model tables a replay rebuilds.
const READ_MODEL_TABLES: [&str; 6] = [
    "rm_documents",
    "rm_document_clauses",
    "rm_document_citations",
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
    let deferred = prepare_shadow(pool).await?;
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
        skipped += apply_events(&mut tx, events).await?.skipped;
        tx.commit().await?;
        report(applied);
    }
    if let Err(e) = reader.await {
        std::panic::resume_unwind(e.into_panic());
    }
    build_indexes(pool, deferred).await?;
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
        skipped += apply_events(&mut tx, events).await?.skipped;
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
             events_applied = $4, events_skipped = $6, events_inline = 0, updated_at = now(),
             shape = $5
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
/// campaigns; 3: texts and the clause table search reads); a server then rebuilds the read
/// model once, at start, before serving.
pub const READ_MODEL_SHAPE: i32 = 3;

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

/// Builds the shadow tables' secondary indexes once over the full tables: several times faster
/// than keeping them (GIN above all: the clauses' search keys and trigrams) row by row. A GIN
/// build uses one core (PostgreSQL 15 parallelises only B-tree builds), so two run side by
/// side, the GIN ones first: on the 1M-event benchmark the trigram index alone takes a
/// minute, and the others fit beside it.
async fn build_indexes(pool: &PgPool, mut definitions: Vec<String>) -> Result<(), ProjectionError> {
    use futures::{StreamExt, TryStreamExt};
    definitions.sort_by_key(|d| !d.contains("USING gin"));
    futures::stream::iter(definitions)
        .map(|definition| async move {
            let mut tx = pool.begin().await?;
            // More memory than the default 64 MB: GIN collects its entries in it before
            // writing them out (the bigram index builds a fifth faster with it).
            sqlx::raw_sql("SET LOCAL maintenance_work_mem = '256MB'")
                .execute(&mut *tx)
                .await?;
            sqlx::raw_sql(&definition).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, ProjectionError>(())
        })
        .buffer_unordered(2)
        .try_collect::<()>()
        .await
}

/// Creates empty shadow copies of the read-model tables in schema `rebuild`, with the same
/// columns, defaults, compression, primary keys and unique indexes (same names) as the live ones; returns
/// the definitions of their other indexes, to be built once the tables are full.
async fn prepare_shadow(pool: &PgPool) -> Result<Vec<String>, ProjectionError> {
    let mut deferred = vec![];
    let mut tx = pool.begin().await?;
    sqlx::raw_sql("DROP SCHEMA IF EXISTS rebuild CASCADE; CREATE SCHEMA rebuild")
        .execute(&mut *tx)
        .await?;
    for table in READ_MODEL_TABLES {
        sqlx::raw_sql(&format!(
            "CREATE TABLE rebuild.{table} (LIKE public.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION INCLUDING STORAGE)"
        ))
        .execute(&mut *tx)
        .await?;
        #[derive(sqlx::FromRow)]
        struct Index {
            name: String,
            definition: String,
            primary: bool,
            unique: bool,
        }
        let indexes: Vec<Index> = sqlx::query_as(
            "SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition,
                    x.indisprimary AS primary, x.indisunique AS unique
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
            unique,
        } in indexes
        {
            let def = definition.replacen(
                &format!(" ON public.{table} "),
                &format!(" ON rebuild.{table} "),
                1,
            );
            // Upserts need the unique ones while the tables fill.
            if !unique {
                deferred.push(def);
                continue;
            }
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
    Ok(deferred)
}
