//! Levels, probabilities and shares stay in range; no NaN or infinity in
//! any output; the baseline's summary has every promised column.

use crate::common::*;
use chokepoint::metrics::Cell;
use chokepoint::sim::Simulation;

fn check_ranges(tables: &chokepoint::sim::RunTables) {
    for table in [&tables.timeseries, &tables.transcript, &tables.summary] {
        for row in &table.rows {
            for (name, cell) in table.columns.iter().zip(row) {
                if let Cell::Num(v) = cell {
                    assert!(v.is_finite(), "{name} = {v}");
                    let unit = [
                        "pressure",
                        "trust",
                        "restriction",
                        "share",
                        "approval",
                        "readiness",
                        "u_consumer",
                        "u_supplier",
                    ];
                    // `conceded_*` and `agreements_*` are totals over agreements, not levels
                    let total = name.starts_with("conceded_") || name.starts_with("agreements_");
                    if !total && unit.iter().any(|u| name.contains(u)) {
                        assert!((0.0..=1.0).contains(v), "{name} = {v} outside 0..1");
                    }
                    if !name.contains("revenue_lost") {
                        assert!(*v >= 0.0, "{name} = {v} is negative");
                    }
                }
            }
        }
    }
}

#[test]
fn small_scenario_stays_in_range_over_seeds() {
    for seed in 0..5 {
        let mut sim = Simulation::new(&small_scenario(), seed, start(), 1);
        sim.run(60);
        check_ranges(&sim.tables());
    }
}

#[test]
fn baseline_stays_in_range_and_has_the_promised_columns() {
    let run =
        chokepoint::config::resolve_run(&root().join("configs/baseline.ron"), &Default::default())
            .unwrap();
    let mut sim = Simulation::new(&run.scenario, run.run.seed, start(), 1);
    sim.run(run.run.weeks);
    let t = sim.tables();
    check_ranges(&t);
    assert_eq!(t.timeseries.rows.len(), 104);
    assert_eq!(&t.timeseries.columns[..2], ["week", "date"]);
    for c in [
        "seed",
        "first_civilian_licence_week",
        "first_agreement_week",
        "agreements",
        "breakdowns",
        "military_licences_granted",
        "detections",
        "lost_output_US_autos",
        "peak_readiness_gap",
        "supplier_revenue_lost_usd",
        "substitution_share_end_US_ndfeb_magnets",
    ] {
        assert!(t.summary.column(c).is_some(), "summary lacks {c}");
    }
    for c in [
        "US_pressure",
        "CN_trust_in_US",
        "US_restriction_ethane_on_CN",
        "US_substitution_kg_ndfeb_magnets",
        "US_autos_output",
        "US_autos_lost_output",
        "US_auto_parts_inventory_weeks",
        "US_auto_parts_licences_pending",
        "US_auto_parts_licences_granted",
        "US_auto_parts_licences_denied",
        "US_aerospace_defence_readiness_gap",
        "exports_ndfeb_magnets_CN_to_US_kg",
        "talks_CN-US-ndfeb_magnets",
    ] {
        assert!(t.timeseries.column(c).is_some(), "time series lacks {c}");
    }
}

#[test]
fn a_week_that_never_came_is_empty() {
    // No controls and no talks: no licence and no agreement ever.
    let mut s = small_scenario();
    s.timeline.clear();
    let mut sim = Simulation::new(&s, 1, start(), 1);
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
        let mut sim = Simulation::new(&small_scenario(), seed, start(), 1);
        sim.run(60);
        let t = sim.tables();
        assert_eq!(
            t.summary.column("military_licences_granted").unwrap(),
            [&Cell::Int(0)]
        );
    }
}
