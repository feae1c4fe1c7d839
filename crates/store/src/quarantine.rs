//! Quarantine: messages that could not be read or matched, kept for a person to decide.

use sqlx::{AnyConnection, Row};

use crate::{Result, Store};

/// A quarantined message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineRecord {
    /// Internal id, used by `quarantine show/attach/release`.
    pub id: i64,
    /// SHA-256 of the raw bytes.
    pub raw_sha256: String,
    /// A stable code for the reason (`unreadable`, `not_a_participant`, `unknown_sender`, `message_id_collision`, …).
    pub reason_code: String,
    /// The reason in words, with the values involved.
    pub reason: String,
    /// The sender's address, if one could be read.
    pub from_address: Option<String>,
    /// The subject, if one could be read.
    pub subject: Option<String>,
    /// The Message-ID, if one could be read.
    pub message_id: Option<String>,
    /// Where it came from (a file, an mbox and position, …).
    pub origin: String,
    /// When it arrived, microseconds since the epoch (UTC).
    pub received_at: i64,
    /// When a person decided, if they have.
    pub resolved_at: Option<i64>,
    /// What they decided (`attached`, `released`, `dismissed`).
    pub resolution: Option<String>,
    /// Why they dismissed it, if they said.
    pub note: Option<String>,
    /// The case it went to, if any.
    pub case_number: Option<String>,
}

const COLUMNS: &str = "q.id, q.raw_sha256, q.reason_code, q.reason, q.from_address, q.subject, q.message_id, q.origin, \
q.received_at, q.resolved_at, q.resolution, q.note, c.number AS case_number FROM quarantine q LEFT JOIN cases c ON c.id = q.case_id";

fn record(row: &sqlx::any::AnyRow) -> Result<QuarantineRecord> {
    Ok(QuarantineRecord {
        id: row.try_get("id")?,
        raw_sha256: row.try_get("raw_sha256")?,
        reason_code: row.try_get("reason_code")?,
        reason: row.try_get("reason")?,
        from_address: row.try_get("from_address")?,
        subject: row.try_get("subject")?,
        message_id: row.try_get("message_id")?,
        origin: row.try_get("origin")?,
        received_at: row.try_get("received_at")?,
        resolved_at: row.try_get("resolved_at")?,
        resolution: row.try_get("resolution")?,
        note: row.try_get("note")?,
        case_number: row.try_get("case_number")?,
    })
}

impl Store {
    /// Quarantined messages, oldest first; resolved ones only when asked.
    pub async fn list_quarantine(&self, include_resolved: bool) -> Result<Vec<QuarantineRecord>> {
        let filter = if include_resolved {
            ""
        } else {
            "WHERE q.resolved_at IS NULL"
        };
        let rows = sqlx::query(&format!("SELECT {COLUMNS} {filter} ORDER BY q.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    /// Closes an open entry as `dismissed`: it and its raw bytes stay, and it keeps counting as quarantined.
    pub async fn dismiss_quarantine(
        &self,
        id: i64,
        reason: Option<&str>,
        now: i64,
    ) -> Result<QuarantineRecord> {
        let mut tx = self.write_tx().await?;
        let current = entry(&mut tx, id)
            .await?
            .ok_or_else(|| crate::Error::NotFound {
                what: "quarantine entry",
                label: id.to_string(),
            })?;
        if let Some(resolution) = &current.resolution {
            return Err(crate::Error::conflict(
                "quarantine_decided",
                &[("id", &id), ("resolution", resolution)],
            ));
        }
        sqlx::query(
            "UPDATE quarantine SET resolved_at = $1, resolution = 'dismissed', note = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let record = entry(&mut tx, id)
            .await?
            .ok_or_else(|| crate::Error::NotFound {
                what: "quarantine entry",
                label: id.to_string(),
            })?;
        tx.commit().await?;
        Ok(record)
    }

    /// One quarantine entry.
    pub async fn quarantine_entry(&self, id: i64) -> Result<Option<QuarantineRecord>> {
        let mut connection = self.pool.acquire().await?;
        entry(&mut connection, id).await
    }
}

pub(crate) async fn entry(
    connection: &mut AnyConnection,
    id: i64,
) -> Result<Option<QuarantineRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} WHERE q.id = $1"))
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    row.as_ref().map(record).transpose()
}
