//! Casebook's mail normalisation: bytes in, values out.
//!
//! [`normalise()`] turns one message's raw bytes into a [`ParsedMail`]: decoded
//! headers, the readable text (HTML turned into text when there is no text
//! part), where quoted history begins, attachments with safe names, and the
//! [`Problem`]s met on the way. Thread exports in the seed's text format
//! ([`export`]) come out as the same `ParsedMail`, so everything after parsing
//! is one path. [`container`] detects a file's format from its content and
//! splits mboxes.
//!
//! No file or network access: callers pass bytes. Threading, storage and the
//! takeover guard live in `case`, `store` and `intake`.

pub mod bounce;
mod charset;
pub mod container;
mod encoded_words;
pub mod export;
pub mod filename;
#[doc(hidden)]
pub mod fuzzing;
mod headers;
pub mod normalise;
pub mod quote;

pub use container::{detect, Format};
pub use normalise::{
    content_fingerprint, html_body, normalise, Attachment, Limits, MailDate, Mailbox, ParsedMail,
    Problem, Unreadable,
};
