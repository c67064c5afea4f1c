//! The images of one design version on the image store: all uploaded at once under ids of
//! that version, or all deleted.

use super::PipelineError;
use crate::graph;
use crate::publish::{ImageKind, ImageStore, ImageUpload};

/// Uploads a design version's images all at once and returns their URLs, or the first
/// failure once every upload has ended (the caller then gives up the ones that went up, see
/// [`settle_uploads`]).
pub(super) async fn upload_all<I: ImageStore>(
    images: &I,
    design_id: &str,
    sha256: &str,
    files: Vec<(ImageKind, Vec<u8>)>,
) -> Result<graph::Images, PipelineError> {
    let folder = images.folder().to_string();
    let content = crate::publish::content_tag(sha256);
    let uploads = files
        .into_iter()
        .map(|(kind, bytes)| {
            ImageUpload::for_design(&folder, design_id, content, kind, bytes).map(|u| (kind, u))
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
    }
}

/// Deletes the images of a stored design version, every kind, all at once (deleting a missing
/// one is fine).
pub(super) async fn delete_images<I: ImageStore>(
    images: &I,
    design_id: &str,
    stored: &graph::StoredDesign,
) -> Result<(), PipelineError> {
    if stored.sha256.is_empty() {
        return Ok(());
    }
    let folder = images.folder().to_string();
    let content = crate::publish::content_tag(&stored.sha256);
    let ids = ImageKind::ALL
        .iter()
        .map(|&kind| crate::publish::public_id(&folder, design_id, content, kind))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = futures_util::future::join_all(ids.iter().map(|id| images.delete(id))).await;
    deleted.into_iter().collect::<Result<(), _>>()?;
    Ok(())
}
