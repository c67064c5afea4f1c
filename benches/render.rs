//! Profile-image rendering time: full image (2000 px) + thumbnail (400 px) as PNG, plus the
//! SVG, for a few corpus designs (geometry resolved once, outside the timed loop). The target
//! is ≤ 20 ms per design. `render/scene` times the display list alone, `render/svg` the SVG
//! writer alone. Run with `cargo bench --bench render`; skipped with a message when
//! `../shared/corpus` is absent.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::geometry;
use ork_processor::ork::{self, ParseOptions};
use ork_processor::render::{self, RenderConfig};

const DESIGNS: [&str; 4] = [
    "openrocket-examples/A simple model rocket.ork",
    "openrocket-examples/Pods--powered with recovery deployment.ork",
    "openrocket-examples/Parallel booster staging.ork",
    "field/RocketSerializer__v1.4_OR15.03__EPFL_BellaLui_2020.ork",
];

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED render bench: ../shared/corpus is absent");
        return;
    }
    let cfg = RenderConfig::default();
    let mut group = c.benchmark_group("render");
    group.sample_size(30);
    for rel in DESIGNS {
        let Ok(bytes) = std::fs::read(dir.join(rel)) else {
            eprintln!("SKIPPED {rel}: not in the corpus");
            continue;
        };
        let design = ork::parse(&bytes, &ParseOptions::default())
            .expect("parse")
            .design;
        let resolved = geometry::resolve(&design).expect("resolve");
        let figures = geometry::figures(&design).ok();
        let name = Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let short: String = name.chars().take(32).collect();
        group.bench_function(format!("full+thumb+svg/{short}"), |b| {
            b.iter(|| {
                render::render(
                    black_box(&design),
                    black_box(&resolved),
                    figures.as_ref(),
                    &cfg,
                )
                .expect("render")
            })
        });
        group.bench_function(format!("scene/{short}"), |b| {
            b.iter(|| {
                render::scene(
                    black_box(&design),
                    black_box(&resolved),
                    figures.as_ref(),
                    &cfg,
                )
                .expect("scene")
            })
        });
        let (scene, _) = render::scene(&design, &resolved, figures.as_ref(), &cfg).expect("scene");
        group.bench_function(format!("svg/{short}"), |b| {
            b.iter(|| render::svg::to_svg(black_box(&scene)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
