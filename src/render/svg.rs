//! SVG back end: writes a [`Scene`] as a standalone SVG document whose user units are the
//! full image's pixels. Text and markers are lowered to paths exactly as the raster back end
//! does; numbers are printed with at most two decimals, so the output is deterministic.

use std::fmt::Write;

use super::font;
use super::scene::{marker_paths, Cmd, Item, PathData, Rgba, Scene, Style};

/// Formats a coordinate: two decimals at most, no trailing zeros, never `-0`.
pub(crate) fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let r = (v * 100.0).round() / 100.0;
    let mut s = format!("{r:.2}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

fn color(c: Rgba) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            '\u{FFFE}' | '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn path_d(p: &PathData) -> String {
    let mut d = String::with_capacity(p.cmds.len() * 14);
    for c in &p.cmds {
        // Writing to a String cannot fail.
        let _ = match *c {
            Cmd::Move(x, y) => write!(d, "M{} {}", num(x), num(y)),
            Cmd::Line(x, y) => write!(d, "L{} {}", num(x), num(y)),
            Cmd::Quad(a, b, x, y) => write!(d, "Q{} {} {} {}", num(a), num(b), num(x), num(y)),
            Cmd::Cubic(a, b, c2, d2, x, y) => write!(
                d,
                "C{} {} {} {} {} {}",
                num(a),
                num(b),
                num(c2),
                num(d2),
                num(x),
                num(y)
            ),
            Cmd::Close => write!(d, "Z"),
        };
    }
    d
}

fn write_path(out: &mut String, p: &PathData, style: &Style, extra: &str) {
    if p.cmds.is_empty() || !p.is_finite() {
        return;
    }
    let _ = write!(out, "<path d=\"{}\"", path_d(p));
    match style.fill {
        Some(c) => {
            let _ = write!(out, " fill=\"{}\"", color(c));
            if c.3 != 255 {
                let _ = write!(out, " fill-opacity=\"{}\"", num(f64::from(c.3) / 255.0));
            }
        }
        None => out.push_str(" fill=\"none\""),
    }
    if let Some(s) = &style.stroke {
        let _ = write!(
            out,
            " stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\"",
            color(s.color),
            num(s.width)
        );
        if s.color.3 != 255 {
            let _ = write!(
                out,
                " stroke-opacity=\"{}\"",
                num(f64::from(s.color.3) / 255.0)
            );
        }
        if let Some(dash) = &s.dash {
            let list: Vec<String> = dash.iter().map(|v| num(*v)).collect();
            let _ = write!(out, " stroke-dasharray=\"{}\"", list.join(" "));
        }
    }
    out.push_str(extra);
    out.push_str("/>\n");
}

/// The SVG document of a scene.
pub fn to_svg(scene: &Scene) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let (w, h) = (scene.width, scene.height);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&scene.title));
    if let Some(bg) = scene.background {
        let _ = writeln!(
            out,
            "<rect width=\"{w}\" height=\"{h}\" fill=\"{}\"/>",
            color(bg)
        );
    }
    for item in &scene.items {
        write_item(&mut out, item);
    }
    out.push_str("</svg>\n");
    out
}

fn write_item(out: &mut String, item: &Item) {
    {
        match item {
            Item::Path { path, style } => write_path(out, path, style, ""),
            Item::Text {
                text,
                x,
                y,
                size,
                weight,
                anchor,
                color: c,
            } => {
                let p = font::text_path(text, *x, *y, *size, *weight, *anchor);
                let label = format!(" aria-label=\"{}\"", escape(text));
                write_path(
                    out,
                    &p,
                    &Style {
                        fill: Some(*c),
                        stroke: None,
                    },
                    &label,
                );
            }
            Item::Marker { kind, x, y, radius } => {
                for (p, s) in marker_paths(*kind, *x, *y, *radius) {
                    write_path(out, &p, &s, "");
                }
            }
            Item::Detail(inner) => write_item(out, inner),
        }
    }
}
