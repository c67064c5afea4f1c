//! `ork reprocess` against the local S3 server (moto) and the local graph database (Neo4j 5):
//! a few hundred objects (corpus files under many keys), a run stopped half-way and resumed
//! (each object processed exactly once), a second run that skips everything without a
//! download, a forced run cancelled and resumed, and the `ork` binary itself stopped by
//! Ctrl-C and run again.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use ork_processor::bucket::reprocess::{
    self, Cancel, Dispatch, LocalDispatch, Outcome, ReprocessConfig,
};
use ork_processor::graph::{
    self, Fingerprint, GraphConfig, GraphError, GraphPlan, GraphSink, Neo4jSink, StoredDesign,
    WriteStats,
};
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{
    FetchedObject, Listed, ObjectHead, ObjectSource, PipelineConfig, Ports, SourceError,
};
use ork_processor::publish::MemoryStore;
use ork_processor::render::RenderConfig;

/// The live tests of this file take turns: together they would put six concurrent writers on
/// the one local graph server, whose page-level optimistic locking then makes some writes give
/// up after their retries (a transient failure the report would rightly show, but not what
/// these tests are about).
static LIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Counts what reaches the graph: writes per design.
struct CountingSink<'a> {
    inner: &'a Neo4jSink,
    writes: Mutex<BTreeMap<String, usize>>,
}

impl<'a> CountingSink<'a> {
    fn new(inner: &'a Neo4jSink) -> Self {
        Self {
            inner,
            writes: Mutex::new(BTreeMap::new()),
        }
    }
    fn writes(&self) -> BTreeMap<String, usize> {
        self.writes.lock().unwrap().clone()
    }
}

impl GraphSink for CountingSink<'_> {
    async fn ensure_schema(&self) -> Result<(), GraphError> {
        self.inner.ensure_schema().await
    }
    async fn write_design(&self, plan: &GraphPlan) -> Result<WriteStats, GraphError> {
        let stats = self.inner.write_design(plan).await?;
        *self
            .writes
            .lock()
            .unwrap()
            .entry(plan.design_id.clone())
            .or_default() += 1;
        Ok(stats)
    }
    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, GraphError> {
        self.inner.delete_design(design_id, guard).await
    }
    async fn stored(&self, ids: &[String]) -> Result<Vec<StoredDesign>, GraphError> {
        self.inner.stored(ids).await
    }
    async fn existing_fingerprint(&self, id: &str) -> Result<Option<Fingerprint>, GraphError> {
        self.inner.existing_fingerprint(id).await
    }
}

/// Counts downloads.
struct CountingSource<'a> {
    inner: &'a S3Source,
    fetches: AtomicUsize,
}

impl ObjectSource for CountingSource<'_> {
    async fn fetch(&self, b: &str, k: &str, max: u64) -> Result<FetchedObject, SourceError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(b, k, max).await
    }

    async fn head(&self, b: &str, k: &str) -> Result<Option<ObjectHead>, SourceError> {
        self.inner.head(b, k).await
    }
}

/// Cancels the run after `after` objects have been dispatched (as Ctrl-C would).
struct CancelAfter<'a, D> {
    inner: &'a D,
    cancel: Cancel,
    after: usize,
    seen: AtomicUsize,
}

impl<D: Dispatch> Dispatch for CancelAfter<'_, D> {
    fn mode(&self) -> &'static str {
        self.inner.mode()
    }
    async fn dispatch(&self, bucket: &str, object: &Listed, force: bool) -> Outcome {
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 >= self.after {
            self.cancel.cancel();
        }
        self.inner.dispatch(bucket, object, force).await
    }
}

/// The designs to upload: every corpus file (or, without the corpus, the valid testdata
/// files), plus one invalid file.
fn bodies() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<std::path::PathBuf> = common::corpus_files("reprocess bodies");
    if files.is_empty() {
        files = [
            "minimal.ork",
            "all-components.ork",
            "zipped.ork",
            "gzipped.ork",
            "format-1.0-position.ork",
            "format-1.8-axialoffset.ork",
            "boosterset-legacy.ork",
            "localized-columns.ork",
        ]
        .iter()
        .map(|f| common::testdata(f))
        .collect();
    }
    files.push(common::testdata("bad-number.ork"));
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(p).unwrap())
        })
        .collect()
}

fn live(test: &str) -> Option<GraphConfig> {
    if std::env::var("AWS_ENDPOINT_URL_S3").is_err() {
        eprintln!(
            "SKIPPED {test}: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)"
        );
        return None;
    }
    match GraphConfig::from_env().unwrap() {
        Some(c) => Some(c),
        None => {
            eprintln!("SKIPPED {test}: NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)");
            None
        }
    }
}

/// Creates `bucket` and puts each body under `copies` keys (`uploads/u<i>/<name>`), plus one
/// key that is not a design. Returns the `.ork` keys.
async fn fill(s3: &aws_sdk_s3::Client, bucket: &str, copies: usize) -> Vec<String> {
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let mut keys = Vec::new();
    let bodies = bodies();
    for i in 0..copies {
        for (name, bytes) in &bodies {
            // The same bytes under many keys: each key is its own design.
            keys.push((format!("uploads/u{i:02}/{name}"), bytes.clone()));
        }
    }
    let puts = keys.iter().map(|(key, bytes)| {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.clone().into())
            .send()
    });
    for r in futures_util::future::join_all(puts).await {
        r.unwrap();
    }
    s3.put_object()
        .bucket(bucket)
        .key("uploads/readme.txt")
        .body(b"not a design".to_vec().into())
        .send()
        .await
        .unwrap();
    keys.into_iter().map(|(k, _)| k).collect()
}

fn pipeline_config(force: bool) -> PipelineConfig {
    PipelineConfig {
        // Smaller images than production: the subject here is the batch, not the pixels.
        render: RenderConfig {
            width_px: 400,
            thumb_width_px: 100,
            ..RenderConfig::default()
        },
        force,
        ..PipelineConfig::default()
    }
}

fn quiet() -> ProgressBar {
    ProgressBar::hidden()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_is_reprocessed_once_resumably_and_then_skipped() {
    let test = "a_bucket_is_reprocessed_once_resumably_and_then_skipped";
    let Some(graph_config) = live(test) else {
        return;
    };
    let _turn = LIVE.lock().await;
    ork_processor::lambda::install_crypto_provider();
    let bucket = format!("ork-reprocess-{}", std::process::id());
    // Pages of 100 keys, so that the listing really pages.
    let s3 = S3Source::from_env(true).await.with_list_page_size(100);
    let copies = 300usize.div_ceil(bodies().len());
    let keys = fill(s3.client(), &bucket, copies).await;
    assert!(keys.len() >= 300, "{} objects", keys.len());
    let neo = Neo4jSink::connect(graph_config).await.unwrap();
    neo.ensure_schema().await.unwrap();
    let dir = std::env::temp_dir().join(format!("ork-reprocess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.jsonl");
    let images = MemoryStore::new("designs");
    let config = |force: bool, limit: Option<usize>| ReprocessConfig {
        prefix: "uploads/".into(),
        concurrency: 4,
        force,
        limit,
        journal: Some(journal.clone()),
        ..ReprocessConfig::new(bucket.clone())
    };

    // 1. Stopped half-way (a canary limit), then resumed: every object exactly once.
    let sink = CountingSink::new(&neo);
    let source = CountingSource {
        inner: &s3,
        fetches: AtomicUsize::new(0),
    };
    let local = LocalDispatch {
        ports: Ports {
            source: &source,
            graph: &sink,
            images: &images,
        },
        config: pipeline_config(false),
    };
    let half = keys.len() / 2;
    let started = Instant::now();
    let first = reprocess::run(
        &s3,
        Some(&sink),
        &local,
        &config(false, Some(half)),
        &quiet(),
        &Cancel::new(),
    )
    .await
    .unwrap();
    assert!(first.interrupted, "{}", first.summary_line());
    assert_eq!(first.counts.listed, keys.len());
    assert_eq!(first.counts.ignored, 1, "readme.txt");
    assert_eq!(first.counts.processed + first.counts.invalid, half);
    assert_eq!(first.counts.pending, keys.len() - half);
    assert!(journal.exists(), "an interrupted run keeps its journal");

    let second = reprocess::run(
        &s3,
        Some(&sink),
        &local,
        &config(false, None),
        &quiet(),
        &Cancel::new(),
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert!(!second.interrupted, "{}", second.summary_line());
    assert_eq!(second.counts.resumed, half, "{}", second.summary_line());
    assert_eq!(
        second.counts.processed + second.counts.invalid,
        keys.len() - half,
        "{} {:?}",
        second.summary_line(),
        second.failures
    );
    assert!(
        first.failures.is_empty() && second.failures.is_empty(),
        "{:?} {:?}",
        first.failures,
        second.failures
    );
    assert!(!journal.exists(), "a completed run removes its journal");
    let invalid_copies = keys
        .iter()
        .filter(|k| k.ends_with("bad-number.ork"))
        .count();
    assert_eq!(
        first.counts.invalid + second.counts.invalid,
        invalid_copies,
        "one invalid file per copy"
    );
    assert!(second.invalid.iter().all(|p| matches!(
        &p.outcome,
        Outcome::Invalid { reason } if reason.contains("[bad_number]")
    )));
    // Exactly once: one write and one download per object across both runs.
    let writes = sink.writes();
    assert_eq!(writes.len(), keys.len());
    for key in &keys {
        assert_eq!(
            writes.get(&graph::design_id(&bucket, key)),
            Some(&1),
            "{key}"
        );
    }
    assert_eq!(source.fetches.load(Ordering::SeqCst), keys.len());
    eprintln!(
        "reprocessed {} objects in {:.1} s ({:.1}/s, debug build, concurrency 4)",
        keys.len(),
        elapsed.as_secs_f64(),
        keys.len() as f64 / elapsed.as_secs_f64()
    );

    // 2. Again: everything is skipped by ETag, without a download or a write.
    let sink = CountingSink::new(&neo);
    let source = CountingSource {
        inner: &s3,
        fetches: AtomicUsize::new(0),
    };
    let local = LocalDispatch {
        ports: Ports {
            source: &source,
            graph: &sink,
            images: &images,
        },
        config: pipeline_config(false),
    };
    let again = reprocess::run(
        &s3,
        Some(&sink),
        &local,
        &config(false, None),
        &quiet(),
        &Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(again.counts.skipped, keys.len(), "{}", again.summary_line());
    assert_eq!(again.counts.processed + again.counts.invalid, 0);
    assert_eq!(source.fetches.load(Ordering::SeqCst), 0);
    assert!(sink.writes().is_empty());

    // 3. Forced, over one owner's prefix, cancelled (as by Ctrl-C) after 10 objects, then
    //    resumed: each written exactly once more; the objects in flight finish, not lost.
    let forced_config = || ReprocessConfig {
        prefix: "uploads/u01/".into(),
        ..config(true, None)
    };
    let owner: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("uploads/u01/"))
        .collect();
    let sink = CountingSink::new(&neo);
    let local = LocalDispatch {
        ports: Ports {
            source: &s3,
            graph: &sink,
            images: &images,
        },
        config: pipeline_config(true),
    };
    let cancel = Cancel::new();
    let stopping = CancelAfter {
        inner: &local,
        cancel: cancel.clone(),
        after: 10,
        seen: AtomicUsize::new(0),
    };
    let forced = reprocess::run(
        &s3,
        Some(&sink),
        &stopping,
        &forced_config(),
        &quiet(),
        &cancel,
    )
    .await
    .unwrap();
    assert!(forced.interrupted);
    let done = forced.counts.processed + forced.counts.invalid;
    assert!(
        (10..=14).contains(&done),
        "stops after the objects in flight: {}",
        forced.summary_line()
    );
    let rest = reprocess::run(
        &s3,
        Some(&sink),
        &local,
        &forced_config(),
        &quiet(),
        &Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(rest.counts.resumed, done);
    assert_eq!(
        rest.counts.processed + rest.counts.invalid,
        owner.len() - done,
        "{} {:?}",
        rest.summary_line(),
        rest.failures
    );
    let writes = sink.writes();
    assert_eq!(writes.len(), owner.len());
    assert!(writes.values().all(|&n| n == 1), "{writes:?}");

    // 4. A dry run lists and decides without touching anything.
    let dry = reprocess::run(
        &s3,
        Some(&neo),
        &local,
        &ReprocessConfig {
            dry_run: true,
            ..config(false, None)
        },
        &quiet(),
        &Cancel::new(),
    )
    .await
    .unwrap();
    assert_eq!(dry.counts.skipped, keys.len());
    assert!(dry.would_process.is_empty());

    for key in &keys {
        neo.delete_design(&graph::design_id(&bucket, key), None)
            .await
            .unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run whose dispatch fails transiently reports it, keeps it out of the journal, and the
/// next run retries exactly those objects.
#[tokio::test]
async fn transient_failures_are_reported_and_retried() {
    struct Flaky {
        fail: Mutex<bool>,
        calls: Mutex<Vec<String>>,
    }
    impl Dispatch for Flaky {
        fn mode(&self) -> &'static str {
            "local"
        }
        async fn dispatch(&self, _bucket: &str, object: &Listed, _force: bool) -> Outcome {
            self.calls.lock().unwrap().push(object.key.clone());
            if *self.fail.lock().unwrap() && object.key.ends_with("3.ork") {
                Outcome::Failed {
                    class: "graph".into(),
                    error: "graph database unavailable".into(),
                }
            } else {
                Outcome::Processed
            }
        }
    }
    let source = ork_processor::pipeline::MemorySource::new();
    for i in 0..250 {
        source.put("b", &format!("k/{i:03}.ork"), vec![b'x'; i % 7]);
    }
    let dir = std::env::temp_dir().join(format!("ork-flaky-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = ReprocessConfig {
        journal: Some(dir.join("j.jsonl")),
        ..ReprocessConfig::new("b")
    };
    let flaky = Flaky {
        fail: Mutex::new(true),
        calls: Mutex::new(Vec::new()),
    };
    let none: Option<&graph::MemorySink> = None;
    let report = reprocess::run(&source, none, &flaky, &config, &quiet(), &Cancel::new())
        .await
        .unwrap();
    assert_eq!(report.counts.listed, 250, "three pages of 100");
    assert_eq!(report.counts.failed, 25);
    assert!(report.failed_transiently());
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["failures"].as_array().unwrap().len(), 25);
    assert_eq!(json["failures"][0]["outcome"], "failed");
    assert_eq!(json["failures"][0]["class"], "graph");
    assert_eq!(json["failures"][0]["key"], "k/003.ork");
    assert!(
        dir.join("j.jsonl").exists(),
        "kept: some objects still need work"
    );

    *flaky.fail.lock().unwrap() = false;
    flaky.calls.lock().unwrap().clear();
    let report = reprocess::run(&source, none, &flaky, &config, &quiet(), &Cancel::new())
        .await
        .unwrap();
    assert_eq!(report.counts.resumed, 225);
    assert_eq!(report.counts.processed, 25);
    assert!(!report.failed_transiently());
    let calls = flaky.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 25);
    assert!(calls.iter().all(|k| k.ends_with("3.ork")));
    assert!(!dir.join("j.jsonl").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A journal whose last line a crash cut short: that object runs again, every other journaled
/// object is not, and the entries written after the cut still count on the next resume.
#[tokio::test]
async fn a_journal_cut_by_a_crash_still_resumes() {
    struct Count(Mutex<Vec<String>>);
    impl Dispatch for Count {
        fn mode(&self) -> &'static str {
            "local"
        }
        async fn dispatch(&self, _bucket: &str, object: &Listed, _force: bool) -> Outcome {
            self.0.lock().unwrap().push(object.key.clone());
            Outcome::Processed
        }
    }
    let source = ork_processor::pipeline::MemorySource::new();
    for i in 0..30 {
        source.put("b", &format!("k/{i:02}.ork"), vec![i as u8]);
    }
    let dir = std::env::temp_dir().join(format!("ork-cut-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("j.jsonl");
    let config = |limit| ReprocessConfig {
        journal: Some(path.clone()),
        limit,
        ..ReprocessConfig::new("b")
    };
    let none: Option<&graph::MemorySink> = None;
    let (source, config) = (&source, &config);
    let run = |limit| {
        let d = Count(Mutex::new(Vec::new()));
        let config = config(limit);
        async move {
            let r = reprocess::run(source, none, &d, &config, &quiet(), &Cancel::new())
                .await
                .unwrap();
            (r, d.0.into_inner().unwrap())
        }
    };
    let (first, _) = run(Some(10)).await;
    assert_eq!(first.counts.processed, 10);
    // Cut the last entry in half, as a crash mid-write would.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 20]).unwrap();
    let (second, redone) = run(Some(5)).await;
    assert_eq!(second.counts.resumed, 9, "the cut entry does not count");
    assert_eq!(redone.len(), 5);
    let (third, rest) = run(None).await;
    assert_eq!(third.counts.resumed, 14, "entries after the cut count");
    assert_eq!(rest.len(), 16);
    assert!(!path.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

fn read_report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn journal_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

/// The `ork` binary with the Lambda's settings: stopped by Ctrl-C (SIGINT) mid-run it lets
/// the objects in flight finish, exits 130 and keeps its journal; run again it finishes the
/// rest and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_stops_on_ctrl_c_and_resumes() {
    let test = "the_cli_stops_on_ctrl_c_and_resumes";
    if live(test).is_none() {
        return;
    }
    let _turn = LIVE.lock().await;
    let Some(stub) = common::stub::Stub::start() else {
        return;
    };
    let bucket = format!("ork-cli-reprocess-{}", std::process::id());
    let s3 = S3Source::from_env(true).await;
    let keys = fill(s3.client(), &bucket, 4).await;
    let dir = std::env::temp_dir().join(format!("ork-cli-reprocess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("journal.jsonl");
    let report = dir.join("report.json");
    let ork = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ork"));
        cmd.args([
            "reprocess",
            "--bucket",
            &bucket,
            "--prefix",
            "uploads/",
            "--concurrency",
            "2",
            "--force",
        ])
        .arg("--journal")
        .arg(&journal)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .env("ORK_S3_FORCE_PATH_STYLE", "true")
        .env(
            "CLOUDINARY_URL",
            format!(
                "cloudinary://{}:{}@{}",
                common::stub::API_KEY,
                common::stub::SECRET,
                common::stub::CLOUD
            ),
        )
        .env("CLOUDINARY_API_BASE", &stub.base)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        cmd
    };

    let child = ork(&[]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while journal_lines(&journal) < 3 {
        assert!(Instant::now() < deadline, "no progress in the journal");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("stopping after the objects in flight"),
        "{stderr}"
    );
    let first = read_report(&report);
    assert_eq!(first["interrupted"], true);
    let done = first["counts"]["processed"].as_u64().unwrap()
        + first["counts"]["invalid"].as_u64().unwrap();
    assert!(done >= 3 && (done as usize) < keys.len(), "{first}");
    assert_eq!(journal_lines(&journal) as u64, done);

    let out = ork(&[]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{} listed", keys.len())),
        "{stdout}"
    );
    let second = read_report(&report);
    assert_eq!(second["interrupted"], false);
    assert_eq!(second["counts"]["resumed"].as_u64(), Some(done));
    let rest = second["counts"]["processed"].as_u64().unwrap()
        + second["counts"]["invalid"].as_u64().unwrap();
    assert_eq!(done + rest, keys.len() as u64);
    assert!(!journal.exists());
    // Every design is in the graph and its images are on the stub.
    let neo = Neo4jSink::connect(GraphConfig::from_env().unwrap().unwrap())
        .await
        .unwrap();
    let ids: Vec<String> = keys.iter().map(|k| graph::design_id(&bucket, k)).collect();
    let stored = neo.stored(&ids).await.unwrap();
    assert_eq!(stored.len(), keys.len());
    for id in &ids {
        neo.delete_design(id, None).await.unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
