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
    pub created_by: Option<String>,
}

pub(crate) fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub(crate) fn new_secret() -> String {
    random_secret(PREFIX)
}

/// Whether `secret` could be one [`random_secret`] made with `prefix` (checked before any
/// lookup, so that garbage never reaches the database).
pub(crate) fn has_shape(secret: &str, prefix: &str) -> bool {
    secret.starts_with(prefix) && secret.len() == prefix.len() + 64
}

/// 256 random bits as hex, after `prefix`.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// Why access (a token or an account) cannot be granted as asked.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error(
        "a {0} needs at least one body (an issuing body's code, or a filing authority's name as listed)"
    )]
    NoBodies(Role),
    #[error("{body} is not {what}; see issuingBodies")]
    UnknownBody { body: String, what: &'static str },
    #[error("{0} is not held by a token or an account")]
    NotGrantable(Role),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Checks that `role` may be granted for `bodies`: drafters and filing authorities need at
/// least one, and every body must be known for that role. Listed at some time counts (from the
/// log, which is always current; a delisted body's drafters may still need to read and
/// withdraw its documents); for a legal office, designated as some listed body's review body
/// will do too; a filing authority is named as some listed body's filing authority.
pub async fn check_grant(pool: &PgPool, role: Role, bodies: &[String]) -> Result<(), GrantError> {
    if !Role::ALL.contains(&role) {
        return Err(GrantError::NotGrantable(role));
    }
    if matches!(role, Role::Drafter | Role::FilingAuthority) && bodies.is_empty() {
        return Err(GrantError::NoBodies(role));
    }
    for body in bodies {
        let known: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM events
                            WHERE aggregate_type = 'IssuingBody'
                              AND CASE $2
                                WHEN 'FILING_AUTHORITY' THEN
                                  payload -> 'IssuingBodyListed' -> 'filing_authorities' ? $1
                                WHEN 'LEGAL_OFFICE' THEN
                                  aggregate_id = $1
                                  OR payload -> 'IssuingBodyListed' ->> 'review_body' = $1
                                ELSE aggregate_id = $1 END)",
        )
        .bind(body)
        .bind(role.as_str())
        .fetch_one(pool)
        .await?;
        if !known {
            let what = match role {
                Role::LegalOffice => "a listed issuing body nor any body's review body",
                Role::FilingAuthority => "named as any listed body's filing authority (备案机关)",
                _ => "a listed issuing body",
            };
            return Err(GrantError::UnknownBody {
                body: body.clone(),
                what,
            });
        }
    }
    Ok(())
}

/// Creates a token and returns (id, secret), granted by nobody on record (tests, the demo).
pub async fn create(
    pool: &PgPool,
    name: &str,
    role: Role,
    bodies: &[String],
    expires_at: Option<DateTime<Utc>>,
) -> Result<(Uuid, String), sqlx::Error> {
    grant(pool, name, role, bodies, expires_at, None).await
}

/// Creates a token and returns (id, secret). The secret is not stored and cannot be shown
/// again. `created_by` names who granted it (an account, or `cli`).
pub async fn grant(
    pool: &PgPool,
    name: &str,
    role: Role,
    bodies: &[String],
    expires_at: Option<DateTime<Utc>>,
    created_by: Option<&str>,
) -> Result<(Uuid, String), sqlx::Error> {
    let id = Uuid::now_v7();
    let secret = new_secret();
    sqlx::query(
        "INSERT INTO api_tokens (id, name, role, bodies, token_hash, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(name)
    .bind(role.as_str())
    .bind(bodies)
    .bind(hash(&secret))
    .bind(expires_at)
    .bind(created_by)
    .execute(pool)
    .await?;
    Ok((id, secret))
}

/// How stale `last_used_at` may be: it is written at most once per this many seconds.
pub const LAST_USE_RESOLUTION_SECS: i32 = 60;

/// The actor a live (not revoked, not expired) token stands for. The lookup is by hash, so
/// the secret is never compared byte by byte against stored material.
pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<Actor>, sqlx::Error> {
    Ok(authenticate_until(pool, secret)
        .await?
        .map(|(actor, _)| actor))
}

/// [`authenticate`], with the token's expiry (how long a cache may hold the answer unless
/// the token changes first).
pub(crate) async fn authenticate_until(
    pool: &PgPool,
    secret: &str,
) -> Result<Option<(Actor, Option<DateTime<Utc>>)>, sqlx::Error> {
    if !has_shape(secret, PREFIX) {
        return Ok(None);
    }
    let token_hash = hash(secret);
    #[derive(sqlx::FromRow)]
    struct Holder {
        id: Uuid,
        name: String,
        role: String,
        bodies: Vec<String>,
        expires_at: Option<DateTime<Utc>>,
        /// The last use is older than the resolution: time to record this one.
        stale: bool,
    }
    let row: Option<Holder> = sqlx::query_as(
        "SELECT id, name, role, bodies, expires_at,
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
        Some((
            Actor {
                id: h.id.to_string(),
                name: h.name,
                role: h.role.parse().ok()?,
                bodies: h.bodies,
            },
            h.expires_at,
        ))
    }))
}

pub async fn list(pool: &PgPool) -> Result<Vec<TokenInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, role, bodies, created_at, expires_at, revoked_at, last_used_at,
                created_by
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
