//! Settings from flags and environment variables (clap).

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::app::DatabaseSource;
use crate::domain::limits;

#[derive(Debug, Parser)]
#[command(
    name = "normledger",
    version,
    about = "An event-sourced ledger of normative documents"
)]
pub struct Cli {
    /// Use this PostgreSQL server and start none. Without it a private cluster is started.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Data directory of the private PostgreSQL cluster.
    #[arg(
        long,
        env = "NORMLEDGER_DATA_DIR",
        default_value = ".normledger/pg",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Loopback port of the private PostgreSQL cluster.
    #[arg(
        long,
        env = "NORMLEDGER_PG_PORT",
        default_value_t = 54329,
        global = true
    )]
    pub pg_port: u16,
    /// Maximum database connections of this process.
    #[arg(
        long,
        env = "NORMLEDGER_POOL_SIZE",
        default_value_t = 16,
        global = true
    )]
    pub pool_size: u32,
    /// Ed25519 key that signs log checkpoints (created on first use, owner-readable only).
    #[arg(
        long,
        env = "NORMLEDGER_SIGNING_KEY",
        default_value = ".normledger/signing-key",
        global = true
    )]
    pub signing_key: PathBuf,
    /// Public key (64 hex digits, or a file holding them) that the latest signed checkpoint
    /// must be signed by: `verify` and `verifyIntegrity` refuse a log whose latest checkpoint
    /// is signed by another key. Print it with `normledger key` and keep it apart from the
    /// server.
    #[arg(long, env = "NORMLEDGER_PUBLIC_KEY", global = true)]
    pub public_key: Option<String>,
    /// Start signing checkpoints with a key other than the one that signed the latest
    /// checkpoint, recording this reason as a rotation (`checkpoint` and `serve`). Without
    /// it a different key is refused.
    #[arg(long, value_name = "REASON", global = true)]
    pub rotate_key: Option<String>,
    #[command(subcommand)]
    pub command: CliCommand,
}

impl Cli {
    /// The configured public key, read from the argument or the file it names.
    pub fn trusted_key(&self) -> Result<Option<[u8; 32]>, String> {
        let Some(arg) = &self.public_key else {
            return Ok(None);
        };
        let text = if std::path::Path::new(arg).is_file() {
            std::fs::read_to_string(arg).map_err(|e| format!("cannot read {arg}: {e}"))?
        } else {
            arg.clone()
        };
        crate::store::integrity::unhex(text.trim())
            .and_then(|k| k.try_into().ok())
            .map(Some)
            .ok_or_else(|| {
                format!("--public-key {arg}: neither 64 hex digits nor a file holding them")
            })
    }

    pub fn database(&self) -> DatabaseSource {
        match &self.database_url {
            Some(url) => DatabaseSource::Url(url.clone()),
            None => DatabaseSource::Private {
                root: self.data_dir.clone(),
                port: self.pg_port,
            },
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Serve GraphQL over HTTP.
    Serve {
        /// Address to serve HTTP on (GraphQL, GraphiQL, /healthz, /readyz, /metrics).
        #[arg(long, env = "NORMLEDGER_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load this demo data set first if the ledger is empty, and print demo tokens.
        #[arg(long)]
        demo: Option<PathBuf>,
        /// How long a mutation waits for the read model before answering anyway (ms).
        #[arg(long, env = "NORMLEDGER_READ_YOUR_WRITES_MS", default_value_t = 5000)]
        read_your_writes_ms: u64,
        /// Largest accepted request body in bytes.
        #[arg(long, env = "NORMLEDGER_MAX_BODY_BYTES", default_value_t = 1 << 20)]
        max_body_bytes: usize,
        /// Take a signed checkpoint of the log this often (seconds; 0 = never).
        #[arg(long, env = "NORMLEDGER_CHECKPOINT_EVERY_SECS", default_value_t = 3600)]
        checkpoint_every_secs: u64,
        /// Longest a GraphQL request may run (seconds) before it is answered with TIMEOUT.
        #[arg(long, env = "NORMLEDGER_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
        request_timeout_secs: u64,
        /// Deepest query nesting accepted.
        #[arg(long, env = "NORMLEDGER_MAX_DEPTH", default_value_t = 12)]
        max_depth: usize,
        /// Largest query complexity accepted (each field counts; lists count per item asked).
        #[arg(long, env = "NORMLEDGER_MAX_COMPLEXITY", default_value_t = 5000)]
        max_complexity: usize,
        /// Refuse introspection queries (production).
        #[arg(long, env = "NORMLEDGER_NO_INTROSPECTION")]
        no_introspection: bool,
        /// Open websockets (subscriptions) one client address may hold at once.
        #[arg(
            long,
            env = "NORMLEDGER_MAX_WEBSOCKETS_PER_CLIENT",
            default_value_t = 8
        )]
        max_websockets_per_client: usize,
        /// How often an open websocket's token is checked again (seconds): a revoked or
        /// expired token's socket is closed within this time.
        #[arg(long, env = "NORMLEDGER_TOKEN_RECHECK_SECS", default_value_t = 5)]
        token_recheck_secs: u64,
        /// Requests per minute one client address may make without a token (the public
        /// catalogue, its feed and pages, review suggestions).
        #[arg(long, env = "NORMLEDGER_PUBLIC_PER_MINUTE", default_value_t = 60)]
        public_per_minute: u32,
        /// Requests without a token one client address may make at once before the rate
        /// applies.
        #[arg(long, env = "NORMLEDGER_PUBLIC_BURST", default_value_t = 20)]
        public_burst: u32,
        /// Mark the console's cookies Secure (served over TLS). A proxy's
        /// `X-Forwarded-Proto: https` has the same effect per request.
        #[arg(long, env = "NORMLEDGER_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Largest page (`first`) a list query may ask for.
        #[arg(long, env = "NORMLEDGER_MAX_PAGE_SIZE", default_value_t = 100)]
        max_page_size: i64,
        /// Longest title (characters; at most the domain's maximum, the default).
        #[arg(long, env = "NORMLEDGER_MAX_TITLE_CHARS", default_value_t = limits::MAX_TITLE_CHARS)]
        max_title_chars: usize,
        /// Longest free text: opinions, reasons, descriptions (at most the domain's maxima).
        #[arg(long, env = "NORMLEDGER_MAX_TEXT_CHARS", default_value_t = limits::MAX_TEXT_CHARS)]
        max_text_chars: usize,
        /// Longest other string: names, units, codes (at most the domain's maxima).
        #[arg(long, env = "NORMLEDGER_MAX_SHORT_CHARS", default_value_t = limits::MAX_SHORT_CHARS)]
        max_short_chars: usize,
        /// Most entries in any list of a command.
        #[arg(long, env = "NORMLEDGER_MAX_LIST_LEN", default_value_t = limits::MAX_LIST_LEN)]
        max_list_len: usize,
        /// Longest document text (正文), in characters (at most the domain's maximum).
        #[arg(long, env = "NORMLEDGER_MAX_DOCUMENT_TEXT_CHARS", default_value_t = limits::MAX_DOCUMENT_TEXT_CHARS)]
        max_document_text_chars: usize,
        /// Largest uploaded file (a text's .docx) in a multipart request, in bytes.
        #[arg(long, env = "NORMLEDGER_MAX_UPLOAD_BYTES", default_value_t = 10 << 20)]
        max_upload_bytes: usize,
        /// Do not serve GraphiQL on GET /graphql (production).
        #[arg(long, env = "NORMLEDGER_NO_GRAPHIQL")]
        no_graphiql: bool,
        /// Run expiry and pending cleanup results this often (seconds; 0 = never).
        #[arg(long, env = "NORMLEDGER_SCHEDULER_EVERY_SECS", default_value_t = 60)]
        scheduler_every_secs: u64,
        /// Take this date as today for the ledger's own actions (drills; default: the date
        /// in Asia/Shanghai).
        #[arg(long, env = "NORMLEDGER_TODAY")]
        today: Option<chrono::NaiveDate>,
        /// A streaming replica (hot standby) of the primary to answer queries from;
        /// repeatable. Mutations, the projector and the scheduler stay on the primary; the
        /// server logs in as on the primary (normledger_app).
        #[arg(
            long,
            value_name = "URL",
            env = "NORMLEDGER_REPLICA_URLS",
            value_delimiter = ',',
            hide_env_values = true
        )]
        replica_url: Vec<String>,
        /// How long a read waits for a replica to replay the writes it must see before it is
        /// answered by the primary (ms).
        #[arg(long, env = "NORMLEDGER_REPLICA_WAIT_MS", default_value_t = 5000)]
        replica_wait_ms: u64,
        #[command(flatten)]
        rules: RuleSettings,
    },
    /// Import a catalogue of documents issued before the ledger (CSV or JSON); all rows or
    /// none.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Replace the screening rules (warn-only patterns with their legal sources).
    Screening {
        #[command(subcommand)]
        command: ScreeningCommand,
    },
    /// Filing packages (备案材料): make one for a filing authority, verify one, or import one
    /// received as a filing authority.
    Filing {
        #[command(subcommand)]
        command: FilingCommand,
    },
    /// Show a document's text versions, one version by clause, or the diff of two.
    Text {
        #[command(subcommand)]
        command: TextCommand,
    },
    /// Write the legality review opinion (合法性审核意见书) of a document's latest concluded
    /// review as a .docx, from the record.
    Opinion {
        /// The document's id.
        document: uuid::Uuid,
        /// Where to write the .docx.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a spreadsheet (.xlsx): a yearly catalogue of normative documents, or the list
    /// of certification items (the same files the console offers for download).
    Xlsx {
        #[command(subcommand)]
        command: XlsxCommand,
    },
    /// Print the annual figures for the 法治政府建设情况报告.
    Report {
        /// The calendar year the figures cover.
        #[arg(long)]
        year: i32,
        /// Only documents of this issuing body (a township, say).
        #[arg(long)]
        body: Option<String>,
        /// Only documents of this kind of body.
        #[arg(long, value_parser = ["government", "department", "township"])]
        body_group: Option<String>,
        /// How to print the figures.
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        #[command(flatten)]
        rules: RuleSettings,
    },
    /// Recompute every hash of the log; exit non-zero if anything was altered.
    Verify {
        /// Also check that the log still extends this earlier digest (or a file holding it).
        #[arg(long)]
        digest: Option<String>,
        /// Check only links at or after this position.
        #[arg(long)]
        from_position: Option<i64>,
        /// Check only links at or before this position.
        #[arg(long)]
        to_position: Option<i64>,
        /// Do not check the signed checkpoints (by default every one is checked).
        #[arg(long)]
        no_checkpoints: bool,
    },
    /// Print the digest of the log as it stands (keep it to verify against later).
    Digest,
    /// Take a signed checkpoint of the log and print it.
    Checkpoint,
    /// Print the public key that verifies checkpoints.
    Key,
    /// Write the whole log with its hashes.
    Export {
        /// The export's format.
        #[arg(long, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Restore a log exported with `export` into an empty database (hashes checked first,
    /// all or nothing), then rebuild the read model.
    ImportLog {
        /// The export to restore (one JSON object per line, as `export` writes it).
        file: PathBuf,
    },
    /// Apply the migrations and exit.
    Migrate,
    /// Rebuild the read model from position 0.
    Replay,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Manage the working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// Per-jurisdiction settings of the deadlines and warn-only rules.
#[derive(Debug, Clone, clap::Args)]
pub struct RuleSettings {
    /// Days after publication within which a document is filed for record (15 or 30).
    #[arg(long, env = "NORMLEDGER_FILING_DAYS", default_value_t = 30)]
    pub filing_days: u64,
    /// Minimum public consultation in working days.
    #[arg(
        long,
        env = "NORMLEDGER_CONSULTATION_WORKING_DAYS",
        default_value_t = 7
    )]
    pub consultation_working_days: u32,
    /// Minimum public consultation in days for business-related documents.
    #[arg(
        long,
        env = "NORMLEDGER_MARKET_CONSULTATION_DAYS",
        default_value_t = 30
    )]
    pub market_consultation_days: u64,
    /// Minimum days from publication to commencement, unless urgent.
    #[arg(long, env = "NORMLEDGER_COMMENCEMENT_DAYS", default_value_t = 30)]
    pub commencement_days: u64,
    /// Working days a legality review takes by default (5–15).
    #[arg(long, env = "NORMLEDGER_REVIEW_WORKING_DAYS", default_value_t = 15)]
    pub review_working_days: u32,
    /// Most characters a correction (勘误) may change in one clause of the text; beyond, or
    /// when it adds, removes or moves a clause, it is an amendment.
    #[arg(
        long,
        env = "NORMLEDGER_CORRECTION_MAX_CHARS",
        default_value_t = crate::domain::document::DEFAULT_CORRECTION_MAX_CHARS
    )]
    pub correction_max_chars: usize,
    /// Days a step's legal date may lie before the day it is recorded before the document
    /// shows a RECORDED_LATE warning (backdating).
    #[arg(long, env = "NORMLEDGER_BACKDATING_DAYS", default_value_t = 30)]
    pub backdating_days: u64,
}

impl RuleSettings {
    pub fn warnings(&self) -> crate::domain::document::WarningSettings {
        crate::domain::document::WarningSettings {
            filing_days: self.filing_days,
            consultation_working_days: self.consultation_working_days,
            market_consultation_days: self.market_consultation_days,
            commencement_days: self.commencement_days,
            backdating_days: self.backdating_days,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Documents from an existing catalogue: CSV with a header row (number, title, body_code,
    /// issued_on, valid_until, status; optional class, published_on, effective_on, ended_on,
    /// filed_on, is_trial, provenance) or a JSON array of objects with those fields.
    Documents {
        /// The catalogue file (.csv or .json).
        file: PathBuf,
        /// Where the catalogue comes from (recorded on every document).
        #[arg(long)]
        provenance: String,
        /// Who runs the import (recorded as the actor).
        #[arg(long, env = "USER", default_value = "operator")]
        operator: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScreeningCommand {
    /// Replace the stored rules with a file shaped like `data/screening/rules.json`; servers
    /// use them from their next start.
    Import {
        /// The rules file (JSON).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum FilingCommand {
    /// Writes the filing package of an issued document: 备案报告, the text issued, the
    /// drafting explanation and the review opinion with their hashes, the document's events,
    /// and a signed checkpoint that covers them (one is taken if none does yet).
    Package {
        /// The document's id.
        document: uuid::Uuid,
        /// The filing authority it is for (default: the first it is filed with).
        #[arg(long)]
        authority: Option<String>,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Checks a filing package with no database: every item against the events, the events'
    /// hashes, the proof up to the checkpoint, and its signature (by `--public-key` when
    /// given).
    Verify {
        /// The package (a JSON file written by `filing package`).
        file: PathBuf,
    },
    /// Imports a package received as a filing authority, after checking it (by
    /// `--public-key`, the sending ledger's key, when given).
    Import {
        /// The package received (a JSON file written by `filing package`).
        file: PathBuf,
        /// The authority this ledger acts as; the package must be addressed to it.
        #[arg(long)]
        as_authority: String,
        /// Who runs the import (recorded with the event).
        #[arg(long)]
        operator: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TextCommand {
    /// The versions of a document's text, then one version clause by clause (the latest by
    /// default).
    Show {
        /// The document's id.
        document: uuid::Uuid,
        /// The version to show (1, 2, …); the latest by default.
        #[arg(long)]
        version: Option<u32>,
    },
    /// The clause-level diff of two versions; by default the text reviewed against the text
    /// issued (else the first against the latest).
    Diff {
        /// The document's id.
        document: uuid::Uuid,
        /// The older version.
        #[arg(long)]
        from: Option<u32>,
        /// The newer version.
        #[arg(long)]
        to: Option<u32>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    /// The figures paragraph of a government report, with a provenance table.
    Md,
    Csv,
    /// Every figure with its provenance (aggregate ids, event types).
    Json,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Replace the calendar with a file: the notices' JSON (as data/calendar/cn-holidays.json)
    /// or CSV lines `date,kind` (kind OFF or WORKDAY). Servers load it when they start.
    Import {
        /// The calendar file (the notices' JSON, or CSV `date,kind`).
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret once.
    Create {
        /// LEGAL_OFFICE, DRAFTER, ADVISOR, GOVERNMENT_OFFICE, AUDITOR or ADMIN.
        #[arg(long)]
        role: String,
        /// For a DRAFTER, an issuing body it drafts for; for a LEGAL_OFFICE, the review body
        /// (审核机构) it reviews for, as designated when bodies are listed (repeatable).
        #[arg(long = "body")]
        bodies: Vec<String>,
        /// Who holds the token (recorded as the actor's name on every event it causes).
        #[arg(long)]
        name: String,
        /// Expire after this many days.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token's id (from `token list`).
        id: uuid::Uuid,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The operator's limits default to the domain's maxima: one source for all three.
    #[test]
    fn the_input_limit_defaults_are_the_domains_maxima() {
        let cli = Cli::try_parse_from(["normledger", "serve"]).unwrap();
        let CliCommand::Serve {
            max_title_chars,
            max_text_chars,
            max_short_chars,
            max_list_len,
            max_document_text_chars,
            ..
        } = cli.command
        else {
            unreachable!()
        };
        let defaults = crate::input_limits::InputLimits::default();
        assert_eq!(
            (
                max_title_chars,
                max_text_chars,
                max_short_chars,
                max_list_len,
                max_document_text_chars
            ),
            (
                limits::MAX_TITLE_CHARS,
                limits::MAX_TEXT_CHARS,
                limits::MAX_SHORT_CHARS,
                limits::MAX_LIST_LEN,
                limits::MAX_DOCUMENT_TEXT_CHARS
            )
        );
        assert_eq!(
            (
                defaults.title_chars,
                defaults.text_chars,
                defaults.short_chars,
                defaults.list_len,
                defaults.document_text_chars
            ),
            (
                max_title_chars,
                max_text_chars,
                max_short_chars,
                max_list_len,
                max_document_text_chars
            )
        );
    }

    /// Every flag and argument of every command says what it is in `--help`.
    #[test]
    fn every_argument_has_a_help_line() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = vec![];
        walk(&Cli::command(), "normledger", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    }
}

#[derive(Subcommand, Debug)]
pub enum XlsxCommand {
    /// The yearly catalogue: documents in force (现行有效) at the end of the year, or ended
    /// (失效) during it.
    Catalogue {
        /// The catalogue's year.
        #[arg(long)]
        year: i32,
        /// IN_FORCE or ENDED.
        #[arg(long, default_value = "IN_FORCE")]
        kind: String,
        /// Only this issuing body's documents (its code).
        #[arg(long)]
        body: Option<String>,
        /// Where to write the .xlsx.
        #[arg(long)]
        out: PathBuf,
    },
    /// The certification items (证明事项清单), every status.
    Items {
        /// Where to write the .xlsx.
        #[arg(long)]
        out: PathBuf,
    },
}
