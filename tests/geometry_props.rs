//! Property tests of the geometry and render stages on random, well-formed designs.
//!
//! Each case is a plain-XML `.ork` (format 1.9) written from a random [`Rocket`]: a nose cone
//! followed by body tubes and transitions, fin sets (trapezoidal, elliptical, freeform) and
//! inner tubes on the body tubes, every number finite and drawn from a wide range (lengths
//! 0.1 mm .. 10 m, radii 0.1 mm .. 1 m, log-uniform), shapes and shape parameters from what
//! OpenRocket writes. The XML goes through the real reader (`ork::parse`), then
//! `geometry::resolve`, `geometry::figures` and `render::render`.
//!
//! What holds physically, and is asserted:
//! * every figure is finite, the dry mass is positive;
//! * the CG lies within the rocket, `[0, length]`: every mass sits within it (shoulders and
//!   inner tubes are generated inside their neighbours, fins within their body tube);
//! * the CP lies within `[0, length]` when every normal-force contribution is positive: a
//!   nose cone, transitions that widen aft, fins. A transition that narrows aft (a boat tail)
//!   has a negative `CNα`, which can push the Barrowman CP anywhere (even ahead of the nose
//!   when the boat tail cancels most of the lift); then only finiteness is asserted;
//! * every body profile stays within `[0, max(fore, aft radius)]`, every part within
//!   `[0, length]` along x;
//! * the render returns images of the configured width.
//!
//! Cases stay few (debug builds); failing seeds go to `proptest-regressions/geometry_props.txt`.

use std::fmt::Write as _;

use ork_processor::geometry::shape::{self, Profile};
use ork_processor::geometry::{self, PartShape, Resolved};
use ork_processor::model::Shape;
use ork_processor::ork::{self, ParseOptions};
use ork_processor::render::{self, RenderConfig};
use proptest::prelude::*;

/// Relative tolerance of the bounds checks.
const TOL: f64 = 1e-9;
/// Shortest fin outline along x OpenRocket draws, metres.
const MIN_FIN_OUTLINE: f64 = 1e-4;

/// A radius that is automatic or fixed.
#[derive(Debug, Clone, Copy)]
enum Radius {
    Auto,
    Fixed(f64),
}

impl Radius {
    fn xml(self) -> String {
        match self {
            Radius::Auto => "auto".to_string(),
            Radius::Fixed(r) => format!("{r}"),
        }
    }
    fn fixed(self) -> Option<f64> {
        match self {
            Radius::Auto => None,
            Radius::Fixed(r) => Some(r),
        }
    }
}

const SHAPES: [Shape; 6] = [
    Shape::Ogive,
    Shape::Conical,
    Shape::Ellipsoid,
    Shape::Power,
    Shape::Parabolic,
    Shape::Haack,
];

fn shape_name(s: Shape) -> &'static str {
    match s {
        Shape::Conical => "conical",
        Shape::Ogive => "ogive",
        Shape::Ellipsoid => "ellipsoid",
        Shape::Power => "power",
        Shape::Parabolic => "parabolic",
        Shape::Haack => "haack",
    }
}

/// The parameter range OpenRocket allows for a shape (haack: 0 ..= 1/3; power: 0 < p ≤ 1).
fn param_range(s: Shape) -> (f64, f64) {
    match s {
        Shape::Haack => (0.0, 1.0 / 3.0),
        Shape::Power => (1e-3, 1.0),
        _ => (0.0, 1.0),
    }
}

/// Shape, parameter (fraction of its range) and clipping of a nose cone or transition.
#[derive(Debug, Clone, Copy)]
struct Outline {
    shape: Shape,
    param_frac: f64,
    clipped: bool,
}

impl Outline {
    fn param(&self) -> f64 {
        let (lo, hi) = param_range(self.shape);
        lo + (hi - lo) * self.param_frac
    }
}

/// A wall: filled, or a thickness as a fraction of the smallest radius the design can have.
#[derive(Debug, Clone, Copy)]
enum Wall {
    Filled,
    Frac(f64),
}

/// A shoulder, all sizes as fractions (radius of the end radius bound, length of the
/// neighbouring body tube, thickness of the shoulder radius).
#[derive(Debug, Clone, Copy)]
struct ShoulderSpec {
    radius_frac: f64,
    length_frac: f64,
    thickness_frac: f64,
    capped: bool,
}

#[derive(Debug, Clone)]
enum FinShape {
    Trapezoid {
        /// Fractions of the root chord.
        tip_frac: f64,
        sweep_frac: f64,
        height: f64,
    },
    Elliptical {
        height: f64,
    },
    /// Interior points as (x fraction of the root chord, height), sorted by x.
    Freeform {
        points: Vec<(f64, f64)>,
    },
}

#[derive(Debug, Clone)]
struct FinSpec {
    shape: FinShape,
    count: u32,
    /// Fraction of the body tube's length.
    root_frac: f64,
    thickness: f64,
    cant_deg: f64,
    fillet: f64,
    density: f64,
}

#[derive(Debug, Clone, Copy)]
struct InnerSpec {
    length_frac: f64,
    radius_frac: f64,
    thickness_frac: f64,
    density: f64,
}

#[derive(Debug, Clone)]
enum Section {
    Tube {
        length: f64,
        radius: Radius,
        wall: Wall,
        density: f64,
        fins: Vec<FinSpec>,
        inner: Option<InnerSpec>,
    },
    Transition {
        length: f64,
        outline: Outline,
        fore: Radius,
        aft: Radius,
        wall: Wall,
        density: f64,
        fore_shoulder: Option<ShoulderSpec>,
        aft_shoulder: Option<ShoulderSpec>,
    },
}

#[derive(Debug, Clone)]
struct Rocket {
    nose_length: f64,
    nose_outline: Outline,
    nose_radius: Radius,
    nose_wall: Wall,
    nose_density: f64,
    nose_shoulder: Option<ShoulderSpec>,
    sections: Vec<Section>,
}

/// Log-uniform in `[lo, hi]`.
fn log_range(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..=hi.ln()).prop_map(f64::exp)
}

fn length() -> impl Strategy<Value = f64> {
    log_range(1e-4, 10.0)
}

fn radius_value() -> impl Strategy<Value = f64> {
    log_range(1e-4, 1.0)
}

fn radius() -> impl Strategy<Value = Radius> {
    prop_oneof![
        1 => Just(Radius::Auto),
        3 => radius_value().prop_map(Radius::Fixed),
    ]
}

fn density() -> impl Strategy<Value = f64> {
    log_range(10.0, 8000.0)
}

fn outline() -> impl Strategy<Value = Outline> {
    (
        prop::sample::select(&SHAPES[..]),
        0.0..=1.0f64,
        any::<bool>(),
    )
        .prop_map(|(shape, param_frac, clipped)| Outline {
            shape,
            param_frac,
            clipped,
        })
}

fn wall() -> impl Strategy<Value = Wall> {
    prop_oneof![
        1 => Just(Wall::Filled),
        4 => (0.0..=1.0f64).prop_map(Wall::Frac),
    ]
}

fn shoulder() -> impl Strategy<Value = Option<ShoulderSpec>> {
    prop::option::of(
        (0.0..=1.0f64, 0.0..=1.0f64, 0.0..=1.0f64, any::<bool>()).prop_map(|(r, l, t, capped)| {
            ShoulderSpec {
                radius_frac: r,
                length_frac: l,
                thickness_frac: t,
                capped,
            }
        }),
    )
}

/// Fins whose outline stays within the root chord along x (no tip aft of the trailing edge;
/// see `Rocket::nominal_length` for chords under 0.1 mm).
fn fin() -> impl Strategy<Value = FinSpec> {
    let shape = prop_oneof![
        (0.0..=1.0f64, 0.0..=1.0f64, log_range(1e-4, 2.0)).prop_map(|(tip, sweep, height)| {
            // Tip trailing edge at most at the root trailing edge.
            FinShape::Trapezoid {
                tip_frac: tip,
                sweep_frac: sweep * (1.0 - tip),
                height,
            }
        }),
        log_range(1e-4, 2.0).prop_map(|height| FinShape::Elliptical { height }),
        prop::collection::vec((0.0..=1.0f64, log_range(1e-4, 2.0)), 1..6).prop_map(|mut v| {
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
            FinShape::Freeform { points: v }
        }),
    ];
    (
        shape,
        1u32..=8,
        0.05..=1.0f64,
        log_range(1e-4, 0.05),
        -15.0..=15.0f64,
        prop_oneof![Just(0.0), log_range(1e-4, 0.02)],
        density(),
    )
        .prop_map(
            |(shape, count, root_frac, thickness, cant_deg, fillet, density)| FinSpec {
                shape,
                count,
                root_frac,
                thickness,
                cant_deg,
                fillet,
                density,
            },
        )
}

fn inner() -> impl Strategy<Value = Option<InnerSpec>> {
    prop::option::of(
        (0.0..=1.0f64, 0.05..=1.0f64, 0.0..=1.0f64, density()).prop_map(|(l, r, t, d)| InnerSpec {
            length_frac: l,
            radius_frac: r,
            thickness_frac: t,
            density: d,
        }),
    )
}

fn tube() -> impl Strategy<Value = Section> {
    (
        length(),
        radius(),
        wall(),
        density(),
        prop::collection::vec(fin(), 0..3),
        inner(),
    )
        .prop_map(
            |(length, radius, wall, density, fins, inner)| Section::Tube {
                length,
                radius,
                wall,
                density,
                fins,
                inner,
            },
        )
}

fn transition() -> impl Strategy<Value = Section> {
    (
        length(),
        outline(),
        radius(),
        radius(),
        wall(),
        density(),
        shoulder(),
        shoulder(),
    )
        .prop_map(
            |(length, outline, fore, aft, wall, density, fore_shoulder, aft_shoulder)| {
                Section::Transition {
                    length,
                    outline,
                    fore,
                    aft,
                    wall,
                    density,
                    fore_shoulder,
                    aft_shoulder,
                }
            },
        )
}

fn rocket() -> impl Strategy<Value = Rocket> {
    (
        length(),
        outline(),
        radius(),
        wall(),
        density(),
        shoulder(),
        tube(),
        prop::collection::vec(prop_oneof![2 => tube(), 1 => transition()], 0..4),
    )
        .prop_map(
            |(
                nose_length,
                nose_outline,
                nose_radius,
                nose_wall,
                nose_density,
                nose_shoulder,
                first,
                rest,
            )| {
                let mut sections = vec![first];
                sections.extend(rest);
                Rocket {
                    nose_length,
                    nose_outline,
                    nose_radius,
                    nose_wall,
                    nose_density,
                    nose_shoulder,
                    sections,
                }
            },
        )
}

impl Rocket {
    /// The smallest radius any body part can resolve to: automatic radii take a neighbour's
    /// fixed radius or OpenRocket's default, 0.025 m.
    fn min_radius(&self) -> f64 {
        let mut r = geometry::radius::DEFAULT_RADIUS;
        let mut take = |v: Radius| {
            if let Some(x) = v.fixed() {
                r = r.min(x);
            }
        };
        take(self.nose_radius);
        for s in &self.sections {
            match s {
                Section::Tube { radius, .. } => take(*radius),
                Section::Transition { fore, aft, .. } => {
                    take(*fore);
                    take(*aft);
                }
            }
        }
        r
    }

    /// Length of the body tube right before / after section `i` (`None` at the ends or when
    /// the neighbour is a transition).
    fn tube_len(&self, i: Option<usize>) -> Option<f64> {
        match i.and_then(|i| self.sections.get(i)) {
            Some(Section::Tube { length, .. }) => Some(*length),
            _ => None,
        }
    }

    /// Nominal length: nose cone plus every section, or further where a fin trails past the
    /// end of its tube. The generated fins end at their tube's aft end, except that trapezoid
    /// and elliptical outlines have a root chord of at least 0.1 mm (OpenRocket's
    /// `TrapezoidFinSet.getFinPoints`), so a shorter root pokes out by the difference.
    fn nominal_length(&self) -> f64 {
        let mut x = self.nose_length;
        let mut bbox = x;
        for s in &self.sections {
            match s {
                Section::Tube { length, fins, .. } => {
                    x += length;
                    for f in fins {
                        let root = f.root_frac * length;
                        let past = match f.shape {
                            FinShape::Freeform { .. } => 0.0,
                            _ => (MIN_CHORD - root).max(0.0),
                        };
                        bbox = bbox.max(x + past);
                    }
                }
                Section::Transition { length, .. } => x += length,
            }
            bbox = bbox.max(x);
        }
        bbox
    }

    /// Number of components written (stage included).
    fn component_count(&self) -> usize {
        2 + self
            .sections
            .iter()
            .map(|s| match s {
                Section::Tube { fins, inner, .. } => 1 + fins.len() + usize::from(inner.is_some()),
                Section::Transition { .. } => 1,
            })
            .sum::<usize>()
    }

    fn xml(&self) -> String {
        let min_r = self.min_radius();
        let mut x = String::new();
        x.push_str(
            "<?xml version='1.0' encoding='utf-8'?>\n\
             <openrocket version=\"1.9\" creator=\"proptest\"><rocket><name>p</name>\
             <subcomponents><stage><name>s</name><subcomponents>\n",
        );
        let material =
            |d: f64| format!("<material type=\"bulk\" density=\"{d}\" group=\"x\">m</material>");
        let wall = |w: Wall| match w {
            Wall::Filled => "<thickness>filled</thickness>".to_string(),
            Wall::Frac(f) => format!("<thickness>{}</thickness>", f * min_r),
        };
        let outline = |o: Outline| {
            format!(
                "<shape>{}</shape><shapeparameter>{}</shapeparameter>\
                 <shapeclipped>{}</shapeclipped>",
                shape_name(o.shape),
                o.param(),
                o.clipped
            )
        };
        let shoulder = |end: &str, s: Option<ShoulderSpec>, neighbour: Option<f64>| {
            let (Some(s), Some(len)) = (s, neighbour) else {
                return String::new();
            };
            let r = s.radius_frac * min_r;
            format!(
                "<{end}shoulderradius>{r}</{end}shoulderradius>\
                 <{end}shoulderlength>{}</{end}shoulderlength>\
                 <{end}shoulderthickness>{}</{end}shoulderthickness>\
                 <{end}shouldercapped>{}</{end}shouldercapped>",
                s.length_frac * len,
                s.thickness_frac * r,
                s.capped
            )
        };
        let _ = writeln!(
            x,
            "<nosecone><name>nose</name>{}<length>{}</length>{}{}<aftradius>{}</aftradius>{}\
             <isflipped>false</isflipped></nosecone>",
            material(self.nose_density),
            self.nose_length,
            wall(self.nose_wall),
            outline(self.nose_outline),
            self.nose_radius.xml(),
            shoulder("aft", self.nose_shoulder, self.tube_len(Some(0))),
        );
        for (i, s) in self.sections.iter().enumerate() {
            match s {
                Section::Tube {
                    length,
                    radius,
                    wall: w,
                    density,
                    fins,
                    inner,
                } => {
                    let _ = write!(
                        x,
                        "<bodytube><name>tube {i}</name>{}<length>{length}</length>{}\
                         <radius>{}</radius>",
                        material(*density),
                        wall(*w),
                        radius.xml()
                    );
                    if !fins.is_empty() || inner.is_some() {
                        x.push_str("<subcomponents>");
                        for (k, f) in fins.iter().enumerate() {
                            fin_xml(&mut x, f, k, *length);
                        }
                        if let Some(t) = inner {
                            let r = t.radius_frac * min_r;
                            let _ = write!(
                                x,
                                "<innertube><name>mmt</name>\
                                 <axialoffset method=\"bottom\">0.0</axialoffset>{}\
                                 <length>{}</length><outerradius>{r}</outerradius>\
                                 <thickness>{}</thickness></innertube>",
                                material(t.density),
                                t.length_frac * length,
                                t.thickness_frac * r
                            );
                        }
                        x.push_str("</subcomponents>");
                    }
                    x.push_str("</bodytube>\n");
                }
                Section::Transition {
                    length,
                    outline: o,
                    fore,
                    aft,
                    wall: w,
                    density,
                    fore_shoulder,
                    aft_shoulder,
                } => {
                    let _ = writeln!(
                        x,
                        "<transition><name>transition {i}</name>{}<length>{length}</length>{}{}\
                         <foreradius>{}</foreradius><aftradius>{}</aftradius>{}{}</transition>",
                        material(*density),
                        wall(*w),
                        outline(*o),
                        fore.xml(),
                        aft.xml(),
                        shoulder("fore", *fore_shoulder, self.tube_len(i.checked_sub(1))),
                        shoulder("aft", *aft_shoulder, self.tube_len(Some(i + 1))),
                    );
                }
            }
        }
        x.push_str("</subcomponents></stage></subcomponents></rocket></openrocket>\n");
        x
    }
}

/// OpenRocket's minimum root chord of a trapezoid or elliptical fin outline.
const MIN_CHORD: f64 = 0.0001;

fn fin_xml(x: &mut String, f: &FinSpec, k: usize, tube_length: f64) {
    let root = f.root_frac * tube_length;
    let (tag, body) = match &f.shape {
        FinShape::Trapezoid {
            tip_frac,
            sweep_frac,
            height,
        } => (
            "trapezoidfinset",
            format!(
                "<rootchord>{root}</rootchord><tipchord>{}</tipchord>\
                 <sweeplength>{}</sweeplength><height>{height}</height>",
                tip_frac * root,
                sweep_frac * root
            ),
        ),
        FinShape::Elliptical { height } => (
            "ellipticalfinset",
            format!("<rootchord>{root}</rootchord><height>{height}</height>"),
        ),
        FinShape::Freeform { points } => {
            let mut p = String::from("<finpoints><point x=\"0.0\" y=\"0.0\"/>");
            for (fx, h) in points {
                let _ = write!(p, "<point x=\"{}\" y=\"{h}\"/>", fx * root);
            }
            let _ = write!(p, "<point x=\"{root}\" y=\"0.0\"/></finpoints>");
            ("freeformfinset", p)
        }
    };
    let _ = write!(
        x,
        "<{tag}><name>fins {k}</name><instancecount>{}</instancecount>\
         <fincount>{}</fincount><axialoffset method=\"bottom\">0.0</axialoffset>\
         <material type=\"bulk\" density=\"{}\" group=\"x\">m</material>\
         <thickness>{}</thickness><crosssection>rounded</crosssection><cant>{}</cant>\
         <tabheight>0.0</tabheight><tablength>0.0</tablength>\
         <filletradius>{}</filletradius>\
         <filletmaterial type=\"bulk\" density=\"{}\" group=\"x\">m</filletmaterial>\
         {body}</{tag}>",
        f.count, f.count, f.density, f.thickness, f.cant_deg, f.fillet, f.density
    );
}

/// `v` within `[lo, hi]` up to a relative tolerance of the scale.
fn within(v: f64, lo: f64, hi: f64, scale: f64) -> bool {
    let eps = TOL * scale.abs().max(1e-12);
    v.is_finite() && v >= lo - eps && v <= hi + eps
}

fn parse(r: &Rocket) -> ork_processor::model::Design {
    let xml = r.xml();
    match ork::parse(xml.as_bytes(), &ParseOptions::default()) {
        Ok(p) => {
            assert_eq!(p.design.components.len(), r.component_count(), "{xml}");
            p.design
        }
        Err(e) => panic!("generated XML does not parse: {e}\n{xml}"),
    }
}

/// Whether any body narrows from fore to aft (a boat tail: negative `CNα`).
fn has_boat_tail(resolved: &Resolved) -> bool {
    resolved.parts.iter().any(|p| match &p.shape {
        PartShape::Body { profile, .. } => {
            let (f, a) = (profile[0][1], profile[profile.len() - 1][1]);
            a < f
        }
        _ => false,
    })
}

/// 96 cases per property (a few seconds in a debug build); `PROPTEST_CASES=N` runs more.
fn config() -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 96;
    }
    c.max_shrink_iters = 2048;
    c
}

proptest! {
    #![proptest_config(config())]

    /// (a) Figures of a finite design are finite, the dry mass positive, the CG within the
    /// rocket, and the CP too unless a boat tail contributes negative lift.
    #[test]
    fn figures_are_finite_and_bounded(r in rocket()) {
        let design = parse(&r);
        let resolved = geometry::resolve(&design).expect("resolve");
        let f = geometry::figures(&design).expect("figures");
        let len = f.length_m;
        for (what, v) in [
            ("length", f.length_m),
            ("max diameter", f.max_diameter_m),
            ("reference length", f.reference_length_m),
            ("dry mass", f.dry_mass_kg),
            ("cg", f.cg_m),
            ("cp", f.cp_m),
            ("stability", f.stability_cal),
        ] {
            prop_assert!(v.is_finite(), "{} = {}", what, v);
        }
        prop_assert!(f.dry_mass_kg > 0.0, "dry mass {}", f.dry_mass_kg);
        prop_assert!(f.max_diameter_m > 0.0);
        prop_assert!(f.reference_length_m > 0.0);
        // The bodies stack end to end, fins and shoulders stay within them.
        let nominal = r.nominal_length();
        prop_assert!(
            (len - nominal).abs() <= 1e-9 * nominal,
            "length {} vs {}", len, nominal
        );
        prop_assert!((len - resolved.length_m).abs() <= 1e-12 * len);
        prop_assert!(
            (f.max_diameter_m - 2.0 * resolved.max_radius_m).abs() <= 1e-12 * f.max_diameter_m
        );
        prop_assert!(within(f.cg_m, 0.0, len, len), "cg {} outside [0, {}]", f.cg_m, len);
        if !has_boat_tail(&resolved) {
            prop_assert!(within(f.cp_m, 0.0, len, len), "cp {} outside [0, {}]", f.cp_m, len);
        }
        // One stage: its figures are the rocket's.
        prop_assert_eq!(f.stages.len(), 1);
        let s = &f.stages[0];
        for (what, v) in [
            ("stage mass", s.dry_mass_kg),
            ("stage cg", s.cg_m),
            ("stack mass", s.stack_dry_mass_kg),
            ("stack cg", s.stack_cg_m),
            ("stack cp", s.stack_cp_m),
        ] {
            prop_assert!(v.is_finite(), "{} = {}", what, v);
        }
        let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= 1e-9 * scale.abs().max(1e-12);
        prop_assert!(close(s.stack_dry_mass_kg, f.dry_mass_kg, f.dry_mass_kg));
        prop_assert!(close(s.dry_mass_kg, f.dry_mass_kg, f.dry_mass_kg));
        prop_assert!(close(s.stack_cg_m, f.cg_m, len));
        prop_assert!(close(s.stack_cp_m, f.cp_m, len.max(f.cp_m.abs())));
        // No simulation stores motor data here.
        for c in &f.configurations {
            for v in [c.motor_mass_kg, c.mass_kg, c.cg_m, c.cp_m, c.stability_cal] {
                prop_assert!(v.is_finite());
            }
        }
    }

    /// (b) Every part lies within `[0, length]` along x, and every body profile within
    /// `[0, max(fore, aft radius)]`.
    #[test]
    fn resolved_parts_stay_in_bounds(r in rocket()) {
        let design = parse(&r);
        let resolved = geometry::resolve(&design).expect("resolve");
        let len = resolved.length_m;
        prop_assert!(len.is_finite() && len > 0.0);
        prop_assert_eq!(resolved.parts.len(), design.components.len());
        let x_ok = |x: f64| within(x, 0.0, len, len);
        for (i, p) in resolved.parts.iter().enumerate() {
            prop_assert_eq!(p.index, i);
            prop_assert!(x_ok(p.x_m), "part {} x {} outside [0, {}]", i, p.x_m, len);
            prop_assert!(p.length_m.is_finite() && p.length_m >= 0.0);
            prop_assert!(
                x_ok(p.x_m + p.length_m),
                "part {} ends at {} beyond {}", i, p.x_m + p.length_m, len
            );
            prop_assert_eq!(&p.axes, &vec![[0.0, 0.0]]);
            match &p.shape {
                PartShape::Body { profile, thickness_m, fore_shoulder, aft_shoulder } => {
                    prop_assert!(profile.len() >= 2);
                    let fore = profile[0][1];
                    let aft = profile[profile.len() - 1][1];
                    let max_r = fore.max(aft);
                    prop_assert!(max_r <= resolved.max_radius_m + TOL * max_r);
                    prop_assert!((profile[0][0] - p.x_m).abs() <= TOL * len);
                    prop_assert!(
                        (profile[profile.len() - 1][0] - (p.x_m + p.length_m)).abs() <= TOL * len
                    );
                    for w in profile.windows(2) {
                        prop_assert!(w[1][0] >= w[0][0], "profile x not increasing: {:?}", w);
                    }
                    for &[x, rad] in profile {
                        prop_assert!(
                            within(x, p.x_m, p.x_m + p.length_m, len),
                            "part {} profile x {} outside the part", i, x
                        );
                        prop_assert!(
                            within(rad, 0.0, max_r, max_r),
                            "part {} profile r {} outside [0, {}]", i, rad, max_r
                        );
                    }
                    if let Some(t) = thickness_m {
                        prop_assert!(t.is_finite() && *t >= 0.0);
                    }
                    for s in [fore_shoulder, aft_shoulder].into_iter().flatten() {
                        prop_assert!(x_ok(s.x_m) && x_ok(s.x_m + s.length_m), "shoulder {:?}", s);
                        prop_assert!(s.outer_radius_m <= max_r + TOL * max_r);
                        prop_assert!(within(s.inner_radius_m, 0.0, s.outer_radius_m, max_r));
                    }
                }
                PartShape::Fins { count, outline, body_radius_m, thickness_m, .. } => {
                    prop_assert!((1..=8).contains(count));
                    prop_assert!(body_radius_m.is_finite() && *body_radius_m >= 0.0);
                    prop_assert!(thickness_m.is_finite() && *thickness_m >= 0.0);
                    // OpenRocket draws a trapezoidal or elliptical fin over at least 0.1 mm of
                    // root (`Math.max(length, 0.0001)`), even when its root chord is shorter:
                    // such a fin may reach that far beyond the rocket's aft end.
                    let reach = p.length_m.max(MIN_FIN_OUTLINE);
                    for &[x, h] in outline {
                        prop_assert!(
                            within(x, p.x_m, p.x_m + reach, len) && within(x, 0.0, len + MIN_FIN_OUTLINE, len),
                            "part {} fin point x {} outside the fin [{}, {}] or the rocket [0, {}]",
                            i, x, p.x_m, p.x_m + reach, len
                        );
                        prop_assert!(h.is_finite());
                    }
                }
                PartShape::Tube(c) => {
                    prop_assert!(x_ok(c.x_m) && x_ok(c.x_m + c.length_m));
                    prop_assert!(within(c.inner_radius_m, 0.0, c.outer_radius_m, c.outer_radius_m));
                    prop_assert!(c.outer_radius_m.is_finite());
                }
                PartShape::Stage => {}
                other => prop_assert!(false, "unexpected shape {:?}", other),
            }
        }
    }

    /// (c) Any resolved design renders, at the configured width.
    #[test]
    fn render_succeeds_at_configured_width(r in rocket(), width in 64u32..=400, thumb in 16u32..=64) {
        let design = parse(&r);
        let resolved = geometry::resolve(&design).expect("resolve");
        let figures = geometry::figures(&design).ok();
        let config = RenderConfig {
            width_px: width,
            thumb_width_px: thumb.min(width),
            ..RenderConfig::default()
        };
        let images = render::render(&design, &resolved, figures.as_ref(), &config)
            .map_err(|e| TestCaseError::fail(format!("render: {e}")))?;
        prop_assert_eq!(images.width, width);
        prop_assert_eq!(images.thumb_width, thumb.min(width));
        prop_assert!(images.height > 0 && images.thumb_height > 0);
        prop_assert_eq!(png_size(&images.png), Some((images.width, images.height)));
        prop_assert_eq!(png_size(&images.thumb_png), Some((images.thumb_width, images.thumb_height)));
        prop_assert!(images.svg.starts_with("<svg") || images.svg.starts_with("<?xml"));
    }

    /// The nose-cone / transition radius stays within its end radii, is finite, reads the end
    /// radii at the ends and grows monotonically from the small end to the large one, for
    /// every shape and parameter OpenRocket allows, clipped or not.
    #[test]
    fn profile_radius_is_bounded_and_monotone(
        o in outline(),
        len in length(),
        r1 in prop_oneof![Just(0.0), radius_value()],
        r2 in radius_value(),
        flip in any::<bool>(),
    ) {
        let (fore, aft) = if flip { (r2, r1) } else { (r1, r2) };
        let p = Profile::new(len, fore, aft, o.shape, o.param(), o.clipped);
        let (lo, hi) = (fore.min(aft), fore.max(aft));
        let n = 200;
        let mut prev = None;
        for k in 0..=n {
            let x = len * k as f64 / n as f64;
            let rad = p.radius(x);
            prop_assert!(within(rad, 0.0, hi, hi), "r({}) = {} outside [0, {}] ({:?})", x, rad, hi, p);
            prop_assert!(within(rad, lo, hi, hi), "r({}) = {} outside [{}, {}]", x, rad, lo, hi);
            if let Some(q) = prev {
                // Non-decreasing towards the large end.
                let grows = if fore <= aft { rad >= q - TOL * hi } else { rad <= q + TOL * hi };
                prop_assert!(grows, "not monotone at x = {}: {} then {} ({:?})", x, q, rad, p);
            }
            prev = Some(rad);
        }
        prop_assert!((p.radius(len) - aft).abs() <= TOL * hi);
        prop_assert!((p.radius(0.0) - fore).abs() <= TOL * hi, "r(0) = {} vs {}", p.radius(0.0), fore);

        for s in p.sample(64) {
            prop_assert!(within(s[0], 0.0, len, len) && within(s[1], 0.0, hi, hi));
        }
        // The base shapes themselves: 0 at the tip, the base radius at the base.
        let base = shape::shape_radius(o.shape, len, r2, len, o.param());
        prop_assert!((base - r2).abs() <= 1e-6 * r2, "{:?} base {} vs {}", o.shape, base, r2);
        let tip = shape::shape_radius(o.shape, 0.0, r2, len, o.param());
        prop_assert!(tip.abs() <= 1e-6 * r2, "{:?} tip {}", o.shape, tip);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..config() })]

    /// OpenRocket's length is the bounding box of every component, fin outlines included
    /// (`RocketUtils.getLength` over `FinSet.getComponentBounds`), so a fin whose tip trails
    /// past the aft end lengthens the rocket.
    #[test]
    fn swept_fin_tips_count_in_length(
        body in log_range(0.05, 2.0),
        root_frac in 0.1..=1.0f64,
        sweep_frac in 0.5..=2.0f64,
        tip_frac in 0.0..=1.0f64,
    ) {
        let root = root_frac * body;
        let fins = FinSpec {
            shape: FinShape::Trapezoid { tip_frac, sweep_frac, height: 0.05 },
            count: 3,
            root_frac,
            thickness: 0.002,
            cant_deg: 0.0,
            fillet: 0.0,
            density: 1000.0,
        };
        let r = Rocket {
            nose_length: 0.1,
            nose_outline: Outline { shape: Shape::Ogive, param_frac: 1.0, clipped: false },
            nose_radius: Radius::Auto,
            nose_wall: Wall::Frac(0.1),
            nose_density: 1000.0,
            nose_shoulder: None,
            sections: vec![Section::Tube {
                length: body,
                radius: Radius::Fixed(0.02),
                wall: Wall::Frac(0.1),
                density: 1000.0,
                fins: vec![fins],
                inner: None,
            }],
        };
        let design = parse(&r);
        let resolved = geometry::resolve(&design).expect("resolve");
        // OpenRocket draws no tip chord shorter than 0.1 mm (the outline goes straight from
        // the leading tip to the trailing root).
        let tip = tip_frac * root;
        let tip_end = 0.1 + body - root + sweep_frac * root + if tip > MIN_CHORD { tip } else { 0.0 };
        let expected = tip_end.max(0.1 + body);
        prop_assert!(
            (resolved.length_m - expected).abs() <= 1e-9 * expected,
            "length {} vs bounding box {}", resolved.length_m, expected
        );
    }
}

/// Width and height from a PNG's IHDR.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}
