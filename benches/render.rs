//! Profile-image rendering time: full image (2000 px) + thumbnail (400 px) as PNG, plus the
//! SVG, for a few corpus designs (geometry resolved once, outside the timed loop). The target
//! is ≤ 20 ms per design. `render/scene` times the display list alone, `render/svg` the SVG
//! writer alone. Run with `cargo bench --bench render`; skipped with a message when
//! `../shared/corpus` is absent.
//!
//! `chart/png+svg/*` times one flight chart (1600 × 900 PNG + SVG) of a design's primary
//! simulation (chosen, with its motors, outside the timed loop); the target is ≤ 15 ms per
//! chart. `chart/scene`, `chart/raster`, `chart/png` and `chart/svg` time its steps alone.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ork_processor::geometry;
use ork_processor::ork::{self, ParseOptions};
use ork_processor::render::chart::{self, ChartConfig, ChartInput};
use ork_processor::render::{self, RenderConfig};

const CHART_DESIGNS: [&str; 4] = [
    "openrocket-examples/A simple model rocket.ork",
    "openrocket-examples/Three stage low power rocket.ork",
    "openrocket-examples/Airstart timing.ork",
    "field/RocketSerializer__v1.4_OR15.03__EPFL_BellaLui_2020.ork",
];

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

fn bench_chart(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        eprintln!("SKIPPED chart bench: ../shared/corpus is absent");
        return;
    }
    let cfg = ChartConfig::default();
    let mut group = c.benchmark_group("chart");
    group.sample_size(30);
    for rel in CHART_DESIGNS {
        let Ok(bytes) = std::fs::read(dir.join(rel)) else {
            eprintln!("SKIPPED {rel}: not in the corpus");
            continue;
        };
        let design = ork::parse(&bytes, &ParseOptions::default())
            .expect("parse")
            .design;
        let Some((_, sim)) = chart::primary_simulation(&design) else {
            eprintln!("SKIPPED {rel}: no simulation with data");
            continue;
        };
        let Some(series) = &sim.series else {
            continue;
        };
        let motors = chart::simulation_motors(&design, sim);
        let input = ChartInput {
            design_name: design.rocket.name.as_deref(),
            simulation_name: sim.name.as_deref(),
            motors: &motors,
            series: &series.main,
            branches: &series.extra_branches,
        };
        let name = Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let short: String = name.chars().take(32).collect();
        group.bench_function(format!("png+svg/{short}"), |b| {
            b.iter(|| chart::flight_chart(black_box(&input), &cfg).expect("chart"))
        });
        group.bench_function(format!("scene/{short}"), |b| {
            b.iter(|| chart::chart_scene(black_box(&input), &cfg).expect("scene"))
        });
        let (scene, _) = chart::chart_scene(&input, &cfg).expect("scene");
        let (w, h) = (scene.width, scene.height);
        group.bench_function(format!("raster/{short}"), |b| {
            b.iter(|| render::raster::rasterize(black_box(&scene), w, h, 1.0).expect("raster"))
        });
        let pm = render::raster::rasterize(&scene, w, h, 1.0).expect("raster");
        group.bench_function(format!("png/{short}"), |b| {
            b.iter(|| render::raster::encode_png(black_box(&pm), true).expect("png"))
        });
        group.bench_function(format!("svg/{short}"), |b| {
            b.iter(|| render::svg::to_svg(black_box(&scene)))
        });
        //SUBSETS
    }
    group.finish();
}

criterion_group!(benches, bench, bench_chart);
criterion_main!(benches);
