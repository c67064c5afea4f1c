//! Publishing a design's rendered images to an image host (Cloudinary in production).
//!
//! Every image has a deterministic public id, `<folder>/<design-id>/<kind>` (see
//! [`public_id`]), and is uploaded with `overwrite=true` and `invalidate=true`, so processing
//! a design again replaces its images (and purges the CDN) instead of piling up copies.
//!
//! Layers:
//! * [`ImageStore`]: the async trait the rest of the crate codes against: [`upload`] and
//!   [`delete`];
//! * [`CloudinaryStore`]: signed uploads and deletions through Cloudinary's Upload API
//!   (reqwest + rustls), with bounded retries (exponential backoff, full jitter, `Retry-After`);
//! * [`MemoryStore`]: an in-memory fake with the same overwrite / delete semantics, for tests
//!   of other modules; it can be told to fail;
//! * [`CloudinaryConfig`]: settings from `CLOUDINARY_URL` (`cloudinary://key:secret@cloud`),
//!   `CLOUDINARY_API_BASE` and `ORK_IMAGE_FOLDER`; the API secret is never printed;
//! * [`signature`]: Cloudinary's request signing (pure).
//!
//! `infra/local/cloudinary_stub.py` is a local stand-in for the Upload API that enforces the
//! same contract (signatures, required fields, response shape) for the integration tests.
//!
//! [`upload`]: ImageStore::upload
//! [`delete`]: ImageStore::delete
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ork_processor::publish::{CloudinaryConfig, CloudinaryStore, ImageKind, ImageStore, ImageUpload};
//! if let Some(config) = CloudinaryConfig::from_env()? {
//!     let store = CloudinaryStore::new(config)?;
//!     let png = std::fs::read("rocket.png")?;
//!     let upload = ImageUpload::for_design(store.folder(), "0123abcd", ImageKind::Profile, png)?;
//!     let stored = store.upload(&upload).await?;
//!     println!("{}", stored.secure_url);
//! }
//! # Ok(()) }
//! ```

mod cloudinary;
mod config;
mod error;
mod image;
mod memory;
mod retry;
pub mod signature;

pub use cloudinary::CloudinaryStore;
pub use config::{ApiSecret, CloudinaryConfig, DEFAULT_API_BASE, DEFAULT_FOLDER};
pub use error::PublishError;
pub use image::{
    content_tag, image_tag, new_revision, png_dimensions, public_id, validate_public_id,
    ImageFormat, ImageKind, ImageUpload, StoredImage, CONTENT_TAG_LEN,
};
pub use memory::{MemoryObject, MemoryStore};
pub use retry::RetryPolicy;

use std::future::Future;

/// Where a design's images go. Both operations are idempotent: uploading the same public id
/// again replaces the image, and deleting a missing image succeeds.
pub trait ImageStore: Send + Sync {
    /// The folder that [`ImageUpload::for_design`] should put this store's images in.
    fn folder(&self) -> &str;

    /// Stores `image` under its public id, replacing any earlier image with that id.
    fn upload(
        &self,
        image: &ImageUpload,
    ) -> impl Future<Output = Result<StoredImage, PublishError>> + Send;

    /// Removes the image `public_id`. Succeeds when it was removed or did not exist.
    fn delete(&self, public_id: &str) -> impl Future<Output = Result<(), PublishError>> + Send;
}
