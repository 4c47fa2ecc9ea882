//! Weekly series of every run of a sweep, when the sweep file names them
//! (`series: [...]`): each synced batch of rows is preceded by a Parquet
//! file of the same runs' weeks, `parts/series-K-of-N-FIRST-LAST.parquet`,
//! written atomically. The merge joins them into `series.parquet`, one row
//! per (run, week), re-cut into row groups of fixed size so the file is
//! byte-identical however the sweep was sharded, batched or resumed.

use super::Shard;
use crate::error::{Error, Problem, Result};
use crate::metrics::{Cell, ColumnType, Table};
use crate::output::owned::Staged;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group of `series.parquet`.
const ROWS: usize = 65_536;

/// Key columns before the series columns (`run`, `point`, `replicate` as
/// in runs.csv, then `week`); every series column after them is Float64,
/// counts and flags included, so that the bands are drawn from one type.
pub const KEYS: [&str; 4] = [
    super::columns::RUN.pattern,
    super::columns::POINT.pattern,
    super::columns::REPLICATE.pattern,
    "week",
];

/// Checks the requested series against the declared timeseries columns:
/// each must be a number (not text, not the week, which is a key).
pub fn check(requested: &[String], timeseries: &crate::schema::Columns) -> Vec<Problem> {
    let numeric: Vec<&str> = timeseries
        .columns
        .iter()
        .filter(|c| c.ty != ColumnType::Text && c.name != KEYS[3])
        .map(|c| c.name.as_str())
        .collect();
    let mut problems = Vec::new();
    for (i, c) in requested.iter().enumerate() {
        if !numeric.contains(&c.as_str()) {
            let message = match (timeseries.get(c), timeseries.renamed(c)) {
                (Some(_), _) => format!(
                    "`{c}` is not a numeric column of timeseries.csv; known: {}",
                    numeric.join(", ")
                ),
                (None, Some(new)) if new.ty == ColumnType::Text => format!(
                    "`{c}` is now called `{}`, which is text, not a number; numeric columns: {}",
                    new.name,
                    numeric.join(", ")
                ),
                (None, _) => timeseries.unknown(c, "timeseries.csv", &numeric),
            };
            problems.push(Problem {
                field: format!("series[{i}]"),
                message,
            });
        } else if requested[..i].contains(c) {
            problems.push(Problem {
                field: format!("series[{i}]"),
                message: format!("`{c}` is named twice"),
            });
        }
    }
    problems
}

/// The kept weeks of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSeries {
    pub run: u64,
    pub point: u64,
    pub replicate: u64,
    pub weeks: Vec<u32>,
    /// `values[c][w]`: column `c` in week `weeks[w]`; empty cells are `None`.
    pub values: Vec<Vec<Option<f64>>>,
}

impl RunSeries {
    /// Picks `columns` out of a run's timeseries table.
    pub fn of(run: u64, point: u64, replicate: u64, table: &Table, columns: &[String]) -> Self {
        let index = |name: &str| table.columns.iter().position(|c| c == name);
        let number = |cell: &Cell| match cell {
            Cell::Num(v) if v.is_finite() => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        };
        let week = index("week");
        let weeks = table
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                week.and_then(|w| number(&row[w]))
                    .map_or(i as u32, |v| v as u32)
            })
            .collect();
        let values = columns
            .iter()
            .map(|c| match index(c) {
                Some(j) => table.rows.iter().map(|row| number(&row[j])).collect(),
                None => vec![None; table.rows.len()],
            })
            .collect();
        RunSeries {
            run,
            point,
            replicate,
            weeks,
            values,
        }
    }
}

pub fn schema(columns: &[String]) -> SchemaRef {
    let mut fields = vec![
        // Int64, as in runs.parquet, so that the two join on run and point
        Field::new(KEYS[0], DataType::Int64, false),
        Field::new(KEYS[1], DataType::Int64, false),
        Field::new(KEYS[2], DataType::Int64, false),
        Field::new(KEYS[3], DataType::Int64, false),
    ];
    fields.extend(
        columns
            .iter()
            .map(|c| Field::new(c, DataType::Float64, true)),
    );
    Arc::new(Schema::new(fields))
}

fn batch(runs: &[RunSeries], schema: &SchemaRef) -> Result<RecordBatch> {
    let keys = |f: &dyn Fn(&RunSeries) -> u64| -> ArrayRef {
        Arc::new(
            runs.iter()
                .flat_map(|r| std::iter::repeat_n(f(r) as i64, r.weeks.len()))
                .collect::<Int64Array>(),
        )
    };
    let mut arrays: Vec<ArrayRef> = vec![
        keys(&|r| r.run),
        keys(&|r| r.point),
        keys(&|r| r.replicate),
        Arc::new(
            runs.iter()
                .flat_map(|r| r.weeks.iter().map(|&w| w as i64))
                .collect::<Int64Array>(),
        ),
    ];
    for c in 0..schema.fields().len() - KEYS.len() {
        arrays.push(Arc::new(
            runs.iter()
                .flat_map(|r| r.values[c].iter().copied())
                .collect::<Float64Array>(),
        ));
    }
    RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Error::Output(e.to_string()))
}

fn properties(rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(rows))
        .build()
}

/// File name of the series of runs `first..=last` of `shard`.
pub fn file_name(shard: Shard, first: u64, last: u64) -> String {
    format!(
        "series-{:05}-of-{:05}-{first:010}-{last:010}.parquet",
        shard.index, shard.count
    )
}

/// (shard, first run, last run) of a series file name.
pub fn parse_name(name: &str) -> Option<(Shard, u64, u64)> {
    let stem = name.strip_prefix("series-")?.strip_suffix(".parquet")?;
    let mut parts = stem.split('-');
    let index = parts.next()?.parse().ok()?;
    (parts.next()? == "of").then_some(())?;
    let count = parts.next()?.parse().ok()?;
    let first = parts.next()?.parse().ok()?;
    let last = parts.next()?.parse().ok()?;
    let shard = Shard { index, count };
    (parts.next().is_none() && file_name(shard, first, last) == name)
        .then_some((shard, first, last))
}

/// Writes the series of runs `first..=last` (failed runs have none) of
/// `shard` into `parts`, atomically.
pub fn write_batch(
    parts: &Path,
    shard: Shard,
    first: u64,
    last: u64,
    runs: &[RunSeries],
    columns: &[String],
) -> Result<PathBuf> {
    let path = parts.join(file_name(shard, first, last));
    let schema = schema(columns);
    let batch = batch(runs, &schema)?;
    crate::output::write_atomic_with(&path, |file| {
        let parquet =
            |e: parquet::errors::ParquetError| Error::Output(format!("{}: {e}", path.display()));
        let mut w =
            ArrowWriter::try_new(file, schema.clone(), Some(properties(ROWS))).map_err(parquet)?;
        w.write(&batch).map_err(parquet)?;
        w.close().map_err(parquet)?;
        Ok(())
    })?;
    Ok(path)
}

/// Series files of `shard` in `parts`, by first run.
fn files_of(parts: &Path, shard: Option<Shard>) -> Result<Vec<(Shard, u64, u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(parts).map_err(|e| Error::io(parts, e))? {
        let path = entry.map_err(|e| Error::io(parts, e))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some((s, first, last)) = parse_name(&name)
            && shard.is_none_or(|want| want == s)
        {
            found.push((s, first, last, path));
        }
    }
    found.sort_by_key(|f| f.1);
    Ok(found)
}

/// On resume: keeps the series files that run on without a gap from
/// `range.start` and lie within the `done` runs found in the part file,
/// removes the others, and returns how many runs have both rows and series
/// (the part must be cut back to that many rows).
pub fn reconcile(
    parts: &Path,
    shard: Shard,
    range: &std::ops::Range<u64>,
    done: u64,
) -> Result<u64> {
    let mut covered = range.start;
    for (_, first, last, path) in files_of(parts, Some(shard))? {
        if first == covered && last < range.start + done {
            covered = last + 1;
        } else {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(covered - range.start)
}

/// Joins the series of `shards` into `dir/series.parquet`. Every run of
/// the sweep must be covered by exactly one file. Files of other shards
/// (left by a split that is not being merged) are ignored.
/// Merges the shards' series files into `series.parquet`, written into
/// `staged` (renamed into place with the sweep's other merged files).
pub fn merge(
    dir: &Path,
    runs: u64,
    columns: &[String],
    shards: &[Shard],
    staged: &mut Staged,
) -> Result<PathBuf> {
    merge_in(dir, runs, columns, shards, ROWS, staged)
}

fn merge_in(
    dir: &Path,
    runs: u64,
    columns: &[String],
    shards: &[Shard],
    rows: usize,
    staged: &mut Staged,
) -> Result<PathBuf> {
    let parts = dir.join("parts");
    let mut files = files_of(&parts, None)?;
    files.retain(|f| shards.contains(&f.0));
    let mut covered = 0u64;
    for (_, first, last, path) in &files {
        if *first != covered {
            let what = if *first > covered {
                "missing: finish its shard with --resume"
            } else {
                "there twice"
            };
            return Err(Error::Usage(format!(
                "cannot merge {}: the weekly series of run {covered} are {what} (next file: {})",
                dir.display(),
                path.display()
            )));
        }
        covered = last + 1;
    }
    if covered != runs {
        return Err(Error::Usage(format!(
            "cannot merge {}: the weekly series cover {} of {runs} runs; finish the last shard with --resume",
            dir.display(),
            if covered == 0 {
                "none".to_string()
            } else {
                format!("runs 0 to {}", covered - 1)
            }
        )));
    }
    let schema = schema(columns);
    let out = dir.join("series.parquet");
    staged.write_with(&out, |file| {
        let parquet =
            |e: parquet::errors::ParquetError| Error::Output(format!("{}: {e}", out.display()));
        let mut w =
            ArrowWriter::try_new(file, schema.clone(), Some(properties(rows))).map_err(parquet)?;
        // Re-cut into batches of exactly `rows` rows, so row groups and pages
        // do not depend on how the runs were batched when written.
        let mut pending: Vec<RecordBatch> = Vec::new();
        let mut held = 0usize;
        for (_, _, _, path) in &files {
            let f = std::fs::File::open(path).map_err(|e| Error::read(path, &e))?;
            let corrupt = |e: parquet::errors::ParquetError| Error::Folder {
                path: path.clone(),
                message: format!("not a readable series part (damaged or half-written?): {e}"),
            };
            let reader = ParquetRecordBatchReaderBuilder::try_new(f)
                .and_then(|b| b.build())
                .map_err(corrupt)?;
            for b in reader {
                let b = b.map_err(|e| corrupt(e.into()))?;
                if b.schema() != schema {
                    return Err(Error::Folder {
                        path: path.clone(),
                        message: "its columns differ from the sweep's series".into(),
                    });
                }
                held += b.num_rows();
                pending.push(b);
                while held >= rows {
                    let all = arrow_select::concat::concat_batches(&schema, &pending)
                        .map_err(|e| Error::Output(e.to_string()))?;
                    w.write(&all.slice(0, rows)).map_err(parquet)?;
                    held -= rows;
                    pending = vec![all.slice(rows, held)];
                }
            }
        }
        if held > 0 {
            let all = arrow_select::concat::concat_batches(&schema, &pending)
                .map_err(|e| Error::Output(e.to_string()))?;
            w.write(&all).map_err(parquet)?;
        }
        w.close().map_err(parquet)?;
        Ok(())
    })?;
    Ok(out)
}

/// `series.parquet` read whole: key columns and each series column.
#[derive(Debug, Clone, Default)]
pub struct SeriesTable {
    pub columns: Vec<String>,
    pub run: Vec<u64>,
    pub point: Vec<u64>,
    pub week: Vec<u32>,
    /// `values[c][row]`.
    pub values: Vec<Vec<Option<f64>>>,
}

/// Reads `series.parquet`; its series columns must be `columns`.
pub fn read(path: &Path, columns: &[String]) -> Result<SeriesTable> {
    let bad = |message: String| Error::Folder {
        path: path.to_path_buf(),
        message,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(bad("missing: the weekly series the sweep file asks for; run `chokepoint merge` on the sweep's folder".into()));
        }
        Err(e) => return Err(Error::read(path, &e)),
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(format!("not a readable Parquet file (half-written?): {e}")))?;
    let schema = schema(columns);
    let mut table = SeriesTable {
        columns: columns.to_vec(),
        values: vec![Vec::new(); columns.len()],
        ..SeriesTable::default()
    };
    for b in reader {
        let b = b.map_err(|e| bad(e.to_string()))?;
        if b.schema() != schema {
            let typed = |s: &Schema| -> Vec<String> {
                s.fields()
                    .iter()
                    .map(|f| format!("{}: {}", f.name(), f.data_type()))
                    .collect()
            };
            return Err(bad(format!(
                "columns {:?} where the sweep keeps {:?} (a file written by an older chokepoint has other types: run the sweep again)",
                typed(&b.schema()),
                typed(&schema)
            )));
        }
        let ints = |i: usize| {
            b.column(i)
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("schema checked")
        };
        table.run.extend(ints(0).values().iter().map(|&v| v as u64));
        table
            .point
            .extend(ints(1).values().iter().map(|&v| v as u64));
        table
            .week
            .extend(ints(3).values().iter().map(|&v| v as u32));
        for c in 0..columns.len() {
            let v = b
                .column(KEYS.len() + c)
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("schema checked");
            table.values[c].extend(v.iter());
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_odd_names_are_not_series() {
        let s = Shard { index: 2, count: 4 };
        let name = file_name(s, 10, 41);
        assert_eq!(name, "series-00002-of-00004-0000000010-0000000041.parquet");
        assert_eq!(parse_name(&name), Some((s, 10, 41)));
        assert_eq!(parse_name("series-2-of-4-10-41.parquet"), None);
        assert_eq!(
            parse_name(".series-00002-of-00004-0000000010-0000000041.parquet.partial-x"),
            None
        );
    }

    #[test]
    fn text_unknown_and_old_columns_are_refused() {
        use crate::metrics::{DATE, WEEK};
        use crate::systems::{negotiate::TALKS, pressure::PRESSURE};
        let mut available = crate::schema::Columns::default();
        available.add(&WEEK, &[], |_| 0u32);
        available.add(&DATE, &[], |_| "");
        available.add(&PRESSURE, &[("state", "US")], |_| 0.0);
        let track = [("supplier", "CN"), ("consumer", "US"), ("material", "m")];
        available.add(&TALKS, &track, |_| "idle");
        let want: Vec<String> = [
            "US_pressure_index",
            "date",
            "nope",
            "US_pressure_index",
            "US_pressure",
            "week",
            "CN_US_m_talks",
            "talks_CN-US-m",
        ]
        .map(String::from)
        .to_vec();
        let problems = check(&want, &available);
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "series[1]",
                "series[2]",
                "series[3]",
                "series[4]",
                "series[5]",
                "series[6]",
                "series[7]"
            ]
        );
        assert!(
            problems[6]
                .message
                .contains("`talks_CN-US-m` is now called `CN_US_m_talks`, which is text"),
            "{}",
            problems[6].message
        );
        assert!(
            problems[3]
                .message
                .contains("`US_pressure` is now called `US_pressure_index`"),
            "{}",
            problems[3].message
        );
        assert!(
            problems[1].message.contains("not a column"),
            "{}",
            problems[1].message
        );
    }

    fn run(id: u64) -> RunSeries {
        RunSeries {
            run: id,
            point: id / 2,
            replicate: id % 2,
            weeks: vec![0, 1, 2],
            values: vec![vec![Some(id as f64), None, Some(1.5)]],
        }
    }

    #[test]
    fn resume_keeps_files_without_gaps_within_the_rows_done() {
        let dir = tempfile::tempdir().unwrap();
        let s = Shard { index: 0, count: 1 };
        let cols = vec!["x".to_string()];
        for (a, b) in [(0, 1), (2, 4), (5, 6)] {
            let runs: Vec<RunSeries> = (a..=b).map(run).collect();
            write_batch(dir.path(), s, a, b, &runs, &cols).unwrap();
        }
        // Rows of runs 0..=5 were written: the file of 5..=6 reaches past them.
        assert_eq!(reconcile(dir.path(), s, &(0..10), 6).unwrap(), 5);
        assert_eq!(files_of(dir.path(), Some(s)).unwrap().len(), 2);
        let out = merge_err(dir.path());
        assert!(out.contains("cover runs 0 to 4 of 7 runs"), "{out}");
    }

    fn merge_err(parts: &Path) -> String {
        let root = parts
            .parent()
            .unwrap()
            .join(format!("m-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::rename(parts, root.join("parts")).unwrap();
        let e = merge(
            &root,
            7,
            &["x".to_string()],
            &[Shard { index: 0, count: 1 }],
            &mut Staged::new(),
        )
        .unwrap_err()
        .to_string();
        std::fs::rename(root.join("parts"), parts).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        e
    }

    #[test]
    fn merged_series_do_not_depend_on_batching() {
        // Row groups of 4 rows: the 27 rows are re-cut across the files.
        let cols = vec!["x".to_string()];
        let merged = |cuts: &[(u64, u64)]| {
            let dir = tempfile::tempdir().unwrap();
            let parts = dir.path().join("parts");
            std::fs::create_dir_all(&parts).unwrap();
            for &(a, b) in cuts {
                let runs: Vec<RunSeries> = (a..=b).map(run).collect();
                write_batch(&parts, Shard { index: 0, count: 1 }, a, b, &runs, &cols).unwrap();
            }
            let mut staged = Staged::new();
            let path = merge_in(
                dir.path(),
                9,
                &cols,
                &[Shard { index: 0, count: 1 }],
                4,
                &mut staged,
            )
            .unwrap();
            staged.commit().unwrap();
            let table = read(&path, &cols).unwrap();
            assert_eq!(table.week.len(), 27);
            assert_eq!(table.values[0][3], Some(1.0));
            assert_eq!(table.values[0][4], None);
            std::fs::read(path).unwrap()
        };
        assert_eq!(merged(&[(0, 8)]), merged(&[(0, 0), (1, 5), (6, 8)]));
    }
}
