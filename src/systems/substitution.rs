//! Phase 6: substitution programs start (on schedule, when the owner's
//! pressure reaches both the trigger and the political cost, or when their
//! value to the owner reaches their cost), then ramp up linearly after
//! their lead time.

use crate::metrics::WeekStats;
use crate::model::StartRule;
use crate::model::*;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{self, Layout, Measure, Schema, Unit};
use bevy_ecs::prelude::*;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Substitution");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static SUBSTITUTION: Measure = Measure {
    pattern: "{state}_{material}_substitution",
    unit: Unit::KgPerWeek,
    about: "The state's substitution capacity for the material this week (the capacity its programmes have reached).",
    old: "{state}_substitution_kg_{material}",
};
pub static SUBSTITUTION_SHARE: Measure = Measure {
    pattern: "{state}_{material}_substitution",
    unit: Unit::Share,
    about: "Substitution capacity over the state's pre-control imports of the material, at most 1.",
    old: "{state}_substitution_share_{material}",
};
pub static FINAL_SUBSTITUTION_SHARE: Measure = Measure {
    pattern: "{state}_{material}_final_substitution",
    unit: Unit::Share,
    about: "The substitution share in the run's last week, for each state importing the material.",
    old: "substitution_share_end_{state}_{material}",
};
pub static PROGRAMME_VALUE: Measure = Measure {
    pattern: "{state}_{programme}_substitution_value",
    unit: Unit::Usd,
    about: "The programme's value to the state this week (models/ODD.md 7.11): the shortage and readiness losses its output would avoid over its life, were it started now, discounted and weighted by the chance the shortage lasts; a programme started by value starts when this reaches its cost.",
    old: "",
};
pub static PROGRAMME_OFFTAKE_COST: Measure = Measure {
    pattern: "{state}_{programme}_substitution_offtake_cost",
    unit: Unit::Usd,
    about: "The expected cost over the programme's life of its price floor with offtake, were it started now (0 without a floor): what a programme started by value adds to its cost.",
    old: "",
};
pub static PROGRAMME_OFFTAKE_PAID: Measure = Measure {
    pattern: "{state}_{programme}_substitution_offtake_paid",
    unit: Unit::Usd,
    about: "What the state paid this week under the programme's price floor: (floor - its market's price) x the programme's capacity, when the price is below the floor.",
    old: "",
};
pub static PROGRAMME_START_VALUE: Measure = Measure {
    pattern: "{state}_{programme}_substitution_start_value",
    unit: Unit::Usd,
    about: "The programme's value to the state in the week it started (empty: never started).",
    old: "",
};
pub static PROGRAMME_START: Measure = Measure {
    pattern: "{state}_{programme}_substitution_start",
    unit: Unit::Week,
    about: "The week the state started the substitution programme (empty: never).",
    old: "substitution_started_week_{state}_{programme}",
};

/// Each state's substitution capacity per material; over the run, the
/// final share and each programme's start.
fn columns(layout: &Layout, schema: &mut Schema) {
    let r = &layout.registry;
    for (s, m, args) in layout.states_and_materials() {
        schema.timeseries.add(&SUBSTITUTION, &args, move |w| {
            w.resource::<WeekStats>().substitution[s][m]
        });
        schema.timeseries.add(&SUBSTITUTION_SHARE, &args, move |w| {
            w.resource::<WeekStats>().substitution_share[s][m]
        });
    }
    for (s, m, args) in layout.states_and_materials() {
        if r.importers[m][s] {
            schema
                .summary
                .add(&FINAL_SUBSTITUTION_SHARE, &args, move |w| {
                    w.resource::<WeekStats>().substitution_share[s][m]
                });
        }
    }
    for (i, (owner, name)) in layout.programs.iter().enumerate() {
        let args = [
            ("state", layout.state(*owner)),
            ("programme", name.as_str()),
        ];
        schema.summary.add(&PROGRAMME_START, &args, move |w| {
            schema::programme(w, i).started_at
        });
        schema.summary.add(&PROGRAMME_START_VALUE, &args, move |w| {
            schema::programme(w, i).value_at_start
        });
        schema.timeseries.add(&PROGRAMME_VALUE, &args, move |w| {
            schema::programme(w, i).value
        });
        schema
            .timeseries
            .add(&PROGRAMME_OFFTAKE_COST, &args, move |w| {
                schema::programme(w, i).offtake_cost
            });
        schema
            .timeseries
            .add(&PROGRAMME_OFFTAKE_PAID, &args, move |w| {
                schema::programme(w, i).offtake_paid
            });
    }
}

/// The substitution programs and their weekly step.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    for program in scenario.states.iter().flat_map(|s| &s.substitution) {
        b.spawn(program.clone());
    }
    b.add_systems(substitution);
}

/// Capacity of a program `elapsed` weeks after its start, kg/week.
pub fn capacity_at(p: &SubstitutionProgram, elapsed: f64) -> f64 {
    if elapsed < p.lead_weeks {
        0.0
    } else if p.ramp_weeks <= 0.0 {
        p.capacity_target
    } else {
        p.capacity_target * ((elapsed - p.lead_weeks) / p.ramp_weeks).min(1.0)
    }
}

/// What a week of a state's shortage of a material costs it, as a
/// substitution programme sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exposure {
    /// kg/week its firms were short (their use at full capacity less what
    /// they were delivered), all of them and the military ones.
    pub short: f64,
    pub military_short: f64,
    /// The readiness gap of its military firms on the material: their lost
    /// output over the state's whole military capacity.
    pub gap: f64,
    /// What a kg short costs, USD: the owner's `shortage_value`, or the
    /// backstop price (reference x cap), what a buyer would pay the
    /// next-best source.
    pub kg_value: f64,
    /// What a readiness gap of 1 costs a week, USD (`readiness_value`).
    pub readiness_value: f64,
    /// The shortage's age, weeks (`WeekStats::short_weeks`).
    pub age: u32,
}

impl Exposure {
    /// The weekly loss `capacity` kg/week avoids: its output goes to the
    /// state's pool, which serves military firms first, so it closes that
    /// part of the military firms' gap (valued at the readiness value), and
    /// what is left fills the other firms' shortfall at the kg value.
    pub fn avoided(&self, capacity: f64) -> f64 {
        let military = self.military_short.min(self.short);
        let closed = if military > 0.0 {
            (capacity / military).min(1.0)
        } else {
            0.0
        };
        let others = (capacity - military).max(0.0).min(self.short - military);
        self.kg_value * others + self.readiness_value * self.gap * closed
    }
}

/// A programme's value to its owner if started now: the sum over the weeks
/// t of its life (from its first output, `lead_weeks`, for `life_weeks`) of
/// discount^t x P(the shortage lasts t more weeks) x the loss its capacity
/// then avoids (`Exposure::avoided`, at this week's shortage). With no
/// knowledge of how long the shortage will last, one that has lasted tau
/// weeks in a row (`Exposure::age`: a deal that ends it resets it) is
/// taken to last t more with probability tau / (tau + t) (Gott 1993: a
/// random moment of its life is uniform on it).
pub fn value(p: &SubstitutionProgram, e: &Exposure, discount: f64) -> f64 {
    over_life(p.lead_weeks, p.life_weeks, e.age, discount, |t, lasts| {
        lasts * e.avoided(capacity_at(p, t))
    })
}

/// sum over the weeks t from `from` to `from + life` (exclusive) of
/// discount^t x f(t, P(a shortage or control that has lasted tau weeks lasts t more)), with
/// that chance tau / (tau + t) (Gott 1993; tau at least 1): the sums behind
/// every decision by value (programmes, floors, firms' adaptation).
pub fn over_life(
    from: f64,
    life: f64,
    tau: u32,
    discount: f64,
    f: impl Fn(f64, f64) -> f64,
) -> f64 {
    let tau = tau.max(1) as f64;
    let (first, last) = (from.ceil() as u32, (from + life).ceil() as u32);
    let mut d = discount.powi(first as i32);
    let mut v = 0.0;
    for t in first..last {
        let t = t as f64;
        v += d * f(t, tau / (tau + t));
        d *= discount;
    }
    v
}

/// The expected cost over a programme's life of its price floor with
/// offtake, if started now: the floor binds once the shortage ends (then
/// the outside price falls back to the reference P0), so the sum over the weeks
/// t of its life of discount^t x (1 - tau / (tau + t)) x (floor - P0)^+ x
/// its capacity then (the complement of `value`'s persistence).
pub fn offtake_cost(p: &SubstitutionProgram, reference: f64, tau: u32, discount: f64) -> f64 {
    let Some(floor) = p.floor_price else {
        return 0.0;
    };
    let margin = (floor - reference).max(0.0);
    over_life(p.lead_weeks, p.life_weeks, tau, discount, |t, lasts| {
        (1.0 - lasts) * margin * capacity_at(p, t)
    })
}

/// The exposure of `owner` to a shortage of material `m` this week.
fn exposure(
    stats: &WeekStats,
    info: &MaterialInfo,
    m: usize,
    owner: usize,
    prefs: &Preferences,
) -> Exposure {
    let [demand, delivered] = stats.market[m][owner];
    let military = &stats.military[m][owner];
    let capacity = stats.states[owner].military_capacity;
    Exposure {
        short: (demand - delivered).max(0.0),
        military_short: military.short(),
        gap: if capacity > 0.0 {
            military.lost / capacity
        } else {
            0.0
        },
        kg_value: prefs.kg_value(info),
        readiness_value: prefs.readiness_value,
        age: stats.short_weeks[m][owner],
    }
}

#[allow(clippy::too_many_arguments)]
pub fn substitution(
    clock: Res<Clock>,
    registry: Res<Registry>,
    mut stats: ResMut<WeekStats>,
    states: Query<(&StateAgent, &Prefs, &Pressure)>,
    markets: Res<Markets>,
    mut programs: Query<&mut SubstitutionProgram>,
) {
    let week = clock.week;
    for row in stats.substitution.iter_mut() {
        row.fill(0.0);
    }
    for mut p in &mut programs {
        let m = p.material as usize;
        let Some((_, prefs, pressure)) = states.iter().find(|(a, _, _)| a.ix == p.owner) else {
            continue;
        };
        let e = exposure(
            &stats,
            &registry.materials[m],
            m,
            p.owner as usize,
            &prefs.0,
        );
        p.value = value(&p, &e, prefs.0.investment_discount);
        p.offtake_cost = offtake_cost(
            &p,
            registry.materials[m].price,
            e.age,
            prefs.0.investment_discount,
        );
        if p.started_at.is_none() {
            let start = match p.start {
                StartRule::Scheduled { week: w } => week as f64 >= w,
                StartRule::Pressure { threshold } => {
                    pressure.smoothed >= threshold.max(p.political_cost)
                }
                StartRule::Value => {
                    p.value >= p.cost + p.offtake_cost && pressure.smoothed >= p.political_cost
                }
            };
            if start {
                p.started_at = Some(week);
                p.value_at_start = Some(p.value);
            }
        }
        p.capacity_now = p
            .started_at
            .map_or(0.0, |s| capacity_at(&p, (week - s) as f64));
        stats.substitution[p.owner as usize][p.material as usize] += p.capacity_now;
        let price = markets.0[m].for_home(p.owner, registry.materials[m].supplier);
        p.offtake_paid = p
            .floor_price
            .map_or(0.0, |f| (f - price).max(0.0) * p.capacity_now);
    }
    let stats = &mut *stats;
    for (st, row) in stats.substitution_share.iter_mut().enumerate() {
        for (m, share) in row.iter_mut().enumerate() {
            let need = registry.baseline_imports[m][st];
            *share = if need > 0.0 {
                (stats.substitution[st][m] / need).min(1.0)
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_before_the_lead_time_then_a_linear_ramp() {
        let p = SubstitutionProgram {
            owner: 0,
            material: 0,
            name: "x".into(),
            capacity_target: 100.0,
            lead_weeks: 10.0,
            ramp_weeks: 20.0,
            political_cost: 0.0,
            start: StartRule::Scheduled { week: 0.0 },
            cost: 0.0,
            life_weeks: 520.0,
            floor_price: None,
            offtake_cost: 0.0,
            offtake_paid: 0.0,
            started_at: Some(0),
            capacity_now: 0.0,
            value: 0.0,
            value_at_start: None,
        };
        assert_eq!(capacity_at(&p, 9.0), 0.0);
        assert_eq!(capacity_at(&p, 20.0), 50.0);
        assert_eq!(capacity_at(&p, 40.0), 100.0);
    }
}
