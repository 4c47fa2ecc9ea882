//! Migration checks.
//!
//! The baseline at seeds 1-3: `tests/data/migration/baseline-seed-*` hold
//! its output from before the naming rule (issue 12), as stored from the
//! binary of commit e76a2e4 (before the reshaping of issue 11; it gained
//! `terms.csv` and the manifest's `files` list since). The test maps each
//! column of today's output to its old name, as the declared schema gives
//! it (`chokepoint::schema::Column::old_name`), and compares the files
//! value for value: every old column is some new column, with the same
//! text in every row. Only names and the order of columns changed; the
//! manifest and `terms.csv` are byte-identical.
//!
//! `configs/sweep_example.ron`: every file is byte-identical to the copies
//! in `tests/data/migration/sweep_example` (a guard against changes from
//! now on; the values before the renames were checked once, by hand). They were stored again when run
//! seeds became 53 bits (every row then checked, once, against e76a2e4's
//! `chokepoint run --seed` at the row's seed and axis values: 36 rows,
//! every summary value equal), when Parquet types became declared, and
//! when the columns were renamed (checked once, column by column, against
//! the copies from before the renames, with the same mapping).
//!
//! It guards changes that must not change outputs. When an issue changes
//! outputs on purpose, the stored copies are replaced by reviewed ones.

use crate::common::{chokepoint, data, root, run_baseline};
use std::collections::HashMap;
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

/// The old name of each column of each file of a baseline run.
fn old_names() -> HashMap<&'static str, HashMap<String, String>> {
    use chokepoint::schema::{Column, Schema};
    use chokepoint::systems::negotiate;
    let base = chokepoint::config::resolve_run(
        &root().join("configs/baseline.ron"),
        &chokepoint::config::RunOverrides::default(),
    )
    .unwrap();
    let schema = Schema::of(&base.scenario);
    let map = |columns: &[Column]| -> HashMap<String, String> {
        columns
            .iter()
            .map(|c| (c.name.clone(), c.old_name()))
            .collect()
    };
    HashMap::from([
        ("timeseries.csv", map(&schema.timeseries.columns)),
        ("summary.csv", map(&schema.summary.columns)),
        ("transcript.csv", map(&negotiate::transcript_columns())),
        ("terms.csv", map(&negotiate::terms_columns())),
    ])
}

/// The header and rows of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// `written` holds the values of `stored` under the names `old` maps them
/// from: each old column is one new column, with the same text in every row.
fn assert_same_values(stored: &Path, written: &Path, old: &HashMap<String, String>) {
    let (old_header, old_rows) = read_csv(stored);
    let (new_header, new_rows) = read_csv(written);
    let name = written.display();
    assert_eq!(new_header.len(), old_header.len(), "{name}: columns");
    assert_eq!(new_rows.len(), old_rows.len(), "{name}: rows");
    let mut used = vec![false; old_header.len()];
    for (j, column) in new_header.iter().enumerate() {
        assert!(
            chokepoint::schema::is_clean(column),
            "{name}: `{column}` has a character outside [A-Za-z0-9_]"
        );
        let was = old
            .get(column)
            .unwrap_or_else(|| panic!("{name}: `{column}` is not declared"));
        let i = old_header.iter().position(|c| c == was).unwrap_or_else(|| {
            panic!(
                "{name}: `{column}` was `{was}`, which {} lacks",
                stored.display()
            )
        });
        assert!(!used[i], "{name}: `{was}` mapped twice");
        used[i] = true;
        for (r, (new, old)) in new_rows.iter().zip(&old_rows).enumerate() {
            assert_eq!(
                new[j],
                old[i],
                "{name}: row {}, `{column}` (was `{was}`)",
                r + 2
            );
        }
    }
}

#[test]
fn baseline_values_are_those_stored_from_before_the_renames() {
    let tmp = tempfile::tempdir().unwrap();
    let old = old_names();
    let mut renamed = 0;
    for seed in 1..=3 {
        let out = tmp.path().join(format!("baseline-seed-{seed}"));
        run_baseline(&out, seed);
        let stored = data(&format!("migration/baseline-seed-{seed}"));
        let files: Vec<String> = tree(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            files,
            tree(&stored)
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        );
        for file in &files {
            match old.get(file.as_str()) {
                Some(map) => {
                    assert_same_values(&stored.join(file), &out.join(file), map);
                    renamed += map.iter().filter(|(new, was)| new != was).count();
                }
                None => assert!(
                    std::fs::read(stored.join(file)).unwrap()
                        == std::fs::read(out.join(file)).unwrap(),
                    "{file} differs from {}",
                    stored.display()
                ),
            }
        }
    }
    // the mapping is not the identity: the test compares renamed columns
    assert!(renamed > 100, "{renamed} renamed columns");
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
    assert_same_tree(&data("migration/sweep_example"), &out, is_series_batch);
}
