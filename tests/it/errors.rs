//! `--set` beyond the table of `bad_input.rs`: its paths and kinds, and
//! what a run records of it.

use crate::common::*;
use std::path::Path;

fn set_error(assignment: &str, expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let out = chokepoint(
        tmp.path(),
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            "o",
            "--set",
            assignment,
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{assignment}: {err}");
    for e in expect {
        assert!(err.contains(e), "{assignment}: `{e}` not in {err}");
    }
    assert!(!Path::new(&tmp.path().join("o")).exists());
}

#[test]
fn set_rejects_unknown_paths_and_wrong_types() {
    set_error(
        "negotiation.deadline_wekes=20",
        &["unknown field `deadline_wekes`", "deadline_weeks"],
    );
    set_error(
        "states.XX.initial_trust=0.2",
        &["no element `XX`", "US", "CN"],
    );
    set_error(
        "negotiation.deadline_weeks=\"soon\"",
        &["holds a number", "string"],
    );
    set_error("negotiation.deadline_weeks=soon", &["quotes"]);
    set_error("populations.parts.count=1.5", &["populations[0].count"]);
    set_error(
        "negotiation.breakdown_probability=2",
        &["negotiation.breakdown_probability", "0..1"],
    );
    set_error("no_equals_sign", &["PATH=VALUE"]);
}

#[test]
fn set_changes_the_scenario_and_the_manifest_records_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let config = config.to_str().unwrap();
    let plain = chokepoint(tmp.path(), &["run", config, "--out", "plain"]);
    assert!(plain.status.success());
    let set = chokepoint(
        tmp.path(),
        &[
            "run",
            config,
            "--out",
            "set",
            "--set",
            "negotiation.deadline_weeks=3",
            "--set",
            "states.CN.preferences.concession=Conceder(e: 2.0)",
        ],
    );
    assert!(set.status.success(), "{}", stderr(&set));
    let manifest = std::fs::read_to_string(tmp.path().join("set/manifest.ron")).unwrap();
    assert!(manifest.contains("deadline_weeks: 3.0"), "{manifest}");
    assert!(manifest.contains("Conceder"), "{manifest}");
    assert!(manifest.contains("negotiation.deadline_weeks=3"));
    let plain_manifest = std::fs::read_to_string(tmp.path().join("plain/manifest.ron")).unwrap();
    let hash = |m: &str| {
        m.lines()
            .find(|l| l.contains("scenario_hash"))
            .unwrap()
            .to_string()
    };
    assert_ne!(
        hash(&manifest),
        hash(&plain_manifest),
        "the hash follows the resolved scenario"
    );
}
