//! The validity of the licences the supplier grants the consumer's firms,
//! lengthened from its current weeks towards the control's maximum.

use super::*;

pub struct LicenceValidity;

impl Lever for LicenceValidity {
    fn name(&self, _: &Issue) -> String {
        "licence_validity".into()
    }

    fn unit(&self) -> &'static str {
        "weeks"
    }

    fn issues(&self, ix: LeverIx, t: &Table) -> Vec<Issue> {
        let Some(c) = t.control else {
            return Vec::new();
        };
        let validity = c.validity_for(t.consumer as usize);
        if validity < c.validity_range.1 {
            vec![supplier_issue(ix, false, validity, c.validity_range.1)]
        } else {
            Vec::new()
        }
    }

    /// Weighed by each side's salience over its span as a share of the
    /// control's whole validity range.
    fn weights(&self, issue: &Issue, s: &Stakes<'_, '_>) -> Weights {
        let span = (issue.high - issue.low).abs();
        let range = s
            .control
            .map_or(0.0, |c| c.validity_range.1 - c.validity_range.0);
        let share = if range > 0.0 { span / range } else { 0.0 };
        Weights {
            consumer: s.consumer.salience.licence_validity * share,
            supplier: s.supplier.salience.licence_validity * share,
            no_deal: 0.0,
        }
    }

    /// The deal's validity becomes the agreed value, in whole weeks.
    fn apply(&self, issue: &Issue, x: f64, p: &mut Moved<'_, '_, '_, '_>, _: &mut SavedPolicy) {
        if let Some(c) = p.control.as_deref_mut() {
            c.deals[p.dest].validity_weeks = Some(issue.value(x).round());
        }
    }

    fn restore(&self, saved: &SavedPolicy, p: &mut Moved<'_, '_, '_, '_>) {
        restore_deal(saved, p, |d| &mut d.validity_weeks);
    }
}
