//! Phase 3: supply. Licensed flows from the supplier; non-supplier capacity
//! (third-country supply, substitution programs) and stockpile releases
//! shared by the priority rule.

use crate::metrics::WeekStats;
use crate::model::*;
use crate::model::{EndUse, PriorityRule, ReleaseRule};
use bevy_ecs::prelude::*;

use super::{DENSE, Parallel};
use crate::par;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{Layout, Measure, Schema, Unit};

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Supply");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static OTHER_SUPPLY: Measure = Measure {
    pattern: "{state}_{material}_other_supply",
    unit: Unit::KgPerWeek,
    about: "Capacity of the state's non-supplier pool of the material this week: third-country supply (less any cut the supplier's reach makes) plus its substitution programmes' capacity.",
    old: "{state}_other_supply_kg_{material}",
};

/// Each state's non-supplier capacity per material.
fn columns(layout: &Layout, schema: &mut Schema) {
    for (s, m, args) in layout.states_and_materials() {
        schema.timeseries.add(&OTHER_SUPPLY, &args, move |w| {
            w.resource::<WeekStats>().pool_capacity[s][m]
        });
    }
}

/// The non-supplier pools and the stockpiles; orders, pools, deliveries.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    let (ns, nm) = (b.registry().states.len(), b.registry().materials.len());
    b.insert_resource(Pools(vec![vec![PoolState::default(); nm]; ns]));
    for stockpile in scenario.states.iter().flat_map(|s| &s.stockpiles) {
        b.spawn(stockpile.clone());
    }
    b.add_systems((orders, pools, deliver).chain());
}

/// A firm's order this week, kg: full-capacity use plus closing the gap to
/// its target inventory over `restock_weeks`.
pub fn order(params: &FirmParams, inventory: f64, restock_weeks: f64) -> f64 {
    let d = params.demand();
    (d + (params.target_weeks as f64 * d - inventory) / restock_weeks).max(0.0)
}

/// One firm's orders: what the supplier ships and what it asks of other sources.
pub fn order_step(
    terms: &LicenceTerms,
    kind: &FirmKind,
    params: &FirmParams,
    stock: &Stock,
    lic: &Licence,
    restock_weeks: f64,
) -> Flow {
    let total = order(params, stock.inventory, restock_weeks);
    let want = params.supplier_share as f64 * total;
    let from_supplier = if !terms.needs_licence(kind.end_use) {
        want
    } else if let Licence::Granted { kg_per_week, .. } = *lic {
        want.min(kg_per_week as f64)
    } else {
        0.0
    };
    Flow {
        from_supplier,
        pool_request: total - from_supplier,
        ..Flow::default()
    }
}

type OrderQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmKind,
        &'static FirmParams,
        &'static Stock,
        &'static Licence,
        &'static mut Flow,
    ),
>;

pub fn orders(
    settings: Res<Settings>,
    view: Res<LicensingView>,
    par: Res<Parallel>,
    mut firms: OrderQuery,
) {
    let restock = settings.supply.restock_weeks;
    let view = &view.0;
    for (kinds, params, stocks, lics, mut flows) in firms.contiguous_iter_mut().expect(DENSE) {
        par::for_each(par.0, flows.bypass_change_detection(), |i, flow| {
            let kind = &kinds[i];
            let terms = &view[kind.material as usize][kind.home as usize];
            *flow = order_step(terms, kind, &params[i], &stocks[i], &lics[i], restock);
        });
    }
}

/// Class of a firm in the priority rule: 1 military, 0 the rest.
#[inline]
pub fn class(end_use: EndUse) -> usize {
    (end_use == EndUse::Military) as usize
}

/// Shares `capacity` among requests `[other, military]`; returns fill ratios.
pub fn allocate(capacity: f64, requests: [f64; 2], rule: PriorityRule) -> [f64; 2] {
    let ratio = |cap: f64, req: f64| {
        if req > 0.0 {
            (cap / req).clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    match rule {
        PriorityRule::ProRata => {
            let f = ratio(capacity, requests[0] + requests[1]);
            [f, f]
        }
        PriorityRule::MilitaryFirst => {
            let mil = ratio(capacity, requests[1]);
            let left = (capacity - mil * requests[1]).max(0.0);
            [ratio(left, requests[0]), mil]
        }
    }
}

/// Adds the firms' requests to non-supplier sources into
/// `requests[home * nm + material][class]`, in fixed chunks (`crate::par`).
pub fn add_requests(
    parallel: bool,
    nm: usize,
    kinds: &[FirmKind],
    flows: &[Flow],
    requests: &mut [[f64; 2]],
) {
    let n = requests.len();
    par::reduce(
        parallel,
        kinds.len(),
        |range| {
            let mut part = vec![[0.0f64; 2]; n];
            for (kind, flow) in kinds[range.clone()].iter().zip(&flows[range]) {
                part[kind.home as usize * nm + kind.material as usize][class(kind.end_use)] +=
                    flow.pool_request;
            }
            part
        },
        |part| {
            for (total, p) in requests.iter_mut().zip(part) {
                total[0] += p[0];
                total[1] += p[1];
            }
        },
    );
}

/// Sets a pool's fill ratios for requests `req` ([other, military]) from
/// its capacity, then lets the stockpiles cover what is left, in order,
/// drawing them down.
pub fn fill_pool<'a>(
    pool: &mut PoolState,
    req: [f64; 2],
    rule: PriorityRule,
    stockpiles: impl Iterator<Item = &'a mut Stockpile>,
) {
    pool.fill = allocate(pool.capacity, req, rule);
    let short0 = [req[0] * (1.0 - pool.fill[0]), req[1] * (1.0 - pool.fill[1])];
    let mut short = short0;
    for sp in stockpiles {
        let release = sp.max_release.min(sp.quantity);
        let fill = match sp.rule {
            ReleaseRule::MilitaryOnly => [
                0.0,
                if short[1] > 0.0 {
                    (release / short[1]).min(1.0)
                } else {
                    0.0
                },
            ],
            ReleaseRule::MilitaryFirst => allocate(release, short, PriorityRule::MilitaryFirst),
        };
        let released = fill[0] * short[0] + fill[1] * short[1];
        sp.quantity = (sp.quantity - released).max(0.0);
        short = [short[0] * (1.0 - fill[0]), short[1] * (1.0 - fill[1])];
    }
    pool.stock_fill = [0, 1].map(|c| {
        if short0[c] > 0.0 {
            1.0 - short[c] / short0[c]
        } else {
            0.0
        }
    });
}

/// Sums requests, sets each pool's fill ratios and draws down stockpiles.
pub fn pools(
    registry: Res<Registry>,
    settings: Res<Settings>,
    mut pools: ResMut<Pools>,
    mut stats: ResMut<WeekStats>,
    controls: Query<&ExportControl>,
    programs: Query<&SubstitutionProgram>,
    mut stockpiles: Query<&mut Stockpile>,
    par: Res<Parallel>,
    firms: Query<(&FirmKind, &Flow)>,
) {
    let (ns, nm) = (registry.states.len(), registry.materials.len());
    let mut requests = vec![[0.0f64; 2]; ns * nm];
    for (kinds, flows) in firms.contiguous_iter().expect(DENSE) {
        add_requests(par.0, nm, kinds, flows, &mut requests);
    }
    for (st, row) in pools.0.iter_mut().enumerate() {
        for (m, pool) in row.iter_mut().enumerate() {
            let supplier = registry.materials[m].supplier as usize;
            let cut = controls
                .iter()
                .filter(|c| {
                    c.material as usize == m && c.active && c.reach_for(st) && st != supplier
                })
                .map(|c| c.extraterritorial_share)
                .fold(0.0, f64::max);
            let substitution: f64 = programs
                .iter()
                .filter(|p| p.owner as usize == st && p.material as usize == m)
                .map(|p| p.capacity_now)
                .sum();
            pool.capacity = registry.other_supply[st][m] * (1.0 - cut) + substitution;
            // What the state's civilian firms get with no deal beyond their
            // supply before the controls: substitution, and the stockpiles
            // they may draw on (not military-only ones) spread over a deal's
            // term, at most their release rate; less the allied supply the
            // supplier's reach cuts.
            let term = settings.negotiation.term_weeks.max(1.0);
            let released: f64 = stockpiles
                .iter()
                .filter(|s| s.owner as usize == st && s.material as usize == m)
                .filter(|s| s.rule != ReleaseRule::MilitaryOnly)
                .map(|s| (s.quantity / term).min(s.max_release))
                .sum();
            stats.outside_supply[st][m] =
                substitution + released - registry.other_supply[st][m] * cut;
            let req = requests[st * nm + m];
            let own = stockpiles
                .iter_mut()
                .filter(|s| s.owner as usize == st && s.material as usize == m)
                .map(Mut::into_inner);
            fill_pool(pool, req, settings.supply.priority, own);
            stats.pool_capacity[st][m] = pool.capacity;
        }
    }
}

type DeliverQuery<'w, 's> = Query<'w, 's, (&'static FirmKind, &'static mut Flow)>;

/// One firm's share of its pool and of the stockpiles behind it.
pub fn deliver_step(kind: &FirmKind, pools: &[Vec<PoolState>], flow: &mut Flow) {
    let pool = &pools[kind.home as usize][kind.material as usize];
    let c = class(kind.end_use);
    flow.from_pool = flow.pool_request * pool.fill[c];
    flow.from_stockpile = (flow.pool_request - flow.from_pool) * pool.stock_fill[c];
}

/// Delivers each firm's share of the pools and stockpiles.
pub fn deliver(pools: Res<Pools>, par: Res<Parallel>, mut firms: DeliverQuery) {
    let pools = &pools.0;
    for (kinds, mut flows) in firms.contiguous_iter_mut().expect(DENSE) {
        par::for_each(par.0, flows.bypass_change_detection(), |i, flow| {
            deliver_step(&kinds[i], pools, flow);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn military_first_serves_military_in_full_before_the_rest() {
        assert_eq!(
            allocate(10.0, [20.0, 5.0], PriorityRule::MilitaryFirst),
            [0.25, 1.0]
        );
        assert_eq!(
            allocate(4.0, [20.0, 5.0], PriorityRule::MilitaryFirst),
            [0.0, 0.8]
        );
        assert_eq!(
            allocate(10.0, [15.0, 5.0], PriorityRule::ProRata),
            [0.5, 0.5]
        );
        assert_eq!(
            allocate(100.0, [0.0, 0.0], PriorityRule::ProRata),
            [1.0, 1.0]
        );
    }

    #[test]
    fn orders_restock_towards_target_and_never_go_negative() {
        let p = FirmParams {
            capacity: 10.0,
            intensity: 2.0,
            supplier_share: 0.9,
            target_weeks: 4.0,
            jobs: 0.0,
            political_weight: 1.0,
            diversion: 0.0,
        };
        assert_eq!(order(&p, 80.0, 4.0), 20.0);
        assert_eq!(order(&p, 0.0, 4.0), 40.0);
        assert_eq!(order(&p, 1000.0, 4.0), 0.0);
    }
}
