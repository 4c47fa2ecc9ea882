//! Statistics over a sweep's runs: per-point aggregates over replicates
//! (statrs), and Sobol indices (Jansen estimators) with bootstrap intervals.

use crate::rng::{self, Stream};
use rand::RngExt;
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::statistics::{Data, OrderStatistics, Statistics};

/// Summary of one column over the replicates of one design point.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); NaN when n = 1.
    pub sd: f64,
    /// 95 % confidence interval of the mean, Student t with n - 1 degrees of freedom.
    pub ci_low: f64,
    pub ci_high: f64,
    pub median: f64,
    pub q05: f64,
    pub q95: f64,
}

/// Aggregates `values`; `None` when there are none.
pub fn aggregate(values: &[f64]) -> Option<Aggregate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.mean();
    let sd = if n > 1 { values.std_dev() } else { f64::NAN };
    let half = if n > 1 {
        StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .expect("n > 1")
            .inverse_cdf(0.975)
            * sd
            / (n as f64).sqrt()
    } else {
        f64::NAN
    };
    let mut data = Data::new(values.to_vec());
    Some(Aggregate {
        n,
        mean,
        sd,
        ci_low: mean - half,
        ci_high: mean + half,
        median: data.median(),
        q05: data.quantile(0.05),
        q95: data.quantile(0.95),
    })
}

/// First-order and total Sobol indices of one axis, with 95 % bootstrap intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndex {
    pub first: f64,
    pub first_low: f64,
    pub first_high: f64,
    pub total: f64,
    pub total_low: f64,
    pub total_high: f64,
}

/// Jansen's estimators (Saltelli et al. 2010, table 2) over the samples `rows`:
/// S_i = (V - mean((f_B - f_ABi)^2) / 2) / V and ST_i = mean((f_A - f_ABi)^2) / 2 / V,
/// V the variance of f over A and B together.
fn jansen(fa: &[f64], fb: &[f64], fab: &[Vec<f64>], rows: &[usize]) -> Vec<(f64, f64)> {
    let n = rows.len() as f64;
    let all: Vec<f64> = rows.iter().flat_map(|&j| [fa[j], fb[j]]).collect();
    let v = all.iter().population_variance();
    fab.iter()
        .map(|f| {
            let first = rows.iter().map(|&j| (fb[j] - f[j]).powi(2)).sum::<f64>() / (2.0 * n);
            let total = rows.iter().map(|&j| (fa[j] - f[j]).powi(2)).sum::<f64>() / (2.0 * n);
            ((v - first) / v, total / v)
        })
        .collect()
}

/// Sobol indices of each axis from Saltelli samples: `fa[j]`, `fb[j]` and
/// `fab[i][j]` are the outputs at A_j, B_j and AB_j^i. Intervals come from
/// `resamples` bootstrap resamples of the base samples, seeded by `seed`.
pub fn sobol_indices(
    fa: &[f64],
    fb: &[f64],
    fab: &[Vec<f64>],
    resamples: u32,
    seed: u64,
) -> Vec<SobolIndex> {
    let n = fa.len();
    let all: Vec<usize> = (0..n).collect();
    let point = jansen(fa, fb, fab, &all);
    let mut g = rng::generator(seed, Stream::Bootstrap, 0);
    let mut boot: Vec<Vec<(f64, f64)>> = vec![Vec::with_capacity(resamples as usize); fab.len()];
    for _ in 0..resamples {
        let rows: Vec<usize> = (0..n).map(|_| g.random_range(0..n)).collect();
        for (i, est) in jansen(fa, fb, fab, &rows).into_iter().enumerate() {
            boot[i].push(est);
        }
    }
    point
        .into_iter()
        .zip(boot)
        .map(|((first, total), b)| {
            let interval = |pick: fn(&(f64, f64)) -> f64| -> (f64, f64) {
                let mut d = Data::new(
                    b.iter()
                        .map(pick)
                        .filter(|x| x.is_finite())
                        .collect::<Vec<_>>(),
                );
                if d.is_empty() {
                    (f64::NAN, f64::NAN)
                } else {
                    (d.quantile(0.025), d.quantile(0.975))
                }
            };
            let (first_low, first_high) = interval(|x| x.0);
            let (total_low, total_high) = interval(|x| x.1);
            SobolIndex {
                first,
                first_low,
                first_high,
                total,
                total_low,
                total_high,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AxisDef, AxisValues, Design, Dist, SweepConfig};
    use crate::sweep::design::plan;
    use std::f64::consts::PI;

    #[test]
    fn aggregate_matches_hand_computed_figures() {
        let a = aggregate(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(a.n, 4);
        assert!((a.mean - 2.5).abs() < 1e-12);
        assert!((a.sd - 1.2909944487358056).abs() < 1e-12);
        // t(0.975, 3) = 3.182446305284263
        assert!((a.ci_high - (2.5 + 3.182446305284263 * 1.2909944487358056 / 2.0)).abs() < 1e-9);
        assert!((a.median - 2.5).abs() < 1e-12);
        assert!(aggregate(&[]).is_none());
        let one = aggregate(&[7.0]).unwrap();
        assert!(one.sd.is_nan() && one.ci_low.is_nan() && one.median == 7.0);
    }

    /// The Ishigami function's indices are known in closed form
    /// (a = 7, b = 0.1): S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    #[test]
    fn ishigami_indices_are_recovered() {
        let axes = (0..3)
            .map(|i| AxisDef {
                path: format!("x{i}"),
                values: AxisValues::Distribution(Dist::Uniform { min: 0.0, max: 1.0 }),
            })
            .collect();
        let cfg = SweepConfig {
            base: String::new(),
            axes,
            design: Design::Sobol { samples: 8192 },
            replicates: 1,
            seed: 1,
            sensitivity: vec![],
            bootstrap: 200,
            out: None,
            series: Vec::new(),
        };
        let p = plan(&cfg).unwrap();
        let f: Vec<f64> = (0..p.len())
            .map(|i| p.point(i))
            .map(|pt| {
                let x: Vec<f64> = pt
                    .iter()
                    .map(|v| -PI + 2.0 * PI * v.parse::<f64>().unwrap())
                    .collect();
                x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
            })
            .collect();
        let (n, k) = p.saltelli.unwrap();
        let fa: Vec<f64> = (0..n).map(|j| f[j * (k + 2)]).collect();
        let fb: Vec<f64> = (0..n).map(|j| f[j * (k + 2) + 1]).collect();
        let fab: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..n).map(|j| f[j * (k + 2) + 2 + i]).collect())
            .collect();
        let s = sobol_indices(&fa, &fb, &fab, 200, 1);
        let expected = [(0.3139, 0.5576), (0.4424, 0.4424), (0.0, 0.2437)];
        for (i, (e1, et)) in expected.iter().enumerate() {
            assert!(
                (s[i].first - e1).abs() < 0.03,
                "S{}: {} vs {e1}",
                i + 1,
                s[i].first
            );
            assert!(
                (s[i].total - et).abs() < 0.03,
                "ST{}: {} vs {et}",
                i + 1,
                s[i].total
            );
            assert!(
                s[i].first_low <= s[i].first && s[i].first <= s[i].first_high,
                "{:?}",
                s[i]
            );
            assert!(
                s[i].total_low <= s[i].total && s[i].total <= s[i].total_high,
                "{:?}",
                s[i]
            );
        }
    }
}
