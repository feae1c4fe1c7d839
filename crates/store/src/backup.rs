//! Backup and restore: a consistent snapshot of the database and the blobs, portable between backends.
//!
//! A backup reads every table in one read transaction (a WAL snapshot on
//! SQLite, REPEATABLE READ on PostgreSQL), so it is consistent while imports
//! or a server keep writing, and writes each table as JSON Lines under
//! `db/`, the sequences and counts in `manifest.json`, and every blob the
//! snapshot names under `blobs/`, a file per blob (whether the store keeps
//! them in packs or not). Blobs are content-addressed and never deleted, so
//! copying them after the snapshot is still consistent.
//!
//! A restore goes into an empty store of either backend: rows keep their
//! ids, sequences are set past them, blobs are written durably into packs
//! first and the rows say where they now lie.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::{Column, Row};

use crate::blob::{self, BlobKey, BlobKind, PackLocation};
use crate::{Backend, Error, Result, Store};

/// The backup format's version.
const FORMAT: u32 = 1;

/// Tables in an order that satisfies their foreign keys, with the columns
/// that point within the same table (set in a second pass).
const TABLES: &[(&str, &[&str])] = &[
    ("organizations", &[]),
    ("org_domains", &[]),
    ("people", &["merged_into"]),
    ("person_names", &[]),
    ("person_addresses", &[]),
    ("cases", &["split_from", "merged_into"]),
    ("case_labels", &[]),
    ("case_participants", &[]),
    ("raw_messages", &[]),
    ("messages", &[]),
    ("attachments", &[]),
    ("timeline", &[]),
    ("quarantine", &[]),
    // Sessions, sign-in attempts and challenges are not kept: after a restore everyone signs in
    // again (with their second factor: its secret is the user's, its recovery codes are kept).
    ("users", &[]),
    ("recovery_codes", &[]),
    ("api_tokens", &[]),
    ("one_time_links", &[]),
    ("admin_log", &[]),
    ("case_tags", &[]),
    ("saved_views", &[]),
    ("outbox", &[]),
    // SLA: the policies, imported calendar days and what fired (so that nothing fires twice after
    // a restore). The clocks themselves are folded again from the timeline; queued jobs are not kept.
    ("sla_policies", &[]),
    ("calendar_days", &[]),
    ("sla_events", &[]),
    // Mail: who bounces, and where each polled mailbox got to. A restored outbox row still to be
    // sent gets its job again from the outbox's trigger.
    ("bouncing_addresses", &[]),
    ("mailboxes", &[]),
];

/// Tables whose `id` comes from an identity column on PostgreSQL.
const IDENTITY_TABLES: &[&str] = &[
    "organizations",
    "people",
    "cases",
    "messages",
    "attachments",
    "timeline",
    "quarantine",
    "users",
    "recovery_codes",
    "api_tokens",
    "one_time_links",
    "admin_log",
    "saved_views",
    "outbox",
    "sla_events",
];

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The backup format's version.
    pub format: u32,
    /// The newest schema migration of the source.
    pub schema_version: i64,
    /// The source backend: `sqlite` or `postgres`.
    pub source: String,
    /// Rows per table.
    pub rows: Vec<(String, u64)>,
    /// Blobs copied.
    pub blobs: u64,
    /// Sequence values: `case_seq`, `token_seq`.
    pub sequences: Vec<(String, i64)>,
    /// Arrival counters: `received`, `duplicates`.
    pub counters: Vec<(String, i64)>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn value_of(row: &sqlx::any::AnyRow, index: usize) -> Result<serde_json::Value> {
    if let Ok(value) = row.try_get::<Option<i64>, _>(index) {
        return Ok(value.map_or(serde_json::Value::Null, serde_json::Value::from));
    }
    let text: Option<String> = row.try_get(index)?;
    Ok(text.map_or(serde_json::Value::Null, serde_json::Value::from))
}

impl Store {
    /// Writes a consistent backup into `dest`, which must not exist or be empty.
    pub async fn backup(&self, dest: &Path) -> Result<Manifest> {
        if dest.exists() && std::fs::read_dir(dest).map_err(io(dest))?.next().is_some() {
            return Err(Error::conflict(
                "backup_folder_not_empty",
                &[("path", &dest.display())],
            ));
        }
        std::fs::create_dir_all(dest.join("db")).map_err(io(dest))?;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let schema_version: i64 = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await?;
        let mut rows = Vec::new();
        for (table, _) in TABLES {
            let path = dest.join("db").join(format!("{table}.jsonl"));
            let mut out = BufWriter::new(std::fs::File::create(&path).map_err(io(&path))?);
            let records = sqlx::query(&format!("SELECT * FROM {table}"))
                .fetch_all(&mut *tx)
                .await?;
            for record in &records {
                let mut object = serde_json::Map::new();
                for (index, column) in record.columns().iter().enumerate() {
                    object.insert(column.name().to_string(), value_of(record, index)?);
                }
                serde_json::to_writer(&mut out, &object)
                    .map_err(|error| Error::Corrupt(error.to_string()))?;
                out.write_all(b"\n").map_err(io(&path))?;
            }
            out.into_inner()
                .map_err(|error| Error::Io {
                    path: path.clone(),
                    source: error.into_error(),
                })?
                .sync_all()
                .map_err(io(&path))?;
            rows.push((table.to_string(), records.len() as u64));
        }
        let sequences = match self.backend {
            Backend::Sqlite => {
                sqlx::query_as::<_, (String, i64)>("SELECT name, value FROM counters WHERE name IN ('case_seq', 'token_seq') ORDER BY name")
                    .fetch_all(&mut *tx)
                    .await?
            }
            Backend::Postgres => {
                let mut values = Vec::new();
                for name in ["case_seq", "token_seq"] {
                    let (last, called): (i64, bool) = sqlx::query_as(&format!("SELECT last_value, is_called FROM {name}")).fetch_one(&mut *tx).await?;
                    values.push((name.to_string(), if called { last } else { 0 }));
                }
                values
            }
        };
        let counters = sqlx::query_as::<_, (String, i64)>("SELECT name, value FROM counters WHERE name IN ('received', 'duplicates') ORDER BY name")
            .fetch_all(&mut *tx)
            .await?;
        // Where each blob lies, read in the same snapshot.
        let named = blob::named_raw(&mut tx).await?;
        tx.commit().await?;

        let mut blobs = 0;
        for (sha, location) in named {
            let key = BlobKey::new(BlobKind::Raw, &sha);
            let bytes = self.blobs.read(&key, location.as_ref()).await?;
            let path = dest.join("blobs").join(key.as_str());
            std::fs::create_dir_all(path.parent().unwrap_or(dest)).map_err(io(&path))?;
            std::fs::write(&path, bytes).map_err(io(&path))?;
            blobs += 1;
        }
        let manifest = Manifest {
            format: FORMAT,
            schema_version,
            source: match self.backend {
                Backend::Sqlite => "sqlite".into(),
                Backend::Postgres => "postgres".into(),
            },
            rows,
            blobs,
            sequences,
            counters,
        };
        let path = dest.join("manifest.json");
        let text = serde_json::to_vec_pretty(&manifest)
            .map_err(|error| Error::Corrupt(error.to_string()))?;
        std::fs::write(&path, text).map_err(io(&path))?;
        let handle = std::fs::File::open(dest).map_err(io(dest))?;
        rustix::fs::syncfs(&handle).map_err(|errno| Error::Io {
            path: dest.to_path_buf(),
            source: errno.into(),
        })?;
        Ok(manifest)
    }

    /// Restores a backup into this store, which must be empty.
    pub async fn restore(&self, src: &Path) -> Result<Manifest> {
        let path = src.join("manifest.json");
        let manifest: Manifest = serde_json::from_slice(&std::fs::read(&path).map_err(io(&path))?)
            .map_err(|error| Error::Corrupt(format!("{}: {error}", path.display())))?;
        if manifest.format != FORMAT {
            return Err(Error::conflict(
                "backup_format_unsupported",
                &[("found", &manifest.format), ("known", &FORMAT)],
            ));
        }
        let current: i64 = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await?;
        if manifest.schema_version != current {
            return Err(Error::conflict(
                "backup_schema_differs",
                &[("found", &manifest.schema_version), ("known", &current)],
            ));
        }
        let used: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM cases) + (SELECT COUNT(*) FROM raw_messages) + (SELECT COUNT(*) FROM organizations) + (SELECT COUNT(*) FROM people)")
            .fetch_one(&self.pool)
            .await?;
        if used > 0 {
            return Err(Error::conflict("restore_target_not_empty", &[]));
        }

        // Packs are written under the writer lock (see `check`), and before the rows that name them.
        let mut tx = self.write_tx().await?;
        let root = src.join("blobs");
        // Where each raw message now lies, by SHA-256.
        let mut locations: HashMap<String, PackLocation> = HashMap::new();
        let mut files = Vec::new();
        collect_files(&root.join("raw"), &mut files)?;
        for chunk in files.chunks(256) {
            let mut loaded = Vec::with_capacity(chunk.len());
            for file in chunk {
                let sha = file
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or_default()
                    .to_string();
                loaded.push((sha, std::fs::read(file).map_err(io(file))?));
            }
            let keyed: Vec<(BlobKey, &[u8])> = loaded
                .iter()
                .map(|(sha, bytes)| (BlobKey::new(BlobKind::Raw, sha), bytes.as_slice()))
                .collect();
            let written = self.blobs.write_pack(&keyed).await?;
            for ((sha, _), location) in loaded.into_iter().zip(written) {
                locations.insert(sha, location);
            }
        }

        for (table, deferred) in TABLES {
            let path = src.join("db").join(format!("{table}.jsonl"));
            let file = std::fs::File::open(&path).map_err(io(&path))?;
            let integer_columns = self.integer_columns(&mut tx, table).await?;
            let mut second_pass = Vec::new();
            for line in std::io::BufReader::new(file).lines() {
                let line = line.map_err(io(&path))?;
                let mut record: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&line)
                        .map_err(|error| Error::Corrupt(format!("{}: {error}", path.display())))?;
                if *table == "raw_messages" {
                    // The blob lies where this restore put it, not where the source had it.
                    let sha = record
                        .get("sha256")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string();
                    let location = locations.get(&sha).ok_or_else(|| {
                        Error::Corrupt(format!("the backup has no blob for raw message {sha}"))
                    })?;
                    record.insert("pack".into(), location.pack.clone().into());
                    record.insert("pack_offset".into(), location.offset.into());
                }
                let columns: Vec<&String> = record.keys().collect();
                let placeholders: Vec<String> =
                    (1..=columns.len()).map(|n| format!("${n}")).collect();
                let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
                let sql = format!(
                    "INSERT INTO {table} ({}) VALUES ({})",
                    names.join(", "),
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for column in &columns {
                    let value = if deferred.contains(&column.as_str()) {
                        &serde_json::Value::Null
                    } else {
                        &record[column.as_str()]
                    };
                    query = match value {
                        serde_json::Value::Number(number) => query.bind(number.as_i64()),
                        serde_json::Value::String(text) => query.bind(text.clone()),
                        // A NULL must carry its column's type: PostgreSQL refuses text NULLs in BIGINT columns.
                        _ if integer_columns.iter().any(|name| name == column.as_str()) => {
                            query.bind(None::<i64>)
                        }
                        _ => query.bind(None::<String>),
                    };
                }
                query.execute(&mut *tx).await?;
                for column in deferred.iter() {
                    if let (Some(target), Some(id)) = (
                        record.get(*column).and_then(|v| v.as_i64()),
                        record.get("id").and_then(|v| v.as_i64()),
                    ) {
                        second_pass.push((*column, id, target));
                    }
                }
            }
            for (column, id, target) in second_pass {
                sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
                    .bind(target)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for (name, value) in &manifest.counters {
            sqlx::query("UPDATE counters SET value = $1 WHERE name = $2")
                .bind(value)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        for (name, value) in &manifest.sequences {
            match self.backend {
                Backend::Sqlite => {
                    sqlx::query("UPDATE counters SET value = $1 WHERE name = $2")
                        .bind(value)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                }
                Backend::Postgres => {
                    if *value > 0 {
                        sqlx::query(&format!("SELECT setval('{name}', {value})"))
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
        }
        if self.backend == Backend::Postgres {
            for table in IDENTITY_TABLES {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(manifest)
    }
}

impl Store {
    /// The names of a table's integer columns in this store's schema.
    async fn integer_columns(
        &self,
        tx: &mut sqlx::AnyConnection,
        table: &str,
    ) -> Result<Vec<String>> {
        let pairs: Vec<(String, String)> = match self.backend {
            Backend::Sqlite => sqlx::query_as(&format!("SELECT name, type FROM pragma_table_info('{table}')")).fetch_all(&mut *tx).await?,
            Backend::Postgres => {
                sqlx::query_as("SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = $1")
                    .bind(table)
                    .fetch_all(&mut *tx)
                    .await?
            }
        };
        Ok(pairs
            .into_iter()
            .filter(|(_, kind)| kind.to_ascii_lowercase().contains("int"))
            .map(|(name, _)| name)
            .collect())
    }
}

fn collect_files(folder: &Path, files: &mut Vec<std::path::PathBuf>) -> Result<()> {
    if !folder.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(folder).map_err(io(folder))? {
        let path = entry.map_err(io(folder))?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
