//! Criterion benchmarks of the model's speed, from a thousand to a million
//! firms. BENCHMARKS.md states the results and the targets.
//!
//! ```text
//! cargo bench --bench scale                 # everything (about 15 minutes)
//! cargo bench --bench scale -- tick/        # one group
//! cargo bench --bench scale -- report/      # chokepoint report (about a minute)
//! ```
//!
//! Worlds are the baseline scenario with its generated populations scaled
//! (`population_scale`), seed 1, built and warmed (10 weeks) outside the
//! timed loop. "2 threads" is a run's own pool of 2 threads
//! (`sim::thread_pool(2)`), "1 thread" runs every system on the calling
//! thread.

use chokepoint::config::{ResolvedRun, RunOverrides, resolve_run};
use chokepoint::metrics::Recorder;
use chokepoint::model::{Clock, FirmId};
use chokepoint::schedule::{self, schedule_of};
use chokepoint::sim::{Simulation, run_scenario, thread_pool};
use chokepoint::soa::SoaFirms;
use chokepoint::sweep;
use chokepoint::systems::{licensing, production, supply};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Nominal sizes and their labels.
const SIZES: [(&str, usize); 4] = [
    ("1e3", 1_000),
    ("1e4", 10_000),
    ("1e5", 100_000),
    ("1e6", 1_000_000),
];
/// Weeks run before timing: the export stop and the first licences.
const WARM_WEEKS: u32 = 10;
/// Weeks a warmed world is ticked before a fresh one is built, so that
/// timed ticks stay within the baseline's first year.
const WINDOW: u64 = 52;

/// The baseline with about `firms` firms, resolved.
fn baseline_run(firms: usize) -> ResolvedRun {
    // 9,500 generated firms at scale 1, plus 5 named firms.
    let scale = (firms as f64 - 5.0) / 9_500.0;
    let overrides = RunOverrides {
        set: vec![format!("population_scale={scale}")],
        ..Default::default()
    };
    resolve_run("configs/baseline.ron".as_ref(), &overrides).expect("baseline resolves")
}

/// The baseline with about `firms` firms, built and warmed, on a pool of
/// `threads` threads (none for 1).
fn world(firms: usize, threads: usize) -> Simulation {
    let run = baseline_run(firms);
    let pool = thread_pool(threads).expect("a thread pool");
    let mut sim = Simulation::new(&run.scenario, run.run.seed, run.horizon.start(), pool);
    sim.run(WARM_WEEKS);
    sim
}

fn firm_count(sim: &mut Simulation) -> u64 {
    sim.world.query::<&FirmId>().iter(&sim.world).count() as u64
}

/// Times `iters` whole ticks, `WINDOW` at a time on a freshly warmed world.
fn time_ticks(firms: usize, threads: usize, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let mut sim = world(firms, threads);
        let n = left.min(WINDOW);
        let t = Instant::now();
        for _ in 0..n {
            sim.step();
        }
        total += t.elapsed();
        left -= n;
    }
    total
}

/// One tick of the whole schedule at each size.
fn tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("tick");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    for (label, firms) in SIZES {
        let actual = firm_count(&mut world(firms, 2));
        group.throughput(Throughput::Elements(actual));
        group.measurement_time(Duration::from_secs(if firms >= 1_000_000 { 20 } else { 5 }));
        for threads in [1, 2] {
            group.bench_with_input(
                BenchmarkId::new(format!("{threads}_thread"), label),
                &firms,
                |b, &firms| b.iter_custom(|iters| time_ticks(firms, threads, iters)),
            );
        }
    }
    group.finish();
}

/// Each phase alone at a million firms, 2 threads, on one warmed world.
/// The Metrics phase appends a row and advances the clock: both are undone
/// outside the timed part.
fn phases(c: &mut Criterion) {
    let mut sim = world(1_000_000, 2);
    let actual = firm_count(&mut sim);
    let mut group = c.benchmark_group("phase_1e6");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(actual));
    let scenario = baseline_run(1_000_000).scenario;
    for phase in schedule::phases() {
        let mut schedule = schedule_of(&scenario, &[phase]);
        group.bench_function(format!("{phase:?}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (week, rows) = (sim.week(), sim.world.resource::<Recorder>().0.len());
                    let t = Instant::now();
                    sim.run_schedule(&mut schedule);
                    total += t.elapsed();
                    sim.world.resource_mut::<Clock>().week = week;
                    sim.world.resource_mut::<Recorder>().0.truncate(rows);
                }
                total
            })
        });
    }
    group.finish();
}

/// The plain-Rust struct-of-arrays reference against the ECS, at a million
/// firms: the same three phases (licensing, supply, production) in both,
/// and the ECS's whole tick.
fn reference(c: &mut Criterion) {
    let mut sim = world(1_000_000, 2);
    let actual = firm_count(&mut sim);
    let mut group = c.benchmark_group("reference_1e6");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(actual));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a thread pool");
    for (name, parallel) in [("soa_rayon_2_threads", true), ("soa_1_thread", false)] {
        let mut soa = SoaFirms::from_world(&mut sim.world, parallel);
        group.bench_function(name, |b| b.iter(|| pool.install(|| soa.tick())));
    }
    let scenario = baseline_run(1_000_000).scenario;
    let three = [licensing::PHASE, supply::PHASE, production::PHASE];
    let mut three = schedule_of(&scenario, &three);
    group.bench_function("ecs_licensing_supply_production_2_threads", |b| {
        b.iter(|| sim.run_schedule(&mut three))
    });
    drop(sim);
    group.bench_function("ecs_whole_tick_2_threads", |b| {
        b.iter_custom(|iters| time_ticks(1_000_000, 2, iters))
    });
    group.finish();
}

/// The whole baseline (9,505 firms, 104 weeks), world building included.
fn baseline(c: &mut Criterion) {
    let run = resolve_run("configs/baseline.ron".as_ref(), &RunOverrides::default())
        .expect("baseline resolves");
    let mut group = c.benchmark_group("baseline");
    group.sample_size(20).throughput(Throughput::Elements(1));
    for threads in [1, 2] {
        group.bench_function(format!("run_104_weeks_{threads}_thread"), |b| {
            let pool = thread_pool(threads).expect("a thread pool");
            b.iter(|| {
                black_box(run_scenario(
                    &run.scenario,
                    run.run.seed,
                    run.horizon,
                    pool.clone(),
                ))
            })
        });
    }
    group.finish();
}

/// A 100-run sweep of the baseline (benches/sweep_100.ron), output written
/// and merged, with 1 and 2 worker threads. Throughput is in runs.
fn sweep_100(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut group = c.benchmark_group("sweep_100");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(100));
    let mut n = 0;
    for jobs in [1, 2] {
        group.bench_function(format!("{jobs}_thread"), |b| {
            b.iter(|| {
                n += 1;
                let out = dir.path().join(format!("sweep_{n}"));
                let p = sweep::prepare("benches/sweep_100.ron".as_ref(), Some(&out))
                    .expect("sweep prepares");
                let options = sweep::SweepOptions {
                    jobs: Some(jobs),
                    shard: sweep::Shard::ALL,
                    resume: false,
                    stop: None,
                };
                let report = sweep::run_sweep(&p, &options, &mut |_| {}).expect("sweep runs");
                assert_eq!(report.failed, 0);
                std::fs::remove_dir_all(&out).ok();
            })
        });
    }
    group.finish();
}

/// `chokepoint report` on the baseline run's folder (HTML only, and with
/// every figure also as SVG and PNG) and on a merged 100-run sweep
/// (`benches/sweep_100.ron`, written once before timing).
fn report(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let run_dir = dir.path().join("baseline");
    let overrides = RunOverrides {
        out: Some(run_dir.clone()),
        ..RunOverrides::default()
    };
    chokepoint::run_config("configs/baseline.ron".as_ref(), &overrides).expect("baseline runs");
    let sweep_dir = dir.path().join("sweep_100");
    let p = sweep::prepare("benches/sweep_100.ron".as_ref(), Some(&sweep_dir)).expect("prepares");
    let options = sweep::SweepOptions {
        jobs: None,
        shard: sweep::Shard::ALL,
        resume: false,
        stop: None,
    };
    sweep::run_sweep(&p, &options, &mut |_| {}).expect("sweep runs");
    let html = dir.path().join("report.html");
    let figures = dir.path().join("figures");
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("baseline_html", |b| {
        b.iter(|| chokepoint::report::report(&run_dir, Some(&html), None).expect("report"))
    });
    group.bench_function("baseline_html_svg_png", |b| {
        b.iter(|| {
            chokepoint::report::report(&run_dir, Some(&html), Some(&figures)).expect("report")
        })
    });
    group.bench_function("sweep_100_html", |b| {
        b.iter(|| chokepoint::report::report(&sweep_dir, Some(&html), None).expect("report"))
    });
    group.finish();
}

criterion_group!(
    benches, tick, phases, reference, baseline, sweep_100, report
);
criterion_main!(benches);
