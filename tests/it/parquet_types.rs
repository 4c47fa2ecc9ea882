//! A sweep's Parquet files have the types its producers declare, never
//! types inferred from the values: two sweeps of the same model have the
//! same schema whatever their values, so their files concatenate.

use crate::common::*;
use arrow_array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, SchemaRef};
use std::path::{Path, PathBuf};

/// Runs `tests/data/sweep_small.ron` into `tmp/out`, its base run's
/// scenario changed by `set`.
fn small_sweep(tmp: &Path, set: &[&str], out: &str) -> PathBuf {
    sweep_of("sweep_small.ron", tmp, set, out)
}

/// Runs `tests/data/FILE` into `tmp/out`, its base run's scenario changed
/// by `set`.
fn sweep_of(file: &str, tmp: &Path, set: &[&str], out: &str) -> PathBuf {
    let base = tmp.join(format!("{out}_run.ron"));
    std::fs::write(
        &base,
        format!(
            "RunConfig(model: {:?}, weeks: 40, seed: 7, set: {set:?})",
            data("small.ron").to_str().unwrap()
        ),
    )
    .unwrap();
    let text = std::fs::read_to_string(data(file)).unwrap().replace(
        "base: \"small_run.ron\"",
        &format!("base: {:?}", base.to_str().unwrap()),
    );
    let file = tmp.join(format!("{out}.ron"));
    std::fs::write(&file, text).unwrap();
    let o = chokepoint(tmp, &["sweep", file.to_str().unwrap(), "--out", out]);
    assert!(o.status.success(), "{}", stderr(&o));
    tmp.join(out)
}

fn parquet(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let file = std::fs::File::open(path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let batches = builder.build().unwrap().map(Result::unwrap).collect();
    (schema, batches)
}

/// The declared (column, type) list of `sweep.ron`, as Arrow types.
fn declared(dir: &Path) -> Vec<(String, DataType)> {
    let text = std::fs::read_to_string(dir.join("sweep.ron")).unwrap();
    let manifest: chokepoint::sweep::SweepManifest =
        chokepoint::config::parse_ron(&dir.join("sweep.ron"), &text).unwrap();
    manifest
        .columns
        .into_iter()
        .map(|(c, t)| (c, chokepoint::output::columnar::data_type(t)))
        .collect()
}

/// `runs.parquet` has the declared types, and the same values as
/// `runs.csv`, including float columns whose values are all whole numbers
/// (which an inferring writer would have made Int64).
#[test]
fn runs_parquet_has_the_declared_types_and_the_values_of_runs_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = small_sweep(tmp.path(), &[], "a");
    let declared = declared(&dir);
    let (schema, batches) = parquet(&dir.join("runs.parquet"));
    let got: Vec<(String, DataType)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect();
    assert_eq!(got, declared);
    let mut csv = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let batch = arrow_select::concat::concat_batches(&schema, &batches).unwrap();
    assert_eq!(batch.num_rows(), rows.len());
    let mut whole_floats = 0;
    for (i, (name, t)) in declared.iter().enumerate() {
        let column = batch.column(i);
        let cells: Vec<&str> = rows.iter().map(|r| &r[i]).collect();
        for (j, cell) in cells.iter().enumerate() {
            assert_eq!(column.is_null(j), cell.is_empty(), "{name} row {j}");
            if cell.is_empty() {
                continue;
            }
            match t {
                DataType::Int64 => {
                    let a = column.as_any().downcast_ref::<Int64Array>().unwrap();
                    assert_eq!(a.value(j), cell.parse::<i64>().unwrap(), "{name} row {j}");
                }
                DataType::Float64 => {
                    let a = column.as_any().downcast_ref::<Float64Array>().unwrap();
                    assert_eq!(a.value(j), cell.parse::<f64>().unwrap(), "{name} row {j}");
                }
                _ => {
                    let a = column.as_any().downcast_ref::<StringArray>().unwrap();
                    assert_eq!(a.value(j), *cell, "{name} row {j}");
                }
            }
        }
        let whole = cells
            .iter()
            .all(|c| c.is_empty() || c.parse::<i64>().is_ok());
        whole_floats += (*t == DataType::Float64 && whole) as u32;
    }
    assert!(
        whole_floats > 0,
        "no float column is all whole numbers here: the test would not tell declared types from inferred ones"
    );
    // The weekly series join runs.parquet on run and point: the same types.
    let (series, _) = parquet(&dir.join("series.parquet"));
    for key in ["run", "point", "replicate", "week"] {
        assert_eq!(
            series.field_with_name(key).unwrap().data_type(),
            &DataType::Int64,
            "{key}"
        );
    }
}

/// The float columns of `runs.csv` in `dir` whose values are all whole.
fn whole_float_columns(dir: &Path) -> Vec<String> {
    let mut csv = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    declared(dir)
        .into_iter()
        .enumerate()
        .filter(|(i, (_, t))| {
            *t == DataType::Float64
                && rows
                    .iter()
                    .all(|r| r[*i].is_empty() || r[*i].parse::<i64>().is_ok())
        })
        .map(|(_, (c, _))| c)
        .collect()
}

/// Two sweeps of the same model in which some float column is all whole
/// numbers in one and not in the other (no talks open in the second, so
/// nothing is conceded: an inferring writer would make those columns Int64
/// there and Float64 in the first) have the same schemas, and their tables
/// concatenate.
#[test]
fn two_sweeps_of_one_model_have_the_same_parquet_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let no_talks = [
        "states.US.preferences.open_threshold=1.0",
        "states.CN.preferences.open_threshold=1.0",
    ];
    let (a, b) = (
        small_sweep(tmp.path(), &[], "a"),
        small_sweep(tmp.path(), &no_talks, "b"),
    );
    let (wa, wb) = (whole_float_columns(&a), whole_float_columns(&b));
    assert!(
        wb.iter().any(|c| !wa.contains(c)),
        "no float column is whole in one sweep only: {wa:?} / {wb:?}"
    );
    for file in ["runs.parquet", "points.parquet", "series.parquet"] {
        same_schema_and_concatenate(&a, &b, file);
    }
    // A Sobol design's indices too.
    let (a, b) = (
        sweep_of("sweep_sobol_small.ron", tmp.path(), &[], "sa"),
        sweep_of("sweep_sobol_small.ron", tmp.path(), &no_talks, "sb"),
    );
    let (wa, wb) = (whole_float_columns(&a), whole_float_columns(&b));
    assert!(
        wb.iter().any(|c| !wa.contains(c)),
        "no float column is whole in one Sobol sweep only: {wa:?} / {wb:?}"
    );
    for file in ["runs.parquet", "points.parquet", "sobol.parquet"] {
        same_schema_and_concatenate(&a, &b, file);
    }
}

fn same_schema_and_concatenate(a: &Path, b: &Path, file: &str) {
    let ((sa, ba), (sb, bb)) = (parquet(&a.join(file)), parquet(&b.join(file)));
    assert_eq!(sa, sb, "{file}");
    let all: Vec<RecordBatch> = ba.into_iter().chain(bb).collect();
    arrow_select::concat::concat_batches(&sa, &all).unwrap();
}
