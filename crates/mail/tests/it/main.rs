//! Mail integration tests over the shared real-world corpora.
#![allow(missing_docs, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod corpora;
