//! Motor configurations (rocket level) and motor mounts (per tube).

use serde::{Deserialize, Serialize};

/// `<motorconfiguration configid=… default=…>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MotorConfiguration {
    pub id: String,
    /// `<name>` where the file has one (older files, or user-named configurations).
    pub name: Option<String>,
    pub default: bool,
    /// `<stage number active/>` children (1.8+).
    pub stages: Vec<StageActivation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageActivation {
    pub number: u32,
    pub active: bool,
}

/// `<motormount>` of a body tube or inner tube.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MotorMount {
    /// Default ignition event (`automatic`, `launch`, `burnout`, `never`, …).
    pub ignition_event: Option<String>,
    pub ignition_delay_s: Option<f64>,
    pub overhang_m: Option<f64>,
    /// One motor per configuration that has one.
    pub motors: Vec<MountedMotor>,
    /// Per configuration ignition overrides (1.6+).
    pub ignition_configs: Vec<IgnitionConfig>,
}

/// `<motor configid=…>` in a mount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MountedMotor {
    pub config_id: String,
    /// `single`, `reload` or `hybrid`.
    pub motor_type: Option<String>,
    pub manufacturer: Option<String>,
    pub designation: Option<String>,
    /// MD5 of the thrust data, as OpenRocket stores it (1.2+).
    pub digest: Option<String>,
    pub diameter_m: Option<f64>,
    pub length_m: Option<f64>,
    /// Ejection delay; `None` for `none` (plugged).
    pub delay_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnitionConfig {
    pub config_id: String,
    pub event: Option<String>,
    pub delay_s: Option<f64>,
}
