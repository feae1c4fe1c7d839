//! One chromedriver for the test binary, and sessions of headless Chromium with fresh profiles.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

const WAIT: Duration = Duration::from_secs(10);

struct Driver {
    port: u16,
}

static DRIVER: OnceLock<Driver> = OnceLock::new();

fn driver() -> &'static Driver {
    DRIVER.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let mut command = Command::new(&binary);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        testkit::child::spawn_tied(command, testkit::child::Death::Kill).unwrap_or_else(|error| {
            panic!("cannot start {binary} ({error}): install Debian's chromium and chromium-driver")
        });
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { port }
    })
}

/// A new browser session with its own empty profile.
pub async fn session() -> Client {
    let driver = driver();
    let profile = tempfile::Builder::new()
        .prefix("casebook-chromium-")
        .tempdir()
        .unwrap()
        .keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=en-US",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap()
}

/// Waits up to 10 s for an element.
pub async fn wait_for(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css} within 10 s: {error}"))
}

/// Clicks the element once it is there, looking again while a page that is loading replaces it
/// (a stale element), for up to 10 s.
pub async fn click_when_ready(client: &Client, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let element = wait_for(client, css).await;
        match element.click().await {
            Ok(()) => return,
            Err(error) if Instant::now() < deadline => {
                pause_before_retry(&error).await;
            }
            Err(error) => panic!("{css} could not be clicked within 10 s: {error}"),
        }
    }
}

/// A moment before looking again (a deadline bounds the loop that calls it).
async fn pause_before_retry(_error: &fantoccini::error::CmdError) {
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
}

/// Waits up to 10 s for text anywhere in the page.
pub async fn wait_text(client: &Client, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        // While a form's answer loads there is briefly no body, or a stale one: look again.
        let body = match client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if body.contains(text) {
            return;
        }
        assert!(Instant::now() < deadline, "no “{text}” within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves a screenshot as `NAME.png` in the screenshots folder.
pub async fn shot(client: &Client, name: &str) {
    let dir = std::env::var_os("CASEBOOK_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
        });
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}
