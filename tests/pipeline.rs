//! The pipeline and the handler with in-memory ports: objects over the input limit are
//! recorded as invalid designs, and the event's own size refuses them without a download; an
//! invalid upload keeps the last good design; and the graph follows what the key holds when
//! the object changes while it is processed or its events arrive out of order.

mod common;

use aws_lambda_events::event::s3::S3Event;
use ork_processor::graph::{self, GraphSink, MemorySink};
use ork_processor::lambda::handler::Handler;
use ork_processor::pipeline::{
    self, FetchedObject, MemorySource, ObjectHead, ObjectSource, PipelineConfig, Ports, Processed,
    Removed, SourceError, StageTimes,
};
use ork_processor::publish::{
    ImageKind, ImageStore, ImageUpload, MemoryStore, PublishError, StoredImage,
};

fn small_limit(bytes: u64) -> PipelineConfig {
    let mut parse = ork_processor::ork::ParseOptions::default();
    parse.limits.max_input_bytes = bytes;
    PipelineConfig {
        parse,
        ..PipelineConfig::default()
    }
}

fn status(sink: &MemorySink, bucket: &str, key: &str) -> Option<String> {
    let g = sink.design(&graph::design_id(bucket, key))?;
    Some(g.status().to_string())
}

#[tokio::test]
async fn an_object_over_the_limit_is_recorded_invalid() {
    let source = MemorySource::new();
    let bytes = std::fs::read(common::testdata("minimal.ork")).unwrap();
    source.put("b", "uploads/big.ork", bytes.clone());
    source.put("b", "uploads/ok.ork", bytes);
    let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = small_limit(100);
    let mut times = StageTimes::default();
    let out = pipeline::process_object(&ports, &config, "b", "uploads/big.ork", &mut times)
        .await
        .unwrap();
    let Processed::Invalid { reason, .. } = out else {
        panic!("expected invalid, got {out:?}")
    };
    assert!(
        reason.contains("limit of 100 bytes") && reason.contains("input_too_large"),
        "{reason}"
    );
    assert_eq!(
        status(&sink, "b", "uploads/big.ork").as_deref(),
        Some("invalid")
    );
    assert!(
        images.public_ids().is_empty(),
        "nothing rendered or uploaded"
    );

    // Within the limit: written, with six files (five images and the model).
    let out = pipeline::process_object(
        &ports,
        &PipelineConfig::default(),
        "b",
        "uploads/ok.ork",
        &mut times,
    )
    .await
    .unwrap();
    assert!(matches!(out, Processed::Written { .. }), "{out:?}");
    assert_eq!(status(&sink, "b", "uploads/ok.ork").as_deref(), Some("ok"));
    assert_eq!(
        images.public_ids().len(),
        6,
        "profile, thumbnail, SVG, flight chart ×2"
    );
}

fn text(props: &graph::Props, key: &str) -> Option<String> {
    props.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

/// The flight chart goes up with the other images, its URLs go on the `Design` and on the
/// primary `Simulation`, and it is deleted with the rest when the design is replaced or removed.
#[tokio::test]
async fn the_flight_chart_is_published_and_follows_the_design() {
    let source = MemorySource::new();
    let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let (bucket, key) = ("b", "uploads/flight.ork");
    let id = graph::design_id(bucket, key);
    let mut times = StageTimes::default();

    let first = std::fs::read(common::testdata("minimal.ork")).unwrap();
    source.put(bucket, key, first.clone());
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    assert_eq!(images.public_ids(), shown_ids(&sink, bucket, key, &first));
    let g = sink.design(&id).unwrap();
    let chart = text(&g.design, "flight_chart_url").expect("flight_chart_url on the Design");
    assert!(chart.ends_with("flight-chart.png"), "{chart}");
    let svg = text(&g.design, "flight_chart_svg_url").expect("flight_chart_svg_url");
    assert!(svg.ends_with("flight-chart-svg.svg"), "{svg}");
    let primary: Vec<_> = g
        .simulations
        .iter()
        .filter(|s| s.props.contains_key("primary"))
        .collect();
    assert_eq!(primary.len(), 1);
    assert_eq!(text(&primary[0].props, "flight_chart_url"), Some(chart));
    assert_eq!(text(&primary[0].props, "flight_chart_svg_url"), Some(svg));
    assert!(primary[0].props.contains_key("series_altitude_m"));

    // A new version: its six files replace the old six.
    let second = std::fs::read(common::testdata("series-english.ork")).unwrap();
    source.put(bucket, key, second.clone());
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    assert_eq!(images.public_ids(), shown_ids(&sink, bucket, key, &second));

    // Removed: no image is left.
    source.remove(bucket, key);
    let out = pipeline::remove_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    assert_eq!(out, Removed::Deleted { existed: true });
    assert!(images.public_ids().is_empty(), "{:?}", images.public_ids());

    // A design without flight data has no chart.
    let plain = std::fs::read(common::testdata("format-1.0-position.ork")).unwrap();
    source.put(bucket, key, plain);
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    assert_eq!(
        images.public_ids().len(),
        4,
        "profile, thumbnail, SVG and model"
    );
    let g = sink.design(&id).unwrap();
    assert_eq!(text(&g.design, "flight_chart_url"), None);
    let model = text(&g.design, "model_url").expect("model_url on the Design");
    assert!(model.ends_with("/model.glb"), "{model}");
    let glb = images
        .get(&common::stub::public_id(&model))
        .expect("the model");
    assert!(glb.bytes.starts_with(b"glTF"));
}

#[tokio::test]
async fn the_event_size_refuses_an_object_without_downloading_it() {
    // The source is empty: a download would find nothing and report the object as gone.
    let handler = Handler {
        source: MemorySource::new(),
        graph: MemorySink::new(),
        images: MemoryStore::new("designs"),
        config: small_limit(1000),
        function_name: "test".into(),
    };
    let text = std::fs::read_to_string(common::testdata("events/created.json")).unwrap();
    let event: S3Event = serde_json::from_str(&text).unwrap();
    let summary = handler.handle(&event, "req").await.unwrap();
    assert_eq!(summary.records[0].outcome, "invalid");
    assert!(summary.records[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("input_too_large"));
    assert_eq!(
        status(
            &handler.graph,
            "ork-designs",
            "uploads/A simple model rocket.ork"
        )
        .as_deref(),
        Some("invalid")
    );
}

/// An invalid upload over a good design keeps the design (components and all), records the
/// rejection on it, and is skipped when the same bad bytes come again; a good upload then
/// clears the rejection. Runs on the in-memory sink and, when `NEO4J_URI` is set, on the live
/// graph database.
async fn check_rejection_keeps_the_good_design<G: graph::GraphSink>(sink: &G, bucket: &str) {
    let source = MemorySource::new();
    let images = MemoryStore::new("designs");
    let ports = Ports {
        source: &source,
        graph: sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let key = "uploads/victim.ork";
    let id = graph::design_id(bucket, key);
    let run = |bytes: Vec<u8>| {
        source.put(bucket, key, bytes);
        let (ports, config) = (&ports, &config);
        async move {
            let mut times = StageTimes::default();
            pipeline::process_object(ports, config, bucket, key, &mut times)
                .await
                .unwrap()
        }
    };
    let good = std::fs::read(common::testdata("all-components.ork")).unwrap();
    let out = run(good.clone()).await;
    assert!(matches!(out, Processed::Written { .. }), "{out:?}");

    let bad = std::fs::read(common::testdata("bad-number.ork")).unwrap();
    let out = run(bad.clone()).await;
    let Processed::Invalid { reason, .. } = &out else {
        panic!("expected invalid, got {out:?}")
    };
    assert!(reason.contains("[bad_number]"), "{reason}");
    let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
    let [s] = stored.as_slice() else {
        panic!("{stored:?}")
    };
    assert_eq!(s.status, "ok");
    assert_eq!(s.sha256, graph::sha256_hex(&good));
    assert_eq!(
        s.rejected_sha256.as_deref(),
        Some(&*graph::sha256_hex(&bad))
    );
    // The same bad bytes again: already handled, nothing written.
    let out = run(bad).await;
    assert!(matches!(out, Processed::Unchanged { .. }), "{out:?}");

    // A good upload replaces the design and clears the rejection.
    let minimal = std::fs::read(common::testdata("minimal.ork")).unwrap();
    let out = run(minimal.clone()).await;
    assert!(matches!(out, Processed::Written { .. }), "{out:?}");
    let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(stored[0].sha256, graph::sha256_hex(&minimal));
    assert_eq!(stored[0].rejected_sha256, None);
    // Only the current version's images remain: the replaced version's went after the commit.
    let tag = ork_processor::publish::content_tag(&graph::sha256_hex(&minimal)).to_owned();
    let ids = images.public_ids();
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert!(ids.iter().all(|i| i.contains(&tag)), "{ids:?}");

    // Deleting the object removes the design and its images.
    source.remove(bucket, key);
    let removed = pipeline::remove_object(&ports, &config, bucket, key, &mut StageTimes::default())
        .await
        .unwrap();
    assert_eq!(removed, Removed::Deleted { existed: true });
    assert!(images.public_ids().is_empty());
    assert!(sink
        .stored(std::slice::from_ref(&id))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_invalid_upload_keeps_the_last_good_design() {
    let memory = MemorySink::new();
    check_rejection_keeps_the_good_design(&memory, "b").await;
    let components = |sink: &MemorySink| {
        sink.design(&graph::design_id("b", "uploads/victim.ork"))
            .map(|g| g.components.len())
    };
    assert_eq!(components(&memory), None, "deleted at the end");

    match graph::GraphConfig::from_env() {
        Ok(Some(config)) => {
            let sink = graph::Neo4jSink::connect(config).await.expect("connect");
            graph::GraphSink::ensure_schema(&sink).await.expect("schema");
            let bucket = format!("pipeline-reject-{}", std::process::id());
            check_rejection_keeps_the_good_design(&sink, &bucket).await;
        }
        _ => eprintln!(
            "SKIPPED the live half of an_invalid_upload_keeps_the_last_good_design: NEO4J_URI is not set"
        ),
    }
}

/// What happens to the object in S3 right after the pipeline has read it.
#[derive(Debug, Clone)]
enum Change {
    /// Another upload replaces it.
    Replace(&'static str),
    /// It is deleted.
    Delete,
}

/// An in-memory bucket that applies one queued [`Change`] right after each read, as if
/// another upload or a delete landed while the object was being processed.
struct Changing {
    inner: MemorySource,
    after_fetch: std::sync::Mutex<std::collections::VecDeque<Change>>,
    fetches: std::sync::atomic::AtomicUsize,
    heads: std::sync::atomic::AtomicUsize,
}

impl Changing {
    fn new(bucket: &str, key: &str, first: &str, changes: &[Change]) -> Self {
        let inner = MemorySource::new();
        inner.put(bucket, key, fixture(first));
        Self {
            inner,
            after_fetch: std::sync::Mutex::new(changes.iter().cloned().collect()),
            fetches: Default::default(),
            heads: Default::default(),
        }
    }
}

impl ObjectSource for Changing {
    async fn fetch(&self, b: &str, k: &str, max: u64) -> Result<FetchedObject, SourceError> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let fetched = self.inner.fetch(b, k, max).await;
        let change = self.after_fetch.lock().unwrap().pop_front();
        match change {
            Some(Change::Replace(name)) => self.inner.put(b, k, fixture(name)),
            Some(Change::Delete) => self.inner.remove(b, k),
            None => {}
        }
        fetched
    }

    async fn head(&self, b: &str, k: &str) -> Result<Option<ObjectHead>, SourceError> {
        self.heads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.head(b, k).await
    }
}

impl Changing {
    /// Downloads and HEAD requests so far.
    fn requests(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::SeqCst;
        (self.fetches.load(SeqCst), self.heads.load(SeqCst))
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::testdata(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The design the graph ends up with: `(status, sha256)`, and the number of images stored.
type Final = (Option<(String, String)>, usize);

async fn final_state(sink: &MemorySink, images: &MemoryStore, bucket: &str, key: &str) -> Final {
    let id = graph::design_id(bucket, key);
    let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
    (
        stored.first().map(|s| (s.status.clone(), s.sha256.clone())),
        images.public_ids().len(),
    )
}

/// The object changes while it is processed: the graph ends up describing what the key holds
/// when processing ends, whatever it held when the event was sent. `expected` names the
/// fixture the final design must be (with its six files: profile, thumbnail, SVG, the flight
/// chart's PNG and SVG, and the 3D model), or `None` for no design at all.
#[tokio::test]
async fn a_design_follows_an_object_that_changes_while_processed() {
    /// `requests`: downloads and HEAD requests.
    async fn check(
        changes: &[Change],
        expected: Option<&str>,
        outcome: &str,
        requests: (usize, usize),
    ) {
        let (bucket, key) = ("b", "uploads/moving.ork");
        let source = Changing::new(bucket, key, "minimal.ork", changes);
        let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
        let ports = Ports {
            source: &source,
            graph: &sink,
            images: &images,
        };
        let config = PipelineConfig::default();
        let out =
            pipeline::process_object(&ports, &config, bucket, key, &mut StageTimes::default())
                .await
                .unwrap();
        let what = format!("{changes:?}");
        assert_eq!(
            format!("{out:?}").split([' ', '{']).next(),
            Some(outcome),
            "{what}: {out:?}"
        );
        let want: Final = match expected {
            Some(name) => (Some(("ok".into(), graph::sha256_hex(&fixture(name)))), 6),
            None => (None, 0),
        };
        assert_eq!(
            final_state(&sink, &images, bucket, key).await,
            want,
            "{what}"
        );
        assert_eq!(source.requests(), requests, "{what}: downloads, HEADs");
    }
    // Nothing changes: one download, one HEAD.
    check(&[], Some("minimal.ork"), "Written", (1, 1)).await;
    // Replaced while processed: the new bytes are processed in a second round, and the
    // first version's images are gone.
    check(
        &[Change::Replace("all-components.ork")],
        Some("all-components.ork"),
        "Written",
        (2, 2),
    )
    .await;
    // Replaced twice: three rounds.
    check(
        &[
            Change::Replace("all-components.ork"),
            Change::Replace("zipped.ork"),
        ],
        Some("zipped.ork"),
        "Written",
        (3, 3),
    )
    .await;
    // Deleted while processed (its delete event possibly handled already): what was written
    // is removed again.
    check(&[Change::Delete], None, "Gone", (1, 1)).await;
}

/// A duplicated event (S3 delivers at least once) costs one download and no check of the
/// key: nothing is written, so nothing can be stale.
#[tokio::test]
async fn a_duplicate_event_writes_nothing_and_checks_nothing() {
    let (bucket, key) = ("b", "uploads/twice.ork");
    let source = Changing::new(bucket, key, "minimal.ork", &[]);
    let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let mut times = StageTimes::default();
    let first = pipeline::process_object(&ports, &config, bucket, key, &mut times).await;
    assert!(matches!(first, Ok(Processed::Written { .. })), "{first:?}");
    assert_eq!(source.requests(), (1, 1));
    let again = pipeline::process_object(&ports, &config, bucket, key, &mut times).await;
    assert!(
        matches!(again, Ok(Processed::Unchanged { .. })),
        "{again:?}"
    );
    assert_eq!(source.requests(), (2, 1));
}

/// An object that is replaced on every read fails transiently after
/// [`pipeline::MAX_ROUNDS`] rounds, so that the event is retried later.
#[tokio::test]
async fn an_object_that_never_settles_fails_transiently() {
    let (bucket, key) = ("b", "uploads/busy.ork");
    let changes: Vec<Change> = ["all-components.ork", "minimal.ork"]
        .into_iter()
        .cycle()
        .take(pipeline::MAX_ROUNDS)
        .map(Change::Replace)
        .collect();
    let source = Changing::new(bucket, key, "minimal.ork", &changes);
    let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let err = pipeline::process_object(
        &ports,
        &PipelineConfig::default(),
        bucket,
        key,
        &mut StageTimes::default(),
    )
    .await
    .expect_err("never settles");
    assert!(err.is_transient(), "{err}");
    assert!(
        err.to_string().contains("changed while it was processed"),
        "{err}"
    );
    assert_eq!(
        source.requests(),
        (pipeline::MAX_ROUNDS, pipeline::MAX_ROUNDS)
    );
}

/// Delete events handled late: a delete event for a key that was uploaded again keeps (or
/// writes) the design of the new upload; only a key that holds nothing loses its design.
#[tokio::test]
async fn a_late_delete_event_never_removes_a_newer_upload() {
    /// What was done (the design id and image URLs are checked through the final state).
    fn what(r: &Removed) -> &'static str {
        match r {
            Removed::Deleted { existed: true } => "deleted",
            Removed::Deleted { existed: false } => "nothing to delete",
            Removed::Recreated(Processed::Written { .. }) => "recreated: written",
            Removed::Recreated(Processed::Unchanged { .. }) => "recreated: unchanged",
            Removed::Recreated(_) => "recreated: other",
        }
    }
    /// `now`: what the key holds when the delete event is handled.
    async fn check(now: Option<&str>, expected: &str, want: Final) {
        let (bucket, key) = ("b", "uploads/again.ork");
        let source = MemorySource::new();
        let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
        let ports = Ports {
            source: &source,
            graph: &sink,
            images: &images,
        };
        let config = PipelineConfig::default();
        // The first upload, processed.
        source.put(bucket, key, fixture("minimal.ork"));
        let mut times = StageTimes::default();
        pipeline::process_object(&ports, &config, bucket, key, &mut times)
            .await
            .unwrap();
        // Deleted, perhaps uploaded again, then the delete event arrives.
        source.remove(bucket, key);
        if let Some(name) = now {
            source.put(bucket, key, fixture(name));
        }
        let removed = pipeline::remove_object(&ports, &config, bucket, key, &mut times)
            .await
            .unwrap();
        assert_eq!(what(&removed), expected, "{now:?}: {removed:?}");
        assert_eq!(
            final_state(&sink, &images, bucket, key).await,
            want,
            "{now:?}"
        );
    }
    let sha = |name: &str| graph::sha256_hex(&fixture(name));
    // Really deleted.
    check(None, "deleted", (None, 0)).await;
    // Uploaded again with the same bytes: the design stays as it was.
    check(
        Some("minimal.ork"),
        "recreated: unchanged",
        (Some(("ok".into(), sha("minimal.ork"))), 6),
    )
    .await;
    // Uploaded again with new bytes (that upload's event not handled yet): they are
    // processed now.
    check(
        Some("all-components.ork"),
        "recreated: written",
        (Some(("ok".into(), sha("all-components.ork"))), 6),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// The concurrency of one round: uploads at once, the download beside the graph read, the
// deletions beside the final check. A failure or a cancellation at any point leaves the stored
// design whole, and a retry converges.

/// A graph sink whose design writes are refused by the server while `refusing` is set (reads
/// and deletes work); the next `dropped` writes fail with the connection dropped before the
/// commit; with `answer_lost`, the next write commits and then fails, as when the connection
/// drops before the commit's answer arrives.
struct FailingWrites {
    inner: MemorySink,
    refusing: std::sync::atomic::AtomicBool,
    dropped: std::sync::atomic::AtomicU32,
    answer_lost: std::sync::atomic::AtomicBool,
}

impl FailingWrites {
    fn new() -> Self {
        Self {
            inner: MemorySink::new(),
            refusing: false.into(),
            dropped: 0.into(),
            answer_lost: false.into(),
        }
    }
}

impl GraphSink for FailingWrites {
    async fn ensure_schema(&self) -> Result<(), graph::GraphError> {
        self.inner.ensure_schema().await
    }
    async fn write_design(
        &self,
        plan: &graph::GraphPlan,
    ) -> Result<graph::WriteStats, graph::GraphError> {
        use std::sync::atomic::Ordering::SeqCst;
        let dropped = || graph::GraphError::Unavailable {
            uri: "memory".into(),
            reason: "injected: the connection dropped".into(),
        };
        if self.refusing.load(SeqCst) {
            return Err(graph::GraphError::Database {
                code: "Neo.TransientError.Transaction.DeadlockDetected".into(),
                message: "injected".into(),
            });
        }
        if self
            .dropped
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(dropped());
        }
        let written = self.inner.write_design(plan).await;
        if self.answer_lost.swap(false, SeqCst) {
            return Err(dropped());
        }
        written
    }
    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, graph::GraphError> {
        self.inner.delete_design(design_id, guard).await
    }
    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<graph::Fingerprint>, graph::GraphError> {
        self.inner.existing_fingerprint(design_id).await
    }
    async fn stored(
        &self,
        design_ids: &[String],
    ) -> Result<Vec<graph::StoredDesign>, graph::GraphError> {
        self.inner.stored(design_ids).await
    }
}

/// An image store that takes `delay` per call (to cancel a run while its uploads are in
/// flight).
struct SlowImages {
    inner: MemoryStore,
    delay: std::time::Duration,
}

impl ImageStore for SlowImages {
    fn folder(&self) -> &str {
        self.inner.folder()
    }
    async fn upload(&self, image: &ImageUpload) -> Result<StoredImage, PublishError> {
        tokio::time::sleep(self.delay).await;
        self.inner.upload(image).await
    }
    async fn delete(&self, public_id: &str) -> Result<(), PublishError> {
        tokio::time::sleep(self.delay).await;
        self.inner.delete(public_id).await
    }
}

/// The public ids of the six images the stored design names (through its URLs), sorted,
/// after checking that it is the version of `bytes` and that they sit in the folder of its
/// revision (which begins with the bytes' content tag).
fn shown_ids(sink: &MemorySink, bucket: &str, key: &str, bytes: &[u8]) -> Vec<String> {
    let id = graph::design_id(bucket, key);
    let g = sink.design(&id).expect("a stored design");
    let sha = graph::sha256_hex(bytes);
    assert_eq!(graph_sha(&g), Some(sha.clone()), "the version shown");
    let revision = text(&g.design, "ork_revision").expect("a revision");
    let tag = ork_processor::publish::content_tag(&sha);
    assert!(revision.starts_with(&format!("{tag}-")), "{revision}");
    let mut ids: Vec<String> = [
        "profile_url",
        "thumbnail_url",
        "svg_url",
        "flight_chart_url",
        "flight_chart_svg_url",
        "model_url",
    ]
    .iter()
    .filter_map(|p| text(&g.design, p))
    .map(|url| {
        let after = url.split_once("/upload/v").expect("a delivery URL").1;
        let id = after.split_once('/').expect("a version").1;
        id.rsplit_once('.').expect("an extension").0.to_owned()
    })
    .collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    for (i, k) in ids.iter().zip(ImageKind::ALL) {
        assert_eq!(i, &format!("designs/{id}/{revision}/{}", k.as_str()));
    }
    ids.sort();
    ids
}

#[tokio::test]
async fn one_upload_of_five_failing_leaves_the_stored_design_and_no_new_image() {
    let (bucket, key) = ("b", "uploads/five.ork");
    let (old, new) = (fixture("minimal.ork"), fixture("series-english.ork"));
    let source = MemorySource::new();
    let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let mut times = StageTimes::default();
    source.put(bucket, key, old.clone());
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    let stored = final_state(&sink, &images, bucket, key).await;
    let old_ids = shown_ids(&sink, bucket, key, &old);

    // A new version; the first of its five uploads answers 500 (after the store's own
    // retries, as the Cloudinary adapter would report it).
    source.put(bucket, key, new.clone());
    images.fail_next([PublishError::Api {
        operation: "upload",
        status: 500,
        message: "injected".into(),
        attempts: 3,
    }]);
    let err = pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .expect_err("the record fails");
    assert!(err.is_transient(), "{err}");
    assert_eq!(final_state(&sink, &images, bucket, key).await, stored);
    assert_eq!(images.public_ids(), old_ids, "the four are deleted");

    // The retry writes the new version, and only its images are left.
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    assert_eq!(images.public_ids(), shown_ids(&sink, bucket, key, &new));
}

/// The graph write fails after the uploads. Refused by the server, nothing was written: the
/// uploads go at once and the record fails. With the connection dropped, whether it committed
/// is unknown, so the same write goes again (it is idempotent by its revision) until the graph
/// answers: the record then succeeds. Only a graph that never answers within
/// `outcome_within` fails the record with the images left (the stored design may show
/// them), until the retry finds the new version unchanged and deletes the old one's. Either
/// way the graph holds one whole version, and every image it names is stored.
#[tokio::test]
async fn a_graph_write_failing_after_the_uploads_is_repaired_by_the_retry() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Fault {
        /// The server answers with an error: rolled back.
        Refused,
        /// The connection drops twice before the commit.
        DroppedTwice,
        /// The write commits; its answer is lost.
        AnswerLost,
        /// The answer is lost, and the graph stays away for all of `outcome_within` (zero
        /// here).
        AnswerLostAndGraphGone,
    }
    /// `first`: what the failing run reports; `retry`: what the retry reports.
    async fn check(fault: Fault, first: &str, retry: &str) {
        use std::sync::atomic::Ordering::SeqCst;
        let (bucket, key) = ("b", "uploads/write.ork");
        let (old, new) = (fixture("minimal.ork"), fixture("series-english.ork"));
        let source = MemorySource::new();
        let sink = FailingWrites::new();
        let images = MemoryStore::new("designs");
        let ports = Ports {
            source: &source,
            graph: &sink,
            images: &images,
        };
        let config = PipelineConfig {
            outcome_within: match fault {
                Fault::AnswerLostAndGraphGone => std::time::Duration::ZERO,
                _ => std::time::Duration::from_secs(10),
            },
            ..PipelineConfig::default()
        };
        let mut times = StageTimes::default();
        source.put(bucket, key, old.clone());
        pipeline::process_object(&ports, &config, bucket, key, &mut times)
            .await
            .unwrap();
        let old_ids = shown_ids(&sink.inner, bucket, key, &old);

        source.put(bucket, key, new.clone());
        match fault {
            Fault::Refused => sink.refusing.store(true, SeqCst),
            Fault::DroppedTwice => sink.dropped.store(2, SeqCst),
            Fault::AnswerLost | Fault::AnswerLostAndGraphGone => {
                sink.answer_lost.store(true, SeqCst)
            }
        }
        let out = pipeline::process_object(&ports, &config, bucket, key, &mut times).await;
        let reported = match &out {
            Ok(o) => format!("{o:?}"),
            Err(e) => {
                assert!(e.is_transient(), "{fault:?}: {e}");
                "Err".to_owned()
            }
        };
        assert_eq!(
            reported.split([' ', '{']).next(),
            Some(first),
            "{fault:?}: {out:?}"
        );
        let want = match fault {
            Fault::Refused => old_ids.clone(),
            Fault::DroppedTwice | Fault::AnswerLost => shown_ids(&sink.inner, bucket, key, &new),
            Fault::AnswerLostAndGraphGone => {
                let mut both = old_ids.clone();
                both.extend(shown_ids(&sink.inner, bucket, key, &new));
                both.sort();
                both
            }
        };
        assert_eq!(images.public_ids(), want, "{fault:?}");

        sink.refusing.store(false, SeqCst);
        let out = pipeline::process_object(&ports, &config, bucket, key, &mut times)
            .await
            .unwrap();
        assert_eq!(
            format!("{out:?}").split([' ', '{']).next(),
            Some(retry),
            "{fault:?}: {out:?}"
        );
        assert_eq!(
            images.public_ids(),
            shown_ids(&sink.inner, bucket, key, &new),
            "{fault:?}"
        );
    }
    check(Fault::Refused, "Err", "Written").await;
    check(Fault::DroppedTwice, "Written", "Unchanged").await;
    check(Fault::AnswerLost, "Written", "Unchanged").await;
    check(Fault::AnswerLostAndGraphGone, "Err", "Unchanged").await;
}

#[tokio::test]
async fn a_run_cancelled_mid_way_leaves_the_stored_design_and_a_retry_converges() {
    let (bucket, key) = ("b", "uploads/cancel.ork");
    let (old, new) = (fixture("minimal.ork"), fixture("series-english.ork"));
    let source = MemorySource::new();
    let sink = MemorySink::new();
    let images = SlowImages {
        inner: MemoryStore::new("designs"),
        delay: std::time::Duration::from_millis(200),
    };
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let mut times = StageTimes::default();
    source.put(bucket, key, old.clone());
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    let writes = sink.writes();

    // Cancelled while the new version's images are in flight (a Lambda timeout, Ctrl-C).
    source.put(bucket, key, new.clone());
    let run = pipeline::process_object(&ports, &config, bucket, key, &mut times);
    let cancelled = tokio::time::timeout(std::time::Duration::from_millis(100), run).await;
    assert!(cancelled.is_err(), "cancelled before it finished");
    assert_eq!(sink.writes(), writes, "nothing written to the graph");
    assert_eq!(
        images.inner.public_ids(),
        shown_ids(&sink, bucket, key, &old),
        "no upload finished"
    );

    // The retry (Lambda's, or the next run) converges on the key's bytes.
    pipeline::process_object(&ports, &config, bucket, key, &mut times)
        .await
        .unwrap();
    assert_eq!(
        images.inner.public_ids(),
        shown_ids(&sink, bucket, key, &new)
    );
}

fn graph_sha(g: &graph::DesignGraph) -> Option<String> {
    g.design
        .get("sha256")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Two workers on one key (a duplicated event, or an overwrite's event handled by another
// container): a write is guarded by the version its worker read, so the one that lost the race
// reads the key again instead of undoing the other's work, and no image is left that no design
// shows.

/// A graph sink on which, just before the first design write goes through, another worker
/// processes the same key holding `other` bytes to the end (with the same graph and images).
struct RacedBy {
    inner: MemorySink,
    images: MemoryStore,
    other: &'static str,
    raced: std::sync::atomic::AtomicBool,
}

impl GraphSink for RacedBy {
    async fn ensure_schema(&self) -> Result<(), graph::GraphError> {
        self.inner.ensure_schema().await
    }
    async fn write_design(
        &self,
        plan: &graph::GraphPlan,
    ) -> Result<graph::WriteStats, graph::GraphError> {
        if !self.raced.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let (bucket, key) = RACED;
            let source = MemorySource::new();
            source.put(bucket, key, fixture(self.other));
            let ports = Ports {
                source: &source,
                graph: &self.inner,
                images: &self.images,
            };
            let config = PipelineConfig::default();
            let mut times = StageTimes::default();
            let out = pipeline::process_object(&ports, &config, bucket, key, &mut times).await;
            assert!(matches!(out, Ok(Processed::Written { .. })), "{out:?}");
        }
        self.inner.write_design(plan).await
    }
    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, graph::GraphError> {
        self.inner.delete_design(design_id, guard).await
    }
    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<graph::Fingerprint>, graph::GraphError> {
        self.inner.existing_fingerprint(design_id).await
    }
    async fn stored(
        &self,
        design_ids: &[String],
    ) -> Result<Vec<graph::StoredDesign>, graph::GraphError> {
        self.inner.stored(design_ids).await
    }
}

const RACED: (&str, &str) = ("b", "uploads/raced.ork");

#[tokio::test]
async fn a_write_that_loses_a_race_reads_again_and_leaves_no_orphaned_image() {
    /// The key first holds `first` (stored before the race) and then `processed` (this
    /// worker's download), changed by `changes` after it; another worker writes `other` just
    /// before this worker's first write. `expected`: the fixture the design ends as, and what
    /// this worker reports.
    async fn check(
        processed: &str,
        changes: &[Change],
        other: &'static str,
        (expected, outcome): (&str, &str),
    ) {
        let (bucket, key) = RACED;
        let what = format!("{processed} {changes:?} raced by {other}");
        let sink = RacedBy {
            inner: MemorySink::new(),
            images: MemoryStore::new("designs"),
            other,
            raced: true.into(),
        };
        // What the graph held before: the first version, with its images.
        let first = MemorySource::new();
        first.put(bucket, key, fixture("minimal.ork"));
        let config = PipelineConfig::default();
        let mut times = StageTimes::default();
        let ports = Ports {
            source: &first,
            graph: &sink,
            images: &sink.images,
        };
        pipeline::process_object(&ports, &config, bucket, key, &mut times)
            .await
            .unwrap();
        sink.raced.store(false, std::sync::atomic::Ordering::SeqCst);

        let source = Changing::new(bucket, key, processed, changes);
        let ports = Ports {
            source: &source,
            graph: &sink,
            images: &sink.images,
        };
        let out = pipeline::process_object(&ports, &config, bucket, key, &mut times).await;
        let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            format!("{out:?}").split([' ', '{']).next(),
            Some(outcome),
            "{what}: {out:?}"
        );
        let g = sink.inner.design(&graph::design_id(bucket, key)).unwrap();
        assert_eq!(
            graph_sha(&g),
            Some(graph::sha256_hex(&fixture(expected))),
            "{what}"
        );
        assert_eq!(
            sink.images.public_ids(),
            shown_ids(&sink.inner, bucket, key, &fixture(expected)),
            "{what}: the shown images and no other"
        );
    }
    // The other worker wrote an older upload after this one read the key: this one's write is
    // refused, it reads again and replaces that version (whose images go).
    check(
        "series-english.ork",
        &[],
        "zipped.ork",
        ("series-english.ork", "Written"),
    )
    .await;
    // The other worker wrote these very bytes: this worker's own uploads go, the other's
    // stay; reading again, this worker finds its work done.
    check(
        "series-english.ork",
        &[],
        "series-english.ork",
        ("series-english.ork", "Unchanged"),
    )
    .await;
    // And the key changed again meanwhile: the images of the lost write are deleted.
    check(
        "series-english.ork",
        &[Change::Replace("all-components.ork")],
        "zipped.ork",
        ("all-components.ork", "Written"),
    )
    .await;
}
