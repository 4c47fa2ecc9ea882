//! Alternating offers with time-dependent concession and a breakdown risk
//! after each rejection (Rubinstein 1982 with Faratin et al. 1998 tactics).

use super::*;

/// One round per tick: the responder to the standing offer accepts it if it
/// is worth at least its reservation and `discount` x its own next target;
/// otherwise it rejects, talks break down with the configured probability,
/// or it counter-offers. The deadline ends talks.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlternatingOffers;

impl Protocol for AlternatingOffers {
    fn name(&self) -> &'static str {
        "alternating_offers"
    }

    fn round(&self, talks: &mut Talks, sides: &[SideView; 2], draw: f64) -> Vec<Move> {
        let mut moves = Vec::new();
        let t = talks.time();
        let utilities = |offer: &Offer| {
            [
                sides[0].utility.value(&talks.space, offer),
                sides[1].utility.value(&talks.space, offer),
            ]
        };
        let proposer = match &talks.standing {
            None => talks.opener,
            Some((by, offer)) => {
                let responder = by.other();
                let view = &sides[responder.ix()];
                let u = utilities(offer);
                let own_target = view.target(t);
                if u[responder.ix()] >= view.reservation.max(view.discount * own_target) {
                    moves.push(Move::Accept {
                        by: responder,
                        offer: offer.clone(),
                        utilities: u,
                    });
                    talks.round += 1;
                    return moves;
                }
                moves.push(Move::Reject {
                    by: responder,
                    utilities: u,
                });
                if draw < talks.breakdown_probability {
                    moves.push(Move::Breakdown {
                        reason: BreakdownReason::Walkout,
                    });
                    talks.round += 1;
                    return moves;
                }
                responder
            }
        };
        let view = &sides[proposer.ix()];
        let offer = propose(
            &talks.space,
            &view.utility,
            &sides[proposer.other().ix()].utility,
            view.target(t),
        );
        moves.push(Move::Offer {
            by: proposer,
            offer: offer.clone(),
            utilities: utilities(&offer),
        });
        talks.standing = Some((proposer, offer));
        talks.round += 1;
        if talks.round > talks.deadline_rounds {
            moves.push(Move::Breakdown {
                reason: BreakdownReason::Deadline,
            });
        }
        moves
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
            opener: Side::Consumer,
            round: 0,
            deadline_rounds: 20,
            breakdown_probability: p_break,
            standing: None,
        }
    }

    fn view(side: Side, weights: Vec<f64>, res: f64) -> SideView {
        SideView {
            utility: Utility { side, weights },
            reservation: res,
            exponent: 1.0,
            discount: 1.0,
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
            for m in AlternatingOffers.round(&mut t, &sides, 0.5) {
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
            last = AlternatingOffers.round(&mut t, &sides, 0.5);
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
        AlternatingOffers.round(&mut t, &sides, 0.1); // opening offer
        let moves = AlternatingOffers.round(&mut t, &sides, 0.1);
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
        AlternatingOffers.round(&mut t, &sides, 0.9);
        let moves = AlternatingOffers.round(&mut t, &sides, 0.9);
        assert!(matches!(
            moves.as_slice(),
            [Move::Reject { .. }, Move::Offer { .. }]
        ));
    }
}
