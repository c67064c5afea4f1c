//! The wire contract: the shapes of what reaches the function and what it answers, as plain
//! serde types and pure functions. It knows no AWS client and no handler; the Lambda
//! (`lambda`) and the bucket runs (`bucket`) both build on it, and neither reaches into the
//! other.
//!
//! * [`key`]: how S3 encodes object keys in events (and, strictly, in manifests), and which keys
//!   name `.ork` files;
//! * [`s3`]: S3 event records to jobs (created or removed, key decoded);
//! * [`batch`]: S3 Batch Operations events, and the per-task results the function returns;
//! * [`invocation`]: everything the function is invoked with (an S3 event, `ork reprocess`'s own
//!   event with its mark, or a Batch Operations event);
//! * [`failure`]: Lambda on-failure destination records, as the redrive reads them;
//! * [`time`]: RFC 3339 time stamps, as events carry them and everything we write is stamped.

pub mod batch;
pub mod failure;
pub mod invocation;
pub mod key;
pub mod s3;
pub mod time;

pub use time::rfc3339_utc;
