//! Phase 7: firms adapt (models/ODD.md 7.11). A firm with an adaptation
//! rule keeps its expected shortage (the kg/week of use its lost output
//! stands for, smoothed) and values it at what a kg it lacks costs it, over
//! its life, discounted at its home state's investment rate and weighted by
//! the chance its home's shortage of the material lasts (Gott 1993, as for
//! substitution programmes). It starts a redesign when the part of that cost the new
//! design avoids reaches the redesign's cost; the new design is in
//! production `lead_weeks` later. It moves its production to the supplier's
//! state with a weekly hazard that rises from 0 (no shortage) towards
//! max_hazard along a logistic of (E - M) / M (`hazard`), E the expected
//! shortage cost and M the cost of moving: its stock goes with it, its
//! licence lapses, and its home state counts its jobs lost for good.

use crate::metrics::WeekStats;
use crate::model::*;
use crate::rng::{self, Stream};
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{Layout, Measure, Schema, Unit};
use bevy_ecs::prelude::*;

use super::{DENSE, Parallel};
use crate::par;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Adaptation");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static REDESIGNED: Measure = Measure {
    pattern: "{state}_{sector}_redesigned",
    unit: Unit::Count,
    about: "The group's firms that have decided to redesign (models/ODD.md 7.11), cumulative.",
    old: "",
};
pub static RELOCATED: Measure = Measure {
    pattern: "{state}_{sector}_relocated",
    unit: Unit::Count,
    about: "The group's firms that have moved their production to another state, cumulative (a moved firm stays in its group).",
    old: "",
};
pub static RELOCATED_JOBS: Measure = Measure {
    pattern: "{state}_relocated_jobs",
    unit: Unit::Count,
    about: "Jobs of firms that have moved out of the state, cumulative: lost to it for good, they count as fully idle in its pressure's lost-output term.",
    old: "",
};

fn columns(layout: &Layout, schema: &mut Schema) {
    for (g, info) in layout.registry.groups.iter().enumerate() {
        let args = [
            ("state", layout.state(info.home)),
            ("sector", info.sector.as_str()),
        ];
        schema.timeseries.add(&REDESIGNED, &args, move |w| {
            w.resource::<WeekStats>().groups[g].redesigned
        });
        schema.timeseries.add(&RELOCATED, &args, move |w| {
            w.resource::<WeekStats>().groups[g].relocated
        });
    }
    for s in 0..layout.registry.states.len() {
        let args = [("state", layout.state(s as StateIx))];
        schema.timeseries.add(&RELOCATED_JOBS, &args, move |w| {
            w.resource::<WeekStats>().states[s].relocated_jobs
        });
    }
}

fn plugin(b: &mut Builder) {
    let rules = b.scenario.adaptations().to_vec();
    b.insert_resource(AdaptRules(rules));
    b.add_systems(adapt);
}

/// sum_{t = from}^{from + life - 1} discount^t tau / (tau + t): the weight
/// of a weekly cost over a life that starts `from` weeks ahead, discounted,
/// with the chance a shortage that has lasted tau weeks lasts t more.
pub fn horizon(from: f64, life: f64, tau: u32, discount: f64) -> f64 {
    super::substitution::over_life(from, life, tau, discount, |_, lasts| lasts)
}

/// A rule's weights this week: its expected cost per USD of weekly
/// shortage cost, over a move (from now) and over a redesign (from its
/// lead time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Weights {
    pub moving: f64,
    pub redesign: f64,
}

/// What a firm does this week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Its new design goes into production.
    Redesign,
    /// It moves its production.
    Move,
}

/// The weekly hazard of a move: the logistic L(x) = 1 / (1 + exp(-slope
/// x)) of the relative excess x = (E - M) / M of the expected shortage
/// cost E over the cost of moving M, rescaled so that it is 0 with no
/// shortage (E = 0) and tends to max_hazard: h = max_hazard (L(x) - L(-1))
/// / (1 - L(-1)). Continuous and rising in E; a firm with no shortage
/// never moves.
pub fn hazard(r: &RelocationRule, expected: f64, cost: f64) -> f64 {
    if cost <= 0.0 {
        return r.max_hazard;
    }
    let logistic = |x: f64| 1.0 / (1.0 + (-r.slope * x).exp());
    let floor = logistic(-1.0);
    let x = (expected.max(0.0) - cost) / cost;
    r.max_hazard * ((logistic(x) - floor) / (1.0 - floor)).max(0.0)
}

/// One firm's step: its expected shortage, a redesign decision, and the
/// action (if any) to apply to its policies this week. `u` is its
/// relocation draw this week.
pub fn adapt_step(
    week: u32,
    rule: &AdaptRule,
    w: Weights,
    params: &FirmParams,
    prod: &Production,
    a: &mut Adapt,
    u: impl FnOnce() -> f64,
) -> Option<Action> {
    let lacked = prod.lost * params.intensity as f64;
    a.short = ((1.0 - rule.smoothing) * a.short as f64 + rule.smoothing * lacked) as f32;
    let weekly = a.short as f64 * rule.loss_per_kg;
    let use_kg = params.demand();
    if let Some(r) = &rule.redesign {
        if a.redesign_at == Adapt::NEVER {
            let avoided = weekly * (1.0 - r.intensity) * w.redesign;
            if weekly > 0.0 && avoided >= r.cost_per_kg_week * use_kg {
                a.redesign_at = week;
            }
        }
        if !a.redesigned
            && a.redesign_at != Adapt::NEVER
            && week as f64 >= a.redesign_at as f64 + r.lead_weeks
        {
            a.redesigned = true;
            return Some(Action::Redesign);
        }
    }
    if let Some(r) = &rule.relocation
        && !a.moved
    {
        let u = u();
        // h <= max_hazard: most weeks the draw decides without the logit
        if u < r.max_hazard && u < hazard(r, weekly * w.moving, r.cost_per_kg_week * use_kg) {
            a.moved = true;
            return Some(Action::Move);
        }
    }
    None
}

type AdaptQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmId,
        &'static Production,
        &'static mut FirmKind,
        &'static mut FirmParams,
        &'static mut Licence,
        &'static mut Adapt,
    ),
>;

/// Each firm with a rule adapts; the rare redesigns and moves are then
/// applied in firm order.
#[allow(clippy::too_many_arguments)]
pub fn adapt(
    clock: Res<Clock>,
    seed: Res<Seed>,
    rules: Res<AdaptRules>,
    par: Res<Parallel>,
    stats: Res<WeekStats>,
    states: Query<(&StateAgent, &Prefs)>,
    mut firms: AdaptQuery,
) {
    let rules = &rules.0;
    if rules.is_empty() {
        return;
    }
    let (week, seed) = (clock.week, seed.0);
    let weights: Vec<Weights> = rules
        .iter()
        .map(|r| {
            let discount = states
                .iter()
                .find(|(s, _)| s.ix == r.home)
                .map_or(1.0, |(_, p)| p.0.investment_discount);
            // the age of its home's shortage of its material
            let tau = stats.short_weeks[r.material as usize][r.home as usize];
            Weights {
                moving: horizon(0.0, r.life_weeks, tau, discount),
                redesign: r
                    .redesign
                    .map_or(0.0, |d| horizon(d.lead_weeks, r.life_weeks, tau, discount)),
            }
        })
        .collect();
    for (ids, prods, mut kinds, mut params, mut lics, mut adapts) in
        firms.contiguous_iter_mut().expect(DENSE)
    {
        let params_now: &[FirmParams] = params.bypass_change_detection();
        let mut actions: Vec<(usize, Action)> = Vec::new();
        par::fold(
            par.0,
            adapts.bypass_change_detection(),
            |range, adapts| {
                let mut part = Vec::new();
                for (i, a) in range.zip(adapts) {
                    if a.rule == Adapt::NONE {
                        continue;
                    }
                    let r = a.rule as usize;
                    let u = || rng::uniform(seed, Stream::Relocation, ids[i].0 as u64, week as u64);
                    if let Some(act) =
                        adapt_step(week, &rules[r], weights[r], &params_now[i], &prods[i], a, u)
                    {
                        part.push((i, act));
                    }
                }
                part
            },
            |part| actions.extend(part),
        );
        let (kinds, params, lics) = (
            kinds.bypass_change_detection(),
            params.bypass_change_detection(),
            lics.bypass_change_detection(),
        );
        let adapts: &[Adapt] = adapts.bypass_change_detection();
        for (i, act) in actions {
            let rule = &rules[adapts[i].rule as usize];
            match act {
                Action::Redesign => {
                    if let Some(r) = &rule.redesign {
                        params[i].intensity *= r.intensity as f32;
                    }
                }
                Action::Move => {
                    if let Some(r) = &rule.relocation {
                        // `to` is the material's supplier (checked): there it
                        // buys all it needs, with no licence
                        kinds[i].home = r.to;
                        params[i].supplier_share = 1.0;
                        lics[i] = Licence::None;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> RelocationRule {
        RelocationRule {
            to: 1,
            cost_per_kg_week: 100.0,
            max_hazard: 0.02,
            slope: 4.0,
        }
    }

    #[test]
    fn the_hazard_is_0_without_a_shortage_and_rises_continuously_towards_its_maximum() {
        let r = rule();
        // the logistic's half at E = M, rescaled from its value at E = 0
        let floor = 1.0 / (1.0 + 4f64.exp());
        let half = 0.02 * (0.5 - floor) / (1.0 - floor);
        assert!((hazard(&r, 100.0, 100.0) - half).abs() < 1e-15);
        assert_eq!(hazard(&r, 0.0, 100.0), 0.0);
        let hs: Vec<f64> = (0..=40)
            .map(|k| hazard(&r, k as f64 * 10.0, 100.0))
            .collect();
        for w in hs.windows(2) {
            assert!(w[1] > w[0] && w[1] - w[0] < 0.0025, "{hs:?}");
        }
        assert!(hs[40] < 0.02 && hs[40] > 0.0199);
    }

    #[test]
    fn the_horizon_weights_nearer_weeks_and_longer_controls_more() {
        let h = |from, tau| horizon(from, 520.0, tau, 0.9987);
        assert!(h(0.0, 10) > h(104.0, 10));
        assert!(h(0.0, 50) > h(0.0, 10));
        // one week, no discount, no lead: tau / tau = 1
        assert!((horizon(0.0, 1.0, 5, 1.0) - 1.0).abs() < 1e-15);
    }
}
