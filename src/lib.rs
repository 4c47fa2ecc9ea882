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
//! use chokepoint::{config, sim::Simulation};
//! let run = config::resolve_run("configs/baseline.ron".as_ref(), &Default::default()).unwrap();
//! let start = chrono::NaiveDate::parse_from_str(&run.run.start_date, "%Y-%m-%d").unwrap();
//! let mut sim = Simulation::new(&run.scenario, run.run.seed, start, 1);
//! sim.run(run.run.weeks);
//! let tables = sim.tables();
//! println!("{:?}", tables.summary);
//! ```

pub mod build;
pub mod config;
pub mod error;
pub mod metrics;
pub mod model;
pub mod negotiation;
pub mod output;
pub mod par;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod sim;
pub mod soa;
pub mod sweep;
pub mod systems;
pub mod validate;

pub use error::{Error, Result};

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
    let start =
        chrono::NaiveDate::parse_from_str(&run.run.start_date, "%Y-%m-%d").expect("checked date");
    let out_dir = run
        .run
        .out
        .as_ref()
        .map_or_else(|| Path::new("out").join(&run.name), PathBuf::from);
    let clock = std::time::Instant::now();
    let mut sim = sim::Simulation::new(&run.scenario, run.run.seed, start, run.run.threads);
    sim.run(run.run.weeks);
    let tables = sim.tables();
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
