//! Same config and seed: byte-identical output, at any thread count.
//! Another seed: different results.

use crate::common::*;

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let config = config.to_str().unwrap();
    for (out, seed) in [("a", "3"), ("b", "3"), ("c", "4")] {
        let o = chokepoint(tmp.path(), &["run", config, "--seed", seed, "--out", out]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let a = read_outputs(&tmp.path().join("a"));
    let b = read_outputs(&tmp.path().join("b"));
    let c = read_outputs(&tmp.path().join("c"));
    assert_eq!(a, b, "same seed, same bytes");
    let differs =
        |f: &str| a.iter().find(|x| x.0 == f).unwrap().1 != c.iter().find(|x| x.0 == f).unwrap().1;
    assert!(
        differs("timeseries.csv"),
        "another seed changes the time series"
    );
    assert!(differs("summary.csv"), "another seed changes the summary");
}

/// The small scenario scaled to about 23,000 firms: several chunks of
/// `chokepoint::par::CHUNK`, above `PARALLEL_MIN`, so the work really is split.
const SCALE: f64 = 100.0;

#[test]
fn one_and_several_threads_give_identical_tables() {
    let mut scenario = small_scenario();
    scenario.population_scale = SCALE;
    let mut one = crate::common::simulation(&scenario, 11, 1);
    let mut two = crate::common::simulation(&scenario, 11, 2);
    let mut four = crate::common::simulation(&scenario, 11, 4);
    let firms = one
        .world
        .query::<&chokepoint::model::FirmId>()
        .iter(&one.world)
        .count();
    assert!(firms > chokepoint::par::PARALLEL_MIN, "{firms} firms");
    // Each runs on a pool of its own size (`sim::thread_pool`).
    for sim in [&mut one, &mut two, &mut four] {
        sim.run(40);
    }
    let t1 = one.tables();
    assert_eq!(t1, two.tables());
    assert_eq!(t1, four.tables());
}

#[test]
fn thread_count_does_not_change_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let config = data("small_run.ron");
    let config = config.to_str().unwrap();
    for (out, threads) in [("t1", "1"), ("t2", "2")] {
        let o = chokepoint(
            tmp.path(),
            &[
                "run",
                config,
                "--threads",
                threads,
                "--set",
                &format!("population_scale={SCALE}"),
                "--out",
                out,
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(
        read_outputs(&tmp.path().join("t1")),
        read_outputs(&tmp.path().join("t2"))
    );
}

/// The library can be called again and again in one process: one validated
/// scenario, run many times in turn on pools of different sizes (and on
/// none), gives the same tables every time, and the process's global rayon
/// pool is never built by the library.
#[test]
fn one_process_runs_a_scenario_again_and_again_on_any_pool() {
    use chokepoint::config::{Horizon, ValidScenario};
    use chokepoint::sim::{run_scenario, thread_pool};
    let mut scenario = small_scenario();
    scenario.population_scale = SCALE;
    let scenario = ValidScenario::check(scenario).unwrap();
    assert!(scenario.firm_count() > chokepoint::par::PARALLEL_MIN);
    let horizon = Horizon::new(start(), 30).unwrap();
    let first = run_scenario(&scenario, 5, horizon, None);
    for threads in [2, 1, 3, 2, 4, 1, 2] {
        let pool = thread_pool(threads).unwrap();
        assert_eq!(
            pool.as_ref().map_or(1, |p| p.current_num_threads()),
            threads
        );
        let tables = run_scenario(&scenario, 5, horizon, pool);
        assert!(tables == first, "{threads} thread(s): other tables");
    }
    // Another seed, on the same process, gives other tables.
    assert_ne!(run_scenario(&scenario, 6, horizon, None), first);
    // Nothing has built rayon's global pool (only a caller may).
    assert!(
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global()
            .is_ok(),
        "the library built rayon's global pool"
    );
}
