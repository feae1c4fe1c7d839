//! Counts that account for every arrival.

use sqlx::Row;

use crate::{Result, Store};

/// What the store holds. `received = messages + quarantined + duplicates` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Arrivals, duplicates included.
    pub received: u64,
    /// Messages on cases.
    pub messages: u64,
    /// Messages kept in quarantine: waiting for a person, or dismissed by one.
    pub quarantined: u64,
    /// Arrivals that were already known.
    pub duplicates: u64,
    /// Cases, merged ones excluded.
    pub cases: u64,
    /// Distinct raw messages stored.
    pub raw_messages: u64,
    /// Quarantine entries a person has decided (attached, released or dismissed).
    pub quarantine_resolved: u64,
    /// Quarantine entries a person dismissed (counted in `quarantined` too: they never reached a case).
    pub quarantine_dismissed: u64,
    /// Messages Casebook wrote (replies), queued or sent; not counted in `messages`.
    pub sent: u64,
    /// Of those, the ones still waiting in the outbox.
    pub outbox_queued: u64,
}

impl Store {
    /// Counts, read in one transaction so they agree with each other.
    pub async fn stats(&self) -> Result<Stats> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT \
             (SELECT value FROM counters WHERE name = 'received') AS received, \
             (SELECT value FROM counters WHERE name = 'duplicates') AS duplicates, \
             (SELECT COUNT(*) FROM messages WHERE id NOT IN (SELECT message_row_id FROM outbox WHERE message_row_id IS NOT NULL)) AS messages, \
             (SELECT COUNT(*) FROM outbox) AS sent, \
             (SELECT COUNT(*) FROM outbox WHERE state = 'queued') AS outbox_queued, \
             (SELECT COUNT(*) FROM quarantine WHERE resolved_at IS NULL OR resolution = 'dismissed') AS quarantined, \
             (SELECT COUNT(*) FROM quarantine WHERE resolution = 'dismissed') AS quarantine_dismissed, \
             (SELECT COUNT(*) FROM quarantine WHERE resolved_at IS NOT NULL) AS quarantine_resolved, \
             (SELECT COUNT(*) FROM cases WHERE merged_into IS NULL) AS cases, \
             (SELECT COUNT(*) FROM raw_messages) AS raw_messages",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let count = |name: &str| -> Result<u64> { Ok(crate::to_u64(row.try_get::<i64, _>(name)?)) };
        Ok(Stats {
            received: count("received")?,
            messages: count("messages")?,
            quarantined: count("quarantined")?,
            duplicates: count("duplicates")?,
            cases: count("cases")?,
            raw_messages: count("raw_messages")?,
            quarantine_resolved: count("quarantine_resolved")?,
            quarantine_dismissed: count("quarantine_dismissed")?,
            sent: count("sent")?,
            outbox_queued: count("outbox_queued")?,
        })
    }
}
