//! The read queries the frontend needs, as parameterised statements. Each is tested against a
//! live Neo4j 5 (tests/graph.rs) and uses only standard Cypher that Neo4j 5 (Aura) plans with
//! the indexes of [`super::plan::schema_statements`]. Column names are the `AS` aliases listed in each function's docs.

use super::plan::Statement;
use super::value::Value;

/// Designs, by name: `design_id, name, designer, status, stability_cal, length_m,
/// thumbnail_url, processed_at`.
pub fn list_designs(skip: u64, limit: u64) -> Statement {
    Statement::new(
        "MATCH (d:Design) \
         RETURN d.design_id AS design_id, d.name AS name, d.designer AS designer, \
         d.status AS status, d.stability_cal AS stability_cal, d.length_m AS length_m, \
         d.thumbnail_url AS thumbnail_url, d.processed_at AS processed_at \
         ORDER BY name, design_id SKIP $skip LIMIT $limit",
    )
    .param("skip", super::value::int(skip))
    .param("limit", super::value::int(limit))
}

/// The component tree of a design, one row per component in file order:
/// `id, type, labels, name, depth, parent_id, order` (`parent_id` absent for stages,
/// whose `order` is the stage order).
pub fn component_tree(design_id: &str) -> Statement {
    Statement::new(
        "MATCH (c:Component {design_id: $design_id}) \
         OPTIONAL MATCH (p:Component)-[r:CONTAINS]->(c) \
         OPTIONAL MATCH (:Design)-[s:HAS_STAGE]->(c) \
         RETURN c.id AS id, c.type AS type, labels(c) AS labels, c.name AS name, \
         c.depth AS depth, p.id AS parent_id, coalesce(r.order, s.order) AS order, \
         c.index AS index \
         ORDER BY index",
    )
    .param("design_id", design_id)
}

/// Materials of a design: `name, type, density, role, components` (how many components of
/// the design are made of it in that role).
pub fn design_materials(design_id: &str) -> Statement {
    Statement::new(
        "MATCH (c:Component {design_id: $design_id})-[u:MADE_OF]->(m:Material) \
         RETURN m.name AS name, m.type AS type, m.density AS density, u.role AS role, \
         count(c) AS components \
         ORDER BY name, type, density, role",
    )
    .param("design_id", design_id)
}

/// Motors of a design per configuration: `config_id, config_name, default, mount,
/// manufacturer, designation, diameter_m, length_m`.
pub fn design_motors(design_id: &str) -> Statement {
    Statement::new(
        "MATCH (d:Design {design_id: $design_id})-[:HAS_CONFIGURATION]->(mc:MotorConfiguration) \
         MATCH (mc)-[u:USES]->(m:Motor) \
         RETURN mc.config_id AS config_id, mc.name AS config_name, mc.default AS default, \
         u.mount AS mount, m.manufacturer AS manufacturer, m.designation AS designation, \
         m.diameter_m AS diameter_m, m.length_m AS length_m \
         ORDER BY config_id, mount, designation",
    )
    .param("design_id", design_id)
}

/// Designs using a motor designation (any manufacturer): `design_id, name`.
pub fn designs_by_motor(designation: &str) -> Statement {
    Statement::new(
        "MATCH (m:Motor {designation: $designation})<-[:USES]-(:MotorConfiguration)\
         <-[:HAS_CONFIGURATION]-(d:Design) \
         RETURN DISTINCT d.design_id AS design_id, d.name AS name \
         ORDER BY name, design_id",
    )
    .param("designation", designation)
}

/// Designs whose stability margin (calibers) is within `[min, max]`:
/// `design_id, name, stability_cal`.
pub fn designs_by_stability(min: f64, max: f64) -> Statement {
    let num = |v: f64| Value::float(v).unwrap_or(Value::Float(0.0));
    Statement::new(
        "MATCH (d:Design) WHERE d.stability_cal >= $min AND d.stability_cal <= $max \
         RETURN d.design_id AS design_id, d.name AS name, d.stability_cal AS stability_cal \
         ORDER BY stability_cal, design_id",
    )
    .param("min", num(min))
    .param("max", num(max))
}

/// Flight summaries of a design, in file order: `name, status, config_id, max_altitude_m,
/// max_velocity_m_s, max_acceleration_m_s2, max_mach, time_to_apogee_s, flight_time_s,
/// ground_hit_velocity_m_s` (`config_id` from the `FLIES` relationship).
pub fn flight_summaries(design_id: &str) -> Statement {
    Statement::new(
        "MATCH (d:Design {design_id: $design_id})-[:HAS_SIMULATION]->(s:Simulation) \
         OPTIONAL MATCH (s)-[:FLIES]->(mc:MotorConfiguration) \
         RETURN s.index AS index, s.name AS name, s.status AS status, mc.config_id AS config_id, \
         s.max_altitude_m AS max_altitude_m, s.max_velocity_m_s AS max_velocity_m_s, \
         s.max_acceleration_m_s2 AS max_acceleration_m_s2, s.max_mach AS max_mach, \
         s.time_to_apogee_s AS time_to_apogee_s, s.flight_time_s AS flight_time_s, \
         s.ground_hit_velocity_m_s AS ground_hit_velocity_m_s \
         ORDER BY index",
    )
    .param("design_id", design_id)
}

/// The flight series of one simulation of a design (`index`), or of its primary simulation
/// (the one its flight chart shows) when `index` is `None`: `index, name, config_id, branch,
/// source_rows, time_s`, one column per quantity (`altitude_m`, `vertical_velocity_m_s`, …,
/// null when the file lacks it; a gap inside a list is `NaN`), `event_types, event_times_s,
/// flight_chart_url, flight_chart_svg_url`. No row when there is no such simulation.
pub fn flight_series(design_id: &str, index: Option<u64>) -> Statement {
    let mut cypher =
        String::from("MATCH (d:Design {design_id: $design_id})-[:HAS_SIMULATION]->(s:Simulation) ");
    cypher.push_str(if index.is_some() {
        "WHERE s.index = $index "
    } else {
        "WHERE s.primary = true "
    });
    cypher.push_str(
        "OPTIONAL MATCH (s)-[:FLIES]->(mc:MotorConfiguration) \
         RETURN s.index AS index, s.name AS name, mc.config_id AS config_id, \
         s.series_branch AS branch, s.series_source_rows AS source_rows, \
         s.series_time_s AS time_s",
    );
    for q in crate::model::Quantity::ALL {
        let key = q.key();
        cypher.push_str(&format!(", s.series_{key} AS {key}"));
    }
    cypher.push_str(
        ", s.event_types AS event_types, s.event_times_s AS event_times_s, \
         s.flight_chart_url AS flight_chart_url, s.flight_chart_svg_url AS flight_chart_svg_url",
    );
    let st = Statement::new(cypher).param("design_id", design_id);
    match index {
        Some(i) => st.param("index", super::value::int(i)),
        None => st,
    }
}

/// The other branches of a design's simulation `index` (boosters, separated stages), one row
/// each in branch order: `index, name, source_rows, time_s`, one column per quantity as in
/// [`flight_series`], `event_types, event_times_s`. No row for a single-branch flight.
pub fn flight_branches(design_id: &str, index: u64) -> Statement {
    let mut cypher = String::from(
        "MATCH (d:Design {design_id: $design_id})-[:HAS_SIMULATION]->(s:Simulation) \
         WHERE s.index = $index \
         MATCH (s)-[h:HAS_BRANCH]->(b:Branch) \
         RETURN b.index AS index, b.name AS name, b.series_source_rows AS source_rows, \
         b.series_time_s AS time_s",
    );
    for q in crate::model::Quantity::ALL {
        let key = q.key();
        cypher.push_str(&format!(", b.series_{key} AS {key}"));
    }
    cypher.push_str(
        ", b.event_types AS event_types, b.event_times_s AS event_times_s ORDER BY h.order",
    );
    Statement::new(cypher)
        .param("design_id", design_id)
        .param("index", super::value::int(index))
}

#[cfg(test)]
mod tests {
    use super::super::plan::parameter_names;
    use super::*;

    #[test]
    fn every_parameter_is_supplied() {
        for st in [
            list_designs(0, 10),
            component_tree("d"),
            design_materials("d"),
            design_motors("d"),
            designs_by_motor("F50"),
            designs_by_stability(1.0, 2.0),
            flight_summaries("d"),
            flight_series("d", Some(2)),
            flight_series("d", None),
            flight_branches("d", 0),
        ] {
            for name in parameter_names(&st.cypher) {
                assert!(st.params.contains_key(name), "{name} in {}", st.cypher);
            }
            assert_eq!(
                parameter_names(&st.cypher).len().min(1),
                st.params.len().min(1)
            );
        }
    }
}
