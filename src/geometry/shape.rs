//! Nose cone and transition profiles (OpenRocket's `Transition.Shape`), their clipping, and
//! the volume / CG / planform integrals OpenRocket takes over a symmetric component.
//!
//! Radii here are local: `x` runs from the component's fore end (0) to its aft end (`length`).

use crate::model::Shape;

/// Features shorter than this are ignored (OpenRocket's `Transition.MINFEATURE`).
pub const MIN_FEATURE: f64 = 0.001;
/// Number of slices OpenRocket integrates a symmetric component over.
const DIVISIONS: usize = 128;
/// Clip-length bisection precision, relative to the clip length. OpenRocket stops at an
/// absolute 0.1 mm (`CLIP_PRECISION`), which leaves a notch at the small end of small parts:
/// the radius there falls short of the end radius by up to the slope × 0.05 mm, then jumps
/// to it at the end. Bisecting to f64 resolution costs ~50 steps once per profile and moves
/// the figures of real designs by far less than their agreement with OpenRocket.
const CLIP_RELATIVE_PRECISION: f64 = 1e-13;
/// Doublings of the bracket at most: the clip length grows without bound as the end radii
/// approach each other (`1 / √(1 − r1/r2)` lengths for an ellipsoid), 2⁶⁴ lengths is plenty.
const MAX_DOUBLINGS: usize = 64;
/// Bisection steps at most (from 2⁶⁴ lengths to the precision takes under 110).
const MAX_BISECTIONS: usize = 200;

/// Whether OpenRocket lets this shape be clipped.
pub fn clippable(shape: Shape) -> bool {
    matches!(shape, Shape::Ellipsoid | Shape::Power | Shape::Haack)
}

/// Default shape parameter of a shape (used when the file has none).
pub fn default_parameter(shape: Shape) -> f64 {
    match shape {
        Shape::Ogive | Shape::Parabolic => 1.0,
        Shape::Power => 0.5,
        _ => 0.0,
    }
}

/// Parameter range of a shape.
fn parameter_range(shape: Shape) -> (f64, f64) {
    match shape {
        Shape::Haack => (0.0, 1.0 / 3.0),
        _ => (0.0, 1.0),
    }
}

fn safe_sqrt(v: f64) -> f64 {
    if v <= 0.0 {
        0.0
    } else {
        v.sqrt()
    }
}

/// Radius of the base shape at `x` (0 at the tip) for a shape of base `radius` and `length`.
pub fn shape_radius(shape: Shape, x: f64, radius: f64, length: f64, param: f64) -> f64 {
    if length <= 0.0 {
        return radius;
    }
    let x = x.clamp(0.0, length);
    match shape {
        Shape::Conical => radius * x / length,
        Shape::Ogive => {
            let (mut x, mut length) = (x, length);
            if length < radius {
                x = x * radius / length;
                length = radius;
            }
            if param < MIN_FEATURE {
                return radius * x / length;
            }
            if radius <= 0.0 {
                return 0.0;
            }
            // OpenRocket: ρ = √((L² + R²)((2 − p)²L² + p²R²) / (4p²R²)), l = L / p,
            // y₀ = √(ρ² − l²), r = √(ρ² − (l − x)²) − y₀. For a slender ogive ρ and l are huge
            // and nearly equal, and that difference loses most digits (the radius overshoots
            // R). The same, without cancellation: ρ² − l² = y₀² with
            // y₀ = |(2 − p)L² − pR²| / (2pR), and r = x(2l − x) / (√(y₀² + x(2l − x)) + y₀).
            let l = length / param;
            let y0 = ((2.0 - param) * length * length - param * radius * radius).abs()
                / (2.0 * param * radius);
            let q = (x * (2.0 * l - x)).max(0.0);
            let den = y0.hypot(q.sqrt()) + y0;
            if den > 0.0 && den.is_finite() {
                q / den
            } else {
                0.0
            }
        }
        Shape::Ellipsoid => {
            let x = x * radius / length;
            safe_sqrt(2.0 * radius * x - x * x)
        }
        Shape::Power => {
            if param <= 0.00001 {
                if x <= 0.00001 {
                    0.0
                } else {
                    radius
                }
            } else {
                radius * (x / length).powf(param)
            }
        }
        Shape::Parabolic => {
            let t = x / length;
            radius * ((2.0 * t - param * t * t) / (2.0 - param))
        }
        Shape::Haack => {
            let theta = (1.0 - 2.0 * x / length).clamp(-1.0, 1.0).acos();
            radius
                * safe_sqrt(
                    (theta - (2.0 * theta).sin() / 2.0 + param * theta.sin().powi(3))
                        / std::f64::consts::PI,
                )
        }
    }
}

/// A resolved nose cone or transition (or, with equal radii, a body tube) outline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub length: f64,
    pub fore_radius: f64,
    pub aft_radius: f64,
    pub shape: Shape,
    pub param: f64,
    pub clipped: bool,
    /// Clip length (only meaningful when `clipped`), found by bisection.
    clip_length: f64,
}

impl Profile {
    /// A cylinder (body tube).
    pub fn cylinder(length: f64, radius: f64) -> Self {
        Self::new(length, radius, radius, Shape::Conical, 0.0, false)
    }

    /// A transition; `param` is clamped to the shape's range, `clipped` honoured only for
    /// clippable shapes, as OpenRocket does.
    pub fn new(
        length: f64,
        fore_radius: f64,
        aft_radius: f64,
        shape: Shape,
        param: f64,
        clipped: bool,
    ) -> Self {
        let (lo, hi) = parameter_range(shape);
        let param = if param.is_finite() {
            param.clamp(lo, hi)
        } else {
            default_parameter(shape)
        };
        let mut p = Self {
            length,
            fore_radius,
            aft_radius,
            shape,
            param,
            clipped: clipped && clippable(shape),
            clip_length: 0.0,
        };
        if p.clipped {
            p.clip_length = p.compute_clip();
        }
        p
    }

    fn compute_clip(&self) -> f64 {
        let (r1, r2) = if self.fore_radius <= self.aft_radius {
            (self.fore_radius, self.aft_radius)
        } else {
            (self.aft_radius, self.fore_radius)
        };
        if r1 == 0.0 || self.length <= 0.0 {
            return 0.0;
        }
        let f = |c: f64| shape_radius(self.shape, c, r2, c + self.length, self.param) - r1;
        let (mut min, mut max) = (0.0, self.length);
        for _ in 0..MAX_DOUBLINGS {
            if f(max) >= 0.0 {
                break;
            }
            min = max;
            max *= 2.0;
        }
        // Bisection; bounded, since huge lengths never get within the precision in f64.
        for _ in 0..MAX_BISECTIONS {
            let c = (min + max) / 2.0;
            if max - min <= CLIP_RELATIVE_PRECISION * max || c <= min || c >= max {
                return c;
            }
            if f(c) > 0.0 {
                max = c;
            } else {
                min = c;
            }
        }
        let c = (min + max) / 2.0;
        if c.is_finite() {
            c
        } else {
            0.0
        }
    }

    /// Outer radius at local `x` (OpenRocket's `Transition.getRadius`).
    pub fn radius(&self, x: f64) -> f64 {
        if x < 0.0 {
            return self.fore_radius;
        }
        if x >= self.length {
            return self.aft_radius;
        }
        let (mut r1, mut r2, mut x) = (self.fore_radius, self.aft_radius, x);
        if r1 == r2 {
            return r1;
        }
        if r1 > r2 {
            x = self.length - x;
            std::mem::swap(&mut r1, &mut r2);
        }
        if self.clipped {
            shape_radius(
                self.shape,
                self.clip_length + x,
                r2,
                self.clip_length + self.length,
                self.param,
            )
        } else {
            r1 + shape_radius(self.shape, x, r2 - r1, self.length, self.param)
        }
    }

    /// The profile sampled as `(x, r)` points, local x, fore to aft.
    pub fn sample(&self, points: usize) -> Vec<[f64; 2]> {
        if self.fore_radius == self.aft_radius || self.length <= 0.0 {
            return vec![[0.0, self.fore_radius], [self.length, self.aft_radius]];
        }
        let n = points.max(2);
        (0..n)
            .map(|i| {
                let x = self.length * i as f64 / (n - 1) as f64;
                // The exact end radii (x = length reads the aft radius).
                [x, self.radius(x)]
            })
            .collect()
    }

    pub fn max_radius(&self) -> f64 {
        self.fore_radius.max(self.aft_radius)
    }
}

/// What OpenRocket integrates over a symmetric component (`SymmetricComponent.calculateProperties`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Integrals {
    /// Material volume (wall only unless filled), m³.
    pub volume: f64,
    /// Volume enclosed by the outer surface, m³.
    pub full_volume: f64,
    /// Local x of the material's centroid.
    pub cg_x: f64,
    /// Wetted area, m².
    pub wet_area: f64,
    /// Side-view (planform) area, m², and its local x centroid.
    pub plan_area: f64,
    pub plan_center: f64,
}

fn frustum_volume_cg(l: f64, r1: f64, r2: f64) -> (f64, f64) {
    // Volume without the π/3 factor, and the centroid from the small-x end.
    let v = l * (r1 * r1 + r1 * r2 + r2 * r2);
    let cg = if v < f64::EPSILON {
        l / 2.0
    } else {
        l * (r1 * r1 + 2.0 * r1 * r2 + 3.0 * r2 * r2) / (4.0 * (r1 * r1 + r1 * r2 + r2 * r2))
    };
    (v, cg)
}

thread_local! {
    /// Integrals computed lately on this thread, by their exact inputs. The figures integrate
    /// the same profiles many times (mass and aerodynamics, the whole rocket, each stage's
    /// stack, each configuration); a hit returns the very same numbers.
    static INTEGRALS: std::cell::RefCell<Vec<(IntegralKey, Integrals)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Entries kept in [`INTEGRALS`] (it is emptied when full).
const INTEGRALS_KEPT: usize = 128;

type IntegralKey = [u64; 9];

/// Integrates the profile in OpenRocket's 128 slices; the wall of each slice is `thickness`
/// measured perpendicular to the surface (so radially `thickness · hypot/Δx`). Remembered per
/// thread: the last 128 results, by their exact inputs.
pub fn integrate(p: &Profile, thickness: f64, filled: bool) -> Integrals {
    let key: IntegralKey = [
        p.length.to_bits(),
        p.fore_radius.to_bits(),
        p.aft_radius.to_bits(),
        p.shape as u64,
        p.param.to_bits(),
        u64::from(p.clipped),
        p.clip_length.to_bits(),
        thickness.to_bits(),
        u64::from(filled),
    ];
    let hit = INTEGRALS.with_borrow(|memo| {
        memo.iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, integrals)| integrals)
    });
    if let Some(integrals) = hit {
        return integrals;
    }
    let integrals = integrate_slices(p, thickness, filled);
    INTEGRALS.with_borrow_mut(|memo| {
        if memo.len() >= INTEGRALS_KEPT {
            memo.clear();
        }
        memo.push((key, integrals));
    });
    integrals
}

fn integrate_slices(p: &Profile, thickness: f64, filled: bool) -> Integrals {
    let mut out = Integrals::default();
    let len = p.length;
    if len < 1e-9 {
        return out;
    }
    let mut cgx = 0.0;
    let mut r_prev = p.radius(0.0);
    for n in 0..DIVISIONS {
        let x1 = n as f64 * len / DIVISIONS as f64;
        let x2 = (n + 1) as f64 * len / DIVISIONS as f64;
        let l = x2 - x1;
        // The fore radius of a slice is the aft radius of the one before (the same x).
        let r1o = r_prev;
        let r2o = p.radius(x2);
        r_prev = r2o;
        let hyp = (r2o - r1o).hypot(l);
        let height = thickness * hyp / l;
        let (r1i, r2i) = if filled {
            (0.0, 0.0)
        } else {
            ((r1o - height).max(0.0), (r2o - height).max(0.0))
        };
        let (fv, fcg) = frustum_volume_cg(l, r1o, r2o);
        let (iv, icg) = frustum_volume_cg(l, r1i, r2i);
        let dv = fv - iv;
        if dv.abs() > 0.0 {
            let dcg = (fcg * fv - icg * iv) / dv;
            cgx += dv * (x1 + dcg);
        }
        out.volume += dv;
        out.full_volume += fv;
        out.wet_area += (r1o + r2o) * ((r1o - r2o).powi(2) + l * l).sqrt();
        let da = l * (r1o + r2o);
        out.plan_area += da;
        out.plan_center += da * x1 + 2.0 * l * l * (r1o / 6.0 + r2o / 3.0);
    }
    if out.plan_area > 0.0 {
        out.plan_center /= out.plan_area;
    }
    let k = std::f64::consts::PI / 3.0;
    out.volume *= k;
    out.full_volume *= k;
    cgx *= k;
    out.wet_area *= std::f64::consts::PI;
    if out.volume < 1e-10 {
        out.volume = 0.0;
        out.cg_x = len / 2.0;
    } else {
        out.cg_x = cgx / out.volume;
    }
    out
}

/// Volume of a ring (or solid cylinder when `inner` is 0).
pub fn ring_volume(outer: f64, inner: f64, length: f64) -> f64 {
    std::f64::consts::PI * (outer * outer - inner * inner).max(0.0) * length.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    /// `(shape, param, fore, aft, length, expected full volume)`.
    fn check_volume(case: (Shape, f64, f64, f64, f64, f64)) {
        let (shape, param, r1, r2, l, expected) = case;
        let p = Profile::new(l, r1, r2, shape, param, false);
        let got = integrate(&p, 0.0, true).full_volume;
        assert!(
            close(got, expected, 2e-3),
            "{shape:?} p={param}: got {got}, expected {expected}"
        );
    }

    #[test]
    fn full_volumes() {
        let cases = [
            // cone: π r² L / 3
            (
                Shape::Conical,
                0.0,
                0.0,
                0.05,
                0.3,
                PI * 0.05f64.powi(2) * 0.3 / 3.0,
            ),
            // cylinder-like transition with equal radii: π r² L
            (
                Shape::Conical,
                0.0,
                0.02,
                0.02,
                0.1,
                PI * 0.02f64.powi(2) * 0.1,
            ),
            // frustum: π L (r1² + r1 r2 + r2²)/3
            (
                Shape::Conical,
                0.0,
                0.02,
                0.04,
                0.1,
                PI * 0.1 * (0.0004 + 0.0008 + 0.0016) / 3.0,
            ),
            // ellipsoid (half prolate spheroid): 2/3 π r² L
            (
                Shape::Ellipsoid,
                0.0,
                0.0,
                0.05,
                0.2,
                2.0 / 3.0 * PI * 0.0025 * 0.2,
            ),
            // full parabola (K=1, r = R(2t − t²)): π r² L · 8/15
            (
                Shape::Parabolic,
                1.0,
                0.0,
                0.05,
                0.25,
                PI * 0.0025 * 0.25 * 8.0 / 15.0,
            ),
            // power 1/2 (paraboloid): π r² L / 2
            (Shape::Power, 0.5, 0.0, 0.05, 0.25, PI * 0.0025 * 0.25 / 2.0),
            // Von Kármán (Haack C=0): π r² L / 2
            (Shape::Haack, 0.0, 0.0, 0.05, 0.25, PI * 0.0025 * 0.25 / 2.0),
        ];
        for c in cases {
            check_volume(c);
        }
    }

    #[test]
    fn tangent_ogive_volume() {
        // Tangent ogive, R = 0.05, L = 0.25: volume by direct numeric integration of the
        // closed-form profile with rho = (R² + L²)/(2R).
        let (r, l) = (0.05f64, 0.25f64);
        let rho = (r * r + l * l) / (2.0 * r);
        let n = 20000;
        let mut v = 0.0;
        for i in 0..n {
            let x = (i as f64 + 0.5) * l / n as f64;
            let y = (rho * rho - (l - x).powi(2)).sqrt() + r - rho;
            v += PI * y * y * l / n as f64;
        }
        check_volume((Shape::Ogive, 1.0, 0.0, r, l, v));
    }

    #[test]
    fn hollow_cylinder_and_cg() {
        // Thin-walled tube: volume π (R² − r²) L, CG at L/2.
        let p = Profile::cylinder(0.3, 0.02);
        let i = integrate(&p, 0.001, false);
        assert!(close(
            i.volume,
            PI * (0.0004 - 0.019f64.powi(2)) * 0.3,
            1e-9
        ));
        assert!(close(i.cg_x, 0.15, 1e-9));
        // Solid cone: CG at 3/4 L from the tip.
        let c = Profile::new(0.2, 0.0, 0.05, Shape::Conical, 0.0, false);
        assert!(close(integrate(&c, 0.0, true).cg_x, 0.15, 1e-3));
    }

    /// Found by `tests/geometry_props.rs`: OpenRocket's ogive formula subtracts two huge,
    /// nearly equal terms for a slender ogive, and the radius overshot its base.
    #[test]
    fn slender_ogive_stays_within_its_base() {
        let (l, r) = (6.071511700989104, 0.0001481002601919132);
        let p = Profile::new(l, 0.0, r, Shape::Ogive, 0.7061229840679353, false);
        let mut prev = 0.0;
        for k in 0..=200 {
            let x = l * k as f64 / 200.0;
            let y = p.radius(x);
            assert!(y <= r * (1.0 + 1e-12) && y >= prev, "r({x}) = {y}");
            prev = y;
        }
    }

    /// Found by `tests/geometry_props.rs`: with OpenRocket's absolute 0.1 mm clip precision a
    /// sub-millimetre clipped transition dipped below its small radius, then jumped to it.
    #[test]
    fn small_clipped_transition_is_monotone() {
        let (r_big, r_small) = (0.003302729277148839, 0.0010174258688405047);
        let l = 0.0008300220781307496;
        let p = Profile::new(l, r_big, r_small, Shape::Ellipsoid, 0.0, true);
        let mut prev = f64::INFINITY;
        for k in 0..=200 {
            let y = p.radius(l * k as f64 / 200.0);
            assert!(
                y <= prev * (1.0 + 1e-12) && y >= r_small * (1.0 - 1e-9),
                "{k}: {y}"
            );
            prev = y;
        }
    }

    #[test]
    fn radius_ends_and_flip() {
        for shape in [
            Shape::Conical,
            Shape::Ogive,
            Shape::Ellipsoid,
            Shape::Power,
            Shape::Parabolic,
            Shape::Haack,
        ] {
            let p = Profile::new(0.1, 0.01, 0.03, shape, default_parameter(shape), false);
            assert!(close(p.radius(0.0), 0.01, 1e-6), "{shape:?}");
            assert!(close(p.radius(0.1), 0.03, 1e-6), "{shape:?}");
            // A reversed transition mirrors the profile.
            let q = Profile::new(0.1, 0.03, 0.01, shape, default_parameter(shape), false);
            assert!(close(q.radius(0.03), p.radius(0.07), 1e-9), "{shape:?}");
            // Clipped: same end radii.
            let c = Profile::new(0.1, 0.01, 0.03, shape, default_parameter(shape), true);
            assert!(close(c.radius(0.0), 0.01, 2e-2), "{shape:?} clipped");
        }
    }
}
