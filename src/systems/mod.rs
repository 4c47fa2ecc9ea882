//! The verbs: one module per phase of the tick. Systems are thin; the
//! per-firm arithmetic is in plain functions that unit tests call directly.

pub mod diversion;
pub mod events;
pub mod licensing;
pub mod negotiate;
pub mod pressure;
pub mod production;
pub mod substitution;
pub mod supply;

use bevy_ecs::prelude::*;

/// Whether per-firm systems iterate in parallel (`par_iter_mut`).
/// Output does not depend on it: per-firm updates are independent and
/// every reduction runs sequentially in a fixed order.
#[derive(Resource, Debug, Clone, Copy)]
pub struct Parallel(pub bool);

/// Runs `step` on every entity of `query`: with `par_iter_mut` when
/// `parallel`, else in order. `step` must touch only its own entity.
macro_rules! for_each_firm {
    ($query:expr, $parallel:expr, $step:expr) => {
        if $parallel {
            $query.par_iter_mut().for_each($step)
        } else {
            $query.iter_mut().for_each($step)
        }
    };
}
pub(crate) use for_each_firm;
