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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
        for (file, size) in files.iter().zip(sizes) {
            let arrivals = intake::files::read_arrivals(file)?;
            summary.files += 1;
            for arrival in arrivals {
                batch_bytes += arrival.bytes.len();
                batch.push(arrival);
                if batch.len() >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES {
                    self.flush(&config, &mut batch, &mut summary, &mut state, &mut rng)
                        .await?;
                    batch_bytes = 0;
                    progress(state);
                }
            }
            state.bytes_done += size;
        }
        self.flush(&config, &mut batch, &mut summary, &mut state, &mut rng)
            .await?;
        progress(state);
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
