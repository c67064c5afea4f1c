//! Parser throughput against inflate-only throughput, in MB/s of XML.
//!
//! `parse/*` runs the whole reader (container, streaming XML pass, model). `inflate/*` only
//! decompresses the same bytes with the same decompressor (plain XML: a buffered copy), so the
//! ratio of the two is what parsing adds. `corpus/*` does the same over every corpus file, and
//! `corpus/parse-without-series` parses with the data rows only counted (no flight series).
//! Run with `cargo bench --bench parse`; skipped with a message when `../shared/corpus` is absent.

use std::hint::black_box;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ork_processor::ork::{self, ParseOptions};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// Inflates (or copies) the design XML into a sink; returns its size.
fn inflate_only(bytes: &[u8]) -> u64 {
    let mut sink = io::sink();
    if bytes.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        let idx = (0..z.len())
            .find(|&i| {
                z.by_index_data(i)
                    .unwrap()
                    .name()
                    .unwrap()
                    .ends_with(".ork")
            })
            .unwrap();
        let mut reader = BufReader::with_capacity(64 * 1024, z.by_index(idx).unwrap());
        io::copy(&mut reader, &mut sink).unwrap()
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::read::MultiGzDecoder::new(bytes);
        io::copy(&mut BufReader::with_capacity(64 * 1024, gz), &mut sink).unwrap()
    } else {
        // No decompressor: the floor is moving the bytes through the same 64 KiB buffer.
        let mut r = BufReader::with_capacity(64 * 1024, bytes);
        let mut n = 0;
        loop {
            let chunk = r.fill_buf().unwrap();
            if chunk.is_empty() {
                break n;
            }
            black_box(chunk);
            let k = chunk.len();
            n += k as u64;
            r.consume(k);
        }
    }
}

fn benches(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED parse benches: ../shared/corpus is absent");
        return;
    };
    let options = ParseOptions::default();
    let set = [
        ("biggest-zip", "openrocket-examples/Deployable payload.ork"),
        (
            "plain-xml",
            "field/openrocket-python-parser__v1.9_OR23.09__tests_sample.ork",
        ),
        (
            "gzip",
            "openrocket-examples/swing_src_test_resources_simplerocket.ork",
        ),
        (
            "tiny-zip",
            "openrocket-examples/core_resources-src_pix_icon_logo_rocket.ork",
        ),
    ];
    for (label, rel) in set {
        let bytes = std::fs::read(dir.join(rel)).unwrap();
        let xml_len = inflate_only(&bytes);
        let mut g = c.benchmark_group(label);
        g.throughput(Throughput::Bytes(xml_len));
        g.bench_function("parse", |b| {
            b.iter(|| ork::parse(black_box(&bytes), &options).unwrap())
        });
        g.bench_function("inflate", |b| b.iter(|| inflate_only(black_box(&bytes))));
        g.finish();
    }

    let mut all = Vec::new();
    for sub in ["openrocket-examples", "field"] {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ork"))
            .collect();
        names.sort();
        all.extend(names.into_iter().map(|p| std::fs::read(p).unwrap()));
    }
    let total: u64 = all.iter().map(|b| inflate_only(b)).sum();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(total));
    g.sample_size(20);
    g.bench_function("parse", |b| {
        b.iter(|| {
            for f in &all {
                black_box(ork::parse(f, &options).unwrap());
            }
        })
    });
    let skip_rows = ParseOptions {
        series: None,
        ..ParseOptions::default()
    };
    g.bench_function("parse-without-series", |b| {
        b.iter(|| {
            for f in &all {
                black_box(ork::parse(f, &skip_rows).unwrap());
            }
        })
    });
    g.bench_function("inflate", |b| {
        b.iter(|| {
            for f in &all {
                black_box(inflate_only(f));
            }
        })
    });
    g.finish();
}

criterion_group!(parse, benches);
criterion_main!(parse);
