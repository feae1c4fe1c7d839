//! Mail integration tests over the shared real-world corpora.
#![allow(missing_docs)]

mod corpora;
