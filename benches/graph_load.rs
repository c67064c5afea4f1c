//! Loading the largest corpus design into the graph database (`NEO4J_URI` and friends, e.g.
//! from `infra/local/neo4j.sh env`), and planning it without a server. Prints the round trips
//! per write, counted by the sink. Skips the database part when `NEO4J_URI` is unset.
//!
//! `cargo bench --bench graph_load`

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::graph::{self, GraphConfig, GraphSink, Neo4jSink};
use std::path::{Path, PathBuf};

/// The corpus file with the most components, with its bytes and parse.
fn largest_design() -> Option<(PathBuf, Vec<u8>, ork_processor::model::Design)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut best: Option<(PathBuf, Vec<u8>, ork_processor::model::Design)> = None;
    for sub in std::fs::read_dir(dir).ok()?.flatten() {
        for f in std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = f.path();
            if path.extension().is_none_or(|e| e != "ork") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(parsed) = ork_processor::ork::parse(&bytes, &Default::default()) else {
                continue;
            };
            let n = parsed.design.components.len();
            if best.as_ref().is_none_or(|(_, _, d)| d.components.len() < n) {
                best = Some((path, bytes, parsed.design));
            }
        }
    }
    best
}

fn bench(c: &mut Criterion) {
    let Some((path, bytes, design)) = largest_design() else {
        eprintln!("SKIPPED graph_load: ../shared/corpus is absent");
        return;
    };
    let source = graph::SourceObject::from_bytes("bench", "largest.ork", &bytes);
    let input = graph::DesignInput::new(source, graph::Outcome::Ok(&design));
    let plan = graph::plan(&input);
    eprintln!(
        "graph_load: {} — {} components, {} nodes, {} relationships, {} statements",
        path.display(),
        plan.graph.components.len(),
        plan.graph.owned_node_count() + plan.graph.materials.len() + plan.graph.motors.len(),
        plan.graph.relationship_count(),
        plan.statements.len()
    );
    c.bench_function("graph_plan_largest", |b| b.iter(|| graph::plan(&input)));

    let config = match GraphConfig::from_env() {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("SKIPPED graph_load write: NEO4J_URI is not set");
            return;
        }
        Err(e) => {
            eprintln!("SKIPPED graph_load write: {e}");
            return;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("SKIPPED graph_load write: no runtime: {e}");
            return;
        }
    };
    let sink = match rt.block_on(async {
        let sink = Neo4jSink::connect(config).await?;
        sink.ensure_schema().await?;
        Ok::<_, graph::GraphError>(sink)
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("SKIPPED graph_load write: {e}");
            return;
        }
    };
    let mut last = graph::WriteStats::default();
    let before = sink.round_trips();
    let mut writes = 0u64;
    c.bench_function("graph_write_largest", |b| {
        b.iter(|| {
            match rt.block_on(sink.write_design(&plan)) {
                Ok(stats) => last = stats,
                Err(e) => eprintln!("write failed: {e}"),
            }
            writes += 1;
        })
    });
    eprintln!(
        "graph_load: {} round trips per write ({} statements + BEGIN + COMMIT); \
         {} writes, {} round trips in all",
        last.round_trips,
        plan.statements.len(),
        writes,
        sink.round_trips() - before
    );
    if let Err(e) = rt.block_on(sink.delete_design(&plan.design_id, None)) {
        eprintln!("cleanup failed: {e}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
