//! The civilian approval rate the supplier grants the consumer's civilian
//! firms, raised from its current rate towards 1.

use super::*;

pub struct CivilianApproval;

impl Lever for CivilianApproval {
    fn name(&self, _: &Issue) -> String {
        "civilian_approval".into()
    }

    fn unit(&self) -> &'static str {
        "probability"
    }

    fn issues(&self, ix: LeverIx, t: &Table) -> Vec<Issue> {
        let Some(c) = t.control else {
            return Vec::new();
        };
        let approval = c.approval_for(t.consumer as usize, EndUse::Civilian);
        if approval < 1.0 {
            vec![supplier_issue(ix, false, approval, 1.0)]
        } else {
            Vec::new()
        }
    }

    /// Weighed by each side's salience of approval over its span, the
    /// the consumer's a promise (valued at its trust); with no deal the
    /// consumer still has its outside supply, counted as the approval that
    /// would bring as much (`no_deal_level`).
    fn weights(&self, issue: &Issue, s: &Stakes<'_, '_>) -> Weights {
        let span = (issue.high - issue.low).abs();
        Weights {
            consumer: s.consumer.salience.civilian_approval * span,
            supplier: s.supplier.salience.civilian_approval * span,
            no_deal: no_deal_level(issue, s),
        }
    }

    /// The deal's rate becomes the agreed value (never lower than now).
    fn apply(&self, issue: &Issue, x: f64, p: &mut Moved<'_, '_, '_, '_>, _: &mut SavedPolicy) {
        if let Some(c) = p.control.as_deref_mut() {
            let now = c.approval_for(p.dest, EndUse::Civilian);
            let new = now.max(issue.value(x));
            c.conceded_approval += new - now;
            c.deals[p.dest].civilian_approval = Some(new);
        }
    }

    fn restore(&self, saved: &SavedPolicy, p: &mut Moved<'_, '_, '_, '_>) {
        restore_deal(saved, p, |d| &mut d.civilian_approval);
    }
}

/// The concession level on approval that brings the consumer as much as
/// its outside supply O (kg/week): raising approval from a to a + x (1 - a)
/// brings x (1 - a) B more of the imports B, so x = O / ((1 - a) B), in
/// [0, 1] (0 when O is negative or there were no imports).
pub fn no_deal_level(issue: &Issue, s: &Stakes<'_, '_>) -> f64 {
    let room = (issue.high - issue.low).abs() * s.imports;
    if room > 0.0 {
        (s.outside_supply / room).clamp(0.0, 1.0)
    } else {
        0.0
    }
}
