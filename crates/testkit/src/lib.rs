//! Casebook's test harness: both storage backends for every storage test, and the shared test data.
//!
//! [`backend_tests!`] turns each `async fn name(db: TestDb)` into two tests,
//! one on SQLite in a temp dir and one on a fresh database in a throwaway
//! PostgreSQL cluster ([`pg`]). No test depends on a server someone left
//! running, on another test, or on an environment variable that picks the
//! backend.
//!
//! A dev-dependency only.

#![allow(missing_docs)]

pub mod child;
pub mod dns;
pub mod mail;
pub mod pg;

use std::path::PathBuf;

/// A place for one test's data: a temp dir, and a PostgreSQL url when the test runs on PostgreSQL.
pub struct TestDb {
    /// The data directory (SQLite file and blobs).
    pub dir: tempfile::TempDir,
    /// `Some(url)` on PostgreSQL.
    pub database_url: Option<String>,
    /// `sqlite` or `postgres`, for messages.
    pub backend: &'static str,
}

impl TestDb {
    /// A fresh SQLite data directory.
    pub fn sqlite() -> TestDb {
        TestDb {
            dir: tempdir(),
            database_url: None,
            backend: "sqlite",
        }
    }

    /// A fresh database in the process's PostgreSQL cluster, and a data directory for blobs.
    pub async fn postgres() -> TestDb {
        TestDb {
            dir: tempdir(),
            database_url: Some(pg::fresh_database().await),
            backend: "postgres",
        }
    }

    /// The data directory's path.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// A temp dir, readable by the unprivileged database user.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("casebook-test-")
        .tempdir()
        .expect("the system temp dir is writable")
}

/// The shared, read-only test data folder (`../shared` beside the repository, or `CASEBOOK_SHARED_DIR`).
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CASEBOOK_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let dir = root.join("shared");
    assert!(
        dir.is_dir(),
        "the shared test data is missing at {}; set CASEBOOK_SHARED_DIR",
        dir.display()
    );
    dir
}

/// The model case's thread export.
pub fn seed_path() -> PathBuf {
    shared_dir().join("seed/CAS-03865-H7P3F1.txt")
}

/// Writes a fixture file in a temp dir and returns both.
pub fn fixture(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempdir();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("the temp dir is writable");
    (dir, path)
}

/// Runs each named `async fn name(db: TestDb)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::sqlite()).await
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDb::postgres().await).await
                }
            )+
        }
    };
}
