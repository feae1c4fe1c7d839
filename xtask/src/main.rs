//! Development tasks: `cargo xtask conformance [--shared DIR] [--out FILE] [--json]` and
//! `cargo xtask screenshots` (refreshes the screenshots the README shows, from the browser tests).
//!
//! The conformance run parses every message of the shared mail corpora through Casebook's
//! own ingest path and compares with the corpora's expected results; its test (in
//! `conformance.rs`) fails on a crash, a lost message or a match count below the ratchet.

mod conformance;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    if task == "screenshots" {
        return screenshots();
    }
    if task != "conformance" {
        bail!("unknown task '{task}'; the tasks are: conformance, screenshots");
    }
    let mut shared = PathBuf::from("../shared");
    let mut out = PathBuf::from("target/conformance.md");
    let mut json = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--shared" => {
                shared = args
                    .next()
                    .map(PathBuf::from)
                    .context("--shared takes a folder")?
            }
            "--out" => {
                out = args
                    .next()
                    .map(PathBuf::from)
                    .context("--out takes a file")?
            }
            "--json" => json = true,
            other => bail!("unknown option '{other}'; use --shared DIR, --out FILE, --json"),
        }
    }
    let report = conformance::run(&shared.join("corpora"))?;
    if let Some(folder) = out.parent() {
        std::fs::create_dir_all(folder)?;
    }
    std::fs::write(&out, report.table())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
        eprintln!("written to {}", out.display());
    }
    Ok(())
}

/// The screenshots the README shows: the queue and the case page, in English and Chinese.
const README_SHOTS: &[&str] = &["queue-en", "case-en", "queue-zh", "case-zh"];

/// Runs the browser test that takes the README's screenshots and copies them to
/// `docs/screenshots/`.
fn screenshots() -> Result<()> {
    let shots = PathBuf::from("target/screenshots");
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "test",
                "--locked",
                "-p",
                "web",
                "--test",
                "browser",
                "an_engineer_works_the_model_case",
            ])
            .env(
                "CASEBOOK_SCREENSHOTS",
                std::fs::canonicalize(".")?.join(&shots),
            )
            .status()
            .context("running the browser test")?;
    if !status.success() {
        bail!("the browser test failed; its screenshots were not copied");
    }
    let docs = PathBuf::from("docs/screenshots");
    std::fs::create_dir_all(&docs)?;
    for name in README_SHOTS {
        let from = shots.join(format!("{name}.png"));
        std::fs::copy(&from, docs.join(format!("{name}.png")))
            .with_context(|| format!("copying {}", from.display()))?;
        eprintln!("{}", docs.join(format!("{name}.png")).display());
    }
    Ok(())
}
