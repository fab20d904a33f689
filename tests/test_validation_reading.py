"""Plans read the way a sales director reads them: headings in the author's own words, numbers in sentences.

The story of issue 14: a hand-written plan with eight sections under its own headings, a 12-row month table under a
heading no synonym list has, the budget in one sentence, three competitors with their traits on one line, PEST in
prose and KPIs in a sentence. It used to score 27.7 with seven false findings and both planted errors missed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.drafting.offline import draft_offline
from assistant.render import to_docx_bytes
from assistant.request import build_request
from assistant.validation import validate_file, validate_text
from assistant.validation.prose import (
    budget_in_sentence,
    competitor_lead,
    competitors_in_line,
    kpis_in_text,
    month_amounts,
    pest_in_prose,
    quarter_amounts,
    risks_in_text,
)
from assistant.validation.reader import build_doc, docx_events
from assistant.validation.report import build_report

PLANS = Path(__file__).parents[1] / "evals" / "calibration" / "plans"


@pytest.fixture(scope="module")
def issue_plan():
    return validate_file(PLANS / "h01_issue_kitchen_jiangsu.md")


def test_the_issue_plan_has_its_sections_found_under_the_authors_own_headings(issue_plan):
    reads = {(r.heading, tuple(r.sections), r.how) for r in issue_plan.heading_reads}
    assert ("市场情况分析", ("market_analysis",), "字符相近") in reads  # holds 市场分析 in order
    assert ("月度任务表", ("target_breakdown",), "按内容") in reads  # a 12-row month table is a breakdown
    assert ("跟踪与考核", ("tracking_review", "kpi_incentives"), "同义词") in reads  # one heading, two sections
    assert ("人员与行动安排", ("team", "action_plan"), "同义词") in reads
    assert ("跟踪与考核", ("risks",), "内容归入") in reads  # risks written in a sentence under 跟踪与考核
    assert issue_plan.unmapped_headings == []


def test_the_issue_plan_gets_both_planted_errors_named_with_both_numbers(issue_plan):
    assert issue_plan.item("BRK-05").reason == "分解合计不一致：12个月合计1,150万元，年度目标1,200万元，差50万元"
    assert "3个科目合计135万元，预算总额150万元，差15万元" in issue_plan.item("BUD-02").reason
    assert issue_plan.critical_failures and issue_plan.consistency < 1


def test_the_issue_plan_gets_none_of_the_false_findings_and_a_middle_score(issue_plan):
    passed = {f.id for f in issue_plan.items if f.status == "pass"}
    # there is a market section, 3 competitors, 4 PEST dimensions, 12 months, 3 budget lines and a total, 3 KPIs
    assert {"SEC-02", "MKT-01", "MKT-02", "MKT-03", "BRK-02", "BUD-01", "KPI-01", "RSK-01", "ACT-01"} <= passed
    assert "美厨、华菱、永兴厨具" in issue_plan.item("MKT-01").reason
    assert "政策、经济、社会、技术" in issue_plan.item("MKT-03").reason
    assert 45 <= issue_plan.score <= 70
    # what it really lacks is still said: no individual quotas, no funnel at all
    assert {"BRK-04", "FNL-01", "FNL-02"} <= {f.id for f in issue_plan.failed}


def test_a_good_prose_plan_is_read_without_false_findings():
    report = validate_file(PLANS / "h02_good_prose_tea_east.md")
    assert {f.id for f in report.failed} == {"SEC-03", "SWT-01"}  # it really has no SWOT
    assert "小罐茶、八马茶业、大益" in report.item("MKT-01").reason  # one competitor per sentence
    assert "2,880" not in report.item("BRK-06").reason and report.item("BRK-06").status == "pass"
    assert report.score >= 90


# ---------------------------------------------------------------- the sentences themselves


def test_budget_lines_and_total_in_one_sentence():
    b = budget_in_sentence("全年销售费用总预算150万元，其中展会与案例观摩会60万元、经销商返利45万元、客户招待与差旅30万元。")
    assert b is not None and b.total.amount == "150万元"
    assert [(x.label, x.amount) for x in b.lines] == [("展会与案例观摩会", "60万元"), ("经销商返利", "45万元"),
                                                      ("客户招待与差旅", "30万元")]
    ending = budget_in_sentence("设备运输补贴120万元、市场推广80万元、销售激励60万元，合计260万元。", in_budget=True)
    assert ending is not None and ending.total.amount == "260万元" and len(ending.lines) == 3
    assert budget_in_sentence("市场规模约42亿元，单价800元以上的礼盒难进国企，企业福利预算在收缩") is None


def test_months_and_quarters_in_a_sentence():
    months = month_amounts("1月190万元、2月200万元、3月110万元，4月起每月150万元")
    assert months[:3] == [(1, "190万元"), (2, "200万元"), (3, "110万元")]
    assert month_amounts("3月31日前完成签约，4月30日前交付") == []  # dates are not month targets
    assert quarter_amounts("三季度1,300万元，四季度1,900万元。") == [(3, "1,300万元"), (4, "1,900万元")]


def test_competitors_with_their_traits_on_one_line_or_one_per_sentence():
    found = competitors_in_line("主要对手有三家：美厨（价格低10%，售后网点少）、华菱（品牌响，交货期8周以上）、"
                                "本地的永兴厨具（非标便宜）。")
    assert [(c.name, c.traits[:4]) for c in found] == [("美厨", "价格低1"), ("华菱", "品牌响，"), ("永兴厨具", "非标便宜")]
    assert competitors_in_line("主要对手逐一列出优劣势与我方应对") == []
    assert competitor_lead("八马茶业门店数量多、会员体系成熟，可白茶不是它的主力品类").name == "八马茶业"
    assert competitor_lead("我们用同价位更高的年份替换它") is None


def test_pest_kpis_and_risks_in_prose():
    assert set(pest_in_prose("政策上，培训机构都要在教育部门备案；经济上，家长的教培支出在压缩；社会上，信息科技课进了小学课表；"
                             "技术上，图形化编程降低了入门门槛。")) == {
        "政策", "经济", "社会", "技术"}
    kpis = kpis_in_text("考核看三个指标：销售额达成率（实际签约额÷目标，按月考核，目标100%）、回款率（实际回款÷应收款，"
                        "按季考核，目标90%）和新客户数（当期首次签约客户数，按季考核，全年20家），均由区域经理杨帆负责汇总。")
    assert [k.name for k in kpis] == ["销售额达成率", "回款率", "新客户数"]
    assert all("杨帆" in k.text for k in kpis)  # the owner said once for all three
    risks = risks_in_text("补贴如果推迟，应对是提前锁定立项名单，由杨帆负责；华菱降价超过15%时，用三年维保对冲，由沈洁负责")
    assert len(risks) == 2 and all(r.trigger and r.response and r.owner for r in risks)


# ---------------------------------------------------------------- this tool's own exports


def test_an_exported_docx_does_not_list_its_citation_lines_as_open_questions():
    plan = draft_offline(build_request({"company": "星河科技", "region": "华南", "period": "2027年",
                                        "revenue_target": "800万"}))
    report = build_report(build_doc(docx_events(to_docx_bytes(plan)), source="plan.docx", kind="docx"))
    assert report.open_questions and not any(q.startswith("依据") or "[1]" in q for q in report.open_questions)
    assert report.item("GEN-05").status == "pass"  # the citations were read as citations


def test_a_plan_with_only_a_target_and_slogans_is_scored_low_not_refused():
    report = validate_file(PLANS / "h07_bad_short_petfood.md")
    assert report.score < 15


def test_pasted_text_with_an_unusual_heading_is_still_placed_by_content():
    text = ("# 2027年华北销售计划\n\n计划周期：2027年1月1日至2027年12月31日\n\n## 一、目标\n\n2027年销售额目标600万元。\n\n"
            "## 二、节奏怎么排\n\n| 月份 | 目标（万元） |\n|---|---|\n" + "".join(f"| {m}月 | 50 |\n" for m in range(1, 13)))
    report = validate_text(text)
    assert ("节奏怎么排", ("target_breakdown",), "按内容") in {(r.heading, tuple(r.sections), r.how)
                                                           for r in report.heading_reads}
    assert report.item("BRK-05").status == "pass" and "12个月合计600万元" in report.item("BRK-05").reason
