//! Phase 4: diversion and tracking. Dual-use licence holders may divert
//! part of their supplier receipts to their state's military buyers; the
//! supplier's tracking system may detect each diverting firm, which revokes
//! its licence, blacklists it and lowers the supplier's trust in its state.

use crate::config::EndUse;
use crate::metrics::{RunTotals, WeekStats};
use crate::model::*;
use crate::rng::{self, Stream};
use bevy_ecs::prelude::*;

use super::{DENSE, Parallel};
use crate::par;

/// One firm's diversion decision and detection. `flow` is this week's, as
/// `supply::order_step` wrote it (nothing diverted yet).
pub fn divert_step(
    week: u32,
    seed: u64,
    share: f64,
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
    if rng::uniform(seed, Stream::Divert, id.0 as u64, week as u64) >= params.diversion as f64 {
        return;
    }
    flow.diverted = true;
    flow.diverted_out = share * flow.from_supplier;
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

pub fn divert(
    clock: Res<Clock>,
    seed: Res<Seed>,
    settings: Res<Settings>,
    registry: Res<Registry>,
    view: Res<LicensingView>,
    par: Res<Parallel>,
    mut firms: DivertQuery,
) {
    let (week, seed, share) = (clock.week, seed.0, settings.supply.diversion_share);
    let (view, military) = (&view.0, &registry.has_military);
    for (ids, kinds, params, mut lics, mut flows) in firms.contiguous_iter_mut().expect(DENSE) {
        let (lics, flows) = (
            lics.bypass_change_detection(),
            flows.bypass_change_detection(),
        );
        par::for_each2(par.0, lics, flows, |i, lic, flow| {
            let kind = &kinds[i];
            if kind.end_use != EndUse::DualUse {
                return;
            }
            let terms = &view[kind.material as usize][kind.home as usize];
            let grey = military[kind.home as usize][kind.material as usize];
            divert_step(
                week, seed, share, grey, terms, ids[i], kind, &params[i], lic, flow,
            );
        });
    }
}

/// Sums diverted material per state, counts detections and lowers the
/// supplier's trust in the diverters' states.
pub fn settle(
    registry: Res<Registry>,
    mut pools: ResMut<Pools>,
    mut stats: ResMut<WeekStats>,
    mut totals: ResMut<RunTotals>,
    tracking: Query<&TrackingSystem>,
    mut states: Query<(&StateAgent, &mut Trust)>,
    par: Res<Parallel>,
    firms: Query<(&FirmKind, &Flow)>,
) {
    let (ns, nm) = (registry.states.len(), registry.materials.len());
    let mut diverted = vec![0.0; ns * nm]; // [home * nm + material]
    let mut detections = vec![vec![0u32; ns]; ns]; // [supplier][home]
    for (kinds, flows) in firms.contiguous_iter().expect(DENSE) {
        par::reduce(
            par.0,
            kinds.len(),
            |range| {
                let mut part = (vec![0.0; ns * nm], Vec::new(), 0u32);
                for i in range {
                    // Only dual-use firms divert: skip the others' flows.
                    let (kind, flow) = (&kinds[i], &flows[i]);
                    if kind.end_use != EndUse::DualUse || !flow.diverted {
                        continue;
                    }
                    let (h, m) = (kind.home as usize, kind.material as usize);
                    part.0[h * nm + m] += flow.diverted_out;
                    part.2 += 1;
                    if flow.detected {
                        part.1.push((kind.supplier as usize, h));
                    }
                }
                part
            },
            |(div, found, diverting)| {
                for (total, d) in diverted.iter_mut().zip(div) {
                    *total += d;
                }
                for (s, h) in found {
                    detections[s][h] += 1;
                }
                stats.diverting_firms += diverting;
            },
        );
    }
    for (h, row) in pools.0.iter_mut().enumerate() {
        for (m, pool) in row.iter_mut().enumerate() {
            let demand = registry.military_demand[h][m];
            pool.grey_per_demand = if demand > 0.0 {
                diverted[h * nm + m] / demand
            } else {
                0.0
            };
        }
    }
    for (agent, mut trust) in &mut states {
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
    let found: u32 = detections.iter().flatten().sum();
    stats.detections += found;
    totals.detections += found as u64;
}

type ReceiveQuery<'w, 's> =
    Query<'w, 's, (&'static FirmKind, &'static FirmParams, &'static mut Flow)>;

/// Military firms receive the diverted material, pro rata to their demand.
pub fn receive(pools: Res<Pools>, par: Res<Parallel>, mut firms: ReceiveQuery) {
    let pools = &pools.0;
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

    /// A dual-use licence holder that always diverts, run for one week.
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
            3,
            1,
            0.3,
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
