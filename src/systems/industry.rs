//! Phase 6: the supplier's own industry. Its makers sell what their state
//! exports to the firms the model holds plus a fixed demand from buyers it
//! does not (its own market, other export markets): their output, revenue
//! and jobs fall when exports are denied. The consumer's technology
//! restrictions cut the output of the target's restricted sectors in
//! proportion to their level. Both sides' losses go to the summary.

use crate::metrics::{RunTotals, WeekStats};
use crate::model::*;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{self, Layout, Measure, Policies, Schema, Unit};
use bevy_ecs::prelude::*;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Industry");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static MAKER_OUTPUT: Measure = Measure {
    pattern: "{state}_{maker}_maker_output",
    unit: Unit::Kg,
    about: "The state's makers' output this week: what its exports to the model's firms take plus their other demand, at most their capacity.",
    old: "",
};
pub static MAKER_REVENUE: Measure = Measure {
    pattern: "{state}_{maker}_maker_revenue",
    unit: Unit::Usd,
    about: "The makers' revenue this week: output at the material's inside price (what exports earn).",
    old: "",
};
pub static MAKER_JOBS: Measure = Measure {
    pattern: "{state}_{maker}_maker_jobs",
    unit: Unit::Count,
    about: "The makers' jobs this week: their jobs at full capacity x output / capacity.",
    old: "",
};
pub static RESTRICTED_OUTPUT_LOST: Measure = Measure {
    pattern: "{state}_{sector}_on_{target}_restricted_output_lost",
    unit: Unit::Usd,
    about: "The target sector's output lost this week to the state's restriction: its level x the output per week that needs what is restricted.",
    old: "",
};
pub static MAKER_REVENUE_LOST: Measure = Measure {
    pattern: "{state}_{maker}_maker_revenue_lost",
    unit: Unit::Usd,
    about: "The makers' revenue lost over the run against their output before the controls (their other demand and the model's firms' pre-control imports) at the reference price.",
    old: "",
};
pub static MAKER_JOB_WEEKS_LOST: Measure = Measure {
    pattern: "{state}_{maker}_maker_job_weeks_lost",
    unit: Unit::Count,
    about: "The makers' job-weeks lost over the run against their jobs before the controls.",
    old: "",
};
pub static TOTAL_RESTRICTED_OUTPUT_LOST: Measure = Measure {
    pattern: "{state}_{sector}_on_{target}_restricted_output_lost",
    unit: Unit::Usd,
    about: "The target sector's output lost to the state's restriction, summed over the run's weeks.",
    old: "",
};
pub static TOTAL_MATERIAL_COST: Measure = Measure {
    pattern: "{state}_{sector}_material_cost",
    unit: Unit::Usd,
    about: "What the group's firms paid for their material over the run (supplier shipments at the inside price, other supply at their market's price).",
    old: "",
};

/// The industry's totals over the run.
#[derive(Resource, Debug, Clone, Default)]
pub struct IndustryTotals {
    /// Per maker, in spawn order: revenue lost (USD) and job-weeks lost.
    pub maker_revenue_lost: Vec<f64>,
    pub maker_job_weeks_lost: Vec<f64>,
    /// Per restriction, in id order: output lost, USD.
    pub restricted_output_lost: Vec<f64>,
}

/// Every maker's output, revenue and jobs; every restriction's lost
/// output; over the run, the losses of both sides.
fn columns(layout: &Layout, schema: &mut Schema) {
    let makers = &layout.makers;
    for (i, (owner, name)) in makers.iter().enumerate() {
        let args = [("state", layout.state(*owner)), ("maker", name.as_str())];
        let ts = &mut schema.timeseries;
        ts.add(&MAKER_OUTPUT, &args, move |w| schema::maker(w, i).output);
        ts.add(&MAKER_REVENUE, &args, move |w| schema::maker(w, i).revenue);
        ts.add(&MAKER_JOBS, &args, move |w| schema::maker(w, i).employed);
    }
    for i in 0..layout.restrictions.len() {
        let args = layout.restriction_args(i);
        schema
            .timeseries
            .add(&RESTRICTED_OUTPUT_LOST, &args, move |w| {
                let r = schema::restriction(w, i);
                r.level * r.output_per_week
            });
    }
    for (i, (owner, name)) in makers.iter().enumerate() {
        let args = [("state", layout.state(*owner)), ("maker", name.as_str())];
        schema.summary.add(&MAKER_REVENUE_LOST, &args, move |w| {
            w.resource::<IndustryTotals>().maker_revenue_lost[i]
        });
        schema.summary.add(&MAKER_JOB_WEEKS_LOST, &args, move |w| {
            w.resource::<IndustryTotals>().maker_job_weeks_lost[i]
        });
    }
    for i in 0..layout.restrictions.len() {
        let args = layout.restriction_args(i);
        schema
            .summary
            .add(&TOTAL_RESTRICTED_OUTPUT_LOST, &args, move |w| {
                w.resource::<IndustryTotals>().restricted_output_lost[i]
            });
    }
    for (g, info) in layout.registry.groups.iter().enumerate() {
        let args = [
            ("state", layout.state(info.home)),
            ("sector", info.sector.as_str()),
        ];
        schema.summary.add(&TOTAL_MATERIAL_COST, &args, move |w| {
            w.resource::<RunTotals>().material_cost[g]
        });
    }
}

/// The makers (spawned before the firms) and the totals; each week,
/// `industry`.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    let makers: Vec<Maker> = scenario
        .states
        .iter()
        .flat_map(|s| s.makers.iter().cloned())
        .collect();
    let restrictions = scenario
        .states
        .iter()
        .map(|s| s.tech_restrictions.len())
        .sum();
    b.insert_resource(IndustryTotals {
        maker_revenue_lost: vec![0.0; makers.len()],
        maker_job_weeks_lost: vec![0.0; makers.len()],
        restricted_output_lost: vec![0.0; restrictions],
    });
    // `schema::Policies` finds them, in the layout's (file) order
    for m in makers {
        b.spawn(m);
    }
    b.add_systems(industry);
}

/// What makers of one material sell this week: `share` (their capacity
/// over all its makers') of the exports to the model's firms, plus their
/// other demand, at most their capacity.
pub fn maker_output(capacity: f64, other_demand: f64, share: f64, exports: f64) -> f64 {
    (other_demand + share * exports).clamp(0.0, capacity)
}

/// The makers' week, and the run's losses on both sides.
pub fn industry(
    registry: Res<Registry>,
    stats: Res<WeekStats>,
    markets: Res<Markets>,
    policies: Res<Policies>,
    mut totals: ResMut<IndustryTotals>,
    mut makers: Query<&mut Maker>,
    restrictions: Query<&TechRestriction>,
) {
    let nm = registry.materials.len();
    let mut capacity = vec![0.0f64; nm];
    for m in makers.iter() {
        capacity[m.material as usize] += m.capacity;
    }
    let totals = &mut *totals;
    for (i, &e) in policies.makers.iter().enumerate() {
        let Ok(mut mk) = makers.get_mut(e) else {
            continue;
        };
        let m = mk.material as usize;
        let share = if capacity[m] > 0.0 {
            mk.capacity / capacity[m]
        } else {
            0.0
        };
        // exports, and the sales kept from firms that moved to the supplier
        let exports: f64 = (0..registry.states.len()).map(|d| stats.sold(m, d)).sum();
        let before: f64 = registry.baseline_imports[m].iter().sum();
        let output = maker_output(mk.capacity, mk.other_demand, share, exports);
        let output0 = maker_output(mk.capacity, mk.other_demand, share, before);
        let per_kg = if mk.capacity > 0.0 {
            mk.jobs / mk.capacity
        } else {
            0.0
        };
        let jobs = |out: f64| per_kg * out;
        mk.output = output;
        mk.revenue = output * markets.0[m].inside;
        mk.employed = jobs(output);
        totals.maker_revenue_lost[i] += output0 * registry.materials[m].price - mk.revenue;
        totals.maker_job_weeks_lost[i] += jobs(output0) - mk.employed;
    }
    for r in restrictions.iter() {
        if let Some(t) = totals.restricted_output_lost.get_mut(r.id as usize) {
            *t += r.level * r.output_per_week;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makers sell their other demand and their share of exports, at most
    /// their capacity: denied exports lower their output one for one.
    #[test]
    fn makers_output_falls_with_denied_exports() {
        assert_eq!(maker_output(100.0, 60.0, 0.5, 40.0), 80.0);
        assert_eq!(maker_output(100.0, 60.0, 0.5, 0.0), 60.0);
        assert_eq!(maker_output(100.0, 90.0, 1.0, 40.0), 100.0);
    }
}
