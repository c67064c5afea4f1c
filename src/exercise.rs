//! Every stage that reads untrusted bytes, run in order on one input: container, parser,
//! geometry, figures and render. The fuzz target (`fuzz/`) and the regression tests over the
//! inputs it found (`testdata/fuzz/`) both call [`exercise`], so a crash found by one is
//! replayed by the other.
//!
//! Invariant: for any bytes, [`exercise`] returns (it never panics, never loops without end,
//! and never allocates beyond the reader's [`Limits`](crate::ork::Limits)).

use crate::geometry;
use crate::ork::{self, ParseOptions};
use crate::render::{self, RenderConfig};

/// How far an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// The reader refused it (a typed [`ork::OrkError`]).
    Rejected,
    /// It parsed, but its geometry did not resolve (a typed [`geometry::GeometryError`]).
    Parsed,
    /// Geometry resolved; the figures or the render refused it.
    Resolved,
    /// Images were drawn.
    Rendered,
}

/// Datapoint rows kept per data branch, as `ork inspect --rows N` keeps them: with rows, the
/// figures also derive the per-configuration stability from the stored simulation (lift-off
/// datapoint, flight condition, OpenRocket's launch roll), which reads untrusted numbers too.
pub const DATAPOINT_ROWS: usize = 16;

/// A small render, so that a fuzzer spends its time on the reader rather than on pixels.
pub fn small_render() -> RenderConfig {
    RenderConfig {
        width_px: 160,
        thumb_width_px: 32,
        ..RenderConfig::default()
    }
}

/// Runs `bytes` through every stage and reports how far it got.
pub fn exercise(bytes: &[u8], render_config: &RenderConfig) -> Reached {
    let options = ParseOptions {
        datapoint_rows: DATAPOINT_ROWS,
        ..ParseOptions::default()
    };
    let Ok(parsed) = ork::parse(bytes, &options) else {
        return Reached::Rejected;
    };
    let design = &parsed.design;
    let Ok(resolved) = geometry::resolve(design) else {
        return Reached::Parsed;
    };
    let figures = geometry::figures(design).ok();
    match render::render(design, &resolved, figures.as_ref(), render_config) {
        Ok(_) => Reached::Rendered,
        Err(_) => Reached::Resolved,
    }
}
