//! S3 event records to jobs: which object, created or removed, with its key decoded
//! ([`super::key`]).

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};

use super::key::{decode_key, is_ork_key};

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
