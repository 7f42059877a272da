//! The `normledger` binary: parse the command line, open the database, call the library.

use anyhow::Context;
use clap::Parser;
use std::path::Path;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

use normledger::app::{App, Database, Settings};
use normledger::config::{Cli, CliCommand, TokenCommand};
use normledger::domain::Role;
use normledger::store::tokens;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let CliCommand::Schema = cli.command {
        print!("{}", normledger::graphql::sdl());
        return Ok(());
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
        CliCommand::Schema => unreachable!("handled before opening the database"),
        CliCommand::Migrate => {
            normledger::store::migrate(&pool).await?;
            println!("migrations applied");
        }
        CliCommand::Replay => {
            normledger::store::migrate(&pool).await?;
            let started = std::time::Instant::now();
            let n = normledger::projection::replay(&pool).await?;
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
        CliCommand::Serve {
            listen,
            demo,
            read_your_writes_ms,
            max_body_bytes,
        } => {
            let mut settings = Settings::default();
            settings.write.read_your_writes_timeout = Duration::from_millis(*read_your_writes_ms);
            settings.http.max_body_bytes = *max_body_bytes;
            let app = App::start(pool.clone(), settings).await?;
            if let Some(path) = demo {
                load_demo(&app, &pool, path).await?;
            }
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
            if role == Role::Drafter && bodies.is_empty() {
                anyhow::bail!("a DRAFTER token needs at least one --body CODE");
            }
            let expires = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(d));
            let (id, secret) = tokens::create(pool, name, role, bodies, expires).await?;
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
    if lines.len() != Role::ALL.len() {
        lines.clear();
        for role in Role::ALL {
            let bodies: Vec<String> = if role == Role::Drafter {
                vec!["NCX-GOV".into(), "NCX-GOV-OFFICE".into()]
            } else {
                vec![]
            };
            let name = format!("demo {}", role.as_str().to_lowercase());
            let (_, secret) = tokens::create(pool, &name, role, &bodies, None).await?;
            lines.push(format!("{:<18} {secret}", role.as_str()));
        }
        if let Some(dir) = Path::new(DEMO_TOKENS).parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(DEMO_TOKENS, lines.join("\n") + "\n")?;
        set_private(Path::new(DEMO_TOKENS))?;
    }
    println!(
        "Demo tokens (also in {DEMO_TOKENS}; the DRAFTER acts for NCX-GOV and NCX-GOV-OFFICE):"
    );
    for line in &lines {
        println!("  {line}");
    }
    Ok(())
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
