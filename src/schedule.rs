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
use crate::schema::{Layout, Schema};
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

/// The `n`-th `add_systems` call of a plugin within its phase: the calls
/// are chained in the order they were made.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Step(&'static str, u32);

/// A module's plugin: the phase it owns, the function that registers it,
/// and the function that declares the output columns it produces (see
/// `crate::schema`).
#[derive(Clone, Copy)]
pub struct Plugin {
    pub phase: Phase,
    pub build: fn(&mut Builder),
    pub columns: fn(&Layout, &mut Schema),
}

/// The `columns` of a plugin that produces none.
pub fn no_columns(_: &Layout, _: &mut Schema) {}

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
    /// `add_systems` calls so far.
    steps: u32,
    after_firms: &'a mut Vec<AfterFirms>,
}

impl Builder<'_> {
    /// The registry's names and counts. Its per-firm figures
    /// (`baseline_imports`, `has_military`, `military_demand`) are still 0:
    /// a plugin that needs them reads them in an `after_firms` step.
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

    /// Adds systems to the plugin's phase, to run after those it added
    /// before (systems given together run in no set order: chain them).
    pub fn add_systems<M>(&mut self, systems: impl IntoScheduleConfigs<ScheduleSystem, M>) {
        if !self.scheduled {
            return;
        }
        let step = Step(self.phase.0, self.steps);
        let systems: ScheduleConfigs<ScheduleSystem> = systems.in_set(self.phase).in_set(step);
        self.schedule.add_systems(systems);
        if let Some(before) = self.steps.checked_sub(1) {
            self.schedule
                .configure_sets(Step(self.phase.0, before).before(step));
        }
        self.steps += 1;
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
            steps: 0,
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

    /// The phases are those of the process overview of `models/ODD.md`
    /// (the phase column of section 3's table), in its order, each once.
    #[test]
    fn the_phases_are_the_process_overview_in_order() {
        let odd = std::fs::read_to_string("models/ODD.md").unwrap();
        let section = odd
            .split("\n## ")
            .find(|s| s.starts_with("3 "))
            .expect("ODD.md has a section 3");
        let documented: Vec<&str> = section
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                // | # | phase | systems | what happens |
                (cells.len() > 3 && cells[1].parse::<u32>().is_ok()).then(|| cells[2])
            })
            .collect();
        let names: Vec<&str> = phases().map(|p| p.0).collect();
        assert_eq!(names, documented);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a phase name is used twice");
    }

    /// Systems a plugin adds in several calls run in the order of the calls.
    #[test]
    fn a_plugins_systems_run_in_the_order_it_added_them() {
        #[derive(Resource, Default)]
        struct Ran(Vec<char>);
        let scenario = crate::config::load_scenario("tests/data/small.ron".as_ref()).unwrap();
        let (mut world, mut schedule) = (World::new(), Schedule::default());
        world.init_resource::<Ran>();
        schedule.set_executor(SingleThreadedExecutor::new());
        let mut after_firms = Vec::new();
        let mut b = Builder {
            scenario: &scenario,
            world: &mut world,
            schedule: &mut schedule,
            phase: Phase("Test"),
            scheduled: true,
            steps: 0,
            after_firms: &mut after_firms,
        };
        b.add_systems(|mut r: ResMut<Ran>| r.0.push('c'));
        b.add_systems(|mut r: ResMut<Ran>| r.0.push('b'));
        b.add_systems(
            (
                (|mut r: ResMut<Ran>| r.0.push('a')),
                |mut r: ResMut<Ran>| r.0.push('z'),
            )
                .chain(),
        );
        schedule.run(&mut world);
        assert_eq!(world.resource::<Ran>().0, ['c', 'b', 'a', 'z']);
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
