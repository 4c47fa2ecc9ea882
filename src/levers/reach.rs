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

    /// The supplier's rung: a control with a `reach_cost` may switch its
    /// reach on (or off). Switched on, it cuts the consumer's third-country
    /// supply by the control's share, which becomes a shortage beyond the
    /// consumer's slack this week (what it could get over its demand);
    /// switched off, it relieves as much of the present shortage as it
    /// cut. The consumer's firms that lose supply lose output in proportion
    /// (fixed intensities), so its pressure sum changes by
    /// (w_lost_output + w_price) x shortage / demand. Its cost is the
    /// supplier's, a week while on.
    fn steps(&self, ix: LeverIx, side: Side, t: &Table, other: &Opponent) -> Vec<Step> {
        let Some(c) = t.control else {
            return Vec::new();
        };
        let Some(cost) = c.reach_cost else {
            return Vec::new();
        };
        if side != Side::Supplier || !c.active || other.demand <= 0.0 {
            return Vec::new();
        }
        // suspended for the consumer by an agreement, the reach neither
        // bites nor costs, and is not the supplier's to move until it ends
        if c.deals[t.consumer as usize]
            .reach_suspended
            .unwrap_or(false)
        {
            return Vec::new();
        }
        let cut = other.allied_supply * c.extraterritorial_share;
        let (from, to, shortage) = if c.extraterritorial {
            let short = (other.demand - other.available).max(0.0);
            (1.0, 0.0, cut.min(short))
        } else {
            let slack = (other.available - other.demand).max(0.0);
            (0.0, 1.0, (cut - slack).max(0.0))
        };
        let bite =
            (other.weights.lost_output + other.weights.price) * (shortage / other.demand).min(1.0);
        vec![Step {
            lever: ix,
            target: 0,
            policy: "extraterritorial_reach".into(),
            from,
            to,
            effect: bite * (to - from),
            cost: cost * (to - from),
            stood: other.week.saturating_sub(c.reach_since),
        }]
    }

    fn climb(&self, step: &Step, p: &mut Moved<'_, '_, '_, '_>, week: u32) {
        if let Some(c) = p.control.as_deref_mut() {
            c.extraterritorial = step.to >= 0.5;
            c.reach_since = week;
        }
    }
}
