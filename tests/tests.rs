//! Integration tests: one binary, modules inside.

#[path = "it/common.rs"]
mod common;

#[path = "it/adaptation.rs"]
mod adaptation;
#[path = "it/bad_input.rs"]
mod bad_input;
#[path = "it/bargaining.rs"]
mod bargaining;
#[path = "it/browser.rs"]
mod browser;
#[path = "it/cli.rs"]
mod cli;
#[path = "it/conservation.rs"]
mod conservation;
#[path = "it/determinism.rs"]
mod determinism;
#[path = "it/docs.rs"]
mod docs;
#[path = "it/errors.rs"]
mod errors;
#[path = "it/escalation.rs"]
mod escalation;
#[path = "it/generality.rs"]
mod generality;
#[path = "it/markets.rs"]
mod markets;
#[path = "it/military.rs"]
mod military;
#[path = "it/mutated.rs"]
mod mutated;
#[path = "it/owned.rs"]
mod owned;
#[path = "it/parquet_types.rs"]
mod parquet_types;
#[path = "it/ranges.rs"]
mod ranges;
#[path = "it/report.rs"]
mod report;
#[path = "it/report_nan.rs"]
mod report_nan;
#[path = "it/run_file.rs"]
mod run_file;
#[path = "it/schema.rs"]
mod schema;
#[path = "it/snapshot.rs"]
mod snapshot;
#[path = "it/sweep.rs"]
mod sweep;
#[path = "it/sweep_axes.rs"]
mod sweep_axes;
#[path = "it/terms.rs"]
mod terms;
