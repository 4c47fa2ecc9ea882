//! Snapshots: reviewed copies of outputs, compared byte for byte.
//!
//! - `tests/data/snapshots/small-seed-{3,7}`: `summary.csv`,
//!   `transcript.csv`, `terms.csv` and `timeseries.csv` of
//!   `tests/data/small_run.ron` at seeds 3 and 7 (an agreement and a
//!   defection, time-dependent tactics), and `small-screening-seed-7`, the
//!   same with both states screening under private resolve (the
//!   transcript's reservations and beliefs);
//! - `tests/data/snapshots/sweep_example`: every file of
//!   `configs/sweep_example.ron`'s sweep.
//!
//! They guard changes that must not change outputs. When an issue changes
//! outputs on purpose, store the new outputs with
//! `CHOKEPOINT_UPDATE_SNAPSHOTS=1 cargo test --release snapshot`, review the diff
//! (`git diff tests/data/snapshots`), and say in the closing note what
//! changed and why. They replace the byte-identical checks of the
//! baseline against copies from before issue 12 (`tests/data/migration`),
//! retired when issue 13 changed the baseline's outputs on purpose.

use crate::common::{chokepoint, data, root};
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

/// Whether this run stores the outputs instead of comparing them.
fn blessing() -> bool {
    std::env::var_os("CHOKEPOINT_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1")
}

/// Compares `written` with the stored copy `stored`, or stores it there.
fn check_or_bless(stored: &Path, written: &Path, skip: fn(&str) -> bool) {
    if blessing() {
        let _ = std::fs::remove_dir_all(stored);
        for (name, bytes) in tree(written) {
            if skip(&name) {
                continue;
            }
            let path = stored.join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        return;
    }
    assert_same_tree(stored, written, skip);
}

#[test]
fn small_outputs_are_the_reviewed_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    // both states screen, with private resolve
    let screening = [
        "states.US.preferences.concession=Screening",
        "states.CN.preferences.concession=Screening",
        "states.US.preferences.resolve=Uniform(min: 0.0, max: 0.1)",
        "states.CN.preferences.resolve=Uniform(min: 0.0, max: 0.1)",
    ];
    for (name, seed, sets) in [
        ("small-seed-3", 3, &[][..]),
        ("small-seed-7", 7, &[][..]),
        ("small-screening-seed-7", 7, &screening[..]),
    ] {
        let out = tmp.path().join(name);
        let seed = seed.to_string();
        let mut args = vec![
            "run",
            data("small_run.ron").to_str().unwrap().to_owned().leak(),
            "--seed",
            &seed,
            "--out",
            out.to_str().unwrap(),
        ];
        for set in sets {
            args.extend(["--set", set]);
        }
        let o = chokepoint(&root(), &args);
        assert!(o.status.success(), "{}", crate::common::stderr(&o));
        let not_kept = |name: &str| {
            !matches!(
                name,
                "summary.csv" | "transcript.csv" | "terms.csv" | "timeseries.csv"
            )
        };
        check_or_bless(&data(&format!("snapshots/{name}")), &out, not_kept);
    }
}

#[test]
fn sweep_example_outputs_are_those_stored() {
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
    check_or_bless(&data("snapshots/sweep_example"), &out, is_series_batch);
}
