"""Fake chat models and a stub knowledge base for the drafting-chain control-flow tests (no network, no model).

`ScriptedChatModel` is a LangChain chat model whose answers come from a `responder(messages, kwargs)` function:
return an AIMessage (or raise an exception) per call. It records every call and the binding it was made with, so
a test can check which structured-output method was used. Recorded real model traffic lives in tests/cassettes/.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.drafting import offline
from assistant.drafting.prompts import section_schema
from assistant.retrieval import Chunk
from assistant.schema import SECTIONS


class ScriptedChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    responder: Any  # (messages, kwargs) -> AIMessage | Exception
    delay: float = 0.0
    _calls: list = PrivateAttr(default_factory=list)
    _active: int = PrivateAttr(default=0)
    _peak: int = PrivateAttr(default=0)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def calls(self) -> list[tuple[list[BaseMessage], dict[str, Any]]]:
        return self._calls

    @property
    def peak_concurrency(self) -> int:
        return self._peak

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        return self.bind(tools=tools, tool_choice=tool_choice, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        with self._lock:
            self._calls.append((messages, kwargs))
            self._active += 1
            self._peak = max(self._peak, self._active)
        try:
            if self.delay:
                time.sleep(self.delay)
            answer = self.responder(messages, kwargs)
        finally:
            with self._lock:
                self._active -= 1
        if isinstance(answer, BaseException):
            raise answer
        return ChatResult(generations=[ChatGeneration(message=answer)])


def method_of(kwargs: dict[str, Any]) -> str:
    if kwargs.get("tools"):
        return "function_calling"
    fmt = kwargs.get("response_format") or {}
    if fmt.get("type") == "json_object" and "schema" in fmt:
        return "json_object_schema"
    return {"json_schema": "json_schema", "json_object": "json_mode"}.get(fmt.get("type"), "text")


def section_of(messages: list[BaseMessage]) -> str:
    """Which section a request drafts, read from the user message's task line."""
    m = re.search(r"撰写「(.+?)」章节", str(messages[-1].content)) or re.search(
        r"撰写「(.+?)」章节", "".join(str(x.content) for x in messages))
    title = m.group(1) if m else ""
    return next(k for k, spec in SECTIONS.items() if spec.title == title)


def tool_answer(name: str, args: dict[str, Any], tokens_in: int = 100, tokens_out: int = 50) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{name}"}],
                     usage_metadata={"input_tokens": tokens_in, "output_tokens": tokens_out,
                                     "total_tokens": tokens_in + tokens_out})


def text_answer(text: str, tokens_in: int = 100, tokens_out: int = 50) -> AIMessage:
    return AIMessage(content=text, usage_metadata={"input_tokens": tokens_in, "output_tokens": tokens_out,
                                                   "total_tokens": tokens_in + tokens_out})


def good_args(key: str, request, figures, prompts, citations=("S1",)) -> dict[str, Any]:
    """A schema-valid, check-passing answer for a section: the offline drafter's text in the model's shape."""
    props = section_schema(prompts, key)["properties"]
    data = offline.draft_section(key, request, figures).model_dump(mode="json")
    answer = {k: v for k, v in data.items() if k in props}
    for field, n in prompts.sections[key].min_items.items():  # the offline text may be shorter than asked
        rows = answer.get(field) or []
        while rows and len(rows) < n:
            extra = rows[len(rows) % len(rows)]
            rows.append(f"{extra}（补充{len(rows)}）" if isinstance(extra, str) else
                        {k: (f"{v}（补充{len(rows)}）" if isinstance(v, str) and k not in ("dimension", "category")
                             else v) for k, v in extra.items()})
    answer["citations"] = list(citations)
    return answer


class StubKB:
    """The retrieval API the chain uses (`search(query, k, section) -> list[Chunk]`) over fixed chunks."""

    def __init__(self, chunks: list[Chunk] | None = None, fail: bool = False):
        self.chunks = chunks if chunks is not None else default_chunks()
        self.fail = fail
        self.queries: list[tuple[str, int, str | None]] = []

    def search(self, query: str, k: int = 5, section: str | None = None) -> list[Chunk]:
        self.queries.append((query, k, section))
        if self.fail:
            raise RuntimeError("index broken")
        picked = [c for c in self.chunks if not c.sections or section in c.sections]
        return picked[:k]


def default_chunks() -> list[Chunk]:
    rows = [
        ("kb-swot-1", "SWOT分析与策略矩阵", "SWOT分析要把优势、劣势、机会、威胁组合成SO、ST、WO、WT四类策略，每条策略可执行。",
         []),
        ("kb-funnel-1", "销售漏斗与产能测算", "成交单数=销售额目标÷平均客单价；商机数=成交单数÷赢单率；逐级倒推线索数。", []),
        ("kb-plan-1", "销售方案结构", "一份完整的销售工作方案包括目标、策略、行动计划、预算、考核与风险应对。", []),
    ]
    return [Chunk(id=i, text=t, source=f"knowledge/{i}.md", title=title, sections=s) for i, title, t, s in rows]


class FrozenKB:
    """Retrieval frozen for recorded tests: while recording, the real knowledge base answers and its chunks are
    saved next to the cassette; on replay (and in live runs) the saved chunks are served, so the prompts — and
    therefore the recorded request bodies — stay byte-identical whatever happens to knowledge/ later."""

    def __init__(self, path, real=None):
        import json
        from pathlib import Path

        self.path, self.real = Path(path), real
        self.saved: dict[str, list[dict]] = {} if real is not None else json.loads(
            self.path.read_text(encoding="utf-8"))

    @staticmethod
    def _key(query: str, k: int, section: str | None) -> str:
        return f"{section}|{k}|{query}"

    def search(self, query: str, k: int = 5, section: str | None = None) -> list[Chunk]:
        key = self._key(query, k, section)
        if self.real is not None:
            chunks = self.real.search(query, k=k, section=section)
            self.saved[key] = [c.model_dump() for c in chunks]
            return chunks
        return [Chunk(**c) for c in self.saved.get(key, [])]

    def save(self) -> None:
        import json

        if self.real is not None:
            merged = {}
            if self.path.exists():
                merged = json.loads(self.path.read_text(encoding="utf-8"))
            merged.update(self.saved)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(merged, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
