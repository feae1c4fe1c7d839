//! The blob store: raw messages, content-addressed by SHA-256.
//!
//! An ingest batch writes its new raw messages into one pack: a file of
//! records `casebook-blob <key> <size>\n<bytes>\n`, written and fsynced (with
//! its folder) before the transaction that records where each lies
//! (`raw_messages.pack`, `pack_offset`). One file per batch rather than one
//! per message: creating tens of thousands of small files dominated the
//! ingest profile, and on S3-compatible storage a pack is one PUT.
//! Attachments are not stored apart: they are read from their raw message
//! (their SHA-256, recorded at ingest, tells that the bytes are theirs). A crash
//! between the pack and the commit leaves an orphan pack that no row names;
//! importing again writes the blobs anew. Packs are never rewritten.
//!
//! Reads go through `object_store` (local files now, S3-compatible storage
//! later): a pack's byte range, or for stores written before packs, a file
//! per message under `raw/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use rand::Rng;

use crate::{Error, Result};

/// What a blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// A raw message as it arrived.
    Raw,
}

/// The address of a blob: its kind and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    /// The key of a blob of this kind with this SHA-256 (hex).
    pub fn new(kind: BlobKind, sha256: &str) -> BlobKey {
        let folder = match kind {
            BlobKind::Raw => "raw",
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

    /// Reads a blob stored in a file of its own (before packs).
    async fn get(&self, key: &BlobKey) -> Result<Vec<u8>> {
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

    /// Writes blobs into one new pack and makes it durable before returning; returns each
    /// blob's location, in order. Writes nothing for an empty list.
    pub async fn write_pack(&self, blobs: &[(BlobKey, &[u8])]) -> Result<Vec<PackLocation>> {
        let (locations, durable) = self.start_pack(blobs).await?;
        durable.wait().await?;
        Ok(locations)
    }

    /// Writes blobs into one new pack; returns each blob's location, in order, and the flush
    /// to wait for before anything may refer to them. The flush runs while the caller goes
    /// on (an ingest batch decides meanwhile, and waits before it commits).
    pub async fn start_pack(
        &self,
        blobs: &[(BlobKey, &[u8])],
    ) -> Result<(Vec<PackLocation>, PendingFlush)> {
        if blobs.is_empty() {
            return Ok((Vec::new(), PendingFlush(None)));
        }
        let id: [u8; 12] = rand::rng().random();
        let id = hex::encode(id);
        let pack = format!("packs/{}/{id}.pack", &id[..2]);
        let mut locations = Vec::with_capacity(blobs.len());
        let mut headers = Vec::with_capacity(blobs.len());
        let mut offset = 0u64;
        for (key, bytes) in blobs {
            let header = format!("casebook-blob {} {}\n", key.as_str(), bytes.len());
            offset += header.len() as u64;
            locations.push(PackLocation {
                pack: pack.clone(),
                offset,
                size: bytes.len() as u64,
            });
            offset += bytes.len() as u64 + 1;
            headers.push(header);
        }
        let len = usize::try_from(offset).unwrap_or(usize::MAX);
        if let Some(root) = &self.local_root {
            // One buffer, aligned for direct I/O, written and flushed while the caller goes on.
            let padded = len.div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN;
            let mut buffer = vec![0u8; padded + DIRECT_ALIGN];
            let start = buffer.as_ptr().align_offset(DIRECT_ALIGN).min(DIRECT_ALIGN);
            let mut at = start;
            for (header, (_, bytes)) in headers.iter().zip(blobs) {
                for piece in [header.as_bytes(), bytes, b"\n"] {
                    buffer[at..at + piece.len()].copy_from_slice(piece);
                    at += piece.len();
                }
            }
            let path = root.join(&pack);
            let flush = tokio::task::spawn_blocking(move || {
                write_local_pack(&path, &buffer[start..start + padded], len)
            });
            return Ok((locations, PendingFlush(Some(flush))));
        }
        let mut body = Vec::with_capacity(len);
        for (header, (_, bytes)) in headers.iter().zip(blobs) {
            body.extend_from_slice(header.as_bytes());
            body.extend_from_slice(bytes);
            body.push(b'\n');
        }
        self.inner
            .put(&ObjectPath::from(pack.as_str()), PutPayload::from(body))
            .await
            .map_err(|source| Error::Blob {
                key: pack.clone(),
                source,
            })?;
        Ok((locations, PendingFlush(None)))
    }

    /// Deletes a pack or a blob file (an orphan the check found under the writer lock).
    pub(crate) async fn remove(&self, key: &str) -> Result<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(Error::Blob {
                key: key.to_string(),
                source,
            }),
        }
    }

    /// Reads a blob: from its pack when it has a location, else from a file of its own.
    pub async fn read(&self, key: &BlobKey, location: Option<&PackLocation>) -> Result<Vec<u8>> {
        let Some(location) = location else {
            return self.get(key).await;
        };
        let bytes = self
            .inner
            .get_range(
                &ObjectPath::from(location.pack.as_str()),
                location.offset..location.offset + location.size,
            )
            .await
            .map_err(|source| Error::Blob {
                key: format!("{} in {}", key.as_str(), location.pack),
                source,
            })?;
        Ok(bytes.to_vec())
    }
}

/// Where a blob lies in a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackLocation {
    /// The pack's key in the blob store (`packs/ab/….pack`).
    pub pack: String,
    /// Where the blob's bytes begin.
    pub offset: u64,
    /// How many bytes.
    pub size: u64,
}

impl PackLocation {
    /// A location from a row's `pack`, `pack_offset` and size columns; `None` if any is NULL.
    pub(crate) fn from_columns(
        pack: Option<String>,
        offset: Option<i64>,
        size: Option<i64>,
    ) -> Option<PackLocation> {
        match (pack, offset, size) {
            (Some(pack), Some(offset), Some(size)) => Some(PackLocation {
                pack,
                offset: crate::to_u64(offset),
                size: crate::to_u64(size),
            }),
            _ => None,
        }
    }
}

/// A pack's flush to disk, running; [`PendingFlush::wait`] returns when the pack is durable.
#[derive(Debug)]
pub struct PendingFlush(Option<tokio::task::JoinHandle<Result<()>>>);

impl PendingFlush {
    /// Waits until the pack is durable.
    pub async fn wait(self) -> Result<()> {
        match self.0 {
            Some(handle) => handle
                .await
                .map_err(|error| Error::Corrupt(format!("pack flush task failed: {error}")))?,
            None => Ok(()),
        }
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The alignment direct I/O asks of buffers, offsets and lengths.
const DIRECT_ALIGN: usize = 4096;

/// Writes a new pack file and makes it and its folders' entries durable. `aligned` holds the
/// pack's `len` bytes padded to a whole number of blocks, in memory aligned for direct I/O:
/// a pack is written once and rarely read soon, so it goes around the page cache (which,
/// when memory is full of other files, made writing it the slowest part of an import).
/// Where the file system refuses direct I/O, the pack is written the ordinary way.
fn write_local_pack(path: &Path, aligned: &[u8], len: usize) -> Result<()> {
    use std::io::Write;
    let folder = path.parent().unwrap_or(path);
    std::fs::create_dir_all(folder).map_err(io_error(folder))?;
    let direct = || -> std::io::Result<std::fs::File> {
        use rustix::fs::{Mode, OFlags};
        let fd = rustix::fs::open(
            path,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::DIRECT | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        let mut file = std::fs::File::from(fd);
        file.write_all(aligned)?;
        file.set_len(u64::try_from(len).unwrap_or(u64::MAX))?;
        Ok(file)
    };
    let file = match direct() {
        Ok(file) => file,
        Err(_) => {
            // A partial file from the direct attempt is replaced.
            let _ = std::fs::remove_file(path);
            let mut file = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(io_error(path))?;
            file.write_all(&aligned[..len.min(aligned.len())])
                .map_err(io_error(path))?;
            file
        }
    };
    file.sync_data().map_err(io_error(path))?;
    // The new name, and the fan-out folder's if it is new, must survive a crash too.
    for dir in [Some(folder), folder.parent()].into_iter().flatten() {
        std::fs::File::open(dir)
            .and_then(|handle| handle.sync_all())
            .map_err(io_error(dir))?;
    }
    Ok(())
}

impl crate::Store {
    /// A raw message's bytes, from its pack or its own file.
    pub async fn read_blob(&self, kind: BlobKind, sha256: &str) -> Result<Vec<u8>> {
        let location = blob_location(&self.pool, kind, sha256).await?;
        self.blobs
            .read(&BlobKey::new(kind, sha256), location.as_ref())
            .await
    }
}

/// Where the database says a blob lies; `None` for a blob in a file of its own.
pub(crate) async fn blob_location<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: BlobKind,
    sha256: &str,
) -> Result<Option<PackLocation>> {
    let sql = match kind {
        BlobKind::Raw => {
            "SELECT pack, pack_offset, size FROM raw_messages WHERE sha256 = $1 AND pack IS NOT NULL"
        }
    };
    let row: Option<(String, i64, i64)> = sqlx::query_as(sql)
        .bind(sha256)
        .fetch_optional(executor)
        .await?;
    Ok(row.map(|(pack, offset, size)| PackLocation {
        pack,
        offset: crate::to_u64(offset),
        size: crate::to_u64(size),
    }))
}

/// A raw message the database names: its SHA-256 and location (`None`: a file of its own).
pub(crate) type NamedRaw = (String, Option<PackLocation>);

/// Every raw message the database names, with where each lies.
pub(crate) async fn named_raw(connection: &mut sqlx::AnyConnection) -> Result<Vec<NamedRaw>> {
    let rows: Vec<(String, Option<String>, Option<i64>, i64)> =
        sqlx::query_as("SELECT sha256, pack, pack_offset, size FROM raw_messages")
            .fetch_all(&mut *connection)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(sha, pack, offset, size)| {
            (sha, PackLocation::from_columns(pack, offset, Some(size)))
        })
        .collect())
}
