//! Negotiation: issue spaces, utilities, concession and protocols. The
//! protocols and utilities do not touch the world (an issue's name and unit
//! come from its lever, `crate::levers`); the negotiation system builds
//! their inputs from the world and applies their moves. Utilities are
//! two-sided: an issue is given by the consumer or by the supplier, so a
//! party beyond two takes one of those sides.
//!
//! An offer gives each issue a concession level x in [0, 1]: 0 is the
//! giver's status quo, 1 the most the giver can concede (relief 1 lifts the
//! whole restriction; approval 1 approves every civilian application).

mod alternating;
pub mod belief;
pub mod escalation;

pub use alternating::AlternatingOffers;

/// The two sides of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Consumer = 0,
    Supplier = 1,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Consumer => Side::Supplier,
            Side::Supplier => Side::Consumer,
        }
    }
    pub fn ix(self) -> usize {
        self as usize
    }
    pub fn label(self) -> &'static str {
        match self {
            Side::Consumer => "consumer",
            Side::Supplier => "supplier",
        }
    }
}

/// One negotiable issue: a lever (`crate::levers`) and, for a lever with
/// several issues on the table, which one (`target`: the restriction's id
/// for relief).
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub lever: crate::levers::LeverIx,
    pub target: u32,
    /// What the lever's name shows of the target (relief: the sector).
    pub label: String,
    /// Who concedes on it.
    pub giver: Side,
    /// Takes only 0 or 1.
    pub binary: bool,
    /// Status-quo value and most-conceded value, in the issue's own unit.
    pub low: f64,
    pub high: f64,
}

impl Issue {
    pub fn name(&self) -> String {
        crate::levers::of(self).name(self)
    }
    /// The unit of the issue's value: a restriction's level lifted (0..1),
    /// an approval probability, licence weeks, or a 0/1 flag.
    pub fn unit(&self) -> &'static str {
        crate::levers::of(self).unit()
    }
    /// The issue's value at concession level x.
    pub fn value(&self, x: f64) -> f64 {
        self.low + x * (self.high - self.low)
    }
    /// Whether `other` is the same issue (the same lever and target).
    pub fn same(&self, other: &Issue) -> bool {
        self.lever == other.lever && self.target == other.target
    }
}

/// The issues of a track, fixed when talks open.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IssueSpace {
    pub issues: Vec<Issue>,
}

/// Concession level per issue, each in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Offer(pub Vec<f64>);

impl Offer {
    /// `name=value;...` in the issues' own units, for the transcript.
    pub fn describe(&self, space: &IssueSpace) -> String {
        packed(&self.terms(space))
    }

    /// The offer's value on each issue, with its unit.
    pub fn terms(&self, space: &IssueSpace) -> Vec<Term> {
        space
            .issues
            .iter()
            .zip(&self.0)
            .map(|(issue, &x)| Term {
                issue: issue.name(),
                value: issue.value(x),
                unit: issue.unit(),
            })
            .collect()
    }
}

/// One issue of a move's terms: its name, its value and the value's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub issue: String,
    pub value: f64,
    pub unit: &'static str,
}

/// Terms in one string, as `transcript.csv` writes them:
/// `issue=value;...`, values to three decimals.
pub fn packed(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| format!("{}={:.3}", t.issue, t.value))
        .collect::<Vec<_>>()
        .join(";")
}

/// A side's linear additive utility over a space, normalised to [0, 1]:
/// U(x) = sum_i w_i (x_i if the side receives issue i else 1 - x_i) / sum_i w_i.
#[derive(Debug, Clone, PartialEq)]
pub struct Utility {
    pub side: Side,
    pub weights: Vec<f64>,
}

impl Utility {
    pub fn value(&self, space: &IssueSpace, offer: &Offer) -> f64 {
        let total: f64 = self.weights.iter().sum();
        if total <= 0.0 {
            return 0.0;
        }
        let mut u = 0.0;
        for ((issue, &w), &x) in space.issues.iter().zip(&self.weights).zip(&offer.0) {
            u += if issue.giver == self.side {
                w * (1.0 - x)
            } else {
                w * x
            };
        }
        (u / total).clamp(0.0, 1.0)
    }
}

/// A party's place among its track's parties. On a bilateral track 0 is
/// the consumer and 1 the supplier (`Side::ix`).
pub type PartyIx = usize;

/// Everything a protocol needs to know about one party this round. What
/// is private to the party is marked: a protocol shows another party only
/// the public fields (its utility weights, its public reservation and the
/// support of its resolve).
#[derive(Debug, Clone)]
pub struct SideView {
    pub utility: Utility,
    /// Utility of no deal as the others can work it out: the status quo
    /// with the party's outside options, valued with its public weights.
    pub public_reservation: f64,
    /// Private: the party's reservation, r_pub + theta (1 - r_pub), its
    /// public reservation r_pub raised by its resolve theta (its type, in
    /// [0, 1]: the share of the most it could gain over no deal that it
    /// insists on).
    pub reservation: f64,
    /// The types the party's resolve may take, with equal prior mass (the
    /// scenario's distribution of it, at evenly spaced quantiles): public,
    /// the support of the others' belief about it.
    pub types: Vec<f64>,
    /// Whether the party offers by screening (`Concession::Screening`)
    /// rather than at its time-dependent target.
    pub screens: bool,
    /// Concession exponent e (Boulware < 1 < Conceder) of a time-dependent tactic.
    pub exponent: f64,
    /// Weekly discount factor: the side accepts an offer worth at least
    /// `discount` times what it would ask next.
    pub discount: f64,
    /// Utility a party gives up by defecting from an agreement in force
    /// (its reputation); it defects when no deal is worth more than the
    /// agreement by more than this.
    pub reputation_cost: f64,
}

impl SideView {
    /// Time-dependent target (Faratin et al. 1998):
    /// u(t) = 1 - (1 - u_res) t^(1/e), t in [0, 1].
    pub fn target(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, 1.0);
        1.0 - (1.0 - self.reservation) * t.powf(1.0 / self.exponent)
    }

    /// 1 - its public reservation: the most it could gain over no deal, the
    /// scale of its resolve (at least 1e-9).
    pub fn span(&self) -> f64 {
        (1.0 - self.public_reservation).max(1e-9)
    }

    /// An offer worth `u` to the party on its resolve's scale:
    /// (u - r_pub) / (1 - r_pub), which it accepts (if it screens) when at
    /// least its resolve.
    pub fn on_resolve_scale(&self, u: f64) -> f64 {
        (u - self.public_reservation) / self.span()
    }

    /// The least utility the party accepts at time t: its reservation, or
    /// if more, for a party that screens its value of holding out
    /// `hold_out` (computed from the beliefs by the protocol), for a
    /// time-dependent one `discount` times its own next target.
    pub fn threshold(&self, t: f64, hold_out: f64) -> f64 {
        if self.screens {
            self.reservation.max(hold_out)
        } else {
            self.reservation.max(self.discount * self.target(t))
        }
    }
}

/// Why a party moved as it did, for the transcript: its reservation, its
/// belief about the type of the party its offers go to (mean and standard
/// deviation; none when the protocol keeps none) and the utility it
/// computed: for an offer, its expected utility of it (under its belief
/// when it screens, else its utility of the offer); for an answer, the
/// utility it compared the offer with (`SideView::threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Why {
    pub reservation: f64,
    pub belief: Option<(f64, f64)>,
    pub expected: f64,
}

/// Open talks on a track.
#[derive(Debug, Clone)]
pub struct Talks {
    pub space: IssueSpace,
    pub opened_at: u32,
    pub opener: PartyIx,
    /// Rounds played.
    pub round: u32,
    pub deadline_rounds: u32,
    pub breakdown_probability: f64,
    /// The offer on the table and who made it.
    pub standing: Option<(PartyIx, Offer)>,
    /// Each party's belief about the reservation of the party its offers
    /// go to, for protocols that keep one (empty otherwise).
    pub beliefs: Vec<belief::Belief>,
}

impl Talks {
    /// Share of the deadline used.
    pub fn time(&self) -> f64 {
        (self.round as f64 / self.deadline_rounds.max(1) as f64).min(1.0)
    }
}

/// Why talks ended without agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakdownReason {
    /// A side walked away after a rejection.
    Walkout,
    /// The deadline passed.
    Deadline,
}

/// A move of a party, or an event of a track, as a protocol sends it. The
/// negotiation system applies each to the policies and writes it to the
/// transcript, in the order sent. `utilities` are the parties' utilities of
/// the terms concerned, in party order.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    /// Talks open on the track; `by` opened them.
    Open {
        by: PartyIx,
    },
    Offer {
        by: PartyIx,
        offer: Offer,
        utilities: Vec<f64>,
        why: Why,
    },
    Reject {
        by: PartyIx,
        utilities: Vec<f64>,
        why: Why,
    },
    Accept {
        by: PartyIx,
        offer: Offer,
        utilities: Vec<f64>,
        why: Why,
    },
    /// Every party has accepted `offer`: it comes into force.
    Agreement {
        offer: Offer,
        utilities: Vec<f64>,
    },
    Breakdown {
        reason: BreakdownReason,
    },
    /// The agreement in force reached the end of its term.
    Expiry,
    /// `by` defects from the agreement in force, whose terms give the
    /// parties `utilities`; no deal is worth `gain` more to it.
    Defection {
        by: PartyIx,
        utilities: Vec<f64>,
        gain: f64,
    },
    /// `by` moves one policy one rung (`escalation`): up, an escalation;
    /// down, a withdrawal. `value` is what the move was worth to it
    /// (pressure-weeks over holding), `probability` its logit probability.
    Climb {
        by: PartyIx,
        step: escalation::Step,
        value: f64,
        probability: f64,
    },
}

/// The moves a protocol sends in one call. The negotiation system flushes
/// it (applies every move, in order) before it calls the protocol again,
/// so each call sees the policies as the moves before it left them.
#[derive(Debug, Default)]
pub struct Outbox(Vec<Move>);

impl Outbox {
    pub fn send(&mut self, m: Move) {
        self.0.push(m);
    }

    /// Takes the moves sent since the last flush, in order.
    pub fn flush(&mut self) -> Vec<Move> {
        std::mem::take(&mut self.0)
    }
}

/// An agreement in force, as a protocol reviews it.
#[derive(Debug, Clone, Copy)]
pub struct InForce<'a> {
    pub space: &'a IssueSpace,
    pub offer: &'a Offer,
    /// Whether its term ended this week.
    pub expired: bool,
}

/// A bargaining protocol: it owns the talks of a track among any number of
/// parties (a slice, in party order). Each week the negotiation system
/// asks it to review an agreement in force, to open talks on an idle
/// track, or to play one round of open talks; it answers with moves.
pub trait Protocol: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    /// Whether talks open on a track that may open, and who opens them.
    /// `margins[i]` is party i's pressure less its opening threshold;
    /// `reopen` is true when an agreement just expired and talks reopen
    /// at once. By default the party furthest past its threshold opens
    /// (the first on a tie), when any party is past it or `reopen`.
    fn open(&self, margins: &[f64], reopen: bool, out: &mut Outbox) {
        let mut best: Option<(PartyIx, f64)> = None;
        for (i, &m) in margins.iter().enumerate() {
            if best.is_none_or(|(_, b)| m > b) {
                best = Some((i, m));
            }
        }
        if let Some((by, margin)) = best
            && (reopen || margin >= 0.0)
        {
            out.send(Move::Open { by });
        }
    }

    /// Plays one round of open talks. `draw` is a uniform number in [0, 1)
    /// from the track's seeded stream for this week.
    fn step(&self, talks: &mut Talks, parties: &[SideView], draw: f64, out: &mut Outbox);

    /// Each party's escalation choice this week, made at once
    /// (`escalation::choose_all`): by default the expected-value rule with
    /// a logit choice, each choice updating the other party's belief.
    fn escalate(
        &self,
        choices: &[escalation::Choice],
        beliefs: &mut [belief::Belief],
        rule: &escalation::Rule,
        out: &mut Outbox,
    ) {
        escalation::choose_all(choices, beliefs, rule, out);
    }

    /// Reviews an agreement in force, with every party's view this week.
    /// By default it expires at the end of its term; before that, the first
    /// party whose no-deal utility (its public reservation: its resolve is a
    /// stance in the talks, not a value of no deal) exceeds the agreement's
    /// by more than its reputation cost defects.
    fn review(&self, agreement: InForce, parties: &[SideView], out: &mut Outbox) {
        if agreement.expired {
            out.send(Move::Expiry);
            return;
        }
        let utilities: Vec<f64> = parties
            .iter()
            .map(|p| p.utility.value(agreement.space, agreement.offer))
            .collect();
        let defector = parties
            .iter()
            .zip(&utilities)
            .position(|(p, u)| p.public_reservation - u > p.reputation_cost);
        if let Some(by) = defector {
            let gain = parties[by].public_reservation - utilities[by];
            out.send(Move::Defection {
                by,
                utilities,
                gain,
            });
        }
    }
}

/// Each party's utility of `offer`, in party order.
pub(crate) fn utilities(parties: &[SideView], space: &IssueSpace, offer: &Offer) -> Vec<f64> {
    parties
        .iter()
        .map(|p| p.utility.value(space, offer))
        .collect()
}

/// Party `by` puts `offer` on the table; the round ends, and past the
/// deadline talks break down (the offer made at the deadline is answered).
pub(crate) fn put_offer(
    talks: &mut Talks,
    parties: &[SideView],
    by: PartyIx,
    offer: Offer,
    why: Why,
    out: &mut Outbox,
) {
    out.send(Move::Offer {
        by,
        offer: offer.clone(),
        utilities: utilities(parties, &talks.space, &offer),
        why,
    });
    talks.standing = Some((by, offer));
    talks.round += 1;
    if talks.round > talks.deadline_rounds {
        out.send(Move::Breakdown {
            reason: BreakdownReason::Deadline,
        });
    }
}

/// The answers to the standing offer `offer` of party `by`, worth `u` to
/// the parties: each other party in turn after `by` rejects it when
/// `rejects(party)`. If none does, every one accepts and it is agreed;
/// else the first to reject does so, and talks break down with the track's
/// walkout probability (`draw` below it). `why(party)` is why it answered
/// so. Returns the party that proposes next, or `None` when the round is over.
#[allow(clippy::too_many_arguments)]
pub(crate) fn answer(
    talks: &mut Talks,
    n: usize,
    by: PartyIx,
    offer: &Offer,
    u: Vec<f64>,
    rejects: impl Fn(PartyIx) -> bool,
    why: impl Fn(PartyIx) -> Why,
    draw: f64,
    out: &mut Outbox,
) -> Option<PartyIx> {
    let responders = (1..n).map(|k| (by + k) % n);
    let Some(responder) = responders.clone().find(|&r| rejects(r)) else {
        for by in responders {
            out.send(Move::Accept {
                by,
                offer: offer.clone(),
                utilities: u.clone(),
                why: why(by),
            });
        }
        out.send(Move::Agreement {
            offer: offer.clone(),
            utilities: u,
        });
        talks.round += 1;
        return None;
    };
    out.send(Move::Reject {
        by: responder,
        utilities: u,
        why: why(responder),
    });
    if draw < talks.breakdown_probability {
        out.send(Move::Breakdown {
            reason: BreakdownReason::Walkout,
        });
        talks.round += 1;
        return None;
    }
    Some(responder)
}

/// The offer that maximises the opponent's utility while keeping the
/// proposer's at `target` or above (a greedy fractional knapsack, exact for
/// continuous issues): concede issues in order of opponent gain per unit of
/// own loss; binary issues are conceded whole or not at all.
pub fn propose(space: &IssueSpace, me: &Utility, other: &Utility, target: f64) -> Offer {
    let n = space.issues.len();
    let total: f64 = me.weights.iter().sum();
    // Start from the proposer's ideal point.
    let mut x: Vec<f64> = space
        .issues
        .iter()
        .map(|i| if i.giver == me.side { 0.0 } else { 1.0 })
        .collect();
    let mut budget = ((1.0 - target) * total).max(0.0);
    let mut order: Vec<usize> = (0..n).collect();
    let ratio = |i: usize| {
        let (mine, theirs) = (me.weights[i], other.weights[i]);
        if mine <= 0.0 {
            f64::INFINITY
        } else {
            theirs / mine
        }
    };
    order.sort_by(|&a, &b| ratio(b).total_cmp(&ratio(a)).then(a.cmp(&b)));
    for i in order {
        if other.weights[i] <= 0.0 {
            continue; // conceding gives the opponent nothing
        }
        let cost = me.weights[i];
        let step = if cost <= budget {
            1.0
        } else if space.issues[i].binary {
            0.0
        } else {
            budget / cost
        };
        budget -= step * cost;
        if space.issues[i].giver == me.side {
            x[i] = step;
        } else {
            x[i] = 1.0 - step;
        }
    }
    Offer(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn space() -> IssueSpace {
        use crate::levers::supplier_issue;
        let relief = |id: u32, s: &str| Issue {
            lever: 0,
            target: id,
            label: s.into(),
            giver: Side::Consumer,
            binary: false,
            low: 0.0,
            high: 1.0,
        };
        IssueSpace {
            issues: vec![
                relief(0, "chips"),
                relief(1, "ethane"),
                supplier_issue(1, false, 0.25, 1.0),
                supplier_issue(3, true, 0.0, 1.0),
            ],
        }
    }

    #[test]
    fn utility_is_one_at_own_ideal_and_zero_at_opponents() {
        let s = space();
        let c = Utility {
            side: Side::Consumer,
            weights: vec![1.0, 0.1, 1.0, 0.5],
        };
        assert_eq!(c.value(&s, &Offer(vec![0.0, 0.0, 1.0, 1.0])), 1.0);
        assert_eq!(c.value(&s, &Offer(vec![1.0, 1.0, 0.0, 0.0])), 0.0);
    }

    #[test]
    fn proposer_concedes_cheapest_issues_first_and_hits_its_target() {
        let s = space();
        let consumer = Utility {
            side: Side::Consumer,
            weights: vec![1.0, 0.05, 1.0, 0.5],
        };
        let supplier = Utility {
            side: Side::Supplier,
            weights: vec![1.0, 0.3, 1.0, 0.4],
        };
        let offer = propose(&s, &consumer, &supplier, 0.97);
        // ethane (ratio 6) goes first and whole; chips (ratio 1) only with what is left
        assert_eq!(offer.0[1], 1.0);
        assert!(offer.0[0] < 0.1, "{offer:?}");
        assert!(consumer.value(&s, &offer) >= 0.97 - 1e-12);
        // a full concession budget gives the opponent everything it values
        let all = propose(&s, &consumer, &supplier, 0.0);
        assert!((supplier.value(&s, &all) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn binary_issues_are_whole() {
        let s = space();
        let supplier = Utility {
            side: Side::Supplier,
            weights: vec![1.0, 0.3, 1.0, 0.4],
        };
        let consumer = Utility {
            side: Side::Consumer,
            weights: vec![1.0, 0.05, 1.0, 0.5],
        };
        for t in [0.0, 0.3, 0.5, 0.7, 0.9, 1.0] {
            let o = propose(&s, &supplier, &consumer, t);
            assert!(o.0[3] == 0.0 || o.0[3] == 1.0);
            assert!(supplier.value(&s, &o) >= t - 1e-12);
        }
    }

    /// A stub protocol for any number of parties: party 0 asks for
    /// everything it receives and nothing else; the others accept when the
    /// offer is worth their reservation.
    struct TakeItOrLeaveIt;

    impl Protocol for TakeItOrLeaveIt {
        fn name(&self) -> &'static str {
            "take_it_or_leave_it"
        }

        fn step(&self, talks: &mut Talks, parties: &[SideView], _draw: f64, out: &mut Outbox) {
            let offer = propose(&talks.space, &parties[0].utility, &parties[1].utility, 0.5);
            let u: Vec<f64> = parties
                .iter()
                .map(|p| p.utility.value(&talks.space, &offer))
                .collect();
            out.send(Move::Offer {
                by: 0,
                offer: offer.clone(),
                utilities: u.clone(),
                why: Why::default(),
            });
            for (by, p) in parties.iter().enumerate().skip(1) {
                if u[by] < p.reservation {
                    out.send(Move::Reject {
                        by,
                        utilities: u.clone(),
                        why: Why::default(),
                    });
                    out.send(Move::Breakdown {
                        reason: BreakdownReason::Walkout,
                    });
                    return;
                }
                out.send(Move::Accept {
                    by,
                    offer: offer.clone(),
                    utilities: u.clone(),
                    why: Why::default(),
                });
            }
            out.send(Move::Agreement {
                offer,
                utilities: u,
            });
            talks.round += 1;
        }
    }

    pub(crate) fn party(side: Side, weights: Vec<f64>, reservation: f64) -> SideView {
        SideView {
            utility: Utility { side, weights },
            public_reservation: reservation,
            reservation,
            types: vec![0.0],
            screens: false,
            exponent: 1.0,
            discount: 1.0,
            reputation_cost: 0.05,
        }
    }

    fn three_party_talks() -> Talks {
        Talks {
            space: space(),
            opened_at: 0,
            opener: 0,
            round: 0,
            deadline_rounds: 10,
            breakdown_probability: 0.0,
            standing: None,
            beliefs: Vec::new(),
        }
    }

    /// A track of three parties: the protocol opens it for the party furthest
    /// past its threshold, plays a round whose every other party accepts,
    /// and reviews the agreement with each party's own reservation.
    #[test]
    fn a_stub_protocol_runs_a_three_party_track() {
        let parties = [
            party(Side::Consumer, vec![1.0, 0.05, 1.0, 0.5], 0.2),
            party(Side::Supplier, vec![1.0, 0.3, 1.0, 0.4], 0.2),
            party(Side::Supplier, vec![0.5, 0.5, 1.0, 1.0], 0.1),
        ];
        let mut out = Outbox::default();
        TakeItOrLeaveIt.open(&[-0.1, 0.3, 0.2], false, &mut out);
        assert_eq!(out.flush(), [Move::Open { by: 1 }]);
        TakeItOrLeaveIt.open(&[-0.1, -0.3, -0.2], false, &mut out);
        assert!(out.flush().is_empty(), "no party past its threshold");
        TakeItOrLeaveIt.open(&[-0.1, -0.3, -0.2], true, &mut out);
        assert_eq!(out.flush(), [Move::Open { by: 0 }], "reopened at once");

        let mut talks = three_party_talks();
        TakeItOrLeaveIt.step(&mut talks, &parties, 0.5, &mut out);
        let moves = out.flush();
        let kinds: Vec<&str> = moves
            .iter()
            .map(|m| match m {
                Move::Offer { .. } => "offer",
                Move::Accept { .. } => "accept",
                Move::Agreement { .. } => "agreement",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["offer", "accept", "accept", "agreement"]);
        let Some(Move::Agreement { offer, utilities }) = moves.last() else {
            panic!("{moves:?}")
        };
        assert_eq!(utilities.len(), 3, "one utility per party");

        // the third party's outside option rises: it, and only it, defects
        let mut later = parties.clone();
        later[2].public_reservation = utilities[2] + 0.1;
        let in_force = InForce {
            space: &talks.space,
            offer,
            expired: false,
        };
        TakeItOrLeaveIt.review(in_force, &later, &mut out);
        match out.flush().as_slice() {
            [Move::Defection { by: 2, gain, .. }] => assert!((gain - 0.1).abs() < 1e-12),
            other => panic!("{other:?}"),
        }
        TakeItOrLeaveIt.review(in_force, &parties, &mut out);
        assert!(out.flush().is_empty(), "an agreement worth keeping holds");
        TakeItOrLeaveIt.review(
            InForce {
                expired: true,
                ..in_force
            },
            &later,
            &mut out,
        );
        assert_eq!(out.flush(), [Move::Expiry]);
    }

    /// Alternating offers among three parties: an offer is agreed only when
    /// both others accept it; one rejection gives the rejecter the next offer.
    #[test]
    fn alternating_offers_needs_every_other_party() {
        let mut parties = [
            party(Side::Consumer, vec![1.0, 0.05, 1.0, 0.5], 0.3),
            party(Side::Supplier, vec![1.0, 0.3, 1.0, 0.4], 0.2),
            party(Side::Supplier, vec![1.0, 0.2, 1.0, 0.5], 0.1),
        ];
        let mut talks = three_party_talks();
        let mut out = Outbox::default();
        let mut agreed = None;
        for _ in 0..=talks.deadline_rounds {
            AlternatingOffers::default().step(&mut talks, &parties, 0.5, &mut out);
            let moves = out.flush();
            if let Some(Move::Agreement { utilities, .. }) = moves.last() {
                let accepts = moves
                    .iter()
                    .filter(|m| matches!(m, Move::Accept { .. }))
                    .count();
                assert_eq!(accepts, 2, "{moves:?}");
                agreed = Some(utilities.clone());
                break;
            }
        }
        let u = agreed.expect("an agreement within the deadline");
        for (p, u) in parties.iter().zip(&u) {
            assert!(*u >= p.reservation - 1e-12, "{u} below {}", p.reservation);
        }
        // a third party that wants more than any offer gives: no agreement
        parties[2].reservation = 1.0;
        let mut talks = three_party_talks();
        for _ in 0..=talks.deadline_rounds {
            AlternatingOffers::default().step(&mut talks, &parties, 0.5, &mut out);
            assert!(
                !out.flush()
                    .iter()
                    .any(|m| matches!(m, Move::Agreement { .. })),
                "agreed without the third party"
            );
        }
    }

    #[test]
    fn target_moves_from_one_to_reservation() {
        for e in [0.2, 1.0, 2.0] {
            let v = SideView {
                exponent: e,
                ..party(Side::Consumer, vec![], 0.4)
            };
            assert_eq!(v.target(0.0), 1.0);
            assert!((v.target(1.0) - 0.4).abs() < 1e-12);
        }
        let boulware = SideView {
            exponent: 0.2,
            ..party(Side::Consumer, vec![], 0.0)
        };
        let conceder = SideView {
            exponent: 2.0,
            ..boulware.clone()
        };
        assert!(boulware.target(0.5) > conceder.target(0.5));
    }
}
