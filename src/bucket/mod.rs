//! Bucket runs: work over a whole design bucket rather than one event, started by a person with
//! `ork reprocess`. A run lists the bucket (or reads the on-failure queue), decides what needs
//! work, and puts each object through the same [`crate::pipeline`] as the Lambda, here or by
//! invoking the deployed function.
//!
//! * [`reprocess`]: list, journal, skip what is current, dispatch N at once, report;
//! * [`redrive`]: the on-failure queue's records done again (`--from-queue`);
//! * [`manifest`]: S3 Batch Operations CSV manifests of what needs work (`--manifest-out`);
//! * [`batch_job`]: the Batch Operations job itself, through S3 Control (`--create-job`; only
//!   the CLI links it).
//!
//! Failed AWS calls are told in one line by [`crate::aws_error`].
//!
//! The runs read the wire contract from [`crate::events`]; they never import the Lambda.

pub mod batch_job;
pub mod manifest;
pub mod redrive;
pub mod reprocess;
