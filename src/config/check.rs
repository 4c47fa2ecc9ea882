//! Checking a parsed configuration: ranges, references and uniqueness.
//! Every problem is collected with the path of its field.

use super::run::RunConfig;
use super::scenario::*;
use crate::error::Problem;
use std::collections::HashSet;

/// Largest number of firms a scenario may generate (after scaling).
pub const MAX_FIRMS: u64 = 50_000_000;
/// Longest duration a scenario may state, weeks (about 200 years).
pub const MAX_WEEKS: f64 = 10_000.0;

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
    fn non_negative(&mut self, field: &str, v: f64) {
        if self.finite(field, v) && v < 0.0 {
            self.fail(field, format!("must be >= 0, got {v}"));
        }
    }
    fn positive(&mut self, field: &str, v: f64) {
        if self.finite(field, v) && v <= 0.0 {
            self.fail(field, format!("must be > 0, got {v}"));
        }
    }
    /// A duration in weeks: 0..=MAX_WEEKS.
    fn weeks(&mut self, field: &str, v: f64) {
        self.non_negative(field, v);
        if v.is_finite() && v > MAX_WEEKS {
            self.fail(field, format!("must be at most {MAX_WEEKS} weeks, got {v}"));
        }
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
    fn dist(&mut self, field: &str, d: &Dist, unit_interval: bool) {
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
                self.positive(&format!("{field}.mean"), mean);
                self.positive(&format!("{field}.sd"), sd);
                (mean, mean)
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
                }
                (mean, mean)
            }
        };
        if !(lo.is_finite() && hi.is_finite()) {
            self.fail(field, "parameters must be finite");
        } else if lo < 0.0 {
            self.fail(
                field,
                format!("values must be >= 0, distribution reaches {lo}"),
            );
        } else if unit_interval && hi > 1.0 {
            self.fail(
                field,
                format!("values must be in 0..1, distribution reaches {hi}"),
            );
        }
    }
}

/// Checks one distribution on its own (sweep axes); the problems as text.
pub fn check_dist(d: &Dist) -> Option<String> {
    let mut c = Checker::default();
    c.dist("distribution", d, false);
    let text: Vec<String> = c.problems.iter().map(|p| p.to_string()).collect();
    if text.is_empty() {
        None
    } else {
        Some(text.join("; "))
    }
}

/// Checks a run file's own values.
pub fn check_run(run: &RunConfig) -> Vec<Problem> {
    let mut c = Checker::default();
    if run.weeks == 0 || run.weeks > 5200 {
        c.fail("weeks", format!("must be in 1..=5200, got {}", run.weeks));
    }
    if chrono::NaiveDate::parse_from_str(&run.start_date, "%Y-%m-%d").is_err() {
        c.fail(
            "start_date",
            format!("must be an ISO date YYYY-MM-DD, got `{}`", run.start_date),
        );
    }
    if run.threads > 1024 {
        c.fail(
            "threads",
            format!(
                "must be in 0..=1024 (0 = one per core), got {}",
                run.threads
            ),
        );
    }
    if run.model.is_empty() {
        c.fail("model", "must name a scenario file");
    }
    c.problems
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
    c.non_negative("population_scale", s.population_scale);
    for m in &s.materials {
        let f = format!("materials[{}]", m.id);
        c.known(&format!("{f}.supplier"), "state", &m.supplier, &states);
        c.non_negative(&format!("{f}.price_per_unit"), m.price_per_unit);
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
        c.non_negative(&format!("{f}.capacity"), firm.capacity);
        c.non_negative(&format!("{f}.intensity"), firm.intensity);
        c.probability(&format!("{f}.supplier_share"), firm.supplier_share);
        c.non_negative(&format!("{f}.inventory_weeks"), firm.inventory_weeks);
        c.non_negative(&format!("{f}.jobs"), firm.jobs);
        c.non_negative(&format!("{f}.political_weight"), firm.political_weight);
        c.probability(
            &format!("{f}.diversion_propensity"),
            firm.diversion_propensity,
        );
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
        c.dist(&format!("{f}.capacity"), &p.capacity, false);
        c.dist(&format!("{f}.intensity"), &p.intensity, false);
        c.dist(&format!("{f}.supplier_share"), &p.supplier_share, true);
        c.dist(&format!("{f}.inventory_weeks"), &p.inventory_weeks, false);
        c.dist(&format!("{f}.jobs"), &p.jobs, false);
        c.dist(&format!("{f}.political_weight"), &p.political_weight, false);
        c.dist(
            &format!("{f}.diversion_propensity"),
            &p.diversion_propensity,
            true,
        );
        if let Some(link) = &p.supplies {
            c.known(
                &format!("{f}.supplies.sector"),
                "sector",
                &link.sector,
                &sectors,
            );
            if link.parts == 0 {
                c.fail(format!("{f}.supplies.parts"), "must be >= 1");
            }
            if link.sector == p.sector {
                c.fail(
                    format!("{f}.supplies.sector"),
                    "a population cannot supply its own sector",
                );
            }
        }
        total = total.saturating_add((p.count as f64 * s.population_scale).round() as u64);
    }
    if total > MAX_FIRMS {
        c.fail(
            "populations",
            format!("{total} firms after population_scale; at most {MAX_FIRMS}"),
        );
    }
    check_negotiation(&mut c, &s.negotiation);
    let sp = &s.supply;
    c.positive("supply.restock_weeks", sp.restock_weeks);
    c.weeks("supply.restock_weeks", sp.restock_weeks);
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
    c.positive(&format!("{f}.preferences.concession.e"), e);
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
    c.probability(&format!("{f}.preferences.open_threshold"), p.open_threshold);
    c.probability(&format!("{f}.preferences.discount"), p.discount);
    c.non_negative(&format!("{f}.preferences.pressure_gain"), p.pressure_gain);
    c.probability(
        &format!("{f}.preferences.reputation_cost"),
        p.reputation_cost,
    );
    let sal = &p.salience;
    for (name, v) in [
        ("civilian_approval", sal.civilian_approval),
        ("licence_validity", sal.licence_validity),
        ("general_licence", sal.general_licence),
        ("suspend_expanded", sal.suspend_expanded),
    ] {
        c.non_negative(&format!("{f}.preferences.salience.{name}"), v);
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
        c.non_negative(&format!("{f}.pressure.{name}"), v);
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
        c.dist(&format!("{g}.review_lag"), &ec.review_lag, false);
        c.positive(&format!("{g}.validity_weeks"), ec.validity_weeks);
        c.weeks(&format!("{g}.validity_weeks"), ec.validity_weeks);
        c.weeks(&format!("{g}.validity_range.1"), ec.validity_range.1);
        let (lo, hi) = ec.validity_range;
        c.positive(&format!("{g}.validity_range.0"), lo);
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
        c.weeks(&format!("{g}.reapply_weeks"), ec.reapply_weeks);
        c.positive(&format!("{g}.licence_headroom"), ec.licence_headroom);
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
        c.non_negative(&format!("{g}.value_to_target"), r.value_to_target);
        c.non_negative(&format!("{g}.security_cost"), r.security_cost);
    }
    for p in &st.substitution {
        let g = format!("{f}.substitution[{}]", p.name);
        c.known(&format!("{g}.material"), "material", &p.material, materials);
        c.non_negative(&format!("{g}.capacity"), p.capacity);
        c.weeks(&format!("{g}.lead_weeks"), p.lead_weeks);
        c.weeks(&format!("{g}.ramp_weeks"), p.ramp_weeks);
        c.non_negative(&format!("{g}.cost"), p.cost);
        c.probability(&format!("{g}.political_cost"), p.political_cost);
        match p.start {
            StartRule::Scheduled { week } => c.weeks(&format!("{g}.start.week"), week),
            StartRule::Pressure { threshold } => {
                c.probability(&format!("{g}.start.threshold"), threshold)
            }
        }
    }
    for (i, sp) in st.stockpiles.iter().enumerate() {
        let g = format!("{f}.stockpiles[{i}]");
        c.known(
            &format!("{g}.material"),
            "material",
            &sp.material,
            materials,
        );
        c.non_negative(&format!("{g}.quantity"), sp.quantity);
        c.non_negative(
            &format!("{g}.max_release_per_week"),
            sp.max_release_per_week,
        );
    }
    for (i, o) in st.other_supply.iter().enumerate() {
        let g = format!("{f}.other_supply[{i}]");
        c.known(&format!("{g}.material"), "material", &o.material, materials);
        c.non_negative(&format!("{g}.capacity"), o.capacity);
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
    c.positive("negotiation.deadline_weeks", n.deadline_weeks);
    c.weeks("negotiation.deadline_weeks", n.deadline_weeks);
    c.weeks("negotiation.cooldown_weeks", n.cooldown_weeks);
    c.weeks("negotiation.term_weeks", n.term_weeks);
    c.probability("negotiation.breakdown_probability", n.breakdown_probability);
    c.positive("negotiation.term_weeks", n.term_weeks);
    c.probability("negotiation.trust_gain", n.trust_gain);
    c.probability("negotiation.defection_trust_loss", n.defection_trust_loss);
    c.probability("negotiation.breakdown_trust_loss", n.breakdown_trust_loss);
}

fn check_event(
    c: &mut Checker,
    f: &str,
    e: &ScheduledEvent,
    s: &Scenario,
    states: &HashSet<&str>,
    materials: &HashSet<&str>,
) {
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
