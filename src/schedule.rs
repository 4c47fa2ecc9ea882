//! The tick: ordered system sets, one per phase of MODEL.md, chained.

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

/// Builds the schedule of one tick. Systems run one at a time, in the
/// order written (every set and every system within a set is chained), so
/// no two systems race; the per-firm systems parallelise inside themselves.
pub fn tick_schedule() -> Schedule {
    let mut s = Schedule::default();
    s.set_executor(SingleThreadedExecutor::new());
    s.configure_sets(
        (
            Phase::Events,
            Phase::Licensing,
            Phase::Supply,
            Phase::Diversion,
            Phase::Production,
            Phase::Substitution,
            Phase::Pressure,
            Phase::Negotiation,
            Phase::Metrics,
        )
            .chain(),
    );
    s.add_systems(
        (events::begin_week, events::apply_events)
            .chain()
            .in_set(Phase::Events),
    );
    s.add_systems(
        (licensing::build_view, licensing::licensing)
            .chain()
            .in_set(Phase::Licensing),
    );
    s.add_systems(
        (supply::orders, supply::pools, supply::deliver)
            .chain()
            .in_set(Phase::Supply),
    );
    s.add_systems(
        (diversion::divert, diversion::settle, diversion::receive)
            .chain()
            .in_set(Phase::Diversion),
    );
    s.add_systems(
        (production::produce, production::publish)
            .chain()
            .in_set(Phase::Production),
    );
    s.add_systems(substitution::substitution.in_set(Phase::Substitution));
    s.add_systems(
        (metrics::aggregate, pressure::pressure)
            .chain()
            .in_set(Phase::Pressure),
    );
    s.add_systems(negotiate::negotiate.in_set(Phase::Negotiation));
    s.add_systems(
        (metrics::record, metrics::advance_clock)
            .chain()
            .in_set(Phase::Metrics),
    );
    s
}
