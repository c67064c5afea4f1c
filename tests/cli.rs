//! The `ork` binary as a user runs it: several files in turn, a bad one among them.

mod common;

use std::process::Command;

fn ork(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ork"))
        .args(args)
        .output()
        .expect("run ork");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

fn td(name: &str) -> String {
    common::testdata(name).display().to_string()
}

#[test]
fn a_bad_file_does_not_stop_the_others() {
    let (code, out, err) = ork(&[
        "inspect",
        &td("minimal.ork"),
        &td("bad-random.ork"),
        &td("gzipped.ork"),
    ]);
    assert_eq!(code, 1, "non-zero exit when any file failed");
    // Both good files were shown, in turn.
    assert_eq!(out.matches(": Minimal\n").count(), 2, "{out}");
    assert!(out.contains("Components (5):"));
    assert!(out.contains("Estes C6-5 in"), "{out}");
    assert!(out.contains("apogee 123.4 m"), "{out}");
    // The failure names the file and the reason.
    let line = err
        .lines()
        .find(|l| l.contains("bad-random.ork"))
        .expect("failure line");
    assert!(line.contains("not an OpenRocket design"), "{line}");
    assert!(err.contains("1 of 3 file(s) failed"), "{err}");
}

#[test]
fn all_good_files_exit_zero() {
    let (code, out, err) = ork(&["inspect", &td("all-components.ork")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Components (29):"));
    assert!(out.contains("[parallelstage]"));
}

#[test]
fn json_is_one_object_per_file_with_typed_components() {
    let (code, out, err) = ork(&["inspect", "--json", &td("minimal.ork"), &td("zipped.ork")]);
    assert_eq!(code, 0, "{err}");
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("a stream of JSON objects");
    assert_eq!(docs.len(), 2);
    for doc in &docs {
        for key in [
            "file",
            "processor_version",
            "warnings",
            "format_version",
            "creator",
            "container",
            "rocket",
            "components",
            "simulations",
        ] {
            assert!(doc.get(key).is_some(), "missing top-level {key}");
        }
        let types: Vec<&str> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "stage",
                "nosecone",
                "bodytube",
                "trapezoidfinset",
                "innertube"
            ]
        );
        assert!(doc["simulations"].is_array());
    }
    assert_eq!(docs[1]["container"]["kind"], "zip");
}

#[test]
fn missing_file_is_reported() {
    let (code, _, err) = ork(&["inspect", "/nonexistent/x.ork"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/x.ork"), "{err}");
}

#[test]
fn process_without_a_database_writes_cypher_and_json() {
    let dir = std::env::temp_dir().join(format!("ork-process-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_ork"))
        .args([
            "process",
            &td("all-components.ork"),
            &td("bad-empty.ork"),
            "-o",
        ])
        .arg(&dir)
        .env_remove("NEO4J_URI")
        .output()
        .expect("run ork");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the empty file counts as failed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad-empty.ork: empty input"), "{stderr}");

    let cypher = std::fs::read_to_string(dir.join("all-components.cypher")).unwrap();
    assert!(cypher.contains("MERGE (d:Design {design_id: '"));
    assert!(cypher.contains("All components"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("all-components.graph.json")).unwrap(),
    )
    .unwrap();
    let nodes = json["nodes"].as_array().expect("nodes");
    let components = nodes
        .iter()
        .filter(|n| {
            n["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x == "Component"))
        })
        .count();
    assert_eq!(components, 29);
    // The invalid file still gets a Design node, with its status and reason.
    let bad: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bad-empty.graph.json")).unwrap())
            .unwrap();
    let design = &bad["nodes"].as_array().unwrap()[0];
    assert_eq!(design["properties"]["status"], "invalid");
    assert!(design["properties"]["error"]
        .as_str()
        .unwrap()
        .contains("empty input"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ork model` writes the 3D model alone, the same bytes on every run; `ork render` writes it
/// beside the images; a file that is not a design fails alone.
#[test]
fn model_writes_a_glb_and_render_writes_it_beside_the_images() {
    let dir = std::env::temp_dir().join(format!("ork-cli-model-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out_dir = dir.display().to_string();
    let (code, out, err) = ork(&[
        "model",
        &td("all-components.ork"),
        &td("bad-random.ork"),
        "-o",
        &out_dir,
    ]);
    assert_eq!(code, 1, "the bad file fails: {out}{err}");
    assert!(
        out.contains("all-components.glb (") && out.contains(" triangles, "),
        "{out}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("bad-random.ork")).count(),
        1,
        "{err}"
    );
    let glb = std::fs::read(dir.join("all-components.glb")).expect("the model");
    assert_eq!(&glb[..4], b"glTF");
    assert_eq!(
        u32::from_le_bytes(glb[4..8].try_into().unwrap()),
        2,
        "glTF 2.0"
    );
    assert_eq!(
        u32::from_le_bytes(glb[8..12].try_into().unwrap()) as usize,
        glb.len(),
        "the header's length"
    );
    assert!(!dir.join("all-components.png").exists(), "the model alone");

    let (code, out, err) = ork(&["render", &td("all-components.ork"), "-o", &out_dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(dir.join("all-components.png").exists());
    let again = std::fs::read(dir.join("all-components.glb")).expect("the model again");
    assert_eq!(again, glb, "the same bytes on every run");
    let _ = std::fs::remove_dir_all(&dir);
}
