//! Restoring a log from its export (`normledger import-log FILE`). Into an empty database
//! only; every line is checked against its stream's hash chain before anything is written;
//! each original transaction is restored as one transaction, in the original commit order,
//! with its positions and record times — so the hashes, the positions, the commit-safe order
//! and therefore the digest's events and root come out identical. (The digest's transaction
//! bound is a cursor of the database it was taken on, not part of the content.)

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use sqlx::PgPool;

use crate::progress::{Progress, tick};
use crate::store::integrity::{GENESIS, HashedRow, chain_hash, hex, unhex};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("the database already holds {0} events; import-log restores into an empty one")]
    NotEmpty(i64),
    #[error("line {line}: {reason}; nothing was imported")]
    Line { line: usize, reason: String },
    /// Cannot happen after the check unless the database renders JSON differently; what was
    /// restored before stays, so restore into a fresh database again.
    #[error(
        "the database disagrees with the export at position {position}: {reason}; restore into a fresh database"
    )]
    Disagreement { position: i64, reason: String },
    #[error("cannot read the export: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One exported event (see `integrity::export_jsonl`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exported {
    position: i64,
    transaction_id: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
    recorded_at: DateTime<Utc>,
    hash: String,
}

impl Exported {
    fn row(self) -> Result<HashedRow, String> {
        let hash = unhex(&self.hash).ok_or("the hash is not hex")?;
        Ok(HashedRow {
            position: self.position,
            transaction_id: self.transaction_id,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: self.sequence,
            event_type: self.event_type,
            event_version: self.event_version,
            payload: self.payload,
            metadata: self.metadata,
            recorded_at: self.recorded_at,
            hash,
        })
    }
}

/// Reads the export line by line, checking each line against its stream's chain.
fn rows(path: &Path) -> Result<Vec<HashedRow>, RestoreError> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut last: HashMap<(String, String), (i64, Vec<u8>)> = HashMap::new();
    let mut rows = vec![];
    let mut previous_order = (i64::MIN, i64::MIN);
    for (i, line) in file.lines().enumerate() {
        let line_no = i + 1;
        let fail = |reason: String| RestoreError::Line {
            line: line_no,
            reason,
        };
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let exported: Exported =
            serde_json::from_str(&line).map_err(|e| fail(format!("not an exported event: {e}")))?;
        let row = exported.row().map_err(|e| fail(e.to_owned()))?;
        let order = (row.transaction_id, row.position);
        if order <= previous_order {
            return Err(fail("events are not in commit order".into()));
        }
        previous_order = order;
        let stream = (row.aggregate_type.clone(), row.aggregate_id.clone());
        let previous = match last.get(&stream) {
            Some((sequence, hash)) if *sequence + 1 == row.sequence => hash.clone(),
            None if row.sequence == 1 => GENESIS.to_vec(),
            _ => {
                return Err(fail(format!(
                    "{} {} sequence {} does not follow its stream",
                    row.aggregate_type, row.aggregate_id, row.sequence
                )));
            }
        };
        if chain_hash(&previous, &row)[..] != row.hash[..] {
            return Err(fail(format!(
                "the hash of {} {} sequence {} does not match its content",
                row.aggregate_type, row.aggregate_id, row.sequence
            )));
        }
        last.insert(stream, (row.sequence, row.hash.clone()));
        rows.push(row);
    }
    Ok(rows)
}

/// Restores an export into an empty database; returns how many events it wrote.
pub async fn import_log(
    pool: &PgPool,
    path: &Path,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<u64, RestoreError> {
    let present: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    if present > 0 {
        return Err(RestoreError::NotEmpty(present));
    }
    let rows = rows(path)?;
    let total = Some(rows.len() as u64);
    let mut written = 0u64;
    // One transaction per original transaction, in commit order: the new transaction ids
    // then sort exactly as the old ones did.
    for group in rows.chunk_by(|a, b| a.transaction_id == b.transaction_id) {
        let mut tx = pool.begin().await?;
        for row in group {
            let hash: Vec<u8> = sqlx::query_scalar(
                "INSERT INTO events (position, aggregate_type, aggregate_id, sequence, event_type,
                                     event_version, payload, metadata, recorded_at)
                 OVERRIDING SYSTEM VALUE
                 VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)
                 RETURNING hash",
            )
            .bind(row.position)
            .bind(&row.aggregate_type)
            .bind(&row.aggregate_id)
            .bind(row.sequence)
            .bind(&row.event_type)
            .bind(&row.event_version)
            .bind(&row.payload)
            .bind(&row.metadata)
            .bind(row.recorded_at)
            .fetch_one(&mut *tx)
            .await?;
            // The database's own chain must agree with the export's, row by row.
            if hash != row.hash {
                return Err(RestoreError::Disagreement {
                    position: row.position,
                    reason: format!(
                        "the database computed {} where the export says {}",
                        hex(&hash),
                        hex(&row.hash)
                    ),
                });
            }
            written += 1;
            tick(progress, written, total);
        }
        tx.commit().await?;
    }
    // New events continue after the restored positions.
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('events', 'position'),
                       (SELECT coalesce(max(position), 0) + 1 FROM events), false)",
    )
    .execute(pool)
    .await?;
    Ok(written)
}
