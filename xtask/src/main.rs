//! Development tasks: `cargo xtask conformance [--shared DIR] [--out FILE] [--json]`,
//! `cargo xtask screenshots` (refreshes the screenshots the README shows, from the browser tests)
//! and `cargo xtask bench-load --data-dir DIR [--database-url URL] [--cases N] [--entries N]
//! [--batch N] [--seed N] [--json]` (fills a store with synthetic history for the web benchmark).
//!
//! The conformance run parses every message of the shared mail corpora through Casebook's
//! own ingest path and compares with the corpora's expected results; its test (in
//! `conformance.rs`) fails on a crash, a lost message or a match count below the ratchet.

mod bench_load;
mod bench_mail;
mod bench_sla;
mod conformance;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    if task == "screenshots" {
        return screenshots();
    }
    if task == "bench-load" {
        return bench_load(args);
    }
    if task == "bench-sla" {
        return bench_sla(args);
    }
    if task == "bench-mail" {
        return bench_mail::run(args);
    }
    if task != "conformance" {
        bail!(
            "unknown task '{task}'; the tasks are: conformance, screenshots, bench-load, bench-sla, bench-mail"
        );
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

/// `bench-sla`: one phase of the SLA benchmark (`load`, `evaluate`, `sweep`); prints its report as JSON.
fn bench_sla(mut args: impl Iterator<Item = String>) -> Result<()> {
    let mut options = bench_sla::Options {
        phase: String::new(),
        data_dir: PathBuf::new(),
        database_url: None,
        cases: 1_000_000,
        due: 1_000,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--phase" => options.phase = args.next().context("--phase needs load, evaluate or sweep")?,
            "--data-dir" => options.data_dir = PathBuf::from(args.next().context("--data-dir needs a folder")?),
            "--database-url" => options.database_url = Some(args.next().context("--database-url needs a URL")?),
            "--cases" => options.cases = args.next().context("--cases needs a number")?.parse().context("--cases")?,
            "--due" => options.due = args.next().context("--due needs a number")?.parse().context("--due")?,
            other => bail!("unknown option '{other}'; use --phase P --data-dir DIR [--database-url URL] [--cases N] [--due N]"),
        }
    }
    if options.data_dir.as_os_str().is_empty() {
        bail!("bench-sla needs --data-dir DIR");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(bench_sla::run(&options))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// `bench-load`: reads its options, fills the store, prints what it did.
fn bench_load(mut args: impl Iterator<Item = String>) -> Result<()> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let mut options = bench_load::Options {
        data_dir: PathBuf::new(),
        database_url: env("CASEBOOK_DATABASE_URL"),
        cases: 100_000,
        entries: 1_000_000,
        batch: 1000,
        seed: 1,
        token_prefix: env("CASEBOOK_TOKEN_PREFIX").unwrap_or_else(|| "CMIT".to_string()),
        token_start: match env("CASEBOOK_TOKEN_START") {
            Some(start) => start
                .parse()
                .context("CASEBOOK_TOKEN_START is not a number")?,
            None => 10_000_001,
        },
    };
    let mut data_dir = None;
    let mut json = false;
    let number = |flag: &str, value: Option<String>| -> Result<u64> {
        value
            .with_context(|| format!("{flag} takes a number"))?
            .replace('_', "")
            .parse()
            .with_context(|| format!("{flag} takes a number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data-dir" => {
                data_dir = Some(
                    args.next()
                        .map(PathBuf::from)
                        .context("--data-dir takes a folder")?,
                )
            }
            "--database-url" => {
                options.database_url = Some(args.next().context("--database-url takes a url")?)
            }
            "--cases" => options.cases = number("--cases", args.next())?,
            "--entries" => options.entries = number("--entries", args.next())?,
            "--batch" => {
                options.batch = usize::try_from(number("--batch", args.next())?)
                    .context("--batch is too large")?
            }
            "--seed" => options.seed = number("--seed", args.next())?,
            "--json" => json = true,
            other => bail!(
                "unknown option '{other}'; use --data-dir DIR, --database-url URL, --cases N, --entries N, --batch N, --seed N, --json"
            ),
        }
    }
    options.data_dir =
        data_dir.context("bench-load needs --data-dir DIR (a store with imported mail)")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(bench_load::run(&options))?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: {} cases and {} timeline entries added in {:.1} s; the store holds {} cases and {} timeline entries",
            report.backend,
            report.added_cases,
            report.added_entries,
            report.elapsed_ms as f64 / 1000.0,
            report.after.cases,
            report.after.timeline_entries
        );
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
