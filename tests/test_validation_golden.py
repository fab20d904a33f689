"""Golden plans under tests/golden/ and the exact findings a sales manager should get for each.

complete_plan.json, missing_sections.json and inconsistent_numbers.json are built by tests/golden/build_golden.py;
handwritten_plan.md is a plan written by hand in a different heading style (一、二、… without Markdown headings).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.render import to_docx_bytes, to_markdown
from assistant.validation import Report, validate_file, validate_plan, validate_text
from assistant.validation.reader import build_doc, docx_events, plan_from_json
from assistant.validation.report import build_report

GOLDEN = Path(__file__).parent / "golden"


def failed(report: Report) -> set[str]:
    return {f.id for f in report.failed}


def not_applicable(report: Report) -> set[str]:
    return {f.id for f in report.items if f.status == "na"}


SUBSTANCE = {"SUB-01", "SUB-02", "SUB-03"}  # how much of the plan is its own (see above)


def load_plan(name: str):
    return plan_from_json((GOLDEN / name).read_text(encoding="utf-8"), name)


def test_a_complete_plan_passes_every_completeness_item_and_is_judged_on_substance_too():
    """The playbook drafter's plan with the company facts filled in by hand: every part is there and every sum is
    right; two sections (channels, actions) still read as any business's text, and the score says so."""
    report = validate_file(GOLDEN / "complete_plan.json")
    assert report.completeness == 100 and report.severity_summary["critical"] == 0
    assert failed(report) == {"SUB-02"}
    assert "「渠道规划」、「行动计划」" in report.item("SUB-02").reason
    assert report.item("SUB-01").status == "pass" and report.item("SUB-03").status == "pass"
    assert 75 <= report.score < 90


def test_a_plan_missing_sections_is_told_which_ones():
    report = validate_file(GOLDEN / "missing_sections.json")
    assert failed(report) - SUBSTANCE == {"SEC-03", "SEC-12", "SEC-15", "SWT-01", "BUD-01", "RSK-01", "RSK-02"}
    # without SWOT and risks, the request's competitors appear nowhere they are answered
    assert "竞争对手「壳牌」" in report.item("SUB-03").reason
    assert not_applicable(report) == {"BUD-02"}  # no budget to add up
    assert "未找到该章节" in report.item("SEC-12").reason
    assert "费用预算" in report.item("SEC-12").reason  # tells which headings would be recognised
    assert report.failing_by_section().keys() >= {"swot", "budget", "risks"}
    assert report.severity_summary["critical"] == 4  # budget and risk sections, budget lines, risk rows


def test_a_plan_with_inconsistent_numbers_gets_each_inconsistency_with_the_numbers():
    report = validate_file(GOLDEN / "inconsistent_numbers.json")
    assert failed(report) - SUBSTANCE == {"TGT-05", "BRK-05", "BRK-06", "BRK-07", "FNL-05", "FNL-06", "FNL-07",
                                          "FNL-08", "ACT-02", "BUD-02"}
    reasons = {f.id: f.reason for f in report.failed}
    assert "12个月合计1,250万元，年度目标1,200万元，差50万元" in reasons["BRK-05"]
    assert report.consistency == 0.6  # ten contradictions: the score keeps 60% at most
    assert "指标合计600万元" in reasons["BRK-06"] and "低于总目标" in reasons["BRK-06"]
    assert "渠道金额合计1,300万元" in reasons["BRK-07"]
    assert "成交数120" in reasons["FNL-05"] and "80.0" in reasons["FNL-05"]
    assert "线索1526 < 合格线索2000" in reasons["FNL-06"]
    assert "135%" in reasons["FNL-07"]
    assert "2倍低于" in reasons["FNL-08"] and "3.33倍" in reasons["FNL-08"]
    assert "2028-01-15" in reasons["ACT-02"]
    assert "6个科目合计170万元，预算总额150万元，差20万元" in reasons["BUD-02"]
    assert "=25%" in reasons["TGT-05"] and "文中写30%" in reasons["TGT-05"]
    # the presence items still pass: the content is there, only the numbers disagree
    assert report.item("BRK-02").status == "pass" and report.item("FNL-02").status == "pass"


HANDWRITTEN_FINDINGS = {
    "SEC-03", "SEC-07", "SEC-16", "SWT-01", "CUS-01", "EVL-01",  # no SWOT, customer persona or evaluation section
    "GEN-03",  # 负责人：待定
    "GEN-04",  # no assumptions stated
    "BRK-02",  # quarters only, no months
    "BRK-04",  # one region without an owner
    "FNL-01", "FNL-02", "FNL-03", "FNL-04",  # no stage rates, no lead count, one weekly activity, no coverage
    "MKT-02",  # 信捷 has no strengths/weaknesses
    "ACT-01", "ACT-02",  # no deliverables, one owner missing, a deadline in 2028
    "BUD-02",  # 60 + 40 + 30 ≠ 140
    "KPI-01",  # one KPI without an owner
    "TRK-02",  # one warning threshold
    "RSK-01", "RSK-02",  # two risks, two classes
}


def test_a_hand_written_markdown_plan_is_read_and_graded_with_sensible_findings():
    report = validate_file(GOLDEN / "handwritten_plan.md")
    assert report.title == "2027年度华南区销售工作计划"
    assert report.unmapped_headings == []
    assert failed(report) == HANDWRITTEN_FINDINGS
    # complete enough (63), mostly its own words, but two sums that do not add up: a reader gives it about 50
    assert 40 <= report.score <= 60 and report.consistency < 1
    assert {r.heading: r.sections for r in report.heading_reads}["任务分解"] == ["target_breakdown"]
    r = {f.id: f for f in report.items}
    # headings in its own words were mapped to the canonical sections
    assert "「任务分解」" in r["SEC-05"].reason and "「销售测算」" in r["SEC-06"].reason
    assert "「过程管理」" in r["SEC-14"].reason and "「工作计划」" in r["SEC-11"].reason
    # what it does state is read correctly, numbers included
    assert "2027-01-01 至 2027-12-31" in r["GEN-01"].reason
    assert "1,800万元÷1,500万元−1=20%" in r["TGT-05"].reason and r["TGT-05"].status == "pass"
    assert r["BRK-05"].status == "pass" and "4个季度合计1,800万元，年度目标1,800万元，一致" in r["BRK-05"].reason
    assert r["FNL-05"].status == "pass" and "商机120≈30÷25%" in r["FNL-05"].reason
    assert "汇川、台达、信捷" in r["MKT-01"].reason
    # and what is wrong is quoted
    assert "佛山东莞" in r["BRK-04"].reason and "待定" in r["GEN-03"].reason
    assert "2028-02" in r["ACT-02"].reason
    assert "3个科目合计130万元，预算总额140万元，差10万元" in r["BUD-02"].reason
    assert "阶段转化率" in r["FNL-01"].reason and "客单价60万元" in r["FNL-01"].reason
    assert "信捷" in r["MKT-02"].reason
    assert "管理风险、执行风险" in r["RSK-02"].reason
    assert r["GEN-05"].status == "na"  # cites nothing, so nothing to resolve


@pytest.mark.parametrize("name", ["complete_plan.json", "missing_sections.json", "inconsistent_numbers.json"])
@pytest.mark.slow
def test_our_own_markdown_and_docx_exports_get_the_same_verdicts_as_the_plan(name):
    plan = load_plan(name)
    direct = validate_plan(plan)
    from_md = validate_text(to_markdown(plan), source=name.replace(".json", ".md"))
    from_docx = build_report(build_doc(docx_events(to_docx_bytes(plan)), source="x.docx", kind="docx"))
    # the same verdicts, except that only the JSON carries the request whose facts SUB-03 looks for
    verdicts = [(f.id, f.status) for f in direct.items if f.id != "SUB-03"]
    for other in (from_md, from_docx):
        assert [(f.id, f.status) for f in other.items if f.id != "SUB-03"] == verdicts
        assert other.item("SUB-03").status == "na"
        assert other.completeness == direct.completeness


def test_the_report_renders_as_chinese_markdown_and_round_trips_as_json():
    report = validate_file(GOLDEN / "handwritten_plan.md")
    md = report.to_markdown()
    assert md.startswith("# 方案检查报告：2027年度华南区销售工作计划")
    assert "## 各章节得分" in md and "## 需要修改的问题" in md and "## 全部检查项" in md
    assert "## 标题识别" in md and "| 销售测算 | 漏斗与产能测算 | 同义词 |" in md
    assert "完整性 65.2 分" in md and "一致性系数" in md
    assert "[严重] ACT-01" in md and "建议：" in md
    again = Report.model_validate_json(report.model_dump_json())
    assert again == report
    # feedback for the repair loop is grouped by the section to redraft
    assert set(report.failing_by_section()) == {"swot", "customer_persona", "evaluation", "target_breakdown",
                                                "funnel_capacity", "market_analysis", "action_plan", "budget",
                                                "kpi_incentives", "tracking_review", "risks"}
    assert any("GEN-04" in line for line in report.failing_by_section()["funnel_capacity"])
