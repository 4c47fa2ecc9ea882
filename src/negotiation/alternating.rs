//! Alternating offers with time-dependent concession and a breakdown risk
//! after each rejection (Rubinstein 1982 with Faratin et al. 1998 tactics).

use super::*;

/// One round per tick. Each other party, in turn after the proposer of the
/// standing offer, accepts it if it is worth at least its reservation and
/// `discount` x its own next target. If all accept, it is agreed; else the
/// first to reject does so, talks break down with the configured
/// probability, or that party counter-offers. The deadline ends talks. On
/// a bilateral track this is Rubinstein's alternation.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlternatingOffers;

impl Protocol for AlternatingOffers {
    fn name(&self) -> &'static str {
        "alternating_offers"
    }

    fn step(&self, talks: &mut Talks, parties: &[SideView], draw: f64, out: &mut Outbox) {
        let n = parties.len();
        let t = talks.time();
        let proposer = match &talks.standing {
            None => talks.opener,
            Some((by, offer)) => {
                let (by, offer) = (*by, offer.clone());
                let u = utilities(parties, &talks.space, &offer);
                let rejects = |r: PartyIx| {
                    let view = &parties[r];
                    u[r] < view.reservation.max(view.discount * view.target(t))
                };
                match answer(talks, n, by, &offer, u.clone(), rejects, draw, out) {
                    Some(next) => next,
                    None => return,
                }
            }
        };
        // The offer is made to the next party in turn.
        let offer = propose(
            &talks.space,
            &parties[proposer].utility,
            &parties[(proposer + 1) % n].utility,
            parties[proposer].target(t),
        );
        put_offer(talks, parties, proposer, offer, out);
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
        AlternatingOffers.step(talks, sides, draw, &mut out);
        out.flush()
    }

    fn view(side: Side, weights: Vec<f64>, res: f64) -> SideView {
        SideView {
            utility: Utility { side, weights },
            reservation: res,
            exponent: 1.0,
            discount: 1.0,
            reputation_cost: 0.0,
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
}
