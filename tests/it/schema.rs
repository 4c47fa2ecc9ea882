//! The declared output schema: what a run writes is what the schema
//! declares (names, order, types), names follow the naming rule, and a
//! scenario whose names would give two columns one name is refused.

use crate::common::*;
use chokepoint::config::{Scenario, ValidScenario};
use chokepoint::metrics::{Cell, ColumnType, Table};
use chokepoint::schema::{Column, Schema, is_clean};

/// `table` has the declared columns, in order, and each cell the declared
/// type (or is empty).
fn assert_declared(what: &str, table: &Table, declared: &[Column]) {
    let names: Vec<&str> = declared.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(table.columns, names, "{what}: columns");
    let types: Vec<ColumnType> = declared.iter().map(|c| c.ty).collect();
    assert_eq!(table.types, types, "{what}: types");
    for row in &table.rows {
        for (cell, c) in row.iter().zip(declared) {
            let ok = matches!(
                (cell, c.ty),
                (Cell::Empty, _)
                    | (Cell::Num(_), ColumnType::Float)
                    | (Cell::Int(_), ColumnType::Int)
                    | (Cell::Text(_), ColumnType::Text)
            );
            assert!(
                ok,
                "{what}: `{}` holds {cell:?}, declared {:?}",
                c.name, c.ty
            );
        }
    }
}

fn check(s: &Scenario, weeks: u32) {
    let valid = ValidScenario::check(s.clone()).unwrap();
    let schema = Schema::of(&valid);
    assert!(schema.clashes().is_empty());
    let mut sim = simulation(s, 3, 1);
    sim.run(weeks);
    let t = sim.tables();
    assert_declared("timeseries", &t.timeseries, &schema.timeseries.columns);
    assert_declared("summary", &t.summary, &schema.summary.columns);
    let negotiate = || chokepoint::systems::negotiate::transcript_columns();
    assert_declared("transcript", &t.transcript, &negotiate());
    assert_declared(
        "terms",
        &t.terms,
        &chokepoint::systems::negotiate::terms_columns(),
    );
    assert!(!t.transcript.rows.is_empty() && !t.terms.rows.is_empty());
    for c in schema
        .timeseries
        .columns
        .iter()
        .chain(&schema.summary.columns)
    {
        assert!(is_clean(&c.name), "`{}`", c.name);
    }
}

#[test]
fn runs_write_the_declared_columns_and_types() {
    check(&small_scenario(), 40);
    check(&crate::generality::three_states_two_materials(), 40);
}

/// The columns of a sweep's runs.csv are known without running a world:
/// `prepare` declares those a run then writes.
#[test]
fn a_sweep_declares_the_columns_its_runs_write() {
    let p = chokepoint::sweep::prepare(&data("sweep_small.ron"), Some(&data("unused"))).unwrap();
    let schema = Schema::of(&p.base.scenario);
    let summary: Vec<String> = schema
        .summary
        .names()
        .into_iter()
        .filter(|c| c != "seed")
        .collect();
    let first = chokepoint::sweep::FIXED_COLUMNS.len() + p.plan.paths.len();
    assert_eq!(p.columns[first..], summary[..]);
    let mut sim = simulation(p.base.scenario.raw(), 1, 1);
    sim.run(2);
    let run: Vec<String> = sim.tables().summary.columns;
    assert_eq!(run[1..], summary[..], "a run's summary after its seed");
}

/// Two restriction sectors that differ only in a hyphen would name one
/// column twice: the scenario is refused (exit 2), naming the column.
#[test]
fn names_that_clash_after_the_rule_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data("small.ron"))
        .unwrap()
        .replace("sector: \"chips\", target", "sector: \"a-b\", target")
        .replace("sector: \"ethane\", target", "sector: \"a_b\", target");
    std::fs::write(tmp.path().join("s.ron"), text).unwrap();
    let o = chokepoint(tmp.path(), &["validate", "s.ron"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("two output columns would be named `US_a_b_on_CN_restriction_level`"),
        "{}",
        stderr(&o)
    );
}

/// A measure's pattern matches the names it makes, and no others.
#[test]
fn measures_match_their_own_names() {
    use chokepoint::systems::{negotiate::RESTRICTION, production::LOST_OUTPUT};
    let args = [("state", "US"), ("sector", "auto-parts")];
    let name = LOST_OUTPUT.name(&args);
    assert_eq!(name, "US_auto_parts_lost_output_units");
    assert!(LOST_OUTPUT.matches(&name));
    assert_eq!(LOST_OUTPUT.old_name(&args), "US_auto-parts_lost_output");
    for other in [
        "lost_output_units",
        "US_autos_lost_output",
        "US_x_output_units",
    ] {
        assert!(!LOST_OUTPUT.matches(other), "{other}");
    }
    let r = RESTRICTION.name(&[("state", "US"), ("sector", "chips"), ("target", "CN")]);
    assert_eq!(r, "US_chips_on_CN_restriction_level");
    assert!(RESTRICTION.matches(&r) && !RESTRICTION.matches("US_chips_CN_restriction_level"));
}
