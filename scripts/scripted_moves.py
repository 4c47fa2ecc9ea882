#!/usr/bin/env python3
"""How much the baseline's outcomes hinge on its five scripted strategic moves.

The baseline's timeline schedules, after the week-0 control, five moves that
are the states' own (US restrictions raised in weeks 7-9, the Affiliates Rule
in week 25, China's extraterritorial reach in week 34; see models/ODD.md,
"Scripted strategic moves"). This runs the baseline with them and the same
model without them (only the week-0 control and the week-7 tracking), over
seeds 1-20, and prints the medians of some summary columns.

    cargo build --release --locked
    scripts/scripted_moves.py [--seeds N] [--bin target/release/chokepoint]

Python 3, standard library only.
"""
import argparse
import csv
import pathlib
import statistics
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MOVES = ('week: 7, label: "US', "week: 8,", "week: 9,", "week: 25,", "week: 34,")
COLUMNS = [
    "first_agreement_week",
    "agreements_count",
    "breakdowns_count",
    "US_semiconductors_on_CN_conceded_level_sum",
    "US_entity_list_on_CN_conceded_level_sum",
    "US_eda_software_on_CN_conceded_level_sum",
    "CN_ndfeb_magnets_conceded_civilian_approval_probability_sum",
    "US_autos_lost_output_units",
]


def without_moves(model: str) -> str:
    """The model text with the five scheduled moves (two lines each) left out."""
    lines, out, i = model.split("\n"), [], 0
    while i < len(lines):
        if "ScheduledEvent(" in lines[i] and any(m in lines[i] for m in MOVES):
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def medians(binary: str, config: pathlib.Path, seeds: int) -> dict:
    values = {c: [] for c in COLUMNS}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, seeds + 1):
            out = pathlib.Path(tmp) / str(seed)
            subprocess.run(
                [binary, "run", str(config), "--seed", str(seed), "--out", str(out)],
                check=True,
                capture_output=True,
            )
            row = next(csv.DictReader(open(out / "summary.csv")))
            for c in COLUMNS:
                if row[c] != "":
                    values[c].append(float(row[c]))
    return {c: statistics.median(v) if v else None for c, v in values.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--bin", default=str(ROOT / "target/release/chokepoint"))
    a = ap.parse_args()
    model = (ROOT / "models/baseline_2025.ron").read_text()
    stripped = without_moves(model)
    assert stripped.count("ScheduledEvent(") == model.count("ScheduledEvent(") - 5
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "models").mkdir()
        (d / "configs").mkdir()
        (d / "models/baseline_2025.ron").write_text(stripped)
        (d / "configs/baseline.ron").write_text((ROOT / "configs/baseline.ron").read_text())
        scripted = medians(a.bin, ROOT / "configs/baseline.ron", a.seeds)
        unscripted = medians(a.bin, d / "configs/baseline.ron", a.seeds)
    print(f"medians over seeds 1-{a.seeds}: with the five moves | without")
    for c in COLUMNS:
        print(f"  {c:45s} {scripted[c]!s:>22} | {unscripted[c]!s:>22}")


if __name__ == "__main__":
    main()
