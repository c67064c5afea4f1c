//! From resolved geometry to a [`Scene`]: the side view (looking along −z, y up), fitted into
//! the frame, with title, figures line, scale bar and CG/CP legend.
//!
//! Steps: every part becomes world-space shapes (metres, y up) with a depth (`z` of the
//! instance, plus the fin's own `z` for things standing on a body); shapes are painted back to
//! front (painter's algorithm), outer bodies opaque, inner components as light "x-ray"
//! outlines above the body they sit in. The bounding box of every shape drawn (pods and fins
//! included) is fitted into the frame with margins; the image height follows the drawing,
//! clamped to `[min_height_ratio, max_height_ratio] × width`, the scale shrinking when needed.

use std::f64::consts::TAU;

use crate::geometry::{Cylinder, Figures, PartShape, Resolved};
use crate::model::{ComponentKind, Design};

use super::font;
use super::scene::{
    Anchor, Item, MarkerKind, PathData, Rgba, Scene, StrokeStyle, Style, Weight, CG_COLOR, CP_COLOR,
};
use super::{Background, Frame, RenderConfig, RenderError};

/// Tallest image drawn, pixels.
const MAX_HEIGHT_PX: f64 = 8192.0;

/// At most this many instances of one thing are drawn (fins, lugs, pods…).
const MAX_INSTANCES: usize = 64;

/// Outlines and text.
pub const INK: Rgba = Rgba::hex(0x1e2328);
/// Fill of nose cones, transitions and body tubes.
pub const BODY_FILL: Rgba = Rgba::hex(0xe9eef4);
/// Fill of fins and tube fins.
pub const FIN_FILL: Rgba = Rgba::hex(0xd3dce7);
/// Fill of launch lugs and rail buttons.
pub const LUG_FILL: Rgba = Rgba::hex(0xddd6c8);
/// Inner tubes, couplers, rings, shoulders.
pub const INNER_INK: Rgba = Rgba::hex(0x7d8c9c);
/// Recovery and mass items (dashed).
pub const PACKED_INK: Rgba = Rgba::hex(0xb07a3c);
/// Fin tabs, tube-fin walls (dashed).
pub const DETAIL_INK: Rgba = Rgba::hex(0x9aa6b3);
/// Centre line.
pub const AXIS_INK: Rgba = Rgba::hex(0x8a96a3);
/// Figures line.
pub const INFO_INK: Rgba = Rgba::hex(0x3c4650);

/// World-space geometry, metres, y up.
#[derive(Debug, Clone)]
enum Geo {
    Poly(Vec<[f64; 2]>),
    Circle([f64; 2], f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Nose cones, transitions, body tubes: opaque fill, dark outline.
    Body,
    /// Fins, tube fins: opaque fill, dark outline.
    Fin,
    /// Launch lugs, rail buttons: opaque fill, dark outline.
    Lug,
    /// Inner tubes, couplers, rings, shoulders: light outline.
    Inner,
    /// Recovery and mass items: dashed light outline.
    Packed,
    /// Fin tabs and tube walls: light dashed/thin lines.
    Detail,
}

impl Role {
    fn layer(self) -> u8 {
        match self {
            Role::Body => 0,
            Role::Inner | Role::Packed => 1,
            Role::Detail => 2,
            Role::Fin | Role::Lug => 3,
        }
    }
}

#[derive(Debug, Clone)]
struct Shape {
    depth: f64,
    role: Role,
    geo: Geo,
}

fn finite2(p: &[f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite()
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geo {
    Geo::Poly(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
}

/// Collects the shapes of every part.
struct Collector<'a> {
    cfg: &'a RenderConfig,
    shapes: Vec<Shape>,
}

impl Collector<'_> {
    fn push(&mut self, depth: f64, role: Role, geo: Geo) {
        let ok = match &geo {
            Geo::Poly(p) => p.len() >= 2 && p.iter().all(finite2),
            Geo::Circle(c, r) => finite2(c) && r.is_finite() && *r >= 0.0,
        };
        if ok && depth.is_finite() {
            self.shapes.push(Shape { depth, role, geo });
        }
    }

    /// A cylinder's side-view cross-section: the wall as two bands, or one block when solid.
    fn cylinder(&mut self, c: &Cylinder, ay: f64, az: f64, role: Role) {
        let (x0, x1) = (c.x_m, c.x_m + c.length_m.max(0.0));
        let ro = c.outer_radius_m.abs();
        let ri = c.inner_radius_m.abs().min(ro);
        if ri > 0.0 && ri < ro {
            self.push(az, role, rect(x0, ay + ri, x1, ay + ro));
            self.push(az, role, rect(x0, ay - ro, x1, ay - ri));
        } else {
            self.push(az, role, rect(x0, ay - ro, x1, ay + ro));
        }
    }

    fn part(&mut self, part: &crate::geometry::Part) {
        let axes: Vec<[f64; 2]> = part
            .axes
            .iter()
            .copied()
            .filter(finite2)
            .take(MAX_INSTANCES)
            .collect();
        let cfg = self.cfg;
        for &[ay, az] in &axes {
            match &part.shape {
                PartShape::Stage | PartShape::Assembly { .. } => {}
                PartShape::Body {
                    profile,
                    fore_shoulder,
                    aft_shoulder,
                    ..
                } => {
                    let mut poly: Vec<[f64; 2]> = profile
                        .iter()
                        .filter(|p| finite2(p))
                        .map(|p| [p[0], ay + p[1].abs()])
                        .collect();
                    let lower: Vec<[f64; 2]> = profile
                        .iter()
                        .rev()
                        .filter(|p| finite2(p))
                        .map(|p| [p[0], ay - p[1].abs()])
                        .collect();
                    poly.extend(lower);
                    self.push(az, Role::Body, Geo::Poly(poly));
                    if cfg.show_inner {
                        for s in [fore_shoulder, aft_shoulder].into_iter().flatten() {
                            self.cylinder(s, ay, az, Role::Inner);
                        }
                    }
                }
                PartShape::Tube(c) => {
                    if cfg.show_inner {
                        self.cylinder(c, ay, az, Role::Inner);
                    }
                }
                PartShape::Packed {
                    radius_m,
                    radial_offset_m,
                } => {
                    if cfg.show_inner {
                        let (x0, x1) = (part.x_m, part.x_m + part.length_m.max(0.0));
                        let yc = ay + radial_offset_m;
                        let r = radius_m.abs();
                        self.push(az, Role::Packed, rect(x0, yc - r, x1, yc + r));
                    }
                }
                PartShape::Fins {
                    count,
                    base_angle_rad,
                    thickness_m,
                    body_radius_m,
                    outline,
                    tab,
                    ..
                } => {
                    if !cfg.show_fins || outline.len() < 2 {
                        continue;
                    }
                    let n = (*count as usize).clamp(1, MAX_INSTANCES);
                    let r = body_radius_m.abs();
                    let hmax = outline
                        .iter()
                        .map(|p| p[1])
                        .filter(|h| h.is_finite())
                        .fold(0.0_f64, f64::max);
                    let (xmin, xmax) = outline
                        .iter()
                        .map(|p| p[0])
                        .filter(|x| x.is_finite())
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                            (a.min(x), b.max(x))
                        });
                    for i in 0..n {
                        let th = base_angle_rad + TAU * i as f64 / n as f64;
                        let (s, c) = th.sin_cos();
                        let depth = az + s * (r + hmax / 2.0);
                        if c.abs() < 0.1 {
                            // Seen edge-on: a thin band of the fin's thickness.
                            let half = thickness_m.abs().max(1e-4) / 2.0;
                            let (ya, yb) = (ay + r * c, ay + (r + hmax) * c);
                            self.push(
                                depth,
                                Role::Fin,
                                rect(xmin, ya.min(yb) - half, xmax, ya.max(yb) + half),
                            );
                            continue;
                        }
                        let poly = outline
                            .iter()
                            .map(|p| [p[0], ay + (r + p[1]) * c])
                            .collect();
                        self.push(depth, Role::Fin, Geo::Poly(poly));
                        if cfg.show_inner {
                            if let Some(tab) = tab {
                                let poly =
                                    tab.iter().map(|p| [p[0], ay + (r + p[1]) * c]).collect();
                                self.push(az, Role::Detail, Geo::Poly(poly));
                            }
                        }
                    }
                }
                PartShape::TubeFins {
                    count,
                    base_angle_rad,
                    outer_radius_m,
                    body_radius_m,
                    ..
                } => {
                    // Each tube seen from the side is a rectangle.
                    if !cfg.show_fins {
                        continue;
                    }
                    let n = (*count as usize).clamp(1, MAX_INSTANCES);
                    let ro = outer_radius_m.abs();
                    let d = body_radius_m.abs() + ro;
                    let (x0, x1) = (part.x_m, part.x_m + part.length_m.max(0.0));
                    for i in 0..n {
                        let th = base_angle_rad + TAU * i as f64 / n as f64;
                        let (s, c) = th.sin_cos();
                        let yc = ay + d * c;
                        let depth = az + d * s;
                        self.push(depth, Role::Fin, rect(x0, yc - ro, x1, yc + ro));
                    }
                }
                PartShape::LaunchLug {
                    angle_rad,
                    outer_radius_m,
                    body_radius_m,
                    count,
                    separation_m,
                    ..
                } => {
                    if !cfg.show_fins {
                        continue;
                    }
                    let ro = outer_radius_m.abs();
                    let d = body_radius_m.abs() + ro;
                    let (s, c) = angle_rad.sin_cos();
                    let yc = ay + d * c;
                    let len = part.length_m.max(0.0);
                    for k in 0..(*count as usize).clamp(1, MAX_INSTANCES) {
                        let x0 = part.x_m + k as f64 * separation_m;
                        self.push(az + d * s, Role::Lug, rect(x0, yc - ro, x0 + len, yc + ro));
                    }
                }
                PartShape::RailButton {
                    angle_rad,
                    outer_radius_m,
                    inner_radius_m,
                    height_m,
                    body_radius_m,
                    count,
                    separation_m,
                } => {
                    if !cfg.show_fins {
                        continue;
                    }
                    let ro = outer_radius_m.abs();
                    let ri = if *inner_radius_m > 0.0 && *inner_radius_m < ro {
                        *inner_radius_m
                    } else {
                        ro * 0.5
                    };
                    let rb = body_radius_m.abs();
                    let h = height_m.abs();
                    let (s, c) = angle_rad.sin_cos();
                    let depth = az + s * (rb + h);
                    for k in 0..(*count as usize).clamp(1, MAX_INSTANCES) {
                        let cx = part.x_m + ro + k as f64 * separation_m;
                        if c.abs() < 0.3 {
                            self.push(depth, Role::Lug, Geo::Circle([cx, ay + (rb + h) * c], ro));
                            continue;
                        }
                        // A "T": the stem, then the flange.
                        let y = |rho: f64| ay + rho * c;
                        let (a, b, e) = (y(rb), y(rb + 0.6 * h), y(rb + h));
                        let mut poly = vec![
                            [cx - ri, a],
                            [cx - ri, b],
                            [cx - ro, b],
                            [cx - ro, e],
                            [cx + ro, e],
                            [cx + ro, b],
                            [cx + ri, b],
                            [cx + ri, a],
                        ];
                        if h <= 0.0 {
                            poly = vec![[cx - ro, a], [cx + ro, a]];
                        }
                        self.push(depth, Role::Lug, Geo::Poly(poly));
                    }
                }
            }
        }
    }
}

/// Axis-aligned bounds.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Bounds {
    fn empty() -> Bounds {
        Bounds {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        }
    }
    fn add(&mut self, x: f64, y: f64) {
        self.x0 = self.x0.min(x);
        self.x1 = self.x1.max(x);
        self.y0 = self.y0.min(y);
        self.y1 = self.y1.max(y);
    }
    fn is_valid(&self) -> bool {
        self.x0.is_finite() && self.x1.is_finite() && self.y0.is_finite() && self.y1.is_finite()
    }
}

/// Length unit of the figures line and legend: centimetres (OpenRocket's default) for
/// rockets shorter than 10 m, metres beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Cm,
    M,
}

impl Unit {
    fn for_length(m: f64) -> Unit {
        if m.is_finite() && m.abs() >= 10.0 {
            Unit::M
        } else {
            Unit::Cm
        }
    }
}

/// "95.1 cm" or "12.35 m".
pub(crate) fn fmt_len(m: f64, unit: Unit) -> String {
    match unit {
        Unit::Cm => format!("{:.1} cm", m * 100.0),
        Unit::M => format!("{m:.2} m"),
    }
}

fn fmt_mass(kg: f64) -> String {
    if kg.abs() < 1.0 {
        format!("{:.0} g", kg * 1000.0)
    } else {
        format!("{kg:.2} kg")
    }
}

/// A round scale-bar length (1, 2 or 5 × 10ⁿ metres) near `target`, and its label.
pub(crate) fn scale_bar(target: f64) -> (f64, String) {
    let t = if target.is_finite() && target > 0.0 {
        target.clamp(1e-4, 1e4)
    } else {
        0.1
    };
    let e = t.log10().floor();
    let base = 10f64.powf(e);
    let m = t / base;
    let step = if m >= 5.0 {
        5.0
    } else if m >= 2.0 {
        2.0
    } else {
        1.0
    };
    let len = step * base;
    let label = if len >= 1.0 - 1e-9 {
        format!("{} m", fmt_round(len))
    } else if len >= 0.01 - 1e-12 {
        format!("{} cm", fmt_round(len * 100.0))
    } else {
        format!("{} mm", fmt_round(len * 1000.0))
    };
    (len, label)
}

fn fmt_round(v: f64) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    if (r - r.round()).abs() < 1e-9 {
        format!("{}", r.round() as i64)
    } else {
        let mut s = format!("{r:.3}");
        while s.ends_with('0') {
            s.pop();
        }
        s
    }
}

/// Shrinks (down to 60 %) then truncates `text` so it fits `max_w` pixels.
pub(crate) fn fit_text(text: &str, size: f64, weight: Weight, max_w: f64) -> (String, f64) {
    let w = font::measure(text, size, weight);
    if w <= max_w || w <= 0.0 {
        return (text.to_string(), size);
    }
    let s = size * (max_w / w);
    if s >= size * 0.6 {
        return (text.to_string(), s);
    }
    let s = size * 0.6;
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let t: String = chars.iter().collect::<String>() + "…";
        if font::measure(&t, s, weight) <= max_w {
            return (t, s);
        }
    }
    (String::new(), s)
}

fn clean_name(design: &Design) -> String {
    let name: String = design
        .rocket
        .name
        .as_deref()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        "Unnamed design".to_string()
    } else {
        name
    }
}

fn info_line(resolved: &Resolved, figures: Option<&Figures>, unit: Unit) -> String {
    let mut parts = Vec::new();
    let (len, dia) = match figures {
        Some(f) => (f.length_m, f.max_diameter_m),
        None => (resolved.length_m, 2.0 * resolved.max_radius_m),
    };
    if len.is_finite() && len > 0.0 {
        parts.push(format!("Length {}", fmt_len(len, unit)));
    }
    if dia.is_finite() && dia > 0.0 {
        parts.push(format!(
            "max. diameter {}",
            fmt_len(dia, Unit::for_length(dia))
        ));
    }
    if let Some(f) = figures {
        if f.dry_mass_kg.is_finite() && f.dry_mass_kg > 0.0 {
            parts.push(format!("dry mass {}", fmt_mass(f.dry_mass_kg)));
        }
        if f.stability_cal.is_finite() {
            parts.push(format!("stability {:.2} cal (dry)", f.stability_cal));
        }
    }
    parts.join("  ·  ")
}

fn detail(item: Item) -> Item {
    Item::Detail(Box::new(item))
}

/// The drawing and the mapping from metres to full-image pixels.
pub(crate) fn build(
    design: &Design,
    resolved: &Resolved,
    figures: Option<&Figures>,
    cfg: &RenderConfig,
) -> Result<(Scene, Frame), RenderError> {
    // 1. World shapes.
    let mut col = Collector {
        cfg,
        shapes: Vec::new(),
    };
    for part in &resolved.parts {
        col.part(part);
    }
    let mut shapes = col.shapes;
    let mut wb = Bounds::empty();
    for s in &shapes {
        match &s.geo {
            Geo::Poly(p) => p.iter().for_each(|q| wb.add(q[0], q[1])),
            Geo::Circle(c, r) => {
                wb.add(c[0] - r, c[1] - r);
                wb.add(c[0] + r, c[1] + r);
            }
        }
    }
    if !wb.is_valid() {
        return Err(RenderError::NothingToDraw);
    }
    // Body extent on the axis (for the centre line).
    let mut axis_x = (f64::INFINITY, f64::NEG_INFINITY);
    for p in &resolved.parts {
        if matches!(
            p.kind,
            ComponentKind::NoseCone | ComponentKind::Transition | ComponentKind::BodyTube
        ) && p.axes.iter().any(|a| a[0] == 0.0 && a[1] == 0.0)
            && p.x_m.is_finite()
            && p.length_m.is_finite()
        {
            axis_x.0 = axis_x.0.min(p.x_m);
            axis_x.1 = axis_x.1.max(p.x_m + p.length_m);
        }
    }
    // Markers that fall reasonably near the rocket extend the box along x.
    let span = (wb.x1 - wb.x0).max(1e-6);
    let near = |x: f64| x.is_finite() && x > wb.x0 - 0.5 * span && x < wb.x1 + 0.5 * span;
    let markers: Vec<(MarkerKind, f64)> = match (cfg.show_markers, figures) {
        (true, Some(f)) => [(MarkerKind::Cg, f.cg_m), (MarkerKind::Cp, f.cp_m)]
            .into_iter()
            .filter(|(_, x)| near(*x))
            .collect(),
        _ => Vec::new(),
    };
    for (_, x) in &markers {
        wb.add(*x, 0.0);
    }
    let bw = (wb.x1 - wb.x0).max(1e-6);
    let bh = (wb.y1 - wb.y0).max(1e-6);

    // 2. Frame layout, full-image pixels.
    let w = f64::from(cfg.width_px);
    let u = w / 1000.0;
    let margin = (24.0 * u).max(4.0);
    let gap = 10.0 * u;
    let title_size = 18.0 * u;
    let info_size = 11.5 * u;
    let ann = cfg.show_annotations;
    let header_h = if ann {
        title_size * 1.05 + info_size * 1.7
    } else {
        0.0
    };
    let footer_h = if ann { info_size * 2.0 } else { 0.0 };
    let fixed = 2.0 * margin + header_h + footer_h + 2.0 * gap;
    let marker_max = 11.0 * u;
    let avail_w = (w - 2.0 * margin - 2.0 * marker_max).max(1.0);
    let h_min = (w * cfg.min_height_ratio).max(fixed + 8.0 * u);
    // Never taller than MAX_HEIGHT_PX, whatever the ratio asks for.
    let h_max = (w * cfg.max_height_ratio).min(MAX_HEIGHT_PX).max(h_min);
    let mut s = avail_w / bw;
    let band_max = (h_max - fixed).max(1.0);
    if bh * s > band_max {
        s = band_max / bh;
    }
    if !(s.is_finite() && s > 0.0) {
        return Err(RenderError::NothingToDraw);
    }
    let min_band = if markers.is_empty() {
        8.0 * u
    } else {
        2.4 * marker_max
    };
    let band = (bh * s).max(min_band);
    let height = (fixed + band).max(h_min).ceil();
    let band = height - fixed;
    let x_off = margin + marker_max + (avail_w - bw * s) / 2.0;
    let band_top = margin + header_h + gap;
    let y_off = band_top + (band - bh * s) / 2.0;
    let frame = Frame {
        px_per_m: s,
        x0_px: x_off - wb.x0 * s,
        axis_y_px: y_off + wb.y1 * s,
    };
    let px = |p: &[f64; 2]| -> [f64; 2] { frame.to_px(p[0], p[1]) };

    // 3. Items, back to front.
    let mut items = Vec::with_capacity(shapes.len() + 16);
    shapes.sort_by(|a, b| {
        a.depth
            .total_cmp(&b.depth)
            .then(a.role.layer().cmp(&b.role.layer()))
    });
    let outline_w = (1.1 * u).max(0.6);
    let thin_w = (0.75 * u).max(0.5);
    for sh in &shapes {
        let path = match &sh.geo {
            Geo::Poly(p) => {
                let pts: Vec<[f64; 2]> = p.iter().map(px).collect();
                if pts.len() == 2 {
                    PathData::polyline(&pts)
                } else {
                    PathData::polygon(&pts)
                }
            }
            Geo::Circle(c, r) => {
                let q = px(c);
                PathData::circle(q[0], q[1], r * s)
            }
        };
        let style = match sh.role {
            Role::Body => Style {
                fill: Some(BODY_FILL),
                stroke: Some(StrokeStyle {
                    color: INK,
                    width: outline_w,
                    dash: None,
                }),
            },
            Role::Fin | Role::Lug => Style {
                fill: Some(if sh.role == Role::Fin {
                    FIN_FILL
                } else {
                    LUG_FILL
                }),
                stroke: Some(StrokeStyle {
                    color: INK,
                    width: outline_w,
                    dash: None,
                }),
            },
            Role::Inner => Style {
                fill: None,
                stroke: Some(StrokeStyle {
                    color: INNER_INK,
                    width: thin_w,
                    dash: None,
                }),
            },
            Role::Packed => Style {
                fill: None,
                stroke: Some(StrokeStyle {
                    color: PACKED_INK,
                    width: thin_w,
                    dash: Some(vec![5.0 * u, 3.0 * u]),
                }),
            },
            Role::Detail => Style {
                fill: None,
                stroke: Some(StrokeStyle {
                    color: DETAIL_INK,
                    width: thin_w,
                    dash: Some(vec![3.0 * u, 2.5 * u]),
                }),
            },
        };
        items.push(Item::Path { path, style });
    }

    // Centre line (dash-dot) along the main body.
    // (Not on rockets drawn thinner than a few pixels, where it would only blur the body.)
    let thick_enough = resolved.max_radius_m * s > 3.0 * u;
    if ann && thick_enough && axis_x.0.is_finite() && axis_x.1 > axis_x.0 {
        let ext = 6.0 * u;
        let a = frame.to_px(axis_x.0, 0.0);
        let b = frame.to_px(axis_x.1, 0.0);
        items.push(Item::Path {
            path: PathData::polyline(&[[a[0] - ext, a[1]], [b[0] + ext, b[1]]]),
            style: Style {
                fill: None,
                stroke: Some(StrokeStyle {
                    color: AXIS_INK,
                    width: thin_w,
                    dash: Some(vec![12.0 * u, 3.0 * u, 2.0 * u, 3.0 * u]),
                }),
            },
        });
    }

    // CG / CP markers on the axis.
    let max_r_px = resolved.max_radius_m.abs() * s;
    let marker_r = if max_r_px.is_finite() {
        (0.6 * max_r_px).clamp(5.0 * u, marker_max)
    } else {
        marker_max
    };
    for (kind, x) in &markers {
        let p = frame.to_px(*x, 0.0);
        items.push(Item::Marker {
            kind: *kind,
            x: p[0],
            y: p[1],
            radius: marker_r,
        });
    }

    // 4. Annotations.
    let unit = Unit::for_length(figures.map_or(resolved.length_m, |f| f.length_m));
    let title = clean_name(design);
    let avail_text = w - 2.0 * margin;
    if ann {
        let (t, ts) = fit_text(&title, title_size, Weight::Bold, avail_text);
        let baseline = margin + font::cap_height(ts, Weight::Bold);
        items.push(Item::Text {
            text: t,
            x: margin,
            y: baseline,
            size: ts,
            weight: Weight::Bold,
            anchor: Anchor::Start,
            color: INK,
        });
        let info = info_line(resolved, figures, unit);
        if !info.is_empty() {
            let (t, is) = fit_text(&info, info_size, Weight::Regular, avail_text);
            items.push(detail(Item::Text {
                text: t,
                x: margin,
                y: baseline + info_size * 1.6,
                size: is,
                weight: Weight::Regular,
                anchor: Anchor::Start,
                color: INFO_INK,
            }));
        }
    }
    let foot_base = height - margin - info_size * 0.3;
    let mut left_end = margin;
    if ann {
        // Scale bar: two halves, black and white, then the label.
        let (len_m, label) = scale_bar(bw / 5.0);
        let bar_w = len_m * s;
        let bar_h = 0.55 * info_size;
        let y1 = foot_base;
        let y0 = y1 - bar_h;
        let x0 = margin;
        if bar_w.is_finite() && bar_w > 1.0 && bar_w < w {
            let half = bar_w / 2.0;
            items.push(detail(Item::Path {
                path: PathData::rect(x0, y0, x0 + half, y1),
                style: Style {
                    fill: Some(INK),
                    stroke: None,
                },
            }));
            items.push(detail(Item::Path {
                path: PathData::rect(x0, y0, x0 + bar_w, y1),
                style: Style {
                    fill: None,
                    stroke: Some(StrokeStyle {
                        color: INK,
                        width: thin_w,
                        dash: None,
                    }),
                },
            }));
            let tx = x0 + bar_w + 0.6 * info_size;
            items.push(detail(Item::Text {
                text: label.clone(),
                x: tx,
                y: y1,
                size: info_size,
                weight: Weight::Regular,
                anchor: Anchor::Start,
                color: INK,
            }));
            left_end = tx + font::measure(&label, info_size, Weight::Regular);
        }
    }
    if ann && !markers.is_empty() {
        // Legend, right-aligned: marker, "CG 54.2 cm", marker, "CP 64.6 cm".
        let mut x = w - margin;
        let lr = 0.5 * info_size;
        let cy = foot_base - font::cap_height(info_size, Weight::Regular) / 2.0;
        let mut legend_items = Vec::new();
        for (kind, at) in markers.iter().rev() {
            let name = match kind {
                MarkerKind::Cg => "CG",
                MarkerKind::Cp => "CP",
            };
            let text = format!("{name} {}", fmt_len(*at, unit));
            let tw = font::measure(&text, info_size, Weight::Regular);
            let color = match kind {
                MarkerKind::Cg => CG_COLOR,
                MarkerKind::Cp => CP_COLOR,
            };
            legend_items.push(Item::Text {
                text,
                x,
                y: foot_base,
                size: info_size,
                weight: Weight::Regular,
                anchor: Anchor::End,
                color,
            });
            x -= tw + 0.5 * info_size + lr;
            legend_items.push(Item::Marker {
                kind: *kind,
                x,
                y: cy,
                radius: lr,
            });
            x -= lr + 1.5 * info_size;
        }
        // Only when it does not run into the scale bar.
        if x > left_end {
            items.extend(legend_items.into_iter().map(|i| Item::Detail(Box::new(i))));
        }
    }

    let background = match cfg.background {
        Background::White => Some(Rgba(255, 255, 255, 255)),
        Background::Transparent => None,
    };
    Ok((
        Scene {
            width: cfg.width_px,
            height: height as u32,
            background,
            items,
            title,
        },
        frame,
    ))
}
