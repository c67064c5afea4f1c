//! Integration tests of the graph loader against a live Neo4j 5 (locally `infra/local/neo4j.sh`,
//! see `infra/local/README.md`). They run when `NEO4J_URI` is set and print a skip message
//! otherwise; the TLS test also needs `NEO4J_TLS_URI` and `NEO4J_CA_CERT`. Each test uses its own bucket name, so they can share one server and run
//! in parallel.

mod common;

use common::proxy::Proxy;
use ork_processor::graph::{self, queries, GraphConfig, GraphSink, Neo4jSink, Statement, Value};
use ork_processor::model::Design;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

/// A bucket name no other test run uses.
fn bucket(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("it-{test}-{}-{nanos}", std::process::id())
}

/// A corpus (or test data) file, its bytes and its parse.
struct Loaded {
    path: PathBuf,
    bytes: Vec<u8>,
    design: Result<Design, String>,
}

fn design_files() -> Vec<Loaded> {
    let mut files = common::corpus_files("graph");
    let testdata = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    if let Ok(rd) = std::fs::read_dir(testdata) {
        let mut extra: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ork"))
            .collect();
        extra.sort();
        files.extend(extra);
    }
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read design file");
            let design = ork_processor::ork::parse(&bytes, &Default::default())
                .map(|p| p.design)
                .map_err(|e| e.to_string());
            Loaded {
                path,
                bytes,
                design,
            }
        })
        .collect()
}

fn key_of(l: &Loaded) -> String {
    l.path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The plan of a file under `bucket`, with the given stability figure.
fn plan_of(l: &Loaded, bucket: &str, stability: Option<f64>) -> graph::GraphPlan {
    let source = graph::SourceObject::from_bytes(bucket, &key_of(l), &l.bytes);
    let outcome = match &l.design {
        Ok(d) => graph::Outcome::Ok(d),
        Err(e) => graph::Outcome::Invalid(e),
    };
    let figures = stability.map(|s| graph::Figures::default().with("stability_cal", s));
    graph::plan(&graph::DesignInput::new(source, outcome).with_figures(figures))
}

async fn rows(
    sink: &Neo4jSink,
    st: Statement,
    cols: &[&str],
) -> Vec<Vec<Option<serde_json::Value>>> {
    sink.query_rows(&st, cols)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", st.cypher))
}

fn s(v: &Option<serde_json::Value>) -> String {
    match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn ids_param(ids: &[String]) -> Value {
    Value::List(ids.iter().map(|i| Value::from(i.as_str())).collect())
}

/// Nodes per label set and relationships per type for the given designs, plus the shared
/// nodes they reach.
async fn counts(sink: &Neo4jSink, ids: &[String]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let queries = [
        (
            "node",
            "MATCH (n) WHERE n.design_id IN $ids RETURN labels(n) AS k, count(n) AS c",
        ),
        (
            "rel",
            "MATCH (n)-[r]->() WHERE n.design_id IN $ids RETURN type(r) AS k, count(r) AS c",
        ),
        (
            "shared",
            "MATCH (n)-[:MADE_OF|USES]->(m) WHERE n.design_id IN $ids \
             RETURN labels(m) AS k, count(DISTINCT m) AS c",
        ),
    ];
    for (kind, q) in queries {
        let st = Statement::new(q).param("ids", ids_param(ids));
        for r in rows(sink, st, &["k", "c"]).await {
            let k = match &r[0] {
                Some(serde_json::Value::Array(a)) => {
                    let mut l: Vec<String> = a.iter().map(|v| s(&Some(v.clone()))).collect();
                    l.sort();
                    l.join(":")
                }
                other => s(other),
            };
            let k = format!("{kind}:{k}");
            let c = r[1].as_ref().and_then(|v| v.as_i64()).unwrap_or(-1);
            *out.entry(k).or_insert(0) += c;
        }
    }
    out
}

/// No shared or owned key is held by two nodes, anywhere in the database. A missing key is no
/// key: a label scan may meet the nodes another test's transaction is deleting, their
/// properties already gone (2 000 keyless `Component`s were seen once, mid-delete).
async fn assert_no_duplicate_keys(sink: &Neo4jSink) {
    for (label, key) in [
        ("Design", "design_id"),
        ("Component", "uid"),
        ("Material", "uid"),
        ("Motor", "uid"),
        ("MotorConfiguration", "uid"),
        ("Simulation", "uid"),
    ] {
        let st = Statement::new(format!(
            "MATCH (n:{label}) WITH n.{key} AS k, count(n) AS c \
             WHERE k IS NOT NULL AND c > 1 RETURN k, c"
        ));
        let dups = rows(sink, st, &["k", "c"]).await;
        assert!(dups.is_empty(), "duplicate {label} keys: {dups:?}");
    }
}

async fn delete_all(sink: &Neo4jSink, ids: &[String]) {
    for id in ids {
        sink.delete_design(id, None).await.expect("delete");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reloading_the_corpus_changes_nothing() {
    let Some(sink) = common::live_graph("reloading_the_corpus_changes_nothing").await else {
        return;
    };
    let bucket = bucket("reload");
    let files = design_files();
    let plans: Vec<_> = files.iter().map(|l| plan_of(l, &bucket, None)).collect();
    let ids: Vec<String> = plans.iter().map(|p| p.design_id.clone()).collect();
    for p in &plans {
        sink.write_design(p).await.expect("write");
    }
    let first = counts(&sink, &ids).await;
    // Owned nodes and relationships are exactly what the plans say.
    let owned: usize = plans.iter().map(|p| p.graph.owned_node_count()).sum();
    let rels: usize = plans.iter().map(|p| p.graph.relationship_count()).sum();
    let sum = |prefix: &str| -> i64 {
        first
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, c)| c)
            .sum()
    };
    let (owned_seen, rels_seen) = (sum("node:"), sum("rel:"));
    assert_eq!(owned_seen as usize, owned, "{first:#?}");
    assert_eq!(rels_seen as usize, rels, "{first:#?}");

    for p in &plans {
        sink.write_design(p).await.expect("rewrite");
    }
    let second = counts(&sink, &ids).await;
    assert_eq!(first, second);
    // The same bytes again are skipped.
    for l in &files {
        let source = graph::SourceObject::from_bytes(&bucket, &key_of(l), &l.bytes);
        let outcome = match &l.design {
            Ok(d) => graph::Outcome::Ok(d),
            Err(e) => graph::Outcome::Invalid(e),
        };
        let input = graph::DesignInput::new(source, outcome);
        let got = graph::load(&sink, &input).await.expect("load");
        assert_eq!(got, graph::LoadOutcome::Unchanged, "{}", l.path.display());
    }
    assert_no_duplicate_keys(&sink).await;
    eprintln!("reload: {} designs, counts {first:?}", plans.len());
    delete_all(&sink, &ids).await;
}

fn parsed(files: &[Loaded]) -> Vec<&Loaded> {
    files.iter().filter(|l| l.design.is_ok()).collect()
}

fn component_uids(sinkrows: &[Vec<Option<serde_json::Value>>]) -> BTreeSet<String> {
    sinkrows.iter().map(|r| s(&r[0])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_version_replaces_the_old_one() {
    let Some(sink) = common::live_graph("a_new_version_replaces_the_old_one").await else {
        return;
    };
    let bucket = bucket("version");
    let files = design_files();
    let ok = parsed(&files);
    let (a, b) = (ok[0], ok[ok.len() - 1]);
    let key = "same/key.ork";
    let plan = |l: &Loaded| {
        let source = graph::SourceObject::from_bytes(&bucket, key, &l.bytes);
        let d = l.design.as_ref().expect("parsed");
        graph::plan(&graph::DesignInput::new(source, graph::Outcome::Ok(d)))
    };
    let (pa, pb) = (plan(a), plan(b));
    assert_eq!(pa.design_id, pb.design_id);
    let id = pa.design_id.clone();
    sink.write_design(&pa).await.expect("write a");
    sink.write_design(&pb).await.expect("write b");
    let st = Statement::new("MATCH (c:Component {design_id: $id}) RETURN c.uid AS uid")
        .param("id", id.as_str());
    let now = component_uids(&rows(&sink, st, &["uid"]).await);
    let want: BTreeSet<String> = pb.graph.components.iter().map(|c| c.uid.clone()).collect();
    assert_eq!(now, want);
    let fp = sink
        .existing_fingerprint(&id)
        .await
        .expect("fp")
        .expect("exists");
    assert_eq!(fp, pb.fingerprint);
    let c = counts(&sink, std::slice::from_ref(&id)).await;
    assert_eq!(c.get("node:Design"), Some(&1));
    assert_eq!(
        c.get("node:Simulation").copied().unwrap_or(0) as usize,
        pb.graph.simulations.len()
    );

    // A transaction that fails half-way leaves the previous version intact.
    let mut broken = pa.clone();
    let at = broken.statements.len() / 2;
    broken.statements.insert(
        at,
        Statement::new("MATCH (n:Nothing) WITH n RETURN 1 / 0 AS boom"),
    );
    broken
        .statements
        .push(Statement::new("UNWIND [1] AS x RETURN x / 0 AS boom"));
    let _ = sink.write_design(&broken).await;
    let st = Statement::new("MATCH (c:Component {design_id: $id}) RETURN c.uid AS uid")
        .param("id", id.as_str());
    assert_eq!(component_uids(&rows(&sink, st, &["uid"]).await), want);
    assert_eq!(
        sink.existing_fingerprint(&id).await.expect("fp"),
        Some(pb.fingerprint.clone())
    );
    // mark_invalid keeps the good design whole and records the rejection on it.
    let before = counts(&sink, std::slice::from_ref(&id)).await;
    let source = graph::SourceObject::from_bytes(&bucket, key, b"garbage");
    sink.mark_invalid(&source, "not an OpenRocket design")
        .await
        .expect("invalid");
    assert_eq!(counts(&sink, std::slice::from_ref(&id)).await, before);
    let stored = sink
        .stored(std::slice::from_ref(&id))
        .await
        .expect("stored");
    assert_eq!(stored[0].status, "ok");
    assert_eq!(stored[0].sha256, pb.fingerprint.sha256);
    assert_eq!(
        stored[0].rejected_sha256.as_deref(),
        Some(&*graph::sha256_hex(b"garbage"))
    );
    // Once the design is gone, an invalid upload is a bare invalid node.
    delete_all(&sink, std::slice::from_ref(&id)).await;
    sink.mark_invalid(&source, "not an OpenRocket design")
        .await
        .expect("invalid");
    let c = counts(&sink, std::slice::from_ref(&id)).await;
    assert_eq!(c.len(), 1, "{c:?}");
    let stored = sink
        .stored(std::slice::from_ref(&id))
        .await
        .expect("stored");
    assert_eq!(stored[0].status, "invalid");
    delete_all(&sink, &[id]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dropped_connection_keeps_the_old_version() {
    let Some(sink) = common::live_graph("a_dropped_connection_keeps_the_old_version").await else {
        return;
    };
    let bucket = bucket("drop");
    let files = design_files();
    let ok = parsed(&files);
    let big = ok
        .iter()
        .max_by_key(|l| l.design.as_ref().map(|d| d.components.len()).unwrap_or(0))
        .expect("a design");
    let key = "dropped.ork";
    let small = ok[0];
    let mk = |l: &Loaded| {
        let source = graph::SourceObject::from_bytes(&bucket, key, &l.bytes);
        let d = l.design.as_ref().expect("parsed");
        graph::plan(&graph::DesignInput::new(source, graph::Outcome::Ok(d)))
    };
    let (old, new) = (mk(small), mk(big));
    sink.write_design(&old).await.expect("write old");
    let before = counts(&sink, std::slice::from_ref(&old.design_id)).await;

    // Through a proxy that cuts the connection after 6 kB: the handshake and the first
    // statements pass, the rest of the transaction never arrives.
    let mut config = GraphConfig::from_env().expect("env").expect("set");
    let proxy = Proxy::for_uri(&config.uri).await.expect("proxy");
    proxy.cut_after(6000);
    config.uri = proxy.uri("bolt");
    config.max_attempts = 2;
    let cut = Neo4jSink::connect(config)
        .await
        .expect("connect through proxy");
    let err = cut.write_design(&new).await.expect_err("the proxy cuts it");
    eprintln!("dropped connection: {err}");
    // Give the server a moment to notice the closed connection and roll back.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let after = counts(&sink, std::slice::from_ref(&old.design_id)).await;
    assert_eq!(before, after);
    assert_eq!(
        sink.existing_fingerprint(&old.design_id).await.expect("fp"),
        Some(old.fingerprint.clone())
    );
    delete_all(&sink, std::slice::from_ref(&old.design_id)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_leave_one_consistent_design() {
    let Some(sink) = common::live_graph("concurrent_writers_leave_one_consistent_design").await
    else {
        return;
    };
    // Two sinks (two "processes"), two writers each.
    let sink = Arc::new(sink);
    let other = Arc::new(
        Neo4jSink::connect(GraphConfig::from_env().expect("env").expect("set"))
            .await
            .expect("second connection"),
    );
    let bucket = bucket("concurrent");
    let files = design_files();
    let ok = parsed(&files);
    let key = "racy.ork";
    let mk = |l: &Loaded| {
        let source = graph::SourceObject::from_bytes(&bucket, key, &l.bytes);
        let d = l.design.as_ref().expect("parsed");
        graph::plan(&graph::DesignInput::new(source, graph::Outcome::Ok(d)))
    };
    // Two different versions of one object, each delivered twice, all at once.
    let versions = [Arc::new(mk(ok[1])), Arc::new(mk(ok[ok.len() / 2]))];
    let id = versions[0].design_id.clone();
    for round in 0..3 {
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let sink = Arc::clone(if i < 2 { &sink } else { &other });
                let plan = Arc::clone(&versions[i % 2]);
                tokio::spawn(async move { sink.write_design(&plan).await })
            })
            .collect();
        let mut attempts = Vec::new();
        for t in tasks {
            let stats = t.await.expect("join").expect("write");
            attempts.push(stats.attempts);
        }
        let fp = sink
            .existing_fingerprint(&id)
            .await
            .expect("fp")
            .expect("exists");
        let winner = versions
            .iter()
            .find(|v| v.fingerprint == fp)
            .expect("the stored version is one of the two");
        let st = Statement::new("MATCH (c:Component {design_id: $id}) RETURN c.uid AS uid")
            .param("id", id.as_str());
        let uids = component_uids(&rows(&sink, st, &["uid"]).await);
        let want: BTreeSet<String> = winner
            .graph
            .components
            .iter()
            .map(|c| c.uid.clone())
            .collect();
        assert_eq!(uids, want, "round {round}");
        let c = counts(&sink, std::slice::from_ref(&id)).await;
        assert_eq!(c.get("node:Design"), Some(&1));
        let total: usize = c
            .iter()
            .filter(|(k, _)| k.starts_with("node:") && k.split(':').any(|l| l == "Component"))
            .map(|(_, n)| *n as usize)
            .sum();
        assert_eq!(total, winner.graph.components.len(), "{c:?}");
        assert_eq!(
            c.get("rel:CONTAINS").copied().unwrap_or(0) as usize,
            winner.graph.contains.len()
        );
        eprintln!("concurrent round {round}: attempts per writer {attempts:?}");
    }
    assert_no_duplicate_keys(&sink).await;
    delete_all(&sink, &[id]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_removes_everything_the_design_owns() {
    let Some(sink) = common::live_graph("delete_removes_everything_the_design_owns").await else {
        return;
    };
    let bucket = bucket("delete");
    let files = design_files();
    // A design with materials, motors and a flight of several branches.
    let with_motors = parsed(&files)
        .into_iter()
        .map(|l| plan_of(l, &bucket, Some(1.0)))
        .find(|p| {
            !p.graph.materials.is_empty()
                && !p.graph.uses.is_empty()
                && !p.graph.branches.is_empty()
        })
        .expect("a design with materials, motors and other flight branches");
    let id = with_motors.design_id.clone();
    sink.write_design(&with_motors).await.expect("write");
    assert!(sink.delete_design(&id, None).await.expect("delete"));
    let c = counts(&sink, std::slice::from_ref(&id)).await;
    assert!(c.is_empty(), "left behind: {c:?}");
    for label in [
        "Design",
        "Component",
        "MotorConfiguration",
        "Simulation",
        "Branch",
    ] {
        let st = Statement::new(format!(
            "MATCH (n:{label}) WHERE n.design_id = $id OR n.uid STARTS WITH $prefix \
             RETURN count(n) AS c"
        ))
        .param("id", id.as_str())
        .param("prefix", format!("{id}/"));
        let r = rows(&sink, st, &["c"]).await;
        assert_eq!(
            r[0][0].as_ref().and_then(|v| v.as_i64()),
            Some(0),
            "{label}"
        );
    }
    let uids: Vec<Value> = with_motors
        .graph
        .materials
        .iter()
        .map(|m| Value::from(m.uid.as_str()))
        .collect();
    let n = uids.len();
    let st = Statement::new("MATCH (m:Material) WHERE m.uid IN $uids RETURN count(m) AS c")
        .param("uids", Value::List(uids));
    let r = rows(&sink, st, &["c"]).await;
    assert_eq!(r[0][0].as_ref().and_then(|v| v.as_i64()), Some(n as i64));
    assert!(!sink.delete_design(&id, None).await.expect("second delete"));
}

/// A guarded write or delete happens only while the stored design is the version its
/// worker read; otherwise it fails as a conflict and changes nothing (checked on the server,
/// whose error for the guard is what the sink turns into the conflict).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guarded_writes_and_deletes_refuse_a_version_they_did_not_read() {
    let Some(sink) =
        common::live_graph("guarded_writes_and_deletes_refuse_a_version_they_did_not_read").await
    else {
        return;
    };
    let bucket = bucket("guard");
    let files = design_files();
    let good = parsed(&files);
    let first = plan_of(good[0], &bucket, Some(1.0));
    // The second file as a new upload under the first's key.
    let second = {
        let l = good[1];
        let source = graph::SourceObject::from_bytes(&bucket, &key_of(good[0]), &l.bytes);
        let design = l.design.as_ref().expect("parsed");
        graph::plan(&graph::DesignInput::new(source, graph::Outcome::Ok(design)))
    };
    let id = first.design_id.clone();
    assert_eq!(second.design_id, id);
    delete_all(&sink, std::slice::from_ref(&id)).await;
    let sha = |p: &graph::GraphPlan| p.fingerprint.sha256.clone();
    async fn stored(sink: &Neo4jSink, id: &str) -> Option<String> {
        let s = sink.stored(&[id.to_owned()]).await.expect("read");
        s.first().map(|d| d.sha256.clone())
    }
    fn conflict<T: std::fmt::Debug>(r: Result<T, graph::GraphError>, what: &str) {
        match r {
            Err(graph::GraphError::Conflict { .. }) => {}
            other => panic!("{what}: expected a conflict, got {other:?}"),
        }
    }

    // Expecting a version when there is none; then none, which holds.
    conflict(
        sink.write_design(&first.clone().guarded(&sha(&second)))
            .await,
        "write over nothing, guarded by a version",
    );
    assert_eq!(stored(&sink, &id).await, None);
    sink.write_design(&first.clone().guarded(""))
        .await
        .expect("write over nothing");
    assert_eq!(stored(&sink, &id).await, Some(sha(&first)));
    // Expecting nothing, or a version other than the stored one: refused, the first stays
    // whole.
    let before = counts(&sink, std::slice::from_ref(&id)).await;
    for guard in ["", sha(&second).as_str()] {
        conflict(
            sink.write_design(&second.clone().guarded(guard)).await,
            &format!("write guarded by {guard:?}"),
        );
        conflict(
            sink.delete_design(&id, Some(guard)).await,
            &format!("delete guarded by {guard:?}"),
        );
        assert_eq!(stored(&sink, &id).await, Some(sha(&first)));
        assert_eq!(counts(&sink, std::slice::from_ref(&id)).await, before);
    }
    // Expecting the stored version: the write replaces it, and the delete removes it.
    sink.write_design(&second.clone().guarded(&sha(&first)))
        .await
        .expect("guarded write");
    assert_eq!(stored(&sink, &id).await, Some(sha(&second)));
    assert!(sink
        .delete_design(&id, Some(&sha(&second)))
        .await
        .expect("guarded delete"));
    assert_eq!(stored(&sink, &id).await, None);

    // Writes with revisions (one per attempt): sent again after it went through (its answer
    // lost), a write finds its own revision and runs again; another attempt's write with the
    // same guard is refused; the next write expects the stored revision, not the bytes.
    let attempt = |revision: &str| {
        let l = good[1];
        let source = graph::SourceObject::from_bytes(&bucket, &key_of(good[0]), &l.bytes);
        let design = l.design.as_ref().expect("parsed");
        graph::plan(
            &graph::DesignInput::new(source, graph::Outcome::Ok(design))
                .with_revision(Some(revision.to_owned())),
        )
    };
    let (a, b) = (attempt("rev-a"), attempt("rev-b"));
    sink.write_design(&a.clone().guarded(""))
        .await
        .expect("attempt a");
    sink.write_design(&a.clone().guarded(""))
        .await
        .expect("attempt a again: its own revision is stored");
    conflict(
        sink.write_design(&b.clone().guarded("")).await,
        "attempt b, guarded by what a read",
    );
    conflict(
        sink.write_design(&b.clone().guarded(&sha(&second))).await,
        "attempt b, guarded by the bytes rather than the revision",
    );
    let read = sink.stored(std::slice::from_ref(&id)).await.expect("read");
    assert_eq!(read[0].revision(), "rev-a");
    sink.write_design(&b.clone().guarded("rev-a"))
        .await
        .expect("attempt b, guarded by the stored revision");
    assert!(sink
        .delete_design(&id, Some("rev-b"))
        .await
        .expect("guarded delete by revision"));
}

/// The columns of [`queries::flight_series`] this test reads.
const SERIES_COLUMNS: [&str; 8] = [
    "index",
    "time_s",
    "altitude_m",
    "vertical_velocity_m_s",
    "stability_cal",
    "event_types",
    "event_times_s",
    "source_rows",
];

fn floats(v: &Option<serde_json::Value>) -> Option<Vec<Option<f64>>> {
    v.as_ref()?
        .as_array()
        .map(|a| a.iter().map(serde_json::Value::as_f64).collect())
}

/// One `flight_series` answer against the parsed simulation.
fn check_series(
    got: &[Vec<Option<serde_json::Value>>],
    sim: &ork_processor::model::Simulation,
    points: usize,
    at: &str,
) {
    assert_eq!(got.len(), 1, "{at}: one row");
    let r = &got[0];
    let Some(series) = &sim.series else {
        assert!(r[1].is_none(), "{at}: a series without data");
        return;
    };
    let want = ork_processor::series::reduce(&series.main, points);
    let time: Option<Vec<Option<f64>>> = Some(want.time_s.iter().map(|&t| Some(t)).collect());
    assert_eq!(floats(&r[1]), time, "{at}: time");
    assert_eq!(floats(&r[2]), want.altitude_m, "{at}: altitude");
    assert_eq!(
        floats(&r[3]),
        want.vertical_velocity_m_s,
        "{at}: vertical velocity"
    );
    assert_eq!(
        floats(&r[4]),
        want.stability_cal,
        "{at}: stability (NaN gaps read as null)"
    );
    let events = &sim.branches[0].events;
    let types: Vec<String> = r[5]
        .as_ref()
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        types,
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        "{at}"
    );
    let times: Vec<f64> = floats(&r[6])
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        times,
        events.iter().map(|e| e.time_s).collect::<Vec<_>>(),
        "{at}"
    );
    assert_eq!(
        r[7].as_ref().and_then(|v| v.as_u64()),
        Some(want.source_rows),
        "{at}"
    );
}

/// Motor designations a design's mounts name, read from the model directly.
fn motors_named(d: &Design) -> BTreeSet<String> {
    d.components
        .iter()
        .filter_map(|c| c.motor_mount.as_ref())
        .flat_map(|m| &m.motors)
        .filter_map(|m| m.designation.as_deref())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn example_queries_give_real_answers() {
    let Some(sink) = common::live_graph("example_queries_give_real_answers").await else {
        return;
    };
    let bucket = bucket("queries");
    let files = design_files();
    let ok = parsed(&files);
    // Synthetic stability figures: 0.5, 1.0, 1.5, … by file order.
    let plans: Vec<_> = ok
        .iter()
        .enumerate()
        .map(|(i, l)| plan_of(l, &bucket, Some(0.5 * (i + 1) as f64)))
        .collect();
    let ids: BTreeSet<String> = plans.iter().map(|p| p.design_id.clone()).collect();
    for p in &plans {
        sink.write_design(p).await.expect("write");
    }

    // List designs.
    let all = rows(
        &sink,
        queries::list_designs(0, 100_000),
        &["design_id", "name", "status"],
    )
    .await;
    let listed: BTreeMap<String, String> = all
        .iter()
        .filter(|r| ids.contains(&s(&r[0])))
        .map(|r| (s(&r[0]), s(&r[1])))
        .collect();
    assert_eq!(listed.len(), plans.len());
    for p in &plans {
        assert_eq!(
            Some(&listed[&p.design_id]),
            p.graph
                .design
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .as_ref()
        );
    }

    let mut series_checked = 0;
    let mut branches_checked = 0;
    for (l, p) in ok.iter().zip(&plans) {
        let d = l.design.as_ref().expect("parsed");
        let at = l.path.display();
        // Component tree: same parents and sibling order as the model.
        let tree = rows(
            &sink,
            queries::component_tree(&p.design_id),
            &["id", "type", "parent_id", "order", "index"],
        )
        .await;
        assert_eq!(tree.len(), d.components.len(), "{at}");
        for (r, c) in tree.iter().zip(&d.components) {
            assert_eq!(s(&r[0]), c.id, "{at}");
            assert_eq!(s(&r[1]), c.kind().tag(), "{at}");
            let parent = c
                .parent
                .map(|i| d.components[i].id.clone())
                .unwrap_or_default();
            assert_eq!(s(&r[2]), parent, "{at}");
        }
        // Materials: the names and types the components use.
        let mats = rows(
            &sink,
            queries::design_materials(&p.design_id),
            &["name", "type", "role", "components"],
        )
        .await;
        let got: BTreeSet<String> = mats.iter().map(|r| s(&r[0])).collect();
        let want: BTreeSet<String> = d
            .components
            .iter()
            .filter_map(|c| c.material.as_ref())
            .map(|m| m.name.clone())
            .collect();
        assert!(want.is_subset(&got), "{at}: {want:?} ⊄ {got:?}");
        // Motors: the designations the mounts name.
        let motors = rows(
            &sink,
            queries::design_motors(&p.design_id),
            &["designation"],
        )
        .await;
        let got: BTreeSet<String> = motors.iter().map(|r| s(&r[0])).collect();
        assert_eq!(got, motors_named(d), "{at}");
        // Flight summaries: apogees as the files store them.
        let flights = rows(
            &sink,
            queries::flight_summaries(&p.design_id),
            &["name", "max_altitude_m", "config_id"],
        )
        .await;
        assert_eq!(flights.len(), d.simulations.len(), "{at}");
        for (r, sim) in flights.iter().zip(&d.simulations) {
            assert_eq!(s(&r[0]), sim.name.clone().unwrap_or_default(), "{at}");
            let apogee = r[1].as_ref().and_then(|v| v.as_f64());
            let want = sim.summary.as_ref().and_then(|s| s.max_altitude_m);
            assert_eq!(apogee, want, "{at}");
        }
        // Flight series: each simulation's, and the primary one's, as the parsed file has them
        // (reduced to the design's point budget); the other branches' too.
        let points = graph::series_points(d);
        for (i, sim) in d.simulations.iter().enumerate() {
            let got = rows(
                &sink,
                queries::flight_series(&p.design_id, Some(i as u64)),
                &SERIES_COLUMNS,
            )
            .await;
            check_series(&got, sim, points, &format!("{at} sim {i}"));
            // The other branches: a row each, as the parsed file has them.
            let branches = rows(
                &sink,
                queries::flight_branches(&p.design_id, i as u64),
                &["index", "name", "time_s", "altitude_m"],
            )
            .await;
            let extra = sim
                .series
                .as_ref()
                .map(|f| f.extra_branches.as_slice())
                .unwrap_or_default();
            assert_eq!(branches.len(), extra.len(), "{at} sim {i}: branches");
            for (k, (r, want)) in branches.iter().zip(extra).enumerate() {
                let want = ork_processor::series::reduce(want, points);
                let at = format!("{at} sim {i} branch {}", k + 1);
                assert_eq!(
                    r[0].as_ref().and_then(|v| v.as_u64()),
                    Some(k as u64 + 1),
                    "{at}"
                );
                assert_eq!(
                    r[1].as_ref().and_then(|v| v.as_str()),
                    want.branch.as_deref(),
                    "{at}"
                );
                let time: Vec<Option<f64>> = want.time_s.iter().map(|&t| Some(t)).collect();
                assert_eq!(floats(&r[2]), Some(time), "{at}: time");
                assert_eq!(floats(&r[3]), want.altitude_m, "{at}: altitude");
                branches_checked += 1;
            }
        }
        let primary = rows(
            &sink,
            queries::flight_series(&p.design_id, None),
            &SERIES_COLUMNS,
        )
        .await;
        match d.primary_simulation() {
            Some(i) => {
                assert_eq!(primary.len(), 1, "{at}");
                assert_eq!(
                    primary[0][0].as_ref().and_then(|v| v.as_u64()),
                    Some(i as u64)
                );
                check_series(
                    &primary,
                    &d.simulations[i],
                    points,
                    &format!("{at} primary"),
                );
                series_checked += 1;
            }
            None => assert!(
                primary.is_empty(),
                "{at}: a primary simulation without data"
            ),
        }
    }

    if common::corpus_dir().is_some() {
        assert!(
            series_checked >= 20,
            "only {series_checked} designs with flight series"
        );
        // Boosters and separated stages of the two- and three-stage and booster designs.
        assert!(
            branches_checked >= 10,
            "only {branches_checked} other branches"
        );
    }

    // Designs by motor: exactly the files whose mounts name it.
    let mut by_motor: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (l, p) in ok.iter().zip(&plans) {
        for m in motors_named(l.design.as_ref().expect("parsed")) {
            by_motor.entry(m).or_default().insert(p.design_id.clone());
        }
    }
    assert!(!by_motor.is_empty(), "no motors in the test designs");
    for (designation, want) in &by_motor {
        let got: BTreeSet<String> = rows(
            &sink,
            queries::designs_by_motor(designation),
            &["design_id"],
        )
        .await
        .iter()
        .map(|r| s(&r[0]))
        .filter(|i| ids.contains(i))
        .collect();
        assert_eq!(&got, want, "motor {designation}");
    }

    // Designs by stability range.
    for (min, max) in [(1.0, 3.0), (0.0, 0.4), (2.25, 2.75)] {
        let got: BTreeSet<String> = rows(
            &sink,
            queries::designs_by_stability(min, max),
            &["design_id"],
        )
        .await
        .iter()
        .map(|r| s(&r[0]))
        .filter(|i| ids.contains(i))
        .collect();
        let want: BTreeSet<String> = plans
            .iter()
            .filter(|p| {
                let v = p
                    .graph
                    .design
                    .get("stability_cal")
                    .and_then(Value::as_f64)
                    .unwrap_or(-1.0);
                v >= min && v <= max
            })
            .map(|p| p.design_id.clone())
            .collect();
        assert_eq!(got, want, "stability {min}..{max}");
    }
    delete_all(&sink, &ids.into_iter().collect::<Vec<_>>()).await;
}

/// Every property of the design's own nodes, as the server holds them.
async fn stored_nodes(sink: &Neo4jSink, id: &str) -> BTreeMap<String, serde_json::Value> {
    let st = Statement::new(
        "MATCH (n) WHERE n.design_id = $id RETURN coalesce(n.uid, n.design_id) AS k, \
         properties(n) AS p",
    )
    .param("id", id);
    rows(sink, st, &["k", "p"])
        .await
        .into_iter()
        .map(|r| (s(&r[0]), r[1].clone().unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cypher_script_builds_the_same_graph() {
    let Some(sink) = common::live_graph("the_cypher_script_builds_the_same_graph").await else {
        return;
    };
    let bucket = bucket("script");
    let files = design_files();
    let l = parsed(&files)
        .into_iter()
        .max_by_key(|l| l.design.as_ref().map(|d| d.components.len()).unwrap_or(0))
        .expect("a design");
    // Awkward strings: quotes, backslashes, line breaks, control characters, Unicode.
    let mut d = l.design.clone().expect("parsed");
    let nasty = "O'Brien \"Mk II\" C:\\rockets\\ line\nbreak\ttab \u{1} ∅ Åland 🚀 $design_id //";
    d.rocket.name = Some(nasty.to_owned());
    d.rocket.designer = Some("'; MATCH (n) DETACH DELETE n; //".to_owned());
    if let Some(c) = d.components.get_mut(1) {
        c.name = Some(nasty.chars().rev().collect());
    }
    let source = graph::SourceObject::from_bytes(&bucket, "nasty.ork", &l.bytes);
    let plan = graph::plan(&graph::DesignInput::new(source, graph::Outcome::Ok(&d)));

    // Through the sink.
    sink.write_design(&plan).await.expect("write");
    let via_sink = stored_nodes(&sink, &plan.design_id).await;
    let counts_sink = counts(&sink, std::slice::from_ref(&plan.design_id)).await;
    sink.delete_design(&plan.design_id, None)
        .await
        .expect("delete");
    assert!(stored_nodes(&sink, &plan.design_id).await.is_empty());

    // Through the script, statement by statement as a shell would.
    let script = graph::to_cypher_script(&plan);
    let statements: Vec<Statement> = graph::script_statements(&script)
        .map(Statement::new)
        .collect();
    for st in &statements {
        sink.run_in_transaction(std::slice::from_ref(st))
            .await
            .expect("script statement");
    }
    let via_script = stored_nodes(&sink, &plan.design_id).await;
    let counts_script = counts(&sink, std::slice::from_ref(&plan.design_id)).await;
    assert_eq!(via_sink, via_script);
    assert_eq!(counts_sink, counts_script);
    let design = &via_script[&plan.design_id];
    assert_eq!(design["name"], serde_json::json!(nasty));

    // And the JSON rendering lists the same nodes with the same properties.
    let json = graph::to_json(&plan);
    let mut from_json = BTreeMap::new();
    for n in json["nodes"].as_array().expect("nodes") {
        if n.get("shared").is_none() {
            let p = &n["properties"];
            let k = p
                .get("uid")
                .or_else(|| p.get("design_id"))
                .cloned()
                .unwrap_or_default();
            from_json.insert(s(&Some(k)), p.clone());
        }
    }
    assert_eq!(from_json, via_script);
    sink.delete_design(&plan.design_id, None)
        .await
        .expect("delete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_not_echoed() {
    let Some(_sink) = common::live_graph("a_wrong_password_is_not_echoed").await else {
        return;
    };
    let mut config = GraphConfig::from_env().expect("env").expect("set");
    config.password = "Wrong-Pa55word-xyz".into();
    let err = Neo4jSink::connect(config.clone())
        .await
        .expect_err("refused");
    let text = format!("{err} {err:?} {config:?}");
    assert!(!text.contains("Wrong-Pa55word-xyz"), "{text}");
    eprintln!("wrong password: {err}");
}

/// The encrypted path Aura needs (`bolt+s`, `neo4j+s`), through the sink's own connection code:
/// with the test CA trusted (`NEO4J_CA_CERT`) a design is written and read back; without it
/// (the platform's roots only) the self-signed server is refused, as it must be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_connections_verify_the_server_and_write() {
    let test = "tls_connections_verify_the_server_and_write";
    let Some(_sink) = common::live_graph(test).await else {
        return;
    };
    let (Ok(tls_uri), Ok(ca)) = (
        std::env::var("NEO4J_TLS_URI"),
        std::env::var("NEO4J_CA_CERT"),
    ) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{test}: CI must exercise TLS (NEO4J_TLS_URI, NEO4J_CA_CERT from neo4j.sh env)"
        );
        eprintln!("SKIPPED {test}: NEO4J_TLS_URI or NEO4J_CA_CERT is not set");
        return;
    };
    // As the binaries do at start: rustls's process-wide crypto provider (ring).
    ork_processor::lambda::install_crypto_provider();
    let plain = GraphConfig::from_env().expect("env").expect("set");
    let bucket = bucket("tls");
    let bytes = std::fs::read(common::testdata("minimal.ork")).expect("testdata");
    let parsed = ork_processor::ork::parse(&bytes, &Default::default()).expect("parses");
    let routed = tls_uri.replacen("bolt+s://", "neo4j+s://", 1);
    for uri in [tls_uri.as_str(), routed.as_str()] {
        let mut config = plain.clone();
        config.uri = uri.to_owned();
        config.ca_certificate = Some(ca.clone().into());
        let sink = Neo4jSink::connect(config.clone())
            .await
            .unwrap_or_else(|e| panic!("{test}: {uri} with the test CA: {e}"));
        let key = format!("tls-{}.ork", uri.split(':').next().unwrap_or("x"));
        let source = graph::SourceObject::from_bytes(&bucket, &key, &bytes);
        let plan = graph::plan(&graph::DesignInput::new(
            source,
            graph::Outcome::Ok(&parsed.design),
        ));
        sink.write_design(&plan).await.expect("write over TLS");
        let stored = sink
            .stored(std::slice::from_ref(&plan.design_id))
            .await
            .expect("read over TLS");
        assert_eq!(stored.len(), 1, "{uri}");
        assert!(sink
            .delete_design(&plan.design_id, None)
            .await
            .expect("delete"));

        // The platform's roots do not know the test CA: the handshake must fail.
        config.ca_certificate = None;
        let err = Neo4jSink::connect(config)
            .await
            .expect_err("a self-signed server is not trusted by default");
        eprintln!("{uri} without the test CA: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_rejects_duplicate_keys() {
    let Some(sink) = common::live_graph("the_schema_rejects_duplicate_keys").await else {
        return;
    };
    let uid = format!("{}/dup", bucket("dup"));
    let create = |label: &str| {
        Statement::new(format!(
            "CREATE (c:Component:{label}) SET c.uid = $uid, c.design_id = $uid"
        ))
        .param("uid", uid.as_str())
    };
    sink.run_in_transaction(&[create("BodyTube")])
        .await
        .expect("first");
    // Same key under another type label: the constraint on Component.uid still applies.
    let second = sink.run_in_transaction(&[create("NoseCone")]).await;
    assert!(second.is_err(), "duplicate Component.uid accepted");
    let st = Statement::new("MATCH (c:Component {uid: $uid}) DETACH DELETE c")
        .param("uid", uid.as_str());
    sink.run_in_transaction(&[st]).await.expect("cleanup");
}

/// A design of `n` components (a nose cone, then body tubes with fins, rings and a mass
/// component each), written as OpenRocket would; `n` ≥ 2.
fn synthetic_design(n: usize) -> String {
    let mut parts = String::from(
        "<nosecone><name>Nose</name><length>0.1</length><thickness>0.002</thickness>\
         <shape>ogive</shape><aftradius>0.02</aftradius></nosecone>",
    );
    let mut left = n - 2; // the stage and the nose cone
    let mut i = 0;
    while left > 0 {
        i += 1;
        let inner = (left - 1).min(3);
        let mut sub = String::new();
        for (j, tag) in ["trapezoidfinset", "centeringring", "masscomponent"]
            .iter()
            .take(inner)
            .enumerate()
        {
            sub.push_str(&match *tag {
                "trapezoidfinset" => format!(
                    "<trapezoidfinset><name>Fins {i}</name><fincount>3</fincount>\
                     <rootchord>0.05</rootchord><tipchord>0.02</tipchord>\
                     <sweeplength>0.02</sweeplength><height>0.03</height>\
                     <thickness>0.002</thickness></trapezoidfinset>"
                ),
                "centeringring" => format!(
                    "<centeringring><name>Ring {i}.{j}</name><length>0.005</length>\
                     <outerradius>auto</outerradius><innerradius>0.01</innerradius>\
                     </centeringring>"
                ),
                _ => format!(
                    "<masscomponent><name>Mass {i}</name><length>0.01</length>\
                     <radius>0.005</radius><mass>0.01</mass></masscomponent>"
                ),
            });
        }
        parts.push_str(&format!(
            "<bodytube><name>Tube {i}</name><length>0.05</length><thickness>0.001</thickness>\
             <radius>0.02</radius><subcomponents>{sub}</subcomponents></bodytube>"
        ));
        left -= 1 + inner;
    }
    format!(
        "<?xml version='1.0' encoding='utf-8'?>\n<openrocket version=\"1.9\" \
         creator=\"ork-processor tests\"><rocket><name>Synthetic {n}</name><subcomponents>\
         <stage><name>Sustainer</name><subcomponents>{parts}</subcomponents></stage>\
         </subcomponents></rocket></openrocket>"
    )
}

/// A design's write is one statement run as an auto-commit transaction: RUN and PULL sent
/// together, one round trip whatever the design's size. neo4rs adds one when it hands out a
/// pooled connection: its health check sends RESET and waits. So the wire shows two, for a
/// one-component design as for one of 2 000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_takes_one_round_trip_whatever_its_size() {
    let test = "a_write_takes_one_round_trip_whatever_its_size";
    let Some(sink) = common::live_graph(test).await else {
        return;
    };
    // Counted on the wire, by a proxy: each time the client sends after it has received.
    let mut config = GraphConfig::from_env().expect("env").expect("set");
    let proxy = Proxy::for_uri(&config.uri).await.expect("proxy");
    config.uri = proxy.uri("bolt");
    let counted = Neo4jSink::connect(config)
        .await
        .expect("connect through proxy");
    let bucket = bucket("round-trips");
    let mut designs: Vec<(String, Vec<u8>)> = Vec::new();
    for n in [2, 2000] {
        let synthetic = synthetic_design(n);
        designs.push((format!("synthetic {n} components"), synthetic.into_bytes()));
    }
    // The largest design (by components) of the corpus, when it is there, and testdata.
    let files = design_files();
    if let Some(largest) = parsed(&files).into_iter().max_by_key(|l| {
        l.design
            .as_ref()
            .map(|d| d.components.len())
            .unwrap_or_default()
    }) {
        designs.push((largest.path.display().to_string(), largest.bytes.clone()));
    }
    for (what, bytes) in &designs {
        let parsed = ork_processor::ork::parse(bytes, &Default::default()).expect("parses");
        let components = parsed.design.components.len();
        let source = graph::SourceObject::from_bytes(&bucket, "trips.ork", bytes);
        let plan = graph::plan(&graph::DesignInput::new(
            source,
            graph::Outcome::Ok(&parsed.design),
        ));
        // Other tests write to the same server meanwhile, and a deadlock between writers is
        // retried: count a write that went through at its first attempt.
        let (stats, trips) = {
            let mut tries = 0;
            loop {
                tries += 1;
                let before = proxy.round_trips();
                let stats = counted.write_design(&plan).await.expect("write");
                let trips = proxy.round_trips() - before;
                if stats.attempts == 1 || tries == 10 {
                    break (stats, trips);
                }
            }
        };
        eprintln!(
            "{what}: {components} components, {} statements planned, {trips} round trips",
            plan.statements.len()
        );
        assert_eq!(stats.attempts, 1, "{what}: retried");
        assert_eq!(stats.round_trips, 1, "{what}: one auto-commit statement");
        assert_eq!(trips, 2, "{what}: the pool's RESET and the write");
        let c = counts(&sink, std::slice::from_ref(&plan.design_id)).await;
        let nodes: i64 = c
            .iter()
            .filter(|(k, _)| k.starts_with("node:") && k.split(':').any(|l| l == "Component"))
            .map(|(_, v)| *v)
            .sum();
        assert_eq!(nodes, components as i64, "{what}: {c:?}");
    }
    assert_eq!(designs.len(), 3);
    delete_all(&sink, &[graph::design_id(&bucket, "trips.ork")]).await;
}

/// Workers that start together after a deploy that changed the schema all apply it at once:
/// the ones that lose the race to create an index are told an equivalent one exists, and still
/// start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_starting_together_after_a_schema_change_all_start() {
    let Some(sink) =
        common::live_graph("workers_starting_together_after_a_schema_change_all_start").await
    else {
        return;
    };
    // As after such a deploy: no marker for this schema, one of its indexes not there yet.
    for cypher in [
        "DROP INDEX branch_design IF EXISTS",
        "MATCH (m:OrkSchema) DELETE m",
    ] {
        sink.query_rows(&Statement::new(cypher), &[])
            .await
            .expect(cypher);
    }
    let mut workers = Vec::new();
    for _ in 0..6 {
        let config = sink.config().clone();
        workers.push(tokio::spawn(async move {
            let worker = Neo4jSink::connect(config).await.expect("connect");
            worker.ensure_schema().await
        }));
    }
    for w in workers {
        w.await.expect("join").expect("every worker starts");
    }
    let index = sink
        .query_rows(
            &Statement::new("SHOW INDEXES YIELD name WHERE name = $name RETURN name")
                .param("name", "branch_design"),
            &["name"],
        )
        .await
        .expect("show indexes");
    assert_eq!(index.len(), 1, "the index is back");
}
