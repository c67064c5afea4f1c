//! Lambda on-failure destination records, as AWS documents them: what an asynchronous
//! invocation that failed for good leaves on the on-failure queue.
//!
//! `{"version": "1.0", "timestamp", "requestContext": {"requestId", "functionArn", "condition",
//! "approximateInvokeCount"}, "requestPayload": <the event>, "responseContext",
//! "responsePayload"}`. The payload is the S3 event the function failed on, or one
//! `ork reprocess --via-lambda` sent (with `orkReprocess.force`).

use super::invocation::Invocation;
use super::s3::{self, Job, Skip};

/// A failed invocation, read from its destination record.
#[derive(Debug, Clone)]
pub struct FailedInvocation {
    /// The original event, to send to the function again as it was.
    pub payload: serde_json::Value,
    /// Whether it was a forced `ork reprocess` event.
    pub force: bool,
    /// What its records ask for; records that ask for nothing (not `.ork`, other events) are
    /// left out.
    pub jobs: Vec<Job>,
    /// Why the function failed, as its destination record says (`responsePayload`).
    pub error: Option<String>,
}

/// Reads a destination record (see the module docs).
pub fn parse_record(body: &str) -> Result<FailedInvocation, String> {
    let record: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let payload = record
        .get("requestPayload")
        .filter(|p| p.is_object())
        .ok_or("no requestPayload: not a Lambda destination record")?
        .clone();
    let invocation: Invocation = serde_json::from_value(payload.clone())
        .map_err(|e| format!("requestPayload holds no S3 record: {e}"))?;
    if invocation.event.records.is_empty() {
        return Err("requestPayload holds no S3 record".into());
    }
    let mut jobs = Vec::new();
    for result in s3::jobs(&invocation.event) {
        match result {
            Ok(job) => jobs.push(job),
            Err(Skip::Malformed { reason }) => {
                return Err(format!("a record is malformed: {reason}"))
            }
            Err(Skip::NotOrk { .. } | Skip::OtherEvent { .. }) => {}
        }
    }
    let error = record.get("responsePayload").and_then(|r| {
        r.get("errorMessage")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .or_else(|| (!r.is_null()).then(|| r.to_string()))
    });
    Ok(FailedInvocation {
        force: invocation.reprocess.is_some_and(|m| m.force),
        payload,
        jobs,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::invocation::created_event;
    use crate::events::s3::JobKind;

    fn record(payload: serde_json::Value) -> String {
        serde_json::json!({
            "version": "1.0",
            "timestamp": "2026-12-01T10:00:00.000Z",
            "requestContext": {
                "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:ork-processor:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3
            },
            "requestPayload": payload,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled"
            },
            "responsePayload": {
                "errorMessage": "1 record(s) failed transiently",
                "errorType": "&alloc::boxed::Box<dyn core::error::Error>"
            }
        })
        .to_string()
    }

    #[test]
    fn destination_records_give_their_jobs() {
        let created = created_event("us-east-1", "b", "uploads/my rocket+v2.ork", 10, None, true);
        let f = parse_record(&record(created)).unwrap();
        assert!(f.force);
        assert_eq!(f.jobs.len(), 1);
        assert_eq!(f.jobs[0].key, "uploads/my rocket+v2.ork");
        assert_eq!(f.jobs[0].kind, JobKind::Created);
        assert_eq!(f.error.as_deref(), Some("1 record(s) failed transiently"));

        for (body, why) in [
            ("not json".to_string(), "not JSON"),
            (
                serde_json::json!({"Records": []}).to_string(),
                "no requestPayload",
            ),
            (record(serde_json::json!({"Records": []})), "no S3 record"),
            (record(serde_json::json!({"detail": 1})), "no S3 record"),
        ] {
            let e = parse_record(&body).unwrap_err();
            assert!(e.contains(why), "{body}: {e}");
        }
    }
}
