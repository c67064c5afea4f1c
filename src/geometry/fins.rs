//! Fin outlines and the per-fin integrals OpenRocket uses (`FinSet`, `FinSetCalc`): planform
//! area and centroid against the body surface, tab and fillet volumes, and the chord strips
//! that give span, mean aerodynamic chord and mid-chord sweep for Barrowman.
//!
//! Local coordinates: x from the fin's root leading edge, y from the fin root (the body
//! surface at the leading edge) unless said otherwise.

use super::position::{as_position, Layout};
use crate::model::{AxialMethod, Component, FinCommon, Geometry};

/// Points of OpenRocket's elliptical fin outline.
const ELLIPSE_POINTS: usize = 31;
/// Root slices: OpenRocket caps the root polyline at 100 slices of 2.5 mm.
const ROOT_STEP: f64 = 0.0025;
const MAX_ROOT_DIVISIONS: usize = 100;
/// Chord strips of `FinSetCalc`.
const STRIPS: usize = 48;

/// Common fin fields of a fin set component, if it is one.
pub fn common(c: &Component) -> Option<&FinCommon> {
    match &c.geometry {
        Geometry::TrapezoidFinSet(f) => Some(&f.fins),
        Geometry::EllipticalFinSet(f) => Some(&f.fins),
        Geometry::FreeformFinSet(f) => Some(&f.fins),
        _ => None,
    }
}

/// The outline of one fin, local coordinates, leading edge root first, trailing root last.
pub fn fin_points(c: &Component, length: f64) -> Vec<[f64; 2]> {
    match &c.geometry {
        Geometry::TrapezoidFinSet(f) => {
            let sweep = f.sweep_m.unwrap_or(0.0);
            let h = f.height_m.unwrap_or(0.0).max(0.0);
            let tip = f.tip_chord_m.unwrap_or(0.0).max(0.0);
            let mut p = vec![[0.0, 0.0], [sweep, h]];
            if tip > 0.0001 {
                p.push([sweep + tip, h]);
            }
            p.push([length.max(0.0001), 0.0]);
            p
        }
        Geometry::EllipticalFinSet(f) => {
            let h = f.height_m.unwrap_or(0.0).max(0.0);
            let len = length.max(0.0001);
            (0..ELLIPSE_POINTS)
                .map(|i| {
                    if i == 0 {
                        return [0.0, 0.0];
                    }
                    if i == ELLIPSE_POINTS - 1 {
                        return [len, 0.0];
                    }
                    let a = std::f64::consts::PI * (ELLIPSE_POINTS - 1 - i) as f64
                        / (ELLIPSE_POINTS - 1) as f64;
                    [(a.cos() + 1.0) / 2.0 * len, a.sin() * h]
                })
                .collect()
        }
        Geometry::FreeformFinSet(f) => {
            let x0 = f.points_m.first().map(|p| p[0]).unwrap_or(0.0);
            f.points_m.iter().map(|p| [p[0] - x0, p[1]]).collect()
        }
        _ => vec![],
    }
}

/// Span as OpenRocket defines it per fin type.
pub fn span(c: &Component, points: &[[f64; 2]]) -> f64 {
    match &c.geometry {
        Geometry::TrapezoidFinSet(f) => f.height_m.unwrap_or(0.0).max(0.0),
        Geometry::EllipticalFinSet(f) => f.height_m.unwrap_or(0.0).max(0.0),
        _ => {
            let max = points.iter().map(|p| p[1]).fold(0.0, f64::max);
            let last = points.last().map(|p| p[1]).unwrap_or(0.0);
            max - last.min(0.0)
        }
    }
}

/// The parent body surface under the fin, `(x local, r from the axis)`.
fn mount_points(layout: &Layout, fin: usize, x_start: f64, x_end: f64) -> Vec<[f64; 2]> {
    let c = &layout.design.components[fin];
    let Some(p) = c.parent.filter(|&p| layout.profile[p].is_some()) else {
        return vec![[x_start, 0.0], [x_end, 0.0]];
    };
    let prof = layout.profile[p].unwrap_or_else(|| super::shape::Profile::cylinder(0.0, 0.0));
    let fin_front = layout.rel_x[fin];
    let straight = prof.fore_radius == prof.aft_radius
        || prof.shape == crate::model::Shape::Conical && !prof.clipped;
    let interval = x_end - x_start;
    let divisions = if straight {
        1
    } else {
        ((interval / ROOT_STEP).ceil() as usize).clamp(1, MAX_ROOT_DIVISIONS)
    };
    let parent_len = layout.len[p];
    let mut pts = Vec::with_capacity(divisions + 3);
    for k in 0..=divisions {
        let x = x_start + interval * k as f64 / divisions as f64;
        pts.push([x, prof.radius(fin_front + x)]);
    }
    // Points where the root crosses the parent's ends (fins overhanging a transition).
    let (abs_start, abs_end) = (fin_front + x_start, fin_front + x_end);
    if abs_start < 0.0 && abs_end > 0.0 {
        pts.insert(1, [-fin_front, pts[0][1]]);
    }
    if abs_end > parent_len && abs_start < parent_len {
        let y = pts[pts.len() - 1][1];
        let at = pts.len() - 1;
        pts.insert(at, [parent_len - fin_front, y]);
    }
    pts
}

/// Area and centroid of the region enclosed by a closed point list (OpenRocket's
/// `calculateCurveIntegral`): `(x̄, ȳ, area)`.
fn curve_integral(points: &[[f64; 2]]) -> (f64, f64, f64) {
    let (mut sx, mut sy, mut sa) = (0.0, 0.0, 0.0);
    for w in points.windows(2) {
        let (p, c) = (w[0], w[1]);
        let dx = c[0] - p[0];
        let area = dx * (c[1] + p[1]) * 0.5;
        if area.abs() < 1e-12 {
            continue;
        }
        let common = 1.0 / (3.0 * (c[1] + p[1]));
        let xc = common * (p[0] * (2.0 * p[1] + c[1]) + c[0] * (2.0 * c[1] + p[1]));
        let yc = common * (c[1] * p[1] + c[1] * c[1] + p[1] * p[1]);
        sx += xc * area;
        sy += yc * area;
        sa += area;
    }
    if sa.abs() < 1e-18 {
        return (0.0, 0.0, 0.0);
    }
    (sx / sa, sy / sa, sa.abs())
}

/// Per-fin-set results.
#[derive(Debug, Clone, PartialEq)]
pub struct FinProps {
    /// One fin's outline, local.
    pub points: Vec<[f64; 2]>,
    pub count: u32,
    pub thickness: f64,
    /// Body radius at the root leading edge.
    pub body_radius: f64,
    /// One fin's exposed planform area, m².
    pub area: f64,
    pub span: f64,
    /// Whole set's mass (fins, tabs, fillets) and its local x centroid.
    pub mass: f64,
    pub cg_x: f64,
    /// Tab outline (local x, y from the root; negative = into the body), if any.
    pub tab: Option<Vec<[f64; 2]>>,
}

/// Fillet cross-section area for one fin (both sides), `FinSet.calculateFilletCrossSection`.
fn fillet_area(fillet: f64, body: f64) -> f64 {
    let hyp = fillet + body;
    if hyp <= 0.0 {
        return 0.0;
    }
    let inner = (fillet / hyp).asin();
    let outer = (fillet / hyp).acos();
    let tri = outer.tan() * fillet * fillet / 2.0;
    let a = tri - outer * fillet * fillet / 2.0 - inner * body * body / 2.0;
    if a.is_nan() {
        0.0
    } else {
        2.0 * a
    }
}

/// Computes a fin set's outline, area and mass.
pub fn fin_props(layout: &Layout, i: usize) -> Option<FinProps> {
    let c = &layout.design.components[i];
    let f = common(c)?;
    let length = layout.len[i];
    let points = fin_points(c, length);
    let count = super::position::instances(c, 3);
    let thickness = f.thickness_m.unwrap_or(0.0).max(0.0);
    let body_radius = layout.outer[i];
    let span = span(c, &points);

    // Planform: fin points lifted to the axis frame, closed along the body surface.
    let mount = mount_points(layout, i, 0.0, length);
    let mut curve: Vec<[f64; 2]> = points.iter().map(|p| [p[0], p[1] + body_radius]).collect();
    if let (Some(first), Some(last)) = (mount.first(), mount.last()) {
        // Trapezoid/elliptical outlines start and end on the root points.
        if !matches!(c.geometry, Geometry::FreeformFinSet(_)) {
            if let Some(p) = curve.first_mut() {
                *p = *first;
            }
            if let Some(p) = curve.last_mut() {
                *p = *last;
            }
        }
    }
    curve.extend(mount.iter().rev());
    let (ax, _ay, area) = curve_integral(&curve);

    let density = c.material.as_ref().map(|m| m.density).unwrap_or(0.0);
    let rel_volume = match f
        .cross_section
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("rounded") => 0.99,
        Some("airfoil") => 0.85,
        _ => 1.0,
    };
    let fin_mass = area * thickness * rel_volume * density;

    // Tab: a rectangle under the root (exact on a cylindrical parent).
    let tab_h = f.tab_height_m.unwrap_or(0.0).max(0.0);
    let tab_l = f.tab_length_m.unwrap_or(0.0).max(0.0);
    let (mut tab_mass, mut tab_x, mut tab) = (0.0, 0.0, None);
    if tab_h * tab_l > 1e-8 {
        let method = match f
            .tab_relative_to
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("center") | Some("middle") => AxialMethod::Middle,
            Some("end") | Some("bottom") => AxialMethod::Bottom,
            _ => AxialMethod::Top,
        };
        let front =
            as_position(method, f.tab_position_m.unwrap_or(0.0), tab_l, length).clamp(0.0, length);
        let tl = tab_l.min(length - front).max(0.0);
        tab_mass = tl * tab_h * thickness * density;
        tab_x = front + tl / 2.0;
        tab = Some(vec![
            [front, 0.0],
            [front, -tab_h],
            [front + tl, -tab_h],
            [front + tl, 0.0],
        ]);
    }

    // Fillets along the root, both sides of each fin.
    let fillet_r = f.fillet_radius_m.unwrap_or(0.0).max(0.0);
    let (mut fillet_mass, mut fillet_mx) = (0.0, 0.0);
    if fillet_r > 0.0
        && layout
            .profile
            .get(c.parent.unwrap_or(i))
            .is_some_and(|p| p.is_some())
    {
        let fd = f.fillet_material.as_ref().map(|m| m.density).unwrap_or(0.0);
        for w in mount.windows(2) {
            let xa = (w[0][0] + w[1][0]) / 2.0;
            let r = layout.body_radius_at(c.parent.unwrap_or(i), layout.rel_x[i] + xa);
            let seg = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
            let m = seg * fillet_area(fillet_r, r) * fd;
            fillet_mass += m;
            fillet_mx += m * xa;
        }
    }

    let each = fin_mass + tab_mass + fillet_mass;
    let cg_x = if each > 0.0 {
        (fin_mass * ax + tab_mass * tab_x + fillet_mx) / each
    } else {
        length / 2.0
    };
    Some(FinProps {
        points,
        count,
        thickness,
        body_radius,
        area,
        span,
        mass: each * count as f64,
        cg_x,
        tab,
    })
}

/// Chord-strip geometry for Barrowman (`FinSetCalc.calculateFinGeometry`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FinAero {
    pub mac_length: f64,
    pub mac_lead: f64,
    pub mac_span: f64,
    pub cos_gamma: f64,
}

/// Mean aerodynamic chord and mid-chord sweep from the outline closed along the root.
pub fn fin_aero(layout: &Layout, i: usize, props: &FinProps) -> FinAero {
    let span = props.span;
    let mut out = FinAero::default();
    if span <= 0.0 {
        return out;
    }
    let length = layout.len[i];
    let mount = mount_points(layout, i, 0.0, length);
    let mut pts: Vec<[f64; 2]> = props.points.clone();
    let root: Vec<[f64; 2]> = mount
        .iter()
        .rev()
        .map(|p| [p[0], p[1] - props.body_radius])
        .collect();
    pts.extend(root);

    let mut lead = [f64::INFINITY; STRIPS];
    let mut trail = [f64::NEG_INFINITY; STRIPS];
    for w in pts.windows(2) {
        let ([x1, y1], [x2, y2]) = (w[0], w[1]);
        if (y1 - y2).abs() <= 0.001 {
            continue;
        }
        let idx = |y: f64| -> usize {
            ((y * 1.0001 / span * (STRIPS - 1) as f64) as i64).clamp(0, STRIPS as i64 - 1) as usize
        };
        let (mut i1, mut i2) = (idx(y1), idx(y2));
        if i1 > i2 {
            std::mem::swap(&mut i1, &mut i2);
        }
        for k in i1..=i2 {
            let y = k as f64 * span / (STRIPS - 1) as f64;
            let x = ((y - y2) / (y1 - y2) * x1 + (y1 - y) / (y1 - y2) * x2)
                .clamp(x1.min(x2), x1.max(x2));
            lead[k] = lead[k].min(x);
            trail[k] = trail[k].max(x);
        }
    }
    for k in 0..STRIPS {
        if !lead[k].is_finite() || !trail[k].is_finite() {
            lead[k] = 0.0;
            trail[k] = 0.0;
        }
    }
    let dy = span / (STRIPS - 1) as f64;
    let (mut mac_len, mut mac_span, mut mac_lead, mut area, mut cos_g) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for k in 0..STRIPS {
        let l = trail[k] - lead[k];
        let y = k as f64 * dy;
        mac_len += l * l;
        mac_span += y * l;
        mac_lead += lead[k] * l;
        area += l;
        if k > 0 {
            let dx = (trail[k] + lead[k]) / 2.0 - (trail[k - 1] + lead[k - 1]) / 2.0;
            let h = dx.hypot(dy);
            if h != 0.0 {
                cos_g += dy / h;
            }
        }
    }
    mac_len *= dy;
    mac_span *= dy;
    mac_lead *= dy;
    area *= dy;
    if area > 1e-12 {
        out.mac_length = mac_len / area;
        out.mac_span = mac_span / area;
        out.mac_lead = mac_lead / area;
    }
    out.cos_gamma = cos_g / (STRIPS - 1) as f64;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(closed outline, expected area, expected x̄)`.
    fn check(points: &[[f64; 2]], area: f64, x: f64) {
        let (gx, _, ga) = curve_integral(points);
        assert!((ga - area).abs() < 1e-12, "area {ga} != {area}");
        assert!((gx - x).abs() < 1e-12, "x̄ {gx} != {x}");
    }

    #[test]
    fn planform_integrals() {
        // Rectangle 0.1 × 0.05 above a body of radius 0.02 (closed along the body).
        check(
            &[
                [0.0, 0.02],
                [0.0, 0.07],
                [0.1, 0.07],
                [0.1, 0.02],
                [0.0, 0.02],
            ],
            0.005,
            0.05,
        );
        // Right triangle, root 0.1, height 0.05, vertical leading edge: centroid x = L/3.
        check(
            &[[0.0, 0.02], [0.0, 0.07], [0.1, 0.02], [0.0, 0.02]],
            0.0025,
            0.1 / 3.0,
        );
    }

    #[test]
    fn fillet_cross_section_is_small_and_positive() {
        let a = fillet_area(0.005, 0.02);
        // Two concave fillets of radius r on a flat wall would be 2 (1 − π/4) r².
        let flat = 2.0 * (1.0 - std::f64::consts::FRAC_PI_4) * 0.005f64.powi(2);
        assert!(a > 0.0 && a < 1.2 * flat, "{a} vs {flat}");
    }
}
