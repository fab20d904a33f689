"""Plans that contradict themselves are caught the way a careful reader catches them: an unknown asserted as a fact,
equal quarters called the heaviest, a lead campaign after the last usable date, training before the hires arrive,
owners the team does not have, doubled words. Each rule is shown failing on a plan that has the flaw and passing on
the same plan without it."""

from __future__ import annotations

import pytest

from assistant.validation import load_checklist, validate_plan
from assistant.validation.reader import parse_text
from assistant.validation.registry import CHECKS

TEAM = """
## 团队与分工

| 岗位 | 人数 | 职责 |
| --- | --- | --- |
| 区域销售经理 | 1 | 目标分解与辅导 |
| 销售代表 | 6 | 客户开发 |
"""

QUARTERS = """
## 目标分解

| 期间 | 目标金额（万元） | 占比 |
| --- | --- | --- |
| 2027年Q1 | {q1} | 25% |
| 2027年Q2 | 300 | 25% |
| 2027年Q3 | 300 | 25% |
| 2027年Q4 | {q4} | 25% |
"""

ACTIONS = """
## 漏斗与产能测算

| 项目 | 取值 | 依据 |
| --- | --- | --- |
| 商机最晚进入日期 | 2027-11-01 | 期末−销售周期 |

## 行动计划

| 任务内容 | 负责人 | 时间节点 | 交付成果 |
| --- | --- | --- | --- |
{rows}
"""


def run(check: str, markdown: str):
    item = next(i for i in load_checklist().items if i.check == check)
    head = "# 某公司2027年销售工作方案\n\n## 销售目标\n\n2027年销售额目标1,200万元。\n"
    return CHECKS[check](parse_text(head + markdown), item)


def test_a_team_size_asserted_while_the_plan_asks_for_it_is_an_assumption_stated_as_fact():
    plan = """
## SWOT分析

**优势(S)**

- {strength}

## 附：假设与待确认事项

**待确认**

- 待确认：现有销售团队人数、岗位与新人到岗计划
"""
    bad = run("assumption_not_fact", plan.format(strength="已有13人的销售团队，并按产能分配了个人指标"))
    assert bad.status == "fail" and "团队人数" in bad.reason and "13人" in bad.reason
    hedged = run("assumption_not_fact", plan.format(strength="团队人数未提供，暂按13人估算"))
    assert hedged.status == "pass"


def test_equal_quarters_are_not_the_heaviest_and_a_named_peak_must_be_the_largest():
    claim = "\n业绩最重的季度为2027年Q1（300万元）\n"
    equal = run("no_false_peak", QUARTERS.format(q1=300, q4=300) + claim)
    assert equal.status == "fail" and "基本相同" in equal.reason
    wrong = run("no_false_peak", QUARTERS.format(q1=250, q4=350) + claim)
    assert wrong.status == "fail" and "Q4" in wrong.reason
    right = run("no_false_peak", QUARTERS.format(q1=350, q4=250) + claim)
    assert right.status == "pass"


def test_a_lead_campaign_after_the_last_usable_date_cannot_bring_revenue_this_period():
    late = "| 启动线上获客活动 | 区域销售经理 | 2027-11-20 | 线索清单 |"
    assert run("actions_in_order", ACTIONS.format(rows=late)).status == "fail"
    marked = "| 启动线上获客活动（成果计入下一期） | 区域销售经理 | 2027-11-20 | 线索清单 |"
    assert run("actions_in_order", ACTIONS.format(rows=marked)).status == "pass"
    early = "| 启动线上获客活动 | 区域销售经理 | 2027-03-01 | 线索清单 |"
    assert run("actions_in_order", ACTIONS.format(rows=early)).status == "pass"


def test_training_new_hires_before_they_are_recruited_is_out_of_order():
    rows = ("| 新人上岗培训与带教 | 区域销售经理 | 2027-02-01 | 带教计划 |\n"
            "| 完成2名新销售代表招聘到岗 | 区域销售经理 | 2027-03-01 | 到岗名单 |")
    result = run("actions_in_order", ACTIONS.format(rows=rows))
    assert result.status == "fail" and "前提" in result.reason
    fixed = rows.replace("2027-02-01", "2027-03-08")
    assert run("actions_in_order", ACTIONS.format(rows=fixed)).status == "pass"


def test_action_owners_must_be_roles_of_the_team_table():
    row = "| 产品与方案培训 | {owner} | 2027-02-05 | 培训记录 |"
    bad = run("owners_in_team", TEAM + ACTIONS.format(rows=row.format(owner="培训专员")))
    assert bad.status == "fail" and "培训专员" in bad.reason
    good = run("owners_in_team", TEAM + ACTIONS.format(rows=row.format(owner="区域销售经理")))
    assert good.status == "pass"
    # other departments are not the sales team's roles, but they are real owners
    dept = run("owners_in_team", TEAM + ACTIONS.format(rows=row.format(owner="区域销售经理、人力资源部")))
    assert dept.status == "pass"


@pytest.mark.parametrize("text, doubled", [("本方案覆盖华南市场，主营主营产品与服务。", True),
                                           ("请在周会上讨论讨论进展。", False),
                                           ("本方案覆盖华南市场，主营工业润滑油。", False)])
def test_doubled_words_left_by_template_filling_are_found(text, doubled):
    result = run("no_doubled_words", f"\n## 市场与竞争分析\n\n{text}\n")
    assert (result.status == "fail") is doubled


def test_the_offline_drafts_pass_every_coherence_rule(tmp_path):
    from assistant.config import EXAMPLE_REQUEST
    from assistant.drafting.offline import draft_offline
    from assistant.request import build_request, load_request

    for request in (load_request(EXAMPLE_REQUEST),
                    build_request({"company": "星河科技", "region": "华南", "period": "2027年Q2", "revenue_target": 800})):
        report = validate_plan(draft_offline(request))
        for item_id in ("COH-01", "COH-02", "COH-03", "COH-04", "COH-05"):
            assert report.item(item_id).status in ("pass", "na"), (item_id, report.item(item_id).reason)
