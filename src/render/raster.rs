//! Raster back end: draws a [`Scene`] with tiny-skia (anti-aliased) at a uniform scale and
//! encodes it as PNG (no ancillary chunks, so no timestamps: same scene, same bytes).
//!
//! At scales below 1 (thumbnails) strokes keep a minimum width of [`MIN_STROKE_PX`] device
//! pixels so outlines stay visible; everything else scales uniformly.

use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform,
};

use super::font;
use super::scene::{marker_paths, Cmd, Item, PathData, Rgba, Scene, Style, DETAIL_MIN_SCALE};
use super::RenderError;

/// Thinnest stroke drawn, device pixels.
pub const MIN_STROKE_PX: f64 = 0.8;

/// Coordinates are clamped to this magnitude (device pixels) before rasterising.
const LIMIT: f64 = 1.0e6;

fn c32(v: f64, k: f64) -> f32 {
    (v * k).clamp(-LIMIT, LIMIT) as f32
}

fn build(p: &PathData, k: f64) -> Option<tiny_skia::Path> {
    if p.cmds.is_empty() || !p.is_finite() {
        return None;
    }
    let mut b = PathBuilder::with_capacity(p.cmds.len(), p.cmds.len() * 3);
    for c in &p.cmds {
        match *c {
            Cmd::Move(x, y) => b.move_to(c32(x, k), c32(y, k)),
            Cmd::Line(x, y) => b.line_to(c32(x, k), c32(y, k)),
            Cmd::Quad(a, bb, x, y) => b.quad_to(c32(a, k), c32(bb, k), c32(x, k), c32(y, k)),
            Cmd::Cubic(a, bb, cc, d, x, y) => b.cubic_to(
                c32(a, k),
                c32(bb, k),
                c32(cc, k),
                c32(d, k),
                c32(x, k),
                c32(y, k),
            ),
            Cmd::Close => b.close(),
        }
    }
    b.finish()
}

fn paint(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c.0, c.1, c.2, c.3);
    p.anti_alias = true;
    p
}

fn draw(pm: &mut Pixmap, p: &PathData, style: &Style, k: f64) {
    let Some(path) = build(p, k) else {
        return;
    };
    if let Some(f) = style.fill {
        pm.fill_path(
            &path,
            &paint(f),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
    if let Some(s) = &style.stroke {
        if !(s.width.is_finite() && s.width > 0.0) {
            return;
        }
        let width = (s.width * k).max(MIN_STROKE_PX);
        let dash = s.dash.as_ref().and_then(|d| {
            let scaled: Vec<f32> = d
                .iter()
                .map(|v| (v * k).max(MIN_STROKE_PX) as f32)
                .collect();
            StrokeDash::new(scaled, 0.0)
        });
        let stroke = Stroke {
            width: width as f32,
            miter_limit: 4.0,
            line_cap: LineCap::Butt,
            line_join: LineJoin::Round,
            dash,
        };
        pm.stroke_path(&path, &paint(s.color), &stroke, Transform::identity(), None);
    }
}

/// Draws the scene at scale `k` into a `width × height` pixmap.
pub fn rasterize(scene: &Scene, width: u32, height: u32, k: f64) -> Result<Pixmap, RenderError> {
    let mut pm = Pixmap::new(width, height).ok_or(RenderError::Canvas { width, height })?;
    match scene.background {
        Some(bg) => pm.fill(Color::from_rgba8(bg.0, bg.1, bg.2, bg.3)),
        None => pm.fill(Color::TRANSPARENT),
    }
    for item in &scene.items {
        draw_item(&mut pm, item, k);
    }
    Ok(pm)
}

fn draw_item(pm: &mut Pixmap, item: &Item, k: f64) {
    {
        match item {
            Item::Path { path, style } => draw(pm, path, style, k),
            Item::Text {
                text,
                x,
                y,
                size,
                weight,
                anchor,
                color,
            } => {
                let p = font::text_path(text, *x, *y, *size, *weight, *anchor);
                draw(
                    pm,
                    &p,
                    &Style {
                        fill: Some(*color),
                        stroke: None,
                    },
                    k,
                );
            }
            Item::Marker { kind, x, y, radius } => {
                for (p, s) in marker_paths(*kind, *x, *y, *radius) {
                    draw(pm, &p, &s, k);
                }
            }
            Item::Rect { rect, color } => {
                let [x0, y0, x1, y1] = rect.map(|v| c32(v, k));
                if let Some(r) =
                    tiny_skia::Rect::from_ltrb(x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1))
                {
                    pm.fill_rect(r, &paint(*color), Transform::identity(), None);
                }
            }
            Item::Detail(inner) => {
                if k >= DETAIL_MIN_SCALE {
                    draw_item(pm, inner, k);
                }
            }
        }
    }
}

/// Encodes a pixmap as PNG: RGB when `opaque` (every pixel is), RGBA otherwise.
pub fn encode_png(pm: &Pixmap, opaque: bool) -> Result<Vec<u8>, RenderError> {
    let (w, h) = (pm.width(), pm.height());
    let data: Vec<u8> = if opaque {
        // Premultiplied equals straight when every pixel is opaque.
        let mut rgb = vec![0u8; pm.data().len() / 4 * 3];
        for (o, p) in rgb.chunks_exact_mut(3).zip(pm.data().chunks_exact(4)) {
            o.copy_from_slice(&p[..3]);
        }
        rgb
    } else {
        pm.pixels()
            .iter()
            .flat_map(|p| {
                let c = p.demultiply();
                [c.red(), c.green(), c.blue(), c.alpha()]
            })
            .collect()
    };
    let mut out = Vec::with_capacity(data.len() / 8);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(if opaque {
            png::ColorType::Rgb
        } else {
            png::ColorType::Rgba
        });
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc
            .write_header()
            .map_err(|e| RenderError::Png(e.to_string()))?;
        writer
            .write_image_data(&data)
            .map_err(|e| RenderError::Png(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| RenderError::Png(e.to_string()))?;
    }
    Ok(out)
}
