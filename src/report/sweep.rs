//! The report of a merged sweep: distributions per design point, main
//! effects, a heat map for two axes, Sobol indices, failed runs.

use super::chart::{Figure, HeatCell, Kind, Layer, Panel, Shape, XAxis};
use super::frame::{Frame, bad, read_required};
use super::{Page, Table};
use crate::config;
use crate::error::Result;
use crate::schema::Measure;
use crate::sweep::SweepManifest;
use crate::sweep::columns;
use crate::sweep::series::{self, SeriesTable};
use crate::systems::{licensing, negotiate, production, substitution};
use statrs::statistics::{Data, OrderStatistics};
use std::collections::BTreeMap;
use std::path::Path;

/// Summary columns shown when the runs have them, besides the sweep's
/// `sensitivity` list and every final substitution share.
pub const HEADLINE: [&Measure; 7] = [
    &licensing::FIRST_CIVILIAN_LICENCE,
    &negotiate::FIRST_AGREEMENT,
    &negotiate::AGREEMENTS,
    &negotiate::BREAKDOWNS,
    &licensing::CIVILIAN_LICENCES,
    &crate::metrics::REVENUE_LOST,
    &production::PEAK_READINESS_GAP,
];

/// The column of `axis` in runs.csv and points.csv: its path made to fit
/// the naming rule, or the path itself in a folder written before the rule
/// (`SweepManifest::naming`).
fn axis_column(manifest: &SweepManifest, axis: &str) -> String {
    if manifest.naming < crate::sweep::NAMING_RULE {
        axis.to_string()
    } else {
        crate::sweep::axis_column(axis)
    }
}

/// Distinct values up to which an axis is shown value by value; above it,
/// in equal bins.
const MAX_DISTINCT: usize = 12;
const BINS: usize = 8;

/// A merged sweep's folder, read and checked.
#[derive(Debug)]
pub struct SweepData {
    pub manifest: SweepManifest,
    pub runs: Frame,
    pub points: Frame,
    pub sobol: Option<Frame>,
    /// `series.parquet`, when the sweep kept weekly series.
    pub series: Option<SeriesTable>,
    /// Rows of `runs` that ended with status `ok`.
    ok: Vec<usize>,
}

impl SweepData {
    pub fn load(dir: &Path) -> Result<SweepData> {
        let path = dir.join("sweep.ron");
        let manifest: SweepManifest =
            config::parse_ron(&path, &read_required(&path, "the sweep's manifest")?)?;
        let merge_first = format!(
            "the merged runs; run `chokepoint merge {}` once every shard has finished",
            dir.display()
        );
        let runs = Frame::read(&dir.join("runs.csv"), &merge_first)?;
        let ids = runs.numbers("run")?;
        if ids.len() as u64 != manifest.runs {
            return Err(bad(
                &runs.path,
                format!(
                    "{} rows where sweep.ron says {} runs: half-written or from another sweep; merge again",
                    ids.len(),
                    manifest.runs,
                ),
            ));
        }
        if !ids.iter().enumerate().all(|(i, r)| *r == Some(i as f64)) {
            return Err(bad(
                &runs.path,
                format!(
                    "the `run` column does not run 0, 1, ..., {}: merge again",
                    manifest.runs.saturating_sub(1)
                ),
            ));
        }
        for axis in &manifest.axes {
            runs.index(&axis_column(&manifest, axis))?;
        }
        let points = Frame::read(&dir.join("points.csv"), &merge_first)?;
        let sobol = match manifest.saltelli {
            Some(_) => Some(Frame::read(&dir.join("sobol.csv"), &merge_first)?),
            None => None,
        };
        let point_ids = points.numbers("point")?;
        if let Some(row) = point_ids
            .iter()
            .position(|p| p.is_none_or(|p| p < 0.0 || p >= manifest.points as f64))
        {
            return Err(bad(
                &points.path,
                format!(
                    "line {}: a design point outside 0 to {}: from another sweep; merge again",
                    row + 2,
                    manifest.points.saturating_sub(1)
                ),
            ));
        }
        let series = if manifest.sweep.series.is_empty() {
            None
        } else {
            let path = dir.join("series.parquet");
            let table = series::read(&path, &manifest.sweep.series)?;
            check_series(&path, &table, &runs)?;
            Some(table)
        };
        let ok = runs
            .texts("status")?
            .iter()
            .enumerate()
            .filter(|(_, s)| **s == "ok")
            .map(|(i, _)| i)
            .collect();
        Ok(SweepData {
            manifest,
            runs,
            points,
            sobol,
            series,
            ok,
        })
    }

    /// Whether the folder was written before the naming rule.
    fn old_names(&self) -> bool {
        self.manifest.naming < crate::sweep::NAMING_RULE
    }

    /// The name of a column with no placeholders: as the naming rule gives
    /// it, or as it was in a folder written before the rule
    /// (`SweepManifest::naming`).
    fn name_of(&self, m: &Measure) -> String {
        if self.old_names() {
            m.old.to_string()
        } else {
            m.name(&[])
        }
    }

    /// The short label of `axis` (see [`axis_labels`]).
    fn label(&self, axis: &str) -> String {
        let axes = &self.manifest.axes;
        let labels = axis_labels(axes);
        axes.iter()
            .position(|a| a == axis)
            .map_or_else(|| axis.to_owned(), |i| labels[i].clone())
    }

    /// The summary columns shown: the sweep's sensitivity list, then the
    /// headline columns, then substitution shares, each once, when at least
    /// one ok run has a value.
    pub fn headline(&self) -> Result<Vec<String>> {
        let ok = &self.ok;
        let mut wanted: Vec<String> = self.manifest.sensitivity.clone();
        wanted.extend(HEADLINE.iter().map(|m| self.name_of(m)));
        wanted.extend(
            self.runs
                .columns
                .iter()
                .filter(|c| {
                    let m = &substitution::FINAL_SUBSTITUTION_SHARE;
                    if self.old_names() {
                        m.matches_old(c)
                    } else {
                        m.matches(c)
                    }
                })
                .cloned(),
        );
        let mut shown = Vec::new();
        for c in wanted {
            if shown.contains(&c) || self.runs.index(&c).is_err() {
                continue;
            }
            let values = self.runs.numbers(&c)?;
            if ok.iter().any(|&r| values[r].is_some()) {
                shown.push(c);
            }
        }
        Ok(shown)
    }

    /// The value of `axis` in every run row as a number, and how to show it:
    /// a numeric axis as itself, any other (e.g. `Choices` of RON text) as
    /// the index of its text among the sorted distinct texts.
    pub fn axis(&self, axis: &str) -> Result<(Vec<f64>, XAxis)> {
        let texts = self.runs.texts(&axis_column(&self.manifest, axis))?;
        let label = self.label(axis);
        let numbers: Option<Vec<f64>> = texts
            .iter()
            .map(|t| t.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        if let Some(values) = numbers {
            return Ok((values, XAxis::Value { label }));
        }
        let mut names: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        names.sort();
        names.dedup();
        let values = texts
            .iter()
            .map(|t| names.iter().position(|n| n == t).unwrap_or(0) as f64)
            .collect();
        Ok((values, XAxis::Categories { label, names }))
    }

    /// (axis value, column value) of every ok run with a value.
    fn pairs(&self, axis: &[f64], column: &str) -> Result<Vec<(f64, f64)>> {
        let values = self.runs.numbers(column)?;
        Ok(self
            .ok
            .iter()
            .filter_map(|&r| Some((axis[r], values[r]?)))
            .collect())
    }

    pub fn figures(&self) -> Result<Vec<Figure>> {
        let columns = self.headline()?;
        let mut figures = vec![self.distributions(&columns)?];
        for axis in &self.manifest.axes {
            figures.push(self.main_effects(axis, &columns)?);
        }
        if let [a, b] = self.manifest.axes.as_slice() {
            figures.push(self.heatmap(a, b, &columns)?);
        }
        if let Some(sobol) = &self.sobol {
            figures.push(self.sobol(sobol)?);
        }
        if let Some(series) = &self.series {
            for (c, name) in series.columns.iter().enumerate() {
                figures.push(bands(series, c, name));
            }
        }
        Ok(figures)
    }

    /// Per design point of `column`: (point, q05, median, q95) from points.csv.
    pub fn point_stats(&self, column: &str) -> Result<Vec<(f64, f64, f64, f64)>> {
        let names = self.points.texts("column")?;
        let point = self.points.numbers("point")?;
        let (q05, median, q95) = (
            self.points.numbers("q05")?,
            self.points.numbers("median")?,
            self.points.numbers("q95")?,
        );
        let mut out = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if *name != column {
                continue;
            }
            if let (Some(p), Some(lo), Some(m), Some(hi)) = (point[i], q05[i], median[i], q95[i]) {
                out.push((p, lo, m, hi));
            }
        }
        Ok(out)
    }

    fn distributions(&self, columns: &[String]) -> Result<Figure> {
        let n = self.manifest.points as usize;
        let x = if n <= 40 {
            XAxis::Categories {
                label: "design point".into(),
                names: (0..n).map(|p| p.to_string()).collect(),
            }
        } else {
            XAxis::Value {
                label: "design point".into(),
            }
        };
        let point = self.runs.numbers("point")?;
        let ok = &self.ok;
        let mut panels = Vec::new();
        for c in columns {
            let values = self.runs.numbers(c)?;
            let runs: Vec<(f64, f64)> = ok
                .iter()
                .filter_map(|&r| Some((point[r]?, values[r]?)))
                .collect();
            let stats = self.point_stats(c)?;
            panels.push(Panel {
                title: c.clone(),
                x: x.clone(),
                y_label: "value".into(),
                layers: vec![
                    Layer::new(
                        "5 % to 95 %",
                        5,
                        Kind::Intervals(stats.iter().map(|s| (s.0, s.1, s.3)).collect()),
                    )
                    .from(format!("points.csv:{c}:q05-q95")),
                    Layer::new("run", 0, Kind::Markers(thin(runs), Shape::Dot))
                        .from(format!("runs.csv:point~{c}")),
                    Layer::new(
                        "median",
                        1,
                        Kind::Markers(stats.iter().map(|s| (s.0, s.2)).collect(), Shape::Ring),
                    )
                    .from(format!("points.csv:{c}:median")),
                ],
            });
        }
        Ok(Figure {
            id: "distributions".into(),
            title: "Headline results per design point".into(),
            caption: format!(
                "Each ok run (runs.csv; every k-th run when a column has more than {MAX_DOTS}) and, per design point, the median and the 5 % and 95 % quantiles (points.csv). The design points' axis values are in the table below."
            ),
            grid_columns: 2,
            panels,
        })
    }

    fn main_effects(&self, axis: &str, columns: &[String]) -> Result<Figure> {
        let (values, x) = self.axis(axis)?;
        let mut panels = Vec::new();
        for c in columns {
            let pairs = self.pairs(&values, c)?;
            let means = binned_means(&pairs);
            panels.push(Panel {
                title: c.clone(),
                x: x.clone(),
                y_label: "value".into(),
                layers: vec![
                    Layer::new("run", 0, Kind::Markers(thin(pairs), Shape::Dot)).from(format!(
                        "runs.csv:{}~{c}",
                        axis_column(&self.manifest, axis)
                    )),
                    Layer::new("mean", 1, Kind::Line(means)).from(format!(
                        "runs.csv:{}~{c}:mean",
                        axis_column(&self.manifest, axis)
                    )),
                ],
            });
        }
        Ok(Figure {
            id: format!("main-effect-{}", file_stem(axis)),
            title: format!("Main effects of {axis}"),
            caption: format!(
                "Each ok run's value against `{axis}` (runs.csv; every k-th run past {MAX_DOTS}) and the mean of all of them at each value (over {BINS} equal bins when the axis has more than {MAX_DISTINCT} values)."
            ),
            grid_columns: 2,
            panels,
        })
    }

    fn heatmap(&self, a: &str, b: &str, columns: &[String]) -> Result<Figure> {
        let (xa, x) = self.axis(a)?;
        let (xb, y) = self.axis(b)?;
        // Cells from every run's axis values, so a value whose runs have no
        // result is left blank, not covered by its neighbours' cells.
        let cuts_x = Cuts::of(xa.iter().copied());
        let cuts_y = Cuts::of(xb.iter().copied());
        let y_label = match y {
            XAxis::Categories { label, names } => {
                let key: Vec<String> = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{i} = {n}"))
                    .collect();
                format!("{label} ({})", key.join(", "))
            }
            XAxis::Value { label } => label,
            XAxis::Weeks { .. } => unreachable!("sweep axes are never weeks"),
        };
        let mut panels = Vec::new();
        for c in columns {
            let values = self.runs.numbers(c)?;
            let triples: Vec<(f64, f64, f64)> = self
                .ok
                .iter()
                .filter_map(|&r| Some((xa[r], xb[r], values[r]?)))
                .collect();
            let cells = heat_cells(&triples, &cuts_x, &cuts_y);
            let (min, max) = cells
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |m, c| {
                    (m.0.min(c.value), m.1.max(c.value))
                });
            panels.push(Panel {
                title: format!(
                    "{c}: mean {} (pale) to {} (dark)",
                    super::chart::tick(min, max - min),
                    super::chart::tick(max, max - min)
                ),
                x: x.clone(),
                y_label: y_label.clone(),
                layers: vec![
                    Layer::new("", 0, Kind::Cells { cells, min, max }).from(format!(
                        "runs.csv:{}~{}~{c}:mean",
                        axis_column(&self.manifest, a),
                        axis_column(&self.manifest, b)
                    )),
                ],
            });
        }
        Ok(Figure {
            id: "heatmap".into(),
            title: "Mean result over the two axes".into(),
            caption: format!(
                "Mean of the ok runs (runs.csv) in each cell of `{a}` by `{b}`: one cell per pair of values, or {BINS} equal bins per axis when it has more than {MAX_DISTINCT} values."
            ),
            grid_columns: 2,
            panels,
        })
    }

    fn sobol(&self, sobol: &Frame) -> Result<Figure> {
        let axes: Vec<String> = self.manifest.axes.clone();
        let names = axis_labels(&axes);
        let column = sobol.texts("column")?;
        let axis = sobol.texts("axis")?;
        let get = |m: &Measure| sobol.numbers(&self.name_of(m));
        let (first, first_lo, first_hi) = (
            get(&columns::FIRST)?,
            get(&columns::FIRST_LOW)?,
            get(&columns::FIRST_HIGH)?,
        );
        let (total, total_lo, total_hi) = (
            get(&columns::TOTAL)?,
            get(&columns::TOTAL_LOW)?,
            get(&columns::TOTAL_HIGH)?,
        );
        let mut order: Vec<&str> = Vec::new();
        for c in &column {
            if !order.contains(c) {
                order.push(c);
            }
        }
        let mut panels = Vec::new();
        for c in order {
            let mut layers = vec![
                (Vec::new(), Vec::new(), &first, &first_lo, &first_hi, -0.2),
                (Vec::new(), Vec::new(), &total, &total_lo, &total_hi, 0.2),
            ];
            for (row, (rc, ra)) in column.iter().zip(&axis).enumerate() {
                let Some(x) = axes.iter().position(|a| a == ra) else {
                    return Err(bad(
                        &sobol.path,
                        format!("line {}: unknown axis `{ra}`", row + 2),
                    ));
                };
                if *rc != c {
                    continue;
                }
                for (bars, cis, value, lo, hi, offset) in layers.iter_mut() {
                    if let Some(v) = value[row] {
                        bars.push((x as f64, v));
                    }
                    if let (Some(l), Some(h)) = (lo[row], hi[row]) {
                        cis.push((x as f64 + *offset, l, h));
                    }
                }
            }
            let [(fb, fc, ..), (tb, tc, ..)] = layers.try_into().expect("two layers");
            panels.push(Panel {
                title: c.to_owned(),
                x: XAxis::Categories {
                    label: "axis".into(),
                    names: names.clone(),
                },
                y_label: "index".into(),
                layers: vec![
                    Layer::new(
                        "first order",
                        0,
                        Kind::Bars {
                            bars: fb,
                            width: 0.35,
                            offset: -0.2,
                        },
                    )
                    .from(format!("sobol.csv:{c}:{}", self.name_of(&columns::FIRST))),
                    Layer::new(
                        "total",
                        1,
                        Kind::Bars {
                            bars: tb,
                            width: 0.35,
                            offset: 0.2,
                        },
                    )
                    .from(format!("sobol.csv:{c}:{}", self.name_of(&columns::TOTAL))),
                    Layer::new(
                        "95 % CI",
                        7,
                        Kind::Intervals(fc.into_iter().chain(tc).collect()),
                    )
                    .from(format!("sobol.csv:{c}:ci95")),
                ],
            });
        }
        Ok(Figure {
            id: "sobol".into(),
            title: "Sobol sensitivity indices".into(),
            caption: "First-order and total indices per axis with bootstrap 95 % confidence intervals (sobol.csv).".into(),
            grid_columns: 2,
            panels,
        })
    }
}

/// Checks that `series.parquet` holds the weeks of exactly the ok runs of
/// `runs.csv`, each at its design point.
fn check_series(path: &Path, table: &SeriesTable, runs: &Frame) -> Result<()> {
    let status = runs.texts("status")?;
    let point = runs.numbers("point")?;
    let mut seen = vec![false; status.len()];
    for (&run, &p) in table.run.iter().zip(&table.point) {
        let r = run as usize;
        if r >= status.len() || status[r] != "ok" || point[r] != Some(p as f64) {
            return Err(bad(
                path,
                format!(
                    "run {run} at point {p} is not an ok run of runs.csv: the files are from different sweeps; merge again"
                ),
            ));
        }
        seen[r] = true;
    }
    if let Some(r) = (0..status.len()).find(|&r| status[r] == "ok" && !seen[r]) {
        return Err(bad(
            path,
            format!("no weeks of run {r}, an ok run of runs.csv: merge again"),
        ));
    }
    // A run writes no value as null, never NaN or infinity.
    for (c, values) in table.values.iter().enumerate() {
        if let Some((row, v)) = values
            .iter()
            .enumerate()
            .find_map(|(row, v)| v.filter(|v| !v.is_finite()).map(|v| (row, v)))
        {
            return Err(bad(
                path,
                format!(
                    "row {row} (run {}, week {}), column `{}`: {v} is not a finite number",
                    table.run[row], table.week[row], table.columns[c]
                ),
            ));
        }
    }
    Ok(())
}

/// Design points drawn in the ensemble bands; the first ones are shown
/// when a sweep has more.
pub const BAND_POINTS: u64 = 24;

/// Per design point and week: (week, q05, q25, median, q75, q95) of column
/// `c` over the runs that have a value.
pub fn band_stats(series: &SeriesTable, c: usize) -> BTreeMap<u64, Vec<[f64; 6]>> {
    let mut groups: BTreeMap<(u64, u32), Vec<f64>> = BTreeMap::new();
    for (row, value) in series.values[c].iter().enumerate() {
        if let Some(v) = value {
            groups
                .entry((series.point[row], series.week[row]))
                .or_default()
                .push(*v);
        }
    }
    let mut out: BTreeMap<u64, Vec<[f64; 6]>> = BTreeMap::new();
    for ((point, week), values) in groups {
        let mut data = Data::new(values);
        out.entry(point).or_default().push([
            week as f64,
            data.quantile(0.05),
            data.quantile(0.25),
            data.median(),
            data.quantile(0.75),
            data.quantile(0.95),
        ]);
    }
    out
}

/// Ensemble bands of series column `c`: one panel per design point.
fn bands(series: &SeriesTable, c: usize, name: &str) -> Figure {
    let stats = band_stats(series, c);
    let panels = stats
        .iter()
        .take(BAND_POINTS as usize)
        .map(|(point, weeks)| {
            let band = |lo: usize, hi: usize| weeks.iter().map(|s| (s[0], s[lo], s[hi])).collect();
            Panel {
                title: format!("design point {point}"),
                x: XAxis::Value {
                    label: "week".into(),
                },
                y_label: "value".into(),
                layers: vec![
                    Layer::new("90 % of runs", 5, Kind::Band(band(1, 5)))
                        .from(format!("series.parquet:{name}:q05-q95")),
                    Layer::new("50 % of runs", 0, Kind::Band(band(2, 4)))
                        .from(format!("series.parquet:{name}:q25-q75")),
                    Layer::new(
                        "median",
                        1,
                        Kind::Line(weeks.iter().map(|s| (s[0], s[3])).collect()),
                    )
                    .from(format!("series.parquet:{name}:median")),
                ],
            }
        })
        .collect();
    let shown = if stats.len() as u64 > BAND_POINTS {
        format!(
            " The first {BAND_POINTS} of {} design points are shown.",
            stats.len()
        )
    } else {
        String::new()
    };
    Figure {
        id: format!("bands-{}", file_stem(name)),
        title: format!("{name}: ensemble bands per design point"),
        caption: format!(
            "Median, 50 % and 90 % bands over the runs of each design point, week by week (series.parquet, column `{name}`; quantiles as in points.csv).{shown}"
        ),
        grid_columns: 2,
        panels,
    }
}

/// The shortest tail of each dotted axis path that tells the axes apart,
/// e.g. `US.preferences.concession` and `CN.preferences.concession`.
pub fn axis_labels(axes: &[String]) -> Vec<String> {
    let tail = |a: &str, n: usize| -> String {
        let parts: Vec<&str> = a.split('.').collect();
        parts[parts.len().saturating_sub(n)..].join(".")
    };
    let deepest = axes.iter().map(|a| a.split('.').count()).max().unwrap_or(1);
    (1..=deepest)
        .map(|n| axes.iter().map(|a| tail(a, n)).collect::<Vec<_>>())
        .find(|labels| {
            let mut sorted = labels.clone();
            sorted.sort();
            sorted.dedup();
            sorted.len() == labels.len()
        })
        .unwrap_or_else(|| axes.to_vec())
}

fn file_stem(axis: &str) -> String {
    axis.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Most single runs drawn as dots in one panel; past it, every k-th run
/// (in run order) is drawn, so a page of a large sweep stays small. The
/// statistics drawn beside the dots use every run.
pub const MAX_DOTS: usize = 2_000;

/// Every k-th point, k the smallest step that keeps at most [`MAX_DOTS`].
pub fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let step = points.len().div_ceil(MAX_DOTS).max(1);
    points.into_iter().step_by(step).collect()
}

/// How an axis is cut into cells: one per distinct value, or equal bins.
#[derive(Debug, Clone, PartialEq)]
pub enum Cuts {
    Distinct(Vec<f64>),
    Equal { min: f64, max: f64 },
}

impl Cuts {
    pub fn of(values: impl Iterator<Item = f64>) -> Cuts {
        let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        if v.len() <= MAX_DISTINCT {
            Cuts::Distinct(v)
        } else {
            Cuts::Equal {
                min: v[0],
                max: v[v.len() - 1],
            }
        }
    }

    pub fn cell(&self, x: f64) -> usize {
        match self {
            Cuts::Distinct(v) => v.partition_point(|&d| d < x).min(v.len().saturating_sub(1)),
            Cuts::Equal { min, max } => {
                (((x - min) / (max - min) * BINS as f64) as usize).min(BINS - 1)
            }
        }
    }

    /// Centre and edges of cell `i`.
    pub fn bounds(&self, i: usize) -> (f64, f64, f64) {
        match self {
            Cuts::Distinct(v) => {
                let lo = if i == 0 {
                    v[0] - half_gap(v, 0)
                } else {
                    (v[i - 1] + v[i]) / 2.0
                };
                let hi = if i + 1 == v.len() {
                    v[i] + half_gap(v, i)
                } else {
                    (v[i] + v[i + 1]) / 2.0
                };
                (v[i], lo, hi)
            }
            Cuts::Equal { min, max } => {
                let w = (max - min) / BINS as f64;
                let lo = min + w * i as f64;
                (lo + w / 2.0, lo, lo + w)
            }
        }
    }
}

/// Half the gap to the nearest other value (0.5 when there is none).
fn half_gap(v: &[f64], i: usize) -> f64 {
    let gap = if v.len() < 2 {
        1.0
    } else if i == 0 {
        v[1] - v[0]
    } else {
        v[i] - v[i - 1]
    };
    gap / 2.0
}

/// Mean y per cell of x, as (cell centre, mean) in order of x.
pub fn binned_means(pairs: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let cuts = Cuts::of(pairs.iter().map(|p| p.0));
    let mut sums: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
    for &(x, y) in pairs {
        let e = sums.entry(cuts.cell(x)).or_default();
        e.0 += y;
        e.1 += 1;
    }
    sums.into_iter()
        .map(|(i, (s, n))| (cuts.bounds(i).0, s / n as f64))
        .collect()
}

/// Mean value per (x cell, y cell) of (x, y, value) triples.
pub fn heat_cells(triples: &[(f64, f64, f64)], cx: &Cuts, cy: &Cuts) -> Vec<HeatCell> {
    let mut sums: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
    for &(x, y, v) in triples {
        let e = sums.entry((cx.cell(x), cy.cell(y))).or_default();
        e.0 += v;
        e.1 += 1;
    }
    sums.into_iter()
        .map(|((i, j), (s, n))| {
            let (_, x0, x1) = cx.bounds(i);
            let (_, y0, y1) = cy.bounds(j);
            HeatCell {
                x: (x0, x1),
                y: (y0, y1),
                value: s / n as f64,
            }
        })
        .collect()
}

/// The sweep's page.
pub fn page(dir: &Path) -> Result<Page> {
    let data = SweepData::load(dir)?;
    let m = &data.manifest;
    let status = data.runs.texts("status")?;
    let failed: Vec<usize> = (0..status.len()).filter(|&r| status[r] != "ok").collect();
    let design = match m.saltelli {
        Some((n, k)) => format!("Sobol (Saltelli, N = {n}, {k} axes)"),
        None => format!("{:?}", m.sweep.design),
    };
    let facts = vec![
        ("sweep file".to_string(), m.sweep_file.clone()),
        ("design".into(), design),
        (
            "runs".into(),
            format!(
                "{} ({} design points x {} replicates), {} failed",
                m.runs,
                m.points,
                m.replicates,
                failed.len()
            ),
        ),
        ("axes".into(), m.axes.join(", ")),
        ("seed".into(), m.seed.to_string()),
        ("crate version".into(), m.crate_version.clone()),
        ("sweep hash".into(), m.hash.clone()),
        ("folder".into(), dir.display().to_string()),
    ];
    let pick = |rows: &[usize], names: &[&str]| -> Result<Table> {
        let idx: Vec<usize> = names
            .iter()
            .map(|n| data.runs.index(n))
            .collect::<Result<_>>()?;
        Ok(Table {
            id: String::new(),
            title: String::new(),
            note: String::new(),
            columns: names.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .map(|&r| idx.iter().map(|&c| data.runs.rows[r][c].clone()).collect())
                .collect(),
        })
    };
    let failed_table = Table {
        id: "failed".into(),
        title: format!("Failed runs ({})", failed.len()),
        note: "runs.csv rows whose status is not ok, with the seed to re-run them alone.".into(),
        ..pick(&failed, &["run", "point", "replicate", "seed", "message"])?
    };
    let point = data.runs.numbers("point")?;
    let first_of_point: Vec<usize> = (0..point.len())
        .filter(|&r| r == 0 || point[r] != point[r - 1])
        .collect();
    let axis_columns: Vec<String> = m.axes.iter().map(|a| axis_column(m, a)).collect();
    let mut names = vec!["point"];
    names.extend(axis_columns.iter().map(String::as_str));
    let points_table = Table {
        id: "points".into(),
        title: "Design points".into(),
        note: "The axis values of each design point (runs.csv).".into(),
        ..pick(&first_of_point, &names)?
    };
    Ok(Page {
        title: format!("Sweep report: {}", m.sweep_file),
        facts,
        figures: data.figures()?,
        tables: vec![failed_table, points_table],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_values_get_cells_between_midpoints() {
        let cuts = Cuts::of([8.0, 12.0, 20.0, 12.0].into_iter());
        assert_eq!(cuts, Cuts::Distinct(vec![8.0, 12.0, 20.0]));
        assert_eq!(cuts.cell(12.0), 1);
        assert_eq!(cuts.bounds(0), (8.0, 6.0, 10.0));
        assert_eq!(cuts.bounds(2), (20.0, 16.0, 24.0));
        assert_eq!(
            binned_means(&[(8.0, 1.0), (8.0, 3.0), (20.0, 5.0)]),
            vec![(8.0, 2.0), (20.0, 5.0)]
        );
    }

    #[test]
    fn axis_labels_are_the_shortest_distinct_tails() {
        let axes: Vec<String> = [
            "states.US.preferences.concession",
            "states.CN.preferences.concession",
            "negotiation.deadline_weeks",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            axis_labels(&axes),
            [
                "US.preferences.concession",
                "CN.preferences.concession",
                "negotiation.deadline_weeks"
            ]
        );
        assert_eq!(axis_labels(&axes[2..]), ["deadline_weeks"]);
    }

    #[test]
    fn large_sweeps_draw_every_kth_run() {
        let few: Vec<(f64, f64)> = (0..MAX_DOTS).map(|i| (i as f64, 0.0)).collect();
        assert_eq!(thin(few.clone()), few);
        let many: Vec<(f64, f64)> = (0..10_200).map(|i| (i as f64, 0.0)).collect();
        let drawn = thin(many);
        assert_eq!(drawn.len(), 1_700, "every 6th of 10,200");
        assert_eq!(drawn[1].0, 6.0);
    }

    #[test]
    fn many_values_fall_into_equal_bins() {
        let xs: Vec<f64> = (0..=80).map(|i| i as f64 / 10.0).collect();
        let cuts = Cuts::of(xs.iter().copied());
        assert_eq!(cuts, Cuts::Equal { min: 0.0, max: 8.0 });
        assert_eq!(cuts.cell(0.0), 0);
        assert_eq!(cuts.cell(8.0), BINS - 1);
        assert_eq!(cuts.bounds(0), (0.5, 0.0, 1.0));
        let triples = [(0.0, 0.0, 1.0), (0.0, 0.0, 3.0), (1.0, 2.0, 5.0)];
        let cut = |i: usize| Cuts::of(triples.iter().map(|t| if i == 0 { t.0 } else { t.1 }));
        let cells = heat_cells(&triples, &cut(0), &cut(1));
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[0].value, 2.0);
    }
}
