//! Flight charts: altitude and vertical velocity of one simulation against time, with its
//! flight events, drawn with the same stack as the profile image (one [`Scene`] display list,
//! rasterised by [`raster`] and written by [`svg`], text as glyph outlines of [`font`]).
//!
//! # What is drawn
//!
//! On a 1600 × 900 canvas (by default): the design's name as the title, then the simulation's
//! name and the motors it flies; below, two panels sharing one time axis — altitude on top
//! (the larger), vertical velocity below — each with round 1-2-5 ticks, light grid lines and
//! an axis title with its unit (m or km, m/s or km/s, s or min for very long flights). The
//! main events (launch rod clearance, burnout, apogee, recovery device deployment, ground hit)
//! are coloured vertical lines through both panels, labelled in plain words in a band above
//! the plot; minor ones (ignition after lift-off, stage separation, ejection charge without a
//! deployment) are dotted grey lines, labelled only where there is room. Labels never overlap:
//! events a few pixels apart share one label ("Apogee · Deployment"), the others are stacked
//! on up to [`MAX_LABEL_ROWS`] rows, and when even that is not enough a label absorbs its right
//! neighbour ("Burnout ×3"). The apogee — the highest altitude of the series — has a red
//! marker on the curve and its value and time ("Apogee 612 m at 7.8 s").
//!
//! A quantity that is missing or has no usable value leaves its panel out (the other takes the
//! whole height); gaps (`None`, non-finite or beyond [`MAX_VALUE`]) break the line; a lone
//! point is drawn as a dot. Without a single altitude or vertical velocity value there is no
//! chart ([`RenderError::NoFlightData`]).
//!
//! # Which simulation
//!
//! [`primary_simulation`] picks the simulation a design's page shows, [`simulation_motors`]
//! lists the motors it flies, and [`primary_chart`] chains them with [`flight_chart`].
//!
//! Output is deterministic: the same input gives the same PNG and SVG bytes.

use super::draw::{fit_text, INFO_INK, INK};
use super::font;
use super::scene::{Anchor, Cmd, Item, PathData, Rgba, Scene, StrokeStyle, Style, Weight};
use super::{raster, svg, Background, RenderError};
use crate::model::{BranchSeries, Design, Simulation};

/// Values (and times) beyond this magnitude are treated as gaps, like non-finite ones.
pub const MAX_VALUE: f64 = 1e12;

/// Rows of event labels above the plot, at most.
pub const MAX_LABEL_ROWS: usize = 4;

/// Minor event labels tried, at most (each try lays every label out again).
const MAX_MINOR_TRIES: usize = 12;

/// The apogee marker's fill.
pub const APOGEE_COLOR: Rgba = Rgba::hex(0xd81e1e);
/// The altitude curve.
pub const ALTITUDE_COLOR: Rgba = Rgba::hex(0x1f4fd0);
/// The vertical velocity curve.
pub const VELOCITY_COLOR: Rgba = Rgba::hex(0x0d8a5c);

const GRID: Rgba = Rgba::hex(0xe6ebf0);
const FRAME: Rgba = Rgba::hex(0xc3ccd6);
const ZERO: Rgba = Rgba::hex(0x8a96a3);
const MINOR: Rgba = Rgba::hex(0x9aa6b3);
const MINOR_TEXT: Rgba = Rgba::hex(0x7d8996);
const WHITE: Rgba = Rgba(255, 255, 255, 255);
const HALO: Rgba = Rgba(255, 255, 255, 225);

/// Size and background of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartConfig {
    /// Image width, pixels (320 ..= 8192; 1600).
    pub width_px: u32,
    /// Image height, pixels (200 ..= 8192; 900).
    pub height_px: u32,
    pub background: Background,
}

impl Default for ChartConfig {
    fn default() -> Self {
        ChartConfig {
            width_px: 1600,
            height_px: 900,
            background: Background::White,
        }
    }
}

impl ChartConfig {
    fn validate(&self) -> Result<(), RenderError> {
        if !(320..=8192).contains(&self.width_px) || !(200..=8192).contains(&self.height_px) {
            return Err(RenderError::Config(format!(
                "chart size {}×{} (must be 320 ..= 8192 wide, 200 ..= 8192 high)",
                self.width_px, self.height_px
            )));
        }
        Ok(())
    }
}

/// What one chart shows.
#[derive(Debug, Clone, Copy)]
pub struct ChartInput<'a> {
    /// The design's name (the title).
    pub design_name: Option<&'a str>,
    /// The simulation's name.
    pub simulation_name: Option<&'a str>,
    /// Motor designations flown (e.g. `C6-5`), in order; repeats are counted (`D12-3 ×2`).
    pub motors: &'a [String],
    /// The flight: time, altitude, vertical velocity and events.
    pub series: &'a BranchSeries,
}

/// A rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// PNG (RGB on white, RGBA when transparent).
    pub png: Vec<u8>,
    /// The same drawing as SVG (user units = pixels).
    pub svg: String,
    pub width: u32,
    pub height: u32,
    /// Full-image pixel centre of the apogee marker, when drawn.
    pub apogee_px: Option<[f64; 2]>,
}

/// Renders the flight chart of one simulation as PNG and SVG.
pub fn flight_chart(input: &ChartInput<'_>, config: &ChartConfig) -> Result<Chart, RenderError> {
    let (scene, apogee_px) = chart_scene(input, config)?;
    let opaque = scene.background.is_some_and(|b| b.3 == 255);
    let (w, h) = (scene.width, scene.height);
    let pm = raster::rasterize(&scene, w, h, 1.0)?;
    let png = raster::encode_png(&pm, opaque)?;
    drop(pm);
    let svg = svg::to_svg(&scene);
    Ok(Chart {
        png,
        svg,
        width: w,
        height: h,
        apogee_px,
    })
}

/// The simulation a design's page shows: the first simulation with data (a series) that flies
/// the default motor configuration, or else the first simulation with data. Returns its index
/// in [`Design::simulations`] and the simulation.
pub fn primary_simulation(design: &Design) -> Option<(usize, &Simulation)> {
    let i = design.primary_simulation()?;
    Some((i, &design.simulations[i]))
}

/// The motors a simulation flies, as OpenRocket names them: for each component (file order)
/// that is a motor mount, its motor for the simulation's configuration, as the designation
/// and the ejection delay (`C6-5`; the designation alone when the file gives no delay).
/// Empty when the simulation names no configuration or no mount has a motor for it.
pub fn simulation_motors(design: &Design, sim: &Simulation) -> Vec<String> {
    let Some(config) = sim.conditions.config_id.as_deref() else {
        return Vec::new();
    };
    design
        .components
        .iter()
        .filter_map(|c| c.motor_mount.as_ref())
        .flat_map(|m| m.motors.iter())
        .filter(|m| m.config_id == config)
        .filter_map(|m| {
            let d = m.designation.as_deref()?.trim();
            (!d.is_empty()).then(|| with_delay(d, m.delay_s))
        })
        .collect()
}

/// `C6` and 5 s → `C6-5`; a delay the designation already ends with is not repeated, and a
/// designation that says plugged (`7579M1520-P`) takes none.
fn with_delay(designation: &str, delay_s: Option<f64>) -> String {
    if designation.ends_with("-P") || designation.ends_with("-p") {
        return designation.to_string();
    }
    match delay_s {
        Some(d) if d.is_finite() && (0.0..1000.0).contains(&d) => {
            let d = (d * 10.0).round() / 10.0;
            let suffix = if d.fract() == 0.0 {
                format!("-{}", d as i64)
            } else {
                format!("-{d:.1}")
            };
            if designation.ends_with(&suffix) {
                designation.to_string()
            } else {
                format!("{designation}{suffix}")
            }
        }
        _ => designation.to_string(),
    }
}

/// The chart of a design's [`primary_simulation`] (its main branch), or `None` when no
/// simulation has data.
pub fn primary_chart(design: &Design, config: &ChartConfig) -> Result<Option<Chart>, RenderError> {
    let Some((_, sim)) = primary_simulation(design) else {
        return Ok(None);
    };
    let Some(series) = &sim.series else {
        return Ok(None);
    };
    let motors = simulation_motors(design, sim);
    let input = ChartInput {
        design_name: design.rocket.name.as_deref(),
        simulation_name: sim.name.as_deref(),
        motors: &motors,
        series: &series.main,
    };
    flight_chart(&input, config).map(Some)
}

// ---------------------------------------------------------------------------------------------
// Ticks.

/// Round tick values covering a range: `lo ≤ min`, `hi ≥ max`, a step of 1, 2 or 5 × 10ⁿ, and
/// `values` from `lo` to `hi` by `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    pub values: Vec<f64>,
}

/// The roundest ticks covering `[min, max]` in at most `max_intervals` steps (at least 2).
/// A degenerate range (one value) is widened by 10 % of its magnitude, or by 1 around zero;
/// non-finite bounds give `[0, 1]`.
pub fn nice_ticks(min: f64, max: f64, max_intervals: usize) -> Ticks {
    let (mut a, mut b) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else if min.is_finite() {
        (min, min)
    } else if max.is_finite() {
        (max, max)
    } else {
        (0.0, 1.0)
    };
    // Far beyond any flight: keep the arithmetic exact.
    a = a.clamp(-1e15, 1e15);
    b = b.clamp(-1e15, 1e15);
    let mag = a.abs().max(b.abs());
    if b - a <= mag * 1e-9 {
        let pad = if mag > 0.0 { mag * 0.1 } else { 1.0 };
        a -= pad;
        b += pad;
    }
    let n = max_intervals.clamp(2, 100);
    let raw = (b - a) / n as f64;
    let exp0 = raw.log10().floor() as i32;
    let mut chosen = None;
    'search: for exp in exp0..exp0 + 40 {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(exp);
            let lo_k = (a / step + 1e-9).floor();
            let hi_k = (b / step - 1e-9).ceil();
            if step > 0.0 && hi_k - lo_k <= n as f64 && hi_k > lo_k {
                chosen = Some((step, lo_k, hi_k));
                break 'search;
            }
        }
    }
    let (step, lo_k, hi_k) = chosen.unwrap_or_else(|| {
        // Unreachable for finite input; a safe answer anyway.
        let step = (b - a).max(1e-300);
        ((step), (a / step).floor(), (a / step).floor() + 1.0)
    });
    let values: Vec<f64> = (0..=((hi_k - lo_k) as usize).min(100))
        .map(|i| {
            let v = (lo_k + i as f64) * step;
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect();
    Ticks {
        lo: lo_k * step,
        hi: hi_k * step,
        step,
        values,
    }
}

/// Decimals that show a tick step exactly (0 for steps of 1 and more).
fn decimals_for(step: f64) -> usize {
    if !(step.is_finite() && step > 0.0) || step >= 1.0 {
        return 0;
    }
    (-(step.log10() + 1e-9)).ceil().clamp(0.0, 12.0) as usize
}

/// A number with fixed decimals, a real minus sign, thin-space thousands groups from five
/// digits on, and never `-0`.
pub(crate) fn fmt_num(v: f64, decimals: usize) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let int = if int.len() >= 5 {
        let mut out = String::with_capacity(int.len() + int.len() / 3);
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push('\u{2009}');
            }
            out.push(ch);
        }
        out
    } else {
        int
    };
    let zero = s.chars().all(|c| c == '0' || c == '.');
    let mut out = String::new();
    if v < 0.0 && !zero {
        out.push('−');
    }
    out.push_str(&int);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

/// An axis in display units: its range, tick values and how they are printed.
#[derive(Debug, Clone)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    decimals: usize,
}

impl Axis {
    /// Ticks covering `[dmin, dmax]`; with `trim`, an end tick interval that the data hardly
    /// enters (less than a quarter) is cut back to the data plus a small margin.
    fn new(dmin: f64, dmax: f64, max_intervals: usize, trim: bool) -> Axis {
        let t = nice_ticks(dmin, dmax, max_intervals);
        let (mut lo, mut hi) = (t.lo, t.hi);
        if trim && t.values.len() > 2 && dmin.is_finite() && dmax.is_finite() {
            let pad = 0.02 * (dmax - dmin).max(t.step);
            if (t.values[1] - dmin) / t.step < 0.25 {
                lo = dmin - pad;
            }
            if (dmax - t.values[t.values.len() - 2]) / t.step < 0.25 {
                hi = dmax + pad;
            }
        }
        let eps = t.step * 1e-6;
        let ticks = t
            .values
            .iter()
            .copied()
            .filter(|v| *v >= lo - eps && *v <= hi + eps)
            .collect();
        Axis {
            lo,
            hi,
            ticks,
            decimals: decimals_for(t.step),
        }
    }

    fn label(&self, v: f64) -> String {
        fmt_num(v, self.decimals)
    }
}

// ---------------------------------------------------------------------------------------------
// Data.

fn usable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_VALUE
}

/// Runs of consecutive usable `(t, value)` points, in display units; a gap ends a run.
fn runs_of(time: &[f64], values: Option<&Vec<Option<f64>>>, t_div: f64, v_div: f64) -> Runs {
    let mut runs = Vec::new();
    let Some(values) = values else {
        return runs;
    };
    let mut cur: Vec<[f64; 2]> = Vec::new();
    for (t, v) in time.iter().zip(values) {
        match v {
            Some(v) if usable(*t) && usable(*v) => cur.push([*t / t_div, *v / v_div]),
            _ => {
                if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

type Runs = Vec<Vec<[f64; 2]>>;

/// `(min, max)` of coordinate `i` over all points.
fn extent(runs: &Runs, i: usize) -> Option<(f64, f64)> {
    runs.iter().flatten().fold(None, |acc, p| match acc {
        None => Some((p[i], p[i])),
        Some((a, b)) => Some((a.min(p[i]), b.max(p[i]))),
    })
}

/// Unit of a quantity axis: the base unit, or its thousandfold (`km`) from 10 000 on.
fn unit_divisor(runs_si: &Runs) -> f64 {
    match extent(runs_si, 1) {
        Some((a, b)) if a.abs().max(b.abs()) >= 10_000.0 => 1000.0,
        _ => 1.0,
    }
}

// ---------------------------------------------------------------------------------------------
// Events.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    LaunchRod,
    Burnout,
    Apogee,
    Deployment,
    GroundHit,
    Ignition,
    Separation,
    Ejection,
}

impl Ev {
    fn parse(kind: &str) -> Option<Ev> {
        let k = kind.trim().to_ascii_lowercase();
        Some(match k.as_str() {
            "launchrod" => Ev::LaunchRod,
            "burnout" => Ev::Burnout,
            "apogee" => Ev::Apogee,
            "recoverydevicedeployment" => Ev::Deployment,
            "groundhit" => Ev::GroundHit,
            "ignition" => Ev::Ignition,
            "stageseparation" => Ev::Separation,
            "ejectioncharge" => Ev::Ejection,
            _ => return None,
        })
    }

    fn major(self) -> bool {
        matches!(
            self,
            Ev::LaunchRod | Ev::Burnout | Ev::Apogee | Ev::Deployment | Ev::GroundHit
        )
    }

    fn label(self) -> &'static str {
        match self {
            Ev::LaunchRod => "Launch rod clear",
            Ev::Burnout => "Burnout",
            Ev::Apogee => "Apogee",
            Ev::Deployment => "Deployment",
            Ev::GroundHit => "Ground hit",
            Ev::Ignition => "Ignition",
            Ev::Separation => "Stage separation",
            Ev::Ejection => "Ejection charge",
        }
    }

    fn color(self) -> Rgba {
        match self {
            Ev::LaunchRod => Rgba::hex(0x56626f),
            Ev::Burnout => Rgba::hex(0xd96c00),
            Ev::Apogee => APOGEE_COLOR,
            Ev::Deployment => Rgba::hex(0x7a3db8),
            Ev::GroundHit => Rgba::hex(0x8a5a2e),
            Ev::Ignition | Ev::Separation | Ev::Ejection => MINOR,
        }
    }
}

/// One event to draw: kind, time (display units) and pixel column.
#[derive(Debug, Clone, Copy)]
struct Mark {
    ev: Ev,
    x: f64,
}

/// The events of the series worth drawing, in time order, in display time units.
fn marks(series: &BranchSeries, t_div: f64) -> Vec<(Ev, f64)> {
    let mut launch_t = f64::INFINITY;
    for e in &series.events {
        let k = e.kind.trim().to_ascii_lowercase();
        if (k == "launch" || k == "liftoff") && usable(e.time_s) {
            launch_t = launch_t.min(e.time_s);
        }
    }
    if !launch_t.is_finite() {
        launch_t = series
            .time_s
            .iter()
            .copied()
            .filter(|t| usable(*t))
            .fold(f64::INFINITY, f64::min);
    }
    let deployments: Vec<f64> = series
        .events
        .iter()
        .filter(|e| Ev::parse(&e.kind) == Some(Ev::Deployment) && usable(e.time_s))
        .map(|e| e.time_s)
        .collect();
    let mut out: Vec<(Ev, f64)> = series
        .events
        .iter()
        .filter(|e| usable(e.time_s))
        .filter_map(|e| Ev::parse(&e.kind).map(|ev| (ev, e.time_s)))
        .filter(|(ev, t)| match ev {
            // The first ignition is the launch itself.
            Ev::Ignition => *t > launch_t + 1e-3,
            // An ejection charge that deploys something is shown by the deployment.
            Ev::Ejection => !deployments.iter().any(|d| (d - t).abs() <= 0.25),
            _ => true,
        })
        .map(|(ev, t)| (ev, t / t_div))
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    // The same event twice at (nearly) the same time is one event.
    out.dedup_by(|b, a| a.0 == b.0 && (a.1 - b.1).abs() < 1e-9);
    out
}

/// Events sharing one label.
#[derive(Debug, Clone)]
struct Group {
    marks: Vec<Mark>,
}

impl Group {
    fn x(&self) -> f64 {
        self.marks.first().map_or(0.0, |m| m.x)
    }

    /// "Apogee · Deployment", "Burnout ×3".
    fn text(&self) -> String {
        let mut kinds: Vec<(Ev, usize)> = Vec::new();
        for m in &self.marks {
            match kinds.iter_mut().find(|(e, _)| *e == m.ev) {
                Some((_, n)) => *n += 1,
                None => kinds.push((m.ev, 1)),
            }
        }
        kinds
            .iter()
            .map(|(e, n)| {
                if *n > 1 {
                    format!("{} ×{n}", e.label())
                } else {
                    e.label().to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    fn major(&self) -> bool {
        self.marks.iter().any(|m| m.ev.major())
    }

    fn color(&self) -> Rgba {
        let first = self.marks.first().map(|m| m.ev);
        match first {
            Some(e) if e.major() && self.marks.iter().all(|m| m.ev == e) => e.color(),
            _ if self.major() => INK,
            _ => MINOR_TEXT,
        }
    }
}

/// Clusters marks (sorted by x) closer than `near` pixels.
fn cluster(marks: &[Mark], near: f64) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for m in marks {
        match out.last_mut() {
            Some(g) if g.marks.last().is_some_and(|l| m.x - l.x <= near) => g.marks.push(*m),
            _ => out.push(Group { marks: vec![*m] }),
        }
    }
    out
}

/// A label's place in the band: its row (0 next to the plot), its text span and its line.
#[derive(Debug, Clone, Copy)]
struct Slot {
    row: usize,
    a: f64,
    b: f64,
    line: f64,
    anchor: Anchor,
}

struct Packer {
    /// Allowed text extent.
    left: f64,
    right: f64,
    gap: f64,
    pad: f64,
    size: f64,
}

impl Packer {
    fn span(&self, x: f64, w: f64) -> (f64, f64, Anchor) {
        if x + self.gap + w <= self.right {
            (x + self.gap, x + self.gap + w, Anchor::Start)
        } else if x - self.gap - w >= self.left {
            (x - self.gap - w, x - self.gap, Anchor::End)
        } else {
            (self.right - w, self.right, Anchor::End)
        }
    }

    fn fits(&self, s: &Slot, placed: &[Slot]) -> bool {
        let p = self.pad;
        placed.iter().all(|q| {
            if q.row == s.row {
                s.b + p <= q.a || q.b + p <= s.a
            } else if q.row > s.row {
                // q's line crosses row s.row.
                !(q.line > s.a - p / 2.0 && q.line < s.b + p / 2.0)
            } else {
                !(s.line > q.a - p / 2.0 && s.line < q.b + p / 2.0)
            }
        })
    }

    fn place(&self, g: &Group, rows: usize, placed: &[Slot]) -> Option<Slot> {
        let w = font::measure(&g.text(), self.size, Weight::Regular);
        let (a, b, anchor) = self.span(g.x(), w);
        (0..rows)
            .map(|row| Slot {
                row,
                a,
                b,
                line: g.x(),
                anchor,
            })
            .find(|s| self.fits(s, placed))
    }

    /// Places the main groups, then each minor group (at most [`MAX_MINOR_TRIES`]) when it
    /// fits without merging any label that was apart before.
    fn place_with_minor(&self, major: Vec<Group>, minor: Vec<Group>) -> Vec<(Group, Slot)> {
        let mut chosen = major;
        let mut placed = self.place_all(chosen.clone());
        let mut merges = chosen.len() - placed.len();
        for g in minor.into_iter().take(MAX_MINOR_TRIES) {
            let mut trial = chosen.clone();
            trial.push(g);
            trial.sort_by(|a, b| a.x().total_cmp(&b.x()));
            let p = self.place_all(trial.clone());
            if trial.len() - p.len() <= merges {
                merges = trial.len() - p.len();
                chosen = trial;
                placed = p;
            }
        }
        placed
    }

    /// Places the groups right to left, each on the lowest free row; a group that finds
    /// no row absorbs its right neighbour and tries again.
    fn place_all(&self, groups: Vec<Group>) -> Vec<(Group, Slot)> {
        let mut placed: Vec<(Group, Slot)> = Vec::new();
        for g in groups.into_iter().rev() {
            let mut g = g;
            loop {
                let slots: Vec<Slot> = placed.iter().map(|(_, s)| *s).collect();
                if let Some(s) = self.place(&g, MAX_LABEL_ROWS, &slots) {
                    placed.push((g, s));
                    break;
                }
                match placed.pop() {
                    Some((right, _)) => g.marks.extend(right.marks),
                    None => {
                        // Alone and still no room (a label wider than the band): row 0.
                        let w = font::measure(&g.text(), self.size, Weight::Regular);
                        let (a, b, anchor) = self.span(g.x(), w);
                        let s = Slot {
                            row: 0,
                            a,
                            b,
                            line: g.x(),
                            anchor,
                        };
                        placed.push((g, s));
                        break;
                    }
                }
            }
        }
        placed
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing helpers.

fn stroke(color: Rgba, width: f64, dash: Option<Vec<f64>>) -> Style {
    Style {
        fill: None,
        stroke: Some(StrokeStyle { color, width, dash }),
    }
}

fn fill(color: Rgba) -> Style {
    Style {
        fill: Some(color),
        stroke: None,
    }
}

/// A horizontal or vertical line from `a` to `b`, `width` pixels wide, as a filled rectangle
/// snapped to whole pixels: crisp, and much cheaper to rasterise than a thin anti-aliased
/// stroke (drawn pixel by pixel).
fn bar(items: &mut Vec<Item>, a: [f64; 2], b: [f64; 2], width: f64, color: Rgba) {
    let t = width.round().max(1.0);
    let rect = if (a[1] - b[1]).abs() <= (a[0] - b[0]).abs() {
        let y0 = (a[1] - t / 2.0).round();
        [a[0].min(b[0]).round(), y0, a[0].max(b[0]).round(), y0 + t]
    } else {
        let x0 = (a[0] - t / 2.0).round();
        [x0, a[1].min(b[1]).round(), x0 + t, a[1].max(b[1]).round()]
    };
    items.push(Item::Rect { rect, color });
}

fn line(items: &mut Vec<Item>, a: [f64; 2], b: [f64; 2], style: Style) {
    items.push(Item::Path {
        path: PathData::polyline(&[a, b]),
        style,
    });
}

/// A line of text at `[x, baseline]`, styled `(weight, anchor, colour)`.
fn text(items: &mut Vec<Item>, t: &str, at: [f64; 2], size: f64, style: (Weight, Anchor, Rgba)) {
    let (weight, anchor, color) = style;
    items.push(Item::Text {
        text: t.to_string(),
        x: at[0],
        y: at[1],
        size,
        weight,
        anchor,
        color,
    });
}

/// Text turned a quarter to the left (reading upwards), centred on `(cx, cy)` along its
/// length, its baseline on the column `cx`.
fn vertical_text(t: &str, cx: f64, cy: f64, size: f64, weight: Weight) -> PathData {
    let p = font::text_path(t, 0.0, 0.0, size, weight, Anchor::Middle);
    let rot = |x: f64, y: f64| (cx + y, cy - x);
    let cmds = p
        .cmds
        .iter()
        .map(|c| match *c {
            Cmd::Move(x, y) => {
                let (a, b) = rot(x, y);
                Cmd::Move(a, b)
            }
            Cmd::Line(x, y) => {
                let (a, b) = rot(x, y);
                Cmd::Line(a, b)
            }
            Cmd::Quad(x1, y1, x, y) => {
                let (a, b) = rot(x1, y1);
                let (c, d) = rot(x, y);
                Cmd::Quad(a, b, c, d)
            }
            Cmd::Cubic(x1, y1, x2, y2, x, y) => {
                let (a, b) = rot(x1, y1);
                let (c, d) = rot(x2, y2);
                let (e, f) = rot(x, y);
                Cmd::Cubic(a, b, c, d, e, f)
            }
            Cmd::Close => Cmd::Close,
        })
        .collect();
    PathData { cmds }
}

/// The points of a polyline that matter at `tolerance` pixels (Douglas–Peucker, with an
/// explicit stack): straight stretches of the flight become one segment, so the stroke has
/// fewer joins to rasterise and the SVG fewer numbers.
fn simplify(pts: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
    if pts.len() <= 2 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (pa, pb) = (pts[a], pts[b]);
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let len = dx.hypot(dy);
        let mut worst = (0.0, a);
        for (i, q) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = if len > 1e-12 {
                ((q[0] - pa[0]) * dy - (q[1] - pa[1]) * dx).abs() / len
            } else {
                (q[0] - pa[0]).hypot(q[1] - pa[1])
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    pts.iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| *p)
        .collect()
}

fn clean(s: Option<&str>) -> String {
    let s: String = s
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "C6-5", "D12-3 ×2 + C6-7".
fn motors_text(motors: &[String]) -> String {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for m in motors {
        let m = clean(Some(m));
        if m.is_empty() {
            continue;
        }
        match counted.iter_mut().find(|(d, _)| *d == m) {
            Some((_, n)) => *n += 1,
            None => counted.push((m, 1)),
        }
    }
    counted
        .iter()
        .map(|(d, n)| {
            if *n > 1 {
                format!("{d} ×{n}")
            } else {
                d.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// One panel: a quantity against time.
struct Panel {
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
    let (t_min, t_max) = {
        let a = extent(&alt_si, 0);
        let b = extent(&vel_si, 0);
        match (a, b) {
            (Some(a), Some(b)) => (a.0.min(b.0), a.1.max(b.1)),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => return Err(RenderError::NoFlightData),
        }
    };
    let long_flight = t_max - t_min >= 1200.0;
    let t_div = if long_flight { 60.0 } else { 1.0 };
    let t_unit = if long_flight { "min" } else { "s" };
    let alt_div = unit_divisor(&alt_si);
    let vel_div = unit_divisor(&vel_si);
    let alt = runs_of(&series.time_s, series.altitude_m.as_ref(), t_div, alt_div);
    let vel = runs_of(
        &series.time_s,
        series.vertical_velocity_m_s.as_ref(),
        t_div,
        vel_div,
    );

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
    if let Some((lo, hi)) = extent(&alt, 1) {
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
            runs: alt,
            axis,
            color: ALTITUDE_COLOR,
            title: format!("Altitude ({unit})"),
            top: 0.0,
            bottom: 0.0,
        });
    }
    if let Some((lo, hi)) = extent(&vel, 1) {
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
        items.push(Item::Path {
            path: PathData::rect(
                x0 - box_pad,
                base - cap - box_pad,
                x0 + tw + box_pad,
                base + box_pad + 0.15 * size,
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Ticks are round (1, 2 or 5 × 10ⁿ), evenly spaced, cover the range, and are not too many.
    fn check_ticks(min: f64, max: f64, n: usize, expected_step: f64) {
        let t = nice_ticks(min, max, n);
        let what = format!("[{min}, {max}] in ≤ {n}: {t:?}");
        assert!(
            (t.step - expected_step).abs() <= expected_step * 1e-9,
            "{what}"
        );
        let m = t.step / 10f64.powf(t.step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0, 10.0].iter().any(|r| (m - r).abs() < 1e-6),
            "not 1-2-5: {what}"
        );
        assert!(t.lo <= min.min(max) && t.hi >= max.max(min), "{what}");
        assert!(
            t.values.len() >= 2 && t.values.len() <= n.max(2) + 1,
            "{what}"
        );
        for w in t.values.windows(2) {
            assert!(((w[1] - w[0]) - t.step).abs() <= t.step * 1e-6, "{what}");
        }
        for v in &t.values {
            let k = v / t.step;
            assert!((k - k.round()).abs() < 1e-6, "not a multiple: {what}");
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        for (min, max, n, step) in [
            (0.0, 612.0, 7, 100.0),
            (0.0, 685.0, 7, 100.0),
            (0.0, 15.888, 10, 2.0),
            (0.0, 83.5, 10, 10.0),
            (0.0, 1000.0, 10, 100.0),
            (0.0, 1.0, 5, 0.2),
            (-4.3, 3403.7, 8, 500.0),
            (-12.0, 95.0, 5, 50.0),
            (0.0, 10.0, 6, 2.0),
            (0.0, 100_000.0, 7, 20_000.0),
            (0.0, 1e9, 7, 2e8),
            (-1e9, 1e9, 8, 5e8),
            (0.001, 0.0042, 5, 0.001),
            (1e9, 1e9 + 1000.0, 4, 500.0),
            (1e9, 1e9 + 0.5, 4, 1e8),
            (2.0, 2.0, 5, 0.1),
            (0.0, 0.0, 5, 0.5),
            (-3.0, -1.0, 4, 0.5),
            (7.0, 3.0, 4, 1.0),
        ] {
            check_ticks(min, max, n, step);
        }
    }

    #[test]
    fn ticks_survive_nonsense() {
        for (a, b) in [
            (f64::NAN, 1.0),
            (f64::NAN, f64::NAN),
            (f64::NEG_INFINITY, f64::INFINITY),
            (-1e300, 1e300),
            (f64::MIN_POSITIVE, f64::MIN_POSITIVE * 2.0),
        ] {
            let t = nice_ticks(a, b, 6);
            assert!(t.step.is_finite() && t.step > 0.0, "{a} {b}: {t:?}");
            assert!(t.values.iter().all(|v| v.is_finite()), "{a} {b}: {t:?}");
            assert!(!t.values.is_empty() && t.values.len() <= 101);
        }
    }

    #[test]
    fn numbers_print_plainly() {
        for (v, d, s) in [
            (0.0, 0, "0"),
            (-0.0, 1, "0.0"),
            (-0.04, 1, "0.0"),
            (-5.0, 0, "−5"),
            (1234.0, 0, "1234"),
            (12345.0, 0, "12\u{2009}345"),
            (1e9, 0, "1\u{2009}000\u{2009}000\u{2009}000"),
            (0.30000000000000004, 1, "0.3"),
            (-250.5, 1, "−250.5"),
            (f64::NAN, 0, "0"),
        ] {
            assert_eq!(fmt_num(v, d), s, "{v} with {d}");
        }
        assert_eq!(decimals_for(0.1), 1);
        assert_eq!(decimals_for(0.5), 1);
        assert_eq!(decimals_for(0.05), 2);
        assert_eq!(decimals_for(2.0), 0);
    }

    #[test]
    fn axis_trims_an_end_the_data_hardly_enters() {
        let a = Axis::new(-4.3, 3800.0, 8, true);
        assert!(a.lo < -4.3 && a.lo > -200.0, "{a:?}");
        assert_eq!(a.ticks.first(), Some(&0.0), "{a:?}");
        let a = Axis::new(0.0, 685.0, 7, true);
        assert_eq!((a.lo, a.hi), (0.0, 700.0));
    }

    #[test]
    fn simplify_keeps_the_shape() {
        // A straight line loses its inner points; a corner stays.
        let line: Vec<[f64; 2]> = (0..100).map(|i| [i as f64, 2.0 * i as f64]).collect();
        assert_eq!(simplify(&line, 0.2), vec![[0.0, 0.0], [99.0, 198.0]]);
        let corner = vec![[0.0, 0.0], [5.0, 0.05], [10.0, 0.0], [10.0, 10.0]];
        assert_eq!(
            simplify(&corner, 0.2),
            vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]
        );
        // Every dropped point is within the tolerance of the kept polyline.
        let wave: Vec<[f64; 2]> = (0..300)
            .map(|i| [i as f64 * 4.0, 100.0 * (i as f64 / 20.0).sin()])
            .collect();
        let kept = simplify(&wave, 0.2);
        assert!(kept.len() < wave.len() && kept.len() > 10);
        for q in &wave {
            let d = kept
                .windows(2)
                .map(|w| {
                    let (a, b) = (w[0], w[1]);
                    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                    let t = (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / (dx * dx + dy * dy))
                        .clamp(0.0, 1.0);
                    (q[0] - a[0] - t * dx).hypot(q[1] - a[1] - t * dy)
                })
                .fold(f64::INFINITY, f64::min);
            assert!(d <= 0.2 + 1e-9, "{q:?} is {d} px off");
        }
        assert_eq!(simplify(&[[1.0, 1.0]], 0.2), vec![[1.0, 1.0]]);
    }

    #[test]
    fn labels_never_overlap() {
        let packer = Packer {
            left: 0.0,
            right: 1600.0,
            gap: 4.0,
            pad: 10.0,
            size: 13.5,
        };
        // A three-stage boost: many events within 50 px, then apogee and landing.
        let xs = [
            (Ev::LaunchRod, 105.0),
            (Ev::Burnout, 116.0),
            (Ev::Burnout, 133.0),
            (Ev::Burnout, 147.0),
            (Ev::Burnout, 150.0),
            (Ev::Burnout, 152.0),
            (Ev::Burnout, 160.0),
            (Ev::Deployment, 245.0),
            (Ev::Apogee, 249.0),
            (Ev::GroundHit, 1560.0),
        ];
        let marks: Vec<Mark> = xs.iter().map(|&(ev, x)| Mark { ev, x }).collect();
        let placed = packer.place_all(cluster(&marks, 6.0));
        let total: usize = placed.iter().map(|(g, _)| g.marks.len()).sum();
        assert_eq!(total, marks.len(), "every event keeps a label");
        for (i, (_, a)) in placed.iter().enumerate() {
            assert!(a.row < MAX_LABEL_ROWS);
            for (_, b) in &placed[i + 1..] {
                if a.row == b.row {
                    assert!(a.b <= b.a || b.b <= a.a, "{a:?} {b:?}");
                }
            }
        }
    }
}
