//! Parser throughput against inflate-only throughput, in MB/s of XML.
//!
//! `parse/*` runs the whole reader (container, streaming XML pass, model). `inflate/*` only
//! decompresses the same bytes with the same decompressor (plain XML: a buffered copy), so the
//! ratio of the two is what parsing adds. `corpus/*` does the same over every corpus file, and
//! `corpus/parse-without-series` parses with the data rows only counted (no flight series).
//! Run with `cargo bench --bench parse`; skipped with a message when `../shared/corpus` is absent.
//!
//! `memory/*` parses the biggest corpus design and the same design with ten times the rows
//! (each branch's rows repeated ten times, later times shifted so that time keeps increasing),
//! and prints the heap peak of each parse, measured by a counting allocator: memory must not
//! grow with the rows.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ork_processor::ork::{self, ParseOptions};

/// `System`, counting live bytes and their peak (relaxed atomics: a few per allocation).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap peak of one parse, above what was live before it.
fn heap_peak(bytes: &[u8], options: &ParseOptions) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    black_box(ork::parse(bytes, options).unwrap());
    PEAK.load(Ordering::Relaxed) - base
}

/// The design's XML with every branch's rows repeated `times` times (time shifted), zipped.
fn more_rows(bytes: &[u8], times: usize) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut z = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    z.by_index(0).unwrap().read_to_string(&mut xml).unwrap();
    let mut out = String::with_capacity(xml.len() * times);
    let mut rest = xml.as_str();
    while let Some(start) = rest.find("<datapoint>") {
        let end = rest.find("</databranch>").unwrap();
        out.push_str(&rest[..start]);
        let rows: Vec<&str> = rest[start..end]
            .lines()
            .map(str::trim)
            .filter(|r| r.starts_with("<datapoint>"))
            .collect();
        let time = |r: &str| -> f64 {
            r.trim_start_matches("<datapoint>")
                .split(',')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let span = rows.iter().map(|r| time(r)).fold(0.0, f64::max) + 0.01;
        for k in 0..times {
            for r in &rows {
                let body = &r["<datapoint>".len()..];
                let (t, values) = body.split_once(',').unwrap();
                let t: f64 = t.parse().unwrap();
                out.push_str(&format!("<datapoint>{},{values}\n", t + k as f64 * span));
            }
        }
        rest = &rest[end..];
        out.push_str(&rest[..13]);
        rest = &rest[13..];
    }
    out.push_str(rest);
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("rocket.ork", options).unwrap();
    w.write_all(out.as_bytes()).unwrap();
    w.finish().unwrap().into_inner()
}

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

    // Memory: the biggest design and the same with ten times the rows.
    let big = std::fs::read(dir.join("openrocket-examples/Deployable payload.ork")).unwrap();
    let bigger = more_rows(&big, 10);
    let (once, ten) = (heap_peak(&big, &options), heap_peak(&bigger, &options));
    let rows = |b: &[u8]| -> u64 {
        ork::parse(b, &options)
            .unwrap()
            .design
            .simulations
            .iter()
            .flat_map(|s| &s.branches)
            .map(|b| b.datapoint_count)
            .sum()
    };
    println!(
        "memory: {} rows: heap peak {:.2} MiB; {} rows: {:.2} MiB ({:+.1} %)",
        rows(&big),
        once as f64 / (1 << 20) as f64,
        rows(&bigger),
        ten as f64 / (1 << 20) as f64,
        (ten as f64 / once as f64 - 1.0) * 100.0
    );
    let mut g = c.benchmark_group("memory");
    g.sample_size(10);
    g.bench_function("ten-times-the-rows", |b| {
        b.iter(|| ork::parse(black_box(&bigger), &options).unwrap())
    });
    g.finish();

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
