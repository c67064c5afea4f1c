//! S3 Batch Operations: the `LambdaInvoke` events a job sends, one result per task.
//!
//! A job reads a manifest (`ork reprocess --manifest-out`) and invokes the function
//! synchronously, one task at a time, with this event (schema 1.0 names the bucket by ARN,
//! schema 2.0 by name and adds the job's `userArguments`):
//!
//! ```json
//! {"invocationSchemaVersion": "2.0", "invocationId": "…",
//!  "job": {"id": "…", "userArguments": {"force": "true"}},
//!  "tasks": [{"taskId": "…", "s3Bucket": "ork-designs", "s3Key": "uploads/my+rocket.ork",
//!             "s3VersionId": "…"}]}
//! ```
//!
//! Keys arrive URL-encoded, as in S3 events ([`super::key::decode_key`]). The function answers
//! every task with a [`ResultCode`] and a short `resultString` ([`MAX_RESULT_STRING_BYTES`]),
//! and tells S3 to treat missing keys as [`TREAT_MISSING_KEYS_AS`]. Which code each outcome
//! gets is the handler's policy (`lambda::handler`).

use serde::{Deserialize, Serialize};

use super::key::{decode_key, is_ork_key};

/// The answer S3 Batch Operations is told to give a task whose key is missing, instead of
/// retrying it.
pub const TREAT_MISSING_KEYS_AS: &str = "PermanentFailure";

/// The longest `resultString` sent back, in bytes: it lands in the completion report, which
/// keeps it short.
pub const MAX_RESULT_STRING_BYTES: usize = 512;

/// The event of a `LambdaInvoke` job, schema 1.0 or 2.0.
///
/// `aws_lambda_events` 1.2.1 models only schema 1.0 (`s3BucketArn`, no `userArguments`), so
/// both schemas are read here.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchEvent {
    /// `1.0` or `2.0`.
    pub invocation_schema_version: String,
    #[serde(default)]
    pub invocation_id: String,
    #[serde(default)]
    pub job: BatchJob,
    #[serde(default)]
    pub tasks: Vec<BatchTask>,
}

/// The job a batch event belongs to.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchJob {
    #[serde(default)]
    pub id: String,
    /// Schema 2.0: the job's `UserArguments` (strings, as S3 Control stores them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_arguments: Option<serde_json::Map<String, serde_json::Value>>,
}

impl BatchJob {
    /// Whether the job asks to reprocess unchanged designs: `userArguments.force` is `true`
    /// (the string S3 Control sends, or a JSON boolean).
    pub fn force(&self) -> bool {
        self.user_arguments
            .as_ref()
            .and_then(|args| args.get("force"))
            .is_some_and(|v| match v {
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::String(s) => s.eq_ignore_ascii_case("true"),
                _ => false,
            })
    }
}

/// One object of the manifest.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchTask {
    #[serde(default)]
    pub task_id: String,
    /// URL-encoded.
    #[serde(default)]
    pub s3_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_version_id: Option<String>,
    /// Schema 1.0: `arn:aws:s3:::bucket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket_arn: Option<String>,
    /// Schema 2.0: the bucket's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<String>,
}

/// What S3 Batch Operations does with a task's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultCode {
    /// Done; the completion report says what happened.
    Succeeded,
    /// S3 retries the task.
    TemporaryFailure,
    /// The task fails for good; the completion report gives the reason.
    PermanentFailure,
}

/// The answer for one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    pub task_id: String,
    pub result_code: ResultCode,
    pub result_string: String,
}

impl TaskResult {
    /// A result with its string cut to [`MAX_RESULT_STRING_BYTES`] on a character boundary.
    pub fn new(task_id: &str, result_code: ResultCode, result_string: &str) -> Self {
        Self {
            task_id: task_id.into(),
            result_code,
            result_string: truncate(result_string, MAX_RESULT_STRING_BYTES).into(),
        }
    }
}

/// The function's answer to a batch event: every task, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub invocation_schema_version: String,
    pub treat_missing_keys_as: String,
    pub invocation_id: String,
    pub results: Vec<TaskResult>,
}

impl BatchResponse {
    /// An answer to `event` with these results.
    pub fn new(event: &BatchEvent, results: Vec<TaskResult>) -> Self {
        Self {
            invocation_schema_version: event.invocation_schema_version.clone(),
            treat_missing_keys_as: TREAT_MISSING_KEYS_AS.into(),
            invocation_id: event.invocation_id.clone(),
            results,
        }
    }
}

/// One task's object, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchObject {
    pub bucket: String,
    /// The decoded key.
    pub key: String,
    pub version_id: Option<String>,
}

/// Turns a task into the object it names, or the reason it names none (a permanent failure).
pub fn task_object(task: &BatchTask) -> Result<BatchObject, String> {
    let bucket = task
        .s3_bucket
        .as_deref()
        .filter(|b| !b.is_empty())
        .or_else(|| task.s3_bucket_arn.as_deref().and_then(bucket_from_arn))
        .ok_or("task without a bucket")?;
    let raw = task
        .s3_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or("task without a key")?;
    let key = decode_key(raw)?;
    if !is_ork_key(&key) {
        return Err(format!("not an .ork key: {key}"));
    }
    Ok(BatchObject {
        bucket: bucket.into(),
        key,
        version_id: task.s3_version_id.clone().filter(|v| !v.is_empty()),
    })
}

/// The bucket of an S3 bucket ARN (`arn:aws:s3:::name`).
pub fn bucket_from_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let (_region, _account, name) = (parts.next()?, parts.next()?, parts.next()?);
    (prefix == "arn" && service == "s3" && !name.is_empty() && !name.contains('/')).then_some(name)
}

/// `text`, cut to at most `max` bytes without splitting a character.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(task: serde_json::Value, expected: Result<(&str, &str, Option<&str>), &str>) {
        let task: BatchTask = serde_json::from_value(task.clone()).expect("a task");
        let got = task_object(&task);
        match expected {
            Ok((bucket, key, version)) => assert_eq!(
                got,
                Ok(BatchObject {
                    bucket: bucket.into(),
                    key: key.into(),
                    version_id: version.map(str::to_string),
                }),
                "{task:?}"
            ),
            Err(part) => {
                let reason = got.expect_err("a refused task");
                assert!(reason.contains(part), "{reason:?} lacks {part:?}");
            }
        }
    }

    #[test]
    fn tasks_of_both_schemas_name_their_objects() {
        use serde_json::json;
        check(
            json!({"taskId": "t", "s3BucketArn": "arn:aws:s3:::ork-designs", "s3Key": "uploads/a.ork"}),
            Ok(("ork-designs", "uploads/a.ork", None)),
        );
        check(
            json!({"taskId": "t", "s3Bucket": "b", "s3Key": "uploads/my+rocket%2Bv2+%281%29.ork", "s3VersionId": "v1"}),
            Ok(("b", "uploads/my rocket+v2 (1).ork", Some("v1"))),
        );
        check(
            json!({"taskId": "t", "s3BucketArn": "arn:aws-cn:s3:::b", "s3Key": "H%C3%B6he.ORK", "s3VersionId": ""}),
            Ok(("b", "Höhe.ORK", None)),
        );
        check(
            json!({"taskId": "t", "s3Bucket": "b", "s3Key": "uploads/readme.txt"}),
            Err("not an .ork key"),
        );
        check(
            json!({"taskId": "t", "s3Bucket": "b", "s3Key": "bad%zz.ork"}),
            Err("percent-escape"),
        );
        check(json!({"taskId": "t", "s3Key": "a.ork"}), Err("bucket"));
        check(
            json!({"taskId": "t", "s3BucketArn": "arn:aws:sqs:::b", "s3Key": "a.ork"}),
            Err("bucket"),
        );
        check(json!({"taskId": "t", "s3Bucket": "b"}), Err("key"));
    }

    #[test]
    fn force_comes_from_the_user_arguments() {
        for (args, want) in [
            (serde_json::json!({"force": "true"}), true),
            (serde_json::json!({"force": true}), true),
            (serde_json::json!({"force": "TRUE"}), true),
            (serde_json::json!({"force": "false"}), false),
            (serde_json::json!({"force": 1}), false),
            (serde_json::json!({}), false),
        ] {
            let job: BatchJob =
                serde_json::from_value(serde_json::json!({"id": "j", "userArguments": args}))
                    .unwrap();
            assert_eq!(job.force(), want, "{args}");
        }
        assert!(!BatchJob::default().force());
    }

    #[test]
    fn result_strings_are_cut_on_a_character_boundary() {
        for (text, max, want) in [
            ("written", 512, "written"),
            ("abcdef", 3, "abc"),
            ("ééé", 3, "é"),
            ("ééé", 4, "éé"),
            ("", 0, ""),
        ] {
            assert_eq!(truncate(text, max), want, "{text} {max}");
        }
        let long = "ö".repeat(MAX_RESULT_STRING_BYTES);
        let r = TaskResult::new("t", ResultCode::Succeeded, &long);
        assert!(r.result_string.len() <= MAX_RESULT_STRING_BYTES);
        assert_eq!(r.result_string.len(), MAX_RESULT_STRING_BYTES);
    }

    #[test]
    fn the_response_carries_the_invocation_and_missing_keys_rule() {
        let event: BatchEvent = serde_json::from_value(serde_json::json!({
            "invocationSchemaVersion": "1.0", "invocationId": "inv", "job": {"id": "j"},
            "tasks": [{"taskId": "t1", "s3Key": "a.ork", "s3BucketArn": "arn:aws:s3:::b"}]
        }))
        .unwrap();
        let response = BatchResponse::new(
            &event,
            vec![TaskResult::new("t1", ResultCode::TemporaryFailure, "x")],
        );
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({
                "invocationSchemaVersion": "1.0",
                "treatMissingKeysAs": "PermanentFailure",
                "invocationId": "inv",
                "results": [{"taskId": "t1", "resultCode": "TemporaryFailure", "resultString": "x"}]
            })
        );
    }
}
