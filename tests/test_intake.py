"""Free-text intake: what a sales manager types in the chat becomes request fields, without invented values."""

from __future__ import annotations

import time
from datetime import date

import pytest

from assistant.intake.rule_reader import IntakeResult, extract_fields, merge_fields, next_questions
from assistant.request import build_request

TODAY = date(2026, 11, 23)


def read(text: str, previous: dict | None = None, unknown: list[str] | None = None) -> IntakeResult:
    return extract_fields(text, previous, today=TODAY, unknown=unknown)


def test_the_first_message_of_a_lubricant_manager():
    r = read("我们是做工业润滑油的，明年江苏要做到1200万，6个销售，预算150万")
    assert r.fields == {
        "product": "工业润滑油", "industry": "工业品", "period": "2027年全年", "region": "江苏", "revenue_target": 1200,
        "team": [{"role": "销售代表", "count": 6}], "budget_total": 150,
    }
    assert r.missing == [], "only the target is indispensable: the company gets a stand-in"
    assert next_questions(r.fields) == ["请问公司名称是什么？", "主要竞争对手有哪些（最好3家以上）？"]


@pytest.mark.parametrize("text, field, value", [
    ("明年目标一千二百万", "revenue_target", 1200),
    ("今年的销售目标是1,200万元", "revenue_target", 1200),
    ("集团给我们的任务是1.2亿", "revenue_target", 12000),
    ("去年做了900万", "baseline_revenue", 900),
    ("赢单率30%", "win_rate", 0.3),
    ("老客户复购率六成", "repurchase_rate", 0.6),
    ("客单价20万", "avg_deal_size", 20),
    ("销售周期45天", "sales_cycle_days", 45),
    ("成交周期大概2个月", "sales_cycle_days", 60),
    ("明年计划新开发50家客户", "new_customers", 50),
    ("竞争对手有壳牌、美孚和长城", "competitors", ["壳牌", "美孚", "长城"]),
    ("渠道：经销商+直销", "channels", ["经销商", "直销"]),
    ("主要通过经销商和电商渠道销售", "channels", ["经销商", "电商"]),
    ("2027年Q2冲一下", "period", "2027年第二季度"),
    ("计划周期是2027年3月到8月", "period", "2027年3月1日至2027年8月31日"),
    ("我们公司叫华东润滑科技有限公司", "company", "华东润滑科技有限公司"),
    ("我们属于化工行业", "industry", "化工"),
    ("苏南片区的方案", "region", "苏南"),
    ("明年Q1到Q2", "period", "2027年1月1日至2027年6月30日"),
    ("我们卖的是工业机器人", "product", "工业机器人"),
    ("赢单率两成半", "win_rate", 0.25),
    ("主要竞争对手是壳牌，其次是美孚和嘉实多", "competitors", ["壳牌", "美孚", "嘉实多"]),
    ("广州分公司明年目标800万", "region", "广州"),
    ("公司：苏州精工机械有限公司；区域：苏南；周期：2027年；目标：5000万", "company", "苏州精工机械有限公司"),
])


def test_one_fact_per_sentence(text, field, value):
    assert read(text).fields[field] == value


def test_approximate_figures_are_used_with_a_note():
    r = read("我们华东区今年做了3000多万，客单价在10-20万之间")
    assert (r.fields["baseline_revenue"], r.fields["avg_deal_size"]) == (3000, 15)
    assert "「3000多万」按3000万计（实际略高）" in r.notes
    assert "平均客单价说的是区间「10-20万」，按中值15万计" in r.notes


def test_a_branch_is_a_region_not_the_company():
    r = read("广州分公司明年目标800万，5个业务员")
    assert "company" not in r.fields and r.fields["region"] == "广州"


def test_target_and_collection_in_one_breath_are_kept_apart():
    r = read("目标1200万，回款1000万")
    assert (r.fields["revenue_target"], r.fields["collection_target"]) == (1200, 1000)


def test_a_year_without_a_half_is_the_coming_one_and_says_so():
    r = read("上半年目标600万")
    assert r.fields["period"] == "2027年上半年"
    assert any("没有说年份" in n and "2027年上半年" in n for n in r.notes)


def test_the_later_statement_wins_and_a_note_says_so():
    r = read("明年目标1200万。后来老板又加码，要1500万的目标")
    assert r.fields["revenue_target"] == 1500
    assert "后一句的销售额目标（1500万）覆盖了前面的 1200万" in r.notes


@pytest.mark.parametrize("text", ["目标1200万，不对，调整为1500万", "目标不是1200万，是1500万"])
def test_corrections_replace_the_earlier_figure(text):
    assert read(text).fields["revenue_target"] == 1500


def test_a_half_year_figure_inside_the_annual_plan_is_not_the_target():
    r = read("明年全年1200万，其中上半年500万")
    assert r.fields["revenue_target"] == 1200
    assert r.fields["period"] == "2027年全年"
    assert r.fields["seasonality"] == "上半年500万", "a split over the year is seasonality, kept verbatim"


def test_last_years_sales_are_history_not_the_plan_period():
    r = read("2025年做了900万，明年要做到1200万")
    assert r.fields["baseline_revenue"] == 900
    assert r.fields["period"] == "2027年全年"
    assert r.fields["revenue_target"] == 1200


def test_a_future_period_in_a_sentence_about_last_year_is_still_the_plan():
    r = read("明年目标在去年900万的基础上做到1200万")
    assert (r.fields["period"], r.fields["baseline_revenue"], r.fields["revenue_target"]) == ("2027年全年", 900, 1200)


def test_growth_on_last_year_gives_the_target_with_a_note():
    r = read("去年销售额1000万，明年增长20%")
    assert r.fields["revenue_target"] == 1200
    assert any("增长20%" in n for n in r.notes)


def test_team_with_new_hires():
    assert read("团队8人，其中2个新人").fields["team"] == [{"role": "销售代表", "count": 8, "new_hires": 2}]
    r = read("现有6个销售，明年新招2人")
    assert r.fields["team"] == [{"role": "销售代表", "count": 8, "new_hires": 2}]
    assert any("6人加新招2人" in n for n in r.notes)


def test_nothing_is_invented_from_an_unlabelled_number():
    r = read("1200万")
    assert "revenue_target" not in r.fields
    assert any("1200万" in n and "未采用" in n for n in r.notes)
    assert r.missing == ["revenue_target"]


def test_a_bare_number_after_a_key_is_taken_in_the_default_unit_with_a_note():
    r = read("预算150")
    assert r.fields["budget_total"] == 150
    assert any("按万元理解" in n for n in r.notes)


def test_a_chat_accumulates_and_changes_are_noted():
    first = read("我们是华东润滑科技有限公司，明年江苏要做到1200万")
    assert first.missing == []
    second = read("竞争对手有壳牌、美孚", first.fields)
    third = read("还有长城也是对手，目标改成1500万", second.fields)
    assert third.fields["company"] == "华东润滑科技有限公司"
    assert third.fields["competitors"] == ["壳牌", "美孚", "长城"]
    assert third.fields["revenue_target"] == 1500
    assert any("替换了之前的 1200万" in n for n in third.notes)
    assert next_questions(third.fields, k=1) == ["现在有几名销售？计划期内是否新招人、几月到岗？"]


def test_merge_fields_reports_what_changed():
    merged, notes = merge_fields({"region": "江苏", "win_rate": 0.25}, {"win_rate": 0.3})
    assert merged == {"region": "江苏", "win_rate": 0.3}
    assert notes == ["新说的赢单率（30%）替换了之前的 25%"]


def test_questions_ask_required_facts_first_one_or_two_at_a_time():
    assert next_questions({}) == ["这个周期的销售额目标是多少（如1200万）？", "请问公司名称是什么？"]
    full = {"company": "甲", "region": "江苏", "period": "2027年全年", "revenue_target": 1200,
            "team": [{"role": "销售代表", "count": 6}], "budget_total": 150, "competitors": ["壳牌"]}
    assert next_questions(full) == ["平均客单价和历史赢单率大概是多少？", "主营什么产品或服务，属于哪个行业？"]
    assert next_questions({**full, "win_rate": 0.3}, k=1) == ["主营什么产品或服务，属于哪个行业？"]


def test_the_fields_build_a_valid_request():
    text = ("我们是华东润滑科技有限公司，做工业润滑油的。明年江苏要做到1200万，去年做了900万，6个销售，预算150万，"
            "客单价20万，赢单率30%，销售周期45天，竞争对手有壳牌、美孚和长城，渠道：经销商+直销")
    r = read(text)
    assert r.missing == [] and r.notes == ["行业按「工业润滑油」推断为工业品，如不对请告诉我或在表单里改"]
    request = build_request(r.fields)
    assert (request.revenue_target, request.baseline_revenue, request.headcount) == (1200, 900, 6)
    assert request.period.label == "2027年全年"
    assert request.competitors == ["壳牌", "美孚", "长城"]


@pytest.mark.parametrize("text", ["", "   \n", None])
def test_empty_input_is_answered_gracefully(text):
    r = extract_fields(text, {"region": "江苏"})
    assert r.fields == {"region": "江苏"}
    assert r.notes and "没有收到内容" in r.notes[0]


def test_a_megabyte_of_text_is_cut_and_said_so():
    text = "明年江苏要做到1200万。" + "我们的客户很多，" * 150_000  # ~1.2 MB
    started = time.perf_counter()
    r = extract_fields(text, today=TODAY)
    elapsed = time.perf_counter() - started
    assert r.fields["revenue_target"] == 1200
    assert any("只读取了前" in n for n in r.notes)
    print(f"1 MB intake: {elapsed:.3f}s")  # a figure, not an assertion


def test_the_module_stays_cheap_to_import():
    import subprocess
    import sys

    heavy = ("pandas", "langchain_core", "chromadb", "gradio")
    code = f"import sys, assistant.intake.rule_reader; print(any(m in sys.modules for m in {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_a_water_purifier_chat_turn_by_turn():
    turns = ["你好，我想做一份明年的销售方案", "我们是一家做净水器的公司，主要在广东卖", "团队有15个人，包括3个销售经理",
             "公司叫粤清环保科技有限公司", "目标是3000万，去年大概2400万", "竞争对手主要是美的、沁园、安吉尔这几家"]
    fields: dict = {}
    asked = []
    for turn in turns:
        result = read(turn, fields)
        fields = result.fields
        asked.append(next_questions(fields, k=1))
    assert fields == {
        "period": "2027年全年", "product": "净水器", "region": "广东", "company": "粤清环保科技有限公司",
        "team": [{"role": "销售代表", "count": 12}, {"role": "销售经理", "count": 3}],
        "revenue_target": 3000, "baseline_revenue": 2400, "competitors": ["美的", "沁园", "安吉尔"],
    }
    assert asked[0] == ["这个周期的销售额目标是多少（如1200万）？"] and asked[3] == asked[0]
    assert asked[-1] == ["销售费用预算大约多少？"]
    assert build_request(fields).headcount == 15


@pytest.mark.parametrize("text", ["一" * 20_000, "5%" * 9_000, "1" * 20_000, "目标1万" * 4_000, "走" * 20_000,
                                  "好，" * 10_000, "竞争对手有" + "壳牌、" * 6_000])
def test_long_runs_that_could_make_patterns_backtrack_are_read_in_one_pass(text):
    started = time.perf_counter()
    result = extract_fields(text, today=TODAY)
    print(f"{text[:6]}… ({len(text)} chars): {time.perf_counter() - started:.3f}s")
    assert isinstance(result, IntakeResult)


# ---------------------------------------------------------------- reported by the UI engineer

SO_FAR = {"company": "华东润滑科技有限公司", "region": "江苏", "period": "2027年全年", "revenue_target": 1200,
          "competitors": ["壳牌", "美孚"], "team": [{"role": "销售代表", "count": 6}]}


@pytest.mark.parametrize("text, field, value", [
    ("公司名称改为华东化工", "company", "华东化工"),
    ("公司名称改成华东化工有限公司", "company", "华东化工有限公司"),
    ("公司改名为华东化工", "company", "华东化工"),
    ("公司叫华东化工", "company", "华东化工"),
    ("区域改成浙江", "region", "浙江"),
    ("区域改成西部大区", "region", "西部"),
])
def test_a_manager_correcting_a_name_gets_the_name_not_the_verb(text, field, value):
    r = read(text, SO_FAR)
    assert r.fields[field] == value
    assert any(f"替换了之前的 {SO_FAR[field]}" in n for n in r.notes)


@pytest.mark.parametrize("text", ["竞争对手部分写详细些", "渠道部分再具体一点", "销售策略部分再具体一点，突出华东市场",
                                  "市场分析里加上竞品的价格对比"])
def test_asking_for_better_wording_changes_no_names_or_lists(text):
    r = read(text, {**SO_FAR, "channels": ["直销"]})
    assert r.fields == {**SO_FAR, "channels": ["直销"]}


def test_raising_the_collection_rate_in_the_kpis_sets_the_collection_target_not_the_revenue_target():
    r = read("把KPI里的回款率目标提高到95%", {**SO_FAR, "baseline_revenue": 1000})
    assert r.fields["revenue_target"] == 1200
    assert r.fields["collection_target"] == 1140
    assert "回款目标按销售额目标×回款率95%算得1140万" in r.notes


def test_a_collection_rate_without_a_target_is_not_used_and_says_why():
    r = read("把KPI里的回款率目标提高到95%", {"region": "江苏"})
    assert r.fields == {"region": "江苏"}
    assert any("回款率95%需要先知道销售额目标" in n for n in r.notes)


@pytest.mark.parametrize("text", ["目标提高到95%", "目标是95%"])
def test_a_percentage_is_never_read_as_a_revenue_amount(text):
    assert read(text, SO_FAR).fields["revenue_target"] == 1200


@pytest.mark.parametrize("text", ["销售增加到8人", "销售团队扩到8个人"])
def test_growing_the_team_to_a_size_replaces_the_headcount_with_a_note(text):
    r = read(text, SO_FAR)
    assert r.fields["team"] == [{"role": "销售代表", "count": 8}]
    assert "新说的团队（销售代表8人）替换了之前的 销售代表6人" in r.notes


@pytest.mark.parametrize("text", ["竞争对手加上嘉实多", "再加一个竞争对手嘉实多", "竞争对手增加嘉实多"])
def test_adding_a_competitor_keeps_the_ones_already_named(text):
    assert read(text, SO_FAR).fields["competitors"] == ["壳牌", "美孚", "嘉实多"]


def test_naming_the_competitors_again_replaces_the_list():
    r = read("竞争对手是A、B", SO_FAR)
    assert r.fields["competitors"] == ["A", "B"]
    assert any("替换了之前的 壳牌、美孚" in n for n in r.notes)


def test_what_the_manager_does_not_know_yet_is_not_asked_again_and_stays_an_open_question():
    from assistant.planning.engine import compute_figures

    start = {k: v for k, v in SO_FAR.items() if k != "competitors"}
    first = read("预算还没定", start)
    assert first.unknown == ["budget_total"] and "budget_total" not in first.fields
    assert any("预算总额暂未确定" in n for n in first.notes)
    second = read("竞争对手不清楚", first.fields, unknown=first.unknown)
    assert second.unknown == ["budget_total", "competitors"] and "competitors" not in second.fields
    asked = next_questions(second.fields, k=2, unknown=second.unknown)
    assert asked == ["平均客单价和历史赢单率大概是多少？", "主营什么产品或服务，属于哪个行业？"]
    assert "销售费用预算总额" in compute_figures(build_request(second.fields)).open_questions
    later = read("预算150万", second.fields, unknown=second.unknown)
    assert later.fields["budget_total"] == 150 and later.unknown == ["competitors"]


def test_saying_a_known_fact_is_unknown_keeps_the_recorded_value_and_says_so():
    r = read("竞争对手不清楚", SO_FAR)
    assert r.fields["competitors"] == ["壳牌", "美孚"] and r.unknown == []
    assert any("仍按此起草" in n for n in r.notes)


def test_amounts_in_chinese_numerals_go_through_the_one_amount_parser():
    from assistant.intake.rule_reader import amount_of
    from assistant.quantities import parse_amount

    assert amount_of is parse_amount
    assert read("明年目标一亿二千万").fields["revenue_target"] == 12000
