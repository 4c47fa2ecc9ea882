//! The scenario file (`models/*.ron`): the world a run starts from.
//!
//! Every struct and enum denies unknown fields, so a typo is an error, not a
//! silently ignored default. Units and defaults are in each field's doc
//! comment; `check.rs` holds the ranges.

use serde::{Deserialize, Serialize};

/// A whole scenario: states with their policies, materials, firms and
/// generated firm populations, negotiation settings and the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used in output and manifests.
    pub name: String,
    /// Free text: what the scenario represents and where its figures come from.
    #[serde(default)]
    pub description: String,
    /// Traded materials. Each has one supplier state whose export controls apply.
    pub materials: Vec<Material>,
    /// State agents (any number).
    pub states: Vec<StateDef>,
    /// Named firms (GM, Lockheed Martin, ...).
    #[serde(default)]
    pub firms: Vec<FirmDef>,
    /// Generated firm populations, drawn from distributions at build time.
    #[serde(default)]
    pub populations: Vec<PopulationDef>,
    /// Multiplies every population's `count` (rounded), in [0, 5e7]; the
    /// scenario may have at most 5e7 firms in all. Default 1.0; use it to
    /// scale the world: `--set population_scale=100`.
    #[serde(default = "one")]
    pub population_scale: f64,
    /// Supply-side settings shared by all firms.
    #[serde(default)]
    pub supply: SupplyParams,
    /// Negotiation protocol and its settings.
    #[serde(default)]
    pub negotiation: NegotiationParams,
    /// Scheduled events (exogenous inputs), by week.
    #[serde(default)]
    pub timeline: Vec<ScheduledEvent>,
}

pub(crate) fn one() -> f64 {
    1.0
}

/// A traded material, e.g. NdFeB magnets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// Identifier used in firm and policy definitions.
    pub id: String,
    /// Unit of quantity (documentation only). Default "kg".
    #[serde(default = "kg")]
    pub unit: String,
    /// Code of the state that supplies the bulk of it and may control its export.
    pub supplier: String,
    /// Reference price, USD per unit: the price of both markets (inside the
    /// supplier state and outside it) before the controls, in [0, 1e12]
    /// (above any material's price). Default 60.
    #[serde(default = "default_price")]
    pub price_per_unit: f64,
    /// Short-run price elasticity of demand, in [-5, -0.01]: a market's
    /// price clears at reference x (delivered / demand)^(1 / elasticity),
    /// a firm's demand its use at full capacity (or what it was delivered,
    /// when it restocks).
    /// Default -0.2 (magnets: about -0.1 to -0.3).
    #[serde(default = "default_elasticity")]
    pub demand_elasticity: f64,
    /// The highest price a market may reach, as a multiple of the reference
    /// price, in [1, 1e6]: the backstop, what buyers pay for the next-best
    /// source. Default 6.
    #[serde(default = "default_price_cap")]
    pub price_cap: f64,
}

fn default_elasticity() -> f64 {
    -0.2
}
fn default_price_cap() -> f64 {
    6.0
}

fn kg() -> String {
    "kg".into()
}
fn default_price() -> f64 {
    60.0
}

/// End use of a firm's output: decides licensing and supply priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub enum EndUse {
    /// Civilian products (cars, appliances).
    Civilian,
    /// Dual-use products; licence holders may divert to military buyers.
    DualUse,
    /// Military end users (defence primes and their suppliers).
    Military,
}

impl EndUse {
    pub const ALL: [EndUse; 3] = [EndUse::Civilian, EndUse::DualUse, EndUse::Military];
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A value per end use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerEndUse<T> {
    pub civilian: T,
    pub dual_use: T,
    pub military: T,
}

impl<T: Copy> PerEndUse<T> {
    pub fn get(&self, e: EndUse) -> T {
        match e {
            EndUse::Civilian => self.civilian,
            EndUse::DualUse => self.dual_use,
            EndUse::Military => self.military,
        }
    }
    pub fn set(&mut self, e: EndUse, v: T) {
        match e {
            EndUse::Civilian => self.civilian = v,
            EndUse::DualUse => self.dual_use = v,
            EndUse::Military => self.military = v,
        }
    }
}

/// A state agent with its preferences and policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "State")]
pub struct StateDef {
    /// Short code, e.g. "US", "CN".
    pub code: String,
    /// Negotiation preferences.
    #[serde(default)]
    pub preferences: Preferences,
    /// How domestic pressure forms.
    #[serde(default)]
    pub pressure: PressureParams,
    /// Initial trust in every other state, in [0, 1]. Default 0.5.
    #[serde(default = "half")]
    pub initial_trust: f64,
    /// Export controls this state holds, one per material it supplies.
    #[serde(default)]
    pub export_controls: Vec<ExportControlDef>,
    /// The state's tracking system for controlled exports, if any.
    #[serde(default)]
    pub tracking: Option<TrackingDef>,
    /// Restrictions this state imposes on other states' access to its technology.
    #[serde(default)]
    pub tech_restrictions: Vec<TechRestrictionDef>,
    /// Programs that build non-supplier capacity for this state.
    #[serde(default)]
    pub substitution: Vec<SubstitutionDef>,
    /// Strategic stockpiles held by this state.
    #[serde(default)]
    pub stockpiles: Vec<StockpileDef>,
    /// Supply from third countries (allies), per material, kg/week.
    #[serde(default)]
    pub other_supply: Vec<OtherSupplyDef>,
    /// The state's own makers of the materials it supplies (models/ODD.md
    /// 7.10). Default none.
    #[serde(default)]
    pub makers: Vec<MakerDef>,
}

/// Makers of a material in its supplier state: they sell to buyers the
/// model does not hold as firms (the supplier's own market and other
/// export markets) and to the export markets the model does, so their
/// output, revenue and jobs fall when exports are denied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Maker")]
pub struct MakerDef {
    /// Name, unique within the state.
    pub name: String,
    /// A material the state supplies.
    pub material: String,
    /// Output at full capacity, kg per week, in [0, 1e12].
    pub capacity: f64,
    /// kg per week sold to buyers the model does not hold as firms, in
    /// [0, 1e12]: a fixed demand at the reference price.
    pub other_demand: f64,
    /// Jobs at full capacity, in [0, 1e10]; jobs follow output.
    pub jobs: f64,
}

fn half() -> f64 {
    0.5
}

fn ten_years() -> f64 {
    520.0
}

/// How a state bargains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Preferences {
    /// How the state offers and answers: `Screening` (the offer that
    /// maximises its expected utility under its belief about the other's
    /// resolve; it accepts what beats its reservation), or a time-dependent
    /// tactic (Faratin et al. 1998): `Boulware(e)` with e in (0, 1),
    /// `Linear`, or `Conceder(e)` with e in (1, 100]. Default `Boulware(e: 0.5)`.
    pub concession: Concession,
    /// The state's private resolve: the utility (0..1 scale) it asks
    /// beyond its no-deal outlook before it accepts, drawn once per run
    /// from this distribution, which the other state knows (its prior).
    /// Values in [0, 1]: `Fixed`, `Uniform`, `Triangular` or `Beta`. Default
    /// `Fixed(value: 0.0)` (no private resolve).
    pub resolve: Dist,
    /// Weekly discount factor, in [0, 1]: an offer is accepted when it is worth at
    /// least this times the side's own next target. Default 0.98.
    pub discount: f64,
    /// Smoothed pressure at which this state opens talks, in [0, 1]. Default 0.3.
    pub open_threshold: f64,
    /// How strongly pressure makes holding out costly: the state's weekly
    /// discount rate rises by 1 + pressure_gain x pressure (its discount
    /// factor becomes discount^(1 + pressure_gain x pressure)), so at full
    /// pressure a week of delay costs it 1 + pressure_gain times as much.
    /// In [0, 1000]. Default 2.0.
    pub pressure_gain: f64,
    /// Utility a defection must gain (0..1 scale) before the state defects, in [0, 1]. Default 0.25.
    pub reputation_cost: f64,
    /// Audience cost (Fearon 1994): what withdrawing an escalation costs the
    /// state per week the escalation has stood, in pressure-weeks (one week
    /// at full pressure; models/ODD.md 7.9), in [0, 100]. Default 0.0.
    pub audience_cost: f64,
    /// Salience of the supply issues (to a consumer: what it gains; to a
    /// supplier: what it gives up). Each in [0, 1000].
    pub salience: SupplySalience,
    /// What a readiness gap costs the state in its no-deal outlook: its
    /// no-deal utility (0..1 scale, the share of its whole stake on a track)
    /// falls by this times its readiness gap this week, so that at weight
    /// 0.5 a quarter of its military capacity idle costs it 0.125 of the
    /// table (models/ODD.md 7.11). In [0, 10]. Default 0.0.
    pub readiness_weight: f64,
    /// What the state counts a week of its whole military capacity idle
    /// (a readiness gap of 1) as costing, USD per week, when it weighs a
    /// substitution programme started by value (models/ODD.md 7.11). In
    /// [0, 1e15]. Default 0.0.
    pub readiness_value: f64,
    /// What a kg of material its firms are short costs the state, USD,
    /// when it weighs a substitution programme by value; 0 (the default)
    /// takes the backstop price (reference x cap), what a buyer would pay
    /// the next-best source, a lower bound. In [0, 1e9].
    pub shortage_value: f64,
    /// The real annual discount rate at which the state values a
    /// programme's future output, in [0, 1]. Default 0.07 (OMB Circular
    /// A-94's base rate).
    pub investment_rate: f64,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            concession: Concession::Boulware { e: 0.5 },
            resolve: Dist::Fixed { value: 0.0 },
            discount: 0.98,
            open_threshold: 0.3,
            pressure_gain: 2.0,
            reputation_cost: 0.25,
            audience_cost: 0.0,
            salience: SupplySalience::default(),
            readiness_weight: 0.0,
            readiness_value: 0.0,
            shortage_value: 0.0,
            investment_rate: 0.07,
        }
    }
}

/// Salience of the issues a supplier controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupplySalience {
    /// Civilian approval rate, in [0, 1000]. Default 1.0.
    pub civilian_approval: f64,
    /// Licence validity, in [0, 1000]. Default 0.3.
    pub licence_validity: f64,
    /// General licences for civilian users, in [0, 1000]. Default 0.4.
    pub general_licence: f64,
    /// Suspension of expanded (extraterritorial) controls, in [0, 1000]. Default 0.3.
    pub suspend_expanded: f64,
}

impl Default for SupplySalience {
    fn default() -> Self {
        SupplySalience {
            civilian_approval: 1.0,
            licence_validity: 0.3,
            general_licence: 0.4,
            suspend_expanded: 0.3,
        }
    }
}

/// Time-dependent concession: target utility
/// u(t) = 1 - (1 - u_res) t^(1/e), t the share of the deadline used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Concession {
    /// e in (0, 1): holds out, concedes late.
    Boulware { e: f64 },
    /// e = 1.
    Linear,
    /// e in (1, 100]: concedes early.
    Conceder { e: f64 },
    /// Screens: offers by expected utility under its belief, with no
    /// deadline-driven target, and accepts what beats both its reservation
    /// and its value of holding out (models/ODD.md, 7.7).
    Screening,
}

impl Concession {
    pub fn exponent(self) -> f64 {
        match self {
            Concession::Boulware { e } | Concession::Conceder { e } => e,
            Concession::Linear | Concession::Screening => 1.0,
        }
    }
}

/// Weights of the terms of a state's domestic pressure (each term is 0..1;
/// pressure = 1 - exp(-weighted sum)). Each weight is in [0, 1000].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PressureParams {
    /// Lost civilian output share, weighted by jobs x political weight, in [0, 1000]. Default 1.0.
    pub lost_output: f64,
    /// Readiness gap: share of military capacity idle, in [0, 1000]. Default 0.6.
    pub readiness: f64,
    /// Material shortage share (stands for price), in [0, 1000]. Default 0.3.
    pub price: f64,
    /// Lost export revenue share (as a supplier), in [0, 1000]. Default 0.6.
    pub lost_revenue: f64,
    /// Restrictions faced, value-weighted level (as a target), in [0, 1000]. Default 0.3.
    pub restrictions: f64,
    /// Erosion of leverage: consumers' substitution share (as a supplier), in [0, 1000]. Default 0.5.
    pub leverage_erosion: f64,
    /// Exponential smoothing weight of the newest week, in [0, 1]. Default 0.3.
    pub smoothing: f64,
}

impl Default for PressureParams {
    fn default() -> Self {
        PressureParams {
            lost_output: 1.0,
            readiness: 0.6,
            price: 0.3,
            lost_revenue: 0.6,
            restrictions: 0.3,
            leverage_erosion: 0.5,
            smoothing: 0.3,
        }
    }
}

/// A state's export control on one material.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "ExportControl")]
pub struct ExportControlDef {
    /// Material id.
    pub material: String,
    /// Whether the control is in force at week 0 (a timeline event can switch it on).
    #[serde(default)]
    pub active: bool,
    /// Whether a licence is required, per end use.
    pub licence_required: PerEndUse<bool>,
    /// Weeks from application to decision, values in [0, 10000].
    pub review_lag: Dist,
    /// Weeks a granted licence is valid, in (0, 10000] and within
    /// `validity_range`. Default 26.
    #[serde(default = "default_validity")]
    pub validity_weeks: f64,
    /// Range of validity a negotiation may agree, weeks: (min, max), each in
    /// (0, 10000], min <= max. Default (4, 52).
    #[serde(default = "default_validity_range")]
    pub validity_range: (f64, f64),
    /// Probability that a decided application is approved, per end use, each in [0, 1].
    pub approval: PerEndUse<f64>,
    /// Military end users denied outright.
    #[serde(default)]
    pub military_ban: bool,
    /// General licence: civilian users approved at once, no review.
    #[serde(default)]
    pub general_licence: bool,
    /// Extraterritorial reach: third-country supply with controlled content needs licences.
    #[serde(default)]
    pub extraterritorial: bool,
    /// Share of third-country (ally) supply cut while extraterritorial reach is on, in [0, 1]. Default 0.3.
    #[serde(default = "default_reach_share")]
    pub extraterritorial_share: f64,
    /// The supplier may switch the extraterritorial reach on and off by its
    /// escalation rule (models/ODD.md 7.9), at this weekly cost while it is
    /// on, in its own pressure (0..1 scale), in [0, 1]. None: only the
    /// timeline and agreements move it. Default None.
    #[serde(default)]
    pub reach_cost: Option<f64>,
    /// Temporary licences as the supplier's probe (the "strategic trial",
    /// models/ODD.md 7.9): the validity of the licences it grants a state
    /// starts short, grows after weeks without an escalation by that state
    /// or a detected diversion by its firms, and is cut back after one. A
    /// validity an agreement sets overrides it. None: `validity_weeks`
    /// throughout. Default None.
    #[serde(default)]
    pub probe: Option<ProbeDef>,
    /// Weeks a denied firm waits before it may apply again, in [0, 10000]. Default 4.
    #[serde(default = "default_reapply")]
    pub reapply_weeks: f64,
    /// Licensed kg/week as a multiple of the firm's supplier-sourced demand, in (0, 1000]. Default 1.5.
    #[serde(default = "default_headroom")]
    pub licence_headroom: f64,
    /// How much trust in the applicant's home state counts: approval x
    /// (1 - trust_weight + trust_weight x trust), in [0, 1]. Default 0.5.
    #[serde(default = "half")]
    pub trust_weight: f64,
    /// Approval multiplier cut while talks with the applicant's state are broken down, in [0, 1]. Default 0.5.
    #[serde(default = "half")]
    pub breakdown_penalty: f64,
}

fn default_validity() -> f64 {
    26.0
}
fn default_validity_range() -> (f64, f64) {
    (4.0, 52.0)
}
fn default_reach_share() -> f64 {
    0.3
}
fn default_reapply() -> f64 {
    4.0
}
fn default_headroom() -> f64 {
    1.5
}

/// Tracking of controlled exports (the "panopticon").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Tracking")]
pub struct TrackingDef {
    /// In force at week 0 (a timeline event can switch it on).
    #[serde(default)]
    pub active: bool,
    /// Probability a diverting firm is detected in a week, in [0, 1].
    pub detection_probability: f64,
    /// Weeks a detected firm is blacklisted, in [0, 10000].
    pub blacklist_weeks: f64,
    /// Fall in the state's trust in the firm's home state per detection, in [0, 1].
    pub trust_penalty: f64,
}

/// A restriction on a target state's access to one technology sector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "TechRestriction")]
pub struct TechRestrictionDef {
    /// Sector name, e.g. "eda_software".
    pub sector: String,
    /// Code of the target state.
    pub target: String,
    /// Restriction level at week 0, in [0, 1].
    pub level: f64,
    /// Value of full access to the target (its salience in talks), in [0, 1000].
    pub value_to_target: f64,
    /// Security cost to the restricting state of lifting it fully, in [0, 1000].
    pub security_cost: f64,
    /// The levels the restricting state may raise or lower it to by its own
    /// decision (models/ODD.md 7.9). None: only agreements and the timeline
    /// move it. Default None.
    #[serde(default)]
    pub ladder: Option<LadderDef>,
    /// USD per week of the target sector's output that needs what is
    /// restricted, in [0, 1e15]: lost in proportion to the level. Default 0.
    #[serde(default)]
    pub output_per_week: f64,
}

/// Temporary licences as a probe: validity `start_weeks`, lengthened by
/// `step_weeks` (up to the top of `validity_range`) after each
/// `quiet_weeks` weeks without an escalation by the state or a detected
/// diversion by its firms, and back to `start_weeks` after one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Probe")]
pub struct ProbeDef {
    /// Validity at the start and after a cut, weeks, within `validity_range`.
    pub start_weeks: f64,
    /// Weeks added after each quiet spell, in (0, 10000].
    pub step_weeks: f64,
    /// Weeks without an escalation or a detection before each step, in (0, 10000].
    pub quiet_weeks: f64,
}

/// An escalation ladder on a policy: the levels its state may move it to,
/// one rung a week, by its escalation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Ladder")]
pub struct LadderDef {
    /// The rungs' levels, strictly ascending, each in [0, 1]; at least two.
    /// The level at week 0 need not be a rung.
    pub rungs: Vec<f64>,
    /// The weekly cost to the state of the policy at level 1 (its firms'
    /// lost sales, say), in its own pressure (0..1 scale; models/ODD.md
    /// 7.9); a level x costs x times this. In [0, 1].
    pub cost: f64,
}

/// A program building non-supplier capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Substitution")]
pub struct SubstitutionDef {
    pub name: String,
    pub material: String,
    /// Capacity at full ramp, kg/week, in [0, 1e12] (above world output of
    /// any material).
    pub capacity: f64,
    /// Weeks from start until the first output, in [0, 10000].
    pub lead_weeks: f64,
    /// Weeks from first output to full capacity (linear ramp), in [0, 10000].
    pub ramp_weeks: f64,
    /// Cost, USD, in [0, 1e15]: what a programme started by `Value` must be
    /// worth to start (other start rules ignore it).
    #[serde(default)]
    pub cost: f64,
    /// Weeks of output a programme started by `Value` is valued over, from
    /// its first output, in (0, 10000]. Default 520 (ten years).
    #[serde(default = "ten_years")]
    pub life_weeks: f64,
    /// A price floor with offtake, USD per unit: the owner buys the
    /// programme's output at no less than this, paying the producer the
    /// floor less the outside price when that is lower (the DoD-MP deal of
    /// July 2025). A programme started by `Value` counts the floor's
    /// expected cost over its life in its cost. In [0, 1e9]. Default none.
    #[serde(default)]
    pub floor_price: Option<f64>,
    /// Political cost in [0, 1]: a triggered program starts only when pressure
    /// exceeds both its trigger and this cost.
    #[serde(default)]
    pub political_cost: f64,
    pub start: StartRule,
}

/// When a substitution program starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum StartRule {
    /// In the given week, in [0, 10000].
    Scheduled { week: f64 },
    /// In the first week the owner's smoothed pressure reaches the threshold, in [0, 1].
    Pressure { threshold: f64 },
    /// In the first week the programme's value to its owner (the shortage
    /// and readiness losses it would avoid over its life, discounted, with
    /// the chance the shortage lasts) reaches its cost, and the owner's
    /// pressure its political cost (models/ODD.md 7.11).
    Value,
}

/// A strategic stockpile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Stockpile")]
pub struct StockpileDef {
    pub material: String,
    /// Quantity at week 0, kg, in [0, 1e15].
    pub quantity: f64,
    /// Most it releases in a week, kg, in [0, 1e12].
    pub max_release_per_week: f64,
    /// Who may draw on it. Default MilitaryOnly.
    #[serde(default)]
    pub release: ReleaseRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ReleaseRule {
    /// Only military firms' shortfall.
    #[default]
    MilitaryOnly,
    /// Military shortfall first, then everyone's, pro rata.
    MilitaryFirst,
    /// Military shortfall first; everyone's too in a week when a kg is
    /// worth more to the civilian firms than kept for the military
    /// (models/ODD.md 7.11): the owner's `shortage_value` (or the backstop
    /// price) against the chance the military will need it before the
    /// control ends x the readiness loss a kg short costs.
    ByValue,
}

/// Supply from third countries to a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "OtherSupply")]
pub struct OtherSupplyDef {
    pub material: String,
    /// kg/week available to this state's firms from non-supplier sources, in [0, 1e12].
    pub capacity: f64,
}

/// Supply settings shared by all firms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupplyParams {
    /// Weeks over which a firm closes the gap to its target inventory, in
    /// [0.1, 10000]. Default 4.
    pub restock_weeks: f64,
    /// How non-supplier capacity is shared. Default MilitaryFirst.
    pub priority: PriorityRule,
    /// Share of a diverting firm's supplier receipts it diverts, in [0, 1]. Default 0.3.
    pub diversion_share: f64,
    /// Safety factor z of the order-up-to level (inventory theory): a firm
    /// whose supplier needs a licence holds its lead time's mean plus z of
    /// its standard deviations of use on top of its inventory target, in
    /// [0, 10]. z = 1 covers about 84 % of lead times. Default 1.
    pub safety_factor: f64,
    /// The highest denial probability a firm plans for, in [0, 0.99]: the
    /// lead time of a certain denial is not finite. Default 0.9.
    pub max_denial: f64,
    /// The most weeks of use a firm holds against lead time on top of its
    /// inventory target (storage and working capital), in [0, 520].
    /// Default 26.
    pub max_cover_weeks: f64,
    /// Mean premium of a military buyer's offer to a dual-use firm, as a
    /// share of the outside price, in [0, 1000]: offers are exponential
    /// with this mean. Default 1.
    pub military_premium: f64,
    /// USD of margin a firm earns per USD of material (at the reference
    /// price) it uses, in [0, 1000]: what a week without its supplier's
    /// material costs it, for the diversion decision. Default 2.
    pub margin_per_material: f64,
}

impl Default for SupplyParams {
    fn default() -> Self {
        SupplyParams {
            restock_weeks: 4.0,
            priority: PriorityRule::MilitaryFirst,
            diversion_share: 0.3,
            safety_factor: 1.0,
            max_denial: 0.9,
            max_cover_weeks: 26.0,
            military_premium: 1.0,
            margin_per_material: 2.0,
        }
    }
}

/// Allocation of scarce non-supplier capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PriorityRule {
    /// Military requests are met in full first, then the rest pro rata.
    MilitaryFirst,
    /// Everyone pro rata to request.
    ProRata,
}

/// A named firm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Firm")]
pub struct FirmDef {
    pub name: String,
    /// Home state code.
    pub home: String,
    /// Sector (free name; output is reported per home state and sector).
    pub sector: String,
    pub end_use: EndUse,
    pub material: String,
    /// Units of output per week at full capacity, in [0, 1e12].
    pub capacity: f64,
    /// Material per unit of output, kg, in [0, 1e6].
    pub intensity: f64,
    /// Share of material bought from the material's supplier state, in [0, 1].
    pub supplier_share: f64,
    /// Inventory at week 0 and target, in weeks of full-capacity use, in [0, 10000].
    pub inventory_weeks: f64,
    /// Jobs at full capacity, in [0, 1e10]. Default 0.
    #[serde(default)]
    pub jobs: f64,
    /// Political weight of the firm's jobs (swing states, unions), in [0, 1000]. Default 1.
    #[serde(default = "one")]
    pub political_weight: f64,
    /// Weekly probability of diverting receipts to military buyers (dual-use only), in [0, 1]. Default 0.
    #[serde(default)]
    pub diversion_propensity: f64,
    /// Names of named tier-1 suppliers whose output limits this firm's (Leontief).
    #[serde(default)]
    pub tier1: Vec<String>,
    /// How the firm may adapt to a shortage: redesign, relocation (models/ODD.md 7.11). Default none.
    #[serde(default)]
    pub adaptation: Option<AdaptationDef>,
}

/// A generated population of firms. Its distributions have the ranges of
/// the named firm's fields (see `Dist` for what that asks of each kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Population")]
pub struct PopulationDef {
    pub name: String,
    pub home: String,
    pub sector: String,
    pub end_use: EndUse,
    pub material: String,
    /// Number of firms (times `population_scale`), in [0, 5e7].
    #[serde(deserialize_with = "super::whole::whole")]
    pub count: u64,
    /// Units/week, in [0, 1e12].
    pub capacity: Dist,
    /// kg/unit, in [0, 1e6].
    pub intensity: Dist,
    /// In [0, 1].
    pub supplier_share: Dist,
    /// Weeks of full-capacity use held at week 0, in [0, 10000].
    pub inventory_weeks: Dist,
    /// Jobs per firm, in [0, 1e10].
    pub jobs: Dist,
    /// Political weight of the jobs, in [0, 1000]. Default `Fixed(value: 1.0)`.
    #[serde(default = "fixed_one")]
    pub political_weight: Dist,
    /// In [0, 1] (dual-use only). Default `Fixed(value: 0.0)`.
    #[serde(default = "fixed_zero")]
    pub diversion_propensity: Dist,
    /// Tier-1 links: each generated firm supplies one firm of the named
    /// sector in the same home state, chosen with probability proportional
    /// to capacity, for one of `parts` distinct parts.
    #[serde(default)]
    pub supplies: Option<SupplyLink>,
    /// How its firms may adapt to a shortage: redesign, relocation (models/ODD.md 7.11). Default none.
    #[serde(default)]
    pub adaptation: Option<AdaptationDef>,
}

impl PopulationDef {
    /// Firms it generates at `population_scale` `scale`.
    pub fn scaled_count(&self, scale: f64) -> u64 {
        (self.count as f64 * scale).round() as u64
    }
}

fn fixed_one() -> Dist {
    Dist::Fixed { value: 1.0 }
}
fn fixed_zero() -> Dist {
    Dist::Fixed { value: 0.0 }
}

/// Tier-1 link rule of a population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyLink {
    /// Sector of the customers (OEMs).
    pub sector: String,
    /// Distinct parts per customer, in [1, 65536]; suppliers of one part
    /// substitute for each other, parts do not (Leontief across parts). Default 10.
    #[serde(default = "default_parts", deserialize_with = "super::whole::whole")]
    pub parts: u32,
}

fn default_parts() -> u32 {
    10
}

/// A distribution for drawing firm attributes (statrs). Its values must
/// lie in the field's range: `Fixed`, `Uniform` and `Triangular` inside
/// it; `Beta` (on 0..1) needs a field that reaches 1; `LogNormal` and `Gamma`
/// have unbounded tails, so their mean must lie in (0, the field's upper
/// bound] and their sd between 0.001 and 10 times the mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// Always `value`.
    Fixed { value: f64 },
    /// Uniform on [min, max].
    Uniform { min: f64, max: f64 },
    /// Triangular on [min, max] with its peak at `mode`.
    Triangular { min: f64, mode: f64, max: f64 },
    /// Parametrised by the mean and standard deviation of the variable itself.
    LogNormal { mean: f64, sd: f64 },
    /// Parametrised by mean and standard deviation.
    Gamma { mean: f64, sd: f64 },
    /// On 0..1, parametrised by mean and standard deviation. Both shape
    /// parameters (a = mean k, b = (1 - mean) k, k = mean (1 - mean) / sd^2 - 1)
    /// must be in [0.05, 1e6].
    Beta { mean: f64, sd: f64 },
}

/// Negotiation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NegotiationParams {
    /// Protocol. Default AlternatingOffers.
    pub protocol: ProtocolKind,
    /// Rounds (weeks) after opening by which talks must conclude, in (0, 10000]. Default 26.
    pub deadline_weeks: f64,
    /// Probability talks break down after a rejection, in [0, 1]. Default 0.05.
    pub breakdown_probability: f64,
    /// Weeks after a breakdown before talks may reopen, in [0, 10000]. Default 8.
    pub cooldown_weeks: f64,
    /// Weeks an agreement lasts, in (0, 10000]. Default 52.
    pub term_weeks: f64,
    /// Reopen talks at once when an agreement expires. Default true.
    pub reopen_on_expiry: bool,
    /// Trust gained by both sides on agreement, in [0, 1]. Default 0.1.
    pub trust_gain: f64,
    /// Trust lost by the victim of a defection in the defector, in [0, 1]. Default 0.3.
    pub defection_trust_loss: f64,
    /// Trust lost by both sides on a breakdown, in [0, 1]. Default 0.05.
    pub breakdown_trust_loss: f64,
    /// How much trust counts in the value of what the other side gives in a
    /// deal (a promise, kept only if the other keeps its word): its weight in
    /// the state's utility is multiplied by (1 - trust_weight + trust_weight
    /// x trust), trust being the state's trust in the other (a reweighting:
    /// utilities are normalised, models/ODD.md 7.7). In [0, 1]. Default 0.3.
    pub trust_weight: f64,
    /// Noise tau of the quantal (logit) answers that beliefs assume, on the
    /// responder's resolve scale (a share of the most it could gain over no
    /// deal, like the resolve), in (0, 1]:
    /// P(accept) = 1 / (1 + exp(-(U - r) / (tau (1 - r_pub)))). Default 0.03.
    pub response_noise: f64,
    /// Types on the grid of each belief (quantiles of the other's resolve), in [1, 101]. Default 21.
    #[serde(deserialize_with = "super::whole::whole")]
    pub belief_types: u32,
    /// Weeks H over which a state weighs an escalation's gain against its
    /// cost (models/ODD.md 7.9), in (0, 10000]. Default 26.
    pub escalation_horizon_weeks: f64,
    /// Noise of the quantal (logit) choice among escalating, holding and
    /// withdrawing, in pressure-weeks (the unit of the choice's values), in
    /// (0, 100]. Default 0.05.
    pub escalation_noise: f64,
}

impl Default for NegotiationParams {
    fn default() -> Self {
        NegotiationParams {
            protocol: ProtocolKind::AlternatingOffers,
            deadline_weeks: 26.0,
            breakdown_probability: 0.05,
            cooldown_weeks: 8.0,
            term_weeks: 52.0,
            reopen_on_expiry: true,
            trust_gain: 0.1,
            defection_trust_loss: 0.3,
            breakdown_trust_loss: 0.05,
            trust_weight: 0.3,
            response_noise: 0.03,
            belief_types: 21,
            escalation_horizon_weeks: 26.0,
            escalation_noise: 0.05,
        }
    }
}

/// Which bargaining protocol runs the tracks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ProtocolKind {
    /// Alternating offers, one round per week; each state offers and
    /// answers by its own `preferences.concession`, and holds a belief
    /// about the other's resolve.
    AlternatingOffers,
}

/// An exogenous event at a given week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledEvent {
    /// Week (tick) at which it happens, in [0, 10000].
    #[serde(deserialize_with = "super::whole::whole")]
    pub week: u32,
    /// Free label for the output.
    #[serde(default)]
    pub label: String,
    pub action: EventAction,
}

/// What a scheduled event does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum EventAction {
    /// Switch an export control on or off.
    SetControlActive {
        state: String,
        material: String,
        active: bool,
    },
    /// Set the approval probability for one end use (`probability` in [0, 1]).
    SetApproval {
        state: String,
        material: String,
        end_use: EndUse,
        probability: f64,
    },
    /// Military end-user ban on or off.
    SetMilitaryBan {
        state: String,
        material: String,
        on: bool,
    },
    /// Extraterritorial reach on or off.
    SetExtraterritorial {
        state: String,
        material: String,
        on: bool,
    },
    /// General-licence mode on or off.
    SetGeneralLicence {
        state: String,
        material: String,
        on: bool,
    },
    /// Tracking system on or off.
    SetTracking { state: String, active: bool },
    /// Set a restriction's level (raising or easing it; `level` in [0, 1]).
    SetRestriction {
        state: String,
        target: String,
        sector: String,
        level: f64,
    },
}

/// How a firm adapts to a shortage (models/ODD.md 7.11): each week it
/// weighs the expected cost of its shortage over `life_weeks` against the
/// cost of a redesign (a decision) and of moving (a weekly hazard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Adaptation")]
pub struct AdaptationDef {
    /// What a kg of material the firm lacks costs it, USD: the value its
    /// output would have added. In [0, 1e9].
    pub loss_per_kg: f64,
    /// Weeks over which it counts its expected shortage cost, in (0, 10000]. Default 520.
    #[serde(default = "ten_years")]
    pub life_weeks: f64,
    /// Weight of this week's shortage in the firm's expected shortage
    /// (exponential smoothing), in (0, 1]. Default 0.3.
    #[serde(default = "smoothing")]
    pub smoothing: f64,
    /// A redesign to a lower-REE or REE-free product, if it can make one.
    #[serde(default)]
    pub redesign: Option<RedesignDef>,
    /// A move of its production to another state, if it can make one.
    #[serde(default)]
    pub relocation: Option<RelocationDef>,
}

fn smoothing() -> f64 {
    0.3
}

/// A redesign: once started, after `lead_weeks` the firm needs `intensity`
/// times its material per unit (0: REE-free).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Redesign")]
pub struct RedesignDef {
    /// Material per unit after the redesign over before, in [0, 1).
    pub intensity: f64,
    /// Weeks from the decision to the new design in production, in [0, 10000].
    pub lead_weeks: f64,
    /// Cost, USD per kg/week of the firm's use at full capacity, in [0, 1e12].
    pub cost_per_kg_week: f64,
}

/// A move of production to `to`, as a weekly hazard h = max_hazard x
/// (L(x) - L(-1)) / (1 - L(-1)), with L(x) = 1 / (1 + exp(-slope x)), x =
/// (E - M) / M, E the expected shortage cost over the firm's life and M
/// the cost of moving: 0 with no shortage, rising towards max_hazard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Relocation")]
pub struct RelocationDef {
    /// The state it moves to: the supplier of its material (a move to a
    /// third state is not modelled).
    pub to: String,
    /// Cost of moving, USD per kg/week of its use at full capacity, in (0, 1e12].
    pub cost_per_kg_week: f64,
    /// The weekly hazard when the shortage cost far exceeds the cost, in [0, 1].
    pub max_hazard: f64,
    /// How sharply the hazard rises as the shortage cost passes the cost
    /// (per unit of (E - M) / M), in (0, 1000].
    pub slope: f64,
}
