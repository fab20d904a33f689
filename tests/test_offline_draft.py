"""A manager with no model and no network gets a complete, consistent plan from four facts."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from docx import Document
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.drafting.offline import draft_offline
from assistant.planning.engine import compute_figures
from assistant.render import load_plan_json, to_docx_bytes, to_json, to_markdown
from assistant.request import build_request, load_request
from assistant.schema import SECTION_SPECS

SPARSE = {"company": "华东润滑油", "region": "江苏", "period": "2027年", "revenue_target": "1200万"}


def test_four_facts_give_every_section_with_numbers_from_the_engine():
    req = build_request(SPARSE)
    plan = draft_offline(req)
    fig = compute_figures(req)
    for spec, section in plan.sections.items():
        assert section is not None, spec.title
        assert section.model_dump(exclude={"citations", "assumptions", "open_questions"}), spec.title
    tb, fc, bd = plan.sections.target_breakdown, plan.sections.funnel_capacity, plan.sections.budget
    assert tb.quarters == fig.quarters and tb.months == fig.months and tb.reps == fig.reps
    assert sum(round(m.amount * 100) for m in tb.months) == sum(round(q.amount * 100) for q in tb.quarters) == 120000
    assert fc.stages == fig.funnel and fc.weekly_activities == fig.weekly_activities
    assert [(line.item, line.amount) for line in bd.lines] == [(b.item, b.amount) for b in fig.budget_lines]
    # 润滑油 -> the industrial playbook: expense ratio 6%–15%, midpoint 10.5%, recorded as an assumption
    assert bd.total == fig.budget_total == 126.0
    assert any(a.field == "预算总额" and "6%–15%" in a.source for a in fig.assumptions)
    questions = " ".join(plan.all_open_questions())
    for missing in ("竞争对手", "客单价", "赢单率", "预算", "团队", "客户画像"):
        assert missing in questions


def test_offline_draft_never_invents_competitors_or_customers():
    plan = draft_offline(build_request(SPARSE))
    assert plan.sections.market_analysis.competitors == []
    assert any("竞争对手" in q for q in plan.sections.market_analysis.open_questions)
    plan = draft_offline(build_request({**SPARSE, "competitors": "壳牌、美孚、长城"}))
    assert [c.name for c in plan.sections.market_analysis.competitors] == ["壳牌", "美孚", "长城"]


def test_every_action_deadline_is_inside_the_period_and_has_an_owner():
    plan = draft_offline(build_request({**SPARSE, "period": "2027年Q2", "team": [
        {"role": "销售代表", "count": 3, "new_hires": 1, "hire_month": 5}]}))
    items = plan.sections.action_plan.items
    assert len(items) >= 8
    for item in items:
        assert plan.figures.period_start <= item.deadline <= plan.figures.period_end
        assert item.owner and item.deliverable
    assert any("招聘" in i.task for i in items)


def test_rich_example_plan_renders_to_markdown_docx_and_json_that_round_trips(tmp_path):
    from assistant.config import EXAMPLE_REQUEST as EXAMPLE

    plan = draft_offline(load_request(EXAMPLE))
    md = to_markdown(plan)
    for spec in SECTION_SPECS:
        assert f"、{spec.title}" in md
    assert "| 期间 | 目标金额（万元） |" in md
    assert "参考资料" in md
    assert load_plan_json(to_json(plan)) == plan
    doc_path = tmp_path / "plan.docx"
    doc_path.write_bytes(to_docx_bytes(plan))
    doc = Document(str(doc_path))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert any("目标分解" in h for h in headings)
    assert len(doc.tables) >= 15
    east_asia = doc.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asia == "宋体"


def test_cli_draft_example_writes_each_format(tmp_path):
    runner = CliRunner()
    for name in ("plan.md", "plan.docx", "plan.json"):
        out = tmp_path / name
        result = runner.invoke(app, ["draft", "--example", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["metadata"]["drafter"] == "offline"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_draft_from_a_sparse_file_lists_open_questions(tmp_path):
    req = tmp_path / "req.yaml"
    req.write_text(yaml.safe_dump(SPARSE, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "江苏/方案.md"
    result = CliRunner().invoke(app, ["draft", "-i", str(req), "-o", str(out), "--no-repair"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "待确认：主要竞争对手" in text or "待确认：请提供主要竞争对手" in text
    assert re.search(r"待确认事项：\d+ 项", result.output)


def test_cli_rejects_unknown_format(tmp_path):
    result = CliRunner().invoke(app, ["draft", "--example", "--out", str(tmp_path / "plan.pdf")])
    assert result.exit_code == 2
    assert "不支持的导出格式" in result.output
    assert not (tmp_path / "plan.pdf").exists()


@pytest.fixture()
def unreachable_model(monkeypatch):
    """A model is configured, but nothing listens on its port."""
    for name, value in {"PLAN_LLM_BASE_URL": "http://127.0.0.1:9/v1", "PLAN_LLM_MODEL": "any",
                        "PLAN_LLM_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.slow
def test_cli_a_missing_prompt_version_is_a_chinese_error_and_no_file(tmp_path, monkeypatch, unreachable_model):
    monkeypatch.setenv("PLAN_PROMPT_VERSION", "v9")
    result = CliRunner().invoke(app, ["draft", "--example", "--out", str(tmp_path / "plan.md")])
    assert result.exit_code == 1
    assert "无法起草：找不到提示词版本「v9」" in result.output
    assert not (tmp_path / "plan.md").exists()


@pytest.mark.slow
def test_cli_text_with_an_unreachable_model_falls_back_to_the_rules(tmp_path, unreachable_model):
    out = tmp_path / "plan.md"
    result = CliRunner().invoke(app, ["draft", "--text", "我们公司叫华东润滑油，明年江苏要做到1200万，6个销售",
                                      "--out", str(out), "--no-repair"])
    assert result.exit_code == 0, result.output
    assert "大模型抽取失败" in result.output and "已使用规则抽取" in result.output
    assert out.is_file() and "华东润滑油" in out.read_text(encoding="utf-8")
