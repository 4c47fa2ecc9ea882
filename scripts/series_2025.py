#!/usr/bin/env python3
"""The baseline's 2025 export series and US auto losses against the record.

Runs `configs/baseline.ron` over seeds 1-N (default 100) and reports, for
April-September 2025, the median model's monthly magnet exports from China
to the US as a ratio to the pre-control monthly level, beside China's
customs figures as a ratio to their 2024 monthly mean (about 620 t), with
the root-mean-square error over the six months; the outside price's peak
over the inside one; and the share of US auto capacity lost in weeks 4-12
(the median seed's).

Binning: week w's exports are a flow over the 7 days from the run's start
+ 7w; each day goes to its calendar month, so a month's total is the sum
of the days it holds. The pre-control monthly level is the model's
pre-control weekly imports x the month's days / 7. The run starts on
4 April (the control's day), so April's first three days are counted at
the pre-control level (as the customs figure counts them).

With --probes, it then runs each probe of PROBES (one lever moved by
`--set`: the parameters of the markets, safety stocks and diversion
without a public source) over seeds 1-P (default 20) and prints, per probe,
the RMSE, July-August, the auto losses, the price peak, the diverting
firm-weeks and the first agreement.

    cargo build --release --locked
    scripts/series_2025.py [--seeds 100] [--jobs 2] [--set PATH=VALUE ...] [--probes] [--probe-seeds 20]

Prints Markdown tables (models/ODD.md, section 8.3, holds them).
Python 3, standard library only.
"""
import argparse
import calendar
import concurrent.futures
import csv
import datetime
import math
import statistics

from seeds import BINARY, quantile, run_seed

# China customs via Reuters and Bloomberg: magnet exports to the US, tonnes.
MONTHS = [(2025, 4), (2025, 5), (2025, 6), (2025, 7), (2025, 8), (2025, 9)]
RECORD_T = {(2025, 4): 240.0, (2025, 5): 46.0, (2025, 6): 352.8, (2025, 7): 619.0, (2025, 8): 589.5, (2025, 9): 420.5}
MEAN_2024_T = 620.0
EXPORTS = "CN_ndfeb_magnets_to_US_exports_kg"
PROBES = [
    ("baseline", []),
    *[(f"safety_factor {z}", [f"supply.safety_factor={z}"]) for z in (0.0, 3.0)],
    *[(f"max_cover_weeks {c}", [f"supply.max_cover_weeks={c}"]) for c in (8.0, 52.0)],
    ("max_denial 0.5", ["supply.max_denial=0.5"]),
    *[(f"military_premium {m}", [f"supply.military_premium={m}"]) for m in (0.1, 10.0, 100.0)],
    *[(f"margin_per_material {m}", [f"supply.margin_per_material={m}"]) for m in (0.5, 8.0)],
    ("no tracking (detection 0)", ["states.CN.tracking.detection_probability=0.0"]),
    *[(f"price_cap {c}", [f"materials.ndfeb_magnets.price_cap={c}"]) for c in (3.0, 12.0)],
    *[(f"demand_elasticity {e}", [f"materials.ndfeb_magnets.demand_elasticity={e}"]) for e in (-0.1, -0.5)],
    *[(f"licence_headroom {h}", [f"states.CN.export_controls.ndfeb_magnets.licence_headroom={h}"]) for h in (1.2, 2.0)],
    *[
        (f"auto stocks {w} weeks", [f"populations.us_auto_suppliers.inventory_weeks=Gamma(mean: {w}, sd: 3.0)"]
         + [f"firms.{f}.inventory_weeks={w}" for f in ("GM", "Ford", "Stellantis")])
        for w in (6.0, 9.0)
    ],
    *[(f"civilian approval {a}", [f"states.CN.export_controls.ndfeb_magnets.approval.civilian={a}"]) for a in (0.35, 0.6)],
]
BASE = "CN_ndfeb_magnets_to_US_baseline_exports_kg_per_week"


def monthly(rows, baseline):
    """Month -> exports over the month's pre-control level."""
    start = datetime.date.fromisoformat(rows[0]["date"])
    kg = {m: 0.0 for m in MONTHS}
    # April 1-3: before the control, at the pre-control level
    kg[(2025, 4)] += baseline * (start.day - 1) / 7.0
    for r in rows:
        day0 = datetime.date.fromisoformat(r["date"])
        per_day = float(r[EXPORTS]) / 7.0
        for d in range(7):
            day = day0 + datetime.timedelta(days=d)
            if (day.year, day.month) in kg:
                kg[(day.year, day.month)] += per_day
    return {m: kg[m] / (baseline * calendar.monthrange(*m)[1] / 7.0) for m in MONTHS}


def read(out):
    """One run's monthly series, auto losses in weeks 4-12, price peak,
    diverting firm-weeks and first agreement week."""
    rows = list(csv.DictReader(open(out / "timeseries.csv")))
    summary = next(csv.DictReader(open(out / "summary.csv")))
    series = monthly(rows, float(summary[BASE]))
    weeks = rows[4:13]
    cap = sum(float(r["US_autos_capacity_units_per_week"]) for r in weeks)
    lost = sum(float(r["US_autos_lost_output_units"]) for r in weeks)
    peak = max(
        float(r["CN_ndfeb_magnets_outside_price_usd_per_kg"]) / float(r["CN_ndfeb_magnets_inside_price_usd_per_kg"])
        for r in rows
    )
    diverting = sum(float(r["diverting_firms_count"]) for r in rows)
    agreed = summary["first_agreement_week"]
    return series, lost / cap, peak, diverting, int(agreed) if agreed else None


def run(args):
    binary, seed, sets = args
    return run_seed(binary, seed, sets, read)


def rmse(runs):
    errors = [statistics.median(r[0][m] for r in runs) - RECORD_T[m] / MEAN_2024_T for m in MONTHS]
    return math.sqrt(sum(e * e for e in errors) / len(errors))


def probes(pool, a):
    print(f"\nProbes, seeds 1-{a.probe_seeds} each (medians over seeds):\n")
    print("| probe | RMSE | Jul | Aug | Sep | auto lost, weeks 4-12 | peak price / inside | diverting firm-weeks | first agreement: seeds, week |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, sets in PROBES:
        runs = list(pool.map(run, [(a.bin, s, a.set + sets) for s in range(1, a.probe_seeds + 1)]))
        med = lambda f: statistics.median(f(r) for r in runs)
        weeks = [r[4] for r in runs if r[4] is not None]
        week = f"{statistics.median(weeks):g}" if weeks else "-"
        print(
            f"| {label} | {rmse(runs):.3f} | {med(lambda r: r[0][(2025, 7)]):.2f} | {med(lambda r: r[0][(2025, 8)]):.2f} "
            f"| {med(lambda r: r[0][(2025, 9)]):.2f} | {med(lambda r: r[1]):.1%} | {med(lambda r: r[2]):.2f} "
            f"| {med(lambda r: r[3]):g} | {len(weeks)}/{len(runs)}, {week} |"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--probes", action="store_true")
    ap.add_argument("--probe-seeds", type=int, default=20)
    ap.add_argument("--bin", default=str(BINARY))
    a = ap.parse_args()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        runs = list(pool.map(run, [(a.bin, s, a.set) for s in range(1, a.seeds + 1)]))
        report(runs, a)
        if a.probes:
            probes(pool, a)


def report(runs, a):
    print(f"Seeds 1-{a.seeds}{' with ' + ', '.join(a.set) if a.set else ''}.\n")
    print("| month (2025) | record, t | record / 2024 mean | model median / pre-control | model 5 % | model 95 % |")
    print("|---|---|---|---|---|---|")
    for m in MONTHS:
        xs = [r[0][m] for r in runs]
        rec = RECORD_T[m] / MEAN_2024_T
        print(
            f"| {calendar.month_abbr[m[1]]} | {RECORD_T[m]:.0f} | {rec:.2f} | {statistics.median(xs):.2f} "
            f"| {quantile(xs, 0.05):.2f} | {quantile(xs, 0.95):.2f} |"
        )
    lost = sorted(r[1] for r in runs)
    peaks = sorted(r[2] for r in runs)
    print(f"\nRMSE of the median over the six months: {rmse(runs):.3f}.")
    print(f"US auto capacity lost in weeks 4-12: median seed {statistics.median(lost):.1%}, 95 % of seeds at most {quantile(lost, 0.95):.1%}.")
    print(f"Peak outside / inside price: median {statistics.median(peaks):.2f}, range [{peaks[0]:.2f}, {peaks[-1]:.2f}].")


if __name__ == "__main__":
    main()
