#!/usr/bin/env python3
"""The baseline's military channel and adaptation over seeds (models/ODD.md
7.11): the peak readiness gap and its week, the week the gap first reaches
0.05, each substitution programme's start week and the value that started
it, and the US firms that redesigned or moved by the run's end.
Python 3, standard library only; needs `cargo build --release` first.

    python3 scripts/readiness.py [--seeds 100] [--set path=value ...]
"""
import argparse
import csv

from seeds import BINARY, median, quantile, run_seed


def read(out):
    rows = list(csv.DictReader(open(out / "timeseries.csv")))
    summary = next(csv.DictReader(open(out / "summary.csv")))
    gap = [float(r["US_readiness_gap_share"]) for r in rows]
    peak = max(gap)
    starts = {
        k[3 : -len("_substitution_start_week")]: (float(v) if v else None)
        for k, v in summary.items()
        if k.startswith("US_") and k.endswith("_substitution_start_week")
    }
    values = {
        k[3 : -len("_substitution_start_value_usd")]: (float(v) if v else None)
        for k, v in summary.items()
        if k.startswith("US_") and k.endswith("_substitution_start_value_usd")
    }
    opens = next((w for w, g in enumerate(gap) if g >= 0.05), None)
    last = rows[-1]
    adapted = {
        what: sum(float(v) for k, v in last.items()
                  if k.startswith("US_") and k.endswith(f"_{what}_count"))
        for what in ("redesigned", "relocated")
    }
    adapted["jobs"] = float(last["US_relocated_jobs_count"])
    first_move = next((w for w, r in enumerate(rows)
                       if float(r["US_relocated_jobs_count"]) > 0), None)
    adapted["first_move"] = first_move
    return peak, gap.index(peak), opens, starts, values, adapted


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--set", action="append", default=[])
    a = p.parse_args()
    runs = [run_seed(BINARY, s, a.set, read) for s in range(1, a.seeds + 1)]
    n = len(runs)
    peaks = [r[0] for r in runs]
    print(f"seeds 1-{n}, sets {a.set}")
    print(f"peak readiness gap >= 0.05 in {sum(x >= 0.05 for x in peaks)}/{n}; "
          f"peak median {median(peaks):.3f} [{quantile(peaks, 0.05):.3f}, {quantile(peaks, 0.95):.3f}], "
          f"week of the peak median {median([r[1] for r in runs])}")
    opens = [r[2] for r in runs]
    print(f"gap reaches 0.05: week median {median(opens)} "
          f"[{quantile(opens, 0.05)}, {quantile(opens, 0.95)}]")
    print("| programme | started | start week: median [5 %, 95 %] | value at start, USD M: median |")
    print("|---|---|---|---|")
    for name in runs[0][3]:
        w = [r[3][name] for r in runs]
        v = [r[4][name] for r in runs]
        shown = sum(x is not None for x in w)
        weeks = f"{median(w):g} [{quantile(w, 0.05):g}, {quantile(w, 0.95):g}]" if shown else "-"
        value = f"{median(v) / 1e6:,.0f}" if shown else "-"
        print(f"| {name} | {shown}/{n} | {weeks} | {value} |")
    for what in ("redesigned", "relocated", "jobs", "first_move"):
        xs = [r[5][what] for r in runs]
        print(f"US firms {what} by the end: median {median(xs):g} "
              f"[{quantile(xs, 0.05):g}, {quantile(xs, 0.95):g}]")


if __name__ == "__main__":
    main()
