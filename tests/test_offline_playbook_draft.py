"""Offline drafts written for the business: no equal quarter called the heaviest, owners the team has, actions in
the sales cycle's order, one clear question per unknown instead of a placeholder in every cell; the model prompts
get the same playbook facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.drafting.figures import phrases
from assistant.drafting.offline import draft_offline
from assistant.drafting.playbook_facts import playbook_facts
from assistant.evals.cases import load_cases
from assistant.planning.engine import compute_figures
from assistant.render import to_markdown
from assistant.request import build_request
from assistant.ui.session import apply_form, form_values
from assistant.validation import validate_plan

CASES = Path(__file__).resolve().parent.parent / "evals" / "cases"
TENDER = {"company": "楚康医疗", "industry": "医疗器械", "product": "超声诊断设备", "region": "湖北", "period": "2027年",
          "revenue_target": "5000万", "competitors": "迈瑞、GE医疗、某新锐品牌",
          "team": [{"role": "医院客户经理", "count": 6}, {"role": "招投标专员", "count": 1, "quota_bearing": False}],
          "notes": "公立医院采购全部走公开招标；须遵守医疗反商业贿赂规定。"}


def test_equal_quarters_are_said_to_be_equal_never_the_heaviest():
    plan = draft_offline(build_request({**TENDER, "seasonality": [1] * 12}))
    summary = plan.sections.executive_summary
    assert "各季度目标相同" in summary.summary and "最重" not in summary.model_dump_json()


@pytest.mark.parametrize("case_id", ["medical-ultrasound-hunan-gap", "fmcg-tea-henan-prose-season",
                                     "saas-hr-east-subregions-two-products", "storage-project-jiangsu-zhejiang",
                                     "tax-advisory-beijing-half-sparse", "auto-4s-hangzhou-q4"])
def test_every_plan_is_coherent_owners_exist_and_actions_respect_the_cycle(case_id):
    case = load_cases(CASES, [case_id])[0][0]
    plan = draft_offline(case.request)
    report = validate_plan(plan)
    for item in ("COH-01", "COH-02", "COH-03", "COH-04", "COH-05"):
        assert report.item(item).status in ("pass", "na"), (item, report.item(item).reason)
    roles = {r.role for r in plan.sections.team.roles}
    for action in plan.sections.action_plan.items:
        for owner in action.owner.split("、"):
            assert owner in roles or owner == "人力资源部", (owner, roles)
    last = plan.figures.last_opportunity_date
    for action in plan.sections.action_plan.items:
        if any(w in action.task for w in ("获客", "招商", "展会", "勘查")) and "下一期" not in action.task:
            assert action.deadline <= last or "最晚" in action.task, action.task


def test_an_unknown_competitor_is_one_question_not_a_placeholder_in_every_cell():
    plan = draft_offline(build_request(TENDER))
    market = plan.sections.market_analysis
    md = to_markdown(plan)
    assert "需调研" not in md
    known = {c.name: c for c in market.competitors}
    assert "进口品牌" in known["GE医疗"].strengths and "国产头部" in known["迈瑞"].strengths
    asked = [q for q in market.open_questions if "某新锐品牌" in q]
    assert len(asked) == 1 and "注册证" in asked[0]


def test_notes_reach_the_sections_that_should_use_them():
    plan = draft_offline(build_request(TENDER))
    assert "反商业贿赂" in plan.sections.market_analysis.model_dump_json()  # a policy fact in PEST
    assert plan.sections.risks.risks[0].risk.startswith("商业贿赂")         # compliance risk first


def test_the_model_prompts_carry_the_same_playbook_facts():
    req = build_request(TENDER)
    fig = compute_figures(req)
    block = playbook_facts(req, fig)
    assert "医疗设备（医院招标采购）" in block and "挂网招标" in block
    assert "医院客户经理" in block and "招投标专员" in block          # owners must come from the team
    assert "反商业贿赂" in block                                      # the user's notes
    risks = playbook_facts(req, fig, "risks")
    assert "注册证" in risks and len(risks) > len(block)
    slots = phrases(req, fig)
    assert slots["playbook"] == block and slots["playbook_risks"] == risks


def test_the_form_can_name_the_playbook():
    fields = {"company": "蓉掌柜", "industry": "企业服务", "region": "成都", "period": "2027年上半年",
              "revenue_target": 300}
    values = form_values(fields)
    values[-1] = "saas"
    new, notes = apply_form(fields, values)
    assert new["playbook"] == "saas" and not notes
    assert compute_figures(build_request(new)).playbook_id == "saas"
