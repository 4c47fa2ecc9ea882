//! Material is conserved every week: supplier shipments + other supply =
//! consumption + change in firm inventories + change in stockpiles, checked
//! from the components themselves over random scenarios.

use crate::common::*;
use bevy_ecs::prelude::*;
use chokepoint::config::{Dist, PriorityRule, ReleaseRule, Scenario};
use chokepoint::model::{FirmKind, Flow, Production, Stock, Stockpile};
use proptest::prelude::*;

/// Firm inventories and stockpiles of material `m`.
fn inventories(world: &mut World, m: u8) -> (f64, f64) {
    let firms: f64 = world
        .query::<(&FirmKind, &Stock)>()
        .iter(world)
        .filter(|(k, _)| k.material == m)
        .map(|(_, s)| s.inventory)
        .sum();
    let piles: f64 = world
        .query::<&Stockpile>()
        .iter(world)
        .filter(|s| s.material == m)
        .map(|s| s.quantity)
        .sum();
    (firms, piles)
}

/// This week's flows of material `m`: shipped by the supplier, from other
/// sources, used, and diverted in less out.
fn flows(world: &mut World, m: u8) -> (f64, f64, f64, f64) {
    let mut shipped = 0.0;
    let mut other = 0.0;
    let mut diverted = 0.0;
    let mut used = 0.0;
    for (k, f, p) in world.query::<(&FirmKind, &Flow, &Production)>().iter(world) {
        if k.material != m {
            continue;
        }
        shipped += f.from_supplier;
        other += f.from_pool;
        diverted += f.diverted_in - f.diverted_out;
        used += p.used;
    }
    (shipped, other, used, diverted)
}

/// Runs `weeks` weeks of `s` and checks, material by material, that what
/// came in (supplier shipments and other supply) is what was used plus the
/// change in firm inventories and stockpiles, and that diversion moves
/// material without making or losing any.
fn check_balance(s: &Scenario, seed: u64, weeks: u32) -> std::result::Result<(), TestCaseError> {
    let materials = s.materials.len() as u8;
    let mut sim = crate::common::simulation(s, seed, 1);
    for week in 0..weeks {
        let before: Vec<(f64, f64)> = (0..materials)
            .map(|m| inventories(&mut sim.world, m))
            .collect();
        sim.step();
        for m in 0..materials {
            let (firms0, piles0) = before[m as usize];
            let (firms1, piles1) = inventories(&mut sim.world, m);
            let (shipped, other, used, diverted) = flows(&mut sim.world, m);
            let inflow = shipped + other;
            let outflow = used + (firms1 - firms0) + (piles1 - piles0);
            let scale = 1.0 + inflow.abs() + firms0.abs() + piles0.abs();
            prop_assert!(
                (inflow - outflow).abs() <= 1e-9 * scale,
                "week {week}, material {m}: in {inflow} vs out {outflow}"
            );
            prop_assert!(
                diverted.abs() <= 1e-9 * scale,
                "week {week}, material {m}: diverted material appears or vanishes: {diverted}"
            );
        }
        // a sanity bound (it holds by construction, D = max(use, got), so
        // only a NaN or a bad clamp fails it): the outside price is a
        // number between the reference and the cap
        let market = sim.world.resource::<chokepoint::model::Markets>().0[0];
        prop_assert!(
            (60.0..=360.0).contains(&market.outside),
            "week {week}: {market:?}"
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn random_scenario(
    base: &Scenario,
    count: u64,
    approval: f64,
    other: f64,
    stock: f64,
    release: f64,
    restock: f64,
    diversion: f64,
    military_first: bool,
    military_first_release: bool,
) -> Scenario {
    let mut s = base.clone();
    s.populations[0].count = count;
    s.populations[1].count = count / 2;
    s.populations[1].diversion_propensity = Dist::Uniform {
        min: 0.0,
        max: diversion,
    };
    s.states[1].export_controls[0].approval.civilian = approval;
    s.states[1].export_controls[0].approval.dual_use = approval;
    s.states[0].other_supply[0].capacity = other;
    s.states[0].stockpiles[0].quantity = stock;
    s.states[0].stockpiles[0].max_release_per_week = release;
    s.states[0].stockpiles[0].release = if military_first_release {
        ReleaseRule::MilitaryFirst
    } else {
        ReleaseRule::MilitaryOnly
    };
    s.supply.restock_weeks = restock;
    s.supply.priority = if military_first {
        PriorityRule::MilitaryFirst
    } else {
        PriorityRule::ProRata
    };
    assert!(
        chokepoint::config::check_scenario(&s).is_empty(),
        "{:?}",
        chokepoint::config::check_scenario(&s)
    );
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn material_balance_holds_every_week(
        seed in 0u64..1000,
        count in 1u64..120,
        approval in 0.0f64..=1.0,
        other in 0.0f64..3000.0,
        stock in 0.0f64..2000.0,
        release in 0.0f64..300.0,
        restock in 0.5f64..10.0,
        diversion in 0.0f64..=1.0,
        military_first: bool,
        military_first_release: bool,
        safety in 0.0f64..3.0,
        cover in 0.0f64..60.0,
        premium in 0.0f64..50.0,
        heavy: bool,
        heavy_stock in 0.0f64..2000.0,
        heavy_cost in 0.0f64..1e9,
        move_hazard in 0.0f64..=0.2,
        redesign_cost in 0.0f64..1e6,
        by_value: bool,
    ) {
        // with `heavy`, two materials: the small world plus a heavy one
        // that only military firms use, its stockpile and a programme
        // started by value (tests/data/small_military.ron)
        let base = if heavy {
            let mut b = chokepoint::config::load_scenario(&crate::common::data("small_military.ron"))
                .expect("small_military is valid")
                .raw()
                .clone();
            b.states[0].stockpiles[1].quantity = heavy_stock;
            b.states[0].substitution[1].cost = heavy_cost;
            b
        } else {
            small_scenario()
        };
        let mut s = random_scenario(&base, count, approval, other, stock, release, restock, diversion, military_first, military_first_release);
        // parts makers that redesign and move to the supplier as they choose
        s.populations[0].adaptation = Some(chokepoint::config::AdaptationDef {
            loss_per_kg: 5000.0,
            life_weeks: 520.0,
            smoothing: 0.3,
            redesign: Some(chokepoint::config::RedesignDef { intensity: 0.5, lead_weeks: 5.0, cost_per_kg_week: redesign_cost }),
            relocation: Some(chokepoint::config::RelocationDef { to: "CN".into(), cost_per_kg_week: 2e5, max_hazard: move_hazard, slope: 5.0 }),
        });
        // safety stocks against the licence's lead time, and military
        // buyers' offers that make diversion worth its risk or not
        s.supply.safety_factor = safety;
        s.supply.max_cover_weeks = cover;
        s.supply.military_premium = premium;
        if by_value {
            for sp in &mut s.states[0].stockpiles {
                sp.release = ReleaseRule::ByValue;
            }
        }
        check_balance(&s, seed, 30)?;
    }
}

/// The balance holds, material by material, in a run where firms do move
/// and redesign (two materials, a high hazard, a cheap redesign) and the
/// stockpiles are released by value.
#[test]
fn material_balance_holds_when_firms_move_and_redesign() {
    let mut s = chokepoint::config::load_scenario(&crate::common::data("small_military.ron"))
        .expect("small_military is valid")
        .raw()
        .clone();
    s.populations[0].adaptation = Some(chokepoint::config::AdaptationDef {
        loss_per_kg: 5000.0,
        life_weeks: 520.0,
        smoothing: 0.3,
        redesign: Some(chokepoint::config::RedesignDef {
            intensity: 0.5,
            lead_weeks: 3.0,
            cost_per_kg_week: 1e3,
        }),
        relocation: Some(chokepoint::config::RelocationDef {
            to: "CN".into(),
            cost_per_kg_week: 2e5,
            max_hazard: 0.3,
            slope: 5.0,
        }),
    });
    for sp in &mut s.states[0].stockpiles {
        sp.release = ReleaseRule::ByValue;
    }
    check_balance(&s, 5, 30).unwrap();
    let t = run_for(&s, 5, 30).timeseries;
    let moved = *series(&t, "US_parts_relocated_count").last().unwrap();
    let redesigned = *series(&t, "US_parts_redesigned_count").last().unwrap();
    assert!(
        moved > 0.0 && redesigned > 0.0,
        "moved {moved}, redesigned {redesigned}"
    );
}
