//! `validate SWEEP` and `sweep` check every axis value against its field's
//! range before any run: one error naming the sweep file, each problem with
//! the axis, the value's place and the assignment; exit code 2; no output.

use crate::common::*;

struct Case {
    name: &'static str,
    /// The `axes: [...]` list.
    axes: &'static str,
    /// The design, if not full factorial.
    design: &'static str,
    /// Fragments the error must contain.
    expect: &'static [&'static str],
}

fn sweep_file(axes: &str, design: &str) -> String {
    let base = data("small_run.ron");
    format!(
        "Sweep(base: {:?}, axes: [{axes}], {design} replicates: 2)",
        base.to_str().unwrap()
    )
}

fn check(case: &Case) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s.ron"), sweep_file(case.axes, case.design)).unwrap();
    for args in [
        &["validate", "s.ron"][..],
        &["sweep", "s.ron", "--out", "o"],
    ] {
        let out = chokepoint(tmp.path(), args);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{} ({}): {err}",
            case.name,
            args[0]
        );
        assert!(!err.contains("panicked"), "{}: {err}", case.name);
        assert!(
            err.contains("error: s.ron: "),
            "{}: the sweep file is not named: {err}",
            case.name
        );
        for e in case.expect {
            assert!(
                err.contains(e),
                "{} ({}): `{e}` not in: {err}",
                case.name,
                args[0]
            );
        }
        assert!(
            !tmp.path().join("o").exists(),
            "{}: a run was started",
            case.name
        );
    }
}

const DEADLINE: &str = r#"Axis(path: "negotiation.deadline_weeks", values: List([4.0, 8.0]))"#;

#[test]
fn every_axis_value_is_checked_against_its_field_before_any_run() {
    let lhs = "design: LatinHypercube(samples: 4),";
    let cases = [
        Case {
            name: "a listed value out of range",
            axes: r#"Axis(path: "negotiation.deadline_weeks", values: List([4.0, 8.0])), Axis(path: "states.CN.tracking.detection_probability", values: List([0.2, 0.5, 1.5]))"#,
            design: "",
            expect: &[
                "1 problem(s)",
                "field `axes[1].values[2] (states.CN.tracking.detection_probability=1.5)`: field `states[CN].tracking.detection_probability`: must be in 0..1",
            ],
        },
        Case {
            name: "the end of a range out of range",
            axes: r#"Axis(path: "states.CN.tracking.detection_probability", values: Range(min: 0.5, max: 1.2, step: 0.1))"#,
            design: "",
            expect: &[
                "axes[0].values[7] (states.CN.tracking.detection_probability=1.2)",
                "got 1.2",
            ],
        },
        Case {
            name: "a range past a field's upper bound",
            axes: r#"Axis(path: "materials.magnets.price_per_unit", values: Range(min: 1e11, max: 1e13, step: 1e11))"#,
            design: "",
            expect: &["axes[0].values[99]", "must be at most 1e12 USD per unit"],
        },
        Case {
            name: "the upper end of a distribution",
            axes: r#"Axis(path: "states.CN.tracking.detection_probability", values: Distribution(Uniform(min: 0.2, max: 1.5)))"#,
            design: lhs,
            expect: &[
                "axes[0].values, upper end of its support (states.CN.tracking.detection_probability=1.5)",
            ],
        },
        Case {
            name: "the lower end of a distribution",
            axes: r#"Axis(path: "negotiation.deadline_weeks", values: Distribution(Triangular(min: 0.0, mode: 4.0, max: 8.0)))"#,
            design: lhs,
            expect: &[
                "axes[0].values, lower end of its support (negotiation.deadline_weeks=0.0)",
                "must be > 0",
            ],
        },
        Case {
            name: "an unbounded distribution",
            axes: r#"Axis(path: "negotiation.deadline_weeks", values: Distribution(LogNormal(mean: 8.0, sd: 2.0)))"#,
            design: lhs,
            expect: &[
                "field `axes[0].values (negotiation.deadline_weeks)`: a LogNormal distribution is unbounded above",
            ],
        },
        Case {
            name: "draws of a distribution on a whole-number field",
            axes: r#"Axis(path: "populations.parts.count", values: Distribution(Uniform(min: 10.0, max: 20.0)))"#,
            design: lhs,
            expect: &[
                "axes[0].values, a draw (populations.parts.count=",
                "populations[0].count",
            ],
        },
        Case {
            name: "a range step that is not whole on a whole-number field",
            axes: r#"Axis(path: "populations.parts.count", values: Range(min: 10.0, max: 20.0, step: 0.5))"#,
            design: "",
            expect: &[
                "axes[0].values[1] (populations.parts.count=10.5)",
                "populations[0].count",
            ],
        },
        Case {
            name: "a choice the field refuses",
            axes: r#"Axis(path: "states.CN.preferences.concession", values: Choices(["Linear", "Boulware(e: 2.0)", "Linear"]))"#,
            design: "",
            expect: &[
                "axes[0].values[1] (states.CN.preferences.concession=Boulware(e: 2.0))",
                "Boulware needs e < 1",
            ],
        },
        Case {
            name: "an unknown path",
            axes: r#"Axis(path: "negotiation.deadline_wekes", values: List([4.0]))"#,
            design: "",
            expect: &[
                "axes[0].values[0] (negotiation.deadline_wekes=4.0)",
                "unknown field `deadline_wekes`",
            ],
        },
        Case {
            name: "every problem at once",
            axes: r#"Axis(path: "states.CN.tracking.detection_probability", values: List([-0.5, 0.5, 2.0])), Axis(path: "negotiation.breakdown_probability", values: List([0.1, 3.0]))"#,
            design: "",
            expect: &[
                "3 problem(s)",
                "axes[0].values[0] (states.CN.tracking.detection_probability=-0.5)",
                "axes[0].values[2] (states.CN.tracking.detection_probability=2.0)",
                "axes[1].values[1] (negotiation.breakdown_probability=3.0)",
            ],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn a_sweep_within_range_validates_however_many_values_its_axes_have() {
    let tmp = tempfile::tempdir().unwrap();
    let text = sweep_file(
        &format!(
            r#"{DEADLINE}, Axis(path: "states.CN.tracking.detection_probability", values: Range(min: 0.0, max: 0.999999, step: 0.000001))"#
        ),
        "",
    );
    std::fs::write(tmp.path().join("s.ron"), text).unwrap();
    let out = chokepoint(tmp.path(), &["validate", "s.ron"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok"));
}
