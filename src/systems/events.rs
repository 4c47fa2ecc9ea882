//! Phase 1: scheduled events from the scenario's timeline.

use crate::metrics::{RunTotals, WeekStats};
use crate::model::*;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{Layout, Measure, Schema, Unit};
use bevy_ecs::prelude::*;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Events");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static EVENTS: Measure = Measure {
    pattern: "events",
    unit: Unit::None,
    about: "Labels of the timeline events applied this week, joined by `; `.",
    old: "events",
};

/// The week's events.
fn columns(_: &Layout, schema: &mut Schema) {
    schema.timeseries.add(&EVENTS, &[], |w| {
        let week = w.resource::<Clock>().week;
        let labels: Vec<&str> = w
            .resource::<RunTotals>()
            .events
            .iter()
            .filter(|(at, _)| *at == week)
            .map(|(_, l)| l.as_str())
            .collect();
        labels.join("; ")
    });
}

/// The timeline; resets the week's statistics, then applies the week's events.
fn plugin(b: &mut Builder) {
    b.insert_resource(Timeline(b.scenario.timeline.clone()));
    b.add_systems((begin_week, apply_events).chain());
}

/// The scenario's scheduled events, resolved.
#[derive(Resource, Debug, Clone)]
pub struct Timeline(pub Vec<TimelineEvent>);

/// Resets this week's statistics.
pub fn begin_week(mut stats: ResMut<WeekStats>) {
    stats.begin_week();
}

/// Applies the events scheduled for this week, in file order.
pub fn apply_events(
    clock: Res<Clock>,
    timeline: Res<Timeline>,
    mut totals: ResMut<RunTotals>,
    mut controls: Query<&mut ExportControl>,
    mut tracking: Query<&mut TrackingSystem>,
    mut restrictions: Query<&mut TechRestriction>,
) {
    for event in timeline.0.iter().filter(|e| e.week == clock.week) {
        match event.action {
            Action::Control {
                owner,
                material,
                change,
            } => {
                for mut c in controls
                    .iter_mut()
                    .filter(|c| c.owner == owner && c.material == material)
                {
                    match change {
                        ControlChange::Active(on) => c.active = on,
                        ControlChange::Approval(end_use, p) => c.approval[end_use.index()] = p,
                        ControlChange::MilitaryBan(on) => c.military_ban = on,
                        ControlChange::Extraterritorial(on) => c.extraterritorial = on,
                        ControlChange::GeneralLicence(on) => c.general_licence = on,
                    }
                }
            }
            Action::Tracking { owner, active } => {
                for mut t in tracking.iter_mut().filter(|t| t.owner == owner) {
                    t.active = active;
                }
            }
            Action::Restriction { id, level } => {
                for mut r in restrictions.iter_mut().filter(|r| r.id == id) {
                    r.level = level;
                }
            }
        }
        totals.events.push((clock.week, event.label.clone()));
    }
}
