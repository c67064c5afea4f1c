//! Batch reprocessing of a design bucket (`ork reprocess`): after a release that changes the
//! model, the images or the schema, every design goes through the pipeline again.
//!
//! ```text
//! ObjectLister ─pages→ keys (.ork only) ─→ journal: done in an interrupted run? ─→ skip
//!                                      └─→ graph: same ETag and version? ─→ skip (unless force)
//!                                      └─→ Dispatch (N at once) ─→ outcome ─→ journal, report
//! ```
//!
//! A [`Dispatch`] either runs the pipeline here ([`LocalDispatch`], the same
//! [`pipeline::process_object`] as the Lambda) or hands each object to the deployed function
//! as a synthetic S3 event ([`LambdaDispatch`], asynchronous invocations: Lambda is then the
//! distributed engine).
//!
//! Invariants:
//! * Nothing is processed twice across an interruption: every finished object is appended to
//!   the journal before the next one starts, a restart with the same bucket, prefix and mode
//!   skips what the journal lists (for the same ETag), and an interruption lets the objects
//!   in flight finish.
//! * A transient failure is never journaled, so a later run retries it; it makes the run's
//!   outcome [`Report::failed_transiently`]. A run that completes with nothing pending and
//!   nothing failed removes its journal.
//! * Without `force`, an object whose `Design` already holds the same ETag (or SHA-256, checked
//!   by the pipeline after download) from this processor version is not downloaded again.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures_util::stream::{self, StreamExt};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::aws_error::{one_line, summarise, Resource};
use crate::events::invocation::created_event;
use crate::events::key::is_ork_key;
use crate::graph::{self, GraphSink};
use crate::pipeline::{
    self, ListPage, Listed, ObjectLister, ObjectSource, PipelineConfig, Ports, Processed,
    StageTimes,
};
use crate::publish::ImageStore;

/// Why a run could not go on (per-object failures are in the [`Report`] instead). Each is one
/// line for people, complete in itself: the errors it wraps are not also its `source()`, so
/// that a chain printed whole does not say everything twice.
#[derive(Debug, thiserror::Error)]
pub enum ReprocessError {
    /// `bucket "designs" does not exist (S3 NoSuchBucket)`, `listing s3://designs/: …`.
    #[error("{}", list_line(.0))]
    List(pipeline::SourceError),
    #[error("reading what the graph holds: {0}")]
    Graph(graph::GraphError),
    #[error("journal {}: {}", .path.display(), .error)]
    Journal {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("invalid settings: {0}")]
    Config(String),
}

impl From<pipeline::SourceError> for ReprocessError {
    fn from(e: pipeline::SourceError) -> Self {
        Self::List(e)
    }
}

impl From<graph::GraphError> for ReprocessError {
    fn from(e: graph::GraphError) -> Self {
        Self::Graph(e)
    }
}

/// A failed listing: the lister's own line (the S3 adapter names the bucket, the prefix and
/// S3's code), or the source error's.
fn list_line(e: &pipeline::SourceError) -> String {
    match e {
        pipeline::SourceError::Transient { reason, .. } => reason.clone(),
        other => format!("listing the bucket: {other}"),
    }
}

/// The longest error kept per object in the report and the journal.
const MAX_ERROR_CHARS: usize = 300;

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct ReprocessConfig {
    pub bucket: String,
    /// Only keys under this prefix (e.g. `uploads/`).
    pub prefix: String,
    /// Objects in flight at once (≥ 1).
    pub concurrency: usize,
    /// Reprocess objects the graph already holds from this version.
    pub force: bool,
    /// List and decide, but process nothing.
    pub dry_run: bool,
    /// Dispatch at most this many objects, then stop as if interrupted (the journal stays, so
    /// the next run continues): a canary run.
    pub limit: Option<usize>,
    /// Where finished objects are recorded, so that an interrupted run can resume. `None`
    /// keeps no journal.
    pub journal: Option<PathBuf>,
}

impl ReprocessConfig {
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: String::new(),
            concurrency: 4,
            force: false,
            dry_run: false,
            limit: None,
            journal: None,
        }
    }
}

/// What became of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Written to the graph (with its images).
    Processed,
    /// The graph already held it from this version (by ETag before download, or by SHA-256).
    Skipped,
    /// Not a usable design: recorded as invalid, or as a rejection on the good design kept.
    Invalid { reason: String },
    /// Deleted between the listing and the read.
    Gone,
    /// A removal done again (`--from-queue`): the design and its images are gone.
    Deleted,
    /// Handed to the Lambda function (asynchronous: its own outcome is in its logs and the
    /// graph).
    Dispatched,
    /// A failure that may go away on a retry; not journaled, so the next run retries it.
    Failed { class: String, error: String },
}

impl Outcome {
    fn is_final(&self) -> bool {
        !matches!(self, Outcome::Failed { .. })
    }
}

/// How one object is handled.
pub trait Dispatch: Send + Sync {
    /// `local` or `lambda`, recorded in the journal and the report.
    fn mode(&self) -> &'static str;

    /// Handles one listed object; `force` is the run's [`ReprocessConfig::force`].
    fn dispatch(
        &self,
        bucket: &str,
        object: &Listed,
        force: bool,
    ) -> impl Future<Output = Outcome> + Send;
}

/// Runs the pipeline in this process, exactly as the Lambda does.
pub struct LocalDispatch<'a, S, G, I> {
    pub ports: Ports<'a, S, G, I>,
    pub config: PipelineConfig,
}

impl<S: ObjectSource, G: GraphSink, I: ImageStore> Dispatch for LocalDispatch<'_, S, G, I> {
    fn mode(&self) -> &'static str {
        "local"
    }

    async fn dispatch(&self, bucket: &str, object: &Listed, force: bool) -> Outcome {
        let mut times = StageTimes::default();
        // The run decides whether to force; the rest of the settings are the pipeline's.
        let forced;
        let config = if self.config.force == force {
            &self.config
        } else {
            forced = PipelineConfig {
                force,
                ..self.config.clone()
            };
            &forced
        };
        match pipeline::process_object(&self.ports, config, bucket, &object.key, &mut times).await {
            Ok(Processed::Written { .. }) => Outcome::Processed,
            Ok(Processed::Unchanged { .. }) => Outcome::Skipped,
            Ok(Processed::Invalid { reason, .. }) => Outcome::Invalid { reason },
            Ok(Processed::Gone) => Outcome::Gone,
            Err(e) => Outcome::Failed {
                class: e.class().into(),
                error: one_line(&e.to_string(), MAX_ERROR_CHARS),
            },
        }
    }
}

/// Invokes the deployed function asynchronously (`InvocationType=Event`) with the S3 event
/// the upload would have sent, marked with `orkReprocess.force` when forcing.
pub struct LambdaDispatch {
    pub client: aws_sdk_lambda::Client,
    /// Function name, ARN or alias.
    pub function: String,
    /// The region written into the synthetic event records.
    pub region: String,
    /// The Lambda endpoint the client was given (a local one), named when it cannot be
    /// reached (see [`crate::aws_error::endpoint_from_env`]).
    pub endpoint: Option<String>,
}

impl Dispatch for LambdaDispatch {
    fn mode(&self) -> &'static str {
        "lambda"
    }

    async fn dispatch(&self, bucket: &str, object: &Listed, force: bool) -> Outcome {
        let event = created_event(
            &self.region,
            bucket,
            &object.key,
            object.size,
            object.etag.as_deref(),
            force,
        );
        self.invoke(&event).await
    }
}

impl LambdaDispatch {
    /// Sends `event` to the function as an asynchronous invocation.
    pub async fn invoke(&self, event: &serde_json::Value) -> Outcome {
        let payload = aws_sdk_lambda::primitives::Blob::new(event.to_string().into_bytes());
        let sent = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .payload(payload)
            .send()
            .await;
        match sent {
            Ok(out) if out.function_error().is_none() => Outcome::Dispatched,
            Ok(out) => Outcome::Failed {
                class: "lambda".into(),
                error: one_line(
                    &format!(
                        "function {:?} answered with a function error: {}",
                        self.function,
                        out.function_error().unwrap_or_default()
                    ),
                    MAX_ERROR_CHARS,
                ),
            },
            // `function "ork" does not exist (Lambda ResourceNotFoundException)`.
            Err(e) => Outcome::Failed {
                class: "lambda".into(),
                error: one_line(
                    &summarise("Lambda", &e)
                        .at(self.endpoint.as_deref())
                        .line("invoking", &Resource::Function(&self.function)),
                    MAX_ERROR_CHARS,
                ),
            },
        }
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// `.ork` objects listed under the prefix.
    pub listed: usize,
    /// Other keys under the prefix, ignored.
    pub ignored: usize,
    /// Finished in an earlier, interrupted run (from the journal).
    pub resumed: usize,
    pub processed: usize,
    pub skipped: usize,
    pub invalid: usize,
    pub gone: usize,
    pub dispatched: usize,
    pub failed: usize,
    /// Left for a later run (interrupted, `--limit`, or `--dry-run`).
    pub pending: usize,
}

impl Counts {
    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Processed => self.processed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Invalid { .. } => self.invalid += 1,
            Outcome::Gone | Outcome::Deleted => self.gone += 1,
            Outcome::Dispatched => self.dispatched += 1,
            Outcome::Failed { .. } => self.failed += 1,
        }
    }
}

/// One object that did not end well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub key: String,
    pub etag: Option<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The JSON report of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub bucket: String,
    pub prefix: String,
    pub mode: &'static str,
    pub force: bool,
    pub dry_run: bool,
    pub processor_version: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub seconds: f64,
    /// Stopped before every object was handled (Ctrl-C or `--limit`); the journal stays.
    pub interrupted: bool,
    pub counts: Counts,
    /// Transient failures: retried by the next run.
    pub failures: Vec<Problem>,
    /// Objects that are not usable designs (permanent; reprocessing will not change them).
    pub invalid: Vec<Problem>,
    /// With `--dry-run`: the keys a real run would process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_process: Vec<String>,
}

impl Report {
    fn finished(mut self, started: Instant) -> Self {
        self.finished_at = crate::events::rfc3339_utc(SystemTime::now());
        self.seconds = started.elapsed().as_secs_f64();
        self
    }

    /// Whether any object failed in a way a retry may fix (the exit status says so).
    pub fn failed_transiently(&self) -> bool {
        self.counts.failed > 0
    }

    /// One line for people: what happened.
    pub fn summary_line(&self) -> String {
        let c = &self.counts;
        let mut line = format!(
            "{} listed: {} processed, {} skipped, {} invalid, {} failed",
            c.listed, c.processed, c.skipped, c.invalid, c.failed
        );
        for (n, what) in [
            (c.dispatched, "dispatched to Lambda"),
            (c.gone, "gone"),
            (c.resumed, "done in an earlier run"),
            (c.pending, "left for a later run"),
            (c.ignored, "other keys ignored"),
        ] {
            if n > 0 {
                line.push_str(&format!(", {n} {what}"));
            }
        }
        line.push_str(&format!(" in {:.1} s", self.seconds));
        line
    }
}

/// Set to stop dispatching: objects in flight finish, nothing new starts.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Every object under the prefix, page by page.
pub async fn list_all<L: ObjectLister>(
    lister: &L,
    bucket: &str,
    prefix: &str,
    progress: &ProgressBar,
) -> Result<Vec<Listed>, pipeline::SourceError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let ListPage { objects, next } = lister.list_page(bucket, prefix, token.as_deref()).await?;
        all.extend(objects);
        progress.set_message(format!("listed {} objects", all.len()));
        match next {
            // A token that does not move would loop for ever.
            Some(t) if Some(&t) != token.as_ref() => token = Some(t),
            _ => break,
        }
    }
    Ok(all)
}

/// The journal's first line: a journal is only resumed by a run of the same kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct JournalHeader {
    bucket: String,
    prefix: String,
    mode: String,
    force: bool,
    processor_version: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalEntry {
    key: String,
    etag: Option<String>,
    #[serde(flatten)]
    outcome: Outcome,
}

/// Appends finished objects, one JSON line each, flushed as it goes.
struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    /// Opens `path`, returning the objects an earlier run of the same kind finished. A journal
    /// of another kind of run is replaced.
    fn open(
        path: &Path,
        header: &JournalHeader,
    ) -> Result<(Self, BTreeMap<String, Option<String>>), ReprocessError> {
        let err = |error| ReprocessError::Journal {
            path: path.to_owned(),
            error,
        };
        let mut done = BTreeMap::new();
        let mut resumable = false;
        if let Ok(f) = std::fs::File::open(path) {
            let mut lines = std::io::BufReader::new(f).lines();
            let first = lines.next().transpose().map_err(err)?;
            resumable = first
                .and_then(|l| serde_json::from_str::<JournalHeader>(&l).ok())
                .is_some_and(|h| &h == header);
            if resumable {
                for line in lines {
                    // A line cut by a crash mid-write is ignored: that object runs again.
                    if let Ok(e) = serde_json::from_str::<JournalEntry>(&line.map_err(err)?) {
                        done.insert(e.key, e.etag);
                    }
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(resumable)
            .write(true)
            .truncate(!resumable)
            .open(path)
            .map_err(err)?;
        if !resumable {
            let line = serde_json::to_string(header).unwrap_or_default();
            writeln!(file, "{line}").map_err(err)?;
        } else if !ends_with_newline(path).map_err(err)? {
            // A crash cut the last line: end it, so the next entry starts a line of its own.
            writeln!(file).map_err(err)?;
        }
        Ok((
            Self {
                path: path.to_owned(),
                file,
            },
            done,
        ))
    }

    fn record(&mut self, object: &Listed, outcome: &Outcome) -> Result<(), ReprocessError> {
        let entry = JournalEntry {
            key: object.key.clone(),
            etag: object.etag.clone(),
            outcome: outcome.clone(),
        };
        let mut line = serde_json::to_string(&entry).unwrap_or_default();
        line.push('\n');
        // One write per line: a crash leaves at most one partial line, which reading skips.
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|error| ReprocessError::Journal {
                path: self.path.clone(),
                error,
            })
    }
}

/// Whether a file is empty or ends in a newline.
fn ends_with_newline(path: &Path) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    if f.metadata()?.len() == 0 {
        return Ok(true);
    }
    f.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    f.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// How many design ids one graph lookup asks for.
const LOOKUP_BATCH: usize = 500;

/// Runs a batch: lists, decides what needs work, and dispatches it `concurrency` at a time
/// until done or cancelled. `graph` is what the skip check reads (`None`: no check here, the
/// pipeline's own check after download still applies).
pub async fn run<L: ObjectLister, G: GraphSink, D: Dispatch>(
    lister: &L,
    graph: Option<&G>,
    dispatch: &D,
    config: &ReprocessConfig,
    progress: &ProgressBar,
    cancel: &Cancel,
) -> Result<Report, ReprocessError> {
    if config.concurrency == 0 {
        return Err(ReprocessError::Config(
            "concurrency must be at least 1".into(),
        ));
    }
    let started = Instant::now();
    let started_at = crate::events::rfc3339_utc(SystemTime::now());
    let (objects, mut counts) = list_ork(lister, config, progress).await?;

    // Finished in an interrupted run of the same kind (same ETag: not overwritten since).
    let header = JournalHeader {
        bucket: config.bucket.clone(),
        prefix: config.prefix.clone(),
        mode: dispatch.mode().into(),
        force: config.force,
        processor_version: crate::VERSION.into(),
    };
    let (mut journal, done) = match (&config.journal, config.dry_run) {
        (Some(path), false) => {
            let (j, done) = Journal::open(path, &header)?;
            (Some(j), done)
        }
        _ => (None, BTreeMap::new()),
    };
    let mut todo: Vec<Listed> = Vec::with_capacity(objects.len());
    for o in objects {
        if done.get(&o.key).is_some_and(|etag| *etag == o.etag) {
            counts.resumed += 1;
        } else {
            todo.push(o);
        }
    }

    // Already in the graph from this version, by ETag: skipped without a download.
    todo = pre_skip(graph, config, todo, &mut counts).await?;

    let mut report = Report {
        bucket: config.bucket.clone(),
        prefix: config.prefix.clone(),
        mode: dispatch.mode(),
        force: config.force,
        dry_run: config.dry_run,
        processor_version: crate::VERSION,
        started_at,
        finished_at: String::new(),
        seconds: 0.0,
        interrupted: false,
        counts: Counts::default(),
        failures: Vec::new(),
        invalid: Vec::new(),
        would_process: Vec::new(),
    };
    if config.dry_run {
        counts.pending = todo.len();
        report.would_process = todo.into_iter().map(|o| o.key).collect();
        report.counts = counts;
        return Ok(report.finished(started));
    }

    let budget = config.limit.unwrap_or(usize::MAX);
    progress.set_length(todo.len().min(budget) as u64);
    progress.set_position(0);
    progress.set_message("");
    let mut started_count = 0usize;
    let bucket = config.bucket.as_str();
    let force = config.force;
    let mut results = stream::iter(todo.iter())
        .take_while(|_| {
            let go = !cancel.is_cancelled() && started_count < budget;
            started_count += usize::from(go);
            std::future::ready(go)
        })
        .map(|o| async move { (o, dispatch.dispatch(bucket, o, force).await) })
        .buffer_unordered(config.concurrency);
    let mut handled = 0usize;
    while let Some((object, outcome)) = results.next().await {
        handled += 1;
        counts.add(&outcome);
        if outcome.is_final() {
            if let Some(j) = journal.as_mut() {
                j.record(object, &outcome)?;
            }
        }
        match &outcome {
            Outcome::Failed { .. } => report.failures.push(problem(object, outcome)),
            Outcome::Invalid { .. } => report.invalid.push(problem(object, outcome)),
            _ => {}
        }
        progress.inc(1);
    }
    drop(results);
    counts.pending = todo.len() - handled;
    let interrupted = counts.pending > 0;
    // The journal goes once nothing is left: no pending object and no failure to retry.
    if !interrupted && counts.failed == 0 {
        if let Some(j) = journal.take() {
            let path = j.path.clone();
            drop(j);
            std::fs::remove_file(&path).map_err(|error| ReprocessError::Journal { path, error })?;
        }
    }
    report.interrupted = interrupted;
    report.counts = counts;
    Ok(report.finished(started))
}

/// The `.ork` objects under the prefix, and their counts (listed, other keys ignored).
async fn list_ork<L: ObjectLister>(
    lister: &L,
    config: &ReprocessConfig,
    progress: &ProgressBar,
) -> Result<(Vec<Listed>, Counts), ReprocessError> {
    let listed = list_all(lister, &config.bucket, &config.prefix, progress).await?;
    let (objects, ignored): (Vec<Listed>, Vec<Listed>) =
        listed.into_iter().partition(|o| is_ork_key(&o.key));
    let counts = Counts {
        listed: objects.len(),
        ignored: ignored.len(),
        ..Counts::default()
    };
    Ok((objects, counts))
}

/// The `.ork` objects under the prefix that a run would process: those the graph does not
/// hold from this version by ETag, or all of them with `force` or without a graph (the
/// decision of [`run`], without a journal). What `ork reprocess --manifest-out` lists.
pub async fn needing_work<L: ObjectLister, G: GraphSink>(
    lister: &L,
    graph: Option<&G>,
    config: &ReprocessConfig,
    progress: &ProgressBar,
) -> Result<(Vec<Listed>, Counts), ReprocessError> {
    let (objects, mut counts) = list_ork(lister, config, progress).await?;
    let todo = pre_skip(graph, config, objects, &mut counts).await?;
    counts.pending = todo.len();
    Ok((todo, counts))
}

/// Drops the objects the graph already holds from this version, by ETag (unless forcing).
async fn pre_skip<G: GraphSink>(
    graph: Option<&G>,
    config: &ReprocessConfig,
    todo: Vec<Listed>,
    counts: &mut Counts,
) -> Result<Vec<Listed>, ReprocessError> {
    let Some(graph) = graph.filter(|_| !config.force) else {
        return Ok(todo);
    };
    let mut keep = Vec::with_capacity(todo.len());
    for chunk in todo.chunks(LOOKUP_BATCH) {
        let ids: Vec<String> = chunk
            .iter()
            .map(|o| graph::design_id(&config.bucket, &o.key))
            .collect();
        let stored: BTreeMap<String, graph::StoredDesign> = graph
            .stored(&ids)
            .await?
            .into_iter()
            .map(|s| (s.design_id.clone(), s))
            .collect();
        for (o, id) in chunk.iter().zip(&ids) {
            let current = o.etag.as_deref().is_some_and(|etag| {
                stored
                    .get(id)
                    .is_some_and(|s| s.has_etag(etag, crate::VERSION))
            });
            if current {
                counts.skipped += 1;
            } else {
                keep.push(o.clone());
            }
        }
    }
    Ok(keep)
}

fn problem(object: &Listed, outcome: Outcome) -> Problem {
    Problem {
        key: object.key.clone(),
        etag: object.etag.clone(),
        outcome,
    }
}
