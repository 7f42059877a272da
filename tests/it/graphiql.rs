//! GraphiQL as a person opens it: served from the binary with no CDN, its vendored files
//! exactly the pinned ones, and, in a real browser (Debian's `chromium`), the schema's docs
//! shown.

use sha2::{Digest, Sha256};

use crate::support::*;

const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql");

/// Proves that the page loads nothing from outside the server and that every file it loads is
/// served, byte for byte, from the pinned vendored copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_from_the_binary_with_pinned_files() {
    let app = TestApp::spawn().await;
    let page = reqwest::get(app.url("/graphql")).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("id=\"token\""));
    let sums = std::fs::read_to_string(format!("{ASSETS}/SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 4);
    for line in sums.lines() {
        let (sum, file) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(format!("{ASSETS}/{file}")).unwrap();
        let actual: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(actual, sum, "{file} is not the pinned file");
        let name = file.trim_end_matches(".gz");
        assert!(
            html.contains(&format!("/graphiql/{name}")),
            "{name} is loaded"
        );
        let served = reqwest::get(app.url(&format!("/graphiql/{name}")))
            .await
            .unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-encoding"], "gzip");
        assert_eq!(served.bytes().await.unwrap().as_ref(), &bytes[..]);
    }
    for ours in ["normledger.js", "normledger.css"] {
        let served = reqwest::get(app.url(&format!("/graphiql/{ours}")))
            .await
            .unwrap();
        assert_eq!(served.status(), 200, "{ours}");
    }
    let missing = reqwest::get(app.url("/graphiql/../Cargo.toml"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Proves, in a real browser with no network but the server, that GraphiQL loads, fetches the
/// schema (introspection within the limits) and shows its docs with the root types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_shows_the_schema_docs_in_a_real_browser() {
    let app = TestApp::spawn().await;
    let browser = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("a real browser is needed: install Debian's chromium (apt-get install chromium)");
    let profile = temp_dir("normledger-chromium");
    let out = tokio::process::Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(app.url("/graphql"))
        .output()
        .await
        .unwrap();
    std::fs::remove_dir_all(&profile).ok();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("graphiql-container"),
        "GraphiQL did not render: {}",
        &dom[..dom.len().min(2000)]
    );
    assert!(
        dom.contains("QueryRoot") && dom.contains("MutationRoot"),
        "the docs show the root types: {}",
        &dom[..dom.len().min(4000)]
    );
    assert!(dom.contains("令牌 Token"), "the token field is visible");
}
