//! ork-processor: turns OpenRocket `.ork` design files into a design model (and, in later
//! stages, figures, images and a graph).
//!
//! The code map, the layers and the invariants are in `ARCHITECTURE.md`. In short, from the top:
//! * `src/bin/`: the thin binaries, `ork` (the CLI) and `bootstrap` (the Lambda);
//! * [`lambda`] (the S3 and Batch Operations handler) and [`bucket`] (whole-bucket runs:
//!   reprocess, redrive, manifests, Batch Operations jobs): the entry points, and beside them
//!   [`aws_error`] (one line for a failed AWS call, which both use);
//! * [`pipeline`]: the one place where the stages are put in order, over the
//!   `ObjectSource` / `GraphSink` / `ImageStore` ports;
//! * the stages: [`ork`] (container, streaming XML, conversion), [`series`] (flight series),
//!   [`geometry`] (shapes and physical figures), [`render`] (profile images and the flight
//!   chart), [`graph`] (Cypher plans and the Neo4j sink), [`publish`] (the Cloudinary image
//!   store), [`inspect`] (the text view of `ork inspect`);
//! * the bottom: [`model`] (the design model, plain data) and [`events`] (the wire contract of
//!   S3 events, Batch Operations, on-failure records and object keys);
//! * [`exercise`]: every stage that reads untrusted bytes, in one call (fuzzing, regressions).
//!
//! Arrows point only downward.

pub mod aws_error;
pub mod bucket;
pub mod events;
pub mod exercise;
pub mod geometry;
pub mod graph;
pub mod inspect;
pub mod lambda;
pub mod model;
pub mod ork;
pub mod pipeline;
pub mod publish;
pub mod render;
pub mod series;
/// The processor's version, recorded with everything it produces.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
