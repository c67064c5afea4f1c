//! The design graph: Neo4j (Aura in production), a Cypher script or JSON locally.
//!
//! ```text
//! (:Design {design_id})-[:HAS_STAGE {order}]->(:Component:Stage {uid})
//! (:Component)-[:CONTAINS {order}]->(:Component:NoseCone|BodyTube|…)
//! (:Component)-[:MADE_OF {role}]->(:Material {uid, name, type, density})        shared
//! (:Design)-[:HAS_CONFIGURATION]->(:MotorConfiguration {uid, config_id, …})
//! (:MotorConfiguration)-[:USES {mount, …}]->(:Motor {uid, manufacturer, designation}) shared
//! (:Design)-[:HAS_SIMULATION]->(:Simulation {uid, max_altitude_m, …})
//! (:Simulation)-[:FLIES]->(:MotorConfiguration)
//! (:Simulation)-[:HAS_BRANCH {order}]->(:Branch {uid, name, series_*, …})   other branches
//! ```
//!
//! * `design_id` = first 32 hex digits of SHA-256(`bucket` NUL `key`) ([`design_id`]); every
//!   node a design owns carries it, and its `uid` is `design_id/…`. Shared nodes' `uid` is the
//!   JSON array of their identifying fields.
//! * Properties are the model's JSON names, flattened ([`build`](mod@build) explains how); absent values
//!   are left out.
//!
//! Layers, each usable alone:
//! * [`build()`] / [`plan()`] (pure): input → [`DesignGraph`] → [`GraphPlan`], the batched,
//!   parameterised statements of one transaction;
//! * [`to_cypher_script`] / [`to_json`] (pure): offline renderings of a plan;
//! * [`GraphSink`]: [`Neo4jSink`] (live, via neo4rs) and [`MemorySink`] (a fake);
//! * [`queries`]: the frontend's read queries.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ork_processor::graph::{self, GraphSink};
//! let bytes = std::fs::read("rocket.ork")?;
//! let source = graph::SourceObject::from_bytes("designs", "uploads/rocket.ork", &bytes);
//! let parsed = ork_processor::ork::parse(&bytes, &Default::default())?;
//! let input = graph::DesignInput::new(source, graph::Outcome::Ok(&parsed.design));
//! let plan = graph::plan(&input);
//! std::fs::write("rocket.cypher", graph::to_cypher_script(&plan))?;
//! if let Some(config) = graph::GraphConfig::from_env()? {
//!     let sink = graph::Neo4jSink::connect(config).await?;
//!     sink.ensure_schema().await?;
//!     sink.write_design(&plan).await?;
//! }
//! # Ok(()) }
//! ```

pub mod build;
mod input;
mod neo4j;
mod plan;
pub mod queries;
mod script;
mod sink;
mod value;

pub use build::{
    build, series_points, ComponentRec, DesignGraph, NodeRec, RelRec, MAX_DESIGN_SERIES_POINTS,
};
pub use input::{
    design_id, sha256_hex, DesignInput, Figures, Images, Outcome, SourceObject, DESIGN_ID_HEX_LEN,
};
pub use neo4j::{GraphConfig, Neo4jSink};
pub use plan::{
    conditional, delete_statements, fingerprint_statement, parameter_names, plan, plan_graph,
    plan_invalid, schema_statements, stored_statement, Fingerprint, GraphPlan, Guard, Statement,
    StoredDesign, REJECTION_PROPS, STORED_COLUMNS, WRITTEN_COLUMN,
};
pub use script::{inline_params, script_statements, to_cypher_script, to_json};
pub use sink::{load, GraphError, GraphSink, LoadOutcome, MemorySink, WriteStats};
pub use value::{Props, Value};

#[cfg(test)]
mod tests;
