//! The [`GraphSink`] trait, its error type, and [`MemorySink`], an in-memory implementation for
//! tests of code that writes designs.

use super::build::{DesignGraph, NodeRec};
use super::input::{DesignInput, SourceObject};
use super::plan::{
    is_invalid, plan, plan_invalid, rejection_props, Fingerprint, GraphPlan, StoredDesign,
};
use super::value::Props;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Why a graph operation failed. Messages never contain the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A setting is missing or malformed.
    #[error("graph configuration: {0}")]
    Config(String),
    /// The server could not be reached, or the connection broke.
    #[error("graph database unavailable at {uri}: {reason}")]
    Unavailable { uri: String, reason: String },
    /// The server refused the credentials.
    #[error("graph database at {uri} refused the credentials of user {user:?}")]
    Auth { uri: String, user: String },
    /// The server reported an error for a statement.
    #[error("graph database error {code}: {message}")]
    Database { code: String, message: String },
    /// A retryable conflict persisted through every attempt.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        attempts: u32,
        last: Box<GraphError>,
    },
    /// A guarded write or delete found another version stored than the one it expected
    /// (another worker got there first); nothing was changed. Not retryable as it is: the
    /// caller reads the key again and decides anew.
    #[error("design {design_id} changed since it was read")]
    Conflict { design_id: String },
    /// A test sink was told to fail.
    #[error("injected failure: {0}")]
    Injected(String),
}

impl GraphError {
    /// Whether running the whole transaction again may succeed (deadlocks, write conflicts,
    /// a dropped connection). Every write here is idempotent, so retrying is always safe.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Unavailable { .. } => true,
            // Neo4j classifies every error a retry may cure as `Neo.TransientError.*`:
            // deadlocks between writers of shared nodes, lock timeouts, a leader switch.
            GraphError::Database { code, .. } => code.starts_with("Neo.TransientError."),
            _ => false,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// Network round trips of the successful try (one for an auto-commit write; statements
    /// plus BEGIN and COMMIT in an explicit transaction).
    pub round_trips: u64,
    /// Transactions started, including retried ones.
    pub attempts: u32,
}

/// Whether [`load`] wrote or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    Written(WriteStats),
    /// The graph already holds this content, written by this processor version.
    Unchanged,
}

/// Where designs go. Each method is one transaction: it either happens completely or not at all.
pub trait GraphSink: Send + Sync {
    /// Creates the constraints and indexes (idempotent).
    fn ensure_schema(&self) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Replaces the design `plan.design_id` by the plan's graph.
    fn write_design(
        &self,
        plan: &GraphPlan,
    ) -> impl Future<Output = Result<WriteStats, GraphError>> + Send;

    /// Removes a design and everything it owns (shared materials and motors stay).
    /// `Ok(false)` when there was no such design. With `guard`, only while the stored design
    /// is still of that revision ([`StoredDesign::revision`]), else [`GraphError::Conflict`] (see
    /// [`super::GraphPlan::guard`]).
    fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> impl Future<Output = Result<bool, GraphError>> + Send;

    /// What the stored design was written from, if it exists.
    fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> impl Future<Output = Result<Option<Fingerprint>, GraphError>> + Send;

    /// What is stored for each of `design_ids` that exists (in no particular order).
    fn stored(
        &self,
        design_ids: &[String],
    ) -> impl Future<Output = Result<Vec<StoredDesign>, GraphError>> + Send;

    /// Records `source` as an invalid design with the error text. A good design stored under
    /// the same key is kept and only marked with the rejection (`rejected_*` properties).
    fn mark_invalid(
        &self,
        source: &SourceObject,
        error: &str,
    ) -> impl Future<Output = Result<WriteStats, GraphError>> + Send {
        let plan = plan_invalid(source, error);
        async move { self.write_design(&plan).await }
    }
}

/// Writes `input` unless the graph already holds the same bytes processed by the same version
/// (written, or refused while a good version was kept).
pub async fn load<S: GraphSink>(
    sink: &S,
    input: &DesignInput<'_>,
) -> Result<LoadOutcome, GraphError> {
    let p = plan(input);
    let stored = sink.stored(std::slice::from_ref(&p.design_id)).await?;
    let f = &p.fingerprint;
    if stored
        .iter()
        .any(|s| s.has_sha256(&f.sha256, &f.processor_version))
    {
        return Ok(LoadOutcome::Unchanged);
    }
    sink.write_design(&p).await.map(LoadOutcome::Written)
}

/// An in-memory sink with the semantics of the real one: designs replaced whole, shared
/// materials and motors created once and kept. Handy as a fake; it can be told to fail.
#[derive(Debug, Default)]
pub struct MemorySink {
    state: Mutex<MemoryState>,
    writes: AtomicU64,
    fail_next: AtomicU64,
}

#[derive(Debug, Default, Clone)]
struct MemoryState {
    designs: BTreeMap<String, (Fingerprint, DesignGraph)>,
    materials: BTreeMap<String, Props>,
    motors: BTreeMap<String, Props>,
    schema: bool,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next `n` operations fail with [`GraphError::Injected`] and change nothing.
    pub fn fail_next(&self, n: u64) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    fn injected(&self, op: &str) -> Result<(), GraphError> {
        let took = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match took {
            Ok(_) => Err(GraphError::Injected(op.to_owned())),
            Err(_) => Ok(()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemoryState) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// The stored graph of a design.
    pub fn design(&self, design_id: &str) -> Option<DesignGraph> {
        self.with(|s| s.designs.get(design_id).map(|(_, g)| g.clone()))
    }

    /// Ids of every stored design, sorted.
    pub fn design_ids(&self) -> Vec<String> {
        self.with(|s| s.designs.keys().cloned().collect())
    }

    /// Shared material nodes by uid.
    pub fn materials(&self) -> BTreeMap<String, Props> {
        self.with(|s| s.materials.clone())
    }

    /// Shared motor nodes by uid.
    pub fn motors(&self) -> BTreeMap<String, Props> {
        self.with(|s| s.motors.clone())
    }

    /// Successful writes and deletes so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Whether `ensure_schema` ran.
    pub fn has_schema(&self) -> bool {
        self.with(|s| s.schema)
    }

    /// Total nodes (designs, their nodes, and shared nodes) and relationships.
    pub fn counts(&self) -> (usize, usize) {
        self.with(|s| {
            let owned: usize = s.designs.values().map(|(_, g)| g.owned_node_count()).sum();
            let rels: usize = s
                .designs
                .values()
                .map(|(_, g)| g.relationship_count())
                .sum();
            (owned + s.materials.len() + s.motors.len(), rels)
        })
    }
}

/// Whether the stored design under `design_id` is the one `guard` expects (see
/// [`super::conditional`]).
fn guard_holds(s: &MemoryState, design_id: &str, guard: Option<&str>) -> bool {
    guard.is_none_or(|expected| {
        let stored = s
            .designs
            .get(design_id)
            .map(|(_, g)| StoredDesign::from_props(&g.design));
        stored.as_ref().map_or("", StoredDesign::revision) == expected
    })
}

fn add_shared(into: &mut BTreeMap<String, Props>, nodes: &[NodeRec]) {
    for n in nodes {
        into.entry(n.uid.clone()).or_insert_with(|| n.props.clone());
    }
}

impl GraphSink for MemorySink {
    async fn ensure_schema(&self) -> Result<(), GraphError> {
        self.injected("ensure_schema")?;
        self.with(|s| s.schema = true);
        Ok(())
    }

    async fn write_design(&self, plan: &GraphPlan) -> Result<WriteStats, GraphError> {
        self.injected("write_design")?;
        self.with(|s| {
            let stored = s
                .designs
                .get(&plan.design_id)
                .map(|(_, g)| StoredDesign::from_props(&g.design));
            if !plan.admits(stored.as_ref().map_or("", StoredDesign::revision)) {
                return Err(GraphError::Conflict {
                    design_id: plan.design_id.clone(),
                });
            }
            if is_invalid(&plan.graph.design) {
                if let Some((_, kept)) = s
                    .designs
                    .get_mut(&plan.design_id)
                    .filter(|(_, g)| !is_invalid(&g.design))
                {
                    kept.design.extend(rejection_props(&plan.graph.design));
                    return Ok(());
                }
            }
            add_shared(&mut s.materials, &plan.graph.materials);
            add_shared(&mut s.motors, &plan.graph.motors);
            s.designs.insert(
                plan.design_id.clone(),
                (plan.fingerprint.clone(), plan.graph.clone()),
            );
            Ok(())
        })?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(WriteStats {
            round_trips: 0,
            attempts: 1,
        })
    }

    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, GraphError> {
        self.injected("delete_design")?;
        let existed = self.with(|s| {
            if guard_holds(s, design_id, guard) {
                Ok(s.designs.remove(design_id).is_some())
            } else {
                Err(GraphError::Conflict {
                    design_id: design_id.to_owned(),
                })
            }
        })?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(existed)
    }

    async fn stored(&self, design_ids: &[String]) -> Result<Vec<StoredDesign>, GraphError> {
        self.injected("stored")?;
        Ok(self.with(|s| {
            design_ids
                .iter()
                .filter_map(|id| s.designs.get(id))
                .map(|(_, g)| StoredDesign::from_props(&g.design))
                .collect()
        }))
    }

    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<Fingerprint>, GraphError> {
        self.injected("existing_fingerprint")?;
        Ok(self.with(|s| s.designs.get(design_id).map(|(f, _)| f.clone())))
    }
}
