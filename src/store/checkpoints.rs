//! Signed checkpoints: a digest of the log with its time, signed with the server's Ed25519
//! key, kept in `log_checkpoints` (append-only). `verify` checks every checkpoint against the
//! log, and, given the public key (`--public-key`, printed by `normledger key`), that the
//! latest was signed by it.
//!
//! The key that signs is the one that signed the latest checkpoint: a different key (a
//! replaced or lost key file) is refused until the change is recorded as a rotation
//! ([`signing_key`] with a reason), so a new key never starts signing unnoticed.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sqlx::PgPool;
use std::path::Path;
use uuid::Uuid;

use crate::store::integrity::{self, LogDigest, hex};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the signing key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the signing key {0} is not 64 hex digits")]
    Malformed(String),
    #[error(
        "the signing key {path} (public key {found}) is not the key that signed the latest checkpoint ({expected}); restore that key file, or record a rotation with --rotate-key REASON"
    )]
    NotTheSigningKey {
        path: String,
        found: String,
        expected: String,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The key that signs this ledger's checkpoints: the key file (created on first use) if it is
/// the key that signed the latest checkpoint or no checkpoint exists; otherwise refused, unless
/// `rotate` gives the reason for a rotation, which is then recorded (as the owner: the app
/// role cannot record one).
pub async fn signing_key(
    owner: &PgPool,
    path: &Path,
    rotate: Option<&str>,
) -> Result<SigningKey, KeyError> {
    let key = load_or_create_key(path)?;
    let ours = key.verifying_key().to_bytes();
    let Some(current) = current_signer(owner).await? else {
        return Ok(key);
    };
    if current == ours {
        return Ok(key);
    }
    let Some(reason) = rotate else {
        return Err(KeyError::NotTheSigningKey {
            path: path.display().to_string(),
            found: hex(&ours),
            expected: hex(&current),
        });
    };
    sqlx::query(
        "INSERT INTO signing_key_rotations (id, old_public_key, new_public_key, reason)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(Uuid::now_v7())
    .bind(&current[..])
    .bind(&ours[..])
    .bind(reason)
    .execute(owner)
    .await?;
    tracing::warn!(old = %hex(&current), new = %hex(&ours), reason, "signing key rotated");
    Ok(key)
}

/// The key that signs now: the newer of the latest checkpoint's key and the latest rotation's
/// new key.
async fn current_signer(pool: &PgPool) -> Result<Option<[u8; 32]>, sqlx::Error> {
    let key: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT key FROM (
             SELECT public_key AS key, taken_at AS at FROM log_checkpoints
             UNION ALL SELECT new_public_key, rotated_at FROM signing_key_rotations) k
         ORDER BY at DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(key.and_then(|k| k.try_into().ok()))
}

/// Every recorded rotation as (old key, new key), oldest first.
pub async fn rotations(pool: &PgPool) -> Result<Vec<([u8; 32], [u8; 32])>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Rotation {
        old_public_key: Vec<u8>,
        new_public_key: Vec<u8>,
    }
    let rows: Vec<Rotation> = sqlx::query_as(
        "SELECT old_public_key, new_public_key FROM signing_key_rotations ORDER BY rotated_at",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                r.old_public_key.try_into().ok()?,
                r.new_public_key.try_into().ok()?,
            ))
        })
        .collect())
}

/// Loads the Ed25519 signing key (a 32-byte seed in hex) from `path`, creating it — readable
/// by the owner only — on first use.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(io)?;
        let bytes: [u8; 32] = (0..64)
            .step_by(2)
            .map(|i| {
                text.trim()
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .and_then(|v| v.try_into().ok())
            .filter(|_| text.trim().len() == 64)
            .ok_or_else(|| KeyError::Malformed(path.display().to_string()))?;
        return Ok(SigningKey::from_bytes(&bytes));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system's random source failed");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        writeln!(f, "{}", hex(&seed)).map_err(io)?;
    }
    Ok(SigningKey::from_bytes(&seed))
}

/// A signed digest of the log.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub id: Uuid,
    pub taken_at: DateTime<Utc>,
    pub digest: LogDigest,
    pub public_key: [u8; 32],
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn message(digest: &LogDigest, taken_at: DateTime<Utc>) -> String {
        format!(
            "normledger checkpoint v1\ndigest {digest}\nlast_position {}\ntaken_at {}\n",
            digest.last_position,
            integrity::canonical_time(taken_at)
        )
    }

    /// Whether the signature is valid for this checkpoint under its public key.
    pub fn signature_is_valid(&self) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.public_key) else {
            return false;
        };
        key.verify(
            Self::message(&self.digest, self.taken_at).as_bytes(),
            &Signature::from_bytes(&self.signature),
        )
        .is_ok()
    }
}

/// Takes, signs and records a checkpoint of the log as it stands.
pub async fn take(pool: &PgPool, key: &SigningKey) -> Result<Checkpoint, sqlx::Error> {
    let digest = integrity::digest(pool).await?;
    // Microsecond precision, as stored, so the signed text can be rebuilt from the row.
    let taken_at = DateTime::from_timestamp_micros(Utc::now().timestamp_micros())
        .expect("now is representable");
    let signature = key.sign(Checkpoint::message(&digest, taken_at).as_bytes());
    let c = Checkpoint {
        id: Uuid::now_v7(),
        taken_at,
        public_key: key.verifying_key().to_bytes(),
        signature: signature.to_bytes(),
        digest,
    };
    sqlx::query(
        "INSERT INTO log_checkpoints
           (id, taken_at, transaction_bound, events, last_position, root, public_key, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.id)
    .bind(c.taken_at)
    .bind(c.digest.transaction_bound)
    .bind(c.digest.events)
    .bind(c.digest.last_position)
    .bind(&c.digest.root[..])
    .bind(&c.public_key[..])
    .bind(&c.signature[..])
    .execute(pool)
    .await?;
    Ok(c)
}

/// A stored checkpoint as selected.
#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    taken_at: DateTime<Utc>,
    transaction_bound: i64,
    events: i64,
    last_position: i64,
    root: Vec<u8>,
    public_key: Vec<u8>,
    signature: Vec<u8>,
}

impl Row {
    /// None for a row whose byte fields have the wrong lengths (it cannot verify).
    fn checkpoint(self) -> Option<Checkpoint> {
        Some(Checkpoint {
            id: self.id,
            taken_at: self.taken_at,
            digest: LogDigest {
                transaction_bound: self.transaction_bound,
                events: self.events,
                last_position: self.last_position,
                root: self.root.try_into().ok()?,
            },
            public_key: self.public_key.try_into().ok()?,
            signature: self.signature.try_into().ok()?,
        })
    }
}

const SELECT: &str = "SELECT id, taken_at, transaction_bound, events, last_position, root, \
    public_key, signature FROM log_checkpoints";

/// The newest checkpoints first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Checkpoint>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY taken_at DESC LIMIT $1"))
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().filter_map(Row::checkpoint).collect())
}

/// Every checkpoint, oldest first. A row with malformed bytes is kept with zeroed fields so
/// that its signature fails the check rather than the row going unnoticed.
pub async fn all(pool: &PgPool) -> Result<Vec<Checkpoint>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY taken_at, events"))
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (id, taken_at, events) = (r.id, r.taken_at, r.events);
            r.checkpoint().unwrap_or(Checkpoint {
                id,
                taken_at,
                digest: LogDigest {
                    transaction_bound: 0,
                    events,
                    last_position: 0,
                    root: [0; 32],
                },
                public_key: [0; 32],
                signature: [0; 64],
            })
        })
        .collect())
}
