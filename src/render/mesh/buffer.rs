//! The triangle list of one component while it is built: positions and normals in f64, in
//! OpenRocket's frame (x aft of the nose tip, y and z radial, metres), indices as `u32`, and
//! the small vector helpers the builders share.
//!
//! Every normal that goes in is unit length (degenerate ones are replaced by a fallback), and
//! triangles of (near) zero area are never stored: they carry no surface, and no normal can be
//! derived from them.

/// A point or direction in OpenRocket's frame.
pub(super) type V3 = [f64; 3];

/// Twice the area (|cross product|, m²) under which a triangle counts as degenerate.
const MIN_DOUBLE_AREA: f64 = 1e-20;
/// … and relative to its longest edge squared: slivers left by rounding have no direction.
const MIN_SLIVER: f64 = 1e-10;

pub(super) fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub(super) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(super) fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

pub(super) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(super) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(super) fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// `a` scaled to unit length, or `None` when it has no direction (zero, tiny or not finite).
pub(super) fn unit(a: V3) -> Option<V3> {
    let n = norm(a);
    (n.is_finite() && n > 1e-300).then(|| scale(a, 1.0 / n))
}

/// `a` scaled to unit length, or `fallback` (itself made unit, else +x).
pub(super) fn unit_or(a: V3, fallback: V3) -> V3 {
    unit(a)
        .or_else(|| unit(fallback))
        .unwrap_or([1.0, 0.0, 0.0])
}

/// A vertex and index list being built.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Buffer {
    pub pos: Vec<V3>,
    pub nrm: Vec<V3>,
    pub idx: Vec<u32>,
}

impl Buffer {
    /// Adds a vertex; the normal is made unit length (`fallback` when it has no direction).
    pub fn vertex(&mut self, p: V3, n: V3) -> u32 {
        let i = u32::try_from(self.pos.len()).unwrap_or(u32::MAX);
        self.pos.push(p);
        self.nrm.push(unit_or(n, [1.0, 0.0, 0.0]));
        i
    }

    /// Adds a triangle (counter-clockwise seen from outside) unless it is degenerate.
    pub fn triangle(&mut self, a: u32, b: u32, c: u32) {
        if a == b || b == c || a == c {
            return;
        }
        let (Some(&pa), Some(&pb), Some(&pc)) = (
            self.pos.get(a as usize),
            self.pos.get(b as usize),
            self.pos.get(c as usize),
        ) else {
            return;
        };
        let (ab, ac, bc) = (sub(pb, pa), sub(pc, pa), sub(pc, pb));
        let area = norm(cross(ab, ac));
        let longest = dot(ab, ab).max(dot(ac, ac)).max(dot(bc, bc));
        if !(area > MIN_DOUBLE_AREA && area > MIN_SLIVER * longest) {
            return;
        }
        self.idx.extend_from_slice(&[a, b, c]);
    }

    pub fn triangles(&self) -> usize {
        self.idx.len() / 3
    }

    /// A planar, convex polygon as a fan with one flat normal; `pts` counter-clockwise seen
    /// from the side `normal` points to.
    pub fn fan(&mut self, pts: &[V3], normal: V3) {
        if pts.len() < 3 {
            return;
        }
        let first = self.pos.len();
        for &p in pts {
            self.vertex(p, normal);
        }
        let at = |k: usize| u32::try_from(first + k).unwrap_or(u32::MAX);
        for k in 1..pts.len() - 1 {
            self.triangle(at(0), at(k), at(k + 1));
        }
    }

    /// The band between two closed loops of the same length (`lower` and `upper`, each
    /// counter-clockwise seen from below `lower`, i.e. from the side away from `upper`).
    ///
    /// `smooth[k]` is the section's own outward normal at column `k` (smooth surface there):
    /// it is made perpendicular to the column's edge `lower[k] → upper[k]`. `None` marks a
    /// crease: the faces on either side of the column keep their own flat normals.
    pub fn loop_strip(&mut self, lower: &[V3], upper: &[V3], smooth: &[Option<V3>]) {
        let k_len = lower.len();
        if k_len < 2 || upper.len() != k_len || smooth.len() != k_len {
            return;
        }
        let next = |k: usize| (k + 1) % k_len;
        // Outward flat normal of each quad k (columns k and k + 1).
        let flat: Vec<Option<V3>> = (0..k_len)
            .map(|k| {
                let (l0, l1, u0, u1) = (lower[k], lower[next(k)], upper[k], upper[next(k)]);
                unit(cross(sub(u0, l1), sub(u1, l0)))
            })
            .collect();
        // Vertices of column k: (left pair for quad k − 1, right pair for quad k).
        let mut cols: Vec<([u32; 2], [u32; 2])> = Vec::with_capacity(k_len);
        for k in 0..k_len {
            let prev = (k + k_len - 1) % k_len;
            let fallback = match (flat[prev], flat[k]) {
                (Some(a), Some(b)) => unit(add(a, b)).unwrap_or(a),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => [1.0, 0.0, 0.0],
            };
            match smooth[k] {
                Some(n) => {
                    let edge = unit(sub(upper[k], lower[k]));
                    let n = match edge {
                        Some(e) => sub(n, scale(e, dot(n, e))),
                        None => n,
                    };
                    let n = unit_or(n, fallback);
                    let pair = [self.vertex(lower[k], n), self.vertex(upper[k], n)];
                    cols.push((pair, pair));
                }
                None => {
                    let left = flat[prev].unwrap_or(fallback);
                    let right = flat[k].unwrap_or(fallback);
                    let a = [self.vertex(lower[k], left), self.vertex(upper[k], left)];
                    let b = [self.vertex(lower[k], right), self.vertex(upper[k], right)];
                    cols.push((a, b));
                }
            }
        }
        for k in 0..k_len {
            let [l0, u0] = cols[k].1;
            let [l1, u1] = cols[next(k)].0;
            self.triangle(l0, u1, l1);
            self.triangle(l0, u0, u1);
        }
    }
}

/// Newell's normal of a closed polygon (the direction it winds counter-clockwise about),
/// not normalised.
pub(super) fn newell(pts: &[V3]) -> V3 {
    let mut n = [0.0; 3];
    for (i, &a) in pts.iter().enumerate() {
        let b = pts[(i + 1) % pts.len()];
        n[0] += (a[1] - b[1]) * (a[2] + b[2]);
        n[1] += (a[2] - b[2]) * (a[0] + b[0]);
        n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    }
    n
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Fine sampling and no triangle budget to speak of: what the builders' tests mesh with.
    pub fn fine() -> super::super::body::Fineness {
        super::super::body::Fineness {
            outline_m: 1e-4,
            round_m: 1e-4,
            min_segments: 16,
            max_segments: 256,
            airfoil_points: 12,
            max_triangles: 1_000_000,
        }
    }

    /// Every stored triangle winds counter-clockwise about the normals of its vertices, every
    /// normal is unit length, every index in range: the checks each builder's tests run.
    pub fn check(buf: &Buffer) -> Result<(), String> {
        if buf.pos.len() != buf.nrm.len() {
            return Err("positions and normals differ in count".into());
        }
        for (i, n) in buf.nrm.iter().enumerate() {
            if (norm(*n) - 1.0).abs() > 1e-9 {
                return Err(format!("normal {i} has length {}", norm(*n)));
            }
            if !buf.pos[i].iter().all(|v| v.is_finite()) {
                return Err(format!("position {i} is not finite"));
            }
        }
        for t in buf.idx.chunks(3) {
            if t.iter().any(|&i| i as usize >= buf.pos.len()) {
                return Err(format!("index out of range in {t:?}"));
            }
            let [a, b, c] = [t[0], t[1], t[2]].map(|i| i as usize);
            let face = cross(sub(buf.pos[b], buf.pos[a]), sub(buf.pos[c], buf.pos[a]));
            let avg = add(add(buf.nrm[a], buf.nrm[b]), buf.nrm[c]);
            if dot(face, avg) <= 0.0 {
                return Err(format!(
                    "triangle {t:?} winds against its normals: face {face:?}, normals {:?} {:?} {:?}",
                    buf.nrm[a], buf.nrm[b], buf.nrm[c]
                ));
            }
        }
        Ok(())
    }

    /// Signed volume enclosed by the triangles (positive when they face outwards).
    pub fn volume(buf: &Buffer) -> f64 {
        buf.idx
            .chunks(3)
            .map(|t| {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| buf.pos[i as usize]);
                dot(a, cross(b, c)) / 6.0
            })
            .sum()
    }

    #[test]
    fn degenerate_triangles_are_dropped() {
        let mut b = Buffer::default();
        let p = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
        ];
        let i: Vec<u32> = p.iter().map(|&q| b.vertex(q, [0.0, 0.0, 1.0])).collect();
        // (same index, collinear, coincident, fine)
        for (t, kept) in [
            ([i[0], i[0], i[1]], false),
            ([i[0], i[1], i[2]], false),
            ([i[0], i[1], i[3]], true),
        ] {
            let before = b.triangles();
            b.triangle(t[0], t[1], t[2]);
            assert_eq!(b.triangles() - before, usize::from(kept), "{t:?}");
        }
        assert!(check(&b).is_ok());
    }

    #[test]
    fn normals_are_unit_whatever_goes_in() {
        let mut b = Buffer::default();
        for n in [
            [0.0, 0.0, 0.0],
            [f64::NAN, 0.0, 1.0],
            [1e-320, 0.0, 0.0],
            [3.0, 4.0, 0.0],
            [f64::INFINITY, 1.0, 0.0],
        ] {
            let i = b.vertex([0.0; 3], n);
            assert!((norm(b.nrm[i as usize]) - 1.0).abs() < 1e-12, "{n:?}");
        }
    }

    #[test]
    fn a_strip_of_squares_is_a_closed_outward_box() {
        // A unit square loop (counter-clockwise seen from −z), lifted along +z: the sides of
        // a box; the caps make it closed.
        let sq = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        // Seen from −z, counter-clockwise means clockwise in the (x, y) plane.
        let lower: Vec<V3> = sq.iter().rev().map(|p| [p[0], p[1], 0.0]).collect();
        let upper: Vec<V3> = lower.iter().map(|p| [p[0], p[1], 2.0]).collect();
        let mut b = Buffer::default();
        b.loop_strip(&lower, &upper, &[None; 4]);
        b.fan(&lower, [0.0, 0.0, -1.0]);
        let top: Vec<V3> = upper.iter().rev().copied().collect();
        b.fan(&top, [0.0, 0.0, 1.0]);
        assert_eq!(b.triangles(), 12);
        check(&b).unwrap();
        assert!((volume(&b) - 2.0).abs() < 1e-12, "{}", volume(&b));
    }
}
