"""The numeric consistency rules, checked with generated numbers (hypothesis): what the numbers engine produces
always passes, and a deviation beyond the tolerance is always caught."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.drafting.offline import draft_offline
from assistant.planning.engine import allocate, funnel
from assistant.request import build_request
from assistant.validation import validate_plan
from assistant.validation.numeric import (
    coverage_ok,
    funnel_problems,
    growth_gap,
    monotone_break,
    quota_problem,
    rate_valid,
    sums_match,
)

totals = st.floats(min_value=10, max_value=1e6, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
weights = st.lists(st.floats(min_value=0.1, max_value=5), min_size=2, max_size=24)
rates = st.floats(min_value=0.05, max_value=1.0)


@given(totals, weights)
def test_an_exact_split_always_adds_up(total, ws):
    assert sums_match(allocate(total, ws), total, 0.01)


@given(totals, weights, st.integers(min_value=0, max_value=23), st.floats(min_value=0.011, max_value=0.5),
       st.sampled_from([1, -1]))
def test_a_part_off_by_more_than_one_percent_of_the_total_is_caught(total, ws, i, off, sign):
    parts = allocate(total, ws)
    parts[i % len(parts)] += sign * off * total
    assert not sums_match(parts, total, 0.01)


@given(totals, weights, st.floats(min_value=1.0, max_value=1.2))
def test_quotas_between_100_and_120_percent_of_the_target_are_accepted(target, ws, factor):
    assert quota_problem(allocate(target * factor, ws), target, 0.01, 0.2) is None


@given(totals, weights, st.floats(min_value=0.2, max_value=0.98))
def test_quotas_below_the_target_are_flagged(target, ws, factor):
    assert quota_problem(allocate(target * factor, ws), target, 0.01, 0.2) == "under"


@given(totals, weights, st.floats(min_value=1.21, max_value=3))
def test_over_assignment_above_20_percent_is_flagged(target, ws, factor):
    assert quota_problem(allocate(target * factor, ws), target, 0.01, 0.2) == "over"


@given(totals, st.floats(min_value=0.001, max_value=0.5), rates,
       st.lists(st.tuples(st.just("阶段"), rates), min_size=0, max_size=4))
def test_the_engines_funnel_is_consistent_and_narrows(target, deal_share, win, stages):
    deal_size = target * deal_share
    deals = math.ceil(target / deal_size - 1e-9)
    rows = funnel(deals, win, stages)
    assert funnel_problems(target, deal_size, win, rows[-1].count, rows[-2].count, 0.05) == []
    assert monotone_break([r.count for r in rows]) is None
    assert all(rate_valid(r.conversion_to_next) for r in rows[:-1])


@given(st.integers(min_value=20, max_value=5000), rates, st.floats(min_value=0.2, max_value=0.8))
def test_a_deal_count_far_from_target_over_deal_size_is_caught(deals, win, off):
    target, deal_size = deals * 10.0, 10.0
    wrong = round(deals * (1 + off))
    assert funnel_problems(target, deal_size, win, wrong, math.ceil(wrong / win), 0.05)


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=2, max_size=6, unique=True))
def test_a_funnel_that_widens_anywhere_is_caught(counts):
    ordered = sorted(counts, reverse=True)
    assert monotone_break(ordered) is None
    widened = ordered[:]
    widened[-1], widened[-2] = widened[-2], widened[-1]
    assert monotone_break(widened) == len(widened) - 1


@given(rates)
def test_coverage_of_one_over_win_rate_rounded_to_two_decimals_is_enough(win):
    assert coverage_ok(round(1 / win, 2), win)
    assert not coverage_ok(round(1 / win, 2) * 0.9, win)


@given(st.floats(min_value=0.001, max_value=1.5), st.floats(min_value=10, max_value=1e5))
def test_growth_is_checked_to_half_a_point(growth, baseline):
    target = baseline * (1 + growth)
    assert growth_gap(target, baseline, round(growth, 4)) <= 0.005
    assert growth_gap(target, baseline, growth + 0.006) > 0.005


@given(st.floats(min_value=-2, max_value=3, allow_nan=False))
def test_rates_must_be_in_zero_to_one(rate):
    assert rate_valid(rate) == (0 < rate <= 1)


NUMERIC_ITEMS = {"TGT-05", "BRK-05", "BRK-06", "BRK-07", "FNL-05", "FNL-06", "FNL-07", "FNL-08", "ACT-02", "BUD-02"}

requests = st.fixed_dictionaries({
    "company": st.just("测试公司"), "region": st.sampled_from(["华东", "华南", "西南"]),
    "period": st.sampled_from(["2027年", "2027年Q3", "2027年上半年", "2027年3月-2027年10月", "2027年7月-2028年6月"]),
    "revenue_target": st.integers(min_value=100, max_value=50_000),
}, optional={
    "baseline_revenue": st.integers(min_value=50, max_value=40_000),
    "win_rate": st.sampled_from(["15%", "25%", "33%", "60%"]),
    "avg_deal_size": st.integers(min_value=1, max_value=50),
    "team": st.integers(min_value=1, max_value=30),
    "channels": st.sampled_from([["直销", "经销商"], ["直销", "线上", "展会"]]),
    "seasonality": st.lists(st.floats(min_value=0.2, max_value=2), min_size=12, max_size=12),
    "stage_conversion": st.just({"线索→合格线索": "30%", "合格线索→商机": "45%"}),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
@pytest.mark.slow
def test_every_offline_draft_passes_every_numeric_rule(data):
    report = validate_plan(draft_offline(build_request(data)))
    bad = [(f.id, f.reason) for f in report.items if f.id in NUMERIC_ITEMS and f.status == "fail"]
    assert not bad
