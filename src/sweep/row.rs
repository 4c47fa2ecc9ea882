//! One run of a sweep, from its run id to its row of `runs.csv`.

use super::prepare::{Prepared, run_seed, start_date};
use super::series;
use crate::config;
use crate::metrics::Cell;
use crate::sim::Simulation;

/// Columns every row of `runs.csv` starts with, before the axes and the summary.
pub const FIXED_COLUMNS: [&str; 6] = ["run", "point", "replicate", "seed", "status", "message"];

/// A run's summary cells and, when the sweep keeps them, its weekly series.
type RunOutput = (Vec<(String, Cell)>, Option<series::RunSeries>);

/// One run's row of `runs.csv`, and its weekly series when the sweep keeps them.
pub(super) fn run_row(p: &Prepared, run: u64) -> (Vec<String>, Option<series::RunSeries>) {
    let reps = p.config.replicates as u64;
    let (point, replicate) = (run / reps, run % reps);
    let seed = run_seed(p.config.seed, point, replicate);
    let values = &p.plan.point(point as usize);
    let mut row = vec![
        run.to_string(),
        point.to_string(),
        replicate.to_string(),
        seed.to_string(),
    ];
    let sets: Vec<String> = p
        .plan
        .paths
        .iter()
        .zip(values)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> std::result::Result<RunOutput, String> {
            let scenario = config::apply_overrides(p.base.scenario.clone(), &sets)
                .map_err(|e| e.to_string())?;
            let problems = config::check_scenario(&scenario);
            if !problems.is_empty() {
                let list: Vec<String> = problems.iter().map(|x| x.to_string()).collect();
                return Err(format!("invalid scenario: {}", list.join("; ")));
            }
            let mut sim = Simulation::new(&scenario, seed, start_date(&p.base), 1);
            sim.run(p.base.run.weeks);
            let tables = sim.tables();
            let kept = (!p.config.series.is_empty()).then(|| {
                series::RunSeries::of(run, point, replicate, &tables.timeseries, &p.config.series)
            });
            let summary = tables.summary;
            Ok((
                summary
                    .columns
                    .into_iter()
                    .zip(summary.rows.into_iter().next().unwrap_or_default())
                    .collect(),
                kept,
            ))
        },
    ));
    let mut kept = None;
    let summary = match outcome {
        Ok(Ok((cells, series))) => {
            kept = series;
            Ok(cells)
        }
        Ok(Err(message)) => Err(message),
        Err(panic) => Err(format!("panic: {}", panic_message(&*panic))),
    };
    let summary_start = FIXED_COLUMNS.len() + p.plan.paths.len();
    match summary {
        Ok(cells) => {
            row.push("ok".into());
            let missing: Vec<&String> = p.columns[summary_start..]
                .iter()
                .filter(|c| !cells.iter().any(|(n, _)| n == *c))
                .collect();
            row.push(if missing.is_empty() {
                String::new()
            } else {
                format!("no column {missing:?} in this run")
            });
            row.extend(values.iter().cloned());
            for c in &p.columns[summary_start..] {
                row.push(
                    cells
                        .iter()
                        .find(|(n, _)| n == c)
                        .map_or_else(String::new, |(_, v)| crate::output::cell_text(v)),
                );
            }
        }
        Err(message) => {
            row.push("failed".into());
            row.push(message.replace(['\n', '\r'], " "));
            row.extend(values.iter().cloned());
            row.extend(std::iter::repeat_n(
                String::new(),
                p.columns.len() - summary_start,
            ));
        }
    }
    (row, kept)
}

/// The message of a caught panic.
pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}
