//! The durable job runner's queue and named leases (the `jobs` crate runs them).
//!
//! A job has a unique name, so enqueuing the same work twice is one job. A runner claims due jobs
//! under a lease (its holder name and an expiry): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so
//! several instances never claim the same job; on SQLite under the writer lock. A job whose
//! holder died is claimed again once its lease has expired; jobs are written to be idempotent.

use sqlx::Row;

use crate::{Backend, Error, Result, Store};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its time.
    Queued,
    /// Claimed by a runner (until its lease expires).
    Running,
    /// Finished.
    Done,
    /// Given up on after its last attempt.
    Failed,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 4] = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Failed,
    ];

    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<JobState> {
        JobState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::Corrupt(format!("job state '{text}'")))
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob<'a> {
    /// Unique: a job already enqueued under this name is not enqueued again.
    pub name: &'a str,
    /// Which handler runs it.
    pub kind: &'a str,
    /// Its input, JSON.
    pub payload: &'a str,
    /// Not before (microseconds).
    pub run_at: i64,
    /// Attempts before it is given up.
    pub max_attempts: u32,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobRecord {
    /// Internal id.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// Which handler runs it.
    pub kind: String,
    /// Its input, JSON.
    pub payload: String,
    /// Where it stands.
    pub state: JobState,
    /// Not before (microseconds).
    pub run_at: i64,
    /// Attempts made, this one included once claimed.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

const JOB_COLUMNS: &str =
    "id, name, kind, payload, state, run_at, attempts, max_attempts, last_error";

fn job_from(row: &sqlx::any::AnyRow) -> Result<JobRecord> {
    let state: String = row.try_get("state")?;
    Ok(JobRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        state: JobState::parse(&state)?,
        run_at: row.try_get("run_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        last_error: row.try_get("last_error")?,
    })
}

impl Store {
    /// Enqueues a job; `false` when one of that name exists already (in any state).
    pub async fn enqueue_job(&self, job: &NewJob<'_>, now: i64) -> Result<bool> {
        let mut connection = self.pool.acquire().await?;
        enqueue_job(&mut connection, job, now).await
    }

    /// Claims up to `limit` due jobs of these kinds for `holder` until `lease_until`: queued jobs
    /// whose time has come, and running ones whose holder's lease has expired.
    pub async fn claim_jobs(
        &self,
        kinds: &[&str],
        holder: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<JobRecord>> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let kinds_json = serde_json::to_string(kinds).map_err(|e| Error::Corrupt(e.to_string()))?;
        let due =
            "((state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1)) \
                   AND kind IN (SELECT value FROM json_each($2))";
        let rows = match self.backend {
            Backend::Postgres => {
                let sql = format!(
                    "UPDATE jobs SET state = 'running', lease_holder = $3, lease_until = $4, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM jobs WHERE {} ORDER BY run_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
                     RETURNING {JOB_COLUMNS}",
                    due.replace("json_each($2)", "json_array_elements_text($2::json)")
                );
                sqlx::query(&sql)
                    .bind(now)
                    .bind(&kinds_json)
                    .bind(holder)
                    .bind(lease_until)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
            Backend::Sqlite => {
                let mut tx = self.write_tx().await?;
                let sql = format!(
                    "UPDATE jobs SET state = 'running', lease_holder = $3, lease_until = $4, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM jobs WHERE {due} ORDER BY run_at, id LIMIT $5) RETURNING {JOB_COLUMNS}"
                );
                let rows = sqlx::query(&sql)
                    .bind(now)
                    .bind(&kinds_json)
                    .bind(holder)
                    .bind(lease_until)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            }
        };
        let mut jobs: Vec<JobRecord> = rows.iter().map(job_from).collect::<Result<_>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    /// Extends the lease of a job `holder` runs; `false` when it no longer holds it.
    pub async fn renew_job(&self, id: i64, holder: &str, lease_until: i64) -> Result<bool> {
        let renewed = sqlx::query(
            "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_holder = $2 AND state = 'running'",
        )
        .bind(id)
        .bind(holder)
        .bind(lease_until)
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Marks a claimed job done; `false` when `holder` no longer holds it (its lease expired and
    /// another runner took it).
    pub async fn finish_job(&self, id: i64, holder: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $3, lease_holder = NULL, lease_until = NULL, last_error = NULL \
             WHERE id = $1 AND lease_holder = $2 AND state = 'running'",
        )
        .bind(id)
        .bind(holder)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: the job waits until `retry_at`, or fails for good when
    /// `retry_at` is `None` (its attempts are used up, or the error cannot pass).
    pub async fn fail_job_attempt(
        &self,
        id: i64,
        holder: &str,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let result = match retry_at {
            Some(at) => sqlx::query(
                "UPDATE jobs SET state = 'queued', run_at = $3, last_error = $4, lease_holder = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_holder = $2 AND state = 'running'",
            )
            .bind(id)
            .bind(holder)
            .bind(at)
            .bind(error)
            .execute(&self.pool)
            .await?,
            None => sqlx::query(
                "UPDATE jobs SET state = 'failed', finished_at = $3, last_error = $4, lease_holder = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_holder = $2 AND state = 'running'",
            )
            .bind(id)
            .bind(holder)
            .bind(now)
            .bind(error)
            .execute(&self.pool)
            .await?,
        };
        Ok(result.rows_affected() == 1)
    }

    /// A job by its unique name.
    pub async fn job_by_name(&self, name: &str) -> Result<Option<JobRecord>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from).transpose()
    }

    /// Jobs in a state, oldest first.
    pub async fn jobs_in(&self, state: JobState, limit: u32) -> Result<Vec<JobRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state = $1 ORDER BY run_at, id LIMIT $2"
        ))
        .bind(state.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from).collect()
    }

    /// The earliest time a queued job is due, if any (a runner sleeps until then).
    pub async fn next_job_at(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE state = 'queued'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Takes or renews the lease `name` for `holder` until `until`; `false` when another holder's
    /// lease has not expired at `now`.
    pub async fn take_lease(&self, name: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4) \
             ON CONFLICT (name) DO UPDATE SET holder = $2, expires_at = $4 \
             WHERE leases.holder = $2 OR leases.expires_at < $3 RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.is_some())
    }

    /// Gives a lease up (another instance may take it at once).
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Enqueues a job inside a transaction (so a job is enqueued exactly when the change that needs it commits).
pub(crate) async fn enqueue_job(
    connection: &mut sqlx::AnyConnection,
    job: &NewJob<'_>,
    now: i64,
) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO jobs (name, kind, payload, state, run_at, max_attempts, created_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $6) ON CONFLICT (name) DO NOTHING",
    )
    .bind(job.name)
    .bind(job.kind)
    .bind(job.payload)
    .bind(job.run_at)
    .bind(i64::from(job.max_attempts.max(1)))
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
