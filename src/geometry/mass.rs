//! Component masses and CGs from materials and volumes, the override rules of OpenRocket's
//! `MassCalculation.calculateStructure`, and the assembled [`Figures`](super::Figures).
//!
//! Per component (all its own instances together; CG as an absolute x):
//! * nose cones / transitions / body tubes: wall volume by OpenRocket's 128-slice integration
//!   (wall thickness perpendicular to the surface), plus shoulders and their caps;
//! * rings, tubes, couplers, bulkheads, engine blocks, lugs, tube fins: annulus × length;
//! * fins: planform area against the body × thickness × cross-section factor, tabs, fillets;
//! * parachutes: canopy area × surface density + lines × line density; streamers: strip
//!   area × surface density; shock cords: cord length × line density; mass components as given;
//! * overrides: an overridden mass replaces the component's own (an assembly's sits at its
//!   children's CG); "override subcomponents" zeroes the children; an overridden CG sits at
//!   `fore end + cg`, and moves the children there with "override subcomponents".
//!
//! Children of pods, boosters and clustered inner tubes count once per instance.

use super::position::{instances, Layout};
use super::shape::{self, MIN_FEATURE};
use super::{fins, GeometryError};
use crate::model::{Component, Geometry, Shoulder};

/// Mass and first moment (`Σ m·x`), absolute x.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MassMoment {
    pub mass: f64,
    pub moment: f64,
}

impl MassMoment {
    pub fn at(mass: f64, x: f64) -> Self {
        Self {
            mass,
            moment: mass * x,
        }
    }
    pub fn cg(&self, fallback: f64) -> f64 {
        if self.mass.abs() > 1e-15 {
            self.moment / self.mass
        } else {
            fallback
        }
    }
    fn add(&mut self, o: Self) {
        self.mass += o.mass;
        self.moment += o.moment;
    }
    fn scaled(self, k: f64) -> Self {
        Self {
            mass: self.mass * k,
            moment: self.moment * k,
        }
    }
}

fn density(c: &Component) -> f64 {
    c.material
        .as_ref()
        .map(|m| m.density)
        .filter(|d| d.is_finite() && *d >= 0.0)
        .unwrap_or(0.0)
}

/// A shoulder's volume and centroid (local x), with its cap.
fn shoulder(s: &Shoulder, end_radius: f64, x_from: f64, fore: bool) -> (f64, f64) {
    let len = s.length_m.unwrap_or(0.0).max(0.0);
    if len <= MIN_FEATURE {
        return (0.0, 0.0);
    }
    let r = s
        .radius_m
        .and_then(|a| a.value)
        .unwrap_or(0.0)
        .clamp(0.0, end_radius.max(0.0));
    let t = s.thickness_m.unwrap_or(0.0).clamp(0.0, r);
    let ir = (r - t).max(0.0);
    // Fore shoulders run from −len to 0, aft ones from L to L + len.
    let (a, b) = if fore {
        (x_from - len, x_from)
    } else {
        (x_from, x_from + len)
    };
    let mut v = shape::ring_volume(r, ir, len);
    let mut m = v * (a + b) / 2.0;
    if s.capped.unwrap_or(false) {
        let cv = shape::ring_volume(ir, 0.0, t);
        let cx = if fore { a + t / 2.0 } else { b - t / 2.0 };
        v += cv;
        m += cv * cx;
    }
    (v, m)
}

/// The component's own mass and CG (absolute), all of its own instances included, before
/// overrides.
pub fn own_mass(layout: &Layout, i: usize) -> MassMoment {
    let c = &layout.design.components[i];
    let x0 = layout.abs_x[i];
    let len = layout.len[i];
    let rho = density(c);
    let mid = MassMoment::at;
    match &c.geometry {
        Geometry::NoseCone(t) | Geometry::Transition(t) => {
            let Some(p) = layout.profile[i] else {
                return MassMoment::default();
            };
            let th = t.thickness_m.unwrap_or(0.0).max(0.0);
            let integ = shape::integrate(&p, th, t.filled);
            let mut v = integ.volume;
            let mut m = integ.volume * integ.cg_x;
            // A flipped nose cone carries its (base) shoulder at the fore end.
            let flipped = matches!(c.geometry, Geometry::NoseCone(_)) && t.flipped;
            let (fore_s, aft_s) = if flipped {
                (t.aft_shoulder.as_ref(), None)
            } else if matches!(c.geometry, Geometry::NoseCone(_)) {
                (None, t.aft_shoulder.as_ref())
            } else {
                (t.fore_shoulder.as_ref(), t.aft_shoulder.as_ref())
            };
            if let Some(s) = fore_s {
                let (sv, sm) = shoulder(s, p.fore_radius, 0.0, true);
                v += sv;
                m += sm;
            }
            if let Some(s) = aft_s {
                let (sv, sm) = shoulder(s, p.aft_radius, len, false);
                v += sv;
                m += sm;
            }
            let cg = if v > 0.0 { m / v } else { len / 2.0 };
            mid(v * rho, x0 + cg)
        }
        Geometry::BodyTube(b) => {
            let r = layout.profile[i].map(|p| p.fore_radius).unwrap_or(0.0);
            let ir = if b.filled {
                0.0
            } else {
                (r - b.thickness_m.unwrap_or(0.0).max(0.0)).max(0.0)
            };
            mid(shape::ring_volume(r, ir, len) * rho, x0 + len / 2.0)
        }
        Geometry::InnerTube(_) => {
            // One tube per cluster position.
            let base = c.parent.map(|p| layout.axes[p].len()).unwrap_or(1).max(1);
            let n = (layout.axes[i].len() / base).max(1) as f64;
            let v = shape::ring_volume(layout.outer[i], layout.inner[i], len);
            mid(v * rho * n, x0 + len / 2.0)
        }
        Geometry::TubeCoupler(_) | Geometry::EngineBlock(_) => {
            let v = shape::ring_volume(layout.outer[i], layout.inner[i], len);
            mid(v * rho, x0 + len / 2.0)
        }
        Geometry::CenteringRing(_) | Geometry::Bulkhead(_) => {
            let n = instances(c, 1);
            let sep = c.instance_separation_m.unwrap_or(0.0);
            let v = shape::ring_volume(layout.outer[i], layout.inner[i], len);
            mid(
                v * rho * n as f64,
                x0 + len / 2.0 + sep * (n as f64 - 1.0) / 2.0,
            )
        }
        Geometry::TrapezoidFinSet(_)
        | Geometry::EllipticalFinSet(_)
        | Geometry::FreeformFinSet(_) => match fins::fin_props(layout, i) {
            Some(f) => mid(f.mass, x0 + f.cg_x),
            None => MassMoment::default(),
        },
        Geometry::TubeFinSet(_) => {
            let n = instances(c, 3) as f64;
            let v = shape::ring_volume(layout.outer[i], layout.inner[i], len) * n;
            mid(v * rho, x0 + len / 2.0)
        }
        Geometry::LaunchLug(_) => {
            let n = instances(c, 1) as f64;
            let sep = c.instance_separation_m.unwrap_or(0.0);
            let v = shape::ring_volume(layout.outer[i], layout.inner[i], len) * n;
            mid(v * rho, x0 + len / 2.0 + sep * (n - 1.0) / 2.0)
        }
        Geometry::RailButton(b) => {
            let n = instances(c, 1) as f64;
            let sep = c.instance_separation_m.unwrap_or(0.0);
            let (ro, ri) = (layout.outer[i], layout.inner[i]);
            let h = b.height_m.unwrap_or(0.0).max(0.0);
            let base = b.base_height_m.unwrap_or(0.0).max(0.0);
            let flange = b.flange_height_m.unwrap_or(0.0).max(0.0);
            let screw = b.screw_height_m.unwrap_or(0.0).max(0.0);
            let inner_h = (h - flange - base).max(0.0);
            let pi = std::f64::consts::PI;
            let v = pi * ro * ro * flange
                + pi * ri * ri * inner_h
                + pi * ro * ro * base
                + 2.0 / 3.0 * pi * ro * ro * screw;
            mid(v * rho * n, x0 + sep * (n - 1.0) / 2.0)
        }
        Geometry::MassComponent(m) => mid(m.mass_kg.unwrap_or(0.0).max(0.0), x0 + len / 2.0),
        Geometry::ShockCord(s) => mid(
            s.cord_length_m.unwrap_or(0.0).max(0.0) * rho,
            x0 + len / 2.0,
        ),
        Geometry::Parachute(p) => {
            let d = p.diameter_m.unwrap_or(0.0).max(0.0);
            let canopy = std::f64::consts::PI * (d / 2.0).powi(2) * rho;
            let line_rho = p
                .line_material
                .as_ref()
                .map(|m| m.density)
                .filter(|v| v.is_finite())
                .unwrap_or(0.0);
            let lines = p.line_count.unwrap_or(0) as f64
                * p.line_length_m.unwrap_or(0.0).max(0.0)
                * line_rho;
            mid(canopy + lines, x0 + len / 2.0)
        }
        Geometry::Streamer(s) => {
            let a =
                s.strip_length_m.unwrap_or(0.0).max(0.0) * s.strip_width_m.unwrap_or(0.0).max(0.0);
            mid(a * rho, x0 + len / 2.0)
        }
        Geometry::Stage(_) | Geometry::PodSet(_) | Geometry::ParallelStage(_) => {
            MassMoment::default()
        }
    }
}

fn is_massive(c: &Component) -> bool {
    !matches!(
        c.geometry,
        Geometry::Stage(_) | Geometry::PodSet(_) | Geometry::ParallelStage(_)
    )
}

/// Mass and moment of component `i` and its subtree, overrides applied, for one instance of
/// its parent.
pub fn subtree(layout: &Layout, i: usize) -> MassMoment {
    subtree_d(layout, i, 0)
}

fn subtree_d(layout: &Layout, i: usize, depth: u32) -> MassMoment {
    let c = &layout.design.components[i];
    if !layout.active[i] || depth > 200 {
        return MassMoment::default();
    }
    // Children, once per own instance (pods, boosters, inner-tube clusters).
    let per_parent = c.parent.map(|p| layout.axes[p].len()).unwrap_or(1).max(1);
    let own_instances = (layout.axes[i].len() / per_parent).max(1) as f64;
    let mut children = MassMoment::default();
    for &ch in &c.children {
        children.add(subtree_d(layout, ch, depth + 1));
    }
    let mut children = children.scaled(own_instances);

    let mut comp = own_mass(layout, i);
    let o = &c.overrides;
    if let Some(m) = o.mass_kg.filter(|m| m.is_finite()) {
        let x = if is_massive(c) {
            comp.cg(layout.abs_x[i])
        } else {
            children.cg(layout.abs_x[i])
        };
        comp = MassMoment::at(m, x);
        if o.subcomponents_mass {
            children = MassMoment::default();
        }
    }
    if let Some(cg) = o.cg_m.filter(|v| v.is_finite()) {
        let x = layout.abs_x[i] + cg;
        comp = MassMoment::at(comp.mass, x);
        if o.subcomponents_cg {
            children = MassMoment::at(children.mass, x);
        }
    }
    comp.add(children);
    comp
}

/// Dry mass and CG of the whole active rocket.
pub fn total(layout: &Layout) -> MassMoment {
    let mut t = MassMoment::default();
    for c in layout
        .design
        .components
        .iter()
        .filter(|c| c.parent.is_none())
    {
        t.add(subtree(layout, c.index));
    }
    t
}

/// Checks a computed figure; NaN or infinity is a bug in the input we could not catch earlier.
pub(crate) fn finite(what: &'static str, v: f64) -> Result<f64, GeometryError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(GeometryError::NonPhysical {
            index: 0,
            kind: "rocket",
            what,
            value: v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shoulder_volumes() {
        // (shoulder, end radius, expected volume): plain tube, capped tube, too short.
        let s = |l: f64, r: f64, t: f64, capped: bool| Shoulder {
            radius_m: Some(crate::model::AutoValue::fixed(r)),
            length_m: Some(l),
            thickness_m: Some(t),
            capped: Some(capped),
        };
        let pi = std::f64::consts::PI;
        let cases = [
            (
                s(0.05, 0.02, 0.002, false),
                0.03,
                pi * (0.0004 - 0.018f64.powi(2)) * 0.05,
            ),
            (
                s(0.05, 0.02, 0.002, true),
                0.03,
                pi * (0.0004 - 0.018f64.powi(2)) * 0.05 + pi * 0.018f64.powi(2) * 0.002,
            ),
            (s(0.0005, 0.02, 0.002, false), 0.03, 0.0),
            // radius clamped to the end radius
            (s(0.05, 0.04, 0.04, false), 0.03, pi * 0.0009 * 0.05),
        ];
        for (sh, end, expected) in cases {
            let (v, _) = shoulder(&sh, end, 0.1, false);
            assert!((v - expected).abs() < 1e-12, "{v} != {expected}");
        }
    }
}
