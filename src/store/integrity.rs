//! Tamper evidence: recompute the per-stream hash chain from the raw rows, and digests of
//! the whole log that later verifications can check the log still extends.
//!
//! The canonical form and the chain are defined in `migrations/*_hash_chain.sql`; this module
//! recomputes them independently in Rust, so a verification does not trust the trigger.
//!
//! A digest covers every event whose transaction is older than a bound (settled rows: no
//! later commit can add one below it), in `(transaction_id, position)` order:
//! `root_0 = 32 zero bytes`, `root_i = sha256(root_{i-1} || hash_i)`.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use std::fmt;
use std::str::FromStr;

use crate::store::event_log::safe_bound;

pub const GENESIS: [u8; 32] = [0; 32];

/// A row as hashed: the exact texts that went into the canonical form.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HashedRow {
    pub position: i64,
    pub transaction_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
    pub recorded_at: DateTime<Utc>,
    pub hash: Vec<u8>,
}

/// `recorded_at` as it enters the canonical form.
pub fn canonical_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The canonical bytes of a row: each field as `<byte length>:<bytes>\n`.
pub fn canonical(row: &HashedRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(row.payload.len() + row.metadata.len() + 200);
    for field in [
        row.aggregate_type.as_str(),
        row.aggregate_id.as_str(),
        &row.sequence.to_string(),
        row.event_type.as_str(),
        row.event_version.as_str(),
        row.payload.as_str(),
        row.metadata.as_str(),
        &canonical_time(row.recorded_at),
    ] {
        out.extend_from_slice(field.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(field.as_bytes());
        out.push(b'\n');
    }
    out
}

/// `sha256(previous || canonical(row))`.
pub fn chain_hash(previous: &[u8], row: &HashedRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(previous);
    h.update(canonical(row));
    h.finalize().into()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A digest of the settled log: `nl1:<transaction bound>:<events>:<root hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDigest {
    pub transaction_bound: i64,
    pub events: i64,
    pub last_position: i64,
    pub root: [u8; 32],
}

impl fmt::Display for LogDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nl1:{}:{}:{}",
            self.transaction_bound,
            self.events,
            hex(&self.root)
        )
    }
}

impl FromStr for LogDigest {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad =
            || "a digest looks like nl1:<transaction bound>:<events>:<64 hex digits>".to_owned();
        let parts: Vec<&str> = s.trim().split(':').collect();
        let [version, bound, events, root] = parts.as_slice() else {
            return Err(bad());
        };
        if *version != "nl1" {
            return Err(bad());
        }
        let root: [u8; 32] = unhex(root)
            .and_then(|r| r.try_into().ok())
            .ok_or_else(bad)?;
        Ok(LogDigest {
            transaction_bound: bound.parse().map_err(|_| bad())?,
            events: events.parse().map_err(|_| bad())?,
            last_position: 0,
            root,
        })
    }
}

/// The first place where the log is not what its hashes say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub position: Option<i64>,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct Verification {
    pub events_checked: u64,
    pub streams_checked: u64,
    pub first_broken_link: Option<BrokenLink>,
    /// Whether the log still extends the given earlier digest (None when none was given).
    pub extends_digest: Option<bool>,
    /// Why it does not, when it does not.
    pub digest_problem: Option<String>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_broken_link.is_none() && self.extends_digest != Some(false)
    }
}

const ROW_COLUMNS: &str = "position, transaction_id::text::bigint AS transaction_id, aggregate_type, \
    aggregate_id, sequence, event_type, event_version, payload::text AS payload, \
    metadata::text AS metadata, recorded_at, hash";

/// Recomputes every link of every stream (optionally only links whose position is in
/// `from..=to`), and checks `earlier` if given.
pub async fn verify(
    pool: &PgPool,
    from: Option<i64>,
    to: Option<i64>,
    earlier: Option<&LogDigest>,
) -> Result<Verification, sqlx::Error> {
    let sql =
        format!("SELECT {ROW_COLUMNS} FROM events ORDER BY aggregate_type, aggregate_id, sequence");
    let mut rows = sqlx::query_as::<_, HashedRow>(&sql).fetch(pool);
    let mut v = Verification {
        events_checked: 0,
        streams_checked: 0,
        first_broken_link: None,
        extends_digest: None,
        digest_problem: None,
    };
    let mut previous: Option<HashedRow> = None;
    let in_range = |p: i64| from.is_none_or(|f| p >= f) && to.is_none_or(|t| p <= t);
    let mut stream_counted = false;
    while let Some(row) = rows.try_next().await? {
        let same_stream = previous.as_ref().is_some_and(|p| {
            p.aggregate_type == row.aggregate_type && p.aggregate_id == row.aggregate_id
        });
        if !same_stream {
            stream_counted = false;
        }
        if !in_range(row.position) {
            previous = Some(row);
            continue;
        }
        if !stream_counted {
            v.streams_checked += 1;
            stream_counted = true;
        }
        v.events_checked += 1;
        if v.first_broken_link.is_none() {
            v.first_broken_link = check_link(previous.as_ref().filter(|_| same_stream), &row);
        }
        previous = Some(row);
    }
    if let Some(d) = earlier {
        let (extends, problem) = match digest_at(pool, d.transaction_bound, Some(d.events)).await? {
            Some(now) if now.root == d.root => (true, None),
            Some(_) => (
                false,
                Some("an event covered by the digest was changed, removed or reordered".into()),
            ),
            None => (
                false,
                Some("fewer events than the digest covered: events were removed".into()),
            ),
        };
        v.extends_digest = Some(extends);
        v.digest_problem = problem;
    }
    Ok(v)
}

fn check_link(previous: Option<&HashedRow>, row: &HashedRow) -> Option<BrokenLink> {
    let broken = |problem: String| {
        Some(BrokenLink {
            aggregate_type: row.aggregate_type.clone(),
            aggregate_id: row.aggregate_id.clone(),
            sequence: row.sequence,
            position: Some(row.position),
            problem,
        })
    };
    let expected_sequence = previous.map_or(1, |p| p.sequence + 1);
    if row.sequence != expected_sequence {
        return broken(format!(
            "sequence {} follows {}: event {} of this stream is missing",
            row.sequence,
            expected_sequence - 1,
            expected_sequence
        ));
    }
    let prev_hash = previous.map_or(&GENESIS[..], |p| &p.hash[..]);
    let computed = chain_hash(prev_hash, row);
    if computed[..] != row.hash[..] {
        return broken(format!(
            "stored hash {} but the row's content hashes to {}: the row was altered",
            hex(&row.hash),
            hex(&computed)
        ));
    }
    None
}

/// The digest of the log as it stands (every settled event).
pub async fn digest(pool: &PgPool) -> Result<LogDigest, sqlx::Error> {
    let bound = safe_bound(pool).await?;
    Ok(digest_at(pool, bound, None)
        .await?
        .expect("a digest without an expected count always exists"))
}

/// The digest over events with `transaction_id < bound`; with `expect_events`, over exactly
/// that many (None if there are fewer).
async fn digest_at(
    pool: &PgPool,
    bound: i64,
    expect_events: Option<i64>,
) -> Result<Option<LogDigest>, sqlx::Error> {
    let mut rows = sqlx::query_as::<_, (i64, Vec<u8>)>(
        "SELECT position, hash FROM events WHERE transaction_id < $1::bigint::text::xid8
         ORDER BY transaction_id, position LIMIT $2",
    )
    .bind(bound)
    .bind(expect_events.unwrap_or(i64::MAX))
    .fetch(pool);
    let mut root = GENESIS;
    let (mut events, mut last_position) = (0i64, 0i64);
    while let Some((position, hash)) = rows.try_next().await? {
        let mut h = Sha256::new();
        h.update(root);
        h.update(&hash);
        root = h.finalize().into();
        events += 1;
        last_position = last_position.max(position);
    }
    if expect_events.is_some_and(|n| n != events) {
        return Ok(None);
    }
    Ok(Some(LogDigest {
        transaction_bound: bound,
        events,
        last_position,
        root,
    }))
}

/// Every event with its hash, in `(transaction_id, position)` order, for export.
pub fn export_rows(
    pool: &PgPool,
) -> impl futures::Stream<Item = Result<HashedRow, sqlx::Error>> + '_ {
    // The query text is static; the stream borrows the pool.
    sqlx::query_as::<_, HashedRow>(EXPORT_SQL).fetch(pool)
}

const EXPORT_SQL: &str = "SELECT position, transaction_id::text::bigint AS transaction_id, \
    aggregate_type, aggregate_id, sequence, event_type, event_version, payload::text AS payload, \
    metadata::text AS metadata, recorded_at, hash FROM events ORDER BY transaction_id, position";

/// Writes the whole log as JSON lines, one event per line, with the exact texts that were
/// hashed (`payload` and `metadata` are PostgreSQL's jsonb renderings, as strings).
pub async fn export_jsonl(
    pool: &PgPool,
    out: &mut (impl std::io::Write + Send),
) -> Result<u64, crate::store::StoreError> {
    let mut rows = export_rows(pool);
    let mut n = 0;
    while let Some(r) = rows.try_next().await? {
        let line = serde_json::json!({
            "position": r.position,
            "transaction_id": r.transaction_id,
            "aggregate_type": r.aggregate_type,
            "aggregate_id": r.aggregate_id,
            "sequence": r.sequence,
            "event_type": r.event_type,
            "event_version": r.event_version,
            "payload": r.payload,
            "metadata": r.metadata,
            "recorded_at": canonical_time(r.recorded_at),
            "hash": hex(&r.hash),
        });
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n").map_err(serde_json::Error::io)?;
        n += 1;
    }
    Ok(n)
}
