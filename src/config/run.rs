//! The run file (`configs/*.ron`): which model, how long, which seed, where
//! the output goes, and overrides.

use serde::{Deserialize, Serialize};

/// A run of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Path of the scenario file, relative to this file's folder.
    pub model: String,
    /// Weeks to simulate, in [1, 5200]. Default 104.
    #[serde(default = "default_weeks", deserialize_with = "super::whole::whole")]
    pub weeks: u32,
    /// Date of week 0, ISO 8601, in the years 1000 to 9999. Default "2025-04-04".
    #[serde(default = "default_start")]
    pub start_date: String,
    /// Seed of every random stream, a whole number in [0, 2^53 - 1] (so that R
    /// and JavaScript, which read numbers as doubles, read it exactly). Default 1.
    #[serde(default = "default_seed", deserialize_with = "super::whole::whole")]
    pub seed: u64,
    /// Output folder. Default `out/<config file name>` (relative to the
    /// working directory).
    #[serde(default)]
    pub out: Option<String>,
    /// Worker threads for the firm systems, in [0, 1024]; 0 = one per core. Default 1.
    #[serde(default = "default_threads", deserialize_with = "super::whole::whole")]
    pub threads: usize,
    /// Overrides applied to the scenario, `dotted.path=RON value`, same as `--set`.
    #[serde(default)]
    pub set: Vec<String>,
}

impl RunConfig {
    /// A run of `model` (a path relative to the run file's folder) with
    /// every other setting at its default.
    pub fn for_model(model: String) -> Self {
        RunConfig {
            model,
            weeks: default_weeks(),
            start_date: default_start(),
            seed: default_seed(),
            out: None,
            threads: default_threads(),
            set: Vec::new(),
        }
    }
}

fn default_weeks() -> u32 {
    104
}
pub(crate) fn default_start() -> String {
    "2025-04-04".into()
}
fn default_seed() -> u64 {
    1
}
fn default_threads() -> usize {
    1
}
