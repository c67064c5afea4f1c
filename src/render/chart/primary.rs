//! The simulation a design's page shows, and the motors it flies.

use crate::model::{Design, Simulation};

/// The simulation a design's page shows: the first simulation with data (a series) that flies
/// the default motor configuration, or else the first simulation with data. Returns its index
/// in [`Design::simulations`] and the simulation.
pub fn primary_simulation(design: &Design) -> Option<(usize, &Simulation)> {
    let i = design.primary_simulation()?;
    Some((i, &design.simulations[i]))
}

/// The motors a simulation flies, as OpenRocket names them: for each component (file order)
/// that is a motor mount, its motor for the simulation's configuration, as the designation
/// and the ejection delay (`C6-5`; the designation alone when the file gives no delay).
/// Empty when the simulation names no configuration or no mount has a motor for it.
pub fn simulation_motors(design: &Design, sim: &Simulation) -> Vec<String> {
    let Some(config) = sim.conditions.config_id.as_deref() else {
        return Vec::new();
    };
    design
        .components
        .iter()
        .filter_map(|c| c.motor_mount.as_ref())
        .flat_map(|m| m.motors.iter())
        .filter(|m| m.config_id == config)
        .filter_map(|m| {
            let d = m.designation.as_deref()?.trim();
            (!d.is_empty()).then(|| with_delay(d, m.delay_s))
        })
        .collect()
}

/// `C6` and 5 s → `C6-5`; a delay the designation already ends with is not repeated, and a
/// designation that says plugged (`7579M1520-P`) takes none.
fn with_delay(designation: &str, delay_s: Option<f64>) -> String {
    if designation.ends_with("-P") || designation.ends_with("-p") {
        return designation.to_string();
    }
    match delay_s {
        Some(d) if d.is_finite() && (0.0..1000.0).contains(&d) => {
            let d = (d * 10.0).round() / 10.0;
            let suffix = if d.fract() == 0.0 {
                format!("-{}", d as i64)
            } else {
                format!("-{d:.1}")
            };
            if designation.ends_with(&suffix) {
                designation.to_string()
            } else {
                format!("{designation}{suffix}")
            }
        }
        _ => designation.to_string(),
    }
}
