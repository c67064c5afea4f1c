//! Components: the common part every component has, and the per-type geometry.

use serde::{Deserialize, Serialize};

/// One rocket component (stage, nose cone, fin set, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Index of this component in [`crate::model::Design::components`] (file order).
    pub index: usize,
    /// Index of the parent component; `None` for a top-level stage.
    pub parent: Option<usize>,
    /// Indices of the children, in file order.
    pub children: Vec<usize>,
    /// 0 for a top-level stage, 1 for its children, …
    pub depth: u32,
    /// Position among siblings along the path from the rocket, e.g. `0/1/3`.
    pub path: String,
    /// `<id>` where the file has one (format 1.9+), else a deterministic id from `path`.
    pub id: String,
    /// Whether `id` came from the file or was derived from the tree path.
    pub id_source: IdSource,
    pub name: Option<String>,
    pub comment: Option<String>,
    /// Axial position relative to the parent (or the nose tip, for `absolute`).
    pub axial: AxialPosition,
    /// `<radiusoffset>`, or the legacy `<radialposition>` (as `relative`).
    pub radius_offset: Option<Offset>,
    /// `<angleoffset>`, or the legacy fin `<rotation>` / `<radialdirection>` (as `relative`).
    pub angle_offset: Option<Offset>,
    /// `<instancecount>`, or the legacy `<fincount>` of fin sets.
    pub instance_count: Option<u32>,
    pub instance_separation_m: Option<f64>,
    pub material: Option<Material>,
    /// Outside appearance: `<appearance>`, or the legacy `<color>`.
    pub appearance: Option<Appearance>,
    pub overrides: Overrides,
    /// Present on body tubes and inner tubes that are motor mounts.
    pub motor_mount: Option<super::MotorMount>,
    /// Type and type-specific fields; serialises as `type` plus those fields.
    #[serde(flatten)]
    pub geometry: Geometry,
}

impl Component {
    pub fn kind(&self) -> ComponentKind {
        self.geometry.kind()
    }

    /// Display name: the component's own, else its type.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.kind().tag())
    }
}

/// Where a component's id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdSource {
    /// An `<id>` element in the file.
    File,
    /// Derived from the tree path; stable across runs for the same file.
    Path,
}

/// OpenRocket's `AxialMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AxialMethod {
    /// From the nose tip.
    Absolute,
    /// Top of component from top of parent.
    Top,
    /// Middle from middle of parent.
    Middle,
    /// Bottom from bottom of parent.
    Bottom,
    /// Stacked behind the previous sibling (plus the offset).
    After,
}

impl AxialMethod {
    /// Parses the method names OpenRocket writes (any case).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "absolute" => Self::Absolute,
            "top" => Self::Top,
            "middle" => Self::Middle,
            "bottom" => Self::Bottom,
            "after" => Self::After,
            _ => return None,
        })
    }
}

/// Where an axial position was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AxialSource {
    /// `<axialoffset method=…>` (1.8+).
    AxialOffset,
    /// Legacy `<position type=…>` (before 1.8).
    Position,
    /// No element: `after`, offset 0.
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AxialPosition {
    pub method: AxialMethod,
    pub offset_m: f64,
    pub source: AxialSource,
}

impl Default for AxialPosition {
    fn default() -> Self {
        Self {
            method: AxialMethod::After,
            offset_m: 0.0,
            source: AxialSource::Default,
        }
    }
}

/// A radial or angular offset with OpenRocket's method name (`surface`, `relative`, `coaxial`,
/// `free`, `fixed`, `mirror_xy`, …). `value` is metres for radius offsets and degrees for angles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offset {
    pub method: String,
    pub value: f64,
}

/// A value that may be automatic: `auto`, `auto 0.0125` (auto with a cached value) or a number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoValue {
    pub auto: bool,
    /// The number: the fixed value, or the cached one of an auto value when the file has it.
    pub value: Option<f64>,
}

impl AutoValue {
    pub fn fixed(v: f64) -> Self {
        Self {
            auto: false,
            value: Some(v),
        }
    }
}

/// Material kinds: density is kg/m³ (bulk), kg/m² (surface) or kg/m (line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaterialType {
    Bulk,
    Surface,
    Line,
}

impl MaterialType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "bulk" => Self::Bulk,
            "surface" => Self::Surface,
            "line" => Self::Line,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: MaterialType,
    pub density: f64,
    /// The `group` attribute of newer files (`PaperProducts`, `Woods`, …).
    pub group: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Appearance {
    pub paint: Option<Rgba>,
    pub shine: Option<f64>,
    /// Image name of a decal, as stored (`decals/x.png`).
    pub decal: Option<String>,
}

/// Mass, CG and CD overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    pub mass_kg: Option<f64>,
    pub cg_m: Option<f64>,
    pub cd: Option<f64>,
    /// The mass override covers the children too.
    pub subcomponents_mass: bool,
    pub subcomponents_cg: bool,
    pub subcomponents_cd: bool,
}

/// Component types, by OpenRocket element name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComponentKind {
    Stage,
    NoseCone,
    Transition,
    BodyTube,
    TrapezoidFinSet,
    EllipticalFinSet,
    FreeformFinSet,
    TubeFinSet,
    LaunchLug,
    RailButton,
    InnerTube,
    TubeCoupler,
    CenteringRing,
    Bulkhead,
    EngineBlock,
    MassComponent,
    ShockCord,
    Parachute,
    Streamer,
    PodSet,
    ParallelStage,
}

impl ComponentKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ComponentKind; 21] = [
        Self::Stage,
        Self::NoseCone,
        Self::Transition,
        Self::BodyTube,
        Self::TrapezoidFinSet,
        Self::EllipticalFinSet,
        Self::FreeformFinSet,
        Self::TubeFinSet,
        Self::LaunchLug,
        Self::RailButton,
        Self::InnerTube,
        Self::TubeCoupler,
        Self::CenteringRing,
        Self::Bulkhead,
        Self::EngineBlock,
        Self::MassComponent,
        Self::ShockCord,
        Self::Parachute,
        Self::Streamer,
        Self::PodSet,
        Self::ParallelStage,
    ];

    /// The element name OpenRocket writes (`boosterset` reads as `parallelstage`).
    pub fn tag(self) -> &'static str {
        match self {
            Self::Stage => "stage",
            Self::NoseCone => "nosecone",
            Self::Transition => "transition",
            Self::BodyTube => "bodytube",
            Self::TrapezoidFinSet => "trapezoidfinset",
            Self::EllipticalFinSet => "ellipticalfinset",
            Self::FreeformFinSet => "freeformfinset",
            Self::TubeFinSet => "tubefinset",
            Self::LaunchLug => "launchlug",
            Self::RailButton => "railbutton",
            Self::InnerTube => "innertube",
            Self::TubeCoupler => "tubecoupler",
            Self::CenteringRing => "centeringring",
            Self::Bulkhead => "bulkhead",
            Self::EngineBlock => "engineblock",
            Self::MassComponent => "masscomponent",
            Self::ShockCord => "shockcord",
            Self::Parachute => "parachute",
            Self::Streamer => "streamer",
            Self::PodSet => "podset",
            Self::ParallelStage => "parallelstage",
        }
    }

    /// Maps an element name to a kind; `None` for anything that is not a component.
    pub fn from_tag(tag: &str) -> Option<Self> {
        if tag == "boosterset" {
            return Some(Self::ParallelStage);
        }
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }

    /// The CamelCase label used in the graph (`NoseCone`, `TrapezoidFinSet`, …).
    pub fn label(self) -> &'static str {
        match self {
            Self::Stage => "Stage",
            Self::NoseCone => "NoseCone",
            Self::Transition => "Transition",
            Self::BodyTube => "BodyTube",
            Self::TrapezoidFinSet => "TrapezoidFinSet",
            Self::EllipticalFinSet => "EllipticalFinSet",
            Self::FreeformFinSet => "FreeformFinSet",
            Self::TubeFinSet => "TubeFinSet",
            Self::LaunchLug => "LaunchLug",
            Self::RailButton => "RailButton",
            Self::InnerTube => "InnerTube",
            Self::TubeCoupler => "TubeCoupler",
            Self::CenteringRing => "CenteringRing",
            Self::Bulkhead => "Bulkhead",
            Self::EngineBlock => "EngineBlock",
            Self::MassComponent => "MassComponent",
            Self::ShockCord => "ShockCord",
            Self::Parachute => "Parachute",
            Self::Streamer => "Streamer",
            Self::PodSet => "PodSet",
            Self::ParallelStage => "ParallelStage",
        }
    }
}

/// Per-type fields. Serialised with the `type` tag flattened into the component object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Geometry {
    Stage(StageGeometry),
    NoseCone(TransitionGeometry),
    Transition(TransitionGeometry),
    BodyTube(BodyTubeGeometry),
    TrapezoidFinSet(TrapezoidFinGeometry),
    EllipticalFinSet(EllipticalFinGeometry),
    FreeformFinSet(FreeformFinGeometry),
    TubeFinSet(TubeFinGeometry),
    LaunchLug(LaunchLugGeometry),
    RailButton(RailButtonGeometry),
    InnerTube(InnerTubeGeometry),
    TubeCoupler(RingGeometry),
    CenteringRing(RingGeometry),
    Bulkhead(RingGeometry),
    EngineBlock(RingGeometry),
    MassComponent(MassComponentGeometry),
    ShockCord(ShockCordGeometry),
    Parachute(ParachuteGeometry),
    Streamer(StreamerGeometry),
    PodSet(PodSetGeometry),
    ParallelStage(StageGeometry),
}

impl Geometry {
    pub fn kind(&self) -> ComponentKind {
        use ComponentKind as K;
        match self {
            Self::Stage(_) => K::Stage,
            Self::NoseCone(_) => K::NoseCone,
            Self::Transition(_) => K::Transition,
            Self::BodyTube(_) => K::BodyTube,
            Self::TrapezoidFinSet(_) => K::TrapezoidFinSet,
            Self::EllipticalFinSet(_) => K::EllipticalFinSet,
            Self::FreeformFinSet(_) => K::FreeformFinSet,
            Self::TubeFinSet(_) => K::TubeFinSet,
            Self::LaunchLug(_) => K::LaunchLug,
            Self::RailButton(_) => K::RailButton,
            Self::InnerTube(_) => K::InnerTube,
            Self::TubeCoupler(_) => K::TubeCoupler,
            Self::CenteringRing(_) => K::CenteringRing,
            Self::Bulkhead(_) => K::Bulkhead,
            Self::EngineBlock(_) => K::EngineBlock,
            Self::MassComponent(_) => K::MassComponent,
            Self::ShockCord(_) => K::ShockCord,
            Self::Parachute(_) => K::Parachute,
            Self::Streamer(_) => K::Streamer,
            Self::PodSet(_) => K::PodSet,
            Self::ParallelStage(_) => K::ParallelStage,
        }
    }
}

/// Stage separation (`<separationevent>` …) of a stage or parallel stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Separation {
    pub event: Option<String>,
    pub delay_s: Option<f64>,
    /// Older files write a separation altitude too.
    pub altitude_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeparationConfig {
    pub config_id: String,
    #[serde(flatten)]
    pub separation: Separation,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageGeometry {
    /// Default separation settings.
    pub separation: Separation,
    /// Per motor configuration overrides.
    pub separation_configs: Vec<SeparationConfig>,
    /// Read from the legacy `<boosterset>` element.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub legacy_boosterset: bool,
}

/// Transition shapes (`<shape>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    Conical,
    Ogive,
    Ellipsoid,
    Power,
    Parabolic,
    Haack,
}

impl Shape {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "conical" => Self::Conical,
            "ogive" => Self::Ogive,
            "ellipsoid" => Self::Ellipsoid,
            "power" => Self::Power,
            "parabolic" => Self::Parabolic,
            "haack" => Self::Haack,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shoulder {
    pub radius_m: Option<AutoValue>,
    pub length_m: Option<f64>,
    pub thickness_m: Option<f64>,
    pub capped: Option<bool>,
}

/// Nose cones and transitions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransitionGeometry {
    pub length_m: Option<f64>,
    /// Wall thickness; `None` with `filled` for solid parts.
    pub thickness_m: Option<f64>,
    pub filled: bool,
    pub shape: Option<Shape>,
    pub shape_clipped: Option<bool>,
    pub shape_parameter: Option<f64>,
    /// Fore radius (transitions; nose cones ignore it).
    pub fore_radius_m: Option<AutoValue>,
    pub aft_radius_m: Option<AutoValue>,
    pub fore_shoulder: Option<Shoulder>,
    pub aft_shoulder: Option<Shoulder>,
    /// Nose cones only (1.8+): pointing aft.
    pub flipped: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BodyTubeGeometry {
    pub length_m: Option<f64>,
    pub thickness_m: Option<f64>,
    pub filled: bool,
    /// Outer radius.
    pub radius_m: Option<AutoValue>,
}

/// What every fin set has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FinCommon {
    pub thickness_m: Option<f64>,
    /// `square`, `rounded` or `airfoil`.
    pub cross_section: Option<String>,
    pub cant_deg: Option<f64>,
    pub tab_height_m: Option<f64>,
    pub tab_length_m: Option<f64>,
    /// Tab position and what it is relative to (`front`, `center`, `end`).
    pub tab_position_m: Option<f64>,
    pub tab_relative_to: Option<String>,
    pub fillet_radius_m: Option<f64>,
    pub fillet_material: Option<Material>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrapezoidFinGeometry {
    #[serde(flatten)]
    pub fins: FinCommon,
    pub root_chord_m: Option<f64>,
    pub tip_chord_m: Option<f64>,
    pub sweep_m: Option<f64>,
    pub height_m: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EllipticalFinGeometry {
    #[serde(flatten)]
    pub fins: FinCommon,
    pub root_chord_m: Option<f64>,
    pub height_m: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FreeformFinGeometry {
    #[serde(flatten)]
    pub fins: FinCommon,
    /// Outline points `[x, y]`: x along the root from its leading edge, y spanwise, metres.
    pub points_m: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TubeFinGeometry {
    pub length_m: Option<f64>,
    pub thickness_m: Option<f64>,
    pub outer_radius_m: Option<AutoValue>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchLugGeometry {
    pub outer_radius_m: Option<f64>,
    pub length_m: Option<f64>,
    pub thickness_m: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RailButtonGeometry {
    pub outer_diameter_m: Option<f64>,
    pub inner_diameter_m: Option<f64>,
    pub height_m: Option<f64>,
    pub base_height_m: Option<f64>,
    pub flange_height_m: Option<f64>,
    pub screw_height_m: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InnerTubeGeometry {
    pub length_m: Option<f64>,
    pub outer_radius_m: Option<f64>,
    pub thickness_m: Option<f64>,
    /// `single`, `double`, `triple-line`, … (OpenRocket's cluster names).
    pub cluster_configuration: Option<String>,
    pub cluster_scale: Option<f64>,
    pub cluster_rotation_deg: Option<f64>,
}

/// Tube couplers, centering rings, bulkheads and engine blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RingGeometry {
    pub length_m: Option<f64>,
    pub outer_radius_m: Option<AutoValue>,
    /// Centering rings.
    pub inner_radius_m: Option<AutoValue>,
    /// Tube couplers and engine blocks.
    pub thickness_m: Option<f64>,
}

/// What mass components, shock cords, parachutes and streamers share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackedGeometry {
    pub packed_length_m: Option<f64>,
    pub packed_radius_m: Option<AutoValue>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MassComponentGeometry {
    #[serde(flatten)]
    pub packed: PackedGeometry,
    pub mass_kg: Option<f64>,
    /// `masscomponent`, `altimeter`, `flightcomputer`, `payload`, …
    pub mass_component_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShockCordGeometry {
    #[serde(flatten)]
    pub packed: PackedGeometry,
    pub cord_length_m: Option<f64>,
}

/// Recovery deployment settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub event: Option<String>,
    pub altitude_m: Option<f64>,
    pub delay_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    pub config_id: String,
    #[serde(flatten)]
    pub deployment: Deployment,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParachuteGeometry {
    #[serde(flatten)]
    pub packed: PackedGeometry,
    pub diameter_m: Option<f64>,
    pub cd: Option<AutoValue>,
    pub line_count: Option<u32>,
    pub line_length_m: Option<f64>,
    pub line_material: Option<Material>,
    pub deployment: Deployment,
    pub deployment_configs: Vec<DeploymentConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamerGeometry {
    #[serde(flatten)]
    pub packed: PackedGeometry,
    pub strip_length_m: Option<f64>,
    pub strip_width_m: Option<f64>,
    pub cd: Option<AutoValue>,
    pub deployment: Deployment,
    pub deployment_configs: Vec<DeploymentConfig>,
}

/// Pods carry only the common fields (instances, radius and angle offsets).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodSetGeometry {}
