//! The rocket design model: plain data, no I/O.
//!
//! A [`Design`] is what the reader in [`crate::ork`] makes of one `.ork` file. Its JSON form
//! (serde) is the stable contract that `ork inspect --json`, the graph loader and the frontend
//! read, so field names only ever get added, never renamed:
//!
//! * lengths are metres and carry an `_m` suffix, masses `_kg`, densities as written
//!   (kg/m³, kg/m² or kg/m, by material type), angles `_deg`, times `_s`;
//! * components are a flat list in file (pre-)order; each names its `parent` and `children`
//!   by index into that list, so the tree and the file order are both explicit;
//! * each component object carries `type`, the OpenRocket element name (`nosecone`,
//!   `trapezoidfinset`, …; the legacy `boosterset` reads as `parallelstage`).

mod component;
mod motor;
mod series;
mod simulation;

pub use component::*;
pub use motor::*;
pub use series::*;
pub use simulation::*;

use serde::{Deserialize, Serialize};

/// One parsed `.ork` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// The `version` attribute of `<openrocket>`, e.g. `1.9`.
    pub format_version: String,
    /// The `creator` attribute of `<openrocket>`, e.g. `OpenRocket 23.09`.
    pub creator: Option<String>,
    /// How the bytes were packed.
    pub container: ContainerInfo,
    /// Rocket-level data.
    pub rocket: Rocket,
    /// Every component, in file order (depth-first, pre-order).
    pub components: Vec<Component>,
    /// Simulations stored in the file, in file order.
    pub simulations: Vec<Simulation>,
}

/// The container the XML came in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerInfo {
    /// `zip`, `gzip` or `xml`.
    pub kind: ContainerKind,
    /// Size of the input as given, in bytes.
    pub compressed_bytes: u64,
    /// Size of the XML document after inflating, in bytes.
    pub xml_bytes: u64,
    /// For zip: the name of the entry that held the design.
    pub design_entry: Option<String>,
    /// For zip: every other entry (decals, `preview.png`, …), in archive order.
    pub other_entries: Vec<ArchiveEntry>,
}

/// Container kinds, as sniffed from the magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerKind {
    Zip,
    Gzip,
    Xml,
}

/// A zip entry that is not the design itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveEntry {
    pub name: String,
    /// Uncompressed size as the central directory states it.
    pub size: u64,
}

/// Rocket-level data: the `<rocket>` element less its component tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rocket {
    pub name: Option<String>,
    pub id: Option<String>,
    pub comment: Option<String>,
    pub designer: Option<String>,
    pub revision: Option<String>,
    /// `<referencetype>`: `maximum`, `nosecone` or `custom`.
    pub reference_type: Option<String>,
    /// `<customreference>`, metres, when the reference type is custom.
    pub custom_reference_m: Option<f64>,
    pub motor_configurations: Vec<MotorConfiguration>,
}

impl Design {
    /// Components of one type, in file order.
    pub fn components_of(&self, kind: ComponentKind) -> impl Iterator<Item = &Component> {
        self.components.iter().filter(move |c| c.kind() == kind)
    }

    /// The top-level stages, in order.
    pub fn stages(&self) -> impl Iterator<Item = &Component> {
        self.components.iter().filter(|c| c.parent.is_none())
    }

    /// The children of a component, in file order.
    pub fn children<'a>(&'a self, c: &'a Component) -> impl Iterator<Item = &'a Component> + 'a {
        c.children.iter().map(move |&i| &self.components[i])
    }

    /// The simulation the design's flight chart shows: the first simulation with a flight
    /// series that flies the default motor configuration, or else the first with a series.
    pub fn primary_simulation(&self) -> Option<usize> {
        let default = self
            .rocket
            .motor_configurations
            .iter()
            .find(|c| c.default)
            .map(|c| c.id.as_str());
        let with_data = || {
            self.simulations
                .iter()
                .enumerate()
                .filter(|(_, s)| s.series.is_some())
        };
        with_data()
            .find(|(_, s)| default.is_some() && s.conditions.config_id.as_deref() == default)
            .or_else(|| with_data().next())
            .map(|(i, _)| i)
    }

    /// Number of components per type, for every type that occurs.
    pub fn component_counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let mut m = std::collections::BTreeMap::new();
        for c in &self.components {
            *m.entry(c.kind().tag()).or_insert(0) += 1;
        }
        m
    }
}
