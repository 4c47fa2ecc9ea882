//! Running a shard of a sweep: `jobs` worker threads take run ids in order
//! from a shared counter and send their rows to the writer, which appends
//! them in run order to the shard's part file, in synced batches.

use super::merge;
use super::parts::{self, Shard};
use super::prepare::Prepared;
use super::row::{Row, Status, panic_message, run_row_until};
use super::series;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The name of a sweep's worker threads. A run's panic is caught and
/// recorded in its row (`failed`, `panic: MESSAGE`); the library leaves the
/// process's panic hook alone, so a program that would rather not see such
/// panics printed silences the threads of this name in its own hook (as
/// `chokepoint`'s `main` does).
pub const WORKER_THREAD: &str = "chokepoint-sweep-worker";

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
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// Worker threads; None = one per core.
    pub jobs: Option<usize>,
    pub shard: Shard,
    pub resume: bool,
    /// Set to stop the sweep early (the Python package sets it on Ctrl-C):
    /// no new run starts, the runs in flight stop at the end of the week
    /// they are in and are dropped, the rows done in run order are written
    /// and synced, and `run_sweep` returns [`Error::Stopped`]. The folder is
    /// then one that `--resume` completes.
    pub stop: Option<Arc<AtomicBool>>,
}

/// How often the writer looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(50);

/// Runs this shard's runs (or what is left of them) and, for an unsharded
/// sweep, merges the output.
pub fn run_sweep(
    p: &Prepared,
    opts: &SweepOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<SweepReport> {
    parts::claim_folder_for(p, opts.shard, opts.resume)?;
    let range = opts.shard.range(p.manifest.runs);
    let part = p.out_dir.join("parts").join(opts.shard.part_name());
    let resumed = if part.exists() {
        parts::recover_part(&part, &p.columns, &range)?
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
            parts::cut_part(&part, kept)?;
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
        file.write_all(&parts::csv_bytes([p.columns.clone()]))
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
    let stopping = || {
        opts.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    };
    let mut stopped = false;
    std::thread::scope(|scope| -> Result<()> {
        // Stops the workers however the writer ends (or fails to start them).
        let _stop = gate.stop_on_drop();
        type Done = (Row, Option<series::RunSeries>);
        let (tx, rx) = mpsc::channel::<(u64, std::result::Result<Done, String>)>();
        for _ in 0..jobs {
            let (tx, next_id, gate) = (tx.clone(), &next_id, &gate);
            let worker = std::thread::Builder::new().name(WORKER_THREAD.into());
            worker
                .spawn_scoped(scope, move || {
                    loop {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        if id >= range.end || !gate.wait_until_below(id, ahead) || stopping() {
                            break;
                        }
                        // A run stopped in the middle sends nothing: the
                        // rows after a gap are never written.
                        let row = match std::panic::catch_unwind(|| run_row_until(p, id, &stopping))
                        {
                            Ok(None) => break,
                            Ok(Some(row)) => Ok(row),
                            Err(panic) => Err(panic_message(&*panic)),
                        };
                        // A send fails only when the writer stopped.
                        if tx.send((id, row)).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Output(format!("cannot start a sweep worker thread: {e}")))?;
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut expected = range.start + resumed;
        let mut rows = Vec::new();
        let mut kept = Vec::new();
        let mut synced = Instant::now();
        loop {
            if stopping() && !stopped {
                // Wakes the workers waiting for rows to be written; each
                // finishes the run it holds, then the channel closes.
                stopped = true;
                gate.stop();
            }
            let mut wait = Duration::from_secs(1).saturating_sub(synced.elapsed());
            if opts.stop.is_some() {
                wait = wait.min(STOP_POLL);
            }
            let mut closed = false;
            match rx.recv_timeout(wait) {
                Ok((id, row)) => {
                    let row = row.map_err(|m| Error::Output(format!("run {id}: {m}")))?;
                    waiting.insert(id, row);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => closed = true,
            }
            while let Some((row, series)) = waiting.remove(&expected) {
                failed += (row.status == Status::Failed) as u64;
                rows.push(row);
                kept.extend(series);
                expected += 1;
            }
            let due = rows.len() >= batch || synced.elapsed() >= Duration::from_secs(1);
            if !rows.is_empty() && (due || closed || expected == range.end) {
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
                file.write_all(&parts::csv_bytes(rows.drain(..).map(Row::into_record)))
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
            if closed {
                break;
            }
        }
        if stopped && expected != range.end {
            return Err(Error::Stopped {
                dir: p.out_dir.clone(),
                done: expected - range.start,
                total,
            });
        }
        if expected != range.end {
            return Err(Error::Output(format!(
                "the sweep's workers stopped before run {expected}"
            )));
        }
        Ok(())
    })?;
    let merged = if opts.shard.count == 1 {
        Some(merge::merge(&p.out_dir)?)
    } else {
        None
    };
    let failed = match &merged {
        Some(m) => m.failed,
        None => failed + parts::count_failed(&part, resumed)?,
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

    fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.moved.notify_all();
    }

    fn stop_on_drop(&self) -> impl Drop + '_ {
        struct Stop<'a>(&'a Gate);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.stop();
            }
        }
        Stop(self)
    }
}
