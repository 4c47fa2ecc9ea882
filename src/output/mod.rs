//! Output files: CSV tables and the manifest. A run's folder is written
//! under a temporary name and renamed into place when complete, so a
//! folder with the final name is always whole.

pub mod columnar;

use crate::config::{ResolvedRun, Scenario};
use crate::error::{Error, Result};
use crate::metrics::{Cell, Table};
use crate::sim::RunTables;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Everything needed to reproduce a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub crate_version: String,
    pub config: String,
    pub model: String,
    pub seed: u64,
    pub weeks: u32,
    pub start_date: String,
    pub overrides: Vec<String>,
    /// `sha256:` of the resolved scenario's RON text.
    pub scenario_hash: String,
    pub scenario: Scenario,
}

impl Manifest {
    pub fn new(run: &ResolvedRun) -> Self {
        Manifest {
            crate_version: env!("CARGO_PKG_VERSION").into(),
            config: run.config_path.display().to_string(),
            model: run.model_path.display().to_string(),
            seed: run.run.seed,
            weeks: run.run.weeks,
            start_date: run.run.start_date.clone(),
            overrides: run.overrides.clone(),
            scenario_hash: scenario_hash(&run.scenario),
            scenario: run.scenario.clone(),
        }
    }
}

/// Hash of a scenario's canonical RON text.
pub fn scenario_hash(s: &Scenario) -> String {
    let text = ron::to_string(s).expect("a scenario always serialises");
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A cell as CSV text: numbers in shortest round-trip form, non-finite and empty as nothing.
pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Num(v) => {
            if v.is_finite() {
                format!("{v}")
            } else {
                String::new()
            }
        }
        Cell::Int(v) => v.to_string(),
        Cell::Text(s) => s.clone(),
        Cell::Empty => String::new(),
    }
}

/// Writes a table as CSV.
pub fn write_csv(table: &Table, path: &Path) -> Result<()> {
    let io = |e: csv::Error| Error::Output(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(&table.columns).map_err(io)?;
    for row in &table.rows {
        w.write_record(row.iter().map(cell_text)).map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// Writes the run's files into `dir` atomically: into `dir.partial-<pid>`
/// first, then renamed. An existing `dir` is replaced only once the new
/// folder is complete.
pub fn write_run(dir: &Path, tables: &RunTables, manifest: &Manifest) -> Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let name = dir
        .file_name()
        .ok_or_else(|| Error::Usage(format!("output folder {} has no name", dir.display())))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        unique_suffix()
    ));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = (|| {
        write_csv(&tables.timeseries, &tmp.join("timeseries.csv"))?;
        write_csv(&tables.transcript, &tmp.join("transcript.csv"))?;
        write_csv(&tables.summary, &tmp.join("summary.csv"))?;
        let pretty = ron::ser::PrettyConfig::new()
            .depth_limit(8)
            .struct_names(true);
        let text = ron::ser::to_string_pretty(manifest, pretty)
            .map_err(|e| Error::Output(e.to_string()))?;
        let path = tmp.join("manifest.ron");
        std::fs::write(&path, text + "\n").map_err(|e| Error::io(&path, e))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    replace_dir(&tmp, dir)
}

fn replace_dir(tmp: &Path, dir: &Path) -> Result<()> {
    let old: Option<PathBuf> = if dir.exists() {
        let old = dir.with_file_name(format!(
            ".{}.old-{}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        std::fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
        Some(old)
    } else {
        None
    };
    std::fs::rename(tmp, dir).map_err(|e| Error::io(dir, e))?;
    if let Some(old) = old {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

/// Writes a file atomically: into a temporary file beside it, synced, then
/// renamed over the target.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial-{}", unique_suffix()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        write(&mut file)?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    write_atomic_with(path, |f| f.write_all(bytes).map_err(|e| Error::io(path, e)))
}

/// Host, process and time: distinct for writers on different nodes that
/// share a file system and happen to share a pid.
fn unique_suffix() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{}-{nanos}", host.trim(), std::process::id())
}
