//! The verbs: one module per phase of the tick. Systems are thin; the
//! per-firm arithmetic is in plain functions that unit tests call directly.

pub mod adaptation;
pub mod diversion;
pub mod events;
pub mod industry;
pub mod licensing;
pub mod negotiate;
pub mod pressure;
pub mod production;
pub mod substitution;
pub mod supply;

use crate::schedule::Plugin;
use bevy_ecs::prelude::*;

/// Every plugin, in tick order: the process overview of `models/ODD.md`
/// (section 3). A new phase is a module here with a `PLUGIN`, declared
/// above and listed here.
pub const PLUGINS: &[Plugin] = &[
    events::PLUGIN,
    licensing::PLUGIN,
    supply::PLUGIN,
    diversion::PLUGIN,
    production::PLUGIN,
    industry::PLUGIN,
    substitution::PLUGIN,
    adaptation::PLUGIN,
    pressure::PLUGIN,
    negotiate::PLUGIN,
    crate::metrics::PLUGIN,
];

/// Whether per-firm systems split their work over the rayon pool.
/// Output does not depend on it: per-firm updates are independent and
/// reductions combine fixed chunks in order (`crate::par`).
#[derive(Resource, Debug, Clone, Copy)]
pub struct Parallel(pub bool);

/// Firm queries iterate table by table over component slices
/// (`contiguous_iter`), which needs every queried component in tables (the
/// default storage).
pub(crate) const DENSE: &str = "firm components are stored in tables";
