//! The model's own parameter types. They mirror the scenario file's
//! (`config::scenario`), which carry serde and the docs of each field (unit,
//! default, range); these carry no serde and exist only as checked values,
//! made by `config::ValidScenario::check`.

/// What a firm's output is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndUse {
    Civilian,
    DualUse,
    Military,
}

impl EndUse {
    pub const ALL: [EndUse; 3] = [EndUse::Civilian, EndUse::DualUse, EndUse::Military];
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A state's negotiation preferences.
#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub concession: Concession,
    /// Weekly discount factor, 0..1.
    pub discount: f64,
    /// Smoothed pressure above which the state seeks talks, 0..1.
    pub open_threshold: f64,
    /// How much pressure raises the state's weekly discount rate.
    pub pressure_gain: f64,
    /// Utility below its reservation at which the state defects.
    pub reputation_cost: f64,
    /// What withdrawing an escalation costs per week it has stood, pressure-weeks.
    pub audience_cost: f64,
    pub salience: SupplySalience,
    /// Utility its no-deal outlook loses per unit of readiness gap.
    pub readiness_weight: f64,
    /// USD per week of its whole military capacity idle.
    pub readiness_value: f64,
    /// USD per kg short (0: the backstop price).
    pub shortage_value: f64,
    /// Weekly discount factor of programme values (from the annual rate).
    pub investment_discount: f64,
}

impl Preferences {
    /// What a kg of material `m` its firms are short costs the state, USD:
    /// its `shortage_value`, or the backstop price (reference x cap), what
    /// a buyer would pay the next-best source.
    pub fn kg_value(&self, m: &crate::model::MaterialInfo) -> f64 {
        if self.shortage_value > 0.0 {
            self.shortage_value
        } else {
            m.price * m.price_cap
        }
    }
}

/// Weights the consumer puts on each supply lever, relative units.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplySalience {
    pub civilian_approval: f64,
    pub licence_validity: f64,
    pub general_licence: f64,
    pub suspend_expanded: f64,
}

/// How a state's targets move towards its reservation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Concession {
    Boulware {
        e: f64,
    },
    Linear,
    Conceder {
        e: f64,
    },
    /// Offers by expected utility under a belief (`negotiation::belief`) and
    /// accepts at max(reservation, value of holding out).
    Screening,
}

impl Concession {
    /// The Faratin exponent e.
    pub fn exponent(self) -> f64 {
        match self {
            Concession::Boulware { e } | Concession::Conceder { e } => e,
            Concession::Linear | Concession::Screening => 1.0,
        }
    }
}

/// Weights of a state's pressure terms, and the smoothing of its pressure.
#[derive(Debug, Clone, PartialEq)]
pub struct PressureParams {
    pub lost_output: f64,
    pub readiness: f64,
    pub price: f64,
    pub lost_revenue: f64,
    pub restrictions: f64,
    pub leverage_erosion: f64,
    pub smoothing: f64,
}

/// When a substitution program starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartRule {
    Scheduled { week: f64 },
    Pressure { threshold: f64 },
    Value,
}

/// Whom a stockpile serves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ReleaseRule {
    #[default]
    MilitaryOnly,
    MilitaryFirst,
    ByValue,
}

/// How scarce non-supplier supply is shared among requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorityRule {
    MilitaryFirst,
    ProRata,
}

/// Supply settings of the whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyParams {
    /// Weeks over which a firm restocks to its target inventory.
    pub restock_weeks: f64,
    pub priority: PriorityRule,
    /// Share of a diverter's receipts sent on to military buyers, 0..1.
    pub diversion_share: f64,
    /// Safety factor z of the order-up-to level.
    pub safety_factor: f64,
    /// The highest denial probability a firm plans for, below 1.
    pub max_denial: f64,
    /// The most weeks of use held against lead time.
    pub max_cover_weeks: f64,
    /// Mean premium of a military buyer's offer, share of the outside price.
    pub military_premium: f64,
    /// USD of margin per USD of material used (at the reference price).
    pub margin_per_material: f64,
}

/// Negotiation settings of the whole run (the protocol is the
/// `ActiveProtocol` resource).
#[derive(Debug, Clone, PartialEq)]
pub struct NegotiationParams {
    pub deadline_weeks: f64,
    pub breakdown_probability: f64,
    pub cooldown_weeks: f64,
    pub term_weeks: f64,
    pub reopen_on_expiry: bool,
    pub trust_gain: f64,
    pub defection_trust_loss: f64,
    pub breakdown_trust_loss: f64,
    /// How much trust counts in the value of what the other side gives, 0..1.
    pub trust_weight: f64,
    /// Noise of the quantal answers beliefs assume, on the resolve's scale.
    pub response_noise: f64,
    /// Types on each belief's grid.
    pub belief_types: u32,
    /// Weeks over which an escalation's gain and cost are weighed.
    pub escalation_horizon_weeks: f64,
    /// Noise of the quantal escalation choice, pressure-weeks.
    pub escalation_noise: f64,
}

/// A scheduled event of the timeline, resolved to the component it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    pub week: u32,
    pub label: String,
    pub action: Action,
}

/// What an event does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Changes the export control of `material` held by `owner`.
    Control {
        owner: super::StateIx,
        material: super::MaterialIx,
        change: ControlChange,
    },
    /// Switches `owner`'s tracking system on or off.
    Tracking { owner: super::StateIx, active: bool },
    /// Sets the level of restriction `id` (`TechRestriction::id`).
    Restriction { id: u32, level: f64 },
}

/// A change to an export control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ControlChange {
    Active(bool),
    Approval(EndUse, f64),
    MilitaryBan(bool),
    Extraterritorial(bool),
    GeneralLicence(bool),
}

/// The bargaining protocol of every track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProtocolKind {
    AlternatingOffers,
}

/// How firms of one firm or population adapt to a shortage (models/ODD.md 7.11).
#[derive(Debug, Clone, PartialEq)]
pub struct AdaptRule {
    /// The material and home state of the firms that follow it.
    pub material: crate::model::MaterialIx,
    pub home: crate::model::StateIx,
    /// USD a kg of material the firm lacks costs it.
    pub loss_per_kg: f64,
    pub life_weeks: f64,
    pub smoothing: f64,
    pub redesign: Option<RedesignRule>,
    pub relocation: Option<RelocationRule>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedesignRule {
    /// Material per unit after over before.
    pub intensity: f64,
    pub lead_weeks: f64,
    /// USD per kg/week of use.
    pub cost_per_kg_week: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelocationRule {
    pub to: crate::model::StateIx,
    /// USD per kg/week of use.
    pub cost_per_kg_week: f64,
    pub max_hazard: f64,
    pub slope: f64,
}
