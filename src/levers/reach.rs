//! Suspending the control's extraterritorial reach over the consumer (the
//! cut of its third-country supply). Binary.

use super::*;

pub struct SuspendReach;

impl Lever for SuspendReach {
    fn name(&self, _: &Issue) -> String {
        "suspend_expanded".into()
    }

    fn unit(&self) -> &'static str {
        "flag"
    }

    fn issues(&self, ix: LeverIx, t: &Table) -> Vec<Issue> {
        match t.control {
            Some(c) if c.reach_for(t.consumer as usize) => {
                vec![supplier_issue(ix, true, 0.0, 1.0)]
            }
            _ => Vec::new(),
        }
    }

    fn weights(&self, _: &Issue, s: &Stakes<'_, '_>) -> Weights {
        Weights {
            consumer: s.consumer.salience.suspend_expanded,
            supplier: s.supplier.salience.suspend_expanded,
            no_deal: 0.0,
        }
    }

    /// Suspended when agreed at 0.5 or more.
    fn apply(&self, _: &Issue, x: f64, p: &mut Moved<'_, '_, '_, '_>, _: &mut SavedPolicy) {
        if let Some(c) = p.control.as_deref_mut()
            && x >= 0.5
        {
            c.reach_suspensions += 1;
            c.deals[p.dest].reach_suspended = Some(true);
        }
    }

    fn restore(&self, saved: &SavedPolicy, p: &mut Moved<'_, '_, '_, '_>) {
        restore_deal(saved, p, |d| &mut d.reach_suspended);
    }
}
