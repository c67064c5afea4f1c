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
