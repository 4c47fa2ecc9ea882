//! Screening offers: alternating offers under private information. A
//! party's reservation (its no-deal utility) is its own; the proposer holds
//! a belief over the reservation of the party its offers go to (`types`
//! evenly spaced values in [0, 1], uniform at opening), updates it by
//! Bayes' rule from every response with logit noise `noise`
//! (`belief::Belief::observe`), and offers what maximises its expected
//! utility under it (`belief::Screening::best`, Fudenberg, Levine and
//! Tirole 1985). Responders accept what is worth at least their
//! reservation. Delay comes from screening: a tough responder rejects, the
//! belief moves towards tough types, and the next offer improves.
//! Experimental: no scenario uses it yet (issue 13 carries it forward).

use super::belief::{Belief, Screening};
use super::*;

/// Points of the concession frontier a proposer searches.
const FRONTIER_STEPS: usize = 101;

#[derive(Debug, Clone, Copy)]
pub struct ScreeningOffers {
    pub noise: f64,
    pub types: u32,
}

impl Protocol for ScreeningOffers {
    fn name(&self) -> &'static str {
        "screening_offers"
    }

    fn step(&self, talks: &mut Talks, parties: &[SideView], draw: f64, out: &mut Outbox) {
        let n = parties.len();
        if talks.beliefs.len() != n {
            talks.beliefs = (0..n)
                .map(|_| Belief::grid(0.0, 1.0, self.types as usize))
                .collect();
        }
        let proposer = match &talks.standing {
            None => talks.opener,
            Some((by, offer)) => {
                let (by, offer) = (*by, offer.clone());
                let u = utilities(parties, &talks.space, &offer);
                let rejects = |r: PartyIx| u[r] < parties[r].reservation;
                // the proposer learns from the response of the party it offered to
                let next = (by + 1) % n;
                talks.beliefs[by].observe(u[next], !rejects(next), self.noise);
                match answer(talks, n, by, &offer, u.clone(), rejects, draw, out) {
                    Some(next) => next,
                    None => return,
                }
            }
        };
        let next = (proposer + 1) % n;
        let best = Screening {
            space: &talks.space,
            me: &parties[proposer].utility,
            other: &parties[next].utility,
            reservation: parties[proposer].reservation,
            tau: self.noise,
            discount: parties[proposer].discount,
            steps: FRONTIER_STEPS,
        }
        .best(&talks.beliefs[proposer]);
        put_offer(talks, parties, proposer, best.offer, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::space;
    use super::*;

    /// A party that discounts a round of delay by 0.95.
    fn party(side: Side, weights: Vec<f64>, reservation: f64) -> SideView {
        SideView {
            discount: 0.95,
            ..super::super::tests::party(side, weights, reservation)
        }
    }

    /// Rounds to agreement and the supplier's utility of the agreed terms,
    /// when its reservation is `r`.
    fn talks_with(r: f64) -> Option<(u32, f64)> {
        let parties = [
            party(Side::Consumer, vec![1.0, 0.05, 1.0, 0.5], 0.1),
            party(Side::Supplier, vec![1.0, 0.3, 1.0, 0.4], r),
        ];
        let mut talks = Talks {
            space: space(),
            opened_at: 0,
            opener: 0,
            round: 0,
            deadline_rounds: 40,
            breakdown_probability: 0.0,
            standing: None,
            beliefs: Vec::new(),
        };
        let protocol = ScreeningOffers {
            noise: 0.03,
            types: 21,
        };
        let mut out = Outbox::default();
        for _ in 0..=talks.deadline_rounds {
            protocol.step(&mut talks, &parties, 0.5, &mut out);
            for m in out.flush() {
                match m {
                    Move::Agreement { utilities, .. } => return Some((talks.round, utilities[1])),
                    Move::Breakdown { .. } => return None,
                    _ => {}
                }
            }
        }
        None
    }

    /// Screening (Fudenberg, Levine and Tirole 1985): a tougher responder
    /// (a higher private reservation) agrees no sooner and gets terms at
    /// least as good (to the search's resolution): types below the first
    /// offer pool on it, tougher ones reject and get more. Every responder
    /// gets at least its reservation.
    #[test]
    fn a_tougher_responder_gets_more_and_no_sooner() {
        let mut seen: Vec<(u32, f64)> = Vec::new();
        for r in [0.15, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7] {
            let (round, u) = talks_with(r).unwrap_or_else(|| panic!("no agreement at r = {r}"));
            assert!(u >= r, "r = {r}: agreed at {u}");
            if let Some(&(last_round, last_u)) = seen.last() {
                // within the frontier search's resolution (0.01 per step)
                assert!(u >= last_u - 0.03, "r = {r}: {u} after {last_u}");
                assert!(
                    round >= last_round,
                    "r = {r}: round {round} after {last_round}"
                );
            }
            seen.push((round, u));
        }
        let (first, last) = (seen[0], seen[seen.len() - 1]);
        assert!(last.1 > first.1 + 0.1 && last.0 > first.0, "{seen:?}");
    }

    /// The terms are continuous in the responder's reservation: a small
    /// change in it moves the agreed utility by little.
    #[test]
    fn terms_move_little_with_a_small_change_in_resolve() {
        let (_, a) = talks_with(0.40).expect("agreement");
        let (_, b) = talks_with(0.41).expect("agreement");
        assert!((a - b).abs() < 0.1, "{a} vs {b}");
    }
}
