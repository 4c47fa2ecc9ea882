//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn data(name: &str) -> PathBuf {
    root().join("tests/data").join(name)
}

/// Runs the binary with `args` in `cwd`.
pub fn chokepoint(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `configs/baseline.ron` with `seed` into `out`; it must succeed.
pub fn run_baseline(out: &Path, seed: u64) {
    let o = chokepoint(
        &root(),
        &[
            "run",
            "configs/baseline.ron",
            "--seed",
            &seed.to_string(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Reads the three CSV files and the manifest of an output folder.
pub fn read_outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    [
        "timeseries.csv",
        "transcript.csv",
        "summary.csv",
        "manifest.ron",
    ]
    .iter()
    .map(|f| {
        (
            f.to_string(),
            std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")),
        )
    })
    .collect()
}

/// The small test scenario, parsed.
pub fn small_scenario() -> chokepoint::config::Scenario {
    chokepoint::config::load_scenario(&data("small.ron"))
        .expect("small scenario is valid")
        .raw()
        .clone()
}

/// A simulation of `s`, which must be valid, from `start()`, on `threads`
/// worker threads.
pub fn simulation(
    s: &chokepoint::config::Scenario,
    seed: u64,
    threads: usize,
) -> chokepoint::sim::Simulation {
    let valid = chokepoint::config::ValidScenario::check(s.clone())
        .unwrap_or_else(|p| panic!("invalid scenario: {p:?}"));
    let pool = chokepoint::sim::thread_pool(threads).expect("a thread pool");
    chokepoint::sim::Simulation::new(&valid, seed, start(), pool)
}

pub fn start() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap()
}

/// A run of `s` for `weeks` weeks on one thread: its tables.
pub fn run_for(
    s: &chokepoint::config::Scenario,
    seed: u64,
    weeks: u32,
) -> chokepoint::sim::RunTables {
    let mut sim = simulation(s, seed, 1);
    for _ in 0..weeks {
        sim.step();
    }
    sim.tables()
}

/// A cell's number (NaN for an empty cell).
pub fn num(c: &chokepoint::metrics::Cell) -> f64 {
    use chokepoint::metrics::Cell;
    match c {
        Cell::Num(v) => *v,
        Cell::Int(v) => *v as f64,
        Cell::Empty => f64::NAN,
        other => panic!("{other:?}"),
    }
}

/// The first row's value of `column`.
pub fn value(t: &chokepoint::metrics::Table, column: &str) -> f64 {
    let col = t.column(column).unwrap_or_else(|| panic!("no {column}"));
    num(col[0])
}

/// Every row's value of `column`.
pub fn series(t: &chokepoint::metrics::Table, column: &str) -> Vec<f64> {
    let col = t.column(column).unwrap_or_else(|| panic!("no {column}"));
    col.into_iter().map(num).collect()
}
