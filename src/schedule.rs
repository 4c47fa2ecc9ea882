//! The tick: ordered system sets, one per phase of the process overview in
//! `models/ODD.md` (section 3), chained.

use crate::metrics;
use crate::systems::*;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;

/// The phases of a tick, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Events,
    Licensing,
    Supply,
    Diversion,
    Production,
    Substitution,
    Pressure,
    Negotiation,
    Metrics,
}

impl Phase {
    /// Every phase, in tick order.
    pub const ALL: [Phase; 9] = [
        Phase::Events,
        Phase::Licensing,
        Phase::Supply,
        Phase::Diversion,
        Phase::Production,
        Phase::Substitution,
        Phase::Pressure,
        Phase::Negotiation,
        Phase::Metrics,
    ];
}

/// Builds the schedule of one tick. Systems run one at a time, in the
/// order written (every set and every system within a set is chained), so
/// no two systems race; the per-firm systems parallelise inside themselves.
pub fn tick_schedule() -> Schedule {
    schedule_of(&Phase::ALL)
}

/// A schedule of some phases only, in the order given (benchmarks time
/// each phase alone). A world ticked by it does not advance its clock
/// unless `Phase::Metrics` is among them.
pub fn schedule_of(phases: &[Phase]) -> Schedule {
    let mut s = Schedule::default();
    s.set_executor(SingleThreadedExecutor::new());
    for pair in phases.windows(2) {
        s.configure_sets(pair[0].before(pair[1]));
    }
    for &phase in phases {
        add_phase(&mut s, phase);
    }
    s
}

fn add_phase(s: &mut Schedule, phase: Phase) {
    match phase {
        Phase::Events => s.add_systems(
            (events::begin_week, events::apply_events)
                .chain()
                .in_set(phase),
        ),
        Phase::Licensing => s.add_systems(
            (licensing::build_view, licensing::licensing)
                .chain()
                .in_set(phase),
        ),
        Phase::Supply => s.add_systems(
            (supply::orders, supply::pools, supply::deliver)
                .chain()
                .in_set(phase),
        ),
        Phase::Diversion => s.add_systems(
            (diversion::divert, diversion::receive)
                .chain()
                .in_set(phase),
        ),
        Phase::Production => s.add_systems(
            (production::produce, production::publish)
                .chain()
                .in_set(phase),
        ),
        Phase::Substitution => s.add_systems(substitution::substitution.in_set(phase)),
        Phase::Pressure => s.add_systems(
            (metrics::aggregate, pressure::pressure)
                .chain()
                .in_set(phase),
        ),
        Phase::Negotiation => s.add_systems(negotiate::negotiate.in_set(phase)),
        Phase::Metrics => s.add_systems(
            (metrics::record, metrics::advance_clock)
                .chain()
                .in_set(phase),
        ),
    };
}
