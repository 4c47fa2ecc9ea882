//! Expansion of a sweep's axes into design points: full factorial, Latin
//! hypercube, or Saltelli sampling for Sobol indices.

use crate::config::{AxisValues, Design, Dist, SweepConfig};
use crate::error::Problem;
use crate::model::dist::Sampler;
use crate::rng::{self, Stream};
use rand::RngExt;

/// Most runs (design points x replicates) a sweep may have.
pub const MAX_POINTS: u64 = 100_000_000;
/// Most bootstrap resamples of the Sobol intervals.
pub const MAX_BOOTSTRAP: u32 = 100_000;

/// An axis ready to map a unit number to a value.
#[derive(Debug, Clone)]
pub enum Axis {
    /// Values as RON text, picked by index.
    Discrete(Vec<String>),
    /// A distribution, inverted at u, with the ends of its support, or the
    /// name of a distribution unbounded above.
    Continuous(Sampler, Result<(f64, f64), &'static str>),
}

impl Axis {
    /// The value at u in [0, 1), as RON text.
    pub fn at(&self, u: f64) -> String {
        match self {
            Axis::Discrete(values) => {
                values[((u * values.len() as f64) as usize).min(values.len() - 1)].clone()
            }
            Axis::Continuous(s, _) => fmt_num(s.quantile(u)),
        }
    }
}

/// The ends of a distribution's support, or its name when it is unbounded above.
fn support(d: &Dist) -> Result<(f64, f64), &'static str> {
    match *d {
        Dist::Fixed { value } => Ok((value, value)),
        Dist::Uniform { min, max } | Dist::Triangular { min, max, .. } => Ok((min, max)),
        Dist::Beta { .. } => Ok((0.0, 1.0)),
        Dist::LogNormal { .. } => Err("LogNormal"),
        Dist::Gamma { .. } => Err("Gamma"),
    }
}

/// A value of an axis checked before any run, standing for others.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Where in the axis: `values[2]`, `values, upper end of its support`.
    pub at: String,
    /// The value, as RON text.
    pub value: String,
}

/// Number axes of at most this many values have each value checked before
/// any run; longer ones (a `Range` of a million steps) their extremes.
pub const PROBE_ALL: usize = 1000;

/// The design points of a sweep, computed on demand from the point index
/// (nothing per point is stored, so memory does not grow with the design).
#[derive(Debug, Clone)]
pub struct Plan {
    pub paths: Vec<String>,
    axes: Vec<Axis>,
    layout: Layout,
    count: usize,
    /// For a Sobol design: (N, k); points come in blocks of k + 2 per base
    /// sample j: A_j, B_j, then AB_j with axis i from B, for i in 0..k.
    pub saltelli: Option<(usize, usize)>,
}

#[derive(Debug, Clone)]
enum Layout {
    Factorial,
    /// Per axis, the stratum of each point; jitter is a stateless draw.
    LatinHypercube {
        strata: Vec<Vec<u32>>,
        seed: u64,
    },
    Sobol {
        scramble: u32,
    },
}

impl Plan {
    /// Number of design points.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The values of axis `a` to check against its field before any run,
    /// or why the axis cannot be. A number axis of at most [`PROBE_ALL`]
    /// values has each checked; a longer one (a fine `Range`) its smallest,
    /// its largest and its first value that is not whole (for whole-number
    /// fields), which suffices where the values one field accepts form an
    /// interval (most fields; not, e.g., a Beta mean with a tiny sd). A
    /// distribution is checked at both ends of its support and at a draw
    /// that is not whole; `Choices` each distinct one. The cost grows with
    /// the axis values, never with the design.
    pub fn probes(&self, a: usize) -> Result<Vec<Probe>, String> {
        match &self.axes[a] {
            Axis::Discrete(v) => {
                let numbers: Option<Vec<f64>> = v.iter().map(|t| t.parse().ok()).collect();
                let mut picked: Vec<usize> = match numbers {
                    // Up to PROBE_ALL values, each distinct one is checked
                    // (below): a field's valid values need not form one
                    // interval (a Beta mean with a small sd fails in the
                    // middle of 0..1, not at its ends).
                    Some(x) if v.len() > PROBE_ALL => {
                        let by = |better: fn(f64, f64) -> bool| {
                            (0..x.len()).fold(0, |b, i| if better(x[i], x[b]) { i } else { b })
                        };
                        let mut p = vec![by(|a, b| a < b), by(|a, b| a > b)];
                        p.extend(x.iter().position(|n| n.fract() != 0.0));
                        p
                    }
                    _ => {
                        let mut seen = std::collections::HashSet::new();
                        (0..v.len()).filter(|&i| seen.insert(&v[i])).collect()
                    }
                };
                picked.sort_unstable();
                picked.dedup();
                Ok(picked
                    .into_iter()
                    .map(|i| Probe {
                        at: format!("values[{i}]"),
                        value: v[i].clone(),
                    })
                    .collect())
            }
            Axis::Continuous(_, Err(name)) => Err(format!(
                "a {name} distribution is unbounded above, and every numeric field has an upper bound (docs/CONFIG.md): use Uniform, Triangular, Beta or Fixed"
            )),
            c @ Axis::Continuous(_, Ok((lo, hi))) => {
                let mut probes = vec![
                    Probe {
                        at: "values, lower end of its support".into(),
                        value: fmt_num(*lo),
                    },
                    Probe {
                        at: "values, upper end of its support".into(),
                        value: fmt_num(*hi),
                    },
                ];
                // not a whole number unless the support is one point
                let draw = c.at(0.37);
                if !probes.iter().any(|p| p.value == draw) {
                    probes.push(Probe {
                        at: "values, a draw".into(),
                        value: draw,
                    });
                }
                Ok(probes)
            }
        }
    }

    /// The values of point `i`, as RON text, in the order of `paths`.
    pub fn point(&self, i: usize) -> Vec<String> {
        let k = self.axes.len();
        match &self.layout {
            Layout::Factorial => {
                // mixed radix, the first axis varying slowest
                let mut rest = i;
                let mut values = vec![String::new(); k];
                for (a, axis) in self.axes.iter().enumerate().rev() {
                    let Axis::Discrete(v) = axis else {
                        unreachable!("checked: factorial axes are discrete")
                    };
                    values[a] = v[rest % v.len()].clone();
                    rest /= v.len();
                }
                values
            }
            Layout::LatinHypercube { strata, seed } => {
                let n = self.count as f64;
                self.axes
                    .iter()
                    .enumerate()
                    .map(|(a, axis)| {
                        let jitter = rng::uniform(*seed, Stream::Design, a as u64, i as u64);
                        axis.at((strata[a][i] as f64 + jitter) / n)
                    })
                    .collect()
            }
            Layout::Sobol { scramble } => {
                let (j, offset) = (i / (k + 2), i % (k + 2));
                let u = |d: usize| sobol_burley::sample(j as u32, d as u32, *scramble) as f64;
                self.axes
                    .iter()
                    .enumerate()
                    .map(|(a, axis)| {
                        // A_j: dims 0..k; B_j: dims k..2k; AB_j^i: A_j with axis i from B_j
                        let from_b = offset == 1 || (offset >= 2 && offset - 2 == a);
                        axis.at(u(if from_b { k + a } else { a }))
                    })
                    .collect()
            }
        }
    }
}

/// A number as short RON text without float noise (12 significant digits).
pub fn fmt_num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{v:.1}");
    }
    let s = format!("{:.*e}", 11, v);
    let parsed: f64 = s.parse().unwrap_or(v);
    format!("{parsed}")
}

fn axis_values(path: &str, values: &AxisValues, problems: &mut Vec<Problem>) -> Option<Axis> {
    let mut fail = |m: String| {
        problems.push(Problem {
            field: format!("axes[{path}].values"),
            message: m,
        });
        None
    };
    match values {
        AxisValues::List(v) if v.is_empty() => fail("an empty list".into()),
        AxisValues::List(v) if v.iter().any(|x| !x.is_finite()) => {
            fail("values must be finite".into())
        }
        AxisValues::List(v) => Some(Axis::Discrete(v.iter().map(|x| fmt_num(*x)).collect())),
        AxisValues::Choices(v) if v.is_empty() => fail("no choices".into()),
        AxisValues::Choices(v) => Some(Axis::Discrete(v.clone())),
        &AxisValues::Range { min, max, step } => {
            if !(min.is_finite() && max.is_finite() && step.is_finite()) || step <= 0.0 || max < min
            {
                return fail(format!(
                    "Range needs finite min <= max and step > 0, got ({min}, {max}, {step})"
                ));
            }
            let steps = ((max - min) / step + 1e-6).floor();
            if !(0.0..1_000_000.0).contains(&steps) {
                return fail(format!("Range has {} values; at most 1000000", steps + 1.0));
            }
            let n = steps as u64 + 1;
            Some(Axis::Discrete(
                (0..n).map(|i| fmt_num(min + i as f64 * step)).collect(),
            ))
        }
        AxisValues::Distribution(d) => {
            let p = crate::config::check_dist(d);
            if let Some(m) = p {
                return fail(m);
            }
            match crate::config::sampler(d) {
                Ok(sampler) => Some(Axis::Continuous(sampler, support(d))),
                Err(m) => fail(m),
            }
        }
    }
}

/// Expands the axes into design points, or returns every problem found.
pub fn plan(cfg: &SweepConfig) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();
    if cfg.axes.is_empty() {
        problems.push(Problem {
            field: "axes".into(),
            message: "a sweep needs at least one axis".into(),
        });
    }
    if cfg.replicates == 0 || cfg.replicates as u64 > MAX_POINTS {
        problems.push(Problem {
            field: "replicates".into(),
            message: format!("must be in 1..={MAX_POINTS}, got {}", cfg.replicates),
        });
    }
    if cfg.bootstrap > MAX_BOOTSTRAP {
        problems.push(Problem {
            field: "bootstrap".into(),
            message: format!("must be at most {MAX_BOOTSTRAP}, got {}", cfg.bootstrap),
        });
    }
    let axes: Vec<Option<Axis>> = cfg
        .axes
        .iter()
        .map(|a| axis_values(&a.path, &a.values, &mut problems))
        .collect();
    let paths: Vec<String> = cfg.axes.iter().map(|a| a.path.clone()).collect();
    for (i, p) in paths.iter().enumerate() {
        let column = super::axis_column(p);
        if paths[..i].contains(p) {
            problems.push(Problem {
                field: format!("axes[{p}]"),
                message: "the same path twice".into(),
            });
        } else if let Some(other) = paths[..i].iter().find(|o| super::axis_column(o) == column) {
            problems.push(Problem {
                field: format!("axes[{p}]"),
                message: format!("its column in runs.csv, `{column}`, is also that of `{other}`"),
            });
        }
    }
    let k = axes.len();
    let count: u64 = match cfg.design {
        Design::FullFactorial => {
            for (a, ax) in cfg.axes.iter().zip(&axes) {
                if let Some(Axis::Continuous(..)) = ax {
                    problems.push(Problem {
                        field: format!("axes[{}].values", a.path),
                        message: "a Distribution axis needs a LatinHypercube or Sobol design"
                            .into(),
                    });
                }
            }
            axes.iter()
                .map(|a| match a {
                    Some(Axis::Discrete(v)) => v.len() as u64,
                    _ => 1,
                })
                .fold(1u64, |acc, n| acc.saturating_mul(n))
        }
        Design::LatinHypercube { samples } => {
            if samples == 0 || samples as u64 > MAX_POINTS {
                problems.push(Problem {
                    field: "design.samples".into(),
                    message: format!("must be in 1..={MAX_POINTS}, got {samples}"),
                });
            }
            samples as u64
        }
        Design::Sobol { samples } => {
            if !(2..=1 << 16).contains(&samples) {
                problems.push(Problem {
                    field: "design.samples".into(),
                    message: format!("must be in 2..=65536, got {samples}"),
                });
            }
            if 2 * k as u32 > sobol_burley::NUM_DIMENSIONS {
                problems.push(Problem {
                    field: "axes".into(),
                    message: format!(
                        "a Sobol design takes at most {} axes",
                        sobol_burley::NUM_DIMENSIONS / 2
                    ),
                });
            }
            samples as u64 * (k as u64 + 2)
        }
    };
    if count.saturating_mul(cfg.replicates.max(1) as u64) > MAX_POINTS {
        problems.push(Problem {
            field: "design".into(),
            message: format!(
                "{count} points x {} replicates; at most {MAX_POINTS} runs",
                cfg.replicates
            ),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // every axis that failed added a problem: with none, all are here
    let Some(axes) = axes.into_iter().collect::<Option<Vec<Axis>>>() else {
        return Err(vec![Problem {
            field: "axes".into(),
            message: "an axis gave no values".into(),
        }]);
    };
    let (layout, saltelli) = match cfg.design {
        Design::FullFactorial => (Layout::Factorial, None),
        Design::LatinHypercube { samples } => {
            let n = samples as usize;
            let strata = (0..k)
                .map(|a| {
                    let mut g = rng::generator(cfg.seed, Stream::Design, a as u64);
                    let mut strata: Vec<u32> = (0..n as u32).collect();
                    for j in (1..n).rev() {
                        strata.swap(j, g.random_range(0..=j));
                    }
                    strata
                })
                .collect();
            (
                Layout::LatinHypercube {
                    strata,
                    seed: cfg.seed,
                },
                None,
            )
        }
        Design::Sobol { samples } => {
            let scramble = (rng::key(cfg.seed, Stream::Design, u64::MAX, 0) >> 32) as u32;
            (Layout::Sobol { scramble }, Some((samples as usize, k)))
        }
    };
    Ok(Plan {
        paths,
        axes,
        layout,
        count: count as usize,
        saltelli,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AxisDef;

    fn sweep(design: Design, axes: Vec<AxisValues>) -> SweepConfig {
        SweepConfig {
            base: "x.ron".into(),
            axes: axes
                .into_iter()
                .enumerate()
                .map(|(i, values)| AxisDef {
                    path: format!("p{i}"),
                    values,
                })
                .collect(),
            design,
            replicates: 1,
            seed: 3,
            sensitivity: vec![],
            bootstrap: 10,
            out: None,
            series: Vec::new(),
        }
    }

    #[test]
    fn factorial_enumerates_every_combination_without_float_noise() {
        let p = plan(&sweep(
            Design::FullFactorial,
            vec![
                AxisValues::Range {
                    min: 0.1,
                    max: 0.3,
                    step: 0.1,
                },
                AxisValues::Choices(vec!["Linear".into(), "Conceder(e: 2.0)".into()]),
            ],
        ))
        .unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(p.point(0), ["0.1", "Linear"]);
        assert_eq!(p.point(1), ["0.1", "Conceder(e: 2.0)"]);
        assert_eq!(p.point(5), ["0.3", "Conceder(e: 2.0)"]);
    }

    #[test]
    fn latin_hypercube_puts_one_point_in_every_stratum() {
        let n = 20;
        let p = plan(&sweep(
            Design::LatinHypercube { samples: n },
            vec![AxisValues::Distribution(Dist::Uniform { min: 0.0, max: 1.0 }); 2],
        ))
        .unwrap();
        for axis in 0..2 {
            let mut strata: Vec<usize> = (0..p.len())
                .map(|i| (p.point(i)[axis].parse::<f64>().unwrap() * n as f64) as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n as usize).collect::<Vec<_>>());
        }
    }

    #[test]
    fn saltelli_blocks_share_all_but_one_coordinate() {
        let p = plan(&sweep(
            Design::Sobol { samples: 8 },
            vec![AxisValues::Distribution(Dist::Uniform { min: 0.0, max: 1.0 }); 3],
        ))
        .unwrap();
        assert_eq!(p.len(), 8 * 5);
        let block: Vec<Vec<String>> = (5..10).map(|i| p.point(i)).collect();
        let (a, b) = (&block[0], &block[1]);
        for i in 0..3 {
            for d in 0..3 {
                assert_eq!(
                    block[2 + i][d],
                    if d == i { b[d].clone() } else { a[d].clone() }
                );
            }
        }
    }

    #[test]
    fn probes_check_short_axes_whole_and_long_ones_at_their_extremes() {
        let p = plan(&sweep(
            Design::LatinHypercube { samples: 4 },
            vec![
                AxisValues::Range {
                    min: 0.0,
                    max: 0.999999,
                    step: 1e-6,
                },
                AxisValues::List(vec![3.0, 1.0, 2.5, 9.0, 1.0]),
                AxisValues::Choices(vec!["Linear".into(), "A(e: 1.0)".into(), "Linear".into()]),
                AxisValues::Distribution(Dist::Triangular {
                    min: 1.0,
                    mode: 2.0,
                    max: 4.0,
                }),
                AxisValues::Distribution(Dist::Gamma { mean: 1.0, sd: 0.5 }),
            ],
        ))
        .unwrap();
        let probes = |a| -> Vec<(String, String)> {
            p.probes(a)
                .unwrap()
                .into_iter()
                .map(|p| (p.at, p.value))
                .collect()
        };
        let pair = |at: &str, v: &str| (at.to_string(), v.to_string());
        // a million values: the smallest, the first not whole, the largest;
        // five values: each distinct one
        assert_eq!(
            probes(0),
            [
                pair("values[0]", "0.0"),
                pair("values[1]", "0.000001"),
                pair("values[999999]", "0.999999")
            ]
        );
        assert_eq!(
            probes(1),
            [
                pair("values[0]", "3.0"),
                pair("values[1]", "1.0"),
                pair("values[2]", "2.5"),
                pair("values[3]", "9.0")
            ]
        );
        assert_eq!(
            probes(2),
            [pair("values[0]", "Linear"), pair("values[1]", "A(e: 1.0)")]
        );
        let t = probes(3);
        assert_eq!(
            t[..2],
            [
                pair("values, lower end of its support", "1.0"),
                pair("values, upper end of its support", "4.0")
            ]
        );
        assert!(t[2].1.parse::<f64>().unwrap().fract() != 0.0, "{t:?}");
        assert!(
            p.probes(4)
                .unwrap_err()
                .contains("Gamma distribution is unbounded above")
        );
    }

    #[test]
    fn bad_axes_are_all_reported() {
        let e = plan(&sweep(
            Design::FullFactorial,
            vec![
                AxisValues::List(vec![]),
                AxisValues::Distribution(Dist::Uniform { min: 0.0, max: 1.0 }),
                AxisValues::Range {
                    min: 1.0,
                    max: 0.0,
                    step: 0.1,
                },
            ],
        ))
        .unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
    }
}
