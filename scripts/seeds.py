"""What the measurement scripts share: one run of the baseline per seed, in
a temporary folder, and the quantiles they report. Python 3, standard
library only; `scripts/bargaining.py` and `scripts/series_2025.py` import it.
"""
import pathlib
import statistics
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs/baseline.ron"
BINARY = ROOT / "target/release/chokepoint"


def run_seed(binary, seed, sets, read):
    """Runs the baseline for `seed` with `--set` overrides `sets` and returns
    `read(output folder)`; a failed run stops the script with its stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "o"
        cmd = [str(binary), "run", str(CONFIG), "--seed", str(seed), "--out", str(out)]
        for s in sets:
            cmd += ["--set", s]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)}\n{done.stderr}")
        return read(out)


def median(xs):
    """The median of the values that are not None (NaN if none are)."""
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def quantile(xs, p):
    """The order statistic nearest the p-quantile of the values that are not
    None (NaN if none are)."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, max(0, round(p * (len(xs) - 1))))]
