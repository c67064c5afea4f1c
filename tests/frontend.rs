//! The frontend's own client on the graph. Loads the corpus (or, without it, `testdata/`) into
//! the live Neo4j, then runs every query of `graph::queries` through the official Neo4j
//! JavaScript driver (`tests/frontend/check.mjs`, `neo4j-driver` pinned in its lock file), as a
//! Next.js page would: row counts as the Rust driver gets them, plain values only (with
//! `disableLosslessIntegers`), series lists with their `NaN` gaps and `null` for a missing
//! quantity, `processed_at` sorting and filtering as time, and each query's plan (a lookup by
//! key never scans a label). The plans are written to `$CARGO_TARGET_TMPDIR/frontend/plans.md`.
//!
//! Skips, with a message, without `NEO4J_URI`, Node.js or `tests/frontend/node_modules`
//! (`npm ci --prefix tests/frontend`); under `CI=true` the last two are failures.

mod common;

use ork_processor::graph::{self, queries, GraphSink, Statement, Value};
use ork_processor::model::Quantity;
use ork_processor::ork::ParseOptions;
use ork_processor::pipeline;
use serde_json::{json, Map};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A parameter as check.mjs reads it: integers tagged, so the driver sends Cypher integers.
fn param_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => json!({ "$int": i }),
        Value::Float(f) => json!(f),
        Value::Bool(b) => json!(b),
        Value::Str(s) => json!(s),
        Value::List(items) => items.iter().map(param_json).collect(),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), param_json(v)))
            .collect::<Map<_, _>>()
            .into(),
    }
}

/// The `AS` aliases of a query's RETURN clause, in order.
fn columns(cypher: &str) -> Vec<String> {
    let ret = &cypher[cypher.rfind("RETURN ").expect("a RETURN clause")..];
    let ret = ret.split(" ORDER BY ").next().unwrap_or(ret);
    ret.split(" AS ")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// Node.js and the pinned driver, or why not.
fn node_ready(dir: &Path) -> Result<(), String> {
    if !dir.join("node_modules/neo4j-driver").is_dir() {
        return Err(format!(
            "{} has no node_modules (npm ci --prefix tests/frontend)",
            dir.display()
        ));
    }
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("node is not on the PATH".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_driver_gets_what_a_page_needs() {
    let test = "the_javascript_driver_gets_what_a_page_needs";
    let Some(sink) = common::live_graph(test).await else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/frontend");
    if let Err(why) = node_ready(&dir) {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{test}: {why}; the test command installs it"
        );
        eprintln!("SKIPPED {test}: {why}");
        return;
    }

    // The designs, as the pipeline would write them (figures included).
    let mut files = common::corpus_files(test);
    if files.is_empty() {
        for name in ["all-components.ork", "series-english.ork", "minimal.ork"] {
            files.push(common::testdata(name));
        }
    }
    let bucket = format!(
        "frontend-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    let mut plans = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("a design file");
        let key = path.file_name().expect("a name").to_string_lossy();
        let analysis = pipeline::analyse(&bucket, &key, &bytes, &ParseOptions::default());
        let plan = graph::plan(&analysis.graph_input());
        sink.write_design(&plan).await.expect("write");
        plans.push(plan);
    }

    // The design a page would show the most of: simulations with series, and motors.
    let shown = plans
        .iter()
        .filter(|p| !p.graph.motors.is_empty())
        .max_by_key(|p| {
            p.graph
                .simulations
                .iter()
                .filter(|s| s.props.contains_key("series_time_s"))
                .count()
        })
        .expect("a design with motors");
    let id = shown.design_id.as_str();
    let designation = match shown.graph.motors[0].props.get("designation") {
        Some(Value::Str(s)) => s.clone(),
        other => panic!("a motor designation: {other:?}"),
    };
    // The primary simulation's series as written: NaN gaps per quantity, None when absent.
    let primary = shown
        .graph
        .simulations
        .iter()
        .find(|s| s.props.get("primary") == Some(&Value::Bool(true)))
        .expect("a primary simulation");
    let mut series = Map::new();
    for q in Quantity::ALL {
        let gaps = match primary.props.get(&format!("series_{}", q.key())) {
            Some(Value::List(items)) => json!(items
                .iter()
                .filter(|v| matches!(v, Value::Float(f) if f.is_nan()))
                .count()),
            _ => serde_json::Value::Null,
        };
        series.insert(q.key().to_string(), gaps);
    }

    // Every query of graph::queries; `lookup`: it finds its start by a key.
    let all: Vec<(&str, Statement, bool)> = vec![
        ("list_designs", queries::list_designs(0, 1000), false),
        ("component_tree", queries::component_tree(id), true),
        ("design_materials", queries::design_materials(id), true),
        ("design_motors", queries::design_motors(id), true),
        (
            "designs_by_motor",
            queries::designs_by_motor(&designation),
            true,
        ),
        (
            "designs_by_stability",
            queries::designs_by_stability(-100.0, 100.0),
            true,
        ),
        ("flight_summaries", queries::flight_summaries(id), true),
        ("flight_series", queries::flight_series(id, None), true),
        ("flight_branches", queries::flight_branches(id, 0), true),
    ];
    let mut specs = Vec::new();
    for (name, st, lookup) in &all {
        let cols = columns(&st.cypher);
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        let rows = sink.query_rows(st, &names).await.expect("the Rust driver");
        let mut spec = json!({
            "name": name,
            "cypher": st.cypher,
            "params": st.params.iter().map(|(k, v)| (k.clone(), param_json(v))).collect::<Map<_, _>>(),
            "columns": cols,
            "rows": rows.len(),
            "lookup": lookup,
        });
        if *name == "flight_series" {
            spec["series"] = series.clone().into();
        }
        specs.push(spec);
    }
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("frontend");
    std::fs::create_dir_all(&out).expect("a work folder");
    let queries_json = out.join("queries.json");
    let plans_md = out.join("plans.md");
    std::fs::write(
        &queries_json,
        serde_json::to_vec_pretty(&json!({ "queries": specs })).expect("json"),
    )
    .expect("write the queries");

    let run = Command::new("node")
        .arg(dir.join("check.mjs"))
        .arg(&queries_json)
        .arg(&plans_md)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&run.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&run.stderr));
    eprintln!("plans: {}", plans_md.display());

    for p in &plans {
        sink.delete_design(&p.design_id, None)
            .await
            .expect("clean up");
    }
    assert!(run.status.success(), "{test}: check.mjs failed:\n{stdout}");
    // The script checked something: one line per check, every query named.
    for (name, _, _) in &all {
        assert!(
            stdout.contains(&format!("ok   {name}:")),
            "{name} unchecked"
        );
    }
    assert!(stdout.contains("all checks passed"));
}

#[test]
fn columns_are_the_return_aliases() {
    assert_eq!(
        columns(&queries::list_designs(0, 1).cypher),
        [
            "design_id",
            "name",
            "designer",
            "status",
            "stability_cal",
            "length_m",
            "thumbnail_url",
            "processed_at"
        ]
    );
    assert_eq!(
        columns("MATCH (n) RETURN coalesce(n.a, n.b) AS x, labels(n) AS y ORDER BY x"),
        ["x", "y"]
    );
}
