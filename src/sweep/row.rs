//! One run of a sweep, from its run id to its row of `runs.csv`.

use super::prepare::{Prepared, run_seed};
use super::series::RunSeries;
use crate::config::{self, ValidScenario};
use crate::error::{Error, Result};
use crate::metrics::Cell;
use std::path::Path;

/// Columns every row of `runs.csv` starts with, before the axes and the
/// summary: the names of `columns::FIXED`.
pub const FIXED_COLUMNS: [&str; 6] = {
    let f = &super::columns::FIXED;
    [
        f[0].0.pattern,
        f[1].0.pattern,
        f[2].0.pattern,
        f[3].0.pattern,
        f[4].0.pattern,
        f[5].0.pattern,
    ]
};

/// Types of `FIXED_COLUMNS`: run, point, replicate and seed (53 bits) are
/// Int64, status and message text.
pub const FIXED_TYPES: [crate::metrics::ColumnType; 6] = {
    let f = &super::columns::FIXED;
    [f[0].1, f[1].1, f[2].1, f[3].1, f[4].1, f[5].1]
};

/// The columns every row of `runs.csv` starts with and their types: the
/// fixed columns, then each axis (text for `Choices`, Float64 for numbers).
pub fn leading_columns(
    axes: &[crate::config::AxisDef],
) -> Vec<(String, crate::metrics::ColumnType)> {
    use crate::metrics::ColumnType;
    let fixed = FIXED_COLUMNS.iter().map(|c| c.to_string()).zip(FIXED_TYPES);
    let axes = axes.iter().map(|a| {
        let t = match a.values {
            crate::config::AxisValues::Choices(_) => ColumnType::Text,
            _ => ColumnType::Float,
        };
        (axis_column(&a.path), t)
    });
    fixed.chain(axes).collect()
}

/// The column of an axis in runs.csv and points.csv: its path with every
/// character outside `[A-Za-z0-9_]` made `_`
/// (`negotiation.deadline_weeks` is `negotiation_deadline_weeks`).
pub fn axis_column(path: &str) -> String {
    crate::schema::sanitize(path)
}

/// Whether a run gave its outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// The run's scenario was invalid, or the run panicked; the message says which.
    Failed,
}

impl Status {
    /// The name of its column in `runs.csv` and the part files.
    pub const COLUMN: &str = super::columns::STATUS.pattern;

    /// Its text in `runs.csv`.
    pub fn text(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
        }
    }

    /// The status a cell of the `status` column holds, if it holds one.
    pub fn parse(text: &str) -> Option<Status> {
        [Status::Ok, Status::Failed]
            .into_iter()
            .find(|s| s.text() == text)
    }
}

/// Where the `status` column is in the header of `runs.csv` or of a part
/// file (`path`, named in the error).
pub(super) fn status_column(path: &Path, header: &csv::StringRecord) -> Result<usize> {
    header
        .iter()
        .position(|c| c == Status::COLUMN)
        .ok_or_else(|| Error::Folder {
            path: path.to_path_buf(),
            message: format!(
                "its header has no `{}` column: not a sweep's rows",
                Status::COLUMN
            ),
        })
}

/// A row of `runs.csv`: one run, its design point's values and its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub run: u64,
    pub point: u64,
    pub replicate: u64,
    pub seed: u64,
    pub status: Status,
    /// Why the run failed, or the summary columns it lacks; empty otherwise.
    pub message: String,
    /// The design point's values (RON text), one per axis.
    pub axes: Vec<String>,
    /// One cell per summary column of the header, all empty in a failed run.
    pub summary: Vec<String>,
}

impl Row {
    /// The CSV record, in the header's order: `FIXED_COLUMNS`, axes, summary.
    pub fn into_record(self) -> Vec<String> {
        let mut record =
            Vec::with_capacity(FIXED_COLUMNS.len() + self.axes.len() + self.summary.len());
        record.extend([self.run, self.point, self.replicate, self.seed].map(|n| n.to_string()));
        record.push(self.status.text().into());
        record.push(self.message);
        record.extend(self.axes);
        record.extend(self.summary);
        record
    }
}

/// A run's summary cells and, when the sweep keeps them, its weekly series.
type RunOutput = (Vec<(String, Cell)>, Option<RunSeries>);

/// One run's row of `runs.csv`, and its weekly series when the sweep keeps them.
#[cfg(test)]
pub(super) fn run_row(p: &Prepared, run: u64) -> (Row, Option<RunSeries>) {
    run_row_until(p, run, &|| false).expect("a run that is never stopped ends")
}

/// `run_row`, asking `stop` before each week of the run: `None` when it
/// said yes (no row: the run is done again on `--resume`).
pub(super) fn run_row_until(
    p: &Prepared,
    run: u64,
    stop: &dyn Fn() -> bool,
) -> Option<(Row, Option<RunSeries>)> {
    row_from(p, run, |row| simulate(p, row, stop))
}

/// The row of run `run`, its outputs made by `simulate` from the row's run,
/// seed and axis values. An error or a panic in `simulate` fails the run;
/// `None` when `simulate` was stopped.
fn row_from(
    p: &Prepared,
    run: u64,
    simulate: impl FnOnce(&Row) -> std::result::Result<Option<RunOutput>, String>,
) -> Option<(Row, Option<RunSeries>)> {
    let reps = p.config.replicates as u64;
    let (point, replicate) = (run / reps, run % reps);
    let mut row = Row {
        run,
        point,
        replicate,
        seed: run_seed(p.config.seed, point, replicate),
        status: Status::Failed,
        message: String::new(),
        axes: p.plan.point(point as usize),
        summary: Vec::new(),
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| simulate(&row)))
        .unwrap_or_else(|panic| Err(format!("panic: {}", panic_message(&*panic))));
    let columns = &p.columns[FIXED_COLUMNS.len() + p.plan.paths.len()..];
    Some(match outcome {
        // a stopped run: it has no row
        Ok(None) => return None,
        Ok(Some((cells, series))) => {
            let cell = |c: &String| cells.iter().find(|(n, _)| n == c);
            let missing: Vec<&String> = columns.iter().filter(|c| cell(c).is_none()).collect();
            row.status = Status::Ok;
            if !missing.is_empty() {
                row.message = format!("no column {missing:?} in this run");
            }
            row.summary = columns
                .iter()
                .map(|c| cell(c).map_or_else(String::new, |(_, v)| crate::output::cell_text(v)))
                .collect();
            (row, series)
        }
        Err(message) => {
            row.message = message.replace(['\n', '\r'], " ");
            row.summary = vec![String::new(); columns.len()];
            (row, None)
        }
    })
}

/// Runs the base scenario at the row's design point with the row's seed.
fn simulate(
    p: &Prepared,
    row: &Row,
    stop: &dyn Fn() -> bool,
) -> std::result::Result<Option<RunOutput>, String> {
    let sets: Vec<String> = p
        .plan
        .paths
        .iter()
        .zip(&row.axes)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let scenario =
        config::apply_overrides(p.base.scenario.raw().clone(), &sets).map_err(|e| e.to_string())?;
    let scenario = ValidScenario::check(scenario).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|x| x.to_string()).collect();
        format!("invalid scenario: {}", list.join("; "))
    })?;
    let Some(tables) =
        crate::sim::run_scenario_until(&scenario, row.seed, p.base.horizon, None, stop)
    else {
        return Ok(None);
    };
    let kept = (!p.config.series.is_empty()).then(|| {
        RunSeries::of(
            row.run,
            row.point,
            row.replicate,
            &tables.timeseries,
            &p.config.series,
        )
    });
    let summary = tables.summary;
    Ok(Some((
        summary
            .columns
            .into_iter()
            .zip(summary.rows.into_iter().next().unwrap_or_default())
            .collect(),
        kept,
    )))
}

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_sweep() -> Prepared {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        super::super::prepare(&dir.join("sweep_small.ron"), Some(&dir.join("unused"))).unwrap()
    }

    #[test]
    fn a_run_that_panics_is_a_failed_row_with_the_message() {
        let p = small_sweep();
        let (row, series) = row_from(&p, 4, |_| panic!("boom\nat week 3")).unwrap();
        assert_eq!(row.status, Status::Failed);
        assert_eq!(row.message, "panic: boom at week 3");
        assert!(series.is_none());
        assert_eq!((row.point, row.replicate), (1, 1));
        assert_eq!(row.seed, run_seed(p.config.seed, 1, 1));
        let record = row.into_record();
        assert_eq!(record.len(), p.columns.len());
        assert_eq!(record[FIXED_COLUMNS.len()..], {
            let mut cells = p.plan.point(1);
            cells.resize(p.columns.len() - FIXED_COLUMNS.len(), String::new());
            cells
        });
    }

    #[test]
    fn a_run_gives_an_ok_row_with_every_summary_column() {
        let p = small_sweep();
        let (row, series) = run_row(&p, 0);
        assert_eq!((row.status, row.message.as_str()), (Status::Ok, ""));
        assert!(series.is_some(), "the sweep keeps series");
        let summary_columns = p.columns.len() - FIXED_COLUMNS.len() - p.plan.paths.len();
        assert_eq!(row.summary.len(), summary_columns);
        let record = row.into_record();
        assert_eq!(record.len(), p.columns.len());
        let header = csv::StringRecord::from(p.columns.clone());
        let status = status_column(Path::new("runs.csv"), &header).unwrap();
        assert_eq!(record[status], Status::Ok.text());
    }

    #[test]
    fn statuses_read_back_from_their_text() {
        for s in [Status::Ok, Status::Failed] {
            assert_eq!(Status::parse(s.text()), Some(s));
        }
        assert_eq!(Status::parse("OK"), None);
    }
}
