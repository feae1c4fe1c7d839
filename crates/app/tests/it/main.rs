//! App integration tests: every test runs on SQLite and on PostgreSQL.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod accounts;
mod auth;
mod demo;
mod sla;
mod workspace;
