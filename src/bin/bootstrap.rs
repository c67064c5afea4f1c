//! `bootstrap`: the AWS Lambda. Builds every client once at cold start (no network I/O: the
//! graph connection opens on first use), then hands each S3 event, or S3 Batch Operations
//! event, to the shared handler.

// The handler future (S3 + Neo4j + Cloudinary clients) nests deeper than the default limit.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use ork_processor::aws_error::{endpoint_from_env, one_line};
use ork_processor::events::invocation::Incoming;
use ork_processor::lambda::config::{self, SecretsManager};
use ork_processor::lambda::handler::{Handler, Response};
use ork_processor::lambda::lazy::LazyNeo4j;
use ork_processor::lambda::s3::S3Source;
use ork_processor::ork::ParseOptions;
use ork_processor::pipeline::PipelineConfig;
use ork_processor::publish::CloudinaryStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ork_processor::lambda::install_crypto_provider();
    // JSON lines on stdout, level from RUST_LOG (default info).
    ork_processor::lambda::logs::init()?;

    let env = |k: &str| std::env::var(k).ok();
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    // Secrets are fetched only when their ARNs are set, once per cold start.
    let secrets = SecretsManager(aws_sdk_secretsmanager::Client::new(&shared));
    let settings = match config::load(env, &secrets).await {
        Ok(settings) => settings,
        Err(e) => cold_start_failed("configuration", &e),
    };
    let images = match CloudinaryStore::new(settings.cloudinary.clone()) {
        Ok(images) => images,
        Err(e) => cold_start_failed("image store", &e),
    };
    let s3_conf = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(settings.force_path_style)
        .build();
    let pipeline = PipelineConfig {
        parse: ParseOptions {
            limits: settings.limits.clone(),
            ..ParseOptions::default()
        },
        ..PipelineConfig::default()
    };
    let handler = Handler {
        source: S3Source::new(aws_sdk_s3::Client::from_conf(s3_conf))
            .with_endpoint(endpoint_from_env("S3", env)),
        graph: LazyNeo4j::new(settings.graph.clone()),
        images,
        config: pipeline,
        function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME")
            .unwrap_or_else(|_| "ork-processor".into()),
    };
    // The handler lives for the whole process.
    let handler: &'static Handler<_, _, _> = Box::leak(Box::new(handler));
    // An S3 event, one `ork reprocess --via-lambda` made (it may carry `orkReprocess`), or an
    // S3 Batch Operations job's (answered task by task, never failed for a task's sake).
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Incoming>| async move {
        let response: Response = handler
            .handle_incoming(&event.payload, &event.context.request_id)
            .await?;
        Ok::<_, Error>(response)
    }))
    .await
}

/// A cold start that cannot go on: one JSON `ERROR` line whose `error` names the setting or
/// secret (never its value), then exit; Lambda reports the init failure and retries.
fn cold_start_failed(stage: &str, e: &dyn std::fmt::Display) -> ! {
    tracing::error!(stage, error = %one_line(&e.to_string(), 300), "cold start failed");
    std::process::exit(1)
}
