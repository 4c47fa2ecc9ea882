//! A general licence for the consumer's civilian buyers: no application
//! needed. Binary.

use super::*;

pub struct GeneralLicence;

impl Lever for GeneralLicence {
    fn name(&self, _: &Issue) -> String {
        "general_licence".into()
    }

    fn unit(&self) -> &'static str {
        "flag"
    }

    fn issues(&self, ix: LeverIx, t: &Table) -> Vec<Issue> {
        match t.control {
            Some(c) if !c.general_for(t.consumer as usize) => {
                vec![supplier_issue(ix, true, 0.0, 1.0)]
            }
            _ => Vec::new(),
        }
    }

    fn weights(&self, _: &Issue, s: &Stakes<'_, '_>) -> Weights {
        Weights {
            consumer: s.consumer.salience.general_licence,
            supplier: s.supplier.salience.general_licence,
            no_deal: 0.0,
        }
    }

    /// On when agreed at 0.5 or more.
    fn apply(&self, _: &Issue, x: f64, p: &mut Moved<'_, '_, '_, '_>, _: &mut SavedPolicy) {
        if let Some(c) = p.control.as_deref_mut()
            && x >= 0.5
        {
            c.general_licence_agreements += 1;
            c.deals[p.dest].general_licence = Some(true);
        }
    }

    fn restore(&self, saved: &SavedPolicy, p: &mut Moved<'_, '_, '_, '_>) {
        restore_deal(saved, p, |d| &mut d.general_licence);
    }
}
