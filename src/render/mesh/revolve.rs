//! Surfaces of revolution: outlines sampled adaptively to a tolerance, and meridians turned
//! about an axis into rings of vertices with smooth normals (creases where the meridian bends
//! sharply, such as where a side meets an end cap).
//!
//! A meridian is a polyline of `(s, ρ)` points: `s` along the axis, `ρ ≥ 0` from it. Its
//! normal is `(−dρ, ds)` turned about the axis, so a meridian that runs aft with ρ > 0 faces
//! away from the axis, and one that runs fore (the inside of a tube) faces towards it.
//! Points at ρ = 0 close the surface (a tip, or the centre of an end cap).

use super::buffer::{cross, unit_or, Buffer, V3};

/// Smooth normals across a meridian bend up to this angle (cos of 35°); sharper bends crease.
const SMOOTH_COS: f64 = 0.819;
/// Uniform probes per segment when testing an outline segment against the tolerance.
const PROBES: usize = 8;
/// Halvings of a segment at most.
const MAX_DEPTH: u32 = 18;
/// Points of one sampled outline at most.
const MAX_POINTS: usize = 4096;

/// An orthonormal, right-handed frame for a revolution: origin `o`, axis `a`, and `u` the
/// direction of angle 0 (`v = a × u` is angle 90°).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Frame {
    pub o: V3,
    pub a: V3,
    pub u: V3,
}

impl Frame {
    /// The rocket's own axis direction (x aft) through `[y, z]`, angle 0 towards +y.
    pub fn along_x(axis: [f64; 2]) -> Frame {
        Frame {
            o: [0.0, axis[0], axis[1]],
            a: [1.0, 0.0, 0.0],
            u: [0.0, 1.0, 0.0],
        }
    }

    fn v(&self) -> V3 {
        cross(self.a, self.u)
    }
}

/// Number of segments around a circle of `radius` whose chords stay within `tol` of it: a
/// multiple of 4 (so the circle's extreme points along `u` and `v` are vertices and the side
/// silhouette is exact), within `min ..= max`.
pub(super) fn segments(radius: f64, tol: f64, min: usize, max: usize) -> usize {
    let round4 = |n: usize| n.div_ceil(4).max(1) * 4;
    let (min, max) = (round4(min), round4(max.max(min)));
    if !(radius.is_finite() && tol.is_finite() && tol > 0.0) || radius <= tol {
        return min;
    }
    let half_angle = (1.0 - tol / radius).clamp(-1.0, 1.0).acos();
    if half_angle <= 0.0 {
        return max;
    }
    let n = (std::f64::consts::PI / half_angle).ceil();
    if n >= max as f64 {
        max
    } else {
        round4(n as usize).clamp(min, max)
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn distance_to_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

/// The outline `ρ = f(s)` on `[s0, s1]` as a polyline within `tol` of it: a segment is halved
/// while any of its probes lies farther than `tol` from its chord. Non-finite radii read as 0.
pub(super) fn sample(f: &dyn Fn(f64) -> f64, s0: f64, s1: f64, tol: f64) -> Vec<[f64; 2]> {
    let g = |s: f64| {
        let r = f(s);
        if r.is_finite() {
            r.abs()
        } else {
            0.0
        }
    };
    let a = [s0, g(s0)];
    let b = [s1, g(s1)];
    let mut out = vec![a];
    if s1.is_nan() || s0.is_nan() || s1 <= s0 || tol.is_nan() || tol <= 0.0 {
        out.push(b);
        return out;
    }
    refine(&g, a, b, tol, 0, &mut out);
    out
}

fn refine(
    f: &dyn Fn(f64) -> f64,
    a: [f64; 2],
    b: [f64; 2],
    tol: f64,
    depth: u32,
    out: &mut Vec<[f64; 2]>,
) {
    let far = depth < MAX_DEPTH
        && out.len() < MAX_POINTS
        && (1..PROBES).any(|k| {
            let s = a[0] + (b[0] - a[0]) * k as f64 / PROBES as f64;
            distance_to_segment([s, f(s)], a, b) > tol
        });
    if far {
        let s = (a[0] + b[0]) / 2.0;
        let m = [s, f(s)];
        refine(f, a, m, tol, depth + 1, out);
        refine(f, m, b, tol, depth + 1, out);
    } else {
        out.push(b);
    }
}

/// Outward normal `(n_s, n_ρ)` of a meridian segment, `None` when it has no length.
fn segment_normal(a: [f64; 2], b: [f64; 2]) -> Option<[f64; 2]> {
    let (ds, dr) = (b[0] - a[0], b[1] - a[1]);
    let len = ds.hypot(dr);
    (len.is_finite() && len > 1e-15).then(|| [-dr / len, ds / len])
}

/// Turns `meridian` about `frame` with `n` segments (n ≥ 3) into `buf`. Repeated points and
/// non-finite ones are dropped; ρ is taken as |ρ|.
pub(super) fn revolve(buf: &mut Buffer, frame: &Frame, meridian: &[[f64; 2]], n: usize) {
    let mut pts: Vec<[f64; 2]> = Vec::with_capacity(meridian.len());
    for p in meridian {
        let q = [p[0], p[1].abs()];
        if !(q[0].is_finite() && q[1].is_finite()) {
            continue;
        }
        if pts.last().is_some_and(|l: &[f64; 2]| {
            (l[0] - q[0]).abs() <= 1e-15 && (l[1] - q[1]).abs() <= 1e-15
        }) {
            continue;
        }
        pts.push(q);
    }
    if pts.len() < 2 || n < 3 {
        return;
    }
    let normals: Vec<Option<[f64; 2]>> =
        pts.windows(2).map(|w| segment_normal(w[0], w[1])).collect();
    let v = frame.v();
    let dirs: Vec<V3> = (0..n)
        .map(|k| {
            let (s, c) = (std::f64::consts::TAU * k as f64 / n as f64).sin_cos();
            [
                frame.u[0] * c + v[0] * s,
                frame.u[1] * c + v[1] * s,
                frame.u[2] * c + v[2] * s,
            ]
        })
        .collect();
    let ring = |buf: &mut Buffer, p: [f64; 2], nrm: [f64; 2]| -> u32 {
        let first = buf.pos.len();
        for d in &dirs {
            let pos = [
                frame.o[0] + frame.a[0] * p[0] + d[0] * p[1],
                frame.o[1] + frame.a[1] * p[0] + d[1] * p[1],
                frame.o[2] + frame.a[2] * p[0] + d[2] * p[1],
            ];
            let nv = [
                frame.a[0] * nrm[0] + d[0] * nrm[1],
                frame.a[1] * nrm[0] + d[1] * nrm[1],
                frame.a[2] * nrm[0] + d[2] * nrm[1],
            ];
            buf.vertex(pos, unit_or(nv, *d));
        }
        u32::try_from(first).unwrap_or(u32::MAX)
    };
    // `start` is the ring that segment i leaves from; a crease at point i + 1 gives the next
    // segment a ring of its own.
    let mut start: Option<u32> = None;
    for (i, seg) in normals.iter().enumerate() {
        let Some(ns) = *seg else { continue };
        let a = match start {
            Some(r) => r,
            None => ring(buf, pts[i], ns),
        };
        // The normal at the far end: averaged with the next segment's unless it bends sharply.
        let next = normals.get(i + 1).copied().flatten();
        let (end_normal, shared) = match next {
            Some(nn) if ns[0] * nn[0] + ns[1] * nn[1] >= SMOOTH_COS => {
                let (x, y) = (ns[0] + nn[0], ns[1] + nn[1]);
                let l = x.hypot(y);
                if l > 1e-12 {
                    ([x / l, y / l], true)
                } else {
                    (ns, false)
                }
            }
            _ => (ns, false),
        };
        let b = ring(buf, pts[i + 1], end_normal);
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        for k in 0..n32 {
            let k1 = (k + 1) % n32;
            buf.triangle(a + k, a + k1, b + k);
            buf.triangle(a + k1, b + k1, b + k);
        }
        start = shared.then_some(b);
    }
}

/// The meridian of a solid cylinder from `s0` to `s1`, closed at both ends.
pub(super) fn solid_cylinder(s0: f64, s1: f64, r: f64) -> Vec<[f64; 2]> {
    vec![[s0, 0.0], [s0, r], [s1, r], [s1, 0.0]]
}

/// The meridian of a tube from `s0` to `s1` (outer `ro`, inner `ri`), closed by annular end
/// faces; solid when `ri` is 0 or not below `ro`.
pub(super) fn tube(s0: f64, s1: f64, ro: f64, ri: f64) -> Vec<[f64; 2]> {
    if ri > 0.0 && ri < ro {
        vec![[s0, ri], [s0, ro], [s1, ro], [s1, ri], [s0, ri]]
    } else {
        solid_cylinder(s0, s1, ro)
    }
}

#[cfg(test)]
mod tests {
    use super::super::buffer::tests::{check, volume};
    use super::*;
    use crate::geometry::shape::Profile;
    use crate::model::Shape;
    use std::f64::consts::PI;

    #[test]
    fn segment_counts() {
        // (radius, tolerance, expected)
        for (r, tol, want) in [
            (0.0, 1e-4, 16),
            (1e-5, 1e-4, 16),
            (0.025, 1e-4, 36),
            (0.1, 1e-4, 72),
            (10.0, 1e-4, 256),
            (f64::NAN, 1e-4, 16),
            (0.1, f64::NAN, 16),
        ] {
            let n = segments(r, tol, 16, 256);
            assert_eq!(n, want, "r = {r}, tol = {tol}");
            assert_eq!(n % 4, 0);
            if r.is_finite() && r > tol && n < 256 {
                let sagitta = r * (1.0 - (PI / n as f64).cos());
                assert!(sagitta <= tol, "r = {r}: sagitta {sagitta}");
            }
        }
    }

    /// Every nose cone shape OpenRocket writes, sampled to 0.1 mm: checked against the exact
    /// shape at 4000 points.
    #[test]
    fn outlines_stay_within_the_tolerance() {
        let tol = 1e-4;
        // (shape, parameter, length, fore radius, aft radius, clipped)
        let cases = [
            (Shape::Conical, 0.0, 0.3, 0.0, 0.05, false),
            (Shape::Ogive, 1.0, 0.4, 0.0, 0.05, false),
            (Shape::Ogive, 0.3, 0.2, 0.0, 0.1, false),
            (Shape::Ellipsoid, 0.0, 0.15, 0.0, 0.05, false),
            (Shape::Power, 0.5, 0.3, 0.0, 0.05, false),
            (Shape::Power, 0.1, 0.3, 0.0, 0.05, false),
            (Shape::Parabolic, 0.5, 0.3, 0.0, 0.05, false),
            (Shape::Parabolic, 1.0, 0.3, 0.0, 0.05, false),
            (Shape::Haack, 0.0, 0.4, 0.0, 0.08, false),
            (Shape::Haack, 1.0 / 3.0, 0.4, 0.0, 0.08, false),
            (Shape::Ogive, 1.0, 0.1, 0.03, 0.05, false),
            (Shape::Ellipsoid, 0.0, 0.1, 0.05, 0.03, true),
            (Shape::Haack, 0.0, 0.1, 0.02, 0.04, true),
            (Shape::Power, 0.5, 0.2, 0.04, 0.02, true),
        ];
        for (shape, param, len, r1, r2, clipped) in cases {
            let p = Profile::new(len, r1, r2, shape, param, clipped);
            let f = |s: f64| p.radius(s);
            let pts = sample(&f, 0.0, len, tol);
            assert!(pts.len() < 400, "{shape:?}: {} points", pts.len());
            for k in 0..=4000 {
                let s = len * k as f64 / 4000.0;
                let q = [s, p.radius(s)];
                let d = pts
                    .windows(2)
                    .map(|w| distance_to_segment(q, w[0], w[1]))
                    .fold(f64::INFINITY, f64::min);
                assert!(d <= tol * 1.01, "{shape:?} p = {param}: {d} at s = {s}");
            }
        }
    }

    #[test]
    fn straight_outlines_are_one_segment() {
        let f = |s: f64| 0.01 + 0.1 * s;
        assert_eq!(sample(&f, 0.0, 1.0, 1e-4).len(), 2);
        let f = |_s: f64| f64::NAN;
        assert_eq!(sample(&f, 0.0, 1.0, 1e-4), vec![[0.0, 0.0], [1.0, 0.0]]);
        assert_eq!(sample(&f, 1.0, 0.0, 1e-4).len(), 2);
    }

    /// Closed solids: they face outwards, their volume is the exact one up to the polygon.
    #[test]
    fn solids_of_revolution() {
        let n = 64;
        let polygon = n as f64 / (2.0 * PI) * (2.0 * PI / n as f64).sin();
        // (meridian, exact volume)
        let cases: Vec<(Vec<[f64; 2]>, f64)> = vec![
            (solid_cylinder(0.0, 2.0, 0.5), PI * 0.25 * 2.0),
            (tube(0.0, 1.0, 0.5, 0.3), PI * (0.25 - 0.09)),
            (tube(0.0, 1.0, 0.5, 0.6), PI * 0.25),
            // A cone tip first, then the base.
            (vec![[0.0, 0.0], [3.0, 1.0], [3.0, 0.0]], PI * 3.0 / 3.0),
        ];
        for (m, exact) in cases {
            for frame in [
                Frame::along_x([0.0, 0.0]),
                Frame::along_x([0.3, -0.2]),
                Frame {
                    o: [1.0, 2.0, 3.0],
                    a: [0.0, 0.6, 0.8],
                    u: [1.0, 0.0, 0.0],
                },
            ] {
                let mut b = Buffer::default();
                revolve(&mut b, &frame, &m, n);
                check(&b).unwrap_or_else(|e| panic!("{m:?}: {e}"));
                let v = volume(&b);
                assert!(
                    (v - exact * polygon).abs() < 1e-9,
                    "{m:?}: {v} vs {}",
                    exact * polygon
                );
            }
        }
    }

    #[test]
    fn odd_meridians_never_panic() {
        for m in [
            vec![],
            vec![[0.0, 1.0]],
            vec![[0.0, 1.0], [0.0, 1.0]],
            vec![[f64::NAN, 1.0], [1.0, f64::INFINITY]],
            vec![[0.0, 0.0], [1.0, 0.0]],
        ] {
            let mut b = Buffer::default();
            revolve(&mut b, &Frame::along_x([0.0, 0.0]), &m, 16);
            check(&b).unwrap();
        }
    }
}
