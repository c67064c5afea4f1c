//! S3 event records to jobs: which object, created or removed, with its key decoded.
//!
//! S3 URL-encodes object keys in event notifications the way HTML forms do: a space arrives as
//! `+` and everything else outside the safe set as `%XX`. `my rocket+v2 (1).ork` arrives as
//! `my+rocket%2Bv2+%281%29.ork`.

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `ObjectCreated:*`: (re)process the design.
    Created,
    /// `ObjectRemoved:*`: delete the design and its images.
    Removed,
}

/// One object to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub kind: JobKind,
    pub bucket: String,
    /// The decoded key.
    pub key: String,
    /// Size from the event (created objects), to refuse oversized objects before downloading.
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

/// Why a record is not turned into a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Not an `.ork` key (any case).
    NotOrk { key: String },
    /// An event type this function does not act on.
    OtherEvent { name: String },
    /// The record lacks a bucket or key, or the key is not valid percent-encoding.
    Malformed { reason: String },
}

/// Decodes an S3 event key: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent-escape at byte {i} of {raw:?}"))?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("key {raw:?} does not decode to UTF-8"))
}

/// Whether a key names an `.ork` file (any case).
pub fn is_ork_key(key: &str) -> bool {
    key.len() >= 4 && key[key.len() - 4..].eq_ignore_ascii_case(".ork")
}

/// Turns one record into a job, or says why not.
pub fn job(record: &S3EventRecord) -> Result<Job, Skip> {
    let name = record.event_name.clone().unwrap_or_default();
    let kind = if name.starts_with("ObjectCreated:") {
        JobKind::Created
    } else if name.starts_with("ObjectRemoved:") {
        JobKind::Removed
    } else {
        return Err(Skip::OtherEvent { name });
    };
    let bucket = record
        .s3
        .bucket
        .name
        .clone()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Skip::Malformed {
            reason: "record without a bucket name".into(),
        })?;
    let raw = record
        .s3
        .object
        .key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Skip::Malformed {
            reason: "record without an object key".into(),
        })?;
    let key = decode_key(raw).map_err(|reason| Skip::Malformed { reason })?;
    if !is_ork_key(&key) {
        return Err(Skip::NotOrk { key });
    }
    Ok(Job {
        kind,
        bucket,
        key,
        size: record.s3.object.size.and_then(|s| u64::try_from(s).ok()),
        etag: record.s3.object.e_tag.clone().filter(|e| !e.is_empty()),
        version_id: record
            .s3
            .object
            .version_id
            .clone()
            .filter(|v| !v.is_empty()),
    })
}

/// Every record of an event, in order.
pub fn jobs(event: &S3Event) -> Vec<Result<Job, Skip>> {
    event.records.iter().map(job).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<&str, ()>) {
        assert_eq!(
            decode_key(raw).map_err(|_| ()),
            expected.map(str::to_string),
            "{raw}"
        );
    }

    #[test]
    fn keys_decode_like_s3_sends_them() {
        check("uploads/rocket.ork", Ok("uploads/rocket.ork"));
        check(
            "uploads/my+rocket%2Bv2+%281%29.ork",
            Ok("uploads/my rocket+v2 (1).ork"),
        );
        check(
            "uploads/H%C3%B6henrakete.ork",
            Ok("uploads/Höhenrakete.ork"),
        );
        check("a%2Fb", Ok("a/b"));
        check("bad%zz.ork", Err(()));
        check("cut%4", Err(()));
        check("%FF%FE.ork", Err(()));
    }

    #[test]
    fn ork_suffix_any_case() {
        for (k, want) in [
            ("a.ork", true),
            ("a.ORK", true),
            ("a.Ork", true),
            ("a.ork.zip", false),
            ("ork", false),
            ("x.rkt", false),
        ] {
            assert_eq!(is_ork_key(k), want, "{k}");
        }
    }
}
