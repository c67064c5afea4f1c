//! Fin sets and tube fins.
//!
//! A fin is its outline (from the resolved geometry, the one the profile drawing draws) made
//! solid: where every height cuts the outline in one chord (trapezoidal and elliptical fins,
//! most freeform ones) it is built from stations at every outline height, each carrying the
//! cross-section (square, rounded: semicircular edges, airfoil: a symmetric NACA 4-digit
//! thickness), joined by flat strips; other outlines are extruded flat (square section). The
//! fin stands at `body radius + height` from its instance axis, at its angle, turned by its
//! cant about the radial line through the root's mid-chord. The root follows the surface of
//! the body it is mounted on where that narrows under it, and its corners sit on the
//! surface, so the fin neither floats nor sinks into the body.
//!
//! Tube fins are tubes of the part's length standing on the body at their angles.

use std::f64::consts::{PI, TAU};

use super::body::{axes, Bodies, Fineness, Outline, MAX_INSTANCES};
use super::buffer::{add, newell, unit, unit_or, Buffer, V3};
use super::revolve::{revolve, segments, tube, Frame};
use super::triangulate::{signed_area2, triangulate};
use crate::geometry::{Part, PartShape};
use crate::model::Design;

/// Cross-sections of a fin set (`<crosssection>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Square,
    Rounded,
    Airfoil,
}

impl Section {
    pub fn of(design: &Design, index: usize) -> Section {
        let name = design
            .components
            .get(index)
            .and_then(crate::geometry::fins::common)
            .and_then(|f| f.cross_section.as_deref())
            .map(str::to_ascii_lowercase);
        match name.as_deref() {
            Some("rounded") => Section::Rounded,
            Some("airfoil") => Section::Airfoil,
            _ => Section::Square,
        }
    }
}

/// One point of a cross-section: chordwise `x` (absolute), `w` across the thickness, and the
/// outward normal `(n_x, n_w)` where the surface is smooth (`None`: a corner).
#[derive(Debug, Clone, Copy, PartialEq)]
struct SectionPoint {
    x: f64,
    w: f64,
    n: Option<[f64; 2]>,
}

/// NACA 4-digit half thickness and its slope for thickness `t`, at chord fraction `u`
/// (closed trailing edge).
fn naca(u: f64, t: f64) -> (f64, f64) {
    let u = u.clamp(0.0, 1.0);
    let s = u.sqrt();
    let y = 5.0
        * t
        * (0.2969 * s - 0.1260 * u - 0.3516 * u * u + 0.2843 * u.powi(3) - 0.1036 * u.powi(4));
    let dy = if s > 0.0 {
        5.0 * t * (0.2969 / (2.0 * s) - 0.1260 - 0.7032 * u + 0.8529 * u * u - 0.4144 * u.powi(3))
    } else {
        f64::INFINITY
    };
    (y.max(0.0), dy)
}

/// The section of chord `[a, b]` and thickness `t`, counter-clockwise in the `(x, w)` plane
/// (leading edge at `a`). Its point count depends only on `kind`, `t` and the fineness.
fn section(kind: Section, a: f64, b: f64, t: f64, f: &Fineness) -> Vec<SectionPoint> {
    let c = (b - a).max(0.0);
    let h = t / 2.0;
    match kind {
        Section::Square => vec![
            SectionPoint {
                x: a,
                w: -h,
                n: None,
            },
            SectionPoint {
                x: b,
                w: -h,
                n: None,
            },
            SectionPoint {
                x: b,
                w: h,
                n: None,
            },
            SectionPoint {
                x: a,
                w: h,
                n: None,
            },
        ],
        Section::Rounded => {
            let half = segments(h, f.round_m, 8, 32) / 2;
            let rho = h.min(c / 2.0);
            let mut out = Vec::with_capacity(2 * half + 2);
            for (centre, from) in [(b - rho, -PI / 2.0), (a + rho, PI / 2.0)] {
                for k in 0..=half {
                    let ang = from + PI * k as f64 / half as f64;
                    let (s, co) = ang.sin_cos();
                    out.push(SectionPoint {
                        x: centre + rho * co,
                        w: rho * s,
                        n: Some([co, s]),
                    });
                }
            }
            out
        }
        Section::Airfoil => {
            // Never thicker than long: the section shrinks to a point with its chord.
            let t = t.min(c);
            let m = f.airfoil_points.max(3);
            let u = |i: usize| (1.0 - (PI * i as f64 / m as f64).cos()) / 2.0;
            let mut out = Vec::with_capacity(2 * m);
            out.push(SectionPoint {
                x: a,
                w: 0.0,
                n: Some([-1.0, 0.0]),
            });
            for i in 1..m {
                let (y, dy) = naca(u(i), t);
                let n = unit([-dy, 0.0, -c]).map(|v| [v[0], v[2]]);
                out.push(SectionPoint {
                    x: a + c * u(i),
                    w: -y,
                    n,
                });
            }
            out.push(SectionPoint {
                x: b,
                w: 0.0,
                n: None,
            });
            for i in (1..m).rev() {
                let (y, dy) = naca(u(i), t);
                let n = unit([-dy, 0.0, c]).map(|v| [v[0], v[2]]);
                out.push(SectionPoint {
                    x: a + c * u(i),
                    w: y,
                    n,
                });
            }
            out
        }
    }
}

/// A chord at height `h`: leading edge `a`, trailing edge `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Station {
    h: f64,
    a: f64,
    b: f64,
}

/// Outline points above which a fin is extruded flat (finding stations is quadratic).
const MAX_STATION_POINTS: usize = 512;

/// Stations at every outline height, when each height between them cuts the outline in one
/// chord that runs on continuously; `None` otherwise.
fn stations(outline: &[[f64; 2]]) -> Option<Vec<Station>> {
    let n = outline.len();
    if !(3..=MAX_STATION_POINTS).contains(&n)
        || outline
            .iter()
            .any(|p| !(p[0].is_finite() && p[1].is_finite()))
    {
        return None;
    }
    let mut hs: Vec<f64> = outline.iter().map(|p| p[1]).collect();
    hs.sort_by(f64::total_cmp);
    hs.dedup_by(|a, b| (*a - *b).abs() <= 1e-12);
    if hs.len() < 2 {
        return None;
    }
    let extent = outline
        .iter()
        .map(|p| p[0].abs().max(p[1].abs()))
        .fold(0.0, f64::max);
    let eps = 1e-9 * extent.max(1e-3);
    let mut out: Vec<Station> = Vec::with_capacity(hs.len());
    for w in hs.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let mid = (lo + hi) / 2.0;
        let mut cuts: Vec<(f64, f64, f64)> = Vec::with_capacity(2);
        for i in 0..n {
            let (p, q) = (outline[i], outline[(i + 1) % n]);
            if (p[1] < mid) == (q[1] < mid) {
                continue;
            }
            let at = |h: f64| p[0] + (q[0] - p[0]) * (h - p[1]) / (q[1] - p[1]);
            cuts.push((at(mid), at(lo), at(hi)));
            if cuts.len() > 2 {
                return None;
            }
        }
        let [c0, c1] = cuts[..] else {
            return None;
        };
        let (le, te) = if c0.0 <= c1.0 { (c0, c1) } else { (c1, c0) };
        let bottom = Station {
            h: lo,
            a: le.1,
            b: te.1,
        };
        match out.last() {
            None => out.push(bottom),
            Some(s) if (s.a - bottom.a).abs() <= eps && (s.b - bottom.b).abs() <= eps => {}
            Some(_) => return None,
        }
        out.push(Station {
            h: hi,
            a: le.2,
            b: te.2,
        });
    }
    Some(out)
}

/// `st` with a station added wherever the chord crosses `chord` inside a band: rounded and
/// airfoil sections thin only where their chord is below the thickness, so that is where
/// the fin's thickness may change, not over the whole band.
fn split_at_chord(st: &[Station], chord: f64) -> Vec<Station> {
    let mut out = Vec::with_capacity(st.len() + 2);
    for (i, s) in st.iter().enumerate() {
        if let Some(next) = st.get(i + 1) {
            out.push(*s);
            let (c0, c1) = (s.b - s.a, next.b - next.a);
            if (c0 - chord) * (c1 - chord) < 0.0 {
                let k = (chord - c0) / (c1 - c0);
                let lerp = |p: f64, q: f64| p + (q - p) * k;
                out.push(Station {
                    h: lerp(s.h, next.h),
                    a: lerp(s.a, next.a),
                    b: lerp(s.b, next.b),
                });
            }
        } else {
            out.push(*s);
        }
    }
    out
}

/// Where one fin stands: its instance axis, its angle and its cant.
#[derive(Debug, Clone, Copy)]
struct FinFrame {
    axis: [f64; 2],
    /// cos, sin of the fin's angle (0 = +y).
    cos: f64,
    sin: f64,
    /// cos, sin of the cant, and the x it turns about.
    cant_cos: f64,
    cant_sin: f64,
    pivot: f64,
}

impl FinFrame {
    fn cant(&self, x: f64, w: f64) -> (f64, f64) {
        let dx = x - self.pivot;
        (
            self.pivot + dx * self.cant_cos - w * self.cant_sin,
            dx * self.cant_sin + w * self.cant_cos,
        )
    }

    /// The point at chordwise `x`, `d` from the axis, `w` across the fin.
    fn point(&self, x: f64, d: f64, w: f64) -> V3 {
        let (x, w) = self.cant(x, w);
        [
            x,
            self.axis[0] + d * self.cos - w * self.sin,
            self.axis[1] + d * self.sin + w * self.cos,
        ]
    }

    /// A direction `(along x, radial, across)`.
    fn dir(&self, nx: f64, nd: f64, nw: f64) -> V3 {
        let nx2 = nx * self.cant_cos - nw * self.cant_sin;
        let nw2 = nx * self.cant_sin + nw * self.cant_cos;
        [
            nx2,
            nd * self.cos - nw2 * self.sin,
            nd * self.sin + nw2 * self.cos,
        ]
    }
}

/// What a fin set needs beyond its frame.
struct FinSet<'a> {
    outline: &'a [[f64; 2]],
    stations: Option<Vec<Station>>,
    section: Section,
    thickness: f64,
    body_r: f64,
    /// The outline of the body the fins are mounted on (their parent), if it is one.
    mount: Option<&'a Outline>,
    fineness: &'a Fineness,
}

impl FinSet<'_> {
    /// Distance from the axis of a root point at `x` (height `h`, `w` off the mid-plane):
    /// down to the surface of the body the fins are mounted on where it is lower there (as
    /// OpenRocket's root follows its parent, its end radius beyond its ends), corners on the
    /// surface.
    fn root_d(&self, x: f64, h: f64, w: f64) -> f64 {
        let base = self.body_r + h;
        if h > 1e-9 {
            return base;
        }
        let d0 = match self.mount.map(|m| m.radius(x)).filter(|r| r.is_finite()) {
            Some(rb) => base.min(rb),
            None => base,
        };
        (d0 * d0 - w * w).max(0.0).sqrt()
    }

    fn fin(&self, buf: &mut Buffer, fr: &FinFrame) {
        match &self.stations {
            Some(st) => self.stationed(buf, fr, st),
            None => self.extruded(buf, fr),
        }
    }

    fn stationed(&self, buf: &mut Buffer, fr: &FinFrame, st: &[Station]) {
        let t = self.thickness;
        let mut loops: Vec<Vec<V3>> = Vec::with_capacity(st.len());
        let mut normals: Vec<Vec<Option<V3>>> = Vec::with_capacity(st.len());
        for (j, s) in st.iter().enumerate() {
            let sec = section(self.section, s.a, s.b, t, self.fineness);
            normals.push(
                sec.iter()
                    .map(|p| p.n.map(|n| fr.dir(n[0], 0.0, n[1])))
                    .collect(),
            );
            let pts = sec
                .iter()
                .map(|p| {
                    let d = if j == 0 {
                        self.root_d(p.x, s.h, p.w)
                    } else {
                        self.body_r + s.h
                    };
                    fr.point(p.x, d, p.w)
                })
                .collect();
            loops.push(pts);
        }
        for (w, n) in loops.windows(2).zip(normals.windows(2)) {
            // A strip's smooth columns take the mean of its two stations' section normals.
            let smooth: Vec<Option<V3>> = n[0]
                .iter()
                .zip(&n[1])
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => Some(unit_or(add(*a, *b), *a)),
                    _ => None,
                })
                .collect();
            buf.loop_strip(&w[0], &w[1], &smooth);
        }
        let radial = fr.dir(0.0, 1.0, 0.0);
        if let (Some(first), Some(s)) = (loops.first(), st.first()) {
            if s.b - s.a > 1e-12 {
                buf.fan(
                    first,
                    unit_or(newell(first), [-radial[0], -radial[1], -radial[2]]),
                );
            }
        }
        if let (Some(last), Some(s)) = (loops.last(), st.last()) {
            if s.b - s.a > 1e-12 {
                let top: Vec<V3> = last.iter().rev().copied().collect();
                buf.fan(&top, unit_or(newell(&top), radial));
            }
        }
    }

    /// The outline extruded flat across the thickness (square section).
    fn extruded(&self, buf: &mut Buffer, fr: &FinFrame) {
        let mut poly: Vec<[f64; 2]> = Vec::with_capacity(self.outline.len());
        for &p in self.outline {
            if !(p[0].is_finite() && p[1].is_finite()) {
                return;
            }
            if poly.last() != Some(&p) {
                poly.push(p);
            }
        }
        while poly.len() > 1 && poly.first() == poly.last() {
            poly.pop();
        }
        if poly.len() < 3 {
            return;
        }
        if signed_area2(&poly) < 0.0 {
            poly.reverse();
        }
        let tris = triangulate(&poly);
        let h = self.thickness / 2.0;
        let side = |w: f64| -> Vec<V3> {
            poly.iter()
                .map(|p| {
                    let d = if p[1] <= 1e-9 {
                        self.root_d(p[0], p[1], w)
                    } else {
                        self.body_r + p[1]
                    };
                    fr.point(p[0], d, w)
                })
                .collect()
        };
        let (minus, plus) = (side(-h), side(h));
        let across = fr.dir(0.0, 0.0, 1.0);
        for (pts, sign) in [(&plus, 1.0), (&minus, -1.0)] {
            let n = [across[0] * sign, across[1] * sign, across[2] * sign];
            let first = buf.pos.len();
            for &p in pts.iter() {
                buf.vertex(p, n);
            }
            let at = |k: usize| u32::try_from(first + k).unwrap_or(u32::MAX);
            for t in &tris {
                if sign > 0.0 {
                    buf.triangle(at(t[0]), at(t[1]), at(t[2]));
                } else {
                    buf.triangle(at(t[0]), at(t[2]), at(t[1]));
                }
            }
        }
        let radial = fr.dir(0.0, 1.0, 0.0);
        for i in 0..poly.len() {
            let j = (i + 1) % poly.len();
            let quad = [minus[i], minus[j], plus[j], plus[i]];
            buf.fan(&quad, unit_or(newell(&quad), radial));
        }
    }
}

/// Every fin of a fin set part on every instance axis (nothing for other shapes).
pub(super) fn fin_set(design: &Design, part: &Part, bodies: &Bodies, f: &Fineness) -> Buffer {
    let mut buf = Buffer::default();
    let PartShape::Fins {
        count,
        base_angle_rad,
        cant_rad,
        thickness_m,
        body_radius_m,
        outline,
        ..
    } = &part.shape
    else {
        return buf;
    };
    let ok = |v: f64| v.is_finite();
    if outline.len() < 3
        || outline.iter().any(|p| !(ok(p[0]) && ok(p[1])))
        || ![
            *base_angle_rad,
            *thickness_m,
            *body_radius_m,
            part.x_m,
            part.length_m,
        ]
        .into_iter()
        .all(ok)
    {
        return buf;
    }
    let cant = if cant_rad.is_finite() {
        cant_rad.clamp(-1.5, 1.5)
    } else {
        0.0
    };
    // Edge-on fins are drawn a tenth of a millimetre thick; so they are here.
    let thickness = thickness_m.abs().max(1e-4);
    let section = Section::of(design, part.index);
    let set = FinSet {
        outline,
        stations: stations(outline).map(|st| match section {
            Section::Rounded | Section::Airfoil => split_at_chord(&st, thickness),
            Section::Square => st,
        }),
        section,
        thickness,
        body_r: body_radius_m.abs(),
        mount: design
            .components
            .get(part.index)
            .and_then(|c| c.parent)
            .and_then(|p| bodies.list.iter().find(|b| b.index == p))
            .map(|b| &b.outline),
        fineness: f,
    };
    let (root_le, root_te) = (outline[0][0], outline[outline.len() - 1][0]);
    let pivot = (root_le + root_te) / 2.0;
    let n = (*count as usize).clamp(1, MAX_INSTANCES);
    for axis in axes(part) {
        for i in 0..n {
            if buf.triangles() > f.max_triangles {
                return buf;
            }
            let (sin, cos) = (base_angle_rad + TAU * i as f64 / n as f64).sin_cos();
            let fr = FinFrame {
                axis,
                cos,
                sin,
                cant_cos: cant.cos(),
                cant_sin: cant.sin(),
                pivot,
            };
            set.fin(&mut buf, &fr);
        }
    }
    buf
}

/// Every tube of a tube fin part on every instance axis (nothing for other shapes).
pub(super) fn tube_fins(part: &Part, f: &Fineness) -> Buffer {
    let mut buf = Buffer::default();
    let PartShape::TubeFins {
        count,
        base_angle_rad,
        outer_radius_m,
        inner_radius_m,
        body_radius_m,
    } = &part.shape
    else {
        return buf;
    };
    let values = [
        *base_angle_rad,
        *outer_radius_m,
        *inner_radius_m,
        *body_radius_m,
        part.x_m,
        part.length_m,
    ];
    if values.iter().any(|v| !v.is_finite()) {
        return buf;
    }
    let ro = outer_radius_m.abs();
    let ri = inner_radius_m.abs();
    let d = body_radius_m.abs() + ro;
    let (x0, x1) = (part.x_m, part.x_m + part.length_m.max(0.0));
    let meridian = tube(x0, x1, ro, ri);
    let segs = segments(ro, f.round_m, 8, f.max_segments);
    let n = (*count as usize).clamp(1, MAX_INSTANCES);
    for [ay, az] in axes(part) {
        for i in 0..n {
            if buf.triangles() > f.max_triangles {
                return buf;
            }
            let (s, c) = (base_angle_rad + TAU * i as f64 / n as f64).sin_cos();
            revolve(
                &mut buf,
                &Frame::along_x([ay + d * c, az + d * s]),
                &meridian,
                segs,
            );
        }
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::super::buffer::tests::{check, fine, volume};
    use super::*;

    #[test]
    fn stations_of_outlines() {
        // (name, outline, expected stations (h, a, b) or None)
        type Case = (&'static str, Vec<[f64; 2]>, Option<Vec<[f64; 3]>>);
        let cases: Vec<Case> = vec![
            (
                "trapezoid",
                vec![[0.0, 0.0], [0.05, 0.1], [0.1, 0.1], [0.2, 0.0]],
                Some(vec![[0.0, 0.0, 0.2], [0.1, 0.05, 0.1]]),
            ),
            (
                "triangle",
                vec![[0.0, 0.0], [0.2, 0.1], [0.2, 0.0]],
                Some(vec![[0.0, 0.0, 0.2], [0.1, 0.2, 0.2]]),
            ),
            (
                "clipped delta with a kink",
                vec![[0.0, 0.0], [0.1, 0.05], [0.15, 0.1], [0.2, 0.1], [0.2, 0.0]],
                Some(vec![[0.0, 0.0, 0.2], [0.05, 0.1, 0.2], [0.1, 0.15, 0.2]]),
            ),
            (
                "notched (two chords at one height)",
                vec![[0.0, 0.0], [0.0, 0.1], [0.1, 0.02], [0.2, 0.1], [0.2, 0.0]],
                None,
            ),
            (
                "T (a step at one height)",
                vec![
                    [0.0, 0.0],
                    [0.0, 0.1],
                    [-0.1, 0.1],
                    [-0.1, 0.2],
                    [0.3, 0.2],
                    [0.3, 0.1],
                    [0.2, 0.1],
                    [0.2, 0.0],
                ],
                None,
            ),
            ("flat", vec![[0.0, 0.0], [0.1, 0.0], [0.2, 0.0]], None),
            ("nan", vec![[0.0, 0.0], [f64::NAN, 0.1], [0.2, 0.0]], None),
        ];
        for (name, outline, want) in cases {
            let got =
                stations(&outline).map(|v| v.iter().map(|s| [s.h, s.a, s.b]).collect::<Vec<_>>());
            match (&got, &want) {
                (Some(g), Some(w)) => {
                    assert_eq!(g.len(), w.len(), "{name}: {g:?}");
                    for (a, b) in g.iter().zip(w) {
                        for k in 0..3 {
                            assert!((a[k] - b[k]).abs() < 1e-12, "{name}: {g:?} vs {w:?}");
                        }
                    }
                }
                (None, None) => {}
                _ => panic!("{name}: {got:?} vs {want:?}"),
            }
        }
    }

    #[test]
    fn sections_are_counter_clockwise_with_outward_normals() {
        for kind in [Section::Square, Section::Rounded, Section::Airfoil] {
            for (a, b, t) in [(0.0, 0.2, 0.004), (0.0, 0.002, 0.004), (0.1, 0.1, 0.003)] {
                let s = section(kind, a, b, t, &fine());
                let same_count = section(kind, 0.0, 1.0, t, &fine()).len();
                assert_eq!(s.len(), same_count, "{kind:?}: count depends on the chord");
                let poly: Vec<[f64; 2]> = s.iter().map(|p| [p.x, p.w]).collect();
                assert!(signed_area2(&poly) >= 0.0, "{kind:?} {a} {b}");
                if b - a > t {
                    // Area: t × c, less the corners / the airfoil's share.
                    let area = signed_area2(&poly) / 2.0;
                    let full = t * (b - a);
                    let ratio = area / full;
                    let (lo, hi) = match kind {
                        Section::Square => (1.0, 1.0),
                        Section::Rounded => (0.97, 1.0),
                        Section::Airfoil => (0.6, 0.75),
                    };
                    assert!(
                        ratio >= lo - 1e-9 && ratio <= hi + 1e-9,
                        "{kind:?}: {ratio}"
                    );
                }
                for p in &s {
                    if let Some(n) = p.n {
                        assert!((n[0].hypot(n[1]) - 1.0).abs() < 1e-12);
                        // Outward: away from the chord's middle line.
                        let mid = [(a + b) / 2.0, 0.0];
                        let out = (p.x - mid[0]) * n[0] + (p.w - mid[1]) * n[1];
                        assert!(out >= -1e-12, "{kind:?}: inward normal at {p:?}");
                    }
                }
            }
        }
    }

    /// One fin of each outline and section: a closed solid facing outwards, of the outline's
    /// area times the section's share of the thickness.
    #[test]
    fn fins_are_closed_outward_solids() {
        let outlines: Vec<(&str, Vec<[f64; 2]>)> = vec![
            (
                "trapezoid",
                vec![[0.0, 0.0], [0.05, 0.1], [0.1, 0.1], [0.2, 0.0]],
            ),
            ("triangle", vec![[0.0, 0.0], [0.2, 0.1], [0.2, 0.0]]),
            (
                "notched",
                vec![[0.0, 0.0], [0.0, 0.1], [0.1, 0.02], [0.2, 0.1], [0.2, 0.0]],
            ),
            (
                "elliptical",
                (0..31)
                    .map(|i| {
                        let a = PI * (30 - i) as f64 / 30.0;
                        [(a.cos() + 1.0) / 2.0 * 0.2, a.sin() * 0.08]
                    })
                    .collect(),
            ),
        ];
        for (name, outline) in &outlines {
            let area = signed_area2(outline).abs() / 2.0;
            for section in [Section::Square, Section::Rounded, Section::Airfoil] {
                for (cant, angle) in [(0.0, 0.0), (0.05, 1.0), (-0.1, 4.0)] {
                    let set = FinSet {
                        outline,
                        stations: stations(outline).map(|st| split_at_chord(&st, 0.004)),
                        section,
                        thickness: 0.004,
                        body_r: 0.03,
                        mount: None,
                        fineness: &fine(),
                    };
                    let (sin, cos) = f64::sin_cos(angle);
                    let fr = FinFrame {
                        axis: [0.0, 0.0],
                        cos,
                        sin,
                        cant_cos: f64::cos(cant),
                        cant_sin: f64::sin(cant),
                        pivot: 0.1,
                    };
                    let mut buf = Buffer::default();
                    set.fin(&mut buf, &fr);
                    let what = format!("{name} {section:?} cant {cant}");
                    check(&buf).unwrap_or_else(|e| panic!("{what}: {e}"));
                    let v = volume(&buf);
                    let share = match (section, set.stations.is_some()) {
                        (Section::Square, _) | (_, false) => (0.99, 1.01),
                        (Section::Rounded, _) => (0.9, 1.0),
                        (Section::Airfoil, _) => (0.6, 0.75),
                    };
                    let full = area * 0.004;
                    assert!(
                        v >= share.0 * full && v <= share.1 * full,
                        "{what}: volume {v} vs {full}"
                    );
                }
            }
        }
    }

    /// On a boat tail the root follows the body down; on a cylinder it stays at the body
    /// radius; in both the root's corners touch the surface.
    #[test]
    fn roots_follow_the_mount() {
        use crate::geometry::shape::Profile;
        use crate::model::Shape;
        let outline = vec![[0.0, 0.0], [0.05, 0.1], [0.1, 0.1], [0.2, 0.0]];
        let t = 0.004;
        // (mount fore radius, aft radius, expected distance of the trailing root corners)
        for (r1, r2, want) in [(0.03, 0.03, 0.03), (0.03, 0.02, 0.02)] {
            let mount = Outline::Exact {
                profile: Profile::new(0.2, r1, r2, Shape::Conical, 0.0, false),
                x0: 0.0,
            };
            let set = FinSet {
                outline: &outline,
                stations: stations(&outline),
                section: Section::Square,
                thickness: t,
                body_r: 0.03,
                mount: Some(&mount),
                fineness: &fine(),
            };
            let fr = FinFrame {
                axis: [0.0, 0.0],
                cos: 1.0,
                sin: 0.0,
                cant_cos: 1.0,
                cant_sin: 0.0,
                pivot: 0.1,
            };
            let mut buf = Buffer::default();
            set.fin(&mut buf, &fr);
            check(&buf).unwrap();
            let corners: Vec<f64> = buf
                .pos
                .iter()
                .filter(|p| (p[0] - 0.2).abs() < 1e-12)
                .map(|p| p[1].hypot(p[2]))
                .collect();
            let lowest = corners.iter().copied().fold(f64::INFINITY, f64::min);
            assert!((lowest - want).abs() < 1e-12, "{r2}: {lowest}");
        }
    }

    #[test]
    fn naca_thickness() {
        let t = 0.01;
        assert_eq!(naca(0.0, t).0, 0.0);
        assert!(naca(1.0, t).0.abs() < 1e-6);
        let max = (0..=100)
            .map(|i| naca(i as f64 / 100.0, t).0)
            .fold(0.0, f64::max);
        assert!((max - t / 2.0).abs() < 0.01 * t, "{max}");
    }
}
