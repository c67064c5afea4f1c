//! Profile images of a design: a side view in the spirit of OpenRocket's 2D figure, as a PNG,
//! a PNG thumbnail and an SVG of the same drawing.
//!
//! # What is drawn
//!
//! Looking along the z axis, y up, nose on the left: the outer outline (nose cones,
//! transitions, body tubes) filled light with a dark outline; fins, tube fins, launch lugs and
//! rail buttons projected at their angles (edge-on fins as thin bands); pods and parallel
//! boosters at every instance axis; everything painted back to front by depth. Inner
//! components (inner tubes, couplers, rings, bulkheads, shoulders) are light outlines drawn
//! "x-ray" over their body, recovery and mass items dashed. On top: a dash-dot centre line, the
//! CG marker (blue circle with alternating quarters filled) and the CP marker (red circle with
//! a dot) on the axis. Around it: the design's name, a line of figures (length, diameter, dry
//! mass, stability), a scale bar of a round length, and a CG/CP legend.
//!
//! # How
//!
//! [`draw`] builds one [`scene::Scene`] — a display list of paths (fill / stroke / dash), text
//! and markers in full-image pixels — and two back ends render it: [`raster`] with tiny-skia
//! (anti-aliased) and the `png` crate, [`svg`] as an SVG document. Text is drawn as glyph
//! outlines of the embedded DejaVu Sans ([`font`]), so both outputs carry the same shapes. The
//! thumbnail is the same scene drawn at a smaller scale.
//!
//! Fitting: the bounding box of every shape drawn (fins and pods included, and the CG/CP
//! positions) fills the width less margins; the image height follows, clamped to
//! `[min_height_ratio, max_height_ratio] × width_px`, the scale shrinking when the drawing
//! would be taller. Output is deterministic: no timestamps, fixed float formatting.
//!
//! [`chart`] draws a simulation's flight (altitude and vertical velocity against time, with
//! its events) with the same display list and back ends.

pub mod chart;
pub mod draw;
pub mod font;
pub mod mesh;
pub mod raster;
pub mod scene;
pub mod svg;

use crate::geometry::{Figures, Resolved};
use crate::model::Design;

/// Background of the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Background {
    #[default]
    White,
    Transparent,
}

/// What to draw and how big.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderConfig {
    /// Width of the full image, pixels (64 ..= 8192).
    pub width_px: u32,
    /// Width of the thumbnail, pixels (16 ..= `width_px`).
    pub thumb_width_px: u32,
    pub background: Background,
    /// Smallest image height as a fraction of the width (long thin rockets get white space).
    pub min_height_ratio: f64,
    /// Largest image height as a fraction of the width (tall drawings are scaled down).
    pub max_height_ratio: f64,
    /// Fins, tube fins, launch lugs and rail buttons.
    pub show_fins: bool,
    /// Inner components, shoulders, fin tabs, recovery and mass items.
    pub show_inner: bool,
    /// CG and CP markers on the axis (needs figures).
    pub show_markers: bool,
    /// Title, figures line, centre line, scale bar and legend.
    pub show_annotations: bool,
}

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig {
            width_px: 2000,
            thumb_width_px: 400,
            background: Background::White,
            min_height_ratio: 0.2,
            max_height_ratio: 1.0,
            show_fins: true,
            show_inner: true,
            show_markers: true,
            show_annotations: true,
        }
    }
}

impl RenderConfig {
    /// Only the outer bodies (no fins, inner parts, markers or text): for measuring.
    pub fn body_only() -> RenderConfig {
        RenderConfig {
            show_fins: false,
            show_inner: false,
            show_markers: false,
            show_annotations: false,
            ..RenderConfig::default()
        }
    }

    fn validate(&self) -> Result<(), RenderError> {
        if !(64..=8192).contains(&self.width_px) {
            return Err(RenderError::Config(format!(
                "width_px = {} (must be 64 ..= 8192)",
                self.width_px
            )));
        }
        if !(16..=self.width_px).contains(&self.thumb_width_px) {
            return Err(RenderError::Config(format!(
                "thumb_width_px = {} (must be 16 ..= width_px)",
                self.thumb_width_px
            )));
        }
        let ok = |r: f64| r.is_finite() && (0.01..=4.0).contains(&r);
        if !ok(self.min_height_ratio)
            || !ok(self.max_height_ratio)
            || self.min_height_ratio > self.max_height_ratio
        {
            return Err(RenderError::Config(format!(
                "height ratios {} ..= {} (must be within 0.01 ..= 4, min ≤ max)",
                self.min_height_ratio, self.max_height_ratio
            )));
        }
        Ok(())
    }
}

/// Where a point in metres lands in the full image: `x_px = x0_px + x·px_per_m`,
/// `y_px = axis_y_px − y·px_per_m` (x aft of the nose tip, y up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub px_per_m: f64,
    /// Pixel column of x = 0 (the nose tip).
    pub x0_px: f64,
    /// Pixel row of the rocket axis (y = 0).
    pub axis_y_px: f64,
}

impl Frame {
    /// Full-image pixel coordinates of a side-view point `(x, y)` in metres.
    pub fn to_px(&self, x_m: f64, y_m: f64) -> [f64; 2] {
        [
            self.x0_px + x_m * self.px_per_m,
            self.axis_y_px - y_m * self.px_per_m,
        ]
    }
}

/// The rendered images.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    /// Full image, PNG (RGB on white, RGBA when transparent).
    pub png: Vec<u8>,
    /// Thumbnail, PNG: the same drawing at `thumb_width / width` scale.
    pub thumb_png: Vec<u8>,
    /// The same drawing as SVG (user units = full-image pixels).
    pub svg: String,
    pub width: u32,
    pub height: u32,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// Metres → full-image pixels.
    pub frame: Frame,
}

/// Why no image was produced. Never a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("invalid render config: {0}")]
    Config(String),
    /// No part has finite, drawable geometry.
    #[error("nothing to draw: the design has no drawable geometry")]
    NothingToDraw,
    #[error("cannot allocate a {width}×{height} image")]
    Canvas { width: u32, height: u32 },
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// A flight chart without a single usable altitude or vertical velocity value.
    #[error("nothing to chart: the series has no usable altitude or vertical velocity")]
    NoFlightData,
}

/// Builds the display list only (for callers that want their own back end).
pub fn scene(
    design: &Design,
    resolved: &Resolved,
    figures: Option<&Figures>,
    config: &RenderConfig,
) -> Result<(scene::Scene, Frame), RenderError> {
    config.validate()?;
    draw::build(design, resolved, figures, config)
}

/// Renders the full image, the thumbnail and the SVG of a resolved design. `figures` adds the
/// CG/CP markers and the mass/stability figures.
pub fn render(
    design: &Design,
    resolved: &Resolved,
    figures: Option<&Figures>,
    config: &RenderConfig,
) -> Result<Images, RenderError> {
    let (scene, frame) = scene(design, resolved, figures, config)?;
    let opaque = scene.background.is_some_and(|b| b.3 == 255);
    let (w, h) = (scene.width, scene.height);
    let full = raster::rasterize(&scene, w, h, 1.0)?;
    let png = raster::encode_png(&full, opaque)?;
    drop(full);
    let k = f64::from(config.thumb_width_px) / f64::from(w);
    let tw = config.thumb_width_px;
    let th = ((f64::from(h) * k).round() as u32).max(1);
    let thumb = raster::rasterize(&scene, tw, th, k)?;
    let thumb_png = raster::encode_png(&thumb, opaque)?;
    let svg = svg::to_svg(&scene);
    Ok(Images {
        png,
        thumb_png,
        svg,
        width: w,
        height: h,
        thumb_width: tw,
        thumb_height: th,
        frame,
    })
}
