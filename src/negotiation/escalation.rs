//! Escalation as a decision. Each week a state may move one of its
//! policies one rung up its ladder, hold, or move one down, by the
//! expected-value rule of Lacy and Niou (2004): a move is worth
//!
//! ```text
//! H [q(p_j') - q(p_j)] p_i  -  H dk  -  audience
//! ```
//!
//! in the mover's pressure-weeks (one week at full pressure). `q(p)` is the
//! mover's belief that the other state gives in at pressure `p`: a type
//! whose resolve ranks at u (its quantile in the resolve's distribution)
//! gives in once its pressure passes u, so that under the prior q(p) is
//! about p, the reading of pressure as the probability that the harm moves
//! a government to act (`PressureTerms::combine`). `p_j'` is the other's
//! pressure after the move, `p_i` the mover's own pressure (what the
//! other's giving in ends: the prize), `dk` the move's change in the
//! mover's weekly cost of the policy and `H` the horizon. The audience
//! cost (Fearon 1994) is `a x weeks stood` for a withdrawal; for an
//! escalation, the same cost over the horizon times the chance that the
//! mover must back down: that the other holds out (1 - q(p_j')) while the
//! mover itself would give in (its pressure above its own rank). So a
//! type that expects to give in escalates less, and an escalation is a
//! signal of resolve. The choice is a logit over the values (hold is 0),
//! with noise a parameter, so it has a likelihood: the other state updates
//! its belief about the mover's resolve by Bayes' rule from every choice
//! (`log_likelihoods`).
//!
//! This module does not use bevy: the negotiation system gathers the
//! steps (`levers::Lever::steps`) and applies the chosen one.

use super::belief::Belief;
use super::{Move, Outbox, PartyIx};

/// One rung a state may move one policy this week.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The policy's lever (its place in `levers::LEVERS`) and target.
    pub lever: usize,
    pub target: u32,
    /// The policy's name in the transcript, e.g. `restriction[eda_software]`.
    pub policy: String,
    /// The policy's level now and after the move.
    pub from: f64,
    pub to: f64,
    /// What the move adds to the other state's pressure sum S (its
    /// pressure is 1 - exp(-S)); negative when it relieves it.
    pub effect: f64,
    /// The change in the mover's weekly cost of the policy, in its pressure.
    pub cost: f64,
    /// Weeks the policy has stood at its level since the mover last moved it.
    pub stood: u32,
}

impl Step {
    /// Whether the move climbs the ladder.
    pub fn escalates(&self) -> bool {
        self.to > self.from
    }
}

/// The rule's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Weeks H over which a move's gain and cost are weighed.
    pub horizon: f64,
    /// Noise of the logit choice, pressure-weeks.
    pub noise: f64,
    /// Width of a type's giving in around its rank (the answers' noise):
    /// keeps q continuous in the pressure.
    pub tau: f64,
}

/// What a mover knows when it chooses, besides its belief about the
/// other's resolve: its own pressure, the other's, its audience cost rate
/// and what breaking an agreement would cost it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Situation {
    pub own_pressure: f64,
    pub other_pressure: f64,
    pub audience_cost: f64,
    /// What escalating costs the mover on top, pressure-weeks: breaking its
    /// word while an agreement is in force (0 with none).
    pub breach: f64,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The rank of the k-th of K types on a quantile grid: (k + 1/2) / K.
fn rank(k: usize, n: usize) -> f64 {
    (k as f64 + 0.5) / n.max(1) as f64
}

/// The belief's probability that the other gives in at pressure `p`: the
/// mass of the types whose rank lies below `p`, each type's giving in
/// smoothed over `tau` around its rank.
pub fn gives_in(belief: &Belief, p: f64, tau: f64) -> f64 {
    let n = belief.types.len();
    belief
        .probabilities()
        .iter()
        .enumerate()
        .map(|(k, w)| w * logistic((p - rank(k, n)) / tau))
        .sum()
}

/// A pressure `p` raised by `ds` on its sum's scale: 1 - (1 - p) exp(-ds).
pub fn raised(p: f64, ds: f64) -> f64 {
    (1.0 - (1.0 - p.clamp(0.0, 1.0)) * (-ds).exp()).clamp(0.0, 1.0)
}

/// The value of holding (0) and of each step, for a mover whose resolve
/// ranks at `own_rank`.
pub fn values(
    steps: &[Step],
    s: &Situation,
    belief: &Belief,
    rule: &Rule,
    own_rank: f64,
) -> Vec<f64> {
    let h = rule.horizon;
    let q0 = gives_in(belief, s.other_pressure, rule.tau);
    // the chance that the mover would give in first, at its own pressure
    let yields = logistic((s.own_pressure - own_rank) / rule.tau);
    let mut v = Vec::with_capacity(steps.len() + 1);
    v.push(0.0);
    for step in steps {
        let q1 = gives_in(belief, raised(s.other_pressure, step.effect), rule.tau);
        let gain = h * (q1 - q0) * s.own_pressure;
        let cost = h * step.cost;
        let audience = if step.escalates() {
            s.audience_cost * h * yields * (1.0 - q1) + s.breach
        } else {
            s.audience_cost * step.stood as f64
        };
        v.push(gain - cost - audience);
    }
    v
}

/// Logit choice probabilities of `values` with noise `noise`.
pub fn probabilities(values: &[f64], noise: f64) -> Vec<f64> {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = values.iter().map(|v| ((v - max) / noise).exp()).collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|x| x / total).collect()
}

/// The option a uniform `draw` in [0, 1) picks (0: hold; k: step k - 1).
pub fn pick(probabilities: &[f64], draw: f64) -> usize {
    let mut acc = 0.0;
    for (i, p) in probabilities.iter().enumerate() {
        acc += p;
        if draw < acc {
            return i;
        }
    }
    probabilities.len().saturating_sub(1)
}

/// The log-likelihood of the mover's choice `chosen` (as `pick` numbers
/// it) under each of `types` types of its resolve, ranked on their
/// quantile grid: what the other state adds to its belief about the mover.
pub fn log_likelihoods(
    steps: &[Step],
    s: &Situation,
    belief: &Belief,
    rule: &Rule,
    types: usize,
    chosen: usize,
) -> Vec<f64> {
    (0..types)
        .map(|k| {
            let v = values(steps, s, belief, rule, rank(k, types));
            probabilities(&v, rule.noise)[chosen].max(1e-300).ln()
        })
        .collect()
}

/// One party's escalation choice this week: its steps and what it knows
/// besides its belief (its own resolve's rank is private: the other party
/// evaluates the choice under each of its types), and the uniform draw in
/// [0, 1) from its seeded stream that picks the move.
#[derive(Debug, Clone)]
pub struct Choice {
    pub steps: Vec<Step>,
    pub situation: Situation,
    pub own_rank: f64,
    pub draw: f64,
}

/// Every party's choice at once, on the policies as they stand: party i
/// chooses under its belief `beliefs[i]` about party i + 1 (mod n). Every
/// move but a hold is sent, and the party it faces adds the move's
/// log-likelihood under each of i's types to its belief about i. A hold
/// is not read: a state reads the other's resolve from its moves, not
/// from its weeks of quiet (were every week's hold read as independent
/// evidence, a few months of mildly informative holds would pile up on
/// the low types; models/ODD.md 7.9). A party with no steps has no
/// choice and says nothing.
pub fn choose_all(choices: &[Choice], beliefs: &mut [Belief], rule: &Rule, out: &mut Outbox) {
    let n = choices.len();
    let mut observed: Vec<(PartyIx, Vec<f64>)> = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        if c.steps.is_empty() || beliefs.len() != n {
            continue;
        }
        let (s, belief) = (&c.situation, &beliefs[i]);
        let v = values(&c.steps, s, belief, rule, c.own_rank);
        let p = probabilities(&v, rule.noise);
        let chosen = pick(&p, c.draw);
        if chosen > 0 {
            let observer = (i + 1) % n;
            let types = beliefs[observer].types.len();
            observed.push((
                observer,
                log_likelihoods(&c.steps, s, belief, rule, types, chosen),
            ));
            out.send(Move::Climb {
                by: i,
                step: c.steps[chosen - 1].clone(),
                value: v[chosen],
                probability: p[chosen],
            });
        }
    }
    for (observer, l) in observed {
        beliefs[observer].observe_log_likelihoods(&l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Rule {
        Rule {
            horizon: 26.0,
            noise: 0.05,
            tau: 0.03,
        }
    }

    fn step(effect: f64, cost: f64) -> Step {
        Step {
            lever: 0,
            target: 0,
            policy: String::new(),
            from: 0.0,
            to: 0.8,
            effect,
            cost,
            stood: 0,
        }
    }

    #[test]
    fn under_the_prior_the_other_gives_in_with_its_pressure() {
        let prior = Belief::uniform(vec![0.0; 21]);
        for p in [0.1, 0.3, 0.5, 0.7, 0.9] {
            assert!((gives_in(&prior, p, 0.01) - p).abs() < 0.03, "{p}");
        }
        // continuous and rising
        let q: Vec<f64> = (0..=100)
            .map(|i| gives_in(&prior, i as f64 / 100.0, 0.03))
            .collect();
        assert!(q.windows(2).all(|w| w[1] >= w[0] && w[1] - w[0] < 0.05));
    }

    #[test]
    fn a_move_is_worth_its_gain_less_its_cost() {
        let prior = Belief::uniform(vec![0.0; 21]);
        let s = Situation {
            own_pressure: 0.5,
            other_pressure: 0.3,
            audience_cost: 0.0,
            breach: 0.0,
        };
        let v = values(
            &[step(0.2, 0.001), step(0.2, 0.1)],
            &s,
            &prior,
            &rule(),
            0.5,
        );
        assert_eq!(v[0], 0.0);
        assert!(v[1] > 0.5, "{v:?}");
        assert!(v[2] < -0.5, "{v:?}");
        // no effect on the other, no gain: a costly move is worth less than holding
        let v = values(&[step(0.0, 0.01)], &s, &prior, &rule(), 0.5);
        assert!((v[1] + 26.0 * 0.01).abs() < 1e-12);
    }

    #[test]
    fn withdrawing_costs_the_weeks_an_escalation_stood() {
        let prior = Belief::uniform(vec![0.0; 21]);
        let s = Situation {
            own_pressure: 0.2,
            other_pressure: 0.3,
            audience_cost: 0.01,
            breach: 0.0,
        };
        let down = |stood| Step {
            from: 0.8,
            to: 0.0,
            effect: -0.1,
            cost: -0.005,
            stood,
            ..step(0.0, 0.0)
        };
        let v = values(&[down(0), down(30)], &s, &prior, &rule(), 0.5);
        assert!((v[1] - v[2] - 0.3).abs() < 1e-12, "{v:?}");
    }

    #[test]
    fn with_audience_costs_a_resolved_type_escalates_more_and_is_believed_so() {
        let prior = Belief::uniform(vec![0.0; 21]);
        let s = Situation {
            own_pressure: 0.5,
            other_pressure: 0.3,
            audience_cost: 0.02,
            breach: 0.0,
        };
        let steps = [step(0.02, 0.001)];
        let p = |rank| probabilities(&values(&steps, &s, &prior, &rule(), rank), 0.05)[1];
        assert!(p(0.9) > p(0.1) + 0.1, "{} {}", p(0.9), p(0.1));
        // the other's posterior after an escalation puts more mass on high ranks
        let mut b = Belief::uniform((0..21).map(|k| k as f64 / 20.0).collect());
        let before = b.mean();
        b.observe_log_likelihoods(&log_likelihoods(&steps, &s, &prior, &rule(), 21, 1));
        assert!(b.mean() > before + 0.02, "{} {before}", b.mean());
        // without audience costs the choice says nothing of the type
        let cheap = Situation {
            audience_cost: 0.0,
            ..s
        };
        let l = log_likelihoods(&steps, &cheap, &prior, &rule(), 21, 1);
        assert!(l.iter().all(|x| (x - l[0]).abs() < 1e-12));
    }

    #[test]
    fn the_choice_is_a_logit_and_the_draw_picks_by_it() {
        let p = probabilities(&[0.0, 0.05, -0.05], 0.05);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((p[1] / p[0] - 1f64.exp()).abs() < 1e-9);
        assert_eq!(pick(&p, 0.0), 0);
        assert_eq!(pick(&p, 0.999999), 2);
        assert_eq!(pick(&p, p[0] + 1e-9), 1);
    }
}
