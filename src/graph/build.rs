//! From a [`DesignInput`] to a [`DesignGraph`]: the nodes and relationships of one design,
//! with their properties, as plain data. Pure and total: any design, however odd, gives a graph.
//!
//! Property names are the model's JSON names. Nested objects are flattened with `_`
//! (`axial.offset_m` → `axial_offset_m`), an [`crate::model::AutoValue`] becomes its value under
//! the field name plus a `…_auto` flag (`aft_radius_m` + `aft_radius_auto`), lists of numbers or
//! strings stay lists, and anything else that is not a primitive (lists of objects such as
//! per-configuration overrides) is left out, as are absent values.

use super::input::{DesignInput, Outcome};
use super::value::{int, Props, Value};
use crate::model::{Component, ComponentKind, Design, Material, MountedMotor};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A node owned by one design, or a shared one, identified by its `uid` property.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeRec {
    pub uid: String,
    pub props: Props,
}

/// A component node: its type label besides `Component`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentRec {
    pub kind: ComponentKind,
    pub uid: String,
    pub props: Props,
}

/// A relationship between two nodes given by `uid` (the design itself by `design_id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelRec {
    pub from: String,
    pub to: String,
    pub props: Props,
}

/// Everything the graph holds for one design. Relationship lists are named after their type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DesignGraph {
    pub design_id: String,
    /// Properties of the `Design` node (including `design_id`).
    pub design: Props,
    /// Components in file order.
    pub components: Vec<ComponentRec>,
    /// `(:Design)-[:HAS_STAGE {order}]->(:Component:Stage)`; `from` is the design id.
    pub has_stage: Vec<RelRec>,
    /// `(:Component)-[:CONTAINS {order}]->(:Component)`.
    pub contains: Vec<RelRec>,
    /// Shared `Material` nodes used by this design (deduplicated).
    pub materials: Vec<NodeRec>,
    /// `(:Component)-[:MADE_OF {role}]->(:Material)`; role `body`, `fillet` or `line`.
    pub made_of: Vec<RelRec>,
    /// Shared `Motor` nodes used by this design (deduplicated).
    pub motors: Vec<NodeRec>,
    pub configurations: Vec<NodeRec>,
    /// `(:Design)-[:HAS_CONFIGURATION]->(:MotorConfiguration)`.
    pub has_configuration: Vec<RelRec>,
    /// `(:MotorConfiguration)-[:USES {mount, …}]->(:Motor)`.
    pub uses: Vec<RelRec>,
    pub simulations: Vec<NodeRec>,
    /// `(:Design)-[:HAS_SIMULATION]->(:Simulation)`.
    pub has_simulation: Vec<RelRec>,
    /// `(:Simulation)-[:FLIES]->(:MotorConfiguration)`.
    pub flies: Vec<RelRec>,
    /// A simulation's other flight branches (boosters, separated stages) with their series.
    pub branches: Vec<NodeRec>,
    /// `(:Simulation)-[:HAS_BRANCH {order}]->(:Branch)`.
    pub has_branch: Vec<RelRec>,
}

impl DesignGraph {
    /// Nodes owned by the design (the design node, components, configurations, simulations,
    /// branches).
    pub fn owned_node_count(&self) -> usize {
        1 + self.components.len()
            + self.configurations.len()
            + self.simulations.len()
            + self.branches.len()
    }

    pub fn relationship_count(&self) -> usize {
        self.has_stage.len()
            + self.contains.len()
            + self.made_of.len()
            + self.has_configuration.len()
            + self.uses.len()
            + self.has_simulation.len()
            + self.flies.len()
            + self.has_branch.len()
    }

    /// The status property: `ok` or `invalid`.
    pub fn status(&self) -> &str {
        self.design
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("ok")
    }
}

/// Builds the graph of one design.
pub fn build(input: &DesignInput<'_>) -> DesignGraph {
    let design_id = input.source.design_id();
    let mut g = DesignGraph {
        design: design_props(&design_id, input),
        design_id,
        ..Default::default()
    };
    if let Outcome::Ok(design) = input.outcome {
        add_components(&mut g, design);
        add_motors(&mut g, design);
        add_simulations(&mut g, design, &input.images);
    }
    g
}

fn put(p: &mut Props, k: &str, v: impl Into<Value>) {
    p.insert(k.to_owned(), v.into());
}

fn put_opt<V: Into<Value>>(p: &mut Props, k: &str, v: Option<V>) {
    if let Some(v) = v {
        p.insert(k.to_owned(), v.into());
    }
}

fn put_f64(p: &mut Props, k: &str, v: Option<f64>) {
    if let Some(v) = v.and_then(Value::float) {
        p.insert(k.to_owned(), v);
    }
}

fn design_props(design_id: &str, input: &DesignInput<'_>) -> Props {
    let mut p = Props::new();
    let s = &input.source;
    put(&mut p, "design_id", design_id);
    put(&mut p, "bucket", s.bucket.as_str());
    put(&mut p, "key", s.key.as_str());
    put_opt(&mut p, "etag", s.etag.clone());
    put_opt(&mut p, "version_id", s.version_id.clone());
    put(&mut p, "sha256", s.sha256.as_str());
    p.insert("size_bytes".into(), int(s.size_bytes));
    put(&mut p, "processed_at", input.processed_at.as_str());
    put(
        &mut p,
        "processor_version",
        input.processor_version.as_str(),
    );
    put_opt(&mut p, "ork_revision", input.revision.clone());
    put_opt(
        &mut p,
        "replaced_ork_revision",
        input.replaced_revision.clone(),
    );
    put_opt(&mut p, "profile_url", input.images.profile_url.clone());
    put_opt(&mut p, "thumbnail_url", input.images.thumbnail_url.clone());
    put_opt(&mut p, "svg_url", input.images.svg_url.clone());
    put_opt(
        &mut p,
        "flight_chart_url",
        input.images.flight_chart_url.clone(),
    );
    put_opt(
        &mut p,
        "flight_chart_svg_url",
        input.images.flight_chart_svg_url.clone(),
    );
    put_opt(&mut p, "model_url", input.images.model_url.clone());
    put_opt(&mut p, "model_error", input.model_error.clone());
    match input.outcome {
        Outcome::Invalid(error) => {
            put(&mut p, "status", "invalid");
            put(&mut p, "error", error);
            put(&mut p, "name", file_stem(&s.key));
        }
        Outcome::Ok(d) => {
            put(&mut p, "status", "ok");
            let name = d.rocket.name.clone().filter(|n| !n.trim().is_empty());
            put(&mut p, "name", name.unwrap_or_else(|| file_stem(&s.key)));
            put_opt(&mut p, "designer", d.rocket.designer.clone());
            put_opt(&mut p, "comment", d.rocket.comment.clone());
            put_opt(&mut p, "revision", d.rocket.revision.clone());
            put(&mut p, "format_version", d.format_version.as_str());
            put_opt(&mut p, "creator", d.creator.clone());
            put(&mut p, "component_count", int(d.components.len() as u64));
            put(&mut p, "stage_count", int(d.stages().count() as u64));
            put(&mut p, "simulation_count", int(d.simulations.len() as u64));
            if let Some(i) = d.primary_simulation() {
                p.insert("primary_simulation_index".into(), int(i as u64));
            }
            if let Some(figures) = &input.figures {
                for (k, v) in &figures.0 {
                    // Figures never overwrite the fields above.
                    if !p.contains_key(k) {
                        put_f64(&mut p, k, Some(*v));
                    }
                }
            }
        }
    }
    p
}

/// The last path segment of an object key, without its extension (`a/b/Rocket.ork` → `Rocket`).
fn file_stem(key: &str) -> String {
    let base = key.rsplit('/').next().unwrap_or(key);
    match base.rfind('.') {
        Some(i) if i > 0 => base[..i].to_owned(),
        _ => base.to_owned(),
    }
}

/// Fields of the component JSON that are not properties: tree links (relationships instead),
/// materials (nodes), motor lists (configurations) and the fin outline (split below).
const SKIPPED_COMPONENT_FIELDS: &[&str] = &[
    "index",
    "parent",
    "children",
    "material",
    "fillet_material",
    "line_material",
    "points_m",
    "type",
];

fn add_components(g: &mut DesignGraph, d: &Design) {
    // Component ids are unique in well-formed files; a repeated one gets the index appended
    // so that a malformed file still loads instead of failing the uniqueness constraint.
    let mut seen = BTreeSet::new();
    let uids: Vec<String> = d
        .components
        .iter()
        .map(|c| {
            let mut uid = format!("{}/{}", g.design_id, c.id);
            if !seen.insert(uid.clone()) {
                uid = format!("{uid}#{}", c.index);
                seen.insert(uid.clone());
            }
            uid
        })
        .collect();
    let mut materials: BTreeMap<String, Props> = BTreeMap::new();
    let mut stage_order = 0i64;
    for (i, c) in d.components.iter().enumerate() {
        let uid = &uids[i];
        g.components.push(ComponentRec {
            kind: c.kind(),
            uid: uid.clone(),
            props: component_props(&g.design_id, uid, c),
        });
        match c.parent.and_then(|p| uids.get(p).map(|u| (p, u))) {
            Some((p, parent_uid)) => {
                let order = d.components[p]
                    .children
                    .iter()
                    .position(|&ch| ch == i)
                    .unwrap_or(d.components[p].children.len());
                g.contains.push(RelRec {
                    from: parent_uid.clone(),
                    to: uid.clone(),
                    props: Props::from([("order".into(), int(order as u64))]),
                });
            }
            None => {
                g.has_stage.push(RelRec {
                    from: g.design_id.clone(),
                    to: uid.clone(),
                    props: Props::from([("order".into(), Value::Int(stage_order))]),
                });
                stage_order += 1;
            }
        }
        for (role, m) in component_materials(c) {
            let (muid, mprops) = material_node(m);
            g.made_of.push(RelRec {
                from: uid.clone(),
                to: muid.clone(),
                props: Props::from([("role".into(), Value::from(role))]),
            });
            materials.entry(muid).or_insert(mprops);
        }
    }
    g.materials = materials
        .into_iter()
        .map(|(uid, props)| NodeRec { uid, props })
        .collect();
}

fn component_materials(c: &Component) -> Vec<(&'static str, &Material)> {
    use crate::model::Geometry as G;
    let mut out = Vec::new();
    if let Some(m) = &c.material {
        out.push(("body", m));
    }
    let fillet = match &c.geometry {
        G::TrapezoidFinSet(f) => f.fins.fillet_material.as_ref(),
        G::EllipticalFinSet(f) => f.fins.fillet_material.as_ref(),
        G::FreeformFinSet(f) => f.fins.fillet_material.as_ref(),
        _ => None,
    };
    if let Some(m) = fillet {
        out.push(("fillet", m));
    }
    if let G::Parachute(p) = &c.geometry {
        if let Some(m) = &p.line_material {
            out.push(("line", m));
        }
    }
    out
}

/// Shared material node: identified by name, type and density together.
fn material_node(m: &Material) -> (String, Props) {
    let kind = serde_json::to_value(m.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let density = Value::float(m.density);
    let uid =
        serde_json::json!([m.name, kind, density.as_ref().and_then(Value::as_f64)]).to_string();
    let mut p = Props::new();
    put(&mut p, "uid", uid.as_str());
    put(&mut p, "name", m.name.as_str());
    put(&mut p, "type", kind);
    put_opt(&mut p, "density", density);
    (uid, p)
}

fn component_props(design_id: &str, uid: &str, c: &Component) -> Props {
    let mut p = Props::new();
    if let Ok(serde_json::Value::Object(obj)) = serde_json::to_value(c) {
        for (k, v) in &obj {
            if !SKIPPED_COMPONENT_FIELDS.contains(&k.as_str()) {
                flatten_into(&mut p, k, v);
            }
        }
    }
    // Fin outline: two parallel lists, since nested lists are not property values.
    if let crate::model::Geometry::FreeformFinSet(f) = &c.geometry {
        if f.points_m.iter().flatten().all(|v| v.is_finite()) && !f.points_m.is_empty() {
            let xs = f.points_m.iter().map(|pt| Value::Float(pt[0])).collect();
            let ys = f.points_m.iter().map(|pt| Value::Float(pt[1])).collect();
            p.insert("points_x_m".into(), Value::List(xs));
            p.insert("points_y_m".into(), Value::List(ys));
        }
    }
    put(&mut p, "uid", uid);
    put(&mut p, "design_id", design_id);
    put(&mut p, "type", c.kind().tag());
    p.insert("index".into(), int(c.index as u64));
    if c.motor_mount.is_some() {
        put(&mut p, "is_motor_mount", true);
    }
    p
}

/// Flattens one JSON field into primitive properties (see the module docs).
fn flatten_into(p: &mut Props, name: &str, v: &serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::Null => {}
        J::Bool(_) | J::Number(_) | J::String(_) => {
            if let Some(v) = Value::from_json(v) {
                p.insert(name.to_owned(), v);
            }
        }
        J::Array(items) => {
            if let Some(list) = primitive_list(items) {
                p.insert(name.to_owned(), list);
            }
        }
        J::Object(m) => {
            if is_auto_value(m) {
                if let Some(v) = m.get("value").and_then(Value::from_json) {
                    p.insert(name.to_owned(), v);
                }
                if let Some(auto) = m.get("auto").and_then(J::as_bool) {
                    let base = name.strip_suffix("_m").unwrap_or(name);
                    p.insert(format!("{base}_auto"), Value::Bool(auto));
                }
            } else {
                for (k, v) in m {
                    flatten_into(p, &format!("{name}_{k}"), v);
                }
            }
        }
    }
}

fn is_auto_value(m: &serde_json::Map<String, serde_json::Value>) -> bool {
    m.len() == 2 && m.get("auto").is_some_and(|a| a.is_boolean()) && m.contains_key("value")
}

/// A non-empty list of one primitive type (ints and floats mix as floats), else `None`.
fn primitive_list(items: &[serde_json::Value]) -> Option<Value> {
    use serde_json::Value as J;
    if items.is_empty() {
        return None;
    }
    if items.iter().all(J::is_string) || items.iter().all(J::is_boolean) {
        return Some(Value::List(
            items.iter().filter_map(Value::from_json).collect(),
        ));
    }
    if items.iter().all(J::is_number) {
        let floats: Option<Vec<Value>> = items
            .iter()
            .map(|v| v.as_f64().and_then(Value::float))
            .collect();
        let all_int = items.iter().all(|v| v.as_i64().is_some());
        return if all_int {
            Some(Value::List(
                items.iter().filter_map(Value::from_json).collect(),
            ))
        } else {
            floats.map(Value::List)
        };
    }
    None
}

/// Shared motor node: identified by manufacturer and designation.
fn motor_node(m: &MountedMotor) -> Option<(String, Props)> {
    let designation = m.designation.as_deref()?.trim();
    if designation.is_empty() {
        return None;
    }
    let manufacturer = m.manufacturer.as_deref().unwrap_or("").trim();
    let uid = serde_json::json!([manufacturer, designation]).to_string();
    let mut p = Props::new();
    put(&mut p, "uid", uid.as_str());
    put(&mut p, "manufacturer", manufacturer);
    put(&mut p, "designation", designation);
    put_f64(&mut p, "diameter_m", m.diameter_m);
    put_f64(&mut p, "length_m", m.length_m);
    put_opt(&mut p, "motor_type", m.motor_type.clone());
    Some((uid, p))
}

fn config_uid(design_id: &str, config_id: &str) -> String {
    format!("{design_id}/{config_id}")
}

fn add_motors(g: &mut DesignGraph, d: &Design) {
    // Configurations: the declared ones, then any a mount or simulation names but the rocket
    // does not declare (older files).
    let did = g.design_id.clone();
    let mut configs: BTreeMap<String, Props> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut add_config = |id: &str, props: Option<Props>| {
        if !configs.contains_key(id) {
            order.push(id.to_owned());
            let mut p = props.unwrap_or_default();
            put(&mut p, "uid", config_uid(&did, id));
            put(&mut p, "design_id", did.as_str());
            put(&mut p, "config_id", id);
            p.entry("declared".into()).or_insert(Value::Bool(false));
            configs.insert(id.to_owned(), p);
        }
    };
    for (i, mc) in d.rocket.motor_configurations.iter().enumerate() {
        let mut p = Props::new();
        put_opt(&mut p, "name", mc.name.clone());
        put(&mut p, "default", mc.default);
        put(&mut p, "declared", true);
        p.insert("index".into(), int(i as u64));
        let active: Vec<Value> = mc
            .stages
            .iter()
            .filter(|s| s.active)
            .map(|s| Value::Int(s.number.into()))
            .collect();
        if !active.is_empty() {
            p.insert("active_stages".into(), Value::List(active));
        }
        add_config(&mc.id, Some(p));
    }
    let mut motors: BTreeMap<String, Props> = BTreeMap::new();
    let mut uses = BTreeSet::new();
    for c in &d.components {
        let Some(mount) = &c.motor_mount else {
            continue;
        };
        for m in &mount.motors {
            let Some((muid, mprops)) = motor_node(m) else {
                continue;
            };
            add_config(&m.config_id, None);
            let cuid = config_uid(&g.design_id, &m.config_id);
            if !uses.insert((cuid.clone(), muid.clone(), c.id.clone())) {
                continue;
            }
            let mut rp = Props::new();
            put(&mut rp, "mount", c.id.as_str());
            put_opt(&mut rp, "mount_name", c.name.clone());
            put_f64(&mut rp, "delay_s", m.delay_s);
            g.uses.push(RelRec {
                from: cuid,
                to: muid.clone(),
                props: rp,
            });
            motors.entry(muid).or_insert(mprops);
        }
    }
    for s in &d.simulations {
        if let Some(id) = &s.conditions.config_id {
            add_config(id, None);
        }
    }
    for id in order {
        if let Some(props) = configs.remove(&id) {
            let uid = config_uid(&g.design_id, &id);
            g.has_configuration.push(RelRec {
                from: g.design_id.clone(),
                to: uid.clone(),
                props: Props::new(),
            });
            g.configurations.push(NodeRec { uid, props });
        }
    }
    g.motors = motors
        .into_iter()
        .map(|(uid, props)| NodeRec { uid, props })
        .collect();
}

/// Flight-series points the graph keeps per design, over all its simulations: about 1 MiB of
/// list properties at most (12 lists of 8-byte floats), however many simulations a design has.
/// Each simulation keeps `min(300, MAX_DESIGN_SERIES_POINTS / simulations with data)` points.
pub const MAX_DESIGN_SERIES_POINTS: usize = 12_000;

/// Events kept per simulation node.
const MAX_EVENTS: usize = 1000;

/// A flight branch's series as list properties (`series_time_s`, `series_altitude_m`, …; a
/// gap is `NaN`, since graph lists cannot hold null), reduced to `points`.
fn add_series(p: &mut Props, series: &crate::model::BranchSeries, points: usize) {
    let main = crate::series::reduce(series, points);
    put_opt(p, "series_branch", main.branch.clone());
    p.insert("series_source_rows".into(), int(main.source_rows));
    p.insert("series_points".into(), int(main.len() as u64));
    p.insert(
        "series_time_s".into(),
        Value::series(main.time_s.iter().map(|&t| Some(t))),
    );
    for (q, values) in main.quantities() {
        p.insert(
            format!("series_{}", q.key()),
            Value::series(values.iter().copied()),
        );
    }
}

/// Points each branch's series keeps in the graph (a simulation's primary branch, and each
/// other branch): at most 300, and together at most [`MAX_DESIGN_SERIES_POINTS`].
pub fn series_points(d: &Design) -> usize {
    let branches: usize = d
        .simulations
        .iter()
        .filter_map(|s| s.series.as_ref())
        .map(|f| 1 + f.extra_branches.len())
        .sum();
    (MAX_DESIGN_SERIES_POINTS / branches.max(1)).clamp(2, 300)
}

/// Events of a branch as two parallel lists (`event_types`, `event_times_s`).
fn add_events(p: &mut Props, events: &[crate::model::FlightEvent]) {
    let events = &events[..events.len().min(MAX_EVENTS)];
    if !events.is_empty() {
        put(
            p,
            "event_types",
            Value::List(events.iter().map(|e| e.kind.as_str().into()).collect()),
        );
        p.insert(
            "event_times_s".into(),
            Value::series(events.iter().map(|e| Some(e.time_s))),
        );
    }
}

fn add_simulations(g: &mut DesignGraph, d: &Design, images: &super::input::Images) {
    let points = series_points(d);
    let primary = d.primary_simulation();
    for (i, s) in d.simulations.iter().enumerate() {
        let uid = format!("{}/simulation/{i}", g.design_id);
        let mut p = Props::new();
        put(&mut p, "uid", uid.as_str());
        put(&mut p, "design_id", g.design_id.as_str());
        p.insert("index".into(), int(i as u64));
        put_opt(&mut p, "name", s.name.clone());
        put_opt(&mut p, "status", s.status.clone());
        put_opt(&mut p, "simulator", s.simulator.clone());
        put_opt(&mut p, "calculator", s.calculator.clone());
        if let Ok(serde_json::Value::Object(cond)) = serde_json::to_value(&s.conditions) {
            for (k, v) in &cond {
                flatten_into(&mut p, k, v);
            }
        }
        put(&mut p, "has_summary", s.summary.is_some());
        if let Some(summary) = &s.summary {
            if let Ok(serde_json::Value::Object(sum)) = serde_json::to_value(summary) {
                for (k, v) in &sum {
                    flatten_into(&mut p, k, v);
                }
            }
        }
        p.insert("branch_count".into(), int(s.branches.len() as u64));
        let rows: u64 = s.branches.iter().map(|b| b.datapoint_count).sum();
        p.insert("datapoint_count".into(), int(rows));
        if let Some(series) = &s.series {
            add_series(&mut p, &series.main, points);
            // The other branches: a node each, with its series and its events.
            for (k, extra) in series.extra_branches.iter().enumerate() {
                let order = k + 1;
                let buid = format!("{uid}/branch/{order}");
                let mut b = Props::new();
                put(&mut b, "uid", buid.as_str());
                put(&mut b, "design_id", g.design_id.as_str());
                b.insert("index".into(), int(order as u64));
                put_opt(&mut b, "name", extra.branch.clone());
                add_series(&mut b, extra, points);
                if let Some(data) = s.branches.get(order) {
                    add_events(&mut b, &data.events);
                }
                g.has_branch.push(RelRec {
                    from: uid.clone(),
                    to: buid.clone(),
                    props: [("order".to_string(), int(order as u64))]
                        .into_iter()
                        .collect(),
                });
                g.branches.push(NodeRec {
                    uid: buid,
                    props: b,
                });
            }
        }
        if let Some(first) = s.branches.first() {
            add_events(&mut p, &first.events);
        }
        if primary == Some(i) {
            put(&mut p, "primary", true);
            put_opt(&mut p, "flight_chart_url", images.flight_chart_url.clone());
            put_opt(
                &mut p,
                "flight_chart_svg_url",
                images.flight_chart_svg_url.clone(),
            );
        }
        if let Some(cid) = &s.conditions.config_id {
            g.flies.push(RelRec {
                from: uid.clone(),
                to: config_uid(&g.design_id, cid),
                props: Props::new(),
            });
        }
        g.has_simulation.push(RelRec {
            from: g.design_id.clone(),
            to: uid.clone(),
            props: Props::new(),
        });
        g.simulations.push(NodeRec { uid, props: p });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(v: serde_json::Value) -> Props {
        let mut p = Props::new();
        for (k, v) in v.as_object().unwrap() {
            flatten_into(&mut p, k, v);
        }
        p
    }

    #[test]
    fn flattening_rules() {
        let cases = [
            (
                json!({"length_m": 0.3}),
                vec![("length_m", Value::Float(0.3))],
            ),
            (json!({"x": null}), vec![]),
            (
                json!({"aft_radius_m": {"auto": true, "value": 0.0125}}),
                vec![
                    ("aft_radius_m", Value::Float(0.0125)),
                    ("aft_radius_auto", Value::Bool(true)),
                ],
            ),
            (
                json!({"cd": {"auto": true, "value": null}}),
                vec![("cd_auto", Value::Bool(true))],
            ),
            (
                json!({"axial": {"method": "top", "offset_m": 0.1}}),
                vec![
                    ("axial_method", Value::from("top")),
                    ("axial_offset_m", Value::Float(0.1)),
                ],
            ),
            (
                json!({"fore_shoulder": {"radius_m": {"auto": false, "value": 0.01}}}),
                vec![
                    ("fore_shoulder_radius_m", Value::Float(0.01)),
                    ("fore_shoulder_radius_auto", Value::Bool(false)),
                ],
            ),
            (json!({"configs": [{"a": 1}]}), vec![]),
            (json!({"empty": []}), vec![]),
            (
                json!({"mixed": [1, 2.5]}),
                vec![(
                    "mixed",
                    Value::List(vec![Value::Float(1.0), Value::Float(2.5)]),
                )],
            ),
            (
                json!({"ints": [1, 2]}),
                vec![("ints", Value::List(vec![Value::Int(1), Value::Int(2)]))],
            ),
        ];
        for (input, want) in cases {
            let want: Props = want.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            assert_eq!(flat(input.clone()), want, "{input}");
        }
    }

    #[test]
    fn file_stems() {
        for (k, want) in [
            ("a/b/Rocket.ork", "Rocket"),
            ("Rocket", "Rocket"),
            (".ork", ".ork"),
            ("dir/", ""),
            ("x.y.ork", "x.y"),
        ] {
            assert_eq!(file_stem(k), want, "{k}");
        }
    }
}
