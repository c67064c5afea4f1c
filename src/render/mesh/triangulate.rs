//! Ear clipping of a simple polygon (fin outlines that no chordwise strip describes).
//! Quadratic per ear, so outlines beyond [`MAX_EAR_POINTS`] points are fanned instead; a
//! polygon with no ear left (self-intersecting input) has its remainder fanned too. Never
//! panics, whatever the points.

/// Points above which the outline is fanned from its first point.
const MAX_EAR_POINTS: usize = 1000;

fn cross(o: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Twice the signed area: positive for a counter-clockwise polygon.
pub(super) fn signed_area2(p: &[[f64; 2]]) -> f64 {
    (0..p.len())
        .map(|i| {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Whether `p` lies inside or on the triangle `a b c` (counter-clockwise).
fn inside(p: [f64; 2], a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> bool {
    cross(a, b, p) >= 0.0 && cross(b, c, p) >= 0.0 && cross(c, a, p) >= 0.0
}

/// Triangles (indices into `p`, counter-clockwise) covering the counter-clockwise polygon `p`.
pub(super) fn triangulate(p: &[[f64; 2]]) -> Vec<[usize; 3]> {
    let n = p.len();
    let mut out = Vec::with_capacity(n.saturating_sub(2));
    if n < 3 {
        return out;
    }
    let fan = |from: &[usize], out: &mut Vec<[usize; 3]>| {
        for k in 1..from.len().saturating_sub(1) {
            out.push([from[0], from[k], from[k + 1]]);
        }
    };
    let mut v: Vec<usize> = (0..n).collect();
    if n > MAX_EAR_POINTS {
        fan(&v, &mut out);
        return out;
    }
    let mut i = 0;
    let mut misses = 0;
    while v.len() > 3 {
        let m = v.len();
        let (ia, ib, ic) = (v[(i + m - 1) % m], v[i % m], v[(i + 1) % m]);
        let (a, b, c) = (p[ia], p[ib], p[ic]);
        let convex = cross(a, b, c) > 0.0;
        let ear = convex
            && v.iter().all(|&j| {
                j == ia
                    || j == ib
                    || j == ic
                    || p[j] == a
                    || p[j] == b
                    || p[j] == c
                    || !inside(p[j], a, b, c)
            });
        if ear {
            out.push([ia, ib, ic]);
            v.remove(i % m);
            misses = 0;
            i %= v.len();
        } else if cross(a, b, c) == 0.0 && (a == b || b == c) {
            // A repeated point: drop it.
            v.remove(i % m);
            misses = 0;
            i %= v.len();
        } else {
            misses += 1;
            i = (i + 1) % m;
            if misses > m {
                break;
            }
        }
    }
    fan(&v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area_of(p: &[[f64; 2]], tris: &[[usize; 3]]) -> f64 {
        tris.iter()
            .map(|t| cross(p[t[0]], p[t[1]], p[t[2]]) / 2.0)
            .sum()
    }

    #[test]
    fn simple_polygons_are_covered_exactly() {
        // (name, counter-clockwise polygon)
        let cases: Vec<(&str, Vec<[f64; 2]>)> = vec![
            ("triangle", vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
            (
                "square",
                vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
            ),
            (
                "notched fin",
                vec![
                    [0.0, 0.0],
                    [0.3, 0.0],
                    [0.3, 0.1],
                    [0.2, 0.05],
                    [0.1, 0.1],
                    [0.05, 0.02],
                ],
            ),
            (
                "comb",
                vec![
                    [0.0, 0.0],
                    [5.0, 0.0],
                    [5.0, 2.0],
                    [4.0, 2.0],
                    [4.0, 1.0],
                    [3.0, 1.0],
                    [3.0, 2.0],
                    [2.0, 2.0],
                    [2.0, 1.0],
                    [1.0, 1.0],
                    [1.0, 2.0],
                    [0.0, 2.0],
                ],
            ),
            (
                "collinear points",
                vec![[0.0, 0.0], [0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
            ),
        ];
        for (name, p) in cases {
            let tris = triangulate(&p);
            let want = signed_area2(&p) / 2.0;
            let got = area_of(&p, &tris);
            assert!((got - want).abs() < 1e-12, "{name}: {got} vs {want}");
            for t in &tris {
                assert!(
                    cross(p[t[0]], p[t[1]], p[t[2]]) >= 0.0,
                    "{name}: {t:?} clockwise"
                );
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for p in [
            vec![],
            vec![[0.0, 0.0]],
            vec![[0.0, 0.0], [1.0, 1.0]],
            vec![[0.0, 0.0]; 5],
            vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]],
            vec![[f64::NAN, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        ] {
            let tris = triangulate(&p);
            assert!(tris.iter().flatten().all(|&i| i < p.len()));
        }
    }
}
