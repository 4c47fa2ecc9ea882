//! The nouns of the model: components of firms, states and policies, and
//! the resources systems share.

pub mod dist;
pub mod params;

use crate::negotiation::{IssueSpace, Offer, Protocol, Talks};
use bevy_ecs::prelude::*;
use dist::Sampler;
pub use params::*;

/// Index of a state in `Registry::states`.
pub type StateIx = u8;
/// Index of a material in `Registry::materials`.
pub type MaterialIx = u8;
/// Index of a (home state, sector) group in `Registry::groups`.
pub type GroupIx = u16;

// ----------------------------------------------------------------- firms

/// Stable firm id, dense from 0 in build order. Random streams and every
/// order-dependent reduction use it, never `Entity`.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FirmId(pub u32);

/// What a firm is: fixed for the run.
#[derive(Component, Debug, Clone, Copy)]
pub struct FirmKind {
    pub home: StateIx,
    pub material: MaterialIx,
    /// The material's supplier state.
    pub supplier: StateIx,
    pub end_use: EndUse,
    pub group: GroupIx,
}

/// How a firm adapts (`systems::adaptation`, models/ODD.md 7.11): its rule
/// (an index into `AdaptRules`, `Adapt::NONE` for none), its expected
/// shortage (kg/week it lacked, smoothed), the week it decided to redesign
/// and whether the new design is in production, and the state it was
/// spawned in (its home until it moves).
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Adapt {
    pub rule: u16,
    pub origin: StateIx,
    pub redesigned: bool,
    pub moved: bool,
    pub short: f32,
    pub redesign_at: u32,
}

impl Adapt {
    pub const NONE: u16 = u16::MAX;
    pub const NEVER: u32 = u32::MAX;

    pub fn new(rule: u16, origin: StateIx) -> Self {
        Adapt {
            rule,
            origin,
            redesigned: false,
            moved: false,
            short: 0.0,
            redesign_at: Self::NEVER,
        }
    }
}

/// The scenario's adaptation rules, by index (`Adapt::rule`).
#[derive(Resource, Debug, Clone, Default)]
pub struct AdaptRules(pub Vec<AdaptRule>);

/// A firm's fixed parameters.
#[derive(Component, Debug, Clone, Copy)]
pub struct FirmParams {
    /// Units/week at full capacity.
    pub capacity: f32,
    /// kg per unit.
    pub intensity: f32,
    /// Share bought from the supplier state, 0..1.
    pub supplier_share: f32,
    /// Target inventory, weeks of full-capacity use.
    pub target_weeks: f32,
    pub jobs: f32,
    pub political_weight: f32,
    /// Weekly probability of diverting (dual-use only).
    pub diversion: f32,
}

impl FirmParams {
    /// Material needed per week at full capacity, kg.
    #[inline]
    pub fn demand(&self) -> f64 {
        self.capacity as f64 * self.intensity as f64
    }
}

/// Material on hand, kg.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Stock {
    pub inventory: f64,
}

/// Licence status of a firm with its material's supplier. Weeks are ticks.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub enum Licence {
    #[default]
    None,
    Pending {
        since: u32,
        decide_at: u32,
    },
    Granted {
        since: u32,
        until: u32,
        kg_per_week: f32,
    },
    Denied {
        until: u32,
    },
    Blacklisted {
        until: u32,
    },
}

/// This week's material flows of a firm, kg.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Flow {
    /// Shipped by the supplier state (before any diversion: what a diverter
    /// sends on is `diverted_out`).
    pub from_supplier: f64,
    /// Requested from non-supplier sources.
    pub pool_request: f64,
    pub from_pool: f64,
    pub from_stockpile: f64,
    /// Sent to military buyers (dual-use diverters).
    pub diverted_out: f64,
    /// Received from diverters (military firms).
    pub diverted_in: f64,
    /// Whether the firm diverted this week and whether it was detected.
    pub diverted: bool,
    pub detected: bool,
}

impl Flow {
    pub fn received(&self) -> f64 {
        self.from_supplier + self.from_pool + self.from_stockpile + self.diverted_in
    }
}

/// This week's production.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Production {
    pub output: f64,
    pub lost: f64,
    /// kg consumed.
    pub used: f64,
    /// output / capacity (1 for a firm with no capacity).
    pub utilization: f32,
}

/// Tier-1 suppliers: a range in `Links`. Empty for most firms.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Tier1 {
    pub start: u32,
    pub len: u32,
}

/// Bytes of component data per firm: the sum of `size_of` of the
/// components every firm has. BENCHMARKS.md compares peak memory with it.
pub const FIRM_COMPONENT_BYTES: usize = size_of::<FirmId>()
    + size_of::<FirmKind>()
    + size_of::<FirmParams>()
    + size_of::<Stock>()
    + size_of::<Licence>()
    + size_of::<Flow>()
    + size_of::<Production>()
    + size_of::<Tier1>()
    + size_of::<Adapt>();

// ----------------------------------------------------------------- states

/// A state agent.
#[derive(Component, Debug, Clone)]
pub struct StateAgent {
    pub ix: StateIx,
    pub code: String,
}

/// Negotiation preferences (validated copy of the config's).
#[derive(Component, Debug, Clone)]
pub struct Prefs(pub Preferences);

/// A state's private resolve (`negotiation::SideView::reservation`):
/// `value` is drawn once per run; `types` are the values the others think
/// it may take, with equal mass (the distribution's quantiles at
/// (k + 1/2) / K, K = `negotiation.belief_types`): public.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Resolve {
    pub value: f64,
    /// The value's rank in its distribution (the uniform number it was
    /// drawn by), in [0, 1]: the pressure it withstands before it gives in
    /// (`negotiation::escalation`).
    pub rank: f64,
    pub types: Vec<f64>,
}

impl Resolve {
    /// A draw from `dist` by the uniform number `u`, with its K-point grid.
    pub fn draw(dist: &dist::Sampler, u: f64, k: u32) -> Resolve {
        let k = k.max(1);
        Resolve {
            value: dist.quantile(u),
            rank: u,
            types: (0..k)
                .map(|i| dist.quantile((i as f64 + 0.5) / k as f64))
                .collect(),
        }
    }
}

/// Weights of the pressure terms.
#[derive(Component, Debug, Clone)]
pub struct PressureWeights(pub PressureParams);

/// Domestic pressure, 0..1.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Pressure {
    pub now: f64,
    pub smoothed: f64,
}

/// Trust in each state, by state index, 0..1.
#[derive(Component, Debug, Clone)]
pub struct Trust(pub Vec<f64>);

// ----------------------------------------------------------------- policies

/// Export control of one material, held by its supplier state.
#[derive(Component, Debug, Clone)]
pub struct ExportControl {
    pub owner: StateIx,
    pub material: MaterialIx,
    pub active: bool,
    pub licence_required: [bool; 3],
    pub review_lag: Sampler,
    pub validity_weeks: f64,
    pub validity_range: (f64, f64),
    pub approval: [f64; 3],
    pub military_ban: bool,
    pub general_licence: bool,
    pub extraterritorial: bool,
    pub extraterritorial_share: f64,
    /// The weekly cost to the supplier of its reach while on, in its
    /// pressure, when it may switch it by decision.
    pub reach_cost: Option<f64>,
    /// The week the supplier last switched its reach by decision.
    pub reach_since: u32,
    /// Temporary licences as a probe, if the supplier runs one.
    pub probe: Option<Probe>,
    pub reapply_weeks: f64,
    pub headroom: f64,
    pub trust_weight: f64,
    pub breakdown_penalty: f64,
    /// Terms agreed with each destination state (by state index); they
    /// override the base terms above for that destination only.
    pub deals: Vec<Deal>,
    /// Total rise of the civilian approval probability granted in agreements.
    pub conceded_approval: f64,
    /// Agreements that switched general licences on.
    pub general_licence_agreements: u32,
    /// Agreements that suspended extraterritorial reach.
    pub reach_suspensions: u32,
}

/// Temporary licences as the supplier's probe (`config::ProbeDef`), with
/// its state per destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub start: f64,
    pub step: f64,
    pub quiet: f64,
    /// [destination] the validity it grants now, weeks.
    pub validity: Vec<f64>,
    /// [destination] the week of the last cut or step.
    pub quiet_since: Vec<u32>,
}

impl Probe {
    /// A week of the probe for `dest`: cut back to the start after an
    /// escalation or a detection (`breach`), else a step up after a quiet
    /// spell, at most `max` weeks.
    pub fn week(&mut self, dest: usize, week: u32, breach: bool, max: f64) {
        if breach {
            self.validity[dest] = self.start;
            self.quiet_since[dest] = week;
        } else if week.saturating_sub(self.quiet_since[dest]) as f64 >= self.quiet {
            self.validity[dest] = (self.validity[dest] + self.step).min(max);
            self.quiet_since[dest] = week;
        }
    }
}

/// Terms a supplier agreed with one destination state. `None`: the base
/// term of the control applies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Deal {
    pub civilian_approval: Option<f64>,
    pub validity_weeks: Option<f64>,
    pub general_licence: Option<bool>,
    pub reach_suspended: Option<bool>,
}

impl ExportControl {
    /// Approval probability for `end_use` applications from `dest`.
    pub fn approval_for(&self, dest: usize, end_use: EndUse) -> f64 {
        match end_use {
            EndUse::Civilian => self.deals[dest]
                .civilian_approval
                .unwrap_or(self.approval[0]),
            _ => self.approval[end_use.index()],
        }
    }
    /// Licence validity for firms of `dest`, weeks.
    pub fn validity_for(&self, dest: usize) -> f64 {
        self.deals[dest].validity_weeks.unwrap_or_else(|| {
            self.probe
                .as_ref()
                .map_or(self.validity_weeks, |p| p.validity[dest])
        })
    }
    /// Whether civilian firms of `dest` hold a general licence.
    pub fn general_for(&self, dest: usize) -> bool {
        self.deals[dest]
            .general_licence
            .unwrap_or(self.general_licence)
    }
    /// Whether extraterritorial reach applies to `dest`'s third-country supply.
    pub fn reach_for(&self, dest: usize) -> bool {
        self.extraterritorial && !self.deals[dest].reach_suspended.unwrap_or(false)
    }
}

/// A state's tracking system.
#[derive(Component, Debug, Clone)]
pub struct TrackingSystem {
    pub owner: StateIx,
    pub active: bool,
    pub detection_probability: f64,
    pub blacklist_weeks: f64,
    pub trust_penalty: f64,
}

/// A restriction on a target's access to one technology sector.
#[derive(Component, Debug, Clone)]
pub struct TechRestriction {
    /// Index among all restrictions of the scenario, in file order.
    pub id: u32,
    pub owner: StateIx,
    pub target: StateIx,
    pub sector: String,
    pub level: f64,
    pub value_to_target: f64,
    pub security_cost: f64,
    /// Total level lifted by agreements so far.
    pub conceded: f64,
    /// The levels its owner may move it to by decision, if any.
    pub ladder: Option<Ladder>,
    /// The week its owner last moved it by decision (0 at the start).
    pub since: u32,
    /// USD per week of the target's output that needs what is restricted.
    pub output_per_week: f64,
}

/// Makers of a material in its supplier state (`config::MakerDef`), with
/// this week's figures.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Maker {
    pub owner: StateIx,
    pub material: MaterialIx,
    pub name: String,
    /// kg/week at full capacity.
    pub capacity: f64,
    /// kg/week sold to buyers the model does not hold as firms.
    pub other_demand: f64,
    /// Jobs at full capacity.
    pub jobs: f64,
    /// This week's output (kg), revenue (USD) and jobs.
    pub output: f64,
    pub revenue: f64,
    pub employed: f64,
}

/// An escalation ladder on a policy (`config::LadderDef`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// The rungs' levels, strictly ascending, in [0, 1].
    pub rungs: Vec<f64>,
    /// The owner's weekly cost of the policy at level 1, in its pressure.
    pub cost: f64,
}

impl Ladder {
    /// The next rung above `level`, if any.
    pub fn up(&self, level: f64) -> Option<f64> {
        self.rungs.iter().copied().find(|&r| r > level + 1e-9)
    }

    /// The next rung below `level`, if any.
    pub fn down(&self, level: f64) -> Option<f64> {
        self.rungs.iter().rev().copied().find(|&r| r < level - 1e-9)
    }
}

/// A program building non-supplier capacity.
#[derive(Component, Debug, Clone)]
pub struct SubstitutionProgram {
    pub owner: StateIx,
    pub material: MaterialIx,
    pub name: String,
    pub capacity_target: f64,
    pub lead_weeks: f64,
    pub ramp_weeks: f64,
    pub political_cost: f64,
    pub start: StartRule,
    /// USD; weeks of output it is valued over (`StartRule::Value`).
    pub cost: f64,
    pub life_weeks: f64,
    /// USD per unit the owner guarantees the output (price floor with offtake).
    pub floor_price: Option<f64>,
    /// The floor's expected cost over the life if started now
    /// (`substitution::offtake_cost`), USD; and what the owner paid this
    /// week (floor less the outside price, x output).
    pub offtake_cost: f64,
    pub offtake_paid: f64,
    pub started_at: Option<u32>,
    /// kg/week available this week.
    pub capacity_now: f64,
    /// Its value to its owner this week (`substitution::value`), USD; at
    /// its start, the value that started it.
    pub value: f64,
    pub value_at_start: Option<f64>,
}

/// A strategic stockpile.
#[derive(Component, Debug, Clone)]
pub struct Stockpile {
    pub owner: StateIx,
    pub material: MaterialIx,
    pub quantity: f64,
    pub max_release: f64,
    pub rule: ReleaseRule,
    /// This week: whether every firm may draw on it (`ByValue` decides it
    /// weekly, `MilitaryFirst` always, `MilitaryOnly` never), and the weeks
    /// the supplier's control on its material has been in force.
    pub open: bool,
    pub exposure_weeks: u32,
}

// ----------------------------------------------------------------- negotiation

/// Where a negotiation track stands.
#[derive(Debug, Clone)]
pub enum TrackStatus {
    Idle,
    Open(Talks),
    Agreed(Agreement),
    BrokenDown { until: u32 },
}

impl TrackStatus {
    pub fn label(&self) -> &'static str {
        match self {
            TrackStatus::Idle => "idle",
            TrackStatus::Open(_) => "open",
            TrackStatus::Agreed(_) => "agreed",
            TrackStatus::BrokenDown { .. } => "broken_down",
        }
    }
}

/// An agreement in force and what it replaced.
#[derive(Debug, Clone)]
pub struct Agreement {
    pub space: IssueSpace,
    pub offer: Offer,
    pub since: u32,
    pub until: u32,
    /// Policy values before the agreement, restored on expiry or defection.
    pub saved: SavedPolicy,
}

/// Policy values an agreement changed, as (before, after). On expiry or
/// defection a value is restored only if it still holds the agreed value,
/// so a scheduled event since the agreement is not undone.
#[derive(Debug, Clone, Default)]
pub struct SavedPolicy {
    /// (restriction entity, level before, level after).
    pub restrictions: Vec<(Entity, f64, f64)>,
    /// The supplier's deal with the consumer, before and after.
    pub deal: Option<(Deal, Deal)>,
}

/// A negotiation track between a supplier and a consumer over one material.
#[derive(Component, Debug, Clone)]
pub struct Track {
    pub id: u32,
    pub supplier: StateIx,
    pub consumer: StateIx,
    pub material: MaterialIx,
    pub status: TrackStatus,
}

/// What each state believes of each other state's private resolve, as the
/// last talks or moves between them left it: `about[i][j]` is i's belief
/// about j (None: the prior). A state's resolve is drawn once a run and is
/// the same on every track, so beliefs carry over to a renewal, to talks
/// after a breakdown and to the tracks of other materials (Kreps and Wilson
/// 1982: reputation is a belief about the player, not about the game).
#[derive(Resource, Debug, Clone, Default)]
pub struct Beliefs {
    pub about: Vec<Vec<Option<crate::negotiation::belief::Belief>>>,
}

impl Beliefs {
    pub fn new(states: usize) -> Beliefs {
        Beliefs {
            about: vec![vec![None; states]; states],
        }
    }

    /// The beliefs of a track's parties, in party order (each about the
    /// next party), or none if any is still the prior.
    pub fn of(&self, parties: &[StateIx]) -> Vec<crate::negotiation::belief::Belief> {
        let n = parties.len();
        (0..n)
            .map(|i| self.about[parties[i] as usize][parties[(i + 1) % n] as usize].clone())
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }

    /// Keeps a track's parties' beliefs (in party order, as `of` gives them).
    pub fn keep(&mut self, parties: &[StateIx], beliefs: Vec<crate::negotiation::belief::Belief>) {
        let n = parties.len();
        if beliefs.len() != n {
            return;
        }
        for (i, b) in beliefs.into_iter().enumerate() {
            self.about[parties[i] as usize][parties[(i + 1) % n] as usize] = Some(b);
        }
    }
}

// ----------------------------------------------------------------- resources

/// The current tick.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Clock {
    pub week: u32,
    pub start: chrono::NaiveDate,
}

impl Clock {
    pub fn date(&self) -> chrono::NaiveDate {
        week_date(self.start, self.week)
    }
}

/// The date of week `week` of a run that starts on `start`. A run checked
/// by `config::Horizon` never passes the last date chrono knows; past it
/// the date stays at that last date instead of panicking.
pub fn week_date(start: chrono::NaiveDate, week: u32) -> chrono::NaiveDate {
    start
        .checked_add_days(chrono::Days::new(7 * week as u64))
        .unwrap_or(chrono::NaiveDate::MAX)
}

/// The run's seed.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Seed(pub u64);

/// Per material.
#[derive(Debug, Clone)]
pub struct MaterialInfo {
    pub id: String,
    pub supplier: StateIx,
    /// The reference price P0, USD per unit: the price before the controls.
    pub price: f64,
    /// Short-run price elasticity of demand, below 0.
    pub elasticity: f64,
    /// The most a market's price may reach, as a multiple of `price`.
    pub price_cap: f64,
}

/// A (home state, sector) group of firms: the unit of sector output.
#[derive(Debug, Clone)]
pub struct Group {
    pub home: StateIx,
    pub sector: String,
}

/// Names and fixed per-state data.
#[derive(Resource, Debug, Clone, Default)]
pub struct Registry {
    pub states: Vec<String>,
    pub materials: Vec<MaterialInfo>,
    pub groups: Vec<Group>,
    /// [state][material] kg/week from third countries.
    pub other_supply: Vec<Vec<f64>>,
    /// [material][state] pre-control weekly purchases from the supplier, kg.
    pub baseline_imports: Vec<Vec<f64>>,
    /// [material][state]: whether the state buys the material from its
    /// supplier before the controls (firms of its own that may draw a
    /// positive demand and supplier share). Known from the scenario alone,
    /// before any draw: it decides which tracks and output columns exist.
    pub importers: Vec<Vec<bool>>,
    /// [material][state]: the importers whose imports a deal could bring
    /// back (firms of end uses the supplier's control does not ban
    /// outright): the pairs and materials with a negotiation track.
    pub negotiable: Vec<Vec<bool>>,
    /// [state][material]: whether the state has military firms on it.
    pub has_military: Vec<Vec<bool>>,
    /// [state][material] kg/week military firms need at full capacity, and
    /// their capacity, units/week.
    pub military_demand: Vec<Vec<f64>>,
    pub military_capacity: Vec<Vec<f64>>,
    pub firm_count: usize,
}

/// Shared settings.
#[derive(Resource, Debug, Clone)]
pub struct Settings {
    pub supply: SupplyParams,
    pub negotiation: NegotiationParams,
}

/// The protocol that runs every track.
#[derive(Resource)]
pub struct ActiveProtocol(pub Box<dyn Protocol>);

/// Tier-1 links: for each OEM a contiguous range, ordered by part.
#[derive(Resource, Debug, Clone, Default)]
pub struct Links {
    pub supplier: Vec<u32>,
    pub part: Vec<u32>,
}

/// Last week's utilization of every firm, by `FirmId`.
#[derive(Resource, Debug, Clone, Default)]
pub struct Utilization(pub Vec<f32>);

/// Licensing terms a firm of `home` faces for `material` this week.
#[derive(Debug, Clone)]
pub struct LicenceTerms {
    /// A licence is needed at all (control active, foreign firm).
    pub controlled: bool,
    pub required: [bool; 3],
    /// Effective approval probability, after trust and talks.
    pub approval: [f64; 3],
    pub military_ban: bool,
    pub general_licence: bool,
    pub validity: u32,
    pub reapply: u32,
    pub headroom: f64,
    pub review_lag: Sampler,
    /// Tracking by the supplier: detection probability, blacklist weeks (0 = off).
    pub detection: f64,
    pub blacklist: u32,
    /// Per end use, the weeks of use a firm holds against the lead time a
    /// licence adds (`supply::lead_time_cover`); 0 when none is needed.
    pub cover: [f64; 3],
}

/// [material][home] licensing terms, rebuilt at the start of each licensing phase.
#[derive(Resource, Debug, Clone, Default)]
pub struct LicensingView(pub Vec<Vec<LicenceTerms>>);

/// Per (state, material) non-supplier supply this week.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolState {
    pub capacity: f64,
    /// Share of requests met, [other, military].
    pub fill: [f64; 2],
    /// Share of the remaining shortfall met by the stockpile, [other, military].
    pub stock_fill: [f64; 2],
    /// Diverted kg arriving, per kg of military demand.
    pub grey_per_demand: f64,
}

/// A material's prices this week, USD per unit: in its supplier state's
/// market and in the market outside it (every other state's firms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Market {
    pub inside: f64,
    pub outside: f64,
}

impl Market {
    /// The price firms of `home` pay outside their supplier's shipments:
    /// the inside price if `home` is the material's `supplier`, else the
    /// outside one.
    pub fn for_home(&self, home: StateIx, supplier: StateIx) -> f64 {
        if home == supplier {
            self.inside
        } else {
            self.outside
        }
    }
}

/// [material] markets, cleared each week once the material is delivered
/// (`supply::clear_price`).
#[derive(Resource, Debug, Clone, Default)]
pub struct Markets(pub Vec<Market>);

/// [state][material] pools.
#[derive(Resource, Debug, Clone, Default)]
pub struct Pools(pub Vec<Vec<PoolState>>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiation::belief::Belief;

    /// Beliefs are about a state, not a track: what the talks on one
    /// track left (here, of states 0 and 2) is what every other track
    /// between the same two states starts from, in either party order,
    /// and a track of another pair starts from the prior.
    #[test]
    fn beliefs_carry_over_to_every_track_of_the_same_pair() {
        let mut b = Beliefs::new(3);
        assert!(b.of(&[0, 2]).is_empty());
        let (about_2, about_0) = (Belief::point(0.7), Belief::point(0.1));
        b.keep(&[0, 2], vec![about_2.clone(), about_0.clone()]);
        assert_eq!(b.of(&[0, 2]), vec![about_2.clone(), about_0.clone()]);
        assert_eq!(b.of(&[2, 0]), vec![about_0, about_2]);
        assert!(b.of(&[0, 1]).is_empty());
    }
}
