//! A command never deletes, moves or overwrites a file it did not write:
//! a folder of the user's survives `run`, `sweep`, `merge` and `report`
//! pointed at it, byte for byte, and a second `run` into an earlier run's
//! folder replaces that run's files only.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A folder `name` in `root` holding the user's files: a model, a run
/// file, a sweep file, notes and a subfolder; and the files' bytes.
fn users_folder(root: &Path, name: &str) -> (PathBuf, BTreeMap<PathBuf, Vec<u8>>) {
    let d = root.join(name);
    let files: [(&str, Vec<u8>); 6] = [
        ("model.ron", std::fs::read(data("small.ron")).unwrap()),
        (
            "run.ron",
            b"RunConfig(model: \"model.ron\", weeks: 6, seed: 3)\n".to_vec(),
        ),
        (
            "grid.ron",
            b"Sweep(base: \"run.ron\", axes: [Axis(path: \"negotiation.deadline_weeks\", values: List([4.0, 8.0]))], replicates: 2, seed: 5, series: [\"US_pressure_index\"])\n".to_vec(),
        ),
        ("notes.md", b"# my notes\n".to_vec()),
        ("data/figures.csv", b"a,b\n1,2\n".to_vec()),
        ("report.png", b"not chokepoint's".to_vec()),
    ];
    std::fs::create_dir_all(d.join("data")).unwrap();
    let mut all = BTreeMap::new();
    for (name, bytes) in files {
        std::fs::write(d.join(name), &bytes).unwrap();
        all.insert(PathBuf::from(name), bytes);
    }
    (d, all)
}

fn assert_kept(d: &Path, mine: &BTreeMap<PathBuf, Vec<u8>>, after: &str) {
    for (name, bytes) in mine {
        let now = std::fs::read(d.join(name)).unwrap_or_else(|e| panic!("{after}: {name:?}: {e}"));
        assert_eq!(&now, bytes, "{after}: {name:?} changed");
    }
    let mut hidden = Vec::new();
    let mut stack = vec![d.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            if e.file_name().to_string_lossy().starts_with('.') {
                hidden.push(e.path());
            } else if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    assert!(hidden.is_empty(), "{after}: left behind {hidden:?}");
}

fn ok(cwd: &Path, args: &[&str]) -> String {
    let out = chokepoint(cwd, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_folder_of_the_users_survives_run_and_report_and_a_rerun_replaces_only_the_runs_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, mine) = users_folder(tmp.path(), "project");
    // run, started from the folder, writing into it
    ok(&d, &["run", "run.ron", "--out", "."]);
    assert_kept(&d, &mine, "run");
    let first = read_outputs(&d);
    assert!(String::from_utf8_lossy(&first[3].1).contains("seed: 3"));
    ok(&d, &["report", ".", "--figures", "."]);
    assert_kept(&d, &mine, "report");
    assert!(d.join("report.html").exists() && d.join("pressure.png").exists());
    // a second run into the same folder replaces the run's files, and only those
    ok(
        &d,
        &[
            "run", "run.ron", "--out", ".", "--seed", "4", "--weeks", "7",
        ],
    );
    assert_kept(&d, &mine, "second run");
    let second = read_outputs(&d);
    for ((name, a), (_, b)) in first.iter().zip(&second) {
        assert_ne!(a, b, "{name} was not replaced");
    }
    assert!(String::from_utf8_lossy(&second[3].1).contains("seed: 4"));
    // and report replaces its own page and figures
    ok(&d, &["report", ".", "--figures", "."]);
    assert_kept(&d, &mine, "second report");
    // the same from outside, into a folder given by --out
    ok(tmp.path(), &["run", "project/run.ron", "--out", "project"]);
    assert_kept(&d, &mine, "run from outside");
}

#[test]
fn a_folder_of_the_users_survives_sweep_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, mine) = users_folder(tmp.path(), "study");
    ok(&d, &["sweep", "grid.ron", "--out", ".", "--shard", "0/2"]);
    ok(&d, &["sweep", "grid.ron", "--out", ".", "--shard", "1/2"]);
    assert_kept(&d, &mine, "sweep shards");
    ok(&d, &["merge", "."]);
    assert_kept(&d, &mine, "merge");
    let runs = std::fs::read(d.join("runs.csv")).unwrap();
    // merging again replaces the merge's own files with the same bytes
    ok(&d, &["merge", "."]);
    assert_kept(&d, &mine, "second merge");
    assert_eq!(std::fs::read(d.join("runs.csv")).unwrap(), runs);
    ok(&d, &["report", "."]);
    assert_kept(&d, &mine, "report");
    // an unsharded sweep (which merges itself) into a new subfolder of the user's
    ok(&d, &["sweep", "grid.ron", "--out", "data"]);
    assert_kept(&d, &mine, "sweep into data/");
    assert!(d.join("data/runs.csv").exists());
}

/// A run folder written before `terms.csv` (its manifest lists no files)
/// holding a `terms.csv` of the user's: a new run refuses it, naming the
/// file, and the file is kept; without it, the run writes its five files.
#[test]
fn a_run_folder_from_before_terms_keeps_a_terms_csv_of_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let config = config.to_str().unwrap();
    ok(tmp.path(), &["run", config, "--out", "r"]);
    let dir = tmp.path().join("r");
    // the folder as a run before the list wrote it
    let manifest = std::fs::read_to_string(dir.join("manifest.ron")).unwrap();
    let (before, rest) = manifest.split_once("    files: [").unwrap();
    let (_, after) = rest.split_once("],\n").unwrap();
    std::fs::write(dir.join("manifest.ron"), format!("{before}{after}")).unwrap();
    std::fs::write(dir.join("terms.csv"), "my own notes\n").unwrap();
    let o = chokepoint(tmp.path(), &["run", config, "--out", "r"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("terms.csv"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(dir.join("terms.csv")).unwrap(),
        b"my own notes\n"
    );
    std::fs::remove_file(dir.join("terms.csv")).unwrap();
    ok(tmp.path(), &["run", config, "--out", "r"]);
    for f in chokepoint::output::owned::RUN_FILES {
        assert!(dir.join(f).is_file(), "{f}");
    }
}
