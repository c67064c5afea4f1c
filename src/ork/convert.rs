//! Element tree to typed model.
//!
//! Each element parser reads the children it knows through [`Fields`], which remembers what was
//! read; whatever is left is reported as a warning (never an error), so unknown or newer
//! elements show up without breaking old readers. Numbers in geometry must be finite; summary
//! figures may be `NaN` (OpenRocket writes that for flights that never happened) and read as
//! `None`.

use std::collections::HashSet;

use super::xml::{name_hash, Doc, Node};
use super::{OrkError, Warning};
use crate::model::*;
use crate::series::number::parse_text;

/// The format versions OpenRocket's own reader accepts (`DocumentConfig.SUPPORTED_VERSIONS`).
pub const KNOWN_VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11",
];

/// Elements that carry nothing the model needs (display settings, presets, 3D appearance of
/// insides); read silently rather than reported as unknown.
const IGNORED: &[&str] = &[
    "finish",
    "preset",
    "insideappearance",
    "linestyle",
    "designtype",
];

/// A component's (or any element's) children, read once each.
struct Fields<'a> {
    node: Node<'a>,
    /// The children with their name hashes, so that each lookup is a scan of a few words.
    children: Vec<(u32, Node<'a>)>,
    used: Vec<bool>,
}

impl<'a> Fields<'a> {
    fn new(node: Node<'a>) -> Self {
        let children: Vec<(u32, Node<'a>)> = node.children().map(|c| (c.hash(), c)).collect();
        Self {
            node,
            used: vec![false; children.len()],
            children,
        }
    }

    /// Every child with this name, marked as read.
    fn all(&mut self, name: &str) -> Vec<Node<'a>> {
        let hash = name_hash(name);
        let mut out = Vec::new();
        for (i, &(h, c)) in self.children.iter().enumerate() {
            if h == hash && c.name() == name {
                self.used[i] = true;
                out.push(c);
            }
        }
        out
    }

    /// The first child with this name (all of that name are marked as read).
    fn get(&mut self, name: &str) -> Option<Node<'a>> {
        let hash = name_hash(name);
        let mut first = None;
        for (i, &(h, c)) in self.children.iter().enumerate() {
            if h == hash && c.name() == name {
                self.used[i] = true;
                first = first.or(Some(c));
            }
        }
        first
    }

    fn ignore(&mut self, names: &[&str]) {
        for n in names {
            self.get(n);
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        self.get(name)
            .map(|n| n.text().to_string())
            .filter(|t| !t.is_empty())
    }

    /// A finite number.
    fn f64(&mut self, name: &str) -> Result<Option<f64>, OrkError> {
        self.get(name).map(number).transpose()
    }

    fn auto(&mut self, name: &str) -> Result<Option<AutoValue>, OrkError> {
        self.get(name).map(auto_value).transpose()
    }

    fn bool(&mut self, name: &str) -> Result<Option<bool>, OrkError> {
        self.get(name).map(boolean).transpose()
    }

    fn u32(&mut self, name: &str) -> Result<Option<u32>, OrkError> {
        self.get(name)
            .map(|n| {
                let t = n.text();
                t.parse::<u32>()
                    .map_err(|_| bad_value(n, "non-negative integer"))
            })
            .transpose()
    }

    /// Reports every child that nothing read.
    fn finish(self, warnings: &mut Vec<Warning>) {
        for (i, &(_, c)) in self.children.iter().enumerate() {
            if !self.used[i] && !IGNORED.contains(&c.name()) {
                warnings.push(Warning {
                    position: c.position(),
                    message: format!("unknown element <{}> in <{}>", c.name(), self.node.name()),
                });
            }
        }
    }
}

fn number(n: Node<'_>) -> Result<f64, OrkError> {
    let t = n.text();
    match parse_text(t) {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(OrkError::BadNumber {
            element: n.name().to_string(),
            text: t.chars().take(64).collect(),
            position: n.position(),
        }),
    }
}

fn bad_value(n: Node<'_>, expected: &'static str) -> OrkError {
    OrkError::BadValue {
        element: n.name().to_string(),
        text: n.text().chars().take(64).collect(),
        expected,
        position: n.position(),
    }
}

fn boolean(n: Node<'_>) -> Result<bool, OrkError> {
    match n.text().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_value(n, "boolean")),
    }
}

/// `auto`, `auto 0.0125` or a number.
fn auto_value(n: Node<'_>) -> Result<AutoValue, OrkError> {
    let t = n.text();
    let mut parts = t.split_ascii_whitespace();
    match parts.next() {
        Some(first) if first.eq_ignore_ascii_case("auto") => {
            let value = match parts.next() {
                Some(v) => match parse_text(v) {
                    Some(x) if x.is_finite() => Some(x),
                    _ => {
                        return Err(OrkError::BadNumber {
                            element: n.name().to_string(),
                            text: t.chars().take(64).collect(),
                            position: n.position(),
                        })
                    }
                },
                None => None,
            };
            Ok(AutoValue { auto: true, value })
        }
        _ => number(n).map(AutoValue::fixed),
    }
}

/// A number attribute; `NaN` and absent read as `None`.
fn attr_f64(n: Node<'_>, key: &str) -> Option<f64> {
    n.attr(key)
        .and_then(|v| parse_text(v.trim()))
        .filter(|v| v.is_finite())
}

/// Converts the element tree of a whole document.
pub(crate) fn design(
    doc: &Doc,
    container: ContainerInfo,
    warnings: &mut Vec<Warning>,
) -> Result<Design, OrkError> {
    let root = doc.root();
    if root.name() != "openrocket" {
        return Err(OrkError::WrongRoot {
            found: root.name().to_string(),
        });
    }
    let format_version = root.attr("version").unwrap_or("").trim().to_string();
    if !KNOWN_VERSIONS.contains(&format_version.as_str()) {
        warnings.push(Warning {
            position: root.position(),
            message: format!(
                "unknown format version {format_version:?}; read as the newest known (1.11)"
            ),
        });
    }
    let creator = root.attr("creator").map(str::to_string);
    let mut f = Fields::new(root);
    let rocket_node = f.get("rocket").ok_or(OrkError::NoRocket)?;
    let sims_node = f.get("simulations");
    f.ignore(&["datatypes", "photostudio", "docprefs"]);
    f.finish(warnings);

    let mut components = Vec::new();
    let rocket = rocket(rocket_node, &mut components, warnings)?;
    let simulations = match sims_node {
        Some(s) => simulations(s, warnings)?,
        None => Vec::new(),
    };
    Ok(Design {
        format_version,
        creator,
        container,
        rocket,
        components,
        simulations,
    })
}

fn rocket(
    node: Node<'_>,
    components: &mut Vec<Component>,
    warnings: &mut Vec<Warning>,
) -> Result<Rocket, OrkError> {
    let mut f = Fields::new(node);
    let mut r = Rocket {
        name: f.text("name"),
        id: f.text("id"),
        comment: f.text("comment"),
        designer: f.text("designer"),
        revision: f.text("revision"),
        reference_type: f.text("referencetype"),
        custom_reference_m: f.f64("customreference")?,
        motor_configurations: Vec::new(),
    };
    for mc in f.all("motorconfiguration") {
        r.motor_configurations
            .push(motor_configuration(mc, warnings)?);
    }
    f.ignore(&["axialoffset", "position", "appearance"]);
    let mut ids = HashSet::new();
    if let Some(subs) = f.get("subcomponents") {
        subtree(subs, None, 0, "", components, &mut ids, warnings)?;
    }
    f.finish(warnings);
    Ok(r)
}

fn motor_configuration(
    node: Node<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<MotorConfiguration, OrkError> {
    let mut f = Fields::new(node);
    let mut stages = Vec::new();
    // `<stage>` here is a stage activation, not a component.
    for s in f.all("stage") {
        let number = s
            .attr("number")
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| bad_value(s, "stage number"))?;
        let active = s.attr("active").is_none_or(|v| v.trim() != "false");
        stages.push(StageActivation { number, active });
    }
    let mc = MotorConfiguration {
        id: node.attr("configid").unwrap_or_default().to_string(),
        name: f.text("name"),
        default: node.attr("default").is_some_and(|v| v.trim() == "true"),
        stages,
    };
    f.finish(warnings);
    Ok(mc)
}

/// Converts the components under one `<subcomponents>` element, appending them in pre-order.
fn subtree(
    subs: Node<'_>,
    parent: Option<usize>,
    depth: u32,
    parent_path: &str,
    out: &mut Vec<Component>,
    ids: &mut HashSet<String>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<usize>, OrkError> {
    let mut children = Vec::new();
    let mut sibling = 0usize;
    for node in subs.children() {
        let Some(kind) = ComponentKind::from_tag(node.name()) else {
            warnings.push(Warning {
                position: node.position(),
                message: format!(
                    "unknown component <{}> skipped with its subtree",
                    node.name()
                ),
            });
            continue;
        };
        let path = if parent_path.is_empty() {
            sibling.to_string()
        } else {
            format!("{parent_path}/{sibling}")
        };
        sibling += 1;
        let index = component(node, kind, parent, depth, path, out, ids, warnings)?;
        children.push(index);
    }
    Ok(children)
}

#[allow(clippy::too_many_arguments)]
fn component(
    node: Node<'_>,
    kind: ComponentKind,
    parent: Option<usize>,
    depth: u32,
    path: String,
    out: &mut Vec<Component>,
    ids: &mut HashSet<String>,
    warnings: &mut Vec<Warning>,
) -> Result<usize, OrkError> {
    let mut f = Fields::new(node);
    let (id, id_source) = match f.text("id") {
        Some(id) if ids.contains(&id) => {
            warnings.push(Warning {
                position: node.position(),
                message: format!("duplicate component id {id}; made unique with its path"),
            });
            (format!("{id}#{path}"), IdSource::Path)
        }
        Some(id) => (id, IdSource::File),
        None => (format!("path:{path}"), IdSource::Path),
    };
    ids.insert(id.clone());

    let axial = axial(&mut f)?;
    let radius_offset = match (
        f.get("radiusoffset"),
        f.get("radialposition"),
        f.get("radialoffset"),
    ) {
        (Some(n), _, _) => Some(offset(n, "surface")?),
        (None, Some(n), _) | (None, None, Some(n)) => Some(Offset {
            method: "free".into(),
            value: number(n)?,
        }),
        _ => None,
    };
    let angle_offset = match (
        f.get("angleoffset"),
        f.get("rotation"),
        f.get("radialdirection"),
    ) {
        (Some(n), _, _) => Some(offset(n, "relative")?),
        (None, Some(n), _) | (None, None, Some(n)) => Some(Offset {
            method: "relative".into(),
            value: number(n)?,
        }),
        _ => None,
    };
    let instance_count = match f.u32("instancecount")? {
        Some(n) => {
            f.get("fincount");
            Some(n)
        }
        None => f.u32("fincount")?,
    };
    let instance_separation_m = f.f64("instanceseparation")?;
    let material = f.get("material").map(material).transpose()?;
    let appearance = match (f.get("appearance"), f.get("color")) {
        (Some(a), _) => Some(appearance(a)?),
        (None, Some(c)) => Some(Appearance {
            paint: rgba(c),
            ..Appearance::default()
        }),
        _ => None,
    };
    let overrides = overrides(&mut f)?;
    let motor_mount = f.get("motormount").map(motor_mount).transpose()?;
    let name = f.text("name");
    let comment = f.text("comment");
    let geometry = geometry(kind, node, &mut f)?;
    let subs = f.get("subcomponents");
    f.finish(warnings);

    let index = out.len();
    out.push(Component {
        index,
        parent,
        children: Vec::new(),
        depth,
        path: path.clone(),
        id,
        id_source,
        name,
        comment,
        axial,
        radius_offset,
        angle_offset,
        instance_count,
        instance_separation_m,
        material,
        appearance,
        overrides,
        motor_mount,
        geometry,
    });
    if let Some(subs) = subs {
        let children = subtree(subs, Some(index), depth + 1, &path, out, ids, warnings)?;
        out[index].children = children;
    }
    Ok(index)
}

fn axial(f: &mut Fields<'_>) -> Result<AxialPosition, OrkError> {
    let (node, source, key) = match (f.get("axialoffset"), f.get("position")) {
        (Some(n), _) => (n, AxialSource::AxialOffset, "method"),
        (None, Some(n)) => (n, AxialSource::Position, "type"),
        (None, None) => return Ok(AxialPosition::default()),
    };
    let method_text = node.attr(key).unwrap_or("after");
    let method = AxialMethod::parse(method_text).ok_or_else(|| OrkError::BadValue {
        element: node.name().to_string(),
        text: method_text.chars().take(64).collect(),
        expected: "axial method (absolute, top, middle, bottom, after)",
        position: node.position(),
    })?;
    Ok(AxialPosition {
        method,
        offset_m: number(node)?,
        source,
    })
}

fn offset(n: Node<'_>, default_method: &str) -> Result<Offset, OrkError> {
    Ok(Offset {
        method: n
            .attr("method")
            .unwrap_or(default_method)
            .trim()
            .to_ascii_lowercase(),
        value: number(n)?,
    })
}

fn material(n: Node<'_>) -> Result<Material, OrkError> {
    let kind_text = n.attr("type").unwrap_or("bulk");
    let kind = MaterialType::parse(kind_text).ok_or_else(|| OrkError::BadValue {
        element: n.name().to_string(),
        text: kind_text.to_string(),
        expected: "material type (bulk, surface, line)",
        position: n.position(),
    })?;
    let density_text = n.attr("density").unwrap_or("");
    let density = parse_text(density_text.trim())
        .filter(|d| d.is_finite())
        .ok_or_else(|| OrkError::BadNumber {
            element: format!("{} density", n.name()),
            text: density_text.chars().take(64).collect(),
            position: n.position(),
        })?;
    Ok(Material {
        name: n.text().to_string(),
        kind,
        density,
        group: n.attr("group").map(str::to_string),
    })
}

fn rgba(n: Node<'_>) -> Option<Rgba> {
    let c = |k: &str| n.attr(k).and_then(|v| v.trim().parse::<u8>().ok());
    Some(Rgba {
        r: c("red")?,
        g: c("green")?,
        b: c("blue")?,
        a: c("alpha").unwrap_or(255),
    })
}

fn appearance(n: Node<'_>) -> Result<Appearance, OrkError> {
    let mut f = Fields::new(n);
    Ok(Appearance {
        paint: f.get("paint").and_then(rgba),
        shine: f.f64("shine")?,
        decal: f
            .get("decal")
            .and_then(|d| d.attr("name"))
            .map(str::to_string),
    })
}

fn overrides(f: &mut Fields<'_>) -> Result<Overrides, OrkError> {
    let legacy = f.bool("overridesubcomponents")?.unwrap_or(false);
    Ok(Overrides {
        mass_kg: f.f64("overridemass")?,
        cg_m: f.f64("overridecg")?,
        cd: f.f64("overridecd")?,
        subcomponents_mass: f.bool("overridesubcomponentsmass")?.unwrap_or(legacy),
        subcomponents_cg: f.bool("overridesubcomponentscg")?.unwrap_or(legacy),
        subcomponents_cd: f.bool("overridesubcomponentscd")?.unwrap_or(legacy),
    })
}

fn motor_mount(n: Node<'_>) -> Result<MotorMount, OrkError> {
    let mut f = Fields::new(n);
    let mut mm = MotorMount {
        ignition_event: f.text("ignitionevent"),
        ignition_delay_s: f.f64("ignitiondelay")?,
        overhang_m: f.f64("overhang")?,
        ..MotorMount::default()
    };
    for m in f.all("motor") {
        let mut g = Fields::new(m);
        let delay = match g.get("delay") {
            Some(d) if d.text().eq_ignore_ascii_case("none") => None,
            Some(d) => Some(number(d)?),
            None => None,
        };
        mm.motors.push(MountedMotor {
            config_id: m.attr("configid").unwrap_or_default().to_string(),
            motor_type: g.text("type"),
            manufacturer: g.text("manufacturer"),
            designation: g.text("designation"),
            digest: g.text("digest"),
            diameter_m: g.f64("diameter")?,
            length_m: g.f64("length")?,
            delay_s: delay,
        });
    }
    for ic in f.all("ignitionconfiguration") {
        let mut g = Fields::new(ic);
        mm.ignition_configs.push(IgnitionConfig {
            config_id: ic.attr("configid").unwrap_or_default().to_string(),
            event: g.text("ignitionevent"),
            delay_s: g.f64("ignitiondelay")?,
        });
    }
    Ok(mm)
}

fn separation(f: &mut Fields<'_>) -> Result<Separation, OrkError> {
    Ok(Separation {
        event: f.text("separationevent"),
        delay_s: f.f64("separationdelay")?,
        altitude_m: f.f64("separationaltitude")?,
    })
}

fn stage(node: Node<'_>, f: &mut Fields<'_>) -> Result<StageGeometry, OrkError> {
    let default = separation(f)?;
    let mut separation_configs = Vec::new();
    for sc in f.all("separationconfiguration") {
        let mut g = Fields::new(sc);
        separation_configs.push(SeparationConfig {
            config_id: sc.attr("configid").unwrap_or_default().to_string(),
            separation: separation(&mut g)?,
        });
    }
    Ok(StageGeometry {
        separation: default,
        separation_configs,
        legacy_boosterset: node.name() == "boosterset",
    })
}

fn deployment(f: &mut Fields<'_>) -> Result<Deployment, OrkError> {
    Ok(Deployment {
        event: f.text("deployevent"),
        altitude_m: f.f64("deployaltitude")?,
        delay_s: f.f64("deploydelay")?,
    })
}

fn deployment_configs(f: &mut Fields<'_>) -> Result<Vec<DeploymentConfig>, OrkError> {
    f.all("deploymentconfiguration")
        .into_iter()
        .map(|dc| {
            let mut g = Fields::new(dc);
            Ok(DeploymentConfig {
                config_id: dc.attr("configid").unwrap_or_default().to_string(),
                deployment: deployment(&mut g)?,
            })
        })
        .collect()
}

fn packed(f: &mut Fields<'_>) -> Result<PackedGeometry, OrkError> {
    Ok(PackedGeometry {
        packed_length_m: f.f64("packedlength")?,
        packed_radius_m: f.auto("packedradius")?,
    })
}

fn fins(f: &mut Fields<'_>) -> Result<FinCommon, OrkError> {
    let tab = f.get("tabposition");
    Ok(FinCommon {
        thickness_m: f.f64("thickness")?,
        cross_section: f.text("crosssection"),
        cant_deg: f.f64("cant")?,
        tab_height_m: f.f64("tabheight")?,
        tab_length_m: f.f64("tablength")?,
        tab_position_m: tab.map(number).transpose()?,
        tab_relative_to: tab.and_then(|t| t.attr("relativeto")).map(str::to_string),
        fillet_radius_m: f.f64("filletradius")?,
        fillet_material: f.get("filletmaterial").map(material).transpose()?,
    })
}

fn shoulder(f: &mut Fields<'_>, end: &str) -> Result<Option<Shoulder>, OrkError> {
    let s = Shoulder {
        radius_m: f.auto(&format!("{end}shoulderradius"))?,
        length_m: f.f64(&format!("{end}shoulderlength"))?,
        thickness_m: f.f64(&format!("{end}shoulderthickness"))?,
        capped: f.bool(&format!("{end}shouldercapped"))?,
    };
    Ok((s != Shoulder::default()).then_some(s))
}

fn thickness_or_filled(f: &mut Fields<'_>) -> Result<(Option<f64>, bool), OrkError> {
    match f.get("thickness") {
        Some(n) if n.text().eq_ignore_ascii_case("filled") => Ok((None, true)),
        Some(n) => Ok((Some(number(n)?), false)),
        None => Ok((None, false)),
    }
}

fn geometry(kind: ComponentKind, node: Node<'_>, f: &mut Fields<'_>) -> Result<Geometry, OrkError> {
    use ComponentKind as K;
    Ok(match kind {
        K::Stage => Geometry::Stage(stage(node, f)?),
        K::ParallelStage => Geometry::ParallelStage(stage(node, f)?),
        K::PodSet => Geometry::PodSet(PodSetGeometry {}),
        K::NoseCone | K::Transition => {
            let (thickness_m, filled) = thickness_or_filled(f)?;
            let g = TransitionGeometry {
                length_m: f.f64("length")?,
                thickness_m,
                filled,
                shape: f
                    .get("shape")
                    .map(|n| Shape::parse(n.text()).ok_or_else(|| bad_value(n, "shape")))
                    .transpose()?,
                shape_clipped: f.bool("shapeclipped")?,
                shape_parameter: f.f64("shapeparameter")?,
                fore_radius_m: f.auto("foreradius")?,
                aft_radius_m: f.auto("aftradius")?,
                fore_shoulder: shoulder(f, "fore")?,
                aft_shoulder: shoulder(f, "aft")?,
                flipped: f.bool("isflipped")?.unwrap_or(false),
            };
            if kind == K::NoseCone {
                Geometry::NoseCone(g)
            } else {
                Geometry::Transition(g)
            }
        }
        K::BodyTube => {
            let (thickness_m, filled) = thickness_or_filled(f)?;
            Geometry::BodyTube(BodyTubeGeometry {
                length_m: f.f64("length")?,
                thickness_m,
                filled,
                radius_m: f.auto("radius")?,
            })
        }
        K::TrapezoidFinSet => Geometry::TrapezoidFinSet(TrapezoidFinGeometry {
            fins: fins(f)?,
            root_chord_m: f.f64("rootchord")?,
            tip_chord_m: f.f64("tipchord")?,
            sweep_m: f.f64("sweeplength")?,
            height_m: f.f64("height")?,
        }),
        K::EllipticalFinSet => Geometry::EllipticalFinSet(EllipticalFinGeometry {
            fins: fins(f)?,
            root_chord_m: f.f64("rootchord")?,
            height_m: f.f64("height")?,
        }),
        K::FreeformFinSet => {
            let common = fins(f)?;
            let mut points_m = Vec::new();
            if let Some(fp) = f.get("finpoints") {
                for p in fp.children_named("point") {
                    let coord = |k: &str| {
                        let t = p.attr(k).unwrap_or("");
                        parse_text(t.trim())
                            .filter(|v| v.is_finite())
                            .ok_or_else(|| OrkError::BadNumber {
                                element: format!("point {k}"),
                                text: t.chars().take(64).collect(),
                                position: p.position(),
                            })
                    };
                    points_m.push([coord("x")?, coord("y")?]);
                }
            }
            Geometry::FreeformFinSet(FreeformFinGeometry {
                fins: common,
                points_m,
            })
        }
        K::TubeFinSet => Geometry::TubeFinSet(TubeFinGeometry {
            length_m: f.f64("length")?,
            thickness_m: f.f64("thickness")?,
            outer_radius_m: f.auto("radius")?,
        }),
        K::LaunchLug => Geometry::LaunchLug(LaunchLugGeometry {
            outer_radius_m: f.f64("radius")?,
            length_m: f.f64("length")?,
            thickness_m: f.f64("thickness")?,
        }),
        K::RailButton => Geometry::RailButton(RailButtonGeometry {
            outer_diameter_m: f.f64("outerdiameter")?,
            inner_diameter_m: f.f64("innerdiameter")?,
            height_m: f.f64("height")?,
            base_height_m: f.f64("baseheight")?,
            flange_height_m: f.f64("flangeheight")?,
            screw_height_m: f.f64("screwheight")?,
        }),
        K::InnerTube => Geometry::InnerTube(InnerTubeGeometry {
            length_m: f.f64("length")?,
            outer_radius_m: f.f64("outerradius")?,
            thickness_m: f.f64("thickness")?,
            cluster_configuration: f.text("clusterconfiguration"),
            cluster_scale: f.f64("clusterscale")?,
            cluster_rotation_deg: f.f64("clusterrotation")?,
        }),
        K::TubeCoupler | K::CenteringRing | K::Bulkhead | K::EngineBlock => {
            let g = RingGeometry {
                length_m: f.f64("length")?,
                outer_radius_m: f.auto("outerradius")?,
                inner_radius_m: f.auto("innerradius")?,
                thickness_m: f.f64("thickness")?,
            };
            match kind {
                K::TubeCoupler => Geometry::TubeCoupler(g),
                K::CenteringRing => Geometry::CenteringRing(g),
                K::Bulkhead => Geometry::Bulkhead(g),
                _ => Geometry::EngineBlock(g),
            }
        }
        K::MassComponent => Geometry::MassComponent(MassComponentGeometry {
            packed: packed(f)?,
            mass_kg: f.f64("mass")?,
            mass_component_type: f.text("masscomponenttype"),
        }),
        K::ShockCord => Geometry::ShockCord(ShockCordGeometry {
            packed: packed(f)?,
            cord_length_m: f.f64("cordlength")?,
        }),
        K::Parachute => Geometry::Parachute(ParachuteGeometry {
            packed: packed(f)?,
            diameter_m: f.f64("diameter")?,
            cd: f.auto("cd")?,
            line_count: f.u32("linecount")?,
            line_length_m: f.f64("linelength")?,
            line_material: f.get("linematerial").map(material).transpose()?,
            deployment: deployment(f)?,
            deployment_configs: deployment_configs(f)?,
        }),
        K::Streamer => Geometry::Streamer(StreamerGeometry {
            packed: packed(f)?,
            strip_length_m: f.f64("striplength")?,
            strip_width_m: f.f64("stripwidth")?,
            cd: f.auto("cd")?,
            deployment: deployment(f)?,
            deployment_configs: deployment_configs(f)?,
        }),
    })
}

fn simulations(node: Node<'_>, warnings: &mut Vec<Warning>) -> Result<Vec<Simulation>, OrkError> {
    let mut f = Fields::new(node);
    let mut out = Vec::new();
    for s in f.all("simulation") {
        out.push(simulation(s, warnings)?);
    }
    f.finish(warnings);
    Ok(out)
}

fn simulation(node: Node<'_>, warnings: &mut Vec<Warning>) -> Result<Simulation, OrkError> {
    let mut f = Fields::new(node);
    let mut sim = Simulation {
        name: f.text("name"),
        status: node.attr("status").map(str::to_string),
        simulator: f.text("simulator"),
        calculator: f.text("calculator"),
        ..Simulation::default()
    };
    if let Some(c) = f.get("conditions") {
        sim.conditions = conditions(c, warnings)?;
    }
    if let Some(fd) = f.get("flightdata") {
        let a = |k| attr_f64(fd, k);
        sim.summary = Some(FlightSummary {
            max_altitude_m: a("maxaltitude"),
            max_velocity_m_s: a("maxvelocity"),
            max_acceleration_m_s2: a("maxacceleration"),
            max_mach: a("maxmach"),
            time_to_apogee_s: a("timetoapogee"),
            flight_time_s: a("flighttime"),
            ground_hit_velocity_m_s: a("groundhitvelocity"),
            launch_rod_velocity_m_s: a("launchrodvelocity"),
            deployment_velocity_m_s: a("deploymentvelocity"),
            optimum_delay_s: a("optimumdelay"),
        });
        let mut g = Fields::new(fd);
        let mut series: Vec<Option<&BranchSeries>> = Vec::new();
        for b in g.all("databranch") {
            sim.branches.push(branch(b));
            series.push(b.rows().and_then(|r| r.series.as_ref()));
        }
        // The series of a simulation whose first branch holds rows; later branches (boosters,
        // separated stages) beside it.
        if let Some(Some(main)) = series.first() {
            if !main.is_empty() {
                sim.series = Some(FlightSeries {
                    main: (*main).clone(),
                    extra_branches: series[1..]
                        .iter()
                        .flatten()
                        .filter(|s| !s.is_empty())
                        .map(|s| (*s).clone())
                        .collect(),
                });
            }
        }
        g.ignore(&["warning"]);
        g.finish(warnings);
    }
    f.ignore(&["extension", "listener"]);
    f.finish(warnings);
    Ok(sim)
}

fn conditions(node: Node<'_>, warnings: &mut Vec<Warning>) -> Result<Conditions, OrkError> {
    let mut f = Fields::new(node);
    // Settings, not geometry: a NaN here is OpenRocket's "unset" and reads as None.
    let num = |f: &mut Fields<'_>, k: &str| {
        f.get(k)
            .and_then(|n| parse_text(n.text()))
            .filter(|v| v.is_finite())
    };
    let c = Conditions {
        config_id: f.text("configid"),
        launch_rod_length_m: num(&mut f, "launchrodlength"),
        launch_into_wind: f.bool("launchintowind")?,
        launch_rod_angle_deg: num(&mut f, "launchrodangle"),
        launch_rod_direction_deg: num(&mut f, "launchroddirection"),
        wind_average_m_s: num(&mut f, "windaverage"),
        wind_turbulence: num(&mut f, "windturbulence"),
        wind_direction_rad: num(&mut f, "winddirection"),
        launch_altitude_m: num(&mut f, "launchaltitude"),
        launch_latitude_deg: num(&mut f, "launchlatitude"),
        launch_longitude_deg: num(&mut f, "launchlongitude"),
        geodetic_method: f.text("geodeticmethod"),
        atmosphere_model: f
            .get("atmosphere")
            .and_then(|a| a.attr("model"))
            .map(str::to_string),
        time_step_s: num(&mut f, "timestep"),
        max_time_s: num(&mut f, "maxtime"),
    };
    f.ignore(&["wind", "windmodeltype"]);
    f.finish(warnings);
    Ok(c)
}

fn branch(node: Node<'_>) -> DataBranch {
    let columns = node
        .attr("types")
        .map(|t| t.split(',').map(|c| c.trim().to_string()).collect())
        .unwrap_or_default();
    let events = node
        .children_named("event")
        .map(|e| FlightEvent {
            time_s: attr_f64(e, "time").unwrap_or(f64::NAN),
            kind: e.attr("type").unwrap_or_default().to_string(),
            source: e.attr("source").map(str::to_string),
        })
        .collect();
    let (datapoint_count, rows) = match node.rows() {
        Some(r) => (r.count, r.first.clone()),
        None => (0, Vec::new()),
    };
    DataBranch {
        name: node.attr("name").map(str::to_string),
        columns,
        events,
        datapoint_count,
        rows,
    }
}
