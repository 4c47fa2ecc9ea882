//! Relief on a technology restriction: the consumer lifts a share x of a
//! restriction it holds on the supplier's sector.

use super::*;

pub struct Relief;

impl Lever for Relief {
    fn name(&self, issue: &Issue) -> String {
        format!("relief[{}]", issue.label)
    }

    fn unit(&self) -> &'static str {
        "level"
    }

    /// One issue per restriction the consumer holds on the supplier at a
    /// level above 0, from 0 to that level.
    fn issues(&self, ix: LeverIx, t: &Table) -> Vec<Issue> {
        t.restrictions
            .iter()
            .filter(|r| r.owner == t.consumer && r.target == t.supplier && r.level > 0.0)
            .map(|r| Issue {
                lever: ix,
                target: r.id,
                label: r.sector.clone(),
                giver: Side::Consumer,
                binary: false,
                low: 0.0,
                high: r.level,
            })
            .collect()
    }

    /// The consumer weighs the security cost of the level lifted, the
    /// supplier its value to it.
    fn weights(&self, issue: &Issue, s: &Stakes<'_, '_>) -> Weights {
        let span = (issue.high - issue.low).abs();
        let (value, cost) = (s.restriction)(issue.target)
            .map_or((0.0, 0.0), |r| (r.value_to_target, r.security_cost));
        Weights {
            consumer: cost * span,
            supplier: value * span,
            no_deal: 0.0,
        }
    }

    fn apply(&self, issue: &Issue, x: f64, p: &mut Moved<'_, '_, '_, '_>, saved: &mut SavedPolicy) {
        for (e, mut r) in p.restrictions.iter_mut() {
            if r.id == issue.target && x > 0.0 {
                let new = r.level * (1.0 - x);
                saved.restrictions.push((e, r.level, new));
                r.conceded += r.level - new;
                r.level = new;
            }
        }
    }

    fn restore(&self, saved: &SavedPolicy, p: &mut Moved<'_, '_, '_, '_>) {
        for &(e, before, after) in &saved.restrictions {
            if let Ok((_, mut r)) = p.restrictions.get_mut(e) {
                undo(&mut r.level, before, after);
            }
        }
    }

    /// The consumer's rungs: each restriction it holds on the supplier with
    /// a ladder may go one rung up or down. A level change dx adds
    /// w x dx x value / (the value of every restriction on the supplier) to
    /// the supplier's pressure sum, w its weight on restrictions (the
    /// restrictions term of `pressure::terms`), and costs the consumer
    /// dx x the ladder's cost a week.
    fn steps(&self, ix: LeverIx, side: Side, t: &Table, other: &Opponent) -> Vec<Step> {
        if side != Side::Consumer {
            return Vec::new();
        }
        let possible: f64 = t
            .restrictions
            .iter()
            .filter(|r| r.target == t.supplier)
            .map(|r| r.value_to_target)
            .sum();
        let mut steps = Vec::new();
        for r in t.restrictions {
            let Some(ladder) = &r.ladder else { continue };
            if r.owner != t.consumer || r.target != t.supplier || possible <= 0.0 {
                continue;
            }
            for to in [ladder.up(r.level), ladder.down(r.level)]
                .into_iter()
                .flatten()
            {
                let dx = to - r.level;
                steps.push(Step {
                    lever: ix,
                    target: r.id,
                    policy: format!("restriction[{}]", r.sector),
                    from: r.level,
                    to,
                    effect: other.weights.restrictions * dx * r.value_to_target / possible,
                    cost: ladder.cost * dx,
                    stood: other.week.saturating_sub(r.since),
                });
            }
        }
        steps
    }

    fn climb(&self, step: &Step, p: &mut Moved<'_, '_, '_, '_>, week: u32) {
        for (_, mut r) in p.restrictions.iter_mut() {
            if r.id == step.target {
                // after a breach has restored what the agreement lifted,
                // an escalation never lowers the level, nor a withdrawal
                // raise it
                r.level = if step.escalates() {
                    r.level.max(step.to)
                } else {
                    r.level.min(step.to)
                };
                r.since = week;
            }
        }
    }
}
