"""sweep() and load_sweep(): the design's axes named, the tables as frames;
Ctrl-C stops a sweep within 2 s and resume completes it to the same rows."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import chokepoint
from chokepoint import InputError

from conftest import DATA, run_cli


def test_a_sweep_gives_runs_points_and_series_with_its_axes_named(cli, tmp_path):
    seen = []
    result = chokepoint.sweep(
        DATA / "sweep_small.ron",
        out=tmp_path / "s",
        jobs=2,
        progress=lambda done, total, failed: seen.append((done, total, failed)),
    )
    assert [a.path for a in result.axes] == [
        "negotiation.deadline_weeks",
        "states.CN.preferences.concession",
    ]
    assert result.axis_columns == [
        "negotiation_deadline_weeks",
        "states_CN_preferences_concession",
    ]
    assert result.runs.height == 18
    assert set(result.axis_columns) <= set(result.runs.columns)
    assert set(result.axis_columns) <= set(result.points.columns)
    assert result.runs.schema["negotiation_deadline_weeks"] == pl.Float64
    assert result.series is not None and {"run", "week"} <= set(result.series.columns)
    assert result.sobol is None
    assert seen[-1] == (18, 18, 0)
    # the same folder as the command line's sweep
    done = run_cli(cli, "sweep", str(DATA / "sweep_small.ron"), "--out", "cli", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    again = chokepoint.load_sweep(tmp_path / "cli")
    assert_frame_equal(result.runs, again.runs, check_exact=True)
    assert_frame_equal(result.points, again.points, check_exact=True)
    assert (tmp_path / "s" / "runs.csv").read_bytes() == (tmp_path / "cli" / "runs.csv").read_bytes()
    assert set(result.to_pandas()) == {"runs", "points", "series"}


def test_a_sobol_sweep_gives_its_indices(tmp_path):
    result = chokepoint.sweep(DATA / "sweep_sobol_small.ron", out=tmp_path / "s", progress=False)
    assert result.sobol is not None and result.sobol.height > 0
    assert result.manifest["saltelli"] is not None


def test_shards_return_none_and_merge_joins_them(tmp_path):
    for k in range(2):
        assert (
            chokepoint.sweep(DATA / "sweep_small.ron", out=tmp_path / "s", shard=f"{k}/2", progress=False)
            is None
        )
    merged = chokepoint.merge(tmp_path / "s")
    assert merged.runs.height == 18


def test_load_sweep_refuses_a_folder_without_a_manifest_or_not_merged(tmp_path):
    with pytest.raises(InputError, match="sweep.ron"):
        chokepoint.load_sweep(tmp_path)
    chokepoint.sweep(DATA / "sweep_small.ron", out=tmp_path / "s", shard="0/2", progress=False)
    with pytest.raises(InputError, match="not merged"):
        chokepoint.load_sweep(tmp_path / "s")


def test_a_bad_sweep_file_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.ron"
    bad.write_text((DATA / "sweep_small.ron").read_text().replace('base: "small_run.ron"', 'base: "none.ron"'))
    with pytest.raises(InputError) as caught:
        chokepoint.sweep(bad, out=tmp_path / "s")
    assert caught.value.field == "base"


SCRIPT = """
import sys, chokepoint
def progress(done, total, failed):
    print(done, flush=True)
chokepoint.sweep(sys.argv[1], out=sys.argv[2], jobs=1, progress=progress)
"""


def test_ctrl_c_stops_a_sweep_within_2_s_and_resume_completes_it(tmp_path):
    sweep_file = DATA / "sweep_long.ron"
    whole = chokepoint.sweep(sweep_file, out=tmp_path / "whole", jobs=2, progress=False)
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(sweep_file), str(tmp_path / "stopped")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait until rows are on disk: the progress line after a batch written
    assert child.stdout is not None
    for line in child.stdout:
        if int(line) > 40:
            break
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    took = time.monotonic() - sent
    stderr = child.stderr.read() if child.stderr else ""
    assert took < 2.0, f"stopped {took:.2f} s after Ctrl-C"
    assert child.returncode != 0
    assert "KeyboardInterrupt" in stderr and "resume" in stderr, stderr
    stopped = tmp_path / "stopped"
    assert not (stopped / "runs.csv").exists(), "stopped before the end: not merged"
    part = stopped / "parts" / "part-00000-of-00001.csv"
    rows = part.read_text().splitlines()
    assert 40 < len(rows) - 1 < whole.runs.height
    # without resume the folder is refused; with it, completed identically
    with pytest.raises(InputError, match="resume"):
        chokepoint.sweep(sweep_file, out=stopped, progress=False)
    resumed = chokepoint.sweep(sweep_file, out=stopped, jobs=2, resume=True, progress=False)
    for name in ["runs.csv", "points.csv", "series.parquet"]:
        assert (stopped / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert_frame_equal(resumed.runs, whole.runs, check_exact=True)
