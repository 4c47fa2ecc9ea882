//! `chokepoint sweep FILE --emit-slurm`: an sbatch script for a job array
//! (one task per shard) and one for the merge, plus `submit.sh` that chains
//! them (`--dependency=afterok`).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Resources of the array's tasks.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// Array tasks (shards).
    pub tasks: u32,
    pub cpus_per_task: u32,
    /// Memory per task, SLURM syntax (`4G`).
    pub mem: String,
    /// Wall time per task, SLURM syntax (`02:00:00`).
    pub time: String,
    pub partition: Option<String>,
}

impl SlurmOptions {
    /// Checks the options (before anything is written).
    pub fn check(&self) -> Result<()> {
        if self.tasks == 0 || self.cpus_per_task == 0 {
            return Err(Error::Usage(
                "--tasks and --cpus-per-task must be >= 1".into(),
            ));
        }
        for (flag, value) in [("--mem", &self.mem), ("--time", &self.time)] {
            if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '"') {
                return Err(Error::Usage(format!(
                    "{flag} `{value}`: expected a SLURM value without spaces or quotes"
                )));
            }
        }
        if let Some(p) = &self.partition
            && (p.is_empty() || p.chars().any(|c| c.is_whitespace() || c == '"'))
        {
            return Err(Error::Usage(format!(
                "--partition `{p}`: expected a partition name"
            )));
        }
        Ok(())
    }
}

fn quote(p: &Path) -> String {
    let s = p.display().to_string();
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Writes `sweep.sbatch`, `merge.sbatch` and `submit.sh` into `dir` and
/// returns their paths. Paths in the scripts are absolute.
pub fn emit(dir: &Path, sweep_file: &Path, name: &str, o: &SlurmOptions) -> Result<Vec<PathBuf>> {
    o.check()?;
    std::fs::create_dir_all(dir.join("slurm")).map_err(|e| Error::io(dir, e))?;
    let abs = |p: &Path| std::path::absolute(p).map_err(|e| Error::io(p, e));
    let (dir, sweep_file) = (abs(dir)?, abs(sweep_file)?);
    let exe = std::env::current_exe().map_err(|e| Error::io("chokepoint", e))?;
    let workdir = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    // #SBATCH lines take double-quoted values; `%` starts a filename pattern there.
    let sbatch_path = |p: &Path| format!("\"{}\"", p.display().to_string().replace('%', "%%"));
    let job_name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let partition = o
        .partition
        .as_ref()
        .map(|p| format!("#SBATCH --partition={p}\n"))
        .unwrap_or_default();
    let header = |job: &str, extra: &str| {
        format!(
            "#!/bin/bash\n#SBATCH --job-name=chokepoint-{job_name}-{job}\n{extra}#SBATCH --cpus-per-task={cpus}\n#SBATCH --mem={mem}\n#SBATCH --time={time}\n{partition}set -euo pipefail\ncd {workdir}\n",
            cpus = o.cpus_per_task,
            mem = o.mem,
            time = o.time,
            workdir = quote(&workdir),
        )
    };
    // The shard count is written in, not read from SLURM_ARRAY_TASK_COUNT, so
    // that resubmitting one task (`sbatch --array=2 sweep.sbatch`) runs that
    // shard. Exit code 3 (some runs failed, recorded in the part) still lets
    // the merge run.
    let array = format!(
        "{}# Task K runs shard K/{tasks}; --resume continues a requeued or resubmitted task.\n{} sweep {} --out {} --shard \"$SLURM_ARRAY_TASK_ID/{tasks}\" --jobs \"$SLURM_CPUS_PER_TASK\" --resume || {{ rc=$?; [ \"$rc\" -eq 3 ] || exit \"$rc\"; }}\n",
        header(
            "array",
            &format!(
                "#SBATCH --array=0-{}\n#SBATCH --output={}\n",
                o.tasks - 1,
                sbatch_path(&dir.join("slurm/%A_%a.out")).replace("%%A_%%a", "%A_%a")
            )
        ),
        quote(&exe),
        quote(&sweep_file),
        quote(&dir),
        tasks = o.tasks,
    );
    let merge = format!(
        "{}{} merge {} || {{ rc=$?; [ \"$rc\" -eq 3 ] || exit \"$rc\"; }}\n",
        header(
            "merge",
            &format!(
                "#SBATCH --output={}\n",
                sbatch_path(&dir.join("slurm/merge_%j.out")).replace("merge_%%j", "merge_%j")
            )
        ),
        quote(&exe),
        quote(&dir)
    );
    let submit = format!(
        "#!/bin/bash\n# Submits the array, then the merge once every task has succeeded. Prints both job ids.\nset -euo pipefail\narray=$(sbatch --parsable {})\nmerge=$(sbatch --parsable --dependency=afterok:\"${{array%%;*}}\" {})\necho \"$array $merge\"\n",
        quote(&dir.join("sweep.sbatch")),
        quote(&dir.join("merge.sbatch"))
    );
    let mut written = Vec::new();
    for (file, text) in [
        ("sweep.sbatch", array),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ] {
        let path = dir.join(file);
        crate::output::write_atomic(&path, text.as_bytes())?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}
