//! The hand-written fixtures in `testdata/`: one per container, format generation, feature and
//! failure. Expected facts come from `testdata/README.md`.

mod common;

use ork_processor::model::*;
use ork_processor::ork::{self, Limits, OrkError, ParseOptions, Parsed};

fn parse_with(name: &str, options: &ParseOptions) -> Result<Parsed, OrkError> {
    ork::parse_file(&common::testdata(name), options)
}

fn parse(name: &str) -> Parsed {
    parse_with(name, &ParseOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Facts every valid fixture is checked for.
struct Expect {
    version: &'static str,
    components: &'static [(&'static str, usize)],
    simulations: usize,
    branches: usize,
    datapoints: u64,
    first_max_altitude: Option<f64>,
}

fn check(name: &str, e: Expect) -> Parsed {
    let p = parse(name);
    let d = &p.design;
    assert_eq!(d.format_version, e.version, "{name}: version");
    let want: std::collections::BTreeMap<&str, usize> = e.components.iter().copied().collect();
    assert_eq!(d.component_counts(), want, "{name}: components");
    assert_eq!(d.simulations.len(), e.simulations, "{name}: simulations");
    let branches: Vec<&DataBranch> = d.simulations.iter().flat_map(|s| &s.branches).collect();
    assert_eq!(branches.len(), e.branches, "{name}: branches");
    let points: u64 = branches.iter().map(|b| b.datapoint_count).sum();
    assert_eq!(points, e.datapoints, "{name}: datapoints");
    let alt = d
        .simulations
        .first()
        .and_then(|s| s.summary.as_ref())
        .and_then(|s| s.max_altitude_m);
    assert_eq!(alt, e.first_max_altitude, "{name}: first max altitude");
    p
}

const MINIMAL: &[(&str, usize)] = &[
    ("bodytube", 1),
    ("innertube", 1),
    ("nosecone", 1),
    ("stage", 1),
    ("trapezoidfinset", 1),
];

fn minimal_expect() -> Expect {
    Expect {
        version: "1.9",
        components: MINIMAL,
        simulations: 1,
        branches: 1,
        datapoints: 5,
        first_max_altitude: Some(123.4),
    }
}

fn find(d: &Design, kind: ComponentKind) -> &Component {
    d.components_of(kind)
        .next()
        .unwrap_or_else(|| panic!("no {kind:?}"))
}

#[test]
fn minimal_1_9_plain_xml() {
    let p = check("minimal.ork", minimal_expect());
    let d = &p.design;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(d.container.kind, ContainerKind::Xml);
    assert_eq!(d.rocket.name.as_deref(), Some("Minimal"));
    assert!(d.components.iter().all(|c| c.id_source == IdSource::File));

    let Geometry::NoseCone(nose) = &find(d, ComponentKind::NoseCone).geometry else {
        unreachable!()
    };
    assert_eq!(nose.shape, Some(Shape::Ogive));
    assert_eq!(nose.length_m, Some(0.1));
    assert_eq!(
        nose.aft_radius_m,
        Some(AutoValue {
            auto: true,
            value: Some(0.0125)
        })
    );
    let Geometry::BodyTube(tube) = &find(d, ComponentKind::BodyTube).geometry else {
        unreachable!()
    };
    assert_eq!(
        tube.radius_m,
        Some(AutoValue {
            auto: true,
            value: None
        })
    );
    let fins = find(d, ComponentKind::TrapezoidFinSet);
    assert_eq!(fins.instance_count, Some(3));

    // The <stage> inside <motorconfiguration> is an activation, not a component.
    let mc = &d.rocket.motor_configurations;
    assert_eq!(mc.len(), 1);
    assert!(mc[0].default);
    assert_eq!(mc[0].id, "4b9e6f21-7c3a-4d8e-b5f0-2a1c9d8e7f63");
    assert_eq!(
        mc[0].stages,
        vec![StageActivation {
            number: 0,
            active: true
        }]
    );

    let mount = find(d, ComponentKind::InnerTube)
        .motor_mount
        .as_ref()
        .unwrap();
    assert_eq!(mount.motors.len(), 1);
    let m = &mount.motors[0];
    assert_eq!(m.config_id, mc[0].id);
    assert_eq!(m.manufacturer.as_deref(), Some("Estes"));
    assert_eq!(m.designation.as_deref(), Some("C6-5"));
    assert_eq!(m.motor_type.as_deref(), Some("single"));
    assert_eq!(
        m.digest.as_deref(),
        Some("c8743ef3fa99e14a89885cbe0ead47b2")
    );
    assert_eq!(
        (m.diameter_m, m.length_m, m.delay_s),
        (Some(0.018), Some(0.07), Some(5.0))
    );
    assert_eq!(mount.ignition_configs.len(), 1);

    let sim = &d.simulations[0];
    assert_eq!(sim.status.as_deref(), Some("uptodate"));
    let s = sim.summary.as_ref().unwrap();
    assert_eq!(
        (s.max_velocity_m_s, s.time_to_apogee_s, s.flight_time_s),
        (Some(52.8), Some(5.21), Some(24.6))
    );
    let b = &sim.branches[0];
    assert_eq!(b.name.as_deref(), Some("Sustainer"));
    assert_eq!(b.columns, ["Time", "Altitude", "Vertical velocity"]);
    let events: Vec<(&str, f64)> = b
        .events
        .iter()
        .map(|e| (e.kind.as_str(), e.time_s))
        .collect();
    assert_eq!(events, [("launch", 0.0), ("burnout", 1.86)]);
    assert!(b.rows.is_empty(), "rows are not kept by default");
}

#[test]
fn datapoint_rows_on_request() {
    let options = ParseOptions {
        datapoint_rows: 2,
        ..ParseOptions::default()
    };
    let p = parse_with("minimal.ork", &options).unwrap();
    let b = &p.design.simulations[0].branches[0];
    assert_eq!(b.datapoint_count, 5);
    assert_eq!(b.rows.len(), 2);
    assert_eq!(b.rows[0], vec![0.0, 0.0, 0.0]);
    let all = ParseOptions {
        datapoint_rows: 100,
        ..ParseOptions::default()
    };
    let p = parse_with("minimal.ork", &all).unwrap();
    let b = &p.design.simulations[0].branches[0];
    assert_eq!(b.rows.len(), 5);
    assert_eq!(b.rows[4], vec![2.0, 75.3, 45.6]);
}

#[test]
fn containers_give_the_same_design() {
    let plain = parse("minimal.ork").design;
    for (name, kind) in [
        ("zipped.ork", ContainerKind::Zip),
        ("gzipped.ork", ContainerKind::Gzip),
    ] {
        let p = check(name, minimal_expect());
        let d = p.design;
        assert_eq!(d.container.kind, kind, "{name}");
        assert_eq!(d.container.xml_bytes, plain.container.xml_bytes, "{name}");
        assert_eq!(d.components, plain.components, "{name}");
        assert_eq!(d.simulations, plain.simulations, "{name}");
        assert_eq!(d.rocket, plain.rocket, "{name}");
    }
    let z = parse("zipped.ork").design;
    assert_eq!(z.container.design_entry.as_deref(), Some("rocket.ork"));
    let others: Vec<&str> = z
        .container
        .other_entries
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(others, ["decals/paint.png"]);
}

#[test]
fn format_1_0_legacy_positions_and_path_ids() {
    let p = check(
        "format-1.0-position.ork",
        Expect {
            version: "1.0",
            components: &[
                ("bodytube", 1),
                ("centeringring", 2),
                ("innertube", 1),
                ("launchlug", 1),
                ("masscomponent", 1),
                ("nosecone", 1),
                ("parachute", 1),
                ("stage", 1),
                ("trapezoidfinset", 1),
            ],
            simulations: 1,
            branches: 0,
            datapoints: 0,
            first_max_altitude: Some(96.3),
        },
    );
    let d = &p.design;
    assert!(d.components.iter().all(|c| c.id_source == IdSource::Path));
    assert_eq!(d.components[1].id, "path:0/0");
    let axial = |kind| {
        let c = find(d, kind);
        (c.axial.method, c.axial.offset_m, c.axial.source)
    };
    use AxialMethod as M;
    assert_eq!(
        axial(ComponentKind::TrapezoidFinSet),
        (M::Bottom, 0.0, AxialSource::Position)
    );
    assert_eq!(
        axial(ComponentKind::LaunchLug),
        (M::Middle, 0.0, AxialSource::Position)
    );
    assert_eq!(
        axial(ComponentKind::InnerTube),
        (M::Bottom, 0.005, AxialSource::Position)
    );
    assert_eq!(
        axial(ComponentKind::Parachute),
        (M::Top, 0.03, AxialSource::Position)
    );
    assert_eq!(
        axial(ComponentKind::MassComponent),
        (M::After, 0.0, AxialSource::Position)
    );
    // Body components carry no position element: stacked after the previous one.
    assert_eq!(
        find(d, ComponentKind::BodyTube).axial,
        AxialPosition::default()
    );
    let rings: Vec<_> = d.components_of(ComponentKind::CenteringRing).collect();
    assert_eq!(
        (rings[1].axial.method, rings[1].axial.offset_m),
        (M::Absolute, 0.355)
    );
    let fins = find(d, ComponentKind::TrapezoidFinSet);
    assert_eq!(fins.instance_count, Some(4));
    assert_eq!(fins.angle_offset.as_ref().map(|o| o.value), Some(45.0));
    let mass = find(d, ComponentKind::MassComponent);
    assert_eq!(mass.radius_offset.as_ref().map(|o| o.value), Some(0.004));
    assert_eq!(mass.angle_offset.as_ref().map(|o| o.value), Some(90.0));
    assert_eq!(d.rocket.motor_configurations.len(), 1);
    assert!(d.rocket.motor_configurations[0].name.is_some());

    // Stable across runs.
    assert_eq!(parse("format-1.0-position.ork").design, p.design);
}

#[test]
fn format_1_8_axial_offsets_and_overrides() {
    let p = check(
        "format-1.8-axialoffset.ork",
        Expect {
            version: "1.8",
            components: &[
                ("bodytube", 1),
                ("innertube", 1),
                ("launchlug", 1),
                ("masscomponent", 1),
                ("nosecone", 1),
                ("parachute", 1),
                ("stage", 1),
                ("trapezoidfinset", 1),
            ],
            simulations: 1,
            branches: 1,
            datapoints: 3,
            first_max_altitude: Some(301.5),
        },
    );
    let d = &p.design;
    let lug = find(d, ComponentKind::LaunchLug);
    assert_eq!(
        (lug.axial.method, lug.axial.offset_m, lug.axial.source),
        (AxialMethod::Middle, 0.05, AxialSource::AxialOffset)
    );
    assert_eq!(
        lug.angle_offset
            .as_ref()
            .map(|o| (o.method.as_str(), o.value)),
        Some(("relative", 180.0))
    );
    let fins = find(d, ComponentKind::TrapezoidFinSet);
    assert_eq!(
        fins.radius_offset.as_ref().map(|o| o.method.as_str()),
        Some("surface")
    );
    assert_eq!(fins.angle_offset.as_ref().map(|o| o.value), Some(30.0));
    let tube = find(d, ComponentKind::BodyTube);
    assert_eq!(
        tube.overrides,
        Overrides {
            mass_kg: Some(0.12),
            cg_m: Some(0.26),
            cd: Some(0.52),
            subcomponents_mass: true,
            subcomponents_cg: true,
            subcomponents_cd: true,
        }
    );
    let nose = find(d, ComponentKind::NoseCone);
    assert_eq!(
        (nose.overrides.mass_kg, nose.overrides.subcomponents_mass),
        (Some(0.045), false)
    );
    let Geometry::Parachute(chute) = &find(d, ComponentKind::Parachute).geometry else {
        unreachable!()
    };
    assert_eq!(chute.cd, Some(AutoValue::fixed(0.8)));
    let m = &find(d, ComponentKind::InnerTube)
        .motor_mount
        .as_ref()
        .unwrap()
        .motors[0];
    assert_eq!(
        (m.designation.as_deref(), m.motor_type.as_deref()),
        (Some("F20W"), Some("reload"))
    );
}

#[test]
fn all_component_types() {
    let p = check(
        "all-components.ork",
        Expect {
            version: "1.10",
            components: &[
                ("bodytube", 5),
                ("bulkhead", 1),
                ("centeringring", 2),
                ("ellipticalfinset", 1),
                ("engineblock", 1),
                ("freeformfinset", 1),
                ("innertube", 2),
                ("launchlug", 1),
                ("masscomponent", 1),
                ("nosecone", 2),
                ("parachute", 1),
                ("parallelstage", 1),
                ("podset", 1),
                ("railbutton", 1),
                ("shockcord", 1),
                ("stage", 2),
                ("streamer", 1),
                ("transition", 1),
                ("trapezoidfinset", 1),
                ("tubecoupler", 1),
                ("tubefinset", 1),
            ],
            simulations: 2,
            branches: 2,
            datapoints: 7,
            first_max_altitude: Some(612.3),
        },
    );
    let d = &p.design;
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // Every kind appears, ids are the file's, in document order.
    for kind in ComponentKind::ALL {
        assert!(d.components_of(kind).next().is_some(), "{kind:?}");
    }
    for (i, c) in d.components.iter().enumerate() {
        assert_eq!(
            c.id,
            format!("a0000000-0c0f-4e11-8a00-0000000000{:02}", i + 2)
        );
    }
    assert_eq!(d.components.iter().map(|c| c.depth).max(), Some(4));

    let Geometry::FreeformFinSet(ff) = &find(d, ComponentKind::FreeformFinSet).geometry else {
        unreachable!()
    };
    assert_eq!(
        ff.points_m,
        vec![[0.0, 0.0], [0.05, 0.06], [0.09, 0.06], [0.1, 0.0]]
    );

    let pods = find(d, ComponentKind::PodSet);
    assert_eq!(pods.instance_count, Some(2));
    assert_eq!(
        pods.radius_offset
            .as_ref()
            .map(|o| (o.method.as_str(), o.value)),
        Some(("relative", 0.01))
    );
    assert_eq!(
        (pods.axial.method, pods.axial.offset_m),
        (AxialMethod::Top, 0.1)
    );
    assert_eq!(
        d.components[pods.parent.unwrap()].kind(),
        ComponentKind::BodyTube
    );

    let booster = find(d, ComponentKind::ParallelStage);
    let Geometry::ParallelStage(sep) = &booster.geometry else {
        unreachable!()
    };
    assert_eq!(
        (sep.separation.event.as_deref(), sep.separation.delay_s),
        (Some("burnout"), Some(0.5))
    );
    assert_eq!(sep.separation_configs.len(), 1);
    assert!(!sep.legacy_boosterset);

    let stages: Vec<&Component> = d.stages().collect();
    assert_eq!(stages.len(), 2);
    let Geometry::Stage(second) = &stages[1].geometry else {
        unreachable!()
    };
    assert_eq!(second.separation.event.as_deref(), Some("upperignition"));
    assert_eq!(
        second.separation_configs[0].separation.event.as_deref(),
        Some("burnout")
    );

    let filled = d
        .components_of(ComponentKind::NoseCone)
        .filter_map(|c| match &c.geometry {
            Geometry::NoseCone(t) => Some(t.filled),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(filled, [false, true]);
    let Geometry::NoseCone(nose) = &d
        .components_of(ComponentKind::NoseCone)
        .next()
        .unwrap()
        .geometry
    else {
        unreachable!()
    };
    assert_eq!(
        (nose.shape, nose.shape_parameter, nose.shape_clipped),
        (Some(Shape::Haack), Some(0.0), Some(true))
    );
    let shoulder = nose.aft_shoulder.as_ref().unwrap();
    assert_eq!(
        (shoulder.length_m, shoulder.capped),
        (Some(0.04), Some(true))
    );

    let Geometry::Streamer(st) = &find(d, ComponentKind::Streamer).geometry else {
        unreachable!()
    };
    assert_eq!(
        (st.strip_length_m, st.strip_width_m),
        (Some(0.8), Some(0.05))
    );
    let Geometry::Parachute(ch) = &find(d, ComponentKind::Parachute).geometry else {
        unreachable!()
    };
    assert_eq!(ch.deployment_configs.len(), 1);
    assert_eq!(
        find(d, ComponentKind::Parachute)
            .material
            .as_ref()
            .map(|m| (m.kind, m.density)),
        Some((MaterialType::Surface, 0.067))
    );
    assert_eq!(
        find(d, ComponentKind::ShockCord)
            .material
            .as_ref()
            .map(|m| m.kind),
        Some(MaterialType::Line)
    );
    assert_eq!(find(d, ComponentKind::RailButton).instance_count, Some(2));

    let motors: Vec<(&str, Option<f64>)> = d
        .components
        .iter()
        .filter_map(|c| c.motor_mount.as_ref())
        .flat_map(|m| &m.motors)
        .map(|m| (m.designation.as_deref().unwrap(), m.delay_s))
        .collect();
    assert_eq!(motors, [("F39T", Some(6.0)), ("C6", None), ("G64W", None)]);
    assert_eq!(d.rocket.motor_configurations[0].stages.len(), 3);
    assert_eq!(d.simulations[1].status.as_deref(), Some("outdated"));
    assert!(d.simulations[1].branches.is_empty());
}

#[test]
fn legacy_boosterset_reads_as_parallel_stage() {
    let p = check(
        "boosterset-legacy.ork",
        Expect {
            version: "1.4",
            components: &[
                ("bodytube", 2),
                ("nosecone", 2),
                ("parallelstage", 1),
                ("stage", 1),
                ("trapezoidfinset", 2),
            ],
            simulations: 1,
            branches: 0,
            datapoints: 0,
            first_max_altitude: Some(215.7),
        },
    );
    let d = &p.design;
    let b = find(d, ComponentKind::ParallelStage);
    let Geometry::ParallelStage(g) = &b.geometry else {
        unreachable!()
    };
    assert!(g.legacy_boosterset);
    assert_eq!(b.instance_count, Some(2));
    assert_eq!(b.radius_offset.as_ref().map(|o| o.value), Some(0.04));
    assert_eq!(b.angle_offset.as_ref().map(|o| o.value), Some(90.0));
    let json = serde_json::to_value(b).unwrap();
    assert_eq!(json["type"], "parallelstage");
}

#[test]
fn unknown_version_and_element_are_warnings() {
    let p = check(
        "unknown-version.ork",
        Expect {
            version: "1.99",
            ..minimal_expect()
        },
    );
    let text: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(text.iter().any(|m| m.contains("1.99")), "{text:?}");
    assert!(text.iter().any(|m| m.contains("<frobnicator>")), "{text:?}");
}

#[test]
fn localized_column_names_are_kept_as_written() {
    let p = parse("localized-columns.ork");
    let d = &p.design;
    assert_eq!(d.rocket.name.as_deref(), Some("Höhenrakete Ü-1"));
    assert_eq!(d.rocket.designer.as_deref(), Some("Jürgen Müller"));
    let b = &d.simulations[0].branches[0];
    assert_eq!(b.columns, ["Zeit", "Höhe", "Vertikalgeschwindigkeit"]);
    assert_eq!((b.events.len(), b.datapoint_count), (3, 4));
}

#[test]
fn every_component_json_carries_its_type() {
    let d = parse("all-components.ork").design;
    let json = serde_json::to_value(&d).unwrap();
    for (c, j) in d
        .components
        .iter()
        .zip(json["components"].as_array().unwrap())
    {
        assert_eq!(j["type"], c.kind().tag());
        assert_eq!(j["id"], c.id.as_str());
    }
    // The model round-trips through its JSON form.
    let back: Design = serde_json::from_value(json).unwrap();
    assert_eq!(back, d);
}

/// A failure fixture and the error class it must give.
fn check_err(name: &str, options: &ParseOptions, code: &str, says: &str) {
    let started = std::time::Instant::now();
    let err = match parse_with(name, options) {
        Ok(_) => panic!("{name}: parsed, expected {code}"),
        Err(e) => e,
    };
    assert_eq!(err.code(), code, "{name}: {err}");
    let msg = err.to_string();
    assert!(msg.contains(says), "{name}: {msg:?} should say {says:?}");
    // Hostile input fails fast (the bomb stops at the limit instead of inflating 600 MiB).
    assert!(
        started.elapsed().as_secs() < 20,
        "{name}: took {:?}",
        started.elapsed()
    );
}

#[test]
fn failures_get_typed_errors() {
    let d = ParseOptions::default();
    check_err("bad-empty.ork", &d, "empty", "empty input");
    check_err(
        "bad-random.ork",
        &d,
        "not_openrocket",
        "binary data, starting with bytes 90 ed de 2d",
    );
    check_err("bad-truncated.zip.ork", &d, "corrupt_zip", "corrupt zip");
    check_err(
        "bad-no-ork-entry.ork",
        &d,
        "no_ork_entry",
        "readme.txt, image.png",
    );
    check_err("bad-rocksim.ork", &d, "unsupported_format", "RockSim");
    check_err("bad-entity-bomb.ork", &d, "doctype", "DOCTYPE");
    check_err("bad-nesting.ork", &d, "too_deep", "deeper than 64 levels");
    check_err("bad-number.ork", &d, "bad_number", "\"12,5cm\"");
    check_err("bad-nested-archive.ork", &d, "nested_archive", "zip");
    check_err("bad-truncated-xml.ork", &d, "truncated", "ends inside");
    // The bomb's text run hits the markup-free run limit first, long before 512 MiB…
    check_err("bad-zip-bomb.ork", &d, "text_too_long", "8388608 bytes");
}

#[test]
fn limits_carry_their_figures() {
    let with = |f: fn(&mut Limits)| {
        let mut options = ParseOptions::default();
        f(&mut options.limits);
        options
    };
    // …and with that limit raised, it stops at the inflated-size limit while streaming.
    check_err(
        "bad-zip-bomb.ork",
        &with(|l| {
            l.max_text_bytes = u64::MAX;
            l.max_xml_bytes = 4 << 20;
        }),
        "inflated_too_large",
        "4194304 bytes",
    );
    check_err(
        "minimal.ork",
        &with(|l| l.max_input_bytes = 100),
        "input_too_large",
        "limit of 100 bytes",
    );
    check_err(
        "all-components.ork",
        &with(|l| l.max_components = 10),
        "too_many_components",
        "more than 10 components",
    );
    check_err(
        "all-components.ork",
        &with(|l| l.max_elements = 50),
        "too_many_elements",
        "more than 50",
    );
    check_err(
        "minimal.ork",
        &with(|l| l.max_depth = 3),
        "too_deep",
        "deeper than 3 levels",
    );
    check_err(
        "zipped.ork",
        &with(|l| l.max_xml_bytes = 1000),
        "inflated_too_large",
        "1000 bytes",
    );
}
