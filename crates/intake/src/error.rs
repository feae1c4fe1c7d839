//! Intake errors: only what stops a whole batch. A bad message is an outcome, not an error.

use std::path::PathBuf;

/// What stopped an import.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input path could not be read.
    #[error("cannot read {path}; check that it exists and is readable")]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A quarantine action named something that does not fit.
    #[error("{0}")]
    Refused(store::Conflict),
}
