//! Phase 2: licensing. Firms without a valid licence apply; the supplier
//! decides each application once its review lag has passed.

use crate::model::EndUse;
use crate::model::dist::Sampler;
use crate::model::*;
use crate::rng::{self, Stream};
use bevy_ecs::prelude::*;

use super::{DENSE, Parallel, supply};
use crate::metrics::RunTotals;
use crate::par;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{self, Layout, Measure, Schema, Unit};

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Licensing");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static CONTROL_ACTIVE: Measure = Measure {
    pattern: "{supplier}_{material}_control_active",
    unit: Unit::Flag,
    about: "Whether the supplier's export control on the material is in force.",
    old: "{supplier}_control_active_{material}",
};
pub static CIVILIAN_APPROVAL: Measure = Measure {
    pattern: "{supplier}_{material}_to_{state}_civilian_approval",
    unit: Unit::Probability,
    about: "The civilian approval rate the control sets for the state this week: its base rate, or the rate a deal agreed. Licensing scales it by the supplier's trust in the state and cuts it while the track is broken down; it is recorded whether or not the control is in force.",
    old: "{supplier}_civilian_approval_{material}_to_{state}",
};
pub static GENERAL_LICENCE: Measure = Measure {
    pattern: "{supplier}_{material}_to_{state}_general_licence",
    unit: Unit::Flag,
    about: "Whether a general licence covers the state's civilian buyers (no application needed while the control is in force).",
    old: "{supplier}_general_licence_{material}_to_{state}",
};
pub static EXTRATERRITORIAL: Measure = Measure {
    pattern: "{supplier}_{material}_to_{state}_extraterritorial",
    unit: Unit::Flag,
    about: "Whether the control's extraterritorial reach applies to the state: while the control is in force, it cuts the state's third-country supply of the material by the control's extraterritorial share.",
    old: "{supplier}_extraterritorial_{material}_to_{state}",
};
pub static LICENCE_VALIDITY: Measure = Measure {
    pattern: "{supplier}_{material}_to_{state}_licence_validity",
    unit: Unit::Weeks,
    about: "The validity of the licences the control grants the state's firms this week: its base validity, the probe's (if the supplier runs one) or what a deal agreed.",
    old: "",
};
pub static FIRST_CIVILIAN_LICENCE: Measure = Measure {
    pattern: "first_civilian_licence",
    unit: Unit::Week,
    about: "The first week a civilian firm was granted a licence (empty: never).",
    old: "first_civilian_licence_week",
};
pub static CIVILIAN_LICENCES: Measure = Measure {
    pattern: "civilian_licences_granted",
    unit: Unit::Count,
    about: "Licences granted to civilian firms over the run, renewals included (dual-use grants count in neither this nor the military count).",
    old: "civilian_licences_granted",
};
pub static MILITARY_LICENCES: Measure = Measure {
    pattern: "military_licences_granted",
    unit: Unit::Count,
    about: "Licences granted to military firms over the run, renewals included.",
    old: "military_licences_granted",
};

/// The terms of each export control, towards each state that imports its
/// material; over the run, the licences granted.
fn columns(layout: &Layout, schema: &mut Schema) {
    let r = &layout.registry;
    for (i, &(owner, material)) in layout.controls.iter().enumerate() {
        let (supplier, m) = (layout.state(owner), layout.material(material));
        let of = [("supplier", supplier), ("material", m)];
        schema.timeseries.add(&CONTROL_ACTIVE, &of, move |w| {
            u32::from(schema::control(w, i).active)
        });
        for dest in 0..r.states.len() {
            if dest == owner as usize || !r.importers[material as usize][dest] {
                continue;
            }
            let to = [
                ("supplier", supplier),
                ("material", m),
                ("state", layout.state(dest as StateIx)),
            ];
            schema.timeseries.add(&CIVILIAN_APPROVAL, &to, move |w| {
                schema::control(w, i).approval_for(dest, EndUse::Civilian)
            });
            schema.timeseries.add(&GENERAL_LICENCE, &to, move |w| {
                u32::from(schema::control(w, i).general_for(dest))
            });
            schema.timeseries.add(&EXTRATERRITORIAL, &to, move |w| {
                u32::from(schema::control(w, i).reach_for(dest))
            });
            schema.timeseries.add(&LICENCE_VALIDITY, &to, move |w| {
                schema::control(w, i).validity_for(dest)
            });
        }
    }
    schema.summary.add(&FIRST_CIVILIAN_LICENCE, &[], |w| {
        w.resource::<RunTotals>().first_civilian_licence_week
    });
    schema.summary.add(&CIVILIAN_LICENCES, &[], |w| {
        w.resource::<RunTotals>().civilian_licences_granted
    });
    schema.summary.add(&MILITARY_LICENCES, &[], |w| {
        w.resource::<RunTotals>().military_licences_granted
    });
}

/// The licensing view and the export controls; builds the week's terms, then
/// decides the firms' licences.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    b.insert_resource(LicensingView::default());
    for control in scenario.states.iter().flat_map(|s| &s.export_controls) {
        b.spawn(control.clone());
    }
    b.add_systems((build_view, licensing).chain());
}

/// Rebuilds the terms each (material, home state) faces this week from the
/// export controls, the supplier's trust and the state of the talks.
pub fn build_view(
    registry: Res<Registry>,
    settings: Res<Settings>,
    mut view: ResMut<LicensingView>,
    controls: Query<&ExportControl>,
    tracking: Query<&TrackingSystem>,
    states: Query<(&StateAgent, &Trust)>,
    tracks: Query<&Track>,
) {
    let ns = registry.states.len();
    view.0 = registry
        .materials
        .iter()
        .enumerate()
        .map(|(m, info)| {
            let control = controls
                .iter()
                .find(|c| c.material as usize == m && c.owner == info.supplier);
            let trust = states
                .iter()
                .find(|(a, _)| a.ix == info.supplier)
                .map(|(_, t)| t.0.clone());
            let (detection, blacklist) = tracking
                .iter()
                .find(|t| t.owner == info.supplier && t.active)
                .map_or((0.0, 0), |t| {
                    (t.detection_probability, t.blacklist_weeks.round() as u32)
                });
            (0..ns)
                .map(|home| match control {
                    Some(c) if c.active && home != info.supplier as usize => {
                        let trust = trust.as_ref().map_or(1.0, |t| t[home]);
                        let broken = tracks.iter().any(|t| {
                            t.material as usize == m
                                && t.consumer as usize == home
                                && matches!(t.status, TrackStatus::BrokenDown { .. })
                        });
                        let factor = (1.0 - c.trust_weight + c.trust_weight * trust)
                            * if broken {
                                1.0 - c.breakdown_penalty
                            } else {
                                1.0
                            };
                        let mut terms = LicenceTerms {
                            controlled: true,
                            required: c.licence_required,
                            approval: EndUse::ALL
                                .map(|eu| (c.approval_for(home, eu) * factor).clamp(0.0, 1.0)),
                            military_ban: c.military_ban,
                            general_licence: c.general_for(home),
                            validity: c.validity_for(home).round().max(1.0) as u32,
                            reapply: c.reapply_weeks.round() as u32,
                            headroom: c.headroom,
                            review_lag: c.review_lag.clone(),
                            detection,
                            blacklist,
                            cover: [0.0; 3],
                        };
                        terms.cover = EndUse::ALL
                            .map(|eu| terms.lead_time_cover(eu, c.reapply_weeks, &settings.supply));
                        terms
                    }
                    _ => LicenceTerms::uncontrolled(),
                })
                .collect()
        })
        .collect();
}

impl LicenceTerms {
    /// No licence needed.
    pub fn uncontrolled() -> Self {
        LicenceTerms {
            controlled: false,
            required: [false; 3],
            approval: [1.0; 3],
            military_ban: false,
            general_licence: false,
            validity: 1,
            reapply: 0,
            headroom: 1.0,
            review_lag: Sampler::Fixed(0.0),
            detection: 0.0,
            blacklist: 0,
            cover: [0.0; 3],
        }
    }

    /// Whether a firm of this end use needs a licence.
    pub fn needs_licence(&self, end_use: EndUse) -> bool {
        self.controlled && self.required[end_use.index()]
    }

    /// Whether a firm of this end use is denied without review (the
    /// military ban).
    pub fn banned(&self, end_use: EndUse) -> bool {
        end_use == EndUse::Military && self.military_ban
    }

    /// Whether a general licence covers a firm of this end use (no review).
    pub fn general(&self, end_use: EndUse) -> bool {
        end_use == EndUse::Civilian && self.general_licence
    }

    /// The weeks of use a firm of this end use holds against the lead time
    /// its next licence takes under these terms (`supply::lead_time_cover`,
    /// with `reapply_weeks` before a denied firm applies again): 0 when it
    /// needs no licence, is banned (it expects none) or a general licence
    /// covers it.
    pub fn lead_time_cover(&self, end_use: EndUse, reapply_weeks: f64, s: &SupplyParams) -> f64 {
        if !self.needs_licence(end_use) || self.banned(end_use) || self.general(end_use) {
            return 0.0;
        }
        let denial = 1.0 - self.approval[end_use.index()];
        supply::lead_time_cover(self.review_lag.mean(), denial, reapply_weeks, s)
    }
}

/// One firm's licensing step for week `week`.
pub fn licence_step(
    week: u32,
    seed: u64,
    terms: &LicenceTerms,
    id: FirmId,
    kind: &FirmKind,
    params: &FirmParams,
    lic: &mut Licence,
) {
    let eu = kind.end_use;
    if !terms.needs_licence(eu) || params.demand() <= 0.0 {
        *lic = Licence::None;
        return;
    }
    // Lapsed statuses.
    match *lic {
        Licence::Granted { until, .. }
        | Licence::Denied { until }
        | Licence::Blacklisted { until }
            if week >= until =>
        {
            *lic = Licence::None
        }
        _ => {}
    }
    let grant = || Licence::Granted {
        since: week,
        until: week.saturating_add(terms.validity),
        kg_per_week: (terms.headroom * params.supplier_share as f64 * params.demand()) as f32,
    };
    let deny = || Licence::Denied {
        until: week.saturating_add(terms.reapply.max(1)),
    };
    let (banned, general) = (terms.banned(eu), terms.general(eu));
    match *lic {
        Licence::None if banned => *lic = deny(),
        Licence::None if general => *lic = grant(),
        Licence::None => {
            let u = rng::uniform(seed, Stream::ReviewLag, id.0 as u64, week as u64);
            let lag = terms.review_lag.quantile(u).round().max(1.0) as u32;
            *lic = Licence::Pending {
                since: week,
                decide_at: week.saturating_add(lag),
            };
        }
        Licence::Pending { .. } if banned => *lic = deny(),
        Licence::Pending { .. } if general => *lic = grant(),
        Licence::Pending { decide_at, .. } if week >= decide_at => {
            let u = rng::uniform(seed, Stream::Approval, id.0 as u64, week as u64);
            *lic = if u < terms.approval[eu.index()] {
                grant()
            } else {
                deny()
            };
        }
        _ => {}
    }
}

type LicenceQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmId,
        &'static FirmKind,
        &'static FirmParams,
        &'static mut Licence,
    ),
>;

/// Applies `licence_step` to every firm.
pub fn licensing(
    clock: Res<Clock>,
    seed: Res<Seed>,
    view: Res<LicensingView>,
    par: Res<Parallel>,
    mut firms: LicenceQuery,
) {
    let (week, seed, view) = (clock.week, seed.0, &view.0);
    for (ids, kinds, params, mut lic) in firms.contiguous_iter_mut().expect(DENSE) {
        par::for_each(par.0, lic.bypass_change_detection(), |i, lic| {
            let kind = &kinds[i];
            let terms = &view[kind.material as usize][kind.home as usize];
            licence_step(week, seed, terms, ids[i], kind, &params[i], lic);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> LicenceTerms {
        LicenceTerms {
            controlled: true,
            required: [true; 3],
            approval: [1.0, 1.0, 1.0],
            military_ban: true,
            general_licence: false,
            validity: 26,
            reapply: 4,
            headroom: 1.5,
            review_lag: Sampler::Fixed(9.0),
            detection: 0.0,
            blacklist: 0,
            cover: [0.0; 3],
        }
    }

    fn firm(end_use: EndUse) -> (FirmKind, FirmParams) {
        (
            FirmKind {
                home: 0,
                material: 0,
                supplier: 1,
                end_use,
                group: 0,
            },
            FirmParams {
                capacity: 10.0,
                intensity: 1.0,
                supplier_share: 1.0,
                target_weeks: 4.0,
                jobs: 1.0,
                political_weight: 1.0,
                diversion: 0.0,
            },
        )
    }

    #[test]
    fn civilian_application_is_decided_after_the_review_lag() {
        let (kind, params) = firm(EndUse::Civilian);
        let mut lic = Licence::None;
        licence_step(0, 1, &terms(), FirmId(0), &kind, &params, &mut lic);
        assert_eq!(
            lic,
            Licence::Pending {
                since: 0,
                decide_at: 9
            }
        );
        licence_step(8, 1, &terms(), FirmId(0), &kind, &params, &mut lic);
        assert!(matches!(lic, Licence::Pending { .. }));
        licence_step(9, 1, &terms(), FirmId(0), &kind, &params, &mut lic);
        assert_eq!(
            lic,
            Licence::Granted {
                since: 9,
                until: 35,
                kg_per_week: 15.0
            }
        );
        licence_step(35, 1, &terms(), FirmId(0), &kind, &params, &mut lic);
        assert!(
            matches!(lic, Licence::Pending { since: 35, .. }),
            "expired licences are reapplied for"
        );
    }

    #[test]
    fn military_users_are_denied_while_the_ban_holds() {
        let (kind, params) = firm(EndUse::Military);
        let mut lic = Licence::None;
        for week in 0..100 {
            licence_step(week, 1, &terms(), FirmId(0), &kind, &params, &mut lic);
            assert!(!matches!(lic, Licence::Granted { .. }));
        }
    }

    #[test]
    fn general_licence_grants_civilians_at_once() {
        let (kind, params) = firm(EndUse::Civilian);
        let mut lic = Licence::None;
        let t = LicenceTerms {
            general_licence: true,
            ..terms()
        };
        licence_step(3, 1, &t, FirmId(0), &kind, &params, &mut lic);
        assert!(matches!(lic, Licence::Granted { since: 3, .. }));
    }

    #[test]
    fn uncontrolled_firms_hold_no_licence() {
        let (kind, params) = firm(EndUse::Civilian);
        let mut lic = Licence::Pending {
            since: 0,
            decide_at: 3,
        };
        licence_step(
            1,
            1,
            &LicenceTerms::uncontrolled(),
            FirmId(0),
            &kind,
            &params,
            &mut lic,
        );
        assert_eq!(lic, Licence::None);
    }

    #[test]
    fn approval_rate_matches_the_probability() {
        let (kind, params) = firm(EndUse::Civilian);
        let t = LicenceTerms {
            approval: [0.25, 1.0, 1.0],
            review_lag: Sampler::Fixed(1.0),
            ..terms()
        };
        let n = 20_000;
        let granted = (0..n)
            .filter(|&i| {
                let mut lic = Licence::None;
                licence_step(0, 5, &t, FirmId(i), &kind, &params, &mut lic);
                licence_step(1, 5, &t, FirmId(i), &kind, &params, &mut lic);
                matches!(lic, Licence::Granted { .. })
            })
            .count();
        let share = granted as f64 / n as f64;
        assert!((share - 0.25).abs() < 0.015, "share {share}");
    }
}
