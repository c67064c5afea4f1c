//! Upload-to-visible latency through the latency harness: the real adapters (S3 on moto, the
//! graph on Neo4j 5 over Bolt, Cloudinary's signed API on the stub) behind fixed network
//! delays, over 16 corpus designs processed one after another with warm connections, as a
//! Lambda container handles its events.
//!
//! Per design it measures the time until the design is visible (its graph transaction
//! committed) and until the record is done (the key checked again, replaced images deleted),
//! and prints p50 and p95 of both beside the profile's critical-path limit
//! (`ORK_LATENCY_LIMIT_MS`) and the ratio to it. Criterion times one whole design.
//!
//! ```sh
//! bash infra/local/latency.sh start same-region   # or cross-region
//! eval "$(bash infra/local/latency.sh env)"
//! cargo bench --bench latency
//! bash infra/local/latency.sh stop
//! ```
//!
//! Skipped (with a message) without `ORK_LATENCY_PROFILE`, and without the corpus.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::graph::{
    Fingerprint, GraphConfig, GraphError, GraphPlan, GraphSink, Neo4jSink, StoredDesign, WriteStats,
};
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{self, PipelineConfig, Ports, StageTimes};
use ork_processor::publish::{CloudinaryConfig, CloudinaryStore};

/// Designs per pass.
const DESIGNS: usize = 16;

/// The graph sink, noting when each write committed.
struct Visible<'a> {
    inner: &'a Neo4jSink,
    committed: Mutex<Option<Instant>>,
}

impl GraphSink for Visible<'_> {
    async fn ensure_schema(&self) -> Result<(), GraphError> {
        self.inner.ensure_schema().await
    }
    async fn write_design(&self, plan: &GraphPlan) -> Result<WriteStats, GraphError> {
        let stats = self.inner.write_design(plan).await?;
        *self.committed.lock().unwrap() = Some(Instant::now());
        Ok(stats)
    }
    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, GraphError> {
        self.inner.delete_design(design_id, guard).await
    }
    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<Fingerprint>, GraphError> {
        self.inner.existing_fingerprint(design_id).await
    }
    async fn stored(&self, design_ids: &[String]) -> Result<Vec<StoredDesign>, GraphError> {
        self.inner.stored(design_ids).await
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn bench(c: &mut Criterion) {
    let Ok(profile) = std::env::var("ORK_LATENCY_PROFILE") else {
        eprintln!(
            "SKIPPED latency bench: ORK_LATENCY_PROFILE is not set (start infra/local/latency.sh)"
        );
        return;
    };
    let limit_ms: f64 = std::env::var("ORK_LATENCY_LIMIT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/openrocket-examples");
    let Ok(dir) = std::fs::read_dir(&corpus) else {
        eprintln!("SKIPPED latency bench: ../shared/corpus is absent");
        return;
    };
    let mut files: Vec<_> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ork"))
        .collect();
    files.sort();
    files.truncate(DESIGNS);
    ork_processor::lambda::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bucket = format!("ork-latency-{}", std::process::id());
    let graph_config = GraphConfig::from_env()
        .expect("graph settings")
        .expect("NEO4J_URI");
    let cloudinary = CloudinaryConfig::from_env()
        .expect("Cloudinary settings")
        .expect("CLOUDINARY_URL");
    let (s3, neo, images) = runtime.block_on(async {
        let s3 = S3Source::from_env(true).await;
        s3.client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("bucket");
        let neo = Neo4jSink::connect(graph_config).await.expect("graph");
        neo.ensure_schema().await.expect("schema");
        let images = CloudinaryStore::new(cloudinary).expect("image store");
        (s3, neo, images)
    });
    let keys: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = p.file_name().unwrap().to_string_lossy().replace(' ', "_");
            format!("uploads/latency/{i:02}-{name}")
        })
        .collect();
    runtime.block_on(async {
        for (key, path) in keys.iter().zip(&files) {
            s3.client()
                .put_object()
                .bucket(&bucket)
                .key(key)
                .body(std::fs::read(path).unwrap().into())
                .send()
                .await
                .expect("put");
        }
    });
    let sink = Visible {
        inner: &neo,
        committed: Mutex::new(None),
    };
    let ports = Ports {
        source: &s3,
        graph: &sink,
        images: &images,
    };
    let config = PipelineConfig {
        force: true,
        ..PipelineConfig::default()
    };
    // The same without the 3D model, side by side: what its upload adds.
    let without_model = PipelineConfig {
        model: None,
        ..config.clone()
    };
    // One design, forced; returns (visible, done) in milliseconds.
    let run_with = |key: &str, config: &PipelineConfig| -> (f64, f64) {
        runtime.block_on(async {
            *sink.committed.lock().unwrap() = None;
            let mut times = StageTimes::default();
            let started = Instant::now();
            pipeline::process_object(&ports, config, &bucket, key, &mut times)
                .await
                .expect("processed");
            let done = started.elapsed();
            let visible = sink
                .committed
                .lock()
                .unwrap()
                .map(|t| t - started)
                .unwrap_or(done);
            (visible.as_secs_f64() * 1e3, done.as_secs_f64() * 1e3)
        })
    };
    let run_one = |key: &str| run_with(key, &config);
    // Warm: connections open, schema marker read, each design written once.
    for key in &keys {
        run_one(key);
    }
    let (mut visible, mut done) = (Vec::new(), Vec::new());
    let (mut bare_visible, mut bare_done) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for key in &keys {
            let (v, d) = run_one(key);
            visible.push(v);
            done.push(d);
            let (v, d) = run_with(key, &without_model);
            bare_visible.push(v);
            bare_done.push(d);
        }
    }
    for v in [&mut visible, &mut done, &mut bare_visible, &mut bare_done] {
        v.sort_by(f64::total_cmp);
    }
    let row = |what: &str, v: &[f64]| {
        let (p50, p95) = (percentile(v, 0.5), percentile(v, 0.95));
        println!(
            "latency {profile} {what}: p50 {p50:.0} ms, p95 {p95:.0} ms; limit {limit_ms:.0} ms, \
             ratio p50 {:.2}, p95 {:.2}",
            p50 / limit_ms,
            p95 / limit_ms
        );
    };
    row("visible", &visible);
    row("done", &done);
    row("visible without the model", &bare_visible);
    row("done without the model", &bare_done);

    let mut group = c.benchmark_group(format!("latency-{profile}"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    let mut i = 0;
    group.bench_function("one design, done", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            run_one(&keys[i])
        })
    });
    group.finish();

    runtime.block_on(async {
        for key in &keys {
            let _ = pipeline::delete_design(&neo, &images, &bucket, key).await;
            let _ = s3
                .client()
                .delete_object()
                .bucket(&bucket)
                .key(key)
                .send()
                .await;
        }
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
