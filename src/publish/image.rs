//! What is uploaded ([`ImageUpload`]) and what comes back ([`StoredImage`]), and the public
//! ids (`<folder>/<design-id>/<revision>/<kind>`): each write of a design gets a
//! [`new_revision`] of its own, so no two attempts ever upload to the same id.

use super::error::PublishError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which of a design's images this is. Each kind has one fixed public id per design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageKind {
    /// The full side view, PNG.
    Profile,
    /// The small side view, PNG.
    Thumbnail,
    /// The side view as SVG.
    Svg,
    /// The primary simulation's flight chart, PNG.
    FlightChart,
    /// The flight chart as SVG.
    FlightChartSvg,
    /// The 3D model of the outside, binary glTF (Cloudinary takes it as an `image` asset).
    Model,
}

impl ImageKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ImageKind; 6] = [
        ImageKind::Profile,
        ImageKind::Thumbnail,
        ImageKind::Svg,
        ImageKind::FlightChart,
        ImageKind::FlightChartSvg,
        ImageKind::Model,
    ];

    /// The last segment of the public id: `profile`, `thumbnail`, `svg`, `flight-chart`,
    /// `flight-chart-svg` or `model`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageKind::Profile => "profile",
            ImageKind::Thumbnail => "thumbnail",
            ImageKind::Svg => "svg",
            ImageKind::FlightChart => "flight-chart",
            ImageKind::FlightChartSvg => "flight-chart-svg",
            ImageKind::Model => "model",
        }
    }

    /// The format images of this kind are uploaded in.
    pub fn format(self) -> ImageFormat {
        match self {
            ImageKind::Profile | ImageKind::Thumbnail | ImageKind::FlightChart => ImageFormat::Png,
            ImageKind::Svg | ImageKind::FlightChartSvg => ImageFormat::Svg,
            ImageKind::Model => ImageFormat::Glb,
        }
    }
}

impl fmt::Display for ImageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The file format of an upload. Cloudinary infers the format from the file itself; this
/// gives the file name extension and MIME type sent with it. SVG and GLB (a 3D model) are
/// `image` resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Svg,
    Glb,
}

impl ImageFormat {
    /// `png`, `svg` or `glb`, as Cloudinary reports it and as the delivery URL ends.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
            ImageFormat::Glb => "glb",
        }
    }

    /// `image/png`, `image/svg+xml` or `model/gltf-binary`.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Svg => "image/svg+xml",
            ImageFormat::Glb => "model/gltf-binary",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// One image to store: its public id, format and bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ImageUpload {
    public_id: String,
    format: ImageFormat,
    bytes: Vec<u8>,
}

impl ImageUpload {
    /// An upload under an explicit public id (checked with [`validate_public_id`]). `bytes`
    /// must not be empty.
    pub fn new(
        public_id: impl Into<String>,
        format: ImageFormat,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<Self, PublishError> {
        let public_id = public_id.into();
        validate_public_id(&public_id)?;
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(PublishError::InvalidInput(format!(
                "image {public_id:?} has no bytes"
            )));
        }
        Ok(Self {
            public_id,
            format,
            bytes,
        })
    }

    /// The `kind` image of design `design_id`, under
    /// [`public_id`]`(folder, design_id, tag, kind)` in the kind's format.
    pub fn for_design(
        folder: &str,
        design_id: &str,
        tag: &str,
        kind: ImageKind,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<Self, PublishError> {
        Self::new(
            public_id(folder, design_id, tag, kind)?,
            kind.format(),
            bytes,
        )
    }

    pub fn public_id(&self) -> &str {
        &self.public_id
    }

    pub fn format(&self) -> ImageFormat {
        self.format
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file name sent in the multipart body: the last segment of the public id plus the
    /// format's extension, e.g. `profile.png`.
    pub fn file_name(&self) -> String {
        let last = self.public_id.rsplit('/').next().unwrap_or("image");
        format!("{last}.{}", self.format.extension())
    }
}

impl fmt::Debug for ImageUpload {
    // The bytes would flood logs; their length is enough.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageUpload")
            .field("public_id", &self.public_id)
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// A stored image, as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImage {
    pub public_id: String,
    /// The HTTPS delivery URL (includes `v<version>`, so it changes when the image does).
    pub secure_url: String,
    /// Cloudinary's version: the upload time in seconds; it changes on every overwrite.
    pub version: u64,
    /// Stored size in bytes.
    pub bytes: u64,
    /// Pixel size, when the host reports one (PNG always; SVG usually).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The format the host detected (`png`, `svg`).
    pub format: String,
}

/// How many hex digits of the design file's SHA-256 begin a revision (and named the image
/// folder of designs written before revisions).
pub const CONTENT_TAG_LEN: usize = 16;

/// The first [`CONTENT_TAG_LEN`] hex digits of a file's SHA-256: what a person reads to tell
/// the versions of a design apart in the image store.
pub fn content_tag(sha256: &str) -> &str {
    sha256.get(..CONTENT_TAG_LEN).unwrap_or(sha256)
}

/// A revision for a new write of the file with `sha256`: its [`content_tag`], `-`, the time in
/// milliseconds (9 base-36 digits, so revisions sort by time) and 6 random base-36 digits,
/// e.g. `0011223344556677-mj1x4k2a0q8zt3c`. No other attempt, on any worker, gets the same
/// one: two attempts in the same millisecond collide with odds of one in 2·10⁹.
pub fn new_revision(sha256: &str) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut out = format!("{}-", content_tag(sha256));
    push_base36(&mut out, millis, 9);
    push_base36(&mut out, u128::from(fastrand::u32(..)), 6);
    out
}

/// Appends the last `digits` base-36 digits of `n`, zero-padded.
fn push_base36(out: &mut String, mut n: u128, digits: usize) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = vec![b'0'; digits];
    for b in buf.iter_mut().rev() {
        *b = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    out.extend(buf.iter().map(|&b| char::from(b)));
}

/// The folder segment of a revision's images: the revision itself, or, for a design written
/// before revisions (whose revision is its full SHA-256), the [`content_tag`] its images
/// were put under then.
pub fn image_tag(revision: &str) -> &str {
    if revision.len() == 64 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        content_tag(revision)
    } else {
        revision
    }
}

/// `<folder>/<design-id>/<tag>/<kind>`, or without `<folder>/` when `folder` is empty
/// (leading and trailing slashes of `folder` are ignored); `tag` is the revision's
/// [`image_tag`]. Errors when a part would make an unsafe or ambiguous id (see
/// [`validate_public_id`]).
pub fn public_id(
    folder: &str,
    design_id: &str,
    tag: &str,
    kind: ImageKind,
) -> Result<String, PublishError> {
    for (what, part) in [("design id", design_id), ("revision", tag)] {
        if part.is_empty() || part.contains('/') {
            return Err(PublishError::InvalidInput(format!(
                "{what} {part:?} must be one non-empty path segment"
            )));
        }
    }
    let folder = folder.trim_matches('/');
    let id = if folder.is_empty() {
        format!("{design_id}/{tag}/{}", kind.as_str())
    } else {
        format!("{folder}/{design_id}/{tag}/{}", kind.as_str())
    };
    validate_public_id(&id)?;
    Ok(id)
}

/// Longest public id accepted (Cloudinary's limit is 255 characters).
const MAX_PUBLIC_ID_LEN: usize = 255;

/// Checks that `id` is a public id this crate will send: at most 255 characters, segments
/// separated by single `/`, each made of ASCII letters, digits, `-`, `_` and `.`, and none
/// equal to `.` or `..`.
pub fn validate_public_id(id: &str) -> Result<(), PublishError> {
    let bad = |why: &str| {
        Err(PublishError::InvalidInput(format!(
            "public id {id:?}: {why}"
        )))
    };
    if id.is_empty() {
        return bad("empty");
    }
    if id.len() > MAX_PUBLIC_ID_LEN {
        return bad("longer than 255 characters");
    }
    for segment in id.split('/') {
        if segment.is_empty() {
            return bad("empty path segment");
        }
        if segment == "." || segment == ".." {
            return bad("relative path segment");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return bad("only ASCII letters, digits, '-', '_', '.' and '/' are allowed");
        }
    }
    Ok(())
}

/// The width and height in a PNG's IHDR chunk, or `None` when `bytes` is not a PNG.
pub fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let rest = bytes.strip_prefix(SIGNATURE)?;
    // Chunk: length (4), type (4), data; IHDR data starts with width (4) and height (4).
    let ihdr = rest.get(4..16)?;
    if &ihdr[..4] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(ihdr[4..8].try_into().ok()?);
    let height = u32::from_be_bytes(ihdr[8..12].try_into().ok()?);
    Some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_ids_are_deterministic() {
        let id = public_id("designs", "0123abcd", "5eed", ImageKind::Profile).unwrap();
        assert_eq!(id, "designs/0123abcd/5eed/profile");
        assert_eq!(
            public_id("/a/b/", "x", "c", ImageKind::Svg).unwrap(),
            "a/b/x/c/svg"
        );
        assert_eq!(
            public_id("", "x", "c", ImageKind::Thumbnail).unwrap(),
            "x/c/thumbnail"
        );
        let sha = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(content_tag(sha), "0011223344556677");
        assert_eq!(content_tag("abc"), "abc");
        assert_eq!(image_tag(sha), "0011223344556677");
        assert_eq!(image_tag("0011-x"), "0011-x");
    }

    #[test]
    fn revisions_are_unique_time_ordered_and_safe_segments() {
        let sha = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let revisions: Vec<String> = (0..1000).map(|_| new_revision(sha)).collect();
        let distinct: std::collections::BTreeSet<&String> = revisions.iter().collect();
        assert_eq!(distinct.len(), revisions.len());
        for r in &revisions {
            assert_eq!(r.len(), 16 + 1 + 9 + 6, "{r}");
            assert!(r.starts_with("0011223344556677-"), "{r}");
            assert_eq!(image_tag(r), r);
            public_id("designs", "abc", r, ImageKind::Profile).unwrap();
        }
        // The time digits never go backwards.
        let times: Vec<&str> = revisions.iter().map(|r| &r[17..26]).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        let mut s = String::new();
        push_base36(&mut s, 36 * 36 + 35, 4);
        assert_eq!(s, "010z");
    }

    #[test]
    fn unsafe_ids_are_rejected() {
        let p = ImageKind::Profile;
        assert!(public_id("designs", "", "c", p).is_err());
        assert!(public_id("designs", "a/b", "c", p).is_err());
        assert!(public_id("designs", "..", "c", p).is_err());
        assert!(public_id("designs", "x", "", p).is_err());
        assert!(public_id("designs", "x", "c/d", p).is_err());
        assert!(public_id("designs", "x", "..", p).is_err());
        assert!(public_id("a//b", "x", "c", p).is_err());
        assert!(public_id("designs", "x y", "c", p).is_err());
        assert!(public_id("designs", "é", "c", p).is_err());
        assert!(public_id(&"a".repeat(300), "x", "c", p).is_err());
        assert!(ImageUpload::new("a/b", ImageFormat::Png, Vec::new()).is_err());
    }

    #[test]
    fn png_dimensions_read_ihdr() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&7u32.to_be_bytes());
        png.extend_from_slice(&3u32.to_be_bytes());
        assert_eq!(png_dimensions(&png), Some((7, 3)));
        assert_eq!(png_dimensions(&png[..20]), None);
        assert_eq!(png_dimensions(b"<svg/>"), None);
        assert_eq!(png_dimensions(b""), None);
    }

    #[test]
    fn upload_file_name() {
        let u = ImageUpload::for_design("designs", "abc", "c0", ImageKind::Svg, b"<svg/>".to_vec())
            .unwrap();
        assert_eq!(u.file_name(), "svg.svg");
        assert_eq!(u.format().mime(), "image/svg+xml");
        assert!(format!("{u:?}").contains("len: 6"));
    }
}
