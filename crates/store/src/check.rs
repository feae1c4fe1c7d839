//! The integrity check: the raw store against the database, orphan blobs, counts.
//! (Attachments are read from their raw messages, so the raw store is all there is to check.)
//!
//! Errors are things that must not happen: a row that names a blob that is
//! not there (a missing pack, a pack too short, a missing file), a blob whose
//! bytes do not hash to its name (with `verify`), counts that do not add up,
//! a database that fails its own check. Orphans (a pack or file that no row
//! names, left when a process died between writing blobs and committing) are
//! reported but are not errors; `remove_orphans` deletes them. It does so
//! under the writer lock, and packs are only written under that lock, so an
//! import in progress never loses the pack it is about to commit.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::blob::{self, BlobKey, BlobKind};
use crate::{Backend, Error, Result, Store};

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Raw messages recorded in the database.
    pub raw_rows: u64,
    /// Pack files found.
    pub packs: u64,
    /// Blob files of their own found (stores written before packs).
    pub blob_files: u64,
    /// Blobs read back and hashed (with `verify`).
    pub verified: u64,
    /// Packs and files no row refers to (left by an interrupted import).
    pub orphan_blobs: Vec<String>,
    /// Orphans deleted (with `remove_orphans`).
    pub removed: Vec<String>,
    /// Problems that must not happen.
    pub errors: Vec<String>,
}

impl CheckReport {
    /// Whether the store is consistent.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// What the check does besides looking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Read every blob back and compare its SHA-256 with its name.
    pub verify: bool,
    /// Delete packs and files that no row refers to.
    pub remove_orphans: bool,
}

impl Store {
    /// Checks the raw store against the database, and the counts.
    pub async fn check(&self, options: CheckOptions) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        // Under the writer lock when orphans are to go: no pack is being written meanwhile.
        let mut tx = if options.remove_orphans {
            self.write_tx().await?
        } else {
            self.pool.begin().await?
        };
        let blobs = blob::named_raw(&mut tx).await?;
        let mut referenced_packs: HashSet<String> = HashSet::new();
        report.raw_rows = blobs.len() as u64;
        for (_, location) in &blobs {
            if let Some(location) = location {
                referenced_packs.insert(location.pack.clone());
            }
        }

        let mut packs: HashMap<String, u64> = HashMap::new();
        let mut files: HashSet<String> = HashSet::new();
        for prefix in ["packs", "raw"] {
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
                if key.starts_with("packs/") {
                    packs.insert(key, meta.size);
                } else {
                    files.insert(key);
                }
            }
        }
        report.packs = packs.len() as u64;
        report.blob_files = files.len() as u64;

        let mut expected_files = HashSet::new();
        for (sha, location) in &blobs {
            let key = BlobKey::new(BlobKind::Raw, sha);
            match location {
                Some(location) => match packs.get(&location.pack) {
                    None => report.errors.push(format!(
                        "the database puts blob {} in pack {}, which is not in the blob store",
                        key.as_str(),
                        location.pack
                    )),
                    Some(size) if location.offset + location.size > *size => {
                        report.errors.push(format!(
                            "the database puts blob {} at bytes {}..{} of pack {}, which has only {size} bytes",
                            key.as_str(),
                            location.offset,
                            location.offset + location.size,
                            location.pack
                        ))
                    }
                    Some(_) => {}
                },
                None => {
                    if !files.contains(key.as_str()) {
                        report.errors.push(format!(
                            "the database refers to blob {}, which is not in the blob store",
                            key.as_str()
                        ));
                    }
                    expected_files.insert(key.as_str().to_string());
                }
            }
        }
        let mut orphans: Vec<String> = packs
            .keys()
            .filter(|pack| !referenced_packs.contains(*pack))
            .chain(files.iter().filter(|file| !expected_files.contains(*file)))
            .cloned()
            .collect();
        orphans.sort();
        if options.remove_orphans {
            for orphan in &orphans {
                self.blobs.remove(orphan).await?;
                report.removed.push(orphan.clone());
            }
        } else {
            report.orphan_blobs = orphans;
        }
        tx.commit().await?;

        if options.verify {
            for (sha, location) in &blobs {
                let key = BlobKey::new(BlobKind::Raw, sha);
                if report
                    .errors
                    .iter()
                    .any(|error| error.contains(key.as_str()))
                {
                    continue;
                }
                let bytes = self.blobs.read(&key, location.as_ref()).await?;
                let actual = hex::encode(Sha256::digest(&bytes));
                if &actual != sha {
                    report.errors.push(format!(
                        "blob {} reads back with SHA-256 {actual}: its bytes are damaged",
                        key.as_str()
                    ));
                }
                report.verified += 1;
            }
        }

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
        // The queue's counts, kept by triggers, against a count of the cases themselves.
        let drifted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ( \
                 SELECT COALESCE(customer_org_id, 0) AS org_key, status, COUNT(*) AS n FROM cases \
                 WHERE merged_into IS NULL GROUP BY COALESCE(customer_org_id, 0), status \
             ) actual FULL OUTER JOIN (SELECT org_key, status, n FROM case_counts WHERE n <> 0) kept \
             ON kept.org_key = actual.org_key AND kept.status = actual.status \
             WHERE actual.n IS NULL OR kept.n IS NULL OR actual.n <> kept.n",
        )
        .fetch_one(&self.pool)
        .await?;
        if drifted > 0 {
            report.errors.push(format!(
                "the queue's counts differ from the cases in {drifted} (organization, status) pairs"
            ));
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
