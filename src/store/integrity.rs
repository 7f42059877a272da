//! Tamper evidence: recompute the per-stream hash chain from the raw rows, and digests of
//! the whole log that later verifications can check the log still extends.
//!
//! The canonical form and the chain are specified once, in `docs/auditing.md`; the trigger of
//! `migrations/*_hash_chain.sql` computes them on insert, and this module recomputes them
//! independently in Rust, so a verification does not trust the trigger.
//!
//! A digest covers every event whose transaction is older than a bound (settled rows: no
//! later commit can add one below it), in `(transaction_id, position)` order:
//! `root_0 = 32 zero bytes`, `root_i = sha256(root_{i-1} || hash_i)`.
//!
//! A digest is checked later as "the first N events in commit order": every transaction that
//! commits after the digest was taken sorts after those N, and a restore (`import-log`) keeps
//! commit order, so the same N events come first on the restored database even though its
//! transaction ids are different. The bound is only where the digest was cut on the database
//! it was taken on.
//!
//! Besides each stream's chain, a verification checks that each stream's events were
//! committed in sequence order (an inversion means rows were moved), and every signed
//! checkpoint: its root against the log's first N events, its signature, and — when a public key
//! is configured — that the latest is signed by that key and older ones by keys that recorded
//! rotations lead from.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::progress::{Progress, tick};
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
/// (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, written out by hand: `verify` formats one per event.)
pub fn canonical_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1000
    )
}

/// The canonical bytes of a row: each field as `<byte length>:<bytes>\n`.
pub fn canonical(row: &HashedRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(row.payload.len() + row.metadata.len() + 200);
    write_canonical(row, |bytes| out.extend_from_slice(bytes));
    out
}

/// Hands the canonical form to `put` piece by piece (hashing needs no copy of it).
fn write_canonical(row: &HashedRow, mut put: impl FnMut(&[u8])) {
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
        put(field.len().to_string().as_bytes());
        put(b":");
        put(field.as_bytes());
        put(b"\n");
    }
}

/// `sha256(previous || canonical(row))`.
pub fn chain_hash(previous: &[u8], row: &HashedRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(previous);
    write_canonical(row, |bytes| h.update(bytes));
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
    /// The signed checkpoints checked, and the first problem found with one.
    pub checkpoints: CheckpointReport,
    /// The digest of the log as this check read it (every settled event).
    pub digest: LogDigest,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_broken_link.is_none()
            && self.extends_digest != Some(false)
            && self.checkpoints.problem.is_none()
    }
}

/// Whose signatures a verification accepts on checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Check no checkpoint.
    NoCheckpoints,
    /// Check each checkpoint's root, and its signature against the key stored beside it
    /// (which proves nothing about who signed: anyone who can insert a row can sign).
    StoredKeys,
    /// As `StoredKeys`, and the latest checkpoint must be signed by this key, older ones by
    /// it or by a key that recorded rotations lead from to it.
    Key([u8; 32]),
}

/// What the checkpoint check found.
#[derive(Debug, Clone, Default)]
pub struct CheckpointReport {
    /// How many signed checkpoints were checked.
    pub checked: u64,
    /// The latest checkpoint: when it was taken and how many events it covers.
    pub latest: Option<(DateTime<Utc>, i64)>,
    /// Whether the signer of the latest checkpoint is the configured key (None when no key
    /// was configured or there is no checkpoint).
    pub signer_trusted: Option<bool>,
    /// The first problem, naming the checkpoint.
    pub problem: Option<String>,
}

const ROW_COLUMNS: &str = "position, transaction_id::text::bigint AS transaction_id, aggregate_type, \
    aggregate_id, sequence, event_type, event_version, payload::text AS payload, \
    metadata::text AS metadata, recorded_at, hash";

/// Recomputes every link of every stream (optionally only links whose position is in
/// `from..=to`), checks `earlier` if given and the signed checkpoints as `trust` says, and
/// computes the digest of the log now: all in one pass over the log in commit order (which
/// follows the heap, so PostgreSQL reads it nearly sequentially), with each stream's chain tip
/// kept in memory.
pub async fn verify(
    pool: &PgPool,
    from: Option<i64>,
    to: Option<i64>,
    earlier: Option<&LogDigest>,
    trust: Trust,
) -> Result<Verification, sqlx::Error> {
    verify_reporting(pool, from, to, earlier, trust, &mut |_| {}).await
}

/// [`verify`], reporting the events checked so far to `progress`.
pub async fn verify_reporting(
    pool: &PgPool,
    from: Option<i64>,
    to: Option<i64>,
    earlier: Option<&LogDigest>,
    trust: Trust,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Verification, sqlx::Error> {
    let signed = match trust {
        Trust::NoCheckpoints => SignedCheckpoints::default(),
        _ => SignedCheckpoints::load(pool, trust).await?,
    };
    let bound = safe_bound(pool).await?;
    let sql =
        format!("SELECT {ROW_COLUMNS} FROM events ORDER BY events.transaction_id, events.position");
    let mut rows = sqlx::query_as::<_, HashedRow>(&sql).fetch(pool);
    let mut chains = Chains {
        from,
        to,
        ..Chains::default()
    };
    let mut now = DigestBuilder::new(bound);
    // Every earlier digest and checkpoint is checked against the first N events in commit
    // order: the prefix root after each event.
    let mut prefixes: Vec<Prefix> = earlier
        .map(|d| Prefix::of_digest(d.events, d.root))
        .into_iter()
        .chain(signed.prefixes())
        .collect();
    prefixes.sort_by_key(|p| p.events);
    let mut prefixes = prefixes.into_iter().peekable();
    let mut checked_prefixes = vec![];
    let (mut root, mut count) = (GENESIS, 0i64);
    while let Some(p) = prefixes.next_if(|p| p.events == 0) {
        checked_prefixes.push(p.check(&root, 0));
    }
    while let Some(row) = rows.try_next().await? {
        now.add(&row);
        root = extend_root(&root, &row.hash);
        count += 1;
        while let Some(p) = prefixes.next_if(|p| p.events == count) {
            checked_prefixes.push(p.check(&root, count));
        }
        chains.add(row);
        tick(progress, count as u64, None);
    }
    progress(Progress {
        done: count as u64,
        total: Some(count as u64),
    });
    // Prefixes longer than the log: events were removed from its end.
    checked_prefixes.extend(prefixes.map(|p| p.check(&root, count)));
    let mut v = chains.finish(now.finish());
    let mut checkpoint_problem = signed.problem.clone();
    for p in checked_prefixes {
        match p.source {
            PrefixSource::Digest => {
                v.extends_digest = Some(p.problem.is_none());
                v.digest_problem = p.problem;
            }
            PrefixSource::Checkpoint(label) => {
                if checkpoint_problem.is_none()
                    && let Some(problem) = p.problem
                {
                    checkpoint_problem = Some(format!("checkpoint {label}: {problem}"));
                }
            }
        }
    }
    v.checkpoints = CheckpointReport {
        checked: signed.checked,
        latest: signed.latest,
        signer_trusted: signed.signer_trusted,
        problem: checkpoint_problem,
    };
    Ok(v)
}

fn extend_root(root: &[u8; 32], hash: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(root);
    h.update(hash);
    h.finalize().into()
}

/// An expected root of the first `events` events in commit order.
struct Prefix {
    events: i64,
    root: [u8; 32],
    source: PrefixSource,
    problem: Option<String>,
}

enum PrefixSource {
    Digest,
    Checkpoint(String),
}

impl Prefix {
    fn of_digest(events: i64, root: [u8; 32]) -> Self {
        Prefix {
            events,
            root,
            source: PrefixSource::Digest,
            problem: None,
        }
    }

    /// Compares with the log's root after `count` events (`count < events` when the log ran
    /// out first).
    fn check(mut self, root: &[u8; 32], count: i64) -> Self {
        self.problem = if count < self.events {
            Some(format!(
                "it covers {} events but the log holds {count}: events were removed",
                self.events
            ))
        } else if root != &self.root {
            Some(format!(
                "the first {} events in commit order are not the ones it covered: an event was changed, removed, inserted or reordered",
                self.events
            ))
        } else {
            None
        };
        self
    }
}

/// The checkpoints of a verification, their signatures already checked.
#[derive(Default)]
struct SignedCheckpoints {
    list: Vec<crate::store::checkpoints::Checkpoint>,
    checked: u64,
    latest: Option<(DateTime<Utc>, i64)>,
    signer_trusted: Option<bool>,
    problem: Option<String>,
}

impl SignedCheckpoints {
    async fn load(pool: &PgPool, trust: Trust) -> Result<Self, sqlx::Error> {
        use crate::store::checkpoints;
        let list = checkpoints::all(pool).await?;
        let rotations = checkpoints::rotations(pool).await?;
        let mut s = SignedCheckpoints {
            checked: list.len() as u64,
            latest: list.last().map(|c| (c.taken_at, c.digest.events)),
            ..Default::default()
        };
        // Keys a checkpoint may be signed by: the configured one and every key a recorded
        // rotation leads from to it (followed backwards).
        let vouched: Option<Vec<[u8; 32]>> = match trust {
            Trust::Key(k) => {
                let mut keys = vec![k];
                let mut i = 0;
                while i < keys.len() {
                    for (old, new) in &rotations {
                        if *new == keys[i] && !keys.contains(old) {
                            keys.push(*old);
                        }
                    }
                    i += 1;
                }
                Some(keys)
            }
            _ => None,
        };
        if let (Some(keys), Some(last)) = (&vouched, list.last()) {
            s.signer_trusted = Some(last.public_key == keys[0]);
            if last.public_key != keys[0] {
                s.problem = Some(format!(
                    "checkpoint {}: the latest checkpoint is signed by key {}, not by the configured key {}",
                    label(last),
                    hex(&last.public_key),
                    hex(&keys[0])
                ));
            }
        }
        for c in &list {
            if s.problem.is_some() {
                break;
            }
            if !c.signature_is_valid() {
                s.problem = Some(format!(
                    "checkpoint {}: its signature does not match its content",
                    label(c)
                ));
            } else if let Some(keys) = &vouched
                && !keys.contains(&c.public_key)
            {
                s.problem = Some(format!(
                    "checkpoint {}: signed by key {}, which no recorded rotation leads from to the configured key",
                    label(c),
                    hex(&c.public_key)
                ));
            }
        }
        s.list = list;
        Ok(s)
    }

    fn prefixes(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.list.iter().map(|c| Prefix {
            events: c.digest.events,
            root: c.digest.root,
            source: PrefixSource::Checkpoint(label(c)),
            problem: None,
        })
    }
}

fn label(c: &crate::store::checkpoints::Checkpoint) -> String {
    format!("{} of {}", c.id, canonical_time(c.taken_at))
}

/// A running digest over the events of transactions below `bound`, in commit order.
struct DigestBuilder {
    bound: i64,
    root: [u8; 32],
    events: i64,
    last_position: i64,
}

impl DigestBuilder {
    fn new(bound: i64) -> Self {
        DigestBuilder {
            bound,
            root: GENESIS,
            events: 0,
            last_position: 0,
        }
    }

    fn add(&mut self, row: &HashedRow) {
        if row.transaction_id < self.bound {
            self.push(row.position, &row.hash);
        }
    }

    fn push(&mut self, position: i64, hash: &[u8]) {
        self.root = extend_root(&self.root, hash);
        self.events += 1;
        self.last_position = self.last_position.max(position);
    }

    fn finish(self) -> LogDigest {
        LogDigest {
            transaction_bound: self.bound,
            events: self.events,
            last_position: self.last_position,
            root: self.root,
        }
    }
}

/// Where a stream's chain stands during a scan.
struct Tip {
    sequence: i64,
    hash: Vec<u8>,
    counted: bool,
}

/// The chain check of a scan in commit order: each stream's tip by type and id; an event
/// whose predecessor has not been seen yet waits for it (commit order follows each stream's
/// order for every append, but the check does not rely on it).
#[derive(Default)]
struct Chains {
    tips: HashMap<String, HashMap<String, Tip>>,
    waiting: HashMap<(String, String, i64), HashedRow>,
    /// Only links at positions in `from..=to` are checked (all are followed).
    from: Option<i64>,
    to: Option<i64>,
    events_checked: u64,
    streams_checked: u64,
    /// The broken link that comes first in (type, id, sequence) order.
    first_broken: Option<BrokenLink>,
}

impl Chains {
    fn add(&mut self, row: HashedRow) {
        let expected = self.tip(&row).map_or(1, |t| t.sequence + 1);
        if row.sequence > expected {
            let key = (
                row.aggregate_type.clone(),
                row.aggregate_id.clone(),
                row.sequence,
            );
            self.waiting.insert(key, row);
            return;
        }
        let mut next = Some((row, false));
        while let Some((row, inverted)) = next.take() {
            let key = (
                row.aggregate_type.clone(),
                row.aggregate_id.clone(),
                row.sequence + 1,
            );
            self.link(row, inverted);
            if !self.waiting.is_empty() {
                // It waited: it was committed before its predecessor.
                next = self.waiting.remove(&key).map(|r| (r, true));
            }
        }
    }

    fn tip(&self, row: &HashedRow) -> Option<&Tip> {
        self.tips.get(&row.aggregate_type)?.get(&row.aggregate_id)
    }

    /// Checks one event against its stream's tip and makes it the new tip.
    /// `inverted`: the event came before its predecessor in commit order.
    fn link(&mut self, row: HashedRow, inverted: bool) {
        let in_range = self.from.is_none_or(|f| row.position >= f)
            && self.to.is_none_or(|t| row.position <= t);
        let broken =
            check_link(self.tip(&row).map(|t| (t.sequence, &t.hash[..])), &row).or_else(|| {
                inverted.then(|| BrokenLink {
                    aggregate_type: row.aggregate_type.clone(),
                    aggregate_id: row.aggregate_id.clone(),
                    sequence: row.sequence,
                    position: Some(row.position),
                    problem: format!(
                        "committed before event {} of its stream: commit order was changed",
                        row.sequence - 1
                    ),
                })
            });
        let streams = self.tips.entry(row.aggregate_type.clone()).or_default();
        let tip = match streams.get_mut(&row.aggregate_id) {
            Some(tip) => tip,
            None => streams.entry(row.aggregate_id.clone()).or_insert(Tip {
                sequence: 0,
                hash: Vec::new(),
                counted: false,
            }),
        };
        if in_range {
            self.events_checked += 1;
            if !tip.counted {
                tip.counted = true;
                self.streams_checked += 1;
            }
            if let Some(b) = broken {
                let key =
                    |l: &BrokenLink| (l.aggregate_type.clone(), l.aggregate_id.clone(), l.sequence);
                if self.first_broken.as_ref().is_none_or(|f| key(&b) < key(f)) {
                    self.first_broken = Some(b);
                }
            }
        }
        tip.sequence = row.sequence;
        tip.hash = row.hash;
    }

    fn finish(mut self, digest: LogDigest) -> Verification {
        // Events whose predecessor never came: each is checked against its stream's tip, which
        // names the missing event.
        let mut orphans: Vec<HashedRow> = std::mem::take(&mut self.waiting).into_values().collect();
        orphans.sort_by(|a, b| {
            (&a.aggregate_type, &a.aggregate_id, a.sequence).cmp(&(
                &b.aggregate_type,
                &b.aggregate_id,
                b.sequence,
            ))
        });
        for row in orphans {
            self.link(row, false);
        }
        Verification {
            events_checked: self.events_checked,
            streams_checked: self.streams_checked,
            first_broken_link: self.first_broken,
            extends_digest: None,
            digest_problem: None,
            checkpoints: CheckpointReport::default(),
            digest,
        }
    }
}

fn check_link(previous: Option<(i64, &[u8])>, row: &HashedRow) -> Option<BrokenLink> {
    let broken = |problem: String| {
        Some(BrokenLink {
            aggregate_type: row.aggregate_type.clone(),
            aggregate_id: row.aggregate_id.clone(),
            sequence: row.sequence,
            position: Some(row.position),
            problem,
        })
    };
    let expected_sequence = previous.map_or(1, |p| p.0 + 1);
    if row.sequence != expected_sequence {
        return broken(format!(
            "sequence {} follows {}: event {} of this stream is missing",
            row.sequence,
            expected_sequence - 1,
            expected_sequence
        ));
    }
    let prev_hash = previous.map_or(&GENESIS[..], |p| p.1);
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
    #[derive(sqlx::FromRow)]
    struct Link {
        position: i64,
        hash: Vec<u8>,
    }
    let mut rows = sqlx::query_as::<_, Link>(
        "SELECT position, hash FROM events WHERE transaction_id < $1::bigint::text::xid8
         ORDER BY events.transaction_id, events.position",
    )
    .bind(bound)
    .fetch(pool);
    let mut d = DigestBuilder::new(bound);
    while let Some(Link { position, hash }) = rows.try_next().await? {
        d.push(position, &hash);
    }
    Ok(d.finish())
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
    metadata::text AS metadata, recorded_at, hash FROM events ORDER BY events.transaction_id, events.position";

/// Writes the whole log as JSON lines, one event per line, with the exact texts that were
/// hashed (`payload` and `metadata` are PostgreSQL's jsonb renderings, as strings).
pub async fn export_jsonl(
    pool: &PgPool,
    out: &mut (impl std::io::Write + Send),
    progress: &mut (dyn FnMut(Progress) + Send),
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
        tick(progress, n, None);
    }
    progress(Progress {
        done: n,
        total: Some(n),
    });
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written time is the one the database trigger and the export's checker use.
    #[test]
    fn the_canonical_time_is_postgres_microsecond_utc() {
        for (secs, nanos, text) in [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (1_561_939_200, 1_000, "2019-07-01T00:00:00.000001Z"),
            (1_798_761_599, 999_999_000, "2026-12-31T23:59:59.999999Z"),
            (-30_610_310_400, 120_000, "0999-12-31T00:00:00.000120Z"),
        ] {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            assert_eq!(canonical_time(t), text);
            assert_eq!(
                canonical_time(t),
                t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            );
        }
    }
}
