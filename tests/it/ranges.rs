//! Levels, probabilities and shares stay in range; no NaN or infinity in
//! any output; the baseline's summary has every promised column.

use crate::common::*;
use chokepoint::config::ValidScenario;
use chokepoint::config::{Scenario, check_run, check_scenario, parse_ron};
use chokepoint::metrics::Cell;
use chokepoint::schema::{Schema, Unit};
use serde::Deserialize;
use serde_json::Value;

/// Every number is finite; those whose declared unit is bounded (share,
/// score, level, probability, flag) are in 0..1; all but money are at
/// least 0.
fn check_ranges(tables: &chokepoint::sim::RunTables, scenario: &ValidScenario) {
    let schema = Schema::of(scenario);
    let transcript = chokepoint::systems::negotiate::transcript_columns();
    for (table, declared) in [
        (&tables.timeseries, &schema.timeseries.columns[..]),
        (&tables.transcript, &transcript[..]),
        (&tables.summary, &schema.summary.columns[..]),
    ] {
        assert_eq!(table.columns.len(), declared.len());
        for row in &table.rows {
            for ((name, cell), column) in table.columns.iter().zip(row).zip(declared) {
                assert_eq!(*name, column.name);
                let number = match cell {
                    Cell::Num(v) => Some(*v),
                    Cell::Int(v) => Some(*v as f64),
                    _ => None,
                };
                if let Some(v) = number {
                    assert!(v.is_finite(), "{name} = {v}");
                    if column.measure.unit.is_bounded() {
                        assert!((0.0..=1.0).contains(&v), "{name} = {v} outside 0..1");
                    }
                    if column.measure.unit != Unit::Usd {
                        assert!(v >= 0.0, "{name} = {v} is negative");
                    }
                }
            }
        }
    }
}

#[test]
fn small_scenario_stays_in_range_over_seeds() {
    let valid = ValidScenario::check(small_scenario()).unwrap();
    for seed in 0..5 {
        let mut sim = crate::common::simulation(&small_scenario(), seed, 1);
        sim.run(60);
        check_ranges(&sim.tables(), &valid);
    }
}

#[test]
fn baseline_stays_in_range_and_has_the_promised_columns() {
    let run =
        chokepoint::config::resolve_run(&root().join("configs/baseline.ron"), &Default::default())
            .unwrap();
    let mut sim = chokepoint::sim::Simulation::new(&run.scenario, run.run.seed, start(), None);
    sim.run(run.run.weeks);
    let t = sim.tables();
    check_ranges(&t, &run.scenario);
    assert_eq!(t.timeseries.rows.len(), 104);
    assert_eq!(&t.timeseries.columns[..2], ["week", "date"]);
    for c in [
        "seed",
        "first_civilian_licence_week",
        "first_agreement_week",
        "agreements_count",
        "breakdowns_count",
        "military_licences_granted_count",
        "detections_count",
        "US_autos_lost_output_units",
        "peak_readiness_gap_share",
        "supplier_revenue_lost_usd",
        "US_ndfeb_magnets_final_substitution_share",
    ] {
        assert!(t.summary.column(c).is_some(), "summary lacks {c}");
    }
    for c in [
        "US_pressure_index",
        "CN_trust_in_US_index",
        "US_ethane_on_CN_restriction_level",
        "US_ndfeb_magnets_substitution_kg_per_week",
        "US_autos_output_units",
        "US_autos_lost_output_units",
        "US_auto_parts_inventory_weeks",
        "US_auto_parts_licences_pending_count",
        "US_auto_parts_licences_granted_count",
        "US_auto_parts_licences_denied_count",
        "US_aerospace_defence_readiness_gap_share",
        "CN_ndfeb_magnets_to_US_exports_kg",
        "CN_US_ndfeb_magnets_talks",
    ] {
        assert!(t.timeseries.column(c).is_some(), "time series lacks {c}");
    }
}

#[test]
fn a_week_that_never_came_is_empty() {
    // No controls and no talks: no licence and no agreement ever.
    let mut s = small_scenario();
    s.timeline.clear();
    let mut sim = crate::common::simulation(&s, 1, 1);
    sim.run(20);
    let t = sim.tables();
    assert_eq!(
        t.summary.column("first_civilian_licence_week").unwrap(),
        [&Cell::Empty]
    );
    assert_eq!(
        t.summary.column("first_agreement_week").unwrap(),
        [&Cell::Empty]
    );
}

#[test]
fn defence_primes_are_never_licensed_while_the_ban_holds() {
    for seed in 0..3 {
        let mut sim = crate::common::simulation(&small_scenario(), seed, 1);
        sim.run(60);
        let t = sim.tables();
        assert_eq!(
            t.summary.column("military_licences_granted_count").unwrap(),
            [&Cell::Int(0)]
        );
    }
}

// ---- bounds: every numeric field has both ends, and at either end the output stays finite

/// JSON pointers of the numeric leaves of `v`.
fn numeric_leaves(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(at.to_string()),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                numeric_leaves(x, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                numeric_leaves(x, &format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// The scenario `tree` with its leaf `at` set to `x`, if it reads and passes
/// the check. The tree is left as it was.
fn accepted(tree: &mut Value, at: &str, x: Value) -> Option<Scenario> {
    let old = std::mem::replace(tree.pointer_mut(at).unwrap(), x);
    let s = Scenario::deserialize(&*tree).ok();
    *tree.pointer_mut(at).unwrap() = old;
    s.filter(|s| check_scenario(s).is_empty())
}

/// f64 <-> a u64 key in the same order.
fn key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 0 { b | 1 << 63 } else { !b }
}
fn unkey(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// The most (`up`) or least value the check accepts at leaf `at`, the others
/// held: found by bisection, since the accepted values of one field form an
/// interval. The far end (the largest number, or the most negative) must be
/// refused: every field has a bound on both sides.
fn bound(tree: &mut Value, at: &str, up: bool) -> Value {
    let now = tree.pointer(at).unwrap().clone();
    let as_value = |k: u64| {
        if now.is_u64() {
            Value::from(k)
        } else {
            Value::from(unkey(k))
        }
    };
    let (mut inside, mut outside) = match (now.as_u64(), up) {
        (Some(n), true) => (n, u64::MAX),
        (Some(n), false) => match accepted(tree, at, Value::from(0u64)) {
            Some(_) => return Value::from(0u64),
            None => (n, 0),
        },
        (None, true) => (key(now.as_f64().unwrap()), key(f64::MAX)),
        (None, false) => (key(now.as_f64().unwrap()), key(-f64::MAX)),
    };
    assert!(
        accepted(tree, at, as_value(inside)).is_some(),
        "{at}: the small scenario's value {now} is refused"
    );
    assert!(
        accepted(tree, at, as_value(outside)).is_none(),
        "{at}: {} is accepted: the field has no {} bound",
        as_value(outside),
        if up { "upper" } else { "lower" }
    );
    while inside.abs_diff(outside) > 1 {
        let mid = inside / 2 + outside / 2 + (inside % 2 + outside % 2) / 2;
        if accepted(tree, at, as_value(mid)).is_some() {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    as_value(inside)
}

/// Size fields: at their bound a run would build 5e7 firms.
fn is_size(at: &str) -> bool {
    at == "/population_scale" || at.ends_with("/count")
}

/// Every number in the run's tables is finite, also those inside text
/// cells (the transcript's `terms`).
fn assert_finite(what: &str, s: &Scenario) {
    let mut sim = crate::common::simulation(s, 7, 1);
    sim.run(40);
    let t = sim.tables();
    for (file, table) in [
        ("timeseries", &t.timeseries),
        ("transcript", &t.transcript),
        ("summary", &t.summary),
    ] {
        for (r, row) in table.rows.iter().enumerate() {
            for (name, cell) in table.columns.iter().zip(row) {
                let numbers: Vec<f64> = match cell {
                    Cell::Num(v) => vec![*v],
                    Cell::Text(text) => text
                        .split(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
                        .filter_map(|w| w.parse().ok())
                        .collect(),
                    _ => vec![],
                };
                for v in numbers {
                    assert!(
                        v.is_finite(),
                        "{what}: {file} row {r}, column {name}: {v} in {cell:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn every_numeric_field_at_either_bound_gives_finite_output() {
    let mut tree = serde_json::to_value(small_scenario()).unwrap();
    let mut leaves = Vec::new();
    numeric_leaves(&tree, "", &mut leaves);
    assert!(leaves.len() > 80, "{} numeric fields", leaves.len());
    let runnable: Vec<&String> = leaves.iter().filter(|at| !is_size(at)).collect();
    for (up, side) in [(true, "upper"), (false, "lower")] {
        // each field alone at its bound
        for at in &leaves {
            let b = bound(&mut tree, at, up);
            if !is_size(at) {
                assert_finite(&format!("{at} = {b}"), &accepted(&mut tree, at, b).unwrap());
            }
        }
        // every field at its bound at once: each in turn takes the bound the
        // others leave it; bounds that depend on each other (a mean and its
        // sd, the ends of a range) move in turns, and four rounds take the
        // means of LogNormal and Gamma distributions to their bounds
        let mut all = tree.clone();
        for _ in 0..4 {
            for at in &runnable {
                let b = bound(&mut all, at, up);
                *all.pointer_mut(at).unwrap() = b;
            }
        }
        let s: Scenario = serde_json::from_value(all).unwrap();
        assert_eq!(check_scenario(&s), vec![]);
        assert_finite(&format!("every field at its {side} bound"), &s);
    }
}

/// Problems of a run or sweep file's own numbers (not its model's).
fn own_problems(text: &str) -> Vec<String> {
    let path = std::path::Path::new("f.ron");
    let problems = if text.starts_with("RunConfig") {
        check_run(&parse_ron(path, text).unwrap())
            .err()
            .unwrap_or_default()
    } else {
        chokepoint::sweep::design::plan(&parse_ron(path, text).unwrap())
            .err()
            .unwrap_or_default()
    };
    problems.iter().map(|p| p.to_string()).collect()
}

#[test]
fn run_and_sweep_numbers_have_upper_bounds() {
    let axis = r#"axes: [Axis(path: "x", values: List([1.0]))]"#;
    let sweep = |rest: &str| format!(r#"Sweep(base: "b.ron", {axis}, {rest})"#);
    // (at the bound, past it, the field named)
    for (ok, bad, field) in [
        (
            r#"RunConfig(model: "m.ron", weeks: 5200)"#.to_string(),
            r#"RunConfig(model: "m.ron", weeks: 5201)"#.to_string(),
            "weeks",
        ),
        (
            r#"RunConfig(model: "m.ron", threads: 1024)"#.into(),
            r#"RunConfig(model: "m.ron", threads: 1025)"#.into(),
            "threads",
        ),
        (
            sweep("replicates: 100000000"),
            sweep("replicates: 100000001"),
            "replicates",
        ),
        (
            sweep("bootstrap: 100000"),
            sweep("bootstrap: 100001"),
            "bootstrap",
        ),
        (
            sweep("design: LatinHypercube(samples: 100000000)"),
            sweep("design: LatinHypercube(samples: 100000001)"),
            "design.samples",
        ),
        (
            sweep("design: Sobol(samples: 65536)"),
            sweep("design: Sobol(samples: 65537)"),
            "design.samples",
        ),
    ] {
        assert_eq!(own_problems(&ok), Vec::<String>::new(), "{ok}");
        let problems = own_problems(&bad);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("field `{field}`"))),
            "{bad}: {problems:?}"
        );
    }
}
