//! Phase 1: scheduled events from the scenario's timeline.

use crate::config::{EventAction, ScheduledEvent};
use crate::metrics::{RunTotals, WeekStats};
use crate::model::*;
use bevy_ecs::prelude::*;

/// The scenario's scheduled events.
#[derive(Resource, Debug, Clone)]
pub struct Timeline(pub Vec<ScheduledEvent>);

/// Resets this week's statistics.
pub fn begin_week(mut stats: ResMut<WeekStats>) {
    stats.begin_week();
}

/// Applies the events scheduled for this week, in file order.
pub fn apply_events(
    clock: Res<Clock>,
    timeline: Res<Timeline>,
    registry: Res<Registry>,
    mut totals: ResMut<RunTotals>,
    mut controls: Query<&mut ExportControl>,
    mut tracking: Query<&mut TrackingSystem>,
    mut restrictions: Query<&mut TechRestriction>,
) {
    for event in timeline.0.iter().filter(|e| e.week == clock.week) {
        let st = |code: &str| registry.state_ix(code).expect("checked state");
        let mat = |id: &str| registry.material_ix(id).expect("checked material");
        let mut control = |state: &str, material: &str, f: &mut dyn FnMut(&mut ExportControl)| {
            let (s, m) = (st(state), mat(material));
            for mut c in controls
                .iter_mut()
                .filter(|c| c.owner == s && c.material == m)
            {
                f(&mut c);
            }
        };
        match &event.action {
            EventAction::SetControlActive {
                state,
                material,
                active,
            } => control(state, material, &mut |c| c.active = *active),
            EventAction::SetApproval {
                state,
                material,
                end_use,
                probability,
            } => control(state, material, &mut |c| {
                c.approval[end_use.index()] = *probability
            }),
            EventAction::SetMilitaryBan {
                state,
                material,
                on,
            } => control(state, material, &mut |c| c.military_ban = *on),
            EventAction::SetExtraterritorial {
                state,
                material,
                on,
            } => control(state, material, &mut |c| c.extraterritorial = *on),
            EventAction::SetGeneralLicence {
                state,
                material,
                on,
            } => control(state, material, &mut |c| c.general_licence = *on),
            EventAction::SetTracking { state, active } => {
                let s = st(state);
                for mut t in tracking.iter_mut().filter(|t| t.owner == s) {
                    t.active = *active;
                }
            }
            EventAction::SetRestriction {
                state,
                target,
                sector,
                level,
            } => {
                let (s, t) = (st(state), st(target));
                for mut r in restrictions
                    .iter_mut()
                    .filter(|r| r.owner == s && r.target == t && &r.sector == sector)
                {
                    r.level = *level;
                }
            }
        }
        totals.events.push((clock.week, event.label.clone()));
    }
}
