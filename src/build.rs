//! Validated scenario + seed -> World and Schedule: the core resources and
//! the states, then every plugin's resources, entities and systems
//! (`schedule::PLUGINS`), then the firms (named and drawn from the
//! populations' distributions), their tier-1 links and the registry's
//! per-firm figures, then what plugins asked to do after the firms.

use crate::config::{PopulationSpec, ValidScenario};
use crate::model::dist::Sampler;
use crate::model::*;
use crate::rng::{self, Stream};
use crate::schedule::{self, Phase};
use bevy_ecs::prelude::*;
use rand::RngExt;

/// A firm before it is spawned.
struct Proto {
    kind: FirmKind,
    params: FirmParams,
    inventory: f64,
    adapt: u16,
}

/// The draws of one generated population.
struct PopulationDraws<'a> {
    kind: FirmKind,
    adapt: u16,
    count: usize,
    /// capacity, intensity, supplier share, inventory weeks, jobs,
    /// political weight, diversion propensity.
    samplers: &'a [Sampler; 7],
    rng: rand_pcg::Pcg64Mcg,
}

impl PopulationDraws<'_> {
    fn draw(&mut self) -> Proto {
        let g = &mut self.rng;
        let [cap, int, share, inv, jobs, weight, div] = self.samplers;
        let params = FirmParams {
            capacity: cap.sample(g).max(0.0) as f32,
            intensity: int.sample(g).max(0.0) as f32,
            supplier_share: share.sample(g).clamp(0.0, 1.0) as f32,
            target_weeks: inv.sample(g).max(0.0) as f32,
            jobs: jobs.sample(g).max(0.0) as f32,
            political_weight: weight.sample(g).max(0.0) as f32,
            diversion: div.sample(g).clamp(0.0, 1.0) as f32,
        };
        let params = FirmParams {
            diversion: if self.kind.end_use == EndUse::DualUse {
                params.diversion
            } else {
                0.0
            },
            ..params
        };
        Proto {
            kind: self.kind,
            inventory: params.demand() * params.target_weeks as f64,
            params,
            adapt: self.adapt,
        }
    }
}

/// An iterator of known length, so that `spawn_batch` reserves the tables
/// once, at their final size.
struct ExactLen<I> {
    inner: I,
    left: usize,
}

impl<I: Iterator> Iterator for ExactLen<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.left -= 1;
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Builds the world of a run and the schedule of the phases in `phases`
/// (every phase: `schedule::phases()`).
pub fn build(
    s: &ValidScenario,
    seed: u64,
    start: chrono::NaiveDate,
    phases: &[Phase],
) -> (World, Schedule) {
    let mut world = World::new();
    // Resources first. In bevy_ecs 0.20 a resource is a component of an
    // entity of its own, kept in a sparse set indexed by entity index: a
    // resource inserted after a million firms costs 4 MB. Inserted before
    // them it costs a few bytes; the registry's per-firm figures and the
    // links are filled in below.
    world.insert_resource(s.registry());
    world.insert_resource(Clock { week: 0, start });
    world.insert_resource(Seed(seed));
    world.insert_resource(Settings {
        supply: s.supply.clone(),
        negotiation: s.negotiation.clone(),
    });
    world.insert_resource(Links::default());
    world.insert_resource(crate::systems::Parallel(false));
    world.insert_resource(crate::schema::Schema::of(s));
    world.insert_resource(crate::schema::Policies::default());
    // Made by a schedule's first run.
    world.init_resource::<bevy_ecs::schedule::Schedules>();
    let ns = s.states.len();
    for (i, st) in s.states.iter().enumerate() {
        let trust = (0..ns)
            .map(|j| if j == i { 1.0 } else { st.initial_trust })
            .collect();
        world.spawn((
            StateAgent {
                ix: i as StateIx,
                code: st.code.clone(),
            },
            Prefs(st.preferences.clone()),
            Resolve::draw(
                &st.resolve,
                crate::rng::uniform(seed, crate::rng::Stream::Resolve, i as u64, 0),
                s.negotiation.belief_types,
            ),
            PressureWeights(st.pressure.clone()),
            Pressure::default(),
            Trust(trust),
        ));
    }
    let (schedule, after_firms) = schedule::register(s, &mut world, phases);
    spawn_firms(&mut world, s, seed);
    for f in after_firms {
        f(&mut world, s);
    }
    let layout = world.resource::<crate::schema::Schema>().layout.clone();
    let policies = crate::schema::Policies::find(&mut world, &layout);
    world.insert_resource(policies);
    (world, schedule)
}

/// Builds the world of a run, with no schedule.
pub fn build_world(s: &ValidScenario, seed: u64, start: chrono::NaiveDate) -> World {
    build(s, seed, start, &[]).0
}

/// Spawns the named firms and the populations in one batch, fills the
/// registry's per-firm figures and links the tier-1 suppliers to their
/// customers.
fn spawn_firms(world: &mut World, s: &ValidScenario, seed: u64) {
    let population_ranges = spawn_batch(world, s, seed);
    let (customers, linkable) = tally_firms(world, s);
    link_tier1(world, s, seed, &population_ranges, customers, &linkable);
}

/// Spawns every firm in one batch; returns each population's range of firm ids.
fn spawn_batch(world: &mut World, s: &ValidScenario, seed: u64) -> Vec<std::ops::Range<usize>> {
    let firms = s.firms.iter().map(|f| Proto {
        kind: f.kind,
        inventory: f.params.demand() * f.inventory_weeks,
        params: f.params,
        adapt: f.adapt,
    });
    // Generated firms are drawn as they are spawned (no list of a million
    // firms next to the tables): one stream per population, in file order.
    let mut population_ranges = Vec::new();
    let mut generators = Vec::new();
    let mut next = s.firms.len();
    for (p_ix, p) in s.populations.iter().enumerate() {
        population_ranges.push(next..next + p.count);
        next += p.count;
        generators.push(PopulationDraws {
            kind: p.kind,
            adapt: p.adapt,
            count: p.count,
            samplers: &p.samplers,
            rng: rng::generator(seed, Stream::Population, p_ix as u64),
        });
    }
    let n = next;
    let generated = generators
        .into_iter()
        .flat_map(|mut p| (0..p.count).map(move |_| p.draw()));
    let all = ExactLen {
        inner: firms.chain(generated),
        left: n,
    };
    world.spawn_batch(all.enumerate().map(|(i, f)| {
        (
            FirmId(i as u32),
            f.kind,
            f.params,
            Stock {
                inventory: f.inventory,
            },
            Licence::None,
            Flow::default(),
            Production {
                utilization: 1.0,
                ..Default::default()
            },
            Tier1::default(),
            Adapt::new(f.adapt, f.kind.home),
        )
    }));
    population_ranges
}

/// Customers of each supplying population, as (firm, capacity) by id.
type Customers = Vec<Vec<(u32, f64)>>;

/// One pass over the firms in `FirmId` order: the registry's per-firm
/// figures, each supplying population's customers, and the firms that may
/// get tier-1 links (named firms and customers), by id.
fn tally_firms(world: &mut World, s: &ValidScenario) -> (Customers, Vec<(u32, Entity)>) {
    let mut registry = world.resource::<Registry>().clone();
    let mut query = world.query::<(Entity, &FirmId, &FirmKind, &FirmParams)>();
    // Customers of each supplying population: (firm, capacity).
    let mut customers: Vec<Vec<(u32, f64)>> = vec![Vec::new(); s.populations.len()];
    // Firms that may get tier-1 links (named firms and customers), by id.
    let mut linkable: Vec<(u32, Entity)> = Vec::new();
    // Query order is spawn order: the sums below are the same every run.
    let buyers: Vec<Option<GroupIx>> = s
        .populations
        .iter()
        .map(|p: &PopulationSpec| p.supplies.and_then(|(group, _)| group))
        .collect();
    for (entity, id, kind, params) in query.iter(world) {
        let mut customer = (id.0 as usize) < s.firms.len();
        for (p_ix, buyer) in buyers.iter().enumerate() {
            if *buyer == Some(kind.group) {
                customers[p_ix].push((id.0, params.capacity.max(1e-9) as f64));
                customer = true;
            }
        }
        if customer {
            linkable.push((id.0, entity));
        }
        let (h, m) = (kind.home as usize, kind.material as usize);
        if kind.home != kind.supplier {
            registry.baseline_imports[m][h] += params.supplier_share as f64 * params.demand();
        }
        if kind.end_use == EndUse::Military {
            registry.has_military[h][m] = true;
            registry.military_demand[h][m] += params.demand();
            registry.military_capacity[h][m] += params.capacity as f64;
        }
    }
    for c in &mut customers {
        c.sort_unstable_by_key(|&(id, _)| id);
    }
    linkable.sort_unstable_by_key(|&(id, _)| id);
    world.insert_resource(registry);
    (customers, linkable)
}

/// Draws the tier-1 links, sorts them into one range per customer (its
/// `Tier1`) and inserts them as `Links`.
fn link_tier1(
    world: &mut World,
    s: &ValidScenario,
    seed: u64,
    population_ranges: &[std::ops::Range<usize>],
    customers: Customers,
    linkable: &[(u32, Entity)],
) {
    // (customer, part, supplier)
    let mut links: Vec<(u32, u32, u32)> = Vec::new();
    for (i, f) in s.firms.iter().enumerate() {
        for (k, &j) in f.tier1.iter().enumerate() {
            links.push((i as u32, k as u32, j));
        }
    }
    for (p_ix, p) in s.populations.iter().enumerate() {
        let Some((_, parts)) = p.supplies else {
            continue;
        };
        let customers = &customers[p_ix];
        if customers.is_empty() {
            continue;
        }
        let mut cumulative = Vec::with_capacity(customers.len());
        let mut total = 0.0;
        for &(_, capacity) in customers {
            total += capacity;
            cumulative.push(total);
        }
        let mut g = rng::generator(seed, Stream::Links, p_ix as u64);
        for supplier in population_ranges[p_ix].clone() {
            let u: f64 = g.random::<f64>() * total;
            let c = customers[cumulative
                .partition_point(|&x| x <= u)
                .min(customers.len() - 1)]
            .0;
            let part = g.random_range(0..parts);
            links.push((c, ((p_ix as u32 + 1) << 16) | part, supplier as u32));
        }
    }
    drop(customers);
    links.sort_unstable();
    // One range of the sorted links per customer.
    let mut start = 0;
    for group in links.chunk_by(|a, b| a.0 == b.0) {
        let customer = group[0].0;
        let ix = linkable
            .binary_search_by_key(&customer, |&(id, _)| id)
            .expect("links go to linkable firms");
        *world
            .get_mut::<Tier1>(linkable[ix].1)
            .expect("every firm has a Tier1") = Tier1 {
            start,
            len: group.len() as u32,
        };
        start += group.len() as u32;
    }
    let table = Links {
        supplier: links.iter().map(|l| l.2).collect(),
        part: links.iter().map(|l| l.1).collect(),
    };
    drop(links);
    world.insert_resource(table);
}
