//! Errors in a run file's `set` list name the run file, line and column of
//! the entry (the command line's `--set` stay `--set`); a float where a
//! whole number goes names its field; a negative `--weeks` or `--seed`
//! names the option. Exit code 2, no panic, no output folder.

use crate::common::*;

struct Case {
    name: &'static str,
    /// Edit of the small scenario (text replace) written as `model.ron`.
    model: Option<(&'static str, &'static str)>,
    /// `run.ron`, whose model is `model.ron`.
    run: &'static str,
    /// Arguments after `run run.ron --out out`.
    args: &'static [&'static str],
    /// Fragments the error must contain.
    expect: &'static [&'static str],
}

fn check(case: &Case) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let small = std::fs::read_to_string(data("small.ron")).unwrap();
    let model = match case.model {
        Some((from, to)) => {
            assert!(
                small.contains(from),
                "{}: `{from}` not in small.ron",
                case.name
            );
            small.replacen(from, to, 1)
        }
        None => small,
    };
    std::fs::write(dir.join("model.ron"), model).unwrap();
    std::fs::write(dir.join("run.ron"), case.run).unwrap();
    let mut args = vec!["run", "run.ron", "--out", "out"];
    args.extend(case.args);
    let out = chokepoint(dir, &args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}: {err}", case.name);
    assert!(!err.contains("panicked"), "{}: {err}", case.name);
    for e in case.expect {
        assert!(err.contains(e), "{}: `{e}` not in: {err}", case.name);
    }
    assert!(!dir.join("out").exists(), "{}: output written", case.name);
    if case.args.is_empty() {
        let v = chokepoint(dir, &["validate", "run.ron"]);
        assert_eq!(v.status.code(), Some(2), "{}: validate", case.name);
        assert_eq!(stderr(&v), err, "{}: validate says the same", case.name);
    }
}

const RUN: &str = r#"RunConfig(model: "model.ron", weeks: 5)"#;

#[test]
fn errors_name_the_run_file_entry_the_field_or_the_option() {
    let cases = [
        Case {
            name: "unknown path in a set entry",
            model: None,
            run: "RunConfig(\n    model: \"model.ron\",\n    weeks: 5,\n    set: [\n        \"negotiation.deadline_weeks=3\",\n        \"negotiation.deadline_wekes=3\",\n    ],\n)\n",
            args: &[],
            expect: &[
                "run.ron:6:9: field `set[1]`: `negotiation.deadline_wekes=3`",
                "unknown field `deadline_wekes`",
            ],
        },
        Case {
            name: "a value that is not RON",
            model: None,
            run: r#"RunConfig(model: "model.ron", set: ["negotiation.deadline_weeks=soon"])"#,
            args: &[],
            expect: &["run.ron:1:37: field `set[0]`", "quotes"],
        },
        Case {
            name: "a value of the wrong kind",
            model: None,
            run: r#"RunConfig(model: "model.ron", set: ["negotiation.deadline_weeks=3", "negotiation.deadline_weeks=\"soon\""])"#,
            args: &[],
            expect: &["run.ron:1:69: field `set[1]`", "holds a number"],
        },
        Case {
            name: "a float for a whole number in a set entry",
            model: None,
            run: r#"RunConfig(model: "model.ron", set: ["populations.parts.count=1.5"])"#,
            args: &[],
            expect: &["run.ron:1:37: field `set[0]`", "populations[0].count"],
        },
        Case {
            name: "a value out of range",
            model: None,
            run: "RunConfig(model: \"model.ron\",\n  set: [\"states.CN.initial_trust=0.2\", \"negotiation.breakdown_probability=2\"])",
            args: &[],
            expect: &[
                "run.ron: 1 problem(s)",
                "field `set[1]`: line 2, column 40: `negotiation.breakdown_probability=2`",
                "field `negotiation.breakdown_probability`: must be in 0..1",
            ],
        },
        Case {
            name: "the model's own problem is the model's",
            model: Some(("detection_probability: 0.3", "detection_probability: 1.5")),
            run: r#"RunConfig(model: "model.ron", set: ["states.CN.initial_trust=0.2"])"#,
            args: &[],
            expect: &[
                "model.ron: 1 problem(s)",
                "states[CN].tracking.detection_probability",
            ],
        },
        Case {
            name: "a command-line --set is named --set",
            model: None,
            run: RUN,
            args: &["--set", "negotiation.deadline_wekes=3"],
            expect: &["--set negotiation.deadline_wekes=3: unknown field `deadline_wekes`"],
        },
        Case {
            name: "a command-line --set out of range",
            model: None,
            run: r#"RunConfig(model: "model.ron", set: ["negotiation.breakdown_probability=0.5"])"#,
            args: &["--set", "negotiation.breakdown_probability=2"],
            expect: &[
                "model.ron (with --set negotiation.breakdown_probability=2): 1 problem(s)",
                "got 2",
            ],
        },
        Case {
            name: "weeks as a float",
            model: None,
            run: r#"RunConfig(model: "model.ron", weeks: 104.5)"#,
            args: &[],
            expect: &[
                "run.ron:1:38: field `weeks`: Expected a whole number",
                "`104.5`",
            ],
        },
        Case {
            name: "seed as a float",
            model: None,
            run: r#"RunConfig(model: "model.ron", seed: 7.25, weeks: 5)"#,
            args: &[],
            expect: &["run.ron:1:37: field `seed`", "`7.25`"],
        },
        Case {
            name: "threads negative",
            model: None,
            run: r#"RunConfig(model: "model.ron", threads: -2)"#,
            args: &[],
            expect: &["run.ron:1:", "field `threads`", "`-2`"],
        },
        Case {
            name: "a population count as a float",
            model: Some(("count: 150", "count: 150.5")),
            run: RUN,
            args: &[],
            expect: &["model.ron:", "field `populations[0].count`", "`150.5`"],
        },
        Case {
            name: "an event week as a float",
            model: Some(("week: 0,", "week: 0.5,")),
            run: RUN,
            args: &[],
            expect: &["model.ron:", "field `timeline[0].week`", "`0.5`"],
        },
        Case {
            name: "--weeks -1",
            model: None,
            run: RUN,
            args: &["--weeks", "-1"],
            expect: &["invalid value '-1' for '--weeks <WEEKS>'"],
        },
        Case {
            name: "--seed -1",
            model: None,
            run: RUN,
            args: &["--seed", "-1"],
            expect: &["invalid value '-1' for '--seed <SEED>'"],
        },
        Case {
            name: "--weeks 1.5",
            model: None,
            run: RUN,
            args: &["--weeks", "1.5"],
            expect: &["invalid value '1.5' for '--weeks <WEEKS>'"],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn set_entries_apply_in_order_and_whole_floats_read() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(data("small.ron"), tmp.path().join("model.ron")).unwrap();
    // the second entry is valid only after the first
    std::fs::write(
        tmp.path().join("run.ron"),
        r#"RunConfig(model: "model.ron", weeks: 5.0, set: [
            "states.CN.export_controls.magnets.validity_range=(30.0, 60.0)",
            "states.CN.export_controls.magnets.validity_weeks=40",
        ])"#,
    )
    .unwrap();
    let out = chokepoint(tmp.path(), &["run", "run.ron", "--out", "out"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = std::fs::read_to_string(tmp.path().join("out/manifest.ron")).unwrap();
    assert!(manifest.contains("validity_weeks: 40.0"), "{manifest}");
    assert!(manifest.contains("weeks: 5,"), "{manifest}");
}
