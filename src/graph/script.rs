//! Offline renderings of a plan: a self-contained `.cypher` script and a JSON document.
//!
//! The script is the schema followed by the plan's statements with every `$parameter` replaced
//! by its Cypher literal ([`Value::to_cypher`](super::value::Value::to_cypher)), one statement per line, each ending in `;`.
//! Run in order against an empty database (cypher-shell or Neo4j Browser, one statement at a
//! time), it gives the same graph as the live loader.

use super::build::{ComponentRec, NodeRec, RelRec};
use super::plan::{schema_statements, GraphPlan, Statement};
use super::value::Props;
use serde_json::{json, Map};

/// The statement with its parameters inlined as literals. A `$name` with no parameter is left
/// as it is (the plan never produces one).
pub fn inline_params(st: &Statement) -> String {
    let text = &st.cypher;
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            if let Some(v) = st.params.get(&text[start..end]) {
                out.push_str(&text[copied..i]);
                out.push_str(&v.to_cypher());
                copied = end;
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The plan as a Cypher script, schema first.
pub fn to_cypher_script(plan: &GraphPlan) -> String {
    let mut out = format!(
        "// ork-processor {} graph of design {}\n",
        crate::VERSION,
        plan.design_id
    );
    for st in schema_statements().iter().chain(&plan.statements) {
        out.push_str(&inline_params(st));
        out.push_str(";\n");
    }
    out
}

/// Splits a script made by [`to_cypher_script`] back into statements (one per line; comment
/// lines skipped). Literals never contain a raw line break, so this is exact.
pub fn script_statements(script: &str) -> impl Iterator<Item = &str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| l.strip_suffix(';').unwrap_or(l))
}

fn props_json(p: &Props) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_else(|_| json!({}))
}

fn node(id: String, labels: &[&str], props: &Props) -> serde_json::Value {
    json!({"id": id, "labels": labels, "properties": props_json(props)})
}

fn rels(out: &mut Vec<serde_json::Value>, ty: &str, from: &str, to: &str, list: &[RelRec]) {
    for r in list {
        out.push(json!({
            "type": ty,
            "from": format!("{from}:{}", r.from),
            "to": format!("{to}:{}", r.to),
            "properties": props_json(&r.props),
        }));
    }
}

/// The plan's graph as JSON: `{design_id, nodes: [{id, labels, properties}],
/// relationships: [{type, from, to, properties}]}`. Node ids are `Label:key`
/// (`Design:<design_id>`, `Component:<uid>`, …); shared nodes are marked `"shared": true`.
pub fn to_json(plan: &GraphPlan) -> serde_json::Value {
    let g = &plan.graph;
    let mut nodes = vec![node(
        format!("Design:{}", g.design_id),
        &["Design"],
        &g.design,
    )];
    for ComponentRec { kind, uid, props } in &g.components {
        nodes.push(node(
            format!("Component:{uid}"),
            &["Component", kind.label()],
            props,
        ));
    }
    let simple: [(&str, &[NodeRec], bool); 5] = [
        ("Material", &g.materials, true),
        ("Motor", &g.motors, true),
        ("MotorConfiguration", &g.configurations, false),
        ("Simulation", &g.simulations, false),
        ("Branch", &g.branches, false),
    ];
    for (label, list, shared) in simple {
        for n in list {
            let mut v = node(format!("{label}:{}", n.uid), &[label], &n.props);
            if shared {
                if let Some(o) = v.as_object_mut() {
                    o.insert("shared".into(), json!(true));
                }
            }
            nodes.push(v);
        }
    }
    let mut r = Vec::new();
    rels(&mut r, "HAS_STAGE", "Design", "Component", &g.has_stage);
    rels(&mut r, "CONTAINS", "Component", "Component", &g.contains);
    rels(&mut r, "MADE_OF", "Component", "Material", &g.made_of);
    let cfg = "MotorConfiguration";
    rels(
        &mut r,
        "HAS_CONFIGURATION",
        "Design",
        cfg,
        &g.has_configuration,
    );
    rels(&mut r, "USES", cfg, "Motor", &g.uses);
    rels(
        &mut r,
        "HAS_SIMULATION",
        "Design",
        "Simulation",
        &g.has_simulation,
    );
    rels(&mut r, "FLIES", "Simulation", cfg, &g.flies);
    rels(&mut r, "HAS_BRANCH", "Simulation", "Branch", &g.has_branch);
    let mut m = Map::new();
    m.insert("design_id".into(), json!(plan.design_id));
    m.insert("processor_version".into(), json!(crate::VERSION));
    m.insert("nodes".into(), serde_json::Value::Array(nodes));
    m.insert("relationships".into(), serde_json::Value::Array(r));
    serde_json::Value::Object(m)
}
