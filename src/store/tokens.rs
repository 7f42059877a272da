//! API bearer tokens: 256 random bits, shown once, stored only as a SHA-256 hash.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{Actor, Role};

const PREFIX: &str = "nl_";

/// A token as listed: never the secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub bodies: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{hex}")
}

/// Creates a token and returns (id, secret). The secret is not stored and cannot be shown again.
pub async fn create(
    pool: &PgPool,
    name: &str,
    role: Role,
    bodies: &[String],
    expires_at: Option<DateTime<Utc>>,
) -> Result<(Uuid, String), sqlx::Error> {
    let id = Uuid::now_v7();
    let secret = new_secret();
    sqlx::query(
        "INSERT INTO api_tokens (id, name, role, bodies, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(name)
    .bind(role.as_str())
    .bind(bodies)
    .bind(hash(&secret))
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok((id, secret))
}

/// The actor a live (not revoked, not expired) token stands for. The lookup is by hash, so
/// the secret is never compared byte by byte against stored material.
/// How stale `last_used_at` may be: it is written at most once per this many seconds.
pub const LAST_USE_RESOLUTION_SECS: i32 = 60;

pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<Actor>, sqlx::Error> {
    if !secret.starts_with(PREFIX) || secret.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let token_hash = hash(secret);
    #[derive(sqlx::FromRow)]
    struct Holder {
        id: Uuid,
        name: String,
        role: String,
        bodies: Vec<String>,
        /// The last use is older than the resolution: time to record this one.
        stale: bool,
    }
    let row: Option<Holder> = sqlx::query_as(
        "SELECT id, name, role, bodies,
                coalesce(last_used_at < now() - $2::int * interval '1 second', true) AS stale
         FROM api_tokens
         WHERE token_hash = $1 AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > now())",
    )
    .bind(&token_hash)
    .bind(LAST_USE_RESOLUTION_SECS)
    .fetch_optional(pool)
    .await?;
    if row.as_ref().is_some_and(|r| r.stale) {
        // A write (and its fsync) per request only to move a timestamp would cost as much as
        // the request itself: the last use is kept to the minute.
        sqlx::query("UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1")
            .bind(&token_hash)
            .execute(pool)
            .await?;
    }
    Ok(row.and_then(|h| {
        Some(Actor {
            id: h.id.to_string(),
            name: h.name,
            role: h.role.parse().ok()?,
            bodies: h.bodies,
        })
    }))
}

pub async fn list(pool: &PgPool) -> Result<Vec<TokenInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, role, bodies, created_at, expires_at, revoked_at, last_used_at
         FROM api_tokens ORDER BY created_at",
    )
    .fetch_all(pool)
    .await
}

/// Revokes a token by id; false when there was no such live token.
pub async fn revoke(pool: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any token exists (the demo loader creates its tokens once).
pub async fn any(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_tokens)")
        .fetch_one(pool)
        .await
}
