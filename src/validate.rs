//! `chokepoint validate FILE`: tells scenario, run and sweep files apart
//! and checks one whole, with the files it points at (a run's model, a
//! sweep's base run and every axis value), without running the model.

use crate::config::{self, RunOverrides};
use crate::error::Result;
use crate::sweep;
use std::path::Path;

/// Which kind of file `validate` was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Scenario,
    Run,
    Sweep,
}

/// Tells scenario, run and sweep files apart by their leading struct name
/// (`Scenario(`, `RunConfig(`, `Sweep(`), or, without one, by the first field.
pub fn sniff_kind(text: &str) -> FileKind {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("#![") {
            rest = r.split_once(']').map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    let head = rest.trim_start_matches('(').trim_start();
    if rest.starts_with("RunConfig") || head.starts_with("model") {
        FileKind::Run
    } else if rest.starts_with("Sweep") || head.starts_with("base") {
        FileKind::Sweep
    } else {
        FileKind::Scenario
    }
}

/// Checks a scenario, run or sweep file (and the files it points at) and returns every
/// problem found, or `Ok(kind)`.
pub fn validate_file(path: &Path) -> Result<FileKind> {
    let text = config::read_file(path)?;
    match sniff_kind(&text) {
        FileKind::Scenario => {
            config::check(path, config::parse_ron(path, &text)?)?;
            Ok(FileKind::Scenario)
        }
        FileKind::Run => {
            config::resolve_run(path, &RunOverrides::default())?;
            Ok(FileKind::Run)
        }
        FileKind::Sweep => {
            sweep::prepare(path, None)?;
            Ok(FileKind::Sweep)
        }
    }
}
