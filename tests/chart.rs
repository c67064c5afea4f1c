//! Flight charts: dimensions, determinism, the apogee marker's pixels, extreme and broken
//! flights (table-driven), label overlap, the choice of the primary simulation, the motors of
//! a configuration, and a chart for every corpus design with data.
//!
//! Set `CHART_DUMP_DIR=/some/dir` to also write the PNG and SVG of every corpus chart and every
//! synthetic case there (for looking at them).

use std::path::{Path, PathBuf};

mod common;

use ork_processor::model::{
    BranchSeries, ContainerInfo, ContainerKind, Design, FlightSeries, MotorConfiguration,
    MotorMount, MountedMotor, Rocket, SeriesEvent, Simulation,
};
use ork_processor::ork::{parse, ParseOptions};
use ork_processor::render::chart::{
    self, Chart, ChartConfig, ChartInput, ALTITUDE_COLOR, APOGEE_COLOR, VELOCITY_COLOR,
};
use ork_processor::render::font;
use ork_processor::render::scene::{Anchor, Item, Rgba};
use ork_processor::render::{Background, RenderError};

// ---------------------------------------------------------------------------------------------
// Helpers.

fn dump(name: &str, chart: &Chart) {
    let Ok(dir) = std::env::var("CHART_DUMP_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("dump dir");
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    std::fs::write(dir.join(format!("{safe}.png")), &chart.png).expect("write png");
    std::fs::write(dir.join(format!("{safe}.svg")), &chart.svg).expect("write svg");
}

/// Decoded PNG.
struct Img {
    w: u32,
    h: u32,
    ch: usize,
    data: Vec<u8>,
}

impl Img {
    fn px(&self, x: u32, y: u32) -> [u8; 4] {
        let i = (y as usize * self.w as usize + x as usize) * self.ch;
        let p = &self.data[i..i + self.ch];
        [p[0], p[1], p[2], if self.ch == 4 { p[3] } else { 255 }]
    }

    /// Pixels within `tol` (per channel) of an opaque colour.
    fn count(&self, c: Rgba, tol: u8) -> usize {
        let mut n = 0;
        for y in 0..self.h {
            for x in 0..self.w {
                if near(self.px(x, y), c, tol) {
                    n += 1;
                }
            }
        }
        n
    }
}

fn near(p: [u8; 4], c: Rgba, tol: u8) -> bool {
    p[3] == 255
        && p[0].abs_diff(c.0) <= tol
        && p[1].abs_diff(c.1) <= tol
        && p[2].abs_diff(c.2) <= tol
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

/// The text labels of an SVG (each text is a path with an `aria-label`).
fn labels(svg: &str) -> Vec<&str> {
    svg.split("aria-label=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

/// Width and height from the PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    (w, h)
}

/// Text boxes of a scene (horizontal text only), as (text, x0, y0, x1, y1).
fn text_boxes(items: &[Item]) -> Vec<(String, f64, f64, f64, f64)> {
    let mut out = Vec::new();
    for it in items {
        if let Item::Text {
            text,
            x,
            y,
            size,
            weight,
            anchor,
            ..
        } = it
        {
            let w = font::measure(text, *size, *weight);
            let x0 = match anchor {
                Anchor::Start => *x,
                Anchor::Middle => x - w / 2.0,
                Anchor::End => x - w,
            };
            out.push((text.clone(), x0, y - 0.76 * size, x0 + w, y + 0.23 * size));
        }
    }
    out
}

/// Everything a chart must always be: the asked size, PNG = SVG size, finite numbers, no
/// overlapping text, a marker inside the image, the curves visible.
fn sane(name: &str, input: &ChartInput<'_>, cfg: &ChartConfig, chart: &Chart) {
    assert_eq!(
        png_size(&chart.png),
        (cfg.width_px, cfg.height_px),
        "{name}"
    );
    assert_eq!((chart.width, chart.height), (cfg.width_px, cfg.height_px));
    assert!(
        chart.svg.starts_with("<svg ")
            && chart.svg.contains(&format!(
                "viewBox=\"0 0 {} {}\"",
                cfg.width_px, cfg.height_px
            )),
        "{name}"
    );
    for bad in ["NaN", "inf"] {
        assert!(!chart.svg.contains(bad), "{name}: {bad} in the SVG");
    }
    if let Some([x, y]) = chart.apogee_px {
        assert!(
            x.is_finite()
                && y.is_finite()
                && x >= 0.0
                && y >= 0.0
                && x < f64::from(chart.width)
                && y < f64::from(chart.height),
            "{name}: apogee at {x}, {y}"
        );
    }
    let (scene, apogee) = chart::chart_scene(input, cfg).expect("scene");
    assert_eq!(apogee, chart.apogee_px, "{name}");
    let boxes = text_boxes(&scene.items);
    let (w, h) = (f64::from(cfg.width_px), f64::from(cfg.height_px));
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            a.1 >= -0.5 && a.3 <= w + 0.5 && a.2 >= -0.5 && a.4 <= h + 0.5,
            "{name}: {:?} leaves the image",
            a.0
        );
        for b in &boxes[i + 1..] {
            let ox = a.3.min(b.3) - a.1.max(b.1);
            let oy = a.4.min(b.4) - a.2.max(b.2);
            assert!(
                ox <= 0.5 || oy <= 0.5,
                "{name}: {:?} overlaps {:?}",
                a.0,
                b.0
            );
        }
    }
}

const PLAIN: ChartConfig = ChartConfig {
    width_px: 1600,
    height_px: 900,
    background: Background::White,
};

fn ev(kind: &str, t: f64) -> SeriesEvent {
    SeriesEvent {
        kind: kind.to_string(),
        time_s: t,
    }
}

/// A plausible flight: boost to `apogee` at a fifth of `duration`, descent to `landing`.
fn flight(duration: f64, apogee: f64, landing: f64, n: usize) -> BranchSeries {
    let ta = 0.2 * duration;
    let n = n.max(1);
    let mut s = BranchSeries {
        branch: Some("Sustainer".into()),
        source_rows: n as u64,
        ..BranchSeries::default()
    };
    let (mut alt, mut vel) = (Vec::new(), Vec::new());
    for i in 0..n {
        let t = if n == 1 {
            0.0
        } else {
            duration * i as f64 / (n - 1) as f64
        };
        let (a, v) = if t <= ta {
            let k = (ta - t) / ta;
            (apogee * (1.0 - k * k), 2.0 * apogee * k / ta)
        } else {
            let k = (t - ta) / (duration - ta);
            (
                apogee + (landing - apogee) * k,
                (landing - apogee) / (duration - ta),
            )
        };
        s.time_s.push(t);
        alt.push(Some(a));
        vel.push(Some(v));
    }
    s.altitude_m = Some(alt);
    s.vertical_velocity_m_s = Some(vel);
    s.events = vec![
        ev("launch", 0.0),
        ev("ignition", 0.0),
        ev("liftoff", 0.003 * duration),
        ev("launchrod", 0.01 * duration),
        ev("burnout", 0.05 * duration),
        ev("apogee", ta),
        ev("ejectioncharge", ta + 0.01 * duration),
        ev("recoverydevicedeployment", ta + 0.01 * duration),
        ev("groundhit", duration),
        ev("simulationend", duration),
    ];
    s
}

fn input<'a>(series: &'a BranchSeries, motors: &'a [String]) -> ChartInput<'a> {
    ChartInput {
        design_name: Some("Test rocket"),
        simulation_name: Some("Simulation 1"),
        motors,
        series,
        branches: &[],
    }
}

// ---------------------------------------------------------------------------------------------
// Basic properties.

#[test]
fn default_size_and_deterministic_bytes() {
    let s = flight(60.0, 316.6, 0.0, 301);
    let motors = vec!["C6-5".to_string()];
    let inp = input(&s, &motors);
    let cfg = ChartConfig::default();
    assert_eq!((cfg.width_px, cfg.height_px), (1600, 900));
    let a = chart::flight_chart(&inp, &cfg).expect("chart");
    let b = chart::flight_chart(&inp, &cfg).expect("chart");
    assert_eq!(png_size(&a.png), (1600, 900));
    assert!(a.png == b.png, "PNG bytes differ between two runs");
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.apogee_px, b.apogee_px);
    sane("default", &inp, &cfg, &a);
    // The title, the simulation and the motor are in the SVG's text labels.
    for t in [
        "Test rocket",
        "Simulation 1",
        "C6-5",
        "Apogee 317 m at 12.0 s",
    ] {
        assert!(a.svg.contains(t), "{t} missing from the SVG");
    }
    for t in [
        "Launch rod clear",
        "Burnout",
        "Apogee",
        "Deployment",
        "Ground hit",
        "Time (s)",
    ] {
        assert!(
            labels(&a.svg).iter().any(|l| l.contains(t)),
            "no label says {t}"
        );
    }
    dump("synthetic-default", &a);
}

#[test]
fn apogee_marker_is_drawn_at_apogee_px() {
    let s = flight(60.0, 612.0, 0.0, 300);
    let inp = input(&s, &[]);
    let c = chart::flight_chart(&inp, &PLAIN).expect("chart");
    let [x, y] = c.apogee_px.expect("an apogee marker");
    let img = decode(&c.png);
    assert_eq!((img.w, img.h, img.ch), (1600, 900, 3));
    // The marker's disc: its centre and a few pixels around it are the marker's red.
    for (dx, dy) in [(0, 0), (-3, 0), (3, 0), (0, -3), (0, 3), (2, 2), (-2, -2)] {
        let px = (x.round() as i64 + dx) as u32;
        let py = (y.round() as i64 + dy) as u32;
        let p = img.px(px, py);
        assert!(
            near(p, APOGEE_COLOR, 24),
            "pixel ({px}, {py}) is {p:?}, not the apogee red"
        );
    }
    // Well outside the disc it is not.
    let p = img.px(x.round() as u32, (y.round() as u32).saturating_sub(14));
    assert!(!near(p, APOGEE_COLOR, 24), "{p:?} above the marker");
    // The apogee is the highest point drawn: the marker is above every altitude pixel.
    let mut highest_blue = u32::MAX;
    for yy in 0..img.h {
        for xx in 0..img.w {
            if near(img.px(xx, yy), ALTITUDE_COLOR, 40) {
                highest_blue = highest_blue.min(yy);
            }
        }
    }
    assert!(
        f64::from(highest_blue) >= y - 4.0,
        "altitude curve drawn at row {highest_blue}, above the apogee at {y}"
    );
}

#[test]
fn transparent_background_and_other_sizes() {
    let s = flight(30.0, 120.0, 0.0, 300);
    let inp = input(&s, &[]);
    for (w, h, bg) in [
        (1600, 900, Background::Transparent),
        (800, 450, Background::White),
        (320, 200, Background::White),
        (2400, 1600, Background::White),
        (1000, 1200, Background::White),
    ] {
        let cfg = ChartConfig {
            width_px: w,
            height_px: h,
            background: bg,
        };
        let c = chart::flight_chart(&inp, &cfg).expect("chart");
        sane(&format!("{w}x{h}"), &inp, &cfg, &c);
        let img = decode(&c.png);
        assert_eq!(img.ch, if bg == Background::Transparent { 4 } else { 3 });
        dump(&format!("size-{w}x{h}"), &c);
    }
}

#[test]
fn bad_configs_are_refused() {
    let s = flight(30.0, 120.0, 0.0, 50);
    let inp = input(&s, &[]);
    for (w, h) in [(0, 900), (1600, 0), (100, 900), (9000, 900), (1600, 9000)] {
        let cfg = ChartConfig {
            width_px: w,
            height_px: h,
            background: Background::White,
        };
        assert!(
            matches!(chart::flight_chart(&inp, &cfg), Err(RenderError::Config(_))),
            "{w}×{h}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Extreme and broken flights.

/// What a case must give.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A chart; with an apogee marker or not; with altitude and velocity curves or not.
    Chart {
        apogee: bool,
        altitude: bool,
        velocity: bool,
    },
    /// No usable value at all.
    NoData,
}

const BOTH: Expect = Expect::Chart {
    apogee: true,
    altitude: true,
    velocity: true,
};

fn check(name: &str, series: &BranchSeries, expected: Expect) {
    let motors = vec!["F39T".to_string(), "G64W".to_string(), "G64W".to_string()];
    let inp = input(series, &motors);
    let got = chart::flight_chart(&inp, &PLAIN);
    match (expected, got) {
        (Expect::NoData, Err(RenderError::NoFlightData)) => {}
        (
            Expect::Chart {
                apogee,
                altitude,
                velocity,
            },
            Ok(c),
        ) => {
            sane(name, &inp, &PLAIN, &c);
            assert_eq!(c.apogee_px.is_some(), apogee, "{name}: apogee marker");
            let img = decode(&c.png);
            let blue = img.count(ALTITUDE_COLOR, 30);
            let green = img.count(VELOCITY_COLOR, 30);
            // Axis titles are in the curves' colours too (a few hundred pixels).
            assert_eq!(blue > 700, altitude, "{name}: {blue} altitude pixels");
            assert_eq!(green > 700, velocity, "{name}: {green} velocity pixels");
            dump(&format!("case-{name}"), &c);
        }
        (e, g) => panic!("{name}: expected {e:?}, got {:?}", g.map(|c| c.apogee_px)),
    }
}

fn map_alt(mut s: BranchSeries, f: impl Fn(usize, f64) -> Option<f64>) -> BranchSeries {
    if let Some(a) = s.altitude_m.as_mut() {
        for (i, v) in a.iter_mut().enumerate() {
            *v = v.and_then(|x| f(i, x));
        }
    }
    s
}

#[test]
fn extreme_flights_render_sanely() {
    let gaps = |s: BranchSeries| {
        let mut s = map_alt(s, |i, a| ((i / 20) % 3 != 1).then_some(a));
        if let Some(v) = s.vertical_velocity_m_s.as_mut() {
            for (i, x) in v.iter_mut().enumerate() {
                if i % 7 == 3 {
                    *x = None;
                }
            }
        }
        s
    };
    let no_vel = |mut s: BranchSeries| {
        s.vertical_velocity_m_s = None;
        s
    };
    let all_gap_vel = |mut s: BranchSeries| {
        if let Some(v) = s.vertical_velocity_m_s.as_mut() {
            v.iter_mut().for_each(|x| *x = None);
        }
        s
    };
    let all_gap_alt = |s: BranchSeries| map_alt(s, |_, _| None);
    let no_events = |mut s: BranchSeries| {
        s.events.clear();
        s
    };
    let nonfinite = |s: BranchSeries| {
        map_alt(s, |i, a| match i % 9 {
            1 => Some(f64::NAN),
            2 => Some(f64::INFINITY),
            3 => Some(-f64::INFINITY),
            4 => Some(1e300),
            _ => Some(a),
        })
    };
    let many_events = |mut s: BranchSeries| {
        for i in 0..300 {
            let t = 0.5 + i as f64 * 0.013;
            s.events.push(ev(
                [
                    "burnout",
                    "ignition",
                    "stageseparation",
                    "recoverydevicedeployment",
                ][i % 4],
                t,
            ));
        }
        s.events.push(ev("apogee", f64::NAN));
        s.events.push(ev("burnout", 1e15));
        s.events.push(ev("groundhit", -5.0));
        s.events.push(ev("mystery", 3.0));
        s
    };
    let same_time = |mut s: BranchSeries| {
        let t = 12.0;
        for k in [
            "apogee",
            "recoverydevicedeployment",
            "burnout",
            "ejectioncharge",
            "stageseparation",
            "ignition",
            "launchrod",
        ] {
            s.events.push(ev(k, t));
        }
        s
    };
    let backwards = |mut s: BranchSeries| {
        s.time_s.reverse();
        s
    };
    let short_lists = |mut s: BranchSeries| {
        if let Some(a) = s.altitude_m.as_mut() {
            a.truncate(40);
        }
        s.time_s.truncate(120);
        s
    };
    // Cut off on the way up: the apogee is the last point, in the top right corner.
    let climbing = |mut s: BranchSeries| {
        let n = s.time_s.len() / 5;
        s.time_s.truncate(n);
        s.events.retain(|e| e.time_s < s.time_s[n - 1]);
        s
    };
    let nochart_alt_only = Expect::Chart {
        apogee: true,
        altitude: true,
        velocity: false,
    };
    let vel_only = Expect::Chart {
        apogee: false,
        altitude: false,
        velocity: true,
    };
    let cases: Vec<(&str, BranchSeries, Expect)> = vec![
        ("two-seconds", flight(2.0, 10.0, 0.0, 300), BOTH),
        ("thousand-seconds", flight(1000.0, 3000.0, 0.0, 300), BOTH),
        ("hour-long", flight(3600.0, 30_000.0, 0.0, 300), BOTH),
        ("apogee-10m", flight(9.0, 10.0, 0.0, 300), BOTH),
        ("apogee-100km", flight(600.0, 100_000.0, 0.0, 300), BOTH),
        ("landing-below", flight(80.0, 300.0, -60.0, 300), BOTH),
        ("landing-far-below", flight(80.0, 50.0, -400.0, 300), BOTH),
        ("no-events", no_events(flight(80.0, 300.0, 0.0, 300)), BOTH),
        ("gaps", gaps(flight(80.0, 300.0, 0.0, 300)), BOTH),
        ("non-finite", nonfinite(flight(80.0, 300.0, 0.0, 300)), BOTH),
        (
            "no-velocity",
            no_vel(flight(80.0, 300.0, 0.0, 300)),
            nochart_alt_only,
        ),
        (
            "all-gap-velocity",
            all_gap_vel(flight(80.0, 300.0, 0.0, 300)),
            nochart_alt_only,
        ),
        (
            "all-gap-altitude",
            all_gap_alt(flight(80.0, 300.0, 0.0, 300)),
            vel_only,
        ),
        (
            "nothing",
            all_gap_vel(all_gap_alt(flight(80.0, 300.0, 0.0, 300))),
            Expect::NoData,
        ),
        ("empty", BranchSeries::default(), Expect::NoData),
        (
            "single-point",
            flight(80.0, 300.0, 0.0, 1),
            Expect::Chart {
                apogee: true,
                altitude: false,
                velocity: false,
            },
        ),
        ("two-points", flight(80.0, 300.0, -50.0, 2), BOTH),
        ("huge-1e9", flight(1000.0, 1e9, 0.0, 300), BOTH),
        ("huge-negative", flight(1000.0, 10.0, -1e9, 300), BOTH),
        (
            "many-events",
            many_events(flight(20.0, 150.0, 0.0, 300)),
            BOTH,
        ),
        ("same-time", same_time(flight(80.0, 300.0, 0.0, 300)), BOTH),
        (
            "time-backwards",
            backwards(flight(80.0, 300.0, 0.0, 300)),
            BOTH,
        ),
        (
            "short-lists",
            short_lists(flight(80.0, 300.0, 0.0, 300)),
            BOTH,
        ),
        (
            "still-climbing",
            climbing(flight(80.0, 300.0, 0.0, 300)),
            BOTH,
        ),
    ];
    for (name, series, expected) in &cases {
        check(name, series, *expected);
    }
}

#[test]
fn other_branches_are_drawn_thinner_named_and_with_their_events() {
    let main = flight(60.0, 800.0, 0.0, 300);
    // A booster that falls for longer than the sustainer flies: the time axis covers it.
    let mut booster = flight(90.0, 150.0, 0.0, 120);
    booster.branch = Some("Booster".into());
    booster.events = vec![
        ev("stageseparation", 2.0),
        ev("apogee", 18.0),
        ev("groundhit", 90.0),
    ];
    let branches = [booster];
    let mut inp = input(&main, &[]);
    inp.branches = &branches;
    let c = chart::flight_chart(&inp, &PLAIN).expect("chart");
    sane("two-branches", &inp, &PLAIN, &c);
    dump("two-branches", &c);
    assert!(labels(&c.svg).contains(&"Booster"), "{:?}", labels(&c.svg));

    let (with, _) = chart::chart_scene(&inp, &PLAIN).expect("scene");
    let (without, _) = chart::chart_scene(&input(&main, &[]), &PLAIN).expect("scene");
    let strokes = |items: &[Item], alpha: u8| {
        items
            .iter()
            .filter(|it| match it {
                Item::Path { style, .. } => {
                    style.stroke.as_ref().is_some_and(|s| s.color.3 == alpha)
                }
                _ => false,
            })
            .count()
    };
    // Thinner, lighter lines: one per panel; the primary branch's are unchanged.
    assert_eq!(strokes(&with.items, 150), 2);
    assert_eq!(strokes(&without.items, 150), 0);
    // Its three events, as dots with a white rim on its own line.
    let dots = |items: &[Item]| {
        items
            .iter()
            .filter(|it| match it {
                Item::Path { style, .. } => {
                    style.fill.is_some()
                        && style
                            .stroke
                            .as_ref()
                            .is_some_and(|s| s.color == Rgba(255, 255, 255, 255) && s.width < 1.6)
                }
                _ => false,
            })
            .count()
    };
    assert_eq!(dots(&with.items) - dots(&without.items), 3);
    // The time axis reaches the booster's ground hit.
    let last_tick = text_boxes(&with.items)
        .iter()
        .filter(|(_, _, y0, ..)| *y0 > 0.85 * f64::from(PLAIN.height_px))
        .filter_map(|(t, ..)| t.parse::<f64>().ok())
        .fold(0.0f64, f64::max);
    assert!(last_tick >= 90.0, "last time tick {last_tick}");
}

#[test]
fn long_names_and_many_motors_fit() {
    let s = flight(80.0, 300.0, 0.0, 300);
    let motors: Vec<String> = (0..40).map(|i| format!("Motor-{i}")).collect();
    let name = "A very long design name that goes on and on ".repeat(8);
    let inp = ChartInput {
        design_name: Some(&name),
        simulation_name: Some("Sim\u{0}with\ncontrol\tcharacters and <markup> & \"quotes\""),
        motors: &motors,
        series: &s,
        branches: &[],
    };
    let c = chart::flight_chart(&inp, &PLAIN).expect("chart");
    sane("long-names", &inp, &PLAIN, &c);
    let none = ChartInput {
        design_name: None,
        simulation_name: None,
        motors: &[],
        series: &s,
        branches: &[],
    };
    let c = chart::flight_chart(&none, &PLAIN).expect("chart");
    sane("no-names", &none, &PLAIN, &c);
    assert!(c.svg.contains("Unnamed design"));
}

// ---------------------------------------------------------------------------------------------
// Primary simulation and motors.

fn design(configs: &[(&str, bool)], sims: &[(Option<&str>, bool)]) -> Design {
    Design {
        format_version: "1.9".into(),
        creator: None,
        container: ContainerInfo {
            kind: ContainerKind::Xml,
            compressed_bytes: 0,
            xml_bytes: 0,
            design_entry: None,
            other_entries: Vec::new(),
        },
        rocket: Rocket {
            name: Some("Hand-built".into()),
            motor_configurations: configs
                .iter()
                .map(|(id, default)| MotorConfiguration {
                    id: id.to_string(),
                    name: None,
                    default: *default,
                    stages: Vec::new(),
                })
                .collect(),
            ..Rocket::default()
        },
        components: Vec::new(),
        simulations: sims
            .iter()
            .enumerate()
            .map(|(i, (config, data))| {
                let mut sim = Simulation {
                    name: Some(format!("Simulation {}", i + 1)),
                    ..Simulation::default()
                };
                sim.conditions.config_id = config.map(str::to_string);
                if *data {
                    sim.series = Some(FlightSeries {
                        main: flight(10.0, 50.0, 0.0, 20),
                        extra_branches: Vec::new(),
                    });
                }
                sim
            })
            .collect(),
    }
}

/// What, configurations (id, default), simulations (config flown, has data), expected index.
type ChoiceCase = (
    &'static str,
    Vec<(&'static str, bool)>,
    Vec<(Option<&'static str>, bool)>,
    Option<usize>,
);

#[test]
fn primary_simulation_choice() {
    let cases: Vec<ChoiceCase> = vec![
        (
            "default config flown second",
            vec![("a", false), ("b", true)],
            vec![(Some("a"), true), (Some("b"), true)],
            Some(1),
        ),
        (
            "default config flown twice: the first with data",
            vec![("a", false), ("b", true)],
            vec![
                (Some("b"), false),
                (Some("a"), true),
                (Some("b"), true),
                (Some("b"), true),
            ],
            Some(2),
        ),
        (
            "default config never simulated with data",
            vec![("a", false), ("b", true)],
            vec![(Some("b"), false), (Some("a"), true), (Some("a"), true)],
            Some(1),
        ),
        (
            "no default config",
            vec![("a", false), ("b", false)],
            vec![(None, false), (Some("b"), true), (Some("a"), true)],
            Some(1),
        ),
        (
            "no configurations at all",
            vec![],
            vec![(None, true), (None, true)],
            Some(0),
        ),
        (
            "no data anywhere",
            vec![("a", true)],
            vec![(Some("a"), false), (None, false)],
            None,
        ),
        ("no simulations", vec![("a", true)], vec![], None),
    ];
    for (what, configs, sims, expected) in cases {
        let d = design(&configs, &sims);
        let got = chart::primary_simulation(&d).map(|(i, _)| i);
        assert_eq!(got, expected, "{what}");
        if let Some((i, s)) = chart::primary_simulation(&d) {
            assert!(std::ptr::eq(s, &d.simulations[i]), "{what}");
        }
        let c = chart::primary_chart(&d, &PLAIN).expect("chart");
        assert_eq!(c.is_some(), expected.is_some(), "{what}");
    }
}

fn testdata(name: &str) -> Design {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    let bytes = std::fs::read(path).expect("read");
    parse(&bytes, &ParseOptions::default())
        .expect("parse")
        .design
}

#[test]
fn motors_of_a_simulation() {
    let mut d = testdata("all-components.ork");
    let default = d
        .rocket
        .motor_configurations
        .iter()
        .find(|c| c.default)
        .map(|c| c.id.clone())
        .expect("a default configuration");
    let sim = Simulation {
        conditions: ork_processor::model::Conditions {
            config_id: Some(default.clone()),
            ..Default::default()
        },
        ..Simulation::default()
    };
    // The file's three mounts, in file order, with their delays where the file has one.
    assert_eq!(chart::simulation_motors(&d, &sim), ["F39T-6", "C6", "G64W"]);
    // Another configuration on one mount; a mount without designation; blank names.
    let mount = d
        .components
        .iter_mut()
        .find_map(|c| c.motor_mount.as_mut())
        .expect("a mount");
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: Some(" D12 ".into()),
        delay_s: Some(5.0),
        ..MountedMotor::default()
    });
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: Some("E9-4".into()),
        delay_s: Some(4.0),
        ..MountedMotor::default()
    });
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: Some("F10".into()),
        delay_s: Some(2.5),
        ..MountedMotor::default()
    });
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: Some("7579M1520-P".into()),
        delay_s: Some(0.0),
        ..MountedMotor::default()
    });
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: Some("G12".into()),
        delay_s: Some(f64::NAN),
        ..MountedMotor::default()
    });
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: None,
        ..MountedMotor::default()
    });
    mount.motors.push(MountedMotor {
        config_id: "other".into(),
        designation: Some("  ".into()),
        ..MountedMotor::default()
    });
    let other = Simulation {
        conditions: ork_processor::model::Conditions {
            config_id: Some("other".into()),
            ..Default::default()
        },
        ..Simulation::default()
    };
    assert_eq!(
        chart::simulation_motors(&d, &other),
        ["D12-5", "E9-4", "F10-2.5", "7579M1520-P", "G12"]
    );
    assert_eq!(
        chart::simulation_motors(&d, &Simulation::default()),
        Vec::<String>::new()
    );
    // A design without mounts.
    let mut bare = d.clone();
    for c in &mut bare.components {
        c.motor_mount = None::<MotorMount>;
    }
    assert!(chart::simulation_motors(&bare, &sim).is_empty());
}

// ---------------------------------------------------------------------------------------------
// The corpus.

#[test]
fn every_corpus_design_with_data_gets_a_chart() {
    let files = common::corpus_files("every_corpus_design_with_data_gets_a_chart");
    if files.is_empty() {
        return;
    }
    let mut charted = 0;
    let mut multi_branch: Vec<String> = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let Ok(parsed) = parse(&bytes, &ParseOptions::default()) else {
            continue;
        };
        let d = parsed.design;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let has_data = d.simulations.iter().any(|s| s.series.is_some());
        let chart = chart::primary_chart(&d, &PLAIN).expect("chart");
        assert_eq!(chart.is_some(), has_data, "{name}");
        let (Some(c), Some((_, sim))) = (chart, chart::primary_simulation(&d)) else {
            continue;
        };
        let motors = chart::simulation_motors(&d, sim);
        let flight = sim.series.as_ref().expect("series");
        let inp = ChartInput {
            design_name: d.rocket.name.as_deref(),
            simulation_name: sim.name.as_deref(),
            motors: &motors,
            series: &flight.main,
            branches: &flight.extra_branches,
        };
        sane(&name, &inp, &PLAIN, &c);
        // Every other branch with data is drawn and named (boosters, separated stages).
        let named = labels(&c.svg);
        let drawn: Vec<&BranchSeries> = flight
            .extra_branches
            .iter()
            .filter(|b| {
                b.altitude_m
                    .as_ref()
                    .is_some_and(|a| a.iter().flatten().next().is_some())
            })
            .collect();
        for b in &drawn {
            let label = b.branch.as_deref().unwrap_or_default().trim();
            assert!(
                label.is_empty() || named.contains(&label),
                "{name}: branch {label:?} not named in {named:?}"
            );
        }
        if !drawn.is_empty() {
            multi_branch.push(name.clone());
        }
        assert!(c.apogee_px.is_some(), "{name}: no apogee marker");
        let img = decode(&c.png);
        let [x, y] = c.apogee_px.expect("apogee");
        assert!(
            near(img.px(x.round() as u32, y.round() as u32), APOGEE_COLOR, 24),
            "{name}: apogee marker colour"
        );
        dump(&name, &c);
        charted += 1;
        // The other simulations too, when dumping (to look at them).
        if std::env::var("CHART_DUMP_DIR").is_ok() {
            for (i, s) in d.simulations.iter().enumerate() {
                let Some(series) = &s.series else { continue };
                let motors = chart::simulation_motors(&d, s);
                let inp = ChartInput {
                    design_name: d.rocket.name.as_deref(),
                    simulation_name: s.name.as_deref(),
                    motors: &motors,
                    series: &series.main,
                    branches: &series.extra_branches,
                };
                let c = chart::flight_chart(&inp, &PLAIN).expect("chart");
                sane(&format!("{name} sim {i}"), &inp, &PLAIN, &c);
                dump(&format!("{name}-sim{i}"), &c);
            }
        }
    }
    assert!(charted >= 20, "only {charted} corpus charts");
    // Two-stage, three-stage, parallel-booster and air-start designs fly more than one branch.
    eprintln!("multi-branch charts: {multi_branch:?}");
    assert!(
        multi_branch.len() >= 3,
        "only {} multi-branch corpus charts: {multi_branch:?}",
        multi_branch.len()
    );
}
