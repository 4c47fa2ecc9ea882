//! `chokepoint patterns`: runs a run file's scenario over seeds 1 to N in
//! memory and reports, for each pattern of the 2025 sequence
//! (models/ODD.md, section 8), the share of seeds that show it and the
//! median and 5-95 % range of the week it comes. A pattern is defined on
//! the model's structure (a track's consumer and supplier, the moves of
//! the transcript and their terms, the restrictions held at week 0, the
//! civilian firms' groups), never on a scenario's names, so it applies to
//! any scenario.

use crate::config::{EndUse, ResolvedRun};
use crate::error::Result;
use crate::metrics::{Cell, Table};
use crate::sim::{self, RunTables};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What one pattern is and how a run shows it.
pub struct Pattern {
    pub name: &'static str,
    pub criterion: &'static str,
    /// `None`: the run does not show it; `Some(week)`: it does, from that
    /// week (`NaN` when the pattern has no week).
    find: fn(&Run) -> Option<f64>,
}

/// One pattern over the seeds: how many show it, and the weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: &'static str,
    pub criterion: &'static str,
    pub shown: usize,
    pub seeds: usize,
    /// Median, 5 % and 95 % of the weeks (none when no seed shows it or
    /// the pattern has no week).
    pub weeks: Option<[f64; 3]>,
}

/// A run's tables and what the patterns need to read them.
struct Run<'a> {
    t: &'a RunTables,
    /// Groups (`HOME_SECTOR`) of civilian firms, in order (the sums over
    /// them do not depend on a hash).
    civilian: &'a BTreeSet<String>,
    /// (state, sector, target, level) of the restrictions the scenario
    /// holds above 0 at the start.
    held: &'a [(String, String, String, f64)],
    /// The transcript's rows, read once.
    moves: Vec<Move<'a>>,
}

fn num(c: &Cell) -> Option<f64> {
    match c {
        Cell::Num(v) => Some(*v),
        Cell::Int(v) => Some(*v as f64),
        _ => None,
    }
}

fn text(c: &Cell) -> &str {
    match c {
        Cell::Text(s) => s,
        _ => "",
    }
}

/// One transcript row, by name.
struct Move<'a> {
    week: f64,
    event: &'a str,
    actor: &'a str,
    /// (supplier, consumer) of the row's track (`SUPPLIER-CONSUMER-MATERIAL`).
    track: &'a str,
    terms: &'a str,
    note: &'a str,
}

impl Move<'_> {
    fn supplier(&self) -> &str {
        self.track.split('-').next().unwrap_or("")
    }
    fn consumer(&self) -> &str {
        self.track.split('-').nth(1).unwrap_or("")
    }
    /// The value of `issue` in the packed terms.
    fn term(&self, issue: &str) -> Option<f64> {
        self.terms.split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == issue).then(|| v.parse().ok()).flatten()
        })
    }
    /// The (sector, value) of its `prefix[SECTOR]` terms.
    fn levels(&self, prefix: &str) -> Vec<(&str, f64)> {
        self.terms
            .split(';')
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                let s = k
                    .strip_prefix(prefix)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?;
                Some((s, v.parse().ok()?))
            })
            .collect()
    }

    /// The sectors of `prefix[SECTOR]` terms with a value above 0.
    fn sectors(&self, prefix: &str) -> Vec<&str> {
        self.levels(prefix)
            .into_iter()
            .filter(|&(_, v)| v > 0.0)
            .map(|(s, _)| s)
            .collect()
    }
}

/// The transcript's rows, by name (none if a column is missing).
fn moves(t: &Table) -> Vec<Move<'_>> {
    let at = |name: &str| t.columns.iter().position(|c| c == name);
    let (Some(w), Some(e), Some(a), Some(k), Some(m), Some(n)) = (
        at("week"),
        at("event"),
        at("actor"),
        at("track"),
        at("terms"),
        at("note"),
    ) else {
        return Vec::new();
    };
    t.rows
        .iter()
        .map(|r| Move {
            week: num(&r[w]).unwrap_or(f64::NAN),
            event: text(&r[e]),
            actor: text(&r[a]),
            track: text(&r[k]),
            terms: text(&r[m]),
            note: text(&r[n]),
        })
        .collect()
}

impl<'a> Run<'a> {
    fn first(&self, ok: impl Fn(&Move) -> bool) -> Option<f64> {
        self.moves.iter().find(|m| ok(m)).map(|m| m.week)
    }

    /// The week of the first agreement on `e`'s track from `e`'s week on.
    fn agreed_after(&self, e: &Move) -> Option<f64> {
        self.moves
            .iter()
            .find(|m| m.event == "agreement" && m.track == e.track && m.week >= e.week)
            .map(|m| m.week)
    }

    fn expiries(&self) -> impl Iterator<Item = &Move<'a>> {
        self.moves.iter().filter(|e| e.event == "expiry")
    }

    fn summary(&self, column: &str) -> Option<f64> {
        self.t
            .summary
            .column(column)
            .and_then(|c| c.first().and_then(|c| num(c)))
    }

    fn series(&self, column: &str) -> Option<Vec<f64>> {
        Some(
            self.t
                .timeseries
                .column(column)?
                .into_iter()
                .map(|c| num(c).unwrap_or(f64::NAN))
                .collect(),
        )
    }

    /// Each consumer's exports received over its pre-control level, by week.
    fn export_shares(&self) -> Vec<Vec<f64>> {
        let ts: &Table = &self.t.timeseries;
        ts.columns
            .iter()
            .filter_map(|c| {
                let prefix = c.strip_suffix("_exports_kg")?;
                let base = self.summary(&format!("{prefix}_baseline_exports_kg_per_week"))?;
                (base > 0.0).then(|| self.series(c).unwrap().iter().map(|x| x / base).collect())
            })
            .collect()
    }

    /// The first agreement, if any.
    fn first_agreement(&self) -> Option<&Move<'a>> {
        self.moves.iter().find(|m| m.event == "agreement")
    }
}

/// The sectors a track's consumer raised by decision up to `week` and has
/// not stepped back down to 0 since.
fn raised_before<'a>(moves: &'a [Move], track: &str, week: f64) -> HashSet<&'a str> {
    let mut raised = HashSet::new();
    for m in moves.iter().filter(|m| m.track == track && m.week <= week) {
        if m.actor != m.consumer() {
            continue;
        }
        match m.event {
            "escalate" => raised.extend(m.sectors("restriction")),
            // a withdrawal's term is the level it leaves
            "withdraw" => {
                for (sector, _) in m
                    .levels("restriction")
                    .into_iter()
                    .filter(|&(_, v)| v <= 0.0)
                {
                    raised.remove(sector);
                }
            }
            _ => {}
        }
    }
    raised
}

/// Every pattern, in the order of the 2025 sequence.
pub static PATTERNS: &[Pattern] = &[
    Pattern {
        name: "civilian shortage",
        criterion: "more than 10 % of the civilian firms' capacity idle by week 6",
        find: |r| {
            let mut lost: Vec<f64> = Vec::new();
            let mut cap: Vec<f64> = Vec::new();
            for g in r.civilian {
                let (Some(l), Some(c)) = (
                    r.series(&format!("{g}_lost_output_units")),
                    r.series(&format!("{g}_capacity_units_per_week")),
                ) else {
                    continue;
                };
                lost.resize(l.len(), 0.0);
                cap.resize(c.len(), 0.0);
                lost.iter_mut().zip(&l).for_each(|(a, b)| *a += b);
                cap.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
            }
            let week = lost
                .iter()
                .zip(&cap)
                .position(|(l, c)| *c > 0.0 && l / c > 0.10)?;
            (week <= 6).then_some(week as f64)
        },
    },
    Pattern {
        name: "first civilian licences",
        criterion: "the first civilian licence granted in weeks 6-10",
        find: |r| {
            let w = r.summary("first_civilian_licence_week")?;
            (6.0..=10.0).contains(&w).then_some(w)
        },
    },
    Pattern {
        name: "exports collapse",
        criterion: "a consumer's imports from the supplier below 25 % of their pre-control level in some week 0-8",
        find: |r| {
            r.export_shares()
                .iter()
                .filter_map(|s| s.iter().take(9).position(|&x| x < 0.25))
                .min()
                .map(|w| w as f64)
        },
    },
    Pattern {
        name: "consumer's counter-escalation",
        criterion: "a track's consumer climbs a rung by decision",
        find: |r| r.first(|m| m.event == "escalate" && m.actor == m.consumer()),
    },
    Pattern {
        name: "first agreement",
        criterion: "any agreement",
        find: |r| r.first_agreement().map(|m| m.week),
    },
    Pattern {
        name: "the deal trades the counter-escalation",
        criterion: "the first agreement relieves every restriction its consumer raised by decision before it (and it raised one)",
        find: |r| {
            let deal = r.first_agreement()?;
            let raised = raised_before(&r.moves, deal.track, deal.week);
            let relieved: HashSet<&str> = deal.sectors("relief").into_iter().collect();
            (!raised.is_empty() && raised.is_subset(&relieved)).then_some(deal.week)
        },
    },
    Pattern {
        name: "... not what was restricted from the start",
        criterion: "the first agreement lifts less than 10 % of every restriction the scenario holds at the start",
        find: |r| {
            let deal = r.first_agreement()?;
            let ok = r
                .held
                .iter()
                .filter(|(st, _, target, _)| st == deal.consumer() && target == deal.supplier())
                .all(|(_, sector, _, level)| {
                    deal.term(&format!("relief[{sector}]")).unwrap_or(0.0) < 0.1 * level
                });
            ok.then_some(deal.week)
        },
    },
    Pattern {
        name: "exports recover",
        criterion: "a consumer's imports above their pre-control level within 12 weeks of the first agreement",
        find: |r| {
            let w = r.first_agreement()?.week as usize;
            r.export_shares()
                .iter()
                .filter_map(|s| s.iter().skip(w).take(13).position(|&x| x > 1.0))
                .min()
                .map(|k| (w + k) as f64)
        },
    },
    Pattern {
        name: "supplier's second round",
        criterion: "a track's supplier climbs a rung by decision (its control at week 0 is an input)",
        find: |r| r.first(|m| m.event == "escalate" && m.actor == m.supplier()),
    },
    Pattern {
        name: "a truce broken by escalation",
        criterion: "a side escalates while an agreement is in force (a defection by escalating)",
        find: |r| r.first(|m| m.event == "defection" && m.note.starts_with("by escalating")),
    },
    Pattern {
        name: "truce with suspensions (Busan type)",
        criterion: "an agreement in which the consumer relieves a restriction and the supplier suspends its reach or grants general licences",
        find: |r| {
            r.first(|m| {
                m.event == "agreement"
                    && !m.sectors("relief").is_empty()
                    && (m.term("suspend_expanded").unwrap_or(0.0) >= 0.5
                        || m.term("general_licence").unwrap_or(0.0) >= 0.5)
            })
        },
    },
    Pattern {
        name: "renewal",
        criterion: "an agreement on a track after an agreement on it expired (the week of the first renewal)",
        find: |r| {
            r.expiries()
                .filter_map(|e| r.agreed_after(e))
                .min_by(f64::total_cmp)
        },
    },
    Pattern {
        name: "lapse",
        criterion: "an agreement expires and no agreement follows on its track in the run (the week of the expiry)",
        find: |r| {
            r.expiries()
                .find(|e| r.agreed_after(e).is_none())
                .map(|e| e.week)
        },
    },
    Pattern {
        name: "breakdown",
        criterion: "talks break down (a walkout or the deadline)",
        find: |r| r.first(|m| m.event == "breakdown"),
    },
    Pattern {
        name: "readiness gap",
        criterion: "a state's readiness gap (its military capacity idle) reaches 0.05 in some week",
        find: |r| {
            let ts: &Table = &r.t.timeseries;
            // a state's columns: `{state}_pressure_index` and `{state}_readiness_gap_share`
            ts.columns
                .iter()
                .filter_map(|c| c.strip_suffix("_pressure_index"))
                .filter_map(|st| r.series(&format!("{st}_readiness_gap_share")))
                .filter_map(|g| g.iter().position(|&g| g >= 0.05))
                .min()
                .map(|w| w as f64)
        },
    },
    Pattern {
        name: "defence primes never licensed",
        criterion: "no military licence granted in the run (no week)",
        find: |r| (r.summary("military_licences_granted_count")? == 0.0).then_some(f64::NAN),
    },
    Pattern {
        name: "substitution too slow",
        criterion: "every consumer's substitution below 10 % of its pre-control imports at the end (no week)",
        find: |r| {
            let shares: Vec<f64> =
                r.t.summary
                    .columns
                    .iter()
                    .filter(|c| c.ends_with("_final_substitution_share"))
                    .filter_map(|c| r.summary(c))
                    .collect();
            (!shares.is_empty() && shares.iter().all(|&s| s < 0.10)).then_some(f64::NAN)
        },
    },
];

/// The p-quantile of sorted `x`, linear between order statistics
/// (Hyndman and Fan's type 7, numpy's default).
fn quantile(x: &[f64], p: f64) -> f64 {
    let h = (x.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    x[lo] + (h - lo as f64) * (x[hi] - x[lo])
}

/// The groups of a scenario's civilian firms, named as their columns are.
fn civilian_groups(run: &ResolvedRun) -> BTreeSet<String> {
    let raw = run.scenario.raw();
    let firms = raw.firms.iter().map(|f| (&f.home, &f.sector, f.end_use));
    let pops = raw
        .populations
        .iter()
        .map(|p| (&p.home, &p.sector, p.end_use));
    firms
        .chain(pops)
        .filter(|(_, _, e)| *e == EndUse::Civilian)
        .map(|(h, s, _)| format!("{h}_{s}"))
        .collect()
}

/// Runs seeds 1 to `seeds` of `run` (each single-threaded, `jobs` at once)
/// and measures every pattern. Progress goes to stderr.
pub fn measure(run: &ResolvedRun, seeds: u64, jobs: usize) -> Result<Vec<Row>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .thread_name(|i| format!("chokepoint-patterns-{i}"))
        .build()
        .map_err(|e| crate::error::Error::Usage(format!("cannot start {jobs} threads: {e}")))?;
    let civilian = civilian_groups(run);
    let held: Vec<(String, String, String, f64)> = run
        .scenario
        .raw()
        .states
        .iter()
        .flat_map(|st| {
            st.tech_restrictions
                .iter()
                .filter(|r| r.level > 0.0)
                .map(|r| (st.code.clone(), r.sector.clone(), r.target.clone(), r.level))
        })
        .collect();
    let done = AtomicUsize::new(0);
    let step = (seeds as usize / 10).max(1);
    let found: Vec<Vec<Option<f64>>> = pool.install(|| {
        (1..=seeds)
            .into_par_iter()
            .map(|seed| {
                let tables = sim::run_scenario(&run.scenario, seed, run.horizon, None);
                let r = Run {
                    t: &tables,
                    civilian: &civilian,
                    held: &held,
                    moves: moves(&tables.transcript),
                };
                let got = PATTERNS.iter().map(|p| (p.find)(&r)).collect();
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if k.is_multiple_of(step) || k == seeds as usize {
                    eprintln!("patterns: {k}/{seeds} runs");
                }
                got
            })
            .collect()
    });
    Ok(PATTERNS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let seen: Vec<f64> = found.iter().filter_map(|f| f[i]).collect();
            let mut weeks: Vec<f64> = seen.iter().copied().filter(|w| !w.is_nan()).collect();
            weeks.sort_by(f64::total_cmp);
            Row {
                name: p.name,
                criterion: p.criterion,
                shown: seen.len(),
                seeds: seeds as usize,
                weeks: (!weeks.is_empty()).then(|| [0.5, 0.05, 0.95].map(|q| quantile(&weeks, q))),
            }
        })
        .collect())
}

/// The rows as a Markdown table, as models/ODD.md reports it.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| pattern | criterion | seeds | week: median [5 %, 95 %] |\n|---|---|---|---|\n",
    );
    for r in rows {
        let weeks = r.weeks.map_or("-".to_string(), |[m, lo, hi]| {
            format!("{} [{}, {}]", g(m), g(lo), g(hi))
        });
        s += &format!(
            "| {} | {} | {}/{} | {} |\n",
            r.name, r.criterion, r.shown, r.seeds, weeks
        );
    }
    s
}

/// A week as the table prints it: whole weeks bare, else one decimal.
fn g(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x}")
    } else {
        format!("{x:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&x, 0.5), 3.0);
        assert_eq!(quantile(&x, 0.0), 1.0);
        assert_eq!(quantile(&x, 1.0), 5.0);
        assert!((quantile(&x, 0.05) - 1.2).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn terms_are_read_from_the_packed_string() {
        let m = Move {
            week: 3.0,
            event: "agreement",
            actor: "",
            track: "CN-US-magnets",
            terms: "relief[eda]=0.800;relief[chips]=0.000;suspend_expanded=1.000",
            note: "",
        };
        assert_eq!((m.supplier(), m.consumer()), ("CN", "US"));
        assert_eq!(m.sectors("relief"), vec!["eda"]);
        assert_eq!(m.term("suspend_expanded"), Some(1.0));
        assert_eq!(m.term("general_licence"), None);
    }
}
