//! The Lambda's logs: one JSON object per line (tracing), read by CloudWatch Logs.
//!
//! [`subscriber`] builds the exact format `src/bin/bootstrap.rs` installs (JSON, no target, no
//! current span), writing wherever it is told: stdout in the Lambda, a [`MemoryLog`] in tests
//! that inspect what was logged (for instance that no secret ever is). [`filter_from_env`] reads
//! `RUST_LOG` (default `info`).
//!
//! A failure is logged at `ERROR` with its `error` field on one line, under 300 characters:
//! what failed, on which resource, and the service's code (`could not read designs/a.ork: the
//! credentials were refused (S3 InvalidAccessKeyId: …)`). The whole error, and the SDK's
//! context of a failed AWS call, are logged at `DEBUG` (`RUST_LOG=debug` shows them).
//!
//! [`init`] also routes the `log` facade (neo4rs and rustls log that way) into the same JSON
//! lines, under the same `RUST_LOG` filter. (neo4rs logs hosts and ports, never the URI or the
//! credentials.)

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The level filter from `RUST_LOG`, or `info` when it is unset or malformed.
pub fn filter_from_env() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The Lambda's log subscriber: JSON lines to `writer`, filtered by `filter`.
pub fn subscriber<W>(writer: W, filter: EnvFilter) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_target(false)
        .with_current_span(false)
        .with_writer(writer)
        .finish()
}

/// Installs [`subscriber`] on stdout, filtered by `RUST_LOG`, as the process-wide default, and
/// routes the `log` crate (neo4rs and rustls log that way) into it. Call once at the start of
/// `main`; a later call changes nothing and returns an error.
pub fn init() -> Result<(), tracing_subscriber::util::TryInitError> {
    use tracing_subscriber::util::SubscriberInitExt;
    subscriber(io::stdout, filter_from_env()).try_init()
}

/// A log destination in memory: every byte written, shared by its clones. For tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// The lines written so far that parse as JSON objects.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(serde_json::Value::is_object)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl io::Write for MemoryLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for MemoryLog {
    type Writer = MemoryLog;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_with_fields_and_no_target() {
        let log = MemoryLog::new();
        let sub = subscriber(log.clone(), EnvFilter::new("debug"));
        tracing::subscriber::with_default(sub, || {
            tracing::info!(request_id = "r-1", key = %"uploads/a.ork", "object processed");
            tracing::trace!("below the filter");
        });
        let events = log.events();
        assert_eq!(events.len(), 1, "{}", log.text());
        let e = &events[0];
        assert_eq!(e["level"], "INFO");
        assert_eq!(e["fields"]["message"], "object processed");
        assert_eq!(e["fields"]["request_id"], "r-1");
        assert_eq!(e["fields"]["key"], "uploads/a.ork");
        assert!(e.get("target").is_none(), "{e}");
        assert!(e["timestamp"].is_string());
    }
}
