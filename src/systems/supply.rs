//! Phase 3: supply. Licensed flows from the supplier; non-supplier capacity
//! (third-country supply, substitution programs) and stockpile releases
//! shared by the priority rule.

use crate::metrics::WeekStats;
use crate::model::*;
use crate::model::{EndUse, PriorityRule, ReleaseRule, SupplyParams};
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

pub static STOCKPILE: Measure = Measure {
    pattern: "{state}_{material}_stockpile",
    unit: Unit::Kg,
    about: "What the state's stockpiles of the material hold after this week's releases.",
    old: "",
};
pub static STOCKPILE_OPEN: Measure = Measure {
    pattern: "{state}_{material}_stockpile_open",
    unit: Unit::Flag,
    about: "1 when a stockpile of the state's on the material is open to every firm this week (always for MilitaryFirst, by decision for ByValue, never for MilitaryOnly; military firms draw first in every case).",
    old: "",
};
pub static INSIDE_PRICE: Measure = Measure {
    pattern: "{supplier}_{material}_inside_price",
    unit: Unit::UsdPerKg,
    about: "The material's price in its supplier state's market this week: the reference price x (delivered to the state's own firms / their demand)^(1 / elasticity), a firm's demand its use at full capacity or, when it restocks, what it was delivered, between the reference over the cap and the reference x the cap.",
    old: "",
};
pub static OUTSIDE_PRICE: Measure = Measure {
    pattern: "{supplier}_{material}_outside_price",
    unit: Unit::UsdPerKg,
    about: "The material's price outside its supplier state this week, cleared the same way from every other state's firms' demand and what they were delivered (supplier, third-country, substitution and stockpile supply). A virtual price: it prices the shortage, it does not ration (allocation is by licence and the priority rule).",
    old: "",
};

/// Each state's non-supplier capacity and stockpiles per material; each
/// material's prices.
fn columns(layout: &Layout, schema: &mut Schema) {
    for (s, m, args) in layout.states_and_materials() {
        schema.timeseries.add(&OTHER_SUPPLY, &args, move |w| {
            w.resource::<WeekStats>().pool_capacity[s][m]
        });
        schema.timeseries.add(&STOCKPILE, &args, move |w| {
            w.resource::<WeekStats>().stockpiles[s][m][0]
        });
        schema.timeseries.add(&STOCKPILE_OPEN, &args, move |w| {
            w.resource::<WeekStats>().stockpiles[s][m][1]
        });
    }
    for (m, info) in layout.registry.materials.iter().enumerate() {
        let args = [
            ("supplier", layout.state(info.supplier)),
            ("material", info.id.as_str()),
        ];
        schema.timeseries.add(&INSIDE_PRICE, &args, move |w| {
            w.resource::<Markets>().0[m].inside
        });
        schema.timeseries.add(&OUTSIDE_PRICE, &args, move |w| {
            w.resource::<Markets>().0[m].outside
        });
    }
}

/// The non-supplier pools and the stockpiles; orders, pools, deliveries.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    let (ns, nm) = (b.registry().states.len(), b.registry().materials.len());
    b.insert_resource(Pools(vec![vec![PoolState::default(); nm]; ns]));
    let markets = b.registry().materials.iter().map(|m| Market {
        inside: m.price,
        outside: m.price,
    });
    b.insert_resource(Markets(markets.collect()));
    for stockpile in scenario.states.iter().flat_map(|s| &s.stockpiles) {
        b.spawn(stockpile.clone());
    }
    b.add_systems((orders, pools, deliver).chain());
}

/// The weeks of use a firm holds against the lead time a licence adds
/// (inventory theory's order-up-to level with lead-time risk): with review
/// lag `lag`, denial probability p (capped at `max_denial`) and `reapply`
/// weeks before a denied firm may apply again, the number of denials is
/// geometric, so the lead time has mean lag + p/(1-p) (reapply + lag) and
/// standard deviation (reapply + lag) sqrt(p)/(1-p). The cover is the mean
/// plus `safety_factor` standard deviations, at most `max_cover_weeks`.
pub fn lead_time_cover(lag: f64, denial: f64, reapply: f64, s: &SupplyParams) -> f64 {
    let p = denial.clamp(0.0, s.max_denial);
    let cycle = reapply + lag;
    let mean = lag + p / (1.0 - p) * cycle;
    let sd = cycle * p.sqrt() / (1.0 - p);
    (mean + s.safety_factor * sd).clamp(0.0, s.max_cover_weeks)
}

/// A firm's order this week, kg: full-capacity use plus closing, over
/// `restock_weeks`, the gap to its order-up-to level: its inventory target
/// plus `cover` weeks of the use it buys from the supplier.
pub fn order(params: &FirmParams, inventory: f64, restock_weeks: f64, cover: f64) -> f64 {
    let d = params.demand();
    let target = params.target_weeks as f64 + params.supplier_share as f64 * cover;
    (d + (target * d - inventory) / restock_weeks).max(0.0)
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
    let cover = terms.cover[kind.end_use.index()];
    let total = order(params, stock.inventory, restock_weeks, cover);
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
/// drawing them down: military firms first, the rest only from a stockpile
/// open to them this week (`Stockpile::open`).
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
            _ if !sp.open => [
                0.0,
                if short[1] > 0.0 {
                    (release / short[1]).min(1.0)
                } else {
                    0.0
                },
            ],
            _ => allocate(release, short, PriorityRule::MilitaryFirst),
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

/// Whether a kg of a `ByValue` stockpile is worth more to the civilian
/// firms than kept for the military (models/ODD.md 7.11). Kept, it averts
/// `per_kg_military` USD of readiness loss if the military needs it before
/// the control ends: the stock lasts T = quantity / shortfall weeks against
/// the military's shortfall at full capacity beyond the pool, and a control
/// in force for tau weeks lasts T more with probability tau / (tau + T)
/// (Gott 1993). Released, it is worth `per_kg_civilian`.
pub fn open_by_value(
    quantity: f64,
    military_shortfall: f64,
    tau: f64,
    per_kg_military: f64,
    per_kg_civilian: f64,
) -> bool {
    let needed = if military_shortfall > 0.0 {
        let lasts = quantity / military_shortfall;
        let tau = tau.max(1.0);
        tau / (tau + lasts)
    } else {
        0.0
    };
    per_kg_civilian >= needed * per_kg_military
}

/// Sums requests, sets each pool's fill ratios and draws down stockpiles.
#[allow(clippy::too_many_arguments)]
pub fn pools(
    registry: Res<Registry>,
    settings: Res<Settings>,
    mut pools: ResMut<Pools>,
    mut stats: ResMut<WeekStats>,
    states: Query<(&StateAgent, &Prefs)>,
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
            // each stockpile's rule for this week
            let in_force = controls
                .iter()
                .any(|c| c.material as usize == m && c.active);
            let info = &registry.materials[m];
            let prefs = states
                .iter()
                .find(|(a, _)| a.ix as usize == st)
                .map(|(_, p)| &p.0);
            let (mil_demand, mil_capacity) = (
                registry.military_demand[st][m],
                registry.military_capacity[st][m],
            );
            let all_military: f64 = registry.military_capacity[st].iter().sum();
            for mut sp in stockpiles.iter_mut() {
                if sp.owner as usize != st || sp.material as usize != m {
                    continue;
                }
                sp.exposure_weeks = if in_force { sp.exposure_weeks + 1 } else { 0 };
                sp.open = match sp.rule {
                    ReleaseRule::MilitaryOnly => false,
                    ReleaseRule::MilitaryFirst => true,
                    ReleaseRule::ByValue => {
                        let readiness = prefs.map_or(0.0, |p| p.readiness_value);
                        // a kg/week short idles capacity / demand units of
                        // the state's military capacity
                        let per_kg_military = if mil_demand > 0.0 && all_military > 0.0 {
                            readiness * mil_capacity / mil_demand / all_military
                        } else {
                            0.0
                        };
                        let per_kg_civilian = prefs.map_or(0.0, |p| p.kg_value(info));
                        open_by_value(
                            sp.quantity,
                            (mil_demand - pool.capacity).max(0.0),
                            sp.exposure_weeks as f64,
                            per_kg_military,
                            per_kg_civilian,
                        )
                    }
                };
            }
            // What the state's civilian firms get with no deal beyond their
            // supply before the controls: substitution, and the stockpiles
            // they may draw on (not military-only ones) spread over a deal's
            // term, at most their release rate; less the allied supply the
            // supplier's reach cuts.
            let term = settings.negotiation.term_weeks.max(1.0);
            let released: f64 = stockpiles
                .iter()
                .filter(|s| s.owner as usize == st && s.material as usize == m)
                .filter(|s| s.open)
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
            let held = stockpiles
                .iter()
                .filter(|s| s.owner as usize == st && s.material as usize == m);
            stats.stockpiles[st][m] = held.fold([0.0, 0.0], |[q, open], s| {
                [q + s.quantity, open.max(f64::from(u8::from(s.open)))]
            });
        }
    }
}

type DeliverQuery<'w, 's> =
    Query<'w, 's, (&'static FirmKind, &'static FirmParams, &'static mut Flow)>;

/// One firm's share of its pool and of the stockpiles behind it.
pub fn deliver_step(kind: &FirmKind, pools: &[Vec<PoolState>], flow: &mut Flow) {
    let pool = &pools[kind.home as usize][kind.material as usize];
    let c = class(kind.end_use);
    flow.from_pool = flow.pool_request * pool.fill[c];
    flow.from_stockpile = (flow.pool_request - flow.from_pool) * pool.stock_fill[c];
}

/// The price at which a market clears (a constant-elasticity demand
/// D(P) = D0 (P / P0)^e met by the supply S that reached it): P0 (S /
/// D0)^(1/e), with S what its firms were delivered and D0 their demand at
/// the reference price P0: each firm's use at full capacity, or what it
/// was delivered when it restocks (a firm's restocking is demand met, not
/// a glut that lowers the price); between P0 / cap and P0 x cap. The cap is
/// the backstop: what buyers pay for the next-best source (STRATEGY: at e =
/// -0.2 a 13 % supply would otherwise clear at 27,000 x).
pub fn clear_price(reference: f64, delivered: f64, demand: f64, elasticity: f64, cap: f64) -> f64 {
    if demand <= 0.0 || reference <= 0.0 {
        return reference;
    }
    let (lo, hi) = (reference / cap, reference * cap);
    let ratio = delivered / demand;
    if ratio <= 0.0 {
        return hi;
    }
    (reference * ratio.powf(1.0 / elasticity)).clamp(lo, hi)
}

/// Delivers each firm's share of the pools and stockpiles, summing each
/// (material, home state)'s demand (`clear_price`) and what it was
/// delivered; then clears each material's two markets.
pub fn deliver(
    registry: Res<Registry>,
    pools: Res<Pools>,
    par: Res<Parallel>,
    mut stats: ResMut<WeekStats>,
    mut markets: ResMut<Markets>,
    mut firms: DeliverQuery,
) {
    let pools = &pools.0;
    let (ns, nm) = (registry.states.len(), registry.materials.len());
    let mut sums = vec![[0.0f64; 2]; nm * ns];
    for (kinds, params, mut flows) in firms.contiguous_iter_mut().expect(DENSE) {
        par::fold(
            par.0,
            flows.bypass_change_detection(),
            |range, flows| {
                let mut part = vec![[0.0f64; 2]; nm * ns];
                for (i, flow) in range.zip(flows) {
                    let kind = &kinds[i];
                    deliver_step(kind, pools, flow);
                    let cell = &mut part[kind.material as usize * ns + kind.home as usize];
                    let got = flow.from_supplier + flow.from_pool + flow.from_stockpile;
                    cell[0] += params[i].demand().max(got);
                    cell[1] += got;
                }
                part
            },
            |part| {
                for (total, p) in sums.iter_mut().zip(part) {
                    total[0] += p[0];
                    total[1] += p[1];
                }
            },
        );
    }
    for (m, info) in registry.materials.iter().enumerate() {
        let mut sides = [[0.0f64; 2]; 2];
        for home in 0..ns {
            let cell = sums[m * ns + home];
            stats.market[m][home] = cell;
            let age = &mut stats.short_weeks[m][home];
            *age = if cell[0] > cell[1] { *age + 1 } else { 0 };
            let side = &mut sides[usize::from(home != info.supplier as usize)];
            side[0] += cell[0];
            side[1] += cell[1];
        }
        let clear = |[demand, delivered]: [f64; 2]| {
            clear_price(
                info.price,
                delivered,
                demand,
                info.elasticity,
                info.price_cap,
            )
        };
        markets.0[m] = Market {
            inside: clear(sides[0]),
            outside: clear(sides[1]),
        };
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

    /// The constant-elasticity clearing: the reference price when use is
    /// met, a higher price the less is delivered (about 6x at 70 %
    /// with e = -0.2), continuous, and capped.
    #[test]
    fn prices_clear_from_the_share_delivered() {
        assert_eq!(clear_price(60.0, 100.0, 100.0, -0.2, 6.0), 60.0);
        let p70 = clear_price(60.0, 70.0, 100.0, -0.2, 100.0);
        assert!((p70 / 60.0 - 0.7f64.powf(-5.0)).abs() < 1e-9 && p70 / 60.0 > 5.9);
        assert_eq!(clear_price(60.0, 13.0, 100.0, -0.2, 6.0), 360.0);
        assert_eq!(clear_price(60.0, 0.0, 100.0, -0.2, 6.0), 360.0);
        assert_eq!(clear_price(60.0, 0.0, 0.0, -0.2, 6.0), 60.0);
        let mut last = 60.0;
        for k in 0..=1000 {
            let p = clear_price(60.0, 1000.0 - k as f64, 1000.0, -0.2, 6.0);
            assert!(
                p >= last && p - last < 5.0,
                "continuous and rising: {last} -> {p}"
            );
            last = p;
        }
        // A more elastic demand needs a larger price rise for the same gap.
        assert!(
            clear_price(60.0, 90.0, 100.0, -0.5, 6.0) < clear_price(60.0, 90.0, 100.0, -0.2, 6.0)
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
        assert_eq!(order(&p, 80.0, 4.0, 0.0), 20.0);
        assert_eq!(order(&p, 0.0, 4.0, 0.0), 40.0);
        assert_eq!(order(&p, 1000.0, 4.0, 0.0), 0.0);
        // 10 weeks of cover on the 0.9 bought from the supplier: 9 more weeks.
        assert!((order(&p, 80.0, 4.0, 10.0) - (20.0 + 9.0 * 20.0 / 4.0)).abs() < 1e-4);
    }

    /// Inventory theory: the order-up-to level rises with the denial
    /// probability (more, and more uncertain, weeks until a licence), is
    /// continuous in it, and is capped.
    #[test]
    fn the_cover_rises_with_the_denial_probability() {
        // the defaults (z = 1, denial planned at most 0.9), uncapped
        let s = SupplyParams {
            max_cover_weeks: 1000.0,
            ..SupplyParams::from(&crate::config::SupplyParams::default())
        };
        // No denial: the review lag alone.
        assert!((lead_time_cover(9.0, 0.0, 4.0, &s) - 9.0).abs() < 1e-12);
        // p = 0.5: mean 9 + 13 = 22, sd 13 sqrt(0.5) / 0.5.
        let want = 22.0 + 13.0 * 0.5f64.sqrt() / 0.5;
        assert!((lead_time_cover(9.0, 0.5, 4.0, &s) - want).abs() < 1e-9);
        let covers: Vec<f64> = (0..=100)
            .map(|k| lead_time_cover(9.0, k as f64 / 100.0, 4.0, &s))
            .collect();
        for w in covers.windows(2) {
            assert!(w[1] >= w[0]);
            assert!(w[1] - w[0] < 60.0, "continuous: {} -> {}", w[0], w[1]);
        }
        // Certain denial is planned as max_denial.
        assert_eq!(covers[100], covers[90]);
        let capped = SupplyParams {
            max_cover_weeks: 26.0,
            ..s
        };
        assert_eq!(lead_time_cover(9.0, 0.8, 4.0, &capped), 26.0);
    }
}
