//! Sweeps: output, re-running one run alone, shards + merge identical to an
//! unsharded sweep, refusals of merge, failed runs, kill and resume.

use crate::common::*;
use std::path::Path;
use std::process::Command;

fn sweep(cwd: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    chokepoint(cwd, &all)
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

#[test]
fn a_sweep_writes_runs_and_points_and_any_run_can_be_rerun_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_small.ron");
    let out = sweep(
        tmp.path(),
        &[file.to_str().unwrap(), "--out", "s", "--jobs", "2"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("s");
    let mut runs = csv::Reader::from_path(dir.join("runs.csv")).unwrap();
    let header: Vec<String> = runs.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = runs.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 18, "3 x 2 points x 3 replicates");
    assert_eq!(
        &header[..8],
        [
            "run",
            "point",
            "replicate",
            "seed",
            "status",
            "message",
            "negotiation_deadline_weeks",
            "states_CN_preferences_concession"
        ]
    );
    assert!(rows.iter().all(|r| &r[4] == "ok"));
    // replicates of a point differ in seed; seeds are all distinct
    let mut seeds: Vec<&str> = rows.iter().map(|r| r.get(3).unwrap()).collect();
    seeds.sort_unstable();
    seeds.dedup();
    assert_eq!(seeds.len(), 18);
    // run 13 again with `chokepoint run`, from the values in its row
    let r = &rows[13];
    let alone = chokepoint(
        tmp.path(),
        &[
            "run",
            data("small_run.ron").to_str().unwrap(),
            "--out",
            "alone",
            "--seed",
            &r[3],
            "--set",
            &format!("negotiation.deadline_weeks={}", &r[6]),
            "--set",
            &format!("states.CN.preferences.concession={}", &r[7]),
        ],
    );
    assert!(alone.status.success(), "{}", stderr(&alone));
    let mut summary = csv::Reader::from_path(tmp.path().join("alone/summary.csv")).unwrap();
    let names: Vec<String> = summary
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let values = summary.records().next().unwrap().unwrap();
    for (name, value) in names.iter().zip(values.iter()) {
        if let Some(i) = header.iter().position(|h| h == name) {
            assert_eq!(&r[i], value, "column {name}");
        }
    }
    // points.csv: one row per point and numeric column, n = 3 replicates
    let mut points = csv::Reader::from_path(dir.join("points.csv")).unwrap();
    let p: Vec<csv::StringRecord> = points.records().map(Result::unwrap).collect();
    let agreements: Vec<&csv::StringRecord> =
        p.iter().filter(|r| &r[3] == "agreements_count").collect();
    assert_eq!(agreements.len(), 6);
    assert!(agreements.iter().all(|r| &r[4] == "3"));
}

fn shard_and_merge_equals_unsharded(file: &str, files: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let file = data(file);
    let file = file.to_str().unwrap();
    let whole = sweep(tmp.path(), &[file, "--out", "whole", "--jobs", "2"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = sweep(
            tmp.path(),
            &[file, "--out", "sharded", "--jobs", "1", "--shard", &shard],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let merged = chokepoint(tmp.path(), &["merge", "sharded"]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    for f in files {
        assert_eq!(
            read(&tmp.path().join("whole"), f),
            read(&tmp.path().join("sharded"), f),
            "{f} differs"
        );
    }
}

#[test]
fn shards_merged_are_byte_identical_to_the_unsharded_sweep() {
    shard_and_merge_equals_unsharded(
        "sweep_small.ron",
        &[
            "runs.csv",
            "points.csv",
            "runs.parquet",
            "points.parquet",
            "series.parquet",
        ],
    );
}

#[test]
fn a_sobol_sweep_writes_indices_and_shards_agree() {
    shard_and_merge_equals_unsharded(
        "sweep_sobol_small.ron",
        &["runs.csv", "points.csv", "sobol.csv", "sobol.parquet"],
    );
}

#[test]
fn slurm_array_variables_pick_the_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_small.ron");
    let out = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["sweep", file.to_str().unwrap(), "--out", "s", "--jobs", "1"])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(tmp.path().join("s/parts/part-00001-of-00002.csv").exists());
    assert!(
        !tmp.path().join("s/runs.csv").exists(),
        "a shard does not merge"
    );
}

#[test]
fn merge_refuses_missing_mixed_and_incomplete_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_small.ron");
    let file = file.to_str().unwrap();
    assert!(
        sweep(tmp.path(), &[file, "--out", "s", "--shard", "0/2"])
            .status
            .success()
    );
    let missing = chokepoint(tmp.path(), &["merge", "s"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("missing shard(s) 1/2"),
        "{}",
        stderr(&missing)
    );
    // a shard of another split is refused before it runs ...
    let other = sweep(tmp.path(), &[file, "--out", "s", "--shard", "1/3"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(
        stderr(&other).contains("split 2 way(s)"),
        "{}",
        stderr(&other)
    );
    assert!(!tmp.path().join("s/parts/part-00001-of-00003.csv").exists());
    // ... and merge refuses parts of two splits put there by hand
    std::fs::copy(
        tmp.path().join("s/parts/part-00000-of-00002.csv"),
        tmp.path().join("s/parts/part-00001-of-00003.csv"),
    )
    .unwrap();
    let mixed = chokepoint(tmp.path(), &["merge", "s"]);
    assert!(
        stderr(&mixed).contains("split 2 and 3 ways"),
        "{}",
        stderr(&mixed)
    );
    std::fs::remove_file(tmp.path().join("s/parts/part-00001-of-00003.csv")).unwrap();
    assert!(
        sweep(tmp.path(), &[file, "--out", "s", "--shard", "1/2"])
            .status
            .success()
    );
    // cut the last row of shard 1 in half
    let part = tmp.path().join("s/parts/part-00001-of-00002.csv");
    let bytes = std::fs::read(&part).unwrap();
    std::fs::write(&part, &bytes[..bytes.len() - 20]).unwrap();
    let incomplete = chokepoint(tmp.path(), &["merge", "s"]);
    assert!(
        stderr(&incomplete).contains("shard 1/2 is incomplete"),
        "{}",
        stderr(&incomplete)
    );
    assert!(!tmp.path().join("s/runs.csv").exists(), "nothing merged");
    // resuming the shard repairs it
    assert!(
        sweep(
            tmp.path(),
            &[file, "--out", "s", "--shard", "1/2", "--resume"]
        )
        .status
        .success()
    );
    assert!(chokepoint(tmp.path(), &["merge", "s"]).status.success());
}

#[test]
fn a_failing_run_is_recorded_and_the_sweep_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    // Each value is valid alone (validity 26 lies in (4, 30), 40 and 50 in
    // (4, 52)), two of the six points are not: 40 and 50 with (4, 30).
    let text = std::fs::read_to_string(data("sweep_small.ron"))
        .unwrap()
        .replace(
            r#"Axis(path: "negotiation.deadline_weeks", values: List([8.0, 12.0, 16.0])),
        Axis(path: "states.CN.preferences.concession", values: Choices(["Linear", "Conceder(e: 2.0)"])),"#,
            r#"Axis(path: "states.CN.export_controls.magnets.validity_weeks", values: List([20.0, 40.0, 50.0])),
        Axis(path: "states.CN.export_controls.magnets.validity_range", values: Choices(["(4.0, 52.0)", "(4.0, 30.0)"])),"#,
        )
        .replace(
            "base: \"small_run.ron\"",
            &format!("base: {:?}", data("small_run.ron").to_str().unwrap()),
        );
    std::fs::write(tmp.path().join("bad.ron"), text).unwrap();
    let out = sweep(tmp.path(), &["bad.ron", "--out", "s"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let mut runs = csv::Reader::from_path(tmp.path().join("s/runs.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = runs.records().map(Result::unwrap).collect();
    let failed: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[4] == "failed").collect();
    assert_eq!(failed.len(), 6, "2 points x 3 replicates");
    assert!(
        failed.iter().all(|r| r[5].starts_with("invalid scenario: ")
            && r[5].contains("validity_weeks")
            && !r[3].is_empty()),
        "{:?}",
        failed[0]
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(rows.iter().filter(|r| &r[4] == "ok").count(), 12);
    // The report lists them with their seeds; failed runs have no weekly series.
    let report = chokepoint(tmp.path(), &["report", "s"]);
    assert!(report.status.success(), "{}", stderr(&report));
    let html = std::fs::read_to_string(tmp.path().join("s/report.html")).unwrap();
    assert!(html.contains("<h2>Failed runs (6)</h2>"));
    for r in &failed {
        assert!(
            html.contains(&format!("<td>{}</td>", &r[3])),
            "seed {}",
            &r[3]
        );
    }
    assert!(html.contains("id=\"bands-US-pressure-index\""));
}

#[test]
fn a_bad_axis_path_is_an_input_error_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("sweep_small.ron"))
        .unwrap()
        .replace("negotiation.deadline_weeks", "negotiation.deadline_wekes")
        .replace(
            "base: \"small_run.ron\"",
            &format!("base: {:?}", data("small_run.ron").to_str().unwrap()),
        );
    std::fs::write(tmp.path().join("bad.ron"), text).unwrap();
    let out = sweep(tmp.path(), &["bad.ron", "--out", "s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("deadline_wekes"), "{}", stderr(&out));
    assert!(!tmp.path().join("s").exists());
    let v = chokepoint(tmp.path(), &["validate", "bad.ron"]);
    assert_eq!(v.status.code(), Some(2));
}

#[test]
fn a_killed_sweep_resumes_to_the_same_output() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_long.ron");
    let file = file.to_str().unwrap();
    let whole = sweep(tmp.path(), &[file, "--out", "whole", "--jobs", "2"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    // start again elsewhere and kill it once some runs are on disk
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["sweep", file, "--out", "killed", "--jobs", "1"])
        .current_dir(tmp.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let part = tmp.path().join("killed/parts/part-00000-of-00001.csv");
    let started = std::time::Instant::now();
    loop {
        let lines = std::fs::read_to_string(&part)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines > 33 || started.elapsed().as_secs() > 60 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !tmp.path().join("killed/runs.csv").exists(),
        "killed before the end"
    );
    // Rows on disk whose weekly series are lost: resume must cut those rows
    // and redo their runs.
    let parts = tmp.path().join("killed/parts");
    let mut series: Vec<_> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    series.sort();
    let last = series.last().expect("a batch of series on disk");
    // Series past the rows, as a kill between a batch's series and its rows
    // leaves them: resume must delete them (these hold other runs' weeks).
    std::fs::copy(
        last,
        parts.join("series-00000-of-00001-0000000600-0000000611.parquet"),
    )
    .unwrap();
    std::fs::remove_file(last).unwrap();
    // a run written only in part, as a kill during a write leaves it
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&part)
        .unwrap()
        .write_all(b"999999,12,0,123,ok,,0.1")
        .unwrap();
    let again = sweep(tmp.path(), &[file, "--out", "killed", "--jobs", "2"]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "without --resume an existing part is refused"
    );
    let resumed = sweep(
        tmp.path(),
        &[file, "--out", "killed", "--jobs", "2", "--resume"],
    );
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    for f in ["runs.csv", "points.csv", "series.parquet"] {
        assert_eq!(
            read(&tmp.path().join("whole"), f),
            read(&tmp.path().join("killed"), f),
            "{f} differs after resume"
        );
    }
}

#[test]
fn unknown_or_text_series_are_input_errors_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("sweep_small.ron"))
        .unwrap()
        .replace("\"US_pressure_index\"]", "\"US_presure\", \"date\"]")
        .replace(
            "base: \"small_run.ron\"",
            &format!("base: {:?}", data("small_run.ron").to_str().unwrap()),
        );
    std::fs::write(tmp.path().join("bad.ron"), text).unwrap();
    let out = sweep(tmp.path(), &["bad.ron", "--out", "s"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("field `series[1]`: `US_presure` is not a column of timeseries.csv"),
        "{err}"
    );
    assert!(err.contains("field `series[2]`: `date`"), "{err}");
    assert!(!tmp.path().join("s").exists(), "nothing written");
}

#[test]
fn emitted_slurm_scripts_quote_paths_and_fix_the_shard_count() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_small.ron");
    let out = sweep(
        tmp.path(),
        &[
            file.to_str().unwrap(),
            "--out",
            "my runs/s%1",
            "--emit-slurm",
            "--tasks",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let script = std::fs::read_to_string(tmp.path().join("my runs/s%1/sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-3"), "{script}");
    assert!(
        script.contains("my runs/s%%1/slurm/%A_%a.out\""),
        "{script}"
    );
    assert!(
        script.contains("--shard \"$SLURM_ARRAY_TASK_ID/4\""),
        "{script}"
    );
    assert!(
        script.contains("[ \"$rc\" -eq 3 ]"),
        "a run that failed (exit 3) must not block the merge: {script}"
    );
    let submit = std::fs::read_to_string(tmp.path().join("my runs/s%1/submit.sh")).unwrap();
    assert!(submit.contains("--dependency=afterok"), "{submit}");
}

#[test]
fn bad_designs_are_input_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let base = format!("base: {:?}", data("small_run.ron").to_str().unwrap());
    for (name, text, expect) in [
        (
            "huge range",
            format!(
                "Sweep({base}, axes: [Axis(path: \"negotiation.deadline_weeks\", values: Range(min: 0.0, max: 1.0, step: 1e-20))])"
            ),
            "at most 1000000",
        ),
        (
            "seed as sensitivity",
            format!(
                "Sweep({base}, axes: [Axis(path: \"negotiation.deadline_weeks\", values: Distribution(Uniform(min: 4.0, max: 8.0)))], design: Sobol(samples: 4), sensitivity: [\"seed\"])"
            ),
            "`seed` is the run's seed, not a model output",
        ),
        (
            "an old column name as sensitivity",
            format!(
                "Sweep({base}, axes: [Axis(path: \"negotiation.deadline_weeks\", values: Distribution(Uniform(min: 4.0, max: 8.0)))], design: Sobol(samples: 4), sensitivity: [\"agreements\"])"
            ),
            "`agreements` is now called `agreements_count`",
        ),
        (
            "float draws on an integer field",
            format!(
                "Sweep({base}, axes: [Axis(path: \"populations.parts.count\", values: Distribution(Uniform(min: 10.0, max: 20.0)))], design: LatinHypercube(samples: 4))"
            ),
            "populations[0].count",
        ),
    ] {
        std::fs::write(tmp.path().join("s.ron"), text).unwrap();
        let out = sweep(tmp.path(), &["s.ron", "--out", "o"]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{name}: {}", stderr(&out));
    }
}

/// Turns a merged sweep folder of `sweep_small.ron` into one written before
/// the naming rule: its `sweep.ron` records no naming version, and its
/// columns (and the column names inside points.csv) have their old names.
fn with_old_names(dir: &Path) {
    use chokepoint::sweep::columns;
    let base =
        chokepoint::config::resolve_run(&data("small_run.ron"), &Default::default()).unwrap();
    let schema = chokepoint::schema::Schema::of(&base.scenario);
    let mut old: std::collections::HashMap<String, String> = schema
        .summary
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.old_name()))
        .collect();
    for m in [&columns::RUNS, &columns::FAILED_RUNS] {
        old.insert(m.name(&[]), m.old.to_string());
    }
    for path in [
        "negotiation.deadline_weeks",
        "states.CN.preferences.concession",
    ] {
        old.insert(chokepoint::sweep::axis_column(path), path.to_string());
    }
    let rename = |n: &str| old.get(n).cloned().unwrap_or_else(|| n.to_string());
    for file in ["runs.csv", "points.csv", "sweep.ron"] {
        let path = dir.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        if file == "sweep.ron" {
            text = text.replace("    naming: 1,\n", "");
            for (new, was) in &old {
                text = text.replace(&format!("(\"{new}\","), &format!("(\"{was}\","));
            }
        } else {
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = r.headers().unwrap().iter().map(rename).collect();
            let column = header.iter().position(|h| h == "column");
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&header).unwrap();
            for record in r.records() {
                let mut cells: Vec<String> = record.unwrap().iter().map(String::from).collect();
                if let Some(c) = column {
                    cells[c] = rename(&cells[c]);
                }
                w.write_record(&cells).unwrap();
            }
            text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        }
        std::fs::write(&path, text).unwrap();
    }
}

/// A sweep folder written before the naming rule (its columns have their
/// old names), and one written before column types were declared (its
/// `sweep.ron` has no `columns` either): `merge` refuses both, saying why
/// and what to do (exit 2), and `report` still draws them, with their
/// headline columns under their old names.
#[test]
fn older_sweep_folders_are_refused_by_merge_and_drawn_by_report() {
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_small.ron");
    let o = sweep(tmp.path(), &[file.to_str().unwrap(), "--out", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    with_old_names(&tmp.path().join("s"));
    let o = chokepoint(tmp.path(), &["merge", "s"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("before the column names of docs/OUTPUTS.md")
            && stderr(&o).contains("run the sweep again"),
        "{}",
        stderr(&o)
    );
    let o = chokepoint(tmp.path(), &["report", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(tmp.path().join("s/report.html")).unwrap();
    assert!(
        html.contains("agreements") && !html.contains("agreements_count"),
        "the headline columns are drawn under their old names"
    );
    // and before column types: no `columns` in sweep.ron
    let path = tmp.path().join("s/sweep.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = text.split_once("    columns: [").unwrap();
    let (_, after) = rest.split_once("    ],\n").unwrap();
    std::fs::write(&path, format!("{before}{after}")).unwrap();
    std::fs::remove_file(tmp.path().join("s/report.html")).unwrap();
    let o = chokepoint(tmp.path(), &["merge", "s"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("declares no column types")
            && stderr(&o).contains("run the sweep again"),
        "{}",
        stderr(&o)
    );
    let o = chokepoint(tmp.path(), &["report", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `SweepOptions::stop` (set by the Python package on Ctrl-C): the sweep
/// stops soon after, with `Error::Stopped`, its folder holding whole rows
/// only, and `--resume` completes it to the same output as a sweep never
/// stopped.
#[test]
fn a_stopped_sweep_resumes_to_the_same_output() {
    use chokepoint::sweep;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let file = data("sweep_long.ron");
    let run = |out: &str, resume: bool, stop: Option<Arc<AtomicBool>>| {
        let p = sweep::prepare(&file, Some(&tmp.path().join(out))).unwrap();
        let options = sweep::SweepOptions {
            jobs: Some(2),
            resume,
            stop: stop.clone(),
            ..sweep::SweepOptions::default()
        };
        sweep::run_sweep(&p, &options, &mut |progress| {
            if let Some(stop) = &stop
                && progress.done >= 64
            {
                stop.store(true, Ordering::Relaxed);
            }
        })
    };
    run("whole", false, None).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = run("stopped", false, Some(stop.clone()));
    match stopped {
        Err(chokepoint::Error::Stopped { done, total, .. }) => {
            assert!(
                done >= 64 && done < total,
                "stopped after {done} of {total}"
            )
        }
        other => panic!("expected a stopped sweep, got {other:?}"),
    }
    let dir = tmp.path().join("stopped");
    assert!(
        !dir.join("runs.csv").exists(),
        "a stopped sweep is not merged"
    );
    run("stopped", true, None).unwrap();
    for f in ["runs.csv", "points.csv", "series.parquet"] {
        assert_eq!(
            read(&tmp.path().join("whole"), f),
            read(&dir, f),
            "{f} differs after resume"
        );
    }
}
