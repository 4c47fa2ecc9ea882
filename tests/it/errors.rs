//! Bad input: a clear message naming file, line, column (where there is
//! one) and field; exit code 2; no panic; no output folder left behind.

use crate::common::*;
use std::path::Path;

struct Case {
    name: &'static str,
    /// Edit of the small scenario (text replace), or None for the config case.
    model: Option<(&'static str, &'static str)>,
    config: &'static str,
    /// Fragments the error must contain.
    expect: &'static [&'static str],
}

fn check(case: &Case) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let original = std::fs::read_to_string(data("small.ron")).unwrap();
    if let Some((from, to)) = case.model {
        assert!(
            original.contains(from),
            "{}: pattern not in small.ron",
            case.name
        );
        std::fs::write(dir.join("model.ron"), original.replacen(from, to, 1)).unwrap();
    } else {
        std::fs::write(dir.join("model.ron"), &original).unwrap();
    }
    std::fs::write(dir.join("run.ron"), case.config).unwrap();
    let out = chokepoint(dir, &["run", "run.ron", "--out", "out/run"]);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}: exit code; stderr: {err}",
        case.name
    );
    assert!(!err.contains("panicked"), "{}: panic: {err}", case.name);
    for fragment in case.expect {
        assert!(
            err.contains(fragment),
            "{}: `{fragment}` not in: {err}",
            case.name
        );
    }
    assert!(
        !dir.join("out/run").exists(),
        "{}: an output folder was written",
        case.name
    );
    // validate reports the same problem with the same exit code
    let v = chokepoint(dir, &["validate", "run.ron"]);
    assert_eq!(
        v.status.code(),
        Some(2),
        "{}: validate exit code",
        case.name
    );
}

const RUN: &str = r#"RunConfig(model: "model.ron", weeks: 5)"#;

#[test]
fn bad_input_is_reported_with_file_line_column_and_field() {
    let cases = [
        Case {
            name: "malformed",
            model: Some(("name: \"small\",", "name: \"small\",,")),
            config: RUN,
            expect: &["model.ron:", ":"],
        },
        Case {
            name: "unknown field",
            model: Some(("deadline_weeks: 10.0", "deadline_wekes: 10.0")),
            config: RUN,
            expect: &["model.ron:", "negotiation", "deadline_wekes"],
        },
        Case {
            name: "wrong type",
            model: Some(("count: 150", "count: \"many\"")),
            config: RUN,
            expect: &["model.ron:", "populations[0].count"],
        },
        Case {
            name: "negative lead time",
            model: Some(("lead_weeks: 10.0", "lead_weeks: -3.0")),
            config: RUN,
            expect: &[
                "model.ron",
                "states[US].substitution[plant].lead_weeks",
                ">= 0",
            ],
        },
        Case {
            name: "probability above one",
            model: Some(("detection_probability: 0.3", "detection_probability: 1.5")),
            config: RUN,
            expect: &[
                "model.ron",
                "states[CN].tracking.detection_probability",
                "0..1",
            ],
        },
        Case {
            name: "unknown reference",
            model: Some((
                "home: \"US\", sector: \"parts\"",
                "home: \"EU\", sector: \"parts\"",
            )),
            config: RUN,
            expect: &["populations[parts].home", "unknown state `EU`"],
        },
        Case {
            name: "missing model",
            model: None,
            config: r#"RunConfig(model: "nowhere.ron")"#,
            expect: &["run.ron", "model", "nowhere.ron", "does not exist"],
        },
        Case {
            name: "config typo",
            model: None,
            config: r#"RunConfig(model: "model.ron", wekes: 5)"#,
            expect: &["run.ron:1:", "wekes"],
        },
        Case {
            name: "config out of range",
            model: None,
            config: r#"RunConfig(model: "model.ron", weeks: 0)"#,
            expect: &["run.ron", "weeks"],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn every_problem_is_listed_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("small.ron"))
        .unwrap()
        .replacen("lead_weeks: 10.0", "lead_weeks: -3.0", 1)
        .replacen(
            "detection_probability: 0.3",
            "detection_probability: 1.5",
            1,
        );
    let path = tmp.path().join("two.ron");
    std::fs::write(&path, text).unwrap();
    let out = chokepoint(tmp.path(), &["validate", "two.ron"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("2 problem(s)"), "{err}");
    assert!(
        err.contains("lead_weeks") && err.contains("detection_probability"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [["run", "absent.ron"], ["validate", "absent.ron"]] {
        let out = chokepoint(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("absent.ron"), "{}", stderr(&out));
    }
}

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
