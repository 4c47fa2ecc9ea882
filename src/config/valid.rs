//! Checking turns a raw scenario into a [`ValidScenario`], a type that
//! cannot be invalid (linfa's `ParamGuard`): every number in range, names
//! replaced by indices, distributions turned into samplers, events resolved
//! to the component and the change they make. `build::build_world` and the
//! systems see only this type.

use super::scenario as raw;
use super::scenario::{Dist, Scenario};
use crate::error::Problem;
use crate::model::dist::Sampler;
use crate::model::*;
use statrs::distribution::{Beta, Gamma, LogNormal, Triangular};

/// A firm named in the scenario file.
#[derive(Debug, Clone)]
pub struct FirmSpec {
    pub kind: FirmKind,
    pub params: FirmParams,
    /// Initial inventory, weeks of full-capacity use.
    pub inventory_weeks: f64,
    /// Its tier-1 suppliers, by index among the named firms.
    pub tier1: Vec<u32>,
    /// Its adaptation rule (`ValidScenario::adaptations`, `Adapt::NONE`).
    pub adapt: u16,
}

/// A population of generated firms.
#[derive(Debug, Clone)]
pub struct PopulationSpec {
    pub kind: FirmKind,
    /// Firms after `population_scale`.
    pub count: usize,
    /// capacity, intensity, supplier share, inventory weeks, jobs,
    /// political weight, diversion propensity.
    pub samplers: [Sampler; 7],
    /// The group of firms it supplies as tier-1 (`None`: no firm is in the
    /// named sector of its home state), and the parts per customer.
    pub supplies: Option<(Option<GroupIx>, u32)>,
    /// Its firms' adaptation rule (`ValidScenario::adaptations`, `Adapt::NONE`).
    pub adapt: u16,
}

/// A state and its policies, as components ready to spawn.
#[derive(Debug, Clone)]
pub struct StateSpec {
    pub code: String,
    pub preferences: Preferences,
    /// The distribution of the state's private resolve.
    pub resolve: Sampler,
    pub pressure: PressureParams,
    pub initial_trust: f64,
    pub export_controls: Vec<ExportControl>,
    pub tracking: Option<TrackingSystem>,
    pub tech_restrictions: Vec<TechRestriction>,
    pub substitution: Vec<SubstitutionProgram>,
    pub stockpiles: Vec<Stockpile>,
    pub makers: Vec<Maker>,
}

/// A run's start date and length, checked: the start in the years
/// `MIN_YEAR` to `MAX_YEAR` and at most `MAX_RUN_WEEKS` weeks, so that every
/// week of the run has a date. Made by [`Horizon::new`] or by `check_run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    start: chrono::NaiveDate,
    weeks: u32,
}

impl Horizon {
    /// A run of `weeks` weeks (0 allowed: a world built, not run) from `start`.
    pub fn new(start: chrono::NaiveDate, weeks: u32) -> Result<Horizon, Vec<Problem>> {
        use super::check::{MAX_RUN_WEEKS, MAX_YEAR, MIN_YEAR};
        let mut problems = Vec::new();
        if weeks > MAX_RUN_WEEKS {
            problems.push(Problem {
                field: "weeks".into(),
                message: format!("must be in 0..={MAX_RUN_WEEKS}, got {weeks}"),
            });
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&chrono::Datelike::year(&start)) {
            problems.push(Problem {
                field: "start_date".into(),
                message: format!("must be in the years {MIN_YEAR} to {MAX_YEAR}, got `{start}`"),
            });
        }
        if problems.is_empty() {
            Ok(Horizon { start, weeks })
        } else {
            Err(problems)
        }
    }

    pub fn start(self) -> chrono::NaiveDate {
        self.start
    }

    pub fn weeks(self) -> u32 {
        self.weeks
    }

    /// The same start, and at most `weeks` of its weeks.
    pub fn first(self, weeks: u32) -> Horizon {
        Horizon {
            weeks: weeks.min(self.weeks),
            ..self
        }
    }
}

/// A checked scenario. Made only by [`ValidScenario::check`].
#[derive(Debug, Clone)]
pub struct ValidScenario {
    raw: Scenario,
    pub(crate) states: Vec<StateSpec>,
    pub(crate) materials: Vec<MaterialInfo>,
    pub(crate) groups: Vec<Group>,
    pub(crate) firms: Vec<FirmSpec>,
    pub(crate) populations: Vec<PopulationSpec>,
    /// [state][material] kg/week from third countries.
    pub(crate) other_supply: Vec<Vec<f64>>,
    pub(crate) supply: SupplyParams,
    pub(crate) negotiation: NegotiationParams,
    pub(crate) protocol: ProtocolKind,
    pub(crate) timeline: Vec<TimelineEvent>,
    /// [material]: whether its supplier holds an export control on it.
    pub(crate) controlled: Vec<bool>,
    /// The firms' adaptation rules, by index (`FirmSpec::adapt`).
    pub(crate) adaptations: Vec<AdaptRule>,
    pub(crate) firm_count: usize,
}

impl ValidScenario {
    /// Checks `scenario` (`check_scenario`: ranges, references, uniqueness)
    /// and resolves it, or returns every problem with its field's path.
    pub fn check(scenario: Scenario) -> Result<ValidScenario, Vec<Problem>> {
        let problems = super::check_scenario(&scenario);
        if !problems.is_empty() {
            return Err(problems);
        }
        let valid = Resolver::new(&scenario).resolve(scenario)?;
        // Names that differ only in characters outside `[A-Za-z0-9_]` (`a-b`
        // and `a_b`) would give two output columns one name.
        let clashes = crate::schema::Schema::of(&valid).clashes();
        if !clashes.is_empty() {
            return Err(clashes
                .into_iter()
                .map(|c| Problem {
                    field: "names".into(),
                    message: format!(
                        "two output columns would be named `{c}`: two names of states, sectors, materials or programmes are the same, or the same once every character outside [A-Za-z0-9_] is `_`, or run together (a sector `autos_lost` beside `autos`); rename one (docs/OUTPUTS.md)"
                    ),
                })
                .collect());
        }
        Ok(valid)
    }

    /// The scenario as written (with overrides applied): what a manifest
    /// records and what overrides apply to.
    pub fn raw(&self) -> &Scenario {
        &self.raw
    }

    /// The firms' adaptation rules, by index (`Adapt::rule`).
    pub fn adaptations(&self) -> &[AdaptRule] {
        &self.adaptations
    }

    /// Named plus generated firms.
    pub fn firm_count(&self) -> usize {
        self.firm_count
    }

    /// [material][state]: whether the state's own firms may buy the
    /// material from its supplier (a named firm with a positive demand and
    /// supplier share, or a population of at least one firm whose draws of
    /// them may be positive).
    fn importers(&self) -> Vec<Vec<bool>> {
        self.importers_where(|_| true)
    }

    /// [material][state]: whether the state's own firms whose end use the
    /// supplier's control does not ban outright (`military_ban`) may buy the
    /// material from its supplier: what a deal could bring back, so what
    /// decides whether the pair has a track over the material.
    fn negotiable(&self) -> Vec<Vec<bool>> {
        let banned = |kind: &FirmKind| {
            kind.end_use == EndUse::Military
                && self.states[kind.supplier as usize]
                    .export_controls
                    .iter()
                    .any(|c| c.material == kind.material && c.military_ban)
        };
        self.importers_where(|kind| !banned(kind))
    }

    /// [material][state]: whether firms of the state of a kind `counts`
    /// accepts may buy the material from its supplier (`importers`).
    fn importers_where(&self, counts: impl Fn(&FirmKind) -> bool) -> Vec<Vec<bool>> {
        let mut importers = vec![vec![false; self.states.len()]; self.materials.len()];
        let mut mark = |kind: &FirmKind| {
            if kind.home != kind.supplier && counts(kind) {
                importers[kind.material as usize][kind.home as usize] = true;
            }
        };
        for f in &self.firms {
            if f.params.demand() * f.params.supplier_share as f64 > 0.0 {
                mark(&f.kind);
            }
        }
        for p in &self.populations {
            // capacity, intensity and supplier share
            if p.count > 0 && p.samplers[..3].iter().all(Sampler::may_be_positive) {
                mark(&p.kind);
            }
        }
        importers
    }

    /// The registry's names and counts, before any firm is spawned.
    pub(crate) fn registry(&self) -> Registry {
        let (ns, nm) = (self.states.len(), self.materials.len());
        Registry {
            states: self.states.iter().map(|s| s.code.clone()).collect(),
            materials: self.materials.clone(),
            groups: self.groups.clone(),
            other_supply: self.other_supply.clone(),
            baseline_imports: vec![vec![0.0; ns]; nm],
            importers: self.importers(),
            negotiable: self.negotiable(),
            has_military: vec![vec![false; nm]; ns],
            military_demand: vec![vec![0.0; nm]; ns],
            military_capacity: vec![vec![0.0; nm]; ns],
            firm_count: self.firm_count,
        }
    }
}

/// Builds a sampler for a checked distribution, or says why these parameters
/// give none. A spread too small next to the mean for f64 (the shape
/// parameter overflows or the log-variance rounds to 0) gives
/// `Fixed(mean)`, its limit.
pub fn sampler(d: &Dist) -> Result<Sampler, String> {
    match *d {
        Dist::Fixed { value } => Ok(Sampler::Fixed(value)),
        Dist::Uniform { min, max } => Ok(Sampler::Uniform(min, max)),
        Dist::Triangular { min, mode, max } => Triangular::new(min, max, mode)
            .map(Sampler::Triangular)
            .map_err(|e| e.to_string()),
        Dist::LogNormal { mean, sd } => {
            let s2 = (1.0 + (sd / mean).powi(2)).ln();
            if s2 == 0.0 {
                return Ok(Sampler::Fixed(mean));
            }
            if !s2.is_finite() {
                return Err(format!("sd / mean = {:e} is too large", sd / mean));
            }
            LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt())
                .map(Sampler::LogNormal)
                .map_err(|e| e.to_string())
        }
        Dist::Gamma { mean, sd } => {
            let shape = (mean / sd).powi(2);
            if shape == f64::INFINITY {
                return Ok(Sampler::Fixed(mean));
            }
            Gamma::new(shape, mean / (sd * sd))
                .map(Sampler::Gamma)
                .map_err(|e| e.to_string())
        }
        Dist::Beta { mean, sd } => {
            let nu = mean * (1.0 - mean) / (sd * sd) - 1.0;
            if nu == f64::INFINITY {
                return Ok(Sampler::Fixed(mean));
            }
            Beta::new(mean * nu, (1.0 - mean) * nu)
                .map(Sampler::Beta)
                .map_err(|e| e.to_string())
        }
    }
}

/// The supplier state of material `m` (0 if `m` did not resolve, which
/// has then been reported).
fn supplier_of(materials: &[MaterialInfo], m: MaterialIx) -> StateIx {
    materials.get(m as usize).map_or(0, |info| info.supplier)
}

/// Names to indices. `check_scenario` has already refused unknown names, so
/// a lookup here does not fail; if it did, the problem is returned, not a
/// panic.
struct Resolver {
    states: Vec<String>,
    materials: Vec<String>,
    groups: Vec<Group>,
    adaptations: Vec<AdaptRule>,
    problems: Vec<Problem>,
}

impl Resolver {
    fn new(s: &Scenario) -> Self {
        Resolver {
            states: s.states.iter().map(|st| st.code.clone()).collect(),
            materials: s.materials.iter().map(|m| m.id.clone()).collect(),
            groups: Vec::new(),
            adaptations: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The index of the adaptation rule `def` of the firm or population at
    /// `field` (`Adapt::NONE` for none).
    fn adaptation(
        &mut self,
        field: &str,
        def: &Option<raw::AdaptationDef>,
        kind: &FirmKind,
    ) -> u16 {
        let Some(def) = def else {
            return Adapt::NONE;
        };
        let raw::AdaptationDef {
            loss_per_kg,
            life_weeks,
            smoothing,
            redesign,
            relocation,
        } = def;
        let redesign = redesign.as_ref().map(|r| {
            let &raw::RedesignDef {
                intensity,
                lead_weeks,
                cost_per_kg_week,
            } = r;
            RedesignRule {
                intensity,
                lead_weeks,
                cost_per_kg_week,
            }
        });
        let relocation = relocation.as_ref().map(|r| {
            let raw::RelocationDef {
                to,
                cost_per_kg_week,
                max_hazard,
                slope,
            } = r;
            RelocationRule {
                to: self.state(&format!("{field}.adaptation.relocation.to"), to),
                cost_per_kg_week: *cost_per_kg_week,
                max_hazard: *max_hazard,
                slope: *slope,
            }
        });
        if relocation.is_some_and(|r| r.to != kind.supplier) {
            self.fail(
                format!("{field}.adaptation.relocation.to"),
                "must be the state that supplies the firm's material (a move to a third state is not modelled: models/ODD.md 7.11)".to_string(),
            );
        }
        if kind.end_use == EndUse::Military {
            self.fail(
                format!("{field}.adaptation"),
                "military firms do not adapt in this model (its readiness accounting assumes they stay): remove it".to_string(),
            );
        }
        if self.adaptations.len() >= Adapt::NONE as usize {
            self.fail(
                format!("{field}.adaptation"),
                format!(
                    "at most {} firms and populations may have an adaptation rule",
                    Adapt::NONE
                ),
            );
            return Adapt::NONE;
        }
        self.adaptations.push(AdaptRule {
            material: kind.material,
            home: kind.home,
            loss_per_kg: *loss_per_kg,
            life_weeks: *life_weeks,
            smoothing: *smoothing,
            redesign,
            relocation,
        });
        (self.adaptations.len() - 1) as u16
    }

    fn fail(&mut self, field: String, message: String) {
        self.problems.push(Problem { field, message });
    }

    fn state(&mut self, field: &str, code: &str) -> StateIx {
        match self.states.iter().position(|c| c == code) {
            Some(i) => i as StateIx,
            None => {
                self.fail(field.into(), format!("unknown state `{code}`"));
                0
            }
        }
    }

    fn material(&mut self, field: &str, id: &str) -> MaterialIx {
        match self.materials.iter().position(|m| m == id) {
            Some(i) => i as MaterialIx,
            None => {
                self.fail(field.into(), format!("unknown material `{id}`"));
                0
            }
        }
    }

    /// The group of (home, sector), added in order of first appearance.
    fn group(&mut self, home: StateIx, sector: &str) -> GroupIx {
        if let Some(i) = self
            .groups
            .iter()
            .position(|g| g.home == home && g.sector == sector)
        {
            return i as GroupIx;
        }
        self.groups.push(Group {
            home,
            sector: sector.to_string(),
        });
        (self.groups.len() - 1) as GroupIx
    }

    fn sampler(&mut self, field: &str, d: &Dist) -> Sampler {
        sampler(d).unwrap_or_else(|message| {
            self.fail(field.into(), message);
            Sampler::Fixed(0.0)
        })
    }

    fn resolve(mut self, s: Scenario) -> Result<ValidScenario, Vec<Problem>> {
        let materials: Vec<MaterialInfo> = s
            .materials
            .iter()
            .map(|m| {
                let raw::Material {
                    id,
                    // documentation only: every quantity of a material is in its unit
                    unit: _,
                    supplier,
                    price_per_unit,
                    demand_elasticity,
                    price_cap,
                } = m;
                MaterialInfo {
                    id: id.clone(),
                    supplier: self.state(&format!("materials[{id}].supplier"), supplier),
                    price: *price_per_unit,
                    elasticity: *demand_elasticity,
                    price_cap: *price_cap,
                }
            })
            .collect();
        let firms = self.firms(&s, &materials);
        let populations = self.populations(&s, &materials);
        let firm_count = firms.len() + populations.iter().map(|p| p.count).sum::<usize>();
        let ns = s.states.len();
        let mut restriction_id = 0;
        let states: Vec<StateSpec> = s
            .states
            .iter()
            .enumerate()
            .map(|(i, st)| self.state_spec(i as StateIx, st, ns, &mut restriction_id))
            .collect();
        let mut other_supply = vec![vec![0.0; materials.len()]; ns];
        for (i, st) in s.states.iter().enumerate() {
            for o in &st.other_supply {
                let m = self.material(&format!("states[{}].other_supply", st.code), &o.material);
                if let Some(cell) = other_supply[i].get_mut(m as usize) {
                    *cell += o.capacity;
                }
            }
        }
        let controlled = materials
            .iter()
            .enumerate()
            .map(|(m, info)| {
                states
                    .get(info.supplier as usize)
                    .is_some_and(|st| st.export_controls.iter().any(|c| c.material as usize == m))
            })
            .collect();
        let timeline = s
            .timeline
            .iter()
            .enumerate()
            .map(|(i, e)| self.event(&format!("timeline[{i}]"), e, &states))
            .collect();
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        Ok(ValidScenario {
            states,
            materials,
            groups: self.groups,
            adaptations: self.adaptations,
            firms,
            populations,
            other_supply,
            supply: (&s.supply).into(),
            negotiation: (&s.negotiation).into(),
            protocol: match s.negotiation.protocol {
                raw::ProtocolKind::AlternatingOffers => ProtocolKind::AlternatingOffers,
            },
            timeline,
            controlled,
            firm_count,
            raw: s,
        })
    }

    fn firms(&mut self, s: &Scenario, materials: &[MaterialInfo]) -> Vec<FirmSpec> {
        let mut firms = Vec::with_capacity(s.firms.len());
        for f in &s.firms {
            let raw::FirmDef {
                name,
                home,
                sector,
                end_use,
                material,
                capacity,
                intensity,
                supplier_share,
                inventory_weeks,
                jobs,
                political_weight,
                diversion_propensity,
                tier1,
                adaptation,
            } = f;
            let field = format!("firms[{name}]");
            let home = self.state(&format!("{field}.home"), home);
            let material = self.material(&format!("{field}.material"), material);
            let end_use = EndUse::from(*end_use);
            let tier1 = tier1
                .iter()
                .map(|name| match s.firms.iter().position(|x| &x.name == name) {
                    Some(j) => j as u32,
                    None => {
                        self.fail(format!("{field}.tier1"), format!("unknown firm `{name}`"));
                        0
                    }
                })
                .collect();
            let kind = FirmKind {
                home,
                material,
                supplier: supplier_of(materials, material),
                end_use,
                group: self.group(home, sector),
            };
            let adapt = self.adaptation(&field, adaptation, &kind);
            firms.push(FirmSpec {
                kind,
                params: FirmParams {
                    capacity: *capacity as f32,
                    intensity: *intensity as f32,
                    supplier_share: *supplier_share as f32,
                    target_weeks: *inventory_weeks as f32,
                    jobs: *jobs as f32,
                    political_weight: *political_weight as f32,
                    diversion: if end_use == EndUse::DualUse {
                        *diversion_propensity as f32
                    } else {
                        0.0
                    },
                },
                inventory_weeks: *inventory_weeks,
                tier1,
                adapt,
            });
        }
        firms
    }

    fn populations(&mut self, s: &Scenario, materials: &[MaterialInfo]) -> Vec<PopulationSpec> {
        let mut out = Vec::with_capacity(s.populations.len());
        for p in &s.populations {
            let raw::PopulationDef {
                name,
                home,
                sector,
                end_use,
                material,
                count: _, // scaled below
                capacity,
                intensity,
                supplier_share,
                inventory_weeks,
                jobs,
                political_weight,
                diversion_propensity,
                supplies: _, // resolved below, once every group is known
                adaptation,
            } = p;
            let field = format!("populations[{name}]");
            let home = self.state(&format!("{field}.home"), home);
            let material = self.material(&format!("{field}.material"), material);
            let kind = FirmKind {
                home,
                material,
                supplier: supplier_of(materials, material),
                end_use: (*end_use).into(),
                group: self.group(home, sector),
            };
            let adapt = self.adaptation(&field, adaptation, &kind);
            let named = [
                ("capacity", capacity),
                ("intensity", intensity),
                ("supplier_share", supplier_share),
                ("inventory_weeks", inventory_weeks),
                ("jobs", jobs),
                ("political_weight", political_weight),
                ("diversion_propensity", diversion_propensity),
            ];
            let samplers = named.map(|(name, d)| self.sampler(&format!("{field}.{name}"), d));
            out.push(PopulationSpec {
                kind,
                count: p.scaled_count(s.population_scale) as usize,
                samplers,
                supplies: None,
                adapt,
            });
        }
        // Customer groups, once every group is known.
        for (spec, p) in out.iter_mut().zip(&s.populations) {
            spec.supplies = p.supplies.as_ref().map(|link| {
                let customers = self
                    .groups
                    .iter()
                    .position(|g| g.home == spec.kind.home && g.sector == link.sector)
                    .map(|g| g as GroupIx);
                (customers, link.parts)
            });
        }
        out
    }

    fn state_spec(
        &mut self,
        ix: StateIx,
        st: &raw::StateDef,
        ns: usize,
        restriction_id: &mut u32,
    ) -> StateSpec {
        let raw::StateDef {
            code,
            preferences,
            pressure,
            initial_trust,
            export_controls,
            tracking,
            tech_restrictions,
            substitution,
            stockpiles,
            // summed per material into `ValidScenario::other_supply`
            other_supply: _,
            makers,
        } = st;
        let f = format!("states[{code}]");
        let export_controls = export_controls
            .iter()
            .map(|ec| self.export_control(&f, ix, ec, ns))
            .collect();
        let tracking = tracking.as_ref().map(|t| {
            let &raw::TrackingDef {
                active,
                detection_probability,
                blacklist_weeks,
                trust_penalty,
            } = t;
            TrackingSystem {
                owner: ix,
                active,
                detection_probability,
                blacklist_weeks,
                trust_penalty,
            }
        });
        let tech_restrictions = tech_restrictions
            .iter()
            .map(|r| {
                let raw::TechRestrictionDef {
                    sector,
                    target,
                    level,
                    value_to_target,
                    security_cost,
                    ladder,
                    output_per_week,
                } = r;
                *restriction_id += 1;
                TechRestriction {
                    id: *restriction_id - 1,
                    owner: ix,
                    target: self.state(&format!("{f}.tech_restrictions.target"), target),
                    sector: sector.clone(),
                    level: *level,
                    value_to_target: *value_to_target,
                    security_cost: *security_cost,
                    conceded: 0.0,
                    ladder: ladder.as_ref().map(|l| Ladder {
                        rungs: l.rungs.clone(),
                        cost: l.cost,
                    }),
                    since: 0,
                    output_per_week: *output_per_week,
                }
            })
            .collect();
        let makers = makers
            .iter()
            .map(|m| {
                let raw::MakerDef {
                    name,
                    material,
                    capacity,
                    other_demand,
                    jobs,
                } = m;
                Maker {
                    owner: ix,
                    material: self.material(&format!("{f}.makers[{name}].material"), material),
                    name: name.clone(),
                    capacity: *capacity,
                    other_demand: *other_demand,
                    jobs: *jobs,
                    output: 0.0,
                    revenue: 0.0,
                    employed: 0.0,
                }
            })
            .collect();
        let substitution = substitution
            .iter()
            .map(|p| {
                let raw::SubstitutionDef {
                    name,
                    material,
                    capacity,
                    lead_weeks,
                    ramp_weeks,
                    cost,
                    life_weeks,
                    floor_price,
                    political_cost,
                    start,
                } = p;
                SubstitutionProgram {
                    owner: ix,
                    material: self.material(&format!("{f}.substitution"), material),
                    name: name.clone(),
                    capacity_target: *capacity,
                    lead_weeks: *lead_weeks,
                    ramp_weeks: *ramp_weeks,
                    political_cost: *political_cost,
                    start: match *start {
                        raw::StartRule::Scheduled { week } => StartRule::Scheduled { week },
                        raw::StartRule::Pressure { threshold } => StartRule::Pressure { threshold },
                        raw::StartRule::Value => StartRule::Value,
                    },
                    cost: *cost,
                    life_weeks: *life_weeks,
                    floor_price: *floor_price,
                    offtake_cost: 0.0,
                    offtake_paid: 0.0,
                    started_at: None,
                    capacity_now: 0.0,
                    value: 0.0,
                    value_at_start: None,
                }
            })
            .collect();
        let stockpiles = stockpiles
            .iter()
            .map(|sp| {
                let raw::StockpileDef {
                    material,
                    quantity,
                    max_release_per_week,
                    release,
                } = sp;
                Stockpile {
                    owner: ix,
                    material: self.material(&format!("{f}.stockpiles"), material),
                    quantity: *quantity,
                    max_release: *max_release_per_week,
                    rule: match release {
                        raw::ReleaseRule::MilitaryOnly => ReleaseRule::MilitaryOnly,
                        raw::ReleaseRule::MilitaryFirst => ReleaseRule::MilitaryFirst,
                        raw::ReleaseRule::ByValue => ReleaseRule::ByValue,
                    },
                    open: false,
                    exposure_weeks: 0,
                }
            })
            .collect();
        StateSpec {
            code: code.clone(),
            preferences: preferences.into(),
            resolve: self.sampler(&format!("{f}.preferences.resolve"), &preferences.resolve),
            pressure: pressure.into(),
            initial_trust: *initial_trust,
            export_controls,
            tracking,
            tech_restrictions,
            substitution,
            stockpiles,
            makers,
        }
    }

    fn export_control(
        &mut self,
        f: &str,
        owner: StateIx,
        ec: &raw::ExportControlDef,
        ns: usize,
    ) -> ExportControl {
        let raw::ExportControlDef {
            material,
            active,
            licence_required,
            review_lag,
            validity_weeks,
            validity_range,
            approval,
            military_ban,
            general_licence,
            extraterritorial,
            extraterritorial_share,
            reach_cost,
            probe,
            reapply_weeks,
            licence_headroom,
            trust_weight,
            breakdown_penalty,
        } = ec;
        let r = licence_required;
        ExportControl {
            owner,
            material: self.material(&format!("{f}.export_controls"), material),
            active: *active,
            licence_required: [r.civilian, r.dual_use, r.military],
            review_lag: self.sampler(
                &format!("{f}.export_controls[{material}].review_lag"),
                review_lag,
            ),
            validity_weeks: *validity_weeks,
            validity_range: *validity_range,
            approval: [approval.civilian, approval.dual_use, approval.military],
            military_ban: *military_ban,
            general_licence: *general_licence,
            extraterritorial: *extraterritorial,
            extraterritorial_share: *extraterritorial_share,
            reach_cost: *reach_cost,
            reach_since: 0,
            probe: probe.as_ref().map(|p| Probe {
                start: p.start_weeks,
                step: p.step_weeks,
                quiet: p.quiet_weeks,
                validity: vec![p.start_weeks; ns],
                quiet_since: vec![0; ns],
            }),
            reapply_weeks: *reapply_weeks,
            headroom: *licence_headroom,
            trust_weight: *trust_weight,
            breakdown_penalty: *breakdown_penalty,
            deals: vec![Deal::default(); ns],
            conceded_approval: 0.0,
            general_licence_agreements: 0,
            reach_suspensions: 0,
        }
    }

    fn event(&mut self, f: &str, e: &raw::ScheduledEvent, states: &[StateSpec]) -> TimelineEvent {
        use raw::EventAction as A;
        let control = |r: &mut Self, state: &str, material: &str, change| Action::Control {
            owner: r.state(&format!("{f}.action.state"), state),
            material: r.material(&format!("{f}.action.material"), material),
            change,
        };
        let action = match &e.action {
            A::SetControlActive {
                state,
                material,
                active,
            } => control(self, state, material, ControlChange::Active(*active)),
            A::SetApproval {
                state,
                material,
                end_use,
                probability,
            } => control(
                self,
                state,
                material,
                ControlChange::Approval((*end_use).into(), *probability),
            ),
            A::SetMilitaryBan {
                state,
                material,
                on,
            } => control(self, state, material, ControlChange::MilitaryBan(*on)),
            A::SetExtraterritorial {
                state,
                material,
                on,
            } => control(self, state, material, ControlChange::Extraterritorial(*on)),
            A::SetGeneralLicence {
                state,
                material,
                on,
            } => control(self, state, material, ControlChange::GeneralLicence(*on)),
            A::SetTracking { state, active } => Action::Tracking {
                owner: self.state(&format!("{f}.action.state"), state),
                active: *active,
            },
            A::SetRestriction {
                state,
                target,
                sector,
                level,
            } => {
                let (owner, target_ix) = (
                    self.state(&format!("{f}.action.state"), state),
                    self.state(&format!("{f}.action.target"), target),
                );
                let id = states
                    .get(owner as usize)
                    .into_iter()
                    .flat_map(|st| &st.tech_restrictions)
                    .find(|r| r.target == target_ix && &r.sector == sector)
                    .map(|r| r.id);
                if id.is_none() {
                    self.fail(
                        format!("{f}.action"),
                        format!("state `{state}` has no restriction on `{sector}` for `{target}`"),
                    );
                }
                Action::Restriction {
                    id: id.unwrap_or(0),
                    level: *level,
                }
            }
        };
        TimelineEvent {
            week: e.week,
            label: e.label.clone(),
            action,
        }
    }
}

impl From<raw::EndUse> for EndUse {
    fn from(e: raw::EndUse) -> Self {
        match e {
            raw::EndUse::Civilian => EndUse::Civilian,
            raw::EndUse::DualUse => EndUse::DualUse,
            raw::EndUse::Military => EndUse::Military,
        }
    }
}

// The conversions destructure the config types whole (no `..`), so that a
// field added to one does not compile until it is carried over or dropped
// here on purpose.

impl From<&raw::Preferences> for Preferences {
    fn from(p: &raw::Preferences) -> Self {
        let raw::Preferences {
            concession,
            // drawn per run (`StateSpec::resolve`)
            resolve: _,
            discount,
            open_threshold,
            pressure_gain,
            reputation_cost,
            audience_cost,
            salience,
            readiness_weight,
            readiness_value,
            shortage_value,
            investment_rate,
        } = p;
        let raw::SupplySalience {
            civilian_approval,
            licence_validity,
            general_licence,
            suspend_expanded,
        } = salience;
        Preferences {
            concession: match *concession {
                raw::Concession::Boulware { e } => Concession::Boulware { e },
                raw::Concession::Linear => Concession::Linear,
                raw::Concession::Conceder { e } => Concession::Conceder { e },
                raw::Concession::Screening => Concession::Screening,
            },
            discount: *discount,
            open_threshold: *open_threshold,
            pressure_gain: *pressure_gain,
            reputation_cost: *reputation_cost,
            audience_cost: *audience_cost,
            readiness_weight: *readiness_weight,
            readiness_value: *readiness_value,
            shortage_value: *shortage_value,
            // the weekly factor of an annual rate r: (1 + r)^(-1/52)
            investment_discount: (1.0 + *investment_rate).powf(-1.0 / 52.0),
            salience: SupplySalience {
                civilian_approval: *civilian_approval,
                licence_validity: *licence_validity,
                general_licence: *general_licence,
                suspend_expanded: *suspend_expanded,
            },
        }
    }
}

impl From<&raw::PressureParams> for PressureParams {
    fn from(p: &raw::PressureParams) -> Self {
        let &raw::PressureParams {
            lost_output,
            readiness,
            price,
            lost_revenue,
            restrictions,
            leverage_erosion,
            smoothing,
        } = p;
        PressureParams {
            lost_output,
            readiness,
            price,
            lost_revenue,
            restrictions,
            leverage_erosion,
            smoothing,
        }
    }
}

impl From<&raw::SupplyParams> for SupplyParams {
    fn from(p: &raw::SupplyParams) -> Self {
        let &raw::SupplyParams {
            restock_weeks,
            priority,
            diversion_share,
            safety_factor,
            max_denial,
            max_cover_weeks,
            military_premium,
            margin_per_material,
        } = p;
        SupplyParams {
            restock_weeks,
            priority: match priority {
                raw::PriorityRule::MilitaryFirst => PriorityRule::MilitaryFirst,
                raw::PriorityRule::ProRata => PriorityRule::ProRata,
            },
            diversion_share,
            safety_factor,
            max_denial,
            max_cover_weeks,
            military_premium,
            margin_per_material,
        }
    }
}

impl From<&raw::NegotiationParams> for NegotiationParams {
    fn from(n: &raw::NegotiationParams) -> Self {
        let &raw::NegotiationParams {
            // the `ActiveProtocol` resource, made by the negotiation plugin
            protocol: _,
            deadline_weeks,
            breakdown_probability,
            cooldown_weeks,
            term_weeks,
            reopen_on_expiry,
            trust_gain,
            defection_trust_loss,
            breakdown_trust_loss,
            trust_weight,
            response_noise,
            belief_types,
            escalation_horizon_weeks,
            escalation_noise,
        } = n;
        NegotiationParams {
            escalation_horizon_weeks,
            escalation_noise,
            trust_weight,
            response_noise,
            belief_types,
            deadline_weeks,
            breakdown_probability,
            cooldown_weeks,
            term_weeks,
            reopen_on_expiry,
            trust_gain,
            defection_trust_loss,
            breakdown_trust_loss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{EventAction, load_scenario};

    fn baseline() -> ValidScenario {
        load_scenario("models/baseline_2025.ron".as_ref()).unwrap()
    }

    /// Every event of the baseline's timeline, and a restriction event
    /// added to it (the baseline's restrictions move only by decision),
    /// changes the component its names point at: the resolved indices name
    /// the same state, material and restriction again.
    #[test]
    fn events_resolve_to_the_components_their_names_point_at() {
        let mut s = baseline().raw().clone();
        s.timeline.push(raw::ScheduledEvent {
            week: 25,
            label: "a restriction raised".into(),
            action: raw::EventAction::SetRestriction {
                state: "US".into(),
                target: "CN".into(),
                sector: "entity_list".into(),
                level: 0.8,
            },
        });
        let v = ValidScenario::check(s).unwrap();
        let raw = v.raw();
        assert_eq!(v.timeline.len(), raw.timeline.len());
        let code = |ix: StateIx| v.states[ix as usize].code.as_str();
        let restriction = |id: u32| {
            v.states
                .iter()
                .flat_map(|s| &s.tech_restrictions)
                .find(|r| r.id == id)
                .unwrap()
        };
        let mut kinds = std::collections::HashSet::new();
        for (event, e) in v.timeline.iter().zip(&raw.timeline) {
            assert_eq!((event.week, &event.label), (e.week, &e.label));
            match (&e.action, event.action) {
                (
                    EventAction::SetRestriction {
                        state,
                        target,
                        sector,
                        level,
                    },
                    Action::Restriction { id, level: l },
                ) => {
                    let r = restriction(id);
                    assert_eq!((code(r.owner), code(r.target)), (&**state, &**target));
                    assert_eq!((&r.sector, l), (sector, *level));
                    kinds.insert("restriction");
                }
                (
                    EventAction::SetControlActive {
                        state, material, ..
                    }
                    | EventAction::SetExtraterritorial {
                        state, material, ..
                    }
                    | EventAction::SetApproval {
                        state, material, ..
                    }
                    | EventAction::SetMilitaryBan {
                        state, material, ..
                    }
                    | EventAction::SetGeneralLicence {
                        state, material, ..
                    },
                    Action::Control {
                        owner, material: m, ..
                    },
                ) => {
                    assert_eq!(code(owner), state);
                    assert_eq!(&v.materials[m as usize].id, material);
                    kinds.insert("control");
                }
                (
                    EventAction::SetTracking { state, active },
                    Action::Tracking { owner, active: a },
                ) => {
                    assert_eq!((code(owner), a), (&**state, *active));
                    kinds.insert("tracking");
                }
                (raw, resolved) => panic!("{raw:?} resolved to {resolved:?}"),
            }
        }
        assert!(kinds.contains("restriction") && kinds.contains("control"));
    }

    /// Firms and populations are in the group of their (home, sector), and a
    /// supplying population's customers are the group of its home and the
    /// sector it supplies.
    #[test]
    fn groups_and_customers_are_the_named_home_and_sector() {
        let v = baseline();
        let raw = v.raw();
        let group = |g: GroupIx| {
            let g = &v.groups[g as usize];
            (v.states[g.home as usize].code.clone(), g.sector.clone())
        };
        for (f, spec) in raw.firms.iter().zip(&v.firms) {
            assert_eq!(group(spec.kind.group), (f.home.clone(), f.sector.clone()));
        }
        let mut supplying = 0;
        for (p, spec) in raw.populations.iter().zip(&v.populations) {
            assert_eq!(group(spec.kind.group), (p.home.clone(), p.sector.clone()));
            if let (Some(link), Some((Some(customers), parts))) = (&p.supplies, spec.supplies) {
                assert_eq!(group(customers), (p.home.clone(), link.sector.clone()));
                assert_eq!(parts, link.parts);
                supplying += 1;
            }
        }
        assert!(supplying > 0);
        let generated: usize = v.populations.iter().map(|p| p.count).sum();
        assert_eq!(v.firm_count(), raw.firms.len() + generated);
    }

    /// A horizon refuses a start whose weeks could run out of dates, and a
    /// simulation given such a start anyway keeps the last date instead of
    /// panicking.
    #[test]
    fn a_horizon_has_a_date_for_every_week() {
        let ok = chrono::NaiveDate::from_ymd_opt(2025, 4, 4).unwrap();
        let h = Horizon::new(ok, 104).unwrap();
        assert_eq!((h.start(), h.weeks(), h.first(1).weeks()), (ok, 104, 1));
        let fields = |r: Result<Horizon, Vec<Problem>>| -> Vec<String> {
            r.unwrap_err().into_iter().map(|p| p.field).collect()
        };
        assert_eq!(
            fields(Horizon::new(chrono::NaiveDate::MAX, 1)),
            ["start_date"]
        );
        assert_eq!(fields(Horizon::new(ok, u32::MAX)), ["weeks"]);
        assert_eq!(week_date(chrono::NaiveDate::MAX, 1), chrono::NaiveDate::MAX);
        let v = load_scenario("tests/data/small.ron".as_ref()).unwrap();
        let mut sim = crate::sim::Simulation::new(&v, 1, chrono::NaiveDate::MAX, None);
        sim.run(2);
        assert_eq!(sim.tables().timeseries.rows.len(), 2);
    }

    /// An invalid scenario gives every problem and no validated scenario.
    #[test]
    fn an_invalid_scenario_gives_its_problems() {
        let mut raw = baseline().raw().clone();
        raw.population_scale = -1.0;
        raw.negotiation.deadline_weeks = f64::NAN;
        let problems = ValidScenario::check(raw).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"population_scale"), "{fields:?}");
        assert!(fields.contains(&"negotiation.deadline_weeks"), "{fields:?}");
    }
}
