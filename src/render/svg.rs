//! SVG back end: writes a [`Scene`] as a standalone SVG document whose user units are the
//! full image's pixels. Text and markers are lowered to paths exactly as the raster back end
//! does; numbers are printed with at most two decimals, so the output is deterministic.

use std::fmt::Write;

use super::font;
use super::scene::{marker_paths, Cmd, Item, PathData, Rgba, Scene, Style};

/// Formats a coordinate: two decimals at most, no trailing zeros, never `-0`.
pub(crate) fn num(v: f64) -> String {
    let mut s = String::with_capacity(12);
    push_num(&mut s, v);
    s
}

/// Appends [`num`]`(v)` to `out`, without allocating for ordinary magnitudes (an SVG holds
/// tens of thousands of coordinates).
pub(crate) fn push_num(out: &mut String, v: f64) {
    let v = if v.is_finite() { v } else { 0.0 };
    let cents = (v * 100.0).round();
    if cents.abs() >= 1e15 {
        out.push_str(&num_slow(v));
        return;
    }
    let c = cents as i64;
    if c < 0 {
        out.push('-');
    }
    let a = c.unsigned_abs();
    let _ = write!(out, "{}", a / 100);
    let frac = a % 100;
    if frac != 0 {
        out.push('.');
        out.push(char::from(b'0' + (frac / 10) as u8));
        if frac % 10 != 0 {
            out.push(char::from(b'0' + (frac % 10) as u8));
        }
    }
}

/// The reference formatting (for magnitudes beyond exact integer cents).
fn num_slow(v: f64) -> String {
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
    let nums = |d: &mut String, tag: char, vs: &[f64]| {
        d.push(tag);
        for (i, v) in vs.iter().enumerate() {
            if i > 0 {
                d.push(' ');
            }
            push_num(d, *v);
        }
    };
    for c in &p.cmds {
        match *c {
            Cmd::Move(x, y) => nums(&mut d, 'M', &[x, y]),
            Cmd::Line(x, y) => nums(&mut d, 'L', &[x, y]),
            Cmd::Quad(a, b, x, y) => nums(&mut d, 'Q', &[a, b, x, y]),
            Cmd::Cubic(a, b, c2, d2, x, y) => nums(&mut d, 'C', &[a, b, c2, d2, x, y]),
            Cmd::Close => d.push('Z'),
        }
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
            Item::Rect { rect, color: c } => {
                let [x0, y0, x1, y1] = *rect;
                if rect.iter().all(|v| v.is_finite()) {
                    out.push_str("<rect x=\"");
                    push_num(out, x0.min(x1));
                    out.push_str("\" y=\"");
                    push_num(out, y0.min(y1));
                    out.push_str("\" width=\"");
                    push_num(out, (x1 - x0).abs());
                    out.push_str("\" height=\"");
                    push_num(out, (y1 - y0).abs());
                    let _ = write!(out, "\" fill=\"{}\"", color(*c));
                    if c.3 != 255 {
                        out.push_str(" fill-opacity=\"");
                        push_num(out, f64::from(c.3) / 255.0);
                        out.push('"');
                    }
                    out.push_str("/>\n");
                }
            }
            Item::Detail(inner) => write_item(out, inner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_numbers_print_as_the_reference() {
        let mut values = vec![
            0.0,
            -0.0,
            0.004,
            -0.004,
            0.005,
            -0.005,
            0.015,
            1.005,
            -1.005,
            0.1,
            0.12,
            0.125,
            -0.125,
            1.5,
            -1.5,
            10.0,
            99.995,
            1e6,
            -1e6,
            123456.789,
            1e12,
            -1e12,
            9.99e12,
            1e13,
            1e15,
            1e17,
            -1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.30000000000000004,
            2.675,
            1.115,
            -2.675,
        ];
        // A deterministic spread over many magnitudes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let unit = (x >> 11) as f64 / (1u64 << 53) as f64;
            let scale = 10f64.powi(i % 16 - 3);
            let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
            values.push(sign * unit * scale);
            // Values on and near half-cent boundaries.
            values.push(sign * ((x % 200_000) as f64 + 0.5) / 100.0);
        }
        for v in values {
            assert_eq!(num(v), num_slow(v), "{v:e}");
        }
    }
}
