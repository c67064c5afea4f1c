//! Simulations stored in a design file: settings, summary, and a digest of the data branches.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub name: Option<String>,
    /// `uptodate`, `loaded`, `outdated`, `cantrun`, `notsimulated`, `external`.
    pub status: Option<String>,
    pub simulator: Option<String>,
    pub calculator: Option<String>,
    pub conditions: Conditions,
    /// The `<flightdata>` attributes; `None` when the simulation never ran.
    pub summary: Option<FlightSummary>,
    pub branches: Vec<DataBranch>,
    /// The flight, downsampled, when the first branch holds rows and series were asked for
    /// ([`crate::ork::ParseOptions::series`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub series: Option<super::FlightSeries>,
}

/// `<conditions>`; angles as OpenRocket writes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// The motor configuration flown.
    pub config_id: Option<String>,
    pub launch_rod_length_m: Option<f64>,
    pub launch_into_wind: Option<bool>,
    pub launch_rod_angle_deg: Option<f64>,
    pub launch_rod_direction_deg: Option<f64>,
    pub wind_average_m_s: Option<f64>,
    pub wind_turbulence: Option<f64>,
    /// Radians, as 1.10 writes it.
    pub wind_direction_rad: Option<f64>,
    pub launch_altitude_m: Option<f64>,
    pub launch_latitude_deg: Option<f64>,
    pub launch_longitude_deg: Option<f64>,
    pub geodetic_method: Option<String>,
    /// `isa`, or `extendedisa` with its own temperature and pressure.
    pub atmosphere_model: Option<String>,
    pub time_step_s: Option<f64>,
    pub max_time_s: Option<f64>,
}

/// The `<flightdata>` summary attributes. `None` where absent or `NaN`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlightSummary {
    pub max_altitude_m: Option<f64>,
    pub max_velocity_m_s: Option<f64>,
    pub max_acceleration_m_s2: Option<f64>,
    pub max_mach: Option<f64>,
    pub time_to_apogee_s: Option<f64>,
    pub flight_time_s: Option<f64>,
    pub ground_hit_velocity_m_s: Option<f64>,
    pub launch_rod_velocity_m_s: Option<f64>,
    pub deployment_velocity_m_s: Option<f64>,
    pub optimum_delay_s: Option<f64>,
}

/// One `<databranch>`: its columns and events, and how many datapoints it holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataBranch {
    pub name: Option<String>,
    /// Column names exactly as written (they are localized display names).
    pub columns: Vec<String>,
    pub events: Vec<FlightEvent>,
    pub datapoint_count: u64,
    /// The first rows, when [`crate::ork::ParseOptions::datapoint_rows`] asks for them.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub rows: Vec<Vec<f64>>,
}

impl DataBranch {
    /// Index of the first column whose name is one of `names` (exact match).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| names.contains(&c.as_str()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlightEvent {
    pub time_s: f64,
    /// `launch`, `ignition`, `liftoff`, `launchrod`, `burnout`, `apogee`, …
    pub kind: String,
    /// Id of the component that caused it, where the file says.
    pub source: Option<String>,
}
