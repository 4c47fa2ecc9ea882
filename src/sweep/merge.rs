//! `chokepoint merge DIR`: joins the part files of a sweep's shards into
//! `runs.csv`, then writes the per-point aggregates (`points.csv`) and, for
//! a Sobol design, the sensitivity indices (`sobol.csv`). The output of
//! merged shards is byte-identical to that of the same sweep unsharded.

use super::columns;
use super::design::Plan;
use super::row::{Status, axis_column, status_column};
use super::stats::{aggregate, sobol_indices};
use super::{FIXED_COLUMNS, Shard, SweepManifest};
use crate::config;
use crate::error::{Error, Result};
use crate::metrics::ColumnType;
use crate::output::owned::{self, Owner, Staged};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// What `merge` wrote.
#[derive(Debug, Clone)]
pub struct MergeReport {
    pub runs: u64,
    pub failed: u64,
    pub points: u64,
    pub files: Vec<PathBuf>,
}

fn bad(dir: &Path, message: String) -> Error {
    Error::Usage(format!("cannot merge {}: {message}", dir.display()))
}

/// The shards' part files in order, checked complete and consistent.
fn parts(dir: &Path, manifest: &SweepManifest) -> Result<Vec<(Shard, PathBuf)>> {
    let parts_dir = dir.join("parts");
    let entries = std::fs::read_dir(&parts_dir).map_err(|e| Error::read(&parts_dir, &e))?;
    let mut found: Vec<(Shard, PathBuf)> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::read(&parts_dir, &e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(stem) = name
            .strip_prefix("part-")
            .and_then(|s| s.strip_suffix(".csv"))
        else {
            continue;
        };
        let parsed = stem
            .split_once("-of-")
            .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
        let Some((index, count)) = parsed else {
            return Err(bad(dir, format!("unexpected file parts/{name}")));
        };
        if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Err(Error::Folder {
                path,
                message: "is not a plain file (a folder or a symbolic link): not a shard's part"
                    .into(),
            });
        }
        let shard = Shard { index, count };
        if name != shard.part_name() {
            return Err(bad(
                dir,
                format!(
                    "unexpected file parts/{name} (expected names like {})",
                    shard.part_name()
                ),
            ));
        }
        found.push((shard, path));
    }
    if found.is_empty() {
        return Err(bad(
            dir,
            "no part files in parts/: has any shard run?".into(),
        ));
    }
    found.sort_by_key(|(s, _)| (s.count, s.index));
    let count = found[0].0.count;
    if let Some((other, _)) = found.iter().find(|(s, _)| s.count != count) {
        return Err(bad(
            dir,
            format!(
                "parts from sweeps split {count} and {} ways: the runs would be duplicated; remove the parts of the split you do not want",
                other.count
            ),
        ));
    }
    let missing: Vec<String> = (0..count)
        .filter(|k| !found.iter().any(|(s, _)| s.index == *k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(
            dir,
            format!(
                "missing shard(s) {}: run them with --shard K/N",
                missing.join(", ")
            ),
        ));
    }
    if let Some((s, _)) = found.iter().find(|(s, _)| s.index >= count) {
        return Err(bad(
            dir,
            format!("shard {}/{} is out of range", s.index, s.count),
        ));
    }
    for (shard, path) in &found {
        let range = shard.range(manifest.runs);
        let (rows, partial) = super::parts::part_status(path, range.clone())?;
        if rows > range.end - range.start || (partial && rows == range.end - range.start) {
            return Err(Error::Folder {
                path: path.clone(),
                message: format!(
                    "holds more than the {} runs of shard {}/{}: rows were added to it",
                    range.end - range.start,
                    shard.index,
                    shard.count
                ),
            });
        }
        if rows != range.end - range.start || partial {
            return Err(bad(
                dir,
                format!(
                    "shard {}/{} is incomplete: {rows} of {} runs; finish it with --shard {}/{} --resume",
                    shard.index,
                    shard.count,
                    range.end - range.start,
                    shard.index,
                    shard.count
                ),
            ));
        }
    }
    Ok(found)
}

/// The design of the sweep `sweep.ron` holds, expanded again; the
/// manifest's counts and layout must agree with it (an edited `sweep.ron`
/// is refused, naming it).
fn consistent_plan(path: &Path, m: &SweepManifest) -> Result<Plan> {
    let plan = super::design::plan(&m.sweep).map_err(|problems| Error::Invalid {
        path: path.to_path_buf(),
        problems,
    })?;
    let saltelli = plan.saltelli.map(|(n, k)| (n as u64, k as u64));
    let agrees = plan.len() as u64 == m.points
        && m.replicates == m.sweep.replicates
        && m.points.checked_mul(u64::from(m.replicates)) == Some(m.runs)
        && plan.paths == m.axes
        && saltelli == m.saltelli
        && m.seed == m.sweep.seed
        && m.sensitivity == m.sweep.sensitivity
        && m.bootstrap == m.sweep.bootstrap;
    if m.columns.is_empty() {
        return Err(Error::Folder {
            path: path.to_path_buf(),
            message: "declares no column types: it was written by an older chokepoint, whose run seeds and Parquet types differ; run the sweep again into a new folder".into(),
        });
    }
    if m.naming < super::prepare::NAMING_RULE {
        return Err(Error::Folder {
            path: path.to_path_buf(),
            message: "was written by an older chokepoint, before the column names of docs/OUTPUTS.md; run the sweep again into a new folder".into(),
        });
    }
    // The fixed columns and the axes, with the types they always have.
    let leading = super::row::leading_columns(&m.sweep.axes);
    let typed = m.columns.len() >= leading.len()
        && leading
            .iter()
            .zip(&m.columns)
            .all(|(want, got)| want == got);
    if !agrees || !typed {
        return Err(Error::Folder {
            path: path.to_path_buf(),
            message: "its counts (points, runs, axes, Saltelli layout, seed) or columns do not agree with the sweep it holds: the file was edited; restore it or run the sweep again".into(),
        });
    }
    Ok(plan)
}

/// Reads every row of every part and checks it against the design before
/// anything is written: one header, run ids in order, each run's point,
/// replicate and seed as (sweep seed, point, replicate) give them, a known
/// status, and in every numeric column (numeric axes, the summary) an empty
/// cell or a finite number. A problem names the part file, line and column.
fn check_parts(parts: &[(Shard, PathBuf)], manifest: &SweepManifest, plan: &Plan) -> Result<()> {
    let mut expected_header: Option<(csv::StringRecord, &Path)> = None;
    let reps = u64::from(manifest.replicates.max(1));
    let axes = FIXED_COLUMNS.len()..FIXED_COLUMNS.len() + manifest.axes.len();
    for (shard, path) in parts {
        let problem = |line: u64, column: usize, field: &str, message: String| Error::Parse {
            path: path.clone(),
            line: line as usize,
            column: column + 1,
            field: field.to_string(),
            message,
        };
        let file = std::fs::File::open(path).map_err(|e| Error::read(path, &e))?;
        let mut reader = csv::Reader::from_reader(std::io::BufReader::new(file));
        let header = reader
            .headers()
            .map_err(|e| problem(1, 0, "", format!("unreadable header: {e}")))?
            .clone();
        match &expected_header {
            None => {
                // the columns sweep.ron declares, in order, and no others
                let declared = &manifest.columns;
                let width = declared.len().max(header.len());
                if let Some(i) =
                    (0..width).find(|&i| declared.get(i).map(|(c, _)| c.as_str()) != header.get(i))
                {
                    let want = declared.get(i).map_or("(no column)", |(c, _)| c);
                    return Err(problem(
                        1,
                        i,
                        want,
                        format!(
                            "the header has `{}` here: not this sweep's part",
                            header.get(i).unwrap_or("")
                        ),
                    ));
                }
                expected_header = Some((header.clone(), path));
            }
            Some((h, first)) if *h != header => {
                return Err(problem(
                    1,
                    0,
                    "",
                    format!(
                        "its header differs from that of {}: parts of different sweeps, or a part edited",
                        first.display()
                    ),
                ));
            }
            Some(_) => {}
        }
        let columns: Vec<&str> = header.iter().collect();
        let status = status_column(path, &header)?;
        let mut run = shard.range(manifest.runs).start;
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                problem(line, 0, "", format!("unreadable row: {e}"))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let cell = |i: usize| record.get(i).unwrap_or("");
            let (point, replicate) = (run / reps, run % reps);
            let seed = super::run_seed(manifest.seed, point, replicate);
            for (i, want) in [run, point, replicate, seed].into_iter().enumerate() {
                if cell(i) != want.to_string() {
                    return Err(problem(
                        line,
                        i,
                        columns[i],
                        format!(
                            "is `{}`, but run {run} of this design has {} {want}{}",
                            cell(i),
                            columns[i],
                            if i == 3 {
                                " (the seed that sweep seed, point and replicate give)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
            let values = plan.point(point as usize);
            for (a, want) in values.iter().enumerate() {
                let i = axes.start + a;
                if cell(i) != want {
                    return Err(problem(
                        line,
                        i,
                        columns[i],
                        format!("is `{}`, but design point {point} has {want}", cell(i)),
                    ));
                }
            }
            let ok = match Status::parse(cell(status)) {
                Some(s) => s == Status::Ok,
                None => {
                    return Err(problem(
                        line,
                        status,
                        Status::COLUMN,
                        format!(
                            "is `{}`, expected `{}` or `{}`",
                            cell(status),
                            Status::Ok.text(),
                            Status::Failed.text()
                        ),
                    ));
                }
            };
            for (i, &name) in columns.iter().enumerate().skip(axes.end) {
                let v = cell(i);
                if v.is_empty() {
                    continue;
                }
                if !ok {
                    return Err(problem(
                        line,
                        i,
                        name,
                        format!("is `{v}` in a failed run, which has no outputs"),
                    ));
                }
                let whole = manifest.columns[i].1 == ColumnType::Int;
                let why = match v.parse::<f64>() {
                    Ok(_) if whole && v.parse::<i64>().is_err() => {
                        ": the column holds whole numbers"
                    }
                    Ok(x) if x.is_finite() => continue,
                    Ok(_) => ": outputs are finite numbers or empty",
                    Err(_) => " where a number belongs",
                };
                return Err(problem(line, i, name, format!("is `{v}`{why}")));
            }
            run += 1;
        }
    }
    Ok(())
}

/// The declared type of `column` of the merged table `table`: `runs.csv`
/// as `sweep.ron` declares it, `points.csv` and `sobol.csv` as
/// `super::columns` does (the axes as in `runs.csv`).
fn declared_type(manifest: &SweepManifest, table: &str, column: &str) -> Option<ColumnType> {
    let of = |columns: Vec<crate::schema::Column>| {
        columns.into_iter().find(|c| c.name == column).map(|c| c.ty)
    };
    match table {
        "runs.csv" => manifest
            .columns
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, t)| *t),
        "points.csv" => of(points_columns(manifest)),
        "sobol.csv" => of(columns::fixed(&columns::SOBOL)),
        _ => None,
    }
}

/// The columns of `points.csv`: the axes have their types in `runs.csv`.
fn points_columns(manifest: &SweepManifest) -> Vec<crate::schema::Column> {
    let axes: Vec<(String, ColumnType)> = manifest
        .axes
        .iter()
        .map(|a| {
            let name = axis_column(a);
            let ty = manifest
                .columns
                .iter()
                .find(|(c, _)| *c == name)
                .map_or(ColumnType::Float, |(_, t)| *t);
            (name, ty)
        })
        .collect();
    columns::points(&axes)
}

/// Joins the parts and writes `runs.csv`, `points.csv` and, for a Sobol
/// design, `sobol.csv`.
pub fn merge(dir: &Path) -> Result<MergeReport> {
    let manifest_path = dir.join("sweep.ron");
    if !manifest_path.exists() {
        return Err(bad(dir, "no sweep.ron: not a sweep output folder".into()));
    }
    let manifest: SweepManifest =
        config::parse_ron(&manifest_path, &config::read_file(&manifest_path)?)?;
    owned::check_folder(dir, Owner::Sweep, "folder")?;
    let plan = consistent_plan(&manifest_path, &manifest)?;
    let parts = parts(dir, &manifest)?;
    check_parts(&parts, &manifest, &plan)?;
    // Everything is written under temporary names and renamed at the end:
    // a merge that fails leaves no new file.
    let mut staged = Staged::new();

    // runs.csv: the header once, then each part's rows in shard order.
    let runs_path = dir.join("runs.csv");
    let mut header: Option<Vec<u8>> = None;
    let runs_tmp = staged.write_with(&runs_path, |out| {
        for (_, path) in &parts {
            let file = std::fs::File::open(path).map_err(|e| Error::read(path, &e))?;
            let mut reader = std::io::BufReader::new(file);
            let mut first = Vec::new();
            reader
                .read_until(b'\n', &mut first)
                .map_err(|e| Error::io(path, e))?;
            match &header {
                None => {
                    out.write_all(&first)
                        .map_err(|e| Error::io(&runs_path, e))?;
                    header = Some(first);
                }
                Some(h) if *h != first => {
                    return Err(bad(dir, format!("{} has another header", path.display())));
                }
                Some(_) => {}
            }
            std::io::copy(&mut reader, out).map_err(|e| Error::io(&runs_path, e))?;
        }
        Ok(())
    })?;

    // Which summary columns have a value in every ok run (all are numeric:
    // `check_parts` refused any other text).
    let mut reader = csv::Reader::from_path(&runs_tmp)
        .map_err(|e| Error::Output(format!("{}: {e}", runs_path.display())))?;
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Output(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let status = status_column(
        &runs_path,
        reader.headers().map_err(|e| Error::Output(e.to_string()))?,
    )?;
    let first_summary = FIXED_COLUMNS.len() + manifest.axes.len();
    let mut complete = vec![true; columns.len()];
    let (mut runs, mut failed) = (0u64, 0u64);
    for record in reader.records() {
        let record = record.map_err(|e| Error::Output(e.to_string()))?;
        runs += 1;
        if &record[status] != Status::Ok.text() {
            failed += 1;
            continue;
        }
        for i in first_summary..columns.len() {
            if record[i].is_empty() {
                complete[i] = false;
            }
        }
    }
    let stats_columns: Vec<usize> = (first_summary..columns.len()).collect();

    // points.csv: per design point and numeric column, over ok replicates.
    let points_path = dir.join("points.csv");
    let sensitivity: Vec<usize> = if manifest.saltelli.is_none() {
        vec![]
    } else if manifest.sensitivity.is_empty() {
        stats_columns
            .iter()
            .copied()
            .filter(|&i| complete[i])
            .collect()
    } else {
        manifest
            .sensitivity
            .iter()
            .filter_map(|c| {
                columns[first_summary..]
                    .iter()
                    .position(|x| x == c)
                    .map(|i| first_summary + i)
            })
            .collect()
    };
    let mut point_means: Vec<Vec<f64>> = vec![Vec::new(); sensitivity.len()];
    let points_tmp = staged.write_with(&points_path, |out| {
        let mut w = csv::Writer::from_writer(out);
        let head: Vec<String> = points_columns(&manifest)
            .into_iter()
            .map(|c| c.name)
            .collect();
        w.write_record(&head)
            .map_err(|e| Error::Output(e.to_string()))?;
        let mut reader =
            csv::Reader::from_path(&runs_tmp).map_err(|e| Error::Output(e.to_string()))?;
        let mut group: Vec<csv::StringRecord> = Vec::new();
        let mut flush = |group: &mut Vec<csv::StringRecord>,
                         w: &mut csv::Writer<&mut std::fs::File>|
         -> Result<()> {
            let Some(first) = group.first() else {
                return Ok(());
            };
            let ok: Vec<&csv::StringRecord> = group
                .iter()
                .filter(|r| &r[status] == Status::Ok.text())
                .collect();
            let failed = group.len() - ok.len();
            for &i in &stats_columns {
                let values: Vec<f64> = ok.iter().filter_map(|r| r[i].parse::<f64>().ok()).collect();
                let mut row: Vec<String> = vec![first[1].to_string()];
                row.extend(
                    (0..manifest.axes.len()).map(|a| first[FIXED_COLUMNS.len() + a].to_string()),
                );
                row.push(columns[i].clone());
                row.push(values.len().to_string());
                row.push(failed.to_string());
                let num = |x: f64| {
                    if x.is_finite() {
                        format!("{x}")
                    } else {
                        String::new()
                    }
                };
                match aggregate(&values) {
                    Some(a) => row.extend(
                        [a.mean, a.sd, a.ci_low, a.ci_high, a.median, a.q05, a.q95].map(num),
                    ),
                    None => row.extend(std::iter::repeat_n(String::new(), 7)),
                }
                w.write_record(&row)
                    .map_err(|e| Error::Output(e.to_string()))?;
            }
            for (slot, &i) in point_means.iter_mut().zip(&sensitivity) {
                let values: Vec<f64> = ok.iter().filter_map(|r| r[i].parse::<f64>().ok()).collect();
                slot.push(if values.is_empty() {
                    f64::NAN
                } else {
                    values.iter().sum::<f64>() / values.len() as f64
                });
            }
            group.clear();
            Ok(())
        };
        for record in reader.records() {
            let record = record.map_err(|e| Error::Output(e.to_string()))?;
            if group.first().is_some_and(|g| g[1] != record[1]) {
                flush(&mut group, &mut w)?;
            }
            group.push(record);
        }
        flush(&mut group, &mut w)?;
        w.flush().map_err(|e| Error::Output(e.to_string()))
    })?;
    let mut files = vec![(runs_path, runs_tmp), (points_path, points_tmp)];

    // sobol.csv
    if let Some((n, k)) = manifest.saltelli {
        let (n, k) = (n as usize, k as usize);
        let sobol_path = dir.join("sobol.csv");
        let sobol_tmp = staged.write_with(&sobol_path, |out| {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(columns::fixed(&columns::SOBOL).iter().map(|c| &c.name))
                .map_err(|e| Error::Output(e.to_string()))?;
            for (means, &i) in point_means.iter().zip(&sensitivity) {
                let at = |j: usize, offset: usize| means[j * (k + 2) + offset];
                let fa: Vec<f64> = (0..n).map(|j| at(j, 0)).collect();
                let fb: Vec<f64> = (0..n).map(|j| at(j, 1)).collect();
                let fab: Vec<Vec<f64>> = (0..k)
                    .map(|a| (0..n).map(|j| at(j, 2 + a)).collect())
                    .collect();
                let usable = means.iter().all(|x| x.is_finite());
                let indices = usable
                    .then(|| sobol_indices(&fa, &fb, &fab, manifest.bootstrap, manifest.seed));
                for (a, axis) in manifest.axes.iter().enumerate() {
                    let num = |x: f64| {
                        if x.is_finite() {
                            format!("{x}")
                        } else {
                            String::new()
                        }
                    };
                    let mut row = vec![columns[i].clone(), axis.clone()];
                    match &indices {
                        Some(s) => {
                            let s = &s[a];
                            row.extend(
                                [
                                    s.first,
                                    s.first_low,
                                    s.first_high,
                                    s.total,
                                    s.total_low,
                                    s.total_high,
                                ]
                                .map(num),
                            );
                            let constant = !s.first.is_finite();
                            row.push(if constant {
                                "output does not vary".into()
                            } else {
                                String::new()
                            });
                        }
                        None => {
                            row.extend(std::iter::repeat_n(String::new(), 6));
                            row.push("some design points have no value".into());
                        }
                    }
                    w.write_record(&row)
                        .map_err(|e| Error::Output(e.to_string()))?;
                }
            }
            w.flush().map_err(|e| Error::Output(e.to_string()))
        })?;
        files.push((sobol_path, sobol_tmp));
    }
    let mut files: Vec<PathBuf> = {
        let mut all: Vec<PathBuf> = files.iter().map(|(path, _)| path.clone()).collect();
        for (csv_path, csv_tmp) in &files {
            let parquet_path = csv_path.with_extension("parquet");
            let table = csv_path.file_name().unwrap_or_default().to_string_lossy();
            let types = |column: &str| declared_type(&manifest, &table, column);
            staged.write_with(&parquet_path, |file| {
                crate::output::columnar::write_parquet(csv_tmp, file, &parquet_path, &types)
            })?;
            all.push(parquet_path);
        }
        all
    };
    if !manifest.sweep.series.is_empty() {
        let shards: Vec<Shard> = parts.iter().map(|(s, _)| *s).collect();
        files.push(super::series::merge(
            dir,
            manifest.runs,
            &manifest.sweep.series,
            &shards,
            &mut staged,
        )?);
    }
    staged.commit()?;
    Ok(MergeReport {
        runs,
        failed,
        points: manifest.points,
        files,
    })
}
