//! The one place where the stages are put in order.
//!
//! `analyse` is the pure part every entry point shares: bytes → parsed design (or the reason
//! it is not one) → graph input. Entry points (the `ork` CLI, the Lambda) bring the I/O: where
//! the bytes come from, and which [`GraphSink`] receives the plan.

use crate::graph::{self, DesignInput, GraphPlan, GraphSink, LoadOutcome, Outcome, SourceObject};
use crate::ork::{self, OrkError, ParseOptions, Parsed};

/// One stored object, read and understood.
#[derive(Debug)]
pub struct Analysis {
    pub source: SourceObject,
    /// The design, or why the bytes are not one (a permanent failure: retrying cannot help).
    pub parsed: Result<Parsed, OrkError>,
    /// The error as recorded on an invalid design: message and code.
    invalid_reason: Option<String>,
}

impl Analysis {
    /// Whether the object is a readable design.
    pub fn is_ok(&self) -> bool {
        self.parsed.is_ok()
    }

    /// The graph input: the design, or an invalid-design record with the reason.
    pub fn graph_input(&self) -> DesignInput<'_> {
        let outcome = match (&self.parsed, &self.invalid_reason) {
            (Ok(p), _) => Outcome::Ok(&p.design),
            (Err(_), Some(reason)) => Outcome::Invalid(reason),
            (Err(_), None) => Outcome::Invalid("invalid design"),
        };
        DesignInput::new(self.source.clone(), outcome)
    }

    /// The batched statements that write this object's design.
    pub fn plan(&self) -> GraphPlan {
        graph::plan(&self.graph_input())
    }
}

/// Reads `bytes` stored at `bucket`/`key`.
pub fn analyse(bucket: &str, key: &str, bytes: &[u8], options: &ParseOptions) -> Analysis {
    let parsed = ork::parse(bytes, options);
    let invalid_reason = parsed.as_ref().err().map(|e| format!("{e} [{}]", e.code()));
    Analysis {
        source: SourceObject::from_bytes(bucket, key, bytes),
        parsed,
        invalid_reason,
    }
}

/// Writes an analysed object into a graph sink, skipping it when the graph already holds the
/// same bytes processed by this version.
pub async fn load<S: GraphSink>(
    sink: &S,
    analysis: &Analysis,
) -> Result<LoadOutcome, graph::GraphError> {
    graph::load(sink, &analysis.graph_input()).await
}
