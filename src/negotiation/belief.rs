//! Beliefs over an opponent's private type, and the screening proposer.
//!
//! A type is the responder's private resolve theta in [0, 1]: the share
//! of the most it could gain over no deal that it insists on, so that its
//! reservation (the utility below which it rejects) is
//! r_pub + theta (1 - r_pub), r_pub its public no-deal utility. Here r
//! stands for theta and U for the offer's utility on the same scale,
//! (U - r_pub) / (1 - r_pub) (`Screening::shift` and `span`), and the
//! noise tau is on that scale too (a share of the most the responder could
//! gain), so that it means the same whatever the weights. The proposer holds a discrete distribution over a grid of K
//! types. Responses
//! are quantal (McKelvey and Palfrey 1995): type r accepts an offer worth
//! U to it with probability
//!
//! ```text
//! P(accept | r) = 1 / (1 + exp(-(U - r) / tau))
//! ```
//!
//! so that no response has probability 0 and Bayes' rule is always defined.
//! The belief is kept as log-probabilities: log-likelihoods are added, the
//! maximum is subtracted before normalising, and every type keeps at least
//! [`FLOOR`] of the mass, so that no posterior becomes 0/0 however extreme
//! the utilities.
//!
//! The screening proposer (Fudenberg, Levine and Tirole 1985; Powell 2002)
//! picks, among the offers on its concession frontier, the one that
//! maximises its expected utility under its belief:
//!
//! ```text
//! sum_k pi(r_k) [ P(accept x | r_k) U_i(x) + (1 - P(accept x | r_k)) V_i(x) ]
//! V_i(x) = p r_i + (1 - p) delta max(r_i, M_i(pi | reject x))
//! ```
//!
//! where V_i(x) is the value of a rejection: with the walkout probability
//! p no deal, else, a round later, the better of no deal and M_i, the
//! expected utility of the best offer it could make under the posterior
//! that rejection leaves were that offer's rejection to end the talks (one
//! step of look-ahead; `Screening::best`). V_i depends on the offer
//! (through the posterior a rejection of it leaves) and on the types. At
//! the deadline's offer V_i = r_i.
//!
//! The responder may also hold out (`Screening::floor`): it rejects what is
//! worth less than its value of holding out whatever its type, and the
//! likelihood counts that (`Belief::observe_above`). It does not reject to
//! look tough, which a forward-looking responder in Fudenberg, Levine and
//! Tirole could.
//!
//! `AlternatingOffers` uses them for a party whose concession is
//! `Screening`; a party with a time-dependent tactic offers at its target
//! and accepts at max(r, discount x target(t)), which the others take as
//! its floor at its public reservation.

use super::{IssueSpace, Offer, Utility, propose};

/// The least mass any type keeps after an update.
pub const FLOOR: f64 = 1e-9;

/// ln(1 + e^z), without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// ln P(accept | r) and ln P(reject | r) for an offer worth `u` to the
/// responder, with noise `tau` (> 0).
pub fn log_response(u: f64, r: f64, tau: f64) -> (f64, f64) {
    let z = (u - r) / tau.max(f64::MIN_POSITIVE);
    let z = if z.is_nan() { 0.0 } else { z };
    (-softplus(-z), -softplus(z))
}

/// P(accept | r).
pub fn p_accept(u: f64, r: f64, tau: f64) -> f64 {
    let z = (u - r) / tau.max(f64::MIN_POSITIVE);
    if z.is_nan() {
        0.5
    } else if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// A belief over a grid of types: log-probabilities, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Belief {
    pub types: Vec<f64>,
    log: Vec<f64>,
}

impl Belief {
    /// Equal mass on each of `types`.
    pub fn uniform(types: Vec<f64>) -> Belief {
        let log = vec![-(types.len() as f64).ln(); types.len()];
        Belief { types, log }
    }

    /// `k` types evenly spaced over [lo, hi], equal mass.
    pub fn grid(lo: f64, hi: f64, k: usize) -> Belief {
        let k = k.max(1);
        let step = if k > 1 {
            (hi - lo) / (k - 1) as f64
        } else {
            0.0
        };
        Belief::uniform((0..k).map(|i| lo + step * i as f64).collect())
    }

    /// All mass on one type.
    pub fn point(r: f64) -> Belief {
        Belief::uniform(vec![r])
    }

    pub fn probabilities(&self) -> Vec<f64> {
        self.log.iter().map(|l| l.exp()).collect()
    }

    pub fn mean(&self) -> f64 {
        self.types
            .iter()
            .zip(self.probabilities())
            .map(|(t, p)| t * p)
            .sum()
    }

    pub fn sd(&self) -> f64 {
        let m = self.mean();
        let var: f64 = self
            .types
            .iter()
            .zip(self.probabilities())
            .map(|(t, p)| p * (t - m).powi(2))
            .sum();
        var.max(0.0).sqrt()
    }

    /// Mass on the types within `width` of `r`.
    pub fn mass_near(&self, r: f64, width: f64) -> f64 {
        self.types
            .iter()
            .zip(self.probabilities())
            .filter(|(t, _)| (*t - r).abs() <= width)
            .map(|(_, p)| p)
            .sum()
    }

    /// The posterior after the responder accepted (or rejected) an offer
    /// worth `u` to it.
    pub fn observe(&mut self, u: f64, accepted: bool, tau: f64) {
        self.observe_above(u, accepted, tau, f64::NEG_INFINITY);
    }

    /// The same, for a responder that also rejects what is worth less than
    /// `floor` to it whatever its type (its value of holding out, on the
    /// types' scale): type r answers as type max(r, floor) would, so an
    /// answer says nothing of the types below the floor.
    pub fn observe_above(&mut self, u: f64, accepted: bool, tau: f64, floor: f64) {
        for (l, &r) in self.log.iter_mut().zip(&self.types) {
            let (a, rej) = log_response(u, r.max(floor), tau);
            *l += if accepted { a } else { rej };
        }
        self.normalise();
    }

    /// The posterior after an observation whose log-likelihood under each
    /// type is `log_likelihoods[k]` (a choice's logit probability, say).
    pub fn observe_log_likelihoods(&mut self, log_likelihoods: &[f64]) {
        for (l, x) in self.log.iter_mut().zip(log_likelihoods) {
            *l += x;
        }
        self.normalise();
    }

    /// The posterior it would be, leaving this one as it is.
    pub fn after(&self, u: f64, accepted: bool, tau: f64) -> Belief {
        self.after_above(u, accepted, tau, f64::NEG_INFINITY)
    }

    /// `observe_above`'s posterior, leaving this one as it is.
    pub fn after_above(&self, u: f64, accepted: bool, tau: f64, floor: f64) -> Belief {
        let mut b = self.clone();
        b.observe_above(u, accepted, tau, floor);
        b
    }

    /// Subtracts the maximum, normalises, and lifts every type to `FLOOR`.
    fn normalise(&mut self) {
        let max = self.log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let max = if max.is_finite() { max } else { 0.0 };
        for l in &mut self.log {
            *l = if l.is_finite() {
                *l - max
            } else {
                f64::NEG_INFINITY
            };
        }
        let floor = FLOOR.ln();
        for _ in 0..2 {
            let total = self.log.iter().map(|l| l.exp()).sum::<f64>().ln();
            for l in &mut self.log {
                *l = (*l - total).max(floor);
            }
        }
    }
}

/// The proposer's side of a screening round: its utility and reservation,
/// the responder's utility (its weights are known; its reservation is the
/// private type), the noise and the proposer's discount.
#[derive(Debug, Clone)]
pub struct Screening<'a> {
    pub space: &'a IssueSpace,
    pub me: &'a Utility,
    pub other: &'a Utility,
    /// The proposer's no-deal utility.
    pub reservation: f64,
    /// The answers' noise, on the responder's resolve scale.
    pub tau: f64,
    pub discount: f64,
    /// The responder's public reservation r_pub and 1 - r_pub: an offer
    /// worth U to it is worth (U - shift) / span on its type's scale.
    pub shift: f64,
    pub span: f64,
    /// The responder's value of holding out (it rejects what is worth less
    /// whatever its type), in utility; `f64::NEG_INFINITY` for none.
    pub floor: f64,
    /// Whether a rejection ends the talks (the deadline): it is then worth
    /// the proposer's reservation, with no look-ahead.
    pub last: bool,
    /// The probability that talks break down after a rejection.
    pub walkout: f64,
    /// Points of the frontier searched, from the proposer's ideal to its
    /// reservation.
    pub steps: usize,
}

/// An offer with its utility to each side and its expected utility to the
/// proposer.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub offer: Offer,
    pub mine: f64,
    pub theirs: f64,
    pub expected: f64,
}

impl Screening<'_> {
    /// An offer worth `u` to the responder, on its type's scale.
    pub fn seen(&self, u: f64) -> f64 {
        (u - self.shift) / self.span
    }

    /// The offers searched: the concession frontier (`propose` at each of
    /// `steps` targets evenly spaced from 1 down to 0, the same grid
    /// whatever the reservation), those worth the proposer's reservation.
    pub(crate) fn frontier(&self) -> Vec<(Offer, f64, f64)> {
        let n = self.steps.max(2);
        (0..n)
            .map(|i| {
                let target = 1.0 - i as f64 / (n - 1) as f64;
                let offer = propose(self.space, self.me, self.other, target);
                let (mine, theirs) = (
                    self.me.value(self.space, &offer),
                    self.other.value(self.space, &offer),
                );
                (offer, mine, theirs)
            })
            .enumerate()
            .filter(|(i, (_, mine, _))| *i == 0 || *mine >= self.reservation)
            .map(|(_, x)| x)
            .collect()
    }

    /// Each type of `belief` as the responder answers (at least the floor),
    /// with its probability.
    fn mass(&self, belief: &Belief) -> Vec<(f64, f64)> {
        let floor = self.seen(self.floor);
        belief
            .types
            .iter()
            .zip(belief.probabilities())
            .map(|(&r, p)| (r.max(floor), p))
            .collect()
    }

    /// Expected utility of offering (mine, theirs) to the types `mass`
    /// (`Screening::mass`), when a rejection is worth `on_reject` (a value
    /// as of now: any discount is in it).
    fn expected(&self, mine: f64, theirs: f64, mass: &[(f64, f64)], on_reject: f64) -> f64 {
        let (u, tau) = (self.seen(theirs), self.tau);
        mass.iter()
            .map(|&(r, p)| {
                let a = p_accept(u, r, tau);
                p * (a * mine + (1.0 - a) * on_reject)
            })
            .sum()
    }

    /// The proposer's expected utility of its best offer under `belief`
    /// were a rejection to end the talks (no deal), at least its
    /// reservation, searching every `stride`-th point of the frontier.
    pub(crate) fn value_once(
        &self,
        frontier: &[(Offer, f64, f64)],
        belief: &Belief,
        stride: usize,
    ) -> f64 {
        let mass = self.mass(belief);
        frontier
            .iter()
            .step_by(stride.max(1))
            .map(|(_, mine, theirs)| self.expected(*mine, *theirs, &mass, self.reservation))
            .fold(self.reservation, f64::max)
    }

    /// The best offer under `belief`. A rejection of offer x is worth
    ///
    /// ```text
    /// V(x) = p r + (1 - p) delta max(r, M(posterior after a rejection of x))
    /// ```
    ///
    /// with p the walkout probability, r the proposer's reservation and M
    /// the expected utility of the best offer it could make under that
    /// posterior were its rejection to end the talks (`value_once`, over
    /// about 100 points of the frontier): after a rejection the talks go on
    /// with probability 1 - p, and a round later the proposer can hold out
    /// for that much. V depends on the offer through the posterior its
    /// rejection leaves. When `last`, V = r. The search is coarse to fine:
    /// about 100 points of the frontier, then every point within one stride
    /// of the best of them. Costs about 100 x 100 x types evaluations.
    pub fn best(&self, belief: &Belief) -> Screened {
        let frontier = self.frontier();
        let stride = (frontier.len() / 100).max(1);
        let on_reject = |b: &Belief| -> f64 {
            if self.last {
                return self.reservation;
            }
            let later = self.value_once(&frontier, b, stride).max(self.reservation);
            self.walkout * self.reservation + (1.0 - self.walkout) * self.discount * later
        };
        let now = self.mass(belief);
        let value = |i: usize| -> f64 {
            let (_, mine, theirs) = &frontier[i];
            let v = on_reject(&belief.after_above(
                self.seen(*theirs),
                false,
                self.tau,
                self.seen(self.floor),
            ));
            self.expected(*mine, *theirs, &now, v)
        };
        // coarse to fine: every `stride`-th point, then every point within
        // a stride of the best of those (the first best on a tie)
        let mut top: Option<(usize, f64)> = None;
        let consider = |i: usize, top: &mut Option<(usize, f64)>| {
            let e = value(i);
            if top.is_none_or(|(j, b)| e > b || (e == b && i < j)) {
                *top = Some((i, e));
            }
        };
        for i in (0..frontier.len()).step_by(stride) {
            consider(i, &mut top);
        }
        let (coarse, _) = top.expect("the frontier has at least two offers");
        let around = coarse.saturating_sub(stride)..(coarse + stride + 1).min(frontier.len());
        for i in around.filter(|i| i % stride != 0) {
            consider(i, &mut top);
        }
        let (i, expected) = top.expect("the frontier has at least two offers");
        let (offer, mine, theirs) = &frontier[i];
        Screened {
            offer: offer.clone(),
            mine: *mine,
            theirs: *theirs,
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Side;
    use super::super::tests::space;
    use super::*;

    fn consumer() -> Utility {
        Utility {
            side: Side::Consumer,
            weights: vec![1.0, 0.05, 1.0, 0.5],
        }
    }

    fn supplier() -> Utility {
        Utility {
            side: Side::Supplier,
            weights: vec![1.0, 0.3, 1.0, 0.4],
        }
    }

    /// A proposer with reservation 0, discount 0.95 and vanishing noise,
    /// facing a responder whose type is its whole reservation (no public
    /// part, no floor), searching 201 points, with no walkout.
    fn screening<'a>(s: &'a IssueSpace, me: &'a Utility, other: &'a Utility) -> Screening<'a> {
        Screening {
            space: s,
            me,
            other,
            reservation: 0.0,
            tau: 1e-6,
            discount: 0.95,
            shift: 0.0,
            span: 1.0,
            floor: f64::NEG_INFINITY,
            last: false,
            walkout: 0.0,
            steps: 201,
        }
    }

    /// Bayes with quantal responses: responses drawn from a true type to
    /// offers spread over the type range concentrate the belief on it.
    #[test]
    fn responses_from_a_true_type_concentrate_the_belief_on_it() {
        use rand::{RngExt, SeedableRng};
        for (seed, truth) in [(1u64, 0.35), (2, 0.6), (3, 0.8)] {
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
            let mut b = Belief::grid(0.0, 1.0, 21);
            let tau = 0.02;
            let responses = 60;
            for _ in 0..responses {
                let u: f64 = rng.random_range(0.0..1.0);
                let accepted = rng.random_range(0.0..1.0) < p_accept(u, truth, tau);
                b.observe(u, accepted, tau);
            }
            let near = b.mass_near(truth, 0.05 + 1e-9);
            assert!(
                near > 0.9,
                "type {truth}: {near} of the mass within 0.05 after {responses} responses"
            );
            assert!((b.mean() - truth).abs() < 0.05, "{} vs {truth}", b.mean());
        }
    }

    /// The update stays finite (and normalised, with every type at least at
    /// the floor) for utilities far past the logistic's range and vanishing
    /// noise.
    #[test]
    fn the_update_is_finite_for_extreme_utilities() {
        let mut b = Belief::grid(0.0, 1.0, 11);
        for (u, accepted, tau) in [
            (1e300, false, 1e-12),
            (-1e300, true, 1e-12),
            (f64::MAX, false, f64::MIN_POSITIVE),
            (0.5, true, 0.0),
            (f64::INFINITY, false, 1e-9),
            (f64::NEG_INFINITY, true, 1e-9),
        ] {
            b.observe(u, accepted, tau);
            let p = b.probabilities();
            assert!(
                p.iter().all(|x| x.is_finite() && *x >= FLOOR * 0.999),
                "{p:?}"
            );
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
            assert!(b.mean().is_finite() && b.sd().is_finite());
        }
    }

    /// With a point belief and vanishing noise, the screening proposer
    /// offers the responder exactly its reservation value (to the search's
    /// resolution), and the responder, accepting when U >= r, agrees at once.
    #[test]
    fn a_point_belief_offers_the_reservation_and_agrees_at_once() {
        let (s, me, other) = (space(), consumer(), supplier());
        for r in [0.2, 0.45, 0.7] {
            let screening = Screening {
                steps: 1001,
                ..screening(&s, &me, &other)
            };
            let best = screening.best(&Belief::point(r));
            assert!(best.theirs >= r, "{} below {r}: rejected", best.theirs);
            assert!(
                best.theirs - r < 2e-3,
                "{} gives more than {r}",
                best.theirs
            );
        }
    }

    /// Under uncertainty the proposer trades the chance of acceptance
    /// against what it keeps: it offers less than the toughest type needs,
    /// and a belief moved towards tough types (after a rejection) makes it
    /// offer more.
    #[test]
    fn a_rejection_moves_the_belief_and_improves_the_next_offer() {
        let (s, me, other) = (space(), consumer(), supplier());
        let screening = Screening {
            reservation: 0.2,
            tau: 0.02,
            ..screening(&s, &me, &other)
        };
        let prior = Belief::grid(0.1, 0.9, 17);
        let first = screening.best(&prior);
        let most = other.value(&s, &propose(&s, &me, &other, screening.reservation));
        assert!(
            first.theirs < most - 0.05,
            "{} of at most {most}",
            first.theirs
        );
        let posterior = prior.after(first.theirs, false, screening.tau);
        assert!(posterior.mean() > prior.mean());
        let second = screening.best(&posterior);
        assert!(
            second.theirs > first.theirs,
            "{} then {}",
            first.theirs,
            second.theirs
        );
    }

    /// A responder whose value of holding out is above every type's
    /// threshold rejects whatever its type: its answer leaves the belief as
    /// it was. Below the floor, the answer is evidence as without one.
    #[test]
    fn an_answer_below_the_floor_says_nothing_of_the_type() {
        let prior = Belief::grid(0.0, 0.5, 11);
        let after = prior.after_above(0.3, false, 0.02, 0.9);
        for (a, b) in prior.probabilities().iter().zip(after.probabilities()) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        let informed = prior.after_above(0.3, false, 0.02, f64::NEG_INFINITY);
        assert!(informed.mean() > prior.mean() + 0.05);
    }

    /// At the deadline's offer a rejection is worth the proposer's
    /// reservation, undiscounted: a proposer facing a responder that
    /// rejects anything it could offer expects exactly its reservation,
    /// whatever its discount.
    #[test]
    fn at_the_deadline_a_rejection_is_worth_the_reservation() {
        let (s, me, other) = (space(), consumer(), supplier());
        for discount in [0.5, 0.9, 1.0] {
            let screening = Screening {
                reservation: 0.5,
                discount,
                last: true,
                ..screening(&s, &me, &other)
            };
            let best = screening.best(&Belief::point(1.5));
            assert!((best.expected - 0.5).abs() < 1e-9, "{discount}: {best:?}");
        }
    }
}
