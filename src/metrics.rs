//! Named metrics: this week's aggregates (`WeekStats`), run totals
//! (`RunTotals`), and the recorders that turn them into output rows.
//! Every aggregate over firms sums fixed chunks of the firm tables (whose
//! order is the spawn order, FirmId order) and combines them in chunk order
//! (`crate::par`), so the thread count never changes a figure. The firms'
//! weekly figures are tallied in production's pass over them (`Tally`).

use crate::model::*;
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{Layout, Measure, Schema, Unit};
use bevy_ecs::prelude::*;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Metrics");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

/// The week's statistics, the run's totals and the time series; records the
/// week, then advances the clock. (`aggregate` runs at the start of the
/// pressure phase, which needs its figures.)
fn plugin(b: &mut Builder) {
    let (stats, totals) = (WeekStats::new(b.registry()), RunTotals::new(b.registry()));
    b.insert_resource(stats);
    b.insert_resource(totals);
    b.insert_resource(Recorder::default());
    b.add_systems((record, advance_clock).chain());
}

/// Per (home state, sector) group, this week.
#[derive(Debug, Clone, Default)]
pub struct GroupStats {
    pub capacity: f64,
    pub output: f64,
    pub lost: f64,
    pub inventory: f64,
    /// kg/week at full capacity.
    pub demand: f64,
    pub pending: u32,
    pub granted: u32,
    pub denied: u32,
    pub blacklisted: u32,
    pub military_capacity: f64,
    pub military_lost: f64,
    /// USD paid for the material received.
    pub material_cost: f64,
    /// Firms that have decided to redesign, and that have moved away.
    pub redesigned: u32,
    pub relocated: u32,
}

/// A state's military firms on one material, this week.
#[derive(Debug, Clone, Copy, Default)]
pub struct Military {
    /// Output lost (capacity - output), in their units.
    pub lost: f64,
    /// kg/week they use at full capacity, and the kg they received.
    pub demand: f64,
    pub received: f64,
}

impl Military {
    /// The kg/week they were short: their use at full capacity less what
    /// they received, at least 0.
    pub fn short(&self) -> f64 {
        (self.demand - self.received).max(0.0)
    }
}

/// Per state, this week (as a consumer).
#[derive(Debug, Clone, Default)]
pub struct StateStats {
    /// Sum of jobs x political weight x lost share, civilian and dual-use firms.
    pub weighted_lost: f64,
    pub weight: f64,
    pub military_lost: f64,
    pub military_capacity: f64,
    /// kg needed at full capacity.
    pub demand: f64,
    /// Jobs of the firms that moved out of it (`systems::adaptation`).
    pub relocated_jobs: f64,
}

/// Material flows of the week, kg, summed over all firms: the ledger the
/// conservation test checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ledger {
    pub supplier_shipments: f64,
    pub other_supply: f64,
    pub stockpile_release: f64,
    pub consumption: f64,
    pub diverted_out: f64,
    pub diverted_in: f64,
    /// Firm inventories at the end of the week.
    pub firm_inventory: f64,
    /// Stockpiles at the end of the week.
    pub stockpiles: f64,
}

#[derive(Resource, Debug, Clone, Default)]
pub struct WeekStats {
    pub groups: Vec<GroupStats>,
    pub states: Vec<StateStats>,
    /// [material][destination] kg shipped by the material's supplier.
    pub exports: Vec<Vec<f64>>,
    /// [state][material] non-supplier capacity this week, kg/week.
    pub pool_capacity: Vec<Vec<f64>>,
    /// [state][material] substitution capacity, kg/week.
    pub substitution: Vec<Vec<f64>>,
    /// [state][material] substitution capacity over pre-control imports, 0..1.
    pub substitution_share: Vec<Vec<f64>>,
    /// [state][material] kg/week the state's civilian firms get with no deal
    /// beyond their supply before the controls: substitution plus the
    /// civilian-drawable stockpiles spread over an agreement's term (at most
    /// their release rate), less the allied supply the supplier's reach
    /// cuts. May be negative.
    pub outside_supply: Vec<Vec<f64>>,
    /// [material][home] the home state's firms' demand (`supply::clear_price`)
    /// and the kg they were delivered (supplier, pool and stockpile), this week.
    pub market: Vec<Vec<[f64; 2]>>,
    /// [material][home] the home state's military firms on the material.
    pub military: Vec<Vec<Military>>,
    /// [material][home] the age of the home's shortage of the material:
    /// weeks in a row, up to this week, its firms' demand exceeded what they
    /// were delivered (`supply::deliver`; 0 in a week it did not). Carried
    /// from week to week (`begin_week` leaves it): the tau of Gott's rule
    /// for programmes, floors and firms' adaptation (models/ODD.md 7.11).
    pub short_weeks: Vec<Vec<u32>>,
    /// [material][origin] kg the firms that moved from `origin` to the
    /// material's supplier bought there this week: sales the supplier
    /// keeps, counted with its exports in its lost revenue and its makers'
    /// output (not in the export columns).
    pub kept: Vec<Vec<f64>>,
    /// [state][material] what its stockpiles hold after this week's
    /// releases, kg, and 1 when one is open to every firm.
    pub stockpiles: Vec<Vec<[f64; 2]>>,
    pub ledger: Ledger,
    pub detections: u32,
    /// [supplier][home] diverting firms detected this week.
    pub detected: Vec<Vec<u32>>,
    pub diverting_firms: u32,
    pub civilian_grants: u32,
    pub military_grants: u32,
}

impl WeekStats {
    pub fn new(r: &Registry) -> Self {
        let (ns, nm) = (r.states.len(), r.materials.len());
        WeekStats {
            groups: vec![GroupStats::default(); r.groups.len()],
            states: vec![StateStats::default(); ns],
            exports: vec![vec![0.0; ns]; nm],
            pool_capacity: vec![vec![0.0; nm]; ns],
            substitution: vec![vec![0.0; nm]; ns],
            substitution_share: vec![vec![0.0; nm]; ns],
            outside_supply: vec![vec![0.0; nm]; ns],
            market: vec![vec![[0.0; 2]; ns]; nm],
            military: vec![vec![Military::default(); ns]; nm],
            short_weeks: vec![vec![0; ns]; nm],
            kept: vec![vec![0.0; ns]; nm],
            stockpiles: vec![vec![[0.0; 2]; nm]; ns],
            detected: vec![vec![0; ns]; ns],
            ..Default::default()
        }
    }

    /// kg of material `m` its supplier sold this week for `dest`: its
    /// exports there and its sales to the firms that moved from there.
    pub fn sold(&self, m: usize, dest: usize) -> f64 {
        self.exports[m][dest] + self.kept[m][dest]
    }

    pub fn begin_week(&mut self) {
        self.groups
            .iter_mut()
            .for_each(|g| *g = GroupStats::default());
        self.states
            .iter_mut()
            .for_each(|s| *s = StateStats::default());
        self.exports.iter_mut().for_each(|row| row.fill(0.0));
        self.kept.iter_mut().for_each(|row| row.fill(0.0));
        self.military
            .iter_mut()
            .for_each(|row| row.fill(Military::default()));
        self.ledger = Ledger::default();
        self.detections = 0;
        self.detected.iter_mut().for_each(|row| row.fill(0));
        self.diverting_firms = 0;
        self.civilian_grants = 0;
        self.military_grants = 0;
    }
}

/// Totals over the whole run, for the summary.
#[derive(Resource, Debug, Clone, Default)]
pub struct RunTotals {
    pub first_civilian_licence_week: Option<u32>,
    pub first_agreement_week: Option<u32>,
    pub talks_opened: u32,
    pub agreements: u32,
    pub breakdowns: u32,
    pub defections: u32,
    pub expiries: u32,
    pub civilian_licences_granted: u64,
    pub military_licences_granted: u64,
    pub detections: u64,
    /// Per group, units of output lost and USD paid for material.
    pub lost_output: Vec<f64>,
    pub material_cost: Vec<f64>,
    /// Largest share of a state's military capacity idle in any week.
    pub peak_readiness_gap: f64,
    /// Net revenue lost by suppliers against pre-control exports, USD.
    pub supplier_revenue_lost: f64,
    /// Per state: escalations, withdrawals, and the week of its first escalation.
    pub escalations: Vec<u32>,
    pub withdrawals: Vec<u32>,
    pub first_escalation: Vec<Option<u32>>,
    /// (week, label) of scheduled events applied.
    pub events: Vec<(u32, String)>,
    pub transcript: Vec<TranscriptRow>,
}

impl RunTotals {
    pub fn new(r: &Registry) -> Self {
        RunTotals {
            lost_output: vec![0.0; r.groups.len()],
            material_cost: vec![0.0; r.groups.len()],
            escalations: vec![0; r.states.len()],
            withdrawals: vec![0; r.states.len()],
            first_escalation: vec![None; r.states.len()],
            ..Default::default()
        }
    }
}

/// One line of the negotiation transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptRow {
    pub week: u32,
    pub track: String,
    pub round: u32,
    pub event: &'static str,
    pub actor: String,
    /// The move's terms (empty for moves without any).
    pub terms: Vec<crate::negotiation::Term>,
    pub u_consumer: Option<f64>,
    pub u_supplier: Option<f64>,
    /// Why the actor moved (offers, acceptances, rejections).
    pub why: Option<crate::negotiation::Why>,
    pub note: String,
}

/// This week's figures of a chunk of firms: the per-firm part of
/// `WeekStats`. Production fills one per chunk as it goes (one pass over
/// the firms) and adds them up in chunk order.
#[derive(Debug, Clone)]
pub struct Tally {
    groups: Vec<GroupStats>,
    states: Vec<StateStats>,
    /// [material * states + destination]
    exports: Vec<f64>,
    /// [material * states + home] (`WeekStats::military`)
    military: Vec<Military>,
    /// [material * states + origin] (`WeekStats::kept`)
    kept: Vec<f64>,
    ledger: Ledger,
    civilian_grants: u32,
    military_grants: u32,
}

impl Tally {
    pub fn new(r: &Registry) -> Self {
        Tally {
            groups: vec![GroupStats::default(); r.groups.len()],
            states: vec![StateStats::default(); r.states.len()],
            exports: vec![0.0; r.materials.len() * r.states.len()],
            military: vec![Military::default(); r.materials.len() * r.states.len()],
            kept: vec![0.0; r.materials.len() * r.states.len()],
            ledger: Ledger::default(),
            civilian_grants: 0,
            military_grants: 0,
        }
    }

    /// Adds one firm's figures for `week`, after its production.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        week: u32,
        ns: usize,
        kind: &FirmKind,
        params: &FirmParams,
        stock: &Stock,
        lic: &Licence,
        flow: &Flow,
        prod: &Production,
        market: &Market,
        adapt: &Adapt,
    ) {
        let g = &mut self.groups[kind.group as usize];
        g.redesigned += u32::from(adapt.redesign_at != Adapt::NEVER);
        g.relocated += u32::from(adapt.moved);
        // Supplier shipments at the export (inside) price, less what a
        // diverter sent on (bought at that price); the rest at the price of
        // the firm's own market.
        let other_price = market.for_home(kind.home, kind.supplier);
        g.material_cost += (flow.from_supplier - flow.diverted_out) * market.inside
            + (flow.from_pool + flow.from_stockpile + flow.diverted_in) * other_price;
        let capacity = params.capacity as f64;
        g.capacity += capacity;
        g.output += prod.output;
        g.lost += prod.lost;
        g.inventory += stock.inventory;
        g.demand += params.demand();
        match lic {
            Licence::Pending { .. } => g.pending += 1,
            Licence::Granted { since, .. } => {
                g.granted += 1;
                if *since == week {
                    match kind.end_use {
                        EndUse::Military => self.military_grants += 1,
                        EndUse::Civilian => self.civilian_grants += 1,
                        EndUse::DualUse => {}
                    }
                }
            }
            Licence::Denied { .. } => g.denied += 1,
            Licence::Blacklisted { .. } => g.blacklisted += 1,
            Licence::None => {}
        }
        let s = &mut self.states[kind.home as usize];
        s.demand += params.demand();
        let lost_share = if capacity > 0.0 {
            prod.lost / capacity
        } else {
            0.0
        };
        if kind.end_use == EndUse::Military {
            g.military_capacity += capacity;
            g.military_lost += prod.lost;
            s.military_capacity += capacity;
            s.military_lost += prod.lost;
            let m = &mut self.military[kind.material as usize * ns + kind.home as usize];
            m.lost += prod.lost;
            m.demand += params.demand();
            m.received += flow.received();
        } else {
            let w = params.jobs as f64 * params.political_weight as f64;
            s.weighted_lost += w * lost_share;
            s.weight += w;
            if adapt.moved {
                // its old home lost its jobs for good: fully idle there
                let o = &mut self.states[adapt.origin as usize];
                o.weighted_lost += w;
                o.weight += w;
                o.relocated_jobs += params.jobs as f64;
            }
        }
        if kind.home != kind.supplier {
            self.exports[kind.material as usize * ns + kind.home as usize] += flow.from_supplier;
        } else if adapt.moved {
            // a firm that moved to the supplier buys there what it imported
            self.kept[kind.material as usize * ns + adapt.origin as usize] += flow.from_supplier;
        }
        let l = &mut self.ledger;
        l.supplier_shipments += flow.from_supplier;
        l.other_supply += flow.from_pool;
        l.stockpile_release += flow.from_stockpile;
        l.diverted_out += flow.diverted_out;
        l.diverted_in += flow.diverted_in;
        l.consumption += prod.used;
        l.firm_inventory += stock.inventory;
    }

    /// Adds this tally into the week's statistics.
    pub fn add_to(self, stats: &mut WeekStats) {
        for (t, g) in stats.groups.iter_mut().zip(self.groups) {
            t.capacity += g.capacity;
            t.output += g.output;
            t.lost += g.lost;
            t.inventory += g.inventory;
            t.demand += g.demand;
            t.pending += g.pending;
            t.granted += g.granted;
            t.denied += g.denied;
            t.blacklisted += g.blacklisted;
            t.military_capacity += g.military_capacity;
            t.military_lost += g.military_lost;
            t.material_cost += g.material_cost;
            t.redesigned += g.redesigned;
            t.relocated += g.relocated;
        }
        for (t, s) in stats.states.iter_mut().zip(self.states) {
            t.weighted_lost += s.weighted_lost;
            t.weight += s.weight;
            t.military_lost += s.military_lost;
            t.military_capacity += s.military_capacity;
            t.demand += s.demand;
            t.relocated_jobs += s.relocated_jobs;
        }
        let ns = stats.states.len();
        for (m, row) in stats.exports.iter_mut().enumerate() {
            for (d, t) in row.iter_mut().enumerate() {
                *t += self.exports[m * ns + d];
            }
        }
        for (m, row) in stats.kept.iter_mut().enumerate() {
            for (o, t) in row.iter_mut().enumerate() {
                *t += self.kept[m * ns + o];
            }
        }
        for (m, row) in stats.military.iter_mut().enumerate() {
            for (h, t) in row.iter_mut().enumerate() {
                let x = self.military[m * ns + h];
                t.lost += x.lost;
                t.demand += x.demand;
                t.received += x.received;
            }
        }
        let (t, l) = (&mut stats.ledger, self.ledger);
        t.supplier_shipments += l.supplier_shipments;
        t.other_supply += l.other_supply;
        t.stockpile_release += l.stockpile_release;
        t.consumption += l.consumption;
        t.diverted_out += l.diverted_out;
        t.diverted_in += l.diverted_in;
        t.firm_inventory += l.firm_inventory;
        stats.civilian_grants += self.civilian_grants;
        stats.military_grants += self.military_grants;
    }
}

/// Completes this week's statistics (the firms' part was tallied by
/// production) and adds them to the run totals.
pub fn aggregate(
    clock: Res<Clock>,
    registry: Res<Registry>,
    mut stats: ResMut<WeekStats>,
    mut totals: ResMut<RunTotals>,
    markets: Res<Markets>,
    stockpiles: Query<&Stockpile>,
) {
    let week = clock.week;
    stats.ledger.stockpiles = stockpiles.iter().map(|s| s.quantity).sum();

    if stats.civilian_grants > 0 && totals.first_civilian_licence_week.is_none() {
        totals.first_civilian_licence_week = Some(week);
    }
    totals.civilian_licences_granted += stats.civilian_grants as u64;
    totals.military_licences_granted += stats.military_grants as u64;
    let totals = &mut *totals;
    for ((lost, cost), g) in totals
        .lost_output
        .iter_mut()
        .zip(&mut totals.material_cost)
        .zip(&stats.groups)
    {
        *lost += g.lost;
        *cost += g.material_cost;
    }
    for s in &stats.states {
        if s.military_capacity > 0.0 {
            totals.peak_readiness_gap = totals
                .peak_readiness_gap
                .max(s.military_lost / s.military_capacity);
        }
    }
    for (m, info) in registry.materials.iter().enumerate() {
        for dest in 0..registry.states.len() {
            // Exports earn the inside price (`pressure::terms`).
            totals.supplier_revenue_lost += registry.baseline_imports[m][dest] * info.price
                - stats.sold(m, dest) * markets.0[m].inside;
        }
    }
}

/// The type of an output column: what its Parquet column is, whatever
/// values a run gives it (a float column whose values are all whole stays
/// Float64). Declared by the Rust type of the value a producer records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColumnType {
    Int,
    Float,
    Text,
}

/// The column type of a Rust value an output records.
pub trait Typed {
    const TYPE: ColumnType;
}
impl Typed for f64 {
    const TYPE: ColumnType = ColumnType::Float;
}
impl Typed for u32 {
    const TYPE: ColumnType = ColumnType::Int;
}
impl Typed for u64 {
    const TYPE: ColumnType = ColumnType::Int;
}
impl Typed for Option<u32> {
    const TYPE: ColumnType = ColumnType::Int;
}
impl Typed for Option<f64> {
    const TYPE: ColumnType = ColumnType::Float;
}
impl Typed for String {
    const TYPE: ColumnType = ColumnType::Text;
}
impl Typed for &str {
    const TYPE: ColumnType = ColumnType::Text;
}

/// A cell of an output table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Num(f64),
    Int(i64),
    Text(String),
    Empty,
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Num(v)
    }
}
impl From<u32> for Cell {
    fn from(v: u32) -> Self {
        Cell::Int(v as i64)
    }
}
impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::Int(v as i64)
    }
}
impl From<Option<u32>> for Cell {
    fn from(v: Option<u32>) -> Self {
        v.map_or(Cell::Empty, Cell::from)
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::from)
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_string())
    }
}

/// A table: column names, their types, and rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub types: Vec<ColumnType>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The values of one column.
    pub fn column(&self, name: &str) -> Option<Vec<&Cell>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| &r[i]).collect())
    }
}

/// The weekly time series' rows, in the order of the schema's columns.
#[derive(Resource, Debug, Clone, Default)]
pub struct Recorder(pub Vec<Vec<Cell>>);

/// Records this week's row: the time series' declared columns, read from
/// the world.
pub fn record(world: &mut World) {
    let row = world.resource::<Schema>().timeseries.row(world);
    world.resource_mut::<Recorder>().0.push(row);
}

/// `CN-US-ndfeb_magnets`: a track's name in the transcript and terms.
pub fn track_name(r: &Registry, t: &Track) -> String {
    format!(
        "{}-{}-{}",
        r.states[t.supplier as usize],
        r.states[t.consumer as usize],
        r.materials[t.material as usize].id
    )
}

pub static WEEK: Measure = Measure {
    pattern: "",
    unit: Unit::Week,
    about: "The week of the run, from 0.",
    old: "week",
};
pub static DATE: Measure = Measure {
    pattern: "date",
    unit: Unit::None,
    about: "The week's first day (ISO 8601).",
    old: "date",
};
pub static SEED: Measure = Measure {
    pattern: "seed",
    unit: Unit::None,
    about: "The run's seed (at most 2^53 - 1).",
    old: "seed",
};
pub static RUN_WEEKS: Measure = Measure {
    pattern: "run",
    unit: Unit::Weeks,
    about: "Weeks the run lasted.",
    old: "weeks",
};
pub static FIRMS: Measure = Measure {
    pattern: "firms",
    unit: Unit::Count,
    about: "Firms in the run, named and generated.",
    old: "firms",
};
pub static EXPORTS: Measure = Measure {
    pattern: "{supplier}_{material}_to_{state}_exports",
    unit: Unit::Kg,
    about: "Material shipped this week by its supplier to the state's firms (excluding re-exports).",
    old: "exports_{material}_{supplier}_to_{state}_kg",
};
pub static REVENUE_LOST: Measure = Measure {
    pattern: "supplier_revenue_lost",
    unit: Unit::Usd,
    about: "Suppliers' revenue lost against pre-control exports: the sum over weeks of price x (pre-control - actual exports); weeks above the pre-control level reduce it.",
    old: "supplier_revenue_lost_usd",
};
pub static BASELINE_EXPORTS: Measure = Measure {
    pattern: "{supplier}_{material}_to_{state}_baseline_exports",
    unit: Unit::KgPerWeek,
    about: "Pre-control imports of the state from the supplier: the sum, over the state's firms, of supplier share x capacity x intensity.",
    old: "exports_baseline_kg_per_week_{material}_{supplier}_to_{state}",
};

/// The keys every time series and summary starts with.
pub fn keys(_: &Layout, schema: &mut Schema) {
    schema
        .timeseries
        .add(&WEEK, &[], |w| w.resource::<Clock>().week);
    schema
        .timeseries
        .add(&DATE, &[], |w| w.resource::<Clock>().date().to_string());
    schema.summary.add(&SEED, &[], |w| w.resource::<Seed>().0);
    schema
        .summary
        .add(&RUN_WEEKS, &[], |w| w.resource::<Clock>().week);
    schema
        .summary
        .add(&FIRMS, &[], |w| w.resource::<Registry>().firm_count as u64);
}

/// Each (material, importing state) flow: its weekly exports, and over
/// the run the revenue lost and the pre-control level.
fn columns(layout: &Layout, schema: &mut Schema) {
    let r = &layout.registry;
    let flows: Vec<(usize, usize)> = (0..r.materials.len())
        .flat_map(|m| (0..r.states.len()).map(move |d| (m, d)))
        .filter(|&(m, d)| r.importers[m][d])
        .collect();
    let args = |m: usize, d: usize| {
        [
            ("supplier", layout.state(r.materials[m].supplier)),
            ("material", layout.material(m as MaterialIx)),
            ("state", layout.state(d as StateIx)),
        ]
    };
    for &(m, d) in &flows {
        schema.timeseries.add(&EXPORTS, &args(m, d), move |w| {
            w.resource::<WeekStats>().exports[m][d]
        });
    }
    schema.summary.add(&REVENUE_LOST, &[], |w| {
        w.resource::<RunTotals>().supplier_revenue_lost
    });
    for &(m, d) in &flows {
        schema
            .summary
            .add(&BASELINE_EXPORTS, &args(m, d), move |w| {
                w.resource::<Registry>().baseline_imports[m][d]
            });
    }
}

/// Advances the clock: the last system of the tick.
pub fn advance_clock(mut clock: ResMut<Clock>) {
    clock.week += 1;
}

/// The one-row summary of a run: the summary's declared columns, read
/// from the world at the end of the run.
pub fn summary(world: &World) -> Table {
    let schema = world.resource::<Schema>();
    let mut table = schema.summary.table();
    table.rows.push(schema.summary.row(world));
    table
}
