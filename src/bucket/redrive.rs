//! Redrive: the invocations that failed for good, taken from the function's on-failure queue
//! and done again (`ork reprocess --from-queue QUEUE_URL`).
//!
//! ```text
//! FailureQueue ─messages→ destination record ─requestPayload→ S3 event (or ork reprocess's)
//!      ↑                                                  └─jobs→ Redo (here, or the Lambda)
//!      └── delete when every job of the message is done; keep it, with the reason, otherwise
//! ```
//!
//! A message is a Lambda on-failure destination record ([`crate::events::failure`]). Each of
//! its records is done again through the same [`pipeline`] as the Lambda
//! ([`super::reprocess::LocalDispatch`]), or the whole payload is sent to the function again
//! ([`super::reprocess::LambdaDispatch`]).
//!
//! Invariants:
//! * A message is deleted only once every record it holds is done (written, unchanged,
//!   invalid, gone, deleted, or handed to the function); otherwise it stays in the queue and the
//!   report says why. Nothing is lost by a redrive that fails half-way.
//! * `--dry-run` reads and decides only: every message read is made visible again at the end.
//! * A message that is not a destination record is kept, never guessed at.

use std::collections::HashSet;
use std::future::Future;
use std::time::{Instant, SystemTime};

use futures_util::stream::{self, StreamExt};
use indicatif::ProgressBar;
use serde::Serialize;

use super::reprocess::{LambdaDispatch, LocalDispatch, Outcome};
use crate::aws_error::{one_line, summarise, Resource};
use crate::events::failure::{parse_record, FailedInvocation};
use crate::events::s3::JobKind;
use crate::graph::GraphSink;
use crate::pipeline::{self, ObjectSource, PipelineConfig, Processed, Removed, StageTimes};
use crate::publish::ImageStore;

/// One message read from the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub id: String,
    /// The handle that deletes or releases this reading of the message.
    pub receipt: String,
    pub body: String,
}

/// A queue operation that failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct QueueError {
    /// The API call: `ReceiveMessage`, `DeleteMessage`, `ChangeMessageVisibility`.
    pub operation: &'static str,
    pub queue: String,
    /// The line people read, naming the queue and the service's code: `queue https://… does
    /// not exist (SQS AWS.SimpleQueueService.NonExistentQueue)`.
    pub message: String,
}

/// Where failed invocations wait.
pub trait FailureQueue: Send + Sync {
    /// The queue's address, for reports and errors.
    fn url(&self) -> &str;

    /// Up to `max` (1..=10) messages, hidden from other readers while this run works on them;
    /// empty when none is waiting.
    fn receive(
        &self,
        max: usize,
    ) -> impl Future<Output = Result<Vec<QueueMessage>, QueueError>> + Send;

    /// Removes a message for good.
    fn delete(&self, receipt: &str) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Makes a message visible again at once (a dry run, or a run stopped early).
    fn release(&self, receipt: &str) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// The on-failure queue on SQS.
pub struct SqsQueue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
    /// How long a message read stays hidden (it reappears if this run dies): 300 s.
    pub visibility_timeout_s: i32,
    /// The SQS endpoint the client was given (a local one), named when it cannot be reached
    /// (see [`crate::aws_error::endpoint_from_env`]).
    pub endpoint: Option<String>,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
            visibility_timeout_s: 300,
            endpoint: None,
        }
    }

    /// `doing` is what the call did, in words (`receiving messages from`).
    fn error<E>(
        &self,
        operation: &'static str,
        doing: &str,
        e: &aws_sdk_sqs::error::SdkError<E>,
    ) -> QueueError
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        QueueError {
            operation,
            queue: self.url.clone(),
            message: summarise("SQS", e)
                .at(self.endpoint.as_deref())
                .line(doing, &Resource::Queue(&self.url)),
        }
    }
}

impl FailureQueue for SqsQueue {
    fn url(&self) -> &str {
        &self.url
    }

    async fn receive(&self, max: usize) -> Result<Vec<QueueMessage>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(self.visibility_timeout_s)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|e| self.error("ReceiveMessage", "receiving messages from", &e))?;
        Ok(out
            .messages()
            .iter()
            .map(|m| QueueMessage {
                id: m.message_id().unwrap_or_default().to_string(),
                receipt: m.receipt_handle().unwrap_or_default().to_string(),
                body: m.body().unwrap_or_default().to_string(),
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| self.error("DeleteMessage", "deleting a message from", &e))?;
        Ok(())
    }

    async fn release(&self, receipt: &str) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| {
                self.error(
                    "ChangeMessageVisibility",
                    "making a message visible again in",
                    &e,
                )
            })?;
        Ok(())
    }
}

/// How a failed invocation is done again.
pub trait Redo: Send + Sync {
    /// `local` or `lambda`.
    fn mode(&self) -> &'static str;

    /// Does the invocation's jobs again; one outcome per job, in order.
    fn redo(&self, failed: &FailedInvocation) -> impl Future<Output = Vec<Outcome>> + Send;
}

impl<S: ObjectSource, G: GraphSink, I: ImageStore> Redo for LocalDispatch<'_, S, G, I> {
    fn mode(&self) -> &'static str {
        "local"
    }

    async fn redo(&self, failed: &FailedInvocation) -> Vec<Outcome> {
        let config = PipelineConfig {
            force: self.config.force || failed.force,
            ..self.config.clone()
        };
        let mut out = Vec::with_capacity(failed.jobs.len());
        for job in &failed.jobs {
            let mut times = StageTimes::default();
            let (b, k) = (job.bucket.as_str(), job.key.as_str());
            let outcome = match job.kind {
                JobKind::Created => {
                    match pipeline::process_object(&self.ports, &config, b, k, &mut times).await {
                        Ok(p) => processed(p),
                        Err(e) => failure(&e),
                    }
                }
                JobKind::Removed => {
                    match pipeline::remove_object(&self.ports, &config, b, k, &mut times).await {
                        Ok(Removed::Deleted { .. }) => Outcome::Deleted,
                        Ok(Removed::Recreated(p)) => processed(p),
                        Err(e) => failure(&e),
                    }
                }
            };
            out.push(outcome);
        }
        out
    }
}

fn processed(p: Processed) -> Outcome {
    match p {
        Processed::Written { .. } => Outcome::Processed,
        Processed::Unchanged { .. } => Outcome::Skipped,
        Processed::Invalid { reason, .. } => Outcome::Invalid { reason },
        Processed::Gone => Outcome::Gone,
    }
}

fn failure(e: &pipeline::PipelineError) -> Outcome {
    Outcome::Failed {
        class: e.class().into(),
        error: one_line(&e.to_string(), 300),
    }
}

impl Redo for LambdaDispatch {
    fn mode(&self) -> &'static str {
        "lambda"
    }

    /// The original event, sent to the function again as an asynchronous invocation.
    async fn redo(&self, failed: &FailedInvocation) -> Vec<Outcome> {
        let outcome = self.invoke(&failed.payload).await;
        vec![outcome; failed.jobs.len()]
    }
}

/// Settings of a redrive.
#[derive(Debug, Clone)]
pub struct RedriveConfig {
    /// Messages worked on at once.
    pub concurrency: usize,
    /// Read and decide only; every message read is made visible again.
    pub dry_run: bool,
    /// Stop after this many messages (a canary run); the rest stay in the queue.
    pub limit: Option<usize>,
}

impl Default for RedriveConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            dry_run: false,
            limit: None,
        }
    }
}

/// One job of a message, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub event: &'static str,
    pub bucket: String,
    pub key: String,
    #[serde(flatten)]
    pub outcome: Option<Outcome>,
}

/// One message, and whether it left the queue.
#[derive(Debug, Clone, Serialize)]
pub struct MessageReport {
    pub message_id: String,
    /// Why the function had failed, from the destination record.
    pub original_error: Option<String>,
    pub jobs: Vec<JobReport>,
    /// Deleted from the queue (every job done).
    pub deleted: bool,
    /// Why it was kept, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_because: Option<String>,
}

/// Counts of a redrive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RedriveCounts {
    pub messages: usize,
    pub deleted: usize,
    pub kept: usize,
    /// Messages that are not destination records (kept).
    pub unreadable: usize,
    pub jobs: usize,
    pub processed: usize,
    pub skipped: usize,
    pub invalid: usize,
    pub gone: usize,
    pub removed: usize,
    pub dispatched: usize,
    pub failed: usize,
}

/// The JSON report of a redrive.
#[derive(Debug, Clone, Serialize)]
pub struct RedriveReport {
    pub queue: String,
    pub mode: &'static str,
    pub dry_run: bool,
    pub processor_version: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub seconds: f64,
    pub counts: RedriveCounts,
    pub messages: Vec<MessageReport>,
}

impl RedriveReport {
    /// Whether any message stays in the queue because a job failed or it could not be read.
    pub fn kept_any(&self) -> bool {
        self.counts.kept > 0
    }

    /// One line for people.
    pub fn summary_line(&self) -> String {
        let c = &self.counts;
        format!(
            "{} message(s): {} deleted, {} kept ({} unreadable); {} job(s): {} processed, {} \
             unchanged, {} invalid, {} removed, {} gone, {} sent to Lambda, {} failed in {:.1} s",
            c.messages,
            c.deleted,
            c.kept,
            c.unreadable,
            c.jobs,
            c.processed,
            c.skipped,
            c.invalid,
            c.removed,
            c.gone,
            c.dispatched,
            c.failed,
            self.seconds
        )
    }
}

/// Why a redrive could not go on (per-message problems are in the report).
#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Takes every message from `queue` and does it again with `redo`, `config.concurrency` at a
/// time, until the queue answers empty (or `config.limit`). See the module docs.
pub async fn run<Q: FailureQueue, R: Redo>(
    queue: &Q,
    redo: &R,
    config: &RedriveConfig,
    progress: &ProgressBar,
    cancel: &super::reprocess::Cancel,
) -> Result<RedriveReport, RedriveError> {
    let started = Instant::now();
    let mut report = RedriveReport {
        queue: queue.url().to_string(),
        mode: redo.mode(),
        dry_run: config.dry_run,
        processor_version: crate::VERSION,
        started_at: crate::events::rfc3339_utc(SystemTime::now()),
        finished_at: String::new(),
        seconds: 0.0,
        counts: RedriveCounts::default(),
        messages: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut to_release = Vec::new();
    loop {
        if cancel.is_cancelled() || config.limit.is_some_and(|l| report.messages.len() >= l) {
            break;
        }
        let want = config
            .limit
            .map_or(10, |l| (l - report.messages.len()).min(10));
        let batch = queue.receive(want).await?;
        // A message read twice in one run came back after its hiding time: stop there.
        let batch: Vec<QueueMessage> = batch
            .into_iter()
            .filter(|m| seen.insert(m.id.clone()))
            .collect();
        if batch.is_empty() {
            break;
        }
        progress.inc_length(batch.len() as u64);
        let done: Vec<(QueueMessage, MessageReport)> = stream::iter(batch)
            .map(|m| async move {
                let r = one_message(queue, redo, config, &m).await;
                (m, r)
            })
            .buffer_unordered(config.concurrency.max(1))
            .collect()
            .await;
        for (m, r) in done {
            progress.inc(1);
            if config.dry_run || !r.deleted {
                to_release.push(m.receipt.clone());
            }
            count(&mut report.counts, &r);
            report.messages.push(r);
        }
    }
    // A dry run changes nothing: what it read is visible again at once. (A kept message stays
    // hidden until its hiding time passes, so one run does not read it twice.)
    if config.dry_run {
        for receipt in &to_release {
            queue.release(receipt).await?;
        }
    }
    report.finished_at = crate::events::rfc3339_utc(SystemTime::now());
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn one_message<Q: FailureQueue, R: Redo>(
    queue: &Q,
    redo: &R,
    config: &RedriveConfig,
    m: &QueueMessage,
) -> MessageReport {
    let failed = match parse_record(&m.body) {
        Ok(f) => f,
        Err(reason) => {
            return MessageReport {
                message_id: m.id.clone(),
                original_error: None,
                jobs: Vec::new(),
                deleted: false,
                kept_because: Some(format!("unreadable: {reason}")),
            }
        }
    };
    let mut jobs: Vec<JobReport> = failed
        .jobs
        .iter()
        .map(|j| JobReport {
            event: match j.kind {
                JobKind::Created => "created",
                JobKind::Removed => "removed",
            },
            bucket: j.bucket.clone(),
            key: j.key.clone(),
            outcome: None,
        })
        .collect();
    let mut report = MessageReport {
        message_id: m.id.clone(),
        original_error: failed.error.clone(),
        jobs: Vec::new(),
        deleted: false,
        kept_because: None,
    };
    if config.dry_run {
        report.kept_because = Some("dry run".into());
        report.jobs = jobs;
        return report;
    }
    let outcomes = redo.redo(&failed).await;
    let mut failures = Vec::new();
    for (j, o) in jobs.iter_mut().zip(outcomes) {
        if let Outcome::Failed { class, error } = &o {
            failures.push(format!("{}: {class}: {error}", j.key));
        }
        j.outcome = Some(o);
    }
    report.jobs = jobs;
    if !failures.is_empty() {
        report.kept_because = Some(failures.join("; "));
        return report;
    }
    match queue.delete(&m.receipt).await {
        Ok(()) => report.deleted = true,
        Err(e) => report.kept_because = Some(format!("done, but not deleted: {e}")),
    }
    report
}

fn count(c: &mut RedriveCounts, r: &MessageReport) {
    c.messages += 1;
    if r.deleted {
        c.deleted += 1;
    } else {
        c.kept += 1;
    }
    if r.kept_because
        .as_deref()
        .is_some_and(|k| k.starts_with("unreadable"))
    {
        c.unreadable += 1;
    }
    for j in &r.jobs {
        c.jobs += 1;
        match &j.outcome {
            Some(Outcome::Processed) => c.processed += 1,
            Some(Outcome::Skipped) => c.skipped += 1,
            Some(Outcome::Invalid { .. }) => c.invalid += 1,
            Some(Outcome::Gone) => c.gone += 1,
            Some(Outcome::Deleted) => c.removed += 1,
            Some(Outcome::Dispatched) => c.dispatched += 1,
            Some(Outcome::Failed { .. }) => c.failed += 1,
            None => {}
        }
    }
}
