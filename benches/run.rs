//! Criterion benchmarks of whole runs. The world is built outside the timed
//! loop where the benchmark is about ticking.

use chokepoint::config::{RunOverrides, resolve_run};
use chokepoint::sim::Simulation;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn baseline(c: &mut Criterion) {
    let run = resolve_run("configs/baseline.ron".as_ref(), &RunOverrides::default())
        .expect("baseline resolves");
    let start = chrono::NaiveDate::parse_from_str(&run.run.start_date, "%Y-%m-%d").unwrap();
    let mut group = c.benchmark_group("baseline");
    group.sample_size(20);
    group.bench_function("build_and_run_104_weeks", |b| {
        b.iter(|| {
            let mut sim = Simulation::new(&run.scenario, run.run.seed, start, 1);
            sim.run(104);
            black_box(sim.tables())
        })
    });
    group.bench_function("one_tick_after_warmup", |b| {
        b.iter_batched_ref(
            || {
                let mut sim = Simulation::new(&run.scenario, run.run.seed, start, 1);
                sim.run(10);
                sim
            },
            |sim| sim.step(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
