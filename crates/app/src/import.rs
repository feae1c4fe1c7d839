//! `import`: files in, batches through `intake::ingest`, a summary out.

use std::path::PathBuf;

use intake::{Outcome, RawArrival};
use serde::Serialize;

use crate::{App, AppError};

/// The reading and parsing threads' nice value (higher is lower priority).
const READER_NICE: i32 = 10;
/// Raw bytes per transaction (two batches are in memory at once, a third being read).
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    /// Files read.
    pub files: u64,
    /// Arrivals (messages in files, or files), duplicates included.
    pub received: u64,
    /// Messages placed on cases (threaded plus those that opened cases).
    pub imported: u64,
    /// Messages threaded onto cases that existed.
    pub threaded: u64,
    /// Cases opened (new or adopted).
    pub new_cases: u64,
    /// Arrivals already stored.
    pub duplicates: u64,
    /// Arrivals quarantined.
    pub quarantined: u64,
    /// Arrivals quarantined, counted by reason code.
    pub quarantined_by_reason: std::collections::BTreeMap<String, u64>,
    /// The cases touched, in first-touched order.
    pub cases: Vec<String>,
    #[serde(skip)]
    seen_cases: std::collections::HashSet<String>,
    /// The quarantine entries made, with their reasons.
    pub quarantine: Vec<QuarantinedItem>,
    /// How long the import took, in milliseconds.
    pub elapsed_ms: u64,
    /// Messages per second over the first tenth of the arrivals.
    pub first_tenth_per_second: f64,
    /// Messages per second over the last tenth of the arrivals.
    pub last_tenth_per_second: f64,
}

/// When each batch finished: (arrivals done, seconds since the start).
#[derive(Debug, Default)]
struct Timing {
    samples: Vec<(u64, f64)>,
}

impl Timing {
    /// The time at which `done` arrivals were finished, interpolated between batches.
    fn time_at(&self, done: f64) -> f64 {
        let mut previous = (0u64, 0.0f64);
        for &(count, seconds) in &self.samples {
            if count as f64 >= done {
                let span = (count - previous.0) as f64;
                let fraction = if span > 0.0 {
                    (done - previous.0 as f64) / span
                } else {
                    1.0
                };
                return previous.1 + fraction * (seconds - previous.1);
            }
            previous = (count, seconds);
        }
        previous.1
    }

    /// Messages per second between two fractions of the total.
    fn rate(&self, from: f64, to: f64) -> f64 {
        let total = self.samples.last().map_or(0, |(count, _)| *count) as f64;
        let seconds = self.time_at(total * to) - self.time_at(total * from);
        if seconds > 0.0 {
            total * (to - from) / seconds
        } else {
            0.0
        }
    }
}

/// A message this import quarantined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedItem {
    /// The entry's id.
    pub id: i64,
    /// The reason's code.
    pub reason_code: String,
    /// The reason.
    pub reason: String,
}

/// Progress of an import, reported after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Bytes of input read so far.
    pub bytes_done: u64,
    /// Bytes of input in all.
    pub bytes_total: u64,
    /// Arrivals processed so far.
    pub messages_done: u64,
}

impl ImportSummary {
    fn record(&mut self, outcome: Outcome) {
        self.received += 1;
        match outcome {
            Outcome::OnCase { case, new_case, .. } => {
                self.imported += 1;
                if new_case {
                    self.new_cases += 1;
                } else {
                    self.threaded += 1;
                }
                if self.seen_cases.insert(case.clone()) {
                    self.cases.push(case);
                }
            }
            Outcome::Duplicate { .. } => self.duplicates += 1,
            Outcome::Quarantined {
                id,
                reason_code,
                reason,
            } => {
                self.quarantined += 1;
                *self
                    .quarantined_by_reason
                    .entry(reason_code.clone())
                    .or_default() += 1;
                self.quarantine.push(QuarantinedItem {
                    id,
                    reason_code,
                    reason,
                });
            }
        }
    }
}

impl App {
    /// Imports files, folders, maildirs, mboxes and thread exports.
    ///
    /// Fails before importing anything if a path cannot be read; after that,
    /// a bad message is an outcome in the summary, not an error.
    pub async fn import(
        &self,
        paths: &[PathBuf],
        assume_zone: Option<chrono_tz::Tz>,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> Result<ImportSummary, AppError> {
        let files = intake::files::collect_inputs(paths)?;
        let mut sizes = Vec::with_capacity(files.len());
        for file in &files {
            let metadata =
                std::fs::metadata(file).map_err(|source| AppError::unreadable(file, source))?;
            sizes.push(metadata.len());
        }
        let config = intake::IntakeConfig {
            assume_zone: assume_zone.or(self.intake.assume_zone),
            ..self.intake.clone()
        };
        let mut state = ImportProgress {
            bytes_done: 0,
            bytes_total: sizes.iter().sum(),
            messages_done: 0,
        };
        let mut summary = ImportSummary::default();
        let mut rng = self.rng();
        let started = std::time::Instant::now();
        let mut timing = Timing::default();
        // Files are read and parsed on other threads while this one writes: the batch after
        // the one being written is prepared meanwhile, and at most one waits.
        let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
        let reader_config = config.clone();
        let reader = std::thread::Builder::new()
            .name("casebook-import-reader".into())
            .spawn(move || read_batches(&files, &sizes, &reader_config, &sender))
            .map_err(|error| {
                AppError::internal(format!("cannot start the import reader: {error}"))
            })?;
        while let Some(cut) = receiver.recv().await {
            let cut: Cut = cut?;
            summary.files = cut.files_done;
            state.bytes_done = cut.bytes_done;
            if !cut.batch.is_empty() {
                let count = u64::try_from(cut.batch.len()).unwrap_or(u64::MAX);
                let outcomes =
                    intake::ingest_prepared(&self.store, &config, cut.batch, self.now(), &mut rng)
                        .await?;
                for outcome in outcomes {
                    summary.record(outcome);
                }
                state.messages_done += count;
                timing
                    .samples
                    .push((state.messages_done, started.elapsed().as_secs_f64()));
            }
            progress(state);
        }
        if reader.join().is_err() {
            return Err(AppError::internal("the import reader failed".into()));
        }
        summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        summary.first_tenth_per_second = timing.rate(0.0, 0.1);
        summary.last_tenth_per_second = timing.rate(0.9, 1.0);
        Ok(summary)
    }
}

/// A prepared batch and how far the reading had got when it was cut.
struct Cut {
    batch: intake::PreparedBatch,
    files_done: u64,
    bytes_done: u64,
}

/// Reads the files, cuts batches and prepares them; stops when the writer is gone.
fn read_batches(
    files: &[PathBuf],
    sizes: &[u64],
    config: &intake::IntakeConfig,
    sender: &tokio::sync::mpsc::Sender<Result<Cut, AppError>>,
) {
    // Writing is the critical path: when both compete for a core, the writer goes first and
    // parsing fills the time the writer waits on the disk. Threads this one starts inherit it.
    if let Err(error) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), READER_NICE)
    {
        tracing::debug!(%error, "could not lower the import reader's priority");
    }
    let mut batch: Vec<RawArrival> = Vec::new();
    let mut batch_bytes = 0;
    let mut files_done = 0;
    let mut bytes_done = 0;
    let send = |batch: Vec<RawArrival>, files_done: u64, bytes_done: u64| {
        let cut = Cut {
            batch: intake::prepare(config, batch),
            files_done,
            bytes_done,
        };
        sender.blocking_send(Ok(cut)).is_ok()
    };
    for (file, size) in files.iter().zip(sizes) {
        let arrivals = match intake::files::read_arrivals(file) {
            Ok(arrivals) => arrivals,
            Err(error) => {
                let _ = sender.blocking_send(Err(error.into()));
                return;
            }
        };
        files_done += 1;
        for arrival in arrivals {
            batch_bytes += arrival.bytes.len();
            batch.push(arrival);
            if batch.len() >= config.batch_messages.max(1) || batch_bytes >= BATCH_BYTES {
                if !send(std::mem::take(&mut batch), files_done, bytes_done) {
                    return;
                }
                batch_bytes = 0;
            }
        }
        bytes_done += size;
    }
    send(batch, files_done, bytes_done);
}

#[cfg(test)]
mod tests {
    use super::Timing;

    #[test]
    fn rates_over_tenths() {
        // 100 arrivals: the first 50 in 1 s, the next 50 in 4 s.
        let timing = Timing {
            samples: vec![(50, 1.0), (100, 5.0)],
        };
        assert!((timing.rate(0.0, 0.1) - 50.0).abs() < 1e-9);
        assert!((timing.rate(0.9, 1.0) - 12.5).abs() < 1e-9);
        assert_eq!(Timing::default().rate(0.0, 0.1), 0.0);
    }
}
