//! S3 Batch Operations through the handler: the result code of every kind of task, with
//! in-memory ports (written, unchanged, invalid, forced, superseded version, missing key,
//! not an `.ork` key, undecodable key, over the size limit, transient and permanent
//! failures); then the replay fixtures `testdata/events/batch-v*.json` and a versioned bucket
//! on the local S3 server with the graph server (skipped with a message when they are not
//! configured; `infra/local/test.sh` starts both), and a manifest written to S3 and read back.

mod common;

use common::stub::Stub;
use ork_processor::bucket::manifest::{self, ManifestEntry, ManifestTarget};
use ork_processor::events::batch::{BatchEvent, ResultCode, TaskResult};
use ork_processor::events::invocation::Incoming;
use ork_processor::graph::{self, GraphConfig, GraphSink, MemorySink, Neo4jSink};
use ork_processor::lambda::handler::{Handler, Response};
use ork_processor::pipeline::{
    FetchedObject, MemorySource, ObjectHead, ObjectSource, PipelineConfig, SourceError,
};
use ork_processor::publish::{MemoryStore, PublishError};
use serde_json::json;

const BUCKET: &str = "b";

/// A memory source whose keys report a current version id, as a versioned bucket does.
struct Versioned {
    inner: MemorySource,
    current: &'static str,
}

impl ObjectSource for Versioned {
    async fn fetch(&self, b: &str, k: &str, max: u64) -> Result<FetchedObject, SourceError> {
        let mut f = self.inner.fetch(b, k, max).await?;
        f.version_id = Some(self.current.into());
        Ok(f)
    }

    async fn head(&self, b: &str, k: &str) -> Result<Option<ObjectHead>, SourceError> {
        let head = self.inner.head(b, k).await?;
        Ok(head.map(|h| ObjectHead {
            version_id: Some(self.current.into()),
            ..h
        }))
    }
}

fn handler(limit: u64) -> Handler<Versioned, MemorySink, MemoryStore> {
    let source = MemorySource::new();
    let good = std::fs::read(common::testdata("minimal.ork")).unwrap();
    assert!((good.len() as u64) < limit);
    source.put(BUCKET, "uploads/good.ork", good.clone());
    source.put(BUCKET, "uploads/my rocket+v2 (1).ork", good);
    source.put(
        BUCKET,
        "uploads/bad.ork",
        std::fs::read(common::testdata("bad-random.ork")).unwrap(),
    );
    source.put(BUCKET, "uploads/big.ork", vec![b'x'; limit as usize + 1]);
    source.put(BUCKET, "uploads/readme.txt", b"not a design".to_vec());
    let mut config = PipelineConfig::default();
    config.parse.limits.max_input_bytes = limit;
    config.render.width_px = 400;
    config.render.thumb_width_px = 100;
    Handler {
        source: Versioned {
            inner: source,
            current: "v2",
        },
        graph: MemorySink::new(),
        images: MemoryStore::new("designs"),
        config,
        function_name: "ork-batch-test".into(),
    }
}

/// A schema 2.0 event of one task.
fn event(key: &str, version: Option<&str>, force: bool) -> BatchEvent {
    let mut job = json!({"id": "job-1"});
    if force {
        job["userArguments"] = json!({"force": "true"});
    }
    serde_json::from_value(json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": "inv-1",
        "job": job,
        "tasks": [{"taskId": "task-1", "s3Bucket": BUCKET, "s3Key": key, "s3VersionId": version}]
    }))
    .unwrap()
}

/// One task through the handler: its result code, and the start of its result string.
async fn check<S: ObjectSource>(
    handler: &Handler<S, MemorySink, MemoryStore>,
    (key, version, force): (&str, Option<&str>, bool),
    (code, result): (ResultCode, &str),
) {
    let e = event(key, version, force);
    let response = handler.handle_batch(&e, "req").await;
    assert_eq!(response.invocation_id, "inv-1");
    assert_eq!(response.invocation_schema_version, "2.0");
    assert_eq!(response.treat_missing_keys_as, "PermanentFailure");
    let [TaskResult {
        task_id,
        result_code,
        result_string,
    }] = response.results.as_slice()
    else {
        panic!("{key}: one result per task: {response:?}")
    };
    assert_eq!(task_id, "task-1");
    assert_eq!(
        (
            *result_code,
            &result_string[..result.len().min(result_string.len())]
        ),
        (code, result),
        "{key}: {result_string}"
    );
}

fn stored(handler: &Handler<Versioned, MemorySink, MemoryStore>, key: &str) -> Option<String> {
    let g = handler.graph.design(&graph::design_id(BUCKET, key))?;
    Some(g.status().to_string())
}

#[tokio::test]
async fn every_kind_of_task_gets_its_result_code() {
    use ResultCode::*;
    let h = handler(64 * 1024);
    // Processed: written, then unchanged; forced by the job's user arguments: written again.
    check(
        &h,
        ("uploads/good.ork", None, false),
        (Succeeded, "written"),
    )
    .await;
    assert_eq!(stored(&h, "uploads/good.ork").as_deref(), Some("ok"));
    check(
        &h,
        ("uploads/good.ork", None, false),
        (Succeeded, "unchanged"),
    )
    .await;
    check(&h, ("uploads/good.ork", None, true), (Succeeded, "written")).await;
    // The key's current version, or an older one (not processed: the graph keeps describing
    // the current object).
    check(
        &h,
        ("uploads/good.ork", Some("v2"), false),
        (Succeeded, "unchanged"),
    )
    .await;
    check(
        &h,
        ("uploads/my+rocket%2Bv2+%281%29.ork", Some("v1"), false),
        (Succeeded, "superseded by version v2"),
    )
    .await;
    assert_eq!(stored(&h, "uploads/my rocket+v2 (1).ork"), None);
    check(
        &h,
        ("uploads/my%20rocket%2Bv2%20%281%29.ork", Some("v2"), false),
        (Succeeded, "written"),
    )
    .await;
    // Not a design: recorded, and done.
    check(
        &h,
        ("uploads/bad.ork", None, false),
        (Succeeded, "invalid: "),
    )
    .await;
    assert_eq!(stored(&h, "uploads/bad.ork").as_deref(), Some("invalid"));
    // Refused for good.
    check(
        &h,
        ("uploads/big.ork", None, false),
        (PermanentFailure, "input is 65537 bytes"),
    )
    .await;
    check(
        &h,
        ("uploads/missing.ork", None, false),
        (PermanentFailure, "the key holds no object"),
    )
    .await;
    check(
        &h,
        ("uploads/missing.ork", Some("v1"), false),
        (PermanentFailure, "the key holds no object"),
    )
    .await;
    check(
        &h,
        ("uploads/readme.txt", None, false),
        (PermanentFailure, "not an .ork key"),
    )
    .await;
    check(
        &h,
        ("uploads/bad%zz.ork", None, false),
        (PermanentFailure, "bad percent-escape"),
    )
    .await;
    // Cloudinary throttling or down: S3 retries the task.
    for status in [429, 503] {
        h.images.fail_next([PublishError::Api {
            operation: "upload",
            status,
            message: "slow down".into(),
            attempts: 3,
        }]);
        check(
            &h,
            ("uploads/good.ork", None, true),
            (
                TemporaryFailure,
                "publishing images: Cloudinary upload failed",
            ),
        )
        .await;
    }
    // Needs someone to act (a wrong API secret, a graph that refuses): permanent, with why.
    h.images.fail_next([PublishError::Api {
        operation: "upload",
        status: 401,
        message: "invalid signature".into(),
        attempts: 1,
    }]);
    check(
        &h,
        ("uploads/good.ork", None, true),
        (
            PermanentFailure,
            "publishing images: Cloudinary upload failed with HTTP 401",
        ),
    )
    .await;
    h.graph.fail_next(1);
    check(
        &h,
        ("uploads/good.ork", None, true),
        (PermanentFailure, "writing the graph: injected failure"),
    )
    .await;
    // And it still works afterwards.
    check(&h, ("uploads/good.ork", None, true), (Succeeded, "written")).await;
}

#[tokio::test]
async fn a_batch_of_tasks_is_answered_in_order_and_never_fails_the_invocation() {
    let h = handler(64 * 1024);
    let incoming: Incoming = serde_json::from_value(json!({
        "invocationSchemaVersion": "1.0",
        "invocationId": "inv-2",
        "job": {"id": "job-2"},
        "tasks": [
            {"taskId": "t1", "s3BucketArn": "arn:aws:s3:::b", "s3Key": "uploads/good.ork"},
            {"taskId": "t2", "s3BucketArn": "arn:aws:s3:::b", "s3Key": "uploads/gone.ork"},
            {"taskId": "t3", "s3BucketArn": "arn:aws:s3:::b", "s3Key": "uploads/readme.txt"},
        ]
    }))
    .unwrap();
    h.graph.fail_next(100);
    let Ok(Response::Batch(response)) = h.handle_incoming(&incoming, "req").await else {
        panic!("a batch event is answered, whatever its tasks")
    };
    let codes: Vec<(&str, ResultCode)> = response
        .results
        .iter()
        .map(|r| (r.task_id.as_str(), r.result_code))
        .collect();
    assert_eq!(
        codes,
        [
            ("t1", ResultCode::PermanentFailure),
            ("t2", ResultCode::PermanentFailure),
            ("t3", ResultCode::PermanentFailure),
        ]
    );
    // The answer, as the runtime sends it back.
    let text = serde_json::to_value(Response::Batch(response)).unwrap();
    assert_eq!(text["invocationSchemaVersion"], "1.0");
    assert_eq!(text["treatMissingKeysAs"], "PermanentFailure");
    assert_eq!(text["results"][0]["taskId"], "t1");
    assert!(text["results"][1]["resultString"].is_string());
}

/// The object behind each fixture key: a corpus file when the corpus is there, else a
/// fixture of our own (as `infra/local/replay.sh` uploads them).
fn body_for(key: &str) -> Vec<u8> {
    let name = key.rsplit('/').next().unwrap_or(key);
    if name == "not-a-rocket.ork" {
        return std::fs::read(common::testdata("bad-random.ork")).unwrap();
    }
    common::corpus_dir()
        .map(|d| d.join("openrocket-examples").join(name))
        .filter(|p| p.is_file())
        .map(|p| std::fs::read(p).unwrap())
        .unwrap_or_else(|| std::fs::read(common::testdata("zipped.ork")).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_fixtures_and_versions_on_local_servers() {
    if std::env::var("AWS_ENDPOINT_URL_S3").is_err() {
        eprintln!("SKIPPED batch_fixtures_and_versions_on_local_servers: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)");
        return;
    }
    let Some(graph_config) = GraphConfig::from_env().unwrap() else {
        eprintln!("SKIPPED batch_fixtures_and_versions_on_local_servers: NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)");
        return;
    };
    let Some(stub) = Stub::start() else { return };
    ork_processor::lambda::install_crypto_provider();

    let bucket = format!("ork-batch-{}", std::process::id());
    let (source, s3) = common::local_bucket(&bucket).await;
    let mut config = PipelineConfig::default();
    config.render.width_px = 800;
    config.render.thumb_width_px = 200;
    let sink = Neo4jSink::connect(graph_config.clone())
        .await
        .expect("graph");
    sink.ensure_schema().await.unwrap();
    let handler = Handler {
        source,
        graph: Neo4jSink::connect(graph_config).await.expect("graph"),
        images: stub.store(),
        config,
        function_name: "ork-batch-e2e".into(),
    };

    // The replay fixtures: every task answered, the designs present written, the missing and
    // non-.ork keys permanent failures.
    let mut keys = Vec::new();
    for name in ["batch-v1.json", "batch-v2.json"] {
        let text = std::fs::read_to_string(common::testdata(&format!("events/{name}"))).unwrap();
        let incoming: Incoming = serde_json::from_str(&text.replace("ork-designs", &bucket))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let Incoming::Batch(event) = &incoming else {
            panic!("{name} is a batch event")
        };
        for task in &event.tasks {
            let raw = task.s3_key.as_deref().unwrap();
            let key = ork_processor::events::key::decode_key(raw).unwrap();
            if key.ends_with(".ork") && !key.contains("/missing/") {
                s3.put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(body_for(&key).into())
                    .send()
                    .await
                    .expect("put object");
                keys.push(key);
            }
        }
        let Ok(Response::Batch(response)) = handler.handle_incoming(&incoming, "req").await else {
            panic!("{name}: a batch response")
        };
        assert_eq!(response.results.len(), event.tasks.len(), "{name}");
        for (task, result) in event.tasks.iter().zip(&response.results) {
            let raw = task.s3_key.as_deref().unwrap();
            let want = if raw.ends_with(".ork") && !raw.contains("/missing/") {
                ResultCode::Succeeded
            } else {
                ResultCode::PermanentFailure
            };
            assert_eq!(result.task_id, task.task_id);
            assert_eq!(result.result_code, want, "{name} {raw}: {result:?}");
        }
    }
    assert_eq!(keys.len(), 3);
    for key in &keys {
        let id = graph::design_id(&bucket, key);
        let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
        assert_eq!(stored.len(), 1, "{key} written");
    }

    // A versioned bucket: a task for the key's current version is processed, one for an
    // older version is not.
    let versioned = format!("ork-batch-v-{}", std::process::id());
    s3.create_bucket().bucket(&versioned).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&versioned)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let key = "uploads/Versioned rocket.ork";
    let mut versions = Vec::new();
    for body in ["bad-random.ork", "zipped.ork"] {
        let out = s3
            .put_object()
            .bucket(&versioned)
            .key(key)
            .body(std::fs::read(common::testdata(body)).unwrap().into())
            .send()
            .await
            .unwrap();
        versions.push(out.version_id().expect("a version id").to_string());
    }
    let task = |version: &str| -> Incoming {
        serde_json::from_value(json!({
            "invocationSchemaVersion": "2.0", "invocationId": "i", "job": {"id": "j"},
            "tasks": [{"taskId": "t", "s3Bucket": versioned, "s3Key": "uploads/Versioned%20rocket.ork", "s3VersionId": version}]
        }))
        .unwrap()
    };
    let answer = |r: Result<Response, _>| match r {
        Ok(Response::Batch(b)) => b.results.into_iter().next().unwrap(),
        other => panic!("{other:?}"),
    };
    let old = answer(handler.handle_incoming(&task(&versions[0]), "r1").await);
    assert_eq!(old.result_code, ResultCode::Succeeded);
    assert!(
        old.result_string
            .starts_with(&format!("superseded by version {}", versions[1])),
        "{old:?}"
    );
    let id = graph::design_id(&versioned, key);
    assert!(sink
        .stored(std::slice::from_ref(&id))
        .await
        .unwrap()
        .is_empty());
    let current = answer(handler.handle_incoming(&task(&versions[1]), "r2").await);
    assert_eq!(
        (current.result_code, current.result_string.as_str()),
        (ResultCode::Succeeded, "written")
    );
    let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(stored[0].status, "ok");

    // A manifest written to S3 reads back whole, with its ETag, and lists current versions.
    let entries = vec![
        ManifestEntry {
            bucket: versioned.clone(),
            key: key.into(),
            version_id: Some(versions[1].clone()),
        },
        ManifestEntry {
            bucket: versioned.clone(),
            key: "uploads/+ 100% Höhe.ork".into(),
            version_id: None,
        },
    ];
    let target = ManifestTarget::parse(&format!("s3://{bucket}/batch/manifests/run.csv")).unwrap();
    let written = manifest::write(&target, &manifest::to_csv(&entries), &s3)
        .await
        .unwrap()
        .expect("an S3 manifest");
    assert!(!written.etag.is_empty() && !written.etag.contains('"'));
    let body = s3
        .get_object()
        .bucket(&bucket)
        .key("batch/manifests/run.csv")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(manifest::parse_csv(&text).unwrap(), entries);
    let current_versions = manifest::current_versions(&s3, &versioned, "uploads/")
        .await
        .unwrap();
    assert_eq!(current_versions.get(key), Some(&versions[1]));

    for key in keys {
        sink.delete_design(&graph::design_id(&bucket, &key), None)
            .await
            .unwrap();
    }
    sink.delete_design(&id, None).await.unwrap();
}

/// `ork reprocess --manifest-out` and `--create-job --dry-run` as an operator runs them: the
/// manifest of the bucket's `.ork` keys (to a file, then to S3), and the request printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_writes_manifests_and_prints_the_job_request() {
    if std::env::var("AWS_ENDPOINT_URL_S3").is_err() {
        eprintln!("SKIPPED the_cli_writes_manifests_and_prints_the_job_request: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)");
        return;
    }
    let bucket = format!("ork-batch-cli-{}", std::process::id());
    let (_, s3) = common::local_bucket(&bucket).await;
    let keys = [
        "uploads/a b.ork",
        "uploads/+100% Höhe.ork",
        "uploads/notes.txt",
    ];
    for key in keys {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(b"x".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let dir = std::env::temp_dir().join(format!("ork-batch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ork = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ork"))
            .arg("reprocess")
            .args(["--bucket", &bucket, "--prefix", "uploads/", "--force"])
            .args(args)
            .output()
            .expect("ork runs");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
        stdout
    };
    let file = dir.join("manifest.csv");
    let out = ork(&["--manifest-out", file.to_str().unwrap()]);
    assert!(out.contains("manifest: 2 of 2 .ork objects"), "{out}");
    let mut got = manifest::parse_csv(&std::fs::read_to_string(&file).unwrap()).unwrap();
    got.sort_by(|a, b| a.key.cmp(&b.key));
    let want: Vec<ManifestEntry> = ["uploads/+100% Höhe.ork", "uploads/a b.ork"]
        .iter()
        .map(|k| ManifestEntry {
            bucket: bucket.clone(),
            key: k.to_string(),
            version_id: None,
        })
        .collect();
    assert_eq!(got, want);

    let out = ork(&[
        "--manifest-out",
        &format!("s3://{bucket}/batch/manifests/run.csv"),
        "--create-job",
        "--role-arn",
        "arn:aws:iam::123456789012:role/ork-batch",
        "--function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:ork",
        "--report",
        &format!("s3://{bucket}/batch/reports/"),
        "--dry-run",
    ]);
    let json_start = out.find('{').expect("the request as JSON");
    let request: serde_json::Value = serde_json::from_str(&out[json_start..]).unwrap();
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key("batch/manifests/run.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(
        request["Manifest"]["Location"],
        json!({
            "ObjectArn": format!("arn:aws:s3:::{bucket}/batch/manifests/run.csv"),
            "ETag": head.e_tag().unwrap().trim_matches('"'),
        })
    );
    assert_eq!(request["AccountId"], "123456789012");
    assert_eq!(
        request["Report"]["Bucket"],
        format!("arn:aws:s3:::{bucket}")
    );
    assert_eq!(request["Report"]["Prefix"], "batch/reports");
    assert_eq!(
        request["Operation"]["LambdaInvoke"]["UserArguments"],
        json!({"force": "true"})
    );
    let _ = std::fs::remove_dir_all(&dir);
}
