//! Every display name OpenRocket has used for the columns we keep (placeholder, to be filled
//! from OpenRocket's message bundles).

use super::columns::Column;
use crate::model::Quantity::*;

/// (normalized name, column), sorted by name for binary search.
pub(super) static NAMES: &[(&str, Column)] = &[
    ("altitude", Column::Value(Altitude)),
    ("höhe", Column::Value(Altitude)),
    ("lateral distance", Column::Value(LateralDistance)),
    ("mach number", Column::Value(Mach)),
    ("position east of launch", Column::Value(PositionEast)),
    ("position north of launch", Column::Value(PositionNorth)),
    ("position parallel to wind", Column::Value(PositionNorth)),
    ("position upwind", Column::Value(PositionEast)),
    ("stability margin calibers", Column::Value(Stability)),
    ("thrust", Column::Value(Thrust)),
    ("time", Column::Time),
    ("total acceleration", Column::Value(TotalAcceleration)),
    ("total velocity", Column::Value(TotalVelocity)),
    ("vertical acceleration", Column::Value(VerticalAcceleration)),
    ("vertical velocity", Column::Value(VerticalVelocity)),
    ("vertikale geschwindigkeit", Column::Value(VerticalVelocity)),
    ("zeit", Column::Time),
];
