//! Firms that redesign or move (models/ODD.md 7.11): direction tests on a
//! few seeds of the small scenario, whose civilian parts makers are given
//! an adaptation rule.

use crate::common::*;
use chokepoint::config::{AdaptationDef, RedesignDef, RelocationDef, Scenario};

const SEEDS: u64 = 4;
const WEEKS: u32 = 40;

/// The small scenario with its parts makers (population 0) able to
/// redesign at `redesign_cost` per kg/week and to move to the supplier with
/// weekly hazard at most `max_hazard`.
fn adapting(redesign_cost: f64, max_hazard: f64) -> Scenario {
    let mut s = small_scenario();
    s.populations[0].adaptation = Some(AdaptationDef {
        loss_per_kg: 5000.0,
        life_weeks: 520.0,
        smoothing: 0.3,
        redesign: Some(RedesignDef {
            intensity: 0.5,
            lead_weeks: 10.0,
            cost_per_kg_week: redesign_cost,
        }),
        relocation: Some(RelocationDef {
            to: "CN".into(),
            cost_per_kg_week: 2e5,
            max_hazard,
            slope: 5.0,
        }),
    });
    s
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Over seeds: the consumer's mean pressure in weeks 20-39, its parts
/// makers' licences (pending or granted) summed over those weeks, the firms
/// that moved and the jobs it lost.
fn outcomes(s: &Scenario) -> [f64; 4] {
    let mut out = [0.0; 4];
    for seed in 1..=SEEDS {
        let t = run_for(s, seed, WEEKS).timeseries;
        let tail = |c: &str| series(&t, c)[20..].to_vec();
        out[0] += mean(&tail("US_pressure_index"));
        out[1] += tail("US_parts_licences_pending_count").iter().sum::<f64>()
            + tail("US_parts_licences_granted_count").iter().sum::<f64>();
        out[2] += *series(&t, "US_parts_relocated_count").last().unwrap();
        out[3] += *series(&t, "US_relocated_jobs_count").last().unwrap();
    }
    out.map(|x| x / SEEDS as f64)
}

/// Exit (Hirschman 1970): firms that move abroad take their jobs with
/// them, so the home state's lost output rises for good, and its pressure
/// with it; they no longer import, so the state's later demand for the
/// supplier's licences falls. A higher hazard moves more firms, and each
/// of these outcomes further the same way.
#[test]
fn relocation_raises_the_consumers_pressure_and_lowers_its_demand_for_licences() {
    let runs: Vec<[f64; 4]> = [0.0, 0.01, 0.04]
        .iter()
        .map(|&h| outcomes(&adapting(1e12, h)))
        .collect();
    assert_eq!(runs[0][2], 0.0, "firms move with no hazard: {runs:?}");
    for w in runs.windows(2) {
        assert!(w[1][2] > w[0][2], "no more firms move: {runs:?}");
        assert!(w[1][3] > w[0][3], "no more jobs lost: {runs:?}");
        assert!(w[1][0] > w[0][0], "the pressure does not rise: {runs:?}");
        assert!(
            w[1][1] < w[0][1],
            "the demand for licences does not fall: {runs:?}"
        );
    }
}

/// Investment by net present value, for a firm: it redesigns when the part
/// of its expected shortage cost the new design avoids reaches the
/// redesign's cost, so a cheaper redesign is taken by more firms, and no
/// firm takes one that costs more than any shortage could.
#[test]
fn a_cheaper_redesign_is_taken_by_more_firms() {
    let redesigned = |cost: f64| -> f64 {
        (1..=SEEDS)
            .map(|seed| {
                let t = run_for(&adapting(cost, 0.0), seed, WEEKS).timeseries;
                *series(&t, "US_parts_redesigned_count").last().unwrap()
            })
            .sum::<f64>()
    };
    let n: Vec<f64> = [1e3, 1e4, 1e5, 1e12]
        .iter()
        .map(|&c| redesigned(c))
        .collect();
    for w in n.windows(2) {
        assert!(w[1] <= w[0], "a dearer redesign is taken more: {n:?}");
    }
    assert!(n[0] > n[2], "{n:?}");
    assert_eq!(n[3], 0.0, "{n:?}");
}

/// The supplier's side of exit: a firm that moves its production into the
/// supplier state buys there what it imported, a sale the supplier keeps,
/// so more moves leave the supplier's revenue lost over the run no higher
/// (and, here, lower), not higher as if the firm had vanished.
#[test]
fn relocation_to_the_supplier_is_a_sale_it_keeps() {
    let lost = |h: f64| -> f64 {
        (1..=SEEDS)
            .map(|seed| {
                value(
                    &run_for(&adapting(1e12, h), seed, WEEKS).summary,
                    "supplier_revenue_lost_usd",
                )
            })
            .sum::<f64>()
    };
    let l: Vec<f64> = [0.0, 0.01, 0.04].iter().map(|&h| lost(h)).collect();
    for w in l.windows(2) {
        assert!(w[1] <= w[0], "more moves raise the supplier's loss: {l:?}");
    }
    assert!(l[2] < l[0], "{l:?}");
}
