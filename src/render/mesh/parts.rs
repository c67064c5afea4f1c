//! Launch lugs and rail buttons, and the walk over the resolved parts that gives each outer
//! component its triangles (pods and boosters come in through every part's instance axes).
//!
//! Inner components (inner tubes, couplers, rings, bulkheads, engine blocks, recovery and
//! mass items) are left out: they are inside the airframe.

use super::body::{axes, Bodies, Fineness, MAX_INSTANCES};
use super::buffer::Buffer;
use super::fins::{fin_set, tube_fins};
use super::revolve::{revolve, segments, solid_cylinder, tube, Frame};
use crate::geometry::{Part, PartShape};
use crate::model::Design;

/// What a component is, for its neutral colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Nose cones, transitions, body tubes.
    Body,
    /// Fin sets and tube fins.
    Fin,
    /// Launch lugs and rail buttons.
    Lug,
}

/// Launch lugs: tubes on the body surface, `count` of them `separation` apart.
fn launch_lugs(part: &Part, f: &Fineness) -> Buffer {
    let mut buf = Buffer::default();
    let PartShape::LaunchLug {
        angle_rad,
        outer_radius_m,
        inner_radius_m,
        body_radius_m,
        count,
        separation_m,
    } = &part.shape
    else {
        return buf;
    };
    let values = [
        *angle_rad,
        *outer_radius_m,
        *inner_radius_m,
        *body_radius_m,
        *separation_m,
        part.x_m,
        part.length_m,
    ];
    if values.iter().any(|v| !v.is_finite()) || part.length_m <= 0.0 {
        return buf;
    }
    let ro = outer_radius_m.abs();
    let d = body_radius_m.abs() + ro;
    let (s, c) = angle_rad.sin_cos();
    let segs = segments(ro, f.round_m, 8, f.max_segments);
    for [ay, az] in axes(part) {
        let frame = Frame::along_x([ay + d * c, az + d * s]);
        for k in 0..(*count as usize).clamp(1, MAX_INSTANCES) {
            if buf.triangles() > f.max_triangles {
                return buf;
            }
            let x0 = part.x_m + k as f64 * separation_m;
            let m = tube(x0, x0 + part.length_m, ro, inner_radius_m.abs());
            revolve(&mut buf, &frame, &m, segs);
        }
    }
    buf
}

/// Rail buttons as the drawing shows them: a stem (inner radius, or half the outer) up to
/// 60 % of the height, then the flange (outer radius); `count` of them `separation` apart,
/// the first one's fore edge at the part's x.
fn rail_buttons(part: &Part, f: &Fineness) -> Buffer {
    let mut buf = Buffer::default();
    let PartShape::RailButton {
        angle_rad,
        outer_radius_m,
        inner_radius_m,
        height_m,
        body_radius_m,
        count,
        separation_m,
    } = &part.shape
    else {
        return buf;
    };
    let values = [
        *angle_rad,
        *outer_radius_m,
        *inner_radius_m,
        *height_m,
        *body_radius_m,
        *separation_m,
        part.x_m,
    ];
    if values.iter().any(|v| !v.is_finite()) {
        return buf;
    }
    let ro = outer_radius_m.abs();
    let ri = if *inner_radius_m > 0.0 && *inner_radius_m < ro {
        *inner_radius_m
    } else {
        ro * 0.5
    };
    let rb = body_radius_m.abs();
    let h = height_m.abs();
    if !(h > 0.0 && ro > 0.0) {
        return buf;
    }
    let (s, c) = angle_rad.sin_cos();
    // The stem's foot sits on the body surface at its sides, the flange from 60 % up.
    let foot = (rb * rb - ri * ri).max(0.0).sqrt();
    let (mid, top) = (rb + 0.6 * h, rb + h);
    let stem = [[foot, ri], [mid, ri]];
    let flange = solid_cylinder(mid, top, ro);
    let (n_stem, n_flange) = (
        segments(ri, f.round_m, 8, f.max_segments),
        segments(ro, f.round_m, 8, f.max_segments),
    );
    for [ay, az] in axes(part) {
        for k in 0..(*count as usize).clamp(1, MAX_INSTANCES) {
            if buf.triangles() > f.max_triangles {
                return buf;
            }
            let cx = part.x_m + ro + k as f64 * separation_m;
            let frame = Frame {
                o: [cx, ay, az],
                a: [0.0, c, s],
                u: [1.0, 0.0, 0.0],
            };
            revolve(&mut buf, &frame, &stem, n_stem);
            revolve(&mut buf, &frame, &flange, n_flange);
        }
    }
    buf
}

/// The triangles of one part and what it is, `None` for parts not meshed (inner parts,
/// stages, pods themselves) or without triangles.
pub(super) fn part_mesh(
    design: &Design,
    part: &Part,
    bodies: &Bodies,
    f: &Fineness,
) -> Option<(Buffer, Role)> {
    if part.inner {
        return None;
    }
    let (buf, role) = match &part.shape {
        PartShape::Body { .. } => {
            let b = bodies.list.iter().find(|b| b.index == part.index)?;
            (bodies.mesh(b, f), Role::Body)
        }
        PartShape::Fins { .. } => (fin_set(design, part, bodies, f), Role::Fin),
        PartShape::TubeFins { .. } => (tube_fins(part, f), Role::Fin),
        PartShape::LaunchLug { .. } => (launch_lugs(part, f), Role::Lug),
        PartShape::RailButton { .. } => (rail_buttons(part, f), Role::Lug),
        PartShape::Stage
        | PartShape::Assembly { .. }
        | PartShape::Tube(_)
        | PartShape::Packed { .. } => return None,
    };
    (buf.triangles() > 0).then_some((buf, role))
}

#[cfg(test)]
mod tests {
    use super::super::buffer::tests::{check, fine};
    use super::*;
    use crate::model::ComponentKind;

    fn part(shape: PartShape, axes: Vec<[f64; 2]>) -> Part {
        Part {
            index: 0,
            kind: ComponentKind::LaunchLug,
            x_m: 0.5,
            length_m: 0.05,
            axes,
            inner: false,
            shape,
        }
    }

    /// (shape, axes, expected x range, expected largest distance from the first axis)
    #[test]
    fn lugs_and_buttons_stand_on_the_body() {
        let lug = PartShape::LaunchLug {
            angle_rad: 0.0,
            outer_radius_m: 0.003,
            inner_radius_m: 0.0025,
            body_radius_m: 0.02,
            count: 2,
            separation_m: 0.1,
        };
        let button = PartShape::RailButton {
            angle_rad: std::f64::consts::FRAC_PI_2,
            outer_radius_m: 0.005,
            inner_radius_m: 0.003,
            height_m: 0.008,
            body_radius_m: 0.02,
            count: 2,
            separation_m: 0.3,
        };
        let cases = [
            (lug.clone(), vec![[0.0, 0.0]], (0.5, 0.65), 0.026),
            (lug, vec![[0.0, 0.0], [0.1, 0.0]], (0.5, 0.65), 0.026 + 0.1),
            (
                button,
                vec![[0.0, 0.0]],
                (0.5, 0.81),
                (0.028f64.powi(2) + 0.005f64.powi(2)).sqrt(),
            ),
        ];
        for (shape, axes, (x0, x1), reach) in cases {
            let p = part(shape, axes);
            let buf = match &p.shape {
                PartShape::LaunchLug { .. } => launch_lugs(&p, &fine()),
                _ => rail_buttons(&p, &fine()),
            };
            check(&buf).unwrap();
            let xs = buf.pos.iter().map(|q| q[0]);
            let lo = xs.clone().fold(f64::INFINITY, f64::min);
            let hi = xs.fold(f64::NEG_INFINITY, f64::max);
            assert!(
                (lo - x0).abs() < 1e-12 && (hi - x1).abs() < 1e-12,
                "{lo} {hi}"
            );
            let far = buf.pos.iter().map(|q| q[1].hypot(q[2])).fold(0.0, f64::max);
            assert!((far - reach).abs() < 1e-9, "{far} vs {reach}");
        }
    }

    #[test]
    fn odd_parts_give_nothing() {
        for shape in [
            PartShape::LaunchLug {
                angle_rad: f64::NAN,
                outer_radius_m: 0.003,
                inner_radius_m: 0.0,
                body_radius_m: 0.02,
                count: 1,
                separation_m: 0.0,
            },
            PartShape::RailButton {
                angle_rad: 0.0,
                outer_radius_m: 0.003,
                inner_radius_m: 0.0,
                height_m: 0.0,
                body_radius_m: 0.02,
                count: 1,
                separation_m: 0.0,
            },
        ] {
            let p = part(shape, vec![[0.0, 0.0]]);
            assert_eq!(
                launch_lugs(&p, &fine()).triangles() + rail_buttons(&p, &fine()).triangles(),
                0
            );
        }
    }
}
