//! The outbox: every message Casebook writes, queued in the transaction that stored it.
//!
//! A reply is stored raw and recorded on its case first; its outbox row is written in the same
//! transaction, so a crash leaves either both or neither. Queuing a row queues the send job
//! (`outbox:send`, by a trigger in the same transaction); the job takes the due rows in batches
//! and moves each queued -> sending -> sent, or back to queued after a temporary failure, or to
//! failed. A row found in `sending` with its lease run out was being sent when its sender stopped:
//! it is sent again, with the same bytes and so the same Message-ID.
//! Account mail (invitations, password resets) and automatic mail wait here too, with no message
//! row (see [`crate::accounts`]).

use sqlx::Row;

use crate::{Backend, Error, Result, Store};

/// Where an outgoing message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent.
    Queued,
    /// Being handed to the mail server (or its sender stopped while it was).
    Sending,
    /// Handed to the mail server.
    Sent,
    /// Given up on after repeated failures.
    Failed,
}

impl OutboxState {
    /// The stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    /// The state an identifier names.
    pub fn parse(text: &str) -> Option<OutboxState> {
        [
            OutboxState::Queued,
            OutboxState::Sending,
            OutboxState::Sent,
            OutboxState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// One outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Internal id.
    pub id: i64,
    /// The message row on its case (`None` for account mail, which belongs to no case).
    pub message_row_id: Option<i64>,
    /// What it is: `case` (a reply), `invite` or `reset`.
    pub purpose: String,
    /// The case.
    pub case_id: Option<i64>,
    /// The raw message.
    pub raw_sha256: String,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// Where it stands.
    pub state: OutboxState,
    /// Attempts made.
    pub attempts: i64,
    /// Queued (microseconds).
    pub created_at: i64,
    /// The Message-ID it carries (without brackets), once known.
    pub message_id: Option<String>,
    /// The server's last answer or the last error.
    pub last_error: Option<String>,
    /// The server's answer when it took the message.
    pub response: Option<String>,
    /// The recipient a bounce named.
    pub failed_recipient: Option<String>,
    /// Sent (microseconds).
    pub sent_at: Option<i64>,
}

/// The name of the job that sends the outbox (queued by the outbox's trigger).
pub const SEND_JOB_NAME: &str = "outbox:send";

/// What became of one message a batch took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The outbox row.
    pub id: i64,
    /// What happened.
    pub outcome: Outcome,
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server took it.
    Sent {
        /// Its answer.
        response: String,
        /// The Message-ID read from the bytes, for a row that did not know it.
        message_id: Option<String>,
    },
    /// A temporary failure: tried again at `retry_at`.
    Deferred {
        /// What failed.
        error: String,
        /// When to try again (microseconds).
        retry_at: i64,
    },
    /// Refused, or out of attempts.
    Failed {
        /// Why.
        error: String,
    },
}

/// Queues the send job unless it is queued or running already (a job queued for later, after a
/// failed round, keeps its backoff).
async fn queue_send_job(connection: &mut sqlx::AnyConnection, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (name, kind, payload, state, run_at, attempts, max_attempts, created_at) \
         VALUES ($1, 'outbox_send', '', 'queued', $2, 0, 100, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(SEND_JOB_NAME)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $2, attempts = 0, last_error = NULL, finished_at = NULL \
         WHERE name = $1 AND state IN ('done', 'failed')",
    )
    .bind(SEND_JOB_NAME)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A message taken for sending: its row and its raw bytes.
#[derive(Debug, Clone)]
pub struct Sendable {
    /// The row, now `sending`.
    pub record: OutboxRecord,
    /// The raw message, exactly as queued.
    pub raw: Vec<u8>,
}

const OUTBOX_COLUMNS: &str =
    "id, message_row_id, case_id, raw_sha256, purpose, recipients, state, attempts, \
     created_at, message_id, last_error, response, failed_recipient, sent_at";

fn outbox_from(row: &sqlx::any::AnyRow) -> Result<OutboxRecord> {
    let recipients: String = row.try_get("recipients")?;
    let state: String = row.try_get("state")?;
    Ok(OutboxRecord {
        id: row.try_get("id")?,
        message_row_id: row.try_get("message_row_id")?,
        purpose: row.try_get("purpose")?,
        case_id: row.try_get("case_id")?,
        raw_sha256: row.try_get("raw_sha256")?,
        recipients: serde_json::from_str(&recipients)
            .map_err(|error| Error::Corrupt(format!("outbox recipients: {error}")))?,
        state: OutboxState::parse(&state)
            .ok_or_else(|| Error::Corrupt(format!("outbox state '{state}'")))?,
        attempts: row.try_get("attempts")?,
        created_at: row.try_get("created_at")?,
        message_id: row.try_get("message_id")?,
        last_error: row.try_get("last_error")?,
        response: row.try_get("response")?,
        failed_recipient: row.try_get("failed_recipient")?,
        sent_at: row.try_get("sent_at")?,
    })
}

impl Store {
    /// The outbox state of these message rows (those Casebook wrote).
    pub async fn outbox_states(&self, message_rows: &[i64]) -> Result<Vec<(i64, OutboxState)>> {
        if message_rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = message_rows.iter().map(i64::to_string).collect();
        // Ids are integers, never text from input.
        let rows = sqlx::query(&format!(
            "SELECT message_row_id, state FROM outbox WHERE message_row_id IN ({})",
            ids.join(", ")
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                Ok((
                    row.try_get("message_row_id")?,
                    OutboxState::parse(&state)
                        .ok_or_else(|| Error::Corrupt(format!("outbox state '{state}'")))?,
                ))
            })
            .collect()
    }

    /// Outgoing messages, oldest first: in one state, or all.
    pub async fn outbox(
        &self,
        state: Option<OutboxState>,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM (SELECT {OUTBOX_COLUMNS} FROM outbox \
             WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2) AS latest ORDER BY id"
        ))
        .bind(state.map_or("", OutboxState::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_from).collect()
    }

    /// One outgoing message.
    pub async fn outbox_record(&self, id: i64) -> Result<Option<OutboxRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(outbox_from).transpose()
    }

    /// The message rows of a case that Casebook sent, with their outbox records.
    pub async fn outbox_of_case(&self, case_id: i64) -> Result<Vec<OutboxRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = $1 ORDER BY id"
        ))
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_from).collect()
    }

    /// Takes due messages for sending until `lease_until`, as the batch `token`: `queued` rows
    /// whose time has come, and rows left `sending` by a sender whose lease ran out, oldest first,
    /// up to `limit` rows and `max_bytes` (at least one). Each becomes `sending` with one attempt
    /// more. Several instances take disjoint batches. A row past `max_attempts` (its senders kept
    /// stopping while they sent it) and a row whose bytes cannot be read are failed here, so that
    /// one bad row never holds the others up.
    #[allow(clippy::too_many_arguments)]
    pub async fn outbox_take_due(
        &self,
        now: i64,
        lease_until: i64,
        token: i64,
        limit: u32,
        max_bytes: u64,
        max_attempts: i64,
    ) -> Result<Vec<Sendable>> {
        let due = "((o.state = 'queued' AND o.next_attempt_at <= $1) OR \
                   (o.state = 'sending' AND (o.lease_until IS NULL OR o.lease_until < $1)))";
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE OF o SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.write_tx().await?;
        let candidates = sqlx::query(&format!(
            "SELECT o.id, COALESCE(r.size, 0) AS size FROM outbox o \
             LEFT JOIN raw_messages r ON r.sha256 = o.raw_sha256 WHERE {due} ORDER BY o.id LIMIT $2{lock}"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut chosen = Vec::new();
        let mut total = 0u64;
        for row in &candidates {
            let id: i64 = row.try_get("id")?;
            let size: i64 = row.try_get("size")?;
            total += u64::try_from(size).unwrap_or(0);
            if !chosen.is_empty() && total > max_bytes {
                break;
            }
            chosen.push(id);
        }
        if chosen.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(&chosen).map_err(|e| Error::Corrupt(e.to_string()))?;
        let in_ids = match self.backend {
            Backend::Postgres => "SELECT value::bigint FROM json_array_elements_text($3::json)",
            Backend::Sqlite => "SELECT value FROM json_each($3)",
        };
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_until = $1, \
             lease_token = $2 WHERE id IN ({in_ids}) RETURNING {OUTBOX_COLUMNS}"
        ))
        .bind(lease_until)
        .bind(token)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut taken = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let read = match outbox_from(row) {
                Ok(record) if record.attempts > max_attempts => Err(format!(
                    "given up after {} attempts: its sender stopped each time it sent it",
                    record.attempts - 1
                )),
                Ok(record) => self
                    .read_blob(crate::blob::BlobKind::Raw, &record.raw_sha256)
                    .await
                    .map(|raw| Sendable { record, raw })
                    .map_err(|error| format!("its stored bytes cannot be read: {error}")),
                Err(error) => Err(format!("its row cannot be read: {error}")),
            };
            match read {
                Ok(sendable) => taken.push(sendable),
                Err(error) => {
                    tracing::error!(outbox.id = id, %error, "a message cannot be sent");
                    let failed = Settled {
                        id,
                        outcome: Outcome::Failed { error },
                    };
                    self.outbox_settle(token, &[failed], now).await?;
                }
            }
        }
        taken.sort_by_key(|sendable| sendable.record.id);
        Ok(taken)
    }

    /// Extends the lease of the rows the batch `token` still holds; how many it holds.
    pub async fn outbox_renew(&self, token: i64, lease_until: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE outbox SET lease_until = $2 WHERE lease_token = $1 AND state = 'sending'",
        )
        .bind(token)
        .bind(lease_until)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Records what became of messages of the batch `token`, in one transaction. A row the batch
    /// no longer holds (taken over after its lease ran out) is left as it is: the other sender's
    /// result stands. Returns how many were recorded.
    pub async fn outbox_settle(&self, token: i64, results: &[Settled], now: i64) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let mut recorded = 0;
        for settled in results {
            // (state, sent_at, response, last_error, next_attempt_at, message_id)
            let (state, sent_at, response, error, next_attempt_at, message_id) = match &settled
                .outcome
            {
                Outcome::Sent {
                    response,
                    message_id,
                } => (
                    "sent",
                    Some(now),
                    Some(response),
                    None,
                    None,
                    message_id.as_ref(),
                ),
                Outcome::Deferred { error, retry_at } => {
                    ("queued", None, None, Some(error), Some(*retry_at), None)
                }
                Outcome::Failed { error } => ("failed", None, None, Some(error), Some(now), None),
            };
            let query = sqlx::query(
                "UPDATE outbox SET lease_until = NULL, lease_token = NULL, state = $3, \
                 sent_at = COALESCE($4, sent_at), response = COALESCE($5, response), last_error = $6, \
                 next_attempt_at = COALESCE($7, next_attempt_at), message_id = COALESCE(message_id, $8) \
                 WHERE id = $1 AND lease_token = $2 AND state = 'sending'",
            )
            .bind(settled.id)
            .bind(token)
            .bind(state)
            .bind(sent_at)
            .bind(response.cloned())
            .bind(error.cloned())
            .bind(next_attempt_at)
            .bind(message_id.cloned());
            recorded += query.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// Whether any message is due (queued and its time come, or left by a sender that stopped);
    /// if so, the send job is queued unless it is queued or running already. The background round
    /// calls this, so that mail queued while the job was finishing is never left waiting.
    pub async fn outbox_poke(&self, now: i64) -> Result<bool> {
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE (state = 'queued' AND next_attempt_at <= $1) OR \
             (state = 'sending' AND (lease_until IS NULL OR lease_until < $1)) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if due.is_none() {
            return Ok(false);
        }
        let mut connection = self.pool.acquire().await?;
        queue_send_job(&mut connection, now).await?;
        Ok(true)
    }

    /// A bounce names the row's `recipient`: failed, whatever its state (a bounce comes after the
    /// message was sent).
    pub async fn outbox_bounced(
        &self,
        id: i64,
        error: &str,
        recipient: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET lease_until = NULL, state = 'failed', last_error = $2, failed_recipient = $3, \
             next_attempt_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(recipient)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Queues a failed message again, at once, with its attempts counted afresh; `false` when it
    /// is not failed.
    pub async fn outbox_retry(&self, id: i64, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query(
            "UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = $2, failed_recipient = NULL \
             WHERE id = $1 AND state = 'failed'",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            queue_send_job(&mut tx, now).await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// The message carrying this Message-ID (what a bounce names).
    pub async fn outbox_by_message_id(&self, message_id: &str) -> Result<Option<OutboxRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE message_id = $1 ORDER BY id LIMIT 1"
        ))
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(outbox_from).transpose()
    }

    /// Queues automatic mail that belongs to no message row (an acknowledgement, a notification):
    /// the raw message made durable first, then its row, once per `dedupe_key`. `false` when mail
    /// under that key was queued before.
    pub async fn queue_mail(
        &self,
        mail: &crate::accounts::AccountMail,
        purpose: &str,
        case_id: Option<i64>,
        dedupe_key: &str,
        now: i64,
    ) -> Result<bool> {
        use sha2::Digest;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_some() {
            return Ok(false);
        }
        let sha = hex::encode(sha2::Sha256::digest(&mail.raw));
        let key = crate::blob::BlobKey::new(crate::blob::BlobKind::Raw, &sha);
        let location = self
            .blobs
            .write_pack(&[(key, mail.raw.as_slice())])
            .await?
            .pop();
        let mut tx = self.write_tx().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE dedupe_key = $1")
            .bind(dedupe_key)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(false);
        }
        queue_system_mail(
            &mut tx,
            mail,
            &sha,
            location.as_ref(),
            purpose,
            case_id,
            Some(dedupe_key),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Rows per state.
    pub async fn outbox_counts(&self) -> Result<Vec<(OutboxState, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                Ok((
                    OutboxState::parse(&state)
                        .ok_or_else(|| Error::Corrupt(format!("outbox state '{state}'")))?,
                    row.try_get("n")?,
                ))
            })
            .collect()
    }
}

/// Records mail that belongs to no message row on a case (account mail, SLA notices) in a
/// transaction: its raw message (already durable in `location`) and its outbox row.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn queue_system_mail(
    connection: &mut sqlx::AnyConnection,
    mail: &crate::accounts::AccountMail,
    sha: &str,
    location: Option<&crate::blob::PackLocation>,
    purpose: &str,
    case_id: Option<i64>,
    dedupe_key: Option<&str>,
    now: i64,
) -> Result<()> {
    let (pack, offset) = match location {
        Some(location) => (
            Some(location.pack.clone()),
            Some(crate::to_i64(location.offset)),
        ),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO raw_messages (sha256, size, stored_at, pack, pack_offset) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha)
    .bind(crate::to_i64(mail.raw.len() as u64))
    .bind(now)
    .bind(pack)
    .bind(offset)
    .execute(&mut *connection)
    .await?;
    let recipients = serde_json::to_string(&mail.recipients)
        .map_err(|error| Error::Corrupt(error.to_string()))?;
    sqlx::query(
        "INSERT INTO outbox (message_row_id, case_id, raw_sha256, purpose, recipients, \
         state, next_attempt_at, created_at, dedupe_key) VALUES (NULL, $1, $2, $3, $4, 'queued', $5, $5, $6)",
    )
    .bind(case_id)
    .bind(sha)
    .bind(purpose)
    .bind(recipients)
    .bind(now)
    .bind(dedupe_key)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
