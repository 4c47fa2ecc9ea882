//! Every bad input, one table: for each case, exit code 2, a message that
//! names the file (with line and column where the input has a position)
//! and the field, no panic, and not one file created, changed or removed
//! anywhere in the case's folder.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct Case {
    name: &'static str,
    /// Changes to the fixture folder before the command.
    setup: fn(&Path),
    args: &'static [&'static str],
    /// Fragments the message must contain.
    expect: &'static [&'static str],
}

const RUN: &str = "RunConfig(model: \"model.ron\", weeks: 5, seed: 7)\n";
const GRID: &str = "Sweep(\n    base: \"run.ron\",\n    axes: [Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0]))],\n    replicates: 2,\n    seed: 11,\n    series: [\"US_pressure_index\"],\n)\n";

/// The folder every case starts from, made once: the inputs, a run's
/// folder, a sweep split in two shards (not merged) and a merged sweep.
fn outputs() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write_inputs(d);
        let ok = |args: &[&str]| {
            let out = chokepoint(d, args);
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        };
        ok(&["run", "run.ron", "--out", "runout"]);
        ok(&["sweep", "grid.ron", "--out", "shards", "--shard", "0/2"]);
        ok(&["sweep", "grid.ron", "--out", "shards", "--shard", "1/2"]);
        ok(&["sweep", "grid.ron", "--out", "merged"]);
        tmp
    })
    .path()
}

fn write_inputs(d: &Path) {
    std::fs::copy(data("small.ron"), d.join("model.ron")).unwrap();
    std::fs::write(d.join("run.ron"), RUN).unwrap();
    std::fs::write(d.join("grid.ron"), GRID).unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every path below `dir` with its content (files), `/` (folders) or link target.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let content = if meta.file_type().is_symlink() {
                std::fs::read_link(&path)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes()
            } else if meta.is_dir() {
                stack.push(path.clone());
                b"/".to_vec()
            } else {
                std::fs::read(&path).unwrap()
            };
            all.insert(path.strip_prefix(dir).unwrap().to_path_buf(), content);
        }
    }
    all
}

/// Runs a case; `Err` says how it failed.
fn check(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_tree(outputs(), d);
    (case.setup)(d);
    let before = tree(d);
    let out = chokepoint(d, case.args);
    let err = stderr(&out);
    if out.status.code() != Some(2) {
        return Err(format!("exit code {:?}; stderr: {err}", out.status.code()));
    }
    if err.contains("panicked") {
        return Err(format!("panic: {err}"));
    }
    if let Some(f) = case.expect.iter().find(|f| !err.contains(*f)) {
        return Err(format!("`{f}` not in: {err}"));
    }
    // `validate` finds what `run` refuses in the run file and its model
    if case.args == ["run", "run.ron"] {
        let v = chokepoint(d, &["validate", "run.ron"]);
        if v.status.code() != Some(2) {
            return Err(format!("validate: exit code {:?}", v.status.code()));
        }
    }
    let after = tree(d);
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    if !changed.is_empty() {
        return Err(format!("files created, changed or removed: {changed:?}"));
    }
    Ok(())
}

/// Replaces the first `from` in file `name` of `d` by `to`.
fn edit(d: &Path, name: &str, from: &str, to: &str) {
    let path = d.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` not in {name}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn write(d: &Path, name: &str, text: &str) {
    let path = d.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Line `line` (0 = header) of the CSV `name`, with field `field` set to `value`.
fn set_cell(d: &Path, name: &str, line: usize, field: &str, value: &str) {
    let path = d.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == field).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i != line {
                return l.to_string();
            }
            let mut cells: Vec<&str> = l.split(',').collect();
            cells[column] = value;
            cells.join(",")
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn nothing(_: &Path) {}

fn non_utf8(d: &Path, name: &str, line: &str) {
    let mut bytes = std::fs::read(d.join(name)).unwrap();
    bytes.extend_from_slice(line.as_bytes());
    bytes.extend_from_slice(b"\xff\xfe\n");
    std::fs::write(d.join(name), bytes).unwrap();
}

fn link_loop(d: &Path, name: &str) {
    std::fs::remove_file(d.join(name)).ok();
    std::os::unix::fs::symlink(name, d.join(name)).unwrap();
}

const PART0: &str = "shards/parts/part-00000-of-00002.csv";

fn series_parts(d: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(d.join("shards/parts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    v.sort();
    v
}

fn cases_run() -> Vec<Case> {
    vec![
        Case {
            name: "malformed scenario",
            setup: |d| edit(d, "model.ron", "name: \"small\",", "name: \"small\",,"),
            args: &["run", "run.ron"],
            expect: &["model.ron:3:"],
        },
        Case {
            name: "unknown scenario field",
            setup: |d| {
                edit(
                    d,
                    "model.ron",
                    "deadline_weeks: 10.0",
                    "deadline_wekes: 10.0",
                )
            },
            args: &["run", "run.ron"],
            expect: &["model.ron:", "negotiation", "deadline_wekes"],
        },
        Case {
            name: "text where a count goes",
            setup: |d| edit(d, "model.ron", "count: 150", "count: \"many\""),
            args: &["run", "run.ron"],
            expect: &["model.ron:", "populations[0].count"],
        },
        Case {
            name: "float where a count goes",
            setup: |d| edit(d, "model.ron", "count: 150", "count: 150.5"),
            args: &["run", "run.ron"],
            expect: &["model.ron:", "populations[0].count"],
        },
        Case {
            name: "negative duration",
            setup: |d| edit(d, "model.ron", "lead_weeks: 10.0", "lead_weeks: -3.0"),
            args: &["run", "run.ron"],
            expect: &[
                "model.ron",
                "states[US].substitution[plant].lead_weeks",
                ">= 0",
            ],
        },
        Case {
            name: "probability above one",
            setup: |d| {
                edit(
                    d,
                    "model.ron",
                    "detection_probability: 0.3",
                    "detection_probability: 1.5",
                )
            },
            args: &["run", "run.ron"],
            expect: &[
                "model.ron",
                "states[CN].tracking.detection_probability",
                "0..1",
            ],
        },
        Case {
            name: "unknown state",
            setup: |d| {
                edit(
                    d,
                    "model.ron",
                    "home: \"US\", sector: \"parts\"",
                    "home: \"EU\", sector: \"parts\"",
                )
            },
            args: &["run", "run.ron"],
            expect: &["populations[parts].home", "unknown state `EU`"],
        },
        Case {
            name: "a price of 1e308",
            setup: |d| {
                edit(
                    d,
                    "model.ron",
                    "price_per_unit: 60.0",
                    "price_per_unit: 1e308",
                )
            },
            args: &["run", "run.ron"],
            expect: &["model.ron", "materials[magnets].price_per_unit", "at most"],
        },
        Case {
            name: "a capacity of 1e308",
            setup: |d| edit(d, "model.ron", "capacity: 1000.0", "capacity: 1e308"),
            args: &["run", "run.ron"],
            expect: &["model.ron", "firms[OEM].capacity", "at most"],
        },
        Case {
            name: "missing model",
            setup: |d| write(d, "run.ron", "RunConfig(model: \"nowhere.ron\")"),
            args: &["run", "run.ron"],
            expect: &["run.ron", "model", "nowhere.ron", "does not exist"],
        },
        Case {
            name: "missing run file",
            setup: nothing,
            args: &["run", "absent.ron"],
            expect: &["absent.ron", "no such file"],
        },
        Case {
            name: "run file typo",
            setup: |d| write(d, "run.ron", "RunConfig(model: \"model.ron\", wekes: 5)"),
            args: &["run", "run.ron"],
            expect: &["run.ron:1:", "wekes"],
        },
        Case {
            name: "zero weeks",
            setup: |d| write(d, "run.ron", "RunConfig(model: \"model.ron\", weeks: 0)"),
            args: &["run", "run.ron"],
            expect: &["run.ron", "weeks"],
        },
        Case {
            name: "float weeks in a run file",
            setup: |d| {
                write(
                    d,
                    "run.ron",
                    "RunConfig(model: \"model.ron\", weeks: 104.5)",
                )
            },
            args: &["run", "run.ron"],
            expect: &["run.ron:1:", "field `weeks`"],
        },
        Case {
            name: "a start date whose weeks chrono cannot count",
            setup: |d| {
                write(
                    d,
                    "run.ron",
                    "RunConfig(model: \"model.ron\", weeks: 2, start_date: \"+262142-12-31\")",
                )
            },
            args: &["run", "run.ron"],
            expect: &["run.ron", "start_date", "9999"],
        },
        Case {
            name: "unknown path in a run file's set",
            setup: |d| {
                write(
                    d,
                    "run.ron",
                    "RunConfig(\n    model: \"model.ron\",\n    set: [\"negotiation.deadline_wekes=3\"],\n)",
                )
            },
            args: &["run", "run.ron"],
            expect: &["run.ron:3:", "deadline_wekes"],
        },
        Case {
            name: "bad value in a run file's set",
            setup: |d| {
                write(
                    d,
                    "run.ron",
                    "RunConfig(\n    model: \"model.ron\",\n    set: [\"negotiation.deadline_weeks=3\", \"negotiation.breakdown_probability=2\"],\n)",
                )
            },
            args: &["run", "run.ron"],
            expect: &[
                "run.ron",
                "set[1]",
                "line 3, column 43",
                "breakdown_probability",
                "0..1",
            ],
        },
        Case {
            name: "unknown --set path",
            setup: nothing,
            args: &["run", "run.ron", "--set", "negotiation.deadline_wekes=3"],
            expect: &["--set negotiation.deadline_wekes=3", "deadline_weeks"],
        },
        Case {
            name: "--set out of range",
            setup: nothing,
            args: &[
                "run",
                "run.ron",
                "--set",
                "states.CN.tracking.detection_probability=1.5",
            ],
            expect: &["--set", "states[CN].tracking.detection_probability", "0..1"],
        },
        Case {
            name: "--weeks -1",
            setup: nothing,
            args: &["run", "run.ron", "--weeks", "-1"],
            expect: &["invalid value '-1' for '--weeks"],
        },
        Case {
            name: "--seed -1",
            setup: nothing,
            args: &["run", "run.ron", "--seed", "-1"],
            expect: &["invalid value '-1' for '--seed"],
        },
        Case {
            name: "--seed 2^53",
            setup: nothing,
            args: &["run", "run.ron", "--seed", "9007199254740992"],
            expect: &["--seed", "must be in 0..=2^53 - 1", "got 9007199254740992"],
        },
        Case {
            name: "--threads -1",
            setup: nothing,
            args: &["run", "run.ron", "--threads", "-1"],
            expect: &["invalid value '-1' for '--threads"],
        },
        Case {
            name: "--weeks 1.5",
            setup: nothing,
            args: &["run", "run.ron", "--weeks", "1.5"],
            expect: &["--weeks"],
        },
        Case {
            name: "a folder as the model",
            setup: |d| {
                std::fs::create_dir(d.join("adir")).unwrap();
                write(d, "run.ron", "RunConfig(model: \"adir\")");
            },
            args: &["run", "run.ron"],
            expect: &["adir", "folder"],
        },
        Case {
            name: "a folder as the run file",
            setup: |d| std::fs::create_dir(d.join("adir")).unwrap(),
            args: &["run", "adir"],
            expect: &["adir", "folder"],
        },
        Case {
            name: "a link loop as the run file",
            setup: |d| link_loop(d, "run.ron"),
            args: &["run", "run.ron"],
            expect: &["run.ron", "loop"],
        },
        Case {
            name: "a link loop as the model",
            setup: |d| link_loop(d, "model.ron"),
            args: &["run", "run.ron"],
            expect: &["model.ron", "loop"],
        },
        Case {
            name: "a run file that is not UTF-8",
            setup: |d| non_utf8(d, "run.ron", "// é "),
            args: &["run", "run.ron"],
            expect: &["run.ron:2:6:", "UTF-8"],
        },
        Case {
            name: "a model that is not UTF-8",
            setup: |d| non_utf8(d, "model.ron", "//"),
            args: &["run", "run.ron"],
            expect: &["model.ron:57:3:", "UTF-8"],
        },
        Case {
            name: "--out names a regular file",
            setup: |d| write(d, "notes.txt", "my notes"),
            args: &["run", "run.ron", "--out", "notes.txt"],
            expect: &["notes.txt", "not a folder"],
        },
        Case {
            name: "--out holds the user's summary.csv",
            setup: |d| write(d, "paper/summary.csv", "my table"),
            args: &["run", "run.ron", "--out", "paper"],
            expect: &["paper/summary.csv", "not written by `chokepoint run`"],
        },
        Case {
            name: "--out names a sweep's folder",
            setup: nothing,
            args: &["run", "run.ron", "--out", "merged"],
            expect: &["merged", "chokepoint sweep"],
        },
        Case {
            name: "--out folder has a folder named timeseries.csv",
            setup: |d| {
                std::fs::remove_file(d.join("runout/timeseries.csv")).unwrap();
                std::fs::create_dir_all(d.join("runout/timeseries.csv/x")).unwrap();
            },
            args: &["run", "run.ron", "--out", "runout"],
            expect: &["runout/timeseries.csv", "not the file"],
        },
        Case {
            name: "--out names a file inside a file",
            setup: |d| write(d, "notes.txt", "my notes"),
            args: &["run", "run.ron", "--out", "notes.txt/run"],
            expect: &["notes.txt", "a part of this path is a file"],
        },
    ]
}

fn cases_validate() -> Vec<Case> {
    vec![
        Case {
            name: "validate: a scenario that is not UTF-8",
            setup: |d| non_utf8(d, "model.ron", "// x "),
            args: &["validate", "model.ron"],
            expect: &["model.ron:57:6:", "UTF-8"],
        },
        Case {
            name: "validate: a folder",
            setup: |d| std::fs::create_dir(d.join("adir")).unwrap(),
            args: &["validate", "adir"],
            expect: &["adir", "folder"],
        },
        Case {
            name: "validate: a link loop",
            setup: |d| link_loop(d, "grid.ron"),
            args: &["validate", "grid.ron"],
            expect: &["grid.ron", "loop"],
        },
        Case {
            name: "validate: a missing file",
            setup: nothing,
            args: &["validate", "absent.ron"],
            expect: &["absent.ron", "no such file"],
        },
        Case {
            name: "validate: every problem at once",
            setup: |d| {
                edit(d, "model.ron", "lead_weeks: 10.0", "lead_weeks: -3.0");
                edit(
                    d,
                    "model.ron",
                    "detection_probability: 0.3",
                    "detection_probability: 1.5",
                );
            },
            args: &["validate", "model.ron"],
            expect: &["2 problem(s)", "lead_weeks", "detection_probability"],
        },
        Case {
            name: "validate: a run file's bad set",
            setup: |d| {
                write(
                    d,
                    "run.ron",
                    "RunConfig(model: \"model.ron\", set: [\"states.XX.initial_trust=0.2\"])",
                )
            },
            args: &["validate", "run.ron"],
            expect: &["run.ron:1:", "XX"],
        },
        Case {
            name: "validate: a sweep axis beyond its field's range",
            setup: |d| {
                edit(
                    d,
                    "grid.ron",
                    "Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0]))",
                    "Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0])), Axis(path: \"states.CN.tracking.detection_probability\", values: List([0.5, 1.5]))",
                )
            },
            args: &["validate", "grid.ron"],
            expect: &[
                "grid.ron",
                "axes[1]",
                "detection_probability",
                "1.5",
                "0..1",
            ],
        },
        Case {
            name: "validate: a Distribution axis whose support leaves the range",
            setup: |d| {
                edit(
                    d,
                    "grid.ron",
                    "Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0]))",
                    "Axis(path: \"states.CN.tracking.detection_probability\", values: Distribution(Uniform(min: 0.5, max: 1.5)))",
                );
                edit(
                    d,
                    "grid.ron",
                    "replicates: 2,",
                    "replicates: 2, design: LatinHypercube(samples: 4),",
                );
            },
            args: &["validate", "grid.ron"],
            expect: &["grid.ron", "axes[0]", "detection_probability", "1.5"],
        },
        Case {
            name: "validate: an axis value valid at its ends but not in the middle",
            setup: |d| {
                edit(
                    d,
                    "run.ron",
                    "seed: 7)",
                    "seed: 7, set: [\"populations.parts.supplier_share=Beta(mean: 0.1, sd: 0.0003)\"])",
                );
                edit(
                    d,
                    "grid.ron",
                    "Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0]))",
                    "Axis(path: \"populations.parts.supplier_share.Beta.mean\", values: List([0.1, 0.5, 0.9]))",
                );
            },
            args: &["validate", "grid.ron"],
            expect: &[
                "grid.ron",
                "axes[0].values[1]",
                "supplier_share.Beta.mean=0.5",
            ],
        },
        Case {
            name: "validate: an unknown axis path",
            setup: |d| {
                edit(
                    d,
                    "grid.ron",
                    "negotiation.deadline_weeks",
                    "negotiation.deadline_wekes",
                )
            },
            args: &["validate", "grid.ron"],
            expect: &["grid.ron", "deadline_wekes"],
        },
        Case {
            name: "validate: a malformed sweep",
            setup: |d| edit(d, "grid.ron", "replicates: 2,", "replicates: 2,,"),
            args: &["validate", "grid.ron"],
            expect: &["grid.ron:4:"],
        },
        Case {
            name: "validate: a float where a sweep's integer goes",
            setup: |d| edit(d, "grid.ron", "replicates: 2,", "replicates: 2.5,"),
            args: &["validate", "grid.ron"],
            expect: &["grid.ron:4:", "replicates"],
        },
    ]
}

fn cases_sweep() -> Vec<Case> {
    vec![
        Case {
            name: "sweep: an axis beyond its field's range, before any run",
            setup: |d| {
                edit(
                    d,
                    "grid.ron",
                    "List([4.0, 8.0])",
                    "List([4.0, 8.0])), Axis(path: \"negotiation.breakdown_probability\", values: List([0.1, 2.0])",
                )
            },
            args: &["sweep", "grid.ron", "--out", "new"],
            expect: &["grid.ron", "axes[1]", "breakdown_probability", "0..1"],
        },
        Case {
            name: "sweep: an unbounded Distribution on a probability",
            setup: |d| {
                edit(
                    d,
                    "grid.ron",
                    "Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0]))",
                    "Axis(path: \"negotiation.breakdown_probability\", values: Distribution(LogNormal(mean: 0.5, sd: 0.1)))",
                );
                edit(
                    d,
                    "grid.ron",
                    "replicates: 2,",
                    "replicates: 2, design: LatinHypercube(samples: 4),",
                );
            },
            args: &["sweep", "grid.ron", "--out", "new"],
            expect: &[
                "grid.ron",
                "axes[0].values (negotiation.breakdown_probability)",
                "unbounded",
            ],
        },
        Case {
            name: "sweep: --out names a regular file",
            setup: |d| write(d, "notes.txt", "mine"),
            args: &["sweep", "grid.ron", "--out", "notes.txt"],
            expect: &["notes.txt", "not a folder"],
        },
        Case {
            name: "sweep: --out names a run's folder",
            setup: nothing,
            args: &["sweep", "grid.ron", "--out", "runout"],
            expect: &["runout", "chokepoint run"],
        },
        Case {
            name: "sweep: --out holds the user's runs.csv",
            setup: |d| write(d, "paper/runs.csv", "my runs"),
            args: &["sweep", "grid.ron", "--out", "paper"],
            expect: &["paper/runs.csv", "not written by `chokepoint sweep`"],
        },
        Case {
            name: "sweep: --out holds the user's sweep.ron",
            setup: |d| write(d, "paper/sweep.ron", "// my sweep notes"),
            args: &["sweep", "grid.ron", "--out", "paper"],
            expect: &["paper/sweep.ron", "not written by `chokepoint sweep`"],
        },
        Case {
            name: "sweep: --out holds another sweep",
            setup: |d| edit(d, "grid.ron", "List([4.0, 8.0])", "List([4.0, 9.0])"),
            args: &["sweep", "grid.ron", "--out", "merged"],
            expect: &["merged", "different sweep"],
        },
        Case {
            name: "sweep: a part exists and no --resume",
            setup: nothing,
            args: &["sweep", "grid.ron", "--out", "shards", "--shard", "0/2"],
            expect: &["part-00000-of-00002.csv", "--resume"],
        },
        Case {
            name: "sweep: --emit-slurm into a run's folder",
            setup: nothing,
            args: &["sweep", "grid.ron", "--out", "runout", "--emit-slurm"],
            expect: &["runout", "chokepoint run"],
        },
        Case {
            name: "sweep: --emit-slurm over the user's submit.sh",
            setup: |d| write(d, "paper/submit.sh", "#!/bin/sh\necho mine\n"),
            args: &["sweep", "grid.ron", "--out", "paper", "--emit-slurm"],
            expect: &["paper/submit.sh", "not written by `chokepoint sweep`"],
        },
        Case {
            name: "sweep: --out holds the user's parts/ folder",
            setup: |d| write(d, "paper/parts/notes.txt", "mine"),
            args: &["sweep", "grid.ron", "--out", "paper"],
            expect: &["paper/parts", "not written by `chokepoint sweep`"],
        },
        Case {
            name: "sweep: --resume through a part that links to a file elsewhere",
            setup: |d| {
                std::fs::copy(d.join(PART0), d.join("victim.csv")).unwrap();
                std::fs::remove_file(d.join(PART0)).unwrap();
                std::os::unix::fs::symlink("../../victim.csv", d.join(PART0)).unwrap();
            },
            args: &[
                "sweep", "grid.ron", "--out", "shards", "--shard", "0/2", "--resume",
            ],
            expect: &["part-00000-of-00002.csv", "symbolic link"],
        },
        Case {
            name: "sweep: --resume on a part hard-linked to a backup",
            setup: |d| std::fs::hard_link(d.join(PART0), d.join("backup.csv")).unwrap(),
            args: &[
                "sweep", "grid.ron", "--out", "shards", "--shard", "0/2", "--resume",
            ],
            expect: &["part-00000-of-00002.csv", "hard link"],
        },
        Case {
            name: "sweep: --resume on a part edited in the middle",
            setup: |d| set_cell(d, PART0, 1, "run", "7"),
            args: &[
                "sweep", "grid.ron", "--out", "shards", "--shard", "0/2", "--resume",
            ],
            expect: &["part-00000-of-00002.csv", "line 2", "left as it is"],
        },
        Case {
            name: "sweep: --emit-slurm with bad options writes nothing",
            setup: nothing,
            args: &[
                "sweep",
                "grid.ron",
                "--out",
                "new",
                "--emit-slurm",
                "--tasks",
                "0",
            ],
            expect: &["--tasks and --cpus-per-task must be >= 1"],
        },
        Case {
            name: "sweep: --emit-slurm into a sweep run in another split",
            setup: nothing,
            args: &[
                "sweep",
                "grid.ron",
                "--out",
                "merged",
                "--emit-slurm",
                "--tasks",
                "2",
            ],
            expect: &["part-00000-of-00001.csv", "split 1 way(s)"],
        },
        Case {
            name: "sweep: --out through a link loop",
            setup: |d| link_loop(d, "l1"),
            args: &["sweep", "grid.ron", "--out", "l1/x"],
            expect: &["l1", "loop"],
        },
        Case {
            name: "sweep: a shard of another split",
            setup: nothing,
            args: &["sweep", "grid.ron", "--out", "merged", "--shard", "0/4"],
            expect: &["part-00000-of-00001.csv", "split 1 way(s)", "--shard K/1"],
        },
        Case {
            name: "sweep: missing base",
            setup: |d| edit(d, "grid.ron", "base: \"run.ron\"", "base: \"gone.ron\""),
            args: &["sweep", "grid.ron", "--out", "new"],
            expect: &["grid.ron", "base", "gone.ron"],
        },
        Case {
            name: "sweep: a folder as the sweep file",
            setup: |d| std::fs::create_dir(d.join("adir")).unwrap(),
            args: &["sweep", "adir", "--out", "new"],
            expect: &["adir", "folder"],
        },
        Case {
            name: "sweep: a sweep file that is not UTF-8",
            setup: |d| non_utf8(d, "grid.ron", "// "),
            args: &["sweep", "grid.ron", "--out", "new"],
            expect: &["grid.ron:8:4:", "UTF-8"],
        },
        Case {
            name: "sweep: --jobs -1",
            setup: nothing,
            args: &["sweep", "grid.ron", "--out", "new", "--jobs", "-1"],
            expect: &["invalid value '-1' for '--jobs"],
        },
        Case {
            name: "sweep: --tasks -1",
            setup: nothing,
            args: &[
                "sweep",
                "grid.ron",
                "--out",
                "new",
                "--emit-slurm",
                "--tasks",
                "-1",
            ],
            expect: &["invalid value '-1' for '--tasks"],
        },
        Case {
            name: "sweep: a shard out of range",
            setup: nothing,
            args: &["sweep", "grid.ron", "--out", "new", "--shard", "3/2"],
            expect: &["--shard 3/2"],
        },
        Case {
            name: "sweep: sensitivity without a Sobol design",
            setup: |d| {
                edit(
                    d,
                    "grid.ron",
                    "seed: 11,",
                    "seed: 11, sensitivity: [\"agreements\"],",
                )
            },
            args: &["sweep", "grid.ron", "--out", "new"],
            expect: &["grid.ron", "sensitivity", "Sobol"],
        },
        Case {
            name: "sweep: an unknown series",
            setup: |d| edit(d, "grid.ron", "[\"US_pressure_index\"]", "[\"US_presure\"]"),
            args: &["sweep", "grid.ron", "--out", "new"],
            expect: &["grid.ron", "series[0]", "US_presure"],
        },
    ]
}

fn cases_merge() -> Vec<Case> {
    vec![
        Case {
            name: "merge: a part's seed is not the design's",
            setup: |d| set_cell(d, PART0, 2, "seed", "12345"),
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv:3:4:", "field `seed`", "12345"],
        },
        Case {
            name: "merge: a part's point is not the design's",
            setup: |d| set_cell(d, PART0, 1, "point", "1"),
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv:2:2:", "field `point`"],
        },
        Case {
            name: "merge: text in a numeric column",
            setup: |d| set_cell(d, PART0, 1, "agreements_count", "many"),
            args: &["merge", "shards"],
            expect: &[
                "part-00000-of-00002.csv:2:",
                "field `agreements_count`",
                "many",
            ],
        },
        Case {
            name: "merge: NaN in a part",
            setup: |d| set_cell(d, PART0, 2, "peak_readiness_gap_share", "NaN"),
            args: &["merge", "shards"],
            expect: &[
                "part-00000-of-00002.csv:3:",
                "field `peak_readiness_gap_share`",
                "NaN",
            ],
        },
        Case {
            name: "merge: inf in an axis column",
            setup: |d| set_cell(d, PART0, 1, "negotiation_deadline_weeks", "inf"),
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv:2:7:", "negotiation_deadline_weeks"],
        },
        Case {
            name: "merge: an unknown status",
            setup: |d| set_cell(d, PART0, 1, "status", "fine"),
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv:2:5:", "field `status`"],
        },
        Case {
            name: "merge: a renamed column",
            setup: |d| {
                edit(
                    d,
                    "shards/parts/part-00001-of-00002.csv",
                    "agreements",
                    "agreement",
                )
            },
            args: &["merge", "shards"],
            expect: &[
                "part-00001-of-00002.csv:1:",
                "header differs",
                "part-00000-of-00002.csv",
            ],
        },
        Case {
            name: "merge: an output in a failed row",
            setup: |d| set_cell(d, PART0, 1, "status", "failed"),
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv:2:", "in a failed run"],
        },
        Case {
            name: "merge: an axis value not the design's",
            setup: |d| set_cell(d, PART0, 1, "negotiation_deadline_weeks", "99.0"),
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv:2:7:", "design point 0 has 4.0"],
        },
        Case {
            name: "merge: an edited sweep.ron",
            setup: |d| {
                edit(
                    d,
                    "shards/sweep.ron",
                    "saltelli: None",
                    "saltelli: Some((3, 2))",
                )
            },
            args: &["merge", "shards"],
            expect: &["shards/sweep.ron", "edited"],
        },
        Case {
            name: "merge: a row added to a part",
            setup: |d| {
                let path = d.join(PART0);
                let text = std::fs::read_to_string(&path).unwrap();
                let last = text.lines().last().unwrap().to_string();
                std::fs::write(&path, format!("{text}{last}\n")).unwrap();
            },
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv", "more than the 2 runs"],
        },
        Case {
            name: "merge: a folder where a part goes",
            setup: |d| {
                std::fs::remove_file(d.join(PART0)).unwrap();
                std::fs::create_dir(d.join(PART0)).unwrap();
            },
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv", "not a plain file"],
        },
        Case {
            name: "merge: a run id edited in the middle of a part",
            setup: |d| set_cell(d, PART0, 1, "run", "7"),
            args: &["merge", "shards"],
            expect: &[
                "part-00000-of-00002.csv",
                "line 2",
                "not the next run",
                "left as it is",
            ],
        },
        Case {
            name: "merge: a part with CRLF line ends",
            setup: |d| {
                let path = d.join(PART0);
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
            },
            args: &["merge", "shards"],
            expect: &["part-00000-of-00002.csv", "line ends"],
        },
        Case {
            name: "merge: a missing shard",
            setup: |d| {
                std::fs::remove_file(d.join("shards/parts/part-00001-of-00002.csv")).unwrap()
            },
            args: &["merge", "shards"],
            expect: &["shards", "missing shard(s) 1/2"],
        },
        Case {
            name: "merge: an incomplete shard",
            setup: |d| {
                let path = d.join(PART0);
                let text = std::fs::read_to_string(&path).unwrap();
                let cut = text.trim_end().rfind('\n').unwrap();
                std::fs::write(&path, &text[..cut + 1]).unwrap();
            },
            args: &["merge", "shards"],
            expect: &["shard 0/2 is incomplete"],
        },
        Case {
            name: "merge: a series part missing",
            setup: |d| std::fs::remove_file(&series_parts(d)[0]).unwrap(),
            args: &["merge", "shards"],
            expect: &["shards", "weekly series"],
        },
        Case {
            name: "merge: a series part cut short",
            setup: |d| {
                let path = series_parts(d).pop().unwrap();
                let bytes = std::fs::read(&path).unwrap();
                std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            },
            args: &["merge", "shards"],
            expect: &["series-", ".parquet", "not a readable series part"],
        },
        Case {
            name: "merge: a run's folder",
            setup: nothing,
            args: &["merge", "runout"],
            expect: &["runout", "sweep.ron"],
        },
        Case {
            name: "merge: no such folder",
            setup: nothing,
            args: &["merge", "nowhere"],
            expect: &["nowhere", "no sweep.ron"],
        },
        Case {
            name: "merge: a folder where runs.csv goes",
            setup: |d| std::fs::create_dir(d.join("shards/runs.csv")).unwrap(),
            args: &["merge", "shards"],
            expect: &["shards/runs.csv", "not the file"],
        },
    ]
}

fn cases_report() -> Vec<Case> {
    vec![
        Case {
            name: "report: --out names the user's page",
            setup: |d| write(d, "notes.html", "<html>my notes</html>"),
            args: &["report", "runout", "--out", "notes.html"],
            expect: &["notes.html", "not written by `chokepoint report`"],
        },
        Case {
            name: "report: a report.html of the user's in the folder",
            setup: |d| write(d, "runout/report.html", "<html>mine</html>"),
            args: &["report", "runout"],
            expect: &["runout/report.html", "generator mark"],
        },
        Case {
            name: "report: --out names a folder",
            setup: |d| std::fs::create_dir(d.join("pages")).unwrap(),
            args: &["report", "runout", "--out", "pages"],
            expect: &["pages", "not a regular file"],
        },
        Case {
            name: "report: --figures names a file (and no page is left)",
            setup: |d| write(d, "notes.txt", "mine"),
            args: &["report", "runout", "--figures", "notes.txt"],
            expect: &["notes.txt", "not a folder"],
        },
        Case {
            name: "report: --figures holds the user's figure",
            setup: |d| write(d, "figs/pressure.png", "my own picture"),
            args: &["report", "runout", "--figures", "figs"],
            expect: &["figs/pressure.png", "generator mark"],
        },
        Case {
            name: "report: NaN in summary.csv",
            setup: |d| {
                set_cell(
                    d,
                    "runout/summary.csv",
                    1,
                    "peak_readiness_gap_share",
                    "NaN",
                )
            },
            args: &["report", "runout"],
            expect: &["runout/summary.csv: line 2", "peak_readiness_gap_share"],
        },
        Case {
            name: "report: inf in timeseries.csv",
            setup: |d| set_cell(d, "runout/timeseries.csv", 3, "US_pressure_index", "inf"),
            args: &["report", "runout"],
            expect: &["runout/timeseries.csv: line 4", "US_pressure_index"],
        },
        Case {
            name: "report: NaN in a merged runs.csv",
            setup: |d| set_cell(d, "merged/runs.csv", 1, "agreements_count", "NaN"),
            args: &["report", "merged"],
            expect: &["merged/runs.csv: line 2", "agreements_count"],
        },
        Case {
            name: "report: NaN in points.csv",
            setup: |d| set_cell(d, "merged/points.csv", 1, "mean", "NaN"),
            args: &["report", "merged"],
            expect: &["merged/points.csv: line 2", "mean"],
        },
        Case {
            name: "report: a folder where summary.csv goes",
            setup: |d| {
                std::fs::remove_file(d.join("runout/summary.csv")).unwrap();
                std::fs::create_dir(d.join("runout/summary.csv")).unwrap();
            },
            args: &["report", "runout"],
            expect: &["runout/summary.csv", "folder"],
        },
        Case {
            name: "report: a manifest that is not UTF-8",
            setup: |d| non_utf8(d, "runout/manifest.ron", "// "),
            args: &["report", "runout"],
            expect: &["runout/manifest.ron", "UTF-8"],
        },
        Case {
            name: "report: a timeseries cut mid-line",
            setup: |d| {
                let path = d.join("runout/timeseries.csv");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(&path, &text[..text.len() - 10]).unwrap();
            },
            args: &["report", "runout"],
            expect: &["runout/timeseries.csv", "cut off"],
        },
        Case {
            name: "report: a folder without a manifest",
            setup: |d| std::fs::remove_file(d.join("runout/manifest.ron")).unwrap(),
            args: &["report", "runout"],
            expect: &["runout/manifest.ron", "missing"],
        },
        Case {
            name: "report: a sweep not merged",
            setup: nothing,
            args: &["report", "shards"],
            expect: &["shards", "chokepoint merge"],
        },
        Case {
            name: "report: no such folder",
            setup: nothing,
            args: &["report", "nowhere"],
            expect: &["nowhere", "no such output folder"],
        },
    ]
}

#[test]
fn every_bad_input_is_refused_naming_it_and_nothing_changes() {
    let all: Vec<Case> = [
        cases_run(),
        cases_validate(),
        cases_sweep(),
        cases_merge(),
        cases_report(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let failed: Vec<String> = all
        .iter()
        .filter_map(|case| check(case).err().map(|e| format!("{}: {e}", case.name)))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        all.len(),
        failed.join("\n")
    );
}
