//! Casebook's pure domain: what a case is and the rules that govern it.
//!
//! This crate owns organizations, people and roles ([`party`]), case numbers
//! and tracking tokens ([`number`]), the status state machine ([`status`]),
//! the subject codec ([`subject`]), written summaries ([`summary`]), timeline
//! vocabulary ([`timeline`]), threading decisions ([`threading`]), the
//! takeover guard ([`guard`]) and the access policy ([`access`]).
//!
//! It does no I/O, never reads the clock or a random source of its own:
//! callers pass `now` and an `impl Rng`. Storage lives in `store`, mail
//! parsing in `mail`, and the ingest path that ties them together in `intake`.

pub mod access;
pub mod auth;
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod merge;
pub mod number;
pub mod party;
pub mod status;
pub mod subject;
pub mod summary;
pub mod threading;
pub mod timeline;

pub use number::{CaseNumber, Priority, TrackingToken};
pub use party::{Address, Role};
pub use status::{Status, TransitionError};
pub use timeline::{CaseField, EntryKind, Event, MatchedBy, Visibility};
