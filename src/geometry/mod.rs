//! Resolved geometry and physical figures of a [`Design`]: pure code, no I/O.
//!
//! # API for renderers
//!
//! [`resolve`] turns the design model (which keeps OpenRocket's relative, partly automatic
//! dimensions) into absolute, fully numeric geometry:
//!
//! * [`Resolved::parts`] has exactly one [`Part`] per design component, at the same index as in
//!   [`Design::components`] (so `parts[i].index == i`, and parent/children come from the model);
//! * every x is **absolute, metres aft of the nose tip** of the whole rocket (all stages
//!   attached, stages stacked in order); [`Part::x_m`] is the fore end and [`Part::length_m`] the
//!   axial length;
//! * radial coordinates in a [`PartShape`] are measured from the part's own axis. That axis is
//!   the rocket axis, except inside pods / parallel boosters (and for inner-tube clusters),
//!   where [`Part::axes`] lists the `[y, z]` position of the axis of every instance (the
//!   renderer draws the shape once per entry, translated by `y` on a side view looking along
//!   `z`). Outside any pod `axes == [[0.0, 0.0]]`;
//! * [`Part::inner`] tells inside-the-airframe parts (inner tubes, couplers, rings, bulkheads,
//!   engine blocks, mass objects, recovery) from outer ones (bodies, fins, lugs, buttons);
//! * pods and boosters themselves are [`PartShape::Assembly`] with their radial offset and the
//!   angle of each instance (already folded into their children's `axes`).
//!
//! [`figures`] computes the headline physical figures (length, reference diameter, dry mass,
//! dry CG, Barrowman CP, stability) as OpenRocket does; see [`Figures`].
//!
//! Internals: [`position`] (axial placement, the numeric [`position::Layout`]), [`radius`]
//! (automatic radii), [`shape`] (nose cone and transition profiles), [`fins`] (fin outlines),
//! [`mass`] (mass and CG), [`aero`] (Barrowman centre of pressure), [`simdata`] (OpenRocket's
//! own figures and flight condition from a stored simulation), [`validate`] (every input
//! number finite, sizes non-negative: odd input is a [`GeometryError`], never a panic).

pub mod aero;
pub mod fins;
pub mod mass;
pub mod position;
pub mod radius;
pub mod shape;
pub mod simdata;
pub mod validate;

use serde::{Deserialize, Serialize};

use crate::model::{ComponentKind, Design};

/// Why geometry could not be resolved. Never a panic: every bad input ends up here.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    /// A dimension OpenRocket always writes is missing (e.g. a body tube without a length).
    #[error("component {index} ({kind}): missing {what}")]
    Missing {
        index: usize,
        kind: &'static str,
        what: &'static str,
    },
    /// A value outside its physical range (negative length, NaN, …).
    #[error("component {index} ({kind}): {what} = {} is not physical", short(*.value))]
    NonPhysical {
        index: usize,
        kind: &'static str,
        what: &'static str,
        value: f64,
    },
    /// The design asks for more copies or stages than the processor computes and draws
    /// ([`position::MAX_INSTANCES`], [`position::MAX_TOTAL_INSTANCES`],
    /// [`position::MAX_STAGES`]): every copy is summed and drawn, so these bound the time and
    /// memory a small file can demand.
    #[error("component {index} ({kind}): {what} is {count}, over the limit of {limit}")]
    OverLimit {
        index: usize,
        kind: &'static str,
        what: &'static str,
        count: usize,
        limit: usize,
    },
    /// The component list is not a well-formed tree (bad parent/child indices, cycles).
    #[error("malformed component tree: {0}")]
    Tree(String),
    /// Nothing to measure: no stage or no body component.
    #[error("the design has no body components")]
    Empty,
}

/// A number as people read it: plain when moderate, in exponent form when huge or tiny (a
/// 1e308 must not print as 309 digits).
fn short(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-4..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

impl GeometryError {
    /// A stable, machine-readable name for the error (logs, metrics, the graph).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing { .. } => "missing_value",
            Self::NonPhysical { .. } => "non_physical",
            Self::OverLimit { .. } => "limit_exceeded",
            Self::Tree(_) => "malformed_tree",
            Self::Empty => "empty_design",
        }
    }

    /// Whether the error means the file is not a usable design (it is then recorded as
    /// invalid), rather than a real design with nothing to measure ([`Self::Empty`]).
    pub fn rejects_design(&self) -> bool {
        !matches!(self, Self::Empty)
    }
}

/// The whole rocket, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    /// One per design component, same index.
    pub parts: Vec<Part>,
    /// Overall length: from the nose tip to the aft-most point of any part (fins included),
    /// the way OpenRocket's "length" reads (bounding box along x).
    pub length_m: f64,
    /// Largest outer radius of any body component (nose cone, transition, body tube) on the
    /// rocket axis; `2 ×` this is OpenRocket's default reference length.
    pub max_radius_m: f64,
}

/// One component with absolute geometry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Index in [`Design::components`] (and in [`Resolved::parts`]).
    pub index: usize,
    pub kind: ComponentKind,
    /// Fore end, metres aft of the nose tip.
    pub x_m: f64,
    /// Axial length (0 for stages' own bookkeeping is their span; fins: root chord).
    pub length_m: f64,
    /// `[y, z]` of this part's axis for every instance of the pods/boosters/clusters that
    /// contain it (and of its own cluster, for inner tubes). `[[0, 0]]` on the rocket axis.
    pub axes: Vec<[f64; 2]>,
    /// Inside the airframe (inner tubes, couplers, rings, mass objects, recovery).
    pub inner: bool,
    pub shape: PartShape,
}

/// A plain cylinder or ring, axial extent given by its part (or by itself for shoulders).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cylinder {
    /// Fore end, absolute.
    pub x_m: f64,
    pub length_m: f64,
    pub outer_radius_m: f64,
    /// 0 for solid.
    pub inner_radius_m: f64,
}

/// Drawable shape of a part. All radii are measured from the part's own axis
/// (see [`Part::axes`]); all x are absolute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum PartShape {
    /// Stages: nothing to draw; `x_m`/`length_m` of the part give their span.
    Stage,
    /// Nose cones, transitions, body tubes: outer radius profile `(x, r)` from fore to aft
    /// (two points for a body tube), the wall's inner radius where meaningful, and shoulders.
    Body {
        profile: Vec<[f64; 2]>,
        /// Wall thickness (perpendicular to the surface in OpenRocket, approximated radially
        /// for drawing); `None` for filled parts.
        thickness_m: Option<f64>,
        fore_shoulder: Option<Cylinder>,
        aft_shoulder: Option<Cylinder>,
    },
    /// Inner tubes, tube couplers, centering rings, bulkheads, engine blocks.
    Tube(Cylinder),
    /// Trapezoidal, elliptical and freeform fin sets.
    Fins {
        count: u32,
        /// Angle of the first fin, radians (0 = +y, the side view's "up").
        base_angle_rad: f64,
        cant_rad: f64,
        thickness_m: f64,
        /// Body radius at the fin root's leading edge (the surface the fins stand on).
        body_radius_m: f64,
        /// Closed outline `(x absolute, height above the root line)`, leading edge root first.
        outline: Vec<[f64; 2]>,
        /// Fin tab outline in the same coordinates (negative heights = into the body).
        tab: Option<Vec<[f64; 2]>>,
    },
    /// Tube fins: `count` tubes of the part's length standing on the body surface.
    TubeFins {
        count: u32,
        base_angle_rad: f64,
        outer_radius_m: f64,
        inner_radius_m: f64,
        /// Body radius where they stand; each tube's axis is `body_radius + outer_radius`
        /// from the part's axis.
        body_radius_m: f64,
    },
    /// Launch lugs: `count` tubes spaced `separation_m` apart along x, on the body surface.
    LaunchLug {
        angle_rad: f64,
        outer_radius_m: f64,
        inner_radius_m: f64,
        body_radius_m: f64,
        count: u32,
        separation_m: f64,
    },
    /// Rail buttons: `count` buttons spaced `separation_m` apart; x of the part is the fore edge
    /// of the first button.
    RailButton {
        angle_rad: f64,
        outer_radius_m: f64,
        inner_radius_m: f64,
        height_m: f64,
        body_radius_m: f64,
        count: u32,
        separation_m: f64,
    },
    /// Mass components, parachutes, streamers, shock cords: packed cylinder of the part's
    /// length, radially offset by `radial_offset_m` (usually 0).
    Packed { radius_m: f64, radial_offset_m: f64 },
    /// Pod sets and parallel stages: instances at `radial_offset_m` from the parent axis, at
    /// the given angles (radians, 0 = +y). Children's [`Part::axes`] already include these.
    Assembly {
        radial_offset_m: f64,
        angles_rad: Vec<f64>,
    },
}

/// Headline figures, as OpenRocket computes them for the full rocket (all stages and
/// boosters attached) without motors, at low Mach and zero angle of attack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub length_m: f64,
    /// Maximum body diameter (OpenRocket's default reference length).
    pub max_diameter_m: f64,
    /// The reference length OpenRocket uses given the rocket's reference type
    /// (`maximum` → max diameter, `nosecone` → nose cone base diameter, `custom`).
    pub reference_length_m: f64,
    pub dry_mass_kg: f64,
    /// Dry CG, metres aft of the nose tip.
    pub cg_m: f64,
    /// Barrowman CP at Mach 0.3-ish (subsonic, α → 0), metres aft of the nose tip.
    pub cp_m: f64,
    /// `(cp − cg) / reference length`, calibers (dry).
    pub stability_cal: f64,
    /// Per top-level stage: the stage alone and the stack from the nose down to it.
    pub stages: Vec<StageFigures>,
    /// Per simulation that stores the motor mass at lift-off: stability with motors.
    pub configurations: Vec<ConfigurationFigures>,
}

/// Figures of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageFigures {
    /// Index of the stage component.
    pub index: usize,
    pub name: Option<String>,
    /// This stage alone (with its boosters), dry.
    pub dry_mass_kg: f64,
    pub cg_m: f64,
    /// The rocket flying from this stage upwards (this stage and all stages above it), dry.
    pub stack_dry_mass_kg: f64,
    pub stack_cg_m: f64,
    pub stack_cp_m: f64,
}

/// Stability with motors, using the motor mass and CG OpenRocket recorded in a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigurationFigures {
    pub config_id: Option<String>,
    /// Where the motor figures come from: `simulation: <name>` (lift-off datapoint).
    pub source: String,
    pub motor_mass_kg: f64,
    /// Total lift-off mass (ours dry + motor).
    pub mass_kg: f64,
    /// Lift-off CG: ours dry combined with the motor mass at OpenRocket's motor CG
    /// (derived from OpenRocket's own total CG and mass).
    pub cg_m: f64,
    pub cp_m: f64,
    pub stability_cal: f64,
}

/// Options for [`figures_with`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FigureOptions {
    /// Motor configuration whose stage activation to honour (`None`: all stages attached).
    pub config_id: Option<String>,
    /// Flight condition for the CP (default Mach 0.3, α = 0).
    pub condition: Option<aero::Condition>,
}

/// Resolves every component's absolute position and geometry (all stages attached).
pub fn resolve(design: &Design) -> Result<Resolved, GeometryError> {
    let layout = position::Layout::build(design, None)?;
    let resolved = parts(&layout);
    mass::finite("length", resolved.length_m)?;
    mass::finite("max radius", resolved.max_radius_m)?;
    Ok(resolved)
}

/// Computes the rocket's figures (length, diameter, dry mass, CG, CP, stability) with all
/// stages attached, at Mach 0.3, zero angle of attack and cross-flow direction θ = 0 (what
/// OpenRocket's design view shows; only one- and two-fin sets depend on θ).
pub fn figures(design: &Design) -> Result<Figures, GeometryError> {
    figures_with(design, &FigureOptions::default())
}

/// Stage activation flags (by stage number) of a motor configuration.
fn stage_flags(design: &Design, config_id: Option<&str>) -> Option<Vec<bool>> {
    let id = config_id?;
    let conf = design
        .rocket
        .motor_configurations
        .iter()
        .find(|m| m.id == id)?;
    if conf.stages.is_empty() {
        return None;
    }
    let n = conf.stages.iter().map(|s| s.number as usize + 1).max()?;
    let mut flags = vec![true; n.min(1000)];
    for s in &conf.stages {
        if let Some(f) = flags.get_mut(s.number as usize) {
            *f = s.active;
        }
    }
    Some(flags)
}

/// [`figures`] for a chosen configuration and flight condition.
pub fn figures_with(design: &Design, options: &FigureOptions) -> Result<Figures, GeometryError> {
    let flags = stage_flags(design, options.config_id.as_deref());
    let layout = position::Layout::build(design, flags.as_deref())?;
    let cond = options.condition.unwrap_or_default();
    let resolved = parts(&layout);
    let reference = mass::finite("reference length", aero::reference_length(&layout))?;
    let dry = mass::total(&layout);
    let dry_mass = mass::finite("dry mass", dry.mass)?;
    let cg = mass::finite("cg", dry.cg(0.0))?;
    let (cp, _) = aero::center_of_pressure(&layout, cond);
    let cp = mass::finite("cp", cp)?;

    // Per stage: the stage alone, and the stack from the nose down to it.
    let mut stages = Vec::new();
    let mut stack_flags: Vec<bool> = Vec::new();
    for s in design.stages() {
        let alone = mass::subtree(&layout, s.index);
        // Stage numbers count parallel stages too, in tree order.
        let number = design.components[..=s.index]
            .iter()
            .filter(|c| {
                matches!(
                    c.geometry,
                    crate::model::Geometry::Stage(_) | crate::model::Geometry::ParallelStage(_)
                )
            })
            .count()
            - 1;
        stack_flags.resize(number + 1, true);
        let mut flags_here = stack_flags.clone();
        // Later stages off.
        let total_stages = design
            .components
            .iter()
            .filter(|c| {
                matches!(
                    c.geometry,
                    crate::model::Geometry::Stage(_) | crate::model::Geometry::ParallelStage(_)
                )
            })
            .count();
        flags_here.resize(total_stages, false);
        let stack_layout = position::Layout::build(design, Some(&flags_here))?;
        let stack = mass::total(&stack_layout);
        let (stack_cp, _) = aero::center_of_pressure(&stack_layout, cond);
        stages.push(StageFigures {
            index: s.index,
            name: s.name.clone(),
            dry_mass_kg: alone.mass,
            cg_m: alone.cg(layout.abs_x[s.index]),
            stack_dry_mass_kg: stack.mass,
            stack_cg_m: stack.cg(0.0),
            stack_cp_m: stack_cp,
        });
        stack_flags = flags_here;
        stack_flags.truncate(number + 1);
        // Parallel stages inside the next stage are numbered after it; keep them on.
        stack_flags.iter_mut().for_each(|f| *f = true);
    }

    // Per configuration with stored motor data.
    let mut configurations = Vec::new();
    for sim in &design.simulations {
        let Some(b) = sim.branches.first() else {
            continue;
        };
        let Some(dp) = simdata::liftoff(b, 0.3) else {
            continue;
        };
        let (Some(motor), Some(or_cg)) = (dp.motor_mass_kg, dp.cg_m) else {
            continue;
        };
        let Ok(at_row) = datapoint_condition(design, sim, &dp) else {
            continue;
        };
        let opts = FigureOptions {
            config_id: sim.conditions.config_id.clone(),
            // The stored mass and CG go with α = 0: stability is quoted at zero angle of attack.
            condition: Some(aero::Condition {
                aoa_rad: 0.0,
                ..at_row
            }),
        };
        let Ok(f) = (if opts == *options {
            Ok(None)
        } else {
            figures_core(design, &opts).map(Some)
        }) else {
            continue;
        };
        let (dm, cpx, refl) = match f {
            Some((m, c, r)) => (m, c, r),
            None => (dry_mass, cp, reference),
        };
        configurations.push(ConfigurationFigures {
            config_id: sim.conditions.config_id.clone(),
            source: format!(
                "simulation: {} (lift-off datapoint at t = {:.3} s; motor mass and CG from OpenRocket)",
                sim.name.as_deref().unwrap_or("unnamed"),
                dp.time_s
            ),
            motor_mass_kg: motor,
            mass_kg: dm + motor,
            cg_m: or_cg,
            cp_m: cpx,
            stability_cal: if refl > 0.0 { (cpx - or_cg) / refl } else { 0.0 },
        });
    }

    let figures = Figures {
        length_m: resolved.length_m,
        max_diameter_m: 2.0 * resolved.max_radius_m,
        reference_length_m: reference,
        dry_mass_kg: dry_mass,
        cg_m: cg,
        cp_m: cp,
        stability_cal: if reference > 0.0 {
            (cp - cg) / reference
        } else {
            0.0
        },
        stages,
        configurations,
    };
    all_finite(&figures)?;
    Ok(figures)
}

/// Every number of the figures must be finite (huge but finite inputs can overflow).
fn all_finite(f: &Figures) -> Result<(), GeometryError> {
    mass::finite("length", f.length_m)?;
    mass::finite("max diameter", f.max_diameter_m)?;
    mass::finite("stability", f.stability_cal)?;
    for s in &f.stages {
        for (what, v) in [
            ("stage mass", s.dry_mass_kg),
            ("stage cg", s.cg_m),
            ("stack mass", s.stack_dry_mass_kg),
            ("stack cg", s.stack_cg_m),
            ("stack cp", s.stack_cp_m),
        ] {
            mass::finite(what, v)?;
        }
    }
    for c in &f.configurations {
        for (what, v) in [
            ("motor mass", c.motor_mass_kg),
            ("lift-off mass", c.mass_kg),
            ("lift-off cg", c.cg_m),
            ("lift-off cp", c.cp_m),
            ("lift-off stability", c.stability_cal),
        ] {
            mass::finite(what, v)?;
        }
    }
    Ok(())
}

/// OpenRocket's flight condition at a stored datapoint of `sim` (first branch): that row's
/// Mach number and angle of attack, and the cross-flow direction θ, reconstructed from the
/// launch geometry ([`simdata::launch_roll`], resolving OpenRocket's old worst-CP roll on
/// this design) minus the roll integrated since.
pub fn datapoint_condition(
    design: &Design,
    sim: &crate::model::Simulation,
    dp: &simdata::Datapoint,
) -> Result<aero::Condition, GeometryError> {
    let finite = |v: Option<f64>, d: f64| v.filter(|x| x.is_finite()).unwrap_or(d);
    let mach = finite(dp.mach, 0.3).clamp(0.0, 100.0);
    let aoa = finite(dp.aoa_rad, 0.0).clamp(0.0, std::f64::consts::PI);
    let launch = match simdata::launch_roll(design, sim) {
        simdata::LaunchRoll::Theta(t) => t,
        simdata::LaunchRoll::WorstCpPlus(offset) => {
            let flags = stage_flags(design, sim.conditions.config_id.as_deref());
            let layout = position::Layout::build(design, flags.as_deref())?;
            aero::worst_theta(&layout, 0.3) + offset
        }
    };
    let rolled = sim
        .branches
        .first()
        .map(|b| simdata::roll_angle(b, dp.row))
        .unwrap_or(0.0);
    let theta = (launch - rolled).rem_euclid(2.0 * std::f64::consts::PI);
    Ok(aero::Condition {
        mach,
        aoa_rad: aoa,
        theta_rad: if theta.is_finite() { theta } else { 0.0 },
    })
}

/// Dry mass, CP and reference length for one configuration (no per-stage breakdown).
fn figures_core(design: &Design, o: &FigureOptions) -> Result<(f64, f64, f64), GeometryError> {
    let flags = stage_flags(design, o.config_id.as_deref());
    let layout = position::Layout::build(design, flags.as_deref())?;
    let dry = mass::total(&layout);
    let (cp, _) = aero::center_of_pressure(&layout, o.condition.unwrap_or_default());
    Ok((dry.mass, cp, aero::reference_length(&layout)))
}

/// Builds the renderer-facing parts from a layout.
fn parts(layout: &position::Layout) -> Resolved {
    let d = layout.design;
    let mut parts = Vec::with_capacity(d.components.len());
    let mut length: f64 = 0.0;
    for (i, c) in d.components.iter().enumerate() {
        use crate::model::Geometry as G;
        let x = layout.abs_x[i];
        let len = layout.len[i];
        let inner = matches!(
            c.geometry,
            G::InnerTube(_)
                | G::TubeCoupler(_)
                | G::CenteringRing(_)
                | G::Bulkhead(_)
                | G::EngineBlock(_)
                | G::MassComponent(_)
                | G::ShockCord(_)
                | G::Parachute(_)
                | G::Streamer(_)
        );
        let angle = position::base_angle(c);
        let parent_body_r = |at: f64| -> f64 {
            c.parent
                .filter(|&p| layout.profile[p].is_some())
                .map(|p| layout.body_radius_at(p, at))
                .unwrap_or(0.0)
        };
        let shape = match &c.geometry {
            G::Stage(_) => PartShape::Stage,
            G::PodSet(_) | G::ParallelStage(_) => PartShape::Assembly {
                radial_offset_m: layout.assembly_radius(i),
                angles_rad: layout.assembly_angles(i),
            },
            G::NoseCone(_) | G::Transition(_) | G::BodyTube(_) => {
                let p = layout.profile[i].unwrap_or_else(|| shape::Profile::cylinder(len, 0.0));
                let profile = p
                    .sample(64)
                    .into_iter()
                    .map(|[px, r]| [x + px, r])
                    .collect();
                let (thickness, fore_s, aft_s) = match &c.geometry {
                    G::BodyTube(b) => (if b.filled { None } else { b.thickness_m }, None, None),
                    G::NoseCone(t) | G::Transition(t) => {
                        let nose = matches!(c.geometry, G::NoseCone(_));
                        let (fs, as_) = if nose && t.flipped {
                            (t.aft_shoulder.as_ref(), None)
                        } else if nose {
                            (None, t.aft_shoulder.as_ref())
                        } else {
                            (t.fore_shoulder.as_ref(), t.aft_shoulder.as_ref())
                        };
                        let cyl = |s: Option<&crate::model::Shoulder>, fore: bool, end_r: f64| {
                            let s = s?;
                            let l = s.length_m.unwrap_or(0.0);
                            if l <= shape::MIN_FEATURE {
                                return None;
                            }
                            let r = s
                                .radius_m
                                .and_then(|a| a.value)
                                .unwrap_or(0.0)
                                .clamp(0.0, end_r);
                            let th = s.thickness_m.unwrap_or(0.0).clamp(0.0, r);
                            Some(Cylinder {
                                x_m: if fore { x - l } else { x + len },
                                length_m: l,
                                outer_radius_m: r,
                                inner_radius_m: r - th,
                            })
                        };
                        (
                            if t.filled { None } else { t.thickness_m },
                            cyl(fs, true, p.fore_radius),
                            cyl(as_, false, p.aft_radius),
                        )
                    }
                    _ => (None, None, None),
                };
                if let Some(s) = &aft_s {
                    length = length.max(s.x_m + s.length_m);
                }
                PartShape::Body {
                    profile,
                    thickness_m: thickness,
                    fore_shoulder: fore_s,
                    aft_shoulder: aft_s,
                }
            }
            G::InnerTube(_)
            | G::TubeCoupler(_)
            | G::CenteringRing(_)
            | G::Bulkhead(_)
            | G::EngineBlock(_) => PartShape::Tube(Cylinder {
                x_m: x,
                length_m: len,
                outer_radius_m: layout.outer[i],
                inner_radius_m: layout.inner[i],
            }),
            G::TrapezoidFinSet(_) | G::EllipticalFinSet(_) | G::FreeformFinSet(_) => {
                match fins::fin_props(layout, i) {
                    Some(f) => PartShape::Fins {
                        count: f.count,
                        base_angle_rad: angle,
                        cant_rad: fins::common(c)
                            .and_then(|fc| fc.cant_deg)
                            .unwrap_or(0.0)
                            .to_radians(),
                        thickness_m: f.thickness,
                        body_radius_m: f.body_radius,
                        outline: f.points.iter().map(|p| [x + p[0], p[1]]).collect(),
                        tab: f.tab.map(|t| t.iter().map(|p| [x + p[0], p[1]]).collect()),
                    },
                    None => PartShape::Stage,
                }
            }
            G::TubeFinSet(_) => PartShape::TubeFins {
                count: position::instances(c, 3),
                base_angle_rad: angle,
                outer_radius_m: layout.outer[i],
                inner_radius_m: layout.inner[i],
                body_radius_m: layout
                    .outer
                    .get(i)
                    .map(|_| parent_body_r(layout.rel_x[i]))
                    .unwrap_or(0.0),
            },
            G::LaunchLug(_) => PartShape::LaunchLug {
                angle_rad: angle,
                outer_radius_m: layout.outer[i],
                inner_radius_m: layout.inner[i],
                body_radius_m: parent_body_r(layout.rel_x[i]),
                count: position::instances(c, 1),
                separation_m: c.instance_separation_m.unwrap_or(0.0),
            },
            G::RailButton(b) => PartShape::RailButton {
                angle_rad: angle,
                outer_radius_m: layout.outer[i],
                inner_radius_m: layout.inner[i],
                height_m: b.height_m.unwrap_or(0.0),
                body_radius_m: parent_body_r(layout.rel_x[i]),
                count: position::instances(c, 1),
                separation_m: c.instance_separation_m.unwrap_or(0.0),
            },
            G::MassComponent(_) | G::ShockCord(_) | G::Parachute(_) | G::Streamer(_) => {
                PartShape::Packed {
                    radius_m: layout.outer[i],
                    radial_offset_m: 0.0,
                }
            }
        };
        if layout.active[i] && !inner {
            length = length.max(x + len);
            // OpenRocket's length is the bounding box of every component, so a fin whose tip
            // is swept past the aft end of the body lengthens the rocket.
            if let PartShape::Fins { outline, .. } = &shape {
                length = outline.iter().fold(length, |l, p| l.max(p[0]));
            }
        }
        parts.push(Part {
            index: i,
            kind: c.kind(),
            x_m: x,
            length_m: len,
            axes: layout.axes[i].clone(),
            inner,
            shape,
        });
    }
    Resolved {
        parts,
        length_m: length,
        max_radius_m: layout.max_body_radius(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AutoValue, Component, Geometry as G, Material, Shoulder};

    /// A number slot of a component: plain, optional, or possibly automatic.
    enum Slot<'a> {
        Val(&'a mut f64),
        Opt(&'a mut Option<f64>),
    }

    fn auto<'a>(v: &'a mut Option<AutoValue>, out: &mut Vec<Slot<'a>>) {
        if let Some(a) = v.as_mut() {
            out.push(Slot::Opt(&mut a.value));
        }
    }

    fn material<'a>(m: &'a mut Option<Material>, out: &mut Vec<Slot<'a>>) {
        if let Some(m) = m.as_mut() {
            out.push(Slot::Val(&mut m.density));
        }
    }

    fn shoulder<'a>(s: &'a mut Option<Shoulder>, out: &mut Vec<Slot<'a>>) {
        if let Some(s) = s.as_mut() {
            auto(&mut s.radius_m, out);
            out.push(Slot::Opt(&mut s.length_m));
            out.push(Slot::Opt(&mut s.thickness_m));
        }
    }

    /// Every number geometry reads from a component.
    fn slots(c: &mut Component) -> Vec<Slot<'_>> {
        let mut out = Vec::new();
        out.push(Slot::Val(&mut c.axial.offset_m));
        if let Some(o) = c.radius_offset.as_mut() {
            out.push(Slot::Val(&mut o.value));
        }
        if let Some(o) = c.angle_offset.as_mut() {
            out.push(Slot::Val(&mut o.value));
        }
        out.push(Slot::Opt(&mut c.instance_separation_m));
        material(&mut c.material, &mut out);
        out.push(Slot::Opt(&mut c.overrides.mass_kg));
        out.push(Slot::Opt(&mut c.overrides.cg_m));
        match &mut c.geometry {
            G::NoseCone(t) | G::Transition(t) => {
                out.push(Slot::Opt(&mut t.length_m));
                out.push(Slot::Opt(&mut t.thickness_m));
                out.push(Slot::Opt(&mut t.shape_parameter));
                auto(&mut t.fore_radius_m, &mut out);
                auto(&mut t.aft_radius_m, &mut out);
                shoulder(&mut t.fore_shoulder, &mut out);
                shoulder(&mut t.aft_shoulder, &mut out);
            }
            G::BodyTube(b) => {
                out.push(Slot::Opt(&mut b.length_m));
                out.push(Slot::Opt(&mut b.thickness_m));
                auto(&mut b.radius_m, &mut out);
            }
            G::TrapezoidFinSet(f) => {
                out.push(Slot::Opt(&mut f.root_chord_m));
                out.push(Slot::Opt(&mut f.tip_chord_m));
                out.push(Slot::Opt(&mut f.sweep_m));
                out.push(Slot::Opt(&mut f.height_m));
                fin_common(&mut f.fins, &mut out);
            }
            G::EllipticalFinSet(f) => {
                out.push(Slot::Opt(&mut f.root_chord_m));
                out.push(Slot::Opt(&mut f.height_m));
                fin_common(&mut f.fins, &mut out);
            }
            G::FreeformFinSet(f) => {
                for p in f.points_m.iter_mut() {
                    let [x, y] = p;
                    out.push(Slot::Val(x));
                    out.push(Slot::Val(y));
                }
                fin_common(&mut f.fins, &mut out);
            }
            G::TubeFinSet(t) => {
                out.push(Slot::Opt(&mut t.length_m));
                out.push(Slot::Opt(&mut t.thickness_m));
                auto(&mut t.outer_radius_m, &mut out);
            }
            G::LaunchLug(l) => {
                out.push(Slot::Opt(&mut l.outer_radius_m));
                out.push(Slot::Opt(&mut l.length_m));
                out.push(Slot::Opt(&mut l.thickness_m));
            }
            G::RailButton(b) => {
                out.push(Slot::Opt(&mut b.outer_diameter_m));
                out.push(Slot::Opt(&mut b.inner_diameter_m));
                out.push(Slot::Opt(&mut b.height_m));
                out.push(Slot::Opt(&mut b.base_height_m));
                out.push(Slot::Opt(&mut b.flange_height_m));
                out.push(Slot::Opt(&mut b.screw_height_m));
            }
            G::InnerTube(t) => {
                out.push(Slot::Opt(&mut t.length_m));
                out.push(Slot::Opt(&mut t.outer_radius_m));
                out.push(Slot::Opt(&mut t.thickness_m));
                out.push(Slot::Opt(&mut t.cluster_scale));
                out.push(Slot::Opt(&mut t.cluster_rotation_deg));
            }
            G::TubeCoupler(r) | G::CenteringRing(r) | G::Bulkhead(r) | G::EngineBlock(r) => {
                out.push(Slot::Opt(&mut r.length_m));
                out.push(Slot::Opt(&mut r.thickness_m));
                auto(&mut r.outer_radius_m, &mut out);
                auto(&mut r.inner_radius_m, &mut out);
            }
            G::MassComponent(m) => {
                out.push(Slot::Opt(&mut m.packed.packed_length_m));
                auto(&mut m.packed.packed_radius_m, &mut out);
                out.push(Slot::Opt(&mut m.mass_kg));
            }
            G::ShockCord(m) => {
                out.push(Slot::Opt(&mut m.packed.packed_length_m));
                auto(&mut m.packed.packed_radius_m, &mut out);
                out.push(Slot::Opt(&mut m.cord_length_m));
            }
            G::Parachute(p) => {
                out.push(Slot::Opt(&mut p.packed.packed_length_m));
                auto(&mut p.packed.packed_radius_m, &mut out);
                out.push(Slot::Opt(&mut p.diameter_m));
                out.push(Slot::Opt(&mut p.line_length_m));
                material(&mut p.line_material, &mut out);
            }
            G::Streamer(s) => {
                out.push(Slot::Opt(&mut s.packed.packed_length_m));
                auto(&mut s.packed.packed_radius_m, &mut out);
                out.push(Slot::Opt(&mut s.strip_length_m));
                out.push(Slot::Opt(&mut s.strip_width_m));
            }
            G::Stage(_) | G::PodSet(_) | G::ParallelStage(_) => {}
        }
        out
    }

    fn fin_common<'a>(f: &'a mut crate::model::FinCommon, out: &mut Vec<Slot<'a>>) {
        out.push(Slot::Opt(&mut f.thickness_m));
        out.push(Slot::Opt(&mut f.cant_deg));
        out.push(Slot::Opt(&mut f.tab_height_m));
        out.push(Slot::Opt(&mut f.tab_length_m));
        out.push(Slot::Opt(&mut f.tab_position_m));
        out.push(Slot::Opt(&mut f.fillet_radius_m));
        material(&mut f.fillet_material, out);
    }

    /// Runs everything public on a design; a panic (or a non-finite figure) is reported
    /// with the mutation named.
    fn exercise(design: &Design, what: &str) -> Option<String> {
        let run = std::panic::AssertUnwindSafe(|| {
            let _ = resolve(design);
            if let Ok(f) = figures(design) {
                for v in [
                    f.length_m,
                    f.reference_length_m,
                    f.dry_mass_kg,
                    f.cg_m,
                    f.cp_m,
                ] {
                    assert!(v.is_finite(), "non-finite figure {v}");
                }
            }
            for sim in &design.simulations {
                if let Some(dp) = sim.branches.first().and_then(|b| simdata::liftoff(b, 0.3)) {
                    let _ = datapoint_condition(design, sim, &dp);
                }
            }
        });
        std::panic::catch_unwind(run).err().map(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            format!("{what}: {msg}")
        })
    }

    fn sample(name: &str) -> Option<Design> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(name);
        crate::ork::parse_file(&path, &crate::ork::ParseOptions::default())
            .ok()
            .map(|p| p.design)
    }

    /// Every number of every component, set in turn to each odd value (and to missing),
    /// must give figures or a `GeometryError`, never a panic or a non-finite figure.
    #[test]
    fn odd_values_never_panic() {
        const ODD: [f64; 8] = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            0.0,
            1e-300,
            1e300,
            -1e300,
        ];
        let mut checked = 0;
        let mut failures = Vec::new();
        for file in ["all-components.ork", "minimal.ork", "boosterset-legacy.ork"] {
            let Some(base) = sample(file) else {
                continue;
            };
            failures.extend(exercise(&base, file));
            for ci in 0..base.components.len() {
                let n = {
                    let mut d = base.clone();
                    slots(&mut d.components[ci]).len()
                };
                for si in 0..n {
                    for v in ODD.iter().copied().map(Some).chain([None]) {
                        let mut d = base.clone();
                        let mut s = slots(&mut d.components[ci]);
                        match (&mut s[si], v) {
                            (Slot::Val(x), Some(v)) => **x = v,
                            (Slot::Val(_), None) => continue,
                            (Slot::Opt(x), v) => **x = v,
                        }
                        drop(s);
                        let what = format!(
                            "{file}: component {ci} ({}) slot {si} = {v:?}",
                            base.components[ci].kind().tag()
                        );
                        failures.extend(exercise(&d, &what));
                        // Non-finite input is an error, never a figure.
                        if v.is_some_and(|x| !x.is_finite())
                            && (resolve(&d).is_ok() || figures(&d).is_ok())
                        {
                            failures.push(format!("{what}: accepted"));
                        }
                        checked += 1;
                    }
                }
            }
            for v in ODD {
                let mut d = base.clone();
                d.rocket.custom_reference_m = Some(v);
                d.rocket.reference_type = Some("custom".into());
                failures.extend(exercise(&d, &format!("{file}: custom reference {v}")));
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
        println!("{checked} mutated designs checked");
        assert!(checked > 100 || sample("all-components.ork").is_none());
    }

    /// Broken trees are errors, not panics.
    #[test]
    fn malformed_trees_are_errors() {
        let Some(base) = sample("all-components.ork") else {
            return;
        };
        let n = base.components.len();
        // (what, mutation given the component count)
        type Mutation = fn(&mut Design, usize);
        let cases: [(&str, Mutation); 5] = [
            ("no components", |d, _| d.components.clear()),
            ("parent out of range", |d, n| {
                d.components[n - 1].parent = Some(n + 5)
            }),
            ("child out of range", |d, n| {
                d.components[0].children.push(n + 5)
            }),
            ("self parent", |d, n| {
                d.components[n - 1].parent = Some(n - 1)
            }),
            ("bad index", |d, _| d.components[0].index = 7),
        ];
        for (what, mutate) in cases {
            let mut d = base.clone();
            mutate(&mut d, n);
            assert_eq!(exercise(&d, what), None);
            assert!(resolve(&d).is_err(), "{what}: accepted");
        }
    }
}
