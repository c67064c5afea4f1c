//! Geometry throughput: `geometry::resolve` and `geometry::figures` on a few corpus designs,
//! parsed once outside the timed loop (so only geometry is measured).
//!
//! `resolve/<design>` is the renderer-facing resolution, `figures/<design>` the headline
//! figures (layout, mass, CP, per-stage stacks and per-simulation configurations), and
//! `both/<design>` the pair as a caller producing a report runs them.
//! Run with `cargo bench --bench geometry`; skipped with a message when `../shared/corpus`
//! is absent.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::geometry;
use ork_processor::ork::{self, ParseOptions};

/// A small, a pod-heavy, a multi-stage and a large design (by component count).
const DESIGNS: &[&str] = &[
    "openrocket-examples/A simple model rocket.ork",
    "openrocket-examples/Pods--airframes and winglets.ork",
    "openrocket-examples/Three stage low power rocket.ork",
    "openrocket-examples/Parallel booster staging.ork",
    "field/RocketSerializer__v1.9_OR23.09__WERT_Prometheus_2022.ork",
];

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn benches(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED geometry benches: ../shared/corpus is absent");
        return;
    };
    let opts = ParseOptions::default();
    let mut group = c.benchmark_group("geometry");
    for rel in DESIGNS {
        let path = dir.join(rel);
        let design = match ork::parse_file(&path, &opts) {
            Ok(p) => p.design,
            Err(e) => {
                eprintln!("SKIPPED {rel}: {e}");
                continue;
            }
        };
        if let Err(e) = geometry::figures(&design) {
            eprintln!("SKIPPED {rel}: {e}");
            continue;
        }
        let name = Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().chars().take(40).collect::<String>())
            .unwrap_or_else(|| rel.to_string());
        let label = format!("{name} ({} components)", design.components.len());
        group.bench_function(format!("resolve/{label}"), |b| {
            b.iter(|| geometry::resolve(black_box(&design)))
        });
        group.bench_function(format!("figures/{label}"), |b| {
            b.iter(|| geometry::figures(black_box(&design)))
        });
        group.bench_function(format!("both/{label}"), |b| {
            b.iter(|| {
                (
                    geometry::resolve(black_box(&design)),
                    geometry::figures(black_box(&design)),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(geometry_benches, benches);
criterion_main!(geometry_benches);
