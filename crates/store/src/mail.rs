//! What real mail keeps beside cases: contacts whose mail bounces, the automatic mail sent to
//! each address (for the hourly limit), and where each polled IMAP mailbox got to.

use serde::Serialize;
use sqlx::Row;

use crate::{Backend, Error, Result, Store};

/// A contact whose mail bounces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bouncing {
    /// The address.
    pub address: String,
    /// Since when (microseconds).
    pub since: i64,
    /// The reason, as the bounce gave it.
    pub reason: String,
    /// The enhanced status code (`5.1.1`), when given.
    pub status: Option<String>,
}

/// Where a polled mailbox stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MailboxState {
    /// The mailbox's name (the configured address without its password).
    pub name: String,
    /// The UIDVALIDITY its UIDs belong to.
    pub uidvalidity: Option<i64>,
    /// The highest UID taken in.
    pub last_uid: i64,
    /// The last poll that worked (microseconds).
    pub last_ok_at: Option<i64>,
    /// The last error, cleared by a poll that works.
    pub last_error: Option<String>,
    /// When it happened.
    pub error_at: Option<i64>,
    /// Failed polls in a row.
    pub failures: i64,
    /// Not before (microseconds), after failures.
    pub next_attempt_at: i64,
    /// Messages taken in from it in all.
    pub fetched: i64,
}

fn json_in(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "(SELECT value FROM json_each($1))",
        Backend::Postgres => "(SELECT value FROM json_array_elements_text($1::json))",
    }
}

impl Store {
    /// The addresses among these whose mail bounces.
    pub async fn bouncing_among(&self, addresses: &[String]) -> Result<Vec<String>> {
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
        let array = serde_json::to_string(&keys).map_err(|e| Error::Corrupt(e.to_string()))?;
        let rows = sqlx::query(&format!(
            "SELECT address FROM bouncing_addresses WHERE address IN {}",
            json_in(self.backend)
        ))
        .bind(array)
        .fetch_all(&self.pool)
        .await?;
        let bouncing: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String, _>("address"))
            .collect::<std::result::Result<_, _>>()?;
        Ok(addresses
            .iter()
            .filter(|a| bouncing.contains(&a.to_lowercase()))
            .cloned()
            .collect())
    }

    /// Every bouncing contact, most recent first.
    pub async fn bouncing(&self) -> Result<Vec<Bouncing>> {
        let rows = sqlx::query(
            "SELECT address, since, reason, status FROM bouncing_addresses ORDER BY since DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Bouncing {
                    address: row.try_get("address")?,
                    since: row.try_get("since")?,
                    reason: row.try_get("reason")?,
                    status: row.try_get("status")?,
                })
            })
            .collect()
    }

    /// Marks an address as bouncing (a later bounce updates the reason, keeps the date).
    pub async fn mark_bouncing(
        &self,
        address: &str,
        reason: &str,
        status: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO bouncing_addresses (address, since, reason, status) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, status = excluded.status",
        )
        .bind(address.to_lowercase())
        .bind(now)
        .bind(reason)
        .bind(status)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Mail came from the address: it no longer bounces. `true` when it was marked.
    pub async fn clear_bouncing(&self, address: &str) -> Result<bool> {
        Ok(
            sqlx::query("DELETE FROM bouncing_addresses WHERE address = $1")
                .bind(address.to_lowercase())
                .execute(&self.pool)
                .await?
                .rows_affected()
                > 0,
        )
    }

    /// Records an automatic message to an address, unless the address had `limit` of them in the
    /// hour before `now`: then it is recorded as held, and how many are held for the address in
    /// that hour (this one included) comes back.
    pub async fn note_auto_mail(
        &self,
        address: &str,
        purpose: &str,
        case_id: Option<i64>,
        limit: u32,
        now: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM auto_mail WHERE address = $1 AND at > $2 AND held = 0",
        )
        .bind(address.to_lowercase())
        .bind(now - 3_600_000_000)
        .fetch_one(&mut *tx)
        .await?;
        let allowed = sent < i64::from(limit);
        sqlx::query(
            "INSERT INTO auto_mail (address, at, purpose, case_id, held) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(address.to_lowercase())
        .bind(now)
        .bind(purpose)
        .bind(case_id)
        .bind(i64::from(!allowed))
        .execute(&mut *tx)
        .await?;
        let held = if allowed {
            None
        } else {
            Some(
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM auto_mail WHERE address = $1 AND at > $2 AND held = 1",
                )
                .bind(address.to_lowercase())
                .bind(now - 3_600_000_000)
                .fetch_one(&mut *tx)
                .await?,
            )
        };
        tx.commit().await?;
        Ok(held)
    }

    /// Automatic messages held back by the hourly limit since `since`: (address, how many).
    pub async fn held_auto_mail(&self, since: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT address, COUNT(*) AS n FROM auto_mail WHERE held = 1 AND at > $1 \
             GROUP BY address ORDER BY address",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("address")?, row.try_get("n")?)))
            .collect()
    }

    /// Where a polled mailbox stands (a new one starts at nothing).
    pub async fn mailbox_state(&self, name: &str) -> Result<MailboxState> {
        let row = sqlx::query(
            "SELECT name, uidvalidity, last_uid, last_ok_at, last_error, error_at, failures, \
             next_attempt_at, fetched FROM mailboxes WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(MailboxState {
                name: name.to_string(),
                ..MailboxState::default()
            });
        };
        mailbox_from(&row)
    }

    /// Every polled mailbox.
    pub async fn mailbox_states(&self) -> Result<Vec<MailboxState>> {
        let rows = sqlx::query(
            "SELECT name, uidvalidity, last_uid, last_ok_at, last_error, error_at, failures, \
             next_attempt_at, fetched FROM mailboxes ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mailbox_from).collect()
    }

    /// Records how far a mailbox got: its UIDVALIDITY, the highest UID taken in, and how many
    /// messages that was; a poll that works clears the error.
    pub async fn mailbox_progress(
        &self,
        name: &str,
        uidvalidity: i64,
        last_uid: i64,
        fetched: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO mailboxes (name, uidvalidity, last_uid, last_ok_at, failures, fetched) \
             VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (name) DO UPDATE SET \
             uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, \
             last_ok_at = excluded.last_ok_at, last_error = NULL, error_at = NULL, failures = 0, \
             next_attempt_at = 0, fetched = mailboxes.fetched + excluded.fetched",
        )
        .bind(name)
        .bind(uidvalidity)
        .bind(last_uid)
        .bind(now)
        .bind(fetched)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed poll; returns the failures in a row.
    pub async fn mailbox_failed(
        &self,
        name: &str,
        error: &str,
        now: i64,
        retry_at: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO mailboxes (name, last_error, error_at, failures, next_attempt_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT (name) DO UPDATE SET \
             last_error = excluded.last_error, error_at = excluded.error_at, \
             failures = mailboxes.failures + 1, next_attempt_at = excluded.next_attempt_at \
             RETURNING failures",
        )
        .bind(name)
        .bind(error)
        .bind(now)
        .bind(retry_at)
        .fetch_one(&self.pool)
        .await?)
    }
}

fn mailbox_from(row: &sqlx::any::AnyRow) -> Result<MailboxState> {
    Ok(MailboxState {
        name: row.try_get("name")?,
        uidvalidity: row.try_get("uidvalidity")?,
        last_uid: row.try_get("last_uid")?,
        last_ok_at: row.try_get("last_ok_at")?,
        last_error: row.try_get("last_error")?,
        error_at: row.try_get("error_at")?,
        failures: row.try_get("failures")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        fetched: row.try_get("fetched")?,
    })
}

impl Store {
    /// The person who owns a case, if anyone does.
    pub async fn case_owner_person(&self, case_id: i64) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT owner_person_id FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }
}

impl Store {
    /// Whether automatic mail under this key was queued already.
    pub async fn outbox_has_key(&self, key: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE dedupe_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// The notification kinds a user turned off.
    pub async fn mail_opt_outs(&self, user_id: i64) -> Result<Vec<String>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT mail_opt_out FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        match text {
            Some(text) => serde_json::from_str(&text)
                .map_err(|error| Error::Corrupt(format!("users.mail_opt_out: {error}"))),
            None => Ok(Vec::new()),
        }
    }

    /// Sets the notification kinds a user turned off.
    pub async fn set_mail_opt_outs(&self, user_id: i64, kinds: &[String]) -> Result<()> {
        let text = serde_json::to_string(kinds).map_err(|e| Error::Corrupt(e.to_string()))?;
        sqlx::query("UPDATE users SET mail_opt_out = $2 WHERE id = $1")
            .bind(user_id)
            .bind(text)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
