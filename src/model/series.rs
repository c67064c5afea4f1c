//! Flight series: the quantities of a simulation's data rows that the blog shows, downsampled
//! to a few hundred points that keep the flight's shape (see [`crate::series`]).
//!
//! All quantities of a branch share one time axis (`time_s`); a quantity the file lacks is
//! `None`, and a value the file wrote as `NaN` is a gap (`None` inside the list).

use serde::{Deserialize, Serialize};

/// A quantity of a flight series, other than time. Declaration order is the JSON order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Altitude,
    VerticalVelocity,
    TotalVelocity,
    VerticalAcceleration,
    TotalAcceleration,
    Mach,
    Thrust,
    Stability,
    LateralDistance,
    PositionEast,
    PositionNorth,
}

impl Quantity {
    /// Every quantity, in JSON order.
    pub const ALL: [Quantity; 11] = [
        Quantity::Altitude,
        Quantity::VerticalVelocity,
        Quantity::TotalVelocity,
        Quantity::VerticalAcceleration,
        Quantity::TotalAcceleration,
        Quantity::Mach,
        Quantity::Thrust,
        Quantity::Stability,
        Quantity::LateralDistance,
        Quantity::PositionEast,
        Quantity::PositionNorth,
    ];

    /// The field name, with its unit: `altitude_m`, `mach`, …
    pub const fn key(self) -> &'static str {
        match self {
            Quantity::Altitude => "altitude_m",
            Quantity::VerticalVelocity => "vertical_velocity_m_s",
            Quantity::TotalVelocity => "total_velocity_m_s",
            Quantity::VerticalAcceleration => "vertical_acceleration_m_s2",
            Quantity::TotalAcceleration => "total_acceleration_m_s2",
            Quantity::Mach => "mach",
            Quantity::Thrust => "thrust_n",
            Quantity::Stability => "stability_cal",
            Quantity::LateralDistance => "lateral_distance_m",
            Quantity::PositionEast => "position_east_m",
            Quantity::PositionNorth => "position_north_m",
        }
    }

    /// Position in [`Quantity::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One flight event of a branch: its type as OpenRocket writes it (`launch`, `burnout`,
/// `apogee`, `recoverydevicedeployment`, `groundhit`, …) and its time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub time_s: f64,
}

/// The downsampled series of one data branch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BranchSeries {
    /// The branch's name (`Sustainer`, `Booster stage`, …, localized as written).
    pub branch: Option<String>,
    /// Datapoint rows the branch holds in the file.
    pub source_rows: u64,
    /// The shared time axis, seconds, strictly increasing.
    pub time_s: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub altitude_m: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vertical_velocity_m_s: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total_velocity_m_s: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vertical_acceleration_m_s2: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total_acceleration_m_s2: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mach: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub thrust_n: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stability_cal: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lateral_distance_m: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub position_east_m: Option<Vec<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub position_north_m: Option<Vec<Option<f64>>>,
    /// The branch's flight events, in file order.
    pub events: Vec<SeriesEvent>,
}

impl BranchSeries {
    /// The values of one quantity, when the file has it.
    pub fn get(&self, q: Quantity) -> Option<&Vec<Option<f64>>> {
        match q {
            Quantity::Altitude => self.altitude_m.as_ref(),
            Quantity::VerticalVelocity => self.vertical_velocity_m_s.as_ref(),
            Quantity::TotalVelocity => self.total_velocity_m_s.as_ref(),
            Quantity::VerticalAcceleration => self.vertical_acceleration_m_s2.as_ref(),
            Quantity::TotalAcceleration => self.total_acceleration_m_s2.as_ref(),
            Quantity::Mach => self.mach.as_ref(),
            Quantity::Thrust => self.thrust_n.as_ref(),
            Quantity::Stability => self.stability_cal.as_ref(),
            Quantity::LateralDistance => self.lateral_distance_m.as_ref(),
            Quantity::PositionEast => self.position_east_m.as_ref(),
            Quantity::PositionNorth => self.position_north_m.as_ref(),
        }
    }

    /// Mutable access to the slot of one quantity.
    pub fn slot(&mut self, q: Quantity) -> &mut Option<Vec<Option<f64>>> {
        match q {
            Quantity::Altitude => &mut self.altitude_m,
            Quantity::VerticalVelocity => &mut self.vertical_velocity_m_s,
            Quantity::TotalVelocity => &mut self.total_velocity_m_s,
            Quantity::VerticalAcceleration => &mut self.vertical_acceleration_m_s2,
            Quantity::TotalAcceleration => &mut self.total_acceleration_m_s2,
            Quantity::Mach => &mut self.mach,
            Quantity::Thrust => &mut self.thrust_n,
            Quantity::Stability => &mut self.stability_cal,
            Quantity::LateralDistance => &mut self.lateral_distance_m,
            Quantity::PositionEast => &mut self.position_east_m,
            Quantity::PositionNorth => &mut self.position_north_m,
        }
    }

    /// The quantities present, in JSON order, with their values.
    pub fn quantities(&self) -> impl Iterator<Item = (Quantity, &Vec<Option<f64>>)> + '_ {
        Quantity::ALL
            .into_iter()
            .filter_map(|q| self.get(q).map(|v| (q, v)))
    }

    /// Number of points kept.
    pub fn len(&self) -> usize {
        self.time_s.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time_s.is_empty()
    }

    /// The highest altitude of the series and its time, ignoring gaps.
    pub fn apogee(&self) -> Option<(f64, f64)> {
        let alt = self.altitude_m.as_ref()?;
        alt.iter()
            .zip(&self.time_s)
            .filter_map(|(a, t)| a.map(|a| (a, *t)))
            .fold(None, |best: Option<(f64, f64)>, (a, t)| match best {
                Some((b, _)) if b >= a => best,
                _ => Some((a, t)),
            })
    }
}

/// The series of a simulation: its first branch (the sustainer), and the others (boosters and
/// separated stages), each in the same shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlightSeries {
    #[serde(flatten)]
    pub main: BranchSeries,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub extra_branches: Vec<BranchSeries>,
}
