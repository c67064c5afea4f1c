//! 3D mesh time: building the mesh of a resolved design and writing it as GLB
//! (`render::mesh::to_glb`), geometry resolved once outside the timed loop. The target is
//! ≤ 5 ms for the median corpus design, and the biggest design's GLB ≤ 1.5 MB.
//!
//! Every corpus design is timed once up front (best of a few runs) and listed with its
//! triangles and GLB size; criterion then times `build+glb/median` (the design of median
//! time), `build+glb/biggest` (the largest GLB) and `build+glb/corpus` (every design in
//! turn, one iteration). Run with `cargo bench --bench mesh`; skipped with a message when
//! `../shared/corpus` is absent.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::geometry::{self, Resolved};
use ork_processor::model::Design;
use ork_processor::ork::{self, ParseOptions};
use ork_processor::render::mesh::{self, MeshConfig};

/// Every corpus design that resolves, with its short name.
fn corpus() -> Vec<(String, Design, Resolved)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let mut files = Vec::new();
    for sub in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "ork") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let Ok(parsed) = ork::parse(&bytes, &ParseOptions::default()) else {
            continue;
        };
        let Ok(resolved) = geometry::resolve(&parsed.design) else {
            continue;
        };
        let name: String = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        out.push((name, parsed.design, resolved));
    }
    out
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED mesh bench: ../shared/corpus is absent");
        return;
    }
    let cfg = MeshConfig::default();
    let designs = corpus();
    if designs.is_empty() {
        eprintln!("SKIPPED mesh bench: no corpus design resolves");
        return;
    }
    // (best time, GLB bytes, triangles, index)
    let mut table: Vec<(Duration, usize, usize, usize)> = Vec::new();
    for (i, (name, design, resolved)) in designs.iter().enumerate() {
        let mut best = Duration::MAX;
        let mut bytes = 0;
        for _ in 0..20 {
            let t = Instant::now();
            let glb = mesh::to_glb(design, resolved, &cfg);
            best = best.min(t.elapsed());
            bytes = glb.map(|g| g.len()).unwrap_or(0);
        }
        let triangles = mesh::build(design, resolved, &cfg)
            .map(|m| m.triangles())
            .unwrap_or(0);
        eprintln!(
            "{name:40} {:>8.3} ms {triangles:>6} triangles {bytes:>8} bytes",
            best.as_secs_f64() * 1e3
        );
        table.push((best, bytes, triangles, i));
    }
    let mut by_time = table.clone();
    by_time.sort();
    let median = by_time[by_time.len() / 2];
    let biggest = table
        .iter()
        .copied()
        .max_by_key(|r| (r.1, r.3))
        .unwrap_or(median);
    eprintln!(
        "median {}: {:.3} ms, {} triangles, {} bytes; biggest GLB {}: {} bytes, {} triangles",
        designs[median.3].0,
        median.0.as_secs_f64() * 1e3,
        median.2,
        median.1,
        designs[biggest.3].0,
        biggest.1,
        biggest.2
    );

    let mut group = c.benchmark_group("mesh");
    group.sample_size(50);
    for (label, row) in [("median", median), ("biggest", biggest)] {
        let (_, design, resolved) = &designs[row.3];
        group.bench_function(format!("build+glb/{label}"), |b| {
            b.iter(|| mesh::to_glb(black_box(design), black_box(resolved), &cfg).expect("glb"))
        });
    }
    group.sample_size(10);
    group.bench_function("build+glb/corpus", |b| {
        b.iter(|| {
            for (_, design, resolved) in &designs {
                let _ = black_box(mesh::to_glb(black_box(design), black_box(resolved), &cfg));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
