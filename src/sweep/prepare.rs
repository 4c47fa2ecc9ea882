//! Preparing a sweep: the sweep file read, its base run resolved once, every
//! axis value checked against its field, the design expanded, and the
//! `sweep.ron` manifest (with the hash every shard and `merge` agree on).

use super::design::{self, Plan};
use super::row::leading_columns;
use super::series;
use crate::config::{self, ResolvedRun, RunOverrides, SweepConfig, ValidScenario};
use crate::error::{Error, Problem, Result};
use crate::metrics::ColumnType;
use crate::rng::{self, Stream};
use crate::schema::Schema;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// The columns of `runs.csv` and their types, which `runs.parquet` and
    /// the axes of `points.parquet` keep whatever values the runs give.
    /// Empty in a `sweep.ron` written before types were declared (which
    /// `report` still reads, and `merge` refuses).
    #[serde(default)]
    pub columns: Vec<(String, ColumnType)>,
    /// `NAMING_RULE`: the columns are named by the rule of docs/OUTPUTS.md.
    /// 0 (absent) in a folder written before it, whose columns keep their
    /// old names (`Measure::old`), which `report` reads and `merge` refuses.
    #[serde(default)]
    pub naming: u32,
    pub sweep: SweepConfig,
}

/// The version of the column names a new sweep folder has (`SweepManifest::naming`).
pub const NAMING_RULE: u32 = 1;

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
    // The declared schema gives the names and types of the columns.
    let schema = Schema::of(&base.scenario);
    let seed = crate::metrics::SEED.name(&[]);
    for c in &cfg.sensitivity {
        // `seed` is the run seed in runs.csv, not a model output
        if *c == seed || schema.summary.get(c).is_none() {
            let known: Vec<&str> = schema
                .summary
                .columns
                .iter()
                .filter(|x| x.name != seed)
                .map(|x| x.name.as_str())
                .collect();
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                problems: vec![Problem {
                    field: "sensitivity".into(),
                    message: if *c == seed {
                        format!(
                            "`{seed}` is the run's seed, not a model output; known: {}",
                            known.join(", ")
                        )
                    } else {
                        schema.summary.unknown(c, "summary.csv", &known)
                    },
                }],
            });
        }
    }
    if !cfg.series.is_empty() {
        let problems = series::check(&cfg.series, &schema.timeseries);
        if !problems.is_empty() {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                problems,
            });
        }
    }
    let mut typed = leading_columns(&cfg.axes);
    typed.extend(
        schema
            .summary
            .columns
            .iter()
            .filter(|c| c.name != seed)
            .map(|c| (c.name.clone(), c.ty)),
    );
    let columns: Vec<String> = typed.iter().map(|(c, _)| c.clone()).collect();
    let points = plan.len() as u64;
    let manifest = SweepManifest {
        crate_version: env!("CARGO_PKG_VERSION").into(),
        sweep_file: path.display().to_string(),
        hash: hash(&cfg, &base, &typed),
        points,
        replicates: cfg.replicates,
        runs: points * cfg.replicates as u64,
        axes: plan.paths.clone(),
        saltelli: plan.saltelli.map(|(n, k)| (n as u64, k as u64)),
        sensitivity: cfg.sensitivity.clone(),
        bootstrap: cfg.bootstrap,
        seed: cfg.seed,
        columns: typed,
        naming: NAMING_RULE,
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

/// `sha256:HEX` of the sweep, its resolved base run and scenario, and the
/// header of `runs.csv`: a folder holds this sweep's output if its
/// `sweep.ron` has the same.
fn hash(cfg: &SweepConfig, base: &ResolvedRun, columns: &[(String, ColumnType)]) -> String {
    use sha2::{Digest, Sha256};
    let columns_with_types: Vec<String> =
        columns.iter().map(|(c, t)| format!("{c}:{t:?}")).collect();
    // How run seeds are drawn is part of what a folder's runs are: a sweep
    // run before run seeds had 53 bits must not be resumed by this one.
    let text = format!(
        "{}\n{}\n{}\n{}\nrun seeds: {} bits",
        ron::to_string(cfg).expect("serialises"),
        ron::to_string(&base.run).expect("serialises"),
        ron::to_string(base.scenario.raw()).expect("serialises"),
        columns_with_types.join(","),
        rng::MAX_SEED.count_ones()
    );
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The seed of run `replicate` of design point `point`: 53 bits of a key of
/// (sweep seed, point, replicate), at most `rng::MAX_SEED`.
pub fn run_seed(base_seed: u64, point: u64, replicate: u64) -> u64 {
    rng::key(base_seed, Stream::Sweep, point, replicate) & rng::MAX_SEED
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run seeds fit in 53 bits (R and JavaScript read them exactly), use
    /// the high ones too, and differ between runs.
    #[test]
    fn run_seeds_fit_in_53_bits_and_differ() {
        let mut seen = std::collections::HashSet::new();
        let mut high = 0;
        for point in 0..200 {
            for replicate in 0..5 {
                let s = run_seed(2025, point, replicate);
                assert!(s <= rng::MAX_SEED && (s as f64) as u64 == s, "{s}");
                high += (s >> 52) as u32;
                assert!(seen.insert(s), "seed {s} twice");
            }
        }
        assert!(high > 300, "the 53rd bit is set in {high} of 1000 seeds");
    }
}
