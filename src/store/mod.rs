//! Postgres: the connection pool, the private-cluster launcher, migrations, the event-log
//! reader, the services the aggregates consult, API tokens, and the in-memory answer to who a
//! secret stands for.

pub mod access;
pub mod accounts;
pub mod calendar;
pub mod checkpoints;
pub mod cluster;
pub mod event_log;
pub mod filing_package;
pub mod integrity;
pub mod opinion;
pub mod replicas;
pub mod restore;
pub mod screening;
pub mod services;
pub mod tokens;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

/// A failure reading the ledger: the database, or an event that no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("an event does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    /// An event the read model cannot apply: the projection stops before it.
    #[error(
        "event at position {position} ({event_type} of {aggregate_type} {aggregate_id}) cannot be applied: {source}"
    )]
    Poison {
        position: i64,
        aggregate_type: String,
        aggregate_id: String,
        event_type: String,
        source: Box<StoreError>,
    },
}

impl StoreError {
    /// The position of the event that cannot be applied, for a poison event.
    pub fn poison_position(&self) -> Option<i64> {
        match self {
            StoreError::Poison { position, .. } => Some(*position),
            _ => None,
        }
    }
}

/// Every schema change, embedded in the binary (`migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// A pool that fails fast instead of queueing forever when the database is away or busy.
/// How long a request waits for a database connection before answering `UNAVAILABLE`
/// (retryable): an outage or an exhausted pool fails fast instead of queueing.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(without_jit(options))
        .await
}

/// The ledger's statements are short lookups; PostgreSQL's JIT compiler (on by default where
/// the server has LLVM) spends tens of milliseconds compiling any statement whose *estimated*
/// cost is high, which a search over an unknown number of clauses always is: measured, it
/// tripled a search's time. No statement of the ledger runs long enough to repay it.
fn without_jit(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("jit", "off")])
}

/// The database role the server works as: it owns nothing and may not change history (see
/// `migrations/…_app_role.sql`). Migrations, replay and administrative commands run as the
/// owner.
pub const APP_ROLE: &str = "normledger_app";

/// A pool on the owner's database, logged in as [`APP_ROLE`] (password from
/// `NORMLEDGER_APP_PASSWORD` when the server requires one).
pub async fn connect_as_app(owner: &PgPool) -> Result<PgPool, sqlx::Error> {
    let options = as_app((*owner.connect_options()).clone()).application_name("normledger");
    PgPoolOptions::new()
        .max_connections(owner.options().get_max_connections())
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
}

/// `options` logged in as [`APP_ROLE`] (password from `NORMLEDGER_APP_PASSWORD` when set),
/// without JIT: how the server connects to the primary and to its replicas.
pub fn as_app(options: PgConnectOptions) -> PgConnectOptions {
    let mut options = options.username(APP_ROLE);
    if let Ok(password) = std::env::var("NORMLEDGER_APP_PASSWORD") {
        options = options.password(&password);
    }
    without_jit(options)
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
