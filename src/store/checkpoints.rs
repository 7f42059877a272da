//! Signed checkpoints: a digest of the log with its time, signed with the server's Ed25519
//! key, kept in `log_checkpoints` (append-only). Anyone holding the public key can check that
//! a checkpoint was issued by this server, and `verify --digest` that the log still extends it.

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

type Row = (
    Uuid,
    DateTime<Utc>,
    i64,
    i64,
    i64,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
);

/// The newest checkpoints first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Checkpoint>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, taken_at, transaction_bound, events, last_position, root, public_key, signature
         FROM log_checkpoints ORDER BY taken_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, taken_at, bound, events, last, root, key, sig)| {
            Some(Checkpoint {
                id,
                taken_at,
                digest: LogDigest {
                    transaction_bound: bound,
                    events,
                    last_position: last,
                    root: root.try_into().ok()?,
                },
                public_key: key.try_into().ok()?,
                signature: sig.try_into().ok()?,
            })
        })
        .collect())
}
