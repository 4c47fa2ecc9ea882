//! CSV tables of a sweep also as Parquet (zstd), readable by pandas,
//! polars and R arrow. Column types are declared by the table's producer
//! (`metrics::ColumnType`), never inferred from the values: Int64, Float64
//! or text; empty cells are nulls. Two sweeps of the same model therefore
//! have the same Parquet schema whatever their values.

use crate::error::{Error, Result};
use crate::metrics::{ColumnType, Table};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Rows per record batch (and row group).
const BATCH: usize = 8_192;

/// The Arrow type of a column type.
pub fn data_type(t: ColumnType) -> DataType {
    match t {
        ColumnType::Int => DataType::Int64,
        ColumnType::Float => DataType::Float64,
        ColumnType::Text => DataType::Utf8,
    }
}

/// Column `i` of `rows` as an array of type `t`; a cell that is not a
/// value of that type is an error naming its column.
fn column(t: ColumnType, rows: &[csv::StringRecord], i: usize, name: &str) -> Result<ArrayRef> {
    let cells = rows.iter().map(|r| r.get(i).filter(|v| !v.is_empty()));
    let bad = |v: &str| Error::Output(format!("column `{name}`: `{v}` is not {t:?}"));
    Ok(match t {
        ColumnType::Int => Arc::new(
            cells
                .map(|v| v.map(|v| v.parse::<i64>().map_err(|_| bad(v))).transpose())
                .collect::<Result<Int64Array>>()?,
        ),
        ColumnType::Float => Arc::new(
            cells
                .map(|v| v.map(|v| v.parse::<f64>().map_err(|_| bad(v))).transpose())
                .collect::<Result<Float64Array>>()?,
        ),
        ColumnType::Text => Arc::new(cells.collect::<StringArray>()),
    })
}

/// A run's table as one Arrow record batch of its declared types, each
/// cell read from its CSV text (`output::cell_text`) as `write_parquet`
/// reads a CSV file: the same values, and nulls where the CSV is empty, as
/// the table's CSV file gives. The Python package hands these to polars.
pub fn record_batch(table: &Table) -> Result<RecordBatch> {
    let rows: Vec<csv::StringRecord> = table
        .rows
        .iter()
        .map(|r| r.iter().map(super::cell_text).collect())
        .collect();
    let fields: Vec<Field> = table
        .columns
        .iter()
        .zip(&table.types)
        .map(|(n, k)| Field::new(n, data_type(*k), true))
        .collect();
    let columns: Vec<ArrayRef> = table
        .types
        .iter()
        .enumerate()
        .map(|(i, k)| column(*k, &rows, i, &table.columns[i]))
        .collect::<Result<_>>()?;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Output(e.to_string()))
}

/// Writes into `file` the Parquet form of the CSV file `csv_path`, whose
/// columns have the types `types` (by name; a column not named there is an
/// error); `parquet_path` is the name errors give.
pub fn write_parquet(
    csv_path: &Path,
    file: &mut std::fs::File,
    parquet_path: &Path,
    types: &dyn Fn(&str) -> Option<ColumnType>,
) -> Result<()> {
    let csv_err = |e: csv::Error| Error::Output(format!("{}: {e}", csv_path.display()));
    let mut reader = csv::Reader::from_path(csv_path).map_err(csv_err)?;
    let names: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(String::from)
        .collect();
    let kinds: Vec<ColumnType> = names
        .iter()
        .map(|n| {
            types(n).ok_or_else(|| {
                Error::Output(format!(
                    "{}: column `{n}` has no declared type",
                    csv_path.display()
                ))
            })
        })
        .collect::<Result<_>>()?;
    let fields: Vec<Field> = names
        .iter()
        .zip(&kinds)
        .map(|(n, k)| Field::new(n, data_type(*k), true))
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
                .map(|(i, k)| column(*k, &rows, i, &names[i]))
                .collect::<Result<_>>()
                .map_err(|e| match e {
                    Error::Output(m) => Error::Output(format!("{}: {m}", csv_path.display())),
                    other => other,
                })?;
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

    /// The declared types are written, not inferred: a float column whose
    /// values are all whole stays Float64; empty cells are nulls.
    #[test]
    fn declared_types_are_written_whatever_the_values() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("t.csv");
        std::fs::write(
            &csv_path,
            "run,seed,x,status,week\n0,9007199254740991,2,ok,3\n1,7,,failed,\n",
        )
        .unwrap();
        let pq = dir.path().join("t.parquet");
        let types = |n: &str| {
            Some(match n {
                "x" => ColumnType::Float,
                "status" => ColumnType::Text,
                _ => ColumnType::Int,
            })
        };
        crate::output::write_atomic_with(&pq, |f| write_parquet(&csv_path, f, &pq, &types))
            .unwrap();
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
                &DataType::Int64,
                &DataType::Float64,
                &DataType::Utf8,
                &DataType::Int64
            ]
        );
    }

    /// A cell that is not of its column's type, or a column without a
    /// type, is an error, not a column of another type.
    #[test]
    fn a_value_of_another_type_or_an_undeclared_column_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let csv_path = dir.path().join("t.csv");
        std::fs::write(&csv_path, "n\n1.5\n").unwrap();
        let pq = dir.path().join("t.parquet");
        let int = |_: &str| Some(ColumnType::Int);
        let e = crate::output::write_atomic_with(&pq, |f| write_parquet(&csv_path, f, &pq, &int));
        assert!(e.unwrap_err().to_string().contains("`1.5` is not Int"));
        let none = |_: &str| None;
        let e = crate::output::write_atomic_with(&pq, |f| write_parquet(&csv_path, f, &pq, &none));
        assert!(e.unwrap_err().to_string().contains("no declared type"));
    }
}
