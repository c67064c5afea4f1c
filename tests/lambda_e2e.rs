//! The Lambda handler end to end, on real local servers: S3 (moto, `infra/local/s3.sh`), the
//! graph (Neo4j 5 over Bolt, `infra/local/neo4j.sh`) and the Cloudinary contract stub.
//! Skips with a message when the S3 or graph server is not configured (`infra/local/test.sh`
//! starts both).

mod common;

use aws_lambda_events::event::s3::S3Event;
use common::stub::Stub;
use ork_processor::graph::{self, GraphConfig, GraphSink, Neo4jSink, Statement};
use ork_processor::lambda::handler::Handler;
use ork_processor::pipeline::PipelineConfig;
use ork_processor::render::RenderConfig;
use serde_json::Value;

/// The object behind each fixture key: a corpus file when the corpus is there, else a
/// fixture of our own.
fn body_for(key: &str) -> Vec<u8> {
    let corpus = common::corpus_dir();
    let pick = |corpus_name: &str, fallback: &str| match &corpus {
        Some(dir) => std::fs::read(dir.join("openrocket-examples").join(corpus_name)).unwrap(),
        None => std::fs::read(common::testdata(fallback)).unwrap(),
    };
    match key {
        "uploads/A simple model rocket.ork" => {
            pick("A simple model rocket.ork", "all-components.ork")
        }
        "uploads/Tube fin rocket.ork" => pick("Tube fin rocket.ork", "format-1.8-axialoffset.ork"),
        "uploads/Clustered motors.ork" => pick("Clustered motors.ork", "gzipped.ork"),
        "uploads/my rocket+v2 (1).ork" => std::fs::read(common::testdata("zipped.ork")).unwrap(),
        "uploads/not-a-rocket.ork" => std::fs::read(common::testdata("bad-random.ork")).unwrap(),
        other => panic!("no body for {other}"),
    }
}

/// A fixture event, with its bucket renamed to the test's.
fn event(name: &str, bucket: &str) -> S3Event {
    let text = std::fs::read_to_string(common::testdata(&format!("events/{name}"))).unwrap();
    serde_json::from_str(&text.replace("ork-designs", bucket)).unwrap()
}

async fn design(
    sink: &Neo4jSink,
    bucket: &str,
    key: &str,
) -> Option<serde_json::Map<String, Value>> {
    let id = graph::design_id(bucket, key);
    let st = Statement::new("MATCH (d:Design {design_id: $id}) RETURN properties(d) AS p")
        .param("id", id);
    let rows = sink.query_rows(&st, &["p"]).await.unwrap();
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .and_then(|v| v.as_object().cloned())
}

async fn owned_nodes(sink: &Neo4jSink, bucket: &str, key: &str) -> i64 {
    let id = graph::design_id(bucket, key);
    let st = Statement::new("MATCH (n {design_id: $id}) RETURN count(n) AS n").param("id", id);
    let rows = sink.query_rows(&st, &["n"]).await.unwrap();
    rows[0][0].as_ref().and_then(Value::as_i64).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_events_end_to_end() {
    if std::env::var("AWS_ENDPOINT_URL_S3").is_err() {
        eprintln!("SKIPPED s3_events_end_to_end: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh starts a local S3)");
        return;
    }
    let Some(graph_config) = GraphConfig::from_env().unwrap() else {
        eprintln!("SKIPPED s3_events_end_to_end: NEO4J_URI is not set (infra/local/neo4j.sh starts a local graph database)");
        return;
    };
    let Some(stub) = Stub::start() else { return };
    ork_processor::lambda::install_crypto_provider();

    let bucket = format!("ork-e2e-{}", std::process::id());
    let (source, s3) = common::local_bucket(&bucket).await;
    for key in [
        "uploads/A simple model rocket.ork",
        "uploads/Tube fin rocket.ork",
        "uploads/Clustered motors.ork",
        "uploads/my rocket+v2 (1).ork",
        "uploads/not-a-rocket.ork",
    ] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(body_for(key).into())
            .send()
            .await
            .expect("put object");
    }

    let sink = Neo4jSink::connect(graph_config.clone())
        .await
        .expect("graph");
    sink.ensure_schema().await.unwrap();
    let config = PipelineConfig {
        render: RenderConfig {
            width_px: 800,
            thumb_width_px: 200,
            ..RenderConfig::default()
        },
        ..PipelineConfig::default()
    };
    let handler = Handler {
        source,
        graph: Neo4jSink::connect(graph_config).await.expect("graph"),
        images: stub.store(),
        config,
        function_name: "ork-e2e".into(),
    };

    // One record, a URL-encoded key, and an event with several records.
    for name in ["created.json", "url-encoded-key.json", "multi-record.json"] {
        let summary = handler
            .handle(&event(name, &bucket), "req-1")
            .await
            .expect(name);
        assert!(
            summary.records.iter().all(|r| r.outcome != "failed"),
            "{name}: {summary:?}"
        );
    }
    for key in [
        "uploads/A simple model rocket.ork",
        "uploads/Tube fin rocket.ork",
        "uploads/Clustered motors.ork",
        "uploads/my rocket+v2 (1).ork",
    ] {
        let d = design(&sink, &bucket, key)
            .await
            .unwrap_or_else(|| panic!("{key}: no design"));
        assert_eq!(d["status"], "ok", "{key}");
        assert_eq!(d["key"], key);
        assert_eq!(d["bucket"], bucket.as_str());
        for url in ["profile_url", "thumbnail_url", "svg_url"] {
            let u = d[url].as_str().unwrap_or_else(|| panic!("{key}: no {url}"));
            assert!(u.starts_with(&stub.base), "{key}: {url} = {u}");
        }
        assert!(
            d["stability_cal"].is_number(),
            "{key}: figures on the design"
        );
    }
    let bad = design(&sink, &bucket, "uploads/not-a-rocket.ork")
        .await
        .expect("invalid design recorded");
    assert_eq!(bad["status"], "invalid");
    assert!(bad["error"]
        .as_str()
        .unwrap()
        .contains("not an OpenRocket design"));

    // Every image upload carried a valid signature.
    let state = stub.state().await;
    let text = state.to_string();
    let simple = body_for("uploads/A simple model rocket.ork");
    let stored = design(&sink, &bucket, "uploads/A simple model rocket.ork")
        .await
        .expect("the simple design");
    let revision = stored["ork_revision"].as_str().expect("a revision");
    assert!(
        revision.starts_with(&format!(
            "{}-",
            ork_processor::publish::content_tag(&graph::sha256_hex(&simple))
        )),
        "{revision}"
    );
    let ids: Vec<String> = ["profile", "thumbnail", "svg"]
        .iter()
        .map(|k| {
            format!(
                "designs/{}/{revision}/{k}",
                graph::design_id(&bucket, "uploads/A simple model rocket.ork"),
            )
        })
        .collect();
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} uploaded: {text}");
    }
    assert_eq!(
        state["signatures"]["rejected"].as_u64().unwrap_or(0),
        0,
        "{text}"
    );
    assert!(
        state["signatures"]["verified"].as_u64().unwrap_or(0) >= 12,
        "{text}"
    );
    let served = stub
        .get(
            design(&sink, &bucket, "uploads/A simple model rocket.ork")
                .await
                .unwrap()["profile_url"]
                .as_str()
                .unwrap(),
        )
        .await;
    assert_eq!(served.0, 200);
    assert!(served.2.starts_with(b"\x89PNG"));

    // The same event again: the same graph and the same URLs.
    let before = design(&sink, &bucket, "uploads/A simple model rocket.ork")
        .await
        .unwrap();
    let summary = handler
        .handle(&event("created.json", &bucket), "req-2")
        .await
        .unwrap();
    assert_eq!(summary.records[0].outcome, "unchanged");
    let after = design(&sink, &bucket, "uploads/A simple model rocket.ork")
        .await
        .unwrap();
    assert_eq!(before, after);

    // Non-.ork keys are skipped.
    let summary = handler
        .handle(&event("non-ork.json", &bucket), "req-3")
        .await
        .unwrap();
    assert!(summary.records.iter().all(|r| r.outcome == "skipped"));

    // Removal: the design and its images are gone.
    s3.delete_object()
        .bucket(&bucket)
        .key("uploads/A simple model rocket.ork")
        .send()
        .await
        .unwrap();
    let summary = handler
        .handle(&event("removed.json", &bucket), "req-4")
        .await
        .unwrap();
    assert_eq!(summary.records[0].outcome, "deleted");
    assert!(design(&sink, &bucket, "uploads/A simple model rocket.ork")
        .await
        .is_none());
    assert_eq!(
        owned_nodes(&sink, &bucket, "uploads/A simple model rocket.ork").await,
        0
    );
    let state = stub.state().await.to_string();
    for id in &ids {
        assert!(
            !state.contains(&format!("\"{id}\"")),
            "{id} deleted: {state}"
        );
    }

    // A created event for an object already deleted: logged and skipped as gone.
    let summary = handler
        .handle(&event("created.json", &bucket), "req-5")
        .await
        .unwrap();
    assert_eq!(summary.records[0].outcome, "gone");

    // Cloudinary failing for good: the invocation fails (Lambda retries), nothing marked ok.
    stub.control(serde_json::json!({"fail_always": 500})).await;
    s3.put_object()
        .bucket(&bucket)
        .key("uploads/A simple model rocket.ork")
        .body(body_for("uploads/A simple model rocket.ork").into())
        .send()
        .await
        .unwrap();
    let err = handler
        .handle(&event("created.json", &bucket), "req-6")
        .await
        .unwrap_err();
    assert_eq!(err.failed, 1);
    assert!(design(&sink, &bucket, "uploads/A simple model rocket.ork")
        .await
        .is_none());
    stub.control(serde_json::json!({"fail_always": null})).await;

    for key in [
        "uploads/Tube fin rocket.ork",
        "uploads/Clustered motors.ork",
        "uploads/my rocket+v2 (1).ork",
        "uploads/not-a-rocket.ork",
    ] {
        sink.delete_design(&graph::design_id(&bucket, key), None)
            .await
            .unwrap();
    }
}
