//! `bootstrap`: the AWS Lambda entry point.
//!
//! The runtime loop is real; the S3 event handler is not written yet (it comes with the Lambda
//! issue). Until then every invocation fails with an explicit "not implemented" error rather
//! than pretending to have processed anything.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Err(format!(
        "ork-processor {}: the S3 event handler is not implemented yet (request {})",
        ork_processor::VERSION,
        event.context.request_id
    )
    .into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
