//! The command line: `chokepoint run | validate`. The only place that
//! prints results and turns errors into exit codes (2: bad input, 1: other).

use chokepoint::config::{self, FileKind, RunOverrides};
use chokepoint::metrics::Cell;
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
        #[arg(long)]
        seed: Option<u64>,
        /// Weeks to simulate (overrides the run file's).
        #[arg(long)]
        weeks: Option<u32>,
        /// Output folder [default: out/<config name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads for the firm systems, 0 = one per core (output does not depend on it).
        #[arg(long)]
        threads: Option<usize>,
        /// Change a scenario value: dotted.path=RON value, e.g. negotiation.deadline_weeks=20. Repeatable.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// Check a scenario or run file and print every problem found, or `ok`.
    Validate {
        /// A scenario (models/*.ron) or run file (configs/*.ron).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_input_error() { 2 } else { 1 })
        }
    }
}

fn execute(command: Command) -> chokepoint::Result<()> {
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
            Ok(())
        }
        Command::Validate { file } => {
            let kind = config::validate_file(&file)?;
            let what = match kind {
                FileKind::Scenario => "scenario",
                FileKind::Run => "run file and its model",
            };
            println!("ok ({what})");
            Ok(())
        }
    }
}

fn print_summary(report: &chokepoint::RunReport) {
    let s = &report.tables.summary;
    let get = |name: &str| -> String {
        match s.column(name).and_then(|c| c.first().copied().cloned()) {
            Some(Cell::Num(v)) => format!("{v:.3}"),
            Some(Cell::Int(v)) => v.to_string(),
            Some(Cell::Text(t)) => t,
            Some(Cell::Empty) | None => "never".into(),
        }
    };
    let m = &report.manifest;
    println!(
        "{} weeks from {}, seed {}, {} firms ({:.3} s model time)",
        m.weeks,
        m.start_date,
        m.seed,
        get("firms"),
        report.model_seconds
    );
    println!(
        "  first civilian licence: week {}",
        get("first_civilian_licence_week")
    );
    println!(
        "  first agreement:        week {}",
        get("first_agreement_week")
    );
    println!(
        "  talks opened {}, agreements {}, breakdowns {}, defections {}, expiries {}",
        get("talks_opened"),
        get("agreements"),
        get("breakdowns"),
        get("defections"),
        get("expiries")
    );
    println!(
        "  military licences granted {}, detections {}",
        get("military_licences_granted"),
        get("detections")
    );
    println!("  peak readiness gap {}", get("peak_readiness_gap"));
    println!("output: {}", report.out_dir.display());
}
