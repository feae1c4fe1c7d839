//! What the live streams need of the database: a wake-up when something is new (PostgreSQL's
//! LISTEN/NOTIFY, raised by triggers at commit, so it crosses instances), and who is writing on a
//! case now (the `composing` table, shared by every instance).

use std::time::Duration;

use sqlx::Row;

use crate::{Backend, Result, Store};

/// The channel the triggers of migrations 7 and 8 notify.
const CHANNEL: &str = "casebook_timeline";

/// A connection that hears when a timeline entry or a composing ping is committed by any
/// instance on the same PostgreSQL database.
pub struct FeedListener {
    listener: sqlx::postgres::PgListener,
}

impl std::fmt::Debug for FeedListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedListener").finish_non_exhaustive()
    }
}

impl FeedListener {
    /// Waits up to `timeout` for a notification; `true` when one came. A lost connection is
    /// re-established by the listener on the next call.
    pub async fn wait(&mut self, timeout: Duration) -> Result<bool> {
        match tokio::time::timeout(timeout, self.listener.recv()).await {
            Err(_) => Ok(false),
            Ok(Ok(_)) => Ok(true),
            Ok(Err(error)) => Err(error.into()),
        }
    }
}

impl Store {
    /// A listener for the live feed, on PostgreSQL; `None` on SQLite, where one process (or a few
    /// on one machine) polls the table instead.
    pub async fn feed_listener(&self) -> Result<Option<FeedListener>> {
        let (Backend::Postgres, Some(url)) = (self.backend, &self.database_url) else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(FeedListener { listener }))
    }

    /// Records that a person is writing on a case now (`now` in microseconds).
    pub async fn composing_ping(&self, case_id: i64, person_id: i64, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO composing (case_id, person_id, at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id, person_id) DO UPDATE SET at = excluded.at",
        )
        .bind(case_id)
        .bind(person_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The names of the people other than `person_id` who pinged on the case at or after `since`.
    pub async fn composing_others(
        &self,
        case_id: i64,
        person_id: i64,
        since: i64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT p.display_name FROM composing w JOIN people p ON p.id = w.person_id \
             WHERE w.case_id = $1 AND w.person_id <> $2 AND w.at >= $3 ORDER BY p.display_name",
        )
        .bind(case_id)
        .bind(person_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("display_name")?))
            .collect()
    }

    /// The newest composing ping's time on any case (the live stream notices changes by it).
    pub async fn composing_latest(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(at) FROM composing")
                .fetch_one(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }
}
