"""The numbers engine: every figure agrees with every other, whatever the request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.planning.engine import allocate, compute_figures
from assistant.request import build_request

BASE = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": 1200}


def cents(x: float) -> int:
    return round(x * 100)


def test_jiangsu_1200_with_six_reps_and_150_budget():
    """A lubricant seller: the industrial playbook's factory calendar and budget lines, not one flat default."""
    fig = compute_figures(build_request({**BASE, "team": 6, "budget_total": "150万", "avg_deal_size": "20万",
                                         "win_rate": "25%"}))
    assert fig.playbook_id == "industrial_b2b"
    q1, q2, q3, q4 = (q.amount for q in fig.quarters)
    assert q1 < q2 and q1 < q4 and q4 == max(q1, q2, q3, q4)  # 春节停工 in Q1, 年底冲量 in Q4
    assert sum(cents(m.amount) for m in fig.months) == 120000
    assert [r.quota for r in fig.reps] == [200.0] * 6
    assert fig.deals == 60 and fig.opportunities == 240
    assert [b.item for b in fig.budget_lines][:2] == ["客户开发与差旅", "技术服务与样品试用"]
    assert [b.amount for b in fig.budget_lines] == [45.0, 30.0, 22.5, 22.5, 22.5, 7.5]
    assert fig.expense_ratio == pytest.approx(0.125)
    assert fig.pipeline_coverage == 4.0
    assert any(a.field == "预算分配" for a in fig.assumptions)  # the playbook's split is recorded, not silent


def test_new_hires_ramp_and_get_smaller_quotas_that_still_sum_to_target():
    fig = compute_figures(build_request({**BASE, "team": [{"role": "销售", "count": 4, "new_hires": 2,
                                                           "ramp_months": 3, "hire_month": 4}]}))
    veterans = fig.reps[:2]
    rookies = [r for r in fig.reps if r.new_hire and not r.planned]  # the two the user announced
    assert all(r.effective_months == 12 for r in veterans)
    assert all(r.new_hire and r.start_month == "2027年4月" and r.effective_months < 9 for r in rookies)
    assert rookies[0].quota < veterans[0].quota
    assert sum(cents(r.quota) for r in fig.reps) == 120000


def test_partial_months_are_weighted_by_days_covered():
    fig = compute_figures(build_request({**BASE, "period": "2027-03-16至2027-05-31", "revenue_target": 100}))
    march, april, may = fig.months
    assert march.amount < april.amount
    assert sum(cents(m.amount) for m in fig.months) == 10000


def test_sparse_request_records_every_default_and_asks_for_what_is_missing():
    fig = compute_figures(build_request(BASE))
    fields = {a.field for a in fig.assumptions}
    assert {"平均客单价", "赢单率", "阶段转化率", "销售周期", "预算总额", "预算分配", "回款目标", "销售人数"} <= fields
    asked = " ".join(fig.open_questions)
    for topic in ("客单价", "赢单率", "销售周期", "预算", "上期", "团队"):
        assert topic in asked


def test_capacity_gap_turns_into_a_feasible_hiring_plan_and_the_given_team_stays():
    fig = compute_figures(build_request({**BASE, "baseline_revenue": 600, "team": 3}))
    # last year 600 with 3 reps -> 16.67 per rep-month; the given three stay three, the gap is hired for
    assert fig.capacity_gap == pytest.approx(600, abs=0.1)
    assert fig.headcount == 3 and [t.count for t in fig.team] == [3]
    assert sum(h.count for h in fig.hiring) == fig.headcount_gap and fig.headcount_needed == 3 + fig.headcount_gap
    assert all(h.count <= 2 for h in fig.hiring)  # the industrial playbook's cap per month
    assert fig.hiring[0].start_month == "2027年2月"  # a 45-day lead time: nobody arrives in January
    assert sum(h.capacity for h in fig.hiring) >= fig.capacity_gap and fig.capacity_gap_after_hiring == 0
    assert sum(1 for r in fig.reps if r.planned) == fig.headcount_gap
    assert fig.growth_rate == pytest.approx(1.0)


def test_long_sales_cycle_moves_the_last_opportunity_date_to_period_start():
    fig = compute_figures(build_request({**BASE, "period": "2027年Q1", "sales_cycle_days": 120}))
    assert fig.last_opportunity_date == date(2027, 1, 1)
    assert "期初" in fig.lead_time_note


amounts = st.floats(min_value=0.01, max_value=1e7, allow_nan=False).map(lambda x: round(x, 2))
rates = st.floats(min_value=0.01, max_value=1.0)


@settings(max_examples=150, deadline=None)
@given(total=amounts, weights=st.lists(st.floats(min_value=0, max_value=100), min_size=1, max_size=40))
@pytest.mark.slow
def test_allocate_preserves_the_total_to_the_cent(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(cents(p) for p in parts) == cents(total)
    assert all(p >= 0 for p in parts)


@settings(max_examples=120, deadline=None)
@given(
    target=amounts,
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=730),
    win=rates,
    conv=st.lists(rates, min_size=0, max_size=4),
    reps=st.integers(min_value=1, max_value=30),
    new=st.integers(min_value=0, max_value=30),
    season=st.one_of(st.none(), st.lists(st.floats(min_value=0.1, max_value=5), min_size=12, max_size=12)),
    budget=st.one_of(st.none(), st.floats(min_value=0, max_value=1).map(lambda r: round(r, 2))),
)
@pytest.mark.slow
def test_figures_invariants(target, start, days, win, conv, reps, new, season, budget):
    new = min(new, reps)
    req = build_request({
        **BASE, "revenue_target": target, "period": {"start": start, "end": start + timedelta(days=days)},
        "win_rate": win, "stage_conversion": [{"name": f"阶段{i}", "rate": r} for i, r in enumerate(conv)],
        "team": [{"role": "销售", "count": reps, "new_hires": new, "ramp_months": 2}], "seasonality": season,
        "budget_total": None if budget is None else round(target * budget, 2),
    })
    fig = compute_figures(req)
    total = cents(target)
    assert sum(cents(m.amount) for m in fig.months) == total
    assert sum(cents(q.amount) for q in fig.quarters) == total
    for q in fig.quarters:  # each quarter is exactly its months
        assert cents(q.amount) == sum(cents(m.amount) for m in fig.months if m.quarter == q.label)
    assert sum(cents(r.quota) for r in fig.reps) == total
    assert sum(cents(b.amount) for b in fig.budget_lines) == cents(fig.budget_total)
    counts = [s.count for s in fig.funnel]
    assert counts == sorted(counts, reverse=True)  # funnel stages monotone
    assert all(0 < s.conversion_to_next <= 1 for s in fig.funnel if s.conversion_to_next is not None)
    assert 0 < fig.win_rate <= 1
    assert fig.deals * fig.avg_deal_size >= target - 0.01 * fig.deals
    assert fig.opportunities * fig.win_rate >= fig.deals - 1e-9
    assert fig.period_start <= fig.last_opportunity_date <= fig.period_end
