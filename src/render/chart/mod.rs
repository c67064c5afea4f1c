//! Flight charts: altitude and vertical velocity of one simulation against time, with its
//! flight events, drawn with the same stack as the profile image (one [`Scene`] display list,
//! rasterised by [`raster`] and written by [`svg`], text as glyph outlines of [`font`]).
//!
//! # What is drawn
//!
//! On a 1600 × 900 canvas (by default): the design's name as the title, then the simulation's
//! name and the motors it flies; below, two panels sharing one time axis — altitude on top
//! (the larger), vertical velocity below — each with round 1-2-5 ticks, light grid lines and
//! an axis title with its unit (m or km, m/s or km/s, s or min for very long flights). The
//! main events (launch rod clearance, burnout, apogee, recovery device deployment, ground hit)
//! are coloured vertical lines through both panels, labelled in plain words in a band above
//! the plot; minor ones (ignition after lift-off, stage separation, ejection charge without a
//! deployment) are dotted grey lines, labelled only where there is room. Labels never overlap:
//! events a few pixels apart share one label ("Apogee · Deployment"), the others are stacked
//! on up to [`MAX_LABEL_ROWS`] rows, and when even that is not enough a label absorbs its right
//! neighbour ("Burnout ×3"). The apogee — the highest altitude of the series — has a red
//! marker on the curve and its value and time ("Apogee 612 m at 7.8 s").
//!
//! A flight's other branches (a booster that fell away, a separated stage) are thinner, lighter
//! lines in the same panels, each named at its end, with its own events as dots in their
//! colours on its own line.
//!
//! A quantity that is missing or has no usable value leaves its panel out (the other takes the
//! whole height); gaps (`None`, non-finite or beyond [`MAX_VALUE`]) break the line; a lone
//! point is drawn as a dot. Without a single altitude or vertical velocity value there is no
//! chart ([`RenderError::NoFlightData`]).
//!
//! # Which simulation
//!
//! [`primary_simulation`] picks the simulation a design's page shows, [`simulation_motors`]
//! lists the motors it flies, and [`primary_chart`] chains them with [`flight_chart`].
//!
//! Output is deterministic: the same input gives the same PNG and SVG bytes.
//!
//! # Where
//!
//! Here: the public types, [`flight_chart`] and [`primary_chart`]. `primary`: the choice of
//! the simulation and its motors; `axes`: ticks, number format, units and data runs;
//! `events`: event marks and their non-overlapping labels; `branches`: the other branches'
//! lines, names and event dots; `primitives`: small drawing
//! helpers; `layout`: [`chart_scene`], which lays out and draws the whole chart.
//!
//! [`Scene`]: super::scene::Scene
//! [`font`]: super::font

mod axes;
mod branches;
mod events;
mod layout;
mod primary;
mod primitives;

pub use axes::{nice_ticks, Ticks};
pub use layout::chart_scene;
pub use primary::{primary_simulation, simulation_motors};

use super::scene::Rgba;
use super::{raster, svg, Background, RenderError};
use crate::model::{BranchSeries, Design};

/// Values (and times) beyond this magnitude are treated as gaps, like non-finite ones.
pub const MAX_VALUE: f64 = 1e12;

/// Rows of event labels above the plot, at most.
pub const MAX_LABEL_ROWS: usize = 4;

/// The apogee marker's fill.
pub const APOGEE_COLOR: Rgba = Rgba::hex(0xd81e1e);
/// The altitude curve.
pub const ALTITUDE_COLOR: Rgba = Rgba::hex(0x1f4fd0);
/// The vertical velocity curve.
pub const VELOCITY_COLOR: Rgba = Rgba::hex(0x0d8a5c);

const GRID: Rgba = Rgba::hex(0xe6ebf0);
const FRAME: Rgba = Rgba::hex(0xc3ccd6);
const ZERO: Rgba = Rgba::hex(0x8a96a3);
const MINOR: Rgba = Rgba::hex(0x9aa6b3);
const MINOR_TEXT: Rgba = Rgba::hex(0x7d8996);
const WHITE: Rgba = Rgba(255, 255, 255, 255);
const HALO: Rgba = Rgba(255, 255, 255, 225);

/// Size and background of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartConfig {
    /// Image width, pixels (320 ..= 8192; 1600).
    pub width_px: u32,
    /// Image height, pixels (200 ..= 8192; 900).
    pub height_px: u32,
    pub background: Background,
}

impl Default for ChartConfig {
    fn default() -> Self {
        ChartConfig {
            width_px: 1600,
            height_px: 900,
            background: Background::White,
        }
    }
}

impl ChartConfig {
    fn validate(&self) -> Result<(), RenderError> {
        if !(320..=8192).contains(&self.width_px) || !(200..=8192).contains(&self.height_px) {
            return Err(RenderError::Config(format!(
                "chart size {}×{} (must be 320 ..= 8192 wide, 200 ..= 8192 high)",
                self.width_px, self.height_px
            )));
        }
        Ok(())
    }
}

/// What one chart shows.
#[derive(Debug, Clone, Copy)]
pub struct ChartInput<'a> {
    /// The design's name (the title).
    pub design_name: Option<&'a str>,
    /// The simulation's name.
    pub simulation_name: Option<&'a str>,
    /// Motor designations flown (e.g. `C6-5`), in order; repeats are counted (`D12-3 ×2`).
    pub motors: &'a [String],
    /// The flight: time, altitude, vertical velocity and events.
    pub series: &'a BranchSeries,
    /// The flight's other branches (boosters, separated stages), drawn thinner and lighter in
    /// the same panels, each named and with its own events; empty for a single branch.
    pub branches: &'a [BranchSeries],
}

/// A rendered chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// PNG (RGB on white, RGBA when transparent).
    pub png: Vec<u8>,
    /// The same drawing as SVG (user units = pixels).
    pub svg: String,
    pub width: u32,
    pub height: u32,
    /// Full-image pixel centre of the apogee marker, when drawn.
    pub apogee_px: Option<[f64; 2]>,
}

/// Renders the flight chart of one simulation as PNG and SVG.
pub fn flight_chart(input: &ChartInput<'_>, config: &ChartConfig) -> Result<Chart, RenderError> {
    let (scene, apogee_px) = chart_scene(input, config)?;
    let opaque = scene.background.is_some_and(|b| b.3 == 255);
    let (w, h) = (scene.width, scene.height);
    let pm = raster::rasterize(&scene, w, h, 1.0)?;
    let png = raster::encode_png(&pm, opaque)?;
    drop(pm);
    let svg = svg::to_svg(&scene);
    Ok(Chart {
        png,
        svg,
        width: w,
        height: h,
        apogee_px,
    })
}

/// The chart of a design's [`primary_simulation`] (its main branch), or `None` when no
/// simulation has data.
pub fn primary_chart(design: &Design, config: &ChartConfig) -> Result<Option<Chart>, RenderError> {
    let Some((_, sim)) = primary_simulation(design) else {
        return Ok(None);
    };
    let Some(series) = &sim.series else {
        return Ok(None);
    };
    let motors = simulation_motors(design, sim);
    let input = ChartInput {
        design_name: design.rocket.name.as_deref(),
        simulation_name: sim.name.as_deref(),
        motors: &motors,
        series: &series.main,
        branches: &series.extra_branches,
    };
    flight_chart(&input, config).map(Some)
}
