"""Every sentence users reported as lost, misread or refused (issues 13 and 15) is now read the way a sales
manager means it — first messages, chat revisions and the bounds shared by every entry point."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.drafting.drafter import OfflineDrafter
from assistant.drafting.offline import draft_offline
from assistant.intake.revision import interpret, revise
from assistant.intake.rule_reader import extract_fields
from assistant.request import build_request

TODAY = date(2026, 11, 25)


def read(text: str, previous: dict | None = None):
    return extract_fields(text, previous, today=TODAY)


# ---------------------------------------------------------------- refused for want of a company name


def test_the_readme_example_is_read_and_builds_a_request_with_neutral_stand_ins():
    r = read("江苏明年1200万，6个销售，预算150万")
    assert r.fields == {"region": "江苏", "period": "2027年全年", "revenue_target": 1200,
                        "team": [{"role": "销售代表", "count": 6}], "budget_total": 150}
    assert r.missing == []
    request = build_request(r.fields)
    assert request.company == "本公司" and request.stand_ins == ["company"]


@pytest.mark.parametrize("text", ["我们是星河科技", "公司是星河科技", "星河科技明年江苏目标3000万"])
def test_company_names_said_the_everyday_way(text):
    assert read(text).fields["company"] == "星河科技"


def test_a_name_ending_in_its_trade_is_a_company():
    assert read("星河医疗明年江苏目标3000万").fields["company"] == "星河医疗"


# ---------------------------------------------------------------- facts that were dropped


@pytest.mark.parametrize("text, expected", [
    ("要签80家新客户", {"new_customers": 80}),
    ("5个电销加1个售前", {"team": [{"role": "电销", "count": 5}, {"role": "售前", "count": 1, "quota_bearing": False}]}),
    ("主要卖矿泉水和果汁", {"product": "矿泉水、果汁", "industry": "快消品"}),
    ("从接触到签约一般两个月左右", {"sales_cycle_days": 60}),
    ("直销为主，也有几家代理商", {"channels": ["直销", "代理商"]}),
    ("线索主要来自抖音和展会", {"channels": ["抖音", "展会"]}),
    ("做工业涂料的", {"product": "工业涂料", "industry": "工业品"}),
    ("半年卖800万的课", {"period": "2026年12月1日至2027年5月31日", "revenue_target": 800, "product": "课"}),
])
def test_facts_that_used_to_be_dropped(text, expected):
    assert read(text).fields == expected


def test_half_a_year_says_which_months_it_took():
    assert any("「半年」按从下个月起的6个月（2026年12月至2027年5月）理解" in n for n in read("半年卖800万的课").notes)


# ---------------------------------------------------------------- misread


def test_competitors_written_together_are_split_by_the_brand_lexicon():
    assert read("竞争对手是立邦多乐士和三棵树").fields["competitors"] == ["立邦", "多乐士", "三棵树"]


def test_an_unknown_run_of_names_is_asked_about_not_guessed():
    r = read("竞争对手是甲乙丙丁戊己庚辛")
    assert r.fields["competitors"] == ["甲乙丙丁戊己庚辛"] and "competitors" in r.uncertain
    assert any("是一家还是几家" in n for n in r.notes)


def test_a_deal_size_of_8000_in_a_wan_yuan_plan_is_8000_yuan_and_the_request_is_accepted():
    r = read("明年江苏目标1200万，客单价8000")
    assert r.fields["avg_deal_size"] == 0.8
    assert any("按8000元（0.8万元）理解" in n for n in r.notes)
    assert build_request(r.fields).avg_deal_size == 0.8


def test_a_price_per_unit_is_the_deal_size():
    assert read("单台45万左右").fields == {"avg_deal_size": 45}


def test_subscriptions_per_year_and_per_month():
    assert read("客单价每年3万").fields["avg_deal_size"] == 3
    r = read("月费2000元一个客户")
    assert r.fields["avg_deal_size"] == 2.4 and any("按年计" in n for n in r.notes)


# ---------------------------------------------------------------- what the issue asks the reader to cover


def test_nothing_usable_gets_a_short_list_of_what_is_needed():
    r = read("帮我写个销售方案")
    assert r.fields == {} and r.missing == ["revenue_target"]
    assert any("至少需要销售额目标" in n and "公司名称、区域、计划周期" in n for n in r.notes)


def test_teams_with_roles_and_mixtures():
    assert read("1个经理带6个销售").fields["team"] == [
        {"role": "销售经理", "count": 1, "quota_bearing": False}, {"role": "销售代表", "count": 6}]
    r = read("现在只有3个人")
    assert r.fields["team"] == [{"role": "销售代表", "count": 3}] and "需要扩编" in r.fields["notes"]


@pytest.mark.parametrize("text, field, value", [
    ("转化率5%", "win_rate", 0.05), ("赢单率三成", "win_rate", 0.3), ("赢单率两成半", "win_rate", 0.25),
    ("销售周期两个月", "sales_cycle_days", 60), ("销售周期90天", "sales_cycle_days", 90),
    ("销售周期一个季度", "sales_cycle_days", 90), ("销售周期半年", "sales_cycle_days", 180),
    ("上半年目标600万", "period", "2027年上半年"), ("下半年目标600万", "period", "2027年下半年"),
    ("H1目标600万", "period", "2027年上半年"), ("明年Q3", "period", "2027年第三季度"),
    ("三季度目标500万", "period", "2027年第三季度"), ("今年剩下的时间要做300万", "period", "2026年11月25日至2026年12月31日"),
])
def test_rates_durations_and_periods(text, field, value):
    assert read(text).fields[field] == value


def test_a_year_assumption_is_stated():
    assert any("没有说年份" in n and "2027年第三季度" in n for n in read("三季度目标500万").notes)
    assert any("到2026年底" in n for n in read("今年剩下的时间要做300万").notes)


def test_industry_comes_from_product_words_and_seasonality_and_notes_are_kept_verbatim():
    r = read("我们做瓷砖的，重点客户是万科和绿城，暑期旺季，7-9月约占全年35%")
    assert r.fields["industry"] == "建材"
    assert r.fields["seasonality"] == "暑期旺季，7-9月约占全年35%"
    assert "重点客户是万科和绿城" in r.fields["notes"]


# ---------------------------------------------------------------- bounds shared by every entry point (issue 15)


def test_text_keeps_minus_signs_and_refuses_them_by_field_name():
    r = read("目标-200万")
    assert "revenue_target" not in r.fields
    assert r.rejected == ["销售额目标必须大于0，收到 -200万"]


def test_text_does_not_ignore_a_win_rate_of_150_percent():
    r = read("明年目标1200万，赢单率150%")
    assert "win_rate" not in r.fields and r.rejected == ["赢单率必须在0.1%到100%之间，收到 150%"]


def test_growth_with_a_minus_sign_lowers_the_target():
    assert read("去年1000万，明年同比-10%").fields["revenue_target"] == 900


# ---------------------------------------------------------------- chat revisions


@pytest.fixture(scope="module")
def plan():
    request = build_request({"company": "华东润滑科技有限公司", "region": "江苏", "period": "2027年",
                             "revenue_target": 1200, "team": [{"role": "销售代表", "count": 8}],
                             "budget_total": 150, "avg_deal_size": 15})
    return draft_offline(request)


@pytest.fixture
def drafter():
    return OfflineDrafter()


def test_a_statement_of_productivity_changes_capacity_never_headcount(plan, drafter):
    revision = interpret("我们每人每月能签4家左右", plan, today=TODAY)
    assert revision.intents == ["productivity"] and not revision.confirm
    result = revise(plan, "我们每人每月能签4家左右", drafter=drafter)
    assert result.plan.request.headcount == 8 == plan.request.headcount
    assert result.plan.figures.capacity_per_rep_month == 60 != plan.figures.capacity_per_rep_month
    assert "人均月产能：" in result.message and "→ 60万" in result.message
    assert "销售人数：" not in result.message


@pytest.mark.parametrize("text", ["7-9月合计占全年35%，其他月份平均分",
                                  "1月12%，2月4%，3月6%，4月7%，5月8%，6月10%，7月11%，8月11%，9月9%，10月8%，11月7%，12月7%"])
def test_seasonality_said_in_words_or_twelve_percentages_is_a_seasonality_change(plan, text):
    revision = interpret(text, plan, today=TODAY)
    assert revision.intents == ["seasonality"] and revision.changes == {"seasonality": text}


def test_a_big_change_of_headcount_is_confirmed_first(plan):
    revision = interpret("团队扩到40人", plan, today=TODAY)
    assert revision.confirm and revision.question.startswith("要把团队从8人改成40人吗？")
    assert revision.changes == {"team": [{"role": "销售代表", "count": 40}]}


def test_updated_is_said_only_when_something_changed_with_before_and_after(plan, drafter):
    same = revise(plan, "目标就按1200万不变", drafter=drafter)
    assert "已更新" not in same.message and "方案未改动" in same.message
    moved = revise(plan, "目标改成1500万", drafter=drafter)
    assert "已更新的章节" in moved.message and "销售额目标：1,200万 → 1,500万" in moved.message
