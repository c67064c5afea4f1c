//! Drawing helpers of the chart: styles, pixel-snapped bars, lines, text (also turned upright),
//! polyline simplification, and the cleaned-up names and motor list of the title block.

use crate::render::font;
use crate::render::scene::{Anchor, Cmd, Item, PathData, Rgba, StrokeStyle, Style, Weight};

pub(super) fn stroke(color: Rgba, width: f64, dash: Option<Vec<f64>>) -> Style {
    Style {
        fill: None,
        stroke: Some(StrokeStyle { color, width, dash }),
    }
}

pub(super) fn fill(color: Rgba) -> Style {
    Style {
        fill: Some(color),
        stroke: None,
    }
}

/// A horizontal or vertical line from `a` to `b`, `width` pixels wide, as a filled rectangle
/// snapped to whole pixels: crisp, and much cheaper to rasterise than a thin anti-aliased
/// stroke (drawn pixel by pixel).
pub(super) fn bar(items: &mut Vec<Item>, a: [f64; 2], b: [f64; 2], width: f64, color: Rgba) {
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

pub(super) fn line(items: &mut Vec<Item>, a: [f64; 2], b: [f64; 2], style: Style) {
    items.push(Item::Path {
        path: PathData::polyline(&[a, b]),
        style,
    });
}

/// A line of text at `[x, baseline]`, styled `(weight, anchor, colour)`.
pub(super) fn text(
    items: &mut Vec<Item>,
    t: &str,
    at: [f64; 2],
    size: f64,
    style: (Weight, Anchor, Rgba),
) {
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
pub(super) fn vertical_text(t: &str, cx: f64, cy: f64, size: f64, weight: Weight) -> PathData {
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
pub(super) fn simplify(pts: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
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

pub(super) fn clean(s: Option<&str>) -> String {
    let s: String = s
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "C6-5", "D12-3 ×2 + C6-7".
pub(super) fn motors_text(motors: &[String]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
