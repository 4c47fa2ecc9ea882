//! Batch sweeps: a sweep file expands into runs (design points x
//! replicates), run by `jobs` worker threads that take run ids in order;
//! their rows are appended in run order to this shard's part file, in
//! synced batches. A killed sweep resumes from its part file; `merge` joins
//! the parts and computes the per-point aggregates and Sobol indices.
//! Memory stays flat in the number of runs: only rows not yet written (about
//! one batch, plus one per worker) are held.

pub mod design;
pub mod merge;
pub mod series;
pub mod slurm;
pub mod stats;

use crate::config::{self, ResolvedRun, RunOverrides, SweepConfig, ValidScenario};
use crate::error::{Error, Problem, Result};
use crate::metrics::Cell;
use crate::output::owned::{self, Owner};
use crate::rng::{self, Stream};
use design::Plan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Columns every row of `runs.csv` starts with, before the axes and the summary.
pub const FIXED_COLUMNS: [&str; 6] = ["run", "point", "replicate", "seed", "status", "message"];

/// A sweep ready to run: the file, its base run, and its design.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub path: PathBuf,
    pub config: SweepConfig,
    pub base: ResolvedRun,
    pub plan: Plan,
    pub out_dir: PathBuf,
    pub manifest: SweepManifest,
    /// Header of `runs.csv`.
    pub columns: Vec<String>,
}

/// `sweep.ron`: what every shard and `merge` agree on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepManifest {
    pub crate_version: String,
    pub sweep_file: String,
    /// SHA-256 of the sweep, its resolved base run and scenario.
    pub hash: String,
    pub points: u64,
    pub replicates: u32,
    pub runs: u64,
    pub axes: Vec<String>,
    /// Saltelli layout (N, k) for a Sobol design.
    pub saltelli: Option<(u64, u64)>,
    pub sensitivity: Vec<String>,
    pub bootstrap: u32,
    pub seed: u64,
    pub sweep: SweepConfig,
}

/// Which slice of the runs this process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` with 0 <= K < N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {text}: expected K/N with 0 <= K < N, e.g. 0/4"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// From `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`) and
    /// `SLURM_ARRAY_TASK_COUNT`, when both are set.
    pub fn from_slurm_env() -> Result<Option<Shard>> {
        let get = |k: &str| std::env::var(k).ok();
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| Error::Usage(format!("SLURM array variable `{s}` is not a number")))
        };
        let (id, count) = (num(&id)?, num(&count)?);
        let min = get("SLURM_ARRAY_TASK_MIN").map_or(Ok(0), |m| num(&m))?;
        let max =
            get("SLURM_ARRAY_TASK_MAX").map_or(Ok(min + count.saturating_sub(1)), |m| num(&m))?;
        if max.checked_sub(min).and_then(|d| d.checked_add(1)) != Some(count) {
            return Err(Error::Usage(format!(
                "the SLURM array {min}-{max} has {count} tasks, not a contiguous range: pass --shard K/N explicitly"
            )));
        }
        Shard::parse(&format!("{}/{count}", id.saturating_sub(min))).map(Some)
    }

    /// The run ids of this shard: a contiguous slice, so that the parts
    /// concatenated in shard order are the runs in order.
    pub fn range(&self, runs: u64) -> std::ops::Range<u64> {
        let at = |k: u64| (k as u128 * runs as u128 / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }

    pub fn part_name(&self) -> String {
        format!("part-{:05}-of-{:05}.csv", self.index, self.count)
    }
}

/// Reads a sweep file, resolves its base run and expands its design.
pub fn prepare(path: &Path, out: Option<&Path>) -> Result<Prepared> {
    let text = config::read_file(path)?;
    let cfg: SweepConfig = config::parse_ron(path, &text)?;
    let plan = design::plan(&cfg).map_err(|problems| Error::Invalid {
        path: path.to_path_buf(),
        problems,
    })?;
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&cfg.base);
    if !base_path.exists() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            problems: vec![Problem {
                field: "base".into(),
                message: format!("run file {} does not exist", base_path.display()),
            }],
        });
    }
    let base = config::resolve_run(&base_path, &RunOverrides::default())?;
    // Every axis value is checked against its field before any run: each
    // alone on the base scenario (the values standing for the others, see
    // `Plan::probes`). A point can still fail on a mix of values.
    let mut problems = Vec::new();
    for (a, p) in plan.paths.iter().enumerate() {
        let probes = match plan.probes(a) {
            Ok(probes) => probes,
            Err(message) => {
                problems.push(Problem {
                    field: format!("axes[{a}].values ({p})"),
                    message,
                });
                continue;
            }
        };
        for probe in probes {
            let field = format!("axes[{a}].{} ({p}={})", probe.at, probe.value);
            let set = [format!("{p}={}", probe.value)];
            match config::apply_overrides(base.scenario.raw().clone(), &set) {
                Err(Error::Override { message, .. }) => problems.push(Problem { field, message }),
                Err(other) => return Err(other),
                Ok(scenario) => {
                    let found = ValidScenario::check(scenario).err().unwrap_or_default();
                    problems.extend(found.into_iter().map(|q| Problem {
                        field: field.clone(),
                        message: q.to_string(),
                    }))
                }
            }
        }
    }
    config::invalid_unless_empty(path, problems)?;
    if !cfg.sensitivity.is_empty() && !matches!(cfg.design, config::Design::Sobol { .. }) {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            problems: vec![Problem {
                field: "sensitivity".into(),
                message: "Sobol indices need a Sobol design".into(),
            }],
        });
    }
    let name = path
        .file_stem()
        .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
    let out_dir = out
        .map(Path::to_path_buf)
        .or_else(|| cfg.out.as_ref().map(PathBuf::from))
        .unwrap_or_else(|| Path::new("out").join(name));
    let summary_columns = summary_columns(&base);
    for c in &cfg.sensitivity {
        // `seed` is the run seed in runs.csv, not a model output
        if c == "seed" || !summary_columns.contains(c) {
            let known: Vec<&str> = summary_columns
                .iter()
                .filter(|x| *x != "seed")
                .map(String::as_str)
                .collect();
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                problems: vec![Problem {
                    field: "sensitivity".into(),
                    message: format!("`{c}` is not a summary column; known: {}", known.join(", ")),
                }],
            });
        }
    }
    if !cfg.series.is_empty() {
        let problems = series::check(&cfg.series, &timeseries_columns(&base));
        if !problems.is_empty() {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                problems,
            });
        }
    }
    let mut columns: Vec<String> = FIXED_COLUMNS.iter().map(|s| s.to_string()).collect();
    columns.extend(plan.paths.iter().cloned());
    columns.extend(summary_columns.into_iter().filter(|c| c != "seed"));
    let hash = {
        use sha2::{Digest, Sha256};
        let text = format!(
            "{}\n{}\n{}\n{}",
            ron::to_string(&cfg).expect("serialises"),
            ron::to_string(&base.run).expect("serialises"),
            ron::to_string(base.scenario.raw()).expect("serialises"),
            columns.join(",")
        );
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let points = plan.len() as u64;
    let manifest = SweepManifest {
        crate_version: env!("CARGO_PKG_VERSION").into(),
        sweep_file: path.display().to_string(),
        hash: format!("sha256:{hash}"),
        points,
        replicates: cfg.replicates,
        runs: points * cfg.replicates as u64,
        axes: plan.paths.clone(),
        saltelli: plan.saltelli.map(|(n, k)| (n as u64, k as u64)),
        sensitivity: cfg.sensitivity.clone(),
        bootstrap: cfg.bootstrap,
        seed: cfg.seed,
        sweep: cfg.clone(),
    };
    Ok(Prepared {
        path: path.to_path_buf(),
        config: cfg,
        base,
        plan,
        out_dir,
        manifest,
        columns,
    })
}

/// Summary column names of the base scenario (a world built, not run).
fn summary_columns(base: &ResolvedRun) -> Vec<String> {
    crate::sim::run_scenario(&base.scenario, base.run.seed, base.start, 0, None)
        .summary
        .columns
}

/// Timeseries column names of the base scenario (one week run).
fn timeseries_columns(base: &ResolvedRun) -> Vec<String> {
    crate::sim::run_scenario(&base.scenario, base.run.seed, base.start, 1, None)
        .timeseries
        .columns
}

/// The seed of run `replicate` of design point `point`.
pub fn run_seed(base_seed: u64, point: u64, replicate: u64) -> u64 {
    rng::key(base_seed, Stream::Sweep, point, replicate)
}

/// Progress of a sweep, reported after every batch written.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Runs of this shard done, including those found on resume.
    pub done: u64,
    pub total: u64,
    /// Runs found done on resume.
    pub resumed: u64,
    pub failed: u64,
}

/// What a finished (shard of a) sweep did.
#[derive(Debug, Clone)]
pub struct SweepReport {
    pub out_dir: PathBuf,
    pub shard: Shard,
    pub runs: u64,
    pub resumed: u64,
    pub failed: u64,
    /// Whether the merged outputs were written (unsharded sweeps).
    pub merged: Option<merge::MergeReport>,
}

/// Options of `chokepoint sweep`.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Worker threads; None = one per core.
    pub jobs: Option<usize>,
    pub shard: Shard,
    pub resume: bool,
}

/// A run's summary cells and, when the sweep keeps them, its weekly series.
type RunOutput = (Vec<(String, Cell)>, Option<series::RunSeries>);

/// One run's row of `runs.csv`, and its weekly series when the sweep keeps them.
fn run_row(p: &Prepared, run: u64) -> (Vec<String>, Option<series::RunSeries>) {
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
            let scenario = config::apply_overrides(p.base.scenario.raw().clone(), &sets)
                .map_err(|e| e.to_string())?;
            let scenario = ValidScenario::check(scenario).map_err(|problems| {
                let list: Vec<String> = problems.iter().map(|x| x.to_string()).collect();
                format!("invalid scenario: {}", list.join("; "))
            })?;
            let tables =
                crate::sim::run_scenario(&scenario, seed, p.base.start, p.base.run.weeks, None);
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

fn csv_bytes<I: IntoIterator<Item = Vec<String>>>(rows: I) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    for r in rows {
        w.write_record(&r).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Claims the sweep's output folder for the shards of a split `count` ways
/// to come (`--emit-slurm`): writes `sweep.ron` unless the folder already
/// holds the same sweep. A folder with another sweep, a run's output, parts
/// of another split, or a name the sweep writes that it did not write is
/// refused (see `output::owned`). Shards of one sweep may claim it at once:
/// the mark is written (atomically) before `parts/`.
pub fn claim_folder(p: &Prepared, count: u64) -> Result<()> {
    claim_folder_for(p, Shard { index: 0, count }, true)
}

/// [`claim_folder`] for `shard`, checking first what it will append to, so
/// that a refused shard writes nothing.
fn claim_folder_for(p: &Prepared, shard: Shard, resume: bool) -> Result<()> {
    let dir = &p.out_dir;
    owned::check_folder(dir, Owner::Sweep, "--out")?;
    let path = dir.join("sweep.ron");
    let claimed = path.exists();
    if claimed {
        let existing: SweepManifest = config::parse_ron(&path, &config::read_file(&path)?)?;
        if existing.hash != p.manifest.hash {
            return Err(Error::InTheWay {
                path: dir.clone(),
                message: "holds the output of a different sweep (or of this one before its files changed); choose another --out".into(),
            });
        }
    }
    let parts = dir.join("parts");
    if parts.is_dir() {
        refuse_other_splits(&parts, shard)?;
        let part = parts.join(shard.part_name());
        owned::check_in_place(&part)?;
        if part.exists() && !resume {
            return Err(Error::InTheWay {
                path: part,
                message: "exists: pass --resume to continue this sweep, or choose another --out"
                    .into(),
            });
        }
    }
    if !claimed {
        let text = ron::ser::to_string_pretty(
            &p.manifest,
            ron::ser::PrettyConfig::new().struct_names(true),
        )
        .map_err(|e| Error::Output(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        crate::output::write_atomic(&path, text.as_bytes())?;
    }
    std::fs::create_dir_all(&parts).map_err(|e| Error::io(&parts, e))
}

/// Refuses to add a shard of an N-way split to parts of another split: the
/// runs would be there twice, and `merge` would refuse the folder.
fn refuse_other_splits(parts: &Path, shard: Shard) -> Result<()> {
    let entries = std::fs::read_dir(parts).map_err(|e| Error::io(parts, e))?;
    for entry in entries {
        let name = entry.map_err(|e| Error::io(parts, e))?.file_name();
        let name = name.to_string_lossy();
        let count = name
            .strip_prefix("part-")
            .and_then(|s| s.strip_suffix(".csv"))
            .and_then(|s| s.split_once("-of-"))
            .and_then(|(_, n)| n.parse::<u64>().ok());
        if let Some(count) = count.filter(|&c| c != shard.count) {
            return Err(Error::InTheWay {
                path: parts.join(name.as_ref()),
                message: format!(
                    "is a part of this sweep split {count} way(s); a shard of a split {} way(s) would run the same runs again: use --shard K/{count}, or another --out",
                    shard.count
                ),
            });
        }
    }
    Ok(())
}

/// What a scan of a part file found.
struct Scan {
    /// Complete runs in order from the shard's first.
    runs: u64,
    /// Bytes they (with the header) take.
    good_end: u64,
    /// The file's length.
    len: u64,
}

/// Scans a part file. With `header`, the file's header must equal it.
/// More after the complete runs than the one unterminated line a kill can
/// leave means the part was damaged or edited, not cut short: an error, so
/// that neither `merge` nor `--resume` (which would cut it there) uses it.
fn scan_part(path: &Path, header: Option<&[String]>, range: &std::ops::Range<u64>) -> Result<Scan> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let mut reader = raw_reader(&bytes);
    let mut record = csv::StringRecord::new();
    let (mut good_end, mut runs, mut width) = (0u64, 0u64, None);
    while let Ok(true) = reader.read_record(&mut record) {
        let end = reader.position().byte();
        let terminated = end > 0 && bytes.get(end as usize - 1) == Some(&b'\n');
        if !terminated || width.is_some_and(|w| w != record.len()) {
            break;
        }
        match width {
            None => {
                if let Some(h) = header
                    && record.iter().ne(h.iter().map(String::as_str))
                {
                    return Err(Error::Usage(format!(
                        "{} has another header: it belongs to a different sweep",
                        path.display()
                    )));
                }
                width = Some(record.len());
            }
            Some(_) => {
                if record.get(0).and_then(|s| s.parse::<u64>().ok()) != Some(range.start + runs) {
                    break;
                }
                runs += 1;
            }
        }
        good_end = end;
    }
    let rest = &bytes[good_end as usize..];
    if rest.split_last().is_some_and(|(_, r)| r.contains(&b'\n')) {
        return Err(Error::Folder {
            path: path.to_path_buf(),
            message: format!(
                "line {}: a row that is not the next run of this shard (edited, damaged, or with line ends other than \\n), and more rows after it: the part is not as the sweep wrote it, so it is left as it is",
                runs + 2
            ),
        });
    }
    Ok(Scan {
        runs,
        good_end,
        len: bytes.len() as u64,
    })
}

/// Cuts off a run written only in part and returns how many runs the part holds.
fn recover_part(path: &Path, header: &[String], range: &std::ops::Range<u64>) -> Result<u64> {
    let Scan {
        runs,
        good_end,
        len,
    } = scan_part(path, Some(header), range)?;
    if good_end < len {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        file.set_len(good_end).map_err(|e| Error::io(path, e))?;
    }
    Ok(runs)
}

/// A reader of a part file's records, the header among them.
fn raw_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

/// Cuts a part file back to its header and first `rows` rows.
fn cut_part(path: &Path, rows: u64) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    let mut reader = raw_reader(&bytes);
    let mut record = csv::StringRecord::new();
    for _ in 0..=rows {
        if !reader
            .read_record(&mut record)
            .map_err(|e| Error::Output(format!("{}: {e}", path.display())))?
        {
            break;
        }
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.set_len(reader.position().byte())
        .map_err(|e| Error::io(path, e))
}

/// Complete runs in a part file, and whether a partial row follows them.
pub(crate) fn part_status(path: &Path, range: std::ops::Range<u64>) -> Result<(u64, bool)> {
    let scan = scan_part(path, None, &range)?;
    Ok((scan.runs, scan.good_end < scan.len))
}

/// Runs this shard's runs (or what is left of them) and, for an unsharded
/// sweep, merges the output.
pub fn run_sweep(
    p: &Prepared,
    opts: &SweepOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<SweepReport> {
    claim_folder_for(p, opts.shard, opts.resume)?;
    let range = opts.shard.range(p.manifest.runs);
    let part = p.out_dir.join("parts").join(opts.shard.part_name());
    let resumed = if part.exists() {
        recover_part(&part, &p.columns, &range)?
    } else {
        0
    };
    let keep_series = !p.config.series.is_empty();
    let parts_dir = p.out_dir.join("parts");
    let resumed = if keep_series {
        // Series files are written before their rows: keep rows only as far
        // as their series reach without a gap, and drop series past the rows.
        let kept = series::reconcile(&parts_dir, opts.shard, &range, resumed)?;
        if kept < resumed {
            cut_part(&part, kept)?;
        }
        kept
    } else {
        resumed
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&part)
        .map_err(|e| Error::io(&part, e))?;
    if resumed == 0 && file.metadata().map_err(|e| Error::io(&part, e))?.len() == 0 {
        file.write_all(&csv_bytes([p.columns.clone()]))
            .map_err(|e| Error::io(&part, e))?;
    }
    let jobs = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let total = range.end - range.start;
    let mut failed = 0u64;
    progress(Progress {
        done: resumed,
        total,
        resumed,
        failed,
    });
    // Workers take run ids in order from a shared counter and send their
    // rows here; rows are appended in run order, in batches of `batch` rows
    // or whatever is ready each second, each synced to disk. Nothing waits
    // for the slowest run of a batch, and a kill loses only the rows not yet
    // synced. A worker runs at most `2 * batch` runs ahead of the last row
    // written, so one slow run cannot make the rows held in memory grow.
    let batch = 32 * jobs;
    let ahead = 2 * batch as u64;
    let next_id = AtomicU64::new(range.start + resumed);
    let gate = Gate::new(range.start + resumed);
    let quiet = QuietPanics::install(); // a run's panic is recorded in its row
    let result = std::thread::scope(|scope| -> Result<()> {
        type Done = (Vec<String>, Option<series::RunSeries>);
        let (tx, rx) = mpsc::channel::<(u64, std::result::Result<Done, String>)>();
        for _ in 0..jobs {
            let (tx, next_id, gate) = (tx.clone(), &next_id, &gate);
            scope.spawn(move || {
                loop {
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    if id >= range.end || !gate.wait_until_below(id, ahead) {
                        break;
                    }
                    let row = std::panic::catch_unwind(|| run_row(p, id))
                        .map_err(|panic| panic_message(&*panic));
                    // A send fails only when the writer stopped.
                    if tx.send((id, row)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Stops the workers however the writer ends.
        let _stop = gate.stop_on_drop();
        let mut waiting = BTreeMap::new();
        let mut expected = range.start + resumed;
        let mut rows = Vec::new();
        let mut kept = Vec::new();
        let mut synced = Instant::now();
        loop {
            let wait = Duration::from_secs(1).saturating_sub(synced.elapsed());
            match rx.recv_timeout(wait) {
                Ok((id, row)) => {
                    let row = row.map_err(|m| Error::Output(format!("run {id}: {m}")))?;
                    waiting.insert(id, row);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            while let Some((row, series)) = waiting.remove(&expected) {
                failed += (row[4] == "failed") as u64;
                rows.push(row);
                kept.extend(series);
                expected += 1;
            }
            let due = rows.len() >= batch || synced.elapsed() >= Duration::from_secs(1);
            if !rows.is_empty() && (due || expected == range.end) {
                if keep_series {
                    let first = expected - rows.len() as u64;
                    series::write_batch(
                        &parts_dir,
                        opts.shard,
                        first,
                        expected - 1,
                        &std::mem::take(&mut kept),
                        &p.config.series,
                    )?;
                }
                file.write_all(&csv_bytes(std::mem::take(&mut rows)))
                    .map_err(|e| Error::io(&part, e))?;
                file.sync_data().map_err(|e| Error::io(&part, e))?;
                gate.written(expected);
                progress(Progress {
                    done: expected - range.start,
                    total,
                    resumed,
                    failed,
                });
            }
            if synced.elapsed() >= Duration::from_secs(1) {
                synced = Instant::now();
            }
        }
        if expected != range.end {
            return Err(Error::Output(format!(
                "the sweep's workers stopped before run {expected}"
            )));
        }
        Ok(())
    });
    drop(quiet);
    result?;
    let merged = if opts.shard.count == 1 {
        Some(merge::merge(&p.out_dir)?)
    } else {
        None
    };
    let failed = match &merged {
        Some(m) => m.failed,
        None => failed + count_failed(&part, resumed)?,
    };
    Ok(SweepReport {
        out_dir: p.out_dir.clone(),
        shard: opts.shard,
        runs: total,
        resumed,
        failed,
        merged,
    })
}

/// How far the writer has got, for workers to wait on.
struct Gate {
    /// (rows written up to this run id, stop)
    state: Mutex<(u64, bool)>,
    moved: Condvar,
}

impl Gate {
    fn new(written: u64) -> Self {
        Gate {
            state: Mutex::new((written, false)),
            moved: Condvar::new(),
        }
    }

    /// Waits until `id` is less than `ahead` runs past the rows written.
    /// False when the sweep is stopping.
    fn wait_until_below(&self, id: u64, ahead: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !state.1 && id >= state.0 + ahead {
            state = self.moved.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.1
    }

    fn written(&self, upto: u64) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0 = upto;
        self.moved.notify_all();
    }

    fn stop_on_drop(&self) -> impl Drop + '_ {
        struct Stop<'a>(&'a Gate);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
                self.0.moved.notify_all();
            }
        }
        Stop(self)
    }
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Silences the panic hook while it lives (a run's panic goes into its
/// row), and puts the old hook back however the sweep ends.
struct QuietPanics(Option<PanicHook>);

impl QuietPanics {
    fn install() -> Self {
        let old = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        QuietPanics(Some(old))
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        if let Some(hook) = self.0.take() {
            std::panic::set_hook(hook);
        }
    }
}

/// The message of a caught panic.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}

/// Failed runs among the first `n` rows of a part file.
fn count_failed(part: &Path, n: u64) -> Result<u64> {
    if n == 0 {
        return Ok(0);
    }
    let mut reader = csv::Reader::from_path(part)
        .map_err(|e| Error::Output(format!("{}: {e}", part.display())))?;
    Ok(reader
        .records()
        .take(n as usize)
        .filter(|r| r.as_ref().is_ok_and(|r| r.get(4) == Some("failed")))
        .count() as u64)
}
