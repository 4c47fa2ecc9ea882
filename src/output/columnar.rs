//! CSV tables of a sweep also as Parquet (zstd), readable by pandas,
//! polars and R arrow. Column types are inferred from the CSV: integers
//! (Int64, or UInt64 when a value exceeds i64, as seeds do), floats
//! (Float64), otherwise text; empty cells are nulls.

use crate::error::{Error, Result};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch (and row group).
const BATCH: usize = 8_192;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    UInt,
    Float,
    Text,
}

fn widen(kind: Kind, value: &str) -> Kind {
    if value.is_empty() {
        return kind;
    }
    match kind {
        Kind::Int if value.parse::<i64>().is_ok() => Kind::Int,
        Kind::Int | Kind::UInt if value.parse::<u64>().is_ok() => Kind::UInt,
        Kind::Int | Kind::UInt | Kind::Float if value.parse::<f64>().is_ok() => Kind::Float,
        _ => Kind::Text,
    }
}

fn column(kind: Kind, rows: &[csv::StringRecord], i: usize) -> ArrayRef {
    let cells = rows.iter().map(|r| r.get(i).filter(|v| !v.is_empty()));
    match kind {
        Kind::Int => Arc::new(
            cells
                .map(|v| v.and_then(|v| v.parse().ok()))
                .collect::<Int64Array>(),
        ),
        Kind::UInt => Arc::new(
            cells
                .map(|v| v.and_then(|v| v.parse().ok()))
                .collect::<UInt64Array>(),
        ),
        Kind::Float => Arc::new(
            cells
                .map(|v| v.and_then(|v| v.parse().ok()))
                .collect::<Float64Array>(),
        ),
        Kind::Text => Arc::new(cells.collect::<StringArray>()),
    }
}

/// Writes into `file` the Parquet form of the CSV file `csv_path` (two
/// streaming passes); `text` names columns that are text whatever they
/// hold, and `parquet_path` is the name errors give.
pub fn write_parquet(
    csv_path: &Path,
    file: &mut std::fs::File,
    parquet_path: &Path,
    text: &[&str],
) -> Result<()> {
    let csv_err = |e: csv::Error| Error::Output(format!("{}: {e}", csv_path.display()));
    let mut reader = csv::Reader::from_path(csv_path).map_err(csv_err)?;
    let names: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(String::from)
        .collect();
    let mut kinds: Vec<Kind> = names
        .iter()
        .map(|n| {
            if text.contains(&n.as_str()) {
                Kind::Text
            } else {
                Kind::Int
            }
        })
        .collect();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        for (k, v) in kinds.iter_mut().zip(record.iter()) {
            *k = widen(*k, v);
        }
    }
    let fields: Vec<Field> = names
        .iter()
        .zip(&kinds)
        .map(|(n, k)| {
            let t = match k {
                Kind::Int => DataType::Int64,
                Kind::UInt => DataType::UInt64,
                Kind::Float => DataType::Float64,
                Kind::Text => DataType::Utf8,
            };
            Field::new(n, t, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ))
        .set_max_row_group_row_count(Some(BATCH))
        .build();
    let pq_err = |e: parquet::errors::ParquetError| {
        Error::Output(format!("{}: {e}", parquet_path.display()))
    };
    {
        let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(pq_err)?;
        let mut reader = csv::Reader::from_path(csv_path).map_err(csv_err)?;
        let mut rows = Vec::with_capacity(BATCH);
        let mut records = reader.records();
        loop {
            rows.clear();
            for record in records.by_ref().take(BATCH) {
                rows.push(record.map_err(csv_err)?);
            }
            if rows.is_empty() {
                break;
            }
            let columns: Vec<ArrayRef> = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| column(*k, &rows, i))
                .collect();
            let batch = RecordBatch::try_new(schema.clone(), columns)
                .map_err(|e| Error::Output(e.to_string()))?;
            writer.write(&batch).map_err(pq_err)?;
        }
        writer.close().map_err(pq_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    #[test]
    fn types_are_inferred_and_rows_survive() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("t.csv");
        std::fs::write(
            &csv_path,
            "run,seed,x,status,week\n0,18446744073709551615,0.5,ok,3\n1,7,,failed,\n",
        )
        .unwrap();
        let pq = dir.path().join("t.parquet");
        crate::output::write_atomic_with(&pq, |f| write_parquet(&csv_path, f, &pq, &[])).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&pq).unwrap()).unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.file_metadata().num_rows(), 2);
        let schema =
            parquet::arrow::parquet_to_arrow_schema(meta.file_metadata().schema_descr(), None)
                .unwrap();
        let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
        assert_eq!(
            types,
            [
                &DataType::Int64,
                &DataType::UInt64,
                &DataType::Float64,
                &DataType::Utf8,
                &DataType::Int64
            ]
        );
    }

    #[test]
    fn widening_goes_int_uint_float_text() {
        assert_eq!(widen(Kind::Int, "-3"), Kind::Int);
        assert_eq!(widen(Kind::Int, "18446744073709551615"), Kind::UInt);
        assert_eq!(widen(Kind::UInt, "1.5"), Kind::Float);
        assert_eq!(widen(Kind::Float, "abc"), Kind::Text);
        assert_eq!(widen(Kind::Text, "1"), Kind::Text);
        assert_eq!(widen(Kind::Float, ""), Kind::Float);
    }
}
