//! The sweep file (`configs/sweep_*.ron`): a base run file, axes over
//! scenario parameters (by `--set` paths), a design, replicates and a seed.

use super::scenario::Dist;
use serde::{Deserialize, Serialize};

/// A batch of runs of one run file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Sweep")]
pub struct SweepConfig {
    /// Run file the sweep varies, relative to this file's folder. Its
    /// weeks, start date and `set` apply to every run; its seed does not.
    pub base: String,
    /// Parameters to vary, each by a dotted `--set` path.
    pub axes: Vec<AxisDef>,
    /// How design points are chosen. Default FullFactorial.
    #[serde(default)]
    pub design: Design,
    /// Runs per design point, each with its own seed, in [1, 1e8]; design
    /// points x replicates at most 1e8. Default 1.
    #[serde(default = "one", deserialize_with = "super::whole::whole")]
    pub replicates: u32,
    /// Base seed: run seeds are derived from (seed, design point, replicate);
    /// any whole number in [0, 2^64 - 1]. Default 1.
    #[serde(default = "one_u64", deserialize_with = "super::whole::whole")]
    pub seed: u64,
    /// Summary columns to compute Sobol indices for (Sobol design only).
    /// Default: every numeric summary column with a value in every run.
    #[serde(default)]
    pub sensitivity: Vec<String>,
    /// Bootstrap resamples for the Sobol confidence intervals, in [0, 100000]. Default 500.
    #[serde(
        default = "default_bootstrap",
        deserialize_with = "super::whole::whole"
    )]
    pub bootstrap: u32,
    /// Output folder. Default `out/<sweep file name>` (relative to the working directory).
    #[serde(default)]
    pub out: Option<String>,
    /// Weekly timeseries.csv columns to keep for every run, e.g.
    /// `["US_pressure_index", "CN_ndfeb_magnets_to_US_exports_kg"]` (docs/OUTPUTS.md): streamed to
    /// Parquet beside the rows and merged into `series.parquet` (one row per
    /// run and week), from which `chokepoint report` draws ensemble bands.
    /// Default none.
    // Not serialised when empty, so the hash of a sweep without series is
    // what it was before this field existed (such sweeps still resume).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<String>,
}

fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn default_bootstrap() -> u32 {
    500
}

/// One varied parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Axis")]
pub struct AxisDef {
    /// Dotted path into the scenario, as for `--set`, e.g. `negotiation.deadline_weeks`.
    pub path: String,
    /// The values it takes.
    pub values: AxisValues,
}

/// The values of an axis. Before any run, `validate` and `sweep` check the
/// values against the range of the field they set, each alone on the base
/// scenario (a distribution at both ends of its support, so it must be
/// bounded: every numeric field has an upper bound). A design point can
/// still fail on a mix of values (e.g. validity_weeks outside a varied
/// validity_range); its runs are recorded as failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum AxisValues {
    /// These numbers.
    List(Vec<f64>),
    /// min, min + step, ... up to max (inclusive, within a millionth of a
    /// step); at most 1e6 values.
    Range { min: f64, max: f64, step: f64 },
    /// These RON values, as text: `["Linear", "Conceder(e: 2.0)"]`.
    Choices(Vec<String>),
    /// A continuous distribution (Latin hypercube and Sobol designs only),
    /// e.g. `Distribution(Uniform(min: 0.2, max: 0.5))`.
    Distribution(Dist),
}

/// How design points are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Design {
    /// Every combination of the axes' values (no Distribution axes).
    #[default]
    FullFactorial,
    /// `samples` points (in [1, 1e8]), one per stratum of every axis.
    LatinHypercube {
        #[serde(deserialize_with = "super::whole::whole")]
        samples: u32,
    },
    /// Saltelli sampling for Sobol indices: `samples` (N, in [2, 65536])
    /// base points give N (k + 2) design points for k axes.
    Sobol {
        #[serde(deserialize_with = "super::whole::whole")]
        samples: u32,
    },
}
