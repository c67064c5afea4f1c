//! Redrive from the on-failure queue against the local servers: SQS and S3 on moto, the graph
//! on Neo4j 5. Destination records (as Lambda writes them) of a created object, a forced
//! `ork reprocess` event, a removal and an unreadable message: a first redrive whose image
//! store fails keeps exactly the messages whose jobs failed, a second one finishes them, and a
//! dry run changes nothing. Skips (with a message) without `AWS_ENDPOINT_URL_S3` or
//! `NEO4J_URI`.

mod common;

use ork_processor::bucket::redrive::{self, FailureQueue, RedriveConfig, SqsQueue};
use ork_processor::bucket::reprocess::{Cancel, LocalDispatch};
use ork_processor::events::invocation::created_event;
use ork_processor::graph::{self, GraphSink};
use ork_processor::pipeline::{PipelineConfig, Ports};
use ork_processor::publish::{ImageStore, ImageUpload, MemoryStore, PublishError, StoredImage};

/// A Lambda on-failure destination record around `payload`.
fn destination_record(payload: serde_json::Value) -> String {
    serde_json::json!({
        "version": "1.0",
        "timestamp": "2026-12-01T10:00:00.000Z",
        "requestContext": {
            "requestId": "d1e2f3a4-0000-4000-8000-000000000001",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:ork-processor:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "1 record(s) failed transiently", "errorType": "Error"}
    })
    .to_string()
}

fn removed_event(bucket: &str, key: &str) -> serde_json::Value {
    let mut e = created_event("us-east-1", bucket, key, 0, None, false);
    e["Records"][0]["eventName"] = "ObjectRemoved:Delete".into();
    e.as_object_mut().unwrap().remove("orkReprocess");
    e
}

/// Images that cannot be uploaded (deleting works).
struct Broken(MemoryStore);

impl ImageStore for Broken {
    fn folder(&self) -> &str {
        self.0.folder()
    }
    async fn upload(&self, _: &ImageUpload) -> Result<StoredImage, PublishError> {
        Err(PublishError::Api {
            operation: "upload",
            status: 503,
            message: "injected".into(),
            attempts: 3,
        })
    }
    async fn delete(&self, public_id: &str) -> Result<(), PublishError> {
        self.0.delete(public_id).await
    }
}

async fn visible(sqs: &aws_sdk_sqs::Client, url: &str) -> i64 {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .expect("attributes");
    let get = |n: aws_sdk_sqs::types::QueueAttributeName| -> i64 {
        attrs
            .attributes()
            .and_then(|a| a.get(&n))
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1)
    };
    get(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        + get(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failure_queue_is_redriven_and_only_done_messages_leave_it() {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_S3") else {
        eprintln!("SKIPPED redrive: AWS_ENDPOINT_URL_S3 is not set (infra/local/s3.sh)");
        return;
    };
    let Some(sink) = common::live_graph("the_failure_queue_is_redriven").await else {
        return;
    };
    ork_processor::lambda::install_crypto_provider();
    let bucket = format!("ork-redrive-{}", std::process::id());
    let (source, s3) = common::local_bucket(&bucket).await;
    // moto serves SQS on the same endpoint as S3.
    let (sqs, url) =
        common::local_queue(&endpoint, &format!("ork-failures-{}", std::process::id())).await;

    let minimal = std::fs::read(common::testdata("minimal.ork")).unwrap();
    let (a, c, gone) = (
        "uploads/redrive a+b.ork",
        "uploads/forced.ork",
        "uploads/removed.ork",
    );
    for key in [a, c, gone] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(minimal.clone().into())
            .send()
            .await
            .expect("put");
    }
    // The removed object's design exists (written before its delete event failed).
    let images = MemoryStore::new("designs");
    let good = Ports {
        source: &source,
        graph: &sink,
        images: &images,
    };
    let config = PipelineConfig::default();
    let mut times = ork_processor::pipeline::StageTimes::default();
    ork_processor::pipeline::process_object(&good, &config, &bucket, gone, &mut times)
        .await
        .expect("the design to remove");
    s3.delete_object()
        .bucket(&bucket)
        .key(gone)
        .send()
        .await
        .expect("delete");

    for body in [
        destination_record(created_event("us-east-1", &bucket, a, 1, None, false)),
        destination_record(created_event("us-east-1", &bucket, c, 1, None, true)),
        destination_record(removed_event(&bucket, gone)),
        "{\"not\": \"a destination record\"}".to_string(),
    ] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .expect("send");
    }
    assert_eq!(visible(&sqs, &url).await, 4);
    let mut queue = SqsQueue::new(sqs.clone(), &url);
    queue.visibility_timeout_s = 2;
    let progress = indicatif::ProgressBar::hidden();
    let cancel = Cancel::new();

    // A dry run reads and decides, and leaves every message in the queue, visible.
    let dry = redrive::run(
        &queue,
        &LocalDispatch {
            ports: good_ports(&source, &sink, &images),
            config: config.clone(),
        },
        &RedriveConfig {
            dry_run: true,
            ..RedriveConfig::default()
        },
        &progress,
        &cancel,
    )
    .await
    .expect("dry run");
    assert_eq!(dry.counts.messages, 4, "{}", dry.summary_line());
    assert_eq!(dry.counts.deleted, 0);
    assert_eq!(dry.counts.jobs, 3);
    let again = queue.receive(10).await.expect("receive");
    assert!(!again.is_empty(), "released at once");
    for m in &again {
        queue.release(&m.receipt).await.expect("release");
    }

    // The image store fails: the created objects stay queued, the removal is done.
    let broken = Broken(MemoryStore::new("designs"));
    let first = redrive::run(
        &queue,
        &LocalDispatch {
            ports: Ports {
                source: &source,
                graph: &sink,
                images: &broken,
            },
            config: config.clone(),
        },
        &RedriveConfig::default(),
        &progress,
        &cancel,
    )
    .await
    .expect("first redrive");
    eprintln!("{}", first.summary_line());
    assert_eq!(first.counts.messages, 4);
    assert_eq!(first.counts.deleted, 1, "the removal");
    assert_eq!(first.counts.removed, 1);
    assert_eq!(first.counts.failed, 2);
    assert_eq!(first.counts.unreadable, 1);
    for m in first.messages.iter().filter(|m| !m.deleted) {
        assert!(m.kept_because.is_some(), "{m:?}");
    }
    assert!(sink
        .stored(&[graph::design_id(&bucket, gone)])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(visible(&sqs, &url).await, 3);

    // Once the kept messages are visible again, a redrive with a working store finishes them;
    // the unreadable one stays.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let second = redrive::run(
        &queue,
        &LocalDispatch {
            ports: good_ports(&source, &sink, &images),
            config: config.clone(),
        },
        &RedriveConfig::default(),
        &progress,
        &cancel,
    )
    .await
    .expect("second redrive");
    eprintln!("{}", second.summary_line());
    assert_eq!(second.counts.messages, 3);
    assert_eq!(second.counts.deleted, 2);
    assert_eq!(second.counts.unreadable, 1);
    assert_eq!(second.counts.processed, 2);
    for key in [a, c] {
        let stored = sink
            .stored(&[graph::design_id(&bucket, key)])
            .await
            .unwrap();
        assert_eq!(stored.len(), 1, "{key}");
        assert_eq!(stored[0].status, "ok");
    }
    assert_eq!(visible(&sqs, &url).await, 1, "only the unreadable message");

    for key in [a, c] {
        ork_processor::pipeline::delete_design(&sink, &images, &bucket, key)
            .await
            .expect("clean up");
    }
    sqs.delete_queue()
        .queue_url(&url)
        .send()
        .await
        .expect("delete queue");
}

fn good_ports<'a, S, G>(
    source: &'a S,
    sink: &'a G,
    images: &'a MemoryStore,
) -> Ports<'a, S, G, MemoryStore> {
    Ports {
        source,
        graph: sink,
        images,
    }
}
