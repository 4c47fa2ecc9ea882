//! # chokepoint
//!
//! An agent-based model of strategic negotiation under export controls, on
//! `bevy_ecs`. A scenario (RON) describes states, their policies (export
//! controls, tracking, technology restrictions, substitution programs,
//! stockpiles), firms and generated firm populations, negotiation settings
//! and a timeline of exogenous events. Each tick is one week; systems in
//! ordered sets resolve licensing, supply, diversion, production,
//! substitution, pressure and negotiation, then record metrics.
//!
//! ```no_run
//! use chokepoint::{config, sim};
//! let run = config::resolve_run("configs/baseline.ron".as_ref(), &Default::default()).unwrap();
//! let pool = sim::thread_pool(2).unwrap();
//! let tables = sim::run_scenario(&run.scenario, run.run.seed, run.horizon, pool);
//! println!("{:?}", tables.summary);
//! ```

pub mod build;
pub mod config;
pub mod error;
pub mod levers;
pub mod metrics;
pub mod model;
pub mod negotiation;
pub mod output;
pub mod par;
pub mod patterns;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod schema;
pub mod sim;
pub mod soa;
pub mod sweep;
pub mod systems;
pub mod validate;

pub use error::{Error, Result};

/// The crate's version, as the manifests write it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

use std::path::{Path, PathBuf};

/// The result of `run_config`.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub out_dir: PathBuf,
    pub tables: sim::RunTables,
    pub manifest: output::Manifest,
    /// Seconds spent building the world and simulating (no IO).
    pub model_seconds: f64,
}

/// Resolves a run file, runs it and writes its output folder.
pub fn run_config(config_path: &Path, overrides: &config::RunOverrides) -> Result<RunReport> {
    let run = config::resolve_run(config_path, overrides)?;
    let out_dir = run
        .run
        .out
        .as_ref()
        .map_or_else(|| Path::new("out").join(&run.name), PathBuf::from);
    let pool = sim::thread_pool(run.run.threads)?;
    let clock = std::time::Instant::now();
    let tables = sim::run_scenario(&run.scenario, run.run.seed, run.horizon, pool);
    let model_seconds = clock.elapsed().as_secs_f64();
    let manifest = output::Manifest::new(&run);
    output::write_run(&out_dir, &tables, &manifest)?;
    Ok(RunReport {
        out_dir,
        tables,
        manifest,
        model_seconds,
    })
}
