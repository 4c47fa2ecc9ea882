//! Configuration: RON types, parsing with file/line/column errors, checking
//! (every problem at once, with the field's path), and `--set` overrides.

mod check;
mod overrides;
mod run;
mod scenario;
mod sweep;
mod valid;
mod whole;

pub use check::{check_dist, check_run, check_scenario};
pub use overrides::apply_overrides;
pub use run::RunConfig;
pub use scenario::*;
pub use sweep::{AxisDef, AxisValues, Design, SweepConfig};
pub use valid::{FirmSpec, Horizon, PopulationSpec, StateSpec, ValidScenario, sampler};

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

/// Line and column at which element `index` of the list in field `field` of
/// the top-level struct in `text` starts. RON gives no positions to values
/// read without error, so the text is read again, failing on purpose at that
/// element: the reader's position then is the element's.
fn list_entry_position(
    text: &str,
    name: &'static str,
    field: &str,
    index: usize,
) -> Option<(usize, usize)> {
    use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess};
    use std::fmt;

    struct Here;
    impl<'de> DeserializeSeed<'de> for Here {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
            Err(de::Error::custom("here"))
        }
    }
    /// The `index`-th element of a list.
    struct Element(usize);
    impl<'de> DeserializeSeed<'de> for Element {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> de::Visitor<'de> for Element {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            for _ in 0..self.0 {
                seq.next_element::<IgnoredAny>()?;
            }
            seq.next_element_seed(Here).map(|_| ())
        }
    }
    /// A field name.
    struct Key(String);
    impl<'de> serde::Deserialize<'de> for Key {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
            struct V;
            impl de::Visitor<'_> for V {
                type Value = Key;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a field name")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                    Ok(Key(v.to_owned()))
                }
            }
            d.deserialize_identifier(V)
        }
    }
    struct Fields<'a>(&'a str, usize);
    impl<'de> de::Visitor<'de> for Fields<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a struct")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(Key(key)) = map.next_key()? {
                if key == self.0 {
                    return map.next_value_seed(Element(self.1));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut de = ron::Deserializer::from_str(text).ok()?;
    let code = de
        .deserialize_struct(name, &[], Fields(field, index))
        .err()?;
    // the element's start: where the reader stood, whitespace skipped
    let end = de.span_error(code).span.end;
    Some((end.line, end.col))
}

/// Loads and checks a scenario file (no overrides).
pub fn load_scenario(path: &Path) -> Result<ValidScenario> {
    let scenario: Scenario = parse_ron(path, &read_file(path)?)?;
    check(path, scenario)
}

/// Checks a scenario read from `path` into a [`ValidScenario`]; its
/// problems are an `Error::Invalid` naming `path`.
pub fn check(path: &Path, scenario: Scenario) -> Result<ValidScenario> {
    ValidScenario::check(scenario).map_err(|problems| Error::Invalid {
        path: path.to_path_buf(),
        problems,
    })
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
    /// The run's start date (`run.start_date`, parsed) and length (`run.weeks`).
    pub horizon: Horizon,
    pub scenario: ValidScenario,
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
///
/// The run file's `set` entries are applied one at a time, so that an entry
/// that cannot be applied, or that leaves the scenario invalid, is named by
/// its line and column in the run file; the command line's `--set` come
/// after them and are named as `--set`.
pub fn resolve_run(config_path: &Path, cli: &RunOverrides) -> Result<ResolvedRun> {
    let text = read_file(config_path)?;
    let run: RunConfig = parse_ron(config_path, &text)?;
    resolve(config_path, &text, run, cli)
}

/// Resolves a scenario file (`models/*.ron`) as a run file naming it with
/// every run setting at its default would be (104 weeks from 2025-04-04,
/// seed 1, one thread), then `cli`'s changes. The run is named after the
/// scenario file.
pub fn resolve_model(model_path: &Path, cli: &RunOverrides) -> Result<ResolvedRun> {
    let model = model_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    resolve(model_path, "", RunConfig::for_model(model), cli)
}

/// `resolve_run` of a run file read from `config_path` (`text`, parsed to `run`).
fn resolve(
    config_path: &Path,
    text: &str,
    mut run: RunConfig,
    cli: &RunOverrides,
) -> Result<ResolvedRun> {
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
    let horizon = check_run(&run).map_err(|problems| {
        // a value the command line gave is named by its option
        let given = |field: &str| match field {
            "seed" => cli.seed.is_some(),
            "weeks" => cli.weeks.is_some(),
            "threads" => cli.threads.is_some(),
            _ => false,
        };
        let problems = problems
            .into_iter()
            .map(|p| crate::error::Problem {
                field: if given(&p.field) {
                    format!("--{}", p.field)
                } else {
                    p.field
                },
                message: p.message,
            })
            .collect();
        Error::Invalid {
            path: config_path.to_path_buf(),
            problems,
        }
    })?;
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
    let raw_model: Scenario = parse_ron(&model_path, &read_file(&model_path)?)?;
    // The scenario after each of the run file's entries: stages[i + 1] after set[i].
    let entry_at = |i: usize| list_entry_position(text, "RunConfig", "set", i).unwrap_or((0, 0));
    let mut stages = vec![raw_model.clone()];
    for (i, assignment) in run.set.iter().enumerate() {
        let last = stages.last().unwrap_or(&raw_model).clone();
        let next = apply_overrides(last, std::slice::from_ref(assignment)).map_err(|e| {
            let (line, column) = entry_at(i);
            let message = match e {
                Error::Override { message, .. } => message,
                other => other.to_string(),
            };
            Error::Parse {
                path: config_path.to_path_buf(),
                line,
                column,
                field: format!("set[{i}]"),
                message: format!("`{assignment}`: {message}"),
            }
        })?;
        stages.push(next);
    }
    let last = stages.last().unwrap_or(&raw_model).clone();
    let scenario = match ValidScenario::check(apply_overrides(last, &cli.set)?) {
        Ok(valid) => valid,
        Err(problems) => {
            return Err(invalid_run(
                config_path,
                &model_path,
                (&run.set, &cli.set),
                &stages,
                problems,
                entry_at,
            ));
        }
    };
    let overrides: Vec<String> = run.set.iter().chain(&cli.set).cloned().collect();
    let name = config_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    Ok(ResolvedRun {
        name,
        config_path: config_path.to_path_buf(),
        model_path,
        run,
        horizon,
        scenario,
        overrides,
    })
}

/// The error of a run whose scenario, with its overrides, is invalid. Each
/// problem is laid at the door of the override after which it appeared and
/// stayed: the model's own (present before any override), the run file's
/// entry `set[i]`, or the command line's `--set`. Problems of run file
/// entries name the run file, the entry's line and column; without any, the
/// model file is named (with the command line's overrides) as before.
fn invalid_run(
    config_path: &Path,
    model_path: &Path,
    (run_set, cli_set): (&[String], &[String]),
    stages: &[Scenario],
    problems: Vec<crate::error::Problem>,
    entry_at: impl Fn(usize) -> (usize, usize),
) -> Error {
    let checked: Vec<Vec<crate::error::Problem>> = stages.iter().map(check_scenario).collect();
    let model = if cli_set.is_empty() {
        model_path.display().to_string()
    } else {
        format!(
            "{} (with --set {})",
            model_path.display(),
            cli_set.join(" --set ")
        )
    };
    let (mut entries, mut others) = (Vec::new(), Vec::new());
    for p in problems {
        // the first stage from which on the problem is there throughout
        let since = (0..checked.len())
            .rev()
            .take_while(|&j| checked[j].contains(&p))
            .last();
        match since {
            Some(j) if j > 0 => {
                let (line, column) = entry_at(j - 1);
                entries.push(crate::error::Problem {
                    field: format!("set[{}]", j - 1),
                    message: format!("line {line}, column {column}: `{}`: {p}", run_set[j - 1]),
                });
            }
            _ => others.push(p),
        }
    }
    if entries.is_empty() {
        return Error::Invalid {
            path: PathBuf::from(model),
            problems: others,
        };
    }
    entries.extend(others.into_iter().map(|p| crate::error::Problem {
        field: p.field,
        message: format!("{} (in {model})", p.message),
    }));
    Error::Invalid {
        path: config_path.to_path_buf(),
        problems: entries,
    }
}
