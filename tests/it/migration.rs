//! A migration check: every output file of the baseline at seeds 1-3 and of
//! `configs/sweep_example.ron` is byte-identical to the copies in
//! `tests/data/migration/`. The baseline's were stored from the binary of
//! commit e76a2e4 (before the code was reshaped around a validated scenario
//! and plugins, issue 11). The sweep's were stored again when run seeds
//! became 53 bits (issue 12): every row was then checked, once, against
//! e76a2e4's `chokepoint run --seed` at the row's seed and axis values (36
//! rows, every summary value equal), so only the seeds changed. Then again
//! when Parquet types became declared instead of inferred (issue 12):
//! `sweep.ron` gained its `columns`, `runs.parquet` and `series.parquet`
//! their declared types (`parquet_types.rs` checks that `runs.parquet` holds
//! the values of `runs.csv`); every CSV file stayed byte-identical. The
//! baseline's gained `terms.csv` (the transcript's terms, long) and a
//! `files` list in `manifest.ron`; every other file stayed byte-identical.
//!
//! It guards changes that must not change outputs. When an issue changes
//! outputs on purpose, the stored copies are replaced by reviewed ones.

use crate::common::{chokepoint, data, root, run_baseline};
use std::path::Path;

/// Every file under `dir`, by its path relative to `dir`, sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// A sweep writes its rows' weekly series to one `parts/series-…` file per
/// batch, and a batch is cut at 32 × jobs rows or after one second: how many
/// such files there are depends on the machine's speed and load. Their weeks
/// are compared in the merged `series.parquet`.
fn is_series_batch(name: &str) -> bool {
    name.starts_with("parts/series-")
}

/// Compares the files under `stored` and `written`, leaving out those `skip` names.
fn assert_same_tree(stored: &Path, written: &Path, skip: fn(&str) -> bool) {
    let kept = |t: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        t.into_iter().filter(|(n, _)| !skip(n)).collect()
    };
    let (want, got) = (kept(tree(stored)), kept(tree(written)));
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
        run_baseline(&out, seed);
        assert_same_tree(
            &data(&format!("migration/baseline-seed-{seed}")),
            &out,
            |_| false,
        );
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
    assert_same_tree(&data("migration/sweep_example"), &out, is_series_batch);
}
