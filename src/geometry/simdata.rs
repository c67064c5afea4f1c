//! Reading OpenRocket's own figures from a stored simulation's first datapoints: the lift-off
//! row's reference length, CP, CG, mass and motor mass.
//!
//! Column names are localized display names; the English ones are matched first, then the
//! column position OpenRocket used for that column count (58 columns: 24.12, 54: 15.03–23.09,
//! 51: 12.03, 49: 1.1.x). Where a column does not exist in a version, the value is `None`
//! (1.x and 12.03 have no "Motor mass"; 15.03 has "Propellant mass" instead, which is not it).

use crate::model::{DataBranch, Simulation};

/// OpenRocket's figures at one datapoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datapoint {
    pub row: usize,
    pub time_s: f64,
    pub reference_length_m: Option<f64>,
    pub cp_m: Option<f64>,
    pub cg_m: Option<f64>,
    pub mass_kg: Option<f64>,
    pub motor_mass_kg: Option<f64>,
    pub mach: Option<f64>,
    pub aoa_rad: Option<f64>,
}

#[derive(Clone, Copy)]
enum Col {
    Time,
    Altitude,
    Velocity,
    RefLength,
    Cp,
    Cg,
    Mass,
    MotorMass,
    Mach,
    Aoa,
}

fn names(c: Col) -> &'static [&'static str] {
    match c {
        Col::Time => &["Time"],
        Col::Altitude => &["Altitude"],
        Col::Velocity => &["Total velocity"],
        Col::RefLength => &["Reference length", "Reference lenght"],
        Col::Cp => &["CP location"],
        Col::Cg => &["CG location"],
        Col::Mass => &["Mass"],
        Col::MotorMass => &["Motor mass"],
        Col::Mach => &["Mach number"],
        Col::Aoa => &["Angle of attack"],
    }
}

/// Column position by column count, for files whose names are localized.
fn position(count: usize, c: Col) -> Option<usize> {
    // (time, altitude, total velocity, ref length, cp, cg, mass, motor mass, mach, aoa)
    let table: [Option<usize>; 10] = match count {
        58 => [
            Some(0),
            Some(1),
            Some(4),
            Some(53),
            Some(26),
            Some(27),
            Some(21),
            Some(22),
            Some(51),
            Some(15),
        ],
        54 => [
            Some(0),
            Some(1),
            Some(4),
            Some(44),
            Some(23),
            Some(24),
            Some(19),
            None,
            Some(26),
            Some(15),
        ],
        51 => [
            Some(0),
            Some(1),
            Some(4),
            Some(41),
            Some(21),
            Some(22),
            Some(18),
            None,
            Some(24),
            Some(14),
        ],
        49 => [
            Some(0),
            Some(1),
            Some(4),
            Some(39),
            Some(19),
            Some(20),
            Some(16),
            None,
            Some(22),
            Some(12),
        ],
        _ => return None,
    };
    table[c as usize]
}

fn column(b: &DataBranch, c: Col) -> Option<usize> {
    b.column(names(c)).or_else(|| {
        // Only fall back to positions when the names are not English at all.
        if b.column(names(Col::Time)).is_some() {
            None
        } else {
            position(b.columns.len(), c)
        }
    })
}

/// The first datapoint after lift-off (the `liftoff` event, else the first row moving
/// upwards) with Mach below `max_mach` and a CP value.
pub fn liftoff(branch: &DataBranch, max_mach: f64) -> Option<Datapoint> {
    let t = column(branch, Col::Time)?;
    let liftoff_t = branch
        .events
        .iter()
        .find(|e| e.kind.eq_ignore_ascii_case("liftoff"))
        .map(|e| e.time_s);
    let alt = column(branch, Col::Altitude);
    let vel = column(branch, Col::Velocity);
    let get = |row: &Vec<f64>, c: Option<usize>| {
        c.and_then(|k| row.get(k).copied())
            .filter(|v| v.is_finite())
    };
    let mach_c = column(branch, Col::Mach);
    for (k, row) in branch.rows.iter().enumerate() {
        let time = get(row, Some(t))?;
        let after = match liftoff_t {
            Some(lt) => time > lt,
            None => {
                get(row, alt).is_some_and(|a| a > 0.0) || get(row, vel).is_some_and(|v| v > 0.0)
            }
        };
        if !after {
            continue;
        }
        let mach = get(row, mach_c);
        if mach.is_some_and(|m| m >= max_mach) {
            continue;
        }
        // Rows before the first aerodynamic evaluation have no CP yet.
        let cp = get(row, column(branch, Col::Cp));
        if cp.is_none() {
            continue;
        }
        return Some(Datapoint {
            row: k,
            time_s: time,
            reference_length_m: get(row, column(branch, Col::RefLength)),
            cp_m: cp,
            cg_m: get(row, column(branch, Col::Cg)),
            mass_kg: get(row, column(branch, Col::Mass)),
            motor_mass_kg: get(row, column(branch, Col::MotorMass)),
            mach,
            aoa_rad: get(row, column(branch, Col::Aoa)),
        });
    }
    None
}

/// The first simulation with datapoints, and its lift-off datapoint (first branch).
pub fn first_liftoff(sims: &[Simulation], max_mach: f64) -> Option<(&Simulation, Datapoint)> {
    sims.iter().find_map(|s| {
        let b = s.branches.first()?;
        liftoff(b, max_mach).map(|d| (s, d))
    })
}

/// How OpenRocket rolled the rocket on the pad, as seen in the cross-flow direction θ
/// (`FlightConditions.theta`) the rocket meets at lift-off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LaunchRoll {
    /// θ is known from the launch geometry alone (OpenRocket 22.02 and later, or no wind).
    Theta(f64),
    /// OpenRocket before 22.02 first rolled the rocket to the θ of its most forward CP
    /// (`getWorstCP`); the wind then arrives at that θ plus this offset.
    WorstCpPlus(f64),
}

/// OpenRocket's major version from the file's creator (`OpenRocket 1.1.6pre` → 1,
/// `OpenRocket 23.09` → 23), else guessed from the format version (1.8 came with 22.02).
pub fn creator_major(design: &crate::model::Design) -> Option<u32> {
    let from_creator = design.creator.as_deref().and_then(|c| {
        let digits: String = c
            .trim()
            .trim_start_matches(|ch: char| !ch.is_ascii_digit())
            .chars()
            .take_while(|ch| ch.is_ascii_digit())
            .collect();
        digits.parse::<u32>().ok()
    });
    from_creator.or_else(|| {
        let mut it = design.format_version.trim().split('.');
        let major = it.next()?.parse::<u32>().ok()?;
        let minor = it.next()?.parse::<u32>().ok()?;
        Some(if major > 1 || minor >= 8 { 22 } else { 15 })
    })
}

/// The cross-flow direction at lift-off (`AbstractSimulationStepper.calculateFlightConditions`
/// on the initial orientation of `SimulationStatus`): the rocket moves along the rod, so the
/// lateral air speed in the rocket frame is the wind's, `Rz(θ₀ + a) · Ry(−β) · Rz(−a) · ŵ`
/// with β the rod angle, `a` the rod direction term and `θ₀` the initial roll.
pub fn launch_roll(design: &crate::model::Design, sim: &Simulation) -> LaunchRoll {
    let c = &sim.conditions;
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
    let major = creator_major(design).unwrap_or(22);
    let wind_dir = finite(c.wind_direction_rad);
    let rod_angle = finite(c.launch_rod_angle_deg).unwrap_or(0.0).to_radians();
    let mut rod_dir = finite(c.launch_rod_direction_deg)
        .unwrap_or(90.0)
        .to_radians();
    if major >= 22 && c.launch_into_wind == Some(true) {
        if let Some(w) = wind_dir {
            rod_dir = w;
        }
    }
    // Before 15.03 the wind always blew along +x and the rod direction entered as is.
    let (a, w) = if major < 15 {
        (rod_dir, [1.0, 0.0])
    } else {
        let dw = wind_dir.unwrap_or(std::f64::consts::FRAC_PI_2);
        (std::f64::consts::FRAC_PI_2 - rod_dir, [dw.sin(), dw.cos()])
    };
    let rot = |v: [f64; 2], t: f64| {
        let (s, co) = t.sin_cos();
        [v[0] * co - v[1] * s, v[0] * s + v[1] * co]
    };
    let v = rot(w, -a);
    let v = [v[0] * rod_angle.cos(), v[1]];
    let v = rot(v, a);
    let calm = finite(c.wind_average_m_s).is_some_and(|s| s.abs() < 1e-9);
    if calm || v[0].hypot(v[1]) < 1e-9 {
        // No lateral air speed: OpenRocket sets θ = 0.
        return LaunchRoll::Theta(0.0);
    }
    let phi = v[1].atan2(v[0]);
    if major >= 22 {
        LaunchRoll::Theta(phi)
    } else {
        LaunchRoll::WorstCpPlus(phi)
    }
}

/// The roll angle the rocket has turned through by `row` (trapezoidal integral of the
/// "Roll rate" column from the first row); 0 without that column.
pub fn roll_angle(branch: &DataBranch, row: usize) -> f64 {
    let (Some(t), Some(r)) = (column(branch, Col::Time), branch.column(&["Roll rate"])) else {
        return 0.0;
    };
    let val = |k: usize, c: usize| {
        branch
            .rows
            .get(k)
            .and_then(|x| x.get(c))
            .copied()
            .filter(|v| v.is_finite())
    };
    let mut angle = 0.0;
    for k in 1..=row.min(branch.rows.len().saturating_sub(1)) {
        if let (Some(t0), Some(t1)) = (val(k - 1, t), val(k, t)) {
            let (r0, r1) = (val(k - 1, r).unwrap_or(0.0), val(k, r).unwrap_or(0.0));
            angle += 0.5 * (r0 + r1) * (t1 - t0);
        }
    }
    angle
}
