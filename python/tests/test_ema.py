"""The EMA Workbench adapter on a small experiment set."""

from __future__ import annotations

import math
import multiprocessing

import numpy as np
import pytest

import chokepoint
from chokepoint import InputError, Scenario, ema

from conftest import DATA

import ema_workbench  # noqa: F401  (the tests need it: never skipped)


def small_model(**kwargs):
    return ema.model(
        Scenario.load(DATA / "small_run.ron"),
        uncertainties={
            "states.CN.preferences.open_threshold": (0.3, 0.9),
            "negotiation.deadline_weeks": (8, 20),
            "states.CN.preferences.concession": ["Linear", "Conceder(e: 2.0)"],
        },
        levers={"states.US.preferences.discount": (0.95, 0.99)},
        outcomes=["first_agreement_week", "agreements_count"],
        series=["US_pressure_index"],
        seed=4,
        **kwargs,
    )


def test_a_small_experiment_set_runs_and_each_experiment_is_a_run():
    from ema_workbench import SequentialEvaluator, perform_experiments

    model = small_model()
    assert [u.name for u in model.uncertainties] == [
        "states_CN_preferences_open_threshold",
        "negotiation_deadline_weeks",
        "states_CN_preferences_concession",
    ]
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(
            model, scenarios=6, policies=1, evaluator=evaluator
        )
    assert len(experiments) == 6
    assert outcomes["agreements_count"].shape == (6,)
    assert outcomes["US_pressure_index"].shape == (6, 40)
    # experiment 0 again, by hand: the same outcome
    row = experiments.iloc[0]
    s = Scenario.load(DATA / "small_run.ron")
    s.set("states.CN.preferences.open_threshold", float(row["states_CN_preferences_open_threshold"]))
    s.set("negotiation.deadline_weeks", int(row["negotiation_deadline_weeks"]))
    s.set("states.CN.preferences.concession", row["states_CN_preferences_concession"])
    s.set("states.US.preferences.discount", float(row["states_US_preferences_discount"]))
    r = chokepoint.run(s, seed=4)
    week = r.summary["first_agreement_week"][0]
    got = outcomes["first_agreement_week"][0]
    assert (math.isnan(got) and week is None) or got == week
    assert np.array_equal(
        outcomes["US_pressure_index"][0], r.timeseries["US_pressure_index"].to_numpy()
    )


def test_bad_paths_ranges_and_columns_are_refused_before_any_experiment():
    s = Scenario.load(DATA / "small_run.ron")
    with pytest.raises(InputError, match="nope"):
        ema.model(s, uncertainties={"negotiation.nope": (0.0, 1.0)})
    with pytest.raises(InputError, match="deadline_weeks"):
        ema.model(s, uncertainties={"negotiation.deadline_weeks": (-5, 10)})
    with pytest.raises(InputError, match="no column"):
        ema.model(s, uncertainties={"negotiation.deadline_weeks": (5, 10)}, outcomes=["nope"])
    with pytest.raises(ValueError, match="empty"):
        ema.model(s, uncertainties={"negotiation.deadline_weeks": (10, 5)})


def test_worker_processes_give_the_outcomes_of_one_process():
    import pickle

    from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator, perform_experiments
    from ema_workbench.em_framework.samplers import sample_uncertainties

    model = small_model()
    pickle.loads(pickle.dumps(model))
    scenarios = sample_uncertainties(model, 3)
    with SequentialEvaluator(model) as evaluator:
        _, one = perform_experiments(model, scenarios=scenarios, evaluator=evaluator)
    # polars' thread pool, used by the tests before, does not survive a fork:
    # worker processes are spawned (python/README.md says so)
    method = multiprocessing.get_start_method()
    multiprocessing.set_start_method("spawn", force=True)
    try:
        with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
            _, many = perform_experiments(model, scenarios=scenarios, evaluator=evaluator)
    finally:
        multiprocessing.set_start_method(method, force=True)
    for name in one:
        assert np.array_equal(one[name], many[name], equal_nan=True), name


def test_numpy_bounds_give_the_kind_of_parameter_of_their_numbers():
    model = ema.model(
        Scenario.load(DATA / "small_run.ron"),
        uncertainties={
            "negotiation.deadline_weeks": (np.int64(8), np.int64(20)),
            "states.CN.preferences.open_threshold": (np.float64(0.3), np.float64(0.9)),
        },
    )
    kinds = [type(u).__name__ for u in model.uncertainties]
    assert kinds == ["IntegerParameter", "RealParameter"]


def test_the_seed_key_gives_each_experiment_its_own_seed():
    s = Scenario.load(DATA / "small_run.ron")
    model = ema.model(
        s,
        uncertainties={ema.SEED: (1, 50), "negotiation.deadline_weeks": (8, 20)},
        outcomes=["agreements_count"],
        series=["US_pressure_index"],
    )
    got = model.function(seed=3, **{"negotiation.deadline_weeks": 12})
    r = chokepoint.run(s.copy().set("negotiation.deadline_weeks", 12), seed=3)
    assert np.array_equal(got["US_pressure_index"], r.timeseries["US_pressure_index"].to_numpy())
    other = model.function(seed=4, **{"negotiation.deadline_weeks": 12})
    assert not np.array_equal(got["US_pressure_index"], other["US_pressure_index"])
    with pytest.raises(ValueError, match="seed"):
        ema.model(s, uncertainties={ema.SEED: (0.5, 2.5)})
