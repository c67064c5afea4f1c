//! Helpers shared by the integration tests: where the shared corpus is, and an independent way
//! to get at a file's XML (zip / gzip / plain) that does not go through the reader under test.

#![allow(dead_code)]

pub mod http_faults;
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

/// The live graph database of `NEO4J_*` with its schema, or `None` after printing why the test
/// skips (no server configured).
pub async fn live_graph(test: &str) -> Option<ork_processor::graph::Neo4jSink> {
    use ork_processor::graph::{GraphConfig, GraphSink, Neo4jSink};
    let config = match GraphConfig::from_env() {
        Ok(Some(c)) => c,
        Ok(None) => {
            eprintln!("SKIPPED {test}: NEO4J_URI is not set (start infra/local/neo4j.sh)");
            return None;
        }
        Err(e) => panic!("{test}: {e}"),
    };
    let sink = Neo4jSink::connect(config)
        .await
        .unwrap_or_else(|e| panic!("{test}: connect: {e}"));
    sink.ensure_schema().await.expect("schema");
    Some(sink)
}

/// An S3 notification for one object (the key needs no URL-encoding).
pub fn s3_event(name: &str, bucket: &str, key: &str) -> aws_lambda_events::event::s3::S3Event {
    serde_json::from_value(serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-25T12:00:00.000Z",
            "eventName": name,
            "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
            "requestParameters": {"sourceIPAddress": "203.0.113.7"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "x"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "ork-uploads",
                "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": key, "sequencer": "0066A1B2C3D4E5F601"}
            }
        }]
    }))
    .expect("S3 event")
}

/// Everything this test binary logs from now on, from every thread, in the Lambda's JSON
/// format, at `level` and above. The first call sets the binary's global subscriber; later
/// calls return the same log (their `level` is ignored).
pub fn global_log(level: &str) -> &'static ork_processor::lambda::logs::MemoryLog {
    use ork_processor::lambda::logs::{self, MemoryLog};
    static LOG: std::sync::OnceLock<MemoryLog> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = MemoryLog::new();
        tracing::subscriber::set_global_default(logs::subscriber(
            log.clone(),
            tracing_subscriber::EnvFilter::new(level),
        ))
        .expect("the only global subscriber of this binary");
        log
    })
}

/// The S3 adapter and a client for the local S3 server (`AWS_ENDPOINT_URL_S3`, path-style),
/// with a new bucket of that name.
pub async fn local_bucket(
    bucket: &str,
) -> (ork_processor::lambda::s3::S3Source, aws_sdk_s3::Client) {
    let source = ork_processor::lambda::s3::S3Source::from_env(true).await;
    let s3 = source.client().clone();
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    (source, s3)
}

/// A client for moto's SQS (served on the S3 endpoint `endpoint`) and a new queue of that
/// name; returns the client and the queue URL.
pub async fn local_queue(endpoint: &str, name: &str) -> (aws_sdk_sqs::Client, String) {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let sqs = aws_sdk_sqs::Client::new(&shared);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("queue")
        .queue_url()
        .expect("queue url")
        .to_string();
    (sqs, url)
}
