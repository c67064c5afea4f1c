//! Centre of pressure by the extended Barrowman method as OpenRocket applies it
//! (`BarrowmanCalculator`, `SymmetricComponentCalc`, `FinSetCalc`, `TubeFinSetCalc`):
//!
//! * nose cones / transitions: `CNα = 2 (A_aft − A_fore) / A_ref` at
//!   `x = (L·A_aft − V_full) / (A_aft − A_fore)`, plus body lift
//!   `1.1 · A_planform / A_ref · sin α · sinc α` at the planform centroid (0 at α = 0);
//! * fins: Diederich's subsonic `CNα₁` per fin, times `sin²(θ − φ)` summed over every fin of
//!   every instance, where `θ` is the direction of the cross-flow in the rocket's frame
//!   ([`Condition::theta_rad`]) and `φ` the fin's roll angle: its own angle plus those of the
//!   pods / boosters it sits in (OpenRocket's instance transforms). Three or more equally
//!   spaced fins sum to `N/2` whatever `θ`; one or two fins depend on it. Then fin–fin
//!   interference (5–8 fins and more), body interference `1 + r/(s + r)`, at the quarter MAC
//!   below Mach 0.5;
//! * tube fins: Ribner's ring-airfoil `CNα` per tube at the quarter chord;
//! * every instance (pods, boosters) counts; launch lugs, buttons and inner parts have none.

use super::fins;
use super::position::Layout;
use crate::model::Geometry;

const BODY_LIFT_K: f64 = 1.1;

/// Flight condition for the CP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub mach: f64,
    /// Angle of attack, radians.
    pub aoa_rad: f64,
    /// Direction of the cross-flow in the rocket's frame (OpenRocket's `FlightConditions`
    /// theta), radians: only one- and two-fin sets depend on it.
    pub theta_rad: f64,
}

impl Default for Condition {
    /// OpenRocket's design-view default (`new FlightConditions`): Mach 0.3, α → 0, θ = 0.
    fn default() -> Self {
        Self {
            mach: 0.3,
            aoa_rad: 0.0,
            theta_rad: 0.0,
        }
    }
}

/// Sum of `sin²(θ − φ)` over `count` fins spaced evenly from `first`, for every frame roll.
pub fn fin_roll_sum(theta: f64, first: f64, count: u32, rolls: &[f64]) -> f64 {
    let step = 2.0 * std::f64::consts::PI / count.max(1) as f64;
    rolls
        .iter()
        .map(|r| {
            (0..count)
                .map(|k| (theta - (r + first + step * k as f64)).sin().powi(2))
                .sum::<f64>()
        })
        .sum()
}

/// OpenRocket's reference length for the layout's active components.
pub fn reference_length(layout: &Layout) -> f64 {
    let rocket = &layout.design.rocket;
    match rocket
        .reference_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("custom") => rocket.custom_reference_m.unwrap_or(0.0).max(0.001),
        Some("nosecone") => {
            for i in 0..layout.len.len() {
                if !layout.active[i] {
                    continue;
                }
                if let Some(p) = layout.profile[i] {
                    if p.fore_radius >= 0.0005 {
                        return p.fore_radius * 2.0;
                    }
                    if p.aft_radius >= 0.0005 {
                        return p.aft_radius * 2.0;
                    }
                }
            }
            0.01
        }
        _ => {
            let d = 2.0 * layout.max_body_radius();
            if d < 0.001 {
                0.01
            } else {
                d
            }
        }
    }
}

fn sinc(a: f64) -> f64 {
    if a.abs() < 1e-6 {
        1.0 - a * a / 6.0
    } else {
        a.sin() / a
    }
}

/// Normal-force slopes and their positions: `(CNα, absolute x)` per contribution.
pub fn contributions(layout: &Layout, cond: Condition) -> Vec<(usize, f64, f64)> {
    let comps = &layout.design.components;
    let ref_len = reference_length(layout);
    let a_ref = std::f64::consts::PI * (ref_len / 2.0).powi(2);
    let mut out = Vec::new();
    let aoa = cond.aoa_rad.abs();
    for (i, c) in comps.iter().enumerate() {
        if !layout.active[i] {
            continue;
        }
        let x0 = layout.abs_x[i];
        let n_inst = layout.axes[i].len() as f64;
        match &c.geometry {
            Geometry::NoseCone(_) | Geometry::Transition(_) | Geometry::BodyTube(_) => {
                let Some(p) = layout.profile[i] else { continue };
                let (r0, r1) = if p.length > 0.0 {
                    (p.fore_radius, p.aft_radius)
                } else {
                    (p.max_radius(), p.max_radius())
                };
                let integ = super::shape::integrate(&p, 0.0, true);
                if r0 != r1 {
                    let pi = std::f64::consts::PI;
                    let (a0, a1) = (pi * r0 * r0, pi * r1 * r1);
                    let cna = 2.0 * (a1 - a0) / a_ref * sinc(aoa);
                    let x = (p.length * a1 - integ.full_volume) / (a1 - a0);
                    out.push((i, cna * n_inst, x0 + x));
                }
                let lift = BODY_LIFT_K * integ.plan_area / a_ref * aoa.sin() * sinc(aoa);
                if lift != 0.0 {
                    out.push((i, lift * n_inst, x0 + integ.plan_center));
                }
            }
            Geometry::TrapezoidFinSet(_)
            | Geometry::EllipticalFinSet(_)
            | Geometry::FreeformFinSet(_) => {
                let Some(props) = fins::fin_props(layout, i) else {
                    continue;
                };
                let geo = fins::fin_aero(layout, i, &props);
                let s = props.span;
                let area = props.area;
                if area < 1e-12 || s < 1e-12 || geo.cos_gamma < 1e-12 || geo.mac_span < 1e-12 {
                    continue;
                }
                let m2 = cond.mach.min(0.9).powi(2);
                let cna1 = 2.0 * std::f64::consts::PI * s * s
                    / (1.0 + (1.0 + (1.0 - m2) * (s * s / (area * geo.cos_gamma)).powi(2)).sqrt())
                    / a_ref;
                // Every fin of every instance: cna1 · sin²(θ − φ).
                let rolls = layout.roll.get(i).map(Vec::as_slice).unwrap_or(&[0.0]);
                let first = super::position::base_angle(c);
                let mut cna = cna1 * fin_roll_sum(cond.theta_rad, first, props.count, rolls);
                cna *= interference_factor(interference_count(layout, i, props.count));
                let r = props.body_radius;
                let tau = r / (s + r);
                if tau.is_finite() {
                    cna *= 1.0 + tau;
                }
                let x = geo.mac_lead + 0.25 * geo.mac_length;
                out.push((i, cna, x0 + x));
            }
            Geometry::TubeFinSet(_) => {
                let (outer, inner) = (layout.outer[i], layout.inner[i]);
                let chord = layout.len[i];
                if outer < 0.001 || chord <= 0.0 {
                    continue;
                }
                let ar = 2.0 * inner / chord;
                let arp = 2.0 * ar / std::f64::consts::PI;
                let pi = std::f64::consts::PI;
                let cnac = 2.0 * (arp / (1.0 + arp)) * pi * pi * inner * chord;
                let count = super::position::instances(c, 3) as f64;
                out.push((i, cnac / a_ref * count * n_inst, x0 + 0.25 * chord));
            }
            _ => {}
        }
    }
    out
}

/// Number of fins that interfere with fin set `i` on the same parent (`FinSetCalc`).
fn interference_count(layout: &Layout, i: usize, own: u32) -> u32 {
    let comps = &layout.design.components;
    let (lead, trail) = (layout.rel_x[i], layout.rel_x[i] + layout.len[i]);
    if trail - lead < 0.007 {
        return own;
    }
    let Some(p) = comps[i].parent else { return own };
    let mut n = 0;
    for &s in &comps[p].children {
        if fins::common(&comps[s]).is_none() {
            continue;
        }
        let (fl, ft) = (layout.rel_x[s], layout.rel_x[s] + layout.len[s]);
        if fl < trail - 0.005 && ft > lead + 0.005 {
            n += super::position::instances(&comps[s], 3);
        }
    }
    n.max(own)
}

fn interference_factor(n: u32) -> f64 {
    match n {
        0..=4 => 1.0,
        5 => 0.948,
        6 => 0.913,
        7 => 0.854,
        8 => 0.81,
        _ => 0.75,
    }
}

/// Whether any active fin set has one or two fins (only then does θ matter).
pub fn depends_on_theta(layout: &Layout) -> bool {
    layout.design.components.iter().enumerate().any(|(i, c)| {
        layout.active[i] && fins::common(c).is_some() && super::position::instances(c, 3) <= 2
    })
}

/// The cross-flow direction with the most forward CP at α = 0 (OpenRocket before 22.02
/// rolled the rocket to it at launch: `getWorstCP`, 360 steps, first minimum).
pub fn worst_theta(layout: &Layout, mach: f64) -> f64 {
    if !depends_on_theta(layout) {
        return 0.0;
    }
    const STEPS: usize = 360;
    let mut best = (f64::INFINITY, 0.0);
    for k in 0..STEPS {
        let theta = 2.0 * std::f64::consts::PI * k as f64 / STEPS as f64;
        let cond = Condition {
            mach,
            aoa_rad: 0.0,
            theta_rad: theta,
        };
        let (cp, w) = center_of_pressure(layout, cond);
        if w.abs() > 1e-12 && cp < best.0 {
            best = (cp, theta);
        }
    }
    best.1
}

/// CP (absolute x) and total CNα of the layout's active components.
pub fn center_of_pressure(layout: &Layout, cond: Condition) -> (f64, f64) {
    let parts = contributions(layout, cond);
    let w: f64 = parts.iter().map(|p| p.1).sum();
    if w.abs() < 1e-12 {
        return (0.0, 0.0);
    }
    let m: f64 = parts.iter().map(|p| p.1 * p.2).sum();
    (m / w, w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{FRAC_PI_2, PI};

    #[test]
    fn fin_roll_sums() {
        // (θ, first fin angle, fin count, frame rolls, expected Σ sin²(θ − φ))
        let cases: [(f64, f64, u32, &[f64], f64); 7] = [
            (0.0, 0.0, 3, &[0.0], 1.5),
            (0.7, 0.3, 4, &[0.0], 2.0),
            (0.0, FRAC_PI_2, 2, &[0.0], 2.0),
            (FRAC_PI_2, FRAC_PI_2, 2, &[0.0], 0.0),
            (0.0, 0.0, 1, &[0.0], 0.0),
            // one fin in each of two pods at ±90°: both broadside to θ = 0
            (0.0, 0.0, 1, &[FRAC_PI_2, -FRAC_PI_2], 2.0),
            // three single fins 120° apart (as three one-fin sets): N/2 whatever θ
            (1.1, 0.0, 1, &[0.0, 2.0 * PI / 3.0, 4.0 * PI / 3.0], 1.5),
        ];
        for (theta, first, n, rolls, expected) in cases {
            let got = fin_roll_sum(theta, first, n, rolls);
            assert!((got - expected).abs() < 1e-12, "{theta} {first} {n}: {got}");
        }
    }
}
