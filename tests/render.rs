//! Profile images: dimensions, fit, fin placement, determinism, the whole corpus, and
//! degenerate / extreme designs.
//!
//! Set `RENDER_DUMP_DIR=/some/dir` to also write every corpus file's PNG, thumbnail and SVG
//! there (for looking at them).

use std::path::{Path, PathBuf};

mod common;

use ork_processor::geometry::{self, Cylinder, Part, PartShape, Resolved};
use ork_processor::model::{ComponentKind, Design};
use ork_processor::ork::{parse, ParseOptions};
use ork_processor::render::{self, Background, RenderConfig, RenderError};

fn corpus_file(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel);
    if p.is_file() {
        Some(p)
    } else {
        println!("SKIPPED: {} not found (corpus absent)", p.display());
        None
    }
}

fn load(path: &Path) -> Design {
    let bytes = std::fs::read(path).expect("read");
    parse(&bytes, &ParseOptions::default())
        .expect("parse")
        .design
}

fn testdata(name: &str) -> Design {
    load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(name),
    )
}

/// Decoded PNG: width, height, channels, pixels.
struct Img {
    w: u32,
    h: u32,
    ch: usize,
    data: Vec<u8>,
}

impl Img {
    fn px(&self, x: u32, y: u32) -> &[u8] {
        let i = (y as usize * self.w as usize + x as usize) * self.ch;
        &self.data[i..i + self.ch]
    }
    /// Painted = not the background (white, or alpha 0 when transparent).
    fn painted(&self, x: u32, y: u32) -> bool {
        let p = self.px(x, y);
        if self.ch == 4 {
            p[3] != 0
        } else {
            p[..3] != [255, 255, 255]
        }
    }
    /// Bounding box of painted pixels: (x0, y0, x1, y1) inclusive.
    fn painted_bbox(&self) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..self.h {
            for x in 0..self.w {
                if self.painted(x, y) {
                    b = Some(match b {
                        None => (x, y, x, y),
                        Some((a, c, d, e)) => (a.min(x), c.min(y), d.max(x), e.max(y)),
                    });
                }
            }
        }
        b
    }
}

fn decode(png_bytes: &[u8]) -> Img {
    let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = dec.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let ch = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected colour type {other:?}"),
    };
    Img {
        w: info.width,
        h: info.height,
        ch,
        data: buf,
    }
}

fn render_file(design: &Design, cfg: &RenderConfig) -> render::Images {
    let resolved = geometry::resolve(design).expect("resolve");
    let figures = geometry::figures(design).ok();
    render::render(design, &resolved, figures.as_ref(), cfg).expect("render")
}

#[test]
fn dimensions_and_formats() {
    let d = testdata("all-components.ork");
    let cfg = RenderConfig::default();
    let img = render_file(&d, &cfg);
    assert_eq!(img.width, 2000);
    assert_eq!(img.thumb_width, 400);
    let full = decode(&img.png);
    let thumb = decode(&img.thumb_png);
    assert_eq!((full.w, full.h), (img.width, img.height));
    assert_eq!((thumb.w, thumb.h), (img.thumb_width, img.thumb_height));
    assert_eq!(full.ch, 3, "white background is encoded as RGB");
    assert!(img.height as f64 >= 0.2 * 2000.0 && img.height as f64 <= 2000.0);
    // The thumbnail keeps the aspect ratio.
    let ar_full = img.width as f64 / img.height as f64;
    let ar_thumb = img.thumb_width as f64 / img.thumb_height as f64;
    assert!(
        (ar_full - ar_thumb).abs() / ar_full < 0.02,
        "{ar_full} vs {ar_thumb}"
    );
    // The SVG has the same size and is a complete document.
    assert!(img.svg.starts_with("<svg "));
    assert!(img.svg.contains(&format!(
        "width=\"{}\" height=\"{}\"",
        img.width, img.height
    )));
    assert!(img.svg.trim_end().ends_with("</svg>"));
    // Transparent background: RGBA with transparent corners.
    let cfg = RenderConfig {
        background: Background::Transparent,
        width_px: 800,
        thumb_width_px: 200,
        ..RenderConfig::default()
    };
    let img = render_file(&d, &cfg);
    let full = decode(&img.png);
    assert_eq!(full.ch, 4);
    assert_eq!(full.px(0, 0)[3], 0);
    assert_eq!(full.px(full.w - 1, full.h - 1)[3], 0);
    assert!(!img.svg.contains("<rect width="), "no background rect");
}

/// Side-view envelope of every outer body (all instance axes): (x0, x1, y0, y1), metres.
fn body_envelope(resolved: &Resolved) -> (f64, f64, f64, f64) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &resolved.parts {
        let PartShape::Body { profile, .. } = &p.shape else {
            continue;
        };
        let rmax = profile.iter().map(|q| q[1].abs()).fold(0.0, f64::max);
        for q in profile {
            x0 = x0.min(q[0]);
            x1 = x1.max(q[0]);
        }
        for a in &p.axes {
            y0 = y0.min(a[0] - rmax);
            y1 = y1.max(a[0] + rmax);
        }
    }
    (x0, x1, y0, y1)
}

/// The body-only drawing's painted box matches the bodies' length × height (for a plain
/// rocket: body length / max diameter), and sits where the frame says.
#[test]
fn body_aspect_ratio_matches_geometry() {
    let mut designs = vec![("all-components", testdata("all-components.ork"))];
    if let Some(p) = corpus_file("openrocket-examples/A simple model rocket.ork") {
        designs.push(("simple", load(&p)));
    }
    for (name, d) in designs {
        let resolved = geometry::resolve(&d).expect("resolve");
        let img = render::render(&d, &resolved, None, &RenderConfig::body_only()).expect("render");
        let full = decode(&img.png);
        let (x0, y0, x1, y1) = full.painted_bbox().expect("something painted");
        let (w_px, h_px) = ((x1 - x0 + 1) as f64, (y1 - y0 + 1) as f64);
        let (lo, hi, bot, top) = body_envelope(&resolved);
        let expect = (hi - lo) / (top - bot);
        let got = w_px / h_px;
        println!("{name}: painted {w_px}×{h_px} px, aspect {got:.3}, geometry {expect:.3}");
        // Anti-aliased outlines add ~1 px on each side.
        assert!(
            (got - expect).abs() / expect < 0.04,
            "{name}: aspect {got} vs {expect}"
        );
        // The horizontal extent is the length at the frame's scale, at the frame's place.
        let want_w = (hi - lo) * img.frame.px_per_m;
        assert!((w_px - want_w).abs() < 4.0, "{name}: {w_px} vs {want_w}");
        let left = img.frame.to_px(lo, 0.0)[0];
        assert!(
            (x0 as f64 - left).abs() < 2.5,
            "{name}: left {x0} vs {left}"
        );
        let upper = img.frame.to_px(0.0, top)[1];
        assert!(
            (y0 as f64 - upper).abs() < 2.5,
            "{name}: top {y0} vs {upper}"
        );
    }
    // A plain rocket: exactly length / max diameter.
    if let Some(p) = corpus_file("openrocket-examples/A simple model rocket.ork") {
        let d = load(&p);
        let resolved = geometry::resolve(&d).expect("resolve");
        let f = geometry::figures(&d).expect("figures");
        let img = render::render(&d, &resolved, None, &RenderConfig::body_only()).expect("render");
        let (x0, y0, x1, y1) = decode(&img.png).painted_bbox().expect("painted");
        let got = (x1 - x0 + 1) as f64 / (y1 - y0 + 1) as f64;
        // Its fins trail 25.4 mm past the body tube (sweep 25.4 mm + tip 50.8 mm on a
        // 50.8 mm root): the length counts them, as OpenRocket's bounding box does, while the
        // body-only picture shows the bodies alone.
        let (lo, hi, _, _) = body_envelope(&resolved);
        assert!((hi - lo - 0.4).abs() < 1e-9, "bodies {}", hi - lo);
        assert!((f.length_m - 0.4254).abs() < 1e-9, "length {}", f.length_m);
        let expect = (hi - lo) / f.max_diameter_m;
        assert!((got - expect).abs() / expect < 0.04, "{got} vs {expect}");
    }
}

/// Projected fin polygons (full-image pixels) for every fin instance of a resolved design.
fn fin_polygons(resolved: &Resolved, frame: &render::Frame) -> Vec<(Vec<[f64; 2]>, f64)> {
    let mut out = Vec::new();
    for p in &resolved.parts {
        let PartShape::Fins {
            count,
            base_angle_rad,
            body_radius_m,
            outline,
            ..
        } = &p.shape
        else {
            continue;
        };
        for &[ay, _] in &p.axes {
            for i in 0..*count {
                let th = base_angle_rad + std::f64::consts::TAU * f64::from(i) / f64::from(*count);
                let c = th.cos();
                let poly = outline
                    .iter()
                    .map(|q| frame.to_px(q[0], ay + (body_radius_m + q[1]) * c))
                    .collect();
                out.push((poly, c));
            }
        }
    }
    out
}

fn inside(poly: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut c = false;
    for i in 0..poly.len() {
        let a = poly[i];
        let b = poly[(i + 1) % poly.len()];
        if (a[1] > y) != (b[1] > y) && x < a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
            c = !c;
        }
    }
    c
}

fn seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)).sqrt()
}

fn near_poly(poly: &[[f64; 2]], x: f64, y: f64, tol: f64) -> bool {
    inside(poly, x, y)
        || (0..poly.len()).any(|i| seg_dist([x, y], poly[i], poly[(i + 1) % poly.len()]) <= tol)
}

/// A simple rocket built by hand: nose, tube, three fins at 0°, 120°, 240°.
fn three_fin_rocket() -> Resolved {
    let r = 0.02;
    let mut f = fins(2, 0.42, 0.08, 0.06, r, [0.0, 0.0]);
    if let PartShape::Fins { count, .. } = &mut f.shape {
        *count = 3;
    }
    Resolved {
        parts: vec![
            body(
                0,
                ComponentKind::NoseCone,
                0.0,
                vec![[0.0, 0.0], [0.1, 0.015], [0.15, r]],
                [0.0, 0.0],
            ),
            body(
                1,
                ComponentKind::BodyTube,
                0.15,
                vec![[0.15, r], [0.5, r]],
                [0.0, 0.0],
            ),
            f,
        ],
        length_m: 0.5,
        max_radius_m: r,
    }
}

/// Fin-coloured pixels are exactly where the geometry puts fins: the middle of every visible
/// fin is painted in the fin colour, and no fin-coloured pixel lies outside a projected fin.
#[test]
fn fins_are_where_the_geometry_says() {
    let mut designs = vec![("three-fin", testdata("minimal.ork"), three_fin_rocket())];
    if let Some(p) = corpus_file("openrocket-examples/A simple model rocket.ork") {
        let d = load(&p);
        let r = geometry::resolve(&d).expect("resolve");
        designs.push(("simple", d, r));
    }
    let fin = render::draw::FIN_FILL;
    let cfg = RenderConfig {
        show_inner: false,
        show_markers: false,
        show_annotations: false,
        ..RenderConfig::default()
    };
    for (name, d, resolved) in designs {
        let img = render::render(&d, &resolved, None, &cfg).expect("render");
        let full = decode(&img.png);
        let is_fin = |x: u32, y: u32| {
            let p = full.px(x, y);
            (p[0] as i32 - fin.0 as i32).abs() <= 2
                && (p[1] as i32 - fin.1 as i32).abs() <= 2
                && (p[2] as i32 - fin.2 as i32).abs() <= 2
        };
        let polys = fin_polygons(&resolved, &img.frame);
        // 1. Mid-fin points of fins pointing up or down (and not behind the body).
        let mut checked = 0;
        for (poly, c) in &polys {
            if c.abs() < 0.5 {
                continue;
            }
            // Centroid of the vertices: inside a convex fin.
            let n = poly.len() as f64;
            let cx = poly.iter().map(|q| q[0]).sum::<f64>() / n;
            let cy = poly.iter().map(|q| q[1]).sum::<f64>() / n;
            assert!(inside(poly, cx, cy));
            let (px, py) = (cx.round() as u32, cy.round() as u32);
            assert!(
                is_fin(px, py),
                "{name}: fin pixel ({px}, {py}) is {:?}",
                full.px(px, py)
            );
            checked += 1;
        }
        assert!(checked > 0, "{name}: no fin checked");
        // 2. Every fin-coloured pixel is on a fin.
        let mut fin_px = 0;
        for y in 0..full.h {
            for x in 0..full.w {
                if is_fin(x, y) {
                    fin_px += 1;
                    let (fx, fy) = (x as f64, y as f64);
                    assert!(
                        polys.iter().any(|(p, _)| near_poly(p, fx, fy, 2.0)),
                        "{name}: fin-coloured pixel ({x}, {y}) off every fin"
                    );
                }
            }
        }
        println!("{name}: {checked} fin centres, {fin_px} fin pixels checked");
    }
}

#[test]
fn output_is_deterministic() {
    let mut designs = vec![testdata("all-components.ork")];
    if let Some(p) = corpus_file("openrocket-examples/Pods--powered with recovery deployment.ork") {
        designs.push(load(&p));
    }
    for d in designs {
        let a = render_file(&d, &RenderConfig::default());
        let b = render_file(&d, &RenderConfig::default());
        assert_eq!(a.png, b.png);
        assert_eq!(a.thumb_png, b.thumb_png);
        assert_eq!(a.svg, b.svg);
        // No time chunk in the PNGs.
        assert!(!a.png.windows(4).any(|w| w == b"tIME"));
    }
}

#[test]
fn every_corpus_file_renders() {
    let files = common::corpus_files("every_corpus_file_renders");
    if files.is_empty() {
        return;
    }
    let dump = std::env::var_os("RENDER_DUMP_DIR").map(PathBuf::from);
    // Half width keeps this quick in debug builds; dumps are full size.
    let cfg = if dump.is_some() {
        RenderConfig::default()
    } else {
        RenderConfig {
            width_px: 1000,
            thumb_width_px: 250,
            ..RenderConfig::default()
        }
    };
    let w = f64::from(cfg.width_px);
    let mut n = 0;
    for f in &files {
        let d = load(f);
        let Ok(resolved) = geometry::resolve(&d) else {
            println!("{}: geometry does not resolve, skipped", f.display());
            continue;
        };
        let figures = geometry::figures(&d).ok();
        let img = render::render(&d, &resolved, figures.as_ref(), &cfg)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let full = decode(&img.png);
        assert_eq!((full.w, full.h), (img.width, img.height));
        let h = f64::from(full.h);
        assert!(
            h >= 0.2 * w - 1.0 && h <= w,
            "{}: height {}",
            f.display(),
            full.h
        );
        // Nothing touches the image border (everything fits with margins).
        let (x0, y0, x1, y1) = full.painted_bbox().expect("painted");
        assert!(
            x0 > 0 && y0 > 0 && x1 < full.w - 1 && y1 < full.h - 1,
            "{}: drawing touches the border",
            f.display()
        );
        decode(&img.thumb_png);
        if let Some(dir) = &dump {
            let stem = f.file_stem().unwrap().to_string_lossy().replace(' ', "_");
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{stem}.png")), &img.png).unwrap();
            std::fs::write(dir.join(format!("{stem}.thumb.png")), &img.thumb_png).unwrap();
            std::fs::write(dir.join(format!("{stem}.svg")), &img.svg).unwrap();
        }
        n += 1;
    }
    println!("{n} of {} corpus files rendered", files.len());
    assert!(n * 10 >= files.len() * 9, "too few rendered: {n}");
}

fn body(index: usize, kind: ComponentKind, x: f64, profile: Vec<[f64; 2]>, axis: [f64; 2]) -> Part {
    let len = profile.last().unwrap()[0] - profile[0][0];
    Part {
        index,
        kind,
        x_m: x,
        length_m: len,
        axes: vec![axis],
        inner: false,
        shape: PartShape::Body {
            profile,
            thickness_m: None,
            fore_shoulder: None,
            aft_shoulder: None,
        },
    }
}

fn fins(index: usize, x: f64, root: f64, span: f64, body_r: f64, axis: [f64; 2]) -> Part {
    Part {
        index,
        kind: ComponentKind::TrapezoidFinSet,
        x_m: x,
        length_m: root,
        axes: vec![axis],
        inner: false,
        shape: PartShape::Fins {
            count: 4,
            base_angle_rad: 0.0,
            cant_rad: 0.0,
            thickness_m: 0.003,
            body_radius_m: body_r,
            outline: vec![
                [x, 0.0],
                [x + root * 0.5, span],
                [x + root, span],
                [x + root, 0.0],
            ],
            tab: None,
        },
    }
}

/// Asserts the painted drawing is inside the image with some margin, and returns its box.
fn assert_fits(img: &render::Images, what: &str) -> (u32, u32, u32, u32) {
    if let Some(dir) = std::env::var_os("RENDER_DUMP_DIR") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("synthetic-{what}.png")), &img.png).unwrap();
    }
    let full = decode(&img.png);
    let b = full.painted_bbox().expect("painted");
    let m = 4;
    assert!(
        b.0 >= m && b.1 >= m && b.2 + m < full.w && b.3 + m < full.h,
        "{what}: painted box {b:?} in {}×{}",
        full.w,
        full.h
    );
    b
}

#[test]
fn very_long_thin_rocket_fits() {
    let d = testdata("minimal.ork");
    let r = 0.01;
    let len = 60.0;
    let parts = vec![
        body(
            0,
            ComponentKind::NoseCone,
            0.0,
            vec![[0.0, 0.0], [0.1, r]],
            [0.0, 0.0],
        ),
        body(
            1,
            ComponentKind::BodyTube,
            0.1,
            vec![[0.1, r], [len, r]],
            [0.0, 0.0],
        ),
        fins(2, len - 0.05, 0.05, 0.02, r, [0.0, 0.0]),
    ];
    let resolved = Resolved {
        parts,
        length_m: len,
        max_radius_m: r,
    };
    let cfg = RenderConfig::default();
    let img = render::render(&d, &resolved, None, &cfg).expect("render");
    assert!(img.height >= 400 && img.height <= 2000);
    let (x0, _, x1, _) = assert_fits(&img, "long");
    // The rocket spans (almost) the full width.
    assert!(x1 - x0 > 1800, "spans {}", x1 - x0);
    // The body is still drawn (at least one pixel thick) on the axis, mid-length.
    let full = decode(&img.png);
    let [mx, my] = img.frame.to_px(len / 2.0, 0.0);
    assert!(full.painted(mx as u32, my.round() as u32));
}

#[test]
fn huge_pods_fit() {
    let d = testdata("minimal.ork");
    let r = 0.03;
    // Main body 1 m; two pods 4 m away, each 0.8 m in radius and 3 m long.
    let mut parts = vec![
        body(
            0,
            ComponentKind::NoseCone,
            0.0,
            vec![[0.0, 0.0], [0.2, r]],
            [0.0, 0.0],
        ),
        body(
            1,
            ComponentKind::BodyTube,
            0.2,
            vec![[0.2, r], [1.0, r]],
            [0.0, 0.0],
        ),
    ];
    let pod = Part {
        index: 2,
        kind: ComponentKind::PodSet,
        x_m: 0.5,
        length_m: 3.0,
        axes: vec![[0.0, 0.0]],
        inner: false,
        shape: PartShape::Assembly {
            radial_offset_m: 4.0,
            angles_rad: vec![0.0, std::f64::consts::PI],
        },
    };
    parts.push(pod);
    let mut pb = body(
        3,
        ComponentKind::BodyTube,
        0.5,
        vec![[0.5, 0.8], [3.5, 0.8]],
        [4.0, 0.0],
    );
    pb.axes.push([-4.0, 0.0]);
    parts.push(pb);
    let mut pf = fins(4, 3.0, 0.5, 0.6, 0.8, [4.0, 0.0]);
    pf.axes.push([-4.0, 0.0]);
    parts.push(pf);
    parts.push(Part {
        index: 5,
        kind: ComponentKind::InnerTube,
        x_m: 3.0,
        length_m: 0.5,
        axes: vec![[4.0, 0.0], [-4.0, 0.0]],
        inner: true,
        shape: PartShape::Tube(Cylinder {
            x_m: 3.0,
            length_m: 0.5,
            outer_radius_m: 0.1,
            inner_radius_m: 0.09,
        }),
    });
    let resolved = Resolved {
        parts,
        length_m: 3.5,
        max_radius_m: r,
    };
    let cfg = RenderConfig {
        show_annotations: false,
        ..RenderConfig::default()
    };
    let img = render::render(&d, &resolved, None, &cfg).expect("render");
    assert!(img.height <= 2000, "height {}", img.height);
    let (_, y0, _, y1) = assert_fits(&img, "pods");
    // Pods' outer edges: y = ±(4 + 0.8 + 0.6 fin) m.
    let top = img.frame.to_px(0.0, 5.4)[1];
    let bottom = img.frame.to_px(0.0, -5.4)[1];
    assert!((y0 as f64 - top).abs() < 4.0, "{y0} vs {top}");
    assert!((y1 as f64 - bottom).abs() < 4.0, "{y1} vs {bottom}");
}

#[test]
fn odd_input_never_panics() {
    let d = testdata("minimal.ork");
    let cfg = RenderConfig {
        width_px: 300,
        thumb_width_px: 64,
        ..RenderConfig::default()
    };
    // Nothing at all.
    let empty = Resolved {
        parts: vec![],
        length_m: 0.0,
        max_radius_m: 0.0,
    };
    assert_eq!(
        render::render(&d, &empty, None, &cfg),
        Err(RenderError::NothingToDraw)
    );
    // NaN and infinities everywhere.
    let nan = f64::NAN;
    let parts = vec![
        body(
            0,
            ComponentKind::NoseCone,
            nan,
            vec![[0.0, nan], [nan, 0.1]],
            [0.0, 0.0],
        ),
        body(
            1,
            ComponentKind::BodyTube,
            0.0,
            vec![[0.0, 0.02], [0.5, 0.02]],
            [nan, 0.0],
        ),
        body(
            2,
            ComponentKind::BodyTube,
            0.0,
            vec![[0.0, f64::INFINITY], [0.5, 0.02]],
            [0.0, 0.0],
        ),
        fins(3, nan, nan, nan, nan, [0.0, 0.0]),
    ];
    let resolved = Resolved {
        parts,
        length_m: nan,
        max_radius_m: nan,
    };
    let _ = render::render(&d, &resolved, None, &cfg);
    // A single zero-size body: still an image.
    let parts = vec![body(
        0,
        ComponentKind::BodyTube,
        0.0,
        vec![[0.0, 0.0], [0.0, 0.0]],
        [0.0, 0.0],
    )];
    let resolved = Resolved {
        parts,
        length_m: 0.0,
        max_radius_m: 0.0,
    };
    let img = render::render(&d, &resolved, None, &cfg).expect("degenerate body renders");
    decode(&img.png);
    // A long name with markup and control characters: escaped, shrunk or cut, never outside.
    let mut named = d.clone();
    named.rocket.name = Some(format!(
        "<Rocket & \"Co\">\u{7}\n{}",
        "Ω-very-long ".repeat(40)
    ));
    let img = render::render(&named, &resolved, None, &cfg).expect("long name renders");
    assert!(img.svg.contains("&lt;Rocket &amp; &quot;Co&quot;&gt;"));
    assert!(!img.svg.contains('\u{7}'));
    let full = decode(&img.png);
    let (x0, _, x1, _) = full.painted_bbox().expect("painted");
    assert!(x0 > 0 && x1 < full.w - 1);
    // Bad configs are errors.
    for bad in [
        RenderConfig {
            width_px: 0,
            ..RenderConfig::default()
        },
        RenderConfig {
            thumb_width_px: 5000,
            ..RenderConfig::default()
        },
        RenderConfig {
            max_height_ratio: f64::NAN,
            ..RenderConfig::default()
        },
    ] {
        assert!(matches!(
            render::render(&d, &resolved, None, &bad),
            Err(RenderError::Config(_))
        ));
    }
    // Every testdata design that parses and resolves renders.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let Ok(parsed) = parse(&bytes, &ParseOptions::default()) else {
            continue;
        };
        let Ok(res) = geometry::resolve(&parsed.design) else {
            continue;
        };
        let figs = geometry::figures(&parsed.design).ok();
        match render::render(&parsed.design, &res, figs.as_ref(), &cfg) {
            Ok(_) | Err(RenderError::NothingToDraw) => {}
            Err(e) => panic!("{}: {e}", p.display()),
        }
    }
}

/// Debugging aid: `RENDER_FILE=path RENDER_WIDTH=4000 cargo test --test render -- --ignored
/// dump_one --nocapture` prints the resolved parts and writes `/tmp/render-one.png`.
#[test]
#[ignore]
fn dump_one() {
    let Some(f) = std::env::var_os("RENDER_FILE") else {
        println!("set RENDER_FILE");
        return;
    };
    let d = load(Path::new(&f));
    let resolved = geometry::resolve(&d).expect("resolve");
    for p in &resolved.parts {
        let shape = serde_json::to_string(&p.shape).unwrap_or_default();
        let shape: String = shape.chars().take(300).collect();
        println!(
            "{:>3} {:?} x={:.4} len={:.4} inner={} axes={:?} {}",
            p.index, p.kind, p.x_m, p.length_m, p.inner, p.axes, shape
        );
    }
    let width = std::env::var("RENDER_WIDTH")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2000);
    let cfg = RenderConfig {
        width_px: width,
        ..RenderConfig::default()
    };
    let figures = geometry::figures(&d).ok();
    let img = render::render(&d, &resolved, figures.as_ref(), &cfg).expect("render");
    std::fs::write("/tmp/render-one.png", &img.png).unwrap();
    std::fs::write("/tmp/render-one.svg", &img.svg).unwrap();
    // RENDER_CROP=x0,y0,x1,y1 (fractions of the image) writes /tmp/render-crop.png.
    if let Ok(c) = std::env::var("RENDER_CROP") {
        let v: Vec<f64> = c.split(',').filter_map(|s| s.parse().ok()).collect();
        if v.len() == 4 {
            let full = decode(&img.png);
            let (w, h) = (f64::from(full.w), f64::from(full.h));
            let (x0, y0) = ((v[0] * w) as u32, (v[1] * h) as u32);
            let (x1, y1) = (
                ((v[2] * w) as u32).min(full.w),
                ((v[3] * h) as u32).min(full.h),
            );
            let mut out = Vec::new();
            for y in y0..y1 {
                for x in x0..x1 {
                    out.extend_from_slice(full.px(x, y));
                }
            }
            let mut bytes = Vec::new();
            let mut enc = png::Encoder::new(&mut bytes, x1 - x0, y1 - y0);
            enc.set_color(if full.ch == 3 {
                png::ColorType::Rgb
            } else {
                png::ColorType::Rgba
            });
            enc.set_depth(png::BitDepth::Eight);
            enc.write_header().unwrap().write_image_data(&out).unwrap();
            std::fs::write("/tmp/render-crop.png", bytes).unwrap();
        }
    }
}
