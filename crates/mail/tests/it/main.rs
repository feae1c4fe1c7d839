//! Mail integration tests.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod fuzz_replay;
