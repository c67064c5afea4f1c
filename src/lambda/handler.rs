//! The event handler: every record of an S3 event, or every task of an S3 Batch Operations
//! job's event ([`crate::events::batch`]), through the shared pipeline, with JSON logs and EMF
//! metrics. Generic over its ports, so tests drive it with real local servers or fakes.
//!
//! # S3 Batch Operations: one result per task
//!
//! The handler answers every task, and never fails the invocation for a task's sake:
//!
//! | what happened | `resultCode` |
//! |---|---|
//! | written, unchanged, or an invalid design recorded (permanent, nothing to retry) | `Succeeded` |
//! | the task's version is no longer the key's current one (see below) | `Succeeded` |
//! | a failure a retry may fix (throttling, graph unreachable, Cloudinary 429/5xx) | `TemporaryFailure` |
//! | not an `.ork` key, a key that does not decode, over the size limit | `PermanentFailure` |
//! | the key holds no object | `PermanentFailure` (never a `TemporaryFailure`) |
//! | a failure that needs someone to act (wrong credentials, a bad setting) | `PermanentFailure` |
//!
//! A failure that needs someone to act is permanent here: S3 would retry a temporary one a few
//! times for nothing, and a job whose tasks keep failing stops by its own failure threshold.
//! The completion report lists those tasks with the reason; fix the cause and run a job again
//! over the failed tasks.
//!
//! **Version ids.** The graph describes what a key holds *now* (see
//! [`crate::pipeline::process_object`]), never an older version. A task that names a version
//! therefore costs one HEAD first: when the key's current version is another one, the task is
//! `Succeeded` with `superseded by version …` and nothing is processed (the newer upload had
//! its own event, and processing the old bytes would put back a stale design). When it is the
//! current version, or the bucket does not tell (unversioned), the key is processed as usual.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::s3::S3Event;
use tracing::{debug, error, info, warn};

use super::metrics::Metrics;
use crate::aws_error::one_line;
use crate::events::batch::{self, BatchEvent, BatchResponse, ResultCode, TaskResult};
use crate::events::invocation::{Incoming, Invocation};
use crate::events::s3::{self as event, JobKind, Skip};
use crate::graph::GraphSink;
use crate::pipeline::{self, PipelineConfig, PipelineError, Ports, Processed, Removed, StageTimes};
use crate::publish::ImageStore;

/// The outcome of one record, for the invocation's response.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordResult {
    pub bucket: String,
    pub key: String,
    /// `written`, `invalid`, `unchanged`, `gone`, `deleted`, `skipped` or `failed`.
    pub outcome: &'static str,
    pub design_id: Option<String>,
    pub detail: Option<String>,
}

/// The response of an invocation that succeeded (no transient failure).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub records: Vec<RecordResult>,
}

/// The response of an invocation: an S3 event's [`Summary`] (serialized exactly as before),
/// or the answer to a batch job's event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Response {
    S3(Summary),
    Batch(BatchResponse),
}

/// A failure of at least one record (other than an invalid design): the invocation fails so
/// that Lambda retries it (and then sends it to the on-failure destination).
///
/// `Debug` is the same one line as `Display`: the Lambda runtime logs a handler's error with
/// `{:?}` at `ERROR`, and that line is read by people.
#[derive(thiserror::Error)]
#[error("{failed} of {total} record(s) failed; first: {first}")]
pub struct InvocationError {
    pub failed: usize,
    pub total: usize,
    /// `bucket/key: what failed`, on one line.
    pub first: String,
}

impl std::fmt::Debug for InvocationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The handler with its clients, built once at cold start.
pub struct Handler<S, G, I> {
    pub source: S,
    pub graph: G,
    pub images: I,
    pub config: PipelineConfig,
    /// Name used as the metrics dimension.
    pub function_name: String,
}

impl<S: pipeline::ObjectSource, G: GraphSink, I: ImageStore> Handler<S, G, I> {
    /// Handles one S3 event: every record, then one EMF metrics line.
    pub async fn handle(
        &self,
        event: &S3Event,
        request_id: &str,
    ) -> Result<Summary, InvocationError> {
        self.handle_with(event, request_id, &self.config).await
    }

    /// Handles an invocation: an S3 event, or one from `ork reprocess --via-lambda`, whose
    /// mark may ask to reprocess unchanged objects.
    pub async fn handle_invocation(
        &self,
        invocation: &Invocation,
        request_id: &str,
    ) -> Result<Summary, InvocationError> {
        match &invocation.reprocess {
            Some(mark) if mark.force && !self.config.force => {
                let config = PipelineConfig {
                    force: true,
                    ..self.config.clone()
                };
                self.handle_with(&invocation.event, request_id, &config)
                    .await
            }
            _ => self.handle(&invocation.event, request_id).await,
        }
    }

    /// Handles whatever the function is invoked with: an S3 event (which fails the invocation
    /// when a record fails), or a batch job's event (which never does: each task has its
    /// result code).
    pub async fn handle_incoming(
        &self,
        incoming: &Incoming,
        request_id: &str,
    ) -> Result<Response, InvocationError> {
        match incoming {
            Incoming::S3(invocation) => self
                .handle_invocation(invocation, request_id)
                .await
                .map(Response::S3),
            Incoming::Batch(event) => {
                Ok(Response::Batch(self.handle_batch(event, request_id).await))
            }
        }
    }

    /// Handles an S3 Batch Operations event: one result per task, in order (see
    /// the module docs for the result codes), then one EMF metrics line.
    pub async fn handle_batch(&self, event: &BatchEvent, request_id: &str) -> BatchResponse {
        let forced;
        let config = if event.job.force() && !self.config.force {
            forced = PipelineConfig {
                force: true,
                ..self.config.clone()
            };
            &forced
        } else {
            &self.config
        };
        let mut metrics = Metrics::default();
        let mut results = Vec::with_capacity(event.tasks.len());
        for task in &event.tasks {
            let result = self
                .batch_task(task, request_id, config, &mut metrics)
                .await;
            info!(request_id, job_id = %event.job.id, task_id = %task.task_id, result_code = ?result.result_code, result = %result.result_string, "batch task answered");
            results.push(result);
        }
        println!("{}", metrics.emf(&self.function_name, now_ms()));
        BatchResponse::new(event, results)
    }

    async fn batch_task(
        &self,
        task: &batch::BatchTask,
        request_id: &str,
        config: &PipelineConfig,
        metrics: &mut Metrics,
    ) -> TaskResult {
        let answer = |code, text: &str| TaskResult::new(&task.task_id, code, text);
        let object = match batch::task_object(task) {
            Ok(object) => object,
            Err(reason) => {
                metrics.skipped += 1;
                return answer(ResultCode::PermanentFailure, &reason);
            }
        };
        let job = event::Job {
            kind: JobKind::Created,
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            size: None,
            etag: None,
            version_id: object.version_id.clone(),
        };
        // A task for an older version: the graph describes the key's current one.
        if let Some(version) = &object.version_id {
            match self.source.head(&object.bucket, &object.key).await {
                Ok(None) => return answer(ResultCode::PermanentFailure, GONE),
                Ok(Some(head)) => {
                    if let Some(current) = head.version_id.filter(|c| c != version) {
                        metrics.skipped += 1;
                        let text = format!("superseded by version {current}: not processed");
                        return answer(ResultCode::Succeeded, &text);
                    }
                }
                Err(e) => {
                    let e = PipelineError::from(e);
                    return answer(failure_code(&e), &failed(&job, request_id, &e, metrics));
                }
            }
        }
        let mut times = StageTimes::default();
        let processed =
            pipeline::process_object(&self.ports(), config, &job.bucket, &job.key, &mut times)
                .await;
        metrics.add_stage_times(&times);
        let record = match processed {
            Ok(processed) => processed_record(&job, request_id, processed, &times, metrics),
            Err(e) => return answer(failure_code(&e), &failed(&job, request_id, &e, metrics)),
        };
        let detail = record.detail.unwrap_or_default();
        match record.outcome {
            "gone" => answer(ResultCode::PermanentFailure, GONE),
            "invalid" if pipeline::is_too_large(&detail) => {
                answer(ResultCode::PermanentFailure, &detail)
            }
            "invalid" => answer(ResultCode::Succeeded, &format!("invalid: {detail}")),
            outcome => answer(ResultCode::Succeeded, outcome),
        }
    }

    async fn handle_with(
        &self,
        event: &S3Event,
        request_id: &str,
        config: &PipelineConfig,
    ) -> Result<Summary, InvocationError> {
        let mut metrics = Metrics::default();
        let mut summary = Summary::default();
        let mut failures: Vec<String> = Vec::new();
        let total = event.records.len();
        for job in event::jobs(event) {
            let job = match job {
                Ok(job) => job,
                Err(skip) => {
                    metrics.skipped += 1;
                    let (key, detail) = match &skip {
                        Skip::NotOrk { key } => (key.clone(), "not an .ork key".to_string()),
                        Skip::OtherEvent { name } => (String::new(), format!("event {name}")),
                        Skip::Malformed { reason } => (String::new(), reason.clone()),
                    };
                    info!(request_id, key = %key, reason = %detail, "record skipped");
                    summary.records.push(RecordResult {
                        bucket: String::new(),
                        key,
                        outcome: "skipped",
                        design_id: None,
                        detail: Some(detail),
                    });
                    continue;
                }
            };
            let result = match job.kind {
                JobKind::Created => self.created(&job, request_id, config, &mut metrics).await,
                JobKind::Removed => self.removed(&job, request_id, config, &mut metrics).await,
            };
            match result {
                Ok(r) => summary.records.push(r),
                Err(e) => {
                    // Either way the invocation fails, so that the event is retried (transient)
                    // or lands in the failure queue for a redrive once someone has acted
                    // (credentials, settings).
                    let detail = failed(&job, request_id, &e, &mut metrics);
                    failures.push(format!("{}/{}: {detail}", job.bucket, job.key));
                    summary.records.push(RecordResult {
                        bucket: job.bucket.clone(),
                        key: job.key.clone(),
                        outcome: "failed",
                        design_id: Some(crate::graph::design_id(&job.bucket, &job.key)),
                        detail: Some(detail),
                    });
                }
            }
        }
        // EMF: one JSON line on stdout, read by CloudWatch Logs.
        println!("{}", metrics.emf(&self.function_name, now_ms()));
        if failures.is_empty() {
            Ok(summary)
        } else {
            Err(InvocationError {
                failed: failures.len(),
                total,
                first: failures.swap_remove(0),
            })
        }
    }

    async fn created(
        &self,
        job: &event::Job,
        request_id: &str,
        config: &PipelineConfig,
        metrics: &mut Metrics,
    ) -> Result<RecordResult, PipelineError> {
        let limit = config.parse.limits.max_input_bytes;
        // Refused before downloading when the event already says it is too big.
        if let Some(size) = job.size.filter(|&s| s > limit) {
            let mut source = pipeline::oversized_source(&job.bucket, &job.key, size);
            source.etag = job.etag.clone();
            source.version_id = job.version_id.clone();
            let design_id = source.design_id();
            let reason = pipeline::refuse_too_large(&self.graph, &source, limit).await?;
            metrics.designs_invalid += 1;
            warn!(request_id, bucket = %job.bucket, key = %job.key, size, limit, "object over the size limit; recorded as invalid without downloading");
            return Ok(record(job, "invalid", Some(design_id), Some(reason)));
        }
        let mut times = StageTimes::default();
        let processed =
            pipeline::process_object(&self.ports(), config, &job.bucket, &job.key, &mut times)
                .await;
        metrics.add_stage_times(&times);
        Ok(processed_record(
            job, request_id, processed?, &times, metrics,
        ))
    }

    fn ports(&self) -> Ports<'_, S, G, I> {
        Ports {
            source: &self.source,
            graph: &self.graph,
            images: &self.images,
        }
    }

    async fn removed(
        &self,
        job: &event::Job,
        request_id: &str,
        config: &PipelineConfig,
        metrics: &mut Metrics,
    ) -> Result<RecordResult, PipelineError> {
        let mut times = StageTimes::default();
        let removed =
            pipeline::remove_object(&self.ports(), config, &job.bucket, &job.key, &mut times).await;
        metrics.add_stage_times(&times);
        match removed? {
            Removed::Deleted { existed } => {
                metrics.designs_deleted += u64::from(existed);
                let design_id = crate::graph::design_id(&job.bucket, &job.key);
                info!(request_id, bucket = %job.bucket, key = %job.key, design_id = %design_id, existed, "object removed");
                Ok(record(job, "deleted", Some(design_id), None))
            }
            Removed::Recreated(processed) => {
                // Uploaded again after the delete: the design describes the new object.
                info!(request_id, bucket = %job.bucket, key = %job.key, "object removed, but the key holds a newer upload: processed that instead");
                Ok(processed_record(
                    job, request_id, processed, &times, metrics,
                ))
            }
        }
    }
}

/// The result string of a task whose key holds no object.
const GONE: &str = "the key holds no object";

/// Milliseconds since the epoch, the EMF timestamp.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The longest `error` a log line, a record's detail or a task's result carries.
const MAX_ERROR_CHARS: usize = 300;

/// Counts and logs a failed record or task; its reason, on one line. The `error` field of the
/// log line is that line (what failed, which resource, the service's code); the whole error,
/// as the types hold it, is logged at debug level.
fn failed(job: &event::Job, request_id: &str, e: &PipelineError, metrics: &mut Metrics) -> String {
    let transient = e.is_transient();
    if transient {
        metrics.failures_transient += 1;
    } else {
        metrics.failures_permanent += 1;
    }
    let line = one_line(&e.to_string(), MAX_ERROR_CHARS);
    error!(request_id, bucket = %job.bucket, key = %job.key, class = e.class(), transient, error = %line, "record failed");
    debug!(request_id, bucket = %job.bucket, key = %job.key, error = ?e, "record failed: detail");
    line
}

/// A batch task's failure: temporary when a retry may fix it, else permanent (someone has to
/// act; see the module docs).
fn failure_code(e: &PipelineError) -> ResultCode {
    if e.is_transient() {
        ResultCode::TemporaryFailure
    } else {
        ResultCode::PermanentFailure
    }
}

/// Counts and logs a processed object; its record in the invocation's summary.
fn processed_record(
    job: &event::Job,
    request_id: &str,
    processed: Processed,
    times: &StageTimes,
    metrics: &mut Metrics,
) -> RecordResult {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let (outcome, design_id, detail) = match processed {
        Processed::Written { design_id, .. } => {
            metrics.designs_processed += 1;
            ("written", Some(design_id), None)
        }
        Processed::Invalid { design_id, reason } => {
            metrics.designs_invalid += 1;
            ("invalid", Some(design_id), Some(reason))
        }
        Processed::Unchanged { design_id } => {
            metrics.unchanged += 1;
            ("unchanged", Some(design_id), None)
        }
        Processed::Gone => ("gone", None, Some("the key holds no object".into())),
    };
    info!(
        request_id,
        bucket = %job.bucket,
        key = %job.key,
        outcome,
        design_id = design_id.as_deref().unwrap_or(""),
        detail = detail.as_deref().unwrap_or(""),
        fetch_ms = ms(times.fetch),
        parse_ms = ms(times.parse),
        render_ms = ms(times.render),
        upload_ms = ms(times.upload),
        graph_ms = ms(times.graph),
        "object processed"
    );
    record(job, outcome, design_id, detail)
}

fn record(
    job: &event::Job,
    outcome: &'static str,
    design_id: Option<String>,
    detail: Option<String>,
) -> RecordResult {
    RecordResult {
        bucket: job.bucket.clone(),
        key: job.key.clone(),
        outcome,
        design_id,
        detail,
    }
}
