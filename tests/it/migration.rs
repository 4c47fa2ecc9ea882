//! A migration check: every output file of the baseline at seeds 1-3 and of
//! `configs/sweep_example.ron` is byte-identical to the copies in
//! `tests/data/migration/`, stored from the binary of commit e76a2e4 (before
//! the code was reshaped around a validated scenario and plugins).
//!
//! It guards a change that must not change outputs. When an issue changes
//! outputs on purpose, this test is replaced by reviewed snapshots.

use crate::common::{chokepoint, data, root};
use std::path::Path;

/// Every file under `dir`, by its path relative to `dir`, sorted. A sweep's
/// `parts/series-*.parquet` are left out: how the writer batches them
/// depends on timing (a batch is written every second), so their names and
/// cuts differ between two runs of the same binary; the merge re-cuts them
/// into `series.parquet`, which is compared.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if path.is_dir() {
                stack.push(path);
            } else if !(name.starts_with("series-") && name.ends_with(".parquet")) {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn assert_same_tree(stored: &Path, written: &Path) {
    let (want, got) = (tree(stored), tree(written));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "files of {}", written.display());
    for ((name, want), (_, got)) in want.iter().zip(&got) {
        assert!(
            want == got,
            "{name} differs from {}",
            stored.join(name).display()
        );
    }
}

#[test]
fn baseline_outputs_are_those_stored_from_before_the_reshaping() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..=3 {
        let out = tmp.path().join(format!("baseline-seed-{seed}"));
        let o = chokepoint(
            &root(),
            &[
                "run",
                "configs/baseline.ron",
                "--seed",
                &seed.to_string(),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", crate::common::stderr(&o));
        assert_same_tree(&data(&format!("migration/baseline-seed-{seed}")), &out);
    }
}

#[test]
fn sweep_example_outputs_are_those_stored_from_before_the_reshaping() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep_example");
    let o = chokepoint(
        &root(),
        &[
            "sweep",
            "configs/sweep_example.ron",
            "--jobs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    assert_same_tree(&data("migration/sweep_example"), &out);
}
