"""A chokepoint scenario as an EMA Workbench ``Model``, for exploratory
modelling and scenario discovery (Kwakkel 2017, "The Exploratory Modeling
Workbench", Environmental Modelling & Software 96).

Uncertainties and levers are dotted paths of the scenario, the same as
``--set`` takes (docs/CONFIG.md), each with its range::

    from chokepoint import Scenario, ema
    model = ema.model(
        Scenario.load("configs/baseline.ron"),
        uncertainties={
            "states.CN.preferences.open_threshold": (0.3, 0.9),   # real
            "negotiation.deadline_weeks": (8, 30),                # integer
            "states.US.preferences.concession": ["Linear", "Screening"],  # categories
        },
        outcomes=["first_agreement_week", "agreements_count"],
        series=["US_pressure_index"],
    )
    from ema_workbench import perform_experiments
    experiments, outcomes = perform_experiments(model, scenarios=100)

A path becomes the parameter's name with every character that is not a
letter, digit or ``_`` replaced by ``_`` (``states_CN_preferences_open_threshold``);
``Parameter.variable_name`` keeps the path. Outcomes are columns of the
run's summary (one number per experiment; a null, such as the first
agreement of a run with none, is NaN) and of its time series (one array
per experiment, a value per week). Each experiment is one run with the
given seed; the model is picklable, so ``MultiprocessingEvaluator`` can
run experiments in parallel.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ema_workbench import (
    CategoricalParameter,
    IntegerParameter,
    Model,
    RealParameter,
    ScalarOutcome,
    TimeSeriesOutcome,
)

from . import Scenario, ron, run
from .errors import InputError

__all__ = ["model", "name_of", "Experiment", "SEED", "DEFAULT_OUTCOMES"]

#: Summary columns given by default as outcomes.
DEFAULT_OUTCOMES = (
    "first_agreement_week",
    "agreements_count",
    "breakdowns_count",
    "peak_readiness_gap_share",
)


def name_of(path: str) -> str:
    """The EMA parameter or outcome name of a dotted path or column."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", path)
    return name if name[:1].isalpha() or name[:1] == "_" else "_" + name


#: The key of ``uncertainties`` that varies the run's seed, not a scenario value.
SEED = "seed"


def _parameter(path: str, spec: Any):
    name = name_of(path)
    if isinstance(spec, (list, tuple)) and not (
        isinstance(spec, tuple) and len(spec) == 2 and all(_is_number(v) for v in spec)
    ):
        return CategoricalParameter(name, list(spec), variable_name=path)
    if isinstance(spec, tuple):
        low, high = spec
        if not low < high:
            raise ValueError(f"{path}: the range ({low}, {high}) is empty: give (low, high)")
        if _is_whole(low) and _is_whole(high):
            return IntegerParameter(name, int(low), int(high), variable_name=path)
        return RealParameter(name, float(low), float(high), variable_name=path)
    raise TypeError(
        f"{path}: give (low, high) for a number, or a list of values for categories, "
        f"not {spec!r}"
    )


def _is_number(v: Any) -> bool:
    """A number, numpy's too, not a bool."""
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_whole(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


class Experiment:
    """The model's function: runs the scenario with an experiment's values
    set at their paths and returns its outcomes. Picklable."""

    def __init__(
        self,
        scenario: Scenario,
        paths: Sequence[str],
        outcomes: Sequence[str],
        series: Sequence[str],
        seed: int,
        weeks: int | None,
    ) -> None:
        self.scenario = scenario
        #: The paths an experiment may set (EMA's variable names).
        self.paths = frozenset(paths)
        self.outcomes = list(outcomes)
        self.series = list(series)
        self.seed = seed
        self.weeks = weeks

    def __call__(self, **experiment: Any) -> dict[str, Any]:
        seed = int(experiment.pop(SEED, self.seed))
        unknown = set(experiment) - self.paths
        if unknown:
            raise KeyError(f"{sorted(unknown)} are not uncertainties or levers of this model")
        # Every bound was checked by `model`; the run checks the mix.
        sets = tuple(f"{path}={ron(value)}" for path, value in experiment.items())
        scenario = Scenario(self.scenario.path, self.scenario.sets + sets)
        result = run(scenario, seed=seed, weeks=self.weeks, threads=1)
        out: dict[str, Any] = {}
        for column in self.outcomes:
            value = result.summary.get_column(column)[0]
            out[name_of(column)] = math.nan if value is None else float(value)
        for column in self.series:
            values = result.timeseries.get_column(column).cast(float).fill_null(math.nan)
            out[name_of(column)] = values.to_numpy()
        return out


def model(
    scenario: Scenario | str,
    uncertainties: Mapping[str, Any],
    levers: Mapping[str, Any] | None = None,
    *,
    outcomes: Sequence[str] = DEFAULT_OUTCOMES,
    series: Sequence[str] = (),
    seed: int = 1,
    weeks: int | None = None,
    name: str = "chokepoint",
) -> Model:
    """An EMA Workbench ``Model`` of ``scenario``.

    ``uncertainties`` and ``levers`` map a dotted path to ``(low, high)``
    (floats: ``RealParameter``; ints: ``IntegerParameter``) or to a list of
    values (``CategoricalParameter``, each written with
    :func:`chokepoint.ron`). ``outcomes`` are summary columns, ``series``
    time-series columns (docs/OUTPUTS.md). Every experiment runs ``seed``
    over ``weeks`` (default the run file's), unless ``uncertainties`` has
    the key ``"seed"`` with a range of whole numbers: each experiment then
    draws its own seed, so that the model's own randomness (a state's
    private resolve, review lags) varies across experiments rather than
    being fixed at one draw. The paths, outcomes and every
    bound are checked here, on the scenario, before any experiment: a path
    that does not exist, a value its field does not take, a column the run
    has not raise :class:`chokepoint.InputError`.
    """
    scenario = scenario if isinstance(scenario, Scenario) else Scenario.load(scenario)
    levers = dict(levers or {})
    clash = set(uncertainties) & set(levers)
    if clash:
        raise ValueError(f"{sorted(clash)}: a path is an uncertainty or a lever, not both")
    params = {p: _parameter(p, s) for p, s in {**uncertainties, **levers}.items()}
    names = [p.name for p in params.values()]
    if len(set(names)) != len(names):
        raise ValueError(f"two paths give the same parameter name: {names}")
    _check(scenario, params, outcomes, series, seed, weeks)
    function = Experiment(scenario, list(params), outcomes, series, seed, weeks)
    m = Model(name, function=function)
    m.uncertainties = [params[p] for p in uncertainties]
    m.levers = [params[p] for p in levers]
    m.outcomes = [ScalarOutcome(name_of(c), variable_name=name_of(c)) for c in outcomes] + [
        TimeSeriesOutcome(name_of(c), variable_name=name_of(c)) for c in series
    ]
    return m


def _check(scenario, params, outcomes, series, seed, weeks) -> None:
    """Every bound of every parameter, alone, on the scenario; the outcome
    columns on a one-week run."""
    for path, p in params.items():
        if path == SEED:
            if not isinstance(p, IntegerParameter) or p.lower_bound < 0:
                raise ValueError("seed: give a range of whole numbers (low, high), low >= 0")
            continue
        if isinstance(p, CategoricalParameter):
            values = [c.value for c in p.categories]
        else:
            values = [p.lower_bound, p.upper_bound]
        for v in values:
            scenario.copy().set(path, v).validate()
    first = run(scenario, seed=seed, weeks=1, threads=1)
    for column, table, what in [(c, first.summary, "summary") for c in outcomes] + [
        (c, first.timeseries, "time series") for c in series
    ]:
        if column not in table.columns:
            raise InputError(
                f"the run's {what} has no column `{column}`; docs/OUTPUTS.md lists them",
                field=column,
            )
