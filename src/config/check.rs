//! Checking a parsed configuration: ranges, references and uniqueness.
//! Every problem is collected with the path of its field.
//!
//! Every numeric field has an upper bound as well as a lower one. The bounds
//! are far above any real value of the field (a price above any material's,
//! a capacity above world output) and low enough that a scenario with every
//! field at its bound still gives finite output: the model keeps firm
//! figures in `f32` (at most about 3.4e38) and multiplies capacities,
//! intensities, weeks, headroom and prices. The doc comment of each field
//! states its range, and `docs/CONFIG.md` shows it.

use super::run::RunConfig;
use super::scenario::*;
use crate::error::Problem;
use std::collections::HashSet;

/// Largest number of firms a scenario may generate (after scaling).
pub const MAX_FIRMS: u64 = 50_000_000;
/// Longest duration a scenario may state, weeks (about 200 years).
pub const MAX_WEEKS: f64 = 10_000.0;
/// Longest run, weeks (100 years).
pub const MAX_RUN_WEEKS: u32 = 5200;
/// Most worker threads of a run.
pub const MAX_THREADS: usize = 1024;
/// Highest price, USD per unit: above that of any material (californium-252
/// costs about 3e10 USD per kg).
pub const MAX_PRICE: f64 = 1e12;
/// Largest flow, kg (or units of output) per week: world steel output is
/// about 4e10 kg a week.
pub const MAX_FLOW: f64 = 1e12;
/// Largest stock, kg (a thousand years of world steel output).
pub const MAX_STOCK: f64 = 1e15;
/// Largest material intensity, kg per unit of output (a thousand tonnes).
pub const MAX_INTENSITY: f64 = 1e6;
/// Most jobs of one firm (above the world's population).
pub const MAX_JOBS: f64 = 1e10;
/// Largest weight, salience or political weight (relative units; a pressure
/// term of 1 saturates the pressure at a weight of 1).
pub const MAX_WEIGHT: f64 = 1000.0;
/// Largest cost, USD (about ten years of world output).
pub const MAX_USD: f64 = 1e15;
/// Largest concession exponent (Conceder); Boulware exponents are below 1.
pub const MAX_EXPONENT: f64 = 100.0;
/// Largest licence headroom, a multiple of the firm's demand.
pub const MAX_HEADROOM: f64 = 1000.0;
/// Shortest restocking period, weeks (about a day).
pub const MIN_RESTOCK_WEEKS: f64 = 0.1;
/// Most distinct parts per customer of a tier-1 population (a car has about
/// 30,000; the links keep a part in 16 bits).
pub const MAX_PARTS: u32 = 65_536;
/// Range of the ratio sd / mean of a LogNormal or Gamma distribution. Below
/// it the sampler's parameters are not finite; above it the largest draw
/// (8.3 sd of the log) of a capacity times an intensity times the headroom,
/// each at its bound, passes the largest `f32`.
pub const CV_RANGE: (f64, f64) = (1e-3, 10.0);
/// Range of the shape parameters of a Beta distribution: smaller shapes
/// draw 0 / 0, larger ones are a fixed value.
pub const BETA_SHAPE_RANGE: (f64, f64) = (0.05, 1e6);

/// A number as the bounds are written in the docs: `1e12`, `10000`.
fn show(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }
    fn finite(&mut self, field: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.fail(field, format!("must be a finite number, got {v}"));
            false
        }
    }
    fn probability(&mut self, field: &str, v: f64) {
        if self.finite(field, v) && !(0.0..=1.0).contains(&v) {
            self.fail(
                field,
                format!("must be in 0..1 (a probability or share), got {v}"),
            );
        }
    }
    /// `v` in [0, max]; `unit` follows the bound in the message.
    fn at_most(&mut self, field: &str, v: f64, max: f64, unit: &str) {
        if !self.finite(field, v) {
            return;
        }
        if v < 0.0 {
            self.fail(field, format!("must be >= 0, got {v}"));
        } else if v > max {
            self.fail(
                field,
                format!("must be at most {}{unit}, got {v}", show(max)),
            );
        }
    }
    /// `v` in [lo, hi]; `what` follows the bounds in the message.
    fn within(&mut self, field: &str, v: f64, lo: f64, hi: f64, what: &str) {
        if self.finite(field, v) && !(lo..=hi).contains(&v) {
            self.fail(
                field,
                format!("must be in [{}, {}]{what}, got {v}", show(lo), show(hi)),
            );
        }
    }
    /// `v` in (0, max].
    fn positive_at_most(&mut self, field: &str, v: f64, max: f64, unit: &str) {
        if v.is_finite() && v <= 0.0 {
            self.fail(field, format!("must be > 0, got {v}"));
        } else {
            self.at_most(field, v, max, unit);
        }
    }
    /// A duration in weeks: 0..=MAX_WEEKS.
    fn weeks(&mut self, field: &str, v: f64) {
        self.at_most(field, v, MAX_WEEKS, " weeks");
    }
    /// A duration in weeks that must be > 0.
    fn positive_weeks(&mut self, field: &str, v: f64) {
        self.positive_at_most(field, v, MAX_WEEKS, " weeks");
    }
    fn known(&mut self, field: &str, what: &str, name: &str, known: &HashSet<&str>) {
        if !known.contains(name) {
            let mut list: Vec<&str> = known.iter().copied().collect();
            list.sort_unstable();
            self.fail(
                field,
                format!("unknown {what} `{name}`; known: {}", list.join(", ")),
            );
        }
    }
    /// A distribution of a field whose values lie in [0, max]: bounded
    /// distributions must lie inside, LogNormal and Gamma must have their
    /// mean inside and a spread within `CV_RANGE` (their tails are
    /// unbounded but thin).
    fn dist(&mut self, field: &str, d: &Dist, max: f64) {
        let (lo, hi) = match *d {
            Dist::Fixed { value } => (value, value),
            Dist::Uniform { min, max } => {
                if min > max {
                    self.fail(field, format!("Uniform min {min} > max {max}"));
                }
                (min, max)
            }
            Dist::Triangular { min, mode, max } => {
                if !(min <= mode && mode <= max) || min == max {
                    self.fail(field, format!("Triangular needs min <= mode <= max and min < max, got ({min}, {mode}, {max})"));
                }
                (min, max)
            }
            Dist::LogNormal { mean, sd } | Dist::Gamma { mean, sd } => {
                let (mean_field, sd_field) = (format!("{field}.mean"), format!("{field}.sd"));
                self.positive_at_most(&mean_field, mean, max, "");
                let (low, high) = CV_RANGE;
                if self.finite(&sd_field, sd) && mean > 0.0 && mean.is_finite() {
                    let cv = sd / mean;
                    if !(low..=high).contains(&cv) {
                        self.fail(
                            &sd_field,
                            format!(
                                "must be between {low} and {high} times the mean ({} to {}), got {sd}",
                                low * mean,
                                high * mean
                            ),
                        );
                    }
                }
                // the tails are unbounded: the mean and spread are the bounds
                return;
            }
            Dist::Beta { mean, sd } => {
                if !(mean > 0.0 && mean < 1.0) {
                    self.fail(
                        format!("{field}.mean"),
                        format!("Beta mean must be in (0, 1), got {mean}"),
                    );
                } else if !(sd > 0.0 && sd * sd < mean * (1.0 - mean)) {
                    self.fail(
                        format!("{field}.sd"),
                        format!(
                            "Beta sd must be > 0 and below sqrt(mean (1 - mean)) = {:.4}, got {sd}",
                            (mean * (1.0 - mean)).sqrt()
                        ),
                    );
                } else {
                    let nu = mean * (1.0 - mean) / (sd * sd) - 1.0;
                    let (a, b) = (mean * nu, (1.0 - mean) * nu);
                    let (low, high) = BETA_SHAPE_RANGE;
                    if !((low..=high).contains(&a) && (low..=high).contains(&b)) {
                        self.fail(
                            format!("{field}.sd"),
                            format!(
                                "Beta({mean}, {sd}) has shapes a = {a:.4}, b = {b:.4} (a = mean k, b = (1 - mean) k, k = mean (1 - mean) / sd^2 - 1); both must be in {low}..{}",
                                show(high)
                            ),
                        );
                    }
                }
                (0.0, 1.0)
            }
        };
        if !(lo.is_finite() && hi.is_finite()) {
            self.fail(field, "parameters must be finite");
        } else if lo < 0.0 {
            self.fail(
                field,
                format!("values must be >= 0, distribution reaches {lo}"),
            );
        } else if hi > max {
            self.fail(
                field,
                format!(
                    "values must be at most {}, distribution reaches {hi}",
                    show(max)
                ),
            );
        }
    }
}

/// Checks one distribution on its own (sweep axes); the problems as text.
pub fn check_dist(d: &Dist) -> Option<String> {
    let mut c = Checker::default();
    c.dist("distribution", d, f64::MAX);
    let text: Vec<String> = c.problems.iter().map(|p| p.to_string()).collect();
    if text.is_empty() {
        None
    } else {
        Some(text.join("; "))
    }
}

/// Earliest and latest year of a run's start date (a run of the longest
/// horizon from the latest start still has dates chrono can represent).
pub const MIN_YEAR: i32 = 1000;
pub const MAX_YEAR: i32 = 9999;

/// Checks a run file's own values; returns its start date and length.
pub fn check_run(run: &RunConfig) -> Result<super::Horizon, Vec<Problem>> {
    let mut c = Checker::default();
    let mut start = None;
    if run.weeks == 0 || run.weeks > MAX_RUN_WEEKS {
        c.fail(
            "weeks",
            format!("must be in 1..={MAX_RUN_WEEKS}, got {}", run.weeks),
        );
    }
    match chrono::NaiveDate::parse_from_str(&run.start_date, "%Y-%m-%d") {
        Err(_) => c.fail(
            "start_date",
            format!("must be an ISO date YYYY-MM-DD, got `{}`", run.start_date),
        ),
        // Every week's date must be a date: chrono ends in the year 262143.
        Ok(date) if !(MIN_YEAR..=MAX_YEAR).contains(&chrono::Datelike::year(&date)) => c.fail(
            "start_date",
            format!(
                "must be in the years {MIN_YEAR} to {MAX_YEAR}, got `{}`",
                run.start_date
            ),
        ),
        Ok(date) => start = Some(date),
    }
    if run.seed > crate::rng::MAX_SEED {
        c.fail(
            "seed",
            format!(
                "must be in 0..=2^53 - 1 ({}), so that R and JavaScript read it exactly, got {}",
                crate::rng::MAX_SEED,
                run.seed
            ),
        );
    }
    if run.threads > MAX_THREADS {
        c.fail(
            "threads",
            format!(
                "must be in 0..={MAX_THREADS} (0 = one per core), got {}",
                run.threads
            ),
        );
    }
    if run.model.is_empty() {
        c.fail("model", "must name a scenario file");
    }
    match start {
        Some(date) if c.problems.is_empty() => super::Horizon::new(date, run.weeks),
        _ => Err(c.problems),
    }
}

fn unique<'a>(
    c: &mut Checker,
    field: &str,
    what: &str,
    names: impl Iterator<Item = &'a str>,
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    for name in names {
        if name.is_empty() {
            c.fail(field, format!("{what} must have a non-empty name"));
        }
        if !seen.insert(name) {
            c.fail(field, format!("duplicate {what} `{name}`"));
        }
    }
    seen
}

/// Checks a scenario: every range, reference and name.
pub fn check_scenario(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker::default();
    let states = unique(
        &mut c,
        "states",
        "state code",
        s.states.iter().map(|x| x.code.as_str()),
    );
    let materials = unique(
        &mut c,
        "materials",
        "material id",
        s.materials.iter().map(|x| x.id.as_str()),
    );
    if s.states.is_empty() {
        c.fail("states", "a scenario needs at least one state");
    }
    if s.materials.is_empty() {
        c.fail("materials", "a scenario needs at least one material");
    }
    if s.states.len() > 255 {
        c.fail("states", "at most 255 states");
    }
    if s.materials.len() > 255 {
        c.fail("materials", "at most 255 materials");
    }
    c.at_most("population_scale", s.population_scale, MAX_FIRMS as f64, "");
    for m in &s.materials {
        let f = format!("materials[{}]", m.id);
        c.known(&format!("{f}.supplier"), "state", &m.supplier, &states);
        c.at_most(
            &format!("{f}.price_per_unit"),
            m.price_per_unit,
            MAX_PRICE,
            " USD per unit",
        );
        let (elasticity, cap) = (m.demand_elasticity, m.price_cap);
        c.within(
            &format!("{f}.demand_elasticity"),
            elasticity,
            -5.0,
            -0.01,
            "",
        );
        let multiple = " (a multiple of the reference price)";
        c.within(&format!("{f}.price_cap"), cap, 1.0, 1e6, multiple);
    }
    for st in &s.states {
        check_state(&mut c, st, &states, &materials, s);
    }
    let mut firm_names = HashSet::new();
    let mut total: u64 = 0;
    for (i, firm) in s.firms.iter().enumerate() {
        let f = format!(
            "firms[{}]",
            if firm.name.is_empty() {
                i.to_string()
            } else {
                firm.name.clone()
            }
        );
        if !firm_names.insert(firm.name.as_str()) {
            c.fail(&f, format!("duplicate firm name `{}`", firm.name));
        }
        c.known(&format!("{f}.home"), "state", &firm.home, &states);
        c.known(
            &format!("{f}.material"),
            "material",
            &firm.material,
            &materials,
        );
        c.at_most(
            &format!("{f}.capacity"),
            firm.capacity,
            MAX_FLOW,
            " units per week",
        );
        c.at_most(
            &format!("{f}.intensity"),
            firm.intensity,
            MAX_INTENSITY,
            " kg per unit",
        );
        c.probability(&format!("{f}.supplier_share"), firm.supplier_share);
        c.weeks(&format!("{f}.inventory_weeks"), firm.inventory_weeks);
        c.at_most(&format!("{f}.jobs"), firm.jobs, MAX_JOBS, "");
        c.at_most(
            &format!("{f}.political_weight"),
            firm.political_weight,
            MAX_WEIGHT,
            "",
        );
        c.probability(
            &format!("{f}.diversion_propensity"),
            firm.diversion_propensity,
        );
        check_adaptation(&mut c, &f, &firm.adaptation, &states);
        total += 1;
    }
    for (i, firm) in s.firms.iter().enumerate() {
        for t in &firm.tier1 {
            if !firm_names.contains(t.as_str()) {
                c.fail(
                    format!("firms[{}].tier1", firm.name),
                    format!("unknown firm `{t}`"),
                );
            } else if t == &firm.name {
                c.fail(
                    format!("firms[{}].tier1", firm.name),
                    "a firm cannot supply itself",
                );
            }
        }
        let _ = i;
    }
    let sectors: HashSet<&str> = s
        .firms
        .iter()
        .map(|f| f.sector.as_str())
        .chain(s.populations.iter().map(|p| p.sector.as_str()))
        .collect();
    unique(
        &mut c,
        "populations",
        "population name",
        s.populations.iter().map(|p| p.name.as_str()),
    );
    for p in &s.populations {
        let f = format!("populations[{}]", p.name);
        c.known(&format!("{f}.home"), "state", &p.home, &states);
        c.known(
            &format!("{f}.material"),
            "material",
            &p.material,
            &materials,
        );
        if p.count > MAX_FIRMS {
            c.fail(
                format!("{f}.count"),
                format!(
                    "must be at most {}, got {}",
                    show(MAX_FIRMS as f64),
                    p.count
                ),
            );
        }
        c.dist(&format!("{f}.capacity"), &p.capacity, MAX_FLOW);
        c.dist(&format!("{f}.intensity"), &p.intensity, MAX_INTENSITY);
        c.dist(&format!("{f}.supplier_share"), &p.supplier_share, 1.0);
        c.dist(
            &format!("{f}.inventory_weeks"),
            &p.inventory_weeks,
            MAX_WEEKS,
        );
        c.dist(&format!("{f}.jobs"), &p.jobs, MAX_JOBS);
        c.dist(
            &format!("{f}.political_weight"),
            &p.political_weight,
            MAX_WEIGHT,
        );
        c.dist(
            &format!("{f}.diversion_propensity"),
            &p.diversion_propensity,
            1.0,
        );
        check_adaptation(&mut c, &f, &p.adaptation, &states);
        if let Some(link) = &p.supplies {
            c.known(
                &format!("{f}.supplies.sector"),
                "sector",
                &link.sector,
                &sectors,
            );
            if !(1..=MAX_PARTS).contains(&link.parts) {
                c.fail(
                    format!("{f}.supplies.parts"),
                    format!("must be in 1..={MAX_PARTS}, got {}", link.parts),
                );
            }
            if link.sector == p.sector {
                c.fail(
                    format!("{f}.supplies.sector"),
                    "a population cannot supply its own sector",
                );
            }
        }
        total = total.saturating_add(p.scaled_count(s.population_scale));
    }
    if total > MAX_FIRMS {
        c.fail(
            "populations",
            format!("{total} firms after population_scale; at most {MAX_FIRMS}"),
        );
    }
    check_negotiation(&mut c, &s.negotiation);
    let sp = &s.supply;
    if c.finite("supply.restock_weeks", sp.restock_weeks) && sp.restock_weeks < MIN_RESTOCK_WEEKS {
        c.fail(
            "supply.restock_weeks",
            format!(
                "must be at least {MIN_RESTOCK_WEEKS} weeks, got {}",
                sp.restock_weeks
            ),
        );
    } else {
        c.weeks("supply.restock_weeks", sp.restock_weeks);
    }
    let groups: HashSet<(&str, &str)> = s
        .firms
        .iter()
        .map(|f| (f.home.as_str(), f.sector.as_str()))
        .chain(
            s.populations
                .iter()
                .map(|p| (p.home.as_str(), p.sector.as_str())),
        )
        .collect();
    if groups.len() > u16::MAX as usize {
        c.fail(
            "firms",
            format!(
                "{} (home, sector) groups; at most {}",
                groups.len(),
                u16::MAX
            ),
        );
    }
    c.probability("supply.diversion_share", sp.diversion_share);
    c.at_most("supply.safety_factor", sp.safety_factor, 10.0, "");
    c.at_most("supply.max_denial", sp.max_denial, 0.99, "");
    c.at_most(
        "supply.max_cover_weeks",
        sp.max_cover_weeks,
        520.0,
        " weeks",
    );
    c.at_most("supply.military_premium", sp.military_premium, 1000.0, "");
    c.at_most(
        "supply.margin_per_material",
        sp.margin_per_material,
        1000.0,
        "",
    );
    for (i, e) in s.timeline.iter().enumerate() {
        check_event(&mut c, &format!("timeline[{i}]"), e, s, &states, &materials);
    }
    c.problems
}

fn check_state(
    c: &mut Checker,
    st: &StateDef,
    states: &HashSet<&str>,
    materials: &HashSet<&str>,
    s: &Scenario,
) {
    let f = format!("states[{}]", st.code);
    let p = &st.preferences;
    let e = p.concession.exponent();
    c.positive_at_most(
        &format!("{f}.preferences.concession.e"),
        e,
        MAX_EXPONENT,
        "",
    );
    match p.concession {
        Concession::Boulware { e } if e >= 1.0 => c.fail(
            format!("{f}.preferences.concession"),
            format!("Boulware needs e < 1, got {e}"),
        ),
        Concession::Conceder { e } if e <= 1.0 => c.fail(
            format!("{f}.preferences.concession"),
            format!("Conceder needs e > 1, got {e}"),
        ),
        _ => {}
    }
    let resolve = format!("{f}.preferences.resolve");
    match p.resolve {
        Dist::LogNormal { .. } | Dist::Gamma { .. } => c.fail(
            &resolve,
            "must lie in [0, 1]: use Fixed, Uniform, Triangular or Beta (LogNormal and Gamma are unbounded)",
        ),
        _ => c.dist(&resolve, &p.resolve, 1.0),
    }
    c.probability(&format!("{f}.preferences.open_threshold"), p.open_threshold);
    c.probability(&format!("{f}.preferences.discount"), p.discount);
    c.at_most(
        &format!("{f}.preferences.pressure_gain"),
        p.pressure_gain,
        MAX_WEIGHT,
        "",
    );
    c.probability(
        &format!("{f}.preferences.reputation_cost"),
        p.reputation_cost,
    );
    c.at_most(
        &format!("{f}.preferences.audience_cost"),
        p.audience_cost,
        100.0,
        " pressure-weeks per week",
    );
    c.at_most(
        &format!("{f}.preferences.readiness_weight"),
        p.readiness_weight,
        10.0,
        " (utility per unit of readiness gap)",
    );
    c.at_most(
        &format!("{f}.preferences.readiness_value"),
        p.readiness_value,
        MAX_USD,
        " USD per week",
    );
    c.at_most(
        &format!("{f}.preferences.shortage_value"),
        p.shortage_value,
        1e9,
        " USD per kg",
    );
    c.probability(
        &format!("{f}.preferences.investment_rate"),
        p.investment_rate,
    );
    let sal = &p.salience;
    for (name, v) in [
        ("civilian_approval", sal.civilian_approval),
        ("licence_validity", sal.licence_validity),
        ("general_licence", sal.general_licence),
        ("suspend_expanded", sal.suspend_expanded),
    ] {
        c.at_most(
            &format!("{f}.preferences.salience.{name}"),
            v,
            MAX_WEIGHT,
            "",
        );
    }
    let pr = &st.pressure;
    for (name, v) in [
        ("lost_output", pr.lost_output),
        ("readiness", pr.readiness),
        ("price", pr.price),
        ("lost_revenue", pr.lost_revenue),
        ("restrictions", pr.restrictions),
        ("leverage_erosion", pr.leverage_erosion),
    ] {
        c.at_most(&format!("{f}.pressure.{name}"), v, MAX_WEIGHT, "");
    }
    c.probability(&format!("{f}.pressure.smoothing"), pr.smoothing);
    c.probability(&format!("{f}.initial_trust"), st.initial_trust);
    let mut controlled = HashSet::new();
    for ec in &st.export_controls {
        let g = format!("{f}.export_controls[{}]", ec.material);
        c.known(
            &format!("{g}.material"),
            "material",
            &ec.material,
            materials,
        );
        if !controlled.insert(ec.material.as_str()) {
            c.fail(&g, "duplicate export control for this material");
        }
        if let Some(m) = s.materials.iter().find(|m| m.id == ec.material)
            && m.supplier != st.code
        {
            c.fail(&g, format!("material `{}` is supplied by `{}`, not `{}`: only its supplier can control its export", m.id, m.supplier, st.code));
        }
        c.dist(&format!("{g}.review_lag"), &ec.review_lag, MAX_WEEKS);
        c.positive_weeks(&format!("{g}.validity_weeks"), ec.validity_weeks);
        let (lo, hi) = ec.validity_range;
        c.positive_weeks(&format!("{g}.validity_range.0"), lo);
        c.positive_weeks(&format!("{g}.validity_range.1"), hi);
        if lo > hi {
            c.fail(
                format!("{g}.validity_range"),
                format!("min {lo} > max {hi}"),
            );
        } else if !(lo..=hi).contains(&ec.validity_weeks) {
            c.fail(
                format!("{g}.validity_weeks"),
                format!(
                    "{} lies outside validity_range ({lo}, {hi})",
                    ec.validity_weeks
                ),
            );
        }
        for eu in EndUse::ALL {
            c.probability(
                &format!("{g}.approval.{}", end_use_field(eu)),
                ec.approval.get(eu),
            );
        }
        c.probability(
            &format!("{g}.extraterritorial_share"),
            ec.extraterritorial_share,
        );
        if let Some(cost) = ec.reach_cost {
            c.probability(&format!("{g}.reach_cost"), cost);
        }
        if let Some(p) = &ec.probe {
            c.positive_weeks(&format!("{g}.probe.step_weeks"), p.step_weeks);
            c.positive_weeks(&format!("{g}.probe.quiet_weeks"), p.quiet_weeks);
            c.positive_weeks(&format!("{g}.probe.start_weeks"), p.start_weeks);
            if !(lo..=hi).contains(&p.start_weeks) {
                c.fail(
                    format!("{g}.probe.start_weeks"),
                    format!("{} lies outside validity_range ({lo}, {hi})", p.start_weeks),
                );
            }
        }
        c.weeks(&format!("{g}.reapply_weeks"), ec.reapply_weeks);
        c.positive_at_most(
            &format!("{g}.licence_headroom"),
            ec.licence_headroom,
            MAX_HEADROOM,
            " times the demand",
        );
        c.probability(&format!("{g}.trust_weight"), ec.trust_weight);
        c.probability(&format!("{g}.breakdown_penalty"), ec.breakdown_penalty);
    }
    if let Some(t) = &st.tracking {
        c.probability(
            &format!("{f}.tracking.detection_probability"),
            t.detection_probability,
        );
        c.weeks(&format!("{f}.tracking.blacklist_weeks"), t.blacklist_weeks);
        c.probability(&format!("{f}.tracking.trust_penalty"), t.trust_penalty);
    }
    let mut seen = HashSet::new();
    for r in &st.tech_restrictions {
        let g = format!("{f}.tech_restrictions[{}]", r.sector);
        c.known(&format!("{g}.target"), "state", &r.target, states);
        if r.target == st.code {
            c.fail(format!("{g}.target"), "a state cannot restrict itself");
        }
        if !seen.insert((r.sector.as_str(), r.target.as_str())) {
            c.fail(
                &g,
                format!(
                    "duplicate restriction on `{}` for target `{}`",
                    r.sector, r.target
                ),
            );
        }
        c.probability(&format!("{g}.level"), r.level);
        c.at_most(
            &format!("{g}.value_to_target"),
            r.value_to_target,
            MAX_WEIGHT,
            "",
        );
        c.at_most(
            &format!("{g}.security_cost"),
            r.security_cost,
            MAX_WEIGHT,
            "",
        );
        c.at_most(
            &format!("{g}.output_per_week"),
            r.output_per_week,
            MAX_USD,
            " USD per week",
        );
        if let Some(l) = &r.ladder {
            let h = format!("{g}.ladder");
            c.probability(&format!("{h}.cost"), l.cost);
            for (i, &rung) in l.rungs.iter().enumerate() {
                c.probability(&format!("{h}.rungs[{i}]"), rung);
            }
            if l.rungs.len() < 2 {
                c.fail(format!("{h}.rungs"), "a ladder needs at least two rungs");
            } else if l.rungs.windows(2).any(|w| w[0] >= w[1]) {
                c.fail(format!("{h}.rungs"), "rungs must be strictly ascending");
            }
        }
    }
    for p in &st.substitution {
        let g = format!("{f}.substitution[{}]", p.name);
        c.known(&format!("{g}.material"), "material", &p.material, materials);
        c.at_most(
            &format!("{g}.capacity"),
            p.capacity,
            MAX_FLOW,
            " kg per week",
        );
        c.weeks(&format!("{g}.lead_weeks"), p.lead_weeks);
        c.weeks(&format!("{g}.ramp_weeks"), p.ramp_weeks);
        c.at_most(&format!("{g}.cost"), p.cost, MAX_USD, " USD");
        c.positive_weeks(&format!("{g}.life_weeks"), p.life_weeks);
        if let Some(floor) = p.floor_price {
            c.at_most(&format!("{g}.floor_price"), floor, 1e9, " USD per unit");
        }
        c.probability(&format!("{g}.political_cost"), p.political_cost);
        match p.start {
            StartRule::Scheduled { week } => c.weeks(&format!("{g}.start.week"), week),
            StartRule::Pressure { threshold } => {
                c.probability(&format!("{g}.start.threshold"), threshold)
            }
            StartRule::Value => {}
        }
    }
    let mut maker_names = HashSet::new();
    for mk in &st.makers {
        let g = format!("{f}.makers[{}]", mk.name);
        if !maker_names.insert(mk.name.as_str()) {
            c.fail(
                format!("{f}.makers"),
                format!("maker `{}` is named twice", mk.name),
            );
        }
        c.known(
            &format!("{g}.material"),
            "material",
            &mk.material,
            materials,
        );
        if let Some(m) = s.materials.iter().find(|m| m.id == mk.material)
            && m.supplier != st.code
        {
            c.fail(
                format!("{g}.material"),
                format!(
                    "`{}` is supplied by {}, not {}: makers make what their state supplies",
                    mk.material, m.supplier, st.code
                ),
            );
        }
        c.at_most(
            &format!("{g}.capacity"),
            mk.capacity,
            MAX_FLOW,
            " kg per week",
        );
        c.at_most(
            &format!("{g}.other_demand"),
            mk.other_demand,
            MAX_FLOW,
            " kg per week",
        );
        c.at_most(&format!("{g}.jobs"), mk.jobs, MAX_JOBS, "");
    }
    for (i, sp) in st.stockpiles.iter().enumerate() {
        let g = format!("{f}.stockpiles[{i}]");
        c.known(
            &format!("{g}.material"),
            "material",
            &sp.material,
            materials,
        );
        c.at_most(&format!("{g}.quantity"), sp.quantity, MAX_STOCK, " kg");
        c.at_most(
            &format!("{g}.max_release_per_week"),
            sp.max_release_per_week,
            MAX_FLOW,
            " kg per week",
        );
    }
    for (i, o) in st.other_supply.iter().enumerate() {
        let g = format!("{f}.other_supply[{i}]");
        c.known(&format!("{g}.material"), "material", &o.material, materials);
        c.at_most(
            &format!("{g}.capacity"),
            o.capacity,
            MAX_FLOW,
            " kg per week",
        );
    }
}

fn end_use_field(e: EndUse) -> &'static str {
    match e {
        EndUse::Civilian => "civilian",
        EndUse::DualUse => "dual_use",
        EndUse::Military => "military",
    }
}

fn check_negotiation(c: &mut Checker, n: &NegotiationParams) {
    c.positive_weeks("negotiation.deadline_weeks", n.deadline_weeks);
    c.weeks("negotiation.cooldown_weeks", n.cooldown_weeks);
    c.positive_weeks("negotiation.term_weeks", n.term_weeks);
    c.probability("negotiation.breakdown_probability", n.breakdown_probability);
    c.probability("negotiation.trust_gain", n.trust_gain);
    c.probability("negotiation.defection_trust_loss", n.defection_trust_loss);
    c.probability("negotiation.breakdown_trust_loss", n.breakdown_trust_loss);
    c.probability("negotiation.trust_weight", n.trust_weight);
    c.positive_at_most("negotiation.response_noise", n.response_noise, 1.0, "");
    c.positive_at_most(
        "negotiation.escalation_horizon_weeks",
        n.escalation_horizon_weeks,
        MAX_WEEKS,
        " weeks",
    );
    c.positive_at_most(
        "negotiation.escalation_noise",
        n.escalation_noise,
        100.0,
        " pressure-weeks",
    );
    if !(1..=101).contains(&n.belief_types) {
        c.fail(
            "negotiation.belief_types",
            format!("must be in 1..=101, got {}", n.belief_types),
        );
    }
}

fn check_event(
    c: &mut Checker,
    f: &str,
    e: &ScheduledEvent,
    s: &Scenario,
    states: &HashSet<&str>,
    materials: &HashSet<&str>,
) {
    c.weeks(&format!("{f}.week"), e.week as f64);
    let control = |c: &mut Checker, state: &str, material: &str| {
        c.known(&format!("{f}.action.state"), "state", state, states);
        c.known(
            &format!("{f}.action.material"),
            "material",
            material,
            materials,
        );
        let has = s.states.iter().any(|st| {
            st.code == state && st.export_controls.iter().any(|ec| ec.material == material)
        });
        if states.contains(state) && materials.contains(material) && !has {
            c.fail(
                format!("{f}.action"),
                format!("state `{state}` has no export control on `{material}` to change"),
            );
        }
    };
    match &e.action {
        EventAction::SetControlActive {
            state, material, ..
        }
        | EventAction::SetMilitaryBan {
            state, material, ..
        }
        | EventAction::SetExtraterritorial {
            state, material, ..
        }
        | EventAction::SetGeneralLicence {
            state, material, ..
        } => control(c, state, material),
        EventAction::SetApproval {
            state,
            material,
            probability,
            ..
        } => {
            control(c, state, material);
            c.probability(&format!("{f}.action.probability"), *probability);
        }
        EventAction::SetTracking { state, .. } => {
            c.known(&format!("{f}.action.state"), "state", state, states);
            if s.states
                .iter()
                .any(|st| &st.code == state && st.tracking.is_none())
            {
                c.fail(
                    format!("{f}.action"),
                    format!("state `{state}` has no tracking system"),
                );
            }
        }
        EventAction::SetRestriction {
            state,
            target,
            sector,
            level,
        } => {
            c.known(&format!("{f}.action.state"), "state", state, states);
            c.known(&format!("{f}.action.target"), "state", target, states);
            c.probability(&format!("{f}.action.level"), *level);
            let has = s.states.iter().any(|st| {
                &st.code == state
                    && st
                        .tech_restrictions
                        .iter()
                        .any(|r| &r.target == target && &r.sector == sector)
            });
            if states.contains(state.as_str()) && !has {
                c.fail(
                    format!("{f}.action"),
                    format!("state `{state}` has no restriction on `{sector}` for `{target}` (declare it in tech_restrictions, level 0)"),
                );
            }
        }
    }
}

/// The ranges of a firm's or population's adaptation (`AdaptationDef`).
fn check_adaptation(c: &mut Checker, f: &str, a: &Option<AdaptationDef>, states: &HashSet<&str>) {
    let Some(a) = a else {
        return;
    };
    let f = format!("{f}.adaptation");
    c.at_most(
        &format!("{f}.loss_per_kg"),
        a.loss_per_kg,
        1e9,
        " USD per kg",
    );
    c.positive_weeks(&format!("{f}.life_weeks"), a.life_weeks);
    c.positive_at_most(&format!("{f}.smoothing"), a.smoothing, 1.0, "");
    if let Some(r) = &a.redesign {
        if c.finite(&format!("{f}.redesign.intensity"), r.intensity)
            && !(0.0..1.0).contains(&r.intensity)
        {
            c.fail(
                format!("{f}.redesign.intensity"),
                format!(
                    "must be in [0, 1) (material per unit after over before), got {}",
                    r.intensity
                ),
            );
        }
        c.weeks(&format!("{f}.redesign.lead_weeks"), r.lead_weeks);
        c.at_most(
            &format!("{f}.redesign.cost_per_kg_week"),
            r.cost_per_kg_week,
            1e12,
            " USD per kg/week",
        );
    }
    if let Some(r) = &a.relocation {
        c.known(&format!("{f}.relocation.to"), "state", &r.to, states);
        c.positive_at_most(
            &format!("{f}.relocation.cost_per_kg_week"),
            r.cost_per_kg_week,
            1e12,
            " USD per kg/week",
        );
        c.probability(&format!("{f}.relocation.max_hazard"), r.max_hazard);
        c.positive_at_most(&format!("{f}.relocation.slope"), r.slope, 1000.0, "");
    }
}
