//! Phase 8: negotiation. Each track's protocol reviews an agreement in
//! force (expiry, defection), may open talks on an idle track and plays one
//! round of open talks; the system gathers the views it decides on and
//! applies its moves to the policy components, the transcript, the run's
//! counts and trust. The world's tracks are bilateral (party 0 the
//! consumer, party 1 the supplier).

use crate::config::ValidScenario;
use crate::levers;
use crate::metrics::ColumnType;
use crate::metrics::{RunTotals, TranscriptRow, WeekStats, track_name};
use crate::model::*;
use crate::model::{Preferences, PressureParams};
use crate::negotiation::*;
use crate::rng::{self, Stream};
use crate::schedule::{Builder, Phase, Plugin};
use crate::schema::{self, Column, Layout, Measure, Schema, Unit};
use bevy_ecs::prelude::*;

/// The phase this module's systems run in.
pub const PHASE: Phase = Phase("Negotiation");

pub const PLUGIN: Plugin = Plugin {
    phase: PHASE,
    build: plugin,
    columns,
};

pub static TRUST: Measure = Measure {
    pattern: "{state}_trust_in_{other}",
    unit: Unit::Index,
    about: "The state's trust that the other keeps its word (lowered by detected diversion and defection).",
    old: "{state}_trust_in_{other}",
};
pub static RESTRICTION: Measure = Measure {
    pattern: "{state}_{sector}_on_{target}_restriction",
    unit: Unit::Level,
    about: "The level of the state's technology restriction on the target's sector this week.",
    old: "{state}_restriction_{sector}_on_{target}",
};
pub static TALKS: Measure = Measure {
    pattern: "{supplier}_{consumer}_{material}_talks",
    unit: Unit::None,
    about: "The state of the track this week: idle, open (talks under way), agreed (an agreement in force) or broken_down.",
    old: "talks_{supplier}-{consumer}-{material}",
};
pub static FIRST_AGREEMENT: Measure = Measure {
    pattern: "first_agreement",
    unit: Unit::Week,
    about: "The first week an agreement was reached on any track (empty: never).",
    old: "first_agreement_week",
};
pub static TALKS_OPENED: Measure = Measure {
    pattern: "talks_opened",
    unit: Unit::Count,
    about: "Times talks opened on any track over the run.",
    old: "talks_opened",
};
pub static AGREEMENTS: Measure = Measure {
    pattern: "agreements",
    unit: Unit::Count,
    about: "Agreements reached over the run, renewals included.",
    old: "agreements",
};
pub static BREAKDOWNS: Measure = Measure {
    pattern: "breakdowns",
    unit: Unit::Count,
    about: "Talks broken down over the run, by a walkout or at the deadline.",
    old: "breakdowns",
};
pub static DEFECTIONS: Measure = Measure {
    pattern: "defections",
    unit: Unit::Count,
    about: "Agreements ended by a side's defection over the run.",
    old: "defections",
};
pub static EXPIRIES: Measure = Measure {
    pattern: "expiries",
    unit: Unit::Count,
    about: "Agreements that ran their full term over the run.",
    old: "expiries",
};
pub static ESCALATIONS: Measure = Measure {
    pattern: "{state}_escalations",
    unit: Unit::Count,
    about: "Rungs the state climbed by decision over the run (models/ODD.md 7.9).",
    old: "",
};
pub static WITHDRAWALS: Measure = Measure {
    pattern: "{state}_withdrawals",
    unit: Unit::Count,
    about: "Rungs the state stepped down by decision over the run (not what agreements lifted).",
    old: "",
};
pub static FIRST_ESCALATION: Measure = Measure {
    pattern: "{state}_first_escalation",
    unit: Unit::Week,
    about: "The first week the state climbed a rung (empty: never).",
    old: "",
};
pub static CONCEDED: Measure = Measure {
    pattern: "{state}_{sector}_on_{target}_conceded",
    unit: Unit::LevelSum,
    about: "Level lifted from the restriction in agreements, summed over agreements (a level restored at expiry and lifted again counts twice, so it may exceed 1).",
    old: "conceded_{state}_{sector}_on_{target}",
};
pub static CONCEDED_APPROVAL: Measure = Measure {
    pattern: "{supplier}_{material}_conceded_civilian_approval",
    unit: Unit::ProbabilitySum,
    about: "Rise of the civilian approval rate granted in agreements, summed over agreements.",
    old: "conceded_{supplier}_civilian_approval_{material}",
};
pub static GENERAL_LICENCE_AGREEMENTS: Measure = Measure {
    pattern: "{supplier}_{material}_general_licence_agreements",
    unit: Unit::Count,
    about: "Agreements that switched general licences on.",
    old: "agreements_with_general_licence_{supplier}_{material}",
};
pub static REACH_SUSPENSIONS: Measure = Measure {
    pattern: "{supplier}_{material}_reach_suspension_agreements",
    unit: Unit::Count,
    about: "Agreements that suspended the extraterritorial reach.",
    old: "agreements_suspending_reach_{supplier}_{material}",
};

pub static TRACK: Measure = Measure {
    pattern: "track",
    unit: Unit::None,
    about: "The track: `SUPPLIER-CONSUMER-MATERIAL` (a name, not a column, so its hyphens stay).",
    old: "track",
};
pub static ROUND: Measure = Measure {
    pattern: "round",
    unit: Unit::None,
    about: "The round of the talks on the track (0: opening).",
    old: "round",
};
pub static EVENT: Measure = Measure {
    pattern: "event",
    unit: Unit::None,
    about: "The move or event: open, offer, reject, accept, agreement, breakdown, expiry, defection, escalate or withdraw (a rung climbed or stepped down by decision).",
    old: "event",
};
pub static ACTOR: Measure = Measure {
    pattern: "actor",
    unit: Unit::None,
    about: "The state that moved (empty for events of the track).",
    old: "actor",
};
pub static PACKED_TERMS: Measure = Measure {
    pattern: "terms",
    unit: Unit::None,
    about: "The move's terms packed as `issue=value;...` (3 decimals); terms.csv has them long, at full precision.",
    old: "terms",
};
pub static CONSUMER_UTILITY: Measure = Measure {
    pattern: "consumer_utility",
    unit: Unit::Index,
    about: "The consumer's utility of the terms on the table.",
    old: "u_consumer",
};
pub static SUPPLIER_UTILITY: Measure = Measure {
    pattern: "supplier_utility",
    unit: Unit::Index,
    about: "The supplier's utility of the terms on the table.",
    old: "u_supplier",
};
pub static ACTOR_RESERVATION: Measure = Measure {
    pattern: "actor_reservation",
    unit: Unit::Index,
    about: "The acting state's reservation (its no-deal utility plus its private resolve), for offers, acceptances and rejections.",
    old: "",
};
pub static ACTOR_BELIEF_MEAN: Measure = Measure {
    pattern: "actor_belief_mean",
    unit: Unit::Index,
    about: "The mean of the acting state's belief about the other's private resolve, a share (0..1) of the most the other could gain over no deal: not a utility, unlike actor_reservation.",
    old: "",
};
pub static ACTOR_BELIEF_SD: Measure = Measure {
    pattern: "actor_belief_sd",
    unit: Unit::Index,
    about: "The standard deviation of the acting state's belief about the other's resolve (a share, as the mean).",
    old: "",
};
pub static ACTOR_EXPECTED_UTILITY: Measure = Measure {
    pattern: "actor_expected_utility",
    unit: Unit::Index,
    about: "For an offer, the proposer's expected utility of it (under its belief when it screens; its utility of the offer for a time-dependent tactic); for an answer, the utility the responder compared the offer with.",
    old: "",
};
pub static NOTE: Measure = Measure {
    pattern: "note",
    unit: Unit::None,
    about: "Free text: why the event happened.",
    old: "note",
};
pub static ISSUE: Measure = Measure {
    pattern: "issue",
    unit: Unit::None,
    about: "The issue a term settles: `relief[SECTOR]`, `civilian_approval`, `licence_validity`, `general_licence`, ...",
    old: "issue",
};
pub static TERM_VALUE: Measure = Measure {
    pattern: "value",
    unit: Unit::None,
    about: "The term's value, in the unit of the row's `unit` column.",
    old: "value",
};
pub static TERM_UNIT: Measure = Measure {
    pattern: "unit",
    unit: Unit::None,
    about: "The unit of `value`: level, probability, weeks or flag.",
    old: "unit",
};

/// The columns of `transcript.csv`: one row per move or event of the talks.
pub fn transcript_columns() -> Vec<Column> {
    use crate::metrics::{DATE, WEEK};
    use ColumnType::*;
    [
        (&WEEK, Int),
        (&DATE, Text),
        (&TRACK, Text),
        (&ROUND, Int),
        (&EVENT, Text),
        (&ACTOR, Text),
        (&PACKED_TERMS, Text),
        (&CONSUMER_UTILITY, Float),
        (&SUPPLIER_UTILITY, Float),
        (&ACTOR_RESERVATION, Float),
        (&ACTOR_BELIEF_MEAN, Float),
        (&ACTOR_BELIEF_SD, Float),
        (&ACTOR_EXPECTED_UTILITY, Float),
        (&NOTE, Text),
    ]
    .into_iter()
    .map(|(m, t)| Column::fixed(m, t))
    .collect()
}

/// The columns of `terms.csv`: one row per move and issue of the moves with
/// terms (offers, acceptances, agreements, expiries, defections), the terms
/// that `transcript.csv` packs into one string, at full precision.
pub fn terms_columns() -> Vec<Column> {
    use ColumnType::*;
    [
        (&crate::metrics::WEEK, Int),
        (&TRACK, Text),
        (&ROUND, Int),
        (&EVENT, Text),
        (&ACTOR, Text),
        (&ISSUE, Text),
        (&TERM_VALUE, Float),
        (&TERM_UNIT, Text),
    ]
    .into_iter()
    .map(|(m, t)| Column::fixed(m, t))
    .collect()
}

/// Trust, restriction levels and the state of each track; over the run,
/// the talks' counts and what each side conceded.
fn columns(layout: &Layout, schema: &mut Schema) {
    let ns = layout.registry.states.len();
    for s in 0..ns {
        for o in (0..ns).filter(|&o| o != s) {
            let args = [
                ("state", layout.state(s as StateIx)),
                ("other", layout.state(o as StateIx)),
            ];
            schema
                .timeseries
                .add(&TRUST, &args, move |w| schema::agent::<Trust>(w, s).0[o]);
        }
    }
    for i in 0..layout.restrictions.len() {
        let args = layout.restriction_args(i);
        schema.timeseries.add(&RESTRICTION, &args, move |w| {
            schema::restriction(w, i).level
        });
    }
    for (i, &(supplier, consumer, material)) in layout.tracks.iter().enumerate() {
        let args = [
            ("supplier", layout.state(supplier)),
            ("consumer", layout.state(consumer)),
            ("material", layout.material(material)),
        ];
        schema
            .timeseries
            .add(&TALKS, &args, move |w| schema::track(w, i).status.label());
    }
    let sum = &mut schema.summary;
    sum.add(&FIRST_AGREEMENT, &[], |w| {
        w.resource::<RunTotals>().first_agreement_week
    });
    sum.add(&TALKS_OPENED, &[], |w| {
        w.resource::<RunTotals>().talks_opened
    });
    sum.add(&AGREEMENTS, &[], |w| w.resource::<RunTotals>().agreements);
    sum.add(&BREAKDOWNS, &[], |w| w.resource::<RunTotals>().breakdowns);
    sum.add(&DEFECTIONS, &[], |w| w.resource::<RunTotals>().defections);
    sum.add(&EXPIRIES, &[], |w| w.resource::<RunTotals>().expiries);
    for st in 0..ns {
        let args = [("state", layout.state(st as StateIx))];
        sum.add(&ESCALATIONS, &args, move |w| {
            w.resource::<RunTotals>().escalations[st]
        });
        sum.add(&WITHDRAWALS, &args, move |w| {
            w.resource::<RunTotals>().withdrawals[st]
        });
        sum.add(&FIRST_ESCALATION, &args, move |w| {
            w.resource::<RunTotals>().first_escalation[st]
        });
    }
    for i in 0..layout.restrictions.len() {
        let args = layout.restriction_args(i);
        sum.add(&CONCEDED, &args, move |w| {
            schema::restriction(w, i).conceded
        });
    }
    for (i, &(owner, material)) in layout.controls.iter().enumerate() {
        let args = [
            ("supplier", layout.state(owner)),
            ("material", layout.material(material)),
        ];
        sum.add(&CONCEDED_APPROVAL, &args, move |w| {
            schema::control(w, i).conceded_approval
        });
        sum.add(&GENERAL_LICENCE_AGREEMENTS, &args, move |w| {
            schema::control(w, i).general_licence_agreements
        });
        sum.add(&REACH_SUSPENSIONS, &args, move |w| {
            schema::control(w, i).reach_suspensions
        });
    }
}

/// The protocol, the technology restrictions (what the consumer can concede)
/// and, once the firms are known, one track per (controlled material,
/// importing state); one round of every track a week.
fn plugin(b: &mut Builder) {
    let scenario = b.scenario;
    let noise = scenario.negotiation.response_noise;
    b.insert_resource(ActiveProtocol(match scenario.protocol {
        ProtocolKind::AlternatingOffers => Box::new(AlternatingOffers { noise }),
    }));
    for restriction in scenario.states.iter().flat_map(|s| &s.tech_restrictions) {
        b.spawn(restriction.clone());
    }
    b.insert_resource(Beliefs::new(scenario.states.len()));
    b.after_firms(spawn_tracks);
    b.add_systems(negotiate);
}

/// One track per (controlled material, state importing it before the
/// controls by firms a deal could supply: not military firms under a
/// military ban). The tracks are those of the schema's layout
/// (`Registry::negotiable`, known before the draws), in id order.
fn spawn_tracks(world: &mut World, _: &ValidScenario) {
    let tracks = world.resource::<Schema>().layout.tracks.clone();
    for (id, (supplier, consumer, material)) in tracks.into_iter().enumerate() {
        world.spawn(Track {
            id: id as u32,
            supplier,
            consumer,
            material,
            status: TrackStatus::Idle,
        });
    }
}

/// The part of consumer `c`'s readiness gap this week that a deal over
/// material `m` could close: the gap of its military firms on `m` (their
/// lost output over its whole military capacity), if a deal could reach
/// them: the supplier does not ban military users, or the pool is shared
/// pro rata, so that licences for the other firms free allied supply for
/// the military ones. Under a military ban with military firms served first
/// (the baseline) no deal closes any of it.
pub fn closable_gap(
    stats: &WeekStats,
    c: StateIx,
    m: MaterialIx,
    control: Option<&ExportControl>,
    priority: PriorityRule,
) -> f64 {
    let banned = control.is_some_and(|x| x.military_ban);
    if banned && priority != PriorityRule::ProRata {
        return 0.0;
    }
    let capacity = stats.states[c as usize].military_capacity;
    if capacity > 0.0 {
        stats.military[m as usize][c as usize].lost / capacity
    } else {
        0.0
    }
}

/// What the negotiation needs to know of a state this week.
#[derive(Debug, Clone)]
pub struct StateView {
    pub prefs: Preferences,
    pub pressure: f64,
    /// On a track where it is the consumer: the part of its readiness gap
    /// this week that a deal on the track could close (`closable_gap`); 0
    /// otherwise.
    pub readiness: f64,
    pub resolve: Resolve,
    pub weights: PressureParams,
}

/// The issues on the table between `consumer` and `supplier` over `material`,
/// from the current policies: every lever's (`levers::LEVERS`, in order),
/// relief on each restriction the consumer holds on the supplier and each
/// supply lever the supplier can still move.
pub fn build_space<'a>(
    consumer: StateIx,
    supplier: StateIx,
    control: Option<&ExportControl>,
    restrictions: impl Iterator<Item = &'a TechRestriction>,
) -> IssueSpace {
    let restrictions: Vec<&TechRestriction> = restrictions.collect();
    let table = levers::Table {
        consumer,
        supplier,
        control,
        restrictions: &restrictions,
    };
    IssueSpace {
        issues: levers::LEVERS
            .iter()
            .enumerate()
            .flat_map(|(ix, lever)| lever.issues(ix, &table))
            .collect(),
    }
}

/// Both sides' utilities, reservations and tactics for this week: each
/// issue's weights are its lever's (`Lever::weights`), and each side's
/// weight on what it receives is multiplied by 1 - w + w x trust, trust
/// its trust that the giver keeps its word and w `negotiation.trust_weight`
/// (a promise is worth what one expects of it). Pressure does not move the
/// weights: it makes holding out costly, raising the weekly discount rate
/// by 1 + pressure_gain x pressure (discount^(1 + pressure_gain x
/// pressure)). The consumer's no-deal outlook counts the share of its
/// supply it gets with no deal (`WeekStats::outside_supply`) as the civilian
/// approval that would bring as much (`levers::approval::no_deal_level`),
/// less `readiness_weight` x the part of its readiness gap a deal on the
/// track could close (`closable_gap`: what the gap costs it with no deal
/// and not with one, in shares of the table; models/ODD.md 7.11). Each
/// side's reservation is its no-deal utility raised by its private resolve.
pub fn side_views<'a>(
    space: &IssueSpace,
    consumer: &StateView,
    supplier: &StateView,
    // what a promise of the other side is worth, per side (consumer, supplier)
    trust: [f64; 2],
    // kg/week with no deal, and the imports before the controls
    outside: [f64; 2],
    control: Option<&ExportControl>,
    restriction: impl Fn(u32) -> Option<&'a TechRestriction>,
) -> [SideView; 2] {
    let stakes = levers::Stakes {
        consumer: &consumer.prefs,
        supplier: &supplier.prefs,
        outside_supply: outside[0],
        imports: outside[1],
        control,
        restriction: &restriction,
    };
    // what a side receives is worth its trust that the giver keeps its word
    let weights: Vec<levers::Weights> = space
        .issues
        .iter()
        .map(|issue| {
            let w = levers::of(issue).weights(issue, &stakes);
            match issue.giver {
                Side::Supplier => levers::Weights {
                    consumer: w.consumer * trust[0],
                    ..w
                },
                Side::Consumer => levers::Weights {
                    supplier: w.supplier * trust[1],
                    ..w
                },
            }
        })
        .collect();
    let uc = Utility {
        side: Side::Consumer,
        weights: weights.iter().map(|w| w.consumer).collect(),
    };
    let us = Utility {
        side: Side::Supplier,
        weights: weights.iter().map(|w| w.supplier).collect(),
    };
    let rc = (uc.value(space, &Offer(weights.iter().map(|w| w.no_deal).collect()))
        - consumer.prefs.readiness_weight * consumer.readiness)
        .max(0.0);
    let rs = us.value(space, &Offer(vec![0.0; space.issues.len()]));
    let view = |utility, public: f64, v: &StateView| SideView {
        utility,
        public_reservation: public,
        reservation: public + v.resolve.value.clamp(0.0, 1.0) * (1.0 - public),
        types: v.resolve.types.clone(),
        screens: v.prefs.concession == Concession::Screening,
        exponent: v.prefs.concession.exponent(),
        // holding out costs more under pressure: the weekly discount rate
        // grows by 1 + pressure_gain x pressure
        discount: v
            .prefs
            .discount
            .powf(1.0 + v.prefs.pressure_gain * v.pressure),
        reputation_cost: v.prefs.reputation_cost,
    };
    [view(uc, rc, consumer), view(us, rs, supplier)]
}

/// The restriction with id `id`.
fn find_restriction<'a>(
    restrictions: &'a Query<(Entity, &mut TechRestriction)>,
    id: u32,
) -> Option<&'a TechRestriction> {
    restrictions.iter().map(|(_, r)| r).find(|r| r.id == id)
}

/// Carries an offer over to a changed issue space: issues present in both
/// keep their concession level, new issues start at 0 (the status quo).
pub fn remap(offer: &Offer, old: &IssueSpace, new: &IssueSpace) -> Offer {
    Offer(
        new.issues
            .iter()
            .map(|issue| {
                old.issues
                    .iter()
                    .position(|o| o.same(issue))
                    .map_or(0.0, |j| offer.0[j])
            })
            .collect(),
    )
}

/// Applies agreed terms to the policies, each issue by its lever
/// (`Lever::apply`), and returns what they replaced: the consumer's
/// restrictions fall, and the supplier's deal with the consumer (its terms
/// for that destination only) is set.
pub fn apply_terms(
    space: &IssueSpace,
    offer: &Offer,
    track: &Track,
    control: Option<&mut ExportControl>,
    restrictions: &mut Query<(Entity, &mut TechRestriction)>,
) -> SavedPolicy {
    let mut saved = SavedPolicy::default();
    let dest = track.consumer as usize;
    let before = control.as_deref().map(|c| c.deals[dest]);
    let mut moved = levers::Moved {
        dest,
        control,
        restrictions,
    };
    for (issue, &x) in space.issues.iter().zip(&offer.0) {
        levers::of(issue).apply(issue, x, &mut moved, &mut saved);
    }
    if let (Some(before), Some(c)) = (before, moved.control) {
        saved.deal = Some((before, c.deals[dest]));
    }
    saved
}

/// Restores what an agreement changed, where the agreed value still holds:
/// every lever restores its own policy (`Lever::restore`).
pub fn restore(
    saved: &SavedPolicy,
    dest: usize,
    control: Option<&mut ExportControl>,
    restrictions: &mut Query<(Entity, &mut TechRestriction)>,
) {
    let mut moved = levers::Moved {
        dest,
        control,
        restrictions,
    };
    for lever in levers::LEVERS {
        lever.restore(saved, &mut moved);
    }
}

/// What the moves of one track this week are applied with.
struct TrackCtx<'a> {
    week: u32,
    /// The track's parties' states, in party order (consumer, supplier).
    parties: [StateIx; 2],
    material: MaterialIx,
    track: &'a Track,
    name: String,
    codes: [String; 2],
    pressures: [f64; 2],
    n: &'a NegotiationParams,
    totals: &'a mut RunTotals,
    /// (from, to, change) of trust, applied after every track has moved.
    trust: &'a mut Vec<(StateIx, StateIx, f64)>,
    /// The beliefs of talks that ended this week, for the track to keep.
    ended: Option<Vec<crate::negotiation::belief::Belief>>,
    /// The beliefs the track keeps between talks (taken out of it for the
    /// week), which talks that open start from.
    kept: Vec<crate::negotiation::belief::Belief>,
    /// Whether the consumer climbed a rung this week (the supplier's probe
    /// cuts its licences' validity).
    consumer_escalated: bool,
}

impl TrackCtx<'_> {
    /// A transcript row of this track.
    fn row(
        &mut self,
        round: u32,
        event: &'static str,
        actor: String,
        terms: Vec<Term>,
        u: Option<&[f64]>,
        why: Option<Why>,
        note: String,
    ) {
        self.totals.transcript.push(TranscriptRow {
            week: self.week,
            track: self.name.clone(),
            round,
            event,
            actor,
            terms,
            u_consumer: u.map(|u| u[0]),
            u_supplier: u.map(|u| u[1]),
            why,
            note,
        });
    }

    /// Trust of every party in every other changes by `delta`.
    fn trust_all(&mut self, delta: f64) {
        let [c, s] = self.parties;
        self.trust.push((c, s, delta));
        self.trust.push((s, c, delta));
    }

    fn cooldown(&self) -> TrackStatus {
        TrackStatus::BrokenDown {
            until: self
                .week
                .saturating_add(self.n.cooldown_weeks.round() as u32),
        }
    }
}

/// The export control on the track's material held by its supplier.
fn control_of<'a>(
    controls: &'a mut Query<&mut ExportControl>,
    supplier: StateIx,
    material: MaterialIx,
) -> Option<Mut<'a, ExportControl>> {
    controls
        .iter_mut()
        .find(|x| x.owner == supplier && x.material == material)
}

/// The issues on the track's table as the policies stand now.
fn current_space(
    ctx: &TrackCtx,
    controls: &Query<&mut ExportControl>,
    restrictions: &Query<(Entity, &mut TechRestriction)>,
) -> IssueSpace {
    let [c, s] = ctx.parties;
    let control = controls
        .iter()
        .find(|x| x.owner == s && x.material == ctx.material);
    build_space(c, s, control, restrictions.iter().map(|(_, r)| r))
}

/// Applies a protocol's moves, in order: the policies they change, the
/// transcript, the run's counts and trust; returns the track's new status.
fn flush(
    moves: Vec<Move>,
    mut status: TrackStatus,
    round: u32,
    ctx: &mut TrackCtx,
    controls: &mut Query<&mut ExportControl>,
    restrictions: &mut Query<(Entity, &mut TechRestriction)>,
) -> TrackStatus {
    let [c, s] = ctx.parties;
    for mv in moves {
        // A move that does not fit the track's status, or names a party the
        // track does not have, is a protocol's bug: stop, saying which.
        let fits = match (&mv, &status) {
            (Move::Open { .. }, TrackStatus::Idle) => true,
            (Move::Open { .. }, TrackStatus::BrokenDown { until }) => ctx.week >= *until,
            (
                Move::Offer { .. }
                | Move::Reject { .. }
                | Move::Accept { .. }
                | Move::Agreement { .. }
                | Move::Breakdown { .. },
                TrackStatus::Open(_),
            ) => true,
            (Move::Expiry | Move::Defection { .. }, TrackStatus::Agreed(_)) => true,
            // on an agreement in force, an escalation breaks it
            (Move::Climb { .. }, _) => true,
            _ => false,
        };
        assert!(
            fits,
            "the protocol sent {mv:?} while the track is {}",
            status.label()
        );
        if let Move::Open { by }
        | Move::Offer { by, .. }
        | Move::Reject { by, .. }
        | Move::Accept { by, .. }
        | Move::Defection { by, .. }
        | Move::Climb { by, .. } = mv
        {
            assert!(
                by < ctx.parties.len(),
                "party {by} of a track of {} parties",
                ctx.parties.len()
            );
        }
        match mv {
            Move::Open { by } => {
                let space = current_space(ctx, controls, restrictions);
                if space.issues.is_empty() {
                    continue;
                }
                let note = format!(
                    "pressure {}={:.3}, {}={:.3}",
                    ctx.codes[0], ctx.pressures[0], ctx.codes[1], ctx.pressures[1]
                );
                ctx.row(
                    0,
                    "open",
                    ctx.codes[by].clone(),
                    Vec::new(),
                    None,
                    None,
                    note,
                );
                ctx.totals.talks_opened += 1;
                status = TrackStatus::Open(Talks {
                    space,
                    opened_at: ctx.week,
                    opener: by,
                    round: 0,
                    deadline_rounds: ctx.n.deadline_weeks.round().max(1.0) as u32,
                    breakdown_probability: ctx.n.breakdown_probability,
                    standing: None,
                    beliefs: ctx.kept.clone(),
                });
            }
            Move::Offer {
                by,
                ref offer,
                ref utilities,
                why,
            }
            | Move::Accept {
                by,
                ref offer,
                ref utilities,
                why,
            } => {
                let TrackStatus::Open(talks) = &status else {
                    unreachable!("checked above")
                };
                let event = if matches!(mv, Move::Offer { .. }) {
                    "offer"
                } else {
                    "accept"
                };
                let terms = offer.terms(&talks.space);
                let who = ctx.codes[by].clone();
                ctx.row(
                    round,
                    event,
                    who,
                    terms,
                    Some(utilities),
                    Some(why),
                    String::new(),
                );
            }
            Move::Reject { by, utilities, why } => {
                let who = ctx.codes[by].clone();
                ctx.row(
                    round,
                    "reject",
                    who,
                    Vec::new(),
                    Some(&utilities),
                    Some(why),
                    String::new(),
                );
            }
            Move::Agreement { offer, utilities } => {
                let TrackStatus::Open(talks) = &status else {
                    unreachable!("checked above")
                };
                ctx.ended = Some(talks.beliefs.clone());
                let space = talks.space.clone();
                let terms = offer.terms(&space);
                let mut control = control_of(controls, s, ctx.material);
                let saved = apply_terms(
                    &space,
                    &offer,
                    ctx.track,
                    control.as_deref_mut(),
                    restrictions,
                );
                let until = ctx.week.saturating_add(ctx.n.term_weeks.round() as u32);
                let note = format!("in force until week {until}");
                ctx.row(
                    round,
                    "agreement",
                    String::new(),
                    terms,
                    Some(&utilities),
                    None,
                    note,
                );
                ctx.totals.agreements += 1;
                if ctx.totals.first_agreement_week.is_none() {
                    ctx.totals.first_agreement_week = Some(ctx.week);
                }
                ctx.trust_all(ctx.n.trust_gain);
                status = TrackStatus::Agreed(Agreement {
                    space,
                    offer,
                    since: ctx.week,
                    until,
                    saved,
                });
            }
            Move::Breakdown { reason } => {
                if let TrackStatus::Open(talks) = &status {
                    ctx.ended = Some(talks.beliefs.clone());
                }
                let note = match reason {
                    BreakdownReason::Walkout => "walkout after a rejection",
                    BreakdownReason::Deadline => "deadline passed",
                };
                ctx.row(
                    round,
                    "breakdown",
                    String::new(),
                    Vec::new(),
                    None,
                    None,
                    note.into(),
                );
                ctx.totals.breakdowns += 1;
                ctx.trust_all(-ctx.n.breakdown_trust_loss);
                status = ctx.cooldown();
            }
            Move::Expiry => {
                let TrackStatus::Agreed(ag) = &status else {
                    unreachable!("checked above")
                };
                let mut control = control_of(controls, s, ctx.material);
                restore(&ag.saved, c as usize, control.as_deref_mut(), restrictions);
                let (terms, note) = (
                    ag.offer.terms(&ag.space),
                    format!("agreed in week {}", ag.since),
                );
                ctx.row(0, "expiry", String::new(), terms, None, None, note);
                ctx.totals.expiries += 1;
                status = TrackStatus::Idle;
            }
            Move::Defection {
                by,
                utilities,
                gain,
            } => {
                let TrackStatus::Agreed(ag) = &status else {
                    unreachable!("checked above")
                };
                let note = format!("gain {gain:.3} over no deal");
                status = defect(ag, by, Some(&utilities), note, ctx, controls, restrictions);
            }
            Move::Climb {
                by,
                step,
                value,
                probability,
            } => {
                // an escalation while an agreement is in force breaks the
                // agreement: a defection by the mover, then its move
                if let TrackStatus::Agreed(ag) = &status
                    && step.escalates()
                    && ctx.week < ag.until
                {
                    let note = format!("by escalating {}", step.policy);
                    status = defect(ag, by, None, note, ctx, controls, restrictions);
                }
                let mut control = control_of(controls, s, ctx.material);
                let mut moved = levers::Moved {
                    dest: c as usize,
                    control: control.as_deref_mut(),
                    restrictions,
                };
                let lever = levers::LEVERS[step.lever];
                lever.climb(&step, &mut moved, ctx.week);
                let state = ctx.parties[by] as usize;
                let event = if step.escalates() {
                    ctx.consumer_escalated |= by == 0;
                    ctx.totals.escalations[state] += 1;
                    ctx.totals.first_escalation[state].get_or_insert(ctx.week);
                    "escalate"
                } else {
                    ctx.totals.withdrawals[state] += 1;
                    "withdraw"
                };
                let note = format!(
                    "{} {:.3} -> {:.3}: worth {value:.3} pressure-weeks over holding (probability {probability:.3})",
                    step.policy, step.from, step.to
                );
                let terms = vec![Term {
                    issue: step.policy.clone(),
                    value: step.to,
                    unit: lever.unit(),
                }];
                let who = ctx.codes[by].clone();
                ctx.row(round, event, who, terms, None, None, note);
            }
        }
    }
    status
}

/// Party `by` defects from the agreement in force `ag`: what it changed is
/// restored, the victim's trust in the defector falls, and the track
/// cools down (its new status).
fn defect(
    ag: &Agreement,
    by: PartyIx,
    utilities: Option<&[f64]>,
    note: String,
    ctx: &mut TrackCtx,
    controls: &mut Query<&mut ExportControl>,
    restrictions: &mut Query<(Entity, &mut TechRestriction)>,
) -> TrackStatus {
    let [c, s] = ctx.parties;
    let mut control = control_of(controls, s, ctx.material);
    restore(&ag.saved, c as usize, control.as_deref_mut(), restrictions);
    let terms = ag.offer.terms(&ag.space);
    let who = ctx.codes[by].clone();
    ctx.row(0, "defection", who, terms, utilities, None, note);
    let (defector, victim) = (ctx.parties[by], ctx.parties[1 - by]);
    ctx.trust
        .push((victim, defector, -ctx.n.defection_trust_loss));
    ctx.totals.defections += 1;
    ctx.cooldown()
}

/// The parties' beliefs this week: the open talks', else those kept for
/// the pair (`kept`), each started from the common prior (the other's grid
/// of types).
fn beliefs_of<'a>(
    status: &'a mut TrackStatus,
    kept: &'a mut Vec<crate::negotiation::belief::Belief>,
    types: [&[f64]; 2],
) -> &'a mut Vec<crate::negotiation::belief::Belief> {
    let beliefs = match status {
        TrackStatus::Open(talks) => &mut talks.beliefs,
        _ => kept,
    };
    if beliefs.len() != 2 {
        *beliefs = (0..2)
            .map(|i| crate::negotiation::belief::Belief::uniform(types[1 - i].to_vec()))
            .collect();
    }
    beliefs
}

/// Each track in id order: the protocol reviews an agreement in force,
/// may open talks on an idle track, and plays one round of open talks;
/// after each, its moves are flushed (applied) before the next.
pub fn negotiate(
    clock: Res<Clock>,
    seed: Res<Seed>,
    settings: Res<Settings>,
    registry: Res<Registry>,
    protocol: Res<ActiveProtocol>,
    stats: Res<WeekStats>,
    mut totals: ResMut<RunTotals>,
    mut beliefs: ResMut<Beliefs>,
    mut tracks: Query<&mut Track>,
    mut states: Query<(
        &StateAgent,
        &Prefs,
        &Resolve,
        &Pressure,
        &PressureWeights,
        &mut Trust,
    )>,
    mut controls: Query<&mut ExportControl>,
    mut restrictions: Query<(Entity, &mut TechRestriction)>,
) {
    let week = clock.week;
    let n = &settings.negotiation;
    let protocol = &*protocol.0;
    let ns = registry.states.len();
    let mut views: Vec<Option<StateView>> = vec![None; ns];
    let mut trust = vec![vec![1.0; ns]; ns];
    for (agent, prefs, resolve, pressure, weights, t) in &states {
        views[agent.ix as usize] = Some(StateView {
            prefs: prefs.0.clone(),
            pressure: pressure.smoothed,
            readiness: 0.0,
            resolve: resolve.clone(),
            weights: weights.0.clone(),
        });
        trust[agent.ix as usize] = t.0.clone();
    }
    let mut trust_changes: Vec<(StateIx, StateIx, f64)> = Vec::new();
    // the pairs whose first track has been seen this week, and the states
    // that climbed a rung this week (their suppliers' probes cut)
    let mut pairs: Vec<(StateIx, StateIx)> = Vec::new();
    let mut escalated = vec![false; ns];
    let mut list: Vec<Mut<Track>> = tracks.iter_mut().collect();
    list.sort_by_key(|t| t.id);
    for mut track in list {
        let (c, s, m) = (track.consumer, track.supplier, track.material);
        let (Some(mut cv), Some(sv)) = (views[c as usize].clone(), views[s as usize].clone())
        else {
            continue;
        };
        cv.readiness = {
            let control = controls.iter().find(|x| x.owner == s && x.material == m);
            closable_gap(&stats, c, m, control, settings.supply.priority)
        };
        let outside = [
            stats.outside_supply[c as usize][m as usize],
            registry.baseline_imports[m as usize][c as usize],
        ];
        let promise = |t: f64| 1.0 - n.trust_weight + n.trust_weight * t;
        let trusts = [
            promise(trust[c as usize][s as usize]),
            promise(trust[s as usize][c as usize]),
        ];
        let mut status = std::mem::replace(&mut track.status, TrackStatus::Idle);
        let kept = beliefs.of(&[c, s]);
        let mut ctx = TrackCtx {
            week,
            parties: [c, s],
            material: m,
            track: &track,
            name: track_name(&registry, &track),
            codes: [c, s].map(|x| registry.states[x as usize].clone()),
            pressures: [cv.pressure, sv.pressure],
            n,
            totals: &mut totals,
            trust: &mut trust_changes,
            ended: None,
            kept,
            consumer_escalated: false,
        };
        let mut out = Outbox::default();
        let sides = |space: &IssueSpace,
                     controls: &Query<&mut ExportControl>,
                     restrictions: &Query<(Entity, &mut TechRestriction)>| {
            let control = controls.iter().find(|x| x.owner == s && x.material == m);
            side_views(space, &cv, &sv, trusts, outside, control, |id| {
                find_restriction(restrictions, id)
            })
        };

        // 0. An agreement in force expires or is defected from (first, so
        // that the choices below see what an expiry restored).
        let mut reopen = false;
        if let TrackStatus::Agreed(ag) = &status {
            let expired = week >= ag.until;
            let parties = sides(&ag.space, &controls, &restrictions);
            let in_force = InForce {
                space: &ag.space,
                offer: &ag.offer,
                expired,
            };
            protocol.review(in_force, &parties, &mut out);
            let moves = out.flush();
            reopen = n.reopen_on_expiry && moves.contains(&Move::Expiry);
            status = flush(moves, status, 0, &mut ctx, &mut controls, &mut restrictions);
        }

        // 1. Each side may move one policy one rung; escalating while an
        // agreement is in force breaks it, at the cost of the mover's word.
        {
            let truce = matches!(status, TrackStatus::Agreed(_));
            // a restriction is the pair's, not a track's: its rungs are
            // offered on the pair's first track only
            let first_of_pair = !pairs.contains(&(c, s));
            pairs.push((c, s));
            let choices = {
                let control = controls.iter().find(|x| x.owner == s && x.material == m);
                let all: Vec<&TechRestriction> = restrictions.iter().map(|(_, r)| r).collect();
                let table = levers::Table {
                    consumer: c,
                    supplier: s,
                    control,
                    restrictions: &all,
                };
                let demand = stats.states.get(c as usize).map_or(0.0, |x| x.demand);
                let allied = registry.other_supply[c as usize][m as usize];
                let available = stats.exports[m as usize][c as usize]
                    + stats.pool_capacity[c as usize][m as usize];
                [(Side::Consumer, &cv, &sv), (Side::Supplier, &sv, &cv)].map(|(side, me, other)| {
                    let opponent = levers::Opponent {
                        week,
                        weights: &other.weights,
                        allied_supply: allied,
                        demand,
                        available,
                    };
                    let steps = if side == Side::Consumer && !first_of_pair {
                        Vec::new()
                    } else {
                        levers::LEVERS
                            .iter()
                            .enumerate()
                            .flat_map(|(ix, lever)| lever.steps(ix, side, &table, &opponent))
                            .collect()
                    };
                    let key = track.id as u64 * 2 + side.ix() as u64;
                    escalation::Choice {
                        steps,
                        situation: escalation::Situation {
                            own_pressure: me.pressure,
                            other_pressure: other.pressure,
                            audience_cost: me.prefs.audience_cost,
                            // its reputation cost (the utility a defection
                            // must gain) read as a weekly cost over the horizon
                            breach: if truce {
                                me.prefs.reputation_cost * n.escalation_horizon_weeks
                            } else {
                                0.0
                            },
                        },
                        own_rank: me.resolve.rank,
                        draw: rng::uniform(seed.0, Stream::Escalation, key, week as u64),
                    }
                })
            };
            if choices.iter().any(|x| !x.steps.is_empty()) {
                let rule = escalation::Rule {
                    horizon: n.escalation_horizon_weeks,
                    noise: n.escalation_noise,
                    tau: n.response_noise,
                };
                let types = [cv.resolve.types.as_slice(), sv.resolve.types.as_slice()];
                let beliefs = beliefs_of(&mut status, &mut ctx.kept, types);
                protocol.escalate(&choices, beliefs, &rule, &mut out);
                let round = match &status {
                    TrackStatus::Open(talks) => talks.round,
                    _ => 0,
                };
                status = flush(
                    out.flush(),
                    status,
                    round,
                    &mut ctx,
                    &mut controls,
                    &mut restrictions,
                );
            }
        }

        // The supplier's probe: its licences to the consumer last longer
        // after quiet weeks, and are cut back after an escalation or a
        // detected diversion.
        let detected = stats
            .detected
            .get(s as usize)
            .and_then(|r| r.get(c as usize));
        escalated[c as usize] |= ctx.consumer_escalated;
        let breach = escalated[c as usize] || detected.is_some_and(|&d| d > 0);
        if let Some(mut control) = control_of(&mut controls, s, m) {
            let max = control.validity_range.1;
            if let Some(p) = control.probe.as_mut() {
                p.week(c as usize, week, breach, max);
            }
        }

        // 2. Talks open when a side's pressure crosses its threshold (or at once on expiry).
        let may_open = match status {
            TrackStatus::Idle => true,
            TrackStatus::BrokenDown { until } => week >= until,
            _ => false,
        };
        if may_open {
            let margins = [
                cv.pressure - cv.prefs.open_threshold,
                sv.pressure - sv.prefs.open_threshold,
            ];
            protocol.open(&margins, reopen, &mut out);
            status = flush(
                out.flush(),
                status,
                0,
                &mut ctx,
                &mut controls,
                &mut restrictions,
            );
        }

        // 3. One round of talks, over the issues as the policies stand now
        // (a restriction raised since talks opened joins the table).
        if let TrackStatus::Open(talks) = &mut status {
            let fresh = current_space(&ctx, &controls, &restrictions);
            if fresh != talks.space {
                if let Some((_, offer)) = &mut talks.standing {
                    *offer = remap(offer, &talks.space, &fresh);
                }
                talks.space = fresh;
            }
            let parties = sides(&talks.space, &controls, &restrictions);
            let draw = rng::uniform(seed.0, Stream::Breakdown, track.id as u64, week as u64);
            let round = talks.round + 1;
            protocol.step(talks, &parties, draw, &mut out);
            status = flush(
                out.flush(),
                status,
                round,
                &mut ctx,
                &mut controls,
                &mut restrictions,
            );
        }
        // talks leave the track only by an agreement or a breakdown, which
        // hand their beliefs over
        let left = ctx.ended.take().unwrap_or(std::mem::take(&mut ctx.kept));
        beliefs.keep(&[c, s], left);
        track.status = status;
    }
    for (agent, _, _, _, _, mut trust) in &mut states {
        for &(from, to, delta) in &trust_changes {
            if from == agent.ix {
                let t = &mut trust.0[to as usize];
                *t = (*t + delta).clamp(0.0, 1.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Sampler;
    use bevy_ecs::system::SystemState;

    fn control() -> ExportControl {
        ExportControl {
            owner: 1,
            material: 0,
            active: true,
            licence_required: [true; 3],
            review_lag: Sampler::Fixed(9.0),
            validity_weeks: 26.0,
            validity_range: (4.0, 52.0),
            approval: [0.3, 0.2, 0.0],
            military_ban: true,
            general_licence: false,
            extraterritorial: true,
            extraterritorial_share: 0.3,
            reach_cost: None,
            reach_since: 0,
            probe: None,
            reapply_weeks: 4.0,
            headroom: 1.5,
            trust_weight: 0.5,
            breakdown_penalty: 0.5,
            deals: vec![Deal::default(); 3],
            conceded_approval: 0.0,
            general_licence_agreements: 0,
            reach_suspensions: 0,
        }
    }

    fn restriction(id: u32, sector: &str, level: f64) -> TechRestriction {
        TechRestriction {
            id,
            owner: 0,
            target: 1,
            sector: sector.into(),
            level,
            value_to_target: 1.0,
            security_cost: 1.0,
            conceded: 0.0,
            ladder: None,
            since: 0,
            output_per_week: 0.0,
        }
    }

    /// The track of the tests: consumer 0, supplier 1, material 0.
    fn track() -> Track {
        Track {
            id: 0,
            supplier: 1,
            consumer: 0,
            material: 0,
            status: TrackStatus::Idle,
        }
    }

    /// What a track's policies are: the deal with the consumer and its
    /// terms, and each restriction's level.
    fn policy_state(c: &ExportControl, world: &mut World) -> String {
        let mut q = world.query::<&TechRestriction>();
        let levels: Vec<f64> = q.iter(world).map(|r| r.level).collect();
        format!(
            "{:?} {} {} {} {} {levels:?}",
            c.deals[0],
            c.approval_for(0, EndUse::Civilian),
            c.validity_for(0),
            c.general_for(0),
            c.reach_for(0)
        )
    }

    /// Every lever of `levers::LEVERS` puts an issue on the table of a
    /// track where it can move, moves its policy when agreed in full, and
    /// restores it on expiry: a new lever is checked as soon as it is
    /// registered.
    #[test]
    fn every_lever_moves_its_policy_and_restores_it() {
        for (ix, lever) in levers::LEVERS.iter().enumerate() {
            let mut world = World::new();
            world.spawn(restriction(0, "chips", 0.8));
            let mut state: SystemState<Query<(Entity, &mut TechRestriction)>> =
                SystemState::new(&mut world);
            let mut c = control();
            let track = track();
            let table = {
                let q = state.get_mut(&mut world).unwrap();
                build_space(0, 1, Some(&c), q.iter().map(|(_, r)| r))
            };
            // this lever's issues alone, so that what moves is this lever's doing
            let space = IssueSpace {
                issues: table.issues.into_iter().filter(|i| i.lever == ix).collect(),
            };
            assert!(
                !space.issues.is_empty(),
                "lever {ix} has no issue on the table"
            );
            let i = 0;
            assert_eq!(space.issues[i].name(), lever.name(&space.issues[i]));
            let mut x = vec![0.0; space.issues.len()];
            x[i] = 1.0;
            let before = policy_state(&c, &mut world);
            let saved = {
                let mut q = state.get_mut(&mut world).unwrap();
                apply_terms(&space, &Offer(x), &track, Some(&mut c), &mut q)
            };
            let agreed = policy_state(&c, &mut world);
            assert_ne!(
                agreed,
                before,
                "{}: the agreement moves nothing",
                lever.name(&space.issues[i])
            );
            {
                let mut q = state.get_mut(&mut world).unwrap();
                restore(&saved, 0, Some(&mut c), &mut q);
            }
            assert_eq!(
                policy_state(&c, &mut world),
                before,
                "{}",
                lever.name(&space.issues[i])
            );
        }
    }

    #[test]
    fn terms_apply_to_the_consumer_only_and_restore_spares_later_events() {
        let mut world = World::new();
        let chips = world.spawn(restriction(0, "chips", 0.8)).id();
        let ethane = world.spawn(restriction(1, "ethane", 0.6)).id();
        let mut state: SystemState<Query<(Entity, &mut TechRestriction)>> =
            SystemState::new(&mut world);
        let mut c = control();
        let track = track();
        let space = {
            let q = state.get_mut(&mut world).unwrap();
            build_space(0, 1, Some(&c), q.iter().map(|(_, r)| r))
        };
        let names: Vec<String> = space.issues.iter().map(Issue::name).collect();
        assert_eq!(
            names,
            [
                "relief[chips]",
                "relief[ethane]",
                "civilian_approval",
                "licence_validity",
                "general_licence",
                "suspend_expanded"
            ]
        );
        // lift all of ethane, half of nothing else; approval to the top; suspend reach
        let offer = Offer(vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
        let saved = {
            let mut q = state.get_mut(&mut world).unwrap();
            apply_terms(&space, &offer, &track, Some(&mut c), &mut q)
        };
        assert_eq!(world.get::<TechRestriction>(ethane).unwrap().level, 0.0);
        assert_eq!(
            world.get::<TechRestriction>(chips).unwrap().level,
            0.8,
            "x = 0 leaves a restriction alone"
        );
        assert_eq!(c.approval_for(0, EndUse::Civilian), 1.0);
        assert_eq!(
            c.approval_for(2, EndUse::Civilian),
            0.3,
            "a third state keeps the base terms"
        );
        assert!(!c.reach_for(0) && c.reach_for(2));
        // a scheduled event raises ethane again while the deal is in force
        world.get_mut::<TechRestriction>(ethane).unwrap().level = 0.9;
        {
            let mut q = state.get_mut(&mut world).unwrap();
            restore(&saved, 0, Some(&mut c), &mut q);
        }
        assert_eq!(
            world.get::<TechRestriction>(ethane).unwrap().level,
            0.9,
            "restore does not undo a later event"
        );
        assert_eq!(c.approval_for(0, EndUse::Civilian), 0.3);
        assert!(c.reach_for(0));
        assert_eq!(c.conceded_approval, 0.7);
    }
}
