//! Output files: CSV tables and the manifest, written by the rule of
//! [`owned`]: a command replaces only its own files, and a failed command
//! leaves no new output.

pub mod columnar;
pub mod owned;
pub mod reference;

use crate::config::{ResolvedRun, Scenario};
use crate::error::{Error, Result};
use crate::metrics::{Cell, Table};
use crate::sim::RunTables;
use owned::{Folder, Owner, Staged};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Everything needed to reproduce a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub crate_version: String,
    /// The files the run wrote into its folder (`owned::RUN_FILES`): the
    /// names a later run may replace there.
    #[serde(default)]
    pub files: Vec<String>,
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
            files: owned::RUN_FILES.map(String::from).to_vec(),
            config: run.config_path.display().to_string(),
            model: run.model_path.display().to_string(),
            seed: run.run.seed,
            weeks: run.run.weeks,
            start_date: run.run.start_date.clone(),
            overrides: run.overrides.clone(),
            scenario_hash: scenario_hash(run.scenario.raw()),
            scenario: run.scenario.raw().clone(),
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

/// A table as CSV bytes.
pub fn csv_bytes(table: &Table) -> Result<Vec<u8>> {
    let err = |e: csv::Error| Error::Output(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&table.columns).map_err(err)?;
    for row in &table.rows {
        w.write_record(row.iter().map(cell_text)).map_err(err)?;
    }
    w.into_inner().map_err(|e| Error::Output(e.to_string()))
}

/// Writes the run's files ([`owned::RUN_FILES`]) into `dir`, never touching
/// a file it did not write (see [`owned`]). A new folder is written under a
/// temporary name and renamed when complete. In an existing folder (empty,
/// the user's, or an earlier run's), each file is written under a temporary
/// name; then the old `manifest.ron` goes, the files are renamed, and the
/// new manifest comes last: a folder with a manifest is always whole.
pub fn write_run(dir: &Path, tables: &RunTables, manifest: &Manifest) -> Result<()> {
    let folder = owned::check_folder(dir, Owner::Run, "--out")?;
    let pretty = ron::ser::PrettyConfig::new()
        .depth_limit(8)
        .struct_names(true);
    let manifest_text =
        ron::ser::to_string_pretty(manifest, pretty).map_err(|e| Error::Output(e.to_string()))?;
    let files: [(&str, Vec<u8>); 5] = [
        ("timeseries.csv", csv_bytes(&tables.timeseries)?),
        ("transcript.csv", csv_bytes(&tables.transcript)?),
        ("terms.csv", csv_bytes(&tables.terms)?),
        ("summary.csv", csv_bytes(&tables.summary)?),
        ("manifest.ron", (manifest_text + "\n").into_bytes()),
    ];
    debug_assert!(files.iter().map(|f| f.0).eq(owned::RUN_FILES));
    let mut staged = Staged::new();
    match folder {
        Folder::New => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                staged.create_dir_all(parent)?;
            }
            let tmp = staged.folder(dir)?;
            for (name, bytes) in &files {
                let path = tmp.join(name);
                std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
            }
        }
        Folder::Existing => {
            for (name, bytes) in &files {
                staged.write(&dir.join(name), bytes)?;
            }
            let old = dir.join("manifest.ron");
            if old.exists() {
                std::fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
            }
        }
    }
    staged.commit()
}

/// Writes a file atomically: a [`Staged`] of one file (a temporary file
/// beside it, synced, then renamed over the target).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let mut staged = Staged::new();
    staged.write_with(path, write)?;
    staged.commit()
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut staged = Staged::new();
    staged.write(path, bytes)?;
    staged.commit()
}
