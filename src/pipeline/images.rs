//! The images of one design revision on the image store: all uploaded at once under ids of
//! that revision, or all deleted.

use super::PipelineError;
use crate::graph;
use crate::publish::{ImageKind, ImageStore, ImageUpload};

/// Uploads a revision's images all at once and returns their URLs, or the first failure once
/// every upload has ended (the caller then deletes the revision's images, see
/// [`delete_images`]).
pub(super) async fn upload_all<I: ImageStore>(
    images: &I,
    design_id: &str,
    revision: &str,
    files: Vec<(ImageKind, Vec<u8>)>,
) -> Result<graph::Images, PipelineError> {
    let folder = images.folder().to_string();
    let tag = crate::publish::image_tag(revision);
    let uploads = files
        .into_iter()
        .map(|(kind, bytes)| {
            ImageUpload::for_design(&folder, design_id, tag, kind, bytes).map(|u| (kind, u))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results =
        futures_util::future::join_all(uploads.iter().map(|(_, u)| images.upload(u))).await;
    let mut urls = graph::Images::default();
    let mut failure = None;
    for ((kind, _), result) in uploads.iter().zip(results.iter()) {
        match result {
            Ok(stored) => *image_url(&mut urls, *kind) = Some(stored.secure_url.clone()),
            Err(e) if failure.is_none() => failure = Some(e.clone()),
            Err(_) => {}
        }
    }
    match failure {
        None => Ok(urls),
        Some(failure) => Err(failure.into()),
    }
}

/// Where the URL of an image of `kind` goes on the `Design` node.
fn image_url(images: &mut graph::Images, kind: ImageKind) -> &mut Option<String> {
    match kind {
        ImageKind::Profile => &mut images.profile_url,
        ImageKind::Thumbnail => &mut images.thumbnail_url,
        ImageKind::Svg => &mut images.svg_url,
        ImageKind::FlightChart => &mut images.flight_chart_url,
        ImageKind::FlightChartSvg => &mut images.flight_chart_svg_url,
        ImageKind::Model => &mut images.model_url,
    }
}

/// Deletes the images of a design revision ([`graph::StoredDesign::revision`]), every kind,
/// all at once (deleting a missing one is fine; `""` names none).
pub(super) async fn delete_images<I: ImageStore>(
    images: &I,
    design_id: &str,
    revision: &str,
) -> Result<(), PipelineError> {
    if revision.is_empty() {
        return Ok(());
    }
    let folder = images.folder().to_string();
    let tag = crate::publish::image_tag(revision);
    let ids = ImageKind::ALL
        .iter()
        .map(|&kind| crate::publish::public_id(&folder, design_id, tag, kind))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = futures_util::future::join_all(ids.iter().map(|id| images.delete(id))).await;
    deleted.into_iter().collect::<Result<(), _>>()?;
    Ok(())
}

/// Deletes what one attempt uploaded for a write that did not go through, at once: no other
/// attempt uses its revision, so nothing can show these images. Best effort: should the
/// deletion fail, the images are left (storage, never a shown image) and logged.
pub(super) async fn discard<I: ImageStore>(images: &I, design_id: &str, revision: &str) {
    if let Err(e) = delete_images(images, design_id, revision).await {
        tracing::warn!(
            design_id,
            revision,
            error = %e,
            "images of a write that did not go through were left on the image store"
        );
    }
}
