//! ork-processor: turns OpenRocket `.ork` design files into a design model (and, in later
//! stages, figures, images and a graph).
//!
//! Code map:
//! * [`ork`]: the reader — container sniffing, the streaming XML pass, conversion to the model;
//! * [`model`]: the design model, plain data with serde and no I/O;
//! * [`graph`]: the design graph — pure Cypher planning, a `.cypher`/JSON rendering, and the
//!   Neo4j sink (neo4rs) behind the `GraphSink` trait;
//! * [`inspect`]: the human-readable view used by `ork inspect`;
//! * [`pipeline`]: the one place where the stages are put in order.
//!
//! The binaries in `src/bin/` are thin: `ork` (the CLI) and `bootstrap` (the Lambda entry point).

pub mod graph;
pub mod inspect;
pub mod model;
pub mod ork;
pub mod pipeline;

/// The processor's version, recorded with everything it produces.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
