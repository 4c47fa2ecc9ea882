"""chokepoint from Python: load a scenario, change it, run it or a sweep of
it, and get the outputs as polars data frames.

The functions call the model's library (``chokepoint._native``, built from
the same Rust code as the command line): a run here gives the same rows as
``chokepoint run`` with the same run file, overrides and seed, and a sweep
writes the same folder as ``chokepoint sweep``. The GIL is released while
the model runs, so other Python threads go on; Ctrl-C stops a run, and
the runs of a sweep, between two weeks (the sweep's folder then keeps the
runs done, and ``sweep(..., resume=True)`` or ``chokepoint sweep --resume``
completes it).

>>> import chokepoint
>>> s = chokepoint.Scenario.load("configs/baseline.ron")
>>> s.set("negotiation.deadline_weeks", 20).validate()
>>> r = chokepoint.run(s, seed=3, weeks=52)
>>> r.timeseries.select("week", "US_pressure_index")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Union

import polars as pl

from . import _native
from .errors import ChokepointError, InputError

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Axis",
    "ChokepointError",
    "InputError",
    "RunResult",
    "Scenario",
    "SweepResult",
    "load_sweep",
    "merge",
    "ron",
    "run",
    "sweep",
    "__version__",
]

__version__: str = _native.version()

PathLike = Union[str, "os.PathLike[str]"]


def ron(value: Any) -> str:
    """The RON text of a Python value, as ``--set PATH=VALUE`` takes it.

    ``bool`` gives ``true``/``false``, ``int`` and ``float`` (numpy's too) their number
    (a float always with a decimal point or exponent), ``None`` gives
    ``None`` (an optional field left out), a tuple ``(a, b)`` and a list ``[a, b]``. A ``str`` is taken
    as RON text as it is: ``"Linear"``, ``"Conceder(e: 2.0)"``,
    ``"Some(12.0)"``; a RON string needs its quotes, ``'"text"'``.
    """
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)  # numpy's floats too
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number; RON has no such value")
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if value is None:
        return "None"
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return "(" + ", ".join(ron(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(ron(v) for v in value) + "]"
    raise TypeError(
        f"cannot write a {type(value).__name__} as a RON value: give a bool, int, "
        "float, None, tuple, list or the RON text as a str"
    )


class Scenario:
    """A run file (``configs/*.ron``) or scenario file (``models/*.ron``)
    with overrides, as ``chokepoint run FILE --set PATH=VALUE ...`` sees it.

    A scenario file runs with every run setting at its default (104 weeks
    from 2025-04-04, seed 1, one thread). A ``Scenario`` holds only the
    file's path and the overrides, so it pickles (for the EMA Workbench's
    worker processes); the file is read again at each ``validate`` and
    ``run``.
    """

    def __init__(self, path: PathLike, sets: tuple[str, ...] = ()) -> None:
        self._path = Path(path)
        self._sets: tuple[str, ...] = tuple(sets)

    @classmethod
    def load(cls, path: PathLike) -> "Scenario":
        """Reads a run or scenario file, and its model for a run file.

        Raises :class:`InputError` (with the file, line, column and field)
        when either cannot be read or parsed. Values are checked by
        :meth:`validate`.
        """
        scenario = cls(path)
        _native.apply_sets(str(scenario._path), [])
        return scenario

    @property
    def path(self) -> Path:
        """The run or scenario file."""
        return self._path

    @property
    def sets(self) -> tuple[str, ...]:
        """The overrides, ``PATH=VALUE`` as ``--set`` takes them, in order."""
        return self._sets

    def set(self, path: str, value: Any) -> "Scenario":
        """Changes one value by its dotted path, as ``--set path=value``
        (``negotiation.deadline_weeks``, ``states.CN.preferences.discount``,
        ``populations.us_auto_suppliers.count``; docs/CONFIG.md lists them)
        and returns this scenario, so calls chain. ``value`` is written with
        :func:`ron`.

        Raises :class:`InputError` when the path does not exist or the value
        has the wrong kind; the scenario is then unchanged. A value out of its
        range is found by :meth:`validate` (and by :func:`run`).
        """
        if "=" in path:
            raise InputError(
                f"--set {path}: a path has no `=`; give the value as the second argument",
                field=path,
            )
        sets = self._sets + (f"{path}={ron(value)}",)
        try:
            _native.apply_sets(str(self._path), list(sets))
        except InputError as e:
            if e.message.startswith("--set "):
                # the sets before were applied: this one failed (the
                # message names them all, as the command line's does)
                e.field = path
            raise
        self._sets = sets
        return self

    def copy(self) -> "Scenario":
        """A scenario with the same file and overrides."""
        return Scenario(self._path, self._sets)

    def validate(self) -> None:
        """Checks the file and its model with the overrides applied, as
        ``chokepoint run`` does before it runs. Raises :class:`InputError`
        with the command line's message, file, line, column and field, and
        every problem in ``.problems``."""
        _native.check(str(self._path), list(self._sets))

    def manifest(self) -> dict[str, Any]:
        """The run's ``manifest.ron`` as ``chokepoint run`` would write it
        (the resolved scenario, its hash, the overrides), as a dict."""
        return json.loads(_native.check(str(self._path), list(self._sets)))

    def __repr__(self) -> str:
        sets = "".join(f", {s!r}" for s in self._sets)
        return f"Scenario({str(self._path)!r}{sets})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Scenario)
            and self._path == other._path
            and self._sets == other._sets
        )

    def __hash__(self) -> int:
        return hash((self._path, self._sets))


def _frame(ipc: bytes) -> pl.DataFrame:
    return pl.read_ipc_stream(io.BytesIO(ipc))


def _pandas(frames: dict[str, pl.DataFrame | None]) -> dict[str, "pandas.DataFrame"]:
    return {k: v.to_pandas() for k, v in frames.items() if v is not None}


@dataclass(frozen=True)
class RunResult:
    """A run's tables, as polars DataFrames of the declared column types
    (docs/OUTPUTS.md): the same rows and values as the CSV files
    ``chokepoint run`` writes, with empty cells as nulls."""

    #: One row per week (``timeseries.csv``).
    timeseries: pl.DataFrame
    #: One row per negotiation event (``transcript.csv``).
    transcript: pl.DataFrame
    #: The transcript's terms, long: one row per move and issue (``terms.csv``).
    terms: pl.DataFrame
    #: One row of run totals (``summary.csv``).
    summary: pl.DataFrame
    #: ``manifest.ron`` as a dict: seed, weeks, overrides, resolved scenario.
    manifest: dict[str, Any] = field(repr=False)
    #: Seconds spent building the world and simulating.
    model_seconds: float = 0.0

    def to_pandas(self) -> dict[str, "pandas.DataFrame"]:
        """The four tables as pandas DataFrames, by name."""
        return _pandas(
            {
                "timeseries": self.timeseries,
                "transcript": self.transcript,
                "terms": self.terms,
                "summary": self.summary,
            }
        )


def _scenario(scenario_or_path: Scenario | PathLike) -> Scenario:
    if isinstance(scenario_or_path, Scenario):
        return scenario_or_path
    return Scenario(scenario_or_path)


def run(
    scenario_or_path: Scenario | PathLike,
    *,
    seed: int | None = None,
    weeks: int | None = None,
    threads: int | None = None,
) -> RunResult:
    """Runs a scenario (or a run or scenario file) in memory and returns its
    tables; nothing is written. ``seed``, ``weeks`` and ``threads`` override
    the run file's, as ``--seed``, ``--weeks`` and ``--threads`` do (the
    output does not depend on ``threads``; 0 is one per core).

    Raises :class:`InputError` for bad input, ``KeyboardInterrupt`` on
    Ctrl-C (the run stops at the end of the week it is in).
    """
    s = _scenario(scenario_or_path)
    out = _native.run(str(s.path), list(s.sets), seed=seed, weeks=weeks, threads=threads)
    return RunResult(
        timeseries=_frame(out["timeseries"]),
        transcript=_frame(out["transcript"]),
        terms=_frame(out["terms"]),
        summary=_frame(out["summary"]),
        manifest=json.loads(out["manifest"]),
        model_seconds=out["model_seconds"],
    )


@dataclass(frozen=True)
class Axis:
    """An axis of a sweep's design: the scenario path it sets and the column
    that holds its value in ``runs`` and ``points``."""

    path: str
    column: str


@dataclass(frozen=True)
class SweepResult:
    """A merged sweep folder's tables as polars DataFrames."""

    #: The sweep's output folder.
    dir: Path
    #: The design's axes, in the sweep file's order, named by their column.
    axes: list[Axis]
    #: One row per run: run, point, replicate, seed, status, the axes, the
    #: summary's columns (``runs.parquet``).
    runs: pl.DataFrame
    #: One row per design point: the axes and each output's aggregates
    #: over the replicates (``points.parquet``).
    points: pl.DataFrame
    #: First- and total-order Sobol indices with bootstrap intervals
    #: (``sobol.parquet``), for a Sobol design with ``sensitivity``.
    sobol: pl.DataFrame | None
    #: The requested time series, long: one row per run and week
    #: (``series.parquet``), for a sweep with ``series``.
    series: pl.DataFrame | None
    #: ``sweep.ron``: design, seeds, column types, as a dict.
    manifest: dict[str, Any] = field(repr=False)

    @property
    def axis_columns(self) -> list[str]:
        """The columns of the axes, in order."""
        return [a.column for a in self.axes]

    def to_pandas(self) -> dict[str, "pandas.DataFrame"]:
        """The tables present as pandas DataFrames, by name."""
        return _pandas(
            {
                "runs": self.runs,
                "points": self.points,
                "sobol": self.sobol,
                "series": self.series,
            }
        )


def load_sweep(dir: PathLike) -> SweepResult:
    """Reads a merged sweep folder (``chokepoint sweep`` or ``merge``).

    Raises :class:`InputError` when the folder has no ``sweep.ron`` or is not
    merged yet (a sharded sweep before ``chokepoint merge``).
    """
    d = Path(dir)
    manifest = json.loads(_native.sweep_manifest(str(d)))
    runs = d / "runs.parquet"
    if not runs.exists():
        raise InputError(
            f"{runs}: missing: the sweep is not merged; run `chokepoint merge {d}` "
            "or chokepoint.merge() once every shard is done",
            file=str(runs),
        )

    def optional(name: str) -> pl.DataFrame | None:
        path = d / name
        return pl.read_parquet(path) if path.exists() else None

    axes = [Axis(p, c) for p, c in zip(manifest["axes"], manifest["axis_columns"])]
    return SweepResult(
        dir=d,
        axes=axes,
        runs=pl.read_parquet(runs),
        points=pl.read_parquet(d / "points.parquet"),
        sobol=optional("sobol.parquet"),
        series=optional("series.parquet"),
        manifest=manifest,
    )


def _print_progress(done: int, total: int, failed: int) -> None:
    failed_text = f", {failed} failed" if failed else ""
    end = "\n" if done == total else ""
    sys.stderr.write(f"\rsweep: {done}/{total} runs{failed_text}{end}")
    sys.stderr.flush()


def sweep(
    path: PathLike,
    *,
    jobs: int | None = None,
    out: PathLike | None = None,
    resume: bool = False,
    shard: str | None = None,
    progress: bool | Callable[[int, int, int], None] = True,
) -> SweepResult | None:
    """Runs a sweep file as ``chokepoint sweep`` does and returns the merged
    folder's tables (:func:`load_sweep`).

    ``jobs``: runs at once (default one per core); ``out``: the output folder
    (default ``out/<sweep name>``); ``resume``: complete a stopped or killed
    sweep; ``shard``: ``"K/N"`` runs that slice only (default: from
    ``SLURM_ARRAY_TASK_ID``/``SLURM_ARRAY_TASK_COUNT`` when set), and then
    returns ``None``: merge with :func:`merge` once every shard is done.
    ``progress``: print ``sweep: done/total runs`` to stderr (``True``), or
    call ``progress(done, total, failed)`` after each batch of rows written.

    Ctrl-C stops it between two weeks: the runs in flight are dropped, the
    rows done in run order are written, and ``KeyboardInterrupt`` is raised; the folder is then
    one that ``resume=True`` (or ``chokepoint sweep --resume``) completes.
    """
    callback = _print_progress if progress is True else (progress or None)
    dir = _native.run_sweep(
        str(path),
        out=None if out is None else str(out),
        jobs=jobs,
        resume=resume,
        shard=shard,
        progress=callback,
    )
    if dir is None:
        return None
    return load_sweep(dir)


def merge(dir: PathLike) -> SweepResult:
    """Joins the shards of a sweep folder (``chokepoint merge``) and returns
    its tables."""
    _native.merge(str(dir))
    return load_sweep(dir)
