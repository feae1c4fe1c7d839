//! Development tasks: `cargo xtask conformance [--shared DIR] [--out FILE] [--json]`.
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
    if task != "conformance" {
        bail!("unknown task '{task}'; the tasks are: conformance");
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
