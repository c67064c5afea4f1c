//! What the loader is given: the stored object, the parse outcome, figures and image URLs.

use crate::events::rfc3339_utc;
use crate::model::Design;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Hex digits kept of the SHA-256 of `bucket\0key` (128 bits).
pub const DESIGN_ID_HEX_LEN: usize = 32;

/// The stable id of the design stored at `bucket`/`key`: the first 32 hex digits of
/// SHA-256(`bucket` NUL `key`). The same object always maps to the same design, whatever its
/// content; a new upload to the same key replaces the design.
pub fn design_id(bucket: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(bucket.as_bytes());
    h.update([0u8]);
    h.update(key.as_bytes());
    let mut s = hex(&h.finalize());
    s.truncate(DESIGN_ID_HEX_LEN);
    s
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The stored object a design came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceObject {
    pub bucket: String,
    pub key: String,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub size_bytes: u64,
}

impl SourceObject {
    /// Describes `bytes` stored at `bucket`/`key` (hashing them).
    pub fn from_bytes(bucket: &str, key: &str, bytes: &[u8]) -> Self {
        Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: None,
            version_id: None,
            sha256: sha256_hex(bytes),
            size_bytes: bytes.len() as u64,
        }
    }

    pub fn with_etag(mut self, etag: impl Into<String>) -> Self {
        self.etag = Some(etag.into());
        self
    }

    pub fn with_version_id(mut self, version_id: impl Into<String>) -> Self {
        self.version_id = Some(version_id.into());
        self
    }

    /// See [`design_id`].
    pub fn design_id(&self) -> String {
        design_id(&self.bucket, &self.key)
    }
}

/// Physical figures of a design, by the field names of the geometry module
/// (`length_m`, `max_diameter_m`, `dry_mass_kg`, `cg_m`, `cp_m`, `stability_cal`, …).
///
/// Only finite top-level numbers are kept; they become properties of the `Design` node under
/// the same names. Build it from whatever serialises to a JSON object ([`Figures::from_serialize`]),
/// from a JSON map, or field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures(pub BTreeMap<String, f64>);

impl Figures {
    /// The finite top-level numbers of a JSON object; other fields (lists, nested objects,
    /// strings, nulls, NaN) are ignored.
    pub fn from_json_map(map: &serde_json::Map<String, serde_json::Value>) -> Self {
        Self(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64().filter(|f| f.is_finite())?)))
                .collect(),
        )
    }

    /// Figures from any value that serialises to a JSON object (e.g. `geometry::Figures`);
    /// `None` when it does not.
    pub fn from_serialize<T: Serialize>(value: &T) -> Option<Self> {
        match serde_json::to_value(value).ok()? {
            serde_json::Value::Object(m) => Some(Self::from_json_map(&m)),
            _ => None,
        }
    }

    /// Sets one figure (non-finite values are dropped).
    pub fn with(mut self, name: &str, value: f64) -> Self {
        if value.is_finite() {
            self.0.insert(name.to_owned(), value);
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }
}

/// Where the rendered images of a design are published.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Images {
    pub profile_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub svg_url: Option<String>,
    /// The primary simulation's flight chart, PNG and SVG (designs with flight data).
    #[serde(default)]
    pub flight_chart_url: Option<String>,
    #[serde(default)]
    pub flight_chart_svg_url: Option<String>,
    /// The 3D model of the outside (binary glTF).
    #[serde(default)]
    pub model_url: Option<String>,
}

/// What became of the file.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Parsed.
    Ok(&'a Design),
    /// Not a readable design; the text says why (it is stored on the node).
    Invalid(&'a str),
}

/// Everything the graph records about one stored object.
#[derive(Debug, Clone)]
pub struct DesignInput<'a> {
    pub source: SourceObject,
    pub outcome: Outcome<'a>,
    pub figures: Option<Figures>,
    pub images: Images,
    /// RFC 3339 UTC time stamp; [`DesignInput::new`] sets the current time.
    pub processed_at: String,
    /// Defaults to [`crate::VERSION`].
    pub processor_version: String,
    /// The write's revision: an id unique to the attempt that made it, which names the folder
    /// of its images and which the next write's guard expects (see
    /// [`super::StoredDesign::revision`]). `None` writes none (the SHA-256 stands for it).
    pub revision: Option<String>,
    /// The revision of the good version this write replaces, whose images are deleted right
    /// after the commit. Stored as `replaced_ork_revision`, so that a later run finding this
    /// version unchanged deletes them should that not have happened (the commit's answer was
    /// lost, or the deletion failed).
    pub replaced_revision: Option<String>,
    /// Why a good design has no 3D model (stored as `model_error`), when it has none.
    pub model_error: Option<String>,
}

impl<'a> DesignInput<'a> {
    /// An input stamped with the current time and this processor's version.
    pub fn new(source: SourceObject, outcome: Outcome<'a>) -> Self {
        Self {
            source,
            outcome,
            figures: None,
            images: Images::default(),
            processed_at: rfc3339_utc(SystemTime::now()),
            processor_version: crate::VERSION.to_owned(),
            revision: None,
            replaced_revision: None,
            model_error: None,
        }
    }

    /// Records why the design has no 3D model (see [`Self::model_error`]).
    pub fn with_model_error(mut self, error: Option<String>) -> Self {
        self.model_error = error;
        self
    }

    /// Sets the write's revision (see [`Self::revision`]).
    pub fn with_revision(mut self, revision: Option<String>) -> Self {
        self.revision = revision;
        self
    }

    /// Records the revision this write replaces (see [`Self::replaced_revision`]).
    pub fn with_replaced(mut self, revision: Option<String>) -> Self {
        self.replaced_revision = revision;
        self
    }

    pub fn with_figures(mut self, figures: Option<Figures>) -> Self {
        self.figures = figures;
        self
    }

    pub fn with_images(mut self, images: Images) -> Self {
        self.images = images;
        self
    }

    /// Fixes the time stamp (for reproducible output).
    pub fn with_processed_at(mut self, processed_at: impl Into<String>) -> Self {
        self.processed_at = processed_at.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_ids_are_stable_and_separate_bucket_from_key() {
        let a = design_id("bucket", "a/b.ork");
        assert_eq!(a.len(), DESIGN_ID_HEX_LEN);
        assert_eq!(a, design_id("bucket", "a/b.ork"));
        assert_ne!(design_id("ab", "c"), design_id("a", "bc"));
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn sha256_known_answer() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn figures_keep_finite_top_level_numbers() {
        let m = serde_json::json!({"length_m": 1.5, "cp_m": null, "stages": [1], "name": "x",
            "stability_cal": 2});
        let f = Figures::from_json_map(m.as_object().unwrap());
        assert_eq!(f.get("length_m"), Some(1.5));
        assert_eq!(f.get("stability_cal"), Some(2.0));
        assert_eq!(f.0.len(), 2);
        assert_eq!(Figures::from_serialize(&3), None);
        assert_eq!(Figures::default().with("x", f64::NAN).0.len(), 0);
    }
}
