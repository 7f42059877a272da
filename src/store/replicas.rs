//! Reads on PostgreSQL streaming replicas (`serve --replica-url`, repeatable).
//!
//! A government outgrows one database by its readers, not its writers, and the engine's own
//! physical replication already keeps a hot standby byte-for-byte equal to the primary, read
//! model included. So queries (and subscriptions' catch-up pages) may be answered by a
//! replica, while mutations, the projector, the scheduler and who-is-this lookups stay on the
//! primary.
//!
//! **Read-your-writes.** A replica replays the primary's WAL a little later. This process
//! remembers the highest WAL position its own commands reached (taken on the primary after a
//! command's read model row is committed), and a read goes to a replica only once the replica
//! has replayed that far (`pg_last_wal_replay_lsn()`), waiting up to a bound. A caller that
//! wrote through another server names its write's position (`extensions.writes[].lsn`) in the
//! `Normledger-Read-After` header. Past the bound, or with no replica answering, the read goes
//! to the primary: never stale, only slower.
//!
//! **Health.** A monitor asks each replica its replay position every [`MONITOR_EVERY`]; one
//! that does not answer is left out (with a warning) until it answers again.
//!
//! **Long reads.** A full-text search may hold its connection for a second (a phrase every
//! text has). At most half of a pool's connections run one at a time ([`ReadPools::long_read`]);
//! the others wait their turn within the request's timeout instead of taking every connection
//! from the short reads and the commands behind them.

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often each replica's replay position and health are read.
pub const MONITOR_EVERY: Duration = Duration::from_millis(200);

/// Why a replica cannot serve this ledger.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error("replica {0}: {1}")]
    Database(String, sqlx::Error),
    #[error(
        "replica {0} is not a standby (pg_is_in_recovery() is false): a replica URL must name a streaming replica of the primary"
    )]
    NotAStandby(String),
    #[error(
        "replica {0} is a copy of another cluster (its system identifier differs from the primary's)"
    )]
    OtherCluster(String),
}

/// One replica: its pool, whether it answers, how far it has replayed.
struct Replica {
    /// host:port/database, for logs (never the password).
    name: String,
    pool: PgPool,
    healthy: AtomicBool,
    replayed: AtomicU64,
    /// Requests sent to it.
    served: AtomicU64,
}

/// Which database answers a read.
#[derive(Clone)]
pub struct ReadPools {
    inner: Arc<Inner>,
}

struct Inner {
    primary: PgPool,
    replicas: Vec<Replica>,
    next: AtomicUsize,
    /// The highest primary WAL position (bytes) this process's commands reached.
    written: AtomicU64,
    /// How long a read waits for a replica to replay a write before going to the primary.
    wait: Duration,
    /// Turns for long reads: half the primary pool's connections.
    long_reads: tokio::sync::Semaphore,
}

/// Where a read was sent.
#[derive(Clone)]
pub struct Chosen {
    pub pool: PgPool,
    /// The replica's index, or None for the primary.
    pub replica: Option<usize>,
}

/// `pg_lsn` as a byte count, which PostgreSQL computes as `lsn - '0/0'`.
const REPLAYED: &str = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint";
const INSERTED: &str = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";

impl ReadPools {
    /// Every read on the primary.
    pub fn primary_only(primary: PgPool) -> Self {
        Self::build(primary, Vec::new(), Duration::ZERO)
    }

    /// Connects to each replica (as the server's role, like the primary: `options` carries the
    /// role and password) and checks that it is a standby of the primary's cluster.
    pub async fn connect(
        primary: PgPool,
        urls: &[String],
        pool_size: u32,
        wait: Duration,
        login: impl Fn(PgConnectOptions) -> PgConnectOptions,
    ) -> Result<Self, ReplicaError> {
        let primary_id: i64 =
            sqlx::query_scalar("SELECT system_identifier FROM pg_control_system()")
                .fetch_one(&primary)
                .await
                .map_err(|e| ReplicaError::Database("(the primary)".into(), e))?;
        let mut replicas = Vec::new();
        for url in urls {
            let options: PgConnectOptions = url
                .parse()
                .map_err(|e| ReplicaError::Database("(its URL)".into(), e))?;
            let name = format!(
                "{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            );
            let pool = PgPoolOptions::new()
                .max_connections(pool_size)
                .acquire_timeout(super::ACQUIRE_TIMEOUT)
                .connect_with(login(options).application_name("normledger-replica"))
                .await
                .map_err(|e| ReplicaError::Database(name.clone(), e))?;
            let (standby, id): (bool, i64) = sqlx::query_as(
                "SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system())",
            )
            .fetch_one(&pool)
            .await
            .map_err(|e| ReplicaError::Database(name.clone(), e))?;
            if !standby {
                return Err(ReplicaError::NotAStandby(name));
            }
            if id != primary_id {
                return Err(ReplicaError::OtherCluster(name));
            }
            replicas.push(Replica {
                name,
                pool,
                healthy: AtomicBool::new(true),
                replayed: AtomicU64::new(0),
                served: AtomicU64::new(0),
            });
        }
        Ok(Self::build(primary, replicas, wait))
    }

    fn build(primary: PgPool, replicas: Vec<Replica>, wait: Duration) -> Self {
        let turns = (primary.options().get_max_connections() / 2).max(1) as usize;
        ReadPools {
            inner: Arc::new(Inner {
                long_reads: tokio::sync::Semaphore::new(turns),
                primary,
                replicas,
                next: AtomicUsize::new(0),
                written: AtomicU64::new(0),
                wait,
            }),
        }
    }

    /// Whether any replica is configured.
    pub fn has_replicas(&self) -> bool {
        !self.inner.replicas.is_empty()
    }

    pub fn primary(&self) -> &PgPool {
        &self.inner.primary
    }

    /// A turn to run a long read (a search), waited for: held until dropped.
    pub async fn long_read(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.inner
            .long_reads
            .acquire()
            .await
            // The semaphore lives as long as the pools and is never closed.
            .expect("the long-read semaphore is never closed")
    }

    /// Records that a command of this process committed (and its read model with it): later
    /// reads wait for a replica to replay this far. Returns the position, for the caller.
    pub async fn wrote(&self) -> Result<Option<u64>, sqlx::Error> {
        if !self.has_replicas() {
            return Ok(None);
        }
        let at: i64 = sqlx::query_scalar(INSERTED)
            .fetch_one(&self.inner.primary)
            .await?;
        let at = at as u64;
        self.inner.written.fetch_max(at, Ordering::SeqCst);
        Ok(Some(at))
    }

    /// A database for a read that must see this process's writes and everything up to
    /// `after` (a position a client names): a replica that has replayed that far, waiting up
    /// to the bound, else the primary.
    pub async fn choose(&self, after: Option<u64>) -> Chosen {
        let inner = &self.inner;
        let primary = Chosen {
            pool: inner.primary.clone(),
            replica: None,
        };
        let n = inner.replicas.len();
        if n == 0 {
            return primary;
        }
        let target = inner.written.load(Ordering::SeqCst).max(after.unwrap_or(0));
        let start = inner.next.fetch_add(1, Ordering::Relaxed);
        let Some(index) = (0..n)
            .map(|i| (start + i) % n)
            .find(|&i| inner.replicas[i].healthy.load(Ordering::SeqCst))
        else {
            metrics::counter!("normledger_reads_total", "on" => "primary", "why" => "no replica")
                .increment(1);
            return primary;
        };
        let replica = &inner.replicas[index];
        let deadline = Instant::now() + inner.wait;
        while replica.replayed.load(Ordering::SeqCst) < target {
            match sqlx::query_scalar::<_, Option<i64>>(REPLAYED)
                .fetch_one(&replica.pool)
                .await
            {
                Ok(Some(at)) => {
                    replica.replayed.fetch_max(at as u64, Ordering::SeqCst);
                }
                Ok(None) => break,
                Err(e) => {
                    self.failed(index, &e.to_string());
                    return primary;
                }
            }
            if replica.replayed.load(Ordering::SeqCst) >= target {
                break;
            }
            if Instant::now() >= deadline {
                metrics::counter!("normledger_reads_total", "on" => "primary", "why" => "replica behind")
                    .increment(1);
                return primary;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        metrics::counter!("normledger_reads_total", "on" => "replica", "why" => "").increment(1);
        replica.served.fetch_add(1, Ordering::Relaxed);
        Chosen {
            pool: replica.pool.clone(),
            replica: Some(index),
        }
    }

    /// A read on replica `index` failed for want of the database: leave it out until the
    /// monitor hears from it again.
    pub fn failed(&self, index: usize, error: &str) {
        if let Some(r) = self.inner.replicas.get(index)
            && r.healthy.swap(false, Ordering::SeqCst)
        {
            tracing::warn!(replica = %r.name, error, "replica unavailable; its reads go to the primary");
        }
    }

    /// Watches each replica's replay position and health until the task is aborted.
    pub fn monitor(&self) -> Option<tokio::task::JoinHandle<()>> {
        if !self.has_replicas() {
            return None;
        }
        let this = self.clone();
        Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(MONITOR_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                for (index, r) in this.inner.replicas.iter().enumerate() {
                    let asked = tokio::time::timeout(
                        Duration::from_secs(1),
                        sqlx::query_scalar::<_, Option<i64>>(REPLAYED).fetch_one(&r.pool),
                    )
                    .await;
                    match asked {
                        Ok(Ok(Some(at))) => {
                            r.replayed.fetch_max(at as u64, Ordering::SeqCst);
                            if !r.healthy.swap(true, Ordering::SeqCst) {
                                tracing::info!(replica = %r.name, "replica answers again; reads return to it");
                            }
                        }
                        Ok(Ok(None)) => this.failed(index, "no longer a standby"),
                        Ok(Err(e)) => this.failed(index, &e.to_string()),
                        Err(_) => this.failed(index, "no answer within 1 s"),
                    }
                }
            }
        }))
    }

    /// Each replica as this process sees it.
    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.inner
            .replicas
            .iter()
            .map(|r| ReplicaStatus {
                name: r.name.clone(),
                answering: r.healthy.load(Ordering::SeqCst),
                replayed: r.replayed.load(Ordering::SeqCst),
                served: r.served.load(Ordering::Relaxed),
            })
            .collect()
    }
}

/// A replica as this process sees it.
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    /// host:port/database.
    pub name: String,
    /// Whether it answered the last time it was asked.
    pub answering: bool,
    /// How far it had replayed the primary's WAL (bytes) when last asked.
    pub replayed: u64,
    /// Reads sent to it by this process.
    pub served: u64,
}
