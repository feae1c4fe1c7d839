//! A case's timeline: emails, notes, status changes, in order.

use case::{EntryKind, MatchedBy, Visibility};
use sqlx::Row;

use crate::{Error, Result, Store};

/// A name and an address as stored for a recipient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredMailbox {
    /// The display name.
    pub name: Option<String>,
    /// The address.
    pub address: Option<String>,
}

/// An attachment of a stored message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentRecord {
    /// The safe file name.
    pub filename: String,
    /// `type/subtype`.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, hex; the blob's address.
    pub sha256: String,
}

/// An email on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Internal row id.
    pub row_id: i64,
    /// The Message-ID, if it had one.
    pub message_id: Option<String>,
    /// SHA-256 of the raw bytes.
    pub raw_sha256: String,
    /// The sender's name.
    pub from_name: Option<String>,
    /// The sender's address.
    pub from_address: Option<String>,
    /// To recipients.
    pub to: Vec<StoredMailbox>,
    /// Cc recipients.
    pub cc: Vec<StoredMailbox>,
    /// The subject.
    pub subject: String,
    /// Send time, microseconds since the epoch (UTC).
    pub sent_at: i64,
    /// The offset the send time was written with, seconds east of UTC.
    pub sent_offset: i32,
    /// The readable body.
    pub body_text: String,
    /// Where quoted history begins in `body_text`, in bytes.
    pub quoted_from: Option<u64>,
    /// How the message found its case.
    pub matched_by: MatchedBy,
    /// Attachments.
    pub attachments: Vec<AttachmentRecord>,
}

/// One entry of a case timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineRecord {
    /// The entry's id: stable, named by `case entry ID`.
    pub id: i64,
    /// The case it is on.
    pub case_id: i64,
    /// Who may read it.
    pub visibility: Visibility,
    /// The customer organization it came from (the case's customer when it was recorded).
    pub org_id: Option<i64>,
    /// What the entry records.
    pub kind: EntryKind,
    /// When, microseconds since the epoch (UTC).
    pub at: i64,
    /// Who, if a person did it.
    pub actor: Option<String>,
    /// Details: note text, status from and to, summary.
    pub data: serde_json::Value,
    /// The email, for email entries.
    pub message: Option<MessageRecord>,
}

/// Where one stored message went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Placement {
    /// SHA-256 of the raw message.
    pub raw_sha256: String,
    /// The case's number.
    pub case: String,
    /// How it was matched.
    pub matched_by: String,
}

/// What changing an entry's visibility did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibilityChanged {
    /// The case the entry is on.
    pub case_id: i64,
    /// Its visibility before.
    pub from: Visibility,
    /// The event recorded, `None` when the entry already had that visibility.
    pub event_entry: Option<i64>,
}

/// A timeline row's own columns, as the aggregate query gives them: id, case, visibility,
/// organization, kind, time, actor, data.
type EntryColumns = (
    i64,
    i64,
    String,
    Option<i64>,
    String,
    i64,
    Option<String>,
    String,
);

/// The columns of the message an entry carries (all `None` for an entry without one): row id,
/// Message-ID, raw, sender's name and address, To and Cc as JSON, subject, sent time and offset,
/// body, where the quote starts, how it was matched.
type MessageColumns = (
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

impl Store {
    /// Makes an entry public or internal and records that as an event on its case.
    pub async fn set_entry_visibility(
        &self,
        entry_id: i64,
        to: Visibility,
        actor: Option<&str>,
        now: i64,
    ) -> Result<VisibilityChanged> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT case_id, visibility FROM timeline WHERE id = $1")
            .bind(entry_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "timeline entry",
                label: entry_id.to_string(),
            })?;
        let case_id: i64 = row.try_get("case_id")?;
        let from: String = row.try_get("visibility")?;
        let from: Visibility = from.parse().map_err(Error::Corrupt)?;
        if from == to {
            return Ok(VisibilityChanged {
                case_id,
                from,
                event_entry: None,
            });
        }
        sqlx::query("UPDATE timeline SET visibility = $1 WHERE id = $2")
            .bind(to.as_str())
            .bind(entry_id)
            .execute(&mut *tx)
            .await?;
        let event = case::Event::VisibilityChange {
            entry: entry_id,
            from,
            to,
        };
        let event_entry = crate::cases::insert_event(&mut tx, case_id, &event, now, actor).await?;
        crate::cases::touch(&mut tx, case_id, now).await?;
        tx.commit().await?;
        Ok(VisibilityChanged {
            case_id,
            from,
            event_entry: Some(event_entry),
        })
    }

    /// The raw message (SHA-256) of a message that carries an attachment with this SHA-256.
    pub async fn raw_with_attachment(&self, sha256: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT m.raw_sha256 FROM attachments a JOIN messages m ON m.id = a.message_row_id \
             WHERE a.sha256 = $1 ORDER BY m.id LIMIT 1",
        )
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every message on a case, with its case: for scoring threading against a known answer.
    pub async fn placements(&self) -> Result<Vec<Placement>> {
        let rows = sqlx::query(
            "SELECT m.raw_sha256, c.number, m.matched_by FROM messages m JOIN cases c ON c.id = m.case_id ORDER BY m.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Placement {
                    raw_sha256: row.try_get("raw_sha256")?,
                    case: row.try_get("number")?,
                    matched_by: row.try_get("matched_by")?,
                })
            })
            .collect()
    }

    /// A case's timeline in time order.
    pub async fn timeline(&self, case_id: i64) -> Result<Vec<TimelineRecord>> {
        self.entries_where("t.case_id = $1", case_id).await
    }

    /// One timeline entry, on whatever case it is.
    pub async fn timeline_entry(&self, entry_id: i64) -> Result<Option<TimelineRecord>> {
        Ok(self.entries_where("t.id = $1", entry_id).await?.pop())
    }

    async fn entries_where(&self, filter: &str, value: i64) -> Result<Vec<TimelineRecord>> {
        let mut connection = self.pool.acquire().await?;
        // The whole timeline comes back as one JSON value, not a row per entry: rows cross from
        // SQLite's worker thread one by one (each a wake-up and a copy of every column), which
        // made a long case page's fetch cost more than building the page itself. Time order
        // (`at`, then id) is restored after parsing.
        let (aggregate, array) = match self.backend {
            crate::Backend::Sqlite => ("json_group_array", "json_array"),
            crate::Backend::Postgres => ("json_agg", "json_build_array"),
        };
        let json: Option<String> = sqlx::query_scalar(&format!(
            "SELECT CAST({aggregate}({array}(\
                 {array}(t.id, t.case_id, t.visibility, t.org_id, t.kind, t.at, t.actor, t.data_json), \
                 {array}(m.id, m.message_id, m.raw_sha256, m.from_name, m.from_address, m.to_json, \
                     m.cc_json, m.subject, m.sent_at, m.sent_offset, m.body_text, m.quoted_from, m.matched_by)\
             )) AS TEXT) \
             FROM timeline t LEFT JOIN messages m ON m.id = t.message_row_id WHERE {filter}",
        ))
        .bind(value)
        .fetch_one(&mut *connection)
        .await?;
        let mut rows: Vec<(EntryColumns, MessageColumns)> =
            serde_json::from_str(json.as_deref().unwrap_or("[]"))
                .map_err(|error| Error::Corrupt(format!("timeline rows as JSON: {error}")))?;
        // Ordered here: an ORDER BY inside the aggregate made SQLite sort every row, bodies
        // and all, through a temporary b-tree.
        rows.sort_by_key(|(entry, _)| (entry.5, entry.0));
        // Every attachment of these entries' messages in one query, not one per message.
        let mut attachments_of: std::collections::HashMap<i64, Vec<AttachmentRecord>> =
            std::collections::HashMap::new();
        if rows.iter().any(|(_, message)| message.0.is_some()) {
            let found = sqlx::query(&format!(
                "SELECT DISTINCT a.id, a.message_row_id, a.filename, a.content_type, a.size, a.sha256 \
                 FROM attachments a JOIN timeline t ON t.message_row_id = a.message_row_id \
                 WHERE {filter} ORDER BY a.id",
            ))
            .bind(value)
            .fetch_all(&mut *connection)
            .await?;
            for row in found {
                attachments_of
                    .entry(row.try_get("message_row_id")?)
                    .or_default()
                    .push(AttachmentRecord {
                        filename: row.try_get("filename")?,
                        content_type: row.try_get("content_type")?,
                        size: crate::to_u64(row.try_get("size")?),
                        sha256: row.try_get("sha256")?,
                    });
            }
        }
        let mut entries = Vec::with_capacity(rows.len());
        for (entry, message) in rows {
            let (id, case_id, visibility, org_id, kind, at, actor, data) = entry;
            let (
                row_id,
                message_id,
                raw_sha256,
                from_name,
                from_address,
                to,
                cc,
                subject,
                sent_at,
                offset,
                body_text,
                quoted_from,
                matched_by,
            ) = message;
            let message = match row_id {
                Some(row_id) => {
                    let missing =
                        |column: &str| Error::Corrupt(format!("message {row_id} has no {column}"));
                    let attachments = attachments_of.get(&row_id).cloned().unwrap_or_default();
                    let to = to.ok_or_else(|| missing("to_json"))?;
                    let cc = cc.ok_or_else(|| missing("cc_json"))?;
                    Some(MessageRecord {
                        row_id,
                        message_id,
                        raw_sha256: raw_sha256.ok_or_else(|| missing("raw_sha256"))?,
                        from_name,
                        from_address,
                        to: serde_json::from_str(&to).map_err(|error| {
                            Error::Corrupt(format!("message {row_id} recipients: {error}"))
                        })?,
                        cc: serde_json::from_str(&cc).map_err(|error| {
                            Error::Corrupt(format!("message {row_id} cc: {error}"))
                        })?,
                        subject: subject.ok_or_else(|| missing("subject"))?,
                        sent_at: sent_at.ok_or_else(|| missing("sent_at"))?,
                        sent_offset: i32::try_from(offset.unwrap_or(0)).unwrap_or(0),
                        body_text: body_text.ok_or_else(|| missing("body_text"))?,
                        quoted_from: quoted_from.map(crate::to_u64),
                        matched_by: matched_by
                            .ok_or_else(|| missing("matched_by"))?
                            .parse()
                            .map_err(Error::Corrupt)?,
                        attachments,
                    })
                }
                None => None,
            };
            entries.push(TimelineRecord {
                id,
                case_id,
                visibility: visibility.parse().map_err(Error::Corrupt)?,
                org_id,
                kind: kind.parse().map_err(Error::Corrupt)?,
                at,
                actor,
                data: serde_json::from_str(&data).map_err(|error| {
                    Error::Corrupt(format!("timeline entry data is not JSON: {error}"))
                })?,
                message,
            });
        }
        Ok(entries)
    }
}
