//! The tick: one phase per plugin, in the order of [`PLUGINS`], each a
//! system set; the sets are chained, and so are the systems inside each.
//!
//! A plugin (bevy's habit: a feature owns its resources and systems) is one
//! function in its module. From the validated scenario it inserts the
//! module's resources, spawns its state and policy entities, and adds its
//! systems to its phase. `build::build` calls every plugin before it spawns
//! the firms, so that resources come before firms (see ARCHITECTURE.md).
//! `systems::PLUGINS` lists them in tick order.

use crate::config::ValidScenario;
use crate::model::Registry;
use crate::systems::PLUGINS;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{IntoScheduleConfigs, ScheduleConfigs, SingleThreadedExecutor};
use bevy_ecs::system::ScheduleSystem;

/// A phase of the tick: the system set of the plugin that owns it, named
/// after it.
#[derive(SystemSet, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phase(pub &'static str);

impl std::fmt::Debug for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A module's plugin: the phase it owns and the function that registers it.
#[derive(Clone, Copy)]
pub struct Plugin {
    pub phase: Phase,
    pub build: fn(&mut Builder),
}

/// Every phase, in tick order.
pub fn phases() -> impl Iterator<Item = Phase> {
    PLUGINS.iter().map(|p| p.phase)
}

/// A step a plugin asks to run once the firms are spawned.
pub type AfterFirms = fn(&mut World, &ValidScenario);

/// What a plugin registers into: the world being built (before its firms)
/// and the schedule, for one phase.
pub struct Builder<'a> {
    pub scenario: &'a ValidScenario,
    world: &'a mut World,
    schedule: &'a mut Schedule,
    phase: Phase,
    /// Whether this phase's systems go into the schedule.
    scheduled: bool,
    after_firms: &'a mut Vec<AfterFirms>,
}

impl Builder<'_> {
    /// The registry's names and counts (its per-firm figures come after the
    /// firms are spawned).
    pub fn registry(&self) -> &Registry {
        self.world.resource::<Registry>()
    }

    pub fn insert_resource<R: Resource>(&mut self, value: R) {
        self.world.insert_resource(value);
    }

    /// Spawns a state or policy entity (before the firms).
    pub fn spawn<B: Bundle>(&mut self, bundle: B) {
        self.world.spawn(bundle);
    }

    /// Adds systems to the plugin's phase, after those it added before.
    pub fn add_systems<M>(&mut self, systems: impl IntoScheduleConfigs<ScheduleSystem, M>) {
        if self.scheduled {
            let systems: ScheduleConfigs<ScheduleSystem> = systems.in_set(self.phase);
            self.schedule.add_systems(systems);
        }
    }

    /// Runs `f` once the firms are spawned and the registry's per-firm
    /// figures are known (for entities that depend on them, such as tracks).
    pub fn after_firms(&mut self, f: AfterFirms) {
        self.after_firms.push(f);
    }
}

/// Runs every plugin on `world`; the systems of the phases in `phases` go
/// into the returned schedule, chained in tick order. Returns the
/// after-firms steps the plugins asked for.
pub(crate) fn register(
    scenario: &ValidScenario,
    world: &mut World,
    wanted: &[Phase],
) -> (Schedule, Vec<AfterFirms>) {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    let mut after_firms = Vec::new();
    for plugin in PLUGINS {
        let mut b = Builder {
            scenario,
            world: &mut *world,
            schedule: &mut schedule,
            phase: plugin.phase,
            scheduled: wanted.contains(&plugin.phase),
            after_firms: &mut after_firms,
        };
        (plugin.build)(&mut b);
    }
    let ordered: Vec<Phase> = phases().filter(|p| wanted.contains(p)).collect();
    for pair in ordered.windows(2) {
        schedule.configure_sets(pair[0].before(pair[1]));
    }
    (schedule, after_firms)
}

/// The schedule of some phases only, in tick order, for a world already
/// built (benchmarks time each phase alone). A world ticked by it does not
/// advance its clock unless the metrics phase is among them.
pub fn schedule_of(scenario: &ValidScenario, phases: &[Phase]) -> Schedule {
    let mut scratch = World::new();
    scratch.insert_resource(scenario.registry());
    register(scenario, &mut scratch, phases).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics;
    use crate::model::Clock;
    use crate::systems::{licensing, supply};

    /// The phases are the process overview of `models/ODD.md`, each once.
    #[test]
    fn the_phases_are_the_process_overview_in_order() {
        let names: Vec<&str> = phases().map(|p| p.0).collect();
        assert_eq!(
            names,
            [
                "Events",
                "Licensing",
                "Supply",
                "Diversion",
                "Production",
                "Substitution",
                "Pressure",
                "Negotiation",
                "Metrics"
            ]
        );
    }

    /// A schedule of some phases runs those phases' systems only: the
    /// clock advances (in Metrics) only when Metrics is among them.
    #[test]
    fn a_schedule_of_some_phases_runs_only_their_systems() {
        let scenario = crate::config::load_scenario("tests/data/small.ron".as_ref()).unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap();
        let mut world = crate::build::build_world(&scenario, 1, start);
        let week = |w: &World| w.resource::<Clock>().week;
        schedule_of(&scenario, &[licensing::PHASE, supply::PHASE]).run(&mut world);
        assert_eq!(week(&world), 0);
        schedule_of(&scenario, &[metrics::PHASE]).run(&mut world);
        assert_eq!(week(&world), 1);
        let all: Vec<Phase> = phases().collect();
        schedule_of(&scenario, &all).run(&mut world);
        assert_eq!(week(&world), 2);
    }
}
