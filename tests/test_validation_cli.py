"""`planassist validate FILE [--json] [--min-score N]`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from assistant.cli.validate import validate
from assistant.validation import validate_file

GOLDEN = Path(__file__).parent / "golden"
PLANS = Path(__file__).parents[1] / "evals" / "calibration" / "plans"
GOOD_PLAN = PLANS / "h03_good_tables_medical_shandong.md"
TEMPLATE_DRAFT = PLANS / "t03_offline_saas-crm-east-quarter.md"  # complete, but one template for every business
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(validate)
    app.callback()(lambda: None)
    return app


def test_a_hand_written_plan_is_scored_and_the_problems_listed():
    result = runner.invoke(_app(), ["validate", str(GOLDEN / "handwritten_plan.md")])
    assert result.exit_code == 0, result.output
    assert "总分" in result.output and "需要修改的问题" in result.output
    assert "ACT-01" in result.output


def test_json_output_is_the_report():
    result = runner.invoke(_app(), ["validate", str(GOLDEN / "inconsistent_numbers.json"), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    failed = {i["id"] for i in data["items"] if i["status"] == "fail"}
    assert data["score"] == validate_file(GOLDEN / "inconsistent_numbers.json").score and failed >= {"BRK-05", "BUD-02"}


def test_a_score_below_min_score_exits_non_zero():
    ok = runner.invoke(_app(), ["validate", str(GOOD_PLAN), "--min-score", "90"])
    assert ok.exit_code == 0, ok.stderr
    low = runner.invoke(_app(), ["validate", str(GOLDEN / "handwritten_plan.md"), "--min-score", "30"])
    assert low.exit_code == 1  # scores above 30, but two critical items fail
    templated = runner.invoke(_app(), ["validate", str(TEMPLATE_DRAFT), "--min-score", "80"])
    assert templated.exit_code == 1
    assert "低于要求的 80 分" in templated.stderr


def test_critical_failures_fail_the_gate_whatever_the_score(tmp_path):
    """Issue 15: a JSON plan whose target was tampered to disagree with its own tables passed --min-score 80."""
    data = json.loads((GOLDEN / "complete_plan.json").read_text(encoding="utf-8"))
    data["figures"]["revenue_target"] = 1500.0  # every table still adds up to 1,200
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    score = validate_file(tampered).score
    result = runner.invoke(_app(), ["validate", str(tampered), "--min-score", str(score - 1)])
    assert result.exit_code == 1
    assert "严重问题未通过" in result.stderr and "BRK-05" in result.stderr and "FNL-05" in result.stderr


def test_unparseable_input_exits_2_with_a_chinese_message(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("随便写的几句话，没有任何标题。", encoding="utf-8")
    result = runner.invoke(_app(), ["validate", str(path)])
    assert result.exit_code == 2
    assert "无法评估" in result.stderr and "没有识别出销售方案的章节" in result.stderr
