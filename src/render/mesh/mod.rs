//! A 3D mesh of the outside of a design, beside the profile drawing, and its binary glTF.
//!
//! # What is built
//!
//! From the same resolved geometry the profile drawing draws ([`crate::geometry::resolve`]):
//!
//! * nose cones and transitions of every shape OpenRocket writes (conical, ogive, ellipsoid,
//!   power, parabolic, Haack, clipped or not) as surfaces of revolution of their exact
//!   outline ([`crate::geometry::shape`]), sampled so that the outline stays within
//!   [`MeshConfig::tolerance_m`] (0.1 mm) of the exact shape; body tubes as cylinders; every
//!   body closed at its ends; shoulders that show outside the airframe;
//! * fin sets (trapezoidal, elliptical, freeform) with their thickness, cross-section
//!   (square, rounded, airfoil), cant and count, standing on the body surface; tube fins as
//!   tubes;
//! * launch lugs (tubes) and rail buttons (stem and flange);
//! * everything inside pods and parallel stages at each instance's radial position and angle
//!   (the parts' instance axes, at most 64 per part as in the drawing);
//! * inner components (inner tubes, couplers, rings, bulkheads, engine blocks, recovery and
//!   mass items) are left out.
//!
//! Conventions: metres; the rocket stands nose up along +Y, its aft-most point at y = 0, its
//! axis on the Y axis. OpenRocket's x (aft of the nose tip) becomes `Y = x_aft − x`, its
//! radial y and z become X and Z (a rotation, so handedness and windings are kept): seen
//! along −Z, the model is the profile drawing turned nose up. Circles have a multiple of 4
//! segments with vertices at ±X and ±Z, so side silhouettes and the largest radius are exact.
//! Curved surfaces carry smooth normals, flat faces (fin sides, end caps) flat ones.
//!
//! One node per meshed component (named after it, its type and id in `extras`) in the
//! component tree under a root node named after the design; one material per colour: the
//! component's appearance colour, else a neutral colour per kind (`material.rs`).
//!
//! The triangle budget ([`MeshConfig::max_triangles`], 60 000) is met by coarsening: first
//! the segments around circles, then the outline tolerance, in fixed steps, so the same
//! design always gives the same mesh and the same bytes ([`glb`]).
//!
//! Files: `revolve.rs` (adaptive outlines, surfaces of revolution), `body.rs` (bodies, their
//! exact outlines, the body surface under fins), `fins.rs`, `parts.rs` (lugs, buttons, the
//! walk over the parts), `triangulate.rs` (ear clipping), `material.rs`, `glb.rs` (the
//! writer), `buffer.rs` (vertex lists).

mod body;
mod buffer;
mod fins;
mod glb;
mod material;
mod parts;
mod revolve;
mod triangulate;

use crate::geometry::Resolved;
use crate::model::Design;

/// How fine, and how big at most.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshConfig {
    /// Largest distance between a sampled outline (and, within the budget, a circle's
    /// chords) and the exact shape, metres (1e-6 ..= 0.01).
    pub tolerance_m: f64,
    /// Most triangles of one design (100 ..= 10 000 000).
    pub max_triangles: usize,
    /// Most segments around one circle (8 ..= 1024).
    pub max_segments: usize,
}

impl Default for MeshConfig {
    fn default() -> Self {
        MeshConfig {
            tolerance_m: 1e-4,
            max_triangles: 60_000,
            max_segments: 256,
        }
    }
}

impl MeshConfig {
    fn validate(&self) -> Result<(), MeshError> {
        if !(self.tolerance_m.is_finite() && (1e-6..=0.01).contains(&self.tolerance_m)) {
            return Err(MeshError::Config(format!(
                "tolerance_m = {} (must be 1e-6 ..= 0.01)",
                self.tolerance_m
            )));
        }
        if !(100..=10_000_000).contains(&self.max_triangles) {
            return Err(MeshError::Config(format!(
                "max_triangles = {} (must be 100 ..= 10000000)",
                self.max_triangles
            )));
        }
        if !(8..=1024).contains(&self.max_segments) {
            return Err(MeshError::Config(format!(
                "max_segments = {} (must be 8 ..= 1024)",
                self.max_segments
            )));
        }
        Ok(())
    }
}

/// Why no mesh was produced. Never a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeshError {
    #[error("invalid mesh config: {0}")]
    Config(String),
    /// No outer part has finite, meshable geometry.
    #[error("nothing to mesh: the design has no outer geometry")]
    Empty,
    /// Even the coarsest mesh is over the budget (thousands of instances).
    #[error("the mesh has over {limit} triangles even at its coarsest ({triangles} counted)")]
    TooManyTriangles { triangles: usize, limit: usize },
    /// The GLB would not fit the format's 32-bit lengths.
    #[error("the GLB would be {bytes} bytes, over the format's 4 GiB")]
    TooLarge { bytes: u64 },
    #[error("cannot encode the glTF JSON: {0}")]
    Encode(String),
}

impl MeshError {
    /// A stable, machine-readable name for the error (logs, metrics).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Config(_) => "invalid_config",
            Self::Empty => "nothing_to_mesh",
            Self::TooManyTriangles { .. } => "too_many_triangles",
            Self::TooLarge { .. } => "too_large",
            Self::Encode(_) => "encode_failed",
        }
    }
}

/// A design's mesh: the node tree, each meshed node with one primitive.
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    /// The design's name (the scene's).
    pub name: String,
    /// Node 0 is the root (named after the design); the others follow the component tree.
    pub nodes: Vec<MeshNode>,
    pub materials: Vec<MeshMaterial>,
}

/// One node: a component (or the design, for the root).
#[derive(Debug, Clone, PartialEq)]
pub struct MeshNode {
    pub name: String,
    /// The component's type tag (`bodytube`, …); `None` for the root.
    pub kind: Option<&'static str>,
    /// The component's id; `None` for the root.
    pub id: Option<String>,
    /// Indices into [`Mesh::nodes`].
    pub children: Vec<usize>,
    pub primitive: Option<Primitive>,
}

/// Triangles (counter-clockwise seen from outside) in glTF's frame, metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Primitive {
    pub positions: Vec<[f32; 3]>,
    /// Unit length.
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
    /// Index into [`Mesh::materials`].
    pub material: usize,
}

/// A PBR metallic-roughness material; `base_color` is linear RGBA.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshMaterial {
    pub name: String,
    pub base_color: [f32; 4],
    pub metallic: f32,
    pub roughness: f32,
}

impl Mesh {
    /// Triangles of every primitive.
    pub fn triangles(&self) -> usize {
        self.primitives().map(|p| p.indices.len() / 3).sum()
    }

    /// Every primitive, in node order.
    pub fn primitives(&self) -> impl Iterator<Item = &Primitive> {
        self.nodes.iter().filter_map(|n| n.primitive.as_ref())
    }

    /// Smallest and largest corner of every position, `None` without any.
    pub fn bounds(&self) -> Option<[[f32; 3]; 2]> {
        let mut b: Option<[[f32; 3]; 2]> = None;
        for p in self.primitives().flat_map(|p| &p.positions) {
            let [lo, hi] = b.get_or_insert([*p, *p]);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        b
    }
}

/// Parts with a coordinate beyond this (or not finite) are left out: 1000 km is no rocket,
/// and f32 positions must stay finite.
const MAX_COORD_M: f64 = 1e6;

/// Coarsening steps tried at most before giving up on the budget.
const LEVELS: u32 = 14;

/// The fineness of coarsening step `level`: circles coarsen first (they never change the
/// side silhouette), outlines after four steps.
fn fineness(config: &MeshConfig, level: u32) -> body::Fineness {
    let pow = |e: u32| f64::from(1u32 << e.min(30));
    body::Fineness {
        round_m: config.tolerance_m * pow(level),
        outline_m: config.tolerance_m * pow(level.saturating_sub(4)),
        min_segments: match level {
            0..=1 => 32,
            2..=3 => 16,
            _ => 8,
        },
        max_segments: config.max_segments,
        airfoil_points: match level {
            0..=1 => 12,
            2..=3 => 8,
            _ => 5,
        },
        max_triangles: config.max_triangles,
    }
}

/// Builds the mesh of the outside of a resolved design.
pub fn build(design: &Design, resolved: &Resolved, config: &MeshConfig) -> Result<Mesh, MeshError> {
    config.validate()?;
    let bodies = body::Bodies::new(design, resolved);
    let mut fewest = usize::MAX;
    for level in 0..=LEVELS {
        let f = fineness(config, level);
        let mut parts = Vec::new();
        let mut triangles = 0usize;
        for part in &resolved.parts {
            if let Some((buf, role)) = parts::part_mesh(design, part, &bodies, &f) {
                if buf
                    .pos
                    .iter()
                    .all(|p| p.iter().all(|v| v.abs() <= MAX_COORD_M))
                {
                    triangles += buf.triangles();
                    parts.push((part.index, buf, role));
                }
            }
            // Over the budget: no need to build the rest of this attempt.
            if triangles > config.max_triangles {
                break;
            }
        }
        if triangles == 0 {
            return Err(MeshError::Empty);
        }
        if triangles <= config.max_triangles {
            return Ok(assemble(design, parts));
        }
        fewest = fewest.min(triangles);
    }
    Err(MeshError::TooManyTriangles {
        triangles: fewest,
        limit: config.max_triangles,
    })
}

/// The mesh written as one binary glTF 2.0 file: the same bytes for the same mesh; JSON and
/// BIN chunks 4-byte aligned (JSON padded with spaces, BIN with zeros); per primitive a
/// POSITION (with min / max), a NORMAL and an index accessor (`u16` when it can, else `u32`),
/// each in its own buffer view; only materials a primitive uses.
pub fn glb(mesh: &Mesh) -> Result<Vec<u8>, MeshError> {
    glb::write(mesh)
}

/// [`build`] then [`glb`].
pub fn to_glb(
    design: &Design,
    resolved: &Resolved,
    config: &MeshConfig,
) -> Result<Vec<u8>, MeshError> {
    glb(&build(design, resolved, config)?)
}

/// A name as people read it: control characters as spaces, runs of white space as one,
/// at most 200 characters; `fallback` when nothing is left.
fn clean(name: &str, fallback: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

/// Turns the parts' buffers (OpenRocket's frame) into the node tree in glTF's frame.
fn assemble(design: &Design, parts: Vec<(usize, buffer::Buffer, parts::Role)>) -> Mesh {
    let x_aft = parts
        .iter()
        .flat_map(|(_, b, _)| b.pos.iter().map(|p| p[0]))
        .fold(f64::NEG_INFINITY, f64::max);
    let x_aft = if x_aft.is_finite() { x_aft } else { 0.0 };
    let n = design.components.len();
    let mut bufs: Vec<Option<(buffer::Buffer, parts::Role)>> = (0..n).map(|_| None).collect();
    for (i, b, role) in parts {
        if let Some(slot) = bufs.get_mut(i) {
            *slot = Some((b, role));
        }
    }
    // A component is a node when it has triangles or a descendant has (parents come first).
    let mut include: Vec<bool> = bufs.iter().map(Option::is_some).collect();
    for c in design.components.iter().rev() {
        if include.get(c.index).copied().unwrap_or(false) {
            if let Some(p) = c.parent.filter(|&p| p < c.index) {
                include[p] = true;
            }
        }
    }
    let mut node_of = vec![usize::MAX; n];
    let mut next = 1;
    for i in 0..n {
        if include[i] {
            node_of[i] = next;
            next += 1;
        }
    }
    let name = clean(
        design.rocket.name.as_deref().unwrap_or(""),
        "Unnamed design",
    );
    let mut nodes = Vec::with_capacity(next);
    let kids = |list: &mut dyn Iterator<Item = usize>| -> Vec<usize> {
        list.filter(|&i| i < n && include[i])
            .map(|i| node_of[i])
            .collect()
    };
    nodes.push(MeshNode {
        name: name.clone(),
        kind: None,
        id: None,
        children: kids(
            &mut design
                .components
                .iter()
                .filter(|c| c.parent.is_none())
                .map(|c| c.index),
        ),
        primitive: None,
    });
    let mut materials: Vec<MeshMaterial> = Vec::new();
    for (i, slot) in bufs.into_iter().enumerate() {
        if !include[i] {
            continue;
        }
        let c = &design.components[i];
        let primitive = slot.map(|(b, role)| {
            let m = material::material(Some(c), role);
            let material = match materials.iter().position(|x| *x == m) {
                Some(k) => k,
                None => {
                    materials.push(m);
                    materials.len() - 1
                }
            };
            Primitive {
                positions: b
                    .pos
                    .iter()
                    .map(|p| [p[1] as f32, (x_aft - p[0]) as f32, p[2] as f32])
                    .collect(),
                normals: b
                    .nrm
                    .iter()
                    .map(|v| [v[1] as f32, -v[0] as f32, v[2] as f32])
                    .collect(),
                indices: b.idx,
                material,
            }
        });
        nodes.push(MeshNode {
            name: clean(c.display_name(), c.kind().tag()),
            kind: Some(c.kind().tag()),
            id: Some(c.id.clone()),
            children: kids(&mut c.children.iter().copied().filter(|&ch| ch > i)),
            primitive,
        });
    }
    Mesh {
        name,
        nodes,
        materials,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Option<Design> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(name);
        crate::ork::parse_file(&path, &crate::ork::ParseOptions::default())
            .ok()
            .map(|p| p.design)
    }

    #[test]
    fn configs_are_checked() {
        // (config, valid)
        let d = MeshConfig::default();
        for (c, ok) in [
            (d.clone(), true),
            (
                MeshConfig {
                    tolerance_m: f64::NAN,
                    ..d.clone()
                },
                false,
            ),
            (
                MeshConfig {
                    tolerance_m: 0.0,
                    ..d.clone()
                },
                false,
            ),
            (
                MeshConfig {
                    max_triangles: 10,
                    ..d.clone()
                },
                false,
            ),
            (
                MeshConfig {
                    max_segments: 4,
                    ..d.clone()
                },
                false,
            ),
        ] {
            assert_eq!(c.validate().is_ok(), ok, "{c:?}");
        }
        assert_eq!(MeshError::Config(String::new()).code(), "invalid_config");
    }

    #[test]
    fn names_are_cleaned() {
        // (name, expected)
        for (n, want) in [
            ("", "fallback"),
            ("  A\tB\n C ", "A B C"),
            ("\u{0}", "fallback"),
        ] {
            assert_eq!(clean(n, "fallback"), want);
        }
        assert_eq!(clean(&"x".repeat(500), "f").len(), 200);
    }

    /// The budget is met by coarsening, deterministically.
    #[test]
    fn budgets_coarsen_the_mesh() {
        let Some(design) = sample("all-components.ork") else {
            return;
        };
        let resolved = crate::geometry::resolve(&design).expect("resolve");
        let full = build(&design, &resolved, &MeshConfig::default()).expect("mesh");
        let t = full.triangles();
        assert!(t > 500 && t <= 60_000, "{t}");
        let small = MeshConfig {
            max_triangles: t / 3,
            ..MeshConfig::default()
        };
        let coarse = build(&design, &resolved, &small).expect("coarse mesh");
        assert!(coarse.triangles() <= t / 3);
        assert_eq!(coarse, build(&design, &resolved, &small).expect("again"));
        let tiny = MeshConfig {
            max_triangles: 100,
            ..MeshConfig::default()
        };
        let e = build(&design, &resolved, &tiny).expect_err("over budget");
        assert_eq!(e.code(), "too_many_triangles");
    }

    /// Every meshed primitive of the test designs: outward windings, unit normals.
    #[test]
    fn test_designs_mesh_cleanly() {
        for name in ["all-components.ork", "minimal.ork", "boosterset-legacy.ork"] {
            let Some(design) = sample(name) else { continue };
            let resolved = crate::geometry::resolve(&design).expect("resolve");
            let bodies = body::Bodies::new(&design, &resolved);
            let f = fineness(&MeshConfig::default(), 0);
            for part in &resolved.parts {
                if let Some((buf, _)) = parts::part_mesh(&design, part, &bodies, &f) {
                    buffer::tests::check(&buf)
                        .unwrap_or_else(|e| panic!("{name}: part {}: {e}", part.index));
                }
            }
        }
    }
}
