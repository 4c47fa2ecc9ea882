//! The report of one run: its four files, its figures and its tables.

use super::chart::{Figure, Kind, Layer, Panel, Shape, XAxis};
use super::frame::{Frame, bad, read_required};
use crate::config::{self, ValidScenario};
use crate::error::Result;
use crate::metrics;
use crate::output::Manifest;
use crate::schema::{Column, Measure, Schema};
use crate::systems::{licensing, negotiate, pressure, production, substitution};
use chrono::NaiveDate;
use std::path::Path;

/// A run's output folder, read and checked.
#[derive(Debug)]
pub struct RunData {
    pub manifest: Manifest,
    /// The declared columns of the run's scenario: what the figures draw.
    pub schema: Schema,
    pub start: NaiveDate,
    pub timeseries: Frame,
    pub summary: Frame,
    pub transcript: Frame,
}

/// Negotiation events marked on the pressure chart: transcript `event`
/// value, legend name, marker shape, colour (states' lines take 0, 1, ...).
pub const MARKED_EVENTS: [(&str, &str, Shape, usize); 6] = [
    ("open", "talks opened", Shape::Circle, 2),
    ("offer", "offer", Shape::Dot, 3),
    ("agreement", "agreement", Shape::Triangle, 4),
    ("breakdown", "breakdown", Shape::Cross, 5),
    ("defection", "defection", Shape::Cross, 9),
    ("expiry", "expiry", Shape::Ring, 7),
];

/// Colour of the scheduled-event markers.
const SCHEDULED_COLOUR: usize = 8;

impl RunData {
    /// Reads `dir`; any missing, half-written or inconsistent file is an
    /// error naming it.
    pub fn load(dir: &Path) -> Result<RunData> {
        let manifest_path = dir.join("manifest.ron");
        let text = read_required(
            &manifest_path,
            "the run's manifest (is this a run's output folder?)",
        )?;
        let manifest: Manifest = config::parse_ron(&manifest_path, &text)?;
        let scenario = ValidScenario::check(manifest.scenario.clone()).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            bad(
                &manifest_path,
                format!("its scenario is not valid: {}", list.join("; ")),
            )
        })?;
        let schema = Schema::of(&scenario);
        let start = NaiveDate::parse_from_str(&manifest.start_date, "%Y-%m-%d").map_err(|e| {
            bad(
                &manifest_path,
                format!("start_date `{}`: {e}", manifest.start_date),
            )
        })?;
        let timeseries = Frame::read(&dir.join("timeseries.csv"), "the run's weekly series")?;
        let weeks = timeseries.numbers("week")?;
        let expected = manifest.weeks as usize;
        let in_order = weeks.iter().enumerate().all(|(i, w)| *w == Some(i as f64));
        if weeks.len() != expected {
            return Err(bad(
                &timeseries.path,
                format!(
                    "{} weekly rows where the manifest says {expected} weeks: the run is half-written or the files are from different runs",
                    weeks.len(),
                ),
            ));
        }
        if !in_order {
            return Err(bad(
                &timeseries.path,
                format!("the `week` column does not run 0, 1, ..., {}", expected - 1),
            ));
        }
        let summary = Frame::read(&dir.join("summary.csv"), "the run's summary")?;
        if summary.rows.len() != 1 {
            return Err(bad(
                &summary.path,
                format!("{} rows where a run's summary has 1", summary.rows.len()),
            ));
        }
        let seed = summary.only(&crate::metrics::SEED.name(&[]))?;
        if seed != Some(manifest.seed as f64) {
            return Err(bad(
                &summary.path,
                format!(
                    "seed {seed:?} where manifest.ron says {}: the files are from different runs",
                    manifest.seed
                ),
            ));
        }
        let transcript = Frame::read(&dir.join("transcript.csv"), "the negotiation transcript")?;
        for name in ["week", "track", "event", "actor"] {
            transcript.index(name)?;
        }
        for name in ["terms", "note"] {
            transcript.check_embedded_numbers(name)?;
        }
        // A folder written before the naming rule: say so, not "no column".
        if let Some(c) = timeseries.columns.iter().find_map(|c| {
            (schema.timeseries.get(c).is_none())
                .then(|| schema.timeseries.renamed(c))
                .flatten()
        }) {
            return Err(bad(
                &timeseries.path,
                format!(
                    "written by an older chokepoint (`{}` is now `{}`): run the scenario again",
                    c.old_name(),
                    c.name
                ),
            ));
        }
        Ok(RunData {
            manifest,
            schema,
            start,
            timeseries,
            summary,
            transcript,
        })
    }

    fn weeks(&self) -> XAxis {
        XAxis::Weeks { start: self.start }
    }

    /// (week, value) of a timeseries column, skipping empty cells.
    pub fn series(&self, column: &str) -> Result<Vec<(f64, f64)>> {
        Ok(self
            .timeseries
            .numbers(column)?
            .into_iter()
            .enumerate()
            .filter_map(|(w, v)| v.map(|v| (w as f64, v)))
            .collect())
    }

    /// The time series' columns of `measure`.
    fn columns_of(&self, measure: &'static Measure) -> Vec<&Column> {
        self.schema.timeseries.of(measure).collect()
    }

    /// Sector groups as (state, sector), in column order.
    pub fn groups(&self) -> Vec<(String, String)> {
        self.columns_of(&production::LICENCES_PENDING)
            .into_iter()
            .map(|c| (arg(c, "state"), arg(c, "sector")))
            .collect()
    }

    fn states(&self) -> Vec<String> {
        self.manifest
            .scenario
            .states
            .iter()
            .map(|s| s.code.clone())
            .collect()
    }

    /// Lines, one per (column, legend name), on a week axis.
    fn lines(&self, title: &str, y_label: &str, columns: &[(String, String)]) -> Result<Panel> {
        self.panel(title, y_label, columns, Kind::Line)
    }

    /// One layer of `kind` per (column, legend name), on a week axis.
    fn panel(
        &self,
        title: &str,
        y_label: &str,
        columns: &[(String, String)],
        kind: fn(Vec<(f64, f64)>) -> Kind,
    ) -> Result<Panel> {
        let layers = columns
            .iter()
            .enumerate()
            .map(|(i, (column, name))| {
                Ok(Layer::new(name, i, kind(self.series(column)?))
                    .from(format!("timeseries.csv:{column}")))
            })
            .collect::<Result<_>>()?;
        Ok(Panel {
            title: title.into(),
            x: self.weeks(),
            y_label: y_label.into(),
            layers,
        })
    }

    /// Every figure of the run's page (a figure with no panel, such as
    /// the ladders of a run without any, is left out).
    pub fn figures(&self) -> Result<Vec<Figure>> {
        let mut figures = vec![
            self.exports()?,
            self.output()?,
            self.inventory()?,
            self.licences()?,
            self.pressure()?,
            self.restrictions()?,
            self.ladders()?,
            self.bargaining()?,
            self.substitution()?,
        ];
        figures.retain(|f| !f.panels.is_empty());
        Ok(figures)
    }

    /// (week, y) of the transcript rows whose columns equal `filter`'s
    /// values; y is the row's column `y`, or for `y = "term"` the value of
    /// its one term (`issue=value`). Rows with no y are skipped. The
    /// layer's source says the same: `transcript.csv:K=V;...;y=Y`.
    pub fn transcript_points(&self, filter: &[(&str, &str)], y: &str) -> Result<Vec<(f64, f64)>> {
        let weeks = self.transcript.numbers("week")?;
        let cols: Vec<(Vec<&str>, &str)> = filter
            .iter()
            .map(|(k, v)| Ok((self.transcript.texts(k)?, *v)))
            .collect::<Result<_>>()?;
        let ys: Vec<Option<f64>> = if y == "term" {
            self.transcript
                .texts("terms")?
                .iter()
                .map(|t| t.split_once('=').and_then(|(_, v)| v.parse().ok()))
                .collect()
        } else {
            self.transcript.numbers(y)?
        };
        Ok((0..weeks.len())
            .filter(|&r| cols.iter().all(|(c, v)| c[r] == *v))
            .filter_map(|r| Some((weeks[r]?, ys[r]?)))
            .collect())
    }

    /// `transcript.csv:K=V;...;y=Y`, the source of `transcript_points`.
    fn transcript_source(filter: &[(&str, &str)], y: &str) -> String {
        let f: Vec<String> = filter.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("transcript.csv:{};y={y}", f.join(";"))
    }

    /// Each state's escalation ladders over time: the level of every
    /// policy it may move by decision (steps), and its escalations and
    /// withdrawals at the level they set. None when no state has a ladder.
    fn ladders(&self) -> Result<Figure> {
        let mut panels = Vec::new();
        for st in &self.manifest.scenario.states {
            let code = st.code.as_str();
            let mut columns: Vec<(String, String)> = st
                .tech_restrictions
                .iter()
                .filter(|r| r.ladder.is_some())
                .map(|r| {
                    let args = [
                        ("state", code),
                        ("sector", &r.sector),
                        ("target", &r.target),
                    ];
                    (
                        negotiate::RESTRICTION.name(&args),
                        format!("{} on {}", r.sector, r.target),
                    )
                })
                .collect();
            for ec in st.export_controls.iter().filter(|c| c.reach_cost.is_some()) {
                columns.extend(
                    self.columns_of(&licensing::EXTRATERRITORIAL)
                        .into_iter()
                        .filter(|c| {
                            c.arg("supplier") == Some(code)
                                && c.arg("material") == Some(&ec.material)
                        })
                        .map(|c| (c.name.clone(), format!("reach over {}", arg(c, "state")))),
                );
            }
            if columns.is_empty() {
                continue;
            }
            let mut panel = self.panel(
                &format!("ladders of {code}"),
                "level",
                &columns,
                Kind::Steps,
            )?;
            for (event, shape, colour) in [
                ("escalate", Shape::Triangle, 4),
                ("withdraw", Shape::Cross, 5),
            ] {
                let filter = [("event", event), ("actor", code)];
                let marks = self.transcript_points(&filter, "term")?;
                if !marks.is_empty() {
                    panel.layers.push(
                        Layer::new(event, colour, Kind::Markers(marks, shape))
                            .from(Self::transcript_source(&filter, "term")),
                    );
                }
            }
            panels.push(panel);
        }
        Ok(Figure {
            id: "ladders".into(),
            title: "Escalation ladders".into(),
            caption: "timeseries.csv levels of the policies with a ladder (steps), and transcript.csv `escalate` and `withdraw` rows at the level they set (their term).".into(),
            grid_columns: 1,
            panels,
        })
    }

    /// The negotiation, per track and side: the side's utility of every
    /// offer (by either state) and of each agreement, week by week (one
    /// round a week), with the side's reservation when it moved.
    fn bargaining(&self) -> Result<Figure> {
        let tracks: Vec<String> = {
            let mut t: Vec<String> = Vec::new();
            for x in self.transcript.texts("track")? {
                if !t.iter().any(|y| y == x) {
                    t.push(x.to_string());
                }
            }
            t
        };
        let mut panels = Vec::new();
        for track in &tracks {
            let mut parts = track.split('-');
            let (supplier, consumer) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            for (state, side) in [(consumer, "consumer"), (supplier, "supplier")] {
                let y = format!("{side}_utility_index");
                let mut layers = Vec::new();
                for (i, by) in [consumer, supplier].into_iter().enumerate() {
                    let f = [("track", track.as_str()), ("event", "offer"), ("actor", by)];
                    layers.push(
                        Layer::new(
                            format!("offers by {by}"),
                            i,
                            Kind::Markers(self.transcript_points(&f, &y)?, Shape::Dot),
                        )
                        .from(Self::transcript_source(&f, &y)),
                    );
                }
                let f = [("track", track.as_str()), ("event", "agreement")];
                layers.push(
                    Layer::new(
                        "agreement",
                        4,
                        Kind::Markers(self.transcript_points(&f, &y)?, Shape::Triangle),
                    )
                    .from(Self::transcript_source(&f, &y)),
                );
                let f = [("track", track.as_str()), ("actor", state)];
                let r = "actor_reservation_index";
                layers.push(
                    Layer::new(
                        format!("{state}'s reservation"),
                        7,
                        Kind::Markers(self.transcript_points(&f, r)?, Shape::Ring),
                    )
                    .from(Self::transcript_source(&f, r)),
                );
                layers.retain(|l| !matches!(&l.kind, Kind::Markers(p, _) if p.is_empty()));
                if layers.is_empty() {
                    continue;
                }
                panels.push(Panel {
                    title: format!("{track}: {state}'s utility"),
                    x: self.weeks(),
                    y_label: "utility (0 to 1)".into(),
                    layers,
                });
            }
        }
        Ok(Figure {
            id: "bargaining".into(),
            title: "The negotiation: each side's utility of every offer".into(),
            caption: "transcript.csv `consumer_utility` and `supplier_utility` of each offer and agreement, by week (one round a week), and the side's `actor_reservation` on the rows where it moved (rings).".into(),
            grid_columns: 2,
            panels,
        })
    }

    fn exports(&self) -> Result<Figure> {
        let mut panels = Vec::new();
        for c in self.columns_of(&metrics::EXPORTS) {
            let args: Vec<(&str, &str)> = c.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let baseline_column = metrics::BASELINE_EXPORTS.name(&args);
            let baseline = self
                .summary
                .only(&baseline_column)?
                .ok_or_else(|| bad(&self.summary.path, format!("`{baseline_column}` is empty")))?;
            let series = self.series(&c.name)?;
            let level: Vec<(f64, f64)> = series.iter().map(|&(w, _)| (w, baseline)).collect();
            panels.push(Panel {
                title: format!(
                    "{} {} to {}",
                    arg(c, "material").replace('_', " "),
                    arg(c, "supplier"),
                    arg(c, "state")
                ),
                x: self.weeks(),
                y_label: "kg per week".into(),
                layers: vec![
                    Layer::new("exports", 0, Kind::Line(series))
                        .from(format!("timeseries.csv:{}", c.name)),
                    Layer::new("pre-control level", 1, Kind::Dashed(level))
                        .from(format!("summary.csv:{baseline_column}")),
                ],
            });
        }
        Ok(Figure {
            id: "exports".into(),
            title: "Exports against their pre-control level".into(),
            caption: format!(
                "Weekly exports from the supplier to each consumer (timeseries.csv `{}`) and the pre-control weekly level (summary.csv `{}`).",
                metrics::EXPORTS.name_pattern(),
                metrics::BASELINE_EXPORTS.name_pattern()
            ),
            grid_columns: 2,
            panels,
        })
    }

    fn output(&self) -> Result<Figure> {
        let panels = self
            .groups()
            .iter()
            .map(|(state, sector)| {
                let g = [("state", state.as_str()), ("sector", sector.as_str())];
                let mut p = self.lines(
                    &format!("{state} {}", sector.replace('_', " ")),
                    "per week",
                    &[
                        (production::OUTPUT.name(&g), "output".into()),
                        (production::LOST_OUTPUT.name(&g), "lost output".into()),
                    ],
                )?;
                let capacity = production::CAPACITY.name(&g);
                p.layers.push(
                    Layer::new("capacity", 2, Kind::Dashed(self.series(&capacity)?))
                        .from(format!("timeseries.csv:{capacity}")),
                );
                Ok(p)
            })
            .collect::<Result<_>>()?;
        Ok(Figure {
            id: "output".into(),
            title: "Output and lost output per sector".into(),
            caption: format!(
                "timeseries.csv `{}`, `{}` and `{}`.",
                production::OUTPUT.name_pattern(),
                production::LOST_OUTPUT.name_pattern(),
                production::CAPACITY.name_pattern()
            ),
            grid_columns: 2,
            panels,
        })
    }

    fn inventory(&self) -> Result<Figure> {
        let columns: Vec<(String, String)> = self
            .columns_of(&production::INVENTORY)
            .into_iter()
            .map(|c| {
                (
                    c.name.clone(),
                    format!("{}_{}", arg(c, "state"), arg(c, "sector")),
                )
            })
            .collect();
        Ok(Figure {
            id: "inventory".into(),
            title: "Inventory per sector".into(),
            caption: format!(
                "Weeks of use held in stock, timeseries.csv `{}`.",
                production::INVENTORY.name_pattern()
            ),
            grid_columns: 1,
            panels: vec![self.lines("inventory", "weeks of use", &columns)?],
        })
    }

    fn licences(&self) -> Result<Figure> {
        let panels = self
            .groups()
            .iter()
            .map(|(state, sector)| {
                let g = [("state", state.as_str()), ("sector", sector.as_str())];
                let columns = [
                    (&production::LICENCES_PENDING, "pending"),
                    (&production::LICENCES_GRANTED, "granted"),
                    (&production::LICENCES_DENIED, "denied"),
                ]
                .map(|(m, s)| (m.name(&g), s.to_owned()));
                self.lines(
                    &format!("{state} {}", sector.replace('_', " ")),
                    "licences",
                    &columns,
                )
            })
            .collect::<Result<_>>()?;
        Ok(Figure {
            id: "licences".into(),
            title: "Export licences pending, granted and denied per sector".into(),
            caption: format!(
                "timeseries.csv `{}`, `{}`, `{}`.",
                production::LICENCES_PENDING.name_pattern(),
                production::LICENCES_GRANTED.name_pattern(),
                production::LICENCES_DENIED.name_pattern()
            ),
            grid_columns: 2,
            panels,
        })
    }

    /// The state a transcript row concerns: its actor when that is a
    /// state, else (agreements, expiries) the consumer of its track
    /// `SUPPLIER-CONSUMER-MATERIAL`, else the first state.
    pub fn row_state(&self, actor: &str, track: &str) -> usize {
        let states = self.states();
        let consumer = track.split('-').nth(1).unwrap_or_default();
        states
            .iter()
            .position(|s| s == actor)
            .or_else(|| states.iter().position(|s| s == consumer))
            .unwrap_or(0)
    }

    /// Events of `kind` in the transcript as (week, pressure that week of
    /// the state the row concerns, see [`Self::row_state`]).
    pub fn event_marks(&self, kind: &str) -> Result<Vec<(f64, f64)>> {
        let states = self.states();
        if states.is_empty() {
            return Err(bad(
                &self.timeseries.path,
                "the manifest's scenario has no states",
            ));
        }
        let weeks = self.transcript.numbers("week")?;
        let events = self.transcript.texts("event")?;
        let actors = self.transcript.texts("actor")?;
        let tracks = self.transcript.texts("track")?;
        let pressure: Vec<Vec<Option<f64>>> = states
            .iter()
            .map(|s| {
                self.timeseries
                    .numbers(&pressure::PRESSURE.name(&[("state", s)]))
            })
            .collect::<Result<_>>()?;
        let mut marks = Vec::new();
        for (row, event) in events.iter().enumerate() {
            if *event != kind {
                continue;
            }
            let line = row + 2;
            let week = weeks[row]
                .filter(|w| *w >= 0.0 && (*w as usize) < pressure[0].len())
                .ok_or_else(|| {
                    bad(
                        &self.transcript.path,
                        format!("line {line}: no week, or a week the run does not have"),
                    )
                })?;
            let state = self.row_state(actors[row], tracks[row]);
            let y = pressure[state][week as usize].ok_or_else(|| {
                bad(
                    &self.timeseries.path,
                    format!(
                        "`{}` is empty in week {week}",
                        pressure::PRESSURE.name(&[("state", &states[state])])
                    ),
                )
            })?;
            marks.push((week, y));
        }
        Ok(marks)
    }

    /// Weeks in which scheduled events were applied (timeseries.csv
    /// `events`), marked at the top of the pressure scale.
    pub fn scheduled_marks(&self) -> Result<Vec<(f64, f64)>> {
        Ok(self
            .timeseries
            .texts(&crate::systems::events::EVENTS.name(&[]))?
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.trim().is_empty())
            .map(|(w, _)| (w as f64, 1.0))
            .collect())
    }

    fn pressure(&self) -> Result<Figure> {
        let columns: Vec<(String, String)> = self
            .states()
            .into_iter()
            .map(|s| {
                (
                    pressure::PRESSURE.name(&[("state", &s)]),
                    format!("{s} pressure"),
                )
            })
            .collect();
        let mut panel = self.lines("pressure", "pressure (0 to 1)", &columns)?;
        for (kind, name, shape, colour) in MARKED_EVENTS {
            let marks = self.event_marks(kind)?;
            if !marks.is_empty() {
                panel.layers.push(
                    Layer::new(name, colour, Kind::Markers(marks, shape))
                        .from(format!("transcript.csv:event={kind}")),
                );
            }
        }
        let scheduled = self.scheduled_marks()?;
        if !scheduled.is_empty() {
            panel.layers.push(
                Layer::new(
                    "scheduled event",
                    SCHEDULED_COLOUR,
                    Kind::Markers(scheduled, Shape::Triangle),
                )
                .from(format!(
                    "timeseries.csv:{}",
                    crate::systems::events::EVENTS.name(&[])
                )),
            );
        }
        Ok(Figure {
            id: "pressure".into(),
            title: "Pressure on each state, with the negotiation's events".into(),
            caption: format!(
                "timeseries.csv `{}`. Markers are transcript.csv events on the line of the state that acted (agreements and expiries, which have no actor, on the consumer's), and weeks with scheduled events (timeseries.csv `events`) at the top.",
                pressure::PRESSURE.name_pattern()
            ),
            grid_columns: 1,
            panels: vec![panel],
        })
    }

    fn restrictions(&self) -> Result<Figure> {
        let mut panels = Vec::new();
        for state in self.states() {
            let restrictions: Vec<(String, String)> = self
                .columns_of(&negotiate::RESTRICTION)
                .into_iter()
                .filter(|c| c.arg("state") == Some(state.as_str()))
                .map(|c| {
                    (
                        c.name.clone(),
                        format!("{} on {}", arg(c, "sector"), arg(c, "target")),
                    )
                })
                .collect();
            let controls: Vec<(String, String)> = [
                &licensing::CONTROL_ACTIVE,
                &licensing::CIVILIAN_APPROVAL,
                &licensing::GENERAL_LICENCE,
                &licensing::EXTRATERRITORIAL,
            ]
            .into_iter()
            .flat_map(|m| self.columns_of(m))
            .filter(|c| c.arg("supplier") == Some(state.as_str()))
            .map(|c| (c.name.clone(), legend(c)))
            .collect();
            for (title, columns) in [
                (format!("restrictions imposed by {state}"), restrictions),
                (format!("export controls of {state}"), controls),
            ] {
                if !columns.is_empty() {
                    panels.push(self.panel(&title, "level", &columns, Kind::Steps)?);
                }
            }
        }
        Ok(Figure {
            id: "restrictions".into(),
            title: "Restriction levels and export-control terms".into(),
            caption: format!(
                "timeseries.csv `{}` and the supplier's control terms, as steps: a level holds until it changes.",
                negotiate::RESTRICTION.name_pattern()
            ),
            grid_columns: 1,
            panels,
        })
    }

    fn substitution(&self) -> Result<Figure> {
        let named = |m: &'static Measure| -> Vec<(String, String)> {
            self.columns_of(m)
                .into_iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        format!("{} {}", arg(c, "state"), arg(c, "material")),
                    )
                })
                .collect()
        };
        Ok(Figure {
            id: "substitution".into(),
            title: "Substitution capacity".into(),
            caption: format!(
                "Supply from substitutes per week (timeseries.csv `{}`) and as a share of pre-control imports (`{}`).",
                substitution::SUBSTITUTION.name_pattern(),
                substitution::SUBSTITUTION_SHARE.name_pattern()
            ),
            grid_columns: 2,
            panels: vec![
                self.lines(
                    "substitute supply",
                    "kg per week",
                    &named(&substitution::SUBSTITUTION),
                )?,
                self.lines(
                    "share of pre-control imports",
                    "share",
                    &named(&substitution::SUBSTITUTION_SHARE),
                )?,
            ],
        })
    }
}

/// The value of placeholder `key` of a declared column.
fn arg(c: &Column, key: &str) -> String {
    c.arg(key).unwrap_or_default().to_string()
}

/// A control term's legend: its name without the supplier and the unit
/// (`ndfeb magnets to US civilian approval`).
fn legend(c: &Column) -> String {
    let name = c.name.as_str();
    let name = name
        .strip_prefix(&format!(
            "{}_",
            crate::schema::sanitize(&arg(c, "supplier"))
        ))
        .unwrap_or(name);
    let unit = c.measure.unit.suffix();
    let name = name.strip_suffix(&format!("_{unit}")).unwrap_or(name);
    name.replace('_', " ")
}
