//! One design end to end in the handler's pipeline, network excluded: fetch (memory), parse,
//! figures, render, upload (memory image store), graph (memory sink). Target ≤ 100 ms for a
//! 300 KB design. Run with `cargo bench --bench handler`; skipped when ../shared/corpus is absent.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::graph::MemorySink;
use ork_processor::pipeline::{self, MemorySource, PipelineConfig, Ports, StageTimes};
use ork_processor::publish::MemoryStore;

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/openrocket-examples");
    if !dir.is_dir() {
        eprintln!("SKIPPED handler bench: ../shared/corpus is absent");
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for name in ["Airstart timing.ork", "A simple model rocket.ork"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let source = MemorySource::new();
        source.put("designs", "uploads/x.ork", bytes.clone());
        let graph = MemorySink::new();
        let images = MemoryStore::new("designs");
        let config = PipelineConfig {
            force: true,
            ..PipelineConfig::default()
        };
        let ports = Ports {
            source: &source,
            graph: &graph,
            images: &images,
        };
        c.bench_function(
            &format!("end to end/{name} ({} KB)", bytes.len() / 1024),
            |b| {
                b.iter(|| {
                    let mut times = StageTimes::default();
                    runtime
                        .block_on(pipeline::process_object(
                            &ports,
                            &config,
                            "designs",
                            "uploads/x.ork",
                            &mut times,
                        ))
                        .unwrap();
                    black_box(times)
                })
            },
        );
    }
}

criterion_group!(handler, bench);
criterion_main!(handler);
