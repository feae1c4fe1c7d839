//! The integrity check: the raw store against the database, orphan files, counts.
//!
//! Errors are things that must not happen: a row that names a blob that is
//! not there, counts that do not add up, a database that fails its own
//! check. Orphan blobs (stored, then the process died before the commit that
//! would have referenced them) are reported but are not errors: importing
//! the same mail again adopts them.

use std::collections::HashSet;

use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use serde::Serialize;

use crate::blob::{BlobKey, BlobKind};
use crate::{Backend, Error, Result, Store};

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Raw messages recorded in the database.
    pub raw_rows: u64,
    /// Attachments recorded in the database.
    pub attachment_rows: u64,
    /// Blob files found.
    pub blob_files: u64,
    /// Blob files no row refers to (left by an interrupted import).
    pub orphan_blobs: Vec<String>,
    /// Problems that must not happen.
    pub errors: Vec<String>,
}

impl CheckReport {
    /// Whether the store is consistent.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl Store {
    /// Checks the raw store against the database, and the counts.
    pub async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let raw: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM raw_messages")
            .fetch_all(&self.pool)
            .await?;
        let attachments: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments")
                .fetch_all(&self.pool)
                .await?;
        report.raw_rows = raw.len() as u64;
        report.attachment_rows = attachments.len() as u64;
        let mut expected: HashSet<String> = raw
            .iter()
            .map(|sha| BlobKey::new(BlobKind::Raw, sha).as_str().to_string())
            .collect();
        expected.extend(
            attachments
                .iter()
                .map(|sha| BlobKey::new(BlobKind::Attachment, sha).as_str().to_string()),
        );

        let mut found = HashSet::new();
        for prefix in ["raw", "att"] {
            let prefix = ObjectPath::from(prefix);
            let mut listing = self.blobs.inner().list(Some(&prefix));
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(|source| Error::Blob {
                    key: prefix.to_string(),
                    source,
                })?;
                let key = meta.location.to_string();
                // Temporary files of a write that was interrupted are not blobs.
                if key
                    .rsplit('/')
                    .next()
                    .is_some_and(|name| name.starts_with('.'))
                {
                    continue;
                }
                found.insert(key);
            }
        }
        report.blob_files = found.len() as u64;
        let mut missing: Vec<&String> = expected.difference(&found).collect();
        missing.sort();
        for key in missing {
            report.errors.push(format!(
                "the database refers to blob {key}, which is not in the blob store"
            ));
        }
        let mut orphans: Vec<String> = found.difference(&expected).cloned().collect();
        orphans.sort();
        report.orphan_blobs = orphans;

        let stats = self.stats().await?;
        if stats.received != stats.messages + stats.quarantined + stats.duplicates {
            report.errors.push(format!(
                "counts do not add up: received {} != messages {} + quarantined {} + duplicates {}",
                stats.received, stats.messages, stats.quarantined, stats.duplicates
            ));
        }
        let unreferenced: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM timeline t WHERE t.message_row_id = m.id)",
        )
        .fetch_one(&self.pool)
        .await?;
        if unreferenced > 0 {
            report
                .errors
                .push(format!("{unreferenced} messages have no timeline entry"));
        }
        if self.backend == Backend::Sqlite {
            let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&self.pool)
                .await?;
            if verdict != "ok" {
                report
                    .errors
                    .push(format!("SQLite integrity check: {verdict}"));
            }
        }
        Ok(report)
    }
}
