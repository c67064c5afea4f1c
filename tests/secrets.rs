//! Secrets are never logged, nor put in an error. Everything this binary logs, at every level
//! down to TRACE and from every thread, is captured in the Lambda's own JSON format
//! (`lambda::logs::subscriber`) while configuration loading and the handler run through
//! success and failure paths with distinctive test secrets: the Neo4j password (the real one
//! and a wrong one), the Cloudinary API secret (the right one and a wrong one) and the AWS
//! secret access key. The captured text, and the `Display` and `Debug` of every error and
//! result, must contain none of them; and the log must hold the events those paths are
//! expected to log, so that a silent logger cannot pass.
//!
//! The handler part needs the local S3 (moto, which also serves Secrets Manager) and graph
//! servers (`infra/local/s3.sh`, `infra/local/neo4j.sh`) and skips without them.

// The Lambda's futures (S3 + Secrets Manager + Neo4j + Cloudinary) nest deeper than the default
// limit, as in bootstrap.
#![recursion_limit = "256"]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::stub::{Stub, API_KEY, CLOUD, SECRET as CLOUDINARY_SECRET};
use ork_processor::graph::{GraphConfig, GraphSink, Neo4jSink};
use ork_processor::lambda::config::{
    self, ConfigError, LambdaConfig, SecretSource, SecretsManager,
};
use ork_processor::lambda::handler::{Handler, InvocationError, Summary};
use ork_processor::lambda::lazy::LazyNeo4j;
use ork_processor::lambda::logs::MemoryLog;
use ork_processor::lambda::s3::S3Source;
use ork_processor::pipeline::{ObjectSource, PipelineConfig};
use ork_processor::publish::{CloudinaryConfig, CloudinaryStore, ImageStore};
use ork_processor::render::RenderConfig;
use serde_json::{json, Value};

/// Everything logged by this binary, at TRACE and above, from every thread.
fn log() -> &'static MemoryLog {
    common::global_log("trace")
}

/// A distinctive suffix for this run's test secrets.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", std::process::id(), nanos)
}

/// What must never show: each secret, with a name for the failure message.
struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    /// Panics when `text` contains a secret (`what` says where the text came from).
    fn assert_absent(&self, what: &str, text: &str) {
        for (name, secret) in &self.0 {
            assert!(!secret.is_empty(), "{name} is empty");
            if let Some(at) = text.find(secret.as_str()) {
                // The text before it, to show where; not the secret itself.
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(300)
                    .map_or(0, |(i, _)| i);
                panic!("{name} found in {what}, after: …{}", &text[from..at]);
            }
        }
    }
}

/// The `Display` and `Debug` of everything returned, to be checked with the log.
#[derive(Default)]
struct Returned(Vec<String>);

impl Returned {
    fn error(&mut self, e: &(impl std::fmt::Display + std::fmt::Debug)) {
        self.0.push(format!("{e}\n{e:?}"));
    }

    fn invocation(&mut self, r: &Result<Summary, InvocationError>) {
        match r {
            Ok(s) => self.0.push(format!(
                "{s:?}\n{}",
                serde_json::to_string(s).expect("summary JSON")
            )),
            Err(e) => self.error(e),
        }
    }
}

/// Logged events with the given message (and request id, when given).
fn events(message: &str, request_id: Option<&str>) -> Vec<Value> {
    log()
        .events()
        .into_iter()
        .filter(|e| e["fields"]["message"] == message)
        .filter(|e| request_id.is_none_or(|id| e["fields"]["request_id"] == id))
        .collect()
}

struct Fixed(HashMap<String, String>);

impl SecretSource for Fixed {
    async fn secret_string(&self, arn: &str) -> Result<String, String> {
        self.0
            .get(arn)
            .cloned()
            .ok_or_else(|| format!("no secret {arn}"))
    }
}

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

/// Configuration from plain variables and from secrets, and its errors, with no server.
#[tokio::test]
async fn configuration_never_shows_a_secret() {
    let log = log();
    let n = nonce();
    let password = format!("test-secret-neo4j-{n}");
    let api_secret = format!("test-secret-cloudinary-{n}");
    let secrets = Secrets(vec![
        ("the Neo4j password", password.clone()),
        ("the Cloudinary API secret", api_secret.clone()),
    ]);
    let url = format!("cloudinary://{API_KEY}:{api_secret}@{CLOUD}");
    let neo4j_json = json!({"NEO4J_URI": "neo4j+s://x.databases.neo4j.io", "NEO4J_USER": "neo4j",
        "NEO4J_PASSWORD": password})
    .to_string();
    let store = Fixed(HashMap::from([
        ("arn:neo4j".to_string(), neo4j_json),
        (
            "arn:cloudinary".to_string(),
            json!({"CLOUDINARY_URL": url}).to_string(),
        ),
        ("arn:cloudinary-plain".to_string(), url.clone()),
        ("arn:not-json".to_string(), format!("password={password}")),
        (
            "arn:bad-url".to_string(),
            format!("cloudinary://{API_KEY}:{api_secret}@bad cloud"),
        ),
        ("arn:no-url".to_string(), json!({"URL": url}).to_string()),
    ]));
    let https_url = format!("https://{API_KEY}:{api_secret}@{CLOUD}");
    let mut returned = Returned::default();

    // Plain variables, then secrets by ARN: the secrets are read, and never shown.
    let plain = config::load(
        lookup(&[
            ("NEO4J_URI", "bolt://127.0.0.1:7687"),
            ("NEO4J_PASSWORD", &password),
            ("CLOUDINARY_URL", &url),
        ]),
        &store,
    )
    .await
    .expect("plain variables");
    let by_arn = config::load(
        lookup(&[
            ("ORK_NEO4J_SECRET_ARN", "arn:neo4j"),
            ("ORK_CLOUDINARY_SECRET_ARN", "arn:cloudinary"),
        ]),
        &store,
    )
    .await
    .expect("secrets by ARN");
    let plain_arn = config::load(
        lookup(&[
            ("ORK_NEO4J_SECRET_ARN", "arn:neo4j"),
            ("ORK_CLOUDINARY_SECRET_ARN", "arn:cloudinary-plain"),
        ]),
        &store,
    )
    .await
    .expect("a plain Cloudinary secret");
    for c in [&plain, &by_arn, &plain_arn] {
        assert_eq!(c.graph.password, password);
        assert_eq!(c.cloudinary.api_secret.expose(), api_secret);
        tracing::info!(config = ?c, graph = ?c.graph, cloudinary = %c.cloudinary, "configuration loaded from lookups");
        returned.0.push(format!(
            "{c:?} {:?} {:?} {} {:?}",
            c.graph, c.cloudinary, c.cloudinary, c.cloudinary.api_secret
        ));
    }

    // Every way the configuration can be wrong.
    let failures: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "missing secret",
            vec![("ORK_NEO4J_SECRET_ARN", "arn:missing")],
        ),
        ("not JSON", vec![("ORK_NEO4J_SECRET_ARN", "arn:not-json")]),
        (
            "bad Cloudinary URL in a secret",
            vec![
                ("ORK_NEO4J_SECRET_ARN", "arn:neo4j"),
                ("ORK_CLOUDINARY_SECRET_ARN", "arn:bad-url"),
            ],
        ),
        (
            "JSON secret without CLOUDINARY_URL",
            vec![
                ("ORK_NEO4J_SECRET_ARN", "arn:neo4j"),
                ("ORK_CLOUDINARY_SECRET_ARN", "arn:no-url"),
            ],
        ),
        (
            "URL without the cloudinary scheme",
            vec![
                ("ORK_NEO4J_SECRET_ARN", "arn:neo4j"),
                ("CLOUDINARY_URL", &https_url),
            ],
        ),
        (
            "no password",
            vec![("NEO4J_URI", "bolt://h"), ("CLOUDINARY_URL", &url)],
        ),
        ("nothing", vec![]),
    ];
    for (what, vars) in &failures {
        let err: ConfigError = config::load(lookup(vars), &store).await.expect_err(what);
        tracing::error!(error = %err, what, "configuration failed from lookups");
        returned.error(&err);
    }
    for bad in [
        format!("cloudinary://{API_KEY}:{api_secret}@bad cloud"),
        format!("cloudinary://{API_KEY}:{api_secret}"),
        format!("https://{API_KEY}:{api_secret}@{CLOUD}"),
        format!("cloudinary://{API_KEY}:{api_secret}%zz@{CLOUD}"),
    ] {
        returned.error(&CloudinaryConfig::from_url(&bad).expect_err(&bad));
    }

    for r in &returned.0 {
        secrets.assert_absent("a configuration or error", r);
    }
    let text = log.text();
    secrets.assert_absent("the log", &text);
    assert_eq!(
        events("configuration loaded from lookups", None).len(),
        3,
        "{text}"
    );
    assert!(
        events("configuration failed from lookups", None).len() >= failures.len(),
        "{text}"
    );
    assert!(
        text.contains("<redacted>"),
        "the Debug impls redact: {text}"
    );
}

fn render_small() -> PipelineConfig {
    PipelineConfig {
        render: RenderConfig {
            width_px: 600,
            thumb_width_px: 150,
            ..RenderConfig::default()
        },
        ..PipelineConfig::default()
    }
}

fn handler<S: ObjectSource, I: ImageStore>(
    source: S,
    graph: GraphConfig,
    images: I,
) -> Handler<S, LazyNeo4j, I> {
    Handler {
        source,
        graph: LazyNeo4j::new(graph),
        images,
        config: render_small(),
        function_name: "ork-secrets".into(),
    }
}

/// Fast retries, so that the failure paths do not take long.
fn quick(mut c: CloudinaryConfig) -> CloudinaryConfig {
    c.max_attempts = 2;
    c.base_delay = Duration::from_millis(5);
    c.max_delay = Duration::from_secs(1);
    c.timeout = Duration::from_secs(10);
    c
}

/// The Lambda as bootstrap builds it (secrets from Secrets Manager, clients from the AWS
/// environment, the lazily connected graph), through success and failure paths.
#[test]
fn the_lambda_never_logs_a_secret() {
    let test = "the_lambda_never_logs_a_secret";
    let Some(s3_endpoint) = std::env::var("AWS_ENDPOINT_URL_S3").ok() else {
        eprintln!(
            "SKIPPED {test}: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)"
        );
        return;
    };
    let Some(graph_env) = GraphConfig::from_env().expect("graph settings") else {
        eprintln!("SKIPPED {test}: NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)");
        return;
    };
    let n = nonce();
    let aws_secret = format!("test-secret-aws-{n}");
    // This is the only test of this binary that reads the process environment, and the
    // variables are set before any client (or runtime thread) exists.
    std::env::set_var("AWS_SECRET_ACCESS_KEY", &aws_secret);
    std::env::set_var("AWS_ENDPOINT_URL_SECRETS_MANAGER", &s3_endpoint);
    std::env::set_var(
        "CLOUDINARY_URL",
        format!("cloudinary://{API_KEY}:{CLOUDINARY_SECRET}@{CLOUD}"),
    );
    log();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(lambda_paths(graph_env, aws_secret, n));
}

async fn lambda_paths(graph_env: GraphConfig, aws_secret: String, n: String) {
    let Some(stub) = Stub::start() else { return };
    ork_processor::lambda::install_crypto_provider();
    let wrong_password = format!("test-secret-neo4j-{n}");
    let wrong_api_secret = format!("test-secret-cloudinary-{n}");
    let secrets = Secrets(vec![
        ("the Neo4j password", graph_env.password.clone()),
        ("the wrong Neo4j password", wrong_password.clone()),
        ("the Cloudinary API secret", CLOUDINARY_SECRET.to_string()),
        ("the wrong Cloudinary API secret", wrong_api_secret.clone()),
        ("the AWS secret access key", aws_secret.clone()),
    ]);
    let mut returned = Returned::default();

    // Cold start as bootstrap does it: secrets by ARN from Secrets Manager (moto).
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let sm = aws_sdk_secretsmanager::Client::new(&shared);
    let mut arns = HashMap::new();
    for (name, value) in [
        (
            "neo4j",
            json!({"NEO4J_URI": graph_env.uri, "NEO4J_USER": graph_env.user,
                "NEO4J_PASSWORD": graph_env.password, "NEO4J_DATABASE": graph_env.database})
            .to_string(),
        ),
        (
            "cloudinary",
            json!({"CLOUDINARY_URL": format!("cloudinary://{API_KEY}:{CLOUDINARY_SECRET}@{CLOUD}")})
                .to_string(),
        ),
        ("not-json", format!("password {}", graph_env.password)),
    ] {
        let out = sm
            .create_secret()
            .name(format!("ork-secrets-test/{name}-{n}"))
            .secret_string(value)
            .send()
            .await
            .expect("create the secret in moto");
        arns.insert(name, out.arn().expect("ARN").to_string());
    }
    let secrets_manager = SecretsManager(sm);
    let env = |extra: Vec<(&'static str, String)>| {
        move |k: &str| {
            extra
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.clone())
                .or_else(|| match k {
                    // Only the secrets provide these.
                    "NEO4J_URI" | "NEO4J_USER" | "NEO4J_PASSWORD" | "CLOUDINARY_URL" => None,
                    _ => std::env::var(k).ok(),
                })
        }
    };
    // From the environment alone, as bootstrap reads it.
    let from_env = config::load(|k: &str| std::env::var(k).ok(), &secrets_manager)
        .await
        .expect("configuration from the environment");
    assert_eq!(from_env.graph.password, graph_env.password);
    assert_eq!(from_env.cloudinary.api_secret.expose(), CLOUDINARY_SECRET);
    tracing::info!(config = ?from_env, "configuration loaded");
    returned.0.push(format!("{from_env:?}"));
    // From Secrets Manager, as in production.
    let settings: LambdaConfig = config::load(
        env(vec![
            ("ORK_NEO4J_SECRET_ARN", arns["neo4j"].clone()),
            ("ORK_CLOUDINARY_SECRET_ARN", arns["cloudinary"].clone()),
            ("CLOUDINARY_API_BASE", stub.base.clone()),
        ]),
        &secrets_manager,
    )
    .await
    .expect("configuration from Secrets Manager");
    assert_eq!(settings.graph.password, graph_env.password);
    assert_eq!(settings.cloudinary.api_secret.expose(), CLOUDINARY_SECRET);
    tracing::info!(config = ?settings, "configuration loaded");
    returned.0.push(format!("{settings:?}"));
    for (what, vars) in [
        (
            "a missing secret",
            vec![(
                "ORK_NEO4J_SECRET_ARN",
                format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-{n}"),
            )],
        ),
        (
            "a secret that is not JSON",
            vec![("ORK_NEO4J_SECRET_ARN", arns["not-json"].clone())],
        ),
    ] {
        let err = config::load(env(vars), &secrets_manager)
            .await
            .expect_err(what);
        tracing::error!(error = %err, "configuration failed");
        returned.error(&err);
    }

    // The handler, built as bootstrap builds it.
    let bucket = format!("ork-secrets-{n}");
    let (source, s3) = common::local_bucket(&bucket).await;
    let put = |key: &'static str, file: &'static str| {
        let s3 = s3.clone();
        let bucket = bucket.clone();
        async move {
            s3.put_object()
                .bucket(&bucket)
                .key(key)
                .body(std::fs::read(common::testdata(file)).unwrap().into())
                .send()
                .await
                .expect("put object");
        }
    };
    let images = CloudinaryStore::new(quick(settings.cloudinary.clone())).expect("store");
    let good = handler(source.clone(), settings.graph.clone(), images.clone());
    let created = |key: &str| common::s3_event("ObjectCreated:Put", &bucket, key);

    // Success: written; the same bytes again: unchanged; not a design: recorded invalid.
    put("uploads/sec-ok.ork", "minimal.ork").await;
    put("uploads/sec-invalid.ork", "bad-random.ork").await;
    for (request_id, key, want) in [
        ("sec-written", "uploads/sec-ok.ork", "written"),
        ("sec-unchanged", "uploads/sec-ok.ork", "unchanged"),
        ("sec-invalid", "uploads/sec-invalid.ork", "invalid"),
    ] {
        let r = good.handle(&created(key), request_id).await;
        returned.invocation(&r);
        assert_eq!(r.expect(request_id).records[0].outcome, want);
    }

    // The object deleted between the event and the GET: skipped as gone, and logged so.
    let r = good
        .handle(&created("uploads/sec-gone.ork"), "sec-gone")
        .await;
    returned.invocation(&r);
    assert_eq!(r.expect("gone").records[0].outcome, "gone");
    let gone = events("object processed", Some("sec-gone"));
    assert_eq!(gone.len(), 1, "{}", log().text());
    assert_eq!(gone[0]["level"], "INFO", "{}", gone[0]);
    assert_eq!(gone[0]["fields"]["outcome"], "gone", "{}", gone[0]);
    assert_eq!(gone[0]["fields"]["key"], "uploads/sec-gone.ork");
    assert_eq!(gone[0]["fields"]["bucket"], bucket.as_str());

    // Cloudinary failing for good: a transient failure of the record.
    put("uploads/sec-500.ork", "format-1.8-axialoffset.ork").await;
    stub.control(json!({"fail_always": 500})).await;
    let r = good
        .handle(&created("uploads/sec-500.ork"), "sec-500")
        .await;
    stub.control(json!({"fail_always": null})).await;
    returned.invocation(&r);
    assert!(r.is_err(), "{r:?}");

    // The wrong Cloudinary secret: the stub refuses the signature.
    let wrong_images = CloudinaryStore::new(quick(stub.config(&wrong_api_secret))).expect("store");
    let r = handler(source.clone(), settings.graph.clone(), wrong_images)
        .handle(&created("uploads/sec-500.ork"), "sec-cloudinary-secret")
        .await;
    returned.invocation(&r);
    assert!(r.is_err(), "{r:?}");

    // The wrong Neo4j password: the graph refuses the credentials.
    let mut wrong_graph = settings.graph.clone();
    wrong_graph.password = wrong_password.clone();
    let r = handler(source.clone(), wrong_graph.clone(), images.clone())
        .handle(&created("uploads/sec-ok.ork"), "sec-neo4j-password")
        .await;
    returned.invocation(&r);
    assert!(r.is_err(), "{r:?}");
    let err = Neo4jSink::connect(wrong_graph.clone())
        .await
        .expect_err("wrong password");
    tracing::error!(error = %err, config = ?wrong_graph, "graph connection failed");
    returned.error(&err);

    // S3 unreachable (the request is still signed with the secret key).
    let unreachable = aws_sdk_s3::config::Builder::from(&shared)
        .endpoint_url("http://127.0.0.1:9")
        .force_path_style(true)
        .build();
    let r = handler(
        S3Source::new(aws_sdk_s3::Client::from_conf(unreachable)),
        settings.graph.clone(),
        images.clone(),
    )
    .handle(&created("uploads/sec-ok.ork"), "sec-s3")
    .await;
    returned.invocation(&r);
    assert!(r.is_err(), "{r:?}");

    // A late delete event for a key that holds an object again: that object is processed.
    let r = good
        .handle(
            &common::s3_event("ObjectRemoved:Delete", &bucket, "uploads/sec-500.ork"),
            "sec-removed-reuploaded",
        )
        .await;
    returned.invocation(&r);
    assert_eq!(r.expect("re-uploaded").records[0].outcome, "written");

    // Removal: the design and its images go.
    s3.delete_object()
        .bucket(&bucket)
        .key("uploads/sec-ok.ork")
        .send()
        .await
        .expect("delete object");
    let r = good
        .handle(
            &common::s3_event("ObjectRemoved:Delete", &bucket, "uploads/sec-ok.ork"),
            "sec-removed",
        )
        .await;
    returned.invocation(&r);
    assert_eq!(r.expect("removed").records[0].outcome, "deleted");
    let cleanup = LazyNeo4j::new(settings.graph.clone());
    for key in ["uploads/sec-invalid.ork", "uploads/sec-500.ork"] {
        cleanup
            .delete_design(&ork_processor::graph::design_id(&bucket, key), None)
            .await
            .expect("clean up");
    }

    // What was returned, and what was logged, holds no secret.
    for r in &returned.0 {
        secrets.assert_absent("a returned value or error", r);
    }
    let text = log().text();
    secrets.assert_absent("the log", &text);

    // The log is not silent: the events of every path are there, and low levels too.
    for (request_id, outcome) in [
        ("sec-written", "written"),
        ("sec-unchanged", "unchanged"),
        ("sec-invalid", "invalid"),
    ] {
        let e = events("object processed", Some(request_id));
        assert_eq!(e.len(), 1, "{request_id}: {text}");
        assert_eq!(e[0]["fields"]["outcome"], outcome);
    }
    assert_eq!(events("object removed", Some("sec-removed")).len(), 1);
    for (request_id, class, transient) in [
        ("sec-500", "images", true),
        ("sec-cloudinary-secret", "images", false),
        ("sec-neo4j-password", "graph", false),
        ("sec-s3", "source", true),
    ] {
        let e = events("record failed", Some(request_id));
        assert_eq!(e.len(), 1, "{request_id}: {text}");
        assert_eq!(e[0]["fields"]["class"], class, "{}", e[0]);
        assert_eq!(e[0]["fields"]["transient"], transient, "{}", e[0]);
    }
    assert!(events("configuration loaded", None).len() >= 2);
    let levels: std::collections::BTreeMap<String, usize> =
        log().events().iter().fold(Default::default(), |mut m, e| {
            *m.entry(e["level"].as_str().unwrap_or("?").to_owned())
                .or_default() += 1;
            m
        });
    eprintln!(
        "the_lambda_never_logs_a_secret: {} bytes of log, events per level {levels:?}",
        text.len()
    );
    assert!(
        levels.contains_key("DEBUG") && levels.contains_key("TRACE"),
        "{levels:?}"
    );
}
