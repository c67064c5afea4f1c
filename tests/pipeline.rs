//! The pipeline and the handler with in-memory ports: objects over the input limit are
//! recorded as invalid designs, and the event's own size refuses them without a download.

mod common;

use aws_lambda_events::event::s3::S3Event;
use ork_processor::graph::{self, MemorySink};
use ork_processor::lambda::handler::Handler;
use ork_processor::pipeline::{self, MemorySource, PipelineConfig, Ports, Processed, StageTimes};
use ork_processor::publish::MemoryStore;

fn small_limit(bytes: u64) -> PipelineConfig {
    let mut parse = ork_processor::ork::ParseOptions::default();
    parse.limits.max_input_bytes = bytes;
    PipelineConfig {
        parse,
        ..PipelineConfig::default()
    }
}

fn status(sink: &MemorySink, bucket: &str, key: &str) -> Option<String> {
    let g = sink.design(&graph::design_id(bucket, key))?;
    Some(g.status().to_string())
}

#[tokio::test]
async fn an_object_over_the_limit_is_recorded_invalid() {
    let source = MemorySource::new();
    let bytes = std::fs::read(common::testdata("minimal.ork")).unwrap();
    source.put("b", "uploads/big.ork", bytes.clone());
    source.put("b", "uploads/ok.ork", bytes);
    let (sink, images) = (MemorySink::new(), MemoryStore::new("designs"));
    let ports = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = small_limit(100);
    let mut times = StageTimes::default();
    let out = pipeline::process_object(&ports, &config, "b", "uploads/big.ork", &mut times)
        .await
        .unwrap();
    let Processed::Invalid { reason, .. } = out else {
        panic!("expected invalid, got {out:?}")
    };
    assert!(
        reason.contains("limit of 100 bytes") && reason.contains("input_too_large"),
        "{reason}"
    );
    assert_eq!(
        status(&sink, "b", "uploads/big.ork").as_deref(),
        Some("invalid")
    );
    assert!(
        images.public_ids().is_empty(),
        "nothing rendered or uploaded"
    );

    // Within the limit: written, with three images.
    let out = pipeline::process_object(
        &ports,
        &PipelineConfig::default(),
        "b",
        "uploads/ok.ork",
        &mut times,
    )
    .await
    .unwrap();
    assert!(matches!(out, Processed::Written { .. }), "{out:?}");
    assert_eq!(status(&sink, "b", "uploads/ok.ork").as_deref(), Some("ok"));
    assert_eq!(images.public_ids().len(), 3);
}

#[tokio::test]
async fn the_event_size_refuses_an_object_without_downloading_it() {
    // The source is empty: a download would find nothing and report the object as gone.
    let handler = Handler {
        source: MemorySource::new(),
        graph: MemorySink::new(),
        images: MemoryStore::new("designs"),
        config: small_limit(1000),
        function_name: "test".into(),
    };
    let text = std::fs::read_to_string(common::testdata("events/created.json")).unwrap();
    let event: S3Event = serde_json::from_str(&text).unwrap();
    let summary = handler.handle(&event, "req").await.unwrap();
    assert_eq!(summary.records[0].outcome, "invalid");
    assert!(summary.records[0]
        .detail
        .as_deref()
        .unwrap()
        .contains("input_too_large"));
    assert_eq!(
        status(
            &handler.graph,
            "ork-designs",
            "uploads/A simple model rocket.ork"
        )
        .as_deref(),
        Some("invalid")
    );
}

/// An invalid upload over a good design keeps the design (components and all), records the
/// rejection on it, and is skipped when the same bad bytes come again; a good upload then
/// clears the rejection. Runs on the in-memory sink and, when `NEO4J_URI` is set, on the live
/// graph database.
async fn check_rejection_keeps_the_good_design<G: graph::GraphSink>(sink: &G, bucket: &str) {
    let source = MemorySource::new();
    let images = MemoryStore::new("designs");
    let ports = Ports {
        source: &source,
        graph: sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let key = "uploads/victim.ork";
    let id = graph::design_id(bucket, key);
    let run = |bytes: Vec<u8>| {
        source.put(bucket, key, bytes);
        let (ports, config) = (&ports, &config);
        async move {
            let mut times = StageTimes::default();
            pipeline::process_object(ports, config, bucket, key, &mut times)
                .await
                .unwrap()
        }
    };
    let good = std::fs::read(common::testdata("all-components.ork")).unwrap();
    let out = run(good.clone()).await;
    assert!(matches!(out, Processed::Written { .. }), "{out:?}");

    let bad = std::fs::read(common::testdata("bad-number.ork")).unwrap();
    let out = run(bad.clone()).await;
    let Processed::Invalid { reason, .. } = &out else {
        panic!("expected invalid, got {out:?}")
    };
    assert!(reason.contains("[bad_number]"), "{reason}");
    let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
    let [s] = stored.as_slice() else {
        panic!("{stored:?}")
    };
    assert_eq!(s.status, "ok");
    assert_eq!(s.sha256, graph::sha256_hex(&good));
    assert_eq!(
        s.rejected_sha256.as_deref(),
        Some(&*graph::sha256_hex(&bad))
    );
    // The same bad bytes again: already handled, nothing written.
    let out = run(bad).await;
    assert!(matches!(out, Processed::Unchanged { .. }), "{out:?}");

    // A good upload replaces the design and clears the rejection.
    let minimal = std::fs::read(common::testdata("minimal.ork")).unwrap();
    let out = run(minimal.clone()).await;
    assert!(matches!(out, Processed::Written { .. }), "{out:?}");
    let stored = sink.stored(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(stored[0].sha256, graph::sha256_hex(&minimal));
    assert_eq!(stored[0].rejected_sha256, None);
    // Only the current version's images remain: the replaced version's went after the commit.
    let tag = ork_processor::publish::content_tag(&graph::sha256_hex(&minimal)).to_owned();
    let ids = images.public_ids();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|i| i.contains(&tag)), "{ids:?}");

    // Deleting the object removes the design and its images.
    assert!(pipeline::remove_object(sink, &images, bucket, key)
        .await
        .unwrap());
    assert!(images.public_ids().is_empty());
    assert!(sink
        .stored(std::slice::from_ref(&id))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_invalid_upload_keeps_the_last_good_design() {
    let memory = MemorySink::new();
    check_rejection_keeps_the_good_design(&memory, "b").await;
    let components = |sink: &MemorySink| {
        sink.design(&graph::design_id("b", "uploads/victim.ork"))
            .map(|g| g.components.len())
    };
    assert_eq!(components(&memory), None, "deleted at the end");

    match graph::GraphConfig::from_env() {
        Ok(Some(config)) => {
            let sink = graph::Neo4jSink::connect(config).await.expect("connect");
            graph::GraphSink::ensure_schema(&sink).await.expect("schema");
            let bucket = format!("pipeline-reject-{}", std::process::id());
            check_rejection_keeps_the_good_design(&sink, &bucket).await;
        }
        _ => eprintln!(
            "SKIPPED the live half of an_invalid_upload_keeps_the_last_good_design: NEO4J_URI is not set"
        ),
    }
}
