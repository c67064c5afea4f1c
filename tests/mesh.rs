//! The 3D mesh and its GLB, over every test design and every corpus design: the bytes are
//! read back by a small GLB reader written here (header, chunks, accessors), independent of
//! the writer, and checked the way the Khronos validator and the geometry checks will:
//! alignment and padding, accessor bounds, unit normals, indices in range, nothing unused;
//! the same bytes on every run; at most 60 000 triangles and 1.5 MB; the height equals the
//! outer parts' extent (the design's length unless lugs or buttons reach beyond it), the
//! largest body radius half the maximum diameter, the fin span fin height + body radius,
//! within 0.5 mm.
//!
//! Set `MESH_DUMP_DIR=/some/dir` to also write every design's GLB there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use ork_processor::geometry::{self, PartShape, Resolved};
use ork_processor::model::Design;
use ork_processor::ork::{parse, ParseOptions};
use ork_processor::render::mesh::{self, MeshConfig};
use ork_processor::render::{self, Background, RenderConfig};

/// 0.5 mm.
const TOL: f64 = 5e-4;
const MAX_TRIANGLES: usize = 60_000;
const MAX_BYTES: usize = 1_500_000;
/// Side silhouette against the profile drawing's, intersection over union.
const MIN_OVERLAP: f64 = 0.9;

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| format!("no u32 at {at}"))
}

/// One accessor's data.
enum Data {
    Vec3(Vec<[f32; 3]>),
    Index(Vec<u32>),
}

/// A GLB file read back.
struct Glb {
    json: Value,
    bin: Vec<u8>,
}

impl Glb {
    fn read(b: &[u8]) -> Result<Glb, String> {
        if b.len() < 20 {
            return Err("shorter than a header and a chunk header".into());
        }
        if u32_at(b, 0)? != 0x4654_6C67 {
            return Err("bad magic".into());
        }
        if u32_at(b, 4)? != 2 {
            return Err("version is not 2".into());
        }
        if u32_at(b, 8)? as usize != b.len() {
            return Err("declared length differs from the file's".into());
        }
        let jl = u32_at(b, 12)? as usize;
        if u32_at(b, 16)? != 0x4E4F_534A {
            return Err("first chunk is not JSON".into());
        }
        if jl % 4 != 0 || jl == 0 {
            return Err(format!(
                "JSON chunk length {jl} not a positive multiple of 4"
            ));
        }
        let jbytes = b.get(20..20 + jl).ok_or("JSON chunk runs past the end")?;
        let text = std::str::from_utf8(jbytes).map_err(|e| e.to_string())?;
        let trimmed = text.trim_end_matches(' ');
        if jl - trimmed.len() > 3 {
            return Err("more than 3 bytes of JSON padding".into());
        }
        let json: Value = serde_json::from_str(trimmed).map_err(|e| e.to_string())?;
        let mut bin = Vec::new();
        let at = 20 + jl;
        if at < b.len() {
            let bl = u32_at(b, at)? as usize;
            if u32_at(b, at + 4)? != 0x004E_4942 {
                return Err("second chunk is not BIN".into());
            }
            if bl % 4 != 0 || bl == 0 {
                return Err(format!(
                    "BIN chunk length {bl} not a positive multiple of 4"
                ));
            }
            if at + 8 + bl != b.len() {
                return Err("bytes after the BIN chunk".into());
            }
            bin = b[at + 8..].to_vec();
        }
        Ok(Glb { json, bin })
    }

    fn array(&self, key: &str) -> Vec<Value> {
        self.json[key].as_array().cloned().unwrap_or_default()
    }

    /// Reads accessor `i` through its buffer view, checking alignment and bounds.
    fn accessor(&self, i: usize) -> Result<Data, String> {
        let a = &self.json["accessors"][i];
        let count = a["count"].as_u64().ok_or("no count")? as usize;
        let ctype = a["componentType"].as_u64().ok_or("no componentType")?;
        let vi = a["bufferView"].as_u64().ok_or("no bufferView")? as usize;
        let v = &self.json["bufferViews"][vi];
        let off = v["byteOffset"].as_u64().unwrap_or(0) as usize
            + a["byteOffset"].as_u64().unwrap_or(0) as usize;
        let len = v["byteLength"].as_u64().ok_or("no byteLength")? as usize;
        if off % 4 != 0 {
            return Err(format!("accessor {i} at offset {off}, not 4-aligned"));
        }
        if v.get("byteStride").is_some() {
            return Err("unexpected byteStride".into());
        }
        let size = match (a["type"].as_str(), ctype) {
            (Some("VEC3"), 5126) => 12,
            (Some("SCALAR"), 5123) => 2,
            (Some("SCALAR"), 5125) => 4,
            other => return Err(format!("unexpected accessor format {other:?}")),
        };
        if count * size > len {
            return Err(format!("accessor {i} longer than its view"));
        }
        let bytes = self
            .bin
            .get(off..off + count * size)
            .ok_or(format!("accessor {i} runs past the BIN chunk"))?;
        Ok(match size {
            12 => Data::Vec3(
                bytes
                    .chunks(12)
                    .map(|c| {
                        let f = |k: usize| f32::from_le_bytes([c[k], c[k + 1], c[k + 2], c[k + 3]]);
                        [f(0), f(4), f(8)]
                    })
                    .collect(),
            ),
            2 => Data::Index(
                bytes
                    .chunks(2)
                    .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
                    .collect(),
            ),
            _ => Data::Index(
                bytes
                    .chunks(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
        })
    }
}

/// What one GLB says, once checked.
struct Read {
    triangles: usize,
    /// Per node: (extras.id, positions of its primitive).
    nodes: Vec<(Option<String>, Vec<[f32; 3]>)>,
    /// Every triangle.
    tris: Vec<[[f32; 3]; 3]>,
    scene_name: Option<String>,
    /// Bounding box of every position.
    lo: [f64; 3],
    hi: [f64; 3],
}

/// Reads a GLB back and checks it as the validator would; the reasons it fails.
fn check_glb(bytes: &[u8]) -> Result<Read, String> {
    let g = Glb::read(bytes)?;
    if g.json["asset"]["version"] != "2.0" {
        return Err("asset.version is not 2.0".into());
    }
    let views = g.array("bufferViews");
    let accessors = g.array("accessors");
    let meshes = g.array("meshes");
    let materials = g.array("materials");
    let nodes = g.array("nodes");
    let buffers = g.array("buffers");
    if buffers.len() != 1 {
        return Err(format!("{} buffers", buffers.len()));
    }
    let blen = buffers[0]["byteLength"].as_u64().unwrap_or(0) as usize;
    if blen > g.bin.len() || g.bin.len() - blen > 3 {
        return Err(format!(
            "buffer byteLength {blen} vs BIN chunk {}",
            g.bin.len()
        ));
    }
    if g.bin[blen..].iter().any(|&b| b != 0) {
        return Err("BIN padding is not zeros".into());
    }
    for (i, v) in views.iter().enumerate() {
        let off = v["byteOffset"].as_u64().unwrap_or(0) as usize;
        let len = v["byteLength"].as_u64().unwrap_or(0) as usize;
        if off % 4 != 0 || len == 0 || off + len > blen {
            return Err(format!("buffer view {i}: offset {off}, length {len}"));
        }
    }
    let (mut used_views, mut used_acc, mut used_mat, mut used_mesh) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for a in &accessors {
        used_views.insert(a["bufferView"].as_u64().unwrap_or(u64::MAX) as usize);
    }
    for m in &materials {
        if m["pbrMetallicRoughness"].as_object().is_none() {
            return Err("a material without pbrMetallicRoughness".into());
        }
        let c = &m["pbrMetallicRoughness"]["baseColorFactor"];
        let ok = c.as_array().is_some_and(|v| {
            v.len() == 4
                && v.iter()
                    .all(|x| x.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)))
        });
        if !ok {
            return Err(format!("baseColorFactor {c}"));
        }
    }
    // Nodes reachable from the scene, each once.
    let scene = &g.json["scenes"][g.json["scene"].as_u64().ok_or("no scene")? as usize];
    let mut seen = BTreeSet::new();
    let mut stack: Vec<usize> = scene["nodes"]
        .as_array()
        .ok_or("scene without nodes")?
        .iter()
        .filter_map(|v| v.as_u64().map(|x| x as usize))
        .collect();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            return Err(format!("node {n} reached twice"));
        }
        let node = nodes.get(n).ok_or(format!("node {n} out of range"))?;
        if let Some(m) = node["mesh"].as_u64() {
            used_mesh.insert(m as usize);
        }
        stack.extend(
            node["children"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_u64().map(|x| x as usize)),
        );
    }
    if seen.len() != nodes.len() {
        return Err(format!(
            "{} of {} nodes in the scene",
            seen.len(),
            nodes.len()
        ));
    }
    if used_mesh.len() != meshes.len() {
        return Err("a mesh no node uses".into());
    }
    let mut triangles = 0;
    let mut tris = Vec::new();
    let mut positions_of_mesh: Vec<Vec<[f32; 3]>> = vec![Vec::new(); meshes.len()];
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for (mi, m) in meshes.iter().enumerate() {
        for p in m["primitives"].as_array().ok_or("no primitives")? {
            if p["mode"].as_u64().unwrap_or(4) != 4 {
                return Err("mode is not triangles".into());
            }
            if let Some(k) = p["material"].as_u64() {
                used_mat.insert(k as usize);
            }
            let pa = p["attributes"]["POSITION"].as_u64().ok_or("no POSITION")? as usize;
            let na = p["attributes"]["NORMAL"].as_u64().ok_or("no NORMAL")? as usize;
            let ia = p["indices"].as_u64().ok_or("no indices")? as usize;
            used_acc.extend([pa, na, ia]);
            let (Data::Vec3(pos), Data::Vec3(nrm), Data::Index(idx)) =
                (g.accessor(pa)?, g.accessor(na)?, g.accessor(ia)?)
            else {
                return Err("attribute formats".into());
            };
            if pos.len() != nrm.len() || pos.is_empty() {
                return Err("POSITION and NORMAL counts differ".into());
            }
            // min / max: the data's. (serde_json's default parser may be a unit in the last
            // place off, so the f32 they stand for is compared; the writer's own test checks
            // the text parses to exactly the f32's value.)
            let acc = &accessors[pa];
            for k in 0..3 {
                let dmin = pos.iter().map(|q| q[k]).fold(f32::INFINITY, f32::min);
                let dmax = pos.iter().map(|q| q[k]).fold(f32::NEG_INFINITY, f32::max);
                let (jmin, jmax) = (acc["min"][k].as_f64(), acc["max"][k].as_f64());
                if jmin.map(|v| v as f32) != Some(dmin) || jmax.map(|v| v as f32) != Some(dmax) {
                    return Err(format!(
                        "accessor {pa} bounds {jmin:?} {jmax:?} vs {dmin} {dmax}"
                    ));
                }
                lo[k] = lo[k].min(f64::from(dmin));
                hi[k] = hi[k].max(f64::from(dmax));
            }
            if pos.iter().flatten().any(|v| !v.is_finite()) {
                return Err("a non-finite position".into());
            }
            for n in &nrm {
                let l = (n.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>()).sqrt();
                if (l - 1.0).abs() > 1e-5 {
                    return Err(format!("normal of length {l}"));
                }
            }
            let ctype = accessors[ia]["componentType"].as_u64();
            if idx.len() % 3 != 0 || idx.is_empty() {
                return Err(format!("{} indices", idx.len()));
            }
            for &i in &idx {
                if i as usize >= pos.len() || (ctype == Some(5123) && i == 65_535) {
                    return Err(format!("index {i} of {} vertices", pos.len()));
                }
            }
            triangles += idx.len() / 3;
            tris.extend(
                idx.chunks(3)
                    .map(|t| [pos[t[0] as usize], pos[t[1] as usize], pos[t[2] as usize]]),
            );
            positions_of_mesh[mi].extend_from_slice(&pos);
        }
    }
    if used_acc.len() != accessors.len() {
        return Err("an accessor no primitive uses".into());
    }
    if used_views.len() != views.len() || used_views.iter().any(|&v| v >= views.len()) {
        return Err("a buffer view no accessor uses".into());
    }
    if used_mat.len() != materials.len() || used_mat.iter().any(|&m| m >= materials.len()) {
        return Err("a material no primitive uses".into());
    }
    let nodes_read = nodes
        .iter()
        .map(|n| {
            let id = n["extras"]["id"].as_str().map(str::to_string);
            let pos = n["mesh"]
                .as_u64()
                .map(|m| positions_of_mesh[m as usize].clone())
                .unwrap_or_default();
            (id, pos)
        })
        .collect();
    Ok(Read {
        triangles,
        nodes: nodes_read,
        tris,
        scene_name: scene["name"].as_str().map(str::to_string),
        lo,
        hi,
    })
}

/// The x extent (aft of the nose tip) of every outer part as the profile drawing places it.
fn outer_extent(resolved: &Resolved) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut add = |x: f64| {
        if x.is_finite() {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    };
    for p in resolved
        .parts
        .iter()
        .filter(|p| !p.inner && !p.axes.is_empty())
    {
        match &p.shape {
            PartShape::Body {
                profile,
                fore_shoulder,
                aft_shoulder,
                ..
            } => {
                profile.iter().for_each(|q| add(q[0]));
                for s in [fore_shoulder, aft_shoulder].into_iter().flatten() {
                    add(s.x_m);
                    add(s.x_m + s.length_m);
                }
            }
            PartShape::Fins { outline, .. } => outline.iter().for_each(|q| add(q[0])),
            PartShape::TubeFins { .. } => {
                add(p.x_m);
                add(p.x_m + p.length_m);
            }
            PartShape::LaunchLug {
                count,
                separation_m,
                ..
            } if p.length_m > 0.0 => {
                for k in 0..(*count as usize).clamp(1, 64) {
                    add(p.x_m + k as f64 * separation_m);
                    add(p.x_m + k as f64 * separation_m + p.length_m);
                }
            }
            PartShape::RailButton {
                outer_radius_m,
                height_m,
                count,
                separation_m,
                ..
            } if *height_m > 0.0 && *outer_radius_m > 0.0 => {
                for k in 0..(*count as usize).clamp(1, 64) {
                    add(p.x_m + k as f64 * separation_m);
                    add(p.x_m + k as f64 * separation_m + 2.0 * outer_radius_m);
                }
            }
            _ => {}
        }
    }
    (lo, hi)
}

/// The overlap (intersection over union of painted pixels) of the mesh seen from the side
/// (orthographic along −Z, turned back to nose left) with the profile drawing (no text, no
/// markers), in the drawing's own frame.
fn silhouette_overlap(
    design: &Design,
    resolved: &Resolved,
    read: &Read,
    x_aft: f64,
) -> Result<f64, String> {
    let cfg = RenderConfig {
        width_px: 1000,
        background: Background::Transparent,
        show_markers: false,
        show_annotations: false,
        ..RenderConfig::default()
    };
    let (scene, frame) = render::scene(design, resolved, None, &cfg).map_err(|e| e.to_string())?;
    let (w, h) = (scene.width, scene.height);
    let drawing = render::raster::rasterize(&scene, w, h, 1.0).map_err(|e| e.to_string())?;
    let mut pm = tiny_skia::Pixmap::new(w, h).ok_or("pixmap")?;
    let mut paint = tiny_skia::Paint::default();
    paint.set_color_rgba8(0, 0, 0, 255);
    paint.anti_alias = true;
    let mut pb = tiny_skia::PathBuilder::new();
    for t in &read.tris {
        // glTF (X, Y) is OpenRocket (y, x_aft − x).
        let px = |q: &[f32; 3]| frame.to_px(x_aft - f64::from(q[1]), f64::from(q[0]));
        let [a, mut b, mut c] = [px(&t[0]), px(&t[1]), px(&t[2])];
        // Front and back faces project with opposite windings: turn all one way, so that
        // the non-zero rule paints everything covered.
        if (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) < 0.0 {
            std::mem::swap(&mut b, &mut c);
        }
        pb.move_to(a[0] as f32, a[1] as f32);
        pb.line_to(b[0] as f32, b[1] as f32);
        pb.line_to(c[0] as f32, c[1] as f32);
        pb.close();
    }
    let path = pb.finish().ok_or("no path")?;
    pm.fill_path(
        &path,
        &paint,
        tiny_skia::FillRule::Winding,
        tiny_skia::Transform::identity(),
        None,
    );
    let (mut both, mut either) = (0u64, 0u64);
    for (d, m) in drawing.pixels().iter().zip(pm.pixels()) {
        let (d, m) = (d.alpha() >= 128, m.alpha() >= 128);
        both += u64::from(d && m);
        either += u64::from(d || m);
    }
    Ok(if either == 0 {
        0.0
    } else {
        both as f64 / either as f64
    })
}

/// Every test design that resolves, then every corpus design.
fn designs() -> Vec<(String, Design)> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"))
            .expect("testdata")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ork"))
            .collect();
    files.sort();
    files.extend(common::corpus_files("mesh"));
    let mut out = Vec::new();
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let Ok(parsed) = parse(&bytes, &ParseOptions::default()) else {
            continue;
        };
        let name = f
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .unwrap_or(&f)
            .display()
            .to_string();
        out.push((name, parsed.design));
    }
    out
}

/// Checks one design's GLB; the reasons it fails, and (triangles, bytes) when it passes.
fn check_design(
    file: &str,
    design: &Design,
    resolved: &Resolved,
) -> Result<(usize, usize, f64), Vec<String>> {
    let cfg = MeshConfig::default();
    let glb = mesh::to_glb(design, resolved, &cfg).map_err(|e| vec![format!("mesh: {e}")])?;
    let again = mesh::to_glb(design, resolved, &cfg).map_err(|e| vec![format!("again: {e}")])?;
    let mut why = Vec::new();
    if glb != again {
        why.push("different bytes on a second run".into());
    }
    let read = check_glb(&glb).map_err(|e| vec![e])?;
    if read.triangles > MAX_TRIANGLES {
        why.push(format!("{} triangles", read.triangles));
    }
    if glb.len() > MAX_BYTES {
        why.push(format!("{} bytes", glb.len()));
    }
    // The scene carries the design's name (white space runs read as one space).
    let want_name = design
        .rocket
        .name
        .as_deref()
        .filter(|n| n.chars().count() <= 200)
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty());
    if let Some(n) = want_name {
        if read.scene_name.as_deref() != Some(n.as_str()) {
            why.push(format!("scene named {:?}, not {n:?}", read.scene_name));
        }
    }
    // Height: base at y = 0, the outer parts' extent.
    let (lo, hi) = outer_extent(resolved);
    let height = read.hi[1] - read.lo[1];
    if read.lo[1].abs() > 1e-6 {
        why.push(format!("base at y = {}", read.lo[1]));
    }
    if (height - (hi - lo)).abs() > TOL {
        why.push(format!("height {height:.5} vs outer extent {:.5}", hi - lo));
    }
    let figures = geometry::figures(design).ok();
    let length = figures.as_ref().map_or(resolved.length_m, |f| f.length_m);
    let beyond = hi - lo - length;
    if (height - length).abs() > TOL && beyond.abs() <= TOL {
        why.push(format!("height {height:.5} vs length {length:.5}"));
    }
    // Largest body radius, from each body's own instance axes.
    let part_of = |id: &str| {
        design
            .components
            .iter()
            .position(|c| c.id == id)
            .and_then(|i| resolved.parts.get(i))
    };
    let mut max_r: f64 = 0.0;
    for (id, pos) in &read.nodes {
        let Some(part) = id.as_deref().and_then(part_of) else {
            continue;
        };
        let r_of = |q: &[f32; 3]| {
            part.axes
                .iter()
                .take(64)
                .map(|a| (f64::from(q[0]) - a[0]).hypot(f64::from(q[2]) - a[1]))
                .fold(f64::INFINITY, f64::min)
        };
        match &part.shape {
            PartShape::Body { .. } => {
                max_r = pos.iter().map(r_of).fold(max_r, f64::max);
            }
            PartShape::Fins {
                body_radius_m,
                outline,
                ..
            } if part.axes == [[0.0, 0.0]] => {
                let h = outline.iter().map(|q| q[1]).fold(0.0, f64::max);
                let span = pos.iter().map(r_of).fold(0.0, f64::max);
                let want = body_radius_m + h;
                if (span - want).abs() > TOL {
                    why.push(format!(
                        "fin set {}: span {span:.5} vs {want:.5}",
                        part.index
                    ));
                }
            }
            _ => {}
        }
    }
    let want_r = figures
        .as_ref()
        .map_or(resolved.max_radius_m, |f| f.max_diameter_m / 2.0);
    if (max_r - want_r).abs() > TOL {
        why.push(format!("largest body radius {max_r:.5} vs {want_r:.5}"));
    }
    let mut overlap = 0.0;
    match silhouette_overlap(design, resolved, &read, hi) {
        Ok(o) if o >= MIN_OVERLAP => overlap = o,
        Ok(o) => why.push(format!("silhouette overlap {o:.3}")),
        Err(e) => why.push(format!("silhouette: {e}")),
    }
    if let Some(dir) = std::env::var_os("MESH_DUMP_DIR") {
        let stem = Path::new(file)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        let _ = std::fs::write(Path::new(&dir).join(format!("{stem}.glb")), &glb);
    }
    if why.is_empty() {
        Ok((read.triangles, glb.len(), overlap))
    } else {
        Err(why)
    }
}

#[test]
fn every_design_gives_a_valid_glb() {
    let mut failures = Vec::new();
    let mut sizes = Vec::new();
    let mut checked = 0;
    for (name, design) in designs() {
        let Ok(resolved) = geometry::resolve(&design) else {
            continue;
        };
        checked += 1;
        match check_design(&name, &design, &resolved) {
            Ok((t, b, o)) => {
                println!("{name}: {t} triangles, {b} bytes, silhouette overlap {o:.3}");
                sizes.push((b, t, name));
            }
            Err(why) => failures.push(format!("{name}:\n  {}", why.join("\n  "))),
        }
    }
    sizes.sort();
    if let (Some(mid), Some(big)) = (sizes.get(sizes.len() / 2), sizes.last()) {
        println!(
            "{checked} designs; median GLB {} bytes ({} triangles, {}); biggest {} bytes ({} triangles, {})",
            mid.0, mid.1, mid.2, big.0, big.1, big.2
        );
    }
    assert!(checked >= 3, "only {checked} designs resolved");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The reader above rejects what the validator rejects.
#[test]
fn the_reader_sees_broken_files() {
    let design = parse(
        &std::fs::read(common::testdata("minimal.ork")).expect("minimal.ork"),
        &ParseOptions::default(),
    )
    .expect("parse")
    .design;
    let resolved = geometry::resolve(&design).expect("resolve");
    let glb = mesh::to_glb(&design, &resolved, &MeshConfig::default()).expect("glb");
    assert!(check_glb(&glb).is_ok());
    // (what, mutation)
    type Mutation = fn(&mut Vec<u8>);
    let cases: [(&str, Mutation); 4] = [
        ("magic", |b| b[0] = b'x'),
        ("length", |b| b.push(0)),
        ("version", |b| b[4] = 1),
        ("truncated", |b| {
            b.truncate(b.len() - 4);
            let l = (b.len() as u32).to_le_bytes();
            b[8..12].copy_from_slice(&l);
        }),
    ];
    for (what, mutate) in cases {
        let mut b = glb.clone();
        mutate(&mut b);
        assert!(check_glb(&b).is_err(), "{what}: accepted");
    }
}

/// Odd configurations and odd designs are errors, never panics.
#[test]
fn odd_input_is_an_error() {
    let design = parse(
        &std::fs::read(common::testdata("minimal.ork")).expect("minimal.ork"),
        &ParseOptions::default(),
    )
    .expect("parse")
    .design;
    let resolved = geometry::resolve(&design).expect("resolve");
    let bad = MeshConfig {
        tolerance_m: -1.0,
        ..MeshConfig::default()
    };
    let e = mesh::build(&design, &resolved, &bad).expect_err("bad config");
    assert_eq!(e.code(), "invalid_config");
    let empty = Resolved {
        parts: Vec::new(),
        length_m: 0.0,
        max_radius_m: 0.0,
    };
    let e = mesh::build(&design, &empty, &MeshConfig::default()).expect_err("nothing");
    assert_eq!(e.code(), "nothing_to_mesh");
    // Every number of every part made NaN in turn: a mesh or an error.
    let mut broken = resolved.clone();
    for p in &mut broken.parts {
        p.x_m = f64::NAN;
        p.axes = vec![[f64::NAN, 0.0]];
    }
    let _ = mesh::build(&design, &broken, &MeshConfig::default());
}

/// Every number of a resolved design set in turn to an odd value: a valid GLB or an error,
/// never a panic.
#[test]
fn odd_numbers_never_panic() {
    let design = parse(
        &std::fs::read(common::testdata("all-components.ork")).expect("all-components.ork"),
        &ParseOptions::default(),
    )
    .expect("parse")
    .design;
    let resolved = geometry::resolve(&design).expect("resolve");
    let base = serde_json::to_value(&resolved).expect("json");
    // Paths to every number (long point lists: their first and last points only).
    fn walk(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Number(_) => out.push(path.clone()),
            Value::Array(a) => {
                let n = a.len();
                for (i, x) in a.iter().enumerate() {
                    if n <= 8 || x.is_object() || i < 2 || i + 2 >= n {
                        path.push(i.to_string());
                        walk(x, path, out);
                        path.pop();
                    }
                }
            }
            Value::Object(o) => {
                for (k, x) in o {
                    path.push(k.clone());
                    walk(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut paths = Vec::new();
    walk(&base, &mut Vec::new(), &mut paths);
    assert!(paths.len() > 100, "{} numbers", paths.len());
    // A small budget: odd counts make big meshes, coarsened step by step.
    let cfg = MeshConfig {
        max_triangles: 10_000,
        ..MeshConfig::default()
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &paths {
        let is_count = {
            let mut at = &base;
            for seg in path {
                at = match at {
                    Value::Array(a) => &a[seg.parse::<usize>().expect("index")],
                    _ => &at[seg.as_str()],
                };
            }
            at.is_u64() && !at.is_f64()
        };
        let odd_values: &[f64] = if is_count {
            &[0.0, 4e9]
        } else {
            &[-1.0, 0.0, 1e300]
        };
        for &odd in odd_values {
            let mut v = base.clone();
            let mut at = &mut v;
            for seg in path {
                at = match at {
                    Value::Array(a) => &mut a[seg.parse::<usize>().expect("index")],
                    Value::Object(o) => o.get_mut(seg).expect("key"),
                    _ => unreachable!(),
                };
            }
            *at = if is_count {
                Value::from(odd as u64)
            } else {
                Value::from(odd)
            };
            let Ok(r) = serde_json::from_value::<Resolved>(v) else {
                continue;
            };
            checked += 1;
            let what = format!("{} = {odd}", path.join("."));
            let run = std::panic::catch_unwind(|| mesh::to_glb(&design, &r, &cfg));
            match run {
                Err(_) => failures.push(format!("{what}: panicked")),
                Ok(Ok(glb)) => {
                    if let Err(e) = check_glb(&glb) {
                        failures.push(format!("{what}: {e}"));
                    }
                }
                Ok(Err(_)) => {}
            }
        }
    }
    println!("{checked} odd designs meshed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
