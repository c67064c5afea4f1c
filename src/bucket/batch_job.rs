//! The S3 Batch Operations job of `ork reprocess --create-job`: a `LambdaInvoke` job over a
//! manifest ([`super::manifest`]), created through the S3 Control API (`CreateJob`).
//!
//! Only the `ork` binary reaches this module: the Lambda (`bootstrap`) never links the S3
//! Control client.
//!
//! [`JobRequest`] is the request as data, in the shape of the API (and of
//! `aws s3control create-job --cli-input-json`), so that `--dry-run` prints exactly what
//! [`create_job`] sends. The job:
//! * invokes the function with schema `2.0` (bucket names, and `userArguments`:
//!   `{"force": "true"}` with `--force`);
//! * reads a `S3BatchOperations_CSV_20180820` manifest with the fields `Bucket,Key` (and
//!   `VersionId`), named by ARN and ETag (a manifest changed since is refused by S3);
//! * writes a `Report_CSV_20180820` completion report under the report prefix (failed tasks
//!   only, or all);
//! * starts without confirmation, and carries a client request token derived from the
//!   manifest's ARN and ETag, the function and `force`: the same command run twice does not
//!   start a second job.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::aws_error::{summarise, Resource};
use aws_sdk_s3control::types::{
    JobManifest, JobManifestFieldName, JobManifestFormat, JobManifestLocation, JobManifestSpec,
    JobOperation, JobReport, JobReportFormat, JobReportScope, LambdaInvokeOperation,
};

/// Why a job could not be made or created.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("invalid job settings: {0}")]
    Config(String),
    #[error("building the CreateJob request: {0}")]
    Build(String),
    /// S3 Control refused or could not be reached: the line people read, with its code
    /// (`creating the job in account 123456789012: S3 Control answered InvalidRequest …`).
    #[error("{0}")]
    Api(String),
    #[error("CreateJob answered without a job id")]
    NoJobId,
}

/// Which tasks the completion report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum ReportScope {
    /// Every task, with its result string.
    AllTasks,
    /// Only the failed tasks (a smaller report).
    FailedTasksOnly,
}

/// What the job is made of (the command's flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobConfig {
    /// The account the job runs in (`--account-id`, or the role ARN's).
    pub account_id: String,
    /// The role S3 Batch Operations assumes (invoke the function, read the manifest, write
    /// the report).
    pub role_arn: String,
    /// The function to invoke (an ARN, optionally with a version or alias).
    pub function_arn: String,
    /// The manifest object's ARN and ETag.
    pub manifest_arn: String,
    pub manifest_etag: String,
    /// The manifest lists version ids (a third field).
    pub manifest_versions: bool,
    /// The bucket of the completion report (its ARN) and the prefix under it.
    pub report_bucket_arn: String,
    pub report_prefix: String,
    pub report_scope: ReportScope,
    pub priority: i32,
    /// Reprocess designs the graph already holds from this version.
    pub force: bool,
    pub description: String,
}

/// `Operation.LambdaInvoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LambdaInvoke {
    pub function_arn: String,
    pub invocation_schema_version: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub user_arguments: BTreeMap<String, String>,
}

/// `Operation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Operation {
    pub lambda_invoke: LambdaInvoke,
}

/// `Manifest.Spec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestSpec {
    pub format: String,
    pub fields: Vec<String>,
}

/// `Manifest.Location`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestLocation {
    #[serde(rename = "ObjectArn")]
    pub object_arn: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// `Manifest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Manifest {
    pub spec: ManifestSpec,
    pub location: ManifestLocation,
}

/// `Report`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    pub bucket: String,
    pub prefix: String,
    pub format: String,
    pub enabled: bool,
    pub report_scope: ReportScope,
}

/// A `CreateJob` request, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobRequest {
    pub account_id: String,
    pub confirmation_required: bool,
    pub operation: Operation,
    pub report: Report,
    pub client_request_token: String,
    pub manifest: Manifest,
    pub description: String,
    pub priority: i32,
    pub role_arn: String,
}

/// The manifest format `ork reprocess --manifest-out` writes.
pub const MANIFEST_FORMAT: &str = "S3BatchOperations_CSV_20180820";
/// The completion report's format.
pub const REPORT_FORMAT: &str = "Report_CSV_20180820";
/// The invocation schema of the job's events (bucket names, user arguments).
pub const INVOCATION_SCHEMA_VERSION: &str = "2.0";

impl JobRequest {
    /// The request for `config`.
    pub fn new(config: &JobConfig) -> Result<Self, JobError> {
        if config.account_id.len() != 12 || !config.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(JobError::Config(format!(
                "the account id must be 12 digits, not {:?}",
                config.account_id
            )));
        }
        let mut fields = vec!["Bucket".to_string(), "Key".to_string()];
        if config.manifest_versions {
            fields.push("VersionId".into());
        }
        let mut user_arguments = BTreeMap::new();
        if config.force {
            user_arguments.insert("force".to_string(), "true".to_string());
        }
        let token_input = format!(
            "{}\0{}\0{}\0{}",
            config.manifest_arn, config.manifest_etag, config.function_arn, config.force
        );
        Ok(Self {
            account_id: config.account_id.clone(),
            confirmation_required: false,
            operation: Operation {
                lambda_invoke: LambdaInvoke {
                    function_arn: config.function_arn.clone(),
                    invocation_schema_version: INVOCATION_SCHEMA_VERSION.into(),
                    user_arguments,
                },
            },
            report: Report {
                bucket: config.report_bucket_arn.clone(),
                prefix: config.report_prefix.trim_end_matches('/').to_string(),
                format: REPORT_FORMAT.into(),
                enabled: true,
                report_scope: config.report_scope,
            },
            // At most 64 characters.
            client_request_token: crate::graph::sha256_hex(token_input.as_bytes())[..64]
                .to_string(),
            manifest: Manifest {
                spec: ManifestSpec {
                    format: MANIFEST_FORMAT.into(),
                    fields,
                },
                location: ManifestLocation {
                    object_arn: config.manifest_arn.clone(),
                    etag: config.manifest_etag.clone(),
                },
            },
            // At most 256 characters.
            description: crate::events::batch::truncate(&config.description, 256).to_string(),
            priority: config.priority,
            role_arn: config.role_arn.clone(),
        })
    }
}

/// The account id of an IAM ARN (`arn:aws:iam::123456789012:role/name`).
pub fn account_of(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition_of(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn")
        .then(|| parts.next())
        .flatten()
        .filter(|p| !p.is_empty())
}

/// Creates the job; returns its id.
pub async fn create_job(
    client: &aws_sdk_s3control::Client,
    request: &JobRequest,
) -> Result<String, JobError> {
    let build = |e: aws_sdk_s3control::error::BuildError| JobError::Build(e.to_string());
    let invoke = &request.operation.lambda_invoke;
    let mut lambda = LambdaInvokeOperation::builder()
        .function_arn(&invoke.function_arn)
        .invocation_schema_version(&invoke.invocation_schema_version);
    for (k, v) in &invoke.user_arguments {
        lambda = lambda.user_arguments(k, v);
    }
    let spec = &request.manifest.spec;
    let mut manifest_spec =
        JobManifestSpec::builder().format(JobManifestFormat::from(spec.format.as_str()));
    for f in &spec.fields {
        manifest_spec = manifest_spec.fields(JobManifestFieldName::from(f.as_str()));
    }
    let location = &request.manifest.location;
    let manifest = JobManifest::builder()
        .spec(manifest_spec.build().map_err(build)?)
        .location(
            JobManifestLocation::builder()
                .object_arn(&location.object_arn)
                .e_tag(&location.etag)
                .build()
                .map_err(build)?,
        )
        .build();
    let report = &request.report;
    let scope = match report.report_scope {
        ReportScope::AllTasks => JobReportScope::AllTasks,
        ReportScope::FailedTasksOnly => JobReportScope::FailedTasksOnly,
    };
    let out = client
        .create_job()
        .account_id(&request.account_id)
        .confirmation_required(request.confirmation_required)
        .operation(
            JobOperation::builder()
                .lambda_invoke(lambda.build())
                .build(),
        )
        .report(
            JobReport::builder()
                .bucket(&report.bucket)
                .prefix(&report.prefix)
                .format(JobReportFormat::from(report.format.as_str()))
                .enabled(report.enabled)
                .report_scope(scope)
                .build(),
        )
        .client_request_token(&request.client_request_token)
        .manifest(manifest)
        .description(&request.description)
        .priority(request.priority)
        .role_arn(&request.role_arn)
        .send()
        .await
        .map_err(|e| {
            let account = format!("account {}", request.account_id);
            JobError::Api(summarise("S3 Control", &e).line(
                "creating the Batch Operations job in",
                &Resource::Named(&account),
            ))
        })?;
    out.job_id().map(str::to_string).ok_or(JobError::NoJobId)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> JobConfig {
        JobConfig {
            account_id: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/ork-batch".into(),
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:ork".into(),
            manifest_arn: "arn:aws:s3:::m/manifests/run.csv".into(),
            manifest_etag: "abc".into(),
            manifest_versions: false,
            report_bucket_arn: "arn:aws:s3:::r".into(),
            report_prefix: "reports/".into(),
            report_scope: ReportScope::FailedTasksOnly,
            priority: 10,
            force: false,
            description: "ork reprocess".into(),
        }
    }

    #[test]
    fn the_request_follows_the_flags() {
        let plain = JobRequest::new(&config()).unwrap();
        let forced = JobRequest::new(&JobConfig {
            force: true,
            manifest_versions: true,
            ..config()
        })
        .unwrap();
        let json = serde_json::to_value(&plain).unwrap();
        assert_eq!(
            json["Manifest"]["Spec"]["Fields"],
            serde_json::json!(["Bucket", "Key"])
        );
        assert_eq!(json["Manifest"]["Location"]["ETag"], "abc");
        assert_eq!(json["Report"]["Prefix"], "reports");
        assert_eq!(json["Report"]["ReportScope"], "FailedTasksOnly");
        assert_eq!(json["ConfirmationRequired"], false);
        assert!(json["Operation"]["LambdaInvoke"]
            .get("UserArguments")
            .is_none());
        assert_eq!(
            json["Operation"]["LambdaInvoke"]["InvocationSchemaVersion"],
            "2.0"
        );
        let json = serde_json::to_value(&forced).unwrap();
        assert_eq!(
            json["Operation"]["LambdaInvoke"]["UserArguments"],
            serde_json::json!({"force": "true"})
        );
        assert_eq!(
            json["Manifest"]["Spec"]["Fields"],
            serde_json::json!(["Bucket", "Key", "VersionId"])
        );
        // The same manifest, function and force: the same token (no second job).
        assert_eq!(plain.client_request_token.len(), 64);
        assert_eq!(
            plain.client_request_token,
            JobRequest::new(&config()).unwrap().client_request_token
        );
        assert_ne!(plain.client_request_token, forced.client_request_token);
        assert!(JobRequest::new(&JobConfig {
            account_id: "12345".into(),
            ..config()
        })
        .is_err());
    }

    #[test]
    fn accounts_and_partitions_come_from_arns() {
        for (arn, account, partition) in [
            (
                "arn:aws:iam::123456789012:role/x",
                Some("123456789012"),
                Some("aws"),
            ),
            (
                "arn:aws-cn:iam::210987654321:role/a/b",
                Some("210987654321"),
                Some("aws-cn"),
            ),
            ("arn:aws:iam::12345:role/x", None, Some("aws")),
            ("not an arn", None, None),
        ] {
            assert_eq!(account_of(arn), account, "{arn}");
            assert_eq!(partition_of(arn), partition, "{arn}");
        }
    }
}
