//! The durable job runner: work that must happen once, even across crashes and instances
//! (sending a webhook, recomputing clocks under a new policy, later mail and indexing).
//!
//! A job is a row of the store's queue ([`store::jobs`]) with a unique name (enqueuing the same
//! name twice is one job), a kind that picks its handler, and a JSON payload. [`Runner::run_due`]
//! claims the due jobs of the kinds it has handlers for under a lease held in the database, runs
//! them, and marks each done, or queues it again after a backoff, or fails it after its last
//! attempt. A runner that dies leaves its jobs leased; once the lease expires another runner
//! claims them again, so handlers are written to be idempotent.
//!
//! The runner never reads the clock: callers pass `now`, so tests move time by hand.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use store::jobs::JobRecord;
use store::Store;

pub use store::jobs::{JobState, NewJob};

/// How long a claimed job is leased to its runner (microseconds): a runner that dies holds its
/// job this long at most. The lease is renewed while the job runs; a handler still keeps its own
/// guard against a second runner where a double run would matter (the SLA sweep its lease, a send
/// its outbox row's lease), since a runner that stalls past its lease is taken over.
pub const LEASE_MICROS: i64 = 60 * 1_000_000;

/// The first retry's wait (microseconds); each later one doubles, up to [`MAX_BACKOFF_MICROS`].
pub const FIRST_BACKOFF_MICROS: i64 = 30 * 1_000_000;

/// The longest wait between attempts (microseconds).
pub const MAX_BACKOFF_MICROS: i64 = 60 * 60 * 1_000_000;

/// Why a job's attempt did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a server did not answer).
    #[error("{0} (will retry)")]
    Retry(String),
    /// Trying again cannot help (a payload that does not read).
    #[error("{0}")]
    Fatal(String),
}

/// What runs the jobs of one kind.
pub type Handler = Arc<dyn Fn(JobRecord) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// What one round of [`Runner::run_due`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunReport {
    /// Jobs finished.
    pub done: u64,
    /// Jobs that failed an attempt and wait for the next one.
    pub retried: u64,
    /// Jobs given up on.
    pub failed: u64,
    /// Jobs another runner took over before this one finished (their result was not recorded).
    pub lost: u64,
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn backoff(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_BACKOFF_MICROS
        .saturating_mul(1i64 << doublings)
        .min(MAX_BACKOFF_MICROS)
}

/// Runs jobs for one instance.
#[derive(Clone)]
pub struct Runner {
    store: Store,
    holder: String,
    handlers: BTreeMap<String, Handler>,
    concurrency: usize,
    lease_micros: i64,
}

impl Runner {
    /// A runner that claims jobs as `holder` (unique per instance: host and process).
    pub fn new(store: Store, holder: impl Into<String>) -> Runner {
        Runner {
            store,
            holder: holder.into(),
            handlers: BTreeMap::new(),
            concurrency: 1,
            lease_micros: LEASE_MICROS,
        }
    }

    /// Leases jobs for this long (microseconds) instead of [`LEASE_MICROS`]; renewed every third
    /// of it while a job runs.
    pub fn with_lease(mut self, micros: i64) -> Runner {
        self.lease_micros = micros.max(3_000);
        self
    }

    /// Adds the handler of a kind of job.
    pub fn register(&mut self, kind: &str, handler: Handler) {
        self.handlers.insert(kind.to_string(), handler);
    }

    /// The holder name this runner claims jobs as.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Runs up to `jobs` at once (default 1): jobs that wait on the network (sending mail,
    /// webhooks) overlap their waits.
    pub fn with_concurrency(mut self, jobs: usize) -> Runner {
        self.concurrency = jobs.max(1);
        self
    }

    /// Claims and runs the jobs due at `now` (up to `limit`), as many at once as the runner's
    /// concurrency allows. Each is claimed when it is about to start, with a lease of its own: a
    /// batch claimed at once would let the leases of its last jobs run out while the first ones
    /// still run.
    pub async fn run_due(&self, now: i64, limit: u32) -> Result<RunReport, store::Error> {
        let kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        let mut report = RunReport::default();
        let started = std::time::Instant::now();
        // `now` moves on with the round, so that each lease runs from its own claim.
        let clock = || now + i64::try_from(started.elapsed().as_micros()).unwrap_or(0);
        // Each job is a task of its own: it goes on while the next is claimed (a job left
        // unpolled in the middle of a transaction would hold the claim up).
        let mut running = tokio::task::JoinSet::new();
        let mut claimed = 0;
        let mut exhausted = false;
        loop {
            while !exhausted && running.len() < self.concurrency && claimed < limit {
                let at = clock();
                match self
                    .store
                    .claim_jobs(&kinds, &self.holder, at, at + self.lease_micros, 1)
                    .await?
                    .pop()
                {
                    Some(job) => {
                        claimed += 1;
                        let runner = self.clone();
                        running.spawn(async move { runner.run_one(job, now, at).await });
                    }
                    None => exhausted = true,
                }
            }
            let Some(result) = running.join_next().await else {
                break;
            };
            let ran = match result {
                Ok(Ok(ran)) => ran,
                // Its lease runs out and another round takes it again; the others go on.
                Ok(Err(error)) => {
                    tracing::warn!(%error, "a job's result could not be recorded");
                    Ran::Lost
                }
                Err(error) => {
                    tracing::error!(%error, "a job's task failed");
                    Ran::Lost
                }
            };
            match ran {
                Ran::Done => report.done += 1,
                Ran::Retried => report.retried += 1,
                Ran::Failed => report.failed += 1,
                Ran::Lost => report.lost += 1,
                Ran::Skipped => {}
            }
        }
        Ok(report)
    }

    /// Runs one claimed job; `now` is the round's clock, `claimed_at` the moment its lease began
    /// on that clock (retries wait from the job's end on it).
    async fn run_one(
        &self,
        job: JobRecord,
        now: i64,
        claimed_at: i64,
    ) -> Result<Ran, store::Error> {
        let Some(handler) = self.handlers.get(&job.kind) else {
            return Ok(Ran::Skipped);
        };
        let (id, name, attempts, max_attempts) =
            (job.id, job.name.clone(), job.attempts, job.max_attempts);
        // The lease is renewed while the job runs, so a long job stays this runner's; one whose
        // lease was taken over (this runner stalled past it) stops: another runs it now.
        let started = std::time::Instant::now();
        let renew_every =
            std::time::Duration::from_micros(u64::try_from(self.lease_micros / 3).unwrap_or(1));
        let work = handler(job);
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                () = tokio::time::sleep(renew_every) => {
                    let elapsed = i64::try_from(started.elapsed().as_micros()).unwrap_or(0);
                    let until = claimed_at + elapsed + self.lease_micros;
                    if !self.store.renew_job(id, &self.holder, until).await? {
                        tracing::warn!(job = %name, "the job's lease was taken over: it stops here");
                        return Ok(Ran::Lost);
                    }
                }
            }
        };
        // Results are dated when the job ends, on the caller's clock: a retry waits from then.
        let now = now.max(claimed_at + i64::try_from(started.elapsed().as_micros()).unwrap_or(0));
        let (ran, kept) = match result {
            Ok(()) => (
                Ran::Done,
                self.store.finish_job(id, &self.holder, now).await?,
            ),
            Err(error) => {
                let retry_at = match &error {
                    JobError::Retry(_) if attempts < max_attempts => Some(now + backoff(attempts)),
                    _ => None,
                };
                tracing::warn!(job = %name, attempt = attempts, error = %error, "job attempt failed");
                let kept = self
                    .store
                    .fail_job_attempt(id, &self.holder, &error.to_string(), retry_at, now)
                    .await?;
                (
                    if retry_at.is_some() {
                        Ran::Retried
                    } else {
                        Ran::Failed
                    },
                    kept,
                )
            }
        };
        Ok(if kept { ran } else { Ran::Lost })
    }
}

/// What became of one job of a round.
enum Ran {
    Done,
    Retried,
    Failed,
    Lost,
    Skipped,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), 30_000_000);
        assert_eq!(backoff(2), 60_000_000);
        assert_eq!(backoff(4), 240_000_000);
        assert_eq!(backoff(9), MAX_BACKOFF_MICROS);
        assert_eq!(backoff(1000), MAX_BACKOFF_MICROS);
        assert_eq!(backoff(0), 30_000_000);
    }
}
