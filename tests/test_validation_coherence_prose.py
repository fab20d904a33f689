"""A hand-written plan contradicts itself in its own words, and the validator reads it the way a sales director does:
「三季度」 is Q3, a team written as a sentence is a team, the sales cycle stated in the funnel gives the last usable
date, and two actions sharing 「新价格体系」 depend on each other. Each story shows the finding on the flawed plan (with
both sides quoted) and no finding once the author fixes it."""

from __future__ import annotations

import pytest

from assistant.validation import load_checklist, validate_file
from assistant.validation.coherence import period_of
from assistant.validation.reader import parse_text
from assistant.validation.registry import CHECKS

HEAD = """# 徽工设备租赁2027年安徽市场销售计划

计划周期：2027年1月1日—2027年12月31日　单位：万元

## 一、总述

2027年安徽市场租赁收入目标4,000万元。{summary}
"""

TEAM = """
## 五、团队

销售经理周鹏；销售：王浩（合肥）、许丽（合肥）、江涛（芜湖）、程亮（滁州）、方芳（蚌埠）；调度主管孙强。
"""

QUARTERS = """
## 三、目标分解

| 季度 | 目标（万元） |
|---|---|
| 一季度 | 800 |
| 二季度 | {q2} |
| 三季度 | {q3} |
| 四季度 | {q4} |

{claim}
"""

ACTIONS = """
## 六、行动计划

| 工作事项 | 责任人 | 完成时间 | 成果 |
|---|---|---|---|
{rows}
"""


def run(check: str, markdown: str):
    item = next(i for i in load_checklist().items if i.check == check)
    return CHECKS[check](parse_text(markdown), item)


def test_a_headcount_stated_as_done_while_the_team_lists_fewer_and_the_plan_asks_is_caught():
    asks = "\n## 待确认\n\n- 待确认：销售团队人数（目前在岗5人，另外3人的招聘尚未启动）\n"
    bad = run("assumption_not_fact", HEAD.format(summary="8名销售已全部到岗，人均承担500万元。") + TEAM + asks)
    assert bad.status == "fail"
    assert "8名销售已全部到岗" in bad.reason and "在岗5人" in bad.reason and "只列了5人" in bad.reason
    # no open question: the team section alone contradicts the summary
    alone = run("assumption_not_fact", HEAD.format(summary="8名销售已全部到岗。") + TEAM)
    assert alone.status == "fail" and "8名销售已全部到岗" in alone.reason and "只列了5人" in alone.reason
    fixed = run("assumption_not_fact", HEAD.format(summary="5名销售已全部到岗。") + TEAM)
    assert fixed.status == "pass", fixed.reason


def test_a_quarter_named_heaviest_while_another_carries_the_same_amount_is_caught():
    claim = "三季度是全年任务最重的季度，厂房安装集中在7到9月。"
    tie = run("no_false_peak", HEAD.format(summary="") + QUARTERS.format(q2="1,100", q3="1,100", q4="1,000",
                                                                         claim=claim))
    assert tie.status == "fail"
    assert "三季度是全年任务最重的季度" in tie.reason and "二季度1,100万元" in tie.reason and "三季度1,100万元" in tie.reason
    heavier = run("no_false_peak", HEAD.format(summary="") + QUARTERS.format(q2="1,000", q3="1,200", q4="1,000",
                                                                             claim=claim))
    assert heavier.status == "pass", heavier.reason


@pytest.mark.parametrize("claim", ["第三季度任务最重。", "7到9月是全年业绩最高的季度。", "最重的季度是Q3。"])
def test_the_heaviest_period_is_read_in_any_of_the_ways_people_write_a_quarter(claim):
    wrong = run("no_false_peak", HEAD.format(summary="") + QUARTERS.format(q2="1,300", q3="1,100", q4="800",
                                                                           claim=claim))
    assert wrong.status == "fail" and "最大的是二季度（1,300万元）" in wrong.reason and "三季度是1,100万元" in wrong.reason
    right = run("no_false_peak", HEAD.format(summary="") + QUARTERS.format(q2="1,100", q3="1,300", q4="800",
                                                                           claim=claim))
    assert right.status == "pass", right.reason


def test_two_months_called_the_most_important_are_not_a_claim_about_one_peak():
    months = "\n## 目标分解\n\n| 月份 | 目标（万元） |\n|---|---|\n| 7月 | 180 |\n| 8月 | 150 |\n| 9月 | 100 |\n\n"
    result = run("no_false_peak", HEAD.format(summary="") + months + "7、8月暑期集训班是全年最重要的两个月。\n")
    assert result.status == "pass", result.reason


def test_a_new_opportunity_push_after_the_stated_sales_cycle_allows_cannot_close_this_year():
    funnel = "\n## 四、测算\n\n平均每单租赁合同20万元，赢单率40%。租赁销售周期约90天。\n"
    late = "| 大客户新商机开发专项，年内签约起租 | 江涛 | 2027-11-15 | 新签合同 |"
    bad = run("actions_in_order", HEAD.format(summary="") + funnel + ACTIONS.format(rows=late))
    assert bad.status == "fail"
    assert "2027-11-15" in bad.reason and "2027-10-02" in bad.reason and "销售周期90天" in bad.reason
    early = late.replace("2027-11-15", "2027-09-15")
    assert run("actions_in_order", HEAD.format(summary="") + funnel + ACTIONS.format(rows=early)).status == "pass"


def test_the_stated_last_entry_date_without_a_year_is_read_in_the_plan_period():
    funnel = "\n## 四、测算\n\n商机最晚10月2日前进入，年内才能签约并起租。\n"
    late = "| 新商机开发专项 | 江涛 | 11月15日 | 新签合同 |"
    bad = run("actions_in_order", HEAD.format(summary="") + funnel + ACTIONS.format(rows=late))
    assert bad.status == "fail" and "2027-11-15" in bad.reason and "2027-10-02" in bad.reason


def test_an_action_using_what_a_later_action_produces_is_out_of_order():
    rows = ("| 发布2027年新价格体系 | 周鹏 | 2027-03-31 | 价格表 |\n"
            "| 按新价格体系与重点客户签年度框架 | 王浩 | 2027-02-28 | 框架协议5份 |")
    bad = run("actions_in_order", HEAD.format(summary="") + ACTIONS.format(rows=rows))
    assert bad.status == "fail"
    assert "按新价格体系与重点客户签年度框架" in bad.reason and "2027-02-28" in bad.reason
    assert "发布2027年新价格体系" in bad.reason and "2027-03-31" in bad.reason and "新价格体系" in bad.reason
    fixed = rows.replace("2027-02-28", "2027-04-30")
    assert run("actions_in_order", HEAD.format(summary="") + ACTIONS.format(rows=fixed)).status == "pass"


def test_an_owner_the_prose_team_does_not_name_is_caught_and_one_named_elsewhere_is_not():
    rows = "| 芜湖光伏项目设备进场 | {owner} | 2027-06-30 | 进场设备清单 |"
    bad = run("owners_in_team", HEAD.format(summary="") + TEAM + ACTIONS.format(rows=rows.format(owner="刘洋")))
    assert bad.status == "fail" and "刘洋" in bad.reason and "王浩" in bad.reason
    assert run("owners_in_team", HEAD.format(summary="") + TEAM
               + ACTIONS.format(rows=rows.format(owner="江涛"))).status == "pass"
    quota = "\n## 个人指标\n\n| 销售 | 指标（万元） |\n|---|---|\n| 刘洋 | 600 |\n"
    assert run("owners_in_team", HEAD.format(summary="") + TEAM + quota
               + ACTIONS.format(rows=rows.format(owner="刘洋"))).status == "pass"


@pytest.mark.parametrize("text, read", [("三季度", ("季度", 3)), ("第三季度", ("季度", 3)), ("Q3", ("季度", 3)),
                                        ("7到9月", ("季度", 3)), ("7月", ("月", 7)), ("5到8月", None)])
def test_period_words_are_read_as_the_same_quarter(text, read):
    assert period_of(text) == read


def test_the_calibration_plan_with_five_planted_contradictions_gets_all_five():
    from pathlib import Path

    plan = Path(__file__).resolve().parents[1] / "evals/calibration/plans/h11_contradictions_rental_anhui.md"
    failed = {f.id: f.reason for f in validate_file(plan).failed}
    assert "8名销售已全部到岗" in failed["COH-01"]
    assert "最重" in failed["COH-02"]
    assert "2027-11-15" in failed["COH-03"] and "价格体系" in failed["COH-03"]
    assert "刘洋" in failed["COH-04"]
