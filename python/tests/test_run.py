"""run(): the frames equal the command line's CSV files; errors carry the
command line's message, file, line and field; the GIL is released."""

from __future__ import annotations

import threading
import time

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import chokepoint
from chokepoint import InputError, Scenario

from conftest import DATA, ROOT, interrupt, python_child, run_cli

TABLES = ["timeseries", "transcript", "terms", "summary"]


@pytest.mark.parametrize(
    "config, seed, sets",
    [
        (DATA / "small_run.ron", 5, []),
        (DATA / "small_run.ron", 9, ["states.CN.preferences.concession=Conceder(e: 2.0)"]),
        (ROOT / "configs" / "baseline.ron", 2, ["negotiation.deadline_weeks=20"]),
    ],
)
def test_frames_equal_the_cli_csv_files(cli, tmp_path, config, seed, sets):
    args = ["run", str(config), "--seed", str(seed), "--weeks", "40", "--out", "out"]
    for s in sets:
        args += ["--set", s]
    done = run_cli(cli, *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    scenario = Scenario.load(config)
    for s in sets:
        path, value = s.split("=", 1)
        scenario.set(path, value)
    result = chokepoint.run(scenario, seed=seed, weeks=40)
    for name in TABLES:
        frame = getattr(result, name)
        assert frame.height > 0, name
        csv = pl.read_csv(tmp_path / "out" / f"{name}.csv", schema=frame.schema)
        assert_frame_equal(frame, csv, check_exact=True)
        # the declared types: every column is Int64, Float64 or String
        assert set(frame.schema.dtypes()) <= {pl.Int64, pl.Float64, pl.String}, name
    assert result.manifest["seed"] == seed
    overrides = result.manifest["overrides"]
    assert overrides[len(overrides) - len(sets) :] == sets
    pandas = result.to_pandas()
    assert list(pandas) == TABLES
    assert pandas["timeseries"].shape == result.timeseries.shape


def test_same_seed_same_frames_whatever_the_threads():
    one = chokepoint.run(DATA / "small_run.ron", seed=3, threads=1)
    two = chokepoint.run(DATA / "small_run.ron", seed=3, threads=2)
    for name in TABLES:
        assert_frame_equal(getattr(one, name), getattr(two, name), check_exact=True)


def cli_message(cli, tmp_path, *args) -> str:
    done = run_cli(cli, *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ")
    return done.stderr[len("error: ") :].rstrip("\n")


def test_a_parse_error_names_file_line_column_and_field(cli, tmp_path):
    bad = tmp_path / "bad.ron"
    bad.write_text('RunConfig(model: "small.ron", weeks: "many")\n')
    with pytest.raises(InputError) as caught:
        Scenario.load(bad)
    e = caught.value
    message = cli_message(cli, tmp_path, "run", str(bad))
    assert str(e) == message
    # the CLI's FILE:LINE:COLUMN: field `weeks`: ...
    assert message.startswith(f"{bad}:{e.line}:{e.column}: field `weeks`: ")
    assert (e.file, e.line, e.field) == (str(bad), 1, "weeks")
    assert e.column is not None and e.column > 30


def test_an_invalid_value_is_found_by_validate_with_the_cli_message(cli, tmp_path):
    config = DATA / "small_run.ron"
    s = Scenario.load(config).set("negotiation.deadline_weeks", -3)
    with pytest.raises(InputError) as caught:
        s.validate()
    e = caught.value
    expected = cli_message(
        cli, tmp_path, "run", str(config), "--set", "negotiation.deadline_weeks=-3"
    )
    assert str(e) == expected
    assert e.field == "negotiation.deadline_weeks"
    assert e.file == str(config.parent / "small.ron")
    assert e.problems == [("negotiation.deadline_weeks", "must be > 0, got -3")]
    with pytest.raises(InputError):
        chokepoint.run(s)


def test_a_bad_path_or_kind_is_refused_by_set_and_leaves_the_scenario(cli, tmp_path):
    config = DATA / "small_run.ron"
    s = Scenario.load(config)
    with pytest.raises(InputError) as caught:
        s.set("negotiation.nope", 3)
    assert str(caught.value) == cli_message(
        cli, tmp_path, "run", str(config), "--set", "negotiation.nope=3"
    )
    assert caught.value.field == "negotiation.nope"
    with pytest.raises(InputError, match="negotiation.deadline_weeks"):
        s.set("negotiation.deadline_weeks", '"twenty"')
    assert s.sets == ()
    with pytest.raises(TypeError):
        s.set("negotiation.deadline_weeks", {"a": 1})


def test_missing_files_and_sweep_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file") as caught:
        chokepoint.run(tmp_path / "none.ron")
    assert caught.value.file == str(tmp_path / "none.ron")
    with pytest.raises(InputError, match="sweep file"):
        chokepoint.run(DATA / "sweep_small.ron")


def test_a_scenario_file_runs_with_the_default_run_settings():
    r = chokepoint.run(DATA / "small.ron", weeks=10)
    assert r.timeseries.height == 10
    assert r.manifest["seed"] == 1 and r.manifest["start_date"] == "2025-04-04"


def test_ron_values():
    assert chokepoint.ron(True) == "true"
    assert chokepoint.ron(3) == "3"
    assert chokepoint.ron(2.0) == "2.0"
    assert chokepoint.ron(1e-7) == "1e-07"
    assert chokepoint.ron((4.0, 52)) == "(4.0, 52)"
    assert chokepoint.ron(None) == "None"
    assert chokepoint.ron("Conceder(e: 2.0)") == "Conceder(e: 2.0)"
    with pytest.raises(ValueError):
        chokepoint.ron(float("nan"))


def test_another_thread_keeps_running_while_run_works():
    """The GIL is released while the model runs: a Python thread counting
    in a loop goes on. With the GIL held it could not count at all."""
    counts = []
    stop = threading.Event()

    def count():
        n = 0
        while not stop.is_set():
            n += 1
            if n % 1000 == 0:
                counts.append((time.perf_counter(), n))

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    start = time.perf_counter()
    result = chokepoint.run(ROOT / "configs" / "baseline.ron", seed=1)
    end = time.perf_counter()
    stop.set()
    t.join()
    assert result.timeseries.height == 104
    during = [n for (at, n) in counts if start < at < end]
    assert end - start > 0.05
    assert len(during) >= 10, f"the counting thread advanced {len(during)} times in {end - start:.3f} s"


def test_set_errors_of_run_files_are_the_cli_errors(cli, tmp_path):
    """A missing model and a run file's own bad `set` entry raise at load
    with the command line's message, file, line and field."""
    missing = tmp_path / "missing.ron"
    missing.write_text('RunConfig(model: "nope.ron")\n')
    with pytest.raises(InputError) as caught:
        Scenario.load(missing)
    assert str(caught.value) == cli_message(cli, tmp_path, "run", str(missing))
    assert (caught.value.file, caught.value.field) == (str(missing), "model")
    entry = tmp_path / "entry.ron"
    (tmp_path / "small.ron").write_text((DATA / "small.ron").read_text())
    entry.write_text('RunConfig(\n    model: "small.ron",\n    set: ["negotiation.nope=3"],\n)\n')
    with pytest.raises(InputError) as caught:
        Scenario.load(entry)
    assert str(caught.value) == cli_message(cli, tmp_path, "run", str(entry))
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(entry), 3, "set[0]")


def test_the_failing_set_is_named_when_several_are_applied():
    s = Scenario.load(DATA / "small_run.ron").set("negotiation.deadline_weeks", 12)
    with pytest.raises(InputError) as caught:
        s.set("states.CN.preferences.concession", "Nope")
    assert caught.value.field == "states.CN.preferences.concession"
    assert s.sets == ("negotiation.deadline_weeks=12",)


def test_none_leaves_an_optional_field_out():
    s = Scenario.load(ROOT / "configs" / "baseline.ron")
    path = "states.CN.export_controls.ndfeb_magnets.reach_cost"
    assert chokepoint.run(s, weeks=1).manifest["scenario"]["states"][1]["export_controls"][0]["reach_cost"] == 0.02
    s.set(path, None).validate()
    control = s.manifest()["scenario"]["states"][1]["export_controls"][0]
    assert control["reach_cost"] is None


LONG_RUN = """
import sys, chokepoint
print("started", flush=True)
chokepoint.run(sys.argv[1], weeks=3000)
"""


def test_ctrl_c_stops_a_run_between_two_weeks(tmp_path):
    child = python_child(LONG_RUN, str(ROOT / "configs" / "baseline.ron"))
    assert child.stdout is not None and child.stdout.readline() == "started\n"
    time.sleep(1.0)
    took, stderr = interrupt(child)
    assert "KeyboardInterrupt" in stderr, stderr
    assert took < 2.0, f"stopped {took:.2f} s after Ctrl-C"
