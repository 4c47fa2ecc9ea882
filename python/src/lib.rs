//! `chokepoint._native`: the model's library seen from Python. The Python
//! package (`python/src/chokepoint`) wraps these functions; each takes the
//! same inputs as the command line and returns what the command line
//! writes, in memory: run tables as Arrow IPC streams (read by polars),
//! manifests as JSON. The GIL is released while the model runs, and Ctrl-C
//! (Python's `KeyboardInterrupt`) stops a run, and the runs of a sweep,
//! between two weeks.

use chokepoint::config::{self, ResolvedRun, RunOverrides};
use chokepoint::output::{self, columnar};
use chokepoint::sim;
use chokepoint::sweep;
use chokepoint::validate::{self, FileKind};
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How often a waiting call looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// A library error as the package's exception: `InputError` for the
/// user's input (the command line's exit code 2), `ChokepointError` for the
/// rest, with the command line's message and the file, line, column and
/// field it names.
fn py_err(py: Python<'_>, e: chokepoint::Error) -> PyErr {
    use chokepoint::Error as E;
    let message = e.to_string();
    let (file, line, column, field, problems): (Option<&Path>, _, _, Option<String>, Vec<_>) =
        match &e {
            E::Parse {
                path,
                line,
                column,
                field,
                message,
            } => (
                Some(path),
                Some(*line),
                Some(*column),
                Some(field.clone()).filter(|f| !f.is_empty() && f != "."),
                vec![(field.clone(), message.clone())],
            ),
            E::Invalid { path, problems } => (
                Some(path),
                None,
                None,
                problems.first().map(|p| p.field.clone()),
                problems
                    .iter()
                    .map(|p| (p.field.clone(), p.message.clone()))
                    .collect(),
            ),
            E::Override {
                assignment,
                message,
            } => {
                let path = assignment
                    .split_once('=')
                    .map_or(&assignment[..], |(p, _)| p);
                let field = path.trim().to_string();
                (
                    None,
                    None,
                    None,
                    Some(field.clone()),
                    vec![(field, message.clone())],
                )
            }
            E::Io { path, .. }
            | E::Folder { path, .. }
            | E::Read { path, .. }
            | E::InTheWay { path, .. }
            | E::Stopped { dir: path, .. } => (Some(path), None, None, None, Vec::new()),
            E::Usage(_) | E::Output(_) => (None, None, None, None, Vec::new()),
        };
    let class = if e.is_input_error() {
        "InputError"
    } else {
        "ChokepointError"
    };
    let made = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        // An invalid model with command-line overrides is named
        // `MODEL (with --set ...)`: the file is the part before.
        let file = file.map(|p| {
            let text = p.display().to_string();
            text.split_once(" (with --set ")
                .map_or(text.clone(), |(f, _)| f.to_string())
        });
        kwargs.set_item("file", file)?;
        kwargs.set_item("line", line)?;
        kwargs.set_item("column", column)?;
        kwargs.set_item("field", field)?;
        kwargs.set_item("problems", problems)?;
        let class = py.import("chokepoint.errors")?.getattr(class)?;
        let value = class.call((message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(value))
    };
    made().unwrap_or_else(|err| err)
}

/// A run file (or scenario file) resolved with its overrides and run settings.
fn resolve(path: &Path, overrides: &RunOverrides) -> chokepoint::Result<ResolvedRun> {
    let text = config::read_file(path)?;
    match validate::sniff_kind(&text) {
        FileKind::Run => config::resolve_run(path, overrides),
        FileKind::Scenario => config::resolve_model(path, overrides),
        FileKind::Sweep => Err(chokepoint::Error::Usage(format!(
            "{} is a sweep file: load its base run file, or call chokepoint.sweep()",
            path.display()
        ))),
    }
}

/// `resolve` with the command line's `--set`, `--seed`, `--weeks` and
/// `--threads`, the GIL released.
fn resolve_with(
    py: Python<'_>,
    path: &Path,
    sets: Vec<String>,
    seed: Option<u64>,
    weeks: Option<u32>,
    threads: Option<usize>,
) -> PyResult<ResolvedRun> {
    let overrides = RunOverrides {
        seed,
        weeks,
        threads,
        set: sets,
        out: None,
    };
    py.detach(|| resolve(path, &overrides))
        .map_err(|e| py_err(py, e))
}

/// Checks a run or scenario file with `sets` (`--set` assignments) applied
/// and the run settings given, and returns the run's manifest as JSON.
#[pyfunction]
#[pyo3(signature = (path, sets, seed=None, weeks=None, threads=None))]
fn check(
    py: Python<'_>,
    path: PathBuf,
    sets: Vec<String>,
    seed: Option<u64>,
    weeks: Option<u32>,
    threads: Option<usize>,
) -> PyResult<String> {
    let run = resolve_with(py, &path, sets, seed, weeks, threads)?;
    manifest_json(&run)
}

fn manifest_json(run: &ResolvedRun) -> PyResult<String> {
    let mut manifest = output::Manifest::new(run);
    manifest.files.clear();
    serde_json::to_string(&manifest)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// Applies `sets` to the run or scenario file as `chokepoint run` does,
/// and raises what it would raise, but for the values the scenario's
/// check finds out of range (found by `check`): an unknown path, a value of
/// the wrong kind, a run file or model that cannot be read or parsed, a
/// missing model, a bad run setting.
#[pyfunction]
fn apply_sets(py: Python<'_>, path: PathBuf, sets: Vec<String>) -> PyResult<()> {
    let overrides = RunOverrides {
        set: sets,
        ..RunOverrides::default()
    };
    let applied = py.detach(|| {
        let run_file =
            config::read_file(&path).is_ok_and(|text| validate::sniff_kind(&text) == FileKind::Run);
        match resolve(&path, &overrides) {
            // the model's check: its path is the model's, not the run file's
            Err(chokepoint::Error::Invalid { path: named, .. }) if !run_file || named != path => {
                Ok(())
            }
            other => other.map(drop),
        }
    });
    applied.map_err(|e| py_err(py, e))
}

/// Runs a task on its own thread while this one, the GIL released, waits
/// and looks for Ctrl-C every `SIGNAL_POLL`; `on_message` is called (with
/// the GIL) for each message the task sends. On Ctrl-C, `stop` is set, the
/// task is waited for; the interrupt (or the callback's error) is returned
/// with the task's result, which may be whole if it came at the very end.
fn wait_for<T: Send + 'static, M: Send + 'static>(
    py: Python<'_>,
    stop: Arc<AtomicBool>,
    task: impl FnOnce(mpsc::Sender<M>) -> T + Send + 'static,
    mut on_message: impl FnMut(Python<'_>, M) -> PyResult<()>,
) -> PyResult<(Option<PyErr>, T)> {
    let (tx, rx) = mpsc::channel::<M>();
    // Shared with the closure that waits without the GIL.
    let rx = std::sync::Mutex::new(rx);
    let handle = std::thread::Builder::new()
        .name("chokepoint-python".into())
        .spawn(move || task(tx))
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let mut interrupted = None;
    loop {
        let received = py.detach(|| {
            rx.lock()
                .unwrap_or_else(|e| e.into_inner())
                .recv_timeout(SIGNAL_POLL)
        });
        match received {
            Ok(message) => {
                if interrupted.is_none()
                    && let Err(e) = on_message(py, message)
                {
                    stop.store(true, Ordering::Relaxed);
                    interrupted = Some(e);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if interrupted.is_none()
            && let Err(e) = py.check_signals()
        {
            stop.store(true, Ordering::Relaxed);
            interrupted = Some(e);
        }
    }
    let result = py.detach(|| handle.join());
    let result = result.map_err(|panic| {
        let text = sweep::panic_message(&*panic);
        pyo3::exceptions::PyRuntimeError::new_err(format!("the model panicked: {text}"))
    })?;
    Ok((interrupted, result))
}

/// Runs a run or scenario file with `sets` applied, in memory, and returns
/// its manifest (JSON), the model's seconds and its tables as Arrow IPC
/// streams: `timeseries`, `transcript`, `terms`, `summary`.
#[pyfunction]
#[pyo3(signature = (path, sets, seed=None, weeks=None, threads=None))]
fn run(
    py: Python<'_>,
    path: PathBuf,
    sets: Vec<String>,
    seed: Option<u64>,
    weeks: Option<u32>,
    threads: Option<usize>,
) -> PyResult<Py<PyDict>> {
    let resolved = resolve_with(py, &path, sets, seed, weeks, threads)?;
    let manifest = manifest_json(&resolved)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // `None`: stopped by Ctrl-C.
    let task = move |_: mpsc::Sender<()>| -> chokepoint::Result<(Option<sim::RunTables>, f64)> {
        let pool = sim::thread_pool(resolved.run.threads)?;
        let clock = std::time::Instant::now();
        let stopped = || flag.load(Ordering::Relaxed);
        let tables = sim::run_scenario_until(
            &resolved.scenario,
            resolved.run.seed,
            resolved.horizon,
            pool,
            &stopped,
        );
        Ok((tables, clock.elapsed().as_secs_f64()))
    };
    let (interrupted, result) = wait_for(py, stop, task, |_, ()| Ok(()))?;
    if let Some(e) = interrupted {
        return Err(e);
    }
    let (tables, seconds) = result.map_err(|e| py_err(py, e))?;
    let tables = tables.ok_or_else(|| PyKeyboardInterrupt::new_err("the run stopped"))?;
    let out = PyDict::new(py);
    out.set_item("manifest", manifest)?;
    out.set_item("model_seconds", seconds)?;
    let named = [
        ("timeseries", &tables.timeseries),
        ("transcript", &tables.transcript),
        ("terms", &tables.terms),
        ("summary", &tables.summary),
    ];
    for (name, table) in named {
        let bytes = py.detach(|| ipc_stream(table)).map_err(|e| py_err(py, e))?;
        out.set_item(name, PyBytes::new(py, &bytes))?;
    }
    Ok(out.unbind())
}

/// A table as an Arrow IPC stream of its declared types.
fn ipc_stream(table: &chokepoint::metrics::Table) -> chokepoint::Result<Vec<u8>> {
    let batch = columnar::record_batch(table)?;
    fn err(e: impl std::fmt::Display) -> chokepoint::Error {
        chokepoint::Error::Output(e.to_string())
    }
    let mut writer =
        arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &batch.schema()).map_err(err)?;
    writer.write(&batch).map_err(err)?;
    writer.finish().map_err(err)?;
    writer.into_inner().map_err(err)
}

/// Runs a sweep file (or one shard of it, or what a `resume` leaves), as
/// `chokepoint sweep` does, and returns its output folder when it is merged
/// (an unsharded sweep), `None` for a shard. `progress(done, total,
/// failed)` is called after every batch of rows written.
#[pyfunction]
#[pyo3(signature = (path, out=None, jobs=None, resume=false, shard=None, progress=None))]
fn run_sweep(
    py: Python<'_>,
    path: PathBuf,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    resume: bool,
    shard: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Option<String>> {
    let prepared = py
        .detach(|| -> chokepoint::Result<_> {
            let shard = match shard {
                Some(text) => sweep::Shard::parse(&text)?,
                None => sweep::Shard::from_slurm_env()?.unwrap_or(sweep::Shard::ALL),
            };
            Ok((sweep::prepare(&path, out.as_deref())?, shard))
        })
        .map_err(|e| py_err(py, e))?;
    let (prepared, shard) = prepared;
    let dir = prepared.out_dir.display().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let options = sweep::SweepOptions {
        jobs,
        shard,
        resume,
        stop: Some(stop.clone()),
    };
    let task = move |tx: mpsc::Sender<sweep::Progress>| {
        sweep::run_sweep(&prepared, &options, &mut |p| {
            let _ = tx.send(p);
        })
    };
    let (interrupted, report) =
        wait_for(py, stop, task, |py, p: sweep::Progress| match &progress {
            Some(callback) => callback.call1(py, (p.done, p.total, p.failed)).map(drop),
            None => Ok(()),
        })?;
    match (interrupted, report) {
        (None, Ok(report)) => Ok(report.merged.map(|_| dir)),
        (None, Err(e)) => Err(py_err(py, e)),
        (Some(e), report) if e.is_instance_of::<PyKeyboardInterrupt>(py) => {
            let state = match report {
                Ok(_) => "had finished before it could stop: its folder is complete".to_string(),
                Err(_) => format!(
                    "stopped; its folder {dir} keeps the runs done: \
                     chokepoint.sweep(..., resume=True) or `chokepoint sweep --resume` completes it"
                ),
            };
            Err(PyKeyboardInterrupt::new_err(format!("the sweep {state}")))
        }
        (Some(e), _) => Err(e),
    }
}

/// A sweep folder's manifest (`sweep.ron`) as JSON, with the column of each axis.
#[pyfunction]
fn sweep_manifest(py: Python<'_>, dir: PathBuf) -> PyResult<String> {
    let path = dir.join("sweep.ron");
    let manifest = py
        .detach(|| -> chokepoint::Result<sweep::SweepManifest> {
            config::parse_ron(&path, &config::read_file(&path)?)
        })
        .map_err(|e| py_err(py, e))?;
    let mut value = serde_json::to_value(&manifest)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let columns: Vec<String> = manifest
        .axes
        .iter()
        .map(|a| sweep::axis_column(a))
        .collect();
    value["axis_columns"] = serde_json::json!(columns);
    Ok(value.to_string())
}

/// Joins the shards of a sweep folder and computes its aggregates
/// (`chokepoint merge`).
#[pyfunction]
fn merge(py: Python<'_>, dir: PathBuf) -> PyResult<()> {
    py.detach(|| sweep::merge::merge(&dir))
        .map(drop)
        .map_err(|e| py_err(py, e))
}

/// The version of the model's crate.
#[pyfunction]
fn version() -> &'static str {
    chokepoint::VERSION
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(apply_sets, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(run_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
