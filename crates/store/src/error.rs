//! The store's errors.

use std::path::PathBuf;

/// A store result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A refusal with a stable reason and the values involved; `app`'s catalog says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The stable reason, such as `case_number_taken`.
    pub reason: &'static str,
    /// The values involved, by name.
    pub values: Vec<(&'static str, String)>,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason)?;
        for (name, value) in &self.values {
            write!(f, "; {name}: {value}")?;
        }
        Ok(())
    }
}

impl Error {
    /// A conflict with its reason and values.
    pub fn conflict(
        reason: &'static str,
        values: &[(&'static str, &dyn std::fmt::Display)],
    ) -> Error {
        Error::Conflict(Conflict {
            reason,
            values: values
                .iter()
                .map(|(name, value)| (*name, value.to_string()))
                .collect(),
        })
    }
}

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid.
    #[error("store configuration: {0}")]
    Config(String),
    /// The database could not be reached.
    #[error(
        "cannot connect to the database at {url}; check that it is running and the url is right"
    )]
    Connect {
        /// The url, password redacted.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A query failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration {version} ({name}) failed")]
    Migration {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The database was written by a newer Casebook.
    #[error("the database has migration {found}, newer than this casebook knows ({known}); upgrade casebook")]
    TooNew {
        /// The newest migration in the database.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A command that reads was pointed at a place that holds no Casebook store.
    #[error("no Casebook store in {place}")]
    NoStore {
        /// The data directory or the database (password redacted).
        place: String,
    },
    /// The data directory is not a folder.
    #[error("the data directory {path} is not a folder")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// A file operation failed.
    #[error("cannot access {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The blob store failed.
    #[error("blob store error for {key}")]
    Blob {
        /// The blob's key.
        key: String,
        /// The object store's error.
        #[source]
        source: object_store::Error,
    },
    /// Something named does not exist.
    #[error("no {what} '{label}'")]
    NotFound {
        /// What kind of thing: case, organization, quarantine entry…
        what: &'static str,
        /// How it was named.
        label: String,
    },
    /// The change conflicts with what is stored (a uniqueness rule, a decision already made).
    #[error("{0}")]
    Conflict(Conflict),
    /// Stored data does not make sense.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}
