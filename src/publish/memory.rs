//! [`MemoryStore`]: an in-memory [`ImageStore`] with Cloudinary's semantics (upload replaces,
//! the version changes on every upload, deleting a missing image succeeds), for tests of the
//! code that publishes images. It can be told to fail.

use super::error::PublishError;
use super::image::{png_dimensions, validate_public_id, ImageFormat, ImageUpload, StoredImage};
use super::ImageStore;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// One stored image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryObject {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
    pub version: u64,
    /// Uploads of this public id so far (overwrites included).
    pub uploads: u64,
}

/// An in-memory image store. URLs look like
/// `https://memory.invalid/<cloud>/image/upload/v<version>/<public_id>.<ext>`.
#[derive(Debug)]
pub struct MemoryStore {
    folder: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    objects: BTreeMap<String, MemoryObject>,
    version: u64,
    uploads: u64,
    deletes: u64,
    failures: VecDeque<PublishError>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(super::DEFAULT_FOLDER)
    }
}

impl MemoryStore {
    /// An empty store whose [`folder`](ImageStore::folder) is `folder`.
    pub fn new(folder: impl Into<String>) -> Self {
        Self {
            folder: folder.into(),
            state: Mutex::new(State::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// The next operations (uploads or deletes) fail with these errors, in order, changing
    /// nothing.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = PublishError>) {
        self.with(|s| s.failures.extend(errors));
    }

    /// The stored image `public_id`.
    pub fn get(&self, public_id: &str) -> Option<MemoryObject> {
        self.with(|s| s.objects.get(public_id).cloned())
    }

    /// Every stored public id, sorted.
    pub fn public_ids(&self) -> Vec<String> {
        self.with(|s| s.objects.keys().cloned().collect())
    }

    /// Successful uploads so far.
    pub fn uploads(&self) -> u64 {
        self.with(|s| s.uploads)
    }

    /// Successful deletes so far (including of missing images).
    pub fn deletes(&self) -> u64 {
        self.with(|s| s.deletes)
    }

    /// The URL an image of this id, version and format gets.
    pub fn url(public_id: &str, version: u64, format: ImageFormat) -> String {
        format!(
            "https://memory.invalid/memory/image/upload/v{version}/{public_id}.{}",
            format.extension()
        )
    }
}

impl ImageStore for MemoryStore {
    fn folder(&self) -> &str {
        &self.folder
    }

    async fn upload(&self, image: &ImageUpload) -> Result<StoredImage, PublishError> {
        validate_public_id(image.public_id())?;
        self.with(|s| {
            if let Some(e) = s.failures.pop_front() {
                return Err(e);
            }
            s.version += 1;
            s.uploads += 1;
            let version = s.version;
            let previous = s.objects.get(image.public_id()).map_or(0, |o| o.uploads);
            s.objects.insert(
                image.public_id().to_owned(),
                MemoryObject {
                    bytes: image.bytes().to_vec(),
                    format: image.format(),
                    version,
                    uploads: previous + 1,
                },
            );
            let dims = png_dimensions(image.bytes());
            Ok(StoredImage {
                public_id: image.public_id().to_owned(),
                secure_url: Self::url(image.public_id(), version, image.format()),
                version,
                bytes: u64::try_from(image.bytes().len()).unwrap_or(u64::MAX),
                width: dims.map(|d| d.0),
                height: dims.map(|d| d.1),
                format: image.format().extension().to_owned(),
            })
        })
    }

    async fn delete(&self, public_id: &str) -> Result<(), PublishError> {
        validate_public_id(public_id)?;
        self.with(|s| {
            if let Some(e) = s.failures.pop_front() {
                return Err(e);
            }
            s.objects.remove(public_id);
            s.deletes += 1;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::ImageKind;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn overwrite_delete_and_injected_failure() {
        let store = MemoryStore::default();
        let up = ImageUpload::for_design(
            store.folder(),
            "d1",
            "c0",
            ImageKind::Svg,
            b"<svg/>".to_vec(),
        )
        .unwrap();
        let first = block_on(store.upload(&up)).unwrap();
        let second = block_on(store.upload(&up)).unwrap();
        assert_eq!(first.public_id, "designs/d1/c0/svg");
        assert!(second.version > first.version);
        assert_eq!(store.public_ids(), vec!["designs/d1/c0/svg".to_owned()]);
        assert_eq!(store.get("designs/d1/c0/svg").unwrap().uploads, 2);

        store.fail_next([PublishError::Api {
            operation: "destroy",
            status: 500,
            message: "boom".into(),
            attempts: 1,
        }]);
        let e = block_on(store.delete("designs/d1/c0/svg")).unwrap_err();
        assert!(e.is_transient());
        assert!(store.get("designs/d1/c0/svg").is_some());
        block_on(store.delete("designs/d1/c0/svg")).unwrap();
        block_on(store.delete("designs/d1/c0/svg")).unwrap();
        assert!(store.public_ids().is_empty());
        assert_eq!(store.deletes(), 2);
        assert!(block_on(store.delete("../x")).is_err());
    }
}
