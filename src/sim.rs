//! `Simulation { world, schedule }`: the only loop.

use crate::build::build_world;
use crate::config::Scenario;
use crate::metrics::{self, Cell, Recorder, RunTotals, Table};
use crate::model::Clock;
use crate::schedule::tick_schedule;
use crate::systems::Parallel;
use bevy_ecs::prelude::*;

/// A run in progress.
pub struct Simulation {
    pub world: World,
    schedule: Schedule,
    seed: u64,
}

/// Columns of `transcript.csv`.
pub const TRANSCRIPT_COLUMNS: [&str; 10] = [
    "week",
    "date",
    "track",
    "round",
    "event",
    "actor",
    "terms",
    "u_consumer",
    "u_supplier",
    "note",
];

/// The three tables of a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTables {
    pub timeseries: Table,
    pub transcript: Table,
    pub summary: Table,
}

/// Sets up the shared worker pool (rayon's global pool) once per process.
/// `threads` = 0 means one per core. Returns whether per-firm systems
/// should split their work over it. The first call sets the pool's size
/// for the whole process; later calls only choose whether to use it.
pub fn init_threads(threads: usize) -> bool {
    let wanted = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    if wanted > 1 {
        // Fails only when the pool already exists, which is fine.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(wanted)
            .build_global();
    }
    wanted > 1
}

impl Simulation {
    /// Builds the world for a checked scenario.
    pub fn new(scenario: &Scenario, seed: u64, start: chrono::NaiveDate, threads: usize) -> Self {
        let parallel = init_threads(threads);
        let mut world = build_world(scenario, seed, start);
        world.insert_resource(Parallel(parallel));
        Simulation {
            world,
            schedule: tick_schedule(),
            seed,
        }
    }

    /// The week the next step will simulate.
    pub fn week(&self) -> u32 {
        self.world.resource::<Clock>().week
    }

    /// One tick.
    pub fn step(&mut self) {
        self.schedule.run(&mut self.world);
    }

    /// `weeks` ticks.
    pub fn run(&mut self, weeks: u32) {
        for _ in 0..weeks {
            self.step();
        }
    }

    /// The output tables so far.
    pub fn tables(&mut self) -> RunTables {
        let weeks = self.week();
        let start = self.world.resource::<Clock>().start;
        let summary = metrics::summary(&mut self.world, self.seed, weeks);
        let timeseries = self.world.resource::<Recorder>().0.clone();
        let totals = self.world.resource::<RunTotals>();
        let date = |w: u32| (start + chrono::Days::new(7 * w as u64)).to_string();
        let u = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Num);
        let transcript = Table {
            columns: TRANSCRIPT_COLUMNS.map(String::from).to_vec(),
            rows: totals
                .transcript
                .iter()
                .map(|r| {
                    vec![
                        r.week.into(),
                        date(r.week).into(),
                        r.track.as_str().into(),
                        r.round.into(),
                        r.event.into(),
                        r.actor.as_str().into(),
                        r.terms.as_str().into(),
                        u(r.u_consumer),
                        u(r.u_supplier),
                        r.note.as_str().into(),
                    ]
                })
                .collect(),
        };
        RunTables {
            timeseries,
            transcript,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FirmId;
    use bevy_ecs::resource::IsResource;

    /// Resources live on entities of their own, in sparse sets indexed by
    /// entity index: each one inserted after the firms would cost 4 bytes
    /// per firm. They must all come before the firms.
    #[test]
    fn every_resource_entity_comes_before_the_firms() {
        let scenario = crate::config::load_scenario("tests/data/small.ron".as_ref()).unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap();
        let mut sim = Simulation::new(&scenario, 1, start, 1);
        sim.run(2);
        let world = &mut sim.world;
        let resources: Vec<u32> = world
            .query_filtered::<Entity, With<IsResource>>()
            .iter(world)
            .map(|e| e.index_u32())
            .collect();
        let first_firm = world
            .query_filtered::<Entity, With<FirmId>>()
            .iter(world)
            .map(|e| e.index_u32())
            .min()
            .unwrap();
        assert!(resources.len() >= 10, "{} resources", resources.len());
        let last = *resources.iter().max().unwrap();
        assert!(
            last < first_firm,
            "a resource (entity {last}) was inserted after the firms (from {first_firm})"
        );
    }

    /// `FIRM_COMPONENT_BYTES` counts every component a firm has.
    #[test]
    fn firm_component_bytes_cover_every_component_of_a_firm() {
        let scenario = crate::config::load_scenario("tests/data/small.ron".as_ref()).unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap();
        let mut sim = Simulation::new(&scenario, 1, start, 1);
        let world = &mut sim.world;
        let firms: Vec<Entity> = world
            .query_filtered::<Entity, With<FirmId>>()
            .iter(world)
            .collect();
        for e in firms {
            let bytes: usize = world
                .inspect_entity(e)
                .unwrap()
                .map(|(_, info)| info.layout().size())
                .sum();
            assert_eq!(bytes, crate::model::FIRM_COMPONENT_BYTES);
        }
    }
}
