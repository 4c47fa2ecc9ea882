//! The crate's error type. The library returns these; only `main.rs` turns
//! them into messages and exit codes.

use std::fmt;
use std::path::PathBuf;

/// One problem found in an input, with the file and the field it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted path of the field, e.g. `states[CN].export_controls[0].approval.civilian`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is malformed or does not fit the expected type (a RON file,
    /// a sweep's part file); `field` names the field or column.
    #[error("{}:{line}:{column}: {}{message}", path.display(), field_prefix(field))]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    /// The file parsed but its values are invalid; every problem is listed.
    #[error("{}: {} problem(s):\n{}", path.display(), problems.len(), list(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// A `--set PATH=VALUE` override could not be applied.
    #[error("--set {assignment}: {message}")]
    Override { assignment: String, message: String },
    /// A command-line argument is invalid.
    #[error("{0}")]
    Usage(String),
    /// Writing output failed for a reason other than IO.
    #[error("output: {0}")]
    Output(String),
    /// A file of an output folder (read by `report`) is missing, half-written
    /// or malformed; `path` names the file.
    #[error("{}: {message}", path.display())]
    Folder { path: PathBuf, message: String },
    /// An input file cannot be read: a folder, a symbolic link loop, no
    /// permission, missing.
    #[error("{}: cannot read: {message}", path.display())]
    Read { path: PathBuf, message: String },
    /// A sweep was asked to stop (`SweepOptions::stop`) before its last
    /// run; the runs done are written and `--resume` completes the folder.
    #[error(
        "{}: the sweep stopped after {done} of {total} runs; `chokepoint sweep --resume` (or `resume=True` from Python) completes it",
        dir.display()
    )]
    Stopped { dir: PathBuf, done: u64, total: u64 },
    /// Something the command did not write is where its output goes; it is
    /// left as it is (see `output::owned`).
    #[error("{}: {message}", path.display())]
    InTheWay { path: PathBuf, message: String },
}

impl Error {
    /// Whether the error comes from the user's input (exit code 2) rather
    /// than from the environment (exit code 1).
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Parse { .. }
            | Error::Invalid { .. }
            | Error::Override { .. }
            | Error::Usage(_)
            | Error::Folder { .. }
            | Error::Read { .. }
            | Error::InTheWay { .. } => true,
            Error::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            Error::Output(_) | Error::Stopped { .. } => false,
        }
    }

    /// An input file that cannot be read, with the reason in plain words.
    pub(crate) fn read(path: impl Into<PathBuf>, source: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        let message = match source.kind() {
            ErrorKind::NotFound => "no such file".to_string(),
            ErrorKind::IsADirectory => "it is a folder, not a file".to_string(),
            ErrorKind::PermissionDenied => "permission denied".to_string(),
            // ELOOP
            _ if source.raw_os_error() == Some(40) => {
                "a loop of symbolic links (too many levels)".to_string()
            }
            _ => source.to_string(),
        };
        Error::Read {
            path: path.into(),
            message,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() || field == "." {
        String::new()
    } else {
        format!("field `{field}`: ")
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
