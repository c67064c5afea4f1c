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
//! succeeds so nothing retries it. Anything that may work on a retry (graph unreachable, image
//! store throttling or 5xx after
//! its own retries, S3 throttling) is *transient* and returned as [`PipelineError`].
//!
//! This file holds the stages and the entry calls; `source.rs` the [`ObjectSource`] and
//! [`ObjectLister`] ports (and [`MemorySource`]); `round.rs` the rounds of [`process_object`]
//! (the guarded write, what follows a lost race, the uploads of a write that did not go
//! through); `images.rs` the upload and deletion of one revision's images.

mod images;
mod round;
mod source;

use std::time::{Duration, Instant};

use crate::geometry;
use crate::graph::{self, DesignInput, GraphPlan, GraphSink, LoadOutcome, Outcome, SourceObject};
use crate::ork::{self, OrkError, ParseOptions, Parsed};
use crate::publish::{ImageStore, PublishError};
use crate::render::chart::ChartConfig;
use crate::render::mesh::MeshConfig;
use crate::render::RenderConfig;
use images::delete_images;
use round::rounds;
pub use source::{
    FetchedObject, ListPage, Listed, MemorySource, ObjectHead, ObjectLister, ObjectSource,
    SourceError,
};

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

/// Settings of a pipeline run.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub parse: ParseOptions,
    pub render: RenderConfig,
    /// The flight chart of the primary simulation.
    pub chart: ChartConfig,
    /// The 3D model (binary glTF) of the outside; `None` builds none (the latency bench's
    /// side-by-side run).
    pub model: Option<MeshConfig>,
    /// Reprocess even when the graph already holds these bytes from this version.
    pub force: bool,
    /// How long, at most, a run whose graph write failed with its outcome unknown (the
    /// connection broke, perhaps after the commit) sends the same write again, with growing
    /// pauses (default 10 s). The write is idempotent by its revision, so the first answer
    /// settles it: stored, the run goes on; another revision stored, its images are deleted.
    /// Only a graph unreachable for all of it leaves the images on the store. A write the
    /// server refused, or the guard turned down, and an upload that failed never wait: their
    /// images go at once.
    pub outcome_within: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            parse: ParseOptions::default(),
            render: RenderConfig::default(),
            chart: ChartConfig::default(),
            model: Some(MeshConfig::default()),
            force: false,
            outcome_within: Duration::from_secs(10),
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
    rounds(ports, config, bucket, key, times).await
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
/// The images deleted are those of the revision read (and of the one it replaced, should
/// their deletion not have happened); the graph delete is guarded by that revision, so that a
/// version another worker wrote meanwhile is read and deleted in turn rather than left with
/// its images orphaned (up to [`MAX_ROUNDS`] times).
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
        // An invalid design has no images; a good one (kept over a refused upload, too) has
        // those of its revision.
        if stored.status == "ok" {
            delete_images(images, &design_id, stored.revision()).await?;
        }
        if let Some(old) = stored.replaced() {
            delete_images(images, &design_id, old).await?;
        }
        match graph_sink
            .delete_design(&design_id, Some(stored.revision()))
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
