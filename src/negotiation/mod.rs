//! Negotiation: issue spaces, utilities, concession and protocols. Nothing
//! here knows about the ECS; the negotiation system builds the inputs from
//! the world and applies the outcome.
//!
//! An offer gives each issue a concession level x in [0, 1]: 0 is the
//! giver's status quo, 1 the most the giver can concede (relief 1 lifts the
//! whole restriction; approval 1 approves every civilian application).

mod alternating;

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

/// What an issue is about. Two issues are the same when they are of the
/// same kind and, for relief, on the same restriction (its id; the sector
/// only names it).
#[derive(Debug, Clone)]
pub enum IssueKind {
    /// Relief on the consumer's restriction `restriction` (its id), on the
    /// technology sector `sector` (named in the issue's name).
    Relief {
        restriction: u32,
        sector: String,
    },
    CivilianApproval,
    LicenceValidity,
    GeneralLicence,
    SuspendExpanded,
}

/// One negotiable issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub kind: IssueKind,
    /// Who concedes on it.
    pub giver: Side,
    /// Takes only 0 or 1.
    pub binary: bool,
    /// Status-quo value and most-conceded value, in the issue's own unit.
    pub low: f64,
    pub high: f64,
}

impl PartialEq for IssueKind {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                IssueKind::Relief { restriction: a, .. },
                IssueKind::Relief { restriction: b, .. },
            ) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Issue {
    pub fn name(&self) -> String {
        match &self.kind {
            IssueKind::Relief { sector, .. } => format!("relief[{sector}]"),
            IssueKind::CivilianApproval => "civilian_approval".into(),
            IssueKind::LicenceValidity => "licence_validity".into(),
            IssueKind::GeneralLicence => "general_licence".into(),
            IssueKind::SuspendExpanded => "suspend_expanded".into(),
        }
    }
    /// The unit of the issue's value: a restriction's level lifted (0..1),
    /// an approval probability, licence weeks, or a 0/1 flag.
    pub fn unit(&self) -> &'static str {
        match self.kind {
            IssueKind::Relief { .. } => "level",
            IssueKind::CivilianApproval => "probability",
            IssueKind::LicenceValidity => "weeks",
            IssueKind::GeneralLicence | IssueKind::SuspendExpanded => "flag",
        }
    }
    /// The issue's value at concession level x.
    pub fn value(&self, x: f64) -> f64 {
        self.low + x * (self.high - self.low)
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

/// Everything a protocol needs to know about one side this round.
#[derive(Debug, Clone)]
pub struct SideView {
    pub utility: Utility,
    /// Utility of no deal (the status quo with the side's outside options).
    pub reservation: f64,
    /// Concession exponent e (Boulware < 1 < Conceder).
    pub exponent: f64,
    /// Weekly discount factor: the side accepts an offer worth at least
    /// `discount` times what it would ask next.
    pub discount: f64,
}

impl SideView {
    /// Time-dependent target (Faratin et al. 1998):
    /// u(t) = 1 - (1 - u_res) t^(1/e), t in [0, 1].
    pub fn target(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, 1.0);
        1.0 - (1.0 - self.reservation) * t.powf(1.0 / self.exponent)
    }
}

/// Open talks on a track.
#[derive(Debug, Clone)]
pub struct Talks {
    pub space: IssueSpace,
    pub opened_at: u32,
    pub opener: Side,
    /// Rounds played.
    pub round: u32,
    pub deadline_rounds: u32,
    pub breakdown_probability: f64,
    /// The offer on the table and who made it.
    pub standing: Option<(Side, Offer)>,
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

/// What happened in a round, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    Offer {
        by: Side,
        offer: Offer,
        utilities: [f64; 2],
    },
    Reject {
        by: Side,
        utilities: [f64; 2],
    },
    Accept {
        by: Side,
        offer: Offer,
        utilities: [f64; 2],
    },
    Breakdown {
        reason: BreakdownReason,
    },
}

/// A bargaining protocol: plays one round of talks per tick.
pub trait Protocol: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Plays one round. `draw` is a uniform number in [0, 1) from the
    /// track's seeded stream for this week.
    fn round(&self, talks: &mut Talks, sides: &[SideView; 2], draw: f64) -> Vec<Move>;
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
        let relief = |s: &str| Issue {
            kind: IssueKind::Relief {
                restriction: s.len() as u32,
                sector: s.into(),
            },
            giver: Side::Consumer,
            binary: false,
            low: 0.0,
            high: 1.0,
        };
        IssueSpace {
            issues: vec![
                relief("chips"),
                relief("ethane"),
                Issue {
                    kind: IssueKind::CivilianApproval,
                    giver: Side::Supplier,
                    binary: false,
                    low: 0.25,
                    high: 1.0,
                },
                Issue {
                    kind: IssueKind::GeneralLicence,
                    giver: Side::Supplier,
                    binary: true,
                    low: 0.0,
                    high: 1.0,
                },
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

    #[test]
    fn target_moves_from_one_to_reservation() {
        for e in [0.2, 1.0, 2.0] {
            let v = SideView {
                utility: Utility {
                    side: Side::Consumer,
                    weights: vec![],
                },
                reservation: 0.4,
                exponent: e,
                discount: 1.0,
            };
            assert_eq!(v.target(0.0), 1.0);
            assert!((v.target(1.0) - 0.4).abs() < 1e-12);
        }
        let boulware = SideView {
            utility: Utility {
                side: Side::Consumer,
                weights: vec![],
            },
            reservation: 0.0,
            exponent: 0.2,
            discount: 1.0,
        };
        let conceder = SideView {
            exponent: 2.0,
            ..boulware.clone()
        };
        assert!(boulware.target(0.5) > conceder.target(0.5));
    }
}
