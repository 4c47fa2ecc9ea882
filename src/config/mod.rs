//! Configuration: RON types, parsing with file/line/column errors, checking
//! (every problem at once, with the field's path), and `--set` overrides.

mod check;
mod overrides;
mod run;
mod scenario;
mod sweep;

pub use check::{check_dist, check_run, check_scenario};
pub use overrides::apply_overrides;
pub use run::RunConfig;
pub use scenario::*;
pub use sweep::{AxisDef, AxisValues, Design, SweepConfig};

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Reads an input file as UTF-8 text. Any failure is an input error naming
/// the file: a folder, a link loop, no permission, or (with its line and
/// column) a byte that is not UTF-8.
pub fn read_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Error::Parse {
            path: path.to_path_buf(),
            line,
            column,
            field: String::new(),
            message: "not UTF-8 text: a scenario, run or sweep file must be UTF-8".into(),
        }
    })
}

/// Parses RON text into `T`. Errors carry the file, line, column and the
/// path of the field being read when the error happened.
pub fn parse_ron<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    let parse_error = |span: ron::error::Span, field: String, code: ron::Error| Error::Parse {
        path: path.to_path_buf(),
        line: span.start.line,
        column: span.start.col,
        field,
        message: code.to_string(),
    };
    let mut de = ron::Deserializer::from_str(text)
        .map_err(|e| parse_error(e.span, String::new(), e.code))?;
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let code = e.into_inner();
        let spanned = de.span_error(code);
        parse_error(spanned.span, field, spanned.code)
    })?;
    de.end().map_err(|code| {
        let spanned = de.span_error(code);
        parse_error(spanned.span, String::new(), spanned.code)
    })?;
    Ok(value)
}

/// Loads and checks a scenario file (no overrides).
pub fn load_scenario(path: &Path) -> Result<Scenario> {
    let scenario: Scenario = parse_ron(path, &read_file(path)?)?;
    invalid_unless_empty(path, check_scenario(&scenario))?;
    Ok(scenario)
}

/// Loads a run file without checking its model.
pub fn load_run_config(path: &Path) -> Result<RunConfig> {
    parse_ron(path, &read_file(path)?)
}

pub(crate) fn invalid_unless_empty(
    path: &Path,
    problems: Vec<crate::error::Problem>,
) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}

/// What a run needs: the run settings, and the scenario with overrides
/// applied and checked.
#[derive(Debug, Clone)]
pub struct ResolvedRun {
    /// Name of the run (the config file's stem).
    pub name: String,
    pub config_path: PathBuf,
    pub model_path: PathBuf,
    pub run: RunConfig,
    pub scenario: Scenario,
    /// Every override applied, in order (config file's, then command line's).
    pub overrides: Vec<String>,
}

/// Command-line changes to a run file.
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    pub seed: Option<u64>,
    pub weeks: Option<u32>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub set: Vec<String>,
}

/// Loads a run file and its model, applies overrides, checks everything.
pub fn resolve_run(config_path: &Path, cli: &RunOverrides) -> Result<ResolvedRun> {
    let mut run = load_run_config(config_path)?;
    if let Some(seed) = cli.seed {
        run.seed = seed;
    }
    if let Some(weeks) = cli.weeks {
        run.weeks = weeks;
    }
    if let Some(out) = &cli.out {
        run.out = Some(out.to_string_lossy().into_owned());
    }
    if let Some(threads) = cli.threads {
        run.threads = threads;
    }
    invalid_unless_empty(config_path, check_run(&run))?;
    let model_path = config_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&run.model);
    // A link loop exists (and fails to read, naming the loop).
    if model_path.symlink_metadata().is_err() {
        return Err(Error::Invalid {
            path: config_path.to_path_buf(),
            problems: vec![crate::error::Problem {
                field: "model".into(),
                message: format!("model file {} does not exist", model_path.display()),
            }],
        });
    }
    let raw: Scenario = parse_ron(&model_path, &read_file(&model_path)?)?;
    let overrides: Vec<String> = run.set.iter().chain(&cli.set).cloned().collect();
    let scenario = apply_overrides(raw, &overrides)?;
    let shown = if overrides.is_empty() {
        model_path.clone()
    } else {
        PathBuf::from(format!(
            "{} (with --set {})",
            model_path.display(),
            overrides.join(" --set ")
        ))
    };
    invalid_unless_empty(&shown, check_scenario(&scenario))?;
    let name = config_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    Ok(ResolvedRun {
        name,
        config_path: config_path.to_path_buf(),
        model_path,
        run,
        scenario,
        overrides,
    })
}

/// Which kind of file `validate` was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Scenario,
    Run,
    Sweep,
}

/// Tells scenario, run and sweep files apart by their leading struct name
/// (`Scenario(`, `RunConfig(`, `Sweep(`), or, without one, by the first field.
pub fn sniff_kind(text: &str) -> FileKind {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("#![") {
            rest = r.split_once(']').map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let head = rest.trim_start_matches('(').trim_start();
    if rest.starts_with("RunConfig") || head.starts_with("model") {
        FileKind::Run
    } else if rest.starts_with("Sweep") || head.starts_with("base") {
        FileKind::Sweep
    } else {
        FileKind::Scenario
    }
}

/// Checks a scenario, run or sweep file (and the files it points at) and returns every
/// problem found, or `Ok(kind)`.
pub fn validate_file(path: &Path) -> Result<FileKind> {
    let text = read_file(path)?;
    match sniff_kind(&text) {
        FileKind::Scenario => {
            let scenario: Scenario = parse_ron(path, &text)?;
            invalid_unless_empty(path, check_scenario(&scenario))?;
            Ok(FileKind::Scenario)
        }
        FileKind::Run => {
            resolve_run(path, &RunOverrides::default())?;
            Ok(FileKind::Run)
        }
        FileKind::Sweep => {
            crate::sweep::prepare(path, None)?;
            Ok(FileKind::Sweep)
        }
    }
}
