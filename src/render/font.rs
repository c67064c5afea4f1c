//! Text as glyph outlines, from the DejaVu Sans fonts embedded by the `dejavu` crate (free
//! licence, see that crate) and read with `ttf-parser`. Text is turned into paths, so the PNG
//! and the SVG show exactly the same letters and the SVG needs no font.
//!
//! No shaping: one glyph per `char`, advanced by its horizontal advance (fine for names and
//! labels in Latin, Greek and Cyrillic scripts; missing glyphs become `?`).

use std::sync::OnceLock;

use ttf_parser::{Face, OutlineBuilder};

use super::scene::{Anchor, Cmd, PathData, Weight};

fn face(weight: Weight) -> Option<&'static Face<'static>> {
    static REGULAR: OnceLock<Option<Face<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<Face<'static>>> = OnceLock::new();
    match weight {
        Weight::Regular => REGULAR.get_or_init(|| Face::parse(dejavu::sans::regular(), 0).ok()),
        Weight::Bold => BOLD.get_or_init(|| Face::parse(dejavu::sans::bold(), 0).ok()),
    }
    .as_ref()
}

fn glyph(face: &Face<'_>, ch: char) -> Option<ttf_parser::GlyphId> {
    let ch = if ch.is_control() { ' ' } else { ch };
    face.glyph_index(ch).or_else(|| face.glyph_index('?'))
}

/// Advance width of `text` at em size `size`, pixels.
pub fn measure(text: &str, size: f64, weight: Weight) -> f64 {
    let Some(f) = face(weight) else {
        return 0.0;
    };
    let scale = size / f64::from(f.units_per_em().max(1));
    text.chars()
        .filter_map(|c| glyph(f, c))
        .map(|g| f64::from(f.glyph_hor_advance(g).unwrap_or(0)) * scale)
        .sum()
}

/// Cap height as a fraction of the em size (for vertical centring).
pub fn cap_height(size: f64, weight: Weight) -> f64 {
    face(weight)
        .and_then(|f| {
            let h = f.capital_height()?;
            Some(f64::from(h) / f64::from(f.units_per_em().max(1)) * size)
        })
        .unwrap_or(size * 0.73)
}

struct Builder<'a> {
    out: &'a mut Vec<Cmd>,
    x: f64,
    y: f64,
    scale: f64,
}

impl Builder<'_> {
    fn p(&self, x: f32, y: f32) -> (f64, f64) {
        (
            self.x + f64::from(x) * self.scale,
            self.y - f64::from(y) * self.scale,
        )
    }
}

impl OutlineBuilder for Builder<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (a, b) = self.p(x, y);
        self.out.push(Cmd::Move(a, b));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (a, b) = self.p(x, y);
        self.out.push(Cmd::Line(a, b));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (a, b) = self.p(x1, y1);
        let (c, d) = self.p(x, y);
        self.out.push(Cmd::Quad(a, b, c, d));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (a, b) = self.p(x1, y1);
        let (c, d) = self.p(x2, y2);
        let (e, f) = self.p(x, y);
        self.out.push(Cmd::Cubic(a, b, c, d, e, f));
    }
    fn close(&mut self) {
        self.out.push(Cmd::Close);
    }
}

/// Outline of `text` with its baseline at `y`, anchored at `x`; to be filled non-zero.
pub fn text_path(
    text: &str,
    x: f64,
    y: f64,
    size: f64,
    weight: Weight,
    anchor: Anchor,
) -> PathData {
    let mut path = PathData::default();
    let Some(f) = face(weight) else {
        return path;
    };
    if !(size.is_finite() && size > 0.0 && x.is_finite() && y.is_finite()) {
        return path;
    }
    let width = measure(text, size, weight);
    let mut pen = match anchor {
        Anchor::Start => x,
        Anchor::Middle => x - width / 2.0,
        Anchor::End => x - width,
    };
    let scale = size / f64::from(f.units_per_em().max(1));
    for ch in text.chars() {
        let Some(g) = glyph(f, ch) else {
            continue;
        };
        let mut b = Builder {
            out: &mut path.cmds,
            x: pen,
            y,
            scale,
        };
        f.outline_glyph(g, &mut b);
        pen += f64::from(f.glyph_hor_advance(g).unwrap_or(0)) * scale;
    }
    path
}
