#!/usr/bin/env python3
"""Checks the 2025 patterns of models/ODD.md (section 1) over many seeds of a run file.

Usage: scripts/patterns.py [CONFIG] [SEEDS] [--set PATH=VALUE ...]
Runs `chokepoint run CONFIG --seed s` for s in 1..SEEDS (release build),
reads each output folder and prints, per pattern, how many seeds reproduce
it and the spread of the figure behind it. Standard library only.
"""
import csv, os, re, statistics, subprocess, sys, tempfile

args = sys.argv[1:]
sets = []
while "--set" in args:
    i = args.index("--set")
    sets += ["--set", args[i + 1]]
    del args[i:i + 2]
config = args[0] if args else "configs/baseline.ron"
seeds = int(args[1]) if len(args) > 1 else 20
binary = "target/release/chokepoint"
subprocess.run(["cargo", "build", "--release", "-q"], check=True)

LOW = ("eda_software", "ethane", "jet_engines")
HIGH = ("semiconductors", "ai_chips")
results = []
with tempfile.TemporaryDirectory() as tmp:
    for seed in range(1, seeds + 1):
        out = os.path.join(tmp, f"s{seed}")
        subprocess.run([binary, "run", config, "--seed", str(seed), "--out", out] + sets, check=True, stdout=subprocess.DEVNULL)
        ts = list(csv.DictReader(open(os.path.join(out, "timeseries.csv"))))
        summary = next(csv.DictReader(open(os.path.join(out, "summary.csv"))))
        transcript = list(csv.DictReader(open(os.path.join(out, "transcript.csv"))))
        terms = list(csv.DictReader(open(os.path.join(out, "terms.csv"))))
        base = float(summary["CN_ndfeb_magnets_to_US_baseline_exports_kg_per_week"])
        exports = [float(r["CN_ndfeb_magnets_to_US_exports_kg"]) / base for r in ts]
        civ = [g for g in ("US_autos", "US_auto_parts", "US_other_civilian")]
        lost = [sum(float(r[f"{g}_lost_output_units"]) for g in civ) / sum(float(r[f"{g}_capacity_units_per_week"]) for g in civ) for r in ts]
        first_short = next((w for w, l in enumerate(lost) if l > 0.10), None)
        fa = summary["first_agreement_week"]
        fa = int(fa) if fa else None
        deal = next((r for r in transcript if r["event"] == "agreement"), None)
        relief = {}
        if deal:
            # its terms, long (terms.csv), at full precision
            for t in terms:
                same = all(t[k] == deal[k] for k in ("week", "track", "round", "event"))
                sector = re.fullmatch(r"relief\[(\w+)\]", t["issue"])
                if same and sector:
                    relief[sector.group(1)] = float(t["value"])
        level0 = {k: float(ts[0][f"US_{k}_on_CN_restriction_level"]) if f"US_{k}_on_CN_restriction_level" in ts[0] else 0 for k in HIGH}
        trough = min(exports[:9])
        after = max(exports[fa:fa + 13]) if fa is not None else None
        results.append(dict(
            seed=seed,
            first_shortage=first_short,
            first_licence=int(summary["first_civilian_licence_week"]) if summary["first_civilian_licence_week"] else None,
            first_agreement=fa,
            low_eased=all(relief.get(k, 0) > 0 for k in LOW),
            chips_relief=max((relief.get(k, 0) / level0[k] if level0[k] else 0) for k in HIGH) if deal else None,
            trough=trough,
            after=after,
            military=int(summary["military_licences_granted_count"]),
            substitution=float(summary["US_ndfeb_magnets_final_substitution_share"]),
            agreements=int(summary["agreements_count"]),
            breakdowns=int(summary["breakdowns_count"]),
        ))

def spread(key):
    xs = [r[key] for r in results if r[key] is not None]
    if not xs:
        return "no values"
    q = statistics.quantiles(xs, n=20) if len(xs) > 1 else [xs[0]] * 19
    return f"median {statistics.median(xs):.3g}, 5-95 % [{q[0]:.3g}, {q[-1]:.3g}], n={len(xs)}"

def held(name, ok):
    n = sum(1 for r in results if ok(r))
    print(f"{name}: {n}/{len(results)} seeds")

print(f"{config}, seeds 1..{seeds} {' '.join(sets)}")
held("P1 civilian shortage (>10 % of civilian capacity idle) by week 6", lambda r: r["first_shortage"] is not None and r["first_shortage"] <= 6)
print("   first shortage week:", spread("first_shortage"))
held("P2 first civilian licence in weeks 6-10", lambda r: r["first_licence"] is not None and 6 <= r["first_licence"] <= 10)
print("   first civilian licence week:", spread("first_licence"))
held("P3 first agreement eases EDA, ethane and jet engines", lambda r: r["low_eased"])
held("P3b ... and lifts less than 10 % of any chip restriction", lambda r: r["chips_relief"] is not None and r["chips_relief"] < 0.10)
print("   first agreement week:", spread("first_agreement"))
print("   largest share of a chip restriction lifted:", spread("chips_relief"))
held("P4 exports to US fall below 25 % of pre-control level in weeks 0-8", lambda r: r["trough"] < 0.25)
print("   trough share:", spread("trough"))
held("P4b ... and exceed it within 12 weeks of the first agreement", lambda r: r["after"] is not None and r["after"] > 1.0)
print("   peak share after agreement:", spread("after"))
held("P5 defence primes never licensed", lambda r: r["military"] == 0)
held("P6 substitution below 10 % of pre-control imports at the end", lambda r: r["substitution"] < 0.10)
print("   substitution share at end:", spread("substitution"))
print("   agreements:", spread("agreements"), "| breakdowns:", spread("breakdowns"))
