//! A CSV file of an output folder, read whole, with errors that name the
//! file, the line and the column. Output files write no value as an empty
//! cell, never NaN or infinity: a cell that reads as one is refused when the
//! file is read, whatever its column.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A CSV table: header and text cells.
#[derive(Debug, Clone)]
pub struct Frame {
    pub path: PathBuf,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Line of the file on which each row starts (a quoted cell may hold
    /// line breaks).
    pub lines: Vec<u64>,
}

/// Whether `text` reads as a number that is not finite (`NaN`, `inf`, ...).
fn non_finite(text: &str) -> bool {
    text.trim().parse::<f64>().is_ok_and(|v| !v.is_finite())
}

/// An error about `path`.
pub fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Folder {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn not_finite(path: &Path, line: u64, column: &str, text: &str) -> Error {
    bad(
        path,
        format!("line {line}, column `{column}`: `{text}` is not a finite number"),
    )
}

/// Reads a file an output folder must have; a missing one is named as such.
pub fn read_required(path: &Path, what: &str) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(bad(path, format!("missing: {what}")))
        }
        // a folder, a link loop, not UTF-8: the folder is not one report can read
        Err(e) => Err(Error::read(path, &e)),
    }
}

impl Frame {
    /// Reads `path`. A missing or empty file, a last line with no end of
    /// line, or a row with the wrong number of fields (a half-written line)
    /// is an error naming the file and line. A file with a header and no
    /// rows is not; callers check the rows they need.
    pub fn read(path: &Path, what: &str) -> Result<Frame> {
        let text = read_required(path, what)?;
        if !text.is_empty() && !text.ends_with('\n') {
            let line = text.lines().count();
            return Err(bad(
                path,
                format!("line {line} is cut off (no end of line): the file is half-written"),
            ));
        }
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| bad(path, format!("header: {e}")))?
            .iter()
            .map(str::to_owned)
            .collect();
        if columns.is_empty() || columns == [""] {
            return Err(bad(path, "empty file: no header"));
        }
        let (mut rows, mut lines) = (Vec::new(), Vec::new());
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "{len} fields where the header has {expected_len}: the file is half-written or damaged"
                    ),
                    _ => e.to_string(),
                };
                bad(path, format!("line {line}: {message}"))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            if let Some((c, cell)) = record.iter().enumerate().find(|(_, t)| non_finite(t)) {
                return Err(not_finite(path, line, &columns[c], cell));
            }
            rows.push(record.iter().map(str::to_owned).collect());
            lines.push(line);
        }
        Ok(Frame {
            path: path.to_path_buf(),
            columns,
            rows,
            lines,
        })
    }

    /// Numbers written inside the text cells of `column` as `name=value`
    /// items, separated by `;` or `,` (the transcript's `terms` and `note`),
    /// must be finite too.
    pub fn check_embedded_numbers(&self, column: &str) -> Result<()> {
        let c = self.index(column)?;
        for (row, cells) in self.rows.iter().enumerate() {
            let values = cells[c]
                .split([';', ','])
                .filter_map(|item| item.split_once('=').map(|(_, v)| v));
            if let Some(v) = values.into_iter().find(|v| non_finite(v)) {
                return Err(not_finite(&self.path, self.lines[row], column, v));
            }
        }
        Ok(())
    }

    /// Index of column `name`.
    pub fn index(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| bad(&self.path, format!("no column `{name}`")))
    }

    /// Cell (`row`, `column`) as a number; an empty cell is `None`.
    pub fn number(&self, row: usize, column: usize) -> Result<Option<f64>> {
        let text = self.rows[row][column].trim();
        if text.is_empty() {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(not_finite(
                &self.path,
                self.lines[row],
                &self.columns[column],
                text,
            )),
        }
    }

    /// Column `name` as numbers.
    pub fn numbers(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let c = self.index(name)?;
        (0..self.rows.len()).map(|r| self.number(r, c)).collect()
    }

    /// Column `name` as text.
    pub fn texts(&self, name: &str) -> Result<Vec<&str>> {
        let c = self.index(name)?;
        Ok(self.rows.iter().map(|r| r[c].as_str()).collect())
    }

    /// Column `name` of the single row of a one-row file.
    pub fn only(&self, name: &str) -> Result<Option<f64>> {
        self.number(0, self.index(name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Result<Frame> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).unwrap();
        Frame::read(&path, "a test table")
    }

    #[test]
    fn reads_numbers_and_names_bad_cells() {
        let f = frame("a,b,d\n1,2.5,x\n,x,\"two\nlines\"\n3,4,5\n").unwrap();
        assert_eq!(f.numbers("a").unwrap(), vec![Some(1.0), None, Some(3.0)]);
        assert_eq!(f.lines, [2, 3, 5]);
        let e = f.numbers("b").unwrap_err().to_string();
        assert!(
            e.contains("t.csv: line 3, column `b`: `x` is not a finite number"),
            "{e}"
        );
        assert!(
            f.index("c")
                .unwrap_err()
                .to_string()
                .contains("no column `c`")
        );
    }

    #[test]
    fn non_finite_numbers_are_refused_in_any_column() {
        for (text, expected) in [
            ("a,b\n1,NaN\n", "line 2, column `b`: `NaN`"),
            ("a,b\n1,2\n\"x\ny\",inf\n", "line 3, column `b`: `inf`"),
            ("a,b\n-inf,2\n", "line 2, column `a`: `-inf`"),
            ("a,b\n1, infinity\n", "line 2, column `b`: ` infinity`"),
        ] {
            let e = frame(text).unwrap_err().to_string();
            assert!(e.contains(&format!("t.csv: {expected}")), "{text:?}: {e}");
        }
        // text that merely contains the letters is text
        assert!(frame("a,b\ninfo,nano\n").is_ok());
        let f = frame("terms,note\nx=1.000;y=2.5,\"p A=0.3, B=NaN\"\n").unwrap();
        f.check_embedded_numbers("terms").unwrap();
        let e = f.check_embedded_numbers("note").unwrap_err().to_string();
        assert!(e.contains("t.csv: line 2, column `note`: `NaN`"), "{e}");
    }

    #[test]
    fn half_written_files_are_errors_naming_file_and_line() {
        let e = frame("a,b\n1,2\n3").unwrap_err().to_string();
        assert!(e.contains("t.csv: line 3 is cut off"), "{e}");
        let e = frame("a,b\n1,2\n3\n").unwrap_err().to_string();
        assert!(
            e.contains("t.csv: line 3: 1 fields where the header has 2"),
            "{e}"
        );
        let e = frame("").unwrap_err().to_string();
        assert!(e.contains("empty file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = Frame::read(&dir.path().join("gone.csv"), "the week table")
            .unwrap_err()
            .to_string();
        assert!(e.contains("gone.csv: missing: the week table"), "{e}");
    }
}
