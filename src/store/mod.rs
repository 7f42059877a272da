//! Postgres: the connection pool, the private-cluster launcher, migrations, the event-log
//! reader, the services the aggregates consult, and API tokens.

pub mod calendar;
pub mod checkpoints;
pub mod cluster;
pub mod event_log;
pub mod integrity;
pub mod services;
pub mod tokens;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// A failure reading the ledger: the database, or an event that no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("an event does not decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Every schema change, embedded in the binary (`migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// A pool that fails fast instead of queueing forever when the database is away or busy.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
