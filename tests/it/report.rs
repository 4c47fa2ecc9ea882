//! `chokepoint report`: the numbers behind every chart are the numbers in
//! the output files, bad folders fail naming the file, and the pages draw
//! every chart in headless Chromium without a network request.

use crate::browser::check_page;
use crate::common::*;
use chokepoint::report::chart::{Figure, Kind};
use chokepoint::report::run::RunData;
use chokepoint::report::sweep::SweepData;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One CSV file read with the csv crate alone: column name -> cells.
fn columns(path: &Path) -> HashMap<String, Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut out: HashMap<String, Vec<String>> =
        header.iter().map(|h| (h.clone(), Vec::new())).collect();
    for record in reader.records() {
        for (h, cell) in header.iter().zip(record.unwrap().iter()) {
            out.get_mut(h).unwrap().push(cell.to_string());
        }
    }
    out
}

fn num(cell: &str) -> Option<f64> {
    (!cell.is_empty()).then(|| cell.parse().unwrap())
}

fn points(kind: &Kind) -> Vec<(f64, f64)> {
    match kind {
        Kind::Line(p) | Kind::Dashed(p) | Kind::Steps(p) | Kind::Markers(p, _) => p.clone(),
        other => panic!("not a point layer: {other:?}"),
    }
}

/// Runs `args` (`run ...` or `sweep ...`) and returns the output folder.
fn make(tmp: &Path, args: &[&str], out: &str) -> PathBuf {
    let mut all = args.to_vec();
    all.extend(["--out", out]);
    let o = chokepoint(tmp, &all);
    assert!(o.status.success(), "{}", stderr(&o));
    tmp.join(out)
}

fn small_run(tmp: &Path) -> PathBuf {
    make(tmp, &["run", data("small_run.ron").to_str().unwrap()], "r")
}

fn merged_sweep(tmp: &Path, file: &str, out: &str) -> PathBuf {
    let dir = make(tmp, &["sweep", data(file).to_str().unwrap()], out);
    let o = chokepoint(tmp, &["merge", out]);
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

/// Checks every layer of the figures of the run in `dir` against the file
/// and column (or transcript rows) its source names; returns the figures
/// and the number of layers checked.
fn checked_layers(dir: &Path) -> (Vec<Figure>, usize) {
    let ts = columns(&dir.join("timeseries.csv"));
    let summary = columns(&dir.join("summary.csv"));
    let transcript = columns(&dir.join("transcript.csv"));
    let figures = RunData::load(dir).unwrap().figures().unwrap();
    let mut checked = 0;
    for layer in figures
        .iter()
        .flat_map(|f| &f.panels)
        .flat_map(|p| &p.layers)
    {
        let got = points(&layer.kind);
        let (file, what) = layer
            .source
            .split_once(':')
            .expect("every layer names its source");
        let expected: Vec<(f64, f64)> = match file {
            // Weeks with scheduled events, at the top of the pressure scale.
            "timeseries.csv" if what == "events" => ts[what]
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.is_empty())
                .map(|(w, _)| (w as f64, 1.0))
                .collect(),
            "timeseries.csv" => ts[what]
                .iter()
                .enumerate()
                .filter_map(|(w, c)| Some((w as f64, num(c)?)))
                .collect(),
            "summary.csv" => {
                let level = num(&summary[what][0]).unwrap();
                got.iter().map(|&(w, _)| (w, level)).collect()
            }
            // Rows whose columns equal the filter's values, at (week, y):
            // y a column, or `term` for the value of the row's one term.
            "transcript.csv" if what.contains(";y=") => {
                let (filter, y) = what.rsplit_once(";y=").unwrap();
                let filter: Vec<(&str, &str)> = filter
                    .split(';')
                    .map(|kv| kv.split_once('=').unwrap())
                    .collect();
                (0..transcript["event"].len())
                    .filter(|&r| filter.iter().all(|(k, v)| transcript[*k][r] == *v))
                    .filter_map(|r| {
                        let w: f64 = transcript["week"][r].parse().unwrap();
                        let v = if y == "term" {
                            num(transcript["terms"][r].split_once('=')?.1)
                        } else {
                            num(&transcript[y][r])
                        };
                        Some((w, v?))
                    })
                    .collect()
            }
            "transcript.csv" => {
                // Each marker sits on the pressure that week of the state
                // that acted, or for rows with no acting state (agreements, expiries) of
                // the track's consumer: tracks are SUPPLIER-CONSUMER-MATERIAL.
                let kind = what.strip_prefix("event=").unwrap();
                (0..transcript["event"].len())
                    .filter(|&r| transcript["event"][r] == kind)
                    .map(|r| {
                        let w: f64 = transcript["week"][r].parse().unwrap();
                        let actor = &transcript["actor"][r];
                        let state = if actor.is_empty() {
                            transcript["track"][r].split('-').nth(1).unwrap()
                        } else {
                            actor.as_str()
                        };
                        (
                            w,
                            num(&ts[&format!("{state}_pressure_index")][w as usize]).unwrap(),
                        )
                    })
                    .collect()
            }
            other => panic!("unexpected source file {other}"),
        };
        assert_eq!(got, expected, "{}", layer.source);
        assert!(!got.is_empty(), "{} has no points", layer.source);
        checked += 1;
    }
    (figures, checked)
}

#[test]
fn every_run_chart_plots_the_numbers_of_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (figures, checked) = checked_layers(&small_run(tmp.path()));
    // 1 export panel x 2, 2 groups x (3 output + 3 licence + 1 inventory),
    // 2 pressures, events, restrictions and controls, substitution.
    assert!(checked >= 25, "only {checked} layers checked");
    let ids: Vec<&str> = figures.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "exports",
            "output",
            "inventory",
            "licences",
            "pressure",
            "restrictions",
            "bargaining",
            "substitution"
        ]
    );
    let pressure = &figures[4].panels[0];
    for source in [
        "transcript.csv:event=agreement",
        "transcript.csv:event=defection",
        "timeseries.csv:events",
    ] {
        assert!(
            pressure.layers.iter().any(|l| l.source == source),
            "the small run has `{source}`, which must be marked"
        );
    }
}

/// With ladders (a US rung on ethane, China's reach by decision), the
/// ladders figure draws each laddered policy's level and the escalations
/// at the level they set, from the files.
#[test]
fn the_ladders_chart_plots_the_levels_and_moves_of_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let run = data("small_run.ron");
    let dir = make(
        tmp.path(),
        &[
            "run",
            run.to_str().unwrap(),
            "--set",
            "states.US.tech_restrictions.ethane.ladder=Some(Ladder(rungs: [0.0, 0.6, 0.9], cost: 0.001))",
            "--set",
            "states.CN.export_controls.magnets.reach_cost=Some(0.001)",
        ],
        "l",
    );
    let (figures, _) = checked_layers(&dir);
    let ladders = figures
        .iter()
        .find(|f| f.id == "ladders")
        .expect("a ladders figure");
    let sources: Vec<&str> = ladders
        .panels
        .iter()
        .flat_map(|p| &p.layers)
        .map(|l| l.source.as_str())
        .collect();
    for s in [
        "timeseries.csv:US_ethane_on_CN_restriction_level",
        "timeseries.csv:CN_magnets_to_US_extraterritorial_flag",
        "transcript.csv:event=escalate;actor=US;y=term",
    ] {
        assert!(sources.contains(&s), "{s} not in {sources:?}");
    }
}

fn layer<'a>(figures: &'a [Figure], id: &str, panel: &str, source: &str) -> &'a Kind {
    let figure = figures
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id}"));
    let panel = figure
        .panels
        .iter()
        .find(|p| p.title.starts_with(panel))
        .unwrap();
    &panel
        .layers
        .iter()
        .find(|l| l.source == source)
        .unwrap()
        .kind
}

#[test]
fn every_sweep_chart_plots_the_numbers_of_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = merged_sweep(tmp.path(), "sweep_small.ron", "s");
    let data = SweepData::load(&dir).unwrap();
    let figures = data.figures().unwrap();
    let runs = columns(&dir.join("runs.csv"));
    let pts = columns(&dir.join("points.csv"));
    let c = "first_agreement_week";
    assert!(data.headline().unwrap().contains(&c.to_string()));

    // Distributions: every ok run, and the quantiles of points.csv.
    let dots: Vec<(f64, f64)> = (0..runs["run"].len())
        .filter(|&r| runs["status"][r] == "ok")
        .filter_map(|r| Some((runs["point"][r].parse().unwrap(), num(&runs[c][r])?)))
        .collect();
    assert_eq!(
        points(layer(
            &figures,
            "distributions",
            c,
            &format!("runs.csv:point~{c}")
        )),
        dots
    );
    let rows: Vec<usize> = (0..pts["column"].len())
        .filter(|&i| pts["column"][i] == c)
        .collect();
    let intervals: Vec<(f64, f64, f64)> = rows
        .iter()
        .filter_map(|&i| {
            let p = |name: &str| num(&pts[name][i]);
            Some((p("point")?, p("q05")?, p("q95")?))
        })
        .collect();
    assert!(intervals.len() >= 3, "{intervals:?}");
    assert_eq!(
        layer(
            &figures,
            "distributions",
            c,
            &format!("points.csv:{c}:q05-q95")
        ),
        &Kind::Intervals(intervals)
    );

    // Main effects of the numeric axis: the mean of the runs at each value.
    let axis = "negotiation_deadline_weeks";
    let means = points(layer(
        &figures,
        "main-effect-negotiation-deadline-weeks",
        c,
        &format!("runs.csv:{axis}~{c}:mean"),
    ));
    assert_eq!(means.len(), 3, "{means:?}");
    for (x, mean) in means {
        let values: Vec<f64> = (0..runs["run"].len())
            .filter(|&r| runs["status"][r] == "ok" && runs[axis][r].parse::<f64>().unwrap() == x)
            .filter_map(|r| num(&runs[c][r]))
            .collect();
        let expected = values.iter().sum::<f64>() / values.len() as f64;
        assert!((mean - expected).abs() < 1e-9, "{x}: {mean} vs {expected}");
    }

    // The heat map: one cell per pair of axis values with a value, each
    // the mean of the ok runs in it (concession as the index of its text).
    let concession = "states_CN_preferences_concession";
    let Kind::Cells { cells, .. } = layer(
        &figures,
        "heatmap",
        c,
        &format!("runs.csv:{axis}~{concession}~{c}:mean"),
    ) else {
        panic!("heat map layer is not cells")
    };
    let mut names: Vec<&String> = runs[concession].iter().collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 2);
    assert!((4..=6).contains(&cells.len()), "{cells:?}");
    // Cells are cut around every axis value (8, 12, 16 weeks; the two
    // choices), whether or not their runs reached an agreement.
    let x_cells = [(6.0, 10.0), (10.0, 14.0), (14.0, 18.0)];
    let y_cells = [(-0.5, 0.5), (0.5, 1.5)];
    for cell in cells {
        assert!(
            x_cells.contains(&cell.x) && y_cells.contains(&cell.y),
            "{cell:?}"
        );
    }
    for cell in cells {
        let values: Vec<f64> = (0..runs["run"].len())
            .filter(|&r| runs["status"][r] == "ok")
            .filter(|&r| {
                let x: f64 = runs[axis][r].parse().unwrap();
                let y = names
                    .iter()
                    .position(|n| **n == runs[concession][r])
                    .unwrap() as f64;
                (cell.x.0..cell.x.1).contains(&x) && (cell.y.0..cell.y.1).contains(&y)
            })
            .filter_map(|r| num(&runs[c][r]))
            .collect();
        let expected = values.iter().sum::<f64>() / values.len() as f64;
        assert!(
            (cell.value - expected).abs() < 1e-9,
            "{cell:?} vs {expected}"
        );
    }
}

#[test]
fn ensemble_bands_are_the_quantiles_of_series_parquet() {
    use arrow_array::{Array, Float64Array, Int64Array};
    use statrs::statistics::{Data, OrderStatistics};
    let tmp = tempfile::tempdir().unwrap();
    let dir = merged_sweep(tmp.path(), "sweep_small.ron", "s");
    let figures = SweepData::load(&dir).unwrap().figures().unwrap();
    // series.parquet read with the parquet crate alone.
    let file = std::fs::File::open(dir.join("series.parquet")).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let name = "US_pressure_index";
    let mut groups: std::collections::BTreeMap<(i64, i64), Vec<f64>> = Default::default();
    for batch in reader {
        let batch = batch.unwrap();
        let col = |n: &str| batch.column(batch.schema().index_of(n).unwrap()).clone();
        let point = col("point");
        let point = point.as_any().downcast_ref::<Int64Array>().unwrap();
        let week = col("week");
        let week = week.as_any().downcast_ref::<Int64Array>().unwrap();
        let value = col(name);
        let value = value.as_any().downcast_ref::<Float64Array>().unwrap();
        for i in 0..batch.num_rows() {
            if value.is_valid(i) {
                groups
                    .entry((point.value(i), week.value(i)))
                    .or_default()
                    .push(value.value(i));
            }
        }
    }
    let (point, week) = (2i64, 10i64);
    let mut data = Data::new(groups[&(point, week)].clone());
    assert_eq!(data.len(), 3, "3 replicates");
    let figure = figures
        .iter()
        .find(|f| f.id == "bands-US-pressure-index")
        .expect("bands figure");
    let panel = figure
        .panels
        .iter()
        .find(|p| p.title == format!("design point {point}"))
        .unwrap();
    let at = |source: &str| -> Vec<f64> {
        let layer = panel.layers.iter().find(|l| l.source == source).unwrap();
        match &layer.kind {
            Kind::Band(v) => {
                let b = v.iter().find(|b| b.0 == week as f64).unwrap();
                vec![b.1, b.2]
            }
            Kind::Line(v) => vec![v.iter().find(|b| b.0 == week as f64).unwrap().1],
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        at("series.parquet:US_pressure_index:q05-q95"),
        vec![data.quantile(0.05), data.quantile(0.95)]
    );
    assert_eq!(
        at("series.parquet:US_pressure_index:q25-q75"),
        vec![data.quantile(0.25), data.quantile(0.75)]
    );
    assert_eq!(
        at("series.parquet:US_pressure_index:median"),
        vec![data.median()]
    );
    assert_eq!(figure.panels.len(), 6, "one panel per design point");
}

#[test]
fn sobol_bars_are_the_indices_of_sobol_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = merged_sweep(tmp.path(), "sweep_sobol_small.ron", "s");
    let data = SweepData::load(&dir).unwrap();
    let axes = data.manifest.axes.clone();
    let figures = data.figures().unwrap();
    let sobol = columns(&dir.join("sobol.csv"));
    // The first column with an index (a column constant over the runs has none).
    let first = (0..sobol["column"].len())
        .find(|&i| !sobol["total_order_index"][i].is_empty())
        .expect("some index");
    let c = &sobol["column"][first];
    let rows: Vec<usize> = (0..sobol["column"].len())
        .filter(|&i| &sobol["column"][i] == c)
        .collect();
    assert_eq!(rows.len(), axes.len());
    // Bar x is the axis's place in sweep.ron; first-order bars left of
    // centre, total bars right, each interval at its bar.
    let x = |i: usize| axes.iter().position(|a| *a == sobol["axis"][i]).unwrap() as f64;
    let mut intervals = Vec::new();
    for (name, offset) in [("first_order", -0.2), ("total_order", 0.2)] {
        let expected: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|&i| Some((x(i), num(&sobol[&format!("{name}_index")][i])?)))
            .collect();
        assert!(!expected.is_empty(), "{name}");
        let Kind::Bars {
            bars, offset: o, ..
        } = layer(&figures, "sobol", c, &format!("sobol.csv:{c}:{name}_index"))
        else {
            panic!("not bars")
        };
        assert_eq!((bars, *o), (&expected, offset), "{name}");
        intervals.extend(rows.iter().filter_map(|&i| {
            let lo = num(&sobol[&format!("{name}_ci95_low_index")][i])?;
            let hi = num(&sobol[&format!("{name}_ci95_high_index")][i])?;
            Some((x(i) + offset, lo, hi))
        }));
    }
    assert_eq!(
        layer(&figures, "sobol", c, &format!("sobol.csv:{c}:ci95")),
        &Kind::Intervals(intervals)
    );
}

fn report_fails(cwd: &Path, dir: &str, expected: &[&str]) {
    let o = chokepoint(cwd, &["report", dir]);
    let err = stderr(&o) + &String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for e in expected {
        assert!(err.contains(e), "`{e}` not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !cwd.join(dir).join("report.html").exists(),
        "a report was written"
    );
}

#[test]
fn a_missing_or_half_written_file_fails_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = small_run(tmp.path());
    let copy = |name: &str| {
        let to = tmp.path().join(name);
        std::fs::create_dir_all(&to).unwrap();
        for f in [
            "timeseries.csv",
            "summary.csv",
            "transcript.csv",
            "manifest.ron",
        ] {
            std::fs::copy(dir.join(f), to.join(f)).unwrap();
        }
        to
    };

    let gone = copy("gone");
    std::fs::remove_file(gone.join("transcript.csv")).unwrap();
    report_fails(tmp.path(), "gone", &["gone/transcript.csv: missing"]);

    // Cut in the middle of a line, as a killed writer would leave it.
    let cut = copy("cut");
    let text = std::fs::read_to_string(cut.join("timeseries.csv")).unwrap();
    std::fs::write(cut.join("timeseries.csv"), &text[..text.len() * 2 / 3]).unwrap();
    report_fails(
        tmp.path(),
        "cut",
        &["cut/timeseries.csv: line", "half-written"],
    );

    // Whole lines, but fewer weeks than the manifest says.
    let short = copy("short");
    let lines: Vec<&str> = text.lines().take(11).collect();
    std::fs::write(short.join("timeseries.csv"), lines.join("\n") + "\n").unwrap();
    report_fails(
        tmp.path(),
        "short",
        &["short/timeseries.csv: 10 weekly rows where the manifest says 40 weeks"],
    );

    let partial = copy(".r.partial-host-1-2");
    std::fs::remove_file(partial.join("manifest.ron")).unwrap();
    report_fails(
        tmp.path(),
        ".r.partial-host-1-2",
        &["manifest.ron", "still being written"],
    );

    report_fails(tmp.path(), "nowhere", &["nowhere: no such output folder"]);
}

#[test]
fn an_unmerged_sweep_or_missing_series_fail_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    // One shard of two: its part is written, the merge has not run.
    let file = data("sweep_small.ron");
    make(
        tmp.path(),
        &["sweep", file.to_str().unwrap(), "--shard", "0/2"],
        "s",
    );
    report_fails(
        tmp.path(),
        "s",
        &["s/runs.csv: missing", "chokepoint merge"],
    );
    // Merged, but the weekly series the sweep keeps are gone.
    make(
        tmp.path(),
        &["sweep", file.to_str().unwrap(), "--shard", "1/2"],
        "s",
    );
    let o = chokepoint(tmp.path(), &["merge", "s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(tmp.path().join("s/series.parquet")).unwrap();
    report_fails(tmp.path(), "s", &["s/series.parquet: missing"]);
}

/// Fewest coloured shapes each figure must show in the browser: one
/// legend glyph per named layer of a panel with a legend, plus at least one
/// shape per layer with data. A chart whose data did not draw shows only its
/// legend, fewer than this.
fn fewest_shapes(figures: &[Figure]) -> Vec<(String, usize)> {
    figures
        .iter()
        .map(|f| {
            let n = f
                .panels
                .iter()
                .map(|p| {
                    let named = p.layers.iter().filter(|l| !l.name.is_empty()).count();
                    let with_data = p
                        .layers
                        .iter()
                        .filter(|l| match &l.kind {
                            Kind::Line(v)
                            | Kind::Dashed(v)
                            | Kind::Steps(v)
                            | Kind::Markers(v, _) => !v.is_empty(),
                            Kind::Intervals(v) | Kind::Band(v) => !v.is_empty(),
                            Kind::Bars { bars, .. } => !bars.is_empty(),
                            Kind::Cells { cells, .. } => !cells.is_empty(),
                        })
                        .count();
                    named + with_data
                })
                .sum();
            (f.id.clone(), n)
        })
        .collect()
}

/// Renders a report in Chromium and checks every chart drew its data, with
/// no request; false when Chromium is not there (and not required).
fn check_in_browser(html: &Path, shot: &Path, figures: &[Figure]) -> bool {
    let Some(page) = check_page(html, shot, 1200, 2200) else {
        return false;
    };
    let fewest = fewest_shapes(figures);
    assert_eq!(page.charts.len(), fewest.len(), "{:?}", page.charts);
    for ((id, drawn), (want_id, fewest)) in page.charts.iter().zip(&fewest) {
        assert_eq!(id, want_id);
        assert!(
            *drawn >= *fewest && *drawn > 0,
            "chart `{id}` drew {drawn} shapes, fewer than its {fewest} legend glyphs and layers"
        );
    }
    assert!(
        page.requests.is_empty(),
        "the page made requests: {:?}",
        page.requests
    );
    assert!(
        page.inked_pixels > 100_000,
        "screenshot nearly blank: {}",
        page.inked_pixels
    );
    true
}

#[test]
fn reports_draw_every_chart_in_chromium_without_network() {
    let tmp = tempfile::tempdir().unwrap();
    // Every report is written first, so a machine without Chromium still
    // checks that they are written; then each is rendered.
    let run = make(
        tmp.path(),
        &["run", root().join("configs/baseline.ron").to_str().unwrap()],
        "baseline",
    );
    let o = chokepoint(tmp.path(), &["report", "baseline", "--figures", "fig"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["exports.svg", "exports.png", "pressure.svg", "pressure.png"] {
        assert!(
            tmp.path().join("fig").join(f).metadata().unwrap().len() > 1000,
            "{f}"
        );
    }
    let sweep = merged_sweep(tmp.path(), "sweep_small.ron", "s");
    let o = chokepoint(tmp.path(), &["report", "s", "--out", "sweep.html"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!sweep.join("report.html").exists());
    let sobol = merged_sweep(tmp.path(), "sweep_sobol_small.ron", "sobol");
    let o = chokepoint(tmp.path(), &["report", "sobol"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let run_figures = RunData::load(&run).unwrap().figures().unwrap();
    // exports, output, inventory, licences, pressure, restrictions, ladders,
    // bargaining and substitution (the baseline has ladders)
    assert_eq!(run_figures.len(), 9);
    // distributions, 2 main effects, heat map, bands of 2 series
    let sweep_figures = SweepData::load(&sweep).unwrap().figures().unwrap();
    assert_eq!(sweep_figures.len(), 6);
    // distributions, 2 main effects, heat map, Sobol bars
    let sobol_figures = SweepData::load(&sobol).unwrap().figures().unwrap();
    assert_eq!(sobol_figures.len(), 5);

    let shots = root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("run.png");
    if !check_in_browser(&run.join("report.html"), &shot, &run_figures) {
        return;
    }
    if std::env::var_os("CHOKEPOINT_UPDATE_DOCS").is_some() {
        std::fs::copy(&shot, root().join("docs/report-run.png")).unwrap();
    }
    check_in_browser(
        &tmp.path().join("sweep.html"),
        &shots.join("sweep.png"),
        &sweep_figures,
    );
    check_in_browser(
        &sobol.join("report.html"),
        &shots.join("sobol.png"),
        &sobol_figures,
    );
}
