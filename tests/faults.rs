//! Fault tolerance of the Lambda handler, on the real local servers as in `lambda_e2e.rs`: S3
//! (moto, `infra/local/s3.sh`), the graph (Neo4j 5 over Bolt, `infra/local/neo4j.sh`) and
//! the Cloudinary contract stub. One test per fault; each skips with a message when the S3 or
//! graph server is not configured.
//!
//! Faults covered elsewhere, not repeated here:
//! * Cloudinary answering 500 forever: `lambda_e2e.rs` (`s3_events_end_to_end`, "Cloudinary
//!   failing for good", request `req-6`): the invocation fails (Lambda retries it) and no
//!   `Design` is written; `publish.rs` (`server_errors_forever_give_a_transient_error`) checks
//!   the store's own retries and the transient class.
//! * The object deleted between the event and the GET: `lambda_e2e.rs` (request `req-5`, the
//!   record's outcome is `gone` and the invocation succeeds); `secrets.rs` checks that it is
//!   logged as skipped (`outcome: gone`).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use common::proxy::Proxy;
use common::stub::Stub;
use ork_processor::graph::{self, GraphConfig, GraphSink, Neo4jSink, Statement};
use ork_processor::lambda::handler::{Handler, InvocationError, Summary};
use ork_processor::lambda::logs::MemoryLog;
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{self, PipelineConfig};
use ork_processor::publish::ImageStore;
use ork_processor::render::RenderConfig;
use serde_json::{json, Value};

/// Everything this test binary logs (all threads), in the Lambda's JSON format.
fn log() -> &'static MemoryLog {
    common::global_log("info")
}

/// Logged events of one invocation with the given message.
fn events(request_id: &str, message: &str) -> Vec<Value> {
    log()
        .events()
        .into_iter()
        .filter(|e| e["fields"]["request_id"] == request_id && e["fields"]["message"] == message)
        .collect()
}

/// The local servers, a bucket of the test's own and a direct graph connection.
struct Env {
    bucket: String,
    s3: aws_sdk_s3::Client,
    source: S3Source,
    graph_config: GraphConfig,
    /// Straight to the server, never through a proxy: the test's view of the graph.
    direct: Neo4jSink,
    stub: Stub,
}

async fn env(test: &str) -> Option<Env> {
    if std::env::var("AWS_ENDPOINT_URL_S3").is_err() {
        eprintln!(
            "SKIPPED {test}: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)"
        );
        return None;
    }
    let Some(graph_config) = GraphConfig::from_env().expect("graph settings") else {
        eprintln!("SKIPPED {test}: NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)");
        return None;
    };
    let stub = Stub::start()?;
    ork_processor::lambda::install_crypto_provider();
    log();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let bucket = format!(
        "ork-faults-{}-{}-{nanos}",
        test.replace('_', "-").chars().take(20).collect::<String>(),
        std::process::id()
    );
    let (source, s3) = common::local_bucket(&bucket).await;
    let direct = Neo4jSink::connect(graph_config.clone())
        .await
        .expect("graph");
    direct.ensure_schema().await.expect("schema");
    Some(Env {
        bucket,
        s3,
        source,
        graph_config,
        direct,
        stub,
    })
}

impl Env {
    async fn put(&self, key: &str, bytes: &[u8]) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(bytes.to_vec().into())
            .send()
            .await
            .expect("put object");
    }

    /// A handler as the Lambda builds it, on the given graph sink, with its own image store.
    fn handler(&self, graph: Neo4jSink) -> Handler<S3Source, Neo4jSink, impl ImageStore> {
        Handler {
            source: self.source.clone(),
            graph,
            images: self.stub.store(),
            config: PipelineConfig {
                render: RenderConfig {
                    width_px: 800,
                    thumb_width_px: 200,
                    ..RenderConfig::default()
                },
                ..PipelineConfig::default()
            },
            function_name: "ork-faults".into(),
        }
    }

    async fn rows(&self, cypher: &str, key: &str, columns: &[&str]) -> Vec<Vec<Option<Value>>> {
        let st = Statement::new(cypher).param("id", graph::design_id(&self.bucket, key));
        self.direct
            .query_rows(&st, columns)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{cypher}"))
    }

    async fn count(&self, cypher: &str, key: &str) -> i64 {
        let rows = self.rows(cypher, key, &["n"]).await;
        rows.first()
            .and_then(|r| r[0].as_ref())
            .and_then(Value::as_i64)
            .unwrap_or(-1)
    }

    /// Asserts that the graph holds exactly `want` under `key`, whole and alone: one `Design`
    /// node with its bytes and counts, the component uids of its plan once each, every
    /// component reachable from the design, and as many configurations and simulations as
    /// the plan. Returns the design's properties.
    async fn assert_design(&self, key: &str, want: &Version, context: &str) -> Value {
        let designs = self
            .rows(
                "MATCH (d:Design {design_id: $id}) RETURN properties(d) AS p",
                key,
                &["p"],
            )
            .await;
        assert_eq!(designs.len(), 1, "{context}: Design nodes for {key}");
        let d = designs[0][0].clone().expect("design properties");
        assert_eq!(d["status"], "ok", "{context}: {d}");
        assert_eq!(
            d["sha256"],
            want.sha256.as_str(),
            "{context}: stored version"
        );
        assert_eq!(
            d["component_count"].as_i64(),
            Some(want.components as i64),
            "{context}: {d}"
        );
        let uids: Vec<String> = self
            .rows(
                "MATCH (c:Component {design_id: $id}) RETURN c.uid AS uid",
                key,
                &["uid"],
            )
            .await
            .into_iter()
            .map(|r| {
                r[0].as_ref()
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        let distinct: BTreeSet<String> = uids.iter().cloned().collect();
        assert_eq!(
            uids.len(),
            distinct.len(),
            "{context}: duplicate component uids"
        );
        assert_eq!(distinct, want.uids, "{context}: component uids");
        let reachable = self
            .count(
                "MATCH (d:Design {design_id: $id})-[:HAS_STAGE|CONTAINS*1..]->(c:Component) \
                 RETURN count(DISTINCT c) AS n",
                key,
            )
            .await;
        assert_eq!(
            reachable, want.components as i64,
            "{context}: orphan components"
        );
        for (label, n) in [
            ("MotorConfiguration", want.configurations),
            ("Simulation", want.simulations),
        ] {
            let st = format!("MATCH (x:{label} {{design_id: $id}}) RETURN count(x) AS n");
            assert_eq!(self.count(&st, key).await, n as i64, "{context}: {label}");
        }
        d
    }

    /// The properties of the design stored under `key`, if there is one.
    async fn design_props(&self, key: &str) -> Option<Value> {
        self.rows(
            "MATCH (d:Design {design_id: $id}) RETURN properties(d) AS p",
            key,
            &["p"],
        )
        .await
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
    }

    async fn delete(&self, keys: &[&str]) {
        for key in keys {
            self.direct
                .delete_design(&graph::design_id(&self.bucket, key), None)
                .await
                .expect("clean up");
        }
    }
}

/// One version of a design file and what the graph should hold for it.
struct Version {
    bytes: Vec<u8>,
    sha256: String,
    components: usize,
    uids: BTreeSet<String>,
    configurations: usize,
    simulations: usize,
}

fn version(file: &str, bucket: &str, key: &str) -> Version {
    let bytes = std::fs::read(common::testdata(file)).expect("test file");
    let analysis = pipeline::analyse(bucket, key, &bytes, &Default::default());
    let design = &analysis.parsed.as_ref().expect("a valid design").design;
    let plan = analysis.plan();
    assert_eq!(plan.graph.components.len(), design.components.len());
    Version {
        sha256: graph::sha256_hex(&bytes),
        components: design.components.len(),
        uids: plan
            .graph
            .components
            .iter()
            .map(|c| c.uid.clone())
            .collect(),
        configurations: plan.graph.configurations.len(),
        simulations: plan.graph.simulations.len(),
        bytes,
    }
}

fn created(bucket: &str, key: &str) -> S3Event {
    common::s3_event("ObjectCreated:Put", bucket, key)
}

fn outcome(result: &Result<Summary, InvocationError>) -> &'static str {
    match result {
        Ok(s) => s.records[0].outcome,
        Err(_) => "invocation failed",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_server_stopping_mid_load_keeps_the_old_design_and_fails_retryably() {
    let test = "graph_server_stopping_mid_load";
    let Some(env) = env(test).await else { return };
    let key = "uploads/fault-graph-stop.ork";
    let calibration_key = "uploads/fault-graph-size.ork";
    let v1 = version("minimal.ork", &env.bucket, key);
    let v2 = version("all-components.ork", &env.bucket, key);
    assert_ne!(v1.components, v2.components);

    // The handler's graph connection goes through the proxy; the test reads the graph directly.
    let proxy = Proxy::for_uri(&env.graph_config.uri).await.expect("proxy");
    let mut config = env.graph_config.clone();
    config.uri = proxy.uri("bolt");
    // Fewer transaction attempts than the Lambda's 20, so that giving up takes seconds, not
    // tens of seconds; enough to ride out write conflicts with other users of the server.
    config.max_attempts = 8;
    let handler = env.handler(Neo4jSink::connect(config).await.expect("graph via proxy"));

    // Version 1 goes in.
    env.put(key, &v1.bytes).await;
    let r = handler.handle(&created(&env.bucket, key), "stop-1").await;
    assert_eq!(outcome(&r), "written", "{r:?}");
    env.assert_design(key, &v1, "version 1").await;

    // How many bytes the handler sends the graph for version 2 (under another key).
    env.put(calibration_key, &v2.bytes).await;
    let before = proxy.bytes_up();
    let r = handler
        .handle(&created(&env.bucket, calibration_key), "stop-size")
        .await;
    assert_eq!(outcome(&r), "written", "{r:?}");
    let full = proxy.bytes_up() - before;
    eprintln!("{test}: a version-2 invocation sends {full} bytes to the graph");

    // Version 2 replaces it in S3; the graph server stops half-way through the load.
    env.put(key, &v2.bytes).await;
    let uploads_before = env.stub.state().await["uploads"].clone();
    proxy.stop_after(full / 2);
    let started = Instant::now();
    let err = handler
        .handle(&created(&env.bucket, key), "stop-2")
        .await
        .expect_err("the graph stopped mid-load");
    let took = started.elapsed();
    eprintln!("{test}: failed after {took:?}: {err}");
    assert!(proxy.cuts() >= 1, "the proxy cut the connection");
    // The invocation fails, so Lambda retries it; the record's class is `graph`.
    assert_eq!((err.failed, err.total), (1, 1), "{err}");
    assert!(
        err.first.contains("writing the graph") && err.first.contains("unavailable"),
        "{err}"
    );
    let logged = events("stop-2", "record failed");
    assert_eq!(logged.len(), 1, "{}", log().text());
    assert_eq!(logged[0]["level"], "ERROR");
    assert_eq!(logged[0]["fields"]["class"], "graph", "{}", logged[0]);
    assert_eq!(
        logged[0]["fields"]["transient"], true,
        "retryable: {}",
        logged[0]
    );
    // The cut came after version 2's images were uploaded, so during the graph write itself;
    // they went under an attempt's own ids, so version 1's images are untouched. The graph
    // stayed away, so whether the write committed is unknown: version 2's images stay.
    let uploads_after = env.stub.state().await["uploads"].clone();
    let profiles = |uploads: &Value, v: &Version| -> Vec<(String, Value)> {
        let prefix = format!(
            "designs/{}/{}-",
            graph::design_id(&env.bucket, key),
            ork_processor::publish::content_tag(&v.sha256)
        );
        uploads
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(id, _)| id.starts_with(&prefix) && id.ends_with("/profile"))
            .map(|(id, u)| (id.clone(), u["count"].clone()))
            .collect()
    };
    let v2_uploads = profiles(&uploads_after, &v2);
    assert_eq!(
        v2_uploads.len(),
        1,
        "version 2's images were uploaded before the graph write: {v2_uploads:?}"
    );
    assert_eq!(
        profiles(&uploads_after, &v1),
        profiles(&uploads_before, &v1),
        "version 1's images were not overwritten"
    );
    let (v1_id, _) = profiles(&uploads_before, &v1)
        .pop()
        .expect("version 1's profile");

    // Version 1 is still there, whole, read straight from the server; and again once the
    // server surely noticed the dropped connection.
    let d1 = env.assert_design(key, &v1, "after the cut").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    env.assert_design(key, &v1, "after the cut, 500 ms later")
        .await;
    // ... and it still shows its own pictures.
    let v1_profile = d1["profile_url"]
        .as_str()
        .expect("v1 profile url")
        .to_owned();
    assert!(v1_profile.contains(&v1_id), "{v1_profile}");
    let served = env.stub.get(&v1_profile).await;
    assert_eq!(served.0, 200, "version 1's image is served");

    // The server is back: Lambda's retry of the same event, on the same warm instance,
    // writes version 2. Lambda retries a failed asynchronous invocation twice; a write
    // conflict with another user of the shared server may use one of those retries.
    proxy.restore();
    let mut tries = 0;
    let r = loop {
        tries += 1;
        let r = handler
            .handle(&created(&env.bucket, key), &format!("stop-3-{tries}"))
            .await;
        match &r {
            Err(e) if tries < 3 => {
                eprintln!("{test}: retry {tries} failed: {e}");
                assert!(e.first.contains("writing the graph"), "{e}");
            }
            _ => break r,
        }
    };
    assert_eq!(outcome(&r), "written", "{r:?}");
    let d = env.assert_design(key, &v2, "after the retry").await;
    // Version 1's images went once version 2 was committed.
    assert_eq!(
        env.stub.get(&v1_profile).await.0,
        404,
        "version 1's image removed"
    );
    for url in ["profile_url", "thumbnail_url", "svg_url"] {
        assert!(
            d[url]
                .as_str()
                .is_some_and(|u| u.starts_with(&env.stub.base)),
            "{d}"
        );
    }
    env.delete(&[key, calibration_key]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudinary_429_then_200_is_retried_and_succeeds() {
    let test = "cloudinary_429_then_200";
    let Some(env) = env(test).await else { return };
    let key = "uploads/fault-cloudinary-429.ork";
    let v = version("minimal.ork", &env.bucket, key);
    env.put(key, &v.bytes).await;
    let handler = env.handler(
        Neo4jSink::connect(env.graph_config.clone())
            .await
            .expect("graph"),
    );

    // The first upload is throttled with `Retry-After: 1`; the rest succeed.
    env.stub
        .control(json!({"fail_next": [429], "retry_after": 1}))
        .await;
    let started = Instant::now();
    let summary = handler
        .handle(&created(&env.bucket, key), "cld-429")
        .await
        .expect("the invocation succeeds");
    let took = started.elapsed();
    assert_eq!(summary.records[0].outcome, "written", "{summary:?}");
    assert!(
        took >= Duration::from_millis(950),
        "Retry-After honoured: {took:?}"
    );

    let d = env.assert_design(key, &v, "after the retried upload").await;
    for url in [
        "profile_url",
        "thumbnail_url",
        "svg_url",
        "flight_chart_url",
        "flight_chart_svg_url",
        "model_url",
    ] {
        let u = d[url].as_str().unwrap_or_else(|| panic!("no {url}: {d}"));
        assert!(u.starts_with(&env.stub.base), "{url} = {u}");
    }
    let served = env.stub.get(d["profile_url"].as_str().unwrap()).await;
    assert_eq!(served.0, 200);
    assert!(served.2.starts_with(b"\x89PNG"));

    // The stub saw the throttled request and its retry: 6 uploads (profile, thumbnail, SVG,
    // the flight chart's PNG and SVG, and the 3D model), 7 requests, 1 stored copy each.
    let state = env.stub.state().await;
    assert_eq!(state["failures_injected"], 1, "{state}");
    assert_eq!(state["requests"], 7, "{state}");
    assert_eq!(state["signatures"]["verified"], 6, "{state}");
    assert_eq!(state["signatures"]["rejected"], 0, "{state}");
    let revision = d["ork_revision"].as_str().expect("a revision");
    assert!(
        revision.starts_with(ork_processor::publish::content_tag(&v.sha256)),
        "{revision}"
    );
    let id = graph::design_id(&env.bucket, key);
    for kind in [
        "profile",
        "thumbnail",
        "svg",
        "flight-chart",
        "flight-chart-svg",
        "model",
    ] {
        assert_eq!(
            state["uploads"][format!("designs/{id}/{revision}/{kind}")]["count"],
            1,
            "{state}"
        );
    }
    assert!(
        events("cld-429", "record failed").is_empty(),
        "no failure logged"
    );
    env.delete(&[key]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_for_one_key_leave_one_consistent_design() {
    let test = "concurrent_invocations_for_one_key";
    let Some(env) = env(test).await else { return };
    let key = "uploads/fault-concurrent.ork";
    // Two Lambda instances: each its own graph connection and HTTP client, so nothing in
    // one process serialises them; the database has to.
    let connect = || async {
        Neo4jSink::connect(env.graph_config.clone())
            .await
            .expect("graph")
    };
    let (a, b) = (env.handler(connect().await), env.handler(connect().await));

    // A new design, then a new version of it, each delivered to both instances at once.
    for (round, file) in [(1, "all-components.ork"), (2, "format-1.8-axialoffset.ork")] {
        let v = version(file, &env.bucket, key);
        env.put(key, &v.bytes).await;
        let event = created(&env.bucket, key);
        let (id_a, id_b) = (format!("conc-{round}-a"), format!("conc-{round}-b"));
        let (ra, rb) = tokio::join!(a.handle(&event, &id_a), b.handle(&event, &id_b));
        let outcomes = [outcome(&ra), outcome(&rb)];
        eprintln!("{test}: round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| *o == "written" || *o == "unchanged"),
            "round {round}: {ra:?} {rb:?}"
        );
        let d = env
            .assert_design(key, &v, &format!("round {round} ({file})"))
            .await;
        assert!(d["profile_url"].as_str().is_some(), "{d}");
    }
    env.delete(&[key]).await;
}

// ---------------------------------------------------------------------------------------------
// A stalled worker: one attempt stalls 30 s between its uploads and its graph write (a GC
// pause, a throttled container) while another attempt processes the same key. Every attempt
// uploads under a revision of its own, so whichever commits, no design shows a deleted image
// and the store keeps no image that no design names.

/// A graph sink whose first design write waits: `stall` long, then for `after` (another
/// worker's write) when set. It tells `entered` when that write begins (the uploads are done)
/// and `written` when it has returned.
struct Stalling<'a> {
    inner: &'a Neo4jSink,
    stall: Duration,
    after: Option<std::sync::Arc<tokio::sync::Notify>>,
    entered: std::sync::Arc<tokio::sync::Notify>,
    written: std::sync::Arc<tokio::sync::Notify>,
    first: std::sync::atomic::AtomicBool,
}

impl<'a> Stalling<'a> {
    fn new(inner: &'a Neo4jSink, stall: Duration) -> Self {
        Self {
            inner,
            stall,
            after: None,
            entered: Default::default(),
            written: Default::default(),
            first: true.into(),
        }
    }
}

impl GraphSink for Stalling<'_> {
    async fn ensure_schema(&self) -> Result<(), graph::GraphError> {
        self.inner.ensure_schema().await
    }
    async fn write_design(
        &self,
        plan: &graph::GraphPlan,
    ) -> Result<graph::WriteStats, graph::GraphError> {
        let first = self.first.swap(false, std::sync::atomic::Ordering::SeqCst);
        if first {
            self.entered.notify_one();
            tokio::time::sleep(self.stall).await;
            if let Some(after) = &self.after {
                after.notified().await;
            }
        }
        let written = self.inner.write_design(plan).await;
        if first {
            self.written.notify_one();
        }
        written
    }
    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, graph::GraphError> {
        self.inner.delete_design(design_id, guard).await
    }
    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<graph::Fingerprint>, graph::GraphError> {
        self.inner.existing_fingerprint(design_id).await
    }
    async fn stored(
        &self,
        design_ids: &[String],
    ) -> Result<Vec<graph::StoredDesign>, graph::GraphError> {
        self.inner.stored(design_ids).await
    }
}

/// Which attempt commits first.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    /// The other worker processes the key during the stall; the stalled write is refused.
    StalledLoses,
    /// The other worker reads the key during the stall, and its write comes after the stalled
    /// one, which goes through; the other's is refused.
    StalledWins,
}

/// The image URLs a design names.
fn image_urls(d: &Value) -> Vec<String> {
    [
        "profile_url",
        "thumbnail_url",
        "svg_url",
        "flight_chart_url",
        "flight_chart_svg_url",
        "model_url",
    ]
    .iter()
    .filter_map(|p| d[*p].as_str().map(str::to_owned))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_worker_never_shows_a_deleted_image_nor_leaves_one() {
    let test = "a_stalled_worker";
    let Some(env) = env(test).await else { return };
    const STALL: Duration = Duration::from_secs(30);
    // (key, what the graph holds first, what the stalled worker reads, what the other reads)
    let cases = [
        (
            "dup-loses",
            Some("minimal.ork"),
            "all-components.ork",
            None,
            Order::StalledLoses,
        ),
        (
            "dup-wins",
            Some("minimal.ork"),
            "all-components.ork",
            None,
            Order::StalledWins,
        ),
        ("new-loses", None, "minimal.ork", None, Order::StalledLoses),
        ("new-wins", None, "minimal.ork", None, Order::StalledWins),
        (
            "overwrite-loses",
            Some("minimal.ork"),
            "all-components.ork",
            Some("format-1.8-axialoffset.ork"),
            Order::StalledLoses,
        ),
        (
            "overwrite-wins",
            Some("minimal.ork"),
            "all-components.ork",
            Some("format-1.8-axialoffset.ork"),
            Order::StalledWins,
        ),
    ];
    let config = PipelineConfig {
        render: RenderConfig {
            width_px: 800,
            thumb_width_px: 200,
            ..RenderConfig::default()
        },
        ..PipelineConfig::default()
    };
    let images = env.stub.store();
    let started = Instant::now();
    let run = |(name, first, stalled, other, order): (
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
        Order,
    )| {
        let (env, config, images) = (&env, &config, &images);
        async move {
            let key = format!("uploads/stall-{name}.ork");
            let what = format!("{name} ({order:?})");
            let mut times = pipeline::StageTimes::default();
            if let Some(first) = first {
                env.put(&key, &version(first, &env.bucket, &key).bytes)
                    .await;
                let ports = pipeline::Ports {
                    source: &env.source,
                    graph: &env.direct,
                    images,
                };
                pipeline::process_object(&ports, config, &env.bucket, &key, &mut times)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: first version: {e}"));
            }
            env.put(&key, &version(stalled, &env.bucket, &key).bytes)
                .await;

            let a = Stalling::new(&env.direct, STALL);
            let mut b = Stalling::new(&env.direct, Duration::ZERO);
            if order == Order::StalledWins {
                b.after = Some(a.written.clone());
            }
            let (a_ports, b_ports) = (
                pipeline::Ports {
                    source: &env.source,
                    graph: &a,
                    images,
                },
                pipeline::Ports {
                    source: &env.source,
                    graph: &b,
                    images,
                },
            );
            let (mut a_times, mut b_times) = Default::default();
            let stalled_run =
                pipeline::process_object(&a_ports, config, &env.bucket, &key, &mut a_times);
            let other_run = async {
                // Once the stalled worker has uploaded and stalls: the key is overwritten
                // (with its own event), or the same event is delivered again.
                a.entered.notified().await;
                if let Some(other) = other {
                    env.put(&key, &version(other, &env.bucket, &key).bytes)
                        .await;
                }
                pipeline::process_object(&b_ports, config, &env.bucket, &key, &mut b_times).await
            };
            // While both run: whatever design the graph holds, every image it names is
            // served (an image missing is checked again against a fresh read, since a
            // commit may come between the read and the GET).
            let watch = async {
                let mut checks = 0;
                loop {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    let Some(d) = env.design_props(&key).await else {
                        continue;
                    };
                    for url in image_urls(&d) {
                        if env.stub.get(&url).await.0 != 200 {
                            let now = env.design_props(&key).await;
                            assert!(
                                !now.as_ref().is_some_and(|d| image_urls(d).contains(&url)),
                                "{what}: the design shows a deleted image {url}"
                            );
                        }
                    }
                    checks += 1;
                    if checks > 1_000 {
                        break;
                    }
                }
            };
            let both = async { tokio::join!(stalled_run, other_run) };
            let (a_out, b_out) = tokio::select! {
                out = both => out,
                () = watch => unreachable!("the watch outlasts the workers"),
            };
            let a_out = a_out.unwrap_or_else(|e| panic!("{what}: stalled worker: {e}"));
            let b_out = b_out.unwrap_or_else(|e| panic!("{what}: other worker: {e}"));
            let name = |p: &pipeline::Processed| {
                format!("{p:?}").split([' ', '{']).next().map(str::to_owned)
            };
            eprintln!(
                "{test}: {what}: stalled {:?}, other {:?}",
                name(&a_out),
                name(&b_out)
            );

            // The design is the key's current bytes, and every image it names is served.
            let current = version(other.unwrap_or(stalled), &env.bucket, &key);
            let d = env.assert_design(&key, &current, &what).await;
            let urls = image_urls(&d);
            assert!(urls.len() >= 3, "{what}: {d}");
            for url in &urls {
                assert_eq!(env.stub.get(url).await.0, 200, "{what}: {url}");
            }
            // The store holds exactly those images under this design's folder, all in the
            // folder of the stored revision.
            let folder = format!("designs/{}/", graph::design_id(&env.bucket, &key));
            let stored: BTreeSet<String> = env.stub.state().await["uploads"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(id, _)| id.clone())
                .filter(|id| id.starts_with(&folder))
                .collect();
            let named: BTreeSet<String> = urls.iter().map(|u| common::stub::public_id(u)).collect();
            assert_eq!(stored, named, "{what}: images stored beside the named ones");
            let revision = d["ork_revision"].as_str().expect("a revision");
            let in_revision = format!("{folder}{revision}/");
            assert!(
                named.iter().all(|id| id.starts_with(&in_revision)),
                "{what}: {named:?}"
            );
            key
        }
    };
    let keys = futures_util::future::join_all(cases.into_iter().map(run)).await;
    let took = started.elapsed();
    eprintln!("{test}: {} cases in {took:?}", keys.len());
    assert!(took >= STALL, "the stall happened: {took:?}");
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    env.delete(&keys).await;
}
