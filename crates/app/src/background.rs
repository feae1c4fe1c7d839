//! What a server does besides answering requests: the SLA sweep and the durable job runner.
//!
//! Each instance runs [`run`]; the sweep is held by one instance at a time through a lease in
//! the database, the jobs are claimed one by one, so any number of instances may run it. It
//! wakes for the earliest due clock or job, when this process queued work, and at least every
//! two seconds.

use std::sync::Arc;
use std::time::Duration;

use crate::sla::{webhook_handler, WEBHOOK_JOB};
use crate::App;

/// The job kind that folds every case's clocks again under a new policy.
pub const RECOMPUTE_JOB: &str = "sla_recompute";

/// Jobs claimed per round.
const JOBS_PER_ROUND: u32 = 100;

/// The longest sleep between two rounds: work another process queued (a reply from the command
/// line, mail another instance took in) is found within it.
const MAX_SLEEP: Duration = Duration::from_secs(2);

/// A name for this instance in leases and job claims: host, process and a random part.
pub fn instance_name() -> String {
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .to_string();
    let random: u32 = rand::random();
    format!("{host}-{}-{random:08x}", std::process::id())
}

impl App {
    /// The job runner of this instance, with every kind of job Casebook has.
    pub fn job_runner(self: &Arc<App>, holder: &str) -> jobs::Runner {
        // Eight at once: sends and webhooks spend their time waiting on other servers.
        let mut runner = jobs::Runner::new(self.store.clone(), holder).with_concurrency(8);
        // Without an SMTP server nothing is sent: mail waits in the outbox until one is configured.
        if let Some(smtp) = &self.mail_settings.smtp {
            match outbound::Sender::new(smtp, self.mail_settings.smtp_connections) {
                Ok(sender) => runner.register(
                    crate::mailroom::outbox::OUTBOX_JOB,
                    crate::mailroom::outbox::outbox_handler(
                        self.clone(),
                        sender.with_dkim(self.mail_settings.dkim.clone()),
                    ),
                ),
                Err(error) => tracing::error!(%error, "the SMTP server cannot be used"),
            }
        }
        runner.register(
            intake::live::ARRIVAL_JOB,
            crate::mailroom::arrivals::arrival_handler(self.clone()),
        );
        runner.register(
            WEBHOOK_JOB,
            webhook_handler(self.sla_settings.webhook_secret.clone()),
        );
        let app = self.clone();
        let sweeper = holder.to_string();
        runner.register(
            RECOMPUTE_JOB,
            Arc::new(move |_job| {
                let app = app.clone();
                let holder = sweeper.clone();
                Box::pin(async move {
                    // Recomputing is sweeping until nothing is due; another instance may hold
                    // the sweep, and then it does the work: try again later.
                    let report = app
                        .sla_sweep(&holder, u64::MAX)
                        .await
                        .map_err(|e| jobs::JobError::Retry(e.to_string()))?;
                    // Skipped: another instance is sweeping, and it does the work.
                    if !report.skipped && report.remaining > 0 {
                        return Err(jobs::JobError::Retry("clocks still due".into()));
                    }
                    Ok(())
                })
            }),
        );
        runner
    }

    /// Runs the due jobs once (at most `limit`).
    pub async fn run_jobs(
        self: &Arc<App>,
        holder: &str,
        limit: u32,
    ) -> Result<jobs::RunReport, crate::AppError> {
        Ok(self
            .job_runner(holder)
            .run_due(self.now().timestamp_micros(), limit)
            .await?)
    }
}

/// Sweeps and runs jobs until the process ends; a failed round is logged and tried again.
pub async fn run(app: Arc<App>, holder: String) {
    let runner = app.job_runner(&holder);
    loop {
        match app.sla_sweep(&holder, 10_000).await {
            Ok(report) if !report.fired.is_empty() => tracing::info!(
                fired = report.fired.len(),
                evaluated = report.evaluated,
                "SLA sweep"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "SLA sweep failed"),
        }
        // Mail queued while the send job was finishing would wait for the next mail otherwise.
        if app.mail_settings.smtp.is_some() {
            if let Err(error) = app.store.outbox_poke(app.now().timestamp_micros()).await {
                tracing::warn!(%error, "looking for mail to send failed");
            }
        }
        match runner
            .run_due(app.now().timestamp_micros(), JOBS_PER_ROUND)
            .await
        {
            // A full round: more may be due at once (a burst of mail to send).
            Ok(report)
                if report.done + report.retried + report.failed + report.lost
                    >= u64::from(JOBS_PER_ROUND) =>
            {
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "job runner failed"),
        }
        let now = app.now().timestamp_micros();
        let next = [
            app.store.next_clock_check().await.ok().flatten(),
            app.store.next_job_at().await.ok().flatten(),
        ]
        .into_iter()
        .flatten()
        .min();
        let sleep = next.map_or(MAX_SLEEP, |at| {
            Duration::from_micros(u64::try_from(at - now).unwrap_or(0)).min(MAX_SLEEP)
        });
        tokio::select! {
            () = tokio::time::sleep(sleep.max(Duration::from_millis(500))) => {}
            () = app.wake.notified() => {}
        }
    }
}
