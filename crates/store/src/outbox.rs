//! The outbox: every message Casebook writes, queued in the transaction that stored it.
//!
//! A reply is stored raw and recorded on its case first; its outbox row is written in the same
//! transaction, so a crash leaves either both or neither. The sender (the mail issue's job)
//! takes rows in `queued` state; until then the case page shows the reply as queued. Account mail
//! (invitations, password resets) waits here too, with no message row (see [`crate::accounts`]).

use sqlx::Row;

use crate::{Error, Result, Store};

/// Where an outgoing message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent.
    Queued,
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
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<OutboxState> {
        [OutboxState::Queued, OutboxState::Sent, OutboxState::Failed]
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

    /// Outgoing messages in a state, oldest first.
    pub async fn outbox(&self, state: OutboxState, limit: u32) -> Result<Vec<OutboxRecord>> {
        let rows = sqlx::query(
            "SELECT id, message_row_id, case_id, raw_sha256, purpose, recipients, state, attempts, created_at \
             FROM outbox WHERE state = $1 ORDER BY id LIMIT $2",
        )
        .bind(state.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let recipients: String = row.try_get("recipients")?;
                Ok(OutboxRecord {
                    id: row.try_get("id")?,
                    message_row_id: row.try_get("message_row_id")?,
                    purpose: row.try_get("purpose")?,
                    case_id: row.try_get("case_id")?,
                    raw_sha256: row.try_get("raw_sha256")?,
                    recipients: serde_json::from_str(&recipients)
                        .map_err(|error| Error::Corrupt(format!("outbox recipients: {error}")))?,
                    state,
                    attempts: row.try_get("attempts")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

/// Records mail that belongs to no message row on a case (account mail, SLA notices) in a
/// transaction: its raw message (already durable in `location`) and its outbox row.
pub(crate) async fn queue_system_mail(
    connection: &mut sqlx::AnyConnection,
    mail: &crate::accounts::AccountMail,
    sha: &str,
    location: Option<&crate::blob::PackLocation>,
    purpose: &str,
    case_id: Option<i64>,
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
         state, next_attempt_at, created_at) VALUES (NULL, $1, $2, $3, $4, 'queued', $5, $5)",
    )
    .bind(case_id)
    .bind(sha)
    .bind(purpose)
    .bind(recipients)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
