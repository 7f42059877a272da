//! A real browser for the tests: Debian's `chromium`, headless, driven through `chromedriver`
//! by the W3C WebDriver protocol (plain JSON over HTTP, so no client library is needed).
//! `scripts/test` installs both when missing; without them these tests fail, they never skip.

use base64::Engine;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{free_port, temp_dir};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
    _profile: PathBuf,
}

/// Where each run's screenshots go (`target/console-shots/`).
pub fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-shots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    pub async fn start() -> Browser {
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|b| Path::new(b).exists())
            .expect("a real browser is needed: install Debian's chromium (scripts/test does)");
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is needed: install Debian's chromium-driver (scripts/test does)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = temp_dir("normledger-webdriver");
        let mut browser = Browser {
            driver,
            base,
            http,
            _profile: profile.clone(),
        };
        // The flags this machine's closed network needs (no background fetches), and a
        // fresh profile.
        let session = browser
            .call(
                "POST",
                "/session",
                json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
                    "goog:chromeOptions": {"binary": binary, "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--no-first-run", "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--disable-quic", "--lang=zh-CN", "--window-size=1280,1000",
                        format!("--user-data-dir={}", profile.display())]}}}}),
            )
            .await;
        let id = session["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_owned();
        browser.base = format!("{}/session/{id}", browser.base);
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// One WebDriver command; its `value`, or the error it answered.
    async fn try_call(&self, method: &str, path: &str, body: Value) -> Result<Value, Value> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        let value = response["value"].clone();
        match value.get("error") {
            Some(_) => Err(value),
            None => Ok(value),
        }
    }

    pub async fn open(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url})).await;
    }

    pub async fn url(&self) -> String {
        self.call("GET", "/url", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (up to 10 s) until the address satisfies `done`; returns it.
    pub async fn wait_url(&self, done: impl Fn(&str) -> bool) -> String {
        let mut url = self.url().await;
        for _ in 0..200 {
            if done(&url) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            url = self.url().await;
        }
        url
    }

    /// The element `css` names, waiting (up to 10 s) for the page to have it: a page that is
    /// still loading after a click has not got it yet.
    async fn find(&self, css: &str) -> String {
        let query = json!({"using": "css selector", "value": css});
        let mut last = Value::Null;
        for _ in 0..200 {
            match self.try_call("POST", "/element", query.clone()).await {
                Ok(found) => return found[ELEMENT].as_str().unwrap().to_owned(),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no element {css}: {last}\n{}", self.source().await)
    }

    /// Runs one command on the element `css`, finding it again if the page replaced it.
    async fn on(&self, css: &str, command: &str, body: Value) -> Value {
        for _ in 0..50 {
            let e = self.find(css).await;
            let path = format!("/element/{e}{command}");
            match self
                .try_call(
                    if command == "/text" { "GET" } else { "POST" },
                    &path,
                    body.clone(),
                )
                .await
            {
                Ok(v) => return v,
                // The page changed under the command (a navigation still finishing): the
                // command did not happen; find the element again.
                Err(err)
                    if err["error"] == "stale element reference"
                        || err["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("does not belong to the document")) =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("WebDriver {command} on {css}: {err}"),
            }
        }
        panic!("{css} kept going stale")
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.try_call(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        )
        .await
        .is_ok()
    }

    /// Types into the field `css` (after clearing it).
    pub async fn fill(&self, css: &str, text: &str) {
        self.on(css, "/clear", json!({})).await;
        self.on(css, "/value", json!({"text": text})).await;
    }

    pub async fn click(&self, css: &str) {
        self.on(css, "/click", json!({})).await;
    }

    /// Sets a field's value as a date picker would (typing into `<input type=date>` depends on
    /// the browser's locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": "arguments[0].value = arguments[1];",
                   "args": [{ELEMENT: e}, value]}),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.on(css, "/text", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.call("GET", "/source", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Whether a script put up an alert (it must never: that would be injected markup running).
    pub async fn alert_open(&self) -> bool {
        self.try_call("GET", "/alert/text", json!({})).await.is_ok()
    }

    /// Saves a PNG of the window as `target/console-shots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self.call("GET", "/screenshot", json!({})).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap())
            .unwrap();
        let path = shots_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Browser {
    /// Ends the session (the browser exits with it).
    pub async fn quit(self) {
        let _ = self.try_call("DELETE", "", json!({})).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that failed before `quit`: end the session with a plain blocking request (no
        // runtime here), so that chromium exits with it, then stop chromedriver.
        if let Some(rest) = self.base.strip_prefix("http://")
            && let Some((host, path)) = rest.split_once('/')
            && let Ok(mut stream) = std::net::TcpStream::connect(host)
        {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                stream,
                "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.read(&mut [0u8; 512]);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
