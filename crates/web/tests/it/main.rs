//! Web integration tests: a real server on loopback, real HTTP, on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod api;
mod harness;
mod isolation;
mod live;
