//! The command line end to end: run writes a complete folder and prints a
//! summary; validate says ok.

use crate::common::*;

#[test]
fn run_writes_every_file_and_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let out = chokepoint(
        tmp.path(),
        &["run", config.to_str().unwrap(), "--weeks", "12"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("12 weeks from 2025-04-04"), "{stdout}");
    let dir = tmp.path().join("out/small_run");
    let files = read_outputs(&dir);
    let ts = String::from_utf8_lossy(&files[0].1);
    assert!(ts.starts_with("week,date,"), "{ts}");
    assert_eq!(ts.lines().count(), 13, "header + 12 weeks");
    assert!(ts.lines().nth(2).unwrap().starts_with("1,2025-04-11,"));
    let manifest = String::from_utf8_lossy(&files[3].1);
    for key in [
        "crate_version",
        "scenario_hash: \"sha256:",
        "seed: 7",
        "scenario:",
    ] {
        assert!(manifest.contains(key), "{key} not in manifest");
    }
    // nothing temporary is left beside it
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["small_run"]);
}

#[test]
fn a_rerun_replaces_the_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let config = config.to_str().unwrap();
    assert!(
        chokepoint(tmp.path(), &["run", config, "--out", "o", "--weeks", "30"])
            .status
            .success()
    );
    assert!(
        chokepoint(tmp.path(), &["run", config, "--out", "o", "--weeks", "5"])
            .status
            .success()
    );
    let ts = std::fs::read_to_string(tmp.path().join("o/timeseries.csv")).unwrap();
    assert_eq!(ts.lines().count(), 6);
}

#[test]
fn validate_says_ok_for_the_shipped_files() {
    for file in ["models/baseline_2025.ron", "configs/baseline.ron"] {
        let out = chokepoint(&root(), &["validate", file]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok"));
    }
}

#[test]
fn the_transcript_records_offers_with_both_utilities() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    assert!(
        chokepoint(tmp.path(), &["run", config.to_str().unwrap(), "--out", "o"])
            .status
            .success()
    );
    let text = std::fs::read_to_string(tmp.path().join("o/transcript.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let declared: Vec<String> = chokepoint::systems::negotiate::transcript_columns()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(headers.iter().collect::<Vec<_>>(), declared);
    let events: Vec<String> = rows.records().map(|r| r.unwrap()[4].to_string()).collect();
    assert!(
        events.contains(&"open".to_string()) && events.contains(&"offer".to_string()),
        "{events:?}"
    );
}

/// `chokepoint patterns` prints one row per pattern; the table does not
/// depend on how many runs go at once; escalation patterns show when the
/// scenario has ladders (the small scenario with a cheap US rung) and not
/// without; a bad seed count is a usage error (exit 2).
#[test]
fn patterns_reports_every_pattern_the_same_at_any_job_count() {
    let dir = tempfile::tempdir().unwrap();
    let run = data("small_run.ron");
    let run = run.to_str().unwrap();
    let table = |jobs: &str, set: &[&str]| {
        let mut args = vec!["patterns", run, "--seeds", "4", "--jobs", jobs];
        args.extend_from_slice(set);
        let o = chokepoint(dir.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stderr(&o).contains("patterns: 4/4 runs"), "{}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let one = table("1", &[]);
    assert_eq!(one, table("2", &[]));
    let rows: Vec<&str> = one
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| pattern"))
        .collect();
    assert_eq!(rows.len(), chokepoint::patterns::PATTERNS.len(), "{one}");
    let row = |t: &str, name: &str| -> String {
        t.lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no {name} in {t}"))
            .to_string()
    };
    assert!(
        row(&one, "consumer's counter-escalation").contains("| 0/4 |"),
        "{one}"
    );
    let ladder = "states.US.tech_restrictions.ethane.ladder=Some(Ladder(rungs: [0.0, 0.6, 0.9], cost: 0.001))";
    let climbed = table("2", &["--set", ladder]);
    assert!(
        row(&climbed, "consumer's counter-escalation").contains("| 4/4 |"),
        "{climbed}"
    );
    let o = chokepoint(dir.path(), &["patterns", run, "--seeds", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
