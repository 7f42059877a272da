//! The console's people: accounts with argon2id password hashes, their sign-in sessions
//! (a random secret in a cookie, stored only as a SHA-256), and the limit on failed sign-ins.
//!
//! An account is an [`Actor`] exactly as a token is: the same role, the same bodies, the same
//! policy. Its id in event metadata is `account:<uuid>`, so an auditor can tell a person at the
//! console from an integration's token.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::tokens::{self, GrantError};
use crate::domain::{Actor, Role};

/// Failed sign-ins of one account name within [`FAILURE_WINDOW_MINUTES`] after which further
/// attempts are refused, right or wrong, until the window has passed.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i32 = 15;
/// Shortest password an account may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Prefix of a session cookie's secret (tells it from a token in logs and leaks scanners).
const SESSION_PREFIX: &str = "nls_";
/// Prefix of a calendar feed's key.
const CALENDAR_PREFIX: &str = "nlc_";

/// An account as listed: never the hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountInfo {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub role: String,
    pub bodies: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_by: Option<String>,
}

/// What ADMIN fills in to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The sign-in name: letters, digits, `.`, `-`, `_`; 1–64 characters.
    pub name: String,
    /// The name events and pages show (e.g. 张律师).
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub bodies: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the sign-in name must be 1–64 letters, digits, '.', '-' or '_'")]
    BadName,
    #[error("the display name must be 1–64 characters")]
    BadDisplayName,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("an account named {0} already exists")]
    NameTaken(String),
    #[error(transparent)]
    Grant(#[from] GrantError),
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Why a sign-in is refused. The two refusals read the same to the person signing in
/// (`Refused`): a wrong name is not told from a wrong password.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the name or the password is wrong, or the account is disabled")]
    Refused,
    #[error("too many failed sign-ins; try again after {until}")]
    Locked { until: DateTime<Utc> },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl NewAccount {
    fn validate(&self) -> Result<(), AccountError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !name_ok {
            return Err(AccountError::BadName);
        }
        let display = self.display_name.trim().chars().count();
        if display == 0 || display > 64 {
            return Err(AccountError::BadDisplayName);
        }
        if self.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError::WeakPassword);
        }
        Ok(())
    }
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), run off the async threads: a hash
/// takes tens of milliseconds by design.
async fn hash_password(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
}

fn hash_now(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Checks `password` against `hash`; without a hash (an unknown name), against a decoy made
/// once per process, so that a wrong name takes as long as a wrong password.
async fn verify_password(password: String, hash: Option<String>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let decoy = || {
            DECOY
                .get_or_init(|| hash_now(&tokens::random_secret("")).unwrap_or_default())
                .clone()
        };
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(decoy);
        let matches = PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// Creates an account; `created_by` names the ADMIN who did (or `cli`, `demo`).
pub async fn create(
    pool: &PgPool,
    account: NewAccount,
    created_by: &str,
) -> Result<Uuid, AccountError> {
    account.validate()?;
    tokens::check_grant(pool, account.role, &account.bodies).await?;
    let hash = hash_password(account.password.clone()).await?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO accounts (id, name, display_name, password_hash, role, bodies, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(id)
    .bind(&account.name)
    .bind(account.display_name.trim())
    .bind(hash)
    .bind(account.role.as_str())
    .bind(&account.bodies)
    .bind(created_by)
    .execute(pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AccountError::NameTaken(account.name));
    }
    Ok(id)
}

pub async fn list(pool: &PgPool) -> Result<Vec<AccountInfo>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, display_name, role, bodies, created_at, created_by, disabled_at,
                disabled_by
         FROM accounts ORDER BY created_at, name",
    )
    .fetch_all(pool)
    .await
}

/// Disables an account and ends its sessions at once; false when there was no such enabled
/// account. Accounts are never deleted: events name them.
pub async fn disable(pool: &PgPool, id: Uuid, by: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "UPDATE accounts SET disabled_at = now(), disabled_by = $2
         WHERE id = $1 AND disabled_at IS NULL",
    )
    .bind(id)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE console_sessions SET ended_at = now() WHERE account_id = $1 AND ended_at IS NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

#[derive(sqlx::FromRow)]
struct Holder {
    id: Uuid,
    display_name: String,
    role: String,
    bodies: Vec<String>,
    /// An account (else a token).
    is_account: bool,
}

/// Who a session or a calendar feed (aliased `s`, with `account_id` and `token_id`) stands
/// for: its account if enabled, else its token if live (joined by [`LIVE_HOLDER`]).
const HOLDER: &str = "coalesce(a.id, t.id) AS id, coalesce(a.display_name, t.name) AS display_name,
     coalesce(a.role, t.role) AS role, coalesce(a.bodies, t.bodies) AS bodies,
     s.account_id IS NOT NULL AS is_account";
/// Joins the enabled account or the live token of `s`; a row without either is dropped.
const LIVE_HOLDER: &str = "LEFT JOIN accounts a ON a.id = s.account_id AND a.disabled_at IS NULL
     LEFT JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
                            AND (t.expires_at IS NULL OR t.expires_at > now())
     JOIN LATERAL (SELECT 1) live ON a.id IS NOT NULL OR t.id IS NOT NULL";

/// The actor an account (`account:<id>`) or a token (its id) stands for.
fn holder_actor(h: Holder) -> Option<Actor> {
    Some(Actor {
        id: if h.is_account {
            format!("account:{}", h.id)
        } else {
            h.id.to_string()
        },
        name: h.display_name,
        role: h.role.parse().ok()?,
        bodies: h.bodies,
    })
}

/// Checks a name and password. After [`MAX_FAILURES`] failures of one name within the window,
/// every attempt for that name is refused until the oldest of them leaves it.
pub async fn sign_in(pool: &PgPool, name: &str, password: &str) -> Result<Uuid, SignInError> {
    let name = name.trim();
    let (failures, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*), min(failed_at) FROM sign_in_failures
         WHERE name = $1 AND failed_at > now() - $2::int * interval '1 minute'",
    )
    .bind(name)
    .bind(FAILURE_WINDOW_MINUTES)
    .fetch_one(pool)
    .await?;
    if failures >= MAX_FAILURES {
        let until = oldest.unwrap_or_else(Utc::now)
            + chrono::Duration::minutes(FAILURE_WINDOW_MINUTES.into());
        return Err(SignInError::Locked { until });
    }
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT id, password_hash FROM accounts WHERE name = $1 AND disabled_at IS NULL",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?;
    let hash = row.as_ref().map(|(_, h)| h.clone());
    if verify_password(password.to_owned(), hash).await
        && let Some((id, _)) = row
    {
        return Ok(id);
    }
    sqlx::query("INSERT INTO sign_in_failures (name) VALUES ($1)")
        .bind(name)
        .execute(pool)
        .await?;
    // Forget what left the window (anyone's), so the table stays small.
    sqlx::query(
        "DELETE FROM sign_in_failures WHERE failed_at < now() - $1::int * interval '1 minute'",
    )
    .bind(FAILURE_WINDOW_MINUTES)
    .execute(pool)
    .await?;
    Err(SignInError::Refused)
}

/// Who a session stands for.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Account(Uuid),
    /// A token exchanged for a session at the sign-in page (integrators, and the CLI's users).
    Token(Uuid),
}

/// A session as a request sees it.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub actor: Actor,
    /// Who signed in: an account, or a token exchanged for the session.
    pub subject: Subject,
    /// The anti-forgery token every form of this session carries.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// How long a session lives at most, and how long it may sit unused.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub lifetime: chrono::Duration,
    pub idle: chrono::Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            lifetime: chrono::Duration::hours(8),
            idle: chrono::Duration::minutes(60),
        }
    }
}

/// Starts a session and returns its secret (for the cookie; never stored).
pub async fn start_session(
    pool: &PgPool,
    subject: Subject,
    limits: SessionLimits,
) -> Result<String, sqlx::Error> {
    let secret = tokens::random_secret(SESSION_PREFIX);
    let csrf = tokens::random_secret("");
    let (account, token) = match subject {
        Subject::Account(id) => (Some(id), None),
        Subject::Token(id) => (None, Some(id)),
    };
    sqlx::query(
        "INSERT INTO console_sessions (id_hash, account_id, token_id, csrf, expires_at)
         VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 second')",
    )
    .bind(tokens::hash(&secret))
    .bind(account)
    .bind(token)
    .bind(csrf)
    .bind(limits.lifetime.num_seconds())
    .execute(pool)
    .await?;
    Ok(secret)
}

/// The live session a cookie's secret stands for: not ended, not expired, not idle too long,
/// and its account enabled (or its token live). Its last use is kept to the minute.
pub async fn session(
    pool: &PgPool,
    secret: &str,
    limits: SessionLimits,
) -> Result<Option<ConsoleSession>, sqlx::Error> {
    Ok(session_until(pool, secret, limits)
        .await?
        .map(|(session, _)| session))
}

/// [`session`], with the moment it stops being valid unless something changes first (the
/// session's end, its token's expiry or its idle limit, whichever is first): how long a
/// cache may hold it.
pub(crate) async fn session_until(
    pool: &PgPool,
    secret: &str,
    limits: SessionLimits,
) -> Result<Option<(ConsoleSession, DateTime<Utc>)>, sqlx::Error> {
    if !tokens::has_shape(secret, SESSION_PREFIX) {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        holder: Holder,
        csrf: String,
        expires_at: DateTime<Utc>,
        valid_until: DateTime<Utc>,
        stale: bool,
    }
    let id_hash = tokens::hash(secret);
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {HOLDER}, s.csrf, s.expires_at,
                least(s.expires_at, t.expires_at,
                      greatest(s.last_seen_at, now()) + $2::bigint * interval '1 second')
                    AS valid_until,
                s.last_seen_at < now() - interval '1 minute' AS stale
             FROM console_sessions s {LIVE_HOLDER}
             WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
               AND s.last_seen_at > now() - $2::bigint * interval '1 second'"
    ))
    .bind(&id_hash)
    .bind(limits.idle.num_seconds())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.stale {
        sqlx::query("UPDATE console_sessions SET last_seen_at = now() WHERE id_hash = $1")
            .bind(&id_hash)
            .execute(pool)
            .await?;
    }
    let subject = if row.holder.is_account {
        Subject::Account(row.holder.id)
    } else {
        Subject::Token(row.holder.id)
    };
    let valid_until = row.valid_until;
    let actor = holder_actor(row.holder);
    Ok(actor.map(|actor| {
        (
            ConsoleSession {
                actor,
                subject,
                csrf: row.csrf,
                expires_at: row.expires_at,
            },
            valid_until,
        )
    }))
}

/// Ends a session (sign-out).
pub async fn end_session(pool: &PgPool, secret: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE console_sessions SET ended_at = now() WHERE id_hash = $1")
        .bind(tokens::hash(secret))
        .execute(pool)
        .await?;
    Ok(())
}

/// The token a secret names, if live (for exchanging a token for a session).
pub async fn live_token(pool: &PgPool, secret: &str) -> Result<Option<Uuid>, sqlx::Error> {
    Ok(tokens::authenticate(pool, secret)
        .await?
        .and_then(|a| a.id.parse().ok()))
}

/// Makes `subject`'s calendar feed key (ending the one it had) and returns it: shown once,
/// stored as a SHA-256.
pub async fn new_calendar_feed(pool: &PgPool, subject: Subject) -> Result<String, sqlx::Error> {
    let key = tokens::random_secret(CALENDAR_PREFIX);
    let (account, token) = match subject {
        Subject::Account(id) => (Some(id), None),
        Subject::Token(id) => (None, Some(id)),
    };
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE calendar_feeds SET ended_at = now()
         WHERE ended_at IS NULL AND (account_id = $1 OR token_id = $2)",
    )
    .bind(account)
    .bind(token)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO calendar_feeds (key_hash, account_id, token_id) VALUES ($1, $2, $3)")
        .bind(tokens::hash(&key))
        .bind(account)
        .bind(token)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(key)
}

/// The person a calendar feed key reads for: its account enabled (or its token live), the
/// key not replaced.
pub async fn calendar_feed_actor(pool: &PgPool, key: &str) -> Result<Option<Actor>, sqlx::Error> {
    if !tokens::has_shape(key, CALENDAR_PREFIX) {
        return Ok(None);
    }
    let row: Option<Holder> = sqlx::query_as(&format!(
        "SELECT {HOLDER} FROM calendar_feeds s {LIVE_HOLDER}
             WHERE s.key_hash = $1 AND s.ended_at IS NULL"
    ))
    .bind(tokens::hash(key))
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(holder_actor))
}

/// Whether any account exists (the demo loader creates its accounts once).
pub async fn any(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts)")
        .fetch_one(pool)
        .await
}
