//! What the reader makes of every corpus design stays the same: the JSON of
//! `ork inspect --json --series` and the graph `ork process` builds, apart from the processor
//! version and the processing time.
//!
//! `tests/unchanged/digests.tsv` holds a SHA-256 of each, taken from a build before a change
//! to the reader (the parser's speed work, issue 18). A mismatch names the designs and keeps
//! the new documents under `target/unchanged/` for a diff against a build of the commit that
//! wrote the table. Only when a change is meant, regenerate the table:
//!
//! ```text
//! ORK_BLESS_DIGESTS=1 cargo test --test unchanged
//! ```
//!
//! The corpus is read in place; the test skips when `../shared/corpus` is absent.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

const TABLE: &str = "tests/unchanged/digests.tsv";

/// Fields that change with the build or the clock, not with what was read.
const VOLATILE: [&str; 2] = ["processor_version", "processed_at"];

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in VOLATILE {
                map.remove(key);
            }
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn ork(dir: &Path, args: &[&str], files: &[String]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_ork"))
        .current_dir(dir)
        .env_remove("NEO4J_URI")
        .args(args)
        .args(files)
        .output()
        .expect("run ork");
    // Designs that are not physical still print JSON and exit non-zero; the JSON is compared.
    assert!(
        !out.stdout.is_empty() || args[0] == "process",
        "ork {args:?} printed nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The normalised documents of every design: name → (inspect JSON, graph JSON).
fn documents(corpus: &Path, files: &[String], out_dir: &Path) -> BTreeMap<String, [String; 2]> {
    let stdout = ork(corpus, &["inspect", "--json", "--series"], files);
    let mut inspected: Vec<Value> = serde_json::Deserializer::from_slice(&stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("ork inspect --json prints JSON objects");
    assert_eq!(inspected.len(), files.len(), "one JSON object per file");

    let graphs = out_dir.join("process");
    let _ = std::fs::remove_dir_all(&graphs);
    let graph_dir = graphs.to_str().expect("a UTF-8 target path").to_string();
    ork(
        corpus,
        &["process", "--bucket", "corpus", "-o", &graph_dir],
        files,
    );

    // Each graph, by the key its Design node records (the path as given).
    let mut by_key = BTreeMap::new();
    for entry in std::fs::read_dir(&graphs).expect("the graphs written") {
        let path = entry.expect("dir entry").path();
        if !path.to_string_lossy().ends_with(".graph.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a graph");
        let mut graph: Value = serde_json::from_str(&text).expect("graph JSON");
        let key = graph["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["labels"][0] == "Design"))
            .and_then(|n| n["properties"]["key"].as_str())
            .expect("a Design node with a key")
            .to_string();
        strip(&mut graph);
        by_key.insert(
            key,
            serde_json::to_string_pretty(&graph).expect("serialise"),
        );
    }

    let mut docs = BTreeMap::new();
    for (file, inspect) in files.iter().zip(inspected.iter_mut()) {
        strip(inspect);
        let stem = Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a file name");
        // A file that cannot be read has no graph, and that is part of what is compared.
        let graph = by_key
            .remove(file)
            .unwrap_or_else(|| "no graph".to_string());
        let inspect = serde_json::to_string_pretty(inspect).expect("serialise");
        std::fs::write(out_dir.join(format!("{stem}.inspect.json")), &inspect).expect("write");
        std::fs::write(out_dir.join(format!("{stem}.graph.json")), &graph).expect("write");
        docs.insert(file.clone(), [inspect, graph]);
    }
    docs
}

#[test]
fn inspect_json_and_graph_are_unchanged_for_every_corpus_design() {
    let paths =
        common::corpus_files("inspect_json_and_graph_are_unchanged_for_every_corpus_design");
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    // Paths relative to the corpus: they are the keys the designs are recorded under.
    let files: Vec<String> = paths
        .iter()
        .map(|p| {
            p.strip_prefix(&corpus)
                .expect("under the corpus")
                .to_str()
                .expect("UTF-8 names")
                .to_string()
        })
        .collect();
    let out_dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../unchanged");
    std::fs::create_dir_all(&out_dir).expect("create target/unchanged");
    let docs = documents(&corpus, &files, &out_dir);

    let table_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let got: BTreeMap<&str, [String; 2]> = docs
        .iter()
        .map(|(f, [i, g])| (f.as_str(), [sha256(i), sha256(g)]))
        .collect();
    if std::env::var_os("ORK_BLESS_DIGESTS").is_some() {
        let mut text = String::from(
            "# file\tinspect --json --series\tgraph (sha256, volatile fields removed)\n",
        );
        for (f, [i, g]) in &got {
            text.push_str(&format!("{f}\t{i}\t{g}\n"));
        }
        std::fs::write(&table_path, text).expect("write the digest table");
        eprintln!("wrote {} digests to {TABLE}", got.len());
        return;
    }
    let table = std::fs::read_to_string(&table_path).expect("the digest table");
    let expected: BTreeMap<&str, [&str; 2]> = table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let file = cols.next().expect("file");
            let i = cols.next().expect("inspect digest");
            let g = cols.next().expect("graph digest");
            (file, [i, g])
        })
        .collect();
    let mut problems = Vec::new();
    for (file, [i, g]) in &got {
        match expected.get(file) {
            None => problems.push(format!("{file}: not in {TABLE}")),
            Some([ei, eg]) => {
                if i != ei {
                    problems.push(format!("{file}: the inspect JSON changed"));
                }
                if g != eg {
                    problems.push(format!("{file}: the graph changed"));
                }
            }
        }
    }
    for file in expected.keys() {
        if !got.contains_key(file) {
            problems.push(format!("{file}: in {TABLE} but not in the corpus"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} difference(s); the new documents are in {}:\n{}",
        problems.len(),
        out_dir.display(),
        problems.join("\n")
    );
    assert_eq!(got.len(), files.len());
}
