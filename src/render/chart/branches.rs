//! The other branches of a flight (boosters that fell away, separated stages): thinner, lighter
//! lines in the same panels as the primary branch, each labelled with its branch name at its
//! end, and its own events marked on its own line (a dot in the event's colour where the
//! branch was at that time).

use super::axes::{runs_of, Runs};
use super::events::{marks, Ev};
use super::primitives::{clean, fill, stroke, text};
use super::{HALO, MINOR, WHITE};
use crate::model::BranchSeries;
use crate::render::font;
use crate::render::scene::{Anchor, Item, PathData, Rgba, StrokeStyle, Style, Weight};

/// Opacity of an other branch's line (of 255).
const LINE_ALPHA: u8 = 150;

/// One other branch, in display units.
pub(super) struct Branch {
    pub(super) name: String,
    pub(super) alt: Runs,
    pub(super) vel: Runs,
    events: Vec<(Ev, f64)>,
}

/// The other branches' altitude and vertical velocity runs in SI units (to choose the units
/// and the time range with the primary branch's).
pub(super) fn si_runs(branches: &[BranchSeries]) -> (Runs, Runs) {
    let mut alt = Runs::new();
    let mut vel = Runs::new();
    for b in branches {
        alt.extend(runs_of(&b.time_s, b.altitude_m.as_ref(), 1.0, 1.0));
        vel.extend(runs_of(
            &b.time_s,
            b.vertical_velocity_m_s.as_ref(),
            1.0,
            1.0,
        ));
    }
    (alt, vel)
}

/// The other branches with data, in display units.
pub(super) fn branches(
    series: &[BranchSeries],
    t_div: f64,
    alt_div: f64,
    vel_div: f64,
) -> Vec<Branch> {
    let mut seen: Vec<String> = Vec::new();
    series
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let name = clean(b.branch.as_deref());
            let name = if name.is_empty() {
                format!("Branch {}", i + 2)
            } else {
                name
            };
            // Two stages of the same name: the second is "… 2".
            let same = seen.iter().filter(|n| **n == name).count();
            seen.push(name.clone());
            Branch {
                name: if same > 0 {
                    format!("{name} {}", same + 1)
                } else {
                    name
                },
                alt: runs_of(&b.time_s, b.altitude_m.as_ref(), t_div, alt_div),
                vel: runs_of(&b.time_s, b.vertical_velocity_m_s.as_ref(), t_div, vel_div),
                events: marks(b, t_div),
            }
        })
        .filter(|b| !b.alt.is_empty() || !b.vel.is_empty())
        .collect()
}

/// The value of `runs` at time `t`, linearly between its points (`None` outside them or in a
/// gap).
fn value_at(runs: &Runs, t: f64) -> Option<f64> {
    for run in runs {
        let (first, last) = (run.first()?, run.last()?);
        if t < first[0] || t > last[0] {
            continue;
        }
        let i = run.partition_point(|p| p[0] < t);
        let b = run[i.min(run.len() - 1)];
        if i == 0 || b[0] == t {
            return Some(b[1]);
        }
        let a = run[i - 1];
        let f = (t - a[0]) / (b[0] - a[0]);
        return Some(a[1] + (b[1] - a[1]) * f);
    }
    None
}

/// Where a branch is drawn: one of the chart's panels, as its runs of the branch, its colour
/// and how values map to pixels.
pub(super) struct Place<'a> {
    pub(super) runs: &'a Runs,
    pub(super) color: Rgba,
    pub(super) y: &'a dyn Fn(f64) -> f64,
    pub(super) top: f64,
    pub(super) bottom: f64,
}

/// Sizes and the time axis shared by every branch.
pub(super) struct Frame<'a> {
    pub(super) tx: &'a dyn Fn(f64) -> f64,
    pub(super) left: f64,
    pub(super) right: f64,
    pub(super) u: f64,
}

/// Draws one other branch's lines (one per panel), under the primary branch's.
pub(super) fn draw_lines(items: &mut Vec<Item>, places: &[Place<'_>], frame: &Frame<'_>) {
    for place in places {
        let color = Rgba(place.color.0, place.color.1, place.color.2, LINE_ALPHA);
        for run in place.runs {
            let pts: Vec<[f64; 2]> = run
                .iter()
                .map(|q| [(frame.tx)(q[0]), (place.y)(q[1])])
                .collect();
            let pts = super::primitives::simplify(&pts, 0.2);
            if pts.len() == 1 {
                items.push(Item::Path {
                    path: PathData::circle(pts[0][0], pts[0][1], 2.2 * frame.u),
                    style: fill(color),
                });
            } else {
                items.push(Item::Path {
                    path: PathData::polyline(&pts),
                    style: stroke(color, 1.5 * frame.u, None),
                });
            }
        }
    }
}

/// Marks a branch's events on its own line (in the first panel where it has data at the
/// event's time) and writes its name at the end of that line, clear of the text boxes in
/// `occupied` (`[x0, y0, x1, y1]`), to which it adds its own.
pub(super) fn draw_marks(
    items: &mut Vec<Item>,
    branch: &Branch,
    places: &[Place<'_>],
    frame: &Frame<'_>,
    occupied: &mut Vec<[f64; 4]>,
) {
    let u = frame.u;
    for &(ev, t) in &branch.events {
        let Some((place, v)) = places
            .iter()
            .find_map(|p| value_at(p.runs, t).map(|v| (p, v)))
        else {
            continue;
        };
        let color = if ev.major() { ev.color() } else { MINOR };
        items.push(Item::Path {
            path: PathData::circle((frame.tx)(t), (place.y)(v), 4.0 * u),
            style: Style {
                fill: Some(color),
                stroke: Some(StrokeStyle {
                    color: WHITE,
                    width: 1.5 * u,
                    dash: None,
                }),
            },
        });
    }
    // The name, at the end of the branch's line in its first panel.
    let Some(place) = places.iter().find(|p| !p.runs.is_empty()) else {
        return;
    };
    let Some(end) = place
        .runs
        .iter()
        .flatten()
        .max_by(|a, b| a[0].total_cmp(&b[0]))
    else {
        return;
    };
    let size = 13.0 * u;
    let cap = font::cap_height(size, Weight::Bold);
    let width = font::measure(&branch.name, size, Weight::Bold);
    let (x, y) = ((frame.tx)(end[0]), (place.y)(end[1]));
    let pad = 3.0 * u;
    // Right of the end, else left of it; a little above the line, inside the panel.
    let x0 = if x + 8.0 * u + width + pad <= frame.right {
        x + 8.0 * u
    } else {
        (x - 8.0 * u - width).max(frame.left + pad)
    };
    let lowest = place.bottom - pad - 2.0 * u;
    let highest = place.top + cap + pad + 2.0 * u;
    let mut base = (y - 6.0 * u).max(highest).min(lowest);
    let clash = |base: f64, occupied: &[[f64; 4]]| {
        let b = [x0 - pad, base - cap - pad, x0 + width + pad, base + pad];
        occupied
            .iter()
            .any(|o| b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3])
    };
    // Up a line at a time while it would cover another label, then down from the line.
    let step = cap + 2.0 * pad + 2.0 * u;
    let start = base;
    while clash(base, occupied) && base - step >= highest {
        base -= step;
    }
    if clash(base, occupied) {
        base = start;
        while clash(base, occupied) && base + step <= lowest {
            base += step;
        }
    }
    occupied.push([x0 - pad, base - cap - pad, x0 + width + pad, base + pad]);
    items.push(Item::Path {
        path: PathData::rect(x0 - pad, base - cap - pad, x0 + width + pad, base + pad),
        style: fill(HALO),
    });
    text(
        items,
        &branch.name,
        [x0, base],
        size,
        (Weight::Bold, Anchor::Start, place.color),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_between_points_and_none_in_gaps() {
        let runs: Runs = vec![vec![[0.0, 0.0], [1.0, 10.0], [2.0, 30.0]], vec![[5.0, 7.0]]];
        assert_eq!(value_at(&runs, 0.0), Some(0.0));
        assert_eq!(value_at(&runs, 0.5), Some(5.0));
        assert_eq!(value_at(&runs, 1.5), Some(20.0));
        assert_eq!(value_at(&runs, 2.0), Some(30.0));
        assert_eq!(value_at(&runs, 3.0), None, "a gap");
        assert_eq!(value_at(&runs, 5.0), Some(7.0));
        assert_eq!(value_at(&runs, -1.0), None);
    }
}
