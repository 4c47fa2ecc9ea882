//! Alternating offers with a breakdown risk after each rejection
//! (Rubinstein 1982), each party offering by its own tactic: screening
//! under a belief about the other's private resolve (Fudenberg, Levine and
//! Tirole 1985; `belief`), or a time-dependent target (Faratin et al.
//! 1998: Boulware, linear, Conceder).

use super::belief::{Belief, Screening};
use super::*;

/// Points of the concession frontier a screening proposer searches.
const FRONTIER_STEPS: usize = 401;

/// Levels of a value of holding out that count the other's (1: against
/// an opponent whose own holding out ignores one's own).
const HOLD_OUT_DEPTH: u32 = 8;

/// One round per tick. Each other party, in turn after the proposer of the
/// standing offer, accepts it if it is worth at least its threshold
/// (`SideView::threshold`). If all accept, it is agreed; else the first to
/// reject does so, talks break down with the configured probability, or
/// that party counter-offers. The deadline ends talks. On a bilateral
/// track this is Rubinstein's alternation.
///
/// Every party holds a belief about the resolve of the party its offers go
/// to, over that party's public grid of types (`SideView::types`, uniform:
/// the common prior), and updates it by Bayes' rule with logit noise
/// `noise` from every answer to its offers. A screening party offers what
/// maximises its expected utility under it; a time-dependent one offers at
/// its target and keeps its belief for the transcript.
#[derive(Debug, Clone, Copy)]
pub struct AlternatingOffers {
    /// The noise tau of the quantal answers the beliefs assume, on the
    /// responder's resolve scale (a share of the most it could gain).
    pub noise: f64,
}

impl Default for AlternatingOffers {
    fn default() -> Self {
        AlternatingOffers { noise: 0.03 }
    }
}

impl AlternatingOffers {
    /// Party `j`'s screening of the party its offers go to: its utility,
    /// reservation and discount, the other's public reservation as the
    /// scale of its type, the track's walkout risk; no floor, not the last
    /// round.
    fn screening<'a>(
        &self,
        talks: &'a Talks,
        parties: &'a [SideView],
        j: PartyIx,
    ) -> Screening<'a> {
        let (me, other) = (&parties[j], &parties[(j + 1) % parties.len()]);
        Screening {
            space: &talks.space,
            me: &me.utility,
            other: &other.utility,
            reservation: me.reservation,
            tau: self.noise,
            discount: me.discount,
            shift: other.public_reservation,
            span: other.span(),
            floor: f64::NEG_INFINITY,
            last: false,
            walkout: talks.breakdown_probability,
            steps: FRONTIER_STEPS,
        }
    }

    /// Party `j`'s value of holding out (rejecting) at time t, as the
    /// others can work it out. For a party that screens: with the walkout
    /// probability p the talks end (its public reservation r), else it
    /// counter-offers, h = p r + (1 - p) delta M, M its expected utility of
    /// the best offer it would make under its belief (which comes from
    /// public answers), with r as its floor, against a responder who holds
    /// out by this rule one level down (`depth`; none at the bottom), were
    /// that offer's rejection to end the talks: a truncation of
    /// Rubinstein's recursion, whose levels keep this round's t and
    /// deadline. For a time-dependent tactic: its discount times its target
    /// at its public reservation. When `last` (its rejection would end the
    /// talks at the deadline), holding out is worth no more than no deal
    /// (Ståhl 1972's last round): none.
    ///
    /// Every party's value at once, computed bottom-up: level 0 with no
    /// floor, then each level against the other's value one level down,
    /// `HOLD_OUT_DEPTH` times, each party's frontier built once.
    fn hold_outs(&self, talks: &Talks, parties: &[SideView], t: f64, last: bool) -> Vec<f64> {
        let n = parties.len();
        if last {
            return vec![f64::NEG_INFINITY; n];
        }
        let p = talks.breakdown_probability;
        let screening = |j: PartyIx, floor: f64| Screening {
            reservation: parties[j].public_reservation,
            floor,
            ..self.screening(talks, parties, j)
        };
        let frontiers: Vec<Option<Vec<(Offer, f64, f64)>>> = (0..n)
            .map(|j| {
                parties[j]
                    .screens
                    .then(|| screening(j, f64::NEG_INFINITY).frontier())
            })
            .collect();
        // a time-dependent party holds out for its discounted target at its
        // public reservation, whatever the level
        let targets: Vec<f64> = parties
            .iter()
            .map(|me| {
                let public = SideView {
                    reservation: me.public_reservation,
                    ..me.clone()
                };
                me.discount * public.target(t)
            })
            .collect();
        let mut h = vec![f64::NEG_INFINITY; n];
        for _ in 0..=HOLD_OUT_DEPTH {
            h = (0..n)
                .map(|j| {
                    let me = &parties[j];
                    match &frontiers[j] {
                        None => targets[j],
                        Some(frontier) => {
                            let floor = h[(j + 1) % n];
                            let m = screening(j, floor).value_once(frontier, &talks.beliefs[j], 1);
                            p * me.public_reservation + (1.0 - p) * me.discount * m
                        }
                    }
                })
                .collect();
        }
        h
    }
}

impl Protocol for AlternatingOffers {
    fn name(&self) -> &'static str {
        "alternating_offers"
    }

    fn step(&self, talks: &mut Talks, parties: &[SideView], draw: f64, out: &mut Outbox) {
        let n = parties.len();
        if talks.beliefs.len() != n {
            talks.beliefs = (0..n)
                .map(|i| Belief::uniform(parties[(i + 1) % n].types.clone()))
                .collect();
        }
        let t = talks.time();
        let proposer = match &talks.standing {
            None => talks.opener,
            Some((by, offer)) => {
                let (by, offer) = (*by, offer.clone());
                let u = utilities(parties, &talks.space, &offer);
                // a rejection now is followed by a counter-offer past the deadline
                let last = talks.round >= talks.deadline_rounds;
                let hold = self.hold_outs(talks, parties, t, last);
                let thresholds: Vec<f64> =
                    (0..n).map(|j| parties[j].threshold(t, hold[j])).collect();
                let rejects = |r: PartyIx| u[r] < thresholds[r];
                // the proposer learns from the answer of the party it offered to
                let next = (by + 1) % n;
                let (other, accepted) = (&parties[next], !rejects(next));
                let seen = other.on_resolve_scale(u[next]);
                let floor = other.on_resolve_scale(hold[next]);
                talks.beliefs[by].observe_above(seen, accepted, self.noise, floor);
                let why: Vec<Why> = (0..n)
                    .map(|r| Why {
                        reservation: parties[r].reservation,
                        belief: talks.beliefs.get(r).map(|b| (b.mean(), b.sd())),
                        expected: thresholds[r],
                    })
                    .collect();
                match answer(
                    talks,
                    n,
                    by,
                    &offer,
                    u.clone(),
                    rejects,
                    |r| why[r],
                    draw,
                    out,
                ) {
                    Some(next) => next,
                    None => return,
                }
            }
        };
        // The offer is made to the next party in turn.
        let next = (proposer + 1) % n;
        let me = &parties[proposer];
        // this offer is answered next round, the last before the deadline
        let last = talks.round + 1 >= talks.deadline_rounds;
        let (offer, expected) = if me.screens {
            let best = Screening {
                floor: self.hold_outs(talks, parties, t, last)[next],
                last,
                ..self.screening(talks, parties, proposer)
            }
            .best(&talks.beliefs[proposer]);
            (best.offer, best.expected)
        } else {
            let offer = propose(
                &talks.space,
                &me.utility,
                &parties[next].utility,
                me.target(t),
            );
            let mine = me.utility.value(&talks.space, &offer);
            (offer, mine)
        };
        let belief = &talks.beliefs[proposer];
        let why = Why {
            reservation: me.reservation,
            belief: Some((belief.mean(), belief.sd())),
            expected,
        };
        put_offer(talks, parties, proposer, offer, why, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::space;
    use super::*;

    fn talks(p_break: f64) -> Talks {
        Talks {
            space: space(),
            opened_at: 0,
            opener: Side::Consumer.ix(),
            round: 0,
            deadline_rounds: 20,
            breakdown_probability: p_break,
            standing: None,
            beliefs: Vec::new(),
        }
    }

    /// One round's moves.
    fn round(talks: &mut Talks, sides: &[SideView], draw: f64) -> Vec<Move> {
        let mut out = Outbox::default();
        AlternatingOffers::default().step(talks, sides, draw, &mut out);
        out.flush()
    }

    fn view(side: Side, weights: Vec<f64>, res: f64) -> SideView {
        SideView {
            reputation_cost: 0.0,
            ..super::super::tests::party(side, weights, res)
        }
    }

    #[test]
    fn overlapping_interests_reach_agreement_before_the_deadline() {
        let sides = [
            view(Side::Consumer, vec![1.0, 0.05, 1.0, 0.5], 0.4),
            view(Side::Supplier, vec![1.0, 0.3, 0.3, 0.1], 0.3),
        ];
        let mut t = talks(0.0);
        let mut agreed = None;
        for _ in 0..30 {
            for m in round(&mut t, &sides, 0.5) {
                if let Move::Accept {
                    offer, utilities, ..
                } = m
                {
                    agreed = Some((offer, utilities));
                }
            }
            if agreed.is_some() {
                break;
            }
        }
        let (_, u) = agreed.expect("an agreement");
        assert!(u[0] >= 0.4 && u[1] >= 0.3, "{u:?}");
        assert!(t.round <= 21);
    }

    #[test]
    fn no_zone_of_agreement_ends_at_the_deadline() {
        // equal weights make the game constant-sum (U_c + U_s = 1): both cannot reach 0.9
        let sides = [
            view(Side::Consumer, vec![1.0; 4], 0.9),
            view(Side::Supplier, vec![1.0; 4], 0.9),
        ];
        let mut t = talks(0.0);
        let mut last = vec![];
        for _ in 0..25 {
            last = round(&mut t, &sides, 0.5);
            if last
                .iter()
                .any(|m| matches!(m, Move::Breakdown { .. } | Move::Accept { .. }))
            {
                break;
            }
        }
        assert!(
            last.contains(&Move::Breakdown {
                reason: BreakdownReason::Deadline
            }),
            "{last:?}"
        );
    }

    #[test]
    fn a_rejection_breaks_down_when_the_draw_is_below_the_probability() {
        let sides = [
            view(Side::Consumer, vec![1.0; 4], 0.9),
            view(Side::Supplier, vec![1.0; 4], 0.9),
        ];
        let mut t = talks(0.5);
        round(&mut t, &sides, 0.1); // opening offer
        let moves = round(&mut t, &sides, 0.1);
        assert!(matches!(
            moves.as_slice(),
            [
                Move::Reject { .. },
                Move::Breakdown {
                    reason: BreakdownReason::Walkout
                }
            ]
        ));
        let mut t = talks(0.5);
        round(&mut t, &sides, 0.9);
        let moves = round(&mut t, &sides, 0.9);
        assert!(matches!(
            moves.as_slice(),
            [Move::Reject { .. }, Move::Offer { .. }]
        ));
    }

    /// A screening party that discounts a round of delay by 0.95, whose
    /// resolve may be any of 21 types in [0, 1] and whose public
    /// reservation is 0.
    fn screener(side: Side, weights: Vec<f64>, reservation: f64) -> SideView {
        SideView {
            discount: 0.95,
            screens: true,
            types: Belief::grid(0.0, 1.0, 21).types,
            public_reservation: 0.0,
            ..super::super::tests::party(side, weights, reservation)
        }
    }

    /// Rounds to agreement and the supplier's utility of the agreed terms,
    /// when its reservation is `r`.
    fn talks_with(r: f64) -> Option<(u32, f64)> {
        let parties = [
            screener(Side::Consumer, vec![1.0, 0.05, 1.0, 0.5], 0.1),
            screener(Side::Supplier, vec![1.0, 0.3, 1.0, 0.4], r),
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
        let protocol = AlternatingOffers { noise: 0.03 };
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
