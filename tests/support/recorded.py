"""The recorded-traffic harness: the drafting chain against a real chat model (Qwen2.5-Coder-0.5B served by
local-llm), recorded once with vcrpy and replayed in CI.

- replay (default, CI): HTTP answers come from tests/cassettes/<test>.yaml (matched on method+path+body), retrieval
  from tests/cassettes/<test>.chunks.json. A changed prompt no longer matches: re-record.
- record: `PLAN_RECORD=1 pytest tests/test_drafting_recorded.py` with `local-llm start` running.
- live (`-m live`): `PLAN_LIVE_TESTS=1 PLAN_LLM_BASE_URL=... PLAN_LLM_MODEL=... pytest -m live`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import vcr
import yaml

from assistant.config import Settings

from .fakes import FrozenKB

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
RECORD = os.environ.get("PLAN_RECORD") == "1"
LIVE = os.environ.get("PLAN_LIVE_TESTS") == "1" and bool(os.environ.get("PLAN_LLM_BASE_URL"))
LOCAL = dict(llm_base_url="http://127.0.0.1:8765/v1", llm_model="local-qwen", llm_api_key="local")


class Utf8Yaml:
    """vcrpy's YAML, but Chinese stays readable (and half the size) instead of \\uXXXX escapes."""

    @staticmethod
    def serialize(cassette: dict) -> str:
        return yaml.dump(cassette, Dumper=yaml.SafeDumper, allow_unicode=True, width=200)

    @staticmethod
    def deserialize(text: str) -> dict:
        return yaml.load(text, Loader=yaml.SafeLoader)


def recorder(record_mode: str) -> vcr.VCR:
    v = vcr.VCR(record_mode=record_mode, match_on=["method", "path", "body"], serializer="utf8yaml",
                filter_headers=["authorization", "api-key", "x-api-key", "cookie"], decode_compressed_response=True)
    v.register_serializer("utf8yaml", Utf8Yaml)
    return v


class Model:
    """Settings + retrieval for one test in one mode, and the cassette around it."""

    def __init__(self, mode: str, name: str, tmp_path: Path, **overrides):
        self.mode, self.name = mode, name
        endpoint = {} if mode == "live" else LOCAL
        # recorded: no SDK retries (a rejected method is answered once, recorded once); one request at a time (the
        # single-slot server cuts a running stream when a second request arrives); vcrpy reads each answer whole
        # before handing it on, so the watchdog sees no header or token until the end: its limits are the call's
        params = dict(data_dir=tmp_path / "data", llm_concurrency=1, llm_timeout=1800,
                      llm_max_retries=2 if mode == "live" else 0, llm_price_in=0.002, llm_price_out=0.006,
                      **endpoint)
        if mode == "record":
            params.update(llm_connect_timeout=1800, llm_first_token_timeout=1800, llm_stall_timeout=1800,
                          llm_plan_timeout=0)
        self.settings = Settings(**{**params, **overrides})
        if mode == "replay" and not (CASSETTES / f"{name}.yaml").exists():
            pytest.skip(f"录音 {name}.yaml 尚未录制：在模型服务运行时用 PLAN_RECORD=1 录制后提交")
        chunks = CASSETTES / f"{name}.chunks.json"
        real = None
        if mode == "record":
            from assistant.retrieval import get_knowledge_base

            real = get_knowledge_base(self.settings)
            real.ensure_builtin()
        self.kb = FrozenKB(chunks, real)
        self.cassette = None
        if mode != "live":
            self.cassette = recorder("once" if mode == "record" else "none").use_cassette(
                str(CASSETTES / f"{name}.yaml"))

    @property
    def replay(self) -> bool:
        return self.mode == "replay"

    def __enter__(self):
        self.tape = self.cassette.__enter__() if self.cassette else None
        return self

    def __exit__(self, *exc):
        if self.cassette:
            self.cassette.__exit__(*exc)
        self.kb.save()
        if self.replay and exc[0] is None:
            # a request the recording does not hold fails over to the offline drafter like any endpoint error;
            # say so plainly instead of testing a different story
            assert self.tape.all_played, (f"录音 {self.name}.yaml 与当前请求不一致（提示词、检查或离线文本改过）："
                                          "请用 PLAN_RECORD=1 重新录制")


LIVE_SKIP = "live: set PLAN_LIVE_TESTS=1 and PLAN_LLM_BASE_URL (+ PLAN_LLM_MODEL) to run against a model"
MODES = [pytest.param("record" if RECORD else "replay", id="recorded"),
         pytest.param("live", id="live", marks=[pytest.mark.live, pytest.mark.skipif(not LIVE, reason=LIVE_SKIP)])]
