//! Nothing assumes two states, one material or a fixed list of sectors: a
//! third consumer and a second controlled material are config changes.

use crate::common::*;
use chokepoint::config::*;

pub fn three_states_two_materials() -> Scenario {
    let mut s = small_scenario();
    s.materials.push(Material {
        id: "gallium".into(),
        unit: "kg".into(),
        supplier: "CN".into(),
        price_per_unit: 300.0,
        demand_elasticity: -0.3,
        price_cap: 10.0,
    });
    let mut gallium = s.states[1].export_controls[0].clone();
    gallium.material = "gallium".into();
    s.states[1].export_controls.push(gallium);
    let mut eu = s.states[0].clone();
    eu.code = "EU".into();
    eu.tech_restrictions = vec![TechRestrictionDef {
        sector: "lithography".into(),
        target: "CN".into(),
        level: 0.5,
        value_to_target: 0.8,
        security_cost: 0.3,
        ladder: None,
        output_per_week: 1e6,
    }];
    // two makers of magnets and one of gallium in the supplier state
    s.states[1].makers = ["magnets", "magnets", "gallium"]
        .iter()
        .enumerate()
        .map(|(i, m)| MakerDef {
            name: format!("maker{i}"),
            material: m.to_string(),
            capacity: 4000.0,
            other_demand: 500.0,
            jobs: 100.0,
        })
        .collect();
    s.states.push(eu);
    let mut eu_firms = s.populations[0].clone();
    eu_firms.name = "eu_parts".into();
    eu_firms.home = "EU".into();
    eu_firms.supplies = None;
    let mut chips = s.populations[1].clone();
    chips.name = "us_chips".into();
    chips.sector = "chips".into();
    chips.material = "gallium".into();
    s.populations.push(eu_firms);
    s.populations.push(chips);
    s.timeline.push(ScheduledEvent {
        week: 2,
        label: "gallium controls".into(),
        action: EventAction::SetControlActive {
            state: "CN".into(),
            material: "gallium".into(),
            active: true,
        },
    });
    assert_eq!(check_scenario(&s), vec![]);
    s
}

#[test]
fn a_third_state_and_a_second_material_are_config_changes() {
    let s = three_states_two_materials();
    let mut sim = crate::common::simulation(&s, 5, 1);
    sim.run(40);
    let t = sim.tables();
    for column in [
        "EU_pressure_index",
        "CN_trust_in_EU_index",
        "EU_lithography_on_CN_restriction_level",
        "EU_parts_output_units",
        "US_chips_licences_granted_count",
        "CN_magnets_to_EU_exports_kg",
        "CN_gallium_to_US_exports_kg",
        "CN_EU_magnets_talks",
        "CN_US_gallium_talks",
    ] {
        assert!(t.timeseries.column(column).is_some(), "missing {column}");
    }
    let eu_talks = t
        .transcript
        .rows
        .iter()
        .filter(|r| r[2] == chokepoint::metrics::Cell::Text("CN-EU-magnets".into()))
        .count();
    assert!(eu_talks > 0, "the EU negotiates on its own track");
}

#[test]
fn an_agreement_changes_the_terms_for_its_consumer_only() {
    let s = three_states_two_materials();
    // every week of seeds 1-8 with a US deal and no EU deal is checked;
    // at least one such week must come
    let mut seen = 0;
    for seed in 1..=8 {
        let mut sim = crate::common::simulation(&s, seed, 1);
        sim.run(60);
        let t = sim.tables();
        let col = |name: &str| {
            t.timeseries
                .column(name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let (us, eu) = (
            col("CN_magnets_to_US_civilian_approval_probability"),
            col("CN_magnets_to_EU_civilian_approval_probability"),
        );
        let (us_talks, eu_talks) = (col("CN_US_magnets_talks"), col("CN_EU_magnets_talks"));
        let agreed = chokepoint::metrics::Cell::Text("agreed".into());
        for week in 0..t.timeseries.rows.len() {
            if *us_talks[week] == agreed && *eu_talks[week] != agreed {
                seen += 1;
                assert_ne!(
                    us[week], eu[week],
                    "seed {seed}, week {week}: the US deal leaks to the EU"
                );
            }
        }
    }
    assert!(
        seen > 0,
        "no week with a US deal and no EU deal in seeds 1-8"
    );
}

/// States that screen run a whole scenario: talks open, offers are made
/// and answered with the actor's reservation and belief in the
/// transcript, the run is the same twice, and the settings are checked.
#[test]
fn screening_states_run_a_scenario() {
    let mut s = small_scenario();
    for st in &mut s.states {
        st.preferences.concession = Concession::Screening;
        st.preferences.resolve = Dist::Uniform { min: 0.0, max: 0.2 };
    }
    s.negotiation.belief_types = 11;
    let run = || {
        let mut sim = crate::common::simulation(&s, 2, 1);
        sim.run(60);
        sim.tables()
    };
    let t = run();
    let column = |name: &str| {
        t.transcript
            .columns
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (event, mean) = (column("event"), column("actor_belief_mean_index"));
    let offers: Vec<&Vec<chokepoint::metrics::Cell>> = t
        .transcript
        .rows
        .iter()
        .filter(|r| r[event] == chokepoint::metrics::Cell::Text("offer".into()))
        .collect();
    assert!(!offers.is_empty(), "no offer in 60 weeks");
    for r in &offers {
        let chokepoint::metrics::Cell::Num(m) = r[mean] else {
            panic!("an offer without a belief: {r:?}")
        };
        // the prior's mean over Uniform(0, 0.2) is 0.1; beliefs stay in the support
        assert!((0.0..=0.2).contains(&m), "{m}");
    }
    assert_eq!(t, run(), "same scenario and seed, same output");
    s.negotiation.response_noise = 0.0;
    s.negotiation.belief_types = 0;
    s.states[0].preferences.resolve = Dist::Uniform { min: 0.0, max: 1.5 };
    let problems = chokepoint::config::ValidScenario::check(s).unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "states[US].preferences.resolve",
            "negotiation.response_noise",
            "negotiation.belief_types"
        ],
        "{problems:?}"
    );
}
