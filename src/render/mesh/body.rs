//! Nose cones, transitions and body tubes (with their shoulders) as closed surfaces of
//! revolution, and the body surface under fins and buttons.
//!
//! The exact outline of a nose cone or transition is rebuilt from the resolved part (its end
//! radii) and the model (shape, parameter, clipping), exactly as the geometry resolves it, and
//! checked against the resolved profile points; where they disagree the resolved polyline is
//! used as it is.

use super::buffer::Buffer;
use super::revolve::{revolve, sample, segments, solid_cylinder, Frame};
use crate::geometry::shape::{self, Profile};
use crate::geometry::{Cylinder, Part, PartShape, Resolved};
use crate::model::{Design, Geometry, Shape};

/// How finely to build: the tolerances of one attempt at the triangle budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Fineness {
    /// Largest distance of a sampled outline from the exact one, metres.
    pub outline_m: f64,
    /// Largest chord sagitta around a circle, metres.
    pub round_m: f64,
    /// Segments around a body, at least / at most.
    pub min_segments: usize,
    pub max_segments: usize,
    /// Points along each side of an airfoil section.
    pub airfoil_points: usize,
    /// A part stops adding instances once it has more triangles than this (the attempt is
    /// over the budget anyway): work and memory stay bounded whatever the instance counts.
    pub max_triangles: usize,
}

/// Most instances of one thing (axes of a part, fins of a set, lugs…), as the profile drawing.
pub(super) const MAX_INSTANCES: usize = 64;

/// The outline of one body part, absolute x.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Outline {
    /// The exact shape; local x = absolute x − `x0`.
    Exact { profile: Profile, x0: f64 },
    /// The resolved polyline `(x absolute, r)`.
    Polyline(Vec<[f64; 2]>),
}

impl Outline {
    /// Radius at absolute `x` (clamped to the part).
    pub fn radius(&self, x: f64) -> f64 {
        match self {
            Outline::Exact { profile, x0 } => profile.radius(x - x0),
            Outline::Polyline(p) => polyline_radius(p, x),
        }
    }
}

fn polyline_radius(p: &[[f64; 2]], x: f64) -> f64 {
    let (Some(first), Some(last)) = (p.first(), p.last()) else {
        return 0.0;
    };
    if x <= first[0] {
        return first[1];
    }
    for w in p.windows(2) {
        if x <= w[1][0] {
            let dx = w[1][0] - w[0][0];
            return if dx > 0.0 {
                w[0][1] + (w[1][1] - w[0][1]) * (x - w[0][0]) / dx
            } else {
                w[1][1]
            };
        }
    }
    last[1]
}

/// One body part: its span, outline and instance axes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Body {
    pub index: usize,
    pub x0: f64,
    pub x1: f64,
    pub outline: Outline,
    pub axes: Vec<[f64; 2]>,
    pub shoulders: Vec<Cylinder>,
}

/// Every body part of a design with finite geometry.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Bodies {
    pub list: Vec<Body>,
}

fn finite2(p: &[f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite()
}

/// The instance axes the drawing draws: finite ones, at most [`MAX_INSTANCES`].
pub(super) fn axes(part: &Part) -> Vec<[f64; 2]> {
    part.axes
        .iter()
        .copied()
        .filter(finite2)
        .take(MAX_INSTANCES)
        .collect()
}

/// The exact outline of a body part, when the model's shape gives back the resolved points.
fn exact(design: &Design, part: &Part, profile: &[[f64; 2]]) -> Option<Outline> {
    let (first, last) = (profile.first()?, profile.last()?);
    let x0 = part.x_m;
    let p = match &design.components.get(part.index)?.geometry {
        Geometry::BodyTube(_) => Profile::cylinder(part.length_m, first[1]),
        Geometry::NoseCone(t) | Geometry::Transition(t) => {
            let sh = t.shape.unwrap_or(Shape::Conical);
            let param = t
                .shape_parameter
                .unwrap_or_else(|| shape::default_parameter(sh));
            let clipped = t.shape_clipped.unwrap_or(shape::clippable(sh));
            Profile::new(part.length_m, first[1], last[1], sh, param, clipped)
        }
        _ => return None,
    };
    let agrees = profile.iter().all(|q| {
        let r = p.radius(q[0] - x0);
        (r - q[1]).abs() <= 1e-9 + 1e-9 * q[1].abs()
    });
    agrees.then_some(Outline::Exact { profile: p, x0 })
}

impl Bodies {
    pub fn new(design: &Design, resolved: &Resolved) -> Bodies {
        let mut list = Vec::new();
        for part in &resolved.parts {
            let PartShape::Body {
                profile,
                fore_shoulder,
                aft_shoulder,
                ..
            } = &part.shape
            else {
                continue;
            };
            let pts: Vec<[f64; 2]> = profile
                .iter()
                .filter(|p| finite2(p))
                .map(|p| [p[0], p[1].abs()])
                .collect();
            let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
                continue;
            };
            let (x0, x1) = (first[0], last[0]);
            if x1 < x0 {
                continue;
            }
            let outline = exact(design, part, &pts).unwrap_or(Outline::Polyline(pts.clone()));
            let shoulders = [fore_shoulder, aft_shoulder]
                .into_iter()
                .flatten()
                .filter(|c| {
                    c.x_m.is_finite()
                        && c.length_m.is_finite()
                        && c.length_m > 0.0
                        && c.outer_radius_m.is_finite()
                        && c.outer_radius_m > 0.0
                })
                .copied()
                .collect();
            list.push(Body {
                index: part.index,
                x0,
                x1,
                outline,
                axes: axes(part),
                shoulders,
            });
        }
        Bodies { list }
    }

    /// Whether a shoulder of body `index` lies inside another body part on `axis` (hidden).
    fn covered(&self, index: usize, c: &Cylinder, axis: [f64; 2]) -> bool {
        let (x0, x1) = (c.x_m, c.x_m + c.length_m);
        let same = |a: &[f64; 2]| (a[0] - axis[0]).abs() < 1e-9 && (a[1] - axis[1]).abs() < 1e-9;
        let inside = |x: f64| {
            self.list.iter().any(|b| {
                b.index != index
                    && x >= b.x0
                    && x <= b.x1
                    && b.axes.iter().any(same)
                    && b.outline.radius(x) >= c.outer_radius_m
            })
        };
        // Body outlines are monotonic between their ends, so both ends (just inside) and the
        // middle tell.
        let eps = (x1 - x0) * 1e-6;
        inside(x0 + eps) && inside((x0 + x1) / 2.0) && inside(x1 - eps)
    }

    /// The closed surface of body `b` on every instance axis, shoulders that show included.
    pub fn mesh(&self, b: &Body, f: &Fineness) -> Buffer {
        let mut buf = Buffer::default();
        let mut meridian = vec![[b.x0, 0.0]];
        let max_r = match &b.outline {
            Outline::Exact { profile, x0 } => {
                let g = |x: f64| profile.radius(x - x0);
                meridian.extend(sample(&g, b.x0, b.x1, f.outline_m));
                profile.max_radius()
            }
            Outline::Polyline(p) => {
                meridian.extend_from_slice(p);
                p.iter().map(|q| q[1]).fold(0.0, f64::max)
            }
        };
        meridian.push([b.x1, 0.0]);
        let n = segments(max_r, f.round_m, f.min_segments, f.max_segments);
        for &axis in &b.axes {
            if buf.triangles() > f.max_triangles {
                break;
            }
            revolve(&mut buf, &Frame::along_x(axis), &meridian, n);
            for c in &b.shoulders {
                if self.covered(b.index, c, axis) {
                    continue;
                }
                let r = c.outer_radius_m;
                let n = segments(r, f.round_m, f.min_segments, f.max_segments);
                let m = solid_cylinder(c.x_m, c.x_m + c.length_m, r);
                revolve(&mut buf, &Frame::along_x(axis), &m, n);
            }
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polyline_radii() {
        let p = [[0.0, 0.0], [1.0, 1.0], [1.0, 2.0], [3.0, 2.0]];
        // (x, expected)
        for (x, r) in [(-1.0, 0.0), (0.5, 0.5), (1.0, 1.0), (2.0, 2.0), (9.0, 2.0)] {
            assert_eq!(polyline_radius(&p, x), r, "x = {x}");
        }
        assert_eq!(polyline_radius(&[], 1.0), 0.0);
    }
}
