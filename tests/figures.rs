//! Corpus agreement: our figures against OpenRocket's own simulation data.
//!
//! For every corpus file with stored datapoints, the first datapoint after lift-off below
//! Mach 0.3 gives OpenRocket's reference length, CP, CG, mass and motor mass for the
//! configuration it flew (all stages attached at lift-off). We compute the same
//! configuration's reference length, CP (at that row's Mach and angle of attack) and dry mass
//! (OpenRocket's "Mass" − "Motor mass"; versions without a motor-mass column are not compared
//! for mass). Targets: reference length within 0.5 mm on all (beyond the ±0.5 mm to which
//! OpenRocket's three-decimal datapoints store it); CP within 2 % of the rocket length on
//! ≥ 90 %; dry mass within 3 % on ≥ 90 %.

mod common;

use ork_processor::geometry::{self, aero, position::Layout, simdata, FigureOptions};
use ork_processor::ork::{parse_file, ParseOptions};

/// OpenRocket writes datapoints with three decimals (`TextUtil.doubleToString(d, 3)`), so a
/// stored length is only known to ±0.5 mm; the 0.5 mm target is checked on top of that.
const STORED_HALF_QUANTUM: f64 = 0.0005 + 1e-9;

struct Row {
    file: String,
    ref_ours: f64,
    ref_or: Option<f64>,
    cp_ours: f64,
    cp_or: f64,
    cp_err_pct: f64,
    mass_ours: f64,
    mass_or: Option<f64>,
    mass_err_pct: Option<f64>,
}

#[test]
fn corpus_agreement() {
    let files = common::corpus_files("corpus_agreement");
    if files.is_empty() {
        return;
    }
    let opts = ParseOptions {
        datapoint_rows: 400,
        ..Default::default()
    };
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let parsed = match parse_file(&path, &opts) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{name}: parse error {e}"));
                continue;
            }
        };
        let design = &parsed.design;
        // Every file must resolve, simulated or not.
        let resolved = geometry::resolve(design);
        let figs = geometry::figures(design);
        if let Err(e) = resolved.as_ref().map(|_| ()).and(figs.as_ref().map(|_| ())) {
            failures.push(format!("{name}: geometry error {e}"));
            continue;
        }
        let Some((sim, dp)) = simdata::first_liftoff(&design.simulations, 0.3) else {
            continue;
        };
        let (Some(cp_or), Some(_)) = (dp.cp_m, dp.cg_m) else {
            continue;
        };
        // That row's Mach and angle of attack, and the cross-flow direction θ OpenRocket's
        // rocket met (launch geometry, roll since): one- and two-fin sets depend on it.
        let cond = match geometry::datapoint_condition(design, sim, &dp) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: condition error {e}"));
                continue;
            }
        };
        let fo = FigureOptions {
            config_id: sim.conditions.config_id.clone(),
            condition: Some(cond),
        };
        let f = match geometry::figures_with(design, &fo) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: figures error {e}"));
                continue;
            }
        };
        // Sensitivity check: the CP at zero angle of attack, same Mach.
        let layout = Layout::build(design, None).expect("layout");
        let (cp0, _) = aero::center_of_pressure(
            &layout,
            aero::Condition {
                aoa_rad: 0.0,
                ..cond
            },
        );
        println!(
            "{name}: row t={:.3}s Mach {:.3} AoA {:.3} rad θ {:.1}°; our CP at AoA 0 = {:.1} mm",
            dp.time_s,
            cond.mach,
            cond.aoa_rad,
            cond.theta_rad.to_degrees(),
            cp0 * 1000.0
        );
        let length = f.length_m.max(1e-9);
        let mass_or = match (dp.mass_kg, dp.motor_mass_kg) {
            (Some(m), Some(mm)) => Some(m - mm),
            _ => None,
        };
        rows.push(Row {
            file: name,
            ref_ours: f.reference_length_m,
            ref_or: dp.reference_length_m,
            cp_ours: f.cp_m,
            cp_or,
            cp_err_pct: 100.0 * (f.cp_m - cp_or).abs() / length,
            mass_ours: f.dry_mass_kg,
            mass_or,
            mass_err_pct: mass_or.map(|m| 100.0 * (f.dry_mass_kg - m).abs() / m.abs().max(1e-9)),
        });
    }

    println!(
        "{:<58} {:>8} {:>8} | {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6}",
        "file", "ref ours", "ref OR", "CP ours", "CP OR", "err%L", "dry ours", "dry OR", "err%"
    );
    for r in &rows {
        let f = |v: Option<f64>, k: f64| v.map(|x| format!("{:.2}", x * k)).unwrap_or("n/a".into());
        println!(
            "{:<58} {:>8.2} {:>8} | {:>8.1} {:>8.1} {:>6.2} | {:>8.1} {:>8} {:>6}",
            r.file.chars().take(58).collect::<String>(),
            r.ref_ours * 1000.0,
            f(r.ref_or, 1000.0),
            r.cp_ours * 1000.0,
            r.cp_or * 1000.0,
            r.cp_err_pct,
            r.mass_ours * 1000.0,
            r.mass_or
                .map(|m| format!("{:.1}", m * 1000.0))
                .unwrap_or("n/a".into()),
            r.mass_err_pct
                .map(|e| format!("{e:.2}"))
                .unwrap_or("n/a".into()),
        );
    }
    let n = rows.len();
    let ref_ok = rows
        .iter()
        .filter(|r| {
            r.ref_or
                .is_none_or(|o| (o - r.ref_ours).abs() <= 0.0005 + STORED_HALF_QUANTUM)
        })
        .count();
    let cp_ok = rows.iter().filter(|r| r.cp_err_pct <= 2.0).count();
    let with_mass: Vec<&Row> = rows.iter().filter(|r| r.mass_err_pct.is_some()).collect();
    let mass_ok = with_mass
        .iter()
        .filter(|r| r.mass_err_pct.unwrap_or(f64::INFINITY) <= 3.0)
        .count();
    println!("(lengths in mm, masses in g; CP error as % of rocket length)");
    println!("designs compared: {n}");
    println!("reference length within 0.5 mm: {ref_ok}/{n}");
    println!("CP within 2% of length: {cp_ok}/{n}");
    println!(
        "dry mass within 3%: {mass_ok}/{} (files without a motor-mass column not compared)",
        with_mass.len()
    );
    for f in &failures {
        println!("FAILURE: {f}");
    }
    assert!(failures.is_empty(), "files failed to resolve: {failures:?}");
    assert!(n > 0, "no simulated designs found in the corpus");
    assert_eq!(ref_ok, n, "reference length must agree on every design");
    assert!(cp_ok * 10 >= n * 9, "CP agreement {cp_ok}/{n} below 90%");
    assert!(
        mass_ok * 10 >= with_mass.len() * 9,
        "dry mass agreement {mass_ok}/{} below 90%",
        with_mass.len()
    );
}
