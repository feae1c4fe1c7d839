//! `cargo xtask bench-sla`: the SLA benchmark's phases, each in a process of its own so that its
//! peak memory is its own (`scripts/bench/sla.sh` runs them and writes the table).
//!
//! - `load`: fills an empty store with open cases (opened over the last forty days, each with a
//!   note and a status change or two), sets the example policy and folds every case's clocks
//!   once (what a new policy costs).
//! - `deadlines`: where every open case's clocks stand, from the deadlines the sweep keeps (exact
//!   until each case's next check: what the queue's filters and the dashboard read).
//! - `evaluate`: evaluates the clocks of every open case from its saved state (parsed, advanced to
//!   now, its deadlines computed), a page at a time.
//! - `sweep`: adds a note to `--due` cases (each change makes its case due) and times the sweep
//!   that folds them again.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use app::{Actor, App, IntakeConfig, OpenMode, StoreConfig, SystemClock};
use case::{CaseNumber, Event, Priority, Status};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use store::bulk::{LoadCase, LoadEntry};

/// The policy every phase runs: the example in the documentation.
const POLICY: &str = include_str!("../../docs/sla-policy.example.toml");

const MINUTE: i64 = 60_000_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// A phase's options.
#[derive(Debug, Clone)]
pub struct Options {
    /// `load`, `evaluate` or `sweep`.
    pub phase: String,
    /// The data directory.
    pub data_dir: PathBuf,
    /// `postgres://…`, or SQLite in the data directory.
    pub database_url: Option<String>,
    /// Open cases to load.
    pub cases: u64,
    /// Cases the sweep phase makes due.
    pub due: u64,
}

/// What a phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The phase.
    pub phase: String,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Open cases in the store.
    pub open_cases: u64,
    /// Cases the phase worked on.
    pub cases: u64,
    /// Wall time of the measured part, milliseconds.
    pub elapsed_ms: u64,
    /// The process's peak resident memory, MiB.
    pub peak_rss_mib: u64,
    /// Breached and at risk (evaluate), firings (sweep).
    pub detail: serde_json::Value,
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs one phase.
pub async fn run(options: &Options) -> Result<Report> {
    let config = StoreConfig {
        database_url: options.database_url.clone(),
        ..StoreConfig::in_dir(&options.data_dir)
    };
    let mode = if options.phase == "load" {
        OpenMode::Create
    } else {
        OpenMode::Existing
    };
    // The bulk load and the counts go to the store itself, as `bench-load` does; the rest is `app`.
    let store = store::Store::open_with(&config, mode)
        .await
        .with_context(|| format!("opening the store in {}", options.data_dir.display()))?;
    let app = App::open(
        &config,
        OpenMode::Existing,
        IntakeConfig::default(),
        Box::new(SystemClock),
        chrono_tz::Asia::Shanghai,
    )
    .await?;
    let backend = match store.backend() {
        store::Backend::Sqlite => "sqlite",
        store::Backend::Postgres => "postgres",
    };
    let operator = Actor::operator();
    let report = match options.phase.as_str() {
        "load" => {
            if store.load_counts().await?.cases > 0 {
                bail!("bench-sla load needs an empty store");
            }
            let acer = store
                .add_org("Acer", &["acer.com".into()], false, 0)
                .await?;
            let lenovo = store
                .add_org("Lenovo", &["lenovo.com".into()], false, 0)
                .await?;
            store
                .add_org("CMGOS", &["cmgos.com".into()], true, 0)
                .await?;
            let now = chrono::Utc::now().timestamp_micros();
            let mut rng = StdRng::seed_from_u64(7);
            let mut number_rng = StdRng::seed_from_u64(8);
            let progress = indicatif::ProgressBar::new(options.cases);
            let started = Instant::now();
            let mut left = options.cases;
            while left > 0 {
                let n = left.min(5_000);
                let cases: Vec<LoadCase> = (0..n)
                    .map(|_| open_case(&mut rng, now, [(acer.id, "Acer"), (lenovo.id, "Lenovo")]))
                    .collect();
                let mut make = |seq: u64| CaseNumber::generate(seq, &mut number_rng);
                store
                    .load_cases(&cases, &mut make, Some(("CMIT", 1)))
                    .await?;
                left -= n;
                progress.inc(n);
            }
            progress.finish_and_clear();
            let loaded_ms = millis(started);
            app.sla_policy_set(&operator, POLICY).await?;
            let started = Instant::now();
            let mut folded = 0;
            loop {
                let report = app.sla_sweep("bench", 100_000).await?;
                folded += report.evaluated;
                if report.remaining == 0 {
                    break;
                }
            }
            Report {
                phase: "fold under a new policy".into(),
                backend,
                open_cases: options.cases,
                cases: folded,
                elapsed_ms: millis(started),
                peak_rss_mib: peak_rss_mib(),
                detail: serde_json::json!({ "bulk_load_ms": loaded_ms }),
            }
        }
        "deadlines" | "evaluate" => {
            let started = Instant::now();
            let (phase, found) = if options.phase == "deadlines" {
                (
                    "read every open case's deadlines",
                    app.sla_deadlines_all(&operator, 20_000).await?,
                )
            } else {
                (
                    "evaluate every open case from its state",
                    app.sla_evaluate_all(&operator, 10_000).await?,
                )
            };
            Report {
                phase: phase.into(),
                backend,
                open_cases: found.cases,
                cases: found.cases,
                elapsed_ms: millis(started),
                peak_rss_mib: peak_rss_mib(),
                detail: serde_json::to_value(&found)?,
            }
        }
        "sweep" => {
            let open = store.load_counts().await?.cases;
            let numbers = app.case_list(Some(options.due)).await?;
            for case in &numbers {
                app.case_note(
                    &operator,
                    &case.number,
                    "benchmark: a change that makes the clocks due",
                )
                .await?;
            }
            let started = Instant::now();
            let report = app.sla_sweep("bench", u64::MAX).await?;
            Report {
                phase: "sweep the due cases".into(),
                backend,
                open_cases: open,
                cases: report.evaluated,
                elapsed_ms: millis(started),
                peak_rss_mib: peak_rss_mib(),
                detail: serde_json::json!({ "refolded": report.refolded, "fired": report.fired.len() }),
            }
        }
        other => bail!("unknown phase '{other}'; the phases are load, deadlines, evaluate, sweep"),
    };
    app.close().await;
    store.close().await;
    Ok(report)
}

/// An open case opened in the last forty days: a note, work started, for some a wait on the
/// customer and an answer.
fn open_case(rng: &mut StdRng, now: i64, customers: [(i64, &str); 2]) -> LoadCase {
    let (org, customer) = customers[usize::from(rng.random_bool(0.4))];
    let created_at = now - rng.random_range(0..40 * DAY);
    let mut at = created_at;
    let mut step = |rng: &mut StdRng| {
        at = (at + rng.random_range(MINUTE..3 * DAY)).min(now);
        at
    };
    let mut entries = vec![
        LoadEntry {
            event: Event::Note {
                text: "asked for the setup logs".into(),
            },
            at: step(rng),
            actor: Some("bench".into()),
        },
        LoadEntry {
            event: Event::StatusChange {
                from: Some(Status::New),
                to: Status::InProgress,
                summary: None,
            },
            at: step(rng),
            actor: Some("bench".into()),
        },
    ];
    if rng.random_bool(0.3) {
        entries.push(LoadEntry {
            event: Event::StatusChange {
                from: Some(Status::InProgress),
                to: Status::WaitingOnCustomer,
                summary: None,
            },
            at: step(rng),
            actor: Some("bench".into()),
        });
    }
    let priority = [
        Priority::P1,
        Priority::P2,
        Priority::P3,
        Priority::P3,
        Priority::P4,
    ][rng.random_range(0..5)];
    LoadCase {
        title: "系统重置失败 reset fails after update".into(),
        priority,
        customer_org_id: Some(org),
        customer: customer.into(),
        stage: "初次响应".into(),
        product: None,
        version: None,
        owner_person_id: None,
        tags: Vec::new(),
        created_at,
        opened_by: Some("bench".into()),
        entries,
    }
}
