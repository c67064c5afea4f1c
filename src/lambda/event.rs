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

/// Encodes a key the way S3 event notifications do (the inverse of [`decode_key`]): letters,
/// digits and `-_.*/` stay, a space becomes `+`, every other byte `%XX`.
pub fn encode_key(key: &str) -> String {
    percent_encode(key, KeyEncoding::Form)
}

/// Encodes a key for an S3 Batch Operations manifest: letters, digits and `-_./` stay, every
/// other byte (a space too) becomes `%XX`. Without `+` and `*`, a form decoder (such as
/// [`decode_key`]) and a plain percent decoder read the same key.
pub fn encode_key_strict(key: &str) -> String {
    percent_encode(key, KeyEncoding::Strict)
}

/// How [`percent_encode`] writes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyEncoding {
    /// As S3 event notifications: a space as `+`, `*` kept.
    Form,
    /// Only unreserved characters and `/` kept.
    Strict,
}

fn percent_encode(key: &str, encoding: KeyEncoding) -> String {
    let mut out = String::with_capacity(key.len() + key.len() / 4);
    for &b in key.as_bytes() {
        match (b, encoding) {
            (b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/', _)
            | (b'*', KeyEncoding::Form) => out.push(b as char),
            (b' ', KeyEncoding::Form) => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What the function is invoked with: an S3 event, or one that `ork reprocess --via-lambda`
/// made, which may carry a [`ReprocessMark`].
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Invocation {
    #[serde(flatten)]
    pub event: S3Event,
    #[serde(
        default,
        rename = "orkReprocess",
        skip_serializing_if = "Option::is_none"
    )]
    pub reprocess: Option<ReprocessMark>,
}

/// Everything the function is invoked with: an S3 event (or one `ork reprocess --via-lambda`
/// made), or an S3 Batch Operations job's event, told apart by its `invocationSchemaVersion`.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    S3(Box<Invocation>),
    Batch(super::batch::BatchEvent),
}

impl<'de> serde::Deserialize<'de> for Incoming {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        if value.get("invocationSchemaVersion").is_some() {
            serde_json::from_value(value)
                .map(Incoming::Batch)
                .map_err(D::Error::custom)
        } else {
            serde_json::from_value(value)
                .map(|i| Incoming::S3(Box::new(i)))
                .map_err(D::Error::custom)
        }
    }
}

/// Set by `ork reprocess` on the events it sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ReprocessMark {
    /// Reprocess even when the graph already holds these bytes from this version.
    #[serde(default)]
    pub force: bool,
}

/// The event S3 would send for a created object, as `ork reprocess --via-lambda` sends it: one
/// `ObjectCreated:Put` record with the key encoded as S3 encodes it, and the reprocess mark.
pub fn created_event(
    region: &str,
    bucket: &str,
    key: &str,
    size: u64,
    etag: Option<&str>,
    force: bool,
) -> serde_json::Value {
    let mut object = serde_json::json!({ "key": encode_key(key), "size": size });
    if let Some(etag) = etag {
        object["eTag"] = etag.trim_matches('"').into();
    }
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": region,
            "eventTime": crate::graph::rfc3339_utc(std::time::SystemTime::now()),
            "eventName": "ObjectCreated:Put",
            "userIdentity": { "principalId": "ork-reprocess" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "ork-reprocess",
                "bucket": {
                    "name": bucket,
                    "ownerIdentity": { "principalId": "ork-reprocess" },
                    "arn": format!("arn:aws:s3:::{bucket}"),
                },
                "object": object,
            },
        }],
        "orkReprocess": { "force": force },
    })
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
    fn keys_encode_as_s3_does_and_round_trip() {
        for (key, encoded) in [
            ("uploads/rocket.ork", "uploads/rocket.ork"),
            (
                "uploads/my rocket+v2 (1).ork",
                "uploads/my+rocket%2Bv2+%281%29.ork",
            ),
            ("uploads/Höhenrakete.ork", "uploads/H%C3%B6henrakete.ork"),
            ("a%b&c=d.ork", "a%25b%26c%3Dd.ork"),
        ] {
            assert_eq!(encode_key(key), encoded, "{key}");
            assert_eq!(decode_key(encoded).as_deref(), Ok(key), "{key}");
        }
    }

    #[test]
    fn a_created_event_turns_back_into_its_job() {
        let v = created_event("eu-west-1", "b", "up/a b+c.ork", 123, Some("\"e1\""), true);
        let inv: Invocation = serde_json::from_value(v).unwrap();
        assert_eq!(inv.reprocess, Some(ReprocessMark { force: true }));
        let job = jobs(&inv.event).remove(0).unwrap();
        assert_eq!(job.kind, JobKind::Created);
        assert_eq!(
            (job.bucket.as_str(), job.key.as_str()),
            ("b", "up/a b+c.ork")
        );
        assert_eq!((job.size, job.etag.as_deref()), (Some(123), Some("e1")));
        // A plain S3 event has no mark.
        let plain: Invocation = serde_json::from_str(r#"{"Records": []}"#).unwrap();
        assert_eq!(plain.reprocess, None);
    }

    #[test]
    fn batch_events_and_s3_events_are_told_apart() {
        let batch: Incoming = serde_json::from_value(serde_json::json!({
            "invocationSchemaVersion": "2.0", "invocationId": "i",
            "job": {"id": "j", "userArguments": {"force": "true"}},
            "tasks": [{"taskId": "t", "s3Bucket": "b", "s3Key": "a.ork"}]
        }))
        .unwrap();
        let Incoming::Batch(event) = batch else {
            panic!("a batch event: {batch:?}")
        };
        assert_eq!((event.tasks.len(), event.job.force()), (1, true));
        let v = created_event("eu-west-1", "b", "up/a.ork", 1, None, false);
        let s3: Incoming = serde_json::from_value(v).unwrap();
        assert!(
            matches!(&s3, Incoming::S3(i) if i.event.records.len() == 1 && i.reprocess.is_some()),
            "{s3:?}"
        );
        let empty: Incoming = serde_json::from_str(r#"{"Records": []}"#).unwrap();
        assert!(matches!(empty, Incoming::S3(_)));
        assert!(serde_json::from_str::<Incoming>(r#"{"invocationSchemaVersion": 2}"#).is_err());
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
