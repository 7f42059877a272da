//! The real binary: `serve` starts its own PostgreSQL, loads the demo through the commands,
//! and on SIGTERM stops serving and stops the PostgreSQL it started; `token` manages tokens.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

fn normledger(root: &std::path::Path, pg_port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_normledger"));
    c.env_remove("DATABASE_URL")
        .env("NORMLEDGER_DATA_DIR", root.join("pg"))
        .env("NORMLEDGER_PG_PORT", pg_port.to_string())
        .current_dir(root);
    c
}

async fn wait_healthy(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if reqwest::get(url).await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the server did not become healthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_and_stops_its_own_postgres_and_loads_the_demo_once() {
    let root = temp_dir("normledger-bin");
    let (pg_port, http_port) = (free_port(), free_port());
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo/nanchang-county-2019.json"
    );
    let cluster = normledger::store::cluster::PrivateCluster::new(&root.join("pg"), pg_port)
        .await
        .unwrap();

    let mut counts = vec![];
    for run in 0..2 {
        let server = normledger(&root, pg_port)
            .args([
                "serve",
                "--demo",
                demo,
                "--listen",
                &format!("127.0.0.1:{http_port}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_healthy(&format!("http://127.0.0.1:{http_port}/healthz")).await;
        assert!(
            cluster.is_running().await,
            "run {run}: serve started PostgreSQL"
        );
        let pool = normledger::store::connect(&cluster.url("normledger"), 2)
            .await
            .unwrap();
        // The demo's own events: the expiry scheduler may still be expiring the 2019
        // documents when the server answers, so its events would make the count a race.
        let events: i64 =
            sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type <> 'Expired'")
                .fetch_one(&pool)
                .await
                .unwrap();
        // Issued ever (the scheduler expires the 2019 documents on today's date).
        let mut issued: Vec<String> = sqlx::query_scalar(
            "SELECT document_number FROM rm_documents WHERE document_number IS NOT NULL",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        issued.sort();
        assert_eq!(
            issued,
            ["南政办发〔2019〕53号", "南政办发〔2019〕63号"],
            "internal work documents (工作制度, 工作要点) are left out"
        );
        counts.push(events);
        normledger::app::close_pool(&pool).await;
        // One console account per role, its password kept for later runs: the legal
        // office's signs in.
        let accounts = std::fs::read_to_string(root.join(".normledger/demo-accounts.txt")).unwrap();
        assert_eq!(accounts.lines().count(), 7, "{accounts}");
        let password = accounts
            .lines()
            .find(|l| l.starts_with("legal "))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap()
            .to_owned();
        let base = format!("http://127.0.0.1:{http_port}");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form = client
            .get(format!("{base}/console/sign-in"))
            .send()
            .await
            .unwrap();
        let nonce_cookie = form.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let html = form.text().await.unwrap();
        let at = html.find("name=\"nonce\" value=\"").unwrap() + 20;
        let nonce = &html[at..at + html[at..].find('"').unwrap()];
        let signed_in = client
            .post(format!("{base}/console/sign-in"))
            .header("cookie", nonce_cookie)
            .form(&[("nonce", nonce), ("name", "legal"), ("password", &password)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            signed_in.status(),
            303,
            "run {run}: the demo's legal office signs in"
        );
        // While serving, every connection of the server is the app role's.
        let probe = normledger::store::connect(&cluster.url("normledger"), 1)
            .await
            .unwrap();
        let owners: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = 'normledger' AND backend_type = 'client backend'
               AND usename <> 'normledger_app' AND pid <> pg_backend_pid()",
        )
        .fetch_one(&probe)
        .await
        .unwrap();
        probe.close().await;
        assert_eq!(owners, 0, "run {run}: no owner connection while serving");

        let status = Command::new("kill")
            .args(["-TERM", &server.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::task::spawn_blocking(move || {
            let out = server.wait_with_output().unwrap();
            (
                out.status,
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
        .await
        .unwrap();
        assert!(exit.0.success(), "serve exits cleanly on SIGTERM");
        assert_eq!(
            exit.1.matches(" nl_").count(),
            9,
            "one demo token per role, the market regulator's legal unit and the congress printed: {}",
            exit.1
        );
        assert!(
            exit.1.contains("Demo console accounts") && exit.1.contains(&password),
            "the console accounts are printed: {}",
            exit.1
        );
        assert!(
            !cluster.is_running().await,
            "run {run}: PostgreSQL stopped with the server"
        );
    }
    assert!(counts[0] > 50, "the demo wrote its events");
    assert_eq!(counts[0], counts[1], "a second run loads nothing again");
    std::fs::remove_dir_all(&root).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_commands_create_list_and_revoke_without_showing_secrets() {
    let url = fresh_database().await;
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_normledger"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let app = TestApp::spawn_on(&url).await;
    list_bodies(&app).await;
    let (ok, _, stderr) = run(&[
        "token", "create", "--role", "DRAFTER", "--body", "NOPE", "--name", "x",
    ]);
    assert!(
        !ok && stderr.contains("NOPE is not a listed issuing body"),
        "a drafter's body must exist: {stderr}"
    );
    // A filing authority's token names an authority some listed body files with.
    let (ok, _, stderr) = run(&[
        "token",
        "create",
        "--role",
        "FILING_AUTHORITY",
        "--body",
        "江西省人民政府",
        "--name",
        "x",
    ]);
    assert!(
        !ok && stderr.contains("filing authority (备案机关)"),
        "{stderr}"
    );
    assert!(
        !run(&[
            "token",
            "create",
            "--role",
            "FILING_AUTHORITY",
            "--name",
            "x"
        ])
        .0,
        "a filing authority's token names its authority"
    );
    let (ok, _, stderr) = run(&[
        "token",
        "create",
        "--role",
        "FILING_AUTHORITY",
        "--body",
        CITY,
        "--name",
        "市司法局备案审查处",
    ]);
    assert!(ok, "{stderr}");
    let (ok, secret, stderr) = run(&[
        "token", "create", "--role", "DRAFTER", "--body", "NCX-GOV", "--name", "张三",
    ]);
    assert!(ok, "{stderr}");
    let secret = secret.trim().to_owned();
    assert!(
        secret.starts_with("nl_") && secret.len() == 67,
        "256 random bits, hex: {secret}"
    );
    let line = stderr.lines().find(|l| l.contains("created for")).unwrap();
    let id = line.split_whitespace().nth(1).unwrap().to_owned();
    let (ok, listing, _) = run(&["token", "list"]);
    assert!(
        ok && listing.contains("张三")
            && listing.contains("NCX-GOV")
            && listing.contains("never used")
    );
    assert!(!listing.contains(&secret), "the list never shows a secret");
    assert!(
        !run(&["token", "create", "--role", "DRAFTER", "--name", "no body"]).0,
        "a drafter needs a body"
    );
    assert!(!run(&["token", "create", "--role", "KING", "--name", "x"]).0);
    assert!(run(&["token", "revoke", &id]).0);
    assert!(run(&["token", "list"]).1.contains("revoked"));
    assert!(!run(&["token", "revoke", &id]).0, "revoking twice says so");
}

/// Proves that the administrative commands close their connections before they stop the
/// PostgreSQL they started: its log shows no session cut off or broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_leave_no_connection_for_postgres_to_cut_off() {
    let root = temp_dir("normledger-cli");
    let pg_port = free_port();
    for args in [
        &["migrate"][..],
        &["token", "list"],
        &["verify"],
        &["digest"],
        &["replay"],
    ] {
        let out = normledger(&root, pg_port).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = std::fs::read_to_string(root.join("pg/server.log")).unwrap();
    for sign in [
        "terminating connection due to administrator command",
        "could not send data to client",
        "could not receive data from client",
        "unexpected EOF",
    ] {
        assert!(!log.contains(sign), "{sign}:\n{log}");
    }
    std::fs::remove_dir_all(&root).ok();
}
