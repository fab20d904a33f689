"""Revising a plan by a sentence changes only the sections the sentence is about, and the numbers stay consistent."""

from __future__ import annotations

import pytest

from assistant.config import EXAMPLE_REQUEST as EXAMPLE
from assistant.config import Settings
from assistant.drafting.drafter import make_drafter
from assistant.drafting.offline import draft_offline
from assistant.intake.revision import RevisionError, interpret, named_sections, revise
from assistant.request import BudgetShare, load_request
from assistant.schema import SECTION_KEYS, SalesPlan


@pytest.fixture(scope="module")
def plan() -> SalesPlan:
    return draft_offline(load_request(EXAMPLE))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path)


def changed_sections(old: SalesPlan, new: SalesPlan) -> list[str]:
    return [k for k in SECTION_KEYS if old.sections.get(k) != new.sections.get(k)]


def test_raising_online_ads_to_half_the_budget_changes_only_the_budget(plan, settings):
    original = plan.model_copy(deep=True)
    result = revise(plan, "把预算里线上投放提高到50%", drafter=make_drafter(settings))
    new = result.plan

    assert changed_sections(plan, new) == ["budget"] == result.sections
    lines = {line.item: line for line in new.sections.budget.lines}
    assert lines["线上投放"].share == 0.5 and lines["线上投放"].amount == 75.0
    assert round(sum(line.share for line in lines.values()), 6) == 1
    assert round(sum(line.amount for line in lines.values()), 2) == new.sections.budget.total == 150.0
    assert [(b.item, b.amount) for b in new.figures.budget_lines] == [(r.item, r.amount) for r in lines.values()]
    assert "新增该科目占 50%" in result.message
    assert plan == original, "the version before the revision is kept untouched for undo"


def test_an_existing_budget_line_can_be_moved_by_percentage_points(plan, settings):
    """「获客」 is what people call the industrial playbook's 客户开发与差旅 line (30%)."""
    result = revise(plan, "获客预算提高10个百分点", drafter=make_drafter(settings))
    shares = {b.item: b.share for b in result.plan.figures.budget_lines}
    assert shares["客户开发与差旅"] == 0.4
    assert round(sum(shares.values()), 6) == 1
    assert "30% → 40%" in result.message


def test_the_other_budget_lines_keep_their_proportions_in_round_amounts(settings):
    # the user's own split of 150万: 60 / 30 / 45 / 15; 获客 to 50% leaves 75万 for the others in their old 30 : 45 : 15
    request = load_request(EXAMPLE).model_copy(update={"budget_split": [
        BudgetShare(item=item, share=share) for item, share in
        (("获客", 0.4), ("客户维护", 0.2), ("团队激励", 0.3), ("应急储备", 0.1))]})
    plan = draft_offline(request)
    result = revise(plan, "获客预算提高到50%", drafter=make_drafter(settings))
    amounts = {b.item.split("（")[0]: b.amount for b in result.plan.figures.budget_lines}
    assert amounts == {"获客": 75.0, "客户维护": 25.0, "团队激励": 37.5, "应急储备": 12.5}
    shown = {line.item.split("（")[0]: line.amount for line in result.plan.sections.budget.lines}
    assert shown == amounts


def test_a_new_target_flows_into_every_section_that_quotes_it(plan, settings):
    result = revise(plan, "目标改成1500万", drafter=make_drafter(settings))
    new = result.plan
    assert new.request.revenue_target == 1500 and new.figures.revenue_target == 1500
    assert sum(m.amount for m in new.sections.target_breakdown.months) == pytest.approx(1500)
    assert sum(r.quota for r in new.sections.target_breakdown.reps) == pytest.approx(1500)
    assert "1,500万元" in new.sections.executive_summary.summary
    assert {"executive_summary", "sales_targets", "target_breakdown", "funnel_capacity"} <= set(result.sections)
    untouched = set(SECTION_KEYS) - set(result.sections)
    assert "risks" in untouched
    assert all(plan.sections.get(k) == new.sections.get(k) for k in untouched)
    assert "1200万 → 1500万" in result.message


def test_asking_for_more_detail_offline_touches_only_that_section_and_says_why_nothing_changed(plan, settings):
    result = revise(plan, "风险部分再具体一点", drafter=make_drafter(settings))
    assert changed_sections(plan, result.plan) == [], "nothing is pasted into the plan"
    assert result.unchanged == ["risks"]
    assert not any("风险部分再具体一点" in q for q in result.plan.all_open_questions())
    assert "「风险与应对」没有变化" in result.message and "接入大模型" in result.message
    assert "PLAN_" not in result.message


def test_adding_a_competitor_keeps_the_ones_already_named(plan, settings):
    result = revise(plan, "竞争对手加上嘉实多", drafter=make_drafter(settings))
    assert result.plan.request.competitors == ["壳牌", "美孚", "长城润滑油", "嘉实多"]
    assert "market_analysis" in result.sections
    assert any(c.name == "嘉实多" for c in result.plan.sections.market_analysis.competitors)


def test_words_about_wording_are_not_read_as_new_facts(plan):
    revision = interpret("竞争对手部分写详细些", plan)
    assert revision.changes == {} and revision.sections == ["market_analysis"]


@pytest.mark.parametrize("text, sections", [
    ("风险部分再具体一点", ["risks"]),
    ("KPI考核写得更可量化", ["kpi_incentives"]),
    ("渠道规划补充经销商政策", ["channel_plan"]),
    ("执行摘要更简洁", ["executive_summary"]),
])
def test_sections_are_found_by_their_title_or_everyday_words(text, sections):
    assert named_sections(text) == sections


@pytest.mark.parametrize("text, message", [
    ("今天天气不错", "没看出要修改方案的哪一部分"),
    ("", "修改要求是空的"),
    ("把预算里线上投放提高到150%", "需在0到100%之间"),
    ("预算总额改成5000万", "预算总额大于销售额目标"),
])
def test_an_instruction_that_cannot_be_applied_gets_a_chinese_explanation(plan, settings, text, message):
    with pytest.raises(RevisionError, match=message):
        revise(plan, text, drafter=make_drafter(settings))


def test_with_a_model_configured_only_the_affected_sections_are_sent_for_redrafting(plan, tmp_path, monkeypatch):
    import assistant.drafting.chain as drafting
    import assistant.retrieval as retrieval

    calls = []

    def fake_redraft(p, feedback, *, settings, kb, progress=None, use_cache=True, llm=None, offline_sections=None,
                  clock=None):
        calls.append(feedback)
        return p

    monkeypatch.setattr(drafting, "redraft_sections", fake_redraft)
    monkeypatch.setattr(retrieval, "get_knowledge_base", lambda settings: object())
    settings = Settings(data_dir=tmp_path, llm_model="m", llm_base_url="http://127.0.0.1:9/v1")

    revise(plan, "风险部分再具体一点", drafter=make_drafter(settings))
    result = revise(plan, "把预算里线上投放提高到50%", drafter=make_drafter(settings))

    assert calls[0] == {"risks": ["风险部分再具体一点"]}
    assert list(calls[1]) == ["budget"]
    assert calls[1]["budget"][0] == "把预算里线上投放提高到50%"
    assert "线上投放" in calls[1]["budget"][1] and "不要自行计算" in calls[1]["budget"][1]
    assert [b.amount for b in result.plan.sections.budget.lines] == [b.amount for b in result.plan.figures.budget_lines]
