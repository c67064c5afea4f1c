//! Up-front checks of every number geometry reads: each must be finite and at most
//! [`MAX_MAGNITUDE`] in size, and sizes (lengths, radii, thicknesses, densities, masses) must
//! not be negative. Offsets, angles, fin point
//! coordinates and CG overrides may be negative. A failed check is a
//! [`GeometryError::NonPhysical`], so odd input never reaches the arithmetic.

use super::GeometryError;
use crate::model::{AutoValue, Component, Design, FinCommon, Geometry as G, Material, Shoulder};

/// Whether a value may be negative.
#[derive(Clone, Copy, PartialEq)]
enum Sign {
    Any,
    NonNegative,
}

/// The largest magnitude any geometric input may have (metres, kilograms, kg/m³, degrees). A
/// million metres is far beyond any rocket, and keeps every product the geometry forms
/// (volumes, moments of inertia) far from overflow: 1e308 would turn into infinities.
pub const MAX_MAGNITUDE: f64 = 1e6;

struct Checker<'a> {
    c: &'a Component,
}

impl Checker<'_> {
    fn num(&self, what: &'static str, v: f64, sign: Sign) -> Result<(), GeometryError> {
        if !v.is_finite() || v.abs() > MAX_MAGNITUDE || (sign == Sign::NonNegative && v < 0.0) {
            return Err(GeometryError::NonPhysical {
                index: self.c.index,
                kind: self.c.kind().tag(),
                what,
                value: v,
            });
        }
        Ok(())
    }
    fn opt(&self, what: &'static str, v: Option<f64>, sign: Sign) -> Result<(), GeometryError> {
        v.map_or(Ok(()), |x| self.num(what, x, sign))
    }
    fn size(&self, what: &'static str, v: Option<f64>) -> Result<(), GeometryError> {
        self.opt(what, v, Sign::NonNegative)
    }
    fn auto(&self, what: &'static str, v: &Option<AutoValue>) -> Result<(), GeometryError> {
        self.size(what, v.and_then(|a| a.value))
    }
    fn material(&self, what: &'static str, m: &Option<Material>) -> Result<(), GeometryError> {
        self.size(what, m.as_ref().map(|m| m.density))
    }
    fn shoulder(&self, s: &Option<Shoulder>) -> Result<(), GeometryError> {
        let Some(s) = s else { return Ok(()) };
        self.auto("shoulder radius", &s.radius_m)?;
        self.size("shoulder length", s.length_m)?;
        self.size("shoulder thickness", s.thickness_m)
    }
    fn fins(&self, f: &FinCommon) -> Result<(), GeometryError> {
        self.size("fin thickness", f.thickness_m)?;
        self.opt("cant", f.cant_deg, Sign::Any)?;
        self.size("tab height", f.tab_height_m)?;
        self.size("tab length", f.tab_length_m)?;
        self.opt("tab position", f.tab_position_m, Sign::Any)?;
        self.size("fillet radius", f.fillet_radius_m)?;
        self.material("fillet material density", &f.fillet_material)
    }
}

/// Checks one component's numbers.
pub fn component(c: &Component) -> Result<(), GeometryError> {
    let k = Checker { c };
    k.num("axial offset", c.axial.offset_m, Sign::Any)?;
    k.opt(
        "radius offset",
        c.radius_offset.as_ref().map(|o| o.value),
        Sign::Any,
    )?;
    k.opt(
        "angle offset",
        c.angle_offset.as_ref().map(|o| o.value),
        Sign::Any,
    )?;
    k.opt("instance separation", c.instance_separation_m, Sign::Any)?;
    k.material("material density", &c.material)?;
    k.size("mass override", c.overrides.mass_kg)?;
    k.opt("CG override", c.overrides.cg_m, Sign::Any)?;
    match &c.geometry {
        G::NoseCone(t) | G::Transition(t) => {
            k.size("length", t.length_m)?;
            k.size("thickness", t.thickness_m)?;
            k.opt("shape parameter", t.shape_parameter, Sign::Any)?;
            k.auto("fore radius", &t.fore_radius_m)?;
            k.auto("aft radius", &t.aft_radius_m)?;
            k.shoulder(&t.fore_shoulder)?;
            k.shoulder(&t.aft_shoulder)
        }
        G::BodyTube(b) => {
            k.size("length", b.length_m)?;
            k.size("thickness", b.thickness_m)?;
            k.auto("radius", &b.radius_m)
        }
        G::TrapezoidFinSet(f) => {
            k.size("root chord", f.root_chord_m)?;
            k.size("tip chord", f.tip_chord_m)?;
            k.opt("sweep", f.sweep_m, Sign::Any)?;
            k.size("height", f.height_m)?;
            k.fins(&f.fins)
        }
        G::EllipticalFinSet(f) => {
            k.size("root chord", f.root_chord_m)?;
            k.size("height", f.height_m)?;
            k.fins(&f.fins)
        }
        G::FreeformFinSet(f) => {
            for p in &f.points_m {
                k.num("fin point", p[0], Sign::Any)?;
                k.num("fin point", p[1], Sign::Any)?;
            }
            k.fins(&f.fins)
        }
        G::TubeFinSet(t) => {
            k.size("length", t.length_m)?;
            k.size("thickness", t.thickness_m)?;
            k.auto("outer radius", &t.outer_radius_m)
        }
        G::LaunchLug(l) => {
            k.size("radius", l.outer_radius_m)?;
            k.size("length", l.length_m)?;
            k.size("thickness", l.thickness_m)
        }
        G::RailButton(b) => {
            k.size("outer diameter", b.outer_diameter_m)?;
            k.size("inner diameter", b.inner_diameter_m)?;
            k.size("height", b.height_m)?;
            k.size("base height", b.base_height_m)?;
            k.size("flange height", b.flange_height_m)?;
            k.size("screw height", b.screw_height_m)
        }
        G::InnerTube(t) => {
            k.size("length", t.length_m)?;
            k.size("outer radius", t.outer_radius_m)?;
            k.size("thickness", t.thickness_m)?;
            k.size("cluster scale", t.cluster_scale)?;
            k.opt("cluster rotation", t.cluster_rotation_deg, Sign::Any)
        }
        G::TubeCoupler(r) | G::CenteringRing(r) | G::Bulkhead(r) | G::EngineBlock(r) => {
            k.size("length", r.length_m)?;
            k.size("thickness", r.thickness_m)?;
            k.auto("outer radius", &r.outer_radius_m)?;
            k.auto("inner radius", &r.inner_radius_m)
        }
        G::MassComponent(m) => {
            k.size("packed length", m.packed.packed_length_m)?;
            k.auto("packed radius", &m.packed.packed_radius_m)?;
            k.size("mass", m.mass_kg)
        }
        G::ShockCord(m) => {
            k.size("packed length", m.packed.packed_length_m)?;
            k.auto("packed radius", &m.packed.packed_radius_m)?;
            k.size("cord length", m.cord_length_m)
        }
        G::Parachute(p) => {
            k.size("packed length", p.packed.packed_length_m)?;
            k.auto("packed radius", &p.packed.packed_radius_m)?;
            k.size("diameter", p.diameter_m)?;
            k.size("line length", p.line_length_m)?;
            k.material("line material density", &p.line_material)
        }
        G::Streamer(s) => {
            k.size("packed length", s.packed.packed_length_m)?;
            k.auto("packed radius", &s.packed.packed_radius_m)?;
            k.size("strip length", s.strip_length_m)?;
            k.size("strip width", s.strip_width_m)
        }
        G::Stage(_) | G::PodSet(_) | G::ParallelStage(_) => Ok(()),
    }
}

/// Checks every component and the rocket's custom reference length.
pub fn design(d: &Design) -> Result<(), GeometryError> {
    for c in &d.components {
        component(c)?;
    }
    if let Some(r) = d.rocket.custom_reference_m {
        if !r.is_finite() || r < 0.0 {
            return Err(GeometryError::NonPhysical {
                index: 0,
                kind: "rocket",
                what: "custom reference length",
                value: r,
            });
        }
    }
    Ok(())
}
