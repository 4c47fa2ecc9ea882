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
