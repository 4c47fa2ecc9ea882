//! Phase 6: substitution programs start (on schedule, or when the owner's
//! pressure reaches both the trigger and the political cost), then ramp up
//! linearly after their lead time.

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

pub fn substitution(
    clock: Res<Clock>,
    registry: Res<Registry>,
    mut stats: ResMut<WeekStats>,
    states: Query<(&StateAgent, &Pressure)>,
    mut programs: Query<&mut SubstitutionProgram>,
) {
    let week = clock.week;
    for row in stats.substitution.iter_mut() {
        row.fill(0.0);
    }
    for mut p in &mut programs {
        if p.started_at.is_none() {
            let start = match p.start {
                StartRule::Scheduled { week: w } => week as f64 >= w,
                StartRule::Pressure { threshold } => states
                    .iter()
                    .find(|(a, _)| a.ix == p.owner)
                    .is_some_and(|(_, pr)| pr.smoothed >= threshold.max(p.political_cost)),
            };
            if start {
                p.started_at = Some(week);
            }
        }
        p.capacity_now = p
            .started_at
            .map_or(0.0, |s| capacity_at(&p, (week - s) as f64));
        stats.substitution[p.owner as usize][p.material as usize] += p.capacity_now;
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
            started_at: Some(0),
            capacity_now: 0.0,
        };
        assert_eq!(capacity_at(&p, 9.0), 0.0);
        assert_eq!(capacity_at(&p, 20.0), 50.0);
        assert_eq!(capacity_at(&p, 40.0), 100.0);
    }
}
