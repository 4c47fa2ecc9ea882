//! `Simulation { world, schedule }`: the only loop.

use crate::config::{Horizon, ValidScenario};
use crate::error::{Error, Result};
use crate::metrics::{self, Cell, Recorder, RunTotals, Table};
use crate::model::Clock;
use crate::systems::Parallel;
use crate::systems::negotiate;
use bevy_ecs::prelude::*;
use std::sync::Arc;

/// A run in progress.
pub struct Simulation {
    pub world: World,
    schedule: Schedule,
    /// The run's worker threads; `None`: every system on the calling thread.
    pool: Option<Arc<rayon::ThreadPool>>,
}

/// The tables of a finished run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTables {
    pub timeseries: Table,
    pub transcript: Table,
    /// The transcript's terms, long: one row per move and issue.
    pub terms: Table,
    pub summary: Table,
}

/// A pool of worker threads for a run: `threads` of them (0 = one per
/// core), or `None` for one thread, which runs every system on the calling
/// thread. Each call makes its own pool; the library never sizes or uses
/// rayon's global pool.
pub fn thread_pool(threads: usize) -> Result<Option<Arc<rayon::ThreadPool>>> {
    let wanted = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    if wanted <= 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(wanted)
        .thread_name(|i| format!("chokepoint-run-{i}"))
        .build()
        .map(|pool| Some(Arc::new(pool)))
        .map_err(|e| Error::Output(format!("cannot start {wanted} worker threads: {e}")))
}

/// Runs a validated scenario over `horizon` with `seed`, on `pool`, and
/// returns the run's tables in memory. `chokepoint run` and every run of a
/// sweep go through it; the tables do not depend on the pool.
pub fn run_scenario(
    scenario: &ValidScenario,
    seed: u64,
    horizon: Horizon,
    pool: Option<Arc<rayon::ThreadPool>>,
) -> RunTables {
    run_scenario_until(scenario, seed, horizon, pool, &|| false)
        .expect("a run that is never stopped ends")
}

/// `run_scenario`, asking `stop` before each week: `None` when it said
/// yes (the run is dropped, unfinished). A sweep's runs and the Python
/// package's go through it, so that Ctrl-C stops them between two weeks.
pub fn run_scenario_until(
    scenario: &ValidScenario,
    seed: u64,
    horizon: Horizon,
    pool: Option<Arc<rayon::ThreadPool>>,
    stop: &dyn Fn() -> bool,
) -> Option<RunTables> {
    let mut sim = Simulation::new(scenario, seed, horizon.start(), pool);
    for _ in 0..horizon.weeks() {
        if stop() {
            return None;
        }
        sim.step();
    }
    Some(sim.tables())
}

/// Runs `schedule` once on `world`, inside `pool` when there is one (the
/// per-firm systems then split their work over its threads).
fn run_on(pool: Option<&rayon::ThreadPool>, schedule: &mut Schedule, world: &mut World) {
    match pool {
        Some(pool) => pool.install(|| schedule.run(world)),
        None => schedule.run(world),
    }
}

impl Simulation {
    /// Builds the world and the whole tick for a validated scenario. Per-firm
    /// systems split their work over `pool` when there is one.
    pub fn new(
        scenario: &ValidScenario,
        seed: u64,
        start: chrono::NaiveDate,
        pool: Option<Arc<rayon::ThreadPool>>,
    ) -> Self {
        let phases: Vec<_> = crate::schedule::phases().collect();
        let (mut world, schedule) = crate::build::build(scenario, seed, start, &phases);
        world.insert_resource(Parallel(pool.is_some()));
        Simulation {
            world,
            schedule,
            pool,
        }
    }

    /// Runs `schedule` (for instance some phases only, `schedule::schedule_of`)
    /// once on this world, on the run's pool.
    pub fn run_schedule(&mut self, schedule: &mut Schedule) {
        run_on(self.pool.as_deref(), schedule, &mut self.world);
    }

    /// The week the next step will simulate.
    pub fn week(&self) -> u32 {
        self.world.resource::<Clock>().week
    }

    /// One tick.
    pub fn step(&mut self) {
        run_on(self.pool.as_deref(), &mut self.schedule, &mut self.world);
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
        debug_assert_eq!(weeks, self.world.resource::<Clock>().week);
        let summary = metrics::summary(&self.world);
        let mut timeseries = self
            .world
            .resource::<crate::schema::Schema>()
            .timeseries
            .table();
        timeseries.rows = self.world.resource::<Recorder>().0.clone();
        let totals = self.world.resource::<RunTotals>();
        let date = |w: u32| crate::model::week_date(start, w).to_string();
        let u = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Num);
        let transcript = Table {
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
                        crate::negotiation::packed(&r.terms).into(),
                        u(r.u_consumer),
                        u(r.u_supplier),
                        u(r.why.map(|w| w.reservation)),
                        u(r.why.and_then(|w| w.belief).map(|b| b.0)),
                        u(r.why.and_then(|w| w.belief).map(|b| b.1)),
                        u(r.why.map(|w| w.expected)),
                        r.note.as_str().into(),
                    ]
                })
                .collect(),
            ..crate::schema::table(&negotiate::transcript_columns())
        };
        let terms = Table {
            rows: totals
                .transcript
                .iter()
                .flat_map(|r| {
                    r.terms.iter().map(|t| {
                        vec![
                            r.week.into(),
                            r.track.as_str().into(),
                            r.round.into(),
                            r.event.into(),
                            r.actor.as_str().into(),
                            t.issue.as_str().into(),
                            t.value.into(),
                            t.unit.into(),
                        ]
                    })
                })
                .collect(),
            ..crate::schema::table(&negotiate::terms_columns())
        };
        RunTables {
            timeseries,
            transcript,
            terms,
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
        let mut sim = Simulation::new(&scenario, 1, start, None);
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
        let mut sim = Simulation::new(&scenario, 1, start, None);
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
