//! Replays, through [`exercise`] (container, parser, geometry, figures, render), every input
//! the fuzzer (`fuzz/`) found a crash, hang or runaway allocation with (`testdata/fuzz/`), and
//! every hand-written fixture (`testdata/*.ork`, the fuzzer's seeds). Each must return; the
//! saved crash inputs must also reach exactly the stage recorded for them below.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ork_processor::exercise::{exercise, small_render, Reached};

/// Saved fuzzer finds and how far each must get now that its crash is fixed.
/// `testdata/fuzz/README.md` explains each one.
const FUZZ_EXPECTED: &[(&str, Reached)] = &[
    // 10⁴ pods in 10⁴ pods: 10⁸ instance axes (out of memory) before the instance limit.
    ("nested-pods-instance-bomb.ork", Reached::Parsed),
    // 10⁴ pods each with a 10⁴-fin set: 10⁸ fins summed and drawn (9 s) before the limit.
    ("pod-fins-instance-flood.ork", Reached::Parsed),
    // 5 000 empty stages: per-stage figures resolved the design once per stage (minutes).
    ("stage-flood.ork", Reached::Parsed),
    // 99 fin sets of 10⁴ fins: 10⁶ fins summed and drawn (3 s) before the design-wide limit.
    ("fin-count-total-flood.ork", Reached::Parsed),
];

/// Fixtures whose outcome is known (the rest only have to return).
const SEED_EXPECTED: &[(&str, Reached)] = &[
    ("minimal.ork", Reached::Rendered),
    ("zipped.ork", Reached::Rendered),
    ("gzipped.ork", Reached::Rendered),
    ("all-components.ork", Reached::Rendered),
    ("boosterset-legacy.ork", Reached::Rendered),
    ("format-1.0-position.ork", Reached::Rendered),
    ("format-1.8-axialoffset.ork", Reached::Rendered),
    ("bad-empty.ork", Reached::Rejected),
    ("bad-random.ork", Reached::Rejected),
    ("bad-entity-bomb.ork", Reached::Rejected),
    ("bad-rocksim.ork", Reached::Rejected),
    ("bad-truncated.zip.ork", Reached::Rejected),
    ("bad-truncated-xml.ork", Reached::Rejected),
    ("bad-nested-archive.ork", Reached::Rejected),
    ("bad-nesting.ork", Reached::Rejected),
];

/// Decompression bombs are left out: each inflates hundreds of MiB, seconds per run in a
/// debug build (`tests/fixtures.rs` checks them); so are files over this size.
const MAX_SEED_BYTES: u64 = 256 * 1024;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The `.ork` files of a directory, sorted by name.
fn ork_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ork"))
        .collect();
    files.sort();
    files
}

fn name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Runs every file; returns `(name, reached)` per file.
fn run_all(files: &[PathBuf]) -> Vec<(String, Reached)> {
    let config = small_render();
    files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let t = Instant::now();
            let reached = exercise(&bytes, &config);
            println!(
                "{:<48} {:>8} B  {:?} in {:.1} ms",
                name(p),
                bytes.len(),
                reached,
                t.elapsed().as_secs_f64() * 1e3
            );
            (name(p), reached)
        })
        .collect()
}

fn check_expected(results: &[(String, Reached)], expected: &[(&str, Reached)], dir: &Path) {
    let mut failures = Vec::new();
    for (file, want) in expected {
        match results.iter().find(|(n, _)| n == file) {
            Some((_, got)) if got == want => {}
            Some((_, got)) => failures.push(format!("{file}: reached {got:?}, expected {want:?}")),
            None => failures.push(format!("{file}: missing from {}", dir.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every saved fuzzer find returns, at the stage recorded for it.
#[test]
fn fuzz_finds_return() {
    let dir = testdata().join("fuzz");
    let files = ork_files(&dir);
    let results = run_all(&files);
    check_expected(&results, FUZZ_EXPECTED, &dir);
    // Every saved find has its expectation recorded (and explained in the README).
    for (file, _) in &results {
        assert!(
            FUZZ_EXPECTED.iter().any(|(n, _)| n == file),
            "{file}: add its expected stage to FUZZ_EXPECTED"
        );
    }
}

/// Every fixture (the fuzzer's seed corpus) returns; the known ones at their stage.
#[test]
fn seeds_return() {
    let dir = testdata();
    let files: Vec<PathBuf> = ork_files(&dir)
        .into_iter()
        .filter(|p| !name(p).starts_with("bad-zip-bomb"))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_SEED_BYTES))
        .collect();
    assert!(files.len() >= SEED_EXPECTED.len(), "too few fixtures");
    let results = run_all(&files);
    check_expected(&results, SEED_EXPECTED, &dir);
}

/// The instance and stage floods are refused by the geometry's limits, each with its own
/// typed error giving the count and the limit (not a "non-physical" value).
#[test]
fn floods_hit_their_limit() {
    use ork_processor::geometry::{self, position, GeometryError};
    use ork_processor::ork::{self, ParseOptions};
    fn check(file: &str, want_what: &str, want_limit: usize) {
        let bytes = std::fs::read(testdata().join("fuzz").join(file)).expect(file);
        let parsed = ork::parse(&bytes, &ParseOptions::default()).expect(file);
        let err = geometry::figures(&parsed.design).expect_err(file);
        assert_eq!(err.code(), "limit_exceeded", "{file}: {err}");
        assert!(err.rejects_design(), "{file}");
        match err {
            GeometryError::OverLimit {
                what, count, limit, ..
            } => {
                assert!(what.starts_with(want_what), "{file}: {what}");
                assert_eq!(limit, want_limit, "{file}");
                assert!(count > limit, "{file}: {count} ≤ {limit}");
            }
            other => panic!("{file}: {other:?}"),
        }
    }
    check(
        "nested-pods-instance-bomb.ork",
        "instance count (own",
        position::MAX_INSTANCES,
    );
    check(
        "pod-fins-instance-flood.ork",
        "instance count (own",
        position::MAX_INSTANCES,
    );
    check("stage-flood.ork", "stage count", position::MAX_STAGES);
    check(
        "fin-count-total-flood.ork",
        "instance count of the whole design",
        position::MAX_TOTAL_INSTANCES,
    );
}
