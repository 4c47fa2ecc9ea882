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
        output_per_week: 0.0,
    });
    s.states[1].export_controls[0].reach_cost = Some(cn_cost);
    s.negotiation.escalation_noise = 0.01;
    s
}

/// A run of `WEEKS` weeks: its summary, time series and terms.
fn run(s: &Scenario, seed: u64) -> (Table, Table, Table) {
    let t = run_for(s, seed, WEEKS);
    (t.summary, t.timeseries, t.terms)
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
    let mut escalated = 0;
    for seed in 1..=SEEDS {
        let (sum, series, _) = run(&s, seed);
        assert_eq!(value(&sum, "US_withdrawals_count"), 0.0, "seed {seed}");
        let first = value(&sum, "US_first_escalation_week");
        if first.is_nan() {
            continue;
        }
        escalated += 1;
        let agreed = value(&sum, "first_agreement_week");
        let level = series.column("US_eda_on_CN_restriction_level").unwrap();
        for (week, l) in level.iter().enumerate() {
            let w = week as f64;
            if w > first && (agreed.is_nan() || w < agreed) {
                assert_eq!(num(l), 0.8, "seed {seed} week {week}");
            }
        }
    }
    // so the test is not passed by seeds that never escalate
    assert!(
        escalated >= SEEDS / 2,
        "{escalated} of {SEEDS} seeds escalate"
    );
}

/// The escalation scenario with a truce to make: both sides climb at once
/// (cheap rungs), China's reach is cheap for it to suspend and dear to the
/// US, the US keeps its word (no breach), agreements last `term` weeks and
/// talks reopen at their end if `renew`.
fn truce(term: f64, renew: bool) -> Scenario {
    let mut s = ladders(0.006, 0.006);
    s.states[0].preferences.reputation_cost = 0.3;
    s.states[0].preferences.salience.suspend_expanded = 2.0;
    s.states[1].preferences.salience.suspend_expanded = 0.05;
    s.negotiation.term_weeks = term;
    s.negotiation.reopen_on_expiry = renew;
    s
}

/// The weeks of a run's transcript rows of `event`.
fn weeks_of(transcript: &Table, event: &str) -> Vec<f64> {
    let (e, w) = (
        transcript.column("event").unwrap(),
        transcript.column("week").unwrap(),
    );
    (0..e.len())
        .filter(|&i| *e[i] == Cell::Text(event.into()))
        .map(|i| num(w[i]))
        .collect()
}

/// A truce (Busan, October 2025: measures suspended to a date): an
/// agreement that lifts the US restriction and suspends China's reach
/// holds both suspended for its term; at its end both come back (the
/// agreed values are restored at expiry, `Lever::restore`) unless the
/// agreement is renewed that week, and a renewal (talks reopened at the
/// expiry) suspends them again. Counted over the seeds whose first
/// agreement suspends both and in which no side moves a rung during it or
/// in its last week (a move then comes after the expiry's restore).
#[test]
fn a_truce_suspends_both_sides_measures_and_restores_them_unless_renewed() {
    let term = 8.0;
    let (mut lapsed, mut renewed) = (0, 0);
    for (renew, seed) in [false, true]
        .into_iter()
        .flat_map(|r| (1..=SEEDS).map(move |k| (r, k)))
    {
        let mut sim = simulation(&truce(term, renew), seed, 1);
        for _ in 0..WEEKS {
            sim.step();
        }
        let t = sim.tables();
        let level = t
            .timeseries
            .column("US_eda_on_CN_restriction_level")
            .unwrap();
        let reach = t
            .timeseries
            .column("CN_magnets_to_US_extraterritorial_flag")
            .unwrap();
        let agreed = weeks_of(&t.transcript, "agreement");
        let expired = weeks_of(&t.transcript, "expiry");
        let climbs = [
            weeks_of(&t.transcript, "escalate"),
            weeks_of(&t.transcript, "withdraw"),
        ]
        .concat();
        let Some(&a) = agreed.first() else { continue };
        let (a, e) = (a as usize, (a + term) as usize);
        // both measures stood before the agreement and no side moved during its term
        let stood = num(level[a - 1]) == 0.8 && num(reach[a - 1]) == 1.0;
        if !stood
            || !expired.contains(&(e as f64))
            || climbs.iter().any(|&w| w >= a as f64 && w <= e as f64)
        {
            continue;
        }
        for w in a..e {
            assert_eq!(
                (num(level[w]), num(reach[w])),
                (0.0, 0.0),
                "seed {seed} week {w}: suspended"
            );
        }
        // at its end both come back, unless renewed that very week
        let at_once = agreed.contains(&(e as f64));
        let expect = if at_once { (0.0, 0.0) } else { (0.8, 1.0) };
        assert_eq!(
            (num(level[e]), num(reach[e])),
            expect,
            "seed {seed} week {e}"
        );
        if !renew {
            lapsed += 1;
        } else if let Some(&r) = agreed.iter().find(|&&w| w >= e as f64) {
            // a renewal suspends them again
            let r = r as usize;
            assert_eq!(
                (num(level[r]), num(reach[r])),
                (0.0, 0.0),
                "seed {seed}: renewed in week {r}"
            );
            renewed += 1;
        }
    }
    assert!(
        lapsed >= 4 && renewed >= 2,
        "{lapsed} lapsed, {renewed} renewed"
    );
}

/// Reputation (Kreps and Wilson 1982; Sartori 2005): a state that breaks
/// a truce by escalating loses the victim's trust (its estimate that the
/// defector keeps its word), so the victim values the defector's promises
/// less and the next agreement must give it better terms: China, whose
/// trust in the US fell, grants less civilian approval in the agreement
/// after the breach than it does when a defection costs no trust.
#[test]
fn a_defection_costs_trust_and_better_terms_for_the_victim() {
    let mut s = ladders(0.006, 1.0);
    // the US breaks a truce as soon as re-raising pays
    s.states[0].preferences.reputation_cost = 0.0;
    let mut forgiving = s.clone();
    forgiving.negotiation.defection_trust_loss = 0.0;
    let second = |s: &Scenario, seed: u64| -> Option<(f64, f64, f64)> {
        let mut sim = simulation(s, seed, 1);
        for _ in 0..WEEKS {
            sim.step();
        }
        let t = sim.tables();
        let defection = *weeks_of(&t.transcript, "defection").first()?;
        let trust = t.timeseries.column("CN_trust_in_US_index").unwrap();
        let before = num(trust[defection as usize - 1]);
        let after = num(trust[defection as usize]);
        let (event, week, issue, v) = (
            t.terms.column("event").unwrap(),
            t.terms.column("week").unwrap(),
            t.terms.column("issue").unwrap(),
            t.terms.column("value").unwrap(),
        );
        let next = (0..v.len()).find(|&i| {
            *event[i] == Cell::Text("agreement".into())
                && num(week[i]) > defection
                && *issue[i] == Cell::Text("civilian_approval".into())
        })?;
        Some((before - after, num(v[next]), defection))
    };
    let (mut hard, mut soft) = (Vec::new(), Vec::new());
    for seed in 1..=SEEDS {
        let (Some(h), Some(f)) = (second(&s, seed), second(&forgiving, seed)) else {
            continue;
        };
        // the defection's 0.3, and what detected diversion costs (0.01 each)
        assert!(h.0 >= 0.3 - 1e-9, "seed {seed}: trust fell by {}", h.0);
        assert!(f.0 < 0.1, "seed {seed}: trust fell by {}", f.0);
        hard.push(h.1);
        soft.push(f.1);
    }
    assert!(
        hard.len() >= 4,
        "{} seeds with a breach and a next agreement",
        hard.len()
    );
    let (a, b) = (median(hard.clone()), median(soft.clone()));
    assert!(
        a < b,
        "approval after a breach {a} with the trust loss, {b} without: {hard:?} {soft:?}"
    );
}

/// The supplier's temporary licences as a probe (the "strategic trial";
/// Watson 1999, starting small: a relationship's stakes grow as each side
/// shows it can be trusted): the validity the supplier grants starts
/// short, grows after each quiet spell, and is cut back to the start in a
/// week with an escalation by the consumer or a detected diversion.
/// Without tracking and with no ladder it only grows until a deal sets it;
/// without tracking but with a US ladder every US escalation outside a deal
/// cuts it, and every cut is one; with tracking too, every cut falls in a
/// week with an escalation or a detection.
#[test]
fn temporary_licences_grow_in_quiet_weeks_and_are_cut_after_a_breach() {
    let probe = ProbeDef {
        start_weeks: 4.0,
        step_weeks: 4.0,
        quiet_weeks: 4.0,
    };
    let mut quiet = small_scenario();
    quiet.states[1].export_controls[0].probe = Some(probe);
    quiet.states[1].tracking = None;
    let mut tracked = ladders(0.006, 1.0);
    tracked.states[1].export_controls[0].probe = quiet.states[1].export_controls[0].probe.clone();
    // military buyers who outbid the expected penalty, so that firms divert
    // and tracking detects some
    tracked.supply.military_premium = 1000.0;
    let mut watched = tracked.clone();
    watched.states[1].tracking = None;
    let validity = |t: &Table| -> Vec<f64> {
        t.column("CN_magnets_to_US_licence_validity_weeks")
            .unwrap()
            .into_iter()
            .map(num)
            .collect()
    };
    let (mut cuts, mut steps, mut at_escalations) = (0, 0, 0);
    for seed in 1..=4 {
        let (sum, series, _) = run(&quiet, seed);
        let v = validity(&series);
        let agreed = value(&sum, "first_agreement_week");
        let until = if agreed.is_nan() {
            v.len()
        } else {
            agreed as usize
        };
        assert_eq!(v[0], 4.0);
        assert!(
            v[..until].windows(2).all(|w| w[1] >= w[0]),
            "seed {seed}: {v:?}"
        );
        assert!(until < 9 || v[8] >= 12.0, "seed {seed}: {v:?}");

        for (s, tracking) in [(&watched, false), (&tracked, true)] {
            let mut sim = simulation(s, seed, 1);
            for _ in 0..WEEKS {
                sim.step();
            }
            let t = sim.tables();
            let v = validity(&t.timeseries);
            let detections: Vec<f64> = t
                .timeseries
                .column("detections_count")
                .unwrap()
                .into_iter()
                .map(num)
                .collect();
            let (e, a, wk) = (
                t.transcript.column("event").unwrap(),
                t.transcript.column("actor").unwrap(),
                t.transcript.column("week").unwrap(),
            );
            let is = |i: usize, x: &str| *e[i] == Cell::Text(x.into());
            let escalated: Vec<f64> = (0..e.len())
                .filter(|&i| is(i, "escalate") && *a[i] == Cell::Text("US".into()))
                .map(|i| num(wk[i]))
                .collect();
            // the deals' spans, from each agreement to its expiry or defection
            let deals: Vec<(f64, f64)> = (0..e.len())
                .filter(|&i| is(i, "agreement"))
                .map(|i| {
                    let end = (i + 1..e.len())
                        .find(|&k| is(k, "expiry") || is(k, "defection"))
                        .map_or(f64::INFINITY, |k| num(wk[k]));
                    (num(wk[i]), end)
                })
                .collect();
            // a deal's validity overrides the probe's while it is in force
            let in_deal = |w: usize| {
                deals
                    .iter()
                    .any(|&(a, b)| (w as f64) >= a && (w as f64) <= b)
            };
            for w in 1..v.len() {
                if in_deal(w) {
                    continue;
                }
                let breach = escalated.contains(&(w as f64)) || (tracking && detections[w] > 0.0);
                if !tracking && escalated.contains(&(w as f64)) {
                    assert_eq!(
                        v[w], 4.0,
                        "seed {seed}: no cut at the escalation of week {w}"
                    );
                    at_escalations += 1;
                }
                if v[w] < v[w - 1] {
                    assert_eq!(v[w], 4.0, "seed {seed} week {w}");
                    assert!(breach, "seed {seed}: a cut in week {w} with no breach");
                    cuts += 1;
                } else if v[w] > v[w - 1] {
                    steps += 1;
                }
            }
        }
    }
    assert!(
        cuts >= 2 && steps >= 2 && at_escalations >= 1,
        "{cuts} cuts, {steps} steps, {at_escalations} escalations"
    );
}

/// The breach cost (Kreps and Wilson 1982: a player who values its
/// reputation keeps its word): with no reputation cost the US breaks
/// truces by re-raising what a deal lifted; with the cost of keeping its
/// word at 0.3 (7.8 pressure-weeks over the horizon) it breaks fewer, here
/// none.
#[test]
fn a_state_that_values_its_reputation_breaks_fewer_truces() {
    let breaches = |reputation: f64| -> usize {
        let mut s = ladders(0.006, 1.0);
        s.states[0].preferences.reputation_cost = reputation;
        (1..=SEEDS)
            .map(|seed| {
                let mut sim = simulation(&s, seed, 1);
                for _ in 0..WEEKS {
                    sim.step();
                }
                let t = sim.tables().transcript;
                let (e, n) = (t.column("event").unwrap(), t.column("note").unwrap());
                (0..e.len())
                    .filter(|&i| {
                        *e[i] == Cell::Text("defection".into())
                            && matches!(n[i], Cell::Text(x) if x.starts_with("by escalating"))
                    })
                    .count()
            })
            .sum()
    };
    let (free, bound) = (breaches(0.0), breaches(0.3));
    assert!(
        free >= SEEDS as usize / 2,
        "{free} breaches with no reputation cost"
    );
    assert!(bound < free, "{bound} breaches at 0.3, {free} at 0");
}
