//! Wiring: the database (given, or a private cluster we start), migrations, the projector
//! task, the ledger and the HTTP router, and their orderly shutdown.

use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::commands::{Ledger, WriteSettings};
use crate::graphql::{Limits, build_introspection_schema, build_schema};
use crate::http::{AppState, HttpSettings, router};
use crate::process::{Clock, Scheduler};
use crate::projection::{ProjectionError, Projector};
use crate::store::cluster::{ClusterError, PrivateCluster};
use crate::store::replicas::ReadPools;
use crate::store::{self, connect};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(
        "cannot connect as the server's role normledger_app: {0} (set NORMLEDGER_APP_PASSWORD if the server needs one)"
    )]
    AppRole(sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("projection: {0}")]
    Projection(#[from] ProjectionError),
    #[error(transparent)]
    Replica(#[from] crate::store::replicas::ReplicaError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Where the database is: a URL, or a private cluster in a data directory.
#[derive(Debug, Clone)]
pub enum DatabaseSource {
    Url(String),
    Private { root: PathBuf, port: u16 },
}

/// An open database and, when we started it, the private cluster to stop at the end.
pub struct Database {
    pub pool: PgPool,
    cluster: Option<PrivateCluster>,
}

/// Database name inside the private cluster.
const PRIVATE_DATABASE: &str = "normledger";

impl Database {
    pub async fn open(source: &DatabaseSource, pool_size: u32) -> Result<Self, AppError> {
        match source {
            DatabaseSource::Url(url) => Ok(Database {
                pool: connect(url, pool_size).await?,
                cluster: None,
            }),
            DatabaseSource::Private { root, port } => {
                let cluster = PrivateCluster::new(root, *port).await?;
                let started = cluster.start().await?;
                if started {
                    tracing::info!(dir = %root.display(), port, "started private PostgreSQL");
                }
                cluster.ensure_database(PRIVATE_DATABASE).await?;
                Ok(Database {
                    pool: connect(&cluster.url(PRIVATE_DATABASE), pool_size).await?,
                    cluster: started.then_some(cluster),
                })
            }
        }
    }

    /// Closes the pool and stops the private cluster if this process started it.
    pub async fn close(self) -> Result<(), AppError> {
        close_pool(&self.pool).await;
        if let Some(cluster) = self.cluster {
            cluster.stop().await?;
            tracing::info!("stopped private PostgreSQL");
        }
        Ok(())
    }
}

/// Closes every connection of `pool` with a proper goodbye to the server. A connection that
/// was being handed back (sqlx returns it from a spawned task) when `close` began can end up
/// idle after it; closing again takes it, so no session is left for the server to cut off.
pub async fn close_pool(pool: &PgPool) {
    for _ in 0..10 {
        pool.close().await;
        if pool.size() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub write: WriteSettings,
    pub http: HttpSettings,
    pub limits: Limits,
    /// How often the projector looks for events written by other processes.
    pub projector_poll: Duration,
    /// The date the ledger's own actions use (expiry).
    pub clock: Clock,
    /// How often expiry and pending cleanup results are processed; `None` turns the
    /// scheduler off (one-shot commands).
    pub scheduler_every: Option<Duration>,
    /// How long a read waits for a replica to replay the writes it must see before it is
    /// sent to the primary instead.
    pub replica_wait: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            write: WriteSettings::default(),
            http: HttpSettings::default(),
            limits: Limits::default(),
            projector_poll: Duration::from_millis(250),
            clock: Clock::System,
            scheduler_every: Some(Duration::from_secs(60)),
            replica_wait: Duration::from_secs(5),
        }
    }
}

/// A running service: the ledger, its projector task and its router.
pub struct App {
    pub ledger: Arc<Ledger>,
    projector_task: tokio::task::JoinHandle<()>,
    /// Listens for access changes (revoked tokens, ended sessions) for the in-memory cache.
    access_task: tokio::task::JoinHandle<()>,
    /// Watches the replicas' health and replay positions, when there are replicas.
    replica_task: Option<tokio::task::JoinHandle<()>>,
    scheduler: Option<Scheduler>,
    settings: Settings,
}

impl App {
    /// Migrates and loads the calendar as the owner of `pool`, then works as the app role
    /// (which cannot change history): brings the read model up to date and starts the
    /// projector task.
    pub async fn start(owner: PgPool, settings: Settings) -> Result<Self, AppError> {
        Self::start_with_replicas(owner, settings, &[]).await
    }

    /// [`App::start`], with queries read on these streaming replicas of the primary
    /// (`serve --replica-url`): each is checked to be a standby of the primary's cluster.
    pub async fn start_with_replicas(
        owner: PgPool,
        settings: Settings,
        replica_urls: &[String],
    ) -> Result<Self, AppError> {
        // Installed before anything is counted.
        crate::telemetry::handle();
        store::migrate(&owner).await?;
        crate::projection::ensure_shape(&owner).await?;
        let calendar = store::calendar::load(&owner).await?;
        let pool = store::connect_as_app(&owner)
            .await
            .map_err(AppError::AppRole)?;
        let projector = Projector::new(pool.clone()).await?;
        // An event the read model cannot apply must not keep the ledger from starting: the
        // projector task retries, and projectionStatus, /readyz and /metrics say why it stalls.
        if let Err(e) = projector.catch_up().await {
            tracing::error!(error = %e, "the read model cannot catch up; serving while it is stalled");
        }
        let projector_task = projector.spawn(settings.projector_poll);
        let screening = store::screening::load(&owner).await?;
        let reads = if replica_urls.is_empty() {
            ReadPools::primary_only(pool.clone())
        } else {
            ReadPools::connect(
                pool.clone(),
                replica_urls,
                pool.options().get_max_connections(),
                settings.replica_wait,
                store::as_app,
            )
            .await?
        };
        let replica_task = reads.monitor();
        let ledger = Arc::new(Ledger::new(
            pool,
            reads,
            projector,
            settings.write,
            calendar,
            screening,
        ));
        let access_task = ledger.access().listen();
        Ok(App {
            ledger,
            projector_task,
            access_task,
            replica_task,
            scheduler: None,
            settings,
        })
    }

    pub fn router(&self) -> axum::Router {
        let state = AppState {
            schema: build_schema(self.settings.limits),
            introspection: self
                .settings
                .limits
                .introspection
                .then(|| build_introspection_schema(self.settings.limits)),
            ledger: self.ledger.clone(),
            settings: self.settings.http,
            sockets: Default::default(),
            public_limiter: Arc::new(crate::http::rate_limit::RateLimiter::new(
                self.settings.http.public,
            )),
        };
        router(state)
    }

    /// Starts the scheduler (expiry, pending cleanup results) if the settings ask for one.
    /// Separate from [`App::start`] so that a demo load runs before the ledger acts on its own.
    pub fn start_scheduler(&mut self) {
        if let (None, Some(every)) = (&self.scheduler, self.settings.scheduler_every) {
            self.scheduler = Some(Scheduler::spawn(
                self.ledger.clone(),
                self.settings.clock,
                every,
            ));
        }
    }

    /// Serves until `shutdown` resolves, lets in-flight requests finish, flushes the projector.
    /// The scheduler runs while serving.
    pub async fn serve(
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        self.start_scheduler();
        axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        self.stop().await
    }

    /// Lets the projector task finish its batch and stop, then catches up one last time.
    pub async fn stop(mut self) -> Result<(), AppError> {
        if let Some(scheduler) = self.scheduler.take() {
            scheduler.stop().await;
        }
        self.access_task.abort();
        if let Some(task) = &self.replica_task {
            task.abort();
        }
        if let Some(task) = &self.replica_task {
            task.abort();
        }
        let projector = self.ledger.projector().clone();
        projector.shutdown();
        let task = std::mem::replace(&mut self.projector_task, tokio::spawn(async {}));
        if tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .is_err()
        {
            tracing::warn!("the projector did not stop within 10 s");
        }
        if let Err(e) = projector.catch_up().await {
            // A stalled projection is on record (projectionStatus); the log holds everything.
            tracing::warn!(error = %e, "the read model could not catch up before stopping");
        }
        close_pool(self.ledger.pool()).await;
        Ok(())
    }
}

impl Drop for App {
    /// A dropped app leaves no projector behind holding the leadership; it stops after its
    /// current batch rather than being cut off inside a transaction.
    fn drop(&mut self) {
        self.ledger.projector().shutdown();
        self.access_task.abort();
        if let Some(scheduler) = &self.scheduler {
            scheduler.signal_stop();
        }
    }
}
