//! Who a bearer token or a console session stands for, answered from memory.
//!
//! Every request names its caller by a secret, and looking the secret up is a statement of its
//! own on every request. This cache keeps the answers in the process and drops **all** of them
//! the moment PostgreSQL announces a change on [`ACCESS_CHANNEL`]: triggers on `api_tokens`,
//! `accounts` and `console_sessions` send it when a token is revoked or its grant changes, an
//! account is disabled or changed, or a session ends (rare writes, committed on their own; the
//! event append never notifies). Every running server listens, so a revocation reaches all of
//! them as soon as it commits.
//!
//! What keeps a stale answer from outliving a revocation:
//! - nothing is cached while the listener is not connected (a lost connection clears the cache
//!   and lookups go to the database until it listens again);
//! - a lookup that raced a change is not kept: each change moves a generation, and an answer
//!   read before the move is not stored after it;
//! - an entry is kept at most until its token or session would expire or idle out, and never
//!   longer than [`REFRESH`], so last use is still recorded to the minute.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::domain::Actor;
use crate::store::accounts::{self, ConsoleSession, SessionLimits};
use crate::store::tokens;

/// The channel the access triggers notify (see `migrations/…_access_changes_are_announced.sql`).
pub const ACCESS_CHANNEL: &str = "normledger_access";

/// The longest an answer is kept without asking the database again.
pub const REFRESH: Duration = Duration::from_secs(tokens::LAST_USE_RESOLUTION_SECS as u64);

/// Most secrets kept; past it the cache starts over (a flood of distinct secrets cannot grow
/// memory, and live callers are back after one lookup each).
const CAPACITY: usize = 10_000;

struct Entry<T> {
    value: T,
    until: Instant,
}

#[derive(Default)]
struct Held {
    /// Moved by every announced change.
    generation: u64,
    tokens: HashMap<Vec<u8>, Entry<Actor>>,
    sessions: HashMap<Vec<u8>, Entry<ConsoleSession>>,
}

/// The process's answers to "who is this secret", invalidated by `LISTEN`.
pub struct AccessCache {
    pool: PgPool,
    held: Mutex<Held>,
    listening: AtomicBool,
    /// Ticks on every announced change, for holders of long-lived connections (websockets)
    /// to check their caller again at once.
    changes: tokio::sync::watch::Sender<u64>,
}

impl AccessCache {
    pub fn new(pool: PgPool) -> Self {
        AccessCache {
            pool,
            held: Mutex::default(),
            listening: AtomicBool::new(false),
            changes: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The actor a live token stands for.
    pub async fn token(&self, secret: &str) -> Result<Option<Actor>, sqlx::Error> {
        self.lookup(
            secret,
            |h| &mut h.tokens,
            tokens::authenticate_until(&self.pool, secret),
        )
        .await
    }

    /// The live session a console cookie's secret stands for.
    pub async fn session(&self, secret: &str) -> Result<Option<ConsoleSession>, sqlx::Error> {
        let load = async {
            Ok(
                accounts::session_until(&self.pool, secret, SessionLimits::default())
                    .await?
                    .map(|(session, valid_until)| (session, Some(valid_until))),
            )
        };
        self.lookup(secret, |h| &mut h.sessions, load).await
    }

    /// The answer kept in `table` for `secret`, else `load`'s (kept until it would stop
    /// being valid, if no change was announced meanwhile).
    async fn lookup<T: Clone>(
        &self,
        secret: &str,
        table: fn(&mut Held) -> &mut HashMap<Vec<u8>, Entry<T>>,
        load: impl Future<Output = Result<Option<(T, Option<DateTime<Utc>>)>, sqlx::Error>>,
    ) -> Result<Option<T>, sqlx::Error> {
        let key = tokens::hash(secret);
        let now = Instant::now();
        if let Some(found) = self.hit(table, &key, now) {
            return Ok(Some(found));
        }
        let generation = self.generation();
        let found = load.await?;
        if let Some((value, valid_until)) = &found {
            let entry = Entry {
                value: value.clone(),
                until: until(now, *valid_until),
            };
            self.keep(generation, |h| {
                table(h).insert(key, entry);
            });
        }
        Ok(found.map(|(value, _)| value))
    }

    /// Whether answers are currently being kept (the listener is connected).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Drops every answer (an announced change, or the listener lost).
    pub fn forget_all(&self) {
        if let Ok(mut held) = self.held.lock() {
            held.generation += 1;
            held.tokens.clear();
            held.sessions.clear();
        }
        self.changes.send_modify(|n| *n += 1);
    }

    /// Resolves at each announced change (or loss of the listener).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn generation(&self) -> u64 {
        self.held.lock().map(|h| h.generation).unwrap_or(u64::MAX)
    }

    fn hit<T: Clone>(
        &self,
        table: fn(&mut Held) -> &mut HashMap<Vec<u8>, Entry<T>>,
        key: &[u8],
        now: Instant,
    ) -> Option<T> {
        if !self.is_listening() {
            return None;
        }
        let mut held = self.held.lock().ok()?;
        let found = table(&mut held)
            .get(key)
            .filter(|e| e.until > now)
            .map(|e| e.value.clone());
        metrics::counter!("normledger_access_lookups_total",
            "answered" => if found.is_some() { "memory" } else { "database" })
        .increment(1);
        found
    }

    /// Stores an answer read at `generation`, unless a change was announced since (or the
    /// listener is not connected, when nothing would tell us of one).
    fn keep(&self, generation: u64, store: impl FnOnce(&mut Held)) {
        if !self.is_listening() {
            return;
        }
        if let Ok(mut held) = self.held.lock()
            && held.generation == generation
        {
            if held.tokens.len() + held.sessions.len() >= CAPACITY {
                held.tokens.clear();
                held.sessions.clear();
            }
            store(&mut held);
        }
    }

    /// Listens on [`ACCESS_CHANNEL`] until the task is aborted, reconnecting after a loss.
    pub fn listen(self: &std::sync::Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.listen_once().await {
                    tracing::debug!(error = %e, "access listener lost; answering from the database");
                }
                this.listening.store(false, Ordering::SeqCst);
                this.forget_all();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    }

    async fn listen_once(&self) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(ACCESS_CHANNEL).await?;
        // Whatever changed before LISTEN took effect is not in the cache: it was empty.
        self.forget_all();
        self.listening.store(true, Ordering::SeqCst);
        // `try_recv` answers None when the connection was lost (notifications may have been
        // missed): start over rather than let sqlx reconnect silently.
        while listener.try_recv().await?.is_some() {
            self.forget_all();
        }
        Ok(())
    }
}

/// When an answer read at `now` stops being kept: at [`REFRESH`], or earlier at `valid_until`.
fn until(now: Instant, valid_until: Option<DateTime<Utc>>) -> Instant {
    let left = valid_until
        .map(|t| (t - Utc::now()).to_std().unwrap_or(Duration::ZERO))
        .unwrap_or(REFRESH);
    now + left.min(REFRESH)
}
