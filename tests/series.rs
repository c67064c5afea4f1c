//! Flight series against the full data, over the corpus and hand-written files.
//!
//! The full rows come from the reader's `datapoint_rows` path (every row kept as parsed
//! numbers), which shares nothing with the series decoder; the stored `<flightdata>` summary is
//! OpenRocket's own.

mod common;

use ork_processor::model::{BranchSeries, DataBranch, Quantity, Simulation};
use ork_processor::ork::{parse, parse_file, ParseOptions, Parsed};
use ork_processor::series::{reduce, SeriesConfig};

fn full_rows() -> ParseOptions {
    ParseOptions {
        datapoint_rows: usize::MAX,
        ..ParseOptions::default()
    }
}

/// Index of the English column `name` in a branch.
fn col(b: &DataBranch, name: &str) -> Option<usize> {
    b.columns.iter().position(|c| c == name)
}

/// The row of the full data whose time is nearest `t`.
fn nearest_time(b: &DataBranch, t: f64) -> f64 {
    b.rows
        .iter()
        .map(|r| r[0])
        .min_by(|x, y| (x - t).abs().total_cmp(&(y - t).abs()))
        .expect("rows")
}

/// Checks one branch's series against its full rows; returns what is wrong.
fn check_branch(label: &str, b: &DataBranch, s: &BranchSeries, max_points: usize) -> Vec<String> {
    let mut bad = Vec::new();
    let n = s.len();
    if n == 0 || n > max_points {
        bad.push(format!("{label}: {n} points (max {max_points})"));
        return bad;
    }
    if s.source_rows != b.datapoint_count {
        bad.push(format!(
            "{label}: source_rows {} != {}",
            s.source_rows, b.datapoint_count
        ));
    }
    for (q, v) in s.quantities() {
        if v.len() != n {
            bad.push(format!(
                "{label}: {} has {} values, time {n}",
                q.key(),
                v.len()
            ));
        }
    }
    if s.time_s.windows(2).any(|w| w[1] < w[0]) {
        bad.push(format!("{label}: time goes backwards"));
    }
    let rows = &b.rows;
    if s.time_s[0] != rows[0][0] || s.time_s[n - 1] != rows[rows.len() - 1][0] {
        bad.push(format!("{label}: first or last row missing"));
    }
    // Maxima are exact: the very rows of the full data.
    for (q, name) in [
        (Quantity::Altitude, "Altitude"),
        (Quantity::VerticalVelocity, "Vertical velocity"),
        (Quantity::TotalAcceleration, "Total acceleration"),
    ] {
        let Some(c) = col(b, name) else { continue };
        let full = rows
            .iter()
            .map(|r| r[c])
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let ours = s
            .get(q)
            .into_iter()
            .flatten()
            .flatten()
            .fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        if ours != full {
            bad.push(format!(
                "{label}: max {} {ours} != full data {full}",
                q.key()
            ));
        }
    }
    // Every stored event, and the row nearest it.
    for e in &b.events {
        if !s
            .events
            .iter()
            .any(|x| x.kind == e.kind && x.time_s == e.time_s)
        {
            bad.push(format!("{label}: event {} at {} missing", e.kind, e.time_s));
        }
        let t = nearest_time(b, e.time_s);
        if !s.time_s.contains(&t) {
            bad.push(format!(
                "{label}: the row nearest {} ({t} s) is not kept",
                e.kind
            ));
        }
    }
    bad
}

fn first_branch_with_rows(sim: &Simulation) -> Option<&DataBranch> {
    sim.branches.first().filter(|b| b.datapoint_count > 0)
}

#[test]
fn corpus_series_keep_the_flight() {
    let files = common::corpus_files("corpus_series_keep_the_flight");
    if files.is_empty() {
        return;
    }
    let mut bad = Vec::new();
    let mut sims_with_data = 0;
    let mut branches = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let parsed = parse_file(path, &full_rows()).expect("corpus files parse");
        for (i, sim) in parsed.design.simulations.iter().enumerate() {
            let label = format!("{name} sim {i}");
            let Some(first) = first_branch_with_rows(sim) else {
                if sim.series.is_some() {
                    bad.push(format!("{label}: series without rows"));
                }
                continue;
            };
            sims_with_data += 1;
            let Some(series) = &sim.series else {
                bad.push(format!("{label}: no series"));
                continue;
            };
            bad.extend(check_branch(&label, first, &series.main, 300));
            branches += 1;
            let extra: Vec<&DataBranch> = sim.branches[1..]
                .iter()
                .filter(|b| b.datapoint_count > 0)
                .collect();
            if extra.len() != series.extra_branches.len() {
                bad.push(format!("{label}: extra branches"));
            }
            for (b, s) in extra.iter().zip(&series.extra_branches) {
                bad.extend(check_branch(&format!("{label} {:?}", b.name), b, s, 300));
                branches += 1;
            }
            // The stored summary agrees with the series' highest point.
            if let (Some(stored), Some((apogee, _))) = (
                sim.summary.as_ref().and_then(|s| s.max_altitude_m),
                series.main.apogee(),
            ) {
                if (apogee - stored).abs() > (0.005 * stored.abs()).max(0.5) {
                    bad.push(format!(
                        "{label}: series apogee {apogee} vs stored max altitude {stored}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} files, {sims_with_data} simulations with data, {branches} branches checked",
        files.len()
    );
    assert!(
        sims_with_data >= 60,
        "the corpus has ~75 simulations with data"
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// A small design whose one branch has `columns` and `rows` (already joined by commas).
fn design_with_rows(columns: &str, events: &str, rows: &[String]) -> Vec<u8> {
    let base = std::fs::read_to_string(common::testdata("minimal.ork")).expect("minimal.ork");
    let start = base.find("<databranch").expect("a databranch");
    let end = base.find("</databranch>").expect("its end") + "</databranch>".len();
    let mut branch = format!("<databranch name=\"Sustainer\" types=\"{columns}\">\n{events}\n");
    for r in rows {
        branch.push_str("<datapoint>");
        branch.push_str(r);
        branch.push_str("</datapoint>\n");
    }
    branch.push_str("</databranch>");
    format!("{}{}{}", &base[..start], branch, &base[end..]).into_bytes()
}

fn series_of(parsed: &Parsed) -> &BranchSeries {
    &parsed.design.simulations[0]
        .series
        .as_ref()
        .expect("a series")
        .main
}

#[test]
fn downsampling_keeps_extremes_events_and_shape() {
    // A parabolic flight of 20 000 rows, with a thrust spike and events between rows.
    let rows: Vec<String> = (0..20_000)
        .map(|i| {
            let t = i as f64 * 0.005;
            let alt = 500.0 - (t - 50.0) * (t - 50.0) / 5.0;
            let vv = -(t - 50.0) * 0.4;
            let acc = if (1000..1010).contains(&i) { 90.0 } else { 9.8 };
            format!("{t},{alt},{vv},{acc}")
        })
        .collect();
    let events = [
        ("launch", 0.0),
        ("burnout", 5.0023),
        ("apogee", 50.0011),
        ("groundhit", 99.995),
    ]
    .map(|(k, t)| format!("<event time=\"{t}\" type=\"{k}\"/>"))
    .join("\n");
    let bytes = design_with_rows(
        "Time,Altitude,Vertical velocity,Total acceleration",
        &events,
        &rows,
    );
    let parsed = parse(&bytes, &full_rows()).expect("parses");
    let sim = &parsed.design.simulations[0];
    let s = series_of(&parsed);
    let bad = check_branch("parabola", &sim.branches[0], s, 300);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_eq!(s.len(), 300);
    assert_eq!(s.apogee(), Some((500.0, 50.0)));
    // The shape: linear interpolation of the kept points stays close to every row.
    let alt = s.altitude_m.as_ref().unwrap();
    let worst = sim.branches[0]
        .rows
        .iter()
        .map(|r| {
            let t = r[0];
            let j = s.time_s.partition_point(|&x| x < t).clamp(1, s.len() - 1);
            let (t0, t1) = (s.time_s[j - 1], s.time_s[j]);
            let (a0, a1) = (alt[j - 1].unwrap(), alt[j].unwrap());
            let interp = if t1 > t0 {
                a0 + (a1 - a0) * (t - t0) / (t1 - t0)
            } else {
                a0
            };
            (interp - r[1]).abs()
        })
        .fold(0.0, f64::max);
    assert!(
        worst < 1.0,
        "interpolation error {worst} m on a 500 m flight"
    );

    // Reducing it again (the design-wide budget) keeps the same guarantees.
    let small = reduce(s, 50);
    assert_eq!(small.len(), 50);
    assert_eq!(small.apogee(), Some((500.0, 50.0)));
    assert_eq!(small.time_s[0], 0.0);
    assert_eq!(small.time_s[49], s.time_s[299]);
    for e in &small.events {
        let near = small
            .time_s
            .iter()
            .map(|t| (t - e.time_s).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(
            near < 0.01,
            "{} at {} is {near} s from a kept row",
            e.kind,
            e.time_s
        );
    }
}

#[test]
fn the_point_budget_is_a_setting() {
    let rows: Vec<String> = (0..1000).map(|i| format!("{i},{}", i % 37)).collect();
    let bytes = design_with_rows("Time,Altitude", "", &rows);
    for (max_points, expected) in [(300, 300), (50, 50), (5000, 1000), (2, 2)] {
        let options = ParseOptions {
            series: Some(SeriesConfig {
                max_points,
                ..SeriesConfig::default()
            }),
            ..ParseOptions::default()
        };
        let parsed = parse(&bytes, &options).expect("parses");
        assert_eq!(
            series_of(&parsed).len(),
            expected,
            "max_points {max_points}"
        );
    }
    let off = ParseOptions {
        series: None,
        ..ParseOptions::default()
    };
    let parsed = parse(&bytes, &off).expect("parses");
    assert!(parsed.design.simulations[0].series.is_none());
}
#[test]
fn german_headers_give_the_same_quantities_as_english_ones() {
    let english = parse_file(&common::testdata("series-english.ork"), &Default::default())
        .expect("English file");
    let german = parse_file(&common::testdata("series-german.ork"), &Default::default())
        .expect("German file");
    let (e, g) = (series_of(&english), series_of(&german));
    assert!(
        e.quantities().count() >= 10,
        "the English file has the quantities: {:?}",
        e.quantities().map(|(q, _)| q.key()).collect::<Vec<_>>()
    );
    assert_eq!(e.time_s, g.time_s);
    for q in Quantity::ALL {
        assert_eq!(e.get(q), g.get(q), "{}", q.key());
    }
    assert_eq!(e.events, g.events);
    assert_eq!(g.branch.as_deref(), Some("Hauptstufe"));
}
