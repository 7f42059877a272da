//! The `normledger` binary: parse the command line, open the database, call the library.

use anyhow::Context;
use clap::Parser;
use std::path::Path;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

use normledger::app::{App, Database, Settings};
use normledger::config::{
    CalendarCommand, Cli, CliCommand, ImportCommand, ReportFormat, ScreeningCommand, TextCommand,
    TokenCommand,
};
use normledger::domain::Role;
use normledger::domain::calendar::WorkingCalendar;
use normledger::store::integrity::{self, LogDigest, hex};
use normledger::store::{checkpoints, tokens};

/// mimalloc instead of glibc's allocator: folding events into JSON states allocates many small
/// objects, and glibc's malloc/free/consolidate took a third of a replay's CPU (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        CliCommand::Schema => {
            print!("{}", normledger::graphql::sdl());
            return Ok(());
        }
        CliCommand::Key => {
            let key = checkpoints::load_or_create_key(&cli.signing_key)?;
            println!("{}", hex(key.verifying_key().as_bytes()));
            return Ok(());
        }
        _ => {}
    }
    let db = Database::open(&cli.database(), cli.pool_size)
        .await
        .context("cannot open the database")?;
    let result = run(&cli, &db).await;
    db.close().await?;
    result
}

async fn run(cli: &Cli, db: &Database) -> anyhow::Result<()> {
    let pool = db.pool.clone();
    match &cli.command {
        CliCommand::Schema | CliCommand::Key => unreachable!("handled without a database"),
        CliCommand::Verify {
            digest,
            from_position,
            to_position,
            no_checkpoints,
        } => {
            normledger::store::migrate(&pool).await?;
            let earlier = match digest {
                Some(d) => Some(read_digest(d)?),
                None => None,
            };
            let trust = match (
                no_checkpoints,
                cli.trusted_key().map_err(anyhow::Error::msg)?,
            ) {
                (true, _) => integrity::Trust::NoCheckpoints,
                (false, Some(key)) => integrity::Trust::Key(key),
                (false, None) => integrity::Trust::StoredKeys,
            };
            let started = std::time::Instant::now();
            let bar = Bar::new("verifying", &pool).await?;
            let v = integrity::verify_reporting(
                &pool,
                *from_position,
                *to_position,
                earlier.as_ref(),
                trust,
                &mut bar.reporter(),
            )
            .await?;
            bar.finish();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "checked {} events in {} streams in {secs:.2}s ({:.0} events/s)",
                v.events_checked,
                v.streams_checked,
                v.events_checked as f64 / secs.max(1e-9)
            );
            if let Some(b) = &v.first_broken_link {
                println!(
                    "BROKEN: {} {} sequence {} (position {}): {}",
                    b.aggregate_type,
                    b.aggregate_id,
                    b.sequence,
                    b.position.map_or("-".into(), |p| p.to_string()),
                    b.problem
                );
            }
            match (v.extends_digest, &v.digest_problem) {
                (Some(true), _) => println!("the log extends the given digest"),
                (Some(false), problem) => println!(
                    "BROKEN: the log does not extend the given digest: {}",
                    problem.as_deref().unwrap_or("")
                ),
                (None, _) => {}
            }
            let c = &v.checkpoints;
            match (&c.problem, c.latest, trust) {
                (Some(problem), _, _) => println!("BROKEN: {problem}"),
                (None, _, integrity::Trust::NoCheckpoints) => {}
                (None, None, _) => println!("no signed checkpoint to check against"),
                (None, Some((at, events)), trust) => println!(
                    "{} signed checkpoints agree with the log (the latest, of {}, covers {events} events); {}",
                    c.checked,
                    integrity::canonical_time(at),
                    if matches!(trust, integrity::Trust::Key(_)) {
                        "signed by the configured key"
                    } else {
                        "signatures checked against the keys stored with them only: give --public-key to check who signed"
                    }
                ),
            }
            if !v.is_intact() {
                anyhow::bail!("the log failed verification");
            }
            println!("intact; digest now {}", v.digest);
        }
        CliCommand::Calendar {
            command: CalendarCommand::Import { file },
        } => {
            normledger::store::migrate(&pool).await?;
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let is_json = text.trim_start().starts_with('{');
            let cal = if is_json {
                WorkingCalendar::from_notices_json(&text)
            } else {
                WorkingCalendar::from_csv(&text)
            }?;
            normledger::store::calendar::import(&pool, &cal, &file.display().to_string()).await?;
            println!(
                "calendar imported: years {:?}, {} days off, {} make-up working days (restart servers to use it)",
                cal.years,
                cal.off.len(),
                cal.workdays.len()
            );
        }
        CliCommand::Opinion { document, out } => {
            let bytes = normledger::store::opinion::review_opinion_docx(&pool, *document).await?;
            std::fs::write(out, bytes)?;
            eprintln!(
                "wrote the review opinion of {document} to {}",
                out.display()
            );
        }
        CliCommand::Xlsx { command } => {
            use normledger::config::XlsxCommand;
            use normledger::http::console::{api::Api, exports};
            let app = App::start(
                pool.clone(),
                Settings {
                    scheduler_every: None,
                    ..Settings::default()
                },
            )
            .await?;
            let settings = Settings::default();
            let schema = normledger::graphql::build_schema(settings.limits);
            let api = Api {
                schema: &schema,
                ledger: &app.ledger,
                timeout: settings.http.request_timeout,
            };
            let (bytes, out) = match command {
                XlsxCommand::Catalogue {
                    year,
                    kind,
                    body,
                    out,
                } => (
                    exports::catalogue_xlsx(&api, *year, kind, body.as_deref()).await,
                    out,
                ),
                XlsxCommand::Items { out } => {
                    // The operator reads as an auditor does: everything, writing nothing.
                    let actor = normledger::domain::Actor {
                        id: "cli".to_owned(),
                        name: "normledger xlsx".to_owned(),
                        role: Role::Auditor,
                        bodies: vec![],
                    };
                    (exports::items_xlsx(&api, &actor).await, out)
                }
            };
            let bytes = bytes.map_err(|f| anyhow::anyhow!("{}: {}", f.code, f.message))?;
            std::fs::write(out, bytes)?;
            eprintln!("wrote {}", out.display());
        }
        CliCommand::Digest => {
            normledger::store::migrate(&pool).await?;
            println!("{}", integrity::digest(&pool).await?);
        }
        CliCommand::Checkpoint => {
            normledger::store::migrate(&pool).await?;
            let key = checkpoints::signing_key(&pool, &cli.signing_key, cli.rotate_key.as_deref())
                .await?;
            let c = checkpoints::take(&pool, &key).await?;
            println!("checkpoint {} at {}", c.id, c.taken_at);
            println!("digest     {}", c.digest);
            println!("position   {}", c.digest.last_position);
            println!("public key {}", hex(&c.public_key));
            println!("signature  {}", hex(&c.signature));
        }
        CliCommand::Export { format: _, output } => {
            let bar = Bar::new("exporting", &pool).await?;
            let n = match output {
                Some(path) => {
                    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
                    let n = integrity::export_jsonl(&pool, &mut f, &mut bar.reporter()).await?;
                    std::io::Write::flush(&mut f)?;
                    n
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout());
                    let n = integrity::export_jsonl(&pool, &mut out, &mut bar.reporter()).await?;
                    std::io::Write::flush(&mut out)?;
                    n
                }
            };
            bar.finish();
            eprintln!("exported {n} events");
        }
        CliCommand::ImportLog { file } => {
            normledger::store::migrate(&pool).await?;
            let bar = Bar::hidden_total("restoring");
            let n =
                normledger::store::restore::import_log(&pool, file, &mut bar.reporter()).await?;
            bar.finish();
            let bar = Bar::hidden_total("rebuilding the read model");
            normledger::projection::replay(&pool, bar.replay_reporter()).await?;
            bar.finish();
            println!("restored {n} events; read model rebuilt");
            println!("digest {}", integrity::digest(&pool).await?);
        }
        CliCommand::Migrate => {
            normledger::store::migrate(&pool).await?;
            println!("migrations applied");
        }
        CliCommand::Replay => {
            normledger::store::migrate(&pool).await?;
            let started = std::time::Instant::now();
            let bar = Bar::hidden_total("replaying");
            let n = normledger::projection::replay(&pool, bar.replay_reporter()).await?;
            bar.finish();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "replayed {n} events in {secs:.2}s ({:.0} events/s)",
                n as f64 / secs.max(1e-9)
            );
        }
        CliCommand::Token { command } => {
            normledger::store::migrate(&pool).await?;
            token(&pool, command).await?;
        }
        CliCommand::Import {
            command:
                ImportCommand::Documents {
                    file,
                    provenance,
                    operator,
                },
        } => {
            let (text, app) = read_for_import(&pool, file).await?;
            let bar = Bar::hidden_total("importing");
            let result = normledger::import::import_documents(
                &app.ledger,
                &text,
                provenance,
                operator,
                &mut bar.reporter(),
            )
            .await;
            bar.finish();
            app.stop().await?;
            let s = result?;
            println!(
                "imported {} documents ({} already present from an earlier run)",
                s.imported, s.already_present
            );
        }
        CliCommand::Text { command } => text(&pool, command).await?,
        CliCommand::Filing { command } => filing(&pool, cli, command).await?,
        CliCommand::Screening {
            command: ScreeningCommand::Import { file },
        } => {
            normledger::store::migrate(&pool).await?;
            let json = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let rules =
                normledger::store::screening::import(&pool, &json, &file.display().to_string())
                    .await?;
            println!(
                "imported {} screening rules; servers use them from their next start",
                rules.rules.len()
            );
        }
        CliCommand::Report {
            year,
            body,
            body_group,
            format,
            rules,
        } => {
            normledger::store::migrate(&pool).await?;
            normledger::projection::ensure_shape(&pool).await?;
            let projector = normledger::projection::Projector::new(pool.clone()).await?;
            projector.catch_up().await?;
            let scope = normledger::projection::queries::ReportScope {
                year: *year,
                issuing_body: body.as_deref(),
                body_group: body_group.as_deref(),
            };
            let report =
                normledger::projection::queries::annual_report(&pool, scope, &rules.warnings())
                    .await?;
            match format {
                ReportFormat::Md => print!("{}", report.to_markdown()),
                ReportFormat::Csv => print!("{}", report.to_csv()),
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
        }
        CliCommand::Serve {
            listen,
            demo,
            read_your_writes_ms,
            max_body_bytes,
            checkpoint_every_secs,
            scheduler_every_secs,
            today,
            replica_url,
            replica_wait_ms,
            rules,
            request_timeout_secs,
            max_depth,
            max_complexity,
            no_introspection,
            no_graphiql,
            max_websockets_per_client,
            token_recheck_secs,
            public_per_minute,
            public_burst,
            secure_cookies,
            max_page_size,
            max_title_chars,
            max_text_chars,
            max_short_chars,
            max_list_len,
            max_document_text_chars,
            max_upload_bytes,
        } => {
            let mut settings = Settings::default();
            settings.write.read_your_writes_timeout = Duration::from_millis(*read_your_writes_ms);
            settings.write.warnings = rules.warnings();
            settings.write.review_working_days = rules.review_working_days;
            settings.write.correction_max_chars = rules.correction_max_chars;
            settings.http.max_body_bytes = *max_body_bytes;
            settings.http.request_timeout = Duration::from_secs(*request_timeout_secs);
            settings.http.graphiql = !no_graphiql;
            settings.http.max_websockets_per_client = *max_websockets_per_client;
            settings.http.token_recheck = Duration::from_secs((*token_recheck_secs).max(1));
            settings.http.public = normledger::http::rate_limit::PublicLimit {
                per_minute: *public_per_minute,
                burst: *public_burst,
            };
            settings.http.secure_cookies = *secure_cookies;
            settings.limits.max_depth = *max_depth;
            settings.limits.max_complexity = *max_complexity;
            settings.limits.introspection = !no_introspection;
            settings.limits.max_page = (*max_page_size).max(1);
            settings.write.input_limits = normledger::input_limits::InputLimits {
                title_chars: *max_title_chars,
                text_chars: *max_text_chars,
                short_chars: *max_short_chars,
                list_len: *max_list_len,
                document_text_chars: *max_document_text_chars,
            };
            settings.http.max_upload_bytes = *max_upload_bytes;
            settings.scheduler_every =
                (*scheduler_every_secs > 0).then(|| Duration::from_secs(*scheduler_every_secs));
            if let Some(day) = today {
                settings.clock = normledger::process::Clock::Fixed(*day);
            }
            settings.replica_wait = Duration::from_millis(*replica_wait_ms);
            settings.limits.trusted_key = cli.trusted_key().map_err(anyhow::Error::msg)?;
            // Checked before serving: a replaced key file stops the start, not a later tick.
            // (The key check reads the checkpoint tables, so the schema must exist first.)
            let key = if *checkpoint_every_secs > 0 {
                normledger::store::migrate(&pool).await?;
                Some(
                    checkpoints::signing_key(&pool, &cli.signing_key, cli.rotate_key.as_deref())
                        .await?,
                )
            } else {
                None
            };
            let app = App::start_with_replicas(pool.clone(), settings, replica_url).await?;
            if let Some(key) = key {
                spawn_checkpoints(
                    app.ledger.pool().clone(),
                    key,
                    Duration::from_secs(*checkpoint_every_secs),
                );
            }
            if let Some(path) = demo {
                load_demo(&app, &pool, path).await?;
            }
            // From here on the server works only as the app role: no owner connection stays
            // open while serving.
            normledger::app::close_pool(&pool).await;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(%listen, "serving GraphQL at http://{listen}/graphql");
            app.serve(listener, shutdown_signal()).await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

async fn token(pool: &sqlx::PgPool, command: &TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            role,
            bodies,
            name,
            expires_in_days,
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            tokens::check_grant(pool, role, bodies).await?;
            let expires = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(d));
            let (id, secret) =
                tokens::grant(pool, name, role, bodies, expires, Some("cli")).await?;
            eprintln!("token {id} created for {name} ({role}); the secret is shown only once:");
            println!("{secret}");
        }
        TokenCommand::List => {
            println!(
                "{:<36}  {:<18}  {:<24}  {:<20}  last used / state",
                "id", "role", "name", "bodies"
            );
            for t in tokens::list(pool).await? {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(r), _) => format!("revoked {r}"),
                    (None, Some(e)) if e <= chrono::Utc::now() => format!("expired {e}"),
                    _ => t
                        .last_used_at
                        .map_or("never used".to_owned(), |u| format!("used {u}")),
                };
                println!(
                    "{:<36}  {:<18}  {:<24}  {:<20}  {state}",
                    t.id,
                    t.role,
                    t.name,
                    t.bodies.join(",")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if tokens::revoke(pool, *id).await? {
                println!("token {id} revoked");
            } else {
                anyhow::bail!("no live token {id}");
            }
        }
    }
    Ok(())
}

/// Where the demo tokens are kept so that later runs can print them again.
const DEMO_TOKENS: &str = ".normledger/demo-tokens.txt";

async fn load_demo(app: &App, pool: &sqlx::PgPool, path: &Path) -> anyhow::Result<()> {
    match normledger::demo::load_if_empty(&app.ledger, path).await? {
        Some(s) => tracing::info!(
            bodies = s.bodies_listed,
            ineligible_refused = s.ineligible_refused,
            issued = s.documents_issued,
            approved = s.documents_approved,
            internal_left_out = s.internal_left_out,
            "demo data set loaded through the commands"
        ),
        None => tracing::info!("the ledger is not empty: demo data not loaded again"),
    }
    let mut lines = Vec::new();
    if let Ok(saved) = std::fs::read_to_string(DEMO_TOKENS) {
        for line in saved.lines() {
            let secret = line.split_whitespace().last().unwrap_or_default();
            if tokens::authenticate(pool, secret).await?.is_some() {
                lines.push(line.to_owned());
            }
        }
    }
    // One token per role, and a second legal office: the market regulator's own legal unit,
    // which reviews that department's documents (the county's legal office reviews the rest).
    let mut wanted: Vec<(String, Role, Vec<String>)> = Role::ALL
        .into_iter()
        .map(|role| {
            let bodies: Vec<String> = match role {
                Role::Drafter => vec!["NCX-GOV".into(), "NCX-GOV-OFFICE".into()],
                Role::LegalOffice => vec!["NCX-JUSTICE".into()],
                Role::FilingAuthority => vec!["南昌市人民政府".into()],
                _ => vec![],
            };
            (role.as_str().to_owned(), role, bodies)
        })
        .collect();
    wanted.push((
        "LEGAL_OFFICE:NCX-MARKET".into(),
        Role::LegalOffice,
        vec!["NCX-MARKET".into()],
    ));
    // The county government's second filing authority (its documents go to both).
    wanted.push((
        "FILING_AUTHORITY:CONGRESS".into(),
        Role::FilingAuthority,
        vec!["南昌县人大常委会".into()],
    ));
    if lines.len() != wanted.len() {
        lines.clear();
        for (label, role, bodies) in wanted {
            let name = format!("demo {}", label.to_lowercase());
            let (_, secret) = tokens::create(pool, &name, role, &bodies, None).await?;
            lines.push(format!("{label:<24} {secret}"));
        }
        if let Some(dir) = Path::new(DEMO_TOKENS).parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(DEMO_TOKENS, lines.join("\n") + "\n")?;
        set_private(Path::new(DEMO_TOKENS))?;
    }
    println!(
        "Demo tokens (also in {DEMO_TOKENS}; the DRAFTER acts for NCX-GOV and NCX-GOV-OFFICE, \
         the LEGAL_OFFICE reviews for NCX-JUSTICE, the county's legal office; FILING_AUTHORITY \
         is the city government 南昌市人民政府, FILING_AUTHORITY:CONGRESS the county people's \
         congress standing committee 南昌县人大常委会):"
    );
    for line in &lines {
        println!("  {line}");
    }
    demo_accounts(pool).await
}

/// Where the demo accounts' passwords are kept so that later runs can print them again.
const DEMO_ACCOUNTS: &str = ".normledger/demo-accounts.txt";

/// One console account per role, with a random password printed at start (and kept in
/// [`DEMO_ACCOUNTS`]); the same bodies as the demo tokens.
async fn demo_accounts(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    use normledger::store::accounts::{self, NewAccount};
    if !accounts::any(pool).await? {
        let people: [(&str, &str, Role, &[&str]); 7] = [
            (
                "drafter",
                "县政府办起草人",
                Role::Drafter,
                &["NCX-GOV", "NCX-GOV-OFFICE"],
            ),
            (
                "legal",
                "县司法局审核员",
                Role::LegalOffice,
                &["NCX-JUSTICE"],
            ),
            ("advisor", "张律师", Role::Advisor, &[]),
            ("office", "县政府办文书", Role::GovernmentOffice, &[]),
            ("auditor", "审计员", Role::Auditor, &[]),
            ("admin", "系统管理员", Role::Admin, &[]),
            (
                "filing",
                "市政府备案审查员",
                Role::FilingAuthority,
                &["南昌市人民政府"],
            ),
        ];
        let mut lines = Vec::new();
        for (name, display, role, bodies) in people {
            let password = normledger::store::tokens::random_secret("")[..16].to_owned();
            let account = NewAccount {
                name: name.to_owned(),
                display_name: display.to_owned(),
                password: password.clone(),
                role,
                bodies: bodies.iter().map(|b| (*b).to_owned()).collect(),
            };
            accounts::create(pool, account, "demo").await?;
            lines.push(format!("{name:<10} {password:<18} {role}"));
        }
        std::fs::write(DEMO_ACCOUNTS, lines.join("\n") + "\n")?;
        set_private(Path::new(DEMO_ACCOUNTS))?;
    }
    if let Ok(lines) = std::fs::read_to_string(DEMO_ACCOUNTS) {
        println!("Demo console accounts (sign in at /console; also in {DEMO_ACCOUNTS}):");
        for line in lines.lines() {
            println!("  {line}");
        }
    }
    Ok(())
}

/// The file to import, and the ledger started to import it through the commands (no
/// scheduler: a one-shot run).
async fn read_for_import(pool: &sqlx::PgPool, file: &Path) -> anyhow::Result<(String, App)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let settings = Settings {
        scheduler_every: None,
        ..Settings::default()
    };
    Ok((text, App::start(pool.clone(), settings).await?))
}

/// `normledger filing package|verify|import`.
async fn filing(
    pool: &sqlx::PgPool,
    cli: &normledger::config::Cli,
    command: &normledger::config::FilingCommand,
) -> anyhow::Result<()> {
    use normledger::config::FilingCommand as F;
    use normledger::store::filing_package::{self, FilingPackage, PackageError};
    let trusted = cli.trusted_key().map_err(anyhow::Error::msg)?;
    match command {
        F::Package {
            document,
            authority,
            out,
        } => {
            normledger::store::migrate(pool).await?;
            let package = match filing_package::build(pool, *document, authority.as_deref()).await {
                Err(PackageError::NoCheckpoint) => {
                    let key =
                        checkpoints::signing_key(pool, &cli.signing_key, cli.rotate_key.as_deref())
                            .await?;
                    let c = checkpoints::take(pool, &key).await?;
                    eprintln!("took checkpoint {} to cover the document", c.id);
                    filing_package::build(pool, *document, authority.as_deref()).await?
                }
                other => other?,
            };
            let json = serde_json::to_string_pretty(&package)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(path, &json)?;
                    eprintln!(
                        "wrote the filing package of {} for {} to {} ({} items, {} events)",
                        package.number,
                        package.authority,
                        path.display(),
                        package.items.len(),
                        package.history.len()
                    );
                }
                None => print!("{json}"),
            }
        }
        F::Verify { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let package: FilingPackage = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a filing package", file.display()))?;
            let v = filing_package::verify(&package, trusted)?;
            println!(
                "verified: {} 《{}》 for {}: {} items, {} events, in the log of checkpoint {} taken {} signed by {}",
                package.number,
                package.title,
                package.authority,
                v.items,
                v.events,
                v.digest,
                v.taken_at,
                hex(&v.public_key)
            );
        }
        F::Import {
            file,
            as_authority,
            operator,
        } => {
            let (text, app) = read_for_import(pool, file).await?;
            let result = normledger::import::import_filing_package(
                &app.ledger,
                &text,
                as_authority,
                trusted,
                operator,
            )
            .await;
            app.stop().await?;
            println!("imported the filed document as {}", result?);
        }
    }
    Ok(())
}

/// A digest given on the command line, or the path of a file holding one.
/// `normledger text show|diff`: a document's texts from the ledger.
async fn text(pool: &sqlx::PgPool, command: &TextCommand) -> anyhow::Result<()> {
    use normledger::domain::text;
    use normledger::projection::queries;
    let id = match command {
        TextCommand::Show { document, .. } | TextCommand::Diff { document, .. } => *document,
    };
    let doc = queries::document(pool, id, None)
        .await?
        .with_context(|| format!("no document {id}"))?
        .state;
    let doc = &doc;
    let load = |version: u32| async move {
        let state = doc
            .text_version(version)
            .with_context(|| format!("document {id} has no text version {version}"))?;
        let recorded = queries::document_text(pool, id, version)
            .await?
            .with_context(|| format!("text version {version} is not in the log"))?;
        anyhow::Ok((state.clone(), recorded.text))
    };
    let (Some(first), Some(latest)) = (doc.texts.first(), doc.latest_text()) else {
        println!("document {id} has no text");
        return Ok(());
    };
    match command {
        TextCommand::Show { version, .. } => {
            for t in &doc.texts {
                println!(
                    "version {} {} ({}) {} characters, recorded {}, sha256 {}",
                    t.version,
                    t.stage.label(),
                    serde_json::to_value(t.stage)?.as_str().unwrap_or_default(),
                    t.characters,
                    t.recorded_on,
                    t.hash
                );
            }
            let (t, body) = load(version.unwrap_or(latest.version)).await?;
            println!("\n== version {} ({}) ==", t.version, t.stage.label());
            for c in text::clauses(&body) {
                println!("[{}] {}", c.id, c.text.replace('\n', "\n    "));
            }
        }
        TextCommand::Diff { from, to, .. } => {
            let from = from
                .or(doc.reviewed_text().map(|t| t.version))
                .unwrap_or(first.version);
            let to = to
                .or(doc.issued_text().map(|t| t.version))
                .unwrap_or(latest.version);
            let ((a, a_text), (b, b_text)) = (load(from).await?, load(to).await?);
            println!(
                "version {} ({}) -> version {} ({})",
                a.version,
                a.stage.label(),
                b.version,
                b.stage.label()
            );
            let (ca, cb) = (text::clauses(&a_text), text::clauses(&b_text));
            print!(
                "{}",
                text::render_diff(&text::diff(&text::diff_units(&ca), &text::diff_units(&cb)))
            );
        }
    }
    Ok(())
}

/// A progress bar on stderr for long CLI work (rate and ETA); indicatif draws nothing when
/// stderr is not a terminal, so scripts and logs see only the final lines.
struct Bar(indicatif::ProgressBar);

impl Bar {
    /// A bar over the whole event log (its length counted only when it will be drawn).
    async fn new(label: &'static str, pool: &sqlx::PgPool) -> anyhow::Result<Bar> {
        let bar = Bar::hidden_total(label);
        if !bar.0.is_hidden() {
            let total = normledger::store::event_log::count(pool).await?;
            bar.0.set_length(total.max(0) as u64);
        }
        Ok(bar)
    }

    /// A bar whose length the operation reports.
    fn hidden_total(label: &'static str) -> Bar {
        let bar = indicatif::ProgressBar::with_draw_target(
            None,
            indicatif::ProgressDrawTarget::stderr_with_hz(4),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {human_pos}/{human_len} {per_sec} ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("#>-"),
        );
        bar.set_message(label);
        Bar(bar)
    }

    fn reporter(&self) -> impl FnMut(normledger::progress::Progress) + Send + use<> {
        let bar = self.0.clone();
        move |p| {
            if let Some(total) = p.total {
                bar.set_length(total);
            }
            bar.set_position(p.done);
        }
    }

    fn replay_reporter(&self) -> impl FnMut(normledger::projection::ReplayProgress) + use<> {
        let bar = self.0.clone();
        move |p| {
            bar.set_length(p.total);
            bar.set_position(p.applied);
        }
    }

    fn finish(self) {
        self.0.finish_and_clear();
    }
}

fn read_digest(arg: &str) -> anyhow::Result<LogDigest> {
    if Path::new(arg).is_file() {
        let text = std::fs::read_to_string(arg)
            .with_context(|| format!("cannot read the digest {arg}"))?;
        return text
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("the file {arg}: {e}"));
    }
    if !arg.starts_with("nl1:") {
        anyhow::bail!("--digest {arg}: no such file, and not a digest (nl1:…)");
    }
    arg.parse().map_err(anyhow::Error::msg)
}

/// Signs a checkpoint of the log periodically while serving.
fn spawn_checkpoints(pool: sqlx::PgPool, key: ed25519_dalek::SigningKey, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match checkpoints::take(&pool, &key).await {
                Ok(c) => tracing::info!(digest = %c.digest, "signed checkpoint"),
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        }
    });
}

fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
