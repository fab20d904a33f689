"""Every model call lands in the call log (like `llm logs`): what was sent, what came back, the method, tokens,
latency and outcome, so a section that fell back can be read afterwards with `planassist logs` — and the API key is
never in it, even when the endpoint's error message quotes it."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from assistant.cli.main import app
from assistant.config import EXAMPLE_REQUEST, Settings
from assistant.drafting.call_log import CallLog
from assistant.drafting.chain import draft_sections
from assistant.drafting.prompts import load_prompts
from assistant.planning.engine import compute_figures
from assistant.request import load_request
from support.fakes import ScriptedChatModel, StubKB, good_args, section_of, text_answer, tool_answer

KEY = "sk-fake-0123456789abcdefSECRET"


def test_a_fallen_back_section_can_be_read_in_the_log_and_the_key_is_never_there(tmp_path, monkeypatch):
    request = load_request(EXAMPLE_REQUEST)
    figures = compute_figures(request)
    settings = Settings(data_dir=tmp_path / "data", llm_base_url="http://127.0.0.1:9/v1", llm_model="fake-qwen",
                        llm_api_key=KEY, llm_structured_method="function_calling", llm_concurrency=1,
                        prompt_version="v1")  # re-asked twice, then the fallback (no decomposition in v1)
    prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    answers = {}

    def responder(messages, kwargs):
        key = section_of(messages)
        if key == "swot":
            return text_answer("SWOT：待定")  # never usable: re-asked twice, then the offline fallback
        if key == "risks":  # the endpoint fails and quotes the key it was sent
            return RuntimeError(f"upstream rejected Authorization: Bearer {KEY}")
        answers.setdefault(key, good_args(key, request, figures, prompts))
        return tool_answer(key, answers[key], tokens_in=1200, tokens_out=300)

    plan = draft_sections(request, figures, settings=settings, kb=StubKB(),
                          llm=ScriptedChatModel(responder=responder), sections=["swot", "risks", "budget"])
    assert plan.metadata.sections["swot"].status == "fallback"

    log = CallLog.in_dir(settings.data_dir)
    swot = log.recent(10, name="swot")
    assert [r.outcome for r in reversed(swot)] == ["rejected", "rejected", "rejected"]
    first = swot[-1]
    assert first.method == "function_calling" and first.model == "fake-qwen@127.0.0.1:9"
    assert first.messages[0][0] == "system" and "华东工业润滑油" in first.messages[0][1]
    assert "撰写「SWOT分析」章节" in first.messages[-1][1] and first.response == "SWOT：待定"
    assert "占位符" in first.detail or "JSON" in first.detail
    budget = log.recent(5, name="budget")
    assert [r.outcome for r in budget] == ["accepted"] and (budget[0].tokens_in, budget[0].tokens_out) == (1200, 300)
    assert budget[0].latency_s >= 0 and '"budget"' in budget[0].response
    risks = log.recent(5, name="risks")
    assert risks and risks[0].outcome == "unavailable" and "***" in risks[0].detail

    raw = (settings.data_dir / "calls.sqlite3").read_bytes()
    assert KEY.encode() not in raw and b"0123456789abcdefSECRET" not in raw

    # the command line: a list, then one call in full
    monkeypatch.setenv("PLAN_DATA_DIR", str(settings.data_dir))
    from assistant.config import get_settings

    get_settings.cache_clear()
    listed = CliRunner().invoke(app, ["logs", "--section", "swot"])
    assert listed.exit_code == 0 and "未通过检查" in listed.output and "fake-qwen" in listed.output
    shown = CliRunner().invoke(app, ["logs", "show", str(first.id)])
    assert shown.exit_code == 0 and "SWOT：待定" in shown.output and "撰写「SWOT分析」章节" in shown.output
    assert KEY not in listed.output + shown.output
    missing = CliRunner().invoke(app, ["logs", "show", "99999"])
    assert missing.exit_code == 2 and re.search("没有编号为 99999 的调用记录", missing.output)


def test_without_model_calls_the_log_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAN_DATA_DIR", str(tmp_path / "empty"))
    from assistant.config import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["logs"])
    assert result.exit_code == 0 and "还没有模型调用记录" in result.output
