//! The display list: one drawing as an ordered list of primitives in full-image pixel
//! coordinates (origin top-left, y down), shared by the raster and the SVG back ends.
//!
//! Primitives are deliberately few: paths (fill and/or stroke, optional dash), filled
//! rectangles, text (lowered
//! to glyph outlines by [`super::font`]) and CG/CP markers (lowered to paths by
//! [`marker_paths`]). Both back ends lower text and markers through the same functions, so
//! the PNG and the SVG show the same shapes.

use std::f64::consts::{FRAC_PI_2, PI};

/// A colour, straight (not premultiplied) RGBA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

impl Rgba {
    /// Opaque colour from `0xRRGGBB`.
    pub const fn hex(v: u32) -> Rgba {
        Rgba((v >> 16) as u8, (v >> 8) as u8, v as u8, 255)
    }
}

/// One path command; coordinates in full-image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmd {
    Move(f64, f64),
    Line(f64, f64),
    Quad(f64, f64, f64, f64),
    Cubic(f64, f64, f64, f64, f64, f64),
    Close,
}

/// A path: a list of commands (possibly several sub-paths).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathData {
    pub cmds: Vec<Cmd>,
}

impl PathData {
    /// Closed polygon through `pts`; empty when fewer than two points.
    pub fn polygon(pts: &[[f64; 2]]) -> PathData {
        let mut p = PathData::default();
        p.add_polygon(pts);
        p
    }

    /// Appends a closed polygon sub-path.
    pub fn add_polygon(&mut self, pts: &[[f64; 2]]) {
        if pts.len() < 2 {
            return;
        }
        self.cmds.push(Cmd::Move(pts[0][0], pts[0][1]));
        for q in &pts[1..] {
            self.cmds.push(Cmd::Line(q[0], q[1]));
        }
        self.cmds.push(Cmd::Close);
    }

    /// Open polyline through `pts`.
    pub fn polyline(pts: &[[f64; 2]]) -> PathData {
        let mut p = PathData::default();
        if pts.len() >= 2 {
            p.cmds.push(Cmd::Move(pts[0][0], pts[0][1]));
            for q in &pts[1..] {
                p.cmds.push(Cmd::Line(q[0], q[1]));
            }
        }
        p
    }

    /// Axis-aligned rectangle from two corners.
    pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> PathData {
        PathData::polygon(&[[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    }

    /// Appends a circle (four cubic arcs).
    pub fn add_circle(&mut self, cx: f64, cy: f64, r: f64) {
        self.add_arc_sector(cx, cy, r, 0.0, 2.0 * PI, false);
    }

    /// Circle path.
    pub fn circle(cx: f64, cy: f64, r: f64) -> PathData {
        let mut p = PathData::default();
        p.add_circle(cx, cy, r);
        p
    }

    /// Appends an arc from angle `a0` to `a1` (radians, counter-clockwise on screen, 0 = +x);
    /// with `sector` the sub-path starts at the centre (a pie slice), else it is the arc alone,
    /// closed.
    pub fn add_arc_sector(&mut self, cx: f64, cy: f64, r: f64, a0: f64, a1: f64, sector: bool) {
        let pt = |a: f64| [cx + r * a.cos(), cy - r * a.sin()];
        let n = (((a1 - a0).abs() / FRAC_PI_2).ceil() as usize).clamp(1, 8);
        let step = (a1 - a0) / n as f64;
        let k = 4.0 / 3.0 * (step / 4.0).tan();
        if sector {
            self.cmds.push(Cmd::Move(cx, cy));
            let p0 = pt(a0);
            self.cmds.push(Cmd::Line(p0[0], p0[1]));
        } else {
            let p0 = pt(a0);
            self.cmds.push(Cmd::Move(p0[0], p0[1]));
        }
        for i in 0..n {
            let s = a0 + step * i as f64;
            let e = s + step;
            let (ps, pe) = (pt(s), pt(e));
            // Tangent directions on screen (y down).
            let c1 = [ps[0] - k * r * s.sin(), ps[1] - k * r * s.cos()];
            let c2 = [pe[0] + k * r * e.sin(), pe[1] + k * r * e.cos()];
            self.cmds
                .push(Cmd::Cubic(c1[0], c1[1], c2[0], c2[1], pe[0], pe[1]));
        }
        self.cmds.push(Cmd::Close);
    }

    /// Whether every coordinate is finite (non-finite paths are never drawn).
    pub fn is_finite(&self) -> bool {
        self.cmds.iter().all(|c| match *c {
            Cmd::Move(a, b) | Cmd::Line(a, b) => a.is_finite() && b.is_finite(),
            Cmd::Quad(a, b, c, d) => [a, b, c, d].iter().all(|v| v.is_finite()),
            Cmd::Cubic(a, b, c, d, e, f) => [a, b, c, d, e, f].iter().all(|v| v.is_finite()),
            Cmd::Close => true,
        })
    }
}

/// Stroke of a path.
#[derive(Debug, Clone, PartialEq)]
pub struct StrokeStyle {
    pub color: Rgba,
    /// Width in full-image pixels.
    pub width: f64,
    /// Dash pattern (on, off, …) in full-image pixels; `None` for a solid line.
    pub dash: Option<Vec<f64>>,
}

/// Fill and stroke of a path (either may be absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    pub fill: Option<Rgba>,
    pub stroke: Option<StrokeStyle>,
}

/// Which face of the embedded font a text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// Horizontal anchoring of a text at its `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// CG or CP marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    /// Centre of gravity: circle with alternating quarters filled.
    Cg,
    /// Centre of pressure: red circle with a dot.
    Cp,
}

/// One primitive.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Path {
        path: PathData,
        style: Style,
    },
    /// A line of text; `y` is the baseline, `size` the em size in pixels.
    Text {
        text: String,
        x: f64,
        y: f64,
        size: f64,
        weight: Weight,
        anchor: Anchor,
        color: Rgba,
    },
    Marker {
        kind: MarkerKind,
        x: f64,
        y: f64,
        radius: f64,
    },
    /// A filled axis-aligned rectangle `[x0, y0, x1, y1]` (grid and axis lines): much cheaper
    /// to rasterise than the same path, and one short element in the SVG.
    Rect {
        rect: [f64; 4],
        color: Rgba,
    },
    /// Fine print (figures line, scale bar, legend): drawn at scales ≥
    /// [`DETAIL_MIN_SCALE`] only, so thumbnails leave out what would be illegible.
    Detail(Box<Item>),
}

/// Below this scale (thumbnails) [`Item::Detail`] items are not drawn.
pub const DETAIL_MIN_SCALE: f64 = 0.5;

/// A complete drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Full-image size in pixels.
    pub width: u32,
    pub height: u32,
    /// `None` for a transparent background.
    pub background: Option<Rgba>,
    pub items: Vec<Item>,
    /// Plain-text title (for the SVG `<title>`).
    pub title: String,
}

/// Marker colours.
pub const CG_COLOR: Rgba = Rgba::hex(0x1f4fd0);
pub const CP_COLOR: Rgba = Rgba::hex(0xd81e1e);

/// Lowers a CG/CP marker to styled paths (drawn in order).
pub fn marker_paths(kind: MarkerKind, x: f64, y: f64, r: f64) -> Vec<(PathData, Style)> {
    let outline_w = (r * 0.16).max(1.0);
    let white = Rgba(255, 255, 255, 255);
    match kind {
        MarkerKind::Cg => {
            let color = CG_COLOR;
            let mut quarters = PathData::default();
            // Upper-right and lower-left quarters filled (screen angles, counter-clockwise).
            quarters.add_arc_sector(x, y, r, 0.0, FRAC_PI_2, true);
            quarters.add_arc_sector(x, y, r, PI, PI + FRAC_PI_2, true);
            vec![
                (
                    PathData::circle(x, y, r),
                    Style {
                        fill: Some(white),
                        stroke: None,
                    },
                ),
                (
                    quarters,
                    Style {
                        fill: Some(color),
                        stroke: None,
                    },
                ),
                (
                    PathData::circle(x, y, r),
                    Style {
                        fill: None,
                        stroke: Some(StrokeStyle {
                            color,
                            width: outline_w,
                            dash: None,
                        }),
                    },
                ),
            ]
        }
        MarkerKind::Cp => {
            let color = CP_COLOR;
            vec![
                (
                    PathData::circle(x, y, r),
                    Style {
                        fill: Some(white),
                        stroke: Some(StrokeStyle {
                            color,
                            width: outline_w,
                            dash: None,
                        }),
                    },
                ),
                (
                    PathData::circle(x, y, r * 0.3),
                    Style {
                        fill: Some(color),
                        stroke: None,
                    },
                ),
            ]
        }
    }
}
