//! Seeded random streams.
//!
//! Per-firm draws are stateless: a uniform number is a hash of (run seed,
//! purpose, id, week), so a draw does not depend on which thread makes it,
//! in which order, or how many other draws were made. Populations are drawn
//! at build time from a `Pcg64Mcg` seeded by (run seed, purpose, index).

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// What a draw is for: each purpose is its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    Population = 1,
    ReviewLag = 2,
    Approval = 3,
    Divert = 4,
    Detect = 5,
    Breakdown = 6,
    Links = 7,
    /// Sweep designs (Latin hypercube strata, Sobol scrambling).
    Design = 8,
    /// Run seeds of a sweep, keyed by (design point, replicate).
    Sweep = 9,
    /// Bootstrap resampling of sensitivity indices.
    Bootstrap = 10,
    /// Each state's private resolve, keyed by the state's index.
    Resolve = 11,
    /// Each side's escalation choice, keyed by (track, side) and week.
    Escalation = 12,
    /// The premium a military buyer offers a dual-use firm, keyed by firm and week.
    Offer = 13,
    /// A firm's relocation draw, keyed by firm and week.
    Relocation = 14,
}

/// SplitMix64's finaliser: a bijective 64-bit mixer with good avalanche.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit key from (seed, stream, id, week).
#[inline]
pub fn key(seed: u64, stream: Stream, id: u64, week: u64) -> u64 {
    mix(mix(mix(mix(seed) ^ stream as u64) ^ id) ^ week)
}

/// Largest run seed: run seeds fit in 53 bits, so that every reader that
/// keeps numbers as doubles (R's `read.csv`, JavaScript, a spreadsheet)
/// reads a seed exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// A uniform draw in [0, 1) from (seed, stream, id, week).
#[inline]
pub fn uniform(seed: u64, stream: Stream, id: u64, week: u64) -> f64 {
    (key(seed, stream, id, week) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A generator for sequential draws (population building).
pub fn generator(seed: u64, stream: Stream, index: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(key(seed, stream, index, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_in_range_and_depends_on_every_input() {
        let base = uniform(7, Stream::Approval, 3, 10);
        assert!((0.0..1.0).contains(&base));
        assert_ne!(base, uniform(8, Stream::Approval, 3, 10));
        assert_ne!(base, uniform(7, Stream::Divert, 3, 10));
        assert_ne!(base, uniform(7, Stream::Approval, 4, 10));
        assert_ne!(base, uniform(7, Stream::Approval, 3, 11));
        assert_eq!(base, uniform(7, Stream::Approval, 3, 10));
    }

    #[test]
    fn uniform_mean_is_about_half() {
        let n = 100_000;
        let mean: f64 = (0..n)
            .map(|i| uniform(1, Stream::Approval, i, 0))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }
}
