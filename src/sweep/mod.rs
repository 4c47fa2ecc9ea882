//! Batch sweeps: a sweep file expands into runs (design points x
//! replicates), run by `jobs` worker threads that take run ids in order;
//! their rows are appended in run order to this shard's part file, in
//! synced batches. A killed sweep resumes from its part file; `merge` joins
//! the parts and computes the per-point aggregates and Sobol indices.
//! Memory stays flat in the number of runs: only rows not yet written (about
//! one batch, plus one per worker) are held.
//!
//! `prepare` reads and checks a sweep (`prepare.rs`), `run_sweep` runs a
//! shard (`runner.rs`) one row at a time (`row.rs`) into its part file
//! (`parts.rs`), and `merge::merge` joins the parts.

pub mod columns;
pub mod design;
pub mod merge;
mod parts;
mod prepare;
mod row;
mod runner;
pub mod series;
pub mod slurm;
pub mod stats;

pub use parts::{Shard, claim_folder};
pub use prepare::{NAMING_RULE, Prepared, SweepManifest, prepare, run_seed};
pub use row::{FIXED_COLUMNS, FIXED_TYPES, Row, Status, axis_column, panic_message};
pub use runner::{Progress, SweepOptions, SweepReport, WORKER_THREAD, run_sweep};
