//! Casebook's one ingest path: every message, whatever its door, goes through [`ingest()`].
//!
//! File import ([`files`]: `.eml`, mbox, maildir, thread exports), and later
//! IMAP polling and LMTP delivery, build [`RawArrival`]s and call
//! [`ingest()`], which stores the raw bytes durably first, then in one
//! transaction per batch: counts the arrival, deduplicates, parses
//! (`mail`), threads (`case::threading`), guards (`case::guard`), and
//! writes the case timeline or the quarantine entry (`store`). It returns
//! an [`Outcome`] per arrival. [`resolve`] lets a person act on quarantine
//! through the same decisions.
//!
//! There is no other way in: nothing else threads or stores mail.

mod decide;
mod error;
pub mod files;
mod ingest;
pub mod inspect;
pub mod live;
pub mod resolve;

pub use error::Error;
pub use ingest::{
    ingest, ingest_prepared, prepare, submit, ArrivalKind, IntakeConfig, Outcome, PreparedBatch,
    RawArrival, Source, Submission,
};
