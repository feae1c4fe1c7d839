//! The blob store: raw messages and attachments, content-addressed by SHA-256.
//!
//! Blobs are read through `object_store` (local files now, S3-compatible
//! storage later). Writing a batch to local disk takes a direct path: each
//! file is written to a temporary name and renamed into place (the layout
//! `object_store`'s local store reads), then one `syncfs` makes the whole
//! batch durable, instead of one fsync per file. [`BlobStore::put_durable`]
//! returns only then, so the database commit that follows never references a
//! blob a crash could lose.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use crate::{Error, Result};

/// What a blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// A raw message as it arrived.
    Raw,
    /// A decoded attachment.
    Attachment,
}

/// The address of a blob: its kind and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// The key of a blob of this kind with this SHA-256 (hex).
    pub fn new(kind: BlobKind, sha256: &str) -> BlobKey {
        let folder = match kind {
            BlobKind::Raw => "raw",
            BlobKind::Attachment => "att",
        };
        let fan = sha256.get(..2).unwrap_or("00");
        BlobKey(format!("{folder}/{fan}/{sha256}"))
    }

    /// The key as a path inside the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where blobs live.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    local_root: Option<PathBuf>,
}

impl BlobStore {
    /// A blob store in a local folder.
    pub fn local(root: PathBuf) -> Result<BlobStore> {
        std::fs::create_dir_all(&root).map_err(|source| Error::Io {
            path: root.clone(),
            source,
        })?;
        let inner = LocalFileSystem::new_with_prefix(&root).map_err(|source| Error::Blob {
            key: root.display().to_string(),
            source,
        })?;
        Ok(BlobStore {
            inner: Arc::new(inner),
            local_root: Some(root),
        })
    }

    /// The object store behind this blob store.
    pub(crate) fn inner(&self) -> &dyn ObjectStore {
        self.inner.as_ref()
    }

    /// Whether a blob exists.
    pub async fn exists(&self, key: &BlobKey) -> Result<bool> {
        match self.inner.head(&ObjectPath::from(key.as_str())).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(source) => Err(Error::Blob {
                key: key.as_str().to_string(),
                source,
            }),
        }
    }

    /// Reads a blob.
    pub async fn get(&self, key: &BlobKey) -> Result<Vec<u8>> {
        let wrap = |source| Error::Blob {
            key: key.as_str().to_string(),
            source,
        };
        let result = self
            .inner
            .get(&ObjectPath::from(key.as_str()))
            .await
            .map_err(wrap)?;
        Ok(result.bytes().await.map_err(wrap)?.to_vec())
    }

    /// Writes blobs that are not there yet and makes all of them durable before returning.
    pub async fn put_durable(&self, blobs: &[(BlobKey, &[u8])]) -> Result<()> {
        if let Some(root) = &self.local_root {
            let root = root.clone();
            let owned: Vec<(BlobKey, Vec<u8>)> = blobs
                .iter()
                .map(|(key, bytes)| (key.clone(), bytes.to_vec()))
                .collect();
            return tokio::task::spawn_blocking(move || write_local(&root, &owned))
                .await
                .map_err(|error| Error::Corrupt(format!("blob write task failed: {error}")))?;
        }
        for (key, bytes) in blobs {
            if self.exists(key).await? {
                continue;
            }
            self.inner
                .put(
                    &ObjectPath::from(key.as_str()),
                    PutPayload::from(bytes.to_vec()),
                )
                .await
                .map_err(|source| Error::Blob {
                    key: key.as_str().to_string(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// Writes the blobs that are missing, then flushes the file system once.
fn write_local(root: &Path, blobs: &[(BlobKey, Vec<u8>)]) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let mut written = 0;
    for (key, bytes) in blobs {
        let path = root.join(key.as_str());
        if path.exists() {
            continue;
        }
        let folder = path.parent().unwrap_or(root);
        std::fs::create_dir_all(folder).map_err(io(folder))?;
        // A unique temporary name per writer: two processes may write the same blob at once.
        let temporary = folder.join(format!(
            ".{}.{}.tmp",
            key.as_str().rsplit('/').next().unwrap_or("blob"),
            std::process::id()
        ));
        std::fs::write(&temporary, bytes).map_err(io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io(&path))?;
        written += 1;
    }
    if written > 0 {
        let handle = std::fs::File::open(root).map_err(io(root))?;
        rustix::fs::syncfs(&handle).map_err(|errno| Error::Io {
            path: root.to_path_buf(),
            source: errno.into(),
        })?;
    }
    Ok(())
}
