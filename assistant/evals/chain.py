"""The eval's bridge to the real drafting chain: the model the chain talks to is wrapped so every call is recorded
to / replayed from evals/recordings/<version>/ (keyed by model, messages, bound parameters and the repeat index).

The product's own pipeline runs unchanged (pipeline.draft_plan with a ModelDrafter given `sections=` and `llm=`;
its response cache is off so repeats never share an answer); repair, when on, redrafts through the same wrapper.
Retrieval uses a knowledge base of the built-in methodology notes only, in its own data folder, so a user's
uploaded documents never change an eval's prompts.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from ..config import Settings
from ..drafting.llm import ResponseCache
from ..request import PlanRequest
from ..schema import SalesPlan
from .recording import RecordingCache, ReplayMiss, open_cache, read_index

log = logging.getLogger(__name__)

_CHOICES = ("auto", "none", "required", "any")


def _message_payload(m: BaseMessage) -> list[Any]:
    item: list[Any] = [m.type, m.content]
    if isinstance(m, AIMessage) and m.tool_calls:
        item.append([[t.get("name"), t.get("args")] for t in m.tool_calls])
    return item


def _error_entry(exc: Exception) -> dict[str, Any]:
    status = getattr(exc, "status_code", None)
    return {"error": {"type": type(exc).__name__, "status": status, "message": str(exc)[:300]}}


def _raise_recorded(entry: dict[str, Any]) -> None:
    """Re-raise a recorded endpoint failure as the same kind of openai error, so the chain reacts as it did."""
    import httpx
    import openai

    err = entry["error"]
    request = httpx.Request("POST", "http://recorded.invalid/v1/chat/completions")
    if err["type"] == "APITimeoutError":
        raise openai.APITimeoutError(request=request)
    if err.get("status"):
        response = httpx.Response(int(err["status"]), request=request, json={"error": {"message": err["message"]}})
        cls = {400: openai.BadRequestError, 404: openai.NotFoundError, 422: openai.UnprocessableEntityError,
               429: openai.RateLimitError}.get(int(err["status"]), openai.InternalServerError)
        raise cls(err["message"], response=response, body=None)
    raise openai.APIConnectionError(message=err["message"], request=request)


class RecordingChatModel(BaseChatModel):
    """A chat model that answers from recordings, and (record/live) asks `inner` on a miss and records the answer."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    inner: Any = None  # the real chat model; None in replay mode (no network possible)
    model_label: str
    params: dict[str, Any] = {}
    recorder: Any  # RecordingCache (not `cache`: that name is LangChain's own cache switch)

    @property
    def _llm_type(self) -> str:
        return "eval-recording"

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        from langchain_core.utils.function_calling import convert_to_openai_tool

        formatted = [t if isinstance(t, dict) and t.get("type") == "function" else convert_to_openai_tool(t)
                     for t in tools]
        if isinstance(tool_choice, str) and tool_choice not in _CHOICES:
            tool_choice = {"type": "function", "function": {"name": tool_choice}}
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        key = ResponseCache.key({"model": self.model_label, "params": self.params, "bound": kwargs, "stop": stop,
                                 "messages": [_message_payload(m) for m in messages]})
        hit = self.recorder.get(key)  # raises ReplayMiss in replay mode
        if hit is not None and "error" in hit and self.inner is not None:
            hit = None  # recording again: a recorded endpoint failure is tried once more
            self.recorder.begin(key)
        if hit is None:
            if self.inner is None:
                raise ReplayMiss("没有可调用的模型（回放模式）")
            call = dict(kwargs)
            if "max_tokens" in call:
                # langchain-openai sends max_tokens as `max_completion_tokens`, which llama.cpp-style servers ignore
                # (the answer then runs on until the context ends); send the classic field as well
                call["extra_body"] = {**(call.get("extra_body") or {}), "max_tokens": call["max_tokens"]}
            try:
                result = self.inner._generate(messages, stop=stop, **call)
            except Exception as exc:  # the endpoint failed: record that too, so a replay fails the same way
                import openai

                if isinstance(exc, openai.OpenAIError):
                    self.recorder.put(key, _error_entry(exc))
                raise
            msg = result.generations[0].message
            meta = msg.usage_metadata or {}
            hit = {"content": msg.content, "tool_calls": msg.tool_calls, "invalid_tool_calls": msg.invalid_tool_calls,
                   "usage": {"input_tokens": int(meta.get("input_tokens", 0)),
                             "output_tokens": int(meta.get("output_tokens", 0))}}
            self.recorder.put(key, hit)
        if "error" in hit:
            _raise_recorded(hit)
        usage = hit.get("usage") or {}
        tin, tout = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        message = AIMessage(content=hit.get("content", ""), tool_calls=hit.get("tool_calls") or [],
                            invalid_tool_calls=hit.get("invalid_tool_calls") or [],
                            usage_metadata={"input_tokens": tin, "output_tokens": tout, "total_tokens": tin + tout})
        return ChatResult(generations=[ChatGeneration(message=message)])


def recorded_model(folder: Path) -> str | None:
    """The model a version's recordings were made with (a replay in CI has no model configured)."""
    return read_index(folder).get("model")


class ChainDrafter:
    """(request, version, repeat) -> SalesPlan through the real chain, for the sections the eval drafts by model."""

    def __init__(self, settings: Settings, *, mode: str, recordings: Path, llm_sections: list[str], repair: bool,
                 record_hint, inner_factory=None):
        from ..retrieval import get_knowledge_base

        self.settings = settings
        self.mode = mode
        self.recordings = Path(recordings)
        self.llm_sections = llm_sections
        self.repair = repair
        self.record_hint = record_hint
        self.inner_factory = inner_factory
        kb_settings = settings.model_copy(update={"data_dir": Path(settings.data_dir) / "eval-kb"})
        self.kb = get_knowledge_base(kb_settings)
        self.kb.ensure_builtin()
        self.caches: dict[str, RecordingCache] = {}
        self.last: RecordingCache | None = None

    def cache_for(self, version: str) -> RecordingCache:
        if version not in self.caches:
            self.caches[version] = open_cache(self.recordings, self.settings.data_dir, version, self.mode,
                                              self.record_hint(version))
        return self.caches[version]

    def live_calls(self) -> int:
        return sum(c.live_total for c in self.caches.values())

    def model_for(self, version: str, repeat: int) -> RecordingChatModel:
        s = self.settings
        params = {"temperature": s.llm_temperature, "seed": repeat, "max_tokens": s.llm_max_tokens}
        inner = None
        if self.mode != "replay":
            if self.inner_factory is not None:
                inner = self.inner_factory(repeat)
            else:
                from ..drafting.llm import make_chat_model

                inner = make_chat_model(s, seed=repeat)
        cache = self.cache_for(version)
        cache.new_draft(repeat)
        self.last = cache
        label = s.llm_model or recorded_model(cache.folder) or "unknown"
        return RecordingChatModel(inner=inner, model_label=label, params=params, recorder=cache)

    def __call__(self, request: PlanRequest, version: str, repeat: int) -> SalesPlan:
        from ..drafting.drafter import ModelDrafter
        from ..pipeline import draft_plan

        settings = self.settings.model_copy(update={"prompt_version": version})
        drafter = ModelDrafter(settings, kb=self.kb, llm=self.model_for(version, repeat), use_cache=False,
                               sections=self.llm_sections)
        return draft_plan(request, settings=settings, drafter=drafter, repair=self.repair, score=False)
