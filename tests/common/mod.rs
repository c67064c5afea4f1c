//! Helpers shared by the integration tests: where the shared corpus is, and an independent way
//! to get at a file's XML (zip / gzip / plain) that does not go through the reader under test.

#![allow(dead_code)]

pub mod proxy;
pub mod stub;

use std::io::Read;
use std::path::{Path, PathBuf};

/// `../shared/corpus` next to the crate, if present.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// Every `.ork` file of the corpus, sorted; prints why and returns empty when it is absent.
pub fn corpus_files(test: &str) -> Vec<PathBuf> {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "SKIPPED {test}: ../shared/corpus is absent (the shared corpus is read in place)"
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for sub in std::fs::read_dir(&dir).expect("read corpus dir") {
        let sub = sub.expect("dir entry").path();
        if sub.is_dir() {
            for f in std::fs::read_dir(&sub).expect("read corpus subdir") {
                let f = f.expect("dir entry").path();
                if f.extension().is_some_and(|e| e == "ork") {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

/// The XML of an .ork file, inflated with plain library calls.
pub fn raw_xml(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let name = z
            .file_names()
            .map(|n| n.expect("name").into_owned())
            .find(|n| n.ends_with(".ork"))
            .expect("an .ork entry");
        z.by_name(&name)
            .expect("entry")
            .read_to_end(&mut out)
            .expect("inflate");
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("gunzip");
    } else {
        out.extend_from_slice(bytes);
    }
    out
}

/// A path relative to the crate's `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}
