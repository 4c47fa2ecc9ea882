"""Scenario discovery over the baseline's [NOT FOUND] parameters.

The baseline (``configs/baseline.ron``) tags as [NOT FOUND] the values no
public source gives: judgement calls to be swept (models/ODD.md, section 5).
This example takes twelve of them that bear on the bargaining, gives each a
range around its baseline value, runs 1,000 experiments over them (Latin
hypercube, one seed each) and uses PRIM (Friedman and Fisher 1999; as in
Bryant and Lempert 2010, "Thinking inside the box") to find the boxes of
parameters under which no agreement comes within 26 weeks (the first
agreement's week is empty or at least 26). Each experiment draws its own
seed, so the model's own randomness varies across experiments.

    pip install "./python[ema]"
    python python/examples/scenario_discovery.py            # 1,000 experiments
    python python/examples/scenario_discovery.py --experiments 100 --jobs 2

The ranges are this example's judgement, not the model's: a box found here
says where in these ranges the outcome lies, not how likely it is.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path

import numpy as np

from chokepoint import Scenario, ema

ROOT = Path(__file__).resolve().parents[2]

#: path: (low, high, the baseline's value, what it is)
NOT_FOUND = {
    "states.CN.preferences.open_threshold": (0.3, 0.9, 0.6, "CN pressure at which it opens talks"),
    "states.CN.preferences.pressure_gain": (1.0, 4.0, 2.0, "how fast CN concedes under pressure"),
    "states.CN.preferences.reputation_cost": (0.1, 0.6, 0.3, "CN's cost of backing down"),
    "states.CN.preferences.audience_cost": (0.001, 0.02, 0.005, "CN's cost per week an escalation stands"),
    "states.CN.pressure.lost_revenue": (0.1, 0.6, 0.3, "weight of lost export revenue in CN's pressure"),
    "states.CN.pressure.restrictions": (0.2, 0.8, 0.5, "weight of US tech restrictions in CN's pressure"),
    "states.CN.pressure.leverage_erosion": (0.2, 0.8, 0.5, "weight of lost leverage in CN's pressure"),
    "states.US.preferences.open_threshold": (0.1, 0.5, 0.25, "US pressure at which it opens talks"),
    "states.US.preferences.pressure_gain": (1.5, 5.0, 3.0, "how fast the US concedes under pressure"),
    "states.US.preferences.reputation_cost": (0.1, 0.5, 0.25, "the US's cost of backing down"),
    "states.US.initial_trust": (0.3, 0.7, 0.5, "US trust in CN at the start"),
    "states.CN.export_controls.ndfeb_magnets.licence_headroom": (1.2, 2.0, 1.6, "licensed volume over need"),
}

#: No agreement within this many weeks.
WEEKS = 26


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (1: in this one)")
    parser.add_argument("--threshold", type=float, default=0.8, help="PRIM's density threshold")
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the Latin hypercube (numpy's global generator, which the Workbench draws from)",
    )
    args = parser.parse_args()

    print(f"The baseline's [NOT FOUND] parameters swept ({len(NOT_FOUND)}):\n")
    print(f"| {'path':<58} | baseline | range |")
    print(f"|{'-' * 60}|---------:|-------|")
    for path, (low, high, value, _) in NOT_FOUND.items():
        print(f"| {path:<58} | {value:>8} | [{low}, {high}] |")

    scenario = Scenario.load(ROOT / "configs" / "baseline.ron")
    model = ema.model(
        scenario,
        # Each experiment its own seed: the model's own draws (each side's
        # private resolve, review lags) vary too, as across the seeds of
        # models/ODD.md section 8; PRIM looks at the [NOT FOUND] values only.
        uncertainties={
            **{p: (low, high) for p, (low, high, _, _) in NOT_FOUND.items()},
            ema.SEED: (1, 1_000_000),
        },
        outcomes=["first_agreement_week", "agreements_count"],
    )

    from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator, perform_experiments
    from ema_workbench.analysis import prim

    # The Workbench samples with numpy's global generator: seeded, the same
    # experiments (and so the same model seeds and boxes) every time.
    np.random.seed(args.seed)
    started = time.perf_counter()
    if args.jobs > 1:
        # Worker processes are spawned, not forked: polars' thread pool,
        # which ema.model used to check the outcomes, does not survive a fork.
        multiprocessing.set_start_method("spawn", force=True)
        evaluator = MultiprocessingEvaluator(model, n_processes=args.jobs)
    else:
        evaluator = SequentialEvaluator(model)
    with evaluator:
        experiments, outcomes = perform_experiments(
            model, scenarios=args.experiments, evaluator=evaluator
        )
    took = time.perf_counter() - started

    first = outcomes["first_agreement_week"]
    y = np.isnan(first) | (first >= WEEKS)
    print(
        f"\n{len(experiments)} experiments in {took:.0f} s: no agreement within {WEEKS} weeks "
        f"in {y.sum()} ({y.mean():.0%}); no agreement at all in {np.isnan(first).sum()}."
    )

    x = experiments[[ema.name_of(p) for p in NOT_FOUND]]
    finder = prim.Prim(x, y, threshold=args.threshold)
    boxes = 0
    while True:
        box = finder.find_box()
        if box is None:
            break
        stats = box.peeling_trajectory.iloc[box._cur_box]
        if stats["res_dim"] == 0 or stats["density"] < args.threshold:
            break  # the rest of the experiments, not a box
        boxes += 1
        print(
            f"\nBox {boxes}: coverage {stats['coverage']:.2f}, density {stats['density']:.2f}, "
            f"mass {stats['mass']:.2f} ({stats['res_dim']:.0f} parameters restricted)"
        )
        limits = box.box_lim
        full = finder.box_init
        for column in limits.columns:
            low, high = limits[column]
            if (low, high) != tuple(full[column]):
                print(f"  {column:<58} [{low:.3g}, {high:.3g}]")
    if boxes == 0:
        print(f"\nPRIM found no box with density at least {args.threshold}.")
    else:
        print("\nPRIM (lenient objective) peels the edges of many ranges a little; the")
        print("limits far from their range are the ones that matter.")


if __name__ == "__main__":
    main()
