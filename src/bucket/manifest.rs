//! S3 Batch Operations manifests (`ork reprocess --manifest-out`): the CSV list of objects a
//! job hands to the function, one task each.
//!
//! The format is `S3BatchOperations_CSV_20180820`: no header, one object a line,
//! `bucket,key` or `bucket,key,versionId`, the key URL-encoded. Keys are written with
//! [`encode_key_strict`] (a space as `%20`, `+` as `%2B`, never a bare `+`), so that any URL
//! decoder, form-style or not, reads back the key; a key holds no comma or quote once encoded,
//! so no CSV quoting is needed. Jobs hand the key to the function still encoded, and
//! [`crate::events::batch`] decodes it.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::aws_error::{summarise, Resource};
use crate::events::key::{decode_key, encode_key_strict};

/// Why a manifest could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("manifest line {line}: {reason}")]
    Parse { line: usize, reason: String },
    #[error("{what} is not an s3://bucket/key location: {text:?}")]
    Location { what: &'static str, text: String },
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An S3 call that failed: `message` is the line people read (`bucket "b" does not exist
    /// (S3 NoSuchBucket)`, `writing the manifest s3://b/k: access denied (S3 AccessDenied: …)`).
    #[error("{message}")]
    S3 {
        /// The API call: `PutObject`, `HeadObject`, `ListObjectVersions`.
        operation: &'static str,
        bucket: String,
        key: String,
        message: String,
    },
}

/// One object of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub bucket: String,
    /// The decoded key.
    pub key: String,
    /// The version the task is for (only in manifests written with versions).
    pub version_id: Option<String>,
}

impl ManifestEntry {
    /// The CSV line of this entry, without the line break.
    pub fn to_line(&self) -> String {
        let mut line = format!("{},{}", self.bucket, encode_key_strict(&self.key));
        if let Some(v) = &self.version_id {
            line.push(',');
            line.push_str(v);
        }
        line
    }

    /// Reads one CSV line (`bucket,key[,versionId]`, key URL-encoded).
    pub fn parse_line(line: &str) -> Result<Self, String> {
        let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        let (bucket, raw, version) = match fields.as_slice() {
            [b, k] => (*b, *k, None),
            [b, k, v] => (*b, *k, Some(*v)),
            _ => return Err(format!("{} fields, expected 2 or 3", fields.len())),
        };
        if bucket.is_empty() || raw.is_empty() {
            return Err("empty bucket or key".into());
        }
        Ok(Self {
            bucket: bucket.into(),
            key: decode_key(raw)?,
            version_id: version.filter(|v| !v.is_empty()).map(str::to_string),
        })
    }
}

/// The manifest of `entries`: one line each, each ending in a line break.
pub fn to_csv(entries: &[ManifestEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&e.to_line());
        out.push('\n');
    }
    out
}

/// Every entry of a manifest (blank lines are passed over).
pub fn parse_csv(text: &str) -> Result<Vec<ManifestEntry>, ManifestError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            ManifestEntry::parse_line(l).map_err(|reason| ManifestError::Parse {
                line: i + 1,
                reason,
            })
        })
        .collect()
}

/// An `s3://bucket/key` location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// The key, or the prefix (may be empty for a whole bucket).
    pub key: String,
}

impl S3Location {
    /// Reads `s3://bucket/key`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| Self {
            bucket: bucket.into(),
            key: key.into(),
        })
    }

    /// The object's ARN in `partition` (`aws`, `aws-cn`, …).
    pub fn object_arn(&self, partition: &str) -> String {
        format!("arn:{partition}:s3:::{}/{}", self.bucket, self.key)
    }
}

/// Where `--manifest-out` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestTarget {
    File(PathBuf),
    S3(S3Location),
}

impl ManifestTarget {
    /// `s3://bucket/key` (with a key), or else a file path.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        if !text.starts_with("s3://") {
            return Ok(Self::File(PathBuf::from(text)));
        }
        S3Location::parse(text)
            .filter(|l| !l.key.is_empty() && !l.key.ends_with('/'))
            .map(Self::S3)
            .ok_or_else(|| ManifestError::Location {
                what: "the manifest",
                text: text.into(),
            })
    }
}

/// A manifest written to S3: where, and the ETag a job must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenManifest {
    pub location: S3Location,
    pub etag: String,
}

/// Writes a manifest: a file, or an S3 object through `client`. For S3, returns its ETag as
/// a HEAD request reads it back (what a job checks the manifest against).
pub async fn write(
    target: &ManifestTarget,
    csv: &str,
    client: &aws_sdk_s3::Client,
) -> Result<Option<WrittenManifest>, ManifestError> {
    let location = match target {
        ManifestTarget::File(path) => {
            std::fs::write(path, csv).map_err(|source| ManifestError::Io {
                path: path.clone(),
                source,
            })?;
            return Ok(None);
        }
        ManifestTarget::S3(location) => location,
    };
    let err = |operation, message: String| ManifestError::S3 {
        operation,
        bucket: location.bucket.clone(),
        key: location.key.clone(),
        message,
    };
    let object = Resource::Object {
        bucket: &location.bucket,
        key: &location.key,
    };
    client
        .put_object()
        .bucket(&location.bucket)
        .key(&location.key)
        .content_type("text/csv")
        .body(csv.as_bytes().to_vec().into())
        .send()
        .await
        .map_err(|e| {
            err(
                "PutObject",
                summarise("S3", &e).line("writing the manifest to", &object),
            )
        })?;
    let head = client
        .head_object()
        .bucket(&location.bucket)
        .key(&location.key)
        .send()
        .await
        .map_err(|e| {
            err(
                "HeadObject",
                summarise("S3", &e).line("reading back the manifest", &object),
            )
        })?;
    let etag = head
        .e_tag()
        .map(|e| e.trim_matches('"').to_string())
        .ok_or_else(|| {
            err(
                "HeadObject",
                format!("reading back the manifest {object}: S3 answered without an ETag"),
            )
        })?;
    Ok(Some(WrittenManifest {
        location: location.clone(),
        etag,
    }))
}

/// The current version id of every key under `prefix` (`ListObjectVersions`, page by page);
/// keys whose current version is a delete marker are left out.
pub async fn current_versions(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<HashMap<String, String>, ManifestError> {
    let mut out = HashMap::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| ManifestError::S3 {
                operation: "ListObjectVersions",
                bucket: bucket.into(),
                key: prefix.into(),
                message: summarise("S3", &e).line(
                    "listing the versions of",
                    &Resource::Prefix { bucket, prefix },
                ),
            })?;
        for v in page.versions() {
            if let (Some(true), Some(key), Some(id)) = (v.is_latest(), v.key(), v.version_id()) {
                out.insert(key.to_string(), id.to_string());
            }
        }
        let next = (
            page.next_key_marker().map(str::to_string),
            page.next_version_id_marker().map(str::to_string),
        );
        // A marker that does not move would loop for ever.
        if !page.is_truncated().unwrap_or(false)
            || next.0.is_none()
            || (next.0 == key_marker && next.1 == version_marker)
        {
            break;
        }
        (key_marker, version_marker) = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(bucket: &str, key: &str, version: Option<&str>) -> ManifestEntry {
        ManifestEntry {
            bucket: bucket.into(),
            key: key.into(),
            version_id: version.map(str::to_string),
        }
    }

    /// The line an entry is written as, and that reading the line gives the entry back.
    fn check(e: ManifestEntry, line: &str) {
        assert_eq!(e.to_line(), line, "{e:?}");
        assert_eq!(ManifestEntry::parse_line(line).as_ref(), Ok(&e), "{line}");
    }

    #[test]
    fn keys_round_trip_through_manifest_lines() {
        check(
            entry("ork-designs", "uploads/rocket.ork", None),
            "ork-designs,uploads/rocket.ork",
        );
        check(
            entry("b", "uploads/my rocket+v2 (1).ork", None),
            "b,uploads/my%20rocket%2Bv2%20%281%29.ork",
        );
        check(
            entry("b", "uploads/100%.ork", Some("v1")),
            "b,uploads/100%25.ork,v1",
        );
        check(
            entry("b", "uploads/Höhenrakete ñ 火箭.ork", None),
            "b,uploads/H%C3%B6henrakete%20%C3%B1%20%E7%81%AB%E7%AE%AD.ork",
        );
        check(
            entry(
                "b",
                "a,b\"c'*~.ork",
                Some("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"),
            ),
            "b,a%2Cb%22c%27%2A%7E.ork,3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        );
        check(entry("b", "a+b", None), "b,a%2Bb");
    }

    #[test]
    fn a_manifest_reads_back_whole() {
        let entries = vec![
            entry("b", "uploads/a b.ork", None),
            entry("b", "uploads/+%+.ork", Some("v2")),
            entry("b", "uploads/ü.ork", None),
        ];
        let csv = to_csv(&entries);
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.ends_with('\n'));
        assert_eq!(parse_csv(&csv).unwrap(), entries);
        assert_eq!(parse_csv("b,a.ork\r\n\nb,c.ork\n").unwrap().len(), 2);
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        for (text, line, part) in [
            ("b,a.ork\nb\n", 2, "1 fields"),
            ("b,a,v,x\n", 1, "4 fields"),
            (",a.ork\n", 1, "empty"),
            ("b,bad%zz\n", 1, "percent-escape"),
        ] {
            match parse_csv(text) {
                Err(ManifestError::Parse { line: l, reason }) => {
                    assert_eq!(l, line, "{text:?}");
                    assert!(reason.contains(part), "{reason}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn locations_and_targets() {
        for (text, want) in [
            ("s3://m/manifests/x.csv", Some(("m", "manifests/x.csv"))),
            ("s3://r/reports/", Some(("r", "reports/"))),
            ("s3://r", Some(("r", ""))),
            ("s3:///x", None),
            ("/tmp/x.csv", None),
        ] {
            let got = S3Location::parse(text);
            assert_eq!(
                got.as_ref().map(|l| (l.bucket.as_str(), l.key.as_str())),
                want,
                "{text}"
            );
        }
        assert_eq!(
            S3Location::parse("s3://m/k.csv").unwrap().object_arn("aws"),
            "arn:aws:s3:::m/k.csv"
        );
        assert_eq!(
            ManifestTarget::parse("out/m.csv").unwrap(),
            ManifestTarget::File("out/m.csv".into())
        );
        assert!(matches!(
            ManifestTarget::parse("s3://m/k.csv").unwrap(),
            ManifestTarget::S3(_)
        ));
        for bad in ["s3://m/", "s3://m", "s3://"] {
            assert!(ManifestTarget::parse(bad).is_err(), "{bad}");
        }
    }
}
