//! The fault soak: objects go through the real Lambda handler, eight invocations at a time,
//! against the local S3 (moto), the graph server (Neo4j 5 over Bolt) and the Cloudinary
//! stub, while faults are injected, and nothing may be lost.
//!
//! * The bucket: corpus designs (or `testdata/` files without the corpus) under distinct keys,
//!   some with spaces, `+`, `%` and non-ASCII characters; 5 % invalid files; 10 % of the
//!   events delivered twice (half of them at once, half up to 30 s after the first delivery
//!   was taken up, so that two workers often hold the same key); keys deleted whose delete event comes
//!   before their create event; keys deleted and uploaded again whose delete event comes last;
//!   keys overwritten while their first event is processed (with the overwrite's own event).
//! * Faults: the stub answers every 13th call with 429 or 500 (alternating every second); S3
//!   answers every 9th request with 503 SlowDown through an HTTP proxy, and every request
//!   with 500 for two seconds once; the graph's connections are cut mid-transaction every
//!   1.5 s through a TCP proxy, and the graph is down once, for 3 s or until an invocation
//!   has failed for good (at most 10 s).
//! * Lambda's asynchronous invocation is emulated: a failed invocation is tried twice more,
//!   then its destination record (as AWS writes it) goes to an SQS queue on moto, which
//!   `redrive::run` works off once the faults stop.
//!
//! Afterwards: exactly one `Design` per live key, with the SHA-256 of the key's current bytes;
//! invalid uploads marked invalid; no `Design` for a deleted key; every image URL of every
//! design served by the store, and no image in the store that no design shows; the failure
//! queue empty. The counts, the faults and the wall time are printed.
//!
//! `soak_of_100_objects_loses_nothing` runs with the tests; the full soak is ignored:
//! `cargo test --test soak -- --ignored --nocapture` (`ORK_SOAK_OBJECTS` sets its size,
//! default 1,000). Both skip with a message when the local S3 or graph server is not set up.

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::event::s3::S3Event;
use common::http_faults::HttpFaults;
use common::proxy::Proxy;
use common::stub::Stub;
use ork_processor::bucket::redrive::{self, RedriveConfig, SqsQueue};
use ork_processor::bucket::reprocess::{Cancel, LocalDispatch};
use ork_processor::events::invocation::created_event;
use ork_processor::graph::{self, GraphConfig, GraphSink, Neo4jSink, Statement};
use ork_processor::lambda::handler::Handler;
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{PipelineConfig, Ports};
use ork_processor::render::RenderConfig;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak_of_100_objects_loses_nothing() {
    soak("soak_of_100_objects_loses_nothing", 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "the full soak, minutes long: cargo test --test soak -- --ignored --nocapture"]
async fn soak_of_1000_objects_loses_nothing() {
    let objects = std::env::var("ORK_SOAK_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    soak("soak_of_1000_objects_loses_nothing", objects).await;
}

/// Invocations at once, as eight Lambda instances would run them.
const WORKERS: usize = 8;
/// Lambda's asynchronous invocation: the first try and two retries.
const TRIES: u32 = 3;

/// What happens to a key, besides its upload and its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Plain,
    Invalid,
    /// Its event is delivered twice (`true`: at once; else up to 30 s after the first
    /// delivery was taken up).
    Duplicated(bool),
    /// Overwritten with other bytes while its first event is processed.
    Overwritten,
    /// Deleted; the delete event comes before the create event.
    Deleted,
    /// Deleted and uploaded again (other bytes); the delete event comes last.
    Recreated,
}

/// The fates of `n` keys: 5 % invalid, 10 % duplicated, 8 % overwritten, 4 % deleted, 3 %
/// recreated, in a fixed random order.
fn fates(n: usize, rng: &mut fastrand::Rng) -> Vec<Fate> {
    let share = |pct: usize| (n * pct).div_ceil(100);
    let mut v = Vec::with_capacity(n);
    v.extend(std::iter::repeat_n(Fate::Invalid, share(5)));
    v.extend((0..share(10)).map(|i| Fate::Duplicated(i % 2 == 0)));
    v.extend(std::iter::repeat_n(Fate::Overwritten, share(8)));
    v.extend(std::iter::repeat_n(Fate::Deleted, share(4)));
    v.extend(std::iter::repeat_n(Fate::Recreated, share(3)));
    v.truncate(n);
    v.resize(n, Fate::Plain);
    rng.shuffle(&mut v);
    v
}

/// Files that are not designs, each failing differently.
fn invalid_bytes(i: usize) -> Vec<u8> {
    match i % 4 {
        0 => b"this is not a rocket".to_vec(),
        1 => b"PK\x03\x04 a zip archive cut short".to_vec(),
        2 => b"<?xml version='1.0'?><not-openrocket/>".to_vec(),
        _ => b"\x1f\x8b\x08\x00 a gzip stream cut short".to_vec(),
    }
}

/// The designs to upload: the corpus, or `testdata/` without it.
fn designs() -> Vec<(String, Vec<u8>)> {
    let mut paths = common::corpus_files("soak");
    if paths.is_empty() {
        for name in [
            "minimal.ork",
            "all-components.ork",
            "zipped.ork",
            "series-english.ork",
            "series-german.ork",
        ] {
            paths.push(common::testdata(name));
        }
    }
    paths
        .iter()
        .map(|p| {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (stem, std::fs::read(p).expect("design file"))
        })
        .collect()
}

/// A key for object `i`: distinct, and now and then with characters S3 events encode.
fn key_for(i: usize, stem: &str) -> String {
    let stem: String = stem.chars().filter(|c| !c.is_control()).take(40).collect();
    match i % 7 {
        0 => format!("soak/{i:04} {stem} v+1 (100%) été.ork"),
        3 => format!("soak/{i:04}/{stem}.ORK"),
        _ => format!("soak/{i:04}-{stem}.ork"),
    }
}

/// An event as S3 sends it.
fn event(bucket: &str, key: &str, removed: bool) -> Value {
    let mut e = created_event("us-east-1", bucket, key, 0, None, false);
    if let Some(o) = e.as_object_mut() {
        o.remove("orkReprocess");
    }
    if removed {
        e["Records"][0]["eventName"] = "ObjectRemoved:Delete".into();
    }
    e
}

/// A Lambda on-failure destination record, as AWS writes it.
fn destination_record(payload: &Value, error: &str, request_id: &str) -> String {
    json!({
        "version": "1.0",
        "timestamp": ork_processor::events::rfc3339_utc(std::time::SystemTime::now()),
        "requestContext": {
            "requestId": request_id,
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:ork-processor:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": TRIES
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": error, "errorType": "InvocationError"}
    })
    .to_string()
}

/// The work queue the workers share; overwrites add to it while it runs.
struct Events {
    queue: Mutex<VecDeque<Value>>,
    /// Events queued or in flight, and overwrites pending.
    pending: AtomicUsize,
    done: AtomicUsize,
}

impl Events {
    fn push(&self, e: Value) {
        self.pending.fetch_add(1, Ordering::SeqCst);
        self.queue.lock().unwrap().push_back(e);
    }
    fn pop(&self) -> Option<Value> {
        self.queue.lock().unwrap().pop_front()
    }
    fn finish(&self) {
        self.done.fetch_add(1, Ordering::SeqCst);
        self.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Counters {
    invocations: AtomicU64,
    tries: AtomicU64,
    retried: AtomicU64,
    queued: AtomicU64,
}

/// The servers and clients of one soak.
struct Setup {
    bucket: String,
    endpoint: String,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    stub: Stub,
    graph_config: GraphConfig,
    direct: Neo4jSink,
}

async fn setup(test: &str) -> Option<Setup> {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_S3") else {
        eprintln!(
            "SKIPPED {test}: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)"
        );
        return None;
    };
    let Some(graph_config) = GraphConfig::from_env().expect("graph settings") else {
        eprintln!("SKIPPED {test}: NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)");
        return None;
    };
    let stub = Stub::start()?;
    ork_processor::lambda::install_crypto_provider();
    common::global_log("info");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let bucket = format!("ork-soak-{}-{nanos}", std::process::id());
    let (_, s3) = common::local_bucket(&bucket).await;
    // moto serves SQS on the same endpoint as S3.
    let (sqs, queue_url) = common::local_queue(
        &endpoint,
        &format!("ork-soak-failures-{}-{nanos}", std::process::id()),
    )
    .await;
    let direct = Neo4jSink::connect(graph_config.clone())
        .await
        .expect("graph");
    direct.ensure_schema().await.expect("schema");
    Some(Setup {
        bucket,
        endpoint,
        s3,
        sqs,
        queue_url,
        stub,
        graph_config,
        direct,
    })
}

impl Setup {
    async fn put(&self, key: &str, bytes: &[u8]) {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(bytes.to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e}"));
    }

    async fn delete(&self, key: &str) {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("delete {key}: {e}"));
    }

    /// An S3 adapter through `url` (the fault proxy), path-style.
    async fn source(&self, url: &str) -> S3Source {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(url)
            .load()
            .await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        S3Source::new(aws_sdk_s3::Client::from_conf(conf))
    }

    fn pipeline_config() -> PipelineConfig {
        PipelineConfig {
            render: RenderConfig {
                width_px: 800,
                thumb_width_px: 200,
                ..RenderConfig::default()
            },
            ..PipelineConfig::default()
        }
    }

    /// The bucket's keys and the SHA-256 of their bytes.
    async fn live(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for o in page.expect("list").contents() {
                let key = o.key().unwrap_or_default().to_owned();
                let bytes = self
                    .s3
                    .get_object()
                    .bucket(&self.bucket)
                    .key(&key)
                    .send()
                    .await
                    .expect("get")
                    .body
                    .collect()
                    .await
                    .expect("body")
                    .into_bytes();
                out.insert(key, graph::sha256_hex(&bytes));
            }
        }
        out
    }
}

/// Columns of the designs read back.
const DESIGN_COLUMNS: [&str; 10] = [
    "design_id",
    "key",
    "sha256",
    "status",
    "profile_url",
    "thumbnail_url",
    "svg_url",
    "flight_chart_url",
    "flight_chart_svg_url",
    "model_url",
];

async fn soak(test: &str, objects: usize) {
    let Some(env) = setup(test).await else {
        return;
    };
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(0x50a6 + objects as u64);
    let files = designs();
    let fates = fates(objects, &mut rng);
    let bucket = env.bucket.clone();

    // The bucket, and the events S3 would send, in delivery order. Overwrites are uploaded
    // while the run goes on, with the bytes noted here.
    let mut initial: Vec<Value> = Vec::new();
    let mut late: Vec<Value> = Vec::new();
    let mut overwrites: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // Duplicates delivered later: how long after the first delivery was taken up.
    let mut redeliveries: BTreeMap<String, Duration> = BTreeMap::new();
    let mut invalid_keys = BTreeSet::new();
    let mut deleted_keys = BTreeSet::new();
    // What happened to each design's key, to name it in a problem.
    let mut fate_of: BTreeMap<String, (String, Fate)> = BTreeMap::new();
    for (i, fate) in fates.iter().enumerate() {
        let (stem, bytes) = &files[i % files.len()];
        let (_, other) = &files[(i + 1) % files.len()];
        let key = key_for(i, stem);
        fate_of.insert(graph::design_id(&bucket, &key), (key.clone(), *fate));
        let created = event(&bucket, &key, false);
        match *fate {
            Fate::Invalid => {
                env.put(&key, &invalid_bytes(i)).await;
                invalid_keys.insert(key.clone());
                initial.push(created);
            }
            Fate::Plain => {
                env.put(&key, bytes).await;
                initial.push(created);
            }
            Fate::Duplicated(at_once) => {
                env.put(&key, bytes).await;
                initial.push(created.clone());
                if at_once {
                    initial.push(created);
                } else {
                    redeliveries.insert(key.clone(), Duration::from_millis(rng.u64(0..=30_000)));
                }
            }
            Fate::Overwritten => {
                env.put(&key, bytes).await;
                overwrites.insert(key.clone(), other.clone());
                initial.push(created);
            }
            Fate::Deleted => {
                env.put(&key, bytes).await;
                env.delete(&key).await;
                deleted_keys.insert(key.clone());
                initial.push(event(&bucket, &key, true));
                initial.push(created);
            }
            Fate::Recreated => {
                env.put(&key, bytes).await;
                env.delete(&key).await;
                env.put(&key, other).await;
                initial.push(created.clone());
                initial.push(created);
                late.push(event(&bucket, &key, true));
            }
        }
    }
    initial.extend(late);
    let events = Arc::new(Events {
        queue: Mutex::new(VecDeque::new()),
        pending: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    });
    let first_events = initial.len();
    for e in initial {
        events.push(e);
    }

    // The faults: proxies in front of S3 and the graph, the stub's own injection.
    let s3_faults = HttpFaults::for_url(&env.endpoint).await.expect("S3 proxy");
    let graph_proxy = Proxy::for_uri(&env.graph_config.uri)
        .await
        .expect("graph proxy");
    let mut handlers = Vec::new();
    for _ in 0..WORKERS {
        let mut config = env.graph_config.clone();
        config.uri = graph_proxy.uri("bolt");
        // Few attempts per transaction, so that an outage fails invocations (and fills the
        // failure queue) rather than being waited out.
        config.max_attempts = 3;
        let graph = Neo4jSink::connect(config).await.expect("graph via proxy");
        handlers.push(Arc::new(Handler {
            source: env.source(&s3_faults.url()).await,
            graph,
            images: env.stub.store(),
            config: Setup::pipeline_config(),
            function_name: "ork-soak".into(),
        }));
    }
    s3_faults.fail_every(9);
    env.stub
        .control(json!({"fail_every": 13, "fail_status": 429}))
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Counters::default();
    let faults = {
        let (stop, events) = (stop.clone(), events.clone());
        let counters = &counters;
        let stub = (env.stub.base.clone(), env.stub.http.clone());
        let graph_outage_at = first_events * 3 / 10;
        let s3_outage_at = first_events * 6 / 10;
        let s3_faults = &s3_faults;
        let graph_proxy = &graph_proxy;
        async move {
            let mut tick = 0u64;
            let (mut graph_down, mut s3_down) = (false, false);
            let mut outages = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(250)).await;
                tick += 1;
                let done = events.done.load(Ordering::SeqCst);
                if tick % 4 == 0 {
                    let status = if (tick / 4) % 2 == 0 { 429 } else { 500 };
                    let _ = stub
                        .1
                        .post(format!("{}/__control", stub.0))
                        .body(json!({"fail_status": status}).to_string())
                        .send()
                        .await;
                }
                if tick % 6 == 0 {
                    graph_proxy.cut_now();
                }
                // Down until an invocation has failed for good (three tries), 3 to 10 s.
                if !graph_down && done >= graph_outage_at {
                    graph_down = true;
                    graph_proxy.stop_now();
                    let down = Instant::now();
                    while down.elapsed() < Duration::from_secs(3)
                        || (counters.queued.load(Ordering::SeqCst) == 0
                            && down.elapsed() < Duration::from_secs(10))
                    {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    graph_proxy.restore();
                    outages.push(format!(
                        "graph down {:.1} s after {done} events",
                        down.elapsed().as_secs_f64()
                    ));
                }
                if !s3_down && done >= s3_outage_at {
                    s3_down = true;
                    outages.push(format!("S3 answering 500 for 2 s after {done} events"));
                    s3_faults.outage(true);
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    s3_faults.outage(false);
                }
            }
            outages
        }
    };

    // The workers: each takes the next event and invokes its handler as Lambda would.
    let overwritten = Mutex::new(BTreeSet::new());
    let redelivered = Mutex::new(BTreeSet::new());
    let rng = Mutex::new(fastrand::Rng::with_seed(7));
    let work = {
        let events = &events;
        let counters = &counters;
        let env = &env;
        let overwrites = &overwrites;
        let overwritten = &overwritten;
        let redeliveries = &redeliveries;
        let redelivered = &redelivered;
        let handlers = &handlers;
        let rng = &rng;
        async move {
            let worker = |n: usize| async move {
                let handler = handlers[n].clone();
                loop {
                    let Some(payload) = events.pop() else {
                        if events.pending.load(Ordering::SeqCst) == 0 {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let key = payload["Records"][0]["s3"]["object"]["key"]
                        .as_str()
                        .and_then(|k| ork_processor::events::key::decode_key(k).ok())
                        .unwrap_or_default();
                    // The first event of an overwritten key: the key gets new bytes a moment
                    // later, while this invocation runs, and their event follows.
                    if let Some(bytes) = overwrites.get(&key) {
                        if overwritten.lock().unwrap().insert(key.clone()) {
                            let delay = rng.lock().unwrap().u64(0..300);
                            events.pending.fetch_add(1, Ordering::SeqCst);
                            let (bytes, key) = (bytes.clone(), key.clone());
                            let bucket = env.bucket.clone();
                            let s3 = env.s3.clone();
                            let events = events.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(Duration::from_millis(delay)).await;
                                s3.put_object()
                                    .bucket(&bucket)
                                    .key(&key)
                                    .body(bytes.into())
                                    .send()
                                    .await
                                    .expect("overwrite");
                                events.push(event(&bucket, &key, false));
                                events.pending.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                    }
                    // The first delivery of a key whose event S3 delivers again later: the
                    // duplicate arrives while this one runs, or after it.
                    if let Some(delay) = redeliveries.get(&key) {
                        if redelivered.lock().unwrap().insert(key.clone()) {
                            events.pending.fetch_add(1, Ordering::SeqCst);
                            let (events, payload, delay) =
                                (events.clone(), payload.clone(), *delay);
                            tokio::spawn(async move {
                                tokio::time::sleep(delay).await;
                                events.push(payload);
                                events.pending.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                    }
                    invoke(&handler, &payload, env, counters).await;
                    events.finish();
                }
            };
            futures_util::future::join_all((0..WORKERS).map(worker)).await;
        }
    };
    let (outages, ()) = tokio::join!(faults, async {
        work.await;
        stop.store(true, Ordering::SeqCst);
    });
    let processing = started.elapsed();

    // The faults stop; the failure queue is redriven.
    s3_faults.fail_every(0);
    env.stub
        .control(json!({"fail_every": 0, "fail_next": [], "fail_always": null}))
        .await;
    let stub_state = env.stub.state().await;
    let source = env.source(&env.endpoint).await;
    let images = env.stub.store();
    let mut queue = SqsQueue::new(env.sqs.clone(), &env.queue_url);
    queue.visibility_timeout_s = 30;
    let report = redrive::run(
        &queue,
        &LocalDispatch {
            ports: Ports {
                source: &source,
                graph: &env.direct,
                images: &images,
            },
            config: Setup::pipeline_config(),
        },
        &RedriveConfig::default(),
        &indicatif::ProgressBar::hidden(),
        &Cancel::new(),
    )
    .await
    .expect("redrive");

    let summary = format!(
        "{test}: {objects} objects, {} events ({} invocations, {} tries, {} retried, {} to the \
         failure queue); faults: Cloudinary {} of {} calls, S3 {} of {} requests, graph {} \
         cuts, {}; redrive: {}; wall {:.1} s (processing {:.1} s)",
        events.done.load(Ordering::SeqCst),
        counters.invocations.load(Ordering::SeqCst),
        counters.tries.load(Ordering::SeqCst),
        counters.retried.load(Ordering::SeqCst),
        counters.queued.load(Ordering::SeqCst),
        stub_state["failures_injected"],
        stub_state["requests"],
        s3_faults.injected(),
        s3_faults.requests(),
        graph_proxy.cuts(),
        outages.join(", "),
        report.summary_line(),
        started.elapsed().as_secs_f64(),
        processing.as_secs_f64(),
    );
    eprintln!("{summary}");
    assert_eq!(
        report.counts.kept,
        0,
        "{summary}\nkept: {:?}",
        report
            .messages
            .iter()
            .filter(|m| !m.deleted)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        report.counts.messages as u64,
        counters.queued.load(Ordering::SeqCst),
        "{summary}"
    );
    assert!(
        counters.queued.load(Ordering::SeqCst) > 0,
        "the graph outage sends invocations to the failure queue: {summary}"
    );
    assert!(
        s3_faults.injected() > 0 && graph_proxy.cuts() > 0,
        "{summary}"
    );

    // What the bucket holds now, and what the graph and the image store say of it.
    let live = env.live().await;
    let rows = env
        .direct
        .query_rows(
            &Statement::new(format!(
                "MATCH (d:Design) WHERE d.bucket = $bucket RETURN {}",
                DESIGN_COLUMNS
                    .iter()
                    .map(|c| format!("d.{c} AS {c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .param("bucket", bucket.as_str()),
            &DESIGN_COLUMNS,
        )
        .await
        .expect("designs");
    let text = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).map(str::to_owned);
    let mut by_key: BTreeMap<String, Vec<Vec<Option<String>>>> = BTreeMap::new();
    for r in &rows {
        let r: Vec<Option<String>> = r.iter().map(text).collect();
        by_key
            .entry(r[1].clone().unwrap_or_default())
            .or_default()
            .push(r);
    }
    let mut problems = Vec::new();
    for (key, sha) in &live {
        match by_key.get(key).map(Vec::as_slice) {
            Some([d]) => {
                if d[2].as_deref() != Some(sha) {
                    problems.push(format!("{key}: stored {:?}, S3 holds {sha}", d[2]));
                }
                let want = if invalid_keys.contains(key) {
                    "invalid"
                } else {
                    "ok"
                };
                if d[3].as_deref() != Some(want) {
                    problems.push(format!("{key}: status {:?}, expected {want}", d[3]));
                }
                if d[0].as_deref() != Some(graph::design_id(&bucket, key).as_str()) {
                    problems.push(format!("{key}: design id {:?}", d[0]));
                }
            }
            Some(many) => problems.push(format!("{key}: {} Design nodes", many.len())),
            None => problems.push(format!("{key}: no Design (lost)")),
        }
    }
    for key in by_key.keys().filter(|k| !live.contains_key(*k)) {
        problems.push(format!("{key}: a Design for a key S3 does not hold"));
    }
    for key in &deleted_keys {
        if live.contains_key(key) {
            problems.push(format!("{key}: deleted, yet in the bucket"));
        }
    }
    // Every image a design shows is served; the store holds no other.
    let mut shown = BTreeSet::new();
    for r in &rows {
        for url in r[4..]
            .iter()
            .filter_map(|v| v.as_ref().and_then(Value::as_str))
        {
            let (status, _, _) = env.stub.get(url).await;
            if status != 200 {
                problems.push(format!("{url}: {status}"));
            }
            shown.insert(common::stub::public_id(url));
        }
    }
    let stored: BTreeSet<String> = env.stub.state().await["uploads"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    for orphan in stored.difference(&shown) {
        let owner = orphan
            .split('/')
            .nth(1)
            .and_then(|id| fate_of.get(id))
            .map_or_else(String::new, |(key, fate)| {
                format!(" (key {key:?}, {fate:?})")
            });
        problems.push(format!("orphaned image {orphan}{owner}"));
    }
    let designs_ok = rows
        .iter()
        .filter(|r| text(&r[3]).as_deref() == Some("ok"))
        .count();
    eprintln!(
        "{test}: {} live keys, {} designs ({designs_ok} ok, {} invalid), {} deleted keys, {} \
         images shown, {} stored",
        live.len(),
        rows.len(),
        rows.len() - designs_ok,
        deleted_keys.len(),
        shown.len(),
        stored.len()
    );
    if !problems.is_empty() {
        // What the handlers logged about the designs with a problem.
        let ids: BTreeSet<&str> = problems
            .iter()
            .filter_map(|p| p.split("designs/").nth(1)?.split('/').next())
            .collect();
        let keys: Vec<String> = ids
            .iter()
            .filter_map(|id| fate_of.get(*id))
            .map(|(key, _)| serde_json::to_string(key).unwrap_or_default())
            .collect();
        for line in common::global_log("info").text().lines() {
            if ids.iter().any(|id| line.contains(id))
                || keys.iter().any(|k| line.contains(k.as_str()))
            {
                eprintln!("{line}");
            }
        }
    }
    assert!(problems.is_empty(), "{summary}\n{}", problems.join("\n"));
    assert_eq!(live.len(), objects - deleted_keys.len(), "{summary}");

    // Clean up: the designs and images, the queue.
    for key in live.keys() {
        let _ = ork_processor::pipeline::delete_design(&env.direct, &images, &bucket, key).await;
    }
    let _ = env
        .sqs
        .delete_queue()
        .queue_url(&env.queue_url)
        .send()
        .await;
}

/// One asynchronous invocation as Lambda makes it: tried, retried twice, then sent to the
/// on-failure destination.
async fn invoke<I: ork_processor::publish::ImageStore>(
    handler: &Handler<S3Source, Neo4jSink, I>,
    payload: &Value,
    env: &Setup,
    counters: &Counters,
) {
    let n = counters.invocations.fetch_add(1, Ordering::SeqCst);
    let request_id = format!("soak-{n}");
    let event: S3Event = serde_json::from_value(payload.clone()).expect("S3 event");
    let mut last = String::new();
    for attempt in 0..TRIES {
        if attempt > 0 {
            counters.retried.fetch_add(1, Ordering::SeqCst);
            // Lambda waits a minute, then two; the soak a fraction of that.
            tokio::time::sleep(Duration::from_millis(400 * u64::from(attempt))).await;
        }
        counters.tries.fetch_add(1, Ordering::SeqCst);
        match handler.handle(&event, &request_id).await {
            Ok(_) => return,
            Err(e) => last = e.to_string(),
        }
    }
    counters.queued.fetch_add(1, Ordering::SeqCst);
    env.sqs
        .send_message()
        .queue_url(&env.queue_url)
        .message_body(destination_record(payload, &last, &request_id))
        .send()
        .await
        .expect("send to the failure queue");
}

#[test]
fn public_ids_come_out_of_delivery_urls() {
    for (url, id) in [
        (
            "http://127.0.0.1:1/stub-cloud/image/upload/v17/designs/abc/1f2e/profile.png",
            "designs/abc/1f2e/profile",
        ),
        (
            "https://res.cloudinary.com/c/image/upload/designs/x/y/flight-chart-svg.svg",
            "designs/x/y/flight-chart-svg",
        ),
    ] {
        assert_eq!(common::stub::public_id(url), id, "{url}");
    }
}
