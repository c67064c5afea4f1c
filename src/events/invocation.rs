//! What the function is invoked with: an S3 event, one that `ork reprocess --via-lambda` made
//! (with its [`ReprocessMark`]), or an S3 Batch Operations job's event.

use aws_lambda_events::event::s3::S3Event;

use super::batch::BatchEvent;
use super::key::encode_key;

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
    Batch(BatchEvent),
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
            "eventTime": super::rfc3339_utc(std::time::SystemTime::now()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::s3::{jobs, JobKind};
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
}
