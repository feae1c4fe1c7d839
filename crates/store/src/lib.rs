//! Casebook's storage: all SQL, for SQLite and PostgreSQL, and the blob store.
//!
//! [`Store`] hides which database it talks to. Both backends run the same
//! SQL text through sqlx's `Any` driver (placeholders are `$1`, which both
//! accept); where they differ (schema types, sequences, the writer lock)
//! [`Backend`] picks the dialect. Migrations live in `migrations/sqlite/`
//! and `migrations/postgres/`, one file per version for each.
//!
//! Raw messages and attachments live in the [`blob::BlobStore`],
//! content-addressed by SHA-256 and fsynced before the database commit that
//! references them.
//!
//! Times are passed in by callers as microseconds since the epoch, UTC;
//! SQL never calls `now()` for a domain time. Public methods are grouped by
//! aggregate: [`orgs`], [`cases`], [`timeline`], [`quarantine`], [`ingest`],
//! [`stats`], [`users`] (sign-in: users, sessions, tokens, the admin log), [`sla`] (policies,
//! clocks, firings) and [`jobs`] (the durable job queue and named leases).

pub mod accounts;
pub mod backup;
pub mod blob;
pub mod bulk;
pub mod cases;
pub mod check;
mod error;
pub mod ingest;
pub mod jobs;
pub mod live;
pub mod mail;
mod migrate;
pub mod orgs;
pub mod outbox;
pub mod quarantine;
pub mod queue;
pub mod sla;
pub mod stats;
pub mod timeline;
pub mod users;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use error::{Conflict, Error, Result};

/// Where the store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The data directory: the SQLite file and the blobs live under it.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; `None` for SQLite in the data directory.
    pub database_url: Option<String>,
    /// Most connections in the pool.
    pub max_connections: u32,
}

impl StoreConfig {
    /// SQLite and blobs under `data_dir`.
    pub fn in_dir(data_dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            data_dir: data_dir.into(),
            database_url: None,
            max_connections: 4,
        }
    }

    /// Checks the configuration and returns every problem at once.
    pub fn validate(&self) -> std::result::Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Some(url) = &self.database_url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                problems.push(format!(
                    "database url '{}' is not a postgres:// url; unset CASEBOOK_DATABASE_URL to use SQLite in the data directory",
                    redact_url(url)
                ));
            }
        }
        if self.max_connections == 0 {
            problems.push("max_connections must be at least 1".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// A url with its password replaced, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Refreshes the query planner's statistics where they are missing or stale (SQLite's
    /// `PRAGMA optimize`, with a bounded sample; PostgreSQL's autovacuum does this by itself).
    /// Without them SQLite answers a queue filtered by several statuses from the status index and
    /// a sort (tens of milliseconds at 100,000 cases) instead of the ordered index. A server calls
    /// it when it starts; it writes, so a short command does not.
    pub async fn refresh_planner_statistics(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002;")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a file in the data directory (the default).
    Sqlite,
    /// PostgreSQL, shared by several instances.
    Postgres,
}

/// The store: one database and one blob store.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    blobs: blob::BlobStore,
    /// The PostgreSQL URL, for the live feed's LISTEN connection.
    database_url: Option<String>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: only its redacted form is shown.
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .finish_non_exhaustive()
    }
}

/// Whether opening a store may create one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the data directory and the database when they are missing (commands that add data).
    Create,
    /// Refuse a data directory or database that holds no Casebook store (commands that read or change
    /// what is there), so a mistyped `--data-dir` is not an empty helpdesk.
    Existing,
}

impl Store {
    /// Opens (and creates, and migrates) the store.
    pub async fn open(config: &StoreConfig) -> Result<Store> {
        Store::open_with(config, OpenMode::Create).await
    }

    /// Opens the store, creating it only when `mode` allows, and migrates it.
    pub async fn open_with(config: &StoreConfig, mode: OpenMode) -> Result<Store> {
        Store::open_migrated_to(config, mode, i64::MAX).await
    }

    /// Opens the store with the migrations up to `version` applied (tests of a migration start
    /// from the schema before it).
    pub(crate) async fn open_migrated_to(
        config: &StoreConfig,
        mode: OpenMode,
        version: i64,
    ) -> Result<Store> {
        sqlx::any::install_default_drivers();
        config
            .validate()
            .map_err(|problems| Error::Config(problems.join("; ")))?;
        if config.data_dir.exists() && !config.data_dir.is_dir() {
            return Err(Error::NotADirectory {
                path: config.data_dir.clone(),
            });
        }
        let sqlite_path = config.data_dir.join("casebook.db");
        let missing = match config.database_url {
            None => !sqlite_path.is_file(),
            // The data directory holds the blobs beside a shared database.
            Some(_) => !config.data_dir.is_dir(),
        };
        if mode == OpenMode::Existing && missing {
            return Err(Error::NoStore {
                place: config.data_dir.display().to_string(),
            });
        }
        std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::Io {
            path: config.data_dir.clone(),
            source,
        })?;
        let (url, backend) = match &config.database_url {
            Some(url) => (url.clone(), Backend::Postgres),
            None => (
                format!("sqlite://{}?mode=rwc", sqlite_path.display()),
                Backend::Sqlite,
            ),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|source| Error::Connect {
            url: redact_url(&url),
            source,
        })?;
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // The busy timeout comes first: switching to WAL needs a lock that another process may hold.
                        // A 64 MiB page cache (the default is 2 MiB) keeps an import's index pages in memory.
                        connection
                            .execute(
                                "PRAGMA busy_timeout = 60000; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;",
                            )
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| Error::Connect {
                url: redact_url(&url),
                source,
            })?;
        let blobs = blob::BlobStore::local(config.data_dir.join("blobs"))?;
        let store = Store {
            pool,
            backend,
            blobs,
            database_url: config.database_url.clone(),
        };
        if mode == OpenMode::Existing && !migrate::has_schema(&store).await? {
            store.pool.close().await;
            return Err(Error::NoStore {
                place: match &config.database_url {
                    Some(url) => redact_url(url),
                    None => config.data_dir.display().to_string(),
                },
            });
        }
        migrate::run_to(&store, version).await?;
        Ok(store)
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction holding the writer lock.
    ///
    /// Every write that reads before it writes takes this lock first, so two
    /// processes (or two instances on one PostgreSQL) never decide on the
    /// same facts at once. On SQLite it is the database's own write lock,
    /// taken at once rather than on the first write; on PostgreSQL a
    /// transaction-level advisory lock.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        match self.backend {
            Backend::Sqlite => {
                sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'writer_lock'")
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query("SELECT pg_advisory_xact_lock(7291)")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(tx)
    }

    /// The next value of a named sequence (`case_seq`, `token_seq`), inside a write transaction.
    pub(crate) async fn next_seq(&self, tx: &mut sqlx::AnyConnection, name: &str) -> Result<u64> {
        let value: i64 = match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(
                    "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value",
                )
                .bind(name)
                .fetch_one(&mut *tx)
                .await?
            }
            Backend::Postgres => {
                sqlx::query_scalar(&format!("SELECT nextval('{name}')"))
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        u64::try_from(value)
            .map_err(|_| Error::Corrupt(format!("sequence {name} is negative: {value}")))
    }
}

/// Converts a count or size from the database, which stores them as signed integers.
pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Converts a count or size to the database's signed integers.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://casebook:secret@db:5432/casebook"),
            "postgres://casebook:***@db:5432/casebook"
        );
        assert_eq!(
            redact_url("postgres://db/casebook"),
            "postgres://db/casebook"
        );
    }

    #[test]
    fn config_problems_are_reported_together() {
        let config = StoreConfig {
            database_url: Some("mysql://x".into()),
            max_connections: 0,
            ..StoreConfig::in_dir("x")
        };
        assert_eq!(config.validate().unwrap_err().len(), 2);
    }
}
