//! Phase 4: diversion and tracking. Dual-use licence holders may divert
//! part of their supplier receipts to their state's military buyers; the
//! supplier's tracking system may detect each diverting firm, which revokes
//! its licence, blacklists it and lowers the supplier's trust in its state.

use crate::metrics::{RunTotals, WeekStats};
use crate::model::EndUse;
use crate::model::*;
use crate::rng::{self, Stream};
use bevy_ecs::prelude::*;

use super::{DENSE, Parallel};
use crate::par;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{Layout, Measure, Schema, Unit};

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Diversion");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static DETECTIONS: Measure = Measure {
    pattern: "detections",
    unit: Unit::Count,
    about: "Detections of diverting firms by the tracking systems this week.",
    old: "detections",
};
pub static TOTAL_DETECTIONS: Measure = Measure {
    pattern: "detections",
    unit: Unit::Count,
    about: "Detections of diverting firms over the run (a firm detected in several weeks counts each time).",
    old: "detections",
};
pub static DIVERTING_FIRMS: Measure = Measure {
    pattern: "diverting_firms",
    unit: Unit::Count,
    about: "Firms that diverted material to military users this week.",
    old: "diverting_firms",
};

/// Detections and diverting firms.
fn columns(_: &Layout, schema: &mut Schema) {
    schema
        .timeseries
        .add(&DETECTIONS, &[], |w| w.resource::<WeekStats>().detections);
    schema.timeseries.add(&DIVERTING_FIRMS, &[], |w| {
        w.resource::<WeekStats>().diverting_firms
    });
    schema.summary.add(&TOTAL_DETECTIONS, &[], |w| {
        w.resource::<RunTotals>().detections
    });
}

/// The tracking systems; diversion, then its receipt by military firms.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    for tracking in scenario.states.iter().filter_map(|s| s.tracking.as_ref()) {
        b.spawn(tracking.clone());
    }
    b.add_systems((divert, receive).chain());
}

/// What a dual-use firm weighs when a military buyer approaches it, this
/// week: the price it could sell at and what getting caught would cost.
#[derive(Debug, Clone, Copy)]
pub struct Weigh {
    pub week: u32,
    pub seed: u64,
    /// Share of its supplier receipts a diverter sends on.
    pub share: f64,
    /// Mean premium of a military buyer's offer over the outside price.
    pub premium: f64,
    /// USD of margin per USD of material (at the reference price) the firm
    /// earns on its output: what a week of blacklisting costs it.
    pub margin: f64,
    /// The material's reference price and this week's prices.
    pub reference: f64,
    pub market: Market,
}

/// The expected penalty of diverting (Becker 1968): the detection
/// probability x what detection costs, the licence's rent for the weeks it
/// has left (licensed kg bought at the inside price instead of the outside
/// one) plus the weeks of blacklisting x the margin the firm loses on the
/// output its supplier's material makes.
pub fn expected_penalty(
    terms: &LicenceTerms,
    params: &FirmParams,
    lic: &Licence,
    w: &Weigh,
) -> f64 {
    let Licence::Granted {
        until, kg_per_week, ..
    } = *lic
    else {
        return 0.0;
    };
    let rent = (w.market.outside - w.market.inside).max(0.0);
    let licence = kg_per_week as f64 * until.saturating_sub(w.week) as f64 * rent;
    let weekly_margin = w.margin * w.reference * params.supplier_share as f64 * params.demand();
    terms.detection * (licence + terms.blacklist as f64 * weekly_margin)
}

/// One firm's diversion decision and detection. `flow` is this week's, as
/// `supply::order_step` wrote it (nothing diverted yet). A military buyer
/// approaches a licensed dual-use firm with its weekly probability
/// (`FirmParams::diversion`) and offers a premium over the outside price,
/// exponential with mean `premium`; the firm diverts when the gain, the
/// diverted kg x the outside price x the premium, exceeds the expected
/// penalty. Given an approach it diverts with probability
/// exp(-penalty / (kg x outside price x mean premium)): 1 when nothing
/// deters it, falling continuously as detection or the blacklist grows.
pub fn divert_step(
    w: &Weigh,
    grey_market: bool,
    terms: &LicenceTerms,
    id: FirmId,
    kind: &FirmKind,
    params: &FirmParams,
    lic: &mut Licence,
    flow: &mut Flow,
) {
    if kind.end_use != EndUse::DualUse
        || !grey_market
        || flow.from_supplier <= 0.0
        || params.diversion <= 0.0
    {
        return;
    }
    if !matches!(lic, Licence::Granted { .. }) {
        return;
    }
    let (week, seed) = (w.week, w.seed);
    if rng::uniform(seed, Stream::Divert, id.0 as u64, week as u64) >= params.diversion as f64 {
        return;
    }
    let kg = w.share * flow.from_supplier;
    let u = rng::uniform(seed, Stream::Offer, id.0 as u64, week as u64);
    let premium = -w.premium * (1.0 - u).ln();
    if kg * w.market.outside * premium <= expected_penalty(terms, params, lic, w) {
        return;
    }
    flow.diverted = true;
    flow.diverted_out = kg;
    if terms.detection > 0.0
        && rng::uniform(seed, Stream::Detect, id.0 as u64, week as u64) < terms.detection
    {
        flow.detected = true;
        *lic = Licence::Blacklisted {
            until: week.saturating_add(terms.blacklist.max(1)),
        };
    }
}

type DivertQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmId,
        &'static FirmKind,
        &'static FirmParams,
        &'static mut Licence,
        &'static mut Flow,
    ),
>;

/// This week's diversion, summed over firms.
struct Diverted {
    /// kg diverted, [home * materials + material].
    kg: Vec<f64>,
    /// (supplier, home) of each detected diverter.
    detected: Vec<(usize, usize)>,
    firms: u32,
}

impl Diverted {
    fn new(pools: usize) -> Self {
        Diverted {
            kg: vec![0.0; pools],
            detected: Vec::new(),
            firms: 0,
        }
    }
}

/// Each dual-use firm's diversion step, in one pass that also sums what
/// was diverted; then `settle`.
#[allow(clippy::too_many_arguments)]
pub fn divert(
    clock: Res<Clock>,
    seed: Res<Seed>,
    settings: Res<Settings>,
    registry: Res<Registry>,
    view: Res<LicensingView>,
    par: Res<Parallel>,
    markets: Res<Markets>,
    mut pools: ResMut<Pools>,
    mut stats: ResMut<WeekStats>,
    mut totals: ResMut<RunTotals>,
    tracking: Query<&TrackingSystem>,
    mut states: Query<(&StateAgent, &mut Trust)>,
    mut firms: DivertQuery,
) {
    let sp = &settings.supply;
    let weigh: Vec<Weigh> = registry
        .materials
        .iter()
        .zip(&markets.0)
        .map(|(info, market)| Weigh {
            week: clock.week,
            seed: seed.0,
            share: sp.diversion_share,
            premium: sp.military_premium,
            margin: sp.margin_per_material,
            reference: info.price,
            market: *market,
        })
        .collect();
    let (view, military, weigh) = (&view.0, &registry.has_military, &weigh);
    let (ns, nm) = (registry.states.len(), registry.materials.len());
    let mut sum = Diverted::new(ns * nm);
    for (ids, kinds, params, mut lics, mut flows) in firms.contiguous_iter_mut().expect(DENSE) {
        let (lics, flows) = (
            lics.bypass_change_detection(),
            flows.bypass_change_detection(),
        );
        par::fold2(
            par.0,
            lics,
            flows,
            |range, lics, flows| {
                let mut part = Diverted::new(ns * nm);
                for ((i, lic), flow) in range.zip(lics).zip(flows) {
                    let kind = &kinds[i];
                    if kind.end_use != EndUse::DualUse {
                        continue;
                    }
                    let (h, m) = (kind.home as usize, kind.material as usize);
                    let terms = &view[m][h];
                    divert_step(
                        &weigh[m],
                        military[h][m],
                        terms,
                        ids[i],
                        kind,
                        &params[i],
                        lic,
                        flow,
                    );
                    if flow.diverted {
                        part.kg[h * nm + m] += flow.diverted_out;
                        part.firms += 1;
                        if flow.detected {
                            part.detected.push((kind.supplier as usize, h));
                        }
                    }
                }
                part
            },
            |part| {
                for (total, kg) in sum.kg.iter_mut().zip(part.kg) {
                    *total += kg;
                }
                sum.detected.extend(part.detected);
                sum.firms += part.firms;
            },
        );
    }
    settle(
        &registry,
        &sum,
        &mut pools,
        &mut stats,
        &mut totals,
        &tracking,
        &mut states,
    );
}

/// Sets the grey supply per unit of military demand of each pool, counts
/// detections and lowers the supplier's trust in the diverters' states.
fn settle(
    registry: &Registry,
    sum: &Diverted,
    pools: &mut Pools,
    stats: &mut WeekStats,
    totals: &mut RunTotals,
    tracking: &Query<&TrackingSystem>,
    states: &mut Query<(&StateAgent, &mut Trust)>,
) {
    let (ns, nm) = (registry.states.len(), registry.materials.len());
    for (h, row) in pools.0.iter_mut().enumerate() {
        for (m, pool) in row.iter_mut().enumerate() {
            let demand = registry.military_demand[h][m];
            pool.grey_per_demand = if demand > 0.0 {
                sum.kg[h * nm + m] / demand
            } else {
                0.0
            };
        }
    }
    let mut detections = vec![vec![0u32; ns]; ns]; // [supplier][home]
    for &(s, h) in &sum.detected {
        detections[s][h] += 1;
    }
    for (agent, mut trust) in states.iter_mut() {
        let s = agent.ix as usize;
        let Some(t) = tracking.iter().find(|t| t.owner as usize == s) else {
            continue;
        };
        for (h, &count) in detections[s].iter().enumerate() {
            if count > 0 {
                trust.0[h] = (trust.0[h] - t.trust_penalty * count as f64).clamp(0.0, 1.0);
            }
        }
    }
    stats.detected = detections;
    let found = sum.detected.len() as u32;
    stats.diverting_firms += sum.firms;
    stats.detections += found;
    totals.detections += found as u64;
}

type ReceiveQuery<'w, 's> =
    Query<'w, 's, (&'static FirmKind, &'static FirmParams, &'static mut Flow)>;

/// Military firms receive the diverted material, pro rata to their demand.
pub fn receive(pools: Res<Pools>, par: Res<Parallel>, mut firms: ReceiveQuery) {
    let pools = &pools.0;
    if pools.iter().flatten().all(|p| p.grey_per_demand == 0.0) {
        return; // nothing diverted: every diverted_in is still 0 from orders
    }
    for (kinds, params, mut flows) in firms.contiguous_iter_mut().expect(DENSE) {
        par::for_each(par.0, flows.bypass_change_detection(), |i, flow| {
            let kind = &kinds[i];
            if kind.end_use == EndUse::Military {
                let grey = pools[kind.home as usize][kind.material as usize].grey_per_demand;
                flow.diverted_in = grey * params[i].demand();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weigh(premium: f64) -> Weigh {
        Weigh {
            week: 3,
            seed: 1,
            share: 0.3,
            premium,
            margin: 2.0,
            reference: 60.0,
            market: Market {
                inside: 60.0,
                outside: 360.0,
            },
        }
    }

    /// A dual-use licence holder that is always approached and offered an
    /// overwhelming premium, run for one week.
    fn diverter(grey_market: bool, terms: &LicenceTerms) -> (Licence, Flow) {
        let kind = FirmKind {
            home: 0,
            material: 0,
            supplier: 1,
            end_use: EndUse::DualUse,
            group: 0,
        };
        let params = FirmParams {
            capacity: 1.0,
            intensity: 1.0,
            supplier_share: 1.0,
            target_weeks: 1.0,
            jobs: 0.0,
            political_weight: 1.0,
            diversion: 1.0,
        };
        let mut lic = Licence::Granted {
            since: 0,
            until: 26,
            kg_per_week: 2.0,
        };
        let mut flow = Flow {
            from_supplier: 10.0,
            ..Flow::default()
        };
        divert_step(
            &weigh(1e12),
            grey_market,
            terms,
            FirmId(1),
            &kind,
            &params,
            &mut lic,
            &mut flow,
        );
        (lic, flow)
    }

    #[test]
    fn certain_detection_blacklists_every_diverter() {
        let terms = LicenceTerms {
            detection: 1.0,
            blacklist: 12,
            controlled: true,
            required: [true; 3],
            ..LicenceTerms::uncontrolled()
        };
        let (lic, flow) = diverter(true, &terms);
        assert!(flow.diverted && flow.detected);
        assert!((flow.diverted_out - 3.0).abs() < 1e-12);
        assert_eq!(lic, Licence::Blacklisted { until: 15 });
    }

    #[test]
    fn no_military_buyer_no_diversion() {
        let (lic, flow) = diverter(false, &LicenceTerms::uncontrolled());
        assert!(!flow.diverted);
        assert_eq!(flow.diverted_out, 0.0);
        assert!(matches!(lic, Licence::Granted { .. }));
    }
}
