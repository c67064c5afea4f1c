//! The human-readable view of a design, as `ork inspect` prints it: the component tree with key
//! dimensions, then motors, then simulation summaries.

use std::fmt::Write;

use crate::geometry::{ConfigurationFigures, Figures, GeometryError};
use crate::model::*;
use crate::ork::Parsed;

/// Renders the human view of one parsed file, with its figures (or why there are none).
pub fn human(label: &str, parsed: &Parsed, figures: &Result<Figures, GeometryError>) -> String {
    let d = &parsed.design;
    let mut out = String::new();
    let name = d.rocket.name.as_deref().unwrap_or("(unnamed)");
    let _ = writeln!(out, "{label}: {name}");
    let _ = writeln!(
        out,
        "  format {} by {} · {} container, {} KiB XML",
        d.format_version,
        d.creator.as_deref().unwrap_or("unknown creator"),
        match d.container.kind {
            ContainerKind::Zip => "zip",
            ContainerKind::Gzip => "gzip",
            ContainerKind::Xml => "plain XML",
        },
        d.container.xml_bytes / 1024
    );
    if let Some(designer) = &d.rocket.designer {
        let _ = writeln!(out, "  designer: {}", one_line(designer));
    }
    if !d.container.other_entries.is_empty() {
        let names: Vec<&str> = d
            .container
            .other_entries
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let _ = writeln!(out, "  other entries: {}", names.join(", "));
    }
    match figures {
        Ok(f) => {
            let _ = writeln!(
                out,
                "\n  Figures: length {:.1} mm, max diameter {:.1} mm, dry mass {:.1} g, CG {:.1} mm, CP {:.1} mm, stability {:.2} cal (dry)",
                f.length_m * 1000.0,
                f.max_diameter_m * 1000.0,
                f.dry_mass_kg * 1000.0,
                f.cg_m * 1000.0,
                f.cp_m * 1000.0,
                f.stability_cal
            );
            for c in &f.configurations {
                let _ = writeln!(
                    out,
                    "    with motors ({}): {}",
                    c.config_id.as_deref().map(short_id).unwrap_or_default(),
                    configuration_line(c)
                );
            }
        }
        Err(e) => {
            let _ = writeln!(out, "\n  Figures: not available ({e})");
        }
    }
    let _ = writeln!(out, "\n  Components ({}):", d.components.len());
    for c in &d.components {
        let indent = "  ".repeat(c.depth as usize + 2);
        let _ = writeln!(
            out,
            "{indent}{} [{}]{}",
            one_line(c.display_name()),
            c.kind().tag(),
            dimensions(c)
        );
    }
    motors(&mut out, d);
    if !d.simulations.is_empty() {
        let _ = writeln!(out, "\n  Simulations ({}):", d.simulations.len());
        for s in &d.simulations {
            let sum = s.summary.clone().unwrap_or_default();
            let _ = writeln!(
                out,
                "    {} [{}]: apogee {}, max velocity {}, max Mach {}, flight {}",
                one_line(s.name.as_deref().unwrap_or("(unnamed)")),
                s.status.as_deref().unwrap_or("?"),
                fmt_opt(sum.max_altitude_m, "m"),
                fmt_opt(sum.max_velocity_m_s, "m/s"),
                fmt_opt(sum.max_mach, ""),
                fmt_opt(sum.flight_time_s, "s"),
            );
        }
    }
    if !parsed.warnings.is_empty() {
        let _ = writeln!(out, "\n  Warnings ({}):", parsed.warnings.len());
        for w in &parsed.warnings {
            let _ = writeln!(out, "    byte {}: {}", w.position, w.message);
        }
    }
    out
}

fn motors(out: &mut String, d: &Design) {
    let mounted: Vec<(&Component, &MountedMotor)> = d
        .components
        .iter()
        .filter_map(|c| c.motor_mount.as_ref().map(|m| (c, m)))
        .flat_map(|(c, m)| m.motors.iter().map(move |mm| (c, mm)))
        .collect();
    if d.rocket.motor_configurations.is_empty() && mounted.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n  Motor configurations ({}):",
        d.rocket.motor_configurations.len()
    );
    for mc in &d.rocket.motor_configurations {
        let motors: Vec<String> = mounted
            .iter()
            .filter(|(_, m)| m.config_id == mc.id)
            .map(|(c, m)| {
                format!(
                    "{} {} in {}",
                    m.manufacturer.as_deref().unwrap_or("?"),
                    m.designation.as_deref().unwrap_or("?"),
                    one_line(c.display_name())
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "    {}{}: {}",
            mc.name
                .as_deref()
                .map(one_line)
                .unwrap_or_else(|| short_id(&mc.id)),
            if mc.default { " (default)" } else { "" },
            if motors.is_empty() {
                "no motor".to_string()
            } else {
                motors.join(", ")
            }
        );
    }
}

fn configuration_line(c: &ConfigurationFigures) -> String {
    format!(
        "motor mass {:.1} g, CG {:.1} mm, CP {:.1} mm, stability {:.2} cal [{}]",
        c.motor_mass_kg * 1000.0,
        c.cg_m * 1000.0,
        c.cp_m * 1000.0,
        c.stability_cal,
        c.source
    )
}

fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if unit.is_empty() => format!("{x:.3}"),
        Some(x) => format!("{x:.1} {unit}"),
        None => "n/a".into(),
    }
}

fn mm(v: f64) -> String {
    format!("{:.1} mm", v * 1000.0)
}

fn auto_mm(v: &Option<AutoValue>) -> String {
    match v {
        Some(AutoValue {
            auto: true,
            value: Some(x),
        }) => format!("auto ({})", mm(*x)),
        Some(AutoValue { auto: true, .. }) => "auto".into(),
        Some(AutoValue { value: Some(x), .. }) => mm(*x),
        _ => "?".into(),
    }
}

/// Key dimensions of a component, as a short suffix.
fn dimensions(c: &Component) -> String {
    let l = |v: Option<f64>| v.map(mm).unwrap_or_else(|| "?".into());
    let dims = match &c.geometry {
        Geometry::NoseCone(t) => format!(
            "length {}, aft radius {}, {}",
            l(t.length_m),
            auto_mm(&t.aft_radius_m),
            t.shape
                .map(|s| format!("{s:?}").to_lowercase())
                .unwrap_or_default()
        ),
        Geometry::Transition(t) => format!(
            "length {}, radius {} → {}",
            l(t.length_m),
            auto_mm(&t.fore_radius_m),
            auto_mm(&t.aft_radius_m)
        ),
        Geometry::BodyTube(b) => {
            format!("length {}, radius {}", l(b.length_m), auto_mm(&b.radius_m))
        }
        Geometry::TrapezoidFinSet(f) => format!(
            "root {}, tip {}, height {}",
            l(f.root_chord_m),
            l(f.tip_chord_m),
            l(f.height_m)
        ),
        Geometry::EllipticalFinSet(f) => {
            format!("root {}, height {}", l(f.root_chord_m), l(f.height_m))
        }
        Geometry::FreeformFinSet(f) => format!("{} points", f.points_m.len()),
        Geometry::TubeFinSet(t) => format!(
            "length {}, radius {}",
            l(t.length_m),
            auto_mm(&t.outer_radius_m)
        ),
        Geometry::LaunchLug(g) => {
            format!("length {}, radius {}", l(g.length_m), l(g.outer_radius_m))
        }
        Geometry::RailButton(g) => format!("diameter {}", l(g.outer_diameter_m)),
        Geometry::InnerTube(g) => {
            format!("length {}, radius {}", l(g.length_m), l(g.outer_radius_m))
        }
        Geometry::TubeCoupler(g)
        | Geometry::CenteringRing(g)
        | Geometry::Bulkhead(g)
        | Geometry::EngineBlock(g) => {
            format!(
                "length {}, outer radius {}",
                l(g.length_m),
                auto_mm(&g.outer_radius_m)
            )
        }
        Geometry::MassComponent(m) => match m.mass_kg {
            Some(kg) => format!("{:.1} g", kg * 1000.0),
            None => String::new(),
        },
        Geometry::Parachute(p) => format!("diameter {}", l(p.diameter_m)),
        Geometry::Streamer(s) => format!("{} × {}", l(s.strip_length_m), l(s.strip_width_m)),
        Geometry::ShockCord(s) => format!("cord {}", l(s.cord_length_m)),
        Geometry::Stage(_) | Geometry::ParallelStage(_) | Geometry::PodSet(_) => String::new(),
    };
    let mut parts = Vec::new();
    if !dims.is_empty() {
        parts.push(dims);
    }
    if let Some(n) = c.instance_count.filter(|&n| n > 1) {
        parts.push(format!("×{n}"));
    }
    if let Some(m) = &c.material {
        parts.push(one_line(&m.name));
    }
    if c.motor_mount.is_some() {
        parts.push("motor mount".into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" — {}", parts.join(", "))
    }
}
