#!/usr/bin/env python3
"""The baseline's bargaining over many seeds, and one-lever probes of it.

Runs `configs/baseline.ron` over seeds 1-N (default 100) and reports the
first agreement: the share of seeds that reach one in 104 weeks, its week,
its terms (the US's cost of its concessions, sum of level lifted x security
cost; China's civilian approval and general licence), each side's utility
of them and each side's reservation when it was agreed. Then, over seeds
1-P (default 20), the same medians with one lever moved by `--set`: the
probes of issue 13 (deadline, pressure_gain, the autos' political weight,
allied supply, the trust penalty), the parameters without a real-world
counterpart (the resolve's spread, the response noise, the trust weight)
and those of the escalation rule (rung cost, audience cost, noise, horizon). Prints Markdown tables (models/ODD.md, section 8, holds them).

    cargo build --release --locked
    scripts/bargaining.py [--seeds 100] [--probe-seeds 20] [--jobs 2]

Python 3, standard library only.
"""
import argparse
import concurrent.futures
import csv
import pathlib
import re

from seeds import BINARY, ROOT, run_seed
from seeds import median as med
from seeds import quantile as q

MODEL = ROOT / "models/baseline_2025.ron"

AUTOS = ["GM", "Ford", "Stellantis"]
PROBES = [
    ("baseline", []),
    *[(f"deadline {d}", [f"negotiation.deadline_weeks={d}"]) for d in (1, 3, 6, 12, 20, 30, 40)],
    *[
        (f"pressure_gain {g} (both)", [f"states.US.preferences.pressure_gain={g}", f"states.CN.preferences.pressure_gain={g}"])
        for g in (0.0, 1.0, 2.0, 6.0, 10.0)
    ],
    ("autos' political weight x10", [f"firms.{f}.political_weight=15.0" for f in AUTOS]),
    *[(f"allied supply {k} t/week", [f"states.US.other_supply.ndfeb_magnets.capacity={k * 1000.0}"]) for k in (0, 13, 45)],
    ("trust penalty x10", ["states.CN.tracking.trust_penalty=0.01"]),
    *[
        (f"resolve Uniform(0, {m})", [f"states.US.preferences.resolve=Uniform(min: 0.0, max: {m})", f"states.CN.preferences.resolve=Uniform(min: 0.0, max: {m})"])
        for m in (0.0, 0.05, 0.2, 0.3)
    ],
    *[(f"response_noise {t}", [f"negotiation.response_noise={t}"]) for t in (0.01, 0.1)],
    *[(f"trust_weight {w}", [f"negotiation.trust_weight={w}"]) for w in (0.0, 0.6, 1.0)],
    # the escalation rule's parameters (models/ODD.md 7.9), none with a public source
    *[
        (f"US rung cost {k}", [f"states.US.tech_restrictions.{s}.ladder.cost={k}" for s in ("eda_software", "jet_engines", "ethane")])
        for k in (0.008, 0.018, 0.023)
    ],
    *[
        (f"audience cost {a} (both)", [f"states.US.preferences.audience_cost={a}", f"states.CN.preferences.audience_cost={a}"])
        for a in (0.0, 0.05)
    ],
    *[(f"escalation_noise {e}", [f"negotiation.escalation_noise={e}"]) for e in (0.003, 0.05)],
    *[(f"escalation horizon {h} weeks", [f"negotiation.escalation_horizon_weeks={h}"]) for h in (13.0, 52.0)],
]


def security_costs() -> dict:
    """sector -> security cost, from the baseline's US restrictions."""
    text = MODEL.read_text()
    pairs = re.findall(r'TechRestriction\(sector: "(\w+)".*?security_cost: ([0-9.]+)', text)
    return {s: float(c) for s, c in pairs}


def first_agreement(out: pathlib.Path, cost: dict):
    """The first agreement's week, terms, utilities and reservations, or None."""
    rows = list(csv.DictReader(open(out / "transcript.csv")))
    for i, r in enumerate(rows):
        if r["event"] != "agreement":
            continue
        accept = rows[i - 1]
        offer = next(x for x in reversed(rows[: i - 1]) if x["event"] == "offer")
        res = {accept["actor"]: float(accept["actor_reservation_index"]), offer["actor"]: float(offer["actor_reservation_index"])}
        terms = [t for t in csv.DictReader(open(out / "terms.csv")) if t["event"] == "agreement" and t["week"] == r["week"]]
        lifted = sum(float(t["value"]) * cost[t["issue"][7:-1]] for t in terms if t["issue"].startswith("relief["))
        value = {t["issue"]: float(t["value"]) for t in terms}
        return {
            "week": int(r["week"]),
            "us_cost": lifted,
            "approval": value.get("civilian_approval"),
            "general": value.get("general_licence"),
            "u_us": float(r["consumer_utility_index"]),
            "u_cn": float(r["supplier_utility_index"]),
            "r_us": res.get("US"),
            "r_cn": res.get("CN"),
        }
    return None


def run(args):
    binary, seed, sets, cost = args
    return run_seed(binary, seed, sets, lambda out: first_agreement(out, cost))


def outcomes(pool, binary, seeds, sets, cost):
    return list(pool.map(run, [(binary, s, sets, cost) for s in range(1, seeds + 1)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--probe-seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--bin", default=str(BINARY))
    a = ap.parse_args()
    cost = security_costs()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        base = outcomes(pool, a.bin, a.seeds, [], cost)
        got = [o for o in base if o]
        print(f"Baseline, seeds 1-{a.seeds}: {len(got)} agree within 104 weeks.\n")
        print("| first agreement | median | 5 % | 95 % |")
        print("|---|---|---|---|")
        for key, label in [
            ("week", "week"),
            ("us_cost", "US cost of its concessions (level x security cost)"),
            ("approval", "CN civilian approval granted"),
            ("general", "CN general licence (0/1)"),
            ("u_us", "US utility"),
            ("u_cn", "CN utility"),
            ("r_us", "US reservation"),
            ("r_cn", "CN reservation"),
        ]:
            xs = [o[key] for o in got]
            print(f"| {label} | {med(xs):.3g} | {q(xs, 0.05):.3g} | {q(xs, 0.95):.3g} |")
        print(f"\nProbes, seeds 1-{a.probe_seeds}, medians over the seeds that agree:\n")
        print("| probe | agree | first week | US cost of concessions | CN approval | US utility | CN utility |")
        print("|---|---|---|---|---|---|---|")
        for name, sets in PROBES:
            os_ = outcomes(pool, a.bin, a.probe_seeds, sets, cost)
            ok = [o for o in os_ if o]
            m = lambda k: med([o[k] for o in ok])
            print(f"| {name} | {len(ok)}/{a.probe_seeds} | {m('week'):.3g} | {m('us_cost'):.3g} | {m('approval'):.3g} | {m('u_us'):.3g} | {m('u_cn'):.3g} |")


if __name__ == "__main__":
    main()
