//! The Lambda: S3 events (and S3 Batch Operations jobs) in, designs in the graph and images on
//! Cloudinary out.
//!
//! What the function is invoked with, and answers, is the wire contract in [`crate::events`].
//!
//! * [`handler`]: every record or task through [`crate::pipeline`], JSON logs, EMF metrics;
//! * [`s3`]: the aws-sdk-s3 [`crate::pipeline::ObjectSource`];
//! * [`lazy`]: a graph sink that connects on first use, so cold start does no network I/O;
//! * [`config`]: settings from the environment and Secrets Manager;
//! * [`metrics`]: the CloudWatch embedded metric format.
//!
//! `src/bin/bootstrap.rs` builds the clients once and runs [`handler::Handler`] per event.

pub mod config;
pub mod handler;
pub mod lazy;
pub mod logs;
pub mod metrics;
pub mod s3;

/// Installs the process-wide TLS crypto provider (ring), which both neo4rs and reqwest use.
/// Call once at the start of `main`; later calls are harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
