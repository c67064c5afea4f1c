//! Materials: the component's appearance colour where the file has one, otherwise the
//! profile drawing's neutral fill for its kind; PBR metallic-roughness, non-metallic.
//!
//! Colours in the file (and the drawing's fills) are sRGB; glTF's `baseColorFactor` is
//! linear, so they are converted. Alpha is ignored: the model is drawn opaque.

use super::parts::Role;
use super::MeshMaterial;
use crate::model::Component;
use crate::render::draw::{BODY_FILL, FIN_FILL, LUG_FILL};

/// Roughness of the neutral materials and of paint without a shine.
const NEUTRAL_ROUGHNESS: f32 = 0.6;

/// sRGB byte → linear.
fn linear(c: u8) -> f32 {
    let v = f64::from(c) / 255.0;
    let l = if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    };
    l as f32
}

/// The material of a component of `role`.
pub(super) fn material(component: Option<&Component>, role: Role) -> MeshMaterial {
    let appearance = component.and_then(|c| c.appearance.as_ref());
    if let Some(p) = appearance.and_then(|a| a.paint) {
        let shine = appearance
            .and_then(|a| a.shine)
            .filter(|s| s.is_finite())
            .map(|s| s.clamp(0.0, 1.0));
        let roughness = match shine {
            Some(s) => (1.0 - 0.85 * s) as f32,
            None => NEUTRAL_ROUGHNESS,
        };
        return MeshMaterial {
            name: format!("paint #{:02x}{:02x}{:02x}", p.r, p.g, p.b),
            base_color: [linear(p.r), linear(p.g), linear(p.b), 1.0],
            metallic: 0.0,
            roughness,
        };
    }
    let (name, fill) = match role {
        Role::Body => ("neutral body", BODY_FILL),
        Role::Fin => ("neutral fin", FIN_FILL),
        Role::Lug => ("neutral lug", LUG_FILL),
    };
    MeshMaterial {
        name: name.to_string(),
        base_color: [linear(fill.0), linear(fill.1), linear(fill.2), 1.0],
        metallic: 0.0,
        roughness: NEUTRAL_ROUGHNESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Appearance, Rgba};

    #[test]
    fn srgb_to_linear() {
        // (byte, linear)
        for (c, l) in [(0u8, 0.0f32), (255, 1.0), (188, 0.5029), (10, 0.003035)] {
            assert!((linear(c) - l).abs() < 1e-4, "{c}: {}", linear(c));
        }
    }

    #[test]
    fn paint_wins_over_neutral() {
        let none = material(None, Role::Fin);
        assert_eq!(none.name, "neutral fin");
        assert_eq!(none.base_color[3], 1.0);
        let base = crate::ork::parse_file(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/minimal.ork"),
            &crate::ork::ParseOptions::default(),
        );
        let Ok(parsed) = base else { return };
        let Some(mut c) = parsed.design.components.first().cloned() else {
            return;
        };
        // (appearance, expected name, expected roughness)
        for (a, name, rough) in [
            (None, "neutral body", NEUTRAL_ROUGHNESS),
            (
                Some(Appearance {
                    paint: Some(Rgba {
                        r: 255,
                        g: 0,
                        b: 16,
                        a: 0,
                    }),
                    shine: Some(1.0),
                    decal: None,
                }),
                "paint #ff0010",
                0.15,
            ),
            (
                Some(Appearance {
                    paint: Some(Rgba {
                        r: 1,
                        g: 2,
                        b: 3,
                        a: 255,
                    }),
                    shine: Some(f64::NAN),
                    decal: None,
                }),
                "paint #010203",
                NEUTRAL_ROUGHNESS,
            ),
            (
                Some(Appearance {
                    paint: None,
                    shine: Some(0.5),
                    decal: None,
                }),
                "neutral body",
                NEUTRAL_ROUGHNESS,
            ),
        ] {
            c.appearance = a;
            let m = material(Some(&c), Role::Body);
            assert_eq!(m.name, name);
            assert!(
                (m.roughness - rough).abs() < 1e-6,
                "{name}: {}",
                m.roughness
            );
            assert!(m.base_color.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }
}
