//! Direction tests of bargaining under private information (issue 13), on
//! the small scenario with both states screening: each runs a handful of
//! seeds and asserts the direction theory gives when one lever moves.

use crate::common::*;
use chokepoint::config::*;
use chokepoint::metrics::Cell;

/// The small scenario with both states screening, each with private
/// resolve Uniform(0, 0.1). (The small scenario has a zone of agreement:
/// China's cost of granting approval is half the US's value of it, and the
/// ethane restriction is worth 0.8 to China for a security cost of 0.05.)
fn bargaining() -> Scenario {
    let mut s = small_scenario();
    for st in &mut s.states {
        st.preferences.concession = Concession::Screening;
        st.preferences.resolve = Dist::Uniform { min: 0.0, max: 0.1 };
    }
    s
}

/// The first agreement of a run: its week, the rounds from the opening of
/// its talks, and the consumer's and the supplier's utility of its terms
/// (each side's weights do not move with pressure, so utilities compare
/// across runs; trust stays at its initial value until a first agreement).
#[derive(Debug, Clone, Copy)]
struct First {
    week: f64,
    rounds: f64,
    consumer: f64,
    supplier: f64,
}

const WEEKS: u32 = 104;

fn first_agreement(s: &Scenario, seed: u64) -> Option<First> {
    let mut sim = simulation(s, seed, 1);
    // up to the first agreement: what comes after is not compared
    for _ in 0..WEEKS {
        sim.step();
        let totals = sim.world.resource::<chokepoint::metrics::RunTotals>();
        if totals.first_agreement_week.is_some() {
            break;
        }
    }
    let t = sim.tables().transcript;
    let at = |name: &str| t.columns.iter().position(|c| c == name).unwrap();
    let (event, week, round) = (at("event"), at("week"), at("round"));
    let (uc, us) = (at("consumer_utility_index"), at("supplier_utility_index"));
    let row = t
        .rows
        .iter()
        .find(|r| r[event] == Cell::Text("agreement".into()))?;
    let num = |c: &Cell| match c {
        Cell::Num(v) => *v,
        Cell::Int(v) => *v as f64,
        other => panic!("{other:?}"),
    };
    Some(First {
        week: num(&row[week]),
        rounds: num(&row[round]),
        consumer: num(&row[uc]),
        supplier: num(&row[us]),
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Over `seeds`, the share that agree and the medians of the first
/// agreement's week and of each side's utility of it.
fn outcome(s: &Scenario, seeds: u64) -> (f64, First) {
    let got: Vec<First> = (1..=seeds).filter_map(|k| first_agreement(s, k)).collect();
    let share = got.len() as f64 / seeds as f64;
    assert!(!got.is_empty(), "no seed agrees");
    let m = |f: fn(&First) -> f64| median(got.iter().map(f).collect());
    let first = First {
        week: m(|f| f.week),
        rounds: m(|f| f.rounds),
        consumer: m(|f| f.consumer),
        supplier: m(|f| f.supplier),
    };
    (share, first)
}

/// The deadline no longer sets the timing (screening, Fudenberg, Levine
/// and Tirole 1985: delay comes from what the proposer learns, not from a
/// clock): from 1 to 40 weeks, at least 90 % of 20 seeds agree at every
/// deadline, the median first-agreement week never falls as the deadline
/// grows and moves at most 2 weeks per step, and at most 2 weeks over the
/// whole range. (In this scenario the first offer is mostly accepted, so
/// this shows the timing is set by when pressure opens the talks, not how
/// delay from learning behaves.)
#[test]
fn the_deadline_does_not_set_the_timing() {
    let mut weeks: Vec<f64> = Vec::new();
    for deadline in 1..=40 {
        let mut s = bargaining();
        s.negotiation.deadline_weeks = deadline as f64;
        let (share, first) = outcome(&s, 20);
        assert!(share >= 0.9, "deadline {deadline}: {share} of seeds agree");
        if let Some(&before) = weeks.last() {
            assert!(
                first.week >= before && first.week - before <= 2.0,
                "deadline {deadline}: median week {} after {before}",
                first.week
            );
        }
        weeks.push(first.week);
    }
    // and over the whole range, not only step by step
    let (lo, hi) = (weeks[0], weeks[weeks.len() - 1]);
    assert!(hi - lo <= 2.0, "median week from {lo} to {hi}: {weeks:?}");
}

/// Runs `base` and `moved` over 8 seeds: their medians.
fn compare(base: &Scenario, moved: &Scenario) -> (First, First) {
    let ((share_a, a), (share_b, b)) = (outcome(base, 8), outcome(moved, 8));
    // medians over the same seeds: every seed agrees in both
    assert!(
        share_a == 1.0 && share_b == 1.0,
        "{share_a} and {share_b} agree"
    );
    (a, b)
}

/// A supplier more dependent on export revenue settles no later and gains
/// less (Rubinstein 1982: the side with the higher cost of delay gets the
/// smaller share): China's weight on lost revenue from 0.3 to 1, which
/// raises its pressure and so its discount rate.
#[test]
fn a_supplier_dependent_on_revenue_settles_no_later_and_gains_less() {
    let mut dependent = bargaining();
    dependent.states[1].pressure.lost_revenue = 1.0;
    let (a, b) = compare(&bargaining(), &dependent);
    assert!(b.week <= a.week, "{b:?} after {a:?}");
    assert!(b.supplier < a.supplier, "{b:?} vs {a:?}");
    assert!(b.consumer > a.consumer, "{b:?} vs {a:?}");
}

/// A better outside option of the consumer makes it concede less, and no
/// later (Nash 1950; Binmore, Rubinstein and Wolinsky 1986: a better
/// disagreement point, a better share): a stockpile its civilian firms may
/// draw on (ten times as large, released up to 200 kg a week), and faster
/// substitution (the plant from week 1 with no lead, ramping over 20 weeks,
/// instead of from week 2 with a 10-week lead and a 10-week ramp). Both count in its
/// no-deal outlook. "No later" is in rounds of talks: both also ease the
/// consumer's shortages, so its pressure reaches the opening threshold a
/// week or so later. (Allied supply is not an outside option here: it was
/// part of the supply before the controls, and counts only through what the
/// supplier's reach cuts from it.)
#[test]
fn a_better_outside_option_makes_the_consumer_concede_less_and_no_later() {
    let mut stocked = bargaining();
    let stock = &mut stocked.states[0].stockpiles[0];
    stock.quantity *= 10.0;
    stock.max_release_per_week = 200.0;
    stock.release = ReleaseRule::MilitaryFirst;
    let (a, b) = compare(&bargaining(), &stocked);
    assert!(b.rounds <= a.rounds, "stockpile: {b:?} after {a:?}");
    assert!(b.consumer > a.consumer, "stockpile: {b:?} vs {a:?}");
    assert!(b.supplier < a.supplier, "stockpile: {b:?} vs {a:?}");
    let mut faster = bargaining();
    let plant = &mut faster.states[0].substitution[0];
    plant.start = StartRule::Scheduled { week: 1.0 };
    plant.lead_weeks = 0.0;
    plant.ramp_weeks = 20.0;
    let (a, b) = compare(&bargaining(), &faster);
    assert!(b.rounds <= a.rounds, "substitution: {b:?} after {a:?}");
    assert!(b.consumer > a.consumer, "substitution: {b:?} vs {a:?}");
    assert!(b.supplier < a.supplier, "substitution: {b:?} vs {a:?}");
}

/// A higher political weight of the consumer's idle plants, and a larger
/// readiness gap, make it concede more and no later (Rubinstein 1982: the
/// more impatient side gets less; here pressure raises its discount rate):
/// the US's weight on lost output from 1 to 10, and its military demand
/// from 100 to 5,000 kg a week with half a week of stock at its prime (the
/// readiness gap opens in the first weeks, before the talks).
#[test]
fn pressure_on_the_consumer_makes_it_concede_more() {
    let mut weighty = bargaining();
    weighty.states[0].pressure.lost_output = 10.0;
    let (a, b) = compare(&bargaining(), &weighty);
    assert!(b.week <= a.week, "political weight: {b:?} after {a:?}");
    assert!(b.supplier > a.supplier, "political weight: {b:?} vs {a:?}");
    let mut short = bargaining();
    let prime = short.firms.iter_mut().find(|f| f.name == "Prime").unwrap();
    prime.capacity *= 50.0;
    prime.inventory_weeks = 0.5;
    let (a, b) = compare(&bargaining(), &short);
    assert!(b.week <= a.week, "readiness: {b:?} after {a:?}");
    assert!(b.supplier > a.supplier, "readiness: {b:?} vs {a:?}");
}

/// The terms are continuous in the resolve's spread: moving its upper end
/// from 0.1 to 0.11 moves the median terms by little.
#[test]
fn the_terms_are_continuous_in_the_resolve() {
    let mut near = bargaining();
    for st in &mut near.states {
        st.preferences.resolve = Dist::Uniform {
            min: 0.0,
            max: 0.11,
        };
    }
    let (a, b) = compare(&bargaining(), &near);
    assert!((a.consumer - b.consumer).abs() < 0.02, "{a:?} vs {b:?}");
    assert!((a.supplier - b.supplier).abs() < 0.02, "{a:?} vs {b:?}");
}

/// Beliefs carry over between talks on the same track (each state's resolve
/// is drawn once a run): the US's first offer in the second talks shows the
/// belief the answer to its offer in the first talks left, not the prior.
/// (A one-week deadline makes the first talks end at once.)
#[test]
fn beliefs_carry_over_to_the_next_talks_on_a_track() {
    let mut s = bargaining();
    s.negotiation.deadline_weeks = 1.0;
    let mut sim = simulation(&s, 1, 1);
    sim.run(WEEKS);
    let t = sim.tables().transcript;
    let at = |name: &str| t.columns.iter().position(|c| c == name).unwrap();
    let (event, actor, sd) = (at("event"), at("actor"), at("actor_belief_sd_index"));
    let text = |c: &Cell| match c {
        Cell::Text(s) => s.clone(),
        _ => String::new(),
    };
    // the US's first offer in each talks, with its belief's spread
    let mut firsts: Vec<f64> = Vec::new();
    let mut offered = false;
    for r in &t.rows {
        match text(&r[event]).as_str() {
            "open" => offered = false,
            "offer" if text(&r[actor]) == "US" && !offered => {
                offered = true;
                let Cell::Num(v) = r[sd] else { panic!("{r:?}") };
                firsts.push(v);
            }
            _ => {}
        }
    }
    assert!(
        firsts.len() >= 2,
        "the US makes offers in two talks: {firsts:?}"
    );
    assert!(
        (firsts[1] - firsts[0]).abs() > 1e-6,
        "the second talks start from the prior: {firsts:?}"
    );
}
