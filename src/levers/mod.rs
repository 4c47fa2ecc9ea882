//! Levers: the policies a state can move in a negotiation. One file per
//! lever knows when it is on the table (its issues, from the policies as
//! they stand), its weight in each side's utility, how an agreed value is
//! applied to the policies and how it is restored on expiry or defection.
//! A new lever is its file here and one line in [`LEVERS`].

pub mod approval;
pub mod general_licence;
pub mod reach;
pub mod relief;
pub mod validity;

use crate::model::*;
use crate::negotiation::escalation::Step;
use crate::negotiation::{Issue, Side};
use bevy_ecs::prelude::*;

/// Every lever, in the order its issues come on the table.
pub static LEVERS: &[&dyn Lever] = &[
    &relief::Relief,
    &approval::CivilianApproval,
    &validity::LicenceValidity,
    &general_licence::GeneralLicence,
    &reach::SuspendReach,
];

/// A lever's place in [`LEVERS`].
pub type LeverIx = usize;

/// The lever of an issue.
pub fn of(issue: &Issue) -> &'static dyn Lever {
    LEVERS[issue.lever]
}

/// The policies between a track's consumer and supplier, as they stand.
pub struct Table<'a> {
    pub consumer: StateIx,
    pub supplier: StateIx,
    /// The supplier's export control on the track's material.
    pub control: Option<&'a ExportControl>,
    pub restrictions: &'a [&'a TechRestriction],
}

/// What the sides' weights on an issue depend on this week.
pub struct Stakes<'a, 'r> {
    pub consumer: &'a Preferences,
    pub supplier: &'a Preferences,
    /// What the consumer's civilian firms get with no deal beyond their
    /// supply before the controls, kg/week (`WeekStats::outside_supply`),
    /// and the consumer's imports from the supplier before the controls.
    pub outside_supply: f64,
    pub imports: f64,
    /// The supplier's export control on the track's material.
    pub control: Option<&'a ExportControl>,
    pub restriction: &'a dyn Fn(u32) -> Option<&'r TechRestriction>,
}

/// An issue's weight in each side's utility, and the concession level x in
/// [0, 1] the consumer gets with no deal (what it has anyway, e.g. from
/// substitution).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub consumer: f64,
    pub supplier: f64,
    pub no_deal: f64,
}

/// The policies an agreement moves: the supplier's control (its deal with
/// the consumer, `dest`) and the restrictions.
pub struct Moved<'a, 'w, 's, 'q> {
    pub dest: usize,
    pub control: Option<&'a mut ExportControl>,
    pub restrictions: &'a mut Query<'w, 's, (Entity, &'q mut TechRestriction)>,
}

/// A policy a state can move.
pub trait Lever: Sync {
    /// The issue's name in the transcript and terms.csv.
    fn name(&self, issue: &Issue) -> String;
    /// The unit of the issue's value.
    fn unit(&self) -> &'static str;
    /// Its issues on the table (`ix` is its place in [`LEVERS`]).
    fn issues(&self, ix: LeverIx, table: &Table) -> Vec<Issue>;
    /// The issue's weights this week.
    fn weights(&self, issue: &Issue, stakes: &Stakes<'_, '_>) -> Weights;
    /// Applies agreed concession level `x`, recording what it replaced.
    fn apply(
        &self,
        issue: &Issue,
        x: f64,
        policies: &mut Moved<'_, '_, '_, '_>,
        saved: &mut SavedPolicy,
    );
    /// Restores what an agreement changed, where the agreed value still
    /// holds (an event since the agreement is not undone).
    fn restore(&self, saved: &SavedPolicy, policies: &mut Moved<'_, '_, '_, '_>);

    /// The one-rung moves of its escalation ladder this lever offers
    /// `side` of the track this week (`ix` is its place in [`LEVERS`]),
    /// with their effect on the other side's pressure. None by default.
    fn steps(&self, _ix: LeverIx, _side: Side, _table: &Table, _other: &Opponent) -> Vec<Step> {
        Vec::new()
    }

    /// Moves the policy as `step` says, in week `week`.
    fn climb(&self, _step: &Step, _policies: &mut Moved<'_, '_, '_, '_>, _week: u32) {}
}

/// What a rung does to the state on the other side of the track, and when.
pub struct Opponent<'a> {
    pub week: u32,
    /// The other side's pressure weights.
    pub weights: &'a PressureParams,
    /// The consumer's third-country supply of the track's material before
    /// any cut, its demand at full capacity this week, and what it could
    /// get this week (the supplier's exports to it plus its non-supplier
    /// capacity after any cut), kg/week.
    pub allied_supply: f64,
    pub demand: f64,
    pub available: f64,
}

/// An issue the supplier gives, from `low` (its status quo) to `high`.
pub fn supplier_issue(lever: LeverIx, binary: bool, low: f64, high: f64) -> Issue {
    Issue {
        lever,
        target: 0,
        label: String::new(),
        giver: Side::Supplier,
        binary,
        low,
        high,
    }
}

/// Sets `field` back to `before` if it still holds `after`.
pub fn undo<T: PartialEq>(field: &mut T, before: T, after: T) {
    if *field == after {
        *field = before;
    }
}

/// Restores one field of the supplier's deal with the consumer.
pub fn restore_deal<T: PartialEq + Copy>(
    saved: &SavedPolicy,
    policies: &mut Moved<'_, '_, '_, '_>,
    field: fn(&mut Deal) -> &mut T,
) {
    if let (Some(c), Some((before, after))) = (policies.control.as_deref_mut(), saved.deal) {
        let (mut before, mut after) = (before, after);
        let (b, a) = (*field(&mut before), *field(&mut after));
        undo(field(&mut c.deals[policies.dest]), b, a);
    }
}
