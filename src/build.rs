//! Scenario + seed -> World: states, policies, firms (named and drawn from
//! the populations' distributions), tier-1 links, tracks and resources.

use crate::config::{EndUse, Scenario};
use crate::metrics::{Recorder, RunTotals, WeekStats};
use crate::model::dist::Sampler;
use crate::model::*;
use crate::negotiation::AlternatingOffers;
use crate::rng::{self, Stream};
use bevy_ecs::prelude::*;
use rand::RngExt;

/// A firm before it is spawned.
struct Proto {
    kind: FirmKind,
    params: FirmParams,
    inventory: f64,
}

/// The draws of one generated population.
struct PopulationDraws {
    kind: FirmKind,
    count: usize,
    /// capacity, intensity, supplier share, inventory weeks, jobs,
    /// political weight, diversion propensity.
    samplers: [Sampler; 7],
    rng: rand_pcg::Pcg64Mcg,
}

impl PopulationDraws {
    fn draw(&mut self) -> Proto {
        let g = &mut self.rng;
        let [cap, int, share, inv, jobs, weight, div] = &self.samplers;
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

/// Builds the world of a run. The scenario must have passed
/// `config::check_scenario`.
pub fn build_world(s: &Scenario, seed: u64, start: chrono::NaiveDate) -> World {
    let mut world = World::new();
    // Resources first. In bevy_ecs 0.20 a resource is a component of an
    // entity of its own, kept in a sparse set indexed by entity index: a
    // resource inserted after a million firms costs 4 MB. Inserted before
    // them it costs a few bytes; the values are replaced below.
    world.insert_resource(WeekStats::default());
    world.insert_resource(RunTotals::default());
    world.insert_resource(Pools::default());
    world.insert_resource(Registry::default());
    world.insert_resource(Clock { week: 0, start });
    world.insert_resource(Seed(seed));
    world.insert_resource(Settings {
        supply: s.supply.clone(),
        negotiation: s.negotiation.clone(),
    });
    world.insert_resource(crate::systems::events::Timeline(s.timeline.clone()));
    world.insert_resource(Links::default());
    world.insert_resource(Utilization::default());
    world.insert_resource(LicensingView::default());
    world.insert_resource(ActiveProtocol(match s.negotiation.protocol {
        crate::config::ProtocolKind::AlternatingOffers => Box::new(AlternatingOffers),
    }));
    world.insert_resource(Recorder::default());
    world.insert_resource(crate::systems::Parallel(false));
    // Made by a schedule's first run.
    world.init_resource::<bevy_ecs::schedule::Schedules>();
    let states: Vec<String> = s.states.iter().map(|st| st.code.clone()).collect();
    let state_ix = |code: &str| {
        states
            .iter()
            .position(|c| c == code)
            .expect("checked state") as StateIx
    };
    let materials: Vec<MaterialInfo> = s
        .materials
        .iter()
        .map(|m| MaterialInfo {
            id: m.id.clone(),
            supplier: state_ix(&m.supplier),
            price: m.price_per_unit,
        })
        .collect();
    let material_ix = |id: &str| {
        materials
            .iter()
            .position(|m| m.id == id)
            .expect("checked material") as MaterialIx
    };

    // ---- firms
    let mut groups: Vec<Group> = Vec::new();
    let mut group_ix = |home: StateIx, sector: &str| -> GroupIx {
        if let Some(i) = groups
            .iter()
            .position(|g| g.home == home && g.sector == sector)
        {
            return i as GroupIx;
        }
        groups.push(Group {
            home,
            sector: sector.to_string(),
        });
        (groups.len() - 1) as GroupIx
    };
    let mut firms: Vec<Proto> = Vec::new();
    for f in &s.firms {
        let (home, material) = (state_ix(&f.home), material_ix(&f.material));
        let params = FirmParams {
            capacity: f.capacity as f32,
            intensity: f.intensity as f32,
            supplier_share: f.supplier_share as f32,
            target_weeks: f.inventory_weeks as f32,
            jobs: f.jobs as f32,
            political_weight: f.political_weight as f32,
            diversion: if f.end_use == EndUse::DualUse {
                f.diversion_propensity as f32
            } else {
                0.0
            },
        };
        firms.push(Proto {
            kind: FirmKind {
                home,
                material,
                supplier: materials[material as usize].supplier,
                end_use: f.end_use,
                group: group_ix(home, &f.sector),
            },
            inventory: params.demand() * f.inventory_weeks,
            params,
        });
    }
    // Generated firms are drawn as they are spawned (no list of a million
    // firms next to the tables): one stream per population, in file order.
    let mut population_ranges = Vec::new();
    let mut generators = Vec::new();
    let mut next = firms.len();
    for (p_ix, p) in s.populations.iter().enumerate() {
        let (home, material) = (state_ix(&p.home), material_ix(&p.material));
        let kind = FirmKind {
            home,
            material,
            supplier: materials[material as usize].supplier,
            end_use: p.end_use,
            group: group_ix(home, &p.sector),
        };
        let count = (p.count as f64 * s.population_scale).round() as usize;
        population_ranges.push(next..next + count);
        next += count;
        generators.push(PopulationDraws {
            kind,
            count,
            samplers: [
                &p.capacity,
                &p.intensity,
                &p.supplier_share,
                &p.inventory_weeks,
                &p.jobs,
                &p.political_weight,
                &p.diversion_propensity,
            ]
            .map(Sampler::new),
            rng: rng::generator(seed, Stream::Population, p_ix as u64),
        });
    }
    let n = next;
    let generated = generators
        .into_iter()
        .flat_map(|mut p| (0..p.count).map(move |_| p.draw()));
    let all = ExactLen {
        inner: firms.into_iter().chain(generated),
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
        )
    }));

    // ---- per-firm figures the links and the registry need, in FirmId order
    let mut query = world.query::<(Entity, &FirmId, &FirmKind, &FirmParams)>();
    // Customers of each supplying population: (firm, capacity).
    let mut customers: Vec<Vec<(u32, f64)>> = vec![Vec::new(); s.populations.len()];
    let (ns, nm) = (states.len(), materials.len());
    let mut baseline_imports = vec![vec![0.0; ns]; nm];
    let mut has_military = vec![vec![false; nm]; ns];
    let mut military_demand = vec![vec![0.0; nm]; ns];
    // Firms that may get tier-1 links (named firms and customers), by id.
    let mut linkable: Vec<(u32, Entity)> = Vec::new();
    // Query order is spawn order: the sums below are the same every run.
    // (home, sector) of the customers of each supplying population.
    let buyers: Vec<Option<(StateIx, &str)>> = s
        .populations
        .iter()
        .map(|p| {
            p.supplies
                .as_ref()
                .map(|l| (state_ix(&p.home), l.sector.as_str()))
        })
        .collect();
    for (entity, id, kind, params) in query.iter(&world) {
        let mut customer = (id.0 as usize) < s.firms.len();
        for (p_ix, buyer) in buyers.iter().enumerate() {
            if let Some((home, sector)) = *buyer
                && kind.home == home
                && groups[kind.group as usize].sector == sector
            {
                customers[p_ix].push((id.0, params.capacity.max(1e-9) as f64));
                customer = true;
            }
        }
        if customer {
            linkable.push((id.0, entity));
        }
        let (h, m) = (kind.home as usize, kind.material as usize);
        if kind.home != kind.supplier {
            baseline_imports[m][h] += params.supplier_share as f64 * params.demand();
        }
        if kind.end_use == EndUse::Military {
            has_military[h][m] = true;
            military_demand[h][m] += params.demand();
        }
    }
    for c in &mut customers {
        c.sort_unstable_by_key(|&(id, _)| id);
    }
    linkable.sort_unstable_by_key(|&(id, _)| id);

    // ---- tier-1 links: (customer, part, supplier)
    let mut links: Vec<(u32, u32, u32)> = Vec::new();
    for (i, f) in s.firms.iter().enumerate() {
        for (k, name) in f.tier1.iter().enumerate() {
            let j = s
                .firms
                .iter()
                .position(|x| &x.name == name)
                .expect("checked tier1");
            links.push((i as u32, k as u32, j as u32));
        }
    }
    for (p_ix, p) in s.populations.iter().enumerate() {
        let Some(link) = &p.supplies else { continue };
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
            let part = g.random_range(0..link.parts);
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

    let mut other_supply = vec![vec![0.0; nm]; ns];
    for (i, st) in s.states.iter().enumerate() {
        for o in &st.other_supply {
            other_supply[i][material_ix(&o.material) as usize] += o.capacity;
        }
    }

    for (i, st) in s.states.iter().enumerate() {
        let ix = i as StateIx;
        let trust = (0..ns)
            .map(|j| if j == i { 1.0 } else { st.initial_trust })
            .collect();
        world.spawn((
            StateAgent {
                ix,
                code: st.code.clone(),
            },
            Prefs(st.preferences.clone()),
            PressureWeights(st.pressure.clone()),
            Pressure::default(),
            Trust(trust),
        ));
        for ec in &st.export_controls {
            let r = ec.licence_required;
            world.spawn(ExportControl {
                owner: ix,
                material: material_ix(&ec.material),
                active: ec.active,
                licence_required: [r.civilian, r.dual_use, r.military],
                review_lag: Sampler::new(&ec.review_lag),
                validity_weeks: ec.validity_weeks,
                validity_range: ec.validity_range,
                approval: [
                    ec.approval.civilian,
                    ec.approval.dual_use,
                    ec.approval.military,
                ],
                military_ban: ec.military_ban,
                general_licence: ec.general_licence,
                extraterritorial: ec.extraterritorial,
                extraterritorial_share: ec.extraterritorial_share,
                reapply_weeks: ec.reapply_weeks,
                headroom: ec.licence_headroom,
                trust_weight: ec.trust_weight,
                breakdown_penalty: ec.breakdown_penalty,
                deals: vec![Deal::default(); ns],
                conceded_approval: 0.0,
                general_licence_agreements: 0,
                reach_suspensions: 0,
            });
        }
        if let Some(t) = &st.tracking {
            world.spawn(TrackingSystem {
                owner: ix,
                active: t.active,
                detection_probability: t.detection_probability,
                blacklist_weeks: t.blacklist_weeks,
                trust_penalty: t.trust_penalty,
            });
        }
        for r in &st.tech_restrictions {
            world.spawn(TechRestriction {
                owner: ix,
                target: state_ix(&r.target),
                sector: r.sector.clone(),
                level: r.level,
                value_to_target: r.value_to_target,
                security_cost: r.security_cost,
                conceded: 0.0,
            });
        }
        for p in &st.substitution {
            world.spawn(SubstitutionProgram {
                owner: ix,
                material: material_ix(&p.material),
                name: p.name.clone(),
                capacity_target: p.capacity,
                lead_weeks: p.lead_weeks,
                ramp_weeks: p.ramp_weeks,
                political_cost: p.political_cost,
                start: p.start,
                started_at: None,
                capacity_now: 0.0,
            });
        }
        for sp in &st.stockpiles {
            world.spawn(Stockpile {
                owner: ix,
                material: material_ix(&sp.material),
                quantity: sp.quantity,
                max_release: sp.max_release_per_week,
                rule: sp.release,
            });
        }
    }
    // One track per (controlled material, importing state).
    let mut track_id = 0;
    for (m, info) in materials.iter().enumerate() {
        let supplier_code = &states[info.supplier as usize];
        let controlled = s.states.iter().any(|st| {
            &st.code == supplier_code && st.export_controls.iter().any(|ec| ec.material == info.id)
        });
        if !controlled {
            continue;
        }
        for (c, &imports) in baseline_imports[m].iter().enumerate() {
            if c != info.supplier as usize && imports > 0.0 {
                world.spawn(Track {
                    id: track_id,
                    supplier: info.supplier,
                    consumer: c as StateIx,
                    material: m as MaterialIx,
                    status: TrackStatus::Idle,
                });
                track_id += 1;
            }
        }
    }

    let registry = Registry {
        states,
        materials,
        groups,
        other_supply,
        baseline_imports,
        has_military,
        military_demand,
        firm_count: n,
    };
    world.insert_resource(WeekStats::new(&registry));
    world.insert_resource(RunTotals::new(&registry));
    world.insert_resource(Pools(vec![vec![PoolState::default(); nm]; ns]));
    world.insert_resource(registry);
    world.insert_resource(table);
    world.insert_resource(Utilization(vec![1.0; n]));
    world
}
