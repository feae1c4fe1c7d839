//! The `casebook` binary, driven as a user or a script would: every test runs on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod backup;
mod cases;
mod contract;
mod import;
mod mail;
mod users;

use std::path::Path;
use std::process::{Command, Output};

use testkit::TestDb;

/// Runs `casebook` with the test's data directory and database.
pub fn casebook(db: &TestDb, args: &[&str]) -> Output {
    command(db, args)
        .output()
        .expect("the casebook binary runs")
}

pub fn command(db: &TestDb, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casebook"));
    command
        .arg("--data-dir")
        .arg(db.dir.path())
        .args(args)
        .env_remove("CASEBOOK_DATABASE_URL")
        .env_remove("CASEBOOK_LANG")
        .env("LANG", "C")
        .env("CASEBOOK_INTAKE_ADDRESSES", "support@cmgos.com");
    if let Some(url) = &db.database_url {
        command.env("CASEBOOK_DATABASE_URL", url);
    }
    command
}

/// Runs `casebook … --json`, checks it succeeded, and parses its output.
pub fn json(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let output = casebook(db, args);
    assert!(
        output.status.success(),
        "casebook {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "casebook {args:?} printed no JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Runs a command that must fail; returns its exit code and stderr.
pub fn failure(db: &TestDb, args: &[&str]) -> (i32, String) {
    let output = casebook(db, args);
    assert!(
        !output.status.success(),
        "casebook {args:?} should have failed"
    );
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !stderr.contains("panicked"),
        "casebook {args:?} panicked: {stderr}"
    );
    (output.status.code().unwrap_or(-1), stderr)
}

/// Checks `received = messages + quarantined + duplicates` and returns the stats.
pub fn balanced(db: &TestDb) -> serde_json::Value {
    let stats = json(db, &["stats", "--json"]);
    let n = |name: &str| stats[name].as_u64().unwrap();
    assert_eq!(
        n("received"),
        n("messages") + n("quarantined") + n("duplicates"),
        "{stats}"
    );
    stats
}

pub fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Registers an organization with one mail domain.
pub fn add_org(db: &TestDb, name: &str, domain: &str, staff: bool) {
    let mut args = vec!["org", "add", name, "--domain", domain, "--json"];
    if staff {
        args.push("--staff");
    }
    json(db, &args);
}
