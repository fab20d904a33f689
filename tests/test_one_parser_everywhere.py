"""One amount/rate/period parser and one set of bounds behind every entry point: a request file, `draft --text`
and the UI form refuse the same values with the same words, by field name, and keep minus signs."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.config import Settings
from assistant.ui import handlers as h
from assistant.ui.session import FORM_KEYS, Session, apply_form, form_values

REQUEST = {"company": "星河科技", "region": "江苏", "period": "2027年", "revenue_target": "1200万"}


def _file(tmp_path, **patch) -> list[str]:
    path = tmp_path / "req.yaml"
    path.write_text(yaml.safe_dump({**REQUEST, **patch}, allow_unicode=True), encoding="utf-8")
    return ["draft", "--input", str(path), "--out", str(tmp_path / "plan.md")]


def _text(tmp_path, text: str) -> list[str]:
    return ["draft", "--text", text, "--out", str(tmp_path / "plan.md")]


@pytest.mark.parametrize("args, words", [
    (lambda p: _file(p, win_rate="150%"), "赢单率"),
    (lambda p: _text(p, "江苏明年1200万，赢单率150%"), "赢单率"),
    (lambda p: _file(p, revenue_target="-200万"), "销售额目标"),
    (lambda p: _text(p, "江苏明年目标-200万"), "销售额目标"),
    (lambda p: _file(p, revenue_target=float("inf")), "销售额目标"),
    (lambda p: _file(p, budget_total=float("nan")), "预算总额"),
    (lambda p: _file(p, sales_cycle_days=".inf"), "销售周期"),
])
def test_the_cli_refuses_out_of_bound_values_by_field_name_and_writes_nothing(tmp_path, args, words):
    result = CliRunner().invoke(app, args(tmp_path))
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "plan.md").exists()


def test_minus_signs_are_kept_and_the_same_words_come_from_file_and_text(tmp_path):
    from_file = CliRunner().invoke(app, _file(tmp_path, win_rate="150%")).output
    from_text = CliRunner().invoke(app, _text(tmp_path, "江苏明年1200万，赢单率150%")).output
    assert "必须在0.1%到100%之间，收到 150%" in from_file and "必须在0.1%到100%之间，收到 150%" in from_text
    assert "收到 -200万" in CliRunner().invoke(app, _text(tmp_path, "江苏明年目标-200万")).output


def test_the_readme_example_drafts_a_plan_that_says_the_company_is_a_stand_in(tmp_path):
    result = CliRunner().invoke(app, _text(tmp_path, "江苏明年1200万，6个销售，预算150万") + ["--offline"])
    assert result.exit_code == 0, result.output
    plan = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert "> 说明：公司名称未提供，方案中暂称「本公司」" in plan.split("## ")[0]
    assert "1,200万元" in plan and "江苏" in plan
    first_question = plan.split("**待确认（请补充后重新生成）**")[1].strip().splitlines()[0]
    assert first_question == "- 待确认：公司名称未提供，方案中暂称「本公司」，请补充公司名称"


def test_a_message_without_a_target_says_what_is_needed(tmp_path):
    result = CliRunner().invoke(app, _text(tmp_path, "帮我写个销售方案"))
    assert result.exit_code == 2 and "至少需要销售额目标" in result.output


def test_the_ui_form_refuses_a_150_percent_win_rate_instead_of_reading_it_as_1_5_percent(tmp_path):
    session = Session.start(Settings(data_dir=tmp_path / "data"))
    form = form_values({**REQUEST, "revenue_target": 1200})
    form[FORM_KEYS.index("win_rate")] = "150%"
    fields, notes = apply_form({}, form)
    assert notes == ["赢单率必须在0.1%到100%之间，收到 150%，请修改"]
    assert fields["win_rate"] == "150%", "kept as typed, never turned into 1.5%"
    for _ in h.draft(session, form):
        pass
    assert session.plan is None
    assert "win_rate（赢单率）：必须在0.1%到100%之间，收到 150%" in session.draft.chat[-1]["content"]


def test_the_ui_form_keeps_other_roles_when_the_headcount_is_edited():
    fields = {"team": [{"role": "销售代表", "count": 6}, {"role": "售前", "count": 2, "quota_bearing": False}]}
    form = form_values(fields)
    form[FORM_KEYS.index("team_size")] = "8"
    new, _ = apply_form(fields, form)
    assert new["team"] == [{"role": "销售代表", "count": 8},
                           {"role": "售前", "count": 2, "quota_bearing": False}]


def test_amounts_are_written_the_way_people_write_them():
    from assistant.quantities import format_amount, format_number

    assert format_amount(1200, "万元") == "1,200万元"
    assert format_number(1250.5) == "1,250.5"
    assert format_number(800, decimals=0) == "800", "whole numbers keep their zeros"
    assert format_number(1200, trim=False) == "1,200.00"
    assert format_number(1200, grouped=False) == "1200"
