//! Phase 7: domestic pressure. A consumer feels lost civilian output
//! (weighted by jobs and political weight), the readiness gap and the
//! shortage; a supplier feels lost export revenue, the restrictions it
//! faces, and the erosion of its leverage as consumers substitute.

use crate::metrics::WeekStats;
use crate::model::PressureParams;
use crate::model::*;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{self, Layout, Measure, Schema, Unit};
use bevy_ecs::prelude::*;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Pressure");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static PRESSURE: Measure = Measure {
    pattern: "{state}_pressure",
    unit: Unit::Index,
    about: "Political pressure on the state this week: 1 - exp(-S), S the weighted sum of its lost output, readiness gap, price, lost export revenue, restrictions it faces and leverage erosion (models/ODD.md).",
    old: "{state}_pressure",
};
pub static PRESSURE_SMOOTHED: Measure = Measure {
    pattern: "{state}_pressure_smoothed",
    unit: Unit::Index,
    about: "The state's pressure, exponentially smoothed: what its negotiators act on.",
    old: "{state}_pressure_smoothed",
};

pub static STATE_READINESS_GAP: Measure = Measure {
    pattern: "{state}_readiness_gap",
    unit: Unit::Share,
    about: "Share of the state's military capacity idle this week (lost over full output of all its military firms; 0 with none): the readiness term of its pressure.",
    old: "",
};

/// Each state's pressure and readiness gap.
fn columns(layout: &Layout, schema: &mut Schema) {
    for s in 0..layout.registry.states.len() {
        let args = [("state", layout.state(s as StateIx))];
        schema
            .timeseries
            .add(&STATE_READINESS_GAP, &args, move |w| {
                let st = &w.resource::<WeekStats>().states[s];
                share(st.military_lost, st.military_capacity)
            });
        schema.timeseries.add(&PRESSURE, &args, move |w| {
            schema::agent::<Pressure>(w, s).now
        });
        schema.timeseries.add(&PRESSURE_SMOOTHED, &args, move |w| {
            schema::agent::<Pressure>(w, s).smoothed
        });
    }
}

/// The week's aggregates (stockpiles, run totals), then each state's pressure.
fn plugin(b: &mut Builder) {
    b.add_systems((crate::metrics::aggregate, pressure).chain());
}

/// The terms of a state's pressure this week, each in 0..1.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureTerms {
    pub lost_output: f64,
    pub readiness: f64,
    pub price: f64,
    pub lost_revenue: f64,
    pub restrictions: f64,
    pub leverage_erosion: f64,
}

impl PressureTerms {
    /// 1 - exp(-S), S the weighted sum of the terms: 0 with no harm, rising
    /// towards 1 with no clamp, so that every term keeps a marginal effect
    /// (dP/dS = exp(-S) > 0), and close to S while S is small (S = 0.3
    /// gives 0.26; S = 1 gives 0.63; S = 3 gives 0.95). Read it as the
    /// probability that the harm moves the government to act.
    pub fn combine(&self, w: &PressureParams) -> f64 {
        let s = (w.lost_output * self.lost_output
            + w.readiness * self.readiness
            + w.price * self.price
            + w.lost_revenue * self.lost_revenue
            + w.restrictions * self.restrictions
            + w.leverage_erosion * self.leverage_erosion)
            .max(0.0);
        -(-s).exp_m1()
    }
}

fn share(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        (num / den).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Computes the terms for state `st`.
pub fn terms(
    st: usize,
    registry: &Registry,
    stats: &WeekStats,
    markets: &[Market],
    restrictions: &[(StateIx, f64, f64)],
) -> PressureTerms {
    let s = &stats.states[st];
    let (mut baseline_value, mut exported_value, mut baseline_kg, mut substituted_kg) =
        (0.0, 0.0, 0.0, 0.0);
    // The price term: 1 - P0 / P of each market the state's firms buy in,
    // weighted by their use.
    let (mut ordered, mut dear) = (0.0, 0.0);
    for (m, info) in registry.materials.iter().enumerate() {
        let q = stats.market[m][st][0];
        let price = markets[m].for_home(st as StateIx, info.supplier);
        if q > 0.0 && price > 0.0 {
            ordered += q;
            dear += q * (1.0 - info.price / price).max(0.0);
        }
        if info.supplier as usize != st {
            continue;
        }
        // Exports earn the inside price (export contracts at the supplier's
        // domestic benchmark): the scarcity rent outside goes to the
        // sellers outside.
        for dest in 0..registry.states.len() {
            let base = registry.baseline_imports[m][dest];
            baseline_value += base * info.price;
            // a firm that moved to the supplier is a sale it keeps
            exported_value += stats.sold(m, dest).min(base) * markets[m].inside;
            baseline_kg += base;
            substituted_kg += base * stats.substitution_share[dest][m];
        }
    }
    let (mut faced, mut possible) = (0.0, 0.0);
    for &(target, level, value) in restrictions {
        if target as usize == st {
            faced += level * value;
            possible += value;
        }
    }
    PressureTerms {
        lost_output: share(s.weighted_lost, s.weight),
        readiness: share(s.military_lost, s.military_capacity),
        price: share(dear, ordered),
        lost_revenue: 1.0
            - if baseline_value > 0.0 {
                share(exported_value, baseline_value)
            } else {
                1.0
            },
        restrictions: share(faced, possible),
        leverage_erosion: share(substituted_kg, baseline_kg),
    }
}

pub fn pressure(
    registry: Res<Registry>,
    stats: Res<WeekStats>,
    markets: Res<Markets>,
    restrictions: Query<&TechRestriction>,
    mut states: Query<(&StateAgent, &PressureWeights, &mut Pressure)>,
) {
    let list: Vec<(StateIx, f64, f64)> = restrictions
        .iter()
        .map(|r| (r.target, r.level, r.value_to_target))
        .collect();
    for (agent, weights, mut p) in &mut states {
        let now =
            terms(agent.ix as usize, &registry, &stats, &markets.0, &list).combine(&weights.0);
        let a = weights.0.smoothing;
        p.now = now;
        p.smoothed = (p.smoothed + a * (now - p.smoothed)).clamp(0.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two states, one material supplied by state 1; state 0 imports 100
    /// kg/week of it and its firms' demand this week is 100 kg.
    fn world() -> (Registry, WeekStats) {
        let registry = Registry {
            states: vec!["US".into(), "CN".into()],
            materials: vec![MaterialInfo {
                id: "magnets".into(),
                supplier: 1,
                price: 60.0,
                elasticity: -0.2,
                price_cap: 6.0,
            }],
            baseline_imports: vec![vec![100.0, 0.0]],
            ..Registry::default()
        };
        let mut stats = WeekStats::new(&registry);
        stats.market[0][0] = [100.0, 50.0];
        stats.substitution_share = vec![vec![0.0]; 2];
        (registry, stats)
    }

    fn market(inside: f64, outside: f64) -> Vec<Market> {
        vec![Market { inside, outside }]
    }

    /// The consumer feels the price of the market it buys in, 1 - P0/P: 0
    /// at the reference, rising continuously with the price (a shortage's
    /// price, Riddle et al. 2015); the supplier's price does not enter it.
    #[test]
    fn the_consumer_feels_the_outside_price() {
        let (registry, stats) = world();
        let term = |p: f64| terms(0, &registry, &stats, &market(60.0, p), &[]).price;
        assert_eq!(term(60.0), 0.0);
        assert!((term(120.0) - 0.5).abs() < 1e-12);
        assert!((term(360.0) - 5.0 / 6.0).abs() < 1e-12);
        let mut last = 0.0;
        for k in 0..=300 {
            let t = term(60.0 + k as f64);
            assert!(t >= last && t - last < 0.02, "{last} -> {t}");
            last = t;
        }
        assert_eq!(
            terms(0, &registry, &stats, &market(10.0, 60.0), &[]).price,
            0.0
        );
    }

    /// The supplier's lost revenue counts exports at the inside price
    /// against the pre-control exports at the reference: fewer exports, or
    /// a lower inside price, lose more.
    #[test]
    fn the_supplier_loses_export_revenue_in_value() {
        let (registry, mut stats) = world();
        let lost = |stats: &WeekStats, inside: f64| {
            terms(1, &registry, stats, &market(inside, 360.0), &[]).lost_revenue
        };
        stats.exports[0][0] = 100.0;
        assert!(lost(&stats, 60.0).abs() < 1e-12);
        assert!((lost(&stats, 30.0) - 0.5).abs() < 1e-12);
        stats.exports[0][0] = 40.0;
        assert!((lost(&stats, 60.0) - 0.6).abs() < 1e-12);
        // the outside price is the sellers' outside, not the supplier's
        assert_eq!(
            lost(&stats, 60.0),
            terms(1, &registry, &stats, &market(60.0, 60.0), &[]).lost_revenue
        );
    }
}
