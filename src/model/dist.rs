//! Distributions from the scenario, backed by statrs. They are built from
//! the scenario's `Dist` by `config::sampler`, when it is checked.

use rand::Rng;
use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Triangular};

/// A checked distribution ready to sample or invert.
#[derive(Debug, Clone)]
pub enum Sampler {
    Fixed(f64),
    Uniform(f64, f64),
    Triangular(Triangular),
    LogNormal(LogNormal),
    Gamma(Gamma),
    Beta(Beta),
}

impl Sampler {
    /// Whether a draw may be positive (its upper quantile is).
    pub fn may_be_positive(&self) -> bool {
        self.quantile(1.0 - 1e-9) > 0.0
    }

    /// Draws one value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        use rand::distr::Distribution;
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(lo, hi) => {
                let u: f64 = rand::distr::StandardUniform.sample(rng);
                lo + u * (hi - lo)
            }
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        use statrs::statistics::Distribution;
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(lo, hi) => 0.5 * (lo + hi),
            Sampler::Triangular(d) => d.mean().unwrap_or(f64::NAN),
            Sampler::LogNormal(d) => d.mean().unwrap_or(f64::NAN),
            Sampler::Gamma(d) => d.mean().unwrap_or(f64::NAN),
            Sampler::Beta(d) => d.mean().unwrap_or(f64::NAN),
        }
    }

    /// The value at cumulative probability `u` in [0, 1): turns a stateless
    /// uniform draw into a draw from this distribution.
    pub fn quantile(&self, u: f64) -> f64 {
        match self {
            Sampler::Fixed(v) => *v,
            Sampler::Uniform(lo, hi) => lo + u * (hi - lo),
            Sampler::Triangular(d) => d.inverse_cdf(u),
            Sampler::LogNormal(d) => d.inverse_cdf(u),
            Sampler::Gamma(d) => d.inverse_cdf(u),
            Sampler::Beta(d) => d.inverse_cdf(u),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Dist, sampler};
    use crate::rng::{Stream, generator};

    fn mean_of(d: Dist) -> f64 {
        let s = sampler(&d).unwrap();
        let mut rng = generator(1, Stream::Population, 0);
        let n = 20_000;
        (0..n).map(|_| s.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn moment_parametrisations_give_the_stated_mean() {
        for (d, m) in [
            (
                Dist::LogNormal {
                    mean: 10.0,
                    sd: 5.0,
                },
                10.0,
            ),
            (Dist::Gamma { mean: 4.0, sd: 2.0 }, 4.0),
            (Dist::Beta { mean: 0.3, sd: 0.1 }, 0.3),
            (
                Dist::Triangular {
                    min: 6.0,
                    mode: 9.0,
                    max: 12.0,
                },
                9.0,
            ),
            (Dist::Uniform { min: 2.0, max: 4.0 }, 3.0),
        ] {
            let got = mean_of(d);
            assert!(
                (got - m).abs() < 0.03 * m,
                "{d:?}: mean {got}, expected {m}"
            );
        }
    }

    #[test]
    fn quantile_is_monotone() {
        let s = sampler(&Dist::Triangular {
            min: 6.0,
            mode: 9.0,
            max: 12.0,
        })
        .unwrap();
        assert!((s.quantile(0.0) - 6.0).abs() < 1e-9);
        assert!(s.quantile(0.2) < s.quantile(0.8));
    }

    #[test]
    fn a_spread_too_small_for_f64_gives_the_mean() {
        for (d, mean) in [
            (
                Dist::LogNormal {
                    mean: 4294967296.0,
                    sd: 40.0,
                },
                4294967296.0,
            ),
            (
                Dist::LogNormal {
                    mean: 1e308,
                    sd: 80.0,
                },
                1e308,
            ),
            (
                Dist::Gamma {
                    mean: 1e308,
                    sd: 0.05,
                },
                1e308,
            ),
            (
                Dist::Gamma {
                    mean: 0.1,
                    sd: 5e-324,
                },
                0.1,
            ),
            (
                Dist::Beta {
                    mean: 0.8,
                    sd: 1e-320,
                },
                0.8,
            ),
        ] {
            let s = sampler(&d).unwrap_or_else(|e| panic!("{d:?}: {e}"));
            assert_eq!(s.quantile(0.3), mean, "{d:?}");
            assert_eq!(
                s.sample(&mut generator(1, Stream::Population, 0)),
                mean,
                "{d:?}"
            );
        }
    }

    #[test]
    fn parameters_that_give_no_distribution_are_an_error() {
        for d in [
            Dist::Gamma {
                mean: 5e-324,
                sd: 2.0,
            },
            Dist::LogNormal {
                mean: 1e-300,
                sd: 1e300,
            },
            Dist::Triangular {
                min: 1.0,
                mode: 1.0,
                max: 1.0,
            },
        ] {
            assert!(sampler(&d).is_err(), "{d:?}");
        }
    }
}
