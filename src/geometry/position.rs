//! Axial placement and the resolved numeric layout of every component.
//!
//! OpenRocket's rules (`RocketComponent.setAxialOffset`, `AxialMethod`, `ComponentAssembly`):
//! * nose cones, transitions and body tubes are always stacked ("after"), whatever the file
//!   says; so are top-level stages, one behind the other;
//! * `after` puts the fore end at the previous sibling's aft end (0 for the first child);
//! * `top` / `middle` / `bottom` measure the offset between the fore ends / middles / aft ends
//!   of the component and its parent; `absolute` from the nose tip;
//! * pods and boosters never stack (a requested `after` reads as `top`); an assembly's length
//!   is the sum of its stacked children's lengths.
//!
//! [`Layout::build`] resolves lengths, positions, radii (with [`super::radius`]) and instance
//! axes in that order.

use super::radius::{self, BodyRadii, DEFAULT_RADIUS};
use super::shape::{self, Profile};
use super::GeometryError;
use crate::model::{AxialMethod, Component, Design, Geometry, Shape};

/// Most copies of one component: its own count (fins of a fin set, lugs, buttons, rings)
/// times the instances of the pods, boosters and inner-tube clusters it sits in. Every copy
/// is summed (mass, CP) and drawn, and nested pods multiply: without a bound, a few hundred
/// bytes of XML ask for 10⁴ × 10⁴ × … instances.
pub const MAX_INSTANCES: usize = 10_000;
/// Most copies over the whole design: every copy is summed and drawn, so this bounds the
/// time of the figures and of the render (10⁶ fins took 3 s to draw at 160 px wide in the
/// fuzzer's build) and the memory of the instance axes.
pub const MAX_TOTAL_INSTANCES: usize = 200_000;
/// Most top-level stages: the per-stage figures resolve the design once per stage, so the
/// work grows with stages × components (real designs have a handful).
pub const MAX_STAGES: usize = 64;

/// Everything numeric about one design, indexed like [`Design::components`].
#[derive(Debug, Clone)]
pub struct Layout<'a> {
    pub design: &'a Design,
    /// Axial length (assemblies: sum of stacked children).
    pub len: Vec<f64>,
    /// Fore end relative to the parent's fore end.
    pub rel_x: Vec<f64>,
    /// Fore end from the nose tip.
    pub abs_x: Vec<f64>,
    /// `[y, z]` axis of each instance (pods, boosters, inner-tube clusters included).
    pub axes: Vec<Vec<[f64; 2]>>,
    /// Roll of each instance's frame about the rocket axis, radians, parallel to `axes`: the
    /// sum of the instance angles of the pods / boosters it sits in (OpenRocket composes
    /// `rotate_x(angle)` down the tree, so a fin set inside a pod is turned with the pod).
    pub roll: Vec<Vec<f64>>,
    /// Outline of nose cones, transitions and body tubes.
    pub profile: Vec<Option<Profile>>,
    /// Outer / inner radius of rings, tubes, tube fins, lugs; packed radius of mass objects;
    /// body radius at the root of fin sets (in `outer`).
    pub outer: Vec<f64>,
    pub inner: Vec<f64>,
    /// Whether the component takes part in the flight configuration under study.
    pub active: Vec<bool>,
}

fn nonneg(
    c: &Component,
    what: &'static str,
    v: Option<f64>,
    default: f64,
) -> Result<f64, GeometryError> {
    match v {
        None => Ok(default),
        Some(x) if x.is_nan() || x < 0.0 => Err(GeometryError::NonPhysical {
            index: c.index,
            kind: c.kind().tag(),
            what,
            value: x,
        }),
        Some(x) if x.is_infinite() => Err(GeometryError::NonPhysical {
            index: c.index,
            kind: c.kind().tag(),
            what,
            value: x,
        }),
        Some(x) => Ok(x),
    }
}

fn required(c: &Component, what: &'static str, v: Option<f64>) -> Result<f64, GeometryError> {
    match v {
        None => Err(GeometryError::Missing {
            index: c.index,
            kind: c.kind().tag(),
            what,
        }),
        Some(_) => nonneg(c, what, v, 0.0),
    }
}

/// Own axial length of a component (assemblies get theirs from their children).
pub fn own_length(c: &Component) -> Result<f64, GeometryError> {
    Ok(match &c.geometry {
        Geometry::NoseCone(t) | Geometry::Transition(t) => required(c, "length", t.length_m)?,
        Geometry::BodyTube(b) => required(c, "length", b.length_m)?,
        Geometry::TrapezoidFinSet(f) => required(c, "root chord", f.root_chord_m)?,
        Geometry::EllipticalFinSet(f) => required(c, "root chord", f.root_chord_m)?,
        Geometry::FreeformFinSet(f) => {
            let first = f.points_m.first().map(|p| p[0]).unwrap_or(0.0);
            let last = f.points_m.last().map(|p| p[0]).unwrap_or(0.0);
            if f.points_m.iter().flatten().any(|v| !v.is_finite()) {
                return Err(GeometryError::NonPhysical {
                    index: c.index,
                    kind: c.kind().tag(),
                    what: "fin point",
                    value: f64::NAN,
                });
            }
            (last - first).max(0.0)
        }
        Geometry::TubeFinSet(t) => nonneg(c, "length", t.length_m, 0.0)?,
        Geometry::LaunchLug(l) => nonneg(c, "length", l.length_m, 0.0)?,
        // OpenRocket keeps rail buttons at length 0; their position is the button's centre.
        Geometry::RailButton(_) => 0.0,
        Geometry::InnerTube(t) => nonneg(c, "length", t.length_m, 0.0)?,
        Geometry::TubeCoupler(r)
        | Geometry::CenteringRing(r)
        | Geometry::Bulkhead(r)
        | Geometry::EngineBlock(r) => nonneg(c, "length", r.length_m, 0.0)?,
        Geometry::MassComponent(m) => nonneg(c, "packed length", m.packed.packed_length_m, 0.0)?,
        Geometry::ShockCord(m) => nonneg(c, "packed length", m.packed.packed_length_m, 0.0)?,
        Geometry::Parachute(m) => nonneg(c, "packed length", m.packed.packed_length_m, 0.0)?,
        Geometry::Streamer(m) => nonneg(c, "packed length", m.packed.packed_length_m, 0.0)?,
        Geometry::Stage(_) | Geometry::PodSet(_) | Geometry::ParallelStage(_) => 0.0,
    })
}

/// Whether the component stacks behind its previous sibling.
pub fn is_after(c: &Component) -> bool {
    match c.geometry {
        Geometry::Stage(_) => c.parent.is_none() || c.axial.method == AxialMethod::After,
        Geometry::PodSet(_) | Geometry::ParallelStage(_) => false,
        _ if radius::is_symmetric(c) => true,
        _ => c.axial.method == AxialMethod::After,
    }
}

/// The fore end relative to the parent's fore end, for a method / offset, this component's
/// length and the parent's (`AxialMethod.getAsPosition`).
pub fn as_position(method: AxialMethod, offset: f64, len: f64, parent_len: f64) -> f64 {
    match method {
        AxialMethod::Absolute | AxialMethod::Top => offset,
        AxialMethod::Middle => offset + (parent_len - len) / 2.0,
        AxialMethod::Bottom => offset + (parent_len - len),
        AxialMethod::After => parent_len + offset,
    }
}

/// OpenRocket's cluster layouts (`ClusterConfiguration`), unit points `(y, z)`.
fn cluster_points(name: &str) -> Vec<[f64; 2]> {
    let r5 = 1.0 / (2.0 * (2.0 * std::f64::consts::PI / 10.0).sin());
    let s2 = std::f64::consts::SQRT_2;
    let s3 = 3f64.sqrt();
    let ring = |n: usize, r: f64| -> Vec<[f64; 2]> {
        (0..n)
            .map(|k| {
                let a = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
                [r * a.sin(), r * a.cos()]
            })
            .collect()
    };
    match name.trim().to_ascii_lowercase().as_str() {
        "double" => vec![[-0.5, 0.0], [0.5, 0.0]],
        "3-row" => vec![[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]],
        "4-row" => vec![[-1.5, 0.0], [-0.5, 0.0], [0.5, 0.0], [1.5, 0.0]],
        "3-ring" => vec![
            [-0.5, -1.0 / (2.0 * s3)],
            [0.5, -1.0 / (2.0 * s3)],
            [0.0, 1.0 / s3],
        ],
        "4-ring" => vec![[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]],
        "5-ring" => ring(5, r5),
        "6-ring" => ring(6, 1.0),
        "3-star" => vec![[0.0, 0.0], [0.0, 1.0], [s3 / 2.0, -0.5], [-s3 / 2.0, -0.5]],
        "4-star" => vec![
            [0.0, 0.0],
            [-1.0 / s2, 1.0 / s2],
            [1.0 / s2, 1.0 / s2],
            [1.0 / s2, -1.0 / s2],
            [-1.0 / s2, -1.0 / s2],
        ],
        "5-star" => {
            let mut v = vec![[0.0, 0.0]];
            v.extend(ring(5, 1.0));
            v
        }
        "6-star" => {
            let mut v = vec![[0.0, 0.0]];
            v.extend(ring(6, 1.0));
            v
        }
        "9-grid" => {
            let mut v = vec![];
            for z in [1.4, 0.0, -1.4] {
                for y in [-1.4, 0.0, 1.4] {
                    v.push([y, z]);
                }
            }
            v
        }
        "9-star" => {
            let mut v = vec![[0.0, 0.0]];
            for k in 0..8 {
                let a = std::f64::consts::PI / 4.0 * k as f64;
                v.push([1.4 * a.cos(), -1.4 * a.sin()]);
            }
            v
        }
        _ => vec![[0.0, 0.0]],
    }
}

/// Angle of the first instance, radians.
pub fn base_angle(c: &Component) -> f64 {
    c.angle_offset
        .as_ref()
        .filter(|o| !o.method.eq_ignore_ascii_case("fixed"))
        .map(|o| o.value.to_radians())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// Instance count (≥ 1).
pub fn instances(c: &Component, default: u32) -> u32 {
    c.instance_count.unwrap_or(default).clamp(1, 10_000)
}

/// How many copies of itself a component carries on each of its axes: fins of a fin set,
/// tube fins, lugs, buttons, rings and bulkheads (as [`instances`] reads them elsewhere); 1
/// for the rest (pods and clusters multiply their children's axes instead).
fn own_count(c: &Component) -> u32 {
    match c.geometry {
        Geometry::TrapezoidFinSet(_)
        | Geometry::EllipticalFinSet(_)
        | Geometry::FreeformFinSet(_)
        | Geometry::TubeFinSet(_) => instances(c, 3),
        Geometry::LaunchLug(_)
        | Geometry::RailButton(_)
        | Geometry::CenteringRing(_)
        | Geometry::Bulkhead(_) => instances(c, 1),
        _ => 1,
    }
}

impl<'a> Layout<'a> {
    /// Resolves the whole design. `active` filters stages (by OpenRocket stage number:
    /// stages and parallel stages in tree order); `None` means all stages.
    pub fn build(
        design: &'a Design,
        active_stages: Option<&[bool]>,
    ) -> Result<Self, GeometryError> {
        let comps = &design.components;
        let n = comps.len();
        // Tree sanity: indices in range, pre-order (parents before children).
        for (i, c) in comps.iter().enumerate() {
            if c.index != i {
                return Err(GeometryError::Tree(format!(
                    "component {i} has index {}",
                    c.index
                )));
            }
            if let Some(p) = c.parent {
                if p >= i {
                    return Err(GeometryError::Tree(format!(
                        "component {i} has parent {p} that is not before it"
                    )));
                }
                if !comps[p].children.contains(&i) {
                    return Err(GeometryError::Tree(format!(
                        "component {i} is not among its parent's children"
                    )));
                }
            }
            for &ch in &c.children {
                if ch >= n || comps[ch].parent != Some(i) {
                    return Err(GeometryError::Tree(format!(
                        "component {i} lists child {ch} that does not point back"
                    )));
                }
            }
        }
        if !comps.iter().any(radius::is_symmetric) {
            return Err(GeometryError::Empty);
        }
        if let Some(c) = comps.iter().filter(|c| c.parent.is_none()).nth(MAX_STAGES) {
            return Err(GeometryError::OverLimit {
                index: c.index,
                kind: c.kind().tag(),
                what: "stage count",
                count: comps.iter().filter(|c| c.parent.is_none()).count(),
                limit: MAX_STAGES,
            });
        }
        super::validate::design(design)?;

        // Active flags from the stage numbers.
        let mut active = vec![true; n];
        let mut stage_no = 0usize;
        for i in 0..n {
            let c = &comps[i];
            if let Some(p) = c.parent {
                if !active[p] {
                    active[i] = false;
                }
            }
            if matches!(c.geometry, Geometry::Stage(_) | Geometry::ParallelStage(_)) {
                if let Some(flags) = active_stages {
                    if !flags.get(stage_no).copied().unwrap_or(true) {
                        active[i] = false;
                    }
                }
                stage_no += 1;
            }
        }

        // Lengths, bottom-up.
        let mut len = vec![0.0; n];
        for i in (0..n).rev() {
            let c = &comps[i];
            len[i] = match c.geometry {
                Geometry::Stage(_) | Geometry::PodSet(_) | Geometry::ParallelStage(_) => c
                    .children
                    .iter()
                    .filter(|&&ch| is_after(&comps[ch]))
                    .map(|&ch| len[ch])
                    .sum(),
                _ => own_length(c)?,
            };
        }

        // Positions, top-down. Inactive stages keep their place in the stack only when
        // active (OpenRocket skips inactive references).
        let mut rel_x = vec![0.0; n];
        let mut abs_x = vec![0.0; n];
        let mut stage_x = 0.0;
        for i in 0..n {
            let c = &comps[i];
            match c.parent {
                None => {
                    rel_x[i] = stage_x;
                    abs_x[i] = stage_x;
                    if active[i] {
                        stage_x += len[i];
                    }
                }
                Some(p) => {
                    let siblings = &comps[p].children;
                    let pos = siblings.iter().position(|&s| s == i).unwrap_or(0);
                    let x = if is_after(c) {
                        match siblings[..pos].iter().rev().find(|&&s| active[s]) {
                            Some(&prev) => rel_x[prev] + len[prev],
                            None => 0.0,
                        }
                    } else {
                        let method = match c.axial.method {
                            AxialMethod::After => AxialMethod::Top,
                            m => m,
                        };
                        if method == AxialMethod::Absolute {
                            c.axial.offset_m - abs_x[p]
                        } else {
                            as_position(method, c.axial.offset_m, len[i], len[p])
                        }
                    };
                    let x = if x.is_finite() { x } else { 0.0 };
                    let x = if x.abs() < 1e-6 { 0.0 } else { x };
                    rel_x[i] = x;
                    abs_x[i] = abs_x[p] + x;
                }
            }
        }

        // Body radii and profiles.
        let mut profile = vec![None; n];
        {
            let mut radii = BodyRadii::new(design, &rel_x, &len);
            for i in 0..n {
                let c = &comps[i];
                profile[i] = match &c.geometry {
                    Geometry::BodyTube(_) => Some(Profile::cylinder(len[i], radii.fore(i))),
                    Geometry::NoseCone(t) | Geometry::Transition(t) => {
                        let shape = t.shape.unwrap_or(Shape::Conical);
                        let param = t
                            .shape_parameter
                            .unwrap_or_else(|| shape::default_parameter(shape));
                        let clipped = t.shape_clipped.unwrap_or(shape::clippable(shape));
                        Some(Profile::new(
                            len[i],
                            radii.fore(i),
                            radii.aft(i),
                            shape,
                            param,
                            clipped,
                        ))
                    }
                    _ => None,
                };
            }
        }

        let mut layout = Self {
            design,
            len,
            rel_x,
            abs_x,
            axes: vec![vec![[0.0, 0.0]]; n],
            roll: vec![vec![0.0]; n],
            profile,
            outer: vec![0.0; n],
            inner: vec![0.0; n],
            active,
        };
        layout.resolve_inner_radii()?;
        layout.resolve_axes()?;
        Ok(layout)
    }

    /// Inner radius of a radial parent at local x (OpenRocket `RadialParent.getInnerRadius`).
    pub fn inner_radius_at(&self, i: usize, x: f64) -> f64 {
        let c = &self.design.components[i];
        match &c.geometry {
            Geometry::BodyTube(b) => {
                if b.filled {
                    0.0
                } else {
                    let r = self.profile[i].map(|p| p.fore_radius).unwrap_or(0.0);
                    (r - b.thickness_m.unwrap_or(0.0)).max(0.0)
                }
            }
            Geometry::NoseCone(t) | Geometry::Transition(t) => {
                let p = match &self.profile[i] {
                    Some(p) => p,
                    None => return 0.0,
                };
                let th = if t.filled {
                    p.max_radius()
                } else {
                    t.thickness_m.unwrap_or(0.0)
                };
                (p.radius(x) - th).max(0.0)
            }
            Geometry::InnerTube(_)
            | Geometry::TubeCoupler(_)
            | Geometry::CenteringRing(_)
            | Geometry::Bulkhead(_)
            | Geometry::EngineBlock(_) => self.inner[i],
            _ => 0.0,
        }
    }

    /// Outer radius of a symmetric component at local x.
    pub fn body_radius_at(&self, i: usize, x: f64) -> f64 {
        self.profile[i].map(|p| p.radius(x)).unwrap_or(0.0)
    }

    fn is_radial_parent(&self, i: usize) -> bool {
        matches!(
            self.design.components[i].geometry,
            Geometry::BodyTube(_)
                | Geometry::NoseCone(_)
                | Geometry::Transition(_)
                | Geometry::InnerTube(_)
                | Geometry::TubeCoupler(_)
                | Geometry::CenteringRing(_)
                | Geometry::Bulkhead(_)
                | Geometry::EngineBlock(_)
        )
    }

    /// Automatic outer radius of a ring: the parent's inner radius at both ends, the smaller.
    fn ring_auto_outer(&self, i: usize) -> Option<f64> {
        let p = self.design.components[i].parent?;
        if !self.is_radial_parent(p) {
            return None;
        }
        let pl = self.len[p];
        let x1 = self.rel_x[i].clamp(0.0, pl);
        let x2 = (self.rel_x[i] + self.len[i]).clamp(0.0, pl);
        Some(self.inner_radius_at(p, x1).min(self.inner_radius_at(p, x2)))
    }

    fn resolve_inner_radii(&mut self) -> Result<(), GeometryError> {
        let comps = &self.design.components;
        // Inner tubes first: automatic centering-ring holes read their siblings' outer radii,
        // whatever their order among the siblings.
        let order = comps
            .iter()
            .filter(|c| matches!(c.geometry, Geometry::InnerTube(_)))
            .chain(
                comps
                    .iter()
                    .filter(|c| !matches!(c.geometry, Geometry::InnerTube(_))),
            );
        for c in order {
            let i = c.index;
            let (o, inn) = match &c.geometry {
                Geometry::InnerTube(t) => {
                    let o = nonneg(c, "outer radius", t.outer_radius_m, 0.0)?;
                    let th = nonneg(c, "thickness", t.thickness_m, 0.0)?;
                    (o, (o - th).max(0.0))
                }
                Geometry::TubeCoupler(r) | Geometry::EngineBlock(r) => {
                    let o = match r.outer_radius_m {
                        Some(a) if !a.auto => nonneg(c, "outer radius", a.value, 0.0)?,
                        _ => self
                            .ring_auto_outer(i)
                            .or(r.outer_radius_m.and_then(|a| a.value))
                            .unwrap_or(0.0),
                    };
                    let th = nonneg(c, "thickness", r.thickness_m, 0.0)?.min(o);
                    (o, (o - th).max(0.0))
                }
                Geometry::CenteringRing(r) | Geometry::Bulkhead(r) => {
                    let o = match r.outer_radius_m {
                        Some(a) if !a.auto => nonneg(c, "outer radius", a.value, 0.0)?,
                        _ => self
                            .ring_auto_outer(i)
                            .or(r.outer_radius_m.and_then(|a| a.value))
                            .unwrap_or(0.0),
                    };
                    let inn = if matches!(c.geometry, Geometry::Bulkhead(_)) {
                        0.0
                    } else {
                        match r.inner_radius_m {
                            Some(a) if !a.auto => nonneg(c, "inner radius", a.value, 0.0)?,
                            _ => self.centering_ring_auto_inner(i).min(o),
                        }
                    };
                    (o, inn)
                }
                Geometry::TubeFinSet(t) => {
                    let body = self.root_body_radius(i);
                    let n = instances(c, 3) as f64;
                    let o = match t.outer_radius_m {
                        Some(a) if !a.auto => nonneg(c, "outer radius", a.value, 0.0)?,
                        _ => {
                            if n < 3.0 {
                                body
                            } else {
                                let s = (std::f64::consts::PI / n).sin();
                                body * s / (1.0 - s)
                            }
                        }
                    };
                    let th = nonneg(c, "thickness", t.thickness_m, 0.0)?.min(o);
                    (o, (o - th).max(0.0))
                }
                Geometry::LaunchLug(l) => {
                    let o = nonneg(c, "radius", l.outer_radius_m, 0.0)?;
                    let th = nonneg(c, "thickness", l.thickness_m, 0.0)?;
                    (o, (o - th).max(0.0))
                }
                Geometry::RailButton(b) => (
                    nonneg(c, "outer diameter", b.outer_diameter_m, 0.0)? / 2.0,
                    nonneg(c, "inner diameter", b.inner_diameter_m, 0.0)? / 2.0,
                ),
                Geometry::TrapezoidFinSet(_)
                | Geometry::EllipticalFinSet(_)
                | Geometry::FreeformFinSet(_) => (self.root_body_radius(i), 0.0),
                Geometry::MassComponent(_)
                | Geometry::ShockCord(_)
                | Geometry::Parachute(_)
                | Geometry::Streamer(_) => (self.packed_radius(i)?, 0.0),
                _ => (0.0, 0.0),
            };
            self.outer[i] = o;
            self.inner[i] = inn;
        }
        Ok(())
    }

    /// Body radius where a fin set / tube fin set's root leading edge sits.
    fn root_body_radius(&self, i: usize) -> f64 {
        match self.design.components[i].parent {
            Some(p) if self.profile[p].is_some() => self.body_radius_at(p, self.rel_x[i]),
            _ => 0.0,
        }
    }

    fn centering_ring_auto_inner(&self, i: usize) -> f64 {
        let c = &self.design.components[i];
        let Some(p) = c.parent else { return 0.0 };
        let mut r: f64 = 0.0;
        for &s in &self.design.components[p].children {
            if !matches!(self.design.components[s].geometry, Geometry::InnerTube(_)) {
                continue;
            }
            let pos1 = self.rel_x[i] - self.rel_x[s];
            let pos2 = pos1 + self.len[i];
            if pos2 < 0.0 || pos1 > self.len[s] {
                continue;
            }
            r = r.max(self.outer[s]);
        }
        r
    }

    /// Packed radius of a mass object: fixed, or the parent's (`MassObject.getMaxParentRadius`).
    fn packed_radius(&self, i: usize) -> Result<f64, GeometryError> {
        let c = &self.design.components[i];
        let packed = match &c.geometry {
            Geometry::MassComponent(m) => &m.packed,
            Geometry::ShockCord(m) => &m.packed,
            Geometry::Parachute(m) => &m.packed,
            Geometry::Streamer(m) => &m.packed,
            _ => return Ok(0.0),
        };
        let stored = packed.packed_radius_m.and_then(|a| a.value);
        if let Some(a) = packed.packed_radius_m {
            if !a.auto {
                return nonneg(c, "packed radius", a.value, 0.0);
            }
        } else {
            return Ok(0.0);
        }
        let parent_r = match c.parent {
            Some(p) => match &self.design.components[p].geometry {
                Geometry::NoseCone(t) => {
                    let pr = self.profile[p].unwrap_or(Profile::cylinder(0.0, 0.0));
                    if t.flipped {
                        pr.fore_radius
                    } else {
                        pr.aft_radius
                    }
                }
                Geometry::Transition(_) => self.profile[p].map(|q| q.max_radius()).unwrap_or(0.0),
                Geometry::BodyTube(_) => self.inner_radius_at(p, 0.0),
                Geometry::InnerTube(_)
                | Geometry::TubeCoupler(_)
                | Geometry::CenteringRing(_)
                | Geometry::Bulkhead(_)
                | Geometry::EngineBlock(_) => self.inner[p],
                _ => 0.0,
            },
            None => 0.0,
        };
        if parent_r.abs() < 1e-12 {
            Ok(stored.unwrap_or(0.0).max(0.0))
        } else {
            Ok(parent_r)
        }
    }

    /// Bounding radius of an assembly: its largest body tube / transition child radius.
    fn bounding_radius(&self, i: usize) -> f64 {
        self.design.components[i]
            .children
            .iter()
            .filter_map(|&ch| self.profile[ch].map(|p| p.max_radius()))
            .fold(0.0, f64::max)
    }

    /// Radial distance of a pod / booster's instances from its parent's axis.
    pub fn assembly_radius(&self, i: usize) -> f64 {
        let c = &self.design.components[i];
        let parent_r = match c.parent {
            Some(p) if matches!(self.design.components[p].geometry, Geometry::BodyTube(_)) => {
                self.profile[p].map(|q| q.fore_radius).unwrap_or(0.0)
            }
            _ => 0.0,
        };
        let (method, value) = match &c.radius_offset {
            Some(o) => (o.method.to_ascii_lowercase(), o.value),
            None => ("relative".to_string(), 0.0),
        };
        let value = if value.is_finite() { value } else { 0.0 };
        match method.as_str() {
            "coaxial" => 0.0,
            "free" => value,
            "surface" => parent_r + self.bounding_radius(i),
            _ => value + parent_r + self.bounding_radius(i),
        }
    }

    /// Instance angles of a pod / booster, radians.
    pub fn assembly_angles(&self, i: usize) -> Vec<f64> {
        let c = &self.design.components[i];
        let n = instances(c, 2);
        let base = base_angle(c);
        (0..n)
            .map(|k| base + 2.0 * std::f64::consts::PI * k as f64 / n as f64)
            .collect()
    }

    /// Instance axes and rolls, down the tree; refuses more than [`MAX_INSTANCES`] copies of
    /// a component or [`MAX_TOTAL_INSTANCES`] in all, before allocating them.
    fn resolve_axes(&mut self) -> Result<(), GeometryError> {
        let comps = &self.design.components;
        let mut total = 0usize;
        for (i, c) in comps.iter().enumerate() {
            // The parent's copies times this component's own (its pods / cluster below).
            let parent_copies = c.parent.map_or(1, |p| self.axes[p].len());
            let own_copies = match &c.geometry {
                Geometry::PodSet(_) | Geometry::ParallelStage(_) => instances(c, 2) as usize,
                Geometry::InnerTube(t) => {
                    cluster_points(t.cluster_configuration.as_deref().unwrap_or("")).len()
                }
                _ => 1,
            };
            let copies = parent_copies
                .saturating_mul(own_copies)
                .saturating_mul(own_count(c) as usize);
            total = total.saturating_add(copies);
            if copies > MAX_INSTANCES || total > MAX_TOTAL_INSTANCES {
                let (what, count, limit) = if copies > MAX_INSTANCES {
                    (
                        "instance count (own × enclosing pods, boosters, clusters)",
                        copies,
                        MAX_INSTANCES,
                    )
                } else {
                    (
                        "instance count of the whole design",
                        total,
                        MAX_TOTAL_INSTANCES,
                    )
                };
                return Err(GeometryError::OverLimit {
                    index: i,
                    kind: c.kind().tag(),
                    what,
                    count,
                    limit,
                });
            }
            let (base, base_roll) = match c.parent {
                Some(p) => (self.axes[p].clone(), self.roll[p].clone()),
                None => (vec![[0.0, 0.0]], vec![0.0]),
            };
            let (own, own_roll): (Vec<[f64; 2]>, Vec<f64>) = match &c.geometry {
                Geometry::PodSet(_) | Geometry::ParallelStage(_) => {
                    let r = self.assembly_radius(i);
                    let angles = self.assembly_angles(i);
                    (
                        angles.iter().map(|a| [r * a.cos(), r * a.sin()]).collect(),
                        angles,
                    )
                }
                Geometry::InnerTube(t) => {
                    let pts = cluster_points(t.cluster_configuration.as_deref().unwrap_or(""));
                    let sep = 2.0 * self.outer[i] * t.cluster_scale.unwrap_or(1.0).max(0.0);
                    let rot = t.cluster_rotation_deg.unwrap_or(0.0).to_radians();
                    let (s, co) = (rot.sin(), rot.cos());
                    let axes: Vec<[f64; 2]> = pts
                        .iter()
                        .map(|p| {
                            let (y, z) = (p[0] * co + p[1] * s, -p[0] * s + p[1] * co);
                            [y * sep, z * sep]
                        })
                        .collect();
                    let rolls = vec![0.0; axes.len()];
                    (axes, rolls)
                }
                _ => (vec![[0.0, 0.0]], vec![0.0]),
            };
            let mut axes = Vec::with_capacity(base.len() * own.len());
            let mut roll = Vec::with_capacity(base.len() * own.len());
            for (b, br) in base.iter().zip(&base_roll) {
                // The instance offsets live in the parent instance's (rolled) frame.
                let (sb, cb) = br.sin_cos();
                for (o, or) in own.iter().zip(&own_roll) {
                    let (y, z) = (o[0] * cb - o[1] * sb, o[0] * sb + o[1] * cb);
                    axes.push([b[0] + y, b[1] + z]);
                    roll.push(br + or);
                }
            }
            self.axes[i] = axes;
            self.roll[i] = roll;
        }
        Ok(())
    }

    /// Largest radius of any active body component (OpenRocket's `MAXIMUM` reference).
    pub fn max_body_radius(&self) -> f64 {
        (0..self.len.len())
            .filter(|&i| self.active[i])
            .filter_map(|i| self.profile[i].map(|p| p.max_radius()))
            .fold(0.0, f64::max)
    }

    /// Default radius exposed for tests.
    pub const DEFAULT_RADIUS: f64 = DEFAULT_RADIUS;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(method, offset, length, parent length, expected fore-end position)`.
    fn check(case: (AxialMethod, f64, f64, f64, f64)) {
        let (m, off, l, pl, expected) = case;
        let got = as_position(m, off, l, pl);
        assert!((got - expected).abs() < 1e-12, "{m:?}: {got} != {expected}");
    }

    #[test]
    fn axial_methods() {
        for case in [
            (AxialMethod::Top, 0.01, 0.05, 0.3, 0.01),
            (AxialMethod::Middle, 0.0, 0.1, 0.3, 0.1),
            (AxialMethod::Middle, -0.02, 0.1, 0.3, 0.08),
            (AxialMethod::Bottom, 0.0, 0.05, 0.3, 0.25),
            (AxialMethod::Bottom, 0.01, 0.05, 0.3, 0.26),
            (AxialMethod::After, 0.0, 0.05, 0.3, 0.3),
        ] {
            check(case);
        }
    }

    #[test]
    fn clusters_have_their_counts() {
        for (name, n) in [
            ("single", 1),
            ("double", 2),
            ("3-row", 3),
            ("4-ring", 4),
            ("5-ring", 5),
            ("6-star", 7),
            ("9-grid", 9),
            ("9-star", 9),
        ] {
            assert_eq!(cluster_points(name).len(), n, "{name}");
        }
    }
}
