//! `import`: files in, batches through `intake::ingest`, a summary out.

use std::path::PathBuf;

use intake::{Outcome, RawArrival};
use serde::Serialize;

use crate::{App, AppError};

/// Arrivals per transaction.
const BATCH_MESSAGES: usize = 256;
/// Raw bytes per transaction.
const BATCH_BYTES: usize = 64 * 1024 * 1024;

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
    /// The cases touched, in first-touched order.
    pub cases: Vec<String>,
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
                if !self.cases.contains(&case) {
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
        let mut batch: Vec<RawArrival> = Vec::new();
        let mut batch_bytes = 0;
        let mut rng = self.rng();
        let started = std::time::Instant::now();
        let mut timing = Timing::default();
        for (file, size) in files.iter().zip(sizes) {
            let arrivals = intake::files::read_arrivals(file)?;
            summary.files += 1;
            for arrival in arrivals {
                batch_bytes += arrival.bytes.len();
                batch.push(arrival);
                if batch.len() >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES {
                    self.flush(&config, &mut batch, &mut summary, &mut state, &mut rng)
                        .await?;
                    timing
                        .samples
                        .push((state.messages_done, started.elapsed().as_secs_f64()));
                    batch_bytes = 0;
                    progress(state);
                }
            }
            state.bytes_done += size;
        }
        self.flush(&config, &mut batch, &mut summary, &mut state, &mut rng)
            .await?;
        timing
            .samples
            .push((state.messages_done, started.elapsed().as_secs_f64()));
        progress(state);
        summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        summary.first_tenth_per_second = timing.rate(0.0, 0.1);
        summary.last_tenth_per_second = timing.rate(0.9, 1.0);
        Ok(summary)
    }

    async fn flush(
        &self,
        config: &intake::IntakeConfig,
        batch: &mut Vec<RawArrival>,
        summary: &mut ImportSummary,
        state: &mut ImportProgress,
        rng: &mut rand::rngs::StdRng,
    ) -> Result<(), AppError> {
        if batch.is_empty() {
            return Ok(());
        }
        let arrivals = std::mem::take(batch);
        let count = u64::try_from(arrivals.len()).unwrap_or(u64::MAX);
        let outcomes = intake::ingest(&self.store, config, arrivals, self.now(), rng).await?;
        for outcome in outcomes {
            summary.record(outcome);
        }
        state.messages_done += count;
        Ok(())
    }
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
