//! The blob store: raw messages and attachments, content-addressed by SHA-256.
//!
//! Blobs go through `object_store` (local files now, S3-compatible storage
//! later). The local backend does not fsync, so [`BlobStore::put_durable`]
//! does: every file and its folder, before it returns, so that the database
//! commit that follows never references a blob a crash could lose.

use std::collections::BTreeSet;
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
        let mut written = Vec::new();
        for (key, bytes) in blobs {
            if self.exists(key).await? {
                continue;
            }
            let payload = PutPayload::from(bytes.to_vec());
            self.inner
                .put(&ObjectPath::from(key.as_str()), payload)
                .await
                .map_err(|source| Error::Blob {
                    key: key.as_str().to_string(),
                    source,
                })?;
            written.push(key.clone());
        }
        if let (Some(root), false) = (&self.local_root, written.is_empty()) {
            let root = root.clone();
            tokio::task::spawn_blocking(move || sync_local(&root, &written))
                .await
                .map_err(|error| Error::Corrupt(format!("fsync task failed: {error}")))??;
        }
        Ok(())
    }
}

fn sync_local(root: &Path, keys: &[BlobKey]) -> Result<()> {
    let mut folders = BTreeSet::new();
    for key in keys {
        let path = root.join(key.as_str());
        let file = std::fs::File::open(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        file.sync_all().map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let mut folder = path.parent().map(Path::to_path_buf);
        while let Some(current) = folder {
            if !current.starts_with(root) {
                break;
            }
            folder = current.parent().map(Path::to_path_buf);
            folders.insert(current);
        }
    }
    for folder in folders {
        let handle = std::fs::File::open(&folder).map_err(|source| Error::Io {
            path: folder.clone(),
            source,
        })?;
        handle.sync_all().map_err(|source| Error::Io {
            path: folder.clone(),
            source,
        })?;
    }
    Ok(())
}
