//! Direction tests of escalation as a decision (issue 14), on the small
//! scenario with both states screening: the US may raise an EDA-software
//! restriction on China (a ladder 0 -> 0.8) and China may switch on its
//! extraterritorial reach. Each test runs a handful of seeds and asserts
//! the direction theory gives when one lever moves.

use crate::common::*;
use chokepoint::config::*;
use chokepoint::metrics::{Cell, Table};

const SEEDS: u64 = 8;
const WEEKS: u32 = 52;

/// The small scenario with both states screening (private resolve
/// Uniform(0, 0.1)), a US ladder on a new EDA restriction at weekly cost
/// `us_cost` (US pressure at level 1) and China's reach at `cn_cost`.
fn ladders(us_cost: f64, cn_cost: f64) -> Scenario {
    let mut s = small_scenario();
    for st in &mut s.states {
        st.preferences.concession = Concession::Screening;
        st.preferences.resolve = Dist::Uniform { min: 0.0, max: 0.1 };
    }
    s.states[0].tech_restrictions.push(TechRestrictionDef {
        sector: "eda".into(),
        target: "CN".into(),
        level: 0.0,
        value_to_target: 0.5,
        security_cost: 0.1,
        ladder: Some(LadderDef {
            rungs: vec![0.0, 0.8],
            cost: us_cost,
        }),
    });
    s.states[1].export_controls[0].reach_cost = Some(cn_cost);
    s.negotiation.escalation_noise = 0.01;
    s
}

/// A run of `WEEKS` weeks: its summary, time series and terms.
fn run(s: &Scenario, seed: u64) -> (Table, Table, Table) {
    let mut sim = simulation(s, seed, 1);
    for _ in 0..WEEKS {
        sim.step();
    }
    let t = sim.tables();
    (t.summary, t.timeseries, t.terms)
}

fn num(c: &Cell) -> f64 {
    match c {
        Cell::Num(v) => *v,
        Cell::Int(v) => *v as f64,
        Cell::Empty => f64::NAN,
        other => panic!("{other:?}"),
    }
}

fn value(t: &Table, column: &str) -> f64 {
    let col = t.column(column).unwrap_or_else(|| panic!("no {column}"));
    num(col[0])
}

/// Each seed's escalations and withdrawals by (US, China).
fn moves(s: &Scenario) -> Vec<[f64; 4]> {
    (1..=SEEDS)
        .map(|seed| {
            let (sum, _, _) = run(s, seed);
            [
                value(&sum, "US_escalations_count"),
                value(&sum, "CN_escalations_count"),
                value(&sum, "US_withdrawals_count"),
                value(&sum, "CN_withdrawals_count"),
            ]
        })
        .collect()
}

/// The civilian approval rate China grants in a run's first agreement.
fn first_approval(terms: &Table) -> Option<f64> {
    let (event, issue, v) = (
        terms.column("event")?,
        terms.column("issue")?,
        terms.column("value")?,
    );
    (0..v.len())
        .find(|&i| {
            *event[i] == Cell::Text("agreement".into())
                && *issue[i] == Cell::Text("civilian_approval".into())
        })
        .map(|i| num(v[i]))
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// With the opponent's pressure held at zero no move can raise it, so
/// neither side escalates (Lacy and Niou 2004: a threat works only
/// through the target's cost of resisting). The same ladders with the
/// pressures left on are climbed, so the test can fail.
#[test]
fn with_the_opponents_pressure_at_zero_neither_side_escalates() {
    let cheap = ladders(0.006, 0.006);
    let climbed = moves(&cheap);
    assert!(climbed.iter().all(|m| m[0] >= 1.0), "{climbed:?}");
    assert!(climbed.iter().all(|m| m[1] >= 1.0), "{climbed:?}");
    let zero = PressureParams {
        lost_output: 0.0,
        readiness: 0.0,
        price: 0.0,
        lost_revenue: 0.0,
        restrictions: 0.0,
        leverage_erosion: 0.0,
        smoothing: 0.3,
    };
    for (held, mover) in [(1, 0), (0, 1)] {
        let mut s = cheap.clone();
        s.states[held].pressure = zero.clone();
        let m = moves(&s);
        assert!(m.iter().all(|m| m[mover] == 0.0), "{held}: {m:?}");
    }
}

/// An escalation that raises the opponent's pressure more than it costs
/// its author is chosen and buys concessions in expectation; one that
/// costs more than it raises is not chosen (Schelling 1966; Lacy and Niou
/// 2004: coercion pays when the target's cost of resisting rises more than
/// the coercer's cost of coercing).
#[test]
fn an_escalation_is_chosen_when_it_raises_more_than_it_costs() {
    // China's reach stays off: its cost is prohibitive
    let cheap = ladders(0.002, 1.0);
    let dear = ladders(0.2, 1.0);
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for seed in 1..=SEEDS {
        let (sum, _, terms) = run(&cheap, seed);
        assert!(value(&sum, "US_escalations_count") >= 1.0, "seed {seed}");
        with.extend(first_approval(&terms));
        let (sum, _, terms) = run(&dear, seed);
        assert_eq!(value(&sum, "US_escalations_count"), 0.0, "seed {seed}");
        without.extend(first_approval(&terms));
    }
    assert!(with.len() as u64 >= SEEDS - 1, "{with:?}");
    assert!(without.len() as u64 >= SEEDS - 1, "{without:?}");
    let (a, b) = (median(with.clone()), median(without.clone()));
    assert!(
        a > b,
        "approval {a} with the escalation, {b} without: {with:?} {without:?}"
    );
}

/// Audience costs (Fearon 1994): with none, an escalation is withdrawn as
/// soon as it no longer pays; with a large one, a state that escalated
/// holds until a deal. The US's restriction pays while its pressure is
/// high and stops paying as its substitute plant comes on line; with no
/// agreement possible (China's resolve at its top, no zone of agreement),
/// only the audience cost keeps it up.
#[test]
fn audience_costs_make_an_escalation_stand() {
    let mut s = ladders(0.004, 1.0);
    s.states[1].preferences.resolve = Dist::Fixed { value: 1.0 };
    let free = moves(&s);
    assert!(free.iter().any(|m| m[2] >= 1.0), "{free:?}");
    s.states[0].preferences.audience_cost = 5.0;
    for seed in 1..=SEEDS {
        let (sum, series, _) = run(&s, seed);
        assert_eq!(value(&sum, "US_withdrawals_count"), 0.0, "seed {seed}");
        let first = value(&sum, "US_first_escalation_week");
        if first.is_nan() {
            continue;
        }
        let agreed = value(&sum, "first_agreement_week");
        let level = series.column("US_eda_on_CN_restriction_level").unwrap();
        for (week, l) in level.iter().enumerate() {
            let w = week as f64;
            if w > first && (agreed.is_nan() || w < agreed) {
                assert_eq!(num(l), 0.8, "seed {seed} week {week}");
            }
        }
    }
}
