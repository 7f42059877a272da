//! The private PostgreSQL cluster: `initdb` on first use in a data directory of the project's,
//! a unix socket plus a loopback port, stopped by whoever started it.
//!
//! `initdb` and `postgres` refuse to run as root; as root we run them as the `postgres` system
//! user and give it the directories.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or via \
         `pg_config --bindir`. Install them, e.g. `apt-get install postgresql-15` on Debian, or \
         set DATABASE_URL to use an existing server."
    )]
    BinariesNotFound,
    #[error(
        "the data directory {0} is not reachable by the `postgres` system user (a parent \
         directory is private). Choose another one with --data-dir or NORMLEDGER_DATA_DIR, \
         e.g. under /var/tmp, or set DATABASE_URL."
    )]
    Unreachable(PathBuf),
    #[error("`{command}` failed: {output}")]
    CommandFailed { command: String, output: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A PostgreSQL cluster under `root` (`root/data`, `root/sock`, `root/server.log`).
#[derive(Debug, Clone)]
pub struct PrivateCluster {
    root: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

impl PrivateCluster {
    /// Prepares (but does not start) a cluster rooted at `root`, listening on `port`.
    pub async fn new(root: &Path, port: u16) -> Result<Self, ClusterError> {
        std::fs::create_dir_all(root.join("sock"))?;
        let root = root.canonicalize()?;
        let as_postgres_user = std::fs::metadata("/proc/self")?.uid() == 0;
        Ok(PrivateCluster {
            bin_dir: find_bin_dir().await?,
            root,
            port,
            as_postgres_user,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.root.join("sock")
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Connection URL for `database`, over the unix socket (faster than TCP).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost/{database}?host={}&port={}",
            self.socket_dir().display(),
            self.port
        )
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.stdin(Stdio::null()).kill_on_drop(false);
        cmd
    }

    async fn run(&self, mut cmd: Command, what: &str) -> Result<(), ClusterError> {
        let out = cmd.output().await?;
        if out.status.success() {
            return Ok(());
        }
        let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stdout));
        if let Ok(log) = std::fs::read_to_string(self.root.join("server.log")) {
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            output.push_str("\nserver.log (last lines):\n");
            output.push_str(&tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        Err(ClusterError::CommandFailed {
            command: what.to_owned(),
            output,
        })
    }

    /// Prepares a streaming replica of `primary` under `root`, listening on `port`: a copy of
    /// its data directory made by `pg_basebackup -R` (which also writes how to follow it), to
    /// be started with [`PrivateCluster::start`]. The primary must be running.
    pub async fn replica_of(
        primary: &PrivateCluster,
        root: &Path,
        port: u16,
    ) -> Result<Self, ClusterError> {
        let replica = PrivateCluster::new(root, port).await?;
        if replica.as_postgres_user {
            replica.hand_over_to_postgres_user().await?;
        }
        if !replica.data_dir().join("PG_VERSION").exists() {
            let mut cmd = replica.command("pg_basebackup");
            cmd.arg("-D")
                .arg(replica.data_dir())
                .args(["-R", "-X", "stream", "-c", "fast", "-U", "postgres", "-h"])
                .arg(primary.socket_dir())
                .arg("-p")
                .arg(primary.port.to_string());
            replica.run(cmd, "pg_basebackup").await?;
        }
        Ok(replica)
    }

    /// Whether a server is running on this data directory.
    pub async fn is_running(&self) -> bool {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D").arg(self.data_dir()).arg("status");
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        matches!(cmd.status().await, Ok(s) if s.success())
    }

    /// Runs `initdb` if needed and starts the server. Returns false when a server was already
    /// running on this data directory (it is then not ours to stop).
    pub async fn start(&self) -> Result<bool, ClusterError> {
        if self.as_postgres_user {
            self.hand_over_to_postgres_user().await?;
        }
        if !self.data_dir().join("PG_VERSION").exists() {
            let mut cmd = self.command("initdb");
            cmd.arg("-D").arg(self.data_dir()).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]);
            self.run(cmd, "initdb").await?;
        }
        if self.is_running().await {
            return Ok(false);
        }
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.root.join("server.log"))
            .args(["-w", "-t", "60", "start", "-o"])
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} \
                 -c max_connections=200 -c idle_in_transaction_session_timeout=60s{}",
                self.port,
                self.socket_dir().display(),
                self.statement_statistics()
            ));
        self.run(cmd, "pg_ctl start").await?;
        Ok(true)
    }

    /// Loads pg_stat_statements when the server package ships it (Debian's does), so an
    /// operator can see what each statement costs and the tests can count statements.
    fn statement_statistics(&self) -> &'static str {
        let lib = self
            .bin_dir
            .parent()
            .map(|d| d.join("lib/pg_stat_statements.so"));
        if lib.is_some_and(|l| l.exists()) {
            " -c shared_preload_libraries=pg_stat_statements"
        } else {
            ""
        }
    }

    /// Stops the server (fast shutdown: clients are disconnected, committed work is kept).
    pub async fn stop(&self) -> Result<(), ClusterError> {
        if !self.is_running().await {
            return Ok(());
        }
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data_dir())
            .args(["-m", "fast", "-w", "-t", "60", "stop"]);
        self.run(cmd, "pg_ctl stop").await
    }

    /// Creates `database` unless it exists.
    pub async fn ensure_database(&self, database: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(database)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            // Identifiers cannot be bound; quote_ident makes the name safe.
            let sql: String = sqlx::query_scalar("SELECT format('CREATE DATABASE %I', $1::text)")
                .bind(database)
                .fetch_one(&mut conn)
                .await?;
            sqlx::raw_sql(&sql).execute(&mut conn).await?;
        }
        conn.close().await
    }

    async fn hand_over_to_postgres_user(&self) -> Result<(), ClusterError> {
        let mut chown = Command::new("chown");
        chown.args(["-R", "postgres:postgres"]).arg(&self.root);
        self.run(chown, "chown").await?;
        let mut probe = Command::new("runuser");
        probe
            .args(["-u", "postgres", "--", "test", "-w"])
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !probe.status().await?.success() {
            return Err(ClusterError::Unreachable(self.root.clone()));
        }
        Ok(())
    }
}

/// `pg_config --bindir` (Debian keeps the server binaries off PATH), else `initdb` on PATH.
async fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output().await {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
            return Ok(dir);
        }
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
        .ok_or(ClusterError::BinariesNotFound)
}
