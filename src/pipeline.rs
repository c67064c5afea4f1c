//! The one place where the stages are put in order.
//!
//! ```text
//! ObjectSource ─bytes→ parse ─design→ figures ─→ render ─images→ ImageStore ─URLs─┐
//!                          └─(not a design: recorded as invalid)──────────────────→ GraphSink
//! ```
//!
//! The core takes its I/O as traits: [`ObjectSource`] (S3 in the Lambda, files in the CLI,
//! memory in tests), [`GraphSink`] (Neo4j, or memory) and [`ImageStore`] (Cloudinary, or
//! memory). Entry points build the real adapters once and call [`process_object`] /
//! [`remove_object`] per record. Both treat the event as a hint and converge on what the key
//! holds when they finish (see [`process_object`]), so events may arrive in any order.
//!
//! Failure classes: a file that is not a valid design is *permanent* — it is recorded on its
//! `Design` node with `status: invalid` and the reason (or, when the key holds a good design,
//! that design is kept and the rejection recorded on it as `rejected_*`), and the call
//! succeeds so nothing retries it. Anything that may work on a retry (graph unreachable, image store throttling or 5xx after
//! its own retries, S3 throttling) is *transient* and returned as [`PipelineError`].

use std::future::Future;
use std::time::{Duration, Instant};

use crate::geometry;
use crate::graph::{self, DesignInput, GraphPlan, GraphSink, LoadOutcome, Outcome, SourceObject};
use crate::ork::{self, OrkError, ParseOptions, Parsed};
use crate::publish::{ImageKind, ImageStore, ImageUpload, PublishError};
use crate::render::chart::{self, ChartConfig};
use crate::render::{self, RenderConfig};

/// One stored object, read and understood.
#[derive(Debug)]
pub struct Analysis {
    pub source: SourceObject,
    /// The design, or why the bytes are not one (a permanent failure: retrying cannot help).
    pub parsed: Result<Parsed, OrkError>,
    /// Why the object is not a usable design, as recorded on its `Design` node (message and
    /// code): the reader's error, or a geometry that is not physical (NaN, negative or absurd
    /// sizes, missing dimensions).
    invalid_reason: Option<String>,
    /// Physical figures, when the geometry could be resolved.
    pub figures: Option<geometry::Figures>,
    /// Why there are no figures, when the design parsed but its geometry did not resolve.
    pub figures_error: Option<String>,
    pub parse_time: Duration,
}

impl Analysis {
    /// Why the object is not a usable design, if it is not: the reason recorded on its
    /// `Design` node, ending in the error code in brackets.
    pub fn invalid_reason(&self) -> Option<&str> {
        self.invalid_reason.as_deref()
    }

    /// The graph input: the design (with figures), or an invalid-design record with the reason.
    pub fn graph_input(&self) -> DesignInput<'_> {
        let outcome = match (&self.parsed, &self.invalid_reason) {
            (_, Some(reason)) => Outcome::Invalid(reason),
            (Ok(p), None) => Outcome::Ok(&p.design),
            (Err(_), None) => Outcome::Invalid("invalid design"),
        };
        DesignInput::new(self.source.clone(), outcome).with_figures(
            self.figures
                .as_ref()
                .and_then(graph::Figures::from_serialize),
        )
    }

    /// The batched statements that write this object's design.
    pub fn plan(&self) -> GraphPlan {
        graph::plan(&self.graph_input())
    }
}

/// Reads `bytes` stored at `bucket`/`key`: parse, then figures. Pure.
pub fn analyse(bucket: &str, key: &str, bytes: &[u8], options: &ParseOptions) -> Analysis {
    analyse_source(SourceObject::from_bytes(bucket, key, bytes), bytes, options)
}

/// [`analyse`] for a source already described (with its ETag or version id).
pub fn analyse_source(source: SourceObject, bytes: &[u8], options: &ParseOptions) -> Analysis {
    let started = Instant::now();
    let parsed = ork::parse(bytes, options);
    let parse_time = started.elapsed();
    let mut invalid_reason = parsed.as_ref().err().map(|e| format!("{e} [{}]", e.code()));
    let (figures, figures_error) = match &parsed {
        Ok(p) => match geometry::figures(&p.design) {
            Ok(f) => (Some(f), None),
            Err(e) => {
                if e.rejects_design() {
                    invalid_reason = Some(format!("{e} [{}]", e.code()));
                }
                (None, Some(e.to_string()))
            }
        },
        Err(_) => (None, None),
    };
    Analysis {
        source,
        parsed,
        invalid_reason,
        figures,
        figures_error,
        parse_time,
    }
}

/// Writes an analysed object into a graph sink, skipping it when the graph already holds the
/// same bytes processed by this version.
pub async fn load<S: GraphSink>(
    sink: &S,
    analysis: &Analysis,
) -> Result<LoadOutcome, graph::GraphError> {
    graph::load(sink, &analysis.graph_input()).await
}

/// An object as fetched.
#[derive(Debug, Clone)]
pub struct FetchedObject {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

/// Why an object could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Deleted between the event and the read: nothing to do.
    #[error("object {bucket}/{key} no longer exists")]
    Gone { bucket: String, key: String },
    /// Over the input limit: refused before downloading (a permanent failure).
    #[error("object is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// Throttling, network, permissions: may work on a retry.
    #[error("could not read {bucket}/{key}: {reason}")]
    Transient {
        bucket: String,
        key: String,
        reason: String,
    },
}

/// What a key holds now, as a HEAD request tells it (nothing is downloaded): its ETag, which
/// tells whether it still holds the bytes just processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub etag: Option<String>,
    /// The current version's id, in a versioned bucket (`None` when the bucket does not tell).
    pub version_id: Option<String>,
}

/// Where design bytes come from.
pub trait ObjectSource: Send + Sync {
    /// Reads an object, refusing it without downloading when it is over `max_bytes`.
    fn fetch(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<FetchedObject, SourceError>> + Send;

    /// What the key holds now, or `None` when it holds nothing (deleted).
    fn head(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectHead>, SourceError>> + Send;
}

/// One object as a listing describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
}

/// One page of a listing, and where the next one starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<Listed>,
    /// The continuation token of the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Lists a bucket, a page at a time (batch reprocessing).
pub trait ObjectLister: Send + Sync {
    /// The page of objects under `prefix` that starts at `token` (the first page for `None`).
    fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> impl Future<Output = Result<ListPage, SourceError>> + Send;
}

/// Objects held in memory: a fake for tests and a source for replaying local files.
#[derive(Debug, Default)]
pub struct MemorySource {
    objects: std::sync::Mutex<std::collections::BTreeMap<(String, String), Vec<u8>>>,
}

impl MemorySource {
    /// Keys per listing page.
    pub const PAGE: usize = 100;

    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.lock().insert((bucket.into(), key.into()), bytes);
    }

    pub fn remove(&self, bucket: &str, key: &str) {
        self.lock().remove(&(bucket.into(), key.into()));
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<(String, String), Vec<u8>>> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ObjectSource for MemorySource {
    async fn fetch(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> Result<FetchedObject, SourceError> {
        let objects = self.lock();
        let stored = objects
            .get(&(bucket.to_string(), key.to_string()))
            .ok_or_else(|| SourceError::Gone {
                bucket: bucket.into(),
                key: key.into(),
            })?;
        // Refused by its size before any copy, as S3 refuses by Content-Length.
        if stored.len() as u64 > max_bytes {
            return Err(SourceError::TooLarge {
                size: stored.len() as u64,
                limit: max_bytes,
            });
        }
        let bytes = stored.clone();
        drop(objects);
        Ok(FetchedObject {
            etag: Some(memory_etag(&bytes)),
            version_id: None,
            bytes,
        })
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectHead>, SourceError> {
        Ok(self
            .lock()
            .get(&(bucket.to_string(), key.to_string()))
            .map(|bytes| ObjectHead {
                etag: Some(memory_etag(bytes)),
                version_id: None,
            }))
    }
}

/// Pages of [`MemorySource::PAGE`] keys, in key order, like S3's `ListObjectsV2`.
impl ObjectLister for MemorySource {
    async fn list_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> Result<ListPage, SourceError> {
        let objects = self.lock();
        let mut page = ListPage::default();
        let after = token.unwrap_or("");
        for ((b, key), bytes) in objects.iter() {
            if b != bucket || !key.starts_with(prefix) || (token.is_some() && key.as_str() <= after)
            {
                continue;
            }
            if page.objects.len() == Self::PAGE {
                page.next = page.objects.last().map(|l| l.key.clone());
                break;
            }
            page.objects.push(Listed {
                key: key.clone(),
                size: bytes.len() as u64,
                etag: Some(memory_etag(bytes)),
            });
        }
        Ok(page)
    }
}

fn memory_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", &graph::sha256_hex(bytes)[..32])
}

/// Settings of a pipeline run.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub parse: ParseOptions,
    pub render: RenderConfig,
    /// The flight chart of the primary simulation.
    pub chart: ChartConfig,
    /// Reprocess even when the graph already holds these bytes from this version.
    pub force: bool,
    /// How long, at most, a run whose graph write failed after its uploads keeps asking the
    /// graph whether the write committed, to delete the uploads if it did not (default 5 s).
    /// Should the graph not answer within it, the images stay (a retry of the same bytes
    /// reuses them).
    pub settle_within: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            parse: ParseOptions::default(),
            render: RenderConfig::default(),
            chart: ChartConfig::default(),
            force: false,
            settle_within: Duration::from_secs(5),
        }
    }
}

/// What became of one created object.
#[derive(Debug, Clone, PartialEq)]
pub enum Processed {
    /// Written, with its image URLs.
    Written {
        design_id: String,
        images: graph::Images,
    },
    /// Not a usable design; recorded as `status: invalid` with the reason, or as a rejection on
    /// the good design the key already held (which stays).
    Invalid { design_id: String, reason: String },
    /// The graph already holds these bytes from this version.
    Unchanged { design_id: String },
    /// The key holds no object: it was deleted before it could be read, or while it was
    /// processed (what had been written for it is then removed again).
    Gone,
}

/// What became of one removed object.
#[derive(Debug, Clone, PartialEq)]
pub enum Removed {
    /// The key holds nothing: its design and images are gone (`existed`: there was one).
    Deleted { existed: bool },
    /// The key holds an object again (uploaded after the delete, its event possibly handled
    /// first): it was processed instead, so the design describes it.
    Recreated(Processed),
}

/// Rounds of processing that [`process_object`] gives an object that keeps changing while it
/// is processed, before it fails transiently (a retry starts over).
pub const MAX_ROUNDS: usize = 3;

/// Per-stage durations of one object, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    pub fetch: Duration,
    pub parse: Duration,
    pub render: Duration,
    pub upload: Duration,
    pub graph: Duration,
}

/// A failure that may go away on a retry.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("reading the object: {0}")]
    Source(#[from] SourceError),
    #[error("writing the graph: {0}")]
    Graph(#[from] graph::GraphError),
    #[error("publishing images: {0}")]
    Images(#[from] PublishError),
}

impl PipelineError {
    /// Whether a retry may succeed by itself (throttling, a dropped connection, a server
    /// error), as opposed to a failure that needs someone to act (wrong credentials, a bad
    /// setting). Either way the invocation fails, so the event can be retried or redriven.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Source(SourceError::Transient { .. }) => true,
            Self::Source(_) => false,
            // Other workers kept writing the key: a later try reads it afresh.
            Self::Graph(graph::GraphError::Conflict { .. }) => true,
            Self::Graph(graph::GraphError::RetriesExhausted { last, .. }) => last.is_retryable(),
            Self::Graph(e) => e.is_retryable(),
            Self::Images(e) => e.is_transient(),
        }
    }

    /// `source`, `graph` or `images`: the failure class for metrics and logs.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Source(_) => "source",
            Self::Graph(_) => "graph",
            Self::Images(_) => "images",
        }
    }
}

/// The ports a pipeline run uses.
pub struct Ports<'a, S, G, I> {
    pub source: &'a S,
    pub graph: &'a G,
    pub images: &'a I,
}

/// Processes a created (or overwritten) object: fetch, parse, figures, render, upload, graph.
///
/// S3 events arrive in any order, late or twice, and the object can change while it is being
/// processed, so the event is only a hint: what is processed is what the key holds, and once
/// the graph is written the key is checked again (one HEAD request). If it now holds other
/// bytes, they are processed in turn (up to [`MAX_ROUNDS`] rounds); if it holds nothing, what
/// was written is removed. The graph thus ends up describing the key's current object,
/// whatever the order in which the events for it are handled. A round that writes nothing
/// (the graph already holds these bytes, or the key is empty) needs no check: a duplicated
/// event costs one download.
pub async fn process_object<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
) -> Result<Processed, PipelineError> {
    // Images uploaded by a round whose write lost a race with another worker (its guard
    // found another version stored). Deleted once this call knows what the key holds, unless
    // the graph shows them after all.
    let mut lost: Option<String> = None;
    let result = rounds(ports, config, bucket, key, times, &mut lost).await;
    if let Some(sha256) = lost {
        let started = Instant::now();
        settle_uploads(
            ports,
            config,
            &graph::design_id(bucket, key),
            &sha256,
            Settle::Lost,
        )
        .await;
        times.upload += started.elapsed();
    }
    result
}

/// The rounds of [`process_object`]; `lost` gets the SHA-256 of images a lost write left.
async fn rounds<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
    lost: &mut Option<String>,
) -> Result<Processed, PipelineError> {
    for _ in 0..MAX_ROUNDS {
        // Boxed: the round's future holds the download, the parse and the uploads, and would
        // otherwise sit on the caller's stack (large in debug builds).
        let round = match Box::pin(process_current(ports, config, bucket, key, times)).await? {
            Attempt::Done(round) => round,
            // Another worker wrote the key since this round read it: read it again.
            Attempt::Lost { sha256 } => {
                *lost = Some(sha256);
                continue;
            }
        };
        // Nothing written (the graph already held these bytes, or there was nothing to read):
        // nothing this round did can be stale, and a later upload has its own event. The
        // images of the version the stored one replaced are deleted (again: a run whose
        // commit's answer was lost never got to it).
        if matches!(
            round.processed,
            Processed::Unchanged { .. } | Processed::Gone
        ) {
            if let Some(old) = &round.replaced {
                let started = Instant::now();
                let deleted =
                    delete_images(ports.images, &graph::design_id(bucket, key), old).await;
                times.upload += started.elapsed();
                deleted?;
            }
            return Ok(round.processed);
        }
        // After the commit, at once: the check of the key, and the deletion of the images of
        // the version just replaced (no longer shown). Should a deletion fail, the record fails
        // and a retry finds the design unchanged (the images are then left, see the README).
        let design_id = graph::design_id(bucket, key);
        let (now, deleted) = futures_util::future::join(
            timed(ports.source.head(bucket, key)),
            timed(async {
                match &round.replaced {
                    Some(old) => delete_images(ports.images, &design_id, old).await,
                    None => Ok(()),
                }
            }),
        )
        .await;
        times.fetch += now.1;
        times.upload += deleted.1;
        deleted.0?;
        match (now.0?, round.processed) {
            // Deleted while processed (its delete event may already have been handled).
            (None, _) => {
                let started = Instant::now();
                let deleted = delete_design(ports.graph, ports.images, bucket, key).await;
                times.graph += started.elapsed();
                deleted?;
                return Ok(Processed::Gone);
            }
            // Still the bytes that were processed (or no ETag to tell).
            (Some(head), processed)
                if round.etag.is_none() || head.etag.is_none() || head.etag == round.etag =>
            {
                return Ok(processed)
            }
            // Replaced while processed: process the new bytes.
            (Some(_), _) => continue,
        }
    }
    Err(PipelineError::Source(SourceError::Transient {
        bucket: bucket.into(),
        key: key.into(),
        reason: format!("the object changed while it was processed, {MAX_ROUNDS} times in a row"),
    }))
}

/// Awaits `f` and measures it.
async fn timed<T>(f: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = f.await;
    (out, started.elapsed())
}

/// When to give up images uploaded for a version that is not (yet) stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    /// The write lost a race: another version is stored, and any worker still holding these
    /// bytes read the same stale version, so its guarded write fails too. Delete unless the
    /// stored design is this version.
    Lost,
    /// The write, or an upload, failed. The write may still have committed (its answer lost),
    /// and another worker with the same bytes (a duplicated event) uploads to the same ids and
    /// may be about to commit them: delete only once the graph has shown, for all of
    /// [`PipelineConfig::settle_within`], another version than this one.
    Failed,
}

/// Deletes the images uploaded for a version whose write did not go through, unless the
/// stored design is that very version (see [`Settle`]). The graph is asked again with growing
/// pauses; should it never answer within [`PipelineConfig::settle_within`], the images stay,
/// and a retry of the same bytes uses them. Best effort: a failed deletion costs storage,
/// never a shown image.
async fn settle_uploads<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    design_id: &str,
    sha256: &str,
    how: Settle,
) {
    let deadline = Instant::now() + config.settle_within;
    let mut pause = Duration::from_millis(100);
    let mut answered = false;
    loop {
        // An error (the graph unreachable) is asked again after the pause.
        if let Ok(mut stored) = ports.graph.stored(&[design_id.to_owned()]).await {
            if stored.pop().is_some_and(|s| s.sha256 == sha256) {
                return;
            }
            answered = true;
            if how == Settle::Lost {
                break;
            }
        }
        if Instant::now() + pause >= deadline {
            break;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    if !answered {
        return;
    }
    let version = graph::StoredDesign {
        sha256: sha256.to_owned(),
        ..graph::StoredDesign::default()
    };
    let _ = delete_images(ports.images, design_id, &version).await;
}

/// [`settle_uploads`] after a failed upload or write, timed as upload time.
async fn give_up<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    design_id: &str,
    sha256: &str,
    times: &mut StageTimes,
) {
    let started = Instant::now();
    settle_uploads(ports, config, design_id, sha256, Settle::Failed).await;
    times.upload += started.elapsed();
}

/// A round of [`process_object`]: done, or its write lost a race.
enum Attempt {
    Done(Box<Round>),
    /// The guarded write found another version stored than the round had read; it wrote
    /// nothing, and left the images it uploaded for these bytes.
    Lost {
        sha256: String,
    },
}

/// What one round of [`process_object`] did.
struct Round {
    processed: Processed,
    /// The ETag of the bytes processed (`None` when they were not read).
    etag: Option<String>,
    /// The stored version this round replaced, whose images are no longer shown.
    replaced: Option<graph::StoredDesign>,
}

/// One round of [`process_object`]: processes what the key holds now.
///
/// The network waits that do not depend on each other overlap: the download and the read of
/// what the graph holds for the key run at once, and so do the image uploads. The graph write
/// is one transaction after every upload succeeded.
async fn process_current<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
) -> Result<Attempt, PipelineError> {
    let design_id = graph::design_id(bucket, key);
    let round = |processed, etag| {
        Attempt::Done(Box::new(Round {
            processed,
            etag,
            replaced: None,
        }))
    };
    // The object, and what the graph holds under its key (for the cheap skip, and to remove
    // the images it points at once replaced), at once.
    let (fetched, previous) = futures_util::future::join(
        timed(
            ports
                .source
                .fetch(bucket, key, config.parse.limits.max_input_bytes),
        ),
        timed(ports.graph.stored(std::slice::from_ref(&design_id))),
    )
    .await;
    times.fetch += fetched.1;
    times.graph += previous.1;
    let fetched = match fetched.0 {
        Ok(f) => f,
        Err(SourceError::Gone { .. }) => return Ok(round(Processed::Gone, None)),
        Err(SourceError::TooLarge { size, limit }) => {
            let started = Instant::now();
            let source = oversized_source(bucket, key, size);
            let reason = refuse_too_large(ports.graph, &source, limit).await?;
            times.graph += started.elapsed();
            return Ok(round(Processed::Invalid { design_id, reason }, None));
        }
        Err(e) => return Err(e.into()),
    };
    let previous = previous.0?.pop();
    let etag = fetched.etag.clone();
    let mut source = SourceObject::from_bytes(bucket, key, &fetched.bytes);
    source.etag = fetched.etag;
    source.version_id = fetched.version_id;

    // The same bytes already handled (written or refused) by this version: nothing to do
    // but make sure the images of the version it replaced are gone.
    if !config.force
        && previous
            .as_ref()
            .is_some_and(|s| s.has_sha256(&source.sha256, crate::VERSION))
    {
        let replaced = previous
            .and_then(|p| p.replaced_sha256)
            .map(|sha256| graph::StoredDesign {
                sha256,
                ..graph::StoredDesign::default()
            });
        return Ok(Attempt::Done(Box::new(Round {
            processed: Processed::Unchanged { design_id },
            etag,
            replaced,
        })));
    }

    let analysis = analyse_source(source, &fetched.bytes, &config.parse);
    times.parse += analysis.parse_time;
    let (Ok(parsed), None) = (&analysis.parsed, &analysis.invalid_reason) else {
        let reason = analysis.invalid_reason.clone().unwrap_or_default();
        let started = Instant::now();
        let written = ports.graph.write_design(&analysis.plan()).await;
        times.graph += started.elapsed();
        written?;
        return Ok(round(Processed::Invalid { design_id, reason }, etag));
    };

    // Images: a design whose geometry cannot be drawn is still a design, without pictures.
    let started = Instant::now();
    let rendered = geometry::resolve(&parsed.design).ok().and_then(|resolved| {
        render::render(
            &parsed.design,
            &resolved,
            analysis.figures.as_ref(),
            &config.render,
        )
        .ok()
    });
    // The flight chart, when a simulation has data (a chart that cannot be drawn is left
    // out, like a profile).
    let flight = chart::primary_chart(&parsed.design, &config.chart)
        .ok()
        .flatten();
    times.render += started.elapsed();
    let mut files = Vec::new();
    if let Some(r) = rendered {
        files.extend([
            (ImageKind::Profile, r.png),
            (ImageKind::Thumbnail, r.thumb_png),
            (ImageKind::Svg, r.svg.into_bytes()),
        ]);
    }
    if let Some(c) = flight {
        files.extend([
            (ImageKind::FlightChart, c.png),
            (ImageKind::FlightChartSvg, c.svg.into_bytes()),
        ]);
    }
    // Images go under ids of this file version, so the stored design keeps showing its own
    // until the graph commits the new one. When the stored design is this very version (a
    // forced run), the ids are the ones it shows.
    let shown = previous
        .as_ref()
        .is_some_and(|p| p.status == "ok" && p.sha256 == analysis.source.sha256);
    let started = Instant::now();
    let images = upload_all(ports.images, &design_id, &analysis.source.sha256, files).await;
    times.upload += started.elapsed();
    let images = match images {
        Ok(images) => images,
        // The ones that went up are given up like those of a failed write (unless they are
        // the ids the stored design shows).
        Err(e) => {
            if !shown {
                give_up(ports, config, &design_id, &analysis.source.sha256, times).await;
            }
            return Err(e);
        }
    };

    // Written only while the graph still holds what was read above: the images to delete
    // once replaced were chosen from it, and a worker that wrote since must not be undone.
    let read = previous
        .as_ref()
        .map_or(String::new(), |p| p.sha256.clone());
    let replaced = previous.filter(|p| p.status == "ok" && p.sha256 != analysis.source.sha256);
    let input = analysis
        .graph_input()
        .with_images(images.clone())
        .with_replaced(replaced.as_ref().map(|p| p.sha256.clone()));
    let plan = graph::plan(&input).guarded(&read);
    let started = Instant::now();
    let written = ports.graph.write_design(&plan).await;
    times.graph += started.elapsed();
    match written {
        Ok(_) => {}
        Err(graph::GraphError::Conflict { .. }) => {
            return Ok(Attempt::Lost {
                sha256: analysis.source.sha256.clone(),
            })
        }
        // Whether it committed is unknown (the connection may have dropped after the commit):
        // the graph is asked before the uploads are deleted.
        Err(e) => {
            if !shown {
                give_up(ports, config, &design_id, &analysis.source.sha256, times).await;
            }
            return Err(e.into());
        }
    }

    Ok(Attempt::Done(Box::new(Round {
        processed: Processed::Written { design_id, images },
        etag,
        replaced,
    })))
}

/// Uploads a design version's images all at once and returns their URLs, or the first
/// failure once every upload has ended (the caller then gives up the ones that went up, see
/// [`settle_uploads`]).
async fn upload_all<I: ImageStore>(
    images: &I,
    design_id: &str,
    sha256: &str,
    files: Vec<(ImageKind, Vec<u8>)>,
) -> Result<graph::Images, PipelineError> {
    let folder = images.folder().to_string();
    let content = crate::publish::content_tag(sha256);
    let uploads = files
        .into_iter()
        .map(|(kind, bytes)| {
            ImageUpload::for_design(&folder, design_id, content, kind, bytes).map(|u| (kind, u))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results =
        futures_util::future::join_all(uploads.iter().map(|(_, u)| images.upload(u))).await;
    let mut urls = graph::Images::default();
    let mut failure = None;
    for ((kind, _), result) in uploads.iter().zip(results.iter()) {
        match result {
            Ok(stored) => *image_url(&mut urls, *kind) = Some(stored.secure_url.clone()),
            Err(e) if failure.is_none() => failure = Some(e.clone()),
            Err(_) => {}
        }
    }
    match failure {
        None => Ok(urls),
        Some(failure) => Err(failure.into()),
    }
}

/// Where the URL of an image of `kind` goes on the `Design` node.
fn image_url(images: &mut graph::Images, kind: ImageKind) -> &mut Option<String> {
    match kind {
        ImageKind::Profile => &mut images.profile_url,
        ImageKind::Thumbnail => &mut images.thumbnail_url,
        ImageKind::Svg => &mut images.svg_url,
        ImageKind::FlightChart => &mut images.flight_chart_url,
        ImageKind::FlightChartSvg => &mut images.flight_chart_svg_url,
    }
}

/// Deletes the images of a stored design version, every kind, all at once (deleting a missing
/// one is fine).
async fn delete_images<I: ImageStore>(
    images: &I,
    design_id: &str,
    stored: &graph::StoredDesign,
) -> Result<(), PipelineError> {
    if stored.sha256.is_empty() {
        return Ok(());
    }
    let folder = images.folder().to_string();
    let content = crate::publish::content_tag(&stored.sha256);
    let ids = ImageKind::ALL
        .iter()
        .map(|&kind| crate::publish::public_id(&folder, design_id, content, kind))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = futures_util::future::join_all(ids.iter().map(|id| images.delete(id))).await;
    deleted.into_iter().collect::<Result<(), _>>()?;
    Ok(())
}

/// Describes an object known only by its size (it is not downloaded).
pub fn oversized_source(bucket: &str, key: &str, size: u64) -> SourceObject {
    SourceObject {
        bucket: bucket.into(),
        key: key.into(),
        etag: None,
        version_id: None,
        sha256: String::new(),
        size_bytes: size,
    }
}

/// How the reason recorded for an object over the input limit ends (its error code).
pub const TOO_LARGE_TAG: &str = "[input_too_large]";

/// Whether an invalid design's reason says the object is over the input limit (refused
/// before it was read, or by the reader), rather than not a design.
pub fn is_too_large(reason: &str) -> bool {
    reason.ends_with(TOO_LARGE_TAG)
}

/// Records an object over the input limit as an invalid design (a permanent failure);
/// returns the reason recorded.
pub async fn refuse_too_large<G: GraphSink>(
    graph_sink: &G,
    source: &SourceObject,
    limit: u64,
) -> Result<String, PipelineError> {
    let reason = format!(
        "{} {TOO_LARGE_TAG}",
        OrkError::InputTooLarge {
            size: source.size_bytes,
            limit
        }
    );
    graph_sink.mark_invalid(source, &reason).await?;
    Ok(reason)
}

/// Handles a removed object: when the key holds nothing, removes its design from the graph
/// and its images from the store.
///
/// A delete event can be handled after the key was uploaded again (events arrive in any
/// order), so the key is checked first (one HEAD request), and again once the design is
/// deleted: when it holds an object, that object is processed instead ([`process_object`]).
pub async fn remove_object<S: ObjectSource, G: GraphSink, I: ImageStore>(
    ports: &Ports<'_, S, G, I>,
    config: &PipelineConfig,
    bucket: &str,
    key: &str,
    times: &mut StageTimes,
) -> Result<Removed, PipelineError> {
    let started = Instant::now();
    let now = ports.source.head(bucket, key).await;
    times.fetch += started.elapsed();
    if now?.is_none() {
        let started = Instant::now();
        let existed = delete_design(ports.graph, ports.images, bucket, key).await;
        times.graph += started.elapsed();
        let existed = existed?;
        // Uploaded again while the design was being deleted?
        let started = Instant::now();
        let now = ports.source.head(bucket, key).await;
        times.fetch += started.elapsed();
        if now?.is_none() {
            return Ok(Removed::Deleted { existed });
        }
    }
    let processed = process_object(ports, config, bucket, key, times).await?;
    Ok(Removed::Recreated(processed))
}

/// Removes a design from the graph and its images from the store, whatever S3 holds.
/// Returns whether the graph held the design.
///
/// The images deleted are those of the version read; the graph delete is guarded by that
/// version, so that a version another worker wrote meanwhile is read and deleted in turn
/// rather than left with its images orphaned (up to [`MAX_ROUNDS`] times).
pub async fn delete_design<G: GraphSink, I: ImageStore>(
    graph_sink: &G,
    images: &I,
    bucket: &str,
    key: &str,
) -> Result<bool, PipelineError> {
    let design_id = graph::design_id(bucket, key);
    let mut conflict = None;
    for _ in 0..MAX_ROUNDS {
        let Some(stored) = graph_sink
            .stored(std::slice::from_ref(&design_id))
            .await?
            .pop()
        else {
            return Ok(false);
        };
        delete_images(images, &design_id, &stored).await?;
        if let Some(sha256) = stored.replaced_sha256.clone() {
            let old = graph::StoredDesign {
                sha256,
                ..graph::StoredDesign::default()
            };
            delete_images(images, &design_id, &old).await?;
        }
        match graph_sink
            .delete_design(&design_id, Some(&stored.sha256))
            .await
        {
            Err(e @ graph::GraphError::Conflict { .. }) => conflict = Some(e),
            other => return Ok(other?),
        }
    }
    Err(conflict
        .map(PipelineError::Graph)
        .unwrap_or_else(|| graph::GraphError::Conflict { design_id }.into()))
}
