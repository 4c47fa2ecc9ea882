//! Phase 5: production. Output is Leontief in material and in the tier-1
//! suppliers' output: min(capacity, material on hand / intensity, capacity x
//! the worst-supplied part's share). A part's share is the mean utilization
//! of its suppliers last week, so a shortage travels up the chain with a
//! week's delay, suppliers first.

use crate::metrics::{GroupStats, RunTotals, Tally, WeekStats};
use crate::model::*;
use bevy_ecs::prelude::*;

use super::{DENSE, Parallel};
use crate::par;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{Layout, Measure, Schema, Unit};

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Production");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static CAPACITY: Measure = Measure {
    pattern: "{state}_{sector}_capacity",
    unit: Unit::UnitsPerWeek,
    about: "The group's output per week at full capacity.",
    old: "{state}_{sector}_capacity",
};
pub static OUTPUT: Measure = Measure {
    pattern: "{state}_{sector}_output",
    unit: Unit::Units,
    about: "The group's output this week.",
    old: "{state}_{sector}_output",
};
pub static LOST_OUTPUT: Measure = Measure {
    pattern: "{state}_{sector}_lost_output",
    unit: Unit::Units,
    about: "Output lost (capacity - output) by the group's firms this week.",
    old: "{state}_{sector}_lost_output",
};
pub static TOTAL_LOST_OUTPUT: Measure = Measure {
    pattern: "{state}_{sector}_lost_output",
    unit: Unit::Units,
    about: "Output lost (capacity - output) by the group's firms, summed over the run's weeks.",
    old: "lost_output_{state}_{sector}",
};
pub static INVENTORY: Measure = Measure {
    pattern: "{state}_{sector}_inventory",
    unit: Unit::Weeks,
    about: "The group's material in stock at the end of the week, in weeks of use at full capacity.",
    old: "{state}_{sector}_inventory_weeks",
};
pub static MATERIAL_COST: Measure = Measure {
    pattern: "{state}_{sector}_material_cost",
    unit: Unit::Usd,
    about: "What the group's firms paid for the material they received this week: supplier shipments at the inside price (what exports earn), other supply at the price of the firms' own market.",
    old: "",
};
pub static LICENCES_PENDING: Measure = Measure {
    pattern: "{state}_{sector}_licences_pending",
    unit: Unit::Count,
    about: "The group's firms with a licence application under review.",
    old: "{state}_{sector}_licences_pending",
};
pub static LICENCES_GRANTED: Measure = Measure {
    pattern: "{state}_{sector}_licences_granted",
    unit: Unit::Count,
    about: "The group's firms holding a valid licence.",
    old: "{state}_{sector}_licences_granted",
};
pub static LICENCES_DENIED: Measure = Measure {
    pattern: "{state}_{sector}_licences_denied",
    unit: Unit::Count,
    about: "The group's firms denied a licence or blacklisted.",
    old: "{state}_{sector}_licences_denied",
};
pub static READINESS_GAP: Measure = Measure {
    pattern: "{state}_{sector}_readiness_gap",
    unit: Unit::Share,
    about: "Share of the group's military capacity idle this week (0 with no military firms).",
    old: "{state}_{sector}_readiness_gap",
};
pub static PEAK_READINESS_GAP: Measure = Measure {
    pattern: "peak_readiness_gap",
    unit: Unit::Share,
    about: "The largest weekly share of a state's military capacity left idle (lost over full output of its military firms), over all states.",
    old: "peak_readiness_gap",
};

/// This week's figures of group `g`.
fn group(w: &World, g: usize) -> &GroupStats {
    &w.resource::<WeekStats>().groups[g]
}

/// Each (home state, sector) group's output, stock and licences; over the
/// run, its lost output and the peak readiness gap.
fn columns(layout: &Layout, schema: &mut Schema) {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    for (g, info) in layout.registry.groups.iter().enumerate() {
        let args = [
            ("state", layout.state(info.home)),
            ("sector", info.sector.as_str()),
        ];
        let ts = &mut schema.timeseries;
        ts.add(&CAPACITY, &args, move |w| group(w, g).capacity);
        ts.add(&OUTPUT, &args, move |w| group(w, g).output);
        ts.add(&LOST_OUTPUT, &args, move |w| group(w, g).lost);
        ts.add(&INVENTORY, &args, move |w| {
            ratio(group(w, g).inventory, group(w, g).demand)
        });
        ts.add(&MATERIAL_COST, &args, move |w| group(w, g).material_cost);
        ts.add(&LICENCES_PENDING, &args, move |w| group(w, g).pending);
        ts.add(&LICENCES_GRANTED, &args, move |w| group(w, g).granted);
        ts.add(&LICENCES_DENIED, &args, move |w| {
            group(w, g).denied + group(w, g).blacklisted
        });
        ts.add(&READINESS_GAP, &args, move |w| {
            ratio(group(w, g).military_lost, group(w, g).military_capacity)
        });
    }
    schema.summary.add(&PEAK_READINESS_GAP, &[], |w| {
        w.resource::<RunTotals>().peak_readiness_gap
    });
    for (g, info) in layout.registry.groups.iter().enumerate() {
        let args = [
            ("state", layout.state(info.home)),
            ("sector", info.sector.as_str()),
        ];
        schema.summary.add(&TOTAL_LOST_OUTPUT, &args, move |w| {
            w.resource::<RunTotals>().lost_output[g]
        });
    }
}

/// Last week's utilization of every firm (filled once the firms are
/// spawned: allocated before them it would add to the peak memory of the
/// spawn); production, then its publication.
fn plugin(b: &mut Builder) {
    b.insert_resource(Utilization::default());
    b.after_firms(|world, scenario| {
        world.resource_mut::<Utilization>().0 = vec![1.0; scenario.firm_count()];
    });
    b.add_systems((produce, publish).chain());
}

/// Share of full output the tier-1 suppliers allow, from last week's
/// utilization: the minimum over parts of the mean over each part's suppliers.
pub fn chain_limit(tier1: &Tier1, links: &Links, utilization: &[f32]) -> f64 {
    let range = tier1.start as usize..(tier1.start + tier1.len) as usize;
    let (suppliers, parts) = (&links.supplier[range.clone()], &links.part[range]);
    let mut limit = 1.0f64;
    let mut i = 0;
    while i < suppliers.len() {
        let part = parts[i];
        let (mut sum, mut n) = (0.0f64, 0u32);
        while i < suppliers.len() && parts[i] == part {
            sum += utilization[suppliers[i] as usize] as f64;
            n += 1;
            i += 1;
        }
        limit = limit.min(sum / n as f64);
    }
    limit
}

/// One firm's production for the week: updates inventory and production.
pub fn produce_step(
    params: &FirmParams,
    chain: f64,
    flow: &Flow,
    stock: &mut Stock,
    out: &mut Production,
) {
    let available = stock.inventory + flow.received() - flow.diverted_out;
    let capacity = params.capacity as f64;
    let intensity = params.intensity as f64;
    let by_material = if intensity > 0.0 {
        available / intensity
    } else {
        f64::INFINITY
    };
    let output = capacity.min(by_material).min(capacity * chain).max(0.0);
    let used = (output * intensity).min(available);
    stock.inventory = (available - used).max(0.0);
    *out = Production {
        output,
        lost: capacity - output,
        used,
        utilization: if capacity > 0.0 {
            (output / capacity) as f32
        } else {
            1.0
        },
    };
}

type ProduceQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmKind,
        &'static FirmParams,
        &'static Tier1,
        &'static Licence,
        &'static Flow,
        &'static mut Stock,
        &'static mut Production,
        &'static Adapt,
    ),
>;

/// Produces, and tallies the week's firm figures into `WeekStats` in the
/// same pass (`metrics::Tally`).
pub fn produce(
    clock: Res<Clock>,
    registry: Res<Registry>,
    links: Res<Links>,
    utilization: Res<Utilization>,
    markets: Res<Markets>,
    par: Res<Parallel>,
    mut stats: ResMut<WeekStats>,
    mut firms: ProduceQuery,
) {
    let (week, ns, markets) = (clock.week, registry.states.len(), &markets.0);
    let (registry, links, util) = (&*registry, &*links, &utilization.0);
    let stats = &mut *stats;
    for (kinds, params, tier1, lics, flows, mut stocks, mut outs, adapts) in
        firms.contiguous_iter_mut().expect(DENSE)
    {
        let (stocks, outs) = (
            stocks.bypass_change_detection(),
            outs.bypass_change_detection(),
        );
        par::fold2(
            par.0,
            stocks,
            outs,
            |range, stocks, outs| {
                let mut tally = Tally::new(registry);
                for ((i, stock), out) in range.zip(stocks).zip(outs) {
                    let chain = if tier1[i].len == 0 {
                        1.0
                    } else {
                        chain_limit(&tier1[i], links, util)
                    };
                    produce_step(&params[i], chain, &flows[i], stock, out);
                    let kind = &kinds[i];
                    let market = &markets[kind.material as usize];
                    tally.add(
                        week, ns, kind, &params[i], stock, &lics[i], &flows[i], out, market,
                        &adapts[i],
                    );
                }
                tally
            },
            |tally| tally.add_to(stats),
        );
    }
}

/// Publishes this week's utilization for next week's chain limits.
pub fn publish(
    par: Res<Parallel>,
    mut utilization: ResMut<Utilization>,
    firms: Query<(&FirmId, &Production)>,
) {
    let util = &mut utilization.0;
    for (ids, prods) in firms.contiguous_iter().expect(DENSE) {
        // Tables hold firms in spawn order, which is FirmId order: then the
        // table is a slice of `util` and can be copied in parallel.
        let first = ids.first().map_or(0, |id| id.0 as usize);
        if ids
            .iter()
            .enumerate()
            .all(|(k, id)| id.0 as usize == first + k)
        {
            let part = &mut util[first..first + ids.len()];
            par::for_each(par.0, part, |i, u| *u = prods[i].utilization);
        } else {
            for (id, p) in ids.iter().zip(prods) {
                util[id.0 as usize] = p.utilization;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_part_limits_and_suppliers_of_one_part_substitute() {
        // OEM with part 0 from firms 1,2 and part 1 from firm 3
        let links = Links {
            supplier: vec![1, 2, 3],
            part: vec![0, 0, 1],
        };
        let t = Tier1 { start: 0, len: 3 };
        let util = [1.0, 0.0, 1.0, 0.8];
        assert!((chain_limit(&t, &links, &util) - 0.5).abs() < 1e-12);
        let util = [1.0, 1.0, 1.0, 0.3];
        assert!((chain_limit(&t, &links, &util) - 0.3).abs() < 1e-6);
    }

    #[test]
    fn output_is_limited_by_material_and_conserves_it() {
        let p = FirmParams {
            capacity: 10.0,
            intensity: 2.0,
            supplier_share: 1.0,
            target_weeks: 1.0,
            jobs: 0.0,
            political_weight: 1.0,
            diversion: 0.0,
        };
        let flow = Flow {
            from_supplier: 6.0,
            from_pool: 2.0,
            diverted_out: 1.0,
            ..Flow::default()
        };
        let mut stock = Stock { inventory: 3.0 };
        let mut out = Production::default();
        produce_step(&p, 1.0, &flow, &mut stock, &mut out);
        assert!((out.output - 5.0).abs() < 1e-12);
        assert!((out.used - 10.0).abs() < 1e-12);
        assert!(stock.inventory.abs() < 1e-12);
        assert!((out.lost - 5.0).abs() < 1e-12);
    }
}
