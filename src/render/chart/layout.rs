//! The whole chart laid out and drawn as one display list ([`chart_scene`]), panel by panel.

use super::axes::{extent, fmt_num, runs_of, unit_divisor, Axis, Runs};
use super::branches::{self, Frame, Place};
use super::events::{cluster, marks, Ev, Mark, Packer};
use super::primitives::{
    bar, clean, fill, line, motors_text, simplify, stroke, text, vertical_text,
};
use super::{
    ChartConfig, ChartInput, ALTITUDE_COLOR, APOGEE_COLOR, FRAME, GRID, HALO, MINOR,
    VELOCITY_COLOR, WHITE, ZERO,
};
use crate::render::draw::{fit_text, INFO_INK, INK};
use crate::render::font;
use crate::render::scene::{Anchor, Item, PathData, Rgba, Scene, StrokeStyle, Style, Weight};
use crate::render::{Background, RenderError};

/// One panel: a quantity against time.
struct Panel {
    /// Altitude (else vertical velocity).
    altitude: bool,
    runs: Runs,
    axis: Axis,
    color: Rgba,
    title: String,
    top: f64,
    bottom: f64,
}

impl Panel {
    fn y(&self, v: f64) -> f64 {
        let span = self.axis.hi - self.axis.lo;
        if span > 0.0 {
            self.bottom - (v - self.axis.lo) / span * (self.bottom - self.top)
        } else {
            (self.top + self.bottom) / 2.0
        }
    }
}

/// Where a branch is drawn in each panel: its runs of the panel's quantity.
fn places<'a>(
    panels: &'a [Panel],
    ys: &'a [Box<dyn Fn(f64) -> f64 + 'a>],
    b: &'a branches::Branch,
) -> Vec<Place<'a>> {
    panels
        .iter()
        .zip(ys)
        .map(|(p, y)| Place {
            runs: if p.altitude { &b.alt } else { &b.vel },
            color: p.color,
            y: y.as_ref(),
            top: p.top,
            bottom: p.bottom,
        })
        .collect()
}

/// Builds the chart's display list, and the apogee marker's centre when drawn (for callers
/// that want their own back end).
pub fn chart_scene(
    input: &ChartInput<'_>,
    config: &ChartConfig,
) -> Result<(Scene, Option<[f64; 2]>), RenderError> {
    config.validate()?;
    let series = input.series;
    let w = f64::from(config.width_px);
    let h = f64::from(config.height_px);
    let u = (w / 1600.0).min(h / 900.0);

    // 1. Data, in SI units first to choose the display units.
    let alt_si = runs_of(&series.time_s, series.altitude_m.as_ref(), 1.0, 1.0);
    let vel_si = runs_of(
        &series.time_s,
        series.vertical_velocity_m_s.as_ref(),
        1.0,
        1.0,
    );
    // The other branches (boosters, separated stages) share the axes.
    let (alt_others_si, vel_others_si) = branches::si_runs(input.branches);
    let (t_min, t_max) = {
        let a = extent(&alt_si, 0);
        let b = extent(&vel_si, 0);
        let (lo, hi) = match (a, b) {
            (Some(a), Some(b)) => (a.0.min(b.0), a.1.max(b.1)),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => return Err(RenderError::NoFlightData),
        };
        [extent(&alt_others_si, 0), extent(&vel_others_si, 0)]
            .into_iter()
            .flatten()
            .fold((lo, hi), |(lo, hi), (a, b)| (lo.min(a), hi.max(b)))
    };
    let long_flight = t_max - t_min >= 1200.0;
    let t_div = if long_flight { 60.0 } else { 1.0 };
    let t_unit = if long_flight { "min" } else { "s" };
    let alt_div = unit_divisor(&[alt_si, alt_others_si].concat());
    let vel_div = unit_divisor(&[vel_si, vel_others_si].concat());
    let alt = runs_of(&series.time_s, series.altitude_m.as_ref(), t_div, alt_div);
    let vel = runs_of(
        &series.time_s,
        series.vertical_velocity_m_s.as_ref(),
        t_div,
        vel_div,
    );
    let others = branches::branches(input.branches, t_div, alt_div, vel_div);
    let with_others = |own: Option<(f64, f64)>, altitude: bool| {
        others
            .iter()
            .filter_map(|b| extent(if altitude { &b.alt } else { &b.vel }, 1))
            .fold(own, |acc, (a, b)| {
                acc.map(|(lo, hi)| (lo.min(a), hi.max(b)))
            })
    };

    // Events near the data widen the time range (a ground hit just after the last point).
    let (mut d0, mut d1) = (t_min / t_div, t_max / t_div);
    let reach = (d1 - d0).max(1.0 / t_div) * 0.05;
    let events: Vec<(Ev, f64)> = marks(series, t_div)
        .into_iter()
        .filter(|(_, t)| *t >= d0 - reach && *t <= d1 + reach)
        .collect();
    for (_, t) in &events {
        d0 = d0.min(*t);
        d1 = d1.max(*t);
    }
    if d1 - d0 <= d1.abs().max(d0.abs()) * 1e-9 {
        let pad = (d0.abs() * 0.1).max(1.0 / t_div);
        d1 = d0 + pad;
    }

    // 2. Fixed sizes.
    let margin = 26.0 * u;
    let title_size = 28.0 * u;
    let sub_size = 17.0 * u;
    let tick_size = 14.0 * u;
    let axis_size = 15.0 * u;
    let label_size = 13.5 * u;
    let row_h = 20.0 * u;
    let tick_len = 5.0 * u;
    let title_base = margin + font::cap_height(title_size, Weight::Bold);
    let sub_base = title_base + 30.0 * u;
    let header_bottom = sub_base + 12.0 * u;
    let bottom_base = h - margin;
    let tick_base = bottom_base - axis_size * 1.9;
    let plot_bottom = tick_base - font::cap_height(tick_size, Weight::Regular) - 9.0 * u;
    let panel_gap = 30.0 * u;

    // 3. Panels and their vertical axes (tick counts from the expected heights).
    let est_area = (plot_bottom - header_bottom - 3.0 * row_h).max(40.0 * u);
    let both = !alt.is_empty() && !vel.is_empty();
    let alt_share = if both { 0.62 } else { 1.0 };
    let mut panels: Vec<Panel> = Vec::new();
    let mut apogee: Option<[f64; 2]> = None;
    if let Some((lo, hi)) = with_others(extent(&alt, 1), true) {
        // From the ground (or below), at least one unit tall, with room for the apogee label.
        let lo = lo.min(0.0);
        let hi = hi.max(0.0).max(lo + 1.0);
        let hi = hi + (hi - lo) * 0.12;
        let est = est_area * alt_share;
        let axis = Axis::new(lo, hi, ((est / (52.0 * u)) as usize).clamp(2, 10), true);
        let unit = if alt_div > 1.0 { "km" } else { "m" };
        apogee = alt.iter().flatten().fold(None, |best, p| match best {
            Some(b) if b[1] >= p[1] => Some(b),
            _ => Some(*p),
        });
        panels.push(Panel {
            altitude: true,
            runs: alt,
            axis,
            color: ALTITUDE_COLOR,
            title: format!("Altitude ({unit})"),
            top: 0.0,
            bottom: 0.0,
        });
    }
    if let Some((lo, hi)) = with_others(extent(&vel, 1), false) {
        // Through zero, at least one unit tall.
        let (lo, hi) = (lo.min(0.0), hi.max(0.0));
        let mid = (lo + hi) / 2.0;
        let (lo, hi) = (lo.min(mid - 0.5), hi.max(mid + 0.5));
        let pad = (hi - lo) * 0.05;
        let est = est_area * (1.0 - alt_share).max(0.38);
        let axis = Axis::new(
            lo - pad,
            hi + pad,
            ((est / (48.0 * u)) as usize).clamp(2, 8),
            true,
        );
        let unit = if vel_div > 1.0 { "km/s" } else { "m/s" };
        panels.push(Panel {
            altitude: false,
            runs: vel,
            axis,
            color: VELOCITY_COLOR,
            title: format!("Vertical velocity ({unit})"),
            top: 0.0,
            bottom: 0.0,
        });
    }

    // 4. Horizontal layout: room for the axis titles and the widest tick label.
    let label_w = panels
        .iter()
        .flat_map(|p| p.axis.ticks.iter().map(move |v| p.axis.label(*v)))
        .map(|s| font::measure(&s, tick_size, Weight::Regular))
        .fold(0.0, f64::max);
    let plot_left = margin + axis_size * 1.3 + 10.0 * u + label_w + tick_len + 4.0 * u;
    let plot_right = w - margin - 14.0 * u;
    let plot_w = (plot_right - plot_left).max(1.0);

    // Time ticks: as many as their labels allow.
    let mut max_iv = ((plot_w / (95.0 * u)) as usize).clamp(2, 16);
    let t_axis = loop {
        let a = Axis::new(d0, d1, max_iv, false);
        let widest = a
            .ticks
            .iter()
            .map(|v| font::measure(&a.label(*v), tick_size, Weight::Regular))
            .fold(0.0, f64::max);
        let spacing = plot_w / (a.ticks.len().max(2) - 1) as f64;
        if widest + 18.0 * u <= spacing || max_iv <= 2 {
            break a;
        }
        max_iv -= 1;
    };
    let tx = |t: f64| plot_left + (t - t_axis.lo) / (t_axis.hi - t_axis.lo) * plot_w;

    // 5. Event labels.
    let mut major: Vec<Mark> = Vec::new();
    let mut minor: Vec<Mark> = Vec::new();
    for (ev, t) in &events {
        let m = Mark { ev: *ev, x: tx(*t) };
        if ev.major() {
            major.push(m);
        } else {
            minor.push(m);
        }
    }
    let near = 6.0 * u;
    let packer = Packer {
        left: margin,
        right: w - margin,
        gap: 4.0 * u,
        pad: 10.0 * u,
        size: label_size,
    };
    // Minor events get a label of their own only away from the main ones (an upper stage's
    // ignition at its booster's burnout is told by the burnout), and only where it costs the
    // main labels nothing.
    let minor_free: Vec<Mark> = minor
        .iter()
        .copied()
        .filter(|m| !major.iter().any(|j| (j.x - m.x).abs() <= near))
        .collect();
    let mut labels = packer.place_with_minor(cluster(&major, near), cluster(&minor_free, near));
    let rows = labels.iter().map(|(_, s)| s.row + 1).max().unwrap_or(0);

    // 6. Vertical layout.
    let band_bottom = header_bottom + rows as f64 * row_h + if rows > 0 { 8.0 * u } else { 0.0 };
    let plot_top = band_bottom + 6.0 * u;
    let area = (plot_bottom - plot_top).max(10.0);
    if panels.len() == 2 {
        let inner = (area - panel_gap).max(10.0);
        let top_h = inner * 0.62;
        panels[0].top = plot_top;
        panels[0].bottom = plot_top + top_h;
        panels[1].top = panels[0].bottom + panel_gap;
        panels[1].bottom = plot_bottom;
    } else if let Some(p) = panels.first_mut() {
        p.top = plot_top;
        p.bottom = plot_bottom;
    }

    // 7. Items.
    let mut items: Vec<Item> = Vec::with_capacity(256);
    let thin = (1.0 * u).max(0.5);
    // Grid, then the zero lines above it.
    let mut zeros = Vec::new();
    for p in &panels {
        for v in &p.axis.ticks {
            let y = p.y(*v);
            bar(&mut items, [plot_left, y], [plot_right, y], thin, GRID);
        }
        for t in &t_axis.ticks {
            let x = tx(*t);
            bar(&mut items, [x, p.top], [x, p.bottom], thin, GRID);
        }
        if p.axis.lo < 0.0 && p.axis.hi > 0.0 {
            let y = p.y(0.0);
            zeros.push(y);
        }
    }
    for y in zeros {
        bar(&mut items, [plot_left, y], [plot_right, y], 1.5 * u, ZERO);
    }
    // Event lines, through every panel.
    let (lines_top, lines_bottom) = match (panels.first(), panels.last()) {
        (Some(a), Some(b)) => (a.top, b.bottom),
        _ => (plot_top, plot_bottom),
    };
    // Dashed strokes on whole pixels (a stroke wider than a pixel is filled as a polygon, not
    // drawn pixel by pixel, and stays one short element in the SVG).
    for (marks, width, dash) in [
        (&minor, 1.5 * u, vec![2.0 * u, 3.0 * u]),
        (&major, 2.0 * u, vec![7.0 * u, 4.0 * u]),
    ] {
        for m in marks {
            let x = m.x.round();
            let color = if m.ev.major() { m.ev.color() } else { MINOR };
            line(
                &mut items,
                [x, lines_top],
                [x, lines_bottom],
                stroke(color, width.max(1.5), Some(dash.clone())),
            );
        }
    }
    // The other branches' lines, under the primary branch's.
    let ys: Vec<Box<dyn Fn(f64) -> f64 + '_>> = panels
        .iter()
        .map(|p| Box::new(move |v| p.y(v)) as Box<dyn Fn(f64) -> f64>)
        .collect();
    let frame = Frame {
        tx: &tx,
        left: plot_left,
        right: plot_right,
        u,
    };
    for b in &others {
        branches::draw_lines(&mut items, &places(&panels, &ys, b), &frame);
    }
    // Curves.
    for p in &panels {
        for run in &p.runs {
            let pts: Vec<[f64; 2]> = run.iter().map(|q| [tx(q[0]), p.y(q[1])]).collect();
            let pts = simplify(&pts, 0.2);
            if pts.len() == 1 {
                items.push(Item::Path {
                    path: PathData::circle(pts[0][0], pts[0][1], 3.0 * u),
                    style: fill(p.color),
                });
            } else {
                items.push(Item::Path {
                    path: PathData::polyline(&pts),
                    style: stroke(p.color, 2.6 * u, None),
                });
            }
        }
    }
    // Frames, ticks, tick labels, axis titles.
    let tick_cap = font::cap_height(tick_size, Weight::Regular);
    let mut frames: Vec<([f64; 2], [f64; 2])> = Vec::new();
    for (i, p) in panels.iter().enumerate() {
        frames.push(([plot_left, p.top], [plot_right, p.top]));
        frames.push(([plot_left, p.bottom], [plot_right, p.bottom]));
        frames.push(([plot_left, p.top], [plot_left, p.bottom]));
        frames.push(([plot_right, p.top], [plot_right, p.bottom]));
        for v in &p.axis.ticks {
            let y = p.y(*v);
            frames.push(([plot_left - tick_len, y], [plot_left, y]));
            text(
                &mut items,
                &p.axis.label(*v),
                [plot_left - tick_len - 4.0 * u, y + tick_cap / 2.0],
                tick_size,
                (Weight::Regular, Anchor::End, INFO_INK),
            );
        }
        let cx = margin + font::cap_height(axis_size, Weight::Bold);
        let cy = (p.top + p.bottom) / 2.0;
        let mut title = p.title.clone();
        let room = p.bottom - p.top;
        if font::measure(&title, axis_size, Weight::Bold) > room {
            // Short panels: the unit alone.
            title = title
                .rsplit_once(' ')
                .map_or(title.clone(), |(_, unit)| unit.to_string());
        }
        items.push(Item::Path {
            path: vertical_text(&title, cx, cy, axis_size, Weight::Bold),
            style: fill(p.color),
        });
        if i + 1 == panels.len() {
            for t in &t_axis.ticks {
                let x = tx(*t);
                frames.push(([x, p.bottom], [x, p.bottom + tick_len]));
                text(
                    &mut items,
                    &t_axis.label(*t),
                    [x, tick_base],
                    tick_size,
                    (Weight::Regular, Anchor::Middle, INFO_INK),
                );
            }
        }
    }
    for (a, b) in frames {
        bar(&mut items, a, b, thin, FRAME);
    }
    text(
        &mut items,
        &format!("Time ({t_unit})"),
        [(plot_left + plot_right) / 2.0, bottom_base],
        axis_size,
        (Weight::Bold, Anchor::Middle, INK),
    );

    // Apogee marker and its value.
    let mut apogee_px = None;
    let mut occupied: Vec<[f64; 4]> = Vec::new();
    if let (Some(p), Some(ap)) = (panels.first(), apogee) {
        let (mx, my) = (tx(ap[0]), p.y(ap[1]));
        let r = 7.0 * u;
        items.push(Item::Path {
            path: PathData::circle(mx, my, r),
            style: Style {
                fill: Some(APOGEE_COLOR),
                stroke: Some(StrokeStyle {
                    color: WHITE,
                    width: 2.0 * u,
                    dash: None,
                }),
            },
        });
        apogee_px = Some([mx, my]);
        let alt_text = if alt_div > 1.0 {
            let d = if ap[1].abs() >= 10_000.0 { 0 } else { 1 };
            format!("{} km", fmt_num(ap[1], d))
        } else {
            let d = if ap[1].abs() >= 100.0 { 0 } else { 1 };
            format!("{} m", fmt_num(ap[1], d))
        };
        let t_dec = if ap[0].abs() >= 100.0 { 0 } else { 1 };
        let label = format!("Apogee {alt_text} at {} {t_unit}", fmt_num(ap[0], t_dec));
        let size = 15.0 * u;
        let tw = font::measure(&label, size, Weight::Bold);
        let cap = font::cap_height(size, Weight::Bold);
        let box_pad = 4.0 * u;
        // Above the marker, else beside it.
        let above = my - r - 8.0 * u;
        let (x0, base) = if above - cap - box_pad >= p.top + 2.0 * u {
            let x0 = (mx - tw / 2.0)
                .min(plot_right - tw - box_pad - 2.0 * u)
                .max(plot_left + box_pad + 2.0 * u);
            (x0, above)
        } else {
            let right = mx + r + 8.0 * u;
            let x0 = if right + tw + box_pad <= plot_right {
                right
            } else {
                (mx - r - 8.0 * u - tw).max(plot_left + box_pad)
            };
            let base = (my + cap / 2.0).max(p.top + cap + box_pad + 2.0 * u);
            (x0, base)
        };
        let apogee_box = [
            x0 - box_pad,
            base - cap - box_pad,
            x0 + tw + box_pad,
            base + box_pad + 0.15 * size,
        ];
        occupied.push(apogee_box);
        items.push(Item::Path {
            path: PathData::rect(apogee_box[0], apogee_box[1], apogee_box[2], apogee_box[3]),
            style: fill(HALO),
        });
        text(
            &mut items,
            &label,
            [x0, base],
            size,
            (Weight::Bold, Anchor::Start, APOGEE_COLOR),
        );
    }

    // The other branches' events and names.
    for b in &others {
        branches::draw_marks(
            &mut items,
            b,
            &places(&panels, &ys, b),
            &frame,
            &mut occupied,
        );
    }

    // Event labels, with their leaders up from the plot.
    let label_cap = font::cap_height(label_size, Weight::Regular);
    labels.sort_by(|a, b| a.1.line.total_cmp(&b.1.line).then(a.1.row.cmp(&b.1.row)));
    for (g, s) in &labels {
        let base = band_bottom - 4.0 * u - s.row as f64 * row_h;
        let color = g.color();
        let lead = if g.major() { color } else { MINOR };
        bar(
            &mut items,
            [s.line, lines_top],
            [s.line, base - label_cap],
            thin,
            lead,
        );
        let (x, anchor) = match s.anchor {
            Anchor::End => (s.b, Anchor::End),
            _ => (s.a, Anchor::Start),
        };
        text(
            &mut items,
            &g.text(),
            [x, base],
            label_size,
            (Weight::Regular, anchor, color),
        );
    }

    // Title and subtitle.
    let design = clean(input.design_name);
    let design = if design.is_empty() {
        "Unnamed design".to_string()
    } else {
        design
    };
    let sim = clean(input.simulation_name);
    let sim = if sim.is_empty() {
        "Simulation".to_string()
    } else {
        sim
    };
    let motors = motors_text(input.motors);
    let avail = w - 2.0 * margin;
    let (t, ts) = fit_text(&design, title_size, Weight::Bold, avail);
    text(
        &mut items,
        &t,
        [margin, title_base],
        ts,
        (Weight::Bold, Anchor::Start, INK),
    );
    let sub = if motors.is_empty() {
        sim.clone()
    } else {
        format!("{sim}  ·  {motors}")
    };
    let (t, ss) = fit_text(&sub, sub_size, Weight::Regular, avail);
    text(
        &mut items,
        &t,
        [margin, sub_base],
        ss,
        (Weight::Regular, Anchor::Start, INFO_INK),
    );

    let background = match config.background {
        Background::White => Some(WHITE),
        Background::Transparent => None,
    };
    Ok((
        Scene {
            width: config.width_px,
            height: config.height_px,
            background,
            items,
            title: format!("{design} — {sim}: flight"),
        },
        apogee_px,
    ))
}
