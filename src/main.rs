//! The command line: `chokepoint run | validate | sweep | merge | report`. The only place that
//! prints results and turns errors into exit codes (2: bad input, 1: other).

use chokepoint::config::RunOverrides;
use chokepoint::metrics::Cell;
use chokepoint::sweep;
use chokepoint::validate::{self, FileKind};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "chokepoint",
    version,
    about = "Agent-based model of negotiation under export controls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one scenario as a run file says and write its output folder.
    Run {
        /// Run file (configs/*.ron).
        config: PathBuf,
        /// Seed of every random stream (overrides the run file's).
        // A negative number is this option's (bad) value, not an unknown option.
        #[arg(long, allow_negative_numbers = true)]
        seed: Option<u64>,
        /// Weeks to simulate (overrides the run file's).
        #[arg(long, allow_negative_numbers = true)]
        weeks: Option<u32>,
        /// Output folder [default: out/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads for the firm systems, 0 = one per core (output does not depend on it).
        #[arg(long, allow_negative_numbers = true)]
        threads: Option<usize>,
        /// Change a scenario value: dotted.path=RON value, e.g. negotiation.deadline_weeks=20. Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Check a scenario, run or sweep file and print every problem found, or `ok`.
    Validate {
        /// A scenario (models/*.ron), run file or sweep file (configs/*.ron).
        file: PathBuf,
    },
    /// Print the reference of every output column of a scenario's runs and
    /// sweeps, as Markdown (docs/OUTPUTS.md is the baseline's).
    Outputs {
        /// A scenario (models/*.ron) or run file (configs/*.ron).
        file: PathBuf,
    },
    /// Run a run file's scenario over seeds 1 to N in memory and print, for
    /// each pattern of the 2025 sequence (models/ODD.md, section 8), the
    /// share of seeds that show it and the median and 5-95 % range of its
    /// week, as a Markdown table. Progress goes to stderr.
    Patterns {
        /// Run file (configs/*.ron): its model, weeks and start date (its seed is not used).
        config: PathBuf,
        /// Seeds 1 to N.
        #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
        seeds: u64,
        /// Runs at once [default: one per core]; the table does not depend on it.
        #[arg(long, allow_negative_numbers = true)]
        jobs: Option<usize>,
        /// Change a scenario value: dotted.path=RON value. Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Run a sweep (design points x replicates) in parallel, or one shard of it.
    Sweep {
        /// Sweep file (configs/sweep_*.ron).
        file: PathBuf,
        /// Worker threads [default: one per core].
        #[arg(long, allow_negative_numbers = true)]
        jobs: Option<usize>,
        /// Output folder [default: out/<sweep name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run the K-th of N disjoint slices (0-based), e.g. 0/4 [default: from
        /// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT when set, else all].
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
        /// Continue a killed sweep: keep the runs done, redo the one in flight.
        #[arg(long)]
        resume: bool,
        /// Write SLURM scripts (job array + merge) into the output folder instead of running.
        #[arg(long)]
        emit_slurm: bool,
        /// With --emit-slurm: array tasks (shards).
        #[arg(long, default_value_t = 4, allow_negative_numbers = true)]
        tasks: u32,
        /// With --emit-slurm: CPUs per task.
        #[arg(long, default_value_t = 2, allow_negative_numbers = true)]
        cpus_per_task: u32,
        /// With --emit-slurm: memory per task.
        #[arg(long, default_value = "4G")]
        mem: String,
        /// With --emit-slurm: wall time per task.
        #[arg(long, default_value = "01:00:00")]
        time: String,
        /// With --emit-slurm: partition.
        #[arg(long)]
        partition: Option<String>,
    },
    /// Join the shards of a sweep and compute its aggregates.
    Merge {
        /// The sweep's output folder.
        dir: PathBuf,
    },
    /// Draw a run's or a merged sweep's output folder as one self-contained HTML page.
    Report {
        /// Output folder of `chokepoint run` or of a merged `chokepoint sweep`.
        dir: PathBuf,
        /// HTML file to write [default: DIR/report.html].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write each figure as SVG and PNG into this folder.
        #[arg(long, value_name = "DIR")]
        figures: Option<PathBuf>,
    },
}

/// `println!` that ignores a closed standard output (`chokepoint run … | head`)
/// instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Exit code of a sweep in which some runs failed.
const SOME_RUNS_FAILED: u8 = 3;

fn main() -> ExitCode {
    quiet_sweep_workers();
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_input_error() { 2 } else { 1 })
        }
    }
}

/// Installs the process's panic hook, once: silent on a sweep's worker
/// threads, whose panics are caught and recorded in their run's row
/// (`failed`, `panic: MESSAGE`) as the sweep goes on; the default hook
/// everywhere else. The library never sets the hook.
fn quiet_sweep_workers() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(sweep::WORKER_THREAD) {
            default(info);
        }
    }));
}

fn execute(command: Command) -> chokepoint::Result<u8> {
    match command {
        Command::Run {
            config,
            seed,
            weeks,
            out,
            threads,
            set,
        } => {
            let report = chokepoint::run_config(
                &config,
                &RunOverrides {
                    seed,
                    weeks,
                    out,
                    threads,
                    set,
                },
            )?;
            print_summary(&report);
            Ok(0)
        }
        Command::Sweep {
            file,
            jobs,
            out,
            shard,
            resume,
            emit_slurm,
            tasks,
            cpus_per_task,
            mem,
            time,
            partition,
        } => {
            let prepared = sweep::prepare(&file, out.as_deref())?;
            if emit_slurm {
                let options = sweep::slurm::SlurmOptions {
                    tasks,
                    cpus_per_task,
                    mem,
                    time,
                    partition,
                };
                options.check()?;
                // The scripts' shards then find the folder claimed by this sweep.
                sweep::claim_folder(&prepared, u64::from(options.tasks))?;
                let name = file
                    .file_stem()
                    .map_or_else(|| "sweep".into(), |s| s.to_string_lossy().into_owned());
                for path in sweep::slurm::emit(&prepared.out_dir, &file, &name, &options)? {
                    out!("wrote {}", path.display());
                }
                out!(
                    "submit with: {}",
                    prepared.out_dir.join("submit.sh").display()
                );
                return Ok(0);
            }
            let shard = match shard {
                Some(text) => sweep::Shard::parse(&text)?,
                None => sweep::Shard::from_slurm_env()?.unwrap_or(sweep::Shard::ALL),
            };
            let options = sweep::SweepOptions {
                jobs,
                shard,
                resume,
                stop: None,
            };
            let mut bar = progress::Bar::new(&prepared, shard);
            let report = sweep::run_sweep(&prepared, &options, &mut |p| bar.update(p))?;
            bar.finish();
            print_sweep(&report);
            Ok(if report.failed > 0 {
                SOME_RUNS_FAILED
            } else {
                0
            })
        }
        Command::Merge { dir } => {
            let report = sweep::merge::merge(&dir)?;
            out!(
                "merged {} runs ({} failed) of {} design points",
                report.runs,
                report.failed,
                report.points
            );
            for f in &report.files {
                out!("  {}", f.display());
            }
            Ok(if report.failed > 0 {
                SOME_RUNS_FAILED
            } else {
                0
            })
        }
        Command::Report { dir, out, figures } => {
            let written = chokepoint::report::report(&dir, out.as_deref(), figures.as_deref())?;
            out!(
                "{} report with {} figures: {}",
                written.kind,
                written.figures,
                written.html.display()
            );
            for f in &written.figure_files {
                out!("  {}", f.display());
            }
            Ok(0)
        }
        Command::Outputs { file } => {
            let text = chokepoint::config::read_file(&file)?;
            let scenario = match validate::sniff_kind(&text) {
                FileKind::Scenario => chokepoint::config::load_scenario(&file)?,
                FileKind::Run => {
                    chokepoint::config::resolve_run(&file, &RunOverrides::default())?.scenario
                }
                FileKind::Sweep => {
                    return Err(chokepoint::Error::Usage(format!(
                        "{} is a sweep file: give its base run file",
                        file.display()
                    )));
                }
            };
            print!(
                "{}",
                chokepoint::output::reference::outputs(&scenario, &file.display().to_string())
            );
            Ok(0)
        }
        Command::Patterns {
            config,
            seeds,
            jobs,
            set,
        } => {
            if seeds == 0 {
                return Err(chokepoint::Error::Usage(
                    "--seeds must be at least 1".into(),
                ));
            }
            let run = chokepoint::config::resolve_run(
                &config,
                &RunOverrides {
                    set,
                    ..RunOverrides::default()
                },
            )?;
            let jobs = jobs
                .filter(|&j| j > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let rows = chokepoint::patterns::measure(&run, seeds, jobs)?;
            out!(
                "{}, seeds 1-{seeds}, {} weeks\n",
                config.display(),
                run.horizon.weeks()
            );
            out!("{}", chokepoint::patterns::markdown(&rows));
            Ok(0)
        }
        Command::Validate { file } => {
            let kind = validate::validate_file(&file)?;
            let what = match kind {
                FileKind::Scenario => "scenario",
                FileKind::Run => "run file and its model",
                FileKind::Sweep => "sweep file, its base run and model",
            };
            out!("ok ({what})");
            Ok(0)
        }
    }
}

fn print_summary(report: &chokepoint::RunReport) {
    use chokepoint::systems::{diversion as div, licensing as lic, negotiate as neg, production};
    let s = &report.tables.summary;
    // Each figure by its declared measure (`chokepoint::schema`), so a
    // renamed column cannot print as missing.
    let get = |measure: &'static chokepoint::schema::Measure| -> String {
        let name = measure.name(&[]);
        match s.column(&name).and_then(|c| c.first().copied().cloned()) {
            Some(Cell::Num(v)) => format!("{v:.3}"),
            Some(Cell::Int(v)) => v.to_string(),
            Some(Cell::Text(t)) => t,
            Some(Cell::Empty) => "never".into(),
            None => format!("(no column {name})"),
        }
    };
    let m = &report.manifest;
    out!(
        "{} weeks from {}, seed {}, {} firms ({:.3} s model time)",
        m.weeks,
        m.start_date,
        m.seed,
        get(&chokepoint::metrics::FIRMS),
        report.model_seconds
    );
    out!(
        "  first civilian licence: week {}",
        get(&lic::FIRST_CIVILIAN_LICENCE)
    );
    out!(
        "  first agreement:        week {}",
        get(&neg::FIRST_AGREEMENT)
    );
    out!(
        "  talks opened {}, agreements {}, breakdowns {}, defections {}, expiries {}",
        get(&neg::TALKS_OPENED),
        get(&neg::AGREEMENTS),
        get(&neg::BREAKDOWNS),
        get(&neg::DEFECTIONS),
        get(&neg::EXPIRIES)
    );
    out!(
        "  military licences granted {}, detections {}",
        get(&lic::MILITARY_LICENCES),
        get(&div::TOTAL_DETECTIONS)
    );
    out!(
        "  peak readiness gap {}",
        get(&production::PEAK_READINESS_GAP)
    );
    out!("output: {}", report.out_dir.display());
}

fn print_sweep(r: &sweep::SweepReport) {
    let what = if r.shard.count == 1 {
        "sweep".to_string()
    } else {
        format!("shard {}/{}", r.shard.index, r.shard.count)
    };
    out!(
        "{what}: {} runs ({} resumed), {} failed",
        r.runs,
        r.resumed,
        r.failed
    );
    match &r.merged {
        Some(m) => {
            for f in &m.files {
                out!("  {}", f.display());
            }
        }
        None => out!(
            "  part written to {}/parts; when every shard is done: chokepoint merge {}",
            r.out_dir.display(),
            r.out_dir.display()
        ),
    }
    if r.failed > 0 {
        out!(
            "  {} run(s) failed: their status and message are in runs.csv (exit code {SOME_RUNS_FAILED})",
            r.failed
        );
    }
}

mod progress {
    //! A progress bar on a terminal; plain log lines otherwise.
    use chokepoint::sweep::{Prepared, Progress, Shard};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::io::IsTerminal;
    use std::time::{Duration, Instant};

    pub struct Bar {
        bar: Option<ProgressBar>,
        started: Instant,
        last_log: Instant,
        label: String,
    }

    impl Bar {
        pub fn new(p: &Prepared, shard: Shard) -> Bar {
            let total = shard.range(p.manifest.runs).end - shard.range(p.manifest.runs).start;
            let bar = std::io::stderr().is_terminal().then(|| {
                let b = ProgressBar::new(total);
                b.set_style(
                    ProgressStyle::with_template(
                        "{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}  {msg}",
                    )
                    .expect("valid template"),
                );
                b
            });
            let label = if shard.count == 1 {
                "sweep".into()
            } else {
                format!("shard {}/{}", shard.index, shard.count)
            };
            Bar {
                bar,
                started: Instant::now(),
                last_log: Instant::now() - Duration::from_secs(60),
                label,
            }
        }

        pub fn update(&mut self, p: Progress) {
            if let Some(b) = &self.bar {
                if p.done == p.resumed {
                    // runs found on resume are not progress made now
                    b.set_position(p.done);
                    b.reset_eta();
                    return;
                }
                b.set_position(p.done);
                if p.failed > 0 {
                    b.set_message(format!("{} failed", p.failed));
                }
                return;
            }
            if self.last_log.elapsed() < Duration::from_secs(2) && p.done < p.total {
                return;
            }
            self.last_log = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            let fresh = p.done - p.resumed;
            let rate = if secs > 0.0 { fresh as f64 / secs } else { 0.0 };
            let eta = if rate > 0.0 {
                format!("{:.0} s", (p.total - p.done) as f64 / rate)
            } else {
                "?".into()
            };
            eprintln!(
                "{}: {}/{} runs, {rate:.1} runs/s, ETA {eta}, {} failed",
                self.label, p.done, p.total, p.failed
            );
        }

        pub fn finish(&self) {
            if let Some(b) = &self.bar {
                b.finish();
            }
        }
    }
}
