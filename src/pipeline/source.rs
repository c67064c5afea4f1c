//! The object source port: where the pipeline reads objects from ([`ObjectSource`]: S3 in the
//! Lambda, files in the CLI, memory in tests) and how bucket runs list them
//! ([`ObjectLister`]), with [`MemorySource`], the in-memory adapter for tests and tools.

use std::future::Future;

use crate::graph;

/// An object as fetched.
#[derive(Debug, Clone)]
pub struct FetchedObject {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

/// Why an object could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Deleted between the event and the read: nothing to do.
    #[error("object {bucket}/{key} no longer exists")]
    Gone { bucket: String, key: String },
    /// Over the input limit: refused before downloading (a permanent failure).
    #[error("object is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// Throttling, network, permissions: may work on a retry.
    #[error("could not read {bucket}/{key}: {reason}")]
    Transient {
        bucket: String,
        key: String,
        reason: String,
    },
}

/// What a key holds now, as a HEAD request tells it (nothing is downloaded): its ETag, which
/// tells whether it still holds the bytes just processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub etag: Option<String>,
    /// The current version's id, in a versioned bucket (`None` when the bucket does not tell).
    pub version_id: Option<String>,
}

/// Where design bytes come from.
pub trait ObjectSource: Send + Sync {
    /// Reads an object, refusing it without downloading when it is over `max_bytes`.
    fn fetch(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<FetchedObject, SourceError>> + Send;

    /// What the key holds now, or `None` when it holds nothing (deleted).
    fn head(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectHead>, SourceError>> + Send;
}

/// One object as a listing describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
}

/// One page of a listing, and where the next one starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<Listed>,
    /// The continuation token of the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Lists a bucket, a page at a time (batch reprocessing).
pub trait ObjectLister: Send + Sync {
    /// The page of objects under `prefix` that starts at `token` (the first page for `None`).
    fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> impl Future<Output = Result<ListPage, SourceError>> + Send;
}

/// Objects held in memory: a fake for tests and a source for replaying local files.
#[derive(Debug, Default)]
pub struct MemorySource {
    objects: std::sync::Mutex<std::collections::BTreeMap<(String, String), Vec<u8>>>,
}

impl MemorySource {
    /// Keys per listing page.
    pub const PAGE: usize = 100;

    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.lock().insert((bucket.into(), key.into()), bytes);
    }

    pub fn remove(&self, bucket: &str, key: &str) {
        self.lock().remove(&(bucket.into(), key.into()));
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<(String, String), Vec<u8>>> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ObjectSource for MemorySource {
    async fn fetch(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> Result<FetchedObject, SourceError> {
        let objects = self.lock();
        let stored = objects
            .get(&(bucket.to_string(), key.to_string()))
            .ok_or_else(|| SourceError::Gone {
                bucket: bucket.into(),
                key: key.into(),
            })?;
        // Refused by its size before any copy, as S3 refuses by Content-Length.
        if stored.len() as u64 > max_bytes {
            return Err(SourceError::TooLarge {
                size: stored.len() as u64,
                limit: max_bytes,
            });
        }
        let bytes = stored.clone();
        drop(objects);
        Ok(FetchedObject {
            etag: Some(memory_etag(&bytes)),
            version_id: None,
            bytes,
        })
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectHead>, SourceError> {
        Ok(self
            .lock()
            .get(&(bucket.to_string(), key.to_string()))
            .map(|bytes| ObjectHead {
                etag: Some(memory_etag(bytes)),
                version_id: None,
            }))
    }
}

/// Pages of [`MemorySource::PAGE`] keys, in key order, like S3's `ListObjectsV2`.
impl ObjectLister for MemorySource {
    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> Result<ListPage, SourceError> {
        let objects = self.lock();
        let mut page = ListPage::default();
        let after = token.unwrap_or("");
        for ((b, key), bytes) in objects.iter() {
            if b != bucket || !key.starts_with(prefix) || (token.is_some() && key.as_str() <= after)
            {
                continue;
            }
            if page.objects.len() == Self::PAGE {
                page.next = page.objects.last().map(|l| l.key.clone());
                break;
            }
            page.objects.push(Listed {
                key: key.clone(),
                size: bytes.len() as u64,
                etag: Some(memory_etag(bytes)),
            });
        }
        Ok(page)
    }
}

fn memory_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &graph::sha256_hex(bytes)[..32])
}
