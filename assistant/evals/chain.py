"""The eval's bridge to the real drafting chain: the model the chain talks to is wrapped so every call is recorded
to / replayed from evals/recordings/<version>/ (keyed by model, messages, bound parameters and the repeat index).

The product's own pipeline runs unchanged (pipeline.draft_plan with a ModelDrafter given `sections=` and `llm=`;
its response cache is off so repeats never share an answer); repair, when on, redrafts through the same wrapper.
Retrieval uses a knowledge base of the built-in methodology notes only, in its own data folder, so a user's
uploaded documents never change an eval's prompts.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from ..config import Settings
from ..drafting.llm import ResponseCache
from ..request import PlanRequest
from ..schema import SalesPlan
from .recording import DEFAULT_METHOD, RecordingCache, ReplayMiss, open_cache, read_index

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

    from ..drafting import endpoint

    err = entry["error"]
    if err["type"] == "LengthFinishReasonError":  # the answer ran into max_tokens
        from openai.types.chat import ChatCompletion

        raise openai.LengthFinishReasonError(completion=ChatCompletion.model_construct(
            id="recorded", choices=[], created=0, model="recorded", object="chat.completion"))
    failure = getattr(endpoint, str(err.get("type")), None)
    if isinstance(failure, type) and issubclass(failure, (endpoint.CallFailed, endpoint.LLMUnavailable)):
        raise failure(err["message"])
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
    """A chat model that answers from recordings, and (record/live) asks `inner` on a miss and records the answer.

    It streams like the real endpoint: recording, the inner model's chunks pass through as they arrive (the chain's
    watchdog sees tokens) and the whole answer is recorded at the end, with its finish reason and timing; a call the
    watchdog ended (deadline, stall) or the server cut is recorded as that failure, so a replay takes the same path.
    Replaying, the recorded answer comes back as one chunk."""

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

    def _key(self, messages, stop, kwargs) -> str:
        return ResponseCache.key({"model": self.model_label, "params": self.params, "bound": kwargs, "stop": stop,
                                  "messages": [_message_payload(m) for m in messages]})

    def _recorded(self, key: str) -> dict[str, Any] | None:
        hit = self.recorder.get(key)  # raises ReplayMiss in replay mode
        if hit is not None and "error" in hit and self.inner is not None:
            self.recorder.begin(key)
            return None  # recording again: a recorded endpoint failure is tried once more
        if hit is None and self.inner is None:
            raise ReplayMiss("没有可调用的模型（回放模式）")
        return hit

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        chunks = list(self._stream(messages, stop=stop, **kwargs))
        merged = chunks[0].message
        for c in chunks[1:]:
            merged = merged + c.message
        message = AIMessage(content=merged.content, tool_calls=merged.tool_calls,
                            invalid_tool_calls=merged.invalid_tool_calls, usage_metadata=merged.usage_metadata,
                            response_metadata=merged.response_metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        key = self._key(messages, stop, kwargs)
        hit = self._recorded(key)
        if hit is None:
            yield from self._record(key, messages, stop, kwargs)
            return
        if "error" in hit:
            _raise_recorded(hit)
        usage = hit.get("usage") or {}
        tin, tout = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        calls = [{"name": t.get("name"), "args": json.dumps(t.get("args"), ensure_ascii=False), "id": t.get("id"),
                  "index": i} for i, t in enumerate(hit.get("tool_calls") or [])]
        calls += [{"name": t.get("name"), "args": t.get("args"), "id": t.get("id"), "index": len(calls) + i}
                  for i, t in enumerate(hit.get("invalid_tool_calls") or [])]
        yield ChatGenerationChunk(message=AIMessageChunk(
            content=hit.get("content", ""), tool_call_chunks=calls,
            usage_metadata={"input_tokens": tin, "output_tokens": tout, "total_tokens": tin + tout} if tin else None,
            response_metadata={"finish_reason": hit.get("finish_reason", "stop")}))

    def _inner_chunks(self, messages, stop, kwargs) -> Iterator[ChatGenerationChunk]:
        from ..drafting.endpoint import native_streaming

        if native_streaming(self.inner):
            yield from self.inner._stream(messages, stop=stop, **kwargs)
            return
        msg = self.inner._generate(messages, stop=stop, **kwargs).generations[0].message
        yield ChatGenerationChunk(message=AIMessageChunk(
            content=msg.content, usage_metadata=msg.usage_metadata,
            tool_call_chunks=[{"name": t.get("name"), "args": json.dumps(t.get("args"), ensure_ascii=False),
                               "id": t.get("id"), "index": i} for i, t in enumerate(msg.tool_calls or [])],
            response_metadata={"finish_reason": (msg.response_metadata or {}).get("finish_reason", "stop")}))

    def _record(self, key: str, messages, stop, kwargs) -> Iterator[ChatGenerationChunk]:
        from ..drafting import endpoint

        merged, tokens, first = None, 0, None
        started = time.perf_counter()
        try:
            for chunk in self._inner_chunks(messages, stop, kwargs):
                merged = chunk if merged is None else merged + chunk
                if chunk.message.content or chunk.message.tool_call_chunks:
                    tokens += 1  # one token per chunk on llama.cpp-family servers
                    first = first or round(time.perf_counter() - started, 3)
                yield chunk
        except GeneratorExit:  # the chain's watchdog ended the call: record why, a replay ends it the same way
            failure = getattr(getattr(endpoint._current, "watch", None), "failure", None)
            if failure is not None:
                self.recorder.put(key, {"error": {"type": type(failure).__name__, "status": None,
                                                  "message": str(failure)[:300]}})
            raise
        except Exception as exc:  # the endpoint failed: record that too, so a replay fails the same way
            import openai

            if isinstance(exc, openai.OpenAIError):
                self.recorder.put(key, _error_entry(exc))
            raise
        if merged is None:
            return  # an empty stream is not an answer (the chain asks again without streaming)
        msg = merged.message
        # a real stream carries the finish reason in the chunk's generation_info (LangChain copies it into the
        # message only in .stream()); a one-chunk answer carries it in the message
        finish = ((msg.response_metadata or {}).get("finish_reason")
                  or (merged.generation_info or {}).get("finish_reason"))
        if finish is None:
            return  # cut by the server: not an answer either (the chain asks the same again)
        meta = msg.usage_metadata or {}
        tin, tout = int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0)
        estimated = not (tin and tout)  # servers that report no usage in streams: counted and estimated
        tin = tin or endpoint.estimate_tokens("".join(str(m.content) for m in messages))
        self.recorder.put(key, {
            "content": msg.content, "tool_calls": msg.tool_calls, "invalid_tool_calls": msg.invalid_tool_calls,
            "finish_reason": finish, "first_token_s": first, "usage": {
                "input_tokens": tin, "output_tokens": tout or tokens, "estimated": estimated}})


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
        if settings.llm_structured_method == "auto":  # replaying: the method the version was recorded with
            method = read_index(self.cache_for(version).folder).get("method") or DEFAULT_METHOD
            settings = settings.model_copy(update={"llm_structured_method": method})
        drafter = ModelDrafter(settings, kb=self.kb, llm=self.model_for(version, repeat), use_cache=False,
                               sections=self.llm_sections)
        return draft_plan(request, settings=settings, drafter=drafter, repair=self.repair, score=False)
