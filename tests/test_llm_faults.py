"""Bad endpoints and bad answers, through the real OpenAI client and ChatOpenAI, against a tiny HTTP server on
127.0.0.1 that misbehaves on purpose: 429, 500, garbage, slow, refused, empty, truncated and English answers.
Whatever happens, a complete plan comes back and every failure is recorded on its section."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.config import Settings
from assistant.drafting.chain import draft_sections
from assistant.schema import SECTION_KEYS
from support.fakes import StubKB

SECTIONS = ["swot", "risks", "evaluation"]


def completion(content: str) -> dict:
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


class Endpoint:
    """A misbehaving OpenAI-compatible endpoint: `behaviour` picks the answer; requests are counted."""

    def __init__(self, behaviour: str):
        self.behaviour, self.requests = behaviour, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.requests += 1
                status, body = outer.answer()
                if status is None:
                    return
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("retry-after-ms", "20")           # the SDK honours it: quick retries
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self):
        b = self.behaviour
        if b == "429":
            return 429, {"error": {"message": "rate limited"}}
        if b == "500":
            return 500, {"error": {"message": "server exploded"}}
        if b == "garbage":
            return 200, b"<html>502 Bad Gateway</html>"
        if b == "slow":
            time.sleep(2)
            return 200, completion("{}")
        if b == "empty":
            return 200, completion("")
        if b == "truncated":
            return 200, completion('{"strengths": ["苏南制造业园区已有稳定的老客户基础", "团队')
        if b == "english":
            return 200, completion(json.dumps({"strengths": ["Strong brand"] * 3, "weaknesses": ["Small team"] * 3,
                                               "opportunities": ["Growing market"] * 3, "threats": ["Price war"] * 3,
                                               "strategies": ["SO: expand", "ST: defend", "WO: improve",
                                                              "WT: retreat"], "risks": [], "dimensions": [],
                                               "improvements": []}))
        raise AssertionError(b)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def draft(example, tmp_path, url: str, **kw):
    request, figures = example
    s = Settings(data_dir=tmp_path / "data", llm_base_url=url, llm_model="fake", llm_api_key="sk-test-secret-key",
                 llm_structured_method="json_mode", llm_concurrency=1, **kw)
    return draft_sections(request, figures, settings=s, kb=StubKB(), sections=SECTIONS)


def assert_complete_with(plan, reason: str):
    assert all(plan.sections.get(k) is not None for k in SECTION_KEYS)        # a plan is always produced
    runs = plan.metadata.sections
    assert {runs[k].status for k in SECTIONS} == {"fallback"}
    assert reason in runs[SECTIONS[0]].fallback_reason
    dumped = plan.model_dump_json()
    assert "sk-test-secret-key" not in dumped                                    # keys never leak


@pytest.mark.parametrize("behaviour, reason, sdk_tries", [
    ("429", "限流（HTTP 429）", 3),          # the OpenAI SDK's own retries (max_retries=2) happen first
    ("500", "模型服务出错（HTTP 500）", 3),
])
@pytest.mark.slow
def test_rate_limits_and_server_errors_fall_back_after_the_sdk_retries(example, tmp_path, behaviour, reason,
                                                                       sdk_tries):
    endpoint = Endpoint(behaviour)
    try:
        plan = draft(example, tmp_path, endpoint.url, llm_max_retries=2)
    finally:
        endpoint.close()
    assert_complete_with(plan, reason)
    # two sections met the failure; the breaker then spared the endpoint the third
    assert endpoint.requests == 2 * sdk_tries
    assert "本节未调用模型" in plan.metadata.sections[SECTIONS[2]].fallback_reason


@pytest.mark.slow
def test_a_timeout_falls_back_with_the_timeout_named(example, tmp_path):
    endpoint = Endpoint("slow")
    try:
        plan = draft(example, tmp_path, endpoint.url, llm_timeout=0.5, llm_max_retries=0)
    finally:
        endpoint.close()
    assert_complete_with(plan, "模型响应超时")


def test_connection_refused_falls_back(example, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]            # closed again: nothing listens there
    plan = draft(example, tmp_path, f"http://127.0.0.1:{port}/v1", llm_max_retries=0)
    assert_complete_with(plan, "无法连接模型服务")


@pytest.mark.slow
def test_a_garbage_body_falls_back(example, tmp_path):
    endpoint = Endpoint("garbage")
    try:
        plan = draft(example, tmp_path, endpoint.url, llm_max_retries=0)
    finally:
        endpoint.close()
    assert all(plan.sections.get(k) is not None for k in SECTION_KEYS)
    assert all(plan.metadata.sections[k].status == "fallback" for k in SECTIONS)


@pytest.mark.parametrize("behaviour, problem", [
    ("empty", "回答是空的"),
    ("truncated", "JSON不完整"),
    ("english", "英文"),
])
@pytest.mark.slow
def test_bad_answers_are_re_asked_then_fall_back_with_the_problem(example, tmp_path, behaviour, problem):
    endpoint = Endpoint(behaviour)
    try:
        plan = draft(example, tmp_path, endpoint.url, llm_max_retries=0, llm_reask_attempts=1)
    finally:
        endpoint.close()
    assert_complete_with(plan, problem)
    run = plan.metadata.sections[SECTIONS[0]]
    assert run.attempts == 2                                             # asked, re-asked, then the fallback
    assert {e[:3] for e in run.errors} == {"第1次", "第2次"}
    assert endpoint.requests == 2 * len(SECTIONS)                        # answers arrive: no breaker here
