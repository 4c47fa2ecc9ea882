"""sweep() and load_sweep(): the design's axes named, the tables as frames;
Ctrl-C stops a sweep within 2 s and resume completes it to the same rows."""

from __future__ import annotations

import time

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import chokepoint
from chokepoint import InputError

from conftest import DATA, interrupt, python_child, run_cli


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
    # the run's summary frame has the types the sweep's Parquet declares
    # (written from the same declared schema by another path)
    one = chokepoint.run(DATA / "small_run.ron")
    for column, dtype in one.summary.schema.items():
        assert result.runs.schema[column] == dtype, column


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
    child = python_child(SCRIPT, str(sweep_file), str(tmp_path / "stopped"))
    # wait until rows are on disk: the progress line after a batch written
    assert child.stdout is not None
    for line in child.stdout:
        if int(line) > 40:
            break
    took, stderr = interrupt(child)
    assert took < 2.0, f"stopped {took:.2f} s after Ctrl-C"
    assert child.returncode != 0
    assert "KeyboardInterrupt" in stderr and "resume" in stderr, stderr
    stopped = tmp_path / "stopped"
    assert not (stopped / "runs.csv").exists(), "stopped before the end: not merged"
    part = stopped / "parts" / "part-00000-of-00001.csv"
    text = part.read_text()
    assert text.endswith("\n"), "whole rows only: no row cut in the middle"
    rows = pl.read_csv(part, infer_schema=False)
    assert 40 < rows.height < whole.runs.height
    assert rows.columns == whole.runs.columns
    assert rows["run"].cast(int).to_list() == list(range(rows.height)), "rows in run order, no gap"
    # without resume the folder is refused; with it, completed identically
    with pytest.raises(InputError, match="resume"):
        chokepoint.sweep(sweep_file, out=stopped, progress=False)
    resumed = chokepoint.sweep(sweep_file, out=stopped, jobs=2, resume=True, progress=False)
    for name in ["runs.csv", "points.csv", "series.parquet"]:
        assert (stopped / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    assert_frame_equal(resumed.runs, whole.runs, check_exact=True)


LONG_RUNS = """
import sys, time, chokepoint
print("started", flush=True)
chokepoint.sweep(sys.argv[1], out=sys.argv[2], jobs=2, progress=False)
"""


def test_ctrl_c_stops_long_runs_in_the_middle(tmp_path):
    """Runs of 2,000 weeks of the baseline (several seconds each) stop
    between two weeks: no row is written for them."""
    model = (DATA.parent.parent / "models" / "baseline_2025.ron").resolve()
    (tmp_path / "long.ron").write_text(f'RunConfig(model: "{model}", weeks: 2000)\n')
    (tmp_path / "sweep.ron").write_text(
        'Sweep(base: "long.ron", axes: [Axis(path: "negotiation.deadline_weeks", '
        "values: List([10.0, 20.0]))], replicates: 1, seed: 1)\n"
    )
    child = python_child(LONG_RUNS, str(tmp_path / "sweep.ron"), str(tmp_path / "s"))
    assert child.stdout is not None and child.stdout.readline() == "started\n"
    time.sleep(1.5)  # the runs have started
    took, stderr = interrupt(child)
    assert "KeyboardInterrupt" in stderr, stderr
    assert took < 2.0, f"stopped {took:.2f} s after Ctrl-C"
    part = tmp_path / "s" / "parts" / "part-00000-of-00001.csv"
    assert len(part.read_text().splitlines()) == 1, "only the header: the runs were stopped"
