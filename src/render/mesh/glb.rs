//! The binary glTF 2.0 writer (GLB): one JSON chunk written with serde_json, one BIN chunk.
//!
//! Laid out for the Khronos validator: every buffer view and chunk 4-byte aligned (the JSON
//! padded with spaces, the BIN with zeros), POSITION accessors with their exact `min` / `max`
//! (the f32 values, written as the f64 that equals them), indices `u16` (5123) below 65 535
//! vertices else `u32` (5125), mode 4 (triangles), `asset.version` "2.0", and no object that
//! nothing uses. Output is deterministic: the JSON's keys are sorted and its numbers
//! formatted by serde_json, the order of everything follows the mesh.

use serde_json::{json, Map, Value};

use super::{Mesh, MeshError};

const GLB_MAGIC: u32 = 0x4654_6C67;
const GLB_VERSION: u32 = 2;
const CHUNK_JSON: u32 = 0x4E4F_534A;
const CHUNK_BIN: u32 = 0x004E_4942;
const ARRAY_BUFFER: u32 = 34962;
const ELEMENT_ARRAY_BUFFER: u32 = 34963;
const FLOAT: u32 = 5126;
const UNSIGNED_SHORT: u32 = 5123;
const UNSIGNED_INT: u32 = 5125;
const TRIANGLES: u32 = 4;

/// Appends `bytes` as one buffer view (padded to 4 bytes after it); its index.
fn view(bin: &mut Vec<u8>, views: &mut Vec<Value>, bytes: &[u8], target: u32) -> usize {
    let offset = bin.len();
    bin.extend_from_slice(bytes);
    while bin.len() % 4 != 0 {
        bin.push(0);
    }
    views.push(json!({
        "buffer": 0,
        "byteOffset": offset,
        "byteLength": bytes.len(),
        "target": target,
    }));
    views.len() - 1
}

fn vec3_bytes(v: &[[f32; 3]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 12);
    for p in v {
        for c in p {
            out.extend_from_slice(&c.to_le_bytes());
        }
    }
    out
}

/// Writes the mesh as GLB bytes.
pub(super) fn write(mesh: &Mesh) -> Result<Vec<u8>, MeshError> {
    let mut bin: Vec<u8> = Vec::new();
    let mut views: Vec<Value> = Vec::new();
    let mut accessors: Vec<Value> = Vec::new();
    let mut meshes: Vec<Value> = Vec::new();
    let mut materials: Vec<Value> = Vec::new();
    let mut material_of: Vec<Option<usize>> = vec![None; mesh.materials.len()];
    let node_count = mesh.nodes.len();
    // Each node is the child of one parent at most; later claims are dropped.
    let mut parent: Vec<Option<usize>> = vec![None; node_count];
    let mut nodes: Vec<Value> = Vec::with_capacity(node_count);
    for (ni, node) in mesh.nodes.iter().enumerate() {
        let mut obj = Map::new();
        obj.insert("name".into(), Value::from(node.name.clone()));
        let mut children = Vec::new();
        for &c in &node.children {
            if c < node_count && c != ni && parent[c].is_none() && !children.contains(&c) {
                // No loops: a node never adopts one of its own ancestors.
                let mut up = Some(ni);
                let mut looped = false;
                while let Some(a) = up {
                    if a == c {
                        looped = true;
                        break;
                    }
                    up = parent[a];
                }
                if !looped {
                    parent[c] = Some(ni);
                    children.push(c);
                }
            }
        }
        if !children.is_empty() {
            obj.insert("children".into(), json!(children));
        }
        if let Some(p) = &node.primitive {
            let v = p.positions.len();
            let whole = p.indices.len() / 3 * 3;
            let usable = v > 0
                && p.normals.len() == v
                && whole > 0
                && p.indices[..whole].iter().all(|&i| (i as usize) < v)
                && p.positions.iter().flatten().all(|c| c.is_finite())
                && p.normals.iter().flatten().all(|c| c.is_finite());
            if usable {
                let mut min = [f32::INFINITY; 3];
                let mut max = [f32::NEG_INFINITY; 3];
                for q in &p.positions {
                    for k in 0..3 {
                        min[k] = min[k].min(q[k]);
                        max[k] = max[k].max(q[k]);
                    }
                }
                let pos_view = view(
                    &mut bin,
                    &mut views,
                    &vec3_bytes(&p.positions),
                    ARRAY_BUFFER,
                );
                accessors.push(json!({
                    "bufferView": pos_view,
                    "componentType": FLOAT,
                    "count": v,
                    "type": "VEC3",
                    "min": min.map(f64::from),
                    "max": max.map(f64::from),
                }));
                let pos_acc = accessors.len() - 1;
                let nrm_view = view(&mut bin, &mut views, &vec3_bytes(&p.normals), ARRAY_BUFFER);
                accessors.push(json!({
                    "bufferView": nrm_view,
                    "componentType": FLOAT,
                    "count": v,
                    "type": "VEC3",
                }));
                let nrm_acc = accessors.len() - 1;
                let indices = &p.indices[..whole];
                // 65 535 is the primitive restart value of u16: never an index.
                let (bytes, ctype) = if v <= 65_535 {
                    let b: Vec<u8> = indices
                        .iter()
                        .flat_map(|&i| u16::try_from(i).unwrap_or(0).to_le_bytes())
                        .collect();
                    (b, UNSIGNED_SHORT)
                } else {
                    let b: Vec<u8> = indices.iter().flat_map(|&i| i.to_le_bytes()).collect();
                    (b, UNSIGNED_INT)
                };
                let idx_view = view(&mut bin, &mut views, &bytes, ELEMENT_ARRAY_BUFFER);
                accessors.push(json!({
                    "bufferView": idx_view,
                    "componentType": ctype,
                    "count": whole,
                    "type": "SCALAR",
                }));
                let idx_acc = accessors.len() - 1;
                let mut prim = Map::new();
                prim.insert(
                    "attributes".into(),
                    json!({"POSITION": pos_acc, "NORMAL": nrm_acc}),
                );
                prim.insert("indices".into(), Value::from(idx_acc));
                prim.insert("mode".into(), Value::from(TRIANGLES));
                if let Some(m) = mesh.materials.get(p.material) {
                    let k = match material_of[p.material] {
                        Some(k) => k,
                        None => {
                            let clamp = |v: f32| {
                                f64::from(if v.is_finite() {
                                    v.clamp(0.0, 1.0)
                                } else {
                                    1.0
                                })
                            };
                            materials.push(json!({
                                "name": m.name,
                                "pbrMetallicRoughness": {
                                    "baseColorFactor": m.base_color.map(clamp),
                                    "metallicFactor": clamp(m.metallic),
                                    "roughnessFactor": clamp(m.roughness),
                                },
                            }));
                            material_of[p.material] = Some(materials.len() - 1);
                            materials.len() - 1
                        }
                    };
                    prim.insert("material".into(), Value::from(k));
                }
                meshes.push(json!({
                    "name": node.name,
                    "primitives": [Value::Object(prim)],
                }));
                obj.insert("mesh".into(), Value::from(meshes.len() - 1));
            }
        }
        let mut extras = Map::new();
        if let Some(k) = node.kind {
            extras.insert("kind".into(), Value::from(k));
        }
        if let Some(id) = &node.id {
            extras.insert("id".into(), Value::from(id.clone()));
        }
        if !extras.is_empty() {
            obj.insert("extras".into(), Value::Object(extras));
        }
        nodes.push(Value::Object(obj));
    }

    let mut root = Map::new();
    root.insert(
        "asset".into(),
        json!({
            "version": "2.0",
            "generator": concat!("ork-processor ", env!("CARGO_PKG_VERSION")),
        }),
    );
    let roots: Vec<usize> = (0..node_count).filter(|&i| parent[i].is_none()).collect();
    if !roots.is_empty() {
        root.insert("scene".into(), Value::from(0));
        root.insert(
            "scenes".into(),
            json!([{"name": mesh.name, "nodes": roots}]),
        );
        root.insert("nodes".into(), Value::Array(nodes));
    }
    for (key, list) in [
        ("meshes", meshes),
        ("materials", materials),
        ("accessors", accessors),
        ("bufferViews", views),
    ] {
        if !list.is_empty() {
            root.insert(key.into(), Value::Array(list));
        }
    }
    if !bin.is_empty() {
        root.insert("buffers".into(), json!([{"byteLength": bin.len()}]));
    }
    let mut json_bytes =
        serde_json::to_vec(&Value::Object(root)).map_err(|e| MeshError::Encode(e.to_string()))?;
    while json_bytes.len() % 4 != 0 {
        json_bytes.push(b' ');
    }
    let total = 12
        + 8
        + json_bytes.len() as u64
        + if bin.is_empty() {
            0
        } else {
            8 + bin.len() as u64
        };
    let too_large = || MeshError::TooLarge { bytes: total };
    let total32 = u32::try_from(total).map_err(|_| too_large())?;
    let json_len = u32::try_from(json_bytes.len()).map_err(|_| too_large())?;
    let bin_len = u32::try_from(bin.len()).map_err(|_| too_large())?;
    let mut out = Vec::with_capacity(total32 as usize);
    for v in [GLB_MAGIC, GLB_VERSION, total32, json_len, CHUNK_JSON] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&json_bytes);
    if !bin.is_empty() {
        out.extend_from_slice(&bin_len.to_le_bytes());
        out.extend_from_slice(&CHUNK_BIN.to_le_bytes());
        out.extend_from_slice(&bin);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{MeshMaterial, MeshNode, Primitive};
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn tetra(material: usize) -> Primitive {
        Primitive {
            positions: vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0],
            ],
            normals: vec![[0.0, 0.0, 1.0]; 4],
            indices: vec![0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3],
            material,
        }
    }

    fn mesh(nodes: Vec<MeshNode>) -> Mesh {
        Mesh {
            name: "Design \"quoted\"".into(),
            nodes,
            materials: vec![
                MeshMaterial {
                    name: "unused".into(),
                    base_color: [1.0; 4],
                    metallic: 0.0,
                    roughness: 1.0,
                },
                MeshMaterial {
                    name: "used".into(),
                    base_color: [0.5, f32::NAN, 2.0, 1.0],
                    metallic: 0.0,
                    roughness: 0.5,
                },
            ],
        }
    }

    fn node(name: &str, children: Vec<usize>, primitive: Option<Primitive>) -> MeshNode {
        MeshNode {
            name: name.into(),
            kind: None,
            id: None,
            children,
            primitive,
        }
    }

    fn json_of(glb: &[u8]) -> Value {
        let len = u32_at(glb, 12) as usize;
        serde_json::from_slice(&glb[20..20 + len]).expect("json")
    }

    #[test]
    fn layout_and_chunks() {
        let m = mesh(vec![
            node("root", vec![1, 2], None),
            node("a", vec![], Some(tetra(1))),
            node("b", vec![], Some(tetra(1))),
        ]);
        let glb = write(&m).expect("glb");
        assert_eq!(u32_at(&glb, 0), GLB_MAGIC);
        assert_eq!(u32_at(&glb, 4), 2);
        assert_eq!(u32_at(&glb, 8) as usize, glb.len());
        let jl = u32_at(&glb, 12) as usize;
        assert_eq!(jl % 4, 0);
        assert_eq!(u32_at(&glb, 16), CHUNK_JSON);
        let bl = u32_at(&glb, 20 + jl) as usize;
        assert_eq!(bl % 4, 0);
        assert_eq!(u32_at(&glb, 24 + jl), CHUNK_BIN);
        assert_eq!(28 + jl + bl, glb.len());
        let j = json_of(&glb);
        assert_eq!(j["asset"]["version"], "2.0");
        assert_eq!(j["scenes"][0]["nodes"], json!([0]));
        assert_eq!(j["scenes"][0]["name"], "Design \"quoted\"");
        // Only the used material, its colour clamped.
        assert_eq!(j["materials"].as_array().map(Vec::len), Some(1));
        assert_eq!(j["materials"][0]["name"], "used");
        assert_eq!(
            j["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"],
            json!([0.5, 1.0, 1.0, 1.0])
        );
        assert_eq!(j["accessors"][0]["max"], json!([1.0, 1.0, 1.0]));
        assert_eq!(j["accessors"][2]["componentType"], UNSIGNED_SHORT);
        assert_eq!(j["buffers"][0]["byteLength"], bl);
        for v in j["bufferViews"].as_array().into_iter().flatten() {
            assert_eq!(v["byteOffset"].as_u64().map(|o| o % 4), Some(0));
        }
        assert_eq!(write(&m).expect("again"), glb);
    }

    /// The bounds are written as the f64 equal to each f32, so an exact parser (the
    /// validator's) reads back the very values of the data.
    #[test]
    fn bounds_are_exact() {
        let mut p = tetra(1);
        p.positions[1] = [-0.0125, 0.1, 1.0 / 3.0];
        p.positions[2] = [0.734, 1e-7, -0.0207899];
        let glb = write(&mesh(vec![node("r", vec![], Some(p.clone()))])).expect("glb");
        let len = u32_at(&glb, 12) as usize;
        let text = std::str::from_utf8(&glb[20..20 + len]).expect("utf-8");
        for (key, pick) in [
            ("\"min\":[", f32::min as fn(f32, f32) -> f32),
            ("\"max\":[", f32::max),
        ] {
            let at = text.find(key).expect("bounds") + key.len();
            let end = at + text[at..].find(']').expect("]");
            let got: Vec<f64> = text[at..end]
                .split(',')
                .map(|v| v.parse::<f64>().expect("number"))
                .collect();
            for k in 0..3 {
                let want = p
                    .positions
                    .iter()
                    .map(|q| q[k])
                    .reduce(pick)
                    .expect("positions");
                assert_eq!(got[k], f64::from(want), "{key} {k}");
            }
        }
    }

    #[test]
    fn broken_meshes_stay_valid() {
        let mut bad = tetra(7);
        bad.indices.push(99);
        let mut oob = tetra(1);
        oob.indices[0] = 4;
        let m = mesh(vec![
            // A loop, a self-reference, an out-of-range child.
            node("root", vec![1, 0, 9], None),
            node("a", vec![0, 2], Some(bad)),
            node("b", vec![1], Some(oob)),
        ]);
        let glb = write(&m).expect("glb");
        let j = json_of(&glb);
        assert_eq!(j["nodes"][0]["children"], json!([1]));
        assert_eq!(j["nodes"][1]["children"], json!([2]));
        assert!(j["nodes"][2].get("children").is_none());
        // The out-of-range index drops its primitive; the material index 7 is left out.
        assert_eq!(j["meshes"].as_array().map(Vec::len), Some(1));
        assert!(j["meshes"][0]["primitives"][0].get("material").is_none());
        assert!(j.get("materials").is_none());
        assert_eq!(j["accessors"][2]["count"], 12);
        // Nothing at all: a JSON chunk only.
        let empty = write(&mesh(vec![])).expect("glb");
        assert_eq!(u32_at(&empty, 8) as usize, empty.len());
        assert!(json_of(&empty).get("buffers").is_none());
    }

    #[test]
    fn big_primitives_use_u32_indices() {
        let n = 70_000u32;
        let p = Primitive {
            positions: (0..n).map(|i| [i as f32, (i % 2) as f32, 0.0]).collect(),
            normals: vec![[0.0, 0.0, 1.0]; n as usize],
            indices: vec![0, 1, n - 1],
            material: 1,
        };
        let glb = write(&mesh(vec![node("r", vec![], Some(p))])).expect("glb");
        assert_eq!(json_of(&glb)["accessors"][2]["componentType"], UNSIGNED_INT);
    }
}
