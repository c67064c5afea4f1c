//! Cypher statements: the schema, and the batched writes of one design.
//!
//! Everything here is pure. Values only ever travel as parameters (`$rows`, `$design_id`);
//! the only things spelled into the Cypher text are labels and relationship types, which come
//! from fixed tables ([`ComponentKind::label`]), never from input.
//!
//! An invalid upload never replaces a good design: it is recorded on the stored design as
//! `rejected_*` properties, and the design keeps its components (see [`plan_graph`]).
//!
//! A design's write is one transaction of a bounded number of statements:
//! 1. `MERGE` the `Design` node and replace its properties (this also write-locks it, which
//!    serialises concurrent writers of the same design on Neo4j);
//! 2. delete the design's old components, configurations and simulations (shared `Material`
//!    and `Motor` nodes stay);
//! 3. one `UNWIND` per component type present, then one per relationship type, one per shared
//!    node type. The count depends on how many component *types* a design has (at most 21),
//!    never on how many components.

use super::build::{build, DesignGraph, RelRec};
use super::input::{DesignInput, Outcome, SourceObject};
use super::value::{Props, Value};
use crate::model::ComponentKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// One Cypher statement and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub cypher: String,
    pub params: Props,
}

impl Statement {
    pub fn new(cypher: impl Into<String>) -> Self {
        Self {
            cypher: cypher.into(),
            params: Props::new(),
        }
    }

    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }
}

/// What identifies the content a design node was written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    pub sha256: String,
    pub processor_version: String,
}

/// The graph of one design and the statements that write it, in order, in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphPlan {
    pub design_id: String,
    pub fingerprint: Fingerprint,
    pub graph: DesignGraph,
    pub statements: Vec<Statement>,
    /// When set, the write happens only while the design stored under the key is still the
    /// one of this revision ([`StoredDesign::revision`]; `""`: no design, or one written
    /// without bytes); otherwise it fails with [`super::GraphError::Conflict`] and changes
    /// nothing. See [`conditional`].
    pub guard: Option<String>,
}

impl GraphPlan {
    /// The plan, to be written only while the stored design is still the one of `revision`
    /// (its [`StoredDesign::revision`], `""` for none): what the writer read before it
    /// uploaded images and chose which old ones to delete. Two workers on one key then cannot
    /// both replace the same version, even with the same bytes.
    pub fn guarded(mut self, revision: &str) -> Self {
        self.guard = Some(revision.to_owned());
        self
    }

    /// The whole write as one statement that Neo4j runs atomically as an auto-commit
    /// transaction, in one round trip: see [`conditional`]. A guarded write that finds its own
    /// [`Self::revision`] stored runs again (it is idempotent): the same write sent again after
    /// its answer was lost succeeds rather than conflicting with itself.
    pub fn write_statement(&self) -> Statement {
        let guard = self.guard.as_deref().map(|expected| Guard {
            design_id: &self.design_id,
            expected,
            create_if_missing: expected.is_empty(),
        });
        guarded_statement(guard.as_ref(), self.revision(), &self.statements)
    }

    /// The revision this plan writes (the `ork_revision` of its design node), if any.
    pub fn revision(&self) -> Option<&str> {
        match self.graph.design.get("ork_revision") {
            Some(Value::Str(r)) => Some(r),
            _ => None,
        }
    }

    /// Whether a design stored with `revision` lets this plan be written: the guard's
    /// revision, or the plan's own (see [`Self::write_statement`]). Always, unguarded.
    pub fn admits(&self, revision: &str) -> bool {
        self.guard
            .as_deref()
            .is_none_or(|expected| revision == expected || self.revision() == Some(revision))
    }
}

/// The condition of a guarded write or delete: the design stored under `design_id` is of
/// revision `expected` ([`StoredDesign::revision`]; `""`: none stored, or one written without
/// bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard<'a> {
    pub design_id: &'a str,
    pub expected: &'a str,
    /// `MERGE` the design node rather than match it, so that two writers of a new design take
    /// turns on its unique key (the second then finds the first's version and writes nothing).
    /// Only for writes that expect none: a delete or a write that expects a version never
    /// creates a node.
    pub create_if_missing: bool,
}

/// The column [`conditional`] returns: 1 when the statements ran, 0 when the guard found
/// another version (and nothing was written).
pub const WRITTEN_COLUMN: &str = "written";

/// `statements` as ONE statement, run only while `guard` holds, returning [`WRITTEN_COLUMN`].
///
/// The guard first takes the design node's write lock (`SET` then `REMOVE` of a marker
/// property, Neo4j's way to lock a node before reading it) and only then reads its revision
/// (`ork_revision`, or `sha256` for a design written before revisions), so no other writer can
/// change the version between the check and the commit. When the
/// check fails, no row flows on, nothing below runs, and the statement returns 0. Each
/// statement is a unit subquery (`CALL { … }`, run once for the one row, its writes visible
/// to the next), its parameters renamed `p<i>_<name>`. The text holds no value: parameters
/// only.
pub fn conditional(guard: Option<&Guard<'_>>, statements: &[Statement]) -> Statement {
    guarded_statement(guard, None, statements)
}

/// [`conditional`], letting the statements run also when the stored revision is `own`.
fn guarded_statement(
    guard: Option<&Guard<'_>>,
    own: Option<&str>,
    statements: &[Statement],
) -> Statement {
    let mut out = Statement::new("");
    if let Some(g) = guard {
        let find = if g.create_if_missing {
            "MERGE"
        } else {
            "OPTIONAL MATCH"
        };
        out.cypher = format!(
            "{find} (g:Design {{design_id: $g_design_id}}) \
             SET g.{LOCK_PROPERTY} = true REMOVE g.{LOCK_PROPERTY} \
             WITH g WHERE coalesce(g.ork_revision, g.sha256, $g_none) IN [$g_expected, $g_own] "
        );
        out.params
            .insert("g_design_id".into(), Value::from(g.design_id));
        out.params.insert("g_none".into(), Value::from(""));
        out.params
            .insert("g_expected".into(), Value::from(g.expected));
        out.params
            .insert("g_own".into(), Value::from(own.unwrap_or(g.expected)));
    }
    for (i, st) in statements.iter().enumerate() {
        out.cypher.push_str("CALL { ");
        out.cypher.push_str(&prefixed(&st.cypher, i));
        out.cypher.push_str(" } ");
        for (k, v) in &st.params {
            out.params.insert(format!("p{i}_{k}"), v.clone());
        }
    }
    out.cypher
        .push_str(&format!("RETURN count(*) AS {WRITTEN_COLUMN}"));
    out
}

/// The property [`conditional`] sets and removes at once to lock a design node.
const LOCK_PROPERTY: &str = "_ork_lock";

/// `cypher` with every `$name` renamed `$p<i>_name`.
fn prefixed(cypher: &str, i: usize) -> String {
    let mut out = String::with_capacity(cypher.len() + 16);
    let mut copied = 0;
    for (start, _) in parameter_spans(cypher) {
        out.push_str(&cypher[copied..start]);
        out.push_str(&format!("p{i}_"));
        copied = start;
    }
    out.push_str(&cypher[copied..]);
    out
}

/// Uniqueness constraints and indexes. Idempotent (`IF NOT EXISTS`); run once per process
/// before writing, outside the design transactions (Neo4j forbids mixing schema and data
/// writes in one transaction).
pub fn schema_statements() -> Vec<Statement> {
    let unique = [
        ("design_id", "Design", "design_id"),
        ("component_uid", "Component", "uid"),
        ("material_uid", "Material", "uid"),
        ("motor_uid", "Motor", "uid"),
        ("motor_configuration_uid", "MotorConfiguration", "uid"),
        ("simulation_uid", "Simulation", "uid"),
        ("branch_uid", "Branch", "uid"),
    ];
    let indexes = [
        ("design_name", "Design", "name"),
        ("design_stability", "Design", "stability_cal"),
        ("design_status", "Design", "status"),
        ("component_design", "Component", "design_id"),
        (
            "motor_configuration_design",
            "MotorConfiguration",
            "design_id",
        ),
        ("simulation_design", "Simulation", "design_id"),
        ("branch_design", "Branch", "design_id"),
        ("motor_designation", "Motor", "designation"),
    ];
    unique
        .iter()
        .map(|(name, label, prop)| {
            Statement::new(format!(
                "CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
            ))
        })
        // The object a design describes: one design per bucket and key (its id is derived
        // from them; the constraint also indexes the frontend's lookup by key).
        .chain(std::iter::once(Statement::new(
            "CREATE CONSTRAINT design_key IF NOT EXISTS FOR (n:Design) REQUIRE (n.bucket, n.key) IS UNIQUE",
        )))
        .chain(indexes.iter().map(|(name, label, prop)| {
            Statement::new(format!(
                "CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
            ))
        }))
        .collect()
}

/// Statements that remove a design's own nodes (not shared ones), keeping the design node.
fn remove_owned(design_id: &str) -> Vec<Statement> {
    ["Component", "MotorConfiguration", "Simulation", "Branch"]
        .iter()
        .map(|label| {
            Statement::new(format!(
                "MATCH (n:{label} {{design_id: $design_id}}) DETACH DELETE n"
            ))
            .param("design_id", design_id)
        })
        .collect()
}

/// Statements that delete a design entirely (one transaction).
pub fn delete_statements(design_id: &str) -> Vec<Statement> {
    let mut v = remove_owned(design_id);
    v.push(
        Statement::new("MATCH (d:Design {design_id: $design_id}) DETACH DELETE d")
            .param("design_id", design_id),
    );
    v
}

/// What the graph holds under one design key: enough to tell whether an object needs work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StoredDesign {
    pub design_id: String,
    /// `ok` or `invalid`.
    pub status: String,
    pub sha256: String,
    pub etag: Option<String>,
    pub processor_version: String,
    /// The last upload refused while this (good) version was kept.
    pub rejected_sha256: Option<String>,
    pub rejected_etag: Option<String>,
    pub rejected_processor_version: Option<String>,
    /// The write that stored this version: unique to the attempt, and the folder of its
    /// images (see [`Self::revision`]). `None` for a design written without images, or before
    /// revisions existed.
    pub revision: Option<String>,
    /// The revision this one replaced, whose images were (or are to be) deleted.
    pub replaced_revision: Option<String>,
    /// What designs written before revisions recorded instead: the SHA-256 of the version
    /// they replaced (that version's revision, see [`Self::revision`]).
    pub replaced_sha256: Option<String>,
}

/// The columns [`stored_statement`] returns, in the order [`StoredDesign::from_row`] reads.
pub const STORED_COLUMNS: [&str; 11] = [
    "design_id",
    "status",
    "sha256",
    "etag",
    "processor_version",
    "rejected_sha256",
    "rejected_etag",
    "rejected_processor_version",
    "replaced_sha256",
    "ork_revision",
    "replaced_ork_revision",
];

/// S3 quotes ETags in some answers and not in others.
fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

impl StoredDesign {
    /// Reads a row of [`STORED_COLUMNS`] (absent values as `None`).
    pub fn from_row(row: &[Option<String>]) -> Self {
        let get = |i: usize| row.get(i).cloned().flatten();
        StoredDesign {
            design_id: get(0).unwrap_or_default(),
            status: get(1).unwrap_or_default(),
            sha256: get(2).unwrap_or_default(),
            etag: get(3),
            processor_version: get(4).unwrap_or_default(),
            rejected_sha256: get(5),
            rejected_etag: get(6),
            rejected_processor_version: get(7),
            replaced_sha256: get(8),
            revision: get(9),
            replaced_revision: get(10),
        }
    }

    /// The revision a guarded write or delete of this version expects: its `ork_revision`, or
    /// for a design written without one (before revisions, or not a design) its SHA-256.
    pub fn revision(&self) -> &str {
        self.revision.as_deref().unwrap_or(&self.sha256)
    }

    /// The revision this version replaced, whose images go once it is stored.
    pub fn replaced(&self) -> Option<&str> {
        self.replaced_revision
            .as_deref()
            .or(self.replaced_sha256.as_deref())
    }

    /// Reads a design node's properties.
    pub fn from_props(props: &Props) -> Self {
        let row: Vec<Option<String>> = STORED_COLUMNS
            .iter()
            .map(|c| match props.get(*c) {
                Some(Value::Str(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        Self::from_row(&row)
    }

    /// Whether the last upload seen under this key had this SHA-256 and was handled by
    /// processor `version`: the stored design itself, or — when a later upload was refused and
    /// the good version kept — that refused upload. (Good bytes uploaded again after a refusal
    /// are new work: writing them clears the rejection.)
    pub fn has_sha256(&self, sha256: &str, version: &str) -> bool {
        match (&self.rejected_sha256, &self.rejected_processor_version) {
            (Some(sha), Some(v)) => sha == sha256 && v == version,
            (Some(_), None) | (None, Some(_)) => false,
            (None, None) => self.sha256 == sha256 && self.processor_version == version,
        }
    }

    /// [`Self::has_sha256`] by the object's ETag, as a listing gives it (no download needed).
    pub fn has_etag(&self, etag: &str, version: &str) -> bool {
        if self.rejected_sha256.is_some() {
            return self
                .rejected_etag
                .as_deref()
                .is_some_and(|e| same_etag(e, etag))
                && self.rejected_processor_version.as_deref() == Some(version);
        }
        self.etag.as_deref().is_some_and(|e| same_etag(e, etag))
            && self.processor_version == version
    }
}

/// The query that reads what is stored for many designs at once; returns [`STORED_COLUMNS`].
pub fn stored_statement(design_ids: &[String]) -> Statement {
    let columns: Vec<String> = STORED_COLUMNS
        .iter()
        .map(|c| format!("d.{c} AS {c}"))
        .collect();
    Statement::new(format!(
        "UNWIND $ids AS id MATCH (d:Design {{design_id: id}}) RETURN {}",
        columns.join(", ")
    ))
    .param(
        "ids",
        Value::List(design_ids.iter().map(|i| Value::from(i.as_str())).collect()),
    )
}

/// The query that reads a design's fingerprint; returns columns `sha256`, `processor_version`.
pub fn fingerprint_statement(design_id: &str) -> Statement {
    Statement::new(
        "MATCH (d:Design {design_id: $design_id}) \
         RETURN d.sha256 AS sha256, d.processor_version AS processor_version",
    )
    .param("design_id", design_id)
}

fn rows<T>(items: &[T], f: impl Fn(&T) -> Props) -> Value {
    Value::List(items.iter().map(|i| Value::Map(f(i))).collect())
}

fn rel_rows(rels: &[RelRec]) -> Value {
    rows(rels, |r| {
        Props::from([
            ("from".into(), Value::from(r.from.as_str())),
            ("to".into(), Value::from(r.to.as_str())),
            ("props".into(), Value::Map(r.props.clone())),
        ])
    })
}

/// `UNWIND $rows` creating relationships between nodes found by key.
fn link(rel: &str, from: (&str, &str), to: (&str, &str), rels: &[RelRec]) -> Option<Statement> {
    if rels.is_empty() {
        return None;
    }
    let ((fl, fk), (tl, tk)) = (from, to);
    Some(
        Statement::new(format!(
            "UNWIND $rows AS r MATCH (a:{fl} {{{fk}: r.from}}) MATCH (b:{tl} {{{tk}: r.to}}) \
             CREATE (a)-[e:{rel}]->(b) SET e = r.props"
        ))
        .param("rows", rel_rows(rels)),
    )
}

/// The plan for one input: the graph, and the statements that write it.
pub fn plan(input: &DesignInput<'_>) -> GraphPlan {
    plan_graph(
        build(input),
        Fingerprint {
            sha256: input.source.sha256.clone(),
            processor_version: input.processor_version.clone(),
        },
    )
}

/// The plan that records `source` as invalid (a design node with the error, no components).
pub fn plan_invalid(source: &SourceObject, error: &str) -> GraphPlan {
    plan(&DesignInput::new(source.clone(), Outcome::Invalid(error)))
}

/// Properties an invalid upload leaves on a good design it did not replace.
pub const REJECTION_PROPS: [&str; 5] = [
    "rejected_sha256",
    "rejected_etag",
    "rejected_error",
    "rejected_at",
    "rejected_processor_version",
];

/// The `rejected_*` properties recording an invalid upload on a good design.
pub fn rejection_props(design: &Props) -> Props {
    let mut out = Props::new();
    for (from, to) in [
        ("sha256", "rejected_sha256"),
        ("etag", "rejected_etag"),
        ("error", "rejected_error"),
        ("processed_at", "rejected_at"),
        ("processor_version", "rejected_processor_version"),
    ] {
        if let Some(v) = design.get(from) {
            out.insert(to.to_owned(), v.clone());
        }
    }
    out
}

/// Whether a design node's properties describe an invalid upload.
pub fn is_invalid(design: &Props) -> bool {
    matches!(design.get("status"), Some(Value::Str(s)) if s == "invalid")
}

/// Statements that record an invalid upload. A good design already stored under the key is
/// kept whole and only gets the `rejected_*` properties; otherwise the invalid design node
/// replaces whatever was there (an earlier invalid upload, or nothing).
fn plan_rejection(graph: DesignGraph, fingerprint: Fingerprint) -> GraphPlan {
    let id = graph.design_id.as_str();
    let statements = vec![
        Statement::new(
            "MERGE (d:Design {design_id: $design_id}) \
             WITH d WHERE d.status = $ok SET d += $rejection",
        )
        .param("design_id", id)
        .param("ok", "ok")
        .param("rejection", Value::Map(rejection_props(&graph.design))),
        Statement::new(
            "MATCH (d:Design {design_id: $design_id}) \
             WHERE d.status IS NULL OR d.status <> $ok SET d = $props",
        )
        .param("design_id", id)
        .param("ok", "ok")
        .param("props", Value::Map(graph.design.clone())),
    ];
    GraphPlan {
        design_id: graph.design_id.clone(),
        fingerprint,
        graph,
        statements,
        guard: None,
    }
}

/// Statements for a graph already built. An invalid design never replaces a good one: see
/// `plan_rejection`.
pub fn plan_graph(graph: DesignGraph, fingerprint: Fingerprint) -> GraphPlan {
    if is_invalid(&graph.design) {
        return plan_rejection(graph, fingerprint);
    }
    let id = graph.design_id.as_str();
    let mut s = vec![
        Statement::new("MERGE (d:Design {design_id: $design_id}) SET d = $props")
            .param("design_id", id)
            .param("props", Value::Map(graph.design.clone())),
    ];
    s.extend(remove_owned(id));

    // Components, one statement per type, in the fixed order of ComponentKind::ALL.
    let mut by_kind: BTreeMap<ComponentKind, Vec<Value>> = BTreeMap::new();
    for c in &graph.components {
        by_kind
            .entry(c.kind)
            .or_default()
            .push(Value::Map(c.props.clone()));
    }
    for (kind, list) in by_kind {
        s.push(
            Statement::new(format!(
                "UNWIND $rows AS r CREATE (c:Component:{}) SET c = r",
                kind.label()
            ))
            .param("rows", Value::List(list)),
        );
    }
    s.extend(link(
        "HAS_STAGE",
        ("Design", "design_id"),
        ("Component", "uid"),
        &graph.has_stage,
    ));
    s.extend(link(
        "CONTAINS",
        ("Component", "uid"),
        ("Component", "uid"),
        &graph.contains,
    ));
    for (label, nodes) in [("Material", &graph.materials), ("Motor", &graph.motors)] {
        if !nodes.is_empty() {
            // Shared nodes: created once, never rewritten (their key fixes what matters), so
            // that loading a design does not write to nodes other designs also point at.
            s.push(
                Statement::new(format!(
                    "UNWIND $rows AS r MERGE (n:{label} {{uid: r.uid}}) ON CREATE SET n = r"
                ))
                .param("rows", rows(nodes, |n| n.props.clone())),
            );
        }
    }
    s.extend(link(
        "MADE_OF",
        ("Component", "uid"),
        ("Material", "uid"),
        &graph.made_of,
    ));
    for (label, nodes) in [
        ("MotorConfiguration", &graph.configurations),
        ("Simulation", &graph.simulations),
        ("Branch", &graph.branches),
    ] {
        if !nodes.is_empty() {
            s.push(
                Statement::new(format!("UNWIND $rows AS r CREATE (n:{label}) SET n = r"))
                    .param("rows", rows(nodes, |n| n.props.clone())),
            );
        }
    }
    s.extend(link(
        "HAS_CONFIGURATION",
        ("Design", "design_id"),
        ("MotorConfiguration", "uid"),
        &graph.has_configuration,
    ));
    s.extend(link(
        "USES",
        ("MotorConfiguration", "uid"),
        ("Motor", "uid"),
        &graph.uses,
    ));
    s.extend(link(
        "HAS_SIMULATION",
        ("Design", "design_id"),
        ("Simulation", "uid"),
        &graph.has_simulation,
    ));
    s.extend(link(
        "FLIES",
        ("Simulation", "uid"),
        ("MotorConfiguration", "uid"),
        &graph.flies,
    ));
    s.extend(link(
        "HAS_BRANCH",
        ("Simulation", "uid"),
        ("Branch", "uid"),
        &graph.has_branch,
    ));
    GraphPlan {
        design_id: graph.design_id.clone(),
        fingerprint,
        graph,
        statements: s,
        guard: None,
    }
}

/// Every `$name` in a Cypher text, in order of appearance (with repeats).
pub fn parameter_names(cypher: &str) -> Vec<&str> {
    parameter_spans(cypher)
        .into_iter()
        .map(|(start, end)| &cypher[start..end])
        .collect()
}

/// The byte ranges of the names of every `$name` in a Cypher text, in order.
fn parameter_spans(cypher: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = cypher.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            if end > start {
                out.push((start, end));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod conditional_tests {
    use super::*;

    fn parts() -> Vec<Statement> {
        vec![
            Statement::new("MERGE (d:Design {design_id: $design_id}) SET d = $props")
                .param("design_id", "abc")
                .param("props", Value::Map(Props::new())),
            Statement::new("UNWIND $rows AS r CREATE (c:Component:NoseCone) SET c = r")
                .param("rows", Value::List(vec![])),
        ]
    }

    #[test]
    fn a_guarded_write_locks_then_checks_then_runs_each_part_once() {
        for (expected, find) in [
            ("", "MERGE (g:Design"),
            ("f00d", "OPTIONAL MATCH (g:Design"),
        ] {
            let g = Guard {
                design_id: "abc",
                expected,
                create_if_missing: expected.is_empty(),
            };
            let st = conditional(Some(&g), &parts());
            let c = &st.cypher;
            assert!(c.starts_with(find), "{c}");
            let lock = c.find("SET g._ork_lock").expect("the lock");
            let check = c
                .find("coalesce(g.ork_revision, g.sha256")
                .expect("the check");
            let first = c.find("CALL {").expect("the parts");
            assert!(
                lock < check && check < first,
                "lock, then check, then write: {c}"
            );
            assert_eq!(c.matches("CALL { ").count(), 2, "{c}");
            assert!(c.ends_with("RETURN count(*) AS written"), "{c}");
            assert!(
                !c.contains("abc") && !c.contains("f00d") && !c.contains('\''),
                "{c}"
            );
            // Every parameter the text names is bound, and the parts' names cannot clash.
            for name in parameter_names(c) {
                assert!(st.params.contains_key(name), "${name} unbound in {c}");
            }
            assert!(st.params.contains_key("p0_design_id") && st.params.contains_key("p1_rows"));
            assert_eq!(st.params["g_expected"], Value::from(expected));
        }
    }

    #[test]
    fn an_unguarded_write_runs_every_part() {
        let st = conditional(None, &parts());
        assert!(st.cypher.starts_with("CALL { MERGE"), "{}", st.cypher);
        assert!(!st.cypher.contains("g:Design"));
        let plan = GraphPlan {
            design_id: "abc".into(),
            fingerprint: Fingerprint {
                sha256: "1".into(),
                processor_version: "v".into(),
            },
            graph: DesignGraph::default(),
            statements: parts(),
            guard: None,
        };
        assert_eq!(plan.write_statement(), st);
        let guarded = plan.guarded("");
        assert!(guarded
            .write_statement()
            .cypher
            .starts_with("MERGE (g:Design"));
        assert!(guarded
            .guarded("x")
            .write_statement()
            .cypher
            .starts_with("OPTIONAL MATCH (g:Design"));
    }
}
