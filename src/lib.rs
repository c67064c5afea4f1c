//! ork-processor: turns OpenRocket `.ork` design files into a design model (and, in later
//! stages, figures, images and a graph).
//!
//! Code map:
//! * [`ork`]: the reader — container sniffing, the streaming XML pass, conversion to the model;
//! * [`model`]: the design model, plain data with serde and no I/O;
//! * [`geometry`]: resolved shapes and physical figures (length, diameter, mass, CG, CP);
//! * [`render`]: side-profile images (PNG, thumbnail, SVG) from one display list;
//! * [`graph`]: the design graph — pure Cypher planning, a `.cypher`/JSON rendering, and the
//!   Neo4j sink (neo4rs) behind the `GraphSink` trait;
//! * [`inspect`]: the human-readable view used by `ork inspect`;
//! * [`publish`]: the Cloudinary image store (signed uploads, destroy, retries) behind the
//!   `ImageStore` trait;
//! * [`pipeline`]: the one place where the stages are put in order, over the
//!   `ObjectSource` / `GraphSink` / `ImageStore` ports;
//! * [`lambda`]: the S3 event and S3 Batch Operations handler, its S3 adapter, configuration
//!   and metrics;
//! * [`series`]: flight series — columns found by meaning, rows decoded as they stream,
//!   downsampling that keeps the flight;
//! * [`redrive`]: the on-failure queue's records done again (`ork reprocess --from-queue`);
//! * [`reprocess`]: batch reprocessing of a design bucket (`ork reprocess`);
//! * [`manifest`]: S3 Batch Operations CSV manifests (`ork reprocess --manifest-out`);
//! * [`batch_job`]: the S3 Batch Operations job through S3 Control (`ork reprocess
//!   --create-job`; only the CLI reaches it);
//! * [`exercise`]: every stage that reads untrusted bytes, in one call (fuzzing, regressions).
//!
//! The binaries in `src/bin/` are thin: `ork` (the CLI) and `bootstrap` (the Lambda entry point).

pub mod batch_job;
pub mod exercise;
pub mod geometry;
pub mod graph;
pub mod inspect;
pub mod lambda;
pub mod manifest;
pub mod model;
pub mod ork;
pub mod pipeline;
pub mod publish;
pub mod redrive;
pub mod render;
pub mod reprocess;
pub mod series;

/// The processor's version, recorded with everything it produces.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
