"""The calibration floors (evals/bench_calibration.py prints the figures): on 26 plans written and ranked by a
demanding sales director, the validator's scores follow the director's ranking, every planted arithmetic error is
named, good hand-written plans get no false findings, and no offline template draft reaches 85."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "evals" / "bench_calibration.py"


def load_bench():
    """evals/bench_calibration.py is a script, not a package module: load it by path."""
    spec = importlib.util.spec_from_file_location("bench_calibration", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def results():
    module = load_bench()
    return module, module.run()


@pytest.mark.slow
def test_the_validator_ranks_plans_like_the_sales_director(results):
    bench, res = results
    assert len(res.director) >= 15
    assert bench.spearman(res.director, res.validator) >= 0.8


@pytest.mark.slow
def test_every_planted_arithmetic_error_is_named_with_its_numbers(results):
    _, res = results
    arithmetic = res.planted["arithmetic"]
    assert len(arithmetic) >= 10 and all(caught for *_, caught in arithmetic)
    assert all(caught for *_, caught in res.planted["date_outside_period"] + res.planted["leakage"])


@pytest.mark.slow
def test_good_hand_written_plans_get_at_most_one_false_finding_and_drafts_stay_under_85(results):
    _, res = results
    assert len(res.false_findings) >= 5
    assert all(len(items) <= 1 for items in res.false_findings.values()), res.false_findings
    assert max(res.drafts.values()) < 85


def test_spearman_handles_ties_like_the_textbook():
    bench = load_bench()
    assert bench.ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]
    assert bench.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert bench.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
