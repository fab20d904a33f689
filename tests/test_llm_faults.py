"""Bad endpoints and bad answers, through the real OpenAI client and ChatOpenAI, against tiny servers on 127.0.0.1
that misbehave on purpose: 429, 500, garbage, refused, a socket that never answers, streams that are slow, stall,
get cut or come back empty, and empty, truncated or English answers. Whatever happens, a complete plan comes back,
every failure is recorded on its section with its reason, and only an endpoint that does not answer at all is
called unavailable — a slow one that keeps writing never is."""

from __future__ import annotations

import json
import socket
import time

import pytest

from assistant.config import Settings
from assistant.drafting.chain import draft_sections
from assistant.drafting.prompts import load_prompts
from assistant.schema import SECTION_KEYS
from support.endpoints import FakeEndpoint, Reply, SilentEndpoint, json_reply, sse
from support.fakes import StubKB, good_args

SECTIONS = ["swot", "risks", "evaluation"]
FAST = dict(llm_connect_timeout=1.0, llm_first_token_timeout=3.0, llm_stall_timeout=1.0)


def settings(tmp_path, url: str, **kw) -> Settings:
    params = dict(data_dir=tmp_path / "data", llm_base_url=url, llm_model="fake", llm_api_key="sk-test-secret-key",
                  llm_structured_method="json_mode", llm_concurrency=1, prompt_version="v1")
    params.update(kw)
    return Settings(**params)


def draft(example, tmp_path, url: str, sections=SECTIONS, **kw):
    request, figures = example
    return draft_sections(request, figures, settings=settings(tmp_path, url, **kw), kb=StubKB(), sections=sections)


def good_json(example, key: str) -> str:
    request, figures = example
    prompts = load_prompts(Settings().prompts_dir, "v1")
    return json.dumps(good_args(key, request, figures, prompts, citations=()), ensure_ascii=False)


def key_of(body: dict) -> str:
    from assistant.schema import SECTIONS as ALL

    text = "".join(str(m.get("content")) for m in body.get("messages", []))
    return next(k for k, spec in ALL.items() if f"撰写「{spec.title}」章节" in text)


def assert_complete_with(plan, reason: str, sections=SECTIONS):
    assert all(plan.sections.get(k) is not None for k in SECTION_KEYS)        # a plan is always produced
    runs = plan.metadata.sections
    assert {runs[k].status for k in sections} == {"fallback"}
    assert reason in runs[sections[0]].fallback_reason, runs[sections[0]].fallback_reason
    assert "sk-test-secret-key" not in plan.model_dump_json()                  # keys never leak


# ---------------------------------------------------------------- no answer at all: unavailable


@pytest.mark.parametrize("behaviour, reason, sdk_tries", [
    (429, "限流（HTTP 429）", 3),          # the OpenAI SDK's own retries (max_retries=2) happen first
    (500, "模型服务出错（HTTP 500）", 3),
])
@pytest.mark.slow
def test_rate_limits_and_server_errors_fall_back_after_the_sdk_retries(example, tmp_path, behaviour, reason,
                                                                       sdk_tries):
    with FakeEndpoint(lambda n, body: json_reply(status=behaviour, body={"error": {"message": "boom"}})) as ep:
        plan = draft(example, tmp_path, ep.url, llm_max_retries=2)
    assert_complete_with(plan, reason)
    # two sections met the failure; the breaker then spared the endpoint the third
    assert ep.requests == 2 * sdk_tries
    assert "本节未调用模型" in plan.metadata.sections[SECTIONS[2]].fallback_reason


def test_connection_refused_falls_back(example, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]            # closed again: nothing listens there
    plan = draft(example, tmp_path, f"http://127.0.0.1:{port}/v1", llm_max_retries=0)
    assert_complete_with(plan, "无法连接模型服务")


def test_an_endpoint_that_accepts_connections_but_never_answers_ends_with_the_fallback_and_the_reason(example,
                                                                                                      tmp_path):
    """The hung proxy of issue 15 (a draft that waited > 15 minutes): one connect limit per section, then the
    breaker; every section falls back saying what happened, and the whole plan takes seconds."""
    with SilentEndpoint() as ep:
        started = time.monotonic()
        plan = draft(example, tmp_path, ep.url, sections=list(SECTION_KEYS), llm_max_retries=0, **FAST)
        took = time.monotonic() - started
    runs = plan.metadata.sections
    assert {r.status for r in runs.values()} == {"fallback"}
    assert "模型服务接受了连接，但1秒内没有任何回应" in runs["market_analysis"].fallback_reason
    assert "本节未调用模型" in runs["executive_summary"].fallback_reason
    assert len(ep.accepted) == 2              # two sections tried, the other fourteen never called it
    assert took < 15


def test_headers_but_no_first_token_is_unavailable_after_the_first_token_limit(example, tmp_path):
    # a server that keeps the stream open with keep-alive comments but never writes a token
    with FakeEndpoint(lambda n, body: sse("{}", pings_for=30)) as ep:
        plan = draft(example, tmp_path, ep.url, llm_max_retries=0, **{**FAST, "llm_first_token_timeout": 1.5})
    assert_complete_with(plan, "秒内没有开始输出")
    assert ep.requests == 2                   # then the breaker


# ---------------------------------------------------------------- slow, stalled, cut: not "unavailable"


def test_a_slow_server_that_keeps_writing_is_never_called_unavailable(example, tmp_path):
    """First token after 1.5 s, then a piece every 0.3 s for ~5 s: longer than every single limit (connect 1 s,
    stall 1 s), and the sections are drafted — liveness is judged by tokens arriving."""
    def script(n, body):
        return sse(good_json(example, key_of(body)), size=60, first_after=1.5, gap=0.3)

    with FakeEndpoint(script) as ep:
        started = time.monotonic()
        plan = draft(example, tmp_path, ep.url, sections=["swot", "risks"], llm_max_retries=0, **FAST)
        took = time.monotonic() - started
    runs = plan.metadata.sections
    assert {runs[k].status for k in ("swot", "risks")} == {"done"}, [runs[k].fallback_reason for k in runs]
    assert took > 2 * FAST["llm_stall_timeout"] + 2 * FAST["llm_connect_timeout"]
    assert all(b["stream"] is True for b in ep.bodies)
    # the output budget goes out as the classic field that llama.cpp-family servers read
    assert all("max_tokens" in b and "max_completion_tokens" not in b for b in ep.bodies)


def test_a_stream_that_stalls_is_retried_once_then_the_section_falls_back_and_the_next_still_asks(example,
                                                                                                   tmp_path):
    def script(n, body):
        if key_of(body) == "swot":
            return sse(good_json(example, "swot"), size=20, hang_after=3)
        return sse(good_json(example, key_of(body)), size=200)

    with FakeEndpoint(script) as ep:
        plan = draft(example, tmp_path, ep.url, sections=["swot", "risks", "evaluation"], llm_max_retries=0, **FAST)
    runs = plan.metadata.sections
    assert runs["swot"].status == "fallback" and "模型输出中断" in runs["swot"].fallback_reason
    assert [key_of(b) for b in ep.bodies].count("swot") == 2          # the same request once more, no re-ask
    assert runs["risks"].status == "done" and runs["evaluation"].status == "done"   # no breaker for a stall


def test_a_stream_cut_by_the_server_is_asked_again_not_re_asked(example, tmp_path):
    """llama-cpp-python ends a running stream without a finish reason when another request arrives."""
    def script(n, body):
        text = good_json(example, key_of(body))
        return sse(text[:40], finish=None) if n == 0 else sse(text, size=200)

    with FakeEndpoint(script) as ep:
        plan = draft(example, tmp_path, ep.url, sections=["risks"], llm_max_retries=0, **FAST)
    run = plan.metadata.sections["risks"]
    assert run.status == "done" and run.attempts == 1 and ep.requests == 2
    assert ep.bodies[0]["messages"] == ep.bodies[1]["messages"]


def test_a_call_still_writing_at_its_deadline_is_ended_and_the_section_says_so(example, tmp_path):
    def script(n, body):
        return sse(good_json(example, key_of(body)), size=4, gap=0.2)   # far longer than the call's 2 s

    with FakeEndpoint(script) as ep:
        plan = draft(example, tmp_path, ep.url, sections=["swot", "risks"], llm_max_retries=0, llm_timeout=2,
                     **FAST)
    runs = plan.metadata.sections
    assert all("超过本次调用的时限" in runs[k].fallback_reason for k in ("swot", "risks"))
    assert [key_of(b) for b in ep.bodies] == ["swot", "risks"]             # a slow section does not trip the breaker


def test_a_prompt_over_the_context_window_is_named_not_hidden(example, tmp_path):
    """Streamed, llama-cpp-python answers 200 with an empty body; asked again without streaming, it says why."""
    def script(n, body):
        if body.get("stream"):
            return Reply(pieces=[], finish=None)
        return json_reply(status=400, body={"error": {"message": "This model's maximum context length is 8192 tokens",
                                                      "code": "context_length_exceeded"}})

    with FakeEndpoint(script) as ep:
        plan = draft(example, tmp_path, ep.url, sections=["risks"], llm_max_retries=0, **FAST)
    assert "上下文长度" in plan.metadata.sections["risks"].fallback_reason
    assert [b["stream"] for b in ep.bodies] == [True, False]


# ---------------------------------------------------------------- bad answers: re-asked with the problem


@pytest.mark.slow
def test_a_garbage_body_falls_back(example, tmp_path):
    with FakeEndpoint(lambda n, body: json_reply(body=b"<html>502 Bad Gateway</html>")) as ep:
        plan = draft(example, tmp_path, ep.url, llm_max_retries=0, **FAST)
    assert ep.requests > 0
    assert all(plan.sections.get(k) is not None for k in SECTION_KEYS)
    assert all(plan.metadata.sections[k].status == "fallback" for k in SECTIONS)


ENGLISH = json.dumps({"strengths": ["Strong brand"] * 3, "weaknesses": ["Small team"] * 3,
                      "opportunities": ["Growing market"] * 3, "threats": ["Price war"] * 3,
                      "strategies": ["SO: expand", "ST: defend", "WO: improve", "WT: retreat"], "risks": [],
                      "dimensions": [], "improvements": []})


@pytest.mark.parametrize("answer, problem", [
    ("", "回答是空的"),
    ('{"strengths": ["苏南制造业园区已有稳定的老客户基础", "团队', "JSON不完整"),
    (ENGLISH, "英文"),
])
@pytest.mark.slow
def test_bad_answers_are_re_asked_then_fall_back_with_the_problem(example, tmp_path, answer, problem):
    with FakeEndpoint(lambda n, body: sse(answer, size=30)) as ep:
        plan = draft(example, tmp_path, ep.url, llm_max_retries=0, llm_reask_attempts=1, **FAST)
    assert_complete_with(plan, problem)
    run = plan.metadata.sections[SECTIONS[0]]
    assert run.attempts == 2                                             # asked, re-asked, then the fallback
    assert {e[:3] for e in run.errors} == {"第1次", "第2次"}
    assert ep.requests == 2 * len(SECTIONS)                              # answers arrive: no breaker here


def test_planassist_draft_against_an_endpoint_that_never_answers_ends_in_seconds_with_the_reason(tmp_path,
                                                                                                 monkeypatch):
    """The user's view of issue 15's hung endpoint: `planassist draft` with default settings except a short connect
    limit finishes, writes the plan (every section by the offline drafter) and says why on every section."""
    from typer.testing import CliRunner

    from assistant.cli.main import app

    out = tmp_path / "plan.md"
    with SilentEndpoint() as ep:
        for name, value in {"PLAN_LLM_BASE_URL": ep.url, "PLAN_LLM_MODEL": "any", "PLAN_LLM_MAX_RETRIES": "0",
                            "PLAN_LLM_CONNECT_TIMEOUT": "1", "PLAN_DATA_DIR": str(tmp_path / "data")}.items():
            monkeypatch.setenv(name, value)
        started = time.monotonic()
        result = CliRunner().invoke(app, ["draft", "--example", "--out", str(out)])
        took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.count("本节由离线起草器兜底生成") == len(SECTION_KEYS)
    assert "模型服务接受了连接，但1秒内没有任何回应" in text
    # the two requests that measure the server, the first section's call that finds it silent, one more try by the
    # repair round (the server may be back by then); nothing after
    assert len(ep.accepted) == 4 and took < 30


@pytest.mark.parametrize("method", ["json_mode", "json_object_schema"])
def test_an_answer_cut_at_the_output_limit_is_re_asked_shorter_never_taken_for_a_dead_server(example, tmp_path,
                                                                                              method):
    """Recorded with the local model: under a grammar the small model sometimes writes one string until max_tokens.
    The SDK then raises LengthFinishReasonError; that is a bad answer (asked again, shorter), not an unavailable
    model — the next section is still asked."""
    swot = good_json(example, "swot")

    def script(n, body):
        if n == 0:
            return sse('{"strengths": ["苏南制造业园区已有稳定的老客户基础，' + "并且" * 40, size=30, finish="length")
        return sse(swot if key_of(body) == "swot" else good_json(example, key_of(body)), size=30)

    with FakeEndpoint(script) as ep:
        plan = draft(example, tmp_path, ep.url, sections=["swot", "risks"], llm_structured_method=method,
                     llm_max_retries=0, llm_reask_attempts=1, **FAST)
    runs = plan.metadata.sections
    assert runs["swot"].status == "retried" and "输出长度上限" in runs["swot"].errors[0]
    assert runs["risks"].status == "done" and ep.requests == 3
    reask = "".join(str(m.get("content")) for m in ep.bodies[1]["messages"])
    assert "请写得更简短" in reask
