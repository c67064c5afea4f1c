//! Batch reprocessing throughput against the local servers: designs per second at concurrency
//! 1, 2, 4 and 8, with the real S3 adapter (moto), the real graph sink (Neo4j 5 over Bolt) and
//! the production render; images go to the in-memory store (the Cloudinary stub is a
//! single-threaded Python server and would measure itself). Every iteration is a forced run
//! over the same 32 objects.
//!
//! Run with the servers up: `bash infra/local/neo4j.sh start && bash infra/local/s3.sh start`,
//! `eval` their `env` output, then `cargo bench --bench reprocess`. Skipped (with a message)
//! when `AWS_ENDPOINT_URL_S3` or `NEO4J_URI` is unset.

use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use indicatif::ProgressBar;
use ork_processor::bucket::reprocess::{self, Cancel, LocalDispatch, ReprocessConfig};
use ork_processor::graph::{self, GraphConfig, GraphSink, Neo4jSink};
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{PipelineConfig, Ports};
use ork_processor::publish::MemoryStore;

/// Objects per iteration.
const OBJECTS: usize = 32;

fn bodies() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus/openrocket-examples");
    let mut files: Vec<_> = match std::fs::read_dir(&corpus) {
        Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => ["all-components.ork", "minimal.ork", "zipped.ork"]
            .iter()
            .map(|f| root.join("testdata").join(f))
            .collect(),
    };
    files.retain(|p| p.extension().is_some_and(|e| e == "ork"));
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn bench(c: &mut Criterion) {
    if std::env::var("AWS_ENDPOINT_URL_S3").is_err() {
        eprintln!("SKIPPED reprocess bench: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh)");
        return;
    }
    let Ok(Some(graph_config)) = GraphConfig::from_env() else {
        eprintln!("SKIPPED reprocess bench: NEO4J_URI is not set (infra/local/neo4j.sh)");
        return;
    };
    ork_processor::lambda::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bucket = format!("ork-bench-{}", std::process::id());
    let (s3, neo) = runtime.block_on(async {
        let s3 = S3Source::from_env(true).await;
        s3.client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let bodies = bodies();
        for i in 0..OBJECTS {
            s3.client()
                .put_object()
                .bucket(&bucket)
                .key(format!("uploads/{i:03}.ork"))
                .body(bodies[i % bodies.len()].clone().into())
                .send()
                .await
                .unwrap();
        }
        let neo = Neo4jSink::connect(graph_config).await.unwrap();
        neo.ensure_schema().await.unwrap();
        (s3, neo)
    });
    let images = MemoryStore::new("designs");
    let dispatch = LocalDispatch {
        ports: Ports {
            source: &s3,
            graph: &neo,
            images: &images,
        },
        config: PipelineConfig {
            force: true,
            ..PipelineConfig::default()
        },
    };
    let mut group = c.benchmark_group("reprocess");
    group
        .throughput(Throughput::Elements(OBJECTS as u64))
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for concurrency in [1usize, 2, 4, 8] {
        let retries_before = neo.retries();
        let config = ReprocessConfig {
            concurrency,
            force: true,
            ..ReprocessConfig::new(bucket.clone())
        };
        group.bench_function(
            format!("{OBJECTS} designs, concurrency {concurrency}"),
            |b| {
                b.iter(|| {
                    let report = runtime
                        .block_on(reprocess::run(
                            &s3,
                            Some(&neo),
                            &dispatch,
                            &config,
                            &ProgressBar::hidden(),
                            &Cancel::new(),
                        ))
                        .unwrap();
                    assert_eq!(
                        report.counts.processed,
                        OBJECTS,
                        "{}",
                        report.summary_line()
                    );
                })
            },
        );
        // What Neo4j's locks did: writers of designs that share Material and Motor nodes
        // wait for each other, and a deadlock is retried by the sink.
        eprintln!(
            "reprocess concurrency {concurrency}: {} writes retried after a deadlock or a lost connection",
            neo.retries() - retries_before
        );
    }
    group.finish();
    runtime.block_on(async {
        for i in 0..OBJECTS {
            let id = graph::design_id(&bucket, &format!("uploads/{i:03}.ork"));
            neo.delete_design(&id, None).await.unwrap();
        }
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
