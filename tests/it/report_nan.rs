//! `chokepoint report` refuses NaN and infinity in every file it reads, in
//! any column (also inside the transcript's `terms` and `note` text),
//! naming the file, the line and the column; exit code 2, no page written.

use crate::common::*;
use arrow_array::{ArrayRef, Float64Array, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use std::sync::Arc;

/// Makes the output folder `out` in `tmp` with `args` (`run ...` or an
/// unsharded `sweep ...`, which merges).
fn make(tmp: &Path, args: &[&str], out: &str) {
    let mut all = args.to_vec();
    all.extend(["--out", out]);
    let o = chokepoint(tmp, &all);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Replaces, in the CSV file `path`, the first non-empty cell of `column` at
/// or after data row `from` by `cell(old)`; returns the line changed.
fn set_cell(path: &Path, column: &str, from: usize, cell: impl Fn(&str) -> String) -> usize {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let c = header
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("{}: no column `{column}`", path.display()));
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let row = (from..rows.len())
        .find(|&r| !rows[r][c].is_empty())
        .unwrap_or_else(|| panic!("{}: no value in `{column}`", path.display()));
    rows[row][c] = cell(&rows[row][c]);
    let mut writer = csv::Writer::from_path(path).unwrap();
    writer.write_record(&header).unwrap();
    for r in rows {
        writer.write_record(r).unwrap();
    }
    writer.flush().unwrap();
    row + 2
}

/// Sets the first value of the first series column of `series.parquet` to `v`.
fn set_series_value(path: &Path, v: f64) {
    let file = std::fs::File::open(path).unwrap();
    let batches: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let schema = batches[0].schema();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    for (i, b) in batches.iter().enumerate() {
        let mut columns: Vec<ArrayRef> = b.columns().to_vec();
        if i == 0 {
            let old = columns[4].as_any().downcast_ref::<Float64Array>().unwrap();
            let mut values: Vec<Option<f64>> = old.iter().collect();
            values[0] = Some(v);
            columns[4] = Arc::new(Float64Array::from(values));
        }
        w.write(&RecordBatch::try_new(b.schema(), columns).unwrap())
            .unwrap();
    }
    w.close().unwrap();
}

struct Case {
    /// Output folder (made once per kind) and file.
    folder: &'static str,
    file: &'static str,
    column: &'static str,
    /// First data row looked at.
    from: usize,
    /// The cell written, from the old one.
    cell: fn(&str) -> String,
    /// The bad text the message quotes.
    shows: &'static str,
}

fn check(tmp: &Path, case: &Case) {
    let name = format!("{}/{} `{}`", case.folder, case.file, case.column);
    let copy = tmp.join(format!("{}-copy", case.folder));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(&copy).unwrap();
    for f in std::fs::read_dir(tmp.join(case.folder)).unwrap() {
        let f = f.unwrap().path();
        if f.is_file() {
            std::fs::copy(&f, copy.join(f.file_name().unwrap())).unwrap();
        }
    }
    let target = copy.join(case.file);
    let expected = if case.file == "series.parquet" {
        set_series_value(&target, f64::NAN);
        "series.parquet: row 0 (run 0, week 0), column `CN_magnets_to_US_exports_kg`: NaN"
            .to_string()
    } else {
        let line = set_cell(&target, case.column, case.from, case.cell);
        format!(
            "{}: line {line}, column `{}`: `{}`",
            case.file, case.column, case.shows
        )
    };
    let o = chokepoint(tmp, &["report", copy.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(err.contains(&expected), "{name}: `{expected}` not in {err}");
    assert!(
        !copy.join("report.html").exists(),
        "{name}: a page was written"
    );
}

#[test]
fn report_refuses_non_finite_numbers_in_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    make(t, &["run", data("small_run.ron").to_str().unwrap()], "run");
    make(
        t,
        &["sweep", data("sweep_small.ron").to_str().unwrap()],
        "sweep",
    );
    make(
        t,
        &["sweep", data("sweep_sobol_small.ron").to_str().unwrap()],
        "sobol",
    );
    let nan = |_: &str| "NaN".to_string();
    let inf = |_: &str| "inf".to_string();
    let cases = [
        Case {
            folder: "run",
            file: "timeseries.csv",
            column: "US_pressure_index",
            from: 3,
            cell: nan,
            shows: "NaN",
        },
        // a column the page does not draw is read all the same
        Case {
            folder: "run",
            file: "summary.csv",
            column: "detections_count",
            from: 0,
            cell: nan,
            shows: "NaN",
        },
        Case {
            folder: "run",
            file: "summary.csv",
            column: "peak_readiness_gap_share",
            from: 0,
            cell: |_| "-inf".into(),
            shows: "-inf",
        },
        Case {
            folder: "run",
            file: "transcript.csv",
            column: "consumer_utility_index",
            from: 1,
            cell: inf,
            shows: "inf",
        },
        Case {
            folder: "run",
            file: "transcript.csv",
            column: "terms",
            from: 0,
            cell: |old| {
                let (name, _) = old.split_once('=').unwrap();
                format!("{name}=NaN;{}", old.split_once(';').unwrap().1)
            },
            shows: "NaN",
        },
        Case {
            folder: "run",
            file: "transcript.csv",
            column: "note",
            from: 0,
            cell: |old| format!("{}=NaN", old.rsplit_once('=').unwrap().0),
            shows: "NaN",
        },
        Case {
            folder: "sweep",
            file: "runs.csv",
            column: "agreements_count",
            from: 4,
            cell: nan,
            shows: "NaN",
        },
        Case {
            folder: "sweep",
            file: "points.csv",
            column: "median",
            from: 2,
            cell: inf,
            shows: "inf",
        },
        Case {
            folder: "sweep",
            file: "series.parquet",
            column: "CN_magnets_to_US_exports_kg",
            from: 0,
            cell: nan,
            shows: "NaN",
        },
        Case {
            folder: "sobol",
            file: "sobol.csv",
            column: "total_order_ci95_high_index",
            from: 1,
            cell: nan,
            shows: "NaN",
        },
    ];
    for case in &cases {
        check(t, case);
    }
    // the folders as written report
    for folder in ["run", "sweep", "sobol"] {
        let o = chokepoint(t, &["report", folder]);
        assert!(o.status.success(), "{folder}: {}", stderr(&o));
    }
}
