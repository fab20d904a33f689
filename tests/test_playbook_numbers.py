"""The numbers engine with a playbook: defaults from the industry (midpoint, with range and source, asked for),
capacity in the industry's unit, a given team kept and its gap hired for feasibly, what was said about regions,
products and channels honoured, and numbers far outside the industry's range flagged for confirmation."""

from __future__ import annotations

import pytest

from assistant.drafting.offline import draft_offline
from assistant.planning.engine import compute_figures
from assistant.planning.playbooks import get_playbook
from assistant.request import build_request

SAAS = {"company": "云帆软件", "industry": "SaaS", "product": "CRM订阅服务", "region": "上海",
        "period": "2027年", "revenue_target": "1200万"}
DRINKS = {"company": "清泉饮品", "industry": "饮料", "product": "茶饮料", "region": "河南", "period": "2027年",
          "revenue_target": "6000万"}


def fig(base, **fields):
    return compute_figures(build_request({**base, **fields}))


def test_an_unknown_deal_size_is_the_playbooks_midpoint_not_the_target_divided_by_a_constant():
    small, large = fig(SAAS, revenue_target="300万"), fig(SAAS, revenue_target="3000万")
    pb = get_playbook("saas")
    assert small.avg_deal_size == large.avg_deal_size == pb.deal.size.mid
    note = next(a for a in small.assumptions if a.field == "平均客单价")
    assert "1万元–15万元" in note.value and "行业手册" in note.source
    assert any("客单价" in q for q in small.open_questions)


def test_a_yearly_purchase_is_prorated_for_a_short_plan():
    year, quarter = fig(DRINKS), fig(DRINKS, period="2027年Q3")
    assert quarter.avg_deal_size == pytest.approx(year.avg_deal_size / 4)


def test_capacity_comes_from_productivity_in_the_industrys_unit():
    f = fig(SAAS, team=4)
    pb = get_playbook("saas")
    assert f.capacity_per_rep_month == pytest.approx(pb.productivity.per_rep_month.mid * f.avg_deal_size, abs=0.01)
    assert "家/人/月" in next(a.source for a in f.assumptions if a.field == "人均月产能")


def test_a_given_team_is_never_replaced_and_its_gap_is_hired_for_with_lead_time_ramp_and_a_monthly_cap():
    f = fig(SAAS, team=[{"role": "电话销售", "count": 2}], baseline_revenue="300万")
    assert [(t.role, t.count) for t in f.team] == [("电话销售", 2)]
    pb = get_playbook("saas")
    assert f.hiring and all(h.role == "电话销售" and h.count <= pb.hiring.max_per_month for h in f.hiring)
    assert f.hiring[0].start_month != "2027年1月"  # nobody can be hired and arrive on day one
    assert sum(h.capacity for h in f.hiring) >= f.capacity_gap - 0.01
    team = draft_offline(build_request({**SAAS, "team": [{"role": "电话销售", "count": 2}],
                                        "baseline_revenue": "300万"})).sections.team
    assert next(r.count for r in team.roles if r.role == "电话销售") == 2


def test_a_gap_a_short_plan_cannot_hire_for_is_a_gap_with_a_warning_not_a_hiring_spree():
    f = fig(SAAS, period="2027年Q2", revenue_target="360万", baseline_revenue="300万", team=4)
    assert f.hiring == [] and f.capacity_gap_after_hiring == pytest.approx(60)
    assert any(w.field == "产能缺口" for w in f.warnings)
    assert f.open_questions[0].startswith("【数字需确认】")


def test_a_region_that_lists_places_and_two_products_get_their_own_lines_with_stated_shares():
    f = fig(SAAS, region="华东（上海、江苏、浙江、安徽）", product="招聘管理系统、绩效管理系统",
            notes="招聘系统占收入约六成")
    assert [r.name for r in f.regions] == ["上海", "江苏", "浙江", "安徽"]
    assert sum(r.amount for r in f.regions) == pytest.approx(1200) and all(r.share == 0.25 for r in f.regions)
    recruit, review = f.products
    assert recruit.share == 0.6 and recruit.basis == "用户给出" and review.share == pytest.approx(0.4)
    assert any("各区域" in q for q in f.open_questions)


def test_lead_sources_are_planned_in_leads_and_revenue_channels_share_the_target():
    f = fig(DRINKS, channels="县级经销商、商超KA、糖酒会")
    by = {c.channel: c for c in f.channels}
    assert by["糖酒会"].role == "lead_source" and by["糖酒会"].amount is None and by["糖酒会"].leads
    assert by["县级经销商"].amount > by["商超KA"].amount
    assert sum(c.amount for c in f.channels if c.amount) == pytest.approx(6000)


def test_the_budget_is_split_by_the_industrys_own_lines():
    f = fig(DRINKS, budget_total="900万")
    assert [b.item for b in f.budget_lines][0] == "经销商返利与渠道激励"
    assert sum(b.amount for b in f.budget_lines) == pytest.approx(900)


def test_the_months_inside_the_first_sales_cycle_say_how_much_must_already_be_in_the_pipeline():
    f = fig(SAAS, sales_cycle_days=60)
    need = f.pipeline_need
    # 60 days from 1 January: a lead found in the period closes on 2 March at the earliest
    assert need.first_new_close.isoformat() == "2027-03-02" and need.months[-1] == "2027年3月"
    assert need.amount == pytest.approx(f.months[0].amount + f.months[1].amount + f.months[2].amount / 31, abs=0.01)
    assert any("期初已在跟进" in q and "2027年1月至2027年3月" in q for q in f.open_questions)


def test_a_new_market_without_customers_gets_no_target_before_its_first_sale_can_close():
    f = fig(SAAS, notes="公司第一次进入西南市场，没有本地客户", sales_cycle_days=60)
    assert f.months[0].amount == 0 and f.months[1].amount == 0 and f.months[2].amount > 0
    assert f.pipeline_need is None


def test_user_stages_are_chained_in_order_and_named_as_the_industry_names_them():
    f = compute_figures(build_request({
        "company": "楚康医疗", "industry": "医疗器械", "product": "超声诊断设备", "region": "湖北", "period": "2027年",
        "revenue_target": "5000万", "avg_deal_size": "250万", "win_rate": "35%",
        "stage_conversion": {"项目信息→立项": "40%", "立项→挂网招标": "60%"}}))
    names = [s.name for s in f.funnel]
    counts = [s.count for s in f.funnel]
    assert names == ["项目信息（线索）", "立项", "挂网招标（商机）", "中标签约"]
    assert counts == sorted(counts, reverse=True) and counts[-1] == 20


@pytest.mark.parametrize("fields, field", [
    ({"team": 2}, "人均目标"),                                       # 3,000万 a head in drinks
    ({"win_rate": "90%"}, "赢单率"),
    ({"baseline_revenue": "1500万"}, "增长率"),                       # +300% a year
    ({"avg_deal_size": "5000万"}, "客单价"),
])
def test_numbers_far_outside_the_industry_are_flagged_for_confirmation(fields, field):
    f = fig(DRINKS, **fields)
    assert any(w.field == field for w in f.warnings), [w.message for w in f.warnings]
    assert any(q.startswith("【数字需确认】") for q in f.open_questions)


def test_a_high_target_per_head_is_no_surprise_when_last_year_was_as_high():
    f = fig(SAAS, team=4, baseline_revenue="1100万")  # 300万 a head this year, 275万 last year
    assert not any(w.field == "人均目标" for w in f.warnings)
