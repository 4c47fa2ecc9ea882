//! A plain-Rust reference for the benchmarks: the firms of a world copied
//! into one `Vec` per component (a struct of arrays, indexed by FirmId), and
//! the licensing, supply and production phases run over them with rayon,
//! calling the same per-firm functions as the systems. The ECS tick's cost
//! over this one's is the overhead the benchmarks report.
//!
//! It is not a second model: policy terms, pool capacities and stockpiles
//! are copied from the world and stay fixed.

use crate::model::PriorityRule;
use crate::model::*;
use crate::par;
use crate::systems::{licensing, production, supply};
use bevy_ecs::prelude::*;

/// Firms as arrays, plus the inputs the three phases read.
pub struct SoaFirms {
    pub id: Vec<FirmId>,
    pub kind: Vec<FirmKind>,
    pub params: Vec<FirmParams>,
    pub stock: Vec<Stock>,
    pub licence: Vec<Licence>,
    pub flow: Vec<Flow>,
    pub production: Vec<Production>,
    pub tier1: Vec<Tier1>,
    pub utilization: Vec<f32>,
    links: Links,
    view: Vec<Vec<LicenceTerms>>,
    pools: Vec<Vec<PoolState>>,
    stockpiles: Vec<Stockpile>,
    restock_weeks: f64,
    priority: PriorityRule,
    week: u32,
    seed: u64,
    parallel: bool,
}

impl SoaFirms {
    /// Copies the firms of `world`, in FirmId order, and this week's terms.
    pub fn from_world(world: &mut World, parallel: bool) -> Self {
        let mut rows: Vec<_> = world
            .query::<(
                &FirmId,
                &FirmKind,
                &FirmParams,
                &Stock,
                &Licence,
                &Flow,
                &Production,
                &Tier1,
            )>()
            .iter(world)
            .map(|(a, b, c, d, e, f, g, h)| (*a, *b, *c, *d, *e, *f, *g, *h))
            .collect();
        rows.sort_by_key(|r| r.0);
        let mut soa = SoaFirms {
            id: rows.iter().map(|r| r.0).collect(),
            kind: rows.iter().map(|r| r.1).collect(),
            params: rows.iter().map(|r| r.2).collect(),
            stock: rows.iter().map(|r| r.3).collect(),
            licence: rows.iter().map(|r| r.4).collect(),
            flow: rows.iter().map(|r| r.5).collect(),
            production: rows.iter().map(|r| r.6).collect(),
            tier1: rows.iter().map(|r| r.7).collect(),
            utilization: world.resource::<Utilization>().0.clone(),
            links: world.resource::<Links>().clone(),
            view: Vec::new(),
            pools: Vec::new(),
            // the reference keeps each stockpile's rule fixed: open when
            // it serves everyone (a `ByValue` one as it stands at the copy)
            stockpiles: world
                .query::<&Stockpile>()
                .iter(world)
                .map(|s| Stockpile {
                    open: s.open || s.rule == ReleaseRule::MilitaryFirst,
                    ..s.clone()
                })
                .collect(),
            restock_weeks: world.resource::<Settings>().supply.restock_weeks,
            priority: world.resource::<Settings>().supply.priority,
            week: world.resource::<Clock>().week,
            seed: world.resource::<Seed>().0,
            parallel,
        };
        soa.copy_terms(world);
        soa
    }

    /// Copies the licensing terms and pool capacities the world last used.
    pub fn copy_terms(&mut self, world: &World) {
        self.view = world.resource::<LicensingView>().0.clone();
        self.pools = world.resource::<Pools>().0.clone();
    }

    /// Number of firms.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// One week of licensing, supply (orders, pools, deliveries) and
    /// production (including publishing utilization).
    pub fn tick(&mut self) {
        let (week, seed, parallel) = (self.week, self.seed, self.parallel);
        let view = &self.view;
        let (ids, kinds, params) = (&self.id, &self.kind, &self.params);
        par::for_each(parallel, &mut self.licence, |i, lic| {
            let terms = &view[kinds[i].material as usize][kinds[i].home as usize];
            licensing::licence_step(week, seed, terms, ids[i], &kinds[i], &params[i], lic);
        });

        let (stocks, lics, restock) = (&self.stock, &self.licence, self.restock_weeks);
        par::for_each(parallel, &mut self.flow, |i, flow| {
            let terms = &view[kinds[i].material as usize][kinds[i].home as usize];
            *flow = supply::order_step(terms, &kinds[i], &params[i], &stocks[i], &lics[i], restock);
        });

        let (ns, nm) = (self.pools.len(), self.pools.first().map_or(0, Vec::len));
        let mut requests = vec![[0.0f64; 2]; ns * nm];
        supply::add_requests(parallel, nm, kinds, &self.flow, &mut requests);
        for (st, row) in self.pools.iter_mut().enumerate() {
            for (m, pool) in row.iter_mut().enumerate() {
                let own = self
                    .stockpiles
                    .iter_mut()
                    .filter(|s| s.owner as usize == st && s.material as usize == m);
                supply::fill_pool(pool, requests[st * nm + m], self.priority, own);
            }
        }

        let pools = &self.pools;
        par::for_each(parallel, &mut self.flow, |i, flow| {
            supply::deliver_step(&kinds[i], pools, flow)
        });

        let (tier1, links, flows, util) = (&self.tier1, &self.links, &self.flow, &self.utilization);
        par::for_each2(
            parallel,
            &mut self.stock,
            &mut self.production,
            |i, stock, out| {
                let chain = if tier1[i].len == 0 {
                    1.0
                } else {
                    production::chain_limit(&tier1[i], links, util)
                };
                production::produce_step(&params[i], chain, &flows[i], stock, out);
            },
        );
        let prods = &self.production;
        par::for_each(parallel, &mut self.utilization, |i, u| {
            *u = prods[i].utilization
        });
        self.week += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{phases, schedule_of};
    use crate::systems::{licensing, production, supply};

    /// The reference does what the systems do: same licences, flows,
    /// stocks, production and utilization after a week, from the same state.
    #[test]
    fn the_reference_matches_the_three_phases_of_the_ecs() {
        let scenario = crate::config::load_scenario("tests/data/small.ron".as_ref()).unwrap();
        let start = chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap();
        let all: Vec<_> = phases().collect();
        let (mut world, mut tick) = crate::build::build(&scenario, 7, start, &all);
        for _ in 0..12 {
            tick.run(&mut world);
        }
        let mut soa = SoaFirms::from_world(&mut world, true);
        let three = [licensing::PHASE, supply::PHASE, production::PHASE];
        schedule_of(&scenario, &three).run(&mut world);
        soa.copy_terms(&world);
        // The world's pools were refilled by its own step: give the
        // reference the capacities it saw, then run it.
        soa.tick();

        let mut q = world.query::<(&FirmId, &Licence, &Flow, &Stock, &Production)>();
        let mut checked = 0;
        let mut granted = 0;
        for (id, lic, flow, stock, prod) in q.iter(&world) {
            let i = id.0 as usize;
            assert_eq!(*lic, soa.licence[i], "licence of firm {i}");
            granted += matches!(lic, Licence::Granted { .. }) as usize;
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
            let f = &soa.flow[i];
            for (a, b) in [
                (flow.from_supplier, f.from_supplier),
                (flow.pool_request, f.pool_request),
                (flow.from_pool, f.from_pool),
                (flow.from_stockpile, f.from_stockpile),
                (stock.inventory, soa.stock[i].inventory),
                (prod.output, soa.production[i].output),
                (prod.used, soa.production[i].used),
            ] {
                assert!(close(a, b), "firm {i}: {a} vs {b}");
            }
            assert_eq!(
                world.resource::<Utilization>().0[i],
                soa.utilization[i],
                "utilization of firm {i}"
            );
            checked += 1;
        }
        assert_eq!(checked, soa.len());
        assert!(granted > 0, "the test week should have licences in play");
    }
}
